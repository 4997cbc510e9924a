//! What goes with a version: its tags when it is deleted, and everything of an image's versions when the
//! image is deleted.

use crate::common::cases::{assert_refused, check_sdk, not_found, Expected, Failures};
use crate::common::{
    create_image, create_version, image_arn, list_tags, pairs, strings, tag, version_arn, Server,
};

use super::{aliases, version_numbers};

/// What ListTags and the tag operations answer for a version that does not exist.
const NO_SUCH_VERSION: Expected = Expected::Refused("ValidationException", &["does not exist"]);

#[tokio::test]
async fn delete_image_deletes_its_versions_aliases_and_tags() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "Casc").await;
    create_version(&client, "Casc", &["old"]).await;
    create_version(&client, "Casc", &["prod", "stable"]).await;
    for n in [1, 2] {
        client
            .add_tags()
            .resource_arn(version_arn("casc", n))
            .tags(tag("team", &format!("t{n}")))
            .send()
            .await
            .expect("tag version");
    }
    assert_eq!(
        list_tags(&client, &version_arn("casc", 2)).await,
        pairs(&[("team", "t2")])
    );

    let delete = client.delete_image().image_name("Casc");
    delete.send().await.expect("delete image");
    let of_deleted = client.list_image_versions().image_name("Casc");
    assert_refused(of_deleted.send().await, "ResourceNotFound", &[]);

    create_image(&client, "casc").await;
    let mut failures = Failures::default();
    failures.compare(
        "versions of the new image",
        version_numbers(&client, "casc").await,
        vec![],
    );
    let result = client
        .describe_image_version()
        .image_name("casc")
        .send()
        .await;
    failures.check("the latest version", check_sdk(&result, not_found(&[])));
    let by_alias = client
        .describe_image_version()
        .image_name("casc")
        .alias("prod");
    failures.check(
        "an old alias",
        check_sdk(&by_alias.send().await, not_found(&[])),
    );
    failures.compare(
        "aliases",
        aliases(&client, "casc", None, None).await,
        vec![],
    );
    let tags = client.list_tags().resource_arn(version_arn("casc", 2));
    failures.check(
        "tags of an old version",
        check_sdk(&tags.send().await, NO_SUCH_VERSION),
    );
    failures.assert_none();

    // Numbering starts again, the aliases are free, and the new version 1 has no tags.
    assert_eq!(
        create_version(&client, "casc", &["prod"]).await,
        version_arn("casc", 1)
    );
    assert!(list_tags(&client, &version_arn("casc", 1)).await.is_empty());
    assert_eq!(
        aliases(&client, "casc", None, None).await,
        strings(&["prod"])
    );
    let tags = client.list_tags().resource_arn(version_arn("casc", 2));
    assert_refused(
        tags.send().await,
        "ValidationException",
        &["does not exist"],
    );
}

#[tokio::test]
async fn version_arns_carry_tags() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "Tagged").await;
    create_version(&client, "Tagged", &[]).await;
    let arn = version_arn("tagged", 1);

    client
        .add_tags()
        .resource_arn(&arn)
        .tags(tag("a", "1"))
        .tags(tag("b", "2"))
        .send()
        .await
        .expect("add tags");
    assert_eq!(
        list_tags(&client, &arn).await,
        pairs(&[("a", "1"), ("b", "2")])
    );
    // ARNs are matched without regard to case.
    let upper = arn.replace("tagged", "Tagged");
    assert_eq!(
        list_tags(&client, &upper).await,
        pairs(&[("a", "1"), ("b", "2")])
    );
    let delete_a = client.delete_tags().resource_arn(&arn).tag_keys("a");
    delete_a.send().await.expect("delete tags");
    assert_eq!(list_tags(&client, &arn).await, pairs(&[("b", "2")]));
    // The image's own tags are another set.
    assert!(list_tags(&client, &image_arn("Tagged")).await.is_empty());

    let missing = version_arn("tagged", 7);
    let mut failures = Failures::default();
    let add = client.add_tags().resource_arn(&missing).tags(tag("a", "1"));
    failures.check("AddTags", check_sdk(&add.send().await, NO_SUCH_VERSION));
    let list = client.list_tags().resource_arn(&missing);
    failures.check("ListTags", check_sdk(&list.send().await, NO_SUCH_VERSION));
    let delete = client.delete_tags().resource_arn(&missing).tag_keys("a");
    failures.check(
        "DeleteTags",
        check_sdk(&delete.send().await, NO_SUCH_VERSION),
    );
    failures.assert_none();

    // Deleting the version drops its tags; a new version has none.
    let delete = client
        .delete_image_version()
        .image_name("Tagged")
        .version(1);
    delete.send().await.expect("delete version");
    let list = client.list_tags().resource_arn(&arn);
    assert_refused(
        list.send().await,
        "ValidationException",
        &["does not exist"],
    );
    create_version(&client, "Tagged", &[]).await;
    assert!(list_tags(&client, &version_arn("tagged", 2))
        .await
        .is_empty());
}
