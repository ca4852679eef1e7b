package atomicperf

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestLedgerDepositWithdrawTransferAndBalances(t *testing.T) {
	l := MustNewLedger()
	defer l.Close()
	for _, id := range []uint64{1, 2} {
		if err := l.Open(id, false); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := l.Deposit(1, 100); err != nil || b != 100 {
		t.Fatalf("Deposit = %d, %v; want 100, nil", b, err)
	}
	if b, err := l.Withdraw(1, 30); err != nil || b != 70 {
		t.Fatalf("Withdraw = %d, %v; want 70, nil", b, err)
	}
	if err := l.Transfer(1, 2, 50); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[uint64]int64{1: 20, 2: 50} {
		if b, err := l.Balance(id); err != nil || b != want {
			t.Errorf("Balance(%d) = %d, %v; want %d", id, b, err, want)
		}
	}
	if total, err := l.Total(); err != nil || total != 70 {
		t.Fatalf("Total = %d, %v; want 70", total, err)
	}
	if n := l.Len(); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}
}

func TestLedgerEveryFailureMatchesItsSentinelAndChangesNothing(t *testing.T) {
	l := MustNewLedger()
	defer l.Close()
	l.Open(1, false)
	l.Open(2, false)
	l.Open(3, true) // overdraft
	l.Deposit(1, 10)
	l.Deposit(2, math.MaxInt64-5)
	sentinels := []error{ErrUnknownAccount, ErrAccountExists, ErrInvalidAmount, ErrSameAccount,
		ErrInsufficientFunds, ErrOverflow, ErrRevisionMismatch, ErrClosed, ErrAccountClosed,
		ErrAccountNotEmpty}
	for _, c := range []struct {
		name string
		err  error
		want error
		code Code
	}{
		{"Open of a taken id", l.Open(1, true), ErrAccountExists, CodeAccountExists},
		{"Deposit of 0", second(l.Deposit(1, 0)), ErrInvalidAmount, CodeInvalidAmount},
		{"Deposit of a negative amount", second(l.Deposit(1, -5)), ErrInvalidAmount, CodeInvalidAmount},
		{"Deposit to an unknown account", second(l.Deposit(9, 5)), ErrUnknownAccount, CodeUnknownAccount},
		{"Deposit past MaxInt64", second(l.Deposit(2, 6)), ErrOverflow, CodeOverflow},
		{"Withdraw of 0", second(l.Withdraw(1, 0)), ErrInvalidAmount, CodeInvalidAmount},
		{"Withdraw from an unknown account", second(l.Withdraw(9, 1)), ErrUnknownAccount, CodeUnknownAccount},
		{"Withdraw below zero", second(l.Withdraw(1, 11)), ErrInsufficientFunds, CodeInsufficientFunds},
		{"Withdraw to the lowest balance (MinInt64+2) with overdraft", second(l.Withdraw(3, math.MaxInt64-1)), nil, CodeOK},
		{"Withdraw past the lowest balance", second(l.Withdraw(3, 1)), ErrOverflow, CodeOverflow},
		{"Transfer to itself", l.Transfer(1, 1, 1), ErrSameAccount, CodeSameAccount},
		{"Transfer of 0", l.Transfer(1, 2, 0), ErrInvalidAmount, CodeInvalidAmount},
		{"Transfer from an unknown account", l.Transfer(9, 1, 1), ErrUnknownAccount, CodeUnknownAccount},
		{"Transfer to an unknown account", l.Transfer(1, 9, 1), ErrUnknownAccount, CodeUnknownAccount},
		{"Transfer of more than the balance", l.Transfer(1, 3, 11), ErrInsufficientFunds, CodeInsufficientFunds},
		{"Transfer past MaxInt64", l.Transfer(1, 2, 10), ErrOverflow, CodeOverflow},
		{"Balance of an unknown account", second(l.Balance(9)), ErrUnknownAccount, CodeUnknownAccount},
	} {
		if c.want == nil {
			if c.err != nil {
				t.Errorf("%s: %v", c.name, c.err)
			}
			continue
		}
		var e *Error
		if !errors.As(c.err, &e) || e.Code != c.code || e.Message == "" || !strings.HasPrefix(e.Op, "Ledger.") {
			t.Errorf("%s: error %#v, want an *Error with code %v, an Op and a message", c.name, c.err, c.code)
		}
		for _, s := range sentinels {
			if got := errors.Is(c.err, s); got != (s == c.want) {
				t.Errorf("%s: errors.Is(%v, %v) = %v", c.name, c.err, s, got)
			}
		}
	}
	for id, want := range map[uint64]int64{1: 10, 2: math.MaxInt64 - 5, 3: math.MinInt64 + 2} {
		if b, _ := l.Balance(id); b != want {
			t.Errorf("Balance(%d) = %d after the failures, want %d", id, b, want)
		}
	}
	if l.Len() != 3 {
		t.Errorf("Len = %d, want 3", l.Len())
	}
}

func second[T any](_ T, err error) error { return err }

func TestLedgerTotalOverflowIsAnError(t *testing.T) {
	l := MustNewLedger()
	defer l.Close()
	l.Open(1, false)
	l.Open(2, false)
	l.Deposit(1, math.MaxInt64)
	l.Deposit(2, 1)
	if _, err := l.Total(); !errors.Is(err, ErrOverflow) {
		t.Fatalf("Total past MaxInt64: %v, want ErrOverflow", err)
	}
}

func TestLedgerOverdraftAccountsGoBelowZeroOthersDoNot(t *testing.T) {
	l := MustNewLedger()
	defer l.Close()
	l.Open(1, true)
	l.Open(2, false)
	if b, err := l.Withdraw(1, 40); err != nil || b != -40 {
		t.Fatalf("Withdraw from an overdraft account = %d, %v; want -40", b, err)
	}
	if err := l.Transfer(1, 2, 60); err != nil {
		t.Fatal(err)
	}
	if err := l.Transfer(2, 1, 61); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("Transfer of 61 from a balance of 60: %v", err)
	}
	if total, _ := l.Total(); total != -40 {
		t.Fatalf("Total = %d, want -40", total)
	}
}

// An account service behind one global lock: random transfers from 8 goroutines, including transfers in both
// directions between the same two accounts (a lock-order deadlock if locks were taken in
// argument order) and transfers larger than the balance (refused, changing nothing).
func TestLedgerTotalIsConservedUnder8GoroutinesOf100000RandomTransfers(t *testing.T) {
	l := MustNewLedger()
	defer l.Close()
	const accounts, initial = 16, 1000
	for id := range uint64(accounts) {
		l.Open(id, id == 0) // account 0 may overdraw
		l.Deposit(id, initial)
	}
	const goroutines = 8
	perG := 100_000
	if testing.Short() {
		perG = 10_000
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 42))
			local := map[string]int{}
			for i := range perG {
				var from, to uint64
				if i%4 == 0 {
					// Opposite directions between accounts 1 and 2, by goroutine parity.
					from, to = 1+uint64(g%2), 2-uint64(g%2)
				} else {
					from, to = rng.Uint64N(accounts), rng.Uint64N(accounts)
				}
				amount := 1 + rng.Int64N(initial/2)
				if i%10 == 0 {
					amount = 10 * initial // more than any non-overdraft account holds
				}
				err := l.Transfer(from, to, amount)
				switch {
				case err == nil:
					local["ok"]++
				case errors.Is(err, ErrSameAccount) && from == to:
					local["same"]++
				case errors.Is(err, ErrInsufficientFunds):
					local["insufficient"]++
				default:
					t.Errorf("Transfer(%d, %d, %d): %v", from, to, amount, err)
					return
				}
			}
			mu.Lock()
			for k, v := range local {
				counts[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	total, err := l.Total()
	if err != nil || total != accounts*initial {
		t.Fatalf("Total = %d, %v after the transfers; want %d", total, err, accounts*initial)
	}
	var sum int64
	for id := range uint64(accounts) {
		b, _ := l.Balance(id)
		if b < 0 && id != 0 {
			t.Errorf("account %d without overdraft has balance %d", id, b)
		}
		sum += b
	}
	if sum != accounts*initial {
		t.Fatalf("balances sum to %d, want %d", sum, accounts*initial)
	}
	if counts["ok"] == 0 || counts["insufficient"] == 0 || counts["same"] == 0 {
		t.Fatalf("the workload missed a case: %v", counts)
	}
	t.Logf("outcomes: %v", counts)
}

func TestLedgerAfterCloseReturnsErrClosed(t *testing.T) {
	l := MustNewLedger()
	l.Open(1, false)
	l.Close()
	l.Close()
	for name, err := range map[string]error{
		"Open":     l.Open(2, false),
		"Deposit":  second(l.Deposit(1, 1)),
		"Withdraw": second(l.Withdraw(1, 1)),
		"Transfer": l.Transfer(1, 2, 1),
		"Balance":  second(l.Balance(1)),
		"Total":    second(l.Total()),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if l.Len() != 0 {
		t.Errorf("Len after Close = %d", l.Len())
	}
}

func TestLedgerCloseAccountOnlyWhenEmptyAndReopenExplicitly(t *testing.T) {
	l := MustNewLedger()
	defer l.Close()
	l.Open(1, false)
	l.Open(2, false)
	l.Deposit(1, 10)
	var e *Error
	if err := l.CloseAccount(1); !errors.Is(err, ErrAccountNotEmpty) || !errors.As(err, &e) ||
		e.Op != "Ledger.CloseAccount" || e.Message == "" {
		t.Fatalf("CloseAccount of a funded account = %v, want ErrAccountNotEmpty", err)
	}
	if err := l.CloseAccount(2); err != nil {
		t.Fatal(err)
	}
	if l.Len() != 1 {
		t.Errorf("Len = %d after closing one of two accounts", l.Len())
	}
	for name, err := range map[string]error{
		"Balance":       second(l.Balance(2)),
		"Deposit":       second(l.Deposit(2, 1)),
		"Withdraw":      second(l.Withdraw(2, 1)),
		"Transfer to":   l.Transfer(1, 2, 1),
		"Transfer from": l.Transfer(2, 1, 1),
		"Open":          l.Open(2, false),
		"OpenHot":       l.OpenHot(2, false),
		"CloseAccount":  l.CloseAccount(2),
	} {
		if name == "ErrAccountOnly" {
			continue
		}
		if !errors.Is(err, ErrAccountClosed) || errors.Is(err, ErrClosed) {
			t.Errorf("%s on a closed account: %v, want ErrAccountClosed", name, err)
		}
	}
	if err := l.ReopenAccount(1); !errors.Is(err, ErrAccountExists) {
		t.Errorf("ReopenAccount of an open account = %v", err)
	}
	if err := l.ReopenAccount(9); !errors.Is(err, ErrUnknownAccount) {
		t.Errorf("ReopenAccount of an unknown id = %v", err)
	}
	if err := l.ReopenAccount(2); err != nil {
		t.Fatal(err)
	}
	if err := l.Transfer(1, 2, 4); err != nil {
		t.Fatal(err)
	}
	if b, _ := l.Balance(2); b != 4 {
		t.Errorf("Balance(2) = %d after reopening and a transfer, want 4", b)
	}
}

func TestLedgerHotAccountCreditsDebitsAndClose(t *testing.T) {
	l := MustNewLedger()
	defer l.Close()
	l.Open(1, false)
	l.Deposit(1, 100)
	if err := l.OpenHot(7, false); err != nil {
		t.Fatal(err)
	}
	if err := l.OpenHot(7, false); !errors.Is(err, ErrAccountExists) {
		t.Errorf("OpenHot of an open id = %v", err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if err := l.Transfer(1, 7, 1); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if b, _ := l.Balance(7); b != 20 {
		t.Errorf("hot Balance = %d, want 20", b)
	}
	if b, err := l.Withdraw(7, 15); err != nil || b != 5 {
		t.Errorf("Withdraw from the hot account = %d, %v", b, err)
	}
	if err := l.Transfer(7, 1, 6); !errors.Is(err, ErrInsufficientFunds) {
		t.Errorf("overdrawing the hot account: %v", err)
	}
	if err := l.CloseAccount(7); !errors.Is(err, ErrAccountNotEmpty) {
		t.Errorf("CloseAccount of a funded hot account: %v", err)
	}
	l.Transfer(7, 1, 5)
	if err := l.CloseAccount(7); err != nil {
		t.Error(err)
	}
	if total, _ := l.Total(); total != 85 { // 100 deposited, 15 withdrawn
		t.Errorf("Total = %d", total)
	}
}

func TestLedgerTransferManyReturnsOneErrorPerTransfer(t *testing.T) {
	l := MustNewLedger()
	defer l.Close()
	l.Open(1, false)
	l.Open(2, false)
	l.Open(3, false)
	l.Deposit(1, 100)
	l.CloseAccount(3)
	errs, err := l.TransferMany([]Transfer{
		{1, 2, 30}, {2, 1, 1000}, {1, 9, 1}, {1, 1, 1}, {1, 2, 0}, {1, 3, 1}, {2, 1, 5},
	})
	if err != nil || len(errs) != 7 {
		t.Fatalf("TransferMany = %v, %v", errs, err)
	}
	for i, want := range []error{nil, ErrInsufficientFunds, ErrUnknownAccount, ErrSameAccount,
		ErrInvalidAmount, ErrAccountClosed, nil} {
		if want == nil {
			if errs[i] != nil {
				t.Errorf("transfer %d: %v, want nil", i, errs[i])
			}
			continue
		}
		var e *Error
		if !errors.Is(errs[i], want) || !errors.As(errs[i], &e) || e.Op != "Ledger.TransferMany" {
			t.Errorf("transfer %d: %v, want %v", i, errs[i], want)
		}
	}
	b1, _ := l.Balance(1)
	b2, _ := l.Balance(2)
	if b1 != 75 || b2 != 25 {
		t.Errorf("balances %d, %d after the batch, want 75, 25", b1, b2)
	}
	if errs, err := l.TransferMany(nil); err != nil || len(errs) != 0 {
		t.Errorf("TransferMany(nil) = %v, %v", errs, err)
	}
	l.Close()
	if errs, err := l.TransferMany([]Transfer{{1, 2, 1}}); !errors.Is(err, ErrClosed) || errs != nil {
		t.Errorf("TransferMany after Close = %v, %v", errs, err)
	}
	if _, err := l.TransferMany(nil); !errors.Is(err, ErrClosed) {
		t.Errorf("TransferMany(nil) after Close = %v", err)
	}
	for name, err := range map[string]error{
		"OpenHot":       l.OpenHot(5, false),
		"CloseAccount":  l.CloseAccount(1),
		"ReopenAccount": l.ReopenAccount(3),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
}

// 8 goroutines x 1,000,000 transfers (100,000 with -short): half of the goroutines in batches
// of 1,000 through TransferMany, half one Transfer at a time; opposite directions between two
// accounts, transfers larger than any balance without overdraft, a hot account, and accounts of
// each goroutine's own opened, filled, drained and closed in between. The total is exact after.
func TestLedgerConservesUnder8GoroutinesOfBatchesSinglesOpensAndCloses(t *testing.T) {
	l := MustNewLedger()
	defer l.Close()
	const accounts, initial, hot = 16, 1000, 100
	for id := range uint64(accounts) {
		l.Open(id, id == 0)
		l.Deposit(id, initial)
	}
	l.OpenHot(hot, false)
	perG := 1_000_000
	if testing.Short() {
		perG = 100_000
	}
	var wg sync.WaitGroup
	var refused, applied atomic.Int64
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			batch := make([]Transfer, 0, 1000)
			var ok, no int64
			for round := 0; round*1000 < perG; round++ {
				batch = batch[:0]
				for i := range 1000 {
					tr := Transfer{Amount: 1 + rng.Int64N(initial/2)}
					switch {
					case i%4 == 0:
						tr.From, tr.To = 1+uint64(g%2), 2-uint64(g%2)
					case i%10 == 1:
						tr.From, tr.To = rng.Uint64N(accounts), hot
					case i%10 == 3:
						tr.From, tr.To = hot, rng.Uint64N(accounts)
					default:
						tr.From = rng.Uint64N(accounts)
						tr.To = (tr.From + 1 + rng.Uint64N(accounts-1)) % accounts
					}
					if i%10 == 5 {
						tr.Amount = 10 * initial
					}
					batch = append(batch, tr)
				}
				if g%2 == 0 {
					errs, err := l.TransferMany(batch)
					if err != nil {
						t.Error(err)
						return
					}
					for i, err := range errs {
						switch {
						case err == nil:
							ok++
						case errors.Is(err, ErrInsufficientFunds):
							no++
						default:
							t.Errorf("TransferMany %v: %v", batch[i], err)
							return
						}
					}
				} else {
					for _, tr := range batch {
						switch err := l.Transfer(tr.From, tr.To, tr.Amount); {
						case err == nil:
							ok++
						case errors.Is(err, ErrInsufficientFunds):
							no++
						default:
							t.Errorf("Transfer %v: %v", tr, err)
							return
						}
					}
				}
				own := 1000 + uint64(g)*10 + uint64(round%3)
				if err := l.Open(own, false); errors.Is(err, ErrAccountClosed) {
					err = l.ReopenAccount(own)
					if err != nil {
						t.Error(err)
						return
					}
				} else if err != nil {
					t.Error(err)
					return
				}
				src := 3 + uint64(g)
				if err := l.Transfer(src, own, 1); err != nil && !errors.Is(err, ErrInsufficientFunds) {
					t.Error(err)
					return
				}
				if b, _ := l.Balance(own); b > 0 {
					if err := l.Transfer(own, src, b); err != nil {
						t.Error(err)
						return
					}
				}
				if err := l.CloseAccount(own); err != nil {
					t.Errorf("CloseAccount(%d): %v", own, err)
					return
				}
			}
			applied.Add(ok)
			refused.Add(no)
		}()
	}
	wg.Wait()
	total, err := l.Total()
	if err != nil || total != accounts*initial {
		t.Fatalf("Total = %d, %v; want %d", total, err, accounts*initial)
	}
	var sum int64
	for id := range uint64(accounts) {
		b, _ := l.Balance(id)
		if b < 0 && id != 0 {
			t.Errorf("account %d without overdraft has balance %d", id, b)
		}
		sum += b
	}
	hb, _ := l.Balance(hot)
	if sum+hb != accounts*initial {
		t.Fatalf("balances sum to %d, want %d", sum+hb, accounts*initial)
	}
	if applied.Load() == 0 || refused.Load() == 0 {
		t.Fatalf("applied %d, refused %d: the workload missed a case", applied.Load(), refused.Load())
	}
	if l.Len() != accounts+1 {
		t.Errorf("Len = %d, want %d (every own account closed)", l.Len(), accounts+1)
	}
	t.Logf("%d goroutines x %d transfers: %d applied, %d refused", 8, perG, applied.Load(), refused.Load())
}
