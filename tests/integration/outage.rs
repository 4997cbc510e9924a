//! PostgreSQL unreachable while serving: requests fail fast with a retryable error, health says not ready,
//! and service resumes by itself when the database is back; nothing acknowledged is lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::common::{authority, code, Options, Server, ROLE_ARN};

/// A TCP proxy to the database that a test can cut (closing every connection and refusing new ones) and
/// restore, so that no other test loses its database.
struct Proxy {
    port: u16,
    open: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accepting: JoinHandle<()>,
}

impl Proxy {
    async fn to(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("address").port();
        let open = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (is_open, all) = (open.clone(), links.clone());
        let accepting = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !is_open.load(Ordering::SeqCst) {
                    continue; // Dropped: the connection is closed at once.
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut database) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut database).await;
                    }
                });
                all.lock().expect("links").push(link);
            }
        });
        Proxy {
            port,
            open,
            links,
            accepting,
        }
    }

    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accepting.abort();
    }
}

async fn create(client: &aws_sdk_sagemaker::Client, name: &str) -> Result<(), String> {
    client
        .create_image()
        .image_name(name)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| code(&e))
}

// Several threads: the harness blocks its thread while a server starts, and that server reaches its
// database through the proxy, which runs on this runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_fails_requests_fast_and_service_resumes_by_itself() {
    let probe = Server::start();
    let Some(url) = probe.database_url() else {
        return; // The embedded store has no database to lose.
    };
    let proxy = Proxy::to(authority(&url)).await;
    let mut server = Server::start_sharing(
        &probe,
        Options {
            database_port: Some(proxy.port),
            ..Default::default()
        },
    );
    let client = server.client();
    let mut acknowledged = Vec::new();
    for i in 0..5 {
        let name = format!("before-{i}");
        create(&client, &name).await.expect("create");
        acknowledged.push(name);
    }

    proxy.cut();
    for i in 0..3 {
        let started = Instant::now();
        let refused = create(&client, &format!("during-{i}")).await;
        assert_eq!(
            refused,
            Err("ServiceUnavailable".to_owned()),
            "a retryable error"
        );
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no request hangs: {:?}",
            started.elapsed()
        );
    }
    let health = server
        .raw()
        .control("GET", "/_sagemaker-images/health", None)
        .await;
    assert_eq!(health.status, 503, "{}", health.text);
    assert_eq!(health.body["services"]["sagemaker"], "error");

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match create(&client, "after").await {
            Ok(()) => break,
            Err(code) => {
                assert_eq!(code, "ServiceUnavailable");
                assert!(Instant::now() < deadline, "service did not resume");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    acknowledged.push("after".to_owned());
    let health = server
        .raw()
        .control("GET", "/_sagemaker-images/health", None)
        .await;
    assert_eq!(health.status, 200);

    for check in [server.client(), probe.client()] {
        for name in &acknowledged {
            check
                .describe_image()
                .image_name(name)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{name} lost: {e:?}"));
        }
    }
    server.kill9();
    server.restart();
    for name in &acknowledged {
        server
            .client()
            .describe_image()
            .image_name(name)
            .send()
            .await
            .expect("kept over a restart");
    }
}
