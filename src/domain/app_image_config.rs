//! App image configs: named settings for running an image as a KernelGateway, JupyterLab or CodeEditor
//! app. They have no lifecycle: they exist from CreateAppImageConfig until DeleteAppImageConfig.

use super::error::{Busy, DomainError, Missing};
use super::tags::Tag;
use super::Millis;

/// The three app configurations, each kept as the JSON the client sent (validated against the model and
/// pruned of members the model does not know).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AppConfigs {
    #[serde(
        rename = "KernelGatewayImageConfig",
        skip_serializing_if = "Option::is_none"
    )]
    pub kernel_gateway: Option<serde_json::Value>,
    #[serde(
        rename = "JupyterLabAppImageConfig",
        skip_serializing_if = "Option::is_none"
    )]
    pub jupyter_lab: Option<serde_json::Value>,
    #[serde(
        rename = "CodeEditorAppImageConfig",
        skip_serializing_if = "Option::is_none"
    )]
    pub code_editor: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppImageConfigRecord {
    pub name: String,
    pub configs: AppConfigs,
    pub created: Millis,
    pub modified: Millis,
}

#[derive(Debug, Clone)]
pub enum AppImageConfigWrite {
    Create {
        record: AppImageConfigRecord,
        tags: Vec<Tag>,
    },
    Update(AppImageConfigRecord),
    Remove,
}

pub fn not_found(name: &str) -> DomainError {
    Missing::AppImageConfig {
        name: name.to_owned(),
    }
    .into()
}

pub fn create(
    current: Option<&AppImageConfigRecord>,
    name: &str,
    configs: AppConfigs,
    tags: Vec<Tag>,
    now: Millis,
) -> Result<AppImageConfigWrite, DomainError> {
    if current.is_some() {
        return Err(Busy::AppImageConfigExists {
            name: name.to_owned(),
        }
        .into());
    }
    let record = AppImageConfigRecord {
        name: name.to_owned(),
        configs,
        created: now,
        modified: now,
    };
    Ok(AppImageConfigWrite::Create { record, tags })
}

/// UpdateAppImageConfig replaces each configuration it names and keeps the others.
pub fn update(
    current: Option<&AppImageConfigRecord>,
    name: &str,
    given: &AppConfigs,
    now: Millis,
) -> Result<(AppImageConfigWrite, AppImageConfigRecord), DomainError> {
    let Some(current) = current else {
        return Err(not_found(name));
    };
    let mut record = current.clone();
    if given.kernel_gateway.is_some() {
        record.configs.kernel_gateway = given.kernel_gateway.clone();
    }
    if given.jupyter_lab.is_some() {
        record.configs.jupyter_lab = given.jupyter_lab.clone();
    }
    if given.code_editor.is_some() {
        record.configs.code_editor = given.code_editor.clone();
    }
    record.modified = now;
    Ok((AppImageConfigWrite::Update(record.clone()), record))
}

pub fn delete(
    current: Option<&AppImageConfigRecord>,
    name: &str,
) -> Result<AppImageConfigWrite, DomainError> {
    match current {
        Some(_) => Ok(AppImageConfigWrite::Remove),
        None => Err(not_found(name)),
    }
}
