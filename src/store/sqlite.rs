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

use super::{ListQuery, ListSort, Store, StoreError};
use crate::domain::app_image_config::{AppConfigs, AppImageConfigRecord, AppImageConfigWrite};
use crate::domain::arn::{app_image_config_arn, image_arn, image_version_arn, ResourceRef, TaggedResource};
use crate::domain::image::{ImageRecord, ImageWrite};
use crate::domain::lifecycle::{ImageStatus, Lifecycle};
use crate::domain::version::{VersionMetadata, VersionRecord, VersionSet, VersionWrite};
use crate::domain::paging::SortValue;
use crate::domain::tags::Tag;
use crate::domain::Scope;

/// Versioned schema changes, applied in order at start; each runs once.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/sqlite/0001_images_and_tags.sql")),
    (2, include_str!("migrations/sqlite/0002_versions_aliases_app_image_configs.sql")),
];
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
    "name, display_name, description, role_arn, status, due_ms, failure_reason, created_ms, modified_ms, last_version";

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
        last_version: row.get(9)?,
    }))
}

fn parse_status(text: &str) -> Result<ImageStatus, StoreError> {
    ImageStatus::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown status '{text}'")))
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

fn resource_lifecycle(conn: &Connection, scope: &Scope, resource: &TaggedResource) -> Result<Option<Lifecycle>, StoreError> {
    match &resource.target {
        ResourceRef::Image(name_key) => Ok(read_image(conn, scope, name_key)?.map(|r| r.lifecycle)),
        ResourceRef::ImageVersion(image_key, version) => {
            let Some(image) = read_image(conn, scope, image_key)? else {
                return Ok(None);
            };
            // A version lives no longer than its image: while the image is being deleted, its deletion
            // stands for the version's.
            if image.lifecycle.status == ImageStatus::Deleting {
                return Ok(Some(image.lifecycle));
            }
            let found = read_versions(conn, scope, image_key)?.into_iter().find(|v| v.version == *version);
            Ok(found.map(|v| v.lifecycle))
        }
        ResourceRef::AppImageConfig(name_key) => Ok(read_app_image_config(conn, scope, name_key)?
            .map(|_| Lifecycle::settled(ImageStatus::Created))),
    }
}

fn read_version_set(conn: &Connection, scope: &Scope, image_key: &str) -> Result<Option<VersionSet>, StoreError> {
    let Some(image) = read_image(conn, scope, image_key)? else {
        return Ok(None);
    };
    Ok(Some(VersionSet { image, versions: read_versions(conn, scope, image_key)? }))
}

fn read_versions(conn: &Connection, scope: &Scope, image_key: &str) -> Result<Vec<VersionRecord>, StoreError> {
    let mut aliases = conn.prepare_cached(
        "SELECT version, alias FROM image_version_aliases
         WHERE account_id = ?1 AND region = ?2 AND image_key = ?3 ORDER BY alias",
    )?;
    let aliases: Vec<(i64, String)> = aliases
        .query_map(params![scope.account_id, scope.region, image_key], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut statement = conn.prepare_cached(
        "SELECT version, base_image, metadata, status, due_ms, failure_reason, client_token, request_digest,
                created_ms, modified_ms
         FROM image_versions WHERE account_id = ?1 AND region = ?2 AND image_key = ?3 ORDER BY version",
    )?;
    let rows = statement.query_map(params![scope.account_id, scope.region, image_key], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<i64>>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, i64>(8)?,
            r.get::<_, i64>(9)?,
        ))
    })?;
    let mut versions = Vec::new();
    for row in rows {
        let (version, base_image, metadata, status, due, failure_reason, client_token, request_digest, created, modified) =
            row?;
        let metadata: VersionMetadata =
            serde_json::from_str(&metadata).map_err(|e| StoreError::Corrupt(format!("version metadata: {e}")))?;
        versions.push(VersionRecord {
            version,
            base_image,
            metadata,
            aliases: aliases.iter().filter(|(v, _)| *v == version).map(|(_, a)| a.clone()).collect(),
            lifecycle: Lifecycle { status: parse_status(&status)?, due },
            failure_reason,
            client_token,
            request_digest,
            created,
            modified,
        });
    }
    Ok(versions)
}

/// Removes one version with its aliases and tags.
fn remove_version(tx: &Transaction<'_>, scope: &Scope, image_key: &str, version: i64) -> Result<(), StoreError> {
    let key = params![scope.account_id, scope.region, image_key, version];
    tx.prepare_cached(
        "DELETE FROM image_versions WHERE account_id = ?1 AND region = ?2 AND image_key = ?3 AND version = ?4",
    )?
    .execute(key)?;
    tx.prepare_cached(
        "DELETE FROM image_version_aliases WHERE account_id = ?1 AND region = ?2 AND image_key = ?3 AND version = ?4",
    )?
    .execute(key)?;
    replace_tags(tx, &image_version_arn(scope, image_key, version), &[])
}

fn put_version(tx: &Transaction<'_>, scope: &Scope, image_key: &str, record: &VersionRecord) -> Result<(), StoreError> {
    let metadata = serde_json::to_string(&record.metadata).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO image_versions (account_id, region, image_key, version, base_image, metadata,
             status, due_ms, failure_reason, client_token, request_digest, created_ms, modified_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        scope.account_id,
        scope.region,
        image_key,
        record.version,
        record.base_image,
        metadata,
        record.lifecycle.status.as_str(),
        record.lifecycle.due,
        record.failure_reason,
        record.client_token,
        record.request_digest,
        record.created,
        record.modified,
    ])?;
    tx.prepare_cached(
        "DELETE FROM image_version_aliases WHERE account_id = ?1 AND region = ?2 AND image_key = ?3 AND version = ?4",
    )?
    .execute(params![scope.account_id, scope.region, image_key, record.version])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO image_version_aliases (account_id, region, image_key, alias, version) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for alias in &record.aliases {
        insert.execute(params![scope.account_id, scope.region, image_key, alias, record.version])?;
    }
    Ok(())
}

/// Removes an image's record, versions, aliases and every tag of them.
fn remove_image(tx: &Transaction<'_>, scope: &Scope, name_key: &str) -> Result<(), StoreError> {
    for version in read_versions(tx, scope, name_key)? {
        remove_version(tx, scope, name_key, version.version)?;
    }
    tx.prepare_cached("DELETE FROM images WHERE account_id = ?1 AND region = ?2 AND name_key = ?3")?
        .execute(params![scope.account_id, scope.region, name_key])?;
    replace_tags(tx, &image_arn(scope, name_key), &[])
}

fn put_image(tx: &Transaction<'_>, scope: &Scope, name_key: &str, record: &ImageRecord) -> Result<(), StoreError> {
    tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO images (account_id, region, name_key, {IMAGE_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
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
        record.last_version,
    ])?;
    Ok(())
}

fn apply_image_write(tx: &Transaction<'_>, scope: &Scope, name_key: &str, write: &ImageWrite) -> Result<(), StoreError> {
    match write {
        ImageWrite::Create { record, tags } => {
            remove_image(tx, scope, name_key)?;
            put_image(tx, scope, name_key, record)?;
            replace_tags(tx, &image_arn(scope, name_key), tags)
        }
        ImageWrite::Update(record) => put_image(tx, scope, name_key, record),
        ImageWrite::Remove => remove_image(tx, scope, name_key),
    }
}

fn apply_version_write(tx: &Transaction<'_>, scope: &Scope, set: &VersionSet, image_key: &str, write: &VersionWrite) -> Result<(), StoreError> {
    for version in &write.remove {
        remove_version(tx, scope, image_key, *version)?;
    }
    for record in &write.put {
        put_version(tx, scope, image_key, record)?;
    }
    if let Some(last_version) = write.last_version {
        let mut image = set.image.clone();
        image.last_version = last_version;
        put_image(tx, scope, image_key, &image)?;
    }
    Ok(())
}

const APP_IMAGE_CONFIG_COLUMNS: &str = "name, configs, created_ms, modified_ms";

fn app_image_config_from_row(row: &Row<'_>) -> rusqlite::Result<Result<AppImageConfigRecord, StoreError>> {
    let configs: String = row.get(1)?;
    let configs: AppConfigs = match serde_json::from_str(&configs) {
        Ok(configs) => configs,
        Err(e) => return Ok(Err(StoreError::Corrupt(format!("app image config: {e}")))),
    };
    Ok(Ok(AppImageConfigRecord { name: row.get(0)?, configs, created: row.get(2)?, modified: row.get(3)? }))
}

fn read_app_image_config(conn: &Connection, scope: &Scope, name_key: &str) -> Result<Option<AppImageConfigRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {APP_IMAGE_CONFIG_COLUMNS} FROM app_image_configs WHERE account_id = ?1 AND region = ?2 AND name_key = ?3"
    ))?
    .query_row(params![scope.account_id, scope.region, name_key], app_image_config_from_row)
    .optional()?
    .transpose()
}

fn apply_app_image_config_write(
    tx: &Transaction<'_>,
    scope: &Scope,
    name_key: &str,
    write: &AppImageConfigWrite,
) -> Result<(), StoreError> {
    let arn = app_image_config_arn(scope, name_key);
    let (record, tags) = match write {
        AppImageConfigWrite::Remove => {
            tx.prepare_cached("DELETE FROM app_image_configs WHERE account_id = ?1 AND region = ?2 AND name_key = ?3")?
                .execute(params![scope.account_id, scope.region, name_key])?;
            return replace_tags(tx, &arn, &[]);
        }
        AppImageConfigWrite::Create { record, tags } => (record, Some(tags)),
        AppImageConfigWrite::Update(record) => (record, None),
    };
    let configs = serde_json::to_string(&record.configs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.prepare_cached(&format!(
        "INSERT OR REPLACE INTO app_image_configs (account_id, region, name_key, {APP_IMAGE_CONFIG_COLUMNS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))?
    .execute(params![scope.account_id, scope.region, name_key, record.name, configs, record.created, record.modified])?;
    if let Some(tags) = tags {
        replace_tags(tx, &arn, tags)?;
    }
    Ok(())
}

/// A table that ListImages-style queries page through: keyed by (account, region, name_key), with
/// `created_ms` and `modified_ms` columns.
struct Listed {
    table: &'static str,
    columns: &'static str,
    /// Leaves out rows that readers no longer see, given the time as the next parameter.
    hide_finished_deletions: bool,
}

/// One page of `listed`: the SQL and its parameters. Column names and directions come from fixed lists,
/// never from input; every value is a parameter.
fn page_query(listed: &Listed, scope: &Scope, query: &ListQuery) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let sort_column = match query.sort {
        ListSort::CreationTime => "created_ms",
        ListSort::LastModifiedTime => "modified_ms",
        ListSort::Name => "name_key",
    };
    let (direction, beyond) = if query.descending { ("DESC", "<") } else { ("ASC", ">") };
    let mut sql = format!(
        "SELECT {}, name_key FROM {} WHERE account_id = ? AND region = ?",
        listed.columns, listed.table
    );
    let mut values = vec![Value::Text(scope.account_id.clone()), Value::Text(scope.region.clone())];
    let mut filter = |clause: &str, value: Value| {
        sql.push_str(clause);
        values.push(value);
    };
    if listed.hide_finished_deletions {
        filter(" AND NOT (status = 'DELETING' AND due_ms <= ?)", Value::Integer(query.now));
    }
    for (bound, clause) in [
        (query.created_after, " AND created_ms >= ?"),
        (query.created_before, " AND created_ms <= ?"),
        (query.modified_after, " AND modified_ms >= ?"),
        (query.modified_before, " AND modified_ms <= ?"),
    ] {
        if let Some(bound) = bound {
            filter(clause, Value::Integer(bound));
        }
    }
    if let Some(part) = &query.name_contains {
        filter(" AND instr(name_key, ?) > 0", Value::Text(part.clone()));
    }
    if let Some(cursor) = &query.after {
        let key = Value::Text(cursor.key.clone());
        if query.sort == ListSort::Name {
            filter(&format!(" AND name_key {beyond} ?"), key);
        } else {
            let value = match &cursor.sort {
                SortValue::Time(t) => Value::Integer(*t),
                SortValue::Text(s) => Value::Text(s.clone()),
            };
            filter(&format!(" AND ({sort_column}, name_key) {beyond} (?, "), value);
            filter("?)", key);
        }
    }
    if query.sort == ListSort::Name {
        sql.push_str(&format!(" ORDER BY name_key {direction}"));
    } else {
        sql.push_str(&format!(" ORDER BY {sort_column} {direction}, name_key {direction}"));
    }
    sql.push_str(" LIMIT ?");
    values.push(Value::Integer(query.limit as i64));
    (sql, values)
}

const IMAGES: Listed = Listed { table: "images", columns: IMAGE_COLUMNS, hide_finished_deletions: true };
const APP_IMAGE_CONFIGS: Listed =
    Listed { table: "app_image_configs", columns: APP_IMAGE_CONFIG_COLUMNS, hide_finished_deletions: false };

fn read_page<T>(
    conn: &Connection,
    listed: &Listed,
    scope: &Scope,
    query: &ListQuery,
    from_row: fn(&Row<'_>) -> rusqlite::Result<Result<T, StoreError>>,
) -> Result<Vec<T>, StoreError> {
    let (sql, values) = page_query(listed, scope, query);
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(rusqlite::params_from_iter(values), from_row)?;
    rows.map(|r| r.map_err(StoreError::from).and_then(|r| r)).collect()
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

    async fn list_images(&self, scope: &Scope, query: &ListQuery) -> Result<Vec<ImageRecord>, StoreError> {
        let (scope, query) = (scope.clone(), query.clone());
        self.read(move |conn| read_page(conn, &IMAGES, &scope, &query, image_from_row)).await
    }

    async fn get_versions(&self, scope: &Scope, image_key: &str) -> Result<Option<VersionSet>, StoreError> {
        let (scope, image_key) = (scope.clone(), image_key.to_owned());
        self.read(move |conn| read_version_set(conn, &scope, &image_key)).await
    }

    async fn change_versions<T, E, F>(&self, scope: &Scope, image_key: &str, decide: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<&VersionSet>) -> Result<(VersionWrite, T), E> + Send + Sync + 'static,
    {
        let (scope, image_key) = (scope.clone(), image_key.to_owned());
        self.write(move |tx| {
            let current = read_version_set(tx, &scope, &image_key)?;
            let (write, output) = decide(current.as_ref())?;
            if let Some(set) = &current {
                apply_version_write(tx, &scope, set, &image_key, &write)?;
            }
            Ok(output)
        })
        .await
    }

    async fn get_app_image_config(&self, scope: &Scope, name_key: &str) -> Result<Option<AppImageConfigRecord>, StoreError> {
        let (scope, name_key) = (scope.clone(), name_key.to_owned());
        self.read(move |conn| read_app_image_config(conn, &scope, &name_key)).await
    }

    async fn list_app_image_configs(&self, scope: &Scope, query: &ListQuery) -> Result<Vec<AppImageConfigRecord>, StoreError> {
        let (scope, query) = (scope.clone(), query.clone());
        self.read(move |conn| read_page(conn, &APP_IMAGE_CONFIGS, &scope, &query, app_image_config_from_row)).await
    }

    async fn change_app_image_config<T, E, F>(&self, scope: &Scope, name_key: &str, decide: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<&AppImageConfigRecord>) -> Result<(AppImageConfigWrite, T), E> + Send + Sync + 'static,
    {
        let (scope, name_key) = (scope.clone(), name_key.to_owned());
        self.write(move |tx| {
            let current = read_app_image_config(tx, &scope, &name_key)?;
            let (write, output) = decide(current.as_ref())?;
            apply_app_image_config_write(tx, &scope, &name_key, &write)?;
            Ok(output)
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
