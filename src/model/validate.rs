//! Checks a request body against the input shape of its operation, the way AWS does: a value of the wrong
//! JSON type is a `SerializationException`; every broken constraint is listed in one `ValidationException`
//! worded as AWS words it ("1 validation error detected: Value ... at '...' failed to satisfy constraint: ...").
//! Unknown members are ignored and `null` counts as absent, as AWS's deserializer does.

use serde_json::Value;

use super::{pattern, Model, Shape, MODEL};
use crate::protocol::ApiError;

/// Validates `body` against the input of `operation`. Unknown operations are the caller's concern.
pub fn validate_input(operation: &str, body: &Value) -> Result<(), ApiError> {
    let Some(input) = MODEL.input_shape(operation) else {
        return Err(ApiError::UnknownOperation(format!(
            "Operation 'SageMaker.{operation}' is not supported by this service."
        )));
    };
    let mut violations = Vec::new();
    Walker {
        model: &MODEL,
        violations: &mut violations,
    }
    .check(input, body, "")?;
    match violations.len() {
        0 => Ok(()),
        1 => Err(ApiError::Validation(format!(
            "1 validation error detected: {}",
            violations[0]
        ))),
        n => Err(ApiError::Validation(format!(
            "{n} validation errors detected: {}",
            violations.join("; ")
        ))),
    }
}

struct Walker<'a> {
    model: &'a Model,
    violations: &'a mut Vec<String>,
}

fn member_path(parent: &str, member: &str) -> String {
    let mut chars = member.chars();
    let camel: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    if parent.is_empty() {
        camel
    } else {
        format!("{parent}.{camel}")
    }
}

/// How AWS prints a value inside a validation message (Java's `toString` of the deserialized value).
fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}={}", render(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn wrong_type(path: &str, expected: &str) -> ApiError {
    ApiError::Serialization(format!("Value at '{path}' must be {expected}."))
}

impl Walker<'_> {
    fn violation(&mut self, value: &Value, path: &str, constraint: String) {
        self.violations.push(format!(
            "Value '{}' at '{path}' failed to satisfy constraint: {constraint}",
            render(value)
        ));
    }

    fn check_length(
        &mut self,
        value: &Value,
        path: &str,
        len: usize,
        min: Option<i64>,
        max: Option<i64>,
    ) {
        let len = len as i64;
        if let Some(min) = min.filter(|min| len < *min) {
            self.violation(
                value,
                path,
                format!("Member must have length greater than or equal to {min}"),
            );
        }
        if let Some(max) = max.filter(|max| len > *max) {
            self.violation(
                value,
                path,
                format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    fn check(&mut self, shape_name: &str, value: &Value, path: &str) -> Result<(), ApiError> {
        let model = self.model;
        match model.shape(shape_name) {
            Shape::Structure { members, required } => {
                let Value::Object(object) = value else {
                    return Err(wrong_type(path, "a structure"));
                };
                for (member, member_shape) in members {
                    let child = member_path(path, member);
                    match object.get(member) {
                        None | Some(Value::Null) => {
                            if required.contains(member) {
                                self.violations.push(format!(
                                    "Value null at '{child}' failed to satisfy constraint: Member must not be null"
                                ));
                            }
                        }
                        Some(inner) => self.check(member_shape, inner, &child)?,
                    }
                }
            }
            Shape::List { member, min, max } => {
                let Value::Array(items) = value else {
                    return Err(wrong_type(path, "a list"));
                };
                for (index, item) in items.iter().enumerate() {
                    let child = format!("{path}.{}.member", index + 1);
                    if item.is_null() {
                        return Err(wrong_type(&child, "a value, not null"));
                    }
                    self.check(member, item, &child)?;
                }
                self.check_length(value, path, items.len(), *min, *max);
            }
            Shape::Map {
                key,
                value: value_shape,
                min,
                max,
            } => {
                let Value::Object(entries) = value else {
                    return Err(wrong_type(path, "a map"));
                };
                for (entry_key, entry_value) in entries {
                    let child = format!("{path}.{entry_key}");
                    self.check(
                        key,
                        &Value::String(entry_key.clone()),
                        &format!("{child}.key"),
                    )?;
                    self.check(value_shape, entry_value, &format!("{child}.value"))?;
                }
                self.check_length(value, path, entries.len(), *min, *max);
            }
            Shape::String {
                min,
                max,
                pattern: string_pattern,
                enum_values,
            } => {
                let Value::String(text) = value else {
                    return Err(wrong_type(path, "a string"));
                };
                self.check_length(value, path, text.chars().count(), *min, *max);
                if let Some(p) = string_pattern {
                    // A pattern too costly to evaluate is treated as a mismatch rather than an error.
                    if !p.regex.is_match(text).unwrap_or(false) {
                        self.violation(
                            value,
                            path,
                            format!(
                                "Member must satisfy regular expression pattern: {}",
                                pattern::display(&p.source)
                            ),
                        );
                    }
                }
                if let Some(allowed) = enum_values {
                    if !allowed.iter().any(|a| a == text) {
                        self.violation(
                            value,
                            path,
                            format!(
                                "Member must satisfy enum value set: [{}]",
                                allowed.join(", ")
                            ),
                        );
                    }
                }
            }
            Shape::Integer { min, max, wide } => {
                let number = value
                    .as_i64()
                    .filter(|n| *wide || i32::try_from(*n).is_ok());
                let Some(number) = number else {
                    return Err(wrong_type(
                        path,
                        if *wide {
                            "a long integer"
                        } else {
                            "an integer"
                        },
                    ));
                };
                if let Some(min) = min.filter(|min| number < *min) {
                    self.violation(
                        value,
                        path,
                        format!("Member must have value greater than or equal to {min}"),
                    );
                }
                if let Some(max) = max.filter(|max| number > *max) {
                    self.violation(
                        value,
                        path,
                        format!("Member must have value less than or equal to {max}"),
                    );
                }
            }
            Shape::Boolean => {
                if !value.is_boolean() {
                    return Err(wrong_type(path, "a boolean"));
                }
            }
            Shape::Timestamp => {
                if !value.as_f64().is_some_and(f64::is_finite) {
                    return Err(wrong_type(path, "a timestamp in epoch seconds"));
                }
            }
            Shape::Other => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(op: &str, body: Value) -> String {
        validate_input(op, &body).unwrap_err().message().to_owned()
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
    fn nested_members_are_named_by_position() {
        let msg = message(
            "AddTags",
            json!({"ResourceArn": "arn:aws:sagemaker:us-east-1:000000000000:image/a",
                   "Tags": [{"Key": "ok", "Value": "v"}, {"Key": "", "Value": "v"}]}),
        );
        assert!(msg.contains("at 'tags.2.member.key'"), "{msg}");
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        let err = validate_input("UpdateImage", &json!({"ImageName": 5})).unwrap_err();
        assert_eq!(err.code(), "SerializationException");
        let err = validate_input("ListImages", &json!({"MaxResults": 2147483648i64})).unwrap_err();
        assert_eq!(err.code(), "SerializationException");
    }

    #[test]
    fn lengths_count_characters() {
        assert!(validate_input(
            "UpdateImage",
            &json!({"ImageName": "a", "Description": "é".repeat(512)})
        )
        .is_ok());
        assert!(validate_input(
            "UpdateImage",
            &json!({"ImageName": "a", "Description": "é".repeat(513)})
        )
        .is_err());
    }
}
