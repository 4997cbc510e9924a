//! Images: the stored record and the rules of each change, as pure functions from the current record to
//! the write to make. The store runs them inside its transaction, so a decision and its write are atomic.

use super::error::{Busy, DomainError, Invalid, Missing};
use super::lifecycle::{Lifecycle, Observed, Status, Transition};
use super::selectors::DeletableProperty;
use super::tags::Tag;
use super::Millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    /// The name as created. Lookups and uniqueness use [`name_key`], so `MyImage` and `myimage` are one image.
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub role_arn: String,
    pub lifecycle: Lifecycle,
    pub failure_reason: Option<String>,
    pub created: Millis,
    pub modified: Millis,
    /// The highest version number ever given to this image: numbers are never reused.
    pub last_version: i64,
}

/// The key an image name is stored and compared under. Names are ASCII (model pattern), and AWS's ARNs
/// carry them lower-cased, so names that differ only in case would collide; they are one name.
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// What a change does to the stored image.
#[derive(Debug, Clone)]
pub enum ImageWrite {
    /// A new image. `replaces` is true when a finished deletion of the same name left its record behind;
    /// that record goes first, with its versions, aliases and tags. When false, the name was free when
    /// decided, and a racing create that took it since makes the insert fail (and the change run again).
    Create {
        record: ImageRecord,
        tags: Vec<Tag>,
        replaces: bool,
    },
    /// New values for an existing image.
    Update(ImageRecord),
    /// Remove the image with its versions, aliases and every tag of them.
    Remove,
}

impl ImageRecord {
    pub fn observe(&self, now: Millis) -> Observed {
        self.lifecycle.observe(now)
    }
}

pub fn not_found(name: &str) -> DomainError {
    Missing::Image {
        name: name.to_owned(),
    }
    .into()
}

fn busy(name: &str, status: Status) -> DomainError {
    Busy::Image {
        name: name.to_owned(),
        status,
    }
    .into()
}

/// The image as a reader sees it now, or ResourceNotFound.
pub fn present(
    current: Option<&ImageRecord>,
    name: &str,
    now: Millis,
) -> Result<Status, DomainError> {
    match current.map(|r| r.observe(now)) {
        Some(Observed::Present(status)) => Ok(status),
        Some(Observed::Gone) | None => Err(not_found(name)),
    }
}

pub struct NewImage {
    pub name: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub role_arn: String,
    pub tags: Vec<Tag>,
}

pub fn create(
    current: Option<&ImageRecord>,
    new: &NewImage,
    now: Millis,
    transition: &Transition,
) -> Result<ImageWrite, DomainError> {
    if current.is_some_and(|r| r.observe(now) != Observed::Gone) {
        return Err(Busy::ImageExists {
            name: new.name.clone(),
        }
        .into());
    }
    let record = ImageRecord {
        name: new.name.clone(),
        display_name: new.display_name.clone(),
        description: new.description.clone(),
        role_arn: new.role_arn.clone(),
        lifecycle: transition.begin(Status::Creating, now),
        failure_reason: transition.failure.clone(),
        created: now,
        modified: now,
        last_version: 0,
    };
    Ok(ImageWrite::Create {
        record,
        tags: new.tags.clone(),
        replaces: current.is_some(),
    })
}

#[derive(Debug, Clone, Default)]
pub struct ImagePatch {
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub delete: Vec<DeletableProperty>,
}

impl ImagePatch {
    /// Setting and deleting one property in the same request is contradictory: refuse it before anything
    /// is read or written.
    pub fn check(&self) -> Result<(), DomainError> {
        for &property in &self.delete {
            let set = match property {
                DeletableProperty::DisplayName => self.display_name.is_some(),
                DeletableProperty::Description => self.description.is_some(),
            };
            if set {
                return Err(Invalid::SetAndDeleted { property }.into());
            }
        }
        Ok(())
    }
}

pub fn update(
    current: Option<&ImageRecord>,
    name: &str,
    patch: &ImagePatch,
    now: Millis,
    transition: &Transition,
) -> Result<(ImageWrite, ImageRecord), DomainError> {
    let status = present(current, name, now)?;
    let Some(current) = current else {
        return Err(not_found(name));
    };
    if !matches!(status, Status::Created | Status::UpdateFailed) {
        return Err(busy(&current.name, status));
    }
    let mut record = current.clone();
    if let Some(v) = &patch.display_name {
        record.display_name = Some(v.clone());
    }
    if let Some(v) = &patch.description {
        record.description = Some(v.clone());
    }
    if let Some(v) = &patch.role_arn {
        record.role_arn = v.clone();
    }
    for property in &patch.delete {
        match property {
            DeletableProperty::DisplayName => record.display_name = None,
            DeletableProperty::Description => record.description = None,
        }
    }
    // A failed update keeps the values it set: SageMaker documents nothing else, and a retry sets them again.
    record.lifecycle = transition.begin(Status::Updating, now);
    record.failure_reason = transition.failure.clone();
    record.modified = now;
    Ok((ImageWrite::Update(record.clone()), record))
}

pub fn delete(
    current: Option<&ImageRecord>,
    name: &str,
    now: Millis,
    transition: &Transition,
) -> Result<ImageWrite, DomainError> {
    let status = present(current, name, now)?;
    let Some(current) = current else {
        return Err(not_found(name));
    };
    if status.is_transitional() {
        return Err(busy(&current.name, status));
    }
    if transition.is_instant() {
        return Ok(ImageWrite::Remove);
    }
    // A failed deletion leaves the image and its versions as they were, in DELETE_FAILED.
    let mut record = current.clone();
    record.lifecycle = transition.begin(Status::Deleting, now);
    record.failure_reason = transition.failure.clone();
    record.modified = now;
    Ok(ImageWrite::Update(record))
}

/// Ends a held transition of the image now (the control plane's release); anything else is kept as it is.
pub fn release(
    current: Option<&ImageRecord>,
    name: &str,
    now: Millis,
) -> Result<(ImageWrite, bool), DomainError> {
    let Some(current) = current else {
        return Err(not_found(name));
    };
    let mut record = current.clone();
    record.lifecycle = current.lifecycle.release(now);
    Ok((ImageWrite::Update(record), current.lifecycle.is_held()))
}

#[cfg(test)]
mod tests;
