package atomicperf

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
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
		ErrInsufficientFunds, ErrOverflow, ErrRevisionMismatch, ErrClosed}
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
		{"Withdraw past MinInt64 with overdraft", second(l.Withdraw(3, math.MaxInt64)), nil, CodeOK},
		{"Withdraw past MinInt64 again", second(l.Withdraw(3, 2)), ErrOverflow, CodeOverflow},
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
	for id, want := range map[uint64]int64{1: 10, 2: math.MaxInt64 - 5, 3: -math.MaxInt64} {
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

// The seeds' account service: random transfers from 8 goroutines, including transfers in both
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
