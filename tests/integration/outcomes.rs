//! Outcomes on demand: forced failures, held transitions, per-operation transition delays, and faults.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{code, create_image, message, Options, Server, ROLE_ARN};

const BASE_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/r:1";

async fn control(server: &Server, method: &str, path: &str, body: Value) -> Value {
    let response = server
        .raw()
        .control(method, &format!("/_sagemaker-images/{path}"), Some(&body))
        .await;
    assert_eq!(response.status, 200, "{method} {path}: {}", response.text);
    response.body
}

async fn image_status(client: &aws_sdk_sagemaker::Client, name: &str) -> (String, Option<String>) {
    let image = client
        .describe_image()
        .image_name(name)
        .send()
        .await
        .expect("describe");
    (
        image
            .image_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        image.failure_reason().map(str::to_owned),
    )
}

async fn version_status(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
    version: i32,
) -> (String, Option<String>) {
    let described = client
        .describe_image_version()
        .image_name(name)
        .version(version)
        .send()
        .await
        .expect("describe version");
    (
        described
            .image_version_status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        described.failure_reason().map(str::to_owned),
    )
}

async fn create_version(client: &aws_sdk_sagemaker::Client, name: &str) {
    client
        .create_image_version()
        .image_name(name)
        .base_image(BASE_IMAGE)
        .send()
        .await
        .expect("create version");
}

#[tokio::test]
async fn each_operation_can_be_made_to_end_in_its_failed_state() {
    let server = Server::start();
    let client = server.client();
    let fail = |operation: &str, image: &str| json!({ "operation": operation, "imageName": image, "action": "fail", "failureReason": format!("{operation} broke") });
    // (operation forced, what is then seen)
    control(&server, "POST", "outcomes", fail("CreateImage", "a")).await;
    create_image(&client, "a").await;
    assert_eq!(
        image_status(&client, "a").await,
        ("CREATE_FAILED".into(), Some("CreateImage broke".into()))
    );

    create_image(&client, "b").await;
    control(&server, "POST", "outcomes", fail("UpdateImage", "b")).await;
    client
        .update_image()
        .image_name("b")
        .description("new")
        .send()
        .await
        .expect("update");
    assert_eq!(
        image_status(&client, "b").await,
        ("UPDATE_FAILED".into(), Some("UpdateImage broke".into()))
    );
    // A failed update keeps what it set, and an image in UPDATE_FAILED takes another update.
    let described = client
        .describe_image()
        .image_name("b")
        .send()
        .await
        .expect("describe");
    assert_eq!(described.description(), Some("new"));
    client
        .update_image()
        .image_name("b")
        .description("again")
        .send()
        .await
        .expect("update again");
    assert_eq!(image_status(&client, "b").await, ("CREATED".into(), None));

    create_version(&client, "b").await;
    control(&server, "POST", "outcomes", fail("DeleteImage", "b")).await;
    client
        .delete_image()
        .image_name("b")
        .send()
        .await
        .expect("delete");
    assert_eq!(
        image_status(&client, "b").await,
        ("DELETE_FAILED".into(), Some("DeleteImage broke".into()))
    );
    // A failed deletion leaves the versions; deleting again removes the image.
    assert_eq!(version_status(&client, "b", 1).await.0, "CREATED");
    client
        .delete_image()
        .image_name("b")
        .send()
        .await
        .expect("delete again");
    let gone = client
        .describe_image()
        .image_name("b")
        .send()
        .await
        .expect_err("gone");
    assert_eq!(code(&gone), "ResourceNotFound");

    create_image(&client, "c").await;
    control(&server, "POST", "outcomes", fail("CreateImageVersion", "c")).await;
    create_version(&client, "c").await;
    assert_eq!(
        version_status(&client, "c", 1).await,
        (
            "CREATE_FAILED".into(),
            Some("CreateImageVersion broke".into())
        )
    );
    create_version(&client, "c").await;
    control(&server, "POST", "outcomes", fail("DeleteImageVersion", "c")).await;
    client
        .delete_image_version()
        .image_name("c")
        .version(2)
        .send()
        .await
        .expect("delete version");
    assert_eq!(
        version_status(&client, "c", 2).await,
        (
            "DELETE_FAILED".into(),
            Some("DeleteImageVersion broke".into())
        )
    );

    assert_eq!(
        control(&server, "GET", "outcomes", Value::Null).await["outcomes"],
        json!([]),
        "every rule was used"
    );
}

#[tokio::test]
async fn a_rule_counts_its_uses_matches_its_image_and_a_refused_call_uses_none() {
    let server = Server::start();
    let client = server.client();
    control(
        &server,
        "POST",
        "outcomes",
        json!({ "operation": "CreateImage", "imageName": "Target", "count": 2, "action": "fail" }),
    )
    .await;
    create_image(&client, "other").await;
    assert_eq!(
        image_status(&client, "other").await.0,
        "CREATED",
        "another image is not matched"
    );
    create_image(&client, "target").await;
    assert_eq!(
        image_status(&client, "target").await.0,
        "CREATE_FAILED",
        "names match without case"
    );
    // A refused call (the name is taken) does not use the rule.
    let refused = client
        .create_image()
        .image_name("target")
        .role_arn(ROLE_ARN)
        .send()
        .await
        .expect_err("taken");
    assert_eq!(code(&refused), "ResourceInUse");
    let rules = control(&server, "GET", "outcomes", Value::Null).await;
    assert_eq!(rules["outcomes"][0]["count"], 1);
    client
        .delete_image()
        .image_name("target")
        .send()
        .await
        .expect("delete the failed image");
    create_image(&client, "target").await;
    assert_eq!(image_status(&client, "target").await.0, "CREATE_FAILED");
    client
        .delete_image()
        .image_name("target")
        .send()
        .await
        .expect("delete");
    create_image(&client, "target").await;
    assert_eq!(
        image_status(&client, "target").await.0,
        "CREATED",
        "the rule is spent"
    );
}

#[tokio::test]
async fn a_failure_shows_after_the_transition_delay() {
    let server = Server::start_with(Options {
        transition_delay: Some("300ms"),
        ..Default::default()
    });
    let client = server.client();
    control(
        &server,
        "POST",
        "outcomes",
        json!({ "operation": "CreateImage", "action": "fail", "failureReason": "late" }),
    )
    .await;
    create_image(&client, "slow").await;
    assert_eq!(
        image_status(&client, "slow").await,
        ("CREATING".into(), None),
        "no reason before the end"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        image_status(&client, "slow").await,
        ("CREATE_FAILED".into(), Some("late".into()))
    );
}

#[tokio::test]
async fn a_held_transition_lasts_until_released() {
    let server = Server::start();
    let client = server.client();
    control(
        &server,
        "POST",
        "outcomes",
        json!({ "operation": "CreateImage", "action": "hold" }),
    )
    .await;
    create_image(&client, "held").await;
    assert_eq!(image_status(&client, "held").await.0, "CREATING");
    let busy = client
        .update_image()
        .image_name("held")
        .description("x")
        .send()
        .await
        .expect_err("busy");
    assert_eq!(code(&busy), "ResourceInUse", "{}", message(&busy));
    assert_eq!(
        image_status(&client, "held").await.0,
        "CREATING",
        "a hold does not end with time"
    );
    let released = control(
        &server,
        "POST",
        "outcomes/release",
        json!({ "imageName": "held" }),
    )
    .await;
    assert_eq!(released["released"], 1);
    assert_eq!(image_status(&client, "held").await.0, "CREATED");

    control(
        &server,
        "POST",
        "outcomes",
        json!({ "operation": "DeleteImageVersion", "action": "hold" }),
    )
    .await;
    create_version(&client, "held").await;
    client
        .delete_image_version()
        .image_name("held")
        .version(1)
        .send()
        .await
        .expect("delete version");
    assert_eq!(version_status(&client, "held", 1).await.0, "DELETING");
    let released = control(
        &server,
        "POST",
        "outcomes/release",
        json!({ "imageName": "HELD" }),
    )
    .await;
    assert_eq!(released["released"], 1);
    let gone = client
        .describe_image_version()
        .image_name("held")
        .version(1)
        .send()
        .await
        .expect_err("gone");
    assert_eq!(code(&gone), "ResourceNotFound");
}

#[tokio::test]
async fn outcome_rules_are_refused_when_malformed_and_cleared_by_delete() {
    let server = Server::start();
    let raw = server.raw();
    for (body, expected) in [
        (
            json!({ "operation": "DescribeImage", "action": "fail" }),
            "operation must be one of",
        ),
        (
            json!({ "operation": "CreateImage", "action": "explode" }),
            "action must be fail or hold",
        ),
        (
            json!({ "operation": "CreateImage", "action": "fail", "count": 0 }),
            "count must be at least 1",
        ),
        (
            json!({ "operation": "CreateImage", "action": "fail", "failureReason": "" }),
            "failureReason must have",
        ),
        (
            json!({ "operation": "CreateImage", "action": "fail", "account": "1" }),
            "account must be 12 digits",
        ),
        (
            json!({ "operation": "CreateImage", "action": "fail", "colour": "red" }),
            "unknown field",
        ),
    ] {
        let response = raw
            .control("POST", "/_sagemaker-images/outcomes", Some(&body))
            .await;
        assert_eq!(response.error_type(), "ValidationException", "{body}");
        assert!(
            response.message().contains(expected),
            "{body}: {}",
            response.message()
        );
    }
    control(
        &server,
        "POST",
        "outcomes",
        json!({ "operation": "CreateImage", "action": "fail" }),
    )
    .await;
    assert_eq!(
        control(&server, "DELETE", "outcomes", Value::Null).await["outcomes"],
        json!([])
    );
    create_image(&server.client(), "fine").await;
    assert_eq!(image_status(&server.client(), "fine").await.0, "CREATED");
}

#[tokio::test]
async fn transition_delays_are_set_per_operation() {
    let server = Server::start();
    let client = server.client();
    let delays = control(
        &server,
        "POST",
        "transition-delays",
        json!({ "CreateImage": "10s" }),
    )
    .await;
    assert_eq!(delays["CreateImage"], "10s");
    assert_eq!(delays["DeleteImage"], "0s");
    create_image(&client, "slow").await;
    assert_eq!(image_status(&client, "slow").await.0, "CREATING");
    let bad = server
        .raw()
        .control(
            "POST",
            "/_sagemaker-images/transition-delays",
            Some(&json!({ "DescribeImage": "1s" })),
        )
        .await;
    assert_eq!(bad.error_type(), "ValidationException");
    // Reset returns every delay to the server's own.
    control(&server, "POST", "reset", Value::Null).await;
    create_image(&client, "slow").await;
    assert_eq!(image_status(&client, "slow").await.0, "CREATED");
}

#[tokio::test]
async fn the_next_calls_of_an_operation_can_fail_with_a_chosen_error_and_change_nothing() {
    let server = Server::start();
    let client = server.client();
    let rules = control(
        &server,
        "PATCH",
        "faults",
        json!([{ "operation": "CreateImage", "count": 2, "error": { "code": "ThrottlingException" } }]),
    )
    .await;
    assert_eq!(rules[0]["count"], 2);
    for _ in 0..2 {
        let error = client
            .create_image()
            .image_name("f")
            .role_arn(ROLE_ARN)
            .send()
            .await
            .expect_err("faulted");
        assert_eq!(code(&error), "ThrottlingException");
        assert_eq!(message(&error), "Rate exceeded");
        let missing = client
            .describe_image()
            .image_name("f")
            .send()
            .await
            .expect_err("nothing created");
        assert_eq!(code(&missing), "ResourceNotFound");
    }
    create_image(&client, "f").await;
    assert_eq!(
        control(&server, "GET", "faults", Value::Null).await,
        json!([])
    );
}

#[tokio::test]
async fn faults_take_localstacks_chaos_shape_and_a_reset_clears_them() {
    let server = Server::start();
    let client = server.client();
    let raw = server.raw();
    let rule = json!({ "service": "sagemaker", "region": "us-east-1", "operation": "ListImages",
                       "probability": 1.0, "error": { "statusCode": 503, "code": "ServiceUnavailable" } });
    let replaced = raw
        .control("POST", "/_localstack/chaos/faults", Some(&json!([rule])))
        .await;
    assert_eq!(replaced.body, json!([rule]));
    let error = client.list_images().send().await.expect_err("faulted");
    assert_eq!(code(&error), "ServiceUnavailable");
    let other_region = server.client_as("test", "test", "eu-west-1");
    other_region
        .list_images()
        .send()
        .await
        .expect("another region is not faulted");
    let removed = raw
        .control("DELETE", "/_localstack/chaos/faults", Some(&json!([rule])))
        .await;
    assert_eq!(removed.body, json!([]));
    client.list_images().send().await.expect("no fault left");

    raw.control(
        "POST",
        "/_localstack/chaos/faults",
        Some(&json!([{ "operation": "ListImages" }])),
    )
    .await;
    let effects = raw
        .control(
            "POST",
            "/_localstack/chaos/effects",
            Some(&json!({ "latency": 200 })),
        )
        .await;
    assert_eq!(effects.body, json!({ "latency": 200 }));
    control(&server, "POST", "reset", Value::Null).await;
    assert_eq!(
        raw.control("GET", "/_localstack/chaos/faults", None)
            .await
            .body,
        json!([])
    );
    assert_eq!(
        raw.control("GET", "/_localstack/chaos/effects", None)
            .await
            .body,
        json!({ "latency": 0 })
    );
    client
        .list_images()
        .send()
        .await
        .expect("reset cleared the faults");
}

#[tokio::test]
async fn a_latency_effect_delays_every_call() {
    let server = Server::start();
    let client = server.client();
    control(&server, "POST", "effects", json!({ "latency": 300 })).await;
    let started = Instant::now();
    client.list_images().send().await.expect("list");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn every_process_on_one_database_honours_a_forced_outcome() {
    let first = Server::start();
    if !first.on_postgres() {
        return; // An embedded store belongs to one process.
    }
    let second = Server::start_sharing(&first, Options::default());
    control(
        &first,
        "POST",
        "outcomes",
        json!({ "operation": "CreateImage", "action": "fail", "failureReason": "shared" }),
    )
    .await;
    let client = second.client();
    create_image(&client, "elsewhere").await;
    assert_eq!(
        image_status(&client, "elsewhere").await,
        ("CREATE_FAILED".into(), Some("shared".into()))
    );
}
