//! The process table: which process owns which slot of the per-process gauge cells, and whether
//! it is still alive.
//!
//! A slot holds one 128-bit word, claimed with one compare-and-swap: the owner's pid, a hash of
//! the boot it runs in, and its start time (clock ticks after boot, from `/proc/<pid>/stat`).
//! A process is alive when a process with that pid exists, is not a zombie, started at that time
//! in this boot: a pid reused by a later process, or a segment kept on disk across a reboot, never
//! makes a dead owner look alive. No process ever has to clean up after itself (a SIGKILL leaves
//! nothing to undo): a dead owner's slot is taken over by the next process that needs one, and
//! its gauge values stop counting in the live modes at once.

use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use super::segment::{fnv1a, Segment};
use crate::Error;

/// Who owns a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Identity {
    pub(super) pid: u32,
    pub(super) boot: u32,
    /// Start time in clock ticks after boot; 0 when `/proc` could not tell (liveness then rests
    /// on the pid alone).
    pub(super) start: u64,
}

impl Identity {
    pub(super) fn pack(self) -> u128 {
        (u128::from(self.start) << 64) | (u128::from(self.boot) << 32) | u128::from(self.pid)
    }

    /// The owner a slot word names; `None` for a free slot.
    pub(super) fn unpack(v: u128) -> Option<Identity> {
        (v != 0).then_some(Identity {
            pid: v as u32,
            boot: (v >> 32) as u32,
            start: (v >> 64) as u64,
        })
    }

    /// A non-zero tag for this owner, which it writes beside each of its gauge cells: a cell
    /// counts only while its tag is its slot owner's, so a new owner never inherits the last
    /// one's values.
    pub(super) fn tag(self) -> u64 {
        fnv1a(&self.pack().to_ne_bytes()) | 1
    }

    /// The calling process.
    pub(super) fn current() -> Identity {
        let pid = std::process::id();
        Identity {
            pid,
            boot: boot(),
            start: match stat(pid) {
                Stat::Running(start) => start,
                _ => 0,
            },
        }
    }

    /// The process `pid` as it runs now (for tests that act for another process).
    #[cfg(test)]
    pub(super) fn of(pid: u32) -> Identity {
        Identity {
            pid,
            boot: boot(),
            start: match stat(pid) {
                Stat::Running(start) => start,
                _ => 0,
            },
        }
    }

    /// Whether the owner still runs (see the module documentation).
    pub(super) fn is_alive(self) -> bool {
        if self.boot != boot() || self.pid == 0 {
            return false;
        }
        match stat(self.pid) {
            Stat::Running(start) => self.start == 0 || start == self.start,
            Stat::Gone => false,
            Stat::Unknown => pid_exists(self.pid),
        }
    }
}

/// A hash of this boot's id (the same in every process until the machine restarts).
fn boot() -> u32 {
    static BOOT: OnceLock<u32> = OnceLock::new();
    *BOOT.get_or_init(|| {
        std::fs::read("/proc/sys/kernel/random/boot_id").map_or(0, |id| {
            let h = fnv1a(id.trim_ascii());
            (h ^ (h >> 32)) as u32
        })
    })
}

enum Stat {
    /// Running (or sleeping...), started at this many ticks after boot.
    Running(u64),
    /// No such process, or a zombie.
    Gone,
    /// `/proc` did not say (not mounted, or hidden).
    Unknown,
}

fn stat(pid: u32) -> Stat {
    match std::fs::read(format!("/proc/{pid}/stat")) {
        Ok(text) => parse_stat(&text).map_or(Stat::Unknown, |(state, start)| {
            if state == b'Z' || state == b'X' {
                Stat::Gone
            } else {
                Stat::Running(start)
            }
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // No /proc at all is not proof of death.
            if std::path::Path::new("/proc/self/stat").exists() {
                Stat::Gone
            } else {
                Stat::Unknown
            }
        }
        Err(_) => Stat::Unknown,
    }
}

/// The state letter and start time (field 22) of a `/proc/<pid>/stat` line. The command name
/// (field 2) is in parentheses and may hold anything, so fields are counted after its last `)`.
fn parse_stat(text: &[u8]) -> Option<(u8, u64)> {
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&text[close + 1..]).ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let state = *fields.next()?.as_bytes().first()?;
    // Fields 3 (state) to 22 (starttime): 19 more after the state.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

fn pid_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: signal 0 sends nothing; it only asks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Takes a slot for the calling process `me`: the one it already owns, else a free one, else one
/// whose owner is dead.
///
/// # Errors
/// [`Error::InvalidArgument`] when every slot belongs to a live process.
pub(super) fn claim(segment: &Segment, me: Identity) -> Result<usize, Error> {
    let slots = segment.geometry().max_processes as usize;
    let mine = me.pack();
    for i in 0..slots {
        if segment.slot(i).load(Ordering::Acquire) == mine {
            return Ok(i);
        }
    }
    // Free slots first: an exited process's values stay (in the modes that keep them) until the
    // table has no other room.
    for dead_ok in [false, true] {
        for i in 0..slots {
            let slot = segment.slot(i);
            let seen = slot.load(Ordering::Acquire);
            let free = match Identity::unpack(seen) {
                None => true,
                Some(owner) => dead_ok && !owner.is_alive(),
            };
            if free
                && slot
                    .compare_exchange(seen, mine, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                return Ok(i);
            }
        }
    }
    segment.refused_processes().fetch_add(1, Ordering::Relaxed);
    Err(Error::InvalidArgument(format!(
        "the process table of the shared registry {} is full: its {slots} slots belong to live \
         processes; create the registry with a larger max_processes",
        segment.path().display()
    )))
}

/// One slot as an export sees it.
#[derive(Clone, Copy)]
pub(super) struct Owner {
    pub(super) pid: u32,
    pub(super) tag: u64,
    pub(super) alive: bool,
}

/// Every slot's owner, with liveness checked once, for one export.
pub(super) fn owners(segment: &Segment) -> Vec<Option<Owner>> {
    (0..segment.geometry().max_processes as usize)
        .map(|i| {
            Identity::unpack(segment.slot(i).load(Ordering::Acquire)).map(|id| Owner {
                pid: id.pid,
                tag: id.tag(),
                alive: id.is_alive(),
            })
        })
        .collect()
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_whatever_the_command_name_holds() {
        let line = b"4242 (a) b) (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 \
                     1000 10 18446744073709551615";
        assert_eq!(parse_stat(line), Some((b'S', 987654)));
        assert_eq!(parse_stat(b"garbage"), None);
        assert_eq!(parse_stat(b"1 (x) S 1 2"), None);
    }

    #[test]
    fn this_process_is_alive_and_its_identity_round_trips() {
        let me = Identity::current();
        assert_eq!(me.pid, std::process::id());
        assert!(me.start > 0, "/proc/self/stat gives a start time");
        assert!(me.is_alive());
        assert_eq!(Identity::unpack(me.pack()), Some(me));
        assert_eq!(Identity::unpack(0), None);
        assert_ne!(me.tag(), 0);
    }

    #[test]
    fn a_reused_pid_another_boot_or_no_process_is_dead() {
        let me = Identity::current();
        let reused = Identity {
            start: me.start + 1,
            ..me
        };
        assert!(!reused.is_alive(), "same pid, another start time");
        let rebooted = Identity {
            boot: me.boot ^ 1,
            ..me
        };
        assert!(!rebooted.is_alive(), "same pid and start, another boot");
        let nobody = Identity {
            pid: 0x3fff_fff0,
            ..me
        };
        assert!(!nobody.is_alive());
    }
}
