//! The image lifecycle. A transitional state (CREATING, UPDATING, DELETING) is stored together with the time
//! it is due to end; the state a reader sees is computed from the stored state and the clock, so a
//! transition completes even if no process is left to complete it, and needs no timer.
//!
//! CREATING → CREATED, UPDATING → CREATED, DELETING → gone. A transition a test forced to fail (the control
//! plane's outcomes) ends in CREATE_FAILED, UPDATE_FAILED or DELETE_FAILED instead, and one it holds has no
//! end until it is released. The *_FAILED states are terminal until the resource is changed again.

use super::Millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageStatus {
    Creating,
    Created,
    CreateFailed,
    Updating,
    UpdateFailed,
    Deleting,
    DeleteFailed,
}

impl ImageStatus {
    pub const ALL: [ImageStatus; 7] = [
        ImageStatus::Creating,
        ImageStatus::Created,
        ImageStatus::CreateFailed,
        ImageStatus::Updating,
        ImageStatus::UpdateFailed,
        ImageStatus::Deleting,
        ImageStatus::DeleteFailed,
    ];

    /// The model's spelling (`ImageStatus` enum).
    pub fn as_str(self) -> &'static str {
        match self {
            ImageStatus::Creating => "CREATING",
            ImageStatus::Created => "CREATED",
            ImageStatus::CreateFailed => "CREATE_FAILED",
            ImageStatus::Updating => "UPDATING",
            ImageStatus::UpdateFailed => "UPDATE_FAILED",
            ImageStatus::Deleting => "DELETING",
            ImageStatus::DeleteFailed => "DELETE_FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<ImageStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// States a request may not act on: the resource is busy until the transition ends.
    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            ImageStatus::Creating | ImageStatus::Updating | ImageStatus::Deleting
        )
    }

    pub fn is_failed(self) -> bool {
        matches!(
            self,
            ImageStatus::CreateFailed | ImageStatus::UpdateFailed | ImageStatus::DeleteFailed
        )
    }
}

/// A stored state and when (if transitional) it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub status: ImageStatus,
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
    pub fn begin(&self, status: ImageStatus, now: Millis) -> Lifecycle {
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
    Present(ImageStatus),
    Gone,
}

impl Lifecycle {
    pub fn settled(status: ImageStatus) -> Self {
        Lifecycle {
            status,
            due: None,
            fails: false,
        }
    }

    /// A lifecycle as stored: its status, due time and the record's failure reason.
    pub fn stored(status: ImageStatus, due: Option<Millis>, failure_reason: Option<&str>) -> Self {
        Lifecycle {
            status,
            due,
            fails: status.is_transitional() && failure_reason.is_some(),
        }
    }

    /// Enters `status` for `delay` milliseconds from `now`.
    pub fn transition(status: ImageStatus, now: Millis, delay: Millis) -> Self {
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
            (ImageStatus::Creating, true) if ended => Observed::Present(ImageStatus::CreateFailed),
            (ImageStatus::Updating, true) if ended => Observed::Present(ImageStatus::UpdateFailed),
            (ImageStatus::Deleting, true) if ended => Observed::Present(ImageStatus::DeleteFailed),
            (ImageStatus::Creating | ImageStatus::Updating, false) if ended => {
                Observed::Present(ImageStatus::Created)
            }
            (ImageStatus::Deleting, false) if ended => Observed::Gone,
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
        let creating = Lifecycle::transition(ImageStatus::Creating, 1_000, 500);
        assert_eq!(
            creating.observe(1_499),
            Observed::Present(ImageStatus::Creating)
        );
        assert_eq!(
            creating.observe(1_500),
            Observed::Present(ImageStatus::Created)
        );
        let deleting = Lifecycle::transition(ImageStatus::Deleting, 1_000, 0);
        assert_eq!(deleting.observe(1_000), Observed::Gone);
        let failed = Lifecycle::settled(ImageStatus::UpdateFailed);
        assert_eq!(
            failed.observe(i64::MAX),
            Observed::Present(ImageStatus::UpdateFailed)
        );
    }

    #[test]
    fn statuses_round_trip_through_their_model_spelling() {
        for status in ImageStatus::ALL {
            assert_eq!(ImageStatus::parse(status.as_str()), Some(status));
        }
        let model: Vec<&str> = ImageStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            crate::model::MODEL.string_enum("ImageStatus"),
            model.as_slice()
        );
    }

    #[test]
    fn a_lifecycle_is_settled_once_its_transition_has_ended() {
        let updating = Lifecycle::transition(ImageStatus::Updating, 1_000, 500);
        assert!(!updating.settled_at(1_499));
        assert!(updating.settled_at(1_500));
        assert!(Lifecycle::settled(ImageStatus::Created).settled_at(0));
    }

    #[test]
    fn forced_outcomes_decide_how_each_transition_ends() {
        let fail = ForcedOutcome::Fail("broken".into());
        // (entered, outcome, seen before the end, seen at the end)
        let cases = [
            (
                ImageStatus::Creating,
                None,
                Observed::Present(ImageStatus::Creating),
                Observed::Present(ImageStatus::Created),
            ),
            (
                ImageStatus::Creating,
                Some(&fail),
                Observed::Present(ImageStatus::Creating),
                Observed::Present(ImageStatus::CreateFailed),
            ),
            (
                ImageStatus::Updating,
                Some(&fail),
                Observed::Present(ImageStatus::Updating),
                Observed::Present(ImageStatus::UpdateFailed),
            ),
            (
                ImageStatus::Deleting,
                None,
                Observed::Present(ImageStatus::Deleting),
                Observed::Gone,
            ),
            (
                ImageStatus::Deleting,
                Some(&fail),
                Observed::Present(ImageStatus::Deleting),
                Observed::Present(ImageStatus::DeleteFailed),
            ),
            (
                ImageStatus::Updating,
                Some(&ForcedOutcome::Hold),
                Observed::Present(ImageStatus::Updating),
                Observed::Present(ImageStatus::Updating),
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
        let held = ForcedOutcome::transition(Some(&ForcedOutcome::Hold), 0)
            .begin(ImageStatus::Creating, 10);
        assert!(held.is_held());
        assert_eq!(
            held.observe(i64::MAX),
            Observed::Present(ImageStatus::Creating)
        );
        let released = held.release(50);
        assert!(!released.is_held());
        assert_eq!(
            released.observe(50),
            Observed::Present(ImageStatus::Created)
        );
        // Releasing what is not held changes nothing.
        let timed = Lifecycle::transition(ImageStatus::Creating, 10, 100);
        assert_eq!(timed.release(20), timed);
    }

    #[test]
    fn a_stored_failure_reason_marks_only_a_transition_as_failing() {
        assert!(Lifecycle::stored(ImageStatus::Creating, Some(5), Some("r")).fails);
        assert!(!Lifecycle::stored(ImageStatus::Creating, Some(5), None).fails);
        assert!(!Lifecycle::stored(ImageStatus::UpdateFailed, None, Some("r")).fails);
    }

    #[test]
    fn what_a_reader_sees_of_each_stored_state() {
        use ImageStatus::*;
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
            let begun = transition.begin(ImageStatus::Creating, 1_000);
            failures.check(name, (begun.due, transition.is_instant()), (due, instant));
        }
        failures.assert_none();
    }
}
