//! What the generated readers (`generated.rs`) call: each checks one JSON value against one shape's
//! constraints the way AWS does. A value of the wrong JSON type ends the read at once
//! (`RequestError::WrongType`: SerializationException); a broken constraint is recorded and the read goes on,
//! so that one `RequestError::Invalid` lists every one, in the model's member order, in AWS's words
//! ("Value ... at '...' failed to satisfy constraint: ..."). Unknown members are ignored and `null` counts
//! as absent, as AWS's deserializer does.

use std::fmt;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::pattern;

/// Why a request body is not a valid input of its operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A value of the wrong JSON type: the first one met.
    #[error("Value at '{path}' must be {expected}.")]
    WrongType {
        path: String,
        expected: &'static str,
    },
    /// Every broken constraint, each worded as AWS words it.
    #[error("{}", Violations(.0))]
    Invalid(Vec<String>),
    /// `X-Amz-Target` names no operation of the model.
    #[error("'{0}' is not an operation of the model")]
    UnknownOperation(String),
}

struct Violations<'a>(&'a [String]);

impl fmt::Display for Violations<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [one] => write!(f, "1 validation error detected: {one}"),
            many => write!(
                f,
                "{} validation errors detected: {}",
                many.len(),
                many.join("; ")
            ),
        }
    }
}

/// Where a value sits in the request, as AWS names it in a message (`tags.2.member.key`). Built on the
/// stack as the reader descends, and formatted only for a message.
#[derive(Clone, Copy)]
pub enum Path<'a> {
    Root,
    /// A member of a structure, named with its first letter in lower case.
    Member(&'a Path<'a>, &'static str),
    /// A list item, counted from 1.
    Item(&'a Path<'a>, usize),
    Key(&'a Path<'a>, &'a str),
    Value(&'a Path<'a>, &'a str),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Member(Path::Root, member) => f.write_str(member),
            Path::Member(parent, member) => write!(f, "{parent}.{member}"),
            Path::Item(parent, index) => write!(f, "{parent}.{index}.member"),
            Path::Key(parent, key) => write!(f, "{parent}.{key}.key"),
            Path::Value(parent, key) => write!(f, "{parent}.{key}.value"),
        }
    }
}

/// A model pattern, compiled on first use.
pub struct Pattern {
    source: &'static str,
    /// As AWS quotes it in a message.
    shown: &'static str,
    compiled: OnceLock<Option<fancy_regex::Regex>>,
}

impl Pattern {
    pub const fn new(source: &'static str, shown: &'static str) -> Pattern {
        Pattern {
            source,
            shown,
            compiled: OnceLock::new(),
        }
    }

    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Whether `text` matches the whole pattern. A pattern that does not compile (a test compiles every
    /// one) or that is too costly to evaluate counts as a mismatch rather than an error.
    pub fn matches(&self, text: &str) -> bool {
        self.compiled
            .get_or_init(|| pattern::compile(self.source).ok())
            .as_ref()
            .is_some_and(|regex| regex.is_match(text).unwrap_or(false))
    }
}

/// A shape the generated code reads from JSON.
pub trait Read: Sized {
    /// Reads a value of this shape at `path`; `None` when a broken constraint (recorded in `reader`)
    /// leaves no value to give.
    fn read(
        value: &Value,
        path: &Path<'_>,
        reader: &mut Reader,
    ) -> Result<Option<Self>, RequestError>;
}

/// Reads `value` whole as a `T`, checking every constraint of the model on the way.
pub fn from_json<T: Read>(value: &Value) -> Result<T, RequestError> {
    let mut reader = Reader::default();
    let read = T::read(value, &Path::Root, &mut reader)?;
    reader.finish(read)
}

/// A string shape's constraints.
pub struct StringRule {
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub pattern: Option<&'static Pattern>,
    pub one_of: Option<&'static [&'static str]>,
}

/// An integer shape's constraints.
pub struct IntegerRule {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// Whether a structure's member must be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
}

/// The constraints broken so far in one request.
#[derive(Default)]
pub struct Reader {
    violations: Vec<String>,
}

/// How AWS prints a value inside a validation message (Java's `toString` of the deserialized value).
pub(super) fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}={}", render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn wrong_type(path: &Path<'_>, expected: &'static str) -> RequestError {
    RequestError::WrongType {
        path: path.to_string(),
        expected,
    }
}

impl Reader {
    /// The read value, or every broken constraint. A reader that recorded none always has a value.
    pub fn finish<T>(self, read: Option<T>) -> Result<T, RequestError> {
        match read {
            Some(value) if self.violations.is_empty() => Ok(value),
            _ => Err(RequestError::Invalid(self.violations)),
        }
    }

    /// A member of a structure; `null` is absent.
    pub fn member<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
        object.get(name).filter(|value| !value.is_null())
    }

    fn violation(&mut self, shown: impl fmt::Display, path: &Path<'_>, constraint: fmt::Arguments) {
        self.violations.push(format!(
            "Value '{shown}' at '{path}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// Reads member `key` of a structure at `path` with `read`, and notes in `complete` whether the
    /// structure can still be given whole: an absent member is `None` (and a broken constraint when it is
    /// required); a present one is whatever `read` gives.
    pub fn read_member<T>(
        &mut self,
        (object, key): (&Map<String, Value>, &str),
        path: &Path<'_>,
        presence: Presence,
        complete: &mut bool,
        read: impl FnOnce(&mut Reader, &Value, &Path<'_>) -> Result<Option<T>, RequestError>,
    ) -> Result<Option<T>, RequestError> {
        let read = match Self::member(object, key) {
            Some(value) => read(self, value, path)?,
            None => {
                if presence == Presence::Optional {
                    return Ok(None);
                }
                self.missing(path);
                None
            }
        };
        *complete &= read.is_some();
        Ok(read)
    }

    pub fn missing(&mut self, path: &Path<'_>) {
        self.violations.push(format!(
            "Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ));
    }

    pub fn structure<'v>(
        &mut self,
        value: &'v Value,
        path: &Path<'_>,
    ) -> Result<&'v Map<String, Value>, RequestError> {
        value
            .as_object()
            .ok_or_else(|| wrong_type(path, "a structure"))
    }

    pub fn list<'v>(
        &mut self,
        value: &'v Value,
        path: &Path<'_>,
    ) -> Result<&'v [Value], RequestError> {
        value
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| wrong_type(path, "a list"))
    }

    pub fn map<'v>(
        &mut self,
        value: &'v Value,
        path: &Path<'_>,
    ) -> Result<&'v Map<String, Value>, RequestError> {
        value.as_object().ok_or_else(|| wrong_type(path, "a map"))
    }

    /// A list item may not be `null`.
    pub fn not_null(&mut self, item: &Value, path: &Path<'_>) -> Result<(), RequestError> {
        match item {
            Value::Null => Err(wrong_type(path, "a value, not null")),
            _ => Ok(()),
        }
    }

    /// The count of a list or map against its bounds.
    pub fn length(
        &mut self,
        value: &Value,
        path: &Path<'_>,
        count: usize,
        min: Option<i64>,
        max: Option<i64>,
    ) {
        self.check_length(|| render(value), path, count, min, max);
    }

    fn check_length(
        &mut self,
        shown: impl Fn() -> String,
        path: &Path<'_>,
        count: usize,
        min: Option<i64>,
        max: Option<i64>,
    ) -> bool {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        let mut kept = true;
        if let Some(min) = min.filter(|min| count < *min) {
            self.violation(
                shown(),
                path,
                format_args!("Member must have length greater than or equal to {min}"),
            );
            kept = false;
        }
        if let Some(max) = max.filter(|max| count > *max) {
            self.violation(
                shown(),
                path,
                format_args!("Member must have length less than or equal to {max}"),
            );
            kept = false;
        }
        kept
    }

    /// A string value checked against `rule`; `None` when it breaks a constraint.
    pub fn string<'v>(
        &mut self,
        value: &'v Value,
        path: &Path<'_>,
        rule: &StringRule,
    ) -> Result<Option<&'v str>, RequestError> {
        let Value::String(text) = value else {
            return Err(wrong_type(path, "a string"));
        };
        Ok(self.key(text, path, rule).then_some(text.as_str()))
    }

    /// A string already known to be one (a map's key) checked against `rule`; whether it meets it.
    pub fn key(&mut self, text: &str, path: &Path<'_>, rule: &StringRule) -> bool {
        let mut kept = self.check_length(
            || text.to_owned(),
            path,
            text.chars().count(),
            rule.min,
            rule.max,
        );
        if let Some(pattern) = rule.pattern {
            if !pattern.matches(text) {
                self.violation(
                    text,
                    path,
                    format_args!(
                        "Member must satisfy regular expression pattern: {}",
                        pattern.shown
                    ),
                );
                kept = false;
            }
        }
        if let Some(allowed) = rule.one_of {
            if !allowed.contains(&text) {
                self.violation(
                    text,
                    path,
                    format_args!(
                        "Member must satisfy enum value set: [{}]",
                        allowed.join(", ")
                    ),
                );
                kept = false;
            }
        }
        kept
    }

    /// A Java `int`: a whole number within 32 bits, then the shape's bounds.
    pub fn integer(
        &mut self,
        value: &Value,
        path: &Path<'_>,
        rule: &IntegerRule,
    ) -> Result<i32, RequestError> {
        let number = value
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| wrong_type(path, "an integer"))?;
        self.bounds(value, path, i64::from(number), rule);
        Ok(number)
    }

    /// A Java `long`, then the shape's bounds.
    pub fn long(
        &mut self,
        value: &Value,
        path: &Path<'_>,
        rule: &IntegerRule,
    ) -> Result<i64, RequestError> {
        let number = value
            .as_i64()
            .ok_or_else(|| wrong_type(path, "a long integer"))?;
        self.bounds(value, path, number, rule);
        Ok(number)
    }

    fn bounds(&mut self, value: &Value, path: &Path<'_>, number: i64, rule: &IntegerRule) {
        if let Some(min) = rule.min.filter(|min| number < *min) {
            self.violation(
                value,
                path,
                format_args!("Member must have value greater than or equal to {min}"),
            );
        }
        if let Some(max) = rule.max.filter(|max| number > *max) {
            self.violation(
                value,
                path,
                format_args!("Member must have value less than or equal to {max}"),
            );
        }
    }

    pub fn boolean(&mut self, value: &Value, path: &Path<'_>) -> Result<bool, RequestError> {
        value.as_bool().ok_or_else(|| wrong_type(path, "a boolean"))
    }

    /// Epoch seconds, possibly fractional.
    pub fn timestamp(&mut self, value: &Value, path: &Path<'_>) -> Result<f64, RequestError> {
        value
            .as_f64()
            .filter(|seconds| seconds.is_finite())
            .ok_or_else(|| wrong_type(path, "a timestamp in epoch seconds"))
    }
}
