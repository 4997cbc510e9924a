//! Raw HTTP to the server, signed with `aws-sigv4` as a client would sign it, or left unsigned, altered or
//! malformed on purpose.

use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use serde_json::Value;

pub struct RawClient {
    endpoint: String,
    host: String,
    http: reqwest::Client,
}

/// A request before it is sent. Tests change any part of it, before or after signing.
#[derive(Clone, Debug)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl RawResponse {
    /// `__type` of an error answer.
    pub fn error_type(&self) -> &str {
        self.body["__type"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["message"]
            .as_str()
            .or(self.body["Message"].as_str())
            .unwrap_or("")
    }
}

pub struct Signer<'a> {
    pub access_key: &'a str,
    pub secret: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub time: SystemTime,
}

impl Default for Signer<'_> {
    fn default() -> Self {
        Signer {
            access_key: "test",
            secret: "test",
            region: super::REGION,
            service: "sagemaker",
            time: SystemTime::now(),
        }
    }
}

impl RawRequest {
    /// An unsigned `POST /` of `operation` with a JSON body.
    pub fn operation(host: &str, operation: &str, body: &Value) -> RawRequest {
        RawRequest {
            method: "POST".into(),
            path: "/".into(),
            headers: vec![
                ("host".into(), host.into()),
                ("content-type".into(), "application/x-amz-json-1.1".into()),
                ("x-amz-target".into(), format!("SageMaker.{operation}")),
            ],
            body: serde_json::to_vec(body).expect("json"),
        }
    }

    /// An unsigned control-plane request.
    pub fn control(host: &str, method: &str, path: &str, body: Option<&Value>) -> RawRequest {
        RawRequest {
            method: method.into(),
            path: path.into(),
            headers: vec![
                ("host".into(), host.into()),
                ("content-type".into(), "application/json".into()),
            ],
            body: body
                .map(|b| serde_json::to_vec(b).expect("json"))
                .unwrap_or_default(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Signs every header present (as the SDKs do), adding `x-amz-date` and `authorization`.
    pub fn signed(mut self, signer: &Signer<'_>) -> RawRequest {
        let identity = aws_credential_types::Credentials::new(
            signer.access_key,
            signer.secret,
            None,
            None,
            "raw",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(signer.region)
            .name(signer.service)
            .time(signer.time)
            .settings(SigningSettings::default())
            .build()
            .expect("signing params")
            .into();
        let signable = SignableRequest::new(
            &self.method,
            self.path.clone(),
            self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(&self.body),
        )
        .expect("signable request");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        let (headers, _) = instructions.into_parts();
        for header in headers {
            self.set_header(header.name(), header.value());
        }
        self
    }
}

impl RawClient {
    pub fn new(endpoint: &str) -> RawClient {
        RawClient {
            endpoint: endpoint.to_owned(),
            host: endpoint.trim_start_matches("http://").to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub fn request(&self, operation: &str, body: &Value) -> RawRequest {
        RawRequest::operation(&self.host, operation, body)
    }

    pub fn control_request(&self, method: &str, path: &str, body: Option<&Value>) -> RawRequest {
        RawRequest::control(&self.host, method, path, body)
    }

    /// An unsigned control-plane call, as a local test suite makes it with the built-in key.
    pub async fn control(&self, method: &str, path: &str, body: Option<&Value>) -> RawResponse {
        self.send(self.control_request(method, path, body)).await
    }

    /// Signs `body` for `operation` with the default credentials and sends it.
    pub async fn call(&self, operation: &str, body: &Value) -> RawResponse {
        self.send(self.request(operation, body).signed(&Signer::default()))
            .await
    }

    /// Sends raw bytes as the body of a correctly signed request.
    pub async fn call_bytes(&self, operation: &str, body: &[u8]) -> RawResponse {
        let mut request = self.request(operation, &Value::Null);
        request.body = body.to_vec();
        self.send(request.signed(&Signer::default())).await
    }

    pub async fn send(&self, request: RawRequest) -> RawResponse {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).expect("method");
        let mut builder = self
            .http
            .request(method, format!("{}{}", self.endpoint, request.path));
        for (name, value) in &request.headers {
            if !name.eq_ignore_ascii_case("host") {
                builder = builder.header(name, value);
            }
        }
        let response = builder
            .body(request.body)
            .send()
            .await
            .expect("send raw request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        RawResponse {
            status,
            headers,
            body,
            text,
        }
    }
}

/// Writes `request` (a whole HTTP/1.1 request, as bytes a client would never send) to `address` and reads
/// the answer until the server closes the connection.
pub async fn exchange(address: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    answer
}

/// The status code of an answer [`exchange`] read.
pub fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

/// An HTTP/2 connection without TLS (prior knowledge) to `address`, driven on a task of its own.
pub async fn http2<B>(address: &str) -> hyper::client::conn::http2::SendRequest<B>
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let (sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("an HTTP/2 handshake with prior knowledge");
    tokio::spawn(connection);
    sender
}
