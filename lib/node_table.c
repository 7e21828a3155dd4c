/*
 * node_table.c - a table in a generation:
 *
 *   /<generation>/<table>/             the table's directory (escaped name)
 *   /<generation>/<table>/schema.sql   its CREATE TABLE, indexes and triggers
 *   /<generation>/<table>/schema.pg.sql  the same as PostgreSQL DDL (pgschema.h)
 *   /<generation>/<table>/<table>.csv  the whole table: header, rows in key order
 *   /<generation>/<table>/<table>.jsonl, .sql   the same rows as JSON Lines and as
 *                                      INSERT statements (views.h); position = format
 */
#include "tree_i.h"
#include "strata/log.h"
#include "strata/manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- the table directory ---- */

int tree_table_named(struct tree *t, uint64_t seq, const char *dirname, enum node_type type,
		     struct node *out)
{
	struct cat_table tb;
	int rc = catalog_table_by_dir(&t->cat, seq, dirname, &tb);
	if (rc)
		return rc;
	free(tb.dirname);
	if (tb.tidx > NODE_TIDX_MAX)
		return -ENOENT;
	*out = node_make(type, seq, tb.tidx, 0);
	return 0;
}

static int table_find(struct tree *t, const struct node *parent, const char *name,
		      struct node *child)
{
	return tree_table_named(t, parent->seq, name, N_TABLE, child);
}

/*
 * Listings below the root are cached by the kernel for good: list only a
 * generation the catalog holds whole.
 */
static int table_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	struct cat_table *tb;
	struct cat_gen g;
	size_t n;
	int rc = tree_gen(t, parent->seq, &g);
	if (!rc)
		rc = catalog_list_tables(&t->cat, parent->seq, &tb, &n);
	if (rc)
		return rc;
	if (n != g.ntables) {
		catalog_free_tables(tb, n);
		log_msg("catalog '%s' lists %zu tables for generation %llu, which has %llu; run 'strata index --rebuild %s'",
			t->repo.catalog, n, (unsigned long long)parent->seq,
			(unsigned long long)g.ntables, t->repo.path);
		return TREE_LOGGED;
	}
	for (size_t i = 0; i < n; i++) {
		struct node c = node_make(N_TABLE, parent->seq, tb[i].tidx, 0);
		if (tb[i].tidx <= NODE_TIDX_MAX && tree_name_ok(t, tb[i].dirname))
			tree_dir_add(d, tb[i].dirname, &c, S_IFDIR);
	}
	catalog_free_tables(tb, n);
	return 0;
}

int tree_table_dir_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	struct cat_table tb;
	int rc = tree_table(t, n, &g, &tb);
	if (!rc)
		tree_fill(t, st, n, S_IFDIR, 0, g.time);
	return rc;
}

const struct node_kind node_table = {
	.what = "table", .fields = F_SEQ | F_TIDX, .parents = PARENT(N_GEN), .mode = S_IFDIR,
	.find = table_find, .each = table_each, .stat = tree_table_dir_stat,
};

/* ---- schema.sql, schema.pg.sql (position 1: from manifest version 3) ---- */

static const char *const SCHEMAS[] = { "schema.sql", "schema.pg.sql" };

static int schema_find(struct tree *t, const struct node *parent, const char *name,
		       struct node *child)
{
	struct cat_table tb;
	for (uint32_t k = 0; k < 2; k++) {
		if (strcmp(name, SCHEMAS[k]))
			continue;
		if (k == 1) {
			int rc = catalog_table_by_idx(&t->cat, parent->seq, parent->tidx, &tb);
			if (rc)
				return rc;
			free(tb.dirname);
			if (!tb.pg_len)
				return -ENOENT;
		}
		*child = node_make(N_TABLE_SCHEMA, parent->seq, parent->tidx, k);
		return 0;
	}
	return -ENOENT;
}

static int schema_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	struct cat_table tb;
	int rc = catalog_table_by_idx(&t->cat, parent->seq, parent->tidx, &tb);
	if (rc)
		return rc;
	free(tb.dirname);
	for (uint32_t k = 0; k < (tb.pg_len ? 2u : 1u); k++) {
		struct node c = node_make(N_TABLE_SCHEMA, parent->seq, parent->tidx, k);
		tree_dir_add(d, SCHEMAS[k], &c, S_IFREG);
	}
	return 0;
}

static int schema_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	struct cat_table tb;
	int rc = n->pos > 1 ? -ENOENT : tree_table(t, n, &g, &tb);
	if (!rc && n->pos == 1 && !tb.pg_len)
		rc = -ENOENT;
	if (!rc)
		tree_fill(t, st, n, S_IFREG, n->pos ? tb.pg_len : tb.schema_len, g.time);
	return rc;
}

static int schema_open(struct tree *t, const struct node *n, struct rd_file *f)
{
	struct cat_table tb;
	int rc = n->pos > 1 ? -ENOENT : tree_table(t, n, NULL, &tb);
	if (!rc && n->pos == 1 && !tb.pg_len)
		rc = -ENOENT; /* as stat says: none for this table */
	if (rc)
		return rc;
	rc = catalog_table_text(&t->cat, n->seq, n->tidx, n->pos ? CAT_TEXT_PG : CAT_TEXT_SCHEMA,
				    &f->text, &f->text_len);
	f->size = f->text_len;
	return rc;
}

const struct node_kind node_table_schema = {
	.what = "table schema", .fields = F_SEQ | F_TIDX | F_POS, .parents = PARENT(N_TABLE),
	.mode = S_IFREG, .find = schema_find, .each = schema_each, .stat = schema_stat,
	.open = schema_open,
};

/* ---- <table>.csv, <table>.jsonl, <table>.sql ---- */

/*
 * A table file named as one of the table's schema files (dirname "schema"
 * or "schema.pg", from a strata that did not reserve those names) is not
 * served: the schema file keeps the name (schema.pg.sql only when the
 * table has one).
 */
static bool shadowed(const struct cat_table *tb, const char *file)
{
	return !strcmp(file, SCHEMAS[0]) || (tb->pg_len && !strcmp(file, SCHEMAS[1]));
}

static int csv_find(struct tree *t, const struct node *parent, const char *name,
		    struct node *child)
{
	struct cat_table tb;
	int rc = catalog_table_by_idx(&t->cat, parent->seq, parent->tidx, &tb);
	if (rc)
		return rc;
	size_t dl = strlen(tb.dirname);
	int fmt = -1;
	if (strlen(name) > dl + 1 && !strncmp(name, tb.dirname, dl) && name[dl] == '.')
		for (unsigned f = 0; f < VIEW_FORMATS && fmt < 0; f++)
			if (!strcmp(name + dl + 1, view_ext(f)) && tree_format_served(t, &tb, f))
				fmt = (int)f;
	free(tb.dirname);
	if (fmt < 0 || shadowed(&tb, name))
		return -ENOENT;
	*child = node_make(N_TABLE_CSV, parent->seq, parent->tidx, (uint32_t)fmt);
	return 0;
}

static int csv_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	struct cat_table tb;
	int rc = catalog_table_by_idx(&t->cat, parent->seq, parent->tidx, &tb);
	if (rc)
		return rc;
	for (unsigned f = 0; f < VIEW_FORMATS; f++) {
		struct node c = node_make(N_TABLE_CSV, parent->seq, parent->tidx, f);
		if (!tree_format_served(t, &tb, f))
			continue;
		char *file = xasprintf("%s.%s", tb.dirname, view_ext(f));
		/* a dirname near the limit leaves no room for ".jsonl": that view is not served */
		if ((f == VIEW_CSV || strlen(file) <= 255) && !shadowed(&tb, file) && tree_name_ok(t, file))
			tree_dir_add(d, file, &c, S_IFREG);
		free(file);
	}
	free(tb.dirname);
	return 0;
}

static int csv_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	struct cat_table tb;
	int rc = tree_table(t, n, &g, &tb);
	if (!rc && !tree_format_served(t, &tb, n->pos))
		rc = -ENOENT;
	if (!rc)
		tree_fill(t, st, n, S_IFREG,
			  n->pos == VIEW_JSONL ? tb.jsonl_size : n->pos == VIEW_SQL ? tb.sql_size
			  : tb.header_len + tb.csv_size, g.time);
	return rc;
}

/*
 * The chunk list of a table must cover its body exactly, in order: reads
 * index it by offset, and stat reported header + csv_size.  A chunk whose
 * pack was removed is missing from the list (the catalog drops it).
 */
static int check_chunk_list(struct tree *t, const struct rd_file *f, enum view_format fmt)
{
	struct cat_table tb;
	uint64_t off = 0, joff = 0, soff = 0;
	bool ok;
	int rc = catalog_table_by_idx(&t->cat, f->seq, f->tidx, &tb);
	if (rc)
		return rc;
	free(tb.dirname);
	ok = f->text_len == (fmt == VIEW_CSV ? tb.header_len : 0) && f->nchunks == tb.nchunks;
	for (size_t i = 0; ok && i < f->nchunks; i++) {
		const struct cat_chunk *c = &f->chunks[i];
		ok = c->seqno == i && c->csv_off == off && c->e.csv_len <= UINT64_MAX - off &&
		     c->jsonl_off == joff && c->jsonl_len <= UINT64_MAX - joff &&
		     c->sql_off == soff && c->sql_len <= UINT64_MAX - soff;
		off += c->e.csv_len;
		joff += c->jsonl_len;
		soff += c->sql_len;
	}
	if (ok && off == tb.csv_size && (!tb.views || (joff == tb.jsonl_size && soff == tb.sql_size)))
		return 0;
	log_msg("catalog '%s' does not hold every chunk of generation %llu, table %u: a pack file is missing or the catalog is damaged; restore missing packs from a copy of the repository, then run 'strata index --rebuild %s'",
		t->repo.catalog, (unsigned long long)f->seq, f->tidx, t->repo.path);
	return TREE_LOGGED;
}

int tree_table_file(struct tree *t, uint64_t seq, uint32_t tidx, enum view_format fmt,
		    struct rd_file *f)
{
	int rc = 0;
	f->seq = seq;
	f->tidx = tidx;
	if (fmt == VIEW_CSV)
		rc = catalog_table_text(&t->cat, seq, tidx, CAT_TEXT_HEADER, &f->text, &f->text_len);
	if (!rc)
		rc = catalog_table_chunks(&t->cat, seq, tidx, false, &f->chunks, &f->nchunks);
	if (!rc)
		rc = check_chunk_list(t, f, fmt);
	if (!rc)
		rc = tree_file_view(t, f, fmt);
	if (!rc)
		rd_file_set_size(f);
	return rc;
}

int tree_table_ops(struct tree *t, uint64_t seq, uint32_t tidx, const char *op, bool csv,
		   struct rd_file *f)
{
	char *name, **cols;
	unsigned ncols, flags, rev;
	int rc;
	f->seq = seq;
	f->tidx = tidx;
	rc = catalog_table_chunks(&t->cat, seq, tidx, false, &f->chunks, &f->nchunks);
	if (!rc)
		rc = check_chunk_list(t, f, VIEW_JSONL);
	if (!rc)
		rc = catalog_table_names(&t->cat, seq, tidx, &name, &cols, &ncols, &flags, &rev);
	if (rc)
		return rc;
	rd_file_set_view(f, VIEW_JSONL, name, cols, ncols, (flags & TABLE_WITHOUT_ROWID) != 0, rev);
	rd_file_set_op(f, op, csv);
	for (unsigned c = 0; c < ncols; c++)
		free(cols[c]);
	free(cols);
	free(name);
	rd_file_set_size(f);
	return 0;
}

static int csv_open(struct tree *t, const struct node *n, struct rd_file *f)
{
	return tree_table_file(t, n->seq, n->tidx, (enum view_format)n->pos, f);
}

const struct node_kind node_table_csv = {
	.what = "table file", .fields = F_SEQ | F_TIDX | F_POS, .parents = PARENT(N_TABLE), .mode = S_IFREG,
	.find = csv_find, .each = csv_each, .stat = csv_stat, .open = csv_open,
};
