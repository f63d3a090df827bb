/* SPDX-License-Identifier: Apache-2.0 */
/* journal.h — the frame of one audit event in a write-ahead journal file (issue 3: a denied
 * decision's event, written to the OS before its answer, then moved into the audit chain;
 * api/audit_journal.h). Pure computation: no I/O, no allocation. libsodium must be initialised.
 *
 * A frame is, in this machine's byte order (the file never leaves the node that wrote it):
 *   u32 magic "TTJ1" | u32 len | u64 seq | i64 at | tenant_id NUL actor NUL action NUL
 *   target NUL | u8 has_detail | [detail NUL] | 16-byte BLAKE2b of everything before it
 * where len counts the bytes from seq up to the tag. A frame cut short by a crash, or altered,
 * fails its tag: a reader stops there. */
#ifndef TT_CORE_JOURNAL_H
#define TT_CORE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "types.h"

#define TT_JOURNAL_TAG_BYTES 16
/* The largest frame: the header, four texts at their field limits, a detail at the ledger's. */
#define TT_JOURNAL_FRAME_MAX                                                                       \
    (8 + 16 + 3 * TT_ID_MAX + TT_KEY_MAX + 1 + TT_LEDGER_DETAIL_MAX + 1 + TT_JOURNAL_TAG_BYTES)

/* One event as the journal holds it. The texts are those of tt_audit_event (same limits:
 * tenant_id, actor, target below TT_ID_MAX bytes, action below TT_KEY_MAX); detail is the stored
 * text of audit.h tt_audit_emit_text (at most TT_LEDGER_DETAIL_MAX bytes) or NULL. */
struct tt_journal_event {
    uint64_t seq; /* > 0, increasing through the file */
    tt_time at;
    const char *tenant_id, *actor, *action, *target, *detail;
};

/* Writes e's frame into buf (cap bytes). Returns its length, or 0 when seq is 0, a text is NULL
 * (detail aside) or longer than its limit, or the frame does not fit in cap. */
size_t tt_journal_encode(const struct tt_journal_event *e, uint8_t *buf, size_t cap);

/* Reads the frame at the start of p (n bytes there). Returns its length with e's texts pointing
 * into p, or 0 when p does not start with one whole frame whose tag, texts and seq are good (the
 * end of the file, a frame torn by a crash, or damage). */
size_t tt_journal_decode(const uint8_t *p, size_t n, struct tt_journal_event *e);

#endif
