/* ap_ledger_*: every function, every documented error with every balance unchanged afterwards
 * (unknown account, account exists, invalid amount, same account, insufficient funds, overflow of
 * a balance and of the total), overdraft accounts, reference counting, and 8 threads doing
 * 100,000 random transfers each (opposite directions between the same accounts, failing ones
 * included) with the total conserved and no non-overdraft balance ever negative. Hot accounts,
 * close/reopen (AP_ERR_ACCOUNT_CLOSED, AP_ERR_ACCOUNT_NOT_EMPTY), ap_ledger_transfer_many (a
 * status per transfer, NULL and empty batches), and 8 threads x 200,000 transfers in batches and
 * single calls with accounts opened and closed meanwhile, the total exact afterwards. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "check.h"

#define SENTINEL INT64_C(0x5EED5EED)
#define SENTINEL_LEN ((size_t)0xDEADBEEF)
#define BAD_LEDGER ((ap_ledger *)(uintptr_t)0x5EED)

static int64_t balance_of(const ap_ledger *l, uint64_t id) {
    int64_t b = SENTINEL;
    CHECK_OK(ap_ledger_balance(l, id, &b));
    return b;
}

static int64_t total_of(const ap_ledger *l) {
    int64_t t = SENTINEL;
    CHECK_OK(ap_ledger_total(l, &t));
    return t;
}

static size_t len_of(const ap_ledger *l) {
    size_t n = SENTINEL_LEN;
    CHECK_OK(ap_ledger_len(l, &n));
    return n;
}

/* Balances of accounts 1..4, to compare before and after a failing call. */
enum { NACC = 4 };
struct balances {
    int64_t b[NACC + 1];
    int64_t total;
    size_t len;
};

static struct balances read_all(const ap_ledger *l) {
    struct balances s;
    s.b[0] = 0;
    for (uint64_t id = 1; id <= NACC; id++) s.b[id] = balance_of(l, id);
    s.total = total_of(l);
    s.len = len_of(l);
    return s;
}

/* Every balance, the total and the account count are what they were. */
static void check_unchanged_(const ap_ledger *l, const struct balances *before, const char *file,
                             int line) {
    struct balances now = read_all(l);
    for (int id = 1; id <= NACC; id++) {
        if (now.b[id] != before->b[id]) {
            fprintf(stderr, "%s:%d: FAILED: balance of account %d changed on error: %" PRId64
                            " -> %" PRId64 "\n",
                    file, line, id, before->b[id], now.b[id]);
            atomic_fetch_add(&check_failures_, 1);
            return;
        }
    }
    if (now.total != before->total || now.len != before->len) {
        fprintf(stderr, "%s:%d: FAILED: total or len changed on error\n", file, line);
        atomic_fetch_add(&check_failures_, 1);
        return;
    }
    atomic_fetch_add(&check_passes_, 1);
}
#define CHECK_UNCHANGED(l, before) check_unchanged_((l), (before), __FILE__, __LINE__)

static void test_basic(void) {
    ap_ledger *l = NULL;
    REQUIRE_OK(ap_ledger_new(&l));
    REQUIRE(l != NULL);
    CHECK_U64(len_of(l), 0);
    CHECK(total_of(l) == 0);

    CHECK_OK(ap_ledger_open(l, 1, false));
    CHECK_OK(ap_ledger_open(l, 2, false));
    CHECK_OK(ap_ledger_open(l, 3, true));
    CHECK_OK(ap_ledger_open(l, 0, false)); /* every id is an id, 0 and UINT64_MAX included */
    CHECK_OK(ap_ledger_open(l, UINT64_MAX, true));
    CHECK_U64(len_of(l), 5);
    CHECK(balance_of(l, 1) == 0); /* opened at 0 */
    CHECK(balance_of(l, UINT64_MAX) == 0);

    int64_t b = SENTINEL;
    CHECK_OK(ap_ledger_deposit(l, 1, 100, &b));
    CHECK(b == 100);
    CHECK_OK(ap_ledger_deposit(l, 1, 50, &b));
    CHECK(b == 150);
    CHECK_OK(ap_ledger_deposit(l, 2, 7, NULL)); /* *balance is optional */
    CHECK(balance_of(l, 2) == 7);
    CHECK_OK(ap_ledger_withdraw(l, 1, 30, &b));
    CHECK(b == 120);
    CHECK_OK(ap_ledger_withdraw(l, 2, 7, NULL)); /* down to exactly 0 is allowed */
    CHECK(balance_of(l, 2) == 0);
    CHECK_OK(ap_ledger_transfer(l, 1, 2, 20));
    CHECK(balance_of(l, 1) == 100);
    CHECK(balance_of(l, 2) == 20);
    CHECK_OK(ap_ledger_transfer(l, 2, 1, 20)); /* all of it */
    CHECK(balance_of(l, 1) == 120);
    CHECK(balance_of(l, 2) == 0);
    CHECK(total_of(l) == 120);

    /* Overdraft: account 3 may go below zero by withdrawal and by transfer. */
    CHECK_OK(ap_ledger_withdraw(l, 3, 40, &b));
    CHECK(b == -40);
    CHECK_OK(ap_ledger_transfer(l, 3, 2, 60));
    CHECK(balance_of(l, 3) == -100);
    CHECK(balance_of(l, 2) == 60);
    CHECK(total_of(l) == 80); /* 120 + 60 - 100 */
    CHECK_OK(ap_ledger_deposit(l, 3, 100, &b));
    CHECK(b == 0);
    CHECK(total_of(l) == 180);
    /* id 0 and UINT64_MAX work like the others. */
    CHECK_OK(ap_ledger_transfer(l, 1, 0, 5));
    CHECK_OK(ap_ledger_transfer(l, UINT64_MAX, 0, 5));
    CHECK(balance_of(l, 0) == 10);
    CHECK(balance_of(l, UINT64_MAX) == -5);
    CHECK(total_of(l) == 180); /* moved between accounts only */
    ap_ledger_free(l);
}

/* Every error case of every function, with every balance unchanged afterwards and the optional
 * *balance untouched. */
static void test_errors(void) {
    ap_ledger *l = NULL;
    REQUIRE_OK(ap_ledger_new(&l));
    CHECK_OK(ap_ledger_open(l, 1, false));
    CHECK_OK(ap_ledger_open(l, 2, false));
    CHECK_OK(ap_ledger_open(l, 3, true));
    CHECK_OK(ap_ledger_open(l, 4, true));
    CHECK_OK(ap_ledger_deposit(l, 1, 100, NULL));
    CHECK_OK(ap_ledger_withdraw(l, 4, 25, NULL));
    struct balances before = read_all(l);
    CHECK(before.b[1] == 100 && before.b[2] == 0 && before.b[3] == 0 && before.b[4] == -25);
    int64_t b = SENTINEL;

    /* open: an open id, whatever the overdraft flag. */
    CHECK_STATUS(ap_ledger_open(l, 1, false), AP_ERR_ACCOUNT_EXISTS);
    CHECK(strstr(ap_last_error(), "ap_ledger_open") != NULL);
    CHECK_STATUS(ap_ledger_open(l, 1, true), AP_ERR_ACCOUNT_EXISTS);
    CHECK_STATUS(ap_ledger_open(l, 3, false), AP_ERR_ACCOUNT_EXISTS);
    CHECK_UNCHANGED(l, &before);
    /* ...and the account kept its kind: 1 still refuses overdraft, 3 still allows it. */
    CHECK_STATUS(ap_ledger_withdraw(l, 1, 101, &b), AP_ERR_INSUFFICIENT_FUNDS);
    CHECK_OK(ap_ledger_withdraw(l, 3, 1, &b));
    CHECK(b == -1);
    CHECK_OK(ap_ledger_deposit(l, 3, 1, NULL));
    b = SENTINEL;

    /* Amounts that are zero or negative. */
    const int64_t bad_amounts[] = {0, -1, -100, INT64_MIN};
    for (size_t i = 0; i < sizeof bad_amounts / sizeof bad_amounts[0]; i++) {
        int64_t a = bad_amounts[i];
        CHECK_STATUS(ap_ledger_deposit(l, 1, a, &b), AP_ERR_INVALID_AMOUNT);
        CHECK(strstr(ap_last_error(), "ap_ledger_deposit") != NULL);
        CHECK_STATUS(ap_ledger_withdraw(l, 1, a, &b), AP_ERR_INVALID_AMOUNT);
        CHECK(strstr(ap_last_error(), "ap_ledger_withdraw") != NULL);
        CHECK_STATUS(ap_ledger_withdraw(l, 3, a, &b), AP_ERR_INVALID_AMOUNT); /* overdraft too */
        CHECK_STATUS(ap_ledger_transfer(l, 1, 2, a), AP_ERR_INVALID_AMOUNT);
        CHECK(strstr(ap_last_error(), "ap_ledger_transfer") != NULL);
        CHECK_STATUS(ap_ledger_transfer(l, 3, 1, a), AP_ERR_INVALID_AMOUNT);
        CHECK(b == SENTINEL);
    }
    CHECK_UNCHANGED(l, &before);

    /* Unknown accounts. */
    CHECK_STATUS(ap_ledger_deposit(l, 9, 5, &b), AP_ERR_UNKNOWN_ACCOUNT);
    CHECK(strstr(ap_last_error(), "ap_ledger_deposit") != NULL);
    CHECK_STATUS(ap_ledger_withdraw(l, 9, 5, &b), AP_ERR_UNKNOWN_ACCOUNT);
    CHECK(strstr(ap_last_error(), "ap_ledger_withdraw") != NULL);
    CHECK_STATUS(ap_ledger_transfer(l, 1, 9, 5), AP_ERR_UNKNOWN_ACCOUNT); /* to */
    CHECK(strstr(ap_last_error(), "ap_ledger_transfer") != NULL);
    CHECK_STATUS(ap_ledger_transfer(l, 9, 1, 5), AP_ERR_UNKNOWN_ACCOUNT); /* from */
    CHECK_STATUS(ap_ledger_transfer(l, 3, 9, 5), AP_ERR_UNKNOWN_ACCOUNT); /* overdraft from */
    CHECK_STATUS(ap_ledger_transfer(l, 9, 10, 5), AP_ERR_UNKNOWN_ACCOUNT); /* both */
    CHECK_STATUS(ap_ledger_balance(l, 9, &b), AP_ERR_UNKNOWN_ACCOUNT);
    CHECK(strstr(ap_last_error(), "ap_ledger_balance") != NULL);
    CHECK_STATUS(ap_ledger_balance(l, UINT64_MAX, &b), AP_ERR_UNKNOWN_ACCOUNT);
    CHECK(b == SENTINEL);
    CHECK_UNCHANGED(l, &before);

    /* A transfer to the same account (with money or without, overdraft or not). */
    CHECK_STATUS(ap_ledger_transfer(l, 1, 1, 5), AP_ERR_SAME_ACCOUNT);
    CHECK(strstr(ap_last_error(), "ap_ledger_transfer") != NULL);
    CHECK_STATUS(ap_ledger_transfer(l, 1, 1, 1000), AP_ERR_SAME_ACCOUNT);
    CHECK_STATUS(ap_ledger_transfer(l, 3, 3, 5), AP_ERR_SAME_ACCOUNT);
    CHECK_UNCHANGED(l, &before);

    /* Insufficient funds: one more than the balance, an empty account, a transfer. */
    CHECK_STATUS(ap_ledger_withdraw(l, 1, 101, &b), AP_ERR_INSUFFICIENT_FUNDS);
    CHECK(strstr(ap_last_error(), "ap_ledger_withdraw") != NULL);
    CHECK_STATUS(ap_ledger_withdraw(l, 1, INT64_MAX, &b), AP_ERR_INSUFFICIENT_FUNDS);
    CHECK_STATUS(ap_ledger_withdraw(l, 2, 1, &b), AP_ERR_INSUFFICIENT_FUNDS);
    CHECK(b == SENTINEL);
    CHECK_STATUS(ap_ledger_transfer(l, 1, 2, 101), AP_ERR_INSUFFICIENT_FUNDS);
    CHECK(strstr(ap_last_error(), "ap_ledger_transfer") != NULL);
    CHECK_STATUS(ap_ledger_transfer(l, 2, 1, 1), AP_ERR_INSUFFICIENT_FUNDS);
    CHECK_STATUS(ap_ledger_transfer(l, 1, 3, INT64_MAX), AP_ERR_INSUFFICIENT_FUNDS);
    CHECK_UNCHANGED(l, &before);
    /* The boundary: exactly the balance is fine. */
    CHECK_OK(ap_ledger_transfer(l, 1, 2, 100));
    CHECK_OK(ap_ledger_transfer(l, 2, 1, 100));
    CHECK_UNCHANGED(l, &before);

    /* Balance overflow: deposit, transfer into a full account. Account 4 first goes to -125 so
     * that the total stays in range. */
    CHECK_OK(ap_ledger_withdraw(l, 4, 100, NULL));
    CHECK_OK(ap_ledger_deposit(l, 2, INT64_MAX, &b));
    CHECK(b == INT64_MAX);
    struct balances full = read_all(l);
    CHECK(full.total == INT64_MAX - 25);
    b = SENTINEL;
    CHECK_STATUS(ap_ledger_deposit(l, 2, 1, &b), AP_ERR_OVERFLOW);
    CHECK(strstr(ap_last_error(), "ap_ledger_deposit") != NULL);
    CHECK_STATUS(ap_ledger_deposit(l, 2, INT64_MAX, &b), AP_ERR_OVERFLOW);
    CHECK(b == SENTINEL);
    CHECK_STATUS(ap_ledger_transfer(l, 1, 2, 1), AP_ERR_OVERFLOW); /* 1 had the money */
    CHECK(strstr(ap_last_error(), "ap_ledger_transfer") != NULL);
    CHECK_STATUS(ap_ledger_transfer(l, 3, 2, 50), AP_ERR_OVERFLOW); /* overdraft source */
    CHECK_UNCHANGED(l, &full);
    CHECK_OK(ap_ledger_withdraw(l, 2, INT64_MAX, NULL));
    CHECK_OK(ap_ledger_deposit(l, 4, 100, NULL));
    CHECK_UNCHANGED(l, &before);

    /* Overdraft account 4 at -25: down to the lowest balance, INT64_MIN + 2, exactly (the two
     * values below mark closed accounts), then one more overflows. */
    CHECK_OK(ap_ledger_withdraw(l, 4, INT64_MAX - 26, &b)); /* -25 - (MAX - 26) = MIN + 2 */
    CHECK(b == INT64_MIN + 2);
    struct balances low = read_all(l);
    CHECK(low.b[4] == INT64_MIN + 2);
    b = SENTINEL;
    CHECK_STATUS(ap_ledger_withdraw(l, 4, 1, &b), AP_ERR_OVERFLOW);
    CHECK(strstr(ap_last_error(), "ap_ledger_withdraw") != NULL);
    CHECK_STATUS(ap_ledger_withdraw(l, 4, INT64_MAX, &b), AP_ERR_OVERFLOW);
    CHECK(b == SENTINEL);
    CHECK_STATUS(ap_ledger_transfer(l, 4, 1, 1), AP_ERR_OVERFLOW);
    CHECK_UNCHANGED(l, &low);
    /* Restore account 4 to -25 and 2 to 0. */
    CHECK_OK(ap_ledger_deposit(l, 4, INT64_MAX, &b)); /* MIN + 2 + MAX = 1 */
    CHECK_OK(ap_ledger_withdraw(l, 4, 26, &b));
    CHECK(b == -25);
    CHECK_UNCHANGED(l, &before);

    /* Total overflow: balances fit but their sum does not; *out untouched; fine again after. */
    CHECK_OK(ap_ledger_deposit(l, 2, INT64_MAX, NULL));
    CHECK_OK(ap_ledger_deposit(l, 3, INT64_MAX, NULL));
    int64_t t = SENTINEL;
    CHECK_STATUS(ap_ledger_total(l, &t), AP_ERR_OVERFLOW);
    CHECK(t == SENTINEL);
    CHECK(strstr(ap_last_error(), "ap_ledger_total") != NULL);
    CHECK(balance_of(l, 2) == INT64_MAX && balance_of(l, 3) == INT64_MAX);
    CHECK_OK(ap_ledger_withdraw(l, 2, INT64_MAX, NULL));
    CHECK_OK(ap_ledger_withdraw(l, 3, INT64_MAX, NULL));
    CHECK_UNCHANGED(l, &before);
    /* ...and below INT64_MIN: two overdraft accounts deep in debt. */
    CHECK_OK(ap_ledger_withdraw(l, 3, INT64_MAX - 2, NULL));
    CHECK_OK(ap_ledger_withdraw(l, 4, INT64_MAX - 100, NULL));
    t = SENTINEL;
    CHECK_STATUS(ap_ledger_total(l, &t), AP_ERR_OVERFLOW);
    CHECK(t == SENTINEL);
    CHECK_OK(ap_ledger_deposit(l, 3, INT64_MAX - 2, NULL));
    CHECK_OK(ap_ledger_deposit(l, 4, INT64_MAX - 100, NULL));
    CHECK_UNCHANGED(l, &before);

    /* NULL out-pointers (the NULL is reported before an unknown account). */
    CHECK_STATUS(ap_ledger_balance(l, 1, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_ledger_balance") != NULL);
    CHECK_STATUS(ap_ledger_balance(l, 9, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_ledger_total(l, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_ledger_total") != NULL);
    CHECK_STATUS(ap_ledger_len(l, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_ledger_len") != NULL);
    CHECK_STATUS(ap_ledger_new(NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_ledger_new") != NULL);
    CHECK_UNCHANGED(l, &before);
    ap_ledger_free(l);

    /* NULL handle: every function, out-values untouched, the handle reported first. */
    b = SENTINEL;
    size_t n = SENTINEL_LEN;
    CHECK_STATUS(ap_ledger_open(NULL, 1, false), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_ledger_open") != NULL);
    CHECK_STATUS(ap_ledger_deposit(NULL, 1, 5, &b), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_ledger_deposit") != NULL);
    CHECK_STATUS(ap_ledger_deposit(NULL, 1, 0, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_ledger_withdraw(NULL, 1, 5, &b), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_ledger_withdraw") != NULL);
    CHECK_STATUS(ap_ledger_withdraw(NULL, 1, -1, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_ledger_transfer(NULL, 1, 2, 5), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_ledger_transfer") != NULL);
    CHECK_STATUS(ap_ledger_transfer(NULL, 1, 1, 0), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_ledger_balance(NULL, 1, &b), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_ledger_balance") != NULL);
    CHECK_STATUS(ap_ledger_balance(NULL, 1, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_ledger_total(NULL, &b), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_ledger_total") != NULL);
    CHECK_STATUS(ap_ledger_total(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_ledger_len(NULL, &n), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_ledger_len") != NULL);
    CHECK_STATUS(ap_ledger_len(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK(b == SENTINEL);
    CHECK_U64(n, SENTINEL_LEN);
}

static void test_refcount(void) {
    ap_ledger_free(NULL);
    CHECK(ap_ledger_clone(NULL) == NULL);
    ap_ledger *a = NULL;
    REQUIRE_OK(ap_ledger_new(&a));
    ap_ledger *b = ap_ledger_clone(a);
    REQUIRE(b != NULL);
    CHECK_OK(ap_ledger_open(a, 1, false));
    CHECK_STATUS(ap_ledger_open(b, 1, true), AP_ERR_ACCOUNT_EXISTS); /* one ledger */
    CHECK_OK(ap_ledger_deposit(b, 1, 10, NULL));
    CHECK(balance_of(a, 1) == 10);
    ap_ledger_free(a); /* the clone keeps it alive */
    CHECK(balance_of(b, 1) == 10);
    CHECK_U64(len_of(b), 1);
    ap_ledger_free(b);
}

/* ---- 8 threads x 100,000 random transfers ---- */

enum {
    THREADS = 8,
    TRANSFERS = 100000,
    SAFE = 12,     /* accounts 1..SAFE refuse overdraft */
    ACCOUNTS = 16, /* accounts SAFE+1..ACCOUNTS allow it */
    START = 1000,  /* initial deposit of each safe account */
};

struct ledger_shared {
    ap_ledger *l;
    pthread_barrier_t start;
    atomic_int running;
    atomic_int negative_seen; /* a safe account read below zero */
};

struct ledger_worker {
    struct ledger_shared *s;
    int id;
    uint64_t rng;
    int64_t net;          /* deposits minus withdrawals that succeeded */
    uint64_t ok, insufficient, same, big_refused;
};

static uint64_t next_rand(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static int is_safe(uint64_t id) { return id >= 1 && id <= SAFE; }

static void *ledger_worker_main(void *arg) {
    struct ledger_worker *w = arg;
    ap_ledger *l = w->s->l;
    /* Pairs of threads share a pair of accounts and transfer between them in opposite
     * directions: thread 2k moves a -> b, thread 2k+1 moves b -> a. */
    uint64_t pa = (uint64_t)(w->id / 2) * 2 + 1, pb = pa + 1;
    if (w->id % 2) {
        uint64_t tmp = pa;
        pa = pb;
        pb = tmp;
    }
    pthread_barrier_wait(&w->s->start);
    for (int i = 0; i < TRANSFERS; i++) {
        uint64_t r = next_rand(&w->rng);
        uint64_t from, to;
        int64_t amount = (int64_t)(r % 300) + 1;
        switch ((r >> 32) % 8) {
        case 0: /* the opposite-direction pair */
        case 1:
            from = pa;
            to = pb;
            break;
        case 2: /* an attempt no safe account can pay */
            from = 1 + (r >> 40) % SAFE;
            to = 1 + (r >> 48) % ACCOUNTS;
            amount = INT64_C(1) << 40;
            if (from == to) to = from % ACCOUNTS + 1;
            {
                ap_status st = ap_ledger_transfer(l, from, to, amount);
                CHECK_STATUS(st, AP_ERR_INSUFFICIENT_FUNDS);
                w->big_refused++;
            }
            continue;
        default: /* any two accounts, sometimes the same one */
            from = 1 + (r >> 40) % ACCOUNTS;
            to = 1 + (r >> 48) % ACCOUNTS;
            break;
        }
        ap_status st = ap_ledger_transfer(l, from, to, amount);
        if (from == to) {
            CHECK_STATUS(st, AP_ERR_SAME_ACCOUNT);
            w->same++;
        } else if (st == AP_OK) {
            w->ok++;
        } else if (st == AP_ERR_INSUFFICIENT_FUNDS && is_safe(from)) {
            w->insufficient++;
        } else {
            CHECK_STATUS(st, AP_OK); /* overdraft sources never fail; nothing overflows */
        }
        if (i % 64 == 0) {
            /* Deposits and withdrawals mixed in, tracked so the total is still known. */
            uint64_t id = 1 + (r >> 20) % ACCOUNTS;
            int64_t bal = SENTINEL;
            CHECK_OK(ap_ledger_deposit(l, id, 10, &bal));
            w->net += 10;
            bal = SENTINEL;
            st = ap_ledger_withdraw(l, id, 25, &bal);
            if (st == AP_OK) {
                w->net -= 25;
                if (is_safe(id) && bal < 0) atomic_store(&w->s->negative_seen, 1);
            } else {
                CHECK(is_safe(id));
                CHECK_STATUS(st, AP_ERR_INSUFFICIENT_FUNDS);
                CHECK(bal == SENTINEL);
            }
        }
    }
    return NULL;
}

/* Reads balances while the transfers run: a safe account is never negative. */
static void *ledger_reader_main(void *arg) {
    struct ledger_shared *s = arg;
    pthread_barrier_wait(&s->start);
    uint64_t reads = 0;
    while (atomic_load(&s->running) || reads < 1000) {
        for (uint64_t id = 1; id <= SAFE; id++) {
            int64_t b = SENTINEL;
            CHECK_OK(ap_ledger_balance(s->l, id, &b));
            if (b < 0) atomic_store(&s->negative_seen, 1);
            reads++;
        }
        int64_t t = 0;
        CHECK_OK(ap_ledger_total(s->l, &t)); /* in flux: only that it answers */
    }
    return NULL;
}

static void test_threads(void) {
    struct ledger_shared s;
    REQUIRE_OK(ap_ledger_new(&s.l));
    for (uint64_t id = 1; id <= ACCOUNTS; id++) {
        REQUIRE_OK(ap_ledger_open(s.l, id, !is_safe(id)));
        if (is_safe(id)) REQUIRE_OK(ap_ledger_deposit(s.l, id, START, NULL));
    }
    const int64_t initial = (int64_t)SAFE * START;
    CHECK(total_of(s.l) == initial);
    atomic_init(&s.running, 1);
    atomic_init(&s.negative_seen, 0);
    REQUIRE(pthread_barrier_init(&s.start, NULL, THREADS + 1) == 0);

    struct ledger_worker w[THREADS];
    pthread_t tid[THREADS], reader;
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct ledger_worker){&s, i, 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1), 0, 0, 0, 0, 0};
        REQUIRE(pthread_create(&tid[i], NULL, ledger_worker_main, &w[i]) == 0);
    }
    REQUIRE(pthread_create(&reader, NULL, ledger_reader_main, &s) == 0);
    for (int i = 0; i < THREADS; i++) REQUIRE(pthread_join(tid[i], NULL) == 0);
    atomic_store(&s.running, 0);
    REQUIRE(pthread_join(reader, NULL) == 0);
    pthread_barrier_destroy(&s.start);

    int64_t net = 0;
    uint64_t ok = 0, insufficient = 0, same = 0, big = 0;
    for (int i = 0; i < THREADS; i++) {
        net += w[i].net;
        ok += w[i].ok;
        insufficient += w[i].insufficient;
        same += w[i].same;
        big += w[i].big_refused;
    }
    /* Every kind of attempt happened (the random draw makes each very likely by far). */
    CHECK(ok > 0);
    CHECK(insufficient > 0);
    CHECK(same > 0);
    CHECK(big > 0);
    CHECK(!atomic_load(&s.negative_seen));

    /* Conserved: the total is the start plus what was deposited and withdrawn, and it equals
     * the sum of the balances read one by one; safe accounts are not negative. */
    int64_t sum = 0;
    for (uint64_t id = 1; id <= ACCOUNTS; id++) {
        int64_t b = balance_of(s.l, id);
        if (is_safe(id)) CHECK(b >= 0);
        sum += b;
    }
    CHECK(total_of(s.l) == initial + net);
    CHECK(sum == initial + net);
    CHECK_U64(len_of(s.l), ACCOUNTS);
    ap_ledger_free(s.l);
}

static void test_close_and_reopen(void) {
    ap_ledger *l = NULL;
    REQUIRE_OK(ap_ledger_new(&l));
    CHECK_OK(ap_ledger_open(l, 1, false));
    CHECK_OK(ap_ledger_open(l, 2, false));
    CHECK_OK(ap_ledger_deposit(l, 1, 10, NULL));
    CHECK_STATUS(ap_ledger_close(l, 1), AP_ERR_ACCOUNT_NOT_EMPTY);
    CHECK(balance_of(l, 1) == 10);
    CHECK_STATUS(ap_ledger_close(l, 9), AP_ERR_UNKNOWN_ACCOUNT);
    CHECK_OK(ap_ledger_close(l, 2));
    CHECK_U64(len_of(l), 1);
    int64_t b = SENTINEL;
    CHECK_STATUS(ap_ledger_balance(l, 2, &b), AP_ERR_ACCOUNT_CLOSED);
    CHECK_STATUS(ap_ledger_deposit(l, 2, 1, &b), AP_ERR_ACCOUNT_CLOSED);
    CHECK_STATUS(ap_ledger_withdraw(l, 2, 1, &b), AP_ERR_ACCOUNT_CLOSED);
    CHECK(b == SENTINEL);
    CHECK_STATUS(ap_ledger_transfer(l, 1, 2, 1), AP_ERR_ACCOUNT_CLOSED);
    CHECK_STATUS(ap_ledger_transfer(l, 2, 1, 1), AP_ERR_ACCOUNT_CLOSED);
    CHECK_STATUS(ap_ledger_open(l, 2, false), AP_ERR_ACCOUNT_CLOSED);
    CHECK_STATUS(ap_ledger_open_hot(l, 2, false), AP_ERR_ACCOUNT_CLOSED);
    CHECK_STATUS(ap_ledger_close(l, 2), AP_ERR_ACCOUNT_CLOSED);
    CHECK(balance_of(l, 1) == 10);
    CHECK_STATUS(ap_ledger_reopen(l, 1), AP_ERR_ACCOUNT_EXISTS);
    CHECK_STATUS(ap_ledger_reopen(l, 9), AP_ERR_UNKNOWN_ACCOUNT);
    CHECK_OK(ap_ledger_reopen(l, 2));
    CHECK_OK(ap_ledger_transfer(l, 1, 2, 4));
    CHECK(balance_of(l, 2) == 4 && total_of(l) == 10);
    CHECK_U64(len_of(l), 2);
    CHECK_STATUS(ap_ledger_close(NULL, 1), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_ledger_reopen(NULL, 1), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_ledger_open_hot(NULL, 1, false), AP_ERR_NULL_HANDLE);
    ap_ledger_free(l);
}

static void test_hot(void) {
    ap_ledger *l = NULL;
    REQUIRE_OK(ap_ledger_new(&l));
    CHECK_OK(ap_ledger_open(l, 1, false));
    CHECK_OK(ap_ledger_deposit(l, 1, 100, NULL));
    CHECK_OK(ap_ledger_open_hot(l, 7, false));
    CHECK_STATUS(ap_ledger_open_hot(l, 7, false), AP_ERR_ACCOUNT_EXISTS);
    CHECK_STATUS(ap_ledger_open(l, 7, false), AP_ERR_ACCOUNT_EXISTS);
    for (int i = 0; i < 10; i++) CHECK_OK(ap_ledger_transfer(l, 1, 7, 3));
    CHECK(balance_of(l, 7) == 30);
    int64_t b = SENTINEL;
    CHECK_OK(ap_ledger_withdraw(l, 7, 25, &b));
    CHECK(b == 5);
    CHECK_STATUS(ap_ledger_transfer(l, 7, 1, 6), AP_ERR_INSUFFICIENT_FUNDS);
    CHECK_STATUS(ap_ledger_close(l, 7), AP_ERR_ACCOUNT_NOT_EMPTY);
    CHECK_OK(ap_ledger_transfer(l, 7, 1, 5));
    CHECK_OK(ap_ledger_close(l, 7));
    CHECK_STATUS(ap_ledger_transfer(l, 1, 7, 1), AP_ERR_ACCOUNT_CLOSED);
    CHECK_OK(ap_ledger_open_hot(l, 8, true));
    CHECK_OK(ap_ledger_withdraw(l, 8, 9, &b));
    CHECK(b == -9 && total_of(l) == 66);
    ap_ledger_free(l);
}

static void test_transfer_many(void) {
    ap_ledger *l = NULL;
    REQUIRE_OK(ap_ledger_new(&l));
    CHECK_OK(ap_ledger_open(l, 1, false));
    CHECK_OK(ap_ledger_open(l, 2, false));
    CHECK_OK(ap_ledger_open(l, 3, false));
    CHECK_OK(ap_ledger_deposit(l, 1, 100, NULL));
    CHECK_OK(ap_ledger_close(l, 3));
    const ap_transfer batch[] = {
        {1, 2, 30}, {2, 1, 1000}, {1, 9, 1}, {1, 1, 1}, {1, 2, 0}, {1, 3, 1}, {2, 1, 5},
        {2, 1, -5},
    };
    enum { N = sizeof batch / sizeof batch[0] };
    const ap_status want[N] = {AP_OK, AP_ERR_INSUFFICIENT_FUNDS, AP_ERR_UNKNOWN_ACCOUNT,
                               AP_ERR_SAME_ACCOUNT, AP_ERR_INVALID_AMOUNT, AP_ERR_ACCOUNT_CLOSED,
                               AP_OK, AP_ERR_INVALID_AMOUNT};
    ap_status results[N];
    for (int i = 0; i < N; i++) results[i] = (ap_status)-1;
    size_t failed = SENTINEL_LEN;
    CHECK_OK(ap_ledger_transfer_many(l, batch, N, results, &failed));
    for (int i = 0; i < N; i++) CHECK_STATUS(results[i], want[i]);
    CHECK_U64(failed, 6);
    CHECK(balance_of(l, 1) == 75 && balance_of(l, 2) == 25 && total_of(l) == 100);
    /* failed may be NULL. */
    CHECK_OK(ap_ledger_transfer_many(l, batch, 1, results, NULL));
    CHECK_STATUS(results[0], AP_OK);
    /* An empty batch: NULL arrays are fine, failed is 0. */
    failed = SENTINEL_LEN;
    CHECK_OK(ap_ledger_transfer_many(l, NULL, 0, NULL, &failed));
    CHECK_U64(failed, 0);
    /* NULL arrays with n > 0 and a NULL handle change nothing. */
    int64_t b1 = balance_of(l, 1), b2 = balance_of(l, 2);
    results[0] = (ap_status)-1;
    CHECK_STATUS(ap_ledger_transfer_many(l, NULL, 1, results, &failed), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_ledger_transfer_many(l, batch, 1, NULL, &failed), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_ledger_transfer_many(NULL, batch, 1, results, &failed), AP_ERR_NULL_HANDLE);
    CHECK(results[0] == (ap_status)-1);
    CHECK(balance_of(l, 1) == b1 && balance_of(l, 2) == b2);
    ap_ledger_free(l);
}

/* 8 threads x 200,000 transfers (the suite runs under ASan: 1,000,000 each would take long):
 * even threads in batches of 1,000 through ap_ledger_transfer_many, odd ones one call each;
 * opposite directions between accounts 1 and 2, amounts no safe account holds, a hot account
 * credited and debited, and each thread opening, funding, draining and closing accounts of its
 * own meanwhile (reopening them on later rounds). The total is exact afterwards. */
enum { BATCH_THREADS = 8, BATCH_TRANSFERS = 200000, BATCH = 1000, HOT = 100 };

struct batch_worker {
    ap_ledger *l;
    pthread_barrier_t *start;
    int id;
    uint64_t rng;
    uint64_t ok, refused;
};

static void *batch_worker_main(void *arg) {
    struct batch_worker *w = arg;
    ap_ledger *l = w->l;
    static _Thread_local ap_transfer batch[BATCH];
    static _Thread_local ap_status results[BATCH];
    pthread_barrier_wait(w->start);
    for (int round = 0; round * BATCH < BATCH_TRANSFERS; round++) {
        for (int i = 0; i < BATCH; i++) {
            uint64_t r = next_rand(&w->rng);
            ap_transfer t = {0, 0, (int64_t)(r % 300) + 1};
            if (i % 4 == 0) {
                t.from = (uint64_t)(1 + w->id % 2);
                t.to = (uint64_t)(2 - w->id % 2);
            } else if (i % 10 == 1) {
                t.from = 1 + (r >> 40) % ACCOUNTS;
                t.to = HOT;
            } else if (i % 10 == 3) {
                t.from = HOT;
                t.to = 1 + (r >> 40) % ACCOUNTS;
            } else {
                t.from = 1 + (r >> 40) % ACCOUNTS;
                t.to = 1 + (t.from + (r >> 48) % (ACCOUNTS - 1)) % ACCOUNTS;
            }
            if (i % 10 == 5 && is_safe(t.from)) t.amount = INT64_C(1) << 40;
            batch[i] = t;
        }
        if (w->id % 2 == 0) {
            size_t failed = SENTINEL_LEN;
            CHECK_OK(ap_ledger_transfer_many(l, batch, BATCH, results, &failed));
            size_t counted = 0;
            for (int i = 0; i < BATCH; i++) {
                if (results[i] == AP_OK) {
                    w->ok++;
                } else {
                    CHECK_STATUS(results[i], AP_ERR_INSUFFICIENT_FUNDS);
                    CHECK(is_safe(batch[i].from) || batch[i].from == HOT);
                    w->refused++;
                    counted++;
                }
            }
            CHECK_U64(failed, counted);
        } else {
            for (int i = 0; i < BATCH; i++) {
                ap_status st = ap_ledger_transfer(l, batch[i].from, batch[i].to, batch[i].amount);
                if (st == AP_OK) {
                    w->ok++;
                } else {
                    CHECK_STATUS(st, AP_ERR_INSUFFICIENT_FUNDS);
                    w->refused++;
                }
            }
        }
        /* An account of this thread's own: open (or reopen), fund, drain, close. */
        uint64_t own = 1000 + (uint64_t)w->id * 10 + (uint64_t)(round % 3);
        ap_status st = ap_ledger_open(l, own, false);
        if (st == AP_ERR_ACCOUNT_CLOSED) st = ap_ledger_reopen(l, own);
        CHECK_OK(st);
        uint64_t src = (uint64_t)(SAFE + 1 + w->id % (ACCOUNTS - SAFE)); /* overdraft: never refuses */
        CHECK_OK(ap_ledger_transfer(l, src, own, 50));
        CHECK_STATUS(ap_ledger_close(l, own), AP_ERR_ACCOUNT_NOT_EMPTY);
        CHECK_OK(ap_ledger_transfer(l, own, src, 50));
        CHECK_OK(ap_ledger_close(l, own));
    }
    return NULL;
}

static void test_threads_batches_opens_and_closes(void) {
    ap_ledger *l = NULL;
    REQUIRE_OK(ap_ledger_new(&l));
    for (uint64_t id = 1; id <= ACCOUNTS; id++) {
        REQUIRE_OK(ap_ledger_open(l, id, !is_safe(id)));
        REQUIRE_OK(ap_ledger_deposit(l, id, START, NULL));
    }
    REQUIRE_OK(ap_ledger_open_hot(l, HOT, false));
    const int64_t initial = (int64_t)ACCOUNTS * START;
    pthread_barrier_t start;
    REQUIRE(pthread_barrier_init(&start, NULL, BATCH_THREADS) == 0);
    struct batch_worker w[BATCH_THREADS];
    pthread_t tid[BATCH_THREADS];
    for (int i = 0; i < BATCH_THREADS; i++) {
        w[i] = (struct batch_worker){l, &start, i, 0xD1B54A32D192ED03ull * (uint64_t)(i + 1), 0, 0};
        REQUIRE(pthread_create(&tid[i], NULL, batch_worker_main, &w[i]) == 0);
    }
    for (int i = 0; i < BATCH_THREADS; i++) REQUIRE(pthread_join(tid[i], NULL) == 0);
    pthread_barrier_destroy(&start);
    uint64_t ok = 0, refused = 0;
    for (int i = 0; i < BATCH_THREADS; i++) {
        ok += w[i].ok;
        refused += w[i].refused;
    }
    CHECK_U64(ok + refused, (uint64_t)BATCH_THREADS * BATCH_TRANSFERS);
    CHECK(ok > 0 && refused > 0);
    int64_t sum = balance_of(l, HOT);
    CHECK(sum >= 0);
    for (uint64_t id = 1; id <= ACCOUNTS; id++) {
        int64_t b = balance_of(l, id);
        if (is_safe(id)) CHECK(b >= 0);
        sum += b;
    }
    CHECK(sum == initial);
    CHECK(total_of(l) == initial);
    CHECK_U64(len_of(l), ACCOUNTS + 1);
    ap_ledger_free(l);
}

int main(void) {
    test_basic();
    test_errors();
    test_refcount();
    test_threads();
    test_close_and_reopen();
    test_hot();
    test_transfer_many();
    test_threads_batches_opens_and_closes();
    return check_done();
}
