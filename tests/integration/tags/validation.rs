//! The constraints on tag keys and values: lengths in characters, the pattern, reserved and repeated keys.

use serde_json::{json, Value};

use super::{add_tags, check_refused, create_tagged, list_tags};
use crate::common::cases::{check_raw_refused, check_sdk, not_found, Failures};
use crate::common::{pairs, Server, ROLE_ARN};

/// The pattern every tag key and value must match, as validation messages quote it.
const TAG_PATTERN_MESSAGE: &str =
    r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";

/// Runs AddTags on `arn` with each case's tags, all of which should be refused with a ValidationException
/// holding the case's message, and leave the tags as they were.
async fn check_add_tags_refused(
    server: &Server,
    arn: &str,
    cases: &[(&str, Value, &str)],
    failures: &mut Failures,
) {
    for (name, tags, message) in cases {
        let body = json!({"ResourceArn": arn, "Tags": tags});
        let refusal = ("ValidationException", *message);
        failures.check(
            name,
            check_refused(server, arn, "AddTags", body, refusal).await,
        );
    }
}

#[tokio::test]
async fn key_and_value_lengths_count_characters() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "img", &[("keep", "me")]).await;

    let long_key = "k".repeat(128);
    let long_value = "v".repeat(256);
    let accented_key = "é".repeat(128);
    let accented_value = "é".repeat(256);
    let accepted = [
        (long_key.as_str(), "x"),
        ("long", &long_value),
        ("empty", ""),
        (&accented_key, &accented_value),
        ("Kostenstelle 日本 ٣", "Zürich + 東京 = @home/1:2_3.4-5"),
    ];
    add_tags(&client, &arn, &accepted).await;
    let mut expected = pairs(&[("keep", "me")]);
    expected.extend(pairs(&accepted));
    assert_eq!(list_tags(&client, &arn).await, expected);

    const KEY_AT_MOST_128: &str = "at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128";
    const VALUE_AT_MOST_256: &str = "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256";
    #[rustfmt::skip]
    let cases = [
        ("key of 129 characters", json!([{"Key": "k".repeat(129), "Value": "x"}]), KEY_AT_MOST_128),
        ("key of 129 accented characters", json!([{"Key": "é".repeat(129), "Value": "x"}]), KEY_AT_MOST_128),
        ("empty key", json!([{"Key": "", "Value": "x"}]),
            "at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ("value of 257 characters", json!([{"Key": "k", "Value": "v".repeat(257)}]), VALUE_AT_MOST_256),
        ("value of 257 accented characters", json!([{"Key": "k", "Value": "é".repeat(257)}]), VALUE_AT_MOST_256),
        ("second key of 129 characters", json!([{"Key": "fine", "Value": "x"}, {"Key": "k".repeat(129), "Value": "x"}]),
            "at 'tags.2.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"),
        ("no value", json!([{"Key": "k"}]),
            "Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"),
    ];
    let mut failures = Failures::default();
    check_add_tags_refused(&server, &arn, &cases, &mut failures).await;
    failures.assert_none();
}

#[tokio::test]
async fn keys_and_values_outside_the_pattern_are_refused() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "img", &[("keep", "me")]).await;
    // Every punctuation mark the pattern allows.
    add_tags(&client, &arn, &[("_.:/=+-@", "_.:/=+-@")]).await;

    let mut failures = Failures::default();
    for key in [
        "a*b",
        "a#b",
        "a,b",
        "a;b",
        "a!b",
        "tab\tkey",
        "new\nline",
        "a\u{301}",
    ] {
        let body = json!({"ResourceArn": arn, "Tags": [{"Key": key, "Value": "x"}]});
        let message = format!(
            "Value '{key}' at 'tags.1.member.key' failed to satisfy constraint: {TAG_PATTERN_MESSAGE}"
        );
        let refusal = ("ValidationException", message.as_str());
        let outcome = check_refused(&server, &arn, "AddTags", body, refusal).await;
        failures.check(&format!("key {key:?}"), outcome);
    }
    let body = json!({"ResourceArn": arn, "Tags": [{"Key": "k", "Value": "50%"}]});
    let message =
        format!("at 'tags.1.member.value' failed to satisfy constraint: {TAG_PATTERN_MESSAGE}");
    let refusal = ("ValidationException", message.as_str());
    let outcome = check_refused(&server, &arn, "AddTags", body, refusal).await;
    failures.check("value \"50%\"", outcome);
    failures.compare(
        "tags after",
        list_tags(&client, &arn).await,
        pairs(&[("keep", "me"), ("_.:/=+-@", "_.:/=+-@")]),
    );
    failures.assert_none();
}

#[tokio::test]
async fn reserved_and_repeated_keys_are_refused() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "img", &[("keep", "me")]).await;

    #[rustfmt::skip]
    let cases = [
        ("aws:owner", json!([{"Key": "fine", "Value": "x"}, {"Key": "aws:owner", "Value": "x"}]), "reserved"),
        ("AWS:owner", json!([{"Key": "fine", "Value": "x"}, {"Key": "AWS:owner", "Value": "x"}]), "reserved"),
        ("aws:", json!([{"Key": "fine", "Value": "x"}, {"Key": "aws:", "Value": "x"}]), "reserved"),
        ("a key twice", json!([{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]), "more than once"),
        ("a key twice, apart", json!([{"Key": "keep", "Value": "1"}, {"Key": "other", "Value": ""}, {"Key": "keep", "Value": "1"}]),
            "more than once"),
    ];
    let mut failures = Failures::default();
    check_add_tags_refused(&server, &arn, &cases, &mut failures).await;
    // "aws" elsewhere in a key, or as a value, is an ordinary tag.
    add_tags(&client, &arn, &[("awsome", "aws:x"), ("my:aws:key", "")]).await;
    failures.compare(
        "tags after",
        list_tags(&client, &arn).await,
        pairs(&[("keep", "me"), ("awsome", "aws:x"), ("my:aws:key", "")]),
    );

    // CreateImage applies the same rules, and creates nothing when it refuses.
    #[rustfmt::skip]
    let cases = [
        ("reserved", json!([{"Key": "aws:cloudformation:stack-name", "Value": "s"}])),
        ("repeated", json!([{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}])),
        ("badkey", json!([{"Key": "a*b", "Value": "1"}])),
    ];
    for (name, tags) in cases {
        let body = json!({"ImageName": name, "RoleArn": ROLE_ARN, "Tags": tags});
        let answer = server.raw().call("CreateImage", &body).await;
        failures.check(name, check_raw_refused(&answer, "ValidationException", &[]));
        let described = client.describe_image().image_name(name).send().await;
        let not_created = check_sdk(&described, not_found(&[]));
        failures.check(&format!("{name} not created"), not_created);
    }
    failures.assert_none();
}
