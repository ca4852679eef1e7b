//! Pushing a registry to a Prometheus Pushgateway: the request every atomicperf language sends.
//!
//! A Pushgateway keeps the metrics pushed to it in groups, each named by a *grouping key*: the
//! job name and any other labels, written in the request's path as
//! `/metrics/job/<job>{/<label>/<value>}`. Three requests act on a group:
//!
//! | [`PushMethod`] | HTTP | effect |
//! |---|---|---|
//! | [`Push`](PushMethod::Push) | `PUT` | replaces every metric of the group with the body |
//! | [`PushAdd`](PushMethod::PushAdd) | `POST` | replaces only the group's families that the body names |
//! | [`Delete`](PushMethod::Delete) | `DELETE` | deletes the group (no body) |
//!
//! The body of a push is the registry's Prometheus text export
//! ([`Registry::export_prometheus`](crate::Registry::export_prometheus)), sent with the content
//! type [`PROMETHEUS_CONTENT_TYPE`](crate::PROMETHEUS_CONTENT_TYPE). A success is any 2xx
//! status; otherwise the gateway's body says why (an inconsistent push is a 400).
//!
//! This module decides the request, once for every language: [`pushgateway_url`] checks the job
//! and the grouping labels and writes the URL, with the Pushgateway's encoding of each value. The
//! Go, Python and Node bindings send it with their standard HTTP client. From Rust and C,
//! [`Pushgateway`] sends it (feature `push`, on in the C library: `ap_registry_push`), or send it
//! with any HTTP client:
//!
//! ```
//! use atomicperf::{pushgateway_url, PushMethod, Registry, PROMETHEUS_CONTENT_TYPE};
//!
//! let registry = Registry::new();
//! registry.counter("backups_done", "Backups done.", &[]).unwrap().inc();
//! let url = pushgateway_url("http://127.0.0.1:9091", "backup", &[("path", "/var/tmp")]).unwrap();
//! assert_eq!(url, "http://127.0.0.1:9091/metrics/job/backup/path@base64/L3Zhci90bXA");
//! let (method, body) = (PushMethod::Push.http_method(), registry.export_prometheus());
//! // Send `method url` with `body` and the header Content-Type: PROMETHEUS_CONTENT_TYPE.
//! # let _ = (method, body, PROMETHEUS_CONTENT_TYPE);
//! ```
//!
//! # Encoding
//!
//! As the Pushgateway's documentation has it: a value (the job name included) that contains a
//! `/` goes base64-encoded with the URL-safe alphabet, without padding, after the label name
//! suffixed with `@base64` (`path@base64/L3Zhci90bXA` for `path="/var/tmp"`); an empty value
//! goes as `<label>@base64/=`. So do the values `.` and `..`, which an HTTP router would
//! otherwise resolve as path segments. Any other value is percent-encoded: every byte of its
//! UTF-8 except the unreserved `A-Z a-z 0-9 - . _ ~` becomes `%XX`.

use crate::Error;

/// The three requests on a Pushgateway group, with the names every atomicperf language uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushMethod {
    /// `PUT`: the body replaces every metric of the group.
    Push,
    /// `POST`: the body replaces only the group's metric families of the same names.
    PushAdd,
    /// `DELETE`: the group and all its metrics are deleted; no body.
    Delete,
}

impl PushMethod {
    /// The HTTP method of the request: `"PUT"`, `"POST"` or `"DELETE"`.
    pub fn http_method(self) -> &'static str {
        match self {
            PushMethod::Push => "PUT",
            PushMethod::PushAdd => "POST",
            PushMethod::Delete => "DELETE",
        }
    }

    /// Whether the request carries the registry's export as its body (not for `Delete`).
    pub fn has_body(self) -> bool {
        !matches!(self, PushMethod::Delete)
    }
}

/// The path of the group `job` with the `grouping` labels, in their order:
/// `/metrics/job/<job>{/<label>/<value>}`, each value encoded as the [module](self) documents.
///
/// Errors ([`Error::InvalidArgument`], nothing else is checked or sent): an empty job; a grouping
/// label name outside `[a-zA-Z_][a-zA-Z0-9_]*`, starting with `__` (reserved), named `job` (the
/// job is the job argument) or given twice. Label values may be anything, empty included.
///
/// ```
/// use atomicperf::pushgateway_path;
///
/// let path = pushgateway_path("example", &[("first_label", ""), ("second_label", "foobar")]);
/// assert_eq!(path.unwrap(), "/metrics/job/example/first_label@base64/=/second_label/foobar");
/// assert!(pushgateway_path("", &[]).is_err());
/// assert!(pushgateway_path("batch", &[("not-a-label", "x")]).is_err());
/// ```
pub fn pushgateway_path(job: &str, grouping: &[(&str, &str)]) -> Result<String, Error> {
    if job.is_empty() {
        return Err(Error::InvalidArgument(
            "the Pushgateway job name must not be empty".into(),
        ));
    }
    crate::registry::check_label_set(
        grouping.iter().map(|(n, _)| *n),
        "grouping label",
        check_grouping_name,
    )?;
    let mut path = String::from("/metrics");
    push_pair(&mut path, "job", job);
    for (name, value) in grouping {
        push_pair(&mut path, name, value);
    }
    Ok(path)
}

/// The URL of the group: `gateway` (`http://host:port`, `https://...`, optionally with a path
/// prefix; without a scheme, `http://` is assumed, as prometheus_client does) without its
/// trailing `/`, followed by [`pushgateway_path`]`(job, grouping)`.
///
/// Errors ([`Error::InvalidArgument`]): those of [`pushgateway_path`]; an empty gateway, a
/// scheme other than http and https, no host, or a query (`?`) or fragment (`#`), which the
/// path would land behind.
///
/// ```
/// use atomicperf::pushgateway_url;
///
/// let url = pushgateway_url("https://gw.example/prefix/", "titan", &[("name", "Προμηθεύς")]);
/// assert_eq!(
///     url.unwrap(),
///     "https://gw.example/prefix/metrics/job/titan/name/%CE%A0%CF%81%CE%BF%CE%BC%CE%B7%CE%B8%CE%B5%CF%8D%CF%82"
/// );
/// assert_eq!(
///     pushgateway_url("127.0.0.1:9091", "batch", &[]).unwrap(),
///     "http://127.0.0.1:9091/metrics/job/batch"
/// );
/// assert!(pushgateway_url("ftp://gw.example", "batch", &[]).is_err());
/// ```
pub fn pushgateway_url(
    gateway: &str,
    job: &str,
    grouping: &[(&str, &str)],
) -> Result<String, Error> {
    let base = gateway_base(gateway)?;
    Ok(base + &pushgateway_path(job, grouping)?)
}

/// `gateway` checked and normalised: a scheme (http:// by default), a host, no trailing `/`.
fn gateway_base(gateway: &str) -> Result<String, Error> {
    let invalid = |why: &str| {
        Err(Error::InvalidArgument(format!(
            "invalid Pushgateway URL {gateway:?}: {why}"
        )))
    };
    if gateway.is_empty() {
        return invalid("empty (expected http://host:port)");
    }
    if gateway.contains(['?', '#']) {
        return invalid("a query or fragment cannot precede the push path");
    }
    if gateway.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid("contains whitespace or control characters");
    }
    let (scheme, rest) = match gateway.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_string(), gateway),
    };
    if scheme != "http" && scheme != "https" {
        return invalid("the scheme must be http or https");
    }
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() {
        return invalid("no host");
    }
    Ok(format!("{scheme}://{}", rest.trim_end_matches('/')))
}

/// A grouping label name: the data model's `[a-zA-Z_][a-zA-Z0-9_]*`, not reserved (`__` prefix,
/// as the registry has it), not `job`.
fn check_grouping_name(name: &str) -> Result<(), Error> {
    let mut chars = name.chars();
    let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    let why = if name.is_empty() {
        "the name must not be empty"
    } else if !valid {
        "must match [a-zA-Z_][a-zA-Z0-9_]*"
    } else if name.starts_with("__") {
        "names starting with __ are reserved"
    } else if name == "job" {
        "the job is given as the job name, not as a grouping label"
    } else {
        return Ok(());
    };
    Err(Error::InvalidArgument(format!(
        "invalid grouping label name {name:?}: {why}"
    )))
}

/// Appends `/<name>/<value>`, or `/<name>@base64/<value in base64url>` for a value with a `/`,
/// an empty one, `.` or `..`.
fn push_pair(path: &mut String, name: &str, value: &str) {
    path.push('/');
    path.push_str(name);
    if value.is_empty() {
        path.push_str("@base64/=");
    } else if value.contains('/') || value == "." || value == ".." {
        path.push_str("@base64/");
        base64url(value.as_bytes(), path);
    } else {
        path.push('/');
        percent_encode(value, path);
    }
}

/// RFC 4648 base64 with the URL and filename safe alphabet, without padding.
fn base64url(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        // 2, 3 or 4 characters for 1, 2 or 3 bytes.
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
}

/// Percent-encodes every byte of `value` except the unreserved characters of RFC 3986.
fn percent_encode(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// How long a push waits for the gateway when not told otherwise, the whole request included:
/// 30 seconds, as the Go binding's `DefaultPushTimeout`.
#[cfg(feature = "push")]
pub const DEFAULT_PUSH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// At most this much of a gateway's error answer is kept for the error message.
#[cfg(feature = "push")]
const REASON_BYTES: u64 = 4096;

/// A Pushgateway to push registries to from Rust (feature `push`; the C library's
/// `ap_registry_push`). Sends the requests this [module](self) describes over plain HTTP/1.1
/// with a time-out on each whole request; an `https://` gateway is refused, since no TLS stack is
/// compiled in (send [`pushgateway_url`]'s request with a TLS-capable client instead). The
/// `HTTP_PROXY`/`NO_PROXY` environment is honoured, as by curl.
///
/// ```no_run
/// use atomicperf::{Pushgateway, Registry};
/// use std::time::Duration;
///
/// let registry = Registry::new();
/// registry.counter("backups_done", "Backups done.", &[]).unwrap().inc();
/// let gateway = Pushgateway::new("http://127.0.0.1:9091")?.with_timeout(Duration::from_secs(5))?;
/// gateway.push("backup", &[("path", "/var/tmp")], &registry.export_prometheus())?;
/// gateway.delete("backup", &[("path", "/var/tmp")])?;
/// # Ok::<(), atomicperf::Error>(())
/// ```
///
/// Errors: [`Error::InvalidArgument`] for what [`pushgateway_url`] refuses (checked before any
/// request); [`Error::Io`] for a gateway that cannot be reached, does not answer within the
/// time-out, or answers with a status other than 2xx (its message carries the status and the
/// gateway's reason, e.g. a 400 for an inconsistent push).
#[cfg(feature = "push")]
#[derive(Debug, Clone)]
pub struct Pushgateway {
    base: String,
    timeout: std::time::Duration,
    agent: ureq::Agent,
}

#[cfg(feature = "push")]
impl Pushgateway {
    /// A gateway at `url` (`http://host:port`, optionally with a path prefix; without a scheme,
    /// `http://` is assumed), with [`DEFAULT_PUSH_TIMEOUT`].
    pub fn new(url: &str) -> Result<Pushgateway, Error> {
        let base = gateway_base(url)?;
        if base.starts_with("https://") {
            return Err(Error::InvalidArgument(format!(
                "invalid Pushgateway URL {url:?}: https needs TLS, which atomicperf's push \
                 transport does not include; push over http:// (or through a TLS-terminating \
                 proxy), or send pushgateway_url's request with an HTTPS client"
            )));
        }
        Ok(Pushgateway {
            base,
            timeout: DEFAULT_PUSH_TIMEOUT,
            agent: agent(DEFAULT_PUSH_TIMEOUT),
        })
    }

    /// The same gateway with another time-out on each whole request (connecting, sending,
    /// answering). Errors: [`Error::InvalidArgument`] for a zero time-out.
    pub fn with_timeout(self, timeout: std::time::Duration) -> Result<Pushgateway, Error> {
        if timeout.is_zero() {
            return Err(Error::InvalidArgument(
                "a push time-out must be greater than zero".into(),
            ));
        }
        Ok(Pushgateway {
            agent: agent(timeout),
            timeout,
            ..self
        })
    }

    /// The gateway's address as normalised (`http://host:port[/prefix]`).
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The time-out of each request.
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
    }

    /// `PUT`: `body` (a registry's [`export_prometheus`](crate::Registry::export_prometheus))
    /// replaces every metric of the group `job` + `grouping`.
    pub fn push(&self, job: &str, grouping: &[(&str, &str)], body: &str) -> Result<(), Error> {
        self.send(PushMethod::Push, job, grouping, body)
    }

    /// `POST`: `body` replaces only the group's metric families that it names.
    pub fn push_add(&self, job: &str, grouping: &[(&str, &str)], body: &str) -> Result<(), Error> {
        self.send(PushMethod::PushAdd, job, grouping, body)
    }

    /// `DELETE`: deletes the group and all its metrics.
    pub fn delete(&self, job: &str, grouping: &[(&str, &str)]) -> Result<(), Error> {
        self.send(PushMethod::Delete, job, grouping, "")
    }

    /// Sends one request; `body` is ignored for [`PushMethod::Delete`].
    pub fn send(
        &self,
        method: PushMethod,
        job: &str,
        grouping: &[(&str, &str)],
        body: &str,
    ) -> Result<(), Error> {
        let url = self.base.clone() + &pushgateway_path(job, grouping)?;
        let sent = match method {
            PushMethod::Push => self
                .agent
                .put(&url)
                .header("Content-Type", crate::PROMETHEUS_CONTENT_TYPE)
                .send(body),
            PushMethod::PushAdd => self
                .agent
                .post(&url)
                .header("Content-Type", crate::PROMETHEUS_CONTENT_TYPE)
                .send(body),
            PushMethod::Delete => self.agent.delete(&url).call(),
        };
        // Named in every error: "PUT http://...". Formatted only for an error.
        let m = method.http_method();
        let mut response = match sent {
            Ok(response) => response,
            Err(ureq::Error::Timeout(_)) => {
                return Err(Error::Io(format!(
                    "{m} {url}: the Pushgateway did not answer within {:?}",
                    self.timeout
                )))
            }
            Err(e) => {
                return Err(Error::Io(format!(
                    "{m} {url}: could not reach the Pushgateway: {e}"
                )))
            }
        };
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let reason = response
            .body_mut()
            .with_config()
            .limit(REASON_BYTES)
            .read_to_string()
            .unwrap_or_default();
        let reason = reason.trim();
        Err(Error::Io(format!(
            "{m} {url}: the Pushgateway answered {status}{}{reason}",
            if reason.is_empty() { "" } else { ": " }
        )))
    }
}

/// A client that leaves error statuses to [`Pushgateway::send`] and bounds each whole request.
#[cfg(feature = "push")]
fn agent(timeout: std::time::Duration) -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build(),
    )
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn path(job: &str, grouping: &[(&str, &str)]) -> String {
        pushgateway_path(job, grouping).unwrap()
    }

    fn error(r: Result<String, Error>) -> String {
        match r {
            Err(Error::InvalidArgument(why)) => why,
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn the_pushgateway_readme_examples() {
        assert_eq!(
            path("directory_cleaner", &[("path", "/var/tmp")]),
            "/metrics/job/directory_cleaner/path@base64/L3Zhci90bXA"
        );
        assert_eq!(
            path(
                "example",
                &[("first_label", ""), ("second_label", "foobar")]
            ),
            "/metrics/job/example/first_label@base64/=/second_label/foobar"
        );
        assert_eq!(
            path("titan", &[("name", "Προμηθεύς")]),
            "/metrics/job/titan/name/%CE%A0%CF%81%CE%BF%CE%BC%CE%B7%CE%B8%CE%B5%CF%8D%CF%82"
        );
    }

    #[test]
    fn plain_values_keep_their_order_and_unreserved_characters() {
        assert_eq!(path("batch", &[]), "/metrics/job/batch");
        assert_eq!(
            path("batch", &[("z", "A-z_0.9~"), ("instance", "h1:9")]),
            "/metrics/job/batch/z/A-z_0.9~/instance/h1%3A9"
        );
        assert_eq!(
            path("a b", &[("q", "x?y#z%+@&")]),
            "/metrics/job/a%20b/q/x%3Fy%23z%25%2B%40%26"
        );
    }

    #[test]
    fn a_job_or_value_with_a_slash_or_a_dot_segment_goes_in_base64() {
        assert_eq!(path("a/b", &[]), "/metrics/job@base64/YS9i");
        assert_eq!(
            path("..", &[("d", ".")]),
            "/metrics/job@base64/Li4/d@base64/Lg"
        );
        // 1, 2 and 3 bytes in the last group: no padding, as in the README's example.
        assert_eq!(path("j", &[("v", "/")]), "/metrics/job/j/v@base64/Lw");
        assert_eq!(path("j", &[("v", "/a")]), "/metrics/job/j/v@base64/L2E");
        assert_eq!(path("j", &[("v", "/ab")]), "/metrics/job/j/v@base64/L2Fi");
        // The URL-safe alphabet: - and _ where the standard one has + and /.
        assert_eq!(
            path("j", &[("v", "/\u{fb}\u{ff}")]),
            "/metrics/job/j/v@base64/L8O7w78"
        );
        assert_eq!(path("j", &[("v", "/>?")]), "/metrics/job/j/v@base64/Lz4_");
        assert_eq!(
            path("j", &[("v", "/\u{3e}\u{3e}\u{fe}")]),
            "/metrics/job/j/v@base64/Lz4-w74"
        );
    }

    #[test]
    fn bad_jobs_and_grouping_names_are_refused_with_the_reason() {
        assert!(error(pushgateway_path("", &[])).contains("job name must not be empty"));
        for (name, why) in [
            ("", "must not be empty"),
            ("1x", "[a-zA-Z_][a-zA-Z0-9_]*"),
            ("a-b", "[a-zA-Z_][a-zA-Z0-9_]*"),
            ("é", "[a-zA-Z_][a-zA-Z0-9_]*"),
            ("__name__", "reserved"),
            ("job", "given as the job name"),
        ] {
            let message = error(pushgateway_path("batch", &[(name, "v")]));
            assert!(message.contains(why), "{name:?}: {message}");
            assert!(message.contains(&format!("{name:?}")), "{message}");
        }
        let twice = error(pushgateway_path(
            "batch",
            &[("a", "1"), ("b", ""), ("a", "2")],
        ));
        assert!(twice.contains("\"a\" is given twice"), "{twice}");
        assert_eq!(path("batch", &[("_x9", "v")]), "/metrics/job/batch/_x9/v");
    }

    #[test]
    fn gateway_urls_are_normalised_or_refused() {
        let url = |g: &str| pushgateway_url(g, "j", &[]);
        assert_eq!(url("http://h:9091").unwrap(), "http://h:9091/metrics/job/j");
        assert_eq!(
            url("HTTPS://h/p/q//").unwrap(),
            "https://h/p/q/metrics/job/j"
        );
        assert_eq!(url("h:9091/").unwrap(), "http://h:9091/metrics/job/j");
        assert_eq!(
            url("http://[::1]:9091").unwrap(),
            "http://[::1]:9091/metrics/job/j"
        );
        for (bad, why) in [
            ("", "empty"),
            ("ftp://h", "scheme"),
            ("http://", "no host"),
            ("http:///x", "no host"),
            ("http://h?x=1", "query"),
            ("http://h#f", "query or fragment"),
            ("http://h x", "whitespace"),
        ] {
            let message = error(url(bad));
            assert!(message.contains(why), "{bad:?}: {message}");
        }
        // The job is checked too, after the gateway.
        assert!(error(pushgateway_url("http://h", "", &[])).contains("job"));
    }

    #[test]
    fn methods_name_their_http_verbs() {
        assert_eq!(PushMethod::Push.http_method(), "PUT");
        assert_eq!(PushMethod::PushAdd.http_method(), "POST");
        assert_eq!(PushMethod::Delete.http_method(), "DELETE");
        assert!(PushMethod::Push.has_body() && !PushMethod::Delete.has_body());
    }
}

#[cfg(all(test, not(loom), feature = "push"))]
mod transport_tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// A request as a test gateway received it.
    #[derive(Debug)]
    struct Seen {
        request_line: String,
        headers: Vec<String>,
        body: String,
    }

    /// A gateway on loopback that answers `requests` requests with `status` and `reason`, and
    /// reports each request it read.
    fn gateway(
        requests: usize,
        status: &'static str,
        reason: &'static str,
    ) -> (String, mpsc::Receiver<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for _ in 0..requests {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                let mut headers = Vec::new();
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let line = line.trim_end().to_string();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    headers.push(line);
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let mut stream = stream;
                write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reason}",
                    reason.len()
                )
                .unwrap();
                tx.send(Seen {
                    request_line: request_line.trim_end().to_string(),
                    headers,
                    body: String::from_utf8(body).unwrap(),
                })
                .unwrap();
            }
        });
        (url, rx)
    }

    #[test]
    fn push_push_add_and_delete_send_the_groups_request() {
        let (url, seen) = gateway(3, "200 OK", "");
        let gw = Pushgateway::new(&url).unwrap();
        let grouping = [("path", "/var/tmp"), ("empty", "")];
        gw.push("c/batch", &grouping, "a_total 1\n").unwrap();
        gw.push_add("c/batch", &grouping, "b 2\n").unwrap();
        gw.delete("c/batch", &grouping).unwrap();
        let path = "/metrics/job@base64/Yy9iYXRjaA/path@base64/L3Zhci90bXA/empty@base64/=";
        let put = seen.recv().unwrap();
        assert_eq!(put.request_line, format!("PUT {path} HTTP/1.1"));
        assert_eq!(put.body, "a_total 1\n");
        let content_type = format!("content-type: {}", crate::PROMETHEUS_CONTENT_TYPE);
        assert!(
            put.headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&content_type)),
            "{:?}",
            put.headers
        );
        let post = seen.recv().unwrap();
        assert_eq!(post.request_line, format!("POST {path} HTTP/1.1"));
        assert_eq!(post.body, "b 2\n");
        let delete = seen.recv().unwrap();
        assert_eq!(delete.request_line, format!("DELETE {path} HTTP/1.1"));
        assert_eq!(delete.body, "");
    }

    #[test]
    fn an_error_status_is_an_io_error_with_the_gateways_reason() {
        let (url, _seen) = gateway(
            1,
            "400 Bad Request",
            "pushed metrics are invalid or inconsistent",
        );
        match Pushgateway::new(&url).unwrap().push("batch", &[], "x 1\n") {
            Err(Error::Io(why)) => {
                assert!(why.contains("400"), "{why}");
                assert!(
                    why.contains("pushed metrics are invalid or inconsistent"),
                    "{why}"
                );
                assert!(why.contains("PUT http://"), "{why}");
            }
            other => panic!("expected Io, got {other:?}"),
        }
    }

    #[test]
    fn a_refused_connection_is_an_io_error() {
        // Bound and dropped: nothing listens on the port any more.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let gw = Pushgateway::new(&format!("127.0.0.1:{port}")).unwrap();
        match gw.delete("batch", &[]) {
            Err(e @ Error::Io(_)) => {
                assert_eq!(e.status(), crate::Status::Io);
                assert!(e.to_string().contains("could not reach"), "{e}");
            }
            other => panic!("expected Io, got {other:?}"),
        }
    }

    #[test]
    fn a_gateway_that_never_answers_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        // Accepts the connection and keeps it open without answering.
        let held = std::thread::spawn(move || listener.accept().map(|(s, _)| s));
        let gw = Pushgateway::new(&url)
            .unwrap()
            .with_timeout(Duration::from_millis(300))
            .unwrap();
        let start = Instant::now();
        let result = gw.push("batch", &[], "x 1\n");
        match result {
            Err(Error::Io(why)) => assert!(why.contains("did not answer within 300ms"), "{why}"),
            other => panic!("expected a time-out, got {other:?}"),
        }
        // Bounded by the time-out, not the default 30 s (a loose bound: this is no benchmark).
        assert!(start.elapsed() < Duration::from_secs(20));
        drop(held.join());
    }

    #[test]
    fn bad_arguments_are_refused_before_any_request() {
        let https = Pushgateway::new("https://gw.example").unwrap_err();
        assert!(https.to_string().contains("TLS"), "{https}");
        assert!(Pushgateway::new("ftp://gw.example").is_err());
        assert!(Pushgateway::new("").is_err());
        // Nothing listens on port 9: an argument error proves nothing was sent.
        let gw = Pushgateway::new("127.0.0.1:9").unwrap();
        assert_eq!(gw.url(), "http://127.0.0.1:9");
        assert_eq!(gw.timeout(), DEFAULT_PUSH_TIMEOUT);
        for result in [
            gw.push("", &[], ""),
            gw.push("batch", &[("job", "x")], ""),
            gw.push_add("batch", &[("a-b", "x")], ""),
            gw.delete("batch", &[("a", "1"), ("a", "2")]),
        ] {
            assert!(
                matches!(result, Err(Error::InvalidArgument(_))),
                "{result:?}"
            );
        }
        assert!(gw.with_timeout(Duration::ZERO).is_err());
    }
}
