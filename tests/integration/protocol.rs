//! AWS JSON 1.1 as clients see it: answer headers, timestamps as epoch seconds, the errors of the envelope
//! (malformed or mistyped bodies, unknown targets, wrong method, oversized bodies), null and unknown
//! members, the message key of each error, and a clean exit on SIGTERM.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::common::raw::{RawClient, RawResponse, Signer};
use crate::common::{create_image, Server, ROLE_ARN};

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

fn header<'a>(answer: &'a RawResponse, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header in {:?}", answer.headers))
        .to_str()
        .expect("header text")
}

/// Asserts the headers every answer carries; returns the request id.
fn assert_common_headers(answer: &RawResponse) -> uuid::Uuid {
    assert_eq!(header(answer, "content-type"), CONTENT_TYPE);
    let id = header(answer, "x-amzn-requestid");
    let uuid = uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("request id {id:?}: {e}"));
    assert_eq!(
        uuid.hyphenated().to_string(),
        id,
        "a hyphenated lower-case UUID"
    );
    let date = httpdate::parse_http_date(header(answer, "date")).expect("an RFC 1123 Date");
    let skew = match date.duration_since(SystemTime::now()) {
        Ok(ahead) => ahead,
        Err(behind) => behind.duration(),
    };
    assert!(skew < Duration::from_secs(60), "Date is {skew:?} off");
    uuid
}

fn assert_error(answer: &RawResponse, status: u16, error_type: &str) {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(answer.error_type(), error_type, "{}", answer.text);
    assert_common_headers(answer);
    assert_eq!(header(answer, "x-amzn-errortype"), error_type);
}

async fn image_count(raw: &RawClient) -> usize {
    let answer = raw.call("ListImages", &json!({})).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["Images"].as_array().expect("Images").len()
}

async fn describe(raw: &RawClient, name: &str) -> Value {
    let answer = raw
        .call("DescribeImage", &json!({ "ImageName": name }))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

#[tokio::test]
async fn success_and_error_answers_carry_the_protocol_headers() {
    let server = Server::start();
    let raw = server.raw();

    let first = raw.call("ListImages", &json!({})).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(first.headers.get("x-amzn-errortype").is_none());
    let second = raw.call("ListImages", &json!({})).await;
    assert_eq!(second.status, 200, "{}", second.text);
    let (a, b) = (
        assert_common_headers(&first),
        assert_common_headers(&second),
    );
    assert_ne!(a, b, "every request has its own id");

    let not_found = raw
        .call("DescribeImage", &json!({ "ImageName": "absent" }))
        .await;
    assert_error(&not_found, 400, "ResourceNotFound");
    let invalid = raw.call("DescribeImage", &json!({})).await;
    assert_error(&invalid, 400, "ValidationException");
    let unsigned = raw.send(raw.request("ListImages", &json!({}))).await;
    assert_error(&unsigned, 400, "MissingAuthenticationTokenException");
    let ids: std::collections::HashSet<_> = [&not_found, &invalid, &unsigned]
        .into_iter()
        .map(assert_common_headers)
        .chain([a, b])
        .collect();
    assert_eq!(ids.len(), 5, "request ids repeat: {ids:?}");
}

#[tokio::test]
async fn timestamps_are_epoch_seconds() {
    let server = Server::start();
    create_image(&server.client(), "stamped").await;
    let raw = server.raw();
    let image = describe(&raw, "stamped").await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    for member in ["CreationTime", "LastModifiedTime"] {
        let value = &image[member];
        assert!(value.is_number(), "{member} is {value}");
        let seconds = value.as_f64().unwrap();
        assert!(
            (now - seconds).abs() < 60.0,
            "{member} {seconds} is not epoch seconds near {now}"
        );
    }
    let listed = raw.call("ListImages", &json!({})).await;
    assert!(
        listed.body["Images"][0]["CreationTime"].is_number(),
        "{}",
        listed.text
    );
}

#[tokio::test]
async fn malformed_or_non_object_bodies_are_serialization_errors() {
    let server = Server::start();
    let raw = server.raw();
    let bodies: [&[u8]; 5] = [
        br#"{"ImageName": "broken", "RoleArn": "#,
        b"{ImageName: broken}",
        br#"[{"ImageName": "broken"}]"#,
        br#""broken""#,
        b"42",
    ];
    for body in bodies {
        let answer = raw.call_bytes("CreateImage", body).await;
        assert_error(&answer, 400, "SerializationException");
        assert!(!answer.message().is_empty(), "{}", answer.text);
    }
    assert_eq!(
        image_count(&raw).await,
        0,
        "a refused body created an image"
    );
}

#[tokio::test]
async fn members_of_the_wrong_type_are_serialization_errors_and_change_nothing() {
    let server = Server::start();
    let raw = server.raw();
    let cases = [
        (
            "CreateImage",
            json!({ "ImageName": 5, "RoleArn": ROLE_ARN }),
            "imageName",
        ),
        (
            "CreateImage",
            json!({ "ImageName": "typed", "RoleArn": ROLE_ARN, "Tags": {} }),
            "tags",
        ),
        ("ListImages", json!({ "MaxResults": "10" }), "maxResults"),
    ];
    for (operation, body, member) in cases {
        let answer = raw.call(operation, &body).await;
        assert_error(&answer, 400, "SerializationException");
        assert!(
            answer.message().contains(member),
            "{body}: message {:?} lacks {member}",
            answer.message()
        );
    }
    assert_eq!(image_count(&raw).await, 0);

    let created = raw
        .call(
            "CreateImage",
            &json!({ "ImageName": "typed", "RoleArn": ROLE_ARN, "DisplayName": "Shown" }),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let before = describe(&raw, "typed").await;
    let answer = raw
        .call(
            "UpdateImage",
            &json!({ "ImageName": "typed", "DeleteProperties": "DisplayName" }),
        )
        .await;
    assert_error(&answer, 400, "SerializationException");
    assert!(
        answer.message().contains("deleteProperties"),
        "{}",
        answer.text
    );
    let after = describe(&raw, "typed").await;
    assert_eq!(after, before);
    assert_eq!(after["DisplayName"], "Shown");
}

#[tokio::test]
async fn empty_body_stands_for_an_empty_object() {
    let server = Server::start();
    let raw = server.raw();
    create_image(&server.client(), "listed").await;
    let answer = raw.call_bytes("ListImages", b"").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_common_headers(&answer);
    assert_eq!(answer.body["Images"][0]["ImageName"], "listed");

    // An empty body for an operation with a required member is a validation error, not a parse error.
    let answer = raw.call_bytes("DescribeImage", b"").await;
    assert_error(&answer, 400, "ValidationException");
}

#[tokio::test]
async fn unknown_targets_are_unknown_operations() {
    let server = Server::start();
    let raw = server.raw();
    let answer = raw.call("NoSuchOperation", &json!({})).await;
    assert_error(&answer, 400, "UnknownOperationException");
    assert!(
        answer.message().contains("NoSuchOperation"),
        "{}",
        answer.text
    );

    for target in [
        "DynamoDB_20120810.ListTables",
        "ListImages",
        "SageMaker.",
        "sagemaker.ListImages",
    ] {
        let mut request = raw.request("ListImages", &json!({}));
        request.set_header("x-amz-target", target);
        let answer = raw.send(request.signed(&Signer::default())).await;
        assert_error(&answer, 400, "UnknownOperationException");
    }
}

#[tokio::test]
async fn other_methods_and_paths_get_json_errors() {
    let server = Server::start();
    let raw = server.raw();
    let mut request = raw.request("ListImages", &json!({}));
    request.method = "GET".into();
    request.body.clear();
    let answer = raw.send(request.signed(&Signer::default())).await;
    assert_error(&answer, 400, "UnknownOperationException");
    assert!(answer.text.starts_with('{'), "{}", answer.text);
    assert!(!answer.text.to_ascii_lowercase().contains("<html"));

    let mut request = raw.request("ListImages", &json!({}));
    request.path = "/images".into();
    let answer = raw.send(request.signed(&Signer::default())).await;
    assert_error(&answer, 400, "UnknownOperationException");

    // Unsigned, the same request is refused for its missing signature, still as JSON.
    let mut request = raw.request("ListImages", &json!({}));
    request.method = "GET".into();
    request.body.clear();
    let answer = raw.send(request).await;
    assert_error(&answer, 400, "MissingAuthenticationTokenException");
}

/// A CreateImage body of exactly `size` bytes (its Description pads it).
fn create_body_of(size: usize) -> Vec<u8> {
    let body = |description: &str| {
        serde_json::to_vec(
            &json!({ "ImageName": "huge", "RoleArn": ROLE_ARN, "Description": description }),
        )
        .unwrap()
    };
    let padding = size - body("").len();
    let bytes = body(&"x".repeat(padding));
    assert_eq!(bytes.len(), size);
    bytes
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_refused() {
    let server = Server::start();
    let raw = server.raw();
    const MIB: usize = 1024 * 1024;

    // Exactly 1 MiB is read and validated (the Description is far too long).
    let answer = raw.call_bytes("CreateImage", &create_body_of(MIB)).await;
    assert_error(&answer, 400, "ValidationException");
    assert!(
        answer.message().contains("'description'"),
        "{}",
        answer.message()
    );

    // One byte more is refused from its Content-Length, before any of it is read. (A body far larger than
    // the socket buffers is not read either: a client still writing it may see the connection close before
    // it reads the answer; `hardening::an_oversized_body_is_refused_without_being_read` shows the answer on
    // the wire.)
    let answer = raw
        .call_bytes("CreateImage", &create_body_of(MIB + 1))
        .await;
    assert_error(&answer, 413, "RequestEntityTooLargeException");
    assert_eq!(
        answer.message(),
        "Request body must be at most 1048576 bytes."
    );
    assert_eq!(image_count(&raw).await, 0);
}

#[tokio::test]
async fn null_members_count_as_absent() {
    let server = Server::start();
    let raw = server.raw();
    let answer = raw
        .call("DescribeImage", &json!({ "ImageName": null }))
        .await;
    assert_error(&answer, 400, "ValidationException");
    assert_eq!(
        answer.message(),
        "1 validation error detected: Value null at 'imageName' failed to satisfy constraint: \
         Member must not be null"
    );

    let answer = raw
        .call(
            "CreateImage",
            &json!({ "ImageName": "nulls", "RoleArn": ROLE_ARN, "DisplayName": null, "Tags": null }),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let image = describe(&raw, "nulls").await;
    assert!(image.get("DisplayName").is_none(), "{image}");

    // Inside a list item too: a null required member is missing, a null item is malformed.
    let answer = raw
        .call(
            "AddTags",
            &json!({ "ResourceArn": image["ImageArn"], "Tags": [{ "Key": "k", "Value": null }] }),
        )
        .await;
    assert_error(&answer, 400, "ValidationException");
    assert!(
        answer
            .message()
            .contains("Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"),
        "{}",
        answer.message()
    );
    let answer = raw
        .call(
            "AddTags",
            &json!({ "ResourceArn": image["ImageArn"], "Tags": [null] }),
        )
        .await;
    assert_error(&answer, 400, "SerializationException");
    let tags = raw
        .call("ListTags", &json!({ "ResourceArn": image["ImageArn"] }))
        .await;
    assert_eq!(tags.body["Tags"], json!([]), "{}", tags.text);
}

#[tokio::test]
async fn unknown_members_are_ignored() {
    let server = Server::start();
    let raw = server.raw();
    let answer = raw
        .call(
            "CreateImage",
            &json!({
                "ImageName": "extra",
                "RoleArn": ROLE_ARN,
                "NoSuchMember": {"nested": [1, 2]},
                "displayName": 5,
            }),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let image = describe(&raw, "extra").await;
    assert_eq!(image["ImageName"], "extra");
    assert!(image.get("DisplayName").is_none(), "{image}");
}

#[tokio::test]
async fn error_message_keys_follow_the_model() {
    let server = Server::start();
    let raw = server.raw();
    let answer = raw
        .call("DescribeImage", &json!({ "ImageName": "absent" }))
        .await;
    assert_error(&answer, 400, "ResourceNotFound");
    let body = answer.body.as_object().expect("an object");
    assert!(
        body["Message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        answer.text
    );
    assert!(!body.contains_key("message"), "{}", answer.text);

    let answer = raw
        .call("DescribeImage", &json!({ "ImageName": "-" }))
        .await;
    assert_error(&answer, 400, "ValidationException");
    let body = answer.body.as_object().expect("an object");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("1 validation error detected: ")),
        "{}",
        answer.text
    );
    assert!(!body.contains_key("Message"), "{}", answer.text);
    assert_eq!(body.len(), 2, "only __type and message: {}", answer.text);
}

#[tokio::test]
async fn sigterm_exits_cleanly() {
    let mut server = Server::start();
    let answer = server.raw().call("ListImages", &json!({})).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let status = server.terminate();
    assert!(status.success(), "exit status {status}");
    assert_eq!(status.code(), Some(0));
}
