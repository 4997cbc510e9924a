//! A request's condition keys and their values: what `Condition` elements and policy variables read.

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::SystemTime;

use super::pattern::Lookup;

/// One key's value, kept in the type it has, and read as the operator that tests it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    /// A multivalued key (`aws:TagKeys`).
    List(Vec<String>),
    Time(SystemTime),
    Ip(IpAddr),
    Bool(bool),
}

impl Value {
    /// The values as text, as the String operators compare them.
    pub fn texts(&self) -> Vec<Cow<'_, str>> {
        match self {
            Value::Text(text) => vec![Cow::Borrowed(text.as_str())],
            Value::List(list) => list.iter().map(|t| Cow::Borrowed(t.as_str())).collect(),
            Value::Time(time) => vec![Cow::Owned(rfc3339(*time))],
            Value::Ip(ip) => vec![Cow::Owned(ip.to_string())],
            Value::Bool(b) => vec![Cow::Borrowed(if *b { "true" } else { "false" })],
        }
    }
}

fn rfc3339(time: SystemTime) -> String {
    time::OffsetDateTime::from(time)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The condition keys of one request. Keys are kept in lower case: IAM reads condition key names without
/// regard to case.
#[derive(Debug, Clone, Default)]
pub struct Context {
    entries: Vec<(Cow<'static, str>, Value)>,
}

impl Context {
    /// Sets `key` (lower case) to `value`.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: Value) {
        let key = key.into();
        debug_assert_eq!(key, key.to_ascii_lowercase());
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value)
    }
}

impl Lookup for Context {
    fn single(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::Text(text) => Some(text),
            Value::Bool(b) => Some(if *b { "true" } else { "false" }),
            _ => None,
        }
    }
}
