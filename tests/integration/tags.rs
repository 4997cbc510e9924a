//! AddTags, DeleteTags, ListTags on image ARNs: order, overwrite, limits, key and value constraints, unknown
//! resources, and that every refused request leaves the tags as they were.

use aws_sdk_sagemaker::types::Tag;
use aws_sdk_sagemaker::Client;
use serde_json::{json, Value};

use crate::common::{code, create_image, image_arn, Server, ACCOUNT, REGION, ROLE_ARN};

/// The pattern every tag key and value must match, as validation messages quote it.
const TAG_PATTERN_MESSAGE: &str =
    r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

fn pairs(tags: &[(&str, &str)]) -> Vec<(String, String)> {
    tags.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn json_tags(tags: &[(String, String)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// Every tag of `arn`, in the order ListTags gives them (one page: a resource has at most 50).
async fn list_tags(client: &Client, arn: &str) -> Vec<(String, String)> {
    let output = client
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("list tags of {arn}: {e:?}"));
    assert_eq!(output.next_token(), None);
    output
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn add_tags(client: &Client, arn: &str, tags: &[(&str, &str)]) {
    client
        .add_tags()
        .resource_arn(arn)
        .set_tags(Some(tags.iter().map(|(k, v)| tag(k, v)).collect()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("add tags to {arn}: {e:?}"));
}

async fn create_tagged(client: &Client, name: &str, tags: &[(&str, &str)]) -> String {
    let output = client
        .create_image()
        .image_name(name)
        .role_arn(ROLE_ARN)
        .set_tags(Some(tags.iter().map(|(k, v)| tag(k, v)).collect()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
    output.image_arn().expect("ImageArn").to_owned()
}

/// Sends `body` raw and asserts it is refused with `error` and a message containing `message_part`, and
/// that the tags of `watched` are the same after as before.
async fn assert_refused(
    server: &Server,
    watched: &str,
    operation: &str,
    body: Value,
    error: &str,
    message_part: &str,
) {
    let client = server.client();
    let before = list_tags(&client, watched).await;
    let answer = server.raw().call(operation, &body).await;
    assert_eq!(answer.status, 400, "{operation} {body}: {}", answer.text);
    assert_eq!(
        answer.error_type(),
        error,
        "{operation} {body}: {}",
        answer.text
    );
    assert!(
        answer.message().contains(message_part),
        "{operation} {body}: expected {message_part:?} in {:?}",
        answer.message()
    );
    assert!(answer.body.get("Tags").is_none(), "{}", answer.text);
    assert_eq!(
        list_tags(&client, watched).await,
        before,
        "{operation} {body} changed the tags"
    );
}

#[tokio::test]
async fn tags_given_at_creation_are_listed_in_order() {
    let server = Server::start();
    let client = server.client();
    let given = [
        ("Team", "ml"),
        ("env", "prod"),
        ("cost-center", "42"),
        ("a", ""),
    ];
    let arn = create_tagged(&client, "Tagged", &given).await;
    assert_eq!(arn, image_arn("Tagged"));
    assert_eq!(list_tags(&client, &arn).await, pairs(&given));

    // The name part of the ARN may be in any case.
    for name in ["tagged", "TAGGED", "Tagged", "tAgGeD"] {
        let arn = format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:image/{name}");
        assert_eq!(list_tags(&client, &arn).await, pairs(&given), "{arn}");
    }

    // Creating it again (in another case) is refused and does not replace its tags.
    assert_refused(
        &server,
        &arn,
        "CreateImage",
        json!({"ImageName": "TAGGED", "RoleArn": ROLE_ARN, "Tags": [{"Key": "other", "Value": "x"}]}),
        "ResourceInUse",
        "already exists",
    )
    .await;

    // An image created without tags has none.
    create_image(&client, "Bare").await;
    assert!(list_tags(&client, &image_arn("Bare")).await.is_empty());
}

#[tokio::test]
async fn add_tags_adds_and_overwrites() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "img", &[("a", "1"), ("b", "2")]).await;

    let output = client
        .add_tags()
        .resource_arn(&arn)
        .tags(tag("b", "20"))
        .tags(tag("c", "3"))
        .send()
        .await
        .expect("add tags");
    // AddTags answers with the tags it was given.
    assert_eq!(output.tags(), [tag("b", "20"), tag("c", "3")]);
    // The existing key takes the new value in its place; the new key comes last; no key twice.
    assert_eq!(
        list_tags(&client, &arn).await,
        pairs(&[("a", "1"), ("b", "20"), ("c", "3")])
    );

    // Keys are case-sensitive: "A" is another key than "a".
    add_tags(&client, &arn, &[("A", "upper"), ("a", "")]).await;
    assert_eq!(
        list_tags(&client, &arn).await,
        pairs(&[("a", ""), ("b", "20"), ("c", "3"), ("A", "upper")])
    );

    // Through an ARN spelled in another case, the same resource.
    add_tags(
        &client,
        &format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:image/IMG"),
        &[("d", "4")],
    )
    .await;
    assert_eq!(list_tags(&client, &arn).await.len(), 5);
}

#[tokio::test]
async fn delete_tags_removes_keys_and_ignores_absent_ones() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "img", &[("a", "1"), ("b", "2"), ("c", "3")]).await;

    client
        .delete_tags()
        .resource_arn(&arn)
        .tag_keys("b")
        .tag_keys("absent")
        .tag_keys("A")
        .send()
        .await
        .expect("delete tags");
    assert_eq!(
        list_tags(&client, &arn).await,
        pairs(&[("a", "1"), ("c", "3")])
    );
    // Only absent keys: nothing to do, and no error.
    client
        .delete_tags()
        .resource_arn(&arn)
        .tag_keys("absent")
        .send()
        .await
        .expect("delete absent");
    assert_eq!(list_tags(&client, &arn).await.len(), 2);
    client
        .delete_tags()
        .resource_arn(&arn)
        .tag_keys("a")
        .tag_keys("c")
        .send()
        .await
        .expect("delete the rest");
    assert!(list_tags(&client, &arn).await.is_empty());
    // A deleted key can be added again.
    add_tags(&client, &arn, &[("a", "again")]).await;
    assert_eq!(list_tags(&client, &arn).await, pairs(&[("a", "again")]));

    assert_refused(
        &server,
        &arn,
        "DeleteTags",
        json!({"ResourceArn": arn, "TagKeys": []}),
        "ValidationException",
        "at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1",
    )
    .await;
    let keys: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
    assert_refused(
        &server,
        &arn,
        "DeleteTags",
        json!({"ResourceArn": arn, "TagKeys": keys}),
        "ValidationException",
        "at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50",
    )
    .await;
}

#[tokio::test]
async fn a_resource_holds_at_most_fifty_tags() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "full").await;
    let arn = image_arn("full");
    let fifty: Vec<(String, String)> = (0..50)
        .map(|i| (format!("key{i:02}"), format!("value{i}")))
        .collect();
    let answer = server
        .raw()
        .call(
            "AddTags",
            &json!({"ResourceArn": arn, "Tags": json_tags(&fifty)}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(list_tags(&client, &arn).await, fifty);
    // ListTags' smallest page holds them all.
    let page = client
        .list_tags()
        .resource_arn(&arn)
        .max_results(50)
        .send()
        .await
        .expect("list tags");
    assert_eq!(page.tags().len(), 50);
    assert_eq!(page.next_token(), None);

    // Overwriting keeps the count at 50, so it is allowed.
    add_tags(&client, &arn, &[("key07", "changed")]).await;
    let mut expected = fifty.clone();
    expected[7].1 = "changed".into();
    assert_eq!(list_tags(&client, &arn).await, expected);

    // A 51st key is refused, and nothing of the request is applied, not even its overwrite.
    for tags in [
        json!([{"Key": "key51", "Value": "x"}]),
        json!([{"Key": "key00", "Value": "overwritten"}, {"Key": "key51", "Value": "x"}]),
    ] {
        assert_refused(
            &server,
            &arn,
            "AddTags",
            json!({"ResourceArn": arn, "Tags": tags}),
            "ResourceLimitExceeded",
            "50",
        )
        .await;
    }
    assert_eq!(list_tags(&client, &arn).await, expected);

    // Room again after a delete.
    client
        .delete_tags()
        .resource_arn(&arn)
        .tag_keys("key00")
        .send()
        .await
        .expect("delete");
    add_tags(&client, &arn, &[("key51", "x")]).await;
    assert_eq!(list_tags(&client, &arn).await.len(), 50);

    // 51 in one request are refused by validation, before the resource is even looked at.
    create_image(&client, "empty").await;
    let fifty_one: Vec<(String, String)> =
        (0..51).map(|i| (format!("k{i}"), String::new())).collect();
    assert_refused(
        &server,
        &image_arn("empty"),
        "AddTags",
        json!({"ResourceArn": image_arn("empty"), "Tags": json_tags(&fifty_one)}),
        "ValidationException",
        "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    )
    .await;
    assert!(list_tags(&client, &image_arn("empty")).await.is_empty());
    // The same for CreateImage: refused, and no image is created.
    let answer = server
        .raw()
        .call(
            "CreateImage",
            &json!({"ImageName": "toomany", "RoleArn": ROLE_ARN, "Tags": json_tags(&fifty_one)}),
        )
        .await;
    assert_eq!(
        answer.error_type(),
        "ValidationException",
        "{}",
        answer.text
    );
    assert!(
        answer
            .message()
            .contains("Member must have length less than or equal to 50"),
        "{}",
        answer.text
    );
    let error = client
        .describe_image()
        .image_name("toomany")
        .send()
        .await
        .expect_err("not created");
    assert_eq!(code(&error), "ResourceNotFound");
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
    add_tags(
        &client,
        &arn,
        &[
            (&long_key, "x"),
            ("long", &long_value),
            ("empty", ""),
            (&accented_key, &accented_value),
            ("Kostenstelle 日本 ٣", "Zürich + 東京 = @home/1:2_3.4-5"),
        ],
    )
    .await;
    let tags = list_tags(&client, &arn).await;
    assert_eq!(
        tags,
        pairs(&[
            ("keep", "me"),
            (&long_key, "x"),
            ("long", &long_value),
            ("empty", ""),
            (&accented_key, &accented_value),
            ("Kostenstelle 日本 ٣", "Zürich + 東京 = @home/1:2_3.4-5"),
        ])
    );

    let refused = [
        (
            json!([{"Key": "k".repeat(129), "Value": "x"}]),
            "at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128",
        ),
        (
            json!([{"Key": "é".repeat(129), "Value": "x"}]),
            "at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128",
        ),
        (
            json!([{"Key": "", "Value": "x"}]),
            "at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        (
            json!([{"Key": "k", "Value": "v".repeat(257)}]),
            "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
        ),
        (
            json!([{"Key": "k", "Value": "é".repeat(257)}]),
            "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
        ),
        (
            json!([{"Key": "fine", "Value": "x"}, {"Key": "k".repeat(129), "Value": "x"}]),
            "at 'tags.2.member.key' failed to satisfy constraint: Member must have length less than or equal to 128",
        ),
        (
            json!([{"Key": "k"}]),
            "Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null",
        ),
    ];
    for (tags, message) in refused {
        assert_refused(
            &server,
            &arn,
            "AddTags",
            json!({"ResourceArn": arn, "Tags": tags}),
            "ValidationException",
            message,
        )
        .await;
    }
}

#[tokio::test]
async fn keys_and_values_outside_the_pattern_are_refused() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "img", &[("keep", "me")]).await;
    // Every punctuation mark the pattern allows.
    add_tags(&client, &arn, &[("_.:/=+-@", "_.:/=+-@")]).await;

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
        assert_refused(
            &server,
            &arn,
            "AddTags",
            json!({"ResourceArn": arn, "Tags": [{"Key": key, "Value": "x"}]}),
            "ValidationException",
            &format!("Value '{key}' at 'tags.1.member.key' failed to satisfy constraint: {TAG_PATTERN_MESSAGE}"),
        )
        .await;
    }
    assert_refused(
        &server,
        &arn,
        "AddTags",
        json!({"ResourceArn": arn, "Tags": [{"Key": "k", "Value": "50%"}]}),
        "ValidationException",
        &format!("at 'tags.1.member.value' failed to satisfy constraint: {TAG_PATTERN_MESSAGE}"),
    )
    .await;
    assert_eq!(
        list_tags(&client, &arn).await,
        pairs(&[("keep", "me"), ("_.:/=+-@", "_.:/=+-@")])
    );
}

#[tokio::test]
async fn reserved_and_repeated_keys_are_refused() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "img", &[("keep", "me")]).await;

    for key in ["aws:owner", "AWS:owner", "aws:"] {
        assert_refused(
            &server,
            &arn,
            "AddTags",
            json!({"ResourceArn": arn, "Tags": [{"Key": "fine", "Value": "x"}, {"Key": key, "Value": "x"}]}),
            "ValidationException",
            "reserved",
        )
        .await;
    }
    // "aws" elsewhere in a key, or as a value, is an ordinary tag.
    add_tags(&client, &arn, &[("awsome", "aws:x"), ("my:aws:key", "")]).await;

    for tags in [
        json!([{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}]),
        json!([{"Key": "keep", "Value": "1"}, {"Key": "other", "Value": ""}, {"Key": "keep", "Value": "1"}]),
    ] {
        assert_refused(
            &server,
            &arn,
            "AddTags",
            json!({"ResourceArn": arn, "Tags": tags}),
            "ValidationException",
            "more than once",
        )
        .await;
    }
    assert_eq!(
        list_tags(&client, &arn).await,
        pairs(&[("keep", "me"), ("awsome", "aws:x"), ("my:aws:key", "")])
    );

    // CreateImage applies the same rules, and creates nothing when it refuses.
    for (name, tags) in [
        (
            "reserved",
            json!([{"Key": "aws:cloudformation:stack-name", "Value": "s"}]),
        ),
        (
            "repeated",
            json!([{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]),
        ),
        ("badkey", json!([{"Key": "a*b", "Value": "1"}])),
    ] {
        let answer = server
            .raw()
            .call(
                "CreateImage",
                &json!({"ImageName": name, "RoleArn": ROLE_ARN, "Tags": tags}),
            )
            .await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(
            answer.error_type(),
            "ValidationException",
            "{}",
            answer.text
        );
        let error = client
            .describe_image()
            .image_name(name)
            .send()
            .await
            .expect_err("not created");
        assert_eq!(code(&error), "ResourceNotFound", "{name}");
    }
}

#[tokio::test]
async fn list_tags_page_size_and_token_are_checked() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "img", &[("a", "1"), ("b", "2")]).await;

    for max in [49, 1, 0] {
        assert_refused(
            &server,
            &arn,
            "ListTags",
            json!({"ResourceArn": arn, "MaxResults": max}),
            "ValidationException",
            &format!(
                "Value '{max}' at 'maxResults' failed to satisfy constraint: \
                 Member must have value greater than or equal to 50"
            ),
        )
        .await;
    }
    for max in [50, 100, 1000] {
        let page = client
            .list_tags()
            .resource_arn(&arn)
            .max_results(max)
            .send()
            .await
            .expect("list tags");
        assert_eq!(page.tags().len(), 2, "MaxResults {max}");
        assert_eq!(page.next_token(), None);
    }

    // A ListImages token is no ListTags token.
    create_image(&client, "other").await;
    let images = client
        .list_images()
        .max_results(1)
        .send()
        .await
        .expect("list images");
    let images_token = images.next_token().expect("token").to_owned();
    let mut flipped: Vec<char> = images_token.chars().collect();
    let middle = flipped.len() / 2;
    flipped[middle] = if flipped[middle] == 'A' { 'B' } else { 'A' };
    for token in [
        images_token.clone(),
        flipped.into_iter().collect(),
        images_token[..images_token.len() - 3].to_owned(),
        "random-string".to_owned(),
    ] {
        assert_refused(
            &server,
            &arn,
            "ListTags",
            json!({"ResourceArn": arn, "NextToken": token}),
            "ValidationException",
            "pagination token",
        )
        .await;
    }
}

#[tokio::test]
async fn arns_of_nothing_are_refused_and_nothing_is_created() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "exists", &[("keep", "me")]).await;
    let prefix = format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}");
    let nothing = [
        format!("{prefix}:image/nosuch"),
        format!("arn:aws:sagemaker:{REGION}:111111111111:image/exists"),
        format!("arn:aws:sagemaker:eu-west-1:{ACCOUNT}:image/exists"),
        format!("arn:aws-cn:sagemaker:{REGION}:{ACCOUNT}:image/exists"),
        format!("{prefix}:image"),
        format!("{prefix}:image/"),
        format!("{prefix}:image/exists/extra"),
        format!("{prefix}:images/exists"),
        format!("{prefix}:endpoint/x"),
        format!("{prefix}:endpoint/exists"),
        format!("{prefix}:notebook-instance/exists"),
        format!("{prefix}:image-version/exists/1"),
        format!("{prefix}:image-version/nosuch/1"),
        format!("{prefix}:app-image-config/nosuch"),
    ];
    for target in &nothing {
        for (operation, body) in [
            (
                "AddTags",
                json!({"ResourceArn": target, "Tags": [{"Key": "k", "Value": "v"}]}),
            ),
            (
                "DeleteTags",
                json!({"ResourceArn": target, "TagKeys": ["keep"]}),
            ),
            ("ListTags", json!({"ResourceArn": target})),
        ] {
            assert_refused(
                &server,
                &arn,
                operation,
                body,
                "ValidationException",
                "does not exist",
            )
            .await;
        }
    }
    // The SDK sees the same code and message.
    let error = client
        .list_tags()
        .resource_arn(format!("{prefix}:image/nosuch"))
        .send()
        .await
        .expect_err("no such image");
    assert_eq!(code(&error), "ValidationException");
    assert!(error
        .as_service_error()
        .and_then(|e| aws_sdk_sagemaker::error::ProvideErrorMetadata::message(e))
        .is_some_and(|m| m.contains("does not exist")));

    // Not an ARN at all: refused by the model's pattern.
    assert_refused(
        &server,
        &arn,
        "AddTags",
        json!({"ResourceArn": "not-an-arn", "Tags": [{"Key": "k", "Value": "v"}]}),
        "ValidationException",
        "at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern",
    )
    .await;

    // The refused AddTags created nothing: an image made now under that name starts untagged.
    create_image(&client, "nosuch").await;
    assert!(list_tags(&client, &format!("{prefix}:image/nosuch"))
        .await
        .is_empty());
    // Nor did they reach the other region: its image of the same name has its own (empty) tags.
    let west = server.client_as("test", "test", "eu-west-1");
    create_image(&west, "exists").await;
    let west_arn = format!("arn:aws:sagemaker:eu-west-1:{ACCOUNT}:image/exists");
    assert!(list_tags(&west, &west_arn).await.is_empty());
    add_tags(&west, &west_arn, &[("west", "1")]).await;
    assert_eq!(list_tags(&west, &west_arn).await, pairs(&[("west", "1")]));
    // And tags given there did not reach this region.
    assert_eq!(list_tags(&client, &arn).await, pairs(&[("keep", "me")]));
}

#[tokio::test]
async fn deleting_an_image_drops_its_tags() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "Dropped", &[("a", "1")]).await;
    add_tags(&client, &arn, &[("b", "2")]).await;
    client
        .delete_image()
        .image_name("Dropped")
        .send()
        .await
        .expect("delete");
    for (operation, body) in [
        ("ListTags", json!({"ResourceArn": arn})),
        (
            "AddTags",
            json!({"ResourceArn": arn, "Tags": [{"Key": "c", "Value": "3"}]}),
        ),
        ("DeleteTags", json!({"ResourceArn": arn, "TagKeys": ["a"]})),
    ] {
        let answer = server.raw().call(operation, &body).await;
        assert_eq!(answer.status, 400, "{operation}: {}", answer.text);
        assert_eq!(answer.error_type(), "ValidationException");
        assert!(
            answer.message().contains("does not exist"),
            "{}",
            answer.text
        );
    }
    // The same name again, in another case, is a new image without the old tags.
    create_image(&client, "DROPPED").await;
    assert!(list_tags(&client, &arn).await.is_empty());
    add_tags(&client, &arn, &[("new", "")]).await;
    assert_eq!(list_tags(&client, &arn).await, pairs(&[("new", "")]));
}
