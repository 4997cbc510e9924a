//! Initial state: a document of images, versions, aliases, app image configs and tags per account and
//! region, whose entries are the API's own input shapes, applied through the same operations an API call
//! runs. The whole document is checked before anything is applied; an entry whose resource exists already
//! is left as it is. What `GET /_sagemaker-images/state` answers is such a document.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::domain::arn::{app_image_config_arn, image_arn, image_version_arn};
use crate::domain::image::name_key;
use crate::domain::lifecycle::Observed;
use crate::domain::{now_millis, Scope};
use crate::model::{
    self, AddTagsInput, CreateAppImageConfigRequest, CreateImageRequest, CreateImageVersionRequest,
    Operation, Read,
};
use crate::ops::{Origin, Service};
use crate::protocol::ApiError;
use crate::store;

/// What applying a document did: the ARNs it created, and those it found already there.
#[derive(Debug, Default, serde::Serialize)]
pub struct Applied {
    pub created: Vec<String>,
    pub existing: Vec<String>,
}

/// One version entry, with the number it gets, and its tags as the AddTags that gives them.
struct VersionEntry {
    number: i64,
    input: CreateImageVersionRequest,
    tags: Option<AddTagsInput>,
}

/// One scope's entries, checked: each one the typed input of the operation that creates it, read once
/// here and run as it is.
struct ScopeEntries {
    scope: Scope,
    images: Vec<CreateImageRequest>,
    versions: Vec<VersionEntry>,
    app_image_configs: Vec<CreateAppImageConfigRequest>,
}

/// `entry` read as the input `T`, as the API reads it; its error with the path to the entry in front.
fn read<T: Read>(path: &str, entry: &Value) -> Result<T, ApiError> {
    model::from_json(entry).map_err(|e| at(path, e.into()))
}

/// The API's error for a member, with the path to its entry in front.
fn at(path: &str, error: ApiError) -> ApiError {
    match error {
        ApiError::Serialization(m) => ApiError::Serialization(format!("{path}: {m}")),
        other => ApiError::Validation(format!("{path}: {}", other.message())),
    }
}

fn invalid(path: &str, message: &str) -> ApiError {
    ApiError::Validation(format!("{path}: {message}"))
}

pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

pub fn is_region(text: &str) -> bool {
    (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn initial_client_token(image_name: &str, number: i64) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{}/{number}", name_key(image_name)));
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn entries<'a>(
    path: &str,
    members: &'a Map<String, Value>,
    name: &str,
) -> Result<&'a [Value], ApiError> {
    match members.get(name) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(invalid(&format!("{path}.{name}"), "must be a list")),
    }
}

fn check_scope(path: &str, scope: Scope, body: &Value) -> Result<ScopeEntries, ApiError> {
    let Value::Object(members) = body else {
        return Err(invalid(
            path,
            "must be an object of Images, ImageVersions and AppImageConfigs",
        ));
    };
    if let Some(unknown) = members
        .keys()
        .find(|k| !["Images", "ImageVersions", "AppImageConfigs"].contains(&k.as_str()))
    {
        return Err(invalid(
            &format!("{path}.{unknown}"),
            "is not one of Images, ImageVersions, AppImageConfigs",
        ));
    }
    let mut images = Vec::new();
    for (i, entry) in entries(path, members, "Images")?.iter().enumerate() {
        images.push(read(&format!("{path}.Images[{i}]"), entry)?);
    }
    let mut versions = Vec::new();
    // How many versions each image has had so far in the document, by its name's key.
    let mut positions: HashMap<String, i64> = HashMap::new();
    for (i, entry) in entries(path, members, "ImageVersions")?.iter().enumerate() {
        let here = format!("{path}.ImageVersions[{i}]");
        let Value::Object(entry) = entry else {
            return Err(invalid(&here, "must be a CreateImageVersion input"));
        };
        let mut input = entry.clone();
        let tags = input.remove("Tags");
        let image_name = input
            .get("ImageName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let position = positions.entry(name_key(&image_name)).or_default();
        *position += 1;
        let position = *position;
        let number = match input.get("Version") {
            None => position,
            Some(v) => v
                .as_i64()
                .filter(|n| *n >= 1)
                .ok_or_else(|| invalid(&here, "Version must be a whole number from 1"))?,
        };
        // Filled in as an SDK fills it in, from what the entry names, so that applying it twice gives the
        // same token; hex, so that the token itself always meets the model's pattern.
        input
            .entry("ClientToken")
            .or_insert_with(|| initial_client_token(&image_name, number).into());
        let input = read(&here, &Value::Object(input))?;
        let tags = match tags {
            // Read as the API reads the AddTags that gives them (the document holds them as JSON).
            Some(tags) => Some(read(
                &here,
                &serde_json::json!({
                    "ResourceArn": image_version_arn(&scope, &image_name, number),
                    "Tags": tags,
                }),
            )?),
            None => None,
        };
        versions.push(VersionEntry {
            number,
            input,
            tags,
        });
    }
    let mut app_image_configs = Vec::new();
    for (i, entry) in entries(path, members, "AppImageConfigs")?
        .iter()
        .enumerate()
    {
        app_image_configs.push(read(&format!("{path}.AppImageConfigs[{i}]"), entry)?);
    }
    Ok(ScopeEntries {
        scope,
        images,
        versions,
        app_image_configs,
    })
}

/// Checks a whole document: its shape, each account and region, and every entry as the API would.
fn check(document: &Value) -> Result<Vec<ScopeEntries>, ApiError> {
    let Some(Value::Object(accounts)) = document.get("accounts") else {
        return Err(ApiError::Validation(
            "An initial state is {\"accounts\": {account: {region: {\"Images\": [...], ...}}}}."
                .to_owned(),
        ));
    };
    let mut all = Vec::new();
    for (account, regions) in accounts {
        let path = format!("accounts.{account}");
        if !is_account_id(account) {
            return Err(invalid(&path, "an account id is 12 digits"));
        }
        let Value::Object(regions) = regions else {
            return Err(invalid(&path, "must be an object of regions"));
        };
        for (region, body) in regions {
            let path = format!("{path}.{region}");
            if !is_region(region) {
                return Err(invalid(
                    &path,
                    "a region is lower-case letters, digits and dashes",
                ));
            }
            let scope = Scope {
                account_id: account.clone(),
                region: region.clone(),
            };
            all.push(check_scope(&path, scope, body)?);
        }
    }
    Ok(all)
}

/// A document checked whole, ready to apply.
pub struct Checked(Vec<ScopeEntries>);

/// Checks a document as [`check`] does; `Checked` when it holds.
pub fn checked(document: &Value) -> Result<Checked, ApiError> {
    check(document).map(Checked)
}

/// Reads and checks a document sent to the control plane on a blocking thread: both take time linear in
/// its size (at most the body limit), which must not hold up the threads that serve requests.
pub async fn check_off_thread(body: Vec<u8>) -> Result<Checked, ApiError> {
    tokio::task::spawn_blocking(move || {
        let document: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::Serialization(format!("The initial state is not JSON: {e}")))?;
        let checked = checked(&document);
        // The parsed document is dropped here too, off the request threads.
        drop(document);
        checked
    })
    .await
    .map_err(|_| ApiError::internal())?
}

/// Creates what a checked document holds that does not exist yet, settled (CREATED).
pub async fn apply(service: &Service, checked: Checked) -> Result<Applied, ApiError> {
    let Checked(scopes) = checked;
    // A version needs its image: in the document or already stored. Known before anything is applied.
    for entries in &scopes {
        let in_document: HashSet<String> = entries
            .images
            .iter()
            .map(|image| name_key(&image.image_name))
            .collect();
        let mut stored = HashSet::new();
        for version in &entries.versions {
            let key = name_key(&version.input.image_name);
            if in_document.contains(&key) || stored.contains(&key) {
                continue;
            }
            if service
                .store()
                .get(&entries.scope, store::Image(key.clone()))
                .await?
                .is_none()
            {
                return Err(ApiError::Validation(format!(
                    "accounts.{}.{}: ImageVersions name image {}, which is neither in the document nor stored.",
                    entries.scope.account_id, entries.scope.region, version.input.image_name
                )));
            }
            stored.insert(key);
        }
    }
    let mut applied = Applied::default();
    for entries in scopes {
        let scope = &entries.scope;
        for input in entries.images {
            let arn = image_arn(scope, &input.image_name);
            let stored = service
                .store()
                .get(scope, store::Image(name_key(&input.image_name)))
                .await?;
            if stored.is_some_and(|r| r.observe(now_millis()) != Observed::Gone) {
                applied.existing.push(arn);
            } else {
                service
                    .call_from(Origin::InitialState, scope, Operation::CreateImage(input))
                    .await?;
                applied.created.push(arn);
            }
        }
        for version in entries.versions {
            let arn = image_version_arn(scope, &version.input.image_name, version.number);
            let key = name_key(&version.input.image_name);
            let given = service
                .store()
                .get(scope, store::Image(key))
                .await?
                .map_or(0, |image| image.last_version);
            if given >= version.number {
                applied.existing.push(arn);
                continue;
            }
            service
                .create_numbered_version(scope, version.input, version.number)
                .await?;
            if let Some(tags) = version.tags {
                service.call(scope, Operation::AddTags(tags)).await?;
            }
            applied.created.push(arn);
        }
        for input in entries.app_image_configs {
            let arn = app_image_config_arn(scope, &input.app_image_config_name);
            if service
                .store()
                .get(
                    scope,
                    store::AppImageConfig(name_key(&input.app_image_config_name)),
                )
                .await?
                .is_some()
            {
                applied.existing.push(arn);
            } else {
                service
                    .call_from(
                        Origin::InitialState,
                        scope,
                        Operation::CreateAppImageConfig(input),
                    )
                    .await?;
                applied.created.push(arn);
            }
        }
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_bad_member_is_reported_with_its_path_and_the_apis_words() {
        let cases = [
            (json!({}), "An initial state is"),
            (json!({"accounts": {"12": {}}}), "accounts.12: an account id is 12 digits"),
            (
                json!({"accounts": {"000000000000": {"Us East": {}}}}),
                "accounts.000000000000.Us East: a region",
            ),
            (
                json!({"accounts": {"000000000000": {"us-east-1": {"Imagez": []}}}}),
                "accounts.000000000000.us-east-1.Imagez: is not one of",
            ),
            (
                json!({"accounts": {"000000000000": {"us-east-1": {"Images": [{"ImageName": "a", "RoleArn": "nope"}]}}}}),
                "accounts.000000000000.us-east-1.Images[0]: 2 validation errors detected: Value 'nope' at 'roleArn'",
            ),
            (
                json!({"accounts": {"000000000000": {"us-east-1": {"ImageVersions": [{"ImageName": "a", "BaseImage": "b", "Version": 0}]}}}}),
                "accounts.000000000000.us-east-1.ImageVersions[0]: Version must be",
            ),
        ];
        for (document, expected) in cases {
            let error = check(&document).err().expect("refused");
            assert!(
                error.message().starts_with(expected),
                "{document}: {}",
                error.message()
            );
        }
    }

    #[test]
    fn versions_are_numbered_by_position_per_image_unless_given() {
        let document = json!({"accounts": {"000000000000": {"us-east-1": {"ImageVersions": [
            {"ImageName": "a", "BaseImage": "x"},
            {"ImageName": "B", "BaseImage": "x"},
            {"ImageName": "A", "BaseImage": "x"},
            {"ImageName": "b", "BaseImage": "x", "Version": 7},
        ]}}}});
        let scopes = check(&document).expect("valid");
        let numbers: Vec<i64> = scopes[0].versions.iter().map(|v| v.number).collect();
        assert_eq!(numbers, [1, 1, 2, 7]);
        let token = scopes[0].versions[0].input.client_token.as_str();
        assert_eq!(token, initial_client_token("A", 1));
        assert_eq!(token.len(), 32);
        assert_ne!(token, initial_client_token("a", 2));
    }

    /// A document of `n` versions of one image, the last of them invalid.
    fn versions_of_one_image(n: usize) -> Value {
        let mut versions: Vec<Value> = (1..n)
            .map(|_| json!({"ImageName": "a", "BaseImage": "b"}))
            .collect();
        versions.push(json!({"ImageName": "a"}));
        json!({"accounts": {"000000000000": {"us-east-1": {"ImageVersions": versions}}}})
    }

    /// The fastest of three checks of `document`.
    fn check_time(document: &Value) -> std::time::Duration {
        (0..3)
            .map(|_| {
                let started = std::time::Instant::now();
                assert!(check(document).is_err());
                started.elapsed()
            })
            .min()
            .unwrap_or_default()
    }

    #[test]
    fn the_check_takes_time_linear_in_the_document() {
        let small = check_time(&versions_of_one_image(2_000));
        let large = check_time(&versions_of_one_image(8_000));
        // Four times the entries: about four times the time (sixteen if it were quadratic).
        assert!(
            large < small * 9,
            "2,000 versions: {small:?}; 8,000: {large:?}"
        );
    }

    /// Documents of any shape, built from the members a document may hold and a few it may not.
    fn document() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            "[a-zA-Z0-9 .:/-]{0,12}".prop_map(Value::from),
            Just(json!("000000000000")),
            Just(json!("us-east-1")),
        ];
        let key = prop_oneof![
            Just("accounts".to_owned()),
            Just("000000000000".to_owned()),
            Just("us-east-1".to_owned()),
            Just("Images".to_owned()),
            Just("ImageVersions".to_owned()),
            Just("AppImageConfigs".to_owned()),
            Just("ImageName".to_owned()),
            Just("BaseImage".to_owned()),
            Just("Version".to_owned()),
            Just("Tags".to_owned()),
            "[a-zA-Z]{1,8}",
        ];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                proptest::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn no_document_makes_the_check_panic(document in document()) {
            let _ = check(&document);
            let _ = check(&json!({"accounts": {"000000000000": {"us-east-1": document}}}));
        }
    }
}
