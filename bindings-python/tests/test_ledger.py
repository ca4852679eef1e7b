"""Ledger: accounts with atomic transfers that conserve the total; one exception per error."""

import random
import threading
from array import array

import pytest
from _gil import runs_during
from atomicperf import (
    AccountClosedError,
    AccountExistsError,
    AccountNotEmptyError,
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
        with pytest.raises(
            InvalidAmountError, match=f"amount must be greater than zero, got {amount}"
        ) as e:
            call()
        assert e.value.amount == amount
    assert (b.balance(1), b.balance(2)) == (10, 0)


@pytest.mark.parametrize("amount", [2**63, 2**64, -(2**63) - 1, -(2**100)])
def test_amounts_beyond_i64_are_invalid_amounts(amount):
    b = bank(1)
    with pytest.raises(
        InvalidAmountError, match="amount must be an int from 1 to 2\\*\\*63 - 1"
    ) as e:
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
    with pytest.raises(
        InsufficientFundsError, match="insufficient funds: account 1 has 30, 31 requested"
    ) as e:
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
    # The lowest balance is -2**63 + 2 (the two values below it mark a closed account).
    o = bank(3, overdraft=True)
    o.withdraw(3, I64_MAX - 2)
    assert o.withdraw(3, 1) == -(2**63) + 2
    with pytest.raises(BalanceOverflowError):
        o.withdraw(3, 1)
    assert o.balance(3) == -(2**63) + 2


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
        with pytest.raises(
            ValueError, match=f"{what} must be an int from 0 to 2\\*\\*64 - 1, got {bad}"
        ) as e:
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


def test_close_only_an_empty_account_and_reopen_it_explicitly():
    b = bank(1, 2)
    b.deposit(1, 10)
    with pytest.raises(AccountNotEmptyError, match="account 1") as e:
        b.close(1)
    assert (e.value.account, e.value.balance) == (1, 10)
    assert isinstance(e.value, LedgerError) and b.balance(1) == 10
    assert b.close(2) is None
    assert 2 not in b and len(b) == 1
    for call in (
        lambda: b.balance(2),
        lambda: b.deposit(2, 1),
        lambda: b.withdraw(2, 1),
        lambda: b.transfer(1, 2, 1),
        lambda: b.transfer(2, 1, 1),
        lambda: b.open(2),
        lambda: b.close(2),
    ):
        with pytest.raises(AccountClosedError) as e:
            call()
        assert e.value.account == 2 and isinstance(e.value, LedgerError)
    assert b.balance(1) == 10
    with pytest.raises(AccountExistsError):
        b.reopen(1)
    with pytest.raises(UnknownAccountError):
        b.reopen(9)
    with pytest.raises(UnknownAccountError):
        b.close(9)
    assert b.reopen(2) is None
    b.transfer(1, 2, 4)
    assert (b.balance(1), b.balance(2), b.total(), len(b)) == (6, 4, 10, 2)


def test_a_hot_account_takes_credits_debits_and_closes_like_any_other():
    b = bank(1)
    b.open_hot(7)
    with pytest.raises(AccountExistsError):
        b.open_hot(7)
    b.deposit(1, 100)
    for _ in range(10):
        b.transfer(1, 7, 3)
    assert b.balance(7) == 30 and b.total() == 100
    assert b.withdraw(7, 25) == 5
    with pytest.raises(InsufficientFundsError):
        b.transfer(7, 1, 6)
    with pytest.raises(AccountNotEmptyError) as e:
        b.close(7)
    assert e.value.balance == 5
    b.transfer(7, 1, 5)
    b.close(7)
    with pytest.raises(AccountClosedError):
        b.transfer(1, 7, 1)
    b.open_hot(8, overdraft=True)
    assert b.withdraw(8, 9) == -9


def test_transfer_many_returns_none_or_the_exception_per_transfer():
    b = bank(1, 2, 3)
    b.deposit(1, 100)
    b.close(3)
    results = b.transfer_many(
        [(1, 2, 30), (2, 1, 1_000), (1, 9, 1), (1, 1, 1), (1, 2, 0), (1, 3, 1), [2, 1, 5]]
    )
    assert results[0] is None and results[6] is None
    assert isinstance(results[1], InsufficientFundsError)
    assert (results[1].account, results[1].balance, results[1].amount) == (2, 30, 1_000)
    assert isinstance(results[2], UnknownAccountError) and results[2].account == 9
    assert isinstance(results[3], SameAccountError)
    assert isinstance(results[4], InvalidAmountError) and results[4].amount == 0
    assert isinstance(results[5], AccountClosedError) and results[5].account == 3
    assert len(results) == 7
    assert (b.balance(1), b.balance(2), b.total()) == (75, 25, 100)
    assert b.transfer_many([]) == []
    assert b.transfer_many(iter([(2, 1, 5)])) == [None]


def test_transfer_many_takes_a_buffer_of_integer_triples():
    tuples = [(1, 2, 30), (2, 1, 1_000), (1, 9, 1), (1, 1, 1), (1, 2, -4), (1, 3, 1), (2, 1, 5)]
    flat = [v for t in tuples for v in t]
    forms = {
        "tuples": tuples,
        "array q": array("q", flat),
        "bytes": array("q", flat).tobytes(),
        "bytearray": bytearray(array("q", flat).tobytes()),
        "memoryview": memoryview(array("q", flat)),
        "memoryview of bytes": memoryview(array("q", flat).tobytes()),
    }
    seen = {}
    for name, batch in forms.items():
        b = bank(1, 2, 3)
        b.deposit(1, 100)
        b.close(3)
        results = b.transfer_many(batch)
        seen[name] = [type(r) for r in results], [getattr(r, "args", None) for r in results]
        assert (b.balance(1), b.balance(2), b.total()) == (75, 25, 100), name
    assert all(v == seen["tuples"] for v in seen.values()), seen
    assert seen["tuples"][0] == [
        type(None),
        InsufficientFundsError,
        UnknownAccountError,
        SameAccountError,
        InvalidAmountError,
        AccountClosedError,
        type(None),
    ]


def test_a_buffer_reads_ids_unsigned_and_amounts_signed():
    top = 2**64 - 1
    b = bank(top, 5)
    b.deposit(top, 10)
    # array("Q") writes the same 8 bytes for 2**64 - 1 as array("q") for -1.
    assert b.transfer_many(array("Q", [top, 5, 4])) == [None]
    assert b.transfer_many(array("q", [-1, 5, 4])) == [None]
    (r,) = b.transfer_many(array("Q", [top, 5, top]))  # amount -1
    assert isinstance(r, InvalidAmountError) and r.amount == -1
    assert (b.balance(top), b.balance(5)) == (2, 8)
    assert b.transfer_many(b"") == [] and b.transfer_many(array("q")) == []


def test_a_buffer_of_partial_triples_raises_before_any_transfer_runs():
    b = bank(1, 2)
    b.deposit(1, 10)
    whole = array("q", [1, 2, 1]).tobytes()
    for bad in (
        whole + b"\0",
        whole[:-1],
        bytearray(16),
        array("q", [1, 2, 1, 1]),
        array("i", [1] * 3),
    ):
        with pytest.raises(ValueError, match="three per transfer \\(24 bytes\\), got"):
            b.transfer_many(bad)
    assert (b.balance(1), b.balance(2)) == (10, 0)


def test_a_malformed_batch_raises_before_any_transfer_runs():
    b = bank(1, 2)
    b.deposit(1, 10)
    for bad, error, message in (
        (
            [(1, 2, 1), (1, 2)],
            TypeError,
            "transfers\\[1\\] must be a \\(from_id, to_id, amount\\) tuple",
        ),
        ([(1, 2, 1), "abc"], TypeError, "transfers\\[1\\]"),
        ([(1, 2, 1), 5], TypeError, "not int"),
        ([(1, 2, 1), (-1, 2, 1)], ValueError, "transfers\\[1\\] from_id must be an int from 0"),
        ([(1, 2, 1), (1, 2**64, 1)], ValueError, "transfers\\[1\\] to_id"),
        ([(1, 2, 1), (1, 2, 2**63)], InvalidAmountError, "amount must be an int from 1"),
        ([(1, 2, 1), (1, 2, 1.5)], TypeError, "amount must be an int, not float"),
        (5, TypeError, "not iterable"),
    ):
        with pytest.raises(error, match=message):
            b.transfer_many(bad)
    assert (b.balance(1), b.balance(2)) == (10, 0)


def test_transfer_many_releases_the_gil():
    # Batches until the other thread has run: it can only run inside a call that releases the
    # GIL (runs_during turns preemption off), so `ran` proves transfer_many released it.
    b = bank(1, 2)
    b.deposit(1, 10)
    batch = [(1, 2, 1), (2, 1, 1)] * 10_000
    other_ran = threading.Event()

    def batches():
        for _ in range(10_000):
            assert all(r is None for r in b.transfer_many(batch))
            if other_ran.is_set():
                return True
        return False

    ran, finished = runs_during(batches, then=other_ran.set)
    assert ran and finished
    assert b.total() == 10 and b.balance(1) == 10


def test_eight_threads_of_batches_singles_opens_and_closes_conserve_the_total():
    # 8 threads x 100,000 transfers: half in transfer_many batches, half one call each; opposite
    # directions on one pair, accounts without overdraft (refusals), and each thread opening,
    # filling, draining and closing accounts of its own meanwhile.
    b = Ledger()
    b.open_hot(100)
    for i in range(10):
        b.open(i, overdraft=i >= 4)
        b.deposit(i, 1_000 if i < 4 else 100_000)
    start_total = b.total()
    refused = [0] * 8
    errors = []
    start = threading.Barrier(8)
    kinds = (InsufficientFundsError, AccountClosedError)

    def worker(n):
        rng = random.Random(n)
        start.wait()
        try:
            done = 0
            round_ = 0
            while done < 100_000:
                batch = []
                for step in range(1_000):
                    if step % 4 == 0:
                        src, dst = (0, 1) if (step // 4 + n) % 2 else (1, 0)
                    elif step % 10 == 1:
                        src, dst = rng.randrange(10), 100
                    else:
                        src, dst = rng.sample(range(10), 2)
                    batch.append((src, dst, rng.randint(1, 600)))
                if round_ % 2:
                    for r in b.transfer_many(batch):
                        if r is not None:
                            assert isinstance(r, InsufficientFundsError), r
                            refused[n] += 1
                else:
                    for t in batch:
                        try:
                            b.transfer(*t)
                        except InsufficientFundsError as e:
                            assert e.account == t[0] and e.balance < e.amount
                            refused[n] += 1
                done += len(batch)
                # An account of this thread's own: open (or reopen), fill, drain, close.
                own = 1_000 + n * 1_000 + round_ % 3
                try:
                    b.open(own)
                except AccountClosedError:
                    b.reopen(own)
                b.transfer(4 + n % 6, own, 50)
                r = b.transfer_many([(own, 4 + n % 6, 50), (own, 0, 1)])
                assert r[0] is None and isinstance(r[1], kinds)
                b.close(own)
                round_ += 1
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert b.total() == start_total
    assert sum(b.balance(i) for i in (*range(10), 100)) == start_total
    assert all(b.balance(i) >= 0 for i in range(4))
    assert sum(refused) > 0
    assert len(b) == 11
