/*
 * shm.h — memory shared between a process and the workers it forks: an anonymous
 * MAP_SHARED mapping with a process-shared, robust mutex (serve's answer cache and
 * query budgets).
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* `size` bytes of zeroed shared memory (pages are taken only as they are written) whose
 * start holds a mutex at `mutex_offset`, initialised process-shared and robust. NULL on
 * failure. The caller frees it with munmap(p, size). */
void *dd_shm_new(size_t size, size_t mutex_offset);

/* Lock `m`. True when its previous holder died holding it (a crashed worker): the
 * mutex is made consistent again, and the caller repairs what may be half written. */
bool dd_shm_lock(pthread_mutex_t *m);
