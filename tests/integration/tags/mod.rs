//! AddTags, DeleteTags, ListTags on image ARNs, a module per behaviour: adding, overwriting and deleting
//! (`changes`), the fifty-tag limit and ListTags' paging (`limits`), the constraints on keys and values
//! (`validation`), and ARNs that name nothing (`resources`). Every refused request leaves the tags as they
//! were.

mod changes;
mod limits;
mod resources;
mod validation;

use aws_sdk_sagemaker::Client;
use serde_json::{json, Value};

use crate::common::cases::check_raw_refused;
use crate::common::{list_tags, tag, Server, ROLE_ARN};

fn json_tags(tags: &[(String, String)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

async fn add_tags(client: &Client, arn: &str, tags: &[(&str, &str)]) {
    client
        .add_tags()
        .resource_arn(arn)
        .set_tags(Some(tags.iter().map(|(k, v)| tag(k, v)).collect()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("add tags to {arn}: {e:?}"));
}

async fn create_tagged(client: &Client, name: &str, tags: &[(&str, &str)]) -> String {
    let output = client
        .create_image()
        .image_name(name)
        .role_arn(ROLE_ARN)
        .set_tags(Some(tags.iter().map(|(k, v)| tag(k, v)).collect()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
    output.image_arn().expect("ImageArn").to_owned()
}

/// Sends `body` raw; how its answer differs from a refusal with `code` and a message holding `message_part`,
/// with no Tags in it, that leaves the tags of `watched` as they were.
async fn check_refused(
    server: &Server,
    watched: &str,
    operation: &str,
    body: Value,
    (code, message_part): (&str, &str),
) -> Result<(), String> {
    let client = server.client();
    let before = list_tags(&client, watched).await;
    let answer = server.raw().call(operation, &body).await;
    check_raw_refused(&answer, code, &[message_part])
        .map_err(|why| format!("{operation} {body}: {why}"))?;
    if answer.body.get("Tags").is_some() {
        return Err(format!("{operation} {body} answered Tags: {}", answer.text));
    }
    let after = list_tags(&client, watched).await;
    if after != before {
        return Err(format!(
            "{operation} {body} changed the tags from {before:?} to {after:?}"
        ));
    }
    Ok(())
}

/// Asserts what [`check_refused`] checks.
async fn assert_refused(
    server: &Server,
    watched: &str,
    operation: &str,
    body: Value,
    refusal: (&str, &str),
) {
    if let Err(why) = check_refused(server, watched, operation, body, refusal).await {
        panic!("{why}");
    }
}
