//! Reading and writing the records of every resource, once for both engines, over the [`Db`] trait.
//! SQL here is the common subset of SQLite and PostgreSQL (and of PostgreSQL-wire distributed databases):
//! `?` placeholders, `INSERT ... ON CONFLICT ... DO UPDATE`, row-value comparisons, `LIKE`. Rows are read
//! by column name ([`super::db::FromRow`]).
//!
//! A change is one [`Resource`]: how the current state a decision rests on is read, and how the write the
//! decision returns is applied. The store runs every change the same way (`Store::change`), so storing a new
//! operation's change touches the file of its resource only.
//!
//! One file per resource holds all of that resource's SQL: `images.rs`, `versions.rs` (versions and their
//! aliases, the [`ImageVersions`] resource), `app_image_configs.rs` (the [`AppImageConfig`] resource),
//! `tags.rs`; none imports another's but `versions.rs`, which reads and writes the image its versions belong
//! to. `cascades.rs` is where resources meet: the [`Image`] resource (removing an image takes its versions)
//! and the [`Tags`] resource (a change of tags reads the lifecycle of the resource they are on). Beside them: `listing.rs`, how a page of a listed table is
//! read (the plan for a NameContains value, the walk of keys); `name_index.rs`, the name-gram postings that
//! NameContains reads; `keyset.rs`, the ORDER BY and continuation of a page; `migrations.rs` and
//! `token_secret.rs`, what runs at start.

mod app_image_configs;
mod cascades;
mod images;
mod keyset;
mod listing;
mod migrations;
mod name_index;
mod tags;
mod token_secret;
mod versions;

pub use app_image_configs::{AppImageConfig, APP_IMAGE_CONFIGS, APP_IMAGE_CONFIG_COLUMNS};
pub use cascades::{Image, Tags};
pub use images::{IMAGES, IMAGE_COLUMNS};
pub use listing::read_page;
pub use migrations::migrate_next;
pub use name_index::name_grams;
pub use tags::read_tags;
pub use token_secret::token_secret;
pub use versions::{read_versions, ImageVersions};

use super::db::{Db, Value};
use super::StoreError;
use crate::domain::lifecycle::Status;
use crate::domain::Scope;

/// One resource as a change and a read see it.
pub trait Resource: Send + Sync + 'static {
    /// What a decision rests on: the resource's records as stored (`None` where it does not exist).
    type Current: Send + 'static;
    /// What a decision asks to write.
    type Write: Send + 'static;
    /// Whether [`Resource::read`] issues exactly one statement, which an engine may run without a
    /// transaction around it.
    const ONE_STATEMENT: bool = false;

    fn read(
        &self,
        db: &dyn Db,
        scope: &Scope,
        purpose: Purpose,
    ) -> Result<Self::Current, StoreError>;

    /// Applies `write`, decided on `current`, in the transaction that read it.
    fn apply(
        &self,
        db: &dyn Db,
        scope: &Scope,
        current: &Self::Current,
        write: &Self::Write,
    ) -> Result<(), StoreError>;

    /// The key of the image whose forced outcomes apply to a change of this resource, if any apply.
    fn outcome_key(&self) -> Option<&str> {
        None
    }
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

/// The leading key of every scoped table: account, region, and the resource's own key.
fn scoped(scope: &Scope, key: &str) -> Vec<Value> {
    vec![
        (&scope.account_id).into(),
        (&scope.region).into(),
        key.into(),
    ]
}

fn parse_status(text: &str) -> Result<Status, StoreError> {
    Status::parse(text).ok_or_else(|| StoreError::Corrupt(format!("unknown status '{text}'")))
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
