//! ARNs of the resources we serve, and parsing of the ARNs clients hand to the tagging operations.

use super::image::name_key;
use super::Scope;
use crate::protocol::ApiError;

pub fn image_arn(scope: &Scope, image_name: &str) -> String {
    format!(
        "arn:aws:sagemaker:{}:{}:image/{}",
        scope.region,
        scope.account_id,
        name_key(image_name)
    )
}

/// A resource named by an ARN, within the caller's scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceRef {
    /// An image, by its name key.
    Image(String),
}

/// A taggable resource: what it is, and the canonical ARN its tags are stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedResource {
    pub arn: String,
    pub target: ResourceRef,
}

fn does_not_exist(arn: &str) -> ApiError {
    ApiError::Validation(format!("Resource {arn} does not exist."))
}

/// Resolves `arn` for a caller in `scope`. An ARN of another account or region, or of a resource type we do
/// not serve, names nothing the caller can see.
pub fn resolve(scope: &Scope, arn: &str) -> Result<TaggedResource, ApiError> {
    let mut parts = arn.splitn(6, ':');
    let (
        Some("arn"),
        Some(_partition),
        Some("sagemaker"),
        Some(region),
        Some(account),
        Some(resource),
    ) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    )
    else {
        return Err(does_not_exist(arn));
    };
    if region != scope.region || account != scope.account_id {
        return Err(does_not_exist(arn));
    }
    let target = match resource.split_once('/') {
        Some(("image", name)) if !name.is_empty() && !name.contains('/') => {
            ResourceRef::Image(name_key(name))
        }
        _ => return Err(does_not_exist(arn)),
    };
    let canonical = match &target {
        ResourceRef::Image(name) => image_arn(scope, name),
    };
    Ok(TaggedResource {
        arn: canonical,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn other_scopes_and_types_name_nothing() {
        assert!(resolve(&scope(), "arn:aws:sagemaker:eu-west-1:000000000000:image/a").is_err());
        assert!(resolve(&scope(), "arn:aws:sagemaker:us-east-1:111111111111:image/a").is_err());
        assert!(resolve(
            &scope(),
            "arn:aws:sagemaker:us-east-1:000000000000:endpoint/a"
        )
        .is_err());
    }
}
