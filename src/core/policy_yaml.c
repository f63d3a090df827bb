/* SPDX-License-Identifier: Apache-2.0 */
/* policy_yaml.c — reads a policy file with libyaml's event API into a small tree of scalars,
 * sequences and mappings that keeps each node's line number, so every later problem can be
 * reported as FILE:LINE. Anchors and aliases are refused (no expansion bombs); depth and node
 * count are capped. */
#include <string.h>

#include <yaml.h>

#include "error.h"
#include "policy_int.h"

struct builder {
    struct tt__arena *a;
    struct tt__perr *e;
    struct tt__ynode *root;
    struct tt__ynode *stack[TT__YAML_MAX_DEPTH + 1];
    size_t cap[TT__YAML_MAX_DEPTH + 1];
    size_t depth;
    size_t nodes;
};

static unsigned line_of(yaml_mark_t m)
{
    return m.line >= 0xfffffffeu ? 0xfffffffeu : (unsigned)m.line + 1;
}

/* Appends n to the node open at the top of the stack (or makes it the root). */
static int attach(struct builder *b, struct tt__ynode *n)
{
    if (++b->nodes > TT__YAML_MAX_NODES) {
        tt__perr_add(b->e, n->line, "too many YAML nodes (max %u)", TT__YAML_MAX_NODES);
        return -TT_E_BAD_FIELD;
    }
    if (b->depth == 0) {
        if (b->root) {
            tt__perr_add(b->e, n->line, "only one YAML document is allowed");
            return -TT_E_BAD_FIELD;
        }
        b->root = n;
        return 0;
    }
    struct tt__ynode *p = b->stack[b->depth - 1];
    size_t *cap = &b->cap[b->depth - 1];
    if (p->type == TT_Y_MAP && p->n % 2 == 0 && n->type != TT_Y_SCALAR) {
        tt__perr_add(b->e, n->line, "a mapping key must be a plain string");
        return -TT_E_BAD_FIELD;
    }
    if (p->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct tt__ynode **k = tt__arena_alloc(b->a, ncap * sizeof(*k));
        if (!k)
            return -TT_E_NOMEM;
        if (p->n)
            memcpy(k, p->kids, p->n * sizeof(*k));
        p->kids = k;
        *cap = ncap;
    }
    p->kids[p->n++] = n;
    return 0;
}

static struct tt__ynode *node_new(struct builder *b, enum tt__ytype t, yaml_mark_t m)
{
    struct tt__ynode *n = tt__arena_alloc(b->a, sizeof(*n));
    if (n) {
        n->type = t;
        n->line = line_of(m);
    }
    return n;
}

static int on_event(struct builder *b, const yaml_event_t *ev, int *done)
{
    struct tt__ynode *n;
    int rc;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        tt__perr_add(b->e, line_of(ev->start_mark), "YAML aliases are not supported");
        return -TT_E_BAD_FIELD;
    case YAML_SCALAR_EVENT:
        if (ev->data.scalar.anchor) {
            tt__perr_add(b->e, line_of(ev->start_mark), "YAML anchors are not supported");
            return -TT_E_BAD_FIELD;
        }
        n = node_new(b, TT_Y_SCALAR, ev->start_mark);
        if (!n)
            return -TT_E_NOMEM;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n->len = ev->data.scalar.length;
        n->str = tt__arena_strndup(b->a, (const char *)ev->data.scalar.value, n->len);
        if (!n->str)
            return -TT_E_NOMEM;
        return attach(b, n);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int seq = ev->type == YAML_SEQUENCE_START_EVENT;
        const yaml_char_t *anchor =
            seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
        if (anchor) {
            tt__perr_add(b->e, line_of(ev->start_mark), "YAML anchors are not supported");
            return -TT_E_BAD_FIELD;
        }
        if (b->depth == TT__YAML_MAX_DEPTH) {
            tt__perr_add(b->e, line_of(ev->start_mark), "YAML nested too deeply (max %d levels)",
                         TT__YAML_MAX_DEPTH);
            return -TT_E_BAD_FIELD;
        }
        n = node_new(b, seq ? TT_Y_SEQ : TT_Y_MAP, ev->start_mark);
        if (!n)
            return -TT_E_NOMEM;
        if ((rc = attach(b, n)) != 0)
            return rc;
        b->stack[b->depth] = n;
        b->cap[b->depth] = 0;
        b->depth++;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0)
            b->depth--;
        return 0;
    case YAML_STREAM_END_EVENT:
        *done = 1;
        return 0;
    default:
        return 0;
    }
}

int tt__yaml_parse(struct tt__arena *a, const char *yaml, size_t len, struct tt__ynode **root,
                   struct tt__perr *e)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return -TT_E_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    struct builder b = {.a = a, .e = e};
    int rc = 0, done = 0;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            if (parser.error == YAML_MEMORY_ERROR) {
                rc = -TT_E_NOMEM;
                break;
            }
            unsigned line = line_of(parser.problem_mark);
            if (parser.context)
                tt__perr_add(e, line, "YAML syntax error: %s (%s)",
                             parser.problem ? parser.problem : "invalid YAML", parser.context);
            else
                tt__perr_add(e, line, "YAML syntax error: %s",
                             parser.problem ? parser.problem : "invalid YAML");
            rc = -TT_E_BAD_FIELD;
            break;
        }
        rc = on_event(&b, &ev, &done);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc == 0 && !b.root) {
        tt__perr_add(e, 1, "the policy file is empty");
        rc = -TT_E_BAD_FIELD;
    }
    if (rc == 0 && b.root->type != TT_Y_MAP) {
        tt__perr_add(e, b.root->line, "the top level must be a mapping of sections");
        rc = -TT_E_BAD_FIELD;
    }
    if (rc == 0)
        *root = b.root;
    return rc;
}
