//! Reading and writing the records of every resource, once for both engines, over the [`Db`] trait.
//! SQL here is the common subset of SQLite and PostgreSQL (and of PostgreSQL-wire distributed databases):
//! `?` placeholders, `INSERT ... ON CONFLICT ... DO UPDATE`, row-value comparisons, `LIKE`.

use super::db::{Db, Row, Value};
use super::{ListQuery, ListSort, StoreError};
use crate::domain::app_image_config::{AppConfigs, AppImageConfigRecord, AppImageConfigWrite};
use crate::domain::arn::{
    app_image_config_arn, image_arn, image_version_arn, ResourceRef, TaggedResource,
};
use crate::domain::image::{ImageRecord, ImageWrite};
use crate::domain::lifecycle::{ImageStatus, Lifecycle};
use crate::domain::paging::{Cursor, SortValue};
use crate::domain::tags::Tag;
use crate::domain::version::{VersionMetadata, VersionRecord, VersionSet, VersionWrite};
use crate::domain::{Millis, Scope};
use std::collections::HashMap;

const TOKEN_SECRET: &str = "page_token_secret";

/// Applies the first migration not yet recorded, then records it, in the caller's transaction: the version
/// applied, or `None` once the schema is current. Engines call it in a fresh transaction until it returns
/// `None`. One migration per transaction, with its schema changes before its writes and the version row
/// last, because CockroachDB refuses a schema change once a transaction has written (cockroachdb/cockroach
/// issue 54477). Where two processes migrate at once, the second fails on the first one's tables, columns or
/// version row once the first commits; the engine retries it, and it finds the version recorded.
pub fn migrate_next(db: &dyn Db, migrations: &[(i64, &str)]) -> Result<Option<i64>, StoreError> {
    db.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_ms BIGINT NOT NULL)")?;
    let applied = db
        .query_opt("SELECT MAX(version) FROM schema_migrations", &[])?
        .map(|row| row.opt_int(0))
        .transpose()?
        .flatten()
        .unwrap_or(0);
    let Some((version, sql)) = migrations.iter().find(|(v, _)| *v > applied) else {
        return Ok(None);
    };
    tracing::info!(version, "applying schema migration");
    db.batch(sql)?;
    db.execute(
        "INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)",
        &[
            Value::Int(*version),
            Value::Int(crate::domain::now_millis()),
        ],
    )?;
    Ok(Some(*version))
}

/// The secret that seals pagination tokens, made on first use (in a transaction of its own, after the
/// migrations that create its table).
pub fn token_secret(db: &dyn Db) -> Result<Vec<u8>, StoreError> {
    let mut secret = Vec::with_capacity(32);
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    secret.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    db.execute(
        "INSERT INTO service_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        &[TOKEN_SECRET.into(), Value::Bytes(secret)],
    )?;
    match db.query_opt(
        "SELECT value FROM service_meta WHERE name = ?",
        &[TOKEN_SECRET.into()],
    )? {
        Some(row) => row.bytes(0),
        None => Err(StoreError::Corrupt(
            "the pagination secret is missing".to_owned(),
        )),
    }
}

fn scoped(scope: &Scope, key: &str) -> Vec<Value> {
    vec![
        (&scope.account_id).into(),
        (&scope.region).into(),
        key.into(),
    ]
}

pub fn parse_status(text: &str) -> Result<ImageStatus, StoreError> {
    ImageStatus::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown status '{text}'")))
}

/// The columns of an [`ImageRecord`], in the order `image_from_row` reads them. A macro, so that the hot
/// statements below are `concat!`ed at compile time rather than formatted per call.
macro_rules! image_columns {
    () => {
        "name, display_name, description, role_arn, status, due_ms, failure_reason, created_ms, modified_ms, last_version"
    };
}
pub(super) const IMAGE_COLUMNS: &str = image_columns!();

pub(super) fn image_from_row(row: &Row) -> Result<ImageRecord, StoreError> {
    let failure_reason = row.opt_text(6)?;
    Ok(ImageRecord {
        name: row.text(0)?,
        display_name: row.opt_text(1)?,
        description: row.opt_text(2)?,
        role_arn: row.text(3)?,
        lifecycle: Lifecycle::stored(
            parse_status(&row.text(4)?)?,
            row.opt_int(5)?,
            failure_reason.as_deref(),
        ),
        failure_reason,
        created: row.int(7)?,
        modified: row.int(8)?,
        last_version: row.int(9)?,
    })
}

/// Why a record is read. A change reads the rows its decision rests on with a row lock where the engine
/// runs changes concurrently, so that two changes of one resource (or of an image's versions and tags,
/// which lock the image) take turns; a resource that does not exist yet is guarded by its primary key
/// instead, the second insert failing and being retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Read,
    Change,
}

macro_rules! image_by_key {
    () => {
        concat!(
            "SELECT ",
            image_columns!(),
            " FROM images WHERE account_id = ? AND region = ? AND name_key = ?"
        )
    };
}

pub fn read_image(
    db: &dyn Db,
    scope: &Scope,
    name_key: &str,
    purpose: Purpose,
) -> Result<Option<ImageRecord>, StoreError> {
    let sql = if purpose == Purpose::Change && db.locks_rows() {
        concat!(image_by_key!(), " FOR UPDATE")
    } else {
        image_by_key!()
    };
    db.query_opt(sql, &scoped(scope, name_key))?
        .map(|row| image_from_row(&row))
        .transpose()
}

fn insert_image(
    db: &dyn Db,
    scope: &Scope,
    name_key: &str,
    record: &ImageRecord,
) -> Result<(), StoreError> {
    let mut params = scoped(scope, name_key);
    params.extend([
        (&record.name).into(),
        (&record.display_name).into(),
        (&record.description).into(),
        (&record.role_arn).into(),
        record.lifecycle.status.as_str().into(),
        record.lifecycle.due.into(),
        (&record.failure_reason).into(),
        record.created.into(),
        record.modified.into(),
        record.last_version.into(),
    ]);
    db.execute(
        concat!(
            "INSERT INTO images (account_id, region, name_key, ",
            image_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        &params,
    )?;
    Ok(())
}

/// Rewrites an existing image's mutable columns. Its name and creation time never change, so the statement
/// leaves them (and the creation-time index) alone: fewer pages to write per change.
fn update_image(
    db: &dyn Db,
    scope: &Scope,
    name_key: &str,
    record: &ImageRecord,
) -> Result<(), StoreError> {
    let mut params: Vec<Value> = vec![
        (&record.display_name).into(),
        (&record.description).into(),
        (&record.role_arn).into(),
        record.lifecycle.status.as_str().into(),
        record.lifecycle.due.into(),
        (&record.failure_reason).into(),
        record.modified.into(),
        record.last_version.into(),
    ];
    params.extend(scoped(scope, name_key));
    let changed = db.execute(
        "UPDATE images SET display_name = ?, description = ?, role_arn = ?, status = ?, due_ms = ?,
             failure_reason = ?, modified_ms = ?, last_version = ?
         WHERE account_id = ? AND region = ? AND name_key = ?",
        &params,
    )?;
    one_row_updated(changed, "image", name_key)
}

/// An UPDATE of a record the change read (and, on PostgreSQL, locked) must find exactly that row.
fn one_row_updated(changed: u64, kind: &str, name_key: &str) -> Result<(), StoreError> {
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "{kind} {name_key} changed while its change was decided"
        )))
    }
}

/// Follows every name key in its windows, so that the last three characters of a name start a window as
/// the others do. No name holds it (model patterns).
const NAME_END: char = '~';
/// The characters a name key may hold (model patterns, lower-cased).
const NAME_KEY_CHARACTERS: &str = "abcdefghijklmnopqrstuvwxyz0123456789-.";

/// The distinct four-character windows of a name key followed by `NAME_END`, as the `*_name_grams` tables
/// hold them (migration 4 computes the same windows for the names stored before it). Name keys are ASCII
/// (model patterns), so byte windows are character windows.
pub fn name_grams(name_key: &str) -> Vec<String> {
    let ended = format!("{name_key}{NAME_END}");
    let mut grams: Vec<String> = (0..ended.len().saturating_sub(3))
        .filter_map(|start| ended.get(start..start + 4).map(str::to_owned))
        .collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// The windows whose names together hold every name containing `part`, one set for each way of reading
/// them: a value of four or more characters is in the names of each of its own windows (any one will
/// do); a value of three is in the names of the windows it starts, whatever follows it. None for a
/// shorter value.
fn windows_of_value(part: &str) -> Vec<Vec<String>> {
    match part.len() {
        0..=2 => Vec::new(),
        3 => vec![NAME_KEY_CHARACTERS
            .chars()
            .chain([NAME_END])
            .map(|follower| format!("{part}{follower}"))
            .collect()],
        _ => {
            let mut windows: Vec<&str> = (0..=part.len() - 4)
                .filter_map(|start| part.get(start..start + 4))
                .collect();
            windows.dedup();
            windows
                .into_iter()
                .map(|window| vec![window.to_owned()])
                .collect()
        }
    }
}

/// The statements of one name-gram table that take no list of grams, written once per table at compile
/// time; the others take one and are built per query.
pub struct NameGramTable {
    table: &'static str,
    insert: &'static str,
    remove: &'static str,
}

macro_rules! name_gram_table {
    ($table:literal) => {
        NameGramTable {
            table: $table,
            insert: concat!(
                "INSERT INTO ",
                $table,
                " (account_id, region, gram, name_key, created_ms) VALUES (?, ?, ?, ?, ?)"
            ),
            remove: concat!(
                "DELETE FROM ",
                $table,
                " WHERE account_id = ? AND region = ? AND gram = ? AND name_key = ?"
            ),
        }
    };
}

impl NameGramTable {
    /// Indexes every gram of a new name, with the name's creation time (which never changes).
    fn add_name(
        &self,
        db: &dyn Db,
        scope: &Scope,
        name_key: &str,
        created: Millis,
    ) -> Result<(), StoreError> {
        for gram in name_grams(name_key) {
            let mut params = scoped(scope, &gram);
            params.extend([name_key.into(), created.into()]);
            db.execute(self.insert, &params)?;
        }
        Ok(())
    }

    fn remove_name(&self, db: &dyn Db, scope: &Scope, name_key: &str) -> Result<(), StoreError> {
        for gram in name_grams(name_key) {
            let mut params = scoped(scope, &gram);
            params.push(name_key.into());
            db.execute(self.remove, &params)?;
        }
        Ok(())
    }

    /// How many names hold one of `grams` (counting a name once per gram), up to `limit`.
    fn count(&self, scope: &Scope, grams: &[String], limit: i64) -> (String, Vec<Value>) {
        let (postings, mut params) = postings_of(scope, grams);
        params.push(Value::Int(limit));
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {} WHERE {postings} LIMIT ?) AS postings",
            self.table
        );
        (sql, params)
    }

    /// The names holding one of `grams` that also contain `part`, each once, in no order.
    fn matching(&self, scope: &Scope, grams: &[String], part: &str) -> (String, Vec<Value>) {
        let (postings, mut params) = postings_of(scope, grams);
        params.push(containing(part));
        // One gram's names are distinct already (its primary key); a name may hold several of a set.
        let distinct = if grams.len() > 1 { "DISTINCT " } else { "" };
        let sql = format!(
            "SELECT {distinct}name_key AS matched FROM {} WHERE {postings} AND name_key LIKE ?",
            self.table
        );
        (sql, params)
    }

    /// The postings of `grams` that `read` asks for, among those created within the query's bounds, in
    /// the query's order (by creation time or by name): name key and creation time. Each gram's postings
    /// are read in that order from an index and merged, so the statement stops after `read.limit`; with
    /// `limit_each` (`Db::limits_union_arms`), each gram's read is a subquery of its own so limited. A
    /// name holding two grams of the set comes twice, side by side.
    fn in_list_order(
        &self,
        scope: &Scope,
        grams: &[String],
        query: &ListQuery,
        read: &KeyRead,
        limit_each: bool,
    ) -> (String, Vec<Value>) {
        let (order, beyond, beyond_values) = keyset(query, read.after);
        let (created, created_values) = TimeColumn::Created.bounds(query);
        let like = containing(read.part);
        let limit = Value::Int(read.limit as i64);
        let mut params = Vec::new();
        let arms: Vec<String> = grams
            .iter()
            .enumerate()
            .map(|(index, gram)| {
                params.extend(scoped(scope, gram));
                params.push(like.clone());
                params.extend(created_values.iter().cloned());
                params.extend(beyond_values.iter().cloned());
                let scan = format!(
                    "SELECT name_key, created_ms FROM {} WHERE account_id = ? AND region = ? AND gram = ? AND name_key LIKE ?{created}{beyond}",
                    self.table
                );
                if limit_each {
                    params.push(limit.clone());
                    format!("SELECT name_key, created_ms FROM ({scan}{order} LIMIT ?) AS gram{index}")
                } else {
                    scan
                }
            })
            .collect();
        params.push(limit);
        (
            format!("{}{order} LIMIT ?", arms.join(" UNION ALL ")),
            params,
        )
    }
}

/// The LIKE pattern of names containing `part`. Names hold no LIKE wildcards (model patterns), so the
/// substring is matched literally.
fn containing(part: &str) -> Value {
    Value::Text(format!("%{part}%"))
}

/// The condition selecting the rows of `grams` in `scope`, and its parameters.
fn postings_of(scope: &Scope, grams: &[String]) -> (String, Vec<Value>) {
    let mut params: Vec<Value> = vec![(&scope.account_id).into(), (&scope.region).into()];
    params.extend(grams.iter().map(Value::from));
    let condition = format!(
        "account_id = ? AND region = ? AND gram IN ({})",
        vec!["?"; grams.len()].join(", ")
    );
    (condition, params)
}

const IMAGE_NAME_GRAMS: NameGramTable = name_gram_table!("image_name_postings");
const APP_IMAGE_CONFIG_NAME_GRAMS: NameGramTable =
    name_gram_table!("app_image_config_name_postings");

/// Names a set of grams may hold for a NameContains list by last-modified time to read them all, look
/// each up and sort them (about 3 µs a name). Walking the sort index instead tests about
/// `page × names / matches` keys (about 0.1 µs each) before it has a page, so among a million names
/// reading the candidates is cheaper up to about 2,000 of them: at 4,000 it cost 12 ms, and walking 3 ms.
const GRAM_CANDIDATES_LIMIT: i64 = 2_000;
/// A set this rare is good enough; the filter stops comparing sets.
const GRAM_RARE_ENOUGH: i64 = 500;
/// Sets of one NameContains value counted at most, spread over its length.
const GRAMS_COMPARED: usize = 8;
/// The most keys one read of a NameContains walk asks for; reads after the first double in size up to
/// it, when the records' own filters left the page short.
const KEYS_READ_MAX: usize = 1_000;

/// The set of `sets` held by the fewest names, with that number counted up to `limit`: each count stops
/// there, so a common set costs a bounded scan. None when there is no set (a value too short).
fn rarest_grams(
    db: &dyn Db,
    table: &NameGramTable,
    scope: &Scope,
    sets: Vec<Vec<String>>,
    limit: i64,
) -> Result<Option<(i64, Vec<String>)>, StoreError> {
    let step = sets.len().div_ceil(GRAMS_COMPARED).max(1);
    let mut rarest: Option<(i64, Vec<String>)> = None;
    for grams in sets.into_iter().step_by(step) {
        let (count, params) = table.count(scope, &grams, limit);
        let postings = db
            .query_opt(&count, &params)?
            .map(|row| row.int(0))
            .transpose()?
            .unwrap_or(0);
        if rarest.as_ref().is_none_or(|(fewest, _)| postings < *fewest) {
            rarest = Some((postings, grams));
        }
        if postings < GRAM_RARE_ENOUGH {
            break;
        }
    }
    Ok(rarest)
}

/// Removes an image's record, versions, aliases and every tag of them.
fn remove_image(db: &dyn Db, scope: &Scope, name_key: &str) -> Result<(), StoreError> {
    for version in read_versions(db, scope, name_key)? {
        remove_version(db, scope, name_key, version.version)?;
    }
    db.execute(
        "DELETE FROM images WHERE account_id = ? AND region = ? AND name_key = ?",
        &scoped(scope, name_key),
    )?;
    IMAGE_NAME_GRAMS.remove_name(db, scope, name_key)?;
    replace_tags(db, &image_arn(scope, name_key), &[])
}

pub fn apply_image_write(
    db: &dyn Db,
    scope: &Scope,
    name_key: &str,
    write: &ImageWrite,
) -> Result<(), StoreError> {
    match write {
        ImageWrite::Create {
            record,
            tags,
            replaces,
        } => {
            if *replaces {
                remove_image(db, scope, name_key)?;
            }
            insert_image(db, scope, name_key, record)?;
            IMAGE_NAME_GRAMS.add_name(db, scope, name_key, record.created)?;
            replace_tags(db, &image_arn(scope, name_key), tags)
        }
        ImageWrite::Update(record) => update_image(db, scope, name_key, record),
        ImageWrite::Remove => remove_image(db, scope, name_key),
    }
}

pub fn read_tags(db: &dyn Db, arn: &str) -> Result<Vec<Tag>, StoreError> {
    db.query(
        "SELECT tag_key, tag_value FROM tags WHERE resource_arn = ? ORDER BY position",
        &[arn.into()],
    )?
    .iter()
    .map(|row| {
        Ok(Tag {
            key: row.text(0)?,
            value: row.text(1)?,
        })
    })
    .collect()
}

pub fn replace_tags(db: &dyn Db, arn: &str, tags: &[Tag]) -> Result<(), StoreError> {
    db.execute("DELETE FROM tags WHERE resource_arn = ?", &[arn.into()])?;
    for (position, tag) in tags.iter().enumerate() {
        db.execute(
            "INSERT INTO tags (resource_arn, tag_key, position, tag_value) VALUES (?, ?, ?, ?)",
            &[
                arn.into(),
                (&tag.key).into(),
                Value::Int(position as i64),
                (&tag.value).into(),
            ],
        )?;
    }
    Ok(())
}

pub fn resource_lifecycle(
    db: &dyn Db,
    scope: &Scope,
    resource: &TaggedResource,
    purpose: Purpose,
) -> Result<Option<Lifecycle>, StoreError> {
    match &resource.target {
        ResourceRef::Image(name_key) => {
            Ok(read_image(db, scope, name_key, purpose)?.map(|r| r.lifecycle))
        }
        ResourceRef::ImageVersion(image_key, version) => {
            let Some(image) = read_image(db, scope, image_key, purpose)? else {
                return Ok(None);
            };
            // A version lives no longer than its image: while the image is being deleted, its deletion
            // stands for the version's.
            if image.lifecycle.status == ImageStatus::Deleting {
                return Ok(Some(image.lifecycle));
            }
            let found = read_versions(db, scope, image_key)?
                .into_iter()
                .find(|v| v.version == *version);
            Ok(found.map(|v| v.lifecycle))
        }
        ResourceRef::AppImageConfig(name_key) => {
            Ok(read_app_image_config(db, scope, name_key, purpose)?
                .map(|_| Lifecycle::settled(ImageStatus::Created)))
        }
    }
}

pub fn read_version_set(
    db: &dyn Db,
    scope: &Scope,
    image_key: &str,
    purpose: Purpose,
) -> Result<Option<VersionSet>, StoreError> {
    let Some(image) = read_image(db, scope, image_key, purpose)? else {
        return Ok(None);
    };
    Ok(Some(VersionSet {
        image,
        versions: read_versions(db, scope, image_key)?,
    }))
}

pub(super) fn read_versions(
    db: &dyn Db,
    scope: &Scope,
    image_key: &str,
) -> Result<Vec<VersionRecord>, StoreError> {
    let key = scoped(scope, image_key);
    let aliases: Vec<(i64, String)> = db
        .query(
            "SELECT version, alias FROM image_version_aliases
             WHERE account_id = ? AND region = ? AND image_key = ? ORDER BY alias",
            &key,
        )?
        .iter()
        .map(|row| Ok((row.int(0)?, row.text(1)?)))
        .collect::<Result<_, StoreError>>()?;
    let rows = db.query(
        "SELECT version, base_image, metadata, status, due_ms, failure_reason, client_token, request_digest,
                created_ms, modified_ms
         FROM image_versions WHERE account_id = ? AND region = ? AND image_key = ? ORDER BY version",
        &key,
    )?;
    rows.iter()
        .map(|row| {
            let version = row.int(0)?;
            let failure_reason = row.opt_text(5)?;
            let metadata: VersionMetadata = serde_json::from_str(&row.text(2)?)
                .map_err(|e| StoreError::Corrupt(format!("version metadata: {e}")))?;
            Ok(VersionRecord {
                version,
                base_image: row.text(1)?,
                metadata,
                aliases: aliases
                    .iter()
                    .filter(|(v, _)| *v == version)
                    .map(|(_, a)| a.clone())
                    .collect(),
                lifecycle: Lifecycle::stored(
                    parse_status(&row.text(3)?)?,
                    row.opt_int(4)?,
                    failure_reason.as_deref(),
                ),
                failure_reason,
                client_token: row.text(6)?,
                request_digest: row.text(7)?,
                created: row.int(8)?,
                modified: row.int(9)?,
            })
        })
        .collect()
}

fn version_key(scope: &Scope, image_key: &str, version: i64) -> Vec<Value> {
    let mut key = scoped(scope, image_key);
    key.push(Value::Int(version));
    key
}

/// Removes one version with its aliases and tags.
fn remove_version(
    db: &dyn Db,
    scope: &Scope,
    image_key: &str,
    version: i64,
) -> Result<(), StoreError> {
    let key = version_key(scope, image_key, version);
    db.execute(
        "DELETE FROM image_versions WHERE account_id = ? AND region = ? AND image_key = ? AND version = ?",
        &key,
    )?;
    db.execute(
        "DELETE FROM image_version_aliases WHERE account_id = ? AND region = ? AND image_key = ? AND version = ?",
        &key,
    )?;
    replace_tags(db, &image_version_arn(scope, image_key, version), &[])
}

fn put_version(
    db: &dyn Db,
    scope: &Scope,
    image_key: &str,
    record: &VersionRecord,
) -> Result<(), StoreError> {
    let metadata =
        serde_json::to_string(&record.metadata).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let key = version_key(scope, image_key, record.version);
    let mut params = key.clone();
    params.extend([
        (&record.base_image).into(),
        Value::Text(metadata),
        record.lifecycle.status.as_str().into(),
        record.lifecycle.due.into(),
        (&record.failure_reason).into(),
        (&record.client_token).into(),
        (&record.request_digest).into(),
        record.created.into(),
        record.modified.into(),
    ]);
    db.execute(
        "INSERT INTO image_versions (account_id, region, image_key, version, base_image, metadata, status, due_ms,
             failure_reason, client_token, request_digest, created_ms, modified_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id, region, image_key, version) DO UPDATE SET
             base_image = excluded.base_image, metadata = excluded.metadata, status = excluded.status,
             due_ms = excluded.due_ms, failure_reason = excluded.failure_reason,
             client_token = excluded.client_token, request_digest = excluded.request_digest,
             created_ms = excluded.created_ms, modified_ms = excluded.modified_ms",
        &params,
    )?;
    db.execute(
        "DELETE FROM image_version_aliases WHERE account_id = ? AND region = ? AND image_key = ? AND version = ?",
        &key,
    )?;
    for alias in &record.aliases {
        let mut params = scoped(scope, image_key);
        params.extend([alias.into(), Value::Int(record.version)]);
        db.execute(
            "INSERT INTO image_version_aliases (account_id, region, image_key, alias, version) VALUES (?, ?, ?, ?, ?)",
            &params,
        )?;
    }
    Ok(())
}

pub fn apply_version_write(
    db: &dyn Db,
    scope: &Scope,
    set: &VersionSet,
    image_key: &str,
    write: &VersionWrite,
) -> Result<(), StoreError> {
    for version in &write.remove {
        remove_version(db, scope, image_key, *version)?;
    }
    for record in &write.put {
        put_version(db, scope, image_key, record)?;
    }
    if let Some(last_version) = write.last_version {
        let mut image = set.image.clone();
        image.last_version = last_version;
        update_image(db, scope, image_key, &image)?;
    }
    Ok(())
}

macro_rules! app_image_config_columns {
    () => {
        "name, configs, created_ms, modified_ms"
    };
}
pub(super) const APP_IMAGE_CONFIG_COLUMNS: &str = app_image_config_columns!();

pub(super) fn app_image_config_from_row(row: &Row) -> Result<AppImageConfigRecord, StoreError> {
    let configs: AppConfigs = serde_json::from_str(&row.text(1)?)
        .map_err(|e| StoreError::Corrupt(format!("app image config: {e}")))?;
    Ok(AppImageConfigRecord {
        name: row.text(0)?,
        configs,
        created: row.int(2)?,
        modified: row.int(3)?,
    })
}

pub fn read_app_image_config(
    db: &dyn Db,
    scope: &Scope,
    name_key: &str,
    purpose: Purpose,
) -> Result<Option<AppImageConfigRecord>, StoreError> {
    let sql = format!(
        "SELECT {APP_IMAGE_CONFIG_COLUMNS} FROM app_image_configs WHERE account_id = ? AND region = ? AND name_key = ?{}",
        if purpose == Purpose::Change && db.locks_rows() { " FOR UPDATE" } else { "" }
    );
    db.query_opt(&sql, &scoped(scope, name_key))?
        .map(|row| app_image_config_from_row(&row))
        .transpose()
}

pub fn apply_app_image_config_write(
    db: &dyn Db,
    scope: &Scope,
    name_key: &str,
    write: &AppImageConfigWrite,
) -> Result<(), StoreError> {
    let arn = app_image_config_arn(scope, name_key);
    let (record, tags) = match write {
        AppImageConfigWrite::Remove => {
            db.execute(
                "DELETE FROM app_image_configs WHERE account_id = ? AND region = ? AND name_key = ?",
                &scoped(scope, name_key),
            )?;
            APP_IMAGE_CONFIG_NAME_GRAMS.remove_name(db, scope, name_key)?;
            return replace_tags(db, &arn, &[]);
        }
        AppImageConfigWrite::Create { record, tags } => (record, Some(tags)),
        AppImageConfigWrite::Update(record) => (record, None),
    };
    let configs =
        serde_json::to_string(&record.configs).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    match tags {
        // A create was decided on the config being absent: a racing create's row makes this insert fail
        // on the primary key, and the engine retries the change, which then sees that row.
        Some(tags) => {
            let mut params = scoped(scope, name_key);
            params.extend([
                (&record.name).into(),
                Value::Text(configs),
                record.created.into(),
                record.modified.into(),
            ]);
            db.execute(
                concat!(
                    "INSERT INTO app_image_configs (account_id, region, name_key, ",
                    app_image_config_columns!(),
                    ") VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                &params,
            )?;
            APP_IMAGE_CONFIG_NAME_GRAMS.add_name(db, scope, name_key, record.created)?;
            replace_tags(db, &arn, tags)
        }
        None => {
            let mut params = vec![Value::Text(configs), record.modified.into()];
            params.extend(scoped(scope, name_key));
            let changed = db.execute(
                "UPDATE app_image_configs SET configs = ?, modified_ms = ?
                 WHERE account_id = ? AND region = ? AND name_key = ?",
                &params,
            )?;
            one_row_updated(changed, "app image config", name_key)
        }
    }
}

/// A table that list operations page through: keyed by (account, region, name_key), with `created_ms`
/// and `modified_ms` columns.
pub struct ListedTable<T> {
    table: &'static str,
    columns: &'static str,
    /// Leaves out rows whose deletion has ended by the query's time.
    hide_finished_deletions: bool,
    name_grams: &'static NameGramTable,
    from_row: fn(&Row) -> Result<T, StoreError>,
}

pub const IMAGES: ListedTable<ImageRecord> = ListedTable {
    table: "images",
    columns: IMAGE_COLUMNS,
    hide_finished_deletions: true,
    name_grams: &IMAGE_NAME_GRAMS,
    from_row: image_from_row,
};
pub const APP_IMAGE_CONFIGS: ListedTable<AppImageConfigRecord> = ListedTable {
    table: "app_image_configs",
    columns: APP_IMAGE_CONFIG_COLUMNS,
    hide_finished_deletions: false,
    name_grams: &APP_IMAGE_CONFIG_NAME_GRAMS,
    from_row: app_image_config_from_row,
};

/// One page of `listed`. Column names and directions come from fixed lists, never from input; every value
/// is a parameter, and a filter appears in the SQL only when the request has it.
///
/// With a NameContains value, the keys of the names the page may hold are walked in the list's order, and
/// each batch of them looked up (`read_in_key_order`): by creation time or by name, from the postings of
/// the value's rarest grams when it has three or more characters; otherwise from the sort order's own
/// index. By last-modified time, which postings do not carry, the names holding the rarest grams are
/// looked up and sorted instead when they are few.
pub fn read_page<T>(
    db: &dyn Db,
    listed: &ListedTable<T>,
    scope: &Scope,
    query: &ListQuery,
) -> Result<Vec<T>, StoreError> {
    let Some(part) = &query.name_contains else {
        return read_in_sort_order(db, listed, scope, query, None);
    };
    let mut sets = windows_of_value(part);
    if query.sort == ListSort::LastModifiedTime {
        let candidates = rarest_grams(db, listed.name_grams, scope, sets, GRAM_CANDIDATES_LIMIT)?
            .filter(|(postings, _)| *postings < GRAM_CANDIDATES_LIMIT);
        return match candidates {
            Some((_, grams)) => read_in_sort_order(db, listed, scope, query, Some((&grams, part))),
            None => read_in_key_order(db, listed, scope, query, part, KeySource::SortIndex),
        };
    }
    // Postings are walked however common: they are never more than the names the sort order holds.
    let grams = if sets.len() > 1 {
        rarest_grams(db, listed.name_grams, scope, sets, GRAM_RARE_ENOUGH)?.map(|(_, grams)| grams)
    } else {
        sets.pop()
    };
    let source = match &grams {
        Some(grams) => KeySource::Postings(grams),
        None => KeySource::SortIndex,
    };
    read_in_key_order(db, listed, scope, query, part, source)
}

/// Reads a page in one statement: every record in the sort order, or, with `candidates` (grams and the
/// NameContains value), the names holding one of the grams that contain the value, looked up and sorted.
fn read_in_sort_order<T>(
    db: &dyn Db,
    listed: &ListedTable<T>,
    scope: &Scope,
    query: &ListQuery,
    candidates: Option<(&[String], &str)>,
) -> Result<Vec<T>, StoreError> {
    let mut params = Vec::new();
    let mut sql = match candidates {
        // CROSS JOIN keeps SQLite's planner from walking the sort index instead; PostgreSQL plans it as
        // any inner join.
        Some((grams, part)) => {
            let (matching, matching_params) = listed.name_grams.matching(scope, grams, part);
            params.extend(matching_params);
            format!(
                "SELECT {} FROM ({matching}) AS m CROSS JOIN {} WHERE account_id = ? AND region = ? AND name_key = matched",
                listed.columns, listed.table
            )
        }
        None => format!(
            "SELECT {} FROM {} WHERE account_id = ? AND region = ?",
            listed.columns, listed.table
        ),
    };
    params.extend([Value::from(&scope.account_id), Value::from(&scope.region)]);
    let (filters, filter_values) = record_filters(listed, query);
    sql.push_str(&filters);
    params.extend(filter_values);
    let (order, beyond, beyond_values) = keyset(query, query.after.as_ref());
    sql.push_str(&beyond);
    params.extend(beyond_values);
    sql.push_str(&order);
    sql.push_str(" LIMIT ?");
    params.push(Value::Int(query.limit as i64));
    db.query(&sql, &params)?
        .iter()
        .map(listed.from_row)
        .collect()
}

/// Where a NameContains walk reads the keys of the names it passes, in the list's order, keeping those
/// that contain the value: each a name key and a time (the sort column's, or the creation time when the
/// list is by name, whose position is the key alone).
enum KeySource<'a> {
    /// The postings of these grams: by creation time or by name only.
    Postings(&'a [String]),
    /// The listed table's index in the sort order, which holds the name key: a name is tested without
    /// reading its record.
    SortIndex,
}

/// One read of a key walk: the NameContains value, the key to continue after, and how many keys.
struct KeyRead<'a> {
    part: &'a str,
    after: Option<&'a Cursor>,
    limit: usize,
}

impl KeySource<'_> {
    /// The statement of `read`, and its parameters.
    fn next_keys<T>(
        &self,
        db: &dyn Db,
        listed: &ListedTable<T>,
        scope: &Scope,
        query: &ListQuery,
        read: &KeyRead,
    ) -> (String, Vec<Value>) {
        match self {
            KeySource::Postings(grams) => {
                listed
                    .name_grams
                    .in_list_order(scope, grams, query, read, db.limits_union_arms())
            }
            KeySource::SortIndex => {
                let time = match query.sort {
                    ListSort::LastModifiedTime => TimeColumn::Modified,
                    ListSort::CreationTime | ListSort::Name => TimeColumn::Created,
                };
                let (bounds, bound_values) = time.bounds(query);
                let (order, beyond, beyond_values) = keyset(query, read.after);
                let mut params = vec![Value::from(&scope.account_id), Value::from(&scope.region)];
                params.push(containing(read.part));
                params.extend(bound_values);
                params.extend(beyond_values);
                params.push(Value::Int(read.limit as i64));
                let sql = format!(
                    "SELECT name_key, {} FROM {} WHERE account_id = ? AND region = ? AND name_key LIKE ?{bounds}{beyond}{order} LIMIT ?",
                    time.column(),
                    listed.table
                );
                (sql, params)
            }
        }
    }
}

/// Walks the keys of `source` in the query's order, looking up the records of each batch, until the page
/// is full or the keys end. The first batch is the page's size; records whose own filters (deletion, time
/// bounds) leave them out make the next batch larger.
fn read_in_key_order<T>(
    db: &dyn Db,
    listed: &ListedTable<T>,
    scope: &Scope,
    query: &ListQuery,
    part: &str,
    source: KeySource,
) -> Result<Vec<T>, StoreError> {
    let mut page = Vec::with_capacity(query.limit);
    let mut after = query.after.clone();
    let mut batch = query.limit.max(1);
    while page.len() < query.limit {
        let read = KeyRead {
            part,
            after: after.as_ref(),
            limit: batch,
        };
        let (sql, params) = source.next_keys(db, listed, scope, query, &read);
        let keys = db.query(&sql, &params)?;
        let Some(last) = keys.last() else {
            break;
        };
        let ended = keys.len() < batch;
        after = Some(Cursor {
            sort: SortValue::Time(last.int(1)?),
            key: last.text(0)?,
        });
        let names = keys
            .iter()
            .map(|key| key.text(0))
            .collect::<Result<Vec<_>, _>>()?;
        let mut records = read_named(db, listed, scope, query, &names)?;
        let wanted = query.limit - page.len();
        page.extend(
            names
                .iter()
                // A name holding two grams of the set is listed twice; its record is taken once.
                .filter_map(|name_key| records.remove(name_key))
                .take(wanted),
        );
        if ended {
            break;
        }
        batch = (batch * 2).min(KEYS_READ_MAX);
    }
    Ok(page)
}

/// The records of `names` that pass the query's filters on their own columns, by name key.
fn read_named<T>(
    db: &dyn Db,
    listed: &ListedTable<T>,
    scope: &Scope,
    query: &ListQuery,
    names: &[String],
) -> Result<HashMap<String, T>, StoreError> {
    let (filters, filter_values) = record_filters(listed, query);
    // Each key is looked up from a list of values: with `name_key IN (...)` and a time bound, SQLite's
    // planner walked the time index instead. CROSS JOIN keeps the list outside, as in read_in_sort_order.
    let sql = format!(
        "SELECT {}, name_key FROM (VALUES {}) AS wanted CROSS JOIN {} WHERE account_id = ? AND region = ? AND name_key = wanted.column1{filters}",
        listed.columns,
        vec!["(?)"; names.len()].join(", "),
        listed.table,
    );
    let mut params: Vec<Value> = names.iter().map(Value::from).collect();
    params.extend([Value::from(&scope.account_id), Value::from(&scope.region)]);
    params.extend(filter_values);
    db.query(&sql, &params)?
        .iter()
        .map(|row| {
            // The key follows the record's own columns.
            let name_key = row.text(row.0.len().saturating_sub(1))?;
            Ok((name_key, (listed.from_row)(row)?))
        })
        .collect()
}

/// The conditions on a record's own columns: not a deletion ended by the query's time, and within its
/// time bounds.
fn record_filters<T>(listed: &ListedTable<T>, query: &ListQuery) -> (String, Vec<Value>) {
    let (mut sql, mut values) = TimeColumn::Created.bounds(query);
    let (modified, modified_values) = TimeColumn::Modified.bounds(query);
    sql.push_str(&modified);
    values.extend(modified_values);
    if listed.hide_finished_deletions {
        sql.push_str(" AND NOT (status = 'DELETING' AND due_ms <= ?)");
        values.push(Value::Int(query.now));
    }
    (sql, values)
}

#[derive(Clone, Copy)]
enum TimeColumn {
    Created,
    Modified,
}

impl TimeColumn {
    fn column(self) -> &'static str {
        match self {
            TimeColumn::Created => "created_ms",
            TimeColumn::Modified => "modified_ms",
        }
    }

    /// The query's bounds on this column (inclusive), and their values.
    fn bounds(self, query: &ListQuery) -> (String, Vec<Value>) {
        let (after, before) = match self {
            TimeColumn::Created => (query.created_after, query.created_before),
            TimeColumn::Modified => (query.modified_after, query.modified_before),
        };
        let mut sql = String::new();
        let mut values = Vec::new();
        for (bound, operator) in [(after, ">="), (before, "<=")] {
            if let Some(bound) = bound {
                sql.push_str(&format!(" AND {} {operator} ?", self.column()));
                values.push(Value::Int(bound));
            }
        }
        (sql, values)
    }
}

/// The query's ORDER BY clause, and the condition (with its values) that continues after `after`. The
/// columns are named alike in the listed tables and their name-gram tables.
fn keyset(query: &ListQuery, after: Option<&Cursor>) -> (String, String, Vec<Value>) {
    let (direction, beyond) = if query.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let sort_column = match query.sort {
        ListSort::CreationTime => "created_ms",
        ListSort::LastModifiedTime => "modified_ms",
        ListSort::Name => {
            let order = format!(" ORDER BY name_key {direction}");
            return match after {
                Some(cursor) => (
                    order,
                    format!(" AND name_key {beyond} ?"),
                    vec![Value::Text(cursor.key.clone())],
                ),
                None => (order, String::new(), Vec::new()),
            };
        }
    };
    let order = format!(" ORDER BY {sort_column} {direction}, name_key {direction}");
    match after {
        Some(cursor) => {
            let value = match &cursor.sort {
                SortValue::Time(t) => Value::Int(*t),
                SortValue::Text(s) => Value::Text(s.clone()),
            };
            (
                order,
                format!(" AND ({sort_column}, name_key) {beyond} (?, ?)"),
                vec![value, Value::Text(cursor.key.clone())],
            )
        }
        None => (order, String::new(), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::{name_grams, windows_of_value, NAME_KEY_CHARACTERS};

    #[test]
    fn name_grams_are_the_distinct_four_character_windows_of_the_ended_name() {
        assert_eq!(name_grams("abcabc"), ["abca", "abc~", "bcab", "cabc"]);
        assert_eq!(name_grams("aaaaa"), ["aaaa", "aaa~"]);
        assert_eq!(name_grams("abc"), ["abc~"]);
        assert_eq!(name_grams("ab"), Vec::<String>::new());
        assert_eq!(name_grams(""), Vec::<String>::new());
    }

    #[test]
    fn a_value_is_read_through_its_own_windows_or_the_windows_it_starts() {
        assert_eq!(
            windows_of_value("12345"),
            [vec!["1234".to_owned()], vec!["2345".to_owned()]]
        );
        let three = windows_of_value("a-1");
        assert_eq!(three.len(), 1);
        assert_eq!(three[0].len(), NAME_KEY_CHARACTERS.len() + 1);
        // Every window a name holding "a-1" can hold at that place: followed by a name character, or ending.
        for follower in ["a-1z", "a-19", "a-1.", "a-1-", "a-1~"] {
            assert!(three[0].iter().any(|gram| gram == follower), "{follower}");
        }
        assert!(windows_of_value("ab").is_empty());
    }
}

/// The migrations as CockroachDB runs them: no schema change may follow a write in one transaction.
#[cfg(test)]
mod migration_tests {
    use std::cell::RefCell;

    use super::super::db::{Db, Row, Value};
    use super::super::{postgres, sqlite, StoreError};
    use super::migrate_next;

    /// Records each statement a migration transaction runs, with `applied` as the recorded version.
    struct Recorder {
        applied: i64,
        statements: RefCell<Vec<String>>,
    }

    impl Db for Recorder {
        fn query(&self, sql: &str, _: &[Value]) -> Result<Vec<Row>, StoreError> {
            self.statements.borrow_mut().push(sql.to_owned());
            Ok(vec![Row(vec![Value::Int(self.applied)])])
        }

        fn execute(&self, sql: &str, _: &[Value]) -> Result<u64, StoreError> {
            self.statements.borrow_mut().push(sql.to_owned());
            Ok(1)
        }

        fn batch(&self, sql: &str) -> Result<(), StoreError> {
            let code: String = sql
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            let mut statements = self.statements.borrow_mut();
            statements.extend(
                code.split(';')
                    .map(str::trim)
                    .filter(|statement| !statement.is_empty())
                    .map(str::to_owned),
            );
            Ok(())
        }
    }

    fn starts_with_any(statement: &str, words: &[&str]) -> bool {
        let upper = statement.to_ascii_uppercase();
        words.iter().any(|word| upper.starts_with(word))
    }

    #[test]
    fn each_migration_changes_the_schema_before_it_writes_and_records_its_version_last() {
        for (engine, migrations) in [
            ("sqlite", sqlite::MIGRATIONS),
            ("postgres", postgres::MIGRATIONS),
        ] {
            for (index, (version, _)) in migrations.iter().enumerate() {
                let previous = index.checked_sub(1).map_or(0, |i| migrations[i].0);
                let recorder = Recorder {
                    applied: previous,
                    statements: RefCell::new(Vec::new()),
                };
                let applied = migrate_next(&recorder, migrations).expect("migrate");
                assert_eq!(applied, Some(*version), "{engine}");
                let statements = recorder.statements.into_inner();
                let first_write = statements
                    .iter()
                    .position(|s| starts_with_any(s, &["INSERT", "UPDATE", "DELETE"]))
                    .expect("the version row is written");
                let late_schema_change = statements[first_write..]
                    .iter()
                    .find(|s| starts_with_any(s, &["CREATE", "DROP", "ALTER"]));
                assert_eq!(
                    late_schema_change, None,
                    "{engine} migration {version} changes the schema after a write"
                );
                let last = statements.last().expect("statements");
                assert!(
                    last.starts_with("INSERT INTO schema_migrations"),
                    "{engine} migration {version} ends with {last}"
                );
            }
            let current = Recorder {
                applied: migrations.last().expect("migrations").0,
                statements: RefCell::new(Vec::new()),
            };
            assert_eq!(migrate_next(&current, migrations).expect("migrate"), None);
        }
    }
}
