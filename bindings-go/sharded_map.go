package atomicperf

/*
#cgo noescape ap_map_len
#cgo nocallback ap_map_len
#cgo noescape apgo_map_new
#cgo nocallback apgo_map_new
#cgo noescape apgo_map_get
#cgo nocallback apgo_map_get
#cgo noescape apgo_map_insert
#cgo nocallback apgo_map_insert
#cgo noescape apgo_map_insert_if_absent
#cgo nocallback apgo_map_insert_if_absent
#cgo noescape apgo_map_remove
#cgo nocallback apgo_map_remove
#cgo noescape apgo_map_contains
#cgo nocallback apgo_map_contains
#cgo noescape apgo_map_clear
#cgo nocallback apgo_map_clear
#cgo noescape apgo_map_snapshot
#cgo nocallback apgo_map_snapshot
#cgo noescape apgo_map_entries_len
#cgo nocallback apgo_map_entries_len
#cgo noescape apgo_map_entries_get
#cgo nocallback apgo_map_entries_get
#include "apgo.h"

static inline ap_status apgo_map_new(size_t shards, ap_map **out, char **msg) {
	return apgo_fail(ap_map_new(shards, out), msg);
}

// AP_ERR_BUFFER_TOO_SMALL is not a failure for the binding (it retries with a larger buffer),
// so no message is copied for it.
static inline ap_status apgo_map_get(const ap_map *m, const uint8_t *key, size_t key_len,
		uint8_t *buf, size_t capacity, size_t *len, bool *found, char **msg) {
	ap_status s = ap_map_get(m, key, key_len, buf, capacity, len, found);
	return s == AP_ERR_BUFFER_TOO_SMALL ? s : apgo_fail(s, msg);
}

static inline ap_status apgo_map_insert(const ap_map *m, const uint8_t *key, size_t key_len,
		const uint8_t *value, size_t value_len, bool *replaced, char **msg) {
	return apgo_fail(ap_map_insert(m, key, key_len, value, value_len, replaced), msg);
}

static inline ap_status apgo_map_insert_if_absent(const ap_map *m, const uint8_t *key,
		size_t key_len, const uint8_t *value, size_t value_len, bool *inserted, char **msg) {
	return apgo_fail(ap_map_insert_if_absent(m, key, key_len, value, value_len, inserted), msg);
}

static inline ap_status apgo_map_remove(const ap_map *m, const uint8_t *key, size_t key_len,
		bool *removed, char **msg) {
	return apgo_fail(ap_map_remove(m, key, key_len, removed), msg);
}

static inline ap_status apgo_map_contains(const ap_map *m, const uint8_t *key, size_t key_len,
		bool *out, char **msg) {
	return apgo_fail(ap_map_contains(m, key, key_len, out), msg);
}

static inline ap_status apgo_map_clear(const ap_map *m, char **msg) {
	return apgo_fail(ap_map_clear(m), msg);
}

static inline ap_status apgo_map_snapshot(const ap_map *m, ap_map_entries **out, char **msg) {
	return apgo_fail(ap_map_snapshot(m, out), msg);
}

static inline ap_status apgo_map_entries_len(const ap_map_entries *e, size_t *out, char **msg) {
	return apgo_fail(ap_map_entries_len(e, out), msg);
}

static inline ap_status apgo_map_entries_get(const ap_map_entries *e, size_t index,
		const uint8_t **key, size_t *key_len, const uint8_t **value, size_t *value_len,
		char **msg) {
	return apgo_fail(ap_map_entries_get(e, index, key, key_len, value, value_len), msg);
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// ShardedMap is a concurrent hash map from byte strings to byte strings, the replacement for a
// map behind one global sync.Mutex or sync.RWMutex: keys are spread over shards, each with its
// own lock on its own cache lines, so goroutines that touch different keys rarely wait for each
// other. Unlike sync.Map it needs no read-mostly workload to scale, and its contents live in C
// memory, outside the Go heap and the garbage collector's work.
//
// Keys and values are copied in and out: Get returns a copy that the caller owns, and no method
// hands out a reference into the map that could be held across another call (the dashmap
// deadlock). Every method that takes a []byte key has a variant taking a string (GetString,
// InsertString...), which passes the string's bytes without a copy.
//
// A ShardedMap is safe for concurrent use. Each method is one cgo call (about 30 to 60 ns) on
// top of the map operation, and Get copies the value out. For state only Go touches, Go's own
// maps are faster: in one run of scripts/bench-go.sh on 2 CPUs, Get took 4.6x the time of
// sync.Map.Load and 4.4x that of an RWMutex-guarded map in one goroutine, 7.2x and 5.7x under
// RunParallel, and a 90% Get / 10% Insert mix 2.8x and 3.2x. What ShardedMap gives instead is
// one map shared with C, Rust, Python and Node code in the same process, contents outside the Go
// heap (no GC scanning of millions of entries), and values that are never aliased. Close releases the C memory (see the package documentation on lifetime); afterwards
// the methods that return an error return [ErrClosed], and Len and Contains report zero values.
type ShardedMap struct {
	h handle
}

// Entry is one key and value of a [ShardedMap], as returned by [ShardedMap.Entries].
type Entry struct {
	Key   string
	Value []byte
}

// NewShardedMap returns an empty map with shards shards: a power of two up to 4096, or 0 for
// the library's default (four times the number of cores). More shards mean less contention and
// more memory. The error matches [ErrOutOfRange] for another shard count.
func NewShardedMap(shards int) (*ShardedMap, error) {
	const op = "NewShardedMap"
	if shards < 0 {
		return nil, newError(op, CodeOutOfRange, fmt.Sprintf("shards must be 0 or a power of two up to 4096, got %d", shards))
	}
	var p *C.ap_map
	var msg *C.char
	if err := check(op, C.apgo_map_new(C.size_t(shards), &p, &msg), msg); err != nil {
		return nil, err
	}
	m := &ShardedMap{}
	m.h.init(unsafe.Pointer(p), freeShardedMap)
	m.h.cleanup = runtime.AddCleanup(m, freeShardedMap, unsafe.Pointer(p))
	return m, nil
}

// MustNewShardedMap is like NewShardedMap but panics on error.
func MustNewShardedMap(shards int) *ShardedMap {
	m, err := NewShardedMap(shards)
	if err != nil {
		panic(err)
	}
	return m
}

func freeShardedMap(p unsafe.Pointer) {
	C.ap_map_free((*C.ap_map)(p))
	handlesFreed.Add(1)
}

// Get returns a copy of the value of key and whether the key is present. A present key with an
// empty value gives a non-nil empty slice. The error is [ErrClosed] after Close.
func (m *ShardedMap) Get(key []byte) (value []byte, found bool, err error) {
	k, kn := bytesArg(key)
	return m.get(k, kn)
}

// GetString is Get with a string key.
func (m *ShardedMap) GetString(key string) (value []byte, found bool, err error) {
	k, kn := stringArg(key)
	return m.get(k, kn)
}

func (m *ShardedMap) get(k *C.uint8_t, kn C.size_t) ([]byte, bool, error) {
	p := (*C.ap_map)(m.h.acquire())
	if p == nil {
		return nil, false, ErrClosed
	}
	defer m.h.release()
	// A first try into a buffer on the stack; a longer value is read again into a buffer of its
	// length, and again if a concurrent insert made it longer still in between. The stack buffer
	// is only ever copied from, never returned, so that it does not escape to the heap.
	var stack [stackBufLen]byte
	var big []byte
	for {
		var n C.size_t
		var found C.bool
		var msg *C.char
		b, capacity := (*C.uint8_t)(&stack[0]), C.size_t(stackBufLen)
		if big != nil {
			b, capacity = bytesArg(big)
		}
		st := C.apgo_map_get(p, k, kn, b, capacity, &n, &found, &msg)
		if st == C.AP_ERR_BUFFER_TOO_SMALL {
			big = make([]byte, int(n))
			continue
		}
		if err := check("ShardedMap.Get", st, msg); err != nil {
			return nil, false, err
		}
		if !found {
			return nil, false, nil
		}
		return result(&stack, big, int(n)), true, nil
	}
}

// Insert sets key to a copy of value and reports whether it replaced a previous value. The
// error is [ErrClosed] after Close.
func (m *ShardedMap) Insert(key, value []byte) (replaced bool, err error) {
	k, kn := bytesArg(key)
	v, vn := bytesArg(value)
	return m.insert(k, kn, v, vn)
}

// InsertString is Insert with a string key and value.
func (m *ShardedMap) InsertString(key, value string) (replaced bool, err error) {
	k, kn := stringArg(key)
	v, vn := stringArg(value)
	return m.insert(k, kn, v, vn)
}

func (m *ShardedMap) insert(k *C.uint8_t, kn C.size_t, v *C.uint8_t, vn C.size_t) (bool, error) {
	p := (*C.ap_map)(m.h.acquire())
	if p == nil {
		return false, ErrClosed
	}
	var replaced C.bool
	var msg *C.char
	st := C.apgo_map_insert(p, k, kn, v, vn, &replaced, &msg)
	m.h.release()
	if err := check("ShardedMap.Insert", st, msg); err != nil {
		return false, err
	}
	return bool(replaced), nil
}

// InsertIfAbsent sets key to a copy of value only if the key is absent, and reports whether it
// did: of many goroutines inserting the same absent key at once, exactly one gets true. The
// error is [ErrClosed] after Close.
func (m *ShardedMap) InsertIfAbsent(key, value []byte) (inserted bool, err error) {
	k, kn := bytesArg(key)
	v, vn := bytesArg(value)
	return m.insertIfAbsent(k, kn, v, vn)
}

// InsertIfAbsentString is InsertIfAbsent with a string key and value.
func (m *ShardedMap) InsertIfAbsentString(key, value string) (inserted bool, err error) {
	k, kn := stringArg(key)
	v, vn := stringArg(value)
	return m.insertIfAbsent(k, kn, v, vn)
}

func (m *ShardedMap) insertIfAbsent(k *C.uint8_t, kn C.size_t, v *C.uint8_t, vn C.size_t) (bool, error) {
	p := (*C.ap_map)(m.h.acquire())
	if p == nil {
		return false, ErrClosed
	}
	var inserted C.bool
	var msg *C.char
	st := C.apgo_map_insert_if_absent(p, k, kn, v, vn, &inserted, &msg)
	m.h.release()
	if err := check("ShardedMap.InsertIfAbsent", st, msg); err != nil {
		return false, err
	}
	return bool(inserted), nil
}

// Remove deletes key and reports whether it was present. The error is [ErrClosed] after Close.
func (m *ShardedMap) Remove(key []byte) (removed bool, err error) {
	k, kn := bytesArg(key)
	return m.remove(k, kn)
}

// RemoveString is Remove with a string key.
func (m *ShardedMap) RemoveString(key string) (removed bool, err error) {
	k, kn := stringArg(key)
	return m.remove(k, kn)
}

func (m *ShardedMap) remove(k *C.uint8_t, kn C.size_t) (bool, error) {
	p := (*C.ap_map)(m.h.acquire())
	if p == nil {
		return false, ErrClosed
	}
	var removed C.bool
	var msg *C.char
	st := C.apgo_map_remove(p, k, kn, &removed, &msg)
	m.h.release()
	if err := check("ShardedMap.Remove", st, msg); err != nil {
		return false, err
	}
	return bool(removed), nil
}

// Contains reports whether key is present (false after Close). It copies no value.
func (m *ShardedMap) Contains(key []byte) bool {
	k, kn := bytesArg(key)
	return m.contains(k, kn)
}

// ContainsString is Contains with a string key.
func (m *ShardedMap) ContainsString(key string) bool {
	k, kn := stringArg(key)
	return m.contains(k, kn)
}

func (m *ShardedMap) contains(k *C.uint8_t, kn C.size_t) bool {
	p := (*C.ap_map)(m.h.acquire())
	if p == nil {
		return false
	}
	var out C.bool
	var msg *C.char
	st := C.apgo_map_contains(p, k, kn, &out, &msg)
	m.h.release()
	return check("ShardedMap.Contains", st, msg) == nil && bool(out)
}

// Len returns the number of entries (0 after Close). With concurrent inserts and removals it is
// the count at some moment during the call.
func (m *ShardedMap) Len() int {
	p := (*C.ap_map)(m.h.acquire())
	if p == nil {
		return 0
	}
	var n C.size_t
	C.ap_map_len(p, &n)
	m.h.release()
	return int(n)
}

// Clear removes every entry. Entries inserted concurrently may or may not survive. The error is
// [ErrClosed] after Close.
func (m *ShardedMap) Clear() error {
	p := (*C.ap_map)(m.h.acquire())
	if p == nil {
		return ErrClosed
	}
	var msg *C.char
	st := C.apgo_map_clear(p, &msg)
	m.h.release()
	return check("ShardedMap.Clear", st, msg)
}

// Snapshot returns a copy of every entry as a Go map. Each shard is copied at one moment, so an
// entry is never half-written, but the shards are copied one after another: under concurrent
// writes the result need not be the map's contents at any single moment. It costs one cgo call
// per entry. The error is [ErrClosed] after Close.
func (m *ShardedMap) Snapshot() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := m.each("ShardedMap.Snapshot", func(k string, v []byte) { out[k] = v })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Entries is Snapshot as a slice, in no particular order.
func (m *ShardedMap) Entries() ([]Entry, error) {
	var out []Entry
	err := m.each("ShardedMap.Entries", func(k string, v []byte) { out = append(out, Entry{k, v}) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// each copies a snapshot of the map and calls f with each entry. f runs with the snapshot held
// but no lock of the map, so it may call the map.
func (m *ShardedMap) each(op string, f func(key string, value []byte)) error {
	p := (*C.ap_map)(m.h.acquire())
	if p == nil {
		return ErrClosed
	}
	var e *C.ap_map_entries
	var msg *C.char
	st := C.apgo_map_snapshot(p, &e, &msg)
	m.h.release()
	if err := check(op, st, msg); err != nil {
		return err
	}
	defer C.ap_map_entries_free(e)
	var n C.size_t
	if err := check(op, C.apgo_map_entries_len(e, &n, &msg), msg); err != nil {
		return err
	}
	for i := C.size_t(0); i < n; i++ {
		var k, v *C.uint8_t
		var kn, vn C.size_t
		if err := check(op, C.apgo_map_entries_get(e, i, &k, &kn, &v, &vn, &msg), msg); err != nil {
			return err
		}
		f(string(unsafe.Slice((*byte)(k), kn)), append([]byte{}, unsafe.Slice((*byte)(v), vn)...))
	}
	return nil
}

// Close releases the map's C memory. It is idempotent and safe to call concurrently with other
// methods: a call in flight finishes on the live map. Close always returns nil.
func (m *ShardedMap) Close() error {
	m.h.close()
	return nil
}
