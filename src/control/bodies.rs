//! The bodies the control plane's endpoints take, read into types: any body that is not one is refused
//! with a ValidationException, and no body costs more than time linear in its size.

use serde::Deserialize;
use serde_json::Value;

use super::faults::{self, FaultRule, MAX_FAULT_RULES};
use super::state;
use crate::protocol::ApiError;

fn not_taken(e: serde_json::Error) -> ApiError {
    ApiError::Validation(format!(
        "The request body is not what this endpoint takes: {e}"
    ))
}

/// The body as `T`; an empty body, or `null`, is `T`'s default.
pub(super) fn parse_body<T: serde::de::DeserializeOwned + Default>(
    body: &[u8],
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    match serde_json::from_slice::<Value>(body).map_err(not_taken)? {
        Value::Null => Ok(T::default()),
        value => serde_json::from_value(value).map_err(not_taken),
    }
}

/// Account and region a control call acts in.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ScopeBody {
    pub account: Option<String>,
    pub region: Option<String>,
}

impl ScopeBody {
    pub fn check(&self) -> Result<(), ApiError> {
        if self
            .account
            .as_deref()
            .is_some_and(|a| !state::is_account_id(a))
        {
            return Err(ApiError::Validation(
                "account must be 12 digits.".to_owned(),
            ));
        }
        if self.region.as_deref().is_some_and(|r| !state::is_region(r)) {
            return Err(ApiError::Validation(
                "region must be lower-case letters, digits and dashes.".to_owned(),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct OutcomeBody {
    pub operation: String,
    pub image_name: Option<String>,
    pub count: Option<i64>,
    pub action: String,
    pub failure_reason: Option<String>,
    #[serde(flatten)]
    pub scope: ScopeBody,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ReleaseBody {
    pub image_name: String,
    #[serde(flatten)]
    pub scope: ScopeBody,
}

/// A single rule or a list of them, as LocalStack's chaos API takes either.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    Many(Vec<FaultRule>),
    One(FaultRule),
}

impl OneOrMany {
    /// The rules of a fault call's body, checked; more than [`MAX_FAULT_RULES`] are refused before they
    /// are typed.
    pub(super) fn parse(body: &[u8]) -> Result<Vec<FaultRule>, ApiError> {
        let value: Value = parse_body(body)?;
        match &value {
            Value::Null => return Ok(Vec::new()),
            Value::Array(items) if items.len() > MAX_FAULT_RULES => {
                return Err(faults::too_many_rules(items.len()))
            }
            _ => {}
        }
        let rules: OneOrMany = serde_json::from_value(value).map_err(not_taken)?;
        rules.checked()
    }

    fn checked(self) -> Result<Vec<FaultRule>, ApiError> {
        let rules = match self {
            OneOrMany::Many(rules) => rules,
            OneOrMany::One(rule) => vec![rule],
        };
        rules.iter().try_for_each(FaultRule::check)?;
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn more_rules_than_the_limit_are_refused_before_they_are_typed() {
        let body = format!("[{}{{}}]", "{},".repeat(MAX_FAULT_RULES));
        let refused = OneOrMany::parse(body.as_bytes()).unwrap_err();
        assert_eq!(refused.code(), "ResourceLimitExceeded");
        assert!(
            refused.message().contains("at most 1000 fault rules"),
            "{}",
            refused.message()
        );
        let one = OneOrMany::parse(br#"{"operation": "A"}"#).expect("one rule");
        assert_eq!(one.len(), 1);
    }

    /// Every body parser on any bytes: an answer, never a panic.
    fn parse_all(body: &[u8]) {
        let _ = OneOrMany::parse(body);
        let _ = parse_body::<ScopeBody>(body).map(|scope| scope.check());
        let _ = parse_body::<OutcomeBody>(body);
        let _ = parse_body::<ReleaseBody>(body);
        let _ = parse_body::<faults::Effects>(body);
        let _ = parse_body::<std::collections::HashMap<String, String>>(body);
    }

    proptest! {
        #[test]
        fn no_body_makes_a_parser_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            parse_all(&body);
        }

        #[test]
        fn no_json_body_makes_a_parser_panic(body in r#"[\[\]{}",:0-9a-zA-Z .eE+-]{0,200}"#) {
            parse_all(body.as_bytes());
        }
    }
}
