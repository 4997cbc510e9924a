//! Shapes and constraints, read from the slice of botocore's SageMaker model checked in at
//! `model/sagemaker-image-family.json` (written by `tools/extract_model.py`, compared with botocore by a
//! test). Every length, pattern, enum, range and required member the server enforces comes from there.

#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;
mod pattern;
#[cfg(test)]
mod pattern_corpus;
#[cfg(test)]
mod proofs;
mod validate;

pub use validate::validate_input;

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde::Deserialize;

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
    operations: HashMap<String, String>,
    shapes: HashMap<String, Shape>,
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

    /// The model's own spelling of `operation`, if it is one of the model's.
    pub fn operation_name(&self, operation: &str) -> Option<&str> {
        self.operations
            .get_key_value(operation)
            .map(|(name, _)| name.as_str())
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
    pub fn prune(&self, shape_name: &str, value: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
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
