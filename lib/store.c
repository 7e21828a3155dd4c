/*
 * store.c - see strata/store.h: picking a backend, and what all share.
 */
#include "strata/store.h"
#include "strata/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The backends, most specific first: the local directory claims every
 * location, so it comes last.  A new backend is a new file and a line here.
 */
static const struct store_backend *const backends[] = {
	&store_s3_backend,
	&store_local_backend,
};

int store_open(const char *where, bool create, struct store **s)
{
	*s = NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i]->claims(where))
			return backends[i]->open(where, create, s);
	return -EPROTONOSUPPORT;
}

bool store_is_local(const char *where)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (backends[i]->claims(where))
			return backends[i] == &store_local_backend;
	return false;
}

void store_free(struct store *s)
{
	if (s)
		s->ops->free(s);
}

int store_pread(struct store_file *f, void *buf, size_t n, uint64_t off)
{
	/* every backend answers short reads the same way: the object ends before */
	if (off > f->size || n > f->size - off)
		return -EUCLEAN;
	return n ? f->ops->pread(f, buf, n, off) : 0;
}

void store_file_close(struct store_file *f)
{
	if (f)
		f->ops->close(f);
}

void store_unlock(struct store_lock *l)
{
	if (l)
		l->ops->unlock(l);
}

struct mem_file {
	struct store_file f;
	uint8_t *data;
};

static int mem_pread(struct store_file *f, void *buf, size_t n, uint64_t off)
{
	memcpy(buf, ((struct mem_file *)f)->data + off, n); /* bounds: store_pread */
	return 0;
}

static void mem_close(struct store_file *f)
{
	free(((struct mem_file *)f)->data);
	free(f);
}

static const struct store_ops mem_ops = { .pread = mem_pread, .close = mem_close };

int store_file_load(struct store_file **f, uint64_t max)
{
	uint64_t size = (*f)->size;
	uint8_t *d;
	if (size > max || size >= SIZE_MAX / 2 || !(d = malloc(size ? (size_t)size : 1)))
		return 0; /* too big to hold: read by ranges as before */
	int rc = store_pread(*f, d, (size_t)size, 0);
	if (rc) {
		free(d);
		return rc;
	}
	struct mem_file *m = xcalloc(1, sizeof(*m));
	m->f.ops = &mem_ops;
	m->f.size = size;
	m->data = d;
	store_file_close(*f);
	*f = &m->f;
	return 0;
}

void store_pack_key(char out[64], const char *name)
{
	snprintf(out, 64, "packs/%.2s/%.32s.pack", name, name);
}
