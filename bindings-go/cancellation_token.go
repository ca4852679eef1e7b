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
#cgo noescape apgo_cancel_watcher_new
#cgo nocallback apgo_cancel_watcher_new
#include "apgo.h"

static inline ap_status apgo_cancel_watcher_new(ap_cancel_watcher **out, char **msg) {
	return apgo_fail(ap_cancel_watcher_new(out), msg);
}

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
	"math"
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

// tokenWatch is a token's Done channel and its registration with the process's watcher. It
// holds nothing of the token's Go value, so that a token nobody references is still collected
// (its cleanup then withdraws the registration).
type tokenWatch struct {
	done chan struct{}
	key  uint64
	own  *C.ap_cancellation_token // a handle of the watch's own; freed by whoever ends the watch
}

// watcher is the process's one CancelWatcher (ap_cancel_watcher_new): every token whose Done
// was called is registered with it under a key, and one goroutine, blocked in
// ap_cancel_watcher_wait on one OS thread, closes the Done channels of the tokens it reports.
var watcher struct {
	once    sync.Once
	w       *C.ap_cancel_watcher
	mu      sync.Mutex
	next    uint64
	watches map[uint64]*tokenWatch // registrations not yet ended
}

// watchBatch is how many keys the watcher goroutine takes per wake-up.
const watchBatch = 256

func startWatcher() {
	var msg *C.char
	if err := check("CancellationToken.Done", C.apgo_cancel_watcher_new(&watcher.w, &msg), msg); err != nil {
		panic(err) // the library fails only for a NULL out-pointer
	}
	watcher.watches = make(map[uint64]*tokenWatch)
	go watchLoop(watcher.w)
}

// watchLoop runs for the life of the process: the one goroutine (and OS thread, while it
// waits in C) that serves every Done channel.
func watchLoop(w *C.ap_cancel_watcher) {
	var keys [watchBatch]C.uint64_t
	var ended []*tokenWatch
	for {
		var n C.size_t
		C.ap_cancel_watcher_wait(w, &keys[0], watchBatch, C.uint64_t(math.MaxUint64), &n)
		ended = ended[:0]
		watcher.mu.Lock()
		for _, k := range keys[:n] {
			if tw, ok := watcher.watches[uint64(k)]; ok {
				delete(watcher.watches, uint64(k))
				ended = append(ended, tw)
			}
		}
		watcher.mu.Unlock()
		for _, tw := range ended {
			close(tw.done)
			C.ap_cancellation_token_free(tw.own)
			tokenWatchers.Add(-1)
		}
	}
}

// stopWatch ends a registration that the cancellation has not ended yet: after it, the channel
// is never closed. Safe to call many times and concurrently with the watcher goroutine.
func stopWatch(tw *tokenWatch) {
	watcher.mu.Lock()
	if watcher.watches[tw.key] != tw {
		watcher.mu.Unlock()
		return
	}
	delete(watcher.watches, tw.key)
	watcher.mu.Unlock()
	C.ap_cancellation_token_unwatch(tw.own, watcher.w, C.uint64_t(tw.key), nil)
	C.ap_cancellation_token_free(tw.own)
	tokenWatchers.Add(-1)
}

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
// Cost: no thread and no goroutine per token. The first Done registers the token with the
// process's one watcher (ap_cancellation_token_watch); a single goroutine, started with the
// first Done of the process and blocked in C on one OS thread, closes the channel of every
// watched token as it is cancelled. After Close (or once the token is collected) the
// registration is withdrawn and the channel is no longer closed by a later cancellation; a Done
// first called after Close returns a channel that is never closed.
func (t *CancellationToken) Done() <-chan struct{} {
	t.watchOnce.Do(t.startWatch)
	return t.watch.Load().done
}

func (t *CancellationToken) startWatch() {
	tw := &tokenWatch{done: make(chan struct{})}
	t.watch.Store(tw)
	p := (*C.ap_cancellation_token)(t.h.acquire())
	if p == nil {
		return
	}
	// The watch owns a handle of its own, so Close and the cleanup never free a token the
	// watcher may still report; they withdraw the registration first.
	tw.own = C.ap_cancellation_token_clone(p)
	t.h.release()
	watcher.once.Do(startWatcher)
	watcher.mu.Lock()
	watcher.next++
	tw.key = watcher.next
	watcher.watches[tw.key] = tw
	watcher.mu.Unlock()
	tokenWatchers.Add(1)
	// Registered after the map entry: a token already cancelled is reported at once and found.
	C.ap_cancellation_token_watch(tw.own, watcher.w, C.uint64_t(tw.key))
	runtime.AddCleanup(t, stopWatch, tw)
	// Close may have run between the acquire and the Store above without seeing tw.
	if t.h.closed() {
		stopWatch(tw)
	}
}

// tokenWatchers counts the tokens registered by Done whose watch has not ended (by the
// cancellation, Close or collection), for tests.
var tokenWatchers atomic.Int64

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

// Close releases this Go value's reference to the token and withdraws the watch Done
// registered. It does not cancel the token. Close is idempotent and safe to call concurrently with
// other methods: a Wait in flight finishes on the live token. Close always returns nil.
func (t *CancellationToken) Close() error {
	t.h.close()
	if tw := t.watch.Load(); tw != nil {
		stopWatch(tw) // nothing when not registered yet: startWatch checks closed afterwards
	}
	return nil
}
