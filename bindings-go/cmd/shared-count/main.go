// Command shared-count increments a counter of a shared registry (a shared-memory segment that
// processes of any language open by name) N times, then prints the counter's total, which
// includes every other process's increments:
//
//	shared-count [-dir DIR] [-label NAME=VALUE]... [-help-text TEXT] [-goroutines G] [-existing] NAME_OR_PATH COUNTER N
//
// NAME_OR_PATH is a segment name (the file DIR/atomicperf-NAME, /dev/shm by default) or a path
// (anything with a '/'); the segment is created if there is none, unless -existing is given.
// The increments are direct writes to the counter's cells (Counter.Inc), spread over G
// goroutines (N/G each, the remainder on the first). It exits with 0 after printing the total,
// 1 when the registry or the counter cannot be opened (the error on stderr), 2 for a bad
// command line.
//
// With a Python process counting into the same series:
//
//	go run ./cmd/shared-count -label queue=mail demo jobs 1000
//	python -c 'from atomicperf import SharedRegistry as S; S("demo").counter("jobs", labels={"queue": "mail"}).add(5)'
//	go run ./cmd/shared-count -label queue=mail demo jobs 0    # prints 1005
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// labelFlags collects repeated -label NAME=VALUE flags.
type labelFlags atomicperf.Labels

func (l labelFlags) String() string {
	parts := make([]string, 0, len(l))
	for k, v := range l {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (l labelFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	l[k] = v
	return nil
}

// run is the command with its arguments (without the program name) and its output streams; it
// returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shared-count", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: shared-count [-dir DIR] [-label NAME=VALUE]... [-help-text TEXT] [-goroutines G] [-existing] NAME_OR_PATH COUNTER N")
		fs.PrintDefaults()
	}
	dir := fs.String("dir", "", "directory of segments opened by name (default /dev/shm)")
	help := fs.String("help-text", "", "help text of the counter, kept from its first registration")
	goroutines := fs.Int("goroutines", 1, "goroutines sharing the increments")
	existing := fs.Bool("existing", false, "open an existing segment only: fail instead of creating it")
	labels := labelFlags{}
	fs.Var(labels, "label", "a label NAME=VALUE of the series (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 3 {
		fs.Usage()
		return 2
	}
	n, err := strconv.ParseUint(fs.Arg(2), 10, 64)
	if err != nil || *goroutines < 1 {
		fmt.Fprintf(stderr, "shared-count: N must be a count (got %q) and -goroutines at least 1\n", fs.Arg(2))
		return 2
	}
	r, err := atomicperf.OpenSharedRegistry(fs.Arg(0), &atomicperf.SharedOptions{Dir: *dir, OpenExisting: *existing})
	if err != nil {
		fmt.Fprintln(stderr, "shared-count:", err)
		return 1
	}
	defer r.Close()
	c, err := r.Counter(fs.Arg(1), *help, atomicperf.Labels(labels))
	if err != nil {
		fmt.Fprintln(stderr, "shared-count:", err)
		return 1
	}
	g := uint64(*goroutines)
	var wg sync.WaitGroup
	for i := range g {
		share := n / g
		if i == 0 {
			share += n % g
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range share {
				c.Inc()
			}
		}()
	}
	wg.Wait()
	fmt.Fprintln(stdout, c.Get())
	return 0
}
