//! ListImages' filters: the time bounds and NameContains.

use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{ImageSortBy, ImageSortOrder};
use serde_json::json;

use super::{check_refused, create_in_order, names, raw_page, times, touch};
use crate::common::cases::Failures;
use crate::common::{strings, Server};

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

    // The SDK reads the fractional seconds as a float, so take the millisecond from the JSON number.
    let second_created_ms = (second_created_raw.as_f64().expect("number") * 1000.0).round() as i64;
    let just_after = DateTime::from_millis(second_created_ms + 1);
    let just_before = DateTime::from_millis(second_created_ms - 1);

    let mut failures = Failures::default();
    let (created, modified) = (Some(second_created), Some(second_modified));
    #[rustfmt::skip]
    let cases = [
        // [CreationTimeAfter, CreationTimeBefore, LastModifiedTimeAfter, LastModifiedTimeBefore]
        // Creation time: an image created exactly at the bound is inside it, on either side.
        ("created since second", [created, None, None, None], &["second", "third"][..]),
        ("created until second", [None, created, None, None], &["first", "second"]),
        ("created at second", [created, created, None, None], &["second"]),
        ("created after second", [Some(just_after), None, None, None], &["third"]),
        ("created before second", [None, Some(just_before), None, None], &["first"]),
        // Modification time: "first" was updated after "third" was created.
        ("modified since first", [None, None, Some(first_modified), None], &["first"]),
        ("modified until third", [None, None, None, Some(third_modified)], &["second", "third"]),
        ("modified from second to third", [None, None, modified, Some(third_modified)], &["second", "third"]),
        // Filters combine: created on or before "second" and modified on or after it.
        ("created until and modified since second", [None, created, modified, None], &["first", "second"]),
    ];
    for (name, [created_after, created_before, modified_after, modified_before], expected) in cases
    {
        let listed = client
            .list_images()
            .sort_by(ImageSortBy::CreationTime)
            .sort_order(ImageSortOrder::Ascending)
            .set_creation_time_after(created_after)
            .set_creation_time_before(created_before)
            .set_last_modified_time_after(modified_after)
            .set_last_modified_time_before(modified_before)
            .send()
            .await
            .expect(name);
        failures.compare(name, names(&listed), strings(expected));
    }

    // The exact numbers the server printed, sent back raw, are bounds that include their image too.
    #[rustfmt::skip]
    let cases = [
        ("raw CreationTime of second on both sides",
            json!({"CreationTimeAfter": second_created_raw, "CreationTimeBefore": second_created_raw}), &["second"][..]),
        ("raw LastModifiedTime of third as the upper bound",
            json!({"LastModifiedTimeBefore": third_modified_raw, "SortOrder": "ASCENDING"}), &["second", "third"]),
    ];
    for (name, body, expected) in cases {
        let (listed, _) = raw_page(&server, body).await;
        failures.compare(name, listed, strings(expected));
    }
    failures.assert_none();
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
    // Observed: matching ignores case on both sides (names and the filter are compared lower-cased), and
    // the listed names keep the case they were created with.
    let mut failures = Failures::default();
    #[rustfmt::skip]
    let cases = [
        ("alp", &["Alpha-One", "alphabet", "Beta.alp", "ALPS"][..]),
        ("ALP", &["Alpha-One", "alphabet", "Beta.alp", "ALPS"]),
        ("aLpHa", &["Alpha-One", "alphabet"]),
        // '-' and '.' are literal characters, not wildcards.
        ("a-o", &["Alpha-One"]),
        (".", &["Beta.alp"]),
        // A substring anywhere, including the whole name.
        ("bet", &["alphabet", "Beta.alp"]),
        ("gamma", &["gamma"]),
        ("delta", &[]),
    ];
    for (part, expected) in cases {
        let listed = client
            .list_images()
            .name_contains(part)
            .sort_by(ImageSortBy::CreationTime)
            .sort_order(ImageSortOrder::Ascending)
            .send()
            .await
            .expect("list");
        failures.compare(
            &format!("NameContains {part:?}"),
            names(&listed),
            strings(expected),
        );
    }

    // Characters outside the model's pattern (such as LIKE wildcards) are refused, not matched.
    for part in ["a_b", "a%", "a b"] {
        let message = "at 'nameContains' failed to satisfy constraint: Member must satisfy regular expression pattern";
        let outcome = check_refused(&server, &json!({"NameContains": part}), message).await;
        failures.check(&format!("NameContains {part:?}"), outcome);
    }
    failures.assert_none();
}
