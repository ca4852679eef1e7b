//! Exemplars: the latest (label set, value, timestamp) recorded with a counter increment or a
//! histogram bucket's value, so that a point on a dashboard links to a trace. Exported in
//! OpenMetrics (`... # {trace_id="abc"} 0.043 1700000000.5`) and in the protobuf format, never
//! in the Prometheus text format 0.0.4, which has no place for them.
//!
//! Storing one is lock-free and allocates nothing once its slot exists: the label set is checked
//! and packed into a fixed-size slot of atomic words under a sequence number (a seqlock whose
//! writers never wait: a writer that finds another one mid-store leaves the slot to it, since
//! both exemplars are "the latest"). A reader retries while a store is under way and gives up
//! (no exemplar) after a bounded number of tries, so it never blocks either.

use std::sync::atomic::AtomicPtr;

use crate::sync::{fence, AtomicU64, Ordering};
use crate::Error;

/// Most code points of an exemplar's label names and values together (OpenMetrics' limit).
pub const MAX_EXEMPLAR_RUNES: usize = 128;

/// Bytes of a packed label set: every name and value followed by a NUL. At most 4 bytes per
/// code point, and at most one pair per code point (a name has at least one): 4 × 128 + 2 × 128.
const TEXT_BYTES: usize = 4 * MAX_EXEMPLAR_RUNES + 2 * MAX_EXEMPLAR_RUNES;
const TEXT_WORDS: usize = TEXT_BYTES / 8;

/// Tries of a reader that keeps meeting a store under way before it reports no exemplar.
const READ_TRIES: usize = 64;

/// An exemplar as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    /// Its label set (a trace id, a span id...), sorted by name.
    pub labels: Vec<(String, String)>,
    /// The value it was recorded with: the increment of a counter, the recorded value of a
    /// histogram (in the histogram's exported unit when read from a registry export).
    pub value: f64,
    /// Seconds since the Unix epoch, if one was given.
    pub timestamp: Option<f64>,
}

/// Most names of a label set that [`Scratch`] remembers (more are checked every time).
const KNOWN_NAMES: usize = 16;

/// A thread's packing state: the packed label set, and the names of the last set that passed
/// the checks, sorted. A thread's exemplars usually carry the same names every time (`trace_id`,
/// `span_id`), in whatever order a map gives them (Go's changes from call to call), so the next
/// call only finds its names among these instead of checking and sorting them again. Its buffers
/// grow to their largest use and stay, so packing allocates nothing after that.
pub(crate) struct Scratch {
    /// The packed label set: every name and value followed by a NUL, sorted by name.
    pub(crate) packed: Vec<u8>,
    /// The names last checked, sorted, one after another.
    names: Vec<u8>,
    /// Where each is in `names`: (start, length in bytes, all ASCII as valid names are).
    spans: Vec<(usize, usize)>,
}

impl Scratch {
    pub(crate) const fn new() -> Self {
        Scratch {
            packed: Vec::new(),
            names: Vec::new(),
            spans: Vec::new(),
        }
    }

    /// Whether the names of `labels` are those last checked, in any order (then they are
    /// valid and none is given twice); if so `order[k]` is the index in `labels` of the k-th
    /// name by sort order.
    fn knows(&self, labels: &[(&str, &str)], order: &mut [u8]) -> bool {
        if labels.len() != self.spans.len() {
            return false;
        }
        // Each name of `labels` matched to a distinct remembered one: the remembered names
        // are distinct, so a name given twice finds its match taken and misses.
        let mut taken = 0u32;
        for (i, (name, _)) in labels.iter().enumerate() {
            let found = self.spans.iter().enumerate().position(|(k, &(at, len))| {
                taken & (1 << k) == 0 && self.names.get(at..at + len) == Some(name.as_bytes())
            });
            let Some(k) = found else {
                return false;
            };
            taken |= 1 << k;
            order[k] = i as u8;
        }
        true
    }

    /// Keeps the names of `labels`, which passed every check, sorted (`order` sorts them), if
    /// there are at most [`KNOWN_NAMES`]; otherwise forgets the last set.
    fn remember(&mut self, labels: &[(&str, &str)], order: &[u8]) {
        self.names.clear();
        self.spans.clear();
        if labels.len() > KNOWN_NAMES {
            return;
        }
        for &i in order {
            let name = labels[usize::from(i)].0;
            self.spans.push((self.names.len(), name.len()));
            self.names.extend_from_slice(name.as_bytes());
        }
    }
}

/// Checks an exemplar's label set and packs it into `scratch.packed`, sorted by name: names
/// valid in the Prometheus data model, no name twice, no NUL in a value, at most
/// [`MAX_EXEMPLAR_RUNES`] code points in all. The names are checked (and sorted) only when they
/// differ from the last set `scratch` packed; the values every time.
pub(crate) fn pack(labels: &[(&str, &str)], scratch: &mut Scratch) -> Result<(), Error> {
    // At most 128 pairs once the set passed (a valid name has a character at least), and at
    // most KNOWN_NAMES when `knows` says yes.
    let mut order = [0u8; MAX_EXEMPLAR_RUNES];
    let known = scratch.knows(labels, &mut order);
    if !known {
        crate::registry::check_label_set(labels.iter().map(|(n, _)| *n), "exemplar label", |n| {
            crate::registry::check_label_name(n, &[])
        })?;
    }
    let mut runes = 0;
    for (name, value) in labels {
        let (nul, ascii) = nul_and_ascii(value.as_bytes());
        if nul {
            return Err(Error::InvalidArgument(format!(
                "exemplar label {name:?} has a NUL character in its value"
            )));
        }
        // A valid name is ASCII: a code point per byte; so is a value usually (a hex id).
        let value_runes = if ascii {
            value.len()
        } else {
            value.chars().count()
        };
        runes += name.len() + value_runes;
    }
    if runes > MAX_EXEMPLAR_RUNES {
        return Err(Error::InvalidArgument(format!(
            "an exemplar's label names and values have {runes} characters; OpenMetrics allows at \
             most {MAX_EXEMPLAR_RUNES}"
        )));
    }
    let order = &mut order[..labels.len()];
    if !known {
        // Sorted by name, as every label set of the export is: the order a caller's map
        // happens to iterate in (Go's is random) never shows.
        for (k, o) in order.iter_mut().enumerate() {
            *o = k as u8;
        }
        order.sort_unstable_by_key(|&i| labels[usize::from(i)].0);
        scratch.remember(labels, order);
    }
    let packed = &mut scratch.packed;
    packed.clear();
    packed.reserve(TEXT_BYTES);
    for &i in order.iter() {
        let (name, value) = labels[usize::from(i)];
        packed.extend_from_slice(name.as_bytes());
        packed.push(0);
        packed.extend_from_slice(value.as_bytes());
        packed.push(0);
    }
    Ok(())
}

/// Whether `bytes` holds a NUL, and whether it is all ASCII: one pass, a word at a time (a
/// value is short, and a call per question cost more than the scan).
fn nul_and_ascii(bytes: &[u8]) -> (bool, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (mut zero, mut high) = (0u64, 0u64);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("chunks of 8"));
        // Nonzero exactly when a byte of `w` is 0 (the classic test: a borrow into the high
        // bit of a zero byte, which `!w` keeps; a byte of 0x80 or more is masked by `!w`).
        zero |= w.wrapping_sub(ONES) & !w & HIGH;
        high |= w & HIGH;
    }
    for &b in words.remainder() {
        zero |= u64::from(b == 0);
        high |= u64::from(b & 0x80);
    }
    (zero != 0, high == 0)
}

/// Checks a timestamp: finite, or absent.
pub(crate) fn check_timestamp(timestamp: Option<f64>) -> Result<(), Error> {
    match timestamp {
        Some(t) if !t.is_finite() => Err(Error::InvalidArgument(format!(
            "exemplar timestamp {t} is not finite"
        ))),
        _ => Ok(()),
    }
}

/// One exemplar's storage (see the module's documentation).
pub(crate) struct Slot {
    /// Even: stable (0: never written); odd: a store is under way.
    seq: AtomicU64,
    value: AtomicU64,
    /// f64 bits; NaN: no timestamp.
    timestamp: AtomicU64,
    len: AtomicU64,
    text: [AtomicU64; TEXT_WORDS],
}

impl Slot {
    fn new() -> Self {
        Slot {
            seq: AtomicU64::new(0),
            value: AtomicU64::new(0),
            timestamp: AtomicU64::new(0),
            len: AtomicU64::new(0),
            text: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Stores a packed exemplar, unless another store is under way (then that one wins).
    pub(crate) fn store(&self, packed: &[u8], value: f64, timestamp: Option<f64>) {
        debug_assert!(packed.len() <= TEXT_BYTES);
        let s = self.seq.load(Ordering::Relaxed);
        if s & 1 == 1
            || self
                .seq
                .compare_exchange(s, s + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        // The odd sequence number is ordered before the data: a reader that sees any of the new
        // data then sees the odd (or a later) number on its second look, and retries.
        fence(Ordering::Release);
        self.value.store(value.to_bits(), Ordering::Relaxed);
        self.timestamp
            .store(timestamp.unwrap_or(f64::NAN).to_bits(), Ordering::Relaxed);
        self.len.store(packed.len() as u64, Ordering::Relaxed);
        // Whole words, then the tail zero-padded: no copy of variable length per word.
        let mut chunks = packed.chunks_exact(8);
        for (word, chunk) in self.text.iter().zip(&mut chunks) {
            let bytes: [u8; 8] = chunk.try_into().expect("chunks of 8");
            word.store(u64::from_le_bytes(bytes), Ordering::Relaxed);
        }
        let tail = chunks.remainder();
        if !tail.is_empty() {
            // Assembled in a register: a word loaded from bytes just copied onto the stack one
            // by one waits for those stores (a failed store-to-load forward, in the profile).
            let word = tail
                .iter()
                .rev()
                .fold(0u64, |w, &b| (w << 8) | u64::from(b));
            self.text[packed.len() / 8].store(word, Ordering::Relaxed);
        }
        self.seq.store(s + 2, Ordering::Release);
    }

    /// The stored exemplar: `None` if none was ever stored, or if stores kept overlapping the
    /// read.
    pub(crate) fn load(&self) -> Option<Exemplar> {
        let mut bytes = Vec::new();
        for _ in 0..READ_TRIES {
            let s1 = self.seq.load(Ordering::Acquire);
            if s1 == 0 {
                return None;
            }
            if s1 & 1 == 1 {
                crate::sync::spin_wait();
                continue;
            }
            let value = f64::from_bits(self.value.load(Ordering::Relaxed));
            let timestamp = f64::from_bits(self.timestamp.load(Ordering::Relaxed));
            let len = (self.len.load(Ordering::Relaxed) as usize).min(TEXT_BYTES);
            bytes.clear();
            for word in &self.text[..len.div_ceil(8)] {
                bytes.extend_from_slice(&word.load(Ordering::Relaxed).to_le_bytes());
            }
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != s1 {
                continue;
            }
            bytes.truncate(len);
            return Some(Exemplar {
                labels: unpack(&bytes),
                value,
                timestamp: (!timestamp.is_nan()).then_some(timestamp),
            });
        }
        None
    }
}

/// The label pairs of a packed set.
fn unpack(bytes: &[u8]) -> Vec<(String, String)> {
    let mut parts = bytes
        .split(|&b| b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let mut out = Vec::new();
    while let (Some(n), Some(v)) = (parts.next(), parts.next()) {
        if n.is_empty() {
            break; // the empty tail after the last NUL
        }
        out.push((n, v));
    }
    out
}

/// Slots allocated on first use: the slot of a counter (one), or of a histogram's exported
/// buckets (one per bucket and +Inf). Installed with a compare-and-swap: racing first uses
/// allocate twice and one frees its copy.
pub(crate) struct Slots {
    ptr: AtomicPtr<Slot>,
    len: usize,
}

impl Slots {
    /// `len` slots, none allocated yet.
    pub(crate) fn new(len: usize) -> Self {
        Slots {
            ptr: AtomicPtr::new(std::ptr::null_mut()),
            len: len.max(1),
        }
    }

    /// Number of slots.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn get(&self) -> Option<&[Slot]> {
        let p = self.ptr.load(std::sync::atomic::Ordering::Acquire);
        // SAFETY: a non-null `ptr` came from `Box::into_raw` of a boxed slice of `len` slots
        // (in `get_or_alloc`), which stays allocated until `drop`, which takes `&mut self`.
        (!p.is_null()).then(|| unsafe { std::slice::from_raw_parts(p, self.len) })
    }

    fn get_or_alloc(&self) -> &[Slot] {
        if let Some(s) = self.get() {
            return s;
        }
        let fresh: Box<[Slot]> = (0..self.len).map(|_| Slot::new()).collect();
        let fresh = Box::into_raw(fresh) as *mut Slot;
        match self.ptr.compare_exchange(
            std::ptr::null_mut(),
            fresh,
            std::sync::atomic::Ordering::AcqRel,
            std::sync::atomic::Ordering::Acquire,
        ) {
            Ok(_) => {}
            Err(_) => {
                // SAFETY: `fresh` came from `Box::into_raw` just above and was never shared.
                drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(fresh, self.len)) });
            }
        }
        self.get().expect("installed above or by the winner")
    }

    /// Stores an exemplar in slot `i` (< len), allocating the slots on first use.
    pub(crate) fn store(&self, i: usize, packed: &[u8], value: f64, timestamp: Option<f64>) {
        self.get_or_alloc()[i].store(packed, value, timestamp);
    }

    /// The exemplar of slot `i`, if any.
    pub(crate) fn load(&self, i: usize) -> Option<Exemplar> {
        self.get()?.get(i)?.load()
    }

    /// Bytes allocated for the slots (0 until the first exemplar).
    pub(crate) fn memory_bytes(&self) -> usize {
        self.get().map_or(0, std::mem::size_of_val)
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: a non-null `ptr` came from `Box::into_raw` of a boxed slice of `len`
            // slots, and `&mut self` means no reference into it remains.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(p, self.len)) });
        }
    }
}

impl std::fmt::Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slots")
            .field("len", &self.len)
            .field("allocated", &self.get().is_some())
            .finish()
    }
}

thread_local! {
    /// A packing state per thread (see [`Scratch`]), so that storing an exemplar allocates
    /// nothing after the first and checks a label set's names once while they stay the same.
    static SCRATCH: std::cell::RefCell<Scratch> = const { std::cell::RefCell::new(Scratch::new()) };
}

/// Checks and packs `labels` with this thread's [`Scratch`], then runs `f` on the packed bytes.
pub(crate) fn with_packed<R>(
    labels: &[(&str, &str)],
    timestamp: Option<f64>,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, Error> {
    check_timestamp(timestamp)?;
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut scratch) => {
            pack(labels, &mut scratch)?;
            Ok(f(&scratch.packed))
        }
        // Re-entered (a panic hook or signal handler recording an exemplar): a state of its own.
        Err(_) => {
            let mut scratch = Scratch::new();
            pack(labels, &mut scratch)?;
            Ok(f(&scratch.packed))
        }
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_slot_gives_back_what_was_stored() {
        let slots = Slots::new(2);
        assert_eq!(slots.load(0), None);
        assert_eq!(slots.memory_bytes(), 0);
        let labels = [
            ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
            ("span_id", "é✓"),
        ];
        with_packed(&labels, Some(1.5e9), |p| {
            slots.store(1, p, 0.25, Some(1.5e9))
        })
        .unwrap();
        assert_eq!(slots.load(0), None);
        let e = slots.load(1).unwrap();
        assert_eq!(
            e.labels,
            [
                ("span_id".to_string(), "é✓".to_string()),
                (
                    "trace_id".to_string(),
                    "4bf92f3577b34da6a3ce929d0e0e4736".to_string()
                )
            ],
            "sorted by name"
        );
        assert_eq!((e.value, e.timestamp), (0.25, Some(1.5e9)));
        with_packed(&[], None, |p| slots.store(1, p, 2.0, None)).unwrap();
        assert_eq!(
            slots.load(1),
            Some(Exemplar {
                labels: vec![],
                value: 2.0,
                timestamp: None
            })
        );
        assert!(slots.memory_bytes() > 0);
    }

    #[test]
    fn label_sets_past_128_characters_and_bad_names_are_refused() {
        let mut buf = Scratch::new();
        let v = "x".repeat(MAX_EXEMPLAR_RUNES - 1);
        assert!(pack(&[("a", &v)], &mut buf).is_ok());
        let v = "x".repeat(MAX_EXEMPLAR_RUNES);
        let err = pack(&[("a", &v)], &mut buf).unwrap_err();
        assert!(err.to_string().contains("at most 128"), "{err}");
        // Code points, not bytes: 127 four-byte characters fit.
        let v = "😀".repeat(MAX_EXEMPLAR_RUNES - 1);
        pack(&[("a", &v)], &mut buf).unwrap();
        assert!(buf.packed.len() <= TEXT_BYTES);
        // The most pairs the limit allows fit the slot.
        let names: Vec<String> = (0..64)
            .map(|i| format!("{}", (b'a' + (i % 26) as u8) as char).repeat(1 + i as usize / 26))
            .collect();
        let pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
        let _ = pack(&pairs, &mut buf);
        assert!(buf.packed.len() <= TEXT_BYTES);
        for bad in [
            vec![("1x", "v")],
            vec![("__x", "v")],
            vec![("a", "1"), ("a", "2")],
            vec![("a", "x\0y")],
        ] {
            assert!(pack(&bad, &mut buf).is_err(), "{bad:?}");
        }
        assert!(check_timestamp(Some(f64::NAN)).is_err());
        assert!(check_timestamp(Some(f64::INFINITY)).is_err());
    }

    #[test]
    fn nul_and_ascii_agrees_with_the_byte_by_byte_answer() {
        let samples: [&[u8]; 8] = [
            b"",
            b"4bf92f3577b34da6a3ce929d0e0e4736",
            b"\0",
            b"abcdefg\0",
            b"abcdefgh\0ij",
            "é✓ abcdefgh".as_bytes(),
            b"\x80\x01\x01\x01\x01\x01\x01\x01",
            b"\x01\x00\x80\x01\x01\x01\x01\x01\x01",
        ];
        for s in samples {
            for start in 0..s.len().min(9) {
                let s = &s[start..];
                let want = (s.contains(&0), s.is_ascii());
                assert_eq!(nul_and_ascii(s), want, "{s:?}");
            }
        }
        // Every single byte at every position of a 17-byte run.
        for b in 0..=255u8 {
            for at in 0..17 {
                let mut s = [b'x'; 17];
                s[at] = b;
                assert_eq!(nul_and_ascii(&s), (b == 0, b < 0x80), "{b} at {at}");
            }
        }
    }

    /// Label sets, good and bad, for the checked-names cache: same names as another with a bad
    /// value, a name twice where another set has two names, reordered names, non-ASCII values.
    fn cache_cases() -> Vec<Vec<(&'static str, String)>> {
        let s = |v: &str| v.to_string();
        // More names than the cache keeps, and exactly as many.
        let many = [
            "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q",
            "r", "s", "t",
        ];
        vec![
            vec![],
            vec![
                ("trace_id", s("4bf92f3577b34da6")),
                ("span_id", s("00f067aa0ba902b7")),
            ],
            vec![
                ("span_id", s("00f067aa0ba902b7")),
                ("trace_id", s("4bf92f3577b34da6")),
            ],
            vec![("trace_id", s("é✓")), ("span_id", s(""))],
            vec![("trace_id", s("x\0y")), ("span_id", s("1"))],
            vec![("trace_id", "x".repeat(110)), ("span_id", s("1"))],
            vec![("trace_id", "😀".repeat(110)), ("span_id", s("1"))],
            vec![("trace_id", s("1")), ("trace_id", s("2"))],
            vec![("span_id", s("1")), ("span_id", s("2"))],
            vec![("trace_id", s("1")), ("1x", s("2"))],
            vec![("trace_id", s("1")), ("__x", s("2"))],
            vec![("trace_id", s("1")), ("span-id", s("2"))],
            vec![("trace_id", s("1"))],
            vec![("trace_i", s("1")), ("dspan_id", s("2"))],
            vec![("trace_idspan_id", s("1")), ("", s("2"))],
            vec![
                ("trace_id", s("1")),
                ("span_id", s("2")),
                ("trace_id", s("3")),
            ],
            vec![("a", s("1")), ("b", s("2")), ("c", s("3")), ("a", s("4"))],
            vec![("c", s("1")), ("b", s("2")), ("a", s("3"))],
            vec![("a", s("1")), ("c", s("2")), ("b", s("3"))],
            vec![("a", s("1")), ("c", s("2")), ("c", s("3"))],
            many.iter().map(|n| (*n, s("v"))).collect(),
            many.iter().rev().map(|n| (*n, s("v"))).collect(),
            many.iter()
                .chain(&many[..1])
                .map(|n| (*n, s("v")))
                .collect(),
            many[..16].iter().rev().map(|n| (*n, s("v"))).collect(),
            many[..16].iter().map(|n| (*n, s("v"))).collect(),
            many[..15]
                .iter()
                .chain(&many[..1])
                .map(|n| (*n, s("v")))
                .collect(),
        ]
    }

    /// The checks and packing as written before the cache, for comparison: every name checked,
    /// code points counted with `chars`, the pairs sorted by name.
    fn reference_pack(labels: &[(&str, &str)]) -> Result<Vec<u8>, Error> {
        crate::registry::check_label_set(labels.iter().map(|(n, _)| *n), "exemplar label", |n| {
            crate::registry::check_label_name(n, &[])
        })?;
        let mut runes = 0;
        for (name, value) in labels {
            if value.contains('\0') {
                return Err(Error::InvalidArgument(format!(
                    "exemplar label {name:?} has a NUL character in its value"
                )));
            }
            runes += name.chars().count() + value.chars().count();
        }
        if runes > MAX_EXEMPLAR_RUNES {
            return Err(Error::InvalidArgument(format!(
                "an exemplar's label names and values have {runes} characters; OpenMetrics allows \
                 at most {MAX_EXEMPLAR_RUNES}"
            )));
        }
        let mut sorted: Vec<&(&str, &str)> = labels.iter().collect();
        sorted.sort_unstable_by_key(|(name, _)| *name);
        let mut out = Vec::new();
        for (name, value) in sorted {
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            out.extend_from_slice(value.as_bytes());
            out.push(0);
        }
        Ok(out)
    }

    fn borrow<'a>(set: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
        set.iter().map(|(n, v)| (*n, v.as_str())).collect()
    }

    #[test]
    fn the_checked_names_cache_never_changes_an_answer() {
        // Every set packed right after every other (a warm cache, hit or miss) gives exactly
        // what it gives on a fresh state: the same error message, or the same bytes.
        let cases = cache_cases();

        let fresh = |set: &[(&str, &str)]| {
            let mut scratch = Scratch::new();
            let got = pack(set, &mut scratch).map(|()| scratch.packed.clone());
            assert_eq!(got, reference_pack(set), "{set:?}");
            got
        };
        let mut warm = Scratch::new();
        for before in &cases {
            for set in &cases {
                for _ in 0..2 {
                    let _ = pack(&borrow(before), &mut warm);
                    let set = borrow(set);
                    let got = pack(&set, &mut warm).map(|()| warm.packed.clone());
                    assert_eq!(got, fresh(&set), "{set:?} after {before:?}");
                }
            }
        }
    }

    #[test]
    fn a_bad_set_after_a_good_one_with_other_names_is_refused() {
        let mut scratch = Scratch::new();
        pack(&[("trace_id", "1"), ("span_id", "2")], &mut scratch).unwrap();
        // Same number of names, one of them given twice or invalid: checked, not taken from
        // the last set.
        let err = pack(&[("trace_id", "1"), ("trace_id", "2")], &mut scratch).unwrap_err();
        assert!(
            err.to_string().contains("\"trace_id\" is given twice"),
            "{err}"
        );
        let err = pack(&[("trace_id", "1"), ("1span", "2")], &mut scratch).unwrap_err();
        assert!(err.to_string().contains("invalid label name"), "{err}");
        // The last good names still have their values checked.
        pack(&[("trace_id", "1"), ("span_id", "2")], &mut scratch).unwrap();
        let err = pack(&[("trace_id", "1"), ("span_id", "\0")], &mut scratch).unwrap_err();
        assert!(err.to_string().contains("NUL"), "{err}");
        let long = "x".repeat(MAX_EXEMPLAR_RUNES);
        let err = pack(&[("trace_id", "1"), ("span_id", &long)], &mut scratch).unwrap_err();
        assert!(err.to_string().contains("at most 128"), "{err}");
        // And the cache still sorts: the next good call packs by name.
        pack(&[("trace_id", "1"), ("span_id", "2")], &mut scratch).unwrap();
        assert_eq!(scratch.packed, b"span_id\x002\x00trace_id\x001\x00");
        pack(&[("b", "1"), ("a", "2")], &mut scratch).unwrap();
        assert_eq!(scratch.packed, b"a\x002\x00b\x001\x00");
    }

    #[test]
    fn readers_racing_writers_see_whole_exemplars_only() {
        // Writers store exemplars whose value, timestamp and label value all say the same
        // number; a reader must never see them disagree.
        let slots = std::sync::Arc::new(Slots::new(1));
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let slots = slots.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000u64 {
                        let n = (w * 1_000_000 + i) as f64;
                        let text = format!("{n}").repeat(1 + (i % 7) as usize);
                        with_packed(&[("id", &text)], Some(n), |p| slots.store(0, p, n, Some(n)))
                            .unwrap();
                    }
                })
            })
            .collect();
        let mut seen = 0;
        while writers.iter().any(|w| !w.is_finished()) {
            if let Some(e) = slots.load(0) {
                let n = e.value;
                assert_eq!(e.timestamp, Some(n));
                let unit = format!("{n}");
                assert!(
                    e.labels[0].1.len() % unit.len() == 0
                        && e.labels[0]
                            .1
                            .as_bytes()
                            .chunks(unit.len())
                            .all(|c| c == unit.as_bytes()),
                    "torn exemplar {e:?}"
                );
                seen += 1;
            }
        }
        for w in writers {
            w.join().unwrap();
        }
        assert!(seen > 0);
    }
}
