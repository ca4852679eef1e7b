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
