//! ARNs that name nothing, for every tag operation: refused, and nothing is created anywhere.

use serde_json::json;

use super::{add_tags, assert_refused, check_refused, create_tagged, list_tags};
use crate::common::cases::{assert_refused as assert_sdk_refused, Failures};
use crate::common::{create_image, pairs, Server, ACCOUNT, REGION};

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
    let mut failures = Failures::default();
    for target in &nothing {
        #[rustfmt::skip]
        let requests = [
            ("AddTags", json!({"ResourceArn": target, "Tags": [{"Key": "k", "Value": "v"}]})),
            ("DeleteTags", json!({"ResourceArn": target, "TagKeys": ["keep"]})),
            ("ListTags", json!({"ResourceArn": target})),
        ];
        for (operation, body) in requests {
            let refusal = ("ValidationException", "does not exist");
            let outcome = check_refused(&server, &arn, operation, body, refusal).await;
            failures.check(&format!("{operation} {target}"), outcome);
        }
    }
    failures.assert_none();
    // The SDK sees the same code and message.
    let of_nothing = client
        .list_tags()
        .resource_arn(format!("{prefix}:image/nosuch"));
    assert_sdk_refused(
        of_nothing.send().await,
        "ValidationException",
        &["does not exist"],
    );

    // Not an ARN at all: refused by the model's pattern.
    let body = json!({"ResourceArn": "not-an-arn", "Tags": [{"Key": "k", "Value": "v"}]});
    let refusal = (
        "ValidationException",
        "at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern",
    );
    assert_refused(&server, &arn, "AddTags", body, refusal).await;

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
