//! The request ring: the most recent API requests of this process, for the console's request log.
//!
//! Bounded in entries (`--request-log-size`) and in bytes per entry (each body cut at [`BODY_CAP`]), so
//! that it costs a fixed amount of memory however long the server runs. It never holds a header: the
//! Authorization header and the signature stay out of it by construction, since nothing but the body, the
//! operation, the access key id that signed it (which names the key, as in AWS's logs, but cannot sign)
//! and the outcome is handed to it.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;
use serde::Serialize;

use crate::domain::Millis;

/// The most of a request or response body an entry keeps.
pub const BODY_CAP: usize = 4 * 1024;

/// A body as kept: its first [`BODY_CAP`] bytes, and whether there was more. The bytes are kept as they
/// came and read as text only when the console shows them, so that recording costs a request no more
/// than a copy of a small body.
#[derive(Debug, Clone)]
pub struct CappedBody {
    bytes: Bytes,
    pub truncated: bool,
}

impl CappedBody {
    /// The first [`BODY_CAP`] bytes of `body`, copied: a request's body is a slice of its connection's
    /// read buffer, which an entry must not keep alive.
    pub fn copy_of(body: &[u8]) -> CappedBody {
        CappedBody {
            bytes: Bytes::copy_from_slice(&body[..body.len().min(BODY_CAP)]),
            truncated: body.len() > BODY_CAP,
        }
    }

    /// The first [`BODY_CAP`] bytes of an answer: shared when that is all of it (an answer is an
    /// allocation of its own size), copied otherwise.
    pub fn share_of(body: &Bytes) -> CappedBody {
        if body.len() > BODY_CAP {
            return CappedBody::copy_of(body);
        }
        CappedBody {
            bytes: body.clone(),
            truncated: false,
        }
    }

    /// The kept bytes as text: a cut in the middle of a character shows as one replacement character,
    /// not as an error.
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.bytes)
    }
}

impl Serialize for CappedBody {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut body = serializer.serialize_struct("CappedBody", 2)?;
        body.serialize_field("text", &self.text())?;
        body.serialize_field("truncated", &self.truncated)?;
        body.end()
    }
}

/// One recorded request: its summary and its capped bodies.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedRequest {
    pub id: u64,
    /// When the request arrived, in epoch milliseconds.
    pub time: Millis,
    /// The access key id that signed it (never its secret or signature).
    pub access_key: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub operation: Option<String>,
    pub status: u16,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Refused by the key's policies.
    pub denied: bool,
    pub latency_micros: u64,
    #[serde(skip)]
    pub request_body: Option<CappedBody>,
    #[serde(skip)]
    pub response_body: Option<CappedBody>,
}

/// What a request carried in, captured before the pipeline runs it.
#[derive(Default)]
pub struct Captured {
    pub body: Option<CappedBody>,
}

/// What to show of the ring: an operation, errors only, or both.
#[derive(Debug, Default)]
pub struct RequestFilter {
    pub operation: Option<String>,
    pub errors_only: bool,
}

impl RequestFilter {
    fn admits(&self, entry: &RecordedRequest) -> bool {
        (!self.errors_only || entry.status >= 400)
            && self
                .operation
                .as_deref()
                .is_none_or(|operation| entry.operation.as_deref() == Some(operation))
    }
}

/// The ring itself. With a capacity of 0 it records nothing and copies nothing.
pub struct RequestLog {
    capacity: usize,
    entries: Mutex<Ring>,
}

#[derive(Default)]
struct Ring {
    next_id: u64,
    entries: VecDeque<RecordedRequest>,
}

impl RequestLog {
    pub fn new(capacity: usize) -> RequestLog {
        RequestLog {
            capacity,
            entries: Mutex::new(Ring {
                next_id: 1,
                entries: VecDeque::with_capacity(capacity),
            }),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.capacity > 0
    }

    /// The request body as the ring would keep it, or `None` when the ring is off.
    pub fn capture(&self, body: &[u8]) -> Option<CappedBody> {
        self.is_enabled().then(|| CappedBody::copy_of(body))
    }

    /// Adds an entry (its `id` is assigned here), dropping the oldest past the capacity.
    pub fn record(&self, mut entry: RecordedRequest, response_body: Option<&Bytes>) {
        if !self.is_enabled() {
            return;
        }
        entry.response_body = response_body.map(CappedBody::share_of);
        let mut ring = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entry.id = ring.next_id;
        ring.next_id += 1;
        if ring.entries.len() == self.capacity {
            ring.entries.pop_front();
        }
        ring.entries.push_back(entry);
    }

    /// The entries `filter` admits, newest first, at most `limit` of them.
    pub fn recent(&self, filter: &RequestFilter, limit: usize) -> Vec<RecordedRequest> {
        let ring = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        ring.entries
            .iter()
            .rev()
            .filter(|entry| filter.admits(entry))
            .take(limit)
            .map(RecordedRequest::clone_summary)
            .collect()
    }

    /// One entry with its bodies, while the ring still holds it.
    pub fn get(&self, id: u64) -> Option<RecordedRequest> {
        let ring = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        ring.entries.iter().find(|entry| entry.id == id).cloned()
    }

    /// The operations the ring holds, for the log's filter.
    pub fn operations(&self) -> Vec<String> {
        let ring = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut operations: Vec<String> = ring
            .entries
            .iter()
            .filter_map(|entry| entry.operation.clone())
            .collect();
        operations.sort();
        operations.dedup();
        operations
    }
}

impl RecordedRequest {
    /// A copy without the bodies, which a summary does not show.
    fn clone_summary(&self) -> RecordedRequest {
        RecordedRequest {
            id: self.id,
            time: self.time,
            access_key: self.access_key.clone(),
            account: self.account.clone(),
            region: self.region.clone(),
            operation: self.operation.clone(),
            status: self.status,
            error_code: self.error_code.clone(),
            error_message: self.error_message.clone(),
            denied: self.denied,
            latency_micros: self.latency_micros,
            request_body: None,
            response_body: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(operation: &str, status: u16) -> RecordedRequest {
        RecordedRequest {
            id: 0,
            time: 0,
            access_key: None,
            account: None,
            region: None,
            operation: Some(operation.to_owned()),
            status,
            error_code: None,
            error_message: None,
            denied: false,
            latency_micros: 1,
            request_body: None,
            response_body: None,
        }
    }

    #[test]
    fn keeps_the_newest_up_to_its_capacity() {
        let log = RequestLog::new(3);
        for i in 0..5 {
            log.record(entry(&format!("Op{i}"), 200), None);
        }
        let ids: Vec<u64> = log
            .recent(&RequestFilter::default(), 10)
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, [5, 4, 3]);
        assert!(log.get(2).is_none());
    }

    #[test]
    fn a_zero_capacity_records_nothing() {
        let log = RequestLog::new(0);
        assert!(log.capture(b"{}").is_none());
        log.record(entry("ListImages", 200), None);
        assert!(log.recent(&RequestFilter::default(), 10).is_empty());
    }

    #[test]
    fn bodies_are_capped_and_marked() {
        let long = Bytes::from(vec![b'a'; BODY_CAP + 1]);
        for capped in [CappedBody::copy_of(&long), CappedBody::share_of(&long)] {
            assert_eq!(capped.text().len(), BODY_CAP);
            assert!(capped.truncated);
        }
        let short = Bytes::from_static(b"{}");
        for capped in [CappedBody::copy_of(&short), CappedBody::share_of(&short)] {
            assert!(!capped.truncated);
            assert_eq!(capped.text(), "{}");
        }
        // A character cut at the cap shows as one replacement character.
        let mut cut = vec![b'a'; BODY_CAP - 1];
        cut.extend_from_slice("é".as_bytes());
        assert_eq!(
            serde_json::to_value(CappedBody::copy_of(&cut)).expect("serializes"),
            serde_json::json!({"text": "a".repeat(BODY_CAP - 1) + "\u{FFFD}", "truncated": true})
        );
    }

    #[test]
    fn filters_by_operation_and_errors() {
        let log = RequestLog::new(10);
        log.record(entry("UpdateImage", 400), None);
        log.record(entry("UpdateImage", 200), None);
        log.record(entry("ListImages", 500), None);
        let errors = RequestFilter {
            operation: Some("UpdateImage".to_owned()),
            errors_only: true,
        };
        let found = log.recent(&errors, 10);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status, 400);
    }
}
