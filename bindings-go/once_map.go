package atomicperf

/*
#cgo noescape ap_once_map_len
#cgo nocallback ap_once_map_len
#cgo noescape ap_once_ticket_abandon
#cgo nocallback ap_once_ticket_abandon
#cgo noescape apgo_once_map_new
#cgo nocallback apgo_once_map_new
#cgo noescape apgo_once_map_claim
#cgo nocallback apgo_once_map_claim
#cgo noescape apgo_once_ticket_complete
#cgo nocallback apgo_once_ticket_complete
#cgo noescape apgo_once_map_get
#cgo nocallback apgo_once_map_get
#cgo noescape apgo_once_map_remove
#cgo nocallback apgo_once_map_remove
#include "apgo.h"

static inline ap_status apgo_once_map_new(ap_once_map **out, char **msg) {
	return apgo_fail(ap_once_map_new(out), msg);
}

// As apgo_map_get: the binding retries AP_ERR_BUFFER_TOO_SMALL, so it copies no message.
static inline ap_status apgo_once_map_claim(const ap_once_map *m, const uint8_t *key,
		size_t key_len, uint64_t timeout_ns, uint8_t *buf, size_t capacity, size_t *len,
		ap_once_ticket **ticket, char **msg) {
	ap_status s = ap_once_map_claim(m, key, key_len, timeout_ns, buf, capacity, len, ticket);
	return s == AP_ERR_BUFFER_TOO_SMALL ? s : apgo_fail(s, msg);
}

static inline ap_status apgo_once_ticket_complete(ap_once_ticket *t, const uint8_t *value,
		size_t len, char **msg) {
	return apgo_fail(ap_once_ticket_complete(t, value, len), msg);
}

static inline ap_status apgo_once_map_get(const ap_once_map *m, const uint8_t *key,
		size_t key_len, uint8_t *buf, size_t capacity, size_t *len, bool *found, char **msg) {
	ap_status s = ap_once_map_get(m, key, key_len, buf, capacity, len, found);
	return s == AP_ERR_BUFFER_TOO_SMALL ? s : apgo_fail(s, msg);
}

static inline ap_status apgo_once_map_remove(const ap_once_map *m, const uint8_t *key,
		size_t key_len, bool *removed, char **msg) {
	return apgo_fail(ap_once_map_remove(m, key, key_len, removed), msg);
}
*/
import "C"

import (
	"runtime"
	"time"
	"unsafe"
)

// OnceMap initialises a value exactly once per key under races (a client per service, a
// compiled template per name), the replacement for a map behind a sync.Mutex held across the
// initialisation, or for a map of sync.Once values that cannot forget a failure: concurrent
// callers for one key run the initialiser once and all receive its value; a failing (or
// panicking) initialiser is not cached and the next caller runs it again; different keys
// initialise in parallel, and an initialised key is read without waiting.
//
// Keys and values are byte strings, and values are copied out: each caller gets its own copy.
// The initialiser runs in Go, on the goroutine of the caller that won the key; the others wait
// in the C library (each holding an OS thread while it waits, as any blocking cgo call does)
// until the value is there or the winner gives up, in which case one of them initialises.
//
// An OnceMap is safe for concurrent use. Every method is one cgo call, and a read copies the
// value out: for state only Go touches, a map of sync.OnceValues behind a sync.Mutex (or
// singleflight plus a sync.Map) is faster per look-up, by about what a cgo call costs over a Go
// map read (see ShardedMap, measured 4-7x by scripts/bench-go.sh; OnceMap itself has no
// benchmark yet). What OnceMap gives instead is one initialise-once map shared with every
// language in the process, and failures that are not cached. Close releases the C memory (see
// the package documentation on lifetime); an initialiser already running may still complete its key.
// Afterwards the methods that return an error return [ErrClosed] and Len returns 0.
type OnceMap struct {
	h handle
}

// noTimeout is UINT64_MAX, the C library's "no limit" for a claim.
const noTimeout = ^C.uint64_t(0)

// NewOnceMap returns an empty OnceMap.
func NewOnceMap() (*OnceMap, error) {
	var p *C.ap_once_map
	var msg *C.char
	if err := check("NewOnceMap", C.apgo_once_map_new(&p, &msg), msg); err != nil {
		return nil, err
	}
	m := &OnceMap{}
	m.h.init(unsafe.Pointer(p), freeOnceMap)
	m.h.cleanup = runtime.AddCleanup(m, freeOnceMap, unsafe.Pointer(p))
	return m, nil
}

// MustNewOnceMap is like NewOnceMap but panics on error.
func MustNewOnceMap() *OnceMap {
	m, err := NewOnceMap()
	if err != nil {
		panic(err)
	}
	return m
}

func freeOnceMap(p unsafe.Pointer) {
	C.ap_once_map_free((*C.ap_once_map)(p))
	handlesFreed.Add(1)
}

// GetOrInit returns the value of key, calling init to make it if the key has none yet. Of the
// goroutines (or threads of other languages) that ask for the same uninitialised key at once,
// exactly one runs init while the others wait for its value.
//
// If init returns an error, GetOrInit returns that error unchanged, nothing is cached, and one
// of the waiting callers (or the next one) runs its own init. If init panics, the
// initialisation is given up in the same way and the panic continues. The caller that ran init
// gets init's slice itself; every other caller gets a copy. The error is [ErrClosed] after Close
// and matches [ErrInvalidArgument] for a nil init.
func (m *OnceMap) GetOrInit(key []byte, init func() ([]byte, error)) ([]byte, error) {
	k, kn := bytesArg(key)
	return m.getOrInit("OnceMap.GetOrInit", k, kn, noTimeout, init)
}

// GetOrInitString is GetOrInit with a string key.
func (m *OnceMap) GetOrInitString(key string, init func() ([]byte, error)) ([]byte, error) {
	k, kn := stringArg(key)
	return m.getOrInit("OnceMap.GetOrInit", k, kn, noTimeout, init)
}

// GetOrInitTimeout is GetOrInit that waits at most timeout for another caller's initialisation
// of key (a timeout <= 0 does not wait); when that runs out the error matches [ErrTimeout] and
// init was not called. The timeout bounds only the wait, not init itself.
func (m *OnceMap) GetOrInitTimeout(key []byte, timeout time.Duration, init func() ([]byte, error)) ([]byte, error) {
	k, kn := bytesArg(key)
	return m.getOrInit("OnceMap.GetOrInitTimeout", k, kn, C.uint64_t(max(timeout, 0)), init)
}

func (m *OnceMap) getOrInit(op string, k *C.uint8_t, kn C.size_t, timeout C.uint64_t, init func() ([]byte, error)) ([]byte, error) {
	if init == nil {
		return nil, newError(op, CodeInvalidArgument, "init function is nil")
	}
	p := (*C.ap_once_map)(m.h.acquire())
	if p == nil {
		return nil, ErrClosed
	}
	// The buffers as in ShardedMap.Get.
	var stack [stackBufLen]byte
	var big []byte
	var ticket *C.ap_once_ticket
	for {
		var n C.size_t
		var msg *C.char
		b, capacity := (*C.uint8_t)(&stack[0]), C.size_t(stackBufLen)
		if big != nil {
			b, capacity = bytesArg(big)
		}
		// Blocks while another caller holds the key's ticket.
		st := C.apgo_once_map_claim(p, k, kn, timeout, b, capacity, &n, &ticket, &msg)
		if st == C.AP_ERR_BUFFER_TOO_SMALL {
			big = make([]byte, int(n))
			continue
		}
		m.h.release()
		if err := check(op, st, msg); err != nil {
			return nil, err
		}
		if ticket == nil {
			return result(&stack, big, int(n)), nil
		}
		break
	}
	// The ticket keeps the key's slot alive on its own, so the map handle is not held while
	// init runs: Close does not wait for initialisers.
	return runInit(op, ticket, init)
}

// runInit runs init for the key of ticket t and completes t with its value, or abandons t
// when init fails, panics or exits the goroutine, so that the key is never left claimed.
func runInit(op string, t *C.ap_once_ticket, init func() ([]byte, error)) ([]byte, error) {
	settled := false
	defer func() {
		if !settled {
			C.ap_once_ticket_abandon(t)
		}
	}()
	value, err := init()
	if err != nil {
		return nil, err
	}
	// ap_once_ticket_complete frees the ticket whatever it returns.
	settled = true
	v, vn := bytesArg(value)
	var msg *C.char
	if err := check(op, C.apgo_once_ticket_complete(t, v, vn, &msg), msg); err != nil {
		return nil, err
	}
	if value == nil {
		value = []byte{}
	}
	return value, nil
}

// Get returns a copy of the value of key if it was initialised, without initialising or
// waiting. The error is [ErrClosed] after Close.
func (m *OnceMap) Get(key []byte) (value []byte, found bool, err error) {
	k, kn := bytesArg(key)
	return m.get(k, kn)
}

// GetString is Get with a string key.
func (m *OnceMap) GetString(key string) (value []byte, found bool, err error) {
	k, kn := stringArg(key)
	return m.get(k, kn)
}

func (m *OnceMap) get(k *C.uint8_t, kn C.size_t) ([]byte, bool, error) {
	p := (*C.ap_once_map)(m.h.acquire())
	if p == nil {
		return nil, false, ErrClosed
	}
	defer m.h.release()
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
		st := C.apgo_once_map_get(p, k, kn, b, capacity, &n, &found, &msg)
		if st == C.AP_ERR_BUFFER_TOO_SMALL {
			big = make([]byte, int(n))
			continue
		}
		if err := check("OnceMap.Get", st, msg); err != nil {
			return nil, false, err
		}
		if !found {
			return nil, false, nil
		}
		return result(&stack, big, int(n)), true, nil
	}
}

// Remove forgets the value of key, so that the next GetOrInit initialises it again, and reports
// whether it had one. The error is [ErrClosed] after Close.
func (m *OnceMap) Remove(key []byte) (removed bool, err error) {
	k, kn := bytesArg(key)
	return m.remove(k, kn)
}

// RemoveString is Remove with a string key.
func (m *OnceMap) RemoveString(key string) (removed bool, err error) {
	k, kn := stringArg(key)
	return m.remove(k, kn)
}

func (m *OnceMap) remove(k *C.uint8_t, kn C.size_t) (bool, error) {
	p := (*C.ap_once_map)(m.h.acquire())
	if p == nil {
		return false, ErrClosed
	}
	var removed C.bool
	var msg *C.char
	st := C.apgo_once_map_remove(p, k, kn, &removed, &msg)
	m.h.release()
	if err := check("OnceMap.Remove", st, msg); err != nil {
		return false, err
	}
	return bool(removed), nil
}

// Len returns the number of initialised keys (0 after Close).
func (m *OnceMap) Len() int {
	p := (*C.ap_once_map)(m.h.acquire())
	if p == nil {
		return 0
	}
	var n C.size_t
	C.ap_once_map_len(p, &n)
	m.h.release()
	return int(n)
}

// Close releases the map's C memory. It is idempotent and safe to call concurrently with other
// methods: a call in flight, including one waiting for another caller's initialisation,
// finishes on the live map. Close always returns nil.
func (m *OnceMap) Close() error {
	m.h.close()
	return nil
}
