//! AddTags, DeleteTags, ListTags on the ARNs of the resources we serve.

use super::Service;
use crate::domain::arn::{self, TaggedResource};
use crate::domain::lifecycle::{Lifecycle, Observed};
use crate::domain::now_millis;
use crate::domain::paging::{self, fingerprint, Cursor, SortValue};
use crate::domain::tags::{self, Tag};
use crate::domain::Scope;
use crate::model::{
    self, AddTagsInput, AddTagsOutput, DeleteTagsInput, DeleteTagsOutput, ListTagsInput,
    ListTagsOutput, OperationName,
};
use crate::protocol::ApiError;
use crate::store;

/// ListTags' page size when MaxResults is not given: the model's minimum, which already holds every tag
/// a resource can have.
const LIST_TAGS_PAGE_SIZE: usize = 50;

/// A request's tags as the domain keeps them.
pub(super) fn domain_tags(given: Option<Vec<model::Tag>>) -> Vec<Tag> {
    given
        .unwrap_or_default()
        .into_iter()
        .map(|tag| Tag {
            key: tag.key,
            value: tag.value,
        })
        .collect()
}

fn model_tags<'a>(kept: impl IntoIterator<Item = &'a Tag>) -> Vec<model::Tag> {
    kept.into_iter()
        .map(|tag| model::Tag {
            key: tag.key.clone(),
            value: tag.value.clone(),
        })
        .collect()
}

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

/// Replaces the tags of the resource `arn` names, which must exist, with what `retag` makes of them.
async fn change_tags<F>(
    service: &Service,
    scope: &Scope,
    arn: String,
    retag: F,
) -> Result<(), ApiError>
where
    F: Fn(Vec<Tag>) -> Result<Vec<Tag>, ApiError> + Send + Sync + 'static,
{
    let resource = resolve(scope, &arn)?;
    service
        .store
        .change(
            scope,
            store::Tags(resource),
            None,
            move |(lifecycle, current), _| {
                require_present(*lifecycle, &arn)?;
                Ok((retag(current.clone())?, ()))
            },
        )
        .await
}

pub async fn add(
    service: &Service,
    scope: &Scope,
    input: AddTagsInput,
) -> Result<AddTagsOutput, ApiError> {
    let given = domain_tags(Some(input.tags));
    tags::check_request(&given)?;
    let merged = given.clone();
    change_tags(service, scope, input.resource_arn, move |current| {
        Ok(tags::merge(current, &merged)?)
    })
    .await?;
    Ok(AddTagsOutput {
        tags: Some(model_tags(&given)),
    })
}

pub async fn delete(
    service: &Service,
    scope: &Scope,
    input: DeleteTagsInput,
) -> Result<DeleteTagsOutput, ApiError> {
    let keys = input.tag_keys;
    change_tags(service, scope, input.resource_arn, move |current| {
        Ok(tags::remove(current, &keys))
    })
    .await?;
    Ok(DeleteTagsOutput {})
}

pub async fn list(
    service: &Service,
    scope: &Scope,
    input: ListTagsInput,
) -> Result<ListTagsOutput, ApiError> {
    let resource = resolve(scope, &input.resource_arn)?;
    let query_id = fingerprint(&[OperationName::ListTags.as_str(), &resource.arn]);
    let start = match input.next_token.as_deref() {
        None | Some("") => 0,
        Some(token) => match service.tokens.open(&query_id, token)?.sort {
            SortValue::Time(offset) => usize::try_from(offset).unwrap_or(usize::MAX),
            SortValue::Text(_) => return Err(paging::invalid_token().into()),
        },
    };
    let (lifecycle, all) = service.store.get(scope, store::Tags(resource)).await?;
    require_present(lifecycle, &input.resource_arn)?;
    let page_size = input
        .max_results
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(LIST_TAGS_PAGE_SIZE);
    let page = model_tags(all.iter().skip(start).take(page_size));
    let end = start.saturating_add(page.len());
    let next_token = (end < all.len()).then(|| {
        let cursor = Cursor {
            sort: SortValue::Time(i64::try_from(end).unwrap_or(i64::MAX)),
            key: String::new(),
        };
        service.tokens.seal(&query_id, &cursor)
    });
    Ok(ListTagsOutput {
        next_token,
        tags: Some(page),
    })
}
