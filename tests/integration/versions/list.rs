//! ListImageVersions: its defaults, every sort, the time filters and paging.

use aws_sdk_sagemaker::types::{
    ImageVersionSortBy as By, ImageVersionSortOrder as Order, ImageVersionStatus,
};
use aws_sdk_sagemaker::Client;

use super::listed;
use crate::common::cases::{assert_refused, check_sdk, invalid, Failures};
use crate::common::{
    create_image_with_versions, every_page, image_arn, pause, tamper, version_arn, Server,
};

/// Image "lv" with versions 1 to 12, then 5, 2 and 9 updated in that order: modification order differs
/// from creation order.
async fn twelve_versions_touched(client: &Client) {
    create_image_with_versions(client, "lv", 12).await;
    for version in [5, 2, 9] {
        client
            .update_image_version()
            .image_name("lv")
            .version(version)
            .release_notes(format!("touched {version}"))
            .send()
            .await
            .expect("touch");
        pause().await;
    }
}

fn numbers(versions: &[aws_sdk_sagemaker::types::ImageVersion]) -> Vec<i32> {
    versions.iter().map(|v| v.version().unwrap_or(-1)).collect()
}

#[tokio::test]
async fn list_image_versions_is_newest_first_ten_per_page() {
    let server = Server::start();
    let client = server.client();
    let of_nothing = client.list_image_versions().image_name("nosuch");
    assert_refused(
        of_nothing.send().await,
        "ResourceNotFound",
        &["does not exist"],
    );
    twelve_versions_touched(&client).await;

    let first = client
        .list_image_versions()
        .image_name("lv")
        .send()
        .await
        .expect("default list");
    assert_eq!(
        numbers(first.image_versions()),
        (3..=12).rev().collect::<Vec<_>>(),
        "CREATION_TIME DESCENDING, 10"
    );
    assert!(first.next_token().is_some());
    let item = &first.image_versions()[0];
    assert_eq!(
        item.image_version_arn(),
        Some(version_arn("lv", 12).as_str())
    );
    assert_eq!(item.image_arn(), Some(image_arn("lv").as_str()));
    assert_eq!(
        item.image_version_status(),
        Some(&ImageVersionStatus::Created)
    );
    assert!(item.creation_time().is_some() && item.last_modified_time().is_some());
}

#[tokio::test]
async fn list_image_versions_sorts_by_every_key_in_both_orders() {
    let server = Server::start();
    let client = server.client();
    twelve_versions_touched(&client).await;
    let up: Vec<i32> = (1..=12).collect();
    let down: Vec<i32> = (1..=12).rev().collect();
    let by_modified = vec![1, 3, 4, 6, 7, 8, 10, 11, 12, 5, 2, 9];
    let by_modified_down: Vec<i32> = by_modified.iter().rev().copied().collect();

    let mut failures = Failures::default();
    #[rustfmt::skip]
    let cases = [
        (Some(By::Version), Some(Order::Ascending), &up),
        (Some(By::Version), Some(Order::Descending), &down),
        (Some(By::Version), None, &down),
        (Some(By::CreationTime), Some(Order::Ascending), &up),
        (Some(By::CreationTime), Some(Order::Descending), &down),
        (None, Some(Order::Ascending), &up),
        (Some(By::LastModifiedTime), Some(Order::Ascending), &by_modified),
        (Some(By::LastModifiedTime), Some(Order::Descending), &by_modified_down),
    ];
    for (sort_by, order, expected) in cases {
        let name = format!("{sort_by:?} {order:?}");
        let got = listed(&client, "lv", sort_by, order).await;
        failures.compare(&name, &got, expected);
    }
    failures.assert_none();
}

#[tokio::test]
async fn time_filters_include_their_bounds() {
    let server = Server::start();
    let client = server.client();
    twelve_versions_touched(&client).await;
    let all = client
        .list_image_versions()
        .image_name("lv")
        .max_results(100)
        .sort_by(By::Version)
        .sort_order(Order::Ascending)
        .send()
        .await
        .expect("list");
    let version = |n: usize| &all.image_versions()[n - 1];
    let created = |n: usize| version(n).creation_time().copied();
    let modified = |n: usize| version(n).last_modified_time().copied();

    let mut failures = Failures::default();
    #[rustfmt::skip]
    let cases = [
        // [CreationTimeAfter, CreationTimeBefore, LastModifiedTimeAfter, LastModifiedTimeBefore]
        ("created from 4 to 8", [created(4), created(8), None, None], By::Version, vec![4, 5, 6, 7, 8]),
        ("modified since 5", [None, None, modified(5), None], By::LastModifiedTime, vec![5, 2, 9]),
        ("modified until 3", [None, None, None, modified(3)], By::Version, vec![1, 3]),
    ];
    for (
        name,
        [created_after, created_before, modified_after, modified_before],
        sort_by,
        expected,
    ) in cases
    {
        let filtered = client
            .list_image_versions()
            .image_name("lv")
            .set_creation_time_after(created_after)
            .set_creation_time_before(created_before)
            .set_last_modified_time_after(modified_after)
            .set_last_modified_time_before(modified_before)
            .sort_by(sort_by)
            .sort_order(Order::Ascending)
            .send()
            .await
            .expect(name);
        failures.compare(name, numbers(filtered.image_versions()), expected);
    }
    failures.assert_none();
}

#[tokio::test]
async fn list_image_versions_pages() {
    let server = Server::start();
    let client = server.client();
    twelve_versions_touched(&client).await;
    let down: Vec<i32> = (1..=12).rev().collect();

    // Two per page: each version once.
    let client = &client;
    let (seen, pages) = every_page(2, |token| async move {
        let page = client
            .list_image_versions()
            .image_name("lv")
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .expect("page");
        let next = page.next_token().map(str::to_owned);
        (numbers(page.image_versions()), next)
    })
    .await;
    assert_eq!(seen, down);
    assert_eq!(pages, 6);

    let collected = client
        .list_image_versions()
        .image_name("lv")
        .max_results(5)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate");
    assert_eq!(numbers(&collected), down);
    let collected = client
        .list_image_versions()
        .image_name("lv")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate with the default page size");
    assert_eq!(collected.len(), 12);
}

#[tokio::test]
async fn a_token_continues_only_the_list_it_came_from() {
    let server = Server::start();
    let client = server.client();
    twelve_versions_touched(&client).await;
    let page = client
        .list_image_versions()
        .image_name("lv")
        .max_results(2)
        .send()
        .await
        .expect("page");
    let good = page.next_token().expect("token");

    let mut failures = Failures::default();
    for (name, sort_by, token) in [
        ("a tampered token", None, tamper(good)),
        ("not a token", None, "not-a-token".to_owned()),
        (
            "a token of another sort",
            Some(By::Version),
            good.to_owned(),
        ),
    ] {
        let result = client
            .list_image_versions()
            .image_name("lv")
            .max_results(2)
            .set_sort_by(sort_by)
            .next_token(token)
            .send()
            .await;
        failures.check(name, check_sdk(&result, invalid(&[])));
    }
    failures.assert_none();
}
