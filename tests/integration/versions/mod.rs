//! Image versions, a module per behaviour: numbering, ClientToken and the image a version needs (`create`),
//! selecting a version (`describe`), aliases and ListAliases (`aliases`), the model's constraints on every
//! member (`validation`), UpdateImageVersion (`update`), ListImageVersions (`list`), the transition delay
//! (`lifecycle`), and what goes with a version or its image (`delete`).

mod aliases;
mod create;
mod delete;
mod describe;
mod lifecycle;
mod list;
mod update;
mod validation;

use std::time::Duration;

use aws_sdk_sagemaker::types::{
    ImageStatus, ImageVersionSortBy, ImageVersionSortOrder, ImageVersionStatus,
};
use aws_sdk_sagemaker::Client;

use crate::common::{code, message, Options, Server};

/// Another image in Amazon ECR, for a request that differs from an earlier one in its BaseImage.
const OTHER_BASE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:other";

/// A server whose images and versions take `delay` to be created, updated and deleted.
fn delayed(delay: &'static str) -> Server {
    Server::start_with(Options {
        transition_delay: Some(delay),
        ..Default::default()
    })
}

/// The versions of `image` as ListImageVersions shows them, at most 100, in this order.
async fn listed(
    client: &Client,
    image: &str,
    sort_by: Option<ImageVersionSortBy>,
    order: Option<ImageVersionSortOrder>,
) -> Vec<i32> {
    client
        .list_image_versions()
        .image_name(image)
        .set_sort_by(sort_by)
        .set_sort_order(order)
        .max_results(100)
        .send()
        .await
        .unwrap_or_else(|e| panic!("list versions of {image}: {e:?}"))
        .image_versions()
        .iter()
        .map(|v| v.version().unwrap_or(-1))
        .collect()
}

/// Every version number ListImageVersions shows, sorted by VERSION ascending.
async fn version_numbers(client: &Client, image: &str) -> Vec<i32> {
    listed(
        client,
        image,
        Some(ImageVersionSortBy::Version),
        Some(ImageVersionSortOrder::Ascending),
    )
    .await
}

/// The version DescribeImageVersion shows without Version or Alias.
async fn latest(client: &Client, image: &str) -> Option<i32> {
    client
        .describe_image_version()
        .image_name(image)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe latest of {image}: {e:?}"))
        .version()
}

/// ListAliases of `image`, whole, with these filters.
async fn aliases(
    client: &Client,
    image: &str,
    version: Option<i32>,
    alias: Option<&str>,
) -> Vec<String> {
    client
        .list_aliases()
        .image_name(image)
        .set_version(version)
        .set_alias(alias.map(str::to_owned))
        .send()
        .await
        .unwrap_or_else(|e| panic!("list aliases of {image}: {e:?}"))
        .sage_maker_image_version_aliases()
        .to_vec()
}

/// The status of a version, `None` once DescribeImageVersion answers ResourceNotFound.
async fn version_status(client: &Client, image: &str, version: i32) -> Option<ImageVersionStatus> {
    match client
        .describe_image_version()
        .image_name(image)
        .version(version)
        .send()
        .await
    {
        Ok(v) => v.image_version_status().cloned(),
        Err(e) => {
            assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
            assert!(message(&e).contains("does not exist"), "{e:?}");
            None
        }
    }
}

async fn wait_for_version(
    client: &Client,
    image: &str,
    version: i32,
    wanted: Option<ImageVersionStatus>,
) {
    for _ in 0..100 {
        if version_status(client, image, version).await == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{image}/{version} never reached {wanted:?}");
}

async fn wait_for_image(client: &Client, image: &str, wanted: ImageStatus) {
    for _ in 0..100 {
        let described = client
            .describe_image()
            .image_name(image)
            .send()
            .await
            .expect("describe image");
        if described.image_status() == Some(&wanted) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{image} never reached {wanted:?}");
}
