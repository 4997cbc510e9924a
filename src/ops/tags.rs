//! AddTags, DeleteTags, ListTags on the ARNs of the resources we serve.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::Service;
use crate::domain::arn::{self, TaggedResource};
use crate::domain::lifecycle::{Lifecycle, Observed};
use crate::domain::now_millis;
use crate::domain::paging::{self, fingerprint, Cursor, SortValue};
use crate::domain::tags::{self, Tag};
use crate::domain::Scope;
use crate::protocol::ApiError;
use crate::store::Store;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddTagsInput {
    resource_arn: String,
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTagsInput {
    resource_arn: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsInput {
    resource_arn: String,
    next_token: Option<String>,
    max_results: Option<i64>,
}

/// ListTags' page size when MaxResults is not given: the model's minimum, which already holds every tag
/// a resource can have.
const DEFAULT_PAGE_SIZE: i64 = 50;

/// Refuses a resource that does not exist, or whose deletion has completed.
fn require_present(lifecycle: Option<Lifecycle>, arn: &str) -> Result<(), ApiError> {
    match lifecycle.map(|l| l.observe(now_millis())) {
        Some(Observed::Present(_)) => Ok(()),
        _ => Err(arn::does_not_exist(arn).into()),
    }
}

fn resolve(scope: &Scope, arn: &str) -> Result<TaggedResource, ApiError> {
    Ok(arn::resolve(scope, arn)?)
}

pub async fn add<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: AddTagsInput,
) -> Result<Value, ApiError> {
    tags::check_request(&input.tags)?;
    let resource = resolve(scope, &input.resource_arn)?;
    let (given, shown_arn) = (input.tags.clone(), input.resource_arn);
    service
        .store
        .change_tags(scope, &resource, move |lifecycle, current| {
            require_present(lifecycle, &shown_arn)?;
            Ok::<_, ApiError>((Some(tags::merge(current, &given)?), ()))
        })
        .await?;
    Ok(json!({ "Tags": input.tags }))
}

pub async fn delete<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: DeleteTagsInput,
) -> Result<Value, ApiError> {
    let resource = resolve(scope, &input.resource_arn)?;
    let (keys, shown_arn) = (input.tag_keys, input.resource_arn);
    service
        .store
        .change_tags(scope, &resource, move |lifecycle, current| {
            require_present(lifecycle, &shown_arn)?;
            Ok::<_, ApiError>((Some(tags::remove(current, &keys)), ()))
        })
        .await?;
    Ok(json!({}))
}

pub async fn list<S: Store>(
    service: &Service<S>,
    scope: &Scope,
    input: ListTagsInput,
) -> Result<Value, ApiError> {
    let resource = resolve(scope, &input.resource_arn)?;
    let query_id = fingerprint(&["ListTags", &resource.arn]);
    let start = match input.next_token.as_deref() {
        None | Some("") => 0,
        Some(token) => match service.tokens.open(&query_id, token)?.sort {
            SortValue::Time(offset) => usize::try_from(offset).unwrap_or(usize::MAX),
            SortValue::Text(_) => return Err(paging::invalid_token().into()),
        },
    };
    let (lifecycle, all) = service.store.get_tags(scope, &resource).await?;
    require_present(lifecycle, &input.resource_arn)?;
    let page_size = input.max_results.unwrap_or(DEFAULT_PAGE_SIZE) as usize;
    let page: Vec<&Tag> = all.iter().skip(start).take(page_size).collect();
    let mut out = Map::new();
    out.insert(
        "Tags".into(),
        serde_json::to_value(&page).unwrap_or_default(),
    );
    let end = start.saturating_add(page.len());
    if end < all.len() {
        let cursor = Cursor {
            sort: SortValue::Time(end as i64),
            key: String::new(),
        };
        out.insert(
            "NextToken".into(),
            service.tokens.seal(&query_id, &cursor).into(),
        );
    }
    Ok(Value::Object(out))
}
