/*
 * coro.c — coroutines on ucontext (see coro.h). Each has an mmap'd stack
 * with a guard page below it. Under AddressSanitizer every switch is
 * announced (__sanitizer_*_switch_fiber), and valgrind is told where the
 * stacks are, so both keep their view of the stack right.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/coro.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define CORO_ASAN 1
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CORO_VALGRIND 1
#endif
#endif

struct coro {
	ucontext_t ctx, caller;
	void (*fn)(void *);
	void *arg;
	char *map; /* guard page + stack */
	size_t map_size, page;
	bool done;
	void *fake_stack;	   /* ASan: this coroutine's fake stack while it is switched out */
	const void *caller_bottom; /* ASan: the resumer's stack */
	size_t caller_size;
	unsigned vg_id;
	bool (*ready)(void *); /* what it waits for, or NULL */
	void *ready_arg;
};

static __thread coro_t *current;
static __thread struct event_base *thread_base;

coro_t *coro_current(void)
{
	return current;
}

struct event_base *coro_thread_base(void)
{
	return thread_base;
}

void coro_set_thread_base(struct event_base *base)
{
	thread_base = base;
}

static void trampoline(unsigned lo, unsigned hi)
{
	coro_t *c = (coro_t *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(NULL, &c->caller_bottom, &c->caller_size);
#endif
	c->fn(c->arg);
	c->done = true;
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(NULL, c->caller_bottom,
				       c->caller_size); /* this fiber ends */
#endif
	/* Returning switches to uc_link: the resumer. */
}

coro_t *coro_new(void (*fn)(void *), void *arg, size_t stack_size)
{
	coro_t *volatile c = calloc(1, sizeof(*c)); /* volatile: getcontext() returns twice */
	if (!c)
		return NULL;
	long pg = sysconf(_SC_PAGESIZE);
	c->page = pg > 0 ? (size_t)pg : 4096;
	stack_size = (stack_size + c->page - 1) / c->page * c->page;
	c->map_size = stack_size + c->page;
	c->map = mmap(NULL, c->map_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (c->map == MAP_FAILED) {
		free(c);
		return NULL;
	}
	mprotect(c->map, c->page, PROT_NONE); /* an overflow faults instead of corrupting */
	c->fn = fn;
	c->arg = arg;
	if (getcontext(&c->ctx) != 0) {
		munmap(c->map, c->map_size);
		free(c);
		return NULL;
	}
	c->ctx.uc_stack.ss_sp = c->map + c->page;
	c->ctx.uc_stack.ss_size = stack_size;
	c->ctx.uc_link = &c->caller;
	uintptr_t p = (uintptr_t)c;
	makecontext(&c->ctx, (void (*)(void))trampoline, 2, (unsigned)(p & 0xffffffffu),
		    (unsigned)(p >> 32));
#ifdef CORO_VALGRIND
	c->vg_id = VALGRIND_STACK_REGISTER(c->map + c->page, c->map + c->map_size);
#endif
	return c;
}

void coro_free(coro_t *c)
{
	if (!c)
		return;
#ifdef CORO_VALGRIND
	VALGRIND_STACK_DEREGISTER(c->vg_id);
#endif
	munmap(c->map, c->map_size);
	free(c);
}

bool coro_resume(coro_t *c)
{
	if (c->done)
		return false;
	coro_t *prev = current;
	current = c;
#ifdef CORO_ASAN
	void *fake = NULL;
	__sanitizer_start_switch_fiber(&fake, c->map + c->page, c->map_size - c->page);
#endif
	swapcontext(&c->caller, &c->ctx);
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	current = prev;
	return !c->done;
}

void coro_yield(void)
{
	coro_t *c = current;
	if (!c)
		return;
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(&c->fake_stack, c->caller_bottom, c->caller_size);
#endif
	swapcontext(&c->ctx, &c->caller);
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(c->fake_stack, &c->caller_bottom, &c->caller_size);
#endif
}

void coro_wait(bool (*ready)(void *), void *arg)
{
	coro_t *c = current;
	if (!c)
		return;
	c->ready = ready;
	c->ready_arg = arg;
	while (!ready(arg))
		coro_yield();
	c->ready = NULL;
}

bool coro_ready(const coro_t *c)
{
	return !c->done && (!c->ready || c->ready(c->ready_arg));
}
