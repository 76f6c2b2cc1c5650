/*
 * fuzz_report_json.c - the JSON report reader: `numalens diff A B` on a
 * report made of the input bytes, against a small valid report and against
 * itself, through cmd_diff() itself (the reader is private to it).  Output
 * goes to /dev/null; run the fuzzer with -close_fd_mask=2 to silence the
 * error lines.
 */
#include <fcntl.h>
#include <unistd.h>

#include "fuzz.h"
#include "profiler/cli/builtin.h"

static char path_in[64], path_ok[64];

static const char valid_report[] =
	"{\"schema\":\"numalens.report/1\",\"summary\":{\"remote_ratio\":0.25},"
	"\"processes\":[{\"pid\":1,\"comm\":\"a\",\"samples\":10,\"remote_ratio\":0.5,"
	"\"exposure\":0.1}]}";

static void cleanup(void)
{
	unlink(path_in);
	unlink(path_ok);
}

static void write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int null = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	snprintf(path_in, sizeof(path_in), "/dev/shm/nl-fuzz-json-%d.json", (int)getpid());
	snprintf(path_ok, sizeof(path_ok), "/dev/shm/nl-fuzz-json-%d-ok.json", (int)getpid());
	write_file(path_ok, valid_report, sizeof(valid_report) - 1);
	atexit(cleanup);
	if (null >= 0) {
		fflush(stdout);
		dup2(null, 1);
		close(null);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char opt[] = "--max-remote-increase", pts[] = "5", cmd[] = "diff";
	char *a1[] = { cmd, path_in, path_ok, NULL };
	char *a2[] = { cmd, opt, pts, path_ok, path_in, NULL };
	char *a3[] = { cmd, path_in, path_in, NULL };

	write_file(path_in, data, size);
	cmd_diff(3, a1);
	cmd_diff(5, a2);
	cmd_diff(3, a3);
	return 0;
}
