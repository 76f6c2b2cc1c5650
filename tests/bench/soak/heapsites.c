/*
 * heapsites.c - an LD_PRELOAD heap census by allocation call stack, for the
 * soak (issue 14): which code holds the live bytes that grow.  heaptrack
 * slows numalens enough that it loses samples and its window widens; this
 * keeps one hash insert and a backtrace() per allocation.
 *
 *   cc -O2 -shared -fPIC -o heapsites.so heapsites.c -ldl -lpthread
 *   HEAPSITES_OUT=/tmp/hs HEAPSITES_EVERY=50 LD_PRELOAD=./heapsites.so numalens ...
 *
 * Every HEAPSITES_EVERY seconds (default 50) it writes HEAPSITES_OUT.<s>:
 * one line per call stack with live bytes: "bytes count obj+off;obj+off;...".
 * heapsites.py diffs two of them and names the frames (addr2line).
 * Not part of the build: a measuring tool, built by hand.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEPTH 10
#define PTR_BITS 22
#define SITE_BITS 16

struct ptr_slot { uintptr_t p; size_t size; uint32_t site; };
struct site { uint64_t hash; int nr; void *ip[DEPTH]; int64_t bytes, count; };

static void *(*real_malloc)(size_t), *(*real_calloc)(size_t, size_t), *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static struct ptr_slot *ptrs;
static struct site *sites;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int inside;
static char boot[1 << 16];
static size_t boot_used;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static uint32_t site_of(void)
{
	void *ip[DEPTH + 2];
	int n = backtrace(ip, DEPTH + 2) - 2;
	uint64_t h = 0;
	uint32_t i;

	if (n < 0)
		n = 0;
	for (int k = 0; k < n; k++)
		h = mix(h ^ (uintptr_t)ip[k + 2]);
	for (i = (uint32_t)h & ((1u << SITE_BITS) - 1);; i = (i + 1) & ((1u << SITE_BITS) - 1)) {
		if (sites[i].hash == h && sites[i].nr == n)
			return i;
		if (!sites[i].hash && !sites[i].nr) {
			sites[i].hash = h;
			sites[i].nr = n ? n : -1;
			memcpy(sites[i].ip, ip + 2, (size_t)n * sizeof(void *));
			return i;
		}
	}
}

static struct ptr_slot *slot_of(uintptr_t p, int make)
{
	uint32_t mask = (1u << PTR_BITS) - 1;

	for (uint32_t i = (uint32_t)mix(p) & mask;; i = (i + 1) & mask) {
		if (ptrs[i].p == p)
			return &ptrs[i];
		if (!ptrs[i].p)
			return make ? &ptrs[i] : NULL;
	}
}

/* deletion in linear probing: shift the run back over the hole */
static void slot_del(struct ptr_slot *s)
{
	uint32_t mask = (1u << PTR_BITS) - 1, i = (uint32_t)(s - ptrs), j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (!ptrs[j].p)
			break;
		uint32_t k = (uint32_t)mix(ptrs[j].p) & mask;
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			ptrs[i] = ptrs[j];
			i = j;
		}
	}
	ptrs[i].p = 0;
}

static void track(void *p, size_t size)
{
	struct ptr_slot *s;

	if (!p || inside || !ptrs)
		return;
	inside = 1;
	pthread_mutex_lock(&lock);
	s = slot_of((uintptr_t)p, 1);
	s->p = (uintptr_t)p;
	s->size = size;
	s->site = site_of();
	sites[s->site].bytes += (int64_t)size;
	sites[s->site].count++;
	pthread_mutex_unlock(&lock);
	inside = 0;
}

static void untrack(void *p)
{
	struct ptr_slot *s;

	if (!p || !ptrs)
		return;
	pthread_mutex_lock(&lock);
	if ((s = slot_of((uintptr_t)p, 0))) {
		sites[s->site].bytes -= (int64_t)s->size;
		sites[s->site].count--;
		slot_del(s);
	}
	pthread_mutex_unlock(&lock);
}

static void dump(const char *out, long t)
{
	char path[4096], *buf;
	FILE *f;

	snprintf(path, sizeof(path), "%s.%ld", out, t);
	if (!(f = fopen(path, "w")))
		return;
	pthread_mutex_lock(&lock);
	buf = mmap(NULL, sizeof(struct site) << SITE_BITS, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(buf, sites, sizeof(struct site) << SITE_BITS);
	pthread_mutex_unlock(&lock);
	for (uint32_t i = 0; i < 1u << SITE_BITS; i++) {
		struct site *s = &((struct site *)buf)[i];

		if (!s->nr || !s->bytes)
			continue;
		fprintf(f, "%lld %lld ", (long long)s->bytes, (long long)s->count);
		for (int k = 0; k < s->nr; k++) {
			Dl_info di;

			if (dladdr(s->ip[k], &di) && di.dli_fname)
				fprintf(f, "%s%s+0x%lx", k ? ";" : "", di.dli_fname,
					(unsigned long)((uintptr_t)s->ip[k] - (uintptr_t)di.dli_fbase));
			else
				fprintf(f, "%s?+%p", k ? ";" : "", s->ip[k]);
		}
		fputc('\n', f);
	}
	munmap(buf, sizeof(struct site) << SITE_BITS);
	fclose(f);
}

static void *dumper(void *arg)
{
	const char *out = getenv("HEAPSITES_OUT"), *every = getenv("HEAPSITES_EVERY");
	long e = every ? atol(every) : 50, t = 0;

	(void)arg;
	inside = 1;
	for (;;) {
		sleep((unsigned)e);
		t += e;
		dump(out ? out : "/tmp/heapsites", t);
	}
	return NULL;
}

/* The real allocator and the tables, at the first call (other libraries'
   constructors may allocate before ours runs); dlsym's own allocations,
   meanwhile, come from boot[]. */
static int resolving;

static void resolve(void)
{
	void *bt[2];

	resolving = 1;
	real_malloc = dlsym(RTLD_NEXT, "malloc");
	real_calloc = dlsym(RTLD_NEXT, "calloc");
	real_realloc = dlsym(RTLD_NEXT, "realloc");
	real_free = dlsym(RTLD_NEXT, "free");
	resolving = 0;
	inside = 1;
	backtrace(bt, 2);       /* loads libgcc_s before anything is tracked */
	sites = mmap(NULL, sizeof(struct site) << SITE_BITS, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ptrs = mmap(NULL, sizeof(struct ptr_slot) << PTR_BITS, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	inside = 0;
}

__attribute__((constructor)) static void init(void)
{
	pthread_t th;

	if (!real_malloc)
		resolve();
	pthread_create(&th, NULL, dumper, NULL);
}

static void *boot_alloc(size_t n)
{
	void *p = boot + boot_used;

	boot_used += (n + 15) & ~(size_t)15;
	if (boot_used > sizeof(boot))
		abort();
	return p;
}

static int is_boot(void *p)
{
	return (char *)p >= boot && (char *)p < boot + sizeof(boot);
}

void *malloc(size_t n)
{
	void *p;

	if (resolving)
		return boot_alloc(n);
	if (!real_malloc)
		resolve();
	p = real_malloc(n);
	track(p, n);
	return p;
}

void *calloc(size_t a, size_t b)
{
	void *p;

	if (resolving)
		return boot_alloc(a * b);       /* static: zero */
	if (!real_calloc)
		resolve();
	p = real_calloc(a, b);
	track(p, a * b);
	return p;
}

void *realloc(void *old, size_t n)
{
	void *p;

	if (is_boot(old)) {
		p = malloc(n);
		memcpy(p, old, n);
		return p;
	}
	if (!real_realloc)
		resolve();
	untrack(old);
	p = real_realloc(old, n);
	track(p, n);
	return p;
}

void free(void *p)
{
	if (!p || is_boot(p))
		return;
	if (!real_free)
		resolve();
	untrack(p);
	real_free(p);
}
