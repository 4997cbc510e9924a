//! The `tags` table, keyed by the tagged resource's ARN, and the lifecycle of a resource that tags are
//! read or changed on.

use super::app_image_configs::read_app_image_config;
use super::images::read_image;
use super::versions::read_versions;
use super::Purpose;
use crate::domain::arn::{ResourceRef, TaggedResource};
use crate::domain::lifecycle::{ImageStatus, Lifecycle};
use crate::domain::tags::Tag;
use crate::domain::Scope;
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

/// The lifecycle of the tagged resource, `None` if it does not exist. A change reads it for the row lock
/// of its image or app image config, which orders it among the resource's other changes.
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
