/*
 * idxnode.c - index nodes in the repository; see strata/idxnode.h.
 */
#include "strata/idxnode.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

struct node_writer {
	const struct repo *r;
	bool (*have)(void *arg, const struct chunk_id *id);
	void *have_arg;
	struct pack_writer *w;
	ZSTD_CCtx *cctx;
	struct chunk_id *done; /* written by this call (two tables may share a node) */
	size_t ndone;
};

static int store_one(void *arg, const struct chunk_id *id, const uint8_t *data, size_t len)
{
	struct node_writer *s = arg;
	int rc;
	for (size_t i = 0; i < s->ndone; i++)
		if (!memcmp(&s->done[i], id, 16))
			return 0;
	if (s->have && s->have(s->have_arg, id))
		return 0;
	if (len > NODE_MAX_SIZE)
		return -EFBIG;
	if (!s->w) {
		rc = pack_writer_open(&s->w, s->r->store);
		if (rc)
			return rc;
		s->cctx = ZSTD_createCCtx();
		if (!s->cctx)
			return -ENOMEM;
		ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, s->r->zstd_level);
	}
	size_t cap = ZSTD_compressBound(len);
	uint8_t *c = xmalloc(cap);
	size_t clen = ZSTD_compress2(s->cctx, c, cap, data, len);
	if (ZSTD_isError(clen)) {
		free(c);
		return -EIO;
	}
	struct pack_entry e = { .id = *id, .clen = (uint32_t)clen, .ulen = (uint32_t)len };
	rc = pack_writer_add(s->w, &e, c);
	free(c);
	if (rc)
		return rc;
	s->done = xrealloc(s->done, (s->ndone + 1) * sizeof(*s->done));
	s->done[s->ndone++] = *id;
	return 0;
}

int idxnode_store(const struct repo *r, struct manifest *m,
		  bool (*have)(void *arg, const struct chunk_id *id), void *have_arg,
		  uint64_t *bytes)
{
	struct node_writer s = { .r = r, .have = have, .have_arg = have_arg };
	char name[33];
	int rc = manifest_make_nodes(m, store_one, &s);
	*bytes = 0;
	if (!rc && s.w) {
		uint64_t size = pack_writer_size(s.w);
		rc = pack_writer_finish(s.w, name); /* frees the writer, also on failure */
		s.w = NULL;
		if (!rc)
			*bytes = size;
	}
	pack_writer_abort(s.w);
	ZSTD_freeCCtx(s.cctx);
	free(s.done);
	return rc;
}

static int where_catalog(void *arg, const struct chunk_id *id, unsigned nth, struct pack_entry *e,
			 char pack[33])
{
	return nth ? catalog_chunk_copy(arg, id, nth - 1, e, pack) : catalog_chunk_where(arg, id, e, pack);
}

/* One copy: -EUCLEAN not a node, -EBADMSG damaged. */
static int read_copy(struct idxnode_reader *rd, const struct pack_entry *e, const char *pack,
		     uint8_t **data)
{
	struct store_file *f;
	int rc;
	if (!pack_entry_is_node(e) || e->ulen > NODE_MAX_SIZE)
		return -EUCLEAN;
	if (!rd->dctx && !(rd->dctx = ZSTD_createDCtx()))
		return -ENOMEM;
	rc = repo_open_pack(rd->r, pack, &f);
	if (rc)
		return rc;
	rc = chunk_read(f, e, rd->dctx, data);
	store_file_close(f);
	return rc;
}

int idxnode_get(void *reader, const struct chunk_id *id, uint8_t **data, size_t *len)
{
	struct idxnode_reader *rd = reader;
	struct pack_entry e;
	char pack[33];
	int rc = -ENOENT;

	*data = NULL;
	*len = 0;
	/* copies in turn: one damaged (verify may not have run yet) must not hide an intact one */
	for (unsigned nth = 0;; nth++) {
		int w = rd->where ? rd->where(rd->where_arg, id, nth, &e, pack)
				  : where_catalog(rd->cat, id, nth, &e, pack);
		if (w == -ENOENT)
			return rc;
		if (w)
			return w;
		int r = read_copy(rd, &e, pack, data);
		if (!r) {
			*len = e.ulen;
			return 0;
		}
		if (r == -ENOMEM || r == -EIO)
			return r;
		rc = r;
	}
}

void idxnode_reader_done(struct idxnode_reader *rd)
{
	ZSTD_freeDCtx(rd->dctx);
	rd->dctx = NULL;
}

int manifest_load(const struct repo *r, const char *name, struct idxnode_reader *rd,
		  struct manifest *m, size_t *bytes)
{
	char *key = repo_gen_key(name);
	uint8_t *data = NULL;
	size_t n = 0;
	int rc = store_get(r->store, key, MANIFEST_MAX_SIZE, &data, &n);
	free(key);
	memset(m, 0, sizeof(*m));
	if (!rc)
		rc = manifest_decode(data, n, m);
	free(data);
	if (!rc && rd) {
		rc = manifest_resolve(m, idxnode_get, rd);
		if (rc)
			manifest_release(m);
	}
	if (!rc && bytes)
		*bytes = n;
	return rc;
}
