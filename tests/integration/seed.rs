//! UpdateImage exactly as the seed (the API reference) describes it: each parameter's boundaries accepted,
//! one past each refused with AWS's wording, and a refused request changes nothing.

use serde_json::{json, Value};

use crate::common::{create_image, image_arn, raw::RawClient, Server, ROLE_ARN};

/// DescribeImage as raw JSON, to compare the whole image before and after a request.
async fn describe(raw: &RawClient, name: &str) -> Value {
    let answer = raw
        .call("DescribeImage", &json!({ "ImageName": name }))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

/// Sends UpdateImage and asserts it was refused with a ValidationException containing `expected`, and
/// that the image is exactly as it was.
async fn assert_refused(raw: &RawClient, name: &str, request: Value, expected: &str) {
    let before = describe(raw, name).await;
    let answer = raw.call("UpdateImage", &request).await;
    assert_eq!(
        answer.status, 400,
        "{request} was accepted: {}",
        answer.text
    );
    assert_eq!(
        answer.error_type(),
        "ValidationException",
        "{}",
        answer.text
    );
    assert!(
        answer.message().contains(expected),
        "message {:?} lacks {expected:?}",
        answer.message()
    );
    assert_eq!(
        describe(raw, name).await,
        before,
        "a refused UpdateImage changed the image"
    );
}

async fn assert_accepted(raw: &RawClient, request: Value) -> Value {
    let answer = raw.call("UpdateImage", &request).await;
    assert_eq!(answer.status, 200, "{request} was refused: {}", answer.text);
    answer.body
}

async fn server_with_image(name: &str) -> (Server, RawClient) {
    let server = Server::start();
    create_image(&server.client(), name).await;
    let raw = server.raw();
    (server, raw)
}

#[tokio::test]
async fn image_name_length_and_pattern() {
    let server = Server::start();
    let client = server.client();
    let raw = server.raw();
    let longest = format!("a{}", "b".repeat(62));
    for name in ["a", "A1", "a-b.c", longest.as_str()] {
        create_image(&client, name).await;
        let answer = assert_accepted(&raw, json!({ "ImageName": name, "Description": "d" })).await;
        assert_eq!(answer["ImageArn"], image_arn(name));
    }
    let too_long = "a".repeat(64);
    let cases = [
        (
            too_long.as_str(),
            "Member must have length less than or equal to 63",
        ),
        ("", "Member must have length greater than or equal to 1"),
        (
            "-a",
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9]([-.]?[a-zA-Z0-9]){0,62}$",
        ),
        ("a-", "Member must satisfy regular expression pattern"),
        ("a--b", "Member must satisfy regular expression pattern"),
        ("a_b", "Member must satisfy regular expression pattern"),
        ("ab\n", "Member must satisfy regular expression pattern"),
    ];
    for (name, expected) in cases {
        let answer = raw.call("UpdateImage", &json!({ "ImageName": name })).await;
        assert_eq!(
            answer.error_type(),
            "ValidationException",
            "{name:?}: {}",
            answer.text
        );
        assert!(
            answer.message().contains(&format!(
                "at 'imageName' failed to satisfy constraint: {expected}"
            )),
            "{name:?}: {}",
            answer.message()
        );
    }
    let answer = raw
        .call("UpdateImage", &json!({ "Description": "d" }))
        .await;
    assert_eq!(
        answer.message(),
        "1 validation error detected: Value null at 'imageName' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn display_name_boundaries() {
    let (_server, raw) = server_with_image("img").await;
    for value in [
        "x".to_owned(),
        "y".repeat(128),
        "a b".to_owned(),
        "Été 2026".to_owned(),
        "é".repeat(128),
    ] {
        assert_accepted(&raw, json!({ "ImageName": "img", "DisplayName": value })).await;
        assert_eq!(describe(&raw, "img").await["DisplayName"], value.as_str());
    }
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "DisplayName": "z".repeat(129) }),
        "at 'displayName' failed to satisfy constraint: Member must have length less than or equal to 128",
    )
    .await;
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "DisplayName": "é".repeat(129) }),
        "Member must have length less than or equal to 128",
    )
    .await;
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "DisplayName": "" }),
        "Member must have length greater than or equal to 1",
    )
    .await;
    for padded in [" x", "x ", "\tx", "x\n"] {
        assert_refused(
            &raw,
            "img",
            json!({ "ImageName": "img", "DisplayName": padded }),
            "failed to satisfy constraint: Member must satisfy regular expression pattern: ^\\S(.*\\S)?$",
        )
        .await;
    }
}

#[tokio::test]
async fn description_boundaries() {
    let (_server, raw) = server_with_image("img").await;
    for value in [
        "d".to_owned(),
        "d".repeat(512),
        "é".repeat(512),
        " spaces are fine ".to_owned(),
    ] {
        assert_accepted(&raw, json!({ "ImageName": "img", "Description": value })).await;
        assert_eq!(describe(&raw, "img").await["Description"], value.as_str());
    }
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "Description": "d".repeat(513) }),
        "at 'description' failed to satisfy constraint: Member must have length less than or equal to 512",
    )
    .await;
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "Description": "é".repeat(513) }),
        "less than or equal to 512",
    )
    .await;
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "Description": "" }),
        "Member must have length greater than or equal to 1",
    )
    .await;
    // `.*` is a Java pattern: `.` does not match line terminators.
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "Description": "two\nlines" }),
        "Member must satisfy regular expression pattern: ^.*$",
    )
    .await;
}

#[tokio::test]
async fn role_arn_boundaries() {
    let (_server, raw) = server_with_image("img").await;
    let prefix = "arn:aws:iam::123456789012:role/";
    let longest = format!("{prefix}{}", "r".repeat(2048 - prefix.len()));
    for value in [
        "arn:aws:iam::123456789012:role/a".to_owned(),
        "arn:aws-cn:iam::123456789012:role/path/to/Role_+=,.@-".to_owned(),
        "arn:aws:iam::123456789012:roleX".to_owned(),
        longest.clone(),
    ] {
        assert_accepted(&raw, json!({ "ImageName": "img", "RoleArn": value })).await;
        assert_eq!(describe(&raw, "img").await["RoleArn"], value.as_str());
    }
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "RoleArn": format!("{longest}r") }),
        "at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048",
    )
    .await;
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "RoleArn": "arn:aws:iam::1:r" }),
        "Member must have length greater than or equal to 20",
    )
    .await;
    for bad in [
        "arn:aws:iam::12345678901:role/short-account",
        "arn:aws:iam::123456789012:user/not-a-role",
        "arn:aws:s3:::123456789012:role/wrong-service",
        "arn:aws:iam::123456789012:role/with space",
        "arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/arabic-digits",
    ] {
        assert_refused(
            &raw,
            "img",
            json!({ "ImageName": "img", "RoleArn": bad }),
            "Member must satisfy regular expression pattern: ^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$",
        )
        .await;
    }
}

#[tokio::test]
async fn delete_properties_boundaries() {
    let server = Server::start();
    let client = server.client();
    let raw = server.raw();
    client
        .create_image()
        .image_name("img")
        .role_arn(ROLE_ARN)
        .display_name("Shown")
        .description("Described")
        .send()
        .await
        .expect("create");
    // An empty list deletes nothing.
    assert_accepted(&raw, json!({ "ImageName": "img", "DeleteProperties": [] })).await;
    let image = describe(&raw, "img").await;
    assert_eq!(
        (image["DisplayName"].as_str(), image["Description"].as_str()),
        (Some("Shown"), Some("Described"))
    );

    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "DeleteProperties": ["DisplayName", "Description", "DisplayName"] }),
        "Value '[DisplayName, Description, DisplayName]' at 'deleteProperties' failed to satisfy constraint: Member must have length less than or equal to 2",
    )
    .await;
    for bad in ["RoleArn", "displayname", "DisplayName ", "", "Description1"] {
        assert_refused(
            &raw,
            "img",
            json!({ "ImageName": "img", "DeleteProperties": [bad] }),
            "at 'deleteProperties.1.member' failed to satisfy constraint:",
        )
        .await;
    }
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "DeleteProperties": ["Description12"] }),
        "Member must have length less than or equal to 11",
    )
    .await;
    // Setting and deleting the same property at once is contradictory.
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "DisplayName": "New", "DeleteProperties": ["DisplayName"] }),
        "DisplayName cannot be both set and listed in DeleteProperties",
    )
    .await;
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "Description": "New", "DeleteProperties": ["Description"] }),
        "Description cannot be both set and listed in DeleteProperties",
    )
    .await;

    // Deleting one property through the SDK leaves the other; then the other goes too.
    client
        .update_image()
        .image_name("img")
        .delete_properties("Description")
        .send()
        .await
        .expect("delete description");
    let image = describe(&raw, "img").await;
    assert_eq!(image["DisplayName"], "Shown");
    assert!(image.get("Description").is_none(), "{image}");
    assert_accepted(&raw, json!({ "ImageName": "img", "DeleteProperties": ["DisplayName", "Description"], "RoleArn": "arn:aws:iam::123456789012:role/other" })).await;
    let image = describe(&raw, "img").await;
    assert!(
        image.get("DisplayName").is_none() && image.get("Description").is_none(),
        "{image}"
    );
    assert_eq!(image["RoleArn"], "arn:aws:iam::123456789012:role/other");
}

#[tokio::test]
async fn update_changes_only_what_it_names() {
    let server = Server::start();
    let client = server.client();
    client
        .create_image()
        .image_name("img")
        .role_arn(ROLE_ARN)
        .display_name("Shown")
        .description("Described")
        .send()
        .await
        .expect("create");
    let before = client
        .describe_image()
        .image_name("img")
        .send()
        .await
        .expect("describe");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let answer = client
        .update_image()
        .image_name("img")
        .description("Changed")
        .send()
        .await
        .expect("update");
    assert_eq!(answer.image_arn(), Some(image_arn("img").as_str()));
    let after = client
        .describe_image()
        .image_name("img")
        .send()
        .await
        .expect("describe");
    assert_eq!(after.description(), Some("Changed"));
    assert_eq!(after.display_name(), Some("Shown"));
    assert_eq!(after.role_arn(), Some(ROLE_ARN));
    assert_eq!(after.creation_time(), before.creation_time());
    assert!(after.last_modified_time() > before.last_modified_time());
    assert_eq!(after.image_status().map(|s| s.as_str()), Some("CREATED"));
}

#[tokio::test]
async fn response_arn_matches_the_seed_pattern() {
    let (_server, raw) = server_with_image("My.Image-1").await;
    let answer = assert_accepted(
        &raw,
        json!({ "ImageName": "My.Image-1", "Description": "d" }),
    )
    .await;
    let arn = answer["ImageArn"].as_str().expect("ImageArn");
    let pattern = regex::Regex::new(
        r"^arn:aws(-[\w]+)*:sagemaker:.+:[0-9]{12}:image/[a-zA-Z0-9]([-.]?[a-zA-Z0-9])*$",
    )
    .unwrap();
    assert!(pattern.is_match(arn) && arn.len() <= 256, "{arn}");
}

#[tokio::test]
async fn a_missing_image_is_resource_not_found() {
    let server = Server::start();
    let error = server
        .client()
        .update_image()
        .image_name("ghost")
        .description("d")
        .send()
        .await
        .unwrap_err();
    assert_eq!(crate::common::code(&error), "ResourceNotFound");
    let answer = server
        .raw()
        .call("UpdateImage", &json!({ "ImageName": "ghost" }))
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error_type(), "ResourceNotFound");
    assert_eq!(answer.message(), "Image ghost does not exist.");
}

#[tokio::test]
async fn several_violations_are_reported_together() {
    let (_server, raw) = server_with_image("img").await;
    assert_refused(
        &raw,
        "img",
        json!({ "ImageName": "img", "DisplayName": " x", "Description": "", "DeleteProperties": ["Nope"] }),
        "3 validation errors detected: ",
    )
    .await;
}
