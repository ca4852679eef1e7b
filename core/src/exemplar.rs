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

/// Checks an exemplar's label set and packs it, sorted by name: names valid in the Prometheus data model, no
/// name twice, no NUL in a value, at most [`MAX_EXEMPLAR_RUNES`] code points in all.
pub(crate) fn pack(labels: &[(&str, &str)], out: &mut Vec<u8>) -> Result<(), Error> {
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
            "an exemplar's label names and values have {runes} characters; OpenMetrics allows at \
             most {MAX_EXEMPLAR_RUNES}"
        )));
    }
    out.clear();
    // Sorted by name, as every label set of the export is: the order a caller's map happens to
    // iterate in (Go's is random) never shows.
    let mut sorted: Vec<&(&str, &str)> = labels.iter().collect();
    sorted.sort_unstable_by_key(|(name, _)| *name);
    for (name, value) in sorted {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
    Ok(())
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
        for (word, chunk) in self.text.iter().zip(packed.chunks(8)) {
            let mut bytes = [0u8; 8];
            bytes[..chunk.len()].copy_from_slice(chunk);
            word.store(u64::from_le_bytes(bytes), Ordering::Relaxed);
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
    /// A packing buffer per thread, so that storing an exemplar allocates nothing after the
    /// first.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Checks and packs `labels` into this thread's buffer, then runs `f` on the packed bytes.
pub(crate) fn with_packed<R>(
    labels: &[(&str, &str)],
    timestamp: Option<f64>,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, Error> {
    check_timestamp(timestamp)?;
    BUFFER.with(|b| match b.try_borrow_mut() {
        Ok(mut buf) => {
            pack(labels, &mut buf)?;
            Ok(f(&buf))
        }
        // Re-entered (a panic hook or signal handler recording an exemplar): a buffer of its own.
        Err(_) => {
            let mut buf = Vec::new();
            pack(labels, &mut buf)?;
            Ok(f(&buf))
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
        let mut buf = Vec::new();
        let v = "x".repeat(MAX_EXEMPLAR_RUNES - 1);
        assert!(pack(&[("a", &v)], &mut buf).is_ok());
        let v = "x".repeat(MAX_EXEMPLAR_RUNES);
        let err = pack(&[("a", &v)], &mut buf).unwrap_err();
        assert!(err.to_string().contains("at most 128"), "{err}");
        // Code points, not bytes: 127 four-byte characters fit.
        let v = "😀".repeat(MAX_EXEMPLAR_RUNES - 1);
        pack(&[("a", &v)], &mut buf).unwrap();
        assert!(buf.len() <= TEXT_BYTES);
        // The most pairs the limit allows fit the slot.
        let names: Vec<String> = (0..64)
            .map(|i| format!("{}", (b'a' + (i % 26) as u8) as char).repeat(1 + i as usize / 26))
            .collect();
        let pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
        let _ = pack(&pairs, &mut buf);
        assert!(buf.len() <= TEXT_BYTES);
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
