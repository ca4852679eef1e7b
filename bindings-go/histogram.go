package atomicperf

/*
#cgo noescape ap_histogram_record_many
#cgo nocallback ap_histogram_record_many
#cgo noescape ap_histogram_count
#cgo nocallback ap_histogram_count
#cgo noescape ap_histogram_sum
#cgo nocallback ap_histogram_sum
#cgo noescape ap_histogram_min
#cgo nocallback ap_histogram_min
#cgo noescape ap_histogram_max
#cgo nocallback ap_histogram_max
#cgo noescape ap_histogram_mean
#cgo nocallback ap_histogram_mean
#cgo noescape ap_histogram_overflow_count
#cgo nocallback ap_histogram_overflow_count
#cgo noescape ap_histogram_memory_bytes
#cgo nocallback ap_histogram_memory_bytes
#cgo noescape apgo_histogram_new
#cgo nocallback apgo_histogram_new
#cgo noescape apgo_histogram_new_with_precision
#cgo nocallback apgo_histogram_new_with_precision
#cgo noescape apgo_histogram_quantile
#cgo nocallback apgo_histogram_quantile
#cgo noescape apgo_histogram_snapshot
#cgo nocallback apgo_histogram_snapshot
#cgo noescape apgo_histogram_merge
#cgo nocallback apgo_histogram_merge
#include "apgo.h"

static inline ap_status apgo_histogram_new(ap_histogram **out, char **msg) {
	return apgo_fail(ap_histogram_new(out), msg);
}

static inline ap_status apgo_histogram_new_with_precision(uint32_t sigfigs, uint64_t highest,
		ap_histogram **out, char **msg) {
	return apgo_fail(ap_histogram_new_with_precision(sigfigs, highest, out), msg);
}

static inline ap_status apgo_histogram_quantile(const ap_histogram *h, double q, uint64_t *out,
		char **msg) {
	return apgo_fail(ap_histogram_quantile(h, q, out), msg);
}

static inline ap_status apgo_histogram_snapshot(const ap_histogram *h, ap_histogram **out,
		char **msg) {
	return apgo_fail(ap_histogram_snapshot(h, out), msg);
}

static inline ap_status apgo_histogram_merge(const ap_histogram *dst, const ap_histogram *src,
		char **msg) {
	return apgo_fail(ap_histogram_merge(dst, src), msg);
}
*/
import "C"

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// Histogram is a lock-free log-linear (HDR style) histogram of uint64 values, nanoseconds by
// default: the replacement for a mutex-guarded list of samples or bucket array. Record is a few
// atomic adds in the C library, so goroutines recording at once do not serialise; count, sum,
// min, max, mean and any quantile are read without stopping writers.
//
// Quantiles are within 10^-sigfigs (relative) of the exact value; values above the highest
// trackable value are clamped to it and counted by OverflowCount. Use Snapshot to read several
// statistics from one moment.
//
// A Histogram is safe for concurrent use. Record, RecordN and RecordDuration make no cgo call:
// they update the histogram's cells in C memory with sync/atomic, computing the bucket in Go
// from the parameters the library describes (ap_histogram_layout; see cells_layout.go), which
// costs about what client_golang's Histogram.Observe does in one goroutine and much less when
// goroutines record at once. Every other method is one cgo call; RecordMany records a whole
// slice in one call. Close releases the handle; the cells themselves are freed when the
// Histogram becomes unreachable, since a Record racing with Close may still be writing them.
type Histogram struct {
	// Read by every Record: &layout, or nil once closed (accessed atomically).
	cells    atomic.Pointer[histCells]
	layout   histCells
	cellsRef unsafe.Pointer // a clone of the handle that keeps the cells alive; freed by a cleanup
	// Keeps the words above off the cache line of h.state, which every cgo call writes.
	_ [64]byte
	h handle
}

// NewHistogram returns an empty histogram with the default layout: 2 significant figures,
// values from 0 to 60 s in nanoseconds, about 16 KiB.
func NewHistogram() (*Histogram, error) {
	var p *C.ap_histogram
	var msg *C.char
	if err := check("NewHistogram", C.apgo_histogram_new(&p, &msg), msg); err != nil {
		return nil, err
	}
	return wrapHistogram(p), nil
}

// NewHistogramWithPrecision returns an empty histogram of values from 0 to highest with sigfigs
// significant figures (1 to 5). Precision outside 1..5 or highest < 2 gives an error matching
// [ErrOutOfRange].
func NewHistogramWithPrecision(sigfigs uint32, highest uint64) (*Histogram, error) {
	var p *C.ap_histogram
	var msg *C.char
	st := C.apgo_histogram_new_with_precision(C.uint32_t(sigfigs), C.uint64_t(highest), &p, &msg)
	if err := check("NewHistogramWithPrecision", st, msg); err != nil {
		return nil, err
	}
	return wrapHistogram(p), nil
}

// MustNewHistogram is like NewHistogram but panics on error.
func MustNewHistogram() *Histogram {
	h, err := NewHistogram()
	if err != nil {
		panic(err)
	}
	return h
}

// MustNewHistogramWithPrecision is like NewHistogramWithPrecision but panics on error.
func MustNewHistogramWithPrecision(sigfigs uint32, highest uint64) *Histogram {
	h, err := NewHistogramWithPrecision(sigfigs, highest)
	if err != nil {
		panic(err)
	}
	return h
}

func freeHistogram(p unsafe.Pointer) {
	C.ap_histogram_free((*C.ap_histogram)(p))
	handlesFreed.Add(1)
}

func wrapHistogram(p *C.ap_histogram) *Histogram {
	layout, ok := histogramCells(p)
	if !ok {
		// The library broke its own contract: nothing the caller can do about it.
		C.ap_histogram_free(p)
		panic("atomicperf: ap_histogram_layout returned an unusable description")
	}
	h := &Histogram{layout: layout}
	h.cellsRef = unsafe.Pointer(C.ap_histogram_clone(p))
	h.cells.Store(&h.layout)
	h.h.init(unsafe.Pointer(p), freeHistogram)
	h.h.cleanup = runtime.AddCleanup(h, freeHistogram, unsafe.Pointer(p))
	runtime.AddCleanup(h, freeHistogram, h.cellsRef)
	return h
}

// Record records one value: a few atomic operations on the histogram's cells, no cgo call. It
// does nothing after Close.
func (h *Histogram) Record(v uint64) {
	if c := h.cells.Load(); c != nil {
		c.record(v, 1)
	}
	// h must stay reachable until the record is done: its cleanup frees the cells.
	runtime.KeepAlive(h)
}

// RecordN records v as if n times, without a cgo call. n == 0 does nothing, as does any call
// after Close.
func (h *Histogram) RecordN(v, n uint64) {
	if c := h.cells.Load(); c != nil && n > 0 {
		c.record(v, n)
	}
	runtime.KeepAlive(h)
}

// RecordMany records every value of vs with a single cgo call, which makes it much cheaper per
// value than calling Record in a loop. The library reads vs only during the call. It does
// nothing after Close or when vs is empty.
func (h *Histogram) RecordMany(vs []uint64) {
	if len(vs) == 0 {
		return
	}
	if p := (*C.ap_histogram)(h.h.acquire()); p != nil {
		C.ap_histogram_record_many(p, (*C.uint64_t)(unsafe.Pointer(unsafe.SliceData(vs))), C.size_t(len(vs)))
		h.h.release()
		runtime.KeepAlive(vs)
	}
}

// RecordDuration records d in nanoseconds, the histogram's default unit. A negative d is
// recorded as 0.
func (h *Histogram) RecordDuration(d time.Duration) {
	h.Record(uint64(max(d, 0)))
}

// Count returns the number of recorded values, or 0 after Close.
func (h *Histogram) Count() uint64 {
	var v C.uint64_t
	if p := (*C.ap_histogram)(h.h.acquire()); p != nil {
		C.ap_histogram_count(p, &v)
		h.h.release()
	}
	return uint64(v)
}

// Sum returns the sum of the recorded values (wrapping at 2^64), or 0 after Close.
func (h *Histogram) Sum() uint64 {
	var v C.uint64_t
	if p := (*C.ap_histogram)(h.h.acquire()); p != nil {
		C.ap_histogram_sum(p, &v)
		h.h.release()
	}
	return uint64(v)
}

// Min returns the smallest recorded value. ok is false when nothing was recorded, or after Close.
func (h *Histogram) Min() (v uint64, ok bool) {
	var out C.uint64_t
	if p := (*C.ap_histogram)(h.h.acquire()); p != nil {
		ok = C.ap_histogram_min(p, &out) == C.AP_OK
		h.h.release()
	}
	return uint64(out), ok
}

// Max returns the largest recorded value (clamped to the highest trackable value). ok is false
// when nothing was recorded, or after Close.
func (h *Histogram) Max() (v uint64, ok bool) {
	var out C.uint64_t
	if p := (*C.ap_histogram)(h.h.acquire()); p != nil {
		ok = C.ap_histogram_max(p, &out) == C.AP_OK
		h.h.release()
	}
	return uint64(out), ok
}

// Mean returns the arithmetic mean of the recorded values. ok is false when nothing was
// recorded, or after Close.
func (h *Histogram) Mean() (v float64, ok bool) {
	var out C.double
	if p := (*C.ap_histogram)(h.h.acquire()); p != nil {
		ok = C.ap_histogram_mean(p, &out) == C.AP_OK
		h.h.release()
	}
	return float64(out), ok
}

// Quantile returns the value at quantile q: 0 is the minimum, 0.5 the median, 1 the maximum.
// The error matches [ErrOutOfRange] when q is NaN or outside [0, 1], [ErrEmpty] when nothing
// was recorded, and is [ErrClosed] after Close.
func (h *Histogram) Quantile(q float64) (uint64, error) {
	p := (*C.ap_histogram)(h.h.acquire())
	if p == nil {
		return 0, ErrClosed
	}
	var out C.uint64_t
	var msg *C.char
	st := C.apgo_histogram_quantile(p, C.double(q), &out, &msg)
	h.h.release()
	if err := check("Histogram.Quantile", st, msg); err != nil {
		return 0, err
	}
	return uint64(out), nil
}

// OverflowCount returns how many values were above the highest trackable value and clamped to
// it, or 0 after Close.
func (h *Histogram) OverflowCount() uint64 {
	var v C.uint64_t
	if p := (*C.ap_histogram)(h.h.acquire()); p != nil {
		C.ap_histogram_overflow_count(p, &v)
		h.h.release()
	}
	return uint64(v)
}

// MemoryBytes returns the bytes the histogram occupies in C memory, or 0 after Close. The Go
// garbage collector does not see this memory: Close histograms you no longer need.
func (h *Histogram) MemoryBytes() int {
	var v C.size_t
	if p := (*C.ap_histogram)(h.h.acquire()); p != nil {
		C.ap_histogram_memory_bytes(p, &v)
		h.h.release()
	}
	return int(v)
}

// Snapshot returns a new, independent histogram holding a copy of the values recorded so far,
// so that several statistics can be read from one moment while recording goes on. Close the
// snapshot when done with it. The error is [ErrClosed] after Close.
func (h *Histogram) Snapshot() (*Histogram, error) {
	p := (*C.ap_histogram)(h.h.acquire())
	if p == nil {
		return nil, ErrClosed
	}
	var s *C.ap_histogram
	var msg *C.char
	st := C.apgo_histogram_snapshot(p, &s, &msg)
	h.h.release()
	if err := check("Histogram.Snapshot", st, msg); err != nil {
		return nil, err
	}
	return wrapHistogram(s), nil
}

// Merge adds every value of other to h; other is unchanged. The two may have different layouts
// (values are re-bucketed, and those above h's highest trackable value are clamped and counted
// as overflow). Merging a histogram into itself doubles it. The error is [ErrClosed] when
// either is closed, and matches [ErrNullHandle] when other is nil.
func (h *Histogram) Merge(other *Histogram) error {
	dst := (*C.ap_histogram)(h.h.acquire())
	if dst == nil {
		return ErrClosed
	}
	defer h.h.release()
	var src *C.ap_histogram
	if other != nil {
		if src = (*C.ap_histogram)(other.h.acquire()); src == nil {
			return ErrClosed
		}
		defer other.h.release()
	}
	var msg *C.char
	return check("Histogram.Merge", C.apgo_histogram_merge(dst, src, &msg), msg)
}

// Reset empties the histogram. Values recorded concurrently with Reset may be partly kept. It
// does nothing after Close.
func (h *Histogram) Reset() {
	if p := (*C.ap_histogram)(h.h.acquire()); p != nil {
		C.ap_histogram_reset(p)
		h.h.release()
	}
}

// Close releases the histogram's handle and stops recording. It is idempotent and safe to call
// concurrently with other methods: a Record racing with Close may or may not be counted. The
// cells are freed once the Histogram is unreachable (see the type documentation). Close always
// returns nil.
func (h *Histogram) Close() error {
	if h.h.registry {
		return nil // owned by a Registry (see Registry)
	}
	h.cells.Store(nil)
	h.h.close()
	return nil
}

// recordCgo is the cgo Record this type had before the direct path: one cgo call bracketed by
// the Close-safety bookkeeping. Kept for the benchmarks that measure what the direct path saves.
func (h *Histogram) recordCgo(v uint64) {
	if p := (*C.ap_histogram)(h.h.acquire()); p != nil {
		C.ap_histogram_record(p, C.uint64_t(v))
		h.h.release()
	}
}

// recordUnguarded is the bare cgo Record without the Close bookkeeping, for the benchmark that
// measures it.
func (h *Histogram) recordUnguarded(v uint64) {
	C.ap_histogram_record((*C.ap_histogram)(h.h.load()), C.uint64_t(v))
	runtime.KeepAlive(h)
}
