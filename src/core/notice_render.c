/* SPDX-License-Identifier: Apache-2.0 */
/* notice_render.c — the statement people read, generated from the policy (S12.1, S15.1) with
 * the terms of the reader's jurisdiction (S1.6): every sentence from the catalogue, every value
 * from the policy or registry escaped for Markdown or HTML. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "notice.h"

struct out {
    char *buf;
    size_t len, cap;
    int oom;
    enum tt_notice_format fmt;
    tt_notice_text_fn text;
    void *cls;
    const struct tt_jurisdiction *terms;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *b = realloc(o->buf, cap);
        if (!b) {
            o->oom = 1;
            return;
        }
        o->buf = b;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void raw(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* A value: HTML-escaped, or with Markdown's table and emphasis characters backslashed. */
static void val(struct out *o, const char *s)
{
    for (; s && *s; s++) {
        const char *rep = NULL;
        char two[3] = {'\\', *s, 0};
        if (o->fmt == TT_NOTICE_HTML) {
            if (*s == '<')
                rep = "&lt;";
            else if (*s == '>')
                rep = "&gt;";
            else if (*s == '&')
                rep = "&amp;";
            else if (*s == '"')
                rep = "&quot;";
        } else if (strchr("|*_`[]<>#\\", *s)) {
            rep = two;
        }
        if (*s == '\n')
            rep = " ";
        if (rep)
            raw(o, rep);
        else
            put(o, s, 1);
    }
}

/* A catalogue text with {subject}, {controller}, {processor} replaced by the terms (S1.6). */
static void txt(struct out *o, const char *key)
{
    const char *t = o->text ? o->text(o->cls, key) : NULL;
    if (!t)
        t = key;
    while (*t) {
        const char *b = strchr(t, '{');
        const char *e = b ? strchr(b, '}') : NULL;
        if (!b || !e) {
            val(o, t);
            return;
        }
        char head[512];
        size_t hn = (size_t)(b - t) < sizeof head - 1 ? (size_t)(b - t) : sizeof head - 1;
        memcpy(head, t, hn);
        head[hn] = '\0';
        val(o, head);
        size_t nlen = (size_t)(e - b - 1);
        const char *rep = NULL;
        if (nlen == 7 && strncmp(b + 1, "subject", 7) == 0)
            rep = o->terms->term_subject;
        else if (nlen == 10 && strncmp(b + 1, "controller", 10) == 0)
            rep = o->terms->term_controller;
        else if (nlen == 9 && strncmp(b + 1, "processor", 9) == 0)
            rep = o->terms->term_processor;
        if (rep)
            val(o, rep);
        else
            put(o, b, (size_t)(e - b + 1));
        t = e + 1;
    }
}

static void heading(struct out *o, int level, const char *key)
{
    if (o->fmt == TT_NOTICE_HTML) {
        char tag[8];
        snprintf(tag, sizeof tag, "<h%d>", level);
        raw(o, tag);
        txt(o, key);
        snprintf(tag, sizeof tag, "</h%d>", level);
        raw(o, tag);
        raw(o, "\n");
    } else {
        for (int i = 0; i < level; i++)
            raw(o, "#");
        raw(o, " ");
        txt(o, key);
        raw(o, "\n\n");
    }
}

static void para(struct out *o, const char *key)
{
    raw(o, o->fmt == TT_NOTICE_HTML ? "<p>" : "");
    txt(o, key);
    raw(o, o->fmt == TT_NOTICE_HTML ? "</p>\n" : "\n\n");
}

/* Table rows: cells are either catalogue keys (prefix "@") or values. */
static void row(struct out *o, int header, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    raw(o, o->fmt == TT_NOTICE_HTML ? "<tr>" : "|");
    for (int i = 0; i < n; i++) {
        const char *c = va_arg(ap, const char *);
        if (o->fmt == TT_NOTICE_HTML)
            raw(o, header ? "<th>" : "<td>");
        else
            raw(o, " ");
        if (c && c[0] == '@')
            txt(o, c + 1);
        else
            val(o, c ? c : "");
        if (o->fmt == TT_NOTICE_HTML)
            raw(o, header ? "</th>" : "</td>");
        else
            raw(o, " |");
    }
    raw(o, "\n");
    if (header && o->fmt == TT_NOTICE_MD) {
        raw(o, "|");
        for (int i = 0; i < n; i++)
            raw(o, "---|");
        raw(o, "\n");
    }
    va_end(ap);
}

static void table_open(struct out *o)
{
    raw(o, o->fmt == TT_NOTICE_HTML ? "<table>\n" : "");
}

static void table_close(struct out *o)
{
    raw(o, o->fmt == TT_NOTICE_HTML ? "</table>\n" : "\n");
}

static void join(char *buf, size_t size, const char **list, const struct tt_policy *p,
                 int categories)
{
    size_t pos = 0;
    buf[0] = '\0';
    for (size_t i = 0; list && list[i]; i++) {
        const char *name = list[i];
        if (categories) {
            const struct tt_category *c = tt_policy_category(p, list[i]);
            name = c && c->name ? c->name : list[i];
        } else {
            const struct tt_purpose *pu = tt_policy_purpose(p, list[i]);
            name = pu && pu->name ? pu->name : list[i];
        }
        int w = snprintf(buf + pos, size - pos, "%s%s", i ? ", " : "", name);
        if (w < 0 || (size_t)w >= size - pos)
            break;
        pos += (size_t)w;
    }
}

static const char *basis_key(enum tt_basis b)
{
    static const char *const names[] = {"basis.none", "basis.consent", "basis.contract",
                                        "basis.legal_obligation", "basis.legitimate_interest"};
    return (unsigned)b < 5 ? names[b] : names[0];
}

static void services(struct out *o, const struct tt_policy *p)
{
    heading(o, 2, "notice.datamap.title");
    para(o, "notice.datamap.intro");
    table_open(o);
    row(o, 1, 4, "@notice.col.service", "@notice.col.categories", "@notice.col.purposes",
        "@notice.col.retention");
    for (size_t i = 0; i < p->n_services; i++) {
        const struct tt_service *s = &p->services[i];
        char cats[2048], pus[2048];
        join(cats, sizeof cats, s->categories, p, 1);
        join(pus, sizeof pus, s->purposes, p, 0);
        const struct tt_retention *r = tt_policy_retention(p, s->retention);
        row(o, 0, 4, s->name, cats[0] ? cats : "—", pus,
            r && r->description ? r->description : s->retention);
    }
    table_close(o);
}

static void purposes(struct out *o, const struct tt_policy *p)
{
    heading(o, 2, "notice.purposes.title");
    table_open(o);
    row(o, 1, 4, "@notice.col.purpose", "@notice.col.description", "@notice.col.basis_eea",
        "@notice.col.basis_other");
    for (size_t i = 0; i < p->n_purposes; i++) {
        const struct tt_purpose *pu = &p->purposes[i];
        if (pu->sale)
            continue;
        char b1[64], b2[64];
        snprintf(b1, sizeof b1, "@%s", basis_key(pu->basis_eea));
        snprintf(b2, sizeof b2, "@%s", basis_key(pu->basis_other));
        row(o, 0, 4, pu->name, pu->description, b1, b2);
    }
    table_close(o);
    para(o, "notice.purposes.no_sale");
}

static void retention(struct out *o, const struct tt_policy *p)
{
    heading(o, 2, "notice.retention.title");
    table_open(o);
    row(o, 1, 3, "@notice.col.rule", "@notice.col.months", "@notice.col.requirement");
    for (size_t i = 0; i < p->n_retention; i++) {
        const struct tt_retention *r = &p->retention[i];
        char months[64];
        if (r->months)
            snprintf(months, sizeof months, "%d", r->months);
        else
            snprintf(months, sizeof months, "@notice.retention.contract_duration");
        row(o, 0, 3, r->description, months, r->requirement ? r->requirement : "");
    }
    table_close(o);
    para(o, "notice.retention.after");
}

static void recipients(struct out *o, const struct tt_policy *p, const struct tt_rcpt *rs, size_t n)
{
    heading(o, 2, "notice.recipients.title");
    para(o, "notice.recipients.intro");
    table_open(o);
    row(o, 1, 4, "@notice.col.recipient", "@notice.col.category", "@notice.col.country",
        "@notice.col.safeguard");
    if (rs) {
        for (size_t i = 0; i < n; i++) {
            if (rs[i].status != TT_RSTATUS_APPROVED)
                continue;
            char role[48], mech[48];
            snprintf(role, sizeof role, "@recipients.category.%s", rs[i].category);
            snprintf(mech, sizeof mech, "@recipients.mechanism.%s",
                     tt_mechanism_name(rs[i].mechanism));
            row(o, 0, 4, rs[i].name, role, rs[i].country, mech);
        }
    } else {
        for (size_t i = 0; i < p->n_recipients; i++) {
            const struct tt_recipient *r = &p->recipients[i];
            if (!r->approved)
                continue;
            char role[48], mech[48];
            snprintf(role, sizeof role, "@recipients.category.%s", r->category);
            snprintf(mech, sizeof mech, "@recipients.mechanism.%s",
                     r->transfer_mechanism ? r->transfer_mechanism : "none");
            row(o, 0, 4, r->name, role, r->country, mech);
        }
    }
    table_close(o);
    para(o, "notice.recipients.transfers");
}

static void rights(struct out *o, const struct tt_policy *p)
{
    heading(o, 2, "notice.rights.title");
    para(o, "notice.rights.intro");
    static const char *const list[] = {"notice.rights.access",  "notice.rights.rectify",
                                       "notice.rights.erase",   "notice.rights.port",
                                       "notice.rights.object",  "notice.rights.restrict",
                                       "notice.rights.withdraw"};
    raw(o, o->fmt == TT_NOTICE_HTML ? "<ul>\n" : "");
    for (size_t i = 0; i < sizeof list / sizeof *list; i++) {
        raw(o, o->fmt == TT_NOTICE_HTML ? "<li>" : "- ");
        txt(o, list[i]);
        raw(o, o->fmt == TT_NOTICE_HTML ? "</li>\n" : "\n");
    }
    raw(o, o->fmt == TT_NOTICE_HTML ? "</ul>\n" : "\n");
    table_open(o);
    row(o, 1, 3, "@notice.col.law", "@notice.col.deadline", "@notice.col.extended");
    for (size_t i = 0; i < p->n_deadlines; i++) {
        const struct tt_deadline *d = &p->deadlines[i];
        if (!d->jurisdictions || !d->jurisdictions[0])
            continue; /* an option nobody is under */
        char due[64], ext[64];
        if (d->months)
            snprintf(due, sizeof due, "%d M", d->months);
        else
            snprintf(due, sizeof due, "%d D", d->days);
        if (d->max_months)
            snprintf(ext, sizeof ext, "%d M", d->max_months);
        else
            snprintf(ext, sizeof ext, "%d D", d->max_days);
        row(o, 0, 3, d->law, due, ext);
    }
    table_close(o);
}

static void contacts(struct out *o, const struct tt_notices *nt)
{
    heading(o, 2, "notice.contact.title");
    para(o, "notice.contact.intro");
    if (!nt)
        return;
    table_open(o);
    row(o, 0, 2, "@notice.contact.dpo", nt->dpo_email ? nt->dpo_email : "");
    row(o, 0, 2, "@notice.contact.head_office", nt->head_office ? nt->head_office : "");
    for (size_t i = 0; nt->local_offices && nt->local_offices[i]; i++)
        row(o, 0, 2, "@notice.contact.local_office", nt->local_offices[i]);
    row(o, 0, 2, "@notice.contact.authority", nt->authority ? nt->authority : "");
    table_close(o);
    para(o, "notice.contact.complaint");
}

char *tt_notice_render(const struct tt_policy *p, const struct tt_notices *notices,
                       const struct tt_rcpt *rs, size_t n, const char *jurisdiction,
                       const char *lang, enum tt_notice_format fmt, tt_notice_text_fn text,
                       void *cls, size_t *len)
{
    struct out o = {.fmt = fmt, .text = text, .cls = cls};
    o.terms = tt_policy_terms_for(p, jurisdiction && *jurisdiction ? jurisdiction
                                                                   : p->jurisdiction_default);
    if (fmt == TT_NOTICE_HTML) {
        raw(&o, "<!DOCTYPE html>\n<html lang=\"");
        val(&o, lang ? lang : "en");
        raw(&o, "\">\n<head><meta charset=\"utf-8\"><title>");
        txt(&o, "notice.title");
        raw(&o, "</title></head>\n<body>\n");
    }
    heading(&o, 1, "notice.title");
    const struct tt_notice_version *v = NULL;
    if (notices && notices->n_versions)
        v = &notices->versions[notices->n_versions - 1];
    char when[32] = "";
    if (v)
        tt_time_format(v->effective, when, sizeof when);
    table_open(&o);
    row(&o, 0, 2, "@notice.version", v ? v->version : p->notice_version);
    row(&o, 0, 2, "@notice.effective", v ? (when[10] = '\0', when) : p->effective_date);
    row(&o, 0, 2, "@notice.law", o.terms->law ? o.terms->law : "");
    table_close(&o);
    para(&o, "notice.intro");
    para(&o, "notice.roles");
    services(&o, p);
    purposes(&o, p);
    retention(&o, p);
    recipients(&o, p, rs, n);
    rights(&o, p);
    contacts(&o, notices);
    if (fmt == TT_NOTICE_HTML)
        raw(&o, "</body>\n</html>\n");
    if (o.oom) {
        free(o.buf);
        return NULL;
    }
    if (len)
        *len = o.len;
    return o.buf;
}
