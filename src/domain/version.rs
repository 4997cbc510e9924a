//! Image versions and their aliases. All versions of one image are decided on together, in one
//! transaction: numbering (1, 2, … never reused), alias uniqueness within the image, ClientToken
//! idempotency, and lifecycle. Versions use the CREATING/CREATED/DELETING part of the lifecycle.

use super::error::{Busy, DomainError, Invalid, Missing};
use super::image::{self, ImageRecord};
use super::lifecycle::{Lifecycle, Observed, Status, Transition};
use super::selectors::VersionSelector;
use super::Millis;

/// The metadata members of CreateImageVersion / UpdateImageVersion.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VersionMetadata {
    pub horovod: Option<bool>,
    pub job_type: Option<String>,
    pub ml_framework: Option<String>,
    pub processor: Option<String>,
    pub programming_lang: Option<String>,
    pub release_notes: Option<String>,
    pub vendor_guidance: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    pub version: i64,
    pub base_image: String,
    pub metadata: VersionMetadata,
    /// Sorted, unique within the image.
    pub aliases: Vec<String>,
    pub lifecycle: Lifecycle,
    pub failure_reason: Option<String>,
    pub client_token: String,
    /// Digest of the request that created the version, to tell a retry from a reuse of its token.
    pub request_digest: String,
    pub created: Millis,
    pub modified: Millis,
}

/// An image and every version it has, as the store reads them in one transaction.
#[derive(Debug, Clone)]
pub struct VersionSet {
    pub image: ImageRecord,
    pub versions: Vec<VersionRecord>,
}

/// What a change does to an image's versions. `last_version` is the image's version counter.
#[derive(Debug, Clone, Default)]
pub struct VersionWrite {
    pub last_version: Option<i64>,
    pub put: Vec<VersionRecord>,
    pub remove: Vec<i64>,
}

impl VersionSelector {
    pub fn from_request(version: Option<i64>, alias: Option<String>) -> Result<Self, DomainError> {
        match (version, alias) {
            (Some(_), Some(_)) => Err(Invalid::VersionAndAlias.into()),
            (Some(n), None) => Ok(VersionSelector::Number(n)),
            (None, Some(a)) => Ok(VersionSelector::Alias(a)),
            (None, None) => Ok(VersionSelector::Latest),
        }
    }
}

pub fn version_not_found(image_name: &str, selector: &VersionSelector) -> DomainError {
    Missing::ImageVersion {
        image: image_name.to_owned(),
        selector: selector.clone(),
    }
    .into()
}

impl VersionSet {
    /// The versions a reader sees now, with their observed status; versions whose deletion ended are left out.
    pub fn visible(&self, now: Millis) -> impl Iterator<Item = (&VersionRecord, Status)> {
        self.versions
            .iter()
            .filter_map(move |v| match v.lifecycle.observe(now) {
                Observed::Present(status) => Some((v, status)),
                Observed::Gone => None,
            })
    }

    pub fn select(
        &self,
        selector: &VersionSelector,
        now: Millis,
    ) -> Result<(&VersionRecord, Status), DomainError> {
        let found = match selector {
            VersionSelector::Number(n) => self.visible(now).find(|(v, _)| v.version == *n),
            VersionSelector::Alias(a) => self.visible(now).find(|(v, _)| v.aliases.contains(a)),
            VersionSelector::Latest => self.visible(now).max_by_key(|(v, _)| v.version),
        };
        found.ok_or_else(|| version_not_found(&self.image.name, selector))
    }

    /// Versions whose deletion has ended: removed from the store by whichever change comes next.
    fn finished_deletions(&self, now: Millis) -> Vec<i64> {
        self.versions
            .iter()
            .filter(|v| v.lifecycle.observe(now) == Observed::Gone)
            .map(|v| v.version)
            .collect()
    }

    /// The version (other than `except`) that already carries `alias`.
    fn alias_owner(&self, alias: &str, except: Option<i64>, now: Millis) -> Option<i64> {
        self.visible(now)
            .find(|(v, _)| Some(v.version) != except && v.aliases.iter().any(|a| a == alias))
            .map(|(v, _)| v.version)
    }
}

/// The image of a version change must exist.
fn require_image(current: Option<&VersionSet>, name: &str, now: Millis) -> Result<(), DomainError> {
    image::present(current.map(|set| &set.image), name, now).map(|_| ())
}

/// A version of an image that is being deleted goes with it: it can no longer be changed.
fn refuse_if_image_deleting(set: &VersionSet, now: Millis) -> Result<(), DomainError> {
    if set.image.observe(now) == Observed::Present(Status::Deleting) {
        return Err(Busy::ImageDeleting {
            name: set.image.name.clone(),
        }
        .into());
    }
    Ok(())
}

fn check_aliases_unique(aliases: &[String]) -> Result<Vec<String>, DomainError> {
    let mut sorted = aliases.to_vec();
    sorted.sort();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(Invalid::RepeatedAlias.into());
    }
    Ok(sorted)
}

pub struct NewVersion {
    pub image_name: String,
    pub base_image: String,
    pub metadata: VersionMetadata,
    pub aliases: Vec<String>,
    pub client_token: String,
    pub request_digest: String,
    /// The number to give the version (an initial state's); `None` takes the next.
    pub number: Option<i64>,
}

/// CreateImageVersion: a retry with a known ClientToken returns the version it made; otherwise the next
/// number is taken. Returns the version number to answer with.
pub fn create(
    current: Option<&VersionSet>,
    new: &NewVersion,
    now: Millis,
    transition: &Transition,
) -> Result<(VersionWrite, i64), DomainError> {
    require_image(current, &new.image_name, now)?;
    let Some(set) = current else {
        return Err(image::not_found(&new.image_name));
    };
    if let Some((existing, _)) = set
        .visible(now)
        .find(|(v, _)| v.client_token == new.client_token)
    {
        if existing.request_digest == new.request_digest {
            return Ok((VersionWrite::default(), existing.version));
        }
        return Err(Invalid::ClientTokenReused {
            token: new.client_token.clone(),
            version: existing.version,
        }
        .into());
    }
    match set.image.observe(now) {
        Observed::Present(Status::Created) => {}
        Observed::Present(status) if status.is_transitional() => {
            return Err(Busy::ImageNotReadyForVersion {
                name: set.image.name.clone(),
                status,
            }
            .into())
        }
        Observed::Present(status) => {
            return Err(Invalid::ImageFailed {
                name: set.image.name.clone(),
                status,
            }
            .into())
        }
        // `require_image` refused an image whose deletion has ended.
        Observed::Gone => return Err(image::not_found(&new.image_name)),
    }
    let aliases = check_aliases_unique(&new.aliases)?;
    for alias in &aliases {
        if let Some(owner) = set.alias_owner(alias, None, now) {
            return Err(Invalid::AliasTaken {
                alias: alias.clone(),
                owner,
                image: set.image.name.clone(),
            }
            .into());
        }
    }
    let version = match new.number {
        None => set.image.last_version + 1,
        Some(n) if n > set.image.last_version => n,
        Some(n) => {
            return Err(Invalid::VersionNumberTaken {
                requested: n,
                image: set.image.name.clone(),
                next: set.image.last_version + 1,
            }
            .into())
        }
    };
    let record = VersionRecord {
        version,
        base_image: new.base_image.clone(),
        metadata: new.metadata.clone(),
        aliases,
        lifecycle: transition.begin(Status::Creating, now),
        failure_reason: transition.failure.clone(),
        client_token: new.client_token.clone(),
        request_digest: new.request_digest.clone(),
        created: now,
        modified: now,
    };
    let write = VersionWrite {
        last_version: Some(version),
        put: vec![record],
        remove: set.finished_deletions(now),
    };
    Ok((write, version))
}

/// The UpdateImageVersion members besides the version's address.
#[derive(Debug, Clone, Default)]
pub struct VersionPatch {
    pub aliases_to_add: Vec<String>,
    pub aliases_to_delete: Vec<String>,
    pub metadata: VersionMetadata,
}

pub fn update(
    current: Option<&VersionSet>,
    image_name: &str,
    selector: &VersionSelector,
    patch: &VersionPatch,
    now: Millis,
) -> Result<(VersionWrite, i64), DomainError> {
    require_image(current, image_name, now)?;
    let Some(set) = current else {
        return Err(image::not_found(image_name));
    };
    refuse_if_image_deleting(set, now)?;
    let (version, status) = set.select(selector, now)?;
    if status.is_transitional() {
        return Err(Busy::VersionNotUpdatable {
            image: set.image.name.clone(),
            version: version.version,
            status,
        }
        .into());
    }
    let add = check_aliases_unique(&patch.aliases_to_add)?;
    let delete = check_aliases_unique(&patch.aliases_to_delete)?;
    if let Some(both) = add.iter().find(|a| delete.contains(a)) {
        return Err(Invalid::AliasAddedAndDeleted {
            alias: both.clone(),
        }
        .into());
    }
    for alias in &add {
        if let Some(owner) = set.alias_owner(alias, Some(version.version), now) {
            return Err(Invalid::AliasTaken {
                alias: alias.clone(),
                owner,
                image: set.image.name.clone(),
            }
            .into());
        }
    }
    let mut record = version.clone();
    record.aliases.retain(|a| !delete.contains(a));
    for alias in add {
        if !record.aliases.contains(&alias) {
            record.aliases.push(alias);
        }
    }
    record.aliases.sort();
    let m = &patch.metadata;
    let target = &mut record.metadata;
    macro_rules! set_if_given {
        ($($field:ident),*) => { $( if m.$field.is_some() { target.$field = m.$field.clone(); } )* };
    }
    set_if_given!(
        horovod,
        job_type,
        ml_framework,
        processor,
        programming_lang,
        release_notes,
        vendor_guidance
    );
    record.modified = now;
    let number = record.version;
    Ok((
        VersionWrite {
            last_version: None,
            put: vec![record],
            remove: set.finished_deletions(now),
        },
        number,
    ))
}

pub fn delete(
    current: Option<&VersionSet>,
    image_name: &str,
    selector: &VersionSelector,
    now: Millis,
    transition: &Transition,
) -> Result<VersionWrite, DomainError> {
    require_image(current, image_name, now)?;
    let Some(set) = current else {
        return Err(image::not_found(image_name));
    };
    if *selector == VersionSelector::Latest {
        return Err(Invalid::DeleteWithoutVersion.into());
    }
    refuse_if_image_deleting(set, now)?;
    let (version, status) = set.select(selector, now)?;
    if status.is_transitional() {
        return Err(Busy::VersionNotDeletable {
            image: set.image.name.clone(),
            version: version.version,
            status,
        }
        .into());
    }
    let mut remove = set.finished_deletions(now);
    let mut put = Vec::new();
    if transition.is_instant() {
        remove.push(version.version);
    } else {
        let mut record = version.clone();
        record.lifecycle = transition.begin(Status::Deleting, now);
        record.failure_reason = transition.failure.clone();
        record.modified = now;
        put.push(record);
    }
    Ok(VersionWrite {
        last_version: None,
        put,
        remove,
    })
}

/// Ends the held transitions of an image's versions now (the control plane's release). Returns how many
/// were held.
pub fn release(
    current: Option<&VersionSet>,
    image_name: &str,
    now: Millis,
) -> Result<(VersionWrite, usize), DomainError> {
    let Some(set) = current else {
        return Err(image::not_found(image_name));
    };
    let put: Vec<VersionRecord> = set
        .versions
        .iter()
        .filter(|v| v.lifecycle.is_held())
        .map(|v| VersionRecord {
            lifecycle: v.lifecycle.release(now),
            ..v.clone()
        })
        .collect();
    let released = put.len();
    Ok((
        VersionWrite {
            last_version: None,
            put,
            remove: Vec::new(),
        },
        released,
    ))
}

#[cfg(test)]
mod tests;
