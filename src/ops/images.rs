//! CreateImage, DescribeImage, UpdateImage, DeleteImage, ListImages.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::listing::{self, ListRequest, Listed};
use super::{Answer, Origin, Service};
use crate::domain::arn::image_arn;
use crate::domain::image::{self, name_key, DeletableProperty, ImagePatch, ImageRecord, NewImage};
use crate::domain::lifecycle::{ForcedOutcome, ImageStatus, Observed};
use crate::domain::tags::{self, Tag};
use crate::domain::{now_millis, Millis, Scope};
use crate::protocol::{ApiError, Timestamp};
use crate::store::{ListSort, Store};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateImageInput {
    image_name: String,
    role_arn: String,
    display_name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageNameInput {
    image_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateImageInput {
    image_name: String,
    display_name: Option<String>,
    description: Option<String>,
    role_arn: Option<String>,
    #[serde(default)]
    delete_properties: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListImagesInput {
    creation_time_after: Option<f64>,
    creation_time_before: Option<f64>,
    last_modified_time_after: Option<f64>,
    last_modified_time_before: Option<f64>,
    max_results: Option<i64>,
    name_contains: Option<String>,
    next_token: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
}

/// DescribeImage's output, and each item of ListImages' `Images`; absent optional members are left out.
/// Members are in the model's (alphabetical) order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ImageOutput<'a> {
    creation_time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_reason: Option<&'a str>,
    image_arn: String,
    image_name: &'a str,
    image_status: &'static str,
    last_modified_time: Timestamp,
    /// DescribeImage's only; ListImages' items have no role.
    #[serde(skip_serializing_if = "Option::is_none")]
    role_arn: Option<&'a str>,
}

impl<'a> ImageOutput<'a> {
    /// DescribeImage's answer: an item of ListImages' with the role.
    pub(super) fn described(scope: &Scope, record: &'a ImageRecord, status: ImageStatus) -> Self {
        ImageOutput {
            role_arn: Some(&record.role_arn),
            ..ImageOutput::new(scope, record, status)
        }
    }

    fn new(scope: &Scope, record: &'a ImageRecord, status: ImageStatus) -> Self {
        ImageOutput {
            creation_time: Timestamp(record.created),
            description: record.description.as_deref(),
            display_name: record.display_name.as_deref(),
            // A transition that is to fail carries its reason before it ends; show it once it has.
            failure_reason: record
                .failure_reason
                .as_deref()
                .filter(|_| status.is_failed()),
            image_arn: image_arn(scope, &record.name),
            image_name: &record.name,
            image_status: status.as_str(),
            last_modified_time: Timestamp(record.modified),
            role_arn: None,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListImagesOutput<'a> {
    images: Vec<ImageOutput<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImageArnOutput {
    image_arn: String,
}

pub async fn create<S: Store>(
    service: &Service<S>,
    origin: Origin,
    scope: &Scope,
    input: CreateImageInput,
) -> Result<Answer, ApiError> {
    tags::check_request(&input.tags)?;
    let output = ImageArnOutput {
        image_arn: image_arn(scope, &input.image_name),
    };
    let new = NewImage {
        name: input.image_name,
        display_name: input.display_name,
        description: input.description,
        role_arn: input.role_arn,
        tags: input.tags,
    };
    const OPERATION: &str = "CreateImage";
    let delay = service.delay(origin, OPERATION);
    let key = name_key(&new.name);
    service
        .store
        .change_image(
            scope,
            &key,
            origin.outcome_of(OPERATION),
            move |current, forced| {
                let transition = ForcedOutcome::transition(forced, delay);
                Ok::<_, ApiError>((image::create(current, &new, now_millis(), &transition)?, ()))
            },
        )
        .await?;
    Answer::json(&output)
}

pub async fn describe<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: ImageNameInput,
) -> Result<Answer, ApiError> {
    let key = name_key(&input.image_name);
    // Taken before the read, so that a change committed during it makes the answer unusable later.
    let generation = service.store.change_generation();
    let cache_key = generation.map(|_| format!("{}/{}/{key}", scope.account_id, scope.region));
    if let (Some(generation), Some(cache_key)) = (generation, &cache_key) {
        if let Some(answer) = service.descriptions.get(cache_key, generation) {
            return Ok(answer);
        }
    }
    let record = service.store.get_image(scope, &key).await?;
    let now = now_millis();
    let status = image::present(record.as_ref(), &input.image_name, now)?;
    let Some(record) = record else {
        return Err(image::not_found(&input.image_name).into());
    };
    let answer = Answer::json(&ImageOutput::described(scope, &record, status))?;
    if let (true, Some(generation), Some(cache_key)) =
        (record.lifecycle.settled_at(now), generation, cache_key)
    {
        service.descriptions.put(cache_key, generation, &answer);
    }
    Ok(answer)
}

pub async fn update<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: UpdateImageInput,
) -> Result<Answer, ApiError> {
    let delete = input
        .delete_properties
        .iter()
        .map(|p| match p.as_str() {
            "DisplayName" => Ok(DeletableProperty::DisplayName),
            "Description" => Ok(DeletableProperty::Description),
            // The model's pattern admits only these two; anything else was refused by validation.
            other => Err(ApiError::Validation(format!(
                "Property '{other}' cannot be deleted."
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let patch = ImagePatch {
        display_name: input.display_name,
        description: input.description,
        role_arn: input.role_arn,
        delete,
    };
    patch.check()?;
    const OPERATION: &str = "UpdateImage";
    let (delay, name) = (service.delay(Origin::Api, OPERATION), input.image_name);
    let record = service
        .store
        .change_image(
            scope,
            &name_key(&name),
            Some(OPERATION),
            move |current, forced| {
                let transition = ForcedOutcome::transition(forced, delay);
                image::update(current, &name, &patch, now_millis(), &transition)
                    .map_err(ApiError::from)
            },
        )
        .await?;
    Answer::json(&ImageArnOutput {
        image_arn: image_arn(scope, &record.name),
    })
}

pub async fn delete<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: ImageNameInput,
) -> Result<Value, ApiError> {
    const OPERATION: &str = "DeleteImage";
    let (delay, name) = (service.delay(Origin::Api, OPERATION), input.image_name);
    service
        .store
        .change_image(
            scope,
            &name_key(&name),
            Some(OPERATION),
            move |current, forced| {
                let transition = ForcedOutcome::transition(forced, delay);
                Ok::<_, ApiError>((
                    image::delete(current, &name, now_millis(), &transition)?,
                    (),
                ))
            },
        )
        .await?;
    Ok(json!({}))
}

/// Ends the held transitions of an image and of its versions now (the control plane's release). Returns
/// how many were held.
pub async fn release<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    image_name: &str,
) -> Result<usize, ApiError> {
    let key = name_key(image_name);
    let name = image_name.to_owned();
    let image_held = service
        .store
        .change_image(scope, &key, None, move |current, _| {
            image::release(current, &name, now_millis()).map_err(ApiError::from)
        })
        .await?;
    let name = image_name.to_owned();
    let versions_held = service
        .store
        .change_versions(scope, &key, None, move |current, _| {
            crate::domain::version::release(current, &name, now_millis()).map_err(ApiError::from)
        })
        .await?;
    Ok(usize::from(image_held) + versions_held)
}

impl Listed for ImageRecord {
    fn created(&self) -> Millis {
        self.created
    }
    fn modified(&self) -> Millis {
        self.modified
    }
    fn key(&self) -> String {
        name_key(&self.name)
    }
    fn settled(&self, now: Millis) -> bool {
        self.lifecycle.settled_at(now)
    }
}

pub async fn list<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: ListImagesInput,
) -> Result<Answer, ApiError> {
    // Taken before the read, so that a change committed during it makes the answer unusable later.
    let generation = service.store.change_generation();
    let cache_key = generation.map(|_| {
        format!(
            "ListImages/{}/{}/{:?}/{:?}/{:?}/{:?}/{:?}/{:?}/{:?}/{:?}/{:?}",
            scope.account_id,
            scope.region,
            input.creation_time_after,
            input.creation_time_before,
            input.last_modified_time_after,
            input.last_modified_time_before,
            input.max_results,
            input.name_contains,
            input.next_token,
            input.sort_by,
            input.sort_order
        )
    });
    if let (Some(generation), Some(key)) = (generation, &cache_key) {
        if let Some(answer) = service.pages.get(key, generation) {
            return Ok(answer);
        }
    }
    let request = ListRequest {
        operation: "ListImages",
        sort: match input.sort_by.as_deref() {
            None | Some("CREATION_TIME") => ListSort::CreationTime,
            Some("LAST_MODIFIED_TIME") => ListSort::LastModifiedTime,
            _ => ListSort::Name,
        },
        descending: input.sort_order.as_deref() != Some("ASCENDING"),
        created_after: input.creation_time_after,
        created_before: input.creation_time_before,
        modified_after: input.last_modified_time_after,
        modified_before: input.last_modified_time_before,
        name_contains: input.name_contains.as_deref(),
        next_token: input.next_token.as_deref(),
        max_results: input.max_results,
    };
    let page = listing::page(service, scope, request, |query| async move {
        service.store.list_images(scope, &query).await
    })
    .await?;
    let images = page
        .items
        .iter()
        .filter_map(|record| match record.observe(page.now) {
            Observed::Present(status) => Some(ImageOutput::new(scope, record, status)),
            Observed::Gone => None,
        })
        .collect();
    let answer = Answer::json(&ListImagesOutput {
        images,
        next_token: page.next_token,
    })?;
    if let (true, Some(generation), Some(key)) = (page.settled, generation, cache_key) {
        service.pages.put(key, generation, &answer);
    }
    Ok(answer)
}
