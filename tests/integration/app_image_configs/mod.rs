//! App image configs, a module per behaviour: what Create stores and Describe returns and name uniqueness
//! (`describe`), Update's replacement of the configurations it names (`update`), the model's nested
//! constraints (`validation`), ListAppImageConfigs (`list`), and tags on their ARNs (`tags`).

mod describe;
mod list;
mod tags;
mod update;
mod validation;

use aws_sdk_sagemaker::operation::describe_app_image_config::DescribeAppImageConfigOutput;
use aws_sdk_sagemaker::types::{
    AppImageConfigDetails, CodeEditorAppImageConfig, ContainerConfig, FileSystemConfig,
    JupyterLabAppImageConfig, KernelGatewayImageConfig, KernelSpec,
};
use aws_sdk_sagemaker::Client;

use crate::common::{ACCOUNT, REGION};

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

fn names_of(configs: &[AppImageConfigDetails]) -> Vec<String> {
    configs
        .iter()
        .map(|c| c.app_image_config_name().unwrap_or_default().to_owned())
        .collect()
}
