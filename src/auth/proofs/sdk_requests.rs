//! Every single change of `mutations` and `absorbed`, applied to JSON 1.1 requests shaped and signed as
//! the SDKs send them.

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{PayloadChecksumKind, SigningSettings};

use super::mutations::{check, refused_changes, Rules};
use super::{verifier, Key, Signing, Wire};
use crate::auth::{API_SIGNED_HEADERS, SIGNING_NAME};

/// Requests as the SDKs send them: `POST /`, JSON 1.1, every header signed but `user-agent`.
fn json_requests() -> Vec<(&'static str, Wire)> {
    let json = |target: &str, body: &str, extra: &[(&str, &str)]| {
        let mut headers = vec![
            ("host", "localhost:7447"),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", target),
        ];
        headers.extend_from_slice(extra);
        Wire::new("POST", "/", &headers, body.as_bytes())
    };
    vec![
        (
            "CreateImage",
            json(
                "SageMaker.CreateImage",
                r#"{"ImageName":"my-image","RoleArn":"arn:aws:iam::123456789012:role/R"}"#,
                &[],
            ),
        ),
        (
            "ListImages, empty object",
            json("SageMaker.ListImages", "{}", &[]),
        ),
        (
            "DescribeImage, empty body",
            json("SageMaker.DescribeImage", "", &[]),
        ),
        (
            "UpdateImage, non-ASCII body",
            json(
                "SageMaker.UpdateImage",
                r#"{"ImageName":"a","Description":"é ሴ 😀 \u2028"}"#,
                &[],
            ),
        ),
        (
            "AddTags, as an SDK sends it",
            json(
                "SageMaker.AddTags",
                r#"{"ResourceArn":"arn:aws:sagemaker:us-east-1:123456789012:image/a","Tags":[{"Key":"k","Value":"v"}]}"#,
                &[
                    ("user-agent", "aws-sdk-rust/1.3 os/linux lang/rust/1.94"),
                    ("x-amz-user-agent", "aws-sdk-rust/1.3 api/sagemaker/1.248"),
                    (
                        "amz-sdk-invocation-id",
                        "0b1f8d3c-95a2-4a70-9d6c-e8a2d0f5c6a1",
                    ),
                    ("amz-sdk-request", "attempt=1; max=3"),
                    ("content-length", "104"),
                ],
            ),
        ),
    ]
}

fn signings(key: &Key) -> Vec<(&'static str, Signing<'_>)> {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_953_600);
    let plain = |region| Signing {
        key,
        session_token: None,
        region,
        service: SIGNING_NAME,
        time: at,
        settings: SigningSettings::default(),
    };
    let mut with_hash = SigningSettings::default();
    with_hash.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    vec![
        ("us-east-1", plain("us-east-1")),
        ("eu-west-1", plain("eu-west-1")),
        (
            "with a session token",
            Signing {
                session_token: Some("FwoGZXIvYXdzEBYaDOEXAMPLETOKEN"),
                ..plain("us-east-1")
            },
        ),
        (
            "with x-amz-content-sha256",
            Signing {
                settings: with_hash,
                ..plain("ap-southeast-2")
            },
        ),
        (
            "just before midnight",
            Signing {
                time: at + Duration::from_secs(12 * 3600 - 1),
                ..plain("us-east-1")
            },
        ),
    ]
}

#[test]
fn every_change_to_a_signed_json_request_is_refused_and_absorbed_ones_verify() {
    let key = Key::new("AKIDJSON", "json-secret");
    let other = Key::new("AKIDOTHER", "other-secret");
    let verifier = verifier(&[&key, &other], SIGNING_NAME);
    let mut checked = 0;
    for (request_name, request) in json_requests() {
        for (signing_name, signing) in signings(&key) {
            let signed = signing.sign(&request);
            let rules = Rules {
                service: SIGNING_NAME,
                required: API_SIGNED_HEADERS,
                now: signing.time,
            };
            checked += check(
                &format!("{request_name}, {signing_name}"),
                &signed,
                &verifier,
                &rules,
            );
        }
    }
    println!("{checked} single changes checked");
    assert!(checked > 3000, "only {checked} changes");
}

#[test]
fn each_kind_of_change_is_made() {
    let key = Key::new("AKIDJSON", "json-secret");
    let (_, signing) = signings(&key).remove(0);
    let signed = signing.sign(&json_requests().remove(0).1);
    let rules = Rules {
        service: SIGNING_NAME,
        required: API_SIGNED_HEADERS,
        now: signing.time,
    };
    let made: Vec<String> = refused_changes(&signed, &rules)
        .into_iter()
        .map(|c| c.what)
        .collect();
    for kind in [
        "method GET",
        "a character added to the path",
        "a query added",
        "x-amz-target: value 0 lengthened",
        "host: letter case of value 0",
        "x-amz-target: renamed in the request and in SignedHeaders",
        "content-type: left out of SignedHeaders",
        "a header added to SignedHeaders",
        "a space after the body",
        "X-Amz-Date moved by a second",
        "X-Amz-Date moved by a day",
        "scope date moved by a day",
        "scope region us-west-2",
        "scope service s3",
        "scope terminator aws5_request",
        "signature digit 63 changed",
        "signature empty",
    ] {
        assert!(made.iter().any(|m| m == kind), "no {kind:?} in {made:#?}");
    }
}
