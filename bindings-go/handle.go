//go:build cgo

package atomicperf

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// handlesFreed counts C handles freed by Close or by a cleanup, for tests.
var handlesFreed atomic.Int64

// closedBit marks a handle as closed in handle.state; the bits below it count calls in flight.
const closedBit = 1 << 63

// handle owns one reference to a C handle (kept as unsafe.Pointer: cgo's incomplete struct types
// cannot be type arguments) and frees it exactly once, when the metric is closed
// and no call is using it any more, or when the metric is collected.
//
// Each call brackets its C call with acquire and release. Close sets closedBit and frees the
// handle at once if no call is in flight; otherwise the last call to release frees it. So Close
// never waits and never frees memory that another goroutine is still passing to C. The price is
// two atomic adds on the metric's own word per call.
//
// A handle set up with initPinned (a metric whose cells Go code updates directly, without a C
// call: Counter, Gauge) is never freed by Close: close and release only mark it closed, and the
// cleanup registered on the owner frees it once the owner is unreachable. The direct write path
// cannot take part in the acquire/release count without two shared atomic writes per update
// (the very cache-line traffic that striping avoids), so instead it relies on the garbage
// collector: a goroutine that can still write to the cells holds the owner (runtime.KeepAlive
// after the write), so the owner is reachable, its cleanup has not run, and the cells are
// alive. See Counter for the full argument.
type handle struct {
	state   atomic.Uint64
	ptr     unsafe.Pointer // the C handle; accessed atomically
	cleanup runtime.Cleanup
	free    func(unsafe.Pointer)
	pinned  bool // set by initPinned before the handle is shared; only the cleanup frees
	// registry: owned by a Registry, which hands this Go value to every look-up of the metric:
	// the metric's Close does nothing (its cleanup still frees the handle once unreachable).
	registry bool
}

// acquire returns the live C handle and registers a call in flight, or returns nil (and
// registers nothing) once the metric is closed. A non-nil result must be paired with release.
func (h *handle) acquire() unsafe.Pointer {
	if h.state.Add(1)&closedBit != 0 {
		h.release()
		return nil
	}
	return atomic.LoadPointer(&h.ptr)
}

// release ends a call registered by acquire.
func (h *handle) release() {
	if h.state.Add(^uint64(0)) == closedBit {
		h.destroy()
	}
}

// close marks the handle closed and frees it if no call is in flight. Safe to call many times
// and from many goroutines.
func (h *handle) close() {
	if h.state.Or(closedBit) == 0 {
		h.destroy()
	}
}

// destroy frees the C handle; the swap makes it happen once even when several goroutines see
// the closed, idle state. It does nothing for a pinned handle, which only the cleanup frees.
func (h *handle) destroy() {
	if h.pinned {
		return
	}
	if p := atomic.SwapPointer(&h.ptr, nil); p != nil {
		h.cleanup.Stop()
		h.free(p)
	}
}

// closed reports whether close was called.
func (h *handle) closed() bool {
	return h.state.Load()&closedBit != 0
}

// init stores the C handle p and the function that frees it. The caller then registers
// h.cleanup = runtime.AddCleanup(owner, free, p), so that a collected owner frees p.
func (h *handle) init(p unsafe.Pointer, free func(unsafe.Pointer)) {
	atomic.StorePointer(&h.ptr, p)
	h.free = free
}

// initPinned is init for a metric whose C memory Go code accesses directly: close only marks
// the handle closed (acquire returns nil from then on) and never frees it, and the caller's
// cleanup, registered as for init with runtime.AddCleanup(owner, free, p), is the only place
// that frees p: after the owner, and so every goroutine that could still reach the memory
// through it, is gone. Until then load keeps returning p, even after close.
func (h *handle) initPinned(p unsafe.Pointer, free func(unsafe.Pointer)) {
	h.pinned = true
	h.init(p, free)
}

// load returns the C handle without registering a call (nil once freed; a pinned handle is
// freed only by its cleanup, so load never returns nil for it).
func (h *handle) load() unsafe.Pointer {
	return atomic.LoadPointer(&h.ptr)
}
