/*
 * test_damage.c - damaged input never crashes and always says why.
 *
 * 1. Every fixture cut at every 997th byte of its first and last 256 KiB
 *    (header, attrs, the first records; the last records and the feature
 *    sections) and every 15,952nd byte between (records like their
 *    neighbours; the fuzzers cover them byte by byte): either the open
 *    fails with a cause, or the report is built, counts no more samples
 *    than the whole file, and says where parsing stopped.
 * 2. Crafted bad files through the real binary: one stderr line
 *    "numalens: <file>: <cause> - <fix>", a non-zero exit, no sanitizer
 *    report; a damaged tail still prints the report (exit 3).
 */
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder.h"
#include "check.h"
#include "report_run.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n);
	*len = fread(p, 1, (size_t)n, f);
	fclose(f);
	return p;
}

static double samples_of(const uint8_t *p, size_t len, bool *stopped, bool *opened)
{
	struct nl_error err;
	struct nl_source *src = perfdata__open_buffer(p, len, "cut", &err);
	cJSON *json;
	double n;

	*opened = src != NULL;
	if (!src) {
		CHECK(err.cause[0] != '\0');
		return 0;
	}
	json = report_run__source(src);
	CHECK(json != NULL);
	*stopped = src->stats.stopped_at != 0;
	n = json_num(json, "summary.samples");
	cJSON_Delete(json);
	nl_source__close(src);
	return n;
}

/* Bytes at each end of a fixture cut at the fine stride. */
#define EDGE (256u << 10)

static void sweep(const char *path)
{
	size_t len;
	uint8_t *p = slurp(path, &len);
	bool stopped, opened;
	double full;
	int reported = 0, refused = 0;

	CHECK(p != NULL);
	if (!p)
		return;
	full = samples_of(p, len, &stopped, &opened);
	CHECK(opened && !stopped && full > 0);
	for (size_t cut = 0; cut < len; cut += cut < EDGE || cut + EDGE >= len ? 997 : 16 * 997) {
		double n = samples_of(p, cut, &stopped, &opened);

		if (!opened) {
			refused++;
			continue;
		}
		reported++;
		CHECK(n <= full);
		CHECK(stopped);   /* something is missing: the report must say so */
	}
	printf("%s: %zu bytes, %d cuts reported, %d refused at open\n", path, len, reported, refused);
	CHECK(reported > 0);
	free(p);
}

static void sweep_fixtures(void)
{
	const char *shared = getenv("NL_SHARED");
	char dir[4096], path[8192];
	struct dirent *d;
	DIR *dp;

	if (!shared) {
		printf("SKIP part: NL_SHARED unset, no real fixtures to cut\n");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/fixtures/perfdata", shared);
	dp = opendir(dir);
	if (!dp) {
		printf("SKIP part: %s absent, no real fixtures to cut\n", dir);
		return;
	}
	while ((d = readdir(dp)))
		if (strstr(d->d_name, ".perf.data")) {
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
			sweep(path);
		}
	closedir(dp);
}

/* --- the binary ---------------------------------------------------------- */

static char tmpdir[256];

static void write_file(const char *name, const void *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	if (len)
		fwrite(p, 1, len, f);
	fclose(f);
}

/*
 * Runs numalens with args, stdout to stdout_to (NULL: a file whose size
 * lands in *out_len); returns the exit status, stderr in err.
 */
static int run_to(const char *args, const char *stdout_to, char *err, size_t errsize,
		  size_t *out_len)
{
	char cmd[2048], errpath[512], outpath[512];
	struct stat st;
	FILE *f;
	int status;

	snprintf(errpath, sizeof(errpath), "%s/stderr", tmpdir);
	snprintf(outpath, sizeof(outpath), "%s/stdout", tmpdir);
	snprintf(cmd, sizeof(cmd), "cd %s && \"%s\" %s >%s 2>%s", tmpdir, getenv("NUMALENS"),
		 args, stdout_to ? stdout_to : outpath, errpath);
	unlink(outpath);
	status = system(cmd);
	f = fopen(errpath, "r");
	err[0] = '\0';
	if (f) {
		size_t n = fread(err, 1, errsize - 1, f);
		err[n] = '\0';
		fclose(f);
	}
	*out_len = stat(outpath, &st) ? 0 : (size_t)st.st_size;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int run(const char *args, char *err, size_t errsize, size_t *out_len)
{
	return run_to(args, NULL, err, errsize, out_len);
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* One line naming `object`, the right exit, no sanitizer noise. */
static void expect_error_to(const char *args, const char *stdout_to, const char *object,
			    int want_status, const char *cause_word)
{
	char err[8192];
	size_t out_len;
	int status = run_to(args, stdout_to, err, sizeof(err), &out_len);

	printf("numalens %s -> %d: %s", args, status, err);
	CHECK_EQ_U64(status, want_status);
	CHECK_EQ_U64(lines(err), 1);
	CHECK(!strncmp(err, "numalens: ", 10));
	CHECK(strstr(err, object) != NULL);
	CHECK(strstr(err, " - ") != NULL);           /* a fix follows the cause */
	CHECK(strstr(err, cause_word) != NULL);
	CHECK(!strstr(err, "Sanitizer") && !strstr(err, "runtime error"));
	if (want_status == 3)
		CHECK(out_len > 0);                  /* the report was still written */
}

static void expect_error(const char *args, const char *object, int want_status,
			 const char *cause_word)
{
	expect_error_to(args, NULL, object, want_status, cause_word);
}

static struct fb_file small_file(uint32_t attr_size)
{
	struct fb f;
	struct fb_attr *a;
	struct buf body = { 0 };

	fb_begin(&f, attr_size);
	a = fb_attr(&f, S_IP | S_TID | S_ADDR);
	for (int i = 0; i < 4; i++) {
		body.len = 0;
		put64(&body, 0x1000); put32(&body, 7); put32(&body, 7); put64(&body, 0x2000);
		fb_raw(&f, 9, 2, body.p, body.len);
	}
	free(body.p);
	buf_put(fb_feature(&f, 3), "\x08\0\0\0host\0\0\0\0", 12);
	(void)a;
	return fb_end(&f);
}

static void bad_files(void)
{
	struct fb_file good = small_file(96), bad;
	uint16_t zero = 0, huge = 0xfff8;
	char dev_full[64];

	if (!getenv("NUMALENS")) {
		printf("SKIP part: NUMALENS unset (run through ctest)\n");
		return;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/numalens-damage-XXXXXX");
	CHECK(mkdtemp(tmpdir) != NULL);
	write_file("empty.data", "", 0);
	write_file("magic.data", "not a perf file at all, sorry...", 32);
	write_file("good.data", good.p, good.len);
	bad = small_file(56 + 8);           /* attr size 64 on file: allowed */
	write_file("attr64.data", bad.p, bad.len);
	free(bad.p);
	bad = small_file(96);
	{ uint64_t entry = 56; memcpy(bad.p + 16, &entry, 8); }   /* attr 40 bytes */
	write_file("attr40.data", bad.p, bad.len);
	free(bad.p);
	bad = small_file(96);
	memcpy(bad.p + bad.data_offset + 8 * 4 * 2 + 6, &zero, 2);  /* 2nd record... */
	memcpy(bad.p + bad.data_offset + 32 + 6, &zero, 2);          /* size 0 */
	write_file("size0.data", bad.p, bad.len);
	free(bad.p);
	bad = small_file(96);
	memcpy(bad.p + bad.data_offset + 64 + 6, &huge, 2);         /* runs past end */
	write_file("pastend.data", bad.p, bad.len);
	free(bad.p);
	bad = small_file(96);
	{ uint64_t far = 1ull << 40; memcpy(bad.p + bad.feat_offset, &far, 8); }
	write_file("feature.data", bad.p, bad.len);
	free(bad.p);
	write_file("truncated.data", good.p, good.data_offset + 40);
	mkdir(strcat(strcpy(dev_full, tmpdir), "/adir"), 0755);

	expect_error("report empty.data", "empty.data", 1, "empty");
	expect_error("report magic.data", "magic.data", 1, "magic");
	expect_error("report adir", "adir", 1, "directory");
	expect_error("report missing.data", "missing.data", 1, "No such file");
	expect_error("report attr40.data", "attr40.data", 1, "attr size");
	expect_error("report size0.data", "size0.data", 3, "size 0");
	expect_error("report pastend.data", "pastend.data", 3, "runs past");
	expect_error("report feature.data", "feature.data", 3, "outside the file");
	expect_error("report truncated.data", "truncated.data", 3, "truncated");
	expect_error("report --json /dev/full good.data", "/dev/full", 1, "No space");
	expect_error_to("report good.data", "/dev/full", "stdout", 1, "No space");
	{
		char err[4096];
		size_t out_len;

		CHECK_EQ_U64(run("report attr64.data", err, sizeof(err), &out_len), 0);
		CHECK_EQ_U64(run("report good.data", err, sizeof(err), &out_len), 0);
		CHECK(out_len > 0 && err[0] == '\0');
		CHECK_EQ_U64(run("report --bogus", err, sizeof(err), &out_len), 2);
	}
	free(good.p);
	{
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		CHECK(system(cmd) == 0);
	}
}

int main(void)
{
	bad_files();
	sweep_fixtures();
	return check_done();
}
