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

const CONNECTIONS: usize = 64;

/// The server binary under measurement (`--server`), set once at start.
static SERVER: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

fn server_binary() -> &'static std::path::Path {
    SERVER.get_or_init(|| env!("CARGO_BIN_EXE_sagemaker-images").into())
}
const IMAGES: usize = 1_000;

struct Options {
    seconds: u64,
    postgres: Option<String>,
    large: Option<usize>,
    /// Leaves out the embedded store's rows (to repeat the PostgreSQL comparison quickly).
    skip_sqlite: bool,
    /// Only the rows the request path moves: SQLite UpdateImage, DescribeImage, DescribeImage uncached.
    request_path: bool,
    /// The server binary to measure (another build, to compare two back to back); this package's own
    /// by default.
    server: std::path::PathBuf,
    /// Of the embedded store's rows, only UpdateImage with the request ring on and off.
    ring_rows: bool,
}

fn options() -> Options {
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

/// A signed request, ready to send any number of times within the 15-minute window.
#[derive(Clone)]
struct Prepared {
    target: &'static str,
    body: Bytes,
    headers: Vec<(String, String)>,
}

fn prepare(host: &str, operation: &'static str, body: serde_json::Value) -> Prepared {
    let body = Bytes::from(serde_json::to_vec(&body).expect("json"));
    let target = match operation {
        "UpdateImage" => "SageMaker.UpdateImage",
        "DescribeImage" => "SageMaker.DescribeImage",
        "ListImages" => "SageMaker.ListImages",
        "CreateImage" => "SageMaker.CreateImage",
        _ => "SageMaker.Unknown",
    };
    let mut headers = vec![
        ("host".to_owned(), host.to_owned()),
        (
            "content-type".to_owned(),
            "application/x-amz-json-1.1".to_owned(),
        ),
        ("x-amz-target".to_owned(), target.to_owned()),
    ];
    let identity =
        aws_credential_types::Credentials::new("test", "test", None, None, "bench").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sagemaker")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let signable = SignableRequest::new(
        "POST",
        "/",
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(&body),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    Prepared {
        target,
        body,
        headers,
    }
}

#[derive(Default)]
struct Figures {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

impl Figures {
    /// Adds another load's figures to these (latencies unsorted until the caller sorts them).
    fn absorb(&mut self, other: Figures) {
        self.requests += other.requests;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
    }
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies_us[index]) / 1000.0
    }
}

/// Drives `CONNECTIONS` connections for `duration`, each cycling through its share of `requests`.
async fn load(address: SocketAddr, requests: Arc<Vec<Prepared>>, duration: Duration) -> Figures {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for connection in 0..CONNECTIONS {
        let requests = requests.clone();
        tasks.push(tokio::spawn(async move {
            let stream = TcpStream::connect(address).await.expect("connect");
            stream.set_nodelay(true).ok();
            let (mut sender, driver) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .expect("handshake");
            tokio::spawn(driver);
            let (mut done, mut errors, mut latencies) =
                (0usize, 0usize, Vec::with_capacity(100_000));
            let mut index = connection;
            while Instant::now() < deadline {
                let prepared = &requests[index % requests.len()];
                index += CONNECTIONS;
                let mut builder = Request::post("/");
                for (name, value) in &prepared.headers {
                    builder = builder.header(name, value);
                }
                let request = builder
                    .body(Full::new(prepared.body.clone()))
                    .expect("request");
                let sent = Instant::now();
                let response = sender.send_request(request).await.expect("send");
                let status = response.status();
                let body = response.into_body().collect().await;
                let ok = status.is_success();
                if !ok && errors == 0 {
                    let text = body.map(|b| b.to_bytes()).unwrap_or_default();
                    eprintln!("first error: {status} {}", String::from_utf8_lossy(&text));
                }
                latencies.push(sent.elapsed().as_micros().min(u32::MAX as u128) as u32);
                done += 1;
                if !ok {
                    errors += 1;
                }
            }
            (done, errors, latencies)
        }));
    }
    let mut figures = Figures {
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    for task in tasks {
        let (done, errors, latencies) = task.await.expect("load task");
        figures.requests += done;
        figures.errors += errors;
        figures.latencies_us.extend(latencies);
    }
    figures.elapsed = start.elapsed();
    figures.latencies_us.sort_unstable();
    figures
}

/// The floor: read the body, answer a fixed JSON document, on `listener` until the process ends.
async fn serve_floor(listener: TcpListener) {
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
fn start_floor_process() -> Served {
    let mut command = Command::new(std::env::current_exe().expect("bench path"));
    command.arg(SERVE_FLOOR);
    spawn_listening(&mut command, "")
}

/// Starts `command` and reads its address from the first line it prints, after `prefix`.
fn spawn_listening(command: &mut Command, prefix: &str) -> Served {
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
async fn start_floor_in_process() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind floor");
    let address = listener.local_addr().expect("floor address");
    tokio::spawn(serve_floor(listener));
    address
}

/// The argument that makes this program the floor server (see `start_floor_process`).
const SERVE_FLOOR: &str = "--serve-floor";

/// The floor process's `main`: binds, prints its address, serves until killed.
fn run_floor_process() {
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

struct Served {
    child: Child,
    address: SocketAddr,
    /// The embedded store's write-ahead log, whose largest size a write row prints.
    wal: Option<std::path::PathBuf>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server; with `request_log`, it writes its per-request lines (RUST_LOG=info) to a file in
/// `data_dir`, as an operator's server would to its log.
fn start_server(
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

fn resident_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn print_row(name: &str, figures: &Figures, floor: f64) {
    println!(
        "{name:<34} {:>10.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ratio {:>5.2}  errors {}",
        figures.rps(),
        figures.percentile(0.50),
        figures.percentile(0.99),
        figures.rps() / floor,
        figures.errors
    );
}

async fn seed(address: SocketAddr, count: usize) {
    let host = address.to_string();
    let requests: Vec<Prepared> = (0..count)
        .map(|i| {
            prepare(
                &host,
                "CreateImage",
                serde_json::json!({"ImageName": format!("image-{i:07}"), "RoleArn": "arn:aws:iam::123456789012:role/bench"}),
            )
        })
        .collect();
    // Half the load's connections at a time, so that a server with a small in-flight bound is not
    // throttled while it is seeded.
    for chunk in requests.chunks(CONNECTIONS / 2) {
        let mut tasks = Vec::new();
        for prepared in chunk.iter().cloned() {
            tasks.push(tokio::spawn(async move {
                let stream = TcpStream::connect(address).await.expect("connect");
                let (mut sender, driver) =
                    hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                        .await
                        .expect("handshake");
                tokio::spawn(driver);
                let mut builder = Request::post("/");
                for (name, value) in &prepared.headers {
                    builder = builder.header(name, value);
                }
                let response = sender
                    .send_request(builder.body(Full::new(prepared.body)).expect("request"))
                    .await;
                assert!(
                    response.expect("seed").status().is_success(),
                    "seeding {}",
                    prepared.target
                );
            }));
        }
        for task in tasks {
            task.await.expect("seed task");
        }
    }
}

async fn measure_store(
    label: &str,
    served: &Served,
    seconds: u64,
    floor: &Served,
    postgres: Option<&str>,
) {
    let host = served.address.to_string();
    seed(served.address, IMAGES).await;
    if let Some(url) = postgres {
        // As `pgbench -i` does after loading its tables: without statistics the planner may pick a sort
        // index for a primary-key lookup (autovacuum would analyze the table within a minute or so).
        let url = url.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
            client
                .batch_execute("VACUUM ANALYZE")
                .expect("vacuum analyze");
        })
        .await
        .expect("vacuum");
    }
    let updates = update_requests(&host);
    let describes = describe_requests(&host);
    let lists = vec![prepare(
        &host,
        "ListImages",
        serde_json::json!({"MaxResults": 100}),
    )];

    for (name, requests) in [
        ("UpdateImage", updates),
        ("DescribeImage", describes),
        ("ListImages (100 a page)", lists),
    ] {
        measure(&format!("{label} {name}"), served, requests, seconds, floor).await;
    }
}

/// The UpdateImage row on a fresh, seeded server started with `args` (and writing its request log).
async fn measure_updates(
    name: &str,
    args: &[&str],
    request_log: bool,
    seconds: u64,
    floor: &Served,
) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (served, _) = start_server(data_dir.path(), None, args, request_log);
    seed(served.address, IMAGES).await;
    let updates = update_requests(&served.address.to_string());
    measure(name, &served, updates, seconds, floor).await;
}

/// UpdateImage with the console's request ring on (the default) and off, one right after the other: the
/// ring's price is the difference of their ratios to the floor.
async fn measure_ring(seconds: u64, floor: &Served) {
    measure_updates(
        "sqlite UpdateImage (request ring on)",
        &[],
        false,
        seconds,
        floor,
    )
    .await;
    measure_updates(
        "sqlite UpdateImage (request ring off)",
        &["--request-log-size", "0"],
        false,
        seconds,
        floor,
    )
    .await;
}

/// UpdateImage of each seeded image.
fn update_requests(host: &str) -> Vec<Prepared> {
    (0..IMAGES)
        .map(|i| {
            prepare(host, "UpdateImage", serde_json::json!({"ImageName": format!("image-{i:07}"), "Description": format!("revision {i}")}))
        })
        .collect()
}

/// DescribeImage of each seeded image.
fn describe_requests(host: &str) -> Vec<Prepared> {
    (0..IMAGES)
        .map(|i| {
            prepare(
                host,
                "DescribeImage",
                serde_json::json!({"ImageName": format!("image-{i:07}")}),
            )
        })
        .collect()
}

/// How long one slice of a row's load lasts; a row alternates slices of the floor and of itself.
const SLICE: Duration = Duration::from_secs(1);

/// Loads `served` with `requests` for `seconds` one-second slices, each preceded by a slice of the floor,
/// and prints the figures with their ratio to the floor measured beside them. This machine's speed drifts
/// within one run (the floor moved from 34k to 47k req/s in one session's run); slices taken side by side
/// see the same machine, where a floor measured once at the start would not.
async fn measure(
    name: &str,
    served: &Served,
    requests: Vec<Prepared>,
    seconds: u64,
    floor: &Served,
) {
    // On stderr, for attaching a profiler (`perf record -p PID`) to the row being measured.
    eprintln!("measuring {name}: server pid {}", served.child.id());
    let (requests, floor_requests) = (
        Arc::new(requests),
        Arc::new(vec![floor_request(floor.address)]),
    );
    let (mut row, mut beside) = (Figures::default(), Figures::default());
    let mut cpu = CpuSpent::default();
    let wal = (name.contains("Update"))
        .then(|| served.wal.clone())
        .flatten()
        .map(WalWatch::start);
    for _ in 0..seconds {
        beside.absorb(load(floor.address, floor_requests.clone(), SLICE).await);
        let (slice, slice_cpu) = load_counting_cpu(served, requests.clone(), SLICE).await;
        row.absorb(slice);
        cpu.absorb(slice_cpu);
    }
    row.latencies_us.sort_unstable();
    print_row(name, &row, beside.rps());
    print_cpu(&row, &cpu);
    println!("{:<34} the floor beside it {:.0} req/s", "", beside.rps());
    if let Some(wal) = wal {
        println!(
            "{:<34} write-ahead log: largest {:.1} MB during the row",
            "",
            wal.largest().await as f64 / 1e6
        );
    }
}

/// Samples the size of a write-ahead log's file every 10 ms until asked for the largest.
struct WalWatch {
    stop: Arc<std::sync::atomic::AtomicBool>,
    sampler: tokio::task::JoinHandle<u64>,
}

impl WalWatch {
    fn start(path: std::path::PathBuf) -> WalWatch {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let sampler = tokio::spawn(async move {
            let mut largest = 0;
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                largest = largest.max(std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            largest
        });
        WalWatch { stop, sampler }
    }

    async fn largest(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.sampler.await.unwrap_or(0)
    }
}

/// Keeps `count` connections open that each trickle one byte of a request head a second, as a slow or
/// hostile client would, reconnecting whenever the server cuts one off.
fn trickle(address: SocketAddr, count: usize) -> Vec<tokio::task::JoinHandle<()>> {
    use tokio::io::AsyncWriteExt;
    (0..count)
        .map(|_| {
            tokio::spawn(async move {
                loop {
                    let Ok(mut stream) = TcpStream::connect(address).await else {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    };
                    let head = b"POST / HTTP/1.1\r\nx-trickle: ";
                    for byte in head.iter().chain(std::iter::repeat(&b'x')) {
                        if stream.write_all(&[*byte]).await.is_err() {
                            break;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            })
        })
        .collect()
}

/// Loads the floor alone and prints its figures: its own CPU per request is the budget the real server's
/// rows are held to.
async fn measure_floor_alone(floor: &Served, seconds: u64) -> f64 {
    let (figures, cpu) = load_counting_cpu(
        floor,
        Arc::new(vec![floor_request(floor.address)]),
        Duration::from_secs(seconds),
    )
    .await;
    print_row("floor (hyper, fixed answer)", &figures, figures.rps());
    print_cpu(&figures, &cpu);
    figures.rps()
}

/// CPU time spent during a row's load: the server's, by thread name and in all, and the load
/// generator's (this process). Throughput on a shared 2-core machine moves with everything else running;
/// CPU per request is the steadier figure, and its split shows which part of the server a row waits on.
#[derive(Default)]
struct CpuSpent {
    server: f64,
    server_threads: BTreeMap<String, f64>,
    load_generator: f64,
}

impl CpuSpent {
    fn absorb(&mut self, other: CpuSpent) {
        self.server += other.server;
        self.load_generator += other.load_generator;
        for (name, seconds) in other.server_threads {
            *self.server_threads.entry(name).or_default() += seconds;
        }
    }
}

/// One load of `served`, with the CPU time spent meanwhile.
async fn load_counting_cpu(
    served: &Served,
    requests: Arc<Vec<Prepared>>,
    duration: Duration,
) -> (Figures, CpuSpent) {
    let pid = served.child.id();
    let (server, threads, generator) = (
        stat_seconds(&format!("/proc/{pid}/stat")).1,
        thread_seconds(pid),
        stat_seconds("/proc/self/stat").1,
    );
    let figures = load(served.address, requests, duration).await;
    // Each thread's own difference, summed by name: a thread that ended during the load is left out
    // rather than taken from its namesakes, and one that began counts from zero.
    let mut server_threads = BTreeMap::new();
    for (tid, (name, seconds)) in thread_seconds(pid) {
        let before = threads.get(&tid).map_or(0.0, |(_, seconds)| *seconds);
        *server_threads.entry(name).or_default() += seconds - before;
    }
    let spent = CpuSpent {
        server: stat_seconds(&format!("/proc/{pid}/stat")).1 - server,
        server_threads,
        load_generator: stat_seconds("/proc/self/stat").1 - generator,
    };
    (figures, spent)
}

fn print_cpu(figures: &Figures, cpu: &CpuSpent) {
    let per_request = |seconds: f64| seconds * 1e6 / figures.requests.max(1) as f64;
    let threads: Vec<String> = cpu
        .server_threads
        .iter()
        .filter(|(_, seconds)| per_request(**seconds) >= 0.1)
        .map(|(name, seconds)| format!("{name} {:.1}", per_request(*seconds)))
        .collect();
    println!(
        "{:<34} server CPU {:.1} µs per request ({}); load generator {:.1} µs",
        "",
        per_request(cpu.server),
        threads.join(", "),
        per_request(cpu.load_generator)
    );
}

/// The thread name and the user and system CPU time used so far, from a `/proc` stat file (empty and 0
/// where there is none).
fn stat_seconds(path: &str) -> (String, f64) {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // The name is in parentheses and may hold spaces; the fields follow it.
    let Some((head, rest)) = stat.rsplit_once(')') else {
        return (String::new(), 0.0);
    };
    let name = head.split_once('(').map(|(_, name)| name).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; the kernel counts them
    // in clock ticks of 1/100 s on Linux.
    (name.to_owned(), (ticks(11) + ticks(12)) / 100.0)
}

/// Name and CPU time used so far of each live thread of `pid`, by thread id.
fn thread_seconds(pid: u32) -> BTreeMap<String, (String, f64)> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return BTreeMap::new();
    };
    tasks
        .flatten()
        .map(|task| {
            let seconds = stat_seconds(&task.path().join("stat").to_string_lossy());
            (task.file_name().to_string_lossy().into_owned(), seconds)
        })
        .collect()
}

/// Writes `count` images, and the grams of their names, straight into a fresh SQLite store (schema from
/// `sagemaker-images migrate`).
fn bulk_seed(data_dir: &std::path::Path, count: usize) {
    let status = Command::new(server_binary())
        .args(["migrate", "--data-dir"])
        .arg(data_dir)
        .stdout(Stdio::null())
        .status()
        .expect("migrate");
    assert!(status.success());
    let mut conn =
        rusqlite::Connection::open(data_dir.join("sagemaker-images.sqlite3")).expect("open");
    let tx = conn.transaction().expect("tx");
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO images (account_id, region, name_key, name, role_arn, status, created_ms, modified_ms)
                 VALUES ('000000000000', 'us-east-1', ?1, ?1, 'arn:aws:iam::123456789012:role/bench', 'CREATED', ?2, ?3)",
            )
            .expect("prepare");
        let mut insert_gram = tx
            .prepare(
                "INSERT INTO image_name_postings (account_id, region, gram, name_key, created_ms)
                 VALUES ('000000000000', 'us-east-1', ?1, ?2, ?3)",
            )
            .expect("prepare");
        let base = 1_700_000_000_000i64;
        for i in 0..count {
            let name = format!("image-{i:07}");
            let created = base + i as i64;
            let modified = base + ((i * 7919) % count) as i64;
            insert
                .execute(rusqlite::params![name, created, modified])
                .expect("insert");
            for gram in sagemaker_images::store::name_grams(&name) {
                insert_gram
                    .execute(rusqlite::params![gram, name, created])
                    .expect("insert gram");
            }
        }
    }
    tx.commit().expect("commit");
}

async fn measure_large(count: usize) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let seeding = Instant::now();
    bulk_seed(data_dir.path(), count);
    println!(
        "seeded {count} images in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    // Every sample below repeats one request: with the page cache on, all but the first would be answered
    // from it, and the figures would not show the store.
    let (served, to_listening) = start_server(data_dir.path(), None, &["--list-cache", "0"], false);
    let host = served.address.to_string();
    let first = prepare(&host, "ListImages", serde_json::json!({"MaxResults": 100}));
    let started = Instant::now();
    let figures = load_once(served.address, &first).await;
    println!(
        "cold start: {:.1} ms to listening, first ListImages answered {:.1} ms later ({:.1} ms in all)",
        to_listening.as_secs_f64() * 1000.0,
        figures,
        to_listening.as_secs_f64() * 1000.0 + started.elapsed().as_secs_f64() * 1000.0
    );
    for (name, body) in [
        (
            "SortBy CREATION_TIME",
            serde_json::json!({"MaxResults": 100, "SortBy": "CREATION_TIME"}),
        ),
        (
            "SortBy LAST_MODIFIED_TIME",
            serde_json::json!({"MaxResults": 100, "SortBy": "LAST_MODIFIED_TIME"}),
        ),
        (
            "SortBy IMAGE_NAME",
            serde_json::json!({"MaxResults": 100, "SortBy": "IMAGE_NAME"}),
        ),
        (
            "NameContains 12345",
            serde_json::json!({"MaxResults": 100, "NameContains": "12345"}),
        ),
        (
            "NameContains 345",
            serde_json::json!({"MaxResults": 100, "NameContains": "345"}),
        ),
        (
            "NameContains 345 by name",
            serde_json::json!({"MaxResults": 100, "NameContains": "345", "SortBy": "IMAGE_NAME"}),
        ),
        (
            "NameContains 345 by modified",
            serde_json::json!({"MaxResults": 100, "NameContains": "345", "SortBy": "LAST_MODIFIED_TIME"}),
        ),
        (
            "NameContains age (in every name)",
            serde_json::json!({"MaxResults": 100, "NameContains": "age"}),
        ),
        (
            "NameContains 99",
            serde_json::json!({"MaxResults": 100, "NameContains": "99"}),
        ),
    ] {
        let prepared = prepare(&host, "ListImages", body);
        let mut samples = Vec::new();
        for _ in 0..51 {
            samples.push(load_once(served.address, &prepared).await);
        }
        samples.sort_by(f64::total_cmp);
        println!(
            "ListImages on {count} images, {name:<32} median {:.2} ms",
            samples[samples.len() / 2]
        );
    }
    // The console's catalog view: one page of 25 images, each with its role (DescribeImage) and tags.
    let mut samples = Vec::new();
    let page = "/_sagemaker-images/console/api/images?account=000000000000&region=us-east-1";
    for _ in 0..51 {
        samples.push(get_once(served.address, page).await);
    }
    samples.sort_by(f64::total_cmp);
    println!(
        "console catalog page on {count} images (25 with roles and tags)   median {:.2} ms",
        samples[samples.len() / 2]
    );
    println!(
        "resident memory after the lists: {:.1} MB",
        resident_mb(served.child.id())
    );
}

/// A new HTTP/1.1 connection to `address`, driven in the background.
async fn fresh_connection(
    address: SocketAddr,
) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(address).await.expect("connect");
    let (sender, driver) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(driver);
    sender
}

/// Sends one GET of a control-plane path (as a local caller) on a fresh connection; its latency in ms.
async fn get_once(address: SocketAddr, path: &str) -> f64 {
    let mut sender = fresh_connection(address).await;
    let request = Request::get(path)
        .header("host", address.to_string())
        .body(Full::new(Bytes::new()))
        .expect("request");
    let sent = Instant::now();
    let response = sender.send_request(request).await.expect("send");
    assert!(response.status().is_success(), "{}", response.status());
    let _ = response.into_body().collect().await;
    sent.elapsed().as_secs_f64() * 1000.0
}

/// Sends one request on a fresh connection and returns its latency in milliseconds.
async fn load_once(address: SocketAddr, prepared: &Prepared) -> f64 {
    let mut sender = fresh_connection(address).await;
    let mut builder = Request::post("/");
    for (name, value) in &prepared.headers {
        builder = builder.header(name, value);
    }
    let sent = Instant::now();
    let response = sender
        .send_request(
            builder
                .body(Full::new(prepared.body.clone()))
                .expect("request"),
        )
        .await
        .expect("send");
    assert!(response.status().is_success());
    let _ = response.into_body().collect().await;
    sent.elapsed().as_secs_f64() * 1000.0
}

/// A ten-statement identity policy that allows the bench's calls, with Deny statements that every request
/// is checked against in full (none applies from loopback in us-east-1).
const TEN_STATEMENTS: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["sagemaker:Describe*", "sagemaker:List*"], "Resource": "*"},
  {"Effect": "Allow", "Action": "sagemaker:CreateImage", "Resource": "arn:aws:sagemaker:*:*:image/*",
   "Condition": {"StringEqualsIfExists": {"aws:RequestTag/team": "${aws:username}"}}},
  {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/*",
   "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}},
  {"Effect": "Allow", "Action": "sagemaker:UpdateImage", "Resource": "arn:aws:sagemaker:*:*:image/image-*"},
  {"Effect": "Deny", "Action": "sagemaker:Delete*", "Resource": "arn:aws:sagemaker:*:*:image/prod-*"},
  {"Effect": "Deny", "Action": "*", "Resource": "*",
   "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}}},
  {"Effect": "Deny", "Action": "*", "Resource": "*",
   "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
  {"Effect": "Allow", "Action": "sagemaker:CreateImageVersion", "Resource": "arn:aws:sagemaker:*:*:image/ci-*"},
  {"Effect": "Deny", "Action": "sagemaker:*", "Resource": "arn:aws:sagemaker:*:*:app-image-config/secret-*"},
  {"Effect": "Allow", "Action": "sagemaker:AddTags", "Resource": "*",
   "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "stage"]}}}]}"#;

/// The embedded store's rows: each operation with the answer caches on, then the reads with them off.
/// The rows whose cost is mostly the request path's: UpdateImage, and DescribeImage with and without the
/// answer cache; then DescribeImage by a key with no policy and by one with ten statements.
async fn measure_request_path(seconds: u64, floor: &Served) {
    measure_updates("sqlite UpdateImage", &[], false, seconds, floor).await;
    for (name, args) in [
        ("sqlite DescribeImage", &[][..]),
        (
            "sqlite DescribeImage (no cache)",
            &["--describe-cache", "0"][..],
        ),
    ] {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (served, _) = start_server(data_dir.path(), None, args, false);
        seed(served.address, IMAGES).await;
        let describes = describe_requests(&served.address.to_string());
        measure(name, &served, describes, seconds, floor).await;
    }
    let with_policy = format!("policy = '''{TEN_STATEMENTS}'''\n");
    for (name, policy) in [
        ("sqlite DescribeImage (key, no policy)", ""),
        (
            "sqlite DescribeImage (ten-statement policy)",
            &with_policy[..],
        ),
    ] {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let credentials = data_dir.path().join("credentials.toml");
        let file = format!(
            "[[credentials]]\naccess_key_id = \"test\"\nsecret_access_key = \"test\"\n\
             account_id = \"000000000000\"\n{policy}"
        );
        std::fs::write(&credentials, file).expect("credentials file");
        let path = credentials.to_str().expect("a text path");
        let (served, _) = start_server(data_dir.path(), None, &["--credentials", path], false);
        seed(served.address, IMAGES).await;
        let describes = describe_requests(&served.address.to_string());
        measure(name, &served, describes, seconds, floor).await;
    }
    measure_evaluation();
}

/// The policy's own price, in this process: a DescribeImage's context built and evaluated against the
/// ten statements, the steadier figure beside the rows' CPU time, which moves with the machine.
fn measure_evaluation() {
    use sagemaker_images::authz::{Identity, Policy};
    let policy = Policy::parse(TEN_STATEMENTS).expect("the bench's policy loads");
    let identity = Identity::new("000000000000", "test", vec![policy]);
    let resource = "arn:aws:sagemaker:us-east-1:000000000000:image/image-0000001";
    let source_ip = "127.0.0.1".parse().ok();
    let rounds = 200_000;
    let started = Instant::now();
    for _ in 0..rounds {
        let context = identity.context("us-east-1", source_ip, SystemTime::now());
        let decision = identity.authorize("sagemaker:DescribeImage", resource, &context);
        assert!(std::hint::black_box(decision).is_ok());
    }
    let each = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!("ten-statement policy: context and evaluation of a DescribeImage, {each:.2} µs each (in process)");
}

async fn measure_sqlite(seconds: u64, floor: &Served) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (served, _) = start_server(data_dir.path(), None, &[], false);
    measure_store("sqlite", &served, seconds, floor, None).await;
    println!(
        "sqlite server resident memory: {:.1} MB",
        resident_mb(served.child.id())
    );
    drop(served);

    // DescribeImage again while 200 clients trickle request heads (the goal: latency within 2x).
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (served, _) = start_server(data_dir.path(), None, &[], false);
    seed(served.address, IMAGES).await;
    let trickling = trickle(served.address, 200);
    let describes = describe_requests(&served.address.to_string());
    measure(
        "sqlite DescribeImage, 200 tricklers",
        &served,
        describes,
        seconds,
        floor,
    )
    .await;
    trickling.iter().for_each(|t| t.abort());
    drop(served);

    // Overload: 64 connections against room for 32 requests in flight; the split of answers shows how
    // many were refused with ThrottlingException (the errors) and how fast.
    let overload = ["--max-in-flight", "32"];
    measure_updates(
        "sqlite UpdateImage, 2x in-flight",
        &overload,
        false,
        seconds,
        floor,
    )
    .await;
    measure_ring(seconds, floor).await;
    // The same UpdateImage load with the request log written: its price beside the first row.
    measure_updates(
        "sqlite UpdateImage (request log on)",
        &[],
        true,
        seconds,
        floor,
    )
    .await;

    // The reads again with the caches off: every answer read from the store and serialized.
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (served, _) = start_server(
        data_dir.path(),
        None,
        &["--list-cache", "0", "--describe-cache", "0"],
        false,
    );
    seed(served.address, IMAGES).await;
    measure(
        "sqlite DescribeImage (no cache)",
        &served,
        describe_requests(&served.address.to_string()),
        seconds,
        floor,
    )
    .await;
    let list = prepare(
        &served.address.to_string(),
        "ListImages",
        serde_json::json!({"MaxResults": 100}),
    );
    measure(
        "sqlite ListImages (100 a page, no cache)",
        &served,
        vec![list],
        seconds,
        floor,
    )
    .await;
    drop(served);
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

/// The request a floor server is loaded with: one like the rows' UpdateImage.
fn floor_request(address: SocketAddr) -> Prepared {
    prepare(
        &address.to_string(),
        "UpdateImage",
        serde_json::json!({"ImageName": "floor", "Description": "x"}),
    )
}

/// Loads the floor that runs in this process (no process to read CPU time from).
async fn measure_floor_in_process(address: SocketAddr, seconds: u64) -> Figures {
    load(
        address,
        Arc::new(vec![floor_request(address)]),
        Duration::from_secs(seconds),
    )
    .await
}
