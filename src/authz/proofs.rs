//! Evaluation checked against the policies of AWS's own documents: the IAM user guide's example
//! identity-based policies ("Example IAM identity-based policies") and the SageMaker developer guide's
//! tag-based ones ("Control access to SageMaker AI resources by using tags"), each as written there but
//! for names, with requests that must be allowed and requests that must be denied; then properties of
//! random policies.

use std::borrow::Cow;
use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;

use super::*;

const USER: &str = "ci";
const ACCOUNT: &str = "111111111111";
const IMAGE: &str = "arn:aws:sagemaker:us-east-1:111111111111:image/base";
const PROD_IMAGE: &str = "arn:aws:sagemaker:us-east-1:111111111111:image/prod-base";
const CONFIG: &str = "arn:aws:sagemaker:us-east-1:111111111111:app-image-config/cfg";
const ROLE: &str = "arn:aws:iam::111111111111:role/SageMaker-ci";

/// IAM: "AWS: Denies access to AWS based on the requested Region" (with the Allow it narrows).
const REGIONS: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "*", "Resource": "*"},
  {"Sid": "DenyAllOutsideRequestedRegions", "Effect": "Deny",
   "NotAction": ["cloudfront:*", "iam:*", "route53:*", "support:*"], "Resource": "*",
   "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}}}]}"#;

/// IAM: "AWS: Denies access to AWS based on the source IP" (with the Allow it narrows).
const SOURCE_IP: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
  {"Effect": "Deny", "Action": "*", "Resource": "*",
   "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
                 "Bool": {"aws:ViaAWSService": "false"}}}]}"#;

/// IAM: "AWS: Allows access based on date and time".
const DATES: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "sagemaker:DescribeImage", "Resource": "*",
   "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2026-04-01T00:00:00Z"},
                 "DateLessThan": {"aws:CurrentTime": "2026-06-30T23:59:59Z"}}}]}"#;

/// IAM: "AWS: Allows specific access using MFA within specific dates" (an access key has no MFA).
const MFA: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["sagemaker:*"], "Resource": "*",
   "Condition": {"Bool": {"aws:MultiFactorAuthPresent": true},
                 "DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}}}]}"#;

/// IAM: "Example policy: Allows all actions except those of one service" (`NotAction`, "Allow").
const NOT_ACTION: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}"#;

/// IAM: the `NotResource` example: deny everything of a service but one resource family.
const NOT_RESOURCE: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
  {"Effect": "Deny", "Action": "sagemaker:*",
   "NotResource": ["arn:aws:sagemaker:*:111111111111:image/base", "arn:aws:sagemaker:*:111111111111:image-version/base/*"]}]}"#;

/// IAM: "IAM: Pass an IAM role to a specific AWS service".
const PASS_ROLE: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111111111111:role/SageMaker-*",
   "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}}]}"#;

/// IAM: the policy-variables example: each user's own resources by `${aws:username}`.
const OWN_NAME: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "sagemaker:*Image*", "Resource": "arn:aws:sagemaker:*:*:image/${aws:username}-*"}]}"#;

/// IAM: "Controlling access to AWS resources using tags": only the tag keys listed, with a value given.
const TAG_KEYS: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "sagemaker:CreateImage", "Resource": "*",
   "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost-center"]},
                 "Null": {"aws:RequestTag/team": "false"}}}]}"#;

/// SageMaker: "Require the presence of tags for specified API calls".
const REQUIRE_TAG: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "AllowCreateWithProjectTag", "Effect": "Allow",
   "Action": ["sagemaker:CreateImage", "sagemaker:CreateAppImageConfig"], "Resource": "*",
   "Condition": {"StringEquals": {"aws:RequestTag/Project": "Project1"}}}]}"#;

/// SageMaker: "Allow actions only on resources tagged with a project" (`aws:ResourceTag`).
const RESOURCE_TAG: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "ReadAll", "Effect": "Allow", "Action": ["sagemaker:Describe*", "sagemaker:List*"], "Resource": "*"},
  {"Sid": "ChangeProject1", "Effect": "Allow", "Action": ["sagemaker:Update*", "sagemaker:Delete*"], "Resource": "*",
   "Condition": {"StringEquals": {"aws:ResourceTag/Project": "Project1"}}}]}"#;

/// SageMaker: "Deny changes to resources tagged as production" (a Deny beats the Allow of everything).
const DENY_PROD_TAG: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
  {"Effect": "Deny", "Action": ["sagemaker:Delete*", "sagemaker:Update*"], "Resource": "*",
   "Condition": {"StringEquals": {"aws:ResourceTag/stage": "prod"}}}]}"#;

/// SageMaker: "Prevent the removal of a tag" (`ForAnyValue` on `aws:TagKeys`).
const KEEP_TAG: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
  {"Effect": "Deny", "Action": "sagemaker:DeleteTags", "Resource": "*",
   "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["Project"]}}}]}"#;

/// The issue's: reads only, and a Deny on `image/prod-*` under an Allow of everything.
const READ_ONLY: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["sagemaker:Describe*", "sagemaker:List*"], "Resource": "*"}]}"#;
const DENY_PROD: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "*", "Resource": "*"},
  {"Effect": "Deny", "Action": "sagemaker:*", "Resource": "arn:aws:sagemaker:*:*:image/prod-*"}]}"#;

use Decision::{Allow, ExplicitDeny as Deny, ImplicitDeny as NotAllowed};

/// Condition keys a request has beyond [`context`]'s, and their values.
type Extra = &'static [(&'static str, &'static str)];

/// The principal of the examples: user `ci`, with no policy of its own (the cases hand theirs).
static CI: LazyLock<Identity> = LazyLock::new(|| Identity::new(ACCOUNT, USER, Vec::new()));

/// The context of user `ci` in us-east-1, at 2026-05-01T00:00:00Z, from 203.0.113.7, with `extra`.
fn context(extra: &[(&'static str, &'static str)]) -> Context<'static> {
    let may_first = UNIX_EPOCH + Duration::from_secs(1_777_593_600);
    let mut context = CI.context("us-east-1", "203.0.113.7".parse().ok(), may_first);
    for (key, value) in extra {
        let value = match *key {
            "aws:sourceip" => Value::Ip(value.parse().expect("an IP")),
            "aws:tagkeys" => Value::List(value.split(',').map(Cow::Borrowed).collect()),
            _ => Value::Text(Cow::Borrowed(value)),
        };
        context.insert(*key, value);
    }
    context
}

#[test]
fn the_documented_examples_decide_as_aws_says() {
    // (policy, action, resource, context beyond the default, decision)
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, Extra, Decision)] = &[
        (REGIONS, "sagemaker:DescribeImage", IMAGE, &[], Deny),
        (REGIONS, "sagemaker:DescribeImage", IMAGE, &[("aws:requestedregion", "eu-west-1")], Allow),
        (REGIONS, "iam:PassRole", ROLE, &[], Allow),
        (SOURCE_IP, "sagemaker:CreateImage", IMAGE, &[], Allow),
        (SOURCE_IP, "sagemaker:CreateImage", IMAGE, &[("aws:sourceip", "198.51.100.1")], Deny),
        (SOURCE_IP, "sagemaker:CreateImage", IMAGE, &[("aws:sourceip", "192.0.2.200")], Allow),
        (DATES, "sagemaker:DescribeImage", IMAGE, &[], Allow),
        (DATES, "sagemaker:DeleteImage", IMAGE, &[], NotAllowed),
        (MFA, "sagemaker:DescribeImage", IMAGE, &[], NotAllowed),
        (NOT_ACTION, "sagemaker:DeleteImage", IMAGE, &[], Allow),
        (NOT_ACTION, "iam:PassRole", ROLE, &[], NotAllowed),
        (NOT_ACTION, "IAM:passrole", ROLE, &[], NotAllowed),
        (NOT_RESOURCE, "sagemaker:DeleteImage", IMAGE, &[], Allow),
        (NOT_RESOURCE, "sagemaker:DeleteImage", PROD_IMAGE, &[], Deny),
        (NOT_RESOURCE, "sagemaker:ListImages", "*", &[], Deny),
        (PASS_ROLE, "iam:PassRole", ROLE, &[("iam:passedtoservice", "sagemaker.amazonaws.com")], Allow),
        (PASS_ROLE, "iam:PassRole", ROLE, &[("iam:passedtoservice", "ec2.amazonaws.com")], NotAllowed),
        (PASS_ROLE, "iam:PassRole", "arn:aws:iam::111111111111:role/Admin", &[("iam:passedtoservice", "sagemaker.amazonaws.com")], NotAllowed),
        (OWN_NAME, "sagemaker:CreateImage", "arn:aws:sagemaker:us-east-1:111111111111:image/ci-base", &[], Allow),
        (OWN_NAME, "sagemaker:DescribeImageVersion", "arn:aws:sagemaker:us-east-1:111111111111:image/ci-base", &[], Allow),
        (OWN_NAME, "sagemaker:CreateImage", IMAGE, &[], NotAllowed),
        (OWN_NAME, "sagemaker:CreateImage", "arn:aws:sagemaker:us-east-1:111111111111:image/ci-base", &[("aws:username", "qa")], NotAllowed),
        (OWN_NAME, "sagemaker:CreateAppImageConfig", CONFIG, &[], NotAllowed),
        (TAG_KEYS, "sagemaker:CreateImage", IMAGE, &[("aws:tagkeys", "team"), ("aws:requesttag/team", "ml")], Allow),
        (TAG_KEYS, "sagemaker:CreateImage", IMAGE, &[("aws:tagkeys", "team,owner"), ("aws:requesttag/team", "ml")], NotAllowed),
        (TAG_KEYS, "sagemaker:CreateImage", IMAGE, &[], NotAllowed),
        (REQUIRE_TAG, "sagemaker:CreateImage", IMAGE, &[("aws:requesttag/project", "Project1")], Allow),
        (REQUIRE_TAG, "sagemaker:CreateAppImageConfig", CONFIG, &[("aws:requesttag/project", "Project2")], NotAllowed),
        (REQUIRE_TAG, "sagemaker:CreateImage", IMAGE, &[], NotAllowed),
        (RESOURCE_TAG, "sagemaker:DescribeImage", IMAGE, &[], Allow),
        (RESOURCE_TAG, "sagemaker:UpdateImage", IMAGE, &[("aws:resourcetag/project", "Project1")], Allow),
        (RESOURCE_TAG, "sagemaker:DeleteImage", IMAGE, &[("aws:resourcetag/project", "Project2")], NotAllowed),
        (RESOURCE_TAG, "sagemaker:DeleteImage", IMAGE, &[], NotAllowed),
        (RESOURCE_TAG, "sagemaker:CreateImage", IMAGE, &[("aws:resourcetag/project", "Project1")], NotAllowed),
        (DENY_PROD_TAG, "sagemaker:UpdateImage", IMAGE, &[("aws:resourcetag/stage", "prod")], Deny),
        (DENY_PROD_TAG, "sagemaker:UpdateImage", IMAGE, &[("aws:resourcetag/stage", "dev")], Allow),
        (DENY_PROD_TAG, "sagemaker:DescribeImage", IMAGE, &[("aws:resourcetag/stage", "prod")], Allow),
        (KEEP_TAG, "sagemaker:DeleteTags", IMAGE, &[("aws:tagkeys", "owner,Project")], Deny),
        (KEEP_TAG, "sagemaker:DeleteTags", IMAGE, &[("aws:tagkeys", "owner")], Allow),
        (KEEP_TAG, "sagemaker:AddTags", IMAGE, &[("aws:tagkeys", "Project")], Allow),
        (READ_ONLY, "sagemaker:ListImages", "*", &[], Allow),
        (READ_ONLY, "sagemaker:describeimageversion", IMAGE, &[], Allow),
        (READ_ONLY, "sagemaker:CreateImage", IMAGE, &[], NotAllowed),
        (DENY_PROD, "sagemaker:DeleteImage", PROD_IMAGE, &[], Deny),
        (DENY_PROD, "sagemaker:DeleteImage", IMAGE, &[], Allow),
    ];
    let mut wrong = Vec::new();
    for (index, (policy, action, resource, extra, expected)) in cases.iter().enumerate() {
        let policy = Policy::parse(policy).expect("the documents' policies load");
        let context = context(extra);
        let request = Request {
            action,
            resource,
            context: &context,
        };
        let verdict = evaluate(std::slice::from_ref(&policy), &request);
        if verdict.decision != *expected {
            wrong.push(format!(
                "case {index}: {action} on {resource} with {extra:?}: {verdict:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn a_verdict_names_the_statement_that_made_it() {
    let policies = [Policy::parse(DENY_PROD).expect("loads")];
    let context = context(&[]);
    let on = |resource| Request {
        action: "sagemaker:DeleteImage",
        resource,
        context: &context,
    };
    assert_eq!(evaluate(&policies, &on(PROD_IMAGE)).statement, Some("2"));
    assert_eq!(evaluate(&policies, &on(IMAGE)).statement, Some("1"));
    let named = [Policy::parse(REQUIRE_TAG).expect("loads")];
    assert_eq!(evaluate(&named, &on(IMAGE)).statement, None);
}

#[test]
fn broken_policies_are_refused_with_the_statement_and_what_is_wrong() {
    let statement = |body: &str| {
        format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*"}}, {body}]}}"#
        )
    };
    // (policy, the error's text)
    #[rustfmt::skip]
    let cases = [
        ("{".to_owned(), "not JSON: EOF while parsing an object at line 1 column 1"),
        ("[]".to_owned(), "a policy must be a JSON object"),
        (r#"{"Version": "2012-10-18", "Statement": []}"#.to_owned(), "Version '\"2012-10-18\"' is not one of 2012-10-17 and 2008-10-17"),
        (r#"{"Version": "2012-10-17"}"#.to_owned(), "the policy has no Statement"),
        (r#"{"Version": "2012-10-17", "Statment": []}"#.to_owned(), "'Statment' is not a policy element"),
        (statement(r#"{"Effect": "allow", "Action": "*", "Resource": "*"}"#), "statement 2: Effect must be \"Allow\" or \"Deny\", not \"allow\""),
        (statement(r#"{"Sid": "NoEffect", "Action": "*", "Resource": "*"}"#), "statement 2 (Sid \"NoEffect\"): Effect is missing"),
        (statement(r#"{"Effect": "Allow", "Resource": "*"}"#), "statement 2: one of Action and NotAction is required"),
        (statement(r#"{"Effect": "Allow", "Action": "*", "NotAction": "*", "Resource": "*"}"#), "statement 2: Action and NotAction cannot both be given"),
        (statement(r#"{"Effect": "Allow", "Action": "*"}"#), "statement 2: one of Resource and NotResource is required"),
        (statement(r#"{"Effect": "Allow", "Action": [], "Resource": "*"}"#), "statement 2: Action is empty"),
        (statement(r#"{"Effect": "Allow", "Action": [1], "Resource": "*"}"#), "statement 2: 'Action' must be a string or a list of strings"),
        (statement(r#"{"Effect": "Allow", "Action": "DescribeImage", "Resource": "*"}"#), "statement 2: action 'DescribeImage' is neither '*' nor service:action (such as sagemaker:DescribeImage)"),
        (statement(r#"{"Effect": "Allow", "Action": "*", "Resource": "image/*"}"#), "statement 2: Resource 'image/*' is neither '*' nor an ARN (arn:partition:service:region:account:resource)"),
        (statement(r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}"#), "statement 2: Principal is an element of resource-based policies; an identity-based policy applies to its key"),
        (statement(r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Condtion": {}}"#), "statement 2: 'Condtion' is not a policy element"),
        (statement(r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": []}"#), "statement 2: Condition must map operators to objects of condition keys"),
        (statement(r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEqual": {"k": "v"}}}"#), "statement 2: Condition 'StringEqual' is not a condition operator this server supports"),
        (statement(r#"{"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"}, {"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*"}"#), "statement 3 (Sid \"A\"): Sid \"A\" is used by an earlier statement"),
        (statement(r#""Allow""#), "statement 2: a statement must be a JSON object"),
    ];
    let mut wrong = Vec::new();
    for (policy, expected) in &cases {
        match Policy::parse(policy) {
            Err(error) if error.to_string() == *expected => {}
            other => wrong.push(format!("{policy}: {other:?}, expected {expected}")),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn an_identity_reads_resource_tags_only_when_a_policy_does() {
    let reads = |policy: &str| {
        let policies = vec![Policy::parse(policy).expect("loads")];
        Identity::new(ACCOUNT, USER, policies).reads_resource_tags()
    };
    assert!(reads(RESOURCE_TAG));
    assert!(reads(DENY_PROD_TAG));
    assert!(!reads(REQUIRE_TAG));
    assert!(!reads(DENY_PROD));
}

/// A statement drawn from small sets, so that random requests often meet it.
fn statement() -> impl Strategy<Value = String> {
    let effect = prop_oneof![Just("Allow"), Just("Deny")];
    let action = prop::sample::select(vec![
        r#""Action": "*""#,
        r#""Action": "sagemaker:*""#,
        r#""Action": ["sagemaker:Describe*", "sagemaker:List*"]"#,
        r#""Action": "sagemaker:CreateImage""#,
        r#""NotAction": "sagemaker:Delete*""#,
        r#""Action": "iam:PassRole""#,
    ]);
    let resource = prop::sample::select(vec![
        r#""Resource": "*""#,
        r#""Resource": "arn:aws:sagemaker:*:*:image/prod-*""#,
        r#""Resource": ["arn:aws:sagemaker:us-east-1:111111111111:image/base", "arn:aws:iam::*:role/*"]"#,
        r#""NotResource": "arn:aws:sagemaker:*:*:image/base""#,
        r#""Resource": "arn:aws:sagemaker:*:*:image/${aws:username}-*""#,
    ]);
    let condition = prop::sample::select(vec![
        "",
        r#", "Condition": {"StringEquals": {"aws:RequestTag/team": "${aws:username}"}}"#,
        r#", "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}"#,
        r#", "Condition": {"ForAllValues:StringLike": {"aws:TagKeys": ["t*"]}}"#,
        r#", "Condition": {"Null": {"aws:ResourceTag/stage": "true"}}"#,
        r#", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#,
    ]);
    (effect, action, resource, condition).prop_map(|(effect, action, resource, condition)| {
        format!(r#"{{"Effect": "{effect}", {action}, {resource}{condition}}}"#)
    })
}

fn policy_of(statements: &[String]) -> Policy {
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(", ")
    );
    Policy::parse(&text).expect("drawn statements are well formed")
}

/// A request drawn from the same small sets.
fn request() -> impl Strategy<
    Value = (
        &'static str,
        &'static str,
        Vec<(&'static str, &'static str)>,
    ),
> {
    let action = prop::sample::select(vec![
        "sagemaker:CreateImage",
        "sagemaker:DescribeImage",
        "sagemaker:DeleteImage",
        "sagemaker:ListImages",
        "iam:PassRole",
    ]);
    let resource = prop::sample::select(vec![IMAGE, PROD_IMAGE, "*", ROLE, CONFIG]);
    let extra = prop::sample::subsequence(
        vec![
            ("aws:requesttag/team", "ci"),
            ("aws:tagkeys", "team"),
            ("aws:resourcetag/stage", "prod"),
            ("aws:requestedregion", "eu-west-1"),
            ("aws:sourceip", "198.51.100.1"),
        ],
        0..=5,
    );
    (action, resource, extra)
}

proptest! {
    #[test]
    fn an_explicit_deny_always_refuses(
        mut statements in prop::collection::vec(statement(), 0..8),
        (action, resource, extra) in request(),
        at in 0..8usize,
    ) {
        let context = context(&extra);
        let request = Request { action, resource, context: &context };
        // Whichever statements it is among, a Deny that applies decides.
        let some_deny_applies = statements.iter().any(|statement| {
            statement.contains(r#""Effect": "Deny""#)
                && evaluate(&[policy_of(std::slice::from_ref(statement))], &request).decision == Deny
        });
        let whole = evaluate(&[policy_of(&statements)], &request).decision;
        prop_assert_eq!(whole == Deny, some_deny_applies);
        // And a Deny of exactly this request, put anywhere, refuses it.
        let deny = format!(r#"{{"Effect": "Deny", "Action": "{action}", "Resource": "{resource}"}}"#);
        statements.insert(at.min(statements.len()), deny);
        let denied = evaluate(&[policy_of(&statements)], &request).decision;
        prop_assert_eq!(denied, Deny);
    }

    #[test]
    fn removing_every_allow_always_refuses(
        statements in prop::collection::vec(statement(), 1..8),
        (action, resource, extra) in request(),
    ) {
        let context = context(&extra);
        let request = Request { action, resource, context: &context };
        let denials: Vec<String> = statements
            .into_iter()
            .filter(|statement| statement.contains(r#""Effect": "Deny""#))
            .collect();
        if !denials.is_empty() {
            let decision = evaluate(&[policy_of(&denials)], &request).decision;
            prop_assert_ne!(decision, Allow);
        }
        let none = evaluate(&[], &request).decision;
        prop_assert_eq!(none, NotAllowed);
    }
}
