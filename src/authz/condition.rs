//! The `Condition` element: its operators (the String, Numeric, Date, Bool, IpAddress, Arn and Null
//! families, `...IfExists`, and the `ForAllValues:` / `ForAnyValue:` set operators), read once with their
//! values, and tested against a request's [`Context`] as IAM's "Condition operators" page describes.
//!
//! A key the request lacks: the condition is false, except that a negated operator (`StringNotEquals`, …)
//! is true, `...IfExists` is true, `ForAllValues:` is true, and `Null` is what it tests.

use std::net::IpAddr;

use serde_json::Value as Json;

use super::arn::{ArnPattern, ArnPatternError};
use super::context::{Context, One};
use super::pattern::{Pattern, PatternError, Reading};

/// One test of a `Condition` block: an operator, a condition key, and the policy's values for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    operator: Operator,
    /// Lower case: condition key names are read without regard to case.
    key: String,
    values: Values,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Operator {
    test: Test,
    /// The `Not` form: true when no policy value matches.
    negated: bool,
    if_exists: bool,
    set: Set,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Set {
    /// No qualifier: any of the request's values matching is enough.
    Single,
    ForAllValues,
    ForAnyValue,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Test {
    StringEquals {
        ignore_case: bool,
    },
    StringLike,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    IpAddress,
    /// `ArnEquals` and `ArnLike` read alike: wildcards in each segment.
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn holds(self, request: f64, policy: f64) -> bool {
        match self {
            Comparison::Equal => request == policy,
            Comparison::Less => request < policy,
            Comparison::LessOrEqual => request <= policy,
            Comparison::Greater => request > policy,
            Comparison::GreaterOrEqual => request >= policy,
        }
    }
}

/// The policy's values for a key, read as its operator reads them.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    Strings(Vec<Pattern>),
    Numbers(Vec<f64>),
    /// Seconds since the epoch.
    Dates(Vec<f64>),
    Bools(Vec<bool>),
    Networks(Vec<Network>),
    Arns(Vec<ArnPattern>),
    /// `Null`'s one value: true tests that the key is absent.
    Absent(bool),
}

/// An IP address range: `203.0.113.0/24`, `2001:db8::/32`, or one address.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Network {
    address: IpAddr,
    prefix: u32,
}

impl Network {
    fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address.parse::<IpAddr>().ok()?, Some(prefix)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u32>().ok().filter(|p| *p <= bits)?,
            None => bits,
        };
        Some(Network { address, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let (network, address, bits) = match (self.address, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                (u128::from(n.to_bits()), u128::from(a.to_bits()), 32)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => (n.to_bits(), a.to_bits(), 128),
            _ => return false,
        };
        let shift = bits - self.prefix;
        shift >= bits || network >> shift == address >> shift
    }
}

/// What is wrong with a condition.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConditionError {
    #[error("'{0}' is not a condition operator this server supports")]
    UnknownOperator(String),
    #[error("operator '{0}' must map condition keys to values")]
    NotAnObject(String),
    #[error("'{operator}' of key '{key}': values must be strings, numbers or booleans")]
    NotAValue { operator: String, key: String },
    #[error("'{operator}' of key '{key}' has no value")]
    NoValues { operator: String, key: String },
    #[error("'{operator}' of key '{key}': '{value}' is not {expected}")]
    BadValue {
        operator: String,
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("'{0}' cannot be combined with IfExists, ForAllValues or ForAnyValue")]
    QualifiedNull(String),
    #[error("'{operator}' of key '{key}': {source}")]
    Pattern {
        operator: String,
        key: String,
        source: PatternError,
    },
    #[error("'{operator}' of key '{key}': {source}")]
    Arn {
        operator: String,
        key: String,
        source: ArnPatternError,
    },
}

fn operator(name: &str) -> Option<Operator> {
    let (set, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (Set::ForAllValues, rest)
    } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (Set::ForAnyValue, rest)
    } else {
        (Set::Single, name)
    };
    let (if_exists, base) = match rest.strip_suffix("IfExists") {
        Some(base) => (true, base),
        None => (false, rest),
    };
    use Comparison::*;
    let (test, negated) = match base {
        "StringEquals" => (Test::StringEquals { ignore_case: false }, false),
        "StringNotEquals" => (Test::StringEquals { ignore_case: false }, true),
        "StringEqualsIgnoreCase" => (Test::StringEquals { ignore_case: true }, false),
        "StringNotEqualsIgnoreCase" => (Test::StringEquals { ignore_case: true }, true),
        "StringLike" => (Test::StringLike, false),
        "StringNotLike" => (Test::StringLike, true),
        "NumericEquals" => (Test::Numeric(Equal), false),
        "NumericNotEquals" => (Test::Numeric(Equal), true),
        "NumericLessThan" => (Test::Numeric(Less), false),
        "NumericLessThanEquals" => (Test::Numeric(LessOrEqual), false),
        "NumericGreaterThan" => (Test::Numeric(Greater), false),
        "NumericGreaterThanEquals" => (Test::Numeric(GreaterOrEqual), false),
        "DateEquals" => (Test::Date(Equal), false),
        "DateNotEquals" => (Test::Date(Equal), true),
        "DateLessThan" => (Test::Date(Less), false),
        "DateLessThanEquals" => (Test::Date(LessOrEqual), false),
        "DateGreaterThan" => (Test::Date(Greater), false),
        "DateGreaterThanEquals" => (Test::Date(GreaterOrEqual), false),
        "Bool" => (Test::Bool, false),
        "IpAddress" => (Test::IpAddress, false),
        "NotIpAddress" => (Test::IpAddress, true),
        "ArnEquals" | "ArnLike" => (Test::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Test::Arn, true),
        "Null" => (Test::Null, false),
        _ => return None,
    };
    Some(Operator {
        test,
        negated,
        if_exists,
        set,
    })
}

/// A date as IAM reads one: ISO 8601 (a date, or a date and time with its offset) or seconds since the
/// epoch; in seconds since the epoch.
fn parse_date(text: &str) -> Option<f64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds as f64);
    }
    if let Ok(time) = time::OffsetDateTime::parse(text, &Rfc3339) {
        return Some(time.unix_timestamp_nanos() as f64 / 1e9);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format)
        .ok()
        .map(|date| date.midnight().assume_utc().unix_timestamp() as f64)
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

impl Condition {
    /// Reads one operator's object of `{ key: value or [values] }` into its conditions.
    pub fn parse_block(
        name: &str,
        keys: &Json,
        variables: bool,
    ) -> Result<Vec<Condition>, ConditionError> {
        let operator =
            operator(name).ok_or_else(|| ConditionError::UnknownOperator(name.to_owned()))?;
        if operator.test == Test::Null && (operator.if_exists || operator.set != Set::Single) {
            return Err(ConditionError::QualifiedNull(name.to_owned()));
        }
        let Json::Object(keys) = keys else {
            return Err(ConditionError::NotAnObject(name.to_owned()));
        };
        keys.iter()
            .map(|(key, values)| Condition::parse_one(name, operator, key, values, variables))
            .collect()
    }

    fn parse_one(
        name: &str,
        operator: Operator,
        key: &str,
        given: &Json,
        variables: bool,
    ) -> Result<Condition, ConditionError> {
        let texts = match given {
            Json::Array(items) => items.iter().map(json_text).collect::<Option<Vec<_>>>(),
            single => json_text(single).map(|text| vec![text]),
        }
        .ok_or_else(|| ConditionError::NotAValue {
            operator: name.to_owned(),
            key: key.to_owned(),
        })?;
        if texts.is_empty() {
            return Err(ConditionError::NoValues {
                operator: name.to_owned(),
                key: key.to_owned(),
            });
        }
        let bad = |value: &str, expected| ConditionError::BadValue {
            operator: name.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
            expected,
        };
        fn each<T>(
            texts: &[String],
            read: impl Fn(&str) -> Result<T, ConditionError>,
        ) -> Result<Vec<T>, ConditionError> {
            texts.iter().map(|text| read(text)).collect()
        }
        let values = match operator.test {
            Test::StringEquals { .. } | Test::StringLike => {
                let reading = Reading {
                    wildcards: operator.test == Test::StringLike,
                    variables,
                };
                Values::Strings(each(&texts, |text| {
                    Pattern::parse(text, reading).map_err(|source| ConditionError::Pattern {
                        operator: name.to_owned(),
                        key: key.to_owned(),
                        source,
                    })
                })?)
            }
            Test::Numeric(_) => Values::Numbers(each(&texts, |text| {
                text.parse::<f64>().map_err(|_| bad(text, "a number"))
            })?),
            Test::Date(_) => Values::Dates(each(&texts, |text| {
                parse_date(text).ok_or_else(|| bad(text, "a date (ISO 8601 or epoch seconds)"))
            })?),
            Test::Bool => Values::Bools(each(&texts, |text| {
                parse_bool(text).ok_or_else(|| bad(text, "true or false"))
            })?),
            Test::IpAddress => Values::Networks(each(&texts, |text| {
                Network::parse(text).ok_or_else(|| bad(text, "an IP address or CIDR range"))
            })?),
            Test::Arn => Values::Arns(each(&texts, |text| {
                ArnPattern::parse(text, variables).map_err(|source| ConditionError::Arn {
                    operator: name.to_owned(),
                    key: key.to_owned(),
                    source,
                })
            })?),
            Test::Null => match texts.as_slice() {
                [one] => Values::Absent(parse_bool(one).ok_or_else(|| bad(one, "true or false"))?),
                _ => return Err(bad(&texts.join(", "), "one value, true or false")),
            },
        };
        Ok(Condition {
            operator,
            key: key.to_ascii_lowercase(),
            values,
        })
    }

    /// The condition key this condition tests (lower case).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The condition keys of the policy variables in its values.
    pub fn variable_keys(&self) -> Vec<&str> {
        match &self.values {
            Values::Strings(patterns) => patterns.iter().flat_map(Pattern::variable_keys).collect(),
            Values::Arns(patterns) => patterns
                .iter()
                .flat_map(ArnPattern::variable_keys)
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn holds(&self, context: &Context) -> bool {
        let operator = self.operator;
        let Some(value) = context.get(&self.key) else {
            return match (&self.values, operator.set) {
                (Values::Absent(absent), _) => *absent,
                _ if operator.if_exists => true,
                (_, Set::ForAllValues) => true,
                (_, Set::ForAnyValue) => false,
                (_, Set::Single) => operator.negated,
            };
        };
        if let Values::Absent(absent) = self.values {
            return !absent;
        }
        // Whether one request value matches one of the policy's values, in the operator's own sense.
        let matches =
            |index: usize| self.matches_any(value.nth(index), context) != operator.negated;
        let count = value.count();
        match operator.set {
            Set::ForAllValues => (0..count).all(matches),
            Set::ForAnyValue => (0..count).any(matches),
            // A negated operator holds when no request value matches any policy value.
            Set::Single if operator.negated => (0..count).all(matches),
            Set::Single => (0..count).any(matches),
        }
    }

    /// Whether one request value matches any of the policy's values.
    fn matches_any(&self, one: One<'_>, context: &Context) -> bool {
        match (&self.values, self.operator.test) {
            (Values::Strings(patterns), test) => {
                let ignore_case = test == Test::StringEquals { ignore_case: true };
                let text = one.text();
                patterns
                    .iter()
                    .any(|p| p.matches(&text, ignore_case, context))
            }
            (Values::Numbers(numbers), Test::Numeric(comparison)) => one
                .text()
                .parse::<f64>()
                .is_ok_and(|n| numbers.iter().any(|p| comparison.holds(n, *p))),
            (Values::Dates(dates), Test::Date(comparison)) => one
                .seconds(parse_date)
                .is_some_and(|s| dates.iter().any(|p| comparison.holds(s, *p))),
            (Values::Bools(bools), _) => {
                one.boolean(parse_bool).is_some_and(|b| bools.contains(&b))
            }
            (Values::Networks(networks), _) => one
                .ip()
                .is_some_and(|ip| networks.iter().any(|n| n.contains(ip))),
            (Values::Arns(arns), _) => {
                let text = one.text();
                arns.iter().any(|p| p.matches(&text, context))
            }
            _ => false,
        }
    }
}

/// A JSON condition value as text: IAM reads numbers and booleans as their text.
fn json_text(value: &Json) -> Option<String> {
    match value {
        Json::String(text) => Some(text.clone()),
        Json::Number(number) => Some(number.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
#[path = "condition_tests.rs"]
mod tests;
