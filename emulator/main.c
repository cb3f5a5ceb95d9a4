/*
 * main.c: dcform-emulator's command line.
 *
 * Reads the options, builds the config (built-in defaults with --config
 * deep-merged over them), loads --state-file, starts the server, writes
 * --env-file, prints "listening on http://HOST:PORT" as the first stdout
 * line and then waits for SIGTERM or SIGINT, after which it stops the
 * server, saves the world and frees everything (exit status 0).
 *
 * Signals are blocked in every thread and taken synchronously with
 * sigwait() in the main thread, so no handler runs inside the server.
 */
#include "emu.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/buf.h"
#include "core/util/err.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"

#ifndef DCFORM_VERSION
#define DCFORM_VERSION "0.0.0"
#endif

struct opts {
	const char *listen;
	const char *state_file;
	const char *config;
	const char *env_file;
	int manual;
	int allow_remote;
	int64_t latency_ms;
	uint64_t seed;
};

static const struct option_doc {
	const char *name, *arg, *help;
} options[] = {
    {"--listen", "HOST:PORT",
     "address to listen on (default 127.0.0.1:8787; port 0 picks a "
     "free one); loopback only unless --allow-remote"},
    {"--allow-remote", NULL,
     "allow a non-loopback --listen address (the admin API still "
     "answers loopback clients only)"},
    {"--state-file", "FILE",
     "keep the world in FILE: loaded at start, written atomically "
     "after every change and at exit"},
    {"--config", "FILE",
     "JSON deep-merged over the built-in config (accounts, regions, "
     "specs, prices, delays, quotas)"},
    {"--env-file", "FILE",
     "write shell export lines (endpoints, demo credentials, regions) "
     "once listening"},
    {"--manual", NULL, "JD review and construction wait for the admin API"},
    {"--latency", "MS", "add MS milliseconds to every cloud call"},
    {"--seed", "N", "seed the pseudo-random ids and fault probabilities"},
    {"--help", NULL, "show this help"},
    {"--version", NULL, "show the version"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: dcform-emulator [options]\n\n"
		   "A local stand-in for Tencent Cloud (DCDB, billing) and JD "
		   "Cloud (Direct Connection,\nasset, order) on one port. It "
		   "never talks to the real clouds.\n\noptions:\n");
	for (i = 0; i < ARRAY_SIZE(options); i++) {
		char left[64];

		snprintf(left, sizeof(left), "%s%s%s", options[i].name,
			 options[i].arg ? " " : "",
			 options[i].arg ? options[i].arg : "");
		fprintf(f, "  %-22s %s\n", left, options[i].help);
	}
	fprintf(f, "\nSee docs/emulator.md for the admin API under "
		   "/_emulator/.\n");
}

static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Returns 0, 1 when done (help/version), -1 on a usage error. */
static int parse_args(struct opts *o, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		char *a = argv[i], *val = NULL, *eq;
		size_t k;
		int takes = 0;
		int64_t n;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(a, "--version")) {
			printf("dcform-emulator %s\n", DCFORM_VERSION);
			return 1;
		}
		eq = strchr(a, '=');
		for (k = 0; k < ARRAY_SIZE(options); k++) {
			size_t len = eq ? (size_t)(eq - a) : strlen(a);

			if (strlen(options[k].name) == len &&
			    !strncmp(a, options[k].name, len))
				break;
		}
		if (k == ARRAY_SIZE(options)) {
			fprintf(stderr,
				"dcform-emulator: unknown option '%s'\n", a);
			return -1;
		}
		takes = options[k].arg != NULL;
		if (takes) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				fprintf(stderr,
					"dcform-emulator: option '%s' needs "
					"a value\n",
					options[k].name);
				return -1;
			}
		} else if (eq) {
			fprintf(stderr,
				"dcform-emulator: option '%s' takes no value\n",
				options[k].name);
			return -1;
		}
		a = (char *)options[k].name;
		if (!strcmp(a, "--listen"))
			o->listen = val;
		else if (!strcmp(a, "--allow-remote"))
			o->allow_remote = 1;
		else if (!strcmp(a, "--state-file"))
			o->state_file = val;
		else if (!strcmp(a, "--config"))
			o->config = val;
		else if (!strcmp(a, "--env-file"))
			o->env_file = val;
		else if (!strcmp(a, "--manual"))
			o->manual = 1;
		else if (!strcmp(a, "--latency")) {
			if (parse_int(val, 0, 3600000, &n) < 0) {
				fprintf(stderr,
					"dcform-emulator: --latency wants "
					"milliseconds, not '%s'\n",
					val);
				return -1;
			}
			o->latency_ms = n;
		} else if (!strcmp(a, "--seed")) {
			if (parse_int(val, 0, INT64_MAX, &n) < 0) {
				fprintf(stderr,
					"dcform-emulator: --seed wants a "
					"non-negative integer, not '%s'\n",
					val);
				return -1;
			}
			o->seed = (uint64_t)n;
		}
	}
	return 0;
}

/* Split "HOST:PORT" ("[v6]:PORT" for IPv6) into host and port. */
static int parse_listen(const char *s, char **host, int *port)
{
	const char *colon;
	int64_t p;

	*host = NULL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		*host = xstrndup(s + 1, (size_t)(close - s - 1));
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon == s)
			return -1;
		*host = xstrndup(s, (size_t)(colon - s));
	}
	if (parse_int(colon + 1, 0, 65535, &p) < 0) {
		free(*host);
		*host = NULL;
		return -1;
	}
	if (!strcmp(*host, "localhost")) {
		free(*host);
		*host = xstrdup("127.0.0.1");
	}
	*port = (int)p;
	return 0;
}

static int is_loopback(const char *host)
{
	return str_starts_with(host, "127.") || !strcmp(host, "::1");
}

static void shell_quote(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

static void export_line(struct buf *b, const char *name, const char *value)
{
	if (!value)
		return;
	buf_printf(b, "export %s=", name);
	shell_quote(b, value);
	buf_putc(b, '\n');
}

/* The account the env file names: "demo" when present, else the first. */
static json_t *env_account(struct emu *e, const char **name)
{
	json_t *accts = json_object_get(e->world, "accounts"), *a;
	const char *k;

	*name = "demo";
	a = json_object_get(accts, "demo");
	if (a)
		return a;
	json_object_foreach (accts, k, a) {
		*name = k;
		return a;
	}
	return NULL;
}

static const char *first_region(struct emu *e, const char *cloud)
{
	json_t *r = json_array_get(
	    json_object_get(json_object_get(e->config, cloud), "regions"), 0);

	if (json_is_string(r))
		return json_string_value(r);
	return json_get_str(r, "Region", NULL);
}

static int write_env_file(struct emu *e, const char *path, const char *url,
			  struct err *err)
{
	struct buf b = BUF_INIT;
	const char *name;
	json_t *a = env_account(e, &name);
	json_t *tc = json_object_get(a, "tencent");
	json_t *jd = json_object_get(a, "jdcloud");
	int ret;

	buf_printf(&b, "# dcform-emulator at %s", url);
	if (a)
		buf_printf(&b, ", account '%s'", name);
	buf_puts(&b, "\n");
	export_line(&b, "DCFORM_TENCENTCLOUD_ENDPOINT", url);
	export_line(&b, "DCFORM_JDCLOUD_ENDPOINT", url);
	export_line(&b, "TENCENTCLOUD_SECRET_ID",
		    json_get_str(tc, "secret_id", NULL));
	export_line(&b, "TENCENTCLOUD_SECRET_KEY",
		    json_get_str(tc, "secret_key", NULL));
	export_line(&b, "TENCENTCLOUD_REGION", first_region(e, "tencent"));
	export_line(&b, "JDCLOUD_ACCESS_KEY",
		    json_get_str(jd, "access_key", NULL));
	export_line(&b, "JDCLOUD_SECRET_KEY",
		    json_get_str(jd, "secret_key", NULL));
	export_line(&b, "JDCLOUD_REGION", first_region(e, "jdcloud"));
	ret = fs_write_atomic(path, b.ptr, b.len, 0600, err);
	buf_release(&b);
	return ret;
}

static json_t *load_config(const char *path)
{
	json_t *c = emu_default_config(), *user = NULL;
	struct buf text = BUF_INIT;
	struct err err = ERR_INIT;

	if (!path)
		return c;
	if (fs_read_file(&text, path, 64u << 20, &err) < 0 ||
	    json_parse(&user, text.ptr, text.len, path, &err) < 0) {
		fprintf(stderr, "dcform-emulator: --config: %s\n", err.msg);
		goto fail;
	}
	if (!json_is_object(user)) {
		fprintf(stderr,
			"dcform-emulator: --config: '%s' is not a JSON "
			"object\n",
			path);
		goto fail;
	}
	emu_json_merge(c, user);
	json_decref(user);
	buf_release(&text);
	return c;
fail:
	json_decref(user);
	json_decref(c);
	buf_release(&text);
	return NULL;
}

int main(int argc, char **argv)
{
	struct opts o = {.listen = "127.0.0.1:8787"};
	struct emu e;
	struct emu_server *srv = NULL;
	struct buf msg = BUF_INIT;
	struct err err = ERR_INIT;
	sigset_t set;
	char *host = NULL, *url = NULL;
	json_t *config;
	int port, bound, sig, r, status = 1;

	r = parse_args(&o, argc, argv);
	if (r)
		return r > 0 ? 0 : 2;
	if (parse_listen(o.listen, &host, &port) < 0) {
		fprintf(stderr,
			"dcform-emulator: --listen wants HOST:PORT, not "
			"'%s'\n",
			o.listen);
		return 2;
	}
	if (!is_loopback(host) && !o.allow_remote) {
		fprintf(stderr,
			"dcform-emulator: refusing to listen on '%s': not a "
			"loopback address (use --allow-remote)\n",
			host);
		free(host);
		return 2;
	}
	config = load_config(o.config);
	if (!config) {
		free(host);
		return 1;
	}

	emu_init(&e, config, o.seed);
	e.manual = o.manual;
	e.default_latency_ms = o.latency_ms;
	if (o.state_file)
		e.state_file = xstrdup(o.state_file);
	if (emu_load(&e, &msg) < 0) {
		fprintf(stderr, "dcform-emulator: --state-file: %s\n", msg.ptr);
		goto out;
	}

	/* Block the signals before any thread starts so that all inherit
	 * the mask and only sigwait() below sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (emu_server_start(&srv, &e, host, port, o.allow_remote, &bound,
			     &msg) < 0) {
		fprintf(stderr, "dcform-emulator: %s\n", msg.ptr);
		goto out;
	}
	url = strchr(host, ':') ? xasprintf("http://[%s]:%d", host, bound)
				: xasprintf("http://%s:%d", host, bound);
	if (o.env_file && write_env_file(&e, o.env_file, url, &err) < 0) {
		fprintf(stderr, "dcform-emulator: --env-file: %s\n", err.msg);
		goto out;
	}
	printf("listening on %s\n", url);
	fflush(stdout);

	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
			break;
	}
	status = 0;
out:
	/* Save only a world that was served: a state file that failed to
	 * load must stay as it is. */
	if (srv) {
		emu_server_stop(srv);
		pthread_mutex_lock(&e.lock);
		if (emu_save(&e) < 0)
			status = 1;
		pthread_mutex_unlock(&e.lock);
	}
	emu_release(&e);
	buf_release(&msg);
	free(url);
	free(host);
	return status;
}
