//! The operations: one file per resource family. Each handler takes its operation's typed input (read and
//! checked against the model by `model::Operation::read`), applies the domain rules through the store, and
//! returns the model's typed output; `Service::call` is the one exhaustive dispatch.

mod app_image_configs;
mod cache;
mod image_versions;
mod images;
mod listing;
pub mod state;
mod tags;

use std::collections::HashMap;
use std::sync::RwLock;

use bytes::Bytes;

use crate::domain::paging::TokenSealer;
use crate::domain::{Millis, Scope};
use crate::model::{CreateImageVersionRequest, Operation, OperationName};
use crate::protocol::ApiError;
use crate::store::Store;
use cache::AnswerCache;

/// The operations that move a resource through a transitional state: the ones a transition delay and a
/// forced outcome apply to.
pub const TRANSITIONING_OPERATIONS: [OperationName; 5] = [
    OperationName::CreateImage,
    OperationName::UpdateImage,
    OperationName::DeleteImage,
    OperationName::CreateImageVersion,
    OperationName::DeleteImageVersion,
];

/// The operation of [`TRANSITIONING_OPERATIONS`] named `name`.
pub fn transitioning_operation(name: &str) -> Option<OperationName> {
    TRANSITIONING_OPERATIONS
        .into_iter()
        .find(|operation| operation.as_str() == name)
}

/// Whose change this is: an API caller's, to which transition delays and forced outcomes apply, or an
/// initial state's, whose resources are created settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Api,
    InitialState,
}

/// The SageMaker Image service over a store.
pub struct Service {
    store: Store,
    /// How long an image stays in each transitional state, unless `delays` names the operation.
    transition_delay: Millis,
    /// Per-operation transition delays set through the control plane (this process only).
    delays: RwLock<HashMap<OperationName, Millis>>,
    tokens: TokenSealer,
    pages: AnswerCache,
    descriptions: AnswerCache,
}

impl Service {
    /// `cached_pages`, `cached_descriptions`: how many ListImages and DescribeImage answers to keep for
    /// reuse (0: none).
    pub fn new(
        store: Store,
        transition_delay: std::time::Duration,
        cached_pages: usize,
        cached_descriptions: usize,
    ) -> Self {
        let tokens = TokenSealer::new(store.token_secret());
        Service {
            store,
            transition_delay: transition_delay
                .as_millis()
                .try_into()
                .unwrap_or(Millis::MAX),
            delays: RwLock::default(),
            tokens,
            pages: AnswerCache::new(cached_pages),
            descriptions: AnswerCache::new(cached_descriptions),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The transition delay of each operation that has one.
    pub fn transition_delays(&self) -> Vec<(OperationName, Millis)> {
        let delays = self.delays.read().unwrap_or_else(|e| e.into_inner());
        TRANSITIONING_OPERATIONS
            .into_iter()
            .map(|op| {
                (
                    op,
                    delays.get(&op).copied().unwrap_or(self.transition_delay),
                )
            })
            .collect()
    }

    /// Sets the delay of `operation` (one of [`TRANSITIONING_OPERATIONS`]); `None` returns it to the
    /// server's `--transition-delay`.
    pub fn set_transition_delay(&self, operation: OperationName, delay: Option<Millis>) {
        let mut delays = self.delays.write().unwrap_or_else(|e| e.into_inner());
        match delay {
            Some(delay) => delays.insert(operation, delay),
            None => delays.remove(&operation),
        };
    }

    /// Ends the held transitions of an image and its versions; how many were held.
    pub async fn release(&self, scope: &Scope, image_name: &str) -> Result<usize, ApiError> {
        images::release(self, scope, image_name).await
    }

    /// How long the transition `operation` starts lasts, for a change from `origin`.
    fn delay(&self, origin: Origin, operation: OperationName) -> Millis {
        match origin {
            Origin::InitialState => 0,
            Origin::Api => self
                .delays
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(&operation)
                .copied()
                .unwrap_or(self.transition_delay),
        }
    }

    /// Runs `operation` for an API caller in `scope`.
    pub async fn call(
        &self,
        scope: &Scope,
        operation: Operation,
    ) -> Result<SerializedOutput, ApiError> {
        self.call_from(Origin::Api, scope, operation).await
    }

    /// As [`Service::call`], for a change from `origin`.
    pub async fn call_from(
        &self,
        origin: Origin,
        scope: &Scope,
        operation: Operation,
    ) -> Result<SerializedOutput, ApiError> {
        match operation {
            Operation::CreateImage(input) => {
                SerializedOutput::json(&images::create(self, origin, scope, input).await?)
            }
            // The two answers the caches keep come serialized.
            Operation::DescribeImage(input) => images::describe(self, scope, input).await,
            Operation::ListImages(input) => images::list(self, scope, input).await,
            Operation::UpdateImage(input) => {
                SerializedOutput::json(&images::update(self, scope, input).await?)
            }
            Operation::DeleteImage(input) => {
                SerializedOutput::json(&images::delete(self, scope, input).await?)
            }
            Operation::CreateImageVersion(input) => SerializedOutput::json(
                &image_versions::create(self, origin, scope, input, None).await?,
            ),
            Operation::DescribeImageVersion(input) => {
                SerializedOutput::json(&image_versions::describe(self, scope, input).await?)
            }
            Operation::UpdateImageVersion(input) => {
                SerializedOutput::json(&image_versions::update(self, scope, input).await?)
            }
            Operation::DeleteImageVersion(input) => {
                SerializedOutput::json(&image_versions::delete(self, scope, input).await?)
            }
            Operation::ListImageVersions(input) => {
                SerializedOutput::json(&image_versions::list(self, scope, input).await?)
            }
            Operation::ListAliases(input) => {
                SerializedOutput::json(&image_versions::list_aliases(self, scope, input).await?)
            }
            Operation::CreateAppImageConfig(input) => {
                SerializedOutput::json(&app_image_configs::create(self, scope, input).await?)
            }
            Operation::DescribeAppImageConfig(input) => {
                SerializedOutput::json(&app_image_configs::describe(self, scope, input).await?)
            }
            Operation::UpdateAppImageConfig(input) => {
                SerializedOutput::json(&app_image_configs::update(self, scope, input).await?)
            }
            Operation::DeleteAppImageConfig(input) => {
                app_image_configs::delete(self, scope, input).await?;
                // The model gives this operation no output shape; SageMaker answers an empty object.
                Ok(SerializedOutput::empty_object())
            }
            Operation::ListAppImageConfigs(input) => {
                SerializedOutput::json(&app_image_configs::list(self, scope, input).await?)
            }
            Operation::AddTags(input) => {
                SerializedOutput::json(&tags::add(self, scope, input).await?)
            }
            Operation::DeleteTags(input) => {
                SerializedOutput::json(&tags::delete(self, scope, input).await?)
            }
            Operation::ListTags(input) => {
                SerializedOutput::json(&tags::list(self, scope, input).await?)
            }
        }
    }

    /// An initial state's version, created settled with the number the document gives it.
    pub async fn create_numbered_version(
        &self,
        scope: &Scope,
        input: CreateImageVersionRequest,
        number: i64,
    ) -> Result<(), ApiError> {
        image_versions::create(self, Origin::InitialState, scope, input, Some(number)).await?;
        Ok(())
    }
}

/// An operation's output, serialized. Cheap to clone, so a cached answer is shared, not copied.
#[derive(Clone)]
pub struct SerializedOutput(Bytes);

impl SerializedOutput {
    pub fn json(output: &impl serde::Serialize) -> Result<SerializedOutput, ApiError> {
        serde_json::to_vec(output)
            .map(|bytes| SerializedOutput(bytes.into()))
            .map_err(|_| ApiError::internal())
    }

    fn empty_object() -> SerializedOutput {
        SerializedOutput(Bytes::from_static(b"{}"))
    }

    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Origin {
    /// The operation whose forced outcomes apply to a change from this origin.
    fn outcome_of(self, operation: OperationName) -> Option<OperationName> {
        (self == Origin::Api).then_some(operation)
    }
}
