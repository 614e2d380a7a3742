/* list.h - intrusive doubly-linked lists (internal): a record embeds an mx_link per list it can be
 * on, and MX_CONTAINER gets the record back from its link. No allocation; O(1) push and unlink. */
#ifndef MX_LIST_H
#define MX_LIST_H

#include <stddef.h>

typedef struct mx_link {
    struct mx_link *prev, *next;
} mx_link;

typedef struct mx_list {
    mx_link *head, *tail;
    size_t n;
} mx_list;

#define MX_CONTAINER(link, type, member) ((type *)(void *)((char *)(link) - offsetof(type, member)))

/* Whether k is on l (a zeroed link is on no list). */
static inline int mx_list_has(const mx_list *l, const mx_link *k)
{
    return k->prev != NULL || l->head == k;
}

/* Append k, which must be on no list. */
static inline void mx_list_push(mx_list *l, mx_link *k)
{
    k->next = NULL;
    k->prev = l->tail;
    if (l->tail)
        l->tail->next = k;
    else
        l->head = k;
    l->tail = k;
    l->n++;
}

/* Take k off l; nothing if it is not on it. Returns whether it was. */
static inline int mx_list_unlink(mx_list *l, mx_link *k)
{
    if (!mx_list_has(l, k))
        return 0;
    if (k->prev)
        k->prev->next = k->next;
    else
        l->head = k->next;
    if (k->next)
        k->next->prev = k->prev;
    else
        l->tail = k->prev;
    k->prev = k->next = NULL;
    l->n--;
    return 1;
}

#endif
