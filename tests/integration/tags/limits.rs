//! At most fifty tags on a resource and in a request, and ListTags' page size and token.

use serde_json::json;

use super::{add_tags, assert_refused, check_refused, create_tagged, json_tags, list_tags};
use crate::common::cases::{assert_refused as assert_sdk_refused, check_raw_refused, Failures};
use crate::common::{create_image, image_arn, tamper, Server, ROLE_ARN};

#[tokio::test]
async fn a_resource_holds_at_most_fifty_tags() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "full").await;
    let arn = image_arn("full");
    let fifty: Vec<(String, String)> = (0..50)
        .map(|i| (format!("key{i:02}"), format!("value{i}")))
        .collect();
    let body = json!({"ResourceArn": arn, "Tags": json_tags(&fifty)});
    let answer = server.raw().call("AddTags", &body).await;
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
    let mut failures = Failures::default();
    #[rustfmt::skip]
    let cases = [
        ("a 51st key", json!([{"Key": "key51", "Value": "x"}])),
        ("an overwrite and a 51st key", json!([{"Key": "key00", "Value": "overwritten"}, {"Key": "key51", "Value": "x"}])),
    ];
    for (name, tags) in cases {
        let body = json!({"ResourceArn": arn, "Tags": tags});
        let refusal = ("ResourceLimitExceeded", "50");
        failures.check(
            name,
            check_refused(&server, &arn, "AddTags", body, refusal).await,
        );
    }
    failures.compare("tags after", list_tags(&client, &arn).await, expected);
    failures.assert_none();

    // Room again after a delete.
    let delete = client.delete_tags().resource_arn(&arn).tag_keys("key00");
    delete.send().await.expect("delete");
    add_tags(&client, &arn, &[("key51", "x")]).await;
    assert_eq!(list_tags(&client, &arn).await.len(), 50);
}

#[tokio::test]
async fn fifty_one_tags_in_one_request_are_refused_by_validation() {
    let server = Server::start();
    let client = server.client();
    // Before the resource is even looked at.
    create_image(&client, "empty").await;
    let fifty_one: Vec<(String, String)> =
        (0..51).map(|i| (format!("k{i}"), String::new())).collect();
    let body = json!({"ResourceArn": image_arn("empty"), "Tags": json_tags(&fifty_one)});
    let refusal = (
        "ValidationException",
        "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50",
    );
    assert_refused(&server, &image_arn("empty"), "AddTags", body, refusal).await;
    assert!(list_tags(&client, &image_arn("empty")).await.is_empty());

    // The same for CreateImage: refused, and no image is created.
    let body = json!({"ImageName": "toomany", "RoleArn": ROLE_ARN, "Tags": json_tags(&fifty_one)});
    let answer = server.raw().call("CreateImage", &body).await;
    let message = "Member must have length less than or equal to 50";
    let outcome = check_raw_refused(&answer, "ValidationException", &[message]);
    assert_eq!(outcome, Ok(()));
    let not_created = client.describe_image().image_name("toomany");
    assert_sdk_refused(not_created.send().await, "ResourceNotFound", &[]);
}

#[tokio::test]
async fn list_tags_page_size_and_token_are_checked() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "img", &[("a", "1"), ("b", "2")]).await;

    let mut failures = Failures::default();
    for max in [49, 1, 0] {
        let message = format!(
            "Value '{max}' at 'maxResults' failed to satisfy constraint: \
             Member must have value greater than or equal to 50"
        );
        let body = json!({"ResourceArn": arn, "MaxResults": max});
        let refusal = ("ValidationException", message.as_str());
        let outcome = check_refused(&server, &arn, "ListTags", body, refusal).await;
        failures.check(&format!("MaxResults {max}"), outcome);
    }
    for max in [50, 100, 1000] {
        let page = client
            .list_tags()
            .resource_arn(&arn)
            .max_results(max)
            .send()
            .await
            .expect("list tags");
        let got = (page.tags().len(), page.next_token());
        failures.compare(&format!("MaxResults {max}"), got, (2, None));
    }

    // A ListImages token is no ListTags token.
    create_image(&client, "other").await;
    let images = client
        .list_images()
        .max_results(1)
        .send()
        .await
        .expect("list images");
    let images_token = images.next_token().expect("token");
    #[rustfmt::skip]
    let cases = [
        ("a ListImages token", images_token.to_owned()),
        ("a tampered ListImages token", tamper(images_token)),
        ("a cut ListImages token", images_token[..images_token.len() - 3].to_owned()),
        ("not a token", "random-string".to_owned()),
    ];
    for (name, token) in cases {
        let body = json!({"ResourceArn": arn, "NextToken": token});
        let refusal = ("ValidationException", "pagination token");
        failures.check(
            name,
            check_refused(&server, &arn, "ListTags", body, refusal).await,
        );
    }
    failures.assert_none();
}
