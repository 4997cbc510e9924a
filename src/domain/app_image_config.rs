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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::cases::Failures;

    fn record(configs: AppConfigs) -> AppImageConfigRecord {
        AppImageConfigRecord {
            name: "Cfg".into(),
            configs,
            created: 1,
            modified: 1,
        }
    }

    fn configs(kernel: Option<&str>, lab: Option<&str>, editor: Option<&str>) -> AppConfigs {
        let config = |name: Option<&str>| name.map(|n| json!({ "Name": n }));
        AppConfigs {
            kernel_gateway: config(kernel),
            jupyter_lab: config(lab),
            code_editor: config(editor),
        }
    }

    #[test]
    fn update_replaces_each_configuration_it_names() {
        let current = || record(configs(Some("k"), Some("j"), None));
        #[rustfmt::skip]
        let cases: [(&str, AppConfigs, AppConfigs); 4] = [
            ("none named keeps all", configs(None, None, None), configs(Some("k"), Some("j"), None)),
            ("one replaced", configs(Some("k2"), None, None), configs(Some("k2"), Some("j"), None)),
            ("one added", configs(None, None, Some("e")), configs(Some("k"), Some("j"), Some("e"))),
            ("all replaced", configs(Some("a"), Some("b"), Some("c")), configs(Some("a"), Some("b"), Some("c"))),
        ];
        let mut failures = Failures::default();
        for (name, given, expected) in cases {
            let seen = update(Some(&current()), "Cfg", &given, 5)
                .map(|(_, after)| (after.configs, after.created, after.modified));
            failures.check(name, seen, Ok((expected, 1, 5)));
        }
        failures.assert_none();
    }

    #[test]
    fn a_config_exists_once() {
        let existing = record(AppConfigs::default());
        let mut failures = Failures::default();
        let created =
            create(None, "Cfg", AppConfigs::default(), vec![], 7).map(|write| match write {
                AppImageConfigWrite::Create { record, .. } => {
                    Some((record.name, record.created, record.modified))
                }
                _ => None,
            });
        failures.check("created when free", created, Ok(Some(("Cfg".into(), 7, 7))));
        let taken = create(Some(&existing), "cfg", AppConfigs::default(), vec![], 7).map(|_| ());
        failures.check(
            "a name in use",
            taken,
            Err(Busy::AppImageConfigExists { name: "cfg".into() }.into()),
        );
        let missing = || Err(not_found("Cfg"));
        failures.check(
            "update of none",
            update(None, "Cfg", &AppConfigs::default(), 7).map(|_| ()),
            missing(),
        );
        failures.check("delete of none", delete(None, "Cfg").map(|_| ()), missing());
        let removed = delete(Some(&existing), "Cfg")
            .map(|write| matches!(write, AppImageConfigWrite::Remove));
        failures.check("delete removes", removed, Ok(true));
        failures.assert_none();
    }
}
