//! ListImages' order: the defaults, every sort key in both orders, how names compare, and sort values
//! outside the model.

use aws_sdk_sagemaker::types::{ImageSortBy, ImageSortOrder};
use serde_json::json;

use super::{check_refused, create_in_order, list_all, names, reversed, touch, TWELVE};
use crate::common::cases::{assert_refused, Failures};
use crate::common::{create_image, strings, Server};

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
    let mut failures = Failures::default();
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
            let got = (names(&page), page.next_token());
            failures.compare(&format!("{sort_by:?} {order:?}"), got, (expected, None));
        }
    }
    // Only the order is given: the sort key stays CreationTime.
    let page = client
        .list_images()
        .sort_order(ImageSortOrder::Ascending)
        .send()
        .await
        .expect("list");
    failures.compare("only SortOrder", names(&page), strings(&by_creation));
    // Only the key is given: the order stays descending.
    let page = client
        .list_images()
        .sort_by(ImageSortBy::ImageName)
        .send()
        .await
        .expect("list");
    failures.compare("only SortBy", names(&page), reversed(&by_name));
    failures.assert_none();
}

#[tokio::test]
async fn names_sort_character_by_character() {
    let server = Server::start();
    let client = server.client();
    create_in_order(&client, &["ab", "A0", "a.b", "a9", "a-c"]).await;
    // Lower-cased names compared by code point: '-' < '.' < digits < letters, whatever the store's locale.
    let expected = ["a-c", "a.b", "A0", "a9", "ab"];
    let mut failures = Failures::default();
    for page_size in [2, 100] {
        for (order, expected) in [
            (ImageSortOrder::Ascending, strings(&expected)),
            (ImageSortOrder::Descending, reversed(&expected)),
        ] {
            let (all, _) =
                list_all(&client, ImageSortBy::ImageName, order.clone(), page_size).await;
            failures.compare(&format!("{order:?} in pages of {page_size}"), all, expected);
        }
    }
    failures.assert_none();
}

#[tokio::test]
async fn unknown_sort_values_are_refused_with_the_enum_message() {
    let server = Server::start();
    create_image(&server.client(), "img").await;
    let mut failures = Failures::default();
    for sort_by in ["NAME", "creation_time", "CreationTime", ""] {
        let message = format!(
            "1 validation error detected: Value '{sort_by}' at 'sortBy' failed to satisfy constraint: \
             Member must satisfy enum value set: [CREATION_TIME, LAST_MODIFIED_TIME, IMAGE_NAME]"
        );
        let outcome = check_refused(&server, &json!({"SortBy": sort_by}), &message).await;
        failures.check(&format!("SortBy {sort_by:?}"), outcome);
    }
    #[rustfmt::skip]
    let cases = [
        ("SortOrder \"Ascending\"", json!({"SortOrder": "Ascending"}),
            "1 validation error detected: Value 'Ascending' at 'sortOrder' failed to satisfy constraint: \
             Member must satisfy enum value set: [ASCENDING, DESCENDING]"),
        ("both unknown", json!({"SortBy": "X", "SortOrder": "Y"}), "2 validation errors detected: "),
    ];
    for (name, body, message) in cases {
        failures.check(name, check_refused(&server, &body, message).await);
    }
    failures.assert_none();

    // The SDK sends an unknown value as it is given; the server's answer reaches the caller as a
    // ValidationException.
    let unknown = server
        .client()
        .list_images()
        .sort_by(ImageSortBy::from("BY_SIZE"));
    assert_refused(unknown.send().await, "ValidationException", &[]);
}
