/* ap_registry_register_process_metrics: the six process metrics in every export, read at export
 * time (an opened file shows in process_open_fds, resident memory within 2x of VmRSS), calling it
 * twice, and the name collisions both ways (nothing registered after a refusal). */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <unistd.h>

#include "check.h"

/* The value of the sample line starting with `name ` in a text exposition, -1 if absent. */
static double sample(const char *text, const char *name) {
    size_t n = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp(line, name, n) == 0 && line[n] == ' ') return strtod(line + n + 1, NULL);
    }
    return -1;
}

/* VmRSS of /proc/self/status, in bytes. */
static double vm_rss(void) {
    FILE *f = fopen("/proc/self/status", "r");
    REQUIRE(f != NULL);
    char line[256];
    double kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) kb = strtod(line + 6, NULL);
    }
    fclose(f);
    return kb * 1024.0;
}

static void test_exports(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    ap_counter *c = NULL;
    REQUIRE_OK(ap_registry_counter(r, "jobs", "Jobs.", NULL, NULL, 0, &c));
    CHECK_OK(ap_registry_register_process_metrics(r));
    CHECK_OK(ap_registry_register_process_metrics(r)); /* again: nothing more */

    char *text = exported_text(r, AP_FORMAT_PROMETHEUS);
    CHECK(strstr(text, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
                       "# TYPE process_cpu_seconds_total counter\n") != NULL);
    CHECK(strstr(text, "# TYPE process_start_time_seconds gauge\n") != NULL);
    CHECK(strstr(text, "# TYPE process_max_fds gauge\n") != NULL);
    CHECK(strstr(text, "# TYPE process_virtual_memory_bytes gauge\n") != NULL);
    /* Sorted among the registry's families: jobs_total before process_*. */
    CHECK(strstr(text, "jobs_total") < strstr(text, "process_cpu_seconds_total"));
    double rss = sample(text, "process_resident_memory_bytes"), want = vm_rss();
    CHECK(rss > want / 2 && rss < want * 2);
    double fds = sample(text, "process_open_fds");
    CHECK(fds >= 3);
    CHECK(sample(text, "process_cpu_seconds_total") >= 0);
    free(text);

    /* Read at export time: 16 more descriptors show in the next export. */
    int opened[16];
    for (int i = 0; i < 16; i++) {
        opened[i] = open("/proc/self/stat", O_RDONLY);
        REQUIRE(opened[i] >= 0);
    }
    text = exported_text(r, AP_FORMAT_PROMETHEUS);
    CHECK_F64(sample(text, "process_open_fds"), fds + 16);
    free(text);
    for (int i = 0; i < 16; i++) close(opened[i]);

    text = exported_text(r, AP_FORMAT_OPENMETRICS);
    CHECK(strstr(text, "# TYPE process_cpu_seconds counter\n") != NULL);
    CHECK(strstr(text, "\nprocess_cpu_seconds_total ") != NULL);
    free(text);
    text = exported_text(r, AP_FORMAT_JSON);
    CHECK(strstr(text, "\"name\":\"process_open_fds\"") != NULL);
    free(text);

    /* The names are taken. */
    ap_gauge *g = NULL;
    CHECK_STATUS(ap_registry_gauge(r, "process_open_fds", "", NULL, NULL, 0, &g), AP_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(ap_registry_counter(r, "process_cpu_seconds", "", NULL, NULL, 0, &c), AP_ERR_INVALID_ARGUMENT);
    CHECK(g == NULL);
    ap_counter_free(c);
    ap_registry_free(r);
}

static void test_collision_first(void) {
    ap_registry *r = NULL;
    REQUIRE_OK(ap_registry_new(&r));
    ap_gauge *g = NULL;
    REQUIRE_OK(ap_registry_gauge(r, "process_max_fds", "Mine.", NULL, NULL, 0, &g));
    CHECK_STATUS(ap_registry_register_process_metrics(r), AP_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ap_last_error(), "process_max_fds") != NULL);
    uint64_t series = 0, limit = 0, refused = 0;
    CHECK_OK(ap_registry_series_stats(r, &series, &limit, &refused));
    CHECK_U64(series, 1); /* nothing registered */
    CHECK_STATUS(ap_registry_register_process_metrics(NULL), AP_ERR_NULL_HANDLE);
    ap_gauge_free(g);
    ap_registry_free(r);
}

int main(void) {
    test_exports();
    test_collision_first();
    return check_done();
}
