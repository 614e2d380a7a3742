/* child_tie.h - tie a helper server's process to its test's (harness.h includes this; benchmarks
 * that start the same servers link child_tie.c alone, without the test harness). */
#ifndef MODELLIX_TEST_CHILD_TIE_H
#define MODELLIX_TEST_CHILD_TIE_H

#include <sys/types.h>

/* In a child just forked to exec a helper server (nginx, tinyproxy, a Python server): the child gets
 * SIGKILL when the test process `parent` ends, even by kill -9 or a time-out, so that no server
 * outlives its test holding a port and a directory; if `parent` is already gone it exits at once. */
void fx_tie_to_parent(pid_t parent);

#endif
