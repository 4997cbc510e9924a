//! The model as code. `generated.rs` is written by `tools/generate_model.py` from the slice of botocore's
//! SageMaker model checked in at `model/sagemaker-image-family.json` (itself written by
//! `tools/extract_model.py`; both tools `--check` that their output is current): every operation's input
//! and output types, an enum for each closed set of strings, `OperationName` (from `X-Amz-Target`) and
//! `Operation` (an operation with its typed input). Reading a body into an `Operation` checks every length,
//! pattern, enum, range and required member of the model on the way (`reader.rs`); the errors are the
//! model's own (`RequestError`), which `protocol` words for the wire.
//!
//! Knows nothing of HTTP, the protocol or storage.

#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;
mod generated;
mod pattern;
#[cfg(test)]
mod pattern_corpus;
#[cfg(test)]
mod proofs;
mod reader;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod reference;

pub use generated::*;
pub use reader::{from_json, Read, RequestError};
#[cfg(any(test, feature = "fuzzing"))]
pub use reference::MODEL;

/// What a request's target names (`X-Amz-Target` after `SageMaker.`, read by `protocol::target`): one of
/// the model's operations, typed once and carried so to the handler, the fault rules, the metrics and the
/// log; or text that names none, which is refused after the body is read, as AWS refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Operation(OperationName),
    Unknown(Box<str>),
}

impl Target {
    /// What `name` names: one of the model's operations, or none.
    pub fn from_name(name: &str) -> Target {
        match OperationName::from_name(name) {
            Some(operation) => Target::Operation(operation),
            None => Target::Unknown(name.into()),
        }
    }

    /// The operation, if the target names one.
    pub fn operation(&self) -> Option<OperationName> {
        match self {
            Target::Operation(name) => Some(*name),
            Target::Unknown(_) => None,
        }
    }

    /// The name as the request gave it.
    pub fn as_str(&self) -> &str {
        match self {
            Target::Operation(name) => name.as_str(),
            Target::Unknown(text) => text,
        }
    }
}

/// A time in milliseconds, written as the protocol writes timestamps: epoch seconds, with a fraction only
/// when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub i64);

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            serializer.serialize_i64(self.0 / 1000)
        } else {
            serializer.serialize_f64(self.0 as f64 / 1000.0)
        }
    }
}

impl Operation {
    /// Reads `body` as the input of the operation `name` names. A name the model does not have is
    /// `RequestError::UnknownOperation`.
    pub fn read_named(name: &str, body: &serde_json::Value) -> Result<Operation, RequestError> {
        let operation = OperationName::from_name(name)
            .ok_or_else(|| RequestError::UnknownOperation(name.to_owned()))?;
        Operation::read(operation, body)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn message(operation: &str, body: Value) -> String {
        Operation::read_named(operation, &body)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reports_in_aws_wording() {
        assert_eq!(
            message("UpdateImage", json!({"ImageName": "img", "DisplayName": "x "})),
            "1 validation error detected: Value 'x ' at 'displayName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: ^\\S(.*\\S)?$"
        );
        assert_eq!(
            message("UpdateImage", json!({})),
            "1 validation error detected: Value null at 'imageName' failed to satisfy constraint: \
             Member must not be null"
        );
    }

    #[test]
    fn every_violation_is_listed_in_member_order() {
        assert_eq!(
            message(
                "ListImages",
                json!({"SortOrder": "UP", "MaxResults": 0, "NameContains": "a b"})
            ),
            "3 validation errors detected: \
             Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1; \
             Value 'a b' at 'nameContains' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9\\-.]+$; \
             Value 'UP' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [ASCENDING, DESCENDING]"
        );
    }

    #[test]
    fn nested_members_are_named_by_position() {
        let msg = message(
            "AddTags",
            json!({"ResourceArn": "arn:aws:sagemaker:us-east-1:000000000000:image/a",
                   "Tags": [{"Key": "ok", "Value": "v"}, {"Key": "", "Value": "v"}]}),
        );
        assert!(msg.contains("at 'tags.2.member.key'"), "{msg}");
    }

    #[test]
    fn a_wrong_type_wins_over_every_violation() {
        let error = Operation::read_named(
            "ListImages",
            &json!({"MaxResults": 0, "SortBy": 5, "NameContains": "a b"}),
        )
        .unwrap_err();
        assert_eq!(
            error,
            RequestError::WrongType {
                path: "sortBy".to_owned(),
                expected: "a string"
            }
        );
        let error =
            Operation::read_named("ListImages", &json!({"MaxResults": 2147483648i64})).unwrap_err();
        assert!(matches!(error, RequestError::WrongType { .. }), "{error:?}");
    }

    #[test]
    fn lengths_count_characters() {
        let description = |n| json!({"ImageName": "a", "Description": "é".repeat(n)});
        assert!(Operation::read_named("UpdateImage", &description(512)).is_ok());
        assert!(Operation::read_named("UpdateImage", &description(513)).is_err());
    }

    #[test]
    fn enumerations_are_read_into_their_enums() {
        let read = Operation::read_named(
            "UpdateImage",
            &json!({"ImageName": "a", "DeleteProperties": ["Description", "DisplayName"]}),
        );
        let Ok(Operation::UpdateImage(input)) = read else {
            panic!("{read:?}");
        };
        assert_eq!(
            input.delete_properties,
            Some(vec![
                ImageDeleteProperty::Description,
                ImageDeleteProperty::DisplayName
            ])
        );
        let read = Operation::read_named("ListImages", &json!({"SortBy": "IMAGE_NAME"}));
        let Ok(Operation::ListImages(input)) = read else {
            panic!("{read:?}");
        };
        assert_eq!(input.sort_by, Some(ImageSortBy::ImageName));
    }

    #[test]
    fn every_operation_name_round_trips() {
        for name in OperationName::ALL {
            assert_eq!(OperationName::from_name(name.as_str()), Some(name));
        }
        assert_eq!(OperationName::from_name("createImage"), None);
        assert_eq!(
            Operation::read_named("Nope", &json!({})).unwrap_err(),
            RequestError::UnknownOperation("Nope".to_owned())
        );
    }

    #[test]
    fn the_generated_code_has_every_operation_and_enumeration_of_the_model() {
        let model: Value =
            serde_json::from_str(include_str!("../../model/sagemaker-image-family.json"))
                .expect("the model slice");
        let operations = model["operations"].as_object().expect("operations");
        let mut names: Vec<&str> = OperationName::ALL.iter().map(|o| o.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            operations.keys().map(String::as_str).collect::<Vec<_>>()
        );
        let words = |shape: &str| -> Vec<String> {
            serde_json::from_value(model["shapes"][shape]["enum"].clone()).expect("an enum")
        };
        let strings = |all: &[&str]| all.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            words("ImageStatus"),
            strings(&ImageStatus::ALL.map(ImageStatus::as_str))
        );
        assert_eq!(
            words("ImageSortBy"),
            strings(&ImageSortBy::ALL.map(ImageSortBy::as_str))
        );
        assert_eq!(
            words("SortOrder"),
            strings(&SortOrder::ALL.map(SortOrder::as_str))
        );
    }

    #[test]
    fn a_typed_configuration_keeps_what_pruning_by_the_model_kept() {
        let given = json!({
            "KernelSpecs": [{"Name": "python3", "Unknown": 1}, {"Name": "r", "DisplayName": "R"}],
            "FileSystemConfig": {"MountPath": "/home", "DefaultGid": 100, "Extra": [1]},
            "Unknown": {"deep": true}
        });
        let typed: KernelGatewayImageConfig = from_json(&given).expect("a valid configuration");
        assert_eq!(
            serde_json::to_value(&typed).expect("serializes"),
            MODEL.prune("KernelGatewayImageConfig", &given)
        );
    }

    #[test]
    fn timestamps_are_epoch_seconds() {
        assert_eq!(
            serde_json::to_string(&Timestamp(1_500)).expect("serializes"),
            "1.5"
        );
        assert_eq!(
            serde_json::to_string(&Timestamp(2_000)).expect("serializes"),
            "2"
        );
    }
}
