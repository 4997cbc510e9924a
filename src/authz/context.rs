//! A request's condition keys and their values: what `Condition` elements and policy variables read.
//!
//! Values borrow from the principal and the request where they can, and keep their type (a time, an
//! address, a flag), so that building a context and testing it allocates little: it is done for every
//! request of a key with policies.

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use super::pattern::Lookup;

/// One key's value, kept in the type it has, and read as the operator that tests it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Text(Cow<'a, str>),
    /// A multivalued key (`aws:TagKeys`).
    List(Vec<Cow<'a, str>>),
    Time(SystemTime),
    Ip(IpAddr),
    Bool(bool),
}

/// One of a key's values, as an operator tests it.
#[derive(Debug, Clone, Copy)]
pub enum One<'v> {
    Text(&'v str),
    Time(SystemTime),
    Ip(IpAddr),
    Bool(bool),
}

impl Value<'_> {
    /// How many values the key has.
    pub fn count(&self) -> usize {
        match self {
            Value::List(list) => list.len(),
            _ => 1,
        }
    }

    /// The `index`th value (the only one, but for a list).
    pub fn nth(&self, index: usize) -> One<'_> {
        match self {
            Value::Text(text) => One::Text(text),
            Value::List(list) => One::Text(list.get(index).map_or("", |text| text)),
            Value::Time(time) => One::Time(*time),
            Value::Ip(ip) => One::Ip(*ip),
            Value::Bool(b) => One::Bool(*b),
        }
    }
}

impl<'v> One<'v> {
    /// As text, as the String and Arn operators compare it.
    pub fn text(self) -> Cow<'v, str> {
        match self {
            One::Text(text) => Cow::Borrowed(text),
            One::Time(time) => Cow::Owned(
                time::OffsetDateTime::from(time)
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            ),
            One::Ip(ip) => Cow::Owned(ip.to_string()),
            One::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
        }
    }

    /// As seconds since the epoch, as the Date operators compare it; text is read with `parse`.
    pub fn seconds(self, parse: impl Fn(&str) -> Option<f64>) -> Option<f64> {
        match self {
            One::Time(time) => time
                .duration_since(UNIX_EPOCH)
                .ok()
                .map(|d| d.as_secs_f64()),
            other => parse(&other.text()),
        }
    }

    pub fn ip(self) -> Option<IpAddr> {
        match self {
            One::Ip(ip) => Some(ip),
            other => other.text().parse().ok(),
        }
    }

    /// As a flag, as `Bool` compares it; text is read with `parse`.
    pub fn boolean(self, parse: impl Fn(&str) -> Option<bool>) -> Option<bool> {
        match self {
            One::Bool(b) => Some(b),
            other => parse(&other.text()),
        }
    }
}

/// The condition keys of one request. Keys are kept in lower case: IAM reads condition key names without
/// regard to case.
#[derive(Debug, Clone, Default)]
pub struct Context<'a> {
    entries: Vec<(Cow<'static, str>, Value<'a>)>,
}

impl<'a> Context<'a> {
    /// An empty context with room for `keys` keys, so that a request's context is one allocation.
    pub fn with_capacity(keys: usize) -> Context<'a> {
        Context {
            entries: Vec::with_capacity(keys),
        }
    }

    /// Adds `key` (lower case), which the context does not have yet.
    pub fn insert_new(&mut self, key: &'static str, value: Value<'a>) {
        debug_assert!(self.get(key).is_none(), "{key} is set already");
        self.entries.push((Cow::Borrowed(key), value));
    }

    /// Sets `key` (lower case) to `value`.
    pub fn insert(&mut self, key: impl Into<Cow<'static, str>>, value: Value<'a>) {
        let key = key.into();
        debug_assert_eq!(key, key.to_ascii_lowercase());
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value)
    }
}

impl Lookup for Context<'_> {
    fn single(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::Text(text) => Some(text),
            Value::Bool(b) => Some(if *b { "true" } else { "false" }),
            _ => None,
        }
    }
}
