/*
 * fs.h: file helpers.  Writes are atomic (temporary file, fsync, rename)
 * so that a crash never leaves a half-written file behind.
 */
#ifndef DCFORM_FS_H
#define DCFORM_FS_H

#include <stddef.h>
#include <sys/types.h>
#include "buf.h"
#include "err.h"

/* Read a whole file into out (appended), refusing files over max bytes
 * (0: no limit). */
int fs_read_file(struct buf *out, const char *path, size_t max, struct err *e);
/* Write data to path atomically with the given mode. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    struct err *e);
/* mkdir -p with the given mode for directories it creates. */
int fs_mkdir_p(const char *path, mode_t mode, struct err *e);
int fs_exists(const char *path);
int fs_is_dir(const char *path);
/* Newly allocated "dir/name". */
char *fs_join(const char *dir, const char *name);

#endif
