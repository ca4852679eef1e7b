package atomicperf

/*
#cgo noescape ap_counter_add_many
#cgo nocallback ap_counter_add_many
#cgo noescape ap_counter_get
#cgo nocallback ap_counter_get
#cgo noescape ap_counter_cells
#cgo nocallback ap_counter_cells
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
	"os"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Counter is a monotonic uint64 counter, the lock-free replacement for a mutex-guarded or single
// atomic counter. It is striped over cache-padded cells in the C library, so increments from
// many goroutines do not contend on one cache line; Get sums the cells and is exact once writers
// stop.
//
// A Counter is safe for concurrent use. Inc and Add make no cgo call: they add to one of the
// counter's cells in C memory with sync/atomic (about the cost of atomic.AddUint64 on a Go
// variable). Get and AddMany are one cgo call each. Close stops counting (see Close).
//
// # Writing the cells directly
//
// At creation the counter asks the library once, with ap_counter_cells, where its stripes are:
// count cells (a power of two), stride bytes apart, each a uint64 that foreign code may only add
// to atomically (AP_CELL_COUNTER_STRIPES). Inc then picks a stripe (see stripeHint) and calls
// atomic.AddUint64 on it; the library sums the stripes in ap_counter_get.
//
// Why the unsafe.Pointer use is valid:
//   - The cells are C memory (Rust's allocation behind the handle). The Go garbage collector
//     neither scans nor moves memory outside its heap, so a Go unsafe.Pointer to it stays valid
//     for as long as the C library keeps it allocated, which ap_cells documents as "while the
//     handle or a clone is alive", at the same address.
//   - The address of a cell is computed with unsafe.Add from the base pointer, never by turning
//     a uintptr back into a pointer, which is the form go vet's unsafeptr check and the
//     -race/-d=checkptr instrumentation accept.
//   - Only atomic adds touch the cells, as AP_CELL_COUNTER_STRIPES requires, so Go and Rust
//     writers and Rust's readers agree on them (both are sequentially consistent or relaxed
//     atomics on the same 8-byte-aligned word).
//
// # Why Close cannot free the cells, and when they are freed
//
// The cgo methods keep Close safe by counting calls in flight (handle.acquire/release), at the
// price of two atomic adds on one word shared by every goroutine that uses the counter. Doing
// that around a direct add would cost more than the add and bring back the cache-line
// contention that the stripes remove. So the direct path registers nothing, and the counter's
// handle is pinned (handle.initPinned): Close only marks the counter closed, and the C handle,
// and with it the cells, is freed by the cleanup registered with runtime.AddCleanup when the
// Counter becomes unreachable. A goroutine that can still write to the cells is in a method of
// c, which reads the cells' address from c and calls runtime.KeepAlive(c) after the atomic add;
// so c is reachable, its cleanup has not run, and the cells are alive. No shared write, no
// epoch, and no use after free. The cost is that Close releases no memory by itself: a closed
// counter's cells (stripes × 128 bytes) live until the garbage collector finds the Counter
// unreachable, as for a counter that is never closed.
type Counter struct {
	// Read by every Inc and Add; written at creation and, for cells, by Close.
	cells  unsafe.Pointer // stripe 0, in C memory; nil once closed (accessed atomically)
	mask   uintptr        // number of stripes - 1
	stride uintptr        // bytes from one stripe to the next
	// Keeps the words above off the cache line of h.state, which every cgo call writes.
	_ [64]byte
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
	cells := counterCells(p)
	if cells.kind != cellCounterStripes || !cells.valid() {
		// The library broke its own contract: nothing the caller can do about it.
		C.ap_counter_free(p)
		panic("atomicperf: ap_counter_cells returned an unusable description")
	}
	c := &Counter{
		cells:  unsafe.Add(cells.base, cells.offset),
		mask:   cells.count - 1,
		stride: cells.stride,
	}
	c.h.initPinned(unsafe.Pointer(p), freeCounter)
	c.h.cleanup = runtime.AddCleanup(c, freeCounter, unsafe.Pointer(p))
	return c
}

// Kinds of cells (ap_cell_kind).
const (
	cellCounterStripes = C.AP_CELL_COUNTER_STRIPES
	cellGaugeBits      = C.AP_CELL_GAUGE_BITS
)

// cellsDesc is ap_cells in Go types: cell i is the uint64 at base + offset + i*stride.
type cellsDesc struct {
	base                  unsafe.Pointer
	offset, count, stride uintptr
	kind                  uint32
}

// valid reports whether the direct paths can use the cells: a non-nil, 8-byte-aligned first
// cell, a power-of-two count and, for more than one cell, a stride that is a non-zero multiple
// of 8.
func (d cellsDesc) valid() bool {
	first := uintptr(d.base) + d.offset // a uintptr only for the alignment test
	return d.base != nil && first%8 == 0 && d.count > 0 && d.count&(d.count-1) == 0 &&
		(d.count == 1 || (d.stride > 0 && d.stride%8 == 0))
}

func goCells(st C.ap_status, c *C.ap_cells) cellsDesc {
	if st != C.AP_OK {
		return cellsDesc{}
	}
	return cellsDesc{
		base:   unsafe.Pointer(c.base),
		offset: uintptr(c.offset),
		count:  uintptr(c.count),
		stride: uintptr(c.stride),
		kind:   uint32(c.kind),
	}
}

// counterCells asks the library where the stripes of p are (the zero cellsDesc on failure).
func counterCells(p *C.ap_counter) cellsDesc {
	var out C.ap_cells
	return goCells(C.ap_counter_cells(p, &out), &out)
}

// describeCells returns the library's description of c's stripes, for tests. It stays valid
// while c is reachable.
func (c *Counter) describeCells() cellsDesc {
	d := counterCells((*C.ap_counter)(c.h.load()))
	runtime.KeepAlive(c)
	return d
}

// stripeHint returns a number that differs between goroutines running at the same time, without
// a cgo call and without writing shared memory, for picking a stripe: the id of the P
// (processor) the goroutine runs on, plus a per-process offset.
//
// Go exposes no goroutine, thread or P id in its API. Of the ways to get one:
//   - a per-counter atomic round-robin index is a shared write per update: the contention that
//     striping exists to remove;
//   - a sync.Pool of stripe indices gives P affinity (pools are per P), but Get plus Put costs
//     more than the atomic add itself (measured in BenchmarkStripeChoice);
//   - a hash of a stack address spreads goroutines over the stripes, but two running goroutines
//     share a stripe with probability about 1/stripes: about a quarter of the runs of
//     BenchmarkCounterIncParallel/direct on a 2-CPU machine (4 stripes) were twice as slow;
//   - runtime.procPin returns the P id. It is what sync.Pool itself uses, and the runtime keeps
//     it reachable by go:linkname on purpose (go.dev/issue/67401: "Do not remove or change the
//     type signature"), so `go build`'s -checklinkname accepts it.
//
// stripeHint uses procPin. Running goroutines are on distinct Ps, numbered 0 to GOMAXPROCS-1,
// and the library makes at least as many stripes as CPUs: goroutines that run at the same time
// never share a stripe unless GOMAXPROCS exceeds the stripes. The goroutine is unpinned before
// the caller's atomic operation: if it moves to another P meanwhile, it only contends, never
// loses a count (any stripe is correct).
//
// stripeSalt is added to the P id: the cells of a [SharedRegistry] counter are shared by
// processes, whose Ps are numbered alike, which would put P 0 of every process on one stripe.
func stripeHint() uintptr {
	p := procPin()
	procUnpin()
	return uintptr(p) + stripeSalt
}

//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// stripeSalt is this process's stripe offset: its id, mixed by a Fibonacci multiply (Go
// processes do not fork, so it never changes).
var stripeSalt = uintptr(uint64(os.Getpid()) * 0x9E3779B97F4A7C15 >> 40)

// stripe returns the address of the stripe this goroutine adds to, or nil once closed. The
// caller must keep c alive (runtime.KeepAlive(c)) until its last use of the address.
func (c *Counter) stripe() *uint64 {
	base := atomic.LoadPointer(&c.cells)
	if base == nil {
		return nil
	}
	// unsafe.Add on a pointer into C memory: base is a cell the library handed out, and
	// (hint & mask) * stride stays within the count cells it described.
	return (*uint64)(unsafe.Add(base, (stripeHint()&c.mask)*c.stride))
}

// Inc adds 1, with an atomic add on one of the counter's cells (no cgo call). It does nothing
// after Close.
func (c *Counter) Inc() {
	if p := c.stripe(); p != nil {
		atomic.AddUint64(p, 1)
	}
	// c must stay reachable until the add is done: its cleanup frees the cells.
	runtime.KeepAlive(c)
}

// Add adds n, with an atomic add on one of the counter's cells (no cgo call). It does nothing
// after Close.
func (c *Counter) Add(n uint64) {
	if p := c.stripe(); p != nil {
		atomic.AddUint64(p, n)
	}
	runtime.KeepAlive(c)
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

// Close stops the counter: it is idempotent and safe to call concurrently with other methods;
// afterwards writes do nothing and Get returns 0. An Inc or Add racing with Close may or may not
// be counted; every one that returned before Close was called is. Close does not free the
// counter's C memory, because another goroutine may be about to add to it without any
// bookkeeping (see "Why Close cannot free the cells" on Counter): the memory is freed when the
// Counter becomes unreachable. Close always returns nil.
func (c *Counter) Close() error {
	if c.h.registry {
		return nil // owned by a Registry (see Registry)
	}
	atomic.StorePointer(&c.cells, nil)
	c.h.close()
	return nil
}

// incCgo is the cgo Inc this type had before the direct path: one cgo call bracketed by the
// Close-safety bookkeeping. Kept for the benchmarks that measure what the direct path saves.
func (c *Counter) incCgo() {
	if p := (*C.ap_counter)(c.h.acquire()); p != nil {
		C.ap_counter_inc(p)
		c.h.release()
	}
}

// addCgo is the cgo Add, kept for benchmarks like incCgo.
func (c *Counter) addCgo(n uint64) {
	if p := (*C.ap_counter)(c.h.acquire()); p != nil {
		C.ap_counter_add(p, C.uint64_t(n))
		c.h.release()
	}
}

// incUnguarded is the bare cgo call, without the Close bookkeeping, kept for the benchmark that
// measures what that bookkeeping costs.
func (c *Counter) incUnguarded() {
	C.ap_counter_inc((*C.ap_counter)(c.h.load()))
	runtime.KeepAlive(c)
}
