package atomicperf

import (
	"sync"
	"testing"
)

func TestMinMaxIsEmptyUntilTheFirstRecord(t *testing.T) {
	m := MustNewMinMax()
	defer m.Close()
	if v, ok := m.Min(); ok {
		t.Errorf("Min() of an empty MinMax = %d, true; want ok == false", v)
	}
	if v, ok := m.Max(); ok {
		t.Errorf("Max() of an empty MinMax = %d, true; want ok == false", v)
	}
	m.Record(0)
	if v, ok := m.Min(); !ok || v != 0 {
		t.Errorf("Min() after Record(0) = %d, %v, want 0, true", v, ok)
	}
	if v, ok := m.Max(); !ok || v != 0 {
		t.Errorf("Max() after Record(0) = %d, %v, want 0, true", v, ok)
	}
}

func TestMinMaxKeepsTheExtremesIncludingTheWholeUint64Range(t *testing.T) {
	m := MustNewMinMax()
	defer m.Close()
	for _, v := range []uint64{50, 7, 1 << 63, 12, ^uint64(0), 1} {
		m.Record(v)
	}
	if v, ok := m.Min(); !ok || v != 1 {
		t.Errorf("Min() = %d, %v, want 1, true", v, ok)
	}
	if v, ok := m.Max(); !ok || v != ^uint64(0) {
		t.Errorf("Max() = %d, %v, want %d, true", v, ok, ^uint64(0))
	}
}

func TestMinMaxResetForgetsEveryValue(t *testing.T) {
	m := MustNewMinMax()
	defer m.Close()
	m.Record(3)
	m.Reset()
	if _, ok := m.Min(); ok {
		t.Error("Min() after Reset reports a value")
	}
	if _, ok := m.Max(); ok {
		t.Error("Max() after Reset reports a value")
	}
	m.Record(9)
	if v, _ := m.Min(); v != 9 {
		t.Errorf("Min() after Reset and Record(9) = %d, want 9", v)
	}
}

func TestMinMaxExtremesAreExactUnder8Goroutines(t *testing.T) {
	m := MustNewMinMax()
	defer m.Close()
	const goroutines, perG = 8, 5000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Goroutine g records g*perG+1 .. (g+1)*perG: the extremes are 1 and 8*perG, seen by
			// different goroutines.
			for i := range perG {
				m.Record(uint64(g*perG + i + 1))
			}
		}()
	}
	wg.Wait()
	if v, ok := m.Min(); !ok || v != 1 {
		t.Errorf("Min() = %d, %v, want 1, true", v, ok)
	}
	if v, ok := m.Max(); !ok || v != goroutines*perG {
		t.Errorf("Max() = %d, %v, want %d, true", v, ok, goroutines*perG)
	}
}

func TestMinMaxAfterCloseRecordsNothingAndReportsEmpty(t *testing.T) {
	m := MustNewMinMax()
	m.Record(5)
	if err := m.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	m.Close()
	m.Record(1)
	m.Reset()
	if v, ok := m.Min(); ok || v != 0 {
		t.Errorf("Min() after Close = %d, %v, want 0, false", v, ok)
	}
	if v, ok := m.Max(); ok || v != 0 {
		t.Errorf("Max() after Close = %d, %v, want 0, false", v, ok)
	}
}

func TestMinMaxCloseDuringRecordsIsSafe(t *testing.T) {
	m := MustNewMinMax()
	m.Record(1000)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				m.Record(uint64(i))
				// Before Close a read sees a recorded value; after it, nothing. Never anything
				// else (a value never recorded, or ok with a freed cell's contents).
				if v, ok := m.Min(); ok && v > 1000 {
					t.Errorf("Min() = %d, true during Close; every recorded value <= 1999 and 1000 came first", v)
					return
				} else if !ok && v != 0 {
					t.Errorf("Min() = %d, false during Close, want 0, false", v)
					return
				}
				if v, ok := m.Max(); ok && (v < 1000 || v > 1999) {
					t.Errorf("Max() = %d, true during Close, want 1000..1999", v)
					return
				}
			}
		}()
	}
	m.Close()
	wg.Wait()
	if v, ok := m.Min(); ok || v != 0 {
		t.Errorf("Min() after Close = %d, %v, want 0, false", v, ok)
	}
	if v, ok := m.Max(); ok || v != 0 {
		t.Errorf("Max() after Close = %d, %v, want 0, false", v, ok)
	}
}
