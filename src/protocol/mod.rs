//! AWS JSON 1.1: the request envelope (target, body), the success and error answers, timestamps.
//!
//! Knows nothing about images: it hands the operation's name and the JSON body to the model's reader, and
//! renders whatever comes back; `error` is the one place any error becomes AWS's code, message and status.

mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;

pub use error::ApiError;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use bytes::Bytes;

use crate::model::Target;

pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
pub const TARGET_PREFIX: &str = "SageMaker.";
/// SageMaker requests are small; anything larger is refused before it is parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The request's target; a missing header, or one without the `SageMaker.` prefix or a name after it, is
/// refused at once.
pub fn target(headers: &HeaderMap) -> Result<Target, ApiError> {
    const TARGET: HeaderName = HeaderName::from_static("x-amz-target");
    let target = headers
        .get(TARGET)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = target
        .strip_prefix(TARGET_PREFIX)
        .filter(|op| !op.is_empty())
        .ok_or_else(|| ApiError::unknown_operation(target))?;
    Ok(Target::from_name(name))
}

/// Parses the body as a JSON object. An empty body stands for `{}`, as the protocol allows, and a member
/// whose value is `null` is dropped: it counts as absent, at any depth.
pub fn parse_body(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Object(Default::default()));
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value @ serde_json::Value::Object(_)) => {
            drop_null_members(&mut value);
            Ok(value)
        }
        Ok(_) => Err(ApiError::Serialization(
            "Start of structure or map found where not expected.".to_owned(),
        )),
        Err(e) => Err(ApiError::Serialization(format!(
            "Malformed JSON request body: {e}"
        ))),
    }
}

/// Removes `null` members of every object. A `null` list item stays, for validation to refuse.
fn drop_null_members(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(drop_null_members);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_null_members),
        _ => {}
    }
}

fn base_response(status: StatusCode, request_id: &str, body: impl Into<Body>) -> Response<Body> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", id);
    }
    // `Date` is added by hyper, from a value it formats once a second.
    response
}

/// What the server sends for a request that succeeded, whichever room answered it (the API, the control
/// plane, the console): its status, content type, further headers and body.
#[derive(Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Reply {
    /// An operation's answer: 200 and its JSON output, in the protocol's content type.
    pub fn api(output: Bytes) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: CONTENT_TYPE,
            headers: Vec::new(),
            body: output,
        }
    }

    /// A JSON document with its own status (the control plane's and the console's answers).
    pub fn json(status: StatusCode, document: &serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: serde_json::to_vec(document).unwrap_or_default().into(),
        }
    }

    /// Plain text in Prometheus's exposition format (the metrics).
    pub fn metrics(text: String) -> Reply {
        Reply {
            status: StatusCode::OK,
            content_type: "text/plain; version=0.0.4",
            headers: Vec::new(),
            body: text.into(),
        }
    }
}

/// The response of a reply, with the request's id.
pub fn reply(request_id: &str, reply: Reply) -> Response<Body> {
    let mut response = base_response(reply.status, request_id, reply.body);
    let headers = response.headers_mut();
    if reply.content_type != CONTENT_TYPE {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(reply.content_type),
        );
    }
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    response
}

/// The body of an error answer, the one place it is built: `__type`, and `message` under the key SageMaker
/// puts it. The wire's answer carries the error's message; the console's request ring its recorded one.
pub fn error_body(error: &ApiError, message: &str) -> Vec<u8> {
    let mut body = serde_json::Map::new();
    body.insert("__type".to_owned(), error.code().into());
    body.insert(error.message_key().to_owned(), message.into());
    serde_json::to_vec(&body).unwrap_or_default()
}

/// An error answer: `__type` and the message in the body, the same code in `x-amzn-ErrorType` (which the
/// Rust SDK prefers to the body). Every client gets the same answer: SageMaker's.
pub fn failure(request_id: &str, error: &ApiError) -> Response<Body> {
    let bytes = error_body(error, error.message());
    let mut response = base_response(error.status(), request_id, bytes);
    if let Ok(code) = HeaderValue::from_str(error.code()) {
        response.headers_mut().insert("x-amzn-errortype", code);
    }
    response
}
