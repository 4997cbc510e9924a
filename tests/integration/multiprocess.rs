//! Several server processes on one PostgreSQL database behave as one service: races across processes have
//! one winner that every process sees, version numbers stay unique, and killing one process loses nothing
//! it acknowledged. These tests need the PostgreSQL store; on the embedded store they say so and return.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sagemaker::types::ImageStatus;

use crate::common::{
    code, create_image, list_tags, tag, Options, Server, DATABASE_URL_VAR, ROLE_ARN,
};

/// Two processes on one database, or `None` (with a loud note) when the suite runs on SQLite.
fn two_processes(options: Options) -> Option<(Server, Server)> {
    let first = Server::start_with(options.clone());
    if !first.on_postgres() {
        eprintln!(
            "SKIPPED: multi-process tests need PostgreSQL; set {DATABASE_URL_VAR} to run them"
        );
        return None;
    }
    let second = Server::start_sharing(&first, options);
    Some((first, second))
}

/// The racer whose call succeeded, asserting there is exactly one and every other got ResourceInUse.
fn the_one_winner(results: &[Result<usize, String>]) -> usize {
    let winners: Vec<usize> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|c| c == "ResourceInUse"),
        "{results:?}"
    );
    winners[0]
}

#[tokio::test]
async fn racing_creates_across_processes_have_one_winner() {
    let Some((a, b)) = two_processes(Options::default()) else {
        return;
    };
    let clients = [a.client(), b.client()];
    let results = futures::future::join_all((0..16).map(|i| {
        let client = clients[i % 2].clone();
        async move {
            client
                .create_image()
                .image_name("contested")
                .role_arn(ROLE_ARN)
                .description(format!("writer {i}"))
                .send()
                .await
                .map(|_| i)
                .map_err(|e| code(&e))
        }
    }))
    .await;
    let winner = the_one_winner(&results);
    let expected = format!("writer {winner}");
    for client in &clients {
        let image = client
            .describe_image()
            .image_name("contested")
            .send()
            .await
            .expect("describe");
        assert_eq!(image.description(), Some(expected.as_str()));
    }
}

#[tokio::test]
async fn racing_updates_across_processes_have_one_winner() {
    let Some((a, b)) = two_processes(Options {
        transition_delay: Some("3s"),
        ..Default::default()
    }) else {
        return;
    };
    let clients = [a.client(), b.client()];
    create_image(&clients[0], "img").await;
    for _ in 0..100 {
        let image = clients[1]
            .describe_image()
            .image_name("img")
            .send()
            .await
            .expect("describe");
        if image.image_status() == Some(&ImageStatus::Created) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let results = futures::future::join_all((0..16).map(|i| {
        let client = clients[i % 2].clone();
        async move {
            client
                .update_image()
                .image_name("img")
                .description(format!("writer {i}"))
                .send()
                .await
                .map(|_| i)
                .map_err(|e| code(&e))
        }
    }))
    .await;
    let winner = the_one_winner(&results);
    let expected = format!("writer {winner}");
    for client in &clients {
        let image = client
            .describe_image()
            .image_name("img")
            .send()
            .await
            .expect("describe");
        assert_eq!(image.description(), Some(expected.as_str()));
        assert_eq!(image.image_status(), Some(&ImageStatus::Updating));
    }
}

#[tokio::test]
async fn racing_app_image_config_creates_across_processes_have_one_winner() {
    let Some((a, b)) = two_processes(Options::default()) else {
        return;
    };
    let clients = [a.client(), b.client()];
    let results = futures::future::join_all((0..16).map(|i| {
        let client = clients[i % 2].clone();
        async move {
            client
                .create_app_image_config()
                .app_image_config_name("contested")
                .tags(tag("writer", &i.to_string()))
                .send()
                .await
                .map(|_| i)
                .map_err(|e| code(&e))
        }
    }))
    .await;
    let winner = the_one_winner(&results);
    let arn = clients[0]
        .describe_app_image_config()
        .app_image_config_name("contested")
        .send()
        .await
        .expect("describe")
        .app_image_config_arn()
        .expect("arn")
        .to_owned();
    // The winner's tags, and only them: a loser's create wrote nothing.
    assert_eq!(
        list_tags(&clients[1], &arn).await,
        vec![("writer".to_owned(), winner.to_string())]
    );
}

/// Each AddTags reads the image's tags and writes the new set: without the image's row lock, two processes
/// deciding on the same old set would each drop the other's key.
#[tokio::test]
async fn racing_tag_additions_across_processes_keep_every_tag() {
    let Some((a, b)) = two_processes(Options::default()) else {
        return;
    };
    let clients = [a.client(), b.client()];
    create_image(&clients[0], "tagged").await;
    let arn = clients[0]
        .describe_image()
        .image_name("tagged")
        .send()
        .await
        .expect("describe")
        .image_arn()
        .expect("arn")
        .to_owned();
    let results = futures::future::join_all((0..24).map(|i| {
        let (client, arn) = (clients[i % 2].clone(), arn.clone());
        async move {
            client
                .add_tags()
                .resource_arn(arn)
                .tags(tag(&format!("key-{i:02}"), "v"))
                .send()
                .await
                .map_err(|e| code(&e))
        }
    }))
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let mut keys: Vec<String> = list_tags(&clients[1], &arn)
        .await
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    keys.sort();
    let expected: Vec<String> = (0..24).map(|i| format!("key-{i:02}")).collect();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn version_numbers_are_unique_across_processes() {
    let Some((a, b)) = two_processes(Options::default()) else {
        return;
    };
    let clients = [a.client(), b.client()];
    create_image(&clients[0], "img").await;
    let results = futures::future::join_all((0..20).map(|i| {
        let client = clients[i % 2].clone();
        async move {
            client
                .create_image_version()
                .image_name("img")
                .base_image(format!(
                    "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:{i}"
                ))
                .send()
                .await
                .map(|out| out.image_version_arn().unwrap_or_default().to_owned())
                .map_err(|e| code(&e))
        }
    }))
    .await;
    let mut numbers: Vec<u32> = results
        .iter()
        .map(|r| {
            let arn = r.as_ref().unwrap_or_else(|e| panic!("create version: {e}"));
            arn.rsplit('/')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("version number")
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>());
}

#[tokio::test]
async fn killing_one_process_under_load_loses_nothing_acknowledged() {
    let Some((mut a, b)) = two_processes(Options::default()) else {
        return;
    };
    let acknowledged: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
    let mut writers = Vec::new();
    for writer in 0..8 {
        let client = if writer % 2 == 0 {
            a.client()
        } else {
            b.client()
        };
        let acknowledged = acknowledged.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..400 {
                let name = format!("w{writer}-{i}");
                let result = client
                    .create_image()
                    .image_name(&name)
                    .role_arn(ROLE_ARN)
                    .description("v")
                    .send()
                    .await;
                if result.is_err() {
                    return; // This writer's process is gone.
                }
                acknowledged.lock().unwrap().insert(name, "v".to_owned());
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    a.kill9();
    for writer in writers {
        writer.await.expect("writer task");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 40,
        "too few writes to mean anything: {}",
        acknowledged.len()
    );
    let survivor = b.client();
    for name in acknowledged.keys() {
        survivor
            .describe_image()
            .image_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("acknowledged image {name} was lost: {e:?}"));
    }
}

#[tokio::test]
async fn a_transition_completes_after_the_process_that_began_it_dies() {
    let Some((mut a, b)) = two_processes(Options {
        transition_delay: Some("700ms"),
        ..Default::default()
    }) else {
        return;
    };
    create_image(&a.client(), "img").await;
    a.kill9();
    let image = b
        .client()
        .describe_image()
        .image_name("img")
        .send()
        .await
        .expect("describe");
    assert_eq!(image.image_status(), Some(&ImageStatus::Creating));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let image = b
        .client()
        .describe_image()
        .image_name("img")
        .send()
        .await
        .expect("describe");
    assert_eq!(image.image_status(), Some(&ImageStatus::Created));
}

/// Runs the binary with `args` and returns (exit success, stderr), failing the test if it hangs.
fn run_binary(args: &[&str]) -> (bool, String) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sagemaker-images"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir.path())
        .env_remove("SAGEMAKER_IMAGES_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "{args:?} did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("output");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_database_url_that_cannot_be_parsed_stops_the_server_at_once() {
    let (ok, stderr) = run_binary(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        "postgres://u@h:notaport/db",
    ]);
    assert!(!ok);
    assert!(stderr.contains("the database URL is not valid"), "{stderr}");
}

#[test]
fn an_unreachable_database_is_waited_for_then_reported() {
    // Port 9 on loopback: nothing listens there.
    let (ok, stderr) = run_binary(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        "postgres://postgres@127.0.0.1:9/none",
        "--database-wait",
        "1s",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("database not reachable yet; retrying"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot reach the database"), "{stderr}");
}

#[test]
fn migrate_prepares_a_database_ahead_of_a_rollout() {
    let Ok(admin_url) = std::env::var(DATABASE_URL_VAR) else {
        eprintln!("SKIPPED: migrate on PostgreSQL needs {DATABASE_URL_VAR}");
        let (ok, stderr) = run_binary(&["migrate"]);
        assert!(ok, "migrate on the embedded store: {stderr}");
        return;
    };
    let database = crate::common::Database::create(&admin_url);
    let (ok, stderr) = run_binary(&["migrate", "--database-url", &database.url]);
    assert!(ok, "{stderr}");
    // Applying again finds nothing to do.
    let (ok, stderr) = run_binary(&["migrate", "--database-url", &database.url]);
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("applying schema migration"), "{stderr}");
}

/// Processes started together on a new database all come up: each migration is applied by one of them,
/// and the others, failing on its tables or version row once it commits, retry and find it applied.
#[test]
fn processes_migrating_a_new_database_at_once_all_succeed() {
    let Ok(admin_url) = std::env::var(DATABASE_URL_VAR) else {
        eprintln!("SKIPPED: concurrent migrations need {DATABASE_URL_VAR}");
        return;
    };
    let database = crate::common::Database::create(&admin_url);
    let migrations: Vec<_> = (0..4)
        .map(|_| {
            let url = database.url.clone();
            std::thread::spawn(move || run_binary(&["migrate", "--database-url", &url]))
        })
        .collect();
    let mut applied = 0;
    for migration in migrations {
        let (ok, stderr) = migration.join().expect("migrate thread");
        assert!(ok, "{stderr}");
        applied += stderr.matches("applying schema migration").count();
    }
    // At least every migration once; a process whose attempt was rolled back may log one again.
    assert!(applied >= 6, "{applied} migrations logged");
}
