//! SigV4 verification: who signed the request (access key → account) and in which region.
//!
//! Knows nothing of SageMaker beyond its signing name. This module parses the `Authorization` header,
//! enforces the clock-skew window and compares signatures in constant time; `signature` computes the
//! signature the request should carry, over exactly the headers the client says it signed.

mod credentials;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;
#[cfg(test)]
mod proofs;
mod signature;

pub use credentials::{Credential, Credentials, CredentialsError, DEFAULT_ACCOUNT_ID};
pub use error::{AuthError, HeaderProblem};

use signature::{SignedRequest, SigningKeys};

use crate::authz::Identity;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::http::{header, HeaderMap, HeaderName};

pub const SIGNING_NAME: &str = "sagemaker";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a request's X-Amz-Date may be from our clock, either way (SageMaker's Common Errors page).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);
const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");

/// Who sent a verified request.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub account_id: String,
    pub region: String,
    pub access_key_id: String,
    pub admin: bool,
    /// The key's principal and policies, when it has any.
    pub identity: Option<Arc<Identity>>,
}

/// The headers every API request must have signed: an SDK signs them all, and an unsigned `x-amz-target`
/// would let anyone who saw a request replay it as another operation.
pub const API_SIGNED_HEADERS: &[&str] = &["host", "x-amz-date", "x-amz-target"];
/// The control plane's requests have no target: their path names what they do, and the path is signed.
pub const CONTROL_SIGNED_HEADERS: &[&str] = &["host", "x-amz-date"];

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
struct AuthorizationHeader<'a> {
    /// The whole `Credential=` value.
    credential: &'a str,
    access_key_id: &'a str,
    scope_date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn incomplete(problem: HeaderProblem, authorization: &str) -> AuthError {
    AuthError::Incomplete {
        problem,
        authorization: authorization.to_owned(),
    }
}

fn parse_authorization(header: &str) -> Result<AuthorizationHeader<'_>, AuthError> {
    let Some(rest) = header.strip_prefix(ALGORITHM) else {
        return Err(incomplete(HeaderProblem::WrongAlgorithm, header));
    };
    let (mut credential, mut signed_headers, mut signature) = ("", "", "");
    // The delimiters are ASCII, so splitting the bytes splits the text at character boundaries.
    for part in split_ascii(rest, b',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = v;
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = v;
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = v;
        }
    }
    if credential.is_empty() || signed_headers.is_empty() || signature.is_empty() {
        let missing = [
            ("Credential", credential),
            ("Signature", signature),
            ("SignedHeaders", signed_headers),
        ]
        .into_iter()
        .filter(|(_, value)| value.is_empty())
        .map(|(name, _)| name)
        .collect();
        return Err(incomplete(
            HeaderProblem::MissingParameters(missing),
            header,
        ));
    }
    let mut scope = split_ascii(credential, b'/');
    let (
        Some(access_key_id),
        Some(scope_date),
        Some(region),
        Some(service),
        Some(terminator),
        None,
    ) = (
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
    )
    else {
        return Err(incomplete(
            HeaderProblem::CredentialShape {
                credential: credential.to_owned(),
            },
            header,
        ));
    };
    Ok(AuthorizationHeader {
        credential,
        access_key_id,
        scope_date,
        region,
        service,
        terminator,
        signed_headers: split_ascii(signed_headers, b';').collect(),
        signature,
    })
}

/// `text` split at each `delimiter` (an ASCII byte), as `str::split` would split it, without its
/// general pattern search: the header's parts are short.
fn split_ascii(text: &str, delimiter: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.bytes().position(|b| b == delimiter) {
            Some(at) => {
                rest = text.get(at + 1..);
                text.get(..at)
            }
            None => rest.take(),
        }
    })
}

fn format_amz_date(time: SystemTime) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::from(time)
        .format(format)
        .unwrap_or_default()
}

fn parse_amz_date(value: &str) -> Option<SystemTime> {
    basic_format_date(value).or_else(|| {
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        time::PrimitiveDateTime::parse(value, format)
            .ok()
            .map(|t| SystemTime::from(t.assume_utc()))
    })
}

/// `YYYYMMDDTHHMMSSZ`, the form every SDK sends, read digit by digit: the general format parser cost 900
/// instructions a request. Anything else is left to it.
fn basic_format_date(value: &str) -> Option<SystemTime> {
    let bytes: &[u8; 16] = value.as_bytes().try_into().ok()?;
    if bytes[8] != b'T' || bytes[15] != b'Z' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range].iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let date = time::Date::from_calendar_date(
        i32::try_from(number(0..4)?).ok()?,
        time::Month::try_from(u8::try_from(number(4..6)?).ok()?).ok()?,
        u8::try_from(number(6..8)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(number(9..11)?).ok()?,
        u8::try_from(number(11..13)?).ok()?,
        u8::try_from(number(13..15)?).ok()?,
    )
    .ok()?;
    Some(SystemTime::from(
        time::PrimitiveDateTime::new(date, clock).assume_utc(),
    ))
}

/// Checks signatures against the server's credentials, reusing signing keys across requests.
pub struct Verifier {
    credentials: Credentials,
    signing_keys: SigningKeys,
    /// The service credentials must be scoped to: always [`SIGNING_NAME`] in the server; the tests that run
    /// AWS's signing test suite (scoped to `service`) inject the suite's.
    service: String,
}

impl Verifier {
    pub fn new(credentials: Credentials) -> Self {
        Self::for_service(credentials, SIGNING_NAME)
    }

    pub(crate) fn for_service(credentials: Credentials, service: &str) -> Self {
        Verifier {
            credentials,
            signing_keys: SigningKeys::default(),
            service: service.to_owned(),
        }
    }

    /// Verifies the SigV4 signature of a request, at server time `now`; each of `required` must be among
    /// the headers it signed.
    pub fn verify(
        &self,
        method: &str,
        uri: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
        required: &[&str],
    ) -> Result<Principal, AuthError> {
        let Some(authorization) = headers.get(header::AUTHORIZATION) else {
            return Err(AuthError::MissingAuthorization);
        };
        let authorization = authorization
            .to_str()
            .map_err(|_| incomplete(HeaderProblem::NotText, ""))?;
        let auth = parse_authorization(authorization)?;

        let mut dates = headers.get_all(X_AMZ_DATE).iter();
        let Some(amz_date) = dates.next().and_then(|v| v.to_str().ok()) else {
            return Err(incomplete(HeaderProblem::MissingDate, authorization));
        };
        // A repeated X-Amz-Date is one field value, "a,b", which is no date. (Taking the first would leave
        // the others unsigned where `aws-sigv4` canonicalises: it writes the one date it signs at.)
        if dates.next().is_some() {
            let combined: Vec<&str> = headers
                .get_all(X_AMZ_DATE)
                .iter()
                .map(|v| v.to_str().unwrap_or_default())
                .collect();
            return Err(incomplete(
                HeaderProblem::MalformedDate {
                    date: combined.join(","),
                },
                authorization,
            ));
        }
        let Some(signed_at) = parse_amz_date(amz_date) else {
            return Err(incomplete(
                HeaderProblem::MalformedDate {
                    date: amz_date.to_owned(),
                },
                authorization,
            ));
        };
        if auth.service != self.service {
            return Err(AuthError::WrongService {
                expected: self.service.clone(),
            });
        }
        if auth.terminator != "aws4_request" {
            return Err(AuthError::WrongTerminator {
                terminator: auth.terminator.to_owned(),
            });
        }
        if !amz_date.starts_with(auth.scope_date) || auth.scope_date.len() != 8 {
            return Err(AuthError::ScopeDateMismatch {
                scope_date: auth.scope_date.to_owned(),
                amz_date: amz_date.to_owned(),
            });
        }
        if auth.region.is_empty() {
            return Err(AuthError::NoRegion);
        }
        for required in required {
            if !auth.signed_headers.contains(required) {
                return Err(AuthError::UnsignedHeader {
                    header: (*required).to_owned(),
                });
            }
        }
        if let Ok(ahead) = signed_at.duration_since(now) {
            if ahead > MAX_CLOCK_SKEW {
                return Err(AuthError::NotYetCurrent {
                    signed_at: amz_date.to_owned(),
                    latest: format_amz_date(now + MAX_CLOCK_SKEW),
                    now: format_amz_date(now),
                });
            }
        } else if now.duration_since(signed_at).unwrap_or_default() > MAX_CLOCK_SKEW {
            return Err(AuthError::Expired {
                signed_at: amz_date.to_owned(),
                earliest: format_amz_date(now - MAX_CLOCK_SKEW),
                now: format_amz_date(now),
            });
        }
        let Some(credential) = self.credentials.get(auth.access_key_id) else {
            return Err(AuthError::UnknownAccessKey);
        };

        let request = SignedRequest {
            method,
            uri,
            headers,
            signed_headers: &auth.signed_headers,
            body,
            amz_date,
            signed_at,
            region: auth.region,
            service: &self.service,
            credential_scope: auth.credential,
        };
        let Some(expected) = signature::expected(&self.signing_keys, credential, &request) else {
            // A header the client claims to have signed but did not send (or sent as non-text) cannot match.
            return Err(AuthError::Mismatch);
        };
        if expected.matches(auth.signature) {
            Ok(Principal {
                account_id: credential.account_id.clone(),
                region: auth.region.to_owned(),
                access_key_id: credential.access_key_id.clone(),
                admin: credential.admin,
                identity: credential.identity.clone(),
            })
        } else {
            Err(AuthError::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The general parser alone: what `parse_amz_date` answered before it read the common form itself.
    fn general_reading(value: &str) -> Option<SystemTime> {
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        time::PrimitiveDateTime::parse(value, format)
            .ok()
            .map(|t| SystemTime::from(t.assume_utc()))
    }

    #[test]
    fn the_common_date_form_reads_as_the_general_parser_reads_it() {
        // (value, read by the direct path)
        let cases = [
            ("20261129T120000Z", true),
            ("20240229T235959Z", true),
            ("00000101T000000Z", true),
            ("99991231T235959Z", true),
            ("20230229T000000Z", false),
            ("20261301T000000Z", false),
            ("20261100T000000Z", false),
            ("20261131T000000Z", false),
            ("20261129T240000Z", false),
            ("20261129T126000Z", false),
            ("20261129T120060Z", false),
            ("2026112aT120000Z", false),
            ("20261129 120000Z", false),
            ("20261129T120000z", false),
            ("+2026112T120000Z", false),
            ("+20261129T120000Z", false),
            ("2026-11-29T12:00:00Z", false),
            ("20261129T120000Z ", false),
            ("", false),
        ];
        for (value, direct) in cases {
            assert_eq!(basic_format_date(value).is_some(), direct, "{value:?}");
            assert_eq!(parse_amz_date(value), general_reading(value), "{value:?}");
        }
    }

    proptest! {
        #[test]
        fn splitting_at_an_ascii_byte_splits_as_str_split_does(
            text in "[a-z,;/é =]{0,12}",
            delimiter in proptest::sample::select(vec![b',', b';', b'/'])
        ) {
            let ours: Vec<&str> = split_ascii(&text, delimiter).collect();
            let std: Vec<&str> = text.split(char::from(delimiter)).collect();
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn any_date_like_text_reads_as_the_general_parser_reads_it(
            value in "[0-9+T Z-]{0,3}[0-9]{4}[0-1][0-9][0-3][0-9][T ][0-2][0-9][0-6][0-9][0-6][0-9][Zz]?[0-9]?"
        ) {
            prop_assert_eq!(parse_amz_date(&value), general_reading(&value));
        }
    }
}
