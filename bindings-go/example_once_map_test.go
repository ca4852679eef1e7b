package atomicperf_test

import (
	"errors"
	"fmt"
	"sync"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleOnceMap() {
	clients := atomicperf.MustNewOnceMap()
	defer clients.Close()

	var wg sync.WaitGroup
	var mu sync.Mutex
	dials := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Eight goroutines ask at once; one dials, the others wait for its result.
			clients.GetOrInitString("billing", func() ([]byte, error) {
				mu.Lock()
				dials++
				mu.Unlock()
				return []byte("conn to billing:443"), nil
			})
		}()
	}
	wg.Wait()
	v, _, _ := clients.GetString("billing")
	fmt.Printf("%s, dialled %d time(s)\n", v, dials)
	// Output: conn to billing:443, dialled 1 time(s)
}

func ExampleOnceMap_GetOrInit_failure() {
	templates := atomicperf.MustNewOnceMap()
	defer templates.Close()

	_, err := templates.GetOrInit([]byte("invoice"), func() ([]byte, error) {
		return nil, errors.New("template store unavailable")
	})
	fmt.Println("first:", err)

	// The failure was not cached: the next caller initialises again.
	v, err := templates.GetOrInit([]byte("invoice"), func() ([]byte, error) {
		return []byte("<h1>Invoice</h1>"), nil
	})
	fmt.Printf("second: %s %v\n", v, err)
	// Output:
	// first: template store unavailable
	// second: <h1>Invoice</h1> <nil>
}
