/*
 * util.h: allocation wrappers that never return NULL, BUG() for broken
 * invariants and small helpers shared by every module.
 *
 * Invariant: the x* wrappers abort the process on out-of-memory, so callers
 * never check their result (as in git and tmux).
 */
#ifndef DCFORM_UTIL_H
#define DCFORM_UTIL_H

#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTF_LIKE(f, a)
#define NORETURN
#endif

/* Abort with "BUG: file:line: message"; for invariants, never for input. */
#define BUG(...) bug_fl(__FILE__, __LINE__, __VA_ARGS__)
void bug_fl(const char *file, int line, const char *fmt, ...)
    PRINTF_LIKE(3, 4) NORETURN;

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A newly allocated formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
char *xvasprintf(const char *fmt, va_list ap);

/* Grow *arr (of *alloc elements of size sz) to hold at least n elements. */
#define ALLOC_GROW(arr, n, alloc)                                             \
	do {                                                                  \
		if ((size_t)(n) > (alloc)) {                                  \
			size_t alloc_new_ = (alloc) ? (alloc)*2 : 8;          \
			while (alloc_new_ < (size_t)(n))                      \
				alloc_new_ *= 2;                              \
			(arr) = xrealloc((arr), alloc_new_ * sizeof(*(arr))); \
			(alloc) = alloc_new_;                                 \
		}                                                             \
	} while (0)

int str_starts_with(const char *s, const char *prefix);
int str_ends_with(const char *s, const char *suffix);

/* Levenshtein distance, for "did you mean" suggestions. */
size_t str_edit_distance(const char *a, const char *b);

/* Monotonic time in milliseconds. */
int64_t time_mono_ms(void);
/* Wall-clock time in seconds since the epoch. */
int64_t time_now_s(void);

/*
 * Crash points for the reliability tests (like git's GIT_TEST_* hooks):
 * with DCFORM_TEST_CRASH="NAME:N" in the environment, the N-th time the
 * process passes crash point NAME it kills itself with SIGKILL, as a
 * power cut would.  Points: "http-write" (a non-idempotent request has
 * reached the cloud and its answer arrived, before dcform records it) and
 * "state-commit" (state objects written, branch not yet moved).  Without
 * the variable this is one getenv per call.
 */
void test_crash_point(const char *name);

#endif
