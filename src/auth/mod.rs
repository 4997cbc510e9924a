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

use std::time::{Duration, SystemTime};

use axum::http::HeaderMap;

pub const SIGNING_NAME: &str = "sagemaker";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a request's X-Amz-Date may be from our clock, either way (SageMaker's Common Errors page).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// Who sent a verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account_id: String,
    pub region: String,
    pub access_key_id: String,
    pub admin: bool,
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
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let missing: Vec<&'static str> = [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ]
    .into_iter()
    .filter(|(_, value)| value.is_none_or(str::is_empty))
    .map(|(name, _)| name)
    .collect();
    let (Some(credential), Some(signed_headers), Some(signature), true) =
        (credential, signed_headers, signature, missing.is_empty())
    else {
        return Err(incomplete(
            HeaderProblem::MissingParameters(missing),
            header,
        ));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, scope_date, region, service, terminator] = scope[..] else {
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
        signed_headers: signed_headers.split(';').collect(),
        signature,
    })
}

fn format_amz_date(time: SystemTime) -> String {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::OffsetDateTime::from(time)
        .format(format)
        .unwrap_or_default()
}

fn parse_amz_date(value: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(value, format)
        .ok()
        .map(|t| SystemTime::from(t.assume_utc()))
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
        let Some(authorization) = headers.get("authorization") else {
            return Err(AuthError::MissingAuthorization);
        };
        let authorization = authorization
            .to_str()
            .map_err(|_| incomplete(HeaderProblem::NotText, ""))?;
        let auth = parse_authorization(authorization)?;

        let mut dates = headers.get_all("x-amz-date").iter();
        let Some(amz_date) = dates.next().and_then(|v| v.to_str().ok()) else {
            return Err(incomplete(HeaderProblem::MissingDate, authorization));
        };
        // A repeated X-Amz-Date is one field value, "a,b", which is no date. (Taking the first would leave
        // the others unsigned where `aws-sigv4` canonicalises: it writes the one date it signs at.)
        if dates.next().is_some() {
            let combined: Vec<&str> = headers
                .get_all("x-amz-date")
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
            })
        } else {
            Err(AuthError::Mismatch)
        }
    }
}
