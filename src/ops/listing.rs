//! What ListImages and ListAppImageConfigs share: filters, sort, page size and sealed keyset tokens.

use std::future::Future;

use super::{millis, Service};
use crate::domain::paging::{fingerprint, Cursor, SortValue};
use crate::domain::{now_millis, Millis, Scope};
use crate::protocol::ApiError;
use crate::store::{ListQuery, ListSort, Store, StoreError};

/// A list request in common terms; each operation maps its own member names and enum spellings onto it.
pub struct ListRequest<'a> {
    pub operation: &'a str,
    pub sort: ListSort,
    pub descending: bool,
    pub created_after: Option<f64>,
    pub created_before: Option<f64>,
    pub modified_after: Option<f64>,
    pub modified_before: Option<f64>,
    pub name_contains: Option<&'a str>,
    pub next_token: Option<&'a str>,
    pub max_results: Option<i64>,
}

/// Where an item stands in the sort: its creation and modification times and its name key.
pub trait Listed {
    fn created(&self) -> Millis;
    fn modified(&self) -> Millis;
    fn key(&self) -> String;
    /// True when the item will look the same at any later time, barring a change: no transition of it
    /// (nor the end of its deletion) is still to come after `now`.
    fn settled(&self, now: Millis) -> bool;
}

/// One page as read: its items, the token of the next page, the time it was read at, and whether every
/// item read (the one beyond the page included) was settled then.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
    pub now: Millis,
    pub settled: bool,
}

/// Every list operation's page size when MaxResults is absent (model documentation).
const DEFAULT_PAGE_SIZE: i64 = 10;

/// Reads one page through `fetch`.
pub async fn page<S, T, F, Fut>(
    service: &Service<S>,
    scope: &Scope,
    request: ListRequest<'_>,
    fetch: F,
) -> Result<Page<T>, ApiError>
where
    S: Store,
    T: Listed,
    F: FnOnce(ListQuery) -> Fut,
    Fut: Future<Output = Result<Vec<T>, StoreError>>,
{
    let name_contains = request.name_contains.map(str::to_ascii_lowercase);
    let query_id = fingerprint(&[
        request.operation,
        &scope.account_id,
        &scope.region,
        &format!(
            "{:?}/{}/{:?}/{:?}/{:?}/{:?}",
            request.sort,
            request.descending,
            request.created_after,
            request.created_before,
            request.modified_after,
            request.modified_before
        ),
        name_contains.as_deref().unwrap_or(""),
    ]);
    let after = match request.next_token {
        None | Some("") => None,
        Some(token) => Some(service.tokens.open(&query_id, token)?),
    };
    let page_size = request.max_results.unwrap_or(DEFAULT_PAGE_SIZE) as usize;
    let now = now_millis();
    let query = ListQuery {
        sort: request.sort,
        descending: request.descending,
        after,
        created_after: millis(request.created_after),
        created_before: millis(request.created_before),
        modified_after: millis(request.modified_after),
        modified_before: millis(request.modified_before),
        name_contains,
        limit: page_size + 1,
        now,
    };
    let mut items = fetch(query).await?;
    let settled = items.iter().all(|item| item.settled(now));
    let more = items.len() > page_size;
    items.truncate(page_size);
    let next_token = match (more, items.last()) {
        (true, Some(last)) => {
            let key = last.key();
            let sort = match request.sort {
                ListSort::CreationTime => SortValue::Time(last.created()),
                ListSort::LastModifiedTime => SortValue::Time(last.modified()),
                ListSort::Name => SortValue::Text(key.clone()),
            };
            Some(service.tokens.seal(&query_id, &Cursor { sort, key }))
        }
        _ => None,
    };
    Ok(Page {
        items,
        next_token,
        now,
        settled,
    })
}
