//! Random requests signed by `aws-sigv4` verify; a random single change to one never does.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{PayloadChecksumKind, SigningSettings};
use proptest::prelude::*;

use super::mutations::{refused_changes, Rules};
use super::{verifier, Key, Signing, Wire};
use crate::auth::{API_SIGNED_HEADERS, SIGNING_NAME};

/// A request as a client could build it: any method, path, query, extra headers (repeated, in any letter
/// case, with runs of spaces) and body; always `host` and `x-amz-target`, which the service requires.
#[derive(Debug, Clone)]
struct Drawn {
    wire: Wire,
    region: String,
    time: SystemTime,
    /// Where the server's clock is, from the signing time (inside the 15-minute window).
    skew_seconds: i64,
    content_hash: bool,
    session_token: Option<String>,
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[A-Za-z0-9._~-]{1,8}",
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
        1 => "%[0-9A-F]{2}",
    ]
}

fn target() -> impl Strategy<Value = String> {
    let path = prop_oneof![
        3 => Just("/".to_owned()),
        2 => prop::collection::vec(segment(), 1..4).prop_map(|s| format!("/{}", s.join("/"))),
    ];
    let query = prop::option::weighted(
        0.3,
        prop::collection::vec(("[A-Za-z0-9_.~-]{1,6}", "[A-Za-z0-9_.~%-]{0,6}"), 1..4),
    );
    (path, query).prop_map(|(path, query)| match query {
        None => path,
        Some(parameters) => {
            let pairs: Vec<String> = parameters
                .iter()
                .map(|(k, v)| {
                    // A `%` must start an escape to make a valid URI.
                    format!("{k}={}", v.replace('%', "%25"))
                })
                .collect();
            format!("{path}?{}", pairs.join("&"))
        }
    })
}

/// A header value: visible ASCII, with runs of spaces and tabs inside and spaces around.
fn header_value() -> impl Strategy<Value = String> {
    "[ -~]{0,12}([ \t]{1,3}[ -~]{1,6}){0,3}"
}

fn extra_headers() -> impl Strategy<Value = Vec<(String, Vec<String>)>> {
    prop::collection::vec(
        (
            "[xX]-[a-zA-Z][a-zA-Z0-9-]{0,10}",
            prop::collection::vec(header_value(), 1..3),
        ),
        0..5,
    )
    .prop_map(|headers| {
        let mut seen = std::collections::HashSet::new();
        headers
            .into_iter()
            .filter(|(name, _)| {
                let lower = name.to_ascii_lowercase();
                !lower.starts_with("x-amz-") && seen.insert(lower)
            })
            .collect()
    })
}

fn drawn() -> impl Strategy<Value = Drawn> {
    (
        prop_oneof![6 => Just("POST"), 1 => Just("GET"), 1 => Just("PUT")],
        target(),
        extra_headers(),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            "\\PC{0,40}".prop_map(String::into_bytes),
        ],
        "[a-z]{2}-[a-z]{4,9}-[1-9]",
        // 2001 to 2099.
        978_307_200u64..4_102_444_800,
        -14 * 60i64..=14 * 60,
        "[A-Z][A-Za-z]{2,20}",
        any::<bool>(),
        prop::option::of("[A-Za-z0-9/+=]{16,64}"),
    )
        .prop_map(
            |(method, target, extra, body, region, seconds, skew, operation, hash, token)| {
                let mut wire = Wire::new(
                    method,
                    &target,
                    &[
                        ("host", "localhost:7447"),
                        ("x-amz-target", &format!("SageMaker.{operation}")),
                    ],
                    &body,
                );
                for (name, values) in extra {
                    for value in values {
                        wire.headers.push((name.clone(), value));
                    }
                }
                Drawn {
                    wire,
                    region,
                    time: SystemTime::UNIX_EPOCH + Duration::from_secs(seconds),
                    skew_seconds: skew,
                    content_hash: hash,
                    session_token: token,
                }
            },
        )
}

fn key() -> Key {
    Key::new("AKIDPROPERTY", "property-secret")
}

impl Drawn {
    fn signed(&self, key: &Key) -> Wire {
        let mut settings = SigningSettings::default();
        if self.content_hash {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
        Signing {
            key,
            session_token: self.session_token.as_deref(),
            region: &self.region,
            service: SIGNING_NAME,
            time: self.time,
            settings,
        }
        .sign(&self.wire)
    }

    fn now(&self) -> SystemTime {
        let skew = Duration::from_secs(self.skew_seconds.unsigned_abs());
        if self.skew_seconds < 0 {
            self.time - skew
        } else {
            self.time + skew
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn requests_signed_by_aws_sigv4_verify(drawn in drawn()) {
        let key = key();
        let signed = drawn.signed(&key);
        let principal = signed
            .verify(&verifier(&[&key], SIGNING_NAME), drawn.now(), API_SIGNED_HEADERS)
            .map_err(|e| TestCaseError::fail(format!("{e:?}\n{signed:#?}")))?;
        prop_assert_eq!(principal.region, drawn.region);
        prop_assert_eq!(principal.access_key_id, key.access_key_id);
    }

    #[test]
    fn a_single_change_never_verifies(drawn in drawn(), pick in any::<prop::sample::Index>()) {
        let key = key();
        let signed = drawn.signed(&key);
        let rules = Rules { service: SIGNING_NAME, required: API_SIGNED_HEADERS, now: drawn.now() };
        let changes = refused_changes(&signed, &rules);
        let change = &changes[pick.index(changes.len())];
        let verifier = verifier(&[&key], SIGNING_NAME);
        match change.request.verify(&verifier, rules.now, rules.required) {
            Ok(_) => prop_assert!(false, "{} verifies: {:#?}", change.what, change.request),
            Err(e) => {
                prop_assert_eq!(e.code(), change.code, "{}", change.what);
                prop_assert_eq!(e.message(), change.message.as_str(), "{}", change.what);
            }
        }
    }
}
