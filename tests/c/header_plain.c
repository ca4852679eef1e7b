/* The header exactly as a C (or C++) user includes it, without check.h's workaround: it must
 * compile on its own. Built with -fsyntax-only by `make test`, as C11 and as C++. */
#include "atomicperf.h"

int header_plain_uses_everything(void);
int header_plain_uses_everything(void) {
    ap_timer_stats s;
    ap_window_stats w;
    ap_async_config c = {1, 1, 1, AP_OVERFLOW_DROP};
    ap_async_stats a;
    ap_cells cells;
    (void)w;
    (void)c;
    (void)a;
    (void)cells;
    return ap_timer_snapshot(NULL, &s) == AP_ERR_NULL_HANDLE ? 0 : 1;
}
