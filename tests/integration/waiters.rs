//! aws-sdk-sagemaker's own waiters against the server. The server answers as SageMaker does, so the SDK's
//! waiters fare as they fare against SageMaker: ImageCreated and its kin work, and ImageDeleted fails,
//! since this SDK's waiter model still waits for `ResourceNotFoundException` (README, "Waiters").

use std::time::Duration;

use aws_sdk_sagemaker::client::Waiters;
use serde_json::json;

use crate::common::{create_image, Server};

const MAX_WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn the_created_waiter_succeeds_and_fails_on_a_forced_create_failed() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "ok").await;
    let done = client
        .wait_until_image_created()
        .image_name("ok")
        .wait(MAX_WAIT)
        .await;
    assert!(done.is_ok(), "{done:?}");

    let rule =
        json!({ "operation": "CreateImage", "action": "fail", "failureReason": "bad layer" });
    let response = server
        .raw()
        .control("POST", "/_sagemaker-images/outcomes", Some(&rule))
        .await;
    assert_eq!(response.status, 200);
    create_image(&client, "broken").await;
    let failed = client
        .wait_until_image_created()
        .image_name("broken")
        .wait(MAX_WAIT)
        .await;
    let error = failed.expect_err("CREATE_FAILED is the waiter's failure state");
    assert!(format!("{error:?}").contains("FailureState"), "{error:?}");
}

#[tokio::test]
async fn the_deleted_waiter_of_this_sdk_fails_as_it_does_against_sagemaker() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "going").await;
    client
        .delete_image()
        .image_name("going")
        .send()
        .await
        .expect("delete");
    let result = client
        .wait_until_image_deleted()
        .image_name("going")
        .wait(MAX_WAIT)
        .await;
    let error = result
        .expect_err("the SDK waits for ResourceNotFoundException, which SageMaker never sends");
    let shown = format!("{error:?}");
    assert!(shown.contains("ResourceNotFound"), "{shown}");
}
