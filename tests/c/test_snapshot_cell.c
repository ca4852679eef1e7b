/* ap_snapshot_cell_*: every function, every documented error (NULL handle, NULL out, NULL value
 * with a length vs. a length of 0), revisions (0 at creation, +1 per store), load into caller
 * buffers (too small: the needed length, nothing lost), compare-and-store (a mismatch returns
 * the current revision and stores nothing), the update times, reference counting, and writers
 * racing compare-and-stores under readers that never see a revision go backwards nor a value
 * that was not stored under the revision it came with. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "check.h"

#define S(str) (const uint8_t *)(str), strlen(str)
#define SENTINEL UINT64_C(0xDEADBEEFCAFE)
#define SENTINEL_LEN ((size_t)0xDEADBEEF)
#define BAD_CELL ((ap_snapshot_cell *)(uintptr_t)0x5EED)
#define BAD_BYTES ((const uint8_t *)(uintptr_t)0x5EED)

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static uint64_t wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t revision_of(const ap_snapshot_cell *c) {
    uint64_t r = SENTINEL;
    CHECK_OK(ap_snapshot_cell_revision(c, &r));
    return r;
}

static uint64_t age_of(const ap_snapshot_cell *c) {
    uint64_t a = SENTINEL;
    CHECK_OK(ap_snapshot_cell_age_ns(c, &a));
    return a;
}

static uint64_t updated_of(const ap_snapshot_cell *c) {
    uint64_t u = SENTINEL;
    CHECK_OK(ap_snapshot_cell_last_updated_unix_ns(c, &u));
    return u;
}

/* The cell holds exactly `want` (want_len bytes) at revision `rev`. */
static void check_cell_(const ap_snapshot_cell *c, const void *want, size_t want_len, uint64_t rev,
                        const char *file, int line) {
    uint8_t buf[256];
    size_t len = SENTINEL_LEN;
    uint64_t r = SENTINEL;
    ap_status st = ap_snapshot_cell_load(c, buf, sizeof buf, &len, &r);
    if (st != AP_OK || len != want_len || memcmp(buf, want, want_len) != 0 || r != rev) {
        fprintf(stderr, "%s:%d: FAILED: cell holds \"%.*s\" at revision %" PRIu64 "\n", file, line,
                (int)want_len, (const char *)want, rev);
        fprintf(stderr, "    got status %d (%s), len %zu, revision %" PRIu64 ", bytes \"%.*s\"\n",
                (int)st, ap_status_str(st), len, r,
                (st == AP_OK && len <= sizeof buf) ? (int)len : 0, (const char *)buf);
        atomic_fetch_add(&check_failures_, 1);
        return;
    }
    atomic_fetch_add(&check_passes_, 1);
}
#define CHECK_CELL(c, want, rev) check_cell_((c), (want), strlen(want), (rev), __FILE__, __LINE__)

static void test_new(void) {
    ap_snapshot_cell *c = NULL;
    REQUIRE_OK(ap_snapshot_cell_new(S("hello"), &c));
    REQUIRE(c != NULL);
    CHECK_CELL(c, "hello", 0);
    CHECK_U64(revision_of(c), 0);
    ap_snapshot_cell_free(c);

    /* Empty initial values: (NULL, 0) and (non-NULL, 0). */
    c = NULL;
    REQUIRE_OK(ap_snapshot_cell_new(NULL, 0, &c));
    CHECK_CELL(c, "", 0);
    size_t len = SENTINEL_LEN;
    CHECK_OK(ap_snapshot_cell_load(c, NULL, 0, &len, NULL)); /* no buffer needed */
    CHECK_U64(len, 0);
    ap_snapshot_cell_free(c);
    c = NULL;
    REQUIRE_OK(ap_snapshot_cell_new(BAD_BYTES, 0, &c));
    CHECK_CELL(c, "", 0);
    ap_snapshot_cell_free(c);

    /* Embedded NULs are kept. */
    const uint8_t bin[] = {0, 1, 0, 2, 0};
    c = NULL;
    REQUIRE_OK(ap_snapshot_cell_new(bin, sizeof bin, &c));
    check_cell_(c, bin, sizeof bin, 0, __FILE__, __LINE__);
    ap_snapshot_cell_free(c);

    /* Errors: NULL out, NULL value with a length; out untouched. */
    CHECK_STATUS(ap_snapshot_cell_new(S("x"), NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_new") != NULL);
    CHECK_STATUS(ap_snapshot_cell_new(NULL, 0, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_snapshot_cell_new(NULL, 3, NULL), AP_ERR_NULL_POINTER);
    c = BAD_CELL;
    CHECK_STATUS(ap_snapshot_cell_new(NULL, 1, &c), AP_ERR_NULL_POINTER);
    CHECK(c == BAD_CELL);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_new") != NULL);
}

static void test_store_and_load(void) {
    ap_snapshot_cell *c = NULL;
    REQUIRE_OK(ap_snapshot_cell_new(S("v0"), &c));

    uint64_t rev = SENTINEL;
    CHECK_OK(ap_snapshot_cell_store(c, S("v1"), &rev));
    CHECK_U64(rev, 1);
    CHECK_CELL(c, "v1", 1);
    CHECK_OK(ap_snapshot_cell_store(c, S("version two"), NULL)); /* *revision is optional */
    CHECK_U64(revision_of(c), 2);
    CHECK_CELL(c, "version two", 2);
    rev = SENTINEL;
    CHECK_OK(ap_snapshot_cell_store(c, NULL, 0, &rev)); /* empty value */
    CHECK_U64(rev, 3);
    CHECK_CELL(c, "", 3);
    CHECK_OK(ap_snapshot_cell_store(c, BAD_BYTES, 0, &rev));
    CHECK_U64(rev, 4);
    CHECK_CELL(c, "", 4);
    /* The same value again is still a store: a new revision. */
    CHECK_OK(ap_snapshot_cell_store(c, S("same"), &rev));
    CHECK_OK(ap_snapshot_cell_store(c, S("same"), &rev));
    CHECK_U64(rev, 6);
    CHECK_CELL(c, "same", 6);

    /* load without the revision. */
    uint8_t buf[32];
    size_t len = SENTINEL_LEN;
    CHECK_OK(ap_snapshot_cell_load(c, buf, sizeof buf, &len, NULL));
    CHECK_U64(len, 4);
    CHECK(memcmp(buf, "same", 4) == 0);

    /* Buffer too small: the needed length, the buffer untouched, the value still there. */
    CHECK_OK(ap_snapshot_cell_store(c, S("0123456789"), &rev));
    CHECK_U64(rev, 7);
    for (size_t cap = 0; cap < 10; cap++) {
        memset(buf, 0xAA, sizeof buf);
        len = SENTINEL_LEN;
        CHECK_STATUS(ap_snapshot_cell_load(c, buf, cap, &len, NULL), AP_ERR_BUFFER_TOO_SMALL);
        CHECK_U64(len, 10);
        for (size_t i = 0; i < sizeof buf; i++) {
            if (buf[i] != 0xAA) {
                CHECK(!"ap_snapshot_cell_load wrote into a buffer that was too small");
                break;
            }
        }
        CHECK(strstr(ap_last_error(), "ap_snapshot_cell_load") != NULL);
    }
    uint64_t r = SENTINEL;
    len = SENTINEL_LEN;
    CHECK_STATUS(ap_snapshot_cell_load(c, NULL, 0, &len, &r), AP_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(len, 10);
    uint8_t exact[10];
    len = SENTINEL_LEN;
    r = SENTINEL;
    CHECK_OK(ap_snapshot_cell_load(c, exact, sizeof exact, &len, &r));
    CHECK_U64(len, 10);
    CHECK_U64(r, 7);
    CHECK(memcmp(exact, "0123456789", 10) == 0);
    CHECK_U64(revision_of(c), 7); /* loads do not store */

    /* A NULL buffer that claims room for a non-empty value. */
    len = SENTINEL_LEN;
    CHECK_STATUS(ap_snapshot_cell_load(c, NULL, 64, &len, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_load") != NULL);
    CHECK_CELL(c, "0123456789", 7);
    ap_snapshot_cell_free(c);
}

static void test_compare_and_store(void) {
    ap_snapshot_cell *c = NULL;
    REQUIRE_OK(ap_snapshot_cell_new(S("a"), &c));
    uint64_t rev = SENTINEL;
    CHECK_OK(ap_snapshot_cell_compare_and_store(c, 0, S("b"), &rev));
    CHECK_U64(rev, 1);
    CHECK_CELL(c, "b", 1);
    CHECK_OK(ap_snapshot_cell_compare_and_store(c, 1, S("c"), NULL)); /* optional */
    CHECK_CELL(c, "c", 2);
    uint64_t updated = updated_of(c);

    /* Stale, future and far-off expected revisions: AP_ERR_REVISION_MISMATCH, *revision gets
     * the current one, nothing was stored (value, revision and update time). */
    const uint64_t wrong[] = {0, 1, 3, 100, UINT64_MAX};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        rev = SENTINEL;
        CHECK_STATUS(ap_snapshot_cell_compare_and_store(c, wrong[i], S("lost"), &rev),
                     AP_ERR_REVISION_MISMATCH);
        CHECK_U64(rev, 2);
        CHECK(strstr(ap_last_error(), "ap_snapshot_cell_compare_and_store") != NULL);
        CHECK_STATUS(ap_snapshot_cell_compare_and_store(c, wrong[i], S("lost"), NULL),
                     AP_ERR_REVISION_MISMATCH);
    }
    CHECK_CELL(c, "c", 2);
    CHECK_U64(updated_of(c), updated);

    /* A plain store moves the revision: the old expected one then fails with the new one. */
    CHECK_OK(ap_snapshot_cell_store(c, S("d"), &rev));
    CHECK_U64(rev, 3);
    rev = SENTINEL;
    CHECK_STATUS(ap_snapshot_cell_compare_and_store(c, 2, S("e"), &rev), AP_ERR_REVISION_MISMATCH);
    CHECK_U64(rev, 3);
    CHECK_OK(ap_snapshot_cell_compare_and_store(c, rev, S("e"), &rev)); /* retry with it */
    CHECK_U64(rev, 4);
    CHECK_CELL(c, "e", 4);
    /* Empty values are values. */
    CHECK_OK(ap_snapshot_cell_compare_and_store(c, 4, NULL, 0, &rev));
    CHECK_U64(rev, 5);
    CHECK_CELL(c, "", 5);
    CHECK_OK(ap_snapshot_cell_compare_and_store(c, 5, BAD_BYTES, 0, &rev));
    CHECK_CELL(c, "", 6);

    /* NULL value with a length (expected revision right or wrong): AP_ERR_NULL_POINTER,
     * nothing stored, *revision untouched. */
    rev = SENTINEL;
    CHECK_STATUS(ap_snapshot_cell_compare_and_store(c, 6, NULL, 1, &rev), AP_ERR_NULL_POINTER);
    CHECK_U64(rev, SENTINEL);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_compare_and_store") != NULL);
    CHECK_STATUS(ap_snapshot_cell_compare_and_store(c, 0, NULL, 1, &rev), AP_ERR_NULL_POINTER);
    CHECK_U64(rev, SENTINEL);
    CHECK_STATUS(ap_snapshot_cell_store(c, NULL, 2, &rev), AP_ERR_NULL_POINTER);
    CHECK_U64(rev, SENTINEL);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_store") != NULL);
    CHECK_CELL(c, "", 6);
    ap_snapshot_cell_free(c);
}

static void test_times(void) {
    uint64_t t0 = wall_ns();
    ap_snapshot_cell *c = NULL;
    REQUIRE_OK(ap_snapshot_cell_new(S("t"), &c));
    uint64_t t1 = wall_ns();
    const uint64_t slack = 1000000000u; /* 1 s: the wall clock is not the monotonic one */

    /* Creation counts as the last update: a wall-clock time around the call. */
    uint64_t u0 = updated_of(c);
    CHECK(u0 + slack >= t0 && u0 <= t1 + slack);
    /* Without a store: the update time does not change, the age does not go down. */
    uint64_t a0 = age_of(c);
    sleep_ms(2);
    uint64_t a1 = age_of(c);
    CHECK(a1 >= a0);
    CHECK_U64(updated_of(c), u0);

    /* A store moves the update time forward. */
    uint64_t t2 = wall_ns();
    CHECK_OK(ap_snapshot_cell_store(c, S("u"), NULL));
    uint64_t t3 = wall_ns();
    uint64_t u1 = updated_of(c);
    CHECK(u1 >= u0);
    CHECK(u1 + slack >= t2 && u1 <= t3 + slack);
    uint64_t a2 = age_of(c);
    uint64_t a3 = age_of(c);
    CHECK(a3 >= a2);
    /* A failed compare-and-store does not. */
    CHECK_STATUS(ap_snapshot_cell_compare_and_store(c, 0, S("v"), NULL), AP_ERR_REVISION_MISMATCH);
    CHECK_U64(updated_of(c), u1);
    ap_snapshot_cell_free(c);
}

static void test_null_arguments(void) {
    uint8_t buf[8];
    size_t len = SENTINEL_LEN;
    uint64_t v = SENTINEL;

    /* NULL handle: AP_ERR_NULL_HANDLE, out-values untouched, reported before a NULL out. */
    CHECK_STATUS(ap_snapshot_cell_load(NULL, buf, sizeof buf, &len, &v), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_load") != NULL);
    CHECK_STATUS(ap_snapshot_cell_load(NULL, NULL, 0, NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_snapshot_cell_store(NULL, S("x"), &v), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_store") != NULL);
    CHECK_STATUS(ap_snapshot_cell_store(NULL, NULL, 1, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_snapshot_cell_compare_and_store(NULL, 0, S("x"), &v), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_compare_and_store") != NULL);
    CHECK_STATUS(ap_snapshot_cell_compare_and_store(NULL, 0, NULL, 1, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_snapshot_cell_revision(NULL, &v), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_revision") != NULL);
    CHECK_STATUS(ap_snapshot_cell_revision(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_snapshot_cell_age_ns(NULL, &v), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_age_ns") != NULL);
    CHECK_STATUS(ap_snapshot_cell_age_ns(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_snapshot_cell_last_updated_unix_ns(NULL, &v), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_last_updated_unix_ns") != NULL);
    CHECK_STATUS(ap_snapshot_cell_last_updated_unix_ns(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_U64(len, SENTINEL_LEN);
    CHECK_U64(v, SENTINEL);

    /* NULL out-pointers: AP_ERR_NULL_POINTER (load's *revision is optional, *len is not). */
    ap_snapshot_cell *c = NULL;
    REQUIRE_OK(ap_snapshot_cell_new(S("abc"), &c));
    v = SENTINEL;
    CHECK_STATUS(ap_snapshot_cell_load(c, buf, sizeof buf, NULL, &v), AP_ERR_NULL_POINTER);
    CHECK_U64(v, SENTINEL);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_load") != NULL);
    CHECK_STATUS(ap_snapshot_cell_load(c, buf, sizeof buf, NULL, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_snapshot_cell_revision(c, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_revision") != NULL);
    CHECK_STATUS(ap_snapshot_cell_age_ns(c, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_age_ns") != NULL);
    CHECK_STATUS(ap_snapshot_cell_last_updated_unix_ns(c, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_snapshot_cell_last_updated_unix_ns") != NULL);
    CHECK_CELL(c, "abc", 0);
    ap_snapshot_cell_free(c);
}

static void test_refcount(void) {
    ap_snapshot_cell_free(NULL);
    CHECK(ap_snapshot_cell_clone(NULL) == NULL);
    ap_snapshot_cell *a = NULL;
    REQUIRE_OK(ap_snapshot_cell_new(S("first"), &a));
    ap_snapshot_cell *b = ap_snapshot_cell_clone(a);
    REQUIRE(b != NULL);
    CHECK_OK(ap_snapshot_cell_store(b, S("second"), NULL));
    CHECK_CELL(a, "second", 1); /* one cell */
    ap_snapshot_cell_free(a); /* the clone keeps it alive */
    CHECK_CELL(b, "second", 1);
    ap_snapshot_cell_free(b);
}

/* ---- writers racing compare-and-stores, readers checking every load ---- */

enum { WRITERS = 4, READERS = 4, WRITES = 5000 };

struct cell_shared {
    ap_snapshot_cell *c;
    pthread_barrier_t start;
    atomic_int writing;
    atomic_uint_fast64_t mismatches;
    atomic_uint_fast64_t loads;
};

/* The value stored under revision `rev`: "rev=<rev>;" plus a revision-dependent tail, so lengths
 * vary (0 to 40 extra bytes) and a torn or misattributed value is caught. */
static size_t encode(uint64_t rev, char *buf, size_t size) {
    int n = snprintf(buf, size, "rev=%" PRIu64 ";", rev);
    size_t len = (size_t)n;
    size_t extra = (size_t)(rev * 7 % 41);
    for (size_t i = 0; i < extra && len + 1 < size; i++) buf[len++] = (char)('a' + (rev + i) % 26);
    buf[len] = '\0';
    return len;
}

static int decodes_to(const uint8_t *buf, size_t len, uint64_t rev) {
    char want[128];
    size_t wlen = encode(rev, want, sizeof want);
    return len == wlen && memcmp(buf, want, len) == 0;
}

static void *cell_writer_main(void *arg) {
    struct cell_shared *s = arg;
    ap_snapshot_cell *c = ap_snapshot_cell_clone(s->c);
    pthread_barrier_wait(&s->start);
    char value[128];
    uint64_t expected = SENTINEL;
    CHECK_OK(ap_snapshot_cell_revision(c, &expected));
    for (int i = 0; i < WRITES; i++) {
        for (;;) {
            size_t len = encode(expected + 1, value, sizeof value);
            uint64_t got = SENTINEL;
            ap_status st = ap_snapshot_cell_compare_and_store(c, expected, (const uint8_t *)value,
                                                              len, &got);
            if (st == AP_OK) {
                CHECK_U64(got, expected + 1);
                expected = got;
                break;
            }
            CHECK_STATUS(st, AP_ERR_REVISION_MISMATCH);
            /* The current revision: another writer got there first, so it moved forward. */
            if (got <= expected || got == SENTINEL) {
                CHECK(!"a revision mismatch returned a revision that is not newer");
                got = revision_of(c);
            }
            expected = got;
            atomic_fetch_add(&s->mismatches, 1);
        }
    }
    ap_snapshot_cell_free(c);
    return NULL;
}

static void *cell_reader_main(void *arg) {
    struct cell_shared *s = arg;
    pthread_barrier_wait(&s->start);
    uint64_t last = 0, loads = 0;
    uint8_t buf[128];
    while (atomic_load(&s->writing) || loads < 1000) {
        /* revision() then load(): the load is of that revision or a later one. */
        uint64_t before = revision_of(s->c);
        size_t len = SENTINEL_LEN;
        uint64_t rev = SENTINEL;
        ap_status st = ap_snapshot_cell_load(s->c, buf, sizeof buf, &len, &rev);
        CHECK_STATUS(st, AP_OK);
        if (st == AP_OK) {
            if (rev < before || rev < last) {
                fprintf(stderr, "revision went backwards: %" PRIu64 " after %" PRIu64
                                " (revision() said %" PRIu64 ")\n", rev, last, before);
                CHECK(!"a reader saw the revision go backwards");
            }
            if (rev == 0) {
                CHECK(len == 4 && memcmp(buf, "init", 4) == 0);
            } else if (!decodes_to(buf, len, rev)) {
                fprintf(stderr, "revision %" PRIu64 " came with \"%.*s\"\n", rev,
                        len <= sizeof buf ? (int)len : 0, (const char *)buf);
                CHECK(!"a loaded value was not the one stored under its revision");
            }
            last = rev;
        }
        /* A small buffer now and then: either it fits or the needed length comes back. */
        if (loads % 16 == 0) {
            uint8_t small[12];
            len = SENTINEL_LEN;
            st = ap_snapshot_cell_load(s->c, small, sizeof small, &len, NULL);
            if (st == AP_ERR_BUFFER_TOO_SMALL) {
                CHECK(len > sizeof small && len != SENTINEL_LEN);
            } else {
                CHECK_STATUS(st, AP_OK);
                CHECK(len <= sizeof small);
            }
        }
        loads++;
    }
    atomic_fetch_add(&s->loads, loads);
    return NULL;
}

static void test_threads(void) {
    struct cell_shared s;
    REQUIRE_OK(ap_snapshot_cell_new(S("init"), &s.c));
    REQUIRE(pthread_barrier_init(&s.start, NULL, WRITERS + READERS) == 0);
    atomic_init(&s.writing, 1);
    atomic_init(&s.mismatches, 0);
    atomic_init(&s.loads, 0);
    pthread_t w[WRITERS], r[READERS];
    for (int i = 0; i < READERS; i++) {
        REQUIRE(pthread_create(&r[i], NULL, cell_reader_main, &s) == 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        REQUIRE(pthread_create(&w[i], NULL, cell_writer_main, &s) == 0);
    }
    for (int i = 0; i < WRITERS; i++) REQUIRE(pthread_join(w[i], NULL) == 0);
    atomic_store(&s.writing, 0);
    for (int i = 0; i < READERS; i++) REQUIRE(pthread_join(r[i], NULL) == 0);
    pthread_barrier_destroy(&s.start);

    /* Every compare-and-store that succeeded is one revision: none lost, none doubled. */
    const uint64_t final_rev = (uint64_t)WRITERS * WRITES;
    CHECK_U64(revision_of(s.c), final_rev);
    uint8_t buf[128];
    size_t len = 0;
    uint64_t rev = 0;
    CHECK_OK(ap_snapshot_cell_load(s.c, buf, sizeof buf, &len, &rev));
    CHECK_U64(rev, final_rev);
    CHECK(decodes_to(buf, len, final_rev));
    CHECK(atomic_load(&s.loads) >= READERS * 1000u);
    ap_snapshot_cell_free(s.c);
}

int main(void) {
    test_new();
    test_store_and_load();
    test_compare_and_store();
    test_times();
    test_null_arguments();
    test_refcount();
    test_threads();
    return check_done();
}
