//! The image lifecycle under --transition-delay: every transitional state refuses changes with
//! ResourceInUse, transitions end on time, and racing requests have exactly one winner.

use std::time::Duration;

use aws_sdk_sagemaker::types::ImageStatus;
use serde_json::json;

use crate::common::{code, create_image, Options, Server, ROLE_ARN};

fn delayed(delay: &'static str) -> Server {
    Server::start_with(Options {
        transition_delay: Some(delay),
        ..Default::default()
    })
}

async fn status(client: &aws_sdk_sagemaker::Client, name: &str) -> Option<ImageStatus> {
    match client.describe_image().image_name(name).send().await {
        Ok(image) => image.image_status().cloned(),
        Err(e) => {
            assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
            None
        }
    }
}

/// Waits (bounded) until the image reaches `wanted` (`None`: gone).
async fn wait_for(client: &aws_sdk_sagemaker::Client, name: &str, wanted: Option<ImageStatus>) {
    for _ in 0..100 {
        if status(client, name).await == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} never reached {wanted:?}");
}

/// UpdateImage, DeleteImage and CreateImage of the same name are all ResourceInUse.
async fn assert_busy(client: &aws_sdk_sagemaker::Client, name: &str) {
    let e = client
        .update_image()
        .image_name(name)
        .description("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceInUse", "update: {e:?}");
    let e = client
        .delete_image()
        .image_name(name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceInUse", "delete: {e:?}");
    let e = client
        .create_image()
        .image_name(name)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceInUse", "create: {e:?}");
}

#[tokio::test]
async fn every_transitional_state_refuses_changes_until_it_ends() {
    let server = delayed("1500ms");
    let client = server.client();

    create_image(&client, "img").await;
    assert_eq!(status(&client, "img").await, Some(ImageStatus::Creating));
    assert_busy(&client, "img").await;
    wait_for(&client, "img", Some(ImageStatus::Created)).await;

    client
        .update_image()
        .image_name("img")
        .description("new")
        .send()
        .await
        .expect("update");
    let image = client
        .describe_image()
        .image_name("img")
        .send()
        .await
        .expect("describe");
    assert_eq!(image.image_status(), Some(&ImageStatus::Updating));
    assert_eq!(
        image.description(),
        Some("new"),
        "the new values are visible while UPDATING"
    );
    assert_busy(&client, "img").await;
    wait_for(&client, "img", Some(ImageStatus::Created)).await;

    client
        .delete_image()
        .image_name("img")
        .send()
        .await
        .expect("delete");
    assert_eq!(status(&client, "img").await, Some(ImageStatus::Deleting));
    assert_busy(&client, "img").await;
    let listed = client.list_images().send().await.expect("list");
    assert_eq!(
        listed.images()[0].image_status(),
        Some(&ImageStatus::Deleting)
    );
    wait_for(&client, "img", None).await;
    assert!(client
        .list_images()
        .send()
        .await
        .expect("list")
        .images()
        .is_empty());

    // Once gone, the name is free again.
    create_image(&client, "img").await;
    assert_eq!(status(&client, "img").await, Some(ImageStatus::Creating));
}

/// DescribeImage answers may be reused until the next change: each change shows in the next answer, and an
/// answer given during a transition is never reused after it.
#[tokio::test]
async fn a_description_follows_each_change_and_each_transition_at_once() {
    let server = delayed("400ms");
    let client = server.client();
    create_image(&client, "shown").await;
    assert_eq!(status(&client, "shown").await, Some(ImageStatus::Creating));
    wait_for(&client, "shown", Some(ImageStatus::Created)).await;
    for round in 0..3 {
        let description = format!("round {round}");
        client
            .update_image()
            .image_name("shown")
            .description(&description)
            .send()
            .await
            .expect("update");
        wait_for(&client, "shown", Some(ImageStatus::Created)).await;
        let described = client
            .describe_image()
            .image_name("shown")
            .send()
            .await
            .expect("describe");
        assert_eq!(described.description(), Some(description.as_str()));
    }
}

#[tokio::test]
async fn without_a_delay_transitions_are_instant() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "img").await;
    assert_eq!(status(&client, "img").await, Some(ImageStatus::Created));
    client
        .update_image()
        .image_name("img")
        .display_name("D")
        .send()
        .await
        .expect("update");
    assert_eq!(status(&client, "img").await, Some(ImageStatus::Created));
    client
        .delete_image()
        .image_name("img")
        .send()
        .await
        .expect("delete");
    assert_eq!(status(&client, "img").await, None);
    let e = client
        .delete_image()
        .image_name("img")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound");
}

#[tokio::test]
async fn create_of_an_existing_name_is_resource_in_use_in_any_letter_case() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "MyImage").await;
    for name in ["MyImage", "myimage", "MYIMAGE"] {
        let e = client
            .create_image()
            .image_name(name)
            .role_arn(ROLE_ARN)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ResourceInUse");
        let message = e
            .as_service_error()
            .and_then(|e| e.meta().message())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            message,
            format!(
                "The Image with ImageName {name} already exists. Please use a different ImageName."
            )
        );
    }
    let image = client
        .describe_image()
        .image_name("MYIMAGE")
        .send()
        .await
        .expect("describe");
    assert_eq!(
        image.image_name(),
        Some("MyImage"),
        "the name keeps the case it was created with"
    );
}

#[tokio::test]
async fn a_create_with_tags_that_is_refused_writes_nothing() {
    let server = Server::start();
    let raw = server.raw();
    let answer = raw
        .call(
            "CreateImage",
            &json!({ "ImageName": "img", "RoleArn": ROLE_ARN, "Tags": [{ "Key": "aws:reserved", "Value": "v" }] }),
        )
        .await;
    assert_eq!(
        answer.error_type(),
        "ValidationException",
        "{}",
        answer.text
    );
    let e = server
        .client()
        .describe_image()
        .image_name("img")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound");
}

/// Sends `count` copies of a request at once and returns how many succeeded and the codes of the rest.
async fn race<F, Fut>(count: usize, request: F) -> (usize, Vec<String>)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let results = futures::future::join_all((0..count).map(request)).await;
    let winners = results.iter().filter(|r| r.is_ok()).count();
    (
        winners,
        results.into_iter().filter_map(Result::err).collect(),
    )
}

#[tokio::test]
async fn racing_requests_on_one_image_have_one_winner() {
    let server = delayed("5s");
    let client = server.client();

    let (winners, losers) = race(16, |i| {
        let client = client.clone();
        async move {
            client
                .create_image()
                .image_name("contested")
                .role_arn(ROLE_ARN)
                .description(format!("writer {i}"))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| code(&e))
        }
    })
    .await;
    assert_eq!(winners, 1, "losers: {losers:?}");
    assert!(losers.iter().all(|c| c == "ResourceInUse"), "{losers:?}");
}

#[tokio::test]
async fn racing_updates_and_deletes_have_one_winner() {
    let server = delayed("3s");
    let client = server.client();
    for name in ["updated", "deleted"] {
        create_image(&client, name).await;
    }
    wait_for(&client, "updated", Some(ImageStatus::Created)).await;
    wait_for(&client, "deleted", Some(ImageStatus::Created)).await;

    let (winners, losers) = race(16, |i| {
        let client = client.clone();
        async move {
            client
                .update_image()
                .image_name("updated")
                .description(format!("writer {i}"))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| code(&e))
        }
    })
    .await;
    assert_eq!(winners, 1, "losers: {losers:?}");
    assert!(losers.iter().all(|c| c == "ResourceInUse"), "{losers:?}");

    let (winners, losers) = race(16, |_| {
        let client = client.clone();
        async move {
            client
                .delete_image()
                .image_name("deleted")
                .send()
                .await
                .map(|_| ())
                .map_err(|e| code(&e))
        }
    })
    .await;
    assert_eq!(winners, 1, "losers: {losers:?}");
    assert!(losers.iter().all(|c| c == "ResourceInUse"), "{losers:?}");
}
