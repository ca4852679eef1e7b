package atomicperf

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"
)

func TestTimerStatsOfAnEmptyTimerAreZero(t *testing.T) {
	tm := MustNewTimer()
	defer tm.Close()
	if s := tm.Stats(); s != (TimerStats{}) {
		t.Errorf("Stats() of an empty timer = %+v, want zeros", s)
	}
	if _, err := tm.Quantile(0.5); !errors.Is(err, ErrEmpty) {
		t.Errorf("Quantile(0.5) of an empty timer: err = %v, want ErrEmpty", err)
	}
}

func TestTimerCountsExecutionsErrorsTotalAndExtremesExactly(t *testing.T) {
	tm := MustNewTimer()
	defer tm.Close()
	tm.Record(100*time.Microsecond, true)
	tm.Record(300*time.Microsecond, false)
	tm.RecordNanos(200_000, true)
	tm.Record(-time.Second, true) // negative: recorded as 0
	s := tm.Stats()
	want := TimerStats{Count: 4, Errors: 1, Total: 600 * time.Microsecond, Min: 0, Max: 300 * time.Microsecond,
		Mean: 150 * time.Microsecond}
	if s.Count != want.Count || s.Errors != want.Errors || s.Total != want.Total || s.Min != want.Min ||
		s.Max != want.Max || s.Mean != want.Mean {
		t.Errorf("Stats() = %+v, want %+v (quantiles aside)", s, want)
	}
	if !(s.P50 <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.P999 && s.P999 <= s.Max+s.Max/100) {
		t.Errorf("quantiles out of order: %+v", s)
	}
}

func TestTimerQuantilesAreWithinPrecision(t *testing.T) {
	tm := MustNewTimerWithPrecision(3, time.Second)
	defer tm.Close()
	for i := 1; i <= 1000; i++ {
		tm.Record(time.Duration(i)*time.Microsecond, true)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0, time.Microsecond}, {0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, time.Millisecond}} {
		got, err := tm.Quantile(c.q)
		if err != nil {
			t.Fatalf("Quantile(%v): %v", c.q, err)
		}
		if math.Abs(float64(got-c.want)) > float64(c.want)/1000 {
			t.Errorf("Quantile(%v) = %v, want %v within 0.1%%", c.q, got, c.want)
		}
	}
	s := tm.Stats()
	if math.Abs(float64(s.P99-990*time.Microsecond)) > float64(990*time.Microsecond)/1000 {
		t.Errorf("Stats().P99 = %v, want 990µs within 0.1%%", s.P99)
	}
}

func TestTimerQuantileOutsideZeroToOneIsOutOfRange(t *testing.T) {
	tm := MustNewTimer()
	defer tm.Close()
	tm.Record(time.Millisecond, true)
	for _, q := range []float64{-0.1, 1.1, math.NaN(), math.Inf(1)} {
		if _, err := tm.Quantile(q); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Quantile(%v): err = %v, want ErrOutOfRange", q, err)
		}
	}
}

func TestNewTimerWithPrecisionRejectsBadLayouts(t *testing.T) {
	for _, c := range []struct {
		sigfigs uint32
		highest time.Duration
	}{{0, time.Second}, {6, time.Second}, {2, 1}, {2, -time.Second}} {
		if tm, err := NewTimerWithPrecision(c.sigfigs, c.highest); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("NewTimerWithPrecision(%d, %v): err = %v, want ErrOutOfRange", c.sigfigs, c.highest, err)
			if tm != nil {
				tm.Close()
			}
		}
	}
	defer func() {
		if r := recover(); r == nil {
			t.Error("MustNewTimerWithPrecision(0, 1s) did not panic")
		}
	}()
	MustNewTimerWithPrecision(0, time.Second)
}

func TestTimerResetForgetsEverything(t *testing.T) {
	tm := MustNewTimer()
	defer tm.Close()
	tm.Record(time.Millisecond, false)
	tm.Reset()
	if s := tm.Stats(); s != (TimerStats{}) {
		t.Errorf("Stats() after Reset = %+v, want zeros", s)
	}
}

func TestTimerStartStopRecordsASuccessAndFailRecordsAFailure(t *testing.T) {
	tm := MustNewTimer()
	defer tm.Close()
	func() { defer tm.Start().Stop() }()
	sw := tm.Start()
	if d := sw.Fail(); d < 0 {
		t.Errorf("Fail() = %v, want >= 0", d)
	}
	if s := tm.Stats(); s.Count != 2 || s.Errors != 1 {
		t.Errorf("Stats() = count %d errors %d, want 2 and 1", s.Count, s.Errors)
	}
}

func TestTimerTimeRecordsAnErrorOrPanicAsAFailureAndPassesItOn(t *testing.T) {
	tm := MustNewTimer()
	defer tm.Close()
	boom := errors.New("boom")
	if err := tm.Time(func() error { return nil }); err != nil {
		t.Errorf("Time(ok) = %v, want nil", err)
	}
	if err := tm.Time(func() error { return boom }); err != boom {
		t.Errorf("Time(failing) = %v, want %v", err, boom)
	}
	func() {
		defer func() {
			if r := recover(); r != "panic" {
				t.Errorf("recovered %v, want the panic to go on", r)
			}
		}()
		tm.Time(func() error { panic("panic") })
	}()
	if s := tm.Stats(); s.Count != 3 || s.Errors != 2 {
		t.Errorf("Stats() = count %d errors %d, want 3 and 2", s.Count, s.Errors)
	}
}

func TestTimerCountEqualsCallsUnder8Goroutines(t *testing.T) {
	tm := MustNewTimer()
	defer tm.Close()
	const goroutines, perG = 8, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				switch i % 4 {
				case 0:
					tm.Record(time.Duration(i+1)*time.Microsecond, g%2 == 0)
				case 1:
					tm.Start().Stop()
				case 2:
					tm.Time(func() error { return nil })
				default:
					tm.RecordNanos(uint64(i), true)
				}
			}
		}()
	}
	wg.Wait()
	s := tm.Stats()
	if s.Count != goroutines*perG {
		t.Errorf("Count = %d, want %d", s.Count, goroutines*perG)
	}
	if want := uint64(goroutines / 2 * perG / 4); s.Errors != want {
		t.Errorf("Errors = %d, want %d", s.Errors, want)
	}
}

func TestTimerAfterCloseRecordsNothingAndQuantileIsErrClosed(t *testing.T) {
	tm := MustNewTimer()
	tm.Record(time.Millisecond, true)
	tm.Close()
	tm.Close()
	tm.Record(time.Millisecond, true)
	tm.Start().Stop()
	tm.Reset()
	if s := tm.Stats(); s != (TimerStats{}) {
		t.Errorf("Stats() after Close = %+v, want zeros", s)
	}
	if _, err := tm.Quantile(0.5); err != ErrClosed {
		t.Errorf("Quantile after Close: err = %v, want ErrClosed", err)
	}
}
