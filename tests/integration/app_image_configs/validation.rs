//! The model's constraints on the nested members of a config, and members the model does not define.

use aws_sdk_sagemaker::types::{AppImageConfigSortKey, SortOrder};
use serde_json::{json, Value};

use super::{describe, names_of};
use crate::common::cases::{
    check_raw, check_raw_refused, check_sdk, not_found, Expected, Failures,
};
use crate::common::raw::RawResponse;
use crate::common::Server;

async fn raw_create(server: &Server, name: &str, configs: Value) -> RawResponse {
    let mut body = configs;
    body["AppImageConfigName"] = json!(name);
    server.raw().call("CreateAppImageConfig", &body).await
}

fn kernel(specs: Value) -> Value {
    json!({"KernelGatewayImageConfig": {"KernelSpecs": specs}})
}

fn file_system(config: Value) -> Value {
    json!({"KernelGatewayImageConfig": {"KernelSpecs": [{"Name": "k"}], "FileSystemConfig": config}})
}

fn container(config: Value) -> Value {
    json!({"JupyterLabAppImageConfig": {"ContainerConfig": config}})
}

#[tokio::test]
async fn nested_members_are_checked_against_the_model() {
    let server = Server::start();
    let client = server.client();
    let specs = |n: usize| -> Value {
        Value::Array((0..n).map(|i| json!({"Name": format!("k{i}")})).collect())
    };
    let arguments =
        |n: usize| -> Value { Value::Array((0..n).map(|i| json!(format!("--arg{i}"))).collect()) };
    let environment = |n: usize| -> Value {
        Value::Object(
            (0..n)
                .map(|i| (format!("VAR_{i}"), json!(format!("v{i}"))))
                .collect(),
        )
    };

    let refused: Vec<(&str, Value, &str)> = vec![
        (
            "no-specs",
            kernel(json!([])),
            "at 'kernelGatewayImageConfig.kernelSpecs' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        (
            "six-specs",
            kernel(specs(6)),
            "at 'kernelGatewayImageConfig.kernelSpecs' failed to satisfy constraint: Member must have length less than or equal to 5",
        ),
        (
            "nameless-spec",
            kernel(json!([{"DisplayName": "no name"}])),
            "Value null at 'kernelGatewayImageConfig.kernelSpecs.1.member.name' failed to satisfy constraint: Member must not be null",
        ),
        (
            "no-kernel-specs",
            json!({"KernelGatewayImageConfig": {}}),
            "Value null at 'kernelGatewayImageConfig.kernelSpecs' failed to satisfy constraint: Member must not be null",
        ),
        (
            "uid-too-big",
            file_system(json!({"DefaultUid": 65536})),
            "Value '65536' at 'kernelGatewayImageConfig.fileSystemConfig.defaultUid' failed to satisfy constraint: Member must have value less than or equal to 65535",
        ),
        (
            "uid-negative",
            file_system(json!({"DefaultUid": -1})),
            "Value '-1' at 'kernelGatewayImageConfig.fileSystemConfig.defaultUid' failed to satisfy constraint: Member must have value greater than or equal to 0",
        ),
        (
            "gid-too-big",
            file_system(json!({"DefaultGid": 65536})),
            "at 'kernelGatewayImageConfig.fileSystemConfig.defaultGid' failed to satisfy constraint: Member must have value less than or equal to 65535",
        ),
        (
            "relative-mount",
            file_system(json!({"MountPath": "relative"})),
            "Value 'relative' at 'kernelGatewayImageConfig.fileSystemConfig.mountPath' failed to satisfy constraint: Member must satisfy regular expression pattern",
        ),
        (
            "many-arguments",
            container(json!({"ContainerArguments": arguments(51)})),
            "at 'jupyterLabAppImageConfig.containerConfig.containerArguments' failed to satisfy constraint: Member must have length less than or equal to 50",
        ),
        (
            "two-entrypoints",
            container(json!({"ContainerEntrypoint": ["a", "b"]})),
            "at 'jupyterLabAppImageConfig.containerConfig.containerEntrypoint' failed to satisfy constraint: Member must have length less than or equal to 1",
        ),
        (
            "blank-argument",
            container(json!({"ContainerArguments": ["ok", "   "]})),
            "at 'jupyterLabAppImageConfig.containerConfig.containerArguments.2.member' failed to satisfy constraint: Member must satisfy regular expression pattern",
        ),
        (
            "long-argument",
            container(json!({"ContainerArguments": ["a".repeat(65)]})),
            "Member must have length less than or equal to 64",
        ),
        (
            "many-variables",
            container(json!({"ContainerEnvironmentVariables": environment(26)})),
            "at 'jupyterLabAppImageConfig.containerConfig.containerEnvironmentVariables' failed to satisfy constraint: Member must have length less than or equal to 25",
        ),
        (
            "editor-entrypoints",
            json!({"CodeEditorAppImageConfig": {"ContainerConfig": {"ContainerEntrypoint": ["a", "b"]}}}),
            "at 'codeEditorAppImageConfig.containerConfig.containerEntrypoint'",
        ),
    ];
    let mut failures = Failures::default();
    for (name, configs, part) in &refused {
        let answer = raw_create(&server, name, configs.clone()).await;
        failures.check(
            name,
            check_raw_refused(&answer, "ValidationException", &[part]),
        );
    }
    // A value of the wrong type is not a validation error but unreadable.
    let answer = raw_create(
        &server,
        "uid-text",
        file_system(json!({"DefaultUid": "1000"})),
    )
    .await;
    let unreadable = Expected::Refused("SerializationException", &[]);
    failures.check("uid-text", check_raw(&answer, unreadable));

    // Names: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}.
    for name in [
        "a_b".to_owned(),
        "n".repeat(64),
        "-a".to_owned(),
        "a-".to_owned(),
        String::new(),
    ] {
        let answer = raw_create(&server, &name, json!({})).await;
        let invalid_name = Expected::Refused("ValidationException", &["'appImageConfigName'"]);
        failures.check(&format!("name {name:?}"), check_raw(&answer, invalid_name));
    }

    let accepted: Vec<(String, Value)> = vec![
        (
            "uid-zero".into(),
            file_system(json!({"DefaultUid": 0, "DefaultGid": 0})),
        ),
        (
            "uid-max".into(),
            file_system(json!({"DefaultUid": 65535, "DefaultGid": 65535})),
        ),
        ("five-specs".into(), kernel(specs(5))),
        (
            "limits".into(),
            container(
                json!({"ContainerArguments": arguments(50), "ContainerEntrypoint": ["e"],
                             "ContainerEnvironmentVariables": environment(25)}),
            ),
        ),
        ("a--b".into(), json!({})),
        ("n".repeat(63), json!({})),
        ("A1".into(), json!({})),
    ];
    for (name, configs) in &accepted {
        let answer = raw_create(&server, name, configs.clone()).await;
        failures.check(name, check_raw(&answer, Expected::Accepted));
    }
    failures.assert_none();
    let uid = describe(&client, "uid-max").await;
    let fs = uid
        .kernel_gateway_image_config()
        .unwrap()
        .file_system_config()
        .unwrap();
    assert_eq!(
        (fs.default_uid(), fs.default_gid()),
        (Some(65535), Some(65535))
    );
    let limits = describe(&client, "limits").await;
    let limits = limits
        .jupyter_lab_app_image_config()
        .unwrap()
        .container_config()
        .unwrap();
    assert_eq!(limits.container_arguments().len(), 50);
    assert_eq!(limits.container_environment_variables().unwrap().len(), 25);

    // Nothing was created by a refused request.
    let listed = client
        .list_app_image_configs()
        .sort_by(AppImageConfigSortKey::Name)
        .sort_order(SortOrder::Ascending)
        .max_results(100)
        .send()
        .await
        .expect("list");
    let mut expected: Vec<String> = accepted.iter().map(|(n, _)| n.clone()).collect();
    expected.sort_by_key(|n| n.to_ascii_lowercase());
    let mut failures = Failures::default();
    failures.compare(
        "configs created",
        names_of(listed.app_image_configs()),
        expected,
    );
    for (name, _, _) in &refused {
        let result = client
            .describe_app_image_config()
            .app_image_config_name(*name)
            .send()
            .await;
        failures.check(
            &format!("{name} not created"),
            check_sdk(&result, not_found(&[])),
        );
    }

    // UpdateAppImageConfig checks the same members, and a refused update changes nothing.
    let before = describe(&client, "five-specs").await;
    for (name, configs, part) in refused.iter().take(5) {
        let mut body = configs.clone();
        body["AppImageConfigName"] = json!("five-specs");
        let answer = server.raw().call("UpdateAppImageConfig", &body).await;
        let outcome = check_raw_refused(&answer, "ValidationException", &[part]);
        failures.check(&format!("update with {name}"), outcome);
    }
    let after = describe(&client, "five-specs").await;
    failures.compare(
        "configurations after the refused updates",
        after.kernel_gateway_image_config(),
        before.kernel_gateway_image_config(),
    );
    failures.compare(
        "LastModifiedTime after the refused updates",
        after.last_modified_time(),
        before.last_modified_time(),
    );
    failures.assert_none();
}

#[tokio::test]
async fn members_the_model_does_not_define_are_dropped() {
    let server = Server::start();
    let answer = raw_create(
        &server,
        "extra",
        json!({
            "Unknown": "top",
            "KernelGatewayImageConfig": {
                "KernelSpecs": [{"Name": "k", "DisplayName": "K", "Colour": "red"}],
                "FileSystemConfig": {"MountPath": "/m", "DefaultUid": 1, "Junk": [1, 2]},
                "Bogus": {"deep": true}
            },
            "JupyterLabAppImageConfig": {
                "ContainerConfig": {"ContainerArguments": ["a"], "Extra": "x"},
                "Other": 1
            },
            "CodeEditorAppImageConfig": {"Nothing": "known"}
        }),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let described = server
        .raw()
        .call(
            "DescribeAppImageConfig",
            &json!({"AppImageConfigName": "extra"}),
        )
        .await;
    assert_eq!(described.status, 200, "{}", described.text);
    assert_eq!(
        described.body["KernelGatewayImageConfig"],
        json!({
            "KernelSpecs": [{"Name": "k", "DisplayName": "K"}],
            "FileSystemConfig": {"MountPath": "/m", "DefaultUid": 1}
        })
    );
    assert_eq!(
        described.body["JupyterLabAppImageConfig"],
        json!({"ContainerConfig": {"ContainerArguments": ["a"]}})
    );
    assert_eq!(described.body["CodeEditorAppImageConfig"], json!({}));
    assert!(
        described.body.get("Unknown").is_none(),
        "{}",
        described.text
    );

    // The same on update.
    let answer = server
        .raw()
        .call(
            "UpdateAppImageConfig",
            &json!({"AppImageConfigName": "extra",
                    "CodeEditorAppImageConfig": {"FileSystemConfig": {"MountPath": "/c", "Sneaky": 1}}}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let described = server
        .raw()
        .call(
            "DescribeAppImageConfig",
            &json!({"AppImageConfigName": "extra"}),
        )
        .await;
    assert_eq!(
        described.body["CodeEditorAppImageConfig"],
        json!({"FileSystemConfig": {"MountPath": "/c"}})
    );
}
