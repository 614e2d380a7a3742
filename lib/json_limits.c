/* json_limits.c - limits on JSON: an iterative walk of a parsed document (hostile nesting cannot
 * exhaust the stack) and a value count of a text while it is read (before any parse). */
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

void mx_json_count_reset(mx_json_count *k)
{
    k->values = 0;
    k->in_string = k->escape = k->in_bare = 0;
}

int mx_json_count_feed(mx_json_count *k, const char *p, size_t n, size_t max_values)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (k->in_string) {
            if (k->escape)
                k->escape = 0;
            else if (ch == '\\')
                k->escape = 1;
            else if (ch == '"')
                k->in_string = 0;
            continue;
        }
        switch (ch) {
        case '"':
            k->in_string = 1;
            k->in_bare = 0;
            k->values++;
            break;
        case '{': case '[':
            k->in_bare = 0;
            k->values++;
            break;
        case ',': case ':': case ']': case '}': case ' ': case '\t': case '\r': case '\n':
            k->in_bare = 0;
            break;
        default:
            /* a number or a literal (true, false, null): one value however long */
            if (!k->in_bare) {
                k->in_bare = 1;
                k->values++;
            }
            break;
        }
        if (k->values > max_values)
            return 0;
    }
    return 1;
}
