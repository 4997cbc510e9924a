//! The `images` table: an image's record, its name in the name-gram index, and its own tags. What a change
//! of an image does to its versions is the cascade's (`cascades.rs`).

use std::marker::PhantomData;

use super::listing::ListedTable;
use super::name_index::{name_gram_table, NameGramTable};
use super::tags::replace_tags;
use super::{one_row_updated, parse_status, scoped, Purpose};
use crate::domain::arn::image_arn;
use crate::domain::image::ImageRecord;
use crate::domain::lifecycle::Lifecycle;
use crate::domain::tags::Tag;
use crate::domain::Scope;
use crate::store::db::{Db, FromRow, Row, Value};
use crate::store::StoreError;

/// The columns of an [`ImageRecord`]. A macro, so that the hot statements below are `concat!`ed at compile
/// time rather than formatted per call.
macro_rules! image_columns {
    () => {
        "name, display_name, description, role_arn, status, due_ms, failure_reason, created_ms, modified_ms, last_version"
    };
}
pub const IMAGE_COLUMNS: &str = image_columns!();

/// Reads the columns in the order `IMAGE_COLUMNS` lists them, which is where a row finds each first.
impl FromRow for ImageRecord {
    fn from_row(row: &Row) -> Result<Self, StoreError> {
        let name = row.text("name")?;
        let display_name = row.opt_text("display_name")?;
        let description = row.opt_text("description")?;
        let role_arn = row.text("role_arn")?;
        let status = parse_status(&row.text("status")?)?;
        let due = row.opt_int("due_ms")?;
        let failure_reason = row.opt_text("failure_reason")?;
        Ok(ImageRecord {
            name,
            display_name,
            description,
            role_arn,
            lifecycle: Lifecycle::stored(status, due, failure_reason.as_deref()),
            failure_reason,
            created: row.int("created_ms")?,
            modified: row.int("modified_ms")?,
            last_version: row.int("last_version")?,
        })
    }
}

const IMAGE_NAME_GRAMS: NameGramTable = name_gram_table!("image_name_postings");

/// ListImages pages through the images, leaving out those whose deletion has ended.
pub const IMAGES: ListedTable<ImageRecord> = ListedTable {
    table: "images",
    columns: IMAGE_COLUMNS,
    hide_finished_deletions: true,
    name_grams: &IMAGE_NAME_GRAMS,
    record: PhantomData,
};

macro_rules! image_by_key {
    () => {
        concat!(
            "SELECT ",
            image_columns!(),
            " FROM images WHERE account_id = ? AND region = ? AND name_key = ?"
        )
    };
}

pub(super) fn read_image(
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
    db.query_opt_as(sql, &scoped(scope, name_key))
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
pub(super) fn update_image(
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

/// Adds a new image: its row, its name in the name-gram index, its tags.
pub(super) fn add_image(
    db: &dyn Db,
    scope: &Scope,
    name_key: &str,
    record: &ImageRecord,
    tags: &[Tag],
) -> Result<(), StoreError> {
    insert_image(db, scope, name_key, record)?;
    IMAGE_NAME_GRAMS.add_name(db, scope, name_key, record.created)?;
    replace_tags(db, &image_arn(scope, name_key), tags)
}

/// Removes an image's row, its name from the name-gram index and its tags; its versions are removed first,
/// by the cascade (`cascades.rs`).
pub(super) fn remove_image_row(
    db: &dyn Db,
    scope: &Scope,
    name_key: &str,
) -> Result<(), StoreError> {
    db.execute(
        "DELETE FROM images WHERE account_id = ? AND region = ? AND name_key = ?",
        &scoped(scope, name_key),
    )?;
    IMAGE_NAME_GRAMS.remove_name(db, scope, name_key)?;
    replace_tags(db, &image_arn(scope, name_key), &[])
}
