/* ap_map_*: every function, every documented error (NULL handle, NULL out, NULL key/value with a
 * length vs. a length of 0, shard counts), byte-string keys and values (empty, embedded NULs),
 * caller buffers (too small: the needed length, nothing lost), snapshots (entries, index range,
 * independence from the map), reference counting, and 8 threads inserting and removing their own
 * and shared keys with exact final contents. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "check.h"

/* A C string as (bytes, length) arguments. */
#define S(str) (const uint8_t *)(str), strlen(str)

#define SENTINEL_LEN ((size_t)0xDEADBEEF)
#define BAD_MAP ((ap_map *)(uintptr_t)0x5EED)
#define BAD_ENTRIES ((ap_map_entries *)(uintptr_t)0x5EED)
#define BAD_BYTES ((const uint8_t *)(uintptr_t)0x5EED)

static size_t len_of(const ap_map *m) {
    size_t n = SENTINEL_LEN;
    CHECK_OK(ap_map_len(m, &n));
    return n;
}

/* Checks that `key` maps to exactly `want` (want_len bytes). */
static void check_value_(const ap_map *m, const uint8_t *key, size_t key_len, const void *want,
                         size_t want_len, const char *file, int line) {
    uint8_t buf[256];
    size_t len = SENTINEL_LEN;
    bool found = false;
    ap_status st = ap_map_get(m, key, key_len, buf, sizeof buf, &len, &found);
    if (st != AP_OK || !found || len != want_len || memcmp(buf, want, want_len) != 0) {
        fprintf(stderr, "%s:%d: FAILED: value of key \"%.*s\" is \"%.*s\"\n", file, line,
                (int)key_len, (const char *)key, (int)want_len, (const char *)want);
        fprintf(stderr, "    got status %d (%s), found %d, len %zu, bytes \"%.*s\"\n", (int)st,
                ap_status_str(st), (int)found, len,
                (st == AP_OK && found && len <= sizeof buf) ? (int)len : 0, (const char *)buf);
        atomic_fetch_add(&check_failures_, 1);
        return;
    }
    atomic_fetch_add(&check_passes_, 1);
}
#define CHECK_VALUE(m, key, key_len, want, want_len) \
    check_value_((m), (key), (key_len), (want), (want_len), __FILE__, __LINE__)
#define CHECK_VALUE_STR(m, key, want) \
    check_value_((m), S(key), (want), strlen(want), __FILE__, __LINE__)

static void check_absent_(const ap_map *m, const uint8_t *key, size_t key_len, const char *file,
                          int line) {
    uint8_t buf[16];
    size_t len = SENTINEL_LEN;
    bool found = true, present = true;
    ap_status st = ap_map_get(m, key, key_len, buf, sizeof buf, &len, &found);
    ap_status st2 = ap_map_contains(m, key, key_len, &present);
    if (st != AP_OK || found || st2 != AP_OK || present) {
        fprintf(stderr, "%s:%d: FAILED: key \"%.*s\" is absent\n", file, line, (int)key_len,
                (const char *)key);
        fprintf(stderr, "    get: status %d, found %d; contains: status %d, present %d\n",
                (int)st, (int)found, (int)st2, (int)present);
        atomic_fetch_add(&check_failures_, 1);
        return;
    }
    atomic_fetch_add(&check_passes_, 1);
}
#define CHECK_ABSENT(m, key, key_len) check_absent_((m), (key), (key_len), __FILE__, __LINE__)
#define CHECK_ABSENT_STR(m, key) check_absent_((m), S(key), __FILE__, __LINE__)

static void test_new(void) {
    /* 0: the default; every power of two from 1 to 4096. */
    for (size_t shards = 0; shards <= 4096; shards = shards ? shards * 2 : 1) {
        ap_map *m = NULL;
        CHECK_OK(ap_map_new(shards, &m));
        REQUIRE(m != NULL);
        CHECK_U64(len_of(m), 0);
        CHECK_OK(ap_map_insert(m, S("k"), S("v"), NULL));
        CHECK_VALUE_STR(m, "k", "v");
        ap_map_free(m);
    }
    /* Not a power of two, or above 4096: AP_ERR_OUT_OF_RANGE, out untouched. */
    const size_t bad[] = {3, 5, 6, 12, 4095, 4097, 8192, 1u << 20, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ap_map *m = BAD_MAP;
        CHECK_STATUS(ap_map_new(bad[i], &m), AP_ERR_OUT_OF_RANGE);
        CHECK(m == BAD_MAP);
        CHECK(strstr(ap_last_error(), "ap_map_new") != NULL);
    }
    /* NULL out: AP_ERR_NULL_POINTER, before the shard count is looked at. */
    CHECK_STATUS(ap_map_new(0, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_map_new") != NULL);
    CHECK_STATUS(ap_map_new(16, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_map_new(3, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_map_new(8192, NULL), AP_ERR_NULL_POINTER);
}

static void test_basic(void) {
    ap_map *m = NULL;
    REQUIRE_OK(ap_map_new(8, &m));
    CHECK_ABSENT_STR(m, "alpha");

    /* insert: *replaced says whether a value was there. */
    bool replaced = true;
    CHECK_OK(ap_map_insert(m, S("alpha"), S("one"), &replaced));
    CHECK(!replaced);
    CHECK_VALUE_STR(m, "alpha", "one");
    CHECK_U64(len_of(m), 1);
    replaced = false;
    CHECK_OK(ap_map_insert(m, S("alpha"), S("uno"), &replaced));
    CHECK(replaced);
    CHECK_VALUE_STR(m, "alpha", "uno");
    CHECK_U64(len_of(m), 1);
    CHECK_OK(ap_map_insert(m, S("beta"), S("two"), NULL)); /* *replaced is optional */
    CHECK_OK(ap_map_insert(m, S("beta"), S("dos"), NULL));
    CHECK_VALUE_STR(m, "beta", "dos");
    CHECK_U64(len_of(m), 2);

    /* insert_if_absent: only the first call stores. */
    bool inserted = false;
    CHECK_OK(ap_map_insert_if_absent(m, S("gamma"), S("three"), &inserted));
    CHECK(inserted);
    inserted = true;
    CHECK_OK(ap_map_insert_if_absent(m, S("gamma"), S("tres"), &inserted));
    CHECK(!inserted);
    CHECK_VALUE_STR(m, "gamma", "three");
    inserted = true;
    CHECK_OK(ap_map_insert_if_absent(m, S("alpha"), S("ein"), &inserted));
    CHECK(!inserted);
    CHECK_VALUE_STR(m, "alpha", "uno");
    CHECK_OK(ap_map_insert_if_absent(m, S("delta"), S("four"), NULL)); /* optional flag */
    CHECK_OK(ap_map_insert_if_absent(m, S("delta"), S("vier"), NULL));
    CHECK_VALUE_STR(m, "delta", "four");
    CHECK_U64(len_of(m), 4);

    /* contains. */
    bool present = false;
    CHECK_OK(ap_map_contains(m, S("gamma"), &present));
    CHECK(present);
    present = true;
    CHECK_OK(ap_map_contains(m, S("gamm"), &present)); /* a prefix is another key */
    CHECK(!present);

    /* remove: *removed says whether it was there. */
    bool removed = false;
    CHECK_OK(ap_map_remove(m, S("beta"), &removed));
    CHECK(removed);
    CHECK_ABSENT_STR(m, "beta");
    removed = true;
    CHECK_OK(ap_map_remove(m, S("beta"), &removed));
    CHECK(!removed);
    CHECK_OK(ap_map_remove(m, S("nothing"), NULL)); /* optional flag */
    CHECK_OK(ap_map_remove(m, S("delta"), NULL));
    CHECK_ABSENT_STR(m, "delta");
    CHECK_U64(len_of(m), 2);
    /* Removed keys can come back: insert_if_absent stores again. */
    inserted = false;
    CHECK_OK(ap_map_insert_if_absent(m, S("beta"), S("zwei"), &inserted));
    CHECK(inserted);
    CHECK_VALUE_STR(m, "beta", "zwei");
    CHECK_U64(len_of(m), 3);

    /* clear: empty; clearing an empty map is fine; the map stays usable. */
    CHECK_OK(ap_map_clear(m));
    CHECK_U64(len_of(m), 0);
    CHECK_ABSENT_STR(m, "alpha");
    CHECK_ABSENT_STR(m, "gamma");
    CHECK_OK(ap_map_clear(m));
    CHECK_U64(len_of(m), 0);
    replaced = true;
    CHECK_OK(ap_map_insert(m, S("alpha"), S("again"), &replaced));
    CHECK(!replaced);
    CHECK_VALUE_STR(m, "alpha", "again");
    ap_map_free(m);
}

/* Byte strings: the empty key (NULL or not), empty values, embedded NULs, every byte value. */
static void test_bytes(void) {
    ap_map *m = NULL;
    REQUIRE_OK(ap_map_new(0, &m));

    /* The empty key, given as (NULL, 0) or as a non-NULL pointer with length 0, is one key. */
    bool replaced = true;
    CHECK_OK(ap_map_insert(m, NULL, 0, S("empty-key"), &replaced));
    CHECK(!replaced);
    CHECK_VALUE(m, NULL, 0, "empty-key", 9);
    CHECK_VALUE(m, (const uint8_t *)"", 0, "empty-key", 9);
    CHECK_VALUE(m, BAD_BYTES, 0, "empty-key", 9); /* a length of 0 never reads the pointer */
    replaced = false;
    CHECK_OK(ap_map_insert(m, (const uint8_t *)"x", 0, S("again"), &replaced));
    CHECK(replaced);
    CHECK_VALUE(m, NULL, 0, "again", 5);
    CHECK_U64(len_of(m), 1);

    /* Empty values, given as (NULL, 0) or (non-NULL, 0): present, length 0. */
    CHECK_OK(ap_map_insert(m, S("ev-null"), NULL, 0, NULL));
    CHECK_OK(ap_map_insert(m, S("ev-ptr"), BAD_BYTES, 0, NULL));
    bool inserted = false;
    CHECK_OK(ap_map_insert_if_absent(m, S("ev-ifabsent"), NULL, 0, &inserted));
    CHECK(inserted);
    const char *empties[] = {"ev-null", "ev-ptr", "ev-ifabsent"};
    for (size_t i = 0; i < 3; i++) {
        uint8_t buf[4] = {0xAA, 0xAA, 0xAA, 0xAA};
        size_t len = SENTINEL_LEN;
        bool found = false;
        CHECK_OK(ap_map_get(m, S(empties[i]), buf, sizeof buf, &len, &found));
        CHECK(found);
        CHECK_U64(len, 0);
        CHECK(buf[0] == 0xAA); /* nothing written */
        /* An empty value needs no buffer at all. */
        len = SENTINEL_LEN;
        found = false;
        CHECK_OK(ap_map_get(m, S(empties[i]), NULL, 0, &len, &found));
        CHECK(found);
        CHECK_U64(len, 0);
        bool present = false;
        CHECK_OK(ap_map_contains(m, S(empties[i]), &present));
        CHECK(present);
    }
    /* An empty value is replaced like any other. */
    replaced = false;
    CHECK_OK(ap_map_insert(m, S("ev-null"), S("full"), &replaced));
    CHECK(replaced);
    CHECK_VALUE_STR(m, "ev-null", "full");
    /* The empty key with an empty value. */
    CHECK_OK(ap_map_insert(m, NULL, 0, NULL, 0, NULL));
    CHECK_VALUE(m, NULL, 0, "", 0);
    CHECK_U64(len_of(m), 4);
    bool removed = false;
    CHECK_OK(ap_map_remove(m, NULL, 0, &removed));
    CHECK(removed);
    CHECK_ABSENT(m, NULL, 0);
    CHECK_U64(len_of(m), 3);

    /* Embedded NULs: "a\0b", "a\0c", "a" and "a\0" are four keys. */
    const uint8_t k1[] = {'a', 0, 'b'}, k2[] = {'a', 0, 'c'}, k3[] = {'a'}, k4[] = {'a', 0};
    const uint8_t v1[] = {0, 0, 1}, v2[] = {0}, v3[] = {'z', 0, 'z'}, v4[] = {0, 0};
    CHECK_OK(ap_map_insert(m, k1, sizeof k1, v1, sizeof v1, NULL));
    CHECK_OK(ap_map_insert(m, k2, sizeof k2, v2, sizeof v2, NULL));
    CHECK_OK(ap_map_insert(m, k3, sizeof k3, v3, sizeof v3, NULL));
    CHECK_OK(ap_map_insert(m, k4, sizeof k4, v4, sizeof v4, NULL));
    CHECK_VALUE(m, k1, sizeof k1, v1, sizeof v1);
    CHECK_VALUE(m, k2, sizeof k2, v2, sizeof v2);
    CHECK_VALUE(m, k3, sizeof k3, v3, sizeof v3);
    CHECK_VALUE(m, k4, sizeof k4, v4, sizeof v4);
    CHECK_U64(len_of(m), 7);

    /* Every byte value in a key and in a value (256 bytes each). */
    uint8_t all[256], rev[256];
    for (int i = 0; i < 256; i++) {
        all[i] = (uint8_t)i;
        rev[i] = (uint8_t)(255 - i);
    }
    CHECK_OK(ap_map_insert(m, all, sizeof all, rev, sizeof rev, NULL));
    CHECK_OK(ap_map_insert(m, rev, sizeof rev, all, sizeof all, NULL));
    CHECK_VALUE(m, all, sizeof all, rev, sizeof rev);
    CHECK_VALUE(m, rev, sizeof rev, all, sizeof all);
    CHECK_ABSENT(m, all, 255); /* a prefix */
    CHECK_U64(len_of(m), 9);
    ap_map_free(m);
}

/* Caller buffers: too small is AP_ERR_BUFFER_TOO_SMALL with the needed length, the buffer is
 * not written, and the value is still there for a larger buffer. */
static void test_buffers(void) {
    ap_map *m = NULL;
    REQUIRE_OK(ap_map_new(0, &m));
    const char *value = "0123456789"; /* 10 bytes */
    CHECK_OK(ap_map_insert(m, S("k"), S(value), NULL));

    for (size_t cap = 0; cap < 10; cap++) {
        uint8_t buf[16];
        memset(buf, 0xAA, sizeof buf);
        size_t len = SENTINEL_LEN;
        bool found = false;
        CHECK_STATUS(ap_map_get(m, S("k"), buf, cap, &len, &found), AP_ERR_BUFFER_TOO_SMALL);
        CHECK_U64(len, 10);
        for (size_t i = 0; i < sizeof buf; i++) {
            if (buf[i] != 0xAA) {
                CHECK(!"ap_map_get wrote into a buffer that was too small");
                break;
            }
        }
        CHECK(strstr(ap_last_error(), "ap_map_get") != NULL);
    }
    /* NULL buffer with capacity 0: the size query. */
    size_t len = SENTINEL_LEN;
    bool found = false;
    CHECK_STATUS(ap_map_get(m, S("k"), NULL, 0, &len, &found), AP_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(len, 10);
    /* Nothing was lost: exactly the needed length works, and so does a larger buffer. */
    uint8_t exact[10];
    len = SENTINEL_LEN;
    found = false;
    CHECK_OK(ap_map_get(m, S("k"), exact, sizeof exact, &len, &found));
    CHECK(found);
    CHECK_U64(len, 10);
    CHECK(memcmp(exact, value, 10) == 0);
    CHECK_VALUE_STR(m, "k", value);
    CHECK_U64(len_of(m), 1);

    /* A NULL buffer that claims room for a non-empty value: AP_ERR_NULL_POINTER, map intact. */
    found = false;
    len = SENTINEL_LEN;
    CHECK_STATUS(ap_map_get(m, S("k"), NULL, 100, &len, &found), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_map_get") != NULL);
    CHECK_VALUE_STR(m, "k", value);

    /* An absent key needs no buffer: found is false, no error. */
    found = true;
    len = SENTINEL_LEN;
    CHECK_OK(ap_map_get(m, S("absent"), NULL, 0, &len, &found));
    CHECK(!found);
    ap_map_free(m);
}

static void test_null_arguments(void) {
    uint8_t buf[16];
    size_t len = SENTINEL_LEN, n = SENTINEL_LEN;
    bool flag = true;

    /* NULL handle: AP_ERR_NULL_HANDLE from every function, out-values untouched; the handle is
     * reported before a NULL out. */
    CHECK_STATUS(ap_map_get(NULL, S("k"), buf, sizeof buf, &len, &flag), AP_ERR_NULL_HANDLE);
    CHECK_U64(len, SENTINEL_LEN);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_get") != NULL);
    CHECK_STATUS(ap_map_get(NULL, NULL, 5, NULL, 0, NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_map_insert(NULL, S("k"), S("v"), &flag), AP_ERR_NULL_HANDLE);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_insert") != NULL);
    CHECK_STATUS(ap_map_insert(NULL, NULL, 5, NULL, 5, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_map_insert_if_absent(NULL, S("k"), S("v"), &flag), AP_ERR_NULL_HANDLE);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_insert_if_absent") != NULL);
    CHECK_STATUS(ap_map_insert_if_absent(NULL, NULL, 5, NULL, 5, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_map_remove(NULL, S("k"), &flag), AP_ERR_NULL_HANDLE);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_remove") != NULL);
    CHECK_STATUS(ap_map_remove(NULL, NULL, 5, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_map_contains(NULL, S("k"), &flag), AP_ERR_NULL_HANDLE);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_contains") != NULL);
    CHECK_STATUS(ap_map_contains(NULL, NULL, 5, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_map_len(NULL, &n), AP_ERR_NULL_HANDLE);
    CHECK_U64(n, SENTINEL_LEN);
    CHECK(strstr(ap_last_error(), "ap_map_len") != NULL);
    CHECK_STATUS(ap_map_len(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_map_clear(NULL), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_map_clear") != NULL);
    ap_map_entries *e = BAD_ENTRIES;
    CHECK_STATUS(ap_map_snapshot(NULL, &e), AP_ERR_NULL_HANDLE);
    CHECK(e == BAD_ENTRIES);
    CHECK(strstr(ap_last_error(), "ap_map_snapshot") != NULL);
    CHECK_STATUS(ap_map_snapshot(NULL, NULL), AP_ERR_NULL_HANDLE);

    ap_map *m = NULL;
    REQUIRE_OK(ap_map_new(0, &m));
    CHECK_OK(ap_map_insert(m, S("k"), S("v"), NULL));

    /* NULL out-pointers: AP_ERR_NULL_POINTER. */
    flag = true;
    CHECK_STATUS(ap_map_get(m, S("k"), buf, sizeof buf, NULL, &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_get") != NULL);
    len = SENTINEL_LEN;
    CHECK_STATUS(ap_map_get(m, S("k"), buf, sizeof buf, &len, NULL), AP_ERR_NULL_POINTER);
    CHECK_U64(len, SENTINEL_LEN);
    CHECK_STATUS(ap_map_get(m, S("absent"), buf, sizeof buf, &len, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_map_get(m, S("absent"), buf, sizeof buf, NULL, &flag), AP_ERR_NULL_POINTER);
    CHECK_U64(len, SENTINEL_LEN);
    CHECK(flag);
    CHECK_STATUS(ap_map_contains(m, S("k"), NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_map_contains") != NULL);
    CHECK_STATUS(ap_map_len(m, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_map_len") != NULL);
    CHECK_STATUS(ap_map_snapshot(m, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_map_snapshot") != NULL);

    /* NULL key with a length: AP_ERR_NULL_POINTER, out-values untouched, map unchanged. */
    len = SENTINEL_LEN;
    flag = true;
    CHECK_STATUS(ap_map_get(m, NULL, 1, buf, sizeof buf, &len, &flag), AP_ERR_NULL_POINTER);
    CHECK_U64(len, SENTINEL_LEN);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_get") != NULL);
    CHECK_STATUS(ap_map_insert(m, NULL, 1, S("v"), &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_insert") != NULL);
    CHECK_STATUS(ap_map_insert_if_absent(m, NULL, 3, S("v"), &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_insert_if_absent") != NULL);
    CHECK_STATUS(ap_map_remove(m, NULL, 1, &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_remove") != NULL);
    CHECK_STATUS(ap_map_contains(m, NULL, 1, &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_contains") != NULL);
    /* NULL value with a length: AP_ERR_NULL_POINTER, the key is not stored nor replaced. */
    flag = true;
    CHECK_STATUS(ap_map_insert(m, S("new"), NULL, 1, &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK_STATUS(ap_map_insert(m, S("k"), NULL, 4, &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK_STATUS(ap_map_insert_if_absent(m, S("new"), NULL, 1, &flag), AP_ERR_NULL_POINTER);
    CHECK(flag);
    CHECK(strstr(ap_last_error(), "ap_map_insert_if_absent") != NULL);
    CHECK_ABSENT_STR(m, "new");
    CHECK_VALUE_STR(m, "k", "v");
    CHECK_U64(len_of(m), 1);
    ap_map_free(m);
}

static void entries_get_str(const ap_map_entries *e, size_t i, char *key, char *value) {
    const uint8_t *k = BAD_BYTES, *v = BAD_BYTES;
    size_t kl = SENTINEL_LEN, vl = SENTINEL_LEN;
    key[0] = value[0] = '\0';
    CHECK_OK(ap_map_entries_get(e, i, &k, &kl, &v, &vl));
    if (k == BAD_BYTES || v == BAD_BYTES || kl >= 64 || vl >= 64) {
        CHECK(!"ap_map_entries_get returned no entry");
        return;
    }
    if (kl) memcpy(key, k, kl);
    if (vl) memcpy(value, v, vl);
    key[kl] = value[vl] = '\0';
}

static void test_snapshot(void) {
    ap_map *m = NULL;
    REQUIRE_OK(ap_map_new(4, &m));

    /* An empty map's snapshot: no entries, index 0 is out of range. */
    ap_map_entries *e = NULL;
    REQUIRE_OK(ap_map_snapshot(m, &e));
    REQUIRE(e != NULL);
    size_t n = SENTINEL_LEN;
    CHECK_OK(ap_map_entries_len(e, &n));
    CHECK_U64(n, 0);
    const uint8_t *k = BAD_BYTES, *v = BAD_BYTES;
    size_t kl = SENTINEL_LEN, vl = SENTINEL_LEN;
    CHECK_STATUS(ap_map_entries_get(e, 0, &k, &kl, &v, &vl), AP_ERR_OUT_OF_RANGE);
    CHECK(k == BAD_BYTES && v == BAD_BYTES && kl == SENTINEL_LEN && vl == SENTINEL_LEN);
    CHECK(strstr(ap_last_error(), "ap_map_entries_get") != NULL);
    ap_map_entries_free(e);

    /* 100 entries "key-i" -> "value-i", plus the empty key with an empty value. */
    enum { N = 100 };
    char key[64], value[64];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(value, sizeof value, "value-%d", i);
        CHECK_OK(ap_map_insert(m, S(key), S(value), NULL));
    }
    CHECK_OK(ap_map_insert(m, NULL, 0, NULL, 0, NULL));
    REQUIRE_OK(ap_map_snapshot(m, &e));
    n = SENTINEL_LEN;
    CHECK_OK(ap_map_entries_len(e, &n));
    CHECK_U64(n, N + 1);

    /* The snapshot is a copy: later changes to the map do not show, and it outlives the map. */
    CHECK_OK(ap_map_clear(m));
    CHECK_OK(ap_map_insert(m, S("key-0"), S("changed"), NULL));
    ap_map_free(m);

    int seen[N] = {0};
    int empty_seen = 0;
    for (size_t i = 0; i < n && i < N + 1; i++) {
        k = v = BAD_BYTES;
        kl = vl = SENTINEL_LEN;
        CHECK_OK(ap_map_entries_get(e, i, &k, &kl, &v, &vl));
        if (kl == 0) {
            CHECK_U64(vl, 0);
            empty_seen++;
            continue;
        }
        entries_get_str(e, i, key, value);
        int idx = -1;
        if (sscanf(key, "key-%d", &idx) != 1 || idx < 0 || idx >= N) {
            CHECK(!"unexpected key in snapshot");
            continue;
        }
        seen[idx]++;
        char want[64];
        snprintf(want, sizeof want, "value-%d", idx);
        CHECK_STR(value, want);
        /* The pointers stay valid until the snapshot is freed: the same on a second call. */
        const uint8_t *k2 = NULL, *v2 = NULL;
        size_t kl2 = 0, vl2 = 0;
        CHECK_OK(ap_map_entries_get(e, i, &k2, &kl2, &v2, &vl2));
        CHECK(k2 == k && v2 == v && kl2 == kl && vl2 == vl);
    }
    CHECK_U64(empty_seen, 1);
    for (int i = 0; i < N; i++) CHECK_U64(seen[i], 1);

    /* Index past the end (n, n + 1, SIZE_MAX): AP_ERR_OUT_OF_RANGE, out-values untouched. */
    const size_t bad[] = {N + 1, N + 2, SIZE_MAX};
    for (size_t i = 0; i < 3; i++) {
        k = v = BAD_BYTES;
        kl = vl = SENTINEL_LEN;
        CHECK_STATUS(ap_map_entries_get(e, bad[i], &k, &kl, &v, &vl), AP_ERR_OUT_OF_RANGE);
        CHECK(k == BAD_BYTES && v == BAD_BYTES && kl == SENTINEL_LEN && vl == SENTINEL_LEN);
    }

    /* NULL out-pointers, each one in turn: AP_ERR_NULL_POINTER, the others untouched. */
    k = v = BAD_BYTES;
    kl = vl = SENTINEL_LEN;
    CHECK_STATUS(ap_map_entries_get(e, 0, NULL, &kl, &v, &vl), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_map_entries_get(e, 0, &k, NULL, &v, &vl), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_map_entries_get(e, 0, &k, &kl, NULL, &vl), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_map_entries_get(e, 0, &k, &kl, &v, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_map_entries_get") != NULL);
    CHECK(k == BAD_BYTES && v == BAD_BYTES && kl == SENTINEL_LEN && vl == SENTINEL_LEN);
    CHECK_STATUS(ap_map_entries_get(e, SIZE_MAX, NULL, NULL, NULL, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_map_entries_len(e, NULL), AP_ERR_NULL_POINTER);
    CHECK(strstr(ap_last_error(), "ap_map_entries_len") != NULL);

    /* NULL entries handle. */
    n = SENTINEL_LEN;
    CHECK_STATUS(ap_map_entries_len(NULL, &n), AP_ERR_NULL_HANDLE);
    CHECK_U64(n, SENTINEL_LEN);
    CHECK(strstr(ap_last_error(), "ap_map_entries_len") != NULL);
    CHECK_STATUS(ap_map_entries_len(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK_STATUS(ap_map_entries_get(NULL, 0, &k, &kl, &v, &vl), AP_ERR_NULL_HANDLE);
    CHECK(k == BAD_BYTES && v == BAD_BYTES && kl == SENTINEL_LEN && vl == SENTINEL_LEN);
    CHECK(strstr(ap_last_error(), "ap_map_entries_get") != NULL);
    CHECK_STATUS(ap_map_entries_get(NULL, 0, NULL, NULL, NULL, NULL), AP_ERR_NULL_HANDLE);
    ap_map_entries_free(e);
    ap_map_entries_free(NULL); /* no-op */
}

static void test_refcount(void) {
    ap_map_free(NULL);
    CHECK(ap_map_clone(NULL) == NULL);

    ap_map *a = NULL;
    REQUIRE_OK(ap_map_new(0, &a));
    ap_map *b = ap_map_clone(a);
    REQUIRE(b != NULL);
    CHECK_OK(ap_map_insert(a, S("from-a"), S("1"), NULL));
    CHECK_OK(ap_map_insert(b, S("from-b"), S("2"), NULL));
    CHECK_VALUE_STR(b, "from-a", "1"); /* one map */
    CHECK_VALUE_STR(a, "from-b", "2");
    ap_map_free(a); /* the clone keeps it alive */
    CHECK_VALUE_STR(b, "from-a", "1");
    CHECK_U64(len_of(b), 2);
    ap_map_entries *e = NULL;
    CHECK_OK(ap_map_snapshot(b, &e));
    ap_map_free(b); /* the last handle; the snapshot is its own */
    size_t n = 0;
    CHECK_OK(ap_map_entries_len(e, &n));
    CHECK_U64(n, 2);
    ap_map_entries_free(e);
}

/* ---- 8 threads: own key ranges, plus keys every thread inserts and removes ---- */

enum { THREADS = 8, OWN = 1500, SHARED = 300 };

struct map_shared {
    ap_map *m;
    pthread_barrier_t phase;
    /* Per shared key: how many threads saw it absent when inserting, and removed it. */
    atomic_int fresh_insert[SHARED];
    atomic_int removed[SHARED];
    atomic_int won_if_absent[SHARED];
    atomic_int winner[SHARED];
};

struct map_worker {
    struct map_shared *s;
    int id;
};

static void own_key(char *buf, size_t size, int t, int i) { snprintf(buf, size, "own/%d/%d", t, i); }

/* What thread t's own key i holds at the end, or NULL if it was removed. */
static const char *own_final(int i, char *buf, size_t size, int t) {
    if (i % 3 == 0) { /* re-inserted with v2 (replacing v1 if it survived) */
        snprintf(buf, size, "v2/%d/%d", t, i);
    } else if (i % 2 == 1 && i % 5 == 0) { /* removed, then insert_if_absent v3 */
        snprintf(buf, size, "v3/%d/%d", t, i);
    } else if (i % 2 == 0) { /* v1 kept (insert_if_absent v3 does not replace it) */
        snprintf(buf, size, "v1/%d/%d", t, i);
    } else {
        return NULL;
    }
    return buf;
}

static void *map_worker_main(void *arg) {
    struct map_worker *w = arg;
    struct map_shared *s = w->s;
    ap_map *m = ap_map_clone(s->m); /* each thread works through its own handle */
    char key[64], value[64], tid[16];
    snprintf(tid, sizeof tid, "%d", w->id);
    bool flag;
    pthread_barrier_wait(&s->phase);

    /* Phase 1: insert every own key (new), every shared key (insert and insert_if_absent). */
    for (int i = 0; i < OWN; i++) {
        own_key(key, sizeof key, w->id, i);
        snprintf(value, sizeof value, "v1/%d/%d", w->id, i);
        flag = true;
        CHECK_OK(ap_map_insert(m, S(key), S(value), &flag));
        CHECK(!flag);
        if (i < SHARED) {
            snprintf(key, sizeof key, "shared/%d", i);
            flag = true;
            CHECK_OK(ap_map_insert(m, S(key), S(tid), &flag));
            if (!flag) atomic_fetch_add(&s->fresh_insert[i], 1);
            snprintf(key, sizeof key, "once/%d", i);
            flag = false;
            CHECK_OK(ap_map_insert_if_absent(m, S(key), S(tid), &flag));
            if (flag) {
                atomic_fetch_add(&s->won_if_absent[i], 1);
                atomic_store(&s->winner[i], w->id);
            }
        }
    }
    pthread_barrier_wait(&s->phase);

    /* Phase 2: remove odd own keys (twice), re-insert i % 3 == 0 with v2, insert_if_absent
     * i % 5 == 0 with v3; every thread removes the even shared keys. */
    for (int i = 0; i < OWN; i++) {
        own_key(key, sizeof key, w->id, i);
        if (i % 2 == 1) {
            flag = false;
            CHECK_OK(ap_map_remove(m, S(key), &flag));
            CHECK(flag);
            flag = true;
            CHECK_OK(ap_map_remove(m, S(key), &flag));
            CHECK(!flag);
        }
        if (i % 3 == 0) {
            snprintf(value, sizeof value, "v2/%d/%d", w->id, i);
            flag = false;
            CHECK_OK(ap_map_insert(m, S(key), S(value), &flag));
            CHECK(flag == (i % 2 == 0)); /* replaced only if it survived */
        }
        if (i % 5 == 0) {
            snprintf(value, sizeof value, "v3/%d/%d", w->id, i);
            flag = false;
            CHECK_OK(ap_map_insert_if_absent(m, S(key), S(value), &flag));
            CHECK(flag == (i % 2 == 1 && i % 3 != 0)); /* only where it was removed */
        }
        /* Own keys are this thread's alone: what it reads is what it wrote. */
        char want[64];
        if (i % 7 == 0) {
            if (own_final(i, want, sizeof want, w->id)) {
                CHECK_VALUE_STR(m, key, want);
            } else {
                CHECK_ABSENT_STR(m, key);
            }
        }
        if (i < SHARED && i % 2 == 0) {
            snprintf(key, sizeof key, "shared/%d", i);
            flag = false;
            CHECK_OK(ap_map_remove(m, S(key), &flag));
            if (flag) atomic_fetch_add(&s->removed[i], 1);
        }
    }
    size_t n = 0;
    CHECK_OK(ap_map_len(m, &n)); /* concurrent with writers: only that it answers */
    ap_map_free(m);
    return NULL;
}

static void run_map_threads(size_t shards) {
    struct map_shared *s = calloc(1, sizeof *s);
    REQUIRE(s != NULL);
    REQUIRE_OK(ap_map_new(shards, &s->m));
    REQUIRE(pthread_barrier_init(&s->phase, NULL, THREADS) == 0);
    for (int i = 0; i < SHARED; i++) {
        atomic_init(&s->fresh_insert[i], 0);
        atomic_init(&s->removed[i], 0);
        atomic_init(&s->won_if_absent[i], 0);
        atomic_init(&s->winner[i], -1);
    }
    struct map_worker w[THREADS];
    pthread_t tid[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct map_worker){s, i};
        REQUIRE(pthread_create(&tid[i], NULL, map_worker_main, &w[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) REQUIRE(pthread_join(tid[i], NULL) == 0);
    pthread_barrier_destroy(&s->phase);

    /* Exact contents: every thread's own keys as it left them; shared keys: exactly one insert
     * found each absent, exactly one remove found each even one, exactly one insert_if_absent
     * won each, and its value is the winner's. */
    size_t want_len = 0;
    char key[64], value[64];
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < OWN; i++) {
            own_key(key, sizeof key, t, i);
            if (own_final(i, value, sizeof value, t)) {
                CHECK_VALUE_STR(s->m, key, value);
                want_len++;
            } else {
                CHECK_ABSENT_STR(s->m, key);
            }
        }
    }
    for (int i = 0; i < SHARED; i++) {
        CHECK_U64(atomic_load(&s->fresh_insert[i]), 1);
        CHECK_U64(atomic_load(&s->won_if_absent[i]), 1);
        snprintf(key, sizeof key, "shared/%d", i);
        if (i % 2 == 0) {
            CHECK_U64(atomic_load(&s->removed[i]), 1);
            CHECK_ABSENT_STR(s->m, key);
        } else {
            CHECK_U64(atomic_load(&s->removed[i]), 0);
            /* Some thread's id: the last insert wins. */
            uint8_t buf[16];
            size_t len = 0;
            bool found = false;
            CHECK_OK(ap_map_get(s->m, S(key), buf, sizeof buf, &len, &found));
            CHECK(found && len == 1 && buf[0] >= '0' && buf[0] < '0' + THREADS);
            want_len++;
        }
        snprintf(key, sizeof key, "once/%d", i);
        snprintf(value, sizeof value, "%d", atomic_load(&s->winner[i]));
        CHECK_VALUE_STR(s->m, key, value);
        want_len++;
    }
    CHECK_U64(len_of(s->m), want_len);
    CHECK_U64(want_len, (size_t)THREADS * (OWN / 2 + OWN / 6 + OWN / 10 - OWN / 30) +
                            SHARED / 2 + SHARED);
    ap_map_entries *e = NULL;
    CHECK_OK(ap_map_snapshot(s->m, &e));
    size_t n = 0;
    CHECK_OK(ap_map_entries_len(e, &n));
    CHECK_U64(n, want_len);
    ap_map_entries_free(e);
    ap_map_free(s->m);
    free(s);
}

static void test_threads(void) {
    run_map_threads(0); /* default shards */
    run_map_threads(1); /* one shard: every thread contends on one lock */
}

int main(void) {
    test_new();
    test_basic();
    test_bytes();
    test_buffers();
    test_null_arguments();
    test_snapshot();
    test_refcount();
    test_threads();
    return check_done();
}
