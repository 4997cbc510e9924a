//! The shared engine: PostgreSQL, or a PostgreSQL-wire distributed database (CockroachDB, YugabyteDB), for
//! several server processes behind a load balancer.
//!
//! Every change runs in one transaction that first reads the rows its decision rests on `FOR UPDATE`
//! (`records::Purpose::Change`): two changes of one image (or of its versions or tags, which lock the image
//! row) take turns, and the second decides on the first one's result. A resource that does not exist yet
//! has no row to lock; its primary key makes the second insert fail. Such a failure (SQLSTATE 23505), a
//! deadlock, or a serialization failure (40001, which CockroachDB and YugabyteDB raise where they run the
//! transaction at a stronger isolation) rolls the transaction back and runs it again from the start,
//! re-reading the state. The transaction is READ COMMITTED: row locks already order every conflicting
//! change, and SERIALIZABLE would add only aborts (PostgreSQL's predicate locks on B-tree pages make
//! changes of neighbouring rows conflict). Nothing here relies on advisory locks or LISTEN/NOTIFY. Reads
//! run in a REPEATABLE READ, READ ONLY transaction, so the statements of one read see one snapshot; a read
//! of one statement (`Engine::read_one`) runs without one.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, Config, IsolationLevel, Statement};
use postgres_native_tls::MakeTlsConnector;
use tokio::sync::Semaphore;

use super::db::{ColumnNames, Db, Row, Value};
use super::records;
use super::StoreError;

pub(super) const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("migrations/postgres/0001_images_and_tags.sql"),
    ),
    (
        2,
        include_str!("migrations/postgres/0002_versions_aliases_app_image_configs.sql"),
    ),
    (3, include_str!("migrations/postgres/0003_name_grams.sql")),
    (
        4,
        include_str!("migrations/postgres/0004_four_character_name_grams.sql"),
    ),
    (
        5,
        include_str!("migrations/postgres/0005_name_postings_with_creation_time.sql"),
    ),
    (
        6,
        include_str!("migrations/postgres/0006_drop_name_grams.sql"),
    ),
    (
        7,
        include_str!("migrations/postgres/0007_forced_outcomes.sql"),
    ),
];
/// How long a connection attempt, or data sent and not acknowledged, may wait before the database counts
/// as unreachable.
const UNREACHABLE_AFTER: Duration = Duration::from_secs(5);

/// Attempts of one transaction before a serialization failure is reported as an internal error.
const MAX_ATTEMPTS: u32 = 30;

pub struct PostgresEngine {
    pool: Arc<Pool>,
    permits: Arc<Semaphore>,
}

struct Pool {
    config: Config,
    tls: MakeTlsConnector,
    idle: Mutex<Vec<Connection>>,
}

/// A client with the statements it has prepared, keyed by their SQL: each statement is parsed once per
/// connection, not once per use.
struct Connection {
    client: Client,
    statements: HashMap<String, Prepared>,
}

/// A prepared statement and the names of its result's columns, which every row of it shares.
#[derive(Clone)]
struct Prepared {
    statement: Statement,
    columns: ColumnNames,
}

impl Pool {
    fn take(&self) -> Result<Connection, StoreError> {
        if let Some(connection) = self.idle.lock().map_err(|_| StoreError::Closed)?.pop() {
            if !connection.client.is_closed() {
                return Ok(connection);
            }
        }
        let client = self.config.connect(self.tls.clone())?;
        Ok(Connection {
            client,
            statements: HashMap::new(),
        })
    }

    fn give_back(&self, connection: Connection) {
        if !connection.client.is_closed() {
            if let Ok(mut idle) = self.idle.lock() {
                idle.push(connection);
            }
        }
    }

    /// Runs `work` in a transaction of `isolation`, retrying it while the database asks for a retry.
    fn transact<T>(
        &self,
        isolation: IsolationLevel,
        read_only: bool,
        work: TxWork<'_, T>,
    ) -> Result<T, StoreError> {
        self.with_retries(is_retryable, &mut |connection| {
            run_once(connection, isolation, read_only, work)
        })
    }

    /// Applies every pending migration, one transaction each (`records::migrate_next`). A process that
    /// migrates while another does waits on the other's locks and then finds its tables or columns there
    /// (or its version row); it retries, and finds the migration recorded.
    fn migrate(&self) -> Result<(), StoreError> {
        let next = |db: &dyn Db| Ok(TxOutcome::Commit(records::migrate_next(db, MIGRATIONS)?));
        while self
            .with_retries(is_retryable_while_migrating, &mut |connection| {
                run_once(connection, IsolationLevel::Serializable, false, &next)
            })?
            .is_some()
        {}
        Ok(())
    }

    /// Runs `work`, one statement, outside any explicit transaction, retrying it as `transact` does.
    fn single_statement<T>(
        &self,
        work: &dyn Fn(&dyn Db) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_retries(is_retryable, &mut |connection| {
            work(&PgSession {
                session: RefCell::new(Session::Autocommit(&mut connection.client)),
                statements: RefCell::new(&mut connection.statements),
                issued: Cell::new(0),
            })
        })
    }

    /// Runs `attempt` on a pooled connection until it succeeds, fails for good, or runs out of attempts.
    fn with_retries<T>(
        &self,
        retryable: fn(&postgres::Error) -> bool,
        once: &mut dyn FnMut(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut client = self.take()?;
            let outcome = once(&mut client);
            self.give_back(client);
            match outcome {
                Err(StoreError::Postgres(e)) if attempt < MAX_ATTEMPTS && retryable(&e) => {
                    tracing::debug!(attempt, error = %e, "retrying a transaction");
                    crate::metrics::postgres_retry();
                    std::thread::sleep(Duration::from_millis(u64::from(attempt.min(10)) * 2));
                }
                other => return other,
            }
        }
    }
}

impl Drop for Pool {
    /// A synchronous client closes its connection by blocking on its own runtime, which must not happen
    /// on a thread of the server's runtime (where the last handle to the pool is usually dropped).
    fn drop(&mut self) {
        let clients = std::mem::take(
            self.idle
                .get_mut()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let _ = std::thread::spawn(move || drop(clients)).join();
    }
}

/// The body of a transaction, run again on each retry.
type TxWork<'a, T> = &'a dyn Fn(&dyn Db) -> Result<TxOutcome<T>, StoreError>;

/// What a transaction's work decided: keep its writes, or drop them and answer anyway.
enum TxOutcome<T> {
    Commit(T),
    Rollback(T),
}

fn run_once<T>(
    connection: &mut Connection,
    isolation: IsolationLevel,
    read_only: bool,
    work: TxWork<'_, T>,
) -> Result<T, StoreError> {
    let mut tx = connection
        .client
        .build_transaction()
        .isolation_level(isolation)
        .read_only(read_only)
        .start()?;
    let outcome = work(&PgSession {
        session: RefCell::new(Session::Transaction(&mut tx)),
        statements: RefCell::new(&mut connection.statements),
        issued: Cell::new(0),
    })?;
    match outcome {
        TxOutcome::Commit(value) => {
            tx.commit()?;
            Ok(value)
        }
        TxOutcome::Rollback(value) => {
            tx.rollback()?;
            Ok(value)
        }
    }
}

fn is_retryable(error: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    error.code().is_some_and(|code| {
        *code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::UNIQUE_VIOLATION
    })
}

/// During migrations, also a schema object that a concurrent migration made while this one waited on it:
/// a table, index or column that already exists.
fn is_retryable_while_migrating(error: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    is_retryable(error)
        || error.code().is_some_and(|code| {
            *code == SqlState::DUPLICATE_TABLE
                || *code == SqlState::DUPLICATE_COLUMN
                || *code == SqlState::DUPLICATE_OBJECT
        })
}

/// Where statements run: inside a transaction, or each on its own (a single-statement read).
enum Session<'s, 'c> {
    Transaction(&'s mut postgres::Transaction<'c>),
    Autocommit(&'s mut Client),
}

impl Session<'_, '_> {
    fn prepare(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        match self {
            Session::Transaction(tx) => tx.prepare(sql),
            Session::Autocommit(client) => client.prepare(sql),
        }
    }

    fn query(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error> {
        match self {
            Session::Transaction(tx) => tx.query(statement, params),
            Session::Autocommit(client) => client.query(statement, params),
        }
    }

    fn execute(
        &mut self,
        statement: &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        match self {
            Session::Transaction(tx) => tx.execute(statement, params),
            Session::Autocommit(client) => client.execute(statement, params),
        }
    }

    fn batch_execute(&mut self, sql: &str) -> Result<(), postgres::Error> {
        match self {
            Session::Transaction(tx) => tx.batch_execute(sql),
            Session::Autocommit(client) => client.batch_execute(sql),
        }
    }
}

struct PgSession<'s, 'c> {
    session: RefCell<Session<'s, 'c>>,
    statements: RefCell<&'s mut HashMap<String, Prepared>>,
    /// Statements run so far: a session without a transaction allows one, whose snapshot is its own.
    issued: Cell<u32>,
}

impl PgSession<'_, '_> {
    /// The prepared statement for `sql`, preparing it on first use on this connection.
    fn statement(&self, sql: &str) -> Result<Prepared, StoreError> {
        self.issued.set(self.issued.get() + 1);
        if self.issued.get() > 1 && matches!(*self.session.borrow(), Session::Autocommit(_)) {
            return Err(StoreError::Corrupt(format!(
                "a second statement in a single-statement read: {sql}"
            )));
        }
        if let Some(prepared) = self.statements.borrow().get(sql) {
            return Ok(prepared.clone());
        }
        let statement = self.session.borrow_mut().prepare(&numbered(sql))?;
        let columns = statement
            .columns()
            .iter()
            .map(|column| Box::from(column.name()))
            .collect();
        let prepared = Prepared { statement, columns };
        // The SQL texts are fixed (records/); list queries vary only in which filters appear, so a
        // connection holds a few dozen statements at most.
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }
}

/// `?` placeholders become `$1`, `$2`, … (the SQL in `records/` has no `?` inside string literals).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
            Value::Bytes(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty)
            || <String as ToSql>::accepts(ty)
            || <Vec<u8> as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

fn column_value(row: &postgres::Row, index: usize) -> Result<Value, StoreError> {
    let ty = row.columns()[index].type_();
    let value = if *ty == Type::INT8 {
        row.try_get::<_, Option<i64>>(index)?.map(Value::Int)
    } else if *ty == Type::INT4 {
        row.try_get::<_, Option<i32>>(index)?
            .map(|v| Value::Int(v.into()))
    } else if *ty == Type::BYTEA {
        row.try_get::<_, Option<Vec<u8>>>(index)?.map(Value::Bytes)
    } else {
        row.try_get::<_, Option<String>>(index)?.map(Value::Text)
    };
    Ok(value.unwrap_or(Value::Null))
}

impl Db for PgSession<'_, '_> {
    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let prepared = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self
            .session
            .borrow_mut()
            .query(&prepared.statement, &params)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| column_value(row, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|values| Row::new(prepared.columns.clone(), values))
            })
            .collect()
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let prepared = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        Ok(self
            .session
            .borrow_mut()
            .execute(&prepared.statement, &params)?)
    }

    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.session.borrow_mut().batch_execute(sql)?)
    }

    fn locks_rows(&self) -> bool {
        true
    }

    fn limits_union_arms(&self) -> bool {
        true
    }
}

/// The TLS connector the URL's `sslmode` asks for, and the URL as tokio-postgres understands it. As with
/// libpq, `prefer` (the default) and `require` encrypt without checking the server's certificate;
/// `verify-ca` checks it against the system's roots, `verify-full` also checks the host name.
fn tls_settings(url: &str) -> Result<(String, MakeTlsConnector), StoreError> {
    let mut builder = native_tls::TlsConnector::builder();
    let mut url = url.to_owned();
    if url.contains("sslmode=verify-full") {
        url = url.replace("sslmode=verify-full", "sslmode=require");
    } else if url.contains("sslmode=verify-ca") {
        url = url.replace("sslmode=verify-ca", "sslmode=require");
        builder.danger_accept_invalid_hostnames(true);
    } else {
        builder
            .danger_accept_invalid_certs(true)
            .danger_accept_invalid_hostnames(true);
    }
    let connector = builder
        .build()
        .map_err(|e| StoreError::Open(format!("cannot set up TLS: {e}")))?;
    Ok((url, MakeTlsConnector::new(connector)))
}

impl PostgresEngine {
    /// Connects to `url`, waiting up to `wait` for the database to become reachable, and applies pending
    /// migrations (safe while other processes do the same); returns the engine and the store's token
    /// secret.
    pub(super) async fn connect(
        url: &str,
        wait: Duration,
        connections: usize,
    ) -> Result<(Self, Vec<u8>), StoreError> {
        let (url, tls) = tls_settings(url)?;
        let mut config: Config = url
            .parse()
            .map_err(|e| StoreError::Open(format!("the database URL is not valid: {e}")))?;
        // A database that stops answering fails requests within seconds rather than holding them, unless
        // the URL says otherwise (`connect_timeout`, `tcp_user_timeout`).
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(UNREACHABLE_AFTER);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(UNREACHABLE_AFTER);
        }
        let pool = Arc::new(Pool {
            config,
            tls,
            idle: Mutex::new(Vec::new()),
        });
        let setup = pool.clone();
        let token_secret = tokio::task::spawn_blocking(move || {
            let deadline = Instant::now() + wait;
            loop {
                match setup.take() {
                    Ok(client) => {
                        setup.give_back(client);
                        break;
                    }
                    Err(e) if Instant::now() < deadline => {
                        tracing::warn!(error = %e, "database not reachable yet; retrying");
                        std::thread::sleep(Duration::from_millis(500));
                    }
                    Err(e) => {
                        return Err(StoreError::Open(format!("cannot reach the database: {e}")))
                    }
                }
            }
            setup.migrate()?;
            // READ COMMITTED: the read after the insert sees the secret a concurrent process made first.
            setup.transact(IsolationLevel::ReadCommitted, false, &|db| {
                Ok(TxOutcome::Commit(records::token_secret(db)?))
            })
        })
        .await
        .map_err(|_| StoreError::Closed)??;
        let engine = PostgresEngine {
            pool,
            permits: Arc::new(Semaphore::new(connections.max(1))),
        };
        Ok((engine, token_secret))
    }
}

impl PostgresEngine {
    /// Runs `work` against the pool on a blocking thread (the client is synchronous), once one of the
    /// connection permits is free.
    async fn on_pool<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Pool) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let waiting = Instant::now();
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Closed)?;
        crate::metrics::postgres_pool_wait(waiting.elapsed());
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || work(&pool))
            .await
            .map_err(|_| StoreError::Closed)?
    }

    pub(super) async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&dyn Db) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        self.on_pool(move |pool| {
            pool.transact(IsolationLevel::RepeatableRead, true, &|db| {
                Ok(TxOutcome::Commit(read(db)?))
            })
        })
        .await
    }

    pub(super) async fn read_one<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&dyn Db) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        self.on_pool(move |pool| pool.single_statement(&read)).await
    }

    pub(super) async fn write<T, E, F>(&self, change: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&dyn Db) -> Result<Result<T, E>, StoreError> + Send + Sync + 'static,
    {
        self.on_pool(move |pool| {
            pool.transact(IsolationLevel::ReadCommitted, false, &|db| {
                Ok(match change(db)? {
                    Ok(value) => TxOutcome::Commit(Ok(value)),
                    Err(refusal) => TxOutcome::Rollback(Err(refusal)),
                })
            })
        })
        .await
        .map_err(E::from)?
    }
}
