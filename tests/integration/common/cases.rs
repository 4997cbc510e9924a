//! Tables of cases, and the checks of an answer that they and the step-by-step tests share.
//!
//! A table runs every case, whatever the earlier ones gave, and asserts once at the end with every failing
//! case named beside what it got: one wrong boundary does not hide the others.

use std::fmt::Debug;

use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};

use super::raw::RawResponse;

/// What a request should be answered with.
#[derive(Clone, Copy, Debug)]
pub enum Expected {
    /// 200, whatever the body.
    Accepted,
    /// 400 with this error code, and a message holding every one of these parts.
    Refused(&'static str, &'static [&'static str]),
}

/// A validation error whose message holds every one of `parts`.
pub const fn invalid(parts: &'static [&'static str]) -> Expected {
    Expected::Refused("ValidationException", parts)
}

/// A ResourceNotFound error whose message holds every one of `parts`.
pub const fn not_found(parts: &'static [&'static str]) -> Expected {
    Expected::Refused("ResourceNotFound", parts)
}

/// How `answer` differs from `expected`; `Ok` when it does not.
pub fn check_raw(answer: &RawResponse, expected: Expected) -> Result<(), String> {
    match expected {
        Expected::Accepted if answer.status == 200 => Ok(()),
        Expected::Accepted => Err(format!(
            "expected 200, got {}: {}",
            answer.status, answer.text
        )),
        Expected::Refused(code, parts) => check_raw_refused(answer, code, parts),
    }
}

/// How `answer` differs from a 400 with `code` and a message holding every one of `parts`.
pub fn check_raw_refused(answer: &RawResponse, code: &str, parts: &[&str]) -> Result<(), String> {
    if answer.status != 400 || answer.error_type() != code {
        return Err(format!(
            "expected 400 {code}, got {}: {}",
            answer.status, answer.text
        ));
    }
    check_message(answer.message(), parts)
}

/// How an SDK call's result differs from `expected`; `Ok` when it does not.
pub fn check_sdk<T: Debug, E, R>(
    result: &Result<T, SdkError<E, R>>,
    expected: Expected,
) -> Result<(), String>
where
    E: ProvideErrorMetadata + Debug,
    R: Debug,
{
    match (result, expected) {
        (Ok(_), Expected::Accepted) => Ok(()),
        (Err(e), Expected::Accepted) => Err(format!("expected success, got {e:?}")),
        (Ok(output), Expected::Refused(code, _)) => {
            Err(format!("expected {code}, got success: {output:?}"))
        }
        (Err(e), Expected::Refused(code, parts)) => {
            let got = e.as_service_error().and_then(|e| e.code());
            if got != Some(code) {
                return Err(format!("expected {code}, got {e:?}"));
            }
            check_message(
                e.as_service_error().and_then(|e| e.message()).unwrap_or(""),
                parts,
            )
        }
    }
}

fn check_message(message: &str, parts: &[&str]) -> Result<(), String> {
    match parts.iter().find(|part| !message.contains(*part)) {
        Some(missing) => Err(format!("expected {missing:?} in the message {message:?}")),
        None => Ok(()),
    }
}

/// Asserts that an SDK call was refused with `code` and a message holding every one of `parts`.
#[track_caller]
pub fn assert_refused<T: Debug, E, R>(
    result: Result<T, SdkError<E, R>>,
    code: &'static str,
    parts: &'static [&'static str],
) where
    E: ProvideErrorMetadata + Debug,
    R: Debug,
{
    if let Err(why) = check_sdk(&result, Expected::Refused(code, parts)) {
        panic!("{why}");
    }
}

/// The failures of a table's cases, each under its case's name.
#[derive(Default)]
pub struct Failures {
    cases: usize,
    failed: Vec<String>,
}

impl Failures {
    /// Records the outcome of the case called `name`.
    pub fn check(&mut self, name: &str, outcome: Result<(), String>) {
        self.cases += 1;
        if let Err(why) = outcome {
            self.failed.push(format!("{name}: {why}"));
        }
    }

    /// Records a case whose result is compared with what it should be.
    pub fn compare<T: PartialEq + Debug>(&mut self, name: &str, got: T, expected: T) {
        let outcome = if got == expected {
            Ok(())
        } else {
            Err(format!("expected {expected:?}, got {got:?}"))
        };
        self.check(name, outcome);
    }

    /// Fails, listing every failed case, unless every case passed.
    #[track_caller]
    pub fn assert_none(self) {
        assert!(
            self.failed.is_empty(),
            "{} of {} cases failed:\n  {}",
            self.failed.len(),
            self.cases,
            self.failed.join("\n  ")
        );
    }
}
