//! [`Info`] (constant labels describing the process, such as a build version) and [`Enum`]
//! (which of a fixed set of states something is in): the OpenMetrics `info` and `stateset`
//! types, as prometheus_client's `Info` and `Enum`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::registry::{check_label_name, check_label_set};
use crate::Error;

/// Label pairs that describe something (a build's version and commit, a configuration), exported
/// as one sample `<name>_info{...} 1`: OpenMetrics' `info` type, a gauge in the Prometheus text
/// format 0.0.4, as prometheus_client's `Info`.
///
/// [`set`](Info::set) replaces the pairs as a whole; readers see either the old set or the new
/// one, never a mix, and never wait.
///
/// # Example
/// ```
/// use atomicperf::Info;
///
/// let build = Info::new();
/// build.set(&[("version", "1.4.2"), ("commit", "9b339de")]).unwrap();
/// assert_eq!(build.get(), vec![("commit".to_string(), "9b339de".to_string()),
///                              ("version".to_string(), "1.4.2".to_string())]);
/// assert!(build.set(&[("le", "x"), ("le", "y")]).is_err()); // a name twice
/// ```
#[derive(Debug)]
pub struct Info {
    pairs: ArcSwap<Vec<(String, String)>>,
    /// Label names the pairs may not use: those of the registry family that owns this Info.
    reserved: Vec<String>,
}

impl Info {
    /// An Info with no pairs.
    pub fn new() -> Self {
        Self::with_reserved(Vec::new())
    }

    /// An Info whose pairs may not use these label names (its family's).
    pub(crate) fn with_reserved(reserved: Vec<String>) -> Self {
        Info {
            pairs: ArcSwap::from_pointee(Vec::new()),
            reserved,
        }
    }

    /// Replaces the pairs (any order; exported sorted by name).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a label name outside the Prometheus data model, one given
    /// twice, or one of the Info's family labels; the pairs are then unchanged.
    pub fn set(&self, pairs: &[(&str, &str)]) -> Result<(), Error> {
        check_label_set(pairs.iter().map(|(n, _)| *n), "info label", |name| {
            check_label_name(name, &[])?;
            if self.reserved.iter().any(|r| r == name) {
                return Err(Error::InvalidArgument(format!(
                    "info label {name:?} is one of the metric's own labels"
                )));
            }
            Ok(())
        })?;
        let mut sorted: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        sorted.sort_unstable();
        self.pairs.store(Arc::new(sorted));
        Ok(())
    }

    /// The pairs, sorted by name.
    pub fn get(&self) -> Vec<(String, String)> {
        self.pairs.load().as_ref().clone()
    }
}

impl Default for Info {
    fn default() -> Self {
        Self::new()
    }
}

/// Which one of a fixed set of states something is in (a task starting, running, stopped):
/// OpenMetrics' `stateset` type, exported as one sample per state, 1 for the current state and
/// 0 for the others, as prometheus_client's `Enum`. Starts in the first state.
///
/// [`set`](Enum::set) is one atomic store; [`get`](Enum::get) one atomic load.
///
/// # Example
/// ```
/// use atomicperf::Enum;
///
/// let task = Enum::new(&["starting", "running", "stopped"]).unwrap();
/// assert_eq!(task.get(), "starting");
/// task.set("running").unwrap();
/// assert_eq!(task.get(), "running");
/// assert!(task.set("exploded").is_err());
/// ```
#[derive(Debug)]
pub struct Enum {
    states: Arc<[String]>,
    current: AtomicUsize,
}

impl Enum {
    /// An Enum over `states`, in the first.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no states, an empty state, or a state given twice.
    pub fn new(states: &[&str]) -> Result<Self, Error> {
        Ok(Self::with_states(check_states(states)?))
    }

    pub(crate) fn with_states(states: Arc<[String]>) -> Self {
        Enum {
            states,
            current: AtomicUsize::new(0),
        }
    }

    /// Makes `state` the current state.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `state` is not one of the states (nothing changes).
    pub fn set(&self, state: &str) -> Result<(), Error> {
        let i = self.states.iter().position(|s| s == state).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "{state:?} is not one of the states {:?}",
                self.states
            ))
        })?;
        self.current.store(i, Ordering::Release);
        Ok(())
    }

    /// The current state.
    pub fn get(&self) -> &str {
        &self.states[self.index()]
    }

    /// The index of the current state in [`states`](Self::states).
    pub fn index(&self) -> usize {
        self.current.load(Ordering::Acquire)
    }

    /// Every state, in the order given.
    pub fn states(&self) -> &[String] {
        &self.states
    }
}

/// The states of an [`Enum`], checked: at least one, none empty, none twice.
pub(crate) fn check_states(states: &[&str]) -> Result<Arc<[String]>, Error> {
    if states.is_empty() {
        return Err(Error::InvalidArgument(
            "an enum needs at least one state".into(),
        ));
    }
    for (i, s) in states.iter().enumerate() {
        if s.is_empty() {
            return Err(Error::InvalidArgument("an enum state is empty".into()));
        }
        if states[..i].contains(s) {
            return Err(Error::InvalidArgument(format!(
                "enum state {s:?} given twice"
            )));
        }
    }
    Ok(states.iter().map(|s| s.to_string()).collect())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn info_replaces_its_pairs_and_refuses_bad_names() {
        let i = Info::with_reserved(vec!["service".into()]);
        assert!(i.get().is_empty());
        i.set(&[("version", "1"), ("arch", "x86")]).unwrap();
        assert_eq!(
            i.get(),
            vec![
                ("arch".into(), "x86".into()),
                ("version".into(), "1".into())
            ]
        );
        for bad in [
            vec![("1x", "v")],
            vec![("__x", "v")],
            vec![("a", "1"), ("a", "2")],
            vec![("service", "x")],
        ] {
            assert!(i.set(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(i.get().len(), 2, "unchanged after a refusal");
        i.set(&[]).unwrap();
        assert!(i.get().is_empty());
    }

    #[test]
    fn enum_starts_in_its_first_state_and_refuses_unknown_ones() {
        let e = Enum::new(&["a", "b"]).unwrap();
        assert_eq!((e.get(), e.index()), ("a", 0));
        e.set("b").unwrap();
        assert_eq!((e.get(), e.index()), ("b", 1));
        assert!(e.set("c").is_err());
        assert_eq!(e.get(), "b");
        assert!(Enum::new(&[]).is_err());
        assert!(Enum::new(&["a", ""]).is_err());
        assert!(Enum::new(&["a", "a"]).is_err());
    }
}
