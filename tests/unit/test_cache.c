/*
 * Unit tests for fs/cache.c: get/put/unref protocol, byte budget, entries
 * in use survive eviction, concurrent hammering with content checks.
 * Run under an ASan build (meson -Db_sanitize=address) to catch
 * use-after-free; without it the content checks still catch most.
 */
#include "check.h"
#include "strata/cache.h"

#include <pthread.h>
#include <stdint.h>

#define NSHARDS 16 /* as in fs/cache.c */

static struct chunk_id idn(uint32_t n, uint8_t shard)
{
	struct chunk_id id;
	memset(&id, 0, sizeof(id));
	put_u32le(id.b + 4, n * 2654435761u);
	put_u32le(id.b + 8, n);
	id.b[0] = shard;
	return id;
}

static uint8_t *fill(const struct chunk_id *id, size_t len)
{
	uint8_t *d = xmalloc(len ? len : 1);
	uint32_t seed = get_u32le(id->b + 8) ^ id->b[0];
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
	return d;
}

static int valid(const struct cache_entry *e, const struct chunk_id *id, size_t len)
{
	if (memcmp(&e->id, id, 16) || e->len != len)
		return 0;
	uint8_t *want = fill(id, len);
	int ok = !memcmp(e->data, want, len);
	free(want);
	return ok;
}

static void protocol(void)
{
	struct chunk_cache *c = chunk_cache_new(1 << 20);
	struct chunk_id a = idn(1, 3), b = idn(2, 3);

	CHECK(chunk_cache_get(c, &a, 0) == NULL);
	struct cache_entry *e = chunk_cache_put_new(c, &a, 0, fill(&a, 1000), 1000);
	CHECK(e && valid(e, &a, 1000));
	CHECK(chunk_cache_bytes(c) == 1000);
	struct cache_entry *g = chunk_cache_get(c, &a, 0);
	CHECK(g == e);
	chunk_cache_unref(c, g);
	chunk_cache_unref(c, e);
	/* still resident after the readers left */
	g = chunk_cache_get(c, &a, 0);
	CHECK(g == e && valid(g, &a, 1000));
	chunk_cache_unref(c, g);
	/* a racing second put returns the first entry and frees its own copy */
	struct cache_entry *e2 = chunk_cache_put_new(c, &a, 0, fill(&a, 1000), 1000);
	CHECK(e2 == e && chunk_cache_bytes(c) == 1000);
	chunk_cache_unref(c, e2);
	CHECK(chunk_cache_get(c, &b, 0) == NULL);
	/* pieces of one chunk are separate entries */
	struct cache_entry *p1 = chunk_cache_put_new(c, &a, 1, fill(&a, 500), 500);
	CHECK(p1 && p1 != e && p1->piece == 1 && p1->len == 500);
	struct cache_entry *p0 = chunk_cache_get(c, &a, 0);
	CHECK(p0 == e && p0->len == 1000);
	CHECK(chunk_cache_get(c, &a, 2) == NULL);
	CHECK(chunk_cache_bytes(c) == 1500);
	chunk_cache_unref(c, p0);
	chunk_cache_unref(c, p1);
	/* an empty entry */
	struct cache_entry *z = chunk_cache_put_new(c, &b, 0, xmalloc(1), 0);
	CHECK(z && z->len == 0);
	chunk_cache_unref(c, z);
	chunk_cache_free(c);
	chunk_cache_free(NULL);
}

/* Entries evicted while readers hold them still count: the budget bounds memory. */
static void orphans(void)
{
	const size_t esz = 1000;
	struct chunk_cache *c = chunk_cache_new(NSHARDS * 3 * esz); /* 3 entries per shard */
	struct cache_entry *held[10];

	for (uint32_t i = 0; i < 10; i++) {
		struct chunk_id id = idn(i, 5); /* one shard */
		held[i] = chunk_cache_put_new(c, &id, 0, fill(&id, esz), esz);
		CHECK(held[i] && valid(held[i], &id, esz));
	}
	/* all ten are in use: memory is all of them, and only the newest is resident */
	CHECKF(chunk_cache_bytes(c) == 10 * esz, "%zu", chunk_cache_bytes(c));
	struct chunk_id first = idn(0, 5), last = idn(9, 5);
	CHECK(chunk_cache_get(c, &first, 0) == NULL);
	struct cache_entry *e = chunk_cache_get(c, &last, 0);
	CHECK(e == held[9]);
	if (e)
		chunk_cache_unref(c, e);
	for (int i = 0; i < 10; i++) {
		CHECK(valid(held[i], &held[i]->id, esz)); /* never freed under a reader */
		chunk_cache_unref(c, held[i]);
	}
	CHECKF(chunk_cache_bytes(c) == esz, "%zu", chunk_cache_bytes(c));
	/* with nothing held, the shard fills up to its budget again */
	for (uint32_t i = 10; i < 20; i++) {
		struct chunk_id id = idn(i, 5);
		e = chunk_cache_put_new(c, &id, 0, fill(&id, esz), esz);
		chunk_cache_unref(c, e);
	}
	CHECKF(chunk_cache_bytes(c) == 3 * esz, "%zu", chunk_cache_bytes(c));
	chunk_cache_free(c);
}

static void budget(void)
{
	const size_t budget = 160 * 1000, esz = 1000;
	struct chunk_cache *c = chunk_cache_new(budget);

	/* all in one shard: that shard holds at most budget/16 + one entry */
	for (uint32_t i = 0; i < 500; i++) {
		struct chunk_id id = idn(i, 5);
		struct cache_entry *e = chunk_cache_put_new(c, &id, 0, fill(&id, esz), esz);
		CHECK(valid(e, &id, esz));
		chunk_cache_unref(c, e);
		CHECKF(chunk_cache_bytes(c) <= budget / NSHARDS + esz, "%zu bytes",
		       chunk_cache_bytes(c));
	}
	/* LRU: the most recent entries are resident, the oldest are not */
	struct chunk_id newest = idn(499, 5), oldest = idn(0, 5);
	struct cache_entry *e = chunk_cache_get(c, &newest, 0);
	CHECK(e && valid(e, &newest, esz));
	if (e)
		chunk_cache_unref(c, e);
	CHECK(chunk_cache_get(c, &oldest, 0) == NULL);
	/* a get refreshes: entry 495 touched survives 5 more inserts ... */
	struct chunk_id keep = idn(495, 5);
	for (uint32_t i = 500; i < 505; i++) {
		e = chunk_cache_get(c, &keep, 0);
		CHECK(e != NULL);
		if (e)
			chunk_cache_unref(c, e);
		struct chunk_id id = idn(i, 5);
		e = chunk_cache_put_new(c, &id, 0, fill(&id, esz), esz);
		chunk_cache_unref(c, e);
	}
	e = chunk_cache_get(c, &keep, 0);
	CHECK(e && valid(e, &keep, esz));
	if (e)
		chunk_cache_unref(c, e);

	/* spread over all shards: total within budget + one entry per shard */
	for (uint32_t i = 0; i < 5000; i++) {
		struct chunk_id id = idn(i, (uint8_t)(i * 7));
		e = chunk_cache_put_new(c, &id, 0, fill(&id, esz), esz);
		chunk_cache_unref(c, e);
		CHECK(chunk_cache_bytes(c) <= budget + NSHARDS * esz);
	}
	/* an entry larger than the whole budget is still served, then dropped */
	struct chunk_id big = idn(99999, 1);
	e = chunk_cache_put_new(c, &big, 0, fill(&big, budget * 2), budget * 2);
	CHECK(valid(e, &big, budget * 2));
	chunk_cache_unref(c, e);
	chunk_cache_free(c);
}

static void in_use(void)
{
	const size_t esz = 4096;
	struct chunk_cache *c = chunk_cache_new(16 * esz * 2); /* 2 entries per shard */
	struct chunk_id held = idn(7, 9);
	struct cache_entry *h = chunk_cache_put_new(c, &held, 0, fill(&held, esz), esz);

	/* evict it while we hold it */
	for (uint32_t i = 100; i < 200; i++) {
		struct chunk_id id = idn(i, 9);
		struct cache_entry *e = chunk_cache_put_new(c, &id, 0, fill(&id, esz), esz);
		chunk_cache_unref(c, e);
	}
	CHECK(chunk_cache_get(c, &held, 0) == NULL); /* evicted ... */
	CHECK(valid(h, &held, esz));              /* ... but still readable */
	/* a new copy can be cached meanwhile */
	struct cache_entry *h2 = chunk_cache_put_new(c, &held, 0, fill(&held, esz), esz);
	CHECK(h2 != h && valid(h2, &held, esz));
	chunk_cache_unref(c, h);                  /* frees the evicted one */
	struct cache_entry *g = chunk_cache_get(c, &held, 0);
	CHECK(g == h2);
	if (g)
		chunk_cache_unref(c, g);
	chunk_cache_unref(c, h2);
	chunk_cache_free(c);
}

struct hammer {
	struct chunk_cache *c;
	unsigned seed;
	unsigned long bad, hits, misses;
};

static size_t len_of(uint32_t n) { return 64 + (n * 37) % 3000; }

static void *hammer_run(void *arg)
{
	struct hammer *h = arg;
	unsigned long long s = h->seed;
	for (int i = 0; i < 100000; i++) {
		uint32_t n = (uint32_t)(test_rand(&s) % 600);
		struct chunk_id id = idn(n, (uint8_t)(n % 23));
		struct cache_entry *e = chunk_cache_get(h->c, &id, 0);
		if (e) {
			h->hits++;
		} else {
			h->misses++;
			e = chunk_cache_put_new(h->c, &id, 0, fill(&id, len_of(n)), len_of(n));
		}
		if (!valid(e, &id, len_of(n)))
			h->bad++;
		/* hold a few entries across other operations */
		if (i % 97 == 0) {
			struct chunk_id id2 = idn(n + 1000, (uint8_t)n);
			struct cache_entry *e2 = chunk_cache_put_new(h->c, &id2, 0, fill(&id2, 5000), 5000);
			if (!valid(e, &id, len_of(n)) || !valid(e2, &id2, 5000))
				h->bad++;
			chunk_cache_unref(h->c, e2);
		}
		chunk_cache_unref(h->c, e);
	}
	return NULL;
}

static void concurrent(void)
{
	enum { T = 8 };
	struct chunk_cache *c = chunk_cache_new(300 * 1000);
	pthread_t th[T];
	struct hammer h[T];
	for (int i = 0; i < T; i++) {
		h[i] = (struct hammer){ .c = c, .seed = 100u + (unsigned)i };
		CHECK(pthread_create(&th[i], NULL, hammer_run, &h[i]) == 0);
	}
	unsigned long hits = 0, misses = 0;
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		CHECKF(h[i].bad == 0, "thread %d saw %lu bad entries", i, h[i].bad);
		hits += h[i].hits;
		misses += h[i].misses;
	}
	fprintf(stderr, "concurrent: %lu hits, %lu misses, %zu bytes resident\n", hits, misses,
		chunk_cache_bytes(c));
	CHECK(hits > 0 && misses > 0);
	CHECK(chunk_cache_bytes(c) <= 300 * 1000 + NSHARDS * 5000);
	chunk_cache_free(c);
}

int main(void)
{
	protocol();
	budget();
	orphans();
	in_use();
	concurrent();
	return check_done("unit-cache");
}
