/*
 * http.c - the /metrics endpoint on libmicrohttpd.  See http.h.
 */
#include "profiler/cli/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report/openmetrics.h"

struct body {
	char *text;
	size_t len;
};

struct nl_http {
	struct MHD_Daemon *daemon;
	int fd;
	pthread_mutex_t lock;   /* guards body[] and requests: held for a swap or a copy */
	struct body body[2];    /* by enum nl_expo_format */
	unsigned long requests;
};

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a))
			return a->s6_addr[12] == 127;
		return IN6_IS_ADDR_LOOPBACK(a);
	}
	return false;
}

/* "HOST:PORT" or "[V6]:PORT" into host and port (OUT).  0 or -EINVAL. */
static int split(const char *addr, char *host, size_t size, char *port, size_t psize)
{
	const char *colon;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':' || (size_t)(end - addr - 1) >= size)
			return -EINVAL;
		snprintf(host, size, "%.*s", (int)(end - addr - 1), addr + 1);
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= size || strchr(addr, ':') != colon)
			return -EINVAL;
		snprintf(host, size, "%.*s", (int)(colon - addr), addr);
	}
	if (!host[0] || !colon[1] || strlen(colon + 1) >= psize ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5 || atoi(colon + 1) > 65535 || !atoi(colon + 1))
		return -EINVAL;    /* getaddrinfo takes 99999 and binds it modulo 65536 */
	snprintf(port, psize, "%s", colon + 1);
	return 0;
}

/* The socket, bound and listening.  fd or -errno with err filled. */
static int listen_on(const char *addr, bool allow_remote, struct nl_error *err)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char host[128], port[16];
	int fd, one = 1, e;

	if (split(addr, host, sizeof(host), port, sizeof(port)) ||
	    getaddrinfo(host, port, &hints, &ai) || !ai) {
		if (ai)
			freeaddrinfo(ai);
		diag__usage(err, addr, "give a numeric HOST:PORT such as 127.0.0.1:9466 or [::1]:9466",
			    "not an address to listen on");
		return -EINVAL;
	}
	if (!is_loopback(ai->ai_addr) && !allow_remote) {
		freeaddrinfo(ai);
		diag__usage(err, addr, "add --allow-remote to serve the metrics beyond this machine",
			    "not a loopback address");
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		e = -errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		diag__set(err, e, e == -EADDRINUSE ? "stop what listens there or choose another "
			  "--listen port" : "choose another --listen address", "%s", strerror(-e));
		return diag__set_object(err, "%s", addr);
	}
	freeaddrinfo(ai);
	return fd;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned code, const char *type,
			      char *text, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **state)
{
	struct nl_http *h = cls;
	const char *accept;
	enum nl_expo_format fmt;
	char *copy;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			      strdup("only GET /metrics\n"), 18);
	if (!strcmp(url, "/"))
		return answer(c, MHD_HTTP_OK, "text/plain", strdup("numalens: see /metrics\n"), 23);
	if (strcmp(url, "/metrics"))
		return answer(c, MHD_HTTP_NOT_FOUND, "text/plain", strdup("not found: see /metrics\n"), 24);
	accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	fmt = accept && strstr(accept, "application/openmetrics-text") ? NL_EXPO_OPENMETRICS_1
								       : NL_EXPO_TEXT_004;
	pthread_mutex_lock(&h->lock);
	len = h->body[fmt].len;
	copy = malloc(len ? len : 1);
	if (copy && len)
		memcpy(copy, h->body[fmt].text, len);
	h->requests++;
	pthread_mutex_unlock(&h->lock);
	if (!copy)
		return MHD_NO;
	return answer(c, MHD_HTTP_OK, openmetrics__content_type(fmt), copy, len);
}

int http__start(const char *listen, bool allow_remote, struct nl_http **out,
		struct nl_error *err)
{
	struct nl_http *h = calloc(1, sizeof(*h));
	int fd;

	*out = NULL;
	if (!h)
		return diag__set(err, -ENOMEM, NULL, "out of memory");
	fd = listen_on(listen, allow_remote, err);
	if (fd < 0) {
		free(h);
		return fd;
	}
	h->fd = fd;
	pthread_mutex_init(&h->lock, NULL);
	h->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, on_request, h,
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				     MHD_OPTION_END);
	if (h->daemon)
		h->fd = -1;     /* the daemon closes it when stopped */
	if (!h->daemon) {
		http__stop(h);
		diag__set(err, -EIO, "check libmicrohttpd can start a thread here",
			  "the HTTP server did not start");
		return diag__set_object(err, "%s", listen);
	}
	*out = h;
	return 0;
}

int http__publish(struct nl_http *h, const struct nl_metrics *m)
{
	struct body fresh[2], old[2];

	for (int f = 0; f < 2; f++) {
		if (openmetrics__render(m, (enum nl_expo_format)f, &fresh[f].text, &fresh[f].len)) {
			if (f)
				free(fresh[0].text);
			return -ENOMEM;
		}
	}
	pthread_mutex_lock(&h->lock);
	memcpy(old, h->body, sizeof(old));
	memcpy(h->body, fresh, sizeof(fresh));
	pthread_mutex_unlock(&h->lock);
	free(old[0].text);
	free(old[1].text);
	return 0;
}

unsigned long http__requests(const struct nl_http *h)
{
	unsigned long n;

	pthread_mutex_lock((pthread_mutex_t *)&h->lock);
	n = h->requests;
	pthread_mutex_unlock((pthread_mutex_t *)&h->lock);
	return n;
}

void http__stop(struct nl_http *h)
{
	if (!h)
		return;
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	if (h->fd >= 0)
		close(h->fd);
	pthread_mutex_destroy(&h->lock);
	free(h->body[0].text);
	free(h->body[1].text);
	free(h);
}
