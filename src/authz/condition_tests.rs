use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::authz::Value;

/// A context with a user, a region, a time, an IP, transport, two request tags and their keys.
fn context() -> Context<'static> {
    let mut context = Context::default();
    context.insert("aws:username", Value::Text("ci".into()));
    context.insert("aws:requestedregion", Value::Text("us-east-1".into()));
    // 2026-12-07T12:00:00Z
    let noon = UNIX_EPOCH + Duration::from_secs(1_796_644_800);
    context.insert("aws:currenttime", Value::Time(noon));
    context.insert(
        "aws:sourceip",
        Value::Ip("203.0.113.7".parse().expect("an IP")),
    );
    context.insert("aws:securetransport", Value::Bool(false));
    context.insert("aws:requesttag/team", Value::Text("ci".into()));
    context.insert("aws:requesttag/cost", Value::Text("42".into()));
    context.insert(
        "aws:tagkeys",
        Value::List(vec!["team".into(), "cost".into()]),
    );
    context.insert(
        "aws:principalarn",
        Value::Text("arn:aws:iam::111111111111:user/ci".into()),
    );
    context
}

/// Whether every condition of the block `{operator: {key: values}}` holds in `context`.
fn holds(block: &str, context: &Context) -> Result<bool, ConditionError> {
    let Json::Object(block) = serde_json::from_str::<Json>(block).expect("test JSON") else {
        panic!("a block is an object");
    };
    let mut all = true;
    for (operator, keys) in &block {
        for condition in Condition::parse_block(operator, keys, true)? {
            all &= condition.holds(context);
        }
    }
    Ok(all)
}

#[test]
fn operators_hold_as_iam_documents_them() {
    let context = context();
    // (condition block, holds)
    #[rustfmt::skip]
    let cases = [
        (r#"{"StringEquals": {"aws:username": "ci"}}"#, true),
        (r#"{"StringEquals": {"AWS:UserName": "ci"}}"#, true),
        (r#"{"StringEquals": {"aws:username": "CI"}}"#, false),
        (r#"{"StringEquals": {"aws:username": ["a", "ci"]}}"#, true),
        (r#"{"StringNotEquals": {"aws:username": ["a", "b"]}}"#, true),
        (r#"{"StringNotEquals": {"aws:username": ["a", "ci"]}}"#, false),
        (r#"{"StringEqualsIgnoreCase": {"aws:username": "CI"}}"#, true),
        (r#"{"StringNotEqualsIgnoreCase": {"aws:username": "CI"}}"#, false),
        (r#"{"StringLike": {"aws:username": "c*"}}"#, true),
        (r#"{"StringLike": {"aws:username": "?"}}"#, false),
        (r#"{"StringNotLike": {"aws:username": "x*"}}"#, true),
        (r#"{"StringEquals": {"aws:requesttag/team": "${aws:username}"}}"#, true),
        (r#"{"StringEquals": {"aws:RequestTag/Team": "ci"}}"#, true),
        (r#"{"StringEquals": {"aws:requesttag/owner": "ci"}}"#, false),
        (r#"{"StringNotEquals": {"aws:requesttag/owner": "ci"}}"#, true),
        (r#"{"StringEqualsIfExists": {"aws:requesttag/owner": "ci"}}"#, true),
        (r#"{"StringEqualsIfExists": {"aws:requesttag/team": "other"}}"#, false),
        (r#"{"NumericEquals": {"aws:requesttag/cost": 42}}"#, true),
        (r#"{"NumericLessThan": {"aws:requesttag/cost": "42"}}"#, false),
        (r#"{"NumericLessThanEquals": {"aws:requesttag/cost": "42"}}"#, true),
        (r#"{"NumericGreaterThan": {"aws:requesttag/cost": "41.5"}}"#, true),
        (r#"{"NumericGreaterThanEquals": {"aws:requesttag/cost": "43"}}"#, false),
        (r#"{"NumericNotEquals": {"aws:requesttag/cost": "42"}}"#, false),
        (r#"{"NumericEquals": {"aws:requesttag/team": "42"}}"#, false),
        (r#"{"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}"#, true),
        (r#"{"DateLessThan": {"aws:CurrentTime": "2026-12-07T12:00:01Z"}}"#, true),
        (r#"{"DateLessThan": {"aws:CurrentTime": "2026-12-07"}}"#, false),
        (r#"{"DateEquals": {"aws:CurrentTime": "1796644800"}}"#, true),
        (r#"{"DateNotEquals": {"aws:CurrentTime": "2026-12-07T12:00:00+00:00"}}"#, false),
        (r#"{"DateLessThanEquals": {"aws:CurrentTime": "2026-12-07T13:00:00+01:00"}}"#, true),
        (r#"{"DateGreaterThanEquals": {"aws:CurrentTime": "2027-01-01"}}"#, false),
        (r#"{"Bool": {"aws:SecureTransport": "false"}}"#, true),
        (r#"{"Bool": {"aws:SecureTransport": true}}"#, false),
        (r#"{"Bool": {"aws:MultiFactorAuthPresent": "true"}}"#, false),
        (r#"{"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}"#, true),
        (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, true),
        (r#"{"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.7"]}}"#, true),
        (r#"{"IpAddress": {"aws:SourceIp": "203.0.112.0/24"}}"#, false),
        (r#"{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}"#, true),
        (r#"{"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}"#, false),
        (r#"{"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}"#, true),
        (r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/c*"}}"#, true),
        (r#"{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/ci"}}"#, true),
        (r#"{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}"#, true),
        (r#"{"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/ci"}}"#, false),
        (r#"{"Null": {"aws:requesttag/owner": "true"}}"#, true),
        (r#"{"Null": {"aws:requesttag/team": "true"}}"#, false),
        (r#"{"Null": {"aws:requesttag/team": "false"}}"#, true),
        (r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost", "owner"]}}"#, true),
        (r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}"#, false),
        (r#"{"ForAllValues:StringEquals": {"aws:ResourceTag/none": ["x"]}}"#, true),
        (r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["cost"]}}"#, true),
        (r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}"#, false),
        (r#"{"ForAnyValue:StringEquals": {"aws:ResourceTag/none": ["x"]}}"#, false),
        (r#"{"ForAnyValue:StringLike": {"aws:TagKeys": ["co*"]}}"#, true),
        (r#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": ["owner"]}}"#, true),
        (r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team", "cost"]}}"#, false),
        (r#"{"StringEquals": {"aws:username": "ci", "aws:requestedregion": "eu-west-1"}}"#, false),
        (r#"{"StringEquals": {"aws:username": "ci"}, "StringLike": {"aws:requestedregion": "us-*"}}"#, true),
        (r#"{"StringEquals": {"sagemaker:unknownkey": "x"}}"#, false),
    ];
    let mut wrong = Vec::new();
    for (block, expected) in cases {
        match holds(block, &context) {
            Ok(held) if held == expected => {}
            other => wrong.push(format!("{block}: {other:?}, expected {expected}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn broken_conditions_are_refused_with_what_is_wrong() {
    let context = context();
    // (condition block, the error's text)
    #[rustfmt::skip]
    let cases = [
        (r#"{"StringEqulas": {"aws:username": "ci"}}"#, "'StringEqulas' is not a condition operator this server supports"),
        (r#"{"StringEquals": "ci"}"#, "operator 'StringEquals' must map condition keys to values"),
        (r#"{"StringEquals": {"aws:username": {"a": 1}}}"#, "'StringEquals' of key 'aws:username': values must be strings, numbers or booleans"),
        (r#"{"StringEquals": {"aws:username": []}}"#, "'StringEquals' of key 'aws:username' has no value"),
        (r#"{"NumericLessThan": {"k": "ten"}}"#, "'NumericLessThan' of key 'k': 'ten' is not a number"),
        (r#"{"DateLessThan": {"aws:CurrentTime": "tomorrow"}}"#, "'DateLessThan' of key 'aws:CurrentTime': 'tomorrow' is not a date (ISO 8601 or epoch seconds)"),
        (r#"{"Bool": {"aws:SecureTransport": "yes"}}"#, "'Bool' of key 'aws:SecureTransport': 'yes' is not true or false"),
        (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/33"}}"#, "'IpAddress' of key 'aws:SourceIp': '203.0.113.0/33' is not an IP address or CIDR range"),
        (r#"{"NullIfExists": {"k": "true"}}"#, "'NullIfExists' cannot be combined with IfExists, ForAllValues or ForAnyValue"),
        (r#"{"Null": {"k": ["true", "false"]}}"#, "'Null' of key 'k': 'true, false' is not one value, true or false"),
        (r#"{"ArnLike": {"aws:PrincipalArn": "user/ci"}}"#, "'ArnLike' of key 'aws:PrincipalArn': 'user/ci' is neither '*' nor an ARN (arn:partition:service:region:account:resource)"),
        (r#"{"StringLike": {"k": "${aws:username"}}"#, "'StringLike' of key 'k': the policy variable starting at '${aws:username' has no closing '}'"),
    ];
    let mut wrong = Vec::new();
    for (block, expected) in cases {
        match holds(block, &context) {
            Err(error) if error.to_string() == expected => {}
            other => wrong.push(format!("{block}: {other:?}, expected {expected}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
