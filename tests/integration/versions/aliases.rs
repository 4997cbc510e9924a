//! Aliases: unique within an image, addressing versions, added and deleted by UpdateImageVersion, and
//! ListAliases.

use aws_sdk_sagemaker::Client;

use super::{aliases, version_numbers};
use crate::common::cases::{assert_refused, check_sdk, invalid, not_found, Failures};
use crate::common::{
    create_image, create_version, every_page, strings, tamper, version_arn, Server, BASE_IMAGE,
};

/// Image "al": version 1 with the aliases v1 and stable, version 2 with latest.
async fn two_versions_with_aliases(client: &Client) {
    create_image(client, "al").await;
    create_version(client, "al", &["v1", "stable"]).await;
    create_version(client, "al", &["latest"]).await;
}

#[tokio::test]
async fn an_alias_that_would_name_two_versions_is_refused_and_changes_nothing() {
    let server = Server::start();
    let client = server.client();
    two_versions_with_aliases(&client).await;
    let mut failures = Failures::default();

    let result = client
        .create_image_version()
        .image_name("al")
        .base_image(BASE_IMAGE)
        .aliases("stable")
        .send()
        .await;
    failures.check(
        "create with an alias of version 1",
        check_sdk(&result, invalid(&[])),
    );
    let result = client
        .create_image_version()
        .image_name("al")
        .base_image(BASE_IMAGE)
        .aliases("twice")
        .aliases("twice")
        .send()
        .await;
    failures.check(
        "create with one alias twice",
        check_sdk(&result, invalid(&[])),
    );
    let result = client
        .update_image_version()
        .image_name("al")
        .version(2)
        .aliases_to_add("v1")
        .send()
        .await;
    failures.check(
        "add an alias of version 1 to 2",
        check_sdk(&result, invalid(&[])),
    );
    let result = client
        .update_image_version()
        .image_name("al")
        .version(1)
        .aliases_to_add("both")
        .aliases_to_delete("both")
        .send()
        .await;
    failures.check("add and delete one alias", check_sdk(&result, invalid(&[])));

    failures.compare("versions", version_numbers(&client, "al").await, vec![1, 2]);
    failures.compare(
        "aliases of 1",
        aliases(&client, "al", Some(1), None).await,
        strings(&["stable", "v1"]),
    );
    failures.compare(
        "aliases of 2",
        aliases(&client, "al", Some(2), None).await,
        strings(&["latest"]),
    );
    failures.assert_none();
}

#[tokio::test]
async fn aliases_address_versions_and_move_between_them() {
    let server = Server::start();
    let client = server.client();
    two_versions_with_aliases(&client).await;
    let by_alias = client
        .describe_image_version()
        .image_name("al")
        .alias("stable")
        .send()
        .await
        .expect("describe by alias");
    assert_eq!(by_alias.version(), Some(1));
    // The same alias on another image is another alias.
    create_image(&client, "al2").await;
    create_version(&client, "al2", &["stable"]).await;

    // AliasesToAdd and AliasesToDelete, addressing the version by an alias.
    let updated = client
        .update_image_version()
        .image_name("al")
        .alias("v1")
        .aliases_to_add("prod")
        .aliases_to_delete("v1")
        .send()
        .await
        .expect("update by alias");
    assert_eq!(
        updated.image_version_arn(),
        Some(version_arn("al", 1).as_str())
    );
    assert_eq!(
        aliases(&client, "al", Some(1), None).await,
        strings(&["prod", "stable"])
    );
    let deleted_alias = client.describe_image_version().image_name("al").alias("v1");
    assert_refused(
        deleted_alias.send().await,
        "ResourceNotFound",
        &["does not exist"],
    );

    // Deleting an alias the version does not carry is not an error.
    client
        .update_image_version()
        .image_name("al")
        .version(1)
        .aliases_to_delete("never-had")
        .send()
        .await
        .expect("delete an absent alias");

    // A version may take an alias another version gave up.
    client
        .update_image_version()
        .image_name("al")
        .version(2)
        .aliases_to_add("v1")
        .send()
        .await
        .expect("take a freed alias");
    assert_eq!(
        aliases(&client, "al", None, None).await,
        strings(&["latest", "prod", "stable", "v1"])
    );

    // Delete by alias; its aliases are free again.
    client
        .delete_image_version()
        .image_name("al")
        .alias("latest")
        .send()
        .await
        .expect("delete by alias");
    assert_eq!(version_numbers(&client, "al").await, vec![1]);
    assert_eq!(
        aliases(&client, "al", None, None).await,
        strings(&["prod", "stable"])
    );
    create_version(&client, "al", &["latest", "v1"]).await;
    let described = client
        .describe_image_version()
        .image_name("al")
        .alias("latest")
        .send()
        .await
        .expect("describe by freed alias");
    assert_eq!(described.version(), Some(3));
    assert_eq!(
        aliases(&client, "al2", None, None).await,
        strings(&["stable"])
    );
}

/// Image "la": version 1 with b-one and a-one, 2 with c-two and a-two, 3 with none.
async fn three_versions_with_aliases(client: &Client) {
    create_image(client, "la").await;
    create_version(client, "la", &["b-one", "a-one"]).await;
    create_version(client, "la", &["c-two", "a-two"]).await;
    create_version(client, "la", &[]).await;
}

#[tokio::test]
async fn list_aliases_filters_by_version_and_alias() {
    let server = Server::start();
    let client = server.client();
    three_versions_with_aliases(&client).await;
    let mut failures = Failures::default();
    #[rustfmt::skip]
    let cases = [
        ("every alias", None, None, &["a-one", "a-two", "b-one", "c-two"][..]),
        ("version 1", Some(1), None, &["a-one", "b-one"]),
        ("version 2", Some(2), None, &["a-two", "c-two"]),
        ("a version without aliases", Some(3), None, &[]),
        ("an alias", None, Some("c-two"), &["c-two"]),
        ("an alias no version carries", None, Some("nosuch"), &[]),
    ];
    for (name, version, alias, expected) in cases {
        let got = aliases(&client, "la", version, alias).await;
        failures.compare(name, got, strings(expected));
    }

    let of_no_version = client.list_aliases().image_name("la").version(9);
    let result = of_no_version.send().await;
    let expected = not_found(&["does not exist"]);
    failures.check(
        "a version that does not exist",
        check_sdk(&result, expected),
    );
    let result = client.list_aliases().image_name("nosuch").send().await;
    let expected = not_found(&[]);
    failures.check("an image that does not exist", check_sdk(&result, expected));
    failures.assert_none();
}

#[tokio::test]
async fn list_aliases_pages() {
    let server = Server::start();
    let client = server.client();
    three_versions_with_aliases(&client).await;
    let every_alias = strings(&["a-one", "a-two", "b-one", "c-two"]);

    let client = &client;
    let (all, pages) = every_page(1, |token| async move {
        let page = client
            .list_aliases()
            .image_name("la")
            .max_results(1)
            .set_next_token(token)
            .send()
            .await
            .expect("page");
        let next = page.next_token().map(str::to_owned);
        (page.sage_maker_image_version_aliases().to_vec(), next)
    })
    .await;
    assert_eq!(all, every_alias);
    assert_eq!(pages, 4);

    let first = client
        .list_aliases()
        .image_name("la")
        .max_results(1)
        .send()
        .await
        .expect("first page");
    let tampered = tamper(first.next_token().expect("a token"));
    let with_tampered = client
        .list_aliases()
        .image_name("la")
        .max_results(1)
        .next_token(tampered);
    assert_refused(with_tampered.send().await, "ValidationException", &[]);

    let collected: Vec<String> = client
        .list_aliases()
        .image_name("la")
        .max_results(3)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate");
    assert_eq!(collected, every_alias);

    // Ten per page when MaxResults is absent.
    let many: Vec<String> = (0..11).map(|i| format!("m{i:02}")).collect();
    client
        .create_image_version()
        .image_name("la")
        .base_image(BASE_IMAGE)
        .set_aliases(Some(many.clone()))
        .send()
        .await
        .expect("version with eleven aliases");
    let page = client
        .list_aliases()
        .image_name("la")
        .version(4)
        .send()
        .await
        .expect("default page");
    assert_eq!(page.sage_maker_image_version_aliases(), &many[..10]);
    let token = page.next_token().expect("a second page");
    let rest = client
        .list_aliases()
        .image_name("la")
        .version(4)
        .next_token(token)
        .send()
        .await
        .expect("second page");
    assert_eq!(rest.sage_maker_image_version_aliases(), &many[10..]);
    assert_eq!(rest.next_token(), None);
    // A token is bound to its Version.
    let other_version = client.list_aliases().image_name("la").next_token(token);
    assert_refused(other_version.send().await, "ValidationException", &[]);
}
