//! Process metrics, as every Prometheus client exports them (the same names, types and help
//! texts as prometheus_client's and client_golang's process collectors), read from Linux's
//! `/proc` at export time only: nothing runs between scrapes.

use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use super::{MetricKind, Registry};
use crate::Error;

/// The process metrics: (name, kind, help), sorted by name.
const FAMILIES: [(&str, MetricKind, &str); 6] = [
    (
        "process_cpu_seconds_total",
        MetricKind::Counter,
        "Total user and system CPU time spent in seconds.",
    ),
    (
        "process_max_fds",
        MetricKind::Gauge,
        "Maximum number of open file descriptors.",
    ),
    (
        "process_open_fds",
        MetricKind::Gauge,
        "Number of open file descriptors.",
    ),
    (
        "process_resident_memory_bytes",
        MetricKind::Gauge,
        "Resident memory size in bytes.",
    ),
    (
        "process_start_time_seconds",
        MetricKind::Gauge,
        "Start time of the process since unix epoch in seconds.",
    ),
    (
        "process_virtual_memory_bytes",
        MetricKind::Gauge,
        "Virtual memory size in bytes.",
    ),
];

/// This process' CPU time, memory, file descriptors and start time, read from `/proc/self`
/// (Linux only).
///
/// # Example
/// ```
/// # #[cfg(target_os = "linux")] {
/// let stats = atomicperf::ProcessStats::read().unwrap();
/// assert!(stats.resident_memory_bytes > 0);
/// assert!(stats.open_fds >= 3); // stdin, stdout, stderr, and the listing's own
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessStats {
    /// User and system CPU time, in seconds (`utime + stime` of `/proc/self/stat` over the clock
    /// tick).
    pub cpu_seconds: f64,
    /// Resident set size, in bytes (`rss` pages of `/proc/self/stat` times the page size).
    pub resident_memory_bytes: u64,
    /// Virtual memory size, in bytes (`vsize` of `/proc/self/stat`).
    pub virtual_memory_bytes: u64,
    /// Entries of `/proc/self/fd` (the descriptor that lists them included, as in every client).
    pub open_fds: u64,
    /// The soft limit on open files (`RLIMIT_NOFILE`), `+Inf` when unlimited.
    pub max_fds: f64,
    /// When the process started, in seconds since the Unix epoch (boot time from `/proc/stat`
    /// plus `starttime` of `/proc/self/stat` over the clock tick).
    pub start_time_seconds: f64,
}

impl ProcessStats {
    /// Reads the stats now.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] on a platform other than Linux (which has no `/proc`), or if
    /// `/proc` cannot be read.
    pub fn read() -> Result<Self, Error> {
        imp::read()
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use std::sync::OnceLock;

    use super::ProcessStats;
    use crate::Error;

    fn unreadable(what: &str, why: impl std::fmt::Display) -> Error {
        Error::InvalidArgument(format!("process metrics: cannot read {what}: {why}"))
    }

    /// Clock ticks per second, page size and boot time (seconds since the epoch): constant for
    /// the life of the process, read once.
    fn constants() -> Result<(f64, f64, f64), Error> {
        static CONSTANTS: OnceLock<(f64, f64, f64)> = OnceLock::new();
        if let Some(c) = CONSTANTS.get() {
            return Ok(*c);
        }
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        // SAFETY: as above.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        let ticks = if ticks > 0 { ticks as f64 } else { 100.0 };
        let page = if page > 0 { page as f64 } else { 4096.0 };
        let stat =
            std::fs::read_to_string("/proc/stat").map_err(|e| unreadable("/proc/stat", e))?;
        let btime = stat
            .lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or_else(|| unreadable("/proc/stat", "no btime line"))?;
        Ok(*CONSTANTS.get_or_init(|| (ticks, page, btime)))
    }

    pub(super) fn read() -> Result<ProcessStats, Error> {
        let (ticks, page, btime) = constants()?;
        let stat = std::fs::read_to_string("/proc/self/stat")
            .map_err(|e| unreadable("/proc/self/stat", e))?;
        // The command name (field 2) is in parentheses and may hold spaces or parentheses: the
        // fields that follow start after the last ')', with field 3 (state) at index 0.
        let after = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .ok_or_else(|| unreadable("/proc/self/stat", "no ')'"))?;
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |n: usize| -> Result<u64, Error> {
            fields
                .get(n - 3)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| unreadable("/proc/self/stat", format!("no field {n}")))
        };
        let (utime, stime) = (field(14)?, field(15)?);
        let (starttime, vsize, rss) = (field(22)?, field(23)?, field(24)?);
        let open_fds = std::fs::read_dir("/proc/self/fd")
            .map_err(|e| unreadable("/proc/self/fd", e))?
            .count() as u64;
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid rlimit to write into.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return Err(unreadable("RLIMIT_NOFILE", std::io::Error::last_os_error()));
        }
        let max_fds = if limit.rlim_cur == libc::RLIM_INFINITY {
            f64::INFINITY
        } else {
            limit.rlim_cur as f64
        };
        Ok(ProcessStats {
            cpu_seconds: (utime + stime) as f64 / ticks,
            resident_memory_bytes: (rss as f64 * page) as u64,
            virtual_memory_bytes: vsize,
            open_fds,
            max_fds,
            start_time_seconds: btime + starttime as f64 / ticks,
        })
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::ProcessStats;
    use crate::Error;

    pub(super) fn read() -> Result<ProcessStats, Error> {
        Err(Error::InvalidArgument(super::UNSUPPORTED.to_string()))
    }
}

#[cfg_attr(target_os = "linux", allow(dead_code))]
const UNSUPPORTED: &str =
    "process metrics are read from /proc, which only Linux has: not available on this platform";

impl Registry {
    /// Adds the process metrics every Prometheus client exports, read from `/proc` at each
    /// export (and never in between): `process_cpu_seconds_total` (a counter),
    /// `process_resident_memory_bytes`, `process_virtual_memory_bytes`, `process_open_fds`,
    /// `process_max_fds` and `process_start_time_seconds` (gauges), with prometheus_client's
    /// help texts. They are collected families
    /// ([`collected_counter`](Self::collected_counter)): their names are taken, so a family of
    /// the registry's own whose exported names meet them is refused afterwards, as any
    /// collision. Calling it again does nothing.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] on a platform other than Linux, saying so, or if the registry
    /// already has a family whose exported names meet theirs; nothing is registered then.
    ///
    /// # Example
    /// ```
    /// # #[cfg(target_os = "linux")] {
    /// let registry = atomicperf::Registry::new();
    /// registry.register_process_metrics().unwrap();
    /// let text = registry.export_prometheus();
    /// assert!(text.contains("# TYPE process_cpu_seconds_total counter"));
    /// assert!(registry.gauge("process_open_fds", "", &[]).is_err()); // taken
    /// # }
    /// ```
    pub fn register_process_metrics(&self) -> Result<(), Error> {
        static ONE_AT_A_TIME: OnceLock<std::sync::Mutex<()>> = OnceLock::new();
        if self.process.load(Ordering::Acquire) {
            return Ok(());
        }
        // Read once first: an unsupported platform registers nothing.
        ProcessStats::read()?;
        let _guard = ONE_AT_A_TIME
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // Every name is checked before any family is created, so a refusal leaves none behind.
        {
            let exported = self.exported.lock().unwrap_or_else(|e| e.into_inner());
            for (name, kind, _) in FAMILIES {
                for n in kind.exported_names(name) {
                    let Some(owner) = exported.get(&n) else {
                        continue;
                    };
                    let ours = owner == name
                        && self
                            .families
                            .get(owner)
                            .is_some_and(|f| f.kind == kind && f.collected);
                    if !ours {
                        let other = self
                            .families
                            .get(owner)
                            .map_or("metric", |f| f.kind.as_str());
                        return Err(super::collision(kind, name, &n, other, owner));
                    }
                }
            }
        }
        for (name, kind, help) in FAMILIES {
            self.collected(name, help, kind, &[])?;
        }
        self.process.store(true, Ordering::Release);
        self.collect_process();
        Ok(())
    }

    /// Sets the process metrics' values from `/proc` now, if they are registered (the export's
    /// hook). A failed read leaves the previous values.
    pub(super) fn collect_process(&self) {
        if !self.process.load(Ordering::Acquire) {
            return;
        }
        let Ok(s) = ProcessStats::read() else {
            return;
        };
        let values = [
            s.cpu_seconds,
            s.max_fds,
            s.open_fds as f64,
            s.resident_memory_bytes as f64,
            s.start_time_seconds,
            s.virtual_memory_bytes as f64,
        ];
        for ((name, kind, help), v) in FAMILIES.into_iter().zip(values) {
            // Looked up each time (two map reads): series removed by `clear` come back.
            if let Ok(cell) = self.collected(name, help, kind, &[]) {
                cell.set(v);
            }
        }
    }
}
