//! CreateImageVersion, DescribeImageVersion, UpdateImageVersion, DeleteImageVersion, ListImageVersions,
//! ListAliases. Every decision is made over the image and all its versions at once (`domain::version`).

use super::listing::{self, TimeRange};
use super::{Origin, Service};
use crate::domain::arn::{image_arn, image_version_arn};
use crate::domain::image::{self, name_key};
use crate::domain::lifecycle::{ForcedOutcome, Status};
use crate::domain::paging::{fingerprint, Cursor, SortValue};
use crate::domain::selectors::VersionSelector;
use crate::domain::version::{
    self, NewVersion, VersionMetadata, VersionPatch, VersionRecord, VersionSet,
};
use crate::domain::{now_millis, Millis, Scope};
use crate::model::{
    CreateImageVersionRequest, CreateImageVersionResponse, DeleteImageVersionRequest,
    DeleteImageVersionResponse, DescribeImageVersionRequest, DescribeImageVersionResponse,
    ImageVersion, ImageVersionSortBy, ImageVersionSortOrder, ImageVersionStatus, JobType,
    ListAliasesRequest, ListAliasesResponse, ListImageVersionsRequest, ListImageVersionsResponse,
    OperationName, Processor, Timestamp, UpdateImageVersionRequest, UpdateImageVersionResponse,
    VendorGuidance,
};
use crate::protocol::ApiError;
use crate::store;

/// The metadata members CreateImageVersion and UpdateImageVersion share, as the domain keeps them.
struct MetadataMembers {
    horovod: Option<bool>,
    job_type: Option<JobType>,
    ml_framework: Option<String>,
    processor: Option<Processor>,
    programming_lang: Option<String>,
    release_notes: Option<String>,
    vendor_guidance: Option<VendorGuidance>,
}

impl From<MetadataMembers> for VersionMetadata {
    fn from(m: MetadataMembers) -> Self {
        VersionMetadata {
            horovod: m.horovod,
            job_type: m.job_type.map(|v| v.as_str().to_owned()),
            ml_framework: m.ml_framework,
            processor: m.processor.map(|v| v.as_str().to_owned()),
            programming_lang: m.programming_lang,
            release_notes: m.release_notes,
            vendor_guidance: m.vendor_guidance.map(|v| v.as_str().to_owned()),
        }
    }
}

/// The model's spelling of a version's status. The domain gives a version no update of its own, so
/// `Updating` and `UpdateFailed`, which the model's `ImageVersionStatus` lacks, never reach here.
fn version_status(status: Status) -> Result<ImageVersionStatus, ApiError> {
    match status {
        Status::Creating => Ok(ImageVersionStatus::Creating),
        Status::Created => Ok(ImageVersionStatus::Created),
        Status::CreateFailed => Ok(ImageVersionStatus::CreateFailed),
        Status::Deleting => Ok(ImageVersionStatus::Deleting),
        Status::DeleteFailed => Ok(ImageVersionStatus::DeleteFailed),
        Status::Updating | Status::UpdateFailed => {
            tracing::error!(?status, "a version in an image-only status");
            Err(ApiError::internal())
        }
    }
}

/// The image's versions as a reader sees them, or ResourceNotFound for a missing image.
async fn read_set(
    service: &Service,
    scope: &Scope,
    image_name: &str,
    now: Millis,
) -> Result<VersionSet, ApiError> {
    let set = service
        .store
        .get(scope, store::ImageVersions(name_key(image_name)))
        .await?;
    image::present(set.as_ref().map(|s| &s.image), image_name, now)?;
    set.ok_or_else(|| image::not_found(image_name).into())
}

/// `number`: the number an initial state gives the version; the API's versions take the next.
pub async fn create(
    service: &Service,
    origin: Origin,
    scope: &Scope,
    input: CreateImageVersionRequest,
    number: Option<i64>,
) -> Result<CreateImageVersionResponse, ApiError> {
    let metadata: VersionMetadata = MetadataMembers {
        horovod: input.horovod,
        job_type: input.job_type,
        ml_framework: input.ml_framework,
        processor: input.processor,
        programming_lang: input.programming_lang,
        release_notes: input.release_notes,
        vendor_guidance: input.vendor_guidance,
    }
    .into();
    let aliases = input.aliases.unwrap_or_default();
    let mut sorted_aliases = aliases.clone();
    sorted_aliases.sort();
    let metadata_json = serde_json::to_string(&metadata).unwrap_or_default();
    let request_digest = fingerprint(&[
        &input.base_image,
        &sorted_aliases.join("\n"),
        &metadata_json,
    ]);
    let new = NewVersion {
        image_name: input.image_name,
        base_image: input.base_image,
        metadata,
        aliases,
        client_token: input.client_token,
        request_digest,
        number: number.filter(|_| origin == Origin::InitialState),
    };
    let operation = OperationName::CreateImageVersion;
    let delay = service.delay(origin, operation);
    let key = name_key(&new.image_name);
    let image_name = new.image_name.clone();
    let number = service
        .store
        .change(
            scope,
            store::ImageVersions(key),
            origin.outcome_of(operation),
            move |current, forced| {
                let transition = ForcedOutcome::transition(forced, delay);
                version::create(current.as_ref(), &new, now_millis(), &transition)
                    .map_err(ApiError::from)
            },
        )
        .await?;
    Ok(CreateImageVersionResponse {
        image_version_arn: Some(image_version_arn(scope, &image_name, number)),
    })
}

pub(super) fn describe_output(
    scope: &Scope,
    set: &VersionSet,
    record: &VersionRecord,
    status: Status,
) -> Result<DescribeImageVersionResponse, ApiError> {
    let m = &record.metadata;
    Ok(DescribeImageVersionResponse {
        base_image: Some(record.base_image.clone()),
        // Without a registry to resolve tags against, the container image is the base image as given.
        container_image: Some(record.base_image.clone()),
        creation_time: Some(Timestamp(record.created)),
        // A transition that is to fail carries its reason before it ends; show it once it has.
        failure_reason: record.failure_reason.clone().filter(|_| status.is_failed()),
        horovod: m.horovod,
        image_arn: Some(image_arn(scope, &set.image.name)),
        image_version_arn: Some(image_version_arn(scope, &set.image.name, record.version)),
        image_version_status: Some(version_status(status)?),
        // Stored as validated, so always one of the model's values.
        job_type: m.job_type.as_deref().and_then(JobType::from_wire),
        last_modified_time: Some(Timestamp(record.modified)),
        ml_framework: m.ml_framework.clone(),
        processor: m.processor.as_deref().and_then(Processor::from_wire),
        programming_lang: m.programming_lang.clone(),
        release_notes: m.release_notes.clone(),
        vendor_guidance: m
            .vendor_guidance
            .as_deref()
            .and_then(VendorGuidance::from_wire),
        version: i32::try_from(record.version).ok(),
    })
}

pub async fn describe(
    service: &Service,
    scope: &Scope,
    input: DescribeImageVersionRequest,
) -> Result<DescribeImageVersionResponse, ApiError> {
    let selector = VersionSelector::from_request(input.version.map(i64::from), input.alias)?;
    let now = now_millis();
    let set = read_set(service, scope, &input.image_name, now).await?;
    let (record, status) = set.select(&selector, now)?;
    describe_output(scope, &set, record, status)
}

pub async fn update(
    service: &Service,
    scope: &Scope,
    input: UpdateImageVersionRequest,
) -> Result<UpdateImageVersionResponse, ApiError> {
    let selector = VersionSelector::from_request(input.version.map(i64::from), input.alias)?;
    let patch = VersionPatch {
        aliases_to_add: input.aliases_to_add.unwrap_or_default(),
        aliases_to_delete: input.aliases_to_delete.unwrap_or_default(),
        metadata: MetadataMembers {
            horovod: input.horovod,
            job_type: input.job_type,
            ml_framework: input.ml_framework,
            processor: input.processor,
            programming_lang: input.programming_lang,
            release_notes: input.release_notes,
            vendor_guidance: input.vendor_guidance,
        }
        .into(),
    };
    let name = input.image_name;
    let shown = name.clone();
    let number = service
        .store
        .change(
            scope,
            store::ImageVersions(name_key(&name)),
            None,
            move |current, _| {
                version::update(current.as_ref(), &name, &selector, &patch, now_millis())
                    .map_err(ApiError::from)
            },
        )
        .await?;
    Ok(UpdateImageVersionResponse {
        image_version_arn: Some(image_version_arn(scope, &shown, number)),
    })
}

pub async fn delete(
    service: &Service,
    scope: &Scope,
    input: DeleteImageVersionRequest,
) -> Result<DeleteImageVersionResponse, ApiError> {
    let selector = VersionSelector::from_request(input.version.map(i64::from), input.alias)?;
    let operation = OperationName::DeleteImageVersion;
    let (delay, name) = (service.delay(Origin::Api, operation), input.image_name);
    service
        .store
        .change(
            scope,
            store::ImageVersions(name_key(&name)),
            Some(operation),
            move |current, forced| {
                let transition = ForcedOutcome::transition(forced, delay);
                let write = version::delete(
                    current.as_ref(),
                    &name,
                    &selector,
                    now_millis(),
                    &transition,
                )?;
                Ok::<_, ApiError>((write, ()))
            },
        )
        .await?;
    Ok(DeleteImageVersionResponse {})
}

/// Version numbers as sort keys that order like the numbers.
fn version_key(version: i64) -> String {
    format!("{version:020}")
}

pub async fn list(
    service: &Service,
    scope: &Scope,
    input: ListImageVersionsRequest,
) -> Result<ListImageVersionsResponse, ApiError> {
    let now = now_millis();
    let set = read_set(service, scope, &input.image_name, now).await?;
    let sort_by = input.sort_by.unwrap_or(ImageVersionSortBy::CreationTime);
    let sort_order = input
        .sort_order
        .unwrap_or(ImageVersionSortOrder::Descending);
    let created = TimeRange::new(input.creation_time_after, input.creation_time_before);
    let modified = TimeRange::new(
        input.last_modified_time_after,
        input.last_modified_time_before,
    );
    let items = set
        .visible(now)
        .filter(|(v, _)| created.contains(v.created) && modified.contains(v.modified))
        .map(|(v, status)| {
            let sort = match sort_by {
                ImageVersionSortBy::CreationTime => SortValue::Time(v.created),
                ImageVersionSortBy::LastModifiedTime => SortValue::Time(v.modified),
                ImageVersionSortBy::Version => SortValue::Time(v.version),
            };
            let item = ImageVersion {
                creation_time: Timestamp(v.created),
                failure_reason: v.failure_reason.clone().filter(|_| status.is_failed()),
                image_arn: image_arn(scope, &set.image.name),
                image_version_arn: image_version_arn(scope, &set.image.name, v.version),
                image_version_status: version_status(status)?,
                last_modified_time: Timestamp(v.modified),
                version: i32::try_from(v.version).map_err(|_| ApiError::internal())?,
            };
            let cursor = Cursor {
                sort,
                key: version_key(v.version),
            };
            Ok((cursor, item))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let (page, token) = listing::page_in_memory(
        &service.tokens,
        &[
            OperationName::ListImageVersions.as_str(),
            &scope.account_id,
            &scope.region,
            &name_key(&set.image.name),
            sort_by.as_str(),
            sort_order.as_str(),
            &created.describe(),
            &modified.describe(),
        ],
        items,
        sort_order == ImageVersionSortOrder::Descending,
        input.next_token.as_deref(),
        input.max_results,
    )?;
    Ok(ListImageVersionsResponse {
        image_versions: Some(page),
        next_token: token,
    })
}

pub async fn list_aliases(
    service: &Service,
    scope: &Scope,
    input: ListAliasesRequest,
) -> Result<ListAliasesResponse, ApiError> {
    let now = now_millis();
    let set = read_set(service, scope, &input.image_name, now).await?;
    let versions: Vec<&VersionRecord> = match input.version {
        Some(n) => vec![set.select(&VersionSelector::Number(i64::from(n)), now)?.0],
        None => set.visible(now).map(|(v, _)| v).collect(),
    };
    let items: Vec<(Cursor, String)> = versions
        .iter()
        .flat_map(|v| v.aliases.iter())
        .filter(|alias| input.alias.as_ref().is_none_or(|wanted| wanted == *alias))
        .map(|alias| {
            (
                Cursor {
                    sort: SortValue::Text(alias.clone()),
                    key: String::new(),
                },
                alias.clone(),
            )
        })
        .collect();
    let (page, token) = listing::page_in_memory(
        &service.tokens,
        &[
            OperationName::ListAliases.as_str(),
            &scope.account_id,
            &scope.region,
            &name_key(&set.image.name),
            &input.version.map_or_else(String::new, |n| n.to_string()),
            input.alias.as_deref().unwrap_or("\0"),
        ],
        items,
        false,
        input.next_token.as_deref(),
        input.max_results,
    )?;
    Ok(ListAliasesResponse {
        next_token: token,
        sage_maker_image_version_aliases: Some(page),
    })
}
