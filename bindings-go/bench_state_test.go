package atomicperf

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// Benchmarks of ShardedMap and Ledger against the Go code they replace, in the same run:
// sync.Map and a map behind a sync.RWMutex for ShardedMap.Get, and the account service behind one global lock
// (a map of balances behind one global sync.Mutex) for Ledger.Transfer. scripts/bench-go.sh
// prints the ratios. The Go maps hand out their stored slice; ShardedMap.Get copies the value
// out of C memory (the price of a map that lives outside the Go heap).

const (
	benchKeys     = 1024
	benchAccounts = 1024
)

func benchKeySet() ([]string, [][]byte) {
	keys := make([]string, benchKeys)
	values := make([][]byte, benchKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("user:%08d", i)
		values[i] = []byte(fmt.Sprintf("session-%08d", i))
	}
	return keys, values
}

// rwMap is the Go a service would write instead of ShardedMap.
type rwMap struct {
	mu sync.RWMutex
	m  map[string][]byte
}

func (r *rwMap) get(k string) ([]byte, bool) {
	r.mu.RLock()
	v, ok := r.m[k]
	r.mu.RUnlock()
	return v, ok
}

func (r *rwMap) insert(k string, v []byte) {
	r.mu.Lock()
	r.m[k] = v
	r.mu.Unlock()
}

type mapUnderTest struct {
	get    func(k string) bool
	insert func(k string, v []byte)
	close  func()
}

func benchMaps(keys []string, values [][]byte) map[string]func() mapUnderTest {
	return map[string]func() mapUnderTest{
		"cgo": func() mapUnderTest {
			m := MustNewShardedMap(0)
			for i, k := range keys {
				m.InsertString(k, string(values[i]))
			}
			return mapUnderTest{
				get:    func(k string) bool { _, ok, _ := m.GetString(k); return ok },
				insert: func(k string, v []byte) { m.Insert([]byte(k), v) },
				close:  func() { m.Close() },
			}
		},
		"sync.Map": func() mapUnderTest {
			var m sync.Map
			for i, k := range keys {
				m.Store(k, values[i])
			}
			return mapUnderTest{
				get:    func(k string) bool { _, ok := m.Load(k); return ok },
				insert: func(k string, v []byte) { m.Store(k, v) },
				close:  func() {},
			}
		},
		"rwmutex": func() mapUnderTest {
			m := &rwMap{m: map[string][]byte{}}
			for i, k := range keys {
				m.insert(k, values[i])
			}
			return mapUnderTest{
				get:    func(k string) bool { _, ok := m.get(k); return ok },
				insert: m.insert,
				close:  func() {},
			}
		},
	}
}

var benchMapNames = []string{"cgo", "sync.Map", "rwmutex"}

func BenchmarkShardedMapGet(b *testing.B) {
	keys, values := benchKeySet()
	makers := benchMaps(keys, values)
	for _, name := range benchMapNames {
		b.Run(name, func(b *testing.B) {
			m := makers[name]()
			defer m.close()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if !m.get(keys[i%benchKeys]) {
					b.Fatal("missing key")
				}
			}
			reportPerValue(b, 1)
		})
	}
}

func BenchmarkShardedMapGetParallel(b *testing.B) {
	keys, values := benchKeySet()
	makers := benchMaps(keys, values)
	for _, name := range benchMapNames {
		b.Run(name, func(b *testing.B) {
			m := makers[name]()
			defer m.close()
			var seed atomic.Uint64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := int(seed.Add(7919))
				for pb.Next() {
					i++
					m.get(keys[i%benchKeys])
				}
			})
			reportPerValue(b, 1)
		})
	}
}

// 90% gets, 10% inserts: the refreshes that stall every reader of an RWMutex.
func BenchmarkShardedMapMixedParallel(b *testing.B) {
	keys, values := benchKeySet()
	makers := benchMaps(keys, values)
	for _, name := range benchMapNames {
		b.Run(name, func(b *testing.B) {
			m := makers[name]()
			defer m.close()
			var seed atomic.Uint64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := int(seed.Add(7919))
				for pb.Next() {
					i++
					k := i % benchKeys
					if i%10 == 0 {
						m.insert(keys[k], values[k])
					} else {
						m.get(keys[k])
					}
				}
			})
			reportPerValue(b, 1)
		})
	}
}

// mutexLedger is the account service behind one global lock: every balance in one map behind one global lock.
type mutexLedger struct {
	mu        sync.Mutex
	balances  map[uint64]int64
	overdraft map[uint64]bool
}

var errBench = errors.New("refused")

func (l *mutexLedger) transfer(from, to uint64, amount int64) error {
	if amount <= 0 || from == to {
		return errBench
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fb, ok1 := l.balances[from]
	tb, ok2 := l.balances[to]
	if !ok1 || !ok2 || (fb < amount && !l.overdraft[from]) {
		return errBench
	}
	l.balances[from] = fb - amount
	l.balances[to] = tb + amount
	return nil
}

// transferPairs returns n (from, to) pairs of distinct accounts.
func transferPairs(n int) [][2]uint64 {
	rng := rand.New(rand.NewPCG(7, 11))
	pairs := make([][2]uint64, n)
	for i := range pairs {
		from := rng.Uint64N(benchAccounts)
		to := (from + 1 + rng.Uint64N(benchAccounts-1)) % benchAccounts
		pairs[i] = [2]uint64{from, to}
	}
	return pairs
}

type ledgerUnderTest struct {
	transfer func(from, to uint64, amount int64) error
	close    func()
}

func benchLedgers() map[string]func() ledgerUnderTest {
	const initial = 1 << 40 // no transfer runs out of money
	return map[string]func() ledgerUnderTest{
		"cgo": func() ledgerUnderTest {
			l := MustNewLedger()
			for id := range uint64(benchAccounts) {
				l.Open(id, false)
				l.Deposit(id, initial)
			}
			return ledgerUnderTest{transfer: l.Transfer, close: func() { l.Close() }}
		},
		"mutex": func() ledgerUnderTest {
			l := &mutexLedger{balances: map[uint64]int64{}, overdraft: map[uint64]bool{}}
			for id := range uint64(benchAccounts) {
				l.balances[id] = initial
			}
			return ledgerUnderTest{transfer: l.transfer, close: func() {}}
		},
	}
}

func BenchmarkLedgerTransfer(b *testing.B) {
	pairs := transferPairs(4096)
	makers := benchLedgers()
	for _, name := range []string{"cgo", "mutex"} {
		b.Run(name, func(b *testing.B) {
			l := makers[name]()
			defer l.close()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := pairs[i%len(pairs)]
				if err := l.transfer(p[0], p[1], 1); err != nil {
					b.Fatal(err)
				}
			}
			reportPerValue(b, 1)
		})
	}
}

func BenchmarkLedgerTransferParallel(b *testing.B) {
	pairs := transferPairs(4096)
	makers := benchLedgers()
	for _, name := range []string{"cgo", "mutex"} {
		b.Run(name, func(b *testing.B) {
			l := makers[name]()
			defer l.close()
			var seed atomic.Uint64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := int(seed.Add(7919))
				for pb.Next() {
					i++
					p := pairs[i%len(pairs)]
					l.transfer(p[0], p[1], 1)
				}
			})
			reportPerValue(b, 1)
		})
	}
}

// BenchmarkLedgerTransferMany times the same transfers three ways, per transfer: TransferMany of
// 1,000 (one cgo call per batch), one Transfer cgo call per transfer, and the Go map behind one
// sync.Mutex (mutexLedger) doing them one at a time. The Parallel variant runs them from
// GOMAXPROCS goroutines (the mutex takes its lock once per transfer, as the service did).
func BenchmarkLedgerTransferMany(b *testing.B) {
	benchLedgerTransferMany(b, false)
}

func BenchmarkLedgerTransferManyParallel(b *testing.B) {
	benchLedgerTransferMany(b, true)
}

func benchLedgerTransferMany(b *testing.B, parallel bool) {
	const batch = 1000
	pairs := transferPairs(4096)
	transfers := make([]Transfer, len(pairs))
	for i, p := range pairs {
		transfers[i] = Transfer{From: p[0], To: p[1], Amount: 1}
	}
	makers := benchLedgers()
	run := func(b *testing.B, perOp int, body func(i int)) {
		b.ResetTimer()
		if parallel {
			var seed atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				i := int(seed.Add(7919))
				for pb.Next() {
					i++
					body(i)
				}
			})
		} else {
			for i := 0; i < b.N; i++ {
				body(i)
			}
		}
		reportPerValue(b, perOp)
	}
	b.Run("many-1000", func(b *testing.B) {
		l := MustNewLedger()
		defer l.Close()
		for id := range uint64(benchAccounts) {
			l.Open(id, false)
			l.Deposit(id, 1<<40)
		}
		run(b, batch, func(i int) {
			start := (i * batch) % (len(transfers) - batch)
			errs, err := l.TransferMany(transfers[start : start+batch])
			if err != nil || errs[0] != nil {
				b.Fatal(err, errs[0])
			}
		})
	})
	for _, name := range []string{"cgo", "mutex"} {
		b.Run(map[string]string{"cgo": "single", "mutex": "mutex"}[name], func(b *testing.B) {
			l := makers[name]()
			defer l.close()
			run(b, 1, func(i int) {
				t := transfers[i%len(transfers)]
				if err := l.transfer(t.From, t.To, t.Amount); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
