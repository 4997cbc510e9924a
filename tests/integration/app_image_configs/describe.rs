//! CreateAppImageConfig and DescribeAppImageConfig: what is stored and described, names in any letter case,
//! and what is not there.

use aws_sdk_sagemaker::primitives::DateTime;
use serde_json::json;

use super::{code_editor, config_arn, create_plain, describe, jupyter_lab, kernel_gateway};
use crate::common::cases::{assert_refused, check_sdk, not_found, Expected, Failures};
use crate::common::{message, strings, Server};

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
    let mut failures = Failures::default();
    for name in ["Cfg", "cfg", "CFG"] {
        let result = client
            .create_app_image_config()
            .app_image_config_name(name)
            .kernel_gateway_image_config(kernel_gateway())
            .send()
            .await;
        failures.check(
            name,
            check_sdk(&result, Expected::Refused("ResourceInUse", &[])),
        );
        if let Err(e) = &result {
            let exact = "The ID or Name specified is already in use.";
            failures.compare(&format!("{name}: message"), message(e).as_str(), exact);
        }
    }
    failures.assert_none();
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
    let mut failures = Failures::default();
    let describe_missing = client
        .describe_app_image_config()
        .app_image_config_name("nosuch");
    let outcome = check_sdk(
        &describe_missing.send().await,
        not_found(&["does not exist"]),
    );
    failures.check("DescribeAppImageConfig", outcome);
    let update_missing = client
        .update_app_image_config()
        .app_image_config_name("nosuch")
        .kernel_gateway_image_config(kernel_gateway());
    let outcome = check_sdk(&update_missing.send().await, not_found(&["does not exist"]));
    failures.check("UpdateAppImageConfig", outcome);
    let delete_missing = client
        .delete_app_image_config()
        .app_image_config_name("nosuch");
    let outcome = check_sdk(&delete_missing.send().await, not_found(&["does not exist"]));
    failures.check("DeleteAppImageConfig", outcome);
    failures.assert_none();
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
    let deleted = client
        .describe_app_image_config()
        .app_image_config_name("short-lived");
    assert_refused(
        deleted.send().await,
        "ResourceNotFound",
        &["does not exist"],
    );
    let deleted = client
        .delete_app_image_config()
        .app_image_config_name("short-lived");
    assert_refused(deleted.send().await, "ResourceNotFound", &[]);
    create_plain(&client, "short-lived").await;
}
