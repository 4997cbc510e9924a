//! CreateImageVersion: numbering, ClientToken idempotency, and the image a version needs.

use aws_sdk_sagemaker::types::ImageStatus;

use super::{delayed, latest, listed, version_numbers, wait_for_image, OTHER_BASE};
use crate::common::cases::assert_refused;
use crate::common::{create_image, create_version, version_arn, Server, BASE_IMAGE};

#[tokio::test]
async fn versions_are_numbered_from_one_and_never_reused() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "MyImage").await;
    for n in 1..=3 {
        assert_eq!(
            create_version(&client, "MyImage", &[]).await,
            version_arn("myimage", n)
        );
    }
    assert_eq!(
        version_arn("MyImage", 3),
        "arn:aws:sagemaker:us-east-1:000000000000:image-version/myimage/3"
    );

    for gone in [3, 2] {
        client
            .delete_image_version()
            .image_name("MyImage")
            .version(gone)
            .send()
            .await
            .unwrap_or_else(|e| panic!("delete {gone}: {e:?}"));
        assert_eq!(latest(&client, "MyImage").await, Some(gone - 1));
    }
    assert_eq!(
        create_version(&client, "MyImage", &[]).await,
        version_arn("myimage", 4),
        "numbers of deleted versions are not reused"
    );
    assert_eq!(latest(&client, "MyImage").await, Some(4));
    assert_eq!(version_numbers(&client, "MyImage").await, vec![1, 4]);

    let deleted = client
        .describe_image_version()
        .image_name("MyImage")
        .version(3);
    assert_refused(
        deleted.send().await,
        "ResourceNotFound",
        &["does not exist"],
    );
    let deleted = client
        .delete_image_version()
        .image_name("MyImage")
        .version(3);
    assert_refused(deleted.send().await, "ResourceNotFound", &[]);
}

#[tokio::test]
async fn client_token_makes_create_idempotent() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "idem").await;
    // The SDK fills ClientToken itself, a new one for every call.
    for n in 1..=2 {
        assert_eq!(
            create_version(&client, "idem", &[]).await,
            version_arn("idem", n)
        );
    }

    let create = |token: &str, base: &str, notes: &str| {
        client
            .create_image_version()
            .image_name("idem")
            .base_image(base)
            .client_token(token)
            .aliases("tok")
            .release_notes(notes)
            .send()
    };
    let first = create("retry-token-1", BASE_IMAGE, "notes").await;
    assert_eq!(
        first.expect("first").image_version_arn(),
        Some(version_arn("idem", 3).as_str())
    );
    let retry = create("retry-token-1", BASE_IMAGE, "notes").await;
    assert_eq!(
        retry.expect("retry").image_version_arn(),
        Some(version_arn("idem", 3).as_str()),
        "a retry answers with the version the first call made"
    );
    assert_eq!(version_numbers(&client, "idem").await, vec![1, 2, 3]);

    let other_base = create("retry-token-1", OTHER_BASE, "notes").await;
    assert_refused(other_base, "ValidationException", &[]);
    let other_notes = create("retry-token-1", BASE_IMAGE, "other notes").await;
    assert_refused(other_notes, "ValidationException", &[]);
    assert_eq!(version_numbers(&client, "idem").await, vec![1, 2, 3]);
    let v3 = client
        .describe_image_version()
        .image_name("idem")
        .version(3)
        .send()
        .await
        .expect("describe 3");
    assert_eq!(
        v3.base_image(),
        Some(BASE_IMAGE),
        "the refused retry changed nothing"
    );

    let other = client
        .create_image_version()
        .image_name("idem")
        .base_image(BASE_IMAGE)
        .client_token("retry-token-2")
        .send()
        .await;
    assert_eq!(
        other.expect("other token").image_version_arn(),
        Some(version_arn("idem", 4).as_str()),
        "another token makes another version"
    );

    // A token is remembered as long as its version exists.
    client
        .delete_image_version()
        .image_name("idem")
        .version(3)
        .send()
        .await
        .expect("delete 3");
    let again = create("retry-token-1", BASE_IMAGE, "notes").await;
    assert_eq!(
        again
            .expect("token of a deleted version")
            .image_version_arn(),
        Some(version_arn("idem", 5).as_str())
    );
    assert_eq!(version_numbers(&client, "idem").await, vec![1, 2, 4, 5]);
}

#[tokio::test]
async fn create_version_needs_an_existing_image_that_is_created() {
    let server = Server::start();
    let client = server.client();
    let create = |image: &'static str| {
        client
            .create_image_version()
            .image_name(image)
            .base_image(BASE_IMAGE)
            .send()
    };
    assert_refused(
        create("nosuch").await,
        "ResourceNotFound",
        &["does not exist"],
    );

    let server = delayed("1s");
    let client = server.client();
    let create = || {
        client
            .create_image_version()
            .image_name("slow")
            .base_image(BASE_IMAGE)
            .send()
    };
    create_image(&client, "slow").await;
    assert_refused(create().await, "ResourceInUse", &[]); // CREATING
    wait_for_image(&client, "slow", ImageStatus::Created).await;

    let update = client.update_image().image_name("slow").description("d");
    update.send().await.expect("update image");
    assert_refused(create().await, "ResourceInUse", &[]); // UPDATING
    wait_for_image(&client, "slow", ImageStatus::Created).await;

    assert_eq!(
        create_version(&client, "slow", &[]).await,
        version_arn("slow", 1)
    );
    assert_eq!(
        listed(&client, "slow", None, None).await.len(),
        1,
        "refused creates made nothing"
    );
}
