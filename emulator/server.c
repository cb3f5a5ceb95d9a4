/*
 * server.c: the emulator's HTTP front (libmicrohttpd).
 *
 * One thread per connection, so that a latency or hang fault sleeping in
 * one request never delays another.  Each request is collected whole
 * (headers, body up to EMU_MAX_BODY), turned into a struct emu_req and
 * dispatched under e->lock (the world is saved there when dirty):
 *
 *   /_emulator/…       admin_handle (loopback clients only)
 *   /v1/…, /v2/…       jd_handle (JD Cloud OpenAPI)
 *   anything else      tc_handle (Tencent API 3.0: POST / or GET /)
 *
 * The raw request target is captured by the URI log callback before MHD
 * percent-decodes it: JD signatures are computed over the path as sent.
 * Fault effects (latency, hang, reset, cut_half) are applied after the
 * lock is released.
 */
#include "emu.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "core/util/buf.h"
#include "core/util/json.h"
#include "core/util/sig.h"
#include "core/util/util.h"

/*
 * Saving: after each request that changed the world, the world is written
 * before the answer goes out.  Serialising a big world (10,000 instances
 * is ~17 MB of JSON, ~130 ms) after every request would make bulk loads
 * quadratic, so once a save takes longer than SLOW_SAVE_MS the server
 * switches to saving from a background thread, at most every
 * SAVE_INTERVAL_MS; it switches back when saves are fast again.  Exit
 * always saves.
 */
#define SLOW_SAVE_MS 25
#define SAVE_INTERVAL_MS 1000
/* Both can be changed in config "state" {"slow_save_ms","save_interval_ms"}
 * (tests use slow_save_ms -1: always in the background). */

struct emu_server {
	struct MHD_Daemon *d;
	struct emu *e;
	int allow_remote;
	/* Background saving, all under e->lock: */
	pthread_t saver;
	int saver_running;
	pthread_cond_t wake;
	int slow_save;
	int quit;
	int64_t slow_save_ms, save_interval_ms;
};

/* Per-request state, created by the URI log callback. */
struct conn {
	char *raw_uri;
	struct buf body;
	int started;
	int too_big;
};

struct header_vec {
	struct emu_header *v;
	size_t n, alloc;
};

/* A body sent only in part: the client sees a truncated transfer. */
struct cut_body {
	char *data;
	size_t half;
};

static void *uri_log(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	(void)cls;
	(void)con;
	c->raw_uri = xstrdup(uri ? uri : "/");
	buf_init(&c->body, 0);
	c->body.max = EMU_MAX_BODY;
	return c;
}

static void completed(void *cls, struct MHD_Connection *con, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (!c)
		return;
	free(c->raw_uri);
	buf_release(&c->body);
	free(c);
	*con_cls = NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind,
				      const char *key, const char *value)
{
	struct header_vec *h = cls;

	(void)kind;
	ALLOC_GROW(h->v, h->n + 1, h->alloc);
	h->v[h->n].name = xstrdup(key ? key : "");
	h->v[h->n].value = xstrdup(value ? value : "");
	h->n++;
	return MHD_YES;
}

static ssize_t cut_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct cut_body *cb = cls;
	size_t left;

	if (pos >= cb->half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	left = cb->half - (size_t)pos;
	if (left > max)
		left = max;
	memcpy(out, cb->data + pos, left);
	return (ssize_t)left;
}

static void cut_free(void *cls)
{
	struct cut_body *cb = cls;

	free(cb->data);
	free(cb);
}

static int client_is_loopback(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
			in6->sin6_addr.s6_addr[12] == 127);
	}
	return 0;
}

static void json_error(struct emu_resp *resp, int status, const char *msg)
{
	json_t *o = json_pack("{s:s}", "error", msg);
	char *s = json_dumps(o, JSON_COMPACT);

	resp->status = status;
	buf_reset(&resp->body);
	buf_puts(&resp->body, s);
	resp->content_type = "application/json";
	free(s);
	json_decref(o);
}

static void dispatch(struct emu_server *s, struct MHD_Connection *con,
		     const char *method, struct conn *c, struct emu_resp *resp,
		     int *is_admin)
{
	struct emu *e = s->e;
	struct header_vec hv = {NULL, 0, 0};
	struct buf path = BUF_INIT;
	struct emu_req req;
	char *raw_path, *q;
	size_t i;

	memset(&req, 0, sizeof(req));
	raw_path = xstrdup(c->raw_uri);
	q = strchr(raw_path, '?');
	if (q)
		*q++ = '\0';
	MHD_get_connection_values(con, MHD_HEADER_KIND, collect_header, &hv);

	req.method = method;
	req.raw_path = raw_path;
	req.query = q ? q : "";
	req.headers = hv.v;
	req.nheaders = hv.n;
	req.body = c->body.ptr;
	req.body_len = c->body.len;
	req.host = emu_req_header(&req, "Host");
	if (!req.host)
		req.host = "";
	req.arrived_ms = time_mono_ms();

	if (sig_url_decode(&path, raw_path, strlen(raw_path), 0) < 0 ||
	    memchr(path.ptr, '\0', path.len)) {
		json_error(resp, 400, "malformed percent-encoding in path");
		goto out;
	}
	req.path = path.ptr;
	*is_admin = !strcmp(req.path, "/_emulator") ||
		    str_starts_with(req.path, "/_emulator/");
	/* Even with --allow-remote the admin API stays loopback only. */
	if (*is_admin && !client_is_loopback(con)) {
		json_error(resp, 403, "the admin API answers loopback only");
		goto out;
	}
	if (c->too_big) {
		json_error(resp, 413, "request body over 10 MiB");
		goto out;
	}

	pthread_mutex_lock(&e->lock);
	if (*is_admin)
		admin_handle(e, &req, resp);
	else if (str_starts_with(req.path, "/v1/") ||
		 str_starts_with(req.path, "/v2/") ||
		 !strcmp(req.path, "/v1") || !strcmp(req.path, "/v2"))
		jd_handle(e, &req, resp);
	else
		tc_handle(e, &req, resp);
	if (e->dirty && s->slow_save) {
		pthread_cond_signal(&s->wake);
	} else if (e->dirty) {
		int64_t t0 = time_mono_ms();

		emu_save(e);
		if (e->state_file && s->saver_running &&
		    time_mono_ms() - t0 > s->slow_save_ms)
			s->slow_save = 1;
	}
	pthread_mutex_unlock(&e->lock);
out:
	buf_release(&path);
	for (i = 0; i < hv.n; i++) {
		free(hv.v[i].name);
		free(hv.v[i].value);
	}
	free(hv.v);
	free(raw_path);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *con,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct emu_server *s = cls;
	struct conn *c = *con_cls;
	struct emu_resp resp;
	struct MHD_Response *r;
	enum MHD_Result ret;
	int is_admin = 0;
	int64_t wait;

	(void)version;
	if (!c) {
		c = uri_log(NULL, url, con);
		*con_cls = c;
	}
	if (!c->started) {
		c->started = 1;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!c->too_big &&
		    buf_add(&c->body, upload_data, *upload_data_size) < 0) {
			c->too_big = 1;
			buf_release(&c->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	memset(&resp, 0, sizeof(resp));
	buf_init(&resp.body, 0);
	dispatch(s, con, method, c, &resp, &is_admin);

	wait = resp.latency_ms;
	if (!is_admin && resp.status != 413)
		wait += s->e->default_latency_ms;
	if (wait > 0)
		emu_sleep_ms(wait);
	if (resp.hang_ms > 0) {
		emu_sleep_ms(resp.hang_ms);
		resp.reset = 1;
	}
	if (resp.reset || emu_stopping()) {
		buf_release(&resp.body);
		return MHD_NO;
	}
	if (!resp.status)
		json_error(&resp, 500, "the handler gave no answer");
	if (resp.cut_half && resp.body.len > 1) {
		struct cut_body *cb = xmalloc(sizeof(*cb));
		size_t len;

		cb->data = buf_detach(&resp.body, &len);
		cb->half = len / 2;
		r = MHD_create_response_from_callback(len, 4096, cut_reader, cb,
						      cut_free);
	} else {
		size_t len;
		char *data = buf_detach(&resp.body, &len);

		r = MHD_create_response_from_buffer(len, data,
						    MHD_RESPMEM_MUST_FREE);
	}
	MHD_add_response_header(r, "Content-Type",
				resp.content_type ? resp.content_type
						  : "application/json");
	if (resp.jd_request_id[0])
		MHD_add_response_header(r, "x-jdcloud-request-id",
					resp.jd_request_id);
	ret = MHD_queue_response(con, (unsigned)resp.status, r);
	MHD_destroy_response(r);
	buf_release(&resp.body);
	return ret;
}

static void *saver_main(void *arg)
{
	struct emu_server *s = arg;
	struct emu *e = s->e;

	pthread_mutex_lock(&e->lock);
	while (!s->quit) {
		int64_t t0;

		if (!(e->dirty && s->slow_save)) {
			pthread_cond_wait(&s->wake, &e->lock);
			continue;
		}
		/* Let more changes gather, then write them at once. */
		pthread_mutex_unlock(&e->lock);
		emu_sleep_ms(s->save_interval_ms);
		pthread_mutex_lock(&e->lock);
		if (!e->dirty)
			continue;
		t0 = time_mono_ms();
		emu_save(e);
		if (time_mono_ms() - t0 <= s->slow_save_ms)
			s->slow_save = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

int emu_server_start(struct emu_server **out, struct emu *e, const char *host,
		     int port, int allow_remote, int *bound_port,
		     struct buf *msg)
{
	struct emu_server *s;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	const struct sockaddr *sa;
	const union MHD_DaemonInfo *di;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;

	*out = NULL;
	memset(&in4, 0, sizeof(in4));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, host, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		in4.sin_port = htons((uint16_t)port);
		sa = (const struct sockaddr *)&in4;
	} else if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		in6.sin6_port = htons((uint16_t)port);
		sa = (const struct sockaddr *)&in6;
		flags |= MHD_USE_IPv6;
	} else {
		buf_printf(msg, "'%s' is not an IP address", host);
		return -1;
	}
	s = xcalloc(1, sizeof(*s));
	s->e = e;
	s->allow_remote = allow_remote;
	pthread_cond_init(&s->wake, NULL);
	s->slow_save_ms = json_get_int(json_object_get(e->config, "state"),
				       "slow_save_ms", SLOW_SAVE_MS);
	s->save_interval_ms =
	    json_get_int(json_object_get(e->config, "state"),
			 "save_interval_ms", SAVE_INTERVAL_MS);
	s->d = MHD_start_daemon(
	    flags, 0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)300,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
	    MHD_OPTION_END);
	if (!s->d) {
		buf_printf(msg, "cannot listen on %s:%d", host, port);
		pthread_cond_destroy(&s->wake);
		free(s);
		return -1;
	}
	if (pthread_create(&s->saver, NULL, saver_main, s) == 0) {
		/* Requests may already be read by dispatch(). */
		pthread_mutex_lock(&s->e->lock);
		s->saver_running = 1;
		pthread_mutex_unlock(&s->e->lock);
	}
	di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	*bound_port = di && di->port ? di->port : port;
	*out = s;
	return 0;
}

void emu_server_stop(struct emu_server *s)
{
	if (!s)
		return;
	emu_request_stop();
	MHD_stop_daemon(s->d);
	if (s->saver_running) {
		pthread_mutex_lock(&s->e->lock);
		s->quit = 1;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->e->lock);
		pthread_join(s->saver, NULL);
	}
	pthread_cond_destroy(&s->wake);
	free(s);
}
