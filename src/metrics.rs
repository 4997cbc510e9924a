//! What an operator sees of the server: Prometheus metrics, rendered at `GET /metrics`. Every figure is
//! recorded here, under one name each, so that the names are a table an operator can read.
//!
//! Labels take only bounded values: an operation the model knows (or `other`), an error code the server
//! sends (or `ok`).

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::model::{OperationName, Target};

const REQUESTS: &str = "sagemaker_images_requests_total";
const REQUEST_SECONDS: &str = "sagemaker_images_request_duration_seconds";
const IN_FLIGHT: &str = "sagemaker_images_requests_in_flight";
const THROTTLED: &str = "sagemaker_images_requests_throttled_total";
const DENIED: &str = "sagemaker_images_requests_denied_total";
const CONNECTIONS_OPEN: &str = "sagemaker_images_connections_open";
const CONNECTIONS_REFUSED: &str = "sagemaker_images_connections_refused_total";
const SQLITE_BATCH: &str = "sagemaker_images_sqlite_batch_changes";
const SQLITE_COMMIT_SECONDS: &str = "sagemaker_images_sqlite_commit_seconds";
const SQLITE_WAL_BYTES: &str = "sagemaker_images_sqlite_wal_bytes";
const POSTGRES_RETRIES: &str = "sagemaker_images_postgres_retries_total";
const POSTGRES_POOL_WAIT_SECONDS: &str = "sagemaker_images_postgres_pool_wait_seconds";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
/// The series every API request records in, registered once the recorder is installed: looking a series
/// up by its name and labels costs more than recording in it.
static HOT: OnceLock<HotSeries> = OnceLock::new();

struct HotSeries {
    /// Per operation label (see [`operation_slot`]), each registered at its first use, so that the
    /// exposition shows only what happened: successes, and the duration histogram.
    succeeded: [OnceLock<metrics::Counter>; OPERATION_SLOTS],
    seconds: [OnceLock<metrics::Histogram>; OPERATION_SLOTS],
    in_flight: metrics::Gauge,
}

/// The model's operations, then `other`, then `none`.
const OPERATION_SLOTS: usize = OperationName::ALL.len() + 2;

/// Where a request's series sit in [`HotSeries`]: its operation's slot (an operation's place in
/// `OperationName::ALL`, which is its declaration order), `other` for a target that names none, `none`
/// for a request refused before its target was read.
fn operation_slot(target: Option<&Target>) -> usize {
    match target {
        Some(Target::Operation(name)) => *name as usize,
        Some(Target::Unknown(_)) => OperationName::ALL.len(),
        None => OperationName::ALL.len() + 1,
    }
}

fn slot_label(slot: usize) -> &'static str {
    match OperationName::ALL.get(slot) {
        Some(name) => name.as_str(),
        None if slot == OperationName::ALL.len() => "other",
        None => "none",
    }
}

impl HotSeries {
    fn register() -> HotSeries {
        HotSeries {
            succeeded: [const { OnceLock::new() }; OPERATION_SLOTS],
            seconds: [const { OnceLock::new() }; OPERATION_SLOTS],
            in_flight: metrics::gauge!(IN_FLIGHT),
        }
    }
}

/// Installs the recorder (once per process) and keeps its histograms trimmed.
pub fn install() {
    if HANDLE.get().is_some() {
        return;
    }
    let seconds = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        5.0,
    ];
    let batch = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
    let built = PrometheusBuilder::new()
        .set_buckets(&seconds)
        .and_then(|b| b.set_buckets_for_metric(Matcher::Full(SQLITE_BATCH.to_owned()), &batch))
        .and_then(|b| b.install_recorder());
    match built {
        Ok(handle) => {
            let upkeep = handle.clone();
            let _ = HANDLE.set(handle);
            let _ = HOT.set(HotSeries::register());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    upkeep.run_upkeep();
                }
            });
        }
        Err(error) => tracing::warn!(%error, "metrics are off: cannot install their recorder"),
    }
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    HANDLE
        .get()
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// One answered request: its operation, the error code it got (`None`: success), how long it took.
pub fn request(target: Option<&Target>, code: Option<&str>, took: Duration) {
    let Some(hot) = HOT.get() else {
        return;
    };
    let slot = operation_slot(target);
    let operation = slot_label(slot);
    match code {
        None => hot.succeeded[slot]
            .get_or_init(
                || metrics::counter!(REQUESTS, "operation" => operation, "outcome" => "ok"),
            )
            .increment(1),
        Some(code) => metrics::counter!(
            REQUESTS,
            "operation" => operation,
            "outcome" => sanitize_code(code)
        )
        .increment(1),
    }
    hot.seconds[slot]
        .get_or_init(|| metrics::histogram!(REQUEST_SECONDS, "operation" => operation))
        .record(took.as_secs_f64());
}

/// The codes the server sends, as static labels; anything else (an injected fault's code) is `other`.
fn sanitize_code(code: &str) -> &'static str {
    const KNOWN: [&str; 17] = [
        "ValidationException",
        "SerializationException",
        "ResourceNotFound",
        "ResourceInUse",
        "ResourceLimitExceeded",
        "UnknownOperationException",
        "RequestEntityTooLargeException",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "UnrecognizedClientException",
        "InternalFailure",
        "ThrottlingException",
        "ServiceUnavailable",
        "AccessDeniedException",
        "RequestTimeoutException",
        "ServiceUnavailableException",
    ];
    KNOWN.into_iter().find(|k| *k == code).unwrap_or("other")
}

/// Counts a request in flight for as long as it lives.
pub struct InFlight(());

impl InFlight {
    pub fn begin() -> Self {
        if let Some(hot) = HOT.get() {
            hot.in_flight.increment(1.0);
        }
        InFlight(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(hot) = HOT.get() {
            hot.in_flight.decrement(1.0);
        }
    }
}

/// A request the key's policies refused, by operation.
pub fn denied(target: Option<&Target>) {
    let operation = slot_label(operation_slot(target));
    metrics::counter!(DENIED, "operation" => operation).increment(1);
}

pub fn throttled() {
    metrics::counter!(THROTTLED).increment(1);
}

/// Counts an open connection for as long as it lives.
pub struct ConnectionOpen(());

impl ConnectionOpen {
    pub fn begin() -> Self {
        metrics::gauge!(CONNECTIONS_OPEN).increment(1.0);
        ConnectionOpen(())
    }
}

impl Drop for ConnectionOpen {
    fn drop(&mut self) {
        metrics::gauge!(CONNECTIONS_OPEN).decrement(1.0);
    }
}

pub fn connection_refused() {
    metrics::counter!(CONNECTIONS_REFUSED).increment(1);
}

/// One commit of the SQLite writer: how many changes it carried and how long the commit (its sync) took.
pub fn sqlite_commit(changes: usize, took: Duration) {
    metrics::histogram!(SQLITE_BATCH).record(changes as f64);
    metrics::histogram!(SQLITE_COMMIT_SECONDS).record(took.as_secs_f64());
}

/// The size of the SQLite write-ahead log's file, as the checkpointer last saw it.
pub fn sqlite_wal_bytes(size: u64) {
    metrics::gauge!(SQLITE_WAL_BYTES).set(size as f64);
}

/// A PostgreSQL transaction run again (serialization failure, deadlock, unique-key race, lost connection).
pub fn postgres_retry() {
    metrics::counter!(POSTGRES_RETRIES).increment(1);
}

/// How long a request waited for a PostgreSQL connection from the pool.
pub fn postgres_pool_wait(took: Duration) {
    metrics::histogram!(POSTGRES_POOL_WAIT_SECONDS).record(took.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_has_its_own_slot_and_its_own_label() {
        for (index, name) in OperationName::ALL.iter().enumerate() {
            let slot = operation_slot(Some(&Target::Operation(*name)));
            assert_eq!((slot, slot_label(slot)), (index, name.as_str()));
        }
        let unknown = Target::Unknown("Nope".into());
        assert_eq!(slot_label(operation_slot(Some(&unknown))), "other");
        assert_eq!(slot_label(operation_slot(None)), "none");
    }
}
