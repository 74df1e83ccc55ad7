/*
 * test_coro.c — coroutines (src/common/coro.c): resume and yield in turn,
 * waiting on a condition without being switched to, stacks that hold a
 * deep call, and nothing running as a coroutine outside one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/coro.h"

static int trace[16];
static int n_trace;

static void step(void *arg)
{
	int id = (int)(intptr_t)arg;
	for (int i = 0; i < 3; i++) {
		trace[n_trace++] = id * 10 + i;
		assert_non_null(coro_current());
		coro_yield();
	}
}

static void test_turns(void **state)
{
	n_trace = 0;
	assert_null(coro_current());
	coro_t *a = coro_new(step, (void *)(intptr_t)1, 64 * 1024);
	coro_t *b = coro_new(step, (void *)(intptr_t)2, 64 * 1024);
	assert_non_null(a);
	assert_non_null(b);
	bool la = true, lb = true;
	while (la || lb) {
		if (la)
			la = coro_resume(a);
		if (lb)
			lb = coro_resume(b);
	}
	int want[] = {10, 20, 11, 21, 12, 22};
	assert_int_equal(n_trace, 6);
	assert_memory_equal(trace, want, sizeof(want));
	assert_false(coro_resume(a)); /* finished stays finished */
	assert_null(coro_current());
	coro_free(a);
	coro_free(b);
}

static int gate;
static bool gate_open(void *arg)
{
	return gate >= *(int *)arg;
}

static void waiter(void *arg)
{
	coro_wait(gate_open, arg);
	trace[n_trace++] = gate;
}

static void test_wait(void **state)
{
	n_trace = 0;
	gate = 0;
	int need = 2;
	coro_t *c = coro_new(waiter, &need, 64 * 1024);
	assert_true(coro_resume(c)); /* waits */
	assert_false(coro_ready(c));
	gate = 1;
	assert_false(coro_ready(c));
	gate = 2;
	assert_true(coro_ready(c));
	assert_false(coro_resume(c)); /* goes on and ends */
	assert_int_equal(n_trace, 1);
	assert_int_equal(trace[0], 2);
	assert_false(coro_ready(c));
	coro_free(c);
}

static unsigned deep(unsigned n)
{
	volatile char pad[512];
	memset((char *)pad, (int)n, sizeof(pad));
	return n ? deep(n - 1) + (pad[7] != (char)n) : 0; /* 0 unless a frame was overwritten */
}

static void dig(void *arg)
{
	*(unsigned *)arg = deep(200); /* about 100 KiB of stack */
}

static void test_stack(void **state)
{
	unsigned r = 1;
	coro_t *c = coro_new(dig, &r, 512 * 1024);
	assert_false(coro_resume(c));
	assert_int_equal(r, 0);
	coro_free(c);
	coro_yield(); /* outside a coroutine: nothing happens */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_turns),
	    cmocka_unit_test(test_wait),
	    cmocka_unit_test(test_stack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
