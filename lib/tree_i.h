/*
 * tree_i.h - inside the tree (tree.h): the node kinds' interface.
 *
 * A node kind serves one kind of node: a generation directory, a table's
 * CSV file, a row-range file ...  It says where its nodes appear (parents,
 * a mask of node types) and answers, for its own nodes:
 *   find      is `name` in directory `parent` one of mine?  (-ENOENT: no)
 *   each      add all of mine in directory `parent` to a listing (NULL: another
 *             kind lists them, as the CSV row-range files list the JSONL and
 *             SQL ones beside each chunk's CSV file)
 *   stat      attributes
 *   open      a file's content (struct rd_file: prefix + chunk list)
 *   readlink  a symbolic link's target
 * A new view is one new node_*.c file and one line in tree.c's table.
 *
 * Every callback runs with the catalog lock held and may use t->cat; it
 * copies what it needs out of the catalog's results.  A problem it logs
 * itself is returned as TREE_LOGGED; any other error but -ENOENT,
 * -ENOTDIR, -EISDIR and -EINVAL is logged by the tree as a catalog error.
 */
#ifndef STRATA_TREE_I_H
#define STRATA_TREE_I_H

#include <pthread.h>
#include <time.h>

#include "strata/catalog.h"
#include "strata/repo.h"
#include "strata/tree.h"

/* an error already logged by the code that found it */
#define TREE_LOGGED (-100001)

/*
 * Node types (tree.c, "inode numbers").  0 .. 13 are the top four bits of
 * the number; 14 (N_EXT) and 15 (N_DYN) are not kinds but the two ways
 * further kinds are numbered: an extended address (N_EXT_FIRST ..
 * N_EXT_LAST, a subtype in the next four bits and narrower fields) or a
 * hash of the node's whole identity, its name included (N_DYN_FIRST ..,
 * for nodes named by what a user typed: a key, a time).
 */
enum node_type {
	N_ROOT = 0, N_GEN = 1, N_GEN_JSON = 2, N_GEN_SCHEMA = 3, N_TABLE = 4,
	N_TABLE_SCHEMA = 5, N_TABLE_CSV = 6, N_ROWS = 7, N_LATEST = 9,
	N_ROWS_GROUP = 10, N_GEN_FILE = 13,
	/* 8, 11, 12: the row-range files before mount layout 6, now N_ROWS_FILE .. N_ROWS_SQL */
	N_EXT = 14, N_DYN = 15,
	/* extended addresses: type 14, subtype = kind - N_EXT_FIRST */
	N_EXT_FIRST = 16,
	N_TABLES = 16,     /* /tables */
	N_AT = 17,         /* /at */
	N_KEY_DIR = 18,    /* <gen>/<table>/key */
	/* 19: <gen>/<table>/changes.* before catalog schema 7, now N_CHANGES (hashed) */
	N_HIST_LINK = 20,  /* /tables/<table>/<gen> -> ../../<gen>/<table> */
	N_DB = 21,         /* /db */
	N_DB_LINK = 22,    /* /db/<name>/<gen> -> ../../<gen> */
	N_EXT_LAST = 31,
	/* named by a hash of their identity: type 15 */
	N_DYN_FIRST = 32,
	N_HIST_TABLE = 32, /* /tables/<table> (key: the table's directory name) */
	N_HIST_KEY_DIR = 33, /* /tables/<table>/key (key: the same) */
	N_HIST_KEY = 34,   /* /tables/<table>/key/<KEY>.<ext> (key: "<table>\0<KEY>", pos = format) */
	N_KEY_FILE = 35,   /* <gen>/<table>/key/<KEY>.<ext> (key: "<KEY>", pos = format) */
	N_AT_LINK = 36,    /* /at/<TIME> (key: TIME) */
	N_CHANGES = 37,    /* <gen>/<table>/changes.csv, .jsonl (pos = format; key: the seq
			    * of the generation compared with, in decimal, "0" for none) */
	/*
	 * Shared by every generation holding the same bytes: the number is a
	 * hash of the type and the key alone, and seq, tidx and pos are only
	 * where one of them is (node_rows.c, "one inode per row range").
	 */
	N_LOC_FIRST = 38,
	N_ROWS_FILE = 38,  /* <gen>/<table>/rows/FIRST+LAST.csv (key: struct cat_row_file; pos = chunk) */
	N_ROWS_JSONL = 39, /* ... .jsonl */
	N_ROWS_SQL = 40,   /* ... .sql */
	N_LOC_LAST = 40,
	N_DB_NAME = 41,    /* /db/<name> (key: the name) */
	N_DB_LATEST = 42,  /* /db/<name>/latest (key: the name; seq: the generation it names) */
	N_KINDS = 43,
};

#define NODE_SEQ_MAX 0xffffffu  /* 24 bits */
#define NODE_TIDX_MAX 0xffffu   /* 16 bits */
#define NODE_POS_MAX 0xfffffu   /* 20 bits */
#define NODE_EXT_POS_MAX 0xffffu /* 16 bits in an extended address */
#define NODE_KEY_MAX 512        /* bytes of a hashed node's name (two names of <= 255) */

/* A node whose seq, tidx and pos say where it is, not what it is (N_LOC_FIRST). */
static inline bool node_located(enum node_type type)
{
	return type >= N_LOC_FIRST && type <= N_LOC_LAST;
}

/* A bit of a node_kind's parents mask. */
#define PARENT(type) (UINT64_C(1) << (type))

/* What an inode number addresses (fields a type does not use are 0). */
struct node {
	enum node_type type;
	uint64_t seq;  /* generation */
	uint32_t tidx; /* table in it */
	uint32_t pos;  /* chunk or group in the table's rows/ */
	size_t keylen; /* hashed kinds: the name that is part of the identity */
	char key[NODE_KEY_MAX];
};

/* The address fields a node type uses; the others must be 0 in its numbers. */
enum node_fields { F_SEQ = 1 << 0, F_TIDX = 1 << 1, F_POS = 1 << 2 };

struct node_kind {
	const char *what;     /* for messages: "generation directory" */
	unsigned fields;      /* enum node_fields: what its inode numbers carry */
	uint64_t parents;     /* PARENT(type) of every directory type it appears in */
	mode_t mode;          /* S_IFDIR, S_IFREG or S_IFLNK */
	int (*find)(struct tree *t, const struct node *parent, const char *name,
		    struct node *child);
	int (*each)(struct tree *t, const struct node *parent, struct tree_dir *d);
	int (*stat)(struct tree *t, const struct node *n, struct stat *st, unsigned *flags);
	int (*open)(struct tree *t, const struct node *n, struct rd_file *f);
	int (*readlink)(struct tree *t, const struct node *n, char **target);
};

extern const struct node_kind node_root, node_gen, node_latest, node_gen_json,
	node_gen_schema, node_table, node_table_schema, node_table_csv, node_rows,
	node_rows_group, node_rows_file, node_rows_jsonl, node_rows_sql, node_gen_file,
	node_tables, node_at, node_key_dir, node_changes, node_hist_link, node_hist_table,
	node_hist_key_dir, node_hist_key, node_key_file, node_at_link, node_db, node_db_name,
	node_db_link, node_db_latest;

/* The hashed nodes handed out (nodemap.c); its own lock, taken inside cat_mu or alone. */
struct nodemap;
struct text_entry;
struct nodemap *nodemap_new(void);
void nodemap_free(struct nodemap *m);
/* Remember n as number ino with refs more references; TREE_LOGGED on a collision. */
int nodemap_put(struct nodemap *m, uint64_t ino, const struct node *n, unsigned refs);
int nodemap_get(struct nodemap *m, uint64_t ino, struct node *n);
void nodemap_drop(struct nodemap *m, uint64_t ino, uint64_t refs);

struct tree {
	struct repo repo;
	struct nodemap *names;
	struct reader *reader;
	uid_t uid;            /* owner and group of the repository directory */
	gid_t gid;
	mode_t file_mode;     /* permission bits of files and directories */
	mode_t dir_mode;
	int64_t start_time;
	unsigned formats;     /* 1 << enum view_format of each format served */
	/*
	 * The catalog connection and what is known about the file it reads.
	 * Every use, the reopen included, holds cat_mu and copies what it needs
	 * out of the results, so swapping the connection under cat_mu is safe
	 * without reference counts (tree.c, "the catalog connection").
	 */
	struct catalog cat;
	pthread_mutex_t cat_mu;
	struct text_entry *texts; /* tree_text's cache (under cat_mu) */
	size_t ntexts;
	uint64_t text_bytes, text_clock;
	dev_t cat_dev;        /* (st_dev, st_ino) of the file cat reads */
	ino_t cat_ino;
	struct timespec cat_stat; /* its st_ctim when last checked */
	int64_t cat_next_check; /* monotonic ms: next stat of catalog.db */
	int cat_note;         /* what was last logged about the file */
	ino_t cand_ino;       /* a replacement not adopted yet (still being filled) */
	int64_t cand_since;
	ino_t bad_ino;        /* a replacement that could not be opened */
	unsigned bad_count;   /* ... at this many checks in a row */
	int64_t cat_err_logged; /* monotonic ms of the last "cannot read" line */
	bool keep_notes;      /* tree_keep_notes: why a name missed goes to note, not the log */
	unsigned syncs;       /* tree_sync_remote calls (every TREE_FULL_SYNC_EVERY-th is full) */
	char note[256];
};

#define TREE_FULL_SYNC_EVERY 12

uint64_t node_ino(const struct node *n);
/*
 * Why a name a user typed names nothing (not a time, ...): logged by a
 * mount; kept for the caller's message by a command (tree_keep_notes).
 */
void tree_note(struct tree *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hold the catalog lock outside a node callback (a command's own walk); unlock returns the tree's error for rc. */
void tree_lock(struct tree *t);
int tree_unlock(struct tree *t, int rc);
static inline struct node node_make(enum node_type type, uint64_t seq, uint32_t tidx,
				    uint32_t pos)
{
	struct node n;
	n.type = type;
	n.seq = seq;
	n.tidx = tidx;
	n.pos = pos;
	n.keylen = 0;
	n.key[0] = 0;
	return n;
}
/*
 * A hashed node: its key is name (n bytes, at most NODE_KEY_MAX - 1), or
 * "a\0b" when b is not NULL.  -ENOENT when it does not fit.
 */
int node_make_named(struct node *out, enum node_type type, uint64_t seq, uint32_t tidx,
		    uint32_t pos, const char *a, const char *b);

/* Attributes of node n: a directory, file or link of that size and time. */
void tree_fill(const struct tree *t, struct stat *st, const struct node *n, mode_t type,
	       uint64_t size, int64_t mtime);
/*
 * Names the root gives its own directories (tables, at): a generation so
 * named (no writer makes one) is not served, not linked and not named by at/.
 */
bool tree_gen_reserved(const char *name);
/* A directory that changes with the generations (the root, tables/, at/): time of the newest. */
int tree_live_dir_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags);
/* A directory of a table's generation (the table's own, rows/, key/): that generation's time. */
int tree_table_dir_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags);
/* The node of type type for the table directory dirname of generation seq; -ENOENT: none. */
int tree_table_named(struct tree *t, uint64_t seq, const char *dirname, enum node_type type,
		     struct node *out);
/* Add an entry to a listing. */
void tree_dir_add(struct tree_dir *d, const char *name, const struct node *n, mode_t type);
/*
 * A name from the catalog is served only if it is a plain path component
 * (docs/FORMAT.md "Names"); one that is not is logged, not listed.
 */
bool tree_name_ok(struct tree *t, const char *name);
/* The generation of a node, or -ENOENT when its seq cannot be one. */
int tree_gen(struct tree *t, uint64_t seq, struct cat_gen *g);
/*
 * The table a node belongs to (its dirname freed), and its generation when
 * g is not NULL (which must then exist too).
 */
int tree_table(struct tree *t, const struct node *n, struct cat_gen *g, struct cat_table *tb);
/*
 * Whether a table's files are served in format f: chosen (-o formats) and,
 * for JSONL and SQL, their sizes recorded (manifest version 2 on).
 */
bool tree_format_served(const struct tree *t, const struct cat_table *tb, unsigned f);
/*
 * Make f a file of the table's rows in format fmt (its chunks already in
 * f): CSV as is; JSONL and SQL with the table's names from the catalog.
 * -ENOENT for a format not served (-o formats).
 */
int tree_file_view(struct tree *t, struct rd_file *f, enum view_format fmt);
/*
 * A directory with one fixed name below its parent (rows/, key/, tables/,
 * at/): its node has the parent's address fields and name, and its own type.
 */
int tree_child_find(struct tree *t, const char *want, enum node_type type,
		    const struct node *parent, const char *name, struct node *child);
int tree_child_each(struct tree *t, struct tree_dir *d, const char *want, enum node_type type,
		    const struct node *parent);
/*
 * The text of a file made whole when it is looked up (a row, a row's
 * history, a table's changes): made by make() under the catalog lock and
 * kept in the tree's text cache (bounded: TEXT_CACHE_BYTES), so that the
 * stat and open that follow a lookup do not make it again.  *len: its
 * size; copy (may be NULL): a malloc'ed copy.  A node's text must never
 * change (an answer that can change has the change in its identity).
 */
int tree_text(struct tree *t, const struct node *n,
	      int (*make)(struct tree *t, const struct node *n, struct buf *out), char **copy,
	      uint64_t *len);
/* Open such a file: f holds a copy of its text. */
int tree_text_open(struct tree *t, const struct node *n,
		   int (*make)(struct tree *t, const struct node *n, struct buf *out),
		   struct rd_file *f);
/* Rows of one table version rendered one by one, as its files render them (node_key.c). */
struct row_render {
	enum view_format fmt;
	uint64_t seq;
	uint32_t tidx;
	struct view_table vt;
	bool have_vt;
};
int row_render_init(struct tree *t, uint64_t seq, uint32_t tidx, enum view_format fmt,
		    struct row_render *r);
/* Append the rows of a typed chunk (no header); TREE_LOGGED when they do not render. */
int row_render(struct tree *t, struct row_render *r, const struct buf *chunk, struct buf *out);
void row_render_release(struct row_render *r);
/*
 * Open the rows of table tidx of generation seq into f as a changes file
 * of one op (rd_file_set_op): JSONL, or CSV lines when csv; no prefix text
 * yet (the caller adds a header).
 */
int tree_table_ops(struct tree *t, uint64_t seq, uint32_t tidx, const char *op, bool csv,
		   struct rd_file *f);
/* Open the whole of table tidx of generation seq in format fmt into f (its chunk list checked). */
int tree_table_file(struct tree *t, uint64_t seq, uint32_t tidx, enum view_format fmt,
		    struct rd_file *f);

#endif
