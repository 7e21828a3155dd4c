/*
 * tree.c - see tree.h; the node kinds are in node_*.c (tree_i.h).
 *
 * INODE NUMBERS.  An inode number is the address of what it names, so no
 * table maps numbers to nodes and numbers never change (DESIGN.md
 * invariant 6; docs/FORMAT.md "Inode numbers"):
 *
 *   bits 63..60  node type (enum node_type)
 *   bits 59..36  generation seq (from its manifest; stable across rebuilds)
 *   bits 35..20  table index in the generation
 *   bits 19..0   position: chunk in the table (row-range files) or group
 *                in rows/ (key-range directories of huge tables)
 *   1 is the root, 2 is "latest".
 *
 * Types 11 and 12 are the JSONL and SQL row-range files (the CSV one is
 * 8); the table's own files are type 6 with the format (enum view_format)
 * in the position field, 0 being the CSV file; its schema.pg.sql is type 5
 * (schema.sql) with position 1; the generation's dump.sql and
 * schema.pg.sql are type 13 with position 0 and 1 (enum cat_file).
 *
 * Room to grow: types 14 and 15 are free, and a type whose address leaves
 * a field unused (a table's files do not use the position; a generation's
 * files neither the table nor the position) may use that field for a
 * variant, such as the format of a table file, keeping 0 for what exists
 * now so that no number served today changes.
 */
#include "tree_i.h"
#include "strata/log.h"
#include "strata/manifest.h"
#include "strata/naming.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

/* Every kind, by node type; a listing serves them in this order. */
static const struct node_kind *const kinds[N_KINDS] = {
	[N_ROOT] = &node_root,
	[N_GEN] = &node_gen,
	[N_GEN_JSON] = &node_gen_json,
	[N_GEN_SCHEMA] = &node_gen_schema,
	[N_TABLE] = &node_table,
	[N_TABLE_SCHEMA] = &node_table_schema,
	[N_TABLE_CSV] = &node_table_csv,
	[N_ROWS] = &node_rows,
	[N_ROWS_FILE] = &node_rows_file,
	[N_LATEST] = &node_latest,
	[N_ROWS_GROUP] = &node_rows_group,
	[N_ROWS_JSONL] = &node_rows_jsonl,
	[N_ROWS_SQL] = &node_rows_sql,
	[N_GEN_FILE] = &node_gen_file,
	[N_TABLES] = &node_tables,
	[N_AT] = &node_at,
	[N_KEY_DIR] = &node_key_dir,
	[N_CHANGES] = &node_changes,
	[N_HIST_LINK] = &node_hist_link,
	[N_HIST_TABLE] = &node_hist_table,
	[N_HIST_KEY_DIR] = &node_hist_key_dir,
	[N_HIST_KEY] = &node_hist_key,
	[N_KEY_FILE] = &node_key_file,
	[N_AT_LINK] = &node_at_link,
	[N_DB] = &node_db,
	[N_DB_NAME] = &node_db_name,
	[N_DB_LINK] = &node_db_link,
	[N_DB_LATEST] = &node_db_latest,
};

#define INO_HASH_MASK ((UINT64_C(1) << 60) - 1)

int node_make_named(struct node *out, enum node_type type, uint64_t seq, uint32_t tidx,
		    uint32_t pos, const char *a, const char *b)
{
	size_t al = strlen(a), bl = b ? strlen(b) : 0, n = al + (b ? 1 + bl : 0);
	if (n >= NODE_KEY_MAX)
		return -ENOENT;
	*out = node_make(type, seq, tidx, pos);
	memcpy(out->key, a, al);
	if (b) {
		out->key[al] = 0;
		memcpy(out->key + al + 1, b, bl);
	}
	out->key[n] = 0;
	out->keylen = n;
	return 0;
}

uint64_t node_ino(const struct node *n)
{
	if (n->type == N_ROOT)
		return TREE_INO_ROOT;
	if (n->type == N_LATEST)
		return TREE_INO_LATEST;
	if (n->type >= N_DYN_FIRST) {
		/* the whole identity, hashed (on the stack: every stat computes it) */
		uint8_t id[32 + NODE_KEY_MAX];
		bool loc = node_located(n->type);
		uint64_t f[4] = { (uint64_t)n->type, loc ? 0 : n->seq, loc ? 0 : n->tidx,
				  loc ? 0 : n->pos };
		memcpy(id, f, sizeof(f));
		memcpy(id + sizeof(f), n->key, n->keylen);
		uint64_t h = XXH3_64bits(id, sizeof(f) + n->keylen);
		return (uint64_t)N_DYN << 60 | (h & INO_HASH_MASK);
	}
	if (n->type >= N_EXT_FIRST)
		return (uint64_t)N_EXT << 60 | (uint64_t)(n->type - N_EXT_FIRST) << 56 |
		       n->seq << 32 | (uint64_t)n->tidx << 16 | n->pos;
	return (uint64_t)n->type << 60 | n->seq << 36 | (uint64_t)n->tidx << 20 | n->pos;
}

/* The node an inode number addresses, or -ENOENT for one that names nothing. */
static int node_of(struct tree *t, uint64_t ino, struct node *n, const struct node_kind **k)
{
	unsigned top = (unsigned)(ino >> 60);
	if (ino == TREE_INO_ROOT) {
		*n = node_make(N_ROOT, 0, 0, 0);
	} else if (ino == TREE_INO_LATEST) {
		*n = node_make(N_LATEST, 0, 0, 0);
	} else if (top == N_DYN) {
		if (nodemap_get(t->names, ino, n))
			return -ENOENT;
	} else if (top == N_EXT) {
		*n = node_make((enum node_type)(N_EXT_FIRST + ((ino >> 56) & 15)), (ino >> 32) & NODE_SEQ_MAX,
			       (uint32_t)((ino >> 16) & NODE_TIDX_MAX), (uint32_t)(ino & NODE_EXT_POS_MAX));
	} else {
		*n = node_make((enum node_type)top, (ino >> 36) & NODE_SEQ_MAX,
			       (uint32_t)((ino >> 20) & NODE_TIDX_MAX), (uint32_t)(ino & NODE_POS_MAX));
		if (n->type == N_ROOT || n->type == N_LATEST)
			return -ENOENT;
	}
	*k = kinds[n->type];
	if (!*k)
		return -ENOENT;
	/* one number per node: a field the type does not use must be 0, one it uses not */
	if ((!((*k)->fields & F_SEQ) && n->seq) || (!((*k)->fields & F_TIDX) && n->tidx) ||
	    (!((*k)->fields & F_POS) && n->pos) || (((*k)->fields & F_SEQ) && !n->seq))
		return -ENOENT;
	return 0;
}

/* Remember a hashed node handed out (refs: the lookups it counts as). */
static int node_hand_out(struct tree *t, const struct node *n, uint64_t ino, unsigned refs)
{
	return n->type >= N_DYN_FIRST ? nodemap_put(t->names, ino, n, refs) : 0;
}

void tree_fill(const struct tree *t, struct stat *st, const struct node *n, mode_t type,
	       uint64_t size, int64_t mtime)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = node_ino(n);
	st->st_mode = type == S_IFDIR ? S_IFDIR | t->dir_mode
		      : type == S_IFLNK ? S_IFLNK | 0777 : S_IFREG | t->file_mode;
	st->st_nlink = type == S_IFDIR ? 2 : 1;
	st->st_uid = t->uid;
	st->st_gid = t->gid;
	st->st_size = (off_t)size;
	st->st_blksize = 65536;
	/*
	 * st_blocks is what a file adds to the repository (docs/FORMAT.md,
	 * "du"): the chunks are counted by the row-range CSV files
	 * (node_rows.c); every other file is rendered from those chunks or
	 * from the manifest and counts one block, never 0 (tar --sparse reads
	 * a non-empty file of 0 blocks as all holes).
	 */
	st->st_blocks = type == S_IFREG && size ? 1 : 0;
	st->st_mtime = st->st_ctime = st->st_atime = (time_t)mtime;
}

void tree_dir_add(struct tree_dir *d, const char *name, const struct node *n, mode_t type)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 32;
		d->inos = xrealloc(d->inos, d->cap * sizeof(*d->inos));
		d->types = xrealloc(d->types, d->cap * sizeof(*d->types));
	}
	d->inos[d->n] = node_ino(n);
	if (node_hand_out(d->t, n, d->inos[d->n], 0))
		return; /* a collision: not listed (logged) */
	d->types[d->n] = type;
	d->n++;
	buf_add(&d->names, name, strlen(name) + 1);
}

void tree_dir_release(struct tree_dir *d)
{
	buf_release(&d->names);
	free(d->inos);
	free(d->types);
	memset(d, 0, sizeof(*d));
}

bool tree_name_ok(struct tree *t, const char *name)
{
	if (name_is_safe(name, strlen(name), 255))
		return true;
	log_msg("catalog '%s' holds a name that is not a plain file name; it is not listed; run 'strata index --rebuild %s'",
		t->repo.catalog, t->repo.path);
	return false;
}

int tree_gen(struct tree *t, uint64_t seq, struct cat_gen *g)
{
	if (seq < 1 || seq > NODE_SEQ_MAX)
		return -ENOENT;
	return catalog_gen_by_seq(&t->cat, seq, g);
}

int tree_table(struct tree *t, const struct node *n, struct cat_gen *g, struct cat_table *tb)
{
	int rc = g ? tree_gen(t, n->seq, g) : 0;
	if (!rc)
		rc = catalog_table_by_idx(&t->cat, n->seq, n->tidx, tb);
	if (!rc)
		free(tb->dirname);
	return rc;
}

bool tree_format_served(const struct tree *t, const struct cat_table *tb, unsigned f)
{
	return f < VIEW_FORMATS && (t->formats & 1u << f) && (f == VIEW_CSV || tb->views);
}

/*
 * ---- the catalog connection ----
 * catalog.db is derived data that may be deleted, damaged or recreated
 * (`strata index --rebuild`) under a running mount.  Every operation that
 * uses the catalog goes through cat_lock()/cat_unlock(); at most once a
 * second cat_lock() looks at the file:
 *  - same file: nothing to do; a rebuild in place is one transaction the
 *    connection sees like any other commit.  If the file was changed without
 *    SQLite (overwritten, truncated, copied over), the connection's page
 *    cache no longer matches it and is dropped, so damage shows as an error.
 *  - no file: the connection keeps reading the deleted file, which stays
 *    intact while it is open; one log line.
 *  - another file: it is opened and swapped in once it is filled (a writer
 *    creates the schema before the transaction that fills it; an empty
 *    catalog while manifests exist is not adopted for up to CAT_FILL_WAIT).
 * Inode numbers are addresses that do not depend on the catalog file, so
 * the kernel's caches stay valid across the swap.  No reference counting
 * is needed: every use holds cat_mu and copies what it needs.
 */
#define CAT_CHECK_MS 1000
#define CAT_FILL_WAIT_MS 30000
#define CAT_ERR_LOG_MS 10000

enum cat_note { NOTE_NONE, NOTE_MISSING, NOTE_NOT_REGULAR };

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Open the file now at the catalog path; st receives its identity.  Only a
 * regular file is opened (SQLite refuses a symbolic link itself), and not
 * one swapped while it was being opened.
 */
static int cat_open(struct tree *t, struct catalog *c, struct stat *st)
{
	struct stat a;
	int rc;

	if (lstat(t->repo.catalog, &a) < 0)
		return -errno;
	if (S_ISLNK(a.st_mode))
		return -ELOOP;
	if (!S_ISREG(a.st_mode) || a.st_size == 0)
		return -EUCLEAN;
	rc = catalog_open(c, t->repo.catalog, true);
	if (rc)
		return rc;
	if (lstat(t->repo.catalog, st) < 0 || st->st_dev != a.st_dev || st->st_ino != a.st_ino) {
		catalog_close(c);
		return -EAGAIN;
	}
	return 0;
}

/*
 * Close a connection.  When its file is no longer the one at the catalog
 * path, SQLite must not checkpoint and delete "catalog.db-wal"/"-shm" on
 * close: those names now belong to the new catalog.
 */
static void cat_close(struct tree *t, struct catalog *c, dev_t dev, ino_t ino)
{
	struct stat st;
	if (!c->db)
		return;
	if (lstat(t->repo.catalog, &st) < 0 || st.st_dev != dev || st.st_ino != ino)
		sqlite3_db_config(c->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	catalog_close(c);
}

static int first_gen(const char *name, void *arg)
{
	size_t l = strlen(name);
	(void)arg;
	return l > 4 && !strcmp(name + l - 4, ".gen") && !strchr(name, '/'); /* 1 stops the listing */
}

static bool repo_has_manifests(struct tree *t)
{
	return store_list(t->repo.store, "generations", 0, first_gen, NULL) == 1;
}

/* Whether a replacement catalog may be adopted now (see above). */
static int cat_filled(struct tree *t, struct catalog *c, const struct stat *st, int64_t now)
{
	uint64_t stamp = 0;
	int rc = catalog_gen_stamp(c, &stamp);
	if (rc)
		return rc;
	if (stamp || !repo_has_manifests(t))
		return 1;
	if (t->cand_ino != st->st_ino) {
		t->cand_ino = st->st_ino;
		t->cand_since = now;
	}
	return now - t->cand_since >= CAT_FILL_WAIT_MS;
}

static void cat_refresh(struct tree *t)
{
	int64_t now = now_ms();
	struct catalog nc = { 0 };
	struct stat st;
	int rc;

	if (now < t->cat_next_check)
		return;
	t->cat_next_check = now + CAT_CHECK_MS;
	if (lstat(t->repo.catalog, &st) < 0) {
		if (errno == ENOENT && t->cat_note != NOTE_MISSING) {
			log_msg("catalog '%s' was removed; serving from the catalog opened before until 'strata index %s' recreates it",
				t->repo.catalog, t->repo.path);
			t->cat_note = NOTE_MISSING;
		}
		return;
	}
	if (st.st_dev == t->cat_dev && st.st_ino == t->cat_ino) {
		if (st.st_ctim.tv_sec != t->cat_stat.tv_sec ||
		    st.st_ctim.tv_nsec != t->cat_stat.tv_nsec) {
			t->cat_stat = st.st_ctim;
			sqlite3_db_release_memory(t->cat.db);
		}
		t->cat_note = NOTE_NONE;
		return;
	}
	if (!S_ISREG(st.st_mode)) {
		if (t->cat_note != NOTE_NOT_REGULAR)
			log_msg("catalog '%s' was replaced by something that is not a regular file (a symbolic link is never followed); serving from the catalog opened before",
				t->repo.catalog);
		t->cat_note = NOTE_NOT_REGULAR;
		return;
	}
	rc = cat_open(t, &nc, &st);
	if (!rc) {
		rc = cat_filled(t, &nc, &st, now);
		if (rc <= 0)
			cat_close(t, &nc, st.st_dev, st.st_ino);
		if (rc == 0)
			return; /* still being filled: look again in a second */
		rc = rc < 0 ? rc : 0;
	}
	if (rc) {
		if (rc == -EAGAIN)
			return;
		/* a writer creating it makes it briefly unreadable: log the second time */
		t->bad_count = t->bad_ino == st.st_ino ? t->bad_count + 1 : 1;
		t->bad_ino = st.st_ino;
		if (t->bad_count == 2)
			log_msg("catalog '%s' was replaced but the new one cannot be read (%s); serving from the catalog opened before; run 'strata index --rebuild %s'",
				t->repo.catalog, strerror(-rc), t->repo.path);
		return;
	}
	cat_close(t, &t->cat, t->cat_dev, t->cat_ino);
	t->cat = nc;
	t->cat_dev = st.st_dev;
	t->cat_ino = st.st_ino;
	t->cat_stat = st.st_ctim;
	t->cat_note = NOTE_NONE;
	t->cand_ino = t->bad_ino = 0;
	log_msg("catalog '%s' was replaced; serving from the new one", t->repo.catalog);
}

static void cat_lock(struct tree *t)
{
	pthread_mutex_lock(&t->cat_mu);
	cat_refresh(t);
}

/*
 * rc: the result of the catalog calls made since cat_lock().  Returns what
 * the caller returns: the errors a path walk expects as they are; anything
 * else is -EIO, logged here (at most every CAT_ERR_LOG_MS) unless the code
 * that found it did.
 */
static int cat_unlock(struct tree *t, int rc)
{
	if (rc && rc != -ENOENT && rc != -ENOTDIR && rc != -EISDIR && rc != -EINVAL) {
		if (rc != TREE_LOGGED) {
			int64_t now = now_ms();
			if (!t->cat_err_logged || now - t->cat_err_logged >= CAT_ERR_LOG_MS) {
				log_msg("cannot read the catalog '%s': %s (%s); answering EIO; run 'strata index --rebuild %s'",
					t->repo.catalog, strerror(-rc), sqlite3_errmsg(t->cat.db),
					t->repo.path);
				t->cat_err_logged = now;
			}
		}
		rc = -EIO;
	}
	pthread_mutex_unlock(&t->cat_mu);
	return rc;
}

void tree_note(struct tree *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (t->keep_notes) {
		vsnprintf(t->note, sizeof(t->note), fmt, ap);
	} else {
		char line[512];
		vsnprintf(line, sizeof(line), fmt, ap);
		log_msg("%s", line);
	}
	va_end(ap);
}

void tree_keep_notes(struct tree *t)
{
	t->keep_notes = true;
}

const char *tree_last_note(struct tree *t)
{
	return t->note;
}

void tree_lock(struct tree *t)
{
	cat_lock(t);
}

int tree_unlock(struct tree *t, int rc)
{
	return cat_unlock(t, rc);
}

/* ---- dispatch ---- */

static int stat_locked(struct tree *t, uint64_t ino, struct stat *st, unsigned *flags)
{
	const struct node_kind *k;
	struct node n;
	int rc = node_of(t, ino, &n, &k);
	*flags = 0;
	return rc ? rc : k->stat(t, &n, st, flags);
}

int tree_stat(struct tree *t, uint64_t ino, struct stat *st, unsigned *flags)
{
	cat_lock(t);
	return cat_unlock(t, stat_locked(t, ino, st, flags));
}

static int lookup_locked(struct tree *t, uint64_t parent, const char *name, uint64_t *ino)
{
	const struct node_kind *pk;
	struct node p, c;
	int rc = node_of(t, parent, &p, &pk);

	if (rc)
		return rc;
	if (pk->mode != S_IFDIR)
		return -ENOTDIR;
	/* no name outside the rule is ever listed, so none is found either */
	if (!name_is_safe(name, strlen(name), 255))
		return -ENOENT;
	for (unsigned ty = 0; ty < N_KINDS; ty++) {
		const struct node_kind *k = kinds[ty];
		if (!k || !(k->parents & PARENT(p.type)))
			continue;
		rc = k->find(t, &p, name, &c);
		if (rc != -ENOENT) {
			if (!rc) {
				*ino = node_ino(&c);
				rc = node_hand_out(t, &c, *ino, 1);
			}
			return rc;
		}
	}
	return -ENOENT;
}

int tree_lookup(struct tree *t, uint64_t parent, const char *name, uint64_t *ino,
		struct stat *st, unsigned *flags)
{
	int rc;

	*flags = 0;
	cat_lock(t);
	rc = lookup_locked(t, parent, name, ino);
	if (!rc)
		rc = stat_locked(t, *ino, st, flags);
	if (rc == -ENOENT) {
		/*
		 * A miss is final only if the catalog knows the parent and the
		 * parent's content is immutable: not the root, not while a catalog
		 * is being rebuilt, not after the parent's generation was removed.
		 */
		struct stat pst;
		unsigned pf;
		int prc = stat_locked(t, parent, &pst, &pf);
		if (!prc && !(pf & TREE_LIVE))
			*flags = TREE_FINAL;
		if (prc && prc != -ENOENT)
			rc = prc;
	}
	return cat_unlock(t, rc);
}

void tree_forget(struct tree *t, uint64_t ino, uint64_t nlookup)
{
	if (ino >> 60 == N_DYN)
		nodemap_drop(t->names, ino, nlookup);
}

int tree_readlink(struct tree *t, uint64_t ino, char **target)
{
	const struct node_kind *k;
	struct node n;
	int rc;

	cat_lock(t);
	rc = node_of(t, ino, &n, &k);
	if (!rc)
		rc = k->readlink ? k->readlink(t, &n, target) : -EINVAL;
	return cat_unlock(t, rc);
}

int tree_list(struct tree *t, uint64_t ino, struct tree_dir *d, unsigned *flags)
{
	const struct node_kind *pk;
	struct node p;
	struct stat st;
	int rc;

	memset(d, 0, sizeof(*d));
	*flags = 0;
	cat_lock(t);
	rc = node_of(t, ino, &p, &pk);
	if (!rc && pk->mode != S_IFDIR)
		rc = -ENOTDIR;
	/* the directory itself must exist (and tells whether it may change) */
	if (!rc)
		rc = pk->stat(t, &p, &st, flags);
	d->t = t;
	d->dir = ino;
	for (unsigned ty = 0; !rc && ty < N_KINDS; ty++) {
		const struct node_kind *k = kinds[ty];
		if (k && k->each && (k->parents & PARENT(p.type)))
			rc = k->each(t, &p, d);
	}
	rc = cat_unlock(t, rc);
	if (rc)
		tree_dir_release(d);
	return rc;
}

int tree_gen_stamp(struct tree *t, uint64_t *stamp)
{
	cat_lock(t);
	return cat_unlock(t, catalog_gen_stamp(&t->cat, stamp));
}

void tree_stat_entries(struct tree *t, const struct tree_dir *d, size_t from,
		       int (*fn)(void *arg, size_t i, const struct stat *st, unsigned flags),
		       void *arg)
{
	const char *name = (const char *)d->names.data;
	for (size_t i = 0; i < from && i < d->n; i++)
		name += strlen(name) + 1;
	cat_lock(t);
	for (size_t i = from; i < d->n; i++, name += strlen(name) + 1) {
		struct stat st;
		unsigned flags;
		bool counted = false;
		int rc = stat_locked(t, d->inos[i], &st, &flags);
		if (rc == -ENOENT && d->inos[i] >> 60 == N_DYN) {
			/*
			 * A listing's hashed entries are remembered without a
			 * reference, the NODEMAP_IDLE_MAX newest of them: in a long
			 * listing (a rows/ of 4,096 chunks has 12,288 files) the first
			 * are gone by now.  Found again by name, counted as the lookup.
			 */
			uint64_t ino;
			if (!lookup_locked(t, d->dir, name, &ino)) {
				if (ino == d->inos[i]) {
					counted = true;
					rc = stat_locked(t, ino, &st, &flags);
				} else {
					nodemap_drop(t->names, ino, 1); /* another file by now */
				}
			}
		}
		if (fn(arg, i, rc ? NULL : &st, rc ? 0 : flags)) {
			if (counted)
				nodemap_drop(t->names, d->inos[i], 1); /* the kernel never got it */
			break;
		}
		if (!rc && !counted && d->inos[i] >> 60 == N_DYN) {
			struct node n;
			if (!nodemap_get(t->names, d->inos[i], &n))
				nodemap_put(t->names, d->inos[i], &n, 1); /* the kernel counts it */
		}
	}
	cat_unlock(t, 0);
}

int tree_open_file(struct tree *t, uint64_t ino, struct rd_file **out)
{
	const struct node_kind *k;
	struct node n;
	struct rd_file *f = xcalloc(1, sizeof(*f));
	int rc;

	cat_lock(t);
	rc = node_of(t, ino, &n, &k);
	if (!rc)
		rc = k->mode == S_IFDIR ? -EISDIR : k->open ? k->open(t, &n, f) : -EINVAL;
	rc = cat_unlock(t, rc);
	if (rc) {
		rd_file_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

/* ---- texts made at lookup ---- */

#define TEXT_CACHE_BYTES (64u << 20)
#define TEXT_CACHE_MAX 256

struct text_entry {
	uint64_t ino;
	uint64_t used; /* t->text_clock when last used */
	struct buf text;
};

static void text_drop(struct tree *t, size_t i)
{
	t->text_bytes -= t->texts[i].text.len;
	buf_release(&t->texts[i].text);
	t->texts[i] = t->texts[--t->ntexts];
}

int tree_text(struct tree *t, const struct node *n,
	      int (*make)(struct tree *t, const struct node *n, struct buf *out), char **copy,
	      uint64_t *len)
{
	uint64_t ino = node_ino(n);
	struct buf text = BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < t->ntexts && t->texts[i].ino != ino; i++)
		;
	if (i < t->ntexts) {
		t->texts[i].used = ++t->text_clock;
		*len = t->texts[i].text.len;
		if (copy)
			*copy = xmemdup(t->texts[i].text.data, t->texts[i].text.len);
		return 0;
	}
	rc = make(t, n, &text);
	if (rc) {
		buf_release(&text);
		return rc;
	}
	*len = text.len;
	if (copy)
		*copy = xmemdup(text.data, text.len);
	if (text.len > TEXT_CACHE_BYTES) { /* made again by the open that follows */
		buf_release(&text);
		return 0;
	}
	/* room: drop the least recently used */
	while (t->ntexts && (t->ntexts == TEXT_CACHE_MAX ||
			     t->text_bytes + text.len > TEXT_CACHE_BYTES)) {
		size_t old = 0;
		for (size_t k = 1; k < t->ntexts; k++)
			if (t->texts[k].used < t->texts[old].used)
				old = k;
		text_drop(t, old);
	}
	if (!t->texts)
		t->texts = xcalloc(TEXT_CACHE_MAX, sizeof(*t->texts));
	t->texts[t->ntexts].ino = ino;
	t->texts[t->ntexts].used = ++t->text_clock;
	t->texts[t->ntexts].text = text;
	t->ntexts++;
	t->text_bytes += text.len;
	return 0;
}

int tree_text_open(struct tree *t, const struct node *n,
		   int (*make)(struct tree *t, const struct node *n, struct buf *out),
		   struct rd_file *f)
{
	uint64_t len;
	int rc = tree_text(t, n, make, &f->text, &len);
	if (!rc) {
		f->text_len = (size_t)len;
		f->size = len;
	}
	return rc;
}

/* tables/ and at/ exist once a generation does, as latest does: a new repository mounts empty */
static bool root_child_shown(struct tree *t, enum node_type type)
{
	struct cat_gen g;
	return (type != N_TABLES && type != N_AT && type != N_DB) || catalog_latest(&t->cat, &g) == 0;
}

static struct node child_of(enum node_type type, const struct node *parent)
{
	struct node c = *parent;
	c.type = type;
	c.pos = 0;
	return c;
}

int tree_child_find(struct tree *t, const char *want, enum node_type type,
		    const struct node *parent, const char *name, struct node *child)
{
	if (strcmp(name, want) || !root_child_shown(t, type))
		return -ENOENT;
	*child = child_of(type, parent);
	return 0;
}

int tree_child_each(struct tree *t, struct tree_dir *d, const char *want, enum node_type type,
		    const struct node *parent)
{
	struct node c = child_of(type, parent);
	if (root_child_shown(t, type))
		tree_dir_add(d, want, &c, S_IFDIR);
	return 0;
}

/* ---- a path walk, for the command line ---- */

#define RESOLVE_MAX_LINKS 40
#define RESOLVE_MAX_DEPTH 64

struct walk {
	uint64_t dirs[RESOLVE_MAX_DEPTH]; /* dirs[0] is the root; dirs[depth] the current */
	int depth;
	int links;
};

static int walk(struct tree *t, struct walk *w, const char *path, bool follow_last, uint64_t *ino)
{
	char *copy = xstrdup(path), *p = copy;
	int rc = 0;

	*ino = w->dirs[w->depth];
	while (!rc && *p) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = 0;
		if (!*p || !strcmp(p, ".")) {
			*ino = w->dirs[w->depth];
		} else if (!strcmp(p, "..")) {
			if (w->depth > 0)
				w->depth--;
			*ino = w->dirs[w->depth];
		} else {
			struct stat st;
			unsigned flags;
			uint64_t next;
			rc = tree_lookup(t, w->dirs[w->depth], p, &next, &st, &flags);
			/* a trailing "/" follows a link too */
			if (!rc && S_ISLNK(st.st_mode) && (slash || follow_last)) {
				char *target = NULL;
				if (++w->links > RESOLVE_MAX_LINKS)
					rc = -ELOOP;
				if (!rc)
					rc = tree_readlink(t, next, &target);
				if (!rc && target[0] == '/')
					rc = -ENOENT; /* the tree's links are relative */
				/* from the link's directory; a directory it leads to becomes current */
				if (!rc)
					rc = walk(t, w, target, true, &next);
				free(target);
				if (!rc)
					rc = tree_stat(t, next, &st, &flags);
			}
			if (!rc) {
				*ino = next;
				if (S_ISDIR(st.st_mode) && next != w->dirs[w->depth]) {
					if (w->depth + 1 >= RESOLVE_MAX_DEPTH)
						rc = -ENAMETOOLONG;
					else
						w->dirs[++w->depth] = next;
				} else if (!S_ISDIR(st.st_mode) && slash) {
					/* a file before a '/', even a trailing one, as the kernel says */
					rc = -ENOTDIR;
				}
			}
		}
		p = slash ? slash + 1 : p + strlen(p);
	}
	free(copy);
	return rc;
}

int tree_resolve(struct tree *t, const char *path, bool follow_last, uint64_t *ino)
{
	t->note[0] = 0;
	struct walk w = { .dirs = { TREE_INO_ROOT } };
	while (*path == '/')
		path++;
	return walk(t, &w, path, follow_last, ino);
}

/* ---- open and close ---- */

void tree_set_formats(struct tree *t, unsigned mask)
{
	t->formats = mask;
}

int tree_parse_formats(const char *s, unsigned *mask)
{
	char *copy = xstrdup(s), *save = NULL;
	int rc = 0;
	*mask = 0;
	for (char *w = strtok_r(copy, ",", &save); w && !rc; w = strtok_r(NULL, ",", &save)) {
		int f = !strcmp(w, "csv") ? VIEW_CSV : !strcmp(w, "jsonl") ? VIEW_JSONL
			: !strcmp(w, "sql") ? VIEW_SQL : -1;
		if (f < 0)
			rc = -EINVAL;
		else
			*mask |= 1u << f;
	}
	free(copy);
	return rc || !*mask ? -EINVAL : 0;
}

int tree_file_view(struct tree *t, struct rd_file *f, enum view_format fmt)
{
	char *name, **cols;
	unsigned ncols, flags, rev;
	int rc;
	if (fmt >= VIEW_FORMATS || !(t->formats & 1u << fmt))
		return -ENOENT; /* not served: only opened by a number from another mount */
	if (fmt == VIEW_CSV)
		return 0;
	rc = catalog_table_names(&t->cat, f->seq, f->tidx, &name, &cols, &ncols, &flags, &rev);
	if (rc)
		return rc;
	rd_file_set_view(f, fmt, name, cols, ncols, (flags & TABLE_WITHOUT_ROWID) != 0, rev);
	for (unsigned c = 0; c < ncols; c++)
		free(cols[c]);
	free(cols);
	free(name);
	return 0;
}

const char *tree_repo_path(const struct tree *t)
{
	return t->repo.path;
}

struct reader *tree_reader(struct tree *t)
{
	return t->reader;
}

int tree_sync_remote(struct tree *t, int64_t wait_ms)
{
	struct catalog c;
	struct catalog_sync_stats st;
	int rc;

	if (t->repo.store->local)
		return 0;
	/*
	 * The same manifests as the cache knows: nothing to do (one listing of
	 * generations/, not of every pack, per call).  Packs come with new
	 * generations and prune's deletions mostly with gone ones; a prune
	 * that only repacks is caught by the full sync every
	 * TREE_FULL_SYNC_EVERY calls.
	 */
	struct namelist names = { 0 };
	if (++t->syncs % TREE_FULL_SYNC_EVERY != 1 && !repo_list_gens(&t->repo, &names, NULL) &&
	    !catalog_open(&c, t->repo.catalog, true)) {
		struct cat_gen *g = NULL;
		size_t n = 0;
		bool same = !catalog_list_gens(&c, &g, &n) && n == names.n;
		for (size_t i = 0; same && i < n; i++)
			same = namelist_has(&names, g[i].name);
		catalog_free_gens(g, n);
		catalog_close(&c);
		namelist_release(&names);
		if (same)
			return 0;
	}
	namelist_release(&names);
	/* one writer of the cache at a time: a busy one is bringing it up to date already */
	rc = repo_lock(&t->repo, REPO_LOCK_CATALOG, "mount", wait_ms, NULL, NULL);
	if (rc == -EWOULDBLOCK)
		return 0;
	if (!rc)
		rc = catalog_open_sync(&c, &t->repo, false, &st); /* closes c on failure */
	if (!rc)
		catalog_close(&c);
	repo_unlock(&t->repo);
	return rc;
}

int tree_disk_cache(struct tree *t, uint64_t bytes)
{
	if (t->repo.store->local || !bytes)
		return 0;
	char *dir = xasprintf("%s/%s/blocks", t->repo.store->cache, t->repo.id);
	int rc = store_cache_wrap(&t->repo.store, dir, bytes);
	free(dir);
	return rc;
}

int tree_open(struct tree **out, const char *path, char **err)
{
	struct tree *t = xcalloc(1, sizeof(*t));
	struct catalog c = { 0 };
	struct stat st;
	int rc;

	t->names = nodemap_new();
	t->formats = 1u << VIEW_CSV | 1u << VIEW_JSONL | 1u << VIEW_SQL;
	pthread_mutex_init(&t->cat_mu, NULL);
	rc = repo_open(&t->repo, path);
	if (rc) {
		*err = repo_open_message(path, &t->repo, rc);
		goto fail;
	}
	/*
	 * Who may read follows the repository directory (docs/SECURITY.md):
	 * its owner and group, and for each class read access if that class
	 * may list and enter the directory.  Nothing is ever writable.
	 */
	if (!t->repo.store->local) {
		/*
		 * A remote repository: this user's, readable by all who may use
		 * the mount (FUSE lets only its owner in without -o allow_other).
		 */
		st.st_uid = getuid();
		st.st_gid = getgid();
		st.st_mode = S_IFDIR | 0755;
	} else if (stat(path, &st) < 0) {
		rc = -errno;
		*err = xasprintf("cannot stat the repository '%s': %s", path, strerror(errno));
		goto fail;
	}
	t->uid = st.st_uid;
	t->gid = st.st_gid;
	for (int sh = 0; sh <= 6; sh += 3)
		if (((st.st_mode >> sh) & 5) == 5)
			t->file_mode |= (mode_t)(4 << sh);
	t->dir_mode = t->file_mode | t->file_mode >> 2;
	/* a remote repository's catalog is this host's cache: made or brought up to date now */
	if (!t->repo.store->local) {
		rc = tree_sync_remote(t, -1);
		if (rc) {
			*err = xasprintf("cannot bring the catalog cache '%s' of '%s' up to date: %s; check the network, then 'strata index %s'",
					 t->repo.catalog, path, strerror(-rc), path);
			goto fail;
		}
	}
	if (lstat(t->repo.catalog, &st) < 0) {
		rc = -ENOENT;
		*err = xasprintf("repository '%s' has no catalog; run 'strata index %s' first", path,
				 path);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EUCLEAN;
		*err = xasprintf("the catalog '%s' is %s; remove it and run 'strata index %s'",
				 t->repo.catalog, S_ISLNK(st.st_mode)
					? "a symbolic link, which is not followed" : "not a regular file",
				 path);
		goto fail;
	}
	/* checked now so that the error is said where it can be read */
	rc = cat_open(t, &c, &st);
	catalog_close(&c);
	if (rc == -EPROTONOSUPPORT) {
		*err = xasprintf("the catalog '%s' has another schema version than this strata reads (%d); run 'strata index %s' to rebuild it",
				 t->repo.catalog, CATALOG_SCHEMA_VERSION, path);
		goto fail;
	}
	if (rc) {
		*err = xasprintf("cannot open the catalog '%s': %s; run 'strata index --rebuild %s'",
				 t->repo.catalog, strerror(-rc), path);
		goto fail;
	}
	t->start_time = (int64_t)time(NULL);
	*out = t;
	return 0;
fail:
	tree_close(t);
	return rc;
}

int tree_start(struct tree *t, size_t cache_bytes, int readahead_threads, char **err)
{
	struct stat st;
	int rc = cat_open(t, &t->cat, &st);
	if (rc) {
		*err = xasprintf("cannot open the catalog '%s': %s; run 'strata index --rebuild %s'",
				 t->repo.catalog, strerror(-rc), t->repo.path);
		return rc;
	}
	t->cat_dev = st.st_dev;
	t->cat_ino = st.st_ino;
	t->cat_stat = st.st_ctim;
	t->cat_next_check = now_ms() + CAT_CHECK_MS;
	t->reader = reader_new(&t->repo, cache_bytes);
	reader_start(t->reader, readahead_threads);
	return 0;
}

void tree_close(struct tree *t)
{
	if (!t)
		return;
	reader_free(t->reader);
	cat_close(t, &t->cat, t->cat_dev, t->cat_ino);
	repo_close(&t->repo);
	nodemap_free(t->names);
	while (t->ntexts)
		text_drop(t, t->ntexts - 1);
	free(t->texts);
	pthread_mutex_destroy(&t->cat_mu);
	free(t);
}
