//! The choice the store makes at start: which SQL engine runs its work. An engine only decides how a read
//! or a change runs (which connection, which transaction, batching, retries); what is read and written is
//! the same record code (`records/`) for both.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::db::Db;
use super::harness::{self, OutcomeRule};
use super::postgres::PostgresEngine;
use super::sqlite::SqliteEngine;
use super::StoreError;
use crate::domain::Scope;
use crate::model::OperationName;

/// PostgreSQL's futures are boxed: a request's future is as large as the largest it may await, so SQLite's
/// request path keeps the size it has alone, and a PostgreSQL call pays one allocation beside a round trip.
pub enum Engine {
    /// The embedded database of one process (`sqlite.rs`).
    Sqlite(SqliteEngine),
    /// A database that several processes share (`postgres.rs`).
    Postgres(PostgresEngine),
}

impl Engine {
    /// See `Store::change_generation`.
    pub fn change_generation(&self) -> Option<u64> {
        match self {
            Engine::Sqlite(engine) => Some(engine.change_generation()),
            Engine::Postgres(_) => None,
        }
    }

    /// Runs `read` on a consistent view of the database.
    pub async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&dyn Db) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        match self {
            Engine::Sqlite(engine) => engine.read(read),
            Engine::Postgres(engine) => Box::pin(engine.read(read)).await,
        }
    }

    /// Runs `read`, which issues exactly one statement. That statement sees one snapshot of its own, so an
    /// engine may run it without a transaction around it (one round trip instead of three).
    pub async fn read_one<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&dyn Db) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        match self {
            Engine::Sqlite(engine) => engine.read(read),
            Engine::Postgres(engine) => Box::pin(engine.read_one(read)).await,
        }
    }

    /// Runs `change` in a transaction and commits it durably before answering. The outer result is the
    /// store's (an engine may retry on it); an inner `Err` is a refusal: nothing `change` wrote is kept.
    pub async fn write<T, E, F>(&self, change: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&dyn Db) -> Result<Result<T, E>, StoreError> + Send + Sync + 'static,
    {
        match self {
            Engine::Sqlite(engine) => engine.write(change).await,
            Engine::Postgres(engine) => Box::pin(engine.write(change)).await,
        }
    }
}

/// The forced-outcome lookup of one change.
pub struct OutcomeLookup {
    pub operation: OperationName,
    /// False once the only process writing the database (SQLite's) saw no forced outcome, so that a change
    /// need not look for one until a rule is added. Changed only inside writes, which that engine runs one
    /// at a time on its writer thread.
    pub possible: Arc<AtomicBool>,
    /// Without a change generation other processes may add rules unseen: always look.
    pub sole_writer: bool,
}

impl OutcomeLookup {
    pub fn find(
        &self,
        db: &dyn Db,
        scope: &Scope,
        image_key: &str,
    ) -> Result<Option<OutcomeRule>, StoreError> {
        if self.sole_writer && !self.possible.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let rule = harness::matching_outcome_rule(db, scope, self.operation, image_key)?;
        if rule.is_none() && self.sole_writer && !harness::any_outcome_rule(db)? {
            self.possible.store(false, Ordering::Relaxed);
        }
        Ok(rule)
    }
}
