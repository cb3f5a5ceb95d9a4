/*
 * measure: run a command and write its wall time, CPU time and peak RSS.
 *
 *   measure OUT -- COMMAND [ARG...]
 *
 * writes {"wall_s": …, "cpu_s": …, "peak_rss_kb": …} to OUT and exits with
 * the command's status (128 + N when killed by signal N).
 *
 * Why a program of its own: Linux counts a child's resident pages at
 * fork in its peak RSS (ru_maxrss), and a fork of bench.py holding a
 * world of 10,000 objects has more of them than dcform itself uses.  A
 * command forked from this small process is measured alone.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status, code;
	pid_t pid;
	FILE *f;

	if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: measure OUT -- COMMAND [ARG...]\n");
		return 64;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("measure: fork");
		return 71;
	}
	if (!pid) {
		execvp(argv[3], argv + 3);
		perror("measure: exec");
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("measure: wait4");
		return 71;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	f = fopen(argv[1], "w");
	if (!f) {
		perror(argv[1]);
		return 71;
	}
	fprintf(f,
		"{\"wall_s\": %.6f, \"cpu_s\": %.6f, \"peak_rss_kb\": %ld}\n",
		(double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		(double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
		ru.ru_maxrss);
	if (fclose(f)) {
		perror(argv[1]);
		return 71;
	}
	return code;
}
