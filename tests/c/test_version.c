/* Version, status names and the thread-local last error. */
#include <pthread.h>

#include "check.h"

static void test_versions(void) {
    CHECK(ap_abi_version() == AP_ABI_VERSION);
    CHECK_U64(ap_abi_version(), AP_ABI_VERSION);
    CHECK_U64(AP_ABI_VERSION, 2); /* ABI 2: MinMax, Timer, RateTracker, ThroughputWindow, ... */

    const char *v = ap_version();
    REQUIRE(v != NULL);
    CHECK(strlen(v) > 0);
    /* "MAJOR.MINOR.PATCH", optionally with a pre-release or build suffix. */
    unsigned major, minor, patch;
    CHECK(sscanf(v, "%u.%u.%u", &major, &minor, &patch) == 3);
    /* Static string: the same pointer every call. */
    CHECK(ap_version() == v);
}

static void test_status_str(void) {
    static const struct {
        ap_status code;
        const char *prefix;
    } codes[] = {
        {AP_OK, "AP_OK"},
        {AP_ERR_NULL_HANDLE, "AP_ERR_NULL_HANDLE"},
        {AP_ERR_NULL_POINTER, "AP_ERR_NULL_POINTER"},
        {AP_ERR_OUT_OF_RANGE, "AP_ERR_OUT_OF_RANGE"},
        {AP_ERR_EMPTY, "AP_ERR_EMPTY"},
        {AP_ERR_BUFFER_TOO_SMALL, "AP_ERR_BUFFER_TOO_SMALL"},
        {AP_ERR_INVALID_ARGUMENT, "AP_ERR_INVALID_ARGUMENT"},
        {AP_ERR_INTERNAL, "AP_ERR_INTERNAL"},
        {AP_ERR_TIMEOUT, "AP_ERR_TIMEOUT"},
        {AP_ERR_CLOSED, "AP_ERR_CLOSED"},
        {AP_ERR_UNKNOWN_ACCOUNT, "AP_ERR_UNKNOWN_ACCOUNT"},
        {AP_ERR_ACCOUNT_EXISTS, "AP_ERR_ACCOUNT_EXISTS"},
        {AP_ERR_INVALID_AMOUNT, "AP_ERR_INVALID_AMOUNT"},
        {AP_ERR_SAME_ACCOUNT, "AP_ERR_SAME_ACCOUNT"},
        {AP_ERR_INSUFFICIENT_FUNDS, "AP_ERR_INSUFFICIENT_FUNDS"},
        {AP_ERR_OVERFLOW, "AP_ERR_OVERFLOW"},
        {AP_ERR_REVISION_MISMATCH, "AP_ERR_REVISION_MISMATCH"},
        {AP_ERR_ACCOUNT_CLOSED, "AP_ERR_ACCOUNT_CLOSED"},
        {AP_ERR_ACCOUNT_NOT_EMPTY, "AP_ERR_ACCOUNT_NOT_EMPTY"},
        {AP_ERR_IO, "AP_ERR_IO"},
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        const char *s = ap_status_str(codes[i].code);
        REQUIRE(s != NULL);
        size_t plen = strlen(codes[i].prefix);
        /* "NAME: description": the exact name, then ':' (so AP_OK does not match AP_OKAY). */
        if (strncmp(s, codes[i].prefix, plen) != 0 || s[plen] != ':' || strlen(s) <= plen + 2) {
            fprintf(stderr, "%s:%d: FAILED: ap_status_str(%d) = \"%s\", expected \"%s: ...\"\n",
                    __FILE__, __LINE__, (int)codes[i].code, s, codes[i].prefix);
            atomic_fetch_add(&check_failures_, 1);
        } else {
            atomic_fetch_add(&check_passes_, 1);
        }
        /* Distinct codes have distinct names. */
        for (size_t j = 0; j < i; j++) {
            CHECK(strcmp(s, ap_status_str(codes[j].code)) != 0);
        }
    }
    CHECK_STR(ap_status_str(AP_OK), "AP_OK: success");
    CHECK_STR(ap_status_str(AP_ERR_NULL_HANDLE), "AP_ERR_NULL_HANDLE: null handle");
    /* The codes are the documented numbers (they are ABI). */
    CHECK_U64(AP_OK, 0);
    CHECK_U64(AP_ERR_INTERNAL, 7);
    CHECK_U64(AP_ERR_TIMEOUT, 8);
    CHECK_U64(AP_ERR_CLOSED, 9);
    CHECK_U64(AP_ERR_REVISION_MISMATCH, 16);
    CHECK_U64(AP_ERR_ACCOUNT_CLOSED, 17);
    CHECK_U64(AP_ERR_ACCOUNT_NOT_EMPTY, 18);
    CHECK_U64(AP_ERR_IO, 19);
    CHECK_STR(ap_status_str(AP_ERR_ACCOUNT_NOT_EMPTY), "AP_ERR_ACCOUNT_NOT_EMPTY: account not empty");
    CHECK_STR(ap_status_str(AP_ERR_IO), "AP_ERR_IO: request failed");

    /* Unknown codes, including negatives and the extremes of int32_t. */
    const ap_status unknown[] = {20, 42, -1, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK_STR(ap_status_str(unknown[i]), "AP_ERR_UNKNOWN: unknown status");
    }
}

static void test_last_error(void) {
    /* This test runs first on the main thread: nothing failed yet. */
    const char *e = ap_last_error();
    REQUIRE(e != NULL);
    CHECK_STR(e, "");

    /* A failure sets a message naming the function. */
    CHECK_STATUS(ap_counter_inc(NULL), AP_ERR_NULL_HANDLE);
    e = ap_last_error();
    REQUIRE(e != NULL);
    CHECK(strlen(e) > 0);
    CHECK(strstr(e, "ap_counter_inc") != NULL);

    /* A successful call leaves it alone. */
    ap_counter *c = NULL;
    REQUIRE_OK(ap_counter_new(&c));
    CHECK_OK(ap_counter_inc(c));
    CHECK(strstr(ap_last_error(), "ap_counter_inc") != NULL);
    ap_counter_free(c);
    CHECK(strstr(ap_last_error(), "ap_counter_inc") != NULL);

    /* The next failure replaces it. */
    CHECK_STATUS(ap_gauge_get(NULL, NULL), AP_ERR_NULL_HANDLE);
    CHECK(strstr(ap_last_error(), "ap_gauge_get") != NULL);
    CHECK(strstr(ap_last_error(), "ap_counter_inc") == NULL);

    /* An out-of-range failure from the core also gives a non-empty message. */
    ap_histogram *h = NULL;
    CHECK_STATUS(ap_histogram_new_with_precision(0, 1000, &h), AP_ERR_OUT_OF_RANGE);
    CHECK(h == NULL);
    CHECK(strlen(ap_last_error()) > 0);
    CHECK(strstr(ap_last_error(), "ap_gauge_get") == NULL);
}

/* ---- per-thread last error ---- */

struct thread_result {
    char before[256];   /* this thread's message before it fails anything */
    char after[256];    /* after its own failure */
};

static void copy_msg(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src ? src : "(null)");
}

static void *fresh_thread(void *arg) {
    struct thread_result *r = arg;
    copy_msg(r->before, sizeof r->before, ap_last_error());
    (void)ap_histogram_reset(NULL);
    copy_msg(r->after, sizeof r->after, ap_last_error());
    return NULL;
}

static void test_last_error_per_thread(void) {
    /* Main thread fails with one function... */
    CHECK_STATUS(ap_gauge_inc(NULL), AP_ERR_NULL_HANDLE);
    char main_msg[256];
    copy_msg(main_msg, sizeof main_msg, ap_last_error());
    CHECK(strstr(main_msg, "ap_gauge_inc") != NULL);

    /* ...a new thread starts with "" (does not see main's error) and fails differently... */
    struct thread_result r;
    memset(&r, 0, sizeof r);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, fresh_thread, &r) == 0);
    REQUIRE(pthread_join(t, NULL) == 0);
    CHECK_STR(r.before, "");
    CHECK(strstr(r.after, "ap_histogram_reset") != NULL);

    /* ...and main's message is unchanged by the other thread's failure. */
    CHECK_STR(ap_last_error(), main_msg);
}

int main(void) {
    test_last_error(); /* must run first: checks the initial "" */
    test_versions();
    test_status_str();
    test_last_error_per_thread();
    return check_done();
}
