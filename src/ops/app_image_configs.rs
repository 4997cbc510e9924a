//! CreateAppImageConfig, DescribeAppImageConfig, UpdateAppImageConfig, DeleteAppImageConfig,
//! ListAppImageConfigs.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::listing::{self, ListRequest, Listed};
use super::{parse, Service};
use crate::domain::app_image_config::{self, AppConfigs, AppImageConfigRecord};
use crate::domain::arn::app_image_config_arn;
use crate::domain::image::name_key;
use crate::domain::tags::{self, Tag};
use crate::domain::{now_millis, Millis, Scope};
use crate::model::MODEL;
use crate::protocol::{timestamp, ApiError};
use crate::store::{ListSort, Store};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameInput {
    app_image_config_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateInput {
    app_image_config_name: String,
    #[serde(default)]
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAppImageConfigsInput {
    creation_time_after: Option<f64>,
    creation_time_before: Option<f64>,
    modified_time_after: Option<f64>,
    modified_time_before: Option<f64>,
    max_results: Option<i64>,
    name_contains: Option<String>,
    next_token: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
}

/// The three configurations of a request, keeping only what the model defines for each.
fn configs_of(input: &Value) -> AppConfigs {
    let pick = |member: &str, shape: &str| input.get(member).map(|v| MODEL.prune(shape, v));
    AppConfigs {
        kernel_gateway: pick("KernelGatewayImageConfig", "KernelGatewayImageConfig"),
        jupyter_lab: pick("JupyterLabAppImageConfig", "JupyterLabAppImageConfig"),
        code_editor: pick("CodeEditorAppImageConfig", "CodeEditorAppImageConfig"),
    }
}

fn arn_output(scope: &Scope, name: &str) -> Value {
    json!({ "AppImageConfigArn": app_image_config_arn(scope, name) })
}

pub(super) fn details(scope: &Scope, record: &AppImageConfigRecord) -> Value {
    let mut out = match serde_json::to_value(&record.configs) {
        Ok(Value::Object(configs)) => configs,
        _ => Map::new(),
    };
    out.insert(
        "AppImageConfigArn".into(),
        app_image_config_arn(scope, &record.name).into(),
    );
    out.insert("AppImageConfigName".into(), record.name.clone().into());
    out.insert("CreationTime".into(), timestamp(record.created));
    out.insert("LastModifiedTime".into(), timestamp(record.modified));
    Value::Object(out)
}

pub async fn create<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: Value,
) -> Result<Value, ApiError> {
    let configs = configs_of(&input);
    let request: CreateInput = parse(input)?;
    tags::check_request(&request.tags)?;
    let output = arn_output(scope, &request.app_image_config_name);
    let (name, given_tags) = (request.app_image_config_name, request.tags);
    service
        .store
        .change_app_image_config(scope, &name_key(&name), move |current| {
            let now = now_millis();
            Ok::<_, ApiError>((
                app_image_config::create(current, &name, configs.clone(), given_tags.clone(), now)?,
                (),
            ))
        })
        .await?;
    Ok(output)
}

pub async fn describe<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: NameInput,
) -> Result<Value, ApiError> {
    match service
        .store
        .get_app_image_config(scope, &name_key(&input.app_image_config_name))
        .await?
    {
        Some(record) => Ok(details(scope, &record)),
        None => Err(app_image_config::not_found(&input.app_image_config_name).into()),
    }
}

pub async fn update<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: Value,
) -> Result<Value, ApiError> {
    let configs = configs_of(&input);
    let request: NameInput = parse(input)?;
    let name = request.app_image_config_name;
    let record = service
        .store
        .change_app_image_config(scope, &name_key(&name), move |current| {
            let now = now_millis();
            app_image_config::update(current, &name, &configs, now).map_err(ApiError::from)
        })
        .await?;
    Ok(arn_output(scope, &record.name))
}

pub async fn delete<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: NameInput,
) -> Result<Value, ApiError> {
    let name = input.app_image_config_name;
    service
        .store
        .change_app_image_config(scope, &name_key(&name), move |current| {
            Ok::<_, ApiError>((app_image_config::delete(current, &name)?, ()))
        })
        .await?;
    Ok(json!({}))
}

impl Listed for AppImageConfigRecord {
    fn created(&self) -> Millis {
        self.created
    }
    fn modified(&self) -> Millis {
        self.modified
    }
    fn key(&self) -> String {
        name_key(&self.name)
    }
    fn settled(&self, _now: Millis) -> bool {
        true
    }
}

pub async fn list<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: ListAppImageConfigsInput,
) -> Result<Value, ApiError> {
    let request = ListRequest {
        operation: "ListAppImageConfigs",
        // This operation spells its enums in mixed case (model: AppImageConfigSortKey, SortOrder).
        sort: match input.sort_by.as_deref() {
            None | Some("CreationTime") => ListSort::CreationTime,
            Some("LastModifiedTime") => ListSort::LastModifiedTime,
            _ => ListSort::Name,
        },
        descending: input.sort_order.as_deref() != Some("Ascending"),
        created_after: input.creation_time_after,
        created_before: input.creation_time_before,
        modified_after: input.modified_time_after,
        modified_before: input.modified_time_before,
        name_contains: input.name_contains.as_deref(),
        next_token: input.next_token.as_deref(),
        max_results: input.max_results,
    };
    let page = listing::page(service, scope, request, |query| async move {
        service.store.list_app_image_configs(scope, &query).await
    })
    .await?;
    let mut out = Map::new();
    out.insert(
        "AppImageConfigs".into(),
        Value::Array(page.items.iter().map(|r| details(scope, r)).collect()),
    );
    if let Some(token) = page.next_token {
        out.insert("NextToken".into(), token.into());
    }
    Ok(Value::Object(out))
}
