//! Fuzzes what a process does with a shared-registry segment file that another process wrote: the
//! open and parse of the file by `ap_shared_registry_open` (with AP_SHARED_OPEN_EXISTING), then,
//! if the file was accepted, look-ups, updates and exports on it through the C ABI.
//!
//! An input is either arbitrary bytes written as the whole file, or a real segment (a template
//! with one series of each kind, made once per process by the library itself) with bytes flipped
//! and overwritten, optionally truncated, and optionally with its header checksum recomputed so
//! that the mutation reaches the checks behind it.
//!
//! Invariants checked (a failed one panics, which the fuzzer reports):
//! - no call returns AP_ERR_INTERNAL (a panic caught at the boundary) or an unknown status, and
//!   a refused file is refused with AP_ERR_INVALID_ARGUMENT and a message naming the file;
//! - a file of random bytes without the segment magic is refused;
//! - an accepted segment's exports parse (Prometheus text and OpenMetrics line by line, every
//!   series once; JSON with serde_json), before and after the updates;
//! - an update through a handle from it changes that handle's value by exactly that update
//!   (counter totals, histogram and timer counts): other series' corrupted cells never leak
//!   into it.
//!
//! Shared by the cargo-fuzz target (fuzz/fuzz_targets/shared_segment.rs) and a bounded proptest
//! run under `cargo test` (fuzz/tests/segment_model.rs).

use std::ffi::{c_char, CString};
use std::path::PathBuf;
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};

use crate::ffi::*;
use crate::harness::check_exposition;

/// The first bytes of every segment file (the layout's magic).
const MAGIC: &[u8; 8] = b"APSHMREG";
/// The header bytes the checksum covers, and where the checksum sits (after them).
const SEALED: usize = 88;

const NAMES: [&str; 6] = ["c", "g", "m", "h", "t", "new"];
const LABEL_VALUES: [&str; 3] = ["v", "w", ""];

/// One fuzz input.
#[derive(Arbitrary, Debug)]
pub enum Input {
    /// The whole file, as given (with the segment magic first when `magic`).
    Raw { bytes: Vec<u8>, magic: bool },
    /// The template segment, edited.
    Edited {
        /// (offset into the template's used bytes, XOR mask): bytes flipped.
        flips: Vec<(u32, u8)>,
        /// (offset into the template's used bytes, bytes): bytes overwritten.
        writes: Vec<(u32, Vec<u8>)>,
        /// Truncates the file to this fraction (of 65,536) of its length.
        cut: Option<u16>,
        /// Recomputes the header checksum after the edits.
        reseal: bool,
        /// What to do with the registry if the file is accepted.
        then: Vec<After>,
    },
}

/// A call on an accepted segment.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum After {
    Counter { name: u8, value: u8, add: u16 },
    Gauge { name: u8, mode: u8, set: i16 },
    Histogram { name: u8, value: u32 },
    Timer { name: u8, nanos: u32 },
    Export { format: u8 },
    Stats,
}

/// A directory of this process's own for the files it writes (removed at exit by nobody: it
/// lives under the temporary directory and holds one file).
fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("atomicperf-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temporary directory");
        d
    })
}

fn path_of(name: &str) -> CString {
    CString::new(dir().join(name).to_str().expect("UTF-8 temporary path")).unwrap()
}

fn status(st: ap_status, what: &str) -> ap_status {
    assert!(
        st != AP_ERR_INTERNAL,
        "{what}: AP_ERR_INTERNAL (a panic inside the library): {}",
        last_error()
    );
    assert!((0..=16).contains(&st), "{what}: unknown status {st}");
    st
}

fn last_error() -> String {
    // SAFETY: never NULL, NUL-terminated, valid until the next failing call on this thread.
    unsafe { std::ffi::CStr::from_ptr(ap_last_error()) }
        .to_string_lossy()
        .into_owned()
}

/// Options of the template: small, so that files are quick to write.
fn small_options() -> ap_shared_options {
    ap_shared_options {
        dir: null(),
        mode: 0,
        max_series: 16,
        max_processes: 4,
        counter_stripes: 2,
        data_bytes: 64 << 10,
        flags: 0,
    }
}

fn existing_options() -> ap_shared_options {
    ap_shared_options {
        flags: AP_SHARED_OPEN_EXISTING,
        ..small_options()
    }
}

/// The template segment's bytes, and how many of them are used (up to its last non-zero byte).
fn template() -> &'static (Vec<u8>, usize) {
    static TEMPLATE: OnceLock<(Vec<u8>, usize)> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let path = path_of("template");
        let _ = std::fs::remove_file(path.to_str().unwrap());
        let mut r = null_mut();
        // SAFETY: a NUL-terminated path, readable options and a writable out-pointer.
        let st = unsafe { ap_shared_registry_open(path.as_ptr(), &small_options(), &mut r) };
        assert_eq!(st, AP_OK, "template: {}", last_error());
        let s = Session { r };
        s.run(After::Counter {
            name: 0,
            value: 0,
            add: 5,
        });
        s.run(After::Gauge {
            name: 1,
            mode: AP_GAUGE_MODE_LIVESUM as u8,
            set: 2,
        });
        s.run(After::Gauge {
            name: 2,
            mode: AP_GAUGE_MODE_MOSTRECENT as u8,
            set: 3,
        });
        s.run(After::Histogram { name: 3, value: 1 });
        s.run(After::Timer { name: 4, nanos: 5 });
        drop(s);
        let bytes = std::fs::read(path.to_str().unwrap()).expect("template file");
        let used = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        (bytes, used)
    })
}

/// The FNV-1a hash the segment header's checksum is (over its first SEALED bytes).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A shared registry handle, freed on drop.
struct Session {
    r: *mut ApSharedRegistry,
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: a live handle this session owns.
        unsafe { ap_shared_registry_free(self.r) };
    }
}

impl Session {
    fn run(&self, op: After) {
        let name = CString::new(NAMES[op_name(&op) as usize % NAMES.len()]).unwrap();
        let label = CString::new("l").unwrap();
        let value =
            CString::new(LABEL_VALUES[op_value(&op) as usize % LABEL_VALUES.len()]).unwrap();
        let (names, values): ([*const c_char; 1], [*const c_char; 1]) =
            ([label.as_ptr()], [value.as_ptr()]);
        let help = c"Help.".as_ptr();
        // SAFETY: every call below gets `self.r`, which is live; NUL-terminated strings; label
        // arrays of one pointer each; writable locals as out-pointers; and each metric handle is
        // freed once, after its last use.
        unsafe {
            match op {
                After::Counter { add, .. } => {
                    let mut c = null_mut();
                    let st = ap_shared_registry_counter(
                        self.r,
                        name.as_ptr(),
                        help,
                        names.as_ptr(),
                        values.as_ptr(),
                        1,
                        &mut c,
                    );
                    if status(st, "ap_shared_registry_counter") != AP_OK {
                        return;
                    }
                    let (mut before, mut after) = (0, 0);
                    assert_eq!(
                        status(ap_counter_get(c, &mut before), "ap_counter_get"),
                        AP_OK
                    );
                    status(ap_counter_add(c, u64::from(add)), "ap_counter_add");
                    assert_eq!(
                        status(ap_counter_get(c, &mut after), "ap_counter_get"),
                        AP_OK
                    );
                    assert_eq!(
                        after,
                        before.wrapping_add(u64::from(add)),
                        "a counter's add"
                    );
                    ap_counter_free(c);
                }
                After::Gauge { mode, set, .. } => {
                    let mut g = null_mut();
                    let st = ap_shared_registry_gauge(
                        self.r,
                        name.as_ptr(),
                        help,
                        names.as_ptr(),
                        values.as_ptr(),
                        1,
                        u32::from(mode % 11),
                        &mut g,
                    );
                    if status(st, "ap_shared_registry_gauge") != AP_OK {
                        return;
                    }
                    status(ap_gauge_set(g, f64::from(set)), "ap_gauge_set");
                    let mut v = 0.0;
                    assert_eq!(status(ap_gauge_get(g, &mut v), "ap_gauge_get"), AP_OK);
                    assert_eq!(v, f64::from(set), "a gauge reads back this process's value");
                    ap_gauge_free(g);
                }
                After::Histogram { value, .. } => {
                    let mut h = null_mut();
                    let buckets = [1.0, 2.0];
                    let st = ap_shared_registry_histogram(
                        self.r,
                        name.as_ptr(),
                        help,
                        names.as_ptr(),
                        values.as_ptr(),
                        1,
                        buckets.as_ptr(),
                        2,
                        1.0,
                        &mut h,
                    );
                    if status(st, "ap_shared_registry_histogram") != AP_OK {
                        return;
                    }
                    let (mut before, mut after) = (0, 0);
                    assert_eq!(
                        status(ap_histogram_count(h, &mut before), "ap_histogram_count"),
                        AP_OK
                    );
                    let st = status(
                        ap_histogram_record(h, u64::from(value)),
                        "ap_histogram_record",
                    );
                    assert_eq!(
                        status(ap_histogram_count(h, &mut after), "ap_histogram_count"),
                        AP_OK
                    );
                    if st == AP_OK {
                        assert_eq!(after, before + 1, "a histogram's record");
                    }
                    ap_histogram_free(h);
                }
                After::Timer { nanos, .. } => {
                    let mut t = null_mut();
                    let st = ap_shared_registry_timer(
                        self.r,
                        name.as_ptr(),
                        help,
                        names.as_ptr(),
                        values.as_ptr(),
                        1,
                        &mut t,
                    );
                    if status(st, "ap_shared_registry_timer") != AP_OK {
                        return;
                    }
                    status(
                        ap_timer_record(t, u64::from(nanos), true),
                        "ap_timer_record",
                    );
                    ap_timer_free(t);
                }
                After::Export { format } => self.export(u32::from(format % 4)),
                After::Stats => {
                    let (mut series, mut max, mut refused) = (0, 0, 0);
                    let st = ap_shared_registry_series_stats(
                        self.r,
                        &mut series,
                        &mut max,
                        &mut refused,
                    );
                    assert_eq!(status(st, "ap_shared_registry_series_stats"), AP_OK);
                    assert!(series <= max, "{series} series of at most {max}");
                }
            }
        }
    }

    /// Exports in `format` and checks that the text parses (an unknown format is refused).
    fn export(&self, format: u32) {
        let mut len = 0;
        // SAFETY: a live handle; a NULL buffer of capacity 0 asks for the length only.
        let st = unsafe { ap_shared_registry_export(self.r, format, null_mut(), 0, &mut len) };
        if format > AP_FORMAT_JSON {
            assert_ne!(
                status(st, "ap_shared_registry_export"),
                AP_OK,
                "unknown format {format}"
            );
            return;
        }
        assert!(matches!(
            status(st, "ap_shared_registry_export"),
            AP_OK | AP_ERR_BUFFER_TOO_SMALL
        ));
        // Room for series another call may add in between (none here: one thread).
        let mut buf = vec![0u8; len + 1];
        // SAFETY: `buf` holds buf.len() bytes; `len` is writable.
        let st = unsafe {
            ap_shared_registry_export(self.r, format, buf.as_mut_ptr().cast(), buf.len(), &mut len)
        };
        assert_eq!(
            status(st, "ap_shared_registry_export"),
            AP_OK,
            "{}",
            last_error()
        );
        let text = std::str::from_utf8(&buf[..len]).expect("an export is UTF-8");
        match format {
            AP_FORMAT_PROMETHEUS => check_exposition(text, false),
            AP_FORMAT_OPENMETRICS => check_exposition(text, true),
            _ => {
                serde_json::from_str::<serde_json::Value>(text).expect("a JSON export parses");
            }
        }
    }
}

fn op_name(op: &After) -> u8 {
    match *op {
        After::Counter { name, .. }
        | After::Gauge { name, .. }
        | After::Histogram { name, .. }
        | After::Timer { name, .. } => name,
        _ => 0,
    }
}

fn op_value(op: &After) -> u8 {
    match *op {
        After::Counter { value, .. } => value,
        After::Gauge { set, .. } => set as u8,
        After::Histogram { value, .. } => value as u8,
        After::Timer { nanos, .. } => nanos as u8,
        _ => 0,
    }
}

/// Builds the file an input describes; returns it and the calls to make if it opens.
fn file_of(input: Input) -> (Vec<u8>, Vec<After>, bool) {
    match input {
        Input::Raw { mut bytes, magic } => {
            if magic && bytes.len() >= MAGIC.len() {
                bytes[..MAGIC.len()].copy_from_slice(MAGIC);
            }
            let has_magic = bytes.starts_with(MAGIC);
            (
                bytes,
                vec![After::Export { format: 0 }, After::Stats],
                has_magic,
            )
        }
        Input::Edited {
            flips,
            writes,
            cut,
            reseal,
            then,
        } => {
            let (template, used) = template();
            let mut bytes = template.clone();
            let used = (*used).max(1);
            for (at, mask) in flips.iter().take(64) {
                bytes[*at as usize % used] ^= mask | 1;
            }
            for (at, data) in writes.iter().take(8) {
                let at = *at as usize % used;
                let n = data.len().min(bytes.len() - at);
                bytes[at..at + n].copy_from_slice(&data[..n]);
            }
            if reseal {
                let sum = fnv1a(&bytes[..SEALED]);
                bytes[SEALED..SEALED + 8].copy_from_slice(&sum.to_ne_bytes());
            }
            if let Some(cut) = cut {
                let keep = bytes.len() * usize::from(cut) / 65_536;
                bytes.truncate(keep);
            }
            let has_magic = bytes.starts_with(MAGIC);
            (bytes, then, has_magic)
        }
    }
}

/// What became of an input's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The bytes did not decode to an input.
    Undecodable,
    /// The file was refused, cleanly.
    Refused,
    /// The file was opened, updated and exported.
    Accepted,
}

/// Runs one input.
pub fn run(data: &[u8]) -> Outcome {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return Outcome::Undecodable;
    };
    let (bytes, then, has_magic) = file_of(input);
    let path = path_of("segment");
    let file = path.to_str().unwrap();
    let _ = std::fs::remove_file(file);
    std::fs::write(file, &bytes).expect("write the segment file");
    let mut r = null_mut();
    // SAFETY: a NUL-terminated path, readable options and a writable out-pointer.
    let st = unsafe { ap_shared_registry_open(path.as_ptr(), &existing_options(), &mut r) };
    if status(st, "ap_shared_registry_open") != AP_OK {
        assert_eq!(
            st,
            AP_ERR_INVALID_ARGUMENT,
            "a refused file: {}",
            last_error()
        );
        assert!(
            last_error().contains(file),
            "the message names the file: {}",
            last_error()
        );
        return Outcome::Refused;
    }
    assert!(has_magic, "a file without the segment magic was accepted");
    let s = Session { r };
    for format in [AP_FORMAT_PROMETHEUS, AP_FORMAT_OPENMETRICS, AP_FORMAT_JSON] {
        s.export(format);
    }
    for op in then.into_iter().take(32) {
        s.run(op);
    }
    for format in [AP_FORMAT_PROMETHEUS, AP_FORMAT_OPENMETRICS, AP_FORMAT_JSON] {
        s.export(format);
    }
    Outcome::Accepted
}

/// Describes an input, for printing a failing case.
pub fn decode(data: &[u8]) -> String {
    match Input::arbitrary_take_rest(Unstructured::new(data)) {
        Ok(input) => format!("{input:?}"),
        Err(e) => format!("undecodable: {e}"),
    }
}
