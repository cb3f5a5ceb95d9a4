/*
 * jansson's allocator in plain builds: small blocks in size classes, each
 * class carved out of 64 KiB chunks of its own, with a free list per
 * thread.  A plan of 10,000 objects makes and frees millions of small
 * JSON values (an object is three allocations, a member one, a string
 * two); glibc's malloc and free took a quarter of the plan's CPU time
 * (docs/performance.md).
 *
 * A block's class is found from its address: chunks are aligned to their
 * size and listed in a table that is only ever added to, so a free looks
 * up the chunk the block would lie in; a block of no chunk came from
 * malloc (blocks over the largest class).  A block freed by another
 * thread than the one that made it goes to the freeing thread's list; a
 * thread that ends gives its lists to a depot that other threads draw
 * from.  Chunks are never returned: the process is a command, not a
 * server.
 *
 * dcform installs it at start; its AddressSanitizer and memcheck builds
 * do not (make POOL=0, DCFORM_NO_POOL), so that those tools still see
 * every JSON value.  tests/unit/core/test_jpool.c tests it under ASan
 * all the same, and `make tsan` runs dcform's threads on it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/util/jpool.h"

#define CHUNK_SIZE ((uintptr_t)64 * 1024)
#define CLASS_STEP 16
#define NCLASSES 16	      /* blocks of 16 to 256 bytes */
#define TABLE_SIZE (1u << 16) /* chunks: 4 GiB */

struct block {
	struct block *next;
};

struct chunk_head {
	unsigned cls;
};

/* Chunk bases, open addressing; 0 is empty.  Written under table_lock,
 * read without it: a chunk is entered before any of its blocks exists. */
static _Atomic uintptr_t table[TABLE_SIZE];
static size_t table_used;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

/* Lists given up by ended threads, per class; read without the lock as
 * a hint. */
static _Atomic(struct block *) depot[NCLASSES];
static struct block *depot_last[NCLASSES];
static pthread_mutex_t depot_lock = PTHREAD_MUTEX_INITIALIZER;

struct cache {
	struct block *free[NCLASSES];
	struct block *last[NCLASSES]; /* of each non-empty free list */
	char *bump[NCLASSES], *end[NCLASSES];
	int registered;
};

static _Thread_local struct cache cache;
static pthread_key_t cache_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static size_t slot_of(uintptr_t base)
{
	return (size_t)((base / CHUNK_SIZE) * 2654435761u) & (TABLE_SIZE - 1);
}

static int chunk_known(uintptr_t base)
{
	size_t i = slot_of(base), n;
	uintptr_t v;

	for (n = 0; n < TABLE_SIZE; n++, i = (i + 1) & (TABLE_SIZE - 1)) {
		v = atomic_load_explicit(&table[i], memory_order_acquire);
		if (v == base)
			return 1;
		if (!v)
			return 0;
	}
	return 0;
}

/* A new chunk of class cls, entered in the table; NULL when the table is
 * (nearly) full or memory is out. */
static char *chunk_new(unsigned cls)
{
	char *c;
	size_t i;

	pthread_mutex_lock(&table_lock);
	if (table_used >= TABLE_SIZE / 2) {
		pthread_mutex_unlock(&table_lock);
		return NULL;
	}
	c = aligned_alloc(CHUNK_SIZE, CHUNK_SIZE);
	if (!c) {
		pthread_mutex_unlock(&table_lock);
		return NULL;
	}
	((struct chunk_head *)c)->cls = cls;
	i = slot_of((uintptr_t)c);
	while (atomic_load_explicit(&table[i], memory_order_relaxed))
		i = (i + 1) & (TABLE_SIZE - 1);
	atomic_store_explicit(&table[i], (uintptr_t)c, memory_order_release);
	table_used++;
	pthread_mutex_unlock(&table_lock);
	return c;
}

static void cache_give_up(void *arg)
{
	struct cache *c = arg;
	unsigned k;

	pthread_mutex_lock(&depot_lock);
	for (k = 0; k < NCLASSES; k++) {
		struct block *b = c->free[k];

		if (!b)
			continue;
		c->last[k]->next =
		    atomic_load_explicit(&depot[k], memory_order_relaxed);
		if (!c->last[k]->next)
			depot_last[k] = c->last[k];
		atomic_store_explicit(&depot[k], b, memory_order_relaxed);
		c->free[k] = NULL;
	}
	pthread_mutex_unlock(&depot_lock);
}

static void key_make(void)
{
	pthread_key_create(&cache_key, cache_give_up);
}

/* A thread's lists go to the depot when it ends. */
static void cache_register(struct cache *c)
{
	if (c->registered)
		return;
	pthread_once(&key_once, key_make);
	pthread_setspecific(cache_key, c);
	c->registered = 1;
}

static void *pool_malloc(size_t n)
{
	unsigned k;
	struct cache *c = &cache;
	struct block *b;
	size_t size;

	if (!n || n > NCLASSES * CLASS_STEP)
		return malloc(n ? n : 1);
	k = (unsigned)((n - 1) / CLASS_STEP);
	b = c->free[k];
	if (b) {
		c->free[k] = b->next;
		return b;
	}
	cache_register(c);
	if (atomic_load_explicit(&depot[k], memory_order_relaxed)) {
		pthread_mutex_lock(&depot_lock);
		b = atomic_load_explicit(&depot[k], memory_order_relaxed);
		atomic_store_explicit(&depot[k], NULL, memory_order_relaxed);
		c->last[k] = depot_last[k];
		pthread_mutex_unlock(&depot_lock);
		if (b) {
			c->free[k] = b->next;
			return b;
		}
	}
	size = (size_t)(k + 1) * CLASS_STEP;
	if (!c->bump[k] || (size_t)(c->end[k] - c->bump[k]) < size) {
		char *ch = chunk_new(k);

		if (!ch)
			return malloc(n);
		c->bump[k] = ch + CLASS_STEP;
		c->end[k] = ch + CHUNK_SIZE;
	}
	b = (struct block *)c->bump[k];
	c->bump[k] += size;
	return b;
}

static void pool_free(void *p)
{
	uintptr_t base = (uintptr_t)p & ~(CHUNK_SIZE - 1);
	struct block *b = p;
	unsigned k;

	if (!p)
		return;
	if ((uintptr_t)p == base || !chunk_known(base)) {
		free(p);
		return;
	}
	k = ((struct chunk_head *)base)->cls;
	if (!cache.free[k]) {
		cache_register(&cache);
		cache.last[k] = b;
	}
	b->next = cache.free[k];
	cache.free[k] = b;
}

void *jpool_alloc(size_t n)
{
	return pool_malloc(n);
}

int jpool_owns(const void *p)
{
	uintptr_t base = (uintptr_t)p & ~(CHUNK_SIZE - 1);

	return p && (uintptr_t)p != base && chunk_known(base);
}

void jpool_install(void)
{
	json_set_alloc_funcs(pool_malloc, pool_free);
}

void jpool_free(void *p)
{
	pool_free(p);
}
