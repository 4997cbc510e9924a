//! The rows the request path's own cost moves, and the policy evaluation alone.

use super::*;

/// A ten-statement identity policy that allows the bench's calls, with Deny statements that every request
/// is checked against in full (none applies from loopback in us-east-1).
pub(crate) const TEN_STATEMENTS: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": ["sagemaker:Describe*", "sagemaker:List*"], "Resource": "*"},
  {"Effect": "Allow", "Action": "sagemaker:CreateImage", "Resource": "arn:aws:sagemaker:*:*:image/*",
   "Condition": {"StringEqualsIfExists": {"aws:RequestTag/team": "${aws:username}"}}},
  {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/*",
   "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}},
  {"Effect": "Allow", "Action": "sagemaker:UpdateImage", "Resource": "arn:aws:sagemaker:*:*:image/image-*"},
  {"Effect": "Deny", "Action": "sagemaker:Delete*", "Resource": "arn:aws:sagemaker:*:*:image/prod-*"},
  {"Effect": "Deny", "Action": "*", "Resource": "*",
   "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}}},
  {"Effect": "Deny", "Action": "*", "Resource": "*",
   "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
  {"Effect": "Allow", "Action": "sagemaker:CreateImageVersion", "Resource": "arn:aws:sagemaker:*:*:image/ci-*"},
  {"Effect": "Deny", "Action": "sagemaker:*", "Resource": "arn:aws:sagemaker:*:*:app-image-config/secret-*"},
  {"Effect": "Allow", "Action": "sagemaker:AddTags", "Resource": "*",
   "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "stage"]}}}]}"#;

/// The embedded store's rows: each operation with the answer caches on, then the reads with them off.
/// The rows whose cost is mostly the request path's: UpdateImage, and DescribeImage with and without the
/// answer cache; then DescribeImage by a key with no policy and by one with ten statements.
pub(crate) async fn measure_request_path(seconds: u64, floor: &Served) {
    measure_updates("sqlite UpdateImage", &[], false, seconds, floor).await;
    for (name, args) in [
        ("sqlite DescribeImage", &[][..]),
        (
            "sqlite DescribeImage (no cache)",
            &["--describe-cache", "0"][..],
        ),
    ] {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (served, _) = start_server(data_dir.path(), None, args, false);
        seed(served.address, IMAGES).await;
        let describes = describe_requests(&served.address.to_string());
        measure(name, &served, describes, seconds, floor).await;
    }
    let with_policy = format!("policy = '''{TEN_STATEMENTS}'''\n");
    for (name, policy) in [
        ("sqlite DescribeImage (key, no policy)", ""),
        (
            "sqlite DescribeImage (ten-statement policy)",
            &with_policy[..],
        ),
    ] {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let credentials = data_dir.path().join("credentials.toml");
        let file = format!(
            "[[credentials]]\naccess_key_id = \"test\"\nsecret_access_key = \"test\"\n\
             account_id = \"000000000000\"\n{policy}"
        );
        std::fs::write(&credentials, file).expect("credentials file");
        let path = credentials.to_str().expect("a text path");
        let (served, _) = start_server(data_dir.path(), None, &["--credentials", path], false);
        seed(served.address, IMAGES).await;
        let describes = describe_requests(&served.address.to_string());
        measure(name, &served, describes, seconds, floor).await;
    }
    measure_evaluation();
}

/// The policy's own price, in this process: a DescribeImage's context built and evaluated against the
/// ten statements, the steadier figure beside the rows' CPU time, which moves with the machine.
pub(crate) fn measure_evaluation() {
    use sagemaker_images::authz::{Identity, Policy};
    let policy = Policy::parse(TEN_STATEMENTS).expect("the bench's policy loads");
    let identity = Identity::new("000000000000", "test", vec![policy]);
    let resource = "arn:aws:sagemaker:us-east-1:000000000000:image/image-0000001";
    let source_ip = "127.0.0.1".parse().ok();
    let rounds = 200_000;
    let started = Instant::now();
    for _ in 0..rounds {
        let context = identity.context("us-east-1", source_ip, SystemTime::now());
        let decision = identity.authorize("sagemaker:DescribeImage", resource, &context);
        assert!(std::hint::black_box(decision).is_ok());
    }
    let each = started.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    println!("ten-statement policy: context and evaluation of a DescribeImage, {each:.2} µs each (in process)");
}
