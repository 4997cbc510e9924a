//! Nothing acknowledged is lost: across a clean restart, and across kill -9 in the middle of a write load.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sagemaker::types::ImageStatus;

use crate::common::{code, create_image, spawn_serve, wait_for_exit, Options, Server, ROLE_ARN};

#[tokio::test]
async fn images_survive_a_clean_restart() {
    let mut server = Server::start();
    let client = server.client();
    for i in 0..20 {
        create_image(&client, &format!("img-{i}")).await;
    }
    client
        .update_image()
        .image_name("img-3")
        .description("kept")
        .send()
        .await
        .expect("update");
    client
        .delete_image()
        .image_name("img-4")
        .send()
        .await
        .expect("delete");
    assert!(server.terminate().success(), "SIGTERM exits 0");
    server.restart();

    let client = server.client();
    let listed = client
        .list_images()
        .max_results(100)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.images().len(), 19);
    let image = client
        .describe_image()
        .image_name("img-3")
        .send()
        .await
        .expect("describe");
    assert_eq!(image.description(), Some("kept"));
    let e = client
        .describe_image()
        .image_name("img-4")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFound");
}

#[tokio::test]
async fn kill_9_under_load_loses_nothing_acknowledged() {
    let mut server = Server::start();
    let client = server.client();
    // Every acknowledged write: image name → the description it was last acknowledged with.
    let acknowledged: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let mut writers = Vec::new();
    for writer in 0..8 {
        let (client, acknowledged) = (client.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let name = format!("w{writer}-{i}");
                let description = format!("v{i}");
                let created = client
                    .create_image()
                    .image_name(&name)
                    .role_arn(ROLE_ARN)
                    .description(&description)
                    .send()
                    .await;
                if created.is_err() {
                    return; // The server is gone.
                }
                acknowledged
                    .lock()
                    .unwrap()
                    .insert(name.clone(), description);
                // Rewrite the writer's first image too, so updates are under test as well as inserts.
                let first = format!("w{writer}-0");
                let updated = format!("u{i}");
                if client
                    .update_image()
                    .image_name(&first)
                    .description(&updated)
                    .send()
                    .await
                    .is_err()
                {
                    return;
                }
                acknowledged.lock().unwrap().insert(first, updated);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    for writer in writers {
        writer.await.expect("writer task");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 50,
        "the load made too few writes to mean anything: {}",
        acknowledged.len()
    );

    server.restart();
    let client = server.client();
    for (name, description) in &acknowledged {
        let image = client
            .describe_image()
            .image_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("acknowledged image {name} was lost: {e:?}"));
        // A write in flight at the kill may or may not have landed; an acknowledged one must have.
        let stored = image.description().unwrap_or_default();
        if name.ends_with("-0") {
            let acked: u64 = description[1..].parse().unwrap_or(0);
            let found: u64 = stored.get(1..).and_then(|n| n.parse().ok()).unwrap_or(0);
            assert!(
                stored == description || (stored.starts_with('u') && found >= acked),
                "{name}: stored {stored:?}, last acknowledged {description:?}"
            );
        } else {
            assert_eq!(stored, description, "{name}");
        }
    }
}

#[tokio::test]
async fn a_transition_completes_even_if_the_server_was_killed() {
    let mut server = Server::start_with(Options {
        transition_delay: Some("700ms"),
        ..Default::default()
    });
    create_image(&server.client(), "img").await;
    server.kill9();
    tokio::time::sleep(Duration::from_millis(800)).await;
    server.restart();
    let image = server
        .client()
        .describe_image()
        .image_name("img")
        .send()
        .await
        .expect("describe");
    assert_eq!(image.image_status(), Some(&ImageStatus::Created));
}

/// The embedded store serves one process: a second server on the same data directory would write unseen by
/// the first (whose list cache relies on seeing every change), so it refuses to start and says why.
#[tokio::test]
async fn a_second_process_on_one_data_directory_is_refused() {
    let first = Server::start();
    if first.on_postgres() {
        return;
    }
    create_image(&first.client(), "kept").await;
    let mut second = spawn_serve(&first.data_path(), &["--listen", "127.0.0.1:0"]);
    let (status, stderr) = wait_for_exit(&mut second);
    assert!(!status.success());
    assert!(
        stderr.contains("another process is serving"),
        "stderr: {stderr}"
    );
    // The first server is unaffected.
    let image = first
        .client()
        .describe_image()
        .image_name("kept")
        .send()
        .await
        .expect("describe");
    assert_eq!(image.image_name(), Some("kept"));
}
