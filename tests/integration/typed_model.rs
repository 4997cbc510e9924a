//! The generated model on the wire: bodies read into typed inputs with AWS's errors in AWS's order, typed
//! enums reaching the domain, and typed outputs carrying only the model's members.

use serde_json::{json, Value};

use crate::common::Server;

/// One request and the error it must get: code and whole message.
struct Refused {
    name: &'static str,
    operation: &'static str,
    body: Value,
    code: &'static str,
    message: &'static str,
}

#[tokio::test]
async fn bodies_are_refused_with_the_first_wrong_type_or_every_violation_in_member_order() {
    let server = Server::start();
    let raw = server.raw();
    let cases = [
        Refused {
            name: "a wrong type wins over violations met before it",
            operation: "ListImages",
            body: json!({"MaxResults": 0, "NameContains": "a b", "SortBy": 5}),
            code: "SerializationException",
            message: "Value at 'sortBy' must be a string.",
        },
        Refused {
            name: "violations are listed in the model's member order",
            operation: "ListImages",
            body: json!({"SortOrder": "UP", "NameContains": "a b", "MaxResults": 0}),
            code: "ValidationException",
            message: "3 validation errors detected: \
                Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1; \
                Value 'a b' at 'nameContains' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9\\-.]+$; \
                Value 'UP' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [ASCENDING, DESCENDING]",
        },
        Refused {
            name: "a property outside DeleteProperties' words",
            operation: "UpdateImage",
            body: json!({"ImageName": "a", "DeleteProperties": ["Tags"]}),
            code: "ValidationException",
            message: "1 validation error detected: Value 'Tags' at 'deleteProperties.1.member' \
                failed to satisfy constraint: Member must satisfy regular expression pattern: \
                (^DisplayName$)|(^Description$)",
        },
        Refused {
            name: "a nested list's item and a missing required member",
            operation: "CreateAppImageConfig",
            body: json!({"AppImageConfigName": "c",
                         "KernelGatewayImageConfig": {"KernelSpecs": [{"DisplayName": "d"}]}}),
            code: "ValidationException",
            message: "1 validation error detected: Value null at \
                'kernelGatewayImageConfig.kernelSpecs.1.member.name' failed to satisfy constraint: \
                Member must not be null",
        },
        Refused {
            name: "an operation the model does not have",
            operation: "CreateDomain",
            body: json!({}),
            code: "UnknownOperationException",
            message: "Operation 'SageMaker.CreateDomain' is not supported by this service.",
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let answer = raw.call(case.operation, &case.body).await;
        if answer.status != 400
            || answer.error_type() != case.code
            || answer.message() != case.message
        {
            failures.push(format!(
                "{}: {} {} {:?}",
                case.name,
                answer.status,
                answer.error_type(),
                answer.message()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Nothing refused was created.
    let listed = raw.call("ListAppImageConfigs", &json!({})).await;
    assert_eq!(listed.body["AppImageConfigs"], json!([]), "{}", listed.text);
}

#[tokio::test]
async fn delete_properties_reach_the_image_as_the_models_words() {
    let server = Server::start();
    let raw = server.raw();
    let created = raw
        .call(
            "CreateImage",
            &json!({"ImageName": "words", "RoleArn": "arn:aws:iam::000000000000:role/r",
                    "DisplayName": "Shown", "Description": "Said"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let updated = raw
        .call(
            "UpdateImage",
            &json!({"ImageName": "words", "DeleteProperties": ["Description"]}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let described = raw
        .call("DescribeImage", &json!({"ImageName": "words"}))
        .await;
    assert_eq!(
        described.body.get("Description"),
        None,
        "{}",
        described.text
    );
    assert_eq!(described.body["DisplayName"], "Shown");
}

#[tokio::test]
async fn outputs_carry_only_the_models_members() {
    let server = Server::start();
    let raw = server.raw();
    let created = raw
        .call(
            "CreateAppImageConfig",
            &json!({"AppImageConfigName": "typed",
                    "KernelGatewayImageConfig": {
                        "KernelSpecs": [{"Name": "python3", "Unknown": "dropped", "DisplayName": null}],
                        "FileSystemConfig": {"MountPath": "/home", "DefaultUid": 1000, "Extra": true}},
                    "Unknown": {"at": "the top"}}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(
        created
            .body
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["AppImageConfigArn".to_owned()])
    );
    let described = raw
        .call(
            "DescribeAppImageConfig",
            &json!({"AppImageConfigName": "typed"}),
        )
        .await;
    assert_eq!(described.status, 200, "{}", described.text);
    assert_eq!(
        described.body["KernelGatewayImageConfig"],
        json!({"KernelSpecs": [{"Name": "python3"}],
               "FileSystemConfig": {"MountPath": "/home", "DefaultUid": 1000}})
    );
    assert_eq!(described.body.get("Unknown"), None);
    let deleted = raw
        .call(
            "DeleteAppImageConfig",
            &json!({"AppImageConfigName": "typed"}),
        )
        .await;
    assert_eq!((deleted.status, deleted.text.as_str()), (200, "{}"));
}
