#ifndef DCFORM_UTIL_JPOOL_H
#define DCFORM_UTIL_JPOOL_H

#include <stddef.h>

/* jansson's allocator (core/util/jpool.c): call before any other jansson
 * function.  dcform does unless built with POOL=0 (ASan, memcheck). */
void jpool_install(void);

/* A block as jansson gets one (tests). */
void *jpool_alloc(size_t n);

/* Frees a block of jpool_alloc, or what jansson itself returned to its
 * caller (json_dumps); malloc's blocks go back to free(). */
void jpool_free(void *p);

/* Whether p is a block of the pool (free() must not see it). */
int jpool_owns(const void *p);

#endif
