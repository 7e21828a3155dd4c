/*
 * store.c - see strata/store.h: picking a backend, and what all share.
 */
#include "strata/store.h"
#include "strata/util.h"

#include <stdio.h>
#include <stdlib.h>

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

void store_pack_key(char out[64], const char *name)
{
	snprintf(out, 64, "packs/%.2s/%.32s.pack", name, name);
}
