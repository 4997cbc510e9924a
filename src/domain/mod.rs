//! What an image is and how it lives: records, the lifecycle state machine with its transition delay, ARNs
//! and pagination tokens. Knows nothing of HTTP or SQL: a refusal is a [`DomainError`], worded for clients
//! elsewhere.

pub mod app_image_config;
pub mod arn;
#[cfg(test)]
mod cases;
pub mod error;
pub mod image;
pub mod lifecycle;
pub mod paging;
pub mod selectors;
pub mod tags;
pub mod version;

pub use error::DomainError;

/// The account and region a request acts in. Resources of one scope never see another's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account_id: String,
    pub region: String,
}

/// Milliseconds since the Unix epoch: the resolution timestamps are stored and compared at.
pub type Millis = i64;

pub fn now_millis() -> Millis {
    millis_at(std::time::SystemTime::now())
}

/// `time` in epoch milliseconds (0 before the epoch).
pub fn millis_at(time: std::time::SystemTime) -> Millis {
    time.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}
