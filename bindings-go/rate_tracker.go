package atomicperf

/*
#cgo noescape apgo_rate_tracker_new
#cgo nocallback apgo_rate_tracker_new
#cgo noescape apgo_rate_tracker_rates
#cgo nocallback apgo_rate_tracker_rates
#include "apgo.h"

static inline ap_status apgo_rate_tracker_new(const ap_counter *const *counters, size_t len,
		ap_rate_tracker **out, char **msg) {
	return apgo_fail(ap_rate_tracker_new(counters, len, out), msg);
}

static inline ap_status apgo_rate_tracker_rates(const ap_rate_tracker *t, double *per_second,
		uint64_t *deltas, size_t capacity, size_t *len, char **msg) {
	return apgo_fail(ap_rate_tracker_rates(t, per_second, deltas, capacity, len), msg);
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"slices"
	"unsafe"
)

// RateTracker turns a set of counters into rates: each call to Rates returns, for every
// counter, how much it grew since the previous call and that growth per second. It replaces a
// mutex around "previous snapshot and time": the previous snapshot is swapped atomically in the
// C library, so goroutines asking for rates at once never wait for each other (each gets the
// rates over the interval since whichever snapshot it saw).
//
// The tracker keeps its own reference to every counter: closing a [Counter] after creating the
// tracker leaves the tracker working. A RateTracker is safe for concurrent use. Close releases
// the C memory (see the package documentation on lifetime).
type RateTracker struct {
	h     handle
	names []string
}

// Rate is the growth of one tracked counter between two calls of [RateTracker.Rates].
type Rate struct {
	Name      string  // the name given for the counter at creation
	Delta     uint64  // how much the counter grew over the interval
	PerSecond float64 // Delta per second of the interval
}

// NewRateTracker returns a tracker of counters, named by names in the same order; Rates
// reports them in that order. The error matches [ErrInvalidArgument] when the two slices have
// different lengths, [ErrNullHandle] when a counter is nil, and is [ErrClosed] when a counter
// is closed.
func NewRateTracker(names []string, counters []*Counter) (*RateTracker, error) {
	const op = "NewRateTracker"
	if len(names) != len(counters) {
		return nil, newError(op, CodeInvalidArgument,
			fmt.Sprintf("%d names for %d counters", len(names), len(counters)))
	}
	// The handles stay borrowed until the library has taken its own references.
	ptrs := make([]*C.ap_counter, len(counters))
	for i, c := range counters {
		p, done, ok := borrow(c)
		if !ok {
			return nil, ErrClosed
		}
		defer done()
		ptrs[i] = (*C.ap_counter)(p)
	}
	var t *C.ap_rate_tracker
	var msg *C.char
	st := C.apgo_rate_tracker_new(unsafe.SliceData(ptrs), C.size_t(len(ptrs)), &t, &msg)
	if err := check(op, st, msg); err != nil {
		return nil, err
	}
	r := &RateTracker{names: slices.Clone(names)}
	r.h.init(unsafe.Pointer(t), freeRateTracker)
	r.h.cleanup = runtime.AddCleanup(r, freeRateTracker, unsafe.Pointer(t))
	return r, nil
}

// NewRateTrackerOf is NewRateTracker for a map from name to counter; Rates reports the
// counters sorted by name.
func NewRateTrackerOf(counters map[string]*Counter) (*RateTracker, error) {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range counters {
			if !yield(n) {
				return
			}
		}
	})
	cs := make([]*Counter, len(names))
	for i, n := range names {
		cs[i] = counters[n]
	}
	return NewRateTracker(names, cs)
}

// MustNewRateTracker is like NewRateTracker but panics on error.
func MustNewRateTracker(names []string, counters []*Counter) *RateTracker {
	r, err := NewRateTracker(names, counters)
	if err != nil {
		panic(err)
	}
	return r
}

func freeRateTracker(p unsafe.Pointer) {
	C.ap_rate_tracker_free((*C.ap_rate_tracker)(p))
	handlesFreed.Add(1)
}

// Names returns the names of the tracked counters, in the order Rates reports them.
func (r *RateTracker) Names() []string {
	return slices.Clone(r.names)
}

// Rates returns, for every tracked counter in creation order, its growth and rate per second
// since the previous call from any goroutine. The first call starts the interval and reports
// zeros. The error is [ErrClosed] after Close.
func (r *RateTracker) Rates() ([]Rate, error) {
	n := len(r.names)
	perSecond := make([]float64, n)
	deltas := make([]uint64, n)
	p := (*C.ap_rate_tracker)(r.h.acquire())
	if p == nil {
		return nil, ErrClosed
	}
	var got C.size_t
	var msg *C.char
	st := C.apgo_rate_tracker_rates(p,
		(*C.double)(unsafe.Pointer(unsafe.SliceData(perSecond))),
		(*C.uint64_t)(unsafe.Pointer(unsafe.SliceData(deltas))),
		C.size_t(n), &got, &msg)
	r.h.release()
	if err := check("RateTracker.Rates", st, msg); err != nil {
		return nil, err
	}
	rates := make([]Rate, int(got))
	for i := range rates {
		rates[i] = Rate{Name: r.names[i], Delta: deltas[i], PerSecond: perSecond[i]}
	}
	return rates, nil
}

// Close releases the tracker's C memory and its references to the counters. It is idempotent
// and safe to call concurrently with Rates, which returns [ErrClosed] afterwards. Close always
// returns nil.
func (r *RateTracker) Close() error {
	r.h.close()
	return nil
}
