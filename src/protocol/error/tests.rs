//! Each refusal and failure of the inner layers, worded for the wire.
use super::*;

#[test]
fn a_recorded_message_never_holds_the_authorization_header() {
    let basic = "Basic YWRtaW46aHVudGVyMg==";
    for problem in [
        HeaderProblem::NotText,
        HeaderProblem::WrongAlgorithm,
        HeaderProblem::MissingParameters(vec!["Signature"]),
        HeaderProblem::CredentialShape {
            credential: basic.to_owned(),
        },
        HeaderProblem::MissingDate,
        HeaderProblem::MalformedDate {
            date: "yesterday".to_owned(),
        },
    ] {
        let error = ApiError::from(AuthError::Incomplete {
            problem,
            authorization: basic.to_owned(),
        });
        assert!(error.message().contains(basic), "{}", error.message());
        let recorded = error.recorded_message();
        assert!(!recorded.contains("YWRtaW46aHVudGVyMg"), "{recorded}");
        assert!(recorded.contains("not repeated"), "{recorded}");
    }
}

/// Each refusal of `auth`, one of a kind, with the AWS code it is answered with.
fn auth_refusals() -> Vec<(AuthError, &'static str)> {
    let incomplete = |problem| AuthError::Incomplete {
        problem,
        authorization: "AWS4-HMAC-SHA256".to_owned(),
    };
    let invalid = "InvalidSignatureException";
    vec![
        (
            AuthError::MissingAuthorization,
            "MissingAuthenticationTokenException",
        ),
        (
            incomplete(HeaderProblem::NotText),
            "IncompleteSignatureException",
        ),
        (
            incomplete(HeaderProblem::WrongAlgorithm),
            "IncompleteSignatureException",
        ),
        (
            incomplete(HeaderProblem::MissingParameters(vec!["Credential"])),
            "IncompleteSignatureException",
        ),
        (
            incomplete(HeaderProblem::CredentialShape {
                credential: "a/b".to_owned(),
            }),
            "IncompleteSignatureException",
        ),
        (
            incomplete(HeaderProblem::MissingDate),
            "IncompleteSignatureException",
        ),
        (
            incomplete(HeaderProblem::MalformedDate {
                date: "x".to_owned(),
            }),
            "IncompleteSignatureException",
        ),
        (
            AuthError::WrongService {
                expected: "sagemaker".to_owned(),
            },
            invalid,
        ),
        (
            AuthError::WrongTerminator {
                terminator: "x".to_owned(),
            },
            invalid,
        ),
        (
            AuthError::ScopeDateMismatch {
                scope_date: "2026".to_owned(),
                amz_date: "2026".to_owned(),
            },
            invalid,
        ),
        (AuthError::NoRegion, invalid),
        (
            AuthError::UnsignedHeader {
                header: "host".to_owned(),
            },
            invalid,
        ),
        (
            AuthError::NotYetCurrent {
                signed_at: "a".to_owned(),
                latest: "b".to_owned(),
                now: "c".to_owned(),
            },
            invalid,
        ),
        (
            AuthError::Expired {
                signed_at: "a".to_owned(),
                earliest: "b".to_owned(),
                now: "c".to_owned(),
            },
            invalid,
        ),
        (AuthError::UnknownAccessKey, "UnrecognizedClientException"),
        (AuthError::Mismatch, invalid),
    ]
}

#[test]
fn every_signature_refusal_is_a_400_the_sdks_know() {
    let mut wrong = Vec::new();
    for (refusal, code) in auth_refusals() {
        let error = ApiError::from(refusal.clone());
        let seen = (error.code(), error.status(), error.message().is_empty());
        if seen != (code, StatusCode::BAD_REQUEST, false) {
            wrong.push(format!("{refusal:?}: {seen:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_scope_date_shorter_than_a_day_is_quoted_whole() {
    let error = ApiError::from(AuthError::ScopeDateMismatch {
        scope_date: "20261129".to_owned(),
        amz_date: "2026".to_owned(),
    });
    assert_eq!(
        error.message(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
         '20261129' != '2026', from '2026'."
    );
}

#[test]
fn each_kind_of_domain_refusal_has_its_aws_code() {
    let cases: [(DomainError, &str, &str); 4] = [
        (
            Missing::Image {
                name: "a".to_owned(),
            }
            .into(),
            "ResourceNotFound",
            "Message",
        ),
        (
            Busy::ImageDeleting {
                name: "a".to_owned(),
            }
            .into(),
            "ResourceInUse",
            "Message",
        ),
        (Invalid::PageToken.into(), "ValidationException", "message"),
        (
            Limit::Tags { count: 51, max: 50 }.into(),
            "ResourceLimitExceeded",
            "Message",
        ),
    ];
    for (refusal, code, message_key) in cases {
        let error = ApiError::from(refusal.clone());
        assert_eq!(
            (error.code(), error.status(), error.message_key()),
            (code, StatusCode::BAD_REQUEST, message_key),
            "{refusal:?}"
        );
    }
}

#[test]
fn a_denial_is_worded_as_iam_words_it() {
    let denial = |explicit| Denial {
        principal: "arn:aws:iam::111111111111:user/ci".to_owned(),
        action: "sagemaker:DeleteImage".to_owned(),
        resource: "arn:aws:sagemaker:us-east-1:111111111111:image/base".to_owned(),
        explicit,
    };
    let prefix = "User: arn:aws:iam::111111111111:user/ci is not authorized to perform: \
                  sagemaker:DeleteImage on resource: arn:aws:sagemaker:us-east-1:111111111111:image/base";
    let implicit = ApiError::from(denial(false));
    assert_eq!(
        (implicit.code(), implicit.status(), implicit.message()),
        (
            "AccessDeniedException",
            StatusCode::BAD_REQUEST,
            format!(
                "{prefix} because no identity-based policy allows the sagemaker:DeleteImage action"
            )
            .as_str()
        )
    );
    assert_eq!(
        ApiError::from(denial(true)).message(),
        format!("{prefix} with an explicit deny in an identity-based policy")
    );
}

#[test]
fn a_store_failure_keeps_its_cause_for_the_log_and_tells_the_client_only_what_helps() {
    let cases = [
        (
            StoreError::DiskFull("no room".to_owned()),
            (
                "ServiceUnavailable",
                503,
                "The server's disk is full; the change was not made. Retry once space is free.",
            ),
        ),
        (
            StoreError::Closed,
            (
                "ServiceUnavailable",
                503,
                "The server's database could not be reached. Retry shortly.",
            ),
        ),
        (
            StoreError::Corrupt("status 'X'".to_owned()),
            (
                "InternalFailure",
                500,
                "We encountered an internal error. Please try again.",
            ),
        ),
    ];
    for (failure, (code, status, message)) in cases {
        let cause = failure.to_string();
        let error = ApiError::from(failure);
        assert_eq!(
            (error.code(), error.status().as_u16(), error.message()),
            (code, status, message)
        );
        assert_eq!(error.cause(), Some(cause.as_str()));
        assert!(
            !error.message().contains(&cause),
            "the cause stays out of the answer"
        );
    }
    assert_eq!(ApiError::internal().cause(), None);
}
