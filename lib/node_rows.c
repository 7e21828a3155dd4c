/*
 * node_rows.c - a table's rows by key range:
 *
 *   /<generation>/<table>/rows/                    one file per chunk ...
 *   /<generation>/<table>/rows/FIRST+LAST.csv      header + that chunk's rows
 *   /<generation>/<table>/rows/FIRST+LAST.jsonl    the same rows as JSONL, and
 *   /<generation>/<table>/rows/FIRST+LAST.sql      as INSERT statements
 *   /<generation>/<table>/rows/FIRST+LAST/         ... or, for a table of more
 *                                                  than ROWS_FLAT_MAX chunks,
 *                                                  key-range directories of
 *                                                  files (naming.h, "groups")
 *
 * One inode per row range: a row-range file has the same bytes in every
 * generation whose table holds its chunk with the same render id (the
 * CSV header, the table's name and columns, rowids, the views' revision:
 * catalog.c) and whose manifest records the same JSONL and SQL lengths for
 * it (struct cat_row_file), and one inode number in all of them: a hash of
 * the format and that identity (N_ROWS_FILE .. N_ROWS_SQL are located
 * nodes, tree_i.h).  Its st_nlink is the number of generations holding it,
 * its mtime the oldest one's time, so du, rsync -aH, tar and rsync's
 * size+mtime check see what stayed the same.  The address a number was
 * handed out with is where it was found; a prune may remove that
 * generation, and the file is then read where the newest holder has it.
 */
#include "tree_i.h"
#include "strata/naming.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- rows/ ---- */

static int rows_find(struct tree *t, const struct node *parent, const char *name,
		     struct node *child)
{
	return tree_child_find(t, "rows", N_ROWS, parent, name, child);
}

static int rows_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	return tree_child_each(t, d, "rows", N_ROWS, parent);
}

static int rows_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	return tree_table_dir_stat(t, n, st, flags);
}

const struct node_kind node_rows = {
	.what = "rows directory", .fields = F_SEQ | F_TIDX, .parents = PARENT(N_TABLE), .mode = S_IFDIR,
	.find = rows_find, .each = rows_each, .stat = rows_stat,
};

/* ---- key-range directories of huge tables ---- */

static int group_find(struct tree *t, const struct node *parent, const char *name,
		      struct node *child)
{
	struct cat_table tb;
	struct cat_group gr;
	int rc = tree_table(t, parent, NULL, &tb);
	if (rc)
		return rc;
	if (tb.nchunks <= ROWS_FLAT_MAX)
		return -ENOENT;
	rc = catalog_group_by_name(&t->cat, parent->seq, parent->tidx, name, &gr);
	if (rc)
		return rc;
	free(gr.name);
	if (gr.grp > NODE_POS_MAX)
		return -ENOENT;
	*child = node_make(N_ROWS_GROUP, parent->seq, parent->tidx, gr.grp);
	return 0;
}

static int group_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	struct cat_table tb;
	struct cat_group *g;
	size_t n;
	int rc = tree_table(t, parent, NULL, &tb);
	if (rc || tb.nchunks <= ROWS_FLAT_MAX)
		return rc;
	rc = catalog_table_groups(&t->cat, parent->seq, parent->tidx, &g, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct node c = node_make(N_ROWS_GROUP, parent->seq, parent->tidx, g[i].grp);
		if (g[i].grp <= NODE_POS_MAX && tree_name_ok(t, g[i].name))
			tree_dir_add(d, g[i].name, &c, S_IFDIR);
	}
	catalog_free_groups(g, n);
	return 0;
}

static int group_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_group gr;
	int rc = tree_table_dir_stat(t, n, st, flags);
	if (!rc)
		rc = catalog_group_by_idx(&t->cat, n->seq, n->tidx, n->pos, &gr);
	if (!rc)
		free(gr.name);
	return rc;
}

const struct node_kind node_rows_group = {
	.what = "key-range directory", .fields = F_SEQ | F_TIDX | F_POS, .parents = PARENT(N_ROWS), .mode = S_IFDIR,
	.find = group_find, .each = group_each, .stat = group_stat,
};

/* ---- row-range files ---- */

/*
 * The chunks a rows directory holds: all of a table of at most
 * ROWS_FLAT_MAX chunks (rows/), or those of one group; *n 0 when it holds
 * none (the rows/ of a huge table holds groups).
 */
static int rows_span(struct tree *t, const struct node *parent, const struct cat_table *tb,
		     uint32_t *first, uint32_t *n)
{
	struct cat_group gr;
	int rc;

	if (parent->type == N_ROWS_GROUP) {
		rc = catalog_group_by_idx(&t->cat, parent->seq, parent->tidx, parent->pos, &gr);
		if (rc)
			return rc;
		free(gr.name);
		*first = gr.first;
		*n = gr.n;
		return 0;
	}
	*first = 0;
	*n = tb->nchunks <= ROWS_FLAT_MAX ? (uint32_t)tb->nchunks : 0;
	return 0;
}

/* The format of a row-range file node, and its node type. */
static enum view_format file_format(enum node_type ty)
{
	return ty == N_ROWS_JSONL ? VIEW_JSONL : ty == N_ROWS_SQL ? VIEW_SQL : VIEW_CSV;
}

static enum node_type file_type(enum view_format f)
{
	return f == VIEW_JSONL ? N_ROWS_JSONL : f == VIEW_SQL ? N_ROWS_SQL : N_ROWS_FILE;
}

#define FILE_KEY_LEN (16 + 3 * 8) /* chunk id; render id, JSONL and SQL lengths (little-endian) */

/* The file chunk ch of a table of render id `render` is. */
static struct cat_row_file file_of(const struct cat_chunk *ch, uint64_t render)
{
	return (struct cat_row_file){ ch->e.id, render, ch->jsonl_len, ch->sql_len };
}

static bool same_file(const struct cat_row_file *a, const struct cat_row_file *b)
{
	return !memcmp(a->id.b, b->id.b, 16) && a->render == b->render &&
	       a->jsonl_len == b->jsonl_len && a->sql_len == b->sql_len;
}

static struct node file_node(enum view_format f, uint64_t seq, uint32_t tidx, uint32_t seqno,
			     const struct cat_row_file *rf)
{
	struct node c = node_make(file_type(f), seq, tidx, seqno);
	memcpy(c.key, rf->id.b, 16);
	put_u64le((uint8_t *)c.key + 16, rf->render);
	put_u64le((uint8_t *)c.key + 24, rf->jsonl_len);
	put_u64le((uint8_t *)c.key + 32, rf->sql_len);
	c.keylen = FILE_KEY_LEN;
	return c;
}

/*
 * Where row-range file n is now, in *seq, tb and ch: where it was found if
 * that generation still holds the same bytes there, else where the newest
 * generation holding them does (remembered for the next use).  With
 * count, h counts the generations holding it and gives the oldest one's
 * time (its mtime: the generation's own row is not needed).
 */
static int file_locate(struct tree *t, const struct node *n, bool count, uint64_t *seq,
		       struct cat_table *tb, struct cat_chunk *ch, struct cat_holders *h)
{
	struct cat_row_file want, got;
	struct cat_holders mine;
	bool here;
	int rc;

	if (!h)
		h = &mine;
	if (n->keylen != FILE_KEY_LEN)
		return -ENOENT;
	memcpy(want.id.b, n->key, 16);
	want.render = get_u64le((const uint8_t *)n->key + 16);
	want.jsonl_len = get_u64le((const uint8_t *)n->key + 24);
	want.sql_len = get_u64le((const uint8_t *)n->key + 32);
	*seq = n->seq;
	rc = tree_table(t, n, NULL, tb);
	if (!rc)
		rc = catalog_chunk_by_seqno(&t->cat, n->seq, n->tidx, n->pos, ch);
	if (rc && rc != -ENOENT)
		return rc;
	if (!rc)
		got = file_of(ch, tb->render_id);
	here = !rc && same_file(&got, &want);
	if (here && !count)
		return 0;
	rc = catalog_file_holders(&t->cat, &want, !here, count, h);
	if (rc || !h->count)
		return rc ? rc : -ENOENT;
	if (here)
		return 0;
	struct node at = file_node(file_format(n->type), h->seq, h->tidx, h->seqno, &want);
	*seq = at.seq;
	rc = tree_table(t, &at, NULL, tb);
	if (!rc)
		rc = catalog_chunk_by_seqno(&t->cat, at.seq, at.tidx, at.pos, ch);
	if (!rc && (at.seq > NODE_SEQ_MAX || at.tidx > NODE_TIDX_MAX || at.pos > NODE_POS_MAX))
		rc = -ENOENT;
	if (!rc)
		rc = nodemap_put(t->names, node_ino(n), &at, 0);
	return rc;
}

/*
 * The catalog names each chunk by its CSV file name; the JSONL and SQL
 * files are the same name with their own extension.
 */
static int file_find_fmt(struct tree *t, const struct node *parent, const char *name,
			 enum view_format f, struct node *child)
{
	struct cat_table tb;
	struct cat_chunk ch;
	uint32_t first, n;
	const char *ext = view_ext(f);
	size_t nl = strlen(name), el = strlen(ext);
	int rc;

	if (nl <= el + 1 || name[nl - el - 1] != '.' || strcmp(name + nl - el, ext))
		return -ENOENT;
	rc = tree_table(t, parent, NULL, &tb);
	if (!rc && !tree_format_served(t, &tb, f))
		rc = -ENOENT;
	if (!rc)
		rc = rows_span(t, parent, &tb, &first, &n);
	if (rc)
		return rc;
	char *csv = xasprintf("%.*s.csv", (int)(nl - el - 1), name);
	rc = catalog_chunk_by_name(&t->cat, parent->seq, parent->tidx, csv, &ch);
	free(csv);
	if (rc)
		return rc;
	if (ch.seqno > NODE_POS_MAX || ch.seqno < first || ch.seqno - first >= n)
		return -ENOENT;
	struct cat_row_file rf = file_of(&ch, tb.render_id);
	*child = file_node(f, parent->seq, parent->tidx, ch.seqno, &rf);
	return 0;
}

/*
 * The files of a rows directory, every served format of each chunk
 * together: A+B.csv, A+B.jsonl, A+B.sql, C+D.csv ... which is byte order
 * ("c" < "j" < "s"), as `ls` sorts.  The CSV kind lists them all; the JSONL
 * and SQL kinds only find.
 */
static int file_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	struct cat_chunk *ch;
	uint32_t first, n;
	size_t nch;
	struct cat_table tb;
	int rc = tree_table(t, parent, NULL, &tb);
	if (!rc)
		rc = rows_span(t, parent, &tb, &first, &n);
	if (rc || !n)
		return rc;
	if (parent->type == N_ROWS_GROUP)
		rc = catalog_table_chunk_range(&t->cat, parent->seq, parent->tidx, first, n, true,
					       &ch, &nch);
	else
		rc = catalog_table_chunks(&t->cat, parent->seq, parent->tidx, true, &ch, &nch);
	if (rc)
		return rc;
	for (size_t i = 0; i < nch; i++) {
		size_t l = strlen(ch[i].fname);
		if (ch[i].seqno > NODE_POS_MAX || l < 5 || !tree_name_ok(t, ch[i].fname))
			continue;
		struct cat_row_file rf = file_of(&ch[i], tb.render_id);
		for (unsigned f = 0; f < VIEW_FORMATS; f++) {
			struct node c = file_node((enum view_format)f, parent->seq, parent->tidx,
						  ch[i].seqno, &rf);
			if (!tree_format_served(t, &tb, f))
				continue;
			char *name = xasprintf("%.*s.%s", (int)(l - 4), ch[i].fname,
					       view_ext((enum view_format)f));
			if (strlen(name) <= 255 && tree_name_ok(t, name))
				tree_dir_add(d, name, &c, S_IFREG);
			free(name);
		}
	}
	catalog_free_chunks(ch, nch);
	return 0;
}

static int file_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	enum view_format f = file_format(n->type);
	uint64_t seq;
	struct cat_table tb;
	struct cat_chunk ch;
	struct cat_holders h;
	int rc = file_locate(t, n, true, &seq, &tb, &ch, &h);
	if (!rc && !tree_format_served(t, &tb, f))
		rc = -ENOENT;
	if (rc)
		return rc;
	tree_fill(t, st, n, S_IFREG,
		  f == VIEW_JSONL ? ch.jsonl_len : f == VIEW_SQL ? ch.sql_len
		  : tb.header_len + ch.e.csv_len, h.first_time);
	st->st_nlink = h.count > 0xffffffffu ? 0xffffffffu : (nlink_t)h.count;
	/* what the repository stores for it: the compressed chunk, counted by its CSV file */
	if (f == VIEW_CSV && ch.e.clen > 512)
		st->st_blocks = (blkcnt_t)(((uint64_t)ch.e.clen + 511) / 512);
	/* the bytes never change; the number of generations holding them may */
	*flags |= TREE_LIVE_ATTR;
	return 0;
}

static int file_open(struct tree *t, const struct node *n, struct rd_file *f)
{
	enum view_format fmt = file_format(n->type);
	uint64_t seq;
	struct cat_table tb;
	struct cat_chunk ch;
	int rc = file_locate(t, n, false, &seq, &tb, &ch, NULL);
	if (rc)
		return rc;
	f->seq = seq;
	f->tidx = tb.tidx;
	if (fmt == VIEW_CSV)
		rc = catalog_table_text(&t->cat, f->seq, f->tidx, CAT_TEXT_HEADER, &f->text, &f->text_len);
	if (rc)
		return rc;
	f->chunks = xcalloc(1, sizeof(*f->chunks));
	f->chunks[0] = ch;
	f->nchunks = 1;
	/* the file is this chunk alone: its rows start at 0 */
	f->chunks[0].csv_off = f->chunks[0].jsonl_off = f->chunks[0].sql_off = 0;
	rc = tree_file_view(t, f, fmt);
	if (!rc)
		rd_file_set_size(f);
	return rc;
}

#define FILE_KIND(NAME, FMT, WHAT, EACH)                                                      \
	static int NAME##_find(struct tree *t, const struct node *p, const char *name,          \
			       struct node *c)                                                  \
	{                                                                                       \
		return file_find_fmt(t, p, name, FMT, c);                                       \
	}                                                                                       \
	const struct node_kind node_##NAME = {                                                  \
		.what = WHAT, .fields = F_SEQ | F_TIDX | F_POS,                                 \
		.parents = PARENT(N_ROWS) | PARENT(N_ROWS_GROUP), .mode = S_IFREG,                  \
		.find = NAME##_find, .each = EACH, .stat = file_stat, .open = file_open,        \
	}

FILE_KIND(rows_file, VIEW_CSV, "row-range file", file_each);
FILE_KIND(rows_jsonl, VIEW_JSONL, "row-range JSONL file", NULL);
FILE_KIND(rows_sql, VIEW_SQL, "row-range SQL file", NULL);
