package atomicperf

/*
#cgo pkg-config: atomicperf
#cgo noescape ap_counter_add_many
#cgo nocallback ap_counter_add_many
#cgo noescape ap_counter_get
#cgo nocallback ap_counter_get
#cgo noescape apgo_counter_new
#cgo nocallback apgo_counter_new
#cgo noescape apgo_counter_new_with_stripes
#cgo nocallback apgo_counter_new_with_stripes
#include "apgo.h"

static inline ap_status apgo_counter_new(ap_counter **out, char **msg) {
	return apgo_fail(ap_counter_new(out), msg);
}

static inline ap_status apgo_counter_new_with_stripes(size_t stripes, ap_counter **out, char **msg) {
	return apgo_fail(ap_counter_new_with_stripes(stripes, out), msg);
}
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// Counter is a monotonic uint64 counter, the lock-free replacement for a mutex-guarded or single
// atomic counter. It is striped over cache-padded cells in the C library, so increments from
// many threads do not contend on one cache line; Get sums the cells and is exact once writers
// stop.
//
// A Counter is safe for concurrent use. Each method is one cgo call; AddMany adds a whole slice
// in one call. Close releases the C memory (see the package documentation on lifetime).
type Counter struct {
	h handle
}

// NewCounter returns a counter at 0 with the library's default number of stripes.
func NewCounter() (*Counter, error) {
	var p *C.ap_counter
	var msg *C.char
	if err := check("NewCounter", C.apgo_counter_new(&p, &msg), msg); err != nil {
		return nil, err
	}
	return wrapCounter(p), nil
}

// NewCounterWithStripes returns a counter at 0 with n stripes, a power of two from 1 to 1024.
// Another n gives an error matching [ErrOutOfRange].
func NewCounterWithStripes(n int) (*Counter, error) {
	if n < 0 {
		n = 0 // rejected by the library with its own message
	}
	var p *C.ap_counter
	var msg *C.char
	if err := check("NewCounterWithStripes", C.apgo_counter_new_with_stripes(C.size_t(n), &p, &msg), msg); err != nil {
		return nil, err
	}
	return wrapCounter(p), nil
}

// MustNewCounter is like NewCounter but panics on error.
func MustNewCounter() *Counter {
	c, err := NewCounter()
	if err != nil {
		panic(err)
	}
	return c
}

// MustNewCounterWithStripes is like NewCounterWithStripes but panics on error.
func MustNewCounterWithStripes(n int) *Counter {
	c, err := NewCounterWithStripes(n)
	if err != nil {
		panic(err)
	}
	return c
}

func freeCounter(p unsafe.Pointer) {
	C.ap_counter_free((*C.ap_counter)(p))
	handlesFreed.Add(1)
}

func wrapCounter(p *C.ap_counter) *Counter {
	c := &Counter{}
	c.h.init(unsafe.Pointer(p), freeCounter)
	c.h.cleanup = runtime.AddCleanup(c, freeCounter, unsafe.Pointer(p))
	return c
}

// Inc adds 1. It does nothing after Close.
func (c *Counter) Inc() {
	if p := (*C.ap_counter)(c.h.acquire()); p != nil {
		C.ap_counter_inc(p)
		c.h.release()
	}
}

// Add adds n. It does nothing after Close.
func (c *Counter) Add(n uint64) {
	if p := (*C.ap_counter)(c.h.acquire()); p != nil {
		C.ap_counter_add(p, C.uint64_t(n))
		c.h.release()
	}
}

// AddMany adds every value of vs with a single cgo call, which makes it much cheaper per value
// than calling Add in a loop. The library reads vs only during the call. It does nothing after
// Close or when vs is empty.
func (c *Counter) AddMany(vs []uint64) {
	if len(vs) == 0 {
		return
	}
	if p := (*C.ap_counter)(c.h.acquire()); p != nil {
		C.ap_counter_add_many(p, (*C.uint64_t)(unsafe.Pointer(unsafe.SliceData(vs))), C.size_t(len(vs)))
		c.h.release()
		runtime.KeepAlive(vs)
	}
}

// Get returns the total: the sum of every stripe. Concurrent increments may or may not be
// included; once writers stop the total is exact. Get returns 0 after Close.
func (c *Counter) Get() uint64 {
	var v C.uint64_t
	if p := (*C.ap_counter)(c.h.acquire()); p != nil {
		C.ap_counter_get(p, &v)
		c.h.release()
	}
	return uint64(v)
}

// Close releases the counter's C memory. It is idempotent and safe to call concurrently with
// other methods; afterwards writes do nothing and Get returns 0. Close always returns nil.
func (c *Counter) Close() error {
	c.h.close()
	return nil
}

// incUnguarded is Inc without the Close bookkeeping: the bare cgo call, kept for the benchmark
// that measures what that bookkeeping costs.
func (c *Counter) incUnguarded() {
	C.ap_counter_inc((*C.ap_counter)(c.h.load()))
	runtime.KeepAlive(c)
}
