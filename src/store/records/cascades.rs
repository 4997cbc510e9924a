//! What one change does across resources: an image removed (or replaced) takes its versions, their
//! aliases and every tag of them with it, and a change of tags reads the lifecycle of the resource they are
//! on. The one place where the records of several resources meet, so that each resource's own file
//! imports no other resource's: the [`Image`] and [`Tags`] resources live here.

use super::app_image_configs::read_app_image_config;
use super::images::{add_image, read_image, remove_image_row, update_image};
use super::tags::{read_tags, replace_tags};
use super::versions::{read_versions, remove_version};
use super::{Purpose, Resource};
use crate::domain::arn::{ResourceRef, TaggedResource};
use crate::domain::image::{ImageRecord, ImageWrite};
use crate::domain::lifecycle::{Lifecycle, Status};
use crate::domain::tags::Tag;
use crate::domain::Scope;
use crate::store::db::Db;
use crate::store::StoreError;

/// An image's record, by its name key.
pub struct Image(pub String);

impl Resource for Image {
    type Current = Option<ImageRecord>;
    type Write = ImageWrite;
    const ONE_STATEMENT: bool = true;

    fn read(
        &self,
        db: &dyn Db,
        scope: &Scope,
        purpose: Purpose,
    ) -> Result<Option<ImageRecord>, StoreError> {
        read_image(db, scope, &self.0, purpose)
    }

    fn apply(
        &self,
        db: &dyn Db,
        scope: &Scope,
        _current: &Option<ImageRecord>,
        write: &ImageWrite,
    ) -> Result<(), StoreError> {
        let name_key = self.0.as_str();
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

    fn outcome_key(&self) -> Option<&str> {
        Some(&self.0)
    }
}

/// Removes an image's record, versions, aliases and every tag of them.
fn remove_image(db: &dyn Db, scope: &Scope, name_key: &str) -> Result<(), StoreError> {
    for version in read_versions(db, scope, name_key)? {
        remove_version(db, scope, name_key, version.version)?;
    }
    remove_image_row(db, scope, name_key)
}

/// A resource's tags, in order, with the resource's lifecycle (`None` if it does not exist); a change
/// replaces them all.
pub struct Tags(pub TaggedResource);

impl Resource for Tags {
    type Current = (Option<Lifecycle>, Vec<Tag>);
    type Write = Vec<Tag>;

    /// A change reads the lifecycle for the row lock of the image or app image config, which orders it
    /// among the resource's other changes.
    fn read(
        &self,
        db: &dyn Db,
        scope: &Scope,
        purpose: Purpose,
    ) -> Result<(Option<Lifecycle>, Vec<Tag>), StoreError> {
        let lifecycle = resource_lifecycle(db, scope, &self.0, purpose)?;
        Ok((lifecycle, read_tags(db, &self.0.arn)?))
    }

    fn apply(
        &self,
        db: &dyn Db,
        _scope: &Scope,
        _current: &(Option<Lifecycle>, Vec<Tag>),
        tags: &Vec<Tag>,
    ) -> Result<(), StoreError> {
        replace_tags(db, &self.0.arn, tags)
    }
}

/// The lifecycle of the tagged resource, `None` if it does not exist.
fn resource_lifecycle(
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
