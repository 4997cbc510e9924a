//! Image versions: numbering and ARNs, ClientToken idempotency, the version lifecycle, aliases and ListAliases,
//! the model's constraints on every member, UpdateImageVersion, ListImageVersions, DeleteImage's cascade and
//! tags on version ARNs.

use std::time::Duration;

use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{
    ImageStatus, ImageVersionSortBy, ImageVersionSortOrder, ImageVersionStatus, JobType, Processor,
    VendorGuidance,
};
use aws_sdk_sagemaker::Client;
use serde_json::{json, Value};

use crate::common::raw::RawResponse;
use crate::common::{
    code, create_image, image_arn, list_tags, message, pairs, pause, strings, tag, tamper, Options,
    Server, ACCOUNT, REGION,
};

const BASE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:latest";
const OTHER_BASE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:other";

fn version_arn(image: &str, version: i32) -> String {
    format!(
        "arn:aws:sagemaker:{REGION}:{ACCOUNT}:image-version/{}/{version}",
        image.to_ascii_lowercase()
    )
}

fn delayed(delay: &'static str) -> Server {
    Server::start_with(Options {
        transition_delay: Some(delay),
        ..Default::default()
    })
}

/// CreateImageVersion with only the required members (the SDK fills ClientToken); returns the ARN.
async fn create_version(client: &Client, image: &str) -> String {
    create_version_with(client, image, &[]).await
}

async fn create_version_with(client: &Client, image: &str, aliases: &[&str]) -> String {
    client
        .create_image_version()
        .image_name(image)
        .base_image(BASE)
        .set_aliases(Some(aliases.iter().map(|a| a.to_string()).collect()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create version of {image}: {e:?}"))
        .image_version_arn()
        .unwrap_or_default()
        .to_owned()
}

/// Every version number ListImageVersions shows, sorted by VERSION ascending.
async fn version_numbers(client: &Client, image: &str) -> Vec<i32> {
    client
        .list_image_versions()
        .image_name(image)
        .sort_by(ImageVersionSortBy::Version)
        .sort_order(ImageVersionSortOrder::Ascending)
        .max_results(100)
        .send()
        .await
        .unwrap_or_else(|e| panic!("list versions of {image}: {e:?}"))
        .image_versions()
        .iter()
        .map(|v| v.version().unwrap_or(-1))
        .collect()
}

/// The version DescribeImageVersion shows without Version or Alias.
async fn latest(client: &Client, image: &str) -> Option<i32> {
    client
        .describe_image_version()
        .image_name(image)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe latest of {image}: {e:?}"))
        .version()
}

async fn aliases(
    client: &Client,
    image: &str,
    version: Option<i32>,
    alias: Option<&str>,
) -> Vec<String> {
    client
        .list_aliases()
        .image_name(image)
        .set_version(version)
        .set_alias(alias.map(str::to_owned))
        .send()
        .await
        .unwrap_or_else(|e| panic!("list aliases of {image}: {e:?}"))
        .sage_maker_image_version_aliases()
        .to_vec()
}

/// The status of a version, `None` once DescribeImageVersion answers ResourceNotFound.
async fn version_status(client: &Client, image: &str, version: i32) -> Option<ImageVersionStatus> {
    match client
        .describe_image_version()
        .image_name(image)
        .version(version)
        .send()
        .await
    {
        Ok(v) => v.image_version_status().cloned(),
        Err(e) => {
            assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
            assert!(message(&e).contains("does not exist"), "{e:?}");
            None
        }
    }
}

async fn wait_for_version(
    client: &Client,
    image: &str,
    version: i32,
    wanted: Option<ImageVersionStatus>,
) {
    for _ in 0..100 {
        if version_status(client, image, version).await == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{image}/{version} never reached {wanted:?}");
}

async fn wait_for_image(client: &Client, image: &str, wanted: ImageStatus) {
    for _ in 0..100 {
        let described = client
            .describe_image()
            .image_name(image)
            .send()
            .await
            .expect("describe image");
        if described.image_status() == Some(&wanted) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{image} never reached {wanted:?}");
}

#[tokio::test]
async fn versions_are_numbered_from_one_and_never_reused() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "MyImage").await;

    for n in 1..=3 {
        assert_eq!(
            create_version(&client, "MyImage").await,
            version_arn("myimage", n)
        );
    }
    assert_eq!(
        version_arn("MyImage", 3),
        "arn:aws:sagemaker:us-east-1:000000000000:image-version/myimage/3"
    );

    let described = client
        .describe_image_version()
        .image_name("MyImage")
        .send()
        .await
        .expect("describe latest");
    assert_eq!(described.version(), Some(3));
    assert_eq!(
        described.image_version_arn(),
        Some(version_arn("myimage", 3).as_str())
    );
    assert_eq!(
        described.image_arn(),
        Some(image_arn("MyImage").as_str()),
        "the image ARN carries the lower-cased name"
    );
    assert_eq!(described.base_image(), Some(BASE));
    assert_eq!(described.container_image(), Some(BASE));
    assert_eq!(
        described.image_version_status(),
        Some(&ImageVersionStatus::Created)
    );
    assert!(described.creation_time().is_some());
    assert_eq!(described.creation_time(), described.last_modified_time());

    // Any letter case finds the image.
    let by_other_case = client
        .describe_image_version()
        .image_name("MYIMAGE")
        .version(2)
        .send()
        .await
        .expect("describe in upper case");
    assert_eq!(
        by_other_case.image_version_arn(),
        Some(version_arn("myimage", 2).as_str())
    );

    client
        .delete_image_version()
        .image_name("MyImage")
        .version(3)
        .send()
        .await
        .expect("delete 3");
    assert_eq!(latest(&client, "MyImage").await, Some(2));
    client
        .delete_image_version()
        .image_name("MyImage")
        .version(2)
        .send()
        .await
        .expect("delete 2");
    assert_eq!(latest(&client, "MyImage").await, Some(1));

    assert_eq!(
        create_version(&client, "MyImage").await,
        version_arn("myimage", 4),
        "numbers of deleted versions are not reused"
    );
    assert_eq!(latest(&client, "MyImage").await, Some(4));
    assert_eq!(version_numbers(&client, "MyImage").await, vec![1, 4]);

    let e = client
        .describe_image_version()
        .image_name("MyImage")
        .version(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound");
    assert!(message(&e).contains("does not exist"), "{e:?}");
    let e = client
        .delete_image_version()
        .image_name("MyImage")
        .version(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound");
}

#[tokio::test]
async fn describe_needs_a_version_and_at_most_one_selector() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "empty").await;

    let e = client
        .describe_image_version()
        .image_name("empty")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound");
    assert!(message(&e).contains("does not exist"), "{e:?}");

    let e = client
        .describe_image_version()
        .image_name("nosuch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound");
    assert!(message(&e).contains("does not exist"), "{e:?}");

    create_version_with(&client, "empty", &["stable"]).await;
    let e = client
        .describe_image_version()
        .image_name("empty")
        .version(1)
        .alias("stable")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    let e = client
        .update_image_version()
        .image_name("empty")
        .version(1)
        .alias("stable")
        .release_notes("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    let e = client
        .delete_image_version()
        .image_name("empty")
        .version(1)
        .alias("stable")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    let e = client
        .delete_image_version()
        .image_name("empty")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e),
        "ValidationException",
        "delete needs Version or Alias: {e:?}"
    );
    assert_eq!(version_numbers(&client, "empty").await, vec![1]);
}

#[tokio::test]
async fn client_token_makes_create_idempotent() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "idem").await;

    // The SDK fills ClientToken itself, a new one for every call.
    assert_eq!(
        create_version(&client, "idem").await,
        version_arn("idem", 1)
    );
    assert_eq!(
        create_version(&client, "idem").await,
        version_arn("idem", 2)
    );

    let create = |token: &str, base: &str| {
        client
            .create_image_version()
            .image_name("idem")
            .base_image(base)
            .client_token(token)
            .aliases("tok")
            .release_notes("notes")
            .send()
    };
    let first = create("retry-token-1", BASE).await.expect("first");
    assert_eq!(
        first.image_version_arn(),
        Some(version_arn("idem", 3).as_str())
    );
    let retry = create("retry-token-1", BASE).await.expect("retry");
    assert_eq!(
        retry.image_version_arn(),
        Some(version_arn("idem", 3).as_str()),
        "a retry answers with the version the first call made"
    );
    assert_eq!(version_numbers(&client, "idem").await, vec![1, 2, 3]);

    let e = create("retry-token-1", OTHER_BASE).await.unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    let e = client
        .create_image_version()
        .image_name("idem")
        .base_image(BASE)
        .client_token("retry-token-1")
        .aliases("tok")
        .release_notes("other notes")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    assert_eq!(version_numbers(&client, "idem").await, vec![1, 2, 3]);
    let v3 = client
        .describe_image_version()
        .image_name("idem")
        .version(3)
        .send()
        .await
        .expect("describe 3");
    assert_eq!(
        v3.base_image(),
        Some(BASE),
        "the refused retry changed nothing"
    );

    // Another token makes another version.
    let other = client
        .create_image_version()
        .image_name("idem")
        .base_image(BASE)
        .client_token("retry-token-2")
        .send()
        .await
        .expect("other token");
    assert_eq!(
        other.image_version_arn(),
        Some(version_arn("idem", 4).as_str())
    );

    // A token is remembered as long as its version exists.
    client
        .delete_image_version()
        .image_name("idem")
        .version(3)
        .send()
        .await
        .expect("delete 3");
    let again = create("retry-token-1", BASE)
        .await
        .expect("token of a deleted version");
    assert_eq!(
        again.image_version_arn(),
        Some(version_arn("idem", 5).as_str())
    );
    assert_eq!(version_numbers(&client, "idem").await, vec![1, 2, 4, 5]);
}

#[tokio::test]
async fn create_version_needs_an_existing_image_that_is_created() {
    let server = Server::start();
    let client = server.client();
    let e = client
        .create_image_version()
        .image_name("nosuch")
        .base_image(BASE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(message(&e).contains("does not exist"), "{e:?}");

    let server = delayed("1s");
    let client = server.client();
    create_image(&client, "slow").await;
    let e = client
        .create_image_version()
        .image_name("slow")
        .base_image(BASE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceInUse", "while CREATING: {e:?}");
    wait_for_image(&client, "slow", ImageStatus::Created).await;

    client
        .update_image()
        .image_name("slow")
        .description("d")
        .send()
        .await
        .expect("update image");
    let e = client
        .create_image_version()
        .image_name("slow")
        .base_image(BASE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceInUse", "while UPDATING: {e:?}");
    wait_for_image(&client, "slow", ImageStatus::Created).await;

    assert_eq!(
        create_version(&client, "slow").await,
        version_arn("slow", 1)
    );
    let listed = client
        .list_image_versions()
        .image_name("slow")
        .send()
        .await
        .expect("list");
    assert_eq!(
        listed.image_versions().len(),
        1,
        "refused creates made nothing"
    );
}

#[tokio::test]
async fn a_version_is_created_and_deleted_over_the_transition_delay() {
    // Long enough for the requests made while CREATING or DELETING to land inside the transition.
    let server = delayed("2s");
    let client = server.client();
    create_image(&client, "life").await;
    wait_for_image(&client, "life", ImageStatus::Created).await;

    create_version(&client, "life").await;
    assert_eq!(
        version_status(&client, "life", 1).await,
        Some(ImageVersionStatus::Creating)
    );
    let e = client
        .delete_image_version()
        .image_name("life")
        .version(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceInUse", "delete while CREATING: {e:?}");
    let e = client
        .update_image_version()
        .image_name("life")
        .version(1)
        .release_notes("n")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceInUse", "update while CREATING: {e:?}");

    wait_for_version(&client, "life", 1, Some(ImageVersionStatus::Created)).await;

    client
        .delete_image_version()
        .image_name("life")
        .version(1)
        .send()
        .await
        .expect("delete");
    assert_eq!(
        version_status(&client, "life", 1).await,
        Some(ImageVersionStatus::Deleting)
    );
    let listed = client
        .list_image_versions()
        .image_name("life")
        .send()
        .await
        .expect("list");
    assert_eq!(
        listed.image_versions()[0].image_version_status(),
        Some(&ImageVersionStatus::Deleting)
    );
    let e = client
        .delete_image_version()
        .image_name("life")
        .version(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceInUse", "{e:?}");
    assert!(message(&e).contains("is being deleted"), "{e:?}");

    wait_for_version(&client, "life", 1, None).await;
    let e = client
        .delete_image_version()
        .image_name("life")
        .version(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(message(&e).contains("does not exist"), "{e:?}");
    assert!(client
        .list_image_versions()
        .image_name("life")
        .send()
        .await
        .expect("list")
        .image_versions()
        .is_empty());
}

#[tokio::test]
async fn aliases_are_unique_within_an_image_and_address_versions() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "al").await;
    create_image(&client, "al2").await;

    create_version_with(&client, "al", &["v1", "stable"]).await;
    let by_alias = client
        .describe_image_version()
        .image_name("al")
        .alias("stable")
        .send()
        .await
        .expect("describe by alias");
    assert_eq!(by_alias.version(), Some(1));

    let e = client
        .create_image_version()
        .image_name("al")
        .base_image(BASE)
        .aliases("stable")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    assert_eq!(
        version_numbers(&client, "al").await,
        vec![1],
        "nothing created"
    );

    let e = client
        .create_image_version()
        .image_name("al")
        .base_image(BASE)
        .aliases("twice")
        .aliases("twice")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    assert_eq!(
        version_numbers(&client, "al").await,
        vec![1],
        "nothing created"
    );

    create_version_with(&client, "al", &["latest"]).await;
    let e = client
        .update_image_version()
        .image_name("al")
        .version(2)
        .aliases_to_add("v1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    assert_eq!(
        aliases(&client, "al", Some(2), None).await,
        strings(&["latest"])
    );

    // The same alias on another image is another alias.
    create_version_with(&client, "al2", &["stable"]).await;

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
    let e = client
        .describe_image_version()
        .image_name("al")
        .alias("v1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e),
        "ResourceNotFound",
        "a deleted alias names nothing"
    );
    assert!(message(&e).contains("does not exist"), "{e:?}");

    // Deleting an alias the version does not carry is not an error.
    client
        .update_image_version()
        .image_name("al")
        .version(1)
        .aliases_to_delete("never-had")
        .send()
        .await
        .expect("delete an absent alias");

    let e = client
        .update_image_version()
        .image_name("al")
        .version(1)
        .aliases_to_add("both")
        .aliases_to_delete("both")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    assert_eq!(
        aliases(&client, "al", Some(1), None).await,
        strings(&["prod", "stable"])
    );

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
    create_version_with(&client, "al", &["latest", "v1"]).await;
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

#[tokio::test]
async fn list_aliases_filters_and_pages() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "la").await;
    create_version_with(&client, "la", &["b-one", "a-one"]).await;
    create_version_with(&client, "la", &["c-two", "a-two"]).await;
    create_version(&client, "la").await;

    assert_eq!(
        aliases(&client, "la", None, None).await,
        strings(&["a-one", "a-two", "b-one", "c-two"])
    );
    assert_eq!(
        aliases(&client, "la", Some(1), None).await,
        strings(&["a-one", "b-one"])
    );
    assert_eq!(
        aliases(&client, "la", Some(2), None).await,
        strings(&["a-two", "c-two"])
    );
    assert!(aliases(&client, "la", Some(3), None).await.is_empty());
    assert_eq!(
        aliases(&client, "la", None, Some("c-two")).await,
        strings(&["c-two"])
    );
    assert!(aliases(&client, "la", None, Some("nosuch"))
        .await
        .is_empty());

    let e = client
        .list_aliases()
        .image_name("la")
        .version(9)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(message(&e).contains("does not exist"), "{e:?}");
    let e = client
        .list_aliases()
        .image_name("nosuch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");

    // One alias per page.
    let (mut all, mut pages, mut token) = (Vec::new(), 0, None::<String>);
    loop {
        let page = client
            .list_aliases()
            .image_name("la")
            .max_results(1)
            .set_next_token(token.take())
            .send()
            .await
            .expect("page");
        pages += 1;
        assert!(page.sage_maker_image_version_aliases().len() <= 1);
        all.extend(page.sage_maker_image_version_aliases().iter().cloned());
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 20, "paging does not end");
    }
    assert_eq!(all, strings(&["a-one", "a-two", "b-one", "c-two"]));
    assert_eq!(pages, 4);

    let first = client
        .list_aliases()
        .image_name("la")
        .max_results(1)
        .send()
        .await
        .expect("first page");
    let tampered = tamper(first.next_token().expect("a token"));
    let e = client
        .list_aliases()
        .image_name("la")
        .max_results(1)
        .next_token(tampered)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");

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
    assert_eq!(collected, strings(&["a-one", "a-two", "b-one", "c-two"]));

    // Ten per page when MaxResults is absent.
    let many: Vec<String> = (0..11).map(|i| format!("m{i:02}")).collect();
    client
        .create_image_version()
        .image_name("la")
        .base_image(BASE)
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
    let rest = client
        .list_aliases()
        .image_name("la")
        .version(4)
        .next_token(page.next_token().expect("a second page"))
        .send()
        .await
        .expect("second page");
    assert_eq!(rest.sage_maker_image_version_aliases(), &many[10..]);
    assert_eq!(rest.next_token(), None);
    let e = client
        .list_aliases()
        .image_name("la")
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e),
        "ValidationException",
        "a token is bound to its Version: {e:?}"
    );
}

/// CreateImageVersion as raw JSON, for values the SDK would not send or that the model refuses.
async fn raw_create(server: &Server, body: Value) -> RawResponse {
    server.raw().call("CreateImageVersion", &body).await
}

fn assert_validation(answer: &RawResponse, what: &str, part: &str) {
    assert_eq!(answer.status, 400, "{what}: {}", answer.text);
    assert_eq!(
        answer.error_type(),
        "ValidationException",
        "{what}: {}",
        answer.text
    );
    assert!(
        answer.message().contains(part),
        "{what}: expected {part:?} in {:?}",
        answer.message()
    );
}

#[tokio::test]
async fn members_are_checked_against_the_model() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "cons").await;
    let mut created = 0;
    let mut token = 0;
    let mut next_token = || {
        token += 1;
        format!("token-{token}")
    };

    // Aliases: 1..128 characters of (?!^[.-])^([a-zA-Z0-9-_.]+).
    for alias in ["v1.0-beta_2".to_owned(), "a".repeat(128), "x".to_owned()] {
        let answer = raw_create(
            &server,
            json!({"ImageName": "cons", "BaseImage": BASE, "ClientToken": next_token(), "Aliases": [alias]}),
        )
        .await;
        assert_eq!(answer.status, 200, "{alias}: {}", answer.text);
        created += 1;
    }
    for (alias, part) in [
        (
            "b".repeat(129),
            "Member must have length less than or equal to 128",
        ),
        (
            "-x".to_owned(),
            "Member must satisfy regular expression pattern",
        ),
        (
            ".x".to_owned(),
            "Member must satisfy regular expression pattern",
        ),
        (
            "a b".to_owned(),
            "Member must satisfy regular expression pattern",
        ),
        (
            String::new(),
            "Member must have length greater than or equal to 1",
        ),
    ] {
        let answer = raw_create(
            &server,
            json!({"ImageName": "cons", "BaseImage": BASE, "ClientToken": next_token(), "Aliases": [alias]}),
        )
        .await;
        assert_validation(&answer, &format!("alias {alias:?}"), part);
        assert!(
            answer.message().contains("'aliases.1.member'"),
            "{}",
            answer.text
        );
    }
    // The same constraint holds wherever an alias is given.
    let answer = server
        .raw()
        .call(
            "UpdateImageVersion",
            &json!({"ImageName": "cons", "Version": 1, "AliasesToAdd": ["-x"]}),
        )
        .await;
    assert_validation(&answer, "AliasesToAdd", "'aliasesToAdd.1.member'");
    let answer = server
        .raw()
        .call(
            "DescribeImageVersion",
            &json!({"ImageName": "cons", "Alias": ".x"}),
        )
        .await;
    assert_validation(&answer, "Alias", "'alias'");
    assert_eq!(
        aliases(&client, "cons", Some(1), None).await,
        strings(&["v1.0-beta_2"])
    );

    // BaseImage: 1..255.
    let answer = raw_create(
        &server,
        json!({"ImageName": "cons", "BaseImage": "i".repeat(255), "ClientToken": next_token()}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    created += 1;
    for (base, part) in [
        (
            "i".repeat(256),
            "Member must have length less than or equal to 255",
        ),
        (
            String::new(),
            "Member must have length greater than or equal to 1",
        ),
    ] {
        let answer = raw_create(
            &server,
            json!({"ImageName": "cons", "BaseImage": base, "ClientToken": next_token()}),
        )
        .await;
        assert_validation(&answer, "BaseImage", part);
        assert!(answer.message().contains("'baseImage'"), "{}", answer.text);
    }
    let answer = raw_create(
        &server,
        json!({"ImageName": "cons", "ClientToken": next_token()}),
    )
    .await;
    assert_validation(&answer, "no BaseImage", "Value null at 'baseImage'");

    // ClientToken: 1..36 of [a-zA-Z0-9-]+.
    let answer = raw_create(
        &server,
        json!({"ImageName": "cons", "BaseImage": BASE, "ClientToken": "t".repeat(36)}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    created += 1;
    for (client_token, part) in [
        (
            "t".repeat(37),
            "Member must have length less than or equal to 36",
        ),
        (
            "a_b".to_owned(),
            "Member must satisfy regular expression pattern",
        ),
    ] {
        let answer = raw_create(
            &server,
            json!({"ImageName": "cons", "BaseImage": BASE, "ClientToken": client_token}),
        )
        .await;
        assert_validation(&answer, "ClientToken", part);
        assert!(
            answer.message().contains("'clientToken'"),
            "{}",
            answer.text
        );
    }

    // MLFramework and ProgrammingLang: [a-zA-Z]+ ?\d+\.\d+(\.\d+)?
    for (framework, lang) in [
        ("PyTorch 2.1", "Python3.10"),
        ("TensorFlow2.14.1", "Python 3.11.4"),
    ] {
        let answer = raw_create(
            &server,
            json!({"ImageName": "cons", "BaseImage": BASE, "ClientToken": next_token(),
                   "MLFramework": framework, "ProgrammingLang": lang}),
        )
        .await;
        assert_eq!(answer.status, 200, "{framework} / {lang}: {}", answer.text);
        created += 1;
    }
    for (member, path) in [
        ("MLFramework", "'mLFramework'"),
        ("ProgrammingLang", "'programmingLang'"),
    ] {
        for value in ["python", "Python 3", "Python  3.1"] {
            let mut body =
                json!({"ImageName": "cons", "BaseImage": BASE, "ClientToken": next_token()});
            body[member] = json!(value);
            let answer = raw_create(&server, body).await;
            assert_validation(
                &answer,
                &format!("{member} {value:?}"),
                "Member must satisfy regular expression pattern",
            );
            assert!(answer.message().contains(path), "{}", answer.text);
        }
    }

    // Enums.
    for (member, value, allowed) in [
        ("JobType", "BATCH", "[TRAINING, INFERENCE, NOTEBOOK_KERNEL]"),
        ("Processor", "TPU", "[CPU, GPU]"),
        (
            "VendorGuidance",
            "BETA",
            "[NOT_PROVIDED, STABLE, TO_BE_ARCHIVED, ARCHIVED]",
        ),
        (
            "JobType",
            "training",
            "[TRAINING, INFERENCE, NOTEBOOK_KERNEL]",
        ),
    ] {
        let mut body = json!({"ImageName": "cons", "BaseImage": BASE, "ClientToken": next_token()});
        body[member] = json!(value);
        let answer = raw_create(&server, body).await;
        assert_validation(
            &answer,
            &format!("{member} {value}"),
            &format!("Member must satisfy enum value set: {allowed}"),
        );
    }
    let answer = raw_create(
        &server,
        json!({"ImageName": "cons", "BaseImage": BASE, "ClientToken": next_token(),
               "JobType": "NOTEBOOK_KERNEL", "Processor": "GPU", "VendorGuidance": "TO_BE_ARCHIVED"}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    created += 1;

    // Horovod is a boolean.
    let answer = raw_create(
        &server,
        json!({"ImageName": "cons", "BaseImage": BASE, "ClientToken": next_token(), "Horovod": "true"}),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(
        answer.error_type(),
        "SerializationException",
        "{}",
        answer.text
    );
    let answer = raw_create(
        &server,
        json!({"ImageName": "cons", "BaseImage": BASE, "ClientToken": next_token(), "Horovod": true}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    created += 1;

    // UpdateImageVersion checks the same members.
    for (member, value) in [
        ("JobType", json!("BATCH")),
        ("MLFramework", json!("python")),
        ("ReleaseNotes", json!("")),
    ] {
        let mut body = json!({"ImageName": "cons", "Version": 1});
        body[member] = value;
        let answer = server.raw().call("UpdateImageVersion", &body).await;
        assert_validation(&answer, member, "failed to satisfy constraint");
    }

    // Only the accepted requests made versions, numbered without gaps.
    assert_eq!(
        version_numbers(&client, "cons").await,
        (1..=created).collect::<Vec<i32>>()
    );
    let described = client
        .describe_image_version()
        .image_name("cons")
        .version(1)
        .send()
        .await
        .expect("describe 1");
    assert_eq!(
        described.job_type(),
        None,
        "refused updates changed nothing"
    );
    assert_eq!(described.ml_framework(), None);
    assert_eq!(described.release_notes(), None);
}

#[tokio::test]
async fn update_changes_only_what_it_names() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "upd").await;
    client
        .create_image_version()
        .image_name("upd")
        .base_image(BASE)
        .job_type(JobType::Training)
        .processor(Processor::Cpu)
        .ml_framework("PyTorch 2.1")
        .programming_lang("Python 3.10")
        .release_notes("first")
        .vendor_guidance(VendorGuidance::Stable)
        .horovod(false)
        .send()
        .await
        .expect("create");
    let describe = || {
        client
            .describe_image_version()
            .image_name("upd")
            .version(1)
            .send()
    };
    let before = describe().await.expect("describe");
    assert_eq!(before.job_type(), Some(&JobType::Training));
    assert_eq!(before.processor(), Some(&Processor::Cpu));
    assert_eq!(before.ml_framework(), Some("PyTorch 2.1"));
    assert_eq!(before.programming_lang(), Some("Python 3.10"));
    assert_eq!(before.release_notes(), Some("first"));
    assert_eq!(before.vendor_guidance(), Some(&VendorGuidance::Stable));
    assert_eq!(before.horovod(), Some(false));
    assert_eq!(before.creation_time(), before.last_modified_time());

    tokio::time::sleep(Duration::from_millis(20)).await;
    let answer = client
        .update_image_version()
        .image_name("upd")
        .version(1)
        .job_type(JobType::Inference)
        .send()
        .await
        .expect("update job type");
    assert_eq!(
        answer.image_version_arn(),
        Some(version_arn("upd", 1).as_str())
    );
    let after = describe().await.expect("describe");
    assert_eq!(after.job_type(), Some(&JobType::Inference));
    assert_eq!(after.processor(), Some(&Processor::Cpu));
    assert_eq!(after.ml_framework(), Some("PyTorch 2.1"));
    assert_eq!(after.programming_lang(), Some("Python 3.10"));
    assert_eq!(after.release_notes(), Some("first"));
    assert_eq!(after.vendor_guidance(), Some(&VendorGuidance::Stable));
    assert_eq!(after.horovod(), Some(false));
    assert_eq!(after.base_image(), Some(BASE));
    assert_eq!(after.creation_time(), before.creation_time());
    assert!(
        after.last_modified_time() > before.last_modified_time(),
        "{:?} then {:?}",
        before.last_modified_time(),
        after.last_modified_time()
    );

    tokio::time::sleep(Duration::from_millis(20)).await;
    client
        .update_image_version()
        .image_name("upd")
        .version(1)
        .processor(Processor::Gpu)
        .ml_framework("TensorFlow 2.14.1")
        .programming_lang("Python 3.11")
        .release_notes("second")
        .vendor_guidance(VendorGuidance::Archived)
        .horovod(true)
        .send()
        .await
        .expect("update the rest");
    let last = describe().await.expect("describe");
    assert_eq!(last.job_type(), Some(&JobType::Inference), "kept");
    assert_eq!(last.processor(), Some(&Processor::Gpu));
    assert_eq!(last.ml_framework(), Some("TensorFlow 2.14.1"));
    assert_eq!(last.programming_lang(), Some("Python 3.11"));
    assert_eq!(last.release_notes(), Some("second"));
    assert_eq!(last.vendor_guidance(), Some(&VendorGuidance::Archived));
    assert_eq!(last.horovod(), Some(true));
    assert_eq!(last.creation_time(), before.creation_time());
    assert!(last.last_modified_time() > after.last_modified_time());

    // A version without metadata describes none.
    create_version(&client, "upd").await;
    let bare = client
        .describe_image_version()
        .image_name("upd")
        .version(2)
        .send()
        .await
        .expect("describe 2");
    assert_eq!(bare.job_type(), None);
    assert_eq!(bare.horovod(), None);
    assert_eq!(bare.release_notes(), None);

    let e = client
        .update_image_version()
        .image_name("upd")
        .version(7)
        .release_notes("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(message(&e).contains("does not exist"), "{e:?}");
    let e = client
        .update_image_version()
        .image_name("nosuch")
        .version(1)
        .release_notes("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
}

async fn listed(
    client: &Client,
    image: &str,
    sort_by: Option<ImageVersionSortBy>,
    order: Option<ImageVersionSortOrder>,
) -> Vec<i32> {
    client
        .list_image_versions()
        .image_name(image)
        .set_sort_by(sort_by)
        .set_sort_order(order)
        .max_results(100)
        .send()
        .await
        .expect("list")
        .image_versions()
        .iter()
        .map(|v| v.version().unwrap_or(-1))
        .collect()
}

#[tokio::test]
async fn list_image_versions_sorts_filters_and_pages() {
    let server = Server::start();
    let client = server.client();
    let e = client
        .list_image_versions()
        .image_name("nosuch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(message(&e).contains("does not exist"), "{e:?}");

    create_image(&client, "lv").await;
    for _ in 0..12 {
        create_version(&client, "lv").await;
        pause().await;
    }
    // Modification order differs from creation order.
    for version in [5, 2, 9] {
        client
            .update_image_version()
            .image_name("lv")
            .version(version)
            .release_notes(format!("touched {version}"))
            .send()
            .await
            .expect("touch");
        pause().await;
    }

    let first = client
        .list_image_versions()
        .image_name("lv")
        .send()
        .await
        .expect("default list");
    let numbers: Vec<i32> = first
        .image_versions()
        .iter()
        .map(|v| v.version().unwrap_or(-1))
        .collect();
    assert_eq!(
        numbers,
        (3..=12).rev().collect::<Vec<_>>(),
        "CREATION_TIME DESCENDING, 10"
    );
    assert!(first.next_token().is_some());
    let item = &first.image_versions()[0];
    assert_eq!(
        item.image_version_arn(),
        Some(version_arn("lv", 12).as_str())
    );
    assert_eq!(item.image_arn(), Some(image_arn("lv").as_str()));
    assert_eq!(
        item.image_version_status(),
        Some(&ImageVersionStatus::Created)
    );
    assert!(item.creation_time().is_some() && item.last_modified_time().is_some());

    let up: Vec<i32> = (1..=12).collect();
    let down: Vec<i32> = (1..=12).rev().collect();
    let by_modified = vec![1, 3, 4, 6, 7, 8, 10, 11, 12, 5, 2, 9];
    let by_modified_down: Vec<i32> = by_modified.iter().rev().copied().collect();
    use ImageVersionSortBy as By;
    use ImageVersionSortOrder as Order;
    for (sort_by, order, expected) in [
        (Some(By::Version), Some(Order::Ascending), &up),
        (Some(By::Version), Some(Order::Descending), &down),
        (Some(By::Version), None, &down),
        (Some(By::CreationTime), Some(Order::Ascending), &up),
        (Some(By::CreationTime), Some(Order::Descending), &down),
        (None, Some(Order::Ascending), &up),
        (
            Some(By::LastModifiedTime),
            Some(Order::Ascending),
            &by_modified,
        ),
        (
            Some(By::LastModifiedTime),
            Some(Order::Descending),
            &by_modified_down,
        ),
    ] {
        assert_eq!(
            &listed(&client, "lv", sort_by.clone(), order.clone()).await,
            expected,
            "{sort_by:?} {order:?}"
        );
    }

    // Time filters are inclusive.
    let all = client
        .list_image_versions()
        .image_name("lv")
        .max_results(100)
        .sort_by(By::Version)
        .sort_order(Order::Ascending)
        .send()
        .await
        .expect("list");
    let created = |n: usize| -> DateTime { *all.image_versions()[n - 1].creation_time().unwrap() };
    let modified =
        |n: usize| -> DateTime { *all.image_versions()[n - 1].last_modified_time().unwrap() };
    let filtered = client
        .list_image_versions()
        .image_name("lv")
        .creation_time_after(created(4))
        .creation_time_before(created(8))
        .sort_by(By::Version)
        .sort_order(Order::Ascending)
        .send()
        .await
        .expect("creation filter");
    let numbers: Vec<i32> = filtered
        .image_versions()
        .iter()
        .map(|v| v.version().unwrap())
        .collect();
    assert_eq!(numbers, vec![4, 5, 6, 7, 8]);
    let filtered = client
        .list_image_versions()
        .image_name("lv")
        .last_modified_time_after(modified(5))
        .sort_by(By::LastModifiedTime)
        .sort_order(Order::Ascending)
        .send()
        .await
        .expect("modified-after filter");
    let numbers: Vec<i32> = filtered
        .image_versions()
        .iter()
        .map(|v| v.version().unwrap())
        .collect();
    assert_eq!(numbers, vec![5, 2, 9]);
    let filtered = client
        .list_image_versions()
        .image_name("lv")
        .last_modified_time_before(modified(3))
        .sort_by(By::Version)
        .sort_order(Order::Ascending)
        .send()
        .await
        .expect("modified-before filter");
    let numbers: Vec<i32> = filtered
        .image_versions()
        .iter()
        .map(|v| v.version().unwrap())
        .collect();
    assert_eq!(numbers, vec![1, 3]);

    // Two per page: each version once.
    let (mut seen, mut pages, mut token) = (Vec::new(), 0, None::<String>);
    loop {
        let page = client
            .list_image_versions()
            .image_name("lv")
            .max_results(2)
            .set_next_token(token.take())
            .send()
            .await
            .expect("page");
        pages += 1;
        assert!(page.image_versions().len() <= 2);
        seen.extend(page.image_versions().iter().map(|v| v.version().unwrap()));
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 20, "paging does not end");
    }
    assert_eq!(seen, down);
    assert_eq!(pages, 6);

    let page = client
        .list_image_versions()
        .image_name("lv")
        .max_results(2)
        .send()
        .await
        .expect("page");
    let good = page.next_token().expect("token").to_owned();
    let tampered = tamper(&good);
    let e = client
        .list_image_versions()
        .image_name("lv")
        .max_results(2)
        .next_token(tampered)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    let e = client
        .list_image_versions()
        .image_name("lv")
        .max_results(2)
        .next_token("not-a-token")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    let e = client
        .list_image_versions()
        .image_name("lv")
        .max_results(2)
        .sort_by(By::Version)
        .next_token(good)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e),
        "ValidationException",
        "a token is bound to its sort: {e:?}"
    );

    let collected = client
        .list_image_versions()
        .image_name("lv")
        .max_results(5)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate");
    let numbers: Vec<i32> = collected.iter().map(|v| v.version().unwrap()).collect();
    assert_eq!(numbers, down);
    let collected = client
        .list_image_versions()
        .image_name("lv")
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate with the default page size");
    assert_eq!(collected.len(), 12);
}

#[tokio::test]
async fn delete_image_deletes_its_versions_aliases_and_tags() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "Casc").await;
    create_version_with(&client, "Casc", &["old"]).await;
    create_version_with(&client, "Casc", &["prod", "stable"]).await;
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

    client
        .delete_image()
        .image_name("Casc")
        .send()
        .await
        .expect("delete image");
    let e = client
        .list_image_versions()
        .image_name("Casc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");

    create_image(&client, "casc").await;
    assert!(version_numbers(&client, "casc").await.is_empty());
    let e = client
        .describe_image_version()
        .image_name("casc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    let e = client
        .describe_image_version()
        .image_name("casc")
        .alias("prod")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(aliases(&client, "casc", None, None).await.is_empty());
    let e = client
        .list_tags()
        .resource_arn(version_arn("casc", 2))
        .send()
        .await
        .unwrap_err();
    assert!(message(&e).contains("does not exist"), "{e:?}");

    // Numbering starts again, the aliases are free, and the new version 1 has no tags.
    assert_eq!(
        create_version_with(&client, "casc", &["prod"]).await,
        version_arn("casc", 1)
    );
    assert!(list_tags(&client, &version_arn("casc", 1)).await.is_empty());
    assert_eq!(
        aliases(&client, "casc", None, None).await,
        strings(&["prod"])
    );
    let e = client
        .list_tags()
        .resource_arn(version_arn("casc", 2))
        .send()
        .await
        .unwrap_err();
    assert!(message(&e).contains("does not exist"), "{e:?}");
}

#[tokio::test]
async fn version_arns_carry_tags() {
    let server = Server::start();
    let client = server.client();
    create_image(&client, "Tagged").await;
    create_version(&client, "Tagged").await;
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
    client
        .delete_tags()
        .resource_arn(&arn)
        .tag_keys("a")
        .send()
        .await
        .expect("delete tags");
    assert_eq!(list_tags(&client, &arn).await, pairs(&[("b", "2")]));
    // The image's own tags are another set.
    assert!(list_tags(&client, &image_arn("Tagged")).await.is_empty());

    let missing = version_arn("tagged", 7);
    let e = client
        .add_tags()
        .resource_arn(&missing)
        .tags(tag("a", "1"))
        .send()
        .await
        .unwrap_err();
    assert!(message(&e).contains("does not exist"), "{e:?}");
    let e = client
        .list_tags()
        .resource_arn(&missing)
        .send()
        .await
        .unwrap_err();
    assert!(message(&e).contains("does not exist"), "{e:?}");
    let e = client
        .delete_tags()
        .resource_arn(&missing)
        .tag_keys("a")
        .send()
        .await
        .unwrap_err();
    assert!(message(&e).contains("does not exist"), "{e:?}");

    // Deleting the version drops its tags; a new version has none.
    client
        .delete_image_version()
        .image_name("Tagged")
        .version(1)
        .send()
        .await
        .expect("delete version");
    let e = client
        .list_tags()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert!(message(&e).contains("does not exist"), "{e:?}");
    create_version(&client, "Tagged").await;
    assert!(list_tags(&client, &version_arn("tagged", 2))
        .await
        .is_empty());
}

#[tokio::test]
async fn a_delayed_image_deletion_takes_its_versions_when_it_ends() {
    let server = delayed("1s");
    let client = server.client();
    create_image(&client, "gone").await;
    wait_for_image(&client, "gone", ImageStatus::Created).await;
    create_version_with(&client, "gone", &["prod"]).await;
    wait_for_version(&client, "gone", 1, Some(ImageVersionStatus::Created)).await;
    client
        .add_tags()
        .resource_arn(version_arn("gone", 1))
        .tags(tag("k", "v"))
        .send()
        .await
        .expect("tag version");

    client
        .delete_image()
        .image_name("gone")
        .send()
        .await
        .expect("delete image");
    let e = client
        .create_image_version()
        .image_name("gone")
        .base_image(BASE)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e),
        "ResourceInUse",
        "while the image is DELETING: {e:?}"
    );

    // Gone with the image.
    for _ in 0..100 {
        if client
            .describe_image()
            .image_name("gone")
            .send()
            .await
            .is_err()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let e = client
        .describe_image_version()
        .image_name("gone")
        .version(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(message(&e).contains("does not exist"), "{e:?}");
    let e = client
        .list_tags()
        .resource_arn(version_arn("gone", 1))
        .send()
        .await
        .unwrap_err();
    assert!(message(&e).contains("does not exist"), "{e:?}");

    create_image(&client, "gone").await;
    wait_for_image(&client, "gone", ImageStatus::Created).await;
    assert!(version_numbers(&client, "gone").await.is_empty());
    assert!(aliases(&client, "gone", None, None).await.is_empty());
    assert_eq!(
        create_version_with(&client, "gone", &["prod"]).await,
        version_arn("gone", 1)
    );
    assert!(list_tags(&client, &version_arn("gone", 1)).await.is_empty());
}
