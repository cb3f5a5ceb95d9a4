/* dcform version: the tool's and the libraries' versions. */
#include <stdio.h>
#include <curl/curl.h>
#include <git2.h>
#include <jansson.h>
#include <yaml.h>

#include "cmd.h"

static int json_out;

static const struct opt *version_options(void)
{
	static const struct opt o[] = {
	    {"json", 0, OPT_BOOL, &json_out, NULL,
	     "print the versions as JSON"},
	    OPT_END,
	};
	return o;
}

static int version_run(int argc, const char **argv)
{
	int maj, min, rev;

	(void)argv;
	if (argc > 0) {
		cmd_error("version: takes no arguments");
		return EXIT_USAGE;
	}
	git_libgit2_version(&maj, &min, &rev);
	if (json_out) {
		printf("{\"dcform\":\"%s\",\"libcurl\":\"%s\","
		       "\"libgit2\":\"%d.%d.%d\",\"jansson\":\"%s\","
		       "\"libyaml\":\"%s\",\"state_format\":1,"
		       "\"plan_format\":\"1.0\"}\n",
		       DCFORM_VERSION,
		       curl_version_info(CURLVERSION_NOW)->version, maj, min,
		       rev, jansson_version_str(), yaml_get_version_string());
		return EXIT_OK;
	}
	printf("dcform %s\n", DCFORM_VERSION);
	printf("libcurl %s, libgit2 %d.%d.%d, jansson %s, libyaml %s\n",
	       curl_version_info(CURLVERSION_NOW)->version, maj, min, rev,
	       jansson_version_str(), yaml_get_version_string());
	return EXIT_OK;
}

const struct cmd cmd_version_def = {
    .name = "version",
    .usage = "version [--json]",
    .summary = "Print the version of dcform and of its libraries",
    .options = version_options,
    .run = version_run,
    .exit_codes = "0  always",
};
