use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

fn bank() -> Ledger {
    let l = Ledger::new();
    l.open(1, false).unwrap();
    l.open(2, false).unwrap();
    l.open(3, true).unwrap();
    l.deposit(1, 100).unwrap();
    l
}

/// A small deterministic generator (xorshift), so that the contention tests need no crate.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

#[test]
fn every_bad_input_is_a_distinct_error_and_changes_nothing() {
    let l = bank();
    assert_eq!(l.open(1, false), Err(Error::AccountExists(1)));
    assert_eq!(l.deposit(9, 1), Err(Error::UnknownAccount(9)));
    assert_eq!(l.deposit(1, 0), Err(Error::InvalidAmount(0)));
    assert_eq!(l.withdraw(1, -5), Err(Error::InvalidAmount(-5)));
    assert_eq!(l.transfer(1, 1, 5), Err(Error::SameAccount(1)));
    assert_eq!(l.transfer(1, 9, 5), Err(Error::UnknownAccount(9)));
    assert_eq!(l.transfer(9, 1, 5), Err(Error::UnknownAccount(9)));
    assert_eq!(
        l.transfer(2, 1, 5),
        Err(Error::InsufficientFunds {
            account: 2,
            balance: 0,
            amount: 5
        })
    );
    assert_eq!(
        l.withdraw(1, 101),
        Err(Error::InsufficientFunds {
            account: 1,
            balance: 100,
            amount: 101
        })
    );
    l.deposit(2, i64::MAX).unwrap();
    assert_eq!(l.deposit(2, 1), Err(Error::BalanceOverflow(2)));
    assert_eq!(l.transfer(1, 2, 1), Err(Error::BalanceOverflow(2)));
    assert_eq!((l.balance(1), l.balance(2)), (Ok(100), Ok(i64::MAX)));
    assert_eq!(l.total(), 100 + i128::from(i64::MAX));
}

#[test]
fn overdraft_accounts_may_go_negative_but_not_below_the_lowest_balance() {
    let l = bank();
    assert_eq!(l.withdraw(3, 50), Ok(-50));
    l.transfer(3, 1, 10).unwrap();
    assert_eq!(l.balance(3), Ok(-60));
    l.withdraw(3, i64::MAX - 62).unwrap();
    assert_eq!(l.balance(3), Ok(i64::MIN + 3));
    assert_eq!(l.withdraw(3, 1), Ok(i64::MIN + 2));
    assert_eq!(l.withdraw(3, 1), Err(Error::BalanceOverflow(3)));
    assert_eq!(l.balance(3), Ok(i64::MIN + 2));
}

#[test]
fn deposit_and_withdraw_return_the_new_balance() {
    let l = bank();
    assert_eq!(l.deposit(1, 5), Ok(105));
    assert_eq!(l.withdraw(1, 100), Ok(5));
}

#[test]
fn only_an_empty_account_closes_and_a_closed_one_reopens_only_explicitly() {
    let l = bank();
    assert_eq!(
        l.close(1),
        Err(Error::AccountNotEmpty {
            account: 1,
            balance: 100
        })
    );
    assert_eq!(l.close(2), Ok(()));
    assert_eq!(l.close(2), Err(Error::AccountClosed(2)));
    assert_eq!(l.close(9), Err(Error::UnknownAccount(9)));
    assert_eq!(l.deposit(2, 1), Err(Error::AccountClosed(2)));
    assert_eq!(l.withdraw(2, 1), Err(Error::AccountClosed(2)));
    assert_eq!(l.balance(2), Err(Error::AccountClosed(2)));
    assert_eq!(l.transfer(1, 2, 1), Err(Error::AccountClosed(2)));
    assert_eq!(l.transfer(2, 1, 1), Err(Error::AccountClosed(2)));
    assert_eq!(
        l.balance(1),
        Ok(100),
        "the failed transfer gave the money back"
    );
    assert_eq!(l.open(2, false), Err(Error::AccountClosed(2)));
    assert_eq!(l.len(), 2);
    assert_eq!(l.reopen(2), Ok(()));
    assert_eq!(l.reopen(2), Err(Error::AccountExists(2)));
    assert_eq!(l.balance(2), Ok(0));
    l.transfer(1, 2, 40).unwrap();
    assert_eq!((l.balance(1), l.balance(2), l.len()), (Ok(60), Ok(40), 3));
}

#[test]
fn transfer_many_applies_each_transfer_all_or_nothing_in_order() {
    let l = bank();
    let results = l.transfer_many(&[
        (1, 2, 60),
        (1, 2, 60), // only 40 left
        (2, 3, 60),
        (2, 2, 1),
        (2, 9, 1),
        (3, 1, 0),
    ]);
    assert_eq!(
        results,
        vec![
            Ok(()),
            Err(Error::InsufficientFunds {
                account: 1,
                balance: 40,
                amount: 60
            }),
            Ok(()),
            Err(Error::SameAccount(2)),
            Err(Error::UnknownAccount(9)),
            Err(Error::InvalidAmount(0)),
        ]
    );
    assert_eq!(
        (l.balance(1), l.balance(2), l.balance(3)),
        (Ok(40), Ok(0), Ok(60))
    );
    assert!(l.transfer_many(&[]).is_empty());
}

#[test]
fn a_hot_account_sums_its_credit_stripes_for_reads_debits_and_close() {
    let l = Ledger::new();
    l.open_hot(0, false).unwrap();
    for id in 1..=8 {
        l.open(id, false).unwrap();
        l.deposit(id, 1_000).unwrap();
    }
    std::thread::scope(|s| {
        for id in 1..=8u64 {
            let l = &l;
            s.spawn(move || {
                for _ in 0..100 {
                    l.transfer(id, 0, 10).unwrap();
                }
            });
        }
    });
    assert_eq!(l.balance(0), Ok(8_000));
    assert_eq!(l.total(), 8_000);
    // A debit larger than the folded balance folds the stripes in.
    assert_eq!(l.withdraw(0, 7_999), Ok(1));
    assert_eq!(
        l.close(0),
        Err(Error::AccountNotEmpty {
            account: 0,
            balance: 1
        })
    );
    l.transfer(0, 1, 1).unwrap();
    assert_eq!(l.close(0), Ok(()));
    assert_eq!(l.transfer(1, 0, 1), Err(Error::AccountClosed(0)));
    assert_eq!(l.total(), 8_000 - 7_999);
}

#[test]
fn accounts_opened_while_others_are_looked_up_are_all_found() {
    let l = Ledger::new();
    l.open(0, true).unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for id in 1..20_000u64 {
                l.open(id, false).unwrap();
            }
            done.store(true, Ordering::SeqCst);
        });
        s.spawn(|| {
            let mut next = rng(7);
            while !done.load(Ordering::SeqCst) {
                // Account 0 exists throughout, whatever the index is doing.
                assert_eq!(l.deposit(0, 1).map(|_| ()), Ok(()));
                let id = next() % 20_000;
                if let Ok(b) = l.balance(id) {
                    assert!(id == 0 || b == 0);
                }
            }
        });
    });
    assert_eq!(l.len(), 20_000);
    assert!((0..20_000).all(|id| l.balance(id).is_ok()));
}

#[test]
fn transfer_in_opposite_directions_never_deadlocks_and_conserves() {
    let l = Ledger::new();
    l.open(1, false).unwrap();
    l.open(2, false).unwrap();
    l.deposit(1, 1_000_000).unwrap();
    l.deposit(2, 1_000_000).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| (0..50_000).for_each(|_| l.transfer(1, 2, 3).unwrap()));
        s.spawn(|| (0..50_000).for_each(|_| l.transfer(2, 1, 3).unwrap()));
    });
    assert_eq!((l.balance(1), l.balance(2)), (Ok(1_000_000), Ok(1_000_000)));
}

#[test]
fn eight_threads_of_random_transfers_closes_and_reopens_conserve_the_total() {
    const ACCOUNTS: u64 = 64;
    let l = Ledger::new();
    for id in 0..ACCOUNTS {
        if id == 0 {
            l.open_hot(id, false).unwrap();
        } else {
            l.open(id, false).unwrap();
        }
        l.deposit(id, 1_000).unwrap();
    }
    let initial = l.total();
    let deposited = std::sync::atomic::AtomicI64::new(0);
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let (l, deposited) = (&l, &deposited);
            s.spawn(move || {
                let mut next = rng(t + 1);
                for i in 0..100_000u64 {
                    let (a, b) = (next() % ACCOUNTS, next() % ACCOUNTS);
                    let amount = (next() % 300) as i64 + 1; // often more than a balance holds
                    match i % 100 {
                        // Close and reopen accounts that happen to be empty.
                        0 => {
                            if l.close(a).is_ok() {
                                l.reopen(a).unwrap();
                            }
                        }
                        1 => {
                            if l.deposit(a, amount).is_ok() {
                                deposited.fetch_add(amount, Ordering::SeqCst);
                            }
                        }
                        _ => match l.transfer(a, b, amount) {
                            Ok(())
                            | Err(Error::InsufficientFunds { .. })
                            | Err(Error::SameAccount(_))
                            | Err(Error::AccountClosed(_)) => {}
                            Err(e) => panic!("unexpected {e}"),
                        },
                    }
                }
            });
        }
    });
    assert_eq!(
        l.total(),
        initial + i128::from(deposited.load(Ordering::SeqCst))
    );
    for id in 0..ACCOUNTS {
        let b = l.balance(id).unwrap();
        assert!(b >= 0, "account {id} went below zero: {b}");
    }
}

/// 8 threads x 1,000,000 transfers (a few seconds in a debug build): half of the threads in
/// `transfer_many` batches of 1,000, half one `transfer` at a time; opposite directions between
/// accounts 1 and 2, amounts no account can pay, a hot account credited and debited, and each
/// thread opening, funding, draining and closing accounts of its own meanwhile. The total is exact
/// afterwards and no account without overdraft is negative.
#[test]
fn eight_threads_of_a_million_batched_and_single_transfers_with_opens_and_closes_conserve() {
    const ACCOUNTS: u64 = 16;
    const HOT: u64 = 100;
    let l = Ledger::new();
    for id in 0..ACCOUNTS {
        l.open(id, id >= 12).unwrap(); // 12..16 may overdraw
        l.deposit(id, 1_000).unwrap();
    }
    l.open_hot(HOT, false).unwrap();
    let initial = l.total();
    std::thread::scope(|s| {
        for t in 0..8u64 {
            let l = &l;
            s.spawn(move || {
                let mut next = rng(t + 11);
                let mut batch = Vec::with_capacity(1_000);
                for round in 0..1_000u64 {
                    batch.clear();
                    for i in 0..1_000u64 {
                        let r = next();
                        let mut amount = (r % 300) as i64 + 1;
                        let (from, to) = match i % 10 {
                            0 | 5 => (1 + t % 2, 2 - t % 2),
                            1 => (r % ACCOUNTS, HOT),
                            3 => (HOT, (r >> 20) % ACCOUNTS),
                            _ => {
                                let from = (r >> 8) % ACCOUNTS;
                                (from, (from + 1 + (r >> 30) % (ACCOUNTS - 1)) % ACCOUNTS)
                            }
                        };
                        if i % 10 == 7 && from < 12 {
                            amount = 1 << 40;
                        }
                        batch.push((from, to, amount));
                    }
                    let results = if t % 2 == 0 {
                        l.transfer_many(&batch)
                    } else {
                        batch
                            .iter()
                            .map(|&(f, to, a)| l.transfer(f, to, a))
                            .collect()
                    };
                    for r in results {
                        match r {
                            Ok(()) | Err(Error::InsufficientFunds { .. }) => {}
                            Err(e) => panic!("unexpected {e}"),
                        }
                    }
                    let own = 1_000 + t * 10 + round % 3;
                    match l.open(own, false) {
                        Err(Error::AccountClosed(_)) => l.reopen(own).unwrap(),
                        other => other.unwrap(),
                    }
                    let src = 12 + t % 4;
                    l.transfer(src, own, 50).unwrap();
                    assert!(matches!(l.close(own), Err(Error::AccountNotEmpty { .. })));
                    l.transfer(own, src, 50).unwrap();
                    l.close(own).unwrap();
                }
            });
        }
    });
    assert_eq!(l.total(), initial);
    for id in 0..12 {
        assert!(l.balance(id).unwrap() >= 0);
    }
    assert!(l.balance(HOT).unwrap() >= 0);
    assert_eq!(l.len(), ACCOUNTS as usize + 1);
}

#[test]
fn a_batch_keeps_its_sources_in_flight_until_it_returns() {
    let l = bank();
    let mut during = Vec::new();
    l.transfer_each([(1, 2, 100), (2, 1, 100), (1, 3, 1)], |i, r| {
        assert_eq!(r, Ok(()));
        // Account 2 received 100 and gave it back: empty after transfer 1, but the batch has
        // transferred from it and keeps it (it names three accounts), so it is in flight until
        // the batch returns.
        if i == 1 {
            during.push(l.close(2));
        }
    });
    let busy = Err(Error::AccountNotEmpty {
        account: 2,
        balance: 0,
    });
    assert_eq!(during, vec![busy.clone()]);
    assert_eq!(l.close(2), Ok(()), "released when the batch returned");
    l.reopen(2).unwrap();

    // A failed debit marks its source too (from before the debit); a destination is not marked.
    l.transfer_each([(2, 1, 5), (1, 2, 1_000)], |i, r| match i {
        0 => {
            assert!(matches!(
                r,
                Err(Error::InsufficientFunds { account: 2, .. })
            ));
            assert_eq!(l.close(2), busy);
        }
        _ => assert!(matches!(
            r,
            Err(Error::InsufficientFunds { account: 1, .. })
        )),
    });
    l.open(4, false).unwrap();
    l.transfer_each([(1, 4, 1_000)], |_, r| {
        assert!(r.is_err());
        assert_eq!(l.close(4), Ok(()), "only credited: not in flight");
    });
    assert_eq!(
        (l.balance(1), l.balance(2), l.balance(3)),
        (Ok(99), Ok(0), Ok(1))
    );
}

#[test]
fn a_batch_finds_an_account_opened_while_it_runs() {
    let l = bank();
    let mut results = Vec::new();
    l.transfer_each([(1, 5, 1), (1, 5, 2), (5, 1, 3)], |i, r| {
        results.push(r);
        if i == 0 {
            l.open(5, false).unwrap();
        }
    });
    assert_eq!(
        results,
        vec![
            Err(Error::UnknownAccount(5)),
            Ok(()),
            Err(Error::InsufficientFunds {
                account: 5,
                balance: 2,
                amount: 3
            })
        ]
    );
    assert_eq!((l.balance(1), l.balance(5)), (Ok(98), Ok(2)));
}

#[test]
fn a_batch_that_unwinds_releases_its_sources() {
    let l = bank();
    l.open(6, true).unwrap();
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        l.transfer_each([(6, 3, 1), (3, 6, 1)], |i, r| {
            assert_eq!(r, Ok(()));
            if i == 1 {
                panic!("the caller's callback failed");
            }
        })
    }));
    assert!(unwound.is_err());
    assert_eq!(l.balance(6), Ok(0));
    assert_eq!(l.close(6), Ok(()));
    assert_eq!(l.close(3), Ok(()));
}

/// 300 accounts, random transfers with every kind of failure: a batch gives the results and
/// balances of one call per transfer, whether it keeps every account (one batch of 20,000) or its
/// ids keep evicting each other from its cache (batches of 8, 16 cache entries for 300 ids), the
/// source and the destination of one transfer included.
#[test]
fn a_batch_of_many_accounts_matches_one_call_per_transfer() {
    let (whole, small, single) = (Ledger::new(), Ledger::new(), Ledger::new());
    for l in [&whole, &small, &single] {
        for id in 0..300 {
            l.open(id, id % 7 == 0).unwrap();
            l.deposit(id, 50).unwrap();
        }
        l.open_hot(1_000, false).unwrap();
    }
    let mut next = rng(3);
    let transfers: Vec<(u64, u64, i64)> = (0..20_000)
        .map(|_| {
            let r = next();
            let from = if r % 11 == 0 { 1_000 } else { r % 310 }; // 300..310 are unknown
            let to = if r % 13 == 0 { 1_000 } else { (r >> 16) % 310 };
            (from, to, (r >> 32) as i64 % 120 - 5) // some zero and negative amounts
        })
        .collect();
    let expected: Vec<_> = transfers
        .iter()
        .map(|&(f, t, a)| single.transfer(f, t, a))
        .collect();
    assert_eq!(whole.transfer_many(&transfers), expected);
    let in_eights: Vec<_> = transfers
        .chunks(8)
        .flat_map(|c| small.transfer_many(c))
        .collect();
    assert_eq!(in_eights, expected);
    for id in (0..300).chain([1_000]) {
        let balance = single.balance(id);
        let closes = single.close(id).is_ok();
        for l in [&whole, &small] {
            assert_eq!(l.balance(id), balance, "account {id}");
            // Every batch released its sources: the same accounts close.
            assert_eq!(l.close(id).is_ok(), closes, "account {id}");
        }
    }
    assert!(expected.iter().any(|r| r.is_ok()));
    assert_eq!(whole.total(), single.total());
    assert_eq!(small.total(), single.total());
}
