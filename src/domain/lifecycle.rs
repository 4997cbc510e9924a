//! The image lifecycle. A transitional state (CREATING, UPDATING, DELETING) is stored together with the time
//! it is due to end; the state a reader sees is computed from the stored state and the clock, so a
//! transition completes even if no process is left to complete it, and needs no timer.
//!
//! CREATING → CREATED, UPDATING → CREATED, DELETING → gone. A transition a test forced to fail (the control
//! plane's outcomes) ends in CREATE_FAILED, UPDATE_FAILED or DELETE_FAILED instead, and one it holds has no
//! end until it is released. The *_FAILED states are terminal until the resource is changed again.

use super::Millis;

/// Where an image or an image version is in its lifecycle. One state machine serves both; `ops` renders it
/// as the model's `ImageStatus` or `ImageVersionStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Creating,
    Created,
    CreateFailed,
    Updating,
    UpdateFailed,
    Deleting,
    DeleteFailed,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Creating,
        Status::Created,
        Status::CreateFailed,
        Status::Updating,
        Status::UpdateFailed,
        Status::Deleting,
        Status::DeleteFailed,
    ];

    /// The model's spelling (its `ImageStatus` enum, whose words `ImageVersionStatus` shares).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "CREATING",
            Status::Created => "CREATED",
            Status::CreateFailed => "CREATE_FAILED",
            Status::Updating => "UPDATING",
            Status::UpdateFailed => "UPDATE_FAILED",
            Status::Deleting => "DELETING",
            Status::DeleteFailed => "DELETE_FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// States a request may not act on: the resource is busy until the transition ends.
    pub fn is_transitional(self) -> bool {
        matches!(self, Status::Creating | Status::Updating | Status::Deleting)
    }

    pub fn is_failed(self) -> bool {
        matches!(
            self,
            Status::CreateFailed | Status::UpdateFailed | Status::DeleteFailed
        )
    }
}

/// A stored state and when (if transitional) it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub status: Status,
    /// When a transitional status ends; `None` for a settled one, and for a held transition, which ends
    /// only when released.
    pub due: Option<Millis>,
    /// The transition ends in its failed state. Stored as the record's failure reason, which a
    /// transitional record carries only when its transition is to fail.
    pub fails: bool,
}

/// How a transition that begins now ends: after a delay, or when released; in success, or in failure with
/// a reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transition {
    pub delay: Millis,
    /// No end until released.
    pub held: bool,
    pub failure: Option<String>,
}

impl Transition {
    pub fn after(delay: Millis) -> Self {
        Transition {
            delay,
            ..Default::default()
        }
    }

    /// The lifecycle of a resource that enters `status` at `now` on this transition.
    pub fn begin(&self, status: Status, now: Millis) -> Lifecycle {
        Lifecycle {
            status,
            due: (!self.held).then(|| now.saturating_add(self.delay)),
            fails: self.failure.is_some(),
        }
    }

    /// A transition with nothing to observe: no delay, no hold, no failure. A deletion on one removes
    /// the resource at once.
    pub fn is_instant(&self) -> bool {
        self.delay == 0 && !self.held && self.failure.is_none()
    }
}

/// What a test asked the next calls of an operation to do instead of succeeding (the control plane's
/// outcome rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForcedOutcome {
    Fail(String),
    Hold,
}

impl ForcedOutcome {
    /// The transition of a call with this outcome (or none) and the operation's delay.
    pub fn transition(outcome: Option<&ForcedOutcome>, delay: Millis) -> Transition {
        Transition {
            delay,
            held: outcome == Some(&ForcedOutcome::Hold),
            failure: match outcome {
                Some(ForcedOutcome::Fail(reason)) => Some(reason.clone()),
                _ => None,
            },
        }
    }
}

/// What a reader sees at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    Present(Status),
    Gone,
}

impl Lifecycle {
    pub fn settled(status: Status) -> Self {
        Lifecycle {
            status,
            due: None,
            fails: false,
        }
    }

    /// A lifecycle as stored: its status, due time and the record's failure reason.
    pub fn stored(status: Status, due: Option<Millis>, failure_reason: Option<&str>) -> Self {
        Lifecycle {
            status,
            due,
            fails: status.is_transitional() && failure_reason.is_some(),
        }
    }

    /// Enters `status` for `delay` milliseconds from `now`.
    pub fn transition(status: Status, now: Millis, delay: Millis) -> Self {
        Transition::after(delay).begin(status, now)
    }

    /// A held transition is released: it ends at `now`. Anything else is left as it is.
    pub fn release(self, now: Millis) -> Self {
        if self.status.is_transitional() && self.due.is_none() {
            Lifecycle {
                due: Some(now),
                ..self
            }
        } else {
            self
        }
    }

    pub fn is_held(self) -> bool {
        self.status.is_transitional() && self.due.is_none()
    }

    /// True when what [`Lifecycle::observe`] gives at `now` it gives at every later time: no transition is
    /// still to end.
    pub fn settled_at(self, now: Millis) -> bool {
        self.due.is_none_or(|due| due <= now)
    }

    pub fn observe(self, now: Millis) -> Observed {
        let ended = self.due.is_some_and(|due| due <= now);
        match (self.status, self.fails) {
            (Status::Creating, true) if ended => Observed::Present(Status::CreateFailed),
            (Status::Updating, true) if ended => Observed::Present(Status::UpdateFailed),
            (Status::Deleting, true) if ended => Observed::Present(Status::DeleteFailed),
            (Status::Creating | Status::Updating, false) if ended => {
                Observed::Present(Status::Created)
            }
            (Status::Deleting, false) if ended => Observed::Gone,
            (status, _) => Observed::Present(status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cases::Failures;

    #[test]
    fn transitions_end_on_time() {
        let creating = Lifecycle::transition(Status::Creating, 1_000, 500);
        assert_eq!(creating.observe(1_499), Observed::Present(Status::Creating));
        assert_eq!(creating.observe(1_500), Observed::Present(Status::Created));
        let deleting = Lifecycle::transition(Status::Deleting, 1_000, 0);
        assert_eq!(deleting.observe(1_000), Observed::Gone);
        let failed = Lifecycle::settled(Status::UpdateFailed);
        assert_eq!(
            failed.observe(i64::MAX),
            Observed::Present(Status::UpdateFailed)
        );
    }

    #[test]
    fn statuses_round_trip_through_their_model_spelling() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        let model: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            crate::model::MODEL.string_enum("ImageStatus"),
            model.as_slice()
        );
    }

    #[test]
    fn a_lifecycle_is_settled_once_its_transition_has_ended() {
        let updating = Lifecycle::transition(Status::Updating, 1_000, 500);
        assert!(!updating.settled_at(1_499));
        assert!(updating.settled_at(1_500));
        assert!(Lifecycle::settled(Status::Created).settled_at(0));
    }

    #[test]
    fn forced_outcomes_decide_how_each_transition_ends() {
        let fail = ForcedOutcome::Fail("broken".into());
        // (entered, outcome, seen before the end, seen at the end)
        let cases = [
            (
                Status::Creating,
                None,
                Observed::Present(Status::Creating),
                Observed::Present(Status::Created),
            ),
            (
                Status::Creating,
                Some(&fail),
                Observed::Present(Status::Creating),
                Observed::Present(Status::CreateFailed),
            ),
            (
                Status::Updating,
                Some(&fail),
                Observed::Present(Status::Updating),
                Observed::Present(Status::UpdateFailed),
            ),
            (
                Status::Deleting,
                None,
                Observed::Present(Status::Deleting),
                Observed::Gone,
            ),
            (
                Status::Deleting,
                Some(&fail),
                Observed::Present(Status::Deleting),
                Observed::Present(Status::DeleteFailed),
            ),
            (
                Status::Updating,
                Some(&ForcedOutcome::Hold),
                Observed::Present(Status::Updating),
                Observed::Present(Status::Updating),
            ),
        ];
        for (status, outcome, before, after) in cases {
            let lifecycle = ForcedOutcome::transition(outcome, 100).begin(status, 1_000);
            assert_eq!(lifecycle.observe(1_099), before, "{status:?} {outcome:?}");
            assert_eq!(lifecycle.observe(1_100), after, "{status:?} {outcome:?}");
        }
    }

    #[test]
    fn a_held_transition_ends_when_released_and_only_then() {
        let held =
            ForcedOutcome::transition(Some(&ForcedOutcome::Hold), 0).begin(Status::Creating, 10);
        assert!(held.is_held());
        assert_eq!(held.observe(i64::MAX), Observed::Present(Status::Creating));
        let released = held.release(50);
        assert!(!released.is_held());
        assert_eq!(released.observe(50), Observed::Present(Status::Created));
        // Releasing what is not held changes nothing.
        let timed = Lifecycle::transition(Status::Creating, 10, 100);
        assert_eq!(timed.release(20), timed);
    }

    #[test]
    fn a_stored_failure_reason_marks_only_a_transition_as_failing() {
        assert!(Lifecycle::stored(Status::Creating, Some(5), Some("r")).fails);
        assert!(!Lifecycle::stored(Status::Creating, Some(5), None).fails);
        assert!(!Lifecycle::stored(Status::UpdateFailed, None, Some("r")).fails);
    }

    #[test]
    fn what_a_reader_sees_of_each_stored_state() {
        use Status::*;
        let ends_at = |status, fails| Lifecycle {
            status,
            due: Some(100),
            fails,
        };
        let held = |status| Lifecycle {
            status,
            due: None,
            fails: false,
        };
        let present = Observed::Present;
        #[rustfmt::skip]
        let cases: [(&str, Lifecycle, Millis, Observed); 16] = [
            ("creating, before its end", ends_at(Creating, false), 99, present(Creating)),
            ("creating, at its end", ends_at(Creating, false), 100, present(Created)),
            ("creating to fail, at its end", ends_at(Creating, true), 100, present(CreateFailed)),
            ("creating to fail, before its end", ends_at(Creating, true), 99, present(Creating)),
            ("updating, before its end", ends_at(Updating, false), 99, present(Updating)),
            ("updating, at its end", ends_at(Updating, false), 100, present(Created)),
            ("updating to fail, at its end", ends_at(Updating, true), 100, present(UpdateFailed)),
            ("deleting, before its end", ends_at(Deleting, false), 99, present(Deleting)),
            ("deleting, at its end", ends_at(Deleting, false), 100, Observed::Gone),
            ("deleting to fail, at its end", ends_at(Deleting, true), 100, present(DeleteFailed)),
            ("held creating, at any time", held(Creating), Millis::MAX, present(Creating)),
            ("held deleting, at any time", held(Deleting), Millis::MAX, present(Deleting)),
            ("created", held(Created), Millis::MAX, present(Created)),
            ("create failed stays", held(CreateFailed), Millis::MAX, present(CreateFailed)),
            ("update failed stays", held(UpdateFailed), Millis::MAX, present(UpdateFailed)),
            ("delete failed stays", held(DeleteFailed), Millis::MAX, present(DeleteFailed)),
        ];
        let mut failures = Failures::default();
        for (name, lifecycle, now, expected) in cases {
            failures.check(name, lifecycle.observe(now), expected);
        }
        failures.assert_none();
    }

    #[test]
    fn when_a_transition_ends() {
        let fail = ForcedOutcome::Fail("r".into());
        #[rustfmt::skip]
        let cases: [(&str, Transition, Option<Millis>, bool); 6] = [
            // (case, transition begun at 1 000, its due time, whether it is instant)
            ("no delay", Transition::after(0), Some(1_000), true),
            ("a delay", Transition::after(250), Some(1_250), false),
            ("a delay past the end of time", Transition::after(Millis::MAX), Some(Millis::MAX), false),
            ("held", ForcedOutcome::transition(Some(&ForcedOutcome::Hold), 250), None, false),
            ("failing, no delay", ForcedOutcome::transition(Some(&fail), 0), Some(1_000), false),
            ("no outcome", ForcedOutcome::transition(None, 0), Some(1_000), true),
        ];
        let mut failures = Failures::default();
        for (name, transition, due, instant) in cases {
            let begun = transition.begin(Status::Creating, 1_000);
            failures.check(name, (begun.due, transition.is_instant()), (due, instant));
        }
        failures.assert_none();
    }
}
