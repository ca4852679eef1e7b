use std::ffi::{c_char, CStr};
use std::time::Duration;

use atomicperf_bench::{self as bench, BenchConfig};

use crate::status::{
    ap_status, guard, Fail, Out, AP_ERR_BUFFER_TOO_SMALL, AP_ERR_INVALID_ARGUMENT,
    AP_ERR_NULL_POINTER,
};

/// Runs the benchmark suite on Rust threads and writes its report as NUL-terminated JSON (schema
/// atomicperf-bench/1: see the README) into `buf`; the length without the NUL goes to *len.
/// `filter` is NULL or a comma-separated list of workload names (substring match); `threads`
/// holds n_threads thread counts (NULL and 0 for 1, 2, 4); `cell_ms` is the time per cell in
/// milliseconds (0 for 1500). The call blocks for the whole run.
/// Errors: AP_ERR_OUT_OF_RANGE for thread counts outside 1..256 or a filter matching nothing;
/// AP_ERR_INVALID_ARGUMENT for a filter that is not UTF-8; AP_ERR_BUFFER_TOO_SMALL when capacity
/// < *len + 1 (the run's JSON is lost: size the buffer generously, about 500 bytes per cell);
/// AP_ERR_NULL_POINTER.
///
/// # Safety
/// `filter` is NULL or NUL-terminated; `threads` holds n_threads values; `buf` holds capacity
/// bytes; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_bench_run(
    filter: *const c_char,
    threads: *const usize,
    n_threads: usize,
    cell_ms: u64,
    buf: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> ap_status {
    guard("ap_bench_run", || {
        let len = Out::new(len)?;
        let mut config = BenchConfig::default();
        if !filter.is_null() {
            // SAFETY: checked non-null just above, and the # Safety above makes a non-null
            // `filter` a NUL-terminated string, which is what `CStr::from_ptr` requires.
            let f = unsafe { CStr::from_ptr(filter) }
                .to_str()
                .map_err(|_| Fail::new(AP_ERR_INVALID_ARGUMENT, "filter is not valid UTF-8"))?;
            config.filter = f
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        let threads = crate::status::input_slice(threads, n_threads)?;
        if !threads.is_empty() {
            config.threads = threads.to_vec();
        }
        if cell_ms != 0 {
            config.duration = Duration::from_millis(cell_ms);
        }
        let json = bench::run(&config, |_| {})?.to_json();
        len.write(json.len())?;
        if capacity < json.len() + 1 {
            return Err(Fail::new(
                AP_ERR_BUFFER_TOO_SMALL,
                format!(
                    "{} bytes needed with the NUL, buffer holds {capacity}",
                    json.len() + 1
                ),
            ));
        }
        if buf.is_null() {
            return Err(Fail::new(AP_ERR_NULL_POINTER, "buffer is NULL"));
        }
        // SAFETY: `buf` is non-null (checked above) and holds `capacity` writable bytes by the
        // # Safety above; capacity >= json.len() + 1 (checked above), so the bytes and the NUL
        // fit; a fresh `String` cannot overlap the caller's buffer.
        unsafe {
            std::ptr::copy_nonoverlapping(json.as_ptr(), buf.cast::<u8>(), json.len());
            buf.add(json.len()).write(0);
        }
        Ok(())
    })
}
