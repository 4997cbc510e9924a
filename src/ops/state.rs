//! Everything the store holds, in the shapes the Describe operations answer with (the control plane's
//! `GET /_sagemaker-images/state`). Each entry is also the input that creates it again: an image's
//! members are CreateImage's, a version's CreateImageVersion's (with its `ImageName`, `ClientToken` and
//! `Aliases`), an app image config's CreateAppImageConfig's, each with its `Tags`.

use serde_json::{json, Map, Value};

use super::{app_image_configs, image_versions, images};
use crate::domain::lifecycle::Observed;
use crate::domain::tags::Tag;
use crate::domain::Millis;
use crate::protocol::ApiError;
use crate::store::ScopeContents;

fn json_of(output: &impl serde::Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(output).map_err(|_| ApiError::internal())
}

fn with_tags(mut entry: Value, tags: &[Tag]) -> Value {
    if let Value::Object(members) = &mut entry {
        let tags: Vec<Value> = tags
            .iter()
            .map(|t| json!({ "Key": t.key, "Value": t.value }))
            .collect();
        members.insert("Tags".into(), Value::Array(tags));
    }
    entry
}

/// `{"accounts": {account: {region: {"Images": [...], "ImageVersions": [...], "AppImageConfigs": [...]}}}}`
/// as a reader sees it at `now`: resources whose deletion has ended are left out.
pub fn render(contents: &[ScopeContents], now: Millis) -> Result<Value, ApiError> {
    let mut accounts = Map::new();
    for scope_contents in contents {
        let scope = &scope_contents.scope;
        let (mut images, mut versions, mut configs) = (Vec::new(), Vec::new(), Vec::new());
        for stored in &scope_contents.images {
            let image = &stored.set.image;
            let Observed::Present(status) = image.observe(now) else {
                continue;
            };
            let entry = json_of(&images::described(scope, image, status))?;
            images.push(with_tags(entry, &stored.tags));
            for ((version, status), tags) in stored
                .set
                .versions
                .iter()
                .zip(&stored.version_tags)
                .filter_map(|(v, tags)| match v.lifecycle.observe(now) {
                    Observed::Present(status) => Some(((v, status), tags)),
                    Observed::Gone => None,
                })
            {
                let mut entry = json_of(&image_versions::describe_output(
                    scope,
                    &stored.set,
                    version,
                    status,
                )?)?;
                if let Value::Object(members) = &mut entry {
                    members.insert("ImageName".into(), image.name.clone().into());
                    members.insert("ClientToken".into(), version.client_token.clone().into());
                    members.insert("Aliases".into(), json!(version.aliases));
                }
                versions.push(with_tags(entry, tags));
            }
        }
        for (config, tags) in &scope_contents.app_image_configs {
            let entry = json_of(&app_image_configs::details(scope, config)?)?;
            configs.push(with_tags(entry, tags));
        }
        let regions = accounts
            .entry(scope.account_id.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(regions) = regions {
            regions.insert(
                scope.region.clone(),
                json!({ "Images": images, "ImageVersions": versions, "AppImageConfigs": configs }),
            );
        }
    }
    Ok(json!({ "accounts": accounts }))
}
