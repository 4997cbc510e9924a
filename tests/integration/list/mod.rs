//! ListImages, a module per behaviour: the defaults and every sort (`order`), the time and name filters
//! (`filters`), NameContains through the name index (`name_index`), page sizes (`pages`), NextToken
//! (`tokens`), and what a listing shows of changes (`changes`).

mod changes;
mod filters;
mod name_index;
mod order;
mod pages;
mod tokens;

use aws_sdk_sagemaker::operation::list_images::ListImagesOutput;
use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{ImageSortBy, ImageSortOrder};
use aws_sdk_sagemaker::Client;
use serde_json::{json, Value};

use crate::common::cases::check_raw_refused;
use crate::common::{create_image, every_page, pause, Server};

/// Creates `names` in order, a few milliseconds apart: timestamps have millisecond resolution, so each image
/// gets a creation time of its own.
async fn create_in_order(client: &Client, names: &[&str]) {
    for name in names {
        create_image(client, name).await;
        pause().await;
    }
}

/// Updates `name`, which moves its LastModifiedTime to now.
async fn touch(client: &Client, name: &str) {
    client
        .update_image()
        .image_name(name)
        .description(format!("touched {name}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("update {name}: {e:?}"));
    pause().await;
}

fn names(output: &ListImagesOutput) -> Vec<String> {
    output
        .images()
        .iter()
        .map(|i| i.image_name().unwrap_or_default().to_owned())
        .collect()
}

fn raw_names(body: &Value) -> Vec<String> {
    body["Images"]
        .as_array()
        .unwrap_or_else(|| panic!("no Images in {body}"))
        .iter()
        .map(|i| i["ImageName"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn reversed(names: &[&str]) -> Vec<String> {
    names.iter().rev().map(|n| n.to_string()).collect()
}

/// Every image of one listing, following NextToken with pages of `page_size`; also returns how many pages
/// were read, and asserts no page is larger than asked.
async fn list_all(
    client: &Client,
    sort_by: ImageSortBy,
    order: ImageSortOrder,
    page_size: i32,
) -> (Vec<String>, usize) {
    let (sort_by, order) = (&sort_by, &order);
    every_page(page_size as usize, |token| async move {
        let page = client
            .list_images()
            .sort_by(sort_by.clone())
            .sort_order(order.clone())
            .max_results(page_size)
            .set_next_token(token)
            .send()
            .await
            .expect("list page");
        (names(&page), page.next_token().map(str::to_owned))
    })
    .await
}

/// The first page of `body` (raw), asserting success, with its NextToken.
async fn raw_page(server: &Server, body: Value) -> (Vec<String>, Option<String>) {
    let answer = server.raw().call("ListImages", &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    (
        raw_names(&answer.body),
        answer.body["NextToken"].as_str().map(str::to_owned),
    )
}

/// How the answer to a ListImages of `body` differs from a ValidationException holding `message_part`,
/// with no listing.
async fn check_refused(server: &Server, body: &Value, message_part: &str) -> Result<(), String> {
    let answer = server.raw().call("ListImages", body).await;
    check_raw_refused(&answer, "ValidationException", &[message_part])
        .map_err(|why| format!("{body}: {why}"))?;
    match answer.body.get("Images") {
        Some(_) => Err(format!("{body}: a listing with the error: {}", answer.text)),
        None => Ok(()),
    }
}

/// Asserts what [`check_refused`] checks.
async fn assert_refused(server: &Server, body: Value, message_part: &str) {
    if let Err(why) = check_refused(server, &body, message_part).await {
        panic!("{why}");
    }
}

// Creation order deliberately differs from name order.
const TWELVE: [&str; 12] = [
    "img-g", "img-c", "img-k", "img-a", "img-i", "img-e", "img-b", "img-l", "img-d", "img-j",
    "img-f", "img-h",
];

/// CreationTime and LastModifiedTime of `name` as the SDK reads them, and as the raw JSON numbers.
async fn times(server: &Server, name: &str) -> (DateTime, DateTime, Value, Value) {
    let described = server
        .client()
        .describe_image()
        .image_name(name)
        .send()
        .await
        .expect("describe");
    let raw = server
        .raw()
        .call("DescribeImage", &json!({"ImageName": name}))
        .await;
    (
        *described.creation_time().expect("CreationTime"),
        *described.last_modified_time().expect("LastModifiedTime"),
        raw.body["CreationTime"].clone(),
        raw.body["LastModifiedTime"].clone(),
    )
}
