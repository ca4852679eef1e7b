package atomicperf

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flushed flushes r and fails the test if its queue does not drain within a generous time (a
// liveness check, not a timing assertion).
func flushed(t *testing.T, r *AsyncRecorder) {
	t.Helper()
	if !r.Flush(30 * time.Second) {
		t.Fatalf("Flush did not drain the queue: %+v", r.Stats())
	}
}

func TestAsyncRecorderAppliesQueuedEventsToEachKindOfMetric(t *testing.T) {
	c, g, h, m, tm := MustNewCounter(), MustNewGauge(0), MustNewHistogram(), MustNewMinMax(), MustNewTimer()
	defer c.Close()
	defer g.Close()
	defer h.Close()
	defer m.Close()
	defer tm.Close()
	rc, rg, rh := MustNewCounterRecorder(c, nil), MustNewGaugeRecorder(g, nil), MustNewHistogramRecorder(h, nil)
	rm, rt := MustNewMinMaxRecorder(m, nil), MustNewTimerRecorder(tm, nil)
	for _, r := range []*AsyncRecorder{rc, rg, rh, rm, rt} {
		defer r.Close()
	}
	for _, v := range []uint64{5, 1, 9} {
		for _, r := range []*AsyncRecorder{rc, rh, rm} {
			if q, err := r.Record(v); err != nil || !q {
				t.Fatalf("%s Record(%d) = %v, %v", r.Kind(), v, q, err)
			}
		}
	}
	rt.RecordTimer(time.Millisecond, true)
	rt.RecordTimer(3*time.Millisecond, false)
	for _, e := range []struct {
		op GaugeOp
		v  float64
	}{{GaugeSet, 10}, {GaugeAdd, -4}, {GaugeSetMax, 3}, {GaugeSetMin, 2.5}} {
		// One worker applies events in queue order, so the operations compose as written.
		if _, err := rg.RecordGauge(e.op, e.v); err != nil {
			t.Fatalf("RecordGauge(%v, %v): %v", e.op, e.v, err)
		}
	}
	for _, r := range []*AsyncRecorder{rc, rg, rh, rm, rt} {
		flushed(t, r)
	}
	if got := c.Get(); got != 15 {
		t.Errorf("counter = %d, want 15", got)
	}
	if got := g.Get(); got != 2.5 {
		t.Errorf("gauge = %v, want 2.5", got)
	}
	if got := h.Count(); got != 3 {
		t.Errorf("histogram count = %d, want 3", got)
	}
	if lo, _ := m.Min(); lo != 1 {
		t.Errorf("min = %d, want 1", lo)
	}
	if hi, _ := m.Max(); hi != 9 {
		t.Errorf("max = %d, want 9", hi)
	}
	if s := tm.Stats(); s.Count != 2 || s.Errors != 1 || s.Total != 4*time.Millisecond {
		t.Errorf("timer = %+v, want 2 executions, 1 error, 4ms", s)
	}
	if s := rc.Stats(); s != (AsyncStats{Enqueued: 3, Applied: 3}) {
		t.Errorf("Stats() = %+v, want 3 enqueued and applied", s)
	}
}

func TestAsyncRecorderRejectsEventsOfAnotherKind(t *testing.T) {
	c, g, tm := MustNewCounter(), MustNewGauge(0), MustNewTimer()
	defer c.Close()
	defer g.Close()
	defer tm.Close()
	rc, rg, rt := MustNewCounterRecorder(c, nil), MustNewGaugeRecorder(g, nil), MustNewTimerRecorder(tm, nil)
	defer rc.Close()
	defer rg.Close()
	defer rt.Close()
	if _, err := rt.Record(1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("timer recorder Record: err = %v, want ErrInvalidArgument", err)
	}
	if _, err := rg.Record(1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("gauge recorder Record: err = %v, want ErrInvalidArgument", err)
	}
	if _, err := rc.RecordTimer(time.Second, true); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("counter recorder RecordTimer: err = %v, want ErrInvalidArgument", err)
	}
	if _, err := rc.RecordGauge(GaugeSet, 1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("counter recorder RecordGauge: err = %v, want ErrInvalidArgument", err)
	}
	if _, err := rg.RecordGauge(GaugeOp(42), 1); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("RecordGauge(42, 1): err = %v, want ErrOutOfRange", err)
	}
	if err := rt.RecordTimeout(1, time.Second); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("timer recorder RecordTimeout: err = %v, want ErrInvalidArgument", err)
	}
	flushed(t, rc)
	if s := rc.Stats(); s.Enqueued != 0 {
		t.Errorf("rejected events were counted: %+v", s)
	}
}

func TestNewAsyncRecorderRejectsBadConfigsNilAndClosedMetrics(t *testing.T) {
	c := MustNewCounter()
	defer c.Close()
	for _, cfg := range []AsyncConfig{
		{Capacity: 0, Workers: 1, Batch: 1},
		{Capacity: 1, Workers: 0, Batch: 1},
		{Capacity: 1, Workers: 1, Batch: 0},
		{Capacity: -1, Workers: 1, Batch: 1},
		{Capacity: 1, Workers: 1, Batch: 1, Overflow: 7},
	} {
		if r, err := NewCounterRecorder(c, &cfg); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("NewCounterRecorder(%+v): err = %v, want ErrOutOfRange", cfg, err)
			if r != nil {
				r.Close()
			}
		}
	}
	if _, err := NewCounterRecorder(nil, nil); !errors.Is(err, ErrNullHandle) {
		t.Errorf("NewCounterRecorder(nil): err = %v, want ErrNullHandle", err)
	}
	if _, err := NewTimerRecorder(nil, nil); !errors.Is(err, ErrNullHandle) {
		t.Errorf("NewTimerRecorder(nil): err = %v, want ErrNullHandle", err)
	}
	closed := MustNewHistogram()
	closed.Close()
	if _, err := NewHistogramRecorder(closed, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("NewHistogramRecorder(closed): err = %v, want ErrClosed", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNewMinMaxRecorder(nil) did not panic")
		}
	}()
	MustNewMinMaxRecorder(nil, nil)
}

func TestAsyncRecorderCloseDrainsAndLaterRecordsAreErrClosed(t *testing.T) {
	c := MustNewCounter()
	defer c.Close()
	r := MustNewCounterRecorder(c, &AsyncConfig{Capacity: 1024, Workers: 2, Batch: 16, Overflow: OverflowBlock})
	for range 500 {
		r.Record(2)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if got := c.Get(); got != 1000 {
		t.Errorf("counter after Close = %d, want 1000 (Close drains)", got)
	}
	if s := r.Stats(); s != (AsyncStats{Enqueued: 500, Applied: 500, Closed: true}) {
		t.Errorf("Stats() after Close = %+v, want 500 enqueued and applied, closed", s)
	}
	if _, err := r.Record(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Record after Close: err = %v, want ErrClosed", err)
	}
	if err := r.RecordTimeout(1, time.Second); !errors.Is(err, ErrClosed) {
		t.Errorf("RecordTimeout after Close: err = %v, want ErrClosed", err)
	}
	if _, err := r.RecordTimer(1, true); !errors.Is(err, ErrClosed) {
		t.Errorf("RecordTimer after Close: err = %v, want ErrClosed", err)
	}
	if _, err := r.RecordGauge(GaugeSet, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("RecordGauge after Close: err = %v, want ErrClosed", err)
	}
	if !r.Flush(0) {
		t.Error("Flush after Close = false, want true")
	}
	r.Close()
}

func TestAsyncRecorderRecordTimeoutThatFindsNoRoomIsErrTimeoutAndNeitherQueuedNorDropped(t *testing.T) {
	// With room for one event and no wait, a record times out whenever the worker has not yet
	// taken the previous event. How often that happens depends on scheduling, so the test pins
	// the accounting, whatever the number of timeouts.
	c := MustNewCounter()
	defer c.Close()
	r := MustNewCounterRecorder(c, &AsyncConfig{Capacity: 1, Workers: 1, Batch: 1, Overflow: OverflowDrop})
	defer r.Close()
	timeouts := 0
	for range 10000 {
		err := r.RecordTimeout(1, 0)
		switch {
		case err == nil:
		case errors.Is(err, ErrTimeout):
			timeouts++
		default:
			t.Fatalf("RecordTimeout(1, 0): %v", err)
		}
	}
	flushed(t, r)
	s := r.Stats()
	if s.Dropped != 0 || s.Enqueued != uint64(10000-timeouts) || s.Applied != s.Enqueued || c.Get() != s.Applied {
		t.Errorf("Stats() = %+v, counter %d, %d timeouts: timed-out events must be neither queued nor dropped",
			s, c.Get(), timeouts)
	}
}

func TestAsyncRecorderBlockModeUnder8GoroutinesAppliesEveryEvent(t *testing.T) {
	c := MustNewCounter()
	defer c.Close()
	r := MustNewCounterRecorder(c, &AsyncConfig{Capacity: 64, Workers: 2, Batch: 32, Overflow: OverflowBlock})
	defer r.Close()
	const goroutines, perG = 8, 5000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				if q, err := r.Record(uint64(g + i%3)); err != nil || !q {
					t.Errorf("Record = %v, %v; block mode always queues", q, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	flushed(t, r)
	var want uint64
	for g := range goroutines {
		for i := range perG {
			want += uint64(g + i%3)
		}
	}
	s := r.Stats()
	if s.Enqueued != goroutines*perG || s.Applied != s.Enqueued || s.Dropped != 0 {
		t.Errorf("Stats() = %+v, want %d enqueued, all applied, none dropped", s, goroutines*perG)
	}
	if got := c.Get(); got != want {
		t.Errorf("counter = %d, want %d", got, want)
	}
}

func TestAsyncRecorderDropModeUnder8GoroutinesAccountsForEveryEvent(t *testing.T) {
	h := MustNewHistogram()
	defer h.Close()
	r := MustNewHistogramRecorder(h, &AsyncConfig{Capacity: 16, Workers: 1, Batch: 4, Overflow: OverflowDrop})
	defer r.Close()
	const goroutines, perG = 8, 5000
	var queued, dropped atomic.Uint64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				q, err := r.Record(uint64(i))
				if err != nil {
					t.Errorf("Record: %v", err)
					return
				}
				if q {
					queued.Add(1)
				} else {
					dropped.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	flushed(t, r)
	s := r.Stats()
	if s.Enqueued != goroutines*perG || s.Applied+s.Dropped != s.Enqueued {
		t.Errorf("Stats() = %+v, want applied + dropped == enqueued == %d", s, goroutines*perG)
	}
	if s.Dropped != dropped.Load() || s.Applied != queued.Load() || h.Count() != s.Applied {
		t.Errorf("Stats() = %+v, histogram count %d; Record reported %d queued, %d dropped",
			s, h.Count(), queued.Load(), dropped.Load())
	}
}

func TestAsyncRecorderConcurrentCloseWaitsForTheDrainAndRecordsGetInOrFailClosed(t *testing.T) {
	c := MustNewCounter()
	defer c.Close()
	r := MustNewCounterRecorder(c, &AsyncConfig{Capacity: 8, Workers: 1, Batch: 2, Overflow: OverflowBlock})
	var accepted atomic.Uint64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				_, err := r.Record(1)
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("Record during Close: %v, want nil or ErrClosed", err)
					}
					return
				}
				accepted.Add(1)
			}
		}()
	}
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Close()
			// Every Close returns after the drain, so what it reports is final.
			if s := r.Stats(); !s.Closed || s.Applied != s.Enqueued {
				t.Errorf("Stats() after Close = %+v, want closed and drained", s)
			}
		}()
	}
	wg.Wait()
	if s := r.Stats(); s.Applied != accepted.Load() || c.Get() != accepted.Load() {
		t.Errorf("Stats() = %+v, counter %d, want both = %d accepted records", s, c.Get(), accepted.Load())
	}
}

func TestAsyncRecorderKeepsItsMetricAfterTheMetricsGoValueIsClosed(t *testing.T) {
	tm := MustNewTimer()
	r := MustNewTimerRecorder(tm, nil)
	tm.Close()
	if _, err := r.RecordTimer(time.Millisecond, true); err != nil {
		t.Fatalf("RecordTimer after the timer's Close: %v", err)
	}
	r.Close()
	if s := r.Stats(); s.Applied != 1 {
		t.Errorf("Stats() = %+v, want 1 applied", s)
	}
}

func TestClosedCodeMatchesErrClosedAndTimeoutMatchesErrTimeout(t *testing.T) {
	closed := fmt.Errorf("wrapped: %w", &Error{Op: "Test", Code: CodeClosed})
	if !errors.Is(closed, ErrClosed) || errors.Is(closed, ErrTimeout) {
		t.Errorf("an *Error with CodeClosed must match ErrClosed only")
	}
	timeout := &Error{Op: "Test", Code: CodeTimeout}
	if !errors.Is(timeout, ErrTimeout) || errors.Is(timeout, ErrClosed) {
		t.Errorf("an *Error with CodeTimeout must match ErrTimeout only")
	}
	for code, name := range map[Code]string{CodeTimeout: "AP_ERR_TIMEOUT", CodeClosed: "AP_ERR_CLOSED"} {
		if got := code.String(); len(got) < len(name) || got[:len(name)] != name {
			t.Errorf("Code(%d).String() = %q, want prefix %q", code, got, name)
		}
	}
}

func TestUnreachableNewMetricsFreeTheirHandlesWithoutClose(t *testing.T) {
	before := handlesFreed.Load()
	func() {
		for range 5 {
			MustNewMinMax().Record(1)
			MustNewTimer().Record(time.Millisecond, true)
			MustNewThroughputWindow(time.Second, 10, time.Millisecond).Record(1)
			MustNewRateTracker(nil, nil)
			r := MustNewMinMaxRecorder(MustNewMinMax(), nil)
			r.Record(1)
		}
	}()
	// 5 x (minmax, timer, window, tracker, recorder, recorder's minmax)
	const want = 30
	deadline := time.Now().Add(10 * time.Second)
	for handlesFreed.Load()-before < want {
		if time.Now().After(deadline) {
			t.Fatalf("freed %d handles of %d after GC", handlesFreed.Load()-before, want)
		}
		time.Sleep(time.Millisecond)
		runtime.GC()
	}
}
