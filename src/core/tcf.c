/* SPDX-License-Identifier: Apache-2.0 */
/* tcf.c — IAB TCF v2.2 TC string codec (core/, pure: no I/O, no allocation, no state).
 * Decoding streams base64url characters through a 64-bit bit reader straight into the caller's
 * model; encoding streams bits through a writer that emits base64url characters into the
 * caller's buffer. Field order, padding and vendor encoding choices follow @iabtcf/core 1.5. */
#include <string.h>

#include "core/error.h"
#include "core/tcf.h"

/* base64url value + 1 of each character; 0 = not base64url */
static const uint8_t B64_REV[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16,
    ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
    ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
    ['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['-'] = 63, ['_'] = 64};
static const char B64_DICT[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#define PAD_LCM 24 /* @iabtcf/core pads each segment to a multiple of 24 bits (4 characters) */
#define RANGE_ENTRIES_MAX 4095 /* NumEntries is 12 bits */

enum seg_type { SEG_CORE = 0, SEG_DISCLOSED = 1, SEG_ALLOWED = 2, SEG_PUBLISHER_TC = 3 };

/* ---- bit reader over one segment's characters ---- */

struct br {
    const unsigned char *s, *end;
    uint64_t acc;  /* the low nacc bits are unread bits */
    unsigned nacc; /* 0..63 */
    int err;       /* first error: negative code */
    const char *why;
};

static void br_fail(struct br *r, int code, const char *why)
{
    if (!r->err) {
        r->err = code;
        r->why = why;
    }
}

static void br_fill(struct br *r)
{
    while (r->nacc <= 58 && r->s < r->end) {
        uint8_t v = B64_REV[*r->s];
        if (!v) {
            br_fail(r, -TT_E_TCF_MALFORMED, "a character is not base64url (A-Z a-z 0-9 - _)");
            r->s = r->end;
            return;
        }
        r->s++;
        r->acc = (r->acc << 6) | (uint64_t)(v - 1);
        r->nacc += 6;
    }
}

/* Reads n (1..36) bits, MSB first; 0 after an error (the error sticks). */
static uint64_t br_read(struct br *r, unsigned n)
{
    if (r->nacc < n) {
        br_fill(r);
        if (r->nacc < n) {
            br_fail(r, -TT_E_TCF_MALFORMED, "truncated: the string ends inside a field");
            r->nacc = 0;
            return 0;
        }
    }
    r->nacc -= n;
    return (r->acc >> r->nacc) & ((UINT64_C(1) << n) - 1);
}

/* After the last field: what is left is padding, and must be zero bits. Its length is not
 * limited: @iabtcf/core pads to 24 bits, other encoders to a byte, and strings in the wild
 * carry whole zero characters more. */
static void br_finish(struct br *r)
{
    if (r->err)
        return;
    for (;;) {
        if (r->acc & ((UINT64_C(1) << r->nacc) - 1)) {
            br_fail(r, -TT_E_TCF_MALFORMED, "trailing data: nonzero bits after the last field");
            return;
        }
        r->nacc = 0;
        if (r->s == r->end)
            return;
        br_fill(r);
        if (r->err)
            return;
    }
}

/* ---- vendor sets ---- */

static inline int vbit(const uint8_t *b, unsigned id)
{
    return (b[id >> 3] >> (7 - (id & 7))) & 1;
}

int tutela_tcf_vendor_has(const struct tt_tcf_vendors *v, unsigned id)
{
    if (!v || id == 0 || id > v->max_vendor_id)
        return 0;
    return vbit(v->bits, id);
}

int tutela_tcf_vendor_set(struct tt_tcf_vendors *v, unsigned id)
{
    if (!v || id == 0 || id > TUTELA_TCF_MAX_VENDOR_ID)
        return -TT_E_BAD_PARAM;
    if (id > v->max_vendor_id) {
        unsigned from = v->max_vendor_id + 1;
        for (unsigned i = from; i <= id && (i & 7); i++)
            v->bits[i >> 3] &= (uint8_t) ~(0x80u >> (i & 7));
        unsigned first_byte = (from + 7) >> 3;
        if (first_byte <= (id >> 3))
            memset(v->bits + first_byte, 0, (id >> 3) - first_byte + 1);
        if (from == 1)
            v->bits[0] &= 0x7f;
        v->max_vendor_id = (uint16_t)id;
    }
    v->bits[id >> 3] |= (uint8_t)(0x80u >> (id & 7));
    return 0;
}

void tutela_tcf_vendors_clear(struct tt_tcf_vendors *v)
{
    if (!v)
        return;
    v->max_vendor_id = 0;
    v->range_encoded = 0;
    v->bits[0] = 0;
}

/* First id in [i, max] that is set (want 1) or clear (want 0); max + 1 when none. Whole bytes
 * are skipped (bits above max may be anything: a skip past max still answers max + 1). */
static unsigned next_bit(const uint8_t *b, unsigned i, unsigned max, int want)
{
    const uint8_t skip = want ? 0x00 : 0xff;
    while (i <= max) {
        if ((i & 7) == 0 && b[i >> 3] == skip) {
            i += 8;
            continue;
        }
        if (vbit(b, i) == want)
            return i;
        i++;
    }
    return max + 1;
}

static void read_vendors(struct br *r, struct tt_tcf_vendors *v)
{
    unsigned max = (unsigned)br_read(r, 16);
    unsigned is_range = (unsigned)br_read(r, 1);
    if (r->err)
        return;
    v->max_vendor_id = (uint16_t)max;
    v->range_encoded = (uint8_t)is_range;
    memset(v->bits, 0, (max >> 3) + 1);
    if (!is_range) {
        /* vendor 1..7 fill byte 0 after the unused bit of vendor 0, then whole bytes */
        unsigned k = max < 7 ? max : 7;
        if (k)
            v->bits[0] = (uint8_t)(br_read(r, k) << (7 - k));
        unsigned id = 8;
        while (id + 31 <= max) {
            uint32_t w = (uint32_t)br_read(r, 32);
            v->bits[(id >> 3) + 0] = (uint8_t)(w >> 24);
            v->bits[(id >> 3) + 1] = (uint8_t)(w >> 16);
            v->bits[(id >> 3) + 2] = (uint8_t)(w >> 8);
            v->bits[(id >> 3) + 3] = (uint8_t)w;
            id += 32;
        }
        while (id <= max) {
            unsigned rem = max - id + 1;
            unsigned n = rem < 8 ? rem : 8;
            v->bits[id >> 3] = (uint8_t)(br_read(r, n) << (8 - n));
            id += 8;
        }
        return;
    }
    unsigned n = (unsigned)br_read(r, 12);
    unsigned prev = 0;
    for (unsigned i = 0; i < n && !r->err; i++) {
        unsigned is_a_range = (unsigned)br_read(r, 1);
        unsigned start = (unsigned)br_read(r, 16);
        unsigned end = is_a_range ? (unsigned)br_read(r, 16) : start;
        if (r->err)
            return;
        if (start == 0)
            return br_fail(r, -TT_E_TCF_MALFORMED, "vendor id 0 in a range entry");
        if (end < start)
            return br_fail(r, -TT_E_TCF_MALFORMED, "a vendor range ends before it starts");
        if (start <= prev)
            return br_fail(r, -TT_E_TCF_MALFORMED, "vendor ranges out of order or overlapping");
        if (end > max)
            return br_fail(r, -TT_E_TCF_MALFORMED, "a vendor range goes past MaxVendorId");
        for (unsigned id = start; id <= end; id++)
            v->bits[id >> 3] |= (uint8_t)(0x80u >> (id & 7));
        prev = end;
    }
}

/* A fixed vector's first bit is id 1; the model keeps id i at bit i - 1 of a mask. */
static uint64_t rev_bits(uint64_t v, unsigned n)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < n; i++)
        r |= ((v >> i) & 1) << (n - 1 - i);
    return r;
}

static void read_lang(struct br *r, char out[3])
{
    unsigned a = (unsigned)br_read(r, 6), b = (unsigned)br_read(r, 6);
    if (r->err)
        return;
    if (a > 25 || b > 25)
        return br_fail(r, -TT_E_TCF_MALFORMED, "a language or country code letter is not A-Z");
    out[0] = (char)('A' + a);
    out[1] = (char)('A' + b);
    out[2] = '\0';
}

static void read_restrictions(struct br *r, struct tt_tcf_model *m)
{
    unsigned n = (unsigned)br_read(r, 12);
    m->n_restrictions = 0;
    m->n_restriction_ranges = 0;
    if (r->err)
        return;
    if (n > TUTELA_TCF_MAX_RESTRICTIONS)
        return br_fail(r, -TT_E_TCF_LIMIT, "more publisher restrictions than this codec holds");
    uint64_t seen[4] = {0, 0, 0, 0}; /* (purpose, type) pairs, bit purpose of word type */
    for (unsigned i = 0; i < n; i++) {
        unsigned purpose = (unsigned)br_read(r, 6);
        unsigned type = (unsigned)br_read(r, 2);
        unsigned entries = (unsigned)br_read(r, 12);
        if (r->err)
            return;
        if (purpose == 0)
            return br_fail(r, -TT_E_TCF_MALFORMED, "a publisher restriction names purpose 0");
        if (type > TT_TCF_RESTRICT_REQUIRE_LI)
            return br_fail(r, -TT_E_TCF_MALFORMED, "publisher restriction type 3 is undefined");
        if (seen[type] & (UINT64_C(1) << purpose))
            return br_fail(r, -TT_E_TCF_MALFORMED,
                           "a publisher restriction (purpose, type) appears twice");
        seen[type] |= UINT64_C(1) << purpose;
        if (m->n_restriction_ranges + entries > TUTELA_TCF_MAX_RESTRICTION_RANGES)
            return br_fail(r, -TT_E_TCF_LIMIT,
                           "more publisher restriction ranges than this codec holds");
        struct tt_tcf_restriction *g = &m->restrictions[i];
        g->purpose_id = (uint8_t)purpose;
        g->restriction_type = (uint8_t)type;
        g->first_range = m->n_restriction_ranges;
        g->n_ranges = (uint16_t)entries;
        unsigned prev = 0;
        for (unsigned j = 0; j < entries; j++) {
            unsigned is_a_range = (unsigned)br_read(r, 1);
            unsigned start = (unsigned)br_read(r, 16);
            unsigned end = is_a_range ? (unsigned)br_read(r, 16) : start;
            if (r->err)
                return;
            if (start == 0)
                return br_fail(r, -TT_E_TCF_MALFORMED, "vendor id 0 in a publisher restriction");
            if (end < start)
                return br_fail(r, -TT_E_TCF_MALFORMED,
                               "a publisher restriction range ends before it starts");
            if (start <= prev)
                return br_fail(r, -TT_E_TCF_MALFORMED,
                               "publisher restriction ranges out of order or overlapping");
            struct tt_tcf_range *rg = &m->restriction_ranges[m->n_restriction_ranges++];
            rg->start = (uint16_t)start;
            rg->end = (uint16_t)end;
            prev = end;
        }
        m->n_restrictions = (uint16_t)(i + 1);
    }
}

static void read_core(struct br *r, struct tt_tcf_model *m)
{
    m->created_ds = (int64_t)br_read(r, 36);
    m->last_updated_ds = (int64_t)br_read(r, 36);
    m->cmp_id = (uint16_t)br_read(r, 12);
    m->cmp_version = (uint16_t)br_read(r, 12);
    m->consent_screen = (uint8_t)br_read(r, 6);
    read_lang(r, m->consent_language);
    m->vendor_list_version = (uint16_t)br_read(r, 12);
    m->policy_version = (uint8_t)br_read(r, 6);
    m->is_service_specific = (uint8_t)br_read(r, 1);
    m->use_non_standard_texts = (uint8_t)br_read(r, 1);
    m->special_feature_optins = (uint16_t)rev_bits(br_read(r, 12), 12);
    m->purpose_consents = (uint32_t)rev_bits(br_read(r, 24), 24);
    m->purpose_legitimate_interests = (uint32_t)rev_bits(br_read(r, 24), 24);
    m->purpose_one_treatment = (uint8_t)br_read(r, 1);
    read_lang(r, m->publisher_cc);
    read_vendors(r, &m->vendor_consents);
    read_vendors(r, &m->vendor_legitimate_interests);
    read_restrictions(r, m);
}

static void read_publisher_tc(struct br *r, struct tt_tcf_publisher_tc *p)
{
    p->purpose_consents = (uint32_t)rev_bits(br_read(r, 24), 24);
    p->purpose_legitimate_interests = (uint32_t)rev_bits(br_read(r, 24), 24);
    p->num_custom_purposes = (uint8_t)br_read(r, 6);
    p->custom_purpose_consents = 0;
    p->custom_purpose_legitimate_interests = 0;
    unsigned n = p->num_custom_purposes;
    if (r->err || n == 0)
        return;
    /* the first custom purpose is the first bit read: bit 0 of the mask */
    uint64_t c = n > 32 ? (br_read(r, 32) << (n - 32)) | br_read(r, n - 32) : br_read(r, n);
    uint64_t l = n > 32 ? (br_read(r, 32) << (n - 32)) | br_read(r, n - 32) : br_read(r, n);
    p->custom_purpose_consents = rev_bits(c, n);
    p->custom_purpose_legitimate_interests = rev_bits(l, n);
}

#define LI_3_6_MASK 0x3cu /* purposes 3, 4, 5, 6 */

static uint32_t violations_of(const struct tt_tcf_model *m)
{
    uint32_t v = 0;
    uint32_t li = m->purpose_legitimate_interests;
    if (m->has_publisher_tc)
        li |= m->publisher_tc.purpose_legitimate_interests;
    if (li & 1u)
        v |= TUTELA_TCF_VIOLATION_PURPOSE1_LI;
    if (m->policy_version >= 4 && (li & LI_3_6_MASK))
        v |= TUTELA_TCF_VIOLATION_LI_3_6;
    return v;
}

int tutela_tcf_decode(const char *s, size_t len, struct tt_tcf_model *out, const char **reason)
{
    const char *why = NULL;
    int rc = 0;
    if (!s || !out) {
        rc = -TT_E_BAD_PARAM;
        why = "no string or no model";
        goto done;
    }
    if (len == 0 || len > TUTELA_TCF_STRING_MAX) {
        rc = -(len ? TT_E_TCF_LIMIT : TT_E_TCF_MALFORMED);
        why = len ? "the string is longer than this codec accepts" : "the string is empty";
        goto done;
    }
    out->has_disclosed_vendors = out->has_allowed_vendors = out->has_publisher_tc = 0;
    out->violations = 0;
    const char *p = s, *end = s + len;
    int first = 1;
    while (p <= end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *seg_end = dot ? dot : end;
        struct br r = {(const unsigned char *)p, (const unsigned char *)seg_end, 0, 0, 0, NULL};
        if (seg_end == p) {
            br_fail(&r, -TT_E_TCF_MALFORMED, "an empty segment");
        } else if (first) {
            unsigned version = (unsigned)br_read(&r, 6);
            if (!r.err && version != 2)
                br_fail(&r, -TT_E_TCF_VERSION,
                        "the core segment comes first and must be version 2 (TCF v2)");
            out->version = (uint8_t)version;
            if (!r.err)
                read_core(&r, out);
        } else {
            unsigned type = (unsigned)br_read(&r, 3);
            uint8_t *has = NULL;
            if (type == SEG_DISCLOSED)
                has = &out->has_disclosed_vendors;
            else if (type == SEG_ALLOWED)
                has = &out->has_allowed_vendors;
            else if (type == SEG_PUBLISHER_TC)
                has = &out->has_publisher_tc;
            if (r.err) {
            } else if (!has) {
                br_fail(&r, -TT_E_TCF_MALFORMED,
                        type == SEG_CORE ? "a second core segment" : "an unknown segment type");
            } else if (*has) {
                br_fail(&r, -TT_E_TCF_MALFORMED, "a segment type appears twice");
            } else {
                *has = 1;
                if (type == SEG_DISCLOSED)
                    read_vendors(&r, &out->disclosed_vendors);
                else if (type == SEG_ALLOWED)
                    read_vendors(&r, &out->allowed_vendors);
                else
                    read_publisher_tc(&r, &out->publisher_tc);
            }
        }
        br_finish(&r);
        if (r.err) {
            rc = r.err;
            why = r.why;
            goto done;
        }
        first = 0;
        if (!dot)
            break;
        p = dot + 1;
    }
    out->violations = violations_of(out);
done:
    if (rc && reason)
        *reason = why;
    return rc;
}

/* ---- bit writer emitting base64url characters ---- */

struct bw {
    char *out;
    size_t cap, len; /* len may pass cap: checked at the end */
    uint64_t acc;
    unsigned nacc;  /* 0..5 between calls */
    uint64_t nbits; /* bits of the current segment */
};

static inline void bw_put(struct bw *w, uint64_t v, unsigned n)
{
    w->acc = (w->acc << n) | v;
    w->nacc += n;
    w->nbits += n;
    while (w->nacc >= 6) {
        w->nacc -= 6;
        if (w->len < w->cap)
            w->out[w->len] = B64_DICT[(w->acc >> w->nacc) & 63];
        w->len++;
    }
}

static void bw_end_segment(struct bw *w)
{
    unsigned pad = (unsigned)((PAD_LCM - w->nbits % PAD_LCM) % PAD_LCM);
    if (pad)
        bw_put(w, 0, pad);
    w->nbits = 0;
}

/* The encoding @iabtcf/core's VendorVectorEncoder picks: ranges while its running estimate of
 * the range length (a single id counted as 16 bits) stays below the bitfield length, checked at
 * each id; *n_ranges is the number of entries. */
static int pick_range(const struct tt_tcf_vendors *v, unsigned *n_ranges)
{
    unsigned max = v->max_vendor_id;
    *n_ranges = 0;
    if (max <= 45) /* 2 × 16 + 1 + 12: shorter than any range encoding */
        return 0;
    const uint32_t bitfield_len = 17 + max;
    uint32_t range_len = 17 + 12;
    unsigned n = 0, last_end = 0;
    for (unsigned s = next_bit(v->bits, 1, max, 1); s <= max;) {
        unsigned e = next_bit(v->bits, s + 1, max, 0) - 1;
        if (range_len >= bitfield_len)
            return 0;
        if (s == e) {
            range_len += 16;
        } else {
            range_len += 17;
            if (range_len >= bitfield_len)
                return 0;
            range_len += 16;
        }
        n++;
        last_end = e;
        s = e + 1 <= max ? next_bit(v->bits, e + 1, max, 1) : max + 1;
    }
    if (last_end != max && range_len >= bitfield_len)
        return 0;
    if (n > RANGE_ENTRIES_MAX)
        return 0;
    *n_ranges = n;
    return 1;
}

static void put_vendors(struct bw *w, const struct tt_tcf_vendors *v)
{
    unsigned max = v->max_vendor_id, n = 0;
    bw_put(w, max, 16);
    if (pick_range(v, &n)) {
        bw_put(w, 1, 1);
        bw_put(w, n, 12);
        for (unsigned s = next_bit(v->bits, 1, max, 1); s <= max;) {
            unsigned e = next_bit(v->bits, s + 1, max, 0) - 1;
            bw_put(w, s != e, 1);
            bw_put(w, s, 16);
            if (s != e)
                bw_put(w, e, 16);
            s = e + 1 <= max ? next_bit(v->bits, e + 1, max, 1) : max + 1;
        }
        return;
    }
    bw_put(w, 0, 1);
    unsigned k = max < 7 ? max : 7;
    if (k)
        bw_put(w, (v->bits[0] & 0x7fu) >> (7 - k), k);
    unsigned id = 8;
    while (id + 31 <= max) {
        const uint8_t *b = v->bits + (id >> 3);
        bw_put(w, (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3], 32);
        id += 32;
    }
    while (id <= max) {
        unsigned rem = max - id + 1;
        unsigned nb = rem < 8 ? rem : 8;
        bw_put(w, (unsigned)v->bits[id >> 3] >> (8 - nb), nb);
        id += 8;
    }
}

/* 1 when the vendor list has an id strictly between b and c (no list: every id is in it). */
static int gvl_between(const struct tt_tcf_vendors *gvl, unsigned b, unsigned c)
{
    if (c <= b + 1)
        return 0;
    if (!gvl)
        return 1;
    unsigned hi = c - 1 < gvl->max_vendor_id ? c - 1 : gvl->max_vendor_id;
    return b + 1 <= hi && next_bit(gvl->bits, b + 1, hi, 1) <= hi;
}

/* Entries of a restriction after joining ranges with no vendor-list id between them; when out
 * is set, writes them. */
static unsigned put_restriction_ranges(struct bw *w, const struct tt_tcf_model *m,
                                       const struct tt_tcf_restriction *g,
                                       const struct tt_tcf_vendors *gvl)
{
    unsigned n = 0;
    const struct tt_tcf_range *rg = m->restriction_ranges + g->first_range;
    for (unsigned i = 0; i < g->n_ranges;) {
        unsigned start = rg[i].start, end = rg[i].end;
        unsigned j = i + 1;
        while (j < g->n_ranges && !gvl_between(gvl, end, rg[j].start)) {
            end = rg[j].end;
            j++;
        }
        if (w) {
            bw_put(w, start != end, 1);
            bw_put(w, start, 16);
            if (start != end)
                bw_put(w, end, 16);
        }
        n++;
        i = j;
    }
    return n;
}

static int lang_ok(const char *l)
{
    return l[0] >= 'A' && l[0] <= 'Z' && l[1] >= 'A' && l[1] <= 'Z' && l[2] == '\0';
}

static int check_model(const struct tt_tcf_model *m, const char **why)
{
#define REFUSE(code, text)                                                                         \
    do {                                                                                           \
        *why = text;                                                                               \
        return -(code);                                                                            \
    } while (0)
    const int64_t max36 = (INT64_C(1) << 36) - 1;
    if (m->version != 2)
        REFUSE(TT_E_TCF_VERSION, "version: only TCF version 2 is encoded");
    if (m->created_ds < 0 || m->created_ds > max36)
        REFUSE(TT_E_TCF_INVALID_MODEL, "created: outside 36 bits of deciseconds");
    if (m->last_updated_ds < 0 || m->last_updated_ds > max36)
        REFUSE(TT_E_TCF_INVALID_MODEL, "last_updated: outside 36 bits of deciseconds");
    if (m->cmp_id > 4095 || m->cmp_version > 4095 || m->vendor_list_version > 4095)
        REFUSE(TT_E_TCF_INVALID_MODEL, "cmp_id, cmp_version or vendor_list_version: over 4095");
    if (m->consent_screen > 63 || m->policy_version > 63)
        REFUSE(TT_E_TCF_INVALID_MODEL, "consent_screen or policy_version: over 63");
    if (m->is_service_specific > 1 || m->use_non_standard_texts > 1 || m->purpose_one_treatment > 1)
        REFUSE(TT_E_TCF_INVALID_MODEL, "a flag is neither 0 nor 1");
    if (!lang_ok(m->consent_language))
        REFUSE(TT_E_TCF_INVALID_MODEL, "consent_language: two capitals A-Z");
    if (!lang_ok(m->publisher_cc))
        REFUSE(TT_E_TCF_INVALID_MODEL, "publisher_cc: two capitals A-Z");
    if (m->special_feature_optins >> 12)
        REFUSE(TT_E_TCF_INVALID_MODEL, "special_feature_optins: ids 1-12 only");
    if ((m->purpose_consents | m->purpose_legitimate_interests) >> 24)
        REFUSE(TT_E_TCF_INVALID_MODEL, "purposes: ids 1-24 only");
    if (m->has_publisher_tc) {
        const struct tt_tcf_publisher_tc *p = &m->publisher_tc;
        if ((p->purpose_consents | p->purpose_legitimate_interests) >> 24)
            REFUSE(TT_E_TCF_INVALID_MODEL, "publisher_tc purposes: ids 1-24 only");
        if (p->num_custom_purposes > TUTELA_TCF_MAX_CUSTOM_PURPOSES)
            REFUSE(TT_E_TCF_INVALID_MODEL, "publisher_tc num_custom_purposes: over 63");
        uint64_t extra = ~((UINT64_C(1) << p->num_custom_purposes) - 1);
        if ((p->custom_purpose_consents | p->custom_purpose_legitimate_interests) & extra)
            REFUSE(TT_E_TCF_INVALID_MODEL,
                   "publisher_tc custom purposes: an id over num_custom_purposes");
    }
    uint32_t v = violations_of(m);
    if (v & TUTELA_TCF_VIOLATION_PURPOSE1_LI)
        REFUSE(TT_E_TCF_POLICY, "purpose_legitimate_interests: purpose 1 needs consent");
    if (v & TUTELA_TCF_VIOLATION_LI_3_6)
        REFUSE(TT_E_TCF_POLICY,
               "purpose_legitimate_interests: purposes 3-6 cannot be on legitimate interest "
               "(TCF 2.2)");
    if (m->n_restrictions > TUTELA_TCF_MAX_RESTRICTIONS ||
        m->n_restriction_ranges > TUTELA_TCF_MAX_RESTRICTION_RANGES)
        REFUSE(TT_E_TCF_LIMIT, "publisher_restrictions: more than this codec holds");
    for (unsigned i = 0; i < m->n_restrictions; i++) {
        const struct tt_tcf_restriction *g = &m->restrictions[i];
        if (g->purpose_id == 0 || g->purpose_id > 63)
            REFUSE(TT_E_TCF_INVALID_MODEL, "publisher_restrictions: purpose_id 1-63");
        if (g->restriction_type > TT_TCF_RESTRICT_REQUIRE_LI)
            REFUSE(TT_E_TCF_INVALID_MODEL, "publisher_restrictions: restriction_type 0-2");
        if ((unsigned)g->first_range + g->n_ranges > m->n_restriction_ranges)
            REFUSE(TT_E_TCF_INVALID_MODEL, "publisher_restrictions: ranges outside the model");
        for (unsigned j = i + 1; j < m->n_restrictions; j++) {
            if (m->restrictions[j].purpose_id == g->purpose_id &&
                m->restrictions[j].restriction_type == g->restriction_type)
                REFUSE(TT_E_TCF_INVALID_MODEL,
                       "publisher_restrictions: a (purpose_id, restriction_type) appears twice");
        }
        unsigned prev = 0;
        for (unsigned k = 0; k < g->n_ranges; k++) {
            const struct tt_tcf_range *rg = &m->restriction_ranges[g->first_range + k];
            if (rg->start == 0 || rg->end < rg->start || rg->start <= prev)
                REFUSE(TT_E_TCF_INVALID_MODEL,
                       "publisher_restrictions: vendor ranges must be ascending, disjoint, from 1");
            prev = rg->end;
        }
    }
    return 0;
#undef REFUSE
}

int tutela_tcf_encode(const struct tt_tcf_model *m, const struct tt_tcf_encode_opts *opts,
                      char *out, size_t out_size, size_t *out_len, const char **reason)
{
    const char *why = NULL;
    if (!m || !out || out_size == 0) {
        if (reason)
            *reason = "no model or no output buffer";
        return -TT_E_BAD_PARAM;
    }
    int rc = check_model(m, &why);
    if (rc) {
        if (reason)
            *reason = why;
        return rc;
    }
    const struct tt_tcf_vendors *gvl = opts ? opts->gvl_vendors : NULL;
    struct bw w = {out, out_size - 1, 0, 0, 0, 0};

    bw_put(&w, m->version, 6);
    bw_put(&w, (uint64_t)m->created_ds, 36);
    bw_put(&w, (uint64_t)m->last_updated_ds, 36);
    bw_put(&w, m->cmp_id, 12);
    bw_put(&w, m->cmp_version, 12);
    bw_put(&w, m->consent_screen, 6);
    bw_put(&w, (unsigned)(m->consent_language[0] - 'A'), 6);
    bw_put(&w, (unsigned)(m->consent_language[1] - 'A'), 6);
    bw_put(&w, m->vendor_list_version, 12);
    bw_put(&w, m->policy_version, 6);
    bw_put(&w, m->is_service_specific, 1);
    bw_put(&w, m->use_non_standard_texts, 1);
    bw_put(&w, rev_bits(m->special_feature_optins, 12), 12);
    bw_put(&w, rev_bits(m->purpose_consents, 24), 24);
    bw_put(&w, rev_bits(m->purpose_legitimate_interests, 24), 24);
    bw_put(&w, m->purpose_one_treatment, 1);
    bw_put(&w, (unsigned)(m->publisher_cc[0] - 'A'), 6);
    bw_put(&w, (unsigned)(m->publisher_cc[1] - 'A'), 6);
    put_vendors(&w, &m->vendor_consents);
    put_vendors(&w, &m->vendor_legitimate_interests);
    bw_put(&w, m->n_restrictions, 12);
    for (unsigned i = 0; i < m->n_restrictions; i++) {
        const struct tt_tcf_restriction *g = &m->restrictions[i];
        unsigned n = put_restriction_ranges(NULL, m, g, gvl);
        if (n > RANGE_ENTRIES_MAX) {
            if (reason)
                *reason = "publisher_restrictions: more than 4095 entries in one group";
            return -TT_E_TCF_LIMIT;
        }
        bw_put(&w, g->purpose_id, 6);
        bw_put(&w, g->restriction_type, 2);
        bw_put(&w, n, 12);
        put_restriction_ranges(&w, m, g, gvl);
    }
    bw_end_segment(&w);

    const struct tt_tcf_vendors *segs[2] = {m->has_disclosed_vendors ? &m->disclosed_vendors : NULL,
                                            m->has_allowed_vendors ? &m->allowed_vendors : NULL};
    for (unsigned i = 0; i < 2; i++) {
        if (!segs[i])
            continue;
        if (w.len < w.cap)
            out[w.len] = '.';
        w.len++;
        bw_put(&w, i == 0 ? SEG_DISCLOSED : SEG_ALLOWED, 3);
        put_vendors(&w, segs[i]);
        bw_end_segment(&w);
    }
    if (m->has_publisher_tc) {
        const struct tt_tcf_publisher_tc *p = &m->publisher_tc;
        if (w.len < w.cap)
            out[w.len] = '.';
        w.len++;
        bw_put(&w, SEG_PUBLISHER_TC, 3);
        bw_put(&w, rev_bits(p->purpose_consents, 24), 24);
        bw_put(&w, rev_bits(p->purpose_legitimate_interests, 24), 24);
        bw_put(&w, p->num_custom_purposes, 6);
        for (unsigned i = 0; i < p->num_custom_purposes; i++)
            bw_put(&w, (p->custom_purpose_consents >> i) & 1, 1);
        for (unsigned i = 0; i < p->num_custom_purposes; i++)
            bw_put(&w, (p->custom_purpose_legitimate_interests >> i) & 1, 1);
        bw_end_segment(&w);
    }
    if (w.len > w.cap) {
        if (reason)
            *reason = "the output buffer is too small for the string";
        return -TT_E_TCF_LIMIT;
    }
    out[w.len] = '\0';
    if (out_len)
        *out_len = w.len;
    return 0;
}

/* ---- helpers ---- */

static int vendors_equal(const struct tt_tcf_vendors *a, const struct tt_tcf_vendors *b)
{
    if (a->max_vendor_id != b->max_vendor_id)
        return 0;
    unsigned max = a->max_vendor_id;
    for (unsigned id = 1; id <= max; id++) {
        if ((id & 7) == 0 && id + 7 <= max) {
            if (a->bits[id >> 3] != b->bits[id >> 3])
                return 0;
            id += 7;
            continue;
        }
        if (vbit(a->bits, id) != vbit(b->bits, id))
            return 0;
    }
    return 1;
}

/* The next run of ids of an ascending range list, touching ranges joined ([1,3],[4,4] is 1-4);
 * 0 at the end. */
static int merged_run(const struct tt_tcf_range *r, unsigned n, unsigned *i, unsigned *s,
                      unsigned *e)
{
    if (*i >= n)
        return 0;
    *s = r[*i].start;
    *e = r[*i].end;
    for ((*i)++; *i < n && r[*i].start == *e + 1; (*i)++)
        *e = r[*i].end;
    return 1;
}

int tt_tcf_model_equal(const struct tt_tcf_model *a, const struct tt_tcf_model *b)
{
    if (a->version != b->version || a->created_ds != b->created_ds ||
        a->last_updated_ds != b->last_updated_ds || a->cmp_id != b->cmp_id ||
        a->cmp_version != b->cmp_version || a->consent_screen != b->consent_screen ||
        memcmp(a->consent_language, b->consent_language, 3) != 0 ||
        a->vendor_list_version != b->vendor_list_version ||
        a->policy_version != b->policy_version ||
        a->is_service_specific != b->is_service_specific ||
        a->use_non_standard_texts != b->use_non_standard_texts ||
        a->special_feature_optins != b->special_feature_optins ||
        a->purpose_consents != b->purpose_consents ||
        a->purpose_legitimate_interests != b->purpose_legitimate_interests ||
        a->purpose_one_treatment != b->purpose_one_treatment ||
        memcmp(a->publisher_cc, b->publisher_cc, 3) != 0)
        return 0;
    if (!vendors_equal(&a->vendor_consents, &b->vendor_consents) ||
        !vendors_equal(&a->vendor_legitimate_interests, &b->vendor_legitimate_interests))
        return 0;
    if (a->n_restrictions != b->n_restrictions)
        return 0;
    for (unsigned i = 0; i < a->n_restrictions; i++) {
        const struct tt_tcf_restriction *x = &a->restrictions[i], *y = &b->restrictions[i];
        if (x->purpose_id != y->purpose_id || x->restriction_type != y->restriction_type)
            return 0;
        const struct tt_tcf_range *p = a->restriction_ranges + x->first_range;
        const struct tt_tcf_range *q = b->restriction_ranges + y->first_range;
        unsigned i = 0, j = 0, s1, e1, s2, e2;
        for (;;) {
            int more1 = merged_run(p, x->n_ranges, &i, &s1, &e1);
            int more2 = merged_run(q, y->n_ranges, &j, &s2, &e2);
            if (more1 != more2 || (more1 && (s1 != s2 || e1 != e2)))
                return 0;
            if (!more1)
                break;
        }
    }
    if (a->has_disclosed_vendors != b->has_disclosed_vendors ||
        a->has_allowed_vendors != b->has_allowed_vendors ||
        a->has_publisher_tc != b->has_publisher_tc)
        return 0;
    if (a->has_disclosed_vendors && !vendors_equal(&a->disclosed_vendors, &b->disclosed_vendors))
        return 0;
    if (a->has_allowed_vendors && !vendors_equal(&a->allowed_vendors, &b->allowed_vendors))
        return 0;
    if (a->has_publisher_tc) {
        const struct tt_tcf_publisher_tc *p = &a->publisher_tc, *q = &b->publisher_tc;
        if (p->purpose_consents != q->purpose_consents ||
            p->purpose_legitimate_interests != q->purpose_legitimate_interests ||
            p->num_custom_purposes != q->num_custom_purposes ||
            p->custom_purpose_consents != q->custom_purpose_consents ||
            p->custom_purpose_legitimate_interests != q->custom_purpose_legitimate_interests)
            return 0;
    }
    return 1;
}

void tt_tcf_model_init(struct tt_tcf_model *m)
{
    memset(m, 0, sizeof *m);
    m->version = 2;
    m->policy_version = 4;
    memcpy(m->consent_language, "EN", 3);
    memcpy(m->publisher_cc, "AA", 3);
}
