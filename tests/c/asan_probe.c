/* Not a test of the library: a probe that the library under test is built with AddressSanitizer.
 * It reads a counter after freeing it, on purpose; an instrumented library must stop the program
 * with a heap-use-after-free report inside the Rust code (scripts/test-c.sh checks the report).
 * An uninstrumented one would read the freed memory silently. */
#include <stdint.h>

#include "atomicperf.h"

int main(void) {
    ap_counter *c = NULL;
    if (ap_counter_new(&c) != AP_OK) return 2;
    ap_counter_free(c);
    uint64_t v = 0;
    ap_counter_get(c, &v); /* use after free: ASan must report it from core/src/counter.rs */
    return 3;
}
