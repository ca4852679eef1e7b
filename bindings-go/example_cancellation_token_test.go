package atomicperf_test

import (
	"context"
	"fmt"
	"time"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleCancellationToken() {
	shutdown := atomicperf.MustNewCancellationToken()
	defer shutdown.Close()
	request, _ := shutdown.Child() // cancelled with shutdown, or on its own
	defer request.Close()

	fmt.Println("cancelled before:", request.IsCancelled())
	fmt.Println("waited 1ms:", request.Wait(time.Millisecond))

	shutdown.Cancel()
	fmt.Println("cancelled after:", request.IsCancelled())
	// Output:
	// cancelled before: false
	// waited 1ms: false
	// cancelled after: true
}

func ExampleCancellationToken_Done() {
	tok := atomicperf.MustNewCancellationToken()
	defer tok.Close() // also stops the goroutine behind Done

	work := make(chan int)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-tok.Done():
				close(work)
				return
			case work <- i:
			}
		}
	}()
	fmt.Println(<-work, <-work)
	tok.Cancel()
	for range work {
	}
	fmt.Println("worker stopped")
	// Output:
	// 0 1
	// worker stopped
}

func ExampleCancellationToken_Context() {
	tok := atomicperf.MustNewCancellationToken()
	defer tok.Close()

	ctx, cancel := context.WithTimeout(tok.Context(), time.Hour)
	defer cancel()
	tok.Cancel()
	<-ctx.Done()
	fmt.Println(ctx.Err())
	// Output: context canceled
}
