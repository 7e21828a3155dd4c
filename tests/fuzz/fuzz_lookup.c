/*
 * Fuzz the mount's namespace itself: the tree (include/strata/tree.h,
 * lib/tree.c and the node kinds lib/node_*.c) that stratafs serves and
 * `strata cat` / `strata ls` walk, and the reader (lib/reader.c) of its
 * files.  The repository of lookup_fixture.h is built once and opened as
 * the mount opens it (tree_open, then tree_start with no read-ahead
 * thread); every input is one tree_lookup of a name in a directory or one
 * tree_stat of an inode number, checked against what the fixture wrote,
 * never against a second implementation of the mount:
 *
 *  - a name hits if and only if the fixture has that name in that
 *    directory (generation names and "latest" in the root; generation.json,
 *    schema.sql, the table directories, dump.sql and schema.pg.sql in a
 *    generation; schema.sql, schema.pg.sql, <dirname>.csv, <dirname>.jsonl,
 *    <dirname>.sql and rows in a table; in rows/ the row-range files
 *    FIRST+LAST.csv, then the same names as .jsonl, then as .sql), with the
 *    inode number docs/FORMAT.md gives it (type << 60 | seq << 36 | tidx
 *    << 20 | position: a table's schema.sql type 5 position 0, its
 *    schema.pg.sql position 1; a table file type 6, its format in the
 *    position; a row-range file type 8, 11 or 12 by format, its chunk in
 *    the position; a generation's dump.sql type 13 position 0, its
 *    schema.pg.sql type 13 position 1), its type, its size (a table CSV is
 *    its header + the table's csv_size, a row-range CSV the header + its
 *    chunk's csv_len; a JSONL or SQL file, no header, the sum of its
 *    chunks' jsonl_len or sql_len as the fixture's manifests record them;
 *    dump.sql its parts, see below ...) and flags (TREE_LIVE for "latest"
 *    only).  A miss is -ENOENT, with TREE_FINAL everywhere but in the root;
 *    a lookup in a file or in "latest" is -ENOTDIR.
 *  - an inode number stats (0) if and only if the tree lists it somewhere
 *    (or it is the root), as that node; any other number is -ENOENT, never
 *    -EIO (the catalog is healthy).
 *  - a hit is then used: a file opens (tree_open_file) and a read of it
 *    (reader_read) returns exactly the fixture's bytes (the CSV header and
 *    the chunks rendered by render_csv_chunk; the chunks' typed rows
 *    rendered by view_render_chunk with the table's view_table, whose
 *    lengths must be the jsonl_len / sql_len that view_chunk_lens measured
 *    for the manifest; the schema texts); a directory lists (tree_list)
 *    exactly what the fixture has there, in the fixture's order (by node
 *    type, then as described above), and does not open (-EISDIR); the link
 *    reads as the newest generation.
 *
 * The files of mount layout 4 (version 3 manifests), from the library's
 * own functions over the fixture's manifests: a generation's dump.sql is,
 * for each part of dump_parts_build(), the part's text, then (tidx >= 0)
 * that table's whole SQL view, as its <dirname>.sql (present when the SQL
 * format is served and no table directory is named dump.sql); a table's
 * schema.pg.sql is pg_schema() of its schema over that table, a
 * generation's pg_schema() of the generation's schema over its tables that
 * are neither TABLE_INTERNAL nor TABLE_SHADOW (present unless that fails or
 * has no table, or a table directory has the name; for a table: not for an
 * internal or shadow one).  A read of such an assembled file may cross any
 * number of its parts, empty ones included.
 *
 * At start every directory of the fixture is reached by lookups from the
 * root and listed, so the whole tree is compared once; every file is read
 * whole, and around every place where one of its parts (dump.sql) or
 * chunks starts; then again with one format served (tree_set_formats):
 * every listing, and the files of a format and the schemas by number and
 * by name, a file of a format not served (and dump.sql without SQL) being
 * absent.  generation.json is the one file whose bytes the fixture cannot
 * know (the catalog writes it): it is checked for its format (mount
 * layout 4: the fixture's manifests are version 3) and name, then held to
 * that.
 *
 * Input: byte 0 selects the mode.
 *   bit 7 clear: a lookup.  If byte 0 < NPARENTS (the fixture's directories,
 *     fx.parents: the root, then per generation the generation, and per
 *     table its directory and its rows/) the name is looked up in that
 *     directory; otherwise in node (byte 0 - NPARENTS) % NNODES of the tree
 *     (any node: a file, "latest" or a directory, in describe()'s order:
 *     the root, its entries (the generations oldest first, as listed),
 *     then generation by generation).  Bytes 1.. up
 *     to a NUL or the end are the name (a kernel name stops at its NUL); the
 *     bytes after that NUL are the read.
 *   bit 7 set: a stat.  Bytes 1..8 are an inode number (little-endian;
 *     missing bytes are 0); bytes 9.. are the read.
 *   The read, of a file that is hit: offset u16 LE, then a byte n: 16 * n
 *   bytes (missing bytes: offset 0, 4096 bytes).  An offset past the end of
 *   the file is taken modulo (size + 1), so that every offset of a file
 *   is reached, unless its top bit is set (0x8000 ..: a read past the end).
 *
 * A number the tree answers must be one it lists: a field a type does not
 * use is 0 (lib/tree.c node_of(); this target found numbers with such a
 * field set being answered as aliases).
 */
#include "fuzz.h"
#include "lookup_fixture.h"
#include "strata/dumpplan.h"
#include "strata/pgschema.h"
#include "strata/render.h"
#include "strata/tree.h"
#include "strata/views.h"

#include <errno.h>
#include <stdbool.h>

#define NONE ((size_t)-1)
#define ALL_FORMATS ((1u << VIEW_FORMATS) - 1)

/* One node of the tree as the fixture describes it. */
struct want {
	size_t dir;         /* the directory it is in (index into fx.parents); NONE: the root */
	char *name;
	mode_t type;        /* S_IFDIR, S_IFREG or S_IFLNK */
	uint64_t ino;       /* docs/FORMAT.md */
	uint64_t size;      /* st_size: a file's bytes, the link's target length, 0 */
	unsigned flags;     /* of a stat: TREE_LIVE for the root and "latest" */
	unsigned need;      /* formats (1 << enum view_format) it needs served; 0: none */
	size_t self;        /* a directory: its index into fx.parents */
	struct buf content; /* a file's bytes, the link's target */
	uint64_t *cuts;     /* a file: where each of its parts and chunks starts */
	size_t ncuts;
};

static struct fx fx;
static struct tree *tree;
static struct want *wants;
static size_t nwants, cap_wants;
static size_t *by_ino;     /* indexes of wants, in inode number order */
static bool *seen;         /* scratch of check_listing, nwants long */

static void cleanup(void)
{
	tree_close(tree);
	for (size_t i = 0; i < nwants; i++) {
		free(wants[i].name);
		buf_release(&wants[i].content);
		free(wants[i].cuts);
	}
	free(wants);
	free(by_ino);
	free(seen);
	fx_free(&fx);
}

/* ---- the tree as the fixture describes it ---- */

static size_t parent_index(enum fx_kind kind, size_t gen, size_t tidx)
{
	for (size_t p = 0; p < fx.nparents; p++) {
		const struct fx_parent *x = &fx.parents[p];
		if (x->kind == kind && (kind == FX_ROOT || x->gen == gen) &&
		    (kind == FX_ROOT || kind == FX_GEN || x->tidx == tidx))
			return p;
	}
	abort();
}

static struct want *add(size_t dir, const char *name, mode_t type, uint64_t ino)
{
	if (nwants == cap_wants) {
		cap_wants = cap_wants ? cap_wants * 2 : 64;
		wants = xrealloc(wants, cap_wants * sizeof(*wants));
	}
	struct want *w = &wants[nwants++];
	memset(w, 0, sizeof(*w));
	w->dir = dir;
	w->name = xstrdup(name);
	w->type = type;
	w->ino = ino;
	w->self = NONE;
	buf_init(&w->content);
	return w;
}

static void add_text(struct want *w, const void *p, size_t n)
{
	buf_add(&w->content, p, n);
	w->size = w->content.len;
}

/* A part or a chunk of w starts here (at its end so far). */
static void add_cut(struct want *w)
{
	w->cuts = xrealloc(w->cuts, (w->ncuts + 1) * sizeof(*w->cuts));
	w->cuts[w->ncuts++] = w->content.len;
}

/*
 * A table's rows in format fmt into w: CSV, its header then chunks
 * [from, from + n) rendered; JSONL and SQL, those chunks' typed rows
 * rendered with vt, each in exactly the length its manifest records.
 */
static void add_rows(struct want *w, const struct manifest_table *mt, enum view_format fmt,
		     const struct view_table *vt, size_t from, size_t n)
{
	if (fmt == VIEW_CSV)
		render_csv_header(&w->content, mt->cols, mt->ncols);
	for (size_t k = from; k < from + n; k++) {
		const struct manifest_chunk *mc = &mt->chunks[k];
		const struct fx_chunk *c = fx_chunk_by_id(&fx, &mc->id);
		size_t before = w->content.len;
		uint64_t nr;
		FUZZ_ASSERT(c);
		add_cut(w);
		if (fmt == VIEW_CSV) {
			FUZZ_ASSERT(render_csv_chunk(c->data, c->len, &w->content, &nr) == 0);
			FUZZ_ASSERT(w->content.len - before == mc->csv_len);
		} else {
			FUZZ_ASSERT(view_render_chunk(fmt, vt, c->data, c->len, &w->content, &nr) == 0);
			FUZZ_ASSERT(w->content.len - before ==
				    (fmt == VIEW_JSONL ? mc->jsonl_len : mc->sql_len));
		}
		FUZZ_ASSERT(nr == mc->nrows);
	}
	w->size = w->content.len;
}

static void table_view(struct view_table *vt, const struct manifest_table *mt)
{
	view_table_init(vt, mt->name, mt->cols, mt->ncols, (mt->flags & TABLE_WITHOUT_ROWID) != 0);
	FUZZ_ASSERT(vt->rev == VIEW_REV); /* what version 3 manifests are measured with */
}

/* Whether generation m has a table directory of this name (it hides a file of the name). */
static bool has_dir(const struct manifest *m, const char *name)
{
	for (size_t t = 0; t < m->ntables; t++)
		if (!strcmp(m->tables[t].dirname, name))
			return true;
	return false;
}

/* schema.pg.sql is made for the database's own tables: not SQLite's, not a virtual table's */
static bool pg_wanted(const struct manifest_table *t)
{
	return !(t->flags & (TABLE_INTERNAL | TABLE_SHADOW));
}

/*
 * A schema.pg.sql into w: pg_schema() of table t over its own schema, or
 * (t NULL) of the generation's schema over its wanted tables.  false when
 * there is no such file: not a version 3 manifest, no table, an error.
 */
static bool add_pg(struct want *w, const struct manifest *m, const struct manifest_table *t)
{
	struct pg_table *v = xcalloc(m->ntables + 1, sizeof(*v));
	size_t n = 0;
	char *err = NULL;
	bool ok;
	for (size_t i = 0; i < m->ntables; i++) {
		const struct manifest_table *x = &m->tables[i];
		if (t ? x == t : pg_wanted(x))
			v[n++] = (struct pg_table){ x->name, x->cols, x->ncols, x->classes };
	}
	ok = m->version >= 3 && n && !pg_schema(t ? t->schema : m->schema, v, n, &w->content, &err);
	free(err);
	free(v);
	w->size = w->content.len;
	FUZZ_ASSERT(!ok || w->size > 0);
	return ok;
}

/*
 * A generation's dump.sql into w: each part of dump_parts_build(), its
 * text then (tidx >= 0) that table's whole SQL view.
 */
static void add_dump(struct want *w, const struct manifest *m)
{
	struct dump_parts p;
	dump_parts_build(m, &p);
	FUZZ_ASSERT(p.n > 0 && p.tidx[p.n - 1] == -1);
	for (size_t i = 0; i < p.n; i++) {
		add_cut(w);
		buf_adds(&w->content, p.text[i]);
		if (p.tidx[i] < 0)
			continue;
		FUZZ_ASSERT((uint64_t)p.tidx[i] < m->ntables);
		const struct manifest_table *mt = &m->tables[p.tidx[i]];
		struct view_table vt;
		table_view(&vt, mt);
		add_cut(w);
		add_rows(w, mt, VIEW_SQL, &vt, 0, mt->nchunks);
		view_table_release(&vt);
	}
	dump_parts_free(&p);
	w->size = w->content.len;
}

static void describe(void)
{
	size_t root = parent_index(FX_ROOT, 0, 0);
	const struct manifest *newest = &fx.gens[fx_newest(&fx)];
	struct want *w;

	w = add(NONE, "", S_IFDIR, FX_INO_ROOT);
	w->self = root;
	w->flags = TREE_LIVE;
	/* the generations oldest first: by time, then seq */
	bool listed[FX_MAX_GENS] = { false };
	for (size_t i = 0; i < fx.ngens; i++) {
		size_t o = NONE;
		for (size_t g = 0; g < fx.ngens; g++)
			if (!listed[g] && (o == NONE || fx.gens[g].time < fx.gens[o].time ||
					   (fx.gens[g].time == fx.gens[o].time &&
					    fx.gens[g].seq < fx.gens[o].seq)))
				o = g;
		listed[o] = true;
		w = add(root, fx.gens[o].name, S_IFDIR, fx_ino(FX_T_GEN, fx.gens[o].seq, 0, 0));
		w->self = parent_index(FX_GEN, o, 0);
	}
	w = add(root, "latest", S_IFLNK, FX_INO_LATEST);
	w->flags = TREE_LIVE;
	add_text(w, newest->name, strlen(newest->name));
	for (size_t g = 0; g < fx.ngens; g++) {
		const struct manifest *m = &fx.gens[g];
		size_t gp = parent_index(FX_GEN, g, 0);
		/* its bytes are known after the tree is opened (init) */
		add(gp, "generation.json", S_IFREG, fx_ino(FX_T_GEN_JSON, m->seq, 0, 0));
		w = add(gp, "schema.sql", S_IFREG, fx_ino(FX_T_GEN_SCHEMA, m->seq, 0, 0));
		add_text(w, m->schema, strlen(m->schema));
		for (size_t t = 0; t < m->ntables; t++) {
			const struct manifest_table *mt = &m->tables[t];
			size_t tp = parent_index(FX_TABLE, g, t), rp = parent_index(FX_ROWS, g, t);
			w = add(gp, mt->dirname, S_IFDIR, fx_ino(FX_T_TABLE, m->seq, t, 0));
			w->self = tp;
			struct view_table vt;
			table_view(&vt, mt);
			w = add(tp, "schema.sql", S_IFREG,
				fx_ino(FX_T_TABLE_SCHEMA, m->seq, t, FX_SCHEMA_SQL));
			add_text(w, mt->schema, strlen(mt->schema));
			/* schema.pg.sql: type 5, position 1 */
			if (pg_wanted(mt)) {
				w = add(tp, "schema.pg.sql", S_IFREG,
					fx_ino(FX_T_TABLE_SCHEMA, m->seq, t, FX_SCHEMA_PG));
				if (!add_pg(w, m, mt)) {
					free(w->name);
					buf_release(&w->content);
					nwants--;
				}
			}
			/* <dirname>.csv, .jsonl, .sql: type 6, the format in the position */
			for (unsigned fmt = 0; fmt < VIEW_FORMATS; fmt++) {
				char *file = xasprintf("%s.%s", mt->dirname,
						       view_ext((enum view_format)fmt));
				w = add(tp, file, S_IFREG, fx_ino(FX_T_TABLE_CSV, m->seq, t, fmt));
				w->need = 1u << fmt;
				free(file);
				add_rows(w, mt, (enum view_format)fmt, &vt, 0, mt->nchunks);
				if (fmt == VIEW_CSV)
					FUZZ_ASSERT(w->size >= mt->csv_size);
			}
			w = add(tp, "rows", S_IFDIR, fx_ino(FX_T_ROWS, m->seq, t, 0));
			w->self = rp;
			/* each chunk as CSV, JSONL and SQL together: byte order */
			for (size_t k = 0; k < mt->nchunks; k++)
				for (unsigned fmt = 0; fmt < VIEW_FORMATS; fmt++) {
					w = add(rp, fx.fnames[fmt][g][t][k], S_IFREG,
						fx_ino(fx_rows_type((enum view_format)fmt), m->seq,
						       t, k));
					w->need = 1u << fmt;
					add_rows(w, mt, (enum view_format)fmt, &vt, k, 1);
				}
			view_table_release(&vt);
		}
		/*
		 * After the tables (type 13): dump.sql, schema.pg.sql, from
		 * manifest version 3; a table directory of the same name hides one.
		 */
		if (m->version >= 3 && !has_dir(m, "dump.sql")) {
			w = add(gp, "dump.sql", S_IFREG, fx_ino(FX_T_GEN_FILE, m->seq, 0, FX_GEN_DUMP));
			w->need = 1u << VIEW_SQL;
			add_dump(w, m);
		}
		if (!has_dir(m, "schema.pg.sql")) {
			w = add(gp, "schema.pg.sql", S_IFREG,
				fx_ino(FX_T_GEN_FILE, m->seq, 0, FX_GEN_PG));
			if (!add_pg(w, m, NULL)) {
				free(w->name);
				buf_release(&w->content);
				nwants--;
			}
		}
	}
}

static int cmp_ino(const void *a, const void *b)
{
	uint64_t x = wants[*(const size_t *)a].ino, y = wants[*(const size_t *)b].ino;
	return x < y ? -1 : x > y;
}

static const struct want *want_by_ino(uint64_t ino)
{
	size_t lo = 0, hi = nwants;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t x = wants[by_ino[mid]].ino;
		if (x == ino)
			return &wants[by_ino[mid]];
		if (x < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct want *want_by_name(size_t dir, const char *name)
{
	for (size_t i = 0; i < nwants; i++)
		if (wants[i].dir == dir && !strcmp(wants[i].name, name))
			return &wants[i];
	return NULL;
}

/* Whether w is in the tree while the formats of mask are served. */
static bool served(const struct want *w, unsigned mask)
{
	return !w->need || (w->need & mask);
}

/* ---- checks of a hit ---- */

/*
 * A directory lists exactly what the fixture has in it (of the formats
 * in mask), in the fixture's order.
 */
static void check_listing(size_t p, unsigned mask)
{
	struct tree_dir d;
	unsigned flags = 99;
	size_t n = 0, off = 0, next = 0;
	FUZZ_ASSERT(tree_list(tree, fx.parents[p].ino, &d, &flags) == 0);
	FUZZ_ASSERT(flags == (fx.parents[p].kind == FX_ROOT ? (unsigned)TREE_LIVE : 0u));
	memset(seen, 0, nwants * sizeof(*seen));
	for (size_t i = 0; i < nwants; i++)
		n += wants[i].dir == p && served(&wants[i], mask);
	FUZZ_ASSERT(d.n == n);
	for (size_t i = 0; i < d.n; i++) {
		const char *name = (const char *)d.names.data + off;
		const struct want *w = want_by_name(p, name);
		off += strlen(name) + 1;
		FUZZ_ASSERT(off <= d.names.len);
		FUZZ_ASSERT(w && served(w, mask) && !seen[w - wants]);
		seen[w - wants] = true;
		FUZZ_ASSERT(d.inos[i] == w->ino && d.types[i] == w->type);
		/* the i-th entry is the fixture's i-th in this directory */
		while (wants[next].dir != p || !served(&wants[next], mask))
			next++;
		FUZZ_ASSERT(w == &wants[next]);
		next++;
	}
	FUZZ_ASSERT(off == d.names.len);
	tree_dir_release(&d);
}

/* A read of [off, off + size) of w, opened as f, gives the fixture's bytes. */
static void check_read_in(const struct want *w, struct rd_file *f, uint64_t off, size_t size)
{
	struct reader *r = tree_reader(tree);
	struct rd_reply rep;
	uint64_t want = off < w->size ? (size < w->size - off ? size : w->size - off) : 0;
	int rc;

	FUZZ_ASSERT(f->size == w->size);
	rc = reader_read(r, f, off, size, &rep);
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(rep.len == want);
	size_t at = 0;
	for (size_t i = 0; i < rep.niov; i++) {
		FUZZ_ASSERT(at + rep.iov[i].iov_len <= want);
		FUZZ_ASSERT(!rep.iov[i].iov_len ||
			    !memcmp(rep.iov[i].iov_base, w->content.data + off + at,
				    rep.iov[i].iov_len));
		at += rep.iov[i].iov_len;
	}
	FUZZ_ASSERT(at == want); /* the pieces are the whole reply */
	reader_done(r, f, &rep, rc);
}

/* The same, the file opened for this read alone. */
static void check_read_at(const struct want *w, uint64_t off, size_t size)
{
	struct rd_file *f = NULL;
	FUZZ_ASSERT(tree_open_file(tree, w->ino, &f) == 0);
	check_read_in(w, f, off, size);
	rd_file_free(f);
}

/* The read an input asks for (see the top): offset u16 LE, 16 * n bytes. */
static void check_read(const struct want *w, const uint8_t *rd, size_t rdn)
{
	uint64_t off = (rdn > 0 ? rd[0] : 0) | (uint64_t)(rdn > 1 ? rd[1] : 0) << 8;
	size_t size = rdn > 2 ? (size_t)16 * rd[2] : 4096;
	if (off > w->size && !(off & 0x8000))
		off %= w->size + 1;
	check_read_at(w, off, size);
}

/* What tree_lookup or tree_stat said of w is w (its attributes only). */
static void check_attrs(const struct want *w, uint64_t ino, const struct stat *st, unsigned flags)
{
	FUZZ_ASSERT(ino == w->ino && st->st_ino == w->ino);
	FUZZ_ASSERT((st->st_mode & S_IFMT) == w->type);
	FUZZ_ASSERT((uint64_t)st->st_size == w->size);
	FUZZ_ASSERT(flags == w->flags);
}

/* What tree_lookup or tree_stat said of w is w, and w can be used. */
static void check_hit(const struct want *w, uint64_t ino, const struct stat *st, unsigned flags,
		      const uint8_t *rd, size_t rdn)
{
	check_attrs(w, ino, st, flags);
	if (w->type == S_IFDIR) {
		struct rd_file *f = NULL;
		check_listing(w->self, ALL_FORMATS);
		FUZZ_ASSERT(tree_open_file(tree, w->ino, &f) == -EISDIR);
	} else if (w->type == S_IFLNK) {
		char *target = NULL;
		FUZZ_ASSERT(tree_readlink(tree, w->ino, &target) == 0);
		FUZZ_ASSERT(strlen(target) == w->content.len &&
			    !memcmp(target, w->content.data, w->content.len));
		free(target);
	} else {
		check_read(w, rd, rdn);
	}
}

/* ---- set-up ---- */

/* generation.json: the catalog writes it; hold it to its format and name. */
static void learn_json(struct want *w)
{
	const struct fx_parent *gp = &fx.parents[w->dir];
	struct rd_file *f = NULL;
	struct rd_reply rep;
	struct stat st;
	unsigned flags;
	uint64_t ino;

	FUZZ_ASSERT(tree_lookup(tree, gp->ino, w->name, &ino, &st, &flags) == 0);
	FUZZ_ASSERT(tree_open_file(tree, ino, &f) == 0 && f->size == (uint64_t)st.st_size);
	FUZZ_ASSERT(reader_read(tree_reader(tree), f, 0, (size_t)f->size, &rep) == 0 &&
		    rep.len == f->size);
	for (size_t i = 0; i < rep.niov; i++)
		buf_add(&w->content, rep.iov[i].iov_base, rep.iov[i].iov_len);
	reader_done(tree_reader(tree), f, &rep, 0);
	rd_file_free(f);
	w->size = w->content.len;
	buf_addc(&w->content, 0);
	w->content.len--;
	char *name = xasprintf("\n  \"name\": \"%s\",\n", fx.gens[gp->gen].name);
	/* mount layout 4: the fixture's manifests are version 3 (dump.sql, schema.pg.sql) */
	FUZZ_ASSERT(fx.gens[gp->gen].version == 3);
	FUZZ_ASSERT(!strncmp((const char *)w->content.data, "{\n  \"format\": 4,\n", 17));
	FUZZ_ASSERT(strstr((const char *)w->content.data, name));
	free(name);
}

/*
 * Every file read whole, and around each place where one of its parts or
 * chunks starts: reads ending there, starting there, and across it.
 */
static void check_cuts(const struct want *w)
{
	static const uint64_t around[] = { 1, 7, 64 };
	struct rd_file *f = NULL;
	FUZZ_ASSERT(tree_open_file(tree, w->ino, &f) == 0);
	check_read_in(w, f, 0, (size_t)w->size);
	check_read_in(w, f, 0, (size_t)w->size + 1);
	for (size_t c = 0; c < w->ncuts; c++) {
		uint64_t at = w->cuts[c];
		/* up to the next cut, exactly, and one byte more; to the end */
		uint64_t next = c + 1 < w->ncuts ? w->cuts[c + 1] : w->size;
		check_read_in(w, f, at, (size_t)(next - at));
		check_read_in(w, f, at, (size_t)(next - at) + 1);
		check_read_in(w, f, at, (size_t)(w->size - at));
		for (size_t i = 0; i < sizeof(around) / sizeof(around[0]); i++) {
			uint64_t d = around[i];
			check_read_in(w, f, at >= d ? at - d : 0, (size_t)d);
			check_read_in(w, f, at >= d ? at - d : 0, (size_t)(2 * d));
			check_read_in(w, f, at, (size_t)d);
		}
	}
	rd_file_free(f);
}

/*
 * With only the formats of mask served: every listing; the files of a
 * format and the schemas by number and by name, each present if and only
 * if it is served.
 */
static void check_formats(unsigned mask)
{
	tree_set_formats(tree, mask);
	for (size_t p = 0; p < fx.nparents; p++)
		check_listing(p, mask);
	for (size_t i = 0; i < nwants; i++) {
		const struct want *w = &wants[i];
		struct rd_file *f = NULL;
		struct stat st;
		unsigned flags = 99;
		uint64_t ino = 0;
		bool in = served(w, mask);
		/* the listings hold the others to the fixture: the files of a format, and the schemas */
		uint64_t type = w->ino >> 60;
		if (!w->need && type != FX_T_GEN_FILE && type != FX_T_TABLE_SCHEMA)
			continue;
		int rc = tree_stat(tree, w->ino, &st, &flags);
		FUZZ_ASSERT(rc == (in ? 0 : -ENOENT));
		if (in)
			check_attrs(w, w->ino, &st, flags);
		if (w->dir != NONE) {
			flags = 99;
			rc = tree_lookup(tree, fx.parents[w->dir].ino, w->name, &ino, &st, &flags);
			FUZZ_ASSERT(rc == (in ? 0 : -ENOENT));
			if (in)
				check_attrs(w, ino, &st, flags);
			else
				FUZZ_ASSERT(flags == TREE_FINAL);
		}
		/*
		 * dump.sql does not open either; the files of a table or a
		 * chunk in a format not served still do (lib/node_table.c
		 * csv_open, lib/node_rows.c file_open do not look at the
		 * formats): not held here.
		 */
		if (!in && w->ino >> 60 == FX_T_GEN_FILE)
			FUZZ_ASSERT(tree_open_file(tree, w->ino, &f) == -ENOENT && !f);
	}
	tree_set_formats(tree, ALL_FORMATS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *err = NULL;
	(void)argc;
	(void)argv;
	fx_describe(&fx);
	if (fx_build(&fx)) {
		fprintf(stderr, "fuzz_lookup: cannot build the fixture repository\n");
		abort();
	}
	/* as the mount opens it, without read-ahead threads */
	if (tree_open(&tree, fx.repo, &err) || tree_start(tree, 8u << 20, 0, &err)) {
		fprintf(stderr, "fuzz_lookup: %s\n", err);
		abort();
	}
	atexit(cleanup);
	describe();
	seen = xcalloc(nwants, sizeof(*seen));
	by_ino = xcalloc(nwants, sizeof(*by_ino));
	for (size_t i = 0; i < nwants; i++)
		by_ino[i] = i;
	qsort(by_ino, nwants, sizeof(*by_ino), cmp_ino);
	for (size_t i = 1; i < nwants; i++)
		FUZZ_ASSERT(wants[by_ino[i - 1]].ino != wants[by_ino[i]].ino);

	/* every directory, reached by lookups from the root (parents come after theirs) */
	for (size_t i = 0; i < nwants; i++) {
		const struct want *w = &wants[i];
		struct stat st;
		unsigned flags;
		uint64_t ino;
		if (w->type != S_IFDIR || w->dir == NONE)
			continue;
		FUZZ_ASSERT(tree_lookup(tree, fx.parents[w->dir].ino, w->name, &ino, &st, &flags) == 0);
		FUZZ_ASSERT(ino == fx.parents[w->self].ino && S_ISDIR(st.st_mode));
	}
	for (size_t i = 0; i < nwants; i++)
		if (!strcmp(wants[i].name, "generation.json"))
			learn_json(&wants[i]);
	/* and the whole tree once */
	for (size_t p = 0; p < fx.nparents; p++)
		check_listing(p, ALL_FORMATS);
	for (size_t i = 0; i < nwants; i++) {
		struct stat st;
		unsigned flags;
		FUZZ_ASSERT(tree_stat(tree, wants[i].ino, &st, &flags) == 0);
		check_hit(&wants[i], wants[i].ino, &st, flags, NULL, 0);
		if (wants[i].type == S_IFREG)
			check_cuts(&wants[i]);
	}
	/* one format served: each file of a format is there in one, absent in two */
	for (unsigned fmt = 0; fmt < VIEW_FORMATS; fmt++)
		check_formats(1u << fmt);
	return 0;
}

/* ---- one input ---- */

static void lookup(size_t dir, const struct want *in, const char *name, const uint8_t *rd,
		   size_t rdn)
{
	const struct want *w = dir == NONE ? NULL : want_by_name(dir, name);
	uint64_t parent = dir == NONE ? in->ino : fx.parents[dir].ino, ino = 0;
	struct stat st;
	unsigned flags = 99;
	int rc = tree_lookup(tree, parent, name, &ino, &st, &flags);

	if (dir == NONE) { /* a file or the link */
		FUZZ_ASSERT(rc == -ENOTDIR && flags == 0);
	} else if (!w) {
		FUZZ_ASSERT(rc == -ENOENT);
		FUZZ_ASSERT(flags == (fx.parents[dir].kind == FX_ROOT ? 0u : (unsigned)TREE_FINAL));
	} else {
		FUZZ_ASSERT(rc == 0);
		check_hit(w, ino, &st, flags, rd, rdn);
	}
}

static void by_inode(uint64_t ino, const uint8_t *rd, size_t rdn)
{
	const struct want *w = want_by_ino(ino);
	struct stat st;
	unsigned flags = 99;
	int rc = tree_stat(tree, ino, &st, &flags);

	FUZZ_ASSERT(rc == 0 || rc == -ENOENT);
	if (w) {
		FUZZ_ASSERT(rc == 0);
		check_hit(w, ino, &st, flags, rd, rdn);
		return;
	}
	FUZZ_ASSERT(rc == -ENOENT); /* answered, yet listed nowhere */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 0x80) {
		uint8_t b[8] = { 0 };
		size_t n = size - 1 < 8 ? size - 1 : 8;
		memcpy(b, data + 1, n);
		by_inode(get_u64le(b), data + 1 + n, size - 1 - n);
		return 0;
	}
	/* a kernel name stops at its NUL */
	const uint8_t *nul = memchr(data + 1, 0, size - 1);
	size_t n = nul ? (size_t)(nul - (data + 1)) : size - 1;
	const uint8_t *rd = nul ? nul + 1 : data + size;
	char *name = xstrndup((const char *)data + 1, n);
	if (data[0] < fx.nparents) {
		lookup(data[0], NULL, name, rd, (size_t)(data + size - rd));
	} else {
		const struct want *in = &wants[(data[0] - fx.nparents) % nwants];
		lookup(in->type == S_IFDIR ? in->self : NONE, in, name, rd, (size_t)(data + size - rd));
	}
	free(name);
	return 0;
}
