//! CPU time per request, read from `/proc` for the server (split by thread name) and for this process.

use super::*;

/// CPU time spent during a row's load: the server's, by thread name and in all, and the load
/// generator's (this process). Throughput on a shared 2-core machine moves with everything else running;
/// CPU per request is the steadier figure, and its split shows which part of the server a row waits on.
#[derive(Default)]
pub(crate) struct CpuSpent {
    pub(crate) server: f64,
    pub(crate) server_threads: BTreeMap<String, f64>,
    pub(crate) load_generator: f64,
}

impl CpuSpent {
    pub(crate) fn absorb(&mut self, other: CpuSpent) {
        self.server += other.server;
        self.load_generator += other.load_generator;
        for (name, seconds) in other.server_threads {
            *self.server_threads.entry(name).or_default() += seconds;
        }
    }
}

/// One load of `served`, with the CPU time spent meanwhile.
pub(crate) async fn load_counting_cpu(
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

pub(crate) fn print_cpu(figures: &Figures, cpu: &CpuSpent) {
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
pub(crate) fn stat_seconds(path: &str) -> (String, f64) {
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
pub(crate) fn thread_seconds(pid: u32) -> BTreeMap<String, (String, f64)> {
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
