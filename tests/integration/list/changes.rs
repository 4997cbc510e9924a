//! What a listing shows of deletions, transitions and writes since an earlier listing.

use std::time::Duration;

use aws_sdk_sagemaker::types::{ImageSortBy, ImageSortOrder, ImageStatus};

use super::{create_in_order, list_all, names, touch};
use crate::common::{create_image, strings, Options, Server};

#[tokio::test]
async fn deleted_images_are_not_listed() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &["keep1", "gone", "keep2"]).await;
    client
        .delete_image()
        .image_name("gone")
        .send()
        .await
        .expect("delete");
    let page = client.list_images().send().await.expect("list");
    assert_eq!(names(&page), ["keep2", "keep1"]);
    for (sort_by, order) in [
        (ImageSortBy::ImageName, ImageSortOrder::Ascending),
        (ImageSortBy::LastModifiedTime, ImageSortOrder::Descending),
    ] {
        let (all, _) = list_all(&client, sort_by, order, 1).await;
        assert!(!all.contains(&"gone".to_owned()), "{all:?}");
        assert_eq!(all.len(), 2);
    }
    let page = client
        .list_images()
        .name_contains("gone")
        .send()
        .await
        .expect("list");
    assert!(page.images().is_empty());
    assert_eq!(page.next_token(), None);
}

#[tokio::test]
async fn an_image_being_deleted_is_listed_until_its_deletion_ends() {
    let server = Server::start_with(Options {
        transition_delay: Some("1s"),
        ..Options::default()
    });
    let client = server.client();
    create_image(&client, "slow").await;
    create_image(&client, "stays").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client
        .delete_image()
        .image_name("slow")
        .send()
        .await
        .expect("delete");
    let page = client
        .list_images()
        .sort_by(ImageSortBy::ImageName)
        .sort_order(ImageSortOrder::Ascending)
        .send()
        .await
        .expect("list");
    assert_eq!(names(&page), ["slow", "stays"]);
    assert_eq!(
        page.images()[0].image_status().map(|s| s.as_str()),
        Some("DELETING")
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let page = client
        .list_images()
        .sort_by(ImageSortBy::ImageName)
        .send()
        .await
        .expect("list");
    assert_eq!(names(&page), ["stays"]);
}

/// The same ListImages asked again after a change answers with the change: a cached page never outlives a
/// write.
#[tokio::test]
async fn a_repeated_list_shows_every_change_since() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &["alpha", "beta"]).await;
    let list = || async {
        client
            .list_images()
            .max_results(10)
            .send()
            .await
            .expect("list")
    };
    let before = list().await;
    assert_eq!(names(&before), strings(&["beta", "alpha"]));
    assert_eq!(names(&list().await), strings(&["beta", "alpha"]));

    touch(&client, "alpha").await;
    let after = list().await;
    let alpha = after
        .images()
        .iter()
        .find(|i| i.image_name() == Some("alpha"))
        .expect("alpha listed");
    assert_eq!(alpha.description(), Some("touched alpha"));

    create_image(&client, "gamma").await;
    assert_eq!(names(&list().await), strings(&["gamma", "beta", "alpha"]));
    client
        .delete_image()
        .image_name("beta")
        .send()
        .await
        .expect("delete");
    assert_eq!(names(&list().await), strings(&["gamma", "alpha"]));
}

/// A page read while a transition is under way is not reused: asked again once it has ended (with no write
/// in between), ListImages shows the new status.
#[tokio::test]
async fn a_repeated_list_shows_transitions_that_ended_since() {
    let server = Server::start_with(Options {
        transition_delay: Some("1s"),
        ..Default::default()
    });
    let client = server.client();
    create_image(&client, "img").await;
    let status = || async {
        client
            .list_images()
            .send()
            .await
            .expect("list")
            .images()
            .first()
            .and_then(|i| i.image_status().cloned())
    };
    assert_eq!(status().await, Some(ImageStatus::Creating));
    assert_eq!(status().await, Some(ImageStatus::Creating));
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(status().await, Some(ImageStatus::Created));
}
