/* emuproc.c: see emuproc.h. */
#include "emuproc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "core/util/buf.h"
#include "core/util/util.h"

#define START_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 30000

const char *emuproc_binary(void)
{
	const char *b = getenv("DCFORM_EMULATOR");

	return b && *b ? b : "build/asan/dcform-emulator";
}

/* Read stdout until the first newline (or timeout) into line. */
static int read_first_line(int fd, struct buf *line)
{
	int64_t deadline = time_mono_ms() + START_TIMEOUT_MS;
	char c;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - time_mono_ms();
		ssize_t n;

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (c == '\n')
			return 0;
		buf_putc(line, c);
	}
}

int emuproc_start(struct emuproc *p, const char *const *extra_args)
{
	const char *bin = emuproc_binary();
	const char **argv = NULL;
	size_t n = 0, alloc = 0, i;
	struct buf line = BUF_INIT;
	const char *url;
	int fds[2] = {-1, -1};
	int ret = -1;

	memset(p, 0, sizeof(*p));
	p->out_fd = -1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ALLOC_GROW(argv, n + 4, alloc);
	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	for (i = 0; extra_args && extra_args[i]; i++) {
		ALLOC_GROW(argv, n + 2, alloc);
		argv[n++] = extra_args[i];
	}
	ALLOC_GROW(argv, n + 1, alloc);
	argv[n] = NULL;

	if (pipe(fds) < 0) {
		perror("emuproc: pipe");
		goto out;
	}
	p->pid = fork();
	if (p->pid < 0) {
		perror("emuproc: fork");
		goto out;
	}
	if (p->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(bin, (char *const *)argv);
		fprintf(stderr, "emuproc: cannot run '%s': %s\n", bin,
			strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	fds[1] = -1;
	p->out_fd = fds[0];
	fds[0] = -1;
	if (read_first_line(p->out_fd, &line) < 0) {
		fprintf(stderr, "emuproc: '%s' printed no listening line\n",
			bin);
		emuproc_stop(p);
		goto out;
	}
	if (!str_starts_with(line.ptr, "listening on http://127.0.0.1:")) {
		fprintf(stderr, "emuproc: unexpected first line '%s'\n",
			line.ptr);
		emuproc_stop(p);
		goto out;
	}
	url = line.ptr + strlen("listening on ");
	snprintf(p->url, sizeof(p->url), "%s", url);
	p->port = atoi(url + strlen("http://127.0.0.1:"));
	ret = 0;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (ret)
		curl_global_cleanup();
	buf_release(&line);
	free(argv);
	return ret;
}

int emuproc_stop(struct emuproc *p)
{
	int64_t deadline = time_mono_ms() + STOP_TIMEOUT_MS;
	int status = 0, ret = -1;
	pid_t r;

	if (p->pid <= 0)
		return -1;
	kill(p->pid, SIGTERM);
	for (;;) {
		r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid)
			break;
		if (r < 0 && errno != EINTR)
			goto out;
		if (time_mono_ms() > deadline) {
			fprintf(stderr, "emuproc: no exit after SIGTERM, "
					"killing\n");
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			goto out;
		}
		usleep(10000);
	}
	if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else
		fprintf(stderr, "emuproc: emulator died of signal %d\n",
			WTERMSIG(status));
out:
	p->pid = 0;
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->out_fd = -1;
	curl_global_cleanup();
	return ret;
}

static size_t write_cb(char *data, size_t size, size_t n, void *ud)
{
	buf_add(ud, data, size * n);
	return size * n;
}

int emuproc_http(long *status, char **body, const struct emuproc *p,
		 const char *method, const char *path, const char *req_body,
		 const char *const *headers)
{
	struct curl_slist *hl = NULL;
	struct buf resp = BUF_INIT;
	char *url = xasprintf("%s%s", p->url, path);
	CURL *c = curl_easy_init();
	CURLcode rc;
	size_t i;

	*status = 0;
	*body = NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	if (req_body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req_body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(req_body));
		hl = curl_slist_append(hl, "Content-Type: application/json");
	}
	hl = curl_slist_append(hl, "Expect:");
	for (i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		*body = buf_detach(&resp, NULL);
	} else {
		*status = (long)rc;
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	buf_release(&resp);
	free(url);
	return rc == CURLE_OK ? 0 : -1;
}

long emuproc_admin(json_t **out, const struct emuproc *p, const char *method,
		   const char *path, const char *req_body)
{
	char *body = NULL;
	long status;

	if (out)
		*out = NULL;
	if (emuproc_http(&status, &body, p, method, path, req_body, NULL) < 0)
		return -1;
	if (out)
		*out = json_loads(body, JSON_DECODE_ANY, NULL);
	free(body);
	return status;
}
