//! NameContains through the index of names' windows: the same matches as a substring test, in every sort
//! and page, after deletions, past records the other filters leave out, and for names stored before the
//! index existed.

use aws_sdk_sagemaker::types::{ImageSortBy, ImageSortOrder};
use aws_sdk_sagemaker::Client;

use super::{create_in_order, names, times, touch};
use crate::common::cases::Failures;
use crate::common::{create_image, every_page, pause, strings, Server};

/// Every name of `created` containing `part` (case-insensitively), in the order ListImages gives for `sort`,
/// computed here from the creation order.
fn expected_matches(
    created: &[&str],
    part: &str,
    sort: &ImageSortBy,
    order: &ImageSortOrder,
) -> Vec<String> {
    let mut matching: Vec<String> = created
        .iter()
        .filter(|name| {
            name.to_ascii_lowercase()
                .contains(&part.to_ascii_lowercase())
        })
        .map(|name| name.to_string())
        .collect();
    if *sort == ImageSortBy::ImageName {
        matching.sort_by_key(|name| name.to_ascii_lowercase());
    }
    if *order == ImageSortOrder::Descending {
        matching.reverse();
    }
    matching
}

/// Lists every page of `part`'s matches, two to a page.
async fn all_matches(
    client: &Client,
    part: &str,
    sort: &ImageSortBy,
    order: &ImageSortOrder,
) -> Vec<String> {
    let (listed, _) = every_page(2, |token| async move {
        let page = client
            .list_images()
            .name_contains(part)
            .sort_by(sort.clone())
            .sort_order(order.clone())
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .expect("list");
        (names(&page), page.next_token().map(str::to_owned))
    })
    .await;
    listed
}

/// Checks every NameContains of a fixed set, in every sort and order, against `created`; each case is
/// named after `stage`.
async fn check_matches(client: &Client, created: &[&str], stage: &str, failures: &mut Failures) {
    let parts = [
        "101", "011", "BUILD", "uild-", "1-0", "01011", "ld.0", "st-1", "b-1", "-", "1", "zzz",
        "0110x",
    ];
    for part in parts {
        for sort in [
            ImageSortBy::CreationTime,
            ImageSortBy::LastModifiedTime,
            ImageSortBy::ImageName,
        ] {
            for order in [ImageSortOrder::Ascending, ImageSortOrder::Descending] {
                failures.compare(
                    &format!("{stage}: NameContains {part}, {sort:?} {order:?}"),
                    all_matches(client, part, &sort, &order).await,
                    expected_matches(created, part, &sort, &order),
                );
            }
        }
    }
}

/// NameContains of three or more characters reads names through the index of their four-character
/// windows: the matches must be the same, in every sort and through pages, as a plain substring test, also
/// after deletions and after a name is created again. Three-character values are found at a name's end
/// (`test-0101` for `101`), as a whole name (`b-1`), and once in a name holding them twice with different
/// characters after them (`101-1010`).
#[tokio::test]
async fn name_contains_through_the_name_index_in_every_sort_and_page() {
    let server = Server::start();
    let client = server.client();
    let created = [
        "build-0110",
        "Build-1011",
        "test-0101",
        "build.0011",
        "b-1",
        "TEST-1100",
        "release-01011",
        "r",
        "101-1010",
    ];
    create_in_order(&client, &created).await;
    let mut failures = Failures::default();
    check_matches(&client, &created, "created", &mut failures).await;

    // A deleted name stops matching; created again, it matches once, as the newest image.
    for name in ["Build-1011", "r"] {
        client
            .delete_image()
            .image_name(name)
            .send()
            .await
            .expect("delete");
    }
    let remaining: Vec<&str> = created
        .into_iter()
        .filter(|name| !["Build-1011", "r"].contains(name))
        .collect();
    check_matches(&client, &remaining, "deleted", &mut failures).await;
    create_image(&client, "Build-1011").await;
    let mut recreated = remaining;
    recreated.push("Build-1011");
    check_matches(&client, &recreated, "created again", &mut failures).await;
    failures.assert_none();
}

/// A NameContains list walks the keys of the names it may hold in the list's order; records that the
/// filters on their own columns leave out (here the newest matches, not modified since the bound) are
/// skipped and the walk goes on until the page is full. The four-character value walks one window's
/// names, the three-character one the windows it starts, the two-character one the sort order's index.
#[tokio::test]
async fn name_contains_fills_its_page_past_records_its_filters_leave_out() {
    let server = Server::start();
    let client = server.client();
    let created = [
        "walk-01", "walk-02", "walk-03", "walk-04", "walk-05", "walk-06",
    ];
    create_in_order(&client, &created).await;
    touch(&client, "walk-01").await;
    touch(&client, "walk-02").await;
    let (_, modified_since, _, _) = times(&server, "walk-01").await;
    let mut failures = Failures::default();
    for part in ["alk-", "alk", "lk"] {
        for sort in [
            ImageSortBy::CreationTime,
            ImageSortBy::ImageName,
            ImageSortBy::LastModifiedTime,
        ] {
            let (client, sort) = (&client, &sort);
            let (listed, _) = every_page(1, |token| async move {
                let page = client
                    .list_images()
                    .name_contains(part)
                    .last_modified_time_after(modified_since)
                    .sort_by(sort.clone())
                    .sort_order(ImageSortOrder::Descending)
                    .max_results(1)
                    .set_next_token(token)
                    .send()
                    .await
                    .expect("list");
                (names(&page), page.next_token().map(str::to_owned))
            })
            .await;
            let name = format!("NameContains {part}, {sort:?}");
            failures.compare(&name, listed, strings(&["walk-02", "walk-01"]));
        }
    }
    failures.assert_none();
}

/// A store written before the name index existed gets it filled by the migrations that add it (three-
/// character windows), change it (four) and move each window, with its name's creation time, to the
/// postings tables: images and app image configs stored earlier are found by NameContains, in creation
/// order too, and names created afterwards are indexed as well.
#[tokio::test]
async fn the_name_index_is_filled_for_images_stored_before_it() {
    let mut server = Server::start();
    let client = server.client();
    create_in_order(&client, &["legacy-beta", "legacy-alpha", "other"]).await;
    for config in ["legacy-cfg-b", "legacy-cfg-a"] {
        client
            .create_app_image_config()
            .app_image_config_name(config)
            .send()
            .await
            .expect("create config");
        pause().await;
    }
    server.terminate();
    server.run_store_sql(
        // A store from before migration 3 had none of the later migrations' tables either.
        "DROP TABLE image_name_postings; DROP TABLE app_image_config_name_postings;
         DROP TABLE forced_outcomes;
         DELETE FROM schema_migrations WHERE version >= 3;",
    );
    server.restart();
    let client = server.client();
    create_image(&client, "legacy-gamma").await;
    let found = client
        .list_images()
        .name_contains("gacy-")
        .sort_by(ImageSortBy::ImageName)
        .sort_order(ImageSortOrder::Ascending)
        .send()
        .await
        .expect("list");
    assert_eq!(
        names(&found),
        ["legacy-alpha", "legacy-beta", "legacy-gamma"]
    );
    // By creation time (the default), newest first: the windows of names stored before them carry their
    // names' creation times.
    let found = client
        .list_images()
        .name_contains("gacy-")
        .send()
        .await
        .expect("list");
    assert_eq!(
        names(&found),
        ["legacy-gamma", "legacy-alpha", "legacy-beta"]
    );
    // App image configs' windows are moved with their creation times as well (newest first by default).
    let configs = client
        .list_app_image_configs()
        .name_contains("cfg")
        .send()
        .await
        .expect("list configs");
    let config_names: Vec<&str> = configs
        .app_image_configs()
        .iter()
        .filter_map(|config| config.app_image_config_name())
        .collect();
    assert_eq!(config_names, ["legacy-cfg-a", "legacy-cfg-b"]);
    // Three characters at the end of a name stored before the index: the window that ends the name.
    let found = client
        .list_images()
        .name_contains("pha")
        .send()
        .await
        .expect("list");
    assert_eq!(names(&found), ["legacy-alpha"]);
}
