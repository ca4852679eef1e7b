package atomicperf_test

import (
	"errors"
	"fmt"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
)

func ExampleLedger() {
	accounts := atomicperf.MustNewLedger()
	defer accounts.Close()

	accounts.Open(1, false) // no overdraft
	accounts.Open(2, false)
	accounts.Deposit(1, 100)

	if err := accounts.Transfer(1, 2, 30); err != nil {
		panic(err)
	}
	err := accounts.Transfer(1, 2, 500)
	fmt.Println("insufficient funds:", errors.Is(err, atomicperf.ErrInsufficientFunds))

	b1, _ := accounts.Balance(1)
	b2, _ := accounts.Balance(2)
	total, _ := accounts.Total()
	fmt.Println(b1, b2, total)
	// Output:
	// insufficient funds: true
	// 70 30 100
}

func ExampleLedger_Transfer_errors() {
	accounts := atomicperf.MustNewLedger()
	defer accounts.Close()
	accounts.Open(1, false)

	for _, err := range []error{
		accounts.Transfer(1, 1, 10),
		accounts.Transfer(1, 2, 10),
		accounts.Transfer(1, 2, -10),
	} {
		switch {
		case errors.Is(err, atomicperf.ErrSameAccount):
			fmt.Println("same account")
		case errors.Is(err, atomicperf.ErrUnknownAccount):
			fmt.Println("unknown account")
		case errors.Is(err, atomicperf.ErrInvalidAmount):
			fmt.Println("invalid amount")
		}
	}
	// Output:
	// same account
	// unknown account
	// invalid amount
}

func ExampleLedger_TransferMany() {
	accounts := atomicperf.MustNewLedger()
	defer accounts.Close()
	accounts.Open(1, false)
	accounts.Open(2, false)
	accounts.Deposit(1, 100)

	// One cgo call for the whole batch; one error (or nil) per transfer.
	errs, err := accounts.TransferMany([]atomicperf.Transfer{
		{From: 1, To: 2, Amount: 30},
		{From: 2, To: 1, Amount: 500},
		{From: 1, To: 3, Amount: 1},
	})
	if err != nil {
		panic(err)
	}
	for i, err := range errs {
		fmt.Println(i, err == nil, errors.Is(err, atomicperf.ErrInsufficientFunds),
			errors.Is(err, atomicperf.ErrUnknownAccount))
	}
	// Output:
	// 0 true false false
	// 1 false true false
	// 2 false false true
}

func ExampleLedger_CloseAccount() {
	accounts := atomicperf.MustNewLedger()
	defer accounts.Close() // releases the ledger; CloseAccount closes one account
	accounts.Open(1, false)
	accounts.Deposit(1, 10)

	fmt.Println(errors.Is(accounts.CloseAccount(1), atomicperf.ErrAccountNotEmpty))
	accounts.Withdraw(1, 10)
	fmt.Println(accounts.CloseAccount(1))
	_, err := accounts.Deposit(1, 5)
	fmt.Println(errors.Is(err, atomicperf.ErrAccountClosed))
	fmt.Println(accounts.ReopenAccount(1))
	// Output:
	// true
	// <nil>
	// true
	// <nil>
}
