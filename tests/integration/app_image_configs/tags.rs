//! Tags on a config's ARN live and die with the config.

use serde_json::json;

use super::{config_arn, create_plain};
use crate::common::cases::{assert_refused, check_sdk, Expected, Failures};
use crate::common::{list_tags, pairs, tag, Server};

#[tokio::test]
async fn tags_live_and_die_with_the_config() {
    let server = Server::start();
    let client = server.client();
    let created = client
        .create_app_image_config()
        .app_image_config_name("Tagged")
        .tags(tag("team", "ml"))
        .tags(tag("env", "dev"))
        .send()
        .await
        .expect("create with tags");
    let arn = created.app_image_config_arn().expect("arn").to_owned();
    assert_eq!(arn, config_arn("tagged"));
    assert_eq!(
        list_tags(&client, &arn).await,
        pairs(&[("team", "ml"), ("env", "dev")])
    );

    client
        .add_tags()
        .resource_arn(&arn)
        .tags(tag("cost", "42"))
        .tags(tag("team", "data"))
        .send()
        .await
        .expect("add tags");
    assert_eq!(
        list_tags(&client, &arn).await,
        pairs(&[("team", "data"), ("env", "dev"), ("cost", "42")])
    );
    client
        .delete_tags()
        .resource_arn(&arn)
        .tag_keys("env")
        .send()
        .await
        .expect("delete tags");
    assert_eq!(
        list_tags(&client, &arn).await,
        pairs(&[("team", "data"), ("cost", "42")])
    );
    // The ARN is matched in any letter case.
    assert_eq!(
        list_tags(&client, &arn.replace("tagged", "TAGGED")).await,
        pairs(&[("team", "data"), ("cost", "42")])
    );

    client
        .delete_app_image_config()
        .app_image_config_name("Tagged")
        .send()
        .await
        .expect("delete");
    let mut failures = Failures::default();
    let gone = Expected::Refused("ValidationException", &["does not exist"]);
    let list = client.list_tags().resource_arn(&arn);
    failures.check("ListTags", check_sdk(&list.send().await, gone));
    let add = client.add_tags().resource_arn(&arn).tags(tag("a", "b"));
    failures.check("AddTags", check_sdk(&add.send().await, gone));
    failures.assert_none();

    create_plain(&client, "tagged").await;
    assert!(
        list_tags(&client, &arn).await.is_empty(),
        "a new config of the same name starts without tags"
    );

    // A create refused for its tags creates nothing.
    let answer = server
        .raw()
        .call(
            "CreateAppImageConfig",
            &json!({"AppImageConfigName": "bad-tags", "Tags": [{"Key": "aws:reserved", "Value": "x"}]}),
        )
        .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    let not_created = client
        .describe_app_image_config()
        .app_image_config_name("bad-tags");
    assert_refused(not_created.send().await, "ResourceNotFound", &[]);
}
