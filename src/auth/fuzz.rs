//! The fuzz target of the Authorization parser and the verifier (`fuzz/fuzz_targets/authorization.rs`;
//! its committed inputs are replayed by `cargo test`). Built for tests and with the `fuzzing` feature only.
//!
//! The input is a request as text: `METHOD TARGET`, header lines `name: value`, a blank line, the body
//! (bytes). The server's clock is the request's own X-Amz-Date when it has one, so the clock window never
//! stops the fuzzer short of the signature. Checked for every input:
//! - `Verifier::verify` does not panic, and a refusal says why; a repeated X-Amz-Date is always refused as
//!   incomplete;
//! - it accepts only a signature that `aws-sigv4`'s general signer also gives the request;
//! - the direct canonical form and the general signer agree on every request they both sign.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use super::signature::{self, SignedRequest, SigningKeys};
use super::{
    parse_amz_date, parse_authorization, AuthError, Credentials, Verifier, API_SIGNED_HEADERS,
};

/// A request read from fuzz input.
struct Request {
    method: String,
    target: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn read(data: &[u8]) -> Request {
    let split = data.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let (method, target) = lines
        .next()
        .unwrap_or_default()
        .split_once(' ')
        .unwrap_or(("POST", "/"));
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    Request {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: body.to_vec(),
    }
}

/// Runs one fuzz input; panics if a property above does not hold.
pub fn authorization(data: &[u8]) {
    let request = read(data);
    let credentials = Credentials::well_known();
    let verifier = Verifier::new(credentials.clone());
    let amz_date = request
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let now = parse_amz_date(amz_date)
        .unwrap_or(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_953_600));
    let verdict = verifier.verify(
        &request.method,
        &request.target,
        &request.headers,
        &request.body,
        now,
        API_SIGNED_HEADERS,
    );
    if let Err(e) = &verdict {
        assert!(!e.to_string().is_empty(), "{e:?}");
    }

    if request.headers.get_all("x-amz-date").iter().count() > 1 {
        assert!(
            matches!(
                verdict,
                Err(AuthError::MissingAuthorization | AuthError::Incomplete { .. })
            ),
            "a repeated X-Amz-Date got {verdict:?}"
        );
    }

    // From here on, the signature computation itself, for any request whose Authorization parses.
    let Some(Ok(auth)) = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(parse_authorization)
    else {
        assert!(verdict.is_err(), "verified without an Authorization header");
        return;
    };
    let (Some(signed_at), Some(credential)) = (
        parse_amz_date(amz_date),
        credentials.get(auth.access_key_id),
    ) else {
        assert!(verdict.is_err(), "verified without a date or a known key");
        return;
    };
    let signed = SignedRequest {
        method: &request.method,
        uri: &request.target,
        headers: &request.headers,
        signed_headers: &auth.signed_headers,
        body: &request.body,
        amz_date,
        signed_at,
        region: auth.region,
        service: auth.service,
        credential_scope: auth.credential,
    };
    let expected = signature::expected(&SigningKeys::default(), credential, &signed);
    let general = signature::general(credential, &signed);
    match (&expected, &general) {
        (Some(expected), Some(general)) => assert!(
            expected.matches(&general.hex()),
            "the direct form signs {} where aws-sigv4 signs {}",
            expected.hex(),
            general.hex()
        ),
        (None, None) => {}
        (expected, general) => panic!(
            "one signs, the other cannot: direct {:?}, general {:?}",
            expected.as_ref().map(|s| s.hex()),
            general.as_ref().map(|s| s.hex())
        ),
    }
    if verdict.is_ok() {
        let general = general.expect("a verified request is one aws-sigv4 signs");
        assert!(
            general.matches(auth.signature),
            "verified a signature aws-sigv4 does not give"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_request_verifies_through_the_target() {
        // A ListImages signed by aws-sigv4 with test/test: the target's checks run to the end.
        let text = "POST /\nhost: localhost:7447\nx-amz-date: 20261129T120000Z\nx-amz-target: SageMaker.ListImages\n\
                    authorization: AWS4-HMAC-SHA256 Credential=test/20261129/us-east-1/sagemaker/aws4_request, \
                    SignedHeaders=host;x-amz-date;x-amz-target, Signature=SIG\n\n{}";
        let request = read(text.as_bytes());
        let auth_text = request.headers["authorization"]
            .to_str()
            .unwrap()
            .to_owned();
        let auth = parse_authorization(&auth_text).unwrap();
        let credentials = Credentials::well_known();
        let signed = SignedRequest {
            method: "POST",
            uri: "/",
            headers: &request.headers,
            signed_headers: &auth.signed_headers,
            body: b"{}",
            amz_date: "20261129T120000Z",
            signed_at: parse_amz_date("20261129T120000Z").unwrap(),
            region: "us-east-1",
            service: "sagemaker",
            credential_scope: auth.credential,
        };
        let signature = signature::general(credentials.get("test").unwrap(), &signed).unwrap();
        let text = text.replace("SIG", &signature.hex());
        let request = read(text.as_bytes());
        let verifier = Verifier::new(credentials);
        let now = parse_amz_date("20261129T120000Z").unwrap();
        verifier
            .verify(
                "POST",
                "/",
                &request.headers,
                b"{}",
                now,
                API_SIGNED_HEADERS,
            )
            .expect("the input reads as the request it spells");
        authorization(text.as_bytes());
    }
}
