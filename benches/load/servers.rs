//! The servers under measurement: the floor (a few lines of hyper answering a fixed document) and sagemaker-images, each in a process of its own.

use super::*;

/// The server binary under measurement (`--server`), set once at start.
pub(crate) static SERVER: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

pub(crate) fn server_binary() -> &'static std::path::Path {
    SERVER.get_or_init(|| env!("CARGO_BIN_EXE_sagemaker-images").into())
}

/// The floor: read the body, answer a fixed JSON document, on `listener` until the process ends.
pub(crate) async fn serve_floor(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        stream.set_nodelay(true).ok();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(|request: Request<hyper::body::Incoming>| async move {
                    let _ = request.into_body().collect().await;
                    let mut response = hyper::Response::new(Full::new(Bytes::from_static(
                        br#"{"ImageArn":"arn:aws:sagemaker:us-east-1:000000000000:image/floor"}"#,
                    )));
                    response.headers_mut().insert(
                        "content-type",
                        hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
                    );
                    Ok::<_, std::convert::Infallible>(response)
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The floor in a process of its own (this program, run with `--serve-floor`), as the measured server is:
/// the load generator then reaches both across processes, and neither shares its runtime's threads.
pub(crate) fn start_floor_process() -> Served {
    let mut command = Command::new(std::env::current_exe().expect("bench path"));
    command.arg(SERVE_FLOOR);
    spawn_listening(&mut command, "")
}

/// Starts `command` and reads its address from the first line it prints, after `prefix`.
pub(crate) fn spawn_listening(command: &mut Command, prefix: &str) -> Served {
    use std::io::BufRead;
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .expect("start server");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let address = line
        .trim()
        .trim_start_matches(prefix)
        .parse()
        .expect("address");
    Served {
        child,
        address,
        wal: None,
    }
}

/// The floor inside the load generator's own runtime, as earlier sessions measured it: printed for
/// comparison with their figures, not used for ratios.
pub(crate) async fn start_floor_in_process() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind floor");
    let address = listener.local_addr().expect("floor address");
    tokio::spawn(serve_floor(listener));
    address
}

/// The argument that makes this program the floor server (see `start_floor_process`).
pub(crate) const SERVE_FLOOR: &str = "--serve-floor";

/// The floor process's `main`: binds, prints its address, serves until killed.
pub(crate) fn run_floor_process() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind floor");
        println!("{}", listener.local_addr().expect("floor address"));
        serve_floor(listener).await;
    });
}

pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) address: SocketAddr,
    /// The embedded store's write-ahead log, whose largest size a write row prints.
    pub(crate) wal: Option<std::path::PathBuf>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server; with `request_log`, it writes its per-request lines (RUST_LOG=info) to a file in
/// `data_dir`, as an operator's server would to its log.
pub(crate) fn start_server(
    data_dir: &std::path::Path,
    postgres: Option<&str>,
    extra: &[&str],
    request_log: bool,
) -> (Served, Duration) {
    let mut command = Command::new(server_binary());
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra);
    if let Some(url) = postgres {
        // As many database connections as load connections, as pgbench is run with as many clients.
        let connections = CONNECTIONS.to_string();
        command.args([
            "--database-url",
            url,
            "--database-connections",
            &connections,
        ]);
    }
    let started = Instant::now();
    if request_log {
        command
            .env("RUST_LOG", "info")
            .stderr(std::fs::File::create(data_dir.join("server.log")).expect("server log file"));
    } else {
        command.env("RUST_LOG", "warn");
    }
    let mut served = spawn_listening(&mut command, "sagemaker-images listening on http://");
    if postgres.is_none() {
        served.wal = Some(data_dir.join("sagemaker-images.sqlite3-wal"));
    }
    (served, started.elapsed())
}

pub(crate) fn resident_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}
