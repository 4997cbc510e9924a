//! The signatures of signed state-changing control calls, remembered while they could still be accepted, so
//! that a captured request works once: replayed, it would otherwise mint another login link (an 8-hour
//! administrator's session) or repeat a reset.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};

use crate::auth::MAX_CLOCK_SKEW;
use crate::protocol::ApiError;

/// The most signatures remembered at once (about 100 bytes each). Past it, signed state-changing calls
/// are refused with a ThrottlingException until the oldest are forgotten.
pub const MAX_REMEMBERED_SIGNATURES: usize = 100_000;

/// A signature is accepted while its X-Amz-Date is within the skew of the server's clock, either side: at
/// most twice the skew from its first use.
const REMEMBERED_FOR: Duration = MAX_CLOCK_SKEW.saturating_mul(2);

#[derive(Default)]
struct Remembered {
    signatures: HashSet<String>,
    /// The same signatures, oldest first, with when each may be forgotten.
    by_age: VecDeque<(Instant, String)>,
}

#[derive(Default)]
pub struct UsedSignatures {
    remembered: Mutex<Remembered>,
}

/// The `Signature=` parameter of a SigV4 Authorization header.
fn signature(headers: &HeaderMap) -> Option<&str> {
    let authorization = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    authorization
        .split([',', ' '])
        .find_map(|part| part.trim().strip_prefix("Signature="))
}

impl UsedSignatures {
    /// Remembers the signature of a verified request; refuses one seen before.
    pub fn first_use(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let Some(signature) = signature(headers) else {
            return Err(ApiError::AccessDenied(
                "A signed control call must carry its signature in the Authorization header."
                    .to_owned(),
            ));
        };
        let now = Instant::now();
        let mut remembered = self.remembered.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((until, _)) = remembered.by_age.front() {
            if *until > now {
                break;
            }
            if let Some((_, forgotten)) = remembered.by_age.pop_front() {
                remembered.signatures.remove(&forgotten);
            }
        }
        if remembered.signatures.contains(signature) {
            return Err(ApiError::AccessDenied(
                "This signed request was made already: a state-changing control call's signature works \
                 once. Sign the call again to repeat it."
                    .to_owned(),
            ));
        }
        if remembered.signatures.len() >= MAX_REMEMBERED_SIGNATURES {
            return Err(ApiError::Throttling(format!(
                "Rate exceeded: this server remembers the last {MAX_REMEMBERED_SIGNATURES} signed \
                 state-changing control calls for {} minutes, to refuse replays; retry later.",
                REMEMBERED_FOR.as_secs() / 60
            )));
        }
        remembered.signatures.insert(signature.to_owned());
        remembered
            .by_age
            .push_back((now + REMEMBERED_FOR, signature.to_owned()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn signed(signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!(
            "AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/sagemaker/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature={signature}"
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&value).expect("text"),
        );
        headers
    }

    #[test]
    fn a_signature_works_once() {
        let used = UsedSignatures::default();
        used.first_use(&signed("abc")).expect("first use");
        let replay = used.first_use(&signed("abc")).unwrap_err();
        assert_eq!(replay.code(), "AccessDeniedException");
        assert!(
            replay.message().contains("works once"),
            "{}",
            replay.message()
        );
        used.first_use(&signed("abd")).expect("another signature");
    }
}
