package atomicperf_test

import (
	"errors"
	"fmt"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleSnapshotCell() {
	config := atomicperf.MustNewSnapshotCell([]byte(`{"rate":100}`))
	defer config.Close()

	// Readers never wait for the refresh below.
	v, rev, _ := config.Load()
	fmt.Printf("%s at revision %d\n", v, rev)

	rev, _ = config.Store([]byte(`{"rate":250}`))
	v, _, _ = config.Load()
	fmt.Printf("%s at revision %d\n", v, rev)
	// Output:
	// {"rate":100} at revision 0
	// {"rate":250} at revision 1
}

func ExampleSnapshotCell_CompareAndStore() {
	cell := atomicperf.MustNewSnapshotCell([]byte("v1"))
	defer cell.Close()

	_, seen, _ := cell.Load()
	cell.Store([]byte("v2 from another writer"))

	// Our edit was based on revision 0: refused, with the revision to retry from.
	current, err := cell.CompareAndStore(seen, []byte("v2 from us"))
	fmt.Println(errors.Is(err, atomicperf.ErrRevisionMismatch), current)

	rev, err := cell.CompareAndStore(current, []byte("v3 from us"))
	fmt.Println(rev, err)
	// Output:
	// true 1
	// 2 <nil>
}
