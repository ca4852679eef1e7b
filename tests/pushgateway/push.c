/* The C leg of scripts/test-pushgateway.sh: the library builds the group's URL and the body,
 * the caller does the HTTP (here the script, with Python's urllib). Prints the URL of the group
 * job "c/batch" with path="/var/tmp" and empty="" at the gateway argv[1], writes the body to
 * push (a counter) to argv[2] and the body to push-add (a gauge) to argv[3]. */
#include <stdio.h>
#include <stdlib.h>

#include "atomicperf.h"

static int fail(const char *what) {
    fprintf(stderr, "push.c: %s: %s\n", what, ap_last_error());
    return 1;
}

/* Writes the registry's Prometheus export to `path`. */
static int write_export(const ap_registry *r, const char *path) {
    size_t len = 0;
    if (ap_registry_export(r, AP_FORMAT_PROMETHEUS, NULL, 0, &len) != AP_ERR_BUFFER_TOO_SMALL) {
        return fail("ap_registry_export (length)");
    }
    char *buf = malloc(len + 1);
    if (buf == NULL || ap_registry_export(r, AP_FORMAT_PROMETHEUS, buf, len + 1, &len) != AP_OK) {
        free(buf);
        return fail("ap_registry_export");
    }
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(buf, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0) ok = 0;
    free(buf);
    if (!ok) {
        fprintf(stderr, "push.c: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s GATEWAY PUSH_BODY PUSHADD_BODY\n", argv[0]);
        return 2;
    }
    const char *names[] = {"path", "empty"}, *values[] = {"/var/tmp", ""};
    char url[512];
    size_t len = 0;
    if (ap_pushgateway_url(argv[1], "c/batch", names, values, 2, url, sizeof url, &len) != AP_OK) {
        return fail("ap_pushgateway_url");
    }
    /* A bad job is refused before anything is sent. */
    if (ap_pushgateway_url(argv[1], "", NULL, NULL, 0, url + len + 1, sizeof url - len - 1, &len) !=
        AP_ERR_INVALID_ARGUMENT) {
        fprintf(stderr, "push.c: an empty job was not refused\n");
        return 1;
    }

    ap_registry *r = NULL, *other = NULL;
    ap_counter *c = NULL;
    ap_gauge *g = NULL;
    const char *ln[] = {"kind"}, *lv[] = {"full"};
    if (ap_registry_new(&r) != AP_OK || ap_registry_new(&other) != AP_OK ||
        ap_registry_counter(r, "ap_push_c", "Pushed from C.", ln, lv, 1, &c) != AP_OK ||
        ap_registry_gauge(other, "ap_push_c_extra", "Added.", NULL, NULL, 0, &g) != AP_OK ||
        ap_counter_add(c, 7) != AP_OK || ap_gauge_set(g, 2.0) != AP_OK) {
        return fail("registry");
    }
    int status = write_export(r, argv[2]) || write_export(other, argv[3]);
    printf("%s\n", url);
    ap_counter_free(c);
    ap_gauge_free(g);
    ap_registry_free(r);
    ap_registry_free(other);
    return status;
}
