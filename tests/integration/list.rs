//! ListImages: defaults, every sort, the filters, page sizes, and NextToken through pages, changes, tampering
//! and reuse.

use std::time::Duration;

use aws_sdk_sagemaker::operation::list_images::ListImagesOutput;
use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{ImageSortBy, ImageSortOrder, ImageStatus};
use aws_sdk_sagemaker::Client;
use serde_json::{json, Value};

use crate::common::{create_image, Options, Server};

/// Creates `names` in order, a few milliseconds apart: timestamps have millisecond resolution, so each image
/// gets a creation time of its own.
async fn create_in_order(client: &Client, names: &[&str]) {
    for name in names {
        create_image(client, name).await;
        pause().await;
    }
}

async fn pause() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

/// Updates `name`, which moves its LastModifiedTime to now.
async fn touch(client: &Client, name: &str) {
    client
        .update_image()
        .image_name(name)
        .description(format!("touched {name}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("update {name}: {e:?}"));
    pause().await;
}

fn names(output: &ListImagesOutput) -> Vec<String> {
    output
        .images()
        .iter()
        .map(|i| i.image_name().unwrap_or_default().to_owned())
        .collect()
}

fn raw_names(body: &Value) -> Vec<String> {
    body["Images"]
        .as_array()
        .unwrap_or_else(|| panic!("no Images in {body}"))
        .iter()
        .map(|i| i["ImageName"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn reversed(names: &[&str]) -> Vec<String> {
    names.iter().rev().map(|n| n.to_string()).collect()
}

/// Every image of one listing, following NextToken with pages of `page_size`; also returns how many pages
/// were read, and asserts no page is larger than asked.
async fn list_all(
    client: &Client,
    sort_by: ImageSortBy,
    order: ImageSortOrder,
    page_size: i32,
) -> (Vec<String>, usize) {
    let (mut all, mut pages, mut token) = (Vec::new(), 0, None::<String>);
    loop {
        let page = client
            .list_images()
            .sort_by(sort_by.clone())
            .sort_order(order.clone())
            .max_results(page_size)
            .set_next_token(token.take())
            .send()
            .await
            .expect("list page");
        pages += 1;
        assert!(page.images().len() <= page_size as usize);
        all.extend(names(&page));
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 100, "paging does not end");
    }
    (all, pages)
}

/// The first page of `body` (raw), asserting success, with its NextToken.
async fn raw_page(server: &Server, body: Value) -> (Vec<String>, Option<String>) {
    let answer = server.raw().call("ListImages", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    (
        raw_names(&answer.body),
        answer.body["NextToken"].as_str().map(str::to_owned),
    )
}

/// A ListImages the server must refuse with a ValidationException and no listing.
async fn assert_refused(server: &Server, body: Value, message_part: &str) {
    let answer = server.raw().call("ListImages", &body).await;
    assert_eq!(answer.status, 400, "{body}: {}", answer.text);
    assert_eq!(
        answer.error_type(),
        "ValidationException",
        "{}",
        answer.text
    );
    assert!(
        answer.message().contains(message_part),
        "{body}: expected {message_part:?} in {:?}",
        answer.message()
    );
    assert!(answer.body.get("Images").is_none(), "{}", answer.text);
}

// Creation order deliberately differs from name order.
const TWELVE: [&str; 12] = [
    "img-g", "img-c", "img-k", "img-a", "img-i", "img-e", "img-b", "img-l", "img-d", "img-j",
    "img-f", "img-h",
];

#[tokio::test]
async fn defaults_are_newest_first_ten_per_page() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &TWELVE).await;

    let first = client.list_images().send().await.expect("list");
    assert_eq!(names(&first), reversed(&TWELVE)[..10]);
    let token = first.next_token().expect("a second page").to_owned();
    let second = client
        .list_images()
        .next_token(token)
        .send()
        .await
        .expect("second page");
    assert_eq!(names(&second), reversed(&TWELVE)[10..]);
    assert_eq!(second.next_token(), None);

    // The defaults spelled out give the same first page.
    let explicit = client
        .list_images()
        .sort_by(ImageSortBy::CreationTime)
        .sort_order(ImageSortOrder::Descending)
        .max_results(10)
        .send()
        .await
        .expect("explicit defaults");
    assert_eq!(names(&explicit), names(&first));

    // Each listed image carries what DescribeImage says of it.
    let listed = &first.images()[0];
    let described = client
        .describe_image()
        .image_name("img-h")
        .send()
        .await
        .expect("describe");
    assert_eq!(listed.image_arn(), described.image_arn());
    assert_eq!(listed.creation_time(), described.creation_time());
    assert_eq!(listed.last_modified_time(), described.last_modified_time());
    assert_eq!(listed.image_status().map(|s| s.as_str()), Some("CREATED"));
}

#[tokio::test]
async fn every_sort_key_in_both_orders() {
    let server = Server::start();
    let client = server.client();
    // Created in this order; "Charlie" and then "alpha" are modified last, so modification order is
    // Bravo, delta, Charlie, alpha.
    create_in_order(&client, &["Charlie", "alpha", "Bravo", "delta"]).await;
    touch(&client, "Charlie").await;
    touch(&client, "alpha").await;

    let by_creation = ["Charlie", "alpha", "Bravo", "delta"];
    let by_modification = ["Bravo", "delta", "Charlie", "alpha"];
    // Names sort by their lower-case form, so case does not split them ("alpha" < "Bravo" < "Charlie").
    let by_name = ["alpha", "Bravo", "Charlie", "delta"];
    for (sort_by, ascending) in [
        (ImageSortBy::CreationTime, by_creation),
        (ImageSortBy::LastModifiedTime, by_modification),
        (ImageSortBy::ImageName, by_name),
    ] {
        for (order, expected) in [
            (ImageSortOrder::Ascending, strings(&ascending)),
            (ImageSortOrder::Descending, reversed(&ascending)),
        ] {
            let page = client
                .list_images()
                .sort_by(sort_by.clone())
                .sort_order(order.clone())
                .send()
                .await
                .expect("list");
            assert_eq!(names(&page), expected, "{sort_by:?} {order:?}");
            assert_eq!(page.next_token(), None);
        }
    }
    // Only the order is given: the sort key stays CreationTime.
    let page = client
        .list_images()
        .sort_order(ImageSortOrder::Ascending)
        .send()
        .await
        .expect("list");
    assert_eq!(names(&page), strings(&by_creation));
    // Only the key is given: the order stays descending.
    let page = client
        .list_images()
        .sort_by(ImageSortBy::ImageName)
        .send()
        .await
        .expect("list");
    assert_eq!(names(&page), reversed(&by_name));
}

/// CreationTime and LastModifiedTime of `name` as the SDK reads them, and as the raw JSON numbers.
async fn times(server: &Server, name: &str) -> (DateTime, DateTime, Value, Value) {
    let described = server
        .client()
        .describe_image()
        .image_name(name)
        .send()
        .await
        .expect("describe");
    let raw = server
        .raw()
        .call("DescribeImage", &json!({"ImageName": name}))
        .await;
    (
        *described.creation_time().expect("CreationTime"),
        *described.last_modified_time().expect("LastModifiedTime"),
        raw.body["CreationTime"].clone(),
        raw.body["LastModifiedTime"].clone(),
    )
}

#[tokio::test]
async fn time_filters_include_their_bounds() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &["first", "second", "third"]).await;
    touch(&client, "first").await;
    let (second_created, second_modified, second_created_raw, _) = times(&server, "second").await;
    let (_, third_modified, _, third_modified_raw) = times(&server, "third").await;
    let (_, first_modified, _, _) = times(&server, "first").await;
    assert_eq!(second_created, second_modified, "never updated");
    assert!(first_modified > third_modified, "the update moved it last");

    let list = || {
        client
            .list_images()
            .sort_by(ImageSortBy::CreationTime)
            .sort_order(ImageSortOrder::Ascending)
    };
    let run =
        |request: aws_sdk_sagemaker::operation::list_images::builders::ListImagesFluentBuilder| async move {
            names(&request.send().await.expect("list"))
        };

    // Creation time: an image created exactly at the bound is inside it, on either side.
    assert_eq!(
        run(list().creation_time_after(second_created)).await,
        ["second", "third"]
    );
    assert_eq!(
        run(list().creation_time_before(second_created)).await,
        ["first", "second"]
    );
    assert_eq!(
        run(list()
            .creation_time_after(second_created)
            .creation_time_before(second_created))
        .await,
        ["second"]
    );
    // The SDK reads the fractional seconds as a float, so take the millisecond from the JSON number.
    let second_created_ms = (second_created_raw.as_f64().expect("number") * 1000.0).round() as i64;
    let just_after = DateTime::from_millis(second_created_ms + 1);
    assert_eq!(run(list().creation_time_after(just_after)).await, ["third"]);
    let just_before = DateTime::from_millis(second_created_ms - 1);
    assert_eq!(
        run(list().creation_time_before(just_before)).await,
        ["first"]
    );

    // Modification time: "first" was updated after "third" was created.
    assert_eq!(
        run(list().last_modified_time_after(first_modified)).await,
        ["first"]
    );
    assert_eq!(
        run(list().last_modified_time_before(third_modified)).await,
        ["second", "third"]
    );
    assert_eq!(
        run(list()
            .last_modified_time_after(second_modified)
            .last_modified_time_before(third_modified))
        .await,
        ["second", "third"]
    );
    // Filters combine: created on or before "second" and modified on or after it.
    assert_eq!(
        run(list()
            .creation_time_before(second_created)
            .last_modified_time_after(second_modified))
        .await,
        ["first", "second"]
    );

    // The exact numbers the server printed, sent back raw, are bounds that include their image too.
    let (listed, _) = raw_page(
        &server,
        json!({"CreationTimeAfter": second_created_raw, "CreationTimeBefore": second_created_raw}),
    )
    .await;
    assert_eq!(listed, ["second"]);
    let (listed, _) = raw_page(
        &server,
        json!({"LastModifiedTimeBefore": third_modified_raw, "SortOrder": "ASCENDING"}),
    )
    .await;
    assert_eq!(listed, ["second", "third"]);
}

#[tokio::test]
async fn name_contains_matches_a_substring_in_any_case() {
    let server = Server::start();
    let client = server.client();
    create_in_order(
        &client,
        &["Alpha-One", "alphabet", "Beta.alp", "gamma", "ALPS"],
    )
    .await;
    let matching = |part: &'static str| {
        let client = client.clone();
        async move {
            names(
                &client
                    .list_images()
                    .name_contains(part)
                    .sort_by(ImageSortBy::CreationTime)
                    .sort_order(ImageSortOrder::Ascending)
                    .send()
                    .await
                    .expect("list"),
            )
        }
    };
    // Observed: matching ignores case on both sides (names and the filter are compared lower-cased), and
    // the listed names keep the case they were created with.
    assert_eq!(
        matching("alp").await,
        ["Alpha-One", "alphabet", "Beta.alp", "ALPS"]
    );
    assert_eq!(
        matching("ALP").await,
        ["Alpha-One", "alphabet", "Beta.alp", "ALPS"]
    );
    assert_eq!(matching("aLpHa").await, ["Alpha-One", "alphabet"]);
    // '-' and '.' are literal characters, not wildcards.
    assert_eq!(matching("a-o").await, ["Alpha-One"]);
    assert_eq!(matching(".").await, ["Beta.alp"]);
    // A substring anywhere, including the whole name.
    assert_eq!(matching("bet").await, ["alphabet", "Beta.alp"]);
    assert_eq!(matching("gamma").await, ["gamma"]);
    assert!(matching("delta").await.is_empty());

    // Characters outside the model's pattern (such as LIKE wildcards) are refused, not matched.
    for part in ["a_b", "a%", "a b"] {
        assert_refused(
            &server,
            json!({"NameContains": part}),
            "at 'nameContains' failed to satisfy constraint: Member must satisfy regular expression pattern",
        )
        .await;
    }
}

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
    let mut listed = Vec::new();
    let mut token = None;
    loop {
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
        listed.extend(names(&page));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return listed;
        }
    }
}

/// Checks every NameContains of a fixed set, in every sort and order, against `created`.
async fn check_matches(client: &Client, created: &[&str]) {
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
                assert_eq!(
                    all_matches(client, part, &sort, &order).await,
                    expected_matches(created, part, &sort, &order),
                    "NameContains {part}, {sort:?} {order:?}"
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
    check_matches(&client, &created).await;

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
    check_matches(&client, &remaining).await;
    create_image(&client, "Build-1011").await;
    let mut recreated = remaining;
    recreated.push("Build-1011");
    check_matches(&client, &recreated).await;
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
    for part in ["alk-", "alk", "lk"] {
        for (sort, expected) in [
            (ImageSortBy::CreationTime, ["walk-02", "walk-01"]),
            (ImageSortBy::ImageName, ["walk-02", "walk-01"]),
            (ImageSortBy::LastModifiedTime, ["walk-02", "walk-01"]),
        ] {
            let mut listed = Vec::new();
            let mut token = None;
            loop {
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
                listed.extend(names(&page));
                token = page.next_token().map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
            assert_eq!(listed, expected, "NameContains {part}, {sort:?}");
        }
    }
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

#[tokio::test]
async fn max_results_bounds() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &TWELVE[..11]).await;

    let (one, token) = raw_page(&server, json!({"MaxResults": 1})).await;
    assert_eq!(one, ["img-f"]);
    assert!(token.is_some());
    let (hundred, token) = raw_page(&server, json!({"MaxResults": 100})).await;
    assert_eq!(hundred, reversed(&TWELVE[..11]));
    assert_eq!(token, None);
    // Exactly as many as asked for: no NextToken when nothing is left.
    let (eleven, token) = raw_page(&server, json!({"MaxResults": 11})).await;
    assert_eq!(eleven.len(), 11);
    assert_eq!(token, None);

    assert_refused(
        &server,
        json!({"MaxResults": 0}),
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 1",
    )
    .await;
    assert_refused(
        &server,
        json!({"MaxResults": 101}),
        "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: \
         Member must have value less than or equal to 100",
    )
    .await;
    assert_refused(
        &server,
        json!({"MaxResults": -1}),
        "Member must have value greater than or equal to 1",
    )
    .await;
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
                assert_eq!(all, expected, "{sort_by:?} {order:?} by {page_size}");
                assert_eq!(
                    pages,
                    expected.len().div_ceil(page_size as usize),
                    "{sort_by:?} {order:?} by {page_size}: no empty trailing page"
                );
            }
        }
    }
}

#[tokio::test]
async fn next_token_survives_creates_and_deletes_between_pages() {
    let server = Server::start();
    let client = server.client();
    let created = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"];
    create_in_order(&client, &created).await;
    let delete = |name: &'static str| {
        let client = client.clone();
        async move {
            client
                .delete_image()
                .image_name(name)
                .send()
                .await
                .unwrap_or_else(|e| panic!("delete {name}: {e:?}"));
        }
    };

    // Newest first, three a page.
    let (page, token) = raw_page(
        &server,
        json!({"MaxResults": 3, "SortBy": "CREATION_TIME", "SortOrder": "DESCENDING"}),
    )
    .await;
    assert_eq!(page, ["a8", "a7", "a6"]);
    // Between pages: delete one served image, the last one served and one not served yet; create two.
    delete("a7").await;
    delete("a6").await;
    delete("a4").await;
    create_in_order(&client, &["n1", "n2"]).await;
    let (page, token) = raw_page(
        &server,
        json!({"MaxResults": 3, "SortBy": "CREATION_TIME", "SortOrder": "DESCENDING", "NextToken": token.expect("token")}),
    )
    .await;
    assert_eq!(page, ["a5", "a3", "a2"]);
    // An image deleted and recreated between pages is new: it sorts before the position and is not served
    // again.
    delete("a5").await;
    create_image(&client, "a5").await;
    let (page, token) = raw_page(
        &server,
        json!({"MaxResults": 3, "SortBy": "CREATION_TIME", "SortOrder": "DESCENDING", "NextToken": token.expect("token")}),
    )
    .await;
    assert_eq!(page, ["a1", "a0"]);
    assert_eq!(token, None);

    // By name, ascending: an image created past the position is served, one created before it is not.
    let (page, token) = raw_page(
        &server,
        json!({"MaxResults": 2, "SortBy": "IMAGE_NAME", "SortOrder": "ASCENDING"}),
    )
    .await;
    assert_eq!(page, ["a0", "a1"]);
    delete("a1").await; // the position itself
    delete("a3").await; // not served yet
    create_in_order(&client, &["a00", "a22", "zz"]).await;
    let mut all = page;
    let mut token = token;
    while let Some(next) = token.take() {
        let (page, next) = raw_page(
            &server,
            json!({"MaxResults": 2, "SortBy": "IMAGE_NAME", "SortOrder": "ASCENDING", "NextToken": next}),
        )
        .await;
        all.extend(page);
        token = next;
    }
    assert_eq!(all, ["a0", "a1", "a2", "a22", "a5", "a8", "n1", "n2", "zz"]);
}

#[tokio::test]
async fn altered_tokens_are_refused() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &["t1", "t2", "t3"]).await;
    let (_, token) = raw_page(&server, json!({"MaxResults": 1})).await;
    let token = token.expect("token");
    // The genuine token works.
    let (page, _) = raw_page(&server, json!({"MaxResults": 1, "NextToken": token})).await;
    assert_eq!(page, ["t2"]);

    let flip = |index: usize| {
        let mut chars: Vec<char> = token.chars().collect();
        chars[index] = if chars[index] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let forged = [
        flip(0),
        flip(token.len() / 2),
        flip(token.len() - 2),
        token[..token.len() - 4].to_owned(),
        token[..10].to_owned(),
        format!("{token}A"),
        "not-a-token".to_owned(),
        "eyJxIjoiYWJjIiwiYyI6eyJzb3J0Ijp7IlRpbWUiOjB9LCJrZXkiOiIifX0".to_owned(),
        "!!!".to_owned(),
    ];
    for bad in forged {
        assert_ne!(bad, token);
        assert_refused(
            &server,
            json!({"MaxResults": 1, "NextToken": bad}),
            "pagination token",
        )
        .await;
    }

    // A token of another server (another store, another secret) is no token here.
    let other = Server::start();
    create_in_order(&other.client(), &["o1", "o2"]).await;
    let (_, foreign) = raw_page(&other, json!({"MaxResults": 1})).await;
    assert_refused(
        &server,
        json!({"MaxResults": 1, "NextToken": foreign.expect("token")}),
        "pagination token",
    )
    .await;
}

#[tokio::test]
async fn a_token_continues_only_its_own_query() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &["q1", "q2", "q3", "q4"]).await;
    let (bound, _, _, _) = times(&server, "q1").await;
    let query = json!({"SortBy": "CREATION_TIME", "SortOrder": "ASCENDING", "NameContains": "q", "MaxResults": 1});
    let (_, token) = raw_page(&server, query.clone()).await;
    let token = token.expect("token");
    let with = |changes: Value| {
        let mut body = query.clone();
        for (k, v) in changes.as_object().expect("object") {
            body[k] = v.clone();
        }
        body["NextToken"] = json!(token);
        body
    };
    for changed in [
        json!({"SortOrder": "DESCENDING"}),
        json!({"SortBy": "IMAGE_NAME"}),
        json!({"SortBy": "LAST_MODIFIED_TIME"}),
        json!({"NameContains": "q1"}),
        json!({"CreationTimeAfter": bound.secs()}),
        json!({"CreationTimeBefore": bound.secs() + 100}),
        json!({"LastModifiedTimeAfter": bound.secs()}),
        json!({"LastModifiedTimeBefore": bound.secs() + 100}),
    ] {
        assert_refused(&server, with(changed), "pagination token").await;
    }
    // Leaving a member out changes the query too.
    let mut without_filter = with(json!({}));
    without_filter
        .as_object_mut()
        .expect("object")
        .remove("NameContains");
    assert_refused(&server, without_filter, "pagination token").await;

    // The page size is not part of the query: a token continues with another MaxResults.
    let (page, next) = raw_page(&server, with(json!({"MaxResults": 3}))).await;
    assert_eq!(page, ["q2", "q3", "q4"]);
    assert_eq!(next, None);
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

#[tokio::test]
async fn unknown_sort_values_are_refused_with_the_enum_message() {
    let server = Server::start();
    create_image(&server.client(), "img").await;
    for sort_by in ["NAME", "creation_time", "CreationTime", ""] {
        assert_refused(
            &server,
            json!({"SortBy": sort_by}),
            &format!(
                "1 validation error detected: Value '{sort_by}' at 'sortBy' failed to satisfy constraint: \
                 Member must satisfy enum value set: [CREATION_TIME, LAST_MODIFIED_TIME, IMAGE_NAME]"
            ),
        )
        .await;
    }
    assert_refused(
        &server,
        json!({"SortOrder": "Ascending"}),
        "1 validation error detected: Value 'Ascending' at 'sortOrder' failed to satisfy constraint: \
         Member must satisfy enum value set: [ASCENDING, DESCENDING]",
    )
    .await;
    assert_refused(
        &server,
        json!({"SortBy": "X", "SortOrder": "Y"}),
        "2 validation errors detected: ",
    )
    .await;

    // The SDK sends an unknown value as it is given; the server's answer reaches the caller as a
    // ValidationException.
    let error = server
        .client()
        .list_images()
        .sort_by(ImageSortBy::from("BY_SIZE"))
        .send()
        .await
        .expect_err("unknown SortBy");
    assert_eq!(crate::common::code(&error), "ValidationException");
}

#[tokio::test]
async fn names_sort_character_by_character() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &["ab", "A0", "a.b", "a9", "a-c"]).await;
    // Lower-cased names compared by code point: '-' < '.' < digits < letters, whatever the store's locale.
    let expected = ["a-c", "a.b", "A0", "a9", "ab"];
    for page_size in [2, 100] {
        let (all, _) = list_all(
            &client,
            ImageSortBy::ImageName,
            ImageSortOrder::Ascending,
            page_size,
        )
        .await;
        assert_eq!(all, expected, "pages of {page_size}");
        let (all, _) = list_all(
            &client,
            ImageSortBy::ImageName,
            ImageSortOrder::Descending,
            page_size,
        )
        .await;
        assert_eq!(all, reversed(&expected), "pages of {page_size}");
    }
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
