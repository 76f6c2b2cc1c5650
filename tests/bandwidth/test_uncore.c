/*
 * test_uncore.c - memory-controller bandwidth (samplers/uncore.c) on a fake
 * sysfs tree shaped like a two-socket Skylake-SP (uncore_imc_N with the
 * kernel's cas_count_read/write, scale and unit) and a fake PMU through the
 * syscall table: encoding from format/, controller -> node, the scale
 * applied once, multiplexed counts scaled, the reasons when nothing counts;
 * then one shaped like an AMD Zen 4 (amd_umc_N without named events: the
 * data row's terms encoded with the PMU's format/, 64 B per CAS command);
 * then an AMD Zen 3 two-socket data fabric (one amd_df PMU, cpumask "0,4":
 * one DF instance per socket; perf's dram_channel_data_controller_0..7,
 * event 0x07 + 0x40 x channel spread over the format's two ranges
 * "config:0-7,32-35", umask 0x38, 64 B per count, reads and writes in one
 * count), a Zen 4 DF v2 (found, not encoded) and a DF beside amd_umc
 * (the UMCs count).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "../smt/guest_topology.h"
#include "samplers/base/diag.h"
#include "samplers/base/sys.h"
#include "samplers/uncore.h"

static char root[256];

static void put(const char *text, const char *fmt, ...)
{
	char rel[512], path[1024], cmd[1200];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd))
		return;
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* AMD Zen 4 UMC (Linux 6.9+): format only, no events/ directory. */
static void umc(int n, const char *cpumask, bool rdwrmask)
{
	const char *d = "bus/event_source/devices";

	put("15\n", "%s/amd_umc_%d/type", d, n);
	put(cpumask, "%s/amd_umc_%d/cpumask", d, n);
	put("config:0-7\n", "%s/amd_umc_%d/format/event", d, n);
	if (rdwrmask)
		put("config:8-9\n", "%s/amd_umc_%d/format/rdwrmask", d, n);
}

/* AMD data fabric: one PMU; DF v1 (Zen 1-3) or v2 (Zen 4+) formats. */
static void df(const char *cpumask, bool v2)
{
	const char *d = "bus/event_source/devices/amd_df";

	put("16\n", "%s/type", d);
	put(cpumask, "%s/cpumask", d);
	put(v2 ? "config:0-7,32-37\n" : "config:0-7,32-35\n", "%s/format/event", d);
	put(v2 ? "config:8-15,24-27\n" : "config:8-15\n", "%s/format/umask", d);
}

static void imc(int n, const char *cpumask)
{
	const char *d = "bus/event_source/devices";

	put("14\n", "%s/uncore_imc_%d/type", d, n);
	put(cpumask, "%s/uncore_imc_%d/cpumask", d, n);
	put("config:0-7\n", "%s/uncore_imc_%d/format/event", d, n);
	put("config:8-15\n", "%s/uncore_imc_%d/format/umask", d, n);
	put("event=0x04,umask=0x03\n", "%s/uncore_imc_%d/events/cas_count_read", d, n);
	put("6.103515625e-5\n", "%s/uncore_imc_%d/events/cas_count_read.scale", d, n);
	put("MiB\n", "%s/uncore_imc_%d/events/cas_count_read.unit", d, n);
	put("event=0x04,umask=0x0c\n", "%s/uncore_imc_%d/events/cas_count_write", d, n);
	put("6.103515625e-5\n", "%s/uncore_imc_%d/events/cas_count_write.scale", d, n);
	put("MiB\n", "%s/uncore_imc_%d/events/cas_count_write.unit", d, n);
}

/* --- a fake PMU: fd 100 + i counts 16384 lines (1 MiB) per read ------------ */
static int fake_refuse;
static uint32_t fake_type = 14;
static uint64_t clock_ns;
static struct { uint64_t value, enabled, running; int half; } fake[16];
static int nr_fake;

static int fake_open(struct perf_event_attr *a, pid_t pid, int cpu, int group,
		     unsigned long flags)
{
	(void)group; (void)flags;
	if (fake_refuse)
		return -EACCES;
	CHECK(pid == -1 && cpu >= 0 && a->type == fake_type);
	CHECK(a->read_format == (PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING));
	memset(&fake[nr_fake], 0, sizeof(fake[0]));
	fake[nr_fake].half = nr_fake == 3;      /* one counter multiplexed 50 % */
	return 100 + nr_fake++;
}

static ssize_t fake_read(int fd, void *buf, size_t len)
{
	uint64_t *v = buf;
	int i = fd - 100;

	if (i < 0 || i >= nr_fake)
		return sys__default()->read(fd, buf, len);
	v[0] = fake[i].value;
	v[1] = fake[i].enabled;
	v[2] = fake[i].running;
	return 24;
}

static int fake_close(int fd)
{
	return fd >= 100 && fd < 116 ? 0 : sys__default()->close(fd);
}

static uint64_t fake_now(void)
{
	return clock_ns;
}

/* One second passes: every counter counts 1 MiB (the half one: half of it). */
static void second(void)
{
	clock_ns += 1000000000ull;
	for (int i = 0; i < nr_fake; i++) {
		fake[i].enabled += 1000000000ull;
		fake[i].running += fake[i].half ? 500000000ull : 1000000000ull;
		fake[i].value += fake[i].half ? 8192 : 16384;
	}
}

int main(void)
{
	struct nl_topology *topo = guest_topology();
	struct nl_sys sys = *sys__default();
	struct nl_uncore_discovery disc;
	struct nl_uncore *u;
	struct nl_bandwidth bw;
	struct nl_error err;
	char cmd[300];

	snprintf(root, sizeof(root), "/tmp/nl-uncore.XXXXXX");
	if (!mkdtemp(root))
		check_skip("mkdtemp failed");
	/* nothing at all: no PMU directory */
	CHECK(uncore__discover(&sys, root, topo, &disc) == 0 && disc.nr_events == 0);
	CHECK(uncore__start(&sys, &disc, &u, &err) == -ENODEV && u == NULL);
	CHECK(strstr(err.cause, "no memory-controller PMU") != NULL);
	/* AMD: a UMC PMU without named events */
	put("15\n", "bus/event_source/devices/amd_umc_0/type");
	CHECK(uncore__discover(&sys, root, topo, &disc) == 0 && disc.nr_unencoded == 1);
	CHECK(uncore__start(&sys, &disc, &u, &err) == -ENODEV);
	CHECK(strstr(err.cause, "amd_umc_0") != NULL);
	/* two sockets, two controllers each */
	imc(0, "0\n");
	imc(1, "0\n");
	imc(2, "4\n");
	imc(3, "4\n");
	put("not a number\n", "bus/event_source/devices/uncore_imc_7/type");  /* ignored */
	CHECK(uncore__discover(&sys, root, topo, &disc) == 0);
	CHECK_EQ_U64(disc.nr_events, 8);
	for (int i = 0; i < disc.nr_events; i++) {
		const struct nl_uncore_event *e = &disc.events[i];

		CHECK_EQ_U64(e->type, 14);
		CHECK_EQ_U64(e->config, e->write ? 0x0c04 : 0x0304);
		CHECK(e->scale > 6.1e-5 && e->scale < 6.2e-5);
		CHECK(e->unit_bytes == 1048576.0);
		CHECK_EQ_U64(e->node, e->cpu == 4 ? 1 : 0);
	}
	/* refused: one line with the fix */
	sys.perf_event_open = fake_open;
	sys.read = fake_read;
	sys.close = fake_close;
	sys.now_ns = fake_now;
	fake_refuse = 1;
	CHECK(uncore__start(&sys, &disc, &u, &err) == -EACCES);
	CHECK(strstr(err.fix, "perf_event_paranoid") != NULL);
	fake_refuse = 0;
	nr_fake = 0;
	CHECK(uncore__start(&sys, &disc, &u, &err) == 0 && u);
	for (int s = 0; s < 3; s++) {
		second();
		uncore__tick(u);
	}
	second();
	CHECK(uncore__stop(u, &bw) == 0);
	CHECK(bw.measured && bw.multiplexed);
	CHECK_EQ_U64(bw.nr_nodes, 2);
	CHECK_EQ_U64(bw.nr_ticks, 4);
	CHECK(bw.seconds > 3.99 && bw.seconds < 4.01);
	for (int n = 0; n < bw.nr_nodes; n++) {
		/* two controllers x 1 MiB/s each way (the multiplexed one scaled x2) */
		CHECK(bw.nodes[n].read_mean > 2097151 && bw.nodes[n].read_mean < 2097153);
		CHECK(bw.nodes[n].write_mean > 2097151 && bw.nodes[n].write_mean < 2097153);
		CHECK(bw.nodes[n].read_peak > 2097151 && bw.nodes[n].read_peak < 2097153);
		CHECK(bw.series[0][n] > 4194303 && bw.series[0][n] < 4194305);
	}
	uncore__result_free(&bw);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);

	/* AMD Zen 4: two sockets, two UMCs each, one of an older kernel (no rdwrmask) */
	snprintf(root, sizeof(root), "/tmp/nl-uncore.XXXXXX");
	if (!mkdtemp(root))
		check_skip("mkdtemp failed");
	umc(0, "0\n", true);
	umc(1, "0\n", true);
	umc(2, "4\n", true);
	umc(3, "4\n", true);
	umc(4, "4\n", false);
	CHECK(uncore__discover(sys__default(), root, topo, &disc) == 0);
	CHECK_EQ_U64(disc.nr_events, 8);
	CHECK_EQ_U64(disc.nr_unencoded, 1);
	CHECK_EQ_STR(disc.unencoded_example, "amd_umc_4");
	for (int i = 0; i < disc.nr_events; i++) {
		const struct nl_uncore_event *e = &disc.events[i];

		CHECK_EQ_U64(e->type, 15);
		/* umc_cas_cmd.rd / .wr: event 0x0a, rdwrmask 1 / 2 */
		CHECK_EQ_U64(e->config, e->write ? 0x20a : 0x10a);
		CHECK(e->scale == 1 && e->unit_bytes == 64);
		CHECK_EQ_U64(e->node, e->cpu == 4 ? 1 : 0);
	}
	fake_type = 15;
	nr_fake = 0;
	CHECK(uncore__start(&sys, &disc, &u, &err) == 0 && u);
	for (int s = 0; s < 3; s++) {
		second();
		uncore__tick(u);
	}
	second();
	CHECK(uncore__stop(u, &bw) == 0);
	CHECK(bw.measured && bw.multiplexed);
	CHECK_EQ_U64(bw.nr_nodes, 2);
	for (int n = 0; n < bw.nr_nodes; n++) {
		/* 16384 commands x 64 B = 1 MiB/s per controller and way, x 2 controllers:
		   the 64 B applied once (twice would be 128 MiB/s, none 32 KiB/s) */
		CHECK(bw.nodes[n].read_mean > 2097151 && bw.nodes[n].read_mean < 2097153);
		CHECK(bw.nodes[n].write_mean > 2097151 && bw.nodes[n].write_mean < 2097153);
	}
	uncore__result_free(&bw);
	/* the UMCs count DRAM here: a DF beside them adds nothing */
	df("0,4\n", false);
	CHECK(uncore__discover(sys__default(), root, topo, &disc) == 0);
	CHECK_EQ_U64(disc.nr_events, 8);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);

	/* AMD Zen 3, two sockets: amd_df only */
	snprintf(root, sizeof(root), "/tmp/nl-uncore.XXXXXX");
	if (!mkdtemp(root))
		check_skip("mkdtemp failed");
	df("0,4\n", false);
	CHECK(uncore__discover(sys__default(), root, topo, &disc) == 0);
	CHECK_EQ_U64(disc.nr_events, 16);
	CHECK_EQ_U64(disc.nr_unencoded, 0);
	for (int i = 0; i < disc.nr_events; i++) {
		const struct nl_uncore_event *e = &disc.events[i];
		uint64_t code = 0x07 + 0x40 * (uint64_t)(i % 8);

		CHECK_EQ_U64(e->type, 16);
		/* event bits 0-7 and 8-11 -> config 0-7 and 32-35; umask 0x38 -> 8-15 */
		CHECK_EQ_U64(e->config, (code & 0xff) | (code >> 8) << 32 | 0x38 << 8);
		CHECK(e->both && !e->write && e->scale == 1 && e->unit_bytes == 64);
		CHECK_EQ_U64(e->cpu, i < 8 ? 0 : 4);
		CHECK_EQ_U64(e->node, i < 8 ? 0 : 1);
	}
	CHECK_EQ_U64(disc.events[4].config, 0x100003807ull);    /* channel 4: event 0x107 */
	fake_type = 16;
	nr_fake = 0;
	CHECK(uncore__start(&sys, &disc, &u, &err) == 0 && u);
	CHECK_EQ_U64(nr_fake, 16);
	for (int s = 0; s < 3; s++) {
		second();
		uncore__tick(u);
	}
	second();
	CHECK(uncore__stop(u, &bw) == 0);
	CHECK(bw.measured && bw.directions_combined);
	CHECK_EQ_U64(bw.nr_nodes, 2);
	for (int n = 0; n < bw.nr_nodes; n++) {
		/* 8 channels x 16384 counts x 64 B = 8 MiB/s per socket, both ways in
		   one figure: the 64 B once (twice: 16 MiB/s; none: 128 KiB/s) */
		CHECK(bw.nodes[n].read_mean > 8388607 && bw.nodes[n].read_mean < 8388609);
		CHECK(bw.nodes[n].write_mean == 0);
	}
	uncore__result_free(&bw);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);

	/* AMD Zen 4 without amd_umc (a kernel before 6.9): DF v2, found, not encoded */
	snprintf(root, sizeof(root), "/tmp/nl-uncore.XXXXXX");
	if (!mkdtemp(root))
		check_skip("mkdtemp failed");
	df("0,4\n", true);
	CHECK(uncore__discover(sys__default(), root, topo, &disc) == 0);
	CHECK_EQ_U64(disc.nr_events, 0);
	CHECK_EQ_U64(disc.nr_unencoded, 1);
	CHECK_EQ_STR(disc.unencoded_example, "amd_df");
	CHECK(uncore__start(&sys, &disc, &u, &err) == -ENODEV && strstr(err.cause, "amd_df"));
	topology__free(topo);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", root);
	return check_done();
}
