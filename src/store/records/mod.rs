//! Reading and writing the records of every resource, once for both engines, over the [`Db`] trait.
//! SQL here is the common subset of SQLite and PostgreSQL (and of PostgreSQL-wire distributed databases):
//! `?` placeholders, `INSERT ... ON CONFLICT ... DO UPDATE`, row-value comparisons, `LIKE`. Rows are read
//! by column name ([`super::db::FromRow`]).
//!
//! One file per resource holds all of that resource's SQL: `images.rs`, `versions.rs` (versions and their
//! aliases), `app_image_configs.rs`, `tags.rs`; none imports another's but `versions.rs`, which reads and writes the
//! image its versions belong to. `cascades.rs` is where resources meet: removing an image with its
//! versions, and the lifecycle of a tagged resource. Beside them: `listing.rs`, how a page of a listed table is
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

pub use app_image_configs::{
    apply_app_image_config_write, read_app_image_config, APP_IMAGE_CONFIGS,
    APP_IMAGE_CONFIG_COLUMNS,
};
pub use cascades::{apply_image_write, resource_lifecycle};
pub use images::{read_image, IMAGES, IMAGE_COLUMNS};
pub use listing::read_page;
pub use migrations::migrate_next;
pub use name_index::name_grams;
pub use tags::{read_tags, replace_tags};
pub use token_secret::token_secret;
pub use versions::{apply_version_write, read_version_set, read_versions};

use super::db::Value;
use super::StoreError;
use crate::domain::lifecycle::Status;
use crate::domain::Scope;

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
