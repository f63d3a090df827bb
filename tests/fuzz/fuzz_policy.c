/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_policy.c — libFuzzer target for the policy loader (tt_policy_load_buffer): any bytes
 * must give either a policy or a FILE:LINE message, never a crash, leak or over-read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy so a read past the end is caught by the sanitizers */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    struct tt_policy *p = NULL;
    char err[TT_POLICY_ERR_MAX];
    int rc = tt_policy_load_buffer("fuzz", buf, size, &p, err);
    if (rc == 0) {
        /* exercise the lookups on whatever was loaded */
        for (size_t i = 0; i < p->n_purposes; i++) {
            const struct tt_purpose *pu = tt_policy_purpose(p, p->purposes[i].key);
            if (!pu)
                abort();
            (void)tt_policy_basis_for(p, pu, "NL");
            (void)tt_policy_basis_for(p, pu, "US-CA");
        }
        for (size_t i = 0; i < p->n_services; i++) {
            if (!tt_policy_retention(p, p->services[i].retention))
                abort(); /* references were resolved */
        }
        if (!tt_policy_deadline_for(p, "SG") || !tt_policy_terms_for(p, "SG"))
            abort();
        tt_policy_free(p);
    } else if (strncmp(err, "fuzz", 4) != 0 || memchr(err, '\0', TT_POLICY_ERR_MAX) == NULL) {
        abort(); /* every failure says where */
    }
    free(buf);
    return 0;
}
