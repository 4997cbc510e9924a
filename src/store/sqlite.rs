//! The embedded engine: SQLite in WAL mode with `synchronous=FULL`, so a commit is on disk before it returns.
//!
//! One writer thread owns the only writing connection. It takes every change waiting in its queue, runs
//! each in a savepoint of one transaction, commits once (one fsync for the whole batch: group commit) and
//! only then answers the requests of that batch. Reads use a connection of the thread they run on (see
//! `READERS`), which WAL lets proceed while the writer works. A third thread checkpoints the WAL into the
//! database file, so that the writer's commits never wait for that copy.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};

use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use tokio::sync::oneshot;

use super::db::{ColumnNames, Db, Row, Value};
use super::records;
use super::StoreError;

/// Versioned schema changes, applied in order at start; each runs once.
pub(super) const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        include_str!("migrations/sqlite/0001_images_and_tags.sql"),
    ),
    (
        2,
        include_str!("migrations/sqlite/0002_versions_aliases_app_image_configs.sql"),
    ),
    (3, include_str!("migrations/sqlite/0003_name_grams.sql")),
    (
        4,
        include_str!("migrations/sqlite/0004_four_character_name_grams.sql"),
    ),
    (
        5,
        include_str!("migrations/sqlite/0005_name_postings_with_creation_time.sql"),
    ),
    (
        6,
        include_str!("migrations/sqlite/0006_drop_name_grams.sql"),
    ),
    (
        7,
        include_str!("migrations/sqlite/0007_forced_outcomes.sql"),
    ),
];
/// The most changes one commit carries.
const MAX_BATCH: usize = 512;

/// What the writer calls once the batch a job ran in has committed (or failed to).
type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A change: runs inside the batch transaction, returns how to answer once the batch is durable.
type Job = Box<dyn FnOnce(&Connection) -> Reply + Send>;

pub struct SqliteEngine {
    writer: mpsc::Sender<Job>,
    path: PathBuf,
    id: u64,
    /// Moved by the writer after each commit, before it answers (see `Store::change_generation`).
    generation: Arc<AtomicU64>,
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

thread_local! {
    /// One read connection per store per thread, by store id. Reads run on the thread that asks for them,
    /// without a hop to another thread: a point read from SQLite's page cache takes microseconds, and WAL
    /// lets it proceed while the writer commits. A process has one store, so the list is searched, not
    /// hashed.
    static READERS: RefCell<Vec<(u64, Connection)>> = const { RefCell::new(Vec::new()) };
}

/// Distinguishes the stores of one process (tests open several) in `READERS`.
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(0);

fn with_reader<T>(
    store_id: u64,
    path: &Path,
    read: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    READERS.with(|readers| {
        let mut readers = readers.borrow_mut();
        let index = match readers.iter().position(|(id, _)| *id == store_id) {
            Some(index) => index,
            None => {
                readers.push((store_id, open_connection(path)?));
                readers.len() - 1
            }
        };
        read(&readers[index].1)
    })
}

thread_local! {
    /// The column names of each statement this thread has run, by its SQL: asking SQLite for them cost
    /// more per DescribeImage (about 4,000 instructions under callgrind) than this lookup. The statements
    /// name their columns (no `*`), so a text's names are the same on every connection. List queries
    /// vary with their filters, so the map is emptied when it grows past `COLUMN_NAMES_KEPT`.
    static COLUMN_NAMES: RefCell<HashMap<String, ColumnNames>> = RefCell::new(HashMap::new());
}

const COLUMN_NAMES_KEPT: usize = 256;

fn column_names(sql: &str, statement: &rusqlite::Statement) -> Result<ColumnNames, StoreError> {
    COLUMN_NAMES.with(|known| {
        if let Some(columns) = known.borrow().get(sql) {
            return Ok(columns.clone());
        }
        let columns: ColumnNames = (0..statement.column_count())
            .map(|index| statement.column_name(index).map(Box::from))
            .collect::<Result<_, _>>()?;
        let mut known = known.borrow_mut();
        if known.len() >= COLUMN_NAMES_KEPT {
            known.clear();
        }
        known.insert(sql.to_owned(), columns.clone());
        Ok(columns)
    })
}

impl Db for Connection {
    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut statement = self.prepare_cached(sql)?;
        let columns = column_names(sql, &statement)?;
        let width = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(params.iter().map(to_sqlite)))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(width);
            for index in 0..width {
                values.push(match row.get::<_, SqlValue>(index)? {
                    SqlValue::Null => Value::Null,
                    SqlValue::Integer(v) => Value::Int(v),
                    SqlValue::Text(v) => Value::Text(v),
                    SqlValue::Blob(v) => Value::Bytes(v),
                    SqlValue::Real(v) => Value::Text(v.to_string()),
                });
            }
            out.push(Row::new(columns.clone(), values));
        }
        Ok(out)
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let changed = self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params.iter().map(to_sqlite)))?;
        Ok(changed as u64)
    }

    fn batch(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.execute_batch(sql)?)
    }
}

fn to_sqlite(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Int(v) => SqlValue::Integer(*v),
        Value::Text(v) => SqlValue::Text(v.clone()),
        Value::Bytes(v) => SqlValue::Blob(v.clone()),
    }
}

impl SqliteEngine {
    /// Opens (creating if needed) the database in `data_dir` and applies pending migrations; returns the
    /// engine and the store's token secret.
    pub(super) fn open(data_dir: &Path, wal_limit: u64) -> Result<(Self, Vec<u8>), StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Open(format!("cannot create {}: {e}", data_dir.display())))?;
        let lock = lock_data_dir(data_dir)?;
        let path = data_dir.join("sagemaker-images.sqlite3");
        let mut conn = open_connection(&path)?;
        // One transaction per migration, as on PostgreSQL (see `records::migrate_next`).
        loop {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let applied = records::migrate_next(&*tx, MIGRATIONS)?;
            tx.commit()?;
            if applied.is_none() {
                break;
            }
        }
        let token_secret = records::token_secret(&conn)?;
        // Checkpoints run on their own thread (below), not inside the writer's commits. When the log
        // starts over, its file is cut back to the limit.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "journal_size_limit", wal_limit as i64)?;
        let checkpointer = open_connection(&path)?;
        // A truncating checkpoint holds up the writer while it waits for readers: not for long.
        checkpointer.busy_timeout(std::time::Duration::from_secs(1))?;
        let wal = WalBound {
            path: data_dir.join("sagemaker-images.sqlite3-wal"),
            limit: wal_limit,
        };
        let (wake_checkpointer, checkpoint_requests) = mpsc::sync_channel::<()>(1);
        std::thread::Builder::new()
            .name("sqlite-checkpointer".to_owned())
            .spawn(move || run_checkpointer(checkpointer, checkpoint_requests, wal))
            .map_err(|e| StoreError::Open(format!("cannot start the checkpoint thread: {e}")))?;
        let (writer, jobs) = mpsc::channel::<Job>();
        let generation = Arc::new(AtomicU64::new(0));
        let committed = generation.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || {
                run_writer(conn, jobs, wake_checkpointer, &committed);
                // Held until the last commit is done: one process per data directory, so that this
                // process sees every change and `generation` tells the whole story.
                drop(lock);
            })
            .map_err(|e| StoreError::Open(format!("cannot start the writer thread: {e}")))?;
        let id = NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed);
        let engine = SqliteEngine {
            writer,
            path,
            id,
            generation,
        };
        Ok((engine, token_secret))
    }
}

/// Takes the data directory's lock file, refusing a directory another process serves.
fn lock_data_dir(data_dir: &Path) -> Result<std::fs::File, StoreError> {
    let path = data_dir.join("sagemaker-images.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::Open(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Open(format!(
            "another process is serving {}: the embedded store serves one process at a time (several \
             processes can share a PostgreSQL database)",
            data_dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Open(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

impl SqliteEngine {
    pub(super) fn change_generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Runs `read` on this thread's reading connection: WAL gives it a consistent view without waiting.
    pub(super) fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&dyn Db) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        with_reader(self.id, &self.path, |conn| read(conn))
    }

    pub(super) async fn write<T, E, F>(&self, change: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&dyn Db) -> Result<Result<T, E>, StoreError> + Send + Sync + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn| {
            let outcome = run_in_savepoint(conn, change);
            Box::new(move |committed| {
                let result = match committed {
                    Ok(()) => outcome,
                    Err(e) => Err(E::from(e)),
                };
                let _ = answer.send(result);
            })
        });
        self.writer
            .send(job)
            .map_err(|_| E::from(StoreError::Closed))?;
        answered
            .await
            .unwrap_or_else(|_| Err(E::from(StoreError::Closed)))
    }
}

/// Runs one change in its own savepoint, so that a change that fails or is refused leaves the rest of the
/// batch intact.
fn run_in_savepoint<T, E: From<StoreError>>(
    conn: &Connection,
    change: impl Fn(&dyn Db) -> Result<Result<T, E>, StoreError>,
) -> Result<T, E> {
    // Through `Db::execute`, whose statements are prepared once per connection.
    Db::execute(conn, "SAVEPOINT change", &[]).map_err(E::from)?;
    let outcome = match change(conn) {
        Ok(inner) => inner,
        Err(store) => Err(E::from(store)),
    };
    let ended = if outcome.is_ok() {
        Db::execute(conn, "RELEASE change", &[])
    } else {
        Db::execute(conn, "ROLLBACK TO change", &[])
            .and_then(|_| Db::execute(conn, "RELEASE change", &[]))
    };
    match ended {
        Ok(_) => outcome,
        Err(e) => Err(E::from(e)),
    }
}

/// The shortest time between two checkpoints while writes keep coming.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// The write-ahead log's file and the size it is kept near.
struct WalBound {
    path: std::path::PathBuf,
    limit: u64,
}

/// The default of `--wal-limit`.
pub const DEFAULT_WAL_LIMIT: u64 = 64 * 1024 * 1024;

/// How often the checkpointer looks at the log's size when no commit wakes it: a burst's log is cut back
/// within this of the burst's end.
const WAL_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Copies committed WAL frames into the database file (a PASSIVE checkpoint: it never blocks the writer or
/// readers) whenever the writer has committed since the last one, at most once per `CHECKPOINT_INTERVAL`.
/// Off the writer thread, the checkpoint's page copies and fsync do not hold up the next batch.
///
/// A passive checkpoint never lets the log start over while readers keep using it, so under steady
/// reads and writes the log would grow without end. Once its file passes the limit, a TRUNCATE checkpoint
/// waits (briefly holding up the writer) for the readers to move past the log, copies it all and empties
/// the file; after a burst the same happens within `WAL_CHECK_INTERVAL`. Ends when the writer does.
fn run_checkpointer(conn: Connection, requests: mpsc::Receiver<()>, wal: WalBound) {
    loop {
        let woken = match requests.recv_timeout(WAL_CHECK_INTERVAL) {
            Ok(()) => true,
            Err(mpsc::RecvTimeoutError::Timeout) => false,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if woken {
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "checkpoint failed; the next one retries");
            }
        }
        let size = std::fs::metadata(&wal.path).map(|m| m.len()).unwrap_or(0);
        crate::metrics::sqlite_wal_bytes(size);
        if size > wal.limit {
            match conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            }) {
                Ok(0) => tracing::debug!(size, "write-ahead log past its limit: emptied"),
                Ok(_) => tracing::debug!(
                    size,
                    "write-ahead log past its limit; readers kept it, retrying"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "truncating checkpoint failed; the next one retries")
                }
            }
        }
        if woken {
            std::thread::sleep(CHECKPOINT_INTERVAL);
        }
    }
}

fn run_writer(
    mut conn: Connection,
    jobs: mpsc::Receiver<Job>,
    checkpointer: mpsc::SyncSender<()>,
    generation: &AtomicU64,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let changes = batch.len();
        let started = std::time::Instant::now();
        let (replies, committed): (Vec<Reply>, Result<(), StoreError>) =
            match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
                Ok(tx) => {
                    let replies = batch.into_iter().map(|job| job(&tx)).collect();
                    (replies, tx.commit().map_err(StoreError::from))
                }
                // The jobs never ran: dropping them drops their answer channels, and each waiting request
                // reports the store as unavailable.
                Err(e) => (Vec::new(), Err(StoreError::from(e))),
            };
        match &committed {
            // Full means a checkpoint is already due; the commit is on disk either way.
            Ok(()) => {
                // Before any answer: whoever hears of this change and then reads sees the new number.
                generation.fetch_add(1, Ordering::Release);
                let _ = checkpointer.try_send(());
            }
            Err(e) => tracing::error!(error = %e, "write batch did not commit"),
        }
        crate::metrics::sqlite_commit(changes, started.elapsed());
        let failed_sync = committed
            .as_ref()
            .err()
            .is_some_and(StoreError::is_io_failure);
        for reply in replies {
            reply(match &committed {
                Ok(()) => Ok(()),
                Err(e) => Err(e.again()),
            });
        }
        if failed_sync {
            // After a failed write or sync the kernel may have dropped pages it reported as written; a
            // later commit could then be acknowledged on top of a batch that is not on disk (PostgreSQL's
            // fsync lesson of 2018). No request of this batch was acknowledged; none after it will be.
            tracing::error!(
                "a write to the store's disk failed; stopping so that nothing is acknowledged on top of it. \
                 Restart the server: it reopens the store from what is durable"
            );
            std::process::exit(74);
        }
    }
}
