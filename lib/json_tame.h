/* json_tame.h - make numbers that jansson would refuse parseable, without touching the rest.
 *
 * jansson refuses a whole document for one integer beyond int64 (a 64-bit unsigned `seed`, say) or
 * one real beyond double's range (1e400). A service answer is not invalid for that: those numbers
 * are in fields the library does not read. The taming pass rewrites each such number token, in a
 * private copy of the body, as "0" followed by spaces (same length, still valid JSON), so the
 * document parses and the numbers read as 0 (absent for the fields the library does read). */
#ifndef MODELLIX_JSON_TAME_H
#define MODELLIX_JSON_TAME_H

#include <stddef.h>

/* Rewrite, in place, every number token of s[0, n) outside strings that jansson could not hold.
   Returns the number of tokens rewritten. The text need not be valid JSON; nothing else changes. */
size_t mx_json_tame_numbers(char *s, size_t n);

#endif
