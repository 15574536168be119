//! Setting and reading `status.conditions` with Flux's semantics
//! (`fluxcd/pkg/runtime/conditions`).
//!
//! Guarantees, all tested below:
//! - `lastTransitionTime` is kept unless status, reason or message changed,
//!   so re-setting an identical condition is a no-op and patches stay empty;
//! - every set condition carries the object's `observedGeneration`;
//! - messages longer than [`MAX_CONDITION_MESSAGE_LENGTH`] are cut on a char
//!   boundary;
//! - the list is sorted Stalled, Reconciling, Ready, then alphabetically;
//! - abnormal-true types (Reconciling, Stalled, FetchFailed…) only exist while
//!   True: setting one to False or Unknown removes it.
//!
//! Time is a parameter, never read from a clock, so all of this is pure.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

use crate::constants::{MAX_CONDITION_MESSAGE_LENGTH, condition, status};

/// The object facts stamped on every condition written in one reconcile:
/// its `metadata.generation` and the reconcile's notion of "now".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Copied into `observedGeneration`; `None` leaves it unset.
    pub generation: Option<i64>,
    /// Used as `lastTransitionTime` when a condition changes.
    pub now: Timestamp,
}

impl Stamp {
    /// A stamp for an object at `generation`, at time `now` (truncated to
    /// whole seconds, the precision `metav1.Time` keeps on the wire).
    pub fn new(generation: Option<i64>, now: Timestamp) -> Self {
        let whole = Timestamp::from_second(now.as_second()).unwrap_or(now);
        Self {
            generation,
            now: whole,
        }
    }
}

/// Cuts `message` to at most [`MAX_CONDITION_MESSAGE_LENGTH`] characters,
/// ending a cut message with `...`; never splits a UTF-8 character.
pub fn trim_message(message: &str) -> String {
    trim_to(message, MAX_CONDITION_MESSAGE_LENGTH)
}

/// [`trim_message`] with an explicit limit (in characters).
pub fn trim_to(message: &str, limit: usize) -> String {
    if message.chars().count() <= limit {
        return message.to_string();
    }
    const ELLIPSIS: &str = "...";
    let keep = limit.saturating_sub(ELLIPSIS.len());
    let mut out: String = message.chars().take(keep).collect();
    out.push_str(ELLIPSIS);
    out
}

/// Whether `type_` only exists while True (see [`condition::ABNORMAL_TRUE`]).
pub fn is_abnormal_true(type_: &str) -> bool {
    condition::ABNORMAL_TRUE.contains(&type_)
}

/// Sets a condition of `type_` to `status` with `reason` and `message`.
///
/// Keeps the previous `lastTransitionTime` when status, reason and message
/// are unchanged; stamps `observedGeneration`; re-sorts the list. Setting an
/// abnormal-true type to anything but True deletes it instead.
pub fn set(
    conditions: &mut Vec<Condition>,
    type_: &str,
    status_value: &str,
    reason: &str,
    message: &str,
    stamp: &Stamp,
) {
    if is_abnormal_true(type_) && status_value != status::TRUE {
        delete(conditions, type_);
        return;
    }
    let message = trim_message(message);
    let mut new = Condition {
        last_transition_time: Time(stamp.now),
        message,
        observed_generation: stamp.generation,
        reason: reason.to_string(),
        status: status_value.to_string(),
        type_: type_.to_string(),
    };
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(existing) => {
            if existing.status == new.status
                && existing.reason == new.reason
                && existing.message == new.message
            {
                new.last_transition_time = existing.last_transition_time.clone();
            }
            *existing = new;
        }
        None => conditions.push(new),
    }
    sort(conditions);
}

/// Sets `type_` to True.
pub fn mark_true(
    conditions: &mut Vec<Condition>,
    type_: &str,
    reason: &str,
    message: &str,
    stamp: &Stamp,
) {
    set(conditions, type_, status::TRUE, reason, message, stamp);
}

/// Sets `type_` to False (removes it if abnormal-true).
pub fn mark_false(
    conditions: &mut Vec<Condition>,
    type_: &str,
    reason: &str,
    message: &str,
    stamp: &Stamp,
) {
    set(conditions, type_, status::FALSE, reason, message, stamp);
}

/// Sets `type_` to Unknown (removes it if abnormal-true).
pub fn mark_unknown(
    conditions: &mut Vec<Condition>,
    type_: &str,
    reason: &str,
    message: &str,
    stamp: &Stamp,
) {
    set(conditions, type_, status::UNKNOWN, reason, message, stamp);
}

/// Ready=True with `reason` (usually `ReconciliationSucceeded` or
/// `Succeeded`) and a message naming the revision.
pub fn mark_ready(conditions: &mut Vec<Condition>, reason: &str, message: &str, stamp: &Stamp) {
    mark_true(conditions, condition::READY, reason, message, stamp);
}

/// Ready=False with the failure `reason` and `message`.
pub fn mark_not_ready(conditions: &mut Vec<Condition>, reason: &str, message: &str, stamp: &Stamp) {
    mark_false(conditions, condition::READY, reason, message, stamp);
}

/// Reconciling=True: a reconciliation (or retry) is under way.
pub fn mark_reconciling(
    conditions: &mut Vec<Condition>,
    reason: &str,
    message: &str,
    stamp: &Stamp,
) {
    mark_true(conditions, condition::RECONCILING, reason, message, stamp);
}

/// Stalled=True: nothing will change until the spec does.
pub fn mark_stalled(conditions: &mut Vec<Condition>, reason: &str, message: &str, stamp: &Stamp) {
    mark_true(conditions, condition::STALLED, reason, message, stamp);
}

/// Removes the condition of `type_`, if present.
pub fn delete(conditions: &mut Vec<Condition>, type_: &str) {
    conditions.retain(|c| c.type_ != type_);
}

/// Removes Reconciling (end of a reconciliation).
pub fn delete_reconciling(conditions: &mut Vec<Condition>) {
    delete(conditions, condition::RECONCILING);
}

/// Removes Stalled (the spec changed or the object recovered).
pub fn delete_stalled(conditions: &mut Vec<Condition>) {
    delete(conditions, condition::STALLED);
}

/// The condition of `type_`, if present.
pub fn get<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether a condition of `type_` is present.
pub fn has(conditions: &[Condition], type_: &str) -> bool {
    get(conditions, type_).is_some()
}

/// Whether `type_` is present and True.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    get(conditions, type_).is_some_and(|c| c.status == status::TRUE)
}

/// Whether `type_` is present and False.
pub fn is_false(conditions: &[Condition], type_: &str) -> bool {
    get(conditions, type_).is_some_and(|c| c.status == status::FALSE)
}

/// Whether Ready is True.
pub fn is_ready(conditions: &[Condition]) -> bool {
    is_true(conditions, condition::READY)
}

/// Whether Stalled is True.
pub fn is_stalled(conditions: &[Condition]) -> bool {
    is_true(conditions, condition::STALLED)
}

/// Whether Reconciling is True.
pub fn is_reconciling(conditions: &[Condition]) -> bool {
    is_true(conditions, condition::RECONCILING)
}

/// The reason of `type_`, if present.
pub fn reason<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a str> {
    get(conditions, type_).map(|c| c.reason.as_str())
}

/// The message of `type_`, if present.
pub fn message<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a str> {
    get(conditions, type_).map(|c| c.message.as_str())
}

/// Whether two condition lists are equal apart from `lastTransitionTime`,
/// compared as sets by type: used to skip patching an unchanged status.
pub fn equal_ignoring_time(a: &[Condition], b: &[Condition]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| {
            get(b, &x.type_).is_some_and(|y| {
                x.status == y.status
                    && x.reason == y.reason
                    && x.message == y.message
                    && x.observed_generation == y.observed_generation
            })
        })
}

/// Sorts Stalled, Reconciling, Ready first, then by type (Flux's order, which
/// `kubectl get` and `flux get` show).
pub fn sort(conditions: &mut [Condition]) {
    conditions.sort_by(|a, b| {
        (rank(&a.type_), a.type_.as_str()).cmp(&(rank(&b.type_), b.type_.as_str()))
    });
}

/// Position of a type in Flux's fixed prefix order.
fn rank(type_: &str) -> u8 {
    match type_ {
        condition::STALLED => 0,
        condition::RECONCILING => 1,
        condition::READY => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::reason;

    fn at(second: i64, generation: i64) -> Stamp {
        Stamp::new(
            Some(generation),
            Timestamp::from_second(1_700_000_000 + second).expect("valid time"),
        )
    }

    #[test]
    fn unchanged_condition_keeps_last_transition_time() {
        let mut c = Vec::new();
        mark_ready(&mut c, reason::SUCCEEDED, "Applied revision: a", &at(0, 1));
        mark_ready(&mut c, reason::SUCCEEDED, "Applied revision: a", &at(60, 2));
        let ready = get(&c, condition::READY).expect("ready");
        assert_eq!(ready.last_transition_time, at(0, 1).now.into());
        assert_eq!(ready.observed_generation, Some(2));
    }

    #[test]
    fn changed_message_moves_last_transition_time() {
        let mut c = Vec::new();
        mark_ready(&mut c, reason::SUCCEEDED, "Applied revision: a", &at(0, 1));
        mark_ready(&mut c, reason::SUCCEEDED, "Applied revision: b", &at(60, 1));
        let ready = get(&c, condition::READY).expect("ready");
        assert_eq!(ready.last_transition_time, at(60, 1).now.into());
    }

    #[test]
    fn changed_status_or_reason_moves_last_transition_time() {
        let mut c = Vec::new();
        mark_ready(&mut c, reason::SUCCEEDED, "m", &at(0, 1));
        mark_not_ready(&mut c, reason::SUCCEEDED, "m", &at(10, 1));
        assert_eq!(c[0].last_transition_time, at(10, 1).now.into());
        mark_not_ready(&mut c, reason::BUILD_FAILED, "m", &at(20, 1));
        assert_eq!(c[0].last_transition_time, at(20, 1).now.into());
    }

    #[test]
    fn setting_a_condition_is_idempotent() {
        let mut once = Vec::new();
        mark_reconciling(&mut once, reason::PROGRESSING, "x", &at(0, 3));
        mark_not_ready(&mut once, reason::PROGRESSING, "x", &at(0, 3));
        let mut twice = once.clone();
        mark_reconciling(&mut twice, reason::PROGRESSING, "x", &at(5, 3));
        mark_not_ready(&mut twice, reason::PROGRESSING, "x", &at(5, 3));
        assert_eq!(once, twice);
    }

    #[test]
    fn conditions_are_sorted_stalled_reconciling_ready_then_alphabetical() {
        let mut c = Vec::new();
        let s = at(0, 1);
        mark_true(&mut c, condition::HEALTHY, reason::SUCCEEDED, "", &s);
        mark_true(
            &mut c,
            condition::ARTIFACT_IN_STORAGE,
            reason::SUCCEEDED,
            "",
            &s,
        );
        mark_ready(&mut c, reason::SUCCEEDED, "", &s);
        mark_reconciling(&mut c, reason::PROGRESSING, "", &s);
        mark_stalled(&mut c, reason::INVALID_PATH, "", &s);
        let types: Vec<_> = c.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(
            types,
            [
                "Stalled",
                "Reconciling",
                "Ready",
                "ArtifactInStorage",
                "Healthy"
            ]
        );
    }

    #[test]
    fn abnormal_true_conditions_exist_only_while_true() {
        let mut c = Vec::new();
        let s = at(0, 1);
        mark_reconciling(&mut c, reason::PROGRESSING, "", &s);
        mark_stalled(&mut c, reason::FAILED, "", &s);
        assert!(is_reconciling(&c) && is_stalled(&c));
        mark_false(&mut c, condition::RECONCILING, reason::SUCCEEDED, "", &s);
        assert!(!has(&c, condition::RECONCILING));
        delete_stalled(&mut c);
        assert!(c.is_empty());
        mark_false(&mut c, condition::FETCH_FAILED, reason::SUCCEEDED, "", &s);
        assert!(c.is_empty());
    }

    #[test]
    fn long_messages_are_trimmed_on_a_char_boundary() {
        let long = "é".repeat(MAX_CONDITION_MESSAGE_LENGTH + 10);
        let mut c = Vec::new();
        mark_not_ready(&mut c, reason::BUILD_FAILED, &long, &at(0, 1));
        let msg = &c[0].message;
        assert_eq!(msg.chars().count(), MAX_CONDITION_MESSAGE_LENGTH);
        assert!(msg.ends_with("..."));
        assert_eq!(trim_to("short", 10), "short");
        assert_eq!(trim_to("abcdefghij", 5), "ab...");
    }

    #[test]
    fn equality_ignores_only_timestamps() {
        let mut a = Vec::new();
        mark_ready(&mut a, reason::SUCCEEDED, "m", &at(0, 1));
        let mut b = Vec::new();
        mark_ready(&mut b, reason::SUCCEEDED, "m", &at(99, 1));
        assert!(equal_ignoring_time(&a, &b));
        mark_ready(&mut b, reason::SUCCEEDED, "m", &at(99, 2));
        assert!(!equal_ignoring_time(&a, &b));
        assert!(!equal_ignoring_time(&a, &[]));
    }

    #[test]
    fn readers_report_presence_and_state() {
        let mut c = Vec::new();
        let s = at(0, 1);
        mark_not_ready(&mut c, reason::DEPENDENCY_NOT_READY, "waiting", &s);
        assert!(has(&c, condition::READY));
        assert!(!is_ready(&c));
        assert!(is_false(&c, condition::READY));
        assert_eq!(reason(&c, condition::READY), Some("DependencyNotReady"));
        assert_eq!(message(&c, condition::READY), Some("waiting"));
    }

    #[test]
    fn stamp_truncates_to_whole_seconds() {
        let now = Timestamp::from_millisecond(1_700_000_000_999).expect("valid");
        let s = Stamp::new(None, now);
        assert_eq!(s.now.as_second(), 1_700_000_000);
        assert_eq!(s.now.subsec_nanosecond(), 0);
    }
}
