//! ListImages' page sizes: MaxResults' bounds, small pages and the SDK's paginator.

use aws_sdk_sagemaker::types::{ImageSortBy, ImageSortOrder};
use serde_json::json;

use super::{check_refused, create_in_order, list_all, raw_page, reversed, touch, TWELVE};
use crate::common::cases::Failures;
use crate::common::{create_image, pause, strings, Server};

#[tokio::test]
async fn max_results_bounds() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &TWELVE[..11]).await;

    let mut failures = Failures::default();
    let newest_eleven = reversed(&TWELVE[..11]);
    let (one, token) = raw_page(&server, json!({"MaxResults": 1})).await;
    failures.compare(
        "MaxResults 1",
        (one, token.is_some()),
        (strings(&["img-f"]), true),
    );
    let (hundred, token) = raw_page(&server, json!({"MaxResults": 100})).await;
    failures.compare("MaxResults 100", (hundred, token), (newest_eleven, None));
    // Exactly as many as asked for: no NextToken when nothing is left.
    let (eleven, token) = raw_page(&server, json!({"MaxResults": 11})).await;
    failures.compare("MaxResults 11", (eleven.len(), token), (11, None));

    #[rustfmt::skip]
    let cases = [
        (0, "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
             Member must have value greater than or equal to 1"),
        (101, "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: \
               Member must have value less than or equal to 100"),
        (-1, "Member must have value greater than or equal to 1"),
    ];
    for (max_results, message) in cases {
        let outcome = check_refused(&server, &json!({"MaxResults": max_results}), message).await;
        failures.check(&format!("MaxResults {max_results}"), outcome);
    }
    failures.assert_none();
}

#[tokio::test]
async fn small_pages_return_every_image_once_in_order() {
    let server = Server::start();
    let client = server.client();
    let created = ["m3", "m1", "M6", "m0", "m5", "m2", "m4"];
    create_in_order(&client, &created).await;
    // Modification order differs from creation order.
    touch(&client, "m1").await;
    touch(&client, "m5").await;
    let by_modification = ["m3", "M6", "m0", "m2", "m4", "m1", "m5"];
    let by_name = ["m0", "m1", "m2", "m3", "m4", "m5", "M6"];

    let mut failures = Failures::default();
    for (sort_by, ascending) in [
        (ImageSortBy::CreationTime, created),
        (ImageSortBy::LastModifiedTime, by_modification),
        (ImageSortBy::ImageName, by_name),
    ] {
        for (order, expected) in [
            (ImageSortOrder::Ascending, strings(&ascending)),
            (ImageSortOrder::Descending, reversed(&ascending)),
        ] {
            for page_size in 1..=3 {
                let (all, pages) =
                    list_all(&client, sort_by.clone(), order.clone(), page_size).await;
                // No empty trailing page.
                let fewest_pages = expected.len().div_ceil(page_size as usize);
                failures.compare(
                    &format!("{sort_by:?} {order:?} by {page_size}"),
                    (all, pages),
                    (expected.clone(), fewest_pages),
                );
            }
        }
    }
    failures.assert_none();
}

#[tokio::test]
async fn sdk_paginator_collects_every_image() {
    let server = Server::start();
    let client = server.client();
    let created: Vec<String> = (0..23).map(|i| format!("p{i:02}")).collect();
    for name in &created {
        create_image(&client, name).await;
        pause().await;
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();

    let collect = |page_size: Option<i32>| {
        let client = client.clone();
        async move {
            client
                .list_images()
                .set_max_results(page_size)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .expect("paginate")
                .iter()
                .map(|i| i.image_name().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(collect(None).await, newest_first);
    assert_eq!(collect(Some(4)).await, newest_first);
    assert_eq!(collect(Some(1)).await, newest_first);

    // Pages, not items: 23 images by 10 are three pages.
    let pages: Vec<_> = client
        .list_images()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .expect("pages");
    assert_eq!(
        pages.iter().map(|p| p.images().len()).collect::<Vec<_>>(),
        [10, 10, 3]
    );
}
