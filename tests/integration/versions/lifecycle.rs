//! Versions over a transition delay: CREATING and DELETING, what they refuse, and an image's delayed
//! deletion taking its versions along.

use std::time::Duration;

use aws_sdk_sagemaker::types::{ImageStatus, ImageVersionStatus};

use super::{
    aliases, delayed, listed, version_numbers, version_status, wait_for_image, wait_for_version,
};
use crate::common::cases::assert_refused;
use crate::common::{create_image, create_version, list_tags, tag, version_arn, BASE_IMAGE};

#[tokio::test]
async fn a_version_is_created_and_deleted_over_the_transition_delay() {
    // Long enough for the requests made while CREATING or DELETING to land inside the transition.
    let server = delayed("2s");
    let client = server.client();
    create_image(&client, "life").await;
    wait_for_image(&client, "life", ImageStatus::Created).await;
    let delete = || {
        client
            .delete_image_version()
            .image_name("life")
            .version(1)
            .send()
    };

    create_version(&client, "life", &[]).await;
    assert_eq!(
        version_status(&client, "life", 1).await,
        Some(ImageVersionStatus::Creating)
    );
    assert_refused(delete().await, "ResourceInUse", &[]);
    let update = client
        .update_image_version()
        .image_name("life")
        .version(1)
        .release_notes("n");
    assert_refused(update.send().await, "ResourceInUse", &[]);

    wait_for_version(&client, "life", 1, Some(ImageVersionStatus::Created)).await;
    delete().await.expect("delete");
    assert_eq!(
        version_status(&client, "life", 1).await,
        Some(ImageVersionStatus::Deleting)
    );
    let listed_while_deleting = client
        .list_image_versions()
        .image_name("life")
        .send()
        .await
        .expect("list");
    assert_eq!(
        listed_while_deleting.image_versions()[0].image_version_status(),
        Some(&ImageVersionStatus::Deleting)
    );
    assert_refused(delete().await, "ResourceInUse", &["is being deleted"]);

    wait_for_version(&client, "life", 1, None).await;
    assert_refused(delete().await, "ResourceNotFound", &["does not exist"]);
    assert!(listed(&client, "life", None, None).await.is_empty());
}

#[tokio::test]
async fn a_delayed_image_deletion_takes_its_versions_when_it_ends() {
    let server = delayed("1s");
    let client = server.client();
    create_image(&client, "gone").await;
    wait_for_image(&client, "gone", ImageStatus::Created).await;
    create_version(&client, "gone", &["prod"]).await;
    wait_for_version(&client, "gone", 1, Some(ImageVersionStatus::Created)).await;
    client
        .add_tags()
        .resource_arn(version_arn("gone", 1))
        .tags(tag("k", "v"))
        .send()
        .await
        .expect("tag version");

    client
        .delete_image()
        .image_name("gone")
        .send()
        .await
        .expect("delete image");
    let create = client
        .create_image_version()
        .image_name("gone")
        .base_image(BASE_IMAGE);
    assert_refused(create.send().await, "ResourceInUse", &[]); // the image is DELETING

    // Gone with the image.
    for _ in 0..100 {
        let described = client.describe_image().image_name("gone").send().await;
        if described.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let version = client
        .describe_image_version()
        .image_name("gone")
        .version(1);
    assert_refused(
        version.send().await,
        "ResourceNotFound",
        &["does not exist"],
    );
    let tags = client.list_tags().resource_arn(version_arn("gone", 1));
    assert_refused(
        tags.send().await,
        "ValidationException",
        &["does not exist"],
    );

    create_image(&client, "gone").await;
    wait_for_image(&client, "gone", ImageStatus::Created).await;
    assert!(version_numbers(&client, "gone").await.is_empty());
    assert!(aliases(&client, "gone", None, None).await.is_empty());
    assert_eq!(
        create_version(&client, "gone", &["prod"]).await,
        version_arn("gone", 1)
    );
    assert!(list_tags(&client, &version_arn("gone", 1)).await.is_empty());
}
