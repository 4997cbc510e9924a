//! sagemaker-images: a server for Amazon SageMaker's Image API.
//!
//! The crate is layered so that each seam is visible from the tree, in the order ARCHITECTURE.md draws
//! it: `server` (HTTP, the request pipeline) → `auth` (SigV4) → `authz` (identity policies) → `protocol`
//! (the AWS JSON 1.1 envelope, and every error's wording) → `model` (shapes and constraints generated
//! from botocore's service model) → `ops` (one file per resource family) → `domain` (lifecycle, ARNs,
//! paging) → `store` (one `Store` over an engine: embedded SQLite or PostgreSQL). Beside the API,
//! `control` (the control plane for tests and operators) and `console` (the web console) act through
//! `ops` and `store`; `config` reads the flags, `metrics` counts.

pub mod auth;
pub mod authz;
pub mod config;
pub mod console;
pub mod control;
pub mod domain;
pub mod healthcheck;
pub mod metrics;
pub mod model;
pub mod ops;
pub mod protocol;
pub mod server;
pub mod store;
#[cfg(test)]
mod tidy;
