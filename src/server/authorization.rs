//! A verified request of a key with policies, read for `authz`: the operation's action on the resource
//! its body names, with the request's condition keys; and `iam:PassRole` on a role it hands to SageMaker.
//!
//! Runs before the body is validated, as AWS authorises before it validates: members are read leniently,
//! and a missing or mistyped one names the resource as empty, which validation then refuses.

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::SystemTime;

use serde_json::Value as Json;

use crate::authz::actions::{self, RequestTags, Resource};
use crate::authz::{Context, Identity, Value};
use crate::domain::{arn, Scope};
use crate::model::OperationName;
use crate::protocol::ApiError;
use crate::store::{Store, Tags};

/// What the server knows of a request beyond its body.
pub(super) struct Arrival {
    pub source_ip: Option<IpAddr>,
    pub time: SystemTime,
}

/// Allows the request, or refuses it with IAM's words. Reads the resource's stored tags only when one of
/// the key's policies reads `aws:ResourceTag`.
pub(super) async fn authorize(
    store: &Store,
    identity: &Identity,
    scope: &Scope,
    operation: OperationName,
    input: &Json,
    arrival: &Arrival,
) -> Result<(), ApiError> {
    let Some(row) = actions::of(operation) else {
        return Ok(());
    };
    let text = |member: &str| input.get(member).and_then(Json::as_str).unwrap_or_default();
    let named = row.resource.member().map(text).unwrap_or_default();
    let resource = match row.resource {
        Resource::Image => arn::image_arn(scope, named),
        Resource::AppImageConfig => arn::app_image_config_arn(scope, named),
        Resource::Tagged => named.to_owned(),
        Resource::All => "*".to_owned(),
    };
    let mut context = identity.context(&scope.region, arrival.source_ip, arrival.time);
    add_request_tags(&mut context, row.request_tags, input);
    if identity.reads_resource_tags() && row.resource != Resource::All {
        // A resource that cannot exist in this scope has no tags.
        if let Ok(tagged) = arn::resolve(scope, &resource) {
            let (lifecycle, tags) = store.get(scope, Tags(tagged)).await?;
            for tag in tags.into_iter().filter(|_| lifecycle.is_some()) {
                let key = format!("aws:resourcetag/{}", tag.key.to_ascii_lowercase());
                context.insert(key, Value::Text(Cow::Owned(tag.value)));
            }
        }
    }
    identity.authorize(row.action, &resource, &context)?;
    let role = text("RoleArn");
    if row.passes_role && !role.is_empty() {
        // The role's own context: the image's tags are not the role's.
        let mut context = identity.context(&scope.region, arrival.source_ip, arrival.time);
        let service = Cow::Borrowed(actions::SERVICE_PRINCIPAL);
        context.insert(actions::PASSED_TO_SERVICE, Value::Text(service));
        identity.authorize(actions::PASS_ROLE, role, &context)?;
    }
    Ok(())
}

/// `aws:RequestTag/${TagKey}` for each of the request's tags, and `aws:TagKeys` for their keys.
fn add_request_tags<'a>(context: &mut Context<'a>, request_tags: RequestTags, input: &'a Json) {
    let listed = |member| input.get(member).and_then(Json::as_array);
    let mut keys = Vec::new();
    match request_tags {
        RequestTags::None => return,
        RequestTags::Tags => {
            for tag in listed("Tags").into_iter().flatten() {
                let (Some(key), Some(value)) = (
                    tag.get("Key").and_then(Json::as_str),
                    tag.get("Value").and_then(Json::as_str),
                ) else {
                    continue;
                };
                let name = format!("aws:requesttag/{}", key.to_ascii_lowercase());
                context.insert(name, Value::Text(Cow::Borrowed(value)));
                keys.push(Cow::Borrowed(key));
            }
        }
        RequestTags::TagKeys => {
            let given = listed("TagKeys").into_iter().flatten();
            keys.extend(given.filter_map(Json::as_str).map(Cow::Borrowed));
        }
    }
    if !keys.is_empty() {
        context.insert("aws:tagkeys", Value::List(keys));
    }
}
