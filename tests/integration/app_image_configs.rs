//! App image configs: what Create stores and Describe returns, name uniqueness, Update's replacement of the
//! configurations it names, the model's nested constraints, ListAppImageConfigs' sorts, filters and pages, and
//! tags on their ARNs.

use std::time::Duration;

use aws_sdk_sagemaker::operation::describe_app_image_config::DescribeAppImageConfigOutput;
use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{
    AppImageConfigSortKey, CodeEditorAppImageConfig, ContainerConfig, FileSystemConfig,
    JupyterLabAppImageConfig, KernelGatewayImageConfig, KernelSpec, SortOrder,
};
use aws_sdk_sagemaker::Client;
use serde_json::{json, Value};

use crate::common::raw::RawResponse;
use crate::common::{
    code, list_tags, message, pairs, pause, strings, tag, tamper, Server, ACCOUNT, REGION,
};

fn config_arn(name: &str) -> String {
    format!(
        "arn:aws:sagemaker:{REGION}:{ACCOUNT}:app-image-config/{}",
        name.to_ascii_lowercase()
    )
}

fn kernel_gateway() -> KernelGatewayImageConfig {
    KernelGatewayImageConfig::builder()
        .kernel_specs(
            KernelSpec::builder()
                .name("python3")
                .display_name("Python 3 (ipykernel)")
                .build(),
        )
        .kernel_specs(KernelSpec::builder().name("ir").build())
        .file_system_config(
            FileSystemConfig::builder()
                .mount_path("/home/sagemaker-user")
                .default_uid(1000)
                .default_gid(100)
                .build(),
        )
        .build()
}

fn jupyter_lab() -> JupyterLabAppImageConfig {
    JupyterLabAppImageConfig::builder()
        .container_config(
            ContainerConfig::builder()
                .container_arguments("--ServerApp.port=8888")
                .container_arguments("--no-browser")
                .container_entrypoint("jupyter-lab")
                .container_environment_variables("MODE", "lab")
                .container_environment_variables("EMPTY", "")
                .build(),
        )
        .file_system_config(
            FileSystemConfig::builder()
                .mount_path("/home/jovyan")
                .default_uid(0)
                .default_gid(0)
                .build(),
        )
        .build()
}

fn code_editor() -> CodeEditorAppImageConfig {
    CodeEditorAppImageConfig::builder()
        .container_config(
            ContainerConfig::builder()
                .container_entrypoint("code-editor")
                .container_arguments("--host=0.0.0.0")
                .build(),
        )
        .file_system_config(
            FileSystemConfig::builder()
                .mount_path("/home/coder")
                .build(),
        )
        .build()
}

async fn describe(client: &Client, name: &str) -> DescribeAppImageConfigOutput {
    client
        .describe_app_image_config()
        .app_image_config_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("describe {name}: {e:?}"))
}

async fn create_plain(client: &Client, name: &str) {
    client
        .create_app_image_config()
        .app_image_config_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
}

#[tokio::test]
async fn describe_returns_exactly_the_configs_created() {
    let server = Server::start();
    let client = server.client();
    let before = DateTime::from_secs(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            - 1,
    );
    let created = client
        .create_app_image_config()
        .app_image_config_name("MyConfig")
        .kernel_gateway_image_config(kernel_gateway())
        .jupyter_lab_app_image_config(jupyter_lab())
        .code_editor_app_image_config(code_editor())
        .send()
        .await
        .expect("create");
    assert_eq!(
        created.app_image_config_arn(),
        Some("arn:aws:sagemaker:us-east-1:000000000000:app-image-config/myconfig")
    );

    let described = describe(&client, "MyConfig").await;
    assert_eq!(described.app_image_config_name(), Some("MyConfig"));
    assert_eq!(
        described.app_image_config_arn(),
        Some(config_arn("MyConfig").as_str())
    );
    assert_eq!(
        described.kernel_gateway_image_config(),
        Some(&kernel_gateway())
    );
    assert_eq!(
        described.jupyter_lab_app_image_config(),
        Some(&jupyter_lab())
    );
    assert_eq!(
        described.code_editor_app_image_config(),
        Some(&code_editor())
    );
    // Spelled out, in case the SDK's equality ever hides a difference.
    let kg = described.kernel_gateway_image_config().unwrap();
    assert_eq!(kg.kernel_specs().len(), 2);
    assert_eq!(kg.kernel_specs()[0].name(), Some("python3"));
    assert_eq!(
        kg.kernel_specs()[0].display_name(),
        Some("Python 3 (ipykernel)")
    );
    assert_eq!(kg.kernel_specs()[1].name(), Some("ir"));
    assert_eq!(kg.kernel_specs()[1].display_name(), None);
    let fs = kg.file_system_config().unwrap();
    assert_eq!(fs.mount_path(), Some("/home/sagemaker-user"));
    assert_eq!(
        (fs.default_uid(), fs.default_gid()),
        (Some(1000), Some(100))
    );
    let container = described
        .jupyter_lab_app_image_config()
        .unwrap()
        .container_config()
        .unwrap();
    assert_eq!(
        container.container_arguments(),
        strings(&["--ServerApp.port=8888", "--no-browser"])
    );
    assert_eq!(container.container_entrypoint(), strings(&["jupyter-lab"]));
    let env = container.container_environment_variables().unwrap();
    assert_eq!(env.len(), 2);
    assert_eq!(env.get("MODE").map(String::as_str), Some("lab"));
    assert_eq!(env.get("EMPTY").map(String::as_str), Some(""));

    let creation = *described.creation_time().expect("CreationTime");
    assert_eq!(described.last_modified_time(), Some(&creation));
    assert!(creation >= before, "{creation:?} is before {before:?}");
    assert!(creation.secs() < before.secs() + 60);

    // Names are found in any letter case; the name keeps its case.
    let other_case = describe(&client, "MYCONFIG").await;
    assert_eq!(other_case.app_image_config_name(), Some("MyConfig"));

    // A config with only some configurations describes only those.
    client
        .create_app_image_config()
        .app_image_config_name("kg-only")
        .kernel_gateway_image_config(kernel_gateway())
        .send()
        .await
        .expect("create kg-only");
    let described = describe(&client, "kg-only").await;
    assert_eq!(
        described.kernel_gateway_image_config(),
        Some(&kernel_gateway())
    );
    assert_eq!(described.jupyter_lab_app_image_config(), None);
    assert_eq!(described.code_editor_app_image_config(), None);
    create_plain(&client, "bare").await;
    let raw = server
        .raw()
        .call(
            "DescribeAppImageConfig",
            &json!({"AppImageConfigName": "bare"}),
        )
        .await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    let mut members: Vec<&str> = raw
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort();
    assert_eq!(
        members,
        vec![
            "AppImageConfigArn",
            "AppImageConfigName",
            "CreationTime",
            "LastModifiedTime"
        ]
    );
}

#[tokio::test]
async fn a_name_is_in_use_in_any_letter_case() {
    let server = Server::start();
    let client = server.client();
    create_plain(&client, "Cfg").await;
    for name in ["Cfg", "cfg", "CFG"] {
        let e = client
            .create_app_image_config()
            .app_image_config_name(name)
            .kernel_gateway_image_config(kernel_gateway())
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ResourceInUse", "{name}: {e:?}");
        assert_eq!(message(&e), "The ID or Name specified is already in use.");
    }
    let described = describe(&client, "cfg").await;
    assert_eq!(described.app_image_config_name(), Some("Cfg"));
    assert_eq!(
        described.kernel_gateway_image_config(),
        None,
        "the refused create changed nothing"
    );
}

#[tokio::test]
async fn a_missing_config_is_not_found() {
    let server = Server::start();
    let client = server.client();
    let e = client
        .describe_app_image_config()
        .app_image_config_name("nosuch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(message(&e).contains("does not exist"), "{e:?}");
    let e = client
        .update_app_image_config()
        .app_image_config_name("nosuch")
        .kernel_gateway_image_config(kernel_gateway())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(message(&e).contains("does not exist"), "{e:?}");
    let e = client
        .delete_app_image_config()
        .app_image_config_name("nosuch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(message(&e).contains("does not exist"), "{e:?}");
    assert!(client
        .list_app_image_configs()
        .send()
        .await
        .expect("list")
        .app_image_configs()
        .is_empty());

    // Deleted is missing too, and the name is free again.
    create_plain(&client, "short-lived").await;
    client
        .delete_app_image_config()
        .app_image_config_name("SHORT-LIVED")
        .send()
        .await
        .expect("delete in another case");
    let e = client
        .describe_app_image_config()
        .app_image_config_name("short-lived")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    assert!(message(&e).contains("does not exist"), "{e:?}");
    let e = client
        .delete_app_image_config()
        .app_image_config_name("short-lived")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
    create_plain(&client, "short-lived").await;
}

#[tokio::test]
async fn update_replaces_the_configs_it_names_and_keeps_the_others() {
    let server = Server::start();
    let client = server.client();
    client
        .create_app_image_config()
        .app_image_config_name("upd")
        .kernel_gateway_image_config(kernel_gateway())
        .jupyter_lab_app_image_config(jupyter_lab())
        .send()
        .await
        .expect("create");
    let first = describe(&client, "upd").await;

    tokio::time::sleep(Duration::from_millis(20)).await;
    let new_lab = JupyterLabAppImageConfig::builder()
        .container_config(
            ContainerConfig::builder()
                .container_arguments("--debug")
                .build(),
        )
        .build();
    let answer = client
        .update_app_image_config()
        .app_image_config_name("UPD")
        .jupyter_lab_app_image_config(new_lab.clone())
        .send()
        .await
        .expect("update lab");
    assert_eq!(
        answer.app_image_config_arn(),
        Some(config_arn("upd").as_str())
    );
    let second = describe(&client, "upd").await;
    assert_eq!(
        second.kernel_gateway_image_config(),
        Some(&kernel_gateway()),
        "kept"
    );
    assert_eq!(
        second.jupyter_lab_app_image_config(),
        Some(&new_lab),
        "replaced as a whole, not merged"
    );
    assert_eq!(second.code_editor_app_image_config(), None);
    assert_eq!(second.creation_time(), first.creation_time());
    assert!(
        second.last_modified_time() > first.last_modified_time(),
        "{:?} then {:?}",
        first.last_modified_time(),
        second.last_modified_time()
    );

    tokio::time::sleep(Duration::from_millis(20)).await;
    let smaller_kernel = KernelGatewayImageConfig::builder()
        .kernel_specs(KernelSpec::builder().name("only").build())
        .build();
    client
        .update_app_image_config()
        .app_image_config_name("upd")
        .kernel_gateway_image_config(smaller_kernel.clone())
        .code_editor_app_image_config(code_editor())
        .send()
        .await
        .expect("update kernel and editor");
    let third = describe(&client, "upd").await;
    assert_eq!(third.kernel_gateway_image_config(), Some(&smaller_kernel));
    assert_eq!(
        third
            .kernel_gateway_image_config()
            .unwrap()
            .file_system_config(),
        None,
        "the old FileSystemConfig went with the replaced configuration"
    );
    assert_eq!(third.jupyter_lab_app_image_config(), Some(&new_lab));
    assert_eq!(third.code_editor_app_image_config(), Some(&code_editor()));
    assert_eq!(third.creation_time(), first.creation_time());
    assert!(third.last_modified_time() > second.last_modified_time());

    // An update naming nothing changes no configuration.
    client
        .update_app_image_config()
        .app_image_config_name("upd")
        .send()
        .await
        .expect("empty update");
    let fourth = describe(&client, "upd").await;
    assert_eq!(fourth.kernel_gateway_image_config(), Some(&smaller_kernel));
    assert_eq!(fourth.jupyter_lab_app_image_config(), Some(&new_lab));
    assert_eq!(fourth.code_editor_app_image_config(), Some(&code_editor()));
}

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
    for (name, configs, part) in &refused {
        let answer = raw_create(&server, name, configs.clone()).await;
        assert_eq!(answer.status, 400, "{name}: {}", answer.text);
        assert_eq!(
            answer.error_type(),
            "ValidationException",
            "{name}: {}",
            answer.text
        );
        assert!(
            answer.message().contains(part),
            "{name}: expected {part:?} in {:?}",
            answer.message()
        );
    }
    // A value of the wrong type is not a validation error but unreadable.
    let answer = raw_create(
        &server,
        "uid-text",
        file_system(json!({"DefaultUid": "1000"})),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(
        answer.error_type(),
        "SerializationException",
        "{}",
        answer.text
    );

    // Names: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}.
    for name in [
        "a_b".to_owned(),
        "n".repeat(64),
        "-a".to_owned(),
        "a-".to_owned(),
        String::new(),
    ] {
        let answer = raw_create(&server, &name, json!({})).await;
        assert_eq!(answer.status, 400, "{name:?}: {}", answer.text);
        assert_eq!(
            answer.error_type(),
            "ValidationException",
            "{name:?}: {}",
            answer.text
        );
        assert!(
            answer.message().contains("'appImageConfigName'"),
            "{}",
            answer.text
        );
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
        assert_eq!(answer.status, 200, "{name}: {}", answer.text);
    }
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
    let names: Vec<String> = listed
        .app_image_configs()
        .iter()
        .map(|c| c.app_image_config_name().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, expected);
    for (name, _, _) in &refused {
        let e = client
            .describe_app_image_config()
            .app_image_config_name(*name)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "ResourceNotFound", "{name}: {e:?}");
    }

    // UpdateAppImageConfig checks the same members, and a refused update changes nothing.
    let before = describe(&client, "five-specs").await;
    for (name, configs, part) in refused.iter().take(5) {
        let mut body = configs.clone();
        body["AppImageConfigName"] = json!("five-specs");
        let answer = server.raw().call("UpdateAppImageConfig", &body).await;
        assert_eq!(answer.status, 400, "{name}: {}", answer.text);
        assert_eq!(
            answer.error_type(),
            "ValidationException",
            "{name}: {}",
            answer.text
        );
        assert!(answer.message().contains(part), "{name}: {}", answer.text);
    }
    let after = describe(&client, "five-specs").await;
    assert_eq!(
        after.kernel_gateway_image_config(),
        before.kernel_gateway_image_config()
    );
    assert_eq!(after.last_modified_time(), before.last_modified_time());
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

fn names_of(configs: &[aws_sdk_sagemaker::types::AppImageConfigDetails]) -> Vec<String> {
    configs
        .iter()
        .map(|c| c.app_image_config_name().unwrap_or_default().to_owned())
        .collect()
}

async fn listed(
    client: &Client,
    sort_by: Option<AppImageConfigSortKey>,
    order: Option<SortOrder>,
) -> Vec<String> {
    names_of(
        client
            .list_app_image_configs()
            .set_sort_by(sort_by)
            .set_sort_order(order)
            .send()
            .await
            .expect("list")
            .app_image_configs(),
    )
}

#[tokio::test]
async fn list_app_image_configs_sorts_filters_and_pages() {
    let server = Server::start();
    let client = server.client();
    // Creation order differs from name order.
    for name in ["cfg-c", "cfg-a", "cfg-d", "cfg-b", "other-x"] {
        client
            .create_app_image_config()
            .app_image_config_name(name)
            .kernel_gateway_image_config(kernel_gateway())
            .send()
            .await
            .expect("create");
        pause().await;
    }
    // Modification order differs from both.
    for name in ["cfg-a", "cfg-c"] {
        client
            .update_app_image_config()
            .app_image_config_name(name)
            .jupyter_lab_app_image_config(jupyter_lab())
            .send()
            .await
            .expect("touch");
        pause().await;
    }

    let by_creation = strings(&["cfg-c", "cfg-a", "cfg-d", "cfg-b", "other-x"]);
    let by_creation_down: Vec<String> = by_creation.iter().rev().cloned().collect();
    let by_name = strings(&["cfg-a", "cfg-b", "cfg-c", "cfg-d", "other-x"]);
    let by_name_down: Vec<String> = by_name.iter().rev().cloned().collect();
    let by_modified = strings(&["cfg-d", "cfg-b", "other-x", "cfg-a", "cfg-c"]);
    let by_modified_down: Vec<String> = by_modified.iter().rev().cloned().collect();

    let default = client.list_app_image_configs().send().await.expect("list");
    assert_eq!(names_of(default.app_image_configs()), by_creation_down);
    assert_eq!(default.next_token(), None);
    let item = &default.app_image_configs()[0];
    assert_eq!(
        item.app_image_config_arn(),
        Some(config_arn("other-x").as_str())
    );
    assert_eq!(item.kernel_gateway_image_config(), Some(&kernel_gateway()));
    assert!(item.creation_time().is_some() && item.last_modified_time().is_some());
    let touched = default
        .app_image_configs()
        .iter()
        .find(|c| c.app_image_config_name() == Some("cfg-a"))
        .unwrap();
    assert_eq!(touched.jupyter_lab_app_image_config(), Some(&jupyter_lab()));

    use AppImageConfigSortKey as By;
    for (sort_by, order, expected) in [
        (Some(By::Name), Some(SortOrder::Ascending), &by_name),
        (Some(By::Name), Some(SortOrder::Descending), &by_name_down),
        (Some(By::Name), None, &by_name_down),
        (
            Some(By::CreationTime),
            Some(SortOrder::Ascending),
            &by_creation,
        ),
        (
            Some(By::CreationTime),
            Some(SortOrder::Descending),
            &by_creation_down,
        ),
        (None, Some(SortOrder::Ascending), &by_creation),
        (
            Some(By::LastModifiedTime),
            Some(SortOrder::Ascending),
            &by_modified,
        ),
        (
            Some(By::LastModifiedTime),
            Some(SortOrder::Descending),
            &by_modified_down,
        ),
    ] {
        assert_eq!(
            &listed(&client, sort_by.clone(), order.clone()).await,
            expected,
            "{sort_by:?} {order:?}"
        );
    }

    // The enums are spelled in mixed case; other spellings are refused.
    for (body, allowed) in [
        (
            json!({"SortBy": "NAME"}),
            "[CreationTime, LastModifiedTime, Name]",
        ),
        (
            json!({"SortBy": "CREATION_TIME"}),
            "[CreationTime, LastModifiedTime, Name]",
        ),
        (json!({"SortOrder": "ASCENDING"}), "[Ascending, Descending]"),
    ] {
        let answer = server.raw().call("ListAppImageConfigs", &body).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.text);
        assert_eq!(
            answer.error_type(),
            "ValidationException",
            "{}",
            answer.text
        );
        assert!(
            answer
                .message()
                .contains(&format!("Member must satisfy enum value set: {allowed}")),
            "{body}: {}",
            answer.text
        );
        assert!(answer.body.get("AppImageConfigs").is_none());
    }
    let answer = server
        .raw()
        .call(
            "ListAppImageConfigs",
            &json!({"SortBy": "Name", "SortOrder": "Ascending"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);

    // NameContains.
    let found = client
        .list_app_image_configs()
        .name_contains("cfg")
        .sort_by(By::Name)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .expect("name contains");
    assert_eq!(
        names_of(found.app_image_configs()),
        strings(&["cfg-a", "cfg-b", "cfg-c", "cfg-d"])
    );
    let found = client
        .list_app_image_configs()
        .name_contains("x")
        .send()
        .await
        .expect("name contains x");
    assert_eq!(names_of(found.app_image_configs()), strings(&["other-x"]));
    let found = client
        .list_app_image_configs()
        .name_contains("zzz")
        .send()
        .await
        .expect("name contains nothing");
    assert!(found.app_image_configs().is_empty());

    // Time filters, inclusive.
    let all = client
        .list_app_image_configs()
        .sort_by(By::Name)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .expect("list");
    let find = |name: &str| {
        all.app_image_configs()
            .iter()
            .find(|c| c.app_image_config_name() == Some(name))
            .unwrap_or_else(|| panic!("{name} listed"))
            .clone()
    };
    let created = |name: &str| *find(name).creation_time().unwrap();
    let modified = |name: &str| *find(name).last_modified_time().unwrap();
    let filtered = client
        .list_app_image_configs()
        .creation_time_after(created("cfg-a"))
        .creation_time_before(created("cfg-b"))
        .sort_by(By::CreationTime)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .expect("creation filter");
    assert_eq!(
        names_of(filtered.app_image_configs()),
        strings(&["cfg-a", "cfg-d", "cfg-b"])
    );
    let filtered = client
        .list_app_image_configs()
        .modified_time_after(modified("cfg-a"))
        .sort_by(By::LastModifiedTime)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .expect("modified-after filter");
    assert_eq!(
        names_of(filtered.app_image_configs()),
        strings(&["cfg-a", "cfg-c"])
    );
    let filtered = client
        .list_app_image_configs()
        .modified_time_before(modified("cfg-b"))
        .sort_by(By::Name)
        .sort_order(SortOrder::Ascending)
        .send()
        .await
        .expect("modified-before filter");
    assert_eq!(
        names_of(filtered.app_image_configs()),
        strings(&["cfg-b", "cfg-d"])
    );

    // One per page: each config once, in order.
    let (mut seen, mut pages, mut token) = (Vec::new(), 0, None::<String>);
    loop {
        let page = client
            .list_app_image_configs()
            .sort_by(By::Name)
            .sort_order(SortOrder::Ascending)
            .max_results(1)
            .set_next_token(token.take())
            .send()
            .await
            .expect("page");
        pages += 1;
        assert!(page.app_image_configs().len() <= 1);
        seen.extend(names_of(page.app_image_configs()));
        match page.next_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 20, "paging does not end");
    }
    assert_eq!(seen, by_name);
    assert_eq!(pages, 5);

    let page = client
        .list_app_image_configs()
        .max_results(1)
        .send()
        .await
        .expect("first page");
    let good = page.next_token().expect("token").to_owned();
    let e = client
        .list_app_image_configs()
        .max_results(1)
        .next_token(tamper(&good))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException", "{e:?}");
    let e = client
        .list_app_image_configs()
        .max_results(1)
        .name_contains("cfg")
        .next_token(&good)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e),
        "ValidationException",
        "a token is bound to its filters: {e:?}"
    );
    let second = client
        .list_app_image_configs()
        .max_results(1)
        .next_token(&good)
        .send()
        .await
        .expect("the untouched token still works");
    assert_eq!(names_of(second.app_image_configs()), strings(&["cfg-b"]));

    let collected = client
        .list_app_image_configs()
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate");
    assert_eq!(names_of(&collected), by_creation_down);
}

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
    let e = client
        .list_tags()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert!(message(&e).contains("does not exist"), "{e:?}");
    let e = client
        .add_tags()
        .resource_arn(&arn)
        .tags(tag("a", "b"))
        .send()
        .await
        .unwrap_err();
    assert!(message(&e).contains("does not exist"), "{e:?}");

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
    let e = client
        .describe_app_image_config()
        .app_image_config_name("bad-tags")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound", "{e:?}");
}
