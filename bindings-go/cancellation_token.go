package atomicperf

/*
#cgo noescape ap_cancellation_token_is_cancelled
#cgo nocallback ap_cancellation_token_is_cancelled
#cgo noescape ap_cancellation_token_wait
#cgo nocallback ap_cancellation_token_wait
#cgo noescape apgo_cancellation_token_new
#cgo nocallback apgo_cancellation_token_new
#cgo noescape apgo_cancellation_token_child
#cgo nocallback apgo_cancellation_token_child
#include "apgo.h"

static inline ap_status apgo_cancellation_token_new(ap_cancellation_token **out, char **msg) {
	return apgo_fail(ap_cancellation_token_new(out), msg);
}

static inline ap_status apgo_cancellation_token_child(const ap_cancellation_token *t,
		ap_cancellation_token **out, char **msg) {
	return apgo_fail(ap_cancellation_token_child(t, out), msg);
}
*/
import "C"

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// CancellationToken is a cancellation signal for a tree of tasks, shared through the C library
// with every holder of the token in any language of the process: Cancel once and every holder,
// and every child token, sees it. IsCancelled is one atomic load in C (plus the cgo call), and
// Wait blocks in C without polling. It plays the part of a context.Context's cancellation for
// work that spans Go and code in other languages; [CancellationToken.Done] and
// [CancellationToken.Context] connect it to Go's select and context.
//
// A CancellationToken is safe for concurrent use. Close releases this Go value's reference;
// closing does not cancel, and other holders and children are unaffected. After Close, Cancel
// does nothing, IsCancelled and Wait report false and Child returns [ErrClosed].
type CancellationToken struct {
	h handle

	watchOnce sync.Once
	watch     atomic.Pointer[tokenWatch] // set by the first Done
}

// tokenWatch is the state shared by a token and the goroutine that closes its Done channel. It
// holds nothing of the token's Go value, so that a token nobody references is still collected
// (its cleanup then stops the goroutine).
type tokenWatch struct {
	done chan struct{}
	stop atomic.Bool
}

// watchSlice is how long the Done goroutine waits in C at a time before it checks whether the
// token was closed: it bounds how long the goroutine (and its OS thread) outlives Close.
const watchSlice = 100 * time.Millisecond

// NewCancellationToken returns a token that is not cancelled.
func NewCancellationToken() (*CancellationToken, error) {
	var p *C.ap_cancellation_token
	var msg *C.char
	if err := check("NewCancellationToken", C.apgo_cancellation_token_new(&p, &msg), msg); err != nil {
		return nil, err
	}
	return newCancellationToken(p), nil
}

// MustNewCancellationToken is like NewCancellationToken but panics on error.
func MustNewCancellationToken() *CancellationToken {
	t, err := NewCancellationToken()
	if err != nil {
		panic(err)
	}
	return t
}

func newCancellationToken(p *C.ap_cancellation_token) *CancellationToken {
	t := &CancellationToken{}
	t.h.init(unsafe.Pointer(p), freeCancellationToken)
	t.h.cleanup = runtime.AddCleanup(t, freeCancellationToken, unsafe.Pointer(p))
	return t
}

func freeCancellationToken(p unsafe.Pointer) {
	C.ap_cancellation_token_free((*C.ap_cancellation_token)(p))
	handlesFreed.Add(1)
}

// Child returns a new token that is cancelled when t is (at once if t already is). Cancelling
// the child does not cancel t. The child is a token of its own, with its own Close. The error is
// [ErrClosed] after Close.
func (t *CancellationToken) Child() (*CancellationToken, error) {
	p := (*C.ap_cancellation_token)(t.h.acquire())
	if p == nil {
		return nil, ErrClosed
	}
	var c *C.ap_cancellation_token
	var msg *C.char
	st := C.apgo_cancellation_token_child(p, &c, &msg)
	t.h.release()
	if err := check("CancellationToken.Child", st, msg); err != nil {
		return nil, err
	}
	return newCancellationToken(c), nil
}

// Cancel cancels the token and its descendants and wakes every waiter. It is idempotent, and
// does nothing after Close.
func (t *CancellationToken) Cancel() {
	if p := (*C.ap_cancellation_token)(t.h.acquire()); p != nil {
		C.ap_cancellation_token_cancel(p)
		t.h.release()
	}
}

// IsCancelled reports whether the token was cancelled (false after Close).
func (t *CancellationToken) IsCancelled() bool {
	var out C.bool
	if p := (*C.ap_cancellation_token)(t.h.acquire()); p != nil {
		C.ap_cancellation_token_is_cancelled(p, &out)
		t.h.release()
	}
	return bool(out)
}

// Wait blocks until the token is cancelled or timeout passes, and reports whether it was
// cancelled. A timeout <= 0 does not wait. The goroutine waits in C, holding its OS thread, and
// cannot be interrupted other than by the cancellation: to wait together with other events,
// select on Done. After Close it returns false at once.
func (t *CancellationToken) Wait(timeout time.Duration) bool {
	p := (*C.ap_cancellation_token)(t.h.acquire())
	if p == nil {
		return false
	}
	var cancelled C.bool
	C.ap_cancellation_token_wait(p, C.uint64_t(max(timeout, 0)), &cancelled)
	t.h.release()
	return bool(cancelled)
}

// Done returns a channel that is closed when the token is cancelled, by any holder or through
// a parent, for use in select. Every call returns the same channel.
//
// Cost: the first call starts one goroutine that waits in C for the cancellation, in slices of
// 100 ms so that it notices Close. Until the token is cancelled or closed (or collected), that
// goroutine holds an OS thread, as every goroutine blocked in a cgo call does, and wakes ten
// times a second; it closes the channel as soon as the cancellation happens, not at the end of
// a slice. Prefer IsCancelled or Wait for a token with no select to join, and Close tokens whose
// Done was called once their work is over. After Close the channel is no longer closed by a
// later cancellation; a Done first called after Close returns a channel that is never closed.
func (t *CancellationToken) Done() <-chan struct{} {
	t.watchOnce.Do(t.startWatch)
	return t.watch.Load().done
}

func (t *CancellationToken) startWatch() {
	w := &tokenWatch{done: make(chan struct{})}
	t.watch.Store(w)
	p := (*C.ap_cancellation_token)(t.h.acquire())
	if p == nil {
		return
	}
	// The goroutine owns a handle of its own, so Close and the cleanup never free memory it
	// is waiting on; they only ask it to stop.
	own := C.ap_cancellation_token_clone(p)
	t.h.release()
	runtime.AddCleanup(t, func(w *tokenWatch) { w.stop.Store(true) }, w)
	// Close may have run between the acquire and the Store above without seeing w.
	if t.h.closed() {
		w.stop.Store(true)
	}
	tokenWatchers.Add(1)
	go w.run(own)
}

// tokenWatchers counts the goroutines started by Done that are still running, for tests.
var tokenWatchers atomic.Int64

func (w *tokenWatch) run(p *C.ap_cancellation_token) {
	defer tokenWatchers.Add(-1)
	defer C.ap_cancellation_token_free(p)
	for !w.stop.Load() {
		var cancelled C.bool
		C.ap_cancellation_token_wait(p, C.uint64_t(watchSlice), &cancelled)
		if cancelled {
			close(w.done)
			return
		}
	}
}

// Context returns a context.Context whose Done channel is the token's (see Done for the cost)
// and whose Err is context.Canceled once the token is cancelled. It has no deadline and no
// values; derive from it with context.WithTimeout and its peers as from any context. The
// context keeps the token reachable.
func (t *CancellationToken) Context() context.Context {
	return tokenContext{t: t, done: t.Done()}
}

// tokenContext is the context.Context of a CancellationToken.
type tokenContext struct {
	t    *CancellationToken // keeps the token, and so its Done goroutine, alive with the context
	done <-chan struct{}
}

func (c tokenContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c tokenContext) Done() <-chan struct{}       { return c.done }
func (c tokenContext) Value(any) any               { return nil }
func (c tokenContext) String() string              { return "atomicperf.CancellationToken.Context" }

func (c tokenContext) Err() error {
	select {
	case <-c.done:
		return context.Canceled
	default:
		return nil
	}
}

// Close releases this Go value's reference to the token and stops the goroutine started by
// Done. It does not cancel the token. Close is idempotent and safe to call concurrently with
// other methods: a Wait in flight finishes on the live token. Close always returns nil.
func (t *CancellationToken) Close() error {
	t.h.close()
	if w := t.watch.Load(); w != nil {
		w.stop.Store(true)
	}
	return nil
}
