/* SPDX-License-Identifier: Apache-2.0 */
/* recipients_job.c — S5.2: re-evaluates the registry against the adequacy list of the current
 * policy (policy/adequacy.yaml beside it, read afresh each pass, so a reload's new list counts). */
#include "recipients_job.h"

#include "../api/recipients_doc.h"
#include "../api/recipients_reeval.h"
#include "../core/error.h"
#include "../http/log.h"
#include "jobs.h"

int tt_job_recipients_reevaluate(struct tt_app *app, tt_time now, void *cls)
{
    (void)cls;
    struct tt_policy_ref *ref = tt_app_policy_acquire(app);
    char path[1024];
    tt__rcpt_adequacy_path(ref->policy, path, sizeof path);
    tt_app_policy_release(ref);
    struct tt_adequacy *a = NULL;
    char err[TT_ADEQUACY_ERR_MAX];
    if (tt_adequacy_load(path, &a, err) != 0) {
        /* without a list no adequacy decision is in force: the gate already refuses every
         * transfer relying on one (adequacy_lapsed), so there is nothing to flag */
        tt_log(TT_LOG_WARN, "recipients re-evaluation skipped: no adequacy list",
               TT_LOG_S("reason", err));
        return 0;
    }
    int64_t flagged = 0;
    int rc = tt_rcpt_reevaluate_all(app->store, a, NULL, now, "system", &flagged);
    tt_adequacy_free(a);
    if (flagged)
        tt_jobs_note(flagged);
    return rc;
}

void tt_recipients_policy_reloaded(struct tt_app *app, tt_time now)
{
    int rc = tt_jobs_run_once(app, "recipients.reevaluate", now);
    if (rc < 0 && rc != -TT_E_CONFLICT && rc != -TT_E_UNAVAILABLE)
        tt_log(TT_LOG_WARN,
               "recipients re-evaluation after the policy reload failed; the daily pass retries",
               TT_LOG_S("error", tt_err_message(-rc)));
}
