/*
 * lock.c: the flock state lock.  See lock.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/state/lock.h"
#include "core/util/fs.h"
#include "core/util/json.h"
#include "core/util/util.h"
#include "core/util/uuid.h"

struct state_lock {
	int fd;
};

static char *lock_path(const char *dir, struct err *e, int create)
{
	char *dot = fs_join(dir, ".dcform"), *p;

	if (create && fs_mkdir_p(dot, 0700, e) < 0) {
		free(dot);
		return NULL;
	}
	p = fs_join(dot, "lock");
	free(dot);
	return p;
}

static json_t *read_holder(int fd)
{
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return json_loads(buf, 0, NULL);
}

static int locked_message(struct err *e, int fd)
{
	json_t *h = read_holder(fd);
	time_t since = (time_t)json_get_int(h, "created", 0);
	char when[32] = "?";
	struct tm tm;
	int ret;

	if (since) {
		gmtime_r(&since, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
	}
	ret = err_set(e, DCF_ELOCKED,
		      "state is locked by %s@%s (pid %lld, %s, since %s, id "
		      "%s); wait for it, or run `dcform force-unlock %s` if "
		      "that process is gone",
		      json_get_str(h, "who", "?"), json_get_str(h, "host", "?"),
		      (long long)json_get_int(h, "pid", 0),
		      json_get_str(h, "operation", "?"), when,
		      json_get_str(h, "id", "?"), json_get_str(h, "id", "?"));
	json_decref(h);
	return ret;
}

int state_lock_acquire(struct state_lock **out, const char *dir,
		       const char *operation, long timeout_ms, struct err *e)
{
	char *path = lock_path(dir, e, 1);
	int64_t deadline = time_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	long delay = 50;
	int fd;

	if (!path)
		return DCF_ERROR;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return err_set(e, DCF_ERROR, "cannot open the state lock: %s",
			       strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK || time_mono_ms() >= deadline) {
			int ret = errno == EWOULDBLOCK
					  ? locked_message(e, fd)
					  : err_set(e, DCF_ERROR,
						    "cannot lock the state: %s",
						    strerror(errno));
			close(fd);
			return ret;
		}
		{
			struct timespec ts = {0, delay * 1000000L};
			nanosleep(&ts, NULL);
		}
		if (delay < 1000)
			delay *= 2;
	}
	{
		char id[UUID_STR_LEN], host[256] = "?";
		struct passwd *pw = getpwuid(getuid());
		json_t *h;
		char *s;

		uuid_v4(id);
		gethostname(host, sizeof(host) - 1);
		h = json_pack("{s:s,s:s,s:s,s:I,s:s,s:I,s:s}", "id", id, "who",
			      pw ? pw->pw_name : "?", "host", host, "pid",
			      (json_int_t)getpid(), "operation", operation,
			      "created", (json_int_t)time(NULL), "version",
			      DCFORM_VERSION);
		s = json_dumps(h, JSON_COMPACT);
		if (ftruncate(fd, 0) == 0 &&
		    pwrite(fd, s, strlen(s), 0) == (ssize_t)strlen(s))
			fsync(fd);
		free(s);
		json_decref(h);
	}
	*out = xcalloc(1, sizeof(**out));
	(*out)->fd = fd;
	return 0;
}

void state_lock_release(struct state_lock *lk)
{
	if (!lk)
		return;
	if (ftruncate(lk->fd, 0) < 0) {
		/* The holder info stays; the flock goes anyway. */
	}
	close(lk->fd);
	free(lk);
}

int state_lock_info(const char *dir, json_t **out, struct err *e)
{
	char *path = lock_path(dir, e, 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	json_t *h;

	free(path);
	if (fd < 0)
		return err_set(e, DCF_ENOTFOUND, "no lock");
	h = read_holder(fd);
	if (!h || flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd);
		json_decref(h);
		return err_set(e, DCF_ENOTFOUND, "the state is not locked");
	}
	close(fd);
	*out = h;
	return 0;
}

int state_lock_force(const char *dir, const char *id, struct err *e)
{
	char *path = lock_path(dir, e, 0);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	json_t *h;
	int ret = 0;

	free(path);
	if (fd < 0)
		return err_set(e, DCF_ENOTFOUND, "there is no state lock");
	h = read_holder(fd);
	if (!h || strcmp(json_get_str(h, "id", ""), id)) {
		ret = err_set(e, DCF_EINVALID,
			      "lock id '%s' does not match the holder's (%s)",
			      id, json_get_str(h, "id", "none"));
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = err_set(e, DCF_ELOCKED,
			      "process %lld on %s still holds the lock; "
			      "a live holder cannot be broken: stop it first",
			      (long long)json_get_int(h, "pid", 0),
			      json_get_str(h, "host", "?"));
	} else {
		if (ftruncate(fd, 0) < 0)
			ret = err_set(e, DCF_ERROR, "cannot clear the lock: %s",
				      strerror(errno));
	}
	json_decref(h);
	close(fd);
	return ret;
}
