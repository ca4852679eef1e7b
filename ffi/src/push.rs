use std::ffi::c_char;
#[cfg(feature = "push")]
use std::time::Duration;

#[cfg(feature = "push")]
use atomicperf::{Error, PushMethod, Pushgateway, Registry, SharedRegistry};

#[cfg(feature = "push")]
use crate::handle::borrow;
#[cfg(feature = "push")]
use crate::registry::ApRegistry;
use crate::registry::{labels, utf8, write_text};
#[cfg(feature = "push")]
use crate::shared_registry::ApSharedRegistry;
#[cfg(feature = "push")]
use crate::status::Fail;
use crate::status::{ap_status, guard, Out};

/// The path of a Prometheus Pushgateway group, "/metrics/job/<job>{/<label>/<value>}", written
/// into `buf` followed by a NUL, its length without the NUL to *len (the buffer protocol of
/// ap_registry_export). The `n_labels` grouping labels label_names[i] = label_values[i] follow
/// the job in their order. A value (the job's too) with a "/", an empty one, "." or ".." goes as
/// "<label>@base64/<base64url without padding>" ("=" for empty), any other value
/// percent-encoded (all but A-Z a-z 0-9 - . _ ~), as the Pushgateway decodes them. The same rule
/// in every language (Rust atomicperf::pushgateway_path).
///
/// ap_registry_push, ap_shared_registry_push and ap_pushgateway_delete send the requests over
/// plain HTTP; for HTTPS, or with your own HTTP client, send PUT (push: replaces the group),
/// POST (push-add: replaces only the families the body names) or DELETE (deletes the group) to
/// the gateway's address followed by this path (or the whole URL of ap_pushgateway_url). The body
/// of PUT and POST is the AP_FORMAT_PROMETHEUS export (ap_registry_export or
/// ap_shared_registry_export) with the header "Content-Type: text/plain; version=0.0.4;
/// charset=utf-8"; any 2xx status is a success, another one comes with the gateway's reason in
/// its body.
///
/// Errors: AP_ERR_INVALID_ARGUMENT for an empty job, a grouping label name outside
/// [a-zA-Z_][a-zA-Z0-9_]*, starting with "__", named "job" or given twice, or strings that are
/// not UTF-8 (ap_last_error() says which); AP_ERR_BUFFER_TOO_SMALL when capacity < *len + 1
/// (*len is set: retry with *len + 1 bytes); AP_ERR_NULL_POINTER for NULL strings, arrays (with
/// n_labels > 0), buf (with capacity > 0) or len.
///
/// # Safety
/// `job` is NULL or NUL-terminated; the label arrays hold n_labels pointers, each NULL or
/// NUL-terminated; `buf` holds capacity bytes; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_pushgateway_path(
    job: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    buf: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> ap_status {
    guard("ap_pushgateway_path", || {
        let len = Out::new(len)?;
        // SAFETY: `job` is NULL or NUL-terminated, alive for the call (# Safety above).
        let job = unsafe { utf8(job, "job") }?;
        // SAFETY: the label arrays are as `labels` requires, by the # Safety above.
        let grouping = unsafe { labels(label_names, label_values, n_labels) }?;
        let path = atomicperf::pushgateway_path(job, &grouping)?;
        // SAFETY: `buf` is NULL or holds `capacity` writable bytes (# Safety above), which is
        // what `write_text` requires.
        unsafe { write_text(path.as_bytes(), buf, capacity, len) }
    })
}

/// As ap_pushgateway_path, for the whole URL: `gateway` ("http://host:port" or "https://...",
/// optionally with a path prefix; without a scheme, http:// is assumed) without its trailing
/// "/", followed by the path. Errors: as ap_pushgateway_path, and AP_ERR_INVALID_ARGUMENT for an
/// empty gateway, a scheme other than http and https, no host, a query or a fragment.
/// (Rust atomicperf::pushgateway_url.)
///
/// # Safety
/// As ap_pushgateway_path; `gateway` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ap_pushgateway_url(
    gateway: *const c_char,
    job: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    buf: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> ap_status {
    guard("ap_pushgateway_url", || {
        let len = Out::new(len)?;
        // SAFETY: `gateway` and `job` are NULL or NUL-terminated, alive for the call (# Safety
        // above).
        let (gateway, job) = unsafe { (utf8(gateway, "gateway")?, utf8(job, "job")?) };
        // SAFETY: the label arrays are as `labels` requires, by the # Safety above.
        let grouping = unsafe { labels(label_names, label_values, n_labels) }?;
        let url = atomicperf::pushgateway_url(gateway, job, &grouping)?;
        // SAFETY: `buf` is NULL or holds `capacity` writable bytes (# Safety above), which is
        // what `write_text` requires.
        unsafe { write_text(url.as_bytes(), buf, capacity, len) }
    })
}

#[cfg(feature = "push")]
/// ap_registry_push method: PUT, the body replaces every metric of the group (push).
pub const AP_PUSH: u32 = 0;
#[cfg(feature = "push")]
/// ap_registry_push method: POST, the body replaces only the group's metric families that it
/// names (push-add).
pub const AP_PUSH_ADD: u32 = 1;

#[cfg(feature = "push")]
/// A push's gateway (with its time-out), job and grouping labels, checked before any export is
/// made or request sent.
type Group<'a> = (Pushgateway, &'a str, Vec<(&'a str, &'a str)>);

#[cfg(feature = "push")]
/// The gateway, job and grouping labels of a C call, checked.
///
/// # Safety
/// As ap_registry_push's strings and label arrays.
unsafe fn group<'a>(
    gateway: *const c_char,
    job: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    timeout_ms: u32,
) -> Result<Group<'a>, Fail> {
    // SAFETY: `gateway` and `job` are NULL or NUL-terminated, alive for the call (# Safety).
    let (gateway, job) = unsafe { (utf8(gateway, "gateway")?, utf8(job, "job")?) };
    // SAFETY: the label arrays are as `labels` requires (# Safety).
    let grouping = unsafe { labels(label_names, label_values, n_labels) }?;
    let mut pushgateway = Pushgateway::new(gateway)?;
    if timeout_ms > 0 {
        pushgateway = pushgateway.with_timeout(Duration::from_millis(timeout_ms.into()))?;
    }
    atomicperf::pushgateway_path(job, &grouping)?;
    Ok((pushgateway, job, grouping))
}

#[cfg(feature = "push")]
/// The push method a C caller named.
fn push_method(method: u32) -> Result<PushMethod, Error> {
    match method {
        AP_PUSH => Ok(PushMethod::Push),
        AP_PUSH_ADD => Ok(PushMethod::PushAdd),
        other => Err(Error::InvalidArgument(format!(
            "unknown push method {other} (AP_PUSH or AP_PUSH_ADD; ap_pushgateway_delete deletes)"
        ))),
    }
}

#[cfg(feature = "push")]
/// The body of ap_registry_push and ap_shared_registry_push: the registry of handle `r` (an
/// `R`), exported after the group is checked, sent with `method`.
///
/// # Safety
/// `r` is NULL or a live handle of an `R`; the strings and label arrays are as `group` requires.
#[allow(clippy::too_many_arguments)]
unsafe fn push_export<R, RH>(
    what: &str,
    r: *const RH,
    method: u32,
    gateway: *const c_char,
    job: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    timeout_ms: u32,
    export: impl FnOnce(&R) -> String,
) -> ap_status {
    guard(what, || {
        // SAFETY: `r` is NULL or a live handle of an `R` for the whole call (# Safety above).
        let registry = unsafe { borrow::<R, RH>(r) }?;
        let method = push_method(method)?;
        // SAFETY: the strings and label arrays are as `group` requires (# Safety above).
        let (gw, job, grouping) = unsafe {
            group(
                gateway,
                job,
                label_names,
                label_values,
                n_labels,
                timeout_ms,
            )
        }?;
        Ok(gw.send(method, job, &grouping, &export(registry))?)
    })
}

#[cfg(feature = "push")]
/// Pushes the registry's AP_FORMAT_PROMETHEUS export to the Pushgateway at `gateway`
/// ("http://host:port", optionally with a path prefix; without a scheme, http:// is assumed) as
/// the group `job` with the n_labels grouping labels label_names[i] = label_values[i] (encoded
/// as ap_pushgateway_path says): `method` AP_PUSH sends PUT (the export replaces every metric of
/// the group), AP_PUSH_ADD sends POST (it replaces only the families it names). The request,
/// connecting included, is bounded by `timeout_ms` milliseconds (0: 30 s). Blocks the calling
/// thread until the gateway answers or the time runs out. Plain HTTP only: an "https://" gateway
/// is refused (send ap_pushgateway_url's request with an HTTPS client instead). HTTP_PROXY,
/// ALL_PROXY and NO_PROXY are honoured, as by curl.
///
/// Errors: AP_ERR_IO when the gateway cannot be reached, does not answer in time or answers
/// with a status other than 2xx (ap_last_error() gives the status and the gateway's reason);
/// AP_ERR_INVALID_ARGUMENT, before any request, for what ap_pushgateway_url refuses, an https
/// gateway or another method; AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER for NULL strings or
/// arrays (with n_labels > 0).
///
/// # Safety
/// `r` is NULL or a live handle; `gateway` and `job` are NULL or NUL-terminated; the label
/// arrays hold n_labels pointers, each NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_push(
    r: *const ApRegistry,
    method: u32,
    gateway: *const c_char,
    job: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    timeout_ms: u32,
) -> ap_status {
    // SAFETY: the caller guarantees the # Safety above, which is `push_export`'s for a Registry.
    unsafe {
        push_export(
            "ap_registry_push",
            r,
            method,
            gateway,
            job,
            label_names,
            label_values,
            n_labels,
            timeout_ms,
            Registry::export_prometheus,
        )
    }
}

#[cfg(feature = "push")]
/// As ap_registry_push, for a shared registry (every process's values, combined).
///
/// # Safety
/// As ap_registry_push, with `r` NULL or a live shared registry handle.
#[no_mangle]
pub unsafe extern "C" fn ap_shared_registry_push(
    r: *const ApSharedRegistry,
    method: u32,
    gateway: *const c_char,
    job: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    timeout_ms: u32,
) -> ap_status {
    // SAFETY: the caller guarantees the # Safety above, which is `push_export`'s for a
    // SharedRegistry.
    unsafe {
        push_export(
            "ap_shared_registry_push",
            r,
            method,
            gateway,
            job,
            label_names,
            label_values,
            n_labels,
            timeout_ms,
            SharedRegistry::export_prometheus,
        )
    }
}

#[cfg(feature = "push")]
/// Deletes the group `job` + grouping labels, and all its metrics, from the Pushgateway at
/// `gateway` (DELETE), bounded by `timeout_ms` (0: 30 s). Errors: as ap_registry_push, without
/// its handle.
///
/// # Safety
/// As ap_registry_push's strings and label arrays.
#[no_mangle]
pub unsafe extern "C" fn ap_pushgateway_delete(
    gateway: *const c_char,
    job: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    timeout_ms: u32,
) -> ap_status {
    guard("ap_pushgateway_delete", || {
        // SAFETY: the strings and label arrays are as `group` requires (# Safety above).
        let (gw, job, grouping) = unsafe {
            group(
                gateway,
                job,
                label_names,
                label_values,
                n_labels,
                timeout_ms,
            )
        }?;
        Ok(gw.delete(job, &grouping)?)
    })
}

#[cfg(test)]
mod tests {
    use std::ffi::{CStr, CString};
    use std::ptr;

    use super::*;
    use crate::status::{
        ap_last_error, AP_ERR_BUFFER_TOO_SMALL, AP_ERR_INVALID_ARGUMENT, AP_ERR_NULL_POINTER, AP_OK,
    };

    fn last_error() -> String {
        // SAFETY: ap_last_error returns a NUL-terminated string, valid until the next failing
        // call on this thread.
        unsafe { CStr::from_ptr(ap_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    /// ap_pushgateway_url with Rust strings: its status and the text written.
    fn url(
        gateway: &str,
        job: &str,
        grouping: &[(&str, &str)],
        capacity: usize,
    ) -> (i32, String, usize) {
        let gateway = CString::new(gateway).unwrap();
        let job = CString::new(job).unwrap();
        let names: Vec<CString> = grouping
            .iter()
            .map(|(k, _)| CString::new(*k).unwrap())
            .collect();
        let values: Vec<CString> = grouping
            .iter()
            .map(|(_, v)| CString::new(*v).unwrap())
            .collect();
        let names: Vec<*const c_char> = names.iter().map(|s| s.as_ptr()).collect();
        let values: Vec<*const c_char> = values.iter().map(|s| s.as_ptr()).collect();
        let mut buf = vec![0 as c_char; capacity];
        let mut len = 0usize;
        // SAFETY: every string is a live CString, the arrays hold grouping.len() pointers, `buf`
        // holds `capacity` bytes and `len` is a local.
        let status = unsafe {
            ap_pushgateway_url(
                gateway.as_ptr(),
                job.as_ptr(),
                names.as_ptr(),
                values.as_ptr(),
                grouping.len(),
                buf.as_mut_ptr(),
                capacity,
                &mut len,
            )
        };
        let text = if status == AP_OK {
            // SAFETY: on success `buf` holds `len` bytes and a NUL.
            unsafe { CStr::from_ptr(buf.as_ptr()) }
                .to_str()
                .unwrap()
                .to_owned()
        } else {
            String::new()
        };
        (status, text, len)
    }

    #[test]
    fn writes_the_cores_url_and_reports_the_length_it_needs() {
        let want = "http://127.0.0.1:9091/metrics/job/backup/path@base64/L3Zhci90bXA";
        let (status, text, len) = url("127.0.0.1:9091/", "backup", &[("path", "/var/tmp")], 128);
        assert_eq!((status, text.as_str(), len), (AP_OK, want, want.len()));
        let (status, _, len) = url(
            "127.0.0.1:9091",
            "backup",
            &[("path", "/var/tmp")],
            want.len(),
        );
        assert_eq!((status, len), (AP_ERR_BUFFER_TOO_SMALL, want.len()));
    }

    #[test]
    fn invalid_arguments_are_reported_with_the_cores_reason() {
        let (status, _, _) = url("http://h", "", &[], 64);
        assert_eq!(status, AP_ERR_INVALID_ARGUMENT);
        assert!(
            last_error().starts_with("ap_pushgateway_url: invalid argument: the Pushgateway job")
        );
        let (status, _, _) = url("http://h", "j", &[("a/b", "x")], 64);
        assert_eq!(status, AP_ERR_INVALID_ARGUMENT);
        assert!(
            last_error().contains("invalid grouping label name \"a/b\""),
            "{}",
            last_error()
        );
        let (status, _, _) = url("gopher://h", "j", &[], 64);
        assert_eq!(status, AP_ERR_INVALID_ARGUMENT);
        assert!(last_error().contains("scheme"), "{}", last_error());
    }

    #[test]
    fn null_arguments_are_refused() {
        let job = c"j";
        let mut buf = [0 as c_char; 64];
        let mut len = 0usize;
        // SAFETY: NULL where the contract allows it (refused with a status), live values
        // elsewhere.
        unsafe {
            assert_eq!(
                ap_pushgateway_path(
                    ptr::null(),
                    ptr::null(),
                    ptr::null(),
                    0,
                    buf.as_mut_ptr(),
                    64,
                    &mut len
                ),
                AP_ERR_NULL_POINTER
            );
            assert_eq!(
                ap_pushgateway_path(
                    job.as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    1,
                    buf.as_mut_ptr(),
                    64,
                    &mut len
                ),
                AP_ERR_NULL_POINTER
            );
            assert_eq!(
                ap_pushgateway_path(
                    job.as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    0,
                    buf.as_mut_ptr(),
                    64,
                    ptr::null_mut()
                ),
                AP_ERR_NULL_POINTER
            );
            assert_eq!(
                ap_pushgateway_path(
                    job.as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    0,
                    ptr::null_mut(),
                    64,
                    &mut len
                ),
                AP_ERR_NULL_POINTER
            );
            assert_eq!(
                ap_pushgateway_url(
                    ptr::null(),
                    job.as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    0,
                    buf.as_mut_ptr(),
                    64,
                    &mut len
                ),
                AP_ERR_NULL_POINTER
            );
            assert_eq!(
                ap_pushgateway_path(
                    job.as_ptr(),
                    ptr::null(),
                    ptr::null(),
                    0,
                    buf.as_mut_ptr(),
                    64,
                    &mut len
                ),
                AP_OK
            );
        }
        assert_eq!(len, "/metrics/job/j".len());
    }
}
