/* SPDX-License-Identifier: Apache-2.0 */
/* consent_notice.c — the notice version a consent is asked under (consent_int.h; issue 4, S9.7,
 * S12.1): the version of policy/notices.yaml in effect now, so a version published with a future
 * effective date makes the banner ask again on that date. The file is read again only when it
 * changes (its mtime), the versions kept in a small copy under a mutex. */
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/notice.h"
#include "common.h"
#include "consent_int.h"

#define VERSIONS_MAX 64

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char path[4096];
    struct timespec mtime;
    off_t size;
    int loaded; /* 1: versions hold the file's; -1: it could not be read */
    size_t n;
    struct {
        char version[TT_CONSENT_SHORT_MAX];
        tt_time effective;
    } v[VERSIONS_MAX];
} cache;

/* Reloads the copy when the file changed. Called with mu held. */
static void refresh(struct tt_app *app)
{
    struct tt_notices *n = NULL;
    char err[TT_NOTICE_ERR_MAX];
    /* the file the public notice endpoint reads (tt__subs_notices_load): TUTELA_NOTICES, else
     * notices.yaml beside the policy */
    const char *env = getenv("TUTELA_NOTICES");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", app->policy_path ? app->policy_path : "policy/x");
    snprintf(cache.path, sizeof cache.path, "%s", env && *env ? env : dirname(dir));
    if (!(env && *env))
        strncat(cache.path, "/notices.yaml", sizeof cache.path - strlen(cache.path) - 1);
    struct stat st;
    if (stat(cache.path, &st) != 0) {
        cache.loaded = -1;
        return;
    }
    if (cache.loaded == 1 && st.st_mtim.tv_sec == cache.mtime.tv_sec &&
        st.st_mtim.tv_nsec == cache.mtime.tv_nsec && st.st_size == cache.size)
        return;
    cache.mtime = st.st_mtim;
    cache.size = st.st_size;
    cache.loaded = -1;
    cache.n = 0;
    if (tt_notices_load(cache.path, &n, err) != 0)
        return;
    for (size_t i = 0; i < n->n_versions && cache.n < VERSIONS_MAX; i++) {
        if (!tt_consent_short_ok(n->versions[i].version))
            continue;
        tt__api_copy(cache.v[cache.n].version, sizeof cache.v[cache.n].version,
                     n->versions[i].version);
        cache.v[cache.n].effective = n->versions[i].effective;
        cache.n++;
    }
    cache.loaded = 1;
    tt_notices_free(n);
}

void tt__consent_notice_in_effect(struct tt_app *app, const char *fallback, tt_time now,
                                  char out[TT_CONSENT_SHORT_MAX])
{
    tt__api_copy(out, TT_CONSENT_SHORT_MAX, fallback ? fallback : "");
    pthread_mutex_lock(&mu);
    refresh(app);
    tt_time best = 0;
    for (size_t i = 0; cache.loaded == 1 && i < cache.n; i++)
        if (cache.v[i].effective <= now && (best == 0 || cache.v[i].effective >= best)) {
            best = cache.v[i].effective;
            tt__api_copy(out, TT_CONSENT_SHORT_MAX, cache.v[i].version);
        }
    pthread_mutex_unlock(&mu);
}
