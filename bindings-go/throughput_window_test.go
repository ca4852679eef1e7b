package atomicperf

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestThroughputWindowCountsEventsAndSLAViolations(t *testing.T) {
	w := MustNewThroughputWindow(time.Minute, 60, 100*time.Millisecond)
	defer w.Close()
	for _, ms := range []int{20, 50, 250, 80, 100, 101} {
		w.Record(time.Duration(ms) * time.Millisecond)
	}
	w.Record(-time.Second) // counted as 0
	s := w.Stats()
	if s.Events != 7 || s.Violations != 2 {
		t.Errorf("Stats() = %+v, want 7 events, 2 violations (above, not at, the SLA)", s)
	}
	if want := 2.0 / 7; s.ViolationRatio != want {
		t.Errorf("ViolationRatio = %v, want %v", s.ViolationRatio, want)
	}
	if s.Covered <= 0 || s.Covered > time.Minute || s.EventsPerSecond <= 0 {
		t.Errorf("Covered = %v, EventsPerSecond = %v, want a positive age within the window", s.Covered, s.EventsPerSecond)
	}
}

func TestThroughputWindowWithoutEventsHasZeroRatio(t *testing.T) {
	w := MustNewThroughputWindow(time.Second, 10, time.Millisecond)
	defer w.Close()
	if s := w.Stats(); s.Events != 0 || s.Violations != 0 || s.ViolationRatio != 0 || s.EventsPerSecond != 0 {
		t.Errorf("Stats() = %+v, want no events and ratio 0", s)
	}
}

func TestNewThroughputWindowRejectsBadConfigs(t *testing.T) {
	for _, c := range []struct {
		window  time.Duration
		buckets int
		sla     time.Duration
	}{
		{0, 10, time.Millisecond},
		{-time.Second, 10, time.Millisecond},
		{time.Second, 0, time.Millisecond},
		{time.Second, -1, time.Millisecond},
		{5, 10, time.Millisecond}, // buckets shorter than 1 ns
		{time.Second, 10, -time.Millisecond},
	} {
		if w, err := NewThroughputWindow(c.window, c.buckets, c.sla); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("NewThroughputWindow(%v, %d, %v): err = %v, want ErrOutOfRange", c.window, c.buckets, c.sla, err)
			if w != nil {
				w.Close()
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNewThroughputWindow(0, 0, 0) did not panic")
		}
	}()
	MustNewThroughputWindow(0, 0, 0)
}

func TestThroughputWindowCountsEveryEventOf8Goroutines(t *testing.T) {
	w := MustNewThroughputWindow(time.Hour, 60, time.Millisecond)
	defer w.Close()
	const goroutines, perG = 8, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				if g == 0 && i%2 == 0 {
					w.Record(time.Second)
				} else {
					w.Record(time.Microsecond)
				}
			}
		}()
	}
	wg.Wait()
	if s := w.Stats(); s.Events != goroutines*perG || s.Violations != perG/2 {
		t.Errorf("Stats() = %+v, want %d events, %d violations", s, goroutines*perG, perG/2)
	}
}

func TestThroughputWindowAfterCloseRecordsNothing(t *testing.T) {
	w := MustNewThroughputWindow(time.Second, 10, time.Millisecond)
	w.Record(time.Second)
	w.Close()
	w.Close()
	w.Record(time.Second)
	if s := w.Stats(); s != (WindowStats{}) {
		t.Errorf("Stats() after Close = %+v, want zeros", s)
	}
}
