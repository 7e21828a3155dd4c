/* Unit tests for lib/manifest.c: round trip, corruption, structural checks. */
#include "check.h"
#include "strata/manifest.h"
#include "strata/rowcodec.h"

#include <stdint.h>
#include <xxhash.h>

static uint8_t *ikey(int64_t a, const char *t, size_t *n)
{
	struct chunk_shape s = { .nhidden = 0, .ncols = 2, .nkey = 2 };
	struct value row[2] = { { .type = VAL_INT, .i = a },
				{ .type = VAL_TEXT, .p = (const uint8_t *)t, .n = strlen(t) } };
	struct buf b = BUF_INIT;
	s.keypos[0] = 0;
	s.keypos[1] = 1;
	key_encode(&b, &s, row);
	return buf_detach(&b, n);
}

static uint8_t *rkey(int64_t id, size_t *n)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 0, .nkey = 1 };
	struct value v = { .type = VAL_INT, .i = id };
	struct buf b = BUF_INIT;
	key_encode(&b, &s, &v);
	return buf_detach(&b, n);
}

static char *cols_a[] = { "id", "name", "a,b" };
static char *cols_b[] = { "k1", "k2", "v" };

/* A manifest with 3 tables: rowid (3 chunks), composite key (2 chunks), empty. */
static void build(struct manifest *m)
{
	memset(m, 0, sizeof(*m));
	m->seq = 7;
	m->name = xstrdup("2026-11-20T020000Z");
	for (int i = 0; i < 16; i++)
		m->id[i] = (uint8_t)(i * 17);
	m->time = 1795140000;
	m->label = xstrdup("nightly \"x\"");
	m->source = xstrdup("/data/app.db");
	m->schema = xstrdup("CREATE TABLE a(id INTEGER PRIMARY KEY, name, \"a,b\");");
	m->source_bytes = 123456789;
	m->new_bytes = 4242;
	m->npragmas = 2;
	m->pragmas = xcalloc(2, sizeof(*m->pragmas));
	m->pragmas[0].name = xstrdup("user_version");
	m->pragmas[0].value = 42;
	m->pragmas[1].name = xstrdup("application_id");
	m->pragmas[1].value = -7;
	m->nobjects = 2;
	m->objects = xcalloc(2, sizeof(*m->objects));
	m->objects[0].type = xstrdup("table");
	m->objects[0].name = xstrdup("a");
	m->objects[0].tbl_name = xstrdup("a");
	m->objects[0].sql = xstrdup("CREATE TABLE a(id INTEGER PRIMARY KEY, name, \"a,b\")");
	m->objects[1].type = xstrdup("index");
	m->objects[1].name = xstrdup("a_name");
	m->objects[1].tbl_name = xstrdup("a");
	m->objects[1].sql = xstrdup("CREATE INDEX a_name ON a(name)");
	m->ntables = 3;
	m->tables = xcalloc(3, sizeof(*m->tables));

	struct manifest_table *t = &m->tables[0];
	t->name = xstrdup("a");
	t->dirname = xstrdup("a");
	t->schema = xstrdup("CREATE TABLE a(...)");
	t->ncols = 3;
	t->cols = xcalloc(3, sizeof(char *));
	for (int i = 0; i < 3; i++)
		t->cols[i] = xstrdup(cols_a[i]);
	t->nchunks = 3;
	t->chunks = xcalloc(3, sizeof(*t->chunks));
	for (int k = 0; k < 3; k++) {
		struct manifest_chunk *c = &t->chunks[k];
		memset(c->id.b, 0xa0 + k, 16);
		c->nrows = 100;
		c->ulen = 5000 + (uint64_t)k;
		c->csv_len = 3000 + (uint64_t)k;
		c->jsonl_len = 5000 + (uint64_t)k;
		c->sql_len = 7000 + (uint64_t)k;
		c->first_key = rkey(-50 + k * 100, &c->first_len);
		c->last_key = rkey(-50 + k * 100 + 99, &c->last_len);
		t->nrows += c->nrows;
		t->csv_size += c->csv_len;
	}

	t = &m->tables[1];
	t->name = xstrdup("order items/2024");
	t->dirname = xstrdup("order items%2F2024");
	t->schema = xstrdup("CREATE TABLE \"order items/2024\"(k1, k2, v, PRIMARY KEY(k1, k2)) WITHOUT ROWID");
	t->flags = TABLE_WITHOUT_ROWID;
	t->ncols = 3;
	t->cols = xcalloc(3, sizeof(char *));
	for (int i = 0; i < 3; i++)
		t->cols[i] = xstrdup(cols_b[i]);
	t->nchunks = 2;
	t->chunks = xcalloc(2, sizeof(*t->chunks));
	const char *fk[] = { "a", "zz" }, *lk[] = { "zz", "b" };
	int64_t fi[] = { 1, 1 }, li[] = { 1, 2 };
	for (int k = 0; k < 2; k++) {
		struct manifest_chunk *c = &t->chunks[k];
		memset(c->id.b, 0xb0 + k, 16);
		c->nrows = 1 + (uint64_t)k;
		c->ulen = 70;
		c->csv_len = 40;
		c->first_key = ikey(fi[k], fk[k], &c->first_len);
		c->last_key = ikey(li[k], lk[k], &c->last_len);
		t->nrows += c->nrows;
		t->csv_size += c->csv_len;
	}
	/* chunk 0 ends at (1,"zz")... so chunk 1 must start after it */
	free(t->chunks[1].first_key);
	t->chunks[1].first_key = ikey(2, "a", &t->chunks[1].first_len);

	t = &m->tables[2];
	t->name = xstrdup("empty");
	t->dirname = xstrdup("empty");
	t->schema = xstrdup("CREATE TABLE empty(x)");
	t->ncols = 1;
	t->cols = xcalloc(1, sizeof(char *));
	t->cols[0] = xstrdup("x");
}

/* Index nodes as a repository would hold them: by id (a getter that checks nothing else). */
static struct {
	struct chunk_id id;
	struct buf data;
} nodes[64];
static size_t nnodes;
static int node_gets;

static int node_store(void *arg, const struct chunk_id *id, const uint8_t *data, size_t len)
{
	(void)arg;
	for (size_t i = 0; i < nnodes; i++)
		if (!memcmp(&nodes[i].id, id, 16))
			return 0;
	if (nnodes == 64)
		return -ENOSPC;
	nodes[nnodes].id = *id;
	buf_reset(&nodes[nnodes].data);
	buf_add(&nodes[nnodes].data, data, len);
	nnodes++;
	return 0;
}

static int node_get(void *arg, const struct chunk_id *id, uint8_t **data, size_t *len)
{
	(void)arg;
	node_gets++;
	for (size_t i = 0; i < nnodes; i++)
		if (!memcmp(&nodes[i].id, id, 16)) {
			*data = xmalloc(nodes[i].data.len);
			memcpy(*data, nodes[i].data.data, nodes[i].data.len);
			*len = nodes[i].data.len;
			return 0;
		}
	return -ENOENT;
}

static void nodes_clear(void)
{
	for (size_t i = 0; i < nnodes; i++)
		buf_release(&nodes[i].data);
	nnodes = 0;
}

/* Store the nodes, encode, decode, load the nodes back. */
static int encode_decode(struct manifest *m, struct manifest *out)
{
	struct buf b = BUF_INIT;
	int rc = manifest_make_nodes(m, node_store, NULL);
	manifest_encode(m, &b);
	if (!rc)
		rc = manifest_decode(b.data, b.len, out);
	buf_release(&b);
	if (!rc && !manifest_resolved(out)) {
		rc = manifest_resolve(out, node_get, NULL);
		if (rc)
			manifest_release(out);
	}
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

static int str_eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static void same(const struct manifest *a, const struct manifest *b)
{
	CHECK(a->seq == b->seq && str_eq(a->name, b->name) && !memcmp(a->id, b->id, 16) &&
	      a->time == b->time && str_eq(a->label, b->label) && str_eq(a->source, b->source) &&
	      str_eq(a->schema, b->schema) && a->source_bytes == b->source_bytes &&
	      a->new_bytes == b->new_bytes && a->ntables == b->ntables &&
	      a->npragmas == b->npragmas && a->nobjects == b->nobjects);
	for (size_t i = 0; i < a->npragmas && i < b->npragmas; i++)
		CHECK(str_eq(a->pragmas[i].name, b->pragmas[i].name) &&
		      a->pragmas[i].value == b->pragmas[i].value);
	for (size_t i = 0; i < a->nobjects && i < b->nobjects; i++)
		CHECK(str_eq(a->objects[i].type, b->objects[i].type) &&
		      str_eq(a->objects[i].name, b->objects[i].name) &&
		      str_eq(a->objects[i].tbl_name, b->objects[i].tbl_name) &&
		      str_eq(a->objects[i].sql, b->objects[i].sql));
	for (size_t i = 0; i < a->ntables && i < b->ntables; i++) {
		const struct manifest_table *x = &a->tables[i], *y = &b->tables[i];
		CHECK(str_eq(x->name, y->name) && str_eq(x->dirname, y->dirname) &&
		      str_eq(x->schema, y->schema) && x->flags == y->flags && x->ncols == y->ncols &&
		      x->nrows == y->nrows && x->csv_size == y->csv_size && x->nchunks == y->nchunks);
		for (unsigned c = 0; c < x->ncols && c < y->ncols; c++)
			CHECK(str_eq(x->cols[c], y->cols[c]));
		for (size_t k = 0; k < x->nchunks && k < y->nchunks; k++) {
			const struct manifest_chunk *p = &x->chunks[k], *q = &y->chunks[k];
			CHECK(!memcmp(&p->id, &q->id, 16) && p->nrows == q->nrows &&
			      p->ulen == q->ulen && p->csv_len == q->csv_len &&
			      p->jsonl_len == q->jsonl_len && p->sql_len == q->sql_len &&
			      p->first_len == q->first_len && p->last_len == q->last_len &&
			      !memcmp(p->first_key, q->first_key, p->first_len) &&
			      !memcmp(p->last_key, q->last_key, p->last_len));
		}
	}
}

/* Build, mutate with fn, expect decode to fail with want (0: any error). */
static void reject(const char *why, void (*fn)(struct manifest *), int want)
{
	struct manifest m, d;
	build(&m);
	fn(&m);
	int rc = encode_decode(&m, &d);
	CHECKF(rc != 0 && (want == 0 || rc == want), "%s: rc %d", why, rc);
	if (rc == 0)
		manifest_release(&d);
	CHECK(d.name == NULL && d.tables == NULL); /* left empty */
	manifest_release(&m);
}

static void set_dirname(struct manifest_table *t, const char *s)
{
	free(t->dirname);
	t->dirname = xstrdup(s);
}

static void swap_chunks(struct manifest *m)
{
	struct manifest_chunk c = m->tables[0].chunks[0];
	m->tables[0].chunks[0] = m->tables[0].chunks[1];
	m->tables[0].chunks[1] = c;
}
static void overlap_chunks(struct manifest *m)
{
	struct manifest_chunk *c = &m->tables[0].chunks[1];
	free(c->first_key);
	c->first_key = rkey(49, &c->first_len); /* == last key of chunk 0 */
}
static void overlap_composite(struct manifest *m)
{
	struct manifest_chunk *c = &m->tables[1].chunks[1];
	free(c->first_key);
	c->first_key = ikey(1, "z", &c->first_len); /* < (1,"zz") */
}
static void dir_dotdot(struct manifest *m) { set_dirname(&m->tables[0], ".."); }
static void dir_dot(struct manifest *m) { set_dirname(&m->tables[0], "."); }
static void dir_slash(struct manifest *m) { set_dirname(&m->tables[0], "a/b"); }
static void dir_empty(struct manifest *m) { set_dirname(&m->tables[0], ""); }
static void dir_ctrl(struct manifest *m) { set_dirname(&m->tables[0], "a\nb"); }
static void dir_long(struct manifest *m)
{
	char s[300];
	memset(s, 'x', 299);
	s[299] = 0;
	set_dirname(&m->tables[0], s);
}
static void dir_dup(struct manifest *m) { set_dirname(&m->tables[2], "a"); }
static void name_latest(struct manifest *m)
{
	free(m->name);
	m->name = xstrdup("latest");
}
static void name_dotdot(struct manifest *m)
{
	free(m->name);
	m->name = xstrdup("..");
}
static void name_slash(struct manifest *m)
{
	free(m->name);
	m->name = xstrdup("x/y");
}
static void seq_zero(struct manifest *m) { m->seq = 0; }
static void seq_huge(struct manifest *m) { m->seq = 1u << 24; }
static void nrows_sum(struct manifest *m) { m->tables[0].nrows++; }
static void csv_sum(struct manifest *m) { m->tables[1].csv_size--; }
static void chunk_no_rows(struct manifest *m)
{
	m->tables[0].nrows -= m->tables[0].chunks[2].nrows;
	m->tables[0].chunks[2].nrows = 0;
}
static void chunk_ulen(struct manifest *m) { m->tables[0].chunks[0].ulen = CHUNK_MAX_ULEN + 1; }
static void chunk_rows_gt_ulen(struct manifest *m)
{
	m->tables[1].chunks[0].nrows = 71;
	m->tables[1].nrows = 73;
}

static void structure(void)
{
	reject("chunks out of key order", swap_chunks, -EUCLEAN);
	reject("overlapping chunks", overlap_chunks, -EUCLEAN);
	reject("overlapping composite chunks", overlap_composite, -EUCLEAN);
	reject("dirname ..", dir_dotdot, -EUCLEAN);
	reject("dirname .", dir_dot, -EUCLEAN);
	reject("dirname a/b", dir_slash, -EUCLEAN);
	reject("dirname empty", dir_empty, -EUCLEAN);
	reject("dirname control", dir_ctrl, -EUCLEAN);
	reject("dirname > 255", dir_long, -EUCLEAN);
	reject("duplicate dirname", dir_dup, -EUCLEAN);
	reject("name latest", name_latest, -EUCLEAN);
	reject("name ..", name_dotdot, -EUCLEAN);
	reject("name x/y", name_slash, -EUCLEAN);
	reject("seq 0", seq_zero, -EUCLEAN);
	reject("seq 2^24", seq_huge, -EUCLEAN);
	reject("nrows sum", nrows_sum, -EUCLEAN);
	reject("csv sum", csv_sum, -EUCLEAN);
	reject("chunk without rows", chunk_no_rows, -EUCLEAN);
	reject("chunk ulen", chunk_ulen, -EUCLEAN);
	reject("nrows > ulen", chunk_rows_gt_ulen, -EUCLEAN);
}

static void roundtrip_and_damage(void)
{
	struct manifest m, d;
	struct buf b = BUF_INIT;
	int rc;

	build(&m);
	CHECK(manifest_make_nodes(&m, node_store, NULL) == 0);
	manifest_encode(&m, &b);
	CHECK(manifest_decode(b.data, b.len, &d) == 0);
	/* version 5: tables with chunks come as nodes, loaded on demand */
	CHECK(d.version == MANIFEST_VERSION && !manifest_resolved(&d) && d.tables[0].chunks == NULL &&
	      d.tables[0].nchunks == m.tables[0].nchunks && d.tables[0].nnodes >= 1);
	node_gets = 0;
	CHECK(manifest_resolve(&d, node_get, NULL) == 0 && manifest_resolved(&d) && node_gets > 0);
	same(&m, &d);
	/* re-encoding the decoded manifest gives the same bytes */
	struct buf b2 = BUF_INIT;
	manifest_encode(&d, &b2);
	CHECK(b2.len == b.len && !memcmp(b.data, b2.data, b.len));
	manifest_release(&d);
	CHECK(d.name == NULL && d.tables == NULL && d.ntables == 0);
	manifest_release(&d); /* twice is harmless */

	/* every single byte flip, every bit */
	uint8_t *copy = xmalloc(b.len);
	for (size_t i = 0; i < b.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, b.data, b.len);
			copy[i] ^= (uint8_t)(1u << bit);
			rc = manifest_decode(copy, b.len, &d);
			CHECKF(rc == -EUCLEAN || rc == -EBADMSG, "flip byte %zu bit %d: rc %d", i, bit,
			       rc);
			if (!rc)
				manifest_release(&d);
		}
	}
	/* every truncation, and trailing garbage */
	for (size_t n = 0; n < b.len; n++) {
		rc = manifest_decode(b.data, n, &d);
		CHECKF(rc == -EUCLEAN || rc == -EBADMSG, "truncated to %zu: rc %d", n, rc);
	}
	buf_reset(&b2);
	buf_add(&b2, b.data, b.len);
	buf_addc(&b2, 0);
	CHECK(manifest_decode(b2.data, b2.len, &d) != 0);
	free(copy);

	/* a newer version: checksum fixed up, -EPROTONOSUPPORT */
	buf_reset(&b2);
	buf_add(&b2, b.data, b.len - 8);
	put_u32le(b2.data + 8, MANIFEST_VERSION + 1);
	{
		uint64_t h = XXH3_64bits(b2.data, b2.len);
		buf_add_u64le(&b2, h);
	}
	CHECK(manifest_decode(b2.data, b2.len, &d) == -EPROTONOSUPPORT);

	/* a valid manifest with trailing bytes before the checksum is rejected */
	buf_reset(&b2);
	buf_add(&b2, b.data, b.len - 8);
	buf_addc(&b2, 0);
	buf_add_u64le(&b2, XXH3_64bits(b2.data, b2.len));
	CHECK(manifest_decode(b2.data, b2.len, &d) == -EUCLEAN);

	/* a huge table count with little data: rejected before allocating (version 1: no database section) */
	buf_reset(&b2);
	buf_add(&b2, "STRGEN\0\0", 8);
	buf_add_u32le(&b2, MANIFEST_OLDEST);
	buf_add_varint(&b2, 1);
	buf_add_bytes(&b2, "g", 1);
	buf_add(&b2, m.id, 16);
	buf_add_svarint(&b2, 0);
	buf_add_bytes(&b2, "", 0);
	buf_add_bytes(&b2, "", 0);
	buf_add_bytes(&b2, "", 0);
	buf_add_varint(&b2, 0);
	buf_add_varint(&b2, 0);
	size_t mark = b2.len;
	buf_add_varint(&b2, MANIFEST_MAX_TABLES);
	buf_add_u64le(&b2, XXH3_64bits(b2.data, b2.len));
	CHECK(manifest_decode(b2.data, b2.len, &d) == -EUCLEAN);
	/* and the same header with 0 tables is a valid, empty generation */
	b2.len = mark;
	buf_add_varint(&b2, 0);
	buf_add_u64le(&b2, XXH3_64bits(b2.data, b2.len));
	CHECK(manifest_decode(b2.data, b2.len, &d) == 0 && d.ntables == 0 &&
	      !strcmp(d.name, "g") && d.version == 1 && d.npragmas == 0 && d.nobjects == 0);
	manifest_release(&d);
	/* version 2: the database section follows the tables, and must be there */
	put_u32le(b2.data + 8, 2);
	b2.len = mark;
	buf_add_varint(&b2, 0);
	size_t mark2 = b2.len;
	buf_add_u64le(&b2, XXH3_64bits(b2.data, b2.len));
	CHECK(manifest_decode(b2.data, b2.len, &d) == -EUCLEAN);
	b2.len = mark2;
	buf_add_varint(&b2, 1); /* one pragma */
	buf_add_bytes(&b2, "user_version", 12);
	buf_add_svarint(&b2, 42);
	buf_add_varint(&b2, 1); /* one object */
	buf_add_bytes(&b2, "view", 4);
	buf_add_bytes(&b2, "v", 1);
	buf_add_bytes(&b2, "v", 1);
	buf_add_bytes(&b2, "CREATE VIEW v AS SELECT 1", 25);
	size_t mark3 = b2.len;
	buf_add_u64le(&b2, XXH3_64bits(b2.data, b2.len));
	int64_t uv = 0;
	CHECK(manifest_decode(b2.data, b2.len, &d) == 0 && d.version == 2 && d.nobjects == 1 &&
	      manifest_pragma(&d, "user_version", &uv) && uv == 42 &&
	      !manifest_pragma(&d, "application_id", &uv) && !strcmp(d.objects[0].sql, "CREATE VIEW v AS SELECT 1"));
	manifest_release(&d);
	/* an object type that is not one of SQLite's is refused */
	memcpy(b2.data + mark3 - 25 - 1 - 1 - 1 - 1 - 1 - 4, "viex", 4);
	b2.len = mark3;
	buf_add_u64le(&b2, XXH3_64bits(b2.data, b2.len));
	CHECK(manifest_decode(b2.data, b2.len, &d) == -EUCLEAN);
	/* and a pragma name outside [a-z_] */
	memcpy(b2.data + mark3 - 25 - 1 - 1 - 1 - 1 - 1 - 4, "view", 4);
	memcpy(b2.data + mark2 + 2, "User", 4);
	b2.len = mark3;
	buf_add_u64le(&b2, XXH3_64bits(b2.data, b2.len));
	CHECK(manifest_decode(b2.data, b2.len, &d) == -EUCLEAN);

	buf_release(&b);
	buf_release(&b2);
	manifest_release(&m);
}

/* Version 4's database name: written, read back, defaulted, and checked by the reader. */
static void db_name(void)
{
	struct manifest m, d;
	char name[65];
	build(&m);
	/* none given: the writer writes the default for the source */
	CHECK(encode_decode(&m, &d) == 0 && str_eq(d.dbname, "app") && d.version == MANIFEST_VERSION);
	manifest_db_name(&d, name);
	CHECK(!strcmp(name, "app"));
	manifest_release(&d);
	m.dbname = xstrdup("shop-eu");
	CHECK(encode_decode(&m, &d) == 0 && str_eq(d.dbname, "shop-eu"));
	manifest_db_name(&d, name);
	CHECK(!strcmp(name, "shop-eu"));
	manifest_release(&d);
	/* a version 3 manifest has no name: its source's default */
	free(m.dbname);
	m.dbname = NULL;
	d = m;
	d.version = 3;
	manifest_db_name(&d, name);
	CHECK(!strcmp(name, "app"));

	/* hand-made properties: unknown keys and kinds are skipped; a bad, missing or second "db", a second "kind", a bad "parent" is refused */
	struct buf b = BUF_INIT;
	manifest_encode(&m, &b);
	size_t head = b.len - 8 - (1 + 1 + 2 + 1 + 3); /* nprops=1, "db", "app" */
	static const struct { const char *props; size_t n; int want; const char *name; } cases[] = {
		{ "\x02" "\x04" "note" "\x04" "full" "\x02" "db" "\x04" "crm2", 19, 0, "crm2" },
		{ "\x03" "\x04" "kind" "\x0b" "incremental" "\x06" "parent" "\x03" "g-1" "\x02" "db" "\x01" "a", 34, 0, "a" },
		{ "\x02" "\x04" "kind" "\x06" "weekly" "\x02" "db" "\x01" "a", 18, 0, "a" },
		{ "\x03" "\x04" "kind" "\x04" "full" "\x04" "kind" "\x04" "full" "\x02" "db" "\x01" "a", 25, -EUCLEAN, NULL },
		{ "\x02" "\x06" "parent" "\x02" "a/" "\x02" "db" "\x01" "a", 16, -EUCLEAN, NULL },
		{ "\x01" "\x02" "db" "\x02" "a/", 7, -EUCLEAN, NULL },
		{ "\x01" "\x02" "db" "\x00", 5, -EUCLEAN, NULL },
		{ "\x00", 1, -EUCLEAN, NULL },
		{ "\x01" "\x04" "kind" "\x04" "full", 11, -EUCLEAN, NULL },
		{ "\x02" "\x02" "db" "\x01" "a" "\x02" "db" "\x01" "b", 11, -EUCLEAN, NULL },
		{ "\x01" "\x03" "db\0" "\x01" "a", 7, -EUCLEAN, NULL },
		{ "\x01" "\x02" "db" "\x03" "a\0b", 7, -EUCLEAN, NULL },
		{ "\x01" "\x00" "\x01" "a", 4, -EUCLEAN, NULL },
		{ "\x02" "\x05" "!kind" "\x04" "full" "\x02" "db" "\x01" "a", 17, -EPROTONOSUPPORT, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf c = BUF_INIT;
		buf_add(&c, b.data, head);
		buf_add(&c, cases[i].props, cases[i].n);
		buf_add_u64le(&c, XXH3_64bits(c.data, c.len));
		int rc = manifest_decode(c.data, c.len, &d);
		CHECKF(rc == cases[i].want, "properties case %zu: rc %d", i, rc);
		if (!rc) {
			CHECK(str_eq(d.dbname, cases[i].name));
			/* cases 0 and 2 have a key or a kind this strata skips */
			CHECK(d.other_props == (i == 0 || i == 2));
			if (i == 1)
				CHECK(str_eq(d.kind, "incremental") && str_eq(d.parent, "g-1"));
			else
				CHECK(!d.kind && !d.parent);
			manifest_release(&d);
		}
		buf_release(&c);
	}
	buf_release(&b);
	manifest_release(&m);
}

/* Index nodes: cut where chunk ids say, shared, refused when they do not fit their manifest. */
static void index_nodes(void)
{
	struct manifest m, d;
	struct buf b = BUF_INIT, nb = BUF_INIT;
	build(&m);
	/* a table of 600 chunks: several nodes, each ending after an id whose head is 0 mod 64, or at 256 chunks */
	struct manifest_table *t = &m.tables[0];
	for (size_t k = 0; k < t->nchunks; k++) {
		free(t->chunks[k].first_key);
		free(t->chunks[k].last_key);
	}
	t->nchunks = 600;
	t->chunks = xrealloc(t->chunks, 600 * sizeof(*t->chunks));
	t->nrows = t->csv_size = 0;
	for (size_t k = 0; k < 600; k++) {
		struct manifest_chunk *c = &t->chunks[k];
		memset(c, 0, sizeof(*c));
		uint64_t h = (k * 0x9e3779b97f4a7c15u) >> 7; /* every 64th-ish fires */
		put_u64le(c->id.b, k % 50 == 7 && k < 300 ? 0 : h | 1); /* none fires after 300: a node of 256 */
		put_u64le(c->id.b + 8, k);
		c->nrows = 2;
		c->ulen = 100;
		c->csv_len = 30;
		c->jsonl_len = 50 + k;
		c->sql_len = 70;
		c->first_key = rkey((int64_t)(2 * k), &c->first_len);
		c->last_key = rkey((int64_t)(2 * k + 1), &c->last_len);
		t->nrows += 2;
		t->csv_size += 30;
	}
	nodes_clear();
	CHECK(encode_decode(&m, &d) == 0);
	same(&m, &d);
	size_t start = 0, expect = 0;
	for (size_t k = 0; k < 600; k++)
		if (get_u64le(t->chunks[k].id.b) % 64 == 0 || k - start + 1 == 256 || k == 599) {
			expect++;
			start = k + 1;
		}
	CHECKF(d.tables[0].nnodes == expect && expect >= 8 && expect == t->nnodes &&
		       d.tables[0].nodes[expect - 2].nchunks == 256,
	       "%zu nodes, %zu expected", d.tables[0].nnodes, expect);
	manifest_release(&d);
	/* the same chunks again: the same nodes, none new */
	size_t before = nnodes;
	CHECK(encode_decode(&m, &d) == 0);
	CHECK(nnodes == before);
	manifest_release(&d);
	/* one chunk changed: one node replaced, the others shared */
	t->chunks[300].csv_len = 31;
	t->csv_size++;
	CHECK(encode_decode(&m, &d) == 0 && nnodes == before + 1);
	same(&m, &d);
	manifest_release(&d);

	/* a node that does not fit its manifest: refused by manifest_resolve, manifest left whole */
	CHECK(manifest_make_nodes(&m, node_store, NULL) == 0);
	manifest_encode(&m, &b);
	struct buf *victim = NULL;
	for (size_t i = 0; i < nnodes; i++)
		if (!memcmp(&nodes[i].id, &t->nodes[1].id, 16))
			victim = &nodes[i].data;
	CHECK(victim != NULL);
	if (victim) {
		buf_reset(&nb);
		buf_add(&nb, victim->data, victim->len);
		/* every truncation and every byte flip decodes as an error or as another valid node */
		for (size_t n = 0; n < nb.len; n++)
			for (int flip = 0; flip < 2; flip++) {
				buf_reset(victim);
				buf_add(victim, nb.data, flip ? nb.len : n);
				if (flip)
					victim->data[n] ^= 0x41;
				CHECK(manifest_decode(b.data, b.len, &d) == 0);
				int rc = manifest_resolve(&d, node_get, NULL);
				CHECKF(rc == 0 || rc == -EUCLEAN, "node byte %zu: rc %d", n, rc);
				CHECK(rc != 0 || manifest_resolved(&d));
				CHECK(rc == 0 || d.tables[0].chunks == NULL);
				manifest_release(&d);
			}
		CHECK(manifest_node_decode(nb.data, nb.len, t->nodes[1].nchunks + 1, t->chunks) == -EUCLEAN);
		buf_reset(victim);
		buf_add(victim, nb.data, nb.len);
	}
	/* a node the repository lacks: the getter's error */
	nodes_clear();
	CHECK(manifest_decode(b.data, b.len, &d) == 0);
	CHECK(manifest_resolve(&d, node_get, NULL) == -ENOENT && !manifest_resolved(&d));
	manifest_release(&d);
	/* node counts that do not add up to the table's chunks */
	struct buf c = BUF_INIT;
	manifest_encode(&m, &c);
	for (size_t i = 0; i + 17 < c.len; i++)
		if (!memcmp(c.data + i, t->nodes[0].id.b, 16)) {
			c.data[i + 16]++; /* the first node's count */
			put_u64le(c.data + c.len - 8, XXH3_64bits(c.data, c.len - 8));
			CHECK(manifest_decode(c.data, c.len, &d) == -EUCLEAN);
			break;
		}
	buf_release(&c);
	buf_release(&b);
	buf_release(&nb);
	nodes_clear();
	manifest_release(&m);
}

int main(void)
{
	index_nodes();
	db_name();
	roundtrip_and_damage();
	structure();
	nodes_clear();
	return check_done("unit-manifest");
}
