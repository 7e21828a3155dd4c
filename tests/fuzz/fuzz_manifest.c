/*
 * Fuzz manifest_decode: never crash; what decodes re-encodes and decodes
 * again.  A version 5 manifest's node list must add up; an older one's
 * chunks, cut into index nodes, read back the same through them.  The input
 * is also read as an index node (manifest_node_decode).
 */
#include "fuzz.h"
#include "strata/manifest.h"
#include "strata/rowcodec.h"

#include <string.h>
#include <xxhash.h>

static void one(const uint8_t *data, size_t size);

/* A path component: 1..max bytes, not . or .., no '/' and no control byte. */
static int safe(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* A key as writers encode it: 1..2048 values and nothing after them. */
static int key_ok(const uint8_t *k, size_t n)
{
	struct rd r;
	uint64_t nk;
	struct value v;
	rd_init(&r, k, n);
	if (rd_count(&r, KEY_MAX_COLUMNS, &nk) || nk == 0)
		return 0;
	for (uint64_t i = 0; i < nk; i++)
		if (value_decode(&r, &v))
			return 0;
	return rd_left(&r) == 0;
}

/*
 * Each input is decoded as is, and again with its checksum fixed up, so
 * that mutations reach the structural checks behind the xxh3.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_with_checksum_fixed(data, size, 20, one);
	/* as an index node of 1 .. 3 entries */
	for (size_t n = 1; n <= 3; n++) {
		struct manifest_chunk ch[3];
		memset(ch, 0, sizeof(ch));
		if (manifest_node_decode(data, size, n, ch) == 0) {
			/* what decodes re-encodes to bytes that decode and re-encode the same */
			struct manifest_chunk ch2[3];
			struct buf b = BUF_INIT, b2 = BUF_INIT;
			memset(ch2, 0, sizeof(ch2));
			manifest_node_encode(ch, n, &b);
			FUZZ_ASSERT(manifest_node_decode(b.data, b.len, n, ch2) == 0);
			manifest_node_encode(ch2, n, &b2);
			FUZZ_ASSERT(b.len == b2.len && !memcmp(b.data, b2.data, b.len));
			for (size_t k = 0; k < n; k++) {
				free(ch2[k].first_key);
				free(ch2[k].last_key);
			}
			buf_release(&b);
			buf_release(&b2);
			for (size_t k = 0; k < n; k++) {
				FUZZ_ASSERT(ch[k].nrows >= 1 && key_ok(ch[k].first_key, ch[k].first_len));
				free(ch[k].first_key);
				free(ch[k].last_key);
			}
		} else {
			for (size_t k = 0; k < n; k++)
				FUZZ_ASSERT(!ch[k].first_key && !ch[k].last_key);
		}
	}
	return 0;
}

/* The nodes an older manifest's chunks make, kept in memory by id. */
struct memstore {
	struct chunk_id *ids;
	struct buf *data;
	size_t n;
};

static int memstore_put(void *arg, const struct chunk_id *id, const uint8_t *data, size_t len)
{
	struct memstore *s = arg;
	for (size_t i = 0; i < s->n; i++)
		if (!memcmp(&s->ids[i], id, 16))
			return 0;
	s->ids = realloc(s->ids, (s->n + 1) * sizeof(*s->ids));
	s->data = realloc(s->data, (s->n + 1) * sizeof(*s->data));
	FUZZ_ASSERT(s->ids && s->data);
	s->ids[s->n] = *id;
	s->data[s->n] = (struct buf)BUF_INIT;
	buf_add(&s->data[s->n], data, len);
	s->n++;
	return 0;
}

static int memstore_get(void *arg, const struct chunk_id *id, uint8_t **data, size_t *len)
{
	struct memstore *s = arg;
	for (size_t i = 0; i < s->n; i++)
		if (!memcmp(&s->ids[i], id, 16)) {
			struct chunk_id check;
			chunk_id_of(&check, s->data[i].data, s->data[i].len);
			FUZZ_ASSERT(!memcmp(&check, id, 16)); /* a node's id is the hash of its bytes */
			*data = xmalloc(s->data[i].len);
			memcpy(*data, s->data[i].data, s->data[i].len);
			*len = s->data[i].len;
			return 0;
		}
	return -ENOENT;
}

/* m's chunks (resolved) as nodes: a version 5 manifest that reads back the same chunks. */
static void through_nodes(struct manifest *m)
{
	struct memstore s = { 0 };
	struct manifest d;
	struct buf b = BUF_INIT;
	FUZZ_ASSERT(manifest_make_nodes(m, memstore_put, &s) == 0);
	manifest_encode(m, &b);
	FUZZ_ASSERT(manifest_decode(b.data, b.len, &d) == 0 && d.version == MANIFEST_VERSION);
	FUZZ_ASSERT(manifest_resolve(&d, memstore_get, &s) == 0 && manifest_resolved(&d));
	FUZZ_ASSERT(d.ntables == m->ntables);
	for (size_t i = 0; i < d.ntables; i++) {
		const struct manifest_table *x = &m->tables[i], *y = &d.tables[i];
		FUZZ_ASSERT(x->nchunks == y->nchunks && x->nnodes == y->nnodes);
		for (size_t k = 0; k < x->nchunks; k++) {
			const struct manifest_chunk *p = &x->chunks[k], *q = &y->chunks[k];
			FUZZ_ASSERT(!memcmp(&p->id, &q->id, 16) && p->nrows == q->nrows &&
				    p->ulen == q->ulen && p->csv_len == q->csv_len &&
				    p->jsonl_len == q->jsonl_len && p->sql_len == q->sql_len &&
				    p->first_len == q->first_len && p->last_len == q->last_len &&
				    !memcmp(p->first_key, q->first_key, p->first_len) &&
				    !memcmp(p->last_key, q->last_key, p->last_len));
		}
	}
	manifest_release(&d);
	buf_release(&b);
	for (size_t i = 0; i < s.n; i++)
		buf_release(&s.data[i]);
	free(s.ids);
	free(s.data);
}

static void one(const uint8_t *data, size_t size)
{
	struct manifest m, m2;
	struct buf b = BUF_INIT, b2 = BUF_INIT;
	int rc = manifest_decode(data, size, &m);

	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
	if (rc) {
		FUZZ_ASSERT(m.name == NULL && m.tables == NULL);
		return;
	}
	FUZZ_ASSERT(m.seq > 0 && m.seq < (1u << 24));
	FUZZ_ASSERT(m.name && safe(m.name, 255) && strcmp(m.name, "latest"));
	/* years 0000 .. 9999 */
	FUZZ_ASSERT(m.time >= INT64_C(-62167219200) && m.time <= INT64_C(253402300799));
	FUZZ_ASSERT(m.ntables <= MANIFEST_MAX_TABLES);
	for (size_t i = 0; i < m.ntables; i++) {
		const struct manifest_table *t = &m.tables[i];
		uint64_t rows = 0, csv = 0;
		/* a directory holding "<dirname>.csv", beside the generation's files */
		FUZZ_ASSERT(t->dirname && safe(t->dirname, 251));
		FUZZ_ASSERT(strcmp(t->dirname, "schema.sql") && strcmp(t->dirname, "generation.json"));
		for (size_t j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(t->dirname, m.tables[j].dirname));
		FUZZ_ASSERT(t->nchunks <= MANIFEST_MAX_CHUNKS);
		if (!t->chunks && t->nchunks) {
			/* version 5, not loaded: a node list that adds up */
			uint64_t sum = 0;
			for (size_t k = 0; k < t->nnodes; k++) {
				FUZZ_ASSERT(t->nodes[k].nchunks >= 1);
				sum += t->nodes[k].nchunks;
			}
			FUZZ_ASSERT(sum == t->nchunks);
			continue;
		}
		for (size_t k = 0; k < t->nchunks; k++) {
			const struct manifest_chunk *c = &t->chunks[k];
			FUZZ_ASSERT(c->nrows >= 1 && c->nrows <= c->ulen && c->ulen <= CHUNK_MAX_ULEN);
			FUZZ_ASSERT(c->csv_len <= c->ulen * 8 + c->nrows * 4096);
			FUZZ_ASSERT(key_ok(c->first_key, c->first_len) && key_ok(c->last_key, c->last_len));
			FUZZ_ASSERT(key_compare(c->first_key, c->first_len, c->last_key, c->last_len) <= 0);
			if (k)
				FUZZ_ASSERT(key_compare(t->chunks[k - 1].last_key, t->chunks[k - 1].last_len,
							c->first_key, c->first_len) < 0);
			FUZZ_ASSERT(!__builtin_add_overflow(rows, c->nrows, &rows));
			FUZZ_ASSERT(!__builtin_add_overflow(csv, c->csv_len, &csv));
		}
		FUZZ_ASSERT(rows == t->nrows && csv == t->csv_size && csv <= INT64_MAX);
	}
	if (manifest_resolved(&m))
		through_nodes(&m);
	manifest_encode(&m, &b);
	FUZZ_ASSERT(manifest_decode(b.data, b.len, &m2) == 0);
	manifest_encode(&m2, &b2);
	FUZZ_ASSERT(b.len == b2.len && !memcmp(b.data, b2.data, b.len));
	manifest_release(&m2);
	manifest_release(&m);
	buf_release(&b);
	buf_release(&b2);
}
