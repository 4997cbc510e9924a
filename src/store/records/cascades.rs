//! What one change does across resources: an image removed (or replaced) takes its versions, their
//! aliases and every tag of them with it, and a change of tags reads the lifecycle of the resource they are
//! on. The one place where the records of several resources meet, so that each resource's own file
//! imports no other resource's.

use super::app_image_configs::read_app_image_config;
use super::images::{add_image, read_image, remove_image_row, update_image};
use super::versions::{read_versions, remove_version};
use super::Purpose;
use crate::domain::arn::{ResourceRef, TaggedResource};
use crate::domain::image::ImageWrite;
use crate::domain::lifecycle::{Lifecycle, Status};
use crate::domain::Scope;
use crate::store::db::Db;
use crate::store::StoreError;

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
            add_image(db, scope, name_key, record, tags)
        }
        ImageWrite::Update(record) => update_image(db, scope, name_key, record),
        ImageWrite::Remove => remove_image(db, scope, name_key),
    }
}

/// Removes an image's record, versions, aliases and every tag of them.
fn remove_image(db: &dyn Db, scope: &Scope, name_key: &str) -> Result<(), StoreError> {
    for version in read_versions(db, scope, name_key)? {
        remove_version(db, scope, name_key, version.version)?;
    }
    remove_image_row(db, scope, name_key)
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
            if image.lifecycle.status == Status::Deleting {
                return Ok(Some(image.lifecycle));
            }
            let found = read_versions(db, scope, image_key)?
                .into_iter()
                .find(|v| v.version == *version);
            Ok(found.map(|v| v.lifecycle))
        }
        ResourceRef::AppImageConfig(name_key) => {
            Ok(read_app_image_config(db, scope, name_key, purpose)?
                .map(|_| Lifecycle::settled(Status::Created)))
        }
    }
}
