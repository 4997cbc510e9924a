//! Proofs of the SigV4 verifier (tests only): AWS's own signing test suite (`vectors`), every single change
//! to a signed request (`mutations`, `absorbed`; on SDK-shaped requests in `sdk_requests`), and random
//! requests and random changes (`properties`). This module
//! holds what they share: a request as the HTTP layer hands it over, its Authorization header in parts, and
//! `aws-sigv4` signing it as a client does.

mod absorbed;
mod mutations;
mod properties;
mod rules;
mod sdk_requests;
mod vectors;

use std::borrow::Cow;
use std::time::SystemTime;

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use axum::http::{HeaderMap, HeaderName, HeaderValue};

use super::{parse_authorization, Credential, Credentials, Principal, Verifier};
use crate::protocol::ApiError;

/// The message of every refusal of a signature that does not match (README, "Signatures").
pub(super) const DOES_NOT_MATCH: &str = "The request signature we calculated does not match the signature \
     you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation \
     for details.";

/// A request as the HTTP layer hands it to `Verifier::verify`.
#[derive(Clone, Debug)]
pub(super) struct Wire {
    pub method: String,
    /// The path and query, as the server passes them.
    pub target: String,
    /// Names as sent (any letter case); a name may repeat.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Wire {
    pub fn new(method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Wire {
        Wire {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_vec(),
        }
    }

    /// The headers as the HTTP layer gives them: names in lower case, values as sent.
    pub fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .unwrap_or_else(|e| panic!("header name {name:?}: {e}"));
            let value = HeaderValue::from_str(value)
                .unwrap_or_else(|e| panic!("header value {value:?}: {e}"));
            map.append(name, value);
        }
        map
    }

    /// Every value of header `name` (any letter case), in order.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The one value of header `name`.
    pub fn value(&self, name: &str) -> &str {
        match self.values(name)[..] {
            [value] => value,
            ref values => panic!("{name} has {} values", values.len()),
        }
    }

    /// Replaces every value of `name` (or removes the header, given none).
    pub fn set_values(&mut self, name: &str, values: &[&str]) {
        let position = self
            .headers
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))
            .unwrap_or(self.headers.len());
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        let position = position.min(self.headers.len());
        for (offset, value) in values.iter().enumerate() {
            self.headers
                .insert(position + offset, (name.to_owned(), (*value).to_owned()));
        }
    }

    pub fn authorization(&self) -> Authorization {
        Authorization::parse(self.value("authorization"))
    }

    pub fn with_authorization(mut self, authorization: &Authorization) -> Wire {
        self.set_values("authorization", &[&authorization.render()]);
        self
    }

    /// The verdict as the client sees it: refusals go through the one mapping to the wire, so the proofs
    /// hold the AWS codes and messages themselves.
    pub fn verify(
        &self,
        verifier: &Verifier,
        now: SystemTime,
        required: &[&str],
    ) -> Result<Principal, ApiError> {
        verifier
            .verify(
                &self.method,
                &self.target,
                &self.header_map(),
                &self.body,
                now,
                required,
            )
            .map_err(ApiError::from)
    }
}

/// An `Authorization: AWS4-HMAC-SHA256 ...` header in parts, to change one of them.
#[derive(Clone, Debug)]
pub(super) struct Authorization {
    pub algorithm: String,
    pub access_key_id: String,
    pub scope_date: String,
    pub region: String,
    pub service: String,
    pub terminator: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    /// Parsed by the verifier's own parser, which must accept it.
    pub fn parse(header: &str) -> Authorization {
        let parts = parse_authorization(header)
            .unwrap_or_else(|e| panic!("{header:?} does not parse: {e}"));
        Authorization {
            algorithm: super::ALGORITHM.to_owned(),
            access_key_id: parts.access_key_id.to_owned(),
            scope_date: parts.scope_date.to_owned(),
            region: parts.region.to_owned(),
            service: parts.service.to_owned(),
            terminator: parts.terminator.to_owned(),
            signed_headers: parts
                .signed_headers
                .iter()
                .map(|n| (*n).to_owned())
                .collect(),
            signature: parts.signature.to_owned(),
        }
    }

    pub fn render(&self) -> String {
        format!(
            "{} Credential={}/{}/{}/{}/{}, SignedHeaders={}, Signature={}",
            self.algorithm,
            self.access_key_id,
            self.scope_date,
            self.region,
            self.service,
            self.terminator,
            self.signed_headers.join(";"),
            self.signature
        )
    }
}

/// A key the verifier knows, and who signs with it.
#[derive(Clone, Debug)]
pub(super) struct Key {
    pub access_key_id: String,
    pub secret: String,
}

impl Key {
    pub fn new(access_key_id: &str, secret: &str) -> Key {
        Key {
            access_key_id: access_key_id.to_owned(),
            secret: secret.to_owned(),
        }
    }

    pub fn credential(&self) -> Credential {
        Credential {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret.clone(),
            account_id: "123456789012".to_owned(),
            admin: false,
            ..Credential::default()
        }
    }
}

/// A verifier that knows `keys`, for credentials scoped to `service`.
pub(super) fn verifier(keys: &[&Key], service: &str) -> Verifier {
    Verifier::for_service(
        Credentials::from_list(keys.iter().map(|k| k.credential()).collect()),
        service,
    )
}

/// How a client signs: `aws-sigv4` with these parameters, over every header the request has (as the SDKs
/// do; `aws-sigv4` itself leaves out `user-agent` and the like).
pub(super) struct Signing<'a> {
    pub key: &'a Key,
    pub session_token: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    pub time: SystemTime,
    pub settings: SigningSettings,
}

impl Signing<'_> {
    /// `request` signed by `aws-sigv4`: `x-amz-date` and `authorization` (and what the settings add) in its
    /// headers, or, presigned, in its query string. Header names come back in lower case.
    pub fn sign(&self, request: &Wire) -> Wire {
        let identity = aws_credential_types::Credentials::new(
            self.key.access_key_id.clone(),
            self.key.secret.clone(),
            self.session_token.map(str::to_owned),
            None,
            "proofs",
        )
        .into();
        let settings = self.settings.clone();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(self.time)
            .settings(settings)
            .build()
            .expect("signing parameters")
            .into();
        let signable = SignableRequest::new(
            &request.method,
            Cow::Borrowed(request.target.as_str()),
            request
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(&request.body),
        )
        .expect("a request aws-sigv4 can sign");
        let (instructions, _) = sign(signable, &params).expect("signed").into_parts();
        let mut http = axum::http::Request::builder()
            .method(request.method.as_str())
            .uri(request.target.as_str())
            .body(())
            .expect("a request aws-sigv4 signed is a valid one");
        *http.headers_mut() = request.header_map();
        instructions.apply_to_request_http1x(&mut http);
        Wire {
            method: request.method.clone(),
            target: http.uri().to_string(),
            headers: http
                .headers()
                .iter()
                .map(|(n, v)| {
                    let value = v.to_str().expect("signed header values are text");
                    (n.as_str().to_owned(), value.to_owned())
                })
                .collect(),
            body: request.body.clone(),
        }
    }
}
