package atomicperf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// closesWithin fails the test unless ch is closed (or receives) within a few seconds: a token
// that never signals is a failure that names the channel, not a hang until the test time-out.
func closesWithin[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not happen within 10s", what)
	}
}

func TestCancellationTokenCancelIsSeenByIsCancelledAndWait(t *testing.T) {
	tok := MustNewCancellationToken()
	defer tok.Close()
	if tok.IsCancelled() {
		t.Fatal("a new token is cancelled")
	}
	if tok.Wait(time.Millisecond) {
		t.Fatal("Wait on a live token reported a cancellation")
	}
	if tok.Wait(-time.Second) {
		t.Fatal("Wait with a negative timeout reported a cancellation")
	}
	tok.Cancel()
	tok.Cancel() // idempotent
	if !tok.IsCancelled() || !tok.Wait(0) || !tok.Wait(time.Hour) {
		t.Fatal("a cancelled token is not reported cancelled")
	}
}

func TestCancellationTokenWaitWakesWhenAnotherGoroutineCancels(t *testing.T) {
	tok := MustNewCancellationToken()
	defer tok.Close()
	woke := make(chan bool)
	go func() { woke <- tok.Wait(time.Hour) }()
	tok.Cancel()
	select {
	case ok := <-woke:
		if !ok {
			t.Fatal("Wait returned false after Cancel")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Wait(time.Hour) did not return within 10s of Cancel")
	}
}

func TestCancellationTokenDoneClosesOnCancel(t *testing.T) {
	tok := MustNewCancellationToken()
	defer tok.Close()
	done := tok.Done()
	if done != tok.Done() {
		t.Fatal("Done returned different channels")
	}
	select {
	case <-done:
		t.Fatal("Done is closed before Cancel")
	default:
	}
	tok.Cancel()
	closesWithin(t, done, "Done() closing after Cancel")
	if !tok.IsCancelled() {
		t.Fatal("Done is closed but IsCancelled is false")
	}
}

func TestCancellationTokenDoneOfAnAlreadyCancelledTokenCloses(t *testing.T) {
	tok := MustNewCancellationToken()
	defer tok.Close()
	tok.Cancel()
	closesWithin(t, tok.Done(), "Done() of an already cancelled token closing")
}

func TestCancellationTokenChildIsCancelledWithItsParentNotTheOtherWayRound(t *testing.T) {
	parent := MustNewCancellationToken()
	defer parent.Close()
	child, err := parent.Child()
	if err != nil {
		t.Fatal(err)
	}
	defer child.Close()
	grandchild, _ := child.Child()
	defer grandchild.Close()
	sibling, _ := parent.Child()
	defer sibling.Close()

	sibling.Cancel()
	if parent.IsCancelled() || child.IsCancelled() {
		t.Fatal("cancelling a child cancelled its parent or a sibling")
	}
	done := grandchild.Done()
	parent.Cancel()
	<-done
	if !child.IsCancelled() || !grandchild.Wait(time.Hour) {
		t.Fatal("descendants not cancelled with their parent")
	}
	late, err := parent.Child()
	if err != nil || !late.IsCancelled() {
		t.Fatalf("child of a cancelled token: cancelled %v, %v; want true", late.IsCancelled(), err)
	}
	late.Close()
}

func TestCancellationTokenContextIsCancelledWithTheToken(t *testing.T) {
	tok := MustNewCancellationToken()
	defer tok.Close()
	ctx := tok.Context()
	if ctx.Err() != nil {
		t.Fatalf("Err of a live token's context = %v", ctx.Err())
	}
	if _, ok := ctx.Deadline(); ok {
		t.Fatal("the context has a deadline")
	}
	derived, cancel := context.WithCancel(ctx)
	defer cancel()
	tok.Cancel()
	closesWithin(t, derived.Done(), "the derived context's Done closing")
	if !errors.Is(ctx.Err(), context.Canceled) || !errors.Is(derived.Err(), context.Canceled) {
		t.Fatalf("Err after Cancel = %v, derived %v; want context.Canceled", ctx.Err(), derived.Err())
	}
}

func TestCancellationTokenCloseStopsTheDoneGoroutine(t *testing.T) {
	waitForWatchers(t, 0) // those of earlier tests
	toks := make([]*CancellationToken, 8)
	for i := range toks {
		toks[i] = MustNewCancellationToken()
		toks[i].Done()
	}
	if n := tokenWatchers.Load(); n != 8 {
		t.Fatalf("%d Done goroutines for 8 tokens", n)
	}
	toks[0].Done() // a second Done starts no second goroutine
	if n := tokenWatchers.Load(); n != 8 {
		t.Fatalf("%d Done goroutines after a second Done", n)
	}
	// Let the goroutines enter their wait in C (without this they may see Close before it).
	time.Sleep(20 * time.Millisecond)
	for _, tok := range toks {
		tok.Close()
	}
	// Each goroutine notices Close at the end of its current wait slice.
	waitForWatchers(t, 0)
}

func TestCancellationTokenUnreachableWithDoneIsCollectedAndItsGoroutineStops(t *testing.T) {
	waitForWatchers(t, 0)
	freed := handlesFreed.Load()
	func() {
		for range 4 {
			MustNewCancellationToken().Done()
		}
	}()
	for handlesFreed.Load()-freed < 4 {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	waitForWatchers(t, 0)
}

// waitForWatchers waits until n goroutines started by Done are running; it fails the test after
// a minute, far beyond the wait slice, rather than asserting how soon they stop.
func waitForWatchers(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for tokenWatchers.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d Done goroutines still running, want %d", tokenWatchers.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCancellationTokenAfterCloseReportsFalseAndChildFails(t *testing.T) {
	tok := MustNewCancellationToken()
	tok.Close()
	tok.Close()
	tok.Cancel() // does nothing
	if tok.IsCancelled() || tok.Wait(time.Hour) {
		t.Error("a closed token reports a cancellation")
	}
	if _, err := tok.Child(); !errors.Is(err, ErrClosed) {
		t.Errorf("Child after Close: %v", err)
	}
	select {
	case <-tok.Done():
		t.Error("Done of a closed, uncancelled token is closed")
	default:
	}
}

func TestCancellationTokenCloseDoesNotCancelOtherHolders(t *testing.T) {
	parent := MustNewCancellationToken()
	defer parent.Close()
	child, _ := parent.Child()
	defer child.Close()
	done := child.Done()
	parent.Close() // releases parent's Go reference; the child still hangs off the C token
	select {
	case <-done:
		t.Fatal("closing the parent cancelled the child")
	default:
	}
	if child.IsCancelled() {
		t.Fatal("closing the parent cancelled the child")
	}
}

func TestCancellationTokenCancelFromManyGoroutinesWakesEveryWaiter(t *testing.T) {
	tok := MustNewCancellationToken()
	defer tok.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if !tok.Wait(time.Hour) {
				t.Error("Wait returned false")
			}
		}()
		go func() {
			defer wg.Done()
			<-tok.Done()
		}()
	}
	var cancellers sync.WaitGroup
	for range 4 {
		cancellers.Add(1)
		go func() { defer cancellers.Done(); tok.Cancel() }()
	}
	cancellers.Wait()
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	closesWithin(t, all, "every waiter waking after Cancel")
}

func TestADeepChainOfChildTokensCancelsAndClosesWithoutOverflowingTheStack(t *testing.T) {
	// A `tok = tok.Child()` retry loop: cancelling the root and releasing the chain once took
	// one native stack frame per level and crashed the process.
	root := MustNewCancellationToken()
	leaf := root
	chain := make([]*CancellationToken, 0, 200_000)
	for i := 0; i < 200_000; i++ {
		next, err := leaf.Child()
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, next)
		leaf = next
	}
	root.Cancel()
	if !leaf.IsCancelled() {
		t.Fatal("the leaf of the chain is not cancelled")
	}
	for _, tok := range chain {
		tok.Close()
	}
	root.Close()
}

// threadCount returns the process's OS threads (Threads in /proc/self/status).
func threadCount(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

func TestTenThousandWatchedTokensShareOneWaiterAndEachDoneClosesOnCancel(t *testing.T) {
	waitForWatchers(t, 0)
	root := MustNewCancellationToken()
	defer root.Close()
	toks := make([]*CancellationToken, 10_000)
	chans := make([]<-chan struct{}, len(toks))
	for i := range toks {
		if i%2 == 0 {
			toks[i] = MustNewCancellationToken()
		} else {
			toks[i], _ = root.Child() // cancelled through the parent below
		}
		chans[i] = toks[i].Done()
	}
	if n := tokenWatchers.Load(); n != int64(len(toks)) {
		t.Fatalf("%d tokens watched, want %d", n, len(toks))
	}
	if n := threadCount(t); n >= 32 {
		t.Fatalf("%d OS threads with 10,000 watched tokens, want fewer than 32", n)
	}
	for i := 0; i < len(toks); i += 2 {
		toks[i].Cancel()
	}
	root.Cancel()
	for i, ch := range chans {
		closesWithin(t, ch, fmt.Sprintf("Done of token %d", i))
	}
	waitForWatchers(t, 0)
	if n := threadCount(t); n >= 32 {
		t.Fatalf("%d OS threads after the cancels, want fewer than 32", n)
	}
	for _, tok := range toks {
		tok.Close()
	}
}
