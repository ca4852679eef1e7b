package atomicperf

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestOnceMapRunsInitExactlyOnceFor16Goroutines(t *testing.T) {
	m := MustNewOnceMap()
	defer m.Close()
	const goroutines = 16
	var inits atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	results := make([][]byte, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, err := m.GetOrInitString("client", func() ([]byte, error) {
				inits.Add(1)
				time.Sleep(10 * time.Millisecond) // let the others pile up behind the ticket
				return []byte(fmt.Sprintf("client made by %d", g)), nil
			})
			if err != nil {
				t.Error(err)
			}
			results[g] = v
		}()
	}
	close(start)
	wg.Wait()
	if n := inits.Load(); n != 1 {
		t.Fatalf("init ran %d times, want 1", n)
	}
	for g, v := range results {
		if !bytes.Equal(v, results[0]) {
			t.Fatalf("goroutine %d got %q, goroutine 0 got %q", g, v, results[0])
		}
	}
	if v, found, _ := m.GetString("client"); !found || !bytes.Equal(v, results[0]) {
		t.Fatalf("Get = %q, %v after the init", v, found)
	}
	if m.Len() != 1 {
		t.Fatalf("Len = %d, want 1", m.Len())
	}
}

func TestOnceMapDoesNotCacheAFailedInitAndTheNextCallerRetries(t *testing.T) {
	m := MustNewOnceMap()
	defer m.Close()
	errDown := errors.New("backend down")
	v, err := m.GetOrInit([]byte("k"), func() ([]byte, error) { return nil, errDown })
	if err != errDown || v != nil {
		t.Fatalf("GetOrInit with a failing init = %q, %v; want init's error unchanged", v, err)
	}
	if _, found, _ := m.Get([]byte("k")); found || m.Len() != 0 {
		t.Fatal("a failed init was cached")
	}
	v, err = m.GetOrInit([]byte("k"), func() ([]byte, error) { return []byte("up"), nil })
	if err != nil || string(v) != "up" {
		t.Fatalf("retry = %q, %v; want up", v, err)
	}
	v, err = m.GetOrInit([]byte("k"), func() ([]byte, error) { return nil, errDown })
	if err != nil || string(v) != "up" {
		t.Fatalf("after success = %q, %v; want the cached value and no init", v, err)
	}
}

// The first initialiser fails while 15 callers wait: exactly one of them takes over and
// succeeds, and the failure reaches only the caller whose init failed.
func TestOnceMapAFailedInitUnderRacesIsRetriedByOneWaiter(t *testing.T) {
	m := MustNewOnceMap()
	defer m.Close()
	const goroutines = 16
	var inits atomic.Int32
	errFirst := errors.New("first init fails")
	var wg sync.WaitGroup
	var failed, succeeded atomic.Int32
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := m.GetOrInitString("k", func() ([]byte, error) {
				if inits.Add(1) == 1 {
					time.Sleep(10 * time.Millisecond)
					return nil, errFirst
				}
				return []byte("second"), nil
			})
			switch {
			case err == errFirst:
				failed.Add(1)
			case err == nil && string(v) == "second":
				succeeded.Add(1)
			default:
				t.Errorf("GetOrInit = %q, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if inits.Load() != 2 || failed.Load() != 1 || succeeded.Load() != goroutines-1 {
		t.Fatalf("inits %d, failed %d, succeeded %d; want 2, 1, %d",
			inits.Load(), failed.Load(), succeeded.Load(), goroutines-1)
	}
}

func TestOnceMapAPanickingInitIsAbandonedAndThePanicContinues(t *testing.T) {
	m := MustNewOnceMap()
	defer m.Close()
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the init's panic", r)
			}
		}()
		m.GetOrInitString("k", func() ([]byte, error) { panic("boom") })
		t.Fatal("GetOrInit returned after its init panicked")
	}()
	// The ticket was abandoned: the key is free, not claimed forever.
	v, err := m.GetOrInitTimeout([]byte("k"), time.Minute, func() ([]byte, error) { return []byte("ok"), nil })
	if err != nil || string(v) != "ok" {
		t.Fatalf("GetOrInit after a panicking init = %q, %v", v, err)
	}
}

func TestOnceMapInitThatExitsTheGoroutineReleasesTheKey(t *testing.T) {
	m := MustNewOnceMap()
	defer m.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.GetOrInitString("k", func() ([]byte, error) {
			runtime.Goexit() // as t.FailNow in an init would do
			return nil, nil
		})
	}()
	<-done
	if v, err := m.GetOrInitString("k", func() ([]byte, error) { return []byte("ok"), nil }); err != nil || string(v) != "ok" {
		t.Fatalf("GetOrInit after a Goexit in init = %q, %v", v, err)
	}
}

func TestOnceMapGetOrInitTimeoutGivesUpWaitingForAnotherInit(t *testing.T) {
	m := MustNewOnceMap()
	defer m.Close()
	started, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error)
	go func() {
		_, err := m.GetOrInitString("slow", func() ([]byte, error) {
			close(started)
			<-release
			return []byte("done"), nil
		})
		holder <- err
	}()
	<-started // the goroutine holds the key's ticket until release
	called := false
	_, err := m.GetOrInitTimeout([]byte("slow"), time.Millisecond, func() ([]byte, error) {
		called = true
		return nil, nil
	})
	if !errors.Is(err, ErrTimeout) || called {
		t.Fatalf("GetOrInitTimeout while another init runs = %v (init called: %v); want ErrTimeout", err, called)
	}
	if _, err := m.GetOrInitTimeout([]byte("slow"), -time.Second, func() ([]byte, error) { return nil, nil }); !errors.Is(err, ErrTimeout) {
		t.Fatalf("GetOrInitTimeout with a negative timeout = %v; want ErrTimeout", err)
	}
	close(release)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	v, err := m.GetOrInitTimeout([]byte("slow"), 0, func() ([]byte, error) { return nil, errors.New("not called") })
	if err != nil || string(v) != "done" {
		t.Fatalf("GetOrInitTimeout of an initialised key = %q, %v", v, err)
	}
}

func TestOnceMapDifferentKeysInitialiseInParallel(t *testing.T) {
	m := MustNewOnceMap()
	defer m.Close()
	// Each init waits for the other to start: with one lock held across inits this deadlocks.
	a, b := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	for _, k := range []struct {
		key          string
		mine, theirs chan struct{}
	}{{"a", a, b}, {"b", b, a}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := m.GetOrInitString(k.key, func() ([]byte, error) {
				close(k.mine)
				<-k.theirs
				return []byte(k.key), nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if m.Len() != 2 {
		t.Fatalf("Len = %d, want 2", m.Len())
	}
}

func TestOnceMapLongValuesEmptyValuesAndRemove(t *testing.T) {
	m := MustNewOnceMap()
	defer m.Close()
	long := bytes.Repeat([]byte("x"), 10*stackBufLen)
	m.GetOrInit([]byte("long"), func() ([]byte, error) { return long, nil })
	v, err := m.GetOrInit([]byte("long"), func() ([]byte, error) { return nil, errors.New("cached") })
	if err != nil || !bytes.Equal(v, long) {
		t.Fatalf("cached long value: %d bytes, %v", len(v), err)
	}
	if v, found, err := m.Get([]byte("long")); err != nil || !found || !bytes.Equal(v, long) {
		t.Fatalf("Get of a long value: %d bytes, %v, %v", len(v), found, err)
	}
	v, err = m.GetOrInitString("", func() ([]byte, error) { return nil, nil })
	if err != nil || v == nil || len(v) != 0 {
		t.Fatalf("nil value from init: %#v, %v; want a non-nil empty slice", v, err)
	}
	if v, found, _ := m.GetString(""); !found || v == nil || len(v) != 0 {
		t.Fatalf("Get of an empty value = %#v, %v", v, found)
	}
	if removed, err := m.Remove([]byte("long")); err != nil || !removed {
		t.Fatalf("Remove = %v, %v", removed, err)
	}
	if removed, _ := m.RemoveString("long"); removed {
		t.Fatal("second Remove reported a value")
	}
	v, _ = m.GetOrInit([]byte("long"), func() ([]byte, error) { return []byte("again"), nil })
	if string(v) != "again" {
		t.Fatalf("GetOrInit after Remove = %q, want the init to run again", v)
	}
}

func TestOnceMapNilInitIsInvalid(t *testing.T) {
	m := MustNewOnceMap()
	defer m.Close()
	if _, err := m.GetOrInit([]byte("k"), nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("GetOrInit(nil init) = %v, want ErrInvalidArgument", err)
	}
}

func TestOnceMapAfterCloseReturnsErrClosed(t *testing.T) {
	m := MustNewOnceMap()
	m.GetOrInitString("k", func() ([]byte, error) { return []byte("v"), nil })
	m.Close()
	m.Close()
	init := func() ([]byte, error) { t.Error("init ran after Close"); return nil, nil }
	if _, err := m.GetOrInit([]byte("k"), init); !errors.Is(err, ErrClosed) {
		t.Errorf("GetOrInit after Close: %v", err)
	}
	if _, err := m.GetOrInitTimeout([]byte("k"), time.Second, init); !errors.Is(err, ErrClosed) {
		t.Errorf("GetOrInitTimeout after Close: %v", err)
	}
	if _, _, err := m.Get([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if _, err := m.Remove([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Errorf("Remove after Close: %v", err)
	}
	if m.Len() != 0 {
		t.Error("Len after Close is not 0")
	}
}

func TestOnceMapInitRunningAcrossCloseStillCompletes(t *testing.T) {
	m := MustNewOnceMap()
	started, release := make(chan struct{}), make(chan struct{})
	result := make(chan error)
	go func() {
		_, err := m.GetOrInitString("k", func() ([]byte, error) {
			close(started)
			<-release
			return []byte("v"), nil
		})
		result <- err
	}()
	<-started
	m.Close()
	close(release)
	if err := <-result; err != nil {
		t.Fatalf("an init that outlived Close: %v", err)
	}
}
