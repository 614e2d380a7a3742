/* filename.h - a safe local file name from a result URL. Pure function. */
#ifndef MODELLIX_FILENAME_H
#define MODELLIX_FILENAME_H

#include <stddef.h>

#define MX_FILENAME_MAX_BYTES 160
#define MX_FILENAME_EXT_MAX 20

/* The name for resource `index` (0-based) of a task, from the URL path's last segment: the query is
   ignored; percent-decoded; control, bidirectional and <>:"/\|?* characters and invalid UTF-8
   become '-'; leading dots and trailing dots and spaces are removed; Windows device names get a
   "resource-" prefix; at most 160 bytes, keeping an extension of up to 20 bytes; an empty result
   becomes "resource-<index+1>". Returns a malloc'd string, or NULL when out of memory. */
char *mx_safe_filename(const char *url, size_t index);

#endif
