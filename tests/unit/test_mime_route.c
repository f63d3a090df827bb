/* SPDX-License-Identifier: Apache-2.0 */
/* test_mime_route.c — the inbox's parse and route (S6.2, S10.1, S13.1, S8.1b), data-driven: each
 * tests/data/inbox/<route>_*.eml must parse and go to <route>; each bad_<field>_*.eml must be
 * refused naming <field>. Plus subject folding (prefixes, case, accents, French spacing) and
 * address finding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/inbox_int.h"
#include "core/error.h"
#include "core/mime_route.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void every_sample_message_takes_its_route(void **state)
{
    (void)state;
    DIR *d = opendir("tests/data/inbox");
    assert_non_null(d);
    int seen = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t nl = strlen(e->d_name);
        if (nl < 5 || strcmp(e->d_name + nl - 4, ".eml") != 0)
            continue;
        char path[512], want[32];
        snprintf(path, sizeof path, "tests/data/inbox/%s", e->d_name);
        size_t len = 0;
        char *raw = slurp(path, &len);
        struct tt__inbox_parsed p;
        const char *field = NULL, *detail = NULL;
        int rc = tt__inbox_parse(raw, len, &p, &field, &detail);
        if (strncmp(e->d_name, "bad_", 4) == 0) {
            size_t fl = strcspn(e->d_name + 4, "_");
            snprintf(want, sizeof want, "%.*s", (int)fl, e->d_name + 4);
            if (rc != -TT_E_BAD_MESSAGE || strcmp(field, want) != 0)
                fail_msg("%s: want refusal naming %s, got %d (%s)", e->d_name, want, rc,
                         field ? field : "-");
        } else {
            snprintf(want, sizeof want, "%.*s", (int)strcspn(e->d_name, "_"), e->d_name);
            if (rc != 0)
                fail_msg("%s: refused (%s: %s)", e->d_name, field, detail);
            if (strcmp(tt_inbox_route_name(p.route), want) != 0)
                fail_msg("%s: routed to %s, want %s (subject folded '%s')", e->d_name,
                         tt_inbox_route_name(p.route), want, p.subject);
            assert_true(p.from[0] != '\0');
            tt__inbox_parsed_free(&p);
        }
        free(raw);
        seen++;
    }
    closedir(d);
    assert_true(seen >= 14);
}

static void subjects_fold_prefixes_case_accents(void **state)
{
    (void)state;
    char out[256];
    assert_string_equal(
        tt_mime_fold_subject("Re: TR : Fwd:  URGENT : Account   Credentials", out, sizeof out),
        "urgent: account credentials");
    assert_string_equal(tt_mime_fold_subject("[ext] RE: Enfants", out, sizeof out), "enfants");
    assert_string_equal(tt_mime_fold_subject("Droit d\xe2\x80\x99"
                                             "acc\xc3\xa8s",
                                             out, sizeof out),
                        "droit d'acces");
    assert_int_equal(tt_mime_route("Urgent : identifiants du compte", NULL), TT_ROUTE_SECURITY);
    assert_int_equal(tt_mime_route("LITIGE facture 12", NULL), TT_ROUTE_LEGAL);
    assert_int_equal(tt_mime_route("Childrens' books", NULL), TT_ROUTE_OTHER);
    assert_int_equal(tt_mime_route("Hello", "please ERASE my account data"), TT_ROUTE_RIGHTS);
    assert_int_equal(tt_mime_route("Hello", "accessible design"), TT_ROUTE_OTHER);
    assert_int_equal(tt_mime_route(NULL, NULL), TT_ROUTE_OTHER);
}

static int count_addr(void *cls, const char *addr, size_t len)
{
    char *out = cls;
    size_t n = strlen(out);
    snprintf(out + n, 256 - n, "%s%.*s", n ? "|" : "", (int)len, addr);
    return 0;
}

static void addresses_are_found_in_text(void **state)
{
    (void)state;
    char got[256] = "";
    const char *t = "write to anna@example.com, or <bob.b+x@mail.example.org>. not@ or @x.y";
    assert_int_equal(tt_mime_addresses(t, strlen(t), 8, count_addr, got), 2);
    assert_string_equal(got, "anna@example.com|bob.b+x@mail.example.org");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_sample_message_takes_its_route),
        cmocka_unit_test(subjects_fold_prefixes_case_accents),
        cmocka_unit_test(addresses_are_found_in_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
