//! The `image_versions` and `image_version_aliases` tables: an image's versions, read and written all
//! together, as the domain decides on them (`domain::version`).

use super::images::{read_image, update_image};
use super::tags::replace_tags;
use super::{parse_status, scoped, Purpose, Resource};
use crate::domain::arn::image_version_arn;
use crate::domain::lifecycle::Lifecycle;
use crate::domain::version::{VersionMetadata, VersionRecord, VersionSet, VersionWrite};
use crate::domain::Scope;
use crate::store::db::{Db, FromRow, Row, Value};
use crate::store::StoreError;

/// A version as its row holds it; its aliases are rows of their own, added by [`read_versions`].
impl FromRow for VersionRecord {
    fn from_row(row: &Row) -> Result<Self, StoreError> {
        let version = row.int("version")?;
        let base_image = row.text("base_image")?;
        let metadata: VersionMetadata = serde_json::from_str(&row.text("metadata")?)
            .map_err(|e| StoreError::Corrupt(format!("version metadata: {e}")))?;
        let status = parse_status(&row.text("status")?)?;
        let due = row.opt_int("due_ms")?;
        let failure_reason = row.opt_text("failure_reason")?;
        Ok(VersionRecord {
            version,
            base_image,
            metadata,
            aliases: Vec::new(),
            lifecycle: Lifecycle::stored(status, due, failure_reason.as_deref()),
            failure_reason,
            client_token: row.text("client_token")?,
            request_digest: row.text("request_digest")?,
            created: row.int("created_ms")?,
            modified: row.int("modified_ms")?,
        })
    }
}

/// An image with all its versions and their aliases, by the image's name key: a change of versions takes
/// the image's row lock.
pub struct ImageVersions(pub String);

impl Resource for ImageVersions {
    type Current = Option<VersionSet>;
    type Write = VersionWrite;

    fn read(
        &self,
        db: &dyn Db,
        scope: &Scope,
        purpose: Purpose,
    ) -> Result<Option<VersionSet>, StoreError> {
        let Some(image) = read_image(db, scope, &self.0, purpose)? else {
            return Ok(None);
        };
        Ok(Some(VersionSet {
            image,
            versions: read_versions(db, scope, &self.0)?,
        }))
    }

    fn apply(
        &self,
        db: &dyn Db,
        scope: &Scope,
        current: &Option<VersionSet>,
        write: &VersionWrite,
    ) -> Result<(), StoreError> {
        let Some(set) = current else {
            return Ok(());
        };
        let image_key = self.0.as_str();
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

    fn outcome_key(&self) -> Option<&str> {
        Some(&self.0)
    }
}

/// Every version of the image, in version order, each with its aliases in alphabetical order.
pub fn read_versions(
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
        .map(|row| Ok((row.int("version")?, row.text("alias")?)))
        .collect::<Result<_, StoreError>>()?;
    let mut versions: Vec<VersionRecord> = db.query_as(
        "SELECT version, base_image, metadata, status, due_ms, failure_reason, client_token, request_digest,
                created_ms, modified_ms
         FROM image_versions WHERE account_id = ? AND region = ? AND image_key = ? ORDER BY version",
        &key,
    )?;
    for version in &mut versions {
        version.aliases = aliases
            .iter()
            .filter(|(numbered, _)| *numbered == version.version)
            .map(|(_, alias)| alias.clone())
            .collect();
    }
    Ok(versions)
}

fn version_key(scope: &Scope, image_key: &str, version: i64) -> Vec<Value> {
    let mut key = scoped(scope, image_key);
    key.push(Value::Int(version));
    key
}

/// Removes one version with its aliases and tags.
pub(super) fn remove_version(
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
