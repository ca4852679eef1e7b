package atomicperf

/*
#cgo noescape ap_snapshot_cell_revision
#cgo nocallback ap_snapshot_cell_revision
#cgo noescape ap_snapshot_cell_revision_cell
#cgo nocallback ap_snapshot_cell_revision_cell
#cgo noescape ap_snapshot_cell_age_ns
#cgo nocallback ap_snapshot_cell_age_ns
#cgo noescape ap_snapshot_cell_last_updated_unix_ns
#cgo nocallback ap_snapshot_cell_last_updated_unix_ns
#cgo noescape apgo_snapshot_cell_new
#cgo nocallback apgo_snapshot_cell_new
#cgo noescape apgo_snapshot_cell_load
#cgo nocallback apgo_snapshot_cell_load
#cgo noescape apgo_snapshot_cell_store
#cgo nocallback apgo_snapshot_cell_store
#cgo noescape apgo_snapshot_cell_compare_and_store
#cgo nocallback apgo_snapshot_cell_compare_and_store
#include "apgo.h"

static inline ap_status apgo_snapshot_cell_new(const uint8_t *value, size_t len,
		ap_snapshot_cell **out, char **msg) {
	return apgo_fail(ap_snapshot_cell_new(value, len, out), msg);
}

// As apgo_map_get: the binding retries AP_ERR_BUFFER_TOO_SMALL, so it copies no message.
static inline ap_status apgo_snapshot_cell_load(const ap_snapshot_cell *c, uint8_t *buf,
		size_t capacity, size_t *len, uint64_t *revision, char **msg) {
	ap_status s = ap_snapshot_cell_load(c, buf, capacity, len, revision);
	return s == AP_ERR_BUFFER_TOO_SMALL ? s : apgo_fail(s, msg);
}

static inline ap_status apgo_snapshot_cell_store(const ap_snapshot_cell *c, const uint8_t *value,
		size_t len, uint64_t *revision, char **msg) {
	return apgo_fail(ap_snapshot_cell_store(c, value, len, revision), msg);
}

static inline ap_status apgo_snapshot_cell_compare_and_store(const ap_snapshot_cell *c,
		uint64_t expected, const uint8_t *value, size_t len, uint64_t *revision, char **msg) {
	return apgo_fail(ap_snapshot_cell_compare_and_store(c, expected, value, len, revision), msg);
}
*/
import "C"

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// SnapshotCell holds one read-mostly value (a configuration, a rate table) that is replaced
// whole, the replacement for a value behind a sync.RWMutex whose refresh stalls every reader: a
// store swaps the value atomically in the C library (arc-swap), so loads never wait for a store
// or for each other. Each store gives the value a new revision, one more than the last; the
// revision and the time of the last store are readable without any lock, and CompareAndStore
// replaces the value only if nobody stored since a given revision (optimistic concurrency for a
// read-modify-write refresh).
//
// Values are byte strings, copied in by Store. A value and its revision always belong
// together: a Load returns a value with the revision it was stored under.
//
// A SnapshotCell is safe for concurrent use. Load is one atomic load while the value is
// unchanged: the library publishes the revision of the last completed store in a cell of its
// memory (ap_snapshot_cell_revision_cell), and each SnapshotCell value caches the last value it
// copied out with its revision, so Load compares the two and makes a cgo call (which copies the
// new value and caches it) only when the revision moved. The slice Load returns is that cached
// copy, shared by every Load of the same revision through this Go value: do not modify it
// (LoadCopy returns a copy of your own). A Load never returns an older revision than one this
// Go value already returned to any goroutine. The other methods are one cgo call each. Close
// stops the Go value (the methods that return an error then return [ErrClosed], and Revision,
// Age and LastUpdated return zero values); the C memory of the revision cell is freed once the
// SnapshotCell is unreachable, since a Load racing with Close may still read it.
type SnapshotCell struct {
	// Read by every Load: the published-revision cell in C memory, nil once closed.
	revCell atomic.Pointer[uint64]
	// The last value copied out, with its revision; only replaced by a later revision.
	cache    atomic.Pointer[snapshotValue]
	cellsRef unsafe.Pointer // a clone of the handle that keeps revCell alive; freed by a cleanup
	// Keeps the words above off the cache line of h.state, which every cgo call writes.
	_ [64]byte
	h handle
	// size is the length of the value last seen by this Go value, so that a copying load's
	// first try usually has a buffer large enough.
	size atomic.Int64
}

// snapshotValue is a value copied out of the cell and the revision it was stored under.
type snapshotValue struct {
	value    []byte
	revision uint64
}

// NewSnapshotCell returns a cell holding a copy of value, at revision 0.
func NewSnapshotCell(value []byte) (*SnapshotCell, error) {
	var p *C.ap_snapshot_cell
	var msg *C.char
	v, vn := bytesArg(value)
	if err := check("NewSnapshotCell", C.apgo_snapshot_cell_new(v, vn, &p, &msg), msg); err != nil {
		return nil, err
	}
	var out C.ap_cells
	d := goCells(C.ap_snapshot_cell_revision_cell(p, &out), &out)
	if d.kind != C.AP_CELL_REVISION || d.count != 1 || !d.valid() {
		// The library broke its own contract: nothing the caller can do about it.
		C.ap_snapshot_cell_free(p)
		panic("atomicperf: ap_snapshot_cell_revision_cell returned an unusable description")
	}
	c := &SnapshotCell{}
	c.size.Store(int64(len(value)))
	c.cellsRef = unsafe.Pointer(C.ap_snapshot_cell_clone(p))
	c.revCell.Store((*uint64)(unsafe.Add(d.base, d.offset)))
	c.h.init(unsafe.Pointer(p), freeSnapshotCell)
	c.h.cleanup = runtime.AddCleanup(c, freeSnapshotCell, unsafe.Pointer(p))
	runtime.AddCleanup(c, freeSnapshotCell, c.cellsRef)
	return c, nil
}

// MustNewSnapshotCell is like NewSnapshotCell but panics on error.
func MustNewSnapshotCell(value []byte) *SnapshotCell {
	c, err := NewSnapshotCell(value)
	if err != nil {
		panic(err)
	}
	return c
}

func freeSnapshotCell(p unsafe.Pointer) {
	C.ap_snapshot_cell_free((*C.ap_snapshot_cell)(p))
	handlesFreed.Add(1)
}

// Load returns the current value and the revision it was stored under: one atomic load and no
// allocation while the value is the one this Go value last copied out, otherwise one cgo call
// that copies and caches the new value. The slice is shared with every other Load of that
// revision: read it, do not modify it (see LoadCopy). An empty value gives a non-nil empty
// slice. The error is [ErrClosed] after Close.
func (c *SnapshotCell) Load() (value []byte, revision uint64, err error) {
	rc := c.revCell.Load()
	if rc == nil {
		return nil, 0, ErrClosed
	}
	rev := atomic.LoadUint64(rc)
	// c must stay reachable until the load of the cell is done: its cleanup frees it.
	runtime.KeepAlive(c)
	if v := c.cache.Load(); v != nil && v.revision == rev {
		return v.value, v.revision, nil
	}
	v, rev, err := c.loadCopy()
	if err != nil {
		return nil, 0, err
	}
	// Cache it unless a later revision is already cached: the cache only moves forward, so a
	// later Load never returns an older revision than this one.
	next := &snapshotValue{value: v, revision: rev}
	for {
		cur := c.cache.Load()
		if (cur != nil && cur.revision >= rev) || c.cache.CompareAndSwap(cur, next) {
			break
		}
	}
	return v, rev, nil
}

// LoadCopy is Load with a copy of the value that the caller owns: always one cgo call.
func (c *SnapshotCell) LoadCopy() (value []byte, revision uint64, err error) {
	return c.loadCopy()
}

// loadCopy copies the current value out of C memory, with its revision, in one cgo call.
func (c *SnapshotCell) loadCopy() (value []byte, revision uint64, err error) {
	p := (*C.ap_snapshot_cell)(c.h.acquire())
	if p == nil {
		return nil, 0, ErrClosed
	}
	defer c.h.release()
	buf := make([]byte, c.size.Load())
	for {
		var n C.size_t
		var rev C.uint64_t
		var msg *C.char
		b, capacity := bytesArg(buf)
		st := C.apgo_snapshot_cell_load(p, b, capacity, &n, &rev, &msg)
		if st == C.AP_ERR_BUFFER_TOO_SMALL {
			// A store made the value longer since this Go value last saw it.
			c.size.Store(int64(n))
			buf = make([]byte, int(n))
			continue
		}
		if err := check("SnapshotCell.Load", st, msg); err != nil {
			return nil, 0, err
		}
		if int(n) != len(buf) {
			c.size.Store(int64(n))
		}
		return buf[:n:n], uint64(rev), nil
	}
}

// Store replaces the value with a copy of value and returns its revision. The error is
// [ErrClosed] after Close.
func (c *SnapshotCell) Store(value []byte) (revision uint64, err error) {
	p := (*C.ap_snapshot_cell)(c.h.acquire())
	if p == nil {
		return 0, ErrClosed
	}
	var rev C.uint64_t
	var msg *C.char
	v, vn := bytesArg(value)
	st := C.apgo_snapshot_cell_store(p, v, vn, &rev, &msg)
	c.h.release()
	if err := check("SnapshotCell.Store", st, msg); err != nil {
		return 0, err
	}
	c.size.Store(int64(len(value)))
	return uint64(rev), nil
}

// CompareAndStore replaces the value with a copy of value only if the revision is still
// expected, and returns the new revision. When another store came first, nothing is stored, the
// error matches [ErrRevisionMismatch] and revision is the current one, to load and retry from:
//
//	for {
//		cfg, rev, _ := cell.Load()
//		if _, err := cell.CompareAndStore(rev, edit(cfg)); !errors.Is(err, ErrRevisionMismatch) {
//			return err
//		}
//	}
//
// The error is [ErrClosed] after Close.
func (c *SnapshotCell) CompareAndStore(expected uint64, value []byte) (revision uint64, err error) {
	p := (*C.ap_snapshot_cell)(c.h.acquire())
	if p == nil {
		return 0, ErrClosed
	}
	var rev C.uint64_t
	var msg *C.char
	v, vn := bytesArg(value)
	st := C.apgo_snapshot_cell_compare_and_store(p, C.uint64_t(expected), v, vn, &rev, &msg)
	c.h.release()
	if err := check("SnapshotCell.CompareAndStore", st, msg); err != nil {
		return uint64(rev), err
	}
	c.size.Store(int64(len(value)))
	return uint64(rev), nil
}

// Revision returns the current revision: 0 at creation, one more with each store (0 after
// Close).
func (c *SnapshotCell) Revision() uint64 {
	var out C.uint64_t
	if p := (*C.ap_snapshot_cell)(c.h.acquire()); p != nil {
		C.ap_snapshot_cell_revision(p, &out)
		c.h.release()
	}
	return uint64(out)
}

// Age returns the time since the last store, or since creation, by the monotonic clock (0 after
// Close).
func (c *SnapshotCell) Age() time.Duration {
	var out C.uint64_t
	if p := (*C.ap_snapshot_cell)(c.h.acquire()); p != nil {
		C.ap_snapshot_cell_age_ns(p, &out)
		c.h.release()
	}
	return time.Duration(min(uint64(out), 1<<63-1))
}

// LastUpdated returns the wall-clock time of the last store, or of creation (the zero Time
// after Close). Use Age to measure staleness: the wall clock may jump.
func (c *SnapshotCell) LastUpdated() time.Time {
	var out C.uint64_t
	p := (*C.ap_snapshot_cell)(c.h.acquire())
	if p == nil {
		return time.Time{}
	}
	C.ap_snapshot_cell_last_updated_unix_ns(p, &out)
	c.h.release()
	return time.Unix(0, int64(min(uint64(out), 1<<63-1)))
}

// Close releases the cell's handle (the revision cell is freed once the SnapshotCell is
// unreachable). It is idempotent and safe to call concurrently with other methods: a call in
// flight finishes on the live cell. Close always returns nil.
func (c *SnapshotCell) Close() error {
	c.revCell.Store(nil)
	c.h.close()
	return nil
}
