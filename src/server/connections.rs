//! Connections: accepted within a cap, served over HTTP/1.1 or HTTP/2 without TLS by hyper under the
//! limits of `config::Limits`, and closed when a request's head is slow to arrive, when a keep-alive
//! connection stays idle, or when shutdown's grace period ends.
//!
//! What a client may hold is bounded: a connection past the cap is closed at once; a connection costs
//! nothing once its head timeout or idle timeout passes, whatever it trickles; and a request body is
//! bounded in size and in read time by the request pipeline (`read_body`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, Response};
use futures_util::task::AtomicWaker;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::config::Limits;
use crate::metrics;

/// The most headers hyper reads in a request head unless told otherwise, and this server's default.
const HYPER_MAX_HEADERS: usize = 100;

/// File descriptors kept free of connections: the store's files, its PostgreSQL connections, logs.
const DESCRIPTOR_HEADROOM: u64 = 256;

/// Raises this process's open-file soft limit to its hard limit, and returns the connection cap that fits
/// under it with headroom.
pub fn connection_cap(configured: u32) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .map(|(soft, _)| soft)
                .unwrap_or(1024)
        }
    };
    let fits = limit.saturating_sub(DESCRIPTOR_HEADROOM).max(1);
    let cap = u64::from(configured).min(fits) as usize;
    tracing::info!(
        open_file_limit = limit,
        connection_cap = cap,
        "open-file limit raised to {limit}; at most {cap} connections"
    );
    cap
}

/// Where a connection is between requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// No request in it: the idle timeout runs.
    Idle = 0,
    /// A request's first bytes have come, its head not all of it: the head timeout runs.
    Head = 1,
    /// A request is being answered: the pipeline's own limits apply.
    Answering = 2,
}

/// What the watchdog of one connection sees of it.
struct Activity {
    started: Instant,
    phase: AtomicU8,
    /// When the phase began, in milliseconds since `started`.
    since: AtomicU64,
    answering: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Activity {
            started: Instant::now(),
            phase: AtomicU8::new(Phase::Idle as u8),
            since: AtomicU64::new(0),
            answering: AtomicUsize::new(0),
        }
    }

    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn enter(&self, phase: Phase) {
        self.since.store(self.now(), Ordering::Relaxed);
        self.phase.store(phase as u8, Ordering::Relaxed);
    }

    /// Bytes came: if no request was under way, one has begun.
    fn read_some(&self) {
        if self.phase.load(Ordering::Relaxed) == Phase::Idle as u8 {
            self.enter(Phase::Head);
        }
    }

    fn request_started(&self) {
        self.answering.fetch_add(1, Ordering::Relaxed);
        // No timeout runs while a request is answered, so the phase's start is not read from the clock.
        self.phase.store(Phase::Answering as u8, Ordering::Relaxed);
    }

    fn request_ended(&self) {
        if self.answering.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.enter(Phase::Idle);
        }
    }

    /// Why the connection must close now, if it must.
    fn overdue(&self, limits: &Limits) -> Option<&'static str> {
        let elapsed = Duration::from_millis(
            self.now()
                .saturating_sub(self.since.load(Ordering::Relaxed)),
        );
        match self.phase.load(Ordering::Relaxed) {
            p if p == Phase::Idle as u8 && elapsed > limits.idle_timeout => Some("idle"),
            p if p == Phase::Head as u8 && elapsed > limits.header_read_timeout => {
                Some("slow request head")
            }
            _ => None,
        }
    }
}

/// A socket that tells its connection's [`Activity`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.read_some();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The HTTP/1.1 and HTTP/2 settings every connection is served with.
fn builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    let mut http1 = builder.http1();
    http1
        .timer(TokioTimer::new())
        // The watchdog times the head from its first byte; hyper's timer would count idle time too.
        .header_read_timeout(None)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    // At its own default, hyper reads a head into an array it leaves uninitialised; any other limit
    // costs an array filled on every request (1,400 instructions of a 75,000-instruction request).
    if limits.max_headers != HYPER_MAX_HEADERS {
        http1.max_headers(limits.max_headers);
    }
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(limits.max_header_bytes.try_into().unwrap_or(u32::MAX))
        .max_concurrent_streams(256)
        .keep_alive_interval(Some(limits.idle_timeout))
        .keep_alive_timeout(limits.header_read_timeout);
    builder
}

/// How often a connection's watchdog looks at it: often enough that a timeout is kept within a quarter of
/// itself.
fn watch_interval(limits: &Limits) -> Duration {
    (limits.header_read_timeout.min(limits.idle_timeout) / 4)
        .clamp(Duration::from_millis(20), Duration::from_secs(1))
}

/// Tells open connections that the server is stopping. A connection looks at one flag each time it is
/// woken and is woken once when the flag is set; a `watch` receiver would instead take a lock shared by
/// every connection on each of those wake-ups, that is on every request.
#[derive(Default)]
struct Stopping {
    stopped: AtomicBool,
    /// The wakers of the connections open now, by connection number.
    wakers: Mutex<HashMap<u64, Arc<AtomicWaker>>>,
    next_connection: AtomicU64,
}

impl Stopping {
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let wakers = self.wakers.lock().unwrap_or_else(|p| p.into_inner());
        wakers.values().for_each(|waker| waker.wake());
    }

    /// A connection's view of the flag, for as long as the connection is open.
    fn watch(self: &Arc<Self>) -> StopWatch {
        let id = self.next_connection.fetch_add(1, Ordering::Relaxed);
        let waker = Arc::new(AtomicWaker::new());
        self.wakers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, waker.clone());
        StopWatch {
            stopping: self.clone(),
            id,
            waker,
        }
    }
}

struct StopWatch {
    stopping: Arc<Stopping>,
    id: u64,
    waker: Arc<AtomicWaker>,
}

impl StopWatch {
    /// Whether the server is stopping; if not, the task of `cx` is woken when it starts to.
    fn stopped(&self, cx: &Context<'_>) -> bool {
        self.waker.register(cx.waker());
        self.stopping.stopped.load(Ordering::SeqCst)
    }
}

impl Drop for StopWatch {
    fn drop(&mut self) {
        self.stopping
            .wakers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

/// Accepts and serves connections until `shutdown` completes; then lets requests in progress finish for
/// the grace period, and closes whatever is left. The handler gets each request with the address its
/// connection came from (`aws:SourceIp`), passed along rather than kept in the request's extensions, whose
/// map would be allocated for every request.
pub async fn serve<H, F>(
    listener: TcpListener,
    limits: Limits,
    cap: usize,
    handler: H,
    shutdown: impl Future<Output = ()>,
) where
    H: Fn(Request<Body>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let limits = Arc::new(limits);
    let builder = Arc::new(builder(&limits));
    let slots = Arc::new(Semaphore::new(cap));
    let stopping = Arc::new(Stopping::default());
    let open = Arc::new(AtomicUsize::new(0));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors or a connection reset before accept: keep serving the others.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            metrics::connection_refused();
            drop(stream); // Past the cap: closed at once, never queued.
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (builder, limits, handler, stop_watch, open) = (
            builder.clone(),
            limits.clone(),
            handler.clone(),
            stopping.watch(),
            open.clone(),
        );
        open.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            let _open = metrics::ConnectionOpen::begin();
            let activity = Arc::new(Activity::new());
            let io = TokioIo::new(Watched {
                stream,
                activity: activity.clone(),
            });
            let watched = activity.clone();
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let (handler, activity) = (handler.clone(), watched.clone());
                activity.request_started();
                async move {
                    let response = handler(request.map(Body::new), peer).await;
                    activity.request_ended();
                    Ok::<_, Infallible>(response)
                }
            });
            let connection = builder.serve_connection_with_upgrades(io, service);
            tokio::pin!(connection);
            let mut ticks = tokio::time::interval(watch_interval(&limits));
            let mut draining = false;
            std::future::poll_fn(|cx| {
                if !draining && stop_watch.stopped(cx) {
                    draining = true;
                    connection.as_mut().graceful_shutdown();
                }
                if connection.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(());
                }
                while ticks.poll_tick(cx).is_ready() {
                    if let Some(reason) = activity.overdue(&limits) {
                        tracing::debug!(reason, "closing a connection");
                        return Poll::Ready(());
                    }
                }
                Poll::Pending
            })
            .await;
            open.fetch_sub(1, Ordering::Relaxed);
            drop(slot);
        });
    }
    drop(listener);
    stopping.stop();
    let deadline = Instant::now() + limits.shutdown_grace;
    while open.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let left = open.load(Ordering::Relaxed);
    if left > 0 {
        tracing::warn!(
            connections = left,
            "closing the connections still open after the shutdown grace period"
        );
    }
}
