//! CreateAppImageConfig, DescribeAppImageConfig, UpdateAppImageConfig, DeleteAppImageConfig,
//! ListAppImageConfigs.

use serde_json::Value;

use super::listing::{self, ListRequest, Listed, TimeRange};
use super::Service;
use crate::domain::app_image_config::{self, AppConfigs, AppImageConfigRecord};
use crate::domain::arn::app_image_config_arn;
use crate::domain::image::name_key;
use crate::domain::tags;
use crate::domain::{now_millis, Millis, Scope};
use crate::model::{
    self, AppImageConfigDetails, AppImageConfigSortKey, CodeEditorAppImageConfig,
    CreateAppImageConfigRequest, CreateAppImageConfigResponse, DeleteAppImageConfigRequest,
    DescribeAppImageConfigRequest, DescribeAppImageConfigResponse, JupyterLabAppImageConfig,
    KernelGatewayImageConfig, ListAppImageConfigsRequest, ListAppImageConfigsResponse,
    OperationName, SortOrder, Timestamp, UpdateAppImageConfigRequest, UpdateAppImageConfigResponse,
};
use crate::protocol::ApiError;
use crate::store::{self, ListSort};

/// A configuration as the domain keeps it: the JSON of the model's type, which holds only the members
/// the model defines.
fn stored(config: Option<impl serde::Serialize>) -> Result<Option<Value>, ApiError> {
    config
        .map(|config| serde_json::to_value(config).map_err(|_| ApiError::internal()))
        .transpose()
}

/// The three configurations of a request.
fn configs_of(
    kernel_gateway: Option<KernelGatewayImageConfig>,
    jupyter_lab: Option<JupyterLabAppImageConfig>,
    code_editor: Option<CodeEditorAppImageConfig>,
) -> Result<AppConfigs, ApiError> {
    Ok(AppConfigs {
        kernel_gateway: stored(kernel_gateway)?,
        jupyter_lab: stored(jupyter_lab)?,
        code_editor: stored(code_editor)?,
    })
}

/// A stored configuration read back into the model's type. It was checked against the model when it was
/// written, so a failure is a damaged record.
fn read_back<T: model::Read>(config: &Option<Value>) -> Result<Option<T>, ApiError> {
    config
        .as_ref()
        .map(|value| {
            model::from_json(value).map_err(|error| {
                tracing::error!(%error, "a stored app image configuration does not read back");
                ApiError::internal()
            })
        })
        .transpose()
}

fn arn(scope: &Scope, name: &str) -> Option<String> {
    Some(app_image_config_arn(scope, name))
}

pub(super) fn details(
    scope: &Scope,
    record: &AppImageConfigRecord,
) -> Result<AppImageConfigDetails, ApiError> {
    Ok(AppImageConfigDetails {
        app_image_config_arn: arn(scope, &record.name),
        app_image_config_name: Some(record.name.clone()),
        code_editor_app_image_config: read_back(&record.configs.code_editor)?,
        creation_time: Some(Timestamp(record.created)),
        jupyter_lab_app_image_config: read_back(&record.configs.jupyter_lab)?,
        kernel_gateway_image_config: read_back(&record.configs.kernel_gateway)?,
        last_modified_time: Some(Timestamp(record.modified)),
    })
}

pub async fn create(
    service: &Service,
    scope: &Scope,
    input: CreateAppImageConfigRequest,
) -> Result<CreateAppImageConfigResponse, ApiError> {
    let configs = configs_of(
        input.kernel_gateway_image_config,
        input.jupyter_lab_app_image_config,
        input.code_editor_app_image_config,
    )?;
    let given_tags = super::tags::domain_tags(input.tags);
    tags::check_request(&given_tags)?;
    let output = CreateAppImageConfigResponse {
        app_image_config_arn: arn(scope, &input.app_image_config_name),
    };
    let name = input.app_image_config_name;
    service
        .store
        .change(
            scope,
            store::AppImageConfig(name_key(&name)),
            None,
            move |current, _| {
                let now = now_millis();
                Ok::<_, ApiError>((
                    app_image_config::create(
                        current.as_ref(),
                        &name,
                        configs.clone(),
                        given_tags.clone(),
                        now,
                    )?,
                    (),
                ))
            },
        )
        .await?;
    Ok(output)
}

pub async fn describe(
    service: &Service,
    scope: &Scope,
    input: DescribeAppImageConfigRequest,
) -> Result<DescribeAppImageConfigResponse, ApiError> {
    let record = service
        .store
        .get(
            scope,
            store::AppImageConfig(name_key(&input.app_image_config_name)),
        )
        .await?
        .ok_or_else(|| app_image_config::not_found(&input.app_image_config_name))?;
    let details = details(scope, &record)?;
    Ok(DescribeAppImageConfigResponse {
        app_image_config_arn: details.app_image_config_arn,
        app_image_config_name: details.app_image_config_name,
        code_editor_app_image_config: details.code_editor_app_image_config,
        creation_time: details.creation_time,
        jupyter_lab_app_image_config: details.jupyter_lab_app_image_config,
        kernel_gateway_image_config: details.kernel_gateway_image_config,
        last_modified_time: details.last_modified_time,
    })
}

pub async fn update(
    service: &Service,
    scope: &Scope,
    input: UpdateAppImageConfigRequest,
) -> Result<UpdateAppImageConfigResponse, ApiError> {
    let configs = configs_of(
        input.kernel_gateway_image_config,
        input.jupyter_lab_app_image_config,
        input.code_editor_app_image_config,
    )?;
    let name = input.app_image_config_name;
    let record = service
        .store
        .change(
            scope,
            store::AppImageConfig(name_key(&name)),
            None,
            move |current, _| {
                let now = now_millis();
                app_image_config::update(current.as_ref(), &name, &configs, now)
                    .map_err(ApiError::from)
            },
        )
        .await?;
    Ok(UpdateAppImageConfigResponse {
        app_image_config_arn: arn(scope, &record.name),
    })
}

pub async fn delete(
    service: &Service,
    scope: &Scope,
    input: DeleteAppImageConfigRequest,
) -> Result<(), ApiError> {
    let name = input.app_image_config_name;
    service
        .store
        .change(
            scope,
            store::AppImageConfig(name_key(&name)),
            None,
            move |current, _| {
                Ok::<_, ApiError>((app_image_config::delete(current.as_ref(), &name)?, ()))
            },
        )
        .await?;
    Ok(())
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

pub async fn list(
    service: &Service,
    scope: &Scope,
    input: ListAppImageConfigsRequest,
) -> Result<ListAppImageConfigsResponse, ApiError> {
    let request = ListRequest {
        operation: OperationName::ListAppImageConfigs,
        sort: match input.sort_by.unwrap_or(AppImageConfigSortKey::CreationTime) {
            AppImageConfigSortKey::CreationTime => ListSort::CreationTime,
            AppImageConfigSortKey::LastModifiedTime => ListSort::LastModifiedTime,
            AppImageConfigSortKey::Name => ListSort::Name,
        },
        descending: match input.sort_order.unwrap_or(SortOrder::Descending) {
            SortOrder::Ascending => false,
            SortOrder::Descending => true,
        },
        created: TimeRange::new(input.creation_time_after, input.creation_time_before),
        modified: TimeRange::new(input.modified_time_after, input.modified_time_before),
        name_contains: input.name_contains.as_deref(),
        next_token: input.next_token.as_deref(),
        max_results: input.max_results,
    };
    let page = listing::page(service, scope, &request, |query| async move {
        service.store.list_app_image_configs(scope, &query).await
    })
    .await?;
    Ok(ListAppImageConfigsResponse {
        app_image_configs: Some(
            page.items
                .iter()
                .map(|record| details(scope, record))
                .collect::<Result<_, _>>()?,
        ),
        next_token: page.next_token,
    })
}
