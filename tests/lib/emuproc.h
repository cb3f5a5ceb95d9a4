/*
 * emuproc.h: run dcform-emulator as a child process for integration tests.
 *
 * emuproc_start() runs $DCFORM_EMULATOR (set by tests/run.sh; falls back to
 * build/asan/dcform-emulator) with "--listen 127.0.0.1:0" plus the caller's
 * arguments, reads the first stdout line "listening on http://…" and keeps
 * the base URL.  emuproc_stop() sends SIGTERM and waits: it returns 0 only
 * when the emulator exited with status 0, so a leak found by AddressSanitizer
 * at exit (which makes the exit status non-zero) fails the test.
 *
 * The emulator's stderr goes to the test's stderr, so sanitizer reports land
 * in the test log.
 */
#ifndef DCFORM_TESTS_EMUPROC_H
#define DCFORM_TESTS_EMUPROC_H

#include <sys/types.h>
#include <jansson.h>

struct emuproc {
	pid_t pid;
	int out_fd; /* read end of the emulator's stdout */
	int port;
	char url[64]; /* "http://127.0.0.1:PORT", no trailing slash */
};

/*
 * Start the emulator.  extra_args is a NULL-terminated list appended to the
 * command line (may be NULL).  Returns 0, or -1 (message on stderr) when the
 * binary cannot be run or does not print its listening line within 30 s.
 */
int emuproc_start(struct emuproc *p, const char *const *extra_args);

/* SIGTERM and wait (30 s, then SIGKILL).  Returns the exit status (0 on a
 * clean shutdown), or -1 when killed by a signal or not running. */
int emuproc_stop(struct emuproc *p);

/* Path of the emulator binary (borrowed: env or the fallback). */
const char *emuproc_binary(void);

/*
 * One plain HTTP request to the emulator: method, path (starting with "/",
 * may hold a query), optional body (sent as application/json) and optional
 * extra headers (NULL-terminated "Name: value" strings).  On success returns
 * 0 with the HTTP status in *status and the body in *body (caller frees).
 * Returns -1 on a transport failure (connection reset, timeout, …), with
 * the curl error code in *status.
 */
int emuproc_http(long *status, char **body, const struct emuproc *p,
		 const char *method, const char *path, const char *req_body,
		 const char *const *headers);

/*
 * An admin call ("/_emulator/…"), parsing the answer: *out gets the JSON
 * (new reference, caller decrefs; NULL when the body is not JSON).
 * Returns the HTTP status, or -1 on a transport failure.
 */
long emuproc_admin(json_t **out, const struct emuproc *p, const char *method,
		   const char *path, const char *req_body);

#endif
