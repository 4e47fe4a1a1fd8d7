/* metrics: the shared counters (see metrics.h). */
#include "metrics.h"

#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct mx_shared {
	_Atomic uint64_t v[MX_COUNT];
};

static struct mx_shared *mx;

int
metrics_init(void)
{
	void *p;

	if (mx != NULL)
		return 0;
	p = mmap(NULL, sizeof(*mx), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	mx = p;
	for (int i = 0; i < MX_COUNT; i++)
		atomic_init(&mx->v[i], 0);
	atomic_store_explicit(&mx->v[MX_UP_SINCE], (uint64_t)time(NULL), memory_order_relaxed);
	return 0;
}

void
mx_add(int id, uint64_t n)
{
	if (mx != NULL && id >= 0 && id < MX_COUNT && n != 0)
		atomic_fetch_add_explicit(&mx->v[id], n, memory_order_relaxed);
}

void
mx_batch_flush(struct mx_batch *b)
{
	if (b->msgs == 0)
		return;
	mx_add(b->base + MX_MESSAGES, b->msgs);
	mx_add(b->base + MX_BYTES, b->bytes);
	mx_add(b->base + MX_TRUNCATED, b->truncated);
	b->msgs = b->bytes = b->truncated = 0;
}

void
mx_set(int id, uint64_t n)
{
	if (mx != NULL && id >= 0 && id < MX_COUNT)
		atomic_store_explicit(&mx->v[id], n, memory_order_relaxed);
}

void
mx_fsync(uint64_t us)
{
	static const uint64_t bounds[MX_FSYNC_NBOUNDS] = MX_FSYNC_BOUNDS_US;
	int b = 0;

	while (b < MX_FSYNC_NBOUNDS && us > bounds[b])
		b++;
	mx_add(MX_FSYNCS, 1);
	mx_add(MX_FSYNC_BUCKET + b, 1);
	mx_add(MX_FSYNC_SUM_US, us);
}

void
metrics_snapshot(struct mx_values *out)
{
	if (mx == NULL) {
		memset(out, 0, sizeof(*out));
		return;
	}
	for (int i = 0; i < MX_COUNT; i++)
		out->v[i] = atomic_load_explicit(&mx->v[i], memory_order_relaxed);
}
