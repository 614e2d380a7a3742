/* json_limits.h - structural limits on parsed JSON (depth, node count), shared by requests and responses. */
#ifndef MODELLIX_JSON_LIMITS_H
#define MODELLIX_JSON_LIMITS_H

#include <jansson.h>
#include <stddef.h>

/* 1 if `root` nests at most max_depth containers deep and has at most max_nodes values. */
int mx_json_within_limits(const json_t *root, size_t max_depth, size_t max_nodes);

/* Counting the values of a JSON text while it arrives, before any parse: every object, array,
 * string (object keys included), number and literal counts one. It does not validate (the parser
 * does, later); it only bounds what a parse of the text would allocate, so that an answer such as
 * "[0,0,0,...]" is refused while it is read. Chunk boundaries may fall anywhere. */
typedef struct mx_json_count {
    size_t values;
    unsigned char in_string, escape, in_bare;
} mx_json_count;

/* Start over (a new body). */
void mx_json_count_reset(mx_json_count *k);
/* Feed n bytes; returns 0 as soon as the text has more than max_values values, else 1. */
int mx_json_count_feed(mx_json_count *k, const char *p, size_t n, size_t max_values);

#endif
