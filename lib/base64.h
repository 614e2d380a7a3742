/* base64.h - RFC 4648 base64 encoding (standard alphabet, with padding). Pure, no allocation. */
#ifndef MODELLIX_BASE64_H
#define MODELLIX_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* The encoded length of n bytes (without the terminating NUL), or 0 with *overflow set when it
 * does not fit in a size_t. */
size_t mx_base64_len(size_t n, int *overflow);

/* Encode n bytes of src into dst, which must hold mx_base64_len(n, NULL) + 1 bytes; dst is NUL-terminated.
 * Returns the encoded length. src may be NULL when n is 0. */
size_t mx_base64_encode(char *dst, const uint8_t *src, size_t n);

#endif
