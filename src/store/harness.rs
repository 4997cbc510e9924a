//! The store's part of the harness that tests and operators drive through the control plane (`crate::control`):
//! forced outcomes (rules a test set for the next calls of an operation), reset, every scope's contents,
//! and the readiness ping. The API never reaches this file
//! except through the forced-outcome lookup of a change.

use super::db::{Db, FromRow, Row, Value};
use super::records;
use super::StoreError;
use crate::domain::app_image_config::AppImageConfigRecord;
use crate::domain::arn::{app_image_config_arn, image_arn, image_version_arn};
use crate::domain::image::name_key;
use crate::domain::image::ImageRecord;
use crate::domain::lifecycle::ForcedOutcome;
use crate::domain::tags::Tag;
use crate::domain::version::VersionSet;
use crate::domain::Scope;
use crate::model::OperationName;

/// Stands for "any" in a rule's account, region or image.
const ANY: &str = "*";

/// A rule: the next `remaining` successful calls of `operation` matching it end as `outcome`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRule {
    pub id: String,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub operation: OperationName,
    /// The image's name as given (matched without regard to case); `None` for any image.
    pub image_name: Option<String>,
    pub remaining: i64,
    pub outcome: ForcedOutcome,
}

/// Narrows a reset to one account, one region, or both; neither is everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetScope {
    pub account_id: Option<String>,
    pub region: Option<String>,
}

/// One image as stored, with its versions and every tag of them (`version_tags` follows `set.versions`).
#[derive(Debug, Clone)]
pub struct StoredImage {
    pub set: VersionSet,
    pub tags: Vec<Tag>,
    pub version_tags: Vec<Vec<Tag>>,
}

/// Everything one account and region hold.
#[derive(Debug, Clone)]
pub struct ScopeContents {
    pub scope: Scope,
    pub images: Vec<StoredImage>,
    pub app_image_configs: Vec<(AppImageConfigRecord, Vec<Tag>)>,
}

fn or_any(value: &Option<String>) -> Value {
    value.as_deref().unwrap_or(ANY).into()
}

fn from_any(text: String) -> Option<String> {
    (text != ANY).then_some(text)
}

pub fn add_outcome_rule(db: &dyn Db, rule: &OutcomeRule) -> Result<(), StoreError> {
    let (action, reason) = match &rule.outcome {
        ForcedOutcome::Fail(reason) => ("fail", Some(reason.as_str())),
        ForcedOutcome::Hold => ("hold", None),
    };
    db.execute(
        "INSERT INTO forced_outcomes (rule_id, created_ms, account_id, region, operation, image_key, remaining,
             action, failure_reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            (&rule.id).into(),
            crate::domain::now_millis().into(),
            or_any(&rule.account_id),
            or_any(&rule.region),
            rule.operation.as_str().into(),
            or_any(&rule.image_name.as_deref().map(name_key)),
            rule.remaining.into(),
            action.into(),
            reason.into(),
        ],
    )?;
    Ok(())
}

const RULE_COLUMNS: &str =
    "rule_id, account_id, region, operation, image_key, remaining, action, failure_reason";

impl FromRow for OutcomeRule {
    fn from_row(row: &Row) -> Result<Self, StoreError> {
        let outcome = match row.text("action")?.as_str() {
            "hold" => ForcedOutcome::Hold,
            _ => ForcedOutcome::Fail(row.opt_text("failure_reason")?.unwrap_or_default()),
        };
        Ok(OutcomeRule {
            id: row.text("rule_id")?,
            account_id: from_any(row.text("account_id")?),
            region: from_any(row.text("region")?),
            operation: parse_operation(&row.text("operation")?)?,
            image_name: from_any(row.text("image_key")?),
            remaining: row.int("remaining")?,
            outcome,
        })
    }
}

/// A rule's operation is stored as its name.
fn parse_operation(text: &str) -> Result<OperationName, StoreError> {
    OperationName::from_name(text)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown operation '{text}'")))
}

pub fn outcome_rules(db: &dyn Db) -> Result<Vec<OutcomeRule>, StoreError> {
    db.query_as(
        &format!("SELECT {RULE_COLUMNS} FROM forced_outcomes ORDER BY created_ms, rule_id"),
        &[],
    )
}

pub fn clear_outcome_rules(db: &dyn Db) -> Result<(), StoreError> {
    db.execute("DELETE FROM forced_outcomes", &[])?;
    Ok(())
}

/// The oldest rule for this call, if any; locked, where changes run concurrently, so that two calls do not
/// both take its last use.
pub fn matching_outcome_rule(
    db: &dyn Db,
    scope: &Scope,
    operation: OperationName,
    image_key: &str,
) -> Result<Option<OutcomeRule>, StoreError> {
    let sql = format!(
        "SELECT {RULE_COLUMNS} FROM forced_outcomes
         WHERE operation = ? AND account_id IN (?, '*') AND region IN (?, '*') AND image_key IN (?, '*')
           AND remaining > 0
         ORDER BY created_ms, rule_id LIMIT 1{}",
        if db.locks_rows() { " FOR UPDATE" } else { "" }
    );
    db.query_opt_as(
        &sql,
        &[
            operation.as_str().into(),
            (&scope.account_id).into(),
            (&scope.region).into(),
            image_key.into(),
        ],
    )
}

pub fn any_outcome_rule(db: &dyn Db) -> Result<bool, StoreError> {
    Ok(db
        .query_opt("SELECT rule_id FROM forced_outcomes LIMIT 1", &[])?
        .is_some())
}

/// Takes one use of a rule; a spent rule is removed.
pub fn use_outcome_rule(db: &dyn Db, rule_id: &str) -> Result<(), StoreError> {
    db.execute(
        "UPDATE forced_outcomes SET remaining = remaining - 1 WHERE rule_id = ?",
        &[rule_id.into()],
    )?;
    db.execute(
        "DELETE FROM forced_outcomes WHERE rule_id = ? AND remaining <= 0",
        &[rule_id.into()],
    )?;
    Ok(())
}

/// Removes every resource of the scope (all of them, without a narrowing), and every forced outcome.
/// Version counters and ClientTokens live on the rows removed, so numbering starts again at 1.
pub fn reset(db: &dyn Db, narrowing: &ResetScope) -> Result<(), StoreError> {
    let mut condition = String::from("1 = 1");
    let mut params = Vec::new();
    if let Some(account) = &narrowing.account_id {
        condition.push_str(" AND account_id = ?");
        params.push(Value::from(account));
    }
    if let Some(region) = &narrowing.region {
        condition.push_str(" AND region = ?");
        params.push(Value::from(region));
    }
    for table in [
        "image_version_aliases",
        "image_versions",
        "image_name_postings",
        "images",
        "app_image_config_name_postings",
        "app_image_configs",
    ] {
        db.execute(&format!("DELETE FROM {table} WHERE {condition}"), &params)?;
    }
    // Tags are keyed by ARN, which names region and account: `arn:aws:sagemaker:<region>:<account>:...`.
    // Both are checked to be plain (digits, letters, dashes) before they get here, so no LIKE escaping.
    let arn_pattern = format!(
        "arn:aws:sagemaker:{}:{}:%",
        narrowing.region.as_deref().unwrap_or("%"),
        narrowing.account_id.as_deref().unwrap_or("%")
    );
    db.execute(
        "DELETE FROM tags WHERE resource_arn LIKE ?",
        &[arn_pattern.as_str().into()],
    )?;
    clear_outcome_rules(db)
}

/// Every scope that holds anything, with all it holds, in creation order.
pub fn contents(db: &dyn Db) -> Result<Vec<ScopeContents>, StoreError> {
    let scopes = db.query(
        "SELECT account_id, region FROM images UNION SELECT account_id, region FROM app_image_configs
         ORDER BY 1, 2",
        &[],
    )?;
    let mut all = Vec::new();
    for row in scopes {
        let scope = Scope {
            account_id: row.text("account_id")?,
            region: row.text("region")?,
        };
        let params = [Value::from(&scope.account_id), Value::from(&scope.region)];
        let mut images = Vec::new();
        let stored_images: Vec<ImageRecord> = db.query_as(
            &format!(
                "SELECT {} FROM images WHERE account_id = ? AND region = ? ORDER BY created_ms, name_key",
                records::IMAGE_COLUMNS
            ),
            &params,
        )?;
        for image in stored_images {
            let key = name_key(&image.name);
            let versions = records::read_versions(db, &scope, &key)?;
            let version_tags = versions
                .iter()
                .map(|v| records::read_tags(db, &image_version_arn(&scope, &key, v.version)))
                .collect::<Result<_, _>>()?;
            images.push(StoredImage {
                tags: records::read_tags(db, &image_arn(&scope, &key))?,
                set: VersionSet { image, versions },
                version_tags,
            });
        }
        let mut app_image_configs = Vec::new();
        let configs: Vec<AppImageConfigRecord> = db.query_as(
            &format!(
                "SELECT {} FROM app_image_configs WHERE account_id = ? AND region = ?
                 ORDER BY created_ms, name_key",
                records::APP_IMAGE_CONFIG_COLUMNS
            ),
            &params,
        )?;
        for config in configs {
            let tags =
                records::read_tags(db, &app_image_config_arn(&scope, &name_key(&config.name)))?;
            app_image_configs.push((config, tags));
        }
        all.push(ScopeContents {
            scope,
            images,
            app_image_configs,
        });
    }
    Ok(all)
}

/// Every account and region that holds an image or an app image config, in order. Each is found by one
/// seek past the last in the tables' primary keys (a skip scan), so the cost follows the number of scopes,
/// not of resources; at most `limit` of them.
pub fn scopes(db: &dyn Db, limit: usize) -> Result<Vec<Scope>, StoreError> {
    let mut found = std::collections::BTreeSet::new();
    for table in ["images", "app_image_configs"] {
        let mut after: Option<(String, String)> = None;
        while found.len() < limit {
            let row = match &after {
                None => db.query_opt(
                    &format!("SELECT account_id, region FROM {table} ORDER BY account_id, region LIMIT 1"),
                    &[],
                )?,
                Some((account, region)) => db.query_opt(
                    &format!(
                        "SELECT account_id, region FROM {table} WHERE (account_id, region) > (?, ?)
                         ORDER BY account_id, region LIMIT 1"
                    ),
                    &[account.into(), region.into()],
                )?,
            };
            let Some(row) = row else { break };
            let scope = (row.text("account_id")?, row.text("region")?);
            found.insert(scope.clone());
            after = Some(scope);
        }
    }
    Ok(found
        .into_iter()
        .take(limit)
        .map(|(account_id, region)| Scope { account_id, region })
        .collect())
}

/// Answers when the database does: the readiness probe.
pub fn ping(db: &dyn Db) -> Result<(), StoreError> {
    db.query("SELECT 1", &[])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored_rule(operation: &str) -> Row {
        let columns = RULE_COLUMNS.split(", ").map(Box::from).collect();
        let values = ["r1", "*", "*", operation, "*"]
            .map(|text| Value::Text(text.to_owned()))
            .into_iter()
            .chain([Value::Int(1), Value::Text("hold".to_owned()), Value::Null])
            .collect();
        Row::new(columns, values)
    }

    #[test]
    fn a_stored_rule_names_its_operation_as_text() {
        let rule = OutcomeRule::from_row(&stored_rule("DeleteImage")).expect("a valid rule");
        assert_eq!(rule.operation, OperationName::DeleteImage);
        assert_eq!(rule.outcome, ForcedOutcome::Hold);
    }

    #[test]
    fn a_stored_rule_whose_operation_is_not_one_is_corrupt() {
        let read = OutcomeRule::from_row(&stored_rule("FrobnicateImage"));
        assert!(
            matches!(&read, Err(StoreError::Corrupt(reason)) if reason.contains("FrobnicateImage")),
            "{read:?}"
        );
    }
}
