//! AWS's SigV4 test suite, as shipped in the `aws-sigv4` crate's package
//! (`aws-signing-test-suite/v4/<case>/`), run through our signature code.
//!
//! The cases are scoped to the service `service` (two to `lambda`), dated 2015 or 2021, mostly GETs, and
//! never sign `x-amz-target`: the service's own rules would refuse them all, which would prove nothing. So
//! each case's credentials, service, region and clock are injected into the verifier, and only the headers
//! every case signs (`host`, `x-amz-date`) are required. Every case has an expected outcome in `CASES`; a case
//! of the suite that is not listed, or listed and absent, fails the test. The outcome of each case is printed
//! (`cargo test vectors -- --nocapture`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::http::Uri;
use time::format_description::well_known::Rfc3339;

use super::mutations::{check, Rules};
use super::{verifier, Key, Wire, DOES_NOT_MATCH};
use crate::auth::signature::{self, SignedRequest, SigningKeys};
use crate::auth::{parse_amz_date, parse_authorization, Verifier, CONTROL_SIGNED_HEADERS};

/// What a case's header-signed request must do.
enum Header {
    /// It verifies; our canonical request and string to sign are the suite's, byte for byte; every change
    /// that alters them is refused and every change they absorb still verifies.
    Verifies,
    /// Its header is folded over three lines (obs-fold), which HTTP/1.1 no longer allows and which the HTTP
    /// layer refuses with 400 (integration test `the_http_layer_refuses_what_http_1_1_forbids`). Unfolded, as
    /// RFC 9112 section 5.2 lets a recipient do, it verifies as `Verifies` says.
    VerifiesUnfolded,
    /// It was signed without normalising its path, which SigV4 allows only for S3. The server normalises
    /// (`aws-sigv4`'s default), so the case's signature is refused, and our canonical request and string to
    /// sign are those of `twin`, the same request signed with normalisation.
    Unnormalized { twin: &'static str },
    /// Its request line holds a raw space, which a request target may not: the HTTP layer answers 400 before
    /// any signature check (integration test `the_http_layer_refuses_what_http_1_1_forbids`), so no signature
    /// of it can be checked. (Raw UTF-8 in a target is read, and those cases verify.)
    Unreachable { why: &'static str },
}

/// A context the suite does not give (the case has no `context.json`): taken from `aws-sigv4`'s own tests
/// of the case and from its signed request.
struct Supplied {
    key: (&'static str, &'static str),
    region: &'static str,
    service: &'static str,
    amz_date: &'static str,
    /// The suite's canonical request was made at another time than its signed request (`aws-sigv4`'s
    /// test sets X-Amz-Date from its own clock); ours is computed for the request dated so.
    canonical_date: Option<&'static str>,
}

struct Case {
    name: &'static str,
    header: Header,
    supplied: Option<Supplied>,
}

const fn case(name: &'static str, header: Header) -> Case {
    Case {
        name,
        header,
        supplied: None,
    }
}

const RAW_SPACE: &str = "a raw space in the path";

const CASES: &[Case] = &[
    Case {
        name: "double-encode-path",
        header: Header::Verifies,
        supplied: Some(Supplied {
            key: ("ANOTREAL", "notrealrnrELgWzOk3IfjzDKtFBhDby"),
            region: "us-east-1",
            service: "service",
            amz_date: "20150830T123600Z",
            canonical_date: Some("20210511T154045Z"),
        }),
    },
    Case {
        name: "double-url-encode",
        header: Header::Verifies,
        supplied: Some(Supplied {
            key: ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-2",
            service: "lambda",
            amz_date: "20210511T154045Z",
            canonical_date: None,
        }),
    },
    case("get-header-key-duplicate", Header::Verifies),
    case("get-header-value-multiline", Header::VerifiesUnfolded),
    case("get-header-value-order", Header::Verifies),
    case("get-header-value-trim", Header::Verifies),
    case("get-relative-normalized", Header::Verifies),
    case("get-relative-relative-normalized", Header::Verifies),
    case(
        "get-relative-relative-unnormalized",
        Header::Unnormalized {
            twin: "get-relative-relative-normalized",
        },
    ),
    case(
        "get-relative-unnormalized",
        Header::Unnormalized {
            twin: "get-relative-normalized",
        },
    ),
    case("get-slash-dot-slash-normalized", Header::Verifies),
    case(
        "get-slash-dot-slash-unnormalized",
        Header::Unnormalized {
            twin: "get-slash-dot-slash-normalized",
        },
    ),
    case("get-slash-normalized", Header::Verifies),
    case("get-slash-pointless-dot-normalized", Header::Verifies),
    case(
        "get-slash-pointless-dot-unnormalized",
        Header::Unnormalized {
            twin: "get-slash-pointless-dot-normalized",
        },
    ),
    case(
        "get-slash-unnormalized",
        Header::Unnormalized {
            twin: "get-slash-normalized",
        },
    ),
    case("get-slashes-normalized", Header::Verifies),
    case(
        "get-slashes-unnormalized",
        Header::Unnormalized {
            twin: "get-slashes-normalized",
        },
    ),
    case(
        "get-space-normalized",
        Header::Unreachable { why: RAW_SPACE },
    ),
    case(
        "get-space-unnormalized",
        Header::Unreachable { why: RAW_SPACE },
    ),
    case("get-unreserved", Header::Verifies),
    case("get-utf8", Header::Verifies),
    case("get-vanilla", Header::Verifies),
    case("get-vanilla-empty-query-key", Header::Verifies),
    case("get-vanilla-query", Header::Verifies),
    case("get-vanilla-query-order-encoded", Header::Verifies),
    case("get-vanilla-query-order-key-case", Header::Verifies),
    case("get-vanilla-query-unreserved", Header::Verifies),
    case("get-vanilla-utf8-query", Header::Verifies),
    case("get-vanilla-with-session-token", Header::Verifies),
    case("post-header-key-case", Header::Verifies),
    case("post-header-key-sort", Header::Verifies),
    case("post-header-value-case", Header::Verifies),
    case("post-sts-header-after", Header::Verifies),
    case("post-sts-header-before", Header::Verifies),
    case("post-vanilla", Header::Verifies),
    case("post-vanilla-empty-query-value", Header::Verifies),
    case("post-vanilla-query", Header::Verifies),
    case("post-x-www-form-urlencoded", Header::Verifies),
    case("post-x-www-form-urlencoded-parameters", Header::Verifies),
];

/// `aws-signing-test-suite/v4` of the `aws-sigv4` package this crate is built with, found through
/// `cargo metadata` (so wherever `CARGO_HOME` is, and whichever version `Cargo.lock` holds).
fn suite_dir() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--locked",
            "--manifest-path",
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let manifests: Vec<&str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter(|p| p["name"] == "aws-sigv4")
        .filter_map(|p| p["manifest_path"].as_str())
        .collect();
    let [manifest] = manifests[..] else {
        panic!("expected one aws-sigv4 package, found {manifests:?}");
    };
    let dir = Path::new(manifest)
        .parent()
        .expect("a manifest is in a directory")
        .join("aws-signing-test-suite/v4");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    dir
}

/// A file of the suite, as the suite's own harness reads it: CRLF as LF, trimmed.
fn read(dir: &Path, file: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(file)).ok()?;
    Some(text.replace("\r\n", "\n").trim().to_owned())
}

/// A request file of the suite: request line, headers (continuation lines unfolded into the header they
/// continue), a blank line, the body.
fn parse_request(text: &str) -> (Wire, bool) {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().expect("a request line");
    let (method, rest) = request_line.split_once(' ').expect("a method");
    let target = rest.strip_suffix(" HTTP/1.1").unwrap_or(rest);
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut folded = false;
    for line in lines {
        if line.starts_with([' ', '\t']) {
            folded = true;
            let (_, value) = headers.last_mut().expect("a continuation follows a header");
            value.push(' ');
            value.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':').expect("name:value");
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    let wire = Wire {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    };
    (wire, folded)
}

/// A case's credentials, region, service and clock.
struct Context {
    key: Key,
    region: String,
    service: String,
    now: SystemTime,
    canonical_date: Option<&'static str>,
}

fn context(dir: &Path, case: &Case) -> Context {
    match (&case.supplied, read(dir, "context.json")) {
        (Some(_), Some(_)) => panic!("{}: has a context.json now; drop ours", case.name),
        (None, None) => panic!("{}: has no context.json", case.name),
        (Some(s), None) => Context {
            key: Key::new(s.key.0, s.key.1),
            region: s.region.to_owned(),
            service: s.service.to_owned(),
            now: parse_amz_date(s.amz_date).expect("a basic-format date"),
            canonical_date: s.canonical_date,
        },
        (None, Some(json)) => {
            let context: serde_json::Value = serde_json::from_str(&json).expect("context.json");
            let text = |v: &serde_json::Value| v.as_str().expect("a string").to_owned();
            let timestamp = text(&context["timestamp"]);
            let now = time::OffsetDateTime::parse(&timestamp, &Rfc3339).expect("RFC 3339");
            Context {
                key: Key::new(
                    &text(&context["credentials"]["access_key_id"]),
                    &text(&context["credentials"]["secret_access_key"]),
                ),
                region: text(&context["region"]),
                service: text(&context["service"]),
                now: now.into(),
                canonical_date: None,
            }
        }
    }
}

/// Records the canonical request `aws-sigv4` traces as it signs (its signer does not return it).
#[derive(Clone, Default)]
struct CanonicalTrace(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for CanonicalTrace {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target().starts_with("aws_sigv4")
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Visitor<'a>(&'a Mutex<Vec<String>>);
        impl tracing::field::Visit for Visitor<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "canonical_request" {
                    let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
                    seen.push(format!("{value:?}"));
                }
            }
        }
        event.record(&mut Visitor(&self.0));
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Our canonical request of `wire` (as its Authorization header describes it), string to sign and
/// signature; and whether the request took the direct form.
struct Computed {
    canonical: String,
    string_to_sign: String,
    signature: signature::ExpectedSignature,
    direct: bool,
}

fn compute(wire: &Wire, key: &Key, service: &str) -> Computed {
    let headers = wire.header_map();
    let authorization = wire.value("authorization");
    let auth = parse_authorization(authorization).expect("the suite's Authorization parses");
    let amz_date = wire.value("x-amz-date");
    let request = SignedRequest {
        method: &wire.method,
        uri: &wire.target,
        headers: &headers,
        signed_headers: &auth.signed_headers,
        body: &wire.body,
        amz_date,
        signed_at: parse_amz_date(amz_date).expect("a basic-format date"),
        region: auth.region,
        service,
        credential_scope: auth.credential,
    };
    let trace = CanonicalTrace::default();
    let computed = tracing::subscriber::with_default(trace.clone(), || {
        signature::expected(&SigningKeys::default(), &key.credential(), &request)
    })
    .expect("every signed header is present");
    let traced = trace.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (canonical, direct) = match signature::canonical_request(&request) {
        Some(direct) => {
            assert!(traced.is_empty(), "the direct form does not call aws-sigv4");
            (direct.expect("every signed header is present"), true)
        }
        None => match &traced[..] {
            [canonical] => (canonical.clone(), false),
            other => panic!("aws-sigv4 traced {} canonical requests", other.len()),
        },
    };
    Computed {
        string_to_sign: signature::string_to_sign(&request, &canonical),
        canonical,
        signature: computed,
        direct,
    }
}

#[test]
fn the_official_sigv4_vectors() {
    let suite = suite_dir();
    let mut on_disk: Vec<String> = std::fs::read_dir(&suite)
        .expect("the suite's directory")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    assert_eq!(
        on_disk, listed,
        "every case of the suite has an outcome here"
    );

    let mut report = String::new();
    let (mut verified, mut changes) = (0, 0);
    for case in CASES {
        let dir = suite.join(case.name);
        let context = context(&dir, case);
        let verifier = verifier(&[&context.key], &context.service);
        let rules = Rules {
            service: &context.service,
            required: CONTROL_SIGNED_HEADERS,
            now: context.now,
        };
        let (signed, folded) =
            parse_request(&read(&dir, "header-signed-request.txt").expect("a signed request"));
        let expected_canonical =
            read(&dir, "header-canonical-request.txt").expect("a canonical request");
        let expected_string_to_sign = read(&dir, "header-string-to-sign.txt");
        let authorization = signed.authorization();
        assert_eq!(authorization.region, context.region, "{}", case.name);
        assert_eq!(authorization.service, context.service, "{}", case.name);
        let suite_signature = authorization.signature;
        if let Some(file) = read(&dir, "header-signature.txt") {
            assert_eq!(file, suite_signature, "{}", case.name);
        }
        let outcome = match case.header {
            Header::Verifies | Header::VerifiesUnfolded => {
                let unfolded = matches!(case.header, Header::VerifiesUnfolded);
                assert_eq!(folded, unfolded, "{}: folded lines", case.name);
                let mut dated = signed.clone();
                if let Some(date) = context.canonical_date {
                    dated.set_values("x-amz-date", &[date]);
                }
                let ours = compute(&dated, &context.key, &context.service);
                assert_eq!(ours.canonical, expected_canonical, "{}", case.name);
                match &expected_string_to_sign {
                    Some(sts) => assert_eq!(&ours.string_to_sign, sts, "{}", case.name),
                    None => assert!(
                        context.canonical_date.is_some(),
                        "{}: no string to sign",
                        case.name
                    ),
                }
                let ours = compute(&signed, &context.key, &context.service);
                assert!(ours.signature.matches(&suite_signature), "{}", case.name);
                changes += check(case.name, &signed, &verifier, &rules);
                verified += 1;
                let mut outcome = format!(
                    "verifies ({} form); canonical request{} equal",
                    if ours.direct { "direct" } else { "general" },
                    if expected_string_to_sign.is_some() {
                        " and string to sign"
                    } else {
                        ""
                    },
                );
                if let Some(date) = context.canonical_date {
                    let _ = write!(outcome, " (canonical request dated {date}, as the suite's)");
                }
                if unfolded {
                    outcome.push_str("; after unfolding its obs-fold, which HTTP refuses");
                }
                outcome
            }
            Header::Unnormalized { twin } => {
                assert!(!folded, "{}", case.name);
                let twin_dir = suite.join(twin);
                let ours = compute(&signed, &context.key, &context.service);
                assert_eq!(
                    ours.canonical,
                    read(&twin_dir, "header-canonical-request.txt").expect("twin's canonical"),
                    "{}",
                    case.name
                );
                assert_eq!(
                    Some(ours.string_to_sign),
                    read(&twin_dir, "header-string-to-sign.txt"),
                    "{}",
                    case.name
                );
                assert_ne!(ours.canonical, expected_canonical, "{}", case.name);
                let refused = signed
                    .verify(&verifier, context.now, CONTROL_SIGNED_HEADERS)
                    .expect_err(case.name);
                assert_eq!(refused.code(), "InvalidSignatureException", "{}", case.name);
                assert_eq!(refused.message(), DOES_NOT_MATCH, "{}", case.name);
                format!("refused: signed unnormalised; canonical request and string to sign equal {twin}'s")
            }
            Header::Unreachable { why } => {
                assert!(
                    signed.target.parse::<Uri>().is_err(),
                    "{}: {:?} is a valid request target",
                    case.name,
                    signed.target
                );
                format!("unreachable: {why}, which the HTTP layer refuses (400)")
            }
        };
        let presigned = presigned_is_refused(&dir, &verifier, &context);
        let _ = writeln!(report, "{:<40} header: {outcome}; {presigned}", case.name);
    }
    println!("{report}{verified} cases verified; {changes} single changes checked on them");
    assert_eq!(verified, 32, "cases verified");
    assert!(changes > 3500, "only {changes} changes checked");
}

/// A case's query-signed (presigned) request: the service takes signatures only from the Authorization
/// header, so it is refused even with its credentials, scope and clock.
fn presigned_is_refused(dir: &Path, verifier: &Verifier, context: &Context) -> String {
    let Some(text) = read(dir, "query-signed-request.txt") else {
        assert!(
            read(dir, "query-canonical-request.txt").is_none(),
            "{}: a query-signed case without its request",
            dir.display()
        );
        return "no presigned form in the suite".to_owned();
    };
    let (presigned, _) = parse_request(&text);
    let signature = read(dir, "query-signature.txt").expect("a query signature");
    assert!(
        presigned
            .target
            .contains(&format!("X-Amz-Signature={signature}")),
        "{}",
        presigned.target
    );
    assert!(presigned.values("authorization").is_empty());
    let refused = presigned
        .verify(verifier, context.now, CONTROL_SIGNED_HEADERS)
        .expect_err("a presigned request is refused");
    assert_eq!(refused.code(), "MissingAuthenticationTokenException");
    assert_eq!(refused.message(), "Request is missing Authentication Token");
    "presigned: refused (MissingAuthenticationTokenException)".to_owned()
}
