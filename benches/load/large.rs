//! A store of N images: seeded in bulk, then its cold start, memory and pages.

use super::*;

/// Writes `count` images, and the grams of their names, straight into a fresh SQLite store (schema from
/// `sagemaker-images migrate`).
pub(crate) fn bulk_seed(data_dir: &std::path::Path, count: usize) {
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

pub(crate) async fn measure_large(count: usize) {
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
