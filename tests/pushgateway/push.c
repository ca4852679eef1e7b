/* The C leg of scripts/test-pushgateway.sh: `push GATEWAY STEP` sends one request to the group
 * job "c/batch" with path="/var/tmp" and empty="" with the library's own HTTP transport; the
 * script scrapes the gateway between steps. STEP is
 *   push     ap_registry_push(AP_PUSH) of a registry with ap_push_c_total{kind="full"} 7,
 *   pushadd  ap_shared_registry_push(AP_PUSH_ADD) of a shared registry with ap_push_c_extra 2,
 *   delete   ap_pushgateway_delete of the group,
 *   refused  a push to a closed port, which must fail with AP_ERR_IO. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomicperf.h"

static int fail(const char *what) {
    fprintf(stderr, "push.c: %s: %s\n", what, ap_last_error());
    return 1;
}

static const char *names[] = {"path", "empty"}, *values[] = {"/var/tmp", ""};

static int push(const char *gateway) {
    ap_registry *r = NULL;
    ap_counter *c = NULL;
    const char *ln[] = {"kind"}, *lv[] = {"full"};
    if (ap_registry_new(&r) != AP_OK ||
        ap_registry_counter(r, "ap_push_c", "Pushed from C.", ln, lv, 1, &c) != AP_OK ||
        ap_counter_add(c, 7) != AP_OK) {
        return fail("registry");
    }
    int status = ap_registry_push(r, AP_PUSH, gateway, "c/batch", names, values, 2, 10000);
    ap_counter_free(c);
    ap_registry_free(r);
    return status == AP_OK ? 0 : fail("ap_registry_push");
}

static int pushadd(const char *gateway) {
    char name[64];
    snprintf(name, sizeof name, "pushgateway-c-%d", (int)getpid());
    ap_shared_registry *r = NULL;
    ap_gauge *g = NULL;
    if (ap_shared_registry_open(name, NULL, &r) != AP_OK ||
        ap_shared_registry_gauge(r, "ap_push_c_extra", "Added.", NULL, NULL, 0, AP_GAUGE_MODE_MOSTRECENT,
                                 &g) != AP_OK ||
        ap_gauge_set(g, 2.0) != AP_OK) {
        return fail("shared registry");
    }
    int status = ap_shared_registry_push(r, AP_PUSH_ADD, gateway, "c/batch", names, values, 2,
                                         10000);
    ap_gauge_free(g);
    ap_shared_registry_unlink(r);
    ap_shared_registry_free(r);
    return status == AP_OK ? 0 : fail("ap_shared_registry_push");
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s GATEWAY push|pushadd|delete|refused\n", argv[0]);
        return 2;
    }
    const char *gateway = argv[1], *step = argv[2];
    if (strcmp(step, "push") == 0) return push(gateway);
    if (strcmp(step, "pushadd") == 0) return pushadd(gateway);
    if (strcmp(step, "delete") == 0) {
        return ap_pushgateway_delete(gateway, "c/batch", names, values, 2, 10000) == AP_OK
                   ? 0
                   : fail("ap_pushgateway_delete");
    }
    if (strcmp(step, "refused") == 0) {
        int status = ap_pushgateway_delete(gateway, "c/batch", names, values, 2, 10000);
        if (status != AP_ERR_IO) {
            fprintf(stderr, "push.c: a closed port gave %d, not AP_ERR_IO\n", status);
            return 1;
        }
        printf("refused: %s\n", ap_last_error());
        return 0;
    }
    fprintf(stderr, "push.c: unknown step %s\n", step);
    return 2;
}
