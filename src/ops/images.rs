//! CreateImage, DescribeImage, UpdateImage, DeleteImage, ListImages.

use super::listing::{self, ListRequest, Listed};
use super::{Origin, SerializedOutput, Service};
use crate::domain::arn::image_arn;
use crate::domain::image::{self, name_key, ImagePatch, ImageRecord, NewImage};
use crate::domain::lifecycle::{self, ForcedOutcome, Observed};
use crate::domain::selectors::DeletableProperty;
use crate::domain::tags;
use crate::domain::{now_millis, Millis, Scope};
use crate::model::{
    CreateImageRequest, CreateImageResponse, DeleteImageRequest, DeleteImageResponse,
    DescribeImageRequest, DescribeImageResponse, Image, ImageDeleteProperty, ImageSortBy,
    ImageSortOrder, ImageStatus, ListImagesRequest, ListImagesResponse, OperationName, Timestamp,
    UpdateImageRequest, UpdateImageResponse,
};
use crate::protocol::ApiError;
use crate::store::{self, ListSort};

/// The model's spelling of a status the domain decided.
pub(super) fn image_status(status: lifecycle::Status) -> ImageStatus {
    match status {
        lifecycle::Status::Creating => ImageStatus::Creating,
        lifecycle::Status::Created => ImageStatus::Created,
        lifecycle::Status::CreateFailed => ImageStatus::CreateFailed,
        lifecycle::Status::Updating => ImageStatus::Updating,
        lifecycle::Status::UpdateFailed => ImageStatus::UpdateFailed,
        lifecycle::Status::Deleting => ImageStatus::Deleting,
        lifecycle::Status::DeleteFailed => ImageStatus::DeleteFailed,
    }
}

/// DescribeImage's answer for `record` in `status`.
pub(super) fn described(
    scope: &Scope,
    record: &ImageRecord,
    status: lifecycle::Status,
) -> DescribeImageResponse {
    DescribeImageResponse {
        creation_time: Some(Timestamp(record.created)),
        description: record.description.clone(),
        display_name: record.display_name.clone(),
        // A transition that is to fail carries its reason before it ends; show it once it has.
        failure_reason: record.failure_reason.clone().filter(|_| status.is_failed()),
        image_arn: Some(image_arn(scope, &record.name)),
        image_name: Some(record.name.clone()),
        image_status: Some(image_status(status)),
        last_modified_time: Some(Timestamp(record.modified)),
        role_arn: Some(record.role_arn.clone()),
    }
}

/// An item of ListImages' `Images`: DescribeImage's answer without the role.
fn listed(scope: &Scope, record: &ImageRecord, status: lifecycle::Status) -> Image {
    Image {
        creation_time: Timestamp(record.created),
        description: record.description.clone(),
        display_name: record.display_name.clone(),
        failure_reason: record.failure_reason.clone().filter(|_| status.is_failed()),
        image_arn: image_arn(scope, &record.name),
        image_name: record.name.clone(),
        image_status: image_status(status),
        last_modified_time: Timestamp(record.modified),
    }
}

pub async fn create(
    service: &Service,
    origin: Origin,
    scope: &Scope,
    input: CreateImageRequest,
) -> Result<CreateImageResponse, ApiError> {
    let tags = super::tags::domain_tags(input.tags);
    tags::check_request(&tags)?;
    let output = CreateImageResponse {
        image_arn: Some(image_arn(scope, &input.image_name)),
    };
    let new = NewImage {
        name: input.image_name,
        display_name: input.display_name,
        description: input.description,
        role_arn: input.role_arn,
        tags,
    };
    let operation = OperationName::CreateImage;
    let delay = service.delay(origin, operation);
    let key = name_key(&new.name);
    service
        .store
        .change(
            scope,
            store::Image(key),
            origin.outcome_of(operation),
            move |current, forced| {
                let transition = ForcedOutcome::transition(forced, delay);
                let write = image::create(current.as_ref(), &new, now_millis(), &transition)?;
                Ok::<_, ApiError>((write, ()))
            },
        )
        .await?;
    Ok(output)
}

/// Answered from the cache while nothing has changed since the cached answer was built.
pub async fn describe(
    service: &Service,
    scope: &Scope,
    input: DescribeImageRequest,
) -> Result<SerializedOutput, ApiError> {
    let key = name_key(&input.image_name);
    // Taken before the read, so that a change committed during it makes the answer unusable later.
    let generation = service.store.change_generation();
    let cache_key = generation.map(|_| [scope.account_id.as_str(), &scope.region, &key].join("/"));
    if let (Some(generation), Some(cache_key)) = (generation, &cache_key) {
        if let Some(answer) = service.descriptions.get(cache_key, generation) {
            return Ok(answer);
        }
    }
    let record = service.store.get(scope, store::Image(key)).await?;
    let now = now_millis();
    let status = image::present(record.as_ref(), &input.image_name, now)?;
    let Some(record) = record else {
        return Err(image::not_found(&input.image_name).into());
    };
    let answer = SerializedOutput::json(&described(scope, &record, status))?;
    if let (true, Some(generation), Some(cache_key)) =
        (record.lifecycle.settled_at(now), generation, cache_key)
    {
        service.descriptions.put(cache_key, generation, &answer);
    }
    Ok(answer)
}

pub async fn update(
    service: &Service,
    scope: &Scope,
    input: UpdateImageRequest,
) -> Result<UpdateImageResponse, ApiError> {
    let delete = input
        .delete_properties
        .unwrap_or_default()
        .into_iter()
        .map(|property| match property {
            ImageDeleteProperty::DisplayName => DeletableProperty::DisplayName,
            ImageDeleteProperty::Description => DeletableProperty::Description,
        })
        .collect();
    let patch = ImagePatch {
        display_name: input.display_name,
        description: input.description,
        role_arn: input.role_arn,
        delete,
    };
    patch.check()?;
    let operation = OperationName::UpdateImage;
    let (delay, name) = (service.delay(Origin::Api, operation), input.image_name);
    let record = service
        .store
        .change(
            scope,
            store::Image(name_key(&name)),
            Some(operation),
            move |current, forced| {
                let transition = ForcedOutcome::transition(forced, delay);
                image::update(current.as_ref(), &name, &patch, now_millis(), &transition)
                    .map_err(ApiError::from)
            },
        )
        .await?;
    Ok(UpdateImageResponse {
        image_arn: Some(image_arn(scope, &record.name)),
    })
}

pub async fn delete(
    service: &Service,
    scope: &Scope,
    input: DeleteImageRequest,
) -> Result<DeleteImageResponse, ApiError> {
    let operation = OperationName::DeleteImage;
    let (delay, name) = (service.delay(Origin::Api, operation), input.image_name);
    service
        .store
        .change(
            scope,
            store::Image(name_key(&name)),
            Some(operation),
            move |current, forced| {
                let transition = ForcedOutcome::transition(forced, delay);
                let write = image::delete(current.as_ref(), &name, now_millis(), &transition)?;
                Ok::<_, ApiError>((write, ()))
            },
        )
        .await?;
    Ok(DeleteImageResponse {})
}

/// Ends the held transitions of an image and of its versions now (the control plane's release). Returns
/// how many were held.
pub async fn release(
    service: &Service,
    scope: &Scope,
    image_name: &str,
) -> Result<usize, ApiError> {
    let key = name_key(image_name);
    let name = image_name.to_owned();
    let image_held = service
        .store
        .change(scope, store::Image(key.clone()), None, move |current, _| {
            image::release(current.as_ref(), &name, now_millis()).map_err(ApiError::from)
        })
        .await?;
    let name = image_name.to_owned();
    let versions_held = service
        .store
        .change(scope, store::ImageVersions(key), None, move |current, _| {
            let set = current.as_ref();
            crate::domain::version::release(set, &name, now_millis()).map_err(ApiError::from)
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

/// Answered from the cache while nothing has changed since the cached answer was built.
pub async fn list(
    service: &Service,
    scope: &Scope,
    input: ListImagesRequest,
) -> Result<SerializedOutput, ApiError> {
    let request = ListRequest {
        operation: OperationName::ListImages,
        sort: match input.sort_by.unwrap_or(ImageSortBy::CreationTime) {
            ImageSortBy::CreationTime => ListSort::CreationTime,
            ImageSortBy::LastModifiedTime => ListSort::LastModifiedTime,
            ImageSortBy::ImageName => ListSort::Name,
        },
        descending: match input.sort_order.unwrap_or(ImageSortOrder::Descending) {
            ImageSortOrder::Ascending => false,
            ImageSortOrder::Descending => true,
        },
        created: listing::TimeRange::new(input.creation_time_after, input.creation_time_before),
        modified: listing::TimeRange::new(
            input.last_modified_time_after,
            input.last_modified_time_before,
        ),
        name_contains: input.name_contains.as_deref(),
        next_token: input.next_token.as_deref(),
        max_results: input.max_results,
    };
    // Taken before the read, so that a change committed during it makes the answer unusable later.
    let generation = service.store.change_generation();
    let cache_key = generation.map(|_| request.cache_key(scope));
    if let (Some(generation), Some(key)) = (generation, &cache_key) {
        if let Some(answer) = service.pages.get(key, generation) {
            return Ok(answer);
        }
    }
    let page = listing::page(service, scope, &request, |query| async move {
        service.store.list_images(scope, &query).await
    })
    .await?;
    let images = page
        .items
        .iter()
        .filter_map(|record| match record.observe(page.now) {
            Observed::Present(status) => Some(listed(scope, record, status)),
            Observed::Gone => None,
        })
        .collect();
    let answer = SerializedOutput::json(&ListImagesResponse {
        images: Some(images),
        next_token: page.next_token,
    })?;
    if let (true, Some(generation), Some(key)) = (page.settled, generation, cache_key) {
        service.pages.put(key, generation, &answer);
    }
    Ok(answer)
}
