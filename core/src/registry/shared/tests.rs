//! Tests of the shared registry. Processes come from `fork` when the child only records (light
//! work, safe in a multi-threaded test binary) and from running this test binary again (see
//! [`child`]) when the child spawns threads or is killed at random.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;

use super::process::Identity;
use super::segment::{EMPTY, READY, WRITING};
use super::*;
use crate::Registry;

/// A segment file for one test, removed when dropped.
struct Temp(PathBuf);

impl Temp {
    fn new(what: &str) -> Temp {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("atomicperf-test-{}-{what}-{n}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Temp(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn small() -> SharedOptions {
    SharedOptions {
        max_series: 64,
        max_processes: 8,
        data_bytes: 4 << 20,
        ..SharedOptions::default()
    }
}

fn existing() -> SharedOptions {
    SharedOptions {
        create: false,
        ..SharedOptions::default()
    }
}

/// The value of the sample `line_start` (name and labels) in a text exposition.
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' '))
        .map(|v| v.parse().expect("a number"))
}

/// Every sample line of a text exposition is unique (a scraper rejects duplicates).
fn assert_unique_samples(text: &str) {
    let mut seen = std::collections::HashSet::new();
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let series = l.rsplit_once(' ').expect("name and value").0;
        assert!(
            seen.insert(series.to_string()),
            "duplicate {series} in\n{text}"
        );
    }
}

#[test]
fn exports_exactly_what_the_in_process_registry_exports() {
    let t = Temp::new("same");
    let shared = SharedRegistry::open(t.path(), &small()).unwrap();
    let local = Registry::new();
    for (i, code) in ["200", "500"].iter().enumerate() {
        let labels = [("code", *code), ("method", "GET")];
        shared
            .counter("requests", "Requests.", &labels)
            .unwrap()
            .add(3 + i as u64);
        local
            .counter("requests", "Requests.", &labels)
            .unwrap()
            .add(3 + i as u64);
    }
    let opts = HistogramOpts::plain(vec![1.0, 10.0, 100.0]);
    let (hs, hl) = (
        shared.histogram("size", "Sizes.", &[], &opts).unwrap(),
        local.histogram("size", "Sizes.", &[], &opts).unwrap(),
    );
    let (ts, tl) = (
        shared
            .timer("rule", "Rule time.", &[("rule", "a")])
            .unwrap(),
        local.timer("rule", "Rule time.", &[("rule", "a")]).unwrap(),
    );
    for v in [0u64, 3, 7, 42, 99, 1000] {
        hs.record(v);
        hl.record(v);
        ts.record_nanos(v * 1_000_000, v % 2 == 0);
        tl.record_nanos(v * 1_000_000, v % 2 == 0);
    }
    shared
        .gauge("temperature", "Degrees.", &[], GaugeMode::MostRecent)
        .unwrap()
        .set(21.5);
    local
        .gauge("temperature", "Degrees.", &[])
        .unwrap()
        .set(21.5);
    assert_eq!(shared.export_prometheus(), local.export_prometheus());
    assert_eq!(shared.export_openmetrics(), local.export_openmetrics());
    assert_eq!(shared.export_json(), local.export_json());
    assert_eq!((shared.len(), shared.series_count()), (4, 5));
}

#[test]
fn a_look_up_returns_the_same_metric_and_refuses_what_the_registry_refuses() {
    let t = Temp::new("rules");
    let r = SharedRegistry::open(t.path(), &small()).unwrap();
    let a = r.counter("jobs", "", &[("q", "a"), ("s", "x")]).unwrap();
    let b = r.counter("jobs", "", &[("s", "x"), ("q", "a")]).unwrap();
    assert!(Arc::ptr_eq(&a, &b), "label order does not matter");
    let kind = r.gauge("jobs", "", &[("q", "a"), ("s", "x")], GaugeMode::Sum);
    assert!(kind
        .unwrap_err()
        .to_string()
        .contains("registered as a counter"));
    assert!(
        r.counter("jobs", "", &[("q", "b")]).is_err(),
        "another label set"
    );
    assert!(r.counter("2jobs", "", &[]).is_err());
    assert!(r.counter("ok", "", &[("a", "1"), ("a", "2")]).is_err());
    assert!(r
        .histogram("h", "", &[("le", "1")], &HistogramOpts::default())
        .is_err());
    assert!(
        r.gauge("jobs_total", "", &[], GaugeMode::Sum).is_err(),
        "collides"
    );
    r.gauge("busy", "", &[], GaugeMode::LiveSum).unwrap();
    let mode = r.gauge("busy", "", &[], GaugeMode::Max).unwrap_err();
    assert!(mode.to_string().contains("mode livesum, not max"), "{mode}");
    let pid = r
        .gauge("per", "", &[("pid", "1")], GaugeMode::All)
        .unwrap_err();
    assert!(pid.to_string().contains("reserved"), "{pid}");
    r.gauge("per_sum", "", &[("pid", "1")], GaugeMode::Sum)
        .unwrap();
    // Another process (here: another handle on the file) sees the same rules and series.
    let again = SharedRegistry::open(t.path(), &existing()).unwrap();
    again
        .counter("jobs", "", &[("q", "a"), ("s", "x")])
        .unwrap()
        .inc();
    assert!(again.gauge("busy", "", &[], GaugeMode::Min).is_err());
    assert_eq!(a.get(), 1);
    assert_eq!(r.len(), 3);
}

#[test]
fn gauge_modes_are_named_and_numbered_once() {
    for m in GaugeMode::ALL_MODES {
        assert_eq!(GaugeMode::from_name(m.name()).unwrap(), m);
        assert_eq!(GaugeMode::from_code(m.code()), Some(m));
    }
    assert!(GaugeMode::from_name("average").is_err());
    assert_eq!(GaugeMode::from_code(0), None);
    assert_eq!(GaugeMode::default(), GaugeMode::All);
}

#[test]
fn a_full_segment_refuses_new_series_and_keeps_the_others_working() {
    let t = Temp::new("full");
    let opts = SharedOptions {
        max_series: 3,
        ..small()
    };
    let r = SharedRegistry::open(t.path(), &opts).unwrap();
    let kept: Vec<_> = (0..3)
        .map(|i| r.counter("c", "", &[("i", &i.to_string())]).unwrap())
        .collect();
    let err = r.counter("c", "", &[("i", "3")]).unwrap_err();
    assert!(err.to_string().contains("is full"), "{err}");
    assert!(err.to_string().contains("max_series"), "{err}");
    assert_eq!(r.refused_series(), 1);
    kept[2].inc();
    assert_eq!(
        sample(&r.export_prometheus(), "c_total{i=\"2\"}"),
        Some(1.0)
    );

    let t = Temp::new("full-data");
    let tiny = SharedOptions {
        data_bytes: 4096,
        ..small()
    };
    let r = SharedRegistry::open(t.path(), &tiny).unwrap();
    let err = r
        .histogram("h", "", &[], &HistogramOpts::default())
        .unwrap_err();
    assert!(err.to_string().contains("data_bytes"), "{err}");
    r.counter("fits", "", &[]).unwrap().inc();
    assert!(r.export_prometheus().contains("fits_total 1"));
}

#[test]
fn creation_is_atomic_for_racing_openers_and_sets_the_mode() {
    let t = Temp::new("race");
    let path = t.path().to_string();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let r = SharedRegistry::open(&path, &small()).unwrap();
                r.counter("opened", "", &[]).unwrap().inc();
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    let r = SharedRegistry::open(&path, &existing()).unwrap();
    assert_eq!(sample(&r.export_prometheus(), "opened_total"), Some(8.0));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o600, "created 0600 by default");
    let leftovers = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name().to_string_lossy().contains(".tmp") && {
                e.file_name()
                    .to_string_lossy()
                    .contains(&format!("atomicperf-test-{}-race", std::process::id()))
            }
        })
        .count();
    assert_eq!(leftovers, 0, "no temporary file left behind");

    let t = Temp::new("mode");
    let opts = SharedOptions {
        mode: 0o640,
        ..small()
    };
    SharedRegistry::open(t.path(), &opts).unwrap();
    let mode = std::fs::metadata(t.path()).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o7777,
        0o640,
        "the mode asked for, whatever the umask"
    );
    assert!(SharedRegistry::open(
        t.path(),
        &SharedOptions {
            mode: 0o10000,
            ..small()
        }
    )
    .is_err());
}

#[test]
fn names_resolve_in_the_directory_and_unlink_starts_afresh() {
    let dir = std::env::temp_dir();
    let opts = SharedOptions {
        dir: Some(dir.clone()),
        ..small()
    };
    let name = format!("test-{}-named", std::process::id());
    let r = SharedRegistry::open(&name, &opts).unwrap();
    assert_eq!(r.path(), dir.join(format!("atomicperf-{name}")));
    let c = r.counter("kept", "", &[]).unwrap();
    c.inc();
    r.unlink().unwrap();
    c.inc(); // still mapped
    assert_eq!(c.get(), 2);
    let fresh = SharedRegistry::open(&name, &opts).unwrap();
    assert!(fresh.is_empty());
    SharedRegistry::remove(&name, &opts).unwrap();
    assert!(SharedRegistry::remove(&name, &opts).is_err());
    for bad in ["", "..", "a b", "é"] {
        assert!(SharedRegistry::open(bad, &opts).is_err(), "{bad:?}");
    }
    let missing = SharedRegistry::open(&format!("{name}-missing"), &existing());
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains("no shared registry"));
}

fn write_file(path: &str, bytes: &[u8]) {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, bytes).unwrap();
}

/// A segment with one series of each kind, as bytes up to the end of its used data.
fn template() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let t = Temp::new("template");
        let opts = SharedOptions {
            max_series: 16,
            max_processes: 4,
            data_bytes: 64 << 10,
            counter_stripes: Some(2),
            ..SharedOptions::default()
        };
        let r = SharedRegistry::open(t.path(), &opts).unwrap();
        r.counter("c", "Help.", &[("l", "v")]).unwrap().add(5);
        r.gauge("g", "", &[], GaugeMode::LiveSum).unwrap().set(2.0);
        r.gauge("m", "", &[], GaugeMode::MostRecent)
            .unwrap()
            .set(3.0);
        r.histogram("h", "", &[], &HistogramOpts::plain(vec![1.0, 2.0]))
            .unwrap()
            .record(1);
        r.timer("t", "", &[]).unwrap().record_nanos(5, false);
        let used = r.inner.segment.used_bytes() as usize;
        let mut bytes = std::fs::read(t.path()).unwrap();
        bytes.truncate(used);
        bytes
    })
}

/// Writes the template with `edit` applied, padded to the geometry's size.
fn edited(path: &str, edit: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = template().to_vec();
    let total = u64::from_ne_bytes(bytes[16..24].try_into().unwrap()) as usize;
    bytes.resize(total, 0);
    edit(&mut bytes);
    write_file(path, &bytes);
}

fn reseal(bytes: &mut [u8]) {
    let sum = segment::fnv1a(&bytes[..88]);
    bytes[88..96].copy_from_slice(&sum.to_ne_bytes());
}

#[test]
fn bad_files_are_clear_errors() {
    let t = Temp::new("bad");
    let err = |t: &Temp| {
        SharedRegistry::open(t.path(), &existing())
            .unwrap_err()
            .to_string()
    };

    edited(t.path(), |_| {});
    let r = SharedRegistry::open(t.path(), &existing()).expect("the template itself opens");
    assert!(r.export_prometheus().contains("c_total{l=\"v\"} 5"));

    write_file(t.path(), b"");
    assert!(
        err(&t).contains("not an atomicperf shared registry"),
        "{}",
        err(&t)
    );
    write_file(t.path(), &[b'x'; 8192]);
    assert!(
        err(&t).contains("not an atomicperf shared registry"),
        "{}",
        err(&t)
    );
    edited(t.path(), |b| {
        b[8..12].copy_from_slice(&2u32.to_ne_bytes());
        reseal(b);
    });
    assert!(err(&t).contains("layout version 2"), "{}", err(&t));
    edited(t.path(), |b| b[30] ^= 1);
    assert!(err(&t).contains("checksum"), "{}", err(&t));
    edited(t.path(), |b| {
        let arena = u64::from_ne_bytes(b[48..56].try_into().unwrap());
        b[48..56].copy_from_slice(&(arena + 128).to_ne_bytes()); // not where it belongs
        reseal(b);
    });
    assert!(err(&t).contains("geometry"), "{}", err(&t));
    edited(t.path(), |b| b.truncate(b.len() - 1));
    assert!(err(&t).contains("truncated"), "{}", err(&t));
    let g = Geometry::new(4, 16, 64 << 10, 2, 1).unwrap();
    let (entries, index) = (g.entries as usize, g.index as usize);
    edited(t.path(), |b| b[entries + 16..entries + 20].fill(0xff)); // metadata length
    assert!(err(&t).contains("series entry 0"), "{}", err(&t));
    edited(t.path(), |b| b[entries] = 7); // a state that does not exist
    assert!(err(&t).contains("state 7"), "{}", err(&t));
    edited(t.path(), |b| {
        b[index..index + 8].copy_from_slice(&1000u64.to_ne_bytes())
    });
    assert!(err(&t).contains("index slot 0"), "{}", err(&t));

    let dir = std::env::temp_dir();
    let e = SharedRegistry::open(dir.to_str().unwrap(), &existing()).unwrap_err();
    assert!(e.to_string().contains(dir.to_str().unwrap()), "{e}");
    let e = SharedRegistry::open("/nonexistent-dir/x", &small()).unwrap_err();
    assert!(e.to_string().contains("/nonexistent-dir"), "{e}");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        edited(t.path(), |_| {});
        std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(err(&t).contains("Permission denied"), "{}", err(&t));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_files_are_refused_without_a_crash(
        bytes in proptest::collection::vec(any::<u8>(), 0..6000),
        magic in any::<bool>(),
    ) {
        let t = Temp::new("fuzz-random");
        let mut bytes = bytes;
        if magic && bytes.len() >= 8 {
            bytes[..8].copy_from_slice(&segment::MAGIC);
        }
        write_file(t.path(), &bytes);
        prop_assert!(SharedRegistry::open(t.path(), &existing()).is_err());
    }

    #[test]
    fn mutated_segments_are_refused_or_read_without_a_crash(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in proptest::option::weighted(0.1, any::<prop::sample::Index>()),
        seal in any::<bool>(),
    ) {
        let t = Temp::new("fuzz-mutated");
        let used = template().len();
        edited(t.path(), |b| {
            for (at, v) in &flips {
                b[at.index(used)] ^= v | 1;
            }
            if seal {
                reseal(b);
            }
            if let Some(cut) = cut {
                b.truncate(cut.index(b.len()));
            }
        });
        if let Ok(r) = SharedRegistry::open(t.path(), &existing()) {
            for text in [r.export_prometheus(), r.export_openmetrics()] {
                assert_unique_samples(&text);
            }
            serde_json::from_str::<serde_json::Value>(&r.export_json()).unwrap();
            if let Ok(c) = r.counter("c", "", &[("l", "v")]) {
                c.inc();
            }
            if let Ok(g) = r.gauge("g", "", &[], GaugeMode::LiveSum) {
                g.inc();
            }
            let _ = r.histogram("new", "", &[], &HistogramOpts::default()).map(|h| h.record(3));
            let _ = r.export_json();
        }
    }
}

/// Takes an entry index and leaves it as a registrant killed at that point would.
fn abandon(r: &SharedRegistry, state: u32, allocate: bool) {
    let segment = &r.inner.segment;
    let i = segment.next_entry().fetch_add(1, Ordering::AcqRel) as usize;
    let e = segment.entry(i);
    e.state.store(state, Ordering::Relaxed);
    if allocate {
        let at = segment.alloc(200).unwrap();
        segment.write_bytes(at, &[0xAB; 200]);
        e.meta_offset.store(at, Ordering::Relaxed);
        e.meta_len.store(u32::MAX, Ordering::Relaxed);
    }
}

#[test]
fn entries_of_registrants_killed_half_way_are_skipped_for_ever() {
    let t = Temp::new("abandoned");
    let r = SharedRegistry::open(t.path(), &small()).unwrap();
    r.counter("before", "", &[]).unwrap().inc();
    abandon(&r, EMPTY, false); // killed right after taking the index
    abandon(&r, WRITING, true); // killed in the middle of writing
    r.counter("after", "", &[]).unwrap().add(2);
    let other = SharedRegistry::open(t.path(), &existing()).expect("still a valid segment");
    let text = other.export_prometheus();
    assert_eq!(sample(&text, "before_total"), Some(1.0));
    assert_eq!(sample(&text, "after_total"), Some(2.0));
    assert_eq!(other.series_count(), 2);
    let state = |i: usize| r.inner.segment.entry(i).state.load(Ordering::Relaxed);
    assert_eq!(
        (state(0), state(1), state(2), state(3)),
        (READY, EMPTY, WRITING, READY)
    );
}

#[test]
fn racing_registrants_of_one_series_both_use_the_entry_that_got_its_key() {
    let t = Temp::new("race-key");
    let a = SharedRegistry::open(t.path(), &small()).unwrap();
    let b = SharedRegistry::open(t.path(), &existing()).unwrap(); // another process's view
    let opts = HistogramOpts::default();
    let kinds = [
        ("race_counter", MetricKind::Counter, None),
        ("race_histogram", MetricKind::Histogram, None),
        ("race_sum", MetricKind::Gauge, Some(GaugeMode::Sum)),
        (
            "race_recent",
            MetricKind::Gauge,
            Some(GaugeMode::MostRecent),
        ),
    ];
    for (name, kind, mode) in kinds {
        let key = key_bytes(name, [("k", "v")].into_iter());
        // Both found no entry for the series, and both published one...
        let mine = a.inner.register(name, "", kind, mode, &opts, &key).unwrap();
        let theirs = b.inner.register(name, "", kind, mode, &opts, &key).unwrap();
        assert_ne!(mine, theirs);
        // ... then claimed the key: the later one finds the earlier one's entry and takes it.
        let won = b
            .inner
            .claim_key(&mut b.inner.local(), &key, theirs)
            .unwrap();
        assert_eq!(won, theirs);
        let taken = a.inner.claim_key(&mut a.inner.local(), &key, mine).unwrap();
        assert_eq!(taken, theirs, "{name}");
    }
    let (ca, cb) = (
        a.counter("race_counter", "", &[("k", "v")]).unwrap(),
        b.counter("race_counter", "", &[("k", "v")]).unwrap(),
    );
    ca.add(3);
    cb.add(4);
    assert_eq!(
        (ca.get(), cb.get()),
        (7, 7),
        "one series: every handle reads the total"
    );
    a.histogram("race_histogram", "", &[("k", "v")], &opts)
        .unwrap()
        .record(1);
    b.histogram("race_histogram", "", &[("k", "v")], &opts)
        .unwrap()
        .record(2);
    a.gauge("race_sum", "", &[("k", "v")], GaugeMode::Sum)
        .unwrap()
        .set(4.0);
    a.gauge("race_recent", "", &[("k", "v")], GaugeMode::MostRecent)
        .unwrap()
        .set(5.0);
    b.gauge("race_recent", "", &[("k", "v")], GaugeMode::MostRecent)
        .unwrap()
        .set(6.0);
    for r in [&a, &b] {
        let text = r.export_prometheus();
        assert_unique_samples(&text);
        assert_eq!(sample(&text, "race_counter_total{k=\"v\"}"), Some(7.0));
        assert_eq!(sample(&text, "race_histogram_count{k=\"v\"}"), Some(2.0));
        assert_eq!(sample(&text, "race_sum{k=\"v\"}"), Some(4.0));
        assert_eq!(
            sample(&text, "race_recent{k=\"v\"}"),
            Some(6.0),
            "the last set"
        );
        assert_eq!(
            r.series_count(),
            4,
            "the entries that lost the race are not series"
        );
    }
    // Another kind under a key that a racer claimed first is refused, as it would be in order.
    let key = key_bytes("race_kind", std::iter::empty());
    let counter = b
        .inner
        .register("race_kind", "", MetricKind::Counter, None, &opts, &key)
        .unwrap();
    b.inner
        .claim_key(&mut b.inner.local(), &key, counter)
        .unwrap();
    let err = a.gauge("race_kind", "", &[], GaugeMode::Sum).unwrap_err();
    assert!(err.to_string().contains("registered as a counter"), "{err}");
}

#[test]
fn a_table_entry_with_a_live_pid_but_another_start_time_is_a_dead_process() {
    let t = Temp::new("reuse");
    let opts = SharedOptions {
        max_processes: 2,
        ..small()
    };
    let r = SharedRegistry::open(t.path(), &opts).unwrap();
    let live = r.gauge("live", "", &[], GaugeMode::LiveSum).unwrap();
    let kept = r.gauge("kept", "", &[], GaugeMode::Sum).unwrap();
    live.set(2.0);
    kept.set(2.0);
    let me = Identity::current();
    let segment = r.inner.segment.clone();
    let mine = (0..2)
        .find(|&i| segment.slot(i).load(Ordering::Relaxed) == me.pack())
        .unwrap();
    let other = 1 - mine;
    // A process with this process's pid that started at another time: the pid was reused.
    let ghost = Identity {
        start: me.start + 1,
        ..me
    };
    segment.slot(other).store(ghost.pack(), Ordering::Release);
    let local = r.inner.local();
    let offsets: Vec<u64> = local
        .series
        .values()
        .filter_map(|s| match s.cells {
            SeriesCells::PerProcess { offset, .. } => Some(offset),
            _ => None,
        })
        .collect();
    drop(local);
    for offset in offsets {
        segment
            .cell(offset, 2 * other)
            .store(100f64.to_bits(), Ordering::Relaxed);
        segment
            .cell(offset, 2 * other + 1)
            .store(ghost.tag(), Ordering::Release);
    }
    let text = r.export_prometheus();
    assert_eq!(
        sample(&text, "live"),
        Some(2.0),
        "the ghost is not alive:\n{text}"
    );
    assert_eq!(
        sample(&text, "kept"),
        Some(102.0),
        "but its last value is kept"
    );
    // The next process that needs a slot takes over the ghost's.
    let parent = Identity::of(std::os::unix::process::parent_id());
    assert_eq!(process::claim(&segment, parent).unwrap(), other);
    assert_eq!(
        sample(&r.export_prometheus(), "kept"),
        Some(2.0),
        "its tag is not the new owner's"
    );
    let full = process::claim(
        &segment,
        Identity {
            pid: 1,
            ..Identity::of(1)
        },
    );
    assert!(full.unwrap_err().to_string().contains("process table"));
    assert_eq!(r.refused_processes(), 1);
}

/// Forks a child that runs `f` and exits with its result (101 on panic). The child must not
/// spawn threads or print: other test threads may hold locks at the fork.
fn fork(f: impl FnOnce() -> i32) -> libc::pid_t {
    // SAFETY: the child runs `f` (atomics, the registry's fork-aware locks, file reads) and
    // leaves with `_exit`, running no destructor and flushing nothing of the parent's.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(101);
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(code) };
    }
    pid
}

fn reap(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    status
}

fn pipe() -> (i32, i32) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    (fds[0], fds[1])
}

#[test]
fn a_killed_process_drops_out_of_live_gauges_and_its_counts_stay() {
    let t = Temp::new("livesum");
    let r = SharedRegistry::open(t.path(), &small()).unwrap();
    // Created before the fork, as a pre-fork server's master does at import.
    let busy = r.gauge("busy", "", &[], GaugeMode::LiveSum).unwrap();
    let all = r.gauge("state", "", &[], GaugeMode::LiveAll).unwrap();
    let max = r.gauge("peak", "", &[], GaugeMode::Max).unwrap();
    let jobs = r.counter("jobs", "", &[]).unwrap();
    busy.set(0.5);
    let (ready_r, ready_w) = pipe();
    let (hold_r, hold_w) = pipe();
    let children: Vec<_> = (0..3)
        .map(|i| {
            let (busy, all, max, jobs) = (busy.clone(), all.clone(), max.clone(), jobs.clone());
            fork(move || {
                busy.inc(); // the child's own value, from 0
                all.set(f64::from(i));
                max.set(f64::from(10 + i));
                for _ in 0..1000 {
                    jobs.inc();
                }
                // SAFETY: one byte to a pipe, then a read that blocks until the parent acts.
                unsafe {
                    libc::write(ready_w, [1u8].as_ptr().cast(), 1);
                    let mut b = [0u8];
                    libc::read(hold_r, b.as_mut_ptr().cast(), 1);
                }
                0
            })
        })
        .collect();
    for _ in 0..3 {
        let mut b = [0u8];
        // SAFETY: reads one byte of the pipe.
        assert_eq!(unsafe { libc::read(ready_r, b.as_mut_ptr().cast(), 1) }, 1);
    }
    let text = r.export_prometheus();
    assert_eq!(sample(&text, "busy"), Some(3.5), "{text}");
    assert_eq!(sample(&text, "peak"), Some(12.0));
    assert_eq!(text.matches("state{pid=").count(), 4, "{text}");
    assert_eq!(sample(&text, "jobs_total"), Some(3000.0));
    assert_eq!(busy.get(), 0.5, "the parent's value is its own");

    // SIGKILL: no hook runs. Before it is reaped, the child is a zombie: dead already.
    // SAFETY: kills our own child.
    unsafe { libc::kill(children[2], libc::SIGKILL) };
    std::thread::sleep(Duration::from_millis(50));
    let text = r.export_prometheus();
    assert_eq!(sample(&text, "busy"), Some(2.5), "{text}");
    assert_eq!(text.matches("state{pid=").count(), 3, "{text}");
    assert!(!text.contains(&format!("state{{pid=\"{}\"}}", children[2])));
    assert_eq!(
        sample(&text, "peak"),
        Some(12.0),
        "max keeps a dead process's value"
    );
    assert_eq!(
        sample(&text, "jobs_total"),
        Some(3000.0),
        "counts never go back"
    );
    reap(children[2]);
    // SAFETY: writing to our own pipe releases the other children.
    unsafe { libc::write(hold_w, [0u8; 2].as_ptr().cast(), 2) };
    for &c in &children[..2] {
        assert_eq!(reap(c), 0);
    }
    let text = r.export_prometheus();
    assert_eq!(sample(&text, "busy"), Some(0.5), "{text}");
    assert_eq!(text.matches("state{pid=").count(), 1);
    for fd in [ready_r, ready_w, hold_r, hold_w] {
        // SAFETY: closes our own descriptors.
        unsafe { libc::close(fd) };
    }
}

#[test]
fn every_gauge_mode_combines_the_processes_values_as_documented() {
    let t = Temp::new("modes");
    let r = SharedRegistry::open(t.path(), &small()).unwrap();
    let gauges: Vec<(GaugeMode, Arc<Gauge>)> = GaugeMode::ALL_MODES
        .into_iter()
        .map(|m| (m, r.gauge(&format!("g_{}", m.name()), "", &[], m).unwrap()))
        .collect();
    for (_, g) in &gauges {
        g.set(5.0);
    }
    // Two processes that exited after setting 1 and 7.
    for v in [1.0, 7.0] {
        let gauges = gauges.clone();
        let child = fork(move || {
            for (_, g) in &gauges {
                g.set(v);
            }
            0
        });
        assert_eq!(reap(child), 0);
    }
    let text = r.export_prometheus();
    let me = std::process::id();
    let value = |name: &str| sample(&text, name);
    assert_eq!(value("g_sum"), Some(13.0), "{text}");
    assert_eq!(value("g_livesum"), Some(5.0));
    assert_eq!(value("g_max"), Some(7.0));
    assert_eq!(value("g_livemax"), Some(5.0));
    assert_eq!(value("g_min"), Some(1.0));
    assert_eq!(value("g_livemin"), Some(5.0));
    assert_eq!(value("g_mostrecent"), Some(7.0), "the last set wins");
    assert_eq!(text.matches("g_all{pid=").count(), 3);
    assert_eq!(value(&format!("g_liveall{{pid=\"{me}\"}}")), Some(5.0));
    assert_eq!(text.matches("g_liveall{pid=").count(), 1);
    assert_unique_samples(&text);
    let json: serde_json::Value = serde_json::from_str(&r.export_json()).unwrap();
    let all = json["families"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "g_all")
        .unwrap();
    assert_eq!(all["labels"], serde_json::json!(["pid"]));
}

// ---- Processes that run this test binary again. ----

const CHILD_ENV: &str = "ATOMICPERF_SHARED_REGISTRY_CHILD";

/// Runs [`child`] in a new process of this test binary with `args`.
fn spawn(args: &[String]) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "registry::shared::tests::child",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, args.join("\u{1f}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The line a child printed after `RESULT `.
fn result_of(child: std::process::Child) -> String {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "child failed: {:?}", out.status);
    let text = String::from_utf8(out.stdout).unwrap();
    // The test harness prints "test ... " first, on the same line.
    let at = text
        .find("RESULT ")
        .unwrap_or_else(|| panic!("no result in {text}"));
    text[at + "RESULT ".len()..]
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Progress cells shared with children: a file of `u64`s mapped by each process.
fn progress_cells(path: &str, n: usize) -> &'static [AtomicU64] {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .unwrap();
    file.set_len((n * 8) as u64).unwrap();
    use std::os::fd::AsRawFd;
    // SAFETY: maps the file shared; the mapping is leaked (lives until the process ends), and its
    // cells are only accessed atomically.
    unsafe {
        let base = libc::mmap(
            std::ptr::null_mut(),
            n * 8,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        );
        assert_ne!(base, libc::MAP_FAILED);
        std::slice::from_raw_parts(base.cast::<AtomicU64>(), n)
    }
}

/// Iterations of a kill-loop child; it records a new series every 8th.
const KILL_ITERATIONS: u64 = 40_000;

/// Not a test of its own: the body of the processes that the multi-process tests start. In a
/// plain test run it returns at once.
#[test]
fn child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let args: Vec<&str> = spec.split('\u{1f}').collect();
    let r = SharedRegistry::open(args[1], &existing()).unwrap();
    match args[0] {
        "increment" => {
            let (threads, n): (usize, u64) = (args[2].parse().unwrap(), args[3].parse().unwrap());
            let c = r.counter("mp", "", &[]).unwrap();
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    let c = c.clone();
                    std::thread::spawn(move || {
                        for _ in 0..n {
                            c.inc();
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            println!("RESULT done");
        }
        "read" => {
            println!(
                "RESULT {}",
                sample(&r.export_prometheus(), "mp_total").unwrap()
            );
        }
        "killed" => {
            // Reports its progress in its cell: 2i + 1 while iteration i is in flight (it may or
            // may not have landed when the process is killed), 2i + 2 once it has.
            let cells = progress_cells(args[2], 64);
            let (me, round): (usize, &str) = (args[3].parse().unwrap(), args[4]);
            let total = r.counter("killed", "", &[]).unwrap();
            for i in 0..KILL_ITERATIONS {
                cells[me].store(2 * i + 1, Ordering::SeqCst);
                total.inc();
                if i % 8 == 0 {
                    // Mostly new series at first: kills land in registrations too.
                    let n = ((me as u64 * 150 + i / 8) % 600).to_string();
                    r.counter("series", "", &[("round", round), ("n", &n)])
                        .unwrap()
                        .inc();
                }
                cells[me].store(2 * i + 2, Ordering::SeqCst);
            }
            println!("RESULT done");
        }
        other => panic!("unknown child role {other}"),
    }
    std::process::exit(0);
}

#[test]
fn eight_processes_of_four_threads_count_exactly_and_a_ninth_reads_the_total() {
    let t = Temp::new("mp");
    SharedRegistry::open(t.path(), &small()).unwrap();
    let n: u64 = 100_000;
    let writers: Vec<_> = (0..8)
        .map(|_| {
            spawn(&[
                "increment".into(),
                t.path().into(),
                "4".into(),
                n.to_string(),
            ])
        })
        .collect();
    for w in writers {
        assert_eq!(result_of(w), "done");
    }
    let total = result_of(spawn(&["read".into(), t.path().into()]));
    assert_eq!(total.parse::<f64>().unwrap(), (8 * 4 * n) as f64);
}

/// Sums the `series` samples of one round.
fn round_total(text: &str, round: usize) -> f64 {
    let prefix = "series_total{n=";
    let round = format!("round=\"{round}\"}}");
    text.lines()
        .filter(|l| l.starts_with(prefix) && l.contains(&round))
        .map(|l| l.rsplit_once(' ').unwrap().1.parse::<f64>().unwrap())
        .sum()
}

#[test]
fn processes_killed_at_random_moments_leave_exact_counts_and_a_valid_segment() {
    let t = Temp::new("kill");
    let progress = Temp::new("kill-progress");
    let opts = SharedOptions {
        max_series: 8192,
        data_bytes: 16 << 20,
        ..small()
    };
    SharedRegistry::open(t.path(), &opts).unwrap();
    let cells = progress_cells(progress.path(), 64);
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |bound: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % bound
    };
    let (mut done, mut in_flight_total, mut killed, mut abandoned) = (0u64, 0u64, 0, 0);
    let mut last_total = 0.0;
    for round in 0..6 {
        let children: Vec<_> = (0..4)
            .map(|k| {
                let me = round * 4 + k;
                cells[me].store(0, Ordering::SeqCst);
                spawn(&[
                    "killed".into(),
                    t.path().into(),
                    progress.path().into(),
                    me.to_string(),
                    round.to_string(),
                ])
            })
            .collect();
        // Kill three of the four at random moments once they have started (the fourth
        // finishes).
        let mut children: Vec<_> = children.into_iter().map(Some).collect();
        for k in 0..3 {
            let started = std::time::Instant::now();
            while cells[round * 4 + k].load(Ordering::SeqCst) == 0
                && started.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(Duration::from_micros(next(20_000)));
            let mut c = children[k].take().unwrap();
            c.kill().unwrap(); // SIGKILL
            c.wait().unwrap();
            killed += 1;
        }
        assert_eq!(result_of(children[3].take().unwrap()), "done");
        // What the children completed, and what was in flight when they died.
        let (mut round_done, mut round_series, mut round_flight) = (0u64, 0u64, 0u64);
        let mut series_flight = 0u64;
        for k in 0..4 {
            let phase = cells[round * 4 + k].load(Ordering::SeqCst);
            let completed = phase / 2;
            round_done += completed;
            round_series += completed.div_ceil(8);
            if phase % 2 == 1 {
                round_flight += 1;
                series_flight += u64::from(completed % 8 == 0);
            }
        }
        done += round_done;
        in_flight_total += round_flight;
        // A new process opens the segment: it is valid, whatever the kills interrupted.
        let r = SharedRegistry::open(t.path(), &existing()).expect("valid after kills");
        let text = r.export_prometheus();
        assert_unique_samples(&text);
        let total = sample(&text, "killed_total").unwrap_or(0.0);
        assert!(total >= last_total, "a counter went backwards");
        last_total = total;
        // Exact: every completed increment counts, and each one in flight at a kill counts
        // once or not at all.
        let (lo, hi) = (done as f64, (done + in_flight_total) as f64);
        assert!(
            (lo..=hi).contains(&total),
            "killed_total {total} not in [{lo}, {hi}]"
        );
        let series = round_total(&text, round);
        let (lo, hi) = (round_series as f64, (round_series + series_flight) as f64);
        assert!(
            (lo..=hi).contains(&series),
            "round {round}: series {series} not in [{lo}, {hi}]"
        );
        abandoned = r.inner.local().pending.len();
    }
    assert_eq!(killed, 18);
    eprintln!(
        "{killed} processes killed: {done} increments completed, {in_flight_total} in flight, \
         {abandoned} series entries abandoned half-written"
    );
}

#[test]
fn a_forked_child_records_into_the_same_counters_from_its_parents_handles() {
    let t = Temp::new("fork");
    let r = SharedRegistry::open(t.path(), &small()).unwrap();
    let c = r.counter("forked", "", &[]).unwrap();
    let h = r.timer("forked_time", "", &[]).unwrap();
    let pid = fork(move || {
        for i in 0..500 {
            c.inc();
            h.record_nanos(i, i % 5 != 0);
        }
        0
    });
    assert_eq!(reap(pid), 0);
    let text = r.export_prometheus();
    assert_eq!(sample(&text, "forked_total"), Some(500.0));
    assert_eq!(sample(&text, "forked_time_count"), Some(500.0));
    assert_eq!(sample(&text, "forked_time_errors_total"), Some(100.0));
}

#[test]
fn a_sum_gauge_without_values_exports_zero_not_minus_zero() {
    let t = Temp::new("minus-zero");
    let r = SharedRegistry::open(t.path(), &small()).unwrap();
    for mode in [GaugeMode::Sum, GaugeMode::LiveSum] {
        let name = format!("busy_{}", mode.name());
        r.gauge(&name, "", &[("k", "v")], mode).unwrap();
    }
    // A series whose only process slot is gone: register it from a child that exits.
    let text = r.export_prometheus();
    assert!(!text.contains("-0"), "{text}");
    let pid = fork(|| {
        let r = SharedRegistry::open(t.path(), &existing()).unwrap();
        r.gauge("busy_livesum", "", &[("k", "w")], GaugeMode::LiveSum)
            .unwrap()
            .set(2.0);
        0
    });
    assert_eq!(reap(pid), 0);
    let text = r.export_prometheus();
    assert!(text.contains("busy_livesum{k=\"w\"} 0\n"), "{text}");
    assert!(!text.contains("-0"), "{text}");
}
