/*
 * manifest.c - see strata/manifest.h.
 *
 * Encoding (varints unless said otherwise; str = varint length + bytes):
 *   "STRGEN\0\0", u32le version
 *   seq, str name, id[16], svarint time, str label, str source, str schema,
 *   source_bytes, new_bytes, ntables
 *   per table: str name, str dirname, str schema, flags, ncols, str*ncols,
 *              [v3: bytes classes (ncols bytes)], nrows, csv_size, nchunks,
 *              up to v4: per chunk: id[16], nrows, ulen, csv_len,
 *                        [v2: jsonl_len, sql_len,] str first, str last
 *              v5: nnodes, per node: id[16], count (its chunks, in order;
 *                  the node's bytes, in a pack: "STIN", u8 1, count, then
 *                  count chunk entries as version 4 wrote them inline)
 *   version 2: npragmas, per pragma: str name, svarint value;
 *              nobjects, per object: str type, str name, str tbl_name, str sql
 *   version 4: nprops, per property: str key, str value ("db": the database's
 *              name; readers skip keys they do not know, unless they start
 *              with '!')
 *   u64le xxh3-64 of everything before
 */
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/rowcodec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const char GEN_MAGIC[8] = "STRGEN\0";

/* time: years 0000 .. 9999, what RFC 3339 (generation.json, strata ls) can show */
#define MANIFEST_MIN_TIME INT64_C(-62167219200) /* 0000-01-01T00:00:00Z */
#define MANIFEST_MAX_TIME INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* One chunk entry as version 2 to 4 wrote it inline (and index nodes hold it). */
static void entry_encode(struct buf *b, const struct manifest_chunk *c)
{
	buf_add(b, c->id.b, 16);
	buf_add_varint(b, c->nrows);
	buf_add_varint(b, c->ulen);
	buf_add_varint(b, c->csv_len);
	buf_add_varint(b, c->jsonl_len);
	buf_add_varint(b, c->sql_len);
	buf_add_bytes(b, c->first_key, c->first_len);
	buf_add_bytes(b, c->last_key, c->last_len);
}

static const char NODE_MAGIC[4] = "STIN";

void manifest_node_encode(const struct manifest_chunk *ch, size_t n, struct buf *b)
{
	buf_add(b, NODE_MAGIC, 4);
	buf_addc(b, 1);
	buf_add_varint(b, n);
	for (size_t k = 0; k < n; k++)
		entry_encode(b, &ch[k]);
}

/*
 * t's chunks cut into nodes (manifest_node_len); each node's bytes go to
 * store when it is set.  *out (caller frees) gets the node list.
 */
static int cut_nodes(const struct manifest_table *t,
		     int (*store)(void *, const struct chunk_id *, const uint8_t *, size_t), void *arg,
		     struct manifest_node **out, size_t *nout)
{
	struct buf nb = BUF_INIT;
	size_t start = 0, n = 0, cap = 0;
	int rc = 0;
	*out = NULL;
	while (start < t->nchunks && !rc) {
		size_t len = manifest_node_len(t->chunks, t->nchunks, start);
		buf_reset(&nb);
		manifest_node_encode(&t->chunks[start], len, &nb);
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		chunk_id_of(&(*out)[n].id, nb.data, nb.len);
		(*out)[n].nchunks = (uint32_t)len;
		if (store)
			rc = store(arg, &(*out)[n].id, nb.data, nb.len);
		n++;
		start += len;
	}
	buf_release(&nb);
	*nout = n;
	return rc;
}

int manifest_make_nodes(struct manifest *m,
			int (*store)(void *arg, const struct chunk_id *id, const uint8_t *data,
				     size_t len),
			void *arg)
{
	int rc = 0;
	for (size_t i = 0; i < m->ntables && !rc; i++) {
		struct manifest_table *t = &m->tables[i];
		if (!t->chunks && t->nchunks)
			continue; /* not resolved: its nodes are the decoded ones */
		free(t->nodes);
		t->nodes = NULL;
		t->nnodes = 0;
		rc = cut_nodes(t, store, arg, &t->nodes, &t->nnodes);
	}
	return rc;
}

void manifest_encode(const struct manifest *m, struct buf *b)
{
	buf_add(b, GEN_MAGIC, 8);
	buf_add_u32le(b, MANIFEST_VERSION);
	buf_add_varint(b, m->seq);
	buf_add_bytes(b, m->name, strlen(m->name));
	buf_add(b, m->id, 16);
	buf_add_svarint(b, m->time);
	buf_add_bytes(b, m->label, strlen(m->label));
	buf_add_bytes(b, m->source, strlen(m->source));
	buf_add_bytes(b, m->schema, strlen(m->schema));
	buf_add_varint(b, m->source_bytes);
	buf_add_varint(b, m->new_bytes);
	buf_add_varint(b, m->ntables);
	for (size_t i = 0; i < m->ntables; i++) {
		const struct manifest_table *t = &m->tables[i];
		buf_add_bytes(b, t->name, strlen(t->name));
		buf_add_bytes(b, t->dirname, strlen(t->dirname));
		buf_add_bytes(b, t->schema, strlen(t->schema));
		buf_add_varint(b, t->flags);
		buf_add_varint(b, t->ncols);
		for (unsigned c = 0; c < t->ncols; c++)
			buf_add_bytes(b, t->cols[c], strlen(t->cols[c]));
		if (t->classes)
			buf_add_bytes(b, t->classes, t->ncols);
		else
			buf_add_varint(b, 0); /* not known (a table copied from an older manifest) */
		buf_add_varint(b, t->nrows);
		buf_add_varint(b, t->csv_size);
		buf_add_varint(b, t->nchunks);
		struct manifest_node *nodes = t->nodes;
		size_t nn = t->nnodes;
		if (!nodes && t->nchunks)
			cut_nodes(t, NULL, NULL, &nodes, &nn);
		buf_add_varint(b, nn);
		for (size_t k = 0; k < nn; k++) {
			buf_add(b, nodes[k].id.b, 16);
			buf_add_varint(b, nodes[k].nchunks);
		}
		if (nodes != t->nodes)
			free(nodes);
	}
	buf_add_varint(b, m->npragmas);
	for (size_t i = 0; i < m->npragmas; i++) {
		buf_add_bytes(b, m->pragmas[i].name, strlen(m->pragmas[i].name));
		buf_add_svarint(b, m->pragmas[i].value);
	}
	buf_add_varint(b, m->nobjects);
	for (size_t i = 0; i < m->nobjects; i++) {
		const struct manifest_object *o = &m->objects[i];
		buf_add_bytes(b, o->type, strlen(o->type));
		buf_add_bytes(b, o->name, strlen(o->name));
		buf_add_bytes(b, o->tbl_name, strlen(o->tbl_name));
		buf_add_bytes(b, o->sql, strlen(o->sql));
	}
	buf_add_varint(b, 1 + (m->kind != NULL) + (m->parent != NULL));
	buf_add_bytes(b, "db", 2);
	char dbname[DB_NAME_MAX + 1];
	manifest_db_name(m, dbname);
	buf_add_bytes(b, dbname, strlen(dbname));
	if (m->kind) {
		buf_add_bytes(b, "kind", 4);
		buf_add_bytes(b, m->kind, strlen(m->kind));
	}
	if (m->parent) {
		buf_add_bytes(b, "parent", 6);
		buf_add_bytes(b, m->parent, strlen(m->parent));
	}
	buf_add_u64le(b, XXH3_64bits(b->data, b->len));
}

/* A str field that must be a safe component; *out is a C string copy. */
static int rd_component(struct rd *r, size_t max, char **out)
{
	const uint8_t *p;
	size_t n;
	*out = NULL;
	if (rd_bytes(r, &p, &n))
		return r->err;
	if (!name_is_safe(p, n, max))
		return -EUCLEAN;
	*out = xstrndup((const char *)p, n);
	return 0;
}

/*
 * A well-formed encoded key: varint nkey (1 .. KEY_MAX_COLUMNS), then nkey
 * values, nothing after them.  Writers only write such keys; a malformed one
 * would get a 'z'+hex file name that may collide with a text key's.
 */
static bool key_valid(const uint8_t *k, size_t n)
{
	struct rd r;
	uint64_t nk;
	struct value v;
	rd_init(&r, k, n);
	if (rd_count(&r, KEY_MAX_COLUMNS, &nk) || nk == 0)
		return false;
	for (uint64_t i = 0; i < nk; i++)
		if (value_decode(&r, &v))
			return false;
	return rd_left(&r) == 0;
}

/* Largest CSV rendering of a chunk; the pack index applies the same bound. */
static bool csv_len_ok(uint64_t csv_len, uint64_t ulen, uint64_t nrows)
{
	return csv_len <= ulen * 8 + nrows * 4096; /* ulen, nrows <= 2^31: no overflow */
}

static int dup_bytes(struct rd *r, uint8_t **p, size_t *n)
{
	const uint8_t *s;
	if (rd_bytes(r, &s, n))
		return r->err;
	*p = xmalloc(*n ? *n : 1);
	memcpy(*p, s, *n);
	return 0;
}

/* One chunk entry, checked on its own. */
static int entry_decode(struct rd *r, unsigned version, struct manifest_chunk *c)
{
	const uint8_t *id;
	if (rd_raw(r, 16, &id))
		return r->err;
	memcpy(c->id.b, id, 16);
	rd_varint(r, &c->nrows);
	rd_varint(r, &c->ulen);
	rd_varint(r, &c->csv_len);
	if (version >= 2) {
		rd_varint(r, &c->jsonl_len);
		rd_varint(r, &c->sql_len);
	}
	dup_bytes(r, &c->first_key, &c->first_len);
	dup_bytes(r, &c->last_key, &c->last_len);
	if (r->err)
		return r->err;
	if (c->ulen > CHUNK_MAX_ULEN || c->nrows == 0 || c->nrows > c->ulen ||
	    !csv_len_ok(c->csv_len, c->ulen, c->nrows))
		return -EUCLEAN;
	if (!key_valid(c->first_key, c->first_len) || !key_valid(c->last_key, c->last_len) ||
	    key_compare(c->first_key, c->first_len, c->last_key, c->last_len) > 0)
		return -EUCLEAN;
	return 0;
}

/* A table's chunks together: ascending disjoint key ranges, sums that match the table's. */
static int chunks_check(const struct manifest_table *t)
{
	uint64_t sum_rows = 0, sum_csv = 0, sum_jsonl = 0, sum_sql = 0;
	for (size_t k = 0; k < t->nchunks; k++) {
		const struct manifest_chunk *c = &t->chunks[k];
		if (k > 0 && key_compare(t->chunks[k - 1].last_key, t->chunks[k - 1].last_len,
					 c->first_key, c->first_len) >= 0)
			return -EUCLEAN; /* ranges must be disjoint and ascending */
		if (__builtin_add_overflow(sum_rows, c->nrows, &sum_rows) ||
		    __builtin_add_overflow(sum_csv, c->csv_len, &sum_csv) ||
		    __builtin_add_overflow(sum_jsonl, c->jsonl_len, &sum_jsonl) ||
		    __builtin_add_overflow(sum_sql, c->sql_len, &sum_sql))
			return -EUCLEAN;
	}
	/* the catalog stores sizes as SQLite integers (signed 64-bit) */
	if (sum_rows != t->nrows || sum_csv != t->csv_size || sum_csv > INT64_MAX ||
	    sum_jsonl > INT64_MAX || sum_sql > INT64_MAX)
		return -EUCLEAN;
	return 0;
}

int manifest_node_decode(const uint8_t *data, size_t len, size_t n, struct manifest_chunk *out)
{
	struct rd r;
	const uint8_t *magic;
	uint64_t v;
	int rc = 0;
	rd_init(&r, data, len);
	if (rd_raw(&r, 4, &magic) || memcmp(magic, NODE_MAGIC, 4) || rd_raw(&r, 1, &magic) ||
	    magic[0] != 1 || rd_varint(&r, &v) || v != n)
		return -EUCLEAN;
	for (size_t k = 0; k < n && !rc; k++)
		rc = entry_decode(&r, MANIFEST_VERSION, &out[k]);
	if (!rc && (r.err || rd_left(&r)))
		rc = -EUCLEAN;
	if (rc)
		for (size_t k = 0; k < n; k++) {
			free(out[k].first_key);
			free(out[k].last_key);
			memset(&out[k], 0, sizeof(out[k]));
		}
	return rc;
}

bool manifest_resolved(const struct manifest *m)
{
	for (size_t i = 0; i < m->ntables; i++)
		if (!m->tables[i].chunks && m->tables[i].nchunks)
			return false;
	return true;
}

int manifest_resolve(struct manifest *m, manifest_node_get get, void *arg)
{
	/* no more than a version 4 manifest could hold inline: a node listed again and again costs each time */
	uint64_t total = 0;
	for (size_t i = 0; i < m->ntables; i++) {
		struct manifest_table *t = &m->tables[i];
		size_t at = 0;
		int rc = 0;
		if (t->chunks || !t->nchunks)
			continue;
		t->chunks = xcalloc(t->nchunks, sizeof(*t->chunks));
		for (size_t k = 0; k < t->nnodes && !rc; k++) {
			uint8_t *data = NULL;
			size_t len = 0;
			rc = get(arg, &t->nodes[k].id, &data, &len);
			if (!rc && (total += len) > MANIFEST_MAX_SIZE)
				rc = -EUCLEAN;
			if (!rc)
				rc = manifest_node_decode(data, len, t->nodes[k].nchunks, &t->chunks[at]);
			free(data);
			at += t->nodes[k].nchunks;
		}
		if (!rc)
			rc = chunks_check(t);
		if (rc) {
			for (size_t k = 0; k < t->nchunks; k++) {
				free(t->chunks[k].first_key);
				free(t->chunks[k].last_key);
			}
			free(t->chunks);
			t->chunks = NULL;
			return rc;
		}
	}
	return 0;
}

static int decode_table(struct rd *r, unsigned version, struct manifest_table *t)
{
	uint64_t v;
	int rc;

	if (rd_str(r, &t->name))
		return r->err;
	/*
	 * The mount shows dirname as a directory holding "<dirname>.csv", next
	 * to the generation's own files: it must be a component that leaves
	 * room for ".csv" and does not shadow generation.json or schema.sql
	 * (name_table_dir never makes such names).
	 */
	rc = rd_component(r, 255 - 4, &t->dirname);
	if (rc)
		return rc;
	if (!strcmp(t->dirname, "generation.json") || !strcmp(t->dirname, "schema.sql"))
		return -EUCLEAN;
	rd_str(r, &t->schema);
	rd_varint(r, &v);
	t->flags = (unsigned)(v & (TABLE_WITHOUT_ROWID | TABLE_INTERNAL | TABLE_SHADOW | TABLE_KEY_ORDER));
	if (rd_count(r, ROW_MAX_VALUES - 1, &v))
		return r->err;
	/* each column name takes at least one byte: bound by what is left */
	if (v > rd_left(r))
		return -EUCLEAN;
	t->ncols = (unsigned)v;
	t->cols = xcalloc(t->ncols ? t->ncols : 1, sizeof(char *));
	for (unsigned c = 0; c < t->ncols; c++)
		if (rd_str(r, &t->cols[c]))
			return r->err;
	if (version >= 3) {
		size_t n;
		if (dup_bytes(r, &t->classes, &n))
			return r->err;
		if (n == 0) {
			free(t->classes);
			t->classes = NULL;
		} else if (n != t->ncols) {
			return -EUCLEAN;
		}
	}
	rd_varint(r, &t->nrows);
	rd_varint(r, &t->csv_size);
	if (rd_count(r, MANIFEST_MAX_CHUNKS, &v))
		return r->err;
	t->nchunks = (size_t)v;
	if (version >= 5) {
		uint64_t sum = 0;
		/* a node is at least 17 bytes, and holds at least one chunk */
		if (rd_count(r, t->nchunks, &v) || v * 17 > rd_left(r))
			return -EUCLEAN;
		t->nnodes = (size_t)v;
		t->nodes = xcalloc(t->nnodes ? t->nnodes : 1, sizeof(*t->nodes));
		for (size_t k = 0; k < t->nnodes; k++) {
			const uint8_t *id;
			if (rd_raw(r, 16, &id) || rd_count(r, NODE_MAX, &v) || v == 0)
				return -EUCLEAN;
			memcpy(t->nodes[k].id.b, id, 16);
			t->nodes[k].nchunks = (uint32_t)v;
			sum += v;
		}
		if (sum != t->nchunks)
			return -EUCLEAN;
		return t->nchunks ? 0 : chunks_check(t); /* (an empty table is resolved) */
	}
	if (t->nchunks * 22 > rd_left(r)) /* a chunk entry is at least 22 bytes: bound by the input */
		return -EUCLEAN;
	t->chunks = xcalloc(t->nchunks ? t->nchunks : 1, sizeof(*t->chunks));
	for (size_t k = 0; k < t->nchunks; k++) {
		rc = entry_decode(r, version, &t->chunks[k]);
		if (rc)
			return rc;
	}
	return chunks_check(t);
}

static int cmp_dirname(const void *a, const void *b)
{
	const struct manifest_table *x = *(const struct manifest_table *const *)a;
	const struct manifest_table *y = *(const struct manifest_table *const *)b;
	return strcmp(x->dirname, y->dirname);
}

/* Directory names must be unique in a generation (sorted: O(n log n)). */
static bool dirnames_unique(const struct manifest *m)
{
	const struct manifest_table **v;
	bool ok = true;
	if (m->ntables < 2)
		return true;
	v = xcalloc(m->ntables, sizeof(*v));
	for (size_t i = 0; i < m->ntables; i++)
		v[i] = &m->tables[i];
	qsort(v, m->ntables, sizeof(*v), cmp_dirname);
	for (size_t i = 1; i < m->ntables && ok; i++)
		ok = strcmp(v[i - 1]->dirname, v[i]->dirname) != 0;
	free(v);
	return ok;
}

/* A pragma name: 1..64 bytes of [a-z_]. */
static bool pragma_name_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == n;
}

static bool object_type_ok(const char *s)
{
	return !strcmp(s, "table") || !strcmp(s, "index") || !strcmp(s, "view") ||
	       !strcmp(s, "trigger");
}

/* The database section of version 2: pragmas, then schema objects. */
static int decode_database(struct rd *r, struct manifest *m)
{
	uint64_t v;
	/* a pragma takes at least 2 bytes, an object at least 4 */
	if (rd_count(r, MANIFEST_MAX_PRAGMAS, &v) || v * 2 > rd_left(r))
		return -EUCLEAN;
	m->npragmas = (size_t)v;
	m->pragmas = xcalloc(m->npragmas ? m->npragmas : 1, sizeof(*m->pragmas));
	for (size_t i = 0; i < m->npragmas; i++) {
		if (rd_str(r, &m->pragmas[i].name) || rd_svarint(r, &m->pragmas[i].value))
			return -EUCLEAN;
		if (!pragma_name_ok(m->pragmas[i].name))
			return -EUCLEAN;
	}
	if (rd_count(r, MANIFEST_MAX_OBJECTS, &v) || v * 4 > rd_left(r))
		return -EUCLEAN;
	m->nobjects = (size_t)v;
	m->objects = xcalloc(m->nobjects ? m->nobjects : 1, sizeof(*m->objects));
	for (size_t i = 0; i < m->nobjects; i++) {
		struct manifest_object *o = &m->objects[i];
		if (rd_str(r, &o->type) || rd_str(r, &o->name) || rd_str(r, &o->tbl_name) ||
		    rd_str(r, &o->sql))
			return -EUCLEAN;
		if (!object_type_ok(o->type))
			return -EUCLEAN;
	}
	return 0;
}

bool manifest_kind_ok(const char *k, size_t n)
{
	return (n == 4 && !memcmp(k, "full", 4)) || (n == 11 && !memcmp(k, "incremental", 11)) ||
	       (n == 12 && !memcmp(k, "differential", 12));
}

/* Version 4's properties: the database name, the backup's kind and parent, and keys a later writer may add. */
static int decode_props(struct rd *r, struct manifest *m)
{
	uint64_t v;
	bool kind_seen = false;
	/* a property takes at least 2 bytes */
	if (rd_count(r, MANIFEST_MAX_PROPS, &v) || v * 2 > rd_left(r))
		return -EUCLEAN;
	for (uint64_t i = 0; i < v; i++) {
		const uint8_t *k, *val;
		size_t kn, vn;
		if (rd_bytes(r, &k, &kn) || rd_bytes(r, &val, &vn) || !kn || memchr(k, 0, kn) ||
		    memchr(val, 0, vn))
			return -EUCLEAN;
		if (kn == 2 && !memcmp(k, "db", 2)) {
			if (m->dbname)
				return -EUCLEAN;
			m->dbname = xstrndup((const char *)val, vn);
			if (!db_name_ok(m->dbname))
				return -EUCLEAN;
		} else if (kn == 4 && !memcmp(k, "kind", 4)) {
			if (m->kind || kind_seen)
				return -EUCLEAN;
			kind_seen = true;
			if (manifest_kind_ok((const char *)val, vn))
				m->kind = xstrndup((const char *)val, vn);
			else
				m->other_props = true; /* a kind a later writer added: skipped */
		} else if (kn == 6 && !memcmp(k, "parent", 6)) {
			if (m->parent || !name_is_safe(val, vn, 63))
				return -EUCLEAN;
			m->parent = xstrndup((const char *)val, vn);
		} else if (k[0] == '!') {
			/* one a reader must understand to read the generation right */
			return -EPROTONOSUPPORT;
		} else {
			m->other_props = true; /* skipped: a later writer's */
		}
	}
	return m->dbname ? 0 : -EUCLEAN;
}

void manifest_db_name(const struct manifest *m, char out[DB_NAME_MAX + 1])
{
	if (m->dbname && db_name_ok(m->dbname))
		snprintf(out, DB_NAME_MAX + 1, "%s", m->dbname);
	else
		db_name_default(m->source ? m->source : "", out);
}

bool manifest_pragma(const struct manifest *m, const char *name, int64_t *value)
{
	for (size_t i = 0; i < m->npragmas; i++)
		if (!strcmp(m->pragmas[i].name, name)) {
			*value = m->pragmas[i].value;
			return true;
		}
	return false;
}

int manifest_decode(const uint8_t *data, size_t n, struct manifest *m)
{
	struct rd r;
	uint32_t ver;
	uint64_t v;
	const uint8_t *id;
	int rc = -EUCLEAN;

	memset(m, 0, sizeof(*m));
	if (n < 20 || memcmp(data, GEN_MAGIC, 8))
		return -EUCLEAN;
	if (XXH3_64bits(data, n - 8) != get_u64le(data + n - 8))
		return -EBADMSG;
	rd_init(&r, data + 8, n - 16);
	rd_u32le(&r, &ver);
	if (ver < MANIFEST_OLDEST || ver > MANIFEST_VERSION)
		return -EPROTONOSUPPORT;
	m->version = ver;
	rd_varint(&r, &m->seq);
	if (rd_component(&r, 255, &m->name))
		goto fail;
	if (rd_raw(&r, 16, &id))
		goto fail;
	memcpy(m->id, id, 16);
	rd_svarint(&r, &m->time);
	if (m->time < MANIFEST_MIN_TIME || m->time > MANIFEST_MAX_TIME)
		goto fail;
	rd_str(&r, &m->label);
	rd_str(&r, &m->source);
	rd_str(&r, &m->schema);
	rd_varint(&r, &m->source_bytes);
	rd_varint(&r, &m->new_bytes);
	/* a table entry is at least 8 bytes (8 empty or zero fields) */
	if (rd_count(&r, MANIFEST_MAX_TABLES, &v) || v * 8 > rd_left(&r))
		goto fail;
	m->ntables = (size_t)v;
	m->tables = xcalloc(m->ntables ? m->ntables : 1, sizeof(*m->tables));
	for (size_t i = 0; i < m->ntables; i++) {
		rc = decode_table(&r, ver, &m->tables[i]);
		if (rc)
			goto fail;
	}
	rc = ver >= 2 ? decode_database(&r, m) : 0;
	if (!rc && ver >= 4)
		rc = decode_props(&r, m);
	if (rc)
		goto fail;
	rc = -EUCLEAN;
	if (r.err || rd_left(&r) || m->seq == 0 || m->seq >= (1u << 24) ||
	    !strcmp(m->name, "latest") || !dirnames_unique(m))
		goto fail;
	return 0;
fail:
	manifest_release(m);
	return rc;
}

void manifest_table_release(struct manifest_table *t)
{
	free(t->name);
	free(t->dirname);
	free(t->schema);
	for (unsigned c = 0; t->cols && c < t->ncols; c++)
		free(t->cols[c]);
	free(t->cols);
	free(t->classes);
	for (size_t k = 0; t->chunks && k < t->nchunks; k++) {
		free(t->chunks[k].first_key);
		free(t->chunks[k].last_key);
	}
	free(t->chunks);
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

void manifest_release(struct manifest *m)
{
	free(m->name);
	free(m->label);
	free(m->dbname);
	free(m->kind);
	free(m->parent);
	free(m->source);
	free(m->schema);
	for (size_t i = 0; m->tables && i < m->ntables; i++)
		manifest_table_release(&m->tables[i]);
	free(m->tables);
	for (size_t i = 0; m->pragmas && i < m->npragmas; i++)
		free(m->pragmas[i].name);
	free(m->pragmas);
	for (size_t i = 0; m->objects && i < m->nobjects; i++) {
		free(m->objects[i].type);
		free(m->objects[i].name);
		free(m->objects[i].tbl_name);
		free(m->objects[i].sql);
	}
	free(m->objects);
	memset(m, 0, sizeof(*m));
}
