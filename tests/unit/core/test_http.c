/*
 * The HTTP engine on its own: rate buckets (shared and per key), and
 * several threads sending through one engine at once (apply's workers),
 * against a small HTTP server on a loopback socket in this process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "core/http/http.h"
#include "core/util/json.h"
#include "core/util/util.h"

/* ---- a loopback server: one thread per connection, keep-alive ------ */

struct server {
	int fd;
	int port;
	pthread_t accept_thread;
	pthread_mutex_t mu;
	int requests;
	int hold_ms;		  /* keep each request this long */
	int running, max_running; /* requests being answered */
};

static char *find(char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (!memcmp(hay + i, needle, k))
			return hay + i;
	return NULL;
}

static void *serve_conn(void *arg)
{
	int c = (int)(intptr_t)((void **)arg)[0];
	struct server *sv = ((void **)arg)[1];
	char buf[8192];
	size_t have = 0;

	free(arg);
	for (;;) {
		char *end, *cl;
		ssize_t got;
		size_t hl, body = 0;
		char resp[256];
		int n, id;

		while (!(end = find(buf, have, "\r\n\r\n"))) {
			if (have == sizeof(buf))
				goto out;
			got = read(c, buf + have, sizeof(buf) - have);
			if (got <= 0)
				goto out;
			have += (size_t)got;
		}
		hl = (size_t)(end - buf) + 4;
		cl = find(buf, hl, "Content-Length: ");
		if (cl)
			body = (size_t)strtoul(cl + 16, NULL, 10);
		while (have < hl + body) {
			got = read(c, buf + have, sizeof(buf) - have);
			if (got <= 0)
				goto out;
			have += (size_t)got;
		}
		memmove(buf, buf + hl + body, have - hl - body);
		have -= hl + body;
		pthread_mutex_lock(&sv->mu);
		id = ++sv->requests;
		if (++sv->running > sv->max_running)
			sv->max_running = sv->running;
		pthread_mutex_unlock(&sv->mu);
		if (sv->hold_ms)
			usleep((useconds_t)sv->hold_ms * 1000);
		pthread_mutex_lock(&sv->mu);
		sv->running--;
		pthread_mutex_unlock(&sv->mu);
		n = snprintf(resp, sizeof(resp),
			     "HTTP/1.1 200 OK\r\nContent-Type: "
			     "application/json\r\nContent-Length: %d\r\n\r\n"
			     "{\"n\":%8d}",
			     (int)strlen("{\"n\":00000000}"), id);
		if (write(c, resp, (size_t)n) != n)
			goto out;
	}
out:
	close(c);
	return NULL;
}

static void *accept_loop(void *arg)
{
	struct server *sv = arg;

	for (;;) {
		int c = accept(sv->fd, NULL, NULL);
		void **a;
		pthread_t t;

		if (c < 0)
			return NULL;
		a = xcalloc(2, sizeof(void *));
		a[0] = (void *)(intptr_t)c;
		a[1] = sv;
		if (pthread_create(&t, NULL, serve_conn, a)) {
			close(c);
			free(a);
			continue;
		}
		pthread_detach(t);
	}
}

static void server_start(struct server *sv)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	memset(sv, 0, sizeof(*sv));
	pthread_mutex_init(&sv->mu, NULL);
	sv->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(sv->fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(sv->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(sv->fd, 64), 0);
	assert_int_equal(getsockname(sv->fd, (struct sockaddr *)&sa, &len), 0);
	sv->port = ntohs(sa.sin_port);
	assert_int_equal(
	    pthread_create(&sv->accept_thread, NULL, accept_loop, sv), 0);
}

static void server_stop(struct server *sv)
{
	shutdown(sv->fd, SHUT_RDWR);
	close(sv->fd);
	pthread_join(sv->accept_thread, NULL);
	pthread_mutex_destroy(&sv->mu);
}

/* ---- rate buckets --------------------------------------------------- */

static void test_rate__shared_prefix(void **st)
{
	struct http_engine *h = NULL;
	struct http_options o = {0};
	struct err e = ERR_INIT;
	(void)st;

	assert_int_equal(http_engine_new(&h, &o, &e), 0);
	/* One token every 1000 s: what a burst allows is all there is. */
	http_rate_set(h, "svc:", 0.001, 2);
	assert_int_equal(http_rate_take(h, "svc:A"), 0);
	assert_int_equal(http_rate_take(h, "svc:B"), 0);
	assert_true(http_rate_take(h, "svc:A") > 0);
	assert_true(http_rate_take(h, "svc:C") > 0);
	/* Keys under no prefix are not limited. */
	assert_int_equal(http_rate_take(h, "other:A"), 0);
	assert_int_equal(http_rate_take(h, NULL), 0);
	http_engine_free(h);
}

static void test_rate__each_key_its_own_bucket(void **st)
{
	struct http_engine *h = NULL;
	struct http_options o = {0};
	struct err e = ERR_INIT;
	int i;
	(void)st;

	assert_int_equal(http_engine_new(&h, &o, &e), 0);
	http_rate_set_each(h, "svc:", 0.001, 2);
	http_rate_set(h, "svc:Fast", 0.001, 5);
	for (i = 0; i < 2; i++) {
		assert_int_equal(http_rate_take(h, "svc:A"), 0);
		assert_int_equal(http_rate_take(h, "svc:B"), 0);
	}
	assert_true(http_rate_take(h, "svc:A") > 0);
	assert_true(http_rate_take(h, "svc:B") > 0);
	/* A new key starts full. */
	assert_int_equal(http_rate_take(h, "svc:C"), 0);
	/* An explicit, longer prefix wins over the template. */
	for (i = 0; i < 5; i++)
		assert_int_equal(http_rate_take(h, "svc:Fast"), 0);
	assert_true(http_rate_take(h, "svc:Fast") > 0);
	http_engine_free(h);
}

static void test_rate__never_more_than_the_limit_in_a_second(void **st)
{
	struct http_engine *h = NULL;
	struct http_options o = {0};
	struct err e = ERR_INIT;
	long wait;
	int i;
	(void)st;

	assert_int_equal(http_engine_new(&h, &o, &e), 0);
	http_rate_set(h, "svc:", 20, 20);
	for (i = 0; i < 20; i++)
		assert_int_equal(http_rate_take(h, "svc:A"), 0);
	/* The 21st waits for the first to leave the one-second window (a
	 * token bucket would let it go after 1/20 s, making 21 in that
	 * second). */
	wait = http_rate_take(h, "svc:A");
	assert_true(wait > 500);
	assert_true(wait <= 1000 + 25);
	http_engine_free(h);
}

/* ---- threads -------------------------------------------------------- */

#define THREADS 8
#define PER_THREAD 25

struct worker_arg {
	struct http_engine *h;
	char url[64];
	int ok, distinct;
};

static void *send_many(void *arg)
{
	struct worker_arg *w = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		struct http_request rq = {.method = "GET",
					  .url = w->url,
					  .rate_key =
					      i % 2 ? "t:even" : "t:odd",
					  .idempotent = 1};
		struct http_response rs;
		struct err e = ERR_INIT;
		json_t *j;

		http_response_init(&rs);
		if (http_do(w->h, &rq, &rs, &e) == 0 && rs.status == 200) {
			j = json_loadb(rs.body.ptr, rs.body.len, 0, NULL);
			if (json_get_int(j, "n", 0) > 0)
				w->ok++;
			json_decref(j);
		}
		http_response_release(&rs);
	}
	return NULL;
}

/* THREADS threads sending PER_THREAD requests each; the answers that
 * came back right. */
static int send_from_threads(struct http_engine *h, int port)
{
	struct worker_arg w[THREADS];
	pthread_t t[THREADS];
	int i, ok = 0;

	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].h = h;
		snprintf(w[i].url, sizeof(w[i].url), "http://127.0.0.1:%d/x",
			 port);
		assert_int_equal(pthread_create(&t[i], NULL, send_many, &w[i]),
				 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
	}
	return ok;
}

static void test_engine__threads_share_one_engine(void **st)
{
	struct server sv;
	struct http_engine *h = NULL;
	struct http_options o = {.parallelism = 4};
	struct err e = ERR_INIT;
	json_t *stats;
	int ok;
	(void)st;

	server_start(&sv);
	assert_int_equal(http_engine_new(&h, &o, &e), 0);
	http_rate_set_each(h, "t:", 100000, 1000);
	ok = send_from_threads(h, sv.port);
	assert_int_equal(ok, THREADS * PER_THREAD);
	assert_int_equal(sv.requests, THREADS * PER_THREAD);
	/* The counters saw every request, none lost to a race. */
	stats = http_stats(h);
	assert_int_equal(
	    json_get_int(json_object_get(stats, "requests"), "t:odd", 0) +
		json_get_int(json_object_get(stats, "requests"), "t:even", 0),
	    THREADS * PER_THREAD);
	json_decref(stats);
	http_engine_free(h);
	server_stop(&sv);
}

/* --parallelism bounds the transfers of all threads together. */
static void test_engine__parallelism_shared_by_threads(void **st)
{
	struct server sv;
	struct http_engine *h = NULL;
	struct http_options o = {.parallelism = 2};
	struct err e = ERR_INIT;
	int ok;
	(void)st;

	server_start(&sv);
	sv.hold_ms = 20;
	assert_int_equal(http_engine_new(&h, &o, &e), 0);
	ok = send_from_threads(h, sv.port);
	assert_int_equal(ok, THREADS * PER_THREAD);
	assert_true(sv.max_running >= 1);
	assert_true(sv.max_running <= 2);
	http_engine_free(h);
	server_stop(&sv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rate__shared_prefix),
	    cmocka_unit_test(test_rate__each_key_its_own_bucket),
	    cmocka_unit_test(test_rate__never_more_than_the_limit_in_a_second),
	    cmocka_unit_test(test_engine__threads_share_one_engine),
	    cmocka_unit_test(test_engine__parallelism_shared_by_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
