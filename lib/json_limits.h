/* json_limits.h - structural limits on parsed JSON (depth, node count), shared by requests and responses. */
#ifndef MODELLIX_JSON_LIMITS_H
#define MODELLIX_JSON_LIMITS_H

#include <jansson.h>
#include <stddef.h>

/* 1 if `root` nests at most max_depth containers deep and has at most max_nodes values. */
int mx_json_within_limits(const json_t *root, size_t max_depth, size_t max_nodes);

#endif
