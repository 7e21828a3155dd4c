/*
 * node_key.c - one row by its key:
 *
 *   <gen>/<table>/key/                lookup-only (lists nothing)
 *   <gen>/<table>/key/<KEY>.<ext>     that row: the table's CSV header and
 *                                     its line, its JSONL line, or its INSERT
 *   /tables/<table>/key/<KEY>.<ext>   every distinct version of that row, oldest
 *                                     first (csv, jsonl): generation, op, the row
 *
 * KEY is a key name (rowkey.h, docs/FORMAT.md "Key names"): the primary
 * key's values, or the rowid for a table without a declared one (and for
 * tables of generations stored in rowid order, before the key order).
 *
 * A lookup finds the chunk that may hold the key by a binary search over
 * the chunks' first and last keys in the catalog (a few indexed point
 * queries) and reads that one chunk; a key outside every chunk's range
 * reads nothing.  The file's text is made at lookup, so its size is exact,
 * and kept in the tree's text cache (tree_text) for the open that follows.
 * A row's history reads a chunk only where the chunk holding the key's
 * range differs from the previous generation's (struct key_memo): the same
 * chunk is the same rows.
 */
#include "tree_i.h"
#include "strata/log.h"
#include "strata/manifest.h"
#include "strata/render.h"
#include "strata/rowkey.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- <gen>/<table>/key ---- */

static int key_dir_find(struct tree *t, const struct node *parent, const char *name,
			struct node *child)
{
	return tree_child_find(t, "key", N_KEY_DIR, parent, name, child);
}

static int key_dir_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	return tree_child_each(t, d, "key", N_KEY_DIR, parent);
}

const struct node_kind node_key_dir = {
	.what = "key directory", .fields = F_SEQ | F_TIDX, .parents = PARENT(N_TABLE),
	.mode = S_IFDIR, .find = key_dir_find, .each = key_dir_each, .stat = tree_table_dir_stat,
};

/* ---- finding a key ---- */

/* Where a key is in one table of one generation. */
struct key_hit {
	bool found;
	struct buf row;  /* found: a one-row chunk (shape header + the row) */
};

/*
 * What a row's history remembers between generations: per candidate key,
 * the last chunk it was looked for in and what was found there, so a
 * generation whose chunk is the same reads nothing.
 */
struct key_memo {
	bool valid[KEYNAME_MAX_CANDIDATES];
	struct chunk_id id[KEYNAME_MAX_CANDIDATES];
	bool found[KEYNAME_MAX_CANDIDATES];
	struct buf row[KEYNAME_MAX_CANDIDATES];
};

struct row_match {
	const uint8_t *key;
	size_t klen;
	uint64_t nvals;
	size_t hdr;
	const uint8_t *chunk;
	struct buf *out;
	bool found;
};

static int row_match_fn(void *arg, const uint8_t *key, size_t klen, const uint8_t *row,
			size_t rlen)
{
	struct row_match *m = arg;
	int c = key_compare_prefix(key, klen, m->key, m->klen, m->nvals);
	if (c < 0)
		return 0;
	if (c == 0) {
		buf_reset(m->out);
		buf_add(m->out, m->chunk, m->hdr);
		buf_add(m->out, row, rlen);
		m->found = true;
	}
	return 1; /* rows are in key order: nothing further can match */
}

/*
 * Look the candidate keys of a name up in table tidx of generation seq
 * (nchunks chunks, table flags): the first candidate found wins.  memo
 * (NULL: none) skips the read of a chunk it has the answer for.
 */
static int key_locate(struct tree *t, uint64_t seq, uint32_t tidx, uint64_t nchunks,
		      unsigned flags, struct buf *cands, size_t ncands, struct key_memo *memo,
		      struct key_hit *hit)
{
	struct buf first = BUF_INIT, last = BUF_INIT, typed = BUF_INIT;
	unsigned ucomp = 0;
	int rc = 0;

	hit->found = false;
	if (nchunks) {
		rc = catalog_chunk_keys(&t->cat, seq, tidx, 0, &first, &last);
		/* the user names the declared key; key-ordered rowid tables end theirs with the rowid */
		ucomp = key_values(first.data, first.len);
		if (ucomp && (flags & TABLE_KEY_ORDER) && !(flags & TABLE_WITHOUT_ROWID))
			ucomp--;
	}
	for (size_t c = 0; !rc && !hit->found && c < ncands; c++) {
		const uint8_t *k = cands[c].data;
		size_t kn = cands[c].len;
		if (!ucomp || key_values(k, kn) != ucomp)
			continue;
		/* the first chunk whose last key is not below k */
		uint64_t lo = 0, hi = nchunks;
		while (!rc && lo < hi) {
			uint64_t mid = lo + (hi - lo) / 2;
			rc = catalog_chunk_keys(&t->cat, seq, tidx, (uint32_t)mid, &first, &last);
			if (!rc && key_compare_prefix(last.data, last.len, k, kn, ucomp) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (rc || lo == nchunks)
			continue;
		rc = catalog_chunk_keys(&t->cat, seq, tidx, (uint32_t)lo, &first, &last);
		if (rc || key_compare_prefix(first.data, first.len, k, kn, ucomp) > 0)
			continue; /* between two chunks: not there, nothing read */
		struct cat_chunk ch;
		rc = catalog_chunk_by_seqno(&t->cat, seq, tidx, (uint32_t)lo, &ch);
		if (rc == -ENOENT) {
			/* listed by the manifest, its pack not held: never a miss */
			log_msg("catalog '%s' does not hold chunk %llu of generation %llu, table %u: a pack file is missing or the catalog is damaged; restore missing packs from a copy of the repository, then run 'strata index --rebuild %s'",
				t->repo.catalog, (unsigned long long)lo, (unsigned long long)seq, tidx,
				t->repo.path);
			rc = TREE_LOGGED;
		}
		if (rc)
			break;
		if (memo && memo->valid[c] && !memcmp(memo->id[c].b, ch.e.id.b, 16)) {
			/* the same rows as where this key was looked for last */
			hit->found = memo->found[c];
			buf_reset(&hit->row);
			buf_add(&hit->row, memo->row[c].data, memo->row[c].len);
			continue;
		}
		buf_reset(&typed);
		if (reader_chunk_typed(t->reader, seq, tidx, &ch, &typed)) {
			rc = TREE_LOGGED;
			break;
		}
		struct row_match m = { k, kn, ucomp, 0, typed.data, &hit->row, false };
		int r = chunk_rows_each(typed.data, typed.len, &m.hdr, row_match_fn, &m);
		if (r < 0) {
			log_msg("a chunk of table %u of generation %llu does not decode; run 'strata verify %s'",
				tidx, (unsigned long long)seq, t->repo.path);
			rc = TREE_LOGGED;
			break;
		}
		hit->found = m.found;
		if (memo) {
			memo->valid[c] = true;
			memo->id[c] = ch.e.id;
			memo->found[c] = m.found;
			buf_reset(&memo->row[c]);
			if (m.found)
				buf_add(&memo->row[c], hit->row.data, hit->row.len);
		}
	}
	buf_release(&first);
	buf_release(&last);
	buf_release(&typed);
	return rc;
}

/* "<KEY>.<ext>": the key name and the format; -ENOENT when not a format served here. */
static int split_name(struct tree *t, const char *name, bool history, size_t *stem,
		      enum view_format *fmt)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return -ENOENT; /* ".csv" is the empty text key */
	for (unsigned f = 0; f < VIEW_FORMATS; f++) {
		if (strcmp(dot + 1, view_ext((enum view_format)f)))
			continue;
		if ((history && f == VIEW_SQL) || !(t->formats & 1u << f))
			return -ENOENT;
		*stem = (size_t)(dot - name);
		*fmt = (enum view_format)f;
		return 0;
	}
	return -ENOENT;
}

int row_render_init(struct tree *t, uint64_t seq, uint32_t tidx, enum view_format fmt,
		    struct row_render *r)
{
	char *name, **cols;
	unsigned ncols, flags, rev;
	int rc;
	memset(r, 0, sizeof(*r));
	r->fmt = fmt;
	r->seq = seq;
	r->tidx = tidx;
	if (fmt == VIEW_CSV)
		return 0;
	rc = catalog_table_names(&t->cat, seq, tidx, &name, &cols, &ncols, &flags, &rev);
	if (rc)
		return rc;
	view_table_init(&r->vt, name, cols, ncols, (flags & TABLE_WITHOUT_ROWID) != 0);
	if (rev)
		r->vt.rev = rev;
	r->have_vt = true;
	for (unsigned c = 0; c < ncols; c++)
		free(cols[c]);
	free(cols);
	free(name);
	return 0;
}

int row_render(struct tree *t, struct row_render *r, const struct buf *chunk, struct buf *out)
{
	uint64_t nrows;
	int rc = r->fmt == VIEW_CSV ? render_csv_chunk(chunk->data, chunk->len, out, &nrows)
		 : view_render_chunk(r->fmt, &r->vt, chunk->data, chunk->len, out, &nrows);
	if (rc) {
		log_msg("a row of table %u of generation %llu does not render; run 'strata verify %s'",
			r->tidx, (unsigned long long)r->seq, t->repo.path);
		rc = TREE_LOGGED;
	}
	return rc;
}

void row_render_release(struct row_render *r)
{
	if (r->have_vt)
		view_table_release(&r->vt);
	r->have_vt = false;
}

/* The table's rows of a typed chunk rendered in fmt (no header), as its files render them. */
static int render_rows(struct tree *t, uint64_t seq, uint32_t tidx, enum view_format fmt,
		       const struct buf *chunk, struct buf *out)
{
	struct row_render r;
	int rc = row_render_init(t, seq, tidx, fmt, &r);
	if (!rc)
		rc = row_render(t, &r, chunk, out);
	row_render_release(&r);
	return rc;
}

/* ---- <gen>/<table>/key/<KEY>.<ext> ---- */

static int key_file_text(struct tree *t, const struct node *n, struct buf *out)
{
	struct buf cands[KEYNAME_MAX_CANDIDATES];
	struct key_hit hit = { .row = BUF_INIT };
	struct cat_table tb;
	size_t ncands = 0;
	int rc = tree_table(t, n, NULL, &tb);
	if (rc)
		return rc;
	if (!tree_format_served(t, &tb, n->pos))
		return -ENOENT;
	for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		cands[i] = (struct buf)BUF_INIT;
	if (keyname_parse(n->key, n->keylen, cands, &ncands))
		rc = -ENOENT;
	if (!rc)
		rc = key_locate(t, n->seq, n->tidx, tb.nchunks, tb.flags, cands, ncands, NULL, &hit);
	if (!rc && !hit.found)
		rc = -ENOENT;
	if (!rc && n->pos == VIEW_CSV) {
		char *hdr;
		size_t hl;
		rc = catalog_table_text(&t->cat, n->seq, n->tidx, CAT_TEXT_HEADER, &hdr, &hl);
		if (!rc)
			buf_add(out, hdr, hl);
		free(hdr);
	}
	if (!rc)
		rc = render_rows(t, n->seq, n->tidx, (enum view_format)n->pos, &hit.row, out);
	for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		buf_release(&cands[i]);
	buf_release(&hit.row);
	return rc;
}

static int key_file_find(struct tree *t, const struct node *parent, const char *name,
			 struct node *child)
{
	enum view_format fmt;
	size_t stem;
	uint64_t len;
	char key[256];
	if (split_name(t, name, false, &stem, &fmt) || stem >= sizeof(key))
		return -ENOENT;
	memcpy(key, name, stem);
	key[stem] = 0;
	if (node_make_named(child, N_KEY_FILE, parent->seq, parent->tidx, fmt, key, NULL))
		return -ENOENT;
	return tree_text(t, child, key_file_text, NULL, &len);
}

static int text_stat(struct tree *t, const struct node *n, struct stat *st, int64_t time,
		     int (*make)(struct tree *, const struct node *, struct buf *))
{
	uint64_t len;
	int rc = tree_text(t, n, make, NULL, &len);
	if (!rc)
		tree_fill(t, st, n, S_IFREG, len, time);
	return rc;
}

static int key_file_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	int rc = tree_gen(t, n->seq, &g);
	return rc ? rc : text_stat(t, n, st, g.time, key_file_text);
}

static int key_file_open(struct tree *t, const struct node *n, struct rd_file *f)
{
	return tree_text_open(t, n, key_file_text, f);
}

const struct node_kind node_key_file = {
	.what = "row", .fields = F_SEQ | F_TIDX | F_POS, .parents = PARENT(N_KEY_DIR),
	.mode = S_IFREG, .find = key_file_find, .stat = key_file_stat, .open = key_file_open,
};

/* ---- /tables/<table>/key/<KEY>.<ext> ---- */

static void hist_line(struct buf *out, enum view_format fmt, const char *gen, const char *op,
		      const struct buf *row)
{
	if (fmt == VIEW_CSV) {
		render_csv_text(out, (const uint8_t *)gen, strlen(gen));
		buf_addf(out, ",%s,", op);
		buf_add(out, row->data, row->len);
	} else {
		buf_adds(out, "{\"generation\":");
		buf_add_json_str(out, gen, strlen(gen));
		buf_addf(out, ",\"op\":\"%s\",", op);
		buf_add(out, row->data + 1, row->len - 1); /* the row's object without its '{' */
	}
}

static int hist_key_text(struct tree *t, const struct node *n, struct buf *out)
{
	const char *table = n->key, *key = n->key + strlen(n->key) + 1;
	size_t keylen = n->keylen - strlen(n->key) - 1;
	enum view_format fmt = (enum view_format)n->pos;
	struct buf cands[KEYNAME_MAX_CANDIDATES];
	struct buf prev = BUF_INIT, line = BUF_INIT;
	struct key_memo *memo = xcalloc(1, sizeof(*memo));
	struct cat_version *v = NULL;
	size_t nv = 0, ncands = 0;
	bool have = false, any = false;
	int rc;

	for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		cands[i] = (struct buf)BUF_INIT;
	rc = keyname_parse(key, keylen, cands, &ncands) ? -ENOENT : 0;
	if (!rc)
		rc = catalog_table_versions(&t->cat, table, &v, &nv);
	if (!rc && !nv)
		rc = -ENOENT;
	if (!rc && fmt == VIEW_CSV) {
		/* the newest generation's columns */
		char *hdr;
		size_t hl;
		rc = catalog_table_text(&t->cat, v[nv - 1].seq, v[nv - 1].tidx, CAT_TEXT_HEADER, &hdr,
					&hl);
		if (!rc) {
			buf_adds(out, "generation,op,");
			buf_add(out, hdr, hl);
		}
		free(hdr);
	}
	for (size_t i = 0; !rc && i < nv; i++) {
		struct cat_table tb;
		const struct node g = node_make(N_TABLE, v[i].seq, v[i].tidx, 0);
		if (v[i].seq < 1 || v[i].seq > NODE_SEQ_MAX || tree_gen_reserved(v[i].name) ||
		    !tree_name_ok(t, v[i].name))
			continue;
		rc = tree_table(t, &g, NULL, &tb);
		if (rc)
			break;
		if (fmt != VIEW_CSV && !tree_format_served(t, &tb, fmt))
			continue; /* an old generation without JSONL */
		struct key_hit h = { .row = BUF_INIT };
		rc = key_locate(t, v[i].seq, v[i].tidx, tb.nchunks, tb.flags, cands, ncands, memo, &h);
		if (!rc) {
			/* the same row as the last version listed (or still none): nothing to say */
			const char *op = NULL;
			if (h.found && !have)
				op = "insert";
			else if (h.found && (h.row.len != prev.len || memcmp(h.row.data, prev.data, prev.len)))
				op = "update";
			else if (!h.found && have)
				op = "delete";
			if (op) {
				buf_reset(&line);
				rc = render_rows(t, v[i].seq, v[i].tidx, fmt, h.found ? &h.row : &prev, &line);
				if (!rc)
					hist_line(out, fmt, v[i].name, op, &line);
				any = true;
			}
			if (h.found) {
				buf_reset(&prev);
				buf_add(&prev, h.row.data, h.row.len);
			}
			have = h.found;
		}
		buf_release(&h.row);
	}
	if (!rc && !any)
		rc = -ENOENT; /* the key was never there */
	for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		buf_release(&cands[i]);
	buf_release(&prev);
	buf_release(&line);
	for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		buf_release(&memo->row[i]);
	free(memo);
	free(v);
	return rc;
}

static int hist_key_find(struct tree *t, const struct node *parent, const char *name,
			 struct node *child)
{
	enum view_format fmt;
	size_t stem;
	uint64_t len, stamp;
	char key[256];
	int rc;
	if (split_name(t, name, true, &stem, &fmt) || stem >= sizeof(key))
		return -ENOENT;
	memcpy(key, name, stem);
	key[stem] = 0;
	/*
	 * The history changes with every new generation: the catalog's stamp is
	 * part of the node's identity, so each answer has its own number and
	 * what the kernel keeps of one never goes stale.
	 */
	rc = catalog_gen_stamp(&t->cat, &stamp);
	if (rc)
		return rc;
	if (!stamp || node_make_named(child, N_HIST_KEY, stamp, 0, fmt, parent->key, key))
		return -ENOENT;
	return tree_text(t, child, hist_key_text, NULL, &len);
}

static int hist_key_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	int rc = text_stat(t, n, st, t->start_time, hist_key_text);
	/* the entry is looked up again within a second; this number's content never changes */
	if (!rc && catalog_latest(&t->cat, &g) == 0)
		st->st_mtime = st->st_ctime = (time_t)g.time;
	*flags = TREE_LIVE;
	return rc;
}

static int hist_key_open(struct tree *t, const struct node *n, struct rd_file *f)
{
	return tree_text_open(t, n, hist_key_text, f);
}

const struct node_kind node_hist_key = {
	.what = "row history", .fields = F_SEQ | F_POS, /* seq: the catalog's generation stamp */ .parents = PARENT(N_HIST_KEY_DIR),
	.mode = S_IFREG, .find = hist_key_find, .stat = hist_key_stat, .open = hist_key_open,
};
