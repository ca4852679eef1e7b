/* ap_shared_registry_*: metrics shared by processes through one segment opened by name.
 * - 4 processes x 2 threads x 50,000 increments of one counter (and histogram records), each
 *   process opening the registry by name on its own: the parent reads exactly 400,000.
 * - Handles created before fork(), as a pre-fork server does: a livesum gauge counts 3 busy
 *   children, then 2 once one is killed with SIGKILL (no hook runs), then 0; the counter keeps
 *   every increment.
 * - The handles are the ordinary ones: ap_counter_cells describes a shared counter's stripes,
 *   and a direct atomic add to them is exported.
 * - Every documented error: not a segment, missing with AP_SHARED_OPEN_EXISTING, unknown gauge
 *   mode, another kind, NULL arguments, an unknown format.
 * - The path, process table and unlink entry points: the path of a name in a directory and of a
 *   path, the buffer protocol, the slots and refusals of a full process table, unlink leaving
 *   the handles working and a second unlink refused. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PROCESSES 4
#define THREADS 2
#define INCREMENTS 50000

static char name[64];

static char *export_text(const ap_shared_registry *r, uint32_t format) {
    size_t len = 0;
    CHECK_STATUS(ap_shared_registry_export(r, format, NULL, 0, &len), AP_ERR_BUFFER_TOO_SMALL);
    char *buf = malloc(len + 1);
    REQUIRE(buf != NULL);
    CHECK_OK(ap_shared_registry_export(r, format, buf, len + 1, &len));
    return buf;
}

/* The value of the sample that starts a line with `series` (name and labels), or -1. */
static double sample(const char *text, const char *series) {
    size_t n = strlen(series);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ') {
            return strtod(line + n + 1, NULL);
        }
    }
    return -1;
}

static double exported(const ap_shared_registry *r, const char *series) {
    char *text = export_text(r, AP_FORMAT_PROMETHEUS);
    double v = sample(text, series);
    free(text);
    return v;
}

static void *increment(void *arg) {
    ap_counter *c = arg;
    for (int i = 0; i < INCREMENTS; i++) {
        ap_counter_inc(c);
    }
    return NULL;
}

/* A worker process: opens the registry by name itself, and counts with THREADS threads. */
static int worker(void) {
    ap_shared_registry *r = NULL;
    ap_shared_options existing = {.flags = AP_SHARED_OPEN_EXISTING};
    if (ap_shared_registry_open(name, &existing, &r) != AP_OK) {
        return 2;
    }
    const char *ln[] = {"kind"};
    const char *lv[] = {"job"};
    ap_counter *c = NULL;
    ap_histogram *h = NULL;
    if (ap_shared_registry_counter(r, "jobs", "Jobs done.", ln, lv, 1, &c) != AP_OK ||
        ap_shared_registry_histogram(r, "job_seconds", "", NULL, NULL, 0, NULL, 0, 0, &h) != AP_OK) {
        return 3;
    }
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        pthread_create(&threads[t], NULL, increment, c);
    }
    for (int i = 0; i < 1000; i++) {
        ap_histogram_record(h, 1000000);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
    }
    ap_counter_free(c);
    ap_histogram_free(h);
    ap_shared_registry_free(r);
    return 0;
}

static void wait_ok(pid_t pid) {
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_processes_count_exactly(void) {
    ap_shared_registry *r = NULL;
    REQUIRE_OK(ap_shared_registry_open(name, NULL, &r));
    pid_t pids[PROCESSES];
    for (int p = 0; p < PROCESSES; p++) {
        pids[p] = fork();
        REQUIRE(pids[p] >= 0);
        if (pids[p] == 0) {
            _exit(worker());
        }
    }
    for (int p = 0; p < PROCESSES; p++) {
        wait_ok(pids[p]);
    }
    CHECK_F64(exported(r, "jobs_total{kind=\"job\"}"), (double)PROCESSES * THREADS * INCREMENTS);
    CHECK_F64(exported(r, "job_seconds_count"), PROCESSES * 1000.0);
    CHECK_F64(exported(r, "job_seconds_sum"), PROCESSES * 1000 * 0.001);
    uint64_t series = 0, max_series = 0, refused = 0;
    CHECK_OK(ap_shared_registry_series_stats(r, &series, &max_series, &refused));
    CHECK(series >= 2 && max_series == 4096 && refused == 0);
    ap_shared_registry_free(r);
}

static void test_prefork_handles_and_a_killed_worker(void) {
    ap_shared_registry *r = NULL;
    REQUIRE_OK(ap_shared_registry_open(name, NULL, &r));
    ap_gauge *busy = NULL;
    ap_counter *served = NULL;
    REQUIRE_OK(ap_shared_registry_gauge(r, "busy", "Busy workers.", NULL, NULL, 0,
                                        AP_GAUGE_MODE_LIVESUM, &busy));
    REQUIRE_OK(ap_shared_registry_counter(r, "served", "", NULL, NULL, 0, &served));
    int ready[2], hold[2];
    REQUIRE(pipe(ready) == 0 && pipe(hold) == 0);
    pid_t pids[3];
    for (int p = 0; p < 3; p++) {
        pids[p] = fork();
        REQUIRE(pids[p] >= 0);
        if (pids[p] == 0) {
            /* The parent's handles: the gauge value is this child's own, from 0. */
            ap_gauge_inc(busy);
            for (int i = 0; i < 1000; i++) {
                ap_counter_inc(served);
            }
            char b = 1;
            if (write(ready[1], &b, 1) != 1 || read(hold[0], &b, 1) < 0) {
                _exit(4);
            }
            _exit(0);
        }
    }
    for (int p = 0; p < 3; p++) {
        char b;
        REQUIRE(read(ready[0], &b, 1) == 1);
    }
    CHECK_F64(exported(r, "busy"), 3.0);
    CHECK(kill(pids[2], SIGKILL) == 0);
    int status = 0;
    CHECK(waitpid(pids[2], &status, 0) == pids[2] && WIFSIGNALED(status));
    CHECK_F64(exported(r, "busy"), 2.0);
    CHECK_F64(exported(r, "served_total"), 3000.0);
    char release[2] = {0, 0};
    CHECK(write(hold[1], release, 2) == 2);
    wait_ok(pids[0]);
    wait_ok(pids[1]);
    CHECK_F64(exported(r, "busy"), 0.0);
    CHECK_F64(exported(r, "served_total"), 3000.0);
    close(ready[0]);
    close(ready[1]);
    close(hold[0]);
    close(hold[1]);
    ap_gauge_free(busy);
    ap_counter_free(served);
    ap_shared_registry_free(r);
}

static void test_the_handles_are_the_ordinary_ones(void) {
    ap_shared_registry *r = NULL;
    REQUIRE_OK(ap_shared_registry_open(name, NULL, &r));
    ap_counter *c = NULL;
    REQUIRE_OK(ap_shared_registry_counter(r, "direct", "", NULL, NULL, 0, &c));
    ap_cells cells;
    CHECK_OK(ap_counter_cells(c, &cells));
    CHECK(cells.kind == AP_CELL_COUNTER_STRIPES && cells.stride == 128 && cells.count >= 1);
    /* What Go and Node do: an atomic add to a stripe, no call. */
    _Atomic uint64_t *stripe = (_Atomic uint64_t *)((char *)cells.base + cells.offset);
    atomic_fetch_add(stripe, 5);
    CHECK_OK(ap_counter_add(c, 2));
    uint64_t v = 0;
    CHECK_OK(ap_counter_get(c, &v));
    CHECK_U64(v, 7);
    ap_timer *t = NULL;
    REQUIRE_OK(ap_shared_registry_timer(r, "rule", "", NULL, NULL, 0, &t));
    CHECK_OK(ap_timer_record(t, 2000000, false));
    ap_shared_registry *again = ap_shared_registry_clone(r);
    ap_shared_registry_free(r);
    CHECK_F64(exported(again, "direct_total"), 7.0);
    CHECK_F64(exported(again, "rule_errors_total"), 1.0);
    char *om = export_text(again, AP_FORMAT_OPENMETRICS);
    CHECK(strstr(om, "direct_total 7\n") != NULL && strstr(om, "# EOF\n") != NULL);
    free(om);
    char *json = export_text(again, AP_FORMAT_JSON);
    CHECK(strstr(json, "\"name\":\"direct\"") != NULL);
    free(json);
    ap_shared_registry_free(again);
    ap_counter_free(c); /* the segment stayed mapped for it */
    ap_timer_free(t);
}

static void test_errors(void) {
    ap_shared_registry *r = NULL;
    char path[96];
    snprintf(path, sizeof path, "/tmp/atomicperf-ctest-%ld-not-a-segment", (long)getpid());
    FILE *f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs("not a segment\n", f);
    fclose(f);
    CHECK_STATUS(ap_shared_registry_open(path, NULL, &r), AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "not an atomicperf shared registry") != NULL);
    CHECK(r == NULL);
    remove(path);

    ap_shared_options existing = {.flags = AP_SHARED_OPEN_EXISTING};
    CHECK_STATUS(ap_shared_registry_open("ctest-never-created", &existing, &r),
                 AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_shared_registry_open("bad name", NULL, &r), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_shared_registry_open(NULL, NULL, &r), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_shared_registry_open(name, NULL, NULL), AP_ERR_NULL_POINTER);
    ap_shared_options odd = {.counter_stripes = 3};
    CHECK_STATUS(ap_shared_registry_open("ctest-odd-stripes", &odd, &r), AP_ERR_INVALID_ARGUMENT);

    REQUIRE_OK(ap_shared_registry_open(name, NULL, &r));
    ap_gauge *g = NULL;
    CHECK_STATUS(ap_shared_registry_gauge(r, "g", "", NULL, NULL, 0, 42, &g), AP_ERR_OUT_OF_RANGE);
    CHECK_STATUS(ap_shared_registry_gauge(r, "jobs", "", NULL, NULL, 0, 0, &g),
                 AP_ERR_INVALID_ARGUMENT); /* a counter: another kind */
    const char *pid_label[] = {"pid"};
    const char *one[] = {"1"};
    CHECK_STATUS(ap_shared_registry_gauge(r, "g", "", pid_label, one, 1, AP_GAUGE_MODE_ALL, &g),
                 AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "reserved") != NULL);
    CHECK_STATUS(ap_shared_registry_counter(NULL, "c", "", NULL, NULL, 0, NULL), AP_ERR_NULL_HANDLE);
    ap_counter *c = NULL;
    CHECK_STATUS(ap_shared_registry_counter(r, "c", "", NULL, NULL, 1, &c), AP_ERR_NULL_POINTER);
    size_t len = 0;
    CHECK_STATUS(ap_shared_registry_export(r, 7, NULL, 0, &len), AP_ERR_OUT_OF_RANGE);
    ap_shared_registry_free(r);
    ap_shared_registry_free(NULL);
}

/* A child that asks for a per-process gauge, which takes a process table slot: exits with 0 when
 * it got one, 1 when the table was full (the documented error), 2 on anything else. */
static int take_a_slot(const char *path) {
    ap_shared_registry *r = NULL;
    ap_gauge *g = NULL;
    if (ap_shared_registry_open(path, NULL, &r) != AP_OK) {
        return 2;
    }
    ap_status s = ap_shared_registry_gauge(r, "slot", "", NULL, NULL, 0, AP_GAUGE_MODE_LIVESUM, &g);
    int full = s == AP_ERR_INVALID_ARGUMENT && strstr(ap_last_error(), "is full") != NULL;
    ap_gauge_free(g);
    ap_shared_registry_free(r);
    return s == AP_OK ? 0 : full ? 1 : 2;
}

static void test_path_process_stats_and_unlink(void) {
    char dir[96];
    snprintf(dir, sizeof dir, "/tmp/atomicperf-ctest-%ld-dir", (long)getpid());
    REQUIRE(mkdir(dir, 0700) == 0);
    ap_shared_options in_dir = {.dir = dir, .max_processes = 2};
    ap_shared_registry *r = NULL;
    REQUIRE_OK(ap_shared_registry_open("paths", &in_dir, &r));

    /* The path, with the buffer protocol of ap_registry_export. */
    char expected[160];
    snprintf(expected, sizeof expected, "%s/atomicperf-paths", dir);
    size_t len = 0;
    CHECK_STATUS(ap_shared_registry_path(r, NULL, 0, &len), AP_ERR_BUFFER_TOO_SMALL);
    CHECK_U64(len, strlen(expected));
    char small[4];
    CHECK_STATUS(ap_shared_registry_path(r, small, sizeof small, &len), AP_ERR_BUFFER_TOO_SMALL);
    char path[160];
    CHECK_OK(ap_shared_registry_path(r, path, sizeof path, &len));
    CHECK(strcmp(path, expected) == 0 && len == strlen(expected));
    CHECK_STATUS(ap_shared_registry_path(r, path, sizeof path, NULL), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_shared_registry_path(NULL, path, sizeof path, &len), AP_ERR_NULL_HANDLE);
    /* A path is used as it is. */
    ap_shared_registry *by_path = NULL;
    REQUIRE_OK(ap_shared_registry_open(expected, NULL, &by_path));
    CHECK_OK(ap_shared_registry_path(by_path, path, sizeof path, &len));
    CHECK(strcmp(path, expected) == 0);

    /* Two slots: this process takes one, a child the other, and a third process finds none
     * while both live. */
    uint64_t slots = 0, refused = 0;
    CHECK_OK(ap_shared_registry_process_stats(r, &slots, &refused));
    CHECK_U64(slots, 2);
    CHECK_U64(refused, 0);
    ap_gauge *mine = NULL;
    REQUIRE_OK(ap_shared_registry_gauge(r, "slot", "", NULL, NULL, 0, AP_GAUGE_MODE_LIVESUM, &mine));
    ap_gauge_set(mine, 1.0);
    int hold[2], ready[2];
    REQUIRE(pipe(hold) == 0 && pipe(ready) == 0);
    pid_t holder = fork();
    REQUIRE(holder >= 0);
    if (holder == 0) {
        ap_gauge_set(mine, 1.0); /* the parent's handle: this child's own slot */
        char b = 1;
        if (write(ready[1], &b, 1) != 1 || read(hold[0], &b, 1) < 0) {
            _exit(4);
        }
        _exit(0);
    }
    char b;
    REQUIRE(read(ready[0], &b, 1) == 1);
    pid_t third = fork();
    REQUIRE(third >= 0);
    if (third == 0) {
        _exit(take_a_slot(expected));
    }
    int status = 0;
    CHECK(waitpid(third, &status, 0) == third && WIFEXITED(status) && WEXITSTATUS(status) == 1);
    CHECK(write(hold[1], &b, 1) == 1);
    wait_ok(holder);
    CHECK_OK(ap_shared_registry_process_stats(by_path, &slots, &refused));
    CHECK_U64(slots, 2);
    CHECK(refused >= 1);
    CHECK_F64(exported(r, "slot"), 1.0); /* the refused process's value was never exported */
    CHECK_STATUS(ap_shared_registry_process_stats(r, NULL, &refused), AP_ERR_NULL_POINTER);
    CHECK_STATUS(ap_shared_registry_process_stats(NULL, &slots, &refused), AP_ERR_NULL_HANDLE);
    close(hold[0]);
    close(hold[1]);
    close(ready[0]);
    close(ready[1]);

    /* Unlink: the file goes, the handles keep working, a second unlink is an error. */
    ap_counter *c = NULL;
    REQUIRE_OK(ap_shared_registry_counter(r, "kept", "", NULL, NULL, 0, &c));
    CHECK_OK(ap_shared_registry_unlink(r));
    CHECK(access(expected, F_OK) != 0);
    CHECK_STATUS(ap_shared_registry_unlink(by_path), AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "ap_shared_registry_unlink") != NULL);
    CHECK_STATUS(ap_shared_registry_unlink(NULL), AP_ERR_NULL_HANDLE);
    CHECK_OK(ap_counter_inc(c));
    CHECK_F64(exported(by_path, "kept_total"), 1.0);
    CHECK_OK(ap_shared_registry_path(r, path, sizeof path, &len));
    CHECK(strcmp(path, expected) == 0); /* still the name it had */
    ap_counter_free(c);
    ap_gauge_free(mine);
    ap_shared_registry_free(by_path);
    ap_shared_registry_free(r);
    CHECK(rmdir(dir) == 0);
}

int main(void) {
    snprintf(name, sizeof name, "ctest-%ld", (long)getpid());
    ap_shared_registry_remove(name, NULL); /* a leftover of an earlier run, if any */
    test_processes_count_exactly();
    test_prefork_handles_and_a_killed_worker();
    test_the_handles_are_the_ordinary_ones();
    test_errors();
    test_path_process_stats_and_unlink();
    CHECK_OK(ap_shared_registry_remove(name, NULL));
    CHECK_STATUS(ap_shared_registry_remove(name, NULL), AP_ERR_INVALID_ARGUMENT);
    return check_done();
}
