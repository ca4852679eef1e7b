package atomicperf

/*
#cgo noescape ap_async_recorder_stats
#cgo nocallback ap_async_recorder_stats
#cgo noescape apgo_async_recorder_new
#cgo nocallback apgo_async_recorder_new
#cgo noescape apgo_async_recorder_record
#cgo nocallback apgo_async_recorder_record
#cgo noescape apgo_async_recorder_record_timer
#cgo nocallback apgo_async_recorder_record_timer
#cgo noescape apgo_async_recorder_record_gauge
#cgo nocallback apgo_async_recorder_record_gauge
#cgo noescape apgo_async_recorder_record_timeout
#cgo nocallback apgo_async_recorder_record_timeout
#cgo noescape apgo_async_recorder_flush
#cgo nocallback apgo_async_recorder_flush
#include "apgo.h"

enum { APGO_COUNTER, APGO_GAUGE, APGO_HISTOGRAM, APGO_MINMAX, APGO_TIMER };

// One constructor for every kind keeps the Go side to a single cgo call site.
static inline ap_status apgo_async_recorder_new(int kind, const void *metric, const ap_async_config *config,
		ap_async_recorder **out, char **msg) {
	ap_status s;
	switch (kind) {
	case APGO_COUNTER: s = ap_async_recorder_new_counter(metric, config, out); break;
	case APGO_GAUGE: s = ap_async_recorder_new_gauge(metric, config, out); break;
	case APGO_HISTOGRAM: s = ap_async_recorder_new_histogram(metric, config, out); break;
	case APGO_MINMAX: s = ap_async_recorder_new_minmax(metric, config, out); break;
	default: s = ap_async_recorder_new_timer(metric, config, out); break;
	}
	return apgo_fail(s, msg);
}

static inline ap_status apgo_async_recorder_record(const ap_async_recorder *r, uint64_t value,
		bool *queued, char **msg) {
	return apgo_fail(ap_async_recorder_record(r, value, queued), msg);
}

static inline ap_status apgo_async_recorder_record_timer(const ap_async_recorder *r,
		uint64_t duration_ns, bool ok, bool *queued, char **msg) {
	return apgo_fail(ap_async_recorder_record_timer(r, duration_ns, ok, queued), msg);
}

static inline ap_status apgo_async_recorder_record_gauge(const ap_async_recorder *r, uint32_t op,
		double value, bool *queued, char **msg) {
	return apgo_fail(ap_async_recorder_record_gauge(r, op, value, queued), msg);
}

static inline ap_status apgo_async_recorder_record_timeout(const ap_async_recorder *r,
		uint64_t value, uint64_t timeout_ns, char **msg) {
	return apgo_fail(ap_async_recorder_record_timeout(r, value, timeout_ns), msg);
}

static inline ap_status apgo_async_recorder_flush(const ap_async_recorder *r, uint64_t timeout_ns,
		bool *done, char **msg) {
	return apgo_fail(ap_async_recorder_flush(r, timeout_ns, done), msg);
}
*/
import "C"

import (
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// AsyncRecorder puts a bounded queue in front of one metric: Record pushes an event and
// returns, and worker threads of the C library apply the queued events to the metric in
// batches. It trades a metric update on the caller's path for a queue push, and is worth it
// when the update is the costly part (a timer or histogram under heavy contention) or when the
// caller must never be slowed by the metric.
//
// When the queue is full, [OverflowDrop] drops the event and counts it (Record never waits)
// and [OverflowBlock] makes Record wait for room. Flush waits until what was queued before it
// has been applied; Close stops accepting events, applies everything queued and stops the
// workers. Once everything was applied, Applied + Dropped == Enqueued in [AsyncStats].
//
// Create one with [NewCounterRecorder], [NewGaugeRecorder], [NewHistogramRecorder],
// [NewMinMaxRecorder] or [NewTimerRecorder]. The recorder keeps its own reference to the
// metric: closing the metric's Go value does not stop the recorder from applying events to it.
// An AsyncRecorder is safe for concurrent use. A recorder that becomes unreachable without
// Close is drained and stopped by its cleanup.
type AsyncRecorder struct {
	h    handle
	kind string

	mu    sync.Mutex // serialises Close, so that every Close returns after the drain
	final AsyncStats // the counts at Close, returned by Stats afterwards
}

// Overflow is what an [AsyncRecorder] does with an event when its queue is full.
type Overflow uint32

// Overflow policies (AP_OVERFLOW_*).
const (
	// OverflowDrop drops the event and counts it in [AsyncStats].Dropped; Record never waits.
	OverflowDrop Overflow = C.AP_OVERFLOW_DROP
	// OverflowBlock makes Record wait until the queue has room.
	OverflowBlock Overflow = C.AP_OVERFLOW_BLOCK
)

// AsyncConfig configures an [AsyncRecorder]. Pass a nil *AsyncConfig for the library's
// defaults: Capacity 65536, Workers 1, Batch 256, OverflowDrop.
type AsyncConfig struct {
	Capacity int      // events the queue holds, at least 1
	Workers  int      // worker threads applying events, at least 1
	Batch    int      // most events a worker applies per wake-up, at least 1
	Overflow Overflow // what Record does on a full queue
}

// AsyncStats holds the counts of an [AsyncRecorder].
type AsyncStats struct {
	Enqueued uint64 // events offered: queued plus dropped
	Applied  uint64 // events applied to the metric
	Dropped  uint64 // events dropped on a full queue (OverflowDrop)
	Closed   bool   // whether Close was called
}

// GaugeOp is the operation an event of a gauge's [AsyncRecorder] applies to the gauge.
type GaugeOp uint32

// Gauge operations for [AsyncRecorder.RecordGauge] (AP_GAUGE_*).
const (
	GaugeSet    GaugeOp = C.AP_GAUGE_SET     // replace the value
	GaugeAdd    GaugeOp = C.AP_GAUGE_ADD     // add (a negative value subtracts)
	GaugeSetMax GaugeOp = C.AP_GAUGE_SET_MAX // raise to the value if greater
	GaugeSetMin GaugeOp = C.AP_GAUGE_SET_MIN // lower to the value if smaller
)

const (
	kindCounter   = C.APGO_COUNTER
	kindGauge     = C.APGO_GAUGE
	kindHistogram = C.APGO_HISTOGRAM
	kindMinMax    = C.APGO_MINMAX
	kindTimer     = C.APGO_TIMER
)

// NewCounterRecorder returns a recorder whose events are amounts added to c, recorded with
// [AsyncRecorder.Record]. cfg may be nil for the defaults. The error matches [ErrOutOfRange]
// for a Capacity, Workers or Batch below 1 or an unknown Overflow, [ErrNullHandle] for a nil c,
// and is [ErrClosed] when c is closed.
func NewCounterRecorder(c *Counter, cfg *AsyncConfig) (*AsyncRecorder, error) {
	return newAsyncRecorder("NewCounterRecorder", "counter", kindCounter, c, cfg)
}

// NewGaugeRecorder returns a recorder whose events are operations on g, recorded with
// [AsyncRecorder.RecordGauge]. Errors as for [NewCounterRecorder].
func NewGaugeRecorder(g *Gauge, cfg *AsyncConfig) (*AsyncRecorder, error) {
	return newAsyncRecorder("NewGaugeRecorder", "gauge", kindGauge, g, cfg)
}

// NewHistogramRecorder returns a recorder whose events are values recorded into h, recorded
// with [AsyncRecorder.Record]. Errors as for [NewCounterRecorder].
func NewHistogramRecorder(h *Histogram, cfg *AsyncConfig) (*AsyncRecorder, error) {
	return newAsyncRecorder("NewHistogramRecorder", "histogram", kindHistogram, h, cfg)
}

// NewMinMaxRecorder returns a recorder whose events are values recorded into m, recorded with
// [AsyncRecorder.Record]. Errors as for [NewCounterRecorder].
func NewMinMaxRecorder(m *MinMax, cfg *AsyncConfig) (*AsyncRecorder, error) {
	return newAsyncRecorder("NewMinMaxRecorder", "minmax", kindMinMax, m, cfg)
}

// NewTimerRecorder returns a recorder whose events are executions recorded into t, recorded
// with [AsyncRecorder.RecordTimer]. Errors as for [NewCounterRecorder].
func NewTimerRecorder(t *Timer, cfg *AsyncConfig) (*AsyncRecorder, error) {
	return newAsyncRecorder("NewTimerRecorder", "timer", kindTimer, t, cfg)
}

// MustNewCounterRecorder is like NewCounterRecorder but panics on error.
func MustNewCounterRecorder(c *Counter, cfg *AsyncConfig) *AsyncRecorder {
	return must(NewCounterRecorder(c, cfg))
}

// MustNewGaugeRecorder is like NewGaugeRecorder but panics on error.
func MustNewGaugeRecorder(g *Gauge, cfg *AsyncConfig) *AsyncRecorder {
	return must(NewGaugeRecorder(g, cfg))
}

// MustNewHistogramRecorder is like NewHistogramRecorder but panics on error.
func MustNewHistogramRecorder(h *Histogram, cfg *AsyncConfig) *AsyncRecorder {
	return must(NewHistogramRecorder(h, cfg))
}

// MustNewMinMaxRecorder is like NewMinMaxRecorder but panics on error.
func MustNewMinMaxRecorder(m *MinMax, cfg *AsyncConfig) *AsyncRecorder {
	return must(NewMinMaxRecorder(m, cfg))
}

// MustNewTimerRecorder is like NewTimerRecorder but panics on error.
func MustNewTimerRecorder(t *Timer, cfg *AsyncConfig) *AsyncRecorder {
	return must(NewTimerRecorder(t, cfg))
}

func must(r *AsyncRecorder, err error) *AsyncRecorder {
	if err != nil {
		panic(err)
	}
	return r
}

func newAsyncRecorder(op, kind string, k C.int, metric any, cfg *AsyncConfig) (*AsyncRecorder, error) {
	var cc *C.ap_async_config
	if cfg != nil {
		// A negative size is passed as 0, which the library rejects with its own message.
		cc = &C.ap_async_config{
			capacity: C.size_t(max(cfg.Capacity, 0)),
			workers:  C.size_t(max(cfg.Workers, 0)),
			batch:    C.size_t(max(cfg.Batch, 0)),
			overflow: C.uint32_t(cfg.Overflow),
		}
	}
	p, done, ok := borrow(metric)
	if !ok {
		return nil, ErrClosed
	}
	var out *C.ap_async_recorder
	var msg *C.char
	st := C.apgo_async_recorder_new(k, p, cc, &out, &msg)
	done()
	if err := check(op, st, msg); err != nil {
		return nil, err
	}
	r := &AsyncRecorder{kind: kind}
	r.h.init(unsafe.Pointer(out), freeAsyncRecorder)
	r.h.cleanup = runtime.AddCleanup(r, freeAsyncRecorder, unsafe.Pointer(out))
	return r, nil
}

// freeAsyncRecorder releases the Go value's handle; with the last handle the library drains the
// queue and joins the workers.
func freeAsyncRecorder(p unsafe.Pointer) {
	C.ap_async_recorder_free((*C.ap_async_recorder)(p))
	handlesFreed.Add(1)
}

// Kind names the kind of metric the recorder feeds: "counter", "gauge", "histogram", "minmax"
// or "timer".
func (r *AsyncRecorder) Kind() string {
	return r.kind
}

// Record queues v for a counter (added), histogram or min/max (recorded). With OverflowDrop it
// never waits, and queued is false when the event was dropped on a full queue; with
// OverflowBlock it waits for room and queued is true. The error matches [ErrInvalidArgument]
// for a timer or gauge recorder and [ErrClosed] after Close.
func (r *AsyncRecorder) Record(v uint64) (queued bool, err error) {
	p := (*C.ap_async_recorder)(r.h.acquire())
	if p == nil {
		return false, ErrClosed
	}
	var q C.bool
	var msg *C.char
	st := C.apgo_async_recorder_record(p, C.uint64_t(v), &q, &msg)
	r.h.release()
	if err := check("AsyncRecorder.Record", st, msg); err != nil {
		return false, err
	}
	return bool(q), nil
}

// RecordTimeout is Record that waits at most timeout for room, whatever the overflow policy.
// When there was no room in time the error matches [ErrTimeout], and the event is neither
// queued nor counted as dropped. Other errors as for Record.
func (r *AsyncRecorder) RecordTimeout(v uint64, timeout time.Duration) error {
	p := (*C.ap_async_recorder)(r.h.acquire())
	if p == nil {
		return ErrClosed
	}
	var msg *C.char
	st := C.apgo_async_recorder_record_timeout(p, C.uint64_t(v), C.uint64_t(max(timeout, 0)), &msg)
	r.h.release()
	return check("AsyncRecorder.RecordTimeout", st, msg)
}

// RecordTimer queues one execution of a timer recorder that took d; ok == false counts it as a
// failure. A negative d is recorded as 0. queued is as for Record. The error matches
// [ErrInvalidArgument] unless the recorder feeds a timer, and [ErrClosed] after Close.
func (r *AsyncRecorder) RecordTimer(d time.Duration, ok bool) (queued bool, err error) {
	p := (*C.ap_async_recorder)(r.h.acquire())
	if p == nil {
		return false, ErrClosed
	}
	var q C.bool
	var msg *C.char
	st := C.apgo_async_recorder_record_timer(p, C.uint64_t(max(d, 0)), C.bool(ok), &q, &msg)
	r.h.release()
	if err := check("AsyncRecorder.RecordTimer", st, msg); err != nil {
		return false, err
	}
	return bool(q), nil
}

// RecordGauge queues one operation on a gauge recorder's gauge. queued is as for Record. The
// error matches [ErrOutOfRange] for an unknown op, [ErrInvalidArgument] unless the recorder
// feeds a gauge, and [ErrClosed] after Close.
func (r *AsyncRecorder) RecordGauge(op GaugeOp, v float64) (queued bool, err error) {
	p := (*C.ap_async_recorder)(r.h.acquire())
	if p == nil {
		return false, ErrClosed
	}
	var q C.bool
	var msg *C.char
	st := C.apgo_async_recorder_record_gauge(p, C.uint32_t(op), C.double(v), &q, &msg)
	r.h.release()
	if err := check("AsyncRecorder.RecordGauge", st, msg); err != nil {
		return false, err
	}
	return bool(q), nil
}

// Flush waits until every event queued before the call has been applied, at most timeout, and
// reports whether they were. After Close it returns true at once: Close applied everything.
func (r *AsyncRecorder) Flush(timeout time.Duration) bool {
	p := (*C.ap_async_recorder)(r.h.acquire())
	if p == nil {
		return true
	}
	var done C.bool
	var msg *C.char
	st := C.apgo_async_recorder_flush(p, C.uint64_t(max(timeout, 0)), &done, &msg)
	r.h.release()
	return check("AsyncRecorder.Flush", st, msg) == nil && bool(done)
}

// Stats returns the recorder's counts. After Close it returns the counts Close left, with
// every queued event applied.
func (r *AsyncRecorder) Stats() AsyncStats {
	p := (*C.ap_async_recorder)(r.h.acquire())
	if p == nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.final
	}
	s := asyncStats(p)
	r.h.release()
	return s
}

func asyncStats(p *C.ap_async_recorder) AsyncStats {
	var s C.ap_async_stats
	C.ap_async_recorder_stats(p, &s)
	return AsyncStats{
		Enqueued: uint64(s.enqueued),
		Applied:  uint64(s.applied),
		Dropped:  uint64(s.dropped),
		Closed:   bool(s.closed),
	}
}

// Close stops accepting events, applies everything queued, stops the workers and releases the
// C memory. Records running concurrently either get in before Close and are applied, or fail
// with [ErrClosed]; a Record blocked on a full queue gets in as the workers drain it. Close is
// idempotent, and every call returns once the queue is drained. It always returns nil.
func (r *AsyncRecorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := (*C.ap_async_recorder)(r.h.acquire())
	if p == nil {
		return nil
	}
	C.ap_async_recorder_close(p)
	r.final = asyncStats(p)
	r.h.release()
	r.h.close()
	return nil
}
