//! The control plane and the console under attack (issue 27): how a request names its host, the signals
//! of another site's page, replayed signatures, forged log lines, and the response headers of every answer.
//! The costs a caller can impose (fault rules, outcome rules, the initial state) are in `attacks_costs`.

use serde_json::{json, Value};

use crate::common::cases::Failures;
use crate::common::raw::{exchange, http2, status_of, RawRequest, Signer};
use crate::common::{create_image, Options, Server};

const FAULTS: &str = "/_sagemaker-images/faults";
const CONSOLE: &str = "/_sagemaker-images/console";

fn address(server: &Server) -> String {
    server.endpoint.trim_start_matches("http://").to_owned()
}

/// How many fault rules the server keeps, asked the ordinary way.
async fn fault_count(server: &Server) -> usize {
    let listed = server.raw().control("GET", FAULTS, None).await;
    listed.body.as_array().map_or(0, Vec::len)
}

/// A request target and header lines that a table case sends, and whether it should be let in.
struct HostCase {
    name: &'static str,
    target: String,
    headers: Vec<String>,
    admitted: bool,
}

fn host_case(name: &'static str, headers: &[&str], admitted: bool) -> HostCase {
    HostCase {
        name,
        target: FAULTS.to_owned(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        admitted,
    }
}

/// Sends each case as a fault rule to add: an admitted case adds one (200), a refused one gets 403 and
/// adds nothing, which the count of rules at the end shows.
async fn run_host_cases(server: &Server, cases: Vec<HostCase>) {
    let body = r#"{"operation": "Marker"}"#;
    let mut failures = Failures::default();
    let before = fault_count(server).await;
    let mut admitted = 0;
    for case in cases {
        let request = format!(
            "PATCH {} HTTP/1.1\r\n{}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            case.target,
            case.headers.join("\r\n"),
            body.len()
        );
        let answer = exchange(&address(server), &request).await;
        let expected = if case.admitted { 200 } else { 403 };
        admitted += usize::from(case.admitted);
        let outcome = match status_of(&answer) == expected {
            true if expected == 403 && !answer.contains("AccessDeniedException") => {
                Err(format!("no AccessDeniedException: {answer}"))
            }
            true => Ok(()),
            false => Err(format!("expected {expected}, got {answer}")),
        };
        failures.check(case.name, outcome);
    }
    failures.compare(
        "refused cases change nothing",
        fault_count(server).await,
        before + admitted,
    );
    failures.assert_none();
}

#[tokio::test]
async fn host_is_read_as_an_authority_and_only_loopback_names_are_admitted_by_default() {
    let server = Server::start();
    let local = format!("host: {}", address(&server));
    let port = address(&server).rsplit(':').next().unwrap_or("").to_owned();
    let cases = vec![
        host_case("the loopback address", &[&local], true),
        host_case(
            "localhost, in capitals",
            &[&format!("host: LocalHost:{port}")],
            true,
        ),
        host_case("the IPv6 loopback", &[&format!("host: [::1]:{port}")], true),
        host_case(
            "a port that is a name",
            &["host: 127.0.0.1:evil.example"],
            false,
        ),
        host_case("user information", &["host: 127.0.0.1:7447@evil"], false),
        host_case(
            "text after the brackets",
            &["host: [::1]evil.example"],
            false,
        ),
        host_case("two Host headers", &[&local, "host: evil.example"], false),
        host_case("no Host header", &[], false),
        host_case(
            "a service name nobody allowed",
            &["host: sagemaker:7447"],
            false,
        ),
        HostCase {
            target: format!("http://evil.example{FAULTS}"),
            ..host_case("an absolute URI naming another host", &[&local], false)
        },
        HostCase {
            target: format!("http://{}{FAULTS}", address(&server)),
            ..host_case("an absolute URI naming this host", &[&local], true)
        },
    ];
    run_host_cases(&server, cases).await;
}

#[tokio::test]
async fn control_hosts_names_further_hosts_and_only_those() {
    let server = Server::start_with(Options {
        env: vec![(
            "SAGEMAKER_IMAGES_CONTROL_HOSTS".into(),
            "sagemaker, other-name".into(),
        )],
        ..Default::default()
    });
    let local = format!("host: {}", address(&server));
    let cases = vec![
        host_case("the allowed name", &["host: sagemaker:7447"], true),
        host_case("the allowed name in capitals", &["host: SAGEMAKER"], true),
        host_case("the second allowed name", &["host: other-name:80"], true),
        host_case(
            "the allowed name's own origin",
            &["host: sagemaker:7447", "origin: http://sagemaker:7447"],
            true,
        ),
        host_case(
            "another origin",
            &["host: sagemaker:7447", "origin: http://evil.example"],
            false,
        ),
        host_case("a longer name", &["host: sagemaker.evil.example"], false),
        host_case("a name not on the list", &["host: third:7447"], false),
        host_case("loopback, as ever", &[&local], true),
    ];
    run_host_cases(&server, cases).await;
}

#[tokio::test]
async fn over_http2_the_authority_is_read_and_must_agree_with_host() {
    use http_body_util::{BodyExt, Full};
    let server = Server::start();
    let mut sender = http2(&address(&server)).await;
    let cases = [
        ("the authority alone", address(&server), None, 200),
        (
            "another authority with a loopback Host",
            "attacker.example".to_owned(),
            Some(address(&server)),
            403,
        ),
        (
            "a loopback authority with another Host",
            address(&server),
            Some("attacker.example".to_owned()),
            403,
        ),
    ];
    let mut failures = Failures::default();
    for (name, authority, host, expected) in cases {
        let mut request = hyper::Request::patch(format!("http://{authority}{FAULTS}"))
            .header("content-type", "application/json");
        if let Some(host) = host {
            request = request.header("host", host);
        }
        let request = request
            .body(Full::new(bytes::Bytes::from_static(b"{}")))
            .expect("request");
        let answer = sender.send_request(request).await.expect("answered");
        let status = answer.status().as_u16();
        let body = answer.into_body().collect().await.expect("body").to_bytes();
        failures.compare(
            name,
            (
                status,
                status == 200 || body.windows(6).any(|w| w == b"Denied"),
            ),
            (expected, true),
        );
    }
    failures.assert_none();
}

#[tokio::test]
async fn a_state_changing_call_with_another_sites_signals_is_refused() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "kept").await;
    let raw = server.raw();
    let own = format!("{}/", server.endpoint);
    let reset = |headers: &[(&str, &str)]| {
        let mut request = raw.control_request("POST", "/_sagemaker-images/reset", None);
        for (name, value) in headers {
            // Pushed, not set: a case may repeat a header.
            request.headers.push((name.to_string(), value.to_string()));
        }
        request
    };
    let mut failures = Failures::default();
    for (name, request) in [
        (
            "Sec-Fetch-Site: cross-site",
            reset(&[("sec-fetch-site", "cross-site")]),
        ),
        (
            "Sec-Fetch-Site: same-site",
            reset(&[("sec-fetch-site", "same-site")]),
        ),
        (
            "a foreign Referer",
            reset(&[("referer", "http://evil.example/page")]),
        ),
        (
            "two Origin headers, the first the server's own",
            reset(&[
                ("origin", own.trim_end_matches('/')),
                ("origin", "http://evil.example"),
            ]),
        ),
    ] {
        let answer = raw.send(request).await;
        failures.compare(
            name,
            (answer.status, answer.error_type()),
            (403, "AccessDeniedException"),
        );
    }
    let images = client.list_images().send().await.expect("list");
    failures.compare("nothing was reset", images.images().len(), 1);
    for (name, request) in [
        (
            "its own page",
            reset(&[("sec-fetch-site", "same-origin"), ("referer", &own)]),
        ),
        ("typed by hand", reset(&[("sec-fetch-site", "none")])),
    ] {
        failures.compare(name, raw.send(request).await.status, 200);
    }
    failures.assert_none();
}

/// A GET of the console's session endpoint.
fn session_request(server: &Server, headers: &[(&str, &str)]) -> RawRequest {
    let mut request = server
        .raw()
        .control_request("GET", &format!("{CONSOLE}/api/session"), None);
    for (name, value) in headers {
        request.set_header(name, value);
    }
    request
}

#[tokio::test]
async fn another_sites_page_cannot_open_sessions_and_a_stale_cookie_gets_a_new_one() {
    let server = Server::start();
    let raw = server.raw();
    let first = raw.send(session_request(&server, &[])).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let cookie = first.headers["set-cookie"]
        .to_str()
        .expect("text")
        .split(';')
        .next()
        .expect("name=value")
        .to_owned();
    // More cross-site requests than the server keeps sessions: none is opened, so none is evicted.
    let flood = (0..1100).map(|_| {
        raw.send(session_request(
            &server,
            &[
                ("sec-fetch-site", "cross-site"),
                ("sec-fetch-dest", "image"),
            ],
        ))
    });
    let answers = futures::future::join_all(flood).await;
    let mut failures = Failures::default();
    failures.compare(
        "every cross-site request refused, with no cookie",
        answers
            .iter()
            .filter(|a| a.status == 403 && !a.headers.contains_key("set-cookie"))
            .count(),
        1100,
    );
    let from_foreign_origin = raw
        .send(session_request(
            &server,
            &[("origin", "http://evil.example")],
        ))
        .await;
    failures.compare("a foreign Origin", from_foreign_origin.status, 403);
    let kept = raw
        .send(session_request(&server, &[("cookie", &cookie)]))
        .await;
    failures.compare("the user's session is kept", kept.status, 200);
    failures.compare(
        "and keeps its cookie",
        kept.headers.contains_key("set-cookie"),
        false,
    );
    let stale = raw
        .send(session_request(
            &server,
            &[
                ("cookie", "sagemaker_images_console=evicted"),
                ("sec-fetch-site", "same-origin"),
            ],
        ))
        .await;
    failures.compare("a stale cookie gets a new session", stale.status, 200);
    failures.compare(
        "in a new cookie",
        stale.headers.contains_key("set-cookie"),
        true,
    );
    failures.assert_none();
}

/// Every answer under the control plane's paths carries the page's policy, no sniffing and no framing.
#[tokio::test]
async fn every_answer_under_the_control_paths_carries_the_security_headers() {
    let server = Server::start();
    let raw = server.raw();
    let mut foreign = raw.control_request("POST", "/_sagemaker-images/reset", None);
    foreign.set_header("origin", "http://evil.example");
    let mut not_json = raw.control_request("POST", FAULTS, None);
    not_json.body = b"nope".to_vec();
    let get = |path: &str| raw.control_request("GET", path, None);
    let cases = [
        ("health", get("/_sagemaker-images/health"), 200),
        ("LocalStack's health", get("/_localstack/health"), 200),
        ("metrics", get("/metrics"), 200),
        ("a body that is not JSON", not_json, 400),
        ("another origin's reset", foreign, 403),
        (
            "an unknown console path",
            get(&format!("{CONSOLE}/nope")),
            400,
        ),
        (
            "an unknown control path",
            get("/_sagemaker-images/nope"),
            400,
        ),
        ("an unknown LocalStack path", get("/_localstack/nope"), 400),
        ("the console's page", get(&format!("{CONSOLE}/")), 200),
    ];
    let mut failures = Failures::default();
    for (name, request, status) in cases {
        let answer = raw.send(request).await;
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        failures.compare(
            name,
            (
                answer.status,
                header("content-security-policy").starts_with("default-src 'none'"),
                header("x-content-type-options"),
                header("x-frame-options"),
            ),
            (status, true, "nosniff".to_owned(), "DENY".to_owned()),
        );
    }
    failures.assert_none();
}

#[tokio::test]
async fn a_signed_state_changing_control_call_works_once() {
    let server = Server::start_with(Options {
        credentials_toml: Some(crate::control::admin_credentials()),
        ..Default::default()
    });
    let raw = server.raw();
    let signer = |seconds_ago: u64| Signer {
        access_key: "ADMINKEY",
        secret: "admin-secret",
        time: std::time::SystemTime::now() - std::time::Duration::from_secs(seconds_ago),
        ..Default::default()
    };
    let mut failures = Failures::default();
    for path in [
        format!("{CONSOLE}/api/login-links"),
        "/_sagemaker-images/reset".to_owned(),
    ] {
        let signed = raw.control_request("POST", &path, None).signed(&signer(1));
        let first = raw.send(signed.clone()).await;
        failures.compare(&format!("{path} once"), first.status, 200);
        let replayed = raw.send(signed).await;
        failures.compare(
            &format!("{path} replayed"),
            (
                replayed.status,
                replayed.error_type(),
                replayed.message().contains("works once"),
            ),
            (403, "AccessDeniedException", true),
        );
        let signed_again = raw.control_request("POST", &path, None).signed(&signer(2));
        failures.compare(
            &format!("{path} signed again"),
            raw.send(signed_again).await.status,
            200,
        );
    }
    // Reading changes nothing, so its signature may be used again.
    let read = raw
        .control_request("GET", "/_sagemaker-images/state", None)
        .signed(&signer(1));
    for attempt in ["first read", "same read again"] {
        failures.compare(attempt, raw.send(read.clone()).await.status, 200);
    }
    failures.assert_none();
}

#[tokio::test]
async fn an_authorization_header_reaches_neither_the_request_log_nor_the_log_lines() {
    let (server, log) = Server::start_logging();
    let raw = server.raw();
    let basic = "Basic YWRtaW46aHVudGVyMg==";
    let mut with_basic = raw.request("ListImages", &json!({}));
    with_basic.set_header("authorization", basic);
    let mut without_date = raw
        .request("ListImages", &json!({}))
        .signed(&Signer::default());
    without_date.remove_header("x-amz-date");
    let sigv4 = without_date
        .header("authorization")
        .expect("signed")
        .to_owned();
    let signature = sigv4
        .rsplit("Signature=")
        .next()
        .expect("a signature")
        .to_owned();
    let mut odd_credential = raw.request("ListImages", &json!({}));
    odd_credential.set_header(
        "authorization",
        "AWS4-HMAC-SHA256 Credential=hunter2-secret, SignedHeaders=host, Signature=abc",
    );
    odd_credential.set_header("x-amz-date", "20260101T000000Z");
    let mut failures = Failures::default();
    for (name, request) in [
        ("Basic", with_basic),
        ("SigV4 without a date", without_date),
        ("a credential of one part", odd_credential),
    ] {
        let answer = raw.send(request).await;
        // The wire keeps AWS's wording, which echoes the header.
        failures.compare(
            name,
            (
                answer.error_type(),
                answer.message().contains("Authorization="),
            ),
            ("IncompleteSignatureException", true),
        );
    }
    let session = raw.send(session_request(&server, &[])).await;
    let cookie = session.headers["set-cookie"]
        .to_str()
        .expect("text")
        .to_owned();
    let read = |path: String| {
        let request = session_request(
            &server,
            &[("cookie", cookie.split(';').next().unwrap_or(""))],
        );
        RawRequest { path, ..request }
    };
    let listed = raw.send(read(format!("{CONSOLE}/api/requests"))).await;
    let mut seen = vec![listed.text.clone()];
    for entry in listed.body["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let id = entry["id"].as_u64().unwrap_or(0);
        seen.push(
            raw.send(read(format!("{CONSOLE}/api/requests/{id}")))
                .await
                .text,
        );
    }
    failures.compare("three entries", seen.len(), 4);
    // The log is written as requests end; the last request has been answered already.
    seen.push(log.text());
    let everything = seen.join("\n");
    for secret in [
        "YWRtaW46aHVudGVyMg",
        "Signature=",
        &signature,
        "hunter2-secret",
        "Credential=",
    ] {
        failures.compare(secret, everything.contains(secret), false);
    }
    failures.compare(
        "the refusals are recorded",
        everything.contains("IncompleteSignatureException"),
        true,
    );
    failures.assert_none();
}

#[tokio::test]
async fn an_unknown_target_is_logged_escaped_and_cannot_forge_a_line() {
    let (server, log) = Server::start_logging();
    let raw = server.raw();
    let forged = "ListImages 000000000000/us-east-1 => 200 (0.1 ms) FAKE";
    let mut request = raw.request("ListImages", &json!({}));
    request.set_header("x-amz-target", &format!("SageMaker.{forged}"));
    let answer = raw.send(request.signed(&Signer::default())).await;
    assert_eq!(
        answer.error_type(),
        "UnknownOperationException",
        "{}",
        answer.text
    );
    raw.call("ListImages", &Value::Object(Default::default()))
        .await;
    let text = log.text();
    assert!(
        text.contains("sagemaker.ListImages 000000000000/us-east-1 => 200"),
        "{text}"
    );
    assert!(!text.contains(&format!("sagemaker.{forged}")), "{text}");
    assert!(
        text.contains(&format!(
            "sagemaker.{forged:?} 000000000000/us-east-1 => 400"
        )),
        "{text}"
    );
}
