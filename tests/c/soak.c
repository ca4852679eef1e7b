/* Soak: every primitive from several threads for a bounded time, resident memory sampled.
 * Built without sanitizers (scripts/soak.sh): ./soak [seconds] (default 12).
 * Passes when RSS is flat after warm-up (growth from the first sample after a quarter of the run
 * to the end under 10% + 8 MiB) and every total is exact at the end. The workload's state is
 * bounded (keys, series and accounts cycle over fixed sets), so growth means a leak. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomicperf.h"

#define THREADS 4
#define KEYS 256
#define ACCOUNTS 16
#define S(str) (const uint8_t *)(str), strlen(str)

static ap_counter *counter;
static ap_gauge *gauge;
static ap_histogram *hist, *async_hist;
static ap_minmax *minmax;
static ap_timer *timer;
static ap_rate_tracker *rates;
static ap_throughput_window *window;
static ap_async_recorder *recorder;
static ap_map *map;
static ap_ledger *ledger;
static ap_snapshot_cell *cell;
static ap_once_map *once;
static ap_cancellation_token *root;
static ap_registry *registry;
static atomic_int stop;
static atomic_int errors;

#define OK(call)                                                                          \
    do {                                                                                  \
        ap_status st_ = (call);                                                           \
        if (st_ != AP_OK) {                                                               \
            if (atomic_fetch_add(&errors, 1) < 5)                                         \
                fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #call,        \
                        ap_status_str(st_), ap_last_error());                             \
        }                                                                                 \
    } while (0)

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *work(void *arg) {
    uint64_t t = (uint64_t)(uintptr_t)arg, i = 0;
    char key[32], code[8], buf[128];
    size_t len;
    const char *ln[] = {"code"};
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        i++;
        OK(ap_counter_inc(counter));
        OK(ap_gauge_add(gauge, 1.0));
        OK(ap_gauge_sub(gauge, 1.0));
        OK(ap_histogram_record(hist, i % 1000000));
        OK(ap_minmax_record(minmax, i));
        OK(ap_timer_record(timer, i % 10000, i % 7 != 0));
        OK(ap_throughput_window_record(window, i % 2000000));
        OK(ap_async_recorder_record(recorder, i % 1000, NULL));
        int kl = snprintf(key, sizeof key, "%" PRIu64 "-%" PRIu64, t, i % KEYS);
        OK(ap_map_insert(map, (const uint8_t *)key, (size_t)kl, S("value"), NULL));
        if (i % 3 == 0) OK(ap_map_remove(map, (const uint8_t *)key, (size_t)kl, NULL));
        ap_status st = ap_ledger_transfer(ledger, i % ACCOUNTS, (i + 1 + t) % ACCOUNTS, 1);
        if (st != AP_OK && st != AP_ERR_INSUFFICIENT_FUNDS && st != AP_ERR_SAME_ACCOUNT) OK(st);
        if (i % 64 == 0) {
            OK(ap_snapshot_cell_store(cell, (const uint8_t *)key, (size_t)kl, NULL));
            double ps[1];
            OK(ap_rate_tracker_rates(rates, ps, NULL, 1, &len));
            OK(ap_once_map_remove(once, (const uint8_t *)key, 3, NULL));
        }
        uint64_t rev;
        OK(ap_snapshot_cell_load(cell, (uint8_t *)buf, sizeof buf, &len, &rev));
        ap_once_ticket *ticket = NULL;
        OK(ap_once_map_claim(once, (const uint8_t *)key, 3, UINT64_MAX, (uint8_t *)buf, sizeof buf,
                             &len, &ticket));
        if (ticket) OK(ap_once_ticket_complete(ticket, S("v")));
        ap_cancellation_token *child = NULL, *grandchild = NULL;
        OK(ap_cancellation_token_child(root, &child));
        OK(ap_cancellation_token_child(child, &grandchild));
        ap_cancellation_token_free(child);
        ap_cancellation_token_free(grandchild);
        snprintf(code, sizeof code, "%d", (int)(i % 8));
        const char *lv[] = {code};
        ap_counter *c = NULL;
        OK(ap_registry_counter(registry, "soak_ops", "", ln, lv, 1, &c));
        OK(ap_counter_inc(c));
        ap_counter_free(c);
        if (i % 4096 == 0) {
            char out[8192];
            st = ap_registry_export(registry, AP_FORMAT_PROMETHEUS, out, sizeof out, &len);
            if (st != AP_OK && st != AP_ERR_BUFFER_TOO_SMALL) OK(st);
        }
    }
    for (int k = 0; k < KEYS; k++) {
        int kl = snprintf(key, sizeof key, "%" PRIu64 "-%d", t, k);
        OK(ap_map_insert(map, (const uint8_t *)key, (size_t)kl, S("value"), NULL));
    }
    return (void *)(uintptr_t)i;
}

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 12.0;
    OK(ap_counter_new(&counter));
    OK(ap_gauge_new(0, &gauge));
    OK(ap_histogram_new(&hist));
    OK(ap_histogram_new(&async_hist));
    OK(ap_minmax_new(&minmax));
    OK(ap_timer_new(&timer));
    const ap_counter *tracked[] = {counter};
    OK(ap_rate_tracker_new(tracked, 1, &rates));
    OK(ap_throughput_window_new(UINT64_C(10000000000), 10, 1000000, &window));
    ap_async_config cfg = {4096, 2, 256, AP_OVERFLOW_BLOCK};
    OK(ap_async_recorder_new_histogram(async_hist, &cfg, &recorder));
    OK(ap_map_new(0, &map));
    OK(ap_ledger_new(&ledger));
    for (uint64_t id = 0; id < ACCOUNTS; id++) {
        OK(ap_ledger_open(ledger, id, false));
        OK(ap_ledger_deposit(ledger, id, 1000000, NULL));
    }
    OK(ap_snapshot_cell_new(S("initial"), &cell));
    OK(ap_once_map_new(&once));
    OK(ap_cancellation_token_new(&root));
    OK(ap_registry_new(&registry));
    if (atomic_load(&errors)) return 1;

    pthread_t th[THREADS];
    for (uintptr_t t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, work, (void *)t);
    double start = now_s();
    long baseline = 0, last = 0, peak = 0;
    while (now_s() - start < secs) {
        usleep(250000);
        last = rss_kib();
        if (!baseline && now_s() - start >= secs / 4) baseline = last;
        if (last > peak) peak = last;
    }
    atomic_store(&stop, 1);
    uint64_t total = 0;
    for (int t = 0; t < THREADS; t++) {
        void *r;
        pthread_join(th[t], &r);
        total += (uint64_t)(uintptr_t)r;
    }
    bool done = false;
    OK(ap_async_recorder_flush(recorder, UINT64_C(60000000000), &done));

    int failed = atomic_load(&errors) ? 1 : 0;
#define EXPECT(cond, ...)                      \
    do {                                       \
        if (!(cond)) {                         \
            fprintf(stderr, "soak c: " __VA_ARGS__); \
            fprintf(stderr, "\n");             \
            failed = 1;                        \
        }                                      \
    } while (0)
    uint64_t v = 0;
    OK(ap_counter_get(counter, &v));
    EXPECT(v == total, "counter %" PRIu64 " != %" PRIu64, v, total);
    uint64_t hc = 0, ac = 0;
    OK(ap_histogram_count(hist, &hc));
    EXPECT(hc == total, "histogram count %" PRIu64, hc);
    OK(ap_histogram_count(async_hist, &ac));
    EXPECT(done && ac == total, "async applied %" PRIu64, ac);
    ap_timer_stats ts;
    OK(ap_timer_snapshot(timer, &ts));
    EXPECT(ts.count == total, "timer count %" PRIu64, ts.count);
    double g = -1;
    OK(ap_gauge_get(gauge, &g));
    EXPECT(g == 0.0, "gauge %g", g);
    int64_t lt = 0;
    OK(ap_ledger_total(ledger, &lt));
    EXPECT(lt == ACCOUNTS * 1000000, "ledger total %" PRId64, lt);
    size_t n = 0, on = 0;
    OK(ap_map_len(map, &n));
    EXPECT(n == THREADS * KEYS, "map len %zu", n);
    OK(ap_once_map_len(once, &on));
    EXPECT(on <= THREADS * KEYS, "once-map len %zu", on);
    uint64_t series_sum = 0, series = 0, limit = 0, refused = 0;
    const char *ln[] = {"code"};
    for (int c = 0; c < 8; c++) {
        char code[8];
        snprintf(code, sizeof code, "%d", c);
        const char *lv[] = {code};
        ap_counter *rc = NULL;
        OK(ap_registry_counter(registry, "soak_ops", "", ln, lv, 1, &rc));
        OK(ap_counter_get(rc, &v));
        series_sum += v;
        ap_counter_free(rc);
    }
    EXPECT(series_sum == total, "registry series sum %" PRIu64, series_sum);
    OK(ap_registry_series_stats(registry, &series, &limit, &refused));
    EXPECT(series == 8, "registry series %" PRIu64, series);
    long bound = baseline + baseline / 10 + 8 * 1024;
    EXPECT(last <= bound, "RSS grew: %ld KiB after warm-up -> %ld KiB (bound %ld)", baseline, last,
           bound);
    printf("soak c: %g s, %d threads, %" PRIu64 " rounds of every primitive; RSS after warm-up "
           "%ld MiB, end %ld MiB, peak %ld MiB (bound %ld MiB); counter=%" PRIu64
           " histogram=%" PRIu64 " ledger total=%" PRId64 " map=%zu once=%zu\n",
           secs, THREADS, total, baseline / 1024, last / 1024, peak / 1024, bound / 1024, total, hc,
           lt, n, on);
    ap_async_recorder_free(recorder);
    if (failed) fprintf(stderr, "soak c FAILED\n");
    return failed;
}
