/* child_tie.c - see child_tie.h. */
#include "child_tie.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

void fx_tie_to_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
}
