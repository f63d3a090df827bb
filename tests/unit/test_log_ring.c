/* SPDX-License-Identifier: Apache-2.0 */
/* test_log_ring.c — the logger's background writer (log.h tt_log_background, log_ring.c):
 * lines logged by several threads at once, through many buffer swaps and waits for room, all
 * arrive whole, each thread's in its order; tt_log_flush makes what was logged readable; the
 * last tt_log_background(0) writes what is queued; a line logged while the writer pauses
 * between passes is written when the pause ends; without it lines are written at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http/log.h"
#include "../support/tt_tmp.h"

#define THREADS 4
#define LINES 5000 /* per thread: 20,000 lines of ~100 bytes, many 64 KiB buffers */

static int log_fd = -1;

static int setup(void **state)
{
    (void)state;
    char path[64];
    log_fd = tt_tmpfile("/tmp/tt_log_ring_", path, sizeof path);
    unlink(path);
    tt_log_set_fd(log_fd);
    tt_log_set_level(TT_LOG_INFO);
    return log_fd < 0;
}

static int teardown(void **state)
{
    (void)state;
    tt_log_set_fd(2);
    close(log_fd);
    return 0;
}

/* The whole file, NUL-terminated (caller frees). */
static char *read_all(void)
{
    off_t n = lseek(log_fd, 0, SEEK_END);
    char *all = calloc(1, (size_t)n + 1);
    assert_non_null(all);
    assert_int_equal(pread(log_fd, all, (size_t)n, 0), n);
    return all;
}

static void *logger(void *arg)
{
    intptr_t t = (intptr_t)arg;
    for (int i = 0; i < LINES; i++)
        tt_log(TT_LOG_INFO, "ring", TT_LOG_I("thread", t), TT_LOG_I("seq", i),
               TT_LOG_S("pad", "abcdefghijklmnopqrstuvwxyz"));
    return NULL;
}

static void lines_from_many_threads_arrive_whole_and_in_order(void **state)
{
    (void)state;
    assert_int_equal(ftruncate(log_fd, 0), 0);
    assert_int_equal(lseek(log_fd, 0, SEEK_SET), 0);
    assert_int_equal(tt_log_background(1), 0);
    pthread_t th[THREADS];
    for (intptr_t t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, logger, (void *)t), 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    tt_log(TT_LOG_INFO, "last before flush");
    tt_log_flush();
    char *all = read_all();
    assert_non_null(strstr(all, "\"msg\":\"last before flush\""));
    int next[THREADS] = {0};
    int lines = 0;
    for (char *line = all; *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = '\0';
        json_error_t e;
        json_t *j = json_loads(line, 0, &e);
        assert_non_null(j); /* whole: never two lines mixed */
        if (strcmp(json_string_value(json_object_get(j, "msg")), "ring") == 0) {
            int t = (int)json_integer_value(json_object_get(j, "thread"));
            assert_true(t >= 0 && t < THREADS);
            assert_int_equal(json_integer_value(json_object_get(j, "seq")), next[t]);
            next[t]++;
            lines++;
        }
        json_decref(j);
        line = nl + 1;
    }
    assert_int_equal(lines, THREADS * LINES);
    free(all);
    tt_log(TT_LOG_INFO, "queued at stop");
    assert_int_equal(tt_log_background(0), 0);
    all = read_all();
    assert_non_null(strstr(all, "\"msg\":\"queued at stop\""));
    free(all);
}

static void without_the_writer_lines_are_written_at_once(void **state)
{
    (void)state;
    assert_int_equal(ftruncate(log_fd, 0), 0);
    assert_int_equal(lseek(log_fd, 0, SEEK_SET), 0);
    tt_log(TT_LOG_INFO, "direct");
    char *all = read_all();
    assert_non_null(strstr(all, "\"msg\":\"direct\""));
    free(all);
    /* nested holders: the writer stops at the last release only */
    assert_int_equal(tt_log_background(1), 0);
    assert_int_equal(tt_log_background(1), 0);
    assert_int_equal(tt_log_background(0), 0);
    tt_log(TT_LOG_INFO, "still queued");
    tt_log_flush();
    all = read_all();
    assert_non_null(strstr(all, "\"msg\":\"still queued\""));
    free(all);
    assert_int_equal(tt_log_background(0), 0);
    tt_log_flush(); /* no writer: returns at once */
}

/* Whether the file holds msg, looked for every millisecond for up to 2 s. */
static int appears(const char *msg)
{
    char want[128];
    snprintf(want, sizeof want, "\"msg\":\"%s\"", msg);
    for (int i = 0; i < 2000; i++) {
        char *all = read_all();
        int found = strstr(all, want) != NULL;
        free(all);
        if (found)
            return 1;
        usleep(1000);
    }
    return 0;
}

static void lines_logged_while_the_writer_pauses_are_written_without_a_flush(void **state)
{
    (void)state;
    assert_int_equal(ftruncate(log_fd, 0), 0);
    assert_int_equal(lseek(log_fd, 0, SEEK_SET), 0);
    assert_int_equal(tt_log_background(1), 0);
    tt_log(TT_LOG_INFO, "wakes the writer");
    assert_true(appears("wakes the writer"));
    /* the writer now pauses after its pass: the next line waits for the pause to end */
    tt_log(TT_LOG_INFO, "during the pause");
    assert_true(appears("during the pause"));
    assert_int_equal(tt_log_background(0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lines_from_many_threads_arrive_whole_and_in_order),
        cmocka_unit_test(without_the_writer_lines_are_written_at_once),
        cmocka_unit_test(lines_logged_while_the_writer_pauses_are_written_without_a_flush),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
