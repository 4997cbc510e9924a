//! Regions never see each other's images: the region is the one in the request's credential scope.

use crate::common::{code, create_image, Server, ACCOUNT};

#[tokio::test]
async fn regions_are_separate_namespaces() {
    let server = Server::start();
    let east = server.client();
    let west = server.client_as("test", "test", "eu-west-1");
    create_image(&east, "shared-name").await;

    let e = west
        .describe_image()
        .image_name("shared-name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound");
    assert!(west
        .list_images()
        .send()
        .await
        .expect("list")
        .images()
        .is_empty());
    let e = west
        .update_image()
        .image_name("shared-name")
        .description("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound");
    let e = west
        .delete_image()
        .image_name("shared-name")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound");

    // The same name can exist in both regions, with region-specific ARNs.
    create_image(&west, "shared-name").await;
    let west_image = west
        .describe_image()
        .image_name("shared-name")
        .send()
        .await
        .expect("west");
    assert_eq!(
        west_image.image_arn(),
        Some(format!("arn:aws:sagemaker:eu-west-1:{ACCOUNT}:image/shared-name").as_str())
    );
    west.delete_image()
        .image_name("shared-name")
        .send()
        .await
        .expect("delete in west");
    east.describe_image()
        .image_name("shared-name")
        .send()
        .await
        .expect("east is untouched");
}
