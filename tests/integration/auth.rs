//! SigV4: every way a request can be unsigned, badly signed, altered after signing, out of the clock-skew
//! window or signed by an unknown key is refused with AWS's code and wording, and a refused request changes
//! nothing. Also: credentials files (one account per key) and the refusal to expose test/test beyond loopback.

use std::io::{BufRead, BufReader};
use std::time::{Duration, SystemTime};

use aws_sdk_sagemaker::error::ProvideErrorMetadata;
use serde_json::{json, Value};

use crate::common::raw::{RawClient, RawRequest, RawResponse, Signer};
use crate::common::{
    code, create_image, spawn_serve, wait_for_exit, Options, Server, Spawned, REGION, ROLE_ARN,
};

const DOES_NOT_MATCH: &str = "The request signature we calculated does not match the signature you \
                              provided. Check your AWS Secret Access Key and signing method. Consult the \
                              service documentation for details.";

fn assert_error(answer: &RawResponse, status: u16, error_type: &str, message_part: &str) {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(answer.error_type(), error_type, "{}", answer.text);
    assert!(
        answer.message().contains(message_part),
        "message {:?} lacks {message_part:?}",
        answer.message()
    );
}

async fn describe(raw: &RawClient, name: &str) -> Value {
    let answer = raw
        .call("DescribeImage", &json!({ "ImageName": name }))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

async fn assert_absent(raw: &RawClient, name: &str) {
    let answer = raw
        .call("DescribeImage", &json!({ "ImageName": name }))
        .await;
    assert_eq!(answer.status, 400, "{name} exists: {}", answer.text);
    assert_eq!(answer.error_type(), "ResourceNotFound", "{}", answer.text);
}

/// A correctly signed CreateImage of `name`.
fn create_request(raw: &RawClient, name: &str) -> RawRequest {
    raw.request(
        "CreateImage",
        &json!({ "ImageName": name, "RoleArn": ROLE_ARN }),
    )
}

/// The signed request's Authorization header without the `Name=...` part.
fn without_auth_part(mut request: RawRequest, name: &str) -> RawRequest {
    let authorization = request.header("authorization").expect("signed").to_owned();
    let (algorithm, rest) = authorization
        .split_once(' ')
        .expect("algorithm and parameters");
    assert_eq!(algorithm, "AWS4-HMAC-SHA256");
    let before = rest.split(',').count();
    let kept: Vec<&str> = rest
        .split(',')
        .map(str::trim)
        .filter(|part| !part.starts_with(&format!("{name}=")))
        .collect();
    assert_eq!(kept.len(), before - 1, "{authorization} has no {name}");
    request.set_header("authorization", &format!("{algorithm} {}", kept.join(", ")));
    request
}

#[tokio::test]
async fn unsigned_request_is_missing_authentication_token() {
    let server = Server::start();
    let raw = server.raw();
    let answer = raw.send(create_request(&raw, "unsigned")).await;
    assert_error(
        &answer,
        400,
        "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
    );
    assert_eq!(answer.message(), "Request is missing Authentication Token");
    assert_absent(&raw, "unsigned").await;
}

#[tokio::test]
async fn authorization_lacking_a_part_is_an_incomplete_signature() {
    let server = Server::start();
    let raw = server.raw();
    for part in ["Credential", "SignedHeaders", "Signature"] {
        let request = create_request(&raw, "incomplete").signed(&Signer::default());
        let answer = raw.send(without_auth_part(request, part)).await;
        assert_error(
            &answer,
            400,
            "IncompleteSignatureException",
            &format!("Authorization header requires '{part}' parameter."),
        );
    }
    // An empty value is as good as none.
    let mut request = create_request(&raw, "incomplete").signed(&Signer::default());
    let authorization = request.header("authorization").unwrap().to_owned();
    let (head, _) = authorization.split_once("Signature=").unwrap();
    request.set_header("authorization", &format!("{head}Signature="));
    let answer = raw.send(request).await;
    assert_error(
        &answer,
        400,
        "IncompleteSignatureException",
        "requires 'Signature' parameter",
    );
    assert_absent(&raw, "incomplete").await;
}

#[tokio::test]
async fn missing_x_amz_date_is_an_incomplete_signature() {
    let server = Server::start();
    let raw = server.raw();
    let mut request = create_request(&raw, "undated").signed(&Signer::default());
    assert!(request.header("x-amz-date").is_some());
    request.remove_header("x-amz-date");
    let answer = raw.send(request).await;
    assert_error(&answer, 400, "IncompleteSignatureException", "'X-Amz-Date'");
    assert_absent(&raw, "undated").await;
}

#[tokio::test]
async fn unknown_access_key_is_an_unrecognized_client() {
    let server = Server::start();
    let raw = server.raw();
    let signer = Signer {
        access_key: "AKIDUNKNOWN",
        secret: "test",
        ..Default::default()
    };
    let answer = raw
        .send(create_request(&raw, "stranger").signed(&signer))
        .await;
    assert_error(
        &answer,
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    assert_eq!(
        answer.message(),
        "The security token included in the request is invalid."
    );
    assert_absent(&raw, "stranger").await;
}

#[tokio::test]
async fn wrong_secret_is_an_invalid_signature() {
    let server = Server::start();
    let raw = server.raw();
    let signer = Signer {
        secret: "not-the-secret",
        ..Default::default()
    };
    let answer = raw
        .send(create_request(&raw, "forged").signed(&signer))
        .await;
    assert_error(&answer, 400, "InvalidSignatureException", "does not match");
    assert_eq!(answer.message(), DOES_NOT_MATCH);
    assert_absent(&raw, "forged").await;
}

#[tokio::test]
async fn requests_altered_after_signing_are_refused_and_change_nothing() {
    let server = Server::start();
    let client = server.client();
    let raw = server.raw();
    create_image(&client, "target").await;
    let update = json!({ "ImageName": "target", "Description": "signed" });
    let before = describe(&raw, "target").await;

    // The body.
    let mut request = raw
        .request("UpdateImage", &update)
        .signed(&Signer::default());
    request.body =
        serde_json::to_vec(&json!({ "ImageName": "target", "Description": "altered" })).unwrap();
    let answer = raw.send(request).await;
    assert_error(&answer, 400, "InvalidSignatureException", "does not match");
    assert_eq!(answer.message(), DOES_NOT_MATCH);
    assert_eq!(describe(&raw, "target").await, before);

    // The operation: a signed DescribeImage turned into DeleteImage.
    let mut request = raw
        .request("DescribeImage", &json!({ "ImageName": "target" }))
        .signed(&Signer::default());
    request.set_header("x-amz-target", "SageMaker.DeleteImage");
    let answer = raw.send(request).await;
    assert_error(&answer, 400, "InvalidSignatureException", "does not match");
    assert_eq!(describe(&raw, "target").await, before);

    // Another signed header.
    let mut request = raw
        .request("UpdateImage", &update)
        .signed(&Signer::default());
    request.set_header("content-type", "application/json");
    let answer = raw.send(request).await;
    assert_error(&answer, 400, "InvalidSignatureException", "does not match");
    assert_eq!(describe(&raw, "target").await, before);

    // The signed request itself, unaltered, goes through.
    let answer = raw
        .send(
            raw.request("UpdateImage", &update)
                .signed(&Signer::default()),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(describe(&raw, "target").await["Description"], "signed");
}

fn signed_at(offset_seconds: i64) -> Signer<'static> {
    let now = SystemTime::now();
    let offset = Duration::from_secs(offset_seconds.unsigned_abs());
    Signer {
        time: if offset_seconds < 0 {
            now - offset
        } else {
            now + offset
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn clock_skew_window_is_fifteen_minutes_either_way() {
    let server = Server::start();
    let raw = server.raw();

    let request = create_request(&raw, "old").signed(&signed_at(-16 * 60));
    let date = request.header("x-amz-date").unwrap().to_owned();
    let answer = raw.send(request).await;
    assert_error(
        &answer,
        400,
        "InvalidSignatureException",
        &format!("Signature expired: {date} is now earlier than "),
    );
    assert!(
        answer.message().ends_with(" - 15 min.)"),
        "{}",
        answer.message()
    );
    assert_absent(&raw, "old").await;

    let request = create_request(&raw, "early").signed(&signed_at(16 * 60));
    let date = request.header("x-amz-date").unwrap().to_owned();
    let answer = raw.send(request).await;
    assert_error(
        &answer,
        400,
        "InvalidSignatureException",
        &format!("Signature not yet current: {date} is still later than "),
    );
    assert!(
        answer.message().ends_with(" + 15 min.)"),
        "{}",
        answer.message()
    );
    assert_absent(&raw, "early").await;

    for (name, offset) in [("past", -14 * 60), ("future", 14 * 60)] {
        let answer = raw
            .send(create_request(&raw, name).signed(&signed_at(offset)))
            .await;
        assert_eq!(answer.status, 200, "{name}: {}", answer.text);
        describe(&raw, name).await;
    }
}

#[tokio::test]
async fn credential_scoped_to_another_service_is_refused() {
    let server = Server::start();
    let raw = server.raw();
    let signer = Signer {
        service: "s3",
        ..Default::default()
    };
    let answer = raw.send(create_request(&raw, "s3").signed(&signer)).await;
    assert_error(
        &answer,
        400,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'sagemaker'.",
    );
    assert_eq!(
        answer.message(),
        "Credential should be scoped to correct service: 'sagemaker'."
    );
    assert_absent(&raw, "s3").await;
}

#[tokio::test]
async fn unsigned_x_amz_target_is_refused() {
    let server = Server::start();
    let raw = server.raw();
    let mut request = create_request(&raw, "loose");
    request.remove_header("x-amz-target");
    let mut request = request.signed(&Signer::default());
    let authorization = request.header("authorization").unwrap().to_owned();
    assert!(!authorization.contains("x-amz-target"), "{authorization}");
    request.set_header("x-amz-target", "SageMaker.CreateImage");
    let answer = raw.send(request).await;
    assert_error(
        &answer,
        400,
        "InvalidSignatureException",
        "'x-amz-target' must be a 'SignedHeader'",
    );
    assert_absent(&raw, "loose").await;
}

const TWO_ACCOUNTS: &str = r#"
[[credentials]]
access_key_id = "AKIDALPHA"
secret_access_key = "alpha-secret"
account_id = "111111111111"

[[credentials]]
access_key_id = "AKIDBETA"
secret_access_key = "beta-secret"
account_id = "222222222222"
"#;

#[tokio::test]
async fn credentials_file_keys_belong_to_separate_accounts() {
    let server = Server::start_with(Options {
        credentials_toml: Some(TWO_ACCOUNTS.to_owned()),
        ..Default::default()
    });
    let alpha = server.client_as("AKIDALPHA", "alpha-secret", REGION);
    let beta = server.client_as("AKIDBETA", "beta-secret", REGION);

    create_image(&alpha, "Mine").await;
    let image = alpha
        .describe_image()
        .image_name("Mine")
        .send()
        .await
        .expect("alpha sees its image");
    assert_eq!(
        image.image_arn(),
        Some("arn:aws:sagemaker:us-east-1:111111111111:image/mine")
    );

    let e = beta
        .describe_image()
        .image_name("Mine")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    let listed = beta.list_images().send().await.expect("beta lists");
    assert!(listed.images().is_empty(), "{listed:?}");

    create_image(&beta, "Mine").await;
    let image = beta
        .describe_image()
        .image_name("Mine")
        .send()
        .await
        .expect("beta sees its own image");
    assert_eq!(
        image.image_arn(),
        Some("arn:aws:sagemaker:us-east-1:222222222222:image/mine")
    );
    let listed = alpha.list_images().send().await.expect("alpha lists");
    assert_eq!(listed.images().len(), 1);

    // The well-known pair is no longer accepted; neither is a known key with another key's secret.
    let e = server.client().list_images().send().await.unwrap_err();
    assert_eq!(code(&e), "UnrecognizedClientException", "{e:?}");
    let answer = server.raw().call("ListImages", &json!({})).await;
    assert_error(
        &answer,
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    let e = server
        .client_as("AKIDALPHA", "beta-secret", REGION)
        .list_images()
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidSignatureException", "{e:?}");
}

#[tokio::test]
async fn well_known_credentials_are_refused_beyond_loopback() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut spawned = spawn_serve(data_dir.path(), &["--listen", "0.0.0.0:0"]);
    let (status, stderr) = wait_for_exit(&mut spawned);
    assert!(!status.success(), "exited with {status}; stderr: {stderr}");
    assert!(
        stderr.contains("test/test credentials") && stderr.contains("--credentials"),
        "stderr does not explain the refusal: {stderr}"
    );

    // A credentials file that still lists test/test is refused the same way.
    let mut spawned = spawn_on_any_address(
        data_dir.path(),
        "[[credentials]]\naccess_key_id = \"test\"\nsecret_access_key = \"test\"\naccount_id = \"000000000000\"\n",
    );
    let (status, stderr) = wait_for_exit(&mut spawned);
    assert!(!status.success(), "exited with {status}; stderr: {stderr}");
    assert!(stderr.contains("test/test credentials"), "{stderr}");
}

#[tokio::test]
async fn well_known_credentials_beyond_loopback_need_the_explicit_opt_in() {
    let data_dir = tempfile::tempdir().unwrap();
    let mut spawned = spawn_serve(
        data_dir.path(),
        &[
            "--listen",
            "0.0.0.0:0",
            "--allow-test-credentials-on-any-address",
        ],
    );
    let port = listening_port(&mut spawned, "0.0.0.0");
    let raw = RawClient::new(&format!("http://127.0.0.1:{port}"));
    let answer = raw
        .send(
            raw.request("ListImages", &json!({}))
                .signed(&Signer::default()),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    drop(spawned);
}

/// A server on every address (port 0) whose credentials file holds `credentials`.
fn spawn_on_any_address(data_dir: &std::path::Path, credentials: &str) -> Spawned {
    let path = data_dir.join("credentials.toml");
    std::fs::write(&path, credentials).expect("write the credentials file");
    let path = path.to_str().expect("a UTF-8 path");
    spawn_serve(data_dir, &["--listen", "0.0.0.0:0", "--credentials", path])
}

/// The port of a server spawned on `host`, from its first line.
fn listening_port(spawned: &mut Spawned, host: &str) -> String {
    let mut line = String::new();
    BufReader::new(spawned.0.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("read the listening line");
    let port = line
        .trim()
        .strip_prefix(&format!("sagemaker-images listening on http://{host}:"))
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    assert!(spawned.0.try_wait().unwrap().is_none(), "the server exited");
    port
}

#[tokio::test]
async fn own_credentials_may_listen_beyond_loopback() {
    let data_dir = tempfile::tempdir().expect("a data directory");
    let mut spawned = spawn_on_any_address(data_dir.path(), TWO_ACCOUNTS);
    let port = listening_port(&mut spawned, "0.0.0.0");

    let raw = RawClient::new(&format!("http://127.0.0.1:{port}"));
    let signer = Signer {
        access_key: "AKIDBETA",
        secret: "beta-secret",
        ..Default::default()
    };
    let answer = raw
        .send(raw.request("ListImages", &json!({})).signed(&signer))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["Images"], json!([]));
    drop(spawned);
}

#[tokio::test]
async fn sdk_with_wrong_secret_gets_invalid_signature() {
    let server = Server::start();
    let client = server.client_as("test", "wrong-secret", REGION);
    let e = client
        .create_image()
        .image_name("sdk-forged")
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidSignatureException", "{e:?}");
    let message = e.as_service_error().and_then(|e| e.message());
    assert_eq!(message, Some(DOES_NOT_MATCH));
    assert_absent(&server.raw(), "sdk-forged").await;
}
