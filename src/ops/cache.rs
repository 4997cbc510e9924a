//! Whole answers kept for reuse until the store changes: ListImages pages and DescribeImage answers.

use std::collections::HashMap;
use std::sync::RwLock;

use super::SerializedOutput;

/// Answers reusable while the store has not changed (see `Store::change_generation`). Only an answer
/// whose records are all settled is kept: it stays right as time passes, so only a change can make it
/// wrong, and a change moves the generation, after which the cache holds nothing older. Test suites that
/// poll a list or a description until it shows what they wait for are the reason for it.
pub struct AnswerCache {
    /// Most answers held; past it the cache starts over. 0 turns the cache off.
    capacity: usize,
    /// Read on every cached request from every worker, written only on a miss: readers share it.
    entries: RwLock<CachedAnswers>,
}

#[derive(Default)]
struct CachedAnswers {
    generation: u64,
    answers: HashMap<String, SerializedOutput>,
}

impl AnswerCache {
    pub fn new(capacity: usize) -> Self {
        AnswerCache {
            capacity,
            entries: RwLock::default(),
        }
    }

    /// The answer cached for `key` at `generation`, if any.
    pub fn get(&self, key: &str, generation: u64) -> Option<SerializedOutput> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        if entries.generation != generation {
            return None;
        }
        entries.answers.get(key).cloned()
    }

    /// Keeps `answer` for `key`, read at `generation` (taken before the read).
    pub fn put(&self, key: String, generation: u64, answer: &SerializedOutput) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> SerializedOutput {
        SerializedOutput::json(&text).expect("a string serializes")
    }

    fn text(answer: Option<SerializedOutput>) -> Option<String> {
        answer.map(|a| String::from_utf8_lossy(&a.into_bytes()).into_owned())
    }

    #[test]
    fn an_answer_is_reused_only_at_the_generation_it_was_read_at() {
        let cache = AnswerCache::new(8);
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
    fn a_cache_of_no_answers_keeps_nothing_and_a_full_one_starts_over() {
        let off = AnswerCache::new(0);
        off.put("k".into(), 1, &answer("one"));
        assert_eq!(text(off.get("k", 1)), None);
        let small = AnswerCache::new(2);
        for key in ["a", "b", "c"] {
            small.put(key.into(), 1, &answer(key));
        }
        assert_eq!(text(small.get("c", 1)), Some("\"c\"".into()));
        assert_eq!(text(small.get("a", 1)), None);
    }
}
