/*
 * The shared conformance cases (tests/conformance/cases/NAME.txt, format in
 * tests/conformance/README.md) run against the C ABI. The cases directory is argv[1], by default
 * ../conformance/cases (the Makefile runs the programs from tests/c).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicperf.h"

enum { MAX_TOKS = 32, MAX_VARS = 16, BUF = 4096 };

typedef struct {
    char *text;
    bool quoted;
} tok;

typedef enum { K_COUNTER, K_GAUGE, K_MINMAX, K_HIST, K_TIMER, K_REG, K_SREG, K_NATIVE, K_LEDGER, K_ONCE, K_CELL, K_MAP, K_INFO, K_ENUM } kind;

typedef struct {
    char *name;
    kind k;
    void *h;
} var;

/* What an operation returned. */
typedef enum { R_UNIT, R_NONE, R_U64, R_I64, R_F64, R_BOOL, R_BYTES, R_TEXT, R_FAILED } rkind;
typedef struct {
    ap_status st;
    rkind k;
    uint64_t u;
    int64_t i;
    double f;
    bool b;
    char *bytes; /* R_BYTES and R_TEXT, malloc'd */
    size_t len;
} result;

static var vars[MAX_VARS];
static int nvars;

static void free_var(var *v) {
    switch (v->k) {
    case K_COUNTER: ap_counter_free(v->h); break;
    case K_GAUGE: ap_gauge_free(v->h); break;
    case K_MINMAX: ap_minmax_free(v->h); break;
    case K_HIST: ap_histogram_free(v->h); break;
    case K_TIMER: ap_timer_free(v->h); break;
    case K_REG: ap_registry_free(v->h); break;
    case K_SREG: ap_shared_registry_free(v->h); break;
    case K_NATIVE: ap_native_histogram_free(v->h); break;
    case K_LEDGER: ap_ledger_free(v->h); break;
    case K_ONCE: ap_once_map_free(v->h); break;
    case K_CELL: ap_snapshot_cell_free(v->h); break;
    case K_MAP: ap_map_free(v->h); break;
    case K_INFO: ap_info_free(v->h); break;
    case K_ENUM: ap_enum_free(v->h); break;
    }
    free(v->name);
}

static void clear_vars(void) {
    for (int i = 0; i < nvars; i++) free_var(&vars[i]);
    nvars = 0;
}

static void bind(const char *name, kind k, void *h) {
    for (int i = 0; i < nvars; i++) {
        if (strcmp(vars[i].name, name) == 0) {
            free_var(&vars[i]);
            vars[i] = vars[--nvars];
        }
    }
    if (nvars == MAX_VARS) {
        fprintf(stderr, "conformance: too many objects in one case\n");
        exit(2);
    }
    vars[nvars++] = (var){strdup(name), k, h};
}

static var *lookup(const char *name) {
    for (int i = 0; i < nvars; i++)
        if (strcmp(vars[i].name, name) == 0) return &vars[i];
    fprintf(stderr, "conformance: no object %s\n", name);
    exit(2);
}

/* Splits `line` in place into tokens; quoted parts lose their quotes and escapes. */
static int tokenize(char *line, tok *toks) {
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) return n;
        char *out = p;
        toks[n] = (tok){p, false};
        bool in_quote = false;
        while (*p && (in_quote || (*p != ' ' && *p != '\t'))) {
            char c = *p++;
            if (c == '"') {
                in_quote = !in_quote;
                toks[n].quoted = true;
            } else if (c == '\\' && in_quote && *p) {
                c = *p++;
                *out++ = c == 'n' ? '\n' : c;
            } else {
                *out++ = c;
            }
        }
        bool end = !*p;
        *out = '\0';
        if (!end) p++;
        if (++n == MAX_TOKS) return n;
        if (end) return n;
    }
}

static uint64_t u64(const tok *t) { return strtoull(t->text, NULL, 10); }
static int64_t i64(const tok *t) { return strtoll(t->text, NULL, 10); }
static double f64(const tok *t) { return strtod(t->text, NULL); }
static const uint8_t *key(const tok *t) { return (const uint8_t *)t->text; }

static result copy_bytes(const uint8_t *b, size_t len, rkind k) {
    result r = {.k = k, .len = len, .bytes = malloc(len + 1)};
    memcpy(r.bytes, b, len);
    r.bytes[len] = '\0';
    return r;
}

/* A statistic: AP_ERR_EMPTY is "no value". */
static result stat_u64(ap_status st, const uint64_t *v) {
    if (st == AP_ERR_EMPTY) return (result){.k = R_NONE};
    return (result){.st = st, .k = R_U64, .u = *v};
}

/* The AP_GAUGE_MODE_* constant of a mode's name (0 for none of them). */
static uint32_t gauge_mode(const char *name) {
    static const char *const modes[] = {"all", "liveall", "sum", "livesum", "max",
                                        "livemax", "min", "livemin", "mostrecent"};
    static const uint32_t codes[] = {AP_GAUGE_MODE_ALL, AP_GAUGE_MODE_LIVEALL, AP_GAUGE_MODE_SUM,
                                     AP_GAUGE_MODE_LIVESUM, AP_GAUGE_MODE_MAX, AP_GAUGE_MODE_LIVEMAX,
                                     AP_GAUGE_MODE_MIN, AP_GAUGE_MODE_LIVEMIN, AP_GAUGE_MODE_MOSTRECENT};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(name, modes[i]) == 0) return codes[i];
    return 0;
}

/* The k=v tokens a[0..n) as parallel name and value arrays; the names are malloc'd copies
 * (free_pairs). */
static size_t pairs(tok *a, int n, const char **names, const char **values) {
    size_t nl = 0;
    for (int i = 0; i < n; i++) {
        char *eq = strchr(a[i].text, '=');
        names[nl] = strndup(a[i].text, (size_t)(eq - a[i].text));
        values[nl++] = eq + 1;
    }
    return nl;
}

static void free_pairs(const char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free((char *)names[i]);
}

/* R.kind NAME HELP [k=v]... [@buckets=..] [@mode=..] [@states=..] [as VAR], on a registry (k == K_REG) or a
 * shared registry (K_SREG). */
static result reg(void *r, kind rk, const char *kind_name, tok *a, int n) {
    const char *names[MAX_TOKS], *values[MAX_TOKS];
    char *copies[MAX_TOKS];
    double buckets[MAX_TOKS];
    size_t nl = 0, nb = 0;
    bool plain = false;
    uint32_t mode = 0;
    const char *as = NULL;
    char *states[MAX_TOKS];
    size_t ns = 0;
    for (int i = 2; i < n; i++) {
        if (strcmp(a[i].text, "as") == 0 && i + 1 < n) {
            as = a[++i].text;
        } else if (strncmp(a[i].text, "@mode=", 6) == 0) {
            mode = gauge_mode(a[i].text + 6);
        } else if (strncmp(a[i].text, "@states=", 8) == 0) {
            /* Split on commas, keeping empty states ("a," is "a" and ""). */
            for (const char *s = a[i].text + 8;;) {
                const char *comma = strchr(s, ',');
                size_t l = comma ? (size_t)(comma - s) : strlen(s);
                states[ns++] = strndup(s, l);
                if (!comma) break;
                s = comma + 1;
            }
        } else if (strncmp(a[i].text, "@buckets=", 9) == 0) {
            plain = true;
            for (char *s = a[i].text + 9; *s;) {
                buckets[nb++] = strtod(s, &s);
                if (*s == ',') s++;
            }
        } else {
            char *eq = strchr(a[i].text, '=');
            copies[nl] = strndup(a[i].text, (size_t)(eq - a[i].text));
            names[nl] = copies[nl];
            values[nl++] = eq + 1;
        }
    }
    result res = {0};
    void *h = NULL;
    kind k;
    const char *name = a[0].text, *help = a[1].text;
    const double scale = plain ? 1.0 : 0.0;
    if (rk == K_SREG) {
        if (strcmp(kind_name, "counter") == 0) {
            k = K_COUNTER;
            res.st = ap_shared_registry_counter(r, name, help, names, values, nl, (ap_counter **)&h);
        } else if (strcmp(kind_name, "gauge") == 0) {
            k = K_GAUGE;
            res.st = ap_shared_registry_gauge(r, name, help, names, values, nl, mode, (ap_gauge **)&h);
        } else if (strcmp(kind_name, "timer") == 0) {
            k = K_TIMER;
            res.st = ap_shared_registry_timer(r, name, help, names, values, nl, (ap_timer **)&h);
        } else {
            k = K_HIST;
            res.st = ap_shared_registry_histogram(r, name, help, names, values, nl, buckets, nb, scale,
                                                  (ap_histogram **)&h);
        }
    } else if (strcmp(kind_name, "counter") == 0) {
        k = K_COUNTER;
        res.st = ap_registry_counter(r, name, help, names, values, nl, (ap_counter **)&h);
    } else if (strcmp(kind_name, "gauge") == 0) {
        k = K_GAUGE;
        res.st = ap_registry_gauge(r, name, help, names, values, nl, (ap_gauge **)&h);
    } else if (strcmp(kind_name, "timer") == 0) {
        k = K_TIMER;
        res.st = ap_registry_timer(r, name, help, names, values, nl, (ap_timer **)&h);
    } else if (strcmp(kind_name, "minmax") == 0) {
        k = K_MINMAX;
        res.st = ap_registry_minmax(r, name, help, names, values, nl, (ap_minmax **)&h);
    } else if (strcmp(kind_name, "info") == 0) {
        k = K_INFO;
        res.st = ap_registry_info(r, name, help, names, values, nl, (ap_info **)&h);
    } else if (strcmp(kind_name, "enum") == 0) {
        k = K_ENUM;
        res.st = ap_registry_enum(r, name, help, names, values, nl, (const char *const *)states, ns,
                                  (ap_enum **)&h);
    } else {
        k = K_HIST;
        res.st = ap_registry_histogram(r, name, help, names, values, nl, buckets, nb, scale,
                                       (ap_histogram **)&h);
    }
    for (size_t i = 0; i < nl; i++) free(copies[i]);
    for (size_t i = 0; i < ns; i++) free(states[i]);
    if (res.st == AP_OK) {
        if (as) {
            bind(as, k, h);
        } else {
            var tmp = {strdup("tmp"), k, h};
            free_var(&tmp);
        }
    }
    return res;
}

static result create(const char *ty, tok *a, int n) {
    result r = {0};
    void *h = NULL;
    kind k;
    if (strcmp(ty, "counter") == 0) {
        k = K_COUNTER;
        r.st = ap_counter_new((ap_counter **)&h);
    } else if (strcmp(ty, "gauge") == 0) {
        k = K_GAUGE;
        r.st = ap_gauge_new(n > 1 ? f64(&a[1]) : 0.0, (ap_gauge **)&h);
    } else if (strcmp(ty, "minmax") == 0) {
        k = K_MINMAX;
        r.st = ap_minmax_new((ap_minmax **)&h);
    } else if (strcmp(ty, "histogram") == 0) {
        k = K_HIST;
        r.st = n > 1 ? ap_histogram_new_with_precision((uint32_t)u64(&a[1]), u64(&a[2]), (ap_histogram **)&h)
                     : ap_histogram_new((ap_histogram **)&h);
    } else if (strcmp(ty, "timer") == 0) {
        k = K_TIMER;
        r.st = ap_timer_new((ap_timer **)&h);
    } else if (strcmp(ty, "registry") == 0) {
        k = K_REG;
        r.st = ap_registry_new((ap_registry **)&h);
    } else if (strcmp(ty, "shared") == 0) {
        /* A new segment in the temporary directory; its file is removed at once (the registry
         * keeps working). */
        static unsigned next;
        ap_shared_options opts = {0};
        for (int i = 1; i < n; i++)
            if (strncmp(a[i].text, "max_series=", 11) == 0) opts.max_series = (uint32_t)strtoul(a[i].text + 11, NULL, 10);
        char path[256];
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/atomicperf-conformance-c-%ld-%u", tmp && *tmp ? tmp : "/tmp",
                 (long)getpid(), next++);
        k = K_SREG;
        r.st = ap_shared_registry_open(path, &opts, (ap_shared_registry **)&h);
        unlink(path);
    } else if (strcmp(ty, "native") == 0) {
        ap_native_options o;
        ap_native_options_default(&o);
        if (n > 1) o.schema = (int32_t)i64(&a[1]);
        k = K_NATIVE;
        r.st = ap_native_histogram_new(&o, (ap_native_histogram **)&h);
    } else if (strcmp(ty, "ledger") == 0) {
        k = K_LEDGER;
        r.st = ap_ledger_new((ap_ledger **)&h);
    } else if (strcmp(ty, "oncemap") == 0) {
        k = K_ONCE;
        r.st = ap_once_map_new((ap_once_map **)&h);
    } else if (strcmp(ty, "cell") == 0) {
        k = K_CELL;
        r.st = ap_snapshot_cell_new(key(&a[1]), strlen(a[1].text), (ap_snapshot_cell **)&h);
    } else if (strcmp(ty, "map") == 0) {
        k = K_MAP;
        r.st = ap_map_new(n > 1 ? (size_t)u64(&a[1]) : 0, (ap_map **)&h);
    } else {
        fprintf(stderr, "conformance: unknown type %s\n", ty);
        exit(2);
    }
    if (r.st == AP_OK) bind(a[0].text, k, h);
    return r;
}

#define IS(s) (strcmp(op, s) == 0)

static result call(var *v, const char *op, tok *a, int n) {
    result r = {0};
    uint64_t u = 0;
    int64_t i = 0;
    double f = 0;
    size_t len = 0;
    bool b = false;
    static uint8_t buf[BUF];
    void *h = v->h;
    switch (v->k) {
    case K_COUNTER:
        if (IS("add")) r.st = ap_counter_add(h, u64(&a[0]));
        else if (IS("inc")) r.st = ap_counter_inc(h);
        else if (IS("get")) return r.st = ap_counter_get(h, &u), r.k = R_U64, r.u = u, r;
        else if (IS("add_exemplar")) {
            const char *names[MAX_TOKS], *values[MAX_TOKS];
            size_t nl = pairs(a + 1, n - 1, names, values);
            r.st = ap_counter_add_with_exemplar(h, u64(&a[0]), names, values, nl, NAN);
            free_pairs(names, nl);
        } else break;
        return r;
    case K_GAUGE:
        if (IS("set")) r.st = ap_gauge_set(h, f64(&a[0]));
        else if (IS("add")) r.st = ap_gauge_add(h, f64(&a[0]));
        else if (IS("sub")) r.st = ap_gauge_sub(h, f64(&a[0]));
        else if (IS("inc")) r.st = ap_gauge_inc(h);
        else if (IS("dec")) r.st = ap_gauge_dec(h);
        else if (IS("set_max")) r.st = ap_gauge_set_max(h, f64(&a[0]));
        else if (IS("set_min")) r.st = ap_gauge_set_min(h, f64(&a[0]));
        else if (IS("get")) return r.st = ap_gauge_get(h, &f), r.k = R_F64, r.f = f, r;
        else break;
        return r;
    case K_MINMAX:
        if (IS("record")) r.st = ap_minmax_record(h, u64(&a[0]));
        else if (IS("reset")) r.st = ap_minmax_reset(h);
        else if (IS("min")) return stat_u64(ap_minmax_min(h, &u), &u);
        else if (IS("max")) return stat_u64(ap_minmax_max(h, &u), &u);
        else break;
        return r;
    case K_HIST:
        if (IS("record")) r.st = ap_histogram_record(h, u64(&a[0]));
        else if (IS("record_n")) r.st = ap_histogram_record_n(h, u64(&a[0]), u64(&a[1]));
        else if (IS("record_exemplar")) {
            const char *names[MAX_TOKS], *values[MAX_TOKS];
            size_t nl = pairs(a + 1, n - 1, names, values);
            r.st = ap_histogram_record_with_exemplar(h, u64(&a[0]), names, values, nl, NAN);
            free_pairs(names, nl);
        }
        else if (IS("reset")) r.st = ap_histogram_reset(h);
        else if (IS("count")) return stat_u64(ap_histogram_count(h, &u), &u);
        else if (IS("sum")) return stat_u64(ap_histogram_sum(h, &u), &u);
        else if (IS("min")) return stat_u64(ap_histogram_min(h, &u), &u);
        else if (IS("max")) return stat_u64(ap_histogram_max(h, &u), &u);
        else if (IS("overflow_count")) return stat_u64(ap_histogram_overflow_count(h, &u), &u);
        else if (IS("quantile")) return stat_u64(ap_histogram_quantile(h, f64(&a[0]), &u), &u);
        else if (IS("mean")) {
            r.st = ap_histogram_mean(h, &f);
            if (r.st == AP_ERR_EMPTY) return (result){.k = R_NONE};
            return r.k = R_F64, r.f = f, r;
        } else break;
        return r;
    case K_TIMER: {
        if (IS("record")) return r.st = ap_timer_record(h, u64(&a[0]), strcmp(a[1].text, "ok") == 0), r;
        if (IS("quantile")) return stat_u64(ap_timer_quantile(h, f64(&a[0]), &u), &u);
        ap_timer_stats s;
        r.st = ap_timer_snapshot(h, &s);
        r.k = R_U64;
        if (IS("count")) r.u = s.count;
        else if (IS("errors")) r.u = s.errors;
        else if (IS("total")) r.u = s.total_ns;
        else if (IS("min")) r.u = s.min_ns, r.k = s.count ? R_U64 : R_NONE;
        else if (IS("max")) r.u = s.max_ns, r.k = s.count ? R_U64 : R_NONE;
        else break;
        return r;
    }
    case K_REG:
        if (IS("export")) {
            uint32_t fmt = strcmp(a[0].text, "openmetrics") == 0 ? AP_FORMAT_OPENMETRICS : AP_FORMAT_PROMETHEUS;
            r.st = ap_registry_export(h, fmt, NULL, 0, &len);
            if (r.st != AP_ERR_BUFFER_TOO_SMALL && r.st != AP_OK) return r;
            char *text = malloc(len + 1);
            r.st = ap_registry_export(h, fmt, text, len + 1, &len);
            r.k = R_TEXT, r.bytes = text, r.len = len;
            return r;
        }
        if (IS("series_limit")) return r.st = ap_registry_set_series_limit(h, u64(&a[0])), r;
        if (IS("remove")) {
            const char *names[MAX_TOKS], *values[MAX_TOKS];
            size_t nl = pairs(a + 1, n - 1, names, values);
            uint8_t removed = 0;
            r.st = ap_registry_remove(h, a[0].text, names, values, nl, &removed);
            free_pairs(names, nl);
            return r.k = R_BOOL, r.b = removed != 0, r;
        }
        if (IS("clear_family")) return r.st = ap_registry_clear_family(h, a[0].text, &u), r.k = R_U64, r.u = u, r;
        if (IS("clear")) return r.st = ap_registry_clear(h, &u), r.k = R_U64, r.u = u, r;
        if (IS("series_count") || IS("refused_series")) {
            uint64_t series, limit, refused;
            r.st = ap_registry_series_stats(h, &series, &limit, &refused);
            return r.k = R_U64, r.u = IS("series_count") ? series : refused, r;
        }
        if (IS("negotiate")) {
            uint32_t f = 99;
            r.st = ap_negotiate(a[0].text, &f);
            const char *name = f == AP_FORMAT_PROMETHEUS ? "prometheus"
                             : f == AP_FORMAT_OPENMETRICS ? "openmetrics"
                             : f == AP_FORMAT_PROTOBUF ? "protobuf" : "?";
            return r.st ? r : copy_bytes((const uint8_t *)name, strlen(name), R_BYTES);
        }
        return reg(h, K_REG, op, a, n);
    case K_INFO:
        if (IS("set")) {
            const char *names[MAX_TOKS], *values[MAX_TOKS];
            size_t nl = pairs(a, n, names, values);
            r.st = ap_info_set(h, names, values, nl);
            free_pairs(names, nl);
            return r;
        }
        break;
    case K_ENUM:
        if (IS("set")) return r.st = ap_enum_set(h, a[0].text), r;
        if (IS("get")) {
            size_t index = 0;
            r.st = ap_enum_get(h, (char *)buf, BUF, &len, &index);
            return r.st ? r : copy_bytes(buf, len, R_BYTES);
        }
        break;
    case K_SREG:
        if (IS("export")) {
            uint32_t fmt = strcmp(a[0].text, "openmetrics") == 0 ? AP_FORMAT_OPENMETRICS : AP_FORMAT_PROMETHEUS;
            r.st = ap_shared_registry_export(h, fmt, NULL, 0, &len);
            if (r.st != AP_ERR_BUFFER_TOO_SMALL && r.st != AP_OK) return r;
            char *text = malloc(len + 1);
            r.st = ap_shared_registry_export(h, fmt, text, len + 1, &len);
            r.k = R_TEXT, r.bytes = text, r.len = len;
            return r;
        }
        if (IS("series_count") || IS("refused_series") || IS("max_series")) {
            uint64_t series, max, refused;
            r.st = ap_shared_registry_series_stats(h, &series, &max, &refused);
            r.u = IS("series_count") ? series : IS("max_series") ? max : refused;
            return r.k = R_U64, r;
        }
        return reg(h, K_SREG, op, a, n);
    case K_NATIVE: {
        if (IS("record")) return r.st = ap_native_histogram_record(h, f64(&a[0])), r;
        if (IS("quantile")) {
            r.st = ap_native_histogram_quantile(h, f64(&a[0]), &f);
            if (r.st == AP_ERR_EMPTY) return (result){.k = R_NONE};
            return r.k = R_F64, r.f = f, r;
        }
        ap_native_stats s;
        static ap_native_bucket bk[4096];
        r.st = ap_native_histogram_snapshot(h, &s, bk, 4096, &len);
        r.k = R_U64;
        if (IS("count")) r.u = s.count;
        else if (IS("zero_count")) r.u = s.zero_count;
        else if (IS("nan_count")) r.u = s.nan_count;
        else if (IS("positive") || IS("negative")) {
            uint32_t negative = IS("negative");
            int32_t want = (int32_t)i64(&a[0]);
            for (size_t j = 0; j < len; j++)
                if (bk[j].negative == negative && bk[j].key == want) r.u = bk[j].count;
        } else break;
        return r;
    }
    case K_LEDGER:
        r.k = R_I64;
        if (IS("open")) r.st = ap_ledger_open(h, u64(&a[0]), n > 1 && strcmp(a[1].text, "overdraft") == 0), r.k = R_UNIT;
        else if (IS("deposit")) r.st = ap_ledger_deposit(h, u64(&a[0]), i64(&a[1]), &i), r.i = i;
        else if (IS("withdraw")) r.st = ap_ledger_withdraw(h, u64(&a[0]), i64(&a[1]), &i), r.i = i;
        else if (IS("transfer")) r.st = ap_ledger_transfer(h, u64(&a[0]), u64(&a[1]), i64(&a[2])), r.k = R_UNIT;
        else if (IS("balance")) r.st = ap_ledger_balance(h, u64(&a[0]), &i), r.i = i;
        else if (IS("total")) r.st = ap_ledger_total(h, &i), r.i = i;
        else break;
        return r;
    case K_ONCE:
        if (IS("init") || IS("fail")) {
            ap_once_ticket *t = NULL;
            r.st = ap_once_map_claim(h, key(&a[0]), strlen(a[0].text), UINT64_MAX, buf, BUF, &len, &t);
            if (r.st != AP_OK) return r;
            if (!t) return copy_bytes(buf, len, R_BYTES);
            if (IS("fail")) {
                ap_once_ticket_abandon(t);
                return (result){.k = R_FAILED};
            }
            r.st = ap_once_ticket_complete(t, key(&a[1]), strlen(a[1].text));
            return r.st ? r : copy_bytes(key(&a[1]), strlen(a[1].text), R_BYTES);
        }
        if (IS("get")) {
            r.st = ap_once_map_get(h, key(&a[0]), strlen(a[0].text), buf, BUF, &len, &b);
            return r.st || !b ? (r.k = R_NONE, r) : copy_bytes(buf, len, R_BYTES);
        }
        if (IS("remove")) return r.st = ap_once_map_remove(h, key(&a[0]), strlen(a[0].text), &b), r.k = R_BOOL, r.b = b, r;
        if (IS("len")) return r.st = ap_once_map_len(h, &len), r.k = R_U64, r.u = len, r;
        break;
    case K_CELL:
        r.k = R_U64;
        if (IS("load")) {
            r.st = ap_snapshot_cell_load(h, buf, BUF, &len, NULL);
            return r.st ? r : copy_bytes(buf, len, R_BYTES);
        }
        if (IS("revision")) r.st = ap_snapshot_cell_revision(h, &u);
        else if (IS("store")) r.st = ap_snapshot_cell_store(h, key(&a[0]), strlen(a[0].text), &u);
        else if (IS("cas")) r.st = ap_snapshot_cell_compare_and_store(h, u64(&a[0]), key(&a[1]), strlen(a[1].text), &u);
        else break;
        return r.u = u, r;
    case K_MAP:
        r.k = R_BOOL;
        if (IS("insert")) r.st = ap_map_insert(h, key(&a[0]), strlen(a[0].text), key(&a[1]), strlen(a[1].text), &b);
        else if (IS("remove")) r.st = ap_map_remove(h, key(&a[0]), strlen(a[0].text), &b);
        else if (IS("contains")) r.st = ap_map_contains(h, key(&a[0]), strlen(a[0].text), &b);
        else if (IS("len")) return r.st = ap_map_len(h, &len), r.k = R_U64, r.u = len, r;
        else if (IS("get")) {
            r.st = ap_map_get(h, key(&a[0]), strlen(a[0].text), buf, BUF, &len, &b);
            return r.st || !b ? (r.k = R_NONE, r) : copy_bytes(buf, len, R_BYTES);
        } else break;
        return r.b = b, r;
    }
    fprintf(stderr, "conformance: unknown operation %s.%s\n", v->name, op);
    exit(2);
}

/* The status's name: ap_status_str gives "NAME: text". */
static bool status_is(ap_status st, const char *name) {
    const char *s = ap_status_str(st);
    size_t n = strlen(name);
    return strncmp(s, name, n) == 0 && s[n] == ':';
}

static bool check(const result *r, const tok *want, int n, const char *text) {
    const char *w = want[0].text;
    if (r->st != AP_OK) return n > 1 && strcmp(w, "error") == 0 && status_is(r->st, want[1].text);
    if (want[0].quoted) return r->k == R_BYTES && r->len == strlen(w) && memcmp(r->bytes, w, r->len) == 0;
    if (strcmp(w, "ok") == 0) return true;
    if (strcmp(w, "none") == 0) return r->k == R_NONE;
    if (strcmp(w, "failed") == 0) return r->k == R_FAILED;
    if (strcmp(w, "text") == 0) return r->k == R_TEXT && strcmp(r->bytes, text) == 0;
    switch (r->k) {
    case R_BOOL: return strcmp(w, r->b ? "true" : "false") == 0;
    case R_U64: return w[0] != '-' && strtoull(w, NULL, 10) == r->u;
    case R_I64: return strtoll(w, NULL, 10) == r->i;
    case R_F64: {
        double d = strtod(w, NULL);
        return (isnan(d) && isnan(r->f)) || d == r->f;
    }
    default: return false;
    }
}

static void show(const result *r, char *out, size_t cap) {
    if (r->st != AP_OK) snprintf(out, cap, "error %s (%s)", ap_status_str(r->st), ap_last_error());
    else if (r->k == R_U64) snprintf(out, cap, "%" PRIu64, r->u);
    else if (r->k == R_I64) snprintf(out, cap, "%" PRId64, r->i);
    else if (r->k == R_F64) snprintf(out, cap, "%.17g", r->f);
    else if (r->k == R_BOOL) snprintf(out, cap, "%s", r->b ? "true" : "false");
    else if (r->k == R_NONE) snprintf(out, cap, "none");
    else if (r->k == R_FAILED) snprintf(out, cap, "failed");
    else if (r->k == R_BYTES || r->k == R_TEXT) snprintf(out, cap, "\"%s\"", r->bytes);
    else snprintf(out, cap, "nothing");
}

typedef struct {
    int line;
    char *src; /* the line, tokenized in place */
    tok toks[MAX_TOKS];
    int ntoks, arrow;
    char *text;
    size_t text_len;
} step;

static int cases, failures;

static void run_case(const char *file, const char *name, step *steps, int nsteps) {
    cases++;
    for (int s = 0; s < nsteps; s++) {
        step *st = &steps[s];
        int nop = st->arrow >= 0 ? st->arrow : st->ntoks;
        const char *head = st->toks[0].text;
        const char *dot = strchr(head, '.');
        result r;
        if (dot) {
            char varname[64];
            snprintf(varname, sizeof varname, "%.*s", (int)(dot - head), head);
            r = call(lookup(varname), dot + 1, st->toks + 1, nop - 1);
        } else {
            r = create(head, st->toks + 1, nop - 1);
        }
        bool ok = st->arrow >= 0 ? check(&r, st->toks + st->arrow + 1, st->ntoks - st->arrow - 1, st->text ? st->text : "")
                                 : r.st == AP_OK;
        if (!ok) {
            char got[256];
            show(&r, got, sizeof got);
            fprintf(stderr, "%s:%d: case %s: expected %s, got %s\n", file, st->line, name,
                    st->arrow >= 0 ? st->toks[st->arrow + 1].text : "success", got);
            if (r.k == R_TEXT) fprintf(stderr, "expected text:\n%sgot:\n%s", st->text ? st->text : "", r.bytes);
            failures++;
            free(r.bytes);
            break;
        }
        free(r.bytes);
    }
    clear_vars();
}

static void run_file(const char *dir, const char *file) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(2);
    }
    step *steps = NULL;
    int nsteps = 0, cap = 0, lineno = 0;
    char *name = NULL, *line = NULL;
    size_t linecap = 0;
    ssize_t got;
    while ((got = getline(&line, &linecap, f)) >= 0) {
        lineno++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = '\0';
        if (line[0] == '|') {
            step *st = &steps[nsteps - 1];
            const char *t = line[1] == ' ' ? line + 2 : line + 1;
            size_t n = strlen(t);
            st->text = realloc(st->text, st->text_len + n + 2);
            memcpy(st->text + st->text_len, t, n);
            st->text_len += n;
            st->text[st->text_len++] = '\n';
            st->text[st->text_len] = '\0';
            continue;
        }
        if (line[0] == '#' || strspn(line, " \t") == (size_t)got) continue;
        if (strncmp(line, "case ", 5) == 0) {
            if (name) run_case(file, name, steps, nsteps);
            for (int i = 0; i < nsteps; i++) free(steps[i].src), free(steps[i].text);
            nsteps = 0;
            free(name);
            name = strdup(line + 5);
            continue;
        }
        if (nsteps == cap) steps = realloc(steps, sizeof *steps * (size_t)(cap = cap ? cap * 2 : 16));
        step *st = &steps[nsteps++];
        memset(st, 0, sizeof *st);
        st->line = lineno;
        st->src = strdup(line);
        st->ntoks = tokenize(st->src, st->toks);
        st->arrow = -1;
        for (int i = 0; i < st->ntoks; i++)
            if (!st->toks[i].quoted && strcmp(st->toks[i].text, "->") == 0) st->arrow = i;
    }
    if (name) run_case(file, name, steps, nsteps);
    for (int i = 0; i < nsteps; i++) free(steps[i].src), free(steps[i].text);
    free(steps);
    free(name);
    free(line);
    fclose(f);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "../conformance/cases";
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return 1;
    }
    char *files[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".txt") == 0) files[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(files, (size_t)n, sizeof *files, by_name);
    for (int i = 0; i < n; i++) {
        run_file(dir, files[i]);
        free(files[i]);
    }
    if (cases < 150) {
        fprintf(stderr, "conformance: only %d cases found in %s\n", cases, dir);
        return 1;
    }
    printf("conformance: %d of %d cases passed\n", cases - failures, cases);
    return failures ? 1 : 0;
}
