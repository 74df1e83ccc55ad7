/*
 * coro.h — many checks on one thread: each runs as a coroutine with its own
 * stack, and gives the thread back whenever it waits for answers.
 *
 * `scan` runs a few threads, each with one event loop and several checks;
 * a check that waits (engine_wait) yields to its thread's scheduler, which
 * runs the loop and resumes the checks whose queries are done. Everything
 * else (the command line, `serve`) is unchanged: outside a coroutine,
 * engine_wait runs the loop itself.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

typedef struct coro coro_t;

/* A coroutine that will run fn(arg) on a stack of `stack_size` octets. */
coro_t *coro_new(void (*fn)(void *), void *arg, size_t stack_size);
void coro_free(coro_t *c);

/* Run `c` until it yields or returns. False once fn has returned. */
bool coro_resume(coro_t *c);

/* Inside a coroutine: give the thread back to whoever resumed it. */
void coro_yield(void);

/* Inside a coroutine: yield until ready(arg) holds (the scheduler asks
 * coro_ready() without switching to the coroutine). */
void coro_wait(bool (*ready)(void *), void *arg);

/* Would `c` go on if resumed now? (Not waiting, or its condition holds.) */
bool coro_ready(const coro_t *c);

/* The running coroutine of this thread, or NULL outside any. */
coro_t *coro_current(void);

/* The event loop checks on this thread share (NULL: each check has its own). */
struct event_base *coro_thread_base(void);
void coro_set_thread_base(struct event_base *base);
