//! The [`Store`] implementation shared by both SQL engines. An engine only decides how a read or a change
//! runs (which connection, which transaction, batching, retries); what is read and written is the same
//! record code (`records/`) for both.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::db::Db;
use super::harness::{self, OutcomeRule, ResetScope, ScopeContents};
use super::records::{self, Purpose};
use super::{ListQuery, Store, StoreError};
use crate::domain::app_image_config::{AppImageConfigRecord, AppImageConfigWrite};
use crate::domain::arn::TaggedResource;
use crate::domain::image::{ImageRecord, ImageWrite};
use crate::domain::lifecycle::{ForcedOutcome, Lifecycle};
use crate::domain::tags::Tag;
use crate::domain::version::{VersionSet, VersionWrite};
use crate::domain::Scope;

/// How an engine runs work against its database.
pub trait Engine: Send + Sync + 'static {
    /// See [`Store::change_generation`].
    fn change_generation(&self) -> Option<u64> {
        None
    }

    /// Runs `read` on a consistent view of the database.
    fn read<T, F>(&self, read: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: Fn(&dyn Db) -> Result<T, StoreError> + Send + Sync + 'static;

    /// Runs `read`, which issues exactly one statement. That statement sees one snapshot of its own, so an
    /// engine may run it without a transaction around it (one round trip instead of three).
    fn read_one<T, F>(&self, read: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: Fn(&dyn Db) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        self.read(read)
    }

    /// Runs `change` in a transaction and commits it durably before answering. The outer result is the
    /// store's (an engine may retry on it); an inner `Err` is a refusal: nothing `change` wrote is kept.
    fn write<T, E, F>(&self, change: F) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&dyn Db) -> Result<Result<T, E>, StoreError> + Send + Sync + 'static;
}

/// A store over a SQL engine.
pub struct SqlStore<G> {
    engine: G,
    token_secret: Vec<u8>,
    /// False once the only process writing the database (SQLite's) saw no forced outcome, so that a change
    /// need not look for one until a rule is added. Changed only inside writes, which that engine runs one
    /// at a time on its writer thread.
    outcome_rules_possible: Arc<AtomicBool>,
}

impl<G: Engine> SqlStore<G> {
    pub(super) fn new(engine: G, token_secret: Vec<u8>) -> Self {
        SqlStore {
            engine,
            token_secret,
            outcome_rules_possible: Arc::new(AtomicBool::new(true)),
        }
    }

    /// What looks up a change's forced outcome inside its transaction.
    fn outcome_lookup(&self, operation: Option<&'static str>) -> OutcomeLookup {
        OutcomeLookup {
            operation,
            possible: self.outcome_rules_possible.clone(),
            // Without a change generation other processes may add rules unseen: always look.
            sole_writer: self.engine.change_generation().is_some(),
        }
    }
}

/// The forced-outcome lookup of one change.
struct OutcomeLookup {
    operation: Option<&'static str>,
    possible: Arc<AtomicBool>,
    sole_writer: bool,
}

impl OutcomeLookup {
    fn find(
        &self,
        db: &dyn Db,
        scope: &Scope,
        image_key: &str,
    ) -> Result<Option<OutcomeRule>, StoreError> {
        let Some(operation) = self.operation else {
            return Ok(None);
        };
        if self.sole_writer && !self.possible.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let rule = harness::matching_outcome_rule(db, scope, operation, image_key)?;
        if rule.is_none() && self.sole_writer && !harness::any_outcome_rule(db)? {
            self.possible.store(false, Ordering::Relaxed);
        }
        Ok(rule)
    }
}

impl<G: Engine> Store for SqlStore<G> {
    fn token_secret(&self) -> Vec<u8> {
        self.token_secret.clone()
    }

    fn change_generation(&self) -> Option<u64> {
        self.engine.change_generation()
    }

    async fn get_image(
        &self,
        scope: &Scope,
        name_key: &str,
    ) -> Result<Option<ImageRecord>, StoreError> {
        let (scope, name_key) = (scope.clone(), name_key.to_owned());
        self.engine
            .read_one(move |db| records::read_image(db, &scope, &name_key, Purpose::Read))
            .await
    }

    async fn list_images(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<Vec<ImageRecord>, StoreError> {
        let (scope, query) = (scope.clone(), query.clone());
        self.engine
            .read(move |db| records::read_page(db, &records::IMAGES, &scope, &query))
            .await
    }

    async fn change_image<T, E, F>(
        &self,
        scope: &Scope,
        name_key: &str,
        outcome_of: Option<&'static str>,
        decide: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<&ImageRecord>, Option<&ForcedOutcome>) -> Result<(ImageWrite, T), E>
            + Send
            + Sync
            + 'static,
    {
        let (scope, name_key) = (scope.clone(), name_key.to_owned());
        let lookup = self.outcome_lookup(outcome_of);
        self.engine
            .write(move |db| {
                let current = records::read_image(db, &scope, &name_key, Purpose::Change)?;
                let rule = lookup.find(db, &scope, &name_key)?;
                Ok(
                    match decide(current.as_ref(), rule.as_ref().map(|r| &r.outcome)) {
                        Ok((write, output)) => {
                            records::apply_image_write(db, &scope, &name_key, &write)?;
                            if let Some(rule) = &rule {
                                harness::use_outcome_rule(db, &rule.id)?;
                            }
                            Ok(output)
                        }
                        Err(refusal) => Err(refusal),
                    },
                )
            })
            .await
    }

    async fn get_versions(
        &self,
        scope: &Scope,
        image_key: &str,
    ) -> Result<Option<VersionSet>, StoreError> {
        let (scope, image_key) = (scope.clone(), image_key.to_owned());
        self.engine
            .read(move |db| records::read_version_set(db, &scope, &image_key, Purpose::Read))
            .await
    }

    async fn change_versions<T, E, F>(
        &self,
        scope: &Scope,
        image_key: &str,
        outcome_of: Option<&'static str>,
        decide: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<&VersionSet>, Option<&ForcedOutcome>) -> Result<(VersionWrite, T), E>
            + Send
            + Sync
            + 'static,
    {
        let (scope, image_key) = (scope.clone(), image_key.to_owned());
        let lookup = self.outcome_lookup(outcome_of);
        self.engine
            .write(move |db| {
                let current = records::read_version_set(db, &scope, &image_key, Purpose::Change)?;
                let rule = lookup.find(db, &scope, &image_key)?;
                Ok(
                    match decide(current.as_ref(), rule.as_ref().map(|r| &r.outcome)) {
                        Ok((write, output)) => {
                            if let Some(set) = &current {
                                records::apply_version_write(db, &scope, set, &image_key, &write)?;
                            }
                            if let Some(rule) = &rule {
                                harness::use_outcome_rule(db, &rule.id)?;
                            }
                            Ok(output)
                        }
                        Err(refusal) => Err(refusal),
                    },
                )
            })
            .await
    }

    async fn get_app_image_config(
        &self,
        scope: &Scope,
        name_key: &str,
    ) -> Result<Option<AppImageConfigRecord>, StoreError> {
        let (scope, name_key) = (scope.clone(), name_key.to_owned());
        self.engine
            .read_one(move |db| {
                records::read_app_image_config(db, &scope, &name_key, Purpose::Read)
            })
            .await
    }

    async fn list_app_image_configs(
        &self,
        scope: &Scope,
        query: &ListQuery,
    ) -> Result<Vec<AppImageConfigRecord>, StoreError> {
        let (scope, query) = (scope.clone(), query.clone());
        self.engine
            .read(move |db| records::read_page(db, &records::APP_IMAGE_CONFIGS, &scope, &query))
            .await
    }

    async fn change_app_image_config<T, E, F>(
        &self,
        scope: &Scope,
        name_key: &str,
        decide: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<&AppImageConfigRecord>) -> Result<(AppImageConfigWrite, T), E>
            + Send
            + Sync
            + 'static,
    {
        let (scope, name_key) = (scope.clone(), name_key.to_owned());
        self.engine
            .write(move |db| {
                let current =
                    records::read_app_image_config(db, &scope, &name_key, Purpose::Change)?;
                Ok(match decide(current.as_ref()) {
                    Ok((write, output)) => {
                        records::apply_app_image_config_write(db, &scope, &name_key, &write)?;
                        Ok(output)
                    }
                    Err(refusal) => Err(refusal),
                })
            })
            .await
    }

    async fn get_tags(
        &self,
        scope: &Scope,
        resource: &TaggedResource,
    ) -> Result<(Option<Lifecycle>, Vec<Tag>), StoreError> {
        let (scope, resource) = (scope.clone(), resource.clone());
        self.engine
            .read(move |db| {
                let lifecycle = records::resource_lifecycle(db, &scope, &resource, Purpose::Read)?;
                Ok((lifecycle, records::read_tags(db, &resource.arn)?))
            })
            .await
    }

    async fn change_tags<T, E, F>(
        &self,
        scope: &Scope,
        resource: &TaggedResource,
        decide: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(Option<Lifecycle>, Vec<Tag>) -> Result<(Option<Vec<Tag>>, T), E>
            + Send
            + Sync
            + 'static,
    {
        let (scope, resource) = (scope.clone(), resource.clone());
        self.engine
            .write(move |db| {
                let lifecycle =
                    records::resource_lifecycle(db, &scope, &resource, Purpose::Change)?;
                let current = records::read_tags(db, &resource.arn)?;
                Ok(match decide(lifecycle, current) {
                    Ok((tags, output)) => {
                        if let Some(tags) = tags {
                            records::replace_tags(db, &resource.arn, &tags)?;
                        }
                        Ok(output)
                    }
                    Err(refusal) => Err(refusal),
                })
            })
            .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.engine.read_one(harness::ping).await
    }

    async fn reset(&self, narrowing: &ResetScope) -> Result<(), StoreError> {
        let narrowing = narrowing.clone();
        self.engine
            .write(move |db| harness::reset(db, &narrowing).map(Ok::<(), StoreError>))
            .await
    }

    async fn contents(&self) -> Result<Vec<ScopeContents>, StoreError> {
        self.engine.read(harness::contents).await
    }

    async fn scopes(&self, limit: usize) -> Result<Vec<Scope>, StoreError> {
        self.engine.read(move |db| harness::scopes(db, limit)).await
    }

    async fn add_outcome_rule(&self, rule: &OutcomeRule) -> Result<(), StoreError> {
        let (rule, possible) = (rule.clone(), self.outcome_rules_possible.clone());
        self.engine
            .write(move |db| {
                harness::add_outcome_rule(db, &rule)?;
                possible.store(true, Ordering::Relaxed);
                Ok(Ok::<(), StoreError>(()))
            })
            .await
    }

    async fn outcome_rules(&self) -> Result<Vec<OutcomeRule>, StoreError> {
        self.engine.read(harness::outcome_rules).await
    }

    async fn clear_outcome_rules(&self) -> Result<(), StoreError> {
        self.engine
            .write(|db| harness::clear_outcome_rules(db).map(Ok::<(), StoreError>))
            .await
    }
}
