//! DescribeImageVersion, and how a request selects a version: by Version, by Alias, or the latest.

use aws_sdk_sagemaker::types::ImageVersionStatus;

use super::version_numbers;
use crate::common::cases::{check_sdk, invalid, not_found, Expected, Failures};
use crate::common::{
    create_image, create_image_with_versions, create_version, image_arn, version_arn, Server,
    BASE_IMAGE,
};

#[tokio::test]
async fn describe_shows_the_latest_version_and_finds_the_image_in_any_case() {
    let server = Server::start();
    let client = server.client();
    create_image_with_versions(&client, "MyImage", 3).await;

    let described = client
        .describe_image_version()
        .image_name("MyImage")
        .send()
        .await
        .expect("describe latest");
    assert_eq!(described.version(), Some(3));
    assert_eq!(
        described.image_version_arn(),
        Some(version_arn("myimage", 3).as_str())
    );
    assert_eq!(
        described.image_arn(),
        Some(image_arn("MyImage").as_str()),
        "the image ARN carries the lower-cased name"
    );
    assert_eq!(described.base_image(), Some(BASE_IMAGE));
    assert_eq!(described.container_image(), Some(BASE_IMAGE));
    assert_eq!(
        described.image_version_status(),
        Some(&ImageVersionStatus::Created)
    );
    assert!(described.creation_time().is_some());
    assert_eq!(described.creation_time(), described.last_modified_time());

    let by_other_case = client
        .describe_image_version()
        .image_name("MYIMAGE")
        .version(2)
        .send()
        .await
        .expect("describe in upper case");
    assert_eq!(
        by_other_case.image_version_arn(),
        Some(version_arn("myimage", 2).as_str())
    );
}

#[tokio::test]
async fn describe_needs_a_version_and_at_most_one_selector() {
    const NOT_FOUND: Expected = not_found(&["does not exist"]);
    const INVALID: Expected = invalid(&[]);
    let server = Server::start();
    let client = server.client();
    let mut failures = Failures::default();
    create_image(&client, "empty").await;

    let result = client
        .describe_image_version()
        .image_name("empty")
        .send()
        .await;
    failures.check(
        "latest of an image without versions",
        check_sdk(&result, NOT_FOUND),
    );
    let result = client
        .describe_image_version()
        .image_name("nosuch")
        .send()
        .await;
    failures.check("latest of no image", check_sdk(&result, NOT_FOUND));

    create_version(&client, "empty", &["stable"]).await;
    let result = client
        .describe_image_version()
        .image_name("empty")
        .version(1)
        .alias("stable")
        .send()
        .await;
    failures.check("describe by Version and Alias", check_sdk(&result, INVALID));
    let result = client
        .update_image_version()
        .image_name("empty")
        .version(1)
        .alias("stable")
        .release_notes("x")
        .send()
        .await;
    failures.check("update by Version and Alias", check_sdk(&result, INVALID));
    let result = client
        .delete_image_version()
        .image_name("empty")
        .version(1)
        .alias("stable")
        .send()
        .await;
    failures.check("delete by Version and Alias", check_sdk(&result, INVALID));
    let result = client
        .delete_image_version()
        .image_name("empty")
        .send()
        .await;
    failures.check("delete by neither", check_sdk(&result, INVALID));

    failures.compare(
        "versions after the refusals",
        version_numbers(&client, "empty").await,
        vec![1],
    );
    failures.assert_none();
}
