/* ap_once_map_* and ap_once_ticket_*: every function, every documented error (NULL handle, NULL
 * out, NULL key/value with a length vs. a length of 0, NULL ticket, buffer too small with the
 * needed length and nothing lost, a timeout while another caller holds the ticket), tickets
 * completed and abandoned (also on error), get/remove/len, reference counting, a ticket outliving
 * its map, and threads: 16 claimers of one key get exactly one ticket and all receive its value;
 * an abandoned ticket passes to exactly one other waiter. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "check.h"

#define S(str) (const uint8_t *)(str), strlen(str)
#define SENTINEL_LEN ((size_t)0xDEADBEEF)
#define BAD_MAP ((ap_once_map *)(uintptr_t)0x5EED)
#define BAD_TICKET ((ap_once_ticket *)(uintptr_t)0x5EED)
#define BAD_BYTES ((const uint8_t *)(uintptr_t)0x5EED)
#define FOREVER UINT64_MAX
/* A bound on waits that should not wait at all: a bug shows as a failure, not a hang. */
#define NO_WAIT_NS UINT64_C(10000000000)

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static size_t len_of(const ap_once_map *m) {
    size_t n = SENTINEL_LEN;
    CHECK_OK(ap_once_map_len(m, &n));
    return n;
}

/* Claims `key`, which must be uninitialised and free: returns the ticket. */
static ap_once_ticket *claim_ticket_(const ap_once_map *m, const uint8_t *key, size_t key_len,
                                     const char *file, int line) {
    uint8_t buf[64];
    size_t len = SENTINEL_LEN;
    ap_once_ticket *t = BAD_TICKET;
    ap_status st = ap_once_map_claim(m, key, key_len, NO_WAIT_NS, buf, sizeof buf, &len, &t);
    if (st != AP_OK || t == NULL || t == BAD_TICKET || len != 0) {
        fprintf(stderr, "%s:%d: FAILED: claim of \"%.*s\" hands out a ticket\n", file, line,
                (int)key_len, (const char *)key);
        fprintf(stderr, "    got status %d (%s), ticket %p, len %zu\n", (int)st,
                ap_status_str(st), (void *)t, len);
        atomic_fetch_add(&check_failures_, 1);
        return NULL;
    }
    atomic_fetch_add(&check_passes_, 1);
    return t;
}
#define CLAIM_TICKET(m, key) claim_ticket_((m), S(key), __FILE__, __LINE__)

/* Claims `key`, which must be initialised to `want`: the value, no ticket. */
static void check_claim_value_(const ap_once_map *m, const uint8_t *key, size_t key_len,
                               const char *want, const char *file, int line) {
    uint8_t buf[64];
    size_t len = SENTINEL_LEN;
    ap_once_ticket *t = BAD_TICKET;
    ap_status st = ap_once_map_claim(m, key, key_len, NO_WAIT_NS, buf, sizeof buf, &len, &t);
    size_t wlen = strlen(want);
    if (st != AP_OK || t != NULL || len != wlen || memcmp(buf, want, wlen) != 0) {
        fprintf(stderr, "%s:%d: FAILED: claim of \"%.*s\" returns \"%s\"\n", file, line,
                (int)key_len, (const char *)key, want);
        fprintf(stderr, "    got status %d (%s), ticket %p, len %zu\n", (int)st,
                ap_status_str(st), (void *)t, len);
        atomic_fetch_add(&check_failures_, 1);
        if (st == AP_OK && t != NULL && t != BAD_TICKET) ap_once_ticket_abandon(t);
        return;
    }
    atomic_fetch_add(&check_passes_, 1);
}
#define CHECK_CLAIM_VALUE(m, key, want) \
    check_claim_value_((m), S(key), (want), __FILE__, __LINE__)

/* get: `want` (found) or NULL (not found). */
static void check_get_(const ap_once_map *m, const uint8_t *key, size_t key_len, const char *want,
                       const char *file, int line) {
    uint8_t buf[64];
    size_t len = SENTINEL_LEN;
    bool found = !want;
    ap_status st = ap_once_map_get(m, key, key_len, buf, sizeof buf, &len, &found);
    int ok = st == AP_OK && found == (want != NULL) &&
             (!want || (len == strlen(want) && memcmp(buf, want, len) == 0));
    if (!ok) {
        fprintf(stderr, "%s:%d: FAILED: get of \"%.*s\" is %s%s%s\n", file, line, (int)key_len,
                (const char *)key, want ? "\"" : "", want ? want : "not found", want ? "\"" : "");
        fprintf(stderr, "    got status %d (%s), found %d, len %zu\n", (int)st, ap_status_str(st),
                (int)found, len);
        atomic_fetch_add(&check_failures_, 1);
        return;
    }
    atomic_fetch_add(&check_passes_, 1);
}
#define CHECK_GET(m, key, want) check_get_((m), S(key), (want), __FILE__, __LINE__)

static void test_claim_complete(void) {
    ap_once_map *m = NULL;
    REQUIRE_OK(ap_once_map_new(&m));
    REQUIRE(m != NULL);
    CHECK_U64(len_of(m), 0);
    CHECK_GET(m, "client", NULL);

    /* First claim: a ticket and *len 0. While it is held the key is not initialised. */
    ap_once_ticket *t = CLAIM_TICKET(m, "client");
    REQUIRE(t != NULL);
    CHECK_GET(m, "client", NULL);
    CHECK_U64(len_of(m), 0);
    /* Other keys are independent: claimable at once, even with a timeout of 0. */
    uint8_t buf[64];
    size_t len = SENTINEL_LEN;
    ap_once_ticket *t2 = BAD_TICKET;
    CHECK_OK(ap_once_map_claim(m, S("other"), 0, buf, sizeof buf, &len, &t2));
    CHECK(t2 != NULL && t2 != BAD_TICKET);
    CHECK_U64(len, 0);
    CHECK_OK(ap_once_ticket_complete(t2, S("other-value")));

    CHECK_OK(ap_once_ticket_complete(t, S("connected")));
    CHECK_GET(m, "client", "connected");
    CHECK_CLAIM_VALUE(m, "client", "connected");
    CHECK_U64(len_of(m), 2);
    /* Claims after initialisation never wait: a timeout of 0 still gets the value. */
    len = SENTINEL_LEN;
    t = BAD_TICKET;
    CHECK_OK(ap_once_map_claim(m, S("client"), 0, buf, sizeof buf, &len, &t));
    CHECK(t == NULL);
    CHECK_U64(len, 9);
    CHECK(memcmp(buf, "connected", 9) == 0);
    len = SENTINEL_LEN;
    t = BAD_TICKET;
    CHECK_OK(ap_once_map_claim(m, S("other"), FOREVER, buf, sizeof buf, &len, &t));
    CHECK(t == NULL);
    CHECK_U64(len, 11);

    /* An empty value is a value: found, length 0, no ticket; no buffer needed. */
    t = CLAIM_TICKET(m, "empty");
    REQUIRE(t != NULL);
    CHECK_OK(ap_once_ticket_complete(t, NULL, 0));
    CHECK_GET(m, "empty", "");
    len = SENTINEL_LEN;
    t = BAD_TICKET;
    CHECK_OK(ap_once_map_claim(m, S("empty"), FOREVER, NULL, 0, &len, &t));
    CHECK(t == NULL);
    CHECK_U64(len, 0);
    bool found = false;
    len = SENTINEL_LEN;
    CHECK_OK(ap_once_map_get(m, S("empty"), NULL, 0, &len, &found));
    CHECK(found);
    CHECK_U64(len, 0);
    t = CLAIM_TICKET(m, "empty2");
    REQUIRE(t != NULL);
    CHECK_OK(ap_once_ticket_complete(t, BAD_BYTES, 0));
    CHECK_GET(m, "empty2", "");

    /* The empty key: (NULL, 0) and ("", 0) are one key. */
    len = SENTINEL_LEN;
    t = BAD_TICKET;
    CHECK_OK(ap_once_map_claim(m, NULL, 0, FOREVER, buf, sizeof buf, &len, &t));
    REQUIRE(t != NULL && t != BAD_TICKET);
    CHECK_OK(ap_once_ticket_complete(t, S("for-empty-key")));
    CHECK_CLAIM_VALUE(m, "", "for-empty-key");
    check_get_(m, NULL, 0, "for-empty-key", __FILE__, __LINE__);
    check_get_(m, BAD_BYTES, 0, "for-empty-key", __FILE__, __LINE__);
    /* Embedded NULs: "k\0a" and "k\0b" are two keys, and not "k". */
    const uint8_t ka[] = {'k', 0, 'a'}, kb[] = {'k', 0, 'b'};
    len = SENTINEL_LEN;
    t = NULL;
    CHECK_OK(ap_once_map_claim(m, ka, sizeof ka, FOREVER, buf, sizeof buf, &len, &t));
    REQUIRE(t != NULL);
    CHECK_OK(ap_once_ticket_complete(t, S("A")));
    t = NULL;
    CHECK_OK(ap_once_map_claim(m, kb, sizeof kb, FOREVER, buf, sizeof buf, &len, &t));
    REQUIRE(t != NULL);
    CHECK_OK(ap_once_ticket_complete(t, S("B")));
    check_get_(m, ka, sizeof ka, "A", __FILE__, __LINE__);
    check_get_(m, kb, sizeof kb, "B", __FILE__, __LINE__);
    CHECK_GET(m, "k", NULL);
    CHECK_U64(len_of(m), 7);
    ap_once_map_free(m);
}

static void test_abandon_and_remove(void) {
    ap_once_map *m = NULL;
    REQUIRE_OK(ap_once_map_new(&m));

    /* Abandoned: nothing is cached, the next claim gets a ticket; len does not count it. */
    ap_once_ticket *t = CLAIM_TICKET(m, "flaky");
    REQUIRE(t != NULL);
    ap_once_ticket_abandon(t);
    CHECK_GET(m, "flaky", NULL);
    CHECK_U64(len_of(m), 0);
    t = CLAIM_TICKET(m, "flaky");
    REQUIRE(t != NULL);
    ap_once_ticket_abandon(t);
    t = CLAIM_TICKET(m, "flaky");
    REQUIRE(t != NULL);
    CHECK_OK(ap_once_ticket_complete(t, S("third time")));
    CHECK_CLAIM_VALUE(m, "flaky", "third time");
    CHECK_U64(len_of(m), 1);
    ap_once_ticket_abandon(NULL); /* no-op */

    /* complete with a NULL value and a length: AP_ERR_NULL_POINTER, the ticket is freed and
     * abandoned: not initialised, and the next claim gets the ticket (it does not time out). */
    t = CLAIM_TICKET(m, "bad-complete");
    REQUIRE(t != NULL);
    CHECK_STATUS(ap_once_ticket_complete(t, NULL, 5), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_once_ticket_complete") != NULL);
    CHECK_GET(m, "bad-complete", NULL);
    t = CLAIM_TICKET(m, "bad-complete");
    REQUIRE(t != NULL);
    CHECK_OK(ap_once_ticket_complete(t, S("good")));
    CHECK_GET(m, "bad-complete", "good");

    /* NULL ticket. */
    CHECK_STATUS(ap_once_ticket_complete(NULL, S("x")), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_once_ticket_complete") != NULL);
    CHECK_STATUS(ap_once_ticket_complete(NULL, NULL, 0), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_once_ticket_complete(NULL, NULL, 5), AP_ERR_NULL_HANDLE);

    /* remove: *removed says whether it had a value; a later claim initialises it again. */
    CHECK_U64(len_of(m), 2);
    bool removed = false;
    CHECK_OK(ap_once_map_remove(m, S("flaky"), &removed));
    CHECK(removed);
    CHECK_GET(m, "flaky", NULL);
    CHECK_U64(len_of(m), 1);
    removed = true;
    CHECK_OK(ap_once_map_remove(m, S("flaky"), &removed));
    CHECK(!removed);
    CHECK_OK(ap_once_map_remove(m, S("never"), NULL)); /* *removed is optional */
    CHECK_OK(ap_once_map_remove(m, S("bad-complete"), NULL));
    CHECK_U64(len_of(m), 0);
    t = CLAIM_TICKET(m, "flaky");
    REQUIRE(t != NULL);
    CHECK_OK(ap_once_ticket_complete(t, S("fourth")));
    CHECK_CLAIM_VALUE(m, "flaky", "fourth");
    /* A key being initialised has no value to remove. */
    t = CLAIM_TICKET(m, "pending");
    REQUIRE(t != NULL);
    removed = true;
    CHECK_OK(ap_once_map_remove(m, S("pending"), &removed));
    CHECK(!removed);
    ap_once_ticket_abandon(t);
    ap_once_map_free(m);
}

static void test_buffers(void) {
    ap_once_map *m = NULL;
    REQUIRE_OK(ap_once_map_new(&m));
    ap_once_ticket *t = CLAIM_TICKET(m, "k");
    REQUIRE(t != NULL);
    CHECK_OK(ap_once_ticket_complete(t, S("0123456789")));

    uint8_t buf[16];
    for (size_t cap = 0; cap < 10; cap++) {
        /* claim */
        memset(buf, 0xAA, sizeof buf);
        size_t len = SENTINEL_LEN;
        t = BAD_TICKET;
        CHECK_STATUS(ap_once_map_claim(m, S("k"), FOREVER, buf, cap, &len, &t),
                     AP_ERR_BUFFER_TOO_SMALL);
        CHECK_U64(len, 10);
        CHECK(t == NULL || t == BAD_TICKET); /* never a ticket for an initialised key */
        CHECK(strstr(ap_last_error(), "ap_once_map_claim") != NULL);
        /* get */
        size_t len2 = SENTINEL_LEN;
        bool found = false;
        CHECK_STATUS(ap_once_map_get(m, S("k"), buf, cap, &len2, &found), AP_ERR_BUFFER_TOO_SMALL);
        CHECK_U64(len2, 10);
        CHECK(strstr(ap_last_error(), "ap_once_map_get") != NULL);
        for (size_t i = 0; i < sizeof buf; i++) {
            if (buf[i] != 0xAA) {
                CHECK(!"a buffer that was too small was written");
                break;
            }
        }
    }
    /* The size query, then nothing lost: the exact length works. */
    size_t len = SENTINEL_LEN;
    t = BAD_TICKET;
    CHECK_STATUS(ap_once_map_claim(m, S("k"), FOREVER, NULL, 0, &len, &t),
                 AP_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(len, 10);
    bool found = false;
    len = SENTINEL_LEN;
    CHECK_STATUS(ap_once_map_get(m, S("k"), NULL, 0, &len, &found), AP_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(len, 10);
    uint8_t exact[10];
    len = SENTINEL_LEN;
    t = BAD_TICKET;
    CHECK_OK(ap_once_map_claim(m, S("k"), FOREVER, exact, sizeof exact, &len, &t));
    CHECK(t == NULL);
    CHECK_U64(len, 10);
    CHECK(memcmp(exact, "0123456789", 10) == 0);
    len = SENTINEL_LEN;
    found = false;
    memset(exact, 0, sizeof exact);
    CHECK_OK(ap_once_map_get(m, S("k"), exact, sizeof exact, &len, &found));
    CHECK(found);
    CHECK_U64(len, 10);
    CHECK(memcmp(exact, "0123456789", 10) == 0);
    CHECK_U64(len_of(m), 1);

    /* A NULL buffer that claims room for a non-empty value. */
    len = SENTINEL_LEN;
    t = BAD_TICKET;
    CHECK_STATUS(ap_once_map_claim(m, S("k"), FOREVER, NULL, 64, &len, &t), AP_ERR_NULL_POINTER);
    CHECK(t == NULL || t == BAD_TICKET);
    CHECK_STATUS(ap_once_map_get(m, S("k"), NULL, 64, &len, &found), AP_ERR_NULL_POINTER);
    CHECK_GET(m, "k", "0123456789");
    /* An uninitialised key needs no buffer for its ticket, nor for a get that finds nothing. */
    len = SENTINEL_LEN;
    t = NULL;
    CHECK_OK(ap_once_map_claim(m, S("fresh"), FOREVER, NULL, 0, &len, &t));
    CHECK(t != NULL);
    CHECK_U64(len, 0);
    ap_once_ticket_abandon(t);
    found = true;
    CHECK_OK(ap_once_map_get(m, S("fresh"), NULL, 0, &len, &found));
    CHECK(!found);
    ap_once_map_free(m);
}

static void test_null_arguments(void) {
    uint8_t buf[16];
    size_t len = SENTINEL_LEN;
    bool flag = true;
    ap_once_ticket *t = BAD_TICKET;

    CHECK_STATUS(ap_once_map_new(NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_once_map_new") != NULL);

    /* NULL handle: every function, out-values untouched, reported before a NULL out. */
    CHECK_STATUS(ap_once_map_claim(NULL, S("k"), FOREVER, buf, sizeof buf, &len, &t),
                 AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_once_map_claim") != NULL);
    CHECK_STATUS(ap_once_map_claim(NULL, NULL, 3, 0, NULL, 0, NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_once_map_get(NULL, S("k"), buf, sizeof buf, &len, &flag), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_once_map_get") != NULL);
    CHECK_STATUS(ap_once_map_get(NULL, NULL, 3, NULL, 0, NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_once_map_remove(NULL, S("k"), &flag), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_once_map_remove") != NULL);
    CHECK_STATUS(ap_once_map_remove(NULL, NULL, 3, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_once_map_len(NULL, &len), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_once_map_len") != NULL);
    CHECK_STATUS(ap_once_map_len(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_U64(len, SENTINEL_LEN);
    CHECK(flag);
    CHECK(t == BAD_TICKET);

    ap_once_map *m = NULL;
    REQUIRE_OK(ap_once_map_new(&m));
    ap_once_ticket *held = CLAIM_TICKET(m, "v");
    REQUIRE(held != NULL);
    CHECK_OK(ap_once_ticket_complete(held, S("value")));

    /* NULL out-pointers: AP_ERR_NULL_POINTER, no ticket handed out (the key stays claimable). */
    t = BAD_TICKET;
    CHECK_STATUS(ap_once_map_claim(m, S("k"), FOREVER, buf, sizeof buf, NULL, &t),
                 AP_ERR_NULL_POINTER);
    CHECK(t == BAD_TICKET);
    CHECK(strstr(ap_last_error(), "ap_once_map_claim") != NULL);
    len = SENTINEL_LEN;
    CHECK_STATUS(ap_once_map_claim(m, S("k"), FOREVER, buf, sizeof buf, &len, NULL),
                 AP_ERR_NULL_POINTER);
    CHECK_U64(len, SENTINEL_LEN);
    CHECK_STATUS(ap_once_map_claim(m, S("v"), FOREVER, buf, sizeof buf, &len, NULL),
                 AP_ERR_NULL_POINTER);
    CHECK_U64(len, SENTINEL_LEN);
    t = CLAIM_TICKET(m, "k"); /* nobody holds "k": claimable without waiting */
    REQUIRE(t != NULL);
    ap_once_ticket_abandon(t);
    flag = true;
    CHECK_STATUS(ap_once_map_get(m, S("v"), buf, sizeof buf, NULL, &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_once_map_get") != NULL);
    CHECK_STATUS(ap_once_map_get(m, S("v"), buf, sizeof buf, &len, NULL), AP_ERR_NULL_POINTER);
    CHECK_U64(len, SENTINEL_LEN);
    CHECK_STATUS(ap_once_map_len(m, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_once_map_len") != NULL);

    /* NULL key with a length: AP_ERR_NULL_POINTER, out-values untouched, no ticket. */
    t = BAD_TICKET;
    len = SENTINEL_LEN;
    CHECK_STATUS(ap_once_map_claim(m, NULL, 1, FOREVER, buf, sizeof buf, &len, &t),
                 AP_ERR_NULL_POINTER);
    CHECK(t == BAD_TICKET);
    CHECK_U64(len, SENTINEL_LEN);
    CHECK(strstr(ap_last_error(), "ap_once_map_claim") != NULL);
    flag = true;
    CHECK_STATUS(ap_once_map_get(m, NULL, 1, buf, sizeof buf, &len, &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK_U64(len, SENTINEL_LEN);
    CHECK(strstr(ap_last_error(), "ap_once_map_get") != NULL);
    CHECK_STATUS(ap_once_map_remove(m, NULL, 1, &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_once_map_remove") != NULL);
    CHECK_GET(m, "v", "value");
    CHECK_U64(len_of(m), 1);
    ap_once_map_free(m);
}

static void test_refcount(void) {
    ap_once_map_free(NULL);
    CHECK(ap_once_map_clone(NULL) == NULL);
    ap_once_map *a = NULL;
    REQUIRE_OK(ap_once_map_new(&a));
    ap_once_map *b = ap_once_map_clone(a);
    REQUIRE(b != NULL);
    ap_once_ticket *t = CLAIM_TICKET(a, "k");
    REQUIRE(t != NULL);
    CHECK_OK(ap_once_ticket_complete(t, S("shared")));
    CHECK_CLAIM_VALUE(b, "k", "shared"); /* one map */
    ap_once_map_free(a);
    CHECK_GET(b, "k", "shared");
    CHECK_U64(len_of(b), 1);

    /* Outstanding tickets stay valid after the last handle is freed: complete one and abandon
     * another (LeakSanitizer checks that everything is released). */
    t = CLAIM_TICKET(b, "late");
    ap_once_ticket *t2 = CLAIM_TICKET(b, "later");
    REQUIRE(t != NULL && t2 != NULL);
    ap_once_map_free(b);
    CHECK_OK(ap_once_ticket_complete(t, S("after the map")));
    ap_once_ticket_abandon(t2);
}

/* A claim while another caller holds the ticket: waits, and with a timeout gives up with
 * AP_ERR_TIMEOUT (out-values untouched); the holder is not disturbed. */
static void test_timeout(void) {
    ap_once_map *m = NULL;
    REQUIRE_OK(ap_once_map_new(&m));
    ap_once_ticket *held = CLAIM_TICKET(m, "slow");
    REQUIRE(held != NULL);
    const uint64_t timeouts[] = {0, 1, 1000, 1000000, 20000000};
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        uint8_t buf[16];
        size_t len = SENTINEL_LEN;
        ap_once_ticket *t = BAD_TICKET;
        CHECK_STATUS(ap_once_map_claim(m, S("slow"), timeouts[i], buf, sizeof buf, &len, &t),
                     AP_ERR_TIMEOUT);
        CHECK(t == BAD_TICKET);
        CHECK_U64(len, SENTINEL_LEN);
        CHECK(strstr(ap_last_error(), "ap_once_map_claim") != NULL);
    }
    CHECK_GET(m, "slow", NULL);
    CHECK_OK(ap_once_ticket_complete(held, S("done")));
    CHECK_CLAIM_VALUE(m, "slow", "done");
    ap_once_map_free(m);
}

/* ---- 16 threads claiming one key ---- */

enum { CLAIMERS = 16, ROUNDS = 4 };

struct race {
    ap_once_map *m;
    char key[32];
    int abandon_first; /* the first ticket holder abandons; the next one completes */
    pthread_barrier_t start;
    atomic_int tickets;    /* tickets handed out */
    atomic_int completer;  /* id of the thread that completed */
    atomic_int timeouts;   /* AP_ERR_TIMEOUT seen by the timed claimer */
};

struct claimer {
    struct race *r;
    int id;
    int got_ticket;
    char value[64];
    size_t value_len;
};

static void *claimer_main(void *arg) {
    struct claimer *c = arg;
    struct race *r = c->r;
    ap_once_map *m = ap_once_map_clone(r->m);
    pthread_barrier_wait(&r->start);
    uint8_t buf[64];
    size_t len = SENTINEL_LEN;
    ap_once_ticket *t = BAD_TICKET;
    ap_status st = ap_once_map_claim(m, S(r->key), FOREVER, buf, sizeof buf, &len, &t);
    CHECK_STATUS(st, AP_OK);
    if (st == AP_OK && t != NULL && t != BAD_TICKET) {
        int nth = atomic_fetch_add(&r->tickets, 1);
        c->got_ticket = 1;
        CHECK_U64(len, 0);
        /* Hold it a little so the others are waiting for it (not a timing assertion: they
         * must get the value however long this takes). */
        sleep_ms(20);
        if (r->abandon_first && nth == 0) {
            ap_once_ticket_abandon(t);
        } else {
            char v[64];
            snprintf(v, sizeof v, "made-by-%d", c->id);
            CHECK_OK(ap_once_ticket_complete(t, S(v)));
            atomic_store(&r->completer, c->id);
        }
    } else if (st == AP_OK) {
        CHECK(t == NULL);
        if (len <= sizeof buf) {
            memcpy(c->value, buf, len);
            c->value_len = len;
        }
    }
    ap_once_map_free(m);
    return NULL;
}

/* Once a ticket is out (and never abandoned), a claimer with a small timeout gets
 * AP_ERR_TIMEOUT (out-values untouched) until the value exists, then the value; never a ticket. */
static void *timed_claimer_main(void *arg) {
    struct race *r = arg;
    pthread_barrier_wait(&r->start);
    while (atomic_load(&r->tickets) == 0) {
        sleep_ms(1);
    }
    for (;;) {
        uint8_t buf[64];
        size_t len = SENTINEL_LEN;
        ap_once_ticket *t = BAD_TICKET;
        ap_status st = ap_once_map_claim(r->m, S(r->key), 1000000, buf, sizeof buf, &len, &t);
        if (st == AP_ERR_TIMEOUT) {
            CHECK(t == BAD_TICKET);
            atomic_fetch_add(&r->timeouts, 1);
            continue;
        }
        CHECK_STATUS(st, AP_OK);
        if (st == AP_OK && t != NULL && t != BAD_TICKET) {
            CHECK(!"the timed claimer got a ticket while the holder was completing");
            ap_once_ticket_abandon(t);
        }
        CHECK(st != AP_OK || t != NULL || (len == 9 && memcmp(buf, "made-by-", 8) == 0) ||
              (len == 10 && memcmp(buf, "made-by-", 8) == 0));
        break;
    }
    return NULL;
}

static void run_race(int abandon_first, int round) {
    struct race *r = calloc(1, sizeof *r);
    REQUIRE(r != NULL);
    REQUIRE_OK(ap_once_map_new(&r->m));
    snprintf(r->key, sizeof r->key, "hub-%d", round);
    r->abandon_first = abandon_first;
    atomic_init(&r->tickets, 0);
    atomic_init(&r->completer, -1);
    atomic_init(&r->timeouts, 0);
    /* The timed claimer joins the rounds without an abandon (with one, it would be one more
     * waiter that could receive the abandoned ticket). */
    int timed_claimer = !abandon_first;
    REQUIRE(pthread_barrier_init(&r->start, NULL, CLAIMERS + timed_claimer) == 0);
    struct claimer c[CLAIMERS];
    pthread_t tid[CLAIMERS], timed;
    for (int i = 0; i < CLAIMERS; i++) {
        c[i] = (struct claimer){r, i, 0, {0}, SENTINEL_LEN};
        REQUIRE(pthread_create(&tid[i], NULL, claimer_main, &c[i]) == 0);
    }
    if (timed_claimer) REQUIRE(pthread_create(&timed, NULL, timed_claimer_main, r) == 0);
    for (int i = 0; i < CLAIMERS; i++) REQUIRE(pthread_join(tid[i], NULL) == 0);
    if (timed_claimer) REQUIRE(pthread_join(timed, NULL) == 0);
    pthread_barrier_destroy(&r->start);

    /* Exactly one ticket, or with an abandon exactly one more (handed to one other waiter). */
    int tickets = atomic_load(&r->tickets);
    CHECK_U64(tickets, abandon_first ? 2 : 1);
    int completer = atomic_load(&r->completer);
    CHECK(completer >= 0 && completer < CLAIMERS);
    char want[64];
    snprintf(want, sizeof want, "made-by-%d", completer);
    int holders = 0;
    for (int i = 0; i < CLAIMERS; i++) {
        if (c[i].got_ticket) {
            holders++;
            continue;
        }
        /* Everyone else received the completed value. */
        if (c[i].value_len != strlen(want) || memcmp(c[i].value, want, c[i].value_len) != 0) {
            fprintf(stderr, "claimer %d got \"%.*s\", want \"%s\"\n", i,
                    c[i].value_len <= 64 ? (int)c[i].value_len : 0, c[i].value, want);
            CHECK(!"a claimer did not receive the completed value");
        }
    }
    CHECK_U64(holders, tickets);
    CHECK_GET(r->m, r->key, want);
    CHECK_U64(len_of(r->m), 1);
    ap_once_map_free(r->m);
    free(r);
}

static void test_threads(void) {
    for (int round = 0; round < ROUNDS; round++) {
        run_race(0, round);
        run_race(1, round);
    }
}

int main(void) {
    test_claim_complete();
    test_abandon_and_remove();
    test_buffers();
    test_null_arguments();
    test_refcount();
    test_timeout();
    test_threads();
    return check_done();
}
