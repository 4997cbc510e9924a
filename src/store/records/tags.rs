//! The `tags` table, keyed by the tagged resource's ARN.

use crate::domain::tags::Tag;
use crate::store::db::{Db, FromRow, Row, Value};
use crate::store::StoreError;

impl FromRow for Tag {
    fn from_row(row: &Row) -> Result<Self, StoreError> {
        Ok(Tag {
            key: row.text("tag_key")?,
            value: row.text("tag_value")?,
        })
    }
}

/// The resource's tags, in the order they were given.
pub fn read_tags(db: &dyn Db, arn: &str) -> Result<Vec<Tag>, StoreError> {
    db.query_as(
        "SELECT tag_key, tag_value FROM tags WHERE resource_arn = ? ORDER BY position",
        &[arn.into()],
    )
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
