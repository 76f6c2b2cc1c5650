/*
 * fuzz_perfdata_pipe.c - the pipe format as `perf record -o - | numalens
 * report -` delivers it: the input is what follows the 16-byte pipe header,
 * read from a real pipe on standard input (read(), no seeking, the
 * preamble of attr and feature records read at open), then the whole source
 * through the aggregator and the JSON report.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "report_run.h"

#define PIPE_BYTES (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t header[2] = { 0x32454c4946524550ULL, 16 };
	struct nl_error err;
	struct nl_source *src;
	int fds[2], cap;

	if (pipe2(fds, O_CLOEXEC))
		return 0;
	cap = fcntl(fds[1], F_SETPIPE_SZ, PIPE_BYTES);
	if (cap < 0)
		cap = 65536;
	if (size > (size_t)cap - sizeof(header))
		size = (size_t)cap - sizeof(header);  /* a writer would block */
	if (write(fds[1], header, sizeof(header)) != (ssize_t)sizeof(header) ||
	    (size && write(fds[1], data, size) != (ssize_t)size)) {
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	close(fds[1]);
	if (fds[0] != 0) {      /* 0 is free after the previous run closed it */
		if (dup2(fds[0], 0) < 0) {
			close(fds[0]);
			return 0;
		}
		close(fds[0]);
	}
	src = perfdata__open("-", &err);
	if (src) {
		cJSON *json = report_run__source(src);
		char *text = json ? cJSON_PrintUnformatted(json) : NULL;

		if (src->stats.stopped_at && !src->stats.stop_reason[0])
			fuzz_fail("stopped_at without a reason");
		fuzz_check_report_size(text, size);
		free(text);
		cJSON_Delete(json);
		nl_source__close(src);
	}
	close(0);
	return 0;
}
