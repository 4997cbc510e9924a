//! The load benchmark. Prints figures; asserts nothing.
//!
//! In one run, on one machine, with one load generator (this program: 64 keep-alive HTTP/1.1 connections,
//! requests signed before the clock starts), it measures:
//! - the floor: a few lines of hyper that read the body and answer a fixed JSON document, run in a process
//!   of its own as the real server is (and, for comparison with earlier figures, inside this process);
//! - sagemaker-images on the embedded store: UpdateImage over 1,000 images, DescribeImage, ListImages (100 a
//!   page), each SigV4-verified, UpdateImage durable before its answer;
//! - with `--postgres URL`: the same on the PostgreSQL store;
//! - beside the embedded store's rows: DescribeImage while 200 clients trickle request heads, UpdateImage
//!   with twice as many connections as requests may be in flight (the errors are ThrottlingExceptions),
//!   UpdateImage with the request log written, UpdateImage with the console's request ring off (it is on
//!   by default, so the first row has it), and each write row's largest write-ahead log;
//! - with `--large N`: a store of N images (1,000,000 for the targets): cold start to first answer, resident
//!   memory, the median ListImages page for every SortBy and for NameContains, and the median console
//!   catalog page (25 images, each with its role and tags).
//!
//! Each row's ratio is to the floor measured beside it: the row's load alternates one-second slices with
//! the floor's, so that both see the machine as it is at that moment.
//!
//! Run: `cargo bench --bench load -- [--seconds 5] [--postgres URL] [--large 1000000] [--skip-sqlite]
//! [--request-path] [--server PATH] [--ring-rows]`: `--request-path` measures only SQLite UpdateImage and
//! DescribeImage (cached and not, and by a key without and with a ten-statement policy), the rows the
//! request path's own cost moves; `--server` measures another
//! build of the server (an older one, back to back with this one); `--ring-rows` measures, of the embedded
//! store's rows, only UpdateImage with the request ring on and off, one after the other.

// The load generator (`client`), the servers it loads (`servers`), CPU accounting (`cpu`), and the rows:
// the stores' (`rows`), the large store's (`large`), the request path's (`request_path`). Each module sees
// this file's imports and the others' items.
mod client;
mod cpu;
mod large;
mod request_path;
mod rows;
mod servers;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use tokio::net::{TcpListener, TcpStream};

use client::*;
use cpu::*;
use large::*;
use request_path::*;
use rows::*;
use servers::*;

pub(crate) const CONNECTIONS: usize = 64;

pub(crate) const IMAGES: usize = 1_000;

pub(crate) struct Options {
    pub(crate) seconds: u64,
    pub(crate) postgres: Option<String>,
    pub(crate) large: Option<usize>,
    /// Leaves out the embedded store's rows (to repeat the PostgreSQL comparison quickly).
    pub(crate) skip_sqlite: bool,
    /// Only the rows the request path moves: SQLite UpdateImage, DescribeImage, DescribeImage uncached.
    pub(crate) request_path: bool,
    /// The server binary to measure (another build, to compare two back to back); this package's own
    /// by default.
    pub(crate) server: std::path::PathBuf,
    /// Of the embedded store's rows, only UpdateImage with the request ring on and off.
    pub(crate) ring_rows: bool,
}

pub(crate) fn options() -> Options {
    let mut options = Options {
        seconds: 5,
        postgres: None,
        large: None,
        skip_sqlite: false,
        request_path: false,
        server: env!("CARGO_BIN_EXE_sagemaker-images").into(),
        ring_rows: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                options.seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--seconds N")
            }
            "--postgres" => options.postgres = args.next(),
            "--large" => options.large = args.next().and_then(|v| v.parse().ok()),
            "--skip-sqlite" => options.skip_sqlite = true,
            "--request-path" => options.request_path = true,
            "--server" => options.server = args.next().expect("--server PATH").into(),
            "--ring-rows" => options.ring_rows = true,
            _ => {} // cargo bench passes --bench
        }
    }
    options
}

fn main() {
    if std::env::args().any(|arg| arg == SERVE_FLOOR) {
        return run_floor_process();
    }
    let options = options();
    SERVER.get_or_init(|| options.server.clone());
    println!("server: {}", server_binary().display());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        println!(
            "machine: {} cores; {} connections; {} s per figure",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(0),
            CONNECTIONS,
            options.seconds
        );
        let floor = start_floor_process();
        let floor_rps = measure_floor_alone(&floor, options.seconds).await;
        let in_process =
            measure_floor_in_process(start_floor_in_process().await, options.seconds).await;
        print_row(
            "floor in the load generator's process",
            &in_process,
            floor_rps,
        );

        if options.request_path {
            measure_request_path(options.seconds, &floor).await;
        } else if options.ring_rows {
            measure_ring(options.seconds, &floor).await;
        } else if !options.skip_sqlite {
            measure_sqlite(options.seconds, &floor).await;
        }
        if let Some(url) = &options.postgres {
            let data_dir = tempfile::tempdir().expect("temp dir");
            let (served, _) = start_server(data_dir.path(), Some(url), &[], false);
            measure_store("postgres", &served, options.seconds, &floor, Some(url)).await;
        }
        drop(floor);
        if let Some(count) = options.large {
            measure_large(count).await;
        }
    });
}
