//! The embedded store: SQLite in WAL mode with `synchronous=FULL`, so a commit is on disk before it returns.
//!
//! One writer thread owns the only writing connection. It takes every change waiting in its queue, runs
//! each in a savepoint of one transaction, commits once (one fsync for the whole batch: group commit) and
//! only then answers the requests of that batch. Reads use a small pool of other connections, which WAL
//! lets proceed while the writer works.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use tokio::sync::oneshot;

use super::{ImageQuery, ImageSort, Store, StoreError};
use crate::domain::arn::{ResourceRef, TaggedResource};
use crate::domain::image::{ImageRecord, ImageWrite};
use crate::domain::lifecycle::{ImageStatus, Lifecycle};
use crate::domain::paging::SortValue;
use crate::domain::tags::Tag;
use crate::domain::Scope;

/// Versioned schema changes, applied in order at start; each runs once.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    include_str!("migrations/sqlite/0001_images_and_tags.sql"),
)];
/// The most changes one commit carries.
const MAX_BATCH: usize = 512;
const TOKEN_SECRET: &str = "page_token_secret";

/// What the writer calls once the batch a job ran in has committed (or failed to).
type Reply = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
/// A change: runs inside the batch transaction, returns how to answer once the batch is durable.
type Job = Box<dyn FnOnce(&Transaction<'_>) -> Reply + Send>;

pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    readers: Arc<ReaderPool>,
    token_secret: Vec<u8>,
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

impl ReaderPool {
    fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.idle.lock().map_err(|_| StoreError::Closed)?.pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path)?,
        };
        let result = read(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
        result
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)",
    )?;
    let applied: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
        tracing::info!(version, "applying schema migration");
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
            params![version, crate::domain::now_millis()],
        )?;
    }
    let mut secret = Vec::with_capacity(32);
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    tx.execute(
        "INSERT INTO service_meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        params![TOKEN_SECRET, secret],
    )?;
    tx.commit()?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir` and applies pending migrations.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Open(format!("cannot create {}: {e}", data_dir.display())))?;
        let path = data_dir.join("sagemaker-images.sqlite3");
        let mut conn = open_connection(&path)?;
        migrate(&mut conn)?;
        let token_secret: Vec<u8> = conn.query_row(
            "SELECT value FROM service_meta WHERE name = ?1",
            [TOKEN_SECRET],
            |r| r.get(0),
        )?;
        let (writer, jobs) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || run_writer(conn, jobs))
            .map_err(|e| StoreError::Open(format!("cannot start the writer thread: {e}")))?;
        Ok(SqliteStore {
            writer,
            readers: Arc::new(ReaderPool {
                path,
                idle: Mutex::new(Vec::new()),
            }),
            token_secret,
        })
    }

    async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let readers = self.readers.clone();
        tokio::task::spawn_blocking(move || readers.with(read))
            .await
            .map_err(|_| StoreError::Closed)?
    }

    async fn write<T, E>(
        &self,
        change: impl FnOnce(&Transaction<'_>) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |tx| {
            let outcome = run_in_savepoint(tx, change);
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

/// Runs one change in its own savepoint, so that a change that fails leaves the rest of the batch intact.
fn run_in_savepoint<T, E: From<StoreError>>(
    tx: &Transaction<'_>,
    change: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
) -> Result<T, E> {
    tx.execute_batch("SAVEPOINT change")
        .map_err(|e| E::from(e.into()))?;
    let outcome = change(tx);
    let end = if outcome.is_ok() {
        "RELEASE change"
    } else {
        "ROLLBACK TO change; RELEASE change"
    };
    match tx.execute_batch(end) {
        Ok(()) => outcome,
        Err(e) => Err(E::from(e.into())),
    }
}

fn run_writer(mut conn: Connection, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (replies, committed): (Vec<Reply>, Result<(), StoreError>) =
            match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
                Ok(tx) => {
                    let replies = batch.into_iter().map(|job| job(&tx)).collect();
                    (replies, tx.commit().map_err(StoreError::from))
                }
                // The jobs never ran: dropping them drops their answer channels, and each waiting
                // request reports the store as unavailable.
                Err(e) => (Vec::new(), Err(StoreError::from(e))),
            };
        if let Err(e) = &committed {
            tracing::error!(error = %e, "write batch did not commit");
        }
        for reply in replies {
            reply(match &committed {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Corrupt(format!("commit failed: {e}"))),
            });
        }
    }
}

const IMAGE_COLUMNS: &str =
    "name, display_name, description, role_arn, status, due_ms, failure_reason, created_ms, modified_ms";

fn image_from_row(row: &Row<'_>) -> rusqlite::Result<Result<ImageRecord, StoreError>> {
    let status: String = row.get(4)?;
    let Some(status) = ImageStatus::parse(&status) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "unknown image status '{status}'"
        ))));
    };
    Ok(Ok(ImageRecord {
        name: row.get(0)?,
        display_name: row.get(1)?,
        description: row.get(2)?,
        role_arn: row.get(3)?,
        lifecycle: Lifecycle {
            status,
            due: row.get(5)?,
        },
        failure_reason: row.get(6)?,
        created: row.get(7)?,
        modified: row.get(8)?,
    }))
}

fn read_image(
    conn: &Connection,
    scope: &Scope,
    name_key: &str,
) -> Result<Option<ImageRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {IMAGE_COLUMNS} FROM images WHERE account_id = ?1 AND region = ?2 AND name_key = ?3"
    ))?
    .query_row(
        params![scope.account_id, scope.region, name_key],
        image_from_row,
    )
    .optional()?
    .transpose()
}

fn read_tags(conn: &Connection, arn: &str) -> Result<Vec<Tag>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT tag_key, tag_value FROM tags WHERE resource_arn = ?1 ORDER BY position",
    )?;
    let tags = statement
        .query_map([arn], |row| {
            Ok(Tag {
                key: row.get(0)?,
                value: row.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(tags)
}

fn replace_tags(tx: &Transaction<'_>, arn: &str, tags: &[Tag]) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM tags WHERE resource_arn = ?1")?
        .execute([arn])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO tags (resource_arn, tag_key, position, tag_value) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (position, tag) in tags.iter().enumerate() {
        insert.execute(params![arn, tag.key, position as i64, tag.value])?;
    }
    Ok(())
}

fn resource_lifecycle(
    conn: &Connection,
    scope: &Scope,
    resource: &TaggedResource,
) -> Result<Option<Lifecycle>, StoreError> {
    match &resource.target {
        ResourceRef::Image(name_key) => Ok(read_image(conn, scope, name_key)?.map(|r| r.lifecycle)),
    }
}

fn apply_image_write(
    tx: &Transaction<'_>,
    scope: &Scope,
    name_key: &str,
    write: &ImageWrite,
) -> Result<(), StoreError> {
    let arn = crate::domain::arn::image_arn(scope, name_key);
    match write {
        ImageWrite::Put { record, tags } => {
            tx.prepare_cached(&format!(
                "INSERT OR REPLACE INTO images (account_id, region, name_key, {IMAGE_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
            ))?
            .execute(params![
                scope.account_id,
                scope.region,
                name_key,
                record.name,
                record.display_name,
                record.description,
                record.role_arn,
                record.lifecycle.status.as_str(),
                record.lifecycle.due,
                record.failure_reason,
                record.created,
                record.modified,
            ])?;
            if let Some(tags) = tags {
                replace_tags(tx, &arn, tags)?;
            }
        }
        ImageWrite::Remove => {
            tx.prepare_cached(
                "DELETE FROM images WHERE account_id = ?1 AND region = ?2 AND name_key = ?3",
            )?
            .execute(params![scope.account_id, scope.region, name_key])?;
            replace_tags(tx, &arn, &[])?;
        }
    }
    Ok(())
}

/// The SQL of one ListImages page. Column names and directions come from fixed lists, never from input.
fn list_images_sql(query: &ImageQuery) -> String {
    let sort_column = match query.sort {
        ImageSort::CreationTime => "created_ms",
        ImageSort::LastModifiedTime => "modified_ms",
        ImageSort::Name => "name_key",
    };
    let (direction, beyond) = if query.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let mut sql = format!(
        "SELECT {IMAGE_COLUMNS}, name_key FROM images
         WHERE account_id = ?1 AND region = ?2
           AND NOT (status = 'DELETING' AND due_ms <= ?3)
           AND (?4 IS NULL OR created_ms >= ?4) AND (?5 IS NULL OR created_ms <= ?5)
           AND (?6 IS NULL OR modified_ms >= ?6) AND (?7 IS NULL OR modified_ms <= ?7)
           AND (?8 IS NULL OR instr(name_key, ?8) > 0)"
    );
    if query.after.is_some() {
        if query.sort == ImageSort::Name {
            sql.push_str(&format!(" AND name_key {beyond} ?10"));
        } else {
            sql.push_str(&format!(
                " AND ({sort_column}, name_key) {beyond} (?9, ?10)"
            ));
        }
    }
    if query.sort == ImageSort::Name {
        sql.push_str(&format!(" ORDER BY name_key {direction}"));
    } else {
        sql.push_str(&format!(
            " ORDER BY {sort_column} {direction}, name_key {direction}"
        ));
    }
    sql.push_str(" LIMIT ?11");
    sql
}

impl Store for SqliteStore {
    fn token_secret(&self) -> Vec<u8> {
        self.token_secret.clone()
    }

    async fn get_image(
        &self,
        scope: &Scope,
        name_key: &str,
    ) -> Result<Option<ImageRecord>, StoreError> {
        let (scope, name_key) = (scope.clone(), name_key.to_owned());
        self.read(move |conn| read_image(conn, &scope, &name_key))
            .await
    }

    async fn list_images(
        &self,
        scope: &Scope,
        query: &ImageQuery,
    ) -> Result<Vec<ImageRecord>, StoreError> {
        let (scope, query) = (scope.clone(), query.clone());
        self.read(move |conn| {
            let sql = list_images_sql(&query);
            let (after_value, after_key) = match &query.after {
                Some(cursor) => {
                    let value = match &cursor.sort {
                        SortValue::Time(t) => rusqlite::types::Value::Integer(*t),
                        SortValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
                    };
                    (value, Some(cursor.key.clone()))
                }
                None => (rusqlite::types::Value::Null, None),
            };
            let mut statement = conn.prepare_cached(&sql)?;
            let rows = statement.query_map(
                params![
                    scope.account_id,
                    scope.region,
                    query.now,
                    query.created_after,
                    query.created_before,
                    query.modified_after,
                    query.modified_before,
                    query.name_contains,
                    after_value,
                    after_key,
                    query.limit as i64,
                ],
                image_from_row,
            )?;
            rows.map(|r| r.map_err(StoreError::from).and_then(|r| r))
                .collect()
        })
        .await
    }

    async fn change_image<T, E, F>(&self, scope: &Scope, name_key: &str, decide: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<&ImageRecord>) -> Result<(ImageWrite, T), E> + Send + Sync + 'static,
    {
        let (scope, name_key) = (scope.clone(), name_key.to_owned());
        self.write(move |tx| {
            let current = read_image(tx, &scope, &name_key)?;
            let (write, output) = decide(current.as_ref())?;
            apply_image_write(tx, &scope, &name_key, &write)?;
            Ok(output)
        })
        .await
    }

    async fn get_tags(
        &self,
        scope: &Scope,
        resource: &TaggedResource,
    ) -> Result<(Option<Lifecycle>, Vec<Tag>), StoreError> {
        let (scope, resource) = (scope.clone(), resource.clone());
        self.read(move |conn| {
            let lifecycle = resource_lifecycle(conn, &scope, &resource)?;
            Ok((lifecycle, read_tags(conn, &resource.arn)?))
        })
        .await
    }

    async fn change_tags<T, E, F>(
        &self,
        scope: &Scope,
        resource: &TaggedResource,
        decide: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<Lifecycle>, Vec<Tag>) -> Result<(Option<Vec<Tag>>, T), E>
            + Send
            + Sync
            + 'static,
    {
        let (scope, resource) = (scope.clone(), resource.clone());
        self.write(move |tx| {
            let lifecycle = resource_lifecycle(tx, &scope, &resource)?;
            let (tags, output) = decide(lifecycle, read_tags(tx, &resource.arn)?)?;
            if let Some(tags) = tags {
                replace_tags(tx, &resource.arn, &tags)?;
            }
            Ok(output)
        })
        .await
    }
}
