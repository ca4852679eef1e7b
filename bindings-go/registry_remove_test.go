package atomicperf

import (
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

func TestRegistryRemoveClearFamilyAndClear(t *testing.T) {
	r := MustNewRegistry()
	defer r.Close()
	mail := Labels{"queue": "mail"}
	a := r.MustCounter("jobs", "Jobs.", mail)
	b := r.MustCounter("jobs", "Jobs.", Labels{"queue": "sms"})
	a.Add(5)
	b.Add(7)
	removed, err := r.Remove("jobs", mail)
	if err != nil || !removed {
		t.Fatalf("Remove: %v %v", removed, err)
	}
	text, _ := r.Export(FormatPrometheus)
	if strings.Contains(string(text), "mail") || !strings.Contains(string(text), `jobs_total{queue="sms"} 7`) {
		t.Fatalf("export after Remove:\n%s", text)
	}
	// The removed series' value keeps working (a direct cell write); the cached look-up gives
	// the new series, from zero.
	a.Inc()
	if a.Get() != 6 {
		t.Fatalf("removed series: %d", a.Get())
	}
	again := r.MustCounter("jobs", "Jobs.", mail)
	if again == a || again.Get() != 0 {
		t.Fatalf("look-up after Remove returned the removed series (%d)", again.Get())
	}
	if again2 := r.MustCounter("jobs", "Jobs.", mail); again2 != again {
		t.Fatal("the new series is not cached")
	}
	if removed, err := r.Remove("jobs", Labels{"queue": "fax"}); err != nil || removed {
		t.Fatalf("absent series: %v %v", removed, err)
	}
	if removed, err := r.Remove("nothing", nil); err != nil || removed {
		t.Fatalf("absent family: %v %v", removed, err)
	}
	if _, err := r.Remove("jobs", Labels{"state": "x"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("other label names: %v", err)
	}
	if _, err := r.Remove("jobs\x00", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NUL: %v", err)
	}
	if n, err := r.ClearFamily("jobs"); err != nil || n != 2 {
		t.Fatalf("ClearFamily: %d %v", n, err)
	}
	if n, err := r.ClearFamily("nothing"); err != nil || n != 0 {
		t.Fatalf("ClearFamily of nothing: %d %v", n, err)
	}
	if _, err := r.ClearFamily("a\x00"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NUL: %v", err)
	}
	h := r.MustHistogram("lat", "", nil, HistogramOpts{})
	h.Record(5)
	r.MustNativeHistogram("nat", "", nil, NativeHistogramOpts{}).Record(0.5)
	if n, err := r.Clear(); err != nil || n != 2 {
		t.Fatalf("Clear: %d %v", n, err)
	}
	h.Record(6) // direct writes to a removed histogram
	if h.Count() != 2 {
		t.Fatalf("removed histogram count %d", h.Count())
	}
	if r.MustHistogram("lat", "", nil, HistogramOpts{}).Count() != 0 {
		t.Fatal("histogram not new after Clear")
	}
	r.Close()
	if _, err := r.Remove("jobs", mail); err != ErrClosed {
		t.Fatalf("closed: %v", err)
	}
	if _, err := r.ClearFamily("jobs"); err != ErrClosed {
		t.Fatalf("closed: %v", err)
	}
	if _, err := r.Clear(); err != ErrClosed {
		t.Fatalf("closed: %v", err)
	}
}

func TestRegistryWritersRacingRemovalsLoseNoIncrement(t *testing.T) {
	// Goroutines look a series up (through the cache) and increment it with direct cell writes
	// while another removes it again and again. Every increment lands in some incarnation: the
	// totals of all the incarnations the writers held add up to every increment.
	const writers, incs = 4, 20_000
	r := MustNewRegistry()
	defer r.Close()
	labels := Labels{"page": "/"}
	var stop atomic.Bool
	var removals atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			if ok, err := r.Remove("hits", labels); err != nil {
				t.Error(err)
				return
			} else if ok {
				removals.Add(1)
			}
			if _, err := r.Clear(); err != nil {
				t.Error(err)
				return
			}
			runtime.Gosched()
		}
	}()
	// Incarnations by their cells (two Go values may wrap one series: the look-up cache drops
	// every entry on any removal).
	var mu sync.Mutex
	seen := map[unsafe.Pointer]*Counter{}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := map[unsafe.Pointer]*Counter{}
			for i := 0; i < incs; i++ {
				c := r.MustCounter("hits", "", labels)
				c.Inc()
				r.MustHistogram("lat", "", labels, HistogramOpts{}).Record(uint64(i))
				mine[atomic.LoadPointer(&c.cells)] = c
			}
			mu.Lock()
			for p, c := range mine {
				seen[p] = c
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	stop.Store(true)
	<-done
	var total uint64
	for _, c := range seen {
		total += c.Get()
	}
	if total != writers*incs {
		t.Fatalf("increments: %d over %d incarnations, want %d", total, len(seen), writers*incs)
	}
	if removals.Load() == 0 || len(seen) < 2 {
		t.Fatalf("no race: %d removals, %d incarnations", removals.Load(), len(seen))
	}
}

// settleCleanups collects garbage until the cleanups that free C handles have caught up (on a
// loaded machine they lag behind the collections), then returns free memory to the system.
func settleCleanups() {
	for last := handlesFreed.Load() - 1; ; {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
		n := handlesFreed.Load()
		if n == last {
			break
		}
		last = n
	}
	debug.FreeOSMemory()
}

// rssBytes is this process's resident set size (Linux).
func rssBytes(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	pages, err := strconv.ParseUint(strings.Fields(string(b))[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return pages * uint64(os.Getpagesize())
}

func TestRegistryCreateUpdateRemoveCyclesKeepMemoryFlat(t *testing.T) {
	if raceEnabled {
		// The race detector keeps shadow state per allocation: memory is not the program's.
		t.Skip("not under -race (scripts/test-go.sh runs it without)")
	}
	cycles := 1_000_000
	if testing.Short() {
		cycles = 100_000
	}
	warmUp := cycles / 5
	r := MustNewRegistry()
	defer r.Close()
	var after, peak uint64
	for i := 0; i < cycles; i++ {
		labels := Labels{"tenant": "t" + strconv.Itoa(i)}
		r.MustCounter("requests", "", labels).Add(uint64(i))
		if ok, err := r.Remove("requests", labels); err != nil || !ok {
			t.Fatalf("Remove %d: %v %v", i, ok, err)
		}
		switch {
		case i+1 == warmUp:
			settleCleanups()
			after = rssBytes(t)
		case i > warmUp && i%(cycles/20) == 0:
			settleCleanups()
			peak = max(peak, rssBytes(t))
		}
	}
	settleCleanups()
	peak = max(peak, rssBytes(t))
	t.Logf("%d cycles: resident %d KiB after warm-up, peak %d KiB (%+.1f%%)", cycles, after/1024, peak/1024, (float64(peak)/float64(after)-1)*100)
	if float64(peak) > float64(after)*1.10 {
		t.Fatalf("resident memory grew from %d to %d bytes", after, peak)
	}
}
