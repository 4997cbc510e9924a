//! Every rule of the version decisions, as tables: numbering, aliases, ClientToken, the states of the
//! image and of the version, and how a transition begins.

use super::*;
use crate::domain::cases::Failures;
use crate::domain::lifecycle::ForcedOutcome;

const IMAGE: &str = "Img";
const NOW: Millis = 10_000;

fn image(status: Status, last_version: i64) -> ImageRecord {
    ImageRecord {
        name: IMAGE.into(),
        display_name: None,
        description: None,
        role_arn: "arn:aws:iam::000000000000:role/r".into(),
        lifecycle: Lifecycle::settled(status),
        failure_reason: None,
        created: 0,
        modified: 0,
        last_version,
    }
}

/// A version of `IMAGE` in `lifecycle`, created by the request `digest-{number}` with `token-{number}`.
fn version_in(number: i64, aliases: &[&str], lifecycle: Lifecycle) -> VersionRecord {
    VersionRecord {
        version: number,
        base_image: format!("base-{number}"),
        metadata: VersionMetadata::default(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        lifecycle,
        failure_reason: None,
        client_token: format!("token-{number}"),
        request_digest: format!("digest-{number}"),
        created: 0,
        modified: 0,
    }
}

fn version(number: i64, aliases: &[&str]) -> VersionRecord {
    version_in(number, aliases, Lifecycle::settled(Status::Created))
}

/// A transition of `status` that began before [`NOW`] and is still under way.
fn under_way(status: Status) -> Lifecycle {
    Lifecycle::transition(status, 0, NOW + 1)
}

/// A deletion that ended before [`NOW`]: the version is gone, its record not yet removed.
fn deleted() -> Lifecycle {
    Lifecycle::transition(Status::Deleting, 0, NOW - 1)
}

/// An image in `status`, counter at `last_version`, with `versions`.
fn set_in(status: Status, last_version: i64, versions: Vec<VersionRecord>) -> Option<VersionSet> {
    Some(VersionSet {
        image: image(status, last_version),
        versions,
    })
}

fn ready(last_version: i64, versions: Vec<VersionRecord>) -> Option<VersionSet> {
    set_in(Status::Created, last_version, versions)
}

/// An image whose deletion is still under way (or, `ended`, has ended).
fn image_deleting(ended: bool) -> Option<VersionSet> {
    let mut set = ready(1, vec![version(1, &["stable"])])?;
    set.image.lifecycle = if ended {
        deleted()
    } else {
        under_way(Status::Deleting)
    };
    Some(set)
}

fn request(token: &str, digest: &str, aliases: &[&str]) -> NewVersion {
    NewVersion {
        image_name: IMAGE.into(),
        base_image: "base".into(),
        metadata: VersionMetadata::default(),
        aliases: aliases.iter().map(|a| a.to_string()).collect(),
        client_token: token.into(),
        request_digest: digest.into(),
        number: None,
    }
}

fn numbered(number: i64) -> NewVersion {
    NewVersion {
        number: Some(number),
        ..request("new-token", "new", &[])
    }
}

/// What a write does to the versions, in short: the counter, each version put (number, aliases,
/// status as stored) and each removed.
/// What a change is expected to write, or its refusal.
type Outcome = Result<Written, DomainError>;

#[derive(Debug, PartialEq)]
struct Written {
    /// The version number the operation answers with (DeleteImageVersion answers none).
    answer: Option<i64>,
    last_version: Option<i64>,
    put: Vec<(i64, Vec<String>, Status)>,
    remove: Vec<i64>,
}

fn written(write: &VersionWrite, answer: Option<i64>) -> Written {
    Written {
        answer,
        last_version: write.last_version,
        put: write
            .put
            .iter()
            .map(|v| (v.version, v.aliases.clone(), v.lifecycle.status))
            .collect(),
        remove: write.remove.clone(),
    }
}

/// A version created: its number, counter moved to it, its sorted aliases, CREATING; `remove` gone ones.
fn made(number: i64, aliases: &[&str], remove: &[i64]) -> Outcome {
    Ok(Written {
        answer: Some(number),
        last_version: Some(number),
        put: vec![(
            number,
            aliases.iter().map(|a| a.to_string()).collect(),
            Status::Creating,
        )],
        remove: remove.to_vec(),
    })
}

fn missing_image() -> DomainError {
    image::not_found(IMAGE)
}

fn alias_taken(alias: &str, owner: i64) -> DomainError {
    Invalid::AliasTaken {
        alias: alias.into(),
        owner,
        image: IMAGE.into(),
    }
    .into()
}

#[test]
fn create_numbers_names_and_refuses() {
    use Status::*;
    let retry_image_busy = set_in(Updating, 1, vec![version(1, &[])]).map(|mut set| {
        set.image.lifecycle = under_way(Updating);
        set
    });
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<VersionSet>, NewVersion, Outcome)> = vec![
        ("the first version is 1", ready(0, vec![]), request("t", "d", &[]), made(1, &[], &[])),
        ("numbers continue from the image's counter", ready(1, vec![version(1, &["stable"])]), request("other", "x", &[]), made(2, &[], &[])),
        ("a number of a deleted version is not reused", ready(5, vec![version(2, &[])]), request("t", "d", &[]), made(6, &[], &[])),
        ("aliases are stored sorted", ready(0, vec![]), request("t", "d", &["b", "a"]), made(1, &["a", "b"], &[])),
        ("versions whose deletion ended are removed", ready(2, vec![version_in(2, &[], deleted())]), request("t", "d", &[]), made(3, &[], &[2])),
        ("a retry answers its version and writes nothing", ready(3, vec![version(2, &[])]), request("token-2", "digest-2", &[]), Ok(Written { answer: Some(2), last_version: None, put: vec![], remove: vec![] })),
        ("a retry is answered even while the image changes", retry_image_busy, request("token-1", "digest-1", &[]), Ok(Written { answer: Some(1), last_version: None, put: vec![], remove: vec![] })),
        ("a token reused for another request is refused", ready(3, vec![version(2, &[])]), request("token-2", "other", &[]), Err(Invalid::ClientTokenReused { token: "token-2".into(), version: 2 } .into())),
        ("the token of a version whose deletion ended is free", ready(2, vec![version_in(2, &[], deleted())]), request("token-2", "other", &[]), made(3, &[], &[2])),
        ("no image", None, request("t", "d", &[]), Err(missing_image())),
        ("an image whose deletion ended", image_deleting(true), request("t", "d", &[]), Err(missing_image())),
        ("an image being created", set_in(Creating, 0, vec![]).map(|mut s| { s.image.lifecycle = under_way(Creating); s }), request("t", "d", &[]), Err(Busy::ImageNotReadyForVersion { name: IMAGE.into(), status: Creating } .into())),
        ("an image being deleted", image_deleting(false), request("t", "d", &[]), Err(Busy::ImageNotReadyForVersion { name: IMAGE.into(), status: Deleting } .into())),
        ("an image whose creation failed", set_in(CreateFailed, 0, vec![]), request("t", "d", &[]), Err(Invalid::ImageFailed { name: IMAGE.into(), status: CreateFailed } .into())),
        ("an image whose update failed", set_in(UpdateFailed, 0, vec![]), request("t", "d", &[]), Err(Invalid::ImageFailed { name: IMAGE.into(), status: UpdateFailed } .into())),
        ("an image whose deletion failed", set_in(DeleteFailed, 0, vec![]), request("t", "d", &[]), Err(Invalid::ImageFailed { name: IMAGE.into(), status: DeleteFailed } .into())),
        ("an image whose update has ended", set_in(Updating, 0, vec![]).map(|mut s| { s.image.lifecycle = Lifecycle::transition(Updating, 0, NOW); s }), request("t", "d", &[]), made(1, &[], &[])),
        ("an alias listed twice", ready(0, vec![]), request("t", "d", &["a", "a"]), Err(Invalid::RepeatedAlias.into())),
        ("an alias of another version", ready(1, vec![version(1, &["stable"])]), request("t", "d", &["stable"]), Err(alias_taken("stable", 1))),
        ("an alias of a version whose deletion ended is free", ready(1, vec![version_in(1, &["stable"], deleted())]), request("t", "d", &["stable"]), made(2, &["stable"], &[1])),
        ("an initial state's number above the counter", ready(2, vec![]), numbered(7), made(7, &[], &[])),
        ("an initial state's number already given", ready(2, vec![]), numbered(2), Err(Invalid::VersionNumberTaken { requested: 2, image: IMAGE.into(), next: 3 } .into())),
    ];
    let mut failures = Failures::default();
    for (name, current, new, expected) in cases {
        let seen = create(current.as_ref(), &new, NOW, &Transition::after(0))
            .map(|(write, answer)| written(&write, Some(answer)));
        failures.check(name, seen, expected);
    }
    failures.assert_none();
}

#[test]
fn update_aliases_and_metadata() {
    use Status::*;
    let two = || {
        ready(
            2,
            vec![version(1, &["old", "stable"]), version(2, &["latest"])],
        )
    };
    let patch = |add: &[&str], delete: &[&str]| VersionPatch {
        aliases_to_add: add.iter().map(|a| a.to_string()).collect(),
        aliases_to_delete: delete.iter().map(|a| a.to_string()).collect(),
        metadata: VersionMetadata::default(),
    };
    let kept = |number: i64, aliases: &[&str]| {
        Ok(Written {
            answer: Some(number),
            last_version: None,
            put: vec![(
                number,
                aliases.iter().map(|a| a.to_string()).collect(),
                Created,
            )],
            remove: vec![],
        })
    };
    let number = VersionSelector::Number;
    let alias = |a: &str| VersionSelector::Alias(a.into());
    let latest = VersionSelector::Latest;
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<VersionSet>, VersionSelector, VersionPatch, Outcome)> = vec![
        ("an alias is added", two(), number(2), patch(&["beta"], &[]), kept(2, &["beta", "latest"])),
        ("an alias is deleted", two(), number(1), patch(&[], &["old"]), kept(1, &["stable"])),
        ("deleting an alias the version lacks changes nothing", two(), number(1), patch(&[], &["none"]), kept(1, &["old", "stable"])),
        ("adding an alias the version has keeps one", two(), number(1), patch(&["stable"], &[]), kept(1, &["old", "stable"])),
        ("added and deleted at once", two(), number(1), patch(&["new"], &["old"]), kept(1, &["new", "stable"])),
        ("an alias of another version cannot move by adding", two(), number(2), patch(&["stable"], &[]), Err(alias_taken("stable", 1))),
        ("the same alias added and deleted", two(), number(1), patch(&["x"], &["x"]), Err(Invalid::AliasAddedAndDeleted { alias: "x".into() }.into())),
        ("an alias added twice", two(), number(1), patch(&["x", "x"], &[]), Err(Invalid::RepeatedAlias.into())),
        ("an alias deleted twice", two(), number(1), patch(&[], &["old", "old"]), Err(Invalid::RepeatedAlias.into())),
        ("a version named by alias", two(), alias("latest"), patch(&["beta"], &[]), kept(2, &["beta", "latest"])),
        ("Latest is the highest number", two(), latest.clone(), patch(&[], &[]), kept(2, &["latest"])),
        ("Latest skips a version whose deletion ended", ready(2, vec![version(1, &[]), version_in(2, &[], deleted())]), latest.clone(), patch(&[], &[]), Ok(Written { answer: Some(1), last_version: None, put: vec![(1, vec![], Created)], remove: vec![2] })),
        ("no such number", two(), number(9), patch(&[], &[]), Err(version_not_found(IMAGE, &number(9)))),
        ("no such alias", two(), alias("none"), patch(&[], &[]), Err(version_not_found(IMAGE, &alias("none")))),
        ("no version for Latest", ready(0, vec![]), latest.clone(), patch(&[], &[]), Err(version_not_found(IMAGE, &latest))),
        ("a version being created", ready(1, vec![version_in(1, &[], under_way(Creating))]), number(1), patch(&[], &[]), Err(Busy::VersionNotUpdatable { image: IMAGE.into(), version: 1, status: Creating } .into())),
        ("a version being deleted", ready(1, vec![version_in(1, &[], under_way(Deleting))]), number(1), patch(&[], &[]), Err(Busy::VersionNotUpdatable { image: IMAGE.into(), version: 1, status: Deleting } .into())),
        ("a version whose creation failed", ready(1, vec![version_in(1, &[], Lifecycle::settled(CreateFailed))]), number(1), patch(&["a"], &[]), Ok(Written { answer: Some(1), last_version: None, put: vec![(1, vec!["a".into()], CreateFailed)], remove: vec![] })),
        ("no image", None, number(1), patch(&[], &[]), Err(missing_image())),
        ("an image being deleted", image_deleting(false), number(1), patch(&[], &[]), Err(Busy::ImageDeleting { name: IMAGE.into() }.into())),
        ("an image whose deletion ended", image_deleting(true), number(1), patch(&[], &[]), Err(missing_image())),
    ];
    let mut failures = Failures::default();
    for (name, current, selector, patch, expected) in cases {
        let seen = update(current.as_ref(), IMAGE, &selector, &patch, NOW)
            .map(|(write, answer)| written(&write, Some(answer)));
        failures.check(name, seen, expected);
    }
    failures.assert_none();
}

#[test]
fn an_alias_moves_by_leaving_one_version_then_joining_another() {
    let two = ready(2, vec![version(1, &["stable"]), version(2, &[])]).unwrap();
    let (left, _) = update(
        Some(&two),
        IMAGE,
        &VersionSelector::Number(1),
        &VersionPatch {
            aliases_to_delete: vec!["stable".into()],
            ..Default::default()
        },
        NOW,
    )
    .unwrap();
    let after = VersionSet {
        versions: vec![left.put[0].clone(), version(2, &[])],
        ..two
    };
    let joined = update(
        Some(&after),
        IMAGE,
        &VersionSelector::Number(2),
        &VersionPatch {
            aliases_to_add: vec!["stable".into()],
            ..Default::default()
        },
        NOW,
    )
    .map(|(write, answer)| written(&write, Some(answer)));
    assert_eq!(
        joined,
        Ok(Written {
            answer: Some(2),
            last_version: None,
            put: vec![(2, vec!["stable".into()], Status::Created)],
            remove: vec![],
        })
    );
}

#[test]
fn update_sets_only_the_metadata_it_names() {
    let mut current = version(1, &[]);
    current.metadata = VersionMetadata {
        job_type: Some("TRAINING".into()),
        processor: Some("CPU".into()),
        ..Default::default()
    };
    let set = ready(1, vec![current]).unwrap();
    let patch = VersionPatch {
        metadata: VersionMetadata {
            processor: Some("GPU".into()),
            horovod: Some(true),
            ..Default::default()
        },
        ..Default::default()
    };
    let (write, _) = update(Some(&set), IMAGE, &VersionSelector::Latest, &patch, NOW).unwrap();
    let record = &write.put[0];
    assert_eq!(
        record.metadata,
        VersionMetadata {
            job_type: Some("TRAINING".into()),
            processor: Some("GPU".into()),
            horovod: Some(true),
            ..Default::default()
        }
    );
    assert_eq!((record.created, record.modified), (0, NOW));
}

#[test]
fn delete_refuses_and_begins_the_deletion() {
    use Status::*;
    let two = || ready(2, vec![version(1, &["stable"]), version(2, &[])]);
    let number = VersionSelector::Number;
    let deleting = |n: i64| {
        Ok(Written {
            answer: None,
            last_version: None,
            put: vec![(n, vec![], Deleting)],
            remove: vec![],
        })
    };
    let removed = |n: i64| {
        Ok(Written {
            answer: None,
            last_version: None,
            put: vec![],
            remove: vec![n],
        })
    };
    let delay = Transition::after(100);
    let instant = Transition::after(0);
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<VersionSet>, VersionSelector, Transition, Outcome)> = vec![
        ("a delayed deletion keeps the version, DELETING", two(), number(2), delay.clone(), deleting(2)),
        ("an instant deletion removes it", two(), number(2), instant.clone(), removed(2)),
        ("a version named by alias", two(), VersionSelector::Alias("stable".into()), instant.clone(), removed(1)),
        ("Latest is not enough", two(), VersionSelector::Latest, instant.clone(), Err(Invalid::DeleteWithoutVersion.into())),
        ("no image comes before Latest", None, VersionSelector::Latest, instant.clone(), Err(missing_image())),
        ("no such version", two(), number(7), instant.clone(), Err(version_not_found(IMAGE, &number(7)))),
        ("a version being created", ready(1, vec![version_in(1, &[], under_way(Creating))]), number(1), instant.clone(), Err(Busy::VersionNotDeletable { image: IMAGE.into(), version: 1, status: Creating } .into())),
        ("a version being deleted", ready(1, vec![version_in(1, &[], under_way(Deleting))]), number(1), instant.clone(), Err(Busy::VersionNotDeletable { image: IMAGE.into(), version: 1, status: Deleting } .into())),
        ("a version whose creation failed", ready(1, vec![version_in(1, &[], Lifecycle::settled(CreateFailed))]), number(1), instant.clone(), removed(1)),
        ("a version whose deletion ended is gone", ready(1, vec![version_in(1, &[], deleted())]), number(1), instant.clone(), Err(version_not_found(IMAGE, &number(1)))),
        ("an image being deleted", image_deleting(false), number(1), instant.clone(), Err(Busy::ImageDeleting { name: IMAGE.into() }.into())),
        ("an image whose deletion ended", image_deleting(true), number(1), instant.clone(), Err(missing_image())),
    ];
    let mut failures = Failures::default();
    for (name, current, selector, transition, expected) in cases {
        let seen = delete(current.as_ref(), IMAGE, &selector, NOW, &transition)
            .map(|write| written(&write, None));
        failures.check(name, seen, expected);
    }
    failures.assert_none();
}

#[test]
fn a_forced_outcome_shapes_the_transition_a_change_begins() {
    let fail = ForcedOutcome::Fail("no space".into());
    // (case, outcome, delay; then the transition begun: due, fails, failure reason stored)
    type Ending = (Option<Millis>, bool, Option<&'static str>);
    #[rustfmt::skip]
    let cases: [(&str, Option<&ForcedOutcome>, Millis, Ending); 4] = [
        ("plain, with a delay", None, 100, (Some(NOW + 100), false, None)),
        ("plain, instant", None, 0, (Some(NOW), false, None)),
        ("failing", Some(&fail), 100, (Some(NOW + 100), true, Some("no space"))),
        ("held", Some(&ForcedOutcome::Hold), 100, (None, false, None)),
    ];
    let mut failures = Failures::default();
    for (name, outcome, delay, ending) in cases {
        let transition = ForcedOutcome::transition(outcome, delay);
        let set = ready(1, vec![version(1, &[])]).unwrap();
        let (write, _) = create(Some(&set), &request("t", "d", &[]), NOW, &transition).unwrap();
        let created = &write.put[0];
        failures.check(
            &format!("create, {name}"),
            (
                created.lifecycle.due,
                created.lifecycle.fails,
                created.failure_reason.as_deref(),
            ),
            ending,
        );
        let deleted = delete(
            Some(&set),
            IMAGE,
            &VersionSelector::Number(1),
            NOW,
            &transition,
        )
        .unwrap();
        let seen = deleted
            .put
            .first()
            .map(|v| (v.lifecycle.due, v.lifecycle.fails, v.failure_reason.clone()));
        let (due, fails, reason) = ending;
        let expected = (!transition.is_instant()).then(|| (due, fails, reason.map(str::to_owned)));
        failures.check(&format!("delete, {name}"), seen, expected);
    }
    failures.assert_none();
}

#[test]
fn release_ends_the_held_transitions_of_versions() {
    let held = ForcedOutcome::transition(Some(&ForcedOutcome::Hold), 0).begin(Status::Creating, 0);
    let set = ready(
        3,
        vec![
            version_in(1, &[], held),
            version(2, &[]),
            version_in(3, &[], held),
        ],
    )
    .unwrap();
    let (write, released) = release(Some(&set), IMAGE, NOW).unwrap();
    assert_eq!(released, 2);
    let ends: Vec<(i64, Option<Millis>)> = write
        .put
        .iter()
        .map(|v| (v.version, v.lifecycle.due))
        .collect();
    assert_eq!(ends, vec![(1, Some(NOW)), (3, Some(NOW))]);
    assert_eq!(release(None, IMAGE, NOW).unwrap_err(), missing_image());
}

#[test]
fn a_version_is_named_by_number_alias_or_neither() {
    type Named = Result<VersionSelector, DomainError>;
    #[rustfmt::skip]
    let cases: [(&str, Option<i64>, Option<&str>, Named); 4] = [
        ("a number", Some(3), None, Ok(VersionSelector::Number(3))),
        ("an alias", None, Some("a"), Ok(VersionSelector::Alias("a".into()))),
        ("neither is the latest", None, None, Ok(VersionSelector::Latest)),
        ("both", Some(3), Some("a"), Err(Invalid::VersionAndAlias.into())),
    ];
    let mut failures = Failures::default();
    for (name, number, alias, expected) in cases {
        let seen = VersionSelector::from_request(number, alias.map(str::to_owned));
        failures.check(name, seen, expected);
    }
    failures.assert_none();
}
