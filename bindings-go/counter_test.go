package atomicperf

import (
	"errors"
	"sync"
	"testing"
)

func newCounter(t *testing.T) *Counter {
	t.Helper()
	c, err := NewCounter()
	if err != nil {
		t.Fatalf("NewCounter: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestCounterStartsAtZeroAndCountsIncAddAndAddMany(t *testing.T) {
	c := newCounter(t)
	if got := c.Get(); got != 0 {
		t.Fatalf("new counter Get() = %d, want 0", got)
	}
	c.Inc()
	c.Add(41)
	c.AddMany([]uint64{100, 200, 300})
	c.AddMany(nil)
	c.AddMany([]uint64{})
	if got, want := c.Get(), uint64(642); got != want {
		t.Fatalf("Get() = %d, want %d", got, want)
	}
}

func TestCounterAddManyCrossesOnceForALargeSlice(t *testing.T) {
	c := newCounter(t)
	vs := make([]uint64, 10_000)
	var want uint64
	for i := range vs {
		vs[i] = uint64(i)
		want += uint64(i)
	}
	c.AddMany(vs)
	if got := c.Get(); got != want {
		t.Fatalf("Get() = %d, want %d", got, want)
	}
}

func TestNewCounterWithStripesAcceptsPowersOfTwoFrom1To1024(t *testing.T) {
	for _, n := range []int{1, 2, 64, 1024} {
		c, err := NewCounterWithStripes(n)
		if err != nil {
			t.Fatalf("NewCounterWithStripes(%d): %v", n, err)
		}
		c.Add(uint64(n))
		if got := c.Get(); got != uint64(n) {
			t.Errorf("stripes %d: Get() = %d, want %d", n, got, n)
		}
		c.Close()
	}
}

func TestNewCounterWithStripesRejectsOtherCountsWithErrOutOfRange(t *testing.T) {
	for _, n := range []int{-1, 0, 3, 1000, 2048} {
		c, err := NewCounterWithStripes(n)
		if !errors.Is(err, ErrOutOfRange) {
			t.Errorf("NewCounterWithStripes(%d) error = %v, want ErrOutOfRange", n, err)
		}
		if c != nil {
			t.Errorf("NewCounterWithStripes(%d) returned a counter with an error", n)
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeOutOfRange || e.Message == "" {
			t.Errorf("NewCounterWithStripes(%d) error = %#v, want *Error with code and message", n, err)
		}
	}
}

func TestMustNewCounterWithStripesPanicsOnBadInput(t *testing.T) {
	defer func() {
		err, _ := recover().(error)
		if !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("recovered %v, want an error matching ErrOutOfRange", err)
		}
	}()
	MustNewCounterWithStripes(3)
}

func TestCounterIsExactUnder8GoroutinesHammeringIt(t *testing.T) {
	c := MustNewCounter()
	defer c.Close()
	const goroutines, perGoroutine = 8, 20_000
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := []uint64{1, 2, 3}
			for i := 0; i < perGoroutine; i++ {
				c.Inc()
				c.Add(2)
				if i%100 == 0 {
					c.AddMany(batch)
				}
			}
		}()
	}
	wg.Wait()
	want := uint64(goroutines * (perGoroutine*3 + perGoroutine/100*6))
	if got := c.Get(); got != want {
		t.Fatalf("Get() = %d, want %d", got, want)
	}
}

func TestCounterAfterCloseIgnoresWritesAndReadsZero(t *testing.T) {
	c := MustNewCounter()
	c.Add(5)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	c.Inc()
	c.Add(1)
	c.AddMany([]uint64{1, 2})
	if got := c.Get(); got != 0 {
		t.Fatalf("Get() after Close = %d, want 0", got)
	}
}

func TestCounterCloseIsSafeWhileOtherGoroutinesUseIt(t *testing.T) {
	for round := 0; round < 50; round++ {
		c := MustNewCounter()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for i := 0; i < 200; i++ {
					c.Inc()
					c.AddMany([]uint64{1, 2})
					_ = c.Get()
				}
			}()
		}
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				c.Close()
			}()
		}
		close(start)
		wg.Wait()
		if !c.h.closed() || c.h.load() != nil {
			t.Fatalf("round %d: handle not freed after Close and all calls returned", round)
		}
	}
}
