//! The `app_image_configs` table: an app image config's record (its kernel and file system settings as
//! one JSON document), and its name in the name-gram index.

use std::marker::PhantomData;

use super::listing::ListedTable;
use super::name_index::{name_gram_table, NameGramTable};
use super::tags::replace_tags;
use super::{one_row_updated, scoped, Purpose, Resource};
use crate::domain::app_image_config::{AppConfigs, AppImageConfigRecord, AppImageConfigWrite};
use crate::domain::arn::app_image_config_arn;
use crate::domain::Scope;
use crate::store::db::{Db, FromRow, Row, Value};
use crate::store::StoreError;

macro_rules! app_image_config_columns {
    () => {
        "name, configs, created_ms, modified_ms"
    };
}
pub const APP_IMAGE_CONFIG_COLUMNS: &str = app_image_config_columns!();

impl FromRow for AppImageConfigRecord {
    fn from_row(row: &Row) -> Result<Self, StoreError> {
        let name = row.text("name")?;
        let configs: AppConfigs = serde_json::from_str(&row.text("configs")?)
            .map_err(|e| StoreError::Corrupt(format!("app image config: {e}")))?;
        Ok(AppImageConfigRecord {
            name,
            configs,
            created: row.int("created_ms")?,
            modified: row.int("modified_ms")?,
        })
    }
}

const APP_IMAGE_CONFIG_NAME_GRAMS: NameGramTable =
    name_gram_table!("app_image_config_name_postings");

/// ListAppImageConfigs pages through the configs; a deletion is immediate, so none is left out.
pub const APP_IMAGE_CONFIGS: ListedTable<AppImageConfigRecord> = ListedTable {
    table: "app_image_configs",
    columns: APP_IMAGE_CONFIG_COLUMNS,
    hide_finished_deletions: false,
    name_grams: &APP_IMAGE_CONFIG_NAME_GRAMS,
    record: PhantomData,
};

pub(super) fn read_app_image_config(
    db: &dyn Db,
    scope: &Scope,
    name_key: &str,
    purpose: Purpose,
) -> Result<Option<AppImageConfigRecord>, StoreError> {
    let sql = format!(
        "SELECT {APP_IMAGE_CONFIG_COLUMNS} FROM app_image_configs WHERE account_id = ? AND region = ? AND name_key = ?{}",
        if purpose == Purpose::Change && db.locks_rows() { " FOR UPDATE" } else { "" }
    );
    db.query_opt_as(&sql, &scoped(scope, name_key))
}

/// An app image config's record, by its name key.
pub struct AppImageConfig(pub String);

impl Resource for AppImageConfig {
    type Current = Option<AppImageConfigRecord>;
    type Write = AppImageConfigWrite;
    const ONE_STATEMENT: bool = true;

    fn read(
        &self,
        db: &dyn Db,
        scope: &Scope,
        purpose: Purpose,
    ) -> Result<Option<AppImageConfigRecord>, StoreError> {
        read_app_image_config(db, scope, &self.0, purpose)
    }

    fn apply(
        &self,
        db: &dyn Db,
        scope: &Scope,
        _current: &Option<AppImageConfigRecord>,
        write: &AppImageConfigWrite,
    ) -> Result<(), StoreError> {
        let name_key = self.0.as_str();
        let arn = app_image_config_arn(scope, name_key);
        let (record, tags) = match write {
            AppImageConfigWrite::Remove => {
                db.execute(
                    "DELETE FROM app_image_configs WHERE account_id = ? AND region = ? AND name_key = ?",
                    &scoped(scope, name_key),
                )?;
                APP_IMAGE_CONFIG_NAME_GRAMS.remove_name(db, scope, name_key)?;
                return replace_tags(db, &arn, &[]);
            }
            AppImageConfigWrite::Create { record, tags } => (record, Some(tags)),
            AppImageConfigWrite::Update(record) => (record, None),
        };
        let configs = serde_json::to_string(&record.configs)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        match tags {
            // A create was decided on the config being absent: a racing create's row makes this insert fail
            // on the primary key, and the engine retries the change, which then sees that row.
            Some(tags) => {
                let mut params = scoped(scope, name_key);
                params.extend([
                    (&record.name).into(),
                    Value::Text(configs),
                    record.created.into(),
                    record.modified.into(),
                ]);
                db.execute(
                    concat!(
                        "INSERT INTO app_image_configs (account_id, region, name_key, ",
                        app_image_config_columns!(),
                        ") VALUES (?, ?, ?, ?, ?, ?, ?)"
                    ),
                    &params,
                )?;
                APP_IMAGE_CONFIG_NAME_GRAMS.add_name(db, scope, name_key, record.created)?;
                replace_tags(db, &arn, tags)
            }
            None => {
                let mut params = vec![Value::Text(configs), record.modified.into()];
                params.extend(scoped(scope, name_key));
                let changed = db.execute(
                    "UPDATE app_image_configs SET configs = ?, modified_ms = ?
                     WHERE account_id = ? AND region = ? AND name_key = ?",
                    &params,
                )?;
                one_row_updated(changed, "app image config", name_key)
            }
        }
    }
}
