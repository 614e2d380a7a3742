#!/bin/sh
# Print, one per line, the system headers that define the standard types of the public API (size_t,
# int32_t, int64_t, uint8_t, uint32_t ...) for the given C compiler command (default: cc).
#
# abidw and abidiff treat every type defined outside the headers they are given as private, and filter
# out changes to private types. size_t and the <stdint.h> typedefs are defined in system headers, so
# with only --headers-dir include/modellix a parameter changed from size_t to uint32_t passes
# unreported. scripts/abi-baseline.sh (--hf) and tests/abi/check_abidiff.sh (--hf2) therefore also name
# these headers.
#
# usage: scripts/abi-std-headers.sh [CC [CC-ARGS...]]
set -eu
[ $# -gt 0 ] || set -- cc
# shellcheck disable=SC1003 # tr deletes the backslashes of make's line continuations
printf '#include <stddef.h>\n#include <stdint.h>\n' | "$@" -M -x c - | tr -d '\\' | tr ' ' '\n' | grep '\.h$'
