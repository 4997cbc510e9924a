//! The load generator: requests signed before the clock starts, one load of many keep-alive connections, and the figures it gathers.

use super::*;

/// A signed request, ready to send any number of times within the 15-minute window.
#[derive(Clone)]
pub(crate) struct Prepared {
    pub(crate) target: &'static str,
    pub(crate) body: Bytes,
    pub(crate) headers: Vec<(String, String)>,
}

pub(crate) fn prepare(host: &str, operation: &'static str, body: serde_json::Value) -> Prepared {
    let body = Bytes::from(serde_json::to_vec(&body).expect("json"));
    let target = match operation {
        "UpdateImage" => "SageMaker.UpdateImage",
        "DescribeImage" => "SageMaker.DescribeImage",
        "ListImages" => "SageMaker.ListImages",
        "CreateImage" => "SageMaker.CreateImage",
        _ => "SageMaker.Unknown",
    };
    let mut headers = vec![
        ("host".to_owned(), host.to_owned()),
        (
            "content-type".to_owned(),
            "application/x-amz-json-1.1".to_owned(),
        ),
        ("x-amz-target".to_owned(), target.to_owned()),
    ];
    let identity =
        aws_credential_types::Credentials::new("test", "test", None, None, "bench").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sagemaker")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let signable = SignableRequest::new(
        "POST",
        "/",
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(&body),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    Prepared {
        target,
        body,
        headers,
    }
}

#[derive(Default)]
pub(crate) struct Figures {
    pub(crate) requests: usize,
    pub(crate) errors: usize,
    pub(crate) elapsed: Duration,
    pub(crate) latencies_us: Vec<u32>,
}

impl Figures {
    /// Adds another load's figures to these (latencies unsorted until the caller sorts them).
    pub(crate) fn absorb(&mut self, other: Figures) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
    }
    pub(crate) fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
    pub(crate) fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies_us[index]) / 1000.0
    }
}

/// Drives `CONNECTIONS` connections for `duration`, each cycling through its share of `requests`.
pub(crate) async fn load(
    address: SocketAddr,
    requests: Arc<Vec<Prepared>>,
    duration: Duration,
) -> Figures {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for connection in 0..CONNECTIONS {
        let requests = requests.clone();
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(address).await.expect("connect");
            stream.set_nodelay(true).ok();
            let (mut sender, driver) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(driver);
            let (mut done, mut errors, mut latencies) =
                (0usize, 0usize, Vec::with_capacity(100_000));
            let mut index = connection;
            while Instant::now() < deadline {
                let prepared = &requests[index % requests.len()];
                index += CONNECTIONS;
                let mut builder = Request::post("/");
                for (name, value) in &prepared.headers {
                    builder = builder.header(name, value);
                }
                let request = builder
                    .body(Full::new(prepared.body.clone()))
                    .expect("request");
                let sent = Instant::now();
                let response = sender.send_request(request).await.expect("send");
                let status = response.status();
                let body = response.into_body().collect().await;
                let ok = status.is_success();
                if !ok && errors == 0 {
                    let text = body.map(|b| b.to_bytes()).unwrap_or_default();
                    eprintln!("first error: {status} {}", String::from_utf8_lossy(&text));
                }
                latencies.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                done += 1;
                if !ok {
                    errors += 1;
                }
            }
            (done, errors, latencies)
        }));
    }
    let mut figures = Figures {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    for task in tasks {
        let (done, errors, latencies) = task.await.expect("load task");
        figures.requests += done;
        figures.errors += errors;
        figures.latencies_us.extend(latencies);
    }
    figures.elapsed = start.elapsed();
    figures.latencies_us.sort_unstable();
    figures
}

/// A new HTTP/1.1 connection to `address`, driven in the background.
pub(crate) async fn fresh_connection(
    address: SocketAddr,
) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(address).await.expect("connect");
    let (sender, driver) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(driver);
    sender
}

/// Sends one GET of a control-plane path (as a local caller) on a fresh connection; its latency in ms.
pub(crate) async fn get_once(address: SocketAddr, path: &str) -> f64 {
    let mut sender = fresh_connection(address).await;
    let request = Request::get(path)
        .header("host", address.to_string())
        .body(Full::new(Bytes::new()))
        .expect("request");
    let sent = Instant::now();
    let response = sender.send_request(request).await.expect("send");
    assert!(response.status().is_success(), "{}", response.status());
    let _ = response.into_body().collect().await;
    sent.elapsed().as_secs_f64() * 1000.0
}

/// Sends one request on a fresh connection and returns its latency in milliseconds.
pub(crate) async fn load_once(address: SocketAddr, prepared: &Prepared) -> f64 {
    let mut sender = fresh_connection(address).await;
    let mut builder = Request::post("/");
    for (name, value) in &prepared.headers {
        builder = builder.header(name, value);
    }
    let sent = Instant::now();
    let response = sender
        .send_request(
            builder
                .body(Full::new(prepared.body.clone()))
                .expect("request"),
        )
        .await
        .expect("send");
    assert!(response.status().is_success());
    let _ = response.into_body().collect().await;
    sent.elapsed().as_secs_f64() * 1000.0
}

/// The request a floor server is loaded with: one like the rows' UpdateImage.
pub(crate) fn floor_request(address: SocketAddr) -> Prepared {
    prepare(
        &address.to_string(),
        "UpdateImage",
        serde_json::json!({"ImageName": "floor", "Description": "x"}),
    )
}
