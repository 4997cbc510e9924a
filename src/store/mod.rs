//! Storage: one trait, [`Store`], and its implementations. Handlers never see SQL.
//!
//! A change is a pure decision (`decide`) over the current record, run by the store inside its own
//! transaction, followed by the write the decision returns. The store answers only after that write is
//! durable; a rejected decision writes nothing. `decide` runs once the store has ordered the change among
//! the others (and again on a retry), so a decision reads the clock inside it: a change that waited for
//! another's row lock then decides at a time no earlier than that one's.

mod db;
mod engine;
mod harness;
mod postgres;
mod records;
mod sqlite;

pub use engine::SqlStore;
pub use harness::{OutcomeRule, ResetScope, ScopeContents, StoredImage};
pub use postgres::{PostgresEngine, PostgresStore};
pub use records::name_grams;
pub use sqlite::{SqliteEngine, SqliteStore, DEFAULT_WAL_LIMIT};

use std::future::Future;

use crate::domain::app_image_config::{AppImageConfigRecord, AppImageConfigWrite};
use crate::domain::arn::TaggedResource;
use crate::domain::image::{ImageRecord, ImageWrite};
use crate::domain::lifecycle::{ForcedOutcome, Lifecycle};
use crate::domain::paging::Cursor;
use crate::domain::tags::Tag;
use crate::domain::version::{VersionSet, VersionWrite};
use crate::domain::{Millis, Scope};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("postgres: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("the store is closed")]
    Closed,
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("cannot open the store: {0}")]
    Open(String),
    /// A batch that did not commit, as each of its requests hears of it.
    #[error("the change was not committed: {0}")]
    NotCommitted(String),
    #[error("the store's disk is full: {0}")]
    DiskFull(String),
}

impl StoreError {
    /// The disk had no room: nothing was written, and a retry once space is free succeeds.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::DiskFull(_) => true,
            StoreError::Sqlite(e) => e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull),
            _ => false,
        }
    }

    /// The database could not be reached, or its connection broke: a retry may find it back.
    pub fn is_unreachable(&self) -> bool {
        match self {
            StoreError::Postgres(e) => {
                e.as_db_error().is_none()
                    && (e.is_closed() || std::error::Error::source(e).is_some())
            }
            StoreError::Closed => true,
            _ => false,
        }
    }

    /// A read, write or sync of the store's files failed.
    pub fn is_io_failure(&self) -> bool {
        matches!(self, StoreError::Sqlite(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::SystemIoFailure))
    }

    /// The same failure, for each request of a batch.
    pub fn again(&self) -> StoreError {
        if self.is_disk_full() {
            StoreError::DiskFull(self.to_string())
        } else {
            StoreError::NotCommitted(self.to_string())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListSort {
    CreationTime,
    LastModifiedTime,
    Name,
}

/// One page of ListImages or ListAppImageConfigs, in store terms.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub sort: ListSort,
    pub descending: bool,
    /// Continue after this position (exclusive).
    pub after: Option<Cursor>,
    pub created_after: Option<Millis>,
    pub created_before: Option<Millis>,
    pub modified_after: Option<Millis>,
    pub modified_before: Option<Millis>,
    /// Lower-case substring of the name.
    pub name_contains: Option<String>,
    pub limit: usize,
    /// Resources whose deletion has completed by this time are left out.
    pub now: Millis,
}

/// The storage seam. Every method is scoped to one account and region.
pub trait Store: Send + Sync + 'static {
    /// The secret that seals pagination tokens; the same for every process sharing the store.
    fn token_secret(&self) -> Vec<u8>;

    /// A number that moves on every committed change, read before a read to know whether what the read
    /// returned may since have changed; `None` where other processes may write unseen (PostgreSQL), so
    /// that nothing read may be reused.
    fn change_generation(&self) -> Option<u64>;

    fn get_image(
        &self,
        scope: &Scope,
        name_key: &str,
    ) -> impl Future<Output = Result<Option<ImageRecord>, StoreError>> + Send;

    fn list_images(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Vec<ImageRecord>, StoreError>> + Send;

    /// Runs `decide` on the image's current record in a transaction and applies the write it returns.
    /// With `outcome_of` naming an operation, `decide` also gets the outcome a test forced on the next
    /// call of it for this image, if any, and a write takes one use of that rule in the same transaction.
    fn change_image<T, E, F>(
        &self,
        scope: &Scope,
        name_key: &str,
        outcome_of: Option<&'static str>,
        decide: F,
    ) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<&ImageRecord>, Option<&ForcedOutcome>) -> Result<(ImageWrite, T), E>
            + Send
            + Sync
            + 'static;

    /// The image (`None` if there is no such record) with all its versions and their aliases.
    fn get_versions(
        &self,
        scope: &Scope,
        image_key: &str,
    ) -> impl Future<Output = Result<Option<VersionSet>, StoreError>> + Send;

    /// Runs `decide` on the image and all its versions in a transaction and applies the write it returns;
    /// `outcome_of` as for [`Store::change_image`].
    fn change_versions<T, E, F>(
        &self,
        scope: &Scope,
        image_key: &str,
        outcome_of: Option<&'static str>,
        decide: F,
    ) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<&VersionSet>, Option<&ForcedOutcome>) -> Result<(VersionWrite, T), E>
            + Send
            + Sync
            + 'static;

    fn get_app_image_config(
        &self,
        scope: &Scope,
        name_key: &str,
    ) -> impl Future<Output = Result<Option<AppImageConfigRecord>, StoreError>> + Send;

    fn list_app_image_configs(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> impl Future<Output = Result<Vec<AppImageConfigRecord>, StoreError>> + Send;

    fn change_app_image_config<T, E, F>(
        &self,
        scope: &Scope,
        name_key: &str,
        decide: F,
    ) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<&AppImageConfigRecord>) -> Result<(AppImageConfigWrite, T), E>
            + Send
            + Sync
            + 'static;

    /// The resource's lifecycle (`None` if there is no such resource) and its tags, in order.
    fn get_tags(
        &self,
        scope: &Scope,
        resource: &TaggedResource,
    ) -> impl Future<Output = Result<(Option<Lifecycle>, Vec<Tag>), StoreError>> + Send;

    /// Runs `decide` on the resource's lifecycle and tags in a transaction; `Some(tags)` replaces them.
    fn change_tags<T, E, F>(
        &self,
        scope: &Scope,
        resource: &TaggedResource,
        decide: F,
    ) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<Lifecycle>, Vec<Tag>) -> Result<(Option<Vec<Tag>>, T), E>
            + Send
            + Sync
            + 'static;

    /// Answers when the database answers (readiness).
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes every resource of the narrowed scope, and every forced outcome.
    fn reset(&self, narrowing: &ResetScope) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every account and region that holds anything, with all it holds.
    fn contents(&self) -> impl Future<Output = Result<Vec<ScopeContents>, StoreError>> + Send;

    /// The accounts and regions that hold anything (at most `limit`), without reading what they hold.
    fn scopes(&self, limit: usize) -> impl Future<Output = Result<Vec<Scope>, StoreError>> + Send;

    fn add_outcome_rule(
        &self,
        rule: &OutcomeRule,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn outcome_rules(&self) -> impl Future<Output = Result<Vec<OutcomeRule>, StoreError>> + Send;

    fn clear_outcome_rules(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}
