package atomicperf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSnapshotCellStartsAtRevision0AndEachStoreAddsOne(t *testing.T) {
	c := MustNewSnapshotCell([]byte("v0"))
	defer c.Close()
	if v, rev, err := c.Load(); err != nil || string(v) != "v0" || rev != 0 {
		t.Fatalf("Load = %q, %d, %v; want v0, 0", v, rev, err)
	}
	for i := uint64(1); i <= 3; i++ {
		rev, err := c.Store([]byte{byte(i)})
		if err != nil || rev != i {
			t.Fatalf("Store #%d = %d, %v; want revision %d", i, rev, err, i)
		}
		if got := c.Revision(); got != i {
			t.Fatalf("Revision = %d, want %d", got, i)
		}
	}
	if v, rev, _ := c.Load(); !bytes.Equal(v, []byte{3}) || rev != 3 {
		t.Fatalf("Load = %v, %d; want [3], 3", v, rev)
	}
}

func TestSnapshotCellCompareAndStoreRefusesAStaleRevisionAndReportsTheCurrentOne(t *testing.T) {
	c := MustNewSnapshotCell(nil)
	defer c.Close()
	rev, err := c.CompareAndStore(0, []byte("a"))
	if err != nil || rev != 1 {
		t.Fatalf("CompareAndStore(0) = %d, %v; want 1, nil", rev, err)
	}
	rev, err = c.CompareAndStore(0, []byte("b"))
	if !errors.Is(err, ErrRevisionMismatch) || rev != 1 {
		t.Fatalf("CompareAndStore(0) at revision 1 = %d, %v; want 1, ErrRevisionMismatch", rev, err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeRevisionMismatch || e.Op != "SnapshotCell.CompareAndStore" {
		t.Fatalf("error %#v is not an *Error of CompareAndStore", err)
	}
	if v, _, _ := c.Load(); string(v) != "a" {
		t.Fatalf("a refused CompareAndStore stored %q", v)
	}
	if rev, err := c.CompareAndStore(rev, []byte("b")); err != nil || rev != 2 {
		t.Fatalf("retry with the reported revision = %d, %v; want 2, nil", rev, err)
	}
}

func TestSnapshotCellEmptyAndLongValuesRoundTrip(t *testing.T) {
	c := MustNewSnapshotCell(nil)
	defer c.Close()
	if v, _, err := c.Load(); err != nil || v == nil || len(v) != 0 {
		t.Fatalf("Load of an empty value = %#v, %v; want a non-nil empty slice", v, err)
	}
	for _, n := range []int{1, 1 << 16, 3, 1 << 20, 0} {
		want := bytes.Repeat([]byte{byte(n)}, n)
		c.Store(want)
		// Another Go value of the same cell would not know the new length: force the retry.
		c.size.Store(1)
		got, _, err := c.Load()
		if err != nil || !bytes.Equal(got, want) || cap(got) != len(got) {
			t.Fatalf("value of %d bytes: Load = %d bytes (cap %d), %v", n, len(got), cap(got), err)
		}
	}
}

func TestSnapshotCellStoreCopiesItsInputAndLoadCopyReturnsACopy(t *testing.T) {
	in := []byte("config")
	c := MustNewSnapshotCell(in)
	defer c.Close()
	in[0] = 'X'
	v, _, _ := c.LoadCopy()
	v[1] = 'Y'
	if again, _, _ := c.Load(); string(again) != "config" {
		t.Fatalf("cell holds %q after the caller changed its slices", again)
	}
	if again, _, _ := c.LoadCopy(); string(again) != "config" {
		t.Fatalf("LoadCopy gives %q after the caller changed its slices", again)
	}
}

func TestSnapshotCellLoadOfAnUnchangedValueAllocatesNothingAndSeesEachStore(t *testing.T) {
	c := MustNewSnapshotCell([]byte("v0"))
	defer c.Close()
	c.Load()
	if n := testing.AllocsPerRun(100, func() { c.Load() }); n != 0 {
		t.Errorf("Load of an unchanged value allocates %v times", n)
	}
	for i := 1; i <= 3; i++ {
		want := fmt.Sprintf("v%d", i)
		rev, _ := c.Store([]byte(want))
		if v, r, err := c.Load(); err != nil || string(v) != want || r != rev {
			t.Fatalf("Load after Store(%q) = %q, %d, %v; want revision %d", want, v, r, err, rev)
		}
	}
}

// Readers on the cached path race with compare-and-stores (run under -race by test-go.sh).
func TestSnapshotCellLoadUnderConcurrentStoresNeverGoesBackAndMatchesItsRevision(t *testing.T) {
	c := MustNewSnapshotCell(encodeRev(0))
	defer c.Close()
	const writers, perWriter = 2, 3000
	var wg sync.WaitGroup
	var done atomic.Bool
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWriter {
				for {
					_, rev, _ := c.LoadCopy()
					if _, err := c.CompareAndStore(rev, encodeRev(rev+1)); err == nil {
						break
					}
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			var last uint64
			for !done.Load() {
				v, rev, err := c.Load()
				if err != nil {
					t.Error(err)
					return
				}
				if rev < last || binary.LittleEndian.Uint64(v) != rev {
					t.Errorf("Load = value of %d at revision %d after revision %d", binary.LittleEndian.Uint64(v), rev, last)
					return
				}
				last = rev
			}
		}()
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()
	if v, rev, _ := c.Load(); rev != writers*perWriter || binary.LittleEndian.Uint64(v) != rev {
		t.Fatalf("final Load at revision %d, want %d", rev, writers*perWriter)
	}
}

// Age is read from the same monotonic clock as Go's, so it can be bounded by Go's own
// measurements without asserting any duration.
func TestSnapshotCellAgeAndLastUpdatedFollowStores(t *testing.T) {
	start := time.Now()
	c := MustNewSnapshotCell([]byte("x"))
	defer c.Close()
	if age := c.Age(); age > time.Since(start) {
		t.Fatalf("Age = %v, longer than the cell has existed", age)
	}
	created := c.LastUpdated()
	// The library's wall clock is read once at creation; allow for rounding between clocks.
	if created.Before(start.Add(-time.Second)) || created.After(time.Now().Add(time.Second)) {
		t.Fatalf("LastUpdated = %v, not around the creation at %v", created, start)
	}
	for c.Age() == 0 {
		runtime.Gosched()
	}
	beforeStore := time.Now()
	c.Store([]byte("y"))
	if age := c.Age(); age > time.Since(beforeStore) {
		t.Fatalf("Age = %v after a store, longer than the time since the store", age)
	}
	if updated := c.LastUpdated(); updated.Before(created) {
		t.Fatalf("LastUpdated went back from %v to %v with a store", created, updated)
	}
}

// Writers store their revision-stamped values while readers check, for every load, that the
// value was stored under the revision reported with it and that revisions never go back.
func TestSnapshotCellRevisionsNeverGoBackAndValuesMatchTheirRevision(t *testing.T) {
	c := MustNewSnapshotCell(encodeRev(0))
	defer c.Close()
	const writers, readers, perWriter = 4, 4, 5000
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// CompareAndStore of the value for the revision it will get, so that a value names
			// its revision: rev+1 is the next revision only while the CAS succeeds.
			for range perWriter {
				for {
					_, rev, err := c.Load()
					if err != nil {
						t.Error(err)
						return
					}
					got, err := c.CompareAndStore(rev, encodeRev(rev+1))
					if err == nil {
						if got != rev+1 {
							t.Errorf("CompareAndStore(%d) gave revision %d", rev, got)
						}
						break
					}
					if !errors.Is(err, ErrRevisionMismatch) || got < rev {
						t.Errorf("CompareAndStore(%d) = %d, %v", rev, got, err)
						return
					}
				}
			}
		}()
	}
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last uint64
			for last < writers*perWriter {
				v, rev, err := c.Load()
				if err != nil {
					t.Error(err)
					return
				}
				if rev < last {
					t.Errorf("revision went back from %d to %d", last, rev)
					return
				}
				if got := binary.LittleEndian.Uint64(v); got != rev {
					t.Errorf("Load returned the value of revision %d with revision %d", got, rev)
					return
				}
				if r := c.Revision(); r < rev {
					t.Errorf("Revision() = %d after a load of revision %d", r, rev)
					return
				}
				last = rev
			}
		}()
	}
	wg.Wait()
	if rev := c.Revision(); rev != writers*perWriter {
		t.Fatalf("final revision %d, want %d", rev, writers*perWriter)
	}
}

// encodeRev is a value naming its revision, padded past the stack buffer of other look-ups.
func encodeRev(rev uint64) []byte {
	b := make([]byte, 8, 200)
	binary.LittleEndian.PutUint64(b, rev)
	return b[:8+int(rev%192)]
}

func TestSnapshotCellAfterCloseReturnsErrClosedAndZeroValues(t *testing.T) {
	c := MustNewSnapshotCell([]byte("x"))
	c.Store([]byte("y"))
	c.Close()
	c.Close()
	if _, _, err := c.Load(); !errors.Is(err, ErrClosed) {
		t.Errorf("Load after Close: %v", err)
	}
	if _, err := c.Store(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Store after Close: %v", err)
	}
	if _, err := c.CompareAndStore(1, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("CompareAndStore after Close: %v", err)
	}
	if c.Revision() != 0 || c.Age() != 0 || !c.LastUpdated().IsZero() {
		t.Errorf("after Close: Revision %d, Age %v, LastUpdated %v; want zero values", c.Revision(), c.Age(), c.LastUpdated())
	}
}
