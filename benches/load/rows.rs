//! The rows of the embedded and PostgreSQL stores, each measured in one-second slices alternated with the floor's.

use super::*;

pub(crate) fn print_row(name: &str, figures: &Figures, floor: f64) {
    println!(
        "{name:<34} {:>10.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ratio {:>5.2}  errors {}",
        figures.rps(),
        figures.percentile(0.50),
        figures.percentile(0.99),
        figures.rps() / floor,
        figures.errors
    );
}

pub(crate) async fn seed(address: SocketAddr, count: usize) {
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

pub(crate) async fn measure_store(
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
pub(crate) async fn measure_updates(
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
pub(crate) async fn measure_ring(seconds: u64, floor: &Served) {
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
pub(crate) fn update_requests(host: &str) -> Vec<Prepared> {
    (0..IMAGES)
        .map(|i| {
            prepare(host, "UpdateImage", serde_json::json!({"ImageName": format!("image-{i:07}"), "Description": format!("revision {i}")}))
        })
        .collect()
}

/// DescribeImage of each seeded image.
pub(crate) fn describe_requests(host: &str) -> Vec<Prepared> {
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
pub(crate) const SLICE: Duration = Duration::from_secs(1);

/// Loads `served` with `requests` for `seconds` one-second slices, each preceded by a slice of the floor,
/// and prints the figures with their ratio to the floor measured beside them. This machine's speed drifts
/// within one run (the floor moved from 34k to 47k req/s in one session's run); slices taken side by side
/// see the same machine, where a floor measured once at the start would not.
pub(crate) async fn measure(
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
pub(crate) struct WalWatch {
    pub(crate) stop: Arc<std::sync::atomic::AtomicBool>,
    pub(crate) sampler: tokio::task::JoinHandle<u64>,
}

impl WalWatch {
    pub(crate) fn start(path: std::path::PathBuf) -> WalWatch {
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

    pub(crate) async fn largest(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.sampler.await.unwrap_or(0)
    }
}

/// Keeps `count` connections open that each trickle one byte of a request head a second, as a slow or
/// hostile client would, reconnecting whenever the server cuts one off.
pub(crate) fn trickle(address: SocketAddr, count: usize) -> Vec<tokio::task::JoinHandle<()>> {
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
pub(crate) async fn measure_floor_alone(floor: &Served, seconds: u64) -> f64 {
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

pub(crate) async fn measure_sqlite(seconds: u64, floor: &Served) {
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

/// Loads the floor that runs in this process (no process to read CPU time from).
pub(crate) async fn measure_floor_in_process(address: SocketAddr, seconds: u64) -> Figures {
    load(
        address,
        Arc::new(vec![floor_request(address)]),
        Duration::from_secs(seconds),
    )
    .await
}
