//! Hostile clients and failing disks: slow heads, idle and trickling connections, the connection cap,
//! the bound on requests in flight, a full disk, a failed sync; and what an operator sees (metrics, the
//! healthcheck command).

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{code, create_image, message, Options, Server, ROLE_ARN};

fn server_with(args: &[&str]) -> Server {
    Server::start_with(Options {
        extra_args: args.iter().map(|a| a.to_string()).collect(),
        ..Default::default()
    })
}

fn address(server: &Server) -> String {
    server.endpoint.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection (or `limit` passes); what it sent, and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&answer).into_owned(), true),
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&answer).into_owned(), false),
        }
    }
}

/// Asks for the liveness path on `stream`, keeping it open, and checks the answer is 200.
async fn assert_live(stream: &mut TcpStream) {
    stream
        .write_all(b"GET /_sagemaker-images/live HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut buffer = [0u8; 512];
    let n = stream.read(&mut buffer).await.expect("answer");
    assert!(
        buffer[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&buffer[..n])
    );
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    let server = server_with(&[
        "--header-read-timeout",
        "500ms",
        "--idle-timeout",
        "500ms",
        "--request-read-timeout",
        "500ms",
    ]);
    let address = address(&server);

    // A request line that never ends.
    let mut stalled = TcpStream::connect(&address).await.expect("connect");
    stalled.write_all(b"POS").await.expect("write");
    assert!(
        read_until_closed(&mut stalled, Duration::from_secs(5))
            .await
            .1,
        "a stalled head is cut off"
    );

    // A head trickled one header line at a time, each well within any per-read timeout.
    let mut trickling = TcpStream::connect(&address).await.expect("connect");
    trickling
        .write_all(b"POST / HTTP/1.1\r\n")
        .await
        .expect("write");
    let mut closed = false;
    for i in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if trickling
            .write_all(format!("x-trickle-{i}: 1\r\n").as_bytes())
            .await
            .is_err()
        {
            closed = true;
            break;
        }
    }
    closed = closed
        || read_until_closed(&mut trickling, Duration::from_secs(2))
            .await
            .1;
    assert!(closed, "a trickled head is cut off by the head timeout");

    // An idle keep-alive connection, after one answered request.
    let mut idle = TcpStream::connect(&address).await.expect("connect");
    idle.write_all(b"GET /_sagemaker-images/live HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("write");
    let (answer, closed) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed, "an idle keep-alive connection is closed");

    // A body that trickles in is cut off by the read limit, with an answer that says so.
    let mut slow_body = TcpStream::connect(&address).await.expect("connect");
    slow_body
        .write_all(b"POST / HTTP/1.1\r\nhost: localhost\r\ncontent-length: 1000\r\n\r\n{")
        .await
        .expect("write");
    let writer = async {
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if slow_body.write_all(b" ").await.is_err() {
                break;
            }
        }
    };
    writer.await;
    let (answer, closed) = read_until_closed(&mut slow_body, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("RequestTimeoutException"), "{answer}");
    assert!(closed);
}

#[tokio::test]
async fn on_sigterm_idle_connections_are_closed_at_once() {
    let mut server = server_with(&["--shutdown-grace", "60s"]);
    let mut idle = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(address(&server)).await.expect("connect");
        assert_live(&mut stream).await;
        idle.push(stream);
    }
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .expect("terminate");
    assert!(status.success(), "exit status {status}");
    // Kept open, they would hold the server for its whole grace period.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "exited after {:?}",
        started.elapsed()
    );
    for mut stream in idle {
        let (rest, closed) = read_until_closed(&mut stream, Duration::from_secs(1)).await;
        assert!(closed && rest.is_empty(), "{rest:?}");
    }
}

/// The status line of the answer to a GET of the liveness path carrying `headers` headers in all.
async fn status_with_headers(server: &Server, headers: usize) -> String {
    let mut stream = TcpStream::connect(address(server)).await.expect("connect");
    let mut head = String::from("GET /_sagemaker-images/live HTTP/1.1\r\nhost: localhost\r\n");
    for i in 2..headers {
        head.push_str(&format!("x-extra-{i}: 1\r\n"));
    }
    // The last of them asks the server to close, so that the whole answer is read.
    head.push_str("connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_head_with_more_headers_than_allowed_is_refused() {
    let default = Server::start();
    let configured = server_with(&["--max-headers", "10"]);
    // (server, headers in the request, status line)
    let cases = [
        (&default, 100, "HTTP/1.1 200 OK"),
        (
            &default,
            101,
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
        (&configured, 10, "HTTP/1.1 200 OK"),
        (
            &configured,
            11,
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
    ];
    for (server, headers, status) in cases {
        assert_eq!(
            status_with_headers(server, headers).await,
            status,
            "{headers} headers"
        );
    }
}

#[tokio::test]
async fn past_the_connection_cap_a_new_connection_is_closed_at_once() {
    let server = server_with(&["--max-connections", "2"]);
    let address = address(&server);
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(&address).await.expect("connect");
        assert_live(&mut stream).await;
        held.push(stream);
    }
    let mut third = TcpStream::connect(&address)
        .await
        .expect("the kernel accepts it");
    let (_, closed) = read_until_closed(&mut third, Duration::from_secs(2)).await;
    assert!(closed, "a connection past the cap is closed");
    // The held connections are still served.
    assert_live(&mut held[0]).await;
}

#[tokio::test]
async fn the_raised_descriptor_limit_is_reported_at_start() {
    let (mut server, log) = Server::start_logging();
    server.terminate();
    let text = log.text();
    assert!(text.contains("open-file limit raised to"), "{text}");
}

#[tokio::test]
async fn past_the_in_flight_bound_requests_are_throttled_and_not_applied() {
    let server = server_with(&["--max-in-flight", "1"]);
    // Each call takes a while, so that calls overlap.
    let effects = server
        .raw()
        .control(
            "POST",
            "/_sagemaker-images/effects",
            Some(&json!({ "latency": 200 })),
        )
        .await;
    assert_eq!(effects.status, 200);
    let client = server.client();
    let calls = (0..6).map(|i| {
        let client = client.clone();
        async move {
            let name = format!("crowd-{i}");
            let result = client
                .create_image()
                .image_name(&name)
                .role_arn(ROLE_ARN)
                .send()
                .await;
            (name, result)
        }
    });
    let results = futures::future::join_all(calls).await;
    let mut throttled = 0;
    for (name, result) in results {
        match result {
            Ok(_) => {}
            Err(error) => {
                assert_eq!(code(&error), "ThrottlingException");
                assert_eq!(message(&error), "Rate exceeded");
                let missing = client
                    .describe_image()
                    .image_name(&name)
                    .send()
                    .await
                    .expect_err("not applied");
                assert_eq!(code(&missing), "ResourceNotFound");
                throttled += 1;
            }
        }
    }
    assert!(throttled > 0, "six overlapping calls with room for one");
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_outcome() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "measured").await;
    let missing = client
        .describe_image()
        .image_name("nothing")
        .send()
        .await
        .expect_err("missing");
    assert_eq!(code(&missing), "ResourceNotFound");
    let metrics = server.raw().control("GET", "/metrics", None).await;
    assert_eq!(metrics.status, 200);
    for line in [
        r#"sagemaker_images_requests_total{operation="CreateImage",outcome="ok"} 1"#,
        r#"sagemaker_images_requests_total{operation="DescribeImage",outcome="ResourceNotFound"} 1"#,
        "sagemaker_images_request_duration_seconds_bucket{operation=\"CreateImage\"",
        "sagemaker_images_connections_open",
    ] {
        assert!(metrics.text.contains(line), "{line} in:\n{}", metrics.text);
    }
    if !server.on_postgres() {
        assert!(
            metrics
                .text
                .contains("sagemaker_images_sqlite_commit_seconds_count 1"),
            "{}",
            metrics.text
        );
    }
}

#[tokio::test]
async fn the_healthcheck_command_exits_by_readiness() {
    let server = Server::start();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sagemaker-images"))
            .arg("healthcheck")
            .args(args)
            .args(["--timeout", "2s"])
            .env_remove("SAGEMAKER_IMAGES_HEALTHCHECK_URL")
            .env_remove("SAGEMAKER_IMAGES_LISTEN")
            .output()
            .expect("run healthcheck")
    };
    let base = server.endpoint.clone();
    let wildcard = base.replace("http://127.0.0.1", "0.0.0.0");
    let asked = [
        vec![
            "--url".to_owned(),
            format!("{base}/_sagemaker-images/health"),
        ],
        vec!["--url".to_owned(), format!("{base}/_localstack/health")],
        // A base URL, as the SDKs take it, asks the health endpoint.
        vec!["--url".to_owned(), base.clone()],
        vec!["--url".to_owned(), format!("{base}/")],
        // No URL: where `serve` listens, a wildcard address asked on loopback.
        vec!["--listen".to_owned(), wildcard],
    ];
    for args in asked {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let ready = run(&args);
        assert!(
            ready.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&ready.stderr)
        );
    }
    // An answer other than 200 is not ready (an unknown control path is refused with 400).
    let refused = run(&["--url", &format!("{base}/_sagemaker-images/nothing-here")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("answered 400"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let nobody = listener.local_addr().expect("address");
    drop(listener);
    let down = run(&["--url", &format!("http://{nobody}")]);
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stderr).contains("did not answer"));
}

#[tokio::test]
async fn an_oversized_body_is_refused_without_being_read() {
    let server = Server::start();
    let address = address(&server);
    // Declared too large: refused from the head alone, the body never sent.
    let mut declared = TcpStream::connect(&address).await.expect("connect");
    declared
        .write_all(b"POST / HTTP/1.1\r\nhost: localhost\r\ncontent-length: 62914560\r\n\r\n")
        .await
        .expect("write");
    let (answer, closed) = read_until_closed(&mut declared, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("RequestEntityTooLargeException"),
        "{answer}"
    );
    assert!(closed, "the connection is closed after the answer");

    // Chunked: refused once the limit is passed, while the client could go on sending.
    let mut chunked = TcpStream::connect(&address).await.expect("connect");
    chunked
        .write_all(b"POST / HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\n")
        .await
        .expect("write");
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    let mut refused_early = false;
    while sent < 64 * 1024 * 1024 {
        let head = format!("{:x}\r\n", chunk.len());
        let wrote = async {
            chunked.write_all(head.as_bytes()).await?;
            chunked.write_all(&chunk).await?;
            chunked.write_all(b"\r\n").await
        };
        match tokio::time::timeout(Duration::from_secs(5), wrote).await {
            Ok(Ok(())) => sent += chunk.len(),
            _ => {
                refused_early = true;
                break;
            }
        }
    }
    assert!(
        refused_early,
        "the server stopped reading before 64 MiB (sent {sent})"
    );
    assert!(
        sent < 8 * 1024 * 1024,
        "it read about the limit, not {sent} bytes"
    );
}

#[tokio::test]
async fn http2_without_tls_is_served_under_the_same_limits() {
    use http_body_util::{BodyExt, Empty};
    let server = server_with(&["--max-header-bytes", "8192"]);
    let mut sender = crate::common::raw::http2(&address(&server)).await;
    let get = |extra: Option<String>| {
        let mut request =
            hyper::Request::get(format!("{}/_sagemaker-images/live", server.endpoint));
        if let Some(value) = extra {
            request = request.header("x-padding", value);
        }
        request.body(Empty::<bytes::Bytes>::new()).expect("request")
    };
    let answer = sender.send_request(get(None)).await.expect("answered");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.version(), hyper::Version::HTTP_2);
    let body = answer.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(&body[..], br#"{"status":"live"}"#);
    // A header list past the limit is not served.
    let refused = sender.send_request(get(Some("x".repeat(16 * 1024)))).await;
    assert!(
        refused.as_ref().map_or(true, |r| r.status() == 431),
        "{refused:?}"
    );
}
