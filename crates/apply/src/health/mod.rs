//! Health: kstatus-compatible status of one object (pure over JSON), CEL health checks
//! (`healthCheckExprs`) and a cancellable waiter for a set of objects.

use std::fmt;

mod cel;
mod kstatus;
mod wait;

pub use cel::CustomHealthChecks;
pub use kstatus::{compute, compute_at};
pub use wait::{ClusterReader, ObjectReader, WaitOptions, wait_for_set, wait_for_termination};

use crate::object::ObjMetadata;

/// kstatus statuses (`fluxcd/cli-utils` `status.Status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// The object is being reconciled.
    InProgress,
    /// The object failed and will not recover without a change.
    Failed,
    /// The object reached its desired state.
    Current,
    /// The object is being deleted.
    Terminating,
    /// The object does not exist.
    NotFound,
    /// The status could not be read.
    Unknown,
}

impl Status {
    /// kstatus's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "InProgress",
            Status::Failed => "Failed",
            Status::Current => "Current",
            Status::Terminating => "Terminating",
            Status::NotFound => "NotFound",
            Status::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The computed status of one object and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectStatus {
    /// The status.
    pub status: Status,
    /// A human explanation (`Available: 0/2`).
    pub message: String,
}

impl ObjectStatus {
    /// A status with a message.
    pub fn new(status: Status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// Whether the status is [`Status::Current`].
    pub fn is_current(&self) -> bool {
        self.status == Status::Current
    }
}

/// An object that was not healthy when a wait ended; `Display` reads
/// `Deployment/apps/web: InProgress: Available: 0/2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unhealthy {
    /// The object.
    pub object: ObjMetadata,
    /// Its last status.
    pub status: Status,
    /// Why.
    pub message: String,
}

impl fmt::Display for Unhealthy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}: {}", self.object, self.status)
        } else {
            write!(f, "{}: {}: {}", self.object, self.status, self.message)
        }
    }
}
