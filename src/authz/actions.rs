//! Which action each operation is authorised as, and on which resource: the table of the Service
//! Authorization Reference, "Actions, resources, and condition keys for Amazon SageMaker"
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html>), for the
//! operations this server serves. The one part of `authz` that knows SageMaker.

use crate::model::OperationName;

/// What an operation acts on, and the request member that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `image/${ImageName}`: the image operations, and the version operations, which the reference lists
    /// under the image.
    Image,
    /// `app-image-config/${AppImageConfigName}`.
    AppImageConfig,
    /// The resource a tagging operation names by its ARN.
    Tagged,
    /// `*`: the reference lists no resource type (the List operations over a whole account).
    All,
}

impl Resource {
    /// The request member that names the resource.
    pub fn member(self) -> Option<&'static str> {
        match self {
            Resource::Image => Some("ImageName"),
            Resource::AppImageConfig => Some("AppImageConfigName"),
            Resource::Tagged => Some("ResourceArn"),
            Resource::All => None,
        }
    }
}

/// The tags of a request, as `aws:RequestTag/${TagKey}` and `aws:TagKeys` see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestTags {
    None,
    /// A `Tags` list of `{Key, Value}`: both condition keys.
    Tags,
    /// A `TagKeys` list (DeleteTags): `aws:TagKeys` only.
    TagKeys,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub operation: OperationName,
    pub action: &'static str,
    pub resource: Resource,
    pub request_tags: RequestTags,
    /// A `RoleArn` member the caller hands to SageMaker, which also needs [`PASS_ROLE`] on that role.
    pub passes_role: bool,
}

/// The action a caller needs on a role it hands to a service, with [`PASSED_TO_SERVICE`] set to
/// [`SERVICE_PRINCIPAL`].
pub const PASS_ROLE: &str = "iam:PassRole";
pub const PASSED_TO_SERVICE: &str = "iam:passedtoservice";
pub const SERVICE_PRINCIPAL: &str = "sagemaker.amazonaws.com";

const fn row(
    operation: OperationName,
    action: &'static str,
    resource: Resource,
    request_tags: RequestTags,
    passes_role: bool,
) -> Row {
    Row {
        operation,
        action,
        resource,
        request_tags,
        passes_role,
    }
}

use OperationName as Op;
use RequestTags::{None as NoTags, TagKeys, Tags};
use Resource::{All, AppImageConfig, Image, Tagged};

/// In the order of [`OperationName::ALL`].
#[rustfmt::skip]
pub const TABLE: [Row; 19] = [
    row(Op::AddTags, "sagemaker:AddTags", Tagged, Tags, false),
    row(Op::CreateAppImageConfig, "sagemaker:CreateAppImageConfig", AppImageConfig, Tags, false),
    row(Op::CreateImage, "sagemaker:CreateImage", Image, Tags, true),
    row(Op::CreateImageVersion, "sagemaker:CreateImageVersion", Image, NoTags, false),
    row(Op::DeleteAppImageConfig, "sagemaker:DeleteAppImageConfig", AppImageConfig, NoTags, false),
    row(Op::DeleteImage, "sagemaker:DeleteImage", Image, NoTags, false),
    row(Op::DeleteImageVersion, "sagemaker:DeleteImageVersion", Image, NoTags, false),
    row(Op::DeleteTags, "sagemaker:DeleteTags", Tagged, TagKeys, false),
    row(Op::DescribeAppImageConfig, "sagemaker:DescribeAppImageConfig", AppImageConfig, NoTags, false),
    row(Op::DescribeImage, "sagemaker:DescribeImage", Image, NoTags, false),
    row(Op::DescribeImageVersion, "sagemaker:DescribeImageVersion", Image, NoTags, false),
    row(Op::ListAliases, "sagemaker:ListAliases", Image, NoTags, false),
    row(Op::ListAppImageConfigs, "sagemaker:ListAppImageConfigs", All, NoTags, false),
    row(Op::ListImageVersions, "sagemaker:ListImageVersions", Image, NoTags, false),
    row(Op::ListImages, "sagemaker:ListImages", All, NoTags, false),
    row(Op::ListTags, "sagemaker:ListTags", Tagged, NoTags, false),
    row(Op::UpdateAppImageConfig, "sagemaker:UpdateAppImageConfig", AppImageConfig, NoTags, false),
    row(Op::UpdateImage, "sagemaker:UpdateImage", Image, NoTags, true),
    row(Op::UpdateImageVersion, "sagemaker:UpdateImageVersion", Image, NoTags, false),
];

/// The row of `operation` (every operation has one: a unit test checks it).
pub fn of(operation: OperationName) -> Option<&'static Row> {
    TABLE.iter().find(|row| row.operation == operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_row_in_order() {
        for (operation, row) in OperationName::ALL.iter().zip(&TABLE) {
            assert_eq!(row.operation, *operation);
            assert_eq!(of(*operation), Some(row));
            assert_eq!(row.action, format!("sagemaker:{}", operation.as_str()));
        }
    }
}
