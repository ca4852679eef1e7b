package atomicperf

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
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
		if !c.h.closed() {
			t.Fatalf("round %d: handle not marked closed", round)
		}
		// Pinned: the C memory stays until the counter is unreachable (see Counter).
		if c.h.load() == nil {
			t.Fatalf("round %d: handle freed by Close while the Counter is reachable", round)
		}
	}
}

func TestCounterDirectIncFrom4GoroutinesIsExactThroughTheLibrary(t *testing.T) {
	c := newCounter(t)
	const goroutines, per = 4, 1_000_000
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				c.Inc()
			}
		}()
	}
	wg.Wait()
	// Get sums the stripes in Rust (ap_counter_get): the Go writes are the library's counts.
	if got, want := c.Get(), uint64(goroutines*per); got != want {
		t.Fatalf("Get() = %d, want %d", got, want)
	}
}

func TestCounterMixingDirectIncAndAddAndCgoAddManyIsExact(t *testing.T) {
	c := newCounter(t)
	const goroutines, per = 4, 100_000
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := []uint64{1, 2, 3, 4}
			for i := 0; i < per; i++ {
				c.Inc()
				c.Add(3)
				if i%10 == 0 {
					c.AddMany(batch) // cgo: the library adds to a stripe of its choice
					c.incCgo()
				}
			}
		}()
	}
	wg.Wait()
	if got, want := c.Get(), uint64(goroutines*(per*4+per/10*11)); got != want {
		t.Fatalf("Get() = %d, want %d", got, want)
	}
}

// sumCells adds up the stripes as the library describes them, bypassing Close (test only).
func sumCells(t *testing.T, c *Counter) uint64 {
	t.Helper()
	cells := c.describeCells()
	var sum uint64
	for i := uintptr(0); i < cells.count; i++ {
		sum += atomic.LoadUint64((*uint64)(unsafe.Add(cells.base, cells.offset+i*cells.stride)))
	}
	runtime.KeepAlive(c)
	return sum
}

func TestCounterCloseWhileOthersWriteDirectlyLosesNoCountBeforeClose(t *testing.T) {
	for round := 0; round < 20; round++ {
		c := MustNewCounter()
		const writers, before = 4, 10_000
		var started, done sync.WaitGroup
		var stop atomic.Bool
		var after atomic.Uint64 // Inc calls made after the writer saw every pre-Close Inc counted
		for w := 0; w < writers; w++ {
			started.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				for i := 0; i < before; i++ {
					c.Inc()
				}
				started.Done()
				for !stop.Load() {
					c.Inc()
					c.Add(2)
					after.Add(1)
				}
			}()
		}
		started.Wait() // every writer has made its first 10,000 increments and is still writing
		if got := c.Get(); got < writers*before {
			t.Fatalf("round %d: Get() before Close = %d, want at least %d", round, got, writers*before)
		}
		c.Close()
		if got := c.Get(); got != 0 {
			t.Fatalf("round %d: Get() after Close = %d, want 0", round, got)
		}
		for after.Load() < 1000 { // writers keep going after Close: no crash, no effect
			runtime.Gosched()
		}
		stop.Store(true)
		done.Wait()
		// The memory is still there (c is reachable) and holds every count made before Close,
		// and at most the ones made after it.
		if got, max := sumCells(t, c), uint64(writers*before)+3*after.Load(); got < writers*before || got > max {
			t.Fatalf("round %d: cells hold %d, want %d..%d", round, got, writers*before, max)
		}
	}
}

func TestCounterCellsAreFreedByTheCleanupOnceUnreachable(t *testing.T) {
	before := handlesFreed.Load()
	func() {
		c := MustNewCounter()
		c.Inc()
		c.Close()
		c.Inc() // after Close: nothing, and no use of freed memory
		if c.h.load() == nil {
			t.Fatal("Close freed the cells of a reachable counter")
		}
	}()
	for i := 0; i < 100 && handlesFreed.Load() == before; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if handlesFreed.Load() == before {
		t.Fatal("the cleanup did not free the closed, unreachable counter")
	}
}

func TestCounterCellsDescriptionMatchesTheStripes(t *testing.T) {
	for _, n := range []int{1, 2, 8, 64, 1024} {
		c := MustNewCounterWithStripes(n)
		cells := c.describeCells()
		if cells.kind != cellCounterStripes {
			t.Errorf("stripes %d: kind = %d, want AP_CELL_COUNTER_STRIPES", n, cells.kind)
		}
		if cells.count != uintptr(n) || cells.count&(cells.count-1) != 0 {
			t.Errorf("stripes %d: count = %d, want %d (a power of two)", n, cells.count, n)
		}
		if n > 1 && (cells.stride == 0 || cells.stride%8 != 0) {
			t.Errorf("stripes %d: stride = %d, want a non-zero multiple of 8", n, cells.stride)
		}
		if cells.base == nil || (uintptr(cells.base)+cells.offset)%8 != 0 {
			t.Errorf("stripes %d: first cell at %p + %d, want non-nil and 8-byte aligned", n, cells.base, cells.offset)
		}
		if c.mask != cells.count-1 || c.stride != cells.stride {
			t.Errorf("stripes %d: counter uses mask %d stride %d, description says %d cells stride %d", n, c.mask, c.stride, cells.count, cells.stride)
		}
		// A write to every described stripe is part of the library's total.
		var want uint64
		for i := uintptr(0); i < cells.count; i++ {
			atomic.AddUint64((*uint64)(unsafe.Add(cells.base, cells.offset+i*cells.stride)), uint64(i+1))
			want += uint64(i + 1)
		}
		c.Inc()
		if got := c.Get(); got != want+1 {
			t.Errorf("stripes %d: Get() = %d, want %d", n, got, want+1)
		}
		c.Close()
	}
}

func TestStripeHintIsThePIdPlusTheProcessOffset(t *testing.T) {
	// Goroutines spinning at the same time run on every P: their hints are the P ids 0 to
	// GOMAXPROCS-1 (plus this process's offset), so with 2 Ps both ids show up. They spin until
	// two ids were seen (or 20 s pass), so that a loaded machine that runs them one after the
	// other for a while does not fail the test.
	procs := runtime.GOMAXPROCS(0)
	if procs < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
		procs = 2
	}
	var (
		mu      sync.Mutex
		seen    = map[uintptr]bool{}
		bad     []uintptr
		enough  atomic.Bool
		timeout atomic.Bool
		wg      sync.WaitGroup
	)
	timer := time.AfterFunc(20*time.Second, func() { timeout.Store(true) })
	defer timer.Stop()
	for i := 0; i < procs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !enough.Load() && !timeout.Load() {
				h := stripeHint()
				mu.Lock()
				if id := h - stripeSalt; id >= uintptr(procs) {
					bad = append(bad, h)
				} else {
					seen[id] = true
				}
				if len(seen) >= 2 || len(bad) > 0 {
					enough.Store(true)
				}
				mu.Unlock()
				for k := 0; k < 100; k++ { // spin: stay on the P a while
					runtime.KeepAlive(k)
				}
			}
		}()
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("hint %d is not a P id (0 to %d) plus the offset %d", bad[0], procs-1, stripeSalt)
	}
	if len(seen) < 2 {
		t.Fatalf("%d goroutines spinning on %d Ps for 20 s all had the hint of P %v", procs, procs, seen)
	}
}
