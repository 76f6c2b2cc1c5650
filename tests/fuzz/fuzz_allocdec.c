/*
 * fuzz_allocdec.c - the allocation probe decoder (samplers/allocprobe.c
 * allocdec__*), which turns uprobe hits on the target's allocator (entry
 * and return samples with user registers and stack) into NL_REC_ALLOC.
 *
 * Input: u8 min_size shift, u8 nr_bound (<= 8), nr_bound x u8 name index
 * (into names[] below: every probe and return name, and a few that are
 * not probes), then samples until the bytes end, each
 *   u8 event, u32 tid, u64 time, u64 regs_mask, popcount(mask) x u64 regs,
 *   u16 stack bytes + the bytes, u8 callchain entries + u64 each
 * (the shape perf_record.c hands the decoder: regs_user holds one u64 per
 * mask bit, the stack its stack_size bytes).  Seeds (fuzz_seeds.c): malloc
 * entry + return pairs, mmap, free, an unpaired return.
 *
 * Checked beyond the sanitizers: an NL_REC_ALLOC's stack lies inside the
 * sample's stack copy and its callchain is the sample's; every byte of
 * both is read.
 */
#include "fuzz.h"
#include "samplers/allocprobe.h"

static const char *const names[] = {
	"alloc:mmap", "alloc:mmap_ret", "alloc:munmap", "alloc:mremap", "alloc:mremap_ret",
	"alloc:malloc", "alloc:malloc_ret", "alloc:calloc", "alloc:calloc_ret",
	"alloc:realloc", "alloc:realloc_ret", "alloc:free", "alloc:free_ret",
	"alloc:", "alloc:mallocx", "cpu-clock", "alloc:malloc_re",
};
#define NR_NAMES (sizeof(names) / sizeof(names[0]))

struct in {
	const uint8_t *p, *end;
};

static bool take(struct in *in, void *out, size_t n)
{
	if ((size_t)(in->end - in->p) < n)
		return false;
	memcpy(out, in->p, n);
	in->p += n;
	return true;
}

static void check_alloc(const struct nl_record *rec, const struct nl_sample *s)
{
	const struct nl_alloc_event *a = &rec->alloc;
	uint64_t sum = 0;

	if (rec->kind != NL_REC_ALLOC)
		fuzz_fail("allocdec__convert returned 1 without an NL_REC_ALLOC");
	if (a->stack && (a->stack < (const uint8_t *)s->stack_user ||
			 a->stack + a->stack_size > (const uint8_t *)s->stack_user + s->stack_size))
		fuzz_fail("an allocation's stack (%lu bytes) outside the sample's copy",
			  (unsigned long)a->stack_size);
	for (uint64_t i = 0; a->stack && i < a->stack_size; i++)
		sum += a->stack[i];
	if (a->nr_callchain != s->nr_callchain)
		fuzz_fail("an allocation's callchain is not its sample's");
	for (uint32_t i = 0; i < a->nr_callchain; i++)
		sum += a->callchain[i];
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, data + size };
	struct nl_allocdec d;
	uint8_t shift = 0, nr_bound = 0;
	uint64_t regs[64], chain[32];
	uint8_t stack[4096];

	if (!take(&in, &shift, 1) || !take(&in, &nr_bound, 1))
		return 0;
	allocdec__init(&d, 1ull << (shift % 40));
	for (uint8_t i = 0; i < nr_bound % 9; i++) {
		uint8_t n;

		if (!take(&in, &n, 1))
			break;
		allocdec__bind(&d, i, names[n % NR_NAMES]);
	}
	for (;;) {
		struct nl_record rec = { .kind = NL_REC_SAMPLE };
		struct nl_sample *s = &rec.sample, given;
		uint8_t ev, nr_chain;
		uint16_t stack_size;
		uint32_t tid;
		int r;

		if (!take(&in, &ev, 1) || !take(&in, &tid, 4) || !take(&in, &s->time, 8) ||
		    !take(&in, &s->regs_mask, 8))
			break;
		s->nr_regs_user = (uint32_t)__builtin_popcountll(s->regs_mask);
		if (!take(&in, regs, 8 * (size_t)s->nr_regs_user) || !take(&in, &stack_size, 2))
			break;
		stack_size %= sizeof(stack) + 1;
		if (!take(&in, stack, stack_size) || !take(&in, &nr_chain, 1))
			break;
		nr_chain %= 33;
		if (!take(&in, chain, 8 * (size_t)nr_chain))
			break;
		s->valid = NL_SAMPLE_TID | NL_SAMPLE_TIME | NL_SAMPLE_CPU |
			   (s->nr_regs_user ? NL_SAMPLE_USER_STACK : 0);
		s->event = ev % 10;
		s->pid = 100;
		s->tid = (int32_t)tid;
		s->cpu = 0;
		s->regs_user = s->nr_regs_user ? regs : NULL;
		s->stack_user = stack_size ? stack : NULL;
		s->stack_size = stack_size;
		s->nr_callchain = nr_chain;
		s->callchain = nr_chain ? chain : NULL;
		given = *s;     /* rec is a union: an NL_REC_ALLOC overwrites the sample */
		r = allocdec__convert(&d, &rec);
		if (r == 1)
			check_alloc(&rec, &given);
		else if (r != 0 && r != -1)
			fuzz_fail("allocdec__convert returned %d", r);
		else if (r == -1 && rec.kind != NL_REC_SAMPLE)
			fuzz_fail("a sample that is not a probe hit was changed");
	}
	allocdec__free(&d);
	return 0;
}
