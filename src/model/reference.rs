//! The model slice read at run time and walked as data: the reference that the generated readers
//! (`generated.rs`) are tested against, and what the property tests and fuzz targets draw inputs from.
//! Built for tests and with the `fuzzing` feature only; the server reads requests with the generated code.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::Value;

use super::pattern;
use super::reader::{render, RequestError};

const MODEL_JSON: &str = include_str!("../../model/sagemaker-image-family.json");

#[derive(Debug, Deserialize)]
struct RawModel {
    operations: BTreeMap<String, RawOperation>,
    shapes: BTreeMap<String, RawShape>,
}

#[derive(Debug, Deserialize)]
struct RawOperation {
    input: String,
}

#[derive(Debug, Deserialize)]
struct RawMemberRef {
    shape: String,
}

#[derive(Debug, Deserialize)]
struct RawShape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    members: BTreeMap<String, RawMemberRef>,
    #[serde(default)]
    required: Vec<String>,
    member: Option<RawMemberRef>,
    key: Option<RawMemberRef>,
    value: Option<RawMemberRef>,
    min: Option<i64>,
    max: Option<i64>,
    pattern: Option<String>,
    #[serde(rename = "enum")]
    enum_values: Option<Vec<String>>,
}

/// One shape of the model, with its constraints ready to check.
#[derive(Debug)]
pub enum Shape {
    Structure {
        /// Members in the model's (alphabetical) order, which is also the order errors are reported in.
        members: Vec<(String, String)>,
        required: Vec<String>,
    },
    List {
        member: String,
        min: Option<i64>,
        max: Option<i64>,
    },
    Map {
        key: String,
        value: String,
        min: Option<i64>,
        max: Option<i64>,
    },
    String {
        min: Option<i64>,
        max: Option<i64>,
        pattern: Option<Pattern>,
        enum_values: Option<Vec<String>>,
    },
    Integer {
        min: Option<i64>,
        max: Option<i64>,
        /// `long` shapes are 64-bit; `integer` shapes are Java's 32-bit int.
        wide: bool,
    },
    Boolean,
    Timestamp,
    /// Shapes that only appear in outputs and errors; inputs never carry them.
    Other,
}

#[derive(Debug)]
pub struct Pattern {
    pub source: String,
    pub regex: fancy_regex::Regex,
}

#[derive(Debug)]
pub struct Model {
    /// Operation name → its input shape.
    pub(super) operations: HashMap<String, String>,
    pub(super) shapes: HashMap<String, Shape>,
}

impl Model {
    fn load() -> Model {
        let raw: RawModel =
            serde_json::from_str(MODEL_JSON).expect("the checked-in model slice is valid JSON");
        let shapes = raw
            .shapes
            .into_iter()
            .map(|(name, shape)| {
                let shape = Shape::from_raw(&name, shape);
                (name, shape)
            })
            .collect();
        let operations = raw
            .operations
            .into_iter()
            .map(|(name, op)| (name, op.input))
            .collect();
        Model { operations, shapes }
    }

    pub fn input_shape(&self, operation: &str) -> Option<&str> {
        self.operations.get(operation).map(String::as_str)
    }

    pub fn shape(&self, name: &str) -> &Shape {
        self.shapes.get(name).unwrap_or(&Shape::Other)
    }

    /// The constraints of a named shape, for code that must agree with the model (enum lists, limits).
    pub fn string_enum(&self, name: &str) -> &[String] {
        match self.shape(name) {
            Shape::String {
                enum_values: Some(values),
                ..
            } => values,
            _ => &[],
        }
    }

    /// `value` with only the members the model knows for `shape_name`, recursively, and no nulls: what a
    /// server that deserialized the request into the model's types would store and echo back.
    pub fn prune(&self, shape_name: &str, value: &Value) -> Value {
        match (self.shape(shape_name), value) {
            (Shape::Structure { members, .. }, Value::Object(object)) => Value::Object(
                members
                    .iter()
                    .filter_map(|(member, shape)| match object.get(member) {
                        None | Some(Value::Null) => None,
                        Some(inner) => Some((member.clone(), self.prune(shape, inner))),
                    })
                    .collect(),
            ),
            (Shape::List { member, .. }, Value::Array(items)) => {
                Value::Array(items.iter().map(|item| self.prune(member, item)).collect())
            }
            (
                Shape::Map {
                    value: value_shape, ..
                },
                Value::Object(entries),
            ) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.prune(value_shape, v)))
                    .collect(),
            ),
            _ => value.clone(),
        }
    }

    pub fn length_limits(&self, name: &str) -> (Option<i64>, Option<i64>) {
        match self.shape(name) {
            Shape::String { min, max, .. }
            | Shape::List { min, max, .. }
            | Shape::Map { min, max, .. }
            | Shape::Integer { min, max, .. } => (*min, *max),
            _ => (None, None),
        }
    }
}

impl Shape {
    fn from_raw(name: &str, raw: RawShape) -> Shape {
        match raw.kind.as_str() {
            "structure" => Shape::Structure {
                members: raw.members.into_iter().map(|(k, v)| (k, v.shape)).collect(),
                required: raw.required,
            },
            "list" => Shape::List {
                member: raw.member.map(|m| m.shape).unwrap_or_default(),
                min: raw.min,
                max: raw.max,
            },
            "map" => Shape::Map {
                key: raw.key.map(|m| m.shape).unwrap_or_default(),
                value: raw.value.map(|m| m.shape).unwrap_or_default(),
                min: raw.min,
                max: raw.max,
            },
            "string" => Shape::String {
                min: raw.min,
                max: raw.max,
                pattern: raw.pattern.map(|source| Pattern {
                    regex: pattern::compile(&source).unwrap_or_else(|e| {
                        panic!("pattern of shape {name} does not compile: {e}")
                    }),
                    source,
                }),
                enum_values: raw.enum_values,
            },
            "integer" | "long" => Shape::Integer {
                min: raw.min,
                max: raw.max,
                wide: raw.kind == "long",
            },
            "boolean" => Shape::Boolean,
            "timestamp" => Shape::Timestamp,
            _ => Shape::Other,
        }
    }
}

/// The model, parsed and compiled once. Parsing cannot fail at run time: a test loads it.
pub static MODEL: LazyLock<Model> = LazyLock::new(Model::load);

/// Validates `body` against the input of `operation`. Unknown operations are the caller's concern.
pub fn validate_input(operation: &str, body: &Value) -> Result<(), RequestError> {
    let Some(input) = MODEL.input_shape(operation) else {
        return Err(RequestError::UnknownOperation(operation.to_owned()));
    };
    let mut violations = Vec::new();
    Walker {
        model: &MODEL,
        violations: &mut violations,
    }
    .check(input, body, "")?;
    match violations.is_empty() {
        true => Ok(()),
        false => Err(RequestError::Invalid(violations)),
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

fn wrong_type(path: &str, expected: &'static str) -> RequestError {
    RequestError::WrongType {
        path: path.to_owned(),
        expected,
    }
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

    fn check(&mut self, shape_name: &str, value: &Value, path: &str) -> Result<(), RequestError> {
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

    #[test]
    fn model_loads_and_every_pattern_compiles() {
        let model = Model::load();
        assert!(model.input_shape("UpdateImage").is_some());
        assert!(model.shapes.len() > 50);
    }

    #[test]
    fn seed_constraints_come_through() {
        assert_eq!(
            MODEL.length_limits("ImageDisplayName"),
            (Some(1), Some(128))
        );
        assert_eq!(
            MODEL.length_limits("ImageDeletePropertyList"),
            (Some(0), Some(2))
        );
        assert_eq!(MODEL.length_limits("RoleArn"), (Some(20), Some(2048)));
        assert_eq!(
            MODEL.string_enum("ImageSortOrder"),
            ["ASCENDING", "DESCENDING"]
        );
    }
}
