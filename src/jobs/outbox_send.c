/* SPDX-License-Identifier: Apache-2.0 */
/* outbox_send.c — the outbox's transports over libcurl: email as an RFC 5322 message (Date,
 * Message-ID, MIME UTF-8 text in base64, extra headers such as List-Unsubscribe) by SMTP;
 * webhooks by HTTP POST signed per Standard Webhooks (webhook-id, webhook-timestamp,
 * webhook-signature); SMS by HTTP POST of {to, text} to the configured gateway. Also the
 * transport settings and the retry schedule. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outbox_int.h"

static long env_long(const char *name, long dflt, long lo, long hi)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return dflt;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    return errno || *end || n < lo || n > hi ? dflt : n;
}

static const char *env_str(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

void tt__outbox_cfg_load(struct tt__outbox_cfg *cfg)
{
    cfg->smtp_url = env_str("TUTELA_SMTP_URL", NULL);
    cfg->smtp_from = env_str("TUTELA_SMTP_FROM", "tutela@localhost");
    cfg->sms_url = env_str("TUTELA_SMS_GATEWAY_URL", NULL);
    cfg->timeout_s = env_long("TUTELA_OUTBOX_TIMEOUT_S", 10, 1, 300);
    cfg->backoff_s = env_long("TUTELA_OUTBOX_BACKOFF_S", 30, 1, 86400);
    cfg->backoff_cap_s = env_long("TUTELA_OUTBOX_BACKOFF_CAP_S", 6 * 3600, 1, 7 * 86400);
    cfg->max_attempts = (int)env_long("TUTELA_OUTBOX_MAX_ATTEMPTS", 10, 1, 100);
}

long tt__outbox_backoff(const struct tt__outbox_cfg *cfg, int attempts)
{
    long d = cfg->backoff_s;
    for (int i = 1; i < attempts && d < cfg->backoff_cap_s; i++)
        d *= 2;
    if (d > cfg->backoff_cap_s)
        d = cfg->backoff_cap_s;
    /* jitter: nodes and messages that failed together do not all come back together */
    long j = d / 2 + (long)randombytes_uniform((uint32_t)(d / 2 + 1));
    return j < 1 ? 1 : j;
}

/* ---- the sender ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct tt__outbox_sender {
    const struct tt__outbox_cfg *cfg;
    CURL *http;
    CURL *smtp;
};

struct tt__outbox_sender *tt__outbox_sender_new(const struct tt__outbox_cfg *cfg)
{
    pthread_once(&curl_once, curl_init);
    struct tt__outbox_sender *s = calloc(1, sizeof *s);
    if (s)
        s->cfg = cfg;
    return s;
}

void tt__outbox_sender_free(struct tt__outbox_sender *s)
{
    if (!s)
        return;
    curl_easy_cleanup(s->http);
    curl_easy_cleanup(s->smtp);
    free(s);
}

/* A growing buffer for the message text. */
struct buf {
    char *p;
    size_t len, cap;
    int failed;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 1024);
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = malloc(cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        if (b->p) {
            memcpy(p, b->p, b->len);
            sodium_memzero(b->p, b->cap);
            free(b->p);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_wipe(struct buf *b)
{
    if (b->p) {
        sodium_memzero(b->p, b->cap);
        free(b->p);
    }
    b->p = NULL;
    b->len = b->cap = 0;
}

static int is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

/* base64 of n bytes into b, in lines of 76 characters when wrap */
static void buf_b64(struct buf *b, const unsigned char *s, size_t n, int wrap)
{
    size_t chunk = wrap ? 57 : n; /* 57 bytes -> 76 characters */
    if (chunk == 0) {
        return;
    }
    char line[80];
    char *big = NULL;
    for (size_t off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;
        size_t enc = sodium_base64_ENCODED_LEN(k, sodium_base64_VARIANT_ORIGINAL);
        char *out = enc <= sizeof line ? line : (big = malloc(enc));
        if (!out) {
            b->failed = 1;
            return;
        }
        sodium_bin2base64(out, enc, s + off, k, sodium_base64_VARIANT_ORIGINAL);
        buf_str(b, out);
        if (wrap)
            buf_str(b, "\r\n");
        free(big);
        big = NULL;
    }
}

/* The domain of an address ("a@b.example" -> "b.example"), or "tutela.local". */
static const char *domain_of(const char *addr)
{
    const char *at = strrchr(addr, '@');
    return at && at[1] ? at + 1 : "tutela.local";
}

/* The RFC 5322 message for row and p into b. */
static void build_email(struct buf *b, const struct tt__outbox_cfg *cfg,
                        const struct tt_outbox_row *row, const struct tt__outbox_plain *p,
                        tt_time now)
{
    char date[64];
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
    buf_str(b, "Date: ");
    buf_str(b, date);
    buf_str(b, "\r\nFrom: ");
    buf_str(b, cfg->smtp_from);
    buf_str(b, "\r\nTo: ");
    buf_str(b, p->to);
    buf_str(b, "\r\nSubject: ");
    const char *subject = p->subject ? p->subject : "";
    if (is_ascii(subject)) {
        buf_str(b, subject);
    } else { /* RFC 2047 encoded word */
        buf_str(b, "=?UTF-8?B?");
        buf_b64(b, (const unsigned char *)subject, strlen(subject), 0);
        buf_str(b, "?=");
    }
    buf_str(b, "\r\nMessage-ID: <");
    buf_str(b, row->id);
    buf_str(b, "@");
    buf_str(b, domain_of(cfg->smtp_from));
    buf_str(b, ">\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=UTF-8\r\n"
               "Content-Transfer-Encoding: base64\r\n");
    if (p->headers)
        buf_str(b, p->headers);
    buf_str(b, "\r\n");
    buf_b64(b, (const unsigned char *)p->body, strlen(p->body), 1);
}

struct reader {
    const char *p;
    size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t n, void *cls)
{
    struct reader *r = cls;
    size_t k = size * n < r->left ? size * n : r->left;
    memcpy(dst, r->p, k);
    r->p += k;
    r->left -= k;
    return k;
}

static size_t discard_cb(char *p, size_t size, size_t n, void *cls)
{
    (void)p;
    (void)cls;
    return size * n;
}

static void why_curl(char *why, size_t size, CURLcode rc)
{
    /* curl's generic messages name no host, address or body */
    snprintf(why, size, "curl %d %s", (int)rc, curl_easy_strerror(rc));
}

static int send_email(struct tt__outbox_sender *s, const struct tt_outbox_row *row,
                      const struct tt__outbox_plain *p, tt_time now, char *why, size_t why_size)
{
    if (!s->cfg->smtp_url) {
        snprintf(why, why_size, "smtp not configured");
        return -1;
    }
    if (!s->smtp && !(s->smtp = curl_easy_init())) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    struct buf b = {0};
    build_email(&b, s->cfg, row, p, now);
    char rcpt[TT_OUTBOX_TO_MAX + 3], from[512];
    snprintf(rcpt, sizeof rcpt, "<%s>", p->to);
    snprintf(from, sizeof from, "<%s>", s->cfg->smtp_from);
    struct curl_slist *to = curl_slist_append(NULL, rcpt);
    if (b.failed || !to) {
        curl_slist_free_all(to);
        buf_wipe(&b);
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    struct reader r = {b.p, b.len};
    CURL *h = s->smtp;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, s->cfg->smtp_url);
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &r);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)b.len);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, s->cfg->timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(to);
    sodium_memzero(rcpt, sizeof rcpt);
    buf_wipe(&b);
    if (rc != CURLE_OK) {
        why_curl(why, why_size, rc);
        return -1;
    }
    return 0;
}

int tt__outbox_sign(const char *secret, const char *id, long long timestamp, const char *body,
                    size_t body_len, char *out, size_t out_size)
{
    const char *b64 = strncmp(secret, "whsec_", 6) == 0 ? secret + 6 : secret;
    uint8_t key[256];
    size_t key_len = 0;
    if (sodium_base642bin(key, sizeof key, b64, strlen(b64), NULL, &key_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        key_len == 0)
        return -1;
    char head[TT_ID_MAX + 32];
    int n = snprintf(head, sizeof head, "%s.%lld.", id, timestamp);
    crypto_auth_hmacsha256_state st;
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)head, (unsigned long long)n);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, body_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(key, sizeof key);
    sodium_memzero(&st, sizeof st);
    size_t need = 3 + sodium_base64_ENCODED_LEN(sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    if (out_size < need)
        return -1;
    memcpy(out, "v1,", 3);
    sodium_bin2base64(out + 3, out_size - 3, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

/* POSTs body (JSON) to url with extra headers; 0 on a 2xx answer. */
static int post_json(struct tt__outbox_sender *s, const char *url, struct curl_slist *hdrs,
                     const char *body, char *why, size_t why_size)
{
    if (!s->http && !(s->http = curl_easy_init())) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    CURL *h = s->http;
    curl_easy_reset(h); /* keeps the connection cache: one keep-alive connection per receiver */
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, s->cfg->timeout_s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "tutela/" TT_VERSION);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        why_curl(why, why_size, rc);
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        snprintf(why, why_size, "http %ld", status);
        return -1;
    }
    return 0;
}

static int send_webhook(struct tt__outbox_sender *s, const struct tt_outbox_row *row,
                        const struct tt__outbox_plain *p, tt_time now, char *why, size_t why_size)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char line[256];
    snprintf(line, sizeof line, "webhook-id: %s", row->id);
    h = h ? curl_slist_append(h, line) : NULL;
    snprintf(line, sizeof line, "webhook-timestamp: %lld", (long long)now);
    h = h ? curl_slist_append(h, line) : NULL;
    if (h && p->secret) {
        char sig[128];
        if (tt__outbox_sign(p->secret, row->id, (long long)now, p->body, strlen(p->body), sig,
                            sizeof sig) < 0) {
            curl_slist_free_all(h);
            snprintf(why, why_size, "bad webhook secret");
            return -1;
        }
        snprintf(line, sizeof line, "webhook-signature: %s", sig);
        h = curl_slist_append(h, line);
    }
    h = h ? curl_slist_append(h, "Expect:") : NULL; /* no 100-continue round trip */
    if (!h) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    int rc = post_json(s, p->to, h, p->body, why, why_size);
    curl_slist_free_all(h);
    return rc;
}

static int send_sms(struct tt__outbox_sender *s, const struct tt__outbox_plain *p, char *why,
                    size_t why_size)
{
    if (!s->cfg->sms_url) {
        snprintf(why, why_size, "sms gateway not configured");
        return -1;
    }
    json_t *o = json_pack("{s:s, s:s}", "to", p->to, "text", p->body);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    int rc = -1;
    if (body && h)
        rc = post_json(s, s->cfg->sms_url, h, body, why, why_size);
    else
        snprintf(why, why_size, "out of memory");
    curl_slist_free_all(h);
    if (body) {
        sodium_memzero(body, strlen(body));
        free(body);
    }
    return rc;
}

int tt__outbox_send(struct tt__outbox_sender *s, const struct tt_outbox_row *row,
                    const struct tt__outbox_plain *p, tt_time now, char *why, size_t why_size)
{
    why[0] = '\0';
    switch (row->channel) {
    case TT_OUTBOX_EMAIL:
        return send_email(s, row, p, now, why, why_size);
    case TT_OUTBOX_WEBHOOK:
        return send_webhook(s, row, p, now, why, why_size);
    case TT_OUTBOX_SMS:
        return send_sms(s, p, why, why_size);
    default:
        snprintf(why, why_size, "unknown channel");
        return -1;
    }
}
