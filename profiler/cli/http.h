/*
 * http.h - the endpoint of `numalens serve`: GET /metrics over HTTP
 * (libmicrohttpd, its own thread), answering with the latest published
 * metrics in Prometheus text 0.0.4, or OpenMetrics 1.0 when the Accept
 * header asks for application/openmetrics-text.
 *
 * Owns the listening socket, the server thread and two pre-rendered
 * bodies.  Promises:
 *   1. A request never waits for sampling: http__publish() renders outside
 *      the lock and swaps the bodies under a mutex held only for the swap;
 *      a request holds it only to copy a body.
 *   2. Read-only: only GET/HEAD of /metrics (and / for a pointer to it)
 *      are answered; anything else is 404 or 405 and changes nothing.
 *   3. The address is loopback unless the caller allowed another one
 *      (http__start's allow_remote, serve's --allow-remote).
 */
#ifndef NUMALENS_HTTP_H
#define NUMALENS_HTTP_H

#include <stdbool.h>

#include "profiler/metrics.h"
#include "samplers/base/diag.h"

struct nl_http;

/*
 * Listens on listen ("HOST:PORT", "[V6]:PORT"; numeric hosts only) and
 * starts the server thread.  A host that is not loopback needs
 * allow_remote.  OUT: *out.  0, or -errno with err filled (-EADDRINUSE:
 * the port is taken; -EINVAL with status NL_EXIT_USAGE: a bad or
 * non-local address) and *out NULL.
 */
int http__start(const char *listen, bool allow_remote, struct nl_http **out,
		struct nl_error *err);

/* Makes m what the next requests get (rendered now, both formats).
   0 or -ENOMEM (the previous bodies stay). */
int http__publish(struct nl_http *h, const struct nl_metrics *m);

/* Requests answered so far (for the tests' and the bench's sake). */
unsigned long http__requests(const struct nl_http *h);

/* Stops the server thread, closes the socket, frees h (NULL fine). */
void http__stop(struct nl_http *h);

#endif
