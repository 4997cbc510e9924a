//! What ListImages and ListAppImageConfigs share: filters, sort, page size and sealed keyset tokens.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use super::{millis, Answer, Service};
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

/// Answers to list requests, reusable while the store has not changed (see `Store::change_generation`).
/// An answer whose items are all settled stays right as time passes, so only a change can make it wrong;
/// a change moves the generation, and the cache then holds nothing older. Test suites that poll a list
/// until it shows what they wait for are the reason for it.
pub struct PageCache {
    /// Most answers held; past it the cache starts over. 0 turns the cache off.
    capacity: usize,
    entries: Mutex<CachedPages>,
}

#[derive(Default)]
struct CachedPages {
    generation: u64,
    answers: HashMap<String, Answer>,
}

impl PageCache {
    pub fn new(capacity: usize) -> Self {
        PageCache {
            capacity,
            entries: Mutex::default(),
        }
    }

    /// The answer cached for `key` at `generation`, if any.
    pub fn get(&self, key: &str, generation: u64) -> Option<Answer> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.generation != generation {
            return None;
        }
        entries.answers.get(key).cloned()
    }

    /// Keeps `answer` for `key`, read at `generation` (taken before the read).
    pub fn put(&self, key: String, generation: u64, answer: &Answer) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if generation != entries.generation {
            if generation < entries.generation {
                return;
            }
            entries.answers.clear();
            entries.generation = generation;
        }
        if entries.answers.len() >= self.capacity {
            entries.answers.clear();
        }
        entries.answers.insert(key, answer.clone());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> Answer {
        Answer::from(serde_json::Value::from(text))
    }

    fn text(answer: Option<Answer>) -> Option<String> {
        answer.map(|a| String::from_utf8_lossy(&a.into_bytes()).into_owned())
    }

    #[test]
    fn an_answer_is_reused_only_at_the_generation_it_was_read_at() {
        let cache = PageCache::new(8);
        cache.put("k".into(), 1, &answer("one"));
        assert_eq!(text(cache.get("k", 1)), Some("\"one\"".into()));
        assert_eq!(text(cache.get("k", 2)), None);
        assert_eq!(text(cache.get("other", 1)), None);
        // A read that began before a newer answer was kept does not displace it.
        cache.put("k".into(), 2, &answer("two"));
        cache.put("k".into(), 1, &answer("late"));
        assert_eq!(text(cache.get("k", 2)), Some("\"two\"".into()));
        assert_eq!(text(cache.get("k", 1)), None);
    }

    #[test]
    fn a_cache_of_no_pages_keeps_nothing_and_a_full_one_starts_over() {
        let off = PageCache::new(0);
        off.put("k".into(), 1, &answer("one"));
        assert_eq!(text(off.get("k", 1)), None);
        let small = PageCache::new(2);
        for key in ["a", "b", "c"] {
            small.put(key.into(), 1, &answer(key));
        }
        assert_eq!(text(small.get("c", 1)), Some("\"c\"".into()));
        assert_eq!(text(small.get("a", 1)), None);
    }
}
