"""Ledger: accounts with atomic transfers that conserve the total; one exception per error."""

import random
import threading

import pytest

from atomicperf import (
    AccountExistsError,
    BalanceOverflowError,
    InsufficientFundsError,
    InvalidAmountError,
    Ledger,
    LedgerError,
    SameAccountError,
    UnknownAccountError,
)

I64_MAX = 2**63 - 1


def bank(*ids, overdraft=False):
    b = Ledger()
    for i in ids:
        b.open(i, overdraft=overdraft)
    return b


def test_open_deposit_withdraw_transfer_balance_total():
    b = Ledger()
    assert len(b) == 0 and b.total() == 0
    assert b.open(1) is None
    b.open(id=2, overdraft=False)
    assert b.deposit(1, 100) == 100
    assert b.deposit(id=1, amount=50) == 150
    assert b.withdraw(1, 20) == 130
    assert b.transfer(1, 2, 30) is None
    b.transfer(from_id=2, to_id=1, amount=5)
    assert (b.balance(1), b.balance(id=2), b.total(), len(b)) == (105, 25, 130, 2)
    assert 1 in b and 3 not in b
    assert repr(b) == "Ledger(accounts=2, total=130)"


def test_ids_span_the_whole_u64_range():
    b = bank(0, 2**64 - 1)
    b.deposit(2**64 - 1, 7)
    b.transfer(2**64 - 1, 0, 7)
    assert b.balance(0) == 7


def test_overdraft_lets_a_balance_go_negative():
    b = bank(1, overdraft=True)
    assert b.withdraw(1, 40) == -40
    b.open(2)
    b.transfer(1, 2, 10)
    assert (b.balance(1), b.balance(2), b.total()) == (-50, 10, -40)


def test_unknown_account_is_a_ledger_error_and_a_key_error():
    b = bank(1)
    for call in (
        lambda: b.balance(9),
        lambda: b.deposit(9, 1),
        lambda: b.withdraw(9, 1),
        lambda: b.transfer(1, 9, 1),
        lambda: b.transfer(9, 1, 1),
    ):
        with pytest.raises(UnknownAccountError) as e:
            call()
        assert e.value.account == 9
        assert str(e.value) == "unknown account 9"  # not quoted like a plain KeyError
        assert isinstance(e.value, KeyError) and isinstance(e.value, LedgerError)
        assert isinstance(e.value, ValueError)
    with pytest.raises(KeyError):
        b.balance(10)


def test_account_exists():
    b = bank(1)
    b.deposit(1, 5)
    with pytest.raises(AccountExistsError, match="account 1 is already open") as e:
        b.open(1, overdraft=True)
    assert e.value.account == 1 and b.balance(1) == 5 and len(b) == 1


@pytest.mark.parametrize("amount", [0, -1, -(2**63)])
def test_amounts_must_be_positive(amount):
    b = bank(1, 2)
    b.deposit(1, 10)
    for call in (
        lambda: b.deposit(1, amount),
        lambda: b.withdraw(1, amount),
        lambda: b.transfer(1, 2, amount),
    ):
        with pytest.raises(InvalidAmountError, match=f"amount must be greater than zero, got {amount}") as e:
            call()
        assert e.value.amount == amount
    assert (b.balance(1), b.balance(2)) == (10, 0)


@pytest.mark.parametrize("amount", [2**63, 2**64, -(2**63) - 1, -(2**100)])
def test_amounts_beyond_i64_are_invalid_amounts(amount):
    b = bank(1)
    with pytest.raises(InvalidAmountError, match="amount must be an int from 1 to 2\\*\\*63 - 1") as e:
        b.deposit(1, amount)
    assert e.value.amount == amount and b.balance(1) == 0


def test_same_account():
    b = bank(1)
    b.deposit(1, 10)
    with pytest.raises(SameAccountError, match="cannot transfer from account 1 to itself") as e:
        b.transfer(1, 1, 5)
    assert e.value.account == 1 and b.balance(1) == 10


def test_insufficient_funds_carries_account_balance_and_amount():
    b = bank(1, 2)
    b.deposit(1, 30)
    with pytest.raises(InsufficientFundsError, match="insufficient funds: account 1 has 30, 31 requested") as e:
        b.withdraw(1, 31)
    assert (e.value.account, e.value.balance, e.value.amount) == (1, 30, 31)
    with pytest.raises(InsufficientFundsError) as e:
        b.transfer(1, 2, 100)
    assert (e.value.account, e.value.balance, e.value.amount) == (1, 30, 100)
    assert (b.balance(1), b.balance(2)) == (30, 0)


def test_balance_overflow():
    b = bank(1, 2)
    b.deposit(1, I64_MAX)
    with pytest.raises(BalanceOverflowError, match="balance of account 1 would overflow") as e:
        b.deposit(1, 1)
    assert e.value.account == 1
    b.deposit(2, 1)
    with pytest.raises(BalanceOverflowError) as e:
        b.transfer(2, 1, 1)
    assert e.value.account == 1
    assert (b.balance(1), b.balance(2), b.total()) == (I64_MAX, 1, I64_MAX + 1)
    o = bank(3, overdraft=True)
    o.withdraw(3, I64_MAX)
    o.withdraw(3, 1)
    with pytest.raises(BalanceOverflowError):
        o.withdraw(3, 1)
    assert o.balance(3) == -(2**63)


def test_total_never_overflows():
    b = Ledger()
    for i in range(4):
        b.open(i)
        b.deposit(i, I64_MAX)
    assert b.total() == 4 * I64_MAX


@pytest.mark.parametrize("bad", [-1, 2**64, 2**70])
def test_ids_out_of_range_raise_value_error(bad):
    b = bank(1)
    for call, what in (
        (lambda: b.open(bad), "account id"),
        (lambda: b.balance(bad), "account id"),
        (lambda: b.deposit(bad, 1), "account id"),
        (lambda: b.withdraw(bad, 1), "account id"),
        (lambda: b.transfer(bad, 1, 1), "from_id"),
        (lambda: b.transfer(1, bad, 1), "to_id"),
        (lambda: bad in b, "account id"),
    ):
        with pytest.raises(ValueError, match=f"{what} must be an int from 0 to 2\\*\\*64 - 1, got {bad}") as e:
            call()
        assert not isinstance(e.value, LedgerError)


def test_wrong_types_raise_type_error():
    b = bank(1)
    with pytest.raises(TypeError, match="account id must be an int, not str"):
        b.open("2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="account id must be an int, not float"):
        b.balance(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="amount must be an int, not float"):
        b.deposit(1, 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="amount must be an int, not NoneType"):
        b.transfer(1, 2, None)  # type: ignore[arg-type]
    assert len(b) == 1 and b.total() == 0


def test_eight_threads_of_random_transfers_conserve_the_total():
    # Ten accounts, four without overdraft and little money: plenty of InsufficientFundsError.
    # Each thread also moves money back and forth between one pair (opposite directions).
    b = Ledger()
    for i in range(10):
        b.open(i, overdraft=i >= 4)
        b.deposit(i, 1_000 if i < 4 else 100_000)
    start_total = b.total()
    refused = [0] * 8
    errors = []
    start = threading.Barrier(8)

    def worker(n):
        rng = random.Random(n)
        start.wait()
        try:
            for step in range(10_000):
                if step % 4 == 0:
                    src, dst = (0, 1) if (step // 4 + n) % 2 else (1, 0)
                else:
                    src, dst = rng.sample(range(10), 2)
                try:
                    b.transfer(src, dst, rng.randint(1, 600))
                except InsufficientFundsError as e:
                    assert e.account == src and e.balance < e.amount
                    refused[n] += 1
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert b.total() == start_total
    assert sum(b.balance(i) for i in range(10)) == start_total
    assert all(b.balance(i) >= 0 for i in range(4))
    assert sum(refused) > 0
