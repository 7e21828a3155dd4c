/*
 * idset.c - chunk id -> tag hash map (see idset.h).
 */
#include "strata/idset.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const struct chunk_id *id, size_t cap)
{
	return (size_t)get_u64le(id->b) & (cap - 1);
}

/* The slot holding id, or the empty slot where it would go. */
static size_t find(const struct idset *s, const struct chunk_id *id)
{
	size_t i = slot_of(id, s->cap);
	while (s->tag[i] && memcmp(s->v[i].b, id->b, 16))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static void grow(struct idset *s)
{
	struct idset o = *s;
	s->cap = o.cap ? o.cap * 2 : 4096;
	s->v = xcalloc(s->cap, sizeof(*s->v));
	s->tag = xcalloc(s->cap, 1);
	for (size_t i = 0; i < o.cap; i++) {
		if (o.tag[i]) {
			size_t j = find(s, &o.v[i]);
			s->v[j] = o.v[i];
			s->tag[j] = o.tag[i];
		}
	}
	free(o.v);
	free(o.tag);
}

static bool put(struct idset *s, const struct chunk_id *id, uint8_t tag, bool overwrite)
{
	if ((s->n + 1) * 2 > s->cap)
		grow(s);
	size_t i = find(s, id);
	if (s->tag[i]) {
		if (overwrite)
			s->tag[i] = tag;
		return false;
	}
	s->v[i] = *id;
	s->tag[i] = tag;
	s->n++;
	return true;
}

bool idset_add(struct idset *s, const struct chunk_id *id)
{
	return put(s, id, 1, false);
}

void idset_put(struct idset *s, const struct chunk_id *id, uint8_t tag)
{
	put(s, id, tag, true);
}

uint8_t idset_get(const struct idset *s, const struct chunk_id *id)
{
	return s->cap ? s->tag[find(s, id)] : 0;
}

void idset_release(struct idset *s)
{
	free(s->v);
	free(s->tag);
	memset(s, 0, sizeof(*s));
}
