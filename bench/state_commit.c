/*
 * state_commit: the cost of state versions in git (make bench).
 *
 *   state_commit DIR N VERSIONS
 *
 * Writes a state of N DCDB instances as the first version of DIR's state
 * repository, then VERSIONS versions each changing 1 % of the resources,
 * each as a command would: open the store, read the state, write the new
 * version (timed: serialisation, objects, commit, ref) and close the store
 * (timed apart: the packing every 32 versions happens there).  Prints one
 * JSON object: the median and largest commit time, the largest close, the
 * size of state.json, of the repository, and its growth per version.
 */
#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/state/store.h"
#include "core/util/json.h"
#include "core/util/util.h"

static long long dir_bytes(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	long long n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *p;
		struct stat sb;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", path, de->d_name);
		if (!lstat(p, &sb))
			n += S_ISDIR(sb.st_mode) ? dir_bytes(p) : sb.st_size;
		free(p);
	}
	closedir(d);
	return n;
}

static json_t *instance(int i, int version)
{
	char id[32];

	snprintf(id, sizeof(id), "dcdbt-%08d", i);
	return json_pack(
	    "{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:[s],s:{s:s},s:{s:i,s:i,s:i,s:i},"
	    "s:s,s:i,s:{},s:{s:s,s:i}},s:[],s:i,s:{}}",
	    "type", "tencentcloud_dcdb_instance", "provider", "tencentcloud",
	    "region", i % 2 ? "ap-shanghai" : "ap-guangzhou", "id", id,
	    "attributes", "id", id, "name", version ? "bench-changed" : "bench",
	    "zones", "ap-guangzhou-4", "billing", "mode", "postpaid", "shard",
	    "memory_gb", 4, "storage_gb", 50, "node_count", 2, "count", 2,
	    "db_version", "5.7", "project_id", 0, "tags", "init",
	    "character_set_server", "utf8mb4", "lower_case_table_names", 0,
	    "dependencies", "generation", 1, "sensitive_digests");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct state_store *st = NULL;
	struct err e = ERR_INIT;
	json_t *doc, *res;
	char commit[41] = "", *repo;
	int n, versions, v, i;
	double *ms, close_max = 0;
	long long before, after, state_bytes;
	char *text;

#ifdef __GLIBC__
	mallopt(M_MXFAST, 0); /* as dcform's main() does */
#endif

	if (argc != 4) {
		fprintf(stderr, "usage: state_commit DIR N VERSIONS\n");
		return 2;
	}
	n = atoi(argv[2]);
	versions = atoi(argv[3]);
	if (state_store_open(&st, argv[1], NULL, &e) < 0) {
		fprintf(stderr, "state_commit: %s\n", e.msg);
		return 1;
	}
	res = json_object();
	for (i = 0; i < n; i++) {
		json_t *r = instance(i, 0);

		json_object_set_new(res, json_get_str(r, "id", ""), r);
	}
	doc = json_pack("{s:i,s:s,s:i,s:s,s:o,s:{}}", "format_version", 1,
			"lineage", "bench", "serial", 1, "tool_version",
			"bench", "resources", res, "outputs");
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	state_bytes = (long long)strlen(text);
	free(text);
	if (state_store_write(st, doc, NULL, "bench: version 1", commit, &e) <
	    0) {
		fprintf(stderr, "state_commit: %s\n", e.msg);
		return 1;
	}
	repo = xasprintf("%s/.dcform/state.git", argv[1]);
	before = dir_bytes(repo);
	ms = xcalloc((size_t)versions + 1, sizeof(*ms));
	state_store_free(st);
	for (v = 1; v <= versions; v++) {
		int64_t t0;
		json_t *prev = NULL;
		char at[41];

		/* 1 %: the next hundredth of the resources, renamed. */
		for (i = 0; i < n / 100; i++) {
			int k = ((v - 1) * (n / 100) + i) % n;
			json_t *r = instance(k, v);

			json_object_set_new(res, json_get_str(r, "id", ""), r);
		}
		json_object_set_new(doc, "serial", json_integer(v + 1));
		if (state_store_open(&st, argv[1], NULL, &e) < 0 ||
		    state_store_read(st, &prev, at, &e) < 0) {
			fprintf(stderr, "state_commit: %s\n", e.msg);
			return 1;
		}
		json_decref(prev);
		t0 = time_mono_ms();
		if (state_store_write(st, doc, at, "bench: 1 % changed", commit,
				      &e) < 0) {
			fprintf(stderr, "state_commit: %s\n", e.msg);
			return 1;
		}
		ms[v - 1] = (double)(time_mono_ms() - t0);
		t0 = time_mono_ms();
		state_store_free(st);
		if ((double)(time_mono_ms() - t0) > close_max)
			close_max = (double)(time_mono_ms() - t0);
	}
	after = dir_bytes(repo);
	qsort(ms, (size_t)versions, sizeof(*ms), cmp_double);
	printf("{\"n\": %d, \"versions\": %d, \"commit_ms_median\": %.1f, "
	       "\"commit_ms_max\": %.1f, \"close_ms_max\": %.1f, "
	       "\"state_bytes\": %lld, "
	       "\"repo_bytes\": %lld, \"growth_bytes_per_version\": %.0f, "
	       "\"growth_pct_per_version\": %.2f}\n",
	       n, versions, ms[versions / 2], ms[versions - 1], close_max,
	       state_bytes, after, (double)(after - before) / versions,
	       100.0 * (double)(after - before) / versions /
		   (double)state_bytes);
	free(ms);
	free(repo);
	json_decref(doc);
	return 0;
}
