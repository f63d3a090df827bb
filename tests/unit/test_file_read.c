/* SPDX-License-Identifier: Apache-2.0 */
/* test_file_read.c — a whole file into memory (core/file_read.h): the limit taken exactly, one
 * byte more refused, growth past the first piece, the NUL after the bytes, a missing file, and
 * nothing handed back on failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/file_read.h"
#include "../support/tt_tmp.h"

/* Writes n bytes (a repeating pattern) to a new temporary file; its path in path. */
static void write_file(char path[64], size_t n)
{
    int fd = tt_tmpfile("/tmp/tt_file_read_", path, 64);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fputc('a' + (int)(i % 26), f), 'a' + (int)(i % 26));
    assert_int_equal(fclose(f), 0);
}

static void check_pattern(const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != 'a' + (int)(i % 26))
            fail_msg("byte %zu is %d", i, buf[i]);
    assert_int_equal(buf[n], '\0');
}

static void reads_up_to_the_limit_and_refuses_one_byte_more(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 100, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 300 * 1000};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char path[64];
        size_t n = sizes[k];
        write_file(path, n);
        char *buf = NULL;
        size_t len = 7;
        assert_int_equal(tt_file_read(path, n, &buf, &len), 0); /* exactly the limit */
        assert_int_equal(len, n);
        check_pattern(buf, n);
        free(buf);
        buf = NULL;
        assert_int_equal(tt_file_read(path, n + 1000000, &buf, &len), 0); /* well under it */
        assert_int_equal(len, n);
        check_pattern(buf, n);
        free(buf);
        if (n > 0) {
            char *kept = (char *)"kept";
            buf = kept;
            len = 7;
            assert_int_equal(tt_file_read(path, n - 1, &buf, &len), -TT_E_BODY_TOO_LARGE);
            assert_ptr_equal(buf, kept); /* untouched on failure */
            assert_int_equal(len, 7);
        }
        unlink(path);
    }
}

static void a_missing_file_is_not_found(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(tt_file_read("/tmp/tt_file_read_no_such_file", 100, &buf, &len),
                     -TT_E_NOT_FOUND);
    assert_null(buf);
    assert_int_equal(tt_file_read("/tmp", 100, &buf, &len), -TT_E_INTERNAL); /* a directory */
    assert_null(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_up_to_the_limit_and_refuses_one_byte_more),
        cmocka_unit_test(a_missing_file_is_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
