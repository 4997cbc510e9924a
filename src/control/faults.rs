//! Faults on demand, in the shape of LocalStack's chaos API: rules that answer chosen operations with a
//! chosen AWS error, with a probability or for the next N calls, and a latency added to every call. Kept in
//! this process's memory: on PostgreSQL each process has its own rules.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::SIGNING_NAME;
use crate::model::{OperationName, Target};
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

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

/// The most fault rules kept at once. A call that would keep more is refused, whole.
pub const MAX_FAULT_RULES: usize = 1000;

pub(super) fn too_many_rules(kept: usize) -> ApiError {
    ApiError::ResourceLimitExceeded(format!(
        "A server keeps at most {MAX_FAULT_RULES} fault rules; this call would keep {kept}."
    ))
}

/// A stored rule: its count, if any, is a counter shared by every snapshot that holds the rule, so that a
/// call drawing from an older snapshot still spends it.
#[derive(Clone)]
struct Kept {
    rule: FaultRule,
    /// The rule's operation, typed once: `None` for any; `Some(None)` for a name that is none of the
    /// model's operations.
    operation: Option<Option<OperationName>>,
    remaining: Option<Arc<AtomicU64>>,
}

impl Kept {
    fn new(mut rule: FaultRule) -> Kept {
        let remaining = rule.count.take().map(|n| Arc::new(AtomicU64::new(n)));
        let operation = rule.operation.as_deref().map(OperationName::from_name);
        Kept {
            rule,
            operation,
            remaining,
        }
    }

    fn matches(&self, target: &Target, region: &str) -> bool {
        let rule = &self.rule;
        rule.service
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(SIGNING_NAME))
            && rule.region.as_deref().is_none_or(|r| r == region)
            // A name that is none of the model's operations matches no call.
            && self
                .operation
                .is_none_or(|named| named.is_some() && named == target.operation())
    }

    fn remaining(&self) -> Option<u64> {
        self.remaining.as_ref().map(|n| n.load(Ordering::Relaxed))
    }

    fn is_spent(&self) -> bool {
        self.remaining() == Some(0)
    }

    /// The rule as listed: with what is left of its count.
    fn shown(&self) -> FaultRule {
        FaultRule {
            count: self.remaining(),
            ..self.rule.clone()
        }
    }

    /// Spends one of the rule's count; false when none is left.
    fn spend(&self) -> bool {
        self.remaining.as_ref().is_none_or(|n| {
            n.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
        })
    }
}

/// What removal compares: a rule without its count. A probability is compared by value (-0 as 0).
#[derive(PartialEq, Eq, Hash)]
struct RuleKey<'a> {
    service: Option<&'a str>,
    region: Option<&'a str>,
    operation: Option<&'a str>,
    probability: Option<u64>,
    error: Option<&'a FaultError>,
}

impl FaultRule {
    fn key(&self) -> RuleKey<'_> {
        RuleKey {
            service: self.service.as_deref(),
            region: self.region.as_deref(),
            operation: self.operation.as_deref(),
            probability: self.probability.map(|p| (p + 0.0).to_bits()),
            error: self.error.as_ref(),
        }
    }
}

#[derive(Clone, Default)]
struct Snapshot {
    rules: Vec<Kept>,
    effects: Effects,
}

/// The rules and effects of this process. An API call reads the current snapshot (the lock is held only
/// to clone an `Arc`); a control call builds the next one aside and swaps it in whole, so that no API
/// call ever waits for control-plane work.
#[derive(Default)]
pub struct Faults {
    /// False while there is nothing to apply, so that a call need not read the snapshot.
    active: AtomicBool,
    current: RwLock<Arc<Snapshot>>,
    /// Control calls build their snapshots one at a time, so that none undoes another.
    writer: Mutex<()>,
}

impl Faults {
    fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Builds the next snapshot from the current one (spent rules left out) and swaps it in.
    fn update(
        &self,
        change: impl FnOnce(&mut Snapshot) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.snapshot();
        let mut next = Snapshot {
            rules: current
                .rules
                .iter()
                .filter(|k| !k.is_spent())
                .cloned()
                .collect(),
            effects: current.effects.clone(),
        };
        change(&mut next)?;
        if next.rules.len() > MAX_FAULT_RULES {
            return Err(too_many_rules(next.rules.len()));
        }
        let active = !next.rules.is_empty() || next.effects.latency > 0;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        self.active.store(active, Ordering::Relaxed);
        Ok(())
    }

    pub fn rules(&self) -> Vec<FaultRule> {
        let snapshot = self.snapshot();
        snapshot
            .rules
            .iter()
            .filter(|k| !k.is_spent())
            .map(Kept::shown)
            .collect()
    }

    pub fn replace(&self, rules: Vec<FaultRule>) -> Result<(), ApiError> {
        self.update(|s| {
            s.rules = rules.into_iter().map(Kept::new).collect();
            Ok(())
        })
    }

    pub fn add(&self, rules: Vec<FaultRule>) -> Result<(), ApiError> {
        self.update(|s| {
            s.rules.extend(rules.into_iter().map(Kept::new));
            Ok(())
        })
    }

    /// Removes each rule equal to one given (counts aside); all of them when none is given. Linear in
    /// the rules kept and given.
    pub fn remove(&self, rules: &[FaultRule]) -> Result<(), ApiError> {
        let removed: HashSet<RuleKey<'_>> = rules.iter().map(FaultRule::key).collect();
        self.update(|s| {
            match removed.is_empty() {
                true => s.rules.clear(),
                false => s.rules.retain(|kept| !removed.contains(&kept.rule.key())),
            }
            Ok(())
        })
    }

    pub fn effects(&self) -> Effects {
        self.snapshot().effects.clone()
    }

    pub fn set_effects(&self, effects: Effects) -> Result<(), ApiError> {
        self.update(|s| {
            s.effects = effects;
            Ok(())
        })
    }

    pub fn clear(&self) {
        // Clearing keeps nothing, so it cannot pass the limit.
        let _ = self.update(|s| {
            *s = Snapshot::default();
            Ok(())
        });
    }

    /// What happens to this call: a delay, and the error of the first matching rule that fires.
    pub fn draw(&self, target: &Target, region: &str) -> (Option<Duration>, Option<ApiError>) {
        if !self.active.load(Ordering::Relaxed) {
            return (None, None);
        }
        let snapshot = self.snapshot();
        let latency = snapshot.effects.latency;
        let delay = (latency > 0).then(|| Duration::from_millis(latency));
        let error = snapshot.rules.iter().find_map(|kept| {
            let fires = kept.matches(target, region)
                && kept.rule.probability.is_none_or(|p| fastrand::f64() < p)
                && kept.spend();
            fires.then(|| kept.rule.answer())
        });
        (delay, error)
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
        faults
            .add(vec![rule(
                r#"{"operation": "DescribeImage", "count": 2, "error": {"code": "ThrottlingException"}}"#,
            )])
            .expect("kept");
        assert!(faults
            .draw(&Target::from_name("ListImages"), "us-east-1")
            .1
            .is_none());
        for _ in 0..2 {
            let error = faults
                .draw(&Target::from_name("DescribeImage"), "us-east-1")
                .1
                .expect("a fault");
            assert_eq!(
                (error.code(), error.status().as_u16(), error.message()),
                ("ThrottlingException", 400, "Rate exceeded")
            );
        }
        assert!(faults
            .draw(&Target::from_name("DescribeImage"), "us-east-1")
            .1
            .is_none());
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
            (
                r#"{"operation": "DeleteImage"}"#,
                "DeleteImage",
                "us-east-1",
                true,
            ),
            // A name that is none of the model's operations matches no call, not even one naming it.
            (r#"{"operation": "Nope"}"#, "Nope", "us-east-1", false),
            (r#"{"probability": 0}"#, "CreateImage", "us-east-1", false),
        ];
        for (json, operation, region, fires) in cases {
            let faults = Faults::default();
            faults.replace(vec![rule(json)]).expect("kept");
            assert_eq!(
                faults
                    .draw(&Target::from_name(operation), region)
                    .1
                    .is_some(),
                fires,
                "{json}"
            );
        }
    }

    #[test]
    fn the_default_error_is_localstacks() {
        let faults = Faults::default();
        faults.replace(vec![rule("{}")]).expect("kept");
        let error = faults
            .draw(&Target::from_name("CreateImage"), "us-east-1")
            .1
            .expect("a fault");
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
        faults
            .replace(vec![
                rule(r#"{"operation": "A"}"#),
                rule(r#"{"operation": "B", "count": 3}"#),
                rule(r#"{"operation": "C", "probability": 0.0}"#),
            ])
            .expect("kept");
        faults
            .remove(&[
                rule(r#"{"operation": "B"}"#),
                rule(r#"{"operation": "C", "probability": -0.0}"#),
            ])
            .expect("removed");
        assert_eq!(faults.rules(), vec![rule(r#"{"operation": "A"}"#)]);
        faults.set_effects(Effects { latency: 5 }).expect("set");
        faults.clear();
        assert_eq!(faults.draw(&Target::from_name("A"), "r"), (None, None));
    }

    #[test]
    fn past_the_limit_a_call_is_refused_and_keeps_nothing_of_it() {
        let faults = Faults::default();
        let many = |n: usize| vec![rule(r#"{"operation": "A"}"#); n];
        let refused = faults.replace(many(MAX_FAULT_RULES + 1)).unwrap_err();
        assert_eq!(refused.code(), "ResourceLimitExceeded");
        assert!(
            refused.message().contains("at most 1000"),
            "{}",
            refused.message()
        );
        assert!(faults.rules().is_empty());
        faults.replace(many(MAX_FAULT_RULES - 1)).expect("kept");
        faults.add(many(1)).expect("kept");
        assert!(faults.add(many(1)).is_err());
        assert_eq!(faults.rules().len(), MAX_FAULT_RULES);
    }

    #[test]
    fn a_count_is_spent_across_snapshots() {
        let faults = Faults::default();
        faults
            .add(vec![rule(r#"{"operation": "ListImages", "count": 2}"#)])
            .expect("kept");
        let before = faults.snapshot();
        faults
            .add(vec![rule(r#"{"operation": "ListTags"}"#)])
            .expect("kept");
        // A call that read the older snapshot spends the same count.
        assert!(before.rules[0].spend());
        assert!(faults
            .draw(&Target::from_name("ListImages"), "r")
            .1
            .is_some());
        assert!(faults
            .draw(&Target::from_name("ListImages"), "r")
            .1
            .is_none());
        assert_eq!(faults.rules(), vec![rule(r#"{"operation": "ListTags"}"#)]);
    }
}
