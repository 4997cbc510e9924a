//! CreateImageVersion, DescribeImageVersion, UpdateImageVersion, DeleteImageVersion, ListImageVersions,
//! ListAliases. Every decision is made over the image and all its versions at once (`domain::version`).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{millis, Origin, Service};
use crate::domain::arn::{image_arn, image_version_arn};
use crate::domain::image::{self, name_key};
use crate::domain::lifecycle::{ForcedOutcome, ImageStatus};
use crate::domain::paging::{fingerprint, Cursor, SortValue};
use crate::domain::version::{
    self, NewVersion, VersionMetadata, VersionPatch, VersionRecord, VersionSelector, VersionSet,
};
use crate::domain::{now_millis, Millis, Scope};
use crate::protocol::{timestamp, ApiError};
use crate::store::Store;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataInput {
    horovod: Option<bool>,
    job_type: Option<String>,
    #[serde(rename = "MLFramework")]
    ml_framework: Option<String>,
    processor: Option<String>,
    programming_lang: Option<String>,
    release_notes: Option<String>,
    vendor_guidance: Option<String>,
}

impl From<MetadataInput> for VersionMetadata {
    fn from(m: MetadataInput) -> Self {
        VersionMetadata {
            horovod: m.horovod,
            job_type: m.job_type,
            ml_framework: m.ml_framework,
            processor: m.processor,
            programming_lang: m.programming_lang,
            release_notes: m.release_notes,
            vendor_guidance: m.vendor_guidance,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateImageVersionInput {
    image_name: String,
    base_image: String,
    client_token: String,
    #[serde(default)]
    aliases: Vec<String>,
    /// Not a member of the API's input: an initial state's entry may name the number its version gets.
    #[serde(rename = "Version")]
    number: Option<i64>,
    #[serde(flatten)]
    metadata: MetadataInput,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SelectVersionInput {
    image_name: String,
    version: Option<i64>,
    alias: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateImageVersionInput {
    image_name: String,
    version: Option<i64>,
    alias: Option<String>,
    #[serde(default)]
    aliases_to_add: Vec<String>,
    #[serde(default)]
    aliases_to_delete: Vec<String>,
    #[serde(flatten)]
    metadata: MetadataInput,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListImageVersionsInput {
    image_name: String,
    creation_time_after: Option<f64>,
    creation_time_before: Option<f64>,
    last_modified_time_after: Option<f64>,
    last_modified_time_before: Option<f64>,
    max_results: Option<i64>,
    next_token: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesInput {
    image_name: String,
    alias: Option<String>,
    version: Option<i64>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// Page size of ListImageVersions and ListAliases when MaxResults is absent.
const DEFAULT_PAGE_SIZE: i64 = 10;

fn version_arn_output(scope: &Scope, image_name: &str, version: i64) -> Value {
    json!({ "ImageVersionArn": image_version_arn(scope, image_name, version) })
}

/// The image's versions as a reader sees them, or ResourceNotFound for a missing image.
async fn read_set<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    image_name: &str,
    now: Millis,
) -> Result<VersionSet, ApiError> {
    let set = service
        .store
        .get_versions(scope, &name_key(image_name))
        .await?;
    image::present(set.as_ref().map(|s| &s.image), image_name, now)?;
    set.ok_or_else(|| image::not_found(image_name).into())
}

pub async fn create<S: Store>(
    service: &Service<S>,
    origin: Origin,
    scope: &Scope,
    input: CreateImageVersionInput,
) -> Result<Value, ApiError> {
    let metadata: VersionMetadata = input.metadata.into();
    let mut sorted_aliases = input.aliases.clone();
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
        aliases: input.aliases,
        client_token: input.client_token,
        request_digest,
        number: input.number.filter(|_| origin == Origin::InitialState),
    };
    const OPERATION: &str = "CreateImageVersion";
    let delay = service.delay(origin, OPERATION);
    let key = name_key(&new.image_name);
    let image_name = new.image_name.clone();
    let number = service
        .store
        .change_versions(
            scope,
            &key,
            origin.outcome_of(OPERATION),
            move |current, forced| {
                let transition = ForcedOutcome::transition(forced, delay);
                version::create(current, &new, now_millis(), &transition).map_err(ApiError::from)
            },
        )
        .await?;
    Ok(version_arn_output(scope, &image_name, number))
}

pub(super) fn describe_output(
    scope: &Scope,
    set: &VersionSet,
    record: &VersionRecord,
    status: ImageStatus,
) -> Value {
    let mut out = Map::new();
    out.insert("BaseImage".into(), record.base_image.clone().into());
    // Without a registry to resolve tags against, the container image is the base image as given.
    out.insert("ContainerImage".into(), record.base_image.clone().into());
    out.insert("CreationTime".into(), timestamp(record.created));
    // A transition that is to fail carries its reason before it ends; show it once it has.
    if let Some(reason) = record
        .failure_reason
        .as_ref()
        .filter(|_| status.is_failed())
    {
        out.insert("FailureReason".into(), reason.clone().into());
    }
    let m = &record.metadata;
    if let Some(v) = m.horovod {
        out.insert("Horovod".into(), v.into());
    }
    out.insert("ImageArn".into(), image_arn(scope, &set.image.name).into());
    out.insert(
        "ImageVersionArn".into(),
        image_version_arn(scope, &set.image.name, record.version).into(),
    );
    out.insert("ImageVersionStatus".into(), status.as_str().into());
    for (member, value) in [
        ("JobType", &m.job_type),
        ("MLFramework", &m.ml_framework),
        ("Processor", &m.processor),
        ("ProgrammingLang", &m.programming_lang),
        ("ReleaseNotes", &m.release_notes),
        ("VendorGuidance", &m.vendor_guidance),
    ] {
        if let Some(v) = value {
            out.insert(member.into(), v.clone().into());
        }
    }
    out.insert("LastModifiedTime".into(), timestamp(record.modified));
    out.insert("Version".into(), record.version.into());
    Value::Object(out)
}

pub async fn describe<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: SelectVersionInput,
) -> Result<Value, ApiError> {
    let selector = VersionSelector::from_request(input.version, input.alias)?;
    let now = now_millis();
    let set = read_set(service, scope, &input.image_name, now).await?;
    let (record, status) = set.select(&selector, now)?;
    Ok(describe_output(scope, &set, record, status))
}

pub async fn update<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: UpdateImageVersionInput,
) -> Result<Value, ApiError> {
    let selector = VersionSelector::from_request(input.version, input.alias)?;
    let patch = VersionPatch {
        aliases_to_add: input.aliases_to_add,
        aliases_to_delete: input.aliases_to_delete,
        metadata: input.metadata.into(),
    };
    let name = input.image_name;
    let shown = name.clone();
    let number = service
        .store
        .change_versions(scope, &name_key(&name), None, move |current, _| {
            version::update(current, &name, &selector, &patch, now_millis()).map_err(ApiError::from)
        })
        .await?;
    Ok(version_arn_output(scope, &shown, number))
}

pub async fn delete<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: SelectVersionInput,
) -> Result<Value, ApiError> {
    let selector = VersionSelector::from_request(input.version, input.alias)?;
    const OPERATION: &str = "DeleteImageVersion";
    let (delay, name) = (service.delay(Origin::Api, OPERATION), input.image_name);
    service
        .store
        .change_versions(
            scope,
            &name_key(&name),
            Some(OPERATION),
            move |current, forced| {
                let transition = ForcedOutcome::transition(forced, delay);
                let write = version::delete(current, &name, &selector, now_millis(), &transition)?;
                Ok::<_, ApiError>((write, ()))
            },
        )
        .await?;
    Ok(json!({}))
}

/// Keyset paging over items already in memory (an image's versions or aliases), sorted by `(sort, key)`.
fn page_in_memory<T>(
    service_tokens: &crate::domain::paging::TokenSealer,
    query_id: &str,
    mut items: Vec<(Cursor, T)>,
    descending: bool,
    next_token: Option<&str>,
    max_results: Option<i64>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let order = |a: &Cursor, b: &Cursor| {
        let by_sort = match (&a.sort, &b.sort) {
            (SortValue::Time(x), SortValue::Time(y)) => x.cmp(y),
            (SortValue::Text(x), SortValue::Text(y)) => x.cmp(y),
            (SortValue::Time(_), SortValue::Text(_)) => std::cmp::Ordering::Less,
            (SortValue::Text(_), SortValue::Time(_)) => std::cmp::Ordering::Greater,
        };
        let ordering = by_sort.then_with(|| a.key.cmp(&b.key));
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    };
    items.sort_by(|(a, _), (b, _)| order(a, b));
    if let Some(token) = next_token.filter(|t| !t.is_empty()) {
        let after = service_tokens.open(query_id, token)?;
        items.retain(|(cursor, _)| order(cursor, &after) == std::cmp::Ordering::Greater);
    }
    let page_size = max_results.unwrap_or(DEFAULT_PAGE_SIZE) as usize;
    let more = items.len() > page_size;
    items.truncate(page_size);
    let token = match (more, items.last()) {
        (true, Some((cursor, _))) => Some(service_tokens.seal(query_id, cursor)),
        _ => None,
    };
    Ok((items.into_iter().map(|(_, item)| item).collect(), token))
}

/// Version numbers as sort keys that order like the numbers.
fn version_key(version: i64) -> String {
    format!("{version:020}")
}

pub async fn list<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: ListImageVersionsInput,
) -> Result<Value, ApiError> {
    let now = now_millis();
    let set = read_set(service, scope, &input.image_name, now).await?;
    let sort_by = input.sort_by.as_deref().unwrap_or("CREATION_TIME");
    let descending = input.sort_order.as_deref() != Some("ASCENDING");
    let (created_after, created_before) = (
        millis(input.creation_time_after),
        millis(input.creation_time_before),
    );
    let (modified_after, modified_before) = (
        millis(input.last_modified_time_after),
        millis(input.last_modified_time_before),
    );
    let query_id = fingerprint(&[
        "ListImageVersions",
        &scope.account_id,
        &scope.region,
        &name_key(&set.image.name),
        &format!("{sort_by}/{descending}/{created_after:?}/{created_before:?}/{modified_after:?}/{modified_before:?}"),
    ]);
    let within = |value: Millis, after: Option<Millis>, before: Option<Millis>| {
        after.is_none_or(|a| value >= a) && before.is_none_or(|b| value <= b)
    };
    let items: Vec<(Cursor, Value)> = set
        .visible(now)
        .filter(|(v, _)| {
            within(v.created, created_after, created_before)
                && within(v.modified, modified_after, modified_before)
        })
        .map(|(v, status)| {
            let sort = match sort_by {
                "LAST_MODIFIED_TIME" => SortValue::Time(v.modified),
                "VERSION" => SortValue::Time(v.version),
                _ => SortValue::Time(v.created),
            };
            let mut item = Map::new();
            item.insert("CreationTime".into(), timestamp(v.created));
            if let Some(reason) = v.failure_reason.as_ref().filter(|_| status.is_failed()) {
                item.insert("FailureReason".into(), reason.clone().into());
            }
            item.insert("ImageArn".into(), image_arn(scope, &set.image.name).into());
            item.insert(
                "ImageVersionArn".into(),
                image_version_arn(scope, &set.image.name, v.version).into(),
            );
            item.insert("ImageVersionStatus".into(), status.as_str().into());
            item.insert("LastModifiedTime".into(), timestamp(v.modified));
            item.insert("Version".into(), v.version.into());
            (
                Cursor {
                    sort,
                    key: version_key(v.version),
                },
                Value::Object(item),
            )
        })
        .collect();
    let (page, token) = page_in_memory(
        &service.tokens,
        &query_id,
        items,
        descending,
        input.next_token.as_deref(),
        input.max_results,
    )?;
    let mut out = Map::new();
    out.insert("ImageVersions".into(), Value::Array(page));
    if let Some(token) = token {
        out.insert("NextToken".into(), token.into());
    }
    Ok(Value::Object(out))
}

pub async fn list_aliases<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: ListAliasesInput,
) -> Result<Value, ApiError> {
    let now = now_millis();
    let set = read_set(service, scope, &input.image_name, now).await?;
    let versions: Vec<&VersionRecord> = match input.version {
        Some(n) => vec![set.select(&VersionSelector::Number(n), now)?.0],
        None => set.visible(now).map(|(v, _)| v).collect(),
    };
    let query_id = fingerprint(&[
        "ListAliases",
        &scope.account_id,
        &scope.region,
        &name_key(&set.image.name),
        &format!("{:?}/{:?}", input.version, input.alias),
    ]);
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
    let (page, token) = page_in_memory(
        &service.tokens,
        &query_id,
        items,
        false,
        input.next_token.as_deref(),
        input.max_results,
    )?;
    let mut out = Map::new();
    out.insert("SageMakerImageVersionAliases".into(), json!(page));
    if let Some(token) = token {
        out.insert("NextToken".into(), token.into());
    }
    Ok(Value::Object(out))
}
