//! One integration-test binary: every module drives the real server binary over HTTP.

mod common;

mod app_image_configs;
mod attacks;
mod attacks_costs;
mod auth;
mod console;
mod control;
mod disk;
mod durability;
mod hardening;
mod isolation;
mod lifecycle;
mod list;
mod multiprocess;
mod outage;
mod outcomes;
mod policies;
mod protocol;
mod seed;
mod signatures;
mod smoke;
mod tags;
mod typed_model;
mod versions;
mod waiters;
