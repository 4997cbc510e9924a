//! Random bodies never panic the JSON 1.1 envelope (`protocol::parse_body`) or the generated reader
//! (`Operation::read`), get the answer the model walked as data (`reference::validate_input`) gives, and
//! always get Ok or an AWS-shaped 400: random bytes, random JSON, and random values
//! shaped like each operation's input (right and wrong types, boundary lengths and values, strings drawn
//! from the model's own patterns).

use proptest::prelude::*;
use serde_json::Value;

use super::reference::{Shape, MODEL};
use crate::protocol::fuzz::body;

fn operations() -> Vec<String> {
    let mut names: Vec<String> = MODEL.operations.keys().cloned().collect();
    names.sort();
    names
}

/// The fuzz target's input for `operation` and `body`: the same checks run on both.
fn check(operation: &str, bytes: &[u8]) {
    let mut input = operation.as_bytes().to_vec();
    input.push(b'\n');
    input.extend_from_slice(bytes);
    body(&input);
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[A-Za-z]{1,12}|\\PC{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Around a limit: one below, at, one above.
fn around(limit: Option<i64>) -> Vec<i64> {
    limit.map(|l| vec![l - 1, l, l + 1]).unwrap_or_default()
}

fn string_of(length: i64) -> Value {
    Value::String("a".repeat(usize::try_from(length.clamp(0, 5000)).unwrap_or(0)))
}

/// A value for shape `name`: mostly of the right type, sometimes any JSON at all.
fn shaped(name: &str, depth: u32) -> BoxedStrategy<Value> {
    let right: BoxedStrategy<Value> = match MODEL.shape(name) {
        Shape::Structure { members, .. } if depth < 6 => {
            let members: Vec<BoxedStrategy<Option<(String, Value)>>> = members
                .iter()
                .map(|(member, shape)| {
                    let member = member.clone();
                    prop::option::of(shaped(shape, depth + 1))
                        .prop_map(move |v| v.map(|v| (member.clone(), v)))
                        .boxed()
                })
                .collect();
            (members, prop::option::of(("[A-Za-z]{1,10}", any_json())))
                .prop_map(|(members, extra)| {
                    Value::Object(members.into_iter().flatten().chain(extra).collect())
                })
                .boxed()
        }
        Shape::List { member, max, .. } if depth < 6 => {
            let top = usize::try_from(max.unwrap_or(4).clamp(0, 6) + 2).unwrap_or(8);
            prop::collection::vec(shaped(member, depth + 1), 0..top)
                .prop_map(Value::Array)
                .boxed()
        }
        Shape::Map { key, value, .. } if depth < 6 => {
            prop::collection::vec((shaped(key, depth + 1), shaped(value, depth + 1)), 0..4)
                .prop_map(|entries| {
                    Value::Object(
                        entries
                            .into_iter()
                            .map(|(k, v)| (k.as_str().unwrap_or("key").to_owned(), v))
                            .collect(),
                    )
                })
                .boxed()
        }
        Shape::String {
            min,
            max,
            pattern,
            enum_values,
        } => {
            let mut choices: Vec<BoxedStrategy<Value>> =
                vec!["\\PC{0,40}".prop_map(Value::String).boxed()];
            let lengths: Vec<Value> = around(*min)
                .into_iter()
                .chain(around(*max))
                .map(string_of)
                .collect();
            if !lengths.is_empty() {
                choices.push(prop::sample::select(lengths).boxed());
            }
            if let Some(values) = enum_values {
                let values: Vec<Value> = values.iter().cloned().map(Value::String).collect();
                choices.push(prop::sample::select(values).boxed());
            }
            // proptest's generator reads most of the model's Java patterns (not the look-aheads).
            if let Some(generated) = pattern
                .as_ref()
                .and_then(|p| proptest::string::string_regex(&p.source).ok())
            {
                choices.push(generated.prop_map(Value::String).boxed());
            }
            proptest::strategy::Union::new(choices).boxed()
        }
        Shape::Integer { min, max, .. } => {
            let edges: Vec<Value> = around(*min)
                .into_iter()
                .chain(around(*max))
                .chain([
                    i64::from(i32::MIN) - 1,
                    i64::from(i32::MAX) + 1,
                    i64::MIN,
                    i64::MAX,
                ])
                .map(Value::from)
                .collect();
            prop_oneof![
                prop::sample::select(edges),
                any::<i64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("finite", |f| f.is_finite())
                    .prop_map(Value::from),
            ]
            .boxed()
        }
        Shape::Boolean => any::<bool>().prop_map(Value::Bool).boxed(),
        Shape::Timestamp => prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
        ]
        .boxed(),
        _ => any_json().boxed(),
    };
    prop_oneof![9 => right, 1 => any_json()].boxed()
}

fn shaped_request() -> impl Strategy<Value = (String, Value)> {
    prop::sample::select(operations()).prop_flat_map(|operation| {
        let input = MODEL
            .input_shape(&operation)
            .expect("an operation of the model has an input")
            .to_owned();
        shaped(&input, 0).prop_map(move |value| (operation.clone(), value))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_bytes_get_an_answer(
        operation in prop::sample::select(operations()),
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        check(&operation, &bytes);
    }

    #[test]
    fn random_json_gets_an_answer(
        operation in prop::sample::select(operations()),
        value in any_json(),
    ) {
        check(&operation, &serde_json::to_vec(&value).expect("JSON"));
    }

    #[test]
    fn bodies_shaped_like_the_input_get_an_answer((operation, value) in shaped_request()) {
        check(&operation, &serde_json::to_vec(&value).expect("JSON"));
    }
}

#[test]
fn the_checks_can_fail() {
    // An error that is not a 400 of the expected codes is caught by the same check the properties use.
    let wrong = crate::protocol::ApiError::internal();
    let caught = std::panic::catch_unwind(|| {
        crate::protocol::fuzz::assert_aws_shaped(&wrong, &["ValidationException"]);
    });
    assert!(caught.is_err());
}
