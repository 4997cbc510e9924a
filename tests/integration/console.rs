//! The web console's JSON, sessions and request ring, with raw requests: who is let in, what a session's
//! cookie and CSRF token allow, how much the ring keeps, and that no secret reaches any of it.

use std::process::Command;

use serde_json::{json, Value};

use crate::common::raw::{RawRequest, RawResponse, Signer};
use crate::common::{create_image, Options, Server, ACCOUNT, REGION, ROLE_ARN};

const CONSOLE: &str = "/_sagemaker-images/console";
const ADMIN_SECRET: &str = "admin-secret-never-shown-3f9a";

fn admin_credentials() -> String {
    format!(
        r#"
[[credentials]]
access_key_id = "ADMINKEY"
secret_access_key = "{ADMIN_SECRET}"
account_id = "111111111111"
admin = true

[[credentials]]
access_key_id = "USERKEY"
secret_access_key = "user-secret"
account_id = "111111111111"
"#
    )
}

fn administered() -> Server {
    Server::start_with(Options {
        credentials_toml: Some(admin_credentials()),
        ..Default::default()
    })
}

/// A client that shows redirects instead of following them, so that a login's cookie is seen.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub(crate) async fn get(server: &Server, path: &str, cookie: Option<&str>) -> RawResponse {
    let mut request = server.raw().control_request("GET", path, None);
    if let Some(cookie) = cookie {
        request.set_header("cookie", cookie);
    }
    server.raw().send(request).await
}

/// The `name=value` part of the session cookie a response sets.
fn session_cookie(response: &reqwest::header::HeaderMap) -> String {
    let set = response
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a Set-Cookie header");
    set.split(';').next().expect("name=value").to_owned()
}

/// A local caller's session: its cookie and CSRF token.
async fn local_session(server: &Server) -> (String, String) {
    let response = get(server, &format!("{CONSOLE}/api/session"), None).await;
    assert_eq!(response.status, 200, "{}", response.text);
    let csrf = response.body["csrfToken"]
        .as_str()
        .expect("csrf")
        .to_owned();
    (session_cookie(&response.headers), csrf)
}

async fn image_count(server: &Server) -> usize {
    server
        .client()
        .list_images()
        .send()
        .await
        .expect("list images")
        .images()
        .len()
}

#[tokio::test]
async fn the_page_is_embedded_and_its_policy_forbids_inline_script_and_other_origins() {
    let server = Server::start();
    let page = browser()
        .get(format!("{}{CONSOLE}/", server.endpoint))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let policy = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let html = page.text().await.expect("html");
    assert!(html.contains("console.js"), "{html}");
    let script = get(&server, &format!("{CONSOLE}/console.js"), None).await;
    assert_eq!(script.status, 200);
    assert_eq!(
        script.headers["content-type"],
        "text/javascript; charset=utf-8"
    );
    let bare = browser()
        .get(format!("{}{CONSOLE}", server.endpoint))
        .send()
        .await
        .expect("bare prefix");
    assert_eq!(bare.status(), 303);
    assert_eq!(bare.headers()["location"], format!("{CONSOLE}/"));
}

#[tokio::test]
async fn a_local_session_changes_state_only_with_its_csrf_token_from_its_own_origin() {
    let server = Server::start();
    create_image(&server.client(), "kept").await;
    let (cookie, csrf) = local_session(&server).await;
    let host = server.endpoint.trim_start_matches("http://").to_owned();
    let reset = |extra: &[(&str, &str)]| {
        let mut request = server
            .raw()
            .control_request("POST", "/_sagemaker-images/reset", None);
        request.set_header("cookie", &cookie);
        for (name, value) in extra {
            request.set_header(name, value);
        }
        request
    };
    let own_origin = format!("http://{host}");
    for (why, request) in [
        ("no CSRF token", reset(&[("origin", &own_origin)])),
        (
            "a wrong CSRF token",
            reset(&[("x-csrf-token", "guess"), ("origin", &own_origin)]),
        ),
        (
            "a foreign origin",
            reset(&[("x-csrf-token", &csrf), ("origin", "http://evil.example")]),
        ),
    ] {
        let response = server.raw().send(request).await;
        assert_eq!(response.status, 403, "{why}: {}", response.text);
        assert_eq!(response.error_type(), "AccessDeniedException", "{why}");
        assert_eq!(image_count(&server).await, 1, "{why} changed nothing");
    }
    let response = server
        .raw()
        .send(reset(&[("x-csrf-token", &csrf), ("origin", &own_origin)]))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(image_count(&server).await, 0);

    let forged = get(
        &server,
        &format!("{CONSOLE}/api/requests"),
        Some("sagemaker_images_console=forged"),
    )
    .await;
    assert_eq!(forged.status, 403);
}

#[tokio::test]
async fn the_catalog_reads_one_page_with_roles_and_tags_and_lists_scopes() {
    let server = Server::start();
    let client = server.client();
    for i in 0..27 {
        client
            .create_image()
            .image_name(format!("image-{i:02}"))
            .role_arn(ROLE_ARN)
            .tags(crate::common::tag("team", "ml"))
            .send()
            .await
            .expect("create image");
    }
    create_image(&server.client_as("test", "test", "eu-west-1"), "elsewhere").await;
    let (cookie, _) = local_session(&server).await;

    let scopes = get(&server, &format!("{CONSOLE}/api/scopes"), Some(&cookie)).await;
    assert_eq!(
        scopes.body["scopes"],
        json!([
            {"account": ACCOUNT, "region": "eu-west-1"},
            {"account": ACCOUNT, "region": REGION},
        ])
    );

    let first = get(
        &server,
        &format!("{CONSOLE}/api/images?account={ACCOUNT}&region={REGION}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let images = first.body["images"].as_array().expect("images");
    assert_eq!(images.len(), 25);
    assert_eq!(images[0]["ImageName"], "image-26", "newest first");
    assert_eq!(images[0]["RoleArn"], ROLE_ARN);
    assert_eq!(images[0]["Tags"], json!([{"Key": "team", "Value": "ml"}]));
    let token = first.body["nextToken"].as_str().expect("a next page");
    let encoded: String = token
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    let second = get(
        &server,
        &format!("{CONSOLE}/api/images?account={ACCOUNT}&region={REGION}&nextToken={encoded}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(second.body["images"].as_array().map(Vec::len), Some(2));
    assert_eq!(second.body["nextToken"], Value::Null);

    let bad = get(
        &server,
        &format!("{CONSOLE}/api/images?account=nope&region={REGION}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error_type(), "ValidationException");
}

#[tokio::test]
async fn the_ring_keeps_its_size_filters_errors_and_skips_console_and_control_calls() {
    let server = Server::start_with(Options {
        extra_args: vec!["--request-log-size".into(), "3".into()],
        ..Default::default()
    });
    let raw = server.raw();
    raw.call("ListImages", &json!({})).await;
    for name in ["a", "b", "c"] {
        let refused = raw
            .call(
                "UpdateImage",
                &json!({"ImageName": name, "Description": "x"}),
            )
            .await;
        assert_eq!(refused.status, 400);
    }
    raw.control("GET", "/_sagemaker-images/state", None).await;
    let (cookie, _) = local_session(&server).await;
    let log = get(&server, &format!("{CONSOLE}/api/requests"), Some(&cookie)).await;
    let entries = log.body["requests"].as_array().expect("requests");
    assert_eq!(entries.len(), 3, "{}", log.text);
    assert!(entries.iter().all(|e| e["operation"] == "UpdateImage"));
    assert_eq!(entries[0]["errorCode"], "ResourceNotFound");
    assert_eq!(entries[0]["errorMessage"], "Image c does not exist.");
    assert_eq!(entries[0]["account"], ACCOUNT);
    assert_eq!(entries[0]["region"], REGION);

    raw.call("ListImages", &json!({})).await;
    let errors = get(
        &server,
        &format!("{CONSOLE}/api/requests?errorsOnly=true"),
        Some(&cookie),
    )
    .await;
    let errors = errors.body["requests"]
        .as_array()
        .expect("requests")
        .clone();
    assert_eq!(errors.len(), 2);
    let listed = get(
        &server,
        &format!("{CONSOLE}/api/requests?operation=ListImages"),
        Some(&cookie),
    )
    .await;
    let listed = listed.body["requests"]
        .as_array()
        .expect("requests")
        .clone();
    assert_eq!(listed.len(), 1);

    let id = errors[0]["id"].as_u64().expect("id");
    let detail = get(
        &server,
        &format!("{CONSOLE}/api/requests/{id}"),
        Some(&cookie),
    )
    .await;
    let request: Value =
        serde_json::from_str(detail.body["requestBody"]["text"].as_str().expect("text"))
            .expect("json");
    assert_eq!(request, json!({"ImageName": "c", "Description": "x"}));
    let response: Value =
        serde_json::from_str(detail.body["responseBody"]["text"].as_str().expect("text"))
            .expect("json");
    assert_eq!(response["__type"], "ResourceNotFound");
    let gone = get(&server, &format!("{CONSOLE}/api/requests/1"), Some(&cookie)).await;
    assert_eq!(
        gone.error_type(),
        "ResourceNotFound",
        "the oldest left the ring"
    );
}

#[tokio::test]
async fn bodies_are_cut_at_four_kibibytes_and_marked() {
    let server = Server::start();
    let long = "d".repeat(6000);
    server
        .raw()
        .call(
            "UpdateImage",
            &json!({"ImageName": "x", "Description": long}),
        )
        .await;
    let (cookie, _) = local_session(&server).await;
    let log = get(&server, &format!("{CONSOLE}/api/requests"), Some(&cookie)).await;
    let id = log.body["requests"][0]["id"].as_u64().expect("id");
    let detail = get(
        &server,
        &format!("{CONSOLE}/api/requests/{id}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(detail.body["requestBody"]["truncated"], true);
    assert_eq!(
        detail.body["requestBody"]["text"].as_str().map(str::len),
        Some(4096)
    );
}

#[tokio::test]
async fn a_ring_of_size_zero_records_nothing() {
    let server = Server::start_with(Options {
        extra_args: vec!["--request-log-size".into(), "0".into()],
        ..Default::default()
    });
    server.raw().call("ListImages", &json!({})).await;
    let (cookie, _) = local_session(&server).await;
    let log = get(&server, &format!("{CONSOLE}/api/requests"), Some(&cookie)).await;
    assert_eq!(log.body["enabled"], false);
    assert_eq!(log.body["requests"], json!([]));
}

fn console_link(server: &Server, key: (&str, &str)) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sagemaker-images"))
        .args(["console-link", "--endpoint", &server.endpoint])
        .env("AWS_ACCESS_KEY_ID", key.0)
        .env("AWS_SECRET_ACCESS_KEY", key.1)
        .env_remove("AWS_ENDPOINT_URL_SAGEMAKER")
        .env_remove("AWS_REGION")
        .output()
        .expect("run console-link")
}

/// The session cookie of a console login by the administrator `key`, through a `console-link` link.
pub(crate) async fn admin_session(server: &Server, key: (&str, &str)) -> String {
    let minted = console_link(server, key);
    let url = String::from_utf8_lossy(&minted.stdout).trim().to_owned();
    let login = browser().get(&url).send().await.expect("login");
    session_cookie(login.headers())
}

#[tokio::test]
async fn with_a_credentials_file_only_a_login_link_from_an_administrator_lets_a_browser_in() {
    let server = administered();
    let user = server.client_as("USERKEY", "user-secret", REGION);
    create_image(&user, "kept").await;

    for path in ["api/session", "api/scopes", "api/requests"] {
        let refused = get(&server, &format!("{CONSOLE}/{path}"), None).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.text);
        assert_eq!(refused.error_type(), "AccessDeniedException");
    }
    let not_admin = console_link(&server, ("USERKEY", "user-secret"));
    assert!(!not_admin.status.success());
    assert!(
        String::from_utf8_lossy(&not_admin.stderr).contains("not an administrator"),
        "{}",
        String::from_utf8_lossy(&not_admin.stderr)
    );

    let minted = console_link(&server, ("ADMINKEY", ADMIN_SECRET));
    assert!(
        minted.status.success(),
        "{}",
        String::from_utf8_lossy(&minted.stderr)
    );
    let url = String::from_utf8_lossy(&minted.stdout).trim().to_owned();
    assert!(
        url.starts_with(&format!("{}{CONSOLE}/login?token=", server.endpoint)),
        "{url}"
    );
    let login = browser().get(&url).send().await.expect("login");
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], format!("{CONSOLE}/"));
    let set_cookie = login.headers()["set-cookie"].to_str().expect("cookie");
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/_sagemaker-images",
        "Max-Age=",
    ] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = session_cookie(login.headers());
    let again = browser().get(&url).send().await.expect("second use");
    assert_eq!(again.status(), 403, "a login link opens one session, once");

    let session = get(&server, &format!("{CONSOLE}/api/session"), Some(&cookie)).await;
    assert_eq!(session.status, 200, "{}", session.text);
    assert_eq!(session.body["account"], "111111111111");
    let images = get(
        &server,
        &format!("{CONSOLE}/api/images?account=111111111111&region={REGION}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(images.body["images"][0]["ImageName"], "kept");

    // A session changes state through the control plane only with its CSRF token.
    let csrf = session.body["csrfToken"].as_str().expect("csrf").to_owned();
    let mut reset = server
        .raw()
        .control_request("POST", "/_sagemaker-images/reset", None);
    reset.set_header("cookie", &cookie);
    assert_eq!(server.raw().send(reset.clone()).await.status, 403);
    reset.set_header("x-csrf-token", &csrf);
    assert_eq!(server.raw().send(reset).await.status, 200);
}

#[tokio::test]
async fn no_secret_reaches_the_request_log_or_the_session() {
    let server = administered();
    let admin = server.client_as("ADMINKEY", ADMIN_SECRET, REGION);
    create_image(&admin, "signed").await;
    let refused = server
        .raw()
        .send(
            RawRequest::operation(
                server.endpoint.trim_start_matches("http://"),
                "DescribeImage",
                &json!({"ImageName": "signed"}),
            )
            .signed(&Signer {
                access_key: "ADMINKEY",
                secret: "a-wrong-secret",
                ..Signer::default()
            }),
        )
        .await;
    assert_eq!(refused.error_type(), "InvalidSignatureException");
    let cookie = admin_session(&server, ("ADMINKEY", ADMIN_SECRET)).await;

    let mut shown = String::new();
    let log = get(&server, &format!("{CONSOLE}/api/requests"), Some(&cookie)).await;
    assert!(log.body["requests"]
        .as_array()
        .is_some_and(|r| r.len() == 2));
    shown.push_str(&log.text);
    for entry in log.body["requests"].as_array().expect("requests") {
        let detail = get(
            &server,
            &format!("{CONSOLE}/api/requests/{}", entry["id"]),
            Some(&cookie),
        )
        .await;
        shown.push_str(&detail.text);
    }
    shown.push_str(
        &get(&server, &format!("{CONSOLE}/api/session"), Some(&cookie))
            .await
            .text,
    );
    for secret in [
        ADMIN_SECRET,
        "a-wrong-secret",
        "AWS4-HMAC-SHA256",
        "Signature=",
        "Credential=",
    ] {
        assert!(!shown.contains(secret), "{secret} appeared in {shown}");
    }
}

#[tokio::test]
async fn the_consoles_own_requests_stay_out_of_the_log_lines() {
    let (mut server, log) = Server::start_logging();
    let (cookie, _) = local_session(&server).await;
    get(&server, &format!("{CONSOLE}/api/requests"), Some(&cookie)).await;
    server
        .raw()
        .control("GET", "/_sagemaker-images/live", None)
        .await;
    server.terminate();
    let text = log.text();
    assert!(
        text.contains("control GET /_sagemaker-images/live"),
        "{text}"
    );
    assert!(!text.contains("/_sagemaker-images/console"), "{text}");
}
