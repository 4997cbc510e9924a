//! SigV4 over the wire, beside the verifier's unit proofs (src/auth/proofs/): a signed request changed in any
//! part is refused and changes nothing; what canonicalisation absorbs still goes through; what HTTP/1.1
//! forbids never reaches the verifier; presigned requests are refused; only `POST /` is an operation.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use serde_json::{json, Value};

use crate::common::raw::{RawClient, RawRequest, RawResponse, Signer};
use crate::common::{Server, REGION, ROLE_ARN};

const DOES_NOT_MATCH: &str = "The request signature we calculated does not match the signature you \
                              provided. Check your AWS Secret Access Key and signing method. Consult the \
                              service documentation for details.";

/// What the store holds, as the API shows it: every image and app image config.
async fn everything(raw: &RawClient) -> Value {
    let images = raw.call("ListImages", &json!({ "MaxResults": 100 })).await;
    assert_eq!(images.status, 200, "{}", images.text);
    let configs = raw
        .call("ListAppImageConfigs", &json!({ "MaxResults": 100 }))
        .await;
    assert_eq!(configs.status, 200, "{}", configs.text);
    json!({ "images": images.body["Images"], "configs": configs.body["AppImageConfigs"] })
}

fn authorization_with(request: &RawRequest, from: &str, to: &str) -> RawRequest {
    let mut changed = request.clone();
    let authorization = request.header("authorization").expect("signed");
    assert!(authorization.contains(from), "{authorization} lacks {from}");
    changed.set_header("authorization", &authorization.replacen(from, to, 1));
    changed
}

fn date_of(request: &RawRequest) -> String {
    request.header("x-amz-date").expect("signed").to_owned()
}

#[tokio::test]
async fn a_signed_request_changed_in_any_part_is_refused_and_changes_nothing() {
    let server = Server::start();
    let raw = server.raw();
    let body = json!({ "ImageName": "mutant", "RoleArn": ROLE_ARN });
    let at = SystemTime::now();
    let signed = raw.request("CreateImage", &body).signed(&Signer {
        time: at,
        ..Default::default()
    });
    let date = date_of(&signed);
    let scope = format!("/{}/{REGION}/sagemaker/aws4_request", &date[..8]);
    let signature = signed
        .header("authorization")
        .and_then(|a| a.split("Signature=").nth(1))
        .expect("a signature")
        .to_owned();
    let before = everything(&raw).await;

    let with = |change: &dyn Fn(&mut RawRequest)| {
        let mut request = signed.clone();
        change(&mut request);
        request
    };
    // A second later (earlier just before midnight: the same day, so only the signature tells).
    let second = Duration::from_secs(1);
    let moved = Signer {
        time: if date.ends_with("235959Z") {
            at - second
        } else {
            at + second
        },
        ..Default::default()
    };
    let digit = if signature.starts_with('0') { "1" } else { "0" };
    let changes: Vec<(&str, RawRequest, &str, &str)> = vec![
        ("method", with(&|r| r.method = "PUT".into()), "InvalidSignatureException", DOES_NOT_MATCH),
        ("path", with(&|r| r.path = "/x".into()), "InvalidSignatureException", DOES_NOT_MATCH),
        ("query", with(&|r| r.path = "/?a=1".into()), "InvalidSignatureException", DOES_NOT_MATCH),
        (
            "operation",
            with(&|r| r.set_header("x-amz-target", "SageMaker.CreateAppImageConfig")),
            "InvalidSignatureException",
            DOES_NOT_MATCH,
        ),
        (
            "content type",
            with(&|r| r.set_header("content-type", "application/json")),
            "InvalidSignatureException",
            DOES_NOT_MATCH,
        ),
        (
            "body",
            with(&|r| r.body = serde_json::to_vec(&json!({"ImageName": "other", "RoleArn": ROLE_ARN})).unwrap()),
            "InvalidSignatureException",
            DOES_NOT_MATCH,
        ),
        ("body and a space", with(&|r| r.body.push(b' ')), "InvalidSignatureException", DOES_NOT_MATCH),
        (
            "date",
            with(&|r| r.set_header("x-amz-date", &date_of(&raw.request("CreateImage", &body).signed(&moved)))),
            "InvalidSignatureException",
            DOES_NOT_MATCH,
        ),
        (
            "scope region",
            authorization_with(&signed, &scope, &scope.replace(REGION, "us-west-2")),
            "InvalidSignatureException",
            DOES_NOT_MATCH,
        ),
        (
            "scope date",
            authorization_with(&signed, &scope, &scope.replace(&date[..8], "20000101")),
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD",
        ),
        (
            "scope service",
            authorization_with(&signed, "/sagemaker/", "/sagemakes/"),
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'sagemaker'.",
        ),
        (
            "scope terminator",
            authorization_with(&signed, "/aws4_request", "/aws4_requesx"),
            "InvalidSignatureException",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_requesx'.",
        ),
        (
            "signed headers",
            authorization_with(&signed, ";x-amz-target", ""),
            "InvalidSignatureException",
            "'x-amz-target' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        (
            "signature",
            authorization_with(&signed, &format!("Signature={}", &signature[..1]), &format!("Signature={digit}")),
            "InvalidSignatureException",
            DOES_NOT_MATCH,
        ),
        (
            "access key",
            authorization_with(&signed, "Credential=test/", "Credential=tesu/"),
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
    ];
    for (what, request, code, message) in changes {
        let answer = raw.send(request).await;
        assert_eq!(answer.status, 400, "{what}: {}", answer.text);
        assert_eq!(answer.error_type(), code, "{what}: {}", answer.text);
        assert!(
            answer.message().starts_with(message),
            "{what}: {}",
            answer.message()
        );
        assert_eq!(everything(&raw).await, before, "{what} changed the store");
    }

    // The request as signed goes through, so each refusal above was the change's.
    let answer = raw.send(signed).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_ne!(everything(&raw).await, before);
}

/// Sends `bytes` as they are and returns the status and body of the answer (the request asks the server to
/// close the connection).
fn send_bytes(server: &Server, bytes: &[u8]) -> (u16, String) {
    let address = server.endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(bytes).expect("write");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read to the end");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// `request` as HTTP/1.1 bytes, each header line made by `line` from its name and value.
fn http1(request: &RawRequest, line: impl Fn(&str, &str) -> String) -> Vec<u8> {
    let mut bytes = format!("{} {} HTTP/1.1\r\n", request.method, request.path).into_bytes();
    for (name, value) in &request.headers {
        bytes.extend_from_slice(line(name, value).as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(
        format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            request.body.len()
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(&request.body);
    bytes
}

#[tokio::test]
async fn what_canonicalisation_absorbs_still_goes_through() {
    let server = Server::start();
    let raw = server.raw();
    let mut request = raw.request("ListImages", &json!({}));
    request.set_header("x-custom", "two words");
    let signed = request.signed(&Signer::default());
    let rows: Vec<(&str, Vec<u8>)> = vec![
        ("as signed", http1(&signed, |n, v| format!("{n}: {v}"))),
        (
            "header names in upper case",
            http1(&signed, |n, v| format!("{}: {v}", n.to_ascii_uppercase())),
        ),
        (
            "header names in mixed case",
            http1(&signed, |n, v| {
                let mixed: String = n
                    .chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if i % 2 == 0 {
                            c.to_ascii_uppercase()
                        } else {
                            c
                        }
                    })
                    .collect();
                format!("{mixed}: {v}")
            }),
        ),
        (
            "runs of spaces inside and around values",
            http1(&signed, |n, v| {
                format!("{n}:    {}   ", v.replace(' ', "     "))
            }),
        ),
        (
            "tabs around values",
            http1(&signed, |n, v| format!("{n}:\t{v}\t")),
        ),
    ];
    for (what, bytes) in rows {
        let (status, body) = send_bytes(&server, &bytes);
        assert_eq!(status, 200, "{what}: {body}");
        assert!(body.contains("\"Images\""), "{what}: {body}");
    }
}

#[tokio::test]
async fn the_http_layer_refuses_what_http_1_1_forbids() {
    // The request lines and headers of AWS's signing suite that HTTP/1.1 does not allow: hyper answers 400
    // with no body, before anything of ours runs.
    let server = Server::start();
    let signed = server
        .raw()
        .request("ListImages", &json!({}))
        .signed(&Signer::default());
    let rows: Vec<(&str, Vec<u8>)> = vec![
        (
            "a raw space in the path (get-space-*)",
            http1(
                &RawRequest {
                    path: "/example space/".into(),
                    ..signed.clone()
                },
                |n, v| format!("{n}: {v}"),
            ),
        ),
        (
            "a header folded over lines (get-header-value-multiline)",
            http1(&signed, |n, v| {
                if n == "x-amz-target" {
                    format!("{n}: {v}\r\n  value2\r\n     value3")
                } else {
                    format!("{n}: {v}")
                }
            }),
        ),
    ];
    for (what, bytes) in rows {
        let (status, body) = send_bytes(&server, &bytes);
        assert_eq!((status, body.as_str()), (400, ""), "{what}");
    }
    // Raw UTF-8 in the target (get-utf8, get-vanilla-utf8-query) is read, and reaches the verifier.
    let (status, body) = send_bytes(
        &server,
        "POST /\u{1234}?\u{1234}=bar HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".as_bytes(),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("MissingAuthenticationTokenException"),
        "{body}"
    );
}

#[tokio::test]
async fn only_post_slash_is_an_operation() {
    let server = Server::start();
    let raw = server.raw();
    let body = json!({ "ImageName": "elsewhere", "RoleArn": ROLE_ARN });
    let before = everything(&raw).await;
    for (method, path) in [
        ("GET", "/"),
        ("PUT", "/"),
        ("DELETE", "/"),
        ("PATCH", "/"),
        ("POST", "/images"),
        ("POST", "//"),
    ] {
        let mut request = raw.request("CreateImage", &body);
        request.method = method.to_owned();
        request.path = path.to_owned();
        let answer: RawResponse = raw.send(request.signed(&Signer::default())).await;
        let shown_path = path.split('?').next().unwrap_or(path);
        assert_eq!(answer.status, 400, "{method} {path}: {}", answer.text);
        assert_eq!(
            answer.error_type(),
            "UnknownOperationException",
            "{method} {path}: {}",
            answer.text
        );
        assert_eq!(
            answer.message(),
            format!("{method} {shown_path} is not an operation of this service; send POST / with X-Amz-Target."),
        );
    }
    assert_eq!(everything(&raw).await, before);

    // A query string on `POST /` is signed like the rest, and otherwise ignored.
    let mut request = raw.request("CreateImage", &body);
    request.path = "/?Action=DeleteImage".to_owned();
    let answer = raw.send(request.signed(&Signer::default())).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        answer.body["ImageArn"],
        "arn:aws:sagemaker:us-east-1:000000000000:image/elsewhere"
    );
}

#[tokio::test]
async fn a_presigned_request_is_refused() {
    let server = Server::start();
    let raw = server.raw();
    let before = everything(&raw).await;
    let request = raw.request(
        "CreateImage",
        &json!({ "ImageName": "presigned", "RoleArn": ROLE_ARN }),
    );

    // Presigned by aws-sigv4 for this service, now, with the right key: the signature is in the query.
    let identity =
        aws_credential_types::Credentials::new("test", "test", None, None, "presign").into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(300));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("sagemaker")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .expect("signing parameters")
        .into();
    let signable = SignableRequest::new(
        &request.method,
        request.path.clone(),
        request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(&request.body),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("presigned").into_parts();
    let mut http = axum::http::Request::builder()
        .uri(request.path.as_str())
        .body(())
        .expect("a request");
    instructions.apply_to_request_http1x(&mut http);
    let mut presigned = request.clone();
    presigned.path = http.uri().to_string();
    assert!(
        presigned.path.contains("X-Amz-Signature="),
        "{}",
        presigned.path
    );
    assert!(presigned.header("authorization").is_none());

    let answer = raw.send(presigned).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(
        answer.error_type(),
        "MissingAuthenticationTokenException",
        "{}",
        answer.text
    );
    assert_eq!(answer.message(), "Request is missing Authentication Token");
    assert_eq!(everything(&raw).await, before);
}
