//! ARNs of the resources we serve, and parsing of the ARNs clients hand to the tagging operations.

use super::error::{DomainError, Invalid};
use super::image::name_key;
use super::Scope;

pub fn image_arn(scope: &Scope, image_name: &str) -> String {
    format!(
        "arn:aws:sagemaker:{}:{}:image/{}",
        scope.region,
        scope.account_id,
        name_key(image_name)
    )
}

/// Version ARNs carry the lower-cased image name, as the model's ImageVersionArn pattern requires.
pub fn image_version_arn(scope: &Scope, image_name: &str, version: i64) -> String {
    format!(
        "arn:aws:sagemaker:{}:{}:image-version/{}/{version}",
        scope.region,
        scope.account_id,
        name_key(image_name)
    )
}

pub fn app_image_config_arn(scope: &Scope, name: &str) -> String {
    format!(
        "arn:aws:sagemaker:{}:{}:app-image-config/{}",
        scope.region,
        scope.account_id,
        name.to_ascii_lowercase()
    )
}

/// A resource named by an ARN, within the caller's scope. Names are lower-case keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceRef {
    Image(String),
    ImageVersion(String, i64),
    AppImageConfig(String),
}

/// A taggable resource: what it is, and the canonical ARN its tags are stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedResource {
    pub arn: String,
    pub target: ResourceRef,
}

/// The refusal of an ARN that names nothing the caller can see.
pub fn does_not_exist(arn: &str) -> DomainError {
    Invalid::UnknownResource {
        arn: arn.to_owned(),
    }
    .into()
}

/// Resolves `arn` for a caller in `scope`. An ARN of another partition, account or region, or of a resource
/// type we do not serve, names nothing the caller can see: we issue ARNs in the `aws` partition only.
pub fn resolve(scope: &Scope, arn: &str) -> Result<TaggedResource, DomainError> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some("aws"), Some("sagemaker"), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(does_not_exist(arn));
    };
    if region != scope.region || account != scope.account_id {
        return Err(does_not_exist(arn));
    }
    let plain_name = |name: &str| !name.is_empty() && !name.contains('/');
    let target = match resource.split_once('/') {
        Some(("image", name)) if plain_name(name) => ResourceRef::Image(name_key(name)),
        Some(("app-image-config", name)) if plain_name(name) => {
            ResourceRef::AppImageConfig(name_key(name))
        }
        Some(("image-version", rest)) => match rest.split_once('/') {
            Some((name, number))
                if plain_name(name)
                    && !number.is_empty()
                    && number.bytes().all(|b| b.is_ascii_digit()) =>
            {
                match number.parse() {
                    Ok(version) => ResourceRef::ImageVersion(name_key(name), version),
                    Err(_) => return Err(does_not_exist(arn)),
                }
            }
            _ => return Err(does_not_exist(arn)),
        },
        _ => return Err(does_not_exist(arn)),
    };
    let canonical = match &target {
        ResourceRef::Image(name) => image_arn(scope, name),
        ResourceRef::ImageVersion(name, version) => image_version_arn(scope, name, *version),
        ResourceRef::AppImageConfig(name) => app_image_config_arn(scope, name),
    };
    Ok(TaggedResource {
        arn: canonical,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cases::Failures;

    /// The refusal of an ARN that names nothing, in the table below.
    struct Missing;

    fn scope() -> Scope {
        Scope {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn image_arns_round_trip_case_insensitively() {
        let arn = image_arn(&scope(), "MyImage");
        assert_eq!(
            arn,
            "arn:aws:sagemaker:us-east-1:000000000000:image/myimage"
        );
        let resolved = resolve(
            &scope(),
            "arn:aws:sagemaker:us-east-1:000000000000:image/MYIMAGE",
        )
        .unwrap();
        assert_eq!(resolved.arn, arn);
        assert_eq!(resolved.target, ResourceRef::Image("myimage".into()));
    }

    #[test]
    fn version_and_app_image_config_arns_resolve() {
        let resolved = resolve(
            &scope(),
            "arn:aws:sagemaker:us-east-1:000000000000:image-version/My.Img/12",
        )
        .unwrap();
        assert_eq!(
            resolved.target,
            ResourceRef::ImageVersion("my.img".into(), 12)
        );
        assert_eq!(
            resolved.arn,
            "arn:aws:sagemaker:us-east-1:000000000000:image-version/my.img/12"
        );
        let resolved = resolve(
            &scope(),
            "arn:aws:sagemaker:us-east-1:000000000000:app-image-config/Cfg",
        )
        .unwrap();
        assert_eq!(resolved.target, ResourceRef::AppImageConfig("cfg".into()));
        assert!(resolve(
            &scope(),
            "arn:aws:sagemaker:us-east-1:000000000000:image-version/a/x"
        )
        .is_err());
        assert!(resolve(
            &scope(),
            "arn:aws:sagemaker:us-east-1:000000000000:image-version/a"
        )
        .is_err());
    }

    #[test]
    fn other_scopes_and_types_name_nothing() {
        assert!(resolve(&scope(), "arn:aws:sagemaker:eu-west-1:000000000000:image/a").is_err());
        assert!(resolve(&scope(), "arn:aws:sagemaker:us-east-1:111111111111:image/a").is_err());
        assert!(resolve(
            &scope(),
            "arn:aws-cn:sagemaker:us-east-1:000000000000:image/a"
        )
        .is_err());
        assert!(resolve(
            &scope(),
            "arn:aws:sagemaker:us-east-1:000000000000:endpoint/a"
        )
        .is_err());
    }

    #[test]
    fn what_each_arn_names() {
        use ResourceRef::*;
        let here = |resource: &str| format!("arn:aws:sagemaker:us-east-1:000000000000:{resource}");
        let names = |resource: &str, target| {
            Ok(TaggedResource {
                arn: here(resource),
                target,
            })
        };
        #[rustfmt::skip]
        let cases: Vec<(&str, String, Result<TaggedResource, Missing>)> = vec![
            ("an image, lower-cased", here("image/MyImage"), names("image/myimage", Image("myimage".into()))),
            ("an image with a dot", here("image/my.image"), names("image/my.image", Image("my.image".into()))),
            ("a version", here("image-version/Img/3"), names("image-version/img/3", ImageVersion("img".into(), 3))),
            ("version 0 parses", here("image-version/img/0"), names("image-version/img/0", ImageVersion("img".into(), 0))),
            ("an app image config", here("app-image-config/Cfg"), names("app-image-config/cfg", AppImageConfig("cfg".into()))),
            ("an image with no name", here("image/"), Err(Missing)),
            ("an image name with a slash", here("image/a/b"), Err(Missing)),
            ("a version with no number", here("image-version/img"), Err(Missing)),
            ("a version with an empty number", here("image-version/img/"), Err(Missing)),
            ("a version number in letters", here("image-version/img/x"), Err(Missing)),
            ("a negative version number", here("image-version/img/-1"), Err(Missing)),
            ("a version number too large", here("image-version/img/99999999999999999999"), Err(Missing)),
            ("an app image config with no name", here("app-image-config/"), Err(Missing)),
            ("a type we do not serve", here("endpoint/a"), Err(Missing)),
            ("no resource part", here("image"), Err(Missing)),
            ("another region", "arn:aws:sagemaker:eu-west-1:000000000000:image/a".into(), Err(Missing)),
            ("another account", "arn:aws:sagemaker:us-east-1:111111111111:image/a".into(), Err(Missing)),
            ("another partition", "arn:aws-cn:sagemaker:us-east-1:000000000000:image/a".into(), Err(Missing)),
            ("another service", "arn:aws:iam:us-east-1:000000000000:image/a".into(), Err(Missing)),
            ("not an ARN", "image/a".into(), Err(Missing)),
            ("empty", String::new(), Err(Missing)),
        ];
        let mut failures = Failures::default();
        for (name, given, expected) in cases {
            // Every refusal names the ARN as given.
            let expected = expected.map_err(|Missing| does_not_exist(&given));
            failures.check(name, resolve(&scope(), &given), expected);
        }
        failures.assert_none();
    }
}
