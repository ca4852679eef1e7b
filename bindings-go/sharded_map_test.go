package atomicperf

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestShardedMapGetInsertRemoveRoundTrip(t *testing.T) {
	m := MustNewShardedMap(0)
	defer m.Close()
	if v, found, err := m.Get([]byte("a")); err != nil || found || v != nil {
		t.Fatalf("Get of an absent key = %q, %v, %v; want nil, false, nil", v, found, err)
	}
	if replaced, err := m.Insert([]byte("a"), []byte("1")); err != nil || replaced {
		t.Fatalf("first Insert = %v, %v; want false, nil", replaced, err)
	}
	if replaced, err := m.Insert([]byte("a"), []byte("22")); err != nil || !replaced {
		t.Fatalf("second Insert = %v, %v; want true, nil", replaced, err)
	}
	if v, found, err := m.Get([]byte("a")); err != nil || !found || string(v) != "22" {
		t.Fatalf("Get = %q, %v, %v; want 22, true, nil", v, found, err)
	}
	if !m.Contains([]byte("a")) || m.Contains([]byte("b")) {
		t.Fatal("Contains disagrees with the inserts")
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("Len = %d, want 1", n)
	}
	if removed, err := m.Remove([]byte("a")); err != nil || !removed {
		t.Fatalf("Remove of a present key = %v, %v; want true, nil", removed, err)
	}
	if removed, err := m.Remove([]byte("a")); err != nil || removed {
		t.Fatalf("Remove of an absent key = %v, %v; want false, nil", removed, err)
	}
	if n := m.Len(); n != 0 {
		t.Fatalf("Len after Remove = %d, want 0", n)
	}
}

func TestShardedMapStringAndByteKeysAreTheSameKeys(t *testing.T) {
	m := MustNewShardedMap(4)
	defer m.Close()
	if _, err := m.InsertString("user:1", "ada"); err != nil {
		t.Fatal(err)
	}
	if v, found, _ := m.Get([]byte("user:1")); !found || string(v) != "ada" {
		t.Fatalf("Get([]byte) after InsertString = %q, %v", v, found)
	}
	if _, err := m.Insert([]byte("user:2"), []byte("bob")); err != nil {
		t.Fatal(err)
	}
	if v, found, _ := m.GetString("user:2"); !found || string(v) != "bob" {
		t.Fatalf("GetString after Insert = %q, %v", v, found)
	}
	if !m.ContainsString("user:1") || m.ContainsString("user:3") {
		t.Fatal("ContainsString disagrees with the inserts")
	}
	if inserted, _ := m.InsertIfAbsentString("user:1", "eve"); inserted {
		t.Fatal("InsertIfAbsentString replaced a present key")
	}
	if removed, _ := m.RemoveString("user:1"); !removed {
		t.Fatal("RemoveString missed a present key")
	}
}

func TestShardedMapEmptyKeysAndValuesAreEntries(t *testing.T) {
	m := MustNewShardedMap(0)
	defer m.Close()
	if _, err := m.Insert(nil, nil); err != nil {
		t.Fatalf("Insert(nil, nil): %v", err)
	}
	v, found, err := m.Get([]byte{})
	if err != nil || !found || v == nil || len(v) != 0 {
		t.Fatalf("Get of the empty key = %#v, %v, %v; want a non-nil empty value", v, found, err)
	}
	if v, found, _ := m.GetString(""); !found || len(v) != 0 {
		t.Fatalf("GetString(\"\") = %q, %v", v, found)
	}
}

func TestShardedMapValuesLongerThanTheFirstBufferAreReadWhole(t *testing.T) {
	m := MustNewShardedMap(0)
	defer m.Close()
	for _, n := range []int{stackBufLen - 1, stackBufLen, stackBufLen + 1, 1 << 20} {
		want := bytes.Repeat([]byte{byte(n)}, n)
		if _, err := m.Insert([]byte("k"), want); err != nil {
			t.Fatal(err)
		}
		got, found, err := m.Get([]byte("k"))
		if err != nil || !found || !bytes.Equal(got, want) {
			t.Fatalf("value of %d bytes: Get = %d bytes, %v, %v", n, len(got), found, err)
		}
	}
}

func TestShardedMapGetReturnsACopyTheCallerOwns(t *testing.T) {
	m := MustNewShardedMap(0)
	defer m.Close()
	value := []byte("original")
	m.Insert([]byte("k"), value)
	value[0] = 'X' // the map copied value on Insert
	got, _, _ := m.Get([]byte("k"))
	got[0] = 'Y' // and Get copies out
	again, _, _ := m.Get([]byte("k"))
	if string(again) != "original" {
		t.Fatalf("map value = %q after the caller changed its slices, want original", again)
	}
	if cap(got) != len(got) {
		t.Errorf("Get result has cap %d > len %d: an append could alias", cap(got), len(got))
	}
}

func TestShardedMapInsertIfAbsentHasExactlyOneWinnerUnder8Goroutines(t *testing.T) {
	m := MustNewShardedMap(0)
	defer m.Close()
	const goroutines = 8
	var wg sync.WaitGroup
	wins := make(chan int, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if inserted, err := m.InsertIfAbsent([]byte("leader"), []byte{byte(g)}); err == nil && inserted {
				wins <- g
			}
		}()
	}
	wg.Wait()
	close(wins)
	var winners []int
	for g := range wins {
		winners = append(winners, g)
	}
	if len(winners) != 1 {
		t.Fatalf("%d goroutines inserted the absent key, want 1", len(winners))
	}
	if v, _, _ := m.Get([]byte("leader")); len(v) != 1 || int(v[0]) != winners[0] {
		t.Fatalf("value %v is not the winner's (%d)", v, winners[0])
	}
}

func TestShardedMapClearAndSnapshot(t *testing.T) {
	m := MustNewShardedMap(8)
	defer m.Close()
	want := map[string][]byte{}
	for i := range 100 {
		k, v := fmt.Sprintf("key-%d", i), []byte(strings.Repeat("v", i))
		want[k] = v
		m.Insert([]byte(k), v)
	}
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	assertSameMap(t, snap, want)
	entries, err := m.Entries()
	if err != nil || len(entries) != len(want) {
		t.Fatalf("Entries = %d entries, %v; want %d", len(entries), err, len(want))
	}
	for _, e := range entries {
		if !bytes.Equal(e.Value, want[e.Key]) {
			t.Errorf("entry %q = %q, want %q", e.Key, e.Value, want[e.Key])
		}
	}
	if err := m.Clear(); err != nil {
		t.Fatal(err)
	}
	if n := m.Len(); n != 0 {
		t.Fatalf("Len after Clear = %d", n)
	}
	if snap, _ := m.Snapshot(); len(snap) != 0 || snap == nil {
		t.Fatalf("Snapshot after Clear = %v, want an empty non-nil map", snap)
	}
}

func assertSameMap(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || !bytes.Equal(g, v) {
			t.Fatalf("entry %q = %q (present %v), want %q", k, g, ok, v)
		}
	}
}

func TestShardedMapAgreesWithAGoMapOverRandomOperations(t *testing.T) {
	m := MustNewShardedMap(4) // few shards, so that keys share them
	defer m.Close()
	model := map[string][]byte{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		k := fmt.Sprintf("k%d", rng.IntN(200))
		v := bytes.Repeat([]byte{byte(i)}, rng.IntN(300)) // crosses stackBufLen
		switch op := rng.IntN(6); op {
		case 0, 1:
			_, had := model[k]
			replaced, err := m.Insert([]byte(k), v)
			if err != nil || replaced != had {
				t.Fatalf("op %d: Insert(%q) = %v, %v; model had it: %v", i, k, replaced, err, had)
			}
			model[k] = v
		case 2:
			_, had := model[k]
			inserted, err := m.InsertIfAbsentString(k, string(v))
			if err != nil || inserted == had {
				t.Fatalf("op %d: InsertIfAbsent(%q) = %v, %v; model had it: %v", i, k, inserted, err, had)
			}
			if !had {
				model[k] = v
			}
		case 3:
			_, had := model[k]
			removed, err := m.Remove([]byte(k))
			if err != nil || removed != had {
				t.Fatalf("op %d: Remove(%q) = %v, %v; model had it: %v", i, k, removed, err, had)
			}
			delete(model, k)
		case 4:
			want, had := model[k]
			got, found, err := m.GetString(k)
			if err != nil || found != had || !bytes.Equal(got, want) {
				t.Fatalf("op %d: Get(%q) = %d bytes, %v, %v; model: %d bytes, %v", i, k, len(got), found, err, len(want), had)
			}
		case 5:
			if _, had := model[k]; m.ContainsString(k) != had {
				t.Fatalf("op %d: Contains(%q) != %v", i, k, had)
			}
		}
		if i%1000 == 0 && m.Len() != len(model) {
			t.Fatalf("op %d: Len = %d, model has %d", i, m.Len(), len(model))
		}
	}
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	assertSameMap(t, snap, model)
}

func TestShardedMapKeepsEveryKeyOf8GoroutinesWritingAtOnce(t *testing.T) {
	m := MustNewShardedMap(0)
	defer m.Close()
	const goroutines, perG = 8, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				k := fmt.Sprintf("%d/%d", g, i)
				m.InsertString(k, k)
				if v, found, _ := m.GetString(k); !found || string(v) != k {
					t.Errorf("goroutine %d lost its own key %q", g, k)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := m.Len(); n != goroutines*perG {
		t.Fatalf("Len = %d, want %d", n, goroutines*perG)
	}
}

func TestNewShardedMapRejectsShardCountsThatAreNotPowersOfTwo(t *testing.T) {
	for _, shards := range []int{-1, 3, 6, 8192} {
		m, err := NewShardedMap(shards)
		if !errors.Is(err, ErrOutOfRange) || m != nil {
			t.Errorf("NewShardedMap(%d) = %v, %v; want ErrOutOfRange", shards, m, err)
		}
	}
	for _, shards := range []int{0, 1, 2, 4096} {
		m, err := NewShardedMap(shards)
		if err != nil {
			t.Errorf("NewShardedMap(%d): %v", shards, err)
			continue
		}
		m.Close()
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNewShardedMap(3) did not panic")
		}
	}()
	MustNewShardedMap(3)
}

func TestShardedMapAfterCloseReturnsErrClosed(t *testing.T) {
	m := MustNewShardedMap(0)
	m.InsertString("k", "v")
	m.Close()
	m.Close()
	if _, _, err := m.Get([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if _, _, err := m.GetString("k"); !errors.Is(err, ErrClosed) {
		t.Errorf("GetString after Close: %v", err)
	}
	if _, err := m.Insert([]byte("k"), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Insert after Close: %v", err)
	}
	if _, err := m.InsertIfAbsent([]byte("k"), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("InsertIfAbsent after Close: %v", err)
	}
	if _, err := m.Remove([]byte("k")); !errors.Is(err, ErrClosed) {
		t.Errorf("Remove after Close: %v", err)
	}
	if err := m.Clear(); !errors.Is(err, ErrClosed) {
		t.Errorf("Clear after Close: %v", err)
	}
	if _, err := m.Snapshot(); !errors.Is(err, ErrClosed) {
		t.Errorf("Snapshot after Close: %v", err)
	}
	if _, err := m.Entries(); !errors.Is(err, ErrClosed) {
		t.Errorf("Entries after Close: %v", err)
	}
	if m.Contains([]byte("k")) || m.Len() != 0 {
		t.Error("Contains or Len report contents after Close")
	}
}

func TestShardedMapCloseWhileGoroutinesUseIt(t *testing.T) {
	m := MustNewShardedMap(0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				k := fmt.Sprint(g, i%50)
				if _, err := m.InsertString(k, k); err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("Insert: %v", err)
					}
					return
				}
				m.GetString(k)
			}
		}()
	}
	for m.Len() < 100 {
		runtime.Gosched()
	}
	m.Close()
	wg.Wait()
}
