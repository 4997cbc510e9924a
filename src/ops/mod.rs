//! The operations: one file per resource family. Each handler takes a validated JSON body, applies the
//! domain rules through the store, and returns the output shape as JSON.

mod app_image_configs;
mod cache;
mod image_versions;
mod images;
mod listing;
mod tags;

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
        ApiError::internal()
    }
}

/// The SageMaker Image service over a store.
pub struct Service<S> {
    store: S,
    /// How long an image stays in each transitional state.
    transition_delay: Millis,
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
            tokens,
            pages: AnswerCache::new(cached_pages),
            descriptions: AnswerCache::new(cached_descriptions),
        }
    }

    /// Validates `input` against the model and runs `operation` for a caller in `scope`.
    pub async fn call(
        &self,
        scope: &Scope,
        operation: &str,
        input: Value,
    ) -> Result<Answer, ApiError> {
        model::validate_input(operation, &input)?;
        match operation {
            "CreateImage" => images::create(self, scope, parse(input)?).await,
            "DescribeImage" => images::describe(self, scope, parse(input)?).await,
            "UpdateImage" => images::update(self, scope, parse(input)?).await,
            "DeleteImage" => images::delete(self, scope, parse(input)?)
                .await
                .map(Answer::from),
            "ListImages" => images::list(self, scope, parse(input)?).await,
            "CreateImageVersion" => image_versions::create(self, scope, parse(input)?)
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

/// A model timestamp (epoch seconds, possibly fractional) in milliseconds.
fn millis(seconds: Option<f64>) -> Option<Millis> {
    seconds.map(|s| (s * 1000.0).round() as Millis)
}
