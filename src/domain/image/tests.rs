//! The rules of each image change: who may change, what a patch does (UpdateImage's DeleteProperties
//! among it), and how a transition begins.

use super::*;
use crate::domain::cases::Failures;
use crate::domain::lifecycle::ForcedOutcome;

const NOW: Millis = 1_000;

fn image(status: Status, due: Option<Millis>) -> ImageRecord {
    ImageRecord {
        name: "Img".into(),
        display_name: Some("d".into()),
        description: Some("x".into()),
        role_arn: "arn:aws:iam::000000000000:role/r".into(),
        lifecycle: Lifecycle::stored(status, due, None),
        failure_reason: None,
        created: 10,
        modified: 10,
        last_version: 0,
    }
}

#[test]
fn update_changes_only_what_is_named() {
    let patch = ImagePatch {
        description: Some("new".into()),
        ..Default::default()
    };
    let (_, after) = update(
        Some(&image(Status::Created, None)),
        "Img",
        &patch,
        20,
        &Transition::after(0),
    )
    .unwrap();
    assert_eq!(after.description.as_deref(), Some("new"));
    assert_eq!(after.display_name.as_deref(), Some("d"));
    assert_eq!(after.modified, 20);
    assert_eq!(after.created, 10);
}

#[test]
fn transitional_states_refuse_changes() {
    for status in [Status::Creating, Status::Updating, Status::Deleting] {
        let current = image(status, Some(100));
        let err = update(
            Some(&current),
            "Img",
            &ImagePatch::default(),
            50,
            &Transition::after(0),
        )
        .unwrap_err();
        assert_eq!(err, busy("Img", status));
        let err = delete(Some(&current), "Img", 50, &Transition::after(0)).unwrap_err();
        assert_eq!(err, busy("Img", status));
    }
}

#[test]
fn a_contradictory_patch_is_refused() {
    let patch = ImagePatch {
        display_name: Some("x".into()),
        delete: vec![DeletableProperty::DisplayName],
        ..Default::default()
    };
    assert_eq!(
        patch.check(),
        Err(Invalid::SetAndDeleted {
            property: DeletableProperty::DisplayName
        }
        .into())
    );
}

#[test]
fn a_failing_deletion_keeps_the_image_and_a_plain_one_clears_an_old_failure() {
    let failed_create = ImageRecord {
        failure_reason: Some("old".into()),
        ..image(Status::CreateFailed, None)
    };
    let fail = ForcedOutcome::transition(Some(&ForcedOutcome::Fail("disk".into())), 0);
    let ImageWrite::Update(kept) = delete(Some(&failed_create), "Img", 50, &fail).unwrap() else {
        panic!("a failing deletion must keep the record");
    };
    assert_eq!(kept.observe(50), Observed::Present(Status::DeleteFailed));
    assert_eq!(kept.failure_reason.as_deref(), Some("disk"));
    let ImageWrite::Update(deleting) =
        delete(Some(&kept), "Img", 60, &Transition::after(10)).unwrap()
    else {
        panic!("a delayed deletion keeps the record until it ends");
    };
    assert_eq!(deleting.failure_reason, None);
    assert_eq!(deleting.observe(70), Observed::Gone);
    assert!(matches!(
        delete(Some(&kept), "Img", 60, &Transition::after(0)).unwrap(),
        ImageWrite::Remove
    ));
}

#[test]
fn states_that_accept_an_update() {
    for status in Status::ALL {
        let accepted = update(
            Some(&image(status, None)),
            "Img",
            &ImagePatch::default(),
            50,
            &Transition::after(0),
        )
        .is_ok();
        let expected = matches!(status, Status::Created | Status::UpdateFailed);
        assert_eq!(accepted, expected, "{status:?}");
    }
}

/// What a patch leaves: display name, description, role.
type Properties = (Option<String>, Option<String>, String);

fn properties(display_name: Option<&str>, description: Option<&str>, role: &str) -> Properties {
    (
        display_name.map(str::to_owned),
        description.map(str::to_owned),
        role.to_owned(),
    )
}

fn patch(
    display_name: Option<&str>,
    description: Option<&str>,
    role_arn: Option<&str>,
    delete: &[DeletableProperty],
) -> ImagePatch {
    ImagePatch {
        display_name: display_name.map(str::to_owned),
        description: description.map(str::to_owned),
        role_arn: role_arn.map(str::to_owned),
        delete: delete.to_vec(),
    }
}

#[test]
fn update_image_sets_and_deletes_properties() {
    use DeletableProperty::{Description, DisplayName};
    const ROLE: &str = "arn:aws:iam::000000000000:role/r";
    const OTHER: &str = "arn:aws:iam::000000000000:role/other";
    let bare = ImageRecord {
        display_name: None,
        description: None,
        ..image(Status::Created, None)
    };
    #[rustfmt::skip]
    let cases: [(&str, ImageRecord, ImagePatch, Properties); 10] = [
        ("an empty patch changes nothing", image(Status::Created, None), patch(None, None, None, &[]), properties(Some("d"), Some("x"), ROLE)),
        ("a new description", image(Status::Created, None), patch(None, Some("new"), None, &[]), properties(Some("d"), Some("new"), ROLE)),
        ("a new display name", image(Status::Created, None), patch(Some("new"), None, None, &[]), properties(Some("new"), Some("x"), ROLE)),
        ("a new role", image(Status::Created, None), patch(None, None, Some(OTHER), &[]), properties(Some("d"), Some("x"), OTHER)),
        ("DeleteProperties DisplayName", image(Status::Created, None), patch(None, None, None, &[DisplayName]), properties(None, Some("x"), ROLE)),
        ("DeleteProperties Description", image(Status::Created, None), patch(None, None, None, &[Description]), properties(Some("d"), None, ROLE)),
        ("DeleteProperties both", image(Status::Created, None), patch(None, None, None, &[Description, DisplayName]), properties(None, None, ROLE)),
        ("one set, the other deleted", image(Status::Created, None), patch(Some("new"), None, None, &[Description]), properties(Some("new"), None, ROLE)),
        ("deleting a property the image lacks", bare.clone(), patch(None, None, None, &[Description]), properties(None, None, ROLE)),
        ("setting a property the image lacks", bare, patch(None, Some("new"), None, &[]), properties(None, Some("new"), ROLE)),
    ];
    let mut failures = Failures::default();
    for (name, current, patch, expected) in cases {
        failures.check(&format!("{name}: checked"), patch.check(), Ok(()));
        let seen = update(Some(&current), "Img", &patch, NOW, &Transition::after(0))
            .map(|(_, after)| (after.display_name, after.description, after.role_arn));
        failures.check(name, seen, Ok(expected));
    }
    failures.assert_none();
}

#[test]
fn a_property_cannot_be_set_and_deleted_at_once() {
    use DeletableProperty::{Description, DisplayName};
    let refused = |property| Err(Invalid::SetAndDeleted { property }.into());
    #[rustfmt::skip]
    let cases: [(&str, ImagePatch, Result<(), DomainError>); 6] = [
        ("DisplayName set and deleted", patch(Some("n"), None, None, &[DisplayName]), refused(DisplayName)),
        ("Description set and deleted", patch(None, Some("n"), None, &[Description]), refused(Description)),
        ("both set and deleted: the first listed is named", patch(Some("n"), Some("n"), None, &[Description, DisplayName]), refused(Description)),
        ("DisplayName set, Description deleted", patch(Some("n"), None, None, &[Description]), Ok(())),
        ("both deleted, the role set", patch(None, None, Some("r"), &[DisplayName, Description]), Ok(())),
        ("both set, nothing deleted", patch(Some("n"), Some("n"), None, &[]), Ok(())),
    ];
    let mut failures = Failures::default();
    for (name, patch, expected) in cases {
        failures.check(name, patch.check(), expected);
    }
    failures.assert_none();
}

/// An image in `status`: a transitional one still under way at [`NOW`].
fn image_in(status: Status) -> ImageRecord {
    image(status, status.is_transitional().then_some(NOW + 1))
}

#[test]
fn which_states_take_an_update_or_a_deletion() {
    use Status::*;
    let busy = |status| Err(busy("Img", status));
    type Verdict = Result<(), DomainError>;
    #[rustfmt::skip]
    let cases: [(Status, Verdict, Verdict); 7] = [
        // (status, UpdateImage, DeleteImage)
        (Created, Ok(()), Ok(())),
        (UpdateFailed, Ok(()), Ok(())),
        (CreateFailed, busy(CreateFailed), Ok(())),
        (DeleteFailed, busy(DeleteFailed), Ok(())),
        (Creating, busy(Creating), busy(Creating)),
        (Updating, busy(Updating), busy(Updating)),
        (Deleting, busy(Deleting), busy(Deleting)),
    ];
    let mut failures = Failures::default();
    for (status, update_expected, delete_expected) in cases {
        let current = image_in(status);
        let patch = ImagePatch::default();
        let updated = update(Some(&current), "Img", &patch, NOW, &Transition::after(0));
        failures.check(
            &format!("update {status:?}"),
            updated.map(|_| ()),
            update_expected,
        );
        let deleted = delete(Some(&current), "Img", NOW, &Transition::after(0));
        failures.check(
            &format!("delete {status:?}"),
            deleted.map(|_| ()),
            delete_expected,
        );
    }
    failures.assert_none();
}

#[test]
fn an_image_that_is_not_there() {
    let gone = image(Status::Deleting, Some(NOW));
    let missing = || not_found("Img");
    let mut failures = Failures::default();
    for (name, current) in [("no record", None), ("deletion ended", Some(&gone))] {
        let patch = ImagePatch::default();
        let instant = Transition::after(0);
        failures.check(
            &format!("present, {name}"),
            present(current, "Img", NOW),
            Err(missing()),
        );
        let updated = update(current, "Img", &patch, NOW, &instant).map(|_| ());
        failures.check(&format!("update, {name}"), updated, Err(missing()));
        let deleted = delete(current, "Img", NOW, &instant).map(|_| ());
        failures.check(&format!("delete, {name}"), deleted, Err(missing()));
    }
    failures.check(
        "release, no record",
        release(None, "Img", NOW).map(|_| ()),
        Err(missing()),
    );
    failures.check(
        "present, deletion under way",
        present(Some(&gone), "Img", NOW - 1),
        Ok(Status::Deleting),
    );
    failures.assert_none();
}

#[test]
fn create_takes_a_free_name_or_one_whose_deletion_ended() {
    let new = NewImage {
        name: "Img".into(),
        display_name: None,
        description: None,
        role_arn: "arn:aws:iam::000000000000:role/r".into(),
        tags: vec![],
    };
    let taken = || Err(Busy::ImageExists { name: "Img".into() }.into());
    let gone = image(Status::Deleting, Some(NOW));
    #[rustfmt::skip]
    let cases: [(&str, Option<ImageRecord>, Result<bool, DomainError>); 6] = [
        // (case, current record, whether the write replaces a record, or the refusal)
        ("a free name", None, Ok(false)),
        ("a name whose deletion ended", Some(gone), Ok(true)),
        ("a name in use", Some(image_in(Status::Created)), taken()),
        ("a name being deleted", Some(image_in(Status::Deleting)), taken()),
        ("a name whose creation failed", Some(image_in(Status::CreateFailed)), taken()),
        ("a name being created", Some(image_in(Status::Creating)), taken()),
    ];
    let mut failures = Failures::default();
    for (name, current, expected) in cases {
        // A new record: CREATING for the delay, times now, no version given yet.
        let fresh = (Lifecycle::transition(Status::Creating, NOW, 5), NOW, NOW, 0);
        let expected = expected.map(|replaces| (replaces, Some(fresh)));
        let seen =
            create(current.as_ref(), &new, NOW, &Transition::after(5)).map(|write| match write {
                ImageWrite::Create {
                    record, replaces, ..
                } => {
                    let made = (
                        record.lifecycle,
                        record.created,
                        record.modified,
                        record.last_version,
                    );
                    (replaces, Some(made))
                }
                _ => (false, None),
            });
        failures.check(name, seen, expected);
    }
    failures.assert_none();
}

#[test]
fn a_change_begins_the_transition_its_outcome_asks_for() {
    let fail = ForcedOutcome::Fail("broken".into());
    // (case, outcome; then the stored due time, whether it fails, the failure reason)
    type Begun = (Option<Millis>, bool, Option<String>);
    #[rustfmt::skip]
    let cases: [(&str, Option<&ForcedOutcome>, Begun); 3] = [
        ("plain", None, (Some(NOW + 50), false, None)),
        ("failing", Some(&fail), (Some(NOW + 50), true, Some("broken".into()))),
        ("held", Some(&ForcedOutcome::Hold), (None, false, None)),
    ];
    let mut failures = Failures::default();
    let old_failure = ImageRecord {
        failure_reason: Some("old".into()),
        ..image(Status::UpdateFailed, None)
    };
    for (name, outcome, expected) in cases {
        let transition = ForcedOutcome::transition(outcome, 50);
        let begun =
            |r: &ImageRecord| (r.lifecycle.due, r.lifecycle.fails, r.failure_reason.clone());
        let (_, updated) = update(
            Some(&old_failure),
            "Img",
            &ImagePatch::default(),
            NOW,
            &transition,
        )
        .unwrap();
        failures.check(
            &format!("update, {name}"),
            begun(&updated),
            expected.clone(),
        );
        failures.check(
            &format!("update, {name}: status"),
            updated.lifecycle.status,
            Status::Updating,
        );
        let seen = match delete(Some(&old_failure), "Img", NOW, &transition) {
            Ok(ImageWrite::Update(record)) => Some(begun(&record)),
            _ => None,
        };
        failures.check(&format!("delete, {name}"), seen, Some(expected));
    }
    failures.assert_none();
}

#[test]
fn release_ends_a_held_transition_only() {
    let held = ImageRecord {
        lifecycle: ForcedOutcome::transition(Some(&ForcedOutcome::Hold), 0)
            .begin(Status::Updating, 0),
        ..image(Status::Updating, None)
    };
    let timed = image_in(Status::Updating);
    let mut failures = Failures::default();
    for (name, current, was_held, due) in [
        ("held", held, true, Some(NOW)),
        ("timed", timed, false, Some(NOW + 1)),
    ] {
        let seen = release(Some(&current), "Img", NOW).map(|(write, released)| match write {
            ImageWrite::Update(record) => (record.lifecycle.due, released),
            other => panic!("{name}: {other:?}"),
        });
        failures.check(name, seen, Ok((due, was_held)));
    }
    failures.assert_none();
}
