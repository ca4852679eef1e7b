use std::ffi::c_char;
use std::path::PathBuf;
use std::sync::Arc;

use atomicperf::{Counter, Gauge, GaugeMode, Histogram, SharedOptions, SharedRegistry, Timer};

use crate::counter::ApCounter;
use crate::gauge::ApGauge;
use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::histogram::ApHistogram;
use crate::registry::{
    histogram_opts, lookup, unknown_format, utf8, write_text, AP_FORMAT_JSON,
    AP_FORMAT_OPENMETRICS, AP_FORMAT_PROMETHEUS, AP_FORMAT_PROTOBUF,
};
use crate::status::{ap_status, guard, Fail, Out, AP_ERR_OUT_OF_RANGE};
use crate::timer::ApTimer;

/// A registry whose metrics live in one shared-memory segment, a file that every process (in any
/// language) opens by name: the workers of a pre-fork server record into the same series, and
/// any process exports the totals. The metrics it hands out are ordinary ap_counter, ap_gauge,
/// ap_histogram and ap_timer handles (every ap_counter_*... function works on them, at in-process
/// cost), whose cells are in the segment. Counters and histograms add up across processes and
/// never go backwards, also after a process is killed; a gauge keeps one value per process,
/// combined at export by its mode (AP_GAUGE_MODE_*). Names, labels and export are those of
/// ap_registry. A shared registry handle is freed like any handle; metric handles from it keep
/// the segment mapped on their own.
pub struct ApSharedRegistry {
    _opaque: [u8; 0],
}

/// Gauge mode: one series per process, labelled pid (alive or exited).
pub const AP_GAUGE_MODE_ALL: u32 = 1;
/// Gauge mode: one series per live process, labelled pid.
pub const AP_GAUGE_MODE_LIVEALL: u32 = 2;
/// Gauge mode: the sum of every process's value (alive or exited).
pub const AP_GAUGE_MODE_SUM: u32 = 3;
/// Gauge mode: the sum of the live processes' values (a killed process drops out by itself).
pub const AP_GAUGE_MODE_LIVESUM: u32 = 4;
/// Gauge mode: the largest value of any process (alive or exited).
pub const AP_GAUGE_MODE_MAX: u32 = 5;
/// Gauge mode: the largest value of a live process.
pub const AP_GAUGE_MODE_LIVEMAX: u32 = 6;
/// Gauge mode: the smallest value of any process (alive or exited).
pub const AP_GAUGE_MODE_MIN: u32 = 7;
/// Gauge mode: the smallest value of a live process.
pub const AP_GAUGE_MODE_LIVEMIN: u32 = 8;
/// Gauge mode: one value for every process; the last set wins.
pub const AP_GAUGE_MODE_MOSTRECENT: u32 = 9;

/// ap_shared_options flag: open an existing segment only (AP_ERR_INVALID_ARGUMENT when there is
/// none) instead of creating it.
pub const AP_SHARED_OPEN_EXISTING: u32 = 1;

/// How ap_shared_registry_open finds or creates a segment. Zero fields take the defaults, and the
/// sizes apply only when the segment is created (an existing one keeps its own).
#[repr(C)]
pub struct ap_shared_options {
    /// Directory of segments opened by name (NUL-terminated UTF-8); NULL: /dev/shm.
    pub dir: *const c_char,
    /// Permission bits of a new segment file; 0: 0600 (the owner only).
    pub mode: u32,
    /// Series entries (one per name and label values); 0: 4096.
    pub max_series: u32,
    /// Process table slots (processes holding per-process gauge values at once; a dead process's
    /// slot is reused); 0: 64.
    pub max_processes: u32,
    /// Stripes of each counter (a power of two up to 1024); 0: twice the CPUs, at most 64.
    pub counter_stripes: u32,
    /// Bytes for names, labels and cells (the file is sparse); 0: 64 MiB.
    pub data_bytes: u64,
    /// 0 or AP_SHARED_OPEN_EXISTING.
    pub flags: u32,
}

/// The core's options from the C ones (NULL: the defaults).
///
/// # Safety
/// `opts` is NULL or points to a readable ap_shared_options whose `dir` is NULL or a
/// NUL-terminated string.
unsafe fn options(opts: *const ap_shared_options) -> Result<SharedOptions, Fail> {
    let mut out = SharedOptions::default();
    // SAFETY: NULL or readable, by the contract above.
    let Some(o) = (unsafe { opts.as_ref() }) else {
        return Ok(out);
    };
    if !o.dir.is_null() {
        // SAFETY: `dir` is a NUL-terminated string by the contract above.
        out.dir = Some(PathBuf::from(unsafe { utf8(o.dir, "dir") }?));
    }
    let or = |v: u32, default: u32| if v == 0 { default } else { v };
    out.mode = or(o.mode, out.mode);
    out.max_series = or(o.max_series, out.max_series);
    out.max_processes = or(o.max_processes, out.max_processes);
    out.counter_stripes = (o.counter_stripes != 0).then_some(o.counter_stripes);
    if o.data_bytes != 0 {
        out.data_bytes = o.data_bytes;
    }
    out.create = o.flags & AP_SHARED_OPEN_EXISTING == 0;
    Ok(out)
}

/// Opens the shared registry `name_or_path` and stores a handle in *out, creating the segment if
/// there is none (unless opts->flags has AP_SHARED_OPEN_EXISTING). A name (letters, digits, '.',
/// '_', '-') is the file "<dir>/atomicperf-<name>", /dev/shm by default; anything with a '/' is
/// a path. Every process that opens the same file shares its metrics; racing openers are safe
/// (the segment is built whole, then linked into place). `opts` may be NULL for the defaults.
/// Errors: AP_ERR_INVALID_ARGUMENT for an invalid name or option, a file that cannot be opened
/// for reading and writing (ap_last_error() says why: permission, missing directory...) or that
/// is not a whole segment of this layout version (another file, another version, truncated,
/// corrupted); AP_ERR_OUT_OF_RANGE where 128-bit atomics are not lock-free;
/// AP_ERR_NULL_POINTER.
///
/// # Safety
/// `name_or_path` is NULL or NUL-terminated; `opts` is NULL or readable, its `dir` NULL or
/// NUL-terminated; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_open(
    name_or_path: *const c_char,
    opts: *const ap_shared_options,
    out: *mut *mut ApSharedRegistry,
) -> ap_status {
    guard("ap_shared_registry_open", || {
        let out = Out::new(out)?;
        // SAFETY: NULL or NUL-terminated (# Safety above), as `utf8` requires.
        let name = unsafe { utf8(name_or_path, "name_or_path") }?;
        // SAFETY: NULL or readable with a NULL or NUL-terminated `dir` (# Safety above).
        let opts = unsafe { options(opts) }?;
        let registry = SharedRegistry::open(name, &opts)?;
        out.write(into_handle::<SharedRegistry, _>(Arc::new(registry)))
    })
}

/// Removes the segment file `name_or_path` (resolved as ap_shared_registry_open resolves it,
/// with opts->dir; `opts` may be NULL). Processes that have it open keep using it; the next open
/// creates a new, empty one. Errors: AP_ERR_INVALID_ARGUMENT for an invalid name or a file that
/// cannot be removed; AP_ERR_NULL_POINTER.
///
/// # Safety
/// As ap_shared_registry_open.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_remove(
    name_or_path: *const c_char,
    opts: *const ap_shared_options,
) -> ap_status {
    guard("ap_shared_registry_remove", || {
        // SAFETY: NULL or NUL-terminated (# Safety above), as `utf8` requires.
        let name = unsafe { utf8(name_or_path, "name_or_path") }?;
        // SAFETY: NULL or readable with a NULL or NUL-terminated `dir` (# Safety above).
        let opts = unsafe { options(opts) }?;
        Ok(SharedRegistry::remove(name, &opts)?)
    })
}

/// Returns another owning handle to the same shared registry (NULL for NULL). Free each handle
/// once.
///
/// # Safety
/// `r` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_clone(
    r: *const ApSharedRegistry,
) -> *mut ApSharedRegistry {
    // SAFETY: the caller guarantees `r` is NULL or a live shared registry handle (# Safety
    // above), which is what `clone_handle` requires.
    unsafe { clone_handle::<SharedRegistry, _>(r) }
}

/// Releases one owner's handle (the segment stays mapped while metric handles from it live, and
/// its file stays for other processes). NULL is a no-op.
///
/// # Safety
/// `r` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_free(r: *mut ApSharedRegistry) {
    // SAFETY: the caller guarantees `r` is NULL or a shared registry handle it owns and never
    // uses again (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<SharedRegistry, _>(r) }
}

/// Stores in *out an owning handle to the counter `name` with the `n_labels` labels
/// label_names[i] = label_values[i] (any order), registering it in the segment if no process
/// has. Every ap_counter_* function works on it; its increments add to every other process's.
/// Errors: as ap_registry_counter, and AP_ERR_INVALID_ARGUMENT when the segment is full (its
/// max_series entries or data_bytes are taken; existing series keep working).
///
/// # Safety
/// `r` is NULL or a live handle; strings are NULL or NUL-terminated; the label arrays hold
/// n_labels pointers; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_counter(
    r: *const ApSharedRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    out: *mut *mut ApCounter,
) -> ap_status {
    // SAFETY: the caller guarantees the # Safety above, which is the contract `lookup` requires.
    unsafe {
        lookup::<SharedRegistry, _, Counter, _>(
            "ap_shared_registry_counter",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.counter(n, h, l),
        )
    }
}

/// As ap_shared_registry_counter, for a gauge whose processes' values combine by `mode` (an
/// AP_GAUGE_MODE_* constant; 0 is AP_GAUGE_MODE_ALL). The handle reads and writes the calling
/// process's value (every process's, for AP_GAUGE_MODE_MOSTRECENT); a forked child using its
/// parent's handle gets a value of its own. Errors: as ap_shared_registry_counter;
/// AP_ERR_OUT_OF_RANGE for an unknown mode; AP_ERR_INVALID_ARGUMENT for a family registered
/// with another mode, a "pid" label on an ALL or LIVEALL gauge (the export adds it), or a full
/// process table (every slot held by a live process).
///
/// # Safety
/// As ap_shared_registry_counter.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ap_shared_registry_gauge(
    r: *const ApSharedRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    mode: u32,
    out: *mut *mut ApGauge,
) -> ap_status {
    let mode = match mode {
        0 => GaugeMode::All,
        code => match GaugeMode::from_code(code) {
            Some(m) => m,
            None => {
                return guard("ap_shared_registry_gauge", || {
                    Err(Fail::new(
                        AP_ERR_OUT_OF_RANGE,
                        format!("unknown gauge mode {code}: expected an AP_GAUGE_MODE_* constant"),
                    ))
                })
            }
        },
    };
    // SAFETY: the caller guarantees the # Safety above, which is the contract `lookup` requires.
    unsafe {
        lookup::<SharedRegistry, _, Gauge, _>(
            "ap_shared_registry_gauge",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.gauge(n, h, l, mode),
        )
    }
}

/// As ap_shared_registry_counter, for a histogram; `buckets`, `n_buckets` and `scale` set the
/// export of a new family as for ap_registry_histogram (ignored for an existing one).
///
/// # Safety
/// As ap_shared_registry_counter; `buckets` holds n_buckets doubles.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ap_shared_registry_histogram(
    r: *const ApSharedRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    buckets: *const f64,
    n_buckets: usize,
    scale: f64,
    out: *mut *mut ApHistogram,
) -> ap_status {
    let opts = match histogram_opts(buckets, n_buckets, scale) {
        Ok(opts) => opts,
        Err(fail) => return guard("ap_shared_registry_histogram", || Err(fail)),
    };
    // SAFETY: the caller guarantees the # Safety above, which is the contract `lookup` requires.
    unsafe {
        lookup::<SharedRegistry, _, Histogram, _>(
            "ap_shared_registry_histogram",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.histogram(n, h, l, &opts),
        )
    }
}

/// As ap_shared_registry_counter, for a timer (exported as ap_registry's timers are).
///
/// # Safety
/// As ap_shared_registry_counter.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_timer(
    r: *const ApSharedRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    out: *mut *mut ApTimer,
) -> ap_status {
    // SAFETY: the caller guarantees the # Safety above, which is the contract `lookup` requires.
    unsafe {
        lookup::<SharedRegistry, _, Timer, _>(
            "ap_shared_registry_timer",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.timer(n, h, l),
        )
    }
}

/// Writes the exposition of every process's metrics, combined, in `format` (AP_FORMAT_*) into
/// `buf`, exactly as ap_registry_export does (same formats, same buffer protocol, same errors).
///
/// # Safety
/// `r` is NULL or a live handle; `buf` holds capacity bytes; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_export(
    r: *const ApSharedRegistry,
    format: u32,
    buf: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> ap_status {
    guard("ap_shared_registry_export", || {
        // SAFETY: the caller guarantees `r` is NULL or a live shared registry handle for the
        // whole call (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<SharedRegistry, _>(r) }?;
        let len = Out::new(len)?;
        let bytes = match format {
            AP_FORMAT_PROMETHEUS => registry.export_prometheus().into_bytes(),
            AP_FORMAT_OPENMETRICS => registry.export_openmetrics().into_bytes(),
            AP_FORMAT_JSON => registry.export_json().into_bytes(),
            AP_FORMAT_PROTOBUF => registry.export_protobuf(),
            other => return Err(unknown_format(other)),
        };
        // SAFETY: `buf` holds `capacity` writable bytes or is NULL (# Safety above), which is
        // what `write_text` requires.
        unsafe { write_text(&bytes, buf, capacity, len) }
    })
}

/// Writes the number of series in the segment (registered by any process) to *series, its
/// capacity to *max_series and the number of series refused because it was full to *refused.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `r` is NULL or a live handle; the out-pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_series_stats(
    r: *const ApSharedRegistry,
    series: *mut u64,
    max_series: *mut u64,
    refused: *mut u64,
) -> ap_status {
    guard("ap_shared_registry_series_stats", || {
        let (series, max_series, refused) =
            (Out::new(series)?, Out::new(max_series)?, Out::new(refused)?);
        // SAFETY: the caller guarantees `r` is NULL or a live shared registry handle for the
        // whole call (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<SharedRegistry, _>(r) }?;
        series.write(registry.series_count() as u64)?;
        max_series.write(u64::from(registry.max_series()))?;
        refused.write(registry.refused_series())
    })
}

/// Writes the path of the registry's segment file (as opened: "<dir>/atomicperf-<name>" for a
/// name, the path itself for a path) and a NUL into `buf`, with the buffer protocol of
/// ap_registry_export: *len gets the length without the NUL, and a `capacity` below len + 1 is
/// AP_ERR_BUFFER_TOO_SMALL (pass NULL and 0 to learn the length). The path stays what it was
/// after ap_shared_registry_unlink or ap_shared_registry_remove. Errors: AP_ERR_NULL_HANDLE,
/// AP_ERR_NULL_POINTER, AP_ERR_BUFFER_TOO_SMALL.
///
/// # Safety
/// `r` is NULL or a live handle; `buf` holds capacity bytes; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_path(
    r: *const ApSharedRegistry,
    buf: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> ap_status {
    guard("ap_shared_registry_path", || {
        // SAFETY: the caller guarantees `r` is NULL or a live shared registry handle for the
        // whole call (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<SharedRegistry, _>(r) }?;
        let len = Out::new(len)?;
        // The path was built from UTF-8 (the name and options' dir are read as UTF-8), so the
        // lossy conversion changes nothing.
        let path = registry.path().to_string_lossy();
        // SAFETY: `buf` holds `capacity` writable bytes or is NULL (# Safety above), which is
        // what `write_text` requires.
        unsafe { write_text(path.as_bytes(), buf, capacity, len) }
    })
}

/// Writes the segment's number of process table slots (processes that can hold per-process
/// gauge values at once) to *max_processes, and the number of times a process found every slot
/// held by a live process to *refused (such a process keeps its gauge values private: written,
/// never exported). Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `r` is NULL or a live handle; the out-pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_process_stats(
    r: *const ApSharedRegistry,
    max_processes: *mut u64,
    refused: *mut u64,
) -> ap_status {
    guard("ap_shared_registry_process_stats", || {
        let (max_processes, refused) = (Out::new(max_processes)?, Out::new(refused)?);
        // SAFETY: the caller guarantees `r` is NULL or a live shared registry handle for the
        // whole call (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<SharedRegistry, _>(r) }?;
        max_processes.write(u64::from(registry.max_processes()))?;
        refused.write(registry.refused_processes())
    })
}

/// Removes the registry's segment file, as ap_shared_registry_remove does for its path: this
/// handle, its clones and every metric handle from it keep working on the segment, other
/// processes that have it open too, and the next ap_shared_registry_open of the name creates a
/// new, empty segment. Errors: AP_ERR_INVALID_ARGUMENT when the file cannot be removed (already
/// removed, permission; ap_last_error() says why); AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `r` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_unlink(r: *const ApSharedRegistry) -> ap_status {
    guard("ap_shared_registry_unlink", || {
        // SAFETY: the caller guarantees `r` is NULL or a live shared registry handle for the
        // whole call (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<SharedRegistry, _>(r) }?;
        Ok(registry.unlink()?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauge_mode_constants_are_the_cores_codes() {
        let c = [
            AP_GAUGE_MODE_ALL,
            AP_GAUGE_MODE_LIVEALL,
            AP_GAUGE_MODE_SUM,
            AP_GAUGE_MODE_LIVESUM,
            AP_GAUGE_MODE_MAX,
            AP_GAUGE_MODE_LIVEMAX,
            AP_GAUGE_MODE_MIN,
            AP_GAUGE_MODE_LIVEMIN,
            AP_GAUGE_MODE_MOSTRECENT,
        ];
        let core: Vec<u32> = GaugeMode::ALL_MODES.iter().map(|m| m.code()).collect();
        assert_eq!(c.to_vec(), core);
    }
}
