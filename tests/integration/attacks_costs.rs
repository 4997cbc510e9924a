//! What one caller of the control plane can cost everyone else (issue 27): fault and outcome rules are
//! bounded, removing rules and checking an initial state take time linear in their size, and no API call
//! or liveness probe waits while they run.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::cases::{check_raw_refused, Failures};
use crate::common::Server;

const FAULTS: &str = "/_sagemaker-images/faults";
/// The server's limits, as the README's table gives them.
const MAX_FAULT_RULES: usize = 1000;
const MAX_OUTCOME_RULES: usize = 1000;
const LIMIT: &str = "ResourceLimitExceeded";

/// The longest that `probe` took, run again and again until `work` is done; and `work`'s result.
async fn slowest_probe_during<T, P>(
    work: impl std::future::Future<Output = T>,
    mut probe: impl FnMut() -> P,
) -> (Duration, T)
where
    P: std::future::Future<Output = ()>,
{
    let mut work = std::pin::pin!(work);
    let mut slowest = Duration::ZERO;
    loop {
        let started = Instant::now();
        tokio::select! {
            done = &mut work => return (slowest, done),
            () = probe() => slowest = slowest.max(started.elapsed()),
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn rules(prefix: &str, n: usize) -> Value {
    (0..n)
        .map(|i| json!({"operation": format!("{prefix}{i}"), "region": "nowhere"}))
        .collect()
}

#[tokio::test]
async fn past_the_limits_fault_and_outcome_rules_are_refused_and_nothing_is_kept() {
    let server = Server::start();
    let raw = server.raw();
    let mut failures = Failures::default();
    let too_many = raw
        .control("PATCH", FAULTS, Some(&rules("A", MAX_FAULT_RULES + 1)))
        .await;
    failures.check(
        "one call past the limit",
        check_raw_refused(&too_many, LIMIT, &["at most 1000 fault rules"]),
    );
    let filled = raw
        .control("POST", FAULTS, Some(&rules("A", MAX_FAULT_RULES)))
        .await;
    failures.compare("up to the limit", filled.status, 200);
    let one_more = raw.control("PATCH", FAULTS, Some(&rules("B", 1))).await;
    failures.compare("one more", one_more.status, 400);
    let kept = raw.control("GET", FAULTS, None).await;
    failures.compare(
        "the rules kept",
        kept.body.as_array().map(Vec::len),
        Some(MAX_FAULT_RULES),
    );

    let outcome = |i: usize| json!({"operation": "CreateImage", "imageName": format!("held-{i}"), "action": "hold"});
    for batch in (0..MAX_OUTCOME_RULES).collect::<Vec<_>>().chunks(50) {
        let added = batch.iter().map(|i| {
            let body = outcome(*i);
            let raw = &raw;
            async move {
                raw.control("POST", "/_sagemaker-images/outcomes", Some(&body))
                    .await
            }
        });
        for answer in futures::future::join_all(added).await {
            assert_eq!(answer.status, 200, "{}", answer.text);
        }
    }
    let past = raw
        .control(
            "POST",
            "/_sagemaker-images/outcomes",
            Some(&outcome(MAX_OUTCOME_RULES)),
        )
        .await;
    failures.check(
        "an outcome rule past the limit",
        check_raw_refused(&past, LIMIT, &["at most 1000 outcome rules"]),
    );
    let listed = raw
        .control("GET", "/_sagemaker-images/outcomes", None)
        .await;
    failures.compare(
        "the outcome rules kept",
        listed.body["outcomes"].as_array().map(Vec::len),
        Some(MAX_OUTCOME_RULES),
    );
    failures.assert_none();
}

#[tokio::test]
async fn removing_fault_rules_holds_up_no_api_call() {
    let server = Server::start();
    let raw = server.raw();
    let client = server.client();
    let stored = raw
        .control("POST", FAULTS, Some(&rules("Kept", MAX_FAULT_RULES)))
        .await;
    assert_eq!(stored.status, 200, "{}", stored.text);
    // Removals of as many rules as are kept, none of them equal: the most work a removal can ask.
    let others = rules("Other", MAX_FAULT_RULES);
    let removals = async {
        let callers = (0..4).map(|_| async {
            for _ in 0..5 {
                let answer = raw.control("DELETE", FAULTS, Some(&others)).await;
                assert_eq!(answer.status, 200, "{}", answer.text);
            }
        });
        futures::future::join_all(callers).await;
    };
    let (slowest, ()) = slowest_probe_during(removals, || async {
        client.list_images().send().await.expect("list images");
    })
    .await;
    assert!(
        slowest < Duration::from_secs(1),
        "ListImages took {slowest:?} while rules were removed"
    );
    let kept = raw.control("GET", FAULTS, None).await;
    assert_eq!(kept.body.as_array().map(Vec::len), Some(MAX_FAULT_RULES));
}

#[tokio::test]
async fn a_large_initial_state_is_checked_in_linear_time_off_the_request_threads() {
    let server = Server::start();
    let raw = server.raw();
    // 25,000 versions of one image (about 850 KB, under the 1 MiB body limit), then one invalid entry.
    let mut versions: Vec<Value> = (0..25_000)
        .map(|_| json!({"ImageName": "a", "BaseImage": "b"}))
        .collect();
    versions.push(json!({"ImageName": "a"}));
    let document = json!({"accounts": {"000000000000": {"us-east-1": {
        "Images": [{"ImageName": "a", "RoleArn": crate::common::ROLE_ARN}],
        "ImageVersions": versions,
    }}}});
    let started = Instant::now();
    let apply = raw.control("POST", "/_sagemaker-images/state", Some(&document));
    let (slowest, refused) = slowest_probe_during(apply, || async {
        let live = raw.control("GET", "/_sagemaker-images/live", None).await;
        assert_eq!(live.status, 200);
    })
    .await;
    let took = started.elapsed();
    assert_eq!(
        refused.error_type(),
        "ValidationException",
        "{}",
        refused.text
    );
    assert!(
        refused.message().contains("ImageVersions[25000]"),
        "{}",
        refused.message()
    );
    assert!(took < Duration::from_secs(10), "the check took {took:?}");
    assert!(
        slowest < Duration::from_secs(1),
        "/live took {slowest:?} during the check"
    );
    let images = server.client().list_images().send().await.expect("list");
    assert!(images.images().is_empty(), "nothing was applied");
}
