/* json_limits.c - iterative walk so that hostile nesting cannot exhaust the stack. */
#include "json_limits.h"

#include <stdlib.h>
#include <string.h>

typedef struct frame {
    const json_t *node;
    size_t depth;
} frame;

int mx_json_within_limits(const json_t *root, size_t max_depth, size_t max_nodes)
{
    /* most documents fit the frames on the stack; deeper or wider ones move to the heap */
    frame local[64];
    frame *st = local;
    size_t cap = sizeof local / sizeof local[0], top = 0, nodes = 0;
    st[top++] = (frame){root, 1};
    int ok = 1;
    while (top && ok) {
        frame f = st[--top];
        int container = json_is_array(f.node) || json_is_object(f.node);
        if (++nodes > max_nodes || (container && f.depth > max_depth)) {
            ok = 0;
            break;
        }
        size_t kids = json_is_array(f.node) ? json_array_size(f.node) : json_is_object(f.node) ? json_object_size(f.node) : 0;
        if (!kids)
            continue;
        if (top + kids > cap) {
            size_t ncap = cap;
            while (ncap < top + kids)
                ncap *= 2;
            frame *n = st == local ? malloc(ncap * sizeof *n) : realloc(st, ncap * sizeof *n);
            if (!n) {
                ok = 0;
                break;
            }
            if (st == local)
                memcpy(n, local, top * sizeof *n);
            st = n;
            cap = ncap;
        }
        if (json_is_array(f.node)) {
            size_t i;
            const json_t *v;
            json_array_foreach(f.node, i, v) st[top++] = (frame){v, f.depth + 1};
        } else {
            const char *k;
            const json_t *v;
            json_object_foreach((json_t *)f.node, k, v) st[top++] = (frame){v, f.depth + 1};
        }
    }
    if (st != local)
        free(st);
    return ok;
}
