//! The operations: one file per resource family. Each handler takes a validated JSON body, applies the
//! domain rules through the store, and returns the output shape as JSON.

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
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::paging::TokenSealer;
use crate::domain::{Millis, Scope};
use crate::model;
use crate::protocol::ApiError;
use crate::store::{Store, StoreError};
use cache::AnswerCache;

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "store failure");
        if error.is_disk_full() {
            // 503: every SDK retries it.
            return ApiError::ServiceUnavailable(
                "The server's disk is full; the change was not made. Retry once space is free."
                    .to_owned(),
            );
        }
        if error.is_unreachable() {
            return ApiError::ServiceUnavailable(
                "The server's database could not be reached. Retry shortly.".to_owned(),
            );
        }
        ApiError::internal()
    }
}

/// The operations that move a resource through a transitional state: the ones a transition delay and a
/// forced outcome apply to.
pub const TRANSITIONING_OPERATIONS: [&str; 5] = [
    "CreateImage",
    "UpdateImage",
    "DeleteImage",
    "CreateImageVersion",
    "DeleteImageVersion",
];

/// Whose change this is: an API caller's, to which transition delays and forced outcomes apply, or an
/// initial state's, whose resources are created settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Api,
    InitialState,
}

/// The SageMaker Image service over a store.
pub struct Service<S> {
    store: S,
    /// How long an image stays in each transitional state, unless `delays` names the operation.
    transition_delay: Millis,
    /// Per-operation transition delays set through the control plane (this process only).
    delays: RwLock<HashMap<&'static str, Millis>>,
    tokens: TokenSealer,
    pages: AnswerCache,
    descriptions: AnswerCache,
}

impl<S: Store> Service<S> {
    /// `cached_pages`, `cached_descriptions`: how many ListImages and DescribeImage answers to keep for
    /// reuse (0: none).
    pub fn new(
        store: S,
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

    pub fn store(&self) -> &S {
        &self.store
    }

    /// The transition delay of each operation that has one.
    pub fn transition_delays(&self) -> Vec<(&'static str, Millis)> {
        let delays = self.delays.read().unwrap_or_else(|e| e.into_inner());
        TRANSITIONING_OPERATIONS
            .iter()
            .map(|op| {
                (
                    *op,
                    delays.get(op).copied().unwrap_or(self.transition_delay),
                )
            })
            .collect()
    }

    /// Sets the delay of `operation` (one of [`TRANSITIONING_OPERATIONS`]); `None` returns it to the
    /// server's `--transition-delay`.
    pub fn set_transition_delay(&self, operation: &'static str, delay: Option<Millis>) {
        let mut delays = self.delays.write().unwrap_or_else(|e| e.into_inner());
        match delay {
            Some(delay) => delays.insert(operation, delay),
            None => delays.remove(operation),
        };
    }

    /// Ends the held transitions of an image and its versions; how many were held.
    pub async fn release(&self, scope: &Scope, image_name: &str) -> Result<usize, ApiError> {
        images::release(self, scope, image_name).await
    }

    /// How long the transition `operation` starts lasts, for a change from `origin`.
    fn delay(&self, origin: Origin, operation: &'static str) -> Millis {
        match origin {
            Origin::InitialState => 0,
            Origin::Api => self
                .delays
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(operation)
                .copied()
                .unwrap_or(self.transition_delay),
        }
    }

    /// Validates `input` against the model and runs `operation` for a caller in `scope`.
    pub async fn call(
        &self,
        scope: &Scope,
        operation: &str,
        input: Value,
    ) -> Result<Answer, ApiError> {
        self.call_from(Origin::Api, scope, operation, input).await
    }

    /// As [`Service::call`], for a change from `origin`.
    pub async fn call_from(
        &self,
        origin: Origin,
        scope: &Scope,
        operation: &str,
        input: Value,
    ) -> Result<Answer, ApiError> {
        model::validate_input(operation, &input)?;
        match operation {
            "CreateImage" => images::create(self, origin, scope, parse(input)?).await,
            "DescribeImage" => images::describe(self, scope, parse(input)?).await,
            "UpdateImage" => images::update(self, scope, parse(input)?).await,
            "DeleteImage" => images::delete(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "ListImages" => images::list(self, scope, parse(input)?).await,
            "CreateImageVersion" => image_versions::create(self, origin, scope, parse(input)?)
                .await
                .map(Answer::from),
            "DescribeImageVersion" => image_versions::describe(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "UpdateImageVersion" => image_versions::update(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "DeleteImageVersion" => image_versions::delete(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "ListImageVersions" => image_versions::list(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "ListAliases" => image_versions::list_aliases(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "CreateAppImageConfig" => app_image_configs::create(self, scope, input)
                .await
                .map(Answer::from),
            "DescribeAppImageConfig" => app_image_configs::describe(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "UpdateAppImageConfig" => app_image_configs::update(self, scope, input)
                .await
                .map(Answer::from),
            "DeleteAppImageConfig" => app_image_configs::delete(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "ListAppImageConfigs" => app_image_configs::list(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "AddTags" => tags::add(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "DeleteTags" => tags::delete(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "ListTags" => tags::list(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            other => Err(ApiError::UnknownOperation(format!(
                "Operation 'SageMaker.{other}' is not supported by this service."
            ))),
        }
    }
}

/// An operation's output, serialized: hot operations write their typed output shape straight to bytes,
/// the others build a `serde_json::Value` first. Cheap to clone, so a cached answer is shared, not copied.
#[derive(Clone)]
pub struct Answer(Bytes);

impl Answer {
    pub fn json(output: &impl serde::Serialize) -> Result<Answer, ApiError> {
        serde_json::to_vec(output)
            .map(|bytes| Answer(bytes.into()))
            .map_err(|_| ApiError::internal())
    }

    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl From<Value> for Answer {
    fn from(value: Value) -> Self {
        // Serializing a `Value` cannot fail: its map keys are strings.
        Answer(serde_json::to_vec(&value).unwrap_or_default().into())
    }
}

/// Reads a validated body into the operation's input type. Validation already checked every member's type,
/// so a failure here is a mismatch between the model and our types.
fn parse<T: DeserializeOwned>(input: Value) -> Result<T, ApiError> {
    serde_json::from_value(input)
        .map_err(|e| ApiError::Serialization(format!("Cannot read the request: {e}")))
}

impl Origin {
    /// The operation whose forced outcomes apply to a change from this origin.
    fn outcome_of(self, operation: &'static str) -> Option<&'static str> {
        (self == Origin::Api).then_some(operation)
    }
}

/// A model timestamp (epoch seconds, possibly fractional) in milliseconds.
fn millis(seconds: Option<f64>) -> Option<Millis> {
    seconds.map(|s| (s * 1000.0).round() as Millis)
}
