//! What a domain decision refuses, said in the domain's terms: which resource is missing or busy, which
//! rule a request breaks, which limit it passes, with the values that explain it. How each one is worded
//! for a client, and with which AWS code and status, is decided in one place outside the domain
//! (`protocol::error`), so that the rules here stay free of the wire.

use super::lifecycle::Status;
use super::selectors::{DeletableProperty, VersionSelector};

/// A refused decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("not found: {0}")]
    NotFound(#[from] Missing),
    #[error("in use: {0}")]
    InUse(#[from] Busy),
    #[error("invalid: {0}")]
    Invalid(#[from] Invalid),
    #[error("limit exceeded: {0}")]
    LimitExceeded(#[from] Limit),
}

/// The resource a request names does not exist (or its deletion has ended).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    #[error("image {name}")]
    Image { name: String },
    #[error("version {selector:?} of image {image}")]
    ImageVersion {
        image: String,
        selector: VersionSelector,
    },
    #[error("app image config {name}")]
    AppImageConfig { name: String },
}

/// The resource exists, but its name is taken or its state does not allow the change now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Busy {
    #[error("image {name} already exists")]
    ImageExists { name: String },
    #[error("image {name} is {status:?}")]
    Image { name: String, status: Status },
    #[error("image {name} is being deleted, with its versions")]
    ImageDeleting { name: String },
    /// A version is created only while its image is CREATED.
    #[error("image {name} is {status:?}, not CREATED, so it takes no new version")]
    ImageNotReadyForVersion { name: String, status: Status },
    #[error("version {version} of image {image} is {status:?} and cannot be updated")]
    VersionNotUpdatable {
        image: String,
        version: i64,
        status: Status,
    },
    #[error("version {version} of image {image} is {status:?} and cannot be deleted")]
    VersionNotDeletable {
        image: String,
        version: i64,
        status: Status,
    },
    #[error("app image config {name} already exists")]
    AppImageConfigExists { name: String },
}

/// The request breaks a rule of the domain (the model's own constraints were checked before).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("a version is named by Version or by Alias, not both")]
    VersionAndAlias,
    #[error("deleting a version needs its Version or Alias")]
    DeleteWithoutVersion,
    #[error("an alias is listed twice in one request")]
    RepeatedAlias,
    #[error("alias {alias} is both added and deleted")]
    AliasAddedAndDeleted { alias: String },
    #[error("alias {alias} already belongs to version {owner} of image {image}")]
    AliasTaken {
        alias: String,
        owner: i64,
        image: String,
    },
    #[error("ClientToken {token} made version {version} from another request")]
    ClientTokenReused { token: String, version: i64 },
    /// Only an initial state names its version numbers, and only numbers above every one given before.
    #[error("version {requested} of image {image} was given; the next is {next}")]
    VersionNumberTaken {
        requested: i64,
        image: String,
        next: i64,
    },
    /// A version cannot be created on an image whose last change failed.
    #[error("image {name} is {status:?}")]
    ImageFailed { name: String, status: Status },
    #[error("{property:?} is both set and deleted")]
    SetAndDeleted { property: DeletableProperty },
    #[error("tag key {key} has the reserved 'aws:' prefix")]
    ReservedTagKey { key: String },
    #[error("tag key {key} is given twice")]
    RepeatedTagKey { key: String },
    /// An ARN that names nothing this caller can see: malformed, of another scope, or gone.
    #[error("no resource {arn}")]
    UnknownResource { arn: String },
    /// A NextToken this service did not seal for this query.
    #[error("pagination token not issued for this query")]
    PageToken,
}

/// A request would take a resource past one of its limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Limit {
    /// `count` is how many tags the resource would have, past its limit of `max`.
    #[error("{count} tags, more than {max}")]
    Tags { count: usize, max: usize },
}
