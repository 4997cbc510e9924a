//! Tags given at creation, added, overwritten and deleted, and dropped with their image.

use serde_json::json;

use super::{add_tags, assert_refused, check_refused, create_tagged, list_tags};
use crate::common::cases::Failures;
use crate::common::{create_image, image_arn, pairs, tag, Server, ACCOUNT, REGION, ROLE_ARN};

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
    let mut failures = Failures::default();
    for name in ["tagged", "TAGGED", "Tagged", "tAgGeD"] {
        let arn = format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:image/{name}");
        failures.compare(&arn, list_tags(&client, &arn).await, pairs(&given));
    }
    failures.assert_none();

    // Creating it again (in another case) is refused and does not replace its tags.
    let again = json!({"ImageName": "TAGGED", "RoleArn": ROLE_ARN, "Tags": [{"Key": "other", "Value": "x"}]});
    let in_use = ("ResourceInUse", "already exists");
    assert_refused(&server, &arn, "CreateImage", again, in_use).await;

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
    let in_upper_case = format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:image/IMG");
    add_tags(&client, &in_upper_case, &[("d", "4")]).await;
    assert_eq!(list_tags(&client, &arn).await.len(), 5);
}

#[tokio::test]
async fn delete_tags_removes_keys_and_ignores_absent_ones() {
    let server = Server::start();
    let client = server.client();
    let arn = create_tagged(&client, "img", &[("a", "1"), ("b", "2"), ("c", "3")]).await;
    let delete = |keys: &[&str]| {
        client
            .delete_tags()
            .resource_arn(&arn)
            .set_tag_keys(Some(keys.iter().map(|k| k.to_string()).collect()))
            .send()
    };

    delete(&["b", "absent", "A"]).await.expect("delete tags");
    assert_eq!(
        list_tags(&client, &arn).await,
        pairs(&[("a", "1"), ("c", "3")])
    );
    // Only absent keys: nothing to do, and no error.
    delete(&["absent"]).await.expect("delete absent");
    assert_eq!(list_tags(&client, &arn).await.len(), 2);
    delete(&["a", "c"]).await.expect("delete the rest");
    assert!(list_tags(&client, &arn).await.is_empty());
    // A deleted key can be added again.
    add_tags(&client, &arn, &[("a", "again")]).await;
    assert_eq!(list_tags(&client, &arn).await, pairs(&[("a", "again")]));

    let keys_51: Vec<String> = (0..51).map(|i| format!("k{i}")).collect();
    let mut failures = Failures::default();
    #[rustfmt::skip]
    let cases = [
        ("no keys", json!([]), "at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ("51 keys", json!(keys_51), "at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"),
    ];
    for (name, keys, message) in cases {
        let body = json!({"ResourceArn": arn, "TagKeys": keys});
        let refusal = ("ValidationException", message);
        failures.check(
            name,
            check_refused(&server, &arn, "DeleteTags", body, refusal).await,
        );
    }
    failures.assert_none();
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
    let mut failures = Failures::default();
    #[rustfmt::skip]
    let cases = [
        ("ListTags", json!({"ResourceArn": arn})),
        ("AddTags", json!({"ResourceArn": arn, "Tags": [{"Key": "c", "Value": "3"}]})),
        ("DeleteTags", json!({"ResourceArn": arn, "TagKeys": ["a"]})),
    ];
    for (operation, body) in cases {
        let answer = server.raw().call(operation, &body).await;
        let outcome = crate::common::cases::check_raw_refused(
            &answer,
            "ValidationException",
            &["does not exist"],
        );
        failures.check(operation, outcome);
    }
    failures.assert_none();
    // The same name again, in another case, is a new image without the old tags.
    create_image(&client, "DROPPED").await;
    assert!(list_tags(&client, &arn).await.is_empty());
    add_tags(&client, &arn, &[("new", "")]).await;
    assert_eq!(list_tags(&client, &arn).await, pairs(&[("new", "")]));
}
