package atomicperf

/*
#cgo noescape ap_summary_record
#cgo nocallback ap_summary_record
#cgo noescape ap_summary_layout
#cgo nocallback ap_summary_layout
#cgo noescape ap_summary_entry_layout
#cgo nocallback ap_summary_entry_layout
#cgo noescape apgo_summary_new
#cgo nocallback apgo_summary_new
#cgo noescape apgo_registry_summary
#cgo nocallback apgo_registry_summary
#cgo noescape apgo_summary_quantile
#cgo nocallback apgo_summary_quantile
#include "apgo.h"

// apgo_summary_options fills o from the Go options; 0 (and quantiles with n_quantiles < 0)
// take the defaults.
static void apgo_summary_options(ap_summary_options *o, const double *quantiles,
		ptrdiff_t n_quantiles, uint64_t max_age_ns, uint32_t age_buckets, uint32_t figures,
		uint64_t highest, double scale) {
	ap_summary_options_default(o);
	if (n_quantiles >= 0) {
		o->quantiles = quantiles;
		o->n_quantiles = (size_t)n_quantiles;
	}
	if (max_age_ns != 0) o->max_age_ns = max_age_ns;
	if (age_buckets != 0) o->age_buckets = age_buckets;
	if (figures != 0) o->significant_figures = figures;
	if (highest != 0) o->highest = highest;
	if (scale != 0) o->scale = scale;
}

static ap_status apgo_summary_new(const double *quantiles, ptrdiff_t n_quantiles,
		uint64_t max_age_ns, uint32_t age_buckets, uint32_t figures, uint64_t highest,
		ap_summary **out, char **msg) {
	ap_summary_options o;
	apgo_summary_options(&o, quantiles, n_quantiles, max_age_ns, age_buckets, figures, highest, 0);
	return apgo_fail(ap_summary_new(&o, out), msg);
}

// apgo_registry_summary gets or creates a summary of a registry, described by `packed` (see
// apgo_lookup in apgo.h).
static ap_status apgo_registry_summary(const ap_registry *r, const char *packed, size_t n_labels,
		const double *quantiles, ptrdiff_t n_quantiles, uint64_t max_age_ns,
		uint32_t age_buckets, uint32_t figures, uint64_t highest, double scale,
		ap_summary **out, char **msg) {
	apgo_lookup l;
	ap_status s = apgo_lookup_unpack(&l, packed, n_labels, msg);
	if (s != AP_OK) {
		return s;
	}
	ap_summary_options o;
	apgo_summary_options(&o, quantiles, n_quantiles, max_age_ns, age_buckets, figures, highest,
	                     scale);
	s = ap_registry_summary(r, l.name, l.help, l.names, l.values, n_labels, &o, out);
	apgo_lookup_free(&l);
	return apgo_fail(s, msg);
}

static inline ap_status apgo_summary_quantile(const ap_summary *s, double q, uint64_t *out,
		char **msg) {
	return apgo_fail(ap_summary_quantile(s, q, out), msg);
}
*/
import "C"

import (
	"math"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// SummaryOpts lays out a [Summary]: the quantiles it reports over a sliding window of time
// (client_golang's Objectives, MaxAge and AgeBuckets), the precision of its histograms and, in a
// [Registry], the factor from recorded values to exported ones. Zero fields take the defaults.
type SummaryOpts struct {
	// Quantiles reported, each in [0, 1], none twice (any order). nil: 0.5, 0.9 and 0.99; an
	// empty, non-nil slice: none (only _sum and _count are exported).
	Quantiles []float64
	// MaxAge is how long a value counts towards the quantiles (default 10 minutes).
	MaxAge time.Duration
	// AgeBuckets is in how many steps the window slides: values leave it MaxAge/AgeBuckets at a
	// time (1 to 255, default 5; each step at least 1 ms).
	AgeBuckets uint32
	// SignificantFigures of the histograms, 1 to 5 (default 2: quantiles within 0.78%).
	SignificantFigures uint8
	// Highest trackable value; larger values are clamped to it (default 60 s in ns).
	Highest uint64
	// Scale: exported value = recorded value × Scale (default 1e-9: record nanoseconds, export
	// seconds). Used by [Registry.Summary] only.
	Scale float64
}

// quantilesArg returns the C arguments of the quantiles: pointer and count (-1: the defaults).
func (o *SummaryOpts) quantilesArg() (*C.double, C.ptrdiff_t) {
	if o.Quantiles == nil {
		return nil, -1
	}
	return (*C.double)(unsafe.Pointer(unsafe.SliceData(o.Quantiles))), C.ptrdiff_t(len(o.Quantiles))
}

// maxAgeNs is MaxAge in nanoseconds; a negative one is passed as 1 ns, which the library refuses.
func (o *SummaryOpts) maxAgeNs() C.uint64_t {
	if o.MaxAge < 0 {
		return 1
	}
	return C.uint64_t(o.MaxAge)
}

// cacheKey is the registry look-up cache's key for these options (the cache compares
// HistogramOpts).
func (o *SummaryOpts) cacheKey() HistogramOpts {
	b := append([]float64(nil), o.Quantiles...)
	if o.Quantiles == nil {
		b = append(b, math.NaN())
	}
	b = append(b, float64(o.MaxAge), float64(o.AgeBuckets), float64(o.SignificantFigures), float64(o.Highest))
	return HistogramOpts{Buckets: b, Scale: o.Scale}
}

// Summary reports quantiles over a sliding window of time, with the count and sum of every
// value ever recorded: client_golang's Summary (objectives over MaxAge, sliding by AgeBuckets),
// except that recording is lock-free and costs about a [Histogram] record. Values are uint64
// (nanoseconds for durations); quantiles are within the histograms' precision and the window
// slides by MaxAge/AgeBuckets.
//
// Record makes no cgo call, except at the start of each age bucket: it loads the summary's
// current word (which age bucket is current and which histogram of the ring holds it) and, while
// Go holds that word as still running, records into that histogram's C cells exactly as
// [Histogram.Record] does (see ap_summary_cells in atomicperf.h). At the start of a bucket it
// calls the library, which claims a histogram for it; Go then reads the clock once and holds the
// new word until a timer set for the bucket's end fires. No clock is read per record: on a
// virtual machine reading CLOCK_MONOTONIC costs more than a histogram record.
//
// As in the library, a record made as the bucket changes may land in the bucket before; in Go
// that lasts until the timer has fired (Go timers fire at or a little after their deadline).
//
// A Summary is safe for concurrent use. Close releases the handle (a Summary owned by a
// [Registry] ignores Close); Record does nothing after it. As for a Histogram, the C memory
// itself is freed once the Summary is unreachable, since a Record racing with Close may still be
// writing it.
type Summary struct {
	// Read by every Record: &layout, or nil once closed or when the library's clock is not one Go
	// can read (then every Record is a cgo call). Accessed atomically.
	cells    atomic.Pointer[summaryCells]
	layout   summaryCells
	cellsRef unsafe.Pointer // a clone of the handle that keeps the cells alive; freed by a cleanup
	// Keeps the words above off the cache line of h.state, which every cgo call writes.
	_ [64]byte
	h handle
}

// noWord is a held word that never equals the current word (whose slot, in ns / slot length,
// stays far below 2^48).
const noWord = ^uint64(0)

// heldWord is the current word Go records under while its slot runs, or noWord. Its own
// allocation (a cache line) so that the timer that clears it does not keep the Summary
// reachable, and so that no other variable shares its line.
type heldWord struct {
	atomic.Uint64
	_ [56]byte
}

// summaryCells is ap_summary_cells in Go types, with every ring entry's cells resolved.
type summaryCells struct {
	held      *heldWord
	current   unsafe.Pointer // *uint64 in C memory: slot << indexBits | entry index
	slotNs    uint64
	indexBits uint
	indexMask uint64
	entries   []histCells
}

// summaryLayout asks the library where p's current word and ring cells are. direct is false when
// the summary's clock is not the system's monotonic clock (Go reads CLOCK_MONOTONIC through
// runtime.nanotime on Linux only); ok is false when the description is unusable (a broken
// contract: the caller panics).
func summaryLayout(p *C.ap_summary) (sc summaryCells, direct, ok bool) {
	var out C.ap_summary_cells
	if C.ap_summary_layout(p, &out) != C.AP_OK {
		return sc, false, false
	}
	if out.clock != C.AP_SUMMARY_CLOCK_MONOTONIC || runtime.GOOS != "linux" {
		return sc, false, true
	}
	bits := uint(out.index_bits)
	n := int(out.entry_count)
	if out.current == nil || uintptr(out.current)%8 != 0 || out.slot_ns == 0 || bits < 1 || bits > 32 ||
		n < 1 || uint64(n) > 1<<bits {
		return sc, false, false
	}
	sc = summaryCells{
		held:      &heldWord{},
		current:   unsafe.Pointer(out.current),
		slotNs:    uint64(out.slot_ns),
		indexBits: bits,
		indexMask: 1<<bits - 1,
		entries:   make([]histCells, n),
	}
	sc.held.Store(noWord)
	for i := range sc.entries {
		var e C.ap_histogram_cells
		if C.ap_summary_entry_layout(p, C.size_t(i), &e) != C.AP_OK {
			return sc, false, false
		}
		if sc.entries[i], ok = newHistCells(&e); !ok {
			return sc, false, false
		}
	}
	return sc, true, true
}

// record records v into the current entry's cells while Go holds the current word as running
// (the steps of ap_summary_cells, with the clock test done once per slot by hold and its timer);
// false otherwise: the caller makes the cgo call, which claims the new slot's entry, then calls
// hold. The caller keeps the owner of the cells alive.
func (c *summaryCells) record(v uint64) bool {
	w := c.held.Load()
	if w != atomic.LoadUint64((*uint64)(c.current)) {
		return false // noWord, or another writer has moved the ring on
	}
	c.entries[w&c.indexMask].record(v, 1) // hold only holds an index below len(entries)
	return true
}

// hold lets record write under the current word until its slot ends: when CLOCK_MONOTONIC is
// within the word's slot, it holds the word and sets a timer for the slot's end that lets go of
// it. Otherwise (the clock is past the slot: the library's coarse clock, a tick behind, has not
// seen the change yet) records keep calling the library, whose next record claims the new slot.
//
// The clock test is ap_summary_cells' step 4, done once per slot instead of once per record:
// while the word is held its slot is running, up to the timer's lateness. A stale caller cannot
// hold an older word: the current word only moves forward, and its slot is then in the past.
func (c *summaryCells) hold() {
	w := atomic.LoadUint64((*uint64)(c.current))
	old := c.held.Load()
	if old == w || w&c.indexMask >= uint64(len(c.entries)) {
		return
	}
	elapsed := uint64(nanotime()) - (w>>c.indexBits)*c.slotNs
	if elapsed >= c.slotNs || !c.held.CompareAndSwap(old, w) {
		return
	}
	held := c.held // not c: the pending timer must not keep the Summary reachable
	time.AfterFunc(time.Duration(c.slotNs-elapsed), func() { held.CompareAndSwap(w, noWord) })
}

// nanotime is the runtime's CLOCK_MONOTONIC reading in nanoseconds, the clock of
// ap_summary_cells and of Go's timers. time.Now's monotonic reading is offset from the process
// start, so it cannot be compared with the library's slots. The runtime keeps nanotime reachable
// by go:linkname on purpose (go.dev/issue/67401: "Do not remove or change the type signature"),
// as it does procPin (see stripeHint).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// NewSummary returns an empty summary laid out by opts (Scale is ignored). Bad options give an
// error matching [ErrOutOfRange] that says which.
func NewSummary(opts SummaryOpts) (*Summary, error) {
	q, n := opts.quantilesArg()
	var p *C.ap_summary
	var msg *C.char
	st := C.apgo_summary_new(q, n, opts.maxAgeNs(), C.uint32_t(opts.AgeBuckets),
		C.uint32_t(opts.SignificantFigures), C.uint64_t(opts.Highest), &p, &msg)
	runtime.KeepAlive(opts.Quantiles)
	if err := check("NewSummary", st, msg); err != nil {
		return nil, err
	}
	return wrapSummary(p), nil
}

// MustNewSummary is like NewSummary but panics on error.
func MustNewSummary(opts SummaryOpts) *Summary {
	s, err := NewSummary(opts)
	if err != nil {
		panic(err)
	}
	return s
}

func wrapSummary(p *C.ap_summary) *Summary {
	layout, direct, ok := summaryLayout(p)
	if !ok {
		// The library broke its own contract: nothing the caller can do about it.
		C.ap_summary_free(p)
		panic("atomicperf: ap_summary_layout returned an unusable description")
	}
	s := &Summary{}
	if direct {
		s.layout = layout
		s.cellsRef = unsafe.Pointer(C.ap_summary_clone(p))
		s.layout.hold()
		s.cells.Store(&s.layout)
		runtime.AddCleanup(s, freeSummary, s.cellsRef)
	}
	s.h.init(unsafe.Pointer(p), freeSummary)
	s.h.cleanup = runtime.AddCleanup(s, freeSummary, unsafe.Pointer(p))
	return s
}

func freeSummary(p unsafe.Pointer) {
	C.ap_summary_free((*C.ap_summary)(p))
	handlesFreed.Add(1)
}

// Record records one value (nanoseconds, for a duration): a few atomic operations on the current
// histogram's cells, without a cgo call unless the age bucket has just changed. It does nothing
// after Close.
func (s *Summary) Record(v uint64) {
	if c := s.cells.Load(); c == nil {
		s.recordCgo(v)
	} else if !c.record(v) {
		s.recordCgo(v)
		c.hold()
	}
	// s must stay reachable until the record is done: its cleanup frees the cells.
	runtime.KeepAlive(s)
}

// recordCgo records v with one cgo call (the library claims the new slot's histogram when the
// slot has changed), bracketed by the Close-safety bookkeeping: what Record was before the direct
// path, kept for a slot change, a clock Go cannot read, and the benchmarks.
func (s *Summary) recordCgo(v uint64) {
	if p := (*C.ap_summary)(s.h.acquire()); p != nil {
		C.ap_summary_record(p, C.uint64_t(v))
		s.h.release()
	}
}

// RecordDuration records d in nanoseconds (a negative d as 0).
func (s *Summary) RecordDuration(d time.Duration) {
	s.Record(uint64(max(d, 0)))
}

// Quantile returns the value at quantile q (0 to 1) of the values in the window. The error
// matches [ErrOutOfRange] for q outside [0, 1] or NaN, [ErrEmpty] when the window holds no
// value, and [ErrClosed] after Close.
func (s *Summary) Quantile(q float64) (uint64, error) {
	p := (*C.ap_summary)(s.h.acquire())
	if p == nil {
		return 0, ErrClosed
	}
	var out C.uint64_t
	var msg *C.char
	st := C.apgo_summary_quantile(p, C.double(q), &out, &msg)
	s.h.release()
	if err := check("Summary.Quantile", st, msg); err != nil {
		return 0, err
	}
	return uint64(out), nil
}

func (s *Summary) stat(f func(*C.ap_summary, *C.uint64_t) C.ap_status) uint64 {
	var v C.uint64_t
	if p := (*C.ap_summary)(s.h.acquire()); p != nil {
		f(p, &v)
		s.h.release()
	}
	return uint64(v)
}

// Count returns the number of values recorded since creation (over all time, as
// client_golang's), or 0 after Close.
func (s *Summary) Count() uint64 {
	return s.stat(func(p *C.ap_summary, v *C.uint64_t) C.ap_status { return C.ap_summary_count(p, v) })
}

// Sum returns the sum of the values recorded since creation (wrapping at 2^64), or 0 after
// Close.
func (s *Summary) Sum() uint64 {
	return s.stat(func(p *C.ap_summary, v *C.uint64_t) C.ap_status { return C.ap_summary_sum(p, v) })
}

// WindowCount returns the number of values in the window now, or 0 after Close.
func (s *Summary) WindowCount() uint64 {
	return s.stat(func(p *C.ap_summary, v *C.uint64_t) C.ap_status { return C.ap_summary_window_count(p, v) })
}

// Close releases the summary; later calls do nothing or return [ErrClosed]. A summary owned by a
// [Registry] ignores Close.
func (s *Summary) Close() error {
	if s.h.registry {
		return nil
	}
	s.cells.Store(nil)
	s.h.close()
	return nil
}

// regSummary is the look-up cache's kind for summaries (apart from apgo.h's APGO_REG_*).
const regSummary C.int = 64

// Summary returns the summary name with labels, creating it if absent; opts lays out a new
// family and is ignored for an existing one. It is exported as name{quantile="..."} per
// quantile over the window, name_sum and name_count over all time (values recorded in
// nanoseconds are exported in seconds by default). The label quantile is reserved. Errors as
// [Registry.Counter], an error matching [ErrOutOfRange] for bad options and
// [ErrInvalidArgument] for a negative Scale.
func (r *Registry) Summary(name, help string, labels Labels, opts SummaryOpts) (*Summary, error) {
	key := opts.cacheKey()
	const op = "Registry.Summary"
	return cachedLookup(&r.h, &r.cache, regSummary, name, help, labels, &key, func() (unsafe.Pointer, error) {
		var stack [packLen]byte
		packed, err := pack(op, name, help, labels, &stack)
		if err != nil {
			return nil, err
		}
		rp := (*C.ap_registry)(r.h.acquire())
		if rp == nil {
			return nil, ErrClosed
		}
		defer r.h.release()
		q, n := opts.quantilesArg()
		var out *C.ap_summary
		var msg *C.char
		st := C.apgo_registry_summary(rp, (*C.char)(unsafe.Pointer(unsafe.SliceData(packed))),
			C.size_t(len(labels)), q, n, opts.maxAgeNs(), C.uint32_t(opts.AgeBuckets),
			C.uint32_t(opts.SignificantFigures), C.uint64_t(opts.Highest), C.double(opts.Scale),
			&out, &msg)
		runtime.KeepAlive(opts.Quantiles)
		if err := check(op, st, msg); err != nil {
			return nil, err
		}
		return unsafe.Pointer(out), nil
	}, func(p unsafe.Pointer) (*Summary, *handle) {
		s := wrapSummary((*C.ap_summary)(p))
		return s, &s.h
	})
}

// MustSummary is like Summary but panics on error.
func (r *Registry) MustSummary(name, help string, labels Labels, opts SummaryOpts) *Summary {
	return mustMetric(r.Summary(name, help, labels, opts))
}
