//! The service's own rules, apart from the signature computation: credentials scoped to `sagemaker`, the
//! 15-minute clock window either way, `host`, `x-amz-date` and `x-amz-target` signed, the signature in the
//! Authorization header and nowhere else. (`POST /` is the server's rule: integration test
//! `signatures::only_post_slash_is_an_operation`.)

use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{SignatureLocation, SigningSettings};

use super::{verifier, Key, Signing, Wire};
use crate::auth::{API_SIGNED_HEADERS, CONTROL_SIGNED_HEADERS, SIGNING_NAME};

/// 2026-11-29T12:00:00Z.
fn signed_at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_953_600)
}

fn request(with_target: bool) -> Wire {
    let mut headers = vec![
        ("host", "localhost:7447"),
        ("content-type", "application/x-amz-json-1.1"),
    ];
    if with_target {
        headers.push(("x-amz-target", "SageMaker.ListImages"));
    }
    Wire::new("POST", "/", &headers, b"{}")
}

fn signing<'a>(key: &'a Key, service: &'a str, settings: SigningSettings) -> Signing<'a> {
    Signing {
        key,
        session_token: None,
        region: "us-east-1",
        service,
        time: signed_at(),
        settings,
    }
}

fn settings_excluding(header: &'static str) -> SigningSettings {
    let mut settings = SigningSettings::default();
    if let Some(excluded) = settings.excluded_headers.as_mut() {
        excluded.push(header.into());
    }
    settings
}

/// `request` presigned (the signature in the query string) by `aws-sigv4`.
fn presigned(request: &Wire, key: &Key) -> Wire {
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(900));
    let presigned = signing(key, SIGNING_NAME, settings).sign(request);
    assert!(presigned.values("authorization").is_empty());
    assert!(
        presigned.target.contains("X-Amz-Signature="),
        "{presigned:?}"
    );
    presigned
}

#[test]
fn the_service_rules() {
    let key = Key::new("AKIDRULES", "rules-secret");
    let verifier = verifier(&[&key], SIGNING_NAME);
    let sign = |service: &str, settings: SigningSettings, with_target: bool| {
        signing(&key, service, settings).sign(&request(with_target))
    };
    let standard = sign(SIGNING_NAME, SigningSettings::default(), true);
    let minutes = |m: u64| Duration::from_secs(m * 60);
    let second = Duration::from_secs(1);
    let fmt = crate::auth::format_amz_date;
    let date = fmt(signed_at());

    let wrong_service = "Credential should be scoped to correct service: 'sagemaker'.".to_owned();
    let must_sign =
        |name: &str| format!("'{name}' must be a 'SignedHeader' in the AWS Authorization.");
    let expired = |now: SystemTime| {
        format!(
            "Signature expired: {date} is now earlier than {} ({} - 15 min.)",
            fmt(now - minutes(15)),
            fmt(now)
        )
    };
    let early = |now: SystemTime| {
        format!(
            "Signature not yet current: {date} is still later than {} ({} + 15 min.)",
            fmt(now + minutes(15)),
            fmt(now)
        )
    };
    let without_date = {
        let mut authorization = standard.authorization();
        authorization.signed_headers.retain(|n| n != "x-amz-date");
        standard.clone().with_authorization(&authorization)
    };

    // (what, request, server clock, required signed headers, refusal or None to verify)
    type Row<'a> = (
        &'a str,
        Wire,
        SystemTime,
        &'a [&'a str],
        Option<(&'a str, String)>,
    );
    let invalid = "InvalidSignatureException";
    let rows: Vec<Row<'_>> = vec![
        (
            "as the SDKs sign",
            standard.clone(),
            signed_at(),
            API_SIGNED_HEADERS,
            None,
        ),
        (
            "scoped to s3",
            sign("s3", SigningSettings::default(), true),
            signed_at(),
            API_SIGNED_HEADERS,
            Some((invalid, wrong_service.clone())),
        ),
        (
            "scoped to SageMaker",
            sign("SageMaker", SigningSettings::default(), true),
            signed_at(),
            API_SIGNED_HEADERS,
            Some((invalid, wrong_service.clone())),
        ),
        (
            "scoped to the suite's service",
            sign("service", SigningSettings::default(), true),
            signed_at(),
            API_SIGNED_HEADERS,
            Some((invalid, wrong_service)),
        ),
        (
            "server 15 min later",
            standard.clone(),
            signed_at() + minutes(15),
            API_SIGNED_HEADERS,
            None,
        ),
        (
            "server 15 min 1 s later",
            standard.clone(),
            signed_at() + minutes(15) + second,
            API_SIGNED_HEADERS,
            Some((invalid, expired(signed_at() + minutes(15) + second))),
        ),
        (
            "server 15 min earlier",
            standard.clone(),
            signed_at() - minutes(15),
            API_SIGNED_HEADERS,
            None,
        ),
        (
            "server 15 min 1 s earlier",
            standard.clone(),
            signed_at() - minutes(15) - second,
            API_SIGNED_HEADERS,
            Some((invalid, early(signed_at() - minutes(15) - second))),
        ),
        (
            "server a year later",
            standard.clone(),
            signed_at() + minutes(365 * 24 * 60),
            API_SIGNED_HEADERS,
            Some((invalid, expired(signed_at() + minutes(365 * 24 * 60)))),
        ),
        (
            "x-amz-target not sent",
            sign(SIGNING_NAME, SigningSettings::default(), false),
            signed_at(),
            API_SIGNED_HEADERS,
            Some((invalid, must_sign("x-amz-target"))),
        ),
        (
            "x-amz-target sent, not signed",
            sign(SIGNING_NAME, settings_excluding("x-amz-target"), true),
            signed_at(),
            API_SIGNED_HEADERS,
            Some((invalid, must_sign("x-amz-target"))),
        ),
        (
            "host not signed",
            sign(SIGNING_NAME, settings_excluding("host"), true),
            signed_at(),
            API_SIGNED_HEADERS,
            Some((invalid, must_sign("host"))),
        ),
        (
            "x-amz-date not signed",
            without_date,
            signed_at(),
            API_SIGNED_HEADERS,
            Some((invalid, must_sign("x-amz-date"))),
        ),
        (
            "control plane: no x-amz-target needed",
            sign(SIGNING_NAME, SigningSettings::default(), false),
            signed_at(),
            CONTROL_SIGNED_HEADERS,
            None,
        ),
        (
            "control plane: host not signed",
            sign(SIGNING_NAME, settings_excluding("host"), false),
            signed_at(),
            CONTROL_SIGNED_HEADERS,
            Some((invalid, must_sign("host"))),
        ),
        (
            "presigned (signature in the query string)",
            presigned(&request(true), &key),
            signed_at(),
            API_SIGNED_HEADERS,
            Some((
                "MissingAuthenticationTokenException",
                "Request is missing Authentication Token".to_owned(),
            )),
        ),
    ];
    for (what, request, now, required, refusal) in rows {
        match (request.verify(&verifier, now, required), refusal) {
            (Ok(_), None) => {}
            (Ok(_), Some((code, _))) => panic!("{what}: verifies, expected {code}"),
            (Err(e), None) => panic!("{what}: refused: {e:?}"),
            (Err(e), Some((code, message))) => {
                assert_eq!(e.code(), code, "{what}: {e:?}");
                assert_eq!(e.message(), message, "{what}");
            }
        }
    }
}
