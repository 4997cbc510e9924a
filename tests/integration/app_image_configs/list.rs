//! ListAppImageConfigs: the defaults, every sort, the enums' spelling, the filters and pages.

use aws_sdk_sagemaker::types::{AppImageConfigSortKey as By, SortOrder};
use aws_sdk_sagemaker::Client;
use serde_json::json;

use super::{config_arn, jupyter_lab, kernel_gateway, names_of};
use crate::common::cases::{check_raw, check_sdk, invalid, Expected, Failures};
use crate::common::{every_page, pause, strings, tamper, Server};

/// Configs cfg-c, cfg-a, cfg-d, cfg-b and other-x created in that order, then cfg-a and cfg-c updated:
/// creation, name and modification orders all differ.
async fn five_configs(client: &Client) {
    for name in ["cfg-c", "cfg-a", "cfg-d", "cfg-b", "other-x"] {
        client
            .create_app_image_config()
            .app_image_config_name(name)
            .kernel_gateway_image_config(kernel_gateway())
            .send()
            .await
            .expect("create");
        pause().await;
    }
    for name in ["cfg-a", "cfg-c"] {
        client
            .update_app_image_config()
            .app_image_config_name(name)
            .jupyter_lab_app_image_config(jupyter_lab())
            .send()
            .await
            .expect("touch");
        pause().await;
    }
}

const BY_CREATION: [&str; 5] = ["cfg-c", "cfg-a", "cfg-d", "cfg-b", "other-x"];
const BY_NAME: [&str; 5] = ["cfg-a", "cfg-b", "cfg-c", "cfg-d", "other-x"];
const BY_MODIFIED: [&str; 5] = ["cfg-d", "cfg-b", "other-x", "cfg-a", "cfg-c"];

fn reversed(names: &[&str]) -> Vec<String> {
    names.iter().rev().map(|n| n.to_string()).collect()
}

async fn listed(client: &Client, sort_by: Option<By>, order: Option<SortOrder>) -> Vec<String> {
    names_of(
        client
            .list_app_image_configs()
            .set_sort_by(sort_by)
            .set_sort_order(order)
            .send()
            .await
            .expect("list")
            .app_image_configs(),
    )
}

#[tokio::test]
async fn list_app_image_configs_is_newest_first_with_every_member() {
    let server = Server::start();
    let client = server.client();
    five_configs(&client).await;

    let default = client.list_app_image_configs().send().await.expect("list");
    assert_eq!(
        names_of(default.app_image_configs()),
        reversed(&BY_CREATION)
    );
    assert_eq!(default.next_token(), None);
    let item = &default.app_image_configs()[0];
    assert_eq!(
        item.app_image_config_arn(),
        Some(config_arn("other-x").as_str())
    );
    assert_eq!(item.kernel_gateway_image_config(), Some(&kernel_gateway()));
    assert!(item.creation_time().is_some() && item.last_modified_time().is_some());
    let touched = default
        .app_image_configs()
        .iter()
        .find(|c| c.app_image_config_name() == Some("cfg-a"))
        .expect("cfg-a listed");
    assert_eq!(touched.jupyter_lab_app_image_config(), Some(&jupyter_lab()));
}

#[tokio::test]
async fn list_app_image_configs_sorts_by_every_key_in_both_orders() {
    let server = Server::start();
    let client = server.client();
    five_configs(&client).await;
    let mut failures = Failures::default();
    #[rustfmt::skip]
    let cases = [
        (Some(By::Name), Some(SortOrder::Ascending), strings(&BY_NAME)),
        (Some(By::Name), Some(SortOrder::Descending), reversed(&BY_NAME)),
        (Some(By::Name), None, reversed(&BY_NAME)),
        (Some(By::CreationTime), Some(SortOrder::Ascending), strings(&BY_CREATION)),
        (Some(By::CreationTime), Some(SortOrder::Descending), reversed(&BY_CREATION)),
        (None, Some(SortOrder::Ascending), strings(&BY_CREATION)),
        (Some(By::LastModifiedTime), Some(SortOrder::Ascending), strings(&BY_MODIFIED)),
        (Some(By::LastModifiedTime), Some(SortOrder::Descending), reversed(&BY_MODIFIED)),
    ];
    for (sort_by, order, expected) in cases {
        let name = format!("{sort_by:?} {order:?}");
        failures.compare(&name, listed(&client, sort_by, order).await, expected);
    }
    failures.assert_none();
}

#[tokio::test]
async fn sort_enums_are_spelled_in_mixed_case() {
    let server = Server::start();
    let mut failures = Failures::default();
    // Other spellings are refused, with no listing.
    #[rustfmt::skip]
    let cases = [
        ("SortBy NAME", json!({"SortBy": "NAME"}),
            invalid(&["Member must satisfy enum value set: [CreationTime, LastModifiedTime, Name]"])),
        ("SortBy CREATION_TIME", json!({"SortBy": "CREATION_TIME"}),
            invalid(&["Member must satisfy enum value set: [CreationTime, LastModifiedTime, Name]"])),
        ("SortOrder ASCENDING", json!({"SortOrder": "ASCENDING"}),
            invalid(&["Member must satisfy enum value set: [Ascending, Descending]"])),
    ];
    for (name, body, expected) in cases {
        let answer = server.raw().call("ListAppImageConfigs", &body).await;
        let outcome =
            check_raw(&answer, expected).and_then(|()| match answer.body.get("AppImageConfigs") {
                Some(_) => Err(format!("a listing with the error: {}", answer.text)),
                None => Ok(()),
            });
        failures.check(name, outcome);
    }
    let body = json!({"SortBy": "Name", "SortOrder": "Ascending"});
    let answer = server.raw().call("ListAppImageConfigs", &body).await;
    failures.check("Name and Ascending", check_raw(&answer, Expected::Accepted));
    failures.assert_none();
}

#[tokio::test]
async fn list_app_image_configs_filters_by_name_and_time() {
    let server = Server::start();
    let client = server.client();
    five_configs(&client).await;
    let all = client
        .list_app_image_configs()
        .sort_by(By::Name)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .expect("list");
    let find = |name: &str| {
        all.app_image_configs()
            .iter()
            .find(|c| c.app_image_config_name() == Some(name))
            .unwrap_or_else(|| panic!("{name} listed"))
            .clone()
    };
    let created = |name: &str| find(name).creation_time().copied();
    let modified = |name: &str| find(name).last_modified_time().copied();

    let mut failures = Failures::default();
    // Time filters are inclusive.
    #[rustfmt::skip]
    let cases = [
        // NameContains, [CreationTimeAfter, CreationTimeBefore, ModifiedTimeAfter, ModifiedTimeBefore], sort
        ("NameContains cfg", Some("cfg"), [None, None, None, None], Some((By::Name, SortOrder::Ascending)),
            &["cfg-a", "cfg-b", "cfg-c", "cfg-d"][..]),
        ("NameContains x", Some("x"), [None, None, None, None], None, &["other-x"]),
        ("NameContains zzz", Some("zzz"), [None, None, None, None], None, &[]),
        ("created from cfg-a to cfg-b", None, [created("cfg-a"), created("cfg-b"), None, None],
            Some((By::CreationTime, SortOrder::Ascending)), &["cfg-a", "cfg-d", "cfg-b"]),
        ("modified since cfg-a", None, [None, None, modified("cfg-a"), None],
            Some((By::LastModifiedTime, SortOrder::Ascending)), &["cfg-a", "cfg-c"]),
        ("modified until cfg-b", None, [None, None, None, modified("cfg-b")],
            Some((By::Name, SortOrder::Ascending)), &["cfg-b", "cfg-d"]),
    ];
    for (
        name,
        part,
        [created_after, created_before, modified_after, modified_before],
        sort,
        expected,
    ) in cases
    {
        let (sort_by, order) = sort.unzip();
        let found = client
            .list_app_image_configs()
            .set_name_contains(part.map(str::to_owned))
            .set_creation_time_after(created_after)
            .set_creation_time_before(created_before)
            .set_modified_time_after(modified_after)
            .set_modified_time_before(modified_before)
            .set_sort_by(sort_by)
            .set_sort_order(order)
            .send()
            .await
            .expect(name);
        failures.compare(name, names_of(found.app_image_configs()), strings(expected));
    }
    failures.assert_none();
}

#[tokio::test]
async fn list_app_image_configs_pages() {
    let server = Server::start();
    let client = server.client();
    five_configs(&client).await;

    // One per page: each config once, in order.
    let client = &client;
    let (seen, pages) = every_page(1, |token| async move {
        let page = client
            .list_app_image_configs()
            .sort_by(By::Name)
            .sort_order(SortOrder::Ascending)
            .max_results(1)
            .set_next_token(token)
            .send()
            .await
            .expect("page");
        let next = page.next_token().map(str::to_owned);
        (names_of(page.app_image_configs()), next)
    })
    .await;
    assert_eq!(seen, strings(&BY_NAME));
    assert_eq!(pages, 5);

    let page = client
        .list_app_image_configs()
        .max_results(1)
        .send()
        .await
        .expect("first page");
    let good = page.next_token().expect("token").to_owned();
    let mut failures = Failures::default();
    let tampered = client
        .list_app_image_configs()
        .max_results(1)
        .next_token(tamper(&good));
    let outcome = check_sdk(&tampered.send().await, invalid(&[]));
    failures.check("a tampered token", outcome);
    let other_filters = client
        .list_app_image_configs()
        .max_results(1)
        .name_contains("cfg")
        .next_token(&good);
    let outcome = check_sdk(&other_filters.send().await, invalid(&[]));
    failures.check("a token of other filters", outcome);
    failures.assert_none();
    let second = client
        .list_app_image_configs()
        .max_results(1)
        .next_token(&good)
        .send()
        .await
        .expect("the untouched token still works");
    assert_eq!(names_of(second.app_image_configs()), strings(&["cfg-b"]));

    let collected = client
        .list_app_image_configs()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate");
    assert_eq!(names_of(&collected), reversed(&BY_CREATION));
}
