//! What every list operation shares: the time filters, the page size, sealed keyset tokens, and the cut
//! of a page, whether the store reads it (ListImages, ListAppImageConfigs: [`page`]) or it is cut from
//! items already in memory (ListImageVersions, ListAliases: [`page_in_memory`]).

use std::cmp::Ordering;
use std::future::Future;

use super::Service;
use crate::domain::paging::{fingerprint, Cursor, SortValue, TokenSealer};
use crate::domain::{now_millis, Millis, Scope};
use crate::model::OperationName;
use crate::protocol::ApiError;
use crate::store::{ListQuery, ListSort, StoreError};

/// A list's page size when MaxResults is absent (the model's documentation), ListTags' aside.
const DEFAULT_PAGE_SIZE: usize = 10;

/// The page size a request asks for. The model bounds MaxResults to 1..=100, so it always fits.
pub fn page_size(max_results: Option<i32>) -> usize {
    max_results
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(DEFAULT_PAGE_SIZE)
}

/// A model timestamp (epoch seconds, possibly fractional) in milliseconds.
fn millis(seconds: f64) -> Millis {
    (seconds * 1000.0).round() as Millis
}

/// The bounds a list request puts on one time of its items (creation or last modification), both
/// inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub after: Option<Millis>,
    pub before: Option<Millis>,
}

impl TimeRange {
    pub fn new(after: Option<f64>, before: Option<f64>) -> TimeRange {
        TimeRange {
            after: after.map(millis),
            before: before.map(millis),
        }
    }

    pub fn contains(&self, time: Millis) -> bool {
        self.after.is_none_or(|after| time >= after) && self.before.is_none_or(|b| time <= b)
    }

    /// The bounds as they go into a query's fingerprint or a cache key.
    pub fn describe(&self) -> String {
        let bound = |b: Option<Millis>| b.map_or_else(String::new, |b| b.to_string());
        format!("{}..{}", bound(self.after), bound(self.before))
    }
}

/// A list request read by the store, in common terms; each operation maps its own member names and enum
/// spellings onto it.
pub struct ListRequest<'a> {
    pub operation: OperationName,
    pub sort: ListSort,
    pub descending: bool,
    pub created: TimeRange,
    pub modified: TimeRange,
    pub name_contains: Option<&'a str>,
    pub next_token: Option<&'a str>,
    pub max_results: Option<i32>,
}

fn sort_name(sort: ListSort) -> &'static str {
    match sort {
        ListSort::CreationTime => "creation-time",
        ListSort::LastModifiedTime => "last-modified-time",
        ListSort::Name => "name",
    }
}

fn direction(descending: bool) -> &'static str {
    if descending {
        "descending"
    } else {
        "ascending"
    }
}

impl ListRequest<'_> {
    /// What its tokens are sealed to: a token continues only a list with the same filters and order.
    fn query_id(&self, scope: &Scope, name_contains: Option<&str>) -> String {
        fingerprint(&[
            self.operation.as_str(),
            &scope.account_id,
            &scope.region,
            sort_name(self.sort),
            direction(self.descending),
            &self.created.describe(),
            &self.modified.describe(),
            name_contains.unwrap_or(""),
        ])
    }

    /// The key its whole answer is cached under: everything that shapes the answer, page and token
    /// included, each part prefixed by its length so that no two requests share a key.
    pub fn cache_key(&self, scope: &Scope) -> String {
        let parts = [
            self.operation.as_str(),
            &scope.account_id,
            &scope.region,
            sort_name(self.sort),
            direction(self.descending),
            &self.created.describe(),
            &self.modified.describe(),
            &self.max_results.map_or_else(String::new, |n| n.to_string()),
            self.name_contains.unwrap_or("\0"),
            self.next_token.unwrap_or("\0"),
        ];
        parts.iter().fold(String::new(), |mut key, part| {
            key.push_str(&part.len().to_string());
            key.push(':');
            key.push_str(part);
            key
        })
    }
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

/// The position a token continues after, if one is given. An empty token is no token.
fn open_token(
    tokens: &TokenSealer,
    query_id: &str,
    token: Option<&str>,
) -> Result<Option<Cursor>, ApiError> {
    match token {
        None | Some("") => Ok(None),
        Some(token) => Ok(Some(tokens.open(query_id, token)?)),
    }
}

/// Cuts `items` (read in order, one more than a page if there are more) to `page_size`, and seals the
/// position of the page's last item when more follow.
fn cut<T>(
    tokens: &TokenSealer,
    query_id: &str,
    mut items: Vec<T>,
    page_size: usize,
    cursor: impl Fn(&T) -> Cursor,
) -> (Vec<T>, Option<String>) {
    let more = items.len() > page_size;
    items.truncate(page_size);
    let token = match (more, items.last()) {
        (true, Some(last)) => Some(tokens.seal(query_id, &cursor(last))),
        _ => None,
    };
    (items, token)
}

/// Reads one page through `fetch`.
pub async fn page<T, F, Fut>(
    service: &Service,
    scope: &Scope,
    request: &ListRequest<'_>,
    fetch: F,
) -> Result<Page<T>, ApiError>
where
    T: Listed,
    F: FnOnce(ListQuery) -> Fut,
    Fut: Future<Output = Result<Vec<T>, StoreError>>,
{
    let name_contains = request.name_contains.map(str::to_ascii_lowercase);
    let query_id = request.query_id(scope, name_contains.as_deref());
    let after = open_token(&service.tokens, &query_id, request.next_token)?;
    let page_size = page_size(request.max_results);
    let now = now_millis();
    let query = ListQuery {
        sort: request.sort,
        descending: request.descending,
        after,
        created_after: request.created.after,
        created_before: request.created.before,
        modified_after: request.modified.after,
        modified_before: request.modified.before,
        name_contains,
        limit: page_size + 1,
        now,
    };
    let items = fetch(query).await?;
    let settled = items.iter().all(|item| item.settled(now));
    let (items, next_token) = cut(&service.tokens, &query_id, items, page_size, |last| {
        let key = last.key();
        let sort = match request.sort {
            ListSort::CreationTime => SortValue::Time(last.created()),
            ListSort::LastModifiedTime => SortValue::Time(last.modified()),
            ListSort::Name => SortValue::Text(key.clone()),
        };
        Cursor { sort, key }
    });
    Ok(Page {
        items,
        next_token,
        now,
        settled,
    })
}

/// Keyset paging over items already in memory (an image's versions or aliases), each with its position
/// in the sort; `query` is every part of the request its tokens are sealed to.
pub fn page_in_memory<T>(
    tokens: &TokenSealer,
    query: &[&str],
    mut items: Vec<(Cursor, T)>,
    descending: bool,
    next_token: Option<&str>,
    max_results: Option<i32>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let query_id = fingerprint(query);
    let order = |a: &Cursor, b: &Cursor| {
        let by_sort = match (&a.sort, &b.sort) {
            (SortValue::Time(x), SortValue::Time(y)) => x.cmp(y),
            (SortValue::Text(x), SortValue::Text(y)) => x.cmp(y),
            (SortValue::Time(_), SortValue::Text(_)) => Ordering::Less,
            (SortValue::Text(_), SortValue::Time(_)) => Ordering::Greater,
        };
        let ordering = by_sort.then_with(|| a.key.cmp(&b.key));
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    };
    items.sort_by(|(a, _), (b, _)| order(a, b));
    if let Some(after) = open_token(tokens, &query_id, next_token)? {
        items.retain(|(cursor, _)| order(cursor, &after) == Ordering::Greater);
    }
    let (items, token) = cut(
        tokens,
        &query_id,
        items,
        page_size(max_results),
        |(cursor, _)| cursor.clone(),
    );
    Ok((items.into_iter().map(|(_, item)| item).collect(), token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ranges_are_inclusive_and_open_ended() {
        let range = TimeRange::new(Some(1.0), Some(2.5));
        assert_eq!(
            range,
            TimeRange {
                after: Some(1000),
                before: Some(2500)
            }
        );
        assert!(range.contains(1000) && range.contains(2500));
        assert!(!range.contains(999) && !range.contains(2501));
        assert!(TimeRange::default().contains(i64::MIN));
    }

    #[test]
    fn cache_keys_tell_requests_apart() {
        let scope = Scope {
            account_id: "000000000000".to_owned(),
            region: "us-east-1".to_owned(),
        };
        let request = |name_contains, next_token| ListRequest {
            operation: OperationName::ListImages,
            sort: ListSort::CreationTime,
            descending: true,
            created: TimeRange::default(),
            modified: TimeRange::default(),
            name_contains,
            next_token,
            max_results: None,
        };
        let keys = [
            request(None, None).cache_key(&scope),
            request(Some(""), None).cache_key(&scope),
            request(None, Some("")).cache_key(&scope),
            request(Some("a"), None).cache_key(&scope),
            request(None, Some("a")).cache_key(&scope),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
