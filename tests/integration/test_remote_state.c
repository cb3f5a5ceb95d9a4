/*
 * Concurrency of the remote git state through a real `git daemon` on
 * loopback: of processes racing for the lock ref, never two hold it at
 * once (and with a timeout all get it in turn); of writers based on the
 * same tip exactly one wins and the others get DCF_ECONFLICT; a push that
 * names a stale tip is rejected.  The same against a file:// remote.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <git2.h>

#include "core/state/lock.h"
#include "core/state/remote.h"
#include "core/state/store.h"
#include "core/util/json.h"
#include "core/util/util.h"

extern char **environ;

struct fx {
	char dir[64];
	pid_t daemon;
	char git_url[128];
	char file_url[128];
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

static int free_port(void)
{
	struct sockaddr_in a;
	socklen_t n = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &n) < 0)
		port = -1;
	else
		port = ntohs(a.sin_port);
	close(s);
	return port;
}

static int can_connect(int port)
{
	struct sockaddr_in a;
	int s = socket(AF_INET, SOCK_STREAM, 0), ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(s);
	return ok;
}

static int run(const char *const argv[])
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv,
			 environ) != 0 ||
	    waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *srv, *repo, *base, *port_arg;
	int port, i;

	snprintf(f->dir, sizeof(f->dir), "/tmp/dcform-remote-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	srv = xasprintf("%s/srv", f->dir);
	repo = xasprintf("%s/srv/state.git", f->dir);
	mkdir(srv, 0700);
	{
		const char *argv[] = {"git",	"init", "-q",
				      "--bare", repo,	NULL};

		if (run(argv) != 0)
			return -1;
	}
	port = free_port();
	base = xasprintf("--base-path=%s", srv);
	port_arg = xasprintf("--port=%d", port);
	{
		const char *argv[] = {"git",
				      "daemon",
				      "--export-all",
				      "--enable=receive-pack",
				      base,
				      "--listen=127.0.0.1",
				      port_arg,
				      "--reuseaddr",
				      NULL};

		if (posix_spawnp(&f->daemon, "git", NULL, NULL,
				 (char *const *)argv, environ) != 0)
			return -1;
	}
	for (i = 0; i < 200 && !can_connect(port); i++)
		usleep(50000);
	snprintf(f->git_url, sizeof(f->git_url), "git://127.0.0.1:%d/state.git",
		 port);
	snprintf(f->file_url, sizeof(f->file_url), "file://%s", repo);
	free(srv);
	free(repo);
	free(base);
	free(port_arg);
	*state = f;
	return i < 200 ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->daemon > 0) {
		kill(f->daemon, SIGTERM);
		waitpid(f->daemon, NULL, 0);
	}
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

#define NPROC 5

/*
 * NPROC processes, each with its own working copy, lock the same remote
 * (waiting up to 60 s) and while holding it create an O_EXCL marker: a
 * second holder at the same time would find the marker.  Exit codes:
 * 0 held it, 3 overlap seen, 4 lock error.
 */
static void lock_race(const char *top, const char *url)
{
	json_t *be = state_backend_json(url, NULL);
	char *marker = xasprintf("%s/holder", top);
	pid_t pids[NPROC];
	int i, go[2], ok = 1;

	assert_int_equal(pipe(go), 0);
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct state_lock *lk = NULL;
			struct err e = ERR_INIT;
			char *wd = xasprintf("%s/w%d", top, i), c;
			int fd, rc = 0;

			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				_exit(5);
			if (state_lock_acquire_backend(
				&lk, wd, be, NULL, "apply", 60000, &e) < 0) {
				fprintf(stderr, "child %d: %s\n", i, e.msg);
				_exit(4);
			}
			fd = open(marker, O_CREAT | O_EXCL | O_WRONLY, 0600);
			if (fd < 0)
				rc = 3;
			usleep(150000);
			if (fd >= 0) {
				close(fd);
				unlink(marker);
			}
			if (state_lock_release_checked(lk, &e) < 0) {
				fprintf(stderr, "child %d: %s\n", i, e.msg);
				rc = 4;
			}
			_exit(rc);
		}
	}
	close(go[0]);
	close(go[1]); /* everyone starts now */
	/* Wait for all before judging: no child outlives the test. */
	for (i = 0; i < NPROC; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st))
			ok = 0;
		else if (WEXITSTATUS(st) != 0)
			ok = 0;
	}
	assert_true(ok);
	json_decref(be);
	free(marker);
}

/*
 * NPROC writers read the same tip, then all write a next version at once:
 * exactly one wins; the others get DCF_ECONFLICT (exit 6).
 */
static void write_race(const char *top, const char *url)
{
	json_t *be = state_backend_json(url, NULL), *doc, *h = NULL;
	struct state_store *st = NULL;
	struct err e = ERR_INIT;
	char base[41], c[41], ch;
	pid_t pids[NPROC];
	int i, go[2], ready[2], won = 0, lost = 0;
	char *wd0 = xasprintf("%s/seed", top);

	assert_int_equal(state_store_open_backend(&st, wd0, NULL, be, &e), 0);
	doc = json_pack("{s:i,s:s,s:i,s:{},s:{}}", "format_version", 1,
			"lineage", "L", "serial", 1, "resources", "outputs");
	assert_int_equal(state_store_write(st, doc, NULL, "seed", base, &e), 0);
	json_decref(doc);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct state_store *s = NULL;
			char *wd = xasprintf("%s/v%d", top, i), tip[41];
			json_t *d = NULL;
			int ret;

			close(go[1]);
			if (state_store_open_backend(&s, wd, NULL, be, &e) <
				0 ||
			    state_store_read(s, &d, tip, &e) < 0 ||
			    strcmp(tip, base)) {
				fprintf(stderr, "writer %d: read: %s\n", i,
					e.msg);
				_exit(4);
			}
			/* Read, say so, and write only when all have read. */
			if (write(ready[1], "r", 1) != 1 ||
			    read(go[0], &ch, 1) < 0)
				_exit(5);
			json_object_set_new(d, "serial", json_integer(2));
			json_object_set_new(d, "writer", json_integer(i));
			ret = state_store_write(s, d, tip, "race", c, &e);
			if (ret == DCF_ECONFLICT &&
			    strstr(e.msg, "run dcform plan again"))
				_exit(6);
			if (ret < 0)
				fprintf(stderr, "writer %d: %s\n", i, e.msg);
			_exit(ret < 0 ? 4 : 0);
		}
	}
	close(go[0]);
	close(ready[1]);
	for (i = 0; i < NPROC && read(ready[0], &ch, 1) == 1; i++)
		;
	close(ready[0]);
	close(go[1]); /* all have read the same tip: write now */
	for (i = 0; i < NPROC; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			won++;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 6)
			lost++;
	}
	assert_int_equal(won, 1);
	assert_int_equal(lost, NPROC - 1);
	/* Two versions, the winner's on top of the seed. */
	assert_int_equal(state_store_history(st, 0, &h, &e), 0);
	assert_int_equal(json_array_size(h), 2);
	assert_string_equal(json_get_str(json_array_get(h, 1), "commit", ""),
			    base);
	json_decref(h);

	/* A push naming a stale tip is rejected by the remote. */
	{
		git_repository *repo = NULL;
		struct state_backend sb;
		git_oid stale, actual;

		assert_int_equal(state_repo_open(&repo, wd0, &e), 0);
		assert_int_equal(state_backend_parse(&sb, be, wd0, &e), 0);
		git_oid_fromstr(&stale, base);
		assert_int_equal(state_remote_push_cas(
				     repo, &sb, "refs/dcform/cache/default",
				     "refs/heads/dcform-state", &stale, &actual,
				     &e),
				 DCF_ECONFLICT);
		assert_false(git_oid_is_zero(&actual));
		state_backend_release(&sb);
		git_repository_free(repo);
	}
	state_store_free(st);
	json_decref(be);
	free(wd0);
}

static void test_remote_state__git_daemon_lock(void **state)
{
	struct fx *f = *state;
	char *top = xasprintf("%s/lock", f->dir);

	mkdir(top, 0700);
	lock_race(top, f->git_url);
	free(top);
}

static void test_remote_state__git_daemon_write(void **state)
{
	struct fx *f = *state;
	char *top = xasprintf("%s/write", f->dir);

	mkdir(top, 0700);
	write_race(top, f->git_url);
	free(top);
}

static void test_remote_state__file_lock_and_write(void **state)
{
	struct fx *f = *state;
	char *top = xasprintf("%s/file", f->dir);

	mkdir(top, 0700);
	lock_race(top, f->file_url);
	write_race(top, f->file_url);
	free(top);
}

/* A run killed while holding the lock leaves the ref: it is shown with
 * its holder, blocks others, and force-unlock with its id clears it. */
static void test_remote_state__killed_holder(void **state)
{
	struct fx *f = *state;
	json_t *be = state_backend_json(f->git_url, NULL), *h = NULL;
	char *wa = xasprintf("%s/killed", f->dir);
	char *wb = xasprintf("%s/other", f->dir);
	struct state_lock *lk = NULL;
	struct err e = ERR_INIT;
	int p[2], st;
	char ch, id[64];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (state_lock_acquire_backend(&lk, wa, be, NULL, "apply", 0,
					       &e) < 0)
			_exit(4);
		if (write(p[1], "l", 1) != 1)
			_exit(5);
		for (;;)
			pause(); /* holding it until killed */
	}
	close(p[1]);
	assert_int_equal(read(p[0], &ch, 1), 1);
	close(p[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));

	assert_int_equal(state_lock_info_backend(wb, be, NULL, &h, &e), 0);
	assert_int_equal(json_get_int(h, "pid", 0), pid);
	assert_string_equal(json_get_str(h, "operation", ""), "apply");
	snprintf(id, sizeof(id), "%s", json_get_str(h, "id", ""));
	json_decref(h);
	assert_int_equal(
	    state_lock_acquire_backend(&lk, wb, be, NULL, "apply", 500, &e),
	    DCF_ELOCKED);
	assert_non_null(strstr(e.msg, id));
	assert_non_null(strstr(e.msg, "(apply)"));
	assert_int_equal(state_lock_force_backend(wb, be, NULL, id, NULL, &e),
			 0);
	assert_int_equal(
	    state_lock_acquire_backend(&lk, wb, be, NULL, "apply", 0, &e), 0);
	assert_int_equal(state_lock_release_checked(lk, &e), 0);
	json_decref(be);
	free(wa);
	free(wb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_remote_state__git_daemon_lock,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote_state__git_daemon_write,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_remote_state__file_lock_and_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remote_state__killed_holder,
					    setup, teardown),
	};
	int rc;

	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
