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
 *    position; a generation's dump.sql type 13 position 0, its
 *    schema.pg.sql type 13 position 1; a row-range file a hash, see mount
 *    layout 6 below), its type, its size (a table CSV is its header + the
 *    table's csv_size, a row-range CSV the header + its chunk's csv_len; a
 *    JSONL or SQL file, no header, the sum of its chunks' jsonl_len or
 *    sql_len as the fixture's manifests record them; dump.sql its parts,
 *    see below ...), its st_nlink and st_blocks (a directory 2 links and
 *    0 blocks, a link 1 and 0, a regular file 1 link and 1 block, 0 when
 *    empty; a row-range file's below) and flags (TREE_LIVE for what may
 *    change: "latest", the root, tables/, at/ and what is in them, the
 *    changes files, db/, db/<name> and db/<name>/latest; TREE_LIVE_ATTR
 *    alone for a row-range file; else 0, the links tables/<T>/<gen> and
 *    db/<name>/<gen> included), and where it says below its time.  A
 *    miss is -ENOENT, with TREE_FINAL everywhere but in the root; a lookup
 *    in a file or in "latest" is -ENOTDIR.
 *  - an inode number stats (0) if and only if the tree lists it somewhere
 *    (or it is the root), as that node (a number the same row-range file
 *    of several generations shares: as any of them, they agree in all that
 *    is checked); any other number is -ENOENT, never -EIO (the catalog is
 *    healthy).  The numbers row-range files had up to layout 5 (types 8,
 *    11, 12; the corpus has seeds of them) are such numbers.
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
 * Mount layout 5 (lib/node_hist.c, node_at.c, node_key.c, node_changes.c):
 *  - the root lists, after "latest", the directories "tables" and "at"
 *    (TREE_LIVE; a generation of either name is not served).  Numbers of
 *    type 14 are extended addresses (type << 60 | subtype << 56 | seq << 32
 *    | tidx << 16 | position): subtype 0 tables/, 1 at/, 2 <gen>/<T>/key,
 *    4 the link tables/<T>/<gen> (3 numbered changes files before catalog
 *    schema 7).  Numbers of type 15 are hashes of a node's identity that the
 *    tree remembers while they are referenced: tables/<T>, its key/, key
 *    files, histories, at/<TIME> and the changes files (whose identity holds
 *    the generation they compare with).
 *  - a table directory lists, after rows, "key" (a directory that lists
 *    nothing) and "changes.csv", and "changes.jsonl" where the table's JSONL
 *    is served (hashed numbers, TREE_LIVE); none of these changes files in a directory named "changes"
 *    (its own changes.csv keeps the name), and each only while its format
 *    is served.  changes.csv is "op," and the
 *    table's header, then one line per row that differs from the previous
 *    version of the table (the generation before it, by time then seq,
 *    holding the directory), in key order: "insert," / "update," and the
 *    new row, "delete," and the old one; all inserts in a table's first
 *    version.  changes.jsonl has {"op":"...", before each row's object.
 *    The model merges the fixture's rows by key (key_compare_prefix over
 *    the key's user values) for every version, so it has every changes
 *    file byte for byte.
 *  - tables/ lists every table directory name of any generation, sorted
 *    bytewise; tables/<T>/ one link per generation holding T, named by the
 *    generation, oldest first, to ../../<gen>/<T>, then "key" (a directory
 *    that lists nothing); at/ lists nothing.  All but the links TREE_LIVE.
 *  - lookups only: <gen>/<T>/key/<KEY>.csv|.jsonl|.sql (a row: CSV with
 *    the table's header) and tables/<T>/key/<KEY>.csv|.jsonl (every
 *    version of the row, oldest first: "generation,op," and the newest
 *    version's header, then a line per version where the row came, changed
 *    or went) and at/<TIME> (-> ../<gen>: the newest generation at or
 *    before TIME, util.h time_parse_point()).  KEY is a key name
 *    (rowkey.h); the keys it stands for are keyname_parse()'s candidates
 *    (fuzzed on its own by fuzz_keyname), the first one a row of the
 *    fixture's table has (compared with key_compare_prefix over the user
 *    values: a key-ordered rowid table's trailing rowid is not one) wins.
 *    The model computes every such file byte for byte from the fixture's
 *    rows (fx_rows) and checks what must hold of a hit: a regular file (or
 *    the link) with a number of type 15, TREE_LIVE but for a row, whose
 *    size is exactly what a whole read returns; a name that is not a key
 *    name, in a format not served, or of a key no row has is -ENOENT.  At
 *    start every row of every table version is looked up by its own key
 *    name (fx_key_name) in every format, in its key/ and in tables/<T>/key/,
 *    and must hit, that row.
 *  - every number that stats is listed somewhere, or is a hashed number a
 *    lookup handed out (the model remembers the last HANDED_KEEP of them,
 *    more than the tree keeps once they are forgotten); a hashed number
 *    may also be -ENOENT once the tree let it go.  After each input the
 *    model forgets (tree_forget) every number its lookups were given, as
 *    the kernel does, so the tree's memory of them stays bounded.
 *
 * Mount layout 6 (lib/node_rows.c, "one inode per row range"): a row-range
 * file, in rows/ (or a key-range directory of it), has a hashed number
 * (type 15) of its format, its chunk id and its table's render id (what
 * its bytes depend on besides the chunk: the table's name, CSV header and
 * column names, WITHOUT ROWID, the views' revision; lib/catalog.c), not
 * of where it is: one number for the same file in every generation
 * holding it.  The model decides which files are the same from the
 * manifests alone (same_file(): the same format, the same chunk in a table
 * of the same name and columns, the same WITHOUT ROWID flag and the same
 * views' revision by manifest version), learns every number from the tree
 * at start and holds it to that: the same files one number, any two others
 * two, and the files sharing one the same bytes, size and attributes.  Its
 * stat: st_nlink the number of the fixture's generations holding it,
 * st_mtime (ctime, atime) the oldest one's time, st_blocks for the CSV
 * file the chunk's compressed length in 512-byte blocks, rounded up, where
 * that is more than 512 bytes (the fixture has such a chunk), else 1, and
 * flags TREE_LIVE_ATTR (a new or a pruned generation changes the
 * attributes, never the name or the bytes).  Like every hashed number it
 * may be -ENOENT once the tree let it go, until a lookup or a listing
 * hands it out again.
 *
 * Mount layout 6, db/ (lib/node_db.c): each database's own timeline.  A
 * generation's database is manifest_db_name() of its manifest (the manifest
 * library, as the renderers above are the view library: manifest version
 * 4's "db" property, the fixture's dbname or else db_name_default() of its
 * source); the fixture has two databases, one of two generations
 * (lookup_fixture.h).
 *  - the root lists, after "at", the directory "db" (an extended address,
 *    subtype 5, no fields; TREE_LIVE; st_mtime, as the root's, tables/'s
 *    and at/'s, the newest generation's time).  A generation named "db" is
 *    not served, as "tables" and "at" (none of the fixture is).
 *  - db/ lists every database name, sorted bytewise, as directories with
 *    hashed numbers (type 15, identity the name; learned from the tree at
 *    start, as tables/<T>'s), TREE_LIVE, st_mtime the database's newest
 *    generation's time.  Any other name is -ENOENT: a generation, "latest",
 *    a database's name in another case ...
 *  - db/<name>/ lists the database's generations oldest first (by time,
 *    then seq) as links <gen> -> ../../<gen> (an extended address, subtype
 *    6, that generation's seq, tidx and position 0; TREE_LIVE: a prune removes it), then
 *    "latest" -> ../../<its newest generation> (hashed, its identity
 *    holding the generation it names; TREE_LIVE), each of st_size the
 *    target's length and st_mtime its generation's time; a link resolves
 *    (tree_resolve) to that generation's directory.  A generation of
 *    another database is -ENOENT there (checked at start for every one,
 *    in every database's directory, with the other names above), and a
 *    miss in db/ or db/<name>/ is not TREE_FINAL (both are live).
 *
 * At start every directory of the fixture is reached by lookups from the
 * root and listed, so the whole tree is compared once; every file is read
 * whole, and around every place where one of its parts (dump.sql) or
 * chunks starts; every entry is looked up by name, and every file or link
 * refuses lookups and listings in it (-ENOTDIR); the links resolve
 * (tree_resolve) to what they name; then again with one format served
 * (tree_set_formats): every listing, and the files of a format and the
 * schemas by number and by name, a file of a format not served (and
 * dump.sql without SQL) being absent, and the key files and histories of
 * each table's first row in each format.  generation.json is the one file
 * whose bytes the fixture cannot know (the catalog writes it): it is
 * checked for its format ("format": 6, mount layout 6, for manifest
 * versions 3 and 4: the fixture's manifests are version 4) and name, then
 * held to that.
 *
 * Input: byte 0 selects the mode.
 *   bit 7 clear: a lookup.  If byte 0 < NPARENTS (the fixture's directories,
 *     fx.parents: the root, then per generation the generation, and per
 *     table its directory, its rows/ and its key/; then tables/, at/, and
 *     per table directory name tables/<T> and tables/<T>/key; then db/ and
 *     per database db/<name>) the name is
 *     looked up in that directory; otherwise in node (byte 0 - NPARENTS) %
 *     NNODES of the tree (any node: a file, "latest" or a directory, in
 *     describe()'s order: the root, its entries (the generations oldest
 *     first, as listed), then generation by generation).  Bytes 1.. up
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
#include "strata/log.h"
#include "strata/pgschema.h"
#include "strata/render.h"
#include "strata/rowkey.h"
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
	uint64_t ino;       /* docs/FORMAT.md; a hashed one (type 15) learned from the tree,
			     * shared by the same row-range file of other generations */
	uint64_t size;      /* st_size: a file's bytes, the link's target length, 0 */
	unsigned flags;     /* of a stat: TREE_LIVE for what may change */
	unsigned need;      /* formats (1 << enum view_format) it needs served; 0: none */
	size_t self;        /* a directory: its index into fx.parents */
	bool hashed;        /* its number is a hash (type 15), which the tree may let go */
	struct buf content; /* a file's bytes, the link's target */
	uint64_t *cuts;     /* a file: where each of its parts and chunks starts */
	size_t ncuts;
	/*
	 * A row-range file (layout 6): chunk `chunk` of table `tidx` of
	 * generation `gen` in format fmt.  Its number may be shared with the
	 * same file of other generations (same_file()); st_nlink, st_mtime
	 * and st_blocks are these (every other node: see check_attrs()).
	 */
	bool rows;
	size_t gen, tidx, chunk;
	enum view_format fmt;
	uint64_t nlink, blocks;
	int64_t mtime;
	/*
	 * Its st_mtime and st_ctime are mtime (a row-range file's: see above;
	 * the live directories': the newest generation's time; layout 6, db/:
	 * a database's directory its newest generation's, a link the time of
	 * the generation it names, which is gen, whose directory it resolves to).
	 */
	bool timed;
};

static struct fx fx;
static struct tree *tree;
static struct want *wants;
static size_t nwants, cap_wants;
static size_t *by_ino;     /* indexes of wants, in inode number order */
static bool *seen;         /* scratch of check_listing, nwants long */
static unsigned cur_mask = ALL_FORMATS; /* the formats served now (tree_set_formats) */
/* every table version's rows, in key order */
static struct fx_row *trows[FX_MAX_GENS][FX_MAX_TABLES];
static size_t ntrows[FX_MAX_GENS][FX_MAX_TABLES];

/*
 * The hashed numbers lookups handed out, with what they name (the
 * directory and the name looked up): the HANDED_KEEP most recent at
 * least.  The tree keeps a number it was told to forget only among the
 * few thousand it let go last (lib/nodemap.c, NODEMAP_IDLE_MAX 4096), so
 * one it still answers is always here.
 */
#define HANDED_KEEP 16384
#define HANDED_SLOTS (4 * HANDED_KEEP)
struct handed {
	uint64_t ino, stamp;
	size_t parent;
	char *name; /* NULL: a free slot */
};
static struct handed *handed;
static size_t nhanded;
static uint64_t handed_clock;
/* numbers the current input was given by lookups, forgotten after it (as the kernel does) */
static uint64_t given[8];
static size_t ngiven;

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
	for (size_t i = 0; i < HANDED_SLOTS && handed; i++)
		free(handed[i].name);
	free(handed);
	for (size_t g = 0; g < fx.ngens; g++)
		for (size_t t = 0; t < fx.gens[g].ntables; t++)
			fx_rows_free(trows[g][t], ntrows[g][t]);
	fx_free(&fx);
}

/* ---- the tree as the fixture describes it ---- */

/*
 * The parent of this kind: a (the generation, or for FX_HIST and
 * FX_HIST_KEY the table directory name's index into fx.dirs) and b (the
 * table) where the kind has them.
 */
static size_t parent_index(enum fx_kind kind, size_t a, size_t b)
{
	for (size_t p = 0; p < fx.nparents; p++) {
		const struct fx_parent *x = &fx.parents[p];
		if (x->kind != kind)
			continue;
		switch (kind) {
		case FX_ROOT: case FX_TABLES: case FX_AT: case FX_DB:
			return p;
		case FX_GEN:
			if (x->gen == a)
				return p;
			break;
		case FX_TABLE: case FX_ROWS: case FX_KEY:
			if (x->gen == a && x->tidx == b)
				return p;
			break;
		case FX_HIST: case FX_HIST_KEY: case FX_DB_NAME:
			if (x->dir == a)
				return p;
			break;
		}
	}
	abort();
}

/*
 * Whether a directory may change (TREE_LIVE): the root, tables/, at/ and
 * db/ and the directories in them.
 */
static bool parent_live(size_t p)
{
	enum fx_kind k = fx.parents[p].kind;
	return k == FX_ROOT || k == FX_TABLES || k == FX_AT || k == FX_HIST || k == FX_HIST_KEY ||
	       k == FX_DB || k == FX_DB_NAME;
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

/* ---- rows by key (layout 5) ---- */

/* One row (a one-row chunk) of table version (g, t) in fmt, no header, appended to out. */
static void add_row(struct buf *out, size_t g, size_t t, enum view_format fmt, const struct fx_row *r)
{
	uint64_t nr = 0;
	if (fmt == VIEW_CSV) {
		FUZZ_ASSERT(render_csv_chunk(r->one.data, r->one.len, out, &nr) == 0);
	} else {
		struct view_table vt;
		table_view(&vt, &fx.gens[g].tables[t]);
		FUZZ_ASSERT(view_render_chunk(fmt, &vt, r->one.data, r->one.len, out, &nr) == 0);
		view_table_release(&vt);
	}
	FUZZ_ASSERT(nr == 1);
}

/*
 * The version of table version (g, t)'s directory before it (the
 * generation before g, by time then seq, holding the directory): its
 * generation and table into *pg, *pt; -1: none, (g, t) is the first.
 */
static int previous_version(size_t g, size_t t, size_t *pg, size_t *pt)
{
	size_t gs[FX_MAX_GENS], ts[FX_MAX_GENS];
	size_t n = fx_versions(&fx, fx.gens[g].tables[t].dirname, gs, ts);
	for (size_t i = 0; i < n; i++)
		if (gs[i] == g) {
			FUZZ_ASSERT(ts[i] == t);
			if (!i)
				return -1;
			*pg = gs[i - 1];
			*pt = ts[i - 1];
			return 0;
		}
	abort();
}

/* One line of a changes file: the op, then the row (its object's members, in JSONL). */
static void changes_line(struct buf *out, enum view_format fmt, const char *op, size_t g, size_t t,
			 const struct fx_row *r)
{
	struct buf line = BUF_INIT;
	add_row(&line, g, t, fmt, r);
	if (fmt == VIEW_CSV) {
		buf_addf(out, "%s,", op);
		buf_add(out, line.data, line.len);
	} else {
		FUZZ_ASSERT(line.len > 2 && line.data[0] == '{');
		buf_addf(out, "{\"op\":\"%s\",", op);
		buf_add(out, line.data + 1, line.len - 1);
	}
	buf_release(&line);
}

/*
 * changes.csv / changes.jsonl of table version (g, t) into w: the rows of
 * the previous version and of this one merged by key.
 */
static void add_changes(struct want *w, size_t g, size_t t, enum view_format fmt)
{
	const struct manifest_table *mt = &fx.gens[g].tables[t];
	const struct fx_row *a = NULL, *b = trows[g][t];
	size_t na = 0, nb = ntrows[g][t], ia = 0, ib = 0, pg = 0, pt = 0;
	unsigned uv = fx_user_values(mt);
	bool old = previous_version(g, t, &pg, &pt) == 0;

	if (old) {
		const struct manifest_table *pm = &fx.gens[pg].tables[pt];
		a = trows[pg][pt];
		na = ntrows[pg][pt];
		/* one key order on both sides (the fixture has no replaced table) */
		FUZZ_ASSERT(!na || !nb || (fx_user_values(pm) == uv &&
					   !((pm->flags ^ mt->flags) &
					     (TABLE_KEY_ORDER | TABLE_WITHOUT_ROWID))));
	}
	if (fmt == VIEW_CSV) {
		buf_adds(&w->content, "op,");
		render_csv_header(&w->content, mt->cols, mt->ncols);
	}
	while (ia < na || ib < nb) {
		int c = ia == na ? 1 : ib == nb ? -1
			: key_compare_prefix(a[ia].key.data, a[ia].key.len, b[ib].key.data,
					     b[ib].key.len, uv);
		if (c < 0) {
			changes_line(&w->content, fmt, "delete", pg, pt, &a[ia++]);
		} else if (c > 0) {
			changes_line(&w->content, fmt, "insert", g, t, &b[ib++]);
		} else {
			if (a[ia].one.len != b[ib].one.len ||
			    memcmp(a[ia].one.data, b[ib].one.data, a[ia].one.len))
				changes_line(&w->content, fmt, "update", g, t, &b[ib]);
			ia++;
			ib++;
		}
	}
	w->size = w->content.len;
}

/*
 * The row of table version (g, t) a key name's candidates name: the first
 * candidate with the table's number of user values that a row has.
 */
static const struct fx_row *find_row(size_t g, size_t t, const struct buf *cands, size_t ncands)
{
	unsigned uv = fx_user_values(&fx.gens[g].tables[t]);
	for (size_t c = 0; uv && c < ncands; c++) {
		if (key_values(cands[c].data, cands[c].len) != uv)
			continue;
		for (size_t i = 0; i < ntrows[g][t]; i++)
			if (!key_compare_prefix(trows[g][t][i].key.data, trows[g][t][i].key.len,
						cands[c].data, cands[c].len, uv))
				return &trows[g][t][i];
	}
	return NULL;
}

/*
 * A key file's name split: the format of its extension (one that is served
 * and, for a history, not SQL) and the length of the key name before it.
 */
static bool split_key_name(const char *name, bool history, size_t *stem, enum view_format *fmt)
{
	const char *dot = strrchr(name, '.');
	if (!name_is_safe(name, strlen(name), 255) || !dot)
		return false;
	for (unsigned f = 0; f < VIEW_FORMATS; f++)
		if (!strcmp(dot + 1, view_ext((enum view_format)f))) {
			if ((history && f == VIEW_SQL) || !(cur_mask & 1u << f))
				return false;
			*stem = (size_t)(dot - name);
			*fmt = (enum view_format)f;
			return true;
		}
	return false;
}

/*
 * The history of a row of table directory d in fmt into w: over the
 * versions, oldest first, a line for each where the row came (insert),
 * changed (update) or went (delete).  false: no line (the key was never
 * there).
 */
static bool add_history(struct want *w, size_t d, const struct buf *cands, size_t ncands,
			enum view_format fmt)
{
	size_t gs[FX_MAX_GENS], ts[FX_MAX_GENS];
	size_t n = fx_versions(&fx, fx.dirs[d], gs, ts);
	const struct fx_row *prev = NULL;
	bool any = false;
	FUZZ_ASSERT(n > 0);
	if (fmt == VIEW_CSV) {
		const struct manifest_table *newest = &fx.gens[gs[n - 1]].tables[ts[n - 1]];
		buf_adds(&w->content, "generation,op,");
		render_csv_header(&w->content, newest->cols, newest->ncols);
	}
	for (size_t i = 0; i < n; i++) {
		const struct fx_row *r = find_row(gs[i], ts[i], cands, ncands);
		const char *op = r && !prev ? "insert"
				 : r && (r->one.len != prev->one.len ||
					 memcmp(r->one.data, prev->one.data, r->one.len)) ? "update"
				 : !r && prev ? "delete" : NULL;
		if (op) {
			const char *gen = fx.gens[gs[i]].name;
			struct buf line = BUF_INIT;
			add_row(&line, gs[i], ts[i], fmt, r ? r : prev);
			if (fmt == VIEW_CSV) {
				render_csv_text(&w->content, (const uint8_t *)gen, strlen(gen));
				buf_addf(&w->content, ",%s,", op);
				buf_add(&w->content, line.data, line.len);
			} else {
				buf_adds(&w->content, "{\"generation\":");
				buf_add_json_str(&w->content, gen, strlen(gen));
				buf_addf(&w->content, ",\"op\":\"%s\",", op);
				buf_add(&w->content, line.data + 1, line.len - 1);
			}
			buf_release(&line);
			any = true;
		}
		prev = r;
	}
	w->size = w->content.len;
	return any;
}

/*
 * What name is in directory p where the names are not listed but computed
 * (key/, tables/<T>/key/, at/): false when nothing is, else its want (not
 * in wants: the caller releases its content; its number is the tree's).
 */
static bool expect_computed(size_t p, const char *name, struct want *w)
{
	const struct fx_parent *x = &fx.parents[p];
	struct buf cands[KEYNAME_MAX_CANDIDATES];
	size_t ncands = 0, stem;
	enum view_format fmt;
	bool hit = false;

	memset(w, 0, sizeof(*w));
	w->dir = p;
	w->self = NONE;
	w->hashed = true;
	buf_init(&w->content);
	if (x->kind == FX_AT) {
		int64_t when;
		size_t best = NONE;
		if (!name_is_safe(name, strlen(name), 255) || time_parse_point(name, &when))
			return false;
		for (size_t g = 0; g < fx.ngens; g++)
			if (fx.gens[g].time <= when &&
			    (best == NONE || fx.gens[g].time > fx.gens[best].time ||
			     (fx.gens[g].time == fx.gens[best].time && fx.gens[g].seq > fx.gens[best].seq)))
				best = g;
		if (best == NONE)
			return false;
		w->type = S_IFLNK;
		w->flags = TREE_LIVE;
		buf_addf(&w->content, "../%s", fx.gens[best].name);
		w->size = w->content.len;
		return true;
	}
	if (x->kind != FX_KEY && x->kind != FX_HIST_KEY)
		return false;
	if (!split_key_name(name, x->kind == FX_HIST_KEY, &stem, &fmt))
		return false;
	for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		buf_init(&cands[i]);
	if (keyname_parse(name, stem, cands, &ncands) == 0) {
		FUZZ_ASSERT(ncands >= 1 && ncands <= KEYNAME_MAX_CANDIDATES);
		w->type = S_IFREG;
		if (x->kind == FX_KEY) {
			const struct fx_row *r = find_row(x->gen, x->tidx, cands, ncands);
			const struct manifest_table *mt = &fx.gens[x->gen].tables[x->tidx];
			if (r) {
				if (fmt == VIEW_CSV)
					render_csv_header(&w->content, mt->cols, mt->ncols);
				add_row(&w->content, x->gen, x->tidx, fmt, r);
				w->size = w->content.len;
				hit = true;
			}
		} else {
			w->flags = TREE_LIVE;
			hit = add_history(w, x->dir, cands, ncands, fmt);
		}
	}
	for (size_t i = 0; i < KEYNAME_MAX_CANDIDATES; i++)
		buf_release(&cands[i]);
	if (!hit)
		buf_release(&w->content);
	return hit;
}

/* The name a row of table version (g, t) is looked up by (caller frees), or NULL: none. */
static char *row_key_name(size_t g, size_t t, const struct fx_row *r, enum view_format fmt)
{
	char *stem = fx_key_name(r->key.data, r->key.len, fx_user_values(&fx.gens[g].tables[t]));
	char *name = stem ? xasprintf("%s.%s", stem, view_ext(fmt)) : NULL;
	free(stem);
	if (name && strlen(name) > 255) {
		free(name);
		name = NULL;
	}
	return name;
}

/* ---- row-range files: one file in every generation holding the same bytes (layout 6) ---- */

/*
 * The revision of a generation's JSONL and SQL views, from its manifest's
 * version: 2 from version 3 on, 1 for version 2, 0 before (no views).
 */
static unsigned views_rev(const struct manifest *m)
{
	return m->version >= 3 ? 2 : m->version == 2 ? 1 : 0;
}

/*
 * Whether chunk k of table (g, t) and chunk k2 of table (g2, t2) are the
 * same row-range file's bytes in any one format: the same chunk in a
 * table of the same name, the same columns (so the same CSV header), the
 * same WITHOUT ROWID flag and the same views' revision.  This is what the
 * fixture knows the bytes depend on (docs/FORMAT.md "Attributes"), decided
 * from the manifests alone, not with the catalog's render id.
 */
static bool same_bytes(size_t g, size_t t, size_t k, size_t g2, size_t t2, size_t k2)
{
	const struct manifest_table *a = &fx.gens[g].tables[t], *b = &fx.gens[g2].tables[t2];
	if (memcmp(a->chunks[k].id.b, b->chunks[k2].id.b, sizeof(a->chunks[k].id.b)) ||
	    strcmp(a->name, b->name) || a->ncols != b->ncols ||
	    ((a->flags ^ b->flags) & TABLE_WITHOUT_ROWID) ||
	    views_rev(&fx.gens[g]) != views_rev(&fx.gens[g2]))
		return false;
	for (unsigned c = 0; c < a->ncols; c++)
		if (strcmp(a->cols[c], b->cols[c]))
			return false;
	return true;
}

/* Whether two row-range wants are the same file: one number, one node. */
static bool same_file(const struct want *a, const struct want *b)
{
	return a->rows && b->rows && a->fmt == b->fmt &&
	       same_bytes(a->gen, a->tidx, a->chunk, b->gen, b->tidx, b->chunk);
}

/*
 * w is chunk k of table (g, t) in fmt: st_nlink the generations of the
 * fixture holding the same bytes (one count per generation, however many
 * of its tables hold them), st_mtime the oldest one's time, st_blocks the
 * chunk's compressed length in 512-byte blocks for the CSV file (what the
 * repository stores for it, at least 1), else 1 (not empty).  Attributes
 * that may change (a new generation, a prune): TREE_LIVE_ATTR, not
 * TREE_LIVE (the name and the bytes are for good).
 */
static void add_rows_file(struct want *w, size_t g, size_t t, size_t k, enum view_format fmt)
{
	const struct fx_chunk *c = fx_chunk_by_id(&fx, &fx.gens[g].tables[t].chunks[k].id);
	FUZZ_ASSERT(c && w->size > 0);
	w->rows = true;
	w->hashed = true;
	w->flags = TREE_LIVE_ATTR;
	w->gen = g;
	w->tidx = t;
	w->chunk = k;
	w->fmt = fmt;
	w->nlink = 0;
	for (size_t g2 = 0; g2 < fx.ngens; g2++) {
		bool holds = false;
		for (size_t t2 = 0; t2 < fx.gens[g2].ntables && !holds; t2++)
			for (size_t k2 = 0; k2 < fx.gens[g2].tables[t2].nchunks && !holds; k2++)
				holds = same_bytes(g, t, k, g2, t2, k2);
		if (!holds)
			continue;
		if (!w->nlink++ || fx.gens[g2].time < w->mtime)
			w->mtime = fx.gens[g2].time;
	}
	FUZZ_ASSERT(w->nlink >= 1); /* its own generation */
	/* clen: set by fx_build, before the tree is opened (the catalog has it from the pack) */
	FUZZ_ASSERT(c->e.clen > 0);
	w->blocks = fmt == VIEW_CSV && c->e.clen > 512 ? ((uint64_t)c->e.clen + 511) / 512 : 1;
}

static void describe(void)
{
	size_t root = parent_index(FX_ROOT, 0, 0), tables = parent_index(FX_TABLES, 0, 0);
	size_t dbs = parent_index(FX_DB, 0, 0);
	const struct manifest *newest = &fx.gens[fx_newest(&fx)];
	size_t order[FX_MAX_GENS];
	struct want *w;

	w = add(NONE, "", S_IFDIR, FX_INO_ROOT);
	w->self = root;
	w->flags = TREE_LIVE;
	w->timed = true;
	w->mtime = newest->time;
	/* the generations oldest first: by time, then seq (none is named "tables", "at" or "db") */
	fx_gen_order(&fx, order);
	for (size_t i = 0; i < fx.ngens; i++) {
		size_t o = order[i];
		FUZZ_ASSERT(strcmp(fx.gens[o].name, "tables") && strcmp(fx.gens[o].name, "at") &&
			    strcmp(fx.gens[o].name, "db"));
		w = add(root, fx.gens[o].name, S_IFDIR, fx_ino(FX_T_GEN, fx.gens[o].seq, 0, 0));
		w->self = parent_index(FX_GEN, o, 0);
	}
	w = add(root, "latest", S_IFLNK, FX_INO_LATEST);
	w->flags = TREE_LIVE;
	add_text(w, newest->name, strlen(newest->name));
	/* layout 5: tables/ and at/ after "latest"; layout 6: then db/ (the newest generation's time) */
	w = add(root, "tables", S_IFDIR, fx_ext_ino(FX_EXT_TABLES, 0, 0, 0));
	w->flags = TREE_LIVE;
	w->self = tables;
	w->timed = true;
	w->mtime = newest->time;
	w = add(root, "at", S_IFDIR, fx_ext_ino(FX_EXT_AT, 0, 0, 0));
	w->flags = TREE_LIVE;
	w->self = parent_index(FX_AT, 0, 0);
	w->timed = true;
	w->mtime = newest->time;
	w = add(root, "db", S_IFDIR, fx_ext_ino(FX_EXT_DB, 0, 0, 0));
	w->flags = TREE_LIVE;
	w->self = dbs;
	w->timed = true;
	w->mtime = newest->time;
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
			/*
			 * each chunk as CSV, JSONL and SQL together: byte order.
			 * Layout 6: hashed numbers, learned in init, shared by
			 * the generations holding the same bytes (add_rows_file).
			 */
			for (size_t k = 0; k < mt->nchunks; k++)
				for (unsigned fmt = 0; fmt < VIEW_FORMATS; fmt++) {
					w = add(rp, fx.fnames[fmt][g][t][k], S_IFREG, 0);
					w->need = 1u << fmt;
					add_rows(w, mt, (enum view_format)fmt, &vt, k, 1);
					add_rows_file(w, g, t, k, (enum view_format)fmt);
				}
			view_table_release(&vt);
			/* layout 5: key/ and the changes files (not where the table's own files have the names) */
			w = add(tp, "key", S_IFDIR, fx_ext_ino(FX_EXT_KEY_DIR, m->seq, t, 0));
			w->self = parent_index(FX_KEY, g, t);
			if (strcmp(mt->dirname, "changes")) {
				/* hashed (learned from the tree), one-second entries */
				w = add(tp, "changes.csv", S_IFREG, 0);
				w->need = 1u << VIEW_CSV;
				w->hashed = true;
				w->flags = TREE_LIVE;
				add_changes(w, g, t, VIEW_CSV);
				w = add(tp, "changes.jsonl", S_IFREG, 0);
				w->need = 1u << VIEW_JSONL;
				w->hashed = true;
				w->flags = TREE_LIVE;
				add_changes(w, g, t, VIEW_JSONL);
			}
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
	/* tables/: every table directory name, sorted (hashed numbers, learned in init) */
	for (size_t d = 0; d < fx.ndirs; d++) {
		w = add(tables, fx.dirs[d], S_IFDIR, 0);
		w->hashed = true;
		w->flags = TREE_LIVE;
		w->self = parent_index(FX_HIST, d, 0);
	}
	/* tables/<T>/: a link per version, oldest first, then key/ */
	for (size_t d = 0; d < fx.ndirs; d++) {
		size_t hp = parent_index(FX_HIST, d, 0), gs[FX_MAX_GENS], ts[FX_MAX_GENS];
		size_t n = fx_versions(&fx, fx.dirs[d], gs, ts);
		FUZZ_ASSERT(n > 0);
		for (size_t i = 0; i < n; i++) {
			const struct manifest *m = &fx.gens[gs[i]];
			FUZZ_ASSERT(strcmp(m->name, "key"));
			w = add(hp, m->name, S_IFLNK, fx_ext_ino(FX_EXT_HIST_LINK, m->seq, ts[i], 0));
			buf_addf(&w->content, "../../%s/%s", m->name, fx.dirs[d]);
			w->size = w->content.len;
			w->flags = TREE_LIVE; /* a prune removes it (layout 6) */
		}
		w = add(hp, "key", S_IFDIR, 0);
		w->hashed = true;
		w->flags = TREE_LIVE;
		w->self = parent_index(FX_HIST_KEY, d, 0);
	}
	/*
	 * Layout 6, db/: every database name, sorted bytewise (hashed numbers,
	 * learned in init), each its newest generation's time
	 */
	FUZZ_ASSERT(fx.ndbs >= 2);
	bool several = false;
	for (size_t d = 0; d < fx.ndbs; d++) {
		size_t gs[FX_MAX_GENS], n = fx_db_gens(&fx, d, gs);
		FUZZ_ASSERT(n > 0);
		several |= n > 1;
		w = add(dbs, fx.dbs[d], S_IFDIR, 0);
		w->hashed = true;
		w->flags = TREE_LIVE;
		w->self = parent_index(FX_DB_NAME, d, 0);
		w->timed = true;
		w->mtime = fx.gens[gs[n - 1]].time;
	}
	FUZZ_ASSERT(several); /* a database of more than one generation */
	/*
	 * db/<name>/: a link per generation of it, oldest first, to ../../<gen>
	 * (extended address subtype 6, its seq; not live), then latest, to its
	 * newest generation (hashed, learned in init; TREE_LIVE).  A link's time
	 * is its generation's.  No fixture generation is named "latest" or as
	 * the root's own directories (those are not linked).
	 */
	for (size_t d = 0; d < fx.ndbs; d++) {
		size_t np = parent_index(FX_DB_NAME, d, 0), gs[FX_MAX_GENS];
		size_t n = fx_db_gens(&fx, d, gs);
		for (size_t i = 0; i < n; i++) {
			const struct manifest *m = &fx.gens[gs[i]];
			FUZZ_ASSERT(strcmp(m->name, "latest"));
			w = add(np, m->name, S_IFLNK, fx_ext_ino(FX_EXT_DB_LINK, m->seq, 0, 0));
			buf_addf(&w->content, "../../%s", m->name);
			w->size = w->content.len;
			w->flags = TREE_LIVE; /* a prune removes it */
			w->gen = gs[i];
			w->timed = true;
			w->mtime = m->time;
		}
		const struct manifest *m = &fx.gens[gs[n - 1]];
		w = add(np, "latest", S_IFLNK, 0);
		w->hashed = true;
		w->flags = TREE_LIVE;
		buf_addf(&w->content, "../../%s", m->name);
		w->size = w->content.len;
		w->gen = gs[n - 1];
		w->timed = true;
		w->mtime = m->time;
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

static struct want *want_by_name(size_t dir, const char *name)
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

/* Whether p is a directory whose names are computed, not listed (key/, tables/<T>/key, at/). */
static bool computed_dir(size_t p)
{
	enum fx_kind k = fx.parents[p].kind;
	return k == FX_KEY || k == FX_HIST_KEY || k == FX_AT;
}

/* ---- the hashed numbers handed out ---- */

static size_t handed_slot(uint64_t ino)
{
	return (size_t)(ino ^ ino >> 29) & (HANDED_SLOTS - 1);
}

static struct handed *handed_get(uint64_t ino)
{
	for (size_t i = handed_slot(ino);; i = (i + 1) & (HANDED_SLOTS - 1)) {
		if (!handed[i].name)
			return NULL;
		if (handed[i].ino == ino)
			return &handed[i];
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Keep the HANDED_KEEP most recently handed out (the table is then half as full). */
static void handed_sweep(void)
{
	struct handed *old = handed;
	uint64_t *stamps = xcalloc(nhanded, sizeof(*stamps)), keep_from;
	size_t n = 0;
	for (size_t i = 0; i < HANDED_SLOTS; i++)
		if (old[i].name)
			stamps[n++] = old[i].stamp;
	qsort(stamps, n, sizeof(*stamps), cmp_u64);
	keep_from = stamps[n - HANDED_KEEP];
	free(stamps);
	handed = xcalloc(HANDED_SLOTS, sizeof(*handed));
	nhanded = 0;
	for (size_t i = 0; i < HANDED_SLOTS; i++) {
		if (!old[i].name)
			continue;
		if (old[i].stamp < keep_from) {
			free(old[i].name);
			continue;
		}
		size_t k = handed_slot(old[i].ino);
		while (handed[k].name)
			k = (k + 1) & (HANDED_SLOTS - 1);
		handed[k] = old[i];
		nhanded++;
	}
	free(old);
}

/* A lookup of name in p handed out number ino: one number names one node. */
static void handed_put(uint64_t ino, size_t p, const char *name)
{
	struct handed *h = handed_get(ino);
	if (h) {
		FUZZ_ASSERT(h->parent == p && !strcmp(h->name, name));
		h->stamp = ++handed_clock;
		return;
	}
	if (nhanded == 2 * HANDED_KEEP)
		handed_sweep();
	size_t k = handed_slot(ino);
	while (handed[k].name)
		k = (k + 1) & (HANDED_SLOTS - 1);
	handed[k] = (struct handed){ ino, ++handed_clock, p, xstrdup(name) };
	nhanded++;
}

/* A lookup gave the caller this number: one reference, dropped after the input. */
static void given_add(uint64_t ino)
{
	if (ngiven == sizeof(given) / sizeof(given[0])) {
		tree_forget(tree, given[0], 1);
		memmove(given, given + 1, --ngiven * sizeof(given[0]));
	}
	given[ngiven++] = ino;
}

static void forget_given(void)
{
	for (size_t i = 0; i < ngiven; i++)
		tree_forget(tree, given[i], 1);
	ngiven = 0;
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
	FUZZ_ASSERT(flags == (parent_live(p) ? (unsigned)TREE_LIVE : 0u));
	memset(seen, 0, nwants * sizeof(*seen));
	for (size_t i = 0; i < nwants; i++)
		n += wants[i].dir == p && served(&wants[i], mask);
	if (d.n != n) {
		fprintf(stderr, "fuzz_lookup: directory %zu (kind %d, formats %#x) lists %zu, not %zu:",
			p, (int)fx.parents[p].kind, mask, d.n, n);
		for (size_t i = 0, o = 0; i < d.n; o += strlen((const char *)d.names.data + o) + 1, i++)
			fprintf(stderr, " '%s'", (const char *)d.names.data + o);
		fprintf(stderr, "\n");
	}
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

/*
 * What tree_lookup or tree_stat said of w is w (its attributes only).  A
 * row-range file: the links, time and blocks of add_rows_file() (the same
 * for every want sharing its number); any other node: st_nlink 2 for a
 * directory, else 1, and st_blocks 1 for a regular file that is not empty,
 * else 0 (layout 6: only the row-range CSV files count what the repository
 * stores; tar --sparse takes a non-empty file of 0 blocks for all holes).
 */
static void check_attrs(const struct want *w, uint64_t ino, const struct stat *st, unsigned flags)
{
	uint64_t nlink = w->rows ? w->nlink : w->type == S_IFDIR ? 2 : 1;
	uint64_t blocks = w->rows ? w->blocks : w->type == S_IFREG && w->size ? 1 : 0;
	FUZZ_ASSERT(ino == w->ino && st->st_ino == w->ino);
	FUZZ_ASSERT((st->st_mode & S_IFMT) == w->type);
	FUZZ_ASSERT((uint64_t)st->st_size == w->size);
	FUZZ_ASSERT(flags == w->flags);
	if ((uint64_t)st->st_nlink != nlink || (uint64_t)st->st_blocks != blocks)
		fprintf(stderr, "fuzz_lookup: '%s' (%#llx): nlink %llu blocks %llu, not %llu %llu\n",
			w->name, (unsigned long long)ino, (unsigned long long)st->st_nlink,
			(unsigned long long)st->st_blocks, (unsigned long long)nlink,
			(unsigned long long)blocks);
	FUZZ_ASSERT((uint64_t)st->st_nlink == nlink);
	FUZZ_ASSERT((uint64_t)st->st_blocks == blocks);
	if (w->rows)
		FUZZ_ASSERT(st->st_mtime == w->mtime && st->st_ctime == w->mtime &&
			    st->st_atime == w->mtime);
	if (w->timed && (st->st_mtime != w->mtime || st->st_ctime != w->mtime))
		fprintf(stderr, "fuzz_lookup: '%s' (%#llx): mtime %lld ctime %lld, not %lld\n", w->name,
			(unsigned long long)ino, (long long)st->st_mtime, (long long)st->st_ctime,
			(long long)w->mtime);
	FUZZ_ASSERT(!w->timed || (st->st_mtime == w->mtime && st->st_ctime == w->mtime));
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

/*
 * A lookup of name in a directory whose names are computed (key/,
 * tables/<T>/key, at/): a hit is what expect_computed() says, with a
 * hashed number that names it from then on (the same number again, and a
 * whole read is its size); a miss is -ENOENT.  Returns whether it hit.
 */
static bool lookup_computed(size_t p, const char *name, const uint8_t *rd, size_t rdn)
{
	struct want w;
	bool hit = expect_computed(p, name, &w);
	struct stat st;
	unsigned flags = 99;
	uint64_t ino = 0, again = 0;
	int rc = tree_lookup(tree, fx.parents[p].ino, name, &ino, &st, &flags);

	if (!hit) {
		FUZZ_ASSERT(rc == -ENOENT);
		FUZZ_ASSERT(flags == (parent_live(p) ? 0u : (unsigned)TREE_FINAL));
		return false;
	}
	FUZZ_ASSERT(rc == 0);
	given_add(ino);
	FUZZ_ASSERT(ino >> 60 == FX_T_HASH);
	handed_put(ino, p, name);
	w.ino = ino;
	check_hit(&w, ino, &st, flags, rd, rdn);
	if (w.type == S_IFREG)
		check_read_at(&w, 0, (size_t)w.size + 1);
	FUZZ_ASSERT(tree_lookup(tree, fx.parents[p].ino, name, &again, &st, &flags) == 0);
	given_add(again);
	FUZZ_ASSERT(again == ino);
	check_attrs(&w, again, &st, flags);
	FUZZ_ASSERT(tree_stat(tree, ino, &st, &flags) == 0);
	check_attrs(&w, ino, &st, flags);
	buf_release(&w.content);
	return true;
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
	/*
	 * mount layout 6 (key/, changes, tables/, at/, db/; row-range files
	 * shared by the generations holding them), "format": 6 for manifest
	 * versions 3 to 5: the fixture's are version 5 (MANIFEST_VERSION,
	 * what manifest_encode writes)
	 */
	FUZZ_ASSERT(fx.gens[gp->gen].version == 5 && MANIFEST_VERSION == 5);
	FUZZ_ASSERT(!strncmp((const char *)w->content.data, "{\n  \"format\": 6,\n", 17));
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
 * Every row of every table version by its own key name, in every format
 * of mask: in its key/ (that row) and in tables/<T>/key (its history).
 * With rows_max, only that many rows of each (the first ones).
 */
static void check_keys(unsigned mask, size_t rows_max)
{
	for (size_t g = 0; g < fx.ngens; g++)
		for (size_t t = 0; t < fx.gens[g].ntables; t++) {
			const struct manifest_table *mt = &fx.gens[g].tables[t];
			size_t kp = parent_index(FX_KEY, g, t), d = 0;
			while (strcmp(fx.dirs[d], mt->dirname))
				d++;
			size_t hp = parent_index(FX_HIST_KEY, d, 0);
			for (size_t i = 0; i < ntrows[g][t] && i < rows_max; i++) {
				const struct fx_row *r = &trows[g][t][i];
				for (unsigned f = 0; f < VIEW_FORMATS; f++) {
					char *name = row_key_name(g, t, r, (enum view_format)f);
					if (!name)
						continue; /* a NULL in the key: no name names it */
					size_t stem = strlen(name) - 1 - strlen(view_ext(f));
					struct buf c[KEYNAME_MAX_CANDIDATES];
					size_t nc = 0;
					for (size_t k = 0; k < KEYNAME_MAX_CANDIDATES; k++)
						buf_init(&c[k]);
					/* the name names this row */
					FUZZ_ASSERT(keyname_parse(name, stem, c, &nc) == 0);
					FUZZ_ASSERT(find_row(g, t, c, nc) == r);
					for (size_t k = 0; k < KEYNAME_MAX_CANDIDATES; k++)
						buf_release(&c[k]);
					bool in = (mask & 1u << f) != 0;
					FUZZ_ASSERT(lookup_computed(kp, name, NULL, 0) == in);
					FUZZ_ASSERT(lookup_computed(hp, name, NULL, 0) ==
						    (in && f != VIEW_SQL));
					forget_given();
					free(name);
				}
			}
		}
}

/*
 * With only the formats of mask served: every listing; the files of a
 * format and the schemas by number and by name, each present if and only
 * if it is served; the first rows' key files and histories.
 */
static void check_formats(unsigned mask)
{
	tree_set_formats(tree, mask);
	cur_mask = mask;
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
		if (rc != (in ? 0 : -ENOENT))
			fprintf(stderr, "fuzz_lookup: formats %#x: '%s' (%#llx) stats: %d\n", mask,
				w->name, (unsigned long long)w->ino, rc);
		FUZZ_ASSERT(rc == (in ? 0 : -ENOENT));
		if (in)
			check_attrs(w, w->ino, &st, flags);
		in = served(w, mask);
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
	check_keys(mask, 2);
	tree_set_formats(tree, ALL_FORMATS);
	cur_mask = ALL_FORMATS;
}

/*
 * The links lead where they say: tables/<T>/<gen> to the table, at/<gen
 * name> to a generation, db/<name>/<gen> and db/<name>/latest to the
 * generation (w->gen: that one, or the database's newest).
 */
static void check_links(void)
{
	for (size_t i = 0; i < nwants; i++) {
		const struct want *w = &wants[i];
		if (w->type != S_IFLNK || w->dir == NONE || fx.parents[w->dir].kind != FX_HIST)
			continue;
		char *path = xasprintf("tables/%s/%s", fx.dirs[fx.parents[w->dir].dir], w->name);
		uint64_t ino = 0, via = 0;
		FUZZ_ASSERT(tree_resolve(tree, path, false, &ino) == 0 && ino == w->ino);
		FUZZ_ASSERT(tree_resolve(tree, path, true, &via) == 0);
		const struct want *t = want_by_ino(via);
		FUZZ_ASSERT(t && t->type == S_IFDIR && fx.parents[t->self].kind == FX_TABLE &&
			    !strcmp(fx.gens[fx.parents[t->self].gen].name, w->name) &&
			    !strcmp(t->name, fx.dirs[fx.parents[w->dir].dir]));
		free(path);
	}
	/* at/<the generation's time>: the newest generation at that time */
	for (size_t g = 0; g < fx.ngens; g++) {
		char ts[32];
		uint64_t ino = 0;
		time_rfc3339(ts, fx.gens[g].time);
		char *path = xasprintf("at/%s", ts);
		FUZZ_ASSERT(tree_resolve(tree, path, true, &ino) == 0);
		const struct want *t = want_by_ino(ino);
		FUZZ_ASSERT(t && t->type == S_IFDIR && fx.parents[t->self].kind == FX_GEN &&
			    fx.gens[fx.parents[t->self].gen].time == fx.gens[g].time);
		free(path);
		FUZZ_ASSERT(lookup_computed(parent_index(FX_AT, 0, 0), ts, NULL, 0));
		forget_given();
	}
	for (size_t i = 0; i < nwants; i++) {
		const struct want *w = &wants[i];
		if (w->type != S_IFLNK || w->dir == NONE || fx.parents[w->dir].kind != FX_DB_NAME)
			continue;
		char *path = xasprintf("db/%s/%s", fx.dbs[fx.parents[w->dir].dir], w->name);
		uint64_t ino = 0, via = 0;
		FUZZ_ASSERT(tree_resolve(tree, path, false, &ino) == 0 && ino == w->ino);
		FUZZ_ASSERT(tree_resolve(tree, path, true, &via) == 0);
		const struct want *t = want_by_ino(via);
		FUZZ_ASSERT(t && t->type == S_IFDIR && t->dir == parent_index(FX_ROOT, 0, 0) &&
			    fx.parents[t->self].kind == FX_GEN && fx.parents[t->self].gen == w->gen);
		free(path);
	}
}

static void lookup(size_t dir, const struct want *in, const char *name, const uint8_t *rd,
		   size_t rdn);

/*
 * Layout 6, db/: what is not there.  In db/ nothing but the databases (not
 * a generation, "latest", a name in another case, the root's directories);
 * in db/<name>/ nothing but its own generations and latest: every
 * generation of another database is -ENOENT, as are the root's other
 * names.  Both are live (a miss is not TREE_FINAL).  The lookups go
 * through lookup(), which holds a hit to the fixture too.
 */
static void check_db(void)
{
	static const char *const other[] = { "latest", "tables", "at", "db", "key", "", ".", "..",
					      "fuzz.db", "Fuzz", "shop.v2", "orders" };
	size_t dbs = parent_index(FX_DB, 0, 0);
	for (size_t g = 0; g < fx.ngens; g++) {
		char name[DB_NAME_MAX + 1];
		size_t mine = 0;
		manifest_db_name(&fx.gens[g], name);
		while (strcmp(fx.dbs[mine], name))
			mine++;
		FUZZ_ASSERT(!want_by_name(dbs, fx.gens[g].name));
		lookup(dbs, NULL, fx.gens[g].name, NULL, 0);
		for (size_t d = 0; d < fx.ndbs; d++) {
			size_t np = parent_index(FX_DB_NAME, d, 0);
			/* its own database has it, every other does not */
			FUZZ_ASSERT(!want_by_name(np, fx.gens[g].name) == (d != mine));
			lookup(np, NULL, fx.gens[g].name, NULL, 0);
		}
		forget_given();
	}
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		lookup(dbs, NULL, other[i], NULL, 0);
		for (size_t d = 0; d < fx.ndbs; d++)
			lookup(parent_index(FX_DB_NAME, d, 0), NULL, other[i], NULL, 0);
		forget_given();
	}
	/* a database's name is not a name in another one's directory, nor in its own */
	for (size_t d = 0; d < fx.ndbs; d++)
		for (size_t e = 0; e < fx.ndbs; e++) {
			FUZZ_ASSERT(!want_by_name(parent_index(FX_DB_NAME, e, 0), fx.dbs[d]));
			lookup(parent_index(FX_DB_NAME, e, 0), NULL, fx.dbs[d], NULL, 0);
			forget_given();
		}
}

/* The numbers of tables/<T> and tables/<T>/key: hashes, learned by looking the names up. */
static void learn_hashed(void)
{
	size_t tables = parent_index(FX_TABLES, 0, 0);
	for (size_t d = 0; d < fx.ndirs; d++) {
		size_t hp = parent_index(FX_HIST, d, 0), kp = parent_index(FX_HIST_KEY, d, 0);
		struct want *w = want_by_name(tables, fx.dirs[d]), *k = want_by_name(hp, "key");
		struct stat st;
		unsigned flags;
		uint64_t ino;
		FUZZ_ASSERT(w && k && w->hashed && k->hashed);
		FUZZ_ASSERT(tree_lookup(tree, fx.parents[tables].ino, fx.dirs[d], &ino, &st,
					&flags) == 0);
		tree_forget(tree, ino, 1);
		FUZZ_ASSERT(ino >> 60 == FX_T_HASH);
		w->ino = fx.parents[hp].ino = ino;
		FUZZ_ASSERT(tree_lookup(tree, ino, "key", &ino, &st, &flags) == 0);
		tree_forget(tree, ino, 1);
		FUZZ_ASSERT(ino >> 60 == FX_T_HASH);
		k->ino = fx.parents[kp].ino = ino;
	}
	/* layout 6: db/<name> and db/<name>/latest */
	size_t dbs = parent_index(FX_DB, 0, 0);
	for (size_t d = 0; d < fx.ndbs; d++) {
		size_t np = parent_index(FX_DB_NAME, d, 0);
		struct want *w = want_by_name(dbs, fx.dbs[d]), *l = want_by_name(np, "latest");
		struct stat st;
		unsigned flags;
		uint64_t ino;
		FUZZ_ASSERT(w && l && w->hashed && l->hashed);
		FUZZ_ASSERT(tree_lookup(tree, fx.parents[dbs].ino, fx.dbs[d], &ino, &st, &flags) == 0);
		tree_forget(tree, ino, 1);
		FUZZ_ASSERT(ino >> 60 == FX_T_HASH);
		w->ino = fx.parents[np].ino = ino;
		FUZZ_ASSERT(tree_lookup(tree, ino, "latest", &ino, &st, &flags) == 0);
		tree_forget(tree, ino, 1);
		FUZZ_ASSERT(ino >> 60 == FX_T_HASH);
		l->ino = ino;
	}
	/*
	 * the changes files, in their table directories, and the row-range
	 * files, in rows/ (both numbered by address): all that is left
	 */
	for (size_t i = 0; i < nwants; i++) {
		struct want *w = &wants[i];
		struct stat st;
		unsigned flags;
		uint64_t ino;
		if (!w->hashed || w->ino)
			continue;
		FUZZ_ASSERT(w->dir != NONE && (w->rows || !strncmp(w->name, "changes.", 8)));
		FUZZ_ASSERT(tree_lookup(tree, fx.parents[w->dir].ino, w->name, &ino, &st, &flags) == 0);
		tree_forget(tree, ino, 1);
		FUZZ_ASSERT(ino >> 60 == FX_T_HASH);
		w->ino = ino;
	}
	/*
	 * Layout 6: the row-range files of the same bytes (same_file()) have
	 * one number, whichever generation it was learned in; any two that are
	 * not have two.  Those that share one are one node: the same format,
	 * size and bytes (and by add_rows_file() the same links, time and
	 * blocks), so a stat of the number is any of them (want_by_ino()).
	 */
	for (size_t i = 0; i < nwants; i++)
		for (size_t j = i + 1; j < nwants && wants[i].rows; j++) {
			const struct want *a = &wants[i], *b = &wants[j];
			if (!b->rows)
				continue;
			bool same = same_file(a, b);
			if (same != (a->ino == b->ino))
				fprintf(stderr, "fuzz_lookup: '%s' and '%s' (generations %zu, %zu): "
					"%#llx, %#llx (the same file: %d)\n", a->name, b->name, a->gen,
					b->gen, (unsigned long long)a->ino,
					(unsigned long long)b->ino, same);
			FUZZ_ASSERT(same == (a->ino == b->ino));
			if (!same)
				continue;
			FUZZ_ASSERT(a->type == b->type && a->need == b->need && a->flags == b->flags);
			FUZZ_ASSERT(a->size == b->size && a->content.len == b->content.len &&
				    !memcmp(a->content.data, b->content.data, a->content.len));
			FUZZ_ASSERT(a->nlink == b->nlink && a->mtime == b->mtime &&
				    a->blocks == b->blocks);
			FUZZ_ASSERT(a->ncuts == b->ncuts &&
				    !memcmp(a->cuts, b->cuts, a->ncuts * sizeof(*a->cuts)));
		}
}

/*
 * What the library logs: over a healthy repository only that a name in at/
 * is not a time (said for every such name); anything else is a problem it
 * found, which there is none of.
 */
static void log_sink(const char *line)
{
	size_t n = strlen(line);
	static const char tail[] = ": not a time; name one as";
	if (!strncmp(line, "at/", 3) && strstr(line, tail))
		return;
	fprintf(stderr, "fuzz_lookup: the library logged: %.*s\n", (int)n, line);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *err = NULL;
	(void)argc;
	(void)argv;
	log_set_sink(log_sink);
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
	/* byte 0 of a lookup (< 0x80) names the directory */
	FUZZ_ASSERT(fx.nparents < 0x80);
	handed = xcalloc(HANDED_SLOTS, sizeof(*handed));
	for (size_t g = 0; g < fx.ngens; g++)
		for (size_t t = 0; t < fx.gens[g].ntables; t++)
			trows[g][t] = fx_rows(&fx, &fx.gens[g].tables[t], &ntrows[g][t]);
	describe();
	learn_hashed();
	seen = xcalloc(nwants, sizeof(*seen));
	by_ino = xcalloc(nwants, sizeof(*by_ino));
	for (size_t i = 0; i < nwants; i++)
		by_ino[i] = i;
	qsort(by_ino, nwants, sizeof(*by_ino), cmp_ino);
	/* one number, one node: only the same row-range file may have a number twice */
	for (size_t i = 1; i < nwants; i++)
		FUZZ_ASSERT(wants[by_ino[i - 1]].ino != wants[by_ino[i]].ino ||
			    same_file(&wants[by_ino[i - 1]], &wants[by_ino[i]]));

	/* every directory, reached by lookups from the root (parents come after theirs) */
	for (size_t i = 0; i < nwants; i++) {
		const struct want *w = &wants[i];
		struct stat st;
		unsigned flags;
		uint64_t ino;
		if (w->type != S_IFDIR || w->dir == NONE)
			continue;
		FUZZ_ASSERT(tree_lookup(tree, fx.parents[w->dir].ino, w->name, &ino, &st, &flags) == 0);
		tree_forget(tree, ino, 1);
		FUZZ_ASSERT(ino == fx.parents[w->self].ino && S_ISDIR(st.st_mode));
	}
	for (size_t i = 0; i < nwants; i++)
		if (!strcmp(wants[i].name, "generation.json"))
			learn_json(&wants[i]);
	/* and the whole tree once */
	for (size_t p = 0; p < fx.nparents; p++)
		check_listing(p, ALL_FORMATS);
	for (size_t i = 0; i < nwants; i++) {
		const struct want *w = &wants[i];
		struct stat st;
		unsigned flags;
		uint64_t ino;
		struct tree_dir d;
		FUZZ_ASSERT(tree_stat(tree, w->ino, &st, &flags) == 0);
		check_hit(w, w->ino, &st, flags, NULL, 0);
		if (w->type == S_IFREG)
			check_cuts(w);
		/* by name, and nothing is in a file or a link */
		if (w->dir != NONE) {
			FUZZ_ASSERT(tree_lookup(tree, fx.parents[w->dir].ino, w->name, &ino, &st,
						&flags) == 0);
			tree_forget(tree, ino, 1);
			check_attrs(w, ino, &st, flags);
		}
		if (w->type != S_IFDIR) {
			FUZZ_ASSERT(tree_lookup(tree, w->ino, "x", &ino, &st, &flags) == -ENOTDIR);
			FUZZ_ASSERT(tree_list(tree, w->ino, &d, &flags) == -ENOTDIR);
		}
	}
	check_links();
	check_db();
	/* every row by its key name, in its key/ and in its history */
	check_keys(ALL_FORMATS, (size_t)-1);
	/* one format served: each file of a format is there in one, absent in two */
	for (unsigned fmt = 0; fmt < VIEW_FORMATS; fmt++)
		check_formats(1u << fmt);
	return 0;
}

/* ---- one input ---- */

static void lookup(size_t dir, const struct want *in, const char *name, const uint8_t *rd,
		   size_t rdn)
{
	if (dir != NONE && computed_dir(dir)) {
		lookup_computed(dir, name, rd, rdn);
		return;
	}
	const struct want *w = dir == NONE ? NULL : want_by_name(dir, name);
	uint64_t parent = dir == NONE ? in->ino : fx.parents[dir].ino, ino = 0;
	struct stat st;
	unsigned flags = 99;
	int rc = tree_lookup(tree, parent, name, &ino, &st, &flags);

	if (dir == NONE) { /* a file or the link */
		FUZZ_ASSERT(rc == -ENOTDIR && flags == 0);
	} else if (!w) {
		FUZZ_ASSERT(rc == -ENOENT);
		FUZZ_ASSERT(flags == (parent_live(dir) ? 0u : (unsigned)TREE_FINAL));
	} else {
		FUZZ_ASSERT(rc == 0);
		given_add(ino);
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
		/* a hashed number listed: the tree may have let it go (a lookup brings it back) */
		if (w->hashed && rc == -ENOENT)
			return;
		FUZZ_ASSERT(rc == 0);
		check_hit(w, ino, &st, flags, rd, rdn);
		return;
	}
	const struct handed *h = ino >> 60 == FX_T_HASH ? handed_get(ino) : NULL;
	if (h && rc == 0) {
		/* one a lookup handed out, still remembered: what it named */
		struct want c;
		FUZZ_ASSERT(expect_computed(h->parent, h->name, &c));
		c.ino = ino;
		c.name = h->name;
		check_hit(&c, ino, &st, flags, rd, rdn);
		buf_release(&c.content);
		return;
	}
	FUZZ_ASSERT(rc == -ENOENT); /* answered, yet listed nowhere, handed out by no lookup */
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
	forget_given();
	return 0;
}
