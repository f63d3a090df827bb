/* SPDX-License-Identifier: Apache-2.0 */
/* test_ident.c — identifier normalisation, driven by the tables in tests/data/ident/ (one .tsv per
 * family: input, type, expected or ERROR, optional default_cc) so a new case needs no code. Checks
 * the result, the error code, that out is untouched on failure and that results are fixed points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/ident.h"

#define FILL 0xa5

static const char *const files[] = {"emails.tsv", "phones.tsv", "others.tsv"};

/* Decodes \t \n \\ \xHH in place; returns the decoded length (may hold NUL bytes). */
static size_t unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r != '\\' || !r[1]) {
            *w++ = *r;
            continue;
        }
        r++;
        if (*r == 't') {
            *w++ = '\t';
        } else if (*r == 'n') {
            *w++ = '\n';
        } else if (*r == '\\') {
            *w++ = '\\';
        } else if (*r == 'x' && r[1] && r[2]) {
            char hex[3] = {r[1], r[2], '\0'};
            *w++ = (char)strtoul(hex, NULL, 16);
            r += 2;
        } else {
            fail_msg("bad escape \\%c", *r);
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static int error_named(const char *name)
{
    static const struct {
        const char *name;
        int code;
    } codes[] = {{"BAD_EMAIL", TT_E_BAD_EMAIL},
                 {"BAD_PHONE", TT_E_BAD_PHONE},
                 {"BAD_FIELD", TT_E_BAD_FIELD}};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if (strcmp(codes[i].name, name) == 0)
            return -codes[i].code;
    }
    fail_msg("unknown error name %s", name);
    return 0;
}

static int own_error(enum tt_identity_type t)
{
    return t == TT_IDENT_EMAIL   ? -TT_E_BAD_EMAIL
           : t == TT_IDENT_PHONE ? -TT_E_BAD_PHONE
                                 : -TT_E_BAD_FIELD;
}

static void check_case(const char *where, char *input, const char *type_name, char *expected,
                       const char *cc)
{
    enum tt_identity_type type;
    if (tt_identity_type_parse(type_name, &type) != 0)
        fail_msg("%s: unknown type %s", where, type_name);
    unescape(input);
    unescape(expected);

    char out[TT_IDENT_MAX];
    memset(out, FILL, sizeof out);
    int rc = tt_ident_normalise(type, input, cc, out);
    if (strncmp(expected, "ERROR", 5) == 0) {
        int want = expected[5] == ' ' ? error_named(expected + 6) : own_error(type);
        if (rc != want)
            fail_msg("%s: expected error %d, got %d", where, want, rc);
        for (size_t i = 0; i < sizeof out; i++) {
            if ((unsigned char)out[i] != FILL)
                fail_msg("%s: out written on failure", where);
        }
        return;
    }
    if (rc != 0)
        fail_msg("%s: expected \"%s\", got error %d", where, expected, rc);
    if (strcmp(out, expected) != 0)
        fail_msg("%s: expected \"%s\", got \"%s\"", where, expected, out);
    /* normalising a normalised value gives it back */
    char again[TT_IDENT_MAX];
    if (tt_ident_normalise(type, out, cc, again) != 0 || strcmp(again, out) != 0)
        fail_msg("%s: not a fixed point", where);
    /* the typed entry points agree with the dispatcher */
    if (type == TT_IDENT_EMAIL) {
        assert_int_equal(tt_ident_email(input, again), 0);
        assert_string_equal(again, expected);
    } else if (type == TT_IDENT_PHONE) {
        assert_int_equal(tt_ident_phone(input, cc, again), 0);
        assert_string_equal(again, expected);
    }
}

/* Runs every case of one file; returns how many ran per type through counts. */
static void run_file(const char *name, int counts[TT_IDENT__COUNT])
{
    const char *root = getenv("TUTELA_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/ident/%s", root ? root : ".", name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        char *fields[4] = {NULL, NULL, NULL, NULL};
        int nf = 0;
        char *p = line;
        while (nf < 4) {
            fields[nf++] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        char where[256];
        snprintf(where, sizeof where, "%s:%d", name, lineno);
        if (nf < 3)
            fail_msg("%s: needs input, type, expected", where);
        check_case(where, fields[0], fields[1], fields[2], nf == 4 ? fields[3] : NULL);
        enum tt_identity_type t;
        assert_int_equal(tt_identity_type_parse(fields[1], &t), 0);
        counts[t]++;
    }
    free(line);
    fclose(f);
}

static void table_cases_normalise_as_listed(void **state)
{
    (void)state;
    int counts[TT_IDENT__COUNT] = {0};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        run_file(files[i], counts);
    /* the tables are really there: a missing or emptied file fails */
    assert_true(counts[TT_IDENT_EMAIL] >= 20);
    assert_true(counts[TT_IDENT_PHONE] >= 20);
    assert_true(counts[TT_IDENT_CHANNEL] >= 5);
    assert_true(counts[TT_IDENT_COOKIE] >= 5);
}

static void null_and_unknown_type_refused(void **state)
{
    (void)state;
    char out[TT_IDENT_MAX];
    memset(out, FILL, sizeof out);
    assert_int_equal(tt_ident_normalise(TT_IDENT_EMAIL, NULL, NULL, out), -TT_E_BAD_EMAIL);
    assert_int_equal(tt_ident_normalise(TT_IDENT_PHONE, NULL, "31", out), -TT_E_BAD_PHONE);
    assert_int_equal(tt_ident_normalise(TT_IDENT_CHANNEL, NULL, NULL, out), -TT_E_BAD_FIELD);
    assert_int_equal(tt_ident_normalise(TT_IDENT_COOKIE, NULL, NULL, out), -TT_E_BAD_FIELD);
    assert_int_equal(tt_ident_normalise(TT_IDENT__COUNT, "alice@example.org", NULL, out),
                     -TT_E_BAD_FIELD);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal((unsigned char)out[i], FILL);
}

static void very_long_input_refused_without_overflow(void **state)
{
    (void)state;
    size_t len = 100000;
    char *big = malloc(len + 1);
    assert_non_null(big);
    memset(big, ' ', len);
    memcpy(big + len / 2, "a@b.co", 6);
    big[len] = '\0';
    char out[TT_IDENT_MAX];
    memset(out, FILL, sizeof out);
    assert_int_equal(tt_ident_email(big, out), -TT_E_BAD_EMAIL);
    memset(big, '1', len);
    big[0] = '+';
    assert_int_equal(tt_ident_phone(big, NULL, out), -TT_E_BAD_PHONE);
    assert_int_equal(tt_ident_normalise(TT_IDENT_CHANNEL, big, NULL, out), -TT_E_BAD_FIELD);
    assert_int_equal(tt_ident_normalise(TT_IDENT_COOKIE, big, NULL, out), -TT_E_BAD_FIELD);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal((unsigned char)out[i], FILL);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_cases_normalise_as_listed),
        cmocka_unit_test(null_and_unknown_type_refused),
        cmocka_unit_test(very_long_input_refused_without_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
