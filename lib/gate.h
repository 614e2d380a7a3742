/* gate.h - a counting gate with a first-come first-served waiting line (internal).
 *
 * The exchange layer admits at most `limit` API attempts to curl at once; the rest wait here, with
 * no curl handle, oldest first. The waiting records embed an mx_link; their deadline is their own
 * business (a timer that takes them out with mx_gate_unqueue). */
#ifndef MX_GATE_H
#define MX_GATE_H

#include "list.h"

typedef struct mx_gate {
    mx_list waiting; /* oldest first */
    size_t busy;     /* slots taken */
    size_t limit;
} mx_gate;

static inline void mx_gate_init(mx_gate *g, size_t limit)
{
    g->waiting.head = g->waiting.tail = NULL;
    g->waiting.n = 0;
    g->busy = 0;
    g->limit = limit;
}

/* May an attempt take a slot now? `admitted`: it was just taken from the head of the line (so the
   line ahead of it is no reason to wait). */
static inline int mx_gate_may_enter(const mx_gate *g, int admitted)
{
    return g->busy < g->limit && (admitted || !g->waiting.head);
}

static inline void mx_gate_enter(mx_gate *g)
{
    g->busy++;
}

static inline void mx_gate_leave(mx_gate *g)
{
    g->busy--;
}

/* Wait at the end of the line. */
static inline void mx_gate_queue(mx_gate *g, mx_link *k)
{
    mx_list_push(&g->waiting, k);
}

/* Leave the line (deadline, abort). Returns whether k was waiting. */
static inline int mx_gate_unqueue(mx_gate *g, mx_link *k)
{
    return mx_list_unlink(&g->waiting, k);
}

/* Someone waits and a slot is free. */
static inline int mx_gate_open(const mx_gate *g)
{
    return g->waiting.head && g->busy < g->limit;
}

/* The oldest waiter, taken out of the line, when a slot is free for it; NULL otherwise. */
static inline mx_link *mx_gate_next(mx_gate *g)
{
    if (!mx_gate_open(g))
        return NULL;
    mx_link *k = g->waiting.head;
    mx_list_unlink(&g->waiting, k);
    return k;
}

#endif
