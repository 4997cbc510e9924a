//! The HTTP server: listener, request pipeline (body → SigV4 → target → operation → answer), graceful
//! shutdown. Wires configuration, credentials, store and service together.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, Response};
use axum::Router;
use futures_util::FutureExt;
use tokio::net::TcpListener;

use crate::auth::{self, Credentials};
use crate::config::{ServeArgs, StoreArgs};
use crate::control;
use crate::domain::Scope;
use crate::ops::{Answer, Service};
use crate::protocol::{self, ApiError};
use crate::store::{PostgresStore, SqliteStore, Store};

struct App<S> {
    verifier: auth::Verifier,
    service: Service<S>,
    access: control::Access,
    faults: control::Faults,
    log_requests: bool,
}

/// Runs the server until SIGTERM or Ctrl-C; in-flight requests finish before it returns.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let credentials = args.credentials()?;
    match &args.store.database_url {
        Some(url) => {
            let store = PostgresStore::connect(
                url,
                args.store.database_wait,
                args.store.database_connections.into(),
            )
            .await?;
            run(args, credentials, store).await
        }
        None => {
            let store = SqliteStore::open(&args.store.data_dir)?;
            run(args, credentials, store).await
        }
    }
}

/// Opens the selected store, which applies pending migrations, and returns.
pub async fn migrate(args: StoreArgs) -> anyhow::Result<()> {
    match &args.database_url {
        Some(url) => drop(
            PostgresStore::connect(url, args.database_wait, args.database_connections.into())
                .await?,
        ),
        None => drop(SqliteStore::open(&args.data_dir)?),
    }
    println!("migrations applied to the {}", args.describe());
    Ok(())
}

async fn run<S: Store>(args: ServeArgs, credentials: Credentials, store: S) -> anyhow::Result<()> {
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
        faults: control::Faults::default(),
        log_requests: args.log_requests,
    });
    if let Some(path) = &args.init_state {
        let text = std::fs::read(path).map_err(|e| {
            anyhow::anyhow!("cannot read the initial state {}: {e}", path.display())
        })?;
        let document: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
            anyhow::anyhow!("the initial state {} is not JSON: {e}", path.display())
        })?;
        let applied = control::state::apply(&app.service, &document)
            .await
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
    let listener = TcpListener::bind(args.listen).await?;
    let address = listener.local_addr()?;
    // Printed for people and for tests that start the server on port 0.
    println!("sagemaker-images listening on http://{address}");
    tracing::info!(%address, store = %args.store.describe(), "serving");
    let router = Router::new().fallback(handle::<S>).with_state(app);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(signal) => signal,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down: no new connections, finishing requests in flight");
}

async fn handle<S: Store>(State(app): State<Arc<App<S>>>, request: Request) -> Response<Body> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut seen = Seen::default();
    // A panic must never reach the client as a dropped connection: it becomes InternalFailure.
    let outcome = match AssertUnwindSafe(answer(&app, request, &mut seen))
        .catch_unwind()
        .await
    {
        Ok(outcome) => outcome,
        Err(_) => {
            tracing::error!("request handler panicked");
            Err(ApiError::internal())
        }
    };
    let response = match &outcome {
        Ok(Answered::Api(answer)) => protocol::success(&request_id, answer.clone().into_bytes()),
        Ok(Answered::Control(status, body)) => protocol::control_answer(&request_id, *status, body),
        Err(error) => protocol::failure(&request_id, error),
    };
    if app.log_requests {
        log_request(&seen, &response, outcome.as_ref().err(), started);
    }
    response
}

/// What the pipeline learnt of a request before it was answered, for the request log.
#[derive(Default)]
struct Seen {
    operation: Option<String>,
    scope: Option<Scope>,
    control_path: Option<String>,
}

/// One line per request, as LocalStack logs its calls:
/// `sagemaker.CreateImage 000000000000/us-east-1 => 400 ResourceInUse (0.4 ms)`.
fn log_request(seen: &Seen, response: &Response<Body>, error: Option<&ApiError>, started: Instant) {
    // Nothing is formatted for a line that `RUST_LOG` would drop.
    if !tracing::enabled!(target: "sagemaker_images::requests", tracing::Level::INFO) {
        return;
    }
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    let code = error.map(ApiError::code).unwrap_or("");
    let what = match (&seen.operation, &seen.control_path) {
        (Some(operation), _) => format!("sagemaker.{operation}"),
        (None, Some(path)) => format!("control {path}"),
        (None, None) => "sagemaker.?".to_owned(),
    };
    let scope = seen
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

enum Answered {
    Api(Answer),
    Control(axum::http::StatusCode, serde_json::Value),
}

/// How much of an oversized body is read and discarded before answering 413. Without this the client is
/// usually still writing when the connection closes and sees a broken pipe instead of our answer.
const MAX_DISCARDED_BYTES: usize = 64 * 1024 * 1024;

/// The request body, at most `MAX_BODY_BYTES` of it. A larger body is read to its end (up to
/// `MAX_DISCARDED_BYTES`) so that the client can read the RequestEntityTooLargeException that follows.
async fn read_body(mut body: Body) -> Result<Vec<u8>, ApiError> {
    use axum::body::HttpBody;
    let too_large = || {
        ApiError::RequestTooLarge(format!(
            "Request body must be at most {} bytes.",
            protocol::MAX_BODY_BYTES
        ))
    };
    let mut collected = Vec::new();
    let mut received = 0usize;
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
        received = received.saturating_add(data.len());
        if received <= protocol::MAX_BODY_BYTES {
            collected.extend_from_slice(&data);
        } else if received > MAX_DISCARDED_BYTES {
            break;
        }
    }
    if received > protocol::MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(collected)
}

async fn answer<S: Store>(
    app: &App<S>,
    request: Request,
    seen: &mut Seen,
) -> Result<Answered, ApiError> {
    let (parts, body) = request.into_parts();
    let body = read_body(body).await?;
    let uri = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    if control::is_control_path(parts.uri.path()) {
        seen.control_path = Some(format!("{} {}", parts.method, parts.uri.path()));
        let control = control::Control {
            service: &app.service,
            verifier: &app.verifier,
            access: app.access,
            faults: &app.faults,
        };
        let request = control::ControlRequest {
            method: &parts.method,
            uri,
            path: parts.uri.path(),
            headers: &parts.headers,
            body: &body,
        };
        let (status, answer) = control.handle(&request).await?;
        return Ok(Answered::Control(status, answer));
    }
    let principal = app.verifier.verify(
        parts.method.as_str(),
        uri,
        &parts.headers,
        &body,
        SystemTime::now(),
        auth::API_SIGNED_HEADERS,
    )?;
    let scope = Scope {
        account_id: principal.account_id,
        region: principal.region,
    };
    seen.scope = Some(scope.clone());
    if parts.method != Method::POST || parts.uri.path() != "/" {
        return Err(ApiError::UnknownOperation(format!(
            "{} {} is not an operation of this service; send POST / with X-Amz-Target.",
            parts.method,
            parts.uri.path()
        )));
    }
    let operation = protocol::operation_name(&parts.headers)?;
    seen.operation = Some(operation.to_owned());
    // A faulted call is answered before it is validated or run: it changes nothing.
    let (delay, fault) = app.faults.draw(operation, &scope.region);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(fault) = fault {
        return Err(fault);
    }
    let input = protocol::parse_body(&body)?;
    app.service
        .call(&scope, operation, input)
        .await
        .map(Answered::Api)
}
