//! The fuzz target of the request body: the JSON 1.1 envelope, then the model's generated reader, checked
//! against the model walked as data (`fuzz/fuzz_targets/body.rs`; `model::fuzz` replays its committed
//! inputs). Built for tests and with the `fuzzing` feature only.

use crate::model::reference;
use crate::model::{Operation, OperationName};
use crate::protocol::{self, ApiError};

/// The operations of the model, in name order.
fn operations() -> Vec<&'static str> {
    let mut names: Vec<&str> = OperationName::ALL.iter().map(|op| op.as_str()).collect();
    names.sort_unstable();
    names
}

/// Checks that an error is one AWS could send for a request body: a 400 with a code and a message, which
/// `protocol::failure` renders as `__type` and `message`.
pub fn assert_aws_shaped(error: &ApiError, codes: &[&str]) {
    assert!(codes.contains(&error.code()), "{error:?}");
    assert_eq!(error.status().as_u16(), 400, "{error:?}");
    assert!(!error.message().is_empty(), "{error:?}");
    let response = protocol::failure("fuzz", error);
    assert_eq!(
        response.headers()["x-amzn-errortype"].to_str().ok(),
        Some(error.code())
    );
}

/// Body input: the operation name, a newline, the body. A first line that names no operation picks one by
/// its first byte, so every input is validated against some input shape.
pub fn body(data: &[u8]) {
    let (name, body) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&[][..], data),
    };
    let operations = operations();
    let name = String::from_utf8_lossy(name);
    let operation = match operations.iter().find(|op| **op == name) {
        Some(op) => op,
        None => operations[usize::from(data.first().copied().unwrap_or(0)) % operations.len()],
    };
    match protocol::parse_body(body) {
        Err(e) => assert_aws_shaped(&e, &["SerializationException"]),
        Ok(value) => {
            assert!(value.is_object());
            let read = Operation::read_named(operation, &value).err();
            // The generated reader answers every body exactly as the model walked as data does.
            assert_eq!(
                read,
                reference::validate_input(operation, &value).err(),
                "{operation} {value}"
            );
            if let Some(e) = read {
                assert_aws_shaped(
                    &ApiError::from(e),
                    &["ValidationException", "SerializationException"],
                );
            }
        }
    }
}
