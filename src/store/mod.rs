//! Storage: [`Store`], over the engine chosen at start (SQLite or PostgreSQL, `engine.rs`). Handlers never
//! see SQL.
//!
//! A change is a pure decision (`decide`) over the current state of one [`Resource`], run by the store inside
//! its own transaction, followed by the write the decision returns. The store answers only after that write is
//! durable; a rejected decision writes nothing. `decide` runs once the store has ordered the change among
//! the others (and again on a retry), so a decision reads the clock inside it: a change that waited for
//! another's row lock then decides at a time no earlier than that one's.

mod db;
mod engine;
mod harness;
mod postgres;
mod records;
mod sqlite;

pub use harness::{OutcomeRule, ResetScope, ScopeContents, StoredImage};
pub use records::{name_grams, AppImageConfig, Image, ImageVersions, Resource, Tags};
pub use sqlite::DEFAULT_WAL_LIMIT;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::domain::app_image_config::AppImageConfigRecord;
use crate::domain::image::ImageRecord;
use crate::domain::lifecycle::ForcedOutcome;
use crate::domain::paging::Cursor;
use crate::domain::{Millis, Scope};
use crate::model::OperationName;
use db::Db;
use engine::{Engine, OutcomeLookup};
use postgres::PostgresEngine;
use records::Purpose;
use sqlite::SqliteEngine;

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
pub struct Store {
    engine: Engine,
    token_secret: Vec<u8>,
    /// See [`OutcomeLookup::possible`].
    outcome_rules_possible: Arc<AtomicBool>,
}

impl Store {
    /// Opens (creating if needed) the embedded store in `data_dir` and applies pending migrations, keeping
    /// the write-ahead log near `wal_limit` bytes ([`DEFAULT_WAL_LIMIT`] unless told).
    pub fn open_sqlite(data_dir: &Path, wal_limit: u64) -> Result<Self, StoreError> {
        let (engine, token_secret) = SqliteEngine::open(data_dir, wal_limit)?;
        Ok(Store::new(Engine::Sqlite(engine), token_secret))
    }

    /// Connects to the PostgreSQL database at `url`, waiting up to `wait` for it to become reachable, and
    /// applies pending migrations (safe while other processes do the same).
    pub async fn connect_postgres(
        url: &str,
        wait: Duration,
        connections: usize,
    ) -> Result<Self, StoreError> {
        let (engine, token_secret) = PostgresEngine::connect(url, wait, connections).await?;
        Ok(Store::new(Engine::Postgres(engine), token_secret))
    }

    fn new(engine: Engine, token_secret: Vec<u8>) -> Self {
        Store {
            engine,
            token_secret,
            outcome_rules_possible: Arc::new(AtomicBool::new(true)),
        }
    }

    /// The secret that seals pagination tokens; the same for every process sharing the store.
    pub fn token_secret(&self) -> Vec<u8> {
        self.token_secret.clone()
    }

    /// A number that moves on every committed change, read before a read to know whether what the read
    /// returned may since have changed; `None` where other processes may write unseen (PostgreSQL), so
    /// that nothing read may be reused.
    pub fn change_generation(&self) -> Option<u64> {
        self.engine.change_generation()
    }

    /// The resource's current state, as a reader sees it.
    pub async fn get<R: Resource>(
        &self,
        scope: &Scope,
        resource: R,
    ) -> Result<R::Current, StoreError> {
        let scope = scope.clone();
        let read = move |db: &dyn Db| resource.read(db, &scope, Purpose::Read);
        if R::ONE_STATEMENT {
            self.engine.read_one(read).await
        } else {
            self.engine.read(read).await
        }
    }

    /// Runs `decide` on the resource's current state in a transaction and applies the write it returns.
    /// With `outcome_of` naming an operation, and a resource that forced outcomes apply to
    /// ([`Resource::outcome_key`]), `decide` also gets the outcome a test forced on the next call of that
    /// operation for that image, if any, and a write takes one use of that rule in the same transaction.
    pub async fn change<R, T, E, F>(
        &self,
        scope: &Scope,
        resource: R,
        outcome_of: Option<OperationName>,
        decide: F,
    ) -> Result<T, E>
    where
        R: Resource,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&R::Current, Option<&ForcedOutcome>) -> Result<(R::Write, T), E>
            + Send
            + Sync
            + 'static,
    {
        let scope = scope.clone();
        let lookup = outcome_of.map(|operation| OutcomeLookup {
            operation,
            possible: self.outcome_rules_possible.clone(),
            sole_writer: self.engine.change_generation().is_some(),
        });
        self.engine
            .write(move |db| {
                let current = resource.read(db, &scope, Purpose::Change)?;
                let rule = match (&lookup, resource.outcome_key()) {
                    (Some(lookup), Some(image_key)) => lookup.find(db, &scope, image_key)?,
                    _ => None,
                };
                Ok(match decide(&current, rule.as_ref().map(|r| &r.outcome)) {
                    Ok((write, output)) => {
                        resource.apply(db, &scope, &current, &write)?;
                        if let Some(rule) = &rule {
                            harness::use_outcome_rule(db, &rule.id)?;
                        }
                        Ok(output)
                    }
                    Err(refusal) => Err(refusal),
                })
            })
            .await
    }

    pub async fn list_images(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<Vec<ImageRecord>, StoreError> {
        let (scope, query) = (scope.clone(), query.clone());
        self.engine
            .read(move |db| records::read_page(db, &records::IMAGES, &scope, &query))
            .await
    }

    pub async fn list_app_image_configs(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<Vec<AppImageConfigRecord>, StoreError> {
        let (scope, query) = (scope.clone(), query.clone());
        self.engine
            .read(move |db| records::read_page(db, &records::APP_IMAGE_CONFIGS, &scope, &query))
            .await
    }

    /// Answers when the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.engine.read_one(harness::ping).await
    }

    /// Removes every resource of the narrowed scope, and every forced outcome.
    pub async fn reset(&self, narrowing: &ResetScope) -> Result<(), StoreError> {
        let narrowing = narrowing.clone();
        self.engine
            .write(move |db| harness::reset(db, &narrowing).map(Ok::<(), StoreError>))
            .await
    }

    /// Every account and region that holds anything, with all it holds.
    pub async fn contents(&self) -> Result<Vec<ScopeContents>, StoreError> {
        self.engine.read(harness::contents).await
    }

    /// The accounts and regions that hold anything (at most `limit`), without reading what they hold.
    pub async fn scopes(&self, limit: usize) -> Result<Vec<Scope>, StoreError> {
        self.engine.read(move |db| harness::scopes(db, limit)).await
    }

    pub async fn add_outcome_rule(&self, rule: &OutcomeRule) -> Result<(), StoreError> {
        let (rule, possible) = (rule.clone(), self.outcome_rules_possible.clone());
        self.engine
            .write(move |db| {
                harness::add_outcome_rule(db, &rule)?;
                possible.store(true, Ordering::Relaxed);
                Ok(Ok::<(), StoreError>(()))
            })
            .await
    }

    pub async fn outcome_rules(&self) -> Result<Vec<OutcomeRule>, StoreError> {
        self.engine.read(harness::outcome_rules).await
    }

    pub async fn clear_outcome_rules(&self) -> Result<(), StoreError> {
        self.engine
            .write(|db| harness::clear_outcome_rules(db).map(Ok::<(), StoreError>))
            .await
    }
}
