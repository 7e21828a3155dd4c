/*
 * cache.c - see cache.h.  16 shards, each a chained hash map plus an LRU
 * list bounded by max_bytes / 16.
 */
#include "strata/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NSHARDS 16
#define NBUCKETS 1024

struct shard {
	pthread_mutex_t mu;
	struct cache_entry *buckets[NBUCKETS];
	struct cache_entry lru; /* sentinel: lru.next is the most recent */
	size_t bytes, max;
	size_t orphan_bytes; /* evicted entries still held by readers: memory all the same */
};

struct chunk_cache {
	struct shard s[NSHARDS];
};

static struct shard *shard_of(struct chunk_cache *c, const struct chunk_id *id, uint32_t piece)
{
	return &c->s[(id->b[0] + piece) % NSHARDS];
}

static size_t bucket_of(const struct chunk_id *id, uint32_t piece)
{
	return (size_t)(get_u32le(id->b + 4) + piece * UINT32_C(2654435761)) % NBUCKETS;
}

struct chunk_cache *chunk_cache_new(size_t max_bytes)
{
	struct chunk_cache *c = xcalloc(1, sizeof(*c));
	for (int i = 0; i < NSHARDS; i++) {
		pthread_mutex_init(&c->s[i].mu, NULL);
		c->s[i].lru.next = c->s[i].lru.prev = &c->s[i].lru;
		c->s[i].max = max_bytes / NSHARDS;
	}
	return c;
}

static void entry_free(struct cache_entry *e)
{
	free(e->data);
	free(e);
}

void chunk_cache_free(struct chunk_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < NSHARDS; i++) {
		struct shard *s = &c->s[i];
		for (struct cache_entry *e = s->lru.next, *n; e != &s->lru; e = n) {
			n = e->next;
			entry_free(e);
		}
		pthread_mutex_destroy(&s->mu);
	}
	free(c);
}

static void lru_unlink(struct cache_entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void lru_push(struct shard *s, struct cache_entry *e)
{
	e->next = s->lru.next;
	e->prev = &s->lru;
	s->lru.next->prev = e;
	s->lru.next = e;
}

static struct cache_entry *find(struct shard *s, const struct chunk_id *id, uint32_t piece)
{
	for (struct cache_entry *e = s->buckets[bucket_of(id, piece)]; e; e = e->hnext)
		if (e->piece == piece && !memcmp(e->id.b, id->b, 16))
			return e;
	return NULL;
}

static void unhash(struct shard *s, struct cache_entry *e)
{
	struct cache_entry **p = &s->buckets[bucket_of(&e->id, e->piece)];
	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
}

struct cache_entry *chunk_cache_get(struct chunk_cache *c, const struct chunk_id *id,
				    uint32_t piece)
{
	struct shard *s = shard_of(c, id, piece);
	pthread_mutex_lock(&s->mu);
	struct cache_entry *e = find(s, id, piece);
	if (e) {
		e->refs++;
		lru_unlink(e);
		lru_push(s, e);
	}
	pthread_mutex_unlock(&s->mu);
	return e;
}

struct cache_entry *chunk_cache_put_new(struct chunk_cache *c, const struct chunk_id *id,
					uint32_t piece,
					uint8_t *data, size_t len)
{
	struct shard *s = shard_of(c, id, piece);
	struct cache_entry *e, *victims = NULL;

	pthread_mutex_lock(&s->mu);
	e = find(s, id, piece);
	if (e) { /* another thread was first: use its copy */
		e->refs++;
		pthread_mutex_unlock(&s->mu);
		free(data);
		return e;
	}
	e = xcalloc(1, sizeof(*e));
	e->id = *id;
	e->piece = piece;
	e->data = data;
	e->len = len;
	e->refs = 2; /* the cache's and the caller's */
	e->hnext = s->buckets[bucket_of(id, piece)];
	s->buckets[bucket_of(id, piece)] = e;
	lru_push(s, e);
	s->bytes += len;
	/* evict from the cold end; never the entry just added */
	while (s->bytes + s->orphan_bytes > s->max && s->lru.prev != e) {
		struct cache_entry *v = s->lru.prev;
		lru_unlink(v);
		unhash(s, v);
		s->bytes -= v->len;
		if (--v->refs == 0) {
			v->hnext = victims;
			victims = v;
		} else {
			v->next = v->prev = NULL; /* freed by its last reader */
			v->orphan = true;
			s->orphan_bytes += v->len;
		}
	}
	pthread_mutex_unlock(&s->mu);
	while (victims) {
		struct cache_entry *n = victims->hnext;
		entry_free(victims);
		victims = n;
	}
	return e;
}

void chunk_cache_unref(struct chunk_cache *c, struct cache_entry *e)
{
	struct shard *s = shard_of(c, &e->id, e->piece);
	unsigned left;
	pthread_mutex_lock(&s->mu);
	left = --e->refs;
	if (!left && e->orphan)
		s->orphan_bytes -= e->len;
	pthread_mutex_unlock(&s->mu);
	if (left == 0)
		entry_free(e);
}

size_t chunk_cache_bytes(struct chunk_cache *c)
{
	size_t n = 0;
	for (int i = 0; i < NSHARDS; i++) {
		pthread_mutex_lock(&c->s[i].mu);
		n += c->s[i].bytes + c->s[i].orphan_bytes;
		pthread_mutex_unlock(&c->s[i].mu);
	}
	return n;
}
