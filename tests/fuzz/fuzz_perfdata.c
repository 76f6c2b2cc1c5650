/*
 * fuzz_perfdata.c - a perf.data file (file format, or whatever the bytes
 * say) through the reader the binary uses: a real file descriptor read with
 * pread through the window, then the whole source through the aggregator
 * and the JSON report, as `numalens report FILE` does.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "report_run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_error err;
	struct nl_source *src;
	char path[64];
	int fd = memfd_create("fuzz.perf.data", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	src = perfdata__open(path, &err);
	if (src) {
		cJSON *json = report_run__source(src);
		char *text = json ? cJSON_PrintUnformatted(json) : NULL;

		if (src->stats.stopped_at && !src->stats.stop_reason[0])
			fuzz_fail("stopped_at %llu without a reason",
				  (unsigned long long)src->stats.stopped_at);
		fuzz_check_report_size(text, size);
		free(text);
		cJSON_Delete(json);
		nl_source__close(src);
	} else if (!err.cause[0] || err.code >= 0) {
		fuzz_fail("open failed without an error message");
	}
	close(fd);
	return 0;
}
