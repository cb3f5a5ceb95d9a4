#include "core/state/loose.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/util/util.h"

/*
 * A state version as a loose blob, written the way git writes one:
 * objects/xx/yyyy... holding zlib("blob <size>\0" <content>), named by the
 * SHA-1 of what is compressed, put in place by a rename so that a reader
 * never sees half a file, read-only and private to its owner (the state
 * holds secrets; git's 0444 less dcform's umask of 077 is the same).
 * libgit2 does the same, one step after the other; here the hash is
 * computed on a second thread while the content is compressed (the two
 * are most of a commit of a 10,000-resource state).
 */

struct hash_job {
	const char *hdr, *text;
	size_t hlen, len;
	unsigned char md[EVP_MAX_MD_SIZE];
	int ok;
};

static void *hash_blob(void *arg)
{
	struct hash_job *j = arg;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 0;

	j->ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 &&
		EVP_DigestUpdate(c, j->hdr, j->hlen) == 1 &&
		EVP_DigestUpdate(c, j->text, j->len) == 1 &&
		EVP_DigestFinal_ex(c, j->md, &n) == 1 && n == GIT_OID_RAWSZ;
	EVP_MD_CTX_free(c);
	return NULL;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* zlib(hdr text) into fd, at git's speed setting for loose objects. */
static int deflate_to(int fd, const char *hdr, size_t hlen, const char *text,
		      size_t len)
{
	unsigned char out[1 << 16];
	z_stream z;
	int ret = 0, zr = Z_OK, step;

	memset(&z, 0, sizeof(z));
	if (deflateInit(&z, Z_BEST_SPEED) != Z_OK)
		return -1;
	for (step = 0; step < 2 && ret == 0; step++) {
		const char *p = step ? text : hdr;
		size_t left = step ? len : hlen;

		do {
			uInt in = left > (1u << 30) ? 1u << 30 : (uInt)left;

			z.next_in = (Bytef *)p;
			z.avail_in = in;
			p += in;
			left -= in;
			do {
				z.next_out = out;
				z.avail_out = sizeof(out);
				zr = deflate(&z, step && !left ? Z_FINISH
							       : Z_NO_FLUSH);
				if (zr == Z_STREAM_ERROR ||
				    write_all(fd, out,
					      sizeof(out) - z.avail_out) < 0) {
					ret = -1;
					break;
				}
			} while (z.avail_out == 0);
		} while (left && ret == 0);
	}
	if (ret == 0 && zr != Z_STREAM_END)
		ret = -1;
	deflateEnd(&z);
	return ret;
}

char *state_loose_path(git_repository *repo, const git_oid *oid)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), oid);
	return xasprintf("%sobjects/%.2s/%s", git_repository_path(repo), hex,
			 hex + 2);
}

static int write_loose(git_repository *repo, const char *text, size_t len,
		       git_oid *out)
{
	char hdr[64];
	struct hash_job j;
	pthread_t t;
	int threaded, fd, ret = -1, placed = 0;
	char *dir = xasprintf("%sobjects", git_repository_path(repo));
	char *tmp = xasprintf("%s/tmp_dcform_XXXXXX", dir), *dst = NULL;
	struct stat sb;

	memset(&j, 0, sizeof(j));
	j.hdr = hdr;
	j.hlen = (size_t)snprintf(hdr, sizeof(hdr), "blob %zu", len) + 1;
	j.text = text;
	j.len = len;
	fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		free(dir);
		return -1;
	}
	threaded = pthread_create(&t, NULL, hash_blob, &j) == 0;
	if (deflate_to(fd, hdr, j.hlen, text, len) < 0)
		goto out_join;
	if (close(fd) < 0) {
		fd = -1;
		goto out_join;
	}
	fd = -1;
	ret = 0;
out_join:
	if (threaded)
		pthread_join(t, NULL);
	else
		hash_blob(&j);
	if (fd >= 0)
		close(fd);
	if (ret == 0 && !j.ok)
		ret = -1;
	if (ret == 0) {
		char *slash;

		git_oid_fromraw(out, j.md);
		dst = state_loose_path(repo, out);
		slash = strrchr(dst, '/');
		*slash = '\0'; /* the fan-out directory first */
		if (mkdir(dst, 0700) < 0 && errno != EEXIST)
			ret = -1;
		*slash = '/';
		if (ret == 0 && stat(dst, &sb) == 0)
			; /* there already: the same content */
		else if (ret == 0 && chmod(tmp, 0400) == 0 &&
			 rename(tmp, dst) == 0)
			placed = 1;
		else
			ret = -1;
	}
	if (!placed)
		unlink(tmp);
	free(dst);
	free(tmp);
	free(dir);
	return ret;
}

int state_write_blob(git_repository *repo, const char *text, size_t len,
		     git_oid *out)
{
	/* The repository's own writer if ours could not write. */
	if (write_loose(repo, text, len, out) < 0)
		return git_blob_create_from_buffer(out, repo, text, len);
	return 0;
}
