//! UpdateAppImageConfig replaces the configurations it names and keeps the others.

use std::time::Duration;

use aws_sdk_sagemaker::types::{
    ContainerConfig, JupyterLabAppImageConfig, KernelGatewayImageConfig, KernelSpec,
};

use super::{code_editor, config_arn, describe, jupyter_lab, kernel_gateway};
use crate::common::Server;

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
