/*
 * jansson's pool (core/util/jpool.c): blocks of every class are distinct
 * and reused, large ones come from malloc, a thread's freed blocks outlive
 * it, values made in one thread are freed in another, and what
 * json_dumps_malloc returns is free()'s.  Runs under ASan (the pool's
 * chunks are malloc's; a free() of a pool block would be reported) and
 * under TSan (`make tsan`).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "core/util/jpool.h"
#include "core/util/json.h"

static void test_jpool__classes_distinct_reused(void **state)
{
	enum { N = 5000 };
	unsigned char **p = calloc(N, sizeof(*p));
	size_t i, j, n;
	void *q, *big;

	(void)state;
	for (i = 0; i < N; i++) {
		n = 1 + (i * 7919) % 256;
		p[i] = jpool_alloc(n);
		assert_non_null(p[i]);
		assert_true(jpool_owns(p[i]));
		assert_int_equal((uintptr_t)p[i] % 8, 0);
		memset(p[i], (int)(i & 0xff), n);
	}
	/* Nothing overlaps: every block still holds its own byte. */
	for (i = 0; i < N; i++) {
		n = 1 + (i * 7919) % 256;
		for (j = 0; j < n; j++)
			assert_int_equal(p[i][j], i & 0xff);
	}
	/* A freed block is the next of its class. */
	q = p[17];
	jpool_free(q);
	assert_ptr_equal(jpool_alloc(1 + (17 * 7919) % 256), q);
	for (i = 0; i < N; i++)
		jpool_free(p[i]);
	/* Over the largest class: malloc's, which free() takes. */
	big = jpool_alloc(257);
	assert_non_null(big);
	assert_false(jpool_owns(big));
	jpool_free(big);
	big = malloc(16);
	assert_false(jpool_owns(big));
	assert_false(jpool_owns(NULL));
	free(big);
	free(p);
}

static void test_jpool__dumps_malloc(void **state)
{
	json_t *small = json_pack("{s:i}", "a", 1), *large = json_array();
	char *s;
	int i;

	(void)state;
	for (i = 0; i < 200; i++)
		json_array_append_new(large,
				      json_string("a value of some length"));
	s = json_dumps_malloc(small, JSON_COMPACT);
	assert_string_equal(s, "{\"a\":1}");
	assert_false(jpool_owns(s));
	free(s); /* ASan reports a free() of a pool block */
	s = json_dumps_malloc(large, JSON_COMPACT);
	assert_non_null(s);
	assert_true(strlen(s) > 256);
	free(s);
	json_decref(small);
	json_decref(large);
}

struct handoff {
	void *blocks[64];
	json_t *doc;
};

static void *make_and_free(void *arg)
{
	struct handoff *h = arg;
	int i;

	for (i = 0; i < 64; i++)
		h->blocks[i] = jpool_alloc(40);
	for (i = 0; i < 64; i++)
		jpool_free(h->blocks[i]);
	h->doc = json_pack("{s:s,s:[i,i,i],s:{s:b}}", "name", "made here",
			   "list", 1, 2, 3, "nested", "ok", 1);
	return NULL;
}

struct probe {
	size_t size;
	void *got;
};

/* A new thread's first block of a size (given back at once). */
static void *first_block(void *arg)
{
	struct probe *p = arg;

	p->got = jpool_alloc(p->size);
	jpool_free(p->got);
	return NULL;
}

/* The next thread's first block of size is one of blocks[64]: a thread
 * that ended left its free list to the others. */
static void assert_next_thread_reuses(void *const *blocks, size_t size)
{
	struct probe p = {size, NULL};
	pthread_t t;
	int i, found = 0;

	assert_int_equal(pthread_create(&t, NULL, first_block, &p), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	for (i = 0; i < 64; i++)
		found |= p.got == blocks[i];
	assert_true(found);
}

static void test_jpool__threads(void **state)
{
	struct handoff h;
	pthread_t t;

	(void)state;
	/* A thread frees its blocks and ends: the next thread gets them. */
	assert_int_equal(pthread_create(&t, NULL, make_and_free, &h), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_next_thread_reuses(h.blocks, 40);
	/* A value made in one thread is read and freed in another. */
	assert_string_equal(json_string_value(json_object_get(h.doc, "name")),
			    "made here");
	assert_int_equal(json_array_size(json_object_get(h.doc, "list")), 3);
	json_decref(h.doc);
}

static void *free_only(void *arg)
{
	void **blocks = arg;
	int i;

	for (i = 0; i < 64; i++)
		jpool_free(blocks[i]);
	return NULL;
}

/* A thread that only frees (blocks made by another) gives them up too. */
static void test_jpool__free_only_thread(void **state)
{
	void *blocks[64];
	pthread_t t;
	int i;

	(void)state;
	for (i = 0; i < 64; i++)
		blocks[i] = jpool_alloc(232);
	assert_int_equal(pthread_create(&t, NULL, free_only, blocks), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_next_thread_reuses(blocks, 232);
}

struct churn {
	int seed;
	int ok;
};

static void *churn(void *arg)
{
	struct churn *c = arg;
	int i, j;

	c->ok = 1;
	for (i = 0; i < 200; i++) {
		json_t *o = json_object();
		char key[32], *text;
		json_t *back;

		for (j = 0; j < 50; j++) {
			snprintf(key, sizeof(key), "k%d_%d", c->seed, j);
			json_object_set_new(o, key, json_integer(i * j));
		}
		text = json_dumps_malloc(o, JSON_SORT_KEYS);
		back = json_loads(text, 0, NULL);
		if (!back || !json_equal(o, back))
			c->ok = 0;
		json_decref(back);
		free(text);
		json_decref(o);
	}
	return NULL;
}

static void test_jpool__churn(void **state)
{
	pthread_t t[4];
	struct churn c[4];
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		c[i].seed = i;
		assert_int_equal(pthread_create(&t[i], NULL, churn, &c[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_true(c[i].ok);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jpool__classes_distinct_reused),
	    cmocka_unit_test(test_jpool__dumps_malloc),
	    cmocka_unit_test(test_jpool__threads),
	    cmocka_unit_test(test_jpool__free_only_thread),
	    cmocka_unit_test(test_jpool__churn),
	};

	jpool_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
