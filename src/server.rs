//! The HTTP server: listener, request pipeline (body → SigV4 → target → operation → answer), graceful
//! shutdown. Wires configuration, credentials, store and service together.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, Response};
use axum::Router;
use futures_util::FutureExt;
use tokio::net::TcpListener;

use crate::auth::{self, Credentials};
use crate::config::{ServeArgs, StoreArgs};
use crate::domain::Scope;
use crate::ops::{Answer, Service};
use crate::protocol::{self, ApiError};
use crate::store::{PostgresStore, SqliteStore, Store};

struct App<S> {
    verifier: auth::Verifier,
    service: Service<S>,
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
    let app = Arc::new(App {
        verifier: auth::Verifier::new(credentials),
        service: Service::new(
            store,
            args.transition_delay,
            args.list_cache,
            args.describe_cache,
        ),
    });
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
    let request_id = uuid::Uuid::new_v4().to_string();
    let caller = protocol::Caller::of(request.headers());
    // A panic must never reach the client as a dropped connection: it becomes InternalFailure.
    let outcome = match AssertUnwindSafe(answer(app, request)).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(_) => {
            tracing::error!("request handler panicked");
            Err(ApiError::internal())
        }
    };
    match outcome {
        Ok(answer) => protocol::success(&request_id, answer.into_bytes()),
        Err(error) => {
            tracing::debug!(
                code = error.code(),
                message = error.message(),
                "request refused"
            );
            protocol::failure(&request_id, &error, caller)
        }
    }
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

async fn answer<S: Store>(app: Arc<App<S>>, request: Request) -> Result<Answer, ApiError> {
    let (parts, body) = request.into_parts();
    let body = read_body(body).await?;
    let uri = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let principal = app.verifier.verify(
        parts.method.as_str(),
        uri,
        &parts.headers,
        &body,
        SystemTime::now(),
    )?;
    if parts.method != Method::POST || parts.uri.path() != "/" {
        return Err(ApiError::UnknownOperation(format!(
            "{} {} is not an operation of this service; send POST / with X-Amz-Target.",
            parts.method,
            parts.uri.path()
        )));
    }
    let operation = protocol::operation_name(&parts.headers)?;
    let input = protocol::parse_body(&body)?;
    let scope = Scope {
        account_id: principal.account_id,
        region: principal.region,
    };
    app.service.call(&scope, operation, input).await
}
