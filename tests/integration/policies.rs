//! Identity-based policies of the keys in a credentials file: which action and resource each operation is
//! checked against, IAM's refusal, that a refused call changes nothing and draws no fault, the resource's
//! stored tags, `iam:PassRole`, a policy that stops the server at start, and what an operator sees.

use serde_json::{json, Value};

use crate::common::cases::{assert_refused, check_raw_refused, Failures};
use crate::common::raw::{RawRequest, RawResponse, Signer};
use crate::common::{
    code, message, spawn_serve, tag, wait_for_exit, Options, Server, BASE_IMAGE, REGION,
};

const ACCOUNT: &str = "111111111111";
const ROLE: &str = "arn:aws:iam::111111111111:role/SageMaker-ci";
const IMAGE: &str = "arn:aws:sagemaker:us-east-1:111111111111:image/base";
const CONFIG: &str = "arn:aws:sagemaker:us-east-1:111111111111:app-image-config/cfg";
const VERSION: &str = "arn:aws:sagemaker:us-east-1:111111111111:image-version/base/1";

/// Each operation, a body naming its resource, and the action and resource it must be checked against:
/// the Service Authorization Reference's rows, one case each.
fn rows() -> Vec<(&'static str, Value, &'static str)> {
    #[rustfmt::skip]
    let rows = vec![
        ("AddTags", json!({"ResourceArn": IMAGE, "Tags": [{"Key": "k", "Value": "v"}]}), IMAGE),
        ("CreateAppImageConfig", json!({"AppImageConfigName": "Cfg"}), CONFIG),
        ("CreateImage", json!({"ImageName": "Base", "RoleArn": ROLE}), IMAGE),
        ("CreateImageVersion", json!({"ImageName": "base", "BaseImage": BASE_IMAGE, "ClientToken": "t"}), IMAGE),
        ("DeleteAppImageConfig", json!({"AppImageConfigName": "cfg"}), CONFIG),
        ("DeleteImage", json!({"ImageName": "base"}), IMAGE),
        ("DeleteImageVersion", json!({"ImageName": "base", "Version": 1}), IMAGE),
        ("DeleteTags", json!({"ResourceArn": CONFIG, "TagKeys": ["k"]}), CONFIG),
        ("DescribeAppImageConfig", json!({"AppImageConfigName": "cfg"}), CONFIG),
        ("DescribeImage", json!({"ImageName": "base"}), IMAGE),
        ("DescribeImageVersion", json!({"ImageName": "base", "Version": 1}), IMAGE),
        ("ListAliases", json!({"ImageName": "base"}), IMAGE),
        ("ListAppImageConfigs", json!({}), "*"),
        ("ListImageVersions", json!({"ImageName": "base"}), IMAGE),
        ("ListImages", json!({}), "*"),
        ("ListTags", json!({"ResourceArn": VERSION}), VERSION),
        ("UpdateAppImageConfig", json!({"AppImageConfigName": "cfg"}), CONFIG),
        ("UpdateImage", json!({"ImageName": "base", "RoleArn": ROLE}), IMAGE),
        ("UpdateImageVersion", json!({"ImageName": "base", "Version": 1}), IMAGE),
    ];
    rows
}

/// A `[[credentials]]` table of account 111111111111 with one inline policy.
fn key_with_policy(key: &str, user: &str, statements: Value) -> String {
    let policy = json!({"Version": "2012-10-17", "Statement": statements});
    format!(
        "[[credentials]]\naccess_key_id = \"{key}\"\nsecret_access_key = \"{key}-secret\"\n\
         account_id = \"{ACCOUNT}\"\nuser = \"{user}\"\npolicy = '''{policy}'''\n\n"
    )
}

/// An administrator with no policy (everything in its account), and the keys of `others`.
fn server_with(others: &[String]) -> Server {
    let admin = format!(
        "[[credentials]]\naccess_key_id = \"ADMIN\"\nsecret_access_key = \"ADMIN-secret\"\n\
         account_id = \"{ACCOUNT}\"\nadmin = true\n\n"
    );
    Server::start_with(Options {
        credentials_toml: Some(admin + &others.concat()),
        ..Default::default()
    })
}

fn signer(key: &str) -> (String, String) {
    (key.to_owned(), format!("{key}-secret"))
}

/// `operation` with `body`, signed by `key`.
async fn call_as(server: &Server, key: &str, operation: &str, body: &Value) -> RawResponse {
    let (access_key, secret) = signer(key);
    let request = server.raw().request(operation, body).signed(&Signer {
        access_key: &access_key,
        secret: &secret,
        ..Signer::default()
    });
    server.raw().send(request).await
}

/// A control-plane request signed by the administrator.
fn as_admin(server: &Server, method: &str, path: &str, body: Option<&Value>) -> RawRequest {
    server
        .raw()
        .control_request(method, path, body)
        .signed(&Signer {
            access_key: "ADMIN",
            secret: "ADMIN-secret",
            ..Signer::default()
        })
}

fn refusal(action: &str, resource: &str, why: &str) -> String {
    format!(
        "User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: {action} on resource: \
         {resource} {why}"
    )
}

fn no_allow(action: &str) -> String {
    format!("because no identity-based policy allows the {action} action")
}

const EXPLICIT: &str = "with an explicit deny in an identity-based policy";

#[tokio::test]
async fn each_operation_is_checked_against_its_row_of_the_reference() {
    let exact: Vec<Value> = rows()
        .iter()
        .map(|(operation, _, resource)| {
            json!({"Effect": "Allow", "Action": format!("sagemaker:{operation}"), "Resource": resource})
        })
        .chain([json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE})])
        .collect();
    let server = server_with(&[
        key_with_policy(
            "NOTHING",
            "ci",
            json!([{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]),
        ),
        key_with_policy("EXACT", "exact", Value::Array(exact)),
    ]);
    let mut failures = Failures::default();
    for (operation, body, resource) in rows() {
        let action = format!("sagemaker:{operation}");
        let refused = call_as(&server, "NOTHING", operation, &body).await;
        let expected = refusal(&action, resource, &no_allow(&action));
        failures.check(
            &format!("{operation} refused"),
            check_raw_refused(&refused, "AccessDeniedException", &[]),
        );
        failures.compare(
            &format!("{operation} message"),
            refused.message(),
            expected.as_str(),
        );
        let allowed = call_as(&server, "EXACT", operation, &body).await;
        failures.check(
            &format!("{operation} allowed"),
            match allowed.error_type() {
                "AccessDeniedException" => Err(allowed.text),
                _ => Ok(()),
            },
        );
    }
    failures.assert_none();
}

#[tokio::test]
async fn a_refused_call_changes_nothing_draws_no_fault_and_comes_before_validation() {
    let server = server_with(&[key_with_policy(
        "CI",
        "ci",
        json!([{"Effect": "Allow", "Action": ["sagemaker:Describe*", "sagemaker:List*"], "Resource": "*"}]),
    )]);
    let fault = json!([{"service": "sagemaker", "operation": "CreateImage", "probability": 1.0,
                         "error": {"statusCode": 503, "code": "ServiceUnavailable"}}]);
    let set = server
        .raw()
        .send(as_admin(
            &server,
            "POST",
            "/_localstack/chaos/faults",
            Some(&fault),
        ))
        .await;
    assert_eq!(set.status, 200, "{}", set.text);

    // Through the SDK, as a user's code sees it.
    let ci = server.client_as("CI", "CI-secret", REGION);
    let refused = ci
        .create_image()
        .image_name("base")
        .role_arn(ROLE)
        .send()
        .await
        .expect_err("a read-only key may not create");
    assert_eq!(code(&refused), "AccessDeniedException");
    let action = "sagemaker:CreateImage";
    assert_eq!(message(&refused), refusal(action, IMAGE, &no_allow(action)));
    // Authorised before it is validated, as AWS does: an invalid name is refused for access, not shape.
    let invalid = call_as(
        &server,
        "CI",
        "CreateImage",
        &json!({"ImageName": "not valid!"}),
    )
    .await;
    check_raw_refused(
        &invalid,
        "AccessDeniedException",
        &["sagemaker:CreateImage"],
    )
    .unwrap_or_else(|why| panic!("{why}"));
    let listed = ci.list_images().send().await.expect("the key may list");
    assert!(
        listed.images().is_empty(),
        "the refused call created nothing"
    );
    // The fault rule is still there for a call that is allowed.
    let admin = server.client_as("ADMIN", "ADMIN-secret", REGION);
    let faulted = admin
        .create_image()
        .image_name("base")
        .role_arn(ROLE)
        .send()
        .await;
    assert_refused(faulted, "ServiceUnavailable", &[]);
}

#[tokio::test]
async fn resource_tags_are_read_as_stored_at_each_call() {
    let server = server_with(&[key_with_policy(
        "CI",
        "ci",
        json!([
            {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "sagemaker:Delete*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/stage": "prod"}}}
        ]),
    )]);
    let admin = server.client_as("ADMIN", "ADMIN-secret", REGION);
    let ci = server.client_as("CI", "CI-secret", REGION);
    for (name, stage) in [("base", "prod"), ("scratch", "dev")] {
        admin
            .create_image()
            .image_name(name)
            .role_arn(ROLE)
            .tags(tag("stage", stage))
            .send()
            .await
            .expect("create");
    }
    ci.delete_image()
        .image_name("scratch")
        .send()
        .await
        .expect("a dev image may be deleted");
    let refused = ci
        .delete_image()
        .image_name("base")
        .send()
        .await
        .expect_err("a prod image may not be deleted");
    assert_eq!(code(&refused), "AccessDeniedException");
    assert_eq!(
        message(&refused),
        refusal("sagemaker:DeleteImage", IMAGE, EXPLICIT)
    );
    admin
        .add_tags()
        .resource_arn(IMAGE)
        .tags(tag("stage", "dev"))
        .send()
        .await
        .expect("retag");
    ci.delete_image()
        .image_name("base")
        .send()
        .await
        .expect("retagged, it may be deleted");
}

#[tokio::test]
async fn a_role_handed_to_sagemaker_needs_pass_role() {
    let server = server_with(&[key_with_policy(
        "CI",
        "ci",
        json!([
            {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111111111111:role/SageMaker-*",
             "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}}
        ]),
    )]);
    let admin_role = "arn:aws:iam::111111111111:role/Admin";
    let mut failures = Failures::default();
    #[rustfmt::skip]
    let cases = [
        ("CreateImage", json!({"ImageName": "base", "RoleArn": ROLE}), None),
        ("CreateImage", json!({"ImageName": "other", "RoleArn": admin_role}), Some(admin_role)),
        ("UpdateImage", json!({"ImageName": "base", "RoleArn": admin_role}), Some(admin_role)),
        ("UpdateImage", json!({"ImageName": "base", "RoleArn": ROLE}), None),
        ("UpdateImage", json!({"ImageName": "base", "Description": "no role"}), None),
    ];
    for (operation, body, refused_role) in cases {
        let answer = call_as(&server, "CI", operation, &body).await;
        let name = format!("{operation} {body}");
        match refused_role {
            Some(role) => {
                let expected = refusal("iam:PassRole", role, &no_allow("iam:PassRole"));
                failures.compare(&name, answer.message(), expected.as_str());
            }
            None => failures.compare(&name, answer.status, 200),
        }
    }
    failures.assert_none();
}

#[tokio::test]
async fn denials_are_counted_by_operation_and_shown_with_their_key() {
    let server = server_with(&[key_with_policy(
        "CI",
        "ci",
        json!([{"Effect": "Allow", "Action": "sagemaker:List*", "Resource": "*"}]),
    )]);
    call_as(&server, "CI", "DeleteImage", &json!({"ImageName": "base"})).await;
    call_as(&server, "CI", "ListImages", &json!({})).await;
    call_as(&server, "ADMIN", "ListImages", &json!({})).await;
    let metrics = server
        .raw()
        .send(as_admin(&server, "GET", "/metrics", None))
        .await;
    assert!(
        metrics
            .text
            .contains("sagemaker_images_requests_denied_total{operation=\"DeleteImage\"} 1"),
        "{}",
        metrics.text
    );
    assert!(!metrics
        .text
        .contains("denied_total{operation=\"ListImages\"}"));

    let cookie = crate::console::admin_session(&server, ("ADMIN", "ADMIN-secret")).await;
    let log = crate::console::get(
        &server,
        "/_sagemaker-images/console/api/requests",
        Some(&cookie),
    )
    .await;
    let seen: Vec<(String, String, bool)> = log.body["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|entry| {
            (
                entry["operation"].as_str().unwrap_or("").to_owned(),
                entry["accessKey"].as_str().unwrap_or("").to_owned(),
                entry["denied"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    let expected = [
        ("ListImages", "ADMIN", false),
        ("ListImages", "CI", false),
        ("DeleteImage", "CI", true),
    ]
    .map(|(operation, key, denied)| (operation.to_owned(), key.to_owned(), denied));
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn an_invalid_policy_stops_the_server_at_start_with_key_statement_and_fault() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("policies")).expect("policies dir");
    let good = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
    std::fs::write(dir.path().join("policies/good.json"), good.to_string()).expect("write");
    let broken = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "Prod", "Effect": "Deny", "Action": "sagemaker:*", "Resource": "image/prod-*"}]}"#;
    std::fs::write(dir.path().join("policies/broken.json"), broken).expect("write");
    let file = |policy_files: &str| {
        format!(
            "[[credentials]]\naccess_key_id = \"CI\"\nsecret_access_key = \"s\"\naccount_id = \"{ACCOUNT}\"\n\
             policy_files = {policy_files}\n"
        )
    };
    // (policy_files, what standard error says)
    #[rustfmt::skip]
    let cases = [
        (r#"["policies/good.json", "policies/broken.json"]"#, "access key 'CI': policy_files 'policies/broken.json': statement 2 (Sid \"Prod\"): Resource 'image/prod-*' is neither '*' nor an ARN"),
        (r#"["policies/absent.json"]"#, "access key 'CI': cannot read policy_files 'policies/absent.json'"),
    ];
    let mut failures = Failures::default();
    for (policy_files, expected) in cases {
        let path = dir.path().join("credentials.toml");
        std::fs::write(&path, file(policy_files)).expect("write");
        let data = dir.path().join("data");
        let path = path.to_str().expect("path");
        let args = ["--listen", "127.0.0.1:0", "--credentials", path];
        let mut spawned = spawn_serve(&data, &args);
        let (status, stderr) = wait_for_exit(&mut spawned);
        failures.compare(&format!("{policy_files} exit"), status.success(), false);
        failures.check(
            policy_files,
            match stderr.contains(expected) {
                true => Ok(()),
                false => Err(stderr),
            },
        );
    }
    failures.assert_none();
}

#[tokio::test]
async fn the_source_address_is_the_callers_connection() {
    let allowed_from = |key: &str, network: &str| {
        key_with_policy(
            key,
            key,
            json!([{"Effect": "Allow", "Action": "sagemaker:ListImages", "Resource": "*",
                    "Condition": {"IpAddress": {"aws:SourceIp": network}}}]),
        )
    };
    let server = server_with(&[
        allowed_from("LOOPBACK", "127.0.0.0/8"),
        allowed_from("ELSEWHERE", "10.0.0.0/8"),
    ]);
    let mut failures = Failures::default();
    let from_loopback = call_as(&server, "LOOPBACK", "ListImages", &json!({})).await;
    failures.compare("a key allowed from loopback", from_loopback.status, 200);
    let from_elsewhere = call_as(&server, "ELSEWHERE", "ListImages", &json!({})).await;
    failures.check(
        "a key allowed only from 10.0.0.0/8",
        check_raw_refused(&from_elsewhere, "AccessDeniedException", &["ListImages"]),
    );
    failures.assert_none();
}
