//! One integration-test binary: every module drives the real server binary over HTTP.

mod common;

mod app_image_configs;
mod auth;
mod durability;
mod isolation;
mod lifecycle;
mod list;
mod multiprocess;
mod protocol;
mod seed;
mod smoke;
mod tags;
mod versions;
