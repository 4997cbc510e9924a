//! Faults on demand, in the shape of LocalStack's chaos API: rules that answer chosen operations with a
//! chosen AWS error, with a probability or for the next N calls, and a latency added to every call. Kept in
//! this process's memory: on PostgreSQL each process has its own rules.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::SIGNING_NAME;
use crate::protocol::ApiError;

/// One rule. Every member but `error` narrows which calls it matches; absent means any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Chance, from 0 to 1, that a matching call fails (1 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// The rule fails this many more calls, then is spent; unlimited when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<FaultError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `{"latency": ms}`: added to every API call while set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Effects {
    #[serde(default)]
    pub latency: u64,
}

impl FaultRule {
    pub fn check(&self) -> Result<(), ApiError> {
        let invalid = |m: &str| Err(ApiError::Validation(format!("Fault rule {m}.")));
        if self.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
            return invalid("probability must be between 0 and 1");
        }
        if let Some(error) = &self.error {
            if error.status_code.is_some_and(|s| !(400..=599).contains(&s)) {
                return invalid("error statusCode must be from 400 to 599");
            }
            let plain = |c: &str| {
                !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
            };
            if error.code.as_deref().is_some_and(|c| !plain(c)) {
                return invalid("error code must be letters, digits and dots");
            }
        }
        Ok(())
    }

    fn matches(&self, operation: &str, region: &str) -> bool {
        self.count != Some(0)
            && self
                .service
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case(SIGNING_NAME))
            && self.region.as_deref().is_none_or(|r| r == region)
            && self.operation.as_deref().is_none_or(|o| o == operation)
    }

    /// The error this rule answers with. Without one, LocalStack's default: 503 ServiceUnavailable.
    fn answer(&self) -> ApiError {
        let error = self.error.clone().unwrap_or(FaultError {
            status_code: None,
            code: None,
            message: None,
        });
        let code = error
            .code
            .unwrap_or_else(|| "ServiceUnavailable".to_owned());
        let status = error.status_code.unwrap_or(match code.as_str() {
            "InternalFailure" | "InternalServerError" => 500,
            "ServiceUnavailable" => 503,
            _ => 400,
        });
        let message = error.message.unwrap_or_else(|| match code.as_str() {
            "ThrottlingException" => "Rate exceeded".to_owned(),
            _ => format!("{code}: failing as a fault rule of this server asks."),
        });
        ApiError::Injected {
            code,
            status,
            message,
        }
    }
}

#[derive(Default)]
struct State {
    rules: Vec<FaultRule>,
    effects: Effects,
}

/// The rules and effects of this process.
#[derive(Default)]
pub struct Faults {
    /// False while there is nothing to apply, so that a call need not take the lock.
    active: AtomicBool,
    state: Mutex<State>,
}

impl Faults {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let result = f(&mut state);
        let active = !state.rules.is_empty() || state.effects.latency > 0;
        self.active.store(active, Ordering::Relaxed);
        result
    }

    pub fn rules(&self) -> Vec<FaultRule> {
        self.with(|s| s.rules.clone())
    }

    pub fn replace(&self, rules: Vec<FaultRule>) {
        self.with(|s| s.rules = rules);
    }

    pub fn add(&self, rules: Vec<FaultRule>) {
        self.with(|s| s.rules.extend(rules));
    }

    /// Removes each rule equal to one given (a spent count aside); all of them when none is given.
    pub fn remove(&self, rules: &[FaultRule]) {
        self.with(|s| {
            if rules.is_empty() {
                s.rules.clear();
            } else {
                let same = |a: &FaultRule, b: &FaultRule| {
                    FaultRule {
                        count: None,
                        ..a.clone()
                    } == FaultRule {
                        count: None,
                        ..b.clone()
                    }
                };
                s.rules.retain(|kept| !rules.iter().any(|r| same(kept, r)));
            }
        });
    }

    pub fn effects(&self) -> Effects {
        self.with(|s| s.effects.clone())
    }

    pub fn set_effects(&self, effects: Effects) {
        self.with(|s| s.effects = effects);
    }

    pub fn clear(&self) {
        self.with(|s| *s = State::default());
    }

    /// What happens to this call: a delay, and the error of the first matching rule that fires.
    pub fn draw(&self, operation: &str, region: &str) -> (Option<Duration>, Option<ApiError>) {
        if !self.active.load(Ordering::Relaxed) {
            return (None, None);
        }
        self.with(|s| {
            let delay = (s.effects.latency > 0).then(|| Duration::from_millis(s.effects.latency));
            let fired = s.rules.iter_mut().find(|rule| {
                rule.matches(operation, region)
                    && rule.probability.is_none_or(|p| fastrand::f64() < p)
            });
            let error = fired.map(|rule| {
                if let Some(count) = &mut rule.count {
                    *count -= 1;
                }
                rule.answer()
            });
            s.rules.retain(|rule| rule.count != Some(0));
            (delay, error)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> FaultRule {
        serde_json::from_str(json).expect("a rule")
    }

    #[test]
    fn a_counted_rule_fails_exactly_that_many_matching_calls() {
        let faults = Faults::default();
        faults.add(vec![rule(
            r#"{"operation": "DescribeImage", "count": 2, "error": {"code": "ThrottlingException"}}"#,
        )]);
        assert!(faults.draw("ListImages", "us-east-1").1.is_none());
        for _ in 0..2 {
            let error = faults
                .draw("DescribeImage", "us-east-1")
                .1
                .expect("a fault");
            assert_eq!(
                (error.code(), error.status().as_u16(), error.message()),
                ("ThrottlingException", 400, "Rate exceeded")
            );
        }
        assert!(faults.draw("DescribeImage", "us-east-1").1.is_none());
        assert!(faults.rules().is_empty(), "a spent rule is removed");
    }

    #[test]
    fn rules_narrow_by_service_region_and_operation() {
        let cases = [
            (
                r#"{"service": "sagemaker"}"#,
                "CreateImage",
                "us-east-1",
                true,
            ),
            (r#"{"service": "s3"}"#, "CreateImage", "us-east-1", false),
            (
                r#"{"region": "eu-west-1"}"#,
                "CreateImage",
                "us-east-1",
                false,
            ),
            (
                r#"{"region": "eu-west-1"}"#,
                "CreateImage",
                "eu-west-1",
                true,
            ),
            (
                r#"{"operation": "DeleteImage"}"#,
                "CreateImage",
                "us-east-1",
                false,
            ),
            (r#"{"probability": 0}"#, "CreateImage", "us-east-1", false),
        ];
        for (json, operation, region, fires) in cases {
            let faults = Faults::default();
            faults.replace(vec![rule(json)]);
            assert_eq!(faults.draw(operation, region).1.is_some(), fires, "{json}");
        }
    }

    #[test]
    fn the_default_error_is_localstacks() {
        let faults = Faults::default();
        faults.replace(vec![rule("{}")]);
        let error = faults.draw("CreateImage", "us-east-1").1.expect("a fault");
        assert_eq!(
            (error.code(), error.status().as_u16()),
            ("ServiceUnavailable", 503)
        );
    }

    #[test]
    fn invalid_rules_are_refused() {
        for json in [
            r#"{"probability": 1.5}"#,
            r#"{"error": {"statusCode": 200}}"#,
            r#"{"error": {"code": "Bad Code"}}"#,
        ] {
            assert_eq!(
                rule(json).check().unwrap_err().code(),
                "ValidationException",
                "{json}"
            );
        }
    }

    #[test]
    fn removal_matches_rules_and_nothing_is_active_after_clearing() {
        let faults = Faults::default();
        faults.replace(vec![
            rule(r#"{"operation": "A"}"#),
            rule(r#"{"operation": "B", "count": 3}"#),
        ]);
        faults.remove(&[rule(r#"{"operation": "B"}"#)]);
        assert_eq!(faults.rules(), vec![rule(r#"{"operation": "A"}"#)]);
        faults.set_effects(Effects { latency: 5 });
        faults.clear();
        assert_eq!(faults.draw("A", "r"), (None, None));
    }
}
