//! The control plane: health and liveness, who may use the rest, reset, state and initial state, and the
//! request log.

use serde_json::{json, Value};

use crate::common::raw::{RawRequest, Signer};
use crate::common::{code, create_image, image_arn, Options, Server, ACCOUNT, REGION, ROLE_ARN};

async fn image_names(client: &aws_sdk_sagemaker::Client) -> Vec<String> {
    let mut names: Vec<String> = client
        .list_images()
        .send()
        .await
        .expect("list images")
        .images()
        .iter()
        .filter_map(|i| i.image_name().map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn health_and_liveness_answer_anyone_with_localstacks_shape() {
    let server = Server::start_with(Options {
        credentials_toml: Some(admin_credentials()),
        ..Default::default()
    });
    let raw = server.raw();
    for (method, path) in [
        ("GET", "/_sagemaker-images/health"),
        ("HEAD", "/_sagemaker-images/health"),
        ("GET", "/_localstack/health"),
        ("HEAD", "/_localstack/health"),
        ("GET", "/_sagemaker-images/live"),
    ] {
        let response = raw.control(method, path, None).await;
        assert_eq!(response.status, 200, "{method} {path}: {}", response.text);
        if method == "GET" && path.ends_with("health") {
            assert_eq!(response.body["services"]["sagemaker"], "running");
            assert_eq!(response.body["edition"], "sagemaker-images");
            assert_eq!(response.body["version"], env!("CARGO_PKG_VERSION"));
        }
    }
}

/// An administrator's key and a user's, both of account 111111111111.
pub fn admin_credentials() -> String {
    r#"
[[credentials]]
access_key_id = "ADMINKEY"
secret_access_key = "admin-secret"
account_id = "111111111111"
admin = true

[[credentials]]
access_key_id = "USERKEY"
secret_access_key = "user-secret"
account_id = "111111111111"
"#
    .to_owned()
}

#[tokio::test]
async fn with_a_credentials_file_only_an_administrators_signature_opens_the_control_plane() {
    let server = Server::start_with(Options {
        credentials_toml: Some(admin_credentials()),
        ..Default::default()
    });
    let user = server.client_as("USERKEY", "user-secret", REGION);
    create_image(&user, "kept").await;
    let raw = server.raw();
    let signer = |access_key, secret| Signer {
        access_key,
        secret,
        ..Signer::default()
    };
    let reset = || raw.control_request("POST", "/_sagemaker-images/reset", None);
    let refused: Vec<(&str, RawRequest)> = vec![
        ("unsigned", reset()),
        (
            "signed by a user",
            reset().signed(&signer("USERKEY", "user-secret")),
        ),
        (
            "wrong secret",
            reset().signed(&signer("ADMINKEY", "not-the-secret")),
        ),
        ("unknown key", reset().signed(&signer("test", "test"))),
        (
            "state unsigned",
            raw.control_request("GET", "/_sagemaker-images/state", None),
        ),
    ];
    for (case, request) in refused {
        let response = raw.send(request).await;
        assert_eq!(response.status, 403, "{case}: {}", response.text);
        assert_eq!(response.error_type(), "AccessDeniedException", "{case}");
        assert_eq!(image_names(&user).await, ["kept"], "{case} changed nothing");
    }
    let response = raw
        .send(reset().signed(&signer("ADMINKEY", "admin-secret")))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert!(image_names(&user).await.is_empty());
}

#[tokio::test]
async fn with_the_built_in_key_a_page_of_another_origin_cannot_change_state() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "kept").await;
    let raw = server.raw();
    let host = server.endpoint.trim_start_matches("http://").to_owned();
    let with_header = |name: &str, value: &str| {
        let mut request = raw.control_request("POST", "/_sagemaker-images/reset", None);
        request.set_header(name, value);
        request
    };
    for (case, request) in [
        (
            "foreign origin",
            with_header("origin", "http://evil.example"),
        ),
        ("other port", with_header("origin", "http://127.0.0.1:1")),
    ] {
        let response = raw.send(request).await;
        assert_eq!(response.status, 403, "{case}: {}", response.text);
        assert_eq!(response.error_type(), "AccessDeniedException", "{case}");
    }
    // A name that resolves here but is not a loopback name (DNS rebinding): the HTTP client would send
    // the address it connects to, so this request is written by hand.
    let answer = send_with_host(&host, "images.example.com", "POST /_sagemaker-images/reset").await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("AccessDeniedException"), "{answer}");
    assert_eq!(image_names(&client).await, ["kept"]);
    // Reading needs no origin check; the server's own origin may change state.
    let state = raw.control("GET", "/_sagemaker-images/state", None).await;
    assert_eq!(state.status, 200);
    let own = raw
        .send(with_header("origin", &format!("http://{host}")))
        .await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert!(image_names(&client).await.is_empty());
}

/// Sends `request_line` to `address` with `host` as its Host header; the whole answer.
async fn send_with_host(address: &str, host: &str, request_line: &str) -> String {
    let request = format!(
        "{request_line} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    crate::common::raw::exchange(address, &request).await
}

#[tokio::test]
async fn reset_empties_the_store_and_numbering_starts_again() {
    let server = Server::start();
    let client = server.client();
    let raw = server.raw();
    create_image(&client, "img").await;
    for token in ["a", "b"] {
        client
            .create_image_version()
            .image_name("img")
            .base_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1")
            .client_token(token)
            .send()
            .await
            .expect("version");
    }
    client
        .create_app_image_config()
        .app_image_config_name("cfg")
        .send()
        .await
        .expect("config");
    let response = raw.control("POST", "/_localstack/state/reset", None).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert!(image_names(&client).await.is_empty());
    let configs = client.list_app_image_configs().send().await.expect("list");
    assert!(configs.app_image_configs().is_empty());
    assert_eq!(
        raw.control("GET", "/_sagemaker-images/state", None)
            .await
            .body,
        json!({ "accounts": {} })
    );
    create_image(&client, "img").await;
    let version = client
        .create_image_version()
        .image_name("img")
        .base_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1")
        .client_token("a")
        .send()
        .await
        .expect("version");
    assert!(version
        .image_version_arn()
        .unwrap_or("")
        .ends_with("/img/1"));
    // Tags of the old image went with it.
    let tags = client
        .list_tags()
        .resource_arn(image_arn("img"))
        .send()
        .await
        .expect("tags");
    assert!(tags.tags().is_empty());
}

#[tokio::test]
async fn a_reset_narrowed_to_a_region_leaves_the_others() {
    let server = Server::start();
    let east = server.client();
    let west = server.client_as("test", "test", "us-west-2");
    create_image(&east, "east").await;
    create_image(&west, "west").await;
    let response = server
        .raw()
        .control(
            "POST",
            "/_sagemaker-images/reset",
            Some(&json!({ "region": "us-west-2" })),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert!(image_names(&west).await.is_empty());
    assert_eq!(image_names(&east).await, ["east"]);
    let bad = server
        .raw()
        .control(
            "POST",
            "/_sagemaker-images/reset",
            Some(&json!({ "region": "us west" })),
        )
        .await;
    assert_eq!(bad.error_type(), "ValidationException");
    assert_eq!(image_names(&east).await, ["east"]);
}

fn initial_state() -> Value {
    json!({ "accounts": { ACCOUNT: { REGION: {
        "Images": [{
            "ImageName": "Seeded",
            "RoleArn": ROLE_ARN,
            "DisplayName": "Seeded image",
            "Tags": [{ "Key": "team", "Value": "ml" }],
        }],
        "ImageVersions": [
            { "ImageName": "Seeded", "BaseImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1" },
            {
                "ImageName": "Seeded",
                "BaseImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:2",
                "Aliases": ["latest"],
                "JobType": "TRAINING",
            },
        ],
        "AppImageConfigs": [{
            "AppImageConfigName": "seeded-config",
            "KernelGatewayImageConfig": { "KernelSpecs": [{ "Name": "python3" }] },
            "Tags": [{ "Key": "team", "Value": "ml" }],
        }],
    }}}})
}

#[tokio::test]
async fn an_initial_state_is_created_settled_and_applying_it_again_changes_nothing() {
    let server = Server::start_with(Options {
        transition_delay: Some("10s"),
        ..Default::default()
    });
    let client = server.client();
    let raw = server.raw();
    let first = raw
        .control("POST", "/_sagemaker-images/state", Some(&initial_state()))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["created"].as_array().map(Vec::len), Some(4));
    assert_eq!(first.body["existing"], json!([]));
    let image = client
        .describe_image()
        .image_name("seeded")
        .send()
        .await
        .expect("image");
    assert_eq!(image.image_status().map(|s| s.as_str()), Some("CREATED"));
    assert_eq!(image.display_name(), Some("Seeded image"));
    let latest = client
        .describe_image_version()
        .image_name("Seeded")
        .alias("latest")
        .send()
        .await
        .expect("version by alias");
    assert_eq!(latest.version(), Some(2));
    assert_eq!(
        latest.image_version_status().map(|s| s.as_str()),
        Some("CREATED")
    );
    let config = client
        .describe_app_image_config()
        .app_image_config_name("seeded-config")
        .send()
        .await
        .expect("config");
    assert!(config.kernel_gateway_image_config().is_some());
    let before = raw
        .control("GET", "/_sagemaker-images/state", None)
        .await
        .body;
    let second = raw
        .control("POST", "/_sagemaker-images/state", Some(&initial_state()))
        .await;
    assert_eq!(second.body["created"], json!([]));
    assert_eq!(second.body["existing"], first.body["created"]);
    assert_eq!(
        raw.control("GET", "/_sagemaker-images/state", None)
            .await
            .body,
        before
    );
}

#[tokio::test]
async fn what_state_answers_can_be_fed_back_as_an_initial_state() {
    let source = Server::start();
    let raw = source.raw();
    raw.control("POST", "/_sagemaker-images/state", Some(&initial_state()))
        .await;
    let client = source.client();
    client
        .delete_image_version()
        .image_name("Seeded")
        .version(1)
        .send()
        .await
        .expect("delete version 1");
    let state = raw
        .control("GET", "/_sagemaker-images/state", None)
        .await
        .body;
    let scope = &state["accounts"][ACCOUNT][REGION];
    assert_eq!(scope["Images"][0]["ImageStatus"], "CREATED");
    assert_eq!(
        scope["Images"][0]["Tags"],
        json!([{ "Key": "team", "Value": "ml" }])
    );
    assert_eq!(scope["ImageVersions"].as_array().map(Vec::len), Some(1));
    assert_eq!(scope["ImageVersions"][0]["Aliases"], json!(["latest"]));

    let copy = Server::start();
    let applied = copy
        .raw()
        .control("POST", "/_sagemaker-images/state", Some(&state))
        .await;
    assert_eq!(applied.status, 200, "{}", applied.text);
    let copied = copy
        .raw()
        .control("GET", "/_sagemaker-images/state", None)
        .await
        .body;
    let without_times = |mut state: Value| {
        for kind in ["Images", "ImageVersions", "AppImageConfigs"] {
            for entry in state["accounts"][ACCOUNT][REGION][kind]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                let entry = entry.as_object_mut().expect("an entry");
                entry.remove("CreationTime");
                entry.remove("LastModifiedTime");
            }
        }
        state
    };
    assert_eq!(without_times(copied), without_times(state));
}

#[tokio::test]
async fn an_initial_state_with_a_bad_member_is_refused_whole() {
    let server = Server::start();
    let raw = server.raw();
    let mut document = initial_state();
    document["accounts"][ACCOUNT][REGION]["AppImageConfigs"][0]["AppImageConfigName"] =
        json!("not a valid name");
    let response = raw
        .control("POST", "/_sagemaker-images/state", Some(&document))
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.error_type(), "ValidationException");
    assert!(
        response.message().starts_with(
            "accounts.000000000000.us-east-1.AppImageConfigs[0]: 1 validation error detected: \
             Value 'not a valid name' at 'appImageConfigName' failed to satisfy constraint"
        ),
        "{}",
        response.message()
    );
    assert!(
        image_names(&server.client()).await.is_empty(),
        "nothing was applied"
    );
    let orphan = json!({ "accounts": { ACCOUNT: { REGION: {
        "ImageVersions": [{ "ImageName": "missing", "BaseImage": "b" }],
    }}}});
    let response = raw
        .control("POST", "/_sagemaker-images/state", Some(&orphan))
        .await;
    assert_eq!(
        response.error_type(),
        "ValidationException",
        "{}",
        response.text
    );
}

#[tokio::test]
async fn serve_applies_an_initial_state_file_at_start() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("state.json");
    std::fs::write(&path, initial_state().to_string()).expect("write");
    let server = Server::start_with(Options {
        extra_args: vec!["--init-state".into(), path.display().to_string()],
        ..Default::default()
    });
    assert_eq!(image_names(&server.client()).await, ["Seeded"]);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"accounts": {"1": {}}}"#).expect("write");
    let data = tempfile::tempdir().expect("dir");
    let mut spawned = crate::common::spawn_serve(
        data.path(),
        &[
            "--listen",
            "127.0.0.1:0",
            "--init-state",
            &bad.display().to_string(),
        ],
    );
    let (status, stderr) = crate::common::wait_for_exit(&mut spawned);
    assert!(!status.success());
    assert!(
        stderr.contains("accounts.1: an account id is 12 digits"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_missing_resource_is_resource_not_found_whatever_the_user_agent() {
    let server = Server::start();
    let raw = server.raw();
    for user_agent in [
        "Boto3/1.44.8 md/Botocore#1.44.8 ua/2.1 os/linux m/B,Z Botocore/1.44.8",
        "aws-sdk-rust/1.3 os/linux lang/rust#1.95",
    ] {
        let mut request = raw.request("DescribeImage", &json!({ "ImageName": "gone" }));
        request.set_header("user-agent", user_agent);
        let response = raw.send(request.signed(&Signer::default())).await;
        assert_eq!(response.error_type(), "ResourceNotFound", "{user_agent}");
        assert_eq!(response.message(), "Image gone does not exist.");
    }
}

#[tokio::test]
async fn each_request_is_logged_on_one_line() {
    let (mut server, log) = Server::start_logging();
    let client = server.client();
    create_image(&client, "logged").await;
    let error = client
        .create_image()
        .image_name("logged")
        .role_arn(ROLE_ARN)
        .send()
        .await
        .expect_err("a duplicate");
    assert_eq!(code(&error), "ResourceInUse");
    server
        .raw()
        .control("GET", "/_sagemaker-images/live", None)
        .await;
    server.terminate();
    let text = log.text();
    let line = regex::Regex::new(
        r"sagemaker\.CreateImage 000000000000/us-east-1 => 400 ResourceInUse \(\d+\.\d ms\)",
    )
    .expect("regex");
    assert!(line.is_match(&text), "{text}");
    assert!(
        text.contains("sagemaker.CreateImage 000000000000/us-east-1 => 200 ("),
        "{text}"
    );
    assert!(
        text.contains("control GET /_sagemaker-images/live - => 200 ("),
        "{text}"
    );
}
