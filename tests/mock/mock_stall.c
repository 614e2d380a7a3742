/* mock_stall.c - one timer thread that resumes suspended connections when their stall ends, so a
 * stalled request never holds one of the server's threads. */
#include "mock_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void *stall_main(void *arg)
{
    mk_stall *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        int64_t now = mk_now_ms();
        while (s->head != NULL && s->head->deadline <= now) {
            mk_stall_entry *e = s->head;
            s->head = e->next;
            MHD_resume_connection(e->conn);
            free(e);
        }
        if (s->head == NULL) {
            pthread_cond_wait(&s->cv, &s->lock);
        } else {
            int64_t wait = s->head->deadline - now;
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += (time_t)(wait / 1000);
            ts.tv_nsec += (long)(wait % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            int rc = pthread_cond_timedwait(&s->cv, &s->lock, &ts);
            (void)rc; /* ETIMEDOUT or a signal: re-check the list either way */
        }
    }
    /* stopping: resume everything still waiting so the daemon can shut down */
    while (s->head != NULL) {
        mk_stall_entry *e = s->head;
        s->head = e->next;
        MHD_resume_connection(e->conn);
        free(e);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int mk_stall_start(mk_stall *s)
{
    memset(s, 0, sizeof *s);
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return -1;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        pthread_cond_destroy(&s->cv);
        return -1;
    }
    if (pthread_create(&s->thread, NULL, stall_main, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cv);
        return -1;
    }
    s->started = true;
    return 0;
}

void mk_stall_add(mk_stall *s, struct MHD_Connection *conn, int64_t deadline)
{
    mk_stall_entry *e = malloc(sizeof *e);
    pthread_mutex_lock(&s->lock);
    if (s->stop || e == NULL) {
        pthread_mutex_unlock(&s->lock);
        free(e);
        MHD_resume_connection(conn);
        return;
    }
    e->conn = conn;
    e->deadline = deadline;
    mk_stall_entry **pp = &s->head;
    while (*pp != NULL && (*pp)->deadline <= deadline)
        pp = &(*pp)->next;
    e->next = *pp;
    *pp = e;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->lock);
}

void mk_stall_stop(mk_stall *s)
{
    if (!s->started)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
}

void mk_stall_destroy(mk_stall *s)
{
    if (!s->started)
        return;
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cv);
    s->started = false;
}
