/*
 * node_changes.c - what changed in a table:
 *
 *   <gen>/<table>/changes.csv, changes.jsonl   the rows that differ from the
 *       previous generation holding the table (tablediff.h), in key order:
 *       first the op (insert, update, delete), then the row (new values;
 *       old ones for a delete).  CSV has a header ("op," and the table's
 *       header), and is only that when nothing changed; a table new in its
 *       generation is all inserts.  JSONL where the table's JSONL is
 *       served.  A hashed number whose identity holds the generation it
 *       compares with (position = format), and a one-second entry: when a
 *       prune removes that generation, the name soon names a new node and
 *       the old number no longer opens (never the old size over new bytes).
 *
 * and `strata diff` (tree_diff), which prints the same for any two
 * generations.  The file is made whole at lookup (its size is exact
 * before the first read) and kept in the text cache; one larger than
 * CHANGES_MEM_MAX is refused with a line saying to use `strata diff`,
 * which streams.  A table named "changes" keeps its own changes.csv (its
 * whole table); its changes are then only in `strata diff`.
 */
#include "tree_i.h"
#include "strata/log.h"
#include "strata/manifest.h"
#include "strata/render.h"
#include "strata/tablediff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANGES_MEM_MAX (256u << 20)

static const char *const FILES[] = { "changes.csv", "changes.jsonl" };

/* a version of a table, with its flags; tidx < 0: none */
static int side_of(struct tree *t, uint64_t seq, int64_t tidx, struct tdiff_side *s)
{
	struct cat_table tb;
	s->seq = seq;
	s->tidx = tidx;
	s->flags = 0;
	if (tidx < 0)
		return 0;
	int rc = catalog_table_by_idx(&t->cat, seq, (uint32_t)tidx, &tb);
	if (rc)
		return rc;
	free(tb.dirname);
	s->flags = tb.flags;
	return 0;
}

struct changes {
	struct tree *t;
	enum view_format fmt;
	struct row_render r[2];
	struct buf line;
	int (*emit)(void *arg, const void *p, size_t n);
	void *arg;
};

static int change_row(void *arg, enum tdiff_op op, int side, const struct buf *onerow)
{
	struct changes *c = arg;
	const char *name = tdiff_op_name(op);
	buf_reset(&c->line);
	int rc = row_render(c->t, &c->r[side], onerow, &c->line);
	if (rc)
		return rc;
	if (c->fmt == VIEW_CSV) {
		rc = c->emit(c->arg, name, strlen(name));
		if (!rc)
			rc = c->emit(c->arg, ",", 1);
		if (!rc)
			rc = c->emit(c->arg, c->line.data, c->line.len);
	} else {
		char pre[32];
		int n = snprintf(pre, sizeof(pre), "{\"op\":\"%s\",", name);
		rc = c->emit(c->arg, pre, (size_t)n);
		if (!rc)
			rc = c->emit(c->arg, c->line.data + 1, c->line.len - 1);
	}
	return rc;
}

/* The changes from old to new (either may be absent), header included, through emit. */
static int changes_emit(struct tree *t, const struct tdiff_side *old, const struct tdiff_side *new,
			enum view_format fmt, int (*emit)(void *, const void *, size_t), void *arg)
{
	struct changes c = { .t = t, .fmt = fmt, .line = BUF_INIT, .emit = emit, .arg = arg };
	const struct tdiff_side *hs = new->tidx >= 0 ? new : old;
	bool replaced;
	int rc = 0;

	if (fmt == VIEW_CSV) {
		char *hdr;
		size_t hl;
		rc = catalog_table_text(&t->cat, hs->seq, (uint32_t)hs->tidx, CAT_TEXT_HEADER, &hdr, &hl);
		if (!rc)
			rc = emit(arg, "op,", 3);
		if (!rc)
			rc = emit(arg, hdr, hl);
		free(hdr);
	}
	if (!rc && old->tidx >= 0)
		rc = row_render_init(t, old->seq, (uint32_t)old->tidx, fmt, &c.r[0]);
	if (!rc && new->tidx >= 0)
		rc = row_render_init(t, new->seq, (uint32_t)new->tidx, fmt, &c.r[1]);
	if (!rc)
		rc = table_diff(&t->cat, t->reader, old, new, &replaced, change_row, &c);
	if (rc == -ENODATA) {
		log_msg("catalog '%s' does not hold every chunk of generation %llu or %llu: a pack file is missing or the catalog is damaged; restore missing packs from a copy of the repository, then run 'strata index --rebuild %s'",
			t->repo.catalog, (unsigned long long)old->seq, (unsigned long long)new->seq,
			t->repo.path);
		rc = TREE_LOGGED;
	}
	if (rc == -EIO || rc == -EUCLEAN) {
		/* the reader logged a chunk it could not read; these two are said here */
		if (rc == -EUCLEAN)
			log_msg("a chunk of generation %llu or %llu does not decode; run 'strata verify %s'",
				(unsigned long long)old->seq, (unsigned long long)new->seq,
				t->repo.path);
		rc = TREE_LOGGED;
	}
	row_render_release(&c.r[0]);
	row_render_release(&c.r[1]);
	buf_release(&c.line);
	return rc;
}

static int emit_buf(void *arg, const void *p, size_t n)
{
	struct buf *b = arg;
	if (b->len + n > CHANGES_MEM_MAX)
		return -EFBIG;
	buf_add(b, p, n);
	return 0;
}

/* The generation before seq holding table tidx (the newest older one): *pseq, 0 for none. */
static int prev_seq(struct tree *t, uint64_t seq, uint32_t tidx, uint64_t *pseq, uint32_t *ptidx)
{
	struct cat_table tb;
	int rc = catalog_table_by_idx(&t->cat, seq, tidx, &tb);
	if (rc)
		return rc;
	*pseq = 0;
	*ptidx = 0;
	rc = catalog_table_before(&t->cat, tb.dirname, seq, pseq, ptidx);
	free(tb.dirname);
	if (rc == -ENOENT) {
		*pseq = 0;
		rc = 0;
	}
	return rc;
}

/*
 * The changes node of table n (its seq and tidx) in format f as the catalog
 * has it now: its key is the seq of the generation before, *pseq (0: none).
 */
static int prev_node(struct tree *t, const struct node *n, unsigned f, struct node *c,
		     uint64_t *pseq, uint32_t *ptidx)
{
	char key[24];
	int rc = prev_seq(t, n->seq, n->tidx, pseq, ptidx);
	if (rc)
		return rc;
	snprintf(key, sizeof(key), "%llu", (unsigned long long)*pseq);
	return node_make_named(c, N_CHANGES, n->seq, n->tidx, f, key, NULL);
}

/*
 * The version of the table before generation seq: the newest older
 * generation holding it, which must still be the one the node was made for
 * (a prune may have removed it: the name then names another node).
 */
static int previous(struct tree *t, const struct node *n, struct tdiff_side *old,
		    struct tdiff_side *new)
{
	uint64_t pseq;
	uint32_t ptidx;
	struct node now;
	int rc = prev_node(t, n, (unsigned)n->pos, &now, &pseq, &ptidx);
	if (rc)
		return rc;
	if (strcmp(now.key, n->key))
		return -ENOENT; /* the previous generation changed since the lookup */
	rc = side_of(t, n->seq, n->tidx, new);
	if (!rc)
		rc = !pseq ? side_of(t, 0, -1, old) : side_of(t, pseq, ptidx, old);
	return rc;
}

/* The changes node of table parent in format f, named after the generation it compares with. */
static int changes_node(struct tree *t, const struct node *parent, unsigned f, struct node *c)
{
	uint64_t pseq;
	uint32_t ptidx;
	return prev_node(t, parent, f, c, &pseq, &ptidx);
}

static int changes_text(struct tree *t, const struct node *n, struct buf *out)
{
	struct tdiff_side old, new;
	int rc = previous(t, n, &old, &new);
	if (!rc)
		rc = changes_emit(t, &old, &new, (enum view_format)n->pos, emit_buf, out);
	if (rc == -EFBIG) {
		log_msg("the changes of table %u of generation %llu are larger than %u MiB; print them with 'strata diff %s GEN_A GEN_B --table TABLE'",
			n->tidx, (unsigned long long)n->seq, CHANGES_MEM_MAX >> 20, t->repo.path);
		rc = TREE_LOGGED;
	}
	return rc;
}

/*
 * Whether the table has changes files in format f: CSV, and JSONL where the
 * table's JSONL is served; none when its own files take the names (a table
 * named "changes").  1 yes, 0 no, < 0 an error.
 */
static int changes_served(struct tree *t, const struct node *table, unsigned f)
{
	struct cat_table tb;
	int rc = catalog_table_by_idx(&t->cat, table->seq, table->tidx, &tb);
	if (rc)
		return rc;
	rc = strcmp(tb.dirname, "changes") && tree_format_served(t, &tb, f);
	free(tb.dirname);
	return rc;
}

static int changes_find(struct tree *t, const struct node *parent, const char *name,
			struct node *child)
{
	for (unsigned f = 0; f < 2; f++) {
		if (strcmp(name, FILES[f]))
			continue;
		int rc = changes_served(t, parent, f);
		if (rc <= 0)
			return rc < 0 ? rc : -ENOENT;
		return changes_node(t, parent, f, child);
	}
	return -ENOENT;
}

static int changes_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	for (unsigned f = 0; f < 2; f++) {
		struct node c;
		int rc = changes_served(t, parent, f);
		if (rc > 0) {
			int nrc = changes_node(t, parent, f, &c);
			rc = nrc == -ENOENT ? 0 : nrc ? nrc : 1; /* a name too long for a node: not listed */
		}
		if (rc < 0)
			return rc;
		if (rc)
			tree_dir_add(d, FILES[f], &c, S_IFREG);
	}
	return 0;
}

/*
 * A table new in its generation: every row an insert, served from its
 * chunks as they are read (rd_file_set_op), never made whole; its size
 * is known from the catalog.  *all: whether that is the case.
 */
static int all_inserts(struct tree *t, const struct node *n, bool *all, struct cat_table *tb)
{
	struct tdiff_side old, new;
	int rc = previous(t, n, &old, &new);
	*all = !rc && old.tidx < 0;
	if (!rc && *all)
		rc = catalog_table_by_idx(&t->cat, n->seq, n->tidx, tb);
	if (!rc && *all)
		free(tb->dirname);
	return rc;
}

static const char OP_INSERT[] = "insert";

static int changes_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	struct cat_table tb;
	uint64_t len;
	bool all;
	int rc = n->pos < 2 ? tree_gen(t, n->seq, &g) : -ENOENT;
	if (!rc)
		rc = changes_served(t, n, n->pos);
	rc = rc < 0 ? rc : rc ? 0 : -ENOENT; /* a number no listing has names nothing */
	if (!rc)
		rc = all_inserts(t, n, &all, &tb);
	if (!rc && all)
		len = n->pos == VIEW_CSV ? 3 + tb.header_len + tb.csv_size + tb.nrows * (sizeof(OP_INSERT))
		      : tb.jsonl_size + tb.nrows * (sizeof(OP_INSERT) - 1 + 8);
	else if (!rc)
		rc = tree_text(t, n, changes_text, NULL, &len);
	if (!rc)
		tree_fill(t, st, n, S_IFREG, len, g.time);
	/* looked up again within a second: a prune may change what it compares with */
	*flags = TREE_LIVE;
	return rc;
}

static int changes_open(struct tree *t, const struct node *n, struct rd_file *f)
{
	struct cat_table tb;
	bool all;
	int rc = n->pos < 2 ? changes_served(t, n, n->pos) : -ENOENT;
	rc = rc < 0 ? rc : rc ? 0 : -ENOENT;
	if (!rc)
		rc = all_inserts(t, n, &all, &tb);
	if (!rc && all) {
		rc = tree_table_ops(t, n->seq, n->tidx, OP_INSERT, n->pos == VIEW_CSV, f);
		if (!rc && n->pos == VIEW_CSV) {
			char *hdr;
			size_t hl;
			rc = catalog_table_text(&t->cat, n->seq, n->tidx, CAT_TEXT_HEADER, &hdr, &hl);
			if (!rc) {
				f->text = xasprintf("op,%.*s", (int)hl, hdr);
				f->text_len = 3 + hl;
				rd_file_set_size(f);
			}
			free(hdr);
		}
	} else if (!rc) {
		rc = tree_text_open(t, n, changes_text, f);
	}
	return rc;
}

const struct node_kind node_changes = {
	.what = "changes", .fields = F_SEQ | F_TIDX | F_POS, .parents = PARENT(N_TABLE),
	.mode = S_IFREG, .find = changes_find, .each = changes_each, .stat = changes_stat,
	.open = changes_open,
};

/* ---- strata diff ---- */

static int emit_file(void *arg, const void *p, size_t n)
{
	return fwrite(p, 1, n, arg) == n ? 0 : -EIO;
}

struct emit_count {
	FILE *out;
	const char *title; /* printed before the first row, then NULL */
	uint64_t bytes;
	uint64_t skip;     /* the header: printed with the first row */
	struct buf head;
};

static int emit_section(void *arg, const void *p, size_t n)
{
	struct emit_count *e = arg;
	if (e->bytes < e->skip) {
		buf_add(&e->head, p, n);
		e->bytes += n;
		return 0;
	}
	if (e->title) {
		fprintf(e->out, "==> %s <==\n", e->title);
		e->title = NULL;
		if (e->head.len && fwrite(e->head.data, 1, e->head.len, e->out) != e->head.len)
			return -EIO; /* JSONL has no header (and fwrite no NULL) */
	}
	e->bytes += n;
	return emit_file(e->out, p, n);
}

static int by_dirname(const void *a, const void *b)
{
	return strcmp(((const struct cat_table *)a)->dirname, ((const struct cat_table *)b)->dirname);
}

/* A generation's tables sorted by directory name. */
static int gen_tables(struct tree *t, uint64_t seq, struct cat_table **tb, size_t *n)
{
	int rc = catalog_list_tables(&t->cat, seq, tb, n);
	if (!rc)
		qsort(*tb, *n, sizeof(**tb), by_dirname);
	return rc;
}

int tree_diff(struct tree *t, const char *gen_a, const char *gen_b, const char *table,
	      enum view_format fmt, FILE *out, char **err)
{
	struct cat_gen ga, gb;
	struct cat_table *ta = NULL, *tb = NULL;
	size_t na = 0, nb = 0;
	int rc;

	tree_lock(t);
	rc = catalog_gen_by_name(&t->cat, gen_a, &ga);
	if (rc == -ENOENT)
		*err = xasprintf("no generation '%s' in '%s'; list them with 'strata ls %s'", gen_a,
				 t->repo.path, t->repo.path);
	if (!rc) {
		rc = catalog_gen_by_name(&t->cat, gen_b, &gb);
		if (rc == -ENOENT)
			*err = xasprintf("no generation '%s' in '%s'; list them with 'strata ls %s'",
					 gen_b, t->repo.path, t->repo.path);
	}
	if (!rc)
		rc = gen_tables(t, ga.seq, &ta, &na);
	if (!rc)
		rc = gen_tables(t, gb.seq, &tb, &nb);
	if (!rc && table) {
		bool any = false;
		for (size_t i = 0; i < na; i++)
			any |= !strcmp(ta[i].dirname, table);
		for (size_t i = 0; i < nb; i++)
			any |= !strcmp(tb[i].dirname, table);
		if (!any) {
			*err = xasprintf("neither '%s' nor '%s' has a table '%s' (give its directory name, as 'strata ls %s %s' lists it)",
					 gen_a, gen_b, table, t->repo.path, gen_b);
			rc = -ENOENT;
		}
	}
	/* every table of either, by directory name (both lists are sorted by it) */
	size_t i = 0, k = 0;
	while (!rc && (i < na || k < nb)) {
		int c = i == na ? 1 : k == nb ? -1 : strcmp(ta[i].dirname, tb[k].dirname);
		const char *dir = c <= 0 ? ta[i].dirname : tb[k].dirname;
		struct tdiff_side old, new;
		rc = side_of(t, ga.seq, c <= 0 ? (int64_t)ta[i].tidx : -1, &old);
		if (!rc)
			rc = side_of(t, gb.seq, c >= 0 ? (int64_t)tb[k].tidx : -1, &new);
		if (!rc && table && !strcmp(dir, table)) {
			rc = changes_emit(t, &old, &new, fmt, emit_file, out);
		} else if (!rc && !table) {
			struct emit_count e = { out, dir, 0, 0, BUF_INIT };
			if (fmt == VIEW_CSV) {
				/* the header is "op," and the table's header line */
				char *hdr;
				size_t hl;
				const struct tdiff_side *hs = new.tidx >= 0 ? &new : &old;
				rc = catalog_table_text(&t->cat, hs->seq, (uint32_t)hs->tidx,
							CAT_TEXT_HEADER, &hdr, &hl);
				e.skip = 3 + hl;
				free(hdr);
			}
			if (!rc)
				rc = changes_emit(t, &old, &new, fmt, emit_section, &e);
			buf_release(&e.head);
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			k++;
	}
	if (rc && !*err)
		*err = xasprintf("cannot compare '%s' and '%s' in '%s': %s; see the lines above, or run 'strata verify %s'",
				 gen_a, gen_b, t->repo.path, rc == TREE_LOGGED ? "a chunk could not be read" : strerror(rc < 0 ? -rc : rc),
				 t->repo.path);
	catalog_free_tables(ta, na);
	catalog_free_tables(tb, nb);
	tree_unlock(t, 0);
	return rc ? (rc == -ENOENT ? -ENOENT : -EIO) : 0;
}
