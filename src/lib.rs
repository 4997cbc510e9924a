//! sagemaker-images: a server for Amazon SageMaker's Image API.
//!
//! The crate is layered so that each seam is visible from the tree (see ARCHITECTURE.md):
//! `protocol` (AWS JSON 1.1 envelope and errors) → `auth` (SigV4) → `authz` (identity policies) →
//! `model` (shapes and constraints from botocore's service model) → `ops` (one file per resource family)
//! → `domain` (lifecycle, ARNs, paging) → `store` (one trait, SQLite implementation). `server` and
//! `config` wire them together.

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
