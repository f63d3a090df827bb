/* SPDX-License-Identifier: Apache-2.0 */
/* metrics.c — per-route request counters and latency histograms (lock-free atomics, updated on
 * every request) and a small process-wide registry of counters and gauges other modules publish;
 * both rendered as Prometheus text format 0.0.4 for GET /metrics. */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"

static const double bucket_le[TT__LATENCY_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0};

int tt__metrics_init(struct tt__metrics *m, const struct tt_route *routes)
{
    size_t n = 0;
    while (routes && routes[n].method)
        n++;
    m->routes = routes;
    m->n_routes = n;
    m->slots = calloc(n + 2, sizeof *m->slots);
    return m->slots ? 0 : -TT_E_NOMEM;
}

void tt__metrics_free(struct tt__metrics *m)
{
    if (!m)
        return;
    free(m->slots);
    m->slots = NULL;
}

void tt__metrics_observe(struct tt__metrics *m, size_t slot, int status, double seconds)
{
    if (!m || !m->slots || slot > TT__SLOT_UNMATCHED(m))
        return;
    struct tt__route_stats *st = &m->slots[slot];
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        atomic_fetch_add_explicit(&st->by_class[cls - 1], 1, memory_order_relaxed);
    if (!(seconds >= 0))
        seconds = 0;
    size_t b = 0;
    while (b < TT__LATENCY_BUCKETS && seconds > bucket_le[b])
        b++;
    atomic_fetch_add_explicit(&st->buckets[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->sum_us, (uint_least64_t)(seconds * 1e6), memory_order_relaxed);
    atomic_fetch_add_explicit(&st->count, 1, memory_order_relaxed);
}

/* --- growing text buffer ---------------------------------------------------------------------*/

struct sbuf {
    char *p;
    size_t len, cap;
    int failed;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

/* A label value with Prometheus escaping (backslash, quote, newline). */
static void sb_label_value(struct sbuf *b, const char *s)
{
    sb_add(b, "\"");
    for (; s && *s; s++) {
        if (*s == '\\')
            sb_add(b, "\\\\");
        else if (*s == '"')
            sb_add(b, "\\\"");
        else if (*s == '\n')
            sb_add(b, "\\n");
        else
            sb_add(b, "%c", *s);
    }
    sb_add(b, "\"");
}

static void sb_double(struct sbuf *b, double v)
{
    if (isnan(v))
        sb_add(b, "NaN");
    else if (isinf(v))
        sb_add(b, v > 0 ? "+Inf" : "-Inf");
    else
        sb_add(b, "%.17g", v);
}

static void slot_labels(struct sbuf *b, const struct tt__metrics *m, size_t slot)
{
    const char *route, *method;
    if (slot < m->n_routes) {
        route = m->routes[slot].pattern;
        method = m->routes[slot].method;
    } else if (slot == TT__SLOT_STATIC(m)) {
        route = "/web/{file}";
        method = "GET";
    } else {
        route = "unmatched";
        method = "any";
    }
    sb_add(b, "route=");
    sb_label_value(b, route);
    sb_add(b, ",method=");
    sb_label_value(b, method);
}

static void render_routes(struct sbuf *b, const struct tt__metrics *m)
{
    static const char *const classes[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    sb_add(b, "# HELP tutela_http_requests_total HTTP requests by route, method and status "
              "class.\n# TYPE tutela_http_requests_total counter\n");
    for (size_t s = 0; s <= TT__SLOT_UNMATCHED(m); s++) {
        for (int c = 0; c < 5; c++) {
            uint_least64_t v = atomic_load_explicit(&m->slots[s].by_class[c], memory_order_relaxed);
            if (v == 0)
                continue;
            sb_add(b, "tutela_http_requests_total{");
            slot_labels(b, m, s);
            sb_add(b, ",code=\"%s\"} %llu\n", classes[c], (unsigned long long)v);
        }
    }
    sb_add(b, "# HELP tutela_http_request_duration_seconds Time from request line to response "
              "sent.\n# TYPE tutela_http_request_duration_seconds histogram\n");
    for (size_t s = 0; s <= TT__SLOT_UNMATCHED(m); s++) {
        const struct tt__route_stats *st = &m->slots[s];
        /* read the buckets first: count and sum then never fall behind them */
        uint_least64_t counts[TT__LATENCY_BUCKETS + 1], cum = 0;
        for (size_t i = 0; i <= TT__LATENCY_BUCKETS; i++)
            counts[i] = atomic_load_explicit(&st->buckets[i], memory_order_relaxed);
        uint_least64_t total = 0;
        for (size_t i = 0; i <= TT__LATENCY_BUCKETS; i++)
            total += counts[i];
        if (total == 0)
            continue;
        for (size_t i = 0; i <= TT__LATENCY_BUCKETS; i++) {
            cum += counts[i];
            sb_add(b, "tutela_http_request_duration_seconds_bucket{");
            slot_labels(b, m, s);
            if (i < TT__LATENCY_BUCKETS)
                sb_add(b, ",le=\"%g\"} %llu\n", bucket_le[i], (unsigned long long)cum);
            else
                sb_add(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        uint_least64_t sum_us = atomic_load_explicit(&st->sum_us, memory_order_relaxed);
        sb_add(b, "tutela_http_request_duration_seconds_sum{");
        slot_labels(b, m, s);
        sb_add(b, "} %.6f\n", (double)sum_us / 1e6);
        sb_add(b, "tutela_http_request_duration_seconds_count{");
        slot_labels(b, m, s);
        sb_add(b, "} %llu\n", (unsigned long long)cum);
    }
}

/* --- the registry ----------------------------------------------------------------------------*/

#define REG_SERIES_MAX 512
#define REG_HELP_MAX 128
#define REG_NAME_MAX 128
#define REG_LABELS_MAX 256

enum series_type { SERIES_COUNTER = 1, SERIES_GAUGE = 2 };

struct series {
    char name[REG_NAME_MAX];
    char labels[REG_LABELS_MAX];
    enum series_type type;
    double value;
};

struct help {
    char name[REG_NAME_MAX];
    char text[256];
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct series reg[REG_SERIES_MAX];
static size_t reg_n;
static struct help reg_help[REG_HELP_MAX];
static size_t reg_help_n;

static int name_ok(const char *s)
{
    if (!s || !*s || strlen(s) >= REG_NAME_MAX)
        return 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
            return 0;
    }
    return 1;
}

/* name="value"(,name="value")* with \\ \" \n escapes only; "" is fine. */
static int labels_ok(const char *s)
{
    if (!s || strlen(s) >= REG_LABELS_MAX)
        return 0;
    size_t i = 0;
    while (s[i]) {
        size_t start = i;
        while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
               (i > start && s[i] >= '0' && s[i] <= '9'))
            i++;
        if (i == start || s[i] != '=' || s[i + 1] != '"')
            return 0;
        i += 2;
        while (s[i] && s[i] != '"') {
            if (s[i] == '\n')
                return 0;
            if (s[i] == '\\') {
                if (s[i + 1] != '\\' && s[i + 1] != '"' && s[i + 1] != 'n')
                    return 0;
                i++;
            }
            i++;
        }
        if (s[i] != '"')
            return 0;
        i++;
        if (s[i] == ',')
            i++;
        else if (s[i])
            return 0;
    }
    return i == 0 || s[i - 1] == '"';
}

static int reg_update(const char *name, const char *labels, double value, enum series_type type)
{
    if (!labels)
        labels = "";
    if (!name_ok(name) || !labels_ok(labels) || !isfinite(value) ||
        (type == SERIES_COUNTER && value < 0))
        return -TT_E_BAD_PARAM;
    int rc = 0;
    pthread_mutex_lock(&reg_lock);
    struct series *hit = NULL;
    for (size_t i = 0; i < reg_n; i++) {
        if (strcmp(reg[i].name, name) != 0)
            continue;
        if (reg[i].type != type) {
            rc = -TT_E_BAD_PARAM;
            goto out;
        }
        if (strcmp(reg[i].labels, labels) == 0) {
            hit = &reg[i];
            break;
        }
    }
    if (!hit) {
        if (reg_n == REG_SERIES_MAX) {
            rc = -TT_E_NOMEM;
            goto out;
        }
        hit = &reg[reg_n++];
        snprintf(hit->name, sizeof hit->name, "%s", name);
        snprintf(hit->labels, sizeof hit->labels, "%s", labels);
        hit->type = type;
        hit->value = 0;
    }
    if (type == SERIES_COUNTER)
        hit->value += value;
    else
        hit->value = value;
out:
    pthread_mutex_unlock(&reg_lock);
    return rc;
}

int tt_metrics_counter_add(const char *name, const char *labels, double value)
{
    return reg_update(name, labels, value, SERIES_COUNTER);
}

int tt_metrics_gauge_set(const char *name, const char *labels, double value)
{
    return reg_update(name, labels, value, SERIES_GAUGE);
}

int tt_metrics_describe(const char *name, const char *help)
{
    if (!name_ok(name) || !help || strlen(help) >= sizeof reg_help[0].text || strchr(help, '\n') ||
        strchr(help, '\\'))
        return -TT_E_BAD_PARAM;
    int rc = 0;
    pthread_mutex_lock(&reg_lock);
    size_t i = 0;
    while (i < reg_help_n && strcmp(reg_help[i].name, name) != 0)
        i++;
    if (i == reg_help_n) {
        if (reg_help_n == REG_HELP_MAX) {
            rc = -TT_E_NOMEM;
            goto out;
        }
        reg_help_n++;
    }
    snprintf(reg_help[i].name, sizeof reg_help[i].name, "%s", name);
    snprintf(reg_help[i].text, sizeof reg_help[i].text, "%s", help);
out:
    pthread_mutex_unlock(&reg_lock);
    return rc;
}

void tt__metrics_registry_reset(void)
{
    pthread_mutex_lock(&reg_lock);
    reg_n = 0;
    reg_help_n = 0;
    pthread_mutex_unlock(&reg_lock);
}

static void render_registry(struct sbuf *b)
{
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < reg_n; i++) {
        int first = 1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(reg[j].name, reg[i].name) == 0)
                first = 0;
        if (!first)
            continue;
        for (size_t h = 0; h < reg_help_n; h++)
            if (strcmp(reg_help[h].name, reg[i].name) == 0)
                sb_add(b, "# HELP %s %s\n", reg[i].name, reg_help[h].text);
        sb_add(b, "# TYPE %s %s\n", reg[i].name,
               reg[i].type == SERIES_COUNTER ? "counter" : "gauge");
        for (size_t j = i; j < reg_n; j++) {
            if (strcmp(reg[j].name, reg[i].name) != 0)
                continue;
            if (reg[j].labels[0])
                sb_add(b, "%s{%s} ", reg[j].name, reg[j].labels);
            else
                sb_add(b, "%s ", reg[j].name);
            sb_double(b, reg[j].value);
            sb_add(b, "\n");
        }
    }
    pthread_mutex_unlock(&reg_lock);
}

char *tt__metrics_render(const struct tt__metrics *m, size_t *len)
{
    struct sbuf b = {0};
    sb_add(&b, "%s", "");
    if (m && m->slots)
        render_routes(&b, m);
    render_registry(&b);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.p;
}
