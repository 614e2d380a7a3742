/* loop.c - the event-loop face of a client: one non-blocking step, a descriptor and a timeout. */
#include "internal.h"

int modellix_client_step(modellix_client *c, size_t *active_out)
{
    if (active_out)
        *active_out = 0;
    if (!c)
        return MODELLIX_EINVAL;
    mx_clear_error(c); /* an API call: what happens in the background during it stays on the tasks */
    mx_engine_step(&c->eng, 0);
    if (active_out)
        *active_out = c->active.n;
    return MODELLIX_OK;
}

int32_t modellix_client_backend_fd(const modellix_client *c)
{
    /* the backend may make its descriptor on first use (backend_poll.c): the client is not changed
       in any way its caller can see */
    return c ? mx_engine_fd(&((modellix_client *)c)->eng) : -1;
}

int64_t modellix_client_backend_timeout(const modellix_client *c)
{
    if (!c)
        return -1;
    return mx_engine_timeout(&c->eng, mx_now_ms());
}
