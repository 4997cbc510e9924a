//! The image lifecycle. A transitional state (CREATING, UPDATING, DELETING) is stored together with the time
//! it is due to end; the state a reader sees is computed from the stored state and the clock, so a
//! transition completes even if no process is left to complete it, and needs no timer.
//!
//! CREATING → CREATED, UPDATING → CREATED, DELETING → gone. The *_FAILED states are terminal until the
//! resource is changed again; nothing enters them yet, but every rule below already accounts for them.

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
}

/// A stored state and when (if transitional) it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub status: ImageStatus,
    /// When a transitional status ends; `None` for a settled one.
    pub due: Option<Millis>,
}

/// What a reader sees at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    Present(ImageStatus),
    Gone,
}

impl Lifecycle {
    pub fn settled(status: ImageStatus) -> Self {
        Lifecycle { status, due: None }
    }

    /// Enters `status` for `delay` milliseconds from `now`.
    pub fn transition(status: ImageStatus, now: Millis, delay: Millis) -> Self {
        Lifecycle {
            status,
            due: Some(now.saturating_add(delay)),
        }
    }

    /// True when what [`Lifecycle::observe`] gives at `now` it gives at every later time: no transition is
    /// still to end.
    pub fn settled_at(self, now: Millis) -> bool {
        self.due.is_none_or(|due| due <= now)
    }

    pub fn observe(self, now: Millis) -> Observed {
        let ended = self.due.is_some_and(|due| due <= now);
        match self.status {
            ImageStatus::Creating | ImageStatus::Updating if ended => {
                Observed::Present(ImageStatus::Created)
            }
            ImageStatus::Deleting if ended => Observed::Gone,
            status => Observed::Present(status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
