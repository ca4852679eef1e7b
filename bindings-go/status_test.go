package atomicperf

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func TestCodesAreNamedByTheLibrary(t *testing.T) {
	for _, c := range []struct {
		code Code
		name string
	}{
		{CodeOK, "AP_OK"},
		{CodeNullHandle, "AP_ERR_NULL_HANDLE"},
		{CodeNullPointer, "AP_ERR_NULL_POINTER"},
		{CodeOutOfRange, "AP_ERR_OUT_OF_RANGE"},
		{CodeEmpty, "AP_ERR_EMPTY"},
		{CodeBufferTooSmall, "AP_ERR_BUFFER_TOO_SMALL"},
		{CodeInvalidArgument, "AP_ERR_INVALID_ARGUMENT"},
		{CodeInternal, "AP_ERR_INTERNAL"},
		{CodeIO, "AP_ERR_IO"},
		{Code(99), "AP_ERR_UNKNOWN"},
	} {
		if got := c.code.String(); !strings.HasPrefix(got, c.name) {
			t.Errorf("Code(%d).String() = %q, want prefix %q", c.code, got, c.name)
		}
	}
}

func TestErrorMatchesTheSentinelOfItsCodeOnly(t *testing.T) {
	sentinels := []error{ErrNullHandle, ErrNullPointer, ErrOutOfRange, ErrEmpty,
		ErrBufferTooSmall, ErrInvalidArgument, ErrInternal, ErrClosed}
	err := fmt.Errorf("wrapped: %w", &Error{Op: "Test", Code: CodeEmpty, Message: "nothing"})
	for _, s := range sentinels {
		if got, want := errors.Is(err, s), s == ErrEmpty; got != want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", err, s, got, want)
		}
	}
	want := "atomicperf: Test: nothing (AP_ERR_EMPTY: no value recorded)"
	if got := errors.Unwrap(err).Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestHandleFreesOnceAfterTheLastCallInFlight(t *testing.T) {
	var freed int
	var h handle
	h.init(unsafe.Pointer(&freed), func(unsafe.Pointer) { freed++ })
	p1, p2 := h.acquire(), h.acquire()
	if p1 == nil || p2 == nil {
		t.Fatal("acquire on an open handle returned nil")
	}
	h.close()
	if h.acquire() != nil {
		t.Fatal("acquire after close returned the handle")
	}
	h.close()
	h.release()
	if freed != 0 {
		t.Fatal("freed while a call was still in flight")
	}
	h.release()
	if freed != 1 {
		t.Fatalf("freed %d times after the last release, want 1", freed)
	}
	h.acquire()
	h.close()
	if freed != 1 {
		t.Fatalf("freed %d times, want exactly 1", freed)
	}
}

func TestUnreachableMetricsFreeTheirHandlesWithoutClose(t *testing.T) {
	before := handlesFreed.Load()
	func() {
		for i := 0; i < 10; i++ {
			MustNewCounter().Inc()
			MustNewGauge(1).Inc()
			MustNewHistogram().Record(1)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for handlesFreed.Load()-before < 30 {
		if time.Now().After(deadline) {
			t.Fatalf("freed %d handles of 30 after GC", handlesFreed.Load()-before)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

func TestCloseFreesTheHandleOnceAndStopsTheCleanup(t *testing.T) {
	// Let cleanups of metrics that earlier tests dropped run first.
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	before := handlesFreed.Load()
	h := MustNewHistogram()
	h.Close()
	h.Close()
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if got := handlesFreed.Load() - before; got != 1 {
		t.Fatalf("freed %d handles, want 1", got)
	}
	runtime.KeepAlive(h)
}
