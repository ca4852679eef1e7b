package atomicperf

/*
#cgo noescape ap_histogram_layout
#cgo nocallback ap_histogram_layout
#cgo noescape ap_timer_layout
#cgo nocallback ap_timer_layout
#cgo noescape ap_minmax_cells
#cgo nocallback ap_minmax_cells
#cgo noescape apgo_histogram_index_many
#cgo nocallback apgo_histogram_index_many
#include "apgo.h"

// The library's bucket index of each of n values, for the test that compares Go's index
// function with it: one cgo call per batch.
static void apgo_histogram_index_many(const ap_histogram *h, const uint64_t *vs, size_t *out,
		size_t n) {
	for (size_t i = 0; i < n; i++) {
		ap_histogram_index_of(h, vs[i], &out[i]);
	}
}
*/
import "C"

import (
	"math"
	"math/bits"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// This file writes the cells of a Histogram, a Timer and a MinMax directly, following the
// cell-layout contract of the C ABI (ap_histogram_cells, ap_timer_cells, ap_minmax_layout in
// atomicperf.h): the library describes once, at creation, where the cells are and the
// parameters of the bucket-index function, and from then on a record is a few sync/atomic
// operations on C memory, exactly those the library's own record performs, with no cgo call.
//
// Lifetime: a metric keeps a second owning reference to its C object (a clone of the handle),
// the cells reference, that only the cleanup registered on the Go value frees, once the value
// is unreachable. Close frees the metric's ordinary handle as before and stops the direct path
// (it stores nil in the metric's cells pointer), but the memory stays alive for any goroutine
// that is still in a Record: such a goroutine read the cells pointer from the Go value and keeps
// the value reachable (runtime.KeepAlive) until its last atomic operation, so the cleanup, and
// with it the free, cannot have run. This is Counter's argument (see "Why Close cannot free the
// cells" on Counter), with the memory released by the collector rather than by Close.

// histCells is ap_histogram_cells in Go types, with the cell addresses resolved.
type histCells struct {
	min, max, overflow unsafe.Pointer // *uint64 in C memory
	sums               unsafe.Pointer // sum stripe 0
	sumMask, sumStride uintptr
	buckets            unsafe.Pointer // bucket 0; bucket i is 8*i bytes further
	highest            uint64
	mask               uint64 // 2^(sub_bits+1) - 1
	subBits            int
}

// newHistCells checks and resolves the library's description; ok is false when it is unusable
// (a broken contract: the caller panics).
func newHistCells(c *C.ap_histogram_cells) (hc histCells, ok bool) {
	base := unsafe.Pointer(c.base)
	n := uintptr(c.sum_count)
	sub := int(c.sub_bits)
	hc = histCells{
		min:       unsafe.Add(base, uintptr(c.min_offset)),
		max:       unsafe.Add(base, uintptr(c.max_offset)),
		overflow:  unsafe.Add(base, uintptr(c.overflow_offset)),
		sums:      unsafe.Add(base, uintptr(c.sum_offset)),
		sumMask:   n - 1,
		sumStride: uintptr(c.sum_stride),
		buckets:   unsafe.Add(base, uintptr(c.bucket_offset)),
		highest:   uint64(c.highest),
		subBits:   sub,
	}
	if base == nil || n == 0 || n&(n-1) != 0 || hc.sumStride%8 != 0 || sub < 1 || sub > 32 {
		return hc, false
	}
	hc.mask = 1<<(sub+1) - 1
	for _, p := range []unsafe.Pointer{hc.min, hc.max, hc.overflow, hc.sums, hc.buckets} {
		if uintptr(p)%8 != 0 { // a uintptr only for the alignment test
			return hc, false
		}
	}
	// index is monotonic, so index(highest) + 1 buckets hold every value the writer records.
	return hc, uintptr(hc.index(hc.highest))+1 == uintptr(c.bucket_count)
}

// index is the bucket-index function of ap_histogram_cells for v <= highest.
func (c *histCells) index(v uint64) uintptr {
	k := 63 - bits.LeadingZeros64(v|c.mask) - c.subBits
	return uintptr(uint64(k)<<c.subBits + v>>k)
}

// addSaturating adds n to a count cell; a cell carried past MaxUint64 is set to MaxUint64, the
// contract's saturation rule (the library's add_saturating).
func addSaturating(p *uint64, n uint64) {
	if atomic.AddUint64(p, n) < n { // the new value wrapped: old + n > MaxUint64
		atomic.StoreUint64(p, math.MaxUint64)
	}
}

// lower compare-and-swaps *p down to v while v is below it.
func lower(p *uint64, v uint64) {
	for old := atomic.LoadUint64(p); v < old; old = atomic.LoadUint64(p) {
		if atomic.CompareAndSwapUint64(p, old, v) {
			return
		}
	}
}

// raise compare-and-swaps *p up to v while v is above it.
func raise(p *uint64, v uint64) {
	for old := atomic.LoadUint64(p); v > old; old = atomic.LoadUint64(p) {
		if atomic.CompareAndSwapUint64(p, old, v) {
			return
		}
	}
}

// record records v as if n (> 0) times, in the contract's order: overflow, extremes, sum, and
// the bucket last. The caller keeps the owner of the cells alive.
func (c *histCells) record(v, n uint64) {
	if v > c.highest {
		addSaturating((*uint64)(c.overflow), n)
		v = c.highest
	}
	// Loads first: most values are not new extremes, and a load leaves the line shared.
	if v < atomic.LoadUint64((*uint64)(c.min)) {
		lower((*uint64)(c.min), v)
	}
	if v > atomic.LoadUint64((*uint64)(c.max)) {
		raise((*uint64)(c.max), v)
	}
	// unsafe.Add within the cells the library described: the stripe index is masked to
	// sum_count, and index(v) < bucket_count for v <= highest (checked in newHistCells).
	atomic.AddUint64((*uint64)(unsafe.Add(c.sums, (stripeHint()&c.sumMask)*c.sumStride)), v*n)
	addSaturating((*uint64)(unsafe.Add(c.buckets, c.index(v)*8)), n)
}

// histogramCells asks the library where p's cells are.
func histogramCells(p *C.ap_histogram) (histCells, bool) {
	var out C.ap_histogram_cells
	if C.ap_histogram_layout(p, &out) != C.AP_OK {
		return histCells{}, false
	}
	return newHistCells(&out)
}

// timerCells are a Timer's duration histogram and error count.
type timerCells struct {
	durations histCells
	errors    unsafe.Pointer // *uint64 in C memory
}

func timerLayout(p *C.ap_timer) (timerCells, bool) {
	var out C.ap_timer_cells
	if C.ap_timer_layout(p, &out) != C.AP_OK {
		return timerCells{}, false
	}
	d, ok := newHistCells(&out.durations)
	errs := goCells(C.AP_OK, &out.errors)
	if !ok || errs.kind != cellCounterStripes || errs.count != 1 || !errs.valid() {
		return timerCells{}, false
	}
	return timerCells{durations: d, errors: unsafe.Add(errs.base, errs.offset)}, true
}

// minmaxCells are a MinMax's three cells.
type minmaxCells struct {
	min, max, recorded unsafe.Pointer // *uint64 in C memory
}

func minmaxLayout(p *C.ap_minmax) (minmaxCells, bool) {
	var out C.ap_minmax_layout
	if C.ap_minmax_cells(p, &out) != C.AP_OK || out.base == nil {
		return minmaxCells{}, false
	}
	base := unsafe.Pointer(out.base)
	m := minmaxCells{
		min:      unsafe.Add(base, uintptr(out.min_offset)),
		max:      unsafe.Add(base, uintptr(out.max_offset)),
		recorded: unsafe.Add(base, uintptr(out.recorded_offset)),
	}
	for _, c := range []unsafe.Pointer{m.min, m.max, m.recorded} {
		if uintptr(c)%8 != 0 {
			return minmaxCells{}, false
		}
	}
	return m, true
}

// record takes v into the extremes as ap_minmax_record does: min, max, then the flag.
func (m *minmaxCells) record(v uint64) {
	if v < atomic.LoadUint64((*uint64)(m.min)) {
		lower((*uint64)(m.min), v)
	}
	if v > atomic.LoadUint64((*uint64)(m.max)) {
		raise((*uint64)(m.max), v)
	}
	if atomic.LoadUint64((*uint64)(m.recorded)) == 0 {
		atomic.StoreUint64((*uint64)(m.recorded), 1)
	}
}

// indexOfMany writes the library's bucket index of each of vs to out (len(out) >= len(vs)),
// for the differential test of Go's index function.
func (h *Histogram) indexOfMany(vs []uint64, out []uintptr) {
	if len(vs) == 0 {
		return
	}
	C.apgo_histogram_index_many((*C.ap_histogram)(h.cellsRef),
		(*C.uint64_t)(unsafe.Pointer(unsafe.SliceData(vs))),
		(*C.size_t)(unsafe.Pointer(unsafe.SliceData(out))), C.size_t(len(vs)))
	runtime.KeepAlive(h)
	runtime.KeepAlive(vs)
	runtime.KeepAlive(out)
}

// goIndexOf returns the Go index function's answer for v, clamped as a record clamps it.
func (h *Histogram) goIndexOf(v uint64) uintptr {
	c := &h.layout
	return c.index(min(v, c.highest))
}
