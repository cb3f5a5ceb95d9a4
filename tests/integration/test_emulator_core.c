/*
 * The emulator's core: start-up and shutdown, the command line, the env
 * file, the admin API, fault injection (through signed JD calls, whose
 * handler evaluates the rules), persistence across restarts, reset, the
 * body cap and concurrency.  Each case runs its own emulator on an
 * ephemeral port in its own temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util/buf.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "tests/lib/emuproc.h"
#include "tests/lib/jdclient.h"

#define DEMO_TC_ID "AKIDdcformDemo0000000000000000000001"
#define DEMO_TC_KEY "dcformDemoSecretKey00000000000000001"
#define DEMO_JD_AK "JDCDEMOACCESSKEY00001"
#define DEMO_JD_SK "JDCDEMOSECRETKEY00001"
#define AMOUNT_PATH "/v1/regions/cn-north-1/assets:describeAccountAmount"

struct fixture {
	char dir[64];
	struct emuproc p;
	int running;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/dcform-emucore-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd;

	if (f->running)
		emuproc_stop(&f->p);
	cmd = xasprintf("rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(cmd);
	free(f);
	return 0;
}

static char *path_in(struct fixture *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}

static void start(struct fixture *f, const char *const *args)
{
	assert_int_equal(emuproc_start(&f->p, args), 0);
	f->running = 1;
}

static void stop_ok(struct fixture *f)
{
	f->running = 0;
	assert_int_equal(emuproc_stop(&f->p), 0);
}

static long admin(json_t **out, struct fixture *f, const char *method,
		  const char *path, const char *body)
{
	return emuproc_admin(out, &f->p, method, path, body);
}

/* An admin call expected to answer `status`; returns the JSON (owned). */
static json_t *admin_ok(struct fixture *f, long status, const char *method,
			const char *path, const char *body)
{
	json_t *j = NULL;

	assert_int_equal(admin(&j, f, method, path, body), status);
	assert_non_null(j);
	return j;
}

static void admin_void(struct fixture *f, long status, const char *method,
		       const char *path, const char *body)
{
	json_decref(admin_ok(f, status, method, path, body));
}

static void jd_init(struct jdclient *c, struct fixture *f)
{
	jdclient_init(c, f->p.url, DEMO_JD_AK, DEMO_JD_SK, NULL);
}

/* One signed describeAccountAmount; returns the HTTP status, 0 on a
 * transport failure; *ms gets the elapsed time. */
static long amount_call(struct jdclient *c, int64_t *ms)
{
	struct jdresp r;
	int64_t t0 = time_mono_ms();
	long st;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = jdclient_call(&r, c, "asset", "GET", AMOUNT_PATH, NULL, NULL);
	if (ms)
		*ms = time_mono_ms() - t0;
	st = rc < 0 ? 0 : r.status;
	jdresp_release(&r);
	return st;
}

/* Run the emulator binary directly; returns its exit status and the
 * first bytes of stdout/stderr in out (may be NULL). */
static int run_binary(const char *const *args, struct buf *out)
{
	const char *argv[16];
	int fds[2], status = 0;
	size_t n = 0, i;
	pid_t pid;
	char b[4096];
	ssize_t r;

	argv[n++] = emuproc_binary();
	for (i = 0; args[i] && n < ARRAY_SIZE(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((r = read(fds[0], b, sizeof(b))) > 0)
		if (out)
			buf_add(out, b, (size_t)r);
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ------------------------------------------------------------------ */

static void test_emulator_core__start_stop_health(void **state)
{
	struct fixture *f = *state;
	json_t *j;

	start(f, NULL);
	assert_true(f->p.port > 0);
	j = admin_ok(f, 200, "GET", "/_emulator/health", NULL);
	assert_string_equal(json_get_str(j, "status", ""), "ok");
	assert_true(json_get_int(j, "now_ms", 0) > 0);
	json_decref(j);
	stop_ok(f);
}

static void test_emulator_core__env_file(void **state)
{
	struct fixture *f = *state;
	char *env = path_in(f, "emu.env");
	const char *args[] = {"--env-file", env, NULL};
	struct buf text = BUF_INIT, want = BUF_INIT;
	struct stat st;

	start(f, args);
	/* Written before the listening line, so it is there already. */
	assert_int_equal(fs_read_file(&text, env, 0, NULL), 0);
	buf_printf(&want, "export DCFORM_TENCENTCLOUD_ENDPOINT='%s'\n",
		   f->p.url);
	assert_non_null(strstr(text.ptr, want.ptr));
	buf_reset(&want);
	buf_printf(&want, "export DCFORM_JDCLOUD_ENDPOINT='%s'\n", f->p.url);
	assert_non_null(strstr(text.ptr, want.ptr));
	assert_non_null(strstr(
	    text.ptr, "export TENCENTCLOUD_SECRET_ID='" DEMO_TC_ID "'\n"));
	assert_non_null(strstr(
	    text.ptr, "export TENCENTCLOUD_SECRET_KEY='" DEMO_TC_KEY "'\n"));
	assert_non_null(
	    strstr(text.ptr, "export TENCENTCLOUD_REGION='ap-guangzhou'\n"));
	assert_non_null(
	    strstr(text.ptr, "export JDCLOUD_ACCESS_KEY='" DEMO_JD_AK "'\n"));
	assert_non_null(
	    strstr(text.ptr, "export JDCLOUD_SECRET_KEY='" DEMO_JD_SK "'\n"));
	assert_non_null(
	    strstr(text.ptr, "export JDCLOUD_REGION='cn-north-1'\n"));
	/* It holds secrets. */
	assert_int_equal(stat(env, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	stop_ok(f);
	buf_release(&text);
	buf_release(&want);
	free(env);
}

static void test_emulator_core__command_line(void **state)
{
	struct fixture *f = *state;
	struct buf out = BUF_INIT;
	char *cfg = path_in(f, "bad.json");
	const char *nonloop[] = {"--listen", "192.0.2.1:0", NULL};
	const char *any[] = {"--listen", "0.0.0.0:0", NULL};
	const char *badlisten[] = {"--listen", "127.0.0.1", NULL};
	const char *unknown[] = {"--frobnicate", NULL};
	const char *help[] = {"--help", NULL};
	const char *version[] = {"--version", NULL};
	const char *badlat[] = {"--latency", "soon", NULL};
	const char *badcfg[] = {"--listen", "127.0.0.1:0", "--config", cfg,
				NULL};

	assert_int_equal(run_binary(nonloop, &out), 2);
	assert_non_null(strstr(out.ptr, "not a loopback address"));
	assert_null(strstr(out.ptr, "listening on"));
	buf_reset(&out);
	assert_int_equal(run_binary(any, &out), 2);
	assert_non_null(strstr(out.ptr, "--allow-remote"));
	buf_reset(&out);
	assert_int_equal(run_binary(badlisten, NULL), 2);
	assert_int_equal(run_binary(unknown, &out), 2);
	assert_non_null(strstr(out.ptr, "unknown option '--frobnicate'"));
	buf_reset(&out);
	assert_int_equal(run_binary(help, &out), 0);
	assert_non_null(strstr(out.ptr, "--state-file FILE"));
	assert_non_null(strstr(out.ptr, "--env-file FILE"));
	buf_reset(&out);
	assert_int_equal(run_binary(version, &out), 0);
	assert_true(str_starts_with(out.ptr, "dcform-emulator "));
	assert_int_equal(run_binary(badlat, NULL), 2);
	assert_int_equal(fs_write_atomic(cfg, "{not json", 9, 0600, NULL), 0);
	buf_reset(&out);
	assert_int_equal(run_binary(badcfg, &out), 1);
	assert_non_null(strstr(out.ptr, "--config"));
	assert_null(strstr(out.ptr, "listening on"));
	buf_release(&out);
	free(cfg);
}

static void test_emulator_core__config_merge(void **state)
{
	struct fixture *f = *state;
	char *cfg = path_in(f, "cfg.json"), *env = path_in(f, "e.env");
	const char *args[] = {"--config", cfg, "--env-file", env, NULL};
	const char *text =
	    "{\"accounts\":{\"demo\":null,\"alice\":{\"uin\":\"42\","
	    "\"tencent\":{\"secret_id\":\"AKIDalice\",\"secret_key\":"
	    "\"k\",\"balance_fen\":7,\"real_name_verified\":false},"
	    "\"jdcloud\":{\"access_key\":\"JDAKALICE\",\"secret_key\":"
	    "\"s\",\"balance_fen\":9,\"enterprise_verified\":false}}},"
	    "\"delays\":{\"jd_review\":1}}";
	struct buf e = BUF_INIT;
	json_t *j;

	assert_int_equal(fs_write_atomic(cfg, text, strlen(text), 0600, NULL),
			 0);
	start(f, args);
	j = admin_ok(f, 200, "GET", "/_emulator/accounts", NULL);
	assert_null(json_path_get(j, "accounts.demo"));
	assert_int_equal(json_integer_value(json_path_get(
			     j, "accounts.alice.tencent.balance_fen")),
			 7);
	assert_string_equal(
	    json_get_str(json_path_get(j, "accounts.alice"), "name", ""),
	    "alice");
	json_decref(j);
	assert_int_equal(fs_read_file(&e, env, 0, NULL), 0);
	assert_non_null(strstr(e.ptr, "TENCENTCLOUD_SECRET_ID='AKIDalice'"));
	assert_non_null(strstr(e.ptr, "JDCLOUD_ACCESS_KEY='JDAKALICE'"));
	stop_ok(f);
	buf_release(&e);
	free(cfg);
	free(env);
}

static void test_emulator_core__admin_api(void **state)
{
	struct fixture *f = *state;
	struct jdclient c;
	json_t *j;
	int64_t now;

	start(f, NULL);
	jd_init(&c, f);

	j = admin_ok(f, 200, "GET", "/_emulator/stats", NULL);
	assert_int_equal(json_get_int(j, "total", -1), 0);
	assert_true(json_is_object(json_object_get(j, "requests")));
	json_decref(j);
	assert_int_equal(amount_call(&c, NULL), 200);
	assert_int_equal(amount_call(&c, NULL), 200);
	j = admin_ok(f, 200, "GET", "/_emulator/stats", NULL);
	assert_int_equal(json_get_int(j, "total", -1), 2);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "requests"),
					       "asset.describeAccountAmount")),
	    2);
	json_decref(j);
	admin_void(f, 200, "POST", "/_emulator/stats/reset", NULL);
	j = admin_ok(f, 200, "GET", "/_emulator/stats", NULL);
	assert_int_equal(json_get_int(j, "total", -1), 0);
	json_decref(j);

	/* Ledger: empty at first, filters accepted. */
	j = admin_ok(f, 200, "GET", "/_emulator/ledger?cloud=tencent", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "ledger")), 0);
	json_decref(j);

	/* World: the seeded demo account. */
	j = admin_ok(f, 200, "GET", "/_emulator/world", NULL);
	assert_string_equal(
	    json_get_str(json_path_get(j, "accounts.demo.tencent"), "secret_id",
			 ""),
	    DEMO_TC_ID);
	assert_true(json_get_bool(json_path_get(j, "accounts.demo.jdcloud"),
				  "enterprise_verified", 0));
	json_decref(j);

	/* Accounts: change one, create one, refuse bad input. */
	j = admin_ok(
	    f, 200, "POST", "/_emulator/accounts/demo",
	    "{\"jd_balance_fen\":12345,\"enterprise_verified\":false}");
	assert_int_equal(
	    json_integer_value(json_path_get(j, "jdcloud.balance_fen")), 12345);
	json_decref(j);
	j = admin_ok(f, 200, "GET", "/_emulator/accounts/demo", NULL);
	assert_false(json_get_bool(json_object_get(j, "jdcloud"),
				   "enterprise_verified", 1));
	json_decref(j);
	admin_void(f, 200, "POST", "/_emulator/accounts",
		   "{\"name\":\"bob\",\"tencent_secret_id\":\"AKIDbob\","
		   "\"tencent_secret_key\":\"sk\",\"tencent_balance_fen\":5}");
	j = admin_ok(f, 200, "GET", "/_emulator/accounts/bob", NULL);
	assert_int_equal(
	    json_integer_value(json_path_get(j, "tencent.balance_fen")), 5);
	json_decref(j);
	admin_void(f, 400, "POST", "/_emulator/accounts/bob",
		   "{\"balance\":1}");
	admin_void(f, 400, "POST", "/_emulator/accounts/bob",
		   "{\"jd_balance_fen\":\"lots\"}");
	admin_void(f, 409, "POST", "/_emulator/accounts/bob",
		   "{\"jd_access_key\":\"" DEMO_JD_AK "\"}");
	admin_void(f, 404, "GET", "/_emulator/accounts/nobody", NULL);

	/* Time. */
	j = admin_ok(f, 200, "GET", "/_emulator/health", NULL);
	now = json_get_int(j, "now_ms", 0);
	json_decref(j);
	j = admin_ok(f, 200, "POST", "/_emulator/time/advance",
		     "{\"ms\":3600000}");
	assert_int_equal(json_get_int(j, "time_offset_ms", 0), 3600000);
	assert_true(json_get_int(j, "now_ms", 0) >= now + 3600000);
	json_decref(j);
	admin_void(f, 400, "POST", "/_emulator/time/advance", "{\"ms\":-5}");
	admin_void(f, 405, "GET", "/_emulator/time/advance", NULL);

	/* Unknown paths, methods and bodies. */
	admin_void(f, 404, "GET", "/_emulator/nope", NULL);
	admin_void(f, 404, "GET", "/_emulator", NULL);
	admin_void(f, 405, "DELETE", "/_emulator/ledger", NULL);
	admin_void(f, 400, "POST", "/_emulator/faults", "{not json");
	admin_void(f, 404, "POST", "/_emulator/tencent/instances/dcdbt-none",
		   "{\"InstanceName\":\"x\"}");
	admin_void(f, 404, "POST", "/_emulator/jdcloud/widgets/w-1", "{}");
	admin_void(f, 404, "POST", "/_emulator/jdcloud/bgws/bgw-none",
		   "{\"bgwName\":\"x\"}");
	jdclient_release(&c);
	stop_ok(f);
}

static void test_emulator_core__patch_behind_back(void **state)
{
	struct fixture *f = *state;
	struct jdclient c;
	struct jdresp r;
	char *path, *apath;
	json_t *j;

	start(f, NULL);
	jd_init(&c, f);
	memset(&r, 0, sizeof(r));
	assert_int_equal(jdclient_call(&r, &c, "bgw", "POST",
				       "/v1/regions/cn-north-1/bgws/", NULL,
				       "{\"bgwSpec\":{\"bgwName\":\"b1\"}}"),
			 0);
	assert_int_equal(r.status, 200);
	path = xasprintf("/v1/regions/cn-north-1/bgws/%s",
			 json_get_str(jdresp_result(&r), "bgwId", ""));
	apath = xasprintf("/_emulator/jdcloud/bgws/%s",
			  json_get_str(jdresp_result(&r), "bgwId", ""));
	jdresp_release(&r);

	j = admin_ok(f, 200, "POST", apath, "{\"bgwName\":\"changed\"}");
	assert_string_equal(json_get_str(j, "bgwName", ""), "changed");
	json_decref(j);
	memset(&r, 0, sizeof(r));
	assert_int_equal(jdclient_call(&r, &c, "bgw", "GET", path, NULL, NULL),
			 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(
	    json_get_str(json_object_get(jdresp_result(&r), "bgw"), "bgwName",
			 ""),
	    "changed");
	jdresp_release(&r);
	admin_void(f, 400, "POST", apath, "[1]");
	/* Review hooks answer for unknown connections with 404. */
	admin_void(f, 404, "POST",
		   "/_emulator/jdcloud/connections/dc-none/approve", NULL);
	admin_void(f, 404, "POST",
		   "/_emulator/jdcloud/connections/dc-none:complete", NULL);
	admin_void(f, 404, "POST",
		   "/_emulator/jdcloud/connections/dc-none/explode", NULL);
	free(path);
	free(apath);
	jdclient_release(&c);
	stop_ok(f);
}

static void test_emulator_core__fault_rules(void **state)
{
	struct fixture *f = *state;
	json_t *j;

	start(f, NULL);
	j = admin_ok(f, 200, "POST", "/_emulator/faults",
		     "{\"kind\":\"latency\",\"ms\":10}");
	assert_string_equal(json_get_str(j, "id", ""), "fault-1");
	json_decref(j);
	j = admin_ok(f, 200, "POST", "/_emulator/faults",
		     "[{\"id\":\"mine\",\"kind\":\"reset\",\"action\":\"X\"},"
		     "{\"kind\":\"error\",\"code\":\"RATE_LIMIT\"}]");
	assert_int_equal(json_array_size(json_object_get(j, "ids")), 2);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(j, "ids"), 0)),
	    "mine");
	json_decref(j);
	/* Invalid rules are refused whole. */
	admin_void(f, 400, "POST", "/_emulator/faults", "{\"kind\":\"boom\"}");
	admin_void(f, 400, "POST", "/_emulator/faults", "{\"ms\":1}");
	admin_void(f, 400, "POST", "/_emulator/faults",
		   "{\"kind\":\"latency\"}");
	admin_void(f, 400, "POST", "/_emulator/faults",
		   "{\"kind\":\"error\",\"probability\":2}");
	admin_void(f, 400, "POST", "/_emulator/faults",
		   "{\"kind\":\"error\",\"count\":0}");
	admin_void(f, 400, "POST", "/_emulator/faults",
		   "{\"kind\":\"error\",\"colour\":\"red\"}");
	admin_void(f, 400, "POST", "/_emulator/faults",
		   "[{\"kind\":\"reset\"},{\"kind\":\"nope\"}]");
	admin_void(f, 400, "POST", "/_emulator/faults",
		   "{\"id\":\"mine\",\"kind\":\"reset\"}");
	j = admin_ok(f, 200, "GET", "/_emulator/faults", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 3);
	json_decref(j);
	j = admin_ok(f, 200, "GET", "/_emulator/faults/mine", NULL);
	assert_string_equal(json_get_str(j, "kind", ""), "reset");
	json_decref(j);
	admin_void(f, 200, "DELETE", "/_emulator/faults/mine", NULL);
	admin_void(f, 404, "DELETE", "/_emulator/faults/mine", NULL);
	j = admin_ok(f, 200, "GET", "/_emulator/faults", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 2);
	json_decref(j);
	admin_void(f, 200, "DELETE", "/_emulator/faults", NULL);
	j = admin_ok(f, 200, "GET", "/_emulator/faults", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 0);
	json_decref(j);
	stop_ok(f);
}

static void test_emulator_core__fault_effects(void **state)
{
	struct fixture *f = *state;
	struct jdclient c;
	struct jdresp r;
	int64_t ms;
	json_t *j;

	start(f, NULL);
	jd_init(&c, f);

	/* Latency, measurable, once. */
	admin_void(f, 200, "POST", "/_emulator/faults",
		   "{\"service\":\"asset\",\"kind\":\"latency\",\"ms\":700,"
		   "\"count\":1}");
	assert_int_equal(amount_call(&c, &ms), 200);
	assert_true(ms >= 700);
	assert_int_equal(amount_call(&c, &ms), 200);
	assert_true(ms < 700);

	/* Error injection, twice, then gone; the rule names the action. */
	admin_void(
	    f, 200, "POST", "/_emulator/faults",
	    "{\"service\":\"jdcloud\",\"action\":\"describeAccountAmount\","
	    "\"kind\":\"error\",\"code\":\"RATE_LIMIT\",\"count\":2}");
	memset(&r, 0, sizeof(r));
	assert_int_equal(
	    jdclient_call(&r, &c, "asset", "GET", AMOUNT_PATH, NULL, NULL), 0);
	assert_int_equal(r.status, 429);
	assert_string_equal(jdresp_error_status(&r), "RATE_LIMIT");
	assert_true(r.request_id[0] != '\0');
	jdresp_release(&r);
	assert_int_equal(amount_call(&c, NULL), 429);
	assert_int_equal(amount_call(&c, NULL), 200);

	/* A rule for another service or action does not fire. */
	admin_void(f, 200, "POST", "/_emulator/faults",
		   "{\"service\":\"tencent\",\"kind\":\"error\"}");
	admin_void(f, 200, "POST", "/_emulator/faults",
		   "{\"action\":\"payOrder\",\"kind\":\"reset\"}");
	assert_int_equal(amount_call(&c, NULL), 200);
	admin_void(f, 200, "DELETE", "/_emulator/faults", NULL);

	/* An explicit HTTP status. */
	admin_void(f, 200, "POST", "/_emulator/faults",
		   "{\"service\":\"asset\",\"kind\":\"error\",\"code\":"
		   "\"UNAVAILABLE\",\"http_status\":502,\"count\":1}");
	assert_int_equal(amount_call(&c, NULL), 502);

	/* Reset, cut body and hang: transport errors, then normal again. */
	admin_void(f, 200, "POST", "/_emulator/faults",
		   "{\"kind\":\"reset\",\"count\":1}");
	assert_int_equal(amount_call(&c, NULL), 0);
	assert_int_equal(amount_call(&c, NULL), 200);
	admin_void(f, 200, "POST", "/_emulator/faults",
		   "{\"kind\":\"cut_half\",\"count\":1}");
	assert_int_equal(amount_call(&c, NULL), 0);
	assert_int_equal(amount_call(&c, NULL), 200);
	admin_void(f, 200, "POST", "/_emulator/faults",
		   "{\"kind\":\"hang\",\"ms\":400,\"count\":1}");
	assert_int_equal(amount_call(&c, &ms), 0);
	assert_true(ms >= 400);
	assert_int_equal(amount_call(&c, NULL), 200);

	j = admin_ok(f, 200, "GET", "/_emulator/stats", NULL);
	assert_int_equal(json_get_int(j, "faults_fired", 0), 7);
	json_decref(j);
	jdclient_release(&c);
	stop_ok(f);
}

/* Count how many of n calls a probability rule turns into errors. */
static int probability_run(struct fixture *f, int n, int64_t *fired)
{
	struct jdclient c;
	int errors = 0, i;
	json_t *j;

	start(f, NULL);
	jd_init(&c, f);
	admin_void(f, 200, "POST", "/_emulator/faults",
		   "{\"id\":\"p\",\"kind\":\"error\",\"service\":\"asset\","
		   "\"code\":\"RATE_LIMIT\",\"probability\":0.5,\"seed\":42}");
	for (i = 0; i < n; i++)
		errors += amount_call(&c, NULL) == 429;
	j = admin_ok(f, 200, "GET", "/_emulator/faults/p", NULL);
	*fired = json_get_int(j, "fired", -1);
	json_decref(j);
	jdclient_release(&c);
	stop_ok(f);
	return errors;
}

static void test_emulator_core__fault_probability_seeded(void **state)
{
	struct fixture *f = *state;
	int64_t fired1, fired2;
	int a, b;

	a = probability_run(f, 40, &fired1);
	b = probability_run(f, 40, &fired2);
	assert_true(a > 5 && a < 35);
	assert_int_equal(a, fired1);
	/* The rule's own seed makes the sequence reproducible. */
	assert_int_equal(a, b);
	assert_int_equal(fired1, fired2);
}

static void test_emulator_core__global_latency(void **state)
{
	struct fixture *f = *state;
	const char *args[] = {"--latency", "500", NULL};
	struct jdclient c;
	int64_t t0, ms;
	json_t *j;

	start(f, args);
	jd_init(&c, f);
	assert_int_equal(amount_call(&c, &ms), 200);
	assert_true(ms >= 500);
	/* The admin API is not slowed down. */
	t0 = time_mono_ms();
	j = admin_ok(f, 200, "GET", "/_emulator/health", NULL);
	json_decref(j);
	assert_true(time_mono_ms() - t0 < 500);
	jdclient_release(&c);
	stop_ok(f);
}

static void test_emulator_core__state_survives_restart(void **state)
{
	struct fixture *f = *state;
	char *sf = path_in(f, "world.json");
	const char *args[] = {"--state-file", sf, NULL};
	struct buf text = BUF_INIT;
	struct stat st;
	json_t *j;

	start(f, args);
	admin_void(f, 200, "POST", "/_emulator/accounts/carol",
		   "{\"jd_balance_fen\":777}");
	admin_void(f, 200, "POST", "/_emulator/time/advance", "{\"ms\":60000}");
	/* Written after the change, before any shutdown. */
	assert_int_equal(fs_read_file(&text, sf, 0, NULL), 0);
	assert_non_null(strstr(text.ptr, "\"carol\""));
	assert_int_equal(stat(sf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	stop_ok(f);

	start(f, args);
	j = admin_ok(f, 200, "GET", "/_emulator/accounts/carol", NULL);
	assert_int_equal(
	    json_integer_value(json_path_get(j, "jdcloud.balance_fen")), 777);
	json_decref(j);
	j = admin_ok(f, 200, "GET", "/_emulator/health", NULL);
	assert_int_equal(json_get_int(j, "time_offset_ms", 0), 60000);
	json_decref(j);
	stop_ok(f);

	/* A corrupt state file is refused and left alone. */
	assert_int_equal(fs_write_atomic(sf, "{oops", 5, 0600, NULL), 0);
	assert_int_not_equal(emuproc_start(&f->p, args), 0);
	buf_reset(&text);
	assert_int_equal(fs_read_file(&text, sf, 0, NULL), 0);
	assert_string_equal(text.ptr, "{oops");
	buf_release(&text);
	free(sf);
}

/* Wait up to ms for file to contain needle. */
static int file_gets(const char *file, const char *needle, int64_t ms)
{
	int64_t end = time_mono_ms() + ms;
	struct buf text = BUF_INIT;
	int found = 0;

	do {
		buf_reset(&text);
		if (fs_read_file(&text, file, 0, NULL) == 0 &&
		    strstr(text.ptr, needle))
			found = 1;
		else if (time_mono_ms() < end)
			usleep(50000);
	} while (!found && time_mono_ms() < end);
	buf_release(&text);
	return found;
}

static void test_emulator_core__background_save(void **state)
{
	struct fixture *f = *state;
	char *sf = path_in(f, "world.json"), *cfg = path_in(f, "c.json");
	const char *text = "{\"state\":{\"slow_save_ms\":-1,"
			   "\"save_interval_ms\":1500}}";
	const char *args[] = {"--state-file", sf, "--config", cfg, NULL};
	json_t *j;

	assert_int_equal(fs_write_atomic(cfg, text, strlen(text), 0600, NULL),
			 0);
	start(f, args);
	/* The first save is synchronous and counts as slow (over -1 ms). */
	admin_void(f, 200, "POST", "/_emulator/accounts/erin", "{}");
	assert_true(file_gets(sf, "\"erin\"", 1));
	/* Later changes are written by the background saver. */
	admin_void(f, 200, "POST", "/_emulator/accounts/frank", "{}");
	assert_false(file_gets(sf, "\"frank\"", 0));
	admin_void(f, 200, "POST", "/_emulator/accounts/gina", "{}");
	assert_true(file_gets(sf, "\"gina\"", 5000));
	assert_true(file_gets(sf, "\"frank\"", 1));
	/* And the last change before exit is saved at exit. */
	admin_void(f, 200, "POST", "/_emulator/accounts/hal", "{}");
	stop_ok(f);
	assert_true(file_gets(sf, "\"hal\"", 1));
	start(f, args);
	j = admin_ok(f, 200, "GET", "/_emulator/accounts/hal", NULL);
	json_decref(j);
	stop_ok(f);
	free(sf);
	free(cfg);
}

static void test_emulator_core__reset(void **state)
{
	struct fixture *f = *state;
	struct jdclient c;
	json_t *j;

	start(f, NULL);
	jd_init(&c, f);
	admin_void(f, 200, "POST", "/_emulator/accounts/demo",
		   "{\"tencent_balance_fen\":1}");
	admin_void(f, 200, "POST", "/_emulator/accounts/dave", "{}");
	admin_void(f, 200, "POST", "/_emulator/faults",
		   "{\"kind\":\"latency\",\"ms\":1}");
	admin_void(f, 200, "POST", "/_emulator/time/advance", "{\"ms\":5}");
	assert_int_equal(amount_call(&c, NULL), 200);

	admin_void(f, 200, "POST", "/_emulator/reset", NULL);
	j = admin_ok(f, 200, "GET", "/_emulator/world", NULL);
	assert_int_equal(json_integer_value(json_path_get(
			     j, "accounts.demo.tencent.balance_fen")),
			 100000000);
	assert_null(json_path_get(j, "accounts.dave"));
	json_decref(j);
	j = admin_ok(f, 200, "GET", "/_emulator/faults", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 0);
	json_decref(j);
	j = admin_ok(f, 200, "GET", "/_emulator/stats", NULL);
	assert_int_equal(json_get_int(j, "total", -1), 0);
	json_decref(j);
	j = admin_ok(f, 200, "GET", "/_emulator/health", NULL);
	assert_int_equal(json_get_int(j, "time_offset_ms", -1), 0);
	json_decref(j);
	admin_void(f, 405, "GET", "/_emulator/reset", NULL);
	jdclient_release(&c);
	stop_ok(f);
}

static void test_emulator_core__huge_body(void **state)
{
	struct fixture *f = *state;
	size_t n = 11u * 1024 * 1024;
	char *big = xmalloc(n + 1);
	char *body = NULL;
	long status;
	json_t *j;

	memset(big, 'a', n);
	big[n] = '\0';
	start(f, NULL);
	assert_int_equal(emuproc_http(&status, &body, &f->p, "POST",
				      "/_emulator/faults", big, NULL),
			 0);
	assert_int_equal(status, 413);
	free(body);
	body = NULL;
	assert_int_equal(
	    emuproc_http(&status, &body, &f->p, "POST", "/", big, NULL), 0);
	assert_int_equal(status, 413);
	free(body);
	/* Still serving. */
	j = admin_ok(f, 200, "GET", "/_emulator/health", NULL);
	json_decref(j);
	free(big);
	stop_ok(f);
}

/* Send raw bytes on a fresh connection and read until the server closes
 * or answers; returns the first bytes of the answer (maybe empty). */
static void raw_exchange(struct fixture *f, const char *data, size_t len,
			 struct buf *out)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char b[4096];
	ssize_t n;

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)f->p.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (write(fd, data, len) < 0) {
		/* the server may close early; that is an answer too */
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (poll(&p, 1, 10000) <= 0)
			break;
		n = read(fd, b, sizeof(b));
		if (n <= 0)
			break;
		buf_add(out, b, (size_t)n);
	}
	close(fd);
}

static void test_emulator_core__malformed_requests(void **state)
{
	struct fixture *f = *state;
	static const char *const reqs[] = {
	    "garbage\r\n\r\n",
	    "GET\r\n\r\n",
	    "GET / HTTP/9.9\r\n\r\n",
	    "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /_emulator/%00health HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /v1/%2e%2e/%2e%2e HTTP/1.1\r\nHost: x\r\n\r\n",
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab",
	    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
	    "\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
	    "POST /_emulator/faults HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 3\r\n\r\n\x01\x02\x03",
	    "POST /_emulator/accounts/%FF%FE HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 2\r\n\r\n{}",
	    "BREW /v2/regions/x/order/1:pay HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET /?X-TC-Action=%%%%&&&== HTTP/1.1\r\nHost: x\r\n"
	    "X-TC-Action: \r\nAuthorization: TC3-HMAC-SHA256 \r\n\r\n",
	    "GET /v1/regions/cn-north-1/assets:describeAccountAmount HTTP/1.1"
	    "\r\nHost: x\r\nAuthorization: JDCLOUD2-HMAC-SHA256 Credential"
	    "=/,SignedHeaders=,Signature=\r\n\r\n",
	};
	struct buf out = BUF_INIT, hdr = BUF_INIT;
	size_t i;
	json_t *j;

	start(f, NULL);
	for (i = 0; i < ARRAY_SIZE(reqs); i++) {
		buf_reset(&out);
		raw_exchange(f, reqs[i], strlen(reqs[i]), &out);
		j = admin_ok(f, 200, "GET", "/_emulator/health", NULL);
		json_decref(j);
	}
	/* An oversized header block. */
	buf_puts(&hdr, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
	for (i = 0; i < 300000; i++)
		buf_putc(&hdr, 'a');
	buf_puts(&hdr, "\r\n\r\n");
	buf_reset(&out);
	raw_exchange(f, hdr.ptr, hdr.len, &out);
	j = admin_ok(f, 200, "GET", "/_emulator/health", NULL);
	json_decref(j);
	stop_ok(f);
	buf_release(&out);
	buf_release(&hdr);
}

struct worker {
	struct fixture *f;
	int ok;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct jdclient c;
	int i;

	jd_init(&c, w->f);
	for (i = 0; i < 15; i++) {
		if (amount_call(&c, NULL) == 200)
			w->ok++;
		if (emuproc_admin(NULL, &w->f->p, "POST",
				  "/_emulator/accounts/demo",
				  "{\"tencent_balance_fen\":5}") == 200)
			w->ok++;
	}
	jdclient_release(&c);
	return NULL;
}

static void test_emulator_core__concurrent(void **state)
{
	struct fixture *f = *state;
	struct worker w[6];
	pthread_t t[6];
	json_t *j;
	size_t i;

	start(f, NULL);
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		w[i].f = f;
		w[i].ok = 0;
		assert_int_equal(
		    pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 30);
	}
	j = admin_ok(f, 200, "GET", "/_emulator/stats", NULL);
	assert_int_equal(json_get_int(j, "total", -1), 6 * 15);
	json_decref(j);
	stop_ok(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_emulator_core__start_stop_health),
	    T(test_emulator_core__env_file),
	    T(test_emulator_core__command_line),
	    T(test_emulator_core__config_merge),
	    T(test_emulator_core__admin_api),
	    T(test_emulator_core__patch_behind_back),
	    T(test_emulator_core__fault_rules),
	    T(test_emulator_core__fault_effects),
	    T(test_emulator_core__fault_probability_seeded),
	    T(test_emulator_core__global_latency),
	    T(test_emulator_core__state_survives_restart),
	    T(test_emulator_core__background_save),
	    T(test_emulator_core__reset),
	    T(test_emulator_core__huge_body),
	    T(test_emulator_core__concurrent),
	    T(test_emulator_core__malformed_requests),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
