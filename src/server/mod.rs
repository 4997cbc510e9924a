//! The HTTP server: the request pipeline (body → SigV4 → target → operation → answer, or the control plane),
//! graceful shutdown. Wires configuration, credentials, store and service together; `connections` accepts
//! and serves the connections themselves.

mod authorization;
mod connections;

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, Response};
use bytes::Bytes;
use futures_util::FutureExt;
use tokio::net::TcpListener;

use crate::auth::{self, Credentials};
use crate::config::{ServeArgs, StoreArgs};
use crate::console::{self, requests::CappedBody, requests::RecordedRequest, Console};
use crate::control;
use crate::domain::Scope;
use crate::metrics;
use crate::model::{Operation, RequestError, Target};
use crate::ops::Service;
use crate::protocol::{self, ApiError, Reply};
use crate::store::{Store, DEFAULT_WAL_LIMIT};

struct App {
    verifier: auth::Verifier,
    service: Service,
    access: control::Access,
    control_hosts: control::AllowedHosts,
    used_signatures: control::UsedSignatures,
    faults: control::Faults,
    console: Console,
    log_requests: bool,
    request_read_timeout: Duration,
    /// API requests in progress, and how many may be.
    in_flight: AtomicUsize,
    max_in_flight: usize,
}

/// Runs the server until SIGTERM or Ctrl-C; in-flight requests finish before it returns.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let credentials = args.credentials()?;
    match &args.store.database_url {
        Some(url) => {
            let store = Store::connect_postgres(
                url,
                args.store.database_wait,
                args.store.database_connections.into(),
            )
            .await?;
            run(args, credentials, store).await
        }
        None => {
            let store = Store::open_sqlite(&args.store.data_dir, args.store.wal_limit)?;
            run(args, credentials, store).await
        }
    }
}

/// Opens the selected store, which applies pending migrations, and returns.
pub async fn migrate(args: StoreArgs) -> anyhow::Result<()> {
    match &args.database_url {
        Some(url) => drop(
            Store::connect_postgres(url, args.database_wait, args.database_connections.into())
                .await?,
        ),
        None => drop(Store::open_sqlite(&args.data_dir, DEFAULT_WAL_LIMIT)?),
    }
    println!("migrations applied to the {}", args.describe());
    Ok(())
}

async fn run(args: ServeArgs, credentials: Credentials, store: Store) -> anyhow::Result<()> {
    let access = match args.credentials {
        Some(_) => control::Access::Administrators,
        None => control::Access::LocalCallers,
    };
    let app = Arc::new(App {
        verifier: auth::Verifier::new(credentials),
        service: Service::new(
            store,
            args.transition_delay,
            args.list_cache,
            args.describe_cache,
        ),
        access,
        control_hosts: args.control_hosts.clone(),
        used_signatures: control::UsedSignatures::default(),
        faults: control::Faults::default(),
        console: Console::new(args.request_log_size),
        log_requests: args.log_requests,
        request_read_timeout: args.limits.request_read_timeout,
        in_flight: AtomicUsize::new(0),
        max_in_flight: args.limits.max_in_flight as usize,
    });
    metrics::install();
    if let Some(path) = &args.init_state {
        let text = std::fs::read(path).map_err(|e| {
            anyhow::anyhow!("cannot read the initial state {}: {e}", path.display())
        })?;
        let document: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
            anyhow::anyhow!("the initial state {} is not JSON: {e}", path.display())
        })?;
        let checked = control::state::checked(&document);
        let applied = match checked {
            Ok(checked) => control::state::apply(&app.service, checked).await,
            Err(refused) => Err(refused),
        }
        .map_err(|e| {
            anyhow::anyhow!(
                "the initial state {} was refused: {}: {}",
                path.display(),
                e.code(),
                e.message()
            )
        })?;
        tracing::info!(
            created = applied.created.len(),
            existing = applied.existing.len(),
            "initial state applied"
        );
    }
    let cap = connections::connection_cap(args.limits.max_connections);
    let listener = TcpListener::bind(args.listen).await?;
    let address = listener.local_addr()?;
    // Printed for people and for tests that start the server on port 0.
    println!("sagemaker-images listening on http://{address}");
    tracing::info!(%address, store = %args.store.describe(), "serving");
    let handler =
        move |request: Request<Body>, peer: SocketAddr| handle(app.clone(), request, peer);
    connections::serve(
        listener,
        args.limits.clone(),
        cap,
        handler,
        shutdown_signal(args.exit_with_parent),
    )
    .await;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C, or, with `exit_with_parent`, once the process that started this one
/// has gone (this process is then given to another parent).
async fn shutdown_signal(exit_with_parent: bool) {
    let parent_gone = async {
        if !exit_with_parent {
            return std::future::pending().await;
        }
        let parent = std::os::unix::process::parent_id();
        while std::os::unix::process::parent_id() == parent {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tracing::info!("the parent process has gone");
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate => {},
        _ = parent_gone => {},
    }
    tracing::info!("shutting down: no new connections, finishing requests in flight");
}

async fn handle(app: Arc<App>, request: Request<Body>, peer: SocketAddr) -> Response<Body> {
    let started = Instant::now();
    let arrived = SystemTime::now();
    let mut request_id = uuid::Uuid::encode_buffer();
    let request_id: &str = uuid::Uuid::new_v4()
        .hyphenated()
        .encode_lower(&mut request_id);
    let mut trace = RequestTrace::default();
    let under_control = control::is_control_path(request.uri().path());
    // A panic must never reach the client as a dropped connection: it becomes InternalFailure.
    let outcome = match AssertUnwindSafe(answer(&app, request, peer, arrived, &mut trace))
        .catch_unwind()
        .await
    {
        Ok(outcome) => outcome,
        Err(_) => {
            tracing::error!("request handler panicked");
            Err(ApiError::internal())
        }
    };
    let mut response = match &outcome {
        Ok(reply) => protocol::reply(request_id, reply.clone()),
        Err(error) => protocol::failure(request_id, error),
    };
    if under_control {
        // Every answer under the control plane's paths, errors too, as a browser might render it.
        for (name, value) in console::security_headers() {
            response.headers_mut().insert(name, value);
        }
    }
    if let Err(ApiError::RequestTooLarge(_) | ApiError::RequestTimeout(_)) = &outcome {
        // The rest of the body is not read: the connection cannot carry another request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let error = outcome.as_ref().err();
    let took = started.elapsed();
    // Inner layers say what failed in their errors; it is logged here, where the request is answered.
    if let Some(cause) = error.and_then(ApiError::cause) {
        tracing::error!(%cause, request_id, "the store failed");
    }
    if trace.control_path.is_none() {
        metrics::request(trace.target.as_ref(), error.map(ApiError::code), took);
        if let Some(ApiError::NotAuthorized(_)) = error {
            metrics::denied(trace.target.as_ref());
        }
    }
    // The console polls while it is open: its own reads would bury the lines people read the log for.
    if app.log_requests && !trace.console {
        log_request(&trace, &response, error, took);
    }
    if trace.control_path.is_none() && app.console.requests.is_enabled() {
        record_request(
            &app.console,
            trace,
            &outcome,
            response.status().as_u16(),
            crate::domain::millis_at(arrived),
            took,
        );
    }
    response
}

/// Adds the request to the console's ring: what it asked and what it got, never its headers.
fn record_request(
    console: &Console,
    trace: RequestTrace,
    outcome: &Result<Reply, ApiError>,
    status: u16,
    arrived: crate::domain::Millis,
    took: Duration,
) {
    let (response_body, error) = match outcome {
        Ok(reply) => (Some(reply.body.clone()), None),
        Err(error) => (
            Some(protocol::error_body(error, &error.recorded_message()).into()),
            Some(error),
        ),
    };
    let (account, region) = match trace.scope {
        Some(scope) => (Some(scope.account_id), Some(scope.region)),
        None => (None, None),
    };
    console.requests.record(
        RecordedRequest {
            id: 0,
            time: arrived,
            access_key: trace.access_key,
            account,
            region,
            operation: trace.target.map(|target| target.as_str().to_owned()),
            status,
            error_code: error.map(|e| e.code().to_owned()),
            error_message: error.map(|e| e.recorded_message().into_owned()),
            denied: matches!(error, Some(ApiError::NotAuthorized(_))),
            latency_micros: took.as_micros().try_into().unwrap_or(u64::MAX),
            request_body: trace.request_body,
            response_body: None,
        },
        response_body.as_ref(),
    );
}

/// What the pipeline learnt of a request before it was answered: for its log line, its metrics and the
/// console's request ring.
#[derive(Default)]
struct RequestTrace {
    target: Option<Target>,
    scope: Option<Scope>,
    /// The access key that signed the request.
    access_key: Option<String>,
    control_path: Option<String>,
    /// The request body as the console's ring keeps it (when the ring is on).
    request_body: Option<CappedBody>,
    /// A request of the web console (its page, its JSON, its login).
    console: bool,
}

/// One line per request, as LocalStack logs its calls:
/// `sagemaker.CreateImage 000000000000/us-east-1 => 400 ResourceInUse (0.4 ms)`.
fn log_request(
    trace: &RequestTrace,
    response: &Response<Body>,
    error: Option<&ApiError>,
    took: Duration,
) {
    // Nothing is formatted for a line that `RUST_LOG` would drop.
    if !tracing::enabled!(target: "sagemaker_images::requests", tracing::Level::INFO) {
        return;
    }
    let millis = took.as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    let code = error.map(ApiError::code).unwrap_or("");
    let what = match (&trace.target, &trace.control_path) {
        (Some(Target::Operation(operation)), _) => format!("sagemaker.{}", operation.as_str()),
        // A target that names no operation is the caller's text: escaped, so that it cannot forge a line.
        (Some(Target::Unknown(text)), _) => format!("sagemaker.{text:?}"),
        (None, Some(path)) => format!("control {path}"),
        (None, None) => "sagemaker.?".to_owned(),
    };
    let scope = trace
        .scope
        .as_ref()
        .map(|s| format!("{}/{}", s.account_id, s.region))
        .unwrap_or_else(|| "-".to_owned());
    tracing::info!(
        target: "sagemaker_images::requests",
        "{what} {scope} => {status}{}{code} ({millis:.1} ms)",
        if code.is_empty() { "" } else { " " }
    );
}

/// Counts an API request in progress for as long as it lives.
struct InFlight<'a> {
    count: &'a AtomicUsize,
    _metric: metrics::InFlight,
}

impl<'a> InFlight<'a> {
    /// Takes a place among the requests in progress, if one is free.
    fn enter(count: &'a AtomicUsize, max: usize) -> Option<Self> {
        let guard = InFlight {
            count,
            _metric: metrics::InFlight::begin(),
        };
        (count.fetch_add(1, Ordering::AcqRel) < max).then_some(guard)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The request body, at most `MAX_BODY_BYTES` of it, read within `timeout`. A body whose Content-Length
/// is larger is refused before any of it is read; one that passes the limit as it arrives (chunked) is
/// refused as soon as it does. Either way the connection is closed after the answer, so that a client
/// never makes the server read more than the limit.
async fn read_body(
    body: Body,
    declared: Option<u64>,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    use axum::body::HttpBody;
    let too_large = || {
        ApiError::RequestTooLarge(format!(
            "Request body must be at most {} bytes.",
            protocol::MAX_BODY_BYTES
        ))
    };
    if declared.is_some_and(|length| length > protocol::MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let collect = async {
        let mut body = body;
        // A body that arrives in one piece (the usual case) is kept as it came, not copied.
        let mut first: Option<Bytes> = None;
        let mut joined = Vec::new();
        while let Some(frame) =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
        {
            // A body that breaks off cannot be answered anyway; the client has gone.
            let Ok(frame) = frame else {
                return Err(too_large());
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let read = first.as_ref().map_or(joined.len(), Bytes::len);
            if read + data.len() > protocol::MAX_BODY_BYTES {
                return Err(too_large());
            }
            match first.take() {
                None if joined.is_empty() => first = Some(data),
                earlier => {
                    joined.extend_from_slice(earlier.as_deref().unwrap_or_default());
                    joined.extend_from_slice(&data);
                }
            }
        }
        Ok(first.unwrap_or_else(|| joined.into()))
    };
    match tokio::time::timeout(timeout, collect).await {
        Ok(read) => read,
        Err(_) => Err(ApiError::RequestTimeout(format!(
            "The request body was not read within {}.",
            humantime::format_duration(timeout)
        ))),
    }
}

/// Runs one request that arrived at `arrived` (the time its signature is checked against).
async fn answer(
    app: &App,
    request: Request<Body>,
    peer: SocketAddr,
    arrived: SystemTime,
    trace: &mut RequestTrace,
) -> Result<Reply, ApiError> {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = read_body(body, declared, app.request_read_timeout).await?;
    let uri = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    if control::is_control_path(parts.uri.path()) {
        trace.control_path = Some(format!("{} {}", parts.method, parts.uri.path()));
        let control = control::Control {
            service: &app.service,
            verifier: &app.verifier,
            access: app.access,
            faults: &app.faults,
            sessions: &app.console.sessions,
            hosts: &app.control_hosts,
            used_signatures: &app.used_signatures,
        };
        let request = control::ControlRequest {
            method: &parts.method,
            authority: parts.uri.authority().map(|a| a.as_str()),
            uri,
            path: parts.uri.path(),
            headers: &parts.headers,
            body: &body,
        };
        if console::is_console_path(parts.uri.path()) {
            trace.console = true;
            return console::handle(&app.console, &control, &request).await;
        }
        return control.handle(&request).await;
    }
    trace.request_body = app.console.requests.capture(&body);
    // Past the bound, answered at once and not applied, so that SDKs back off and retry.
    let Some(_in_flight) = InFlight::enter(&app.in_flight, app.max_in_flight) else {
        metrics::throttled();
        return Err(ApiError::Throttling("Rate exceeded".to_owned()));
    };
    let principal = app.verifier.verify(
        parts.method.as_str(),
        uri,
        &parts.headers,
        &body,
        arrived,
        auth::API_SIGNED_HEADERS,
    )?;
    trace.access_key = Some(principal.access_key_id);
    let scope = trace.scope.insert(Scope {
        account_id: principal.account_id,
        region: principal.region,
    });
    if parts.method != Method::POST || parts.uri.path() != "/" {
        return Err(ApiError::UnknownOperation(format!(
            "{} {} is not an operation of this service; send POST / with X-Amz-Target.",
            parts.method,
            parts.uri.path()
        )));
    }
    let target = trace.target.insert(protocol::target(&parts.headers)?);
    // A key with policies is authorised before any fault is drawn and before validation, as AWS
    // authorises: a refused call changes nothing.
    let authorised_input = match (&principal.identity, target.operation()) {
        (Some(identity), Some(name)) => {
            let input = protocol::parse_body(&body)?;
            let arrival = authorization::Arrival {
                source_ip: Some(peer.ip()),
                time: arrived,
            };
            let store = app.service.store();
            authorization::authorize(store, identity, scope, name, &input, &arrival).await?;
            Some(input)
        }
        _ => None,
    };
    // A faulted call is answered before it is validated or run: it changes nothing.
    let (delay, fault) = app.faults.draw(target, &scope.region);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(fault) = fault {
        return Err(fault);
    }
    let input = match authorised_input {
        Some(input) => input,
        None => protocol::parse_body(&body)?,
    };
    // Typed and checked against the model in one pass; an operation the model lacks is refused here,
    // after the body, as AWS refuses it.
    let operation = match target {
        Target::Operation(name) => Operation::read(*name, &input)?,
        Target::Unknown(name) => {
            return Err(RequestError::UnknownOperation(name.to_string()).into());
        }
    };
    let output = app.service.call(scope, operation).await?;
    Ok(Reply::api(output.into_bytes()))
}
