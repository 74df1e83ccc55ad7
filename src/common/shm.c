/* shm.c — shared memory with a robust, process-shared mutex (see shm.h). */
#include <errno.h>
#include <sys/mman.h>

#include "common/shm.h"

void *dd_shm_new(size_t size, size_t mutex_offset)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	pthread_mutexattr_t a;
	if (pthread_mutexattr_init(&a)) {
		munmap(m, size);
		return NULL;
	}
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	int r = pthread_mutex_init((pthread_mutex_t *)((char *)m + mutex_offset), &a);
	pthread_mutexattr_destroy(&a);
	if (r) {
		munmap(m, size);
		return NULL;
	}
	return m;
}

bool dd_shm_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) != EOWNERDEAD)
		return false;
	pthread_mutex_consistent(m);
	return true;
}
