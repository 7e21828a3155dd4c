/*
 * catalog.c - the SQLite catalog; see strata/catalog.h and docs/FORMAT.md
 * ("Catalog") for the schema.
 *
 * Notes:
 *  1. Everything here is derived from manifests and pack indexes, so a
 *     schema change simply rebuilds (meta.schema_version differs).
 *  2. Every query the mount runs is a primary-key or index probe; the
 *     catalog unit test checks the plans with EXPLAIN QUERY PLAN.
 *  3. Names of rows/ files are computed once here (naming.c) and stored,
 *     so a lookup is one probe and never re-derives a key encoding.
 */
#include "strata/fault.h"
#include "strata/catalog.h"
#include "strata/dumpplan.h"
#include "strata/idxnode.h"
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/pgschema.h"
#include "strata/render.h"
#include "strata/rowkey.h"
#include "strata/verifyrec.h"
#include "catalog_i.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS packs(pack_id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
	" size INTEGER NOT NULL, nchunks INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS chunks(id BLOB PRIMARY KEY, pack_id INTEGER NOT NULL,"
	" offset INTEGER NOT NULL, clen INTEGER NOT NULL, ulen INTEGER NOT NULL,"
	" nrows INTEGER NOT NULL, csv_len INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS chunks_by_pack ON chunks(pack_id);"
	"CREATE TABLE IF NOT EXISTS chunk_copies(id BLOB NOT NULL, pack_id INTEGER NOT NULL,"
	" offset INTEGER NOT NULL, clen INTEGER NOT NULL, ulen INTEGER NOT NULL,"
	" nrows INTEGER NOT NULL, csv_len INTEGER NOT NULL, PRIMARY KEY(id, pack_id)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS chunk_copies_by_pack ON chunk_copies(pack_id);"
	"CREATE TABLE IF NOT EXISTS generations(seq INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,"
	" id TEXT NOT NULL, time INTEGER NOT NULL, label TEXT NOT NULL, source TEXT NOT NULL,"
	" ntables INTEGER NOT NULL, nrows INTEGER NOT NULL, logical_bytes INTEGER NOT NULL,"
	" new_bytes INTEGER NOT NULL, json TEXT NOT NULL, schema_sql TEXT NOT NULL, dbname TEXT NOT NULL,"
	" named INTEGER NOT NULL, kind TEXT NOT NULL, parent TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS generations_by_time ON generations(time);" /* + seq: the rowid */
	"CREATE INDEX IF NOT EXISTS generations_by_db ON generations(dbname, time);"
	"CREATE TABLE IF NOT EXISTS tables(seq INTEGER NOT NULL, tidx INTEGER NOT NULL,"
	" name TEXT NOT NULL, dirname TEXT NOT NULL, schema_sql TEXT NOT NULL,"
	" header TEXT NOT NULL, nrows INTEGER NOT NULL, nchunks INTEGER NOT NULL,"
	" csv_size INTEGER NOT NULL, views INTEGER NOT NULL, jsonl_size INTEGER NOT NULL,"
	" sql_size INTEGER NOT NULL, cols BLOB NOT NULL, flags INTEGER NOT NULL,"
	" pg_schema TEXT NOT NULL, render_id INTEGER NOT NULL, PRIMARY KEY(seq, tidx)) WITHOUT ROWID;"
	"CREATE UNIQUE INDEX IF NOT EXISTS tables_by_dir ON tables(seq, dirname);"
	"CREATE INDEX IF NOT EXISTS tables_by_name ON tables(dirname, seq);"
	"CREATE TABLE IF NOT EXISTS row_groups(seq INTEGER NOT NULL, tidx INTEGER NOT NULL,"
	" grp INTEGER NOT NULL, first_seqno INTEGER NOT NULL, nchunks INTEGER NOT NULL,"
	" name TEXT NOT NULL, PRIMARY KEY(seq, tidx, grp)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS row_groups_by_name ON row_groups(seq, tidx, name);"
	"CREATE TABLE IF NOT EXISTS row_files(chunk_id BLOB NOT NULL, render_id INTEGER NOT NULL,"
	" jsonl_len INTEGER NOT NULL, sql_len INTEGER NOT NULL,"
	" holders INTEGER NOT NULL, first_time INTEGER NOT NULL,"
	" PRIMARY KEY(chunk_id, render_id, jsonl_len, sql_len)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS gen_parts(seq INTEGER NOT NULL, file INTEGER NOT NULL,"
	" part INTEGER NOT NULL, tidx INTEGER NOT NULL, text TEXT NOT NULL,"
	" PRIMARY KEY(seq, file, part)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS pagemaps(gen TEXT PRIMARY KEY, gen_id TEXT NOT NULL,"
	" dbname TEXT NOT NULL, full INTEGER NOT NULL, data BLOB NOT NULL);";

/* schema 11: what schema 10 lacks (a 10 catalog gets it in place, keeping its page maps) */
static const char SCHEMA_11[] =
	"CREATE TABLE IF NOT EXISTS segmaps(ident BLOB NOT NULL, chunk_id BLOB NOT NULL,"
	" data BLOB NOT NULL, PRIMARY KEY(ident, chunk_id)) WITHOUT ROWID;";

/* (apart: C compilers need not take a longer string) */
static const char SCHEMA_NODES[] =
	/*
	 * A table's chunk list is cut into index nodes (manifest_node_len()): each node's
	 * entries are stored once in nodes, keyed by a hash of what they hold, and
	 * a generation lists its tables' nodes in table_nodes.  An unchanged run of
	 * chunks costs a generation one table_nodes row, not one row per chunk.
	 */
	"CREATE TABLE IF NOT EXISTS nodes(node_id BLOB NOT NULL, k INTEGER NOT NULL,"
	" chunk_id BLOB NOT NULL, csv_off INTEGER NOT NULL, fname TEXT NOT NULL, fhash INTEGER NOT NULL,"
	" jsonl_off INTEGER NOT NULL, jsonl_len INTEGER NOT NULL,"
	" sql_off INTEGER NOT NULL, sql_len INTEGER NOT NULL,"
	" first_key BLOB NOT NULL, last_key BLOB NOT NULL,"
	" PRIMARY KEY(node_id, k)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS nodes_by_name ON nodes(fhash);" /* name_hash(fname): a third of the bytes */
	"CREATE INDEX IF NOT EXISTS nodes_by_chunk ON nodes(chunk_id);"
	"CREATE TABLE IF NOT EXISTS table_nodes(seq INTEGER NOT NULL, tidx INTEGER NOT NULL,"
	" first_seqno INTEGER NOT NULL, node_id BLOB NOT NULL, nchunks INTEGER NOT NULL,"
	" csv_off INTEGER NOT NULL, jsonl_off INTEGER NOT NULL, sql_off INTEGER NOT NULL,"
	" PRIMARY KEY(seq, tidx, first_seqno)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS table_nodes_by_node ON table_nodes(node_id, seq, tidx);"
	/* every chunk of every generation, as schema 9 stored them (for people and tests; the code probes the tables) */
	"CREATE VIEW IF NOT EXISTS table_chunks AS SELECT tn.seq AS seq, tn.tidx AS tidx,"
	" tn.first_seqno + n.k AS seqno, n.chunk_id AS chunk_id, tn.csv_off + n.csv_off AS csv_off,"
	" n.fname AS fname, tn.jsonl_off + n.jsonl_off AS jsonl_off, n.jsonl_len AS jsonl_len,"
	" tn.sql_off + n.sql_off AS sql_off, n.sql_len AS sql_len, n.first_key AS first_key,"
	" n.last_key AS last_key FROM table_nodes tn JOIN nodes n ON n.node_id = tn.node_id;";

static int sqerr(struct catalog *c, int rc)
{
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return -EBUSY;
	if (rc == SQLITE_NOMEM)
		return -ENOMEM;
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		return -EUCLEAN;
	if (rc == SQLITE_FULL)
		return -ENOSPC;
	if (rc == SQLITE_CANTOPEN)
		return -ENOENT;
	if (rc == SQLITE_READONLY)
		return -EROFS;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -EEXIST;
	/* a write that failed for want of space surfaces as an I/O error */
	if ((rc & 0xff) == SQLITE_IOERR && c && c->db && sqlite3_system_errno(c->db) == ENOSPC)
		return -ENOSPC;
	return -EIO;
}

/* Text of a column; "" for NULL (a damaged catalog may hold one anywhere). */
static const char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? (const char *)s : "";
}

static int exec(struct catalog *c, const char *sql)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sqerr(c, rc);
}

/*
 * A prepared statement for sql: one kept from an earlier call when it is not
 * in use (the same text), else a new one, kept while there is room.  Hand
 * it back with done(), never sqlite3_finalize().
 */
static int prep(struct catalog *c, const char *sql, sqlite3_stmt **st)
{
	for (unsigned i = 0; i < c->nstmt; i++) {
		struct catalog_stmt *k = &c->stmt[i];
		if (!k->busy && !strcmp(k->sql, sql)) {
			k->busy = true;
			*st = k->st;
			return 0;
		}
	}
	int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	if (rc != SQLITE_OK)
		return sqerr(c, rc);
	if (c->nstmt < CATALOG_STMTS)
		c->stmt[c->nstmt++] = (struct catalog_stmt){ xstrdup(sql), *st, true };
	return 0;
}

/* Done with a statement: a kept one is reset for the next prep(), any other finalized. */
static void done(struct catalog *c, sqlite3_stmt *st)
{
	if (!st)
		return;
	for (unsigned i = 0; i < c->nstmt; i++) {
		if (c->stmt[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			c->stmt[i].busy = false;
			return;
		}
	}
	sqlite3_finalize(st);
}

static int schema_version(struct catalog *c)
{
	sqlite3_stmt *st;
	int v = 0;
	if (sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st,
			       NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	done(c, st);
	return v;
}

static int schema_version_ok(struct catalog *c)
{
	return schema_version(c) == CATALOG_SCHEMA_VERSION;
}

/*
 * Before (re)creating the schema: drop whatever an older or newer strata
 * created, views before tables, whatever their names (a name may have
 * been a table in one schema and a view in another).
 */
static int drop_all(struct catalog *c)
{
	sqlite3_stmt *st;
	struct buf sql = BUF_INIT;
	int rc = prep(c, "SELECT type, name FROM sqlite_schema WHERE type IN ('view', 'table')"
			 " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type = 'table'", &st), s;
	if (rc)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		char *q = sqlite3_mprintf("DROP %s IF EXISTS \"%w\";",
					  !strcmp(col_str(st, 0), "view") ? "VIEW" : "TABLE",
					  col_str(st, 1));
		buf_add(&sql, q, strlen(q));
		sqlite3_free(q);
	}
	done(c, st);
	rc = s == SQLITE_DONE ? 0 : sqerr(c, s);
	if (!rc && sql.len) {
		buf_add(&sql, "", 1);
		rc = exec(c, (const char *)sql.data);
	}
	buf_release(&sql);
	return rc;
}

int catalog_open(struct catalog *c, const char *path, bool readonly)
{
	c->db = NULL;
	c->nstmt = 0;
	/*
	 * Readers open read-write but with query_only: a SQLITE_OPEN_READONLY
	 * connection to a WAL database whose -shm is missing uses private memory
	 * for the WAL index and stops seeing later commits, and the mount must
	 * see new generations.  Fall back to read-only where we may not write.
	 */
	int flags = readonly ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW
			     : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW;
	struct stat st;
	int rc;

	memset(c, 0, sizeof(*c));
	/*
	 * The catalog is never opened through a symbolic link (SQLITE_OPEN_NOFOLLOW;
	 * a writer replaces one, or anything else that is not a regular file).
	 * A new catalog must not pair with the -wal/-shm left by a deleted (or
	 * emptied: a WAL database is never 0 bytes) one: a running mount may
	 * still read the old file through them, and the two would share one WAL
	 * index.  Unlinking the names leaves the mount its open files.
	 */
	if (!readonly) {
		int l = lstat(path, &st);
		if ((l < 0 && errno == ENOENT) || (l == 0 && (!S_ISREG(st.st_mode) || !st.st_size)))
			catalog_remove(path);
	}
	rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (readonly && rc == SQLITE_READONLY) {
		sqlite3_close_v2(c->db);
		rc = sqlite3_open_v2(path, &c->db,
				     SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	}
	if (readonly && rc == SQLITE_OK)
		sqlite3_exec(c->db, "PRAGMA query_only=1", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = sqerr(c, rc);
		goto fail;
	}
	sqlite3_busy_timeout(c->db, 10000);
	if (!readonly) {
		rc = exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
		if (rc)
			goto fail;
		if (schema_version(c) == 10) {
			/* schema 11 only adds segmaps: no rebuild, page maps kept */
			rc = exec(c, "BEGIN IMMEDIATE");
			if (rc)
				goto fail;
			if (schema_version(c) == 10) { /* not another writer's meanwhile */
				rc = exec(c, SCHEMA_11);
				if (!rc)
					rc = exec(c, "UPDATE meta SET value = '11' WHERE key = 'schema_version'");
			}
			if (!rc)
				rc = exec(c, "COMMIT");
			if (rc) {
				exec(c, "ROLLBACK");
				goto fail;
			}
		}
		if (!schema_version_ok(c)) {
			rc = drop_all(c);
			if (!rc)
				rc = exec(c, SCHEMA);
			if (!rc)
				rc = exec(c, SCHEMA_NODES);
			if (!rc)
				rc = exec(c, SCHEMA_11);
			if (!rc) {
				char *sql = sqlite3_mprintf(
					"INSERT INTO meta VALUES('schema_version', '%d')",
					CATALOG_SCHEMA_VERSION);
				rc = exec(c, sql);
				sqlite3_free(sql);
			}
			if (rc)
				goto fail;
		}
	} else if (!schema_version_ok(c) && schema_version(c) != 10) {
		/*
		 * a writer (strata index, backup, ls) rebuilds it in the current
		 * schema; a reader takes schema 10, which lacks only what backups use
		 */
		rc = -EPROTONOSUPPORT;
		goto fail;
	}
	return 0;
fail:
	catalog_close(c);
	return rc;
}

void catalog_close(struct catalog *c)
{
	for (unsigned i = 0; i < c->nstmt; i++) {
		sqlite3_finalize(c->stmt[i].st);
		free(c->stmt[i].sql);
	}
	c->nstmt = 0;
	if (c->db)
		sqlite3_close_v2(c->db);
	c->db = NULL;
}

int catalog_remove(const char *path)
{
	static const char *sfx[] = { "", "-wal", "-shm", "-journal" };
	for (int i = 0; i < 4; i++) {
		char *p = xasprintf("%s%s", path, sfx[i]);
		int rc = unlink(p) < 0 && errno != ENOENT ? -errno : 0;
		free(p);
		if (rc)
			return rc;
	}
	return 0;
}

int catalog_begin(struct catalog *c)
{
	return exec(c, "BEGIN IMMEDIATE");
}

int catalog_commit(struct catalog *c)
{
	return exec(c, "COMMIT");
}

void catalog_rollback(struct catalog *c)
{
	sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Run a prepared statement to completion (no rows expected). */
static int run(struct catalog *c, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : sqerr(c, rc);
}

int catalog_add_pack(struct catalog *c, const char *name, uint64_t size,
		     const struct pack_entry *e, size_t n)
{
	sqlite3_stmt *sp = NULL, *sc = NULL, *scopy = NULL;
	int64_t pid;
	int rc;

	rc = prep(c, "INSERT INTO packs(name, size, nchunks) VALUES(?,?,?)", &sp);
	if (rc)
		return rc;
	sqlite3_bind_text(sp, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(sp, 2, (sqlite3_int64)size);
	sqlite3_bind_int64(sp, 3, (sqlite3_int64)n);
	rc = run(c, sp);
	done(c, sp);
	if (rc)
		return rc;
	pid = sqlite3_last_insert_rowid(c->db);
	/*
	 * A chunk may sit in several packs (a pack left by an interrupted backup
	 * and written again, a repack interrupted before it deleted the old
	 * pack, a chunk stored again because its copy was damaged): the first
	 * one indexed serves it, the others are remembered in chunk_copies so
	 * that one of them serves it once that pack is gone.
	 */
	rc = prep(c, "INSERT OR IGNORE INTO chunks VALUES(?,?,?,?,?,?,?)", &sc);
	if (!rc)
		rc = prep(c, "INSERT OR IGNORE INTO chunk_copies VALUES(?,?,?,?,?,?,?)", &scopy);
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_stmt *s = sc;
		for (int k = 0; k < 2 && !rc; k++, s = scopy) {
			sqlite3_bind_blob(s, 1, e[i].id.b, 16, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, pid);
			sqlite3_bind_int64(s, 3, (sqlite3_int64)e[i].offset);
			sqlite3_bind_int64(s, 4, e[i].clen);
			sqlite3_bind_int64(s, 5, e[i].ulen);
			sqlite3_bind_int64(s, 6, (sqlite3_int64)e[i].nrows);
			sqlite3_bind_int64(s, 7, (sqlite3_int64)e[i].csv_len);
			rc = run(c, s);
			if (sqlite3_changes(c->db))
				break; /* it serves the chunk (or is a new copy) */
		}
	}
	done(c, sc);
	done(c, scopy);
	return rc;
}

/*
 * After packs are removed: a chunk whose serving pack is gone is served by
 * one of its remaining copies.
 */
static int promote_copies(struct catalog *c)
{
	return exec(c, "INSERT OR IGNORE INTO chunks SELECT * FROM chunk_copies"
		       " WHERE id NOT IN (SELECT id FROM chunks);"
		       "DELETE FROM chunk_copies WHERE EXISTS (SELECT 1 FROM chunks"
		       " WHERE chunks.id=chunk_copies.id AND chunks.pack_id=chunk_copies.pack_id);");
}

/*
 * Copies a full verify found damaged (REPO/verify-status) do not serve a
 * chunk that another pack holds: the first other copy not known damaged
 * serves it instead.  (A backup stores a chunk again when no such copy
 * exists: this is what makes that heal every generation using it.)
 */
static int avoid_damaged(struct catalog *c, const struct repo *r)
{
	struct verify_record rec;
	sqlite3_stmt *cur = NULL, *alt = NULL;
	int rc;

	if (verifyrec_read(r, &rec) || !rec.ncopies) {
		verifyrec_release(&rec);
		return 0; /* nothing known, or an unreadable record: advice only */
	}
	rc = prep(c, "SELECT p.name FROM chunks c JOIN packs p ON p.pack_id=c.pack_id WHERE c.id=?", &cur);
	if (!rc)
		rc = prep(c, "SELECT p.name, p.pack_id FROM chunk_copies cc JOIN packs p ON p.pack_id=cc.pack_id"
			     " WHERE cc.id=? ORDER BY p.name", &alt);
	for (size_t i = 0; i < rec.ncopies && !rc; i++) {
		const struct damaged_copy *d = &rec.copies[i];
		int64_t to = -1;
		bool serving = false;
		sqlite3_bind_blob(cur, 1, d->id.b, 16, SQLITE_STATIC);
		if (sqlite3_step(cur) == SQLITE_ROW)
			serving = !strcmp(col_str(cur, 0), d->pack);
		sqlite3_reset(cur);
		if (!serving)
			continue;
		sqlite3_bind_blob(alt, 1, d->id.b, 16, SQLITE_STATIC);
		while (to < 0 && sqlite3_step(alt) == SQLITE_ROW)
			if (!verifyrec_damaged_copy(&rec, &d->id, col_str(alt, 0)))
				to = sqlite3_column_int64(alt, 1);
		sqlite3_reset(alt);
		if (to < 0)
			continue;
		char hex[33];
		chunk_id_hex(hex, &d->id); /* 32 hex digits: safe inside the literal */
		char *sql = sqlite3_mprintf(
			"INSERT OR IGNORE INTO chunk_copies SELECT * FROM chunks WHERE id=x'%s';"
			"DELETE FROM chunks WHERE id=x'%s';"
			"INSERT INTO chunks SELECT * FROM chunk_copies WHERE id=x'%s' AND pack_id=%lld;"
			"DELETE FROM chunk_copies WHERE id=x'%s' AND pack_id=%lld;",
			hex, hex, hex, (long long)to, hex, (long long)to);
		rc = exec(c, sql);
		sqlite3_free(sql);
	}
	done(c, cur);
	done(c, alt);
	verifyrec_release(&rec);
	return rc;
}

int catalog_serve_elsewhere(struct catalog *c, char *const *packs, size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc = exec(c, "CREATE TEMP TABLE IF NOT EXISTS doomed(pack_id INTEGER PRIMARY KEY);"
			 "DELETE FROM temp.doomed;");
	if (!rc)
		rc = prep(c, "INSERT OR IGNORE INTO temp.doomed SELECT pack_id FROM packs WHERE name=?", &st);
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_bind_text(st, 1, packs[i], -1, SQLITE_STATIC);
		rc = run(c, st);
	}
	done(c, st);
	/*
	 * Served from a doomed pack and held by a pack that stays: swap the two
	 * rows.  (A copy in chunk_copies never shares its pack with the serving row.)
	 */
	if (!rc)
		rc = exec(c, "CREATE TEMP TABLE IF NOT EXISTS moving(id BLOB PRIMARY KEY) WITHOUT ROWID;"
			     "DELETE FROM temp.moving;"
			     "INSERT INTO temp.moving SELECT id FROM chunks WHERE pack_id IN temp.doomed"
			     " AND id IN (SELECT id FROM chunk_copies WHERE pack_id NOT IN temp.doomed);"
			     "INSERT OR IGNORE INTO chunk_copies SELECT * FROM chunks WHERE id IN temp.moving;"
			     "DELETE FROM chunks WHERE id IN temp.moving;"
			     "INSERT OR IGNORE INTO chunks SELECT * FROM chunk_copies"
			     " WHERE id IN temp.moving AND pack_id NOT IN temp.doomed;"
			     "DELETE FROM chunk_copies WHERE EXISTS (SELECT 1 FROM chunks"
			     " WHERE chunks.id=chunk_copies.id AND chunks.pack_id=chunk_copies.pack_id);"
			     "DELETE FROM temp.moving; DELETE FROM temp.doomed;");
	return rc;
}

static void gen_json(struct buf *j, const struct manifest *m)
{
	char idhex[33], ts[32];
	hex_encode(idhex, m->id, 16);
	time_rfc3339(ts, m->time);
	/* the mount layout: 3 has the JSONL and SQL views (manifest version 2), 4 dump.sql and schema.pg.sql (3), 5 key/, changes, tables/, at/, 6 db/ and one inode per row range (served for every generation) */
	buf_addf(j, "{\n  \"format\": %d,\n  \"id\": \"", m->version >= 3 ? 6 : m->version == 2 ? 3 : 2);
	buf_adds(j, idhex);
	buf_adds(j, "\",\n  \"name\": ");
	buf_add_json_str(j, m->name, strlen(m->name));
	buf_addf(j, ",\n  \"time\": \"%s\",\n  \"unix_time\": %lld,\n  \"label\": ", ts,
		 (long long)m->time);
	buf_add_json_str(j, m->label, strlen(m->label));
	buf_adds(j, ",\n  \"source\": ");
	buf_add_json_str(j, m->source, strlen(m->source));
	buf_addf(j, ",\n  \"source_bytes\": %llu,", (unsigned long long)m->source_bytes);
	if (m->kind) {
		/* how the backup read the source (not in generations from before kinds were recorded) */
		buf_adds(j, "\n  \"kind\": ");
		buf_add_json_str(j, m->kind, strlen(m->kind));
		buf_adds(j, ",\n  \"parent\": ");
		if (m->parent)
			buf_add_json_str(j, m->parent, strlen(m->parent));
		else
			buf_adds(j, "null");
		buf_adds(j, ",");
	}
	buf_adds(j, "\n  \"tables\": [");
	for (size_t i = 0; i < m->ntables; i++) {
		const struct manifest_table *t = &m->tables[i];
		buf_adds(j, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		buf_add_json_str(j, t->name, strlen(t->name));
		buf_adds(j, ", \"path\": ");
		buf_add_json_str(j, t->dirname, strlen(t->dirname));
		buf_addf(j, ", \"rows\": %llu, \"without_rowid\": %s}",
			 (unsigned long long)t->nrows,
			 (t->flags & TABLE_WITHOUT_ROWID) ? "true" : "false");
	}
	buf_adds(j, m->ntables ? "\n  ]\n}\n" : "]\n}\n");
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* rows/ file names must be unique in a table: the mount finds a chunk by name */
static bool fnames_unique(char *const *names, size_t n)
{
	if (n < 2)
		return true;
	char **v = xmalloc(n * sizeof(char *)); /* sorted apart: the caller's stay in key order */
	memcpy(v, names, n * sizeof(char *));
	qsort(v, n, sizeof(char *), cmp_cstr);
	bool ok = true;
	for (size_t i = 1; i < n && ok; i++)
		ok = strcmp(v[i - 1], v[i]) != 0;
	free(v);
	return ok;
}

/* The rows/ key-range directories of a table with many chunks (naming.h). */
static int add_groups(struct catalog *c, sqlite3_stmt *sgr, uint64_t seq, size_t tidx,
		      const struct manifest_table *t, char **fnames)
{
	char **names = NULL;
	size_t ng = 0, cap = 0, start = 0;
	int rc = 0;

	for (size_t k = 0; k < t->nchunks && !rc; k++) {
		if (!rows_group_ends(get_u64le(t->chunks[k].id.b), k - start + 1) &&
		    k + 1 < t->nchunks)
			continue;
		char *name = name_group(fnames[start], fnames[k]);
		if (!name) {
			rc = -EUCLEAN;
			break;
		}
		if (ng == cap) {
			cap = cap ? 2 * cap : 64;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[ng] = name;
		sqlite3_bind_int64(sgr, 1, (sqlite3_int64)seq);
		sqlite3_bind_int64(sgr, 2, (sqlite3_int64)tidx);
		sqlite3_bind_int64(sgr, 3, (sqlite3_int64)ng);
		sqlite3_bind_int64(sgr, 4, (sqlite3_int64)start);
		sqlite3_bind_int64(sgr, 5, (sqlite3_int64)(k - start + 1));
		sqlite3_bind_text(sgr, 6, name, -1, SQLITE_STATIC);
		rc = run(c, sgr);
		ng++;
		start = k + 1;
	}
	if (!rc && !fnames_unique(names, ng))
		rc = -EUCLEAN;
	for (size_t i = 0; i < ng; i++)
		free(names[i]);
	free(names);
	return rc;
}

/*
 * dump.sql (dumpplan.h): the texts between the tables' SQL views, from
 * manifest version 3 on (the database section, and views' lengths in the
 * revision a script can carry: views.h).
 */
static int add_dump_parts(struct catalog *c, const struct manifest *m)
{
	struct dump_parts p;
	sqlite3_stmt *st;
	int rc = prep(c, "INSERT INTO gen_parts VALUES(?,?,?,?,?)", &st);
	if (rc)
		return rc;
	dump_parts_build(m, &p);
	for (size_t i = 0; i < p.n && !rc; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)m->seq);
		sqlite3_bind_int64(st, 2, CAT_FILE_DUMP);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)i);
		sqlite3_bind_int64(st, 4, p.tidx[i]);
		sqlite3_bind_text(st, 5, p.text[i], -1, SQLITE_STATIC);
		rc = run(c, st);
	}
	dump_parts_free(&p);
	done(c, st);
	return rc;
}

/* Tables schema.pg.sql is made for: the database's own, not SQLite's or a virtual table's. */
static bool pg_wanted(const struct manifest_table *t)
{
	return !(t->flags & (TABLE_INTERNAL | TABLE_SHADOW));
}

static struct pg_table pg_table_of(const struct manifest_table *t)
{
	struct pg_table p = { t->name, t->cols, t->ncols, t->classes };
	return p;
}

/*
 * PostgreSQL DDL (pgschema.h), from manifest version 3 (what each column
 * holds): text for one table, or (t NULL) for the whole generation.  A
 * schema that cannot be made leaves the file out, with no error: it is a
 * convenience, the data is all there.
 */
static char *pg_text(const struct manifest *m, const struct manifest_table *t)
{
	struct buf out = BUF_INIT;
	struct pg_table *v = xcalloc(m->ntables ? m->ntables : 1, sizeof(*v));
	size_t n = 0;
	char *err = NULL;
	if (t)
		v[n++] = pg_table_of(t);
	for (size_t i = 0; !t && i < m->ntables; i++)
		if (pg_wanted(&m->tables[i]))
			v[n++] = pg_table_of(&m->tables[i]);
	if (m->version < 3 || !n || pg_schema(t ? t->schema : m->schema, v, n, &out, &err)) {
		buf_release(&out);
		free(err);
		free(v);
		return xstrdup("");
	}
	free(v);
	buf_addc(&out, 0);
	return (char *)buf_detach(&out, NULL);
}

static int add_pg_schema(struct catalog *c, const struct manifest *m)
{
	sqlite3_stmt *st;
	char *text = pg_text(m, NULL);
	int rc = *text ? prep(c, "INSERT INTO gen_parts VALUES(?,?,0,-1,?)", &st) : 0;
	if (!rc && *text) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)m->seq);
		sqlite3_bind_int64(st, 2, CAT_FILE_PG);
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		rc = run(c, st);
		done(c, st);
	}
	free(text);
	return rc;
}

/* The revision of a generation's JSONL and SQL views (views.h); 0: their sizes were not recorded (manifest version 1). */
static unsigned views_rev(const struct manifest *m)
{
	return m->version >= 3 ? 2 : m->version == 2 ? 1 : 0;
}

/*
 * What a row-range file's bytes depend on besides its chunk (docs/FORMAT.md,
 * "Inode numbers"): the CSV header, and for JSONL and SQL the table's name,
 * its columns, whether it has rowids, and the views' revision.  Two
 * generations' files of one chunk with the same render id are the same
 * bytes, and share an inode number.
 */
static uint64_t render_id(const struct manifest_table *t, const struct buf *hdr, unsigned views)
{
	struct buf b = BUF_INIT;
	uint8_t tail[2] = { (uint8_t)((t->flags & TABLE_WITHOUT_ROWID) != 0), (uint8_t)views };
	buf_add(&b, t->name, strlen(t->name) + 1);
	buf_add(&b, hdr->data ? hdr->data : (const void *)"", hdr->len);
	buf_add(&b, "", 1);
	for (unsigned k = 0; k < t->ncols; k++)
		buf_add(&b, t->cols[k], strlen(t->cols[k]) + 1);
	buf_add(&b, tail, sizeof(tail));
	uint64_t v = XXH3_64bits(b.data, b.len);
	buf_release(&b);
	return v;
}

/*
 * row_files counts, for each row-range file (struct cat_row_file: a chunk
 * id, its table's render id and its recorded JSONL and SQL lengths), the
 * generations holding it and the oldest one's time: the
 * mount's st_nlink and st_mtime, one lookup per stat (node_rows.c).  Kept
 * as generations come (here, after the generation's table_nodes rows)
 * and go (drop_row_files); rebuilt with the catalog.
 */
static int delete_by(struct catalog *c, const char *sql, const char *key);

static int add_row_files(struct catalog *c, const struct manifest *m)
{
	sqlite3_stmt *st;
	int rc = prep(c, "INSERT INTO row_files SELECT DISTINCT n.chunk_id, t.render_id, n.jsonl_len,"
			 " n.sql_len, 1, ?2 FROM table_nodes tn JOIN nodes n ON n.node_id = tn.node_id"
			 " JOIN tables t ON t.seq = tn.seq AND t.tidx = tn.tidx WHERE tn.seq = ?1"
			 " ON CONFLICT(chunk_id, render_id, jsonl_len, sql_len) DO UPDATE"
			 " SET holders = holders + 1, first_time = min(first_time, excluded.first_time)", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)m->seq);
	sqlite3_bind_int64(st, 2, m->time);
	rc = run(c, st);
	done(c, st);
	return rc;
}

/* Generation `name` is leaving the catalog (its table_nodes rows are still there). */
#define GEN_FILES "(SELECT n.chunk_id, t.render_id, n.jsonl_len, n.sql_len FROM table_nodes tn JOIN nodes n" \
	" ON n.node_id = tn.node_id JOIN tables t ON t.seq = tn.seq AND t.tidx = tn.tidx" \
	" WHERE tn.seq = (SELECT seq FROM generations WHERE name = ?1))"
static int drop_row_files(struct catalog *c, const char *name)
{
	int rc = delete_by(c, "UPDATE row_files SET holders = holders - 1"
			      " WHERE (chunk_id, render_id, jsonl_len, sql_len) IN " GEN_FILES, name);
	/* the files it was the oldest holder of: the next oldest */
	if (!rc)
		rc = delete_by(c, "UPDATE row_files SET first_time = (SELECT min(g.time) FROM nodes n"
				  " CROSS JOIN table_nodes tn ON tn.node_id = n.node_id JOIN tables t"
				  " ON t.seq = tn.seq AND t.tidx = tn.tidx JOIN generations g"
				  " ON g.seq = tn.seq WHERE n.chunk_id = row_files.chunk_id"
				  " AND t.render_id = row_files.render_id AND n.jsonl_len = row_files.jsonl_len"
				  " AND n.sql_len = row_files.sql_len AND g.name != ?1)"
				  " WHERE holders > 0 AND first_time = (SELECT time FROM generations WHERE name = ?1)"
				  " AND (chunk_id, render_id, jsonl_len, sql_len) IN " GEN_FILES, name);
	if (!rc)
		rc = exec(c, "DELETE FROM row_files WHERE holders <= 0");
	return rc;
}

/*
 * Index nodes.  A table's chunk list is cut where a version 5 manifest cuts
 * it (manifest_node_len), so, as with the chunker, a change moves only the
 * nodes around it; a node's id here is the XXH3-128 of everything its rows
 * hold (the chunk entries and how the table names row ranges: the
 * repository's node id does not say the latter, and version 4 manifests
 * have none).  Rows of nodes are written the first time a node is seen and
 * removed with the last generation listing it.
 */

/* what nodes_by_name indexes: a row-range file name's hash (names are ~40 bytes) */
static sqlite3_int64 name_hash(const char *fname)
{
	return (sqlite3_int64)XXH3_64bits(fname, strlen(fname));
}

struct node_stmts {
	sqlite3_stmt *has, *entry, *list;
};

static int node_stmts_prep(struct catalog *c, struct node_stmts *sn)
{
	int rc = prep(c, "SELECT 1 FROM nodes WHERE node_id=? AND k=0", &sn->has);
	if (!rc)
		rc = prep(c, "INSERT INTO nodes VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", &sn->entry);
	if (!rc)
		rc = prep(c, "INSERT INTO table_nodes VALUES(?,?,?,?,?,?,?,?)", &sn->list);
	return rc;
}

static void node_stmts_free(struct catalog *c, struct node_stmts *sn)
{
	done(c, sn->has);
	done(c, sn->entry);
	done(c, sn->list);
}

static void node_hash_u64(XXH3_state_t *h, uint64_t v)
{
	uint8_t b[8];
	put_u64le(b, v);
	XXH3_128bits_update(h, b, 8);
}

static void node_id(struct chunk_id *id, const struct manifest_chunk *ch, size_t n, bool named_by_key)
{
	XXH3_state_t *h = XXH3_createState();
	if (!h)
		abort();
	XXH3_128bits_reset(h);
	XXH3_128bits_update(h, named_by_key ? "strata node k" : "strata node r", 13);
	for (size_t k = 0; k < n; k++) {
		XXH3_128bits_update(h, ch[k].id.b, 16);
		node_hash_u64(h, ch[k].nrows);
		node_hash_u64(h, ch[k].ulen);
		node_hash_u64(h, ch[k].csv_len);
		node_hash_u64(h, ch[k].jsonl_len);
		node_hash_u64(h, ch[k].sql_len);
		node_hash_u64(h, ch[k].first_len);
		XXH3_128bits_update(h, ch[k].first_key, ch[k].first_len);
		node_hash_u64(h, ch[k].last_len);
		XXH3_128bits_update(h, ch[k].last_key, ch[k].last_len);
	}
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
	memcpy(id->b, c.digest, 16);
	XXH3_freeState(h);
}

/* Table tidx of generation seq: its nodes, each stored unless the catalog has it. */
static int add_nodes(struct catalog *c, struct node_stmts *sn, uint64_t seq, size_t tidx,
		     const struct manifest_table *t, bool named_by_key, char **fnames)
{
	uint64_t off = 0, joff = 0, soff = 0;
	size_t start = 0;
	int rc = 0;

	while (start < t->nchunks && !rc) {
		const struct manifest_chunk *ch = &t->chunks[start];
		size_t n = manifest_node_len(t->chunks, t->nchunks, start);
		struct chunk_id id;
		node_id(&id, ch, n, named_by_key);
		sqlite3_bind_blob(sn->has, 1, id.b, 16, SQLITE_STATIC);
		int s = sqlite3_step(sn->has);
		sqlite3_reset(sn->has);
		if (s != SQLITE_ROW && s != SQLITE_DONE)
			return sqerr(c, s);
		sqlite3_bind_int64(sn->list, 1, (sqlite3_int64)seq);
		sqlite3_bind_int64(sn->list, 2, (sqlite3_int64)tidx);
		sqlite3_bind_int64(sn->list, 3, (sqlite3_int64)start);
		sqlite3_bind_blob(sn->list, 4, id.b, 16, SQLITE_TRANSIENT);
		sqlite3_bind_int64(sn->list, 5, (sqlite3_int64)n);
		sqlite3_bind_int64(sn->list, 6, (sqlite3_int64)off);
		sqlite3_bind_int64(sn->list, 7, (sqlite3_int64)joff);
		sqlite3_bind_int64(sn->list, 8, (sqlite3_int64)soff);
		rc = run(c, sn->list);
		/* offsets in the node from its first chunk; Σ lengths fit (manifest_decode) */
		uint64_t o = 0, jo = 0, so = 0;
		for (size_t j = 0; j < n && !rc; j++) {
			if (s == SQLITE_DONE) {
				sqlite3_stmt *e = sn->entry;
				sqlite3_bind_blob(e, 1, id.b, 16, SQLITE_TRANSIENT);
				sqlite3_bind_int64(e, 2, (sqlite3_int64)j);
				sqlite3_bind_blob(e, 3, ch[j].id.b, 16, SQLITE_STATIC);
				sqlite3_bind_int64(e, 4, (sqlite3_int64)o);
				sqlite3_bind_text(e, 5, fnames[start + j], -1, SQLITE_STATIC);
				sqlite3_bind_int64(e, 6, name_hash(fnames[start + j]));
				sqlite3_bind_int64(e, 7, (sqlite3_int64)jo);
				sqlite3_bind_int64(e, 8, (sqlite3_int64)ch[j].jsonl_len);
				sqlite3_bind_int64(e, 9, (sqlite3_int64)so);
				sqlite3_bind_int64(e, 10, (sqlite3_int64)ch[j].sql_len);
				sqlite3_bind_blob(e, 11, ch[j].first_key, (int)ch[j].first_len, SQLITE_STATIC);
				sqlite3_bind_blob(e, 12, ch[j].last_key, (int)ch[j].last_len, SQLITE_STATIC);
				rc = run(c, e);
			}
			o += ch[j].csv_len;
			jo += ch[j].jsonl_len;
			so += ch[j].sql_len;
		}
		off += o;
		joff += jo;
		soff += so;
		start += n;
	}
	return rc;
}

/*
 * Index one decoded manifest.  manifest_decode() checked its structure
 * (safe, unique dirnames; seq < 2^24, ntables <= 2^16 and nchunks <= 2^20,
 * which are the mount's inode fields); here every chunk must be in an
 * indexed pack that agrees on ulen, nrows and csv_len (-ENOENT / -EUCLEAN),
 * file names must be unique per table and the generation's sums must fit a
 * SQLite integer (-EUCLEAN).
 */
int catalog_add_generation(struct catalog *c, const struct manifest *m, uint64_t manifest_bytes)
{
	sqlite3_stmt *sg = NULL, *stt = NULL, *chk = NULL, *sgr = NULL;
	struct node_stmts sn = { 0 };
	struct buf json = BUF_INIT, hdr = BUF_INIT;
	uint64_t nrows = 0, logical = 0;
	char idhex[33];
	char **fnames = NULL;
	int rc;

	if (m->seq == 0 || m->seq > 0xffffff || m->ntables > 0x10000)
		return -EUCLEAN;
	rc = prep(c, "INSERT INTO tables VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &stt);
	if (!rc)
		rc = node_stmts_prep(c, &sn);
	if (!rc)
		rc = prep(c, "SELECT ulen, nrows, csv_len FROM chunks WHERE id=?", &chk);
	if (!rc)
		rc = prep(c, "INSERT INTO row_groups VALUES(?,?,?,?,?,?)", &sgr);
	for (size_t i = 0; i < m->ntables && !rc; i++) {
		const struct manifest_table *t = &m->tables[i];
		uint64_t jsize = 0, ssize = 0;
		for (size_t k = 0; k < t->nchunks; k++) {
			/* sums fit: manifest_decode() checked them */
			jsize += t->chunks[k].jsonl_len;
			ssize += t->chunks[k].sql_len;
		}
		buf_reset(&hdr);
		render_csv_header(&hdr, t->cols, t->ncols);
		sqlite3_bind_int64(stt, 1, (sqlite3_int64)m->seq);
		sqlite3_bind_int64(stt, 2, (sqlite3_int64)i);
		sqlite3_bind_text(stt, 3, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(stt, 4, t->dirname, -1, SQLITE_STATIC);
		sqlite3_bind_text(stt, 5, t->schema, -1, SQLITE_STATIC);
		sqlite3_bind_text(stt, 6, (const char *)hdr.data, (int)hdr.len, SQLITE_STATIC);
		sqlite3_bind_int64(stt, 7, (sqlite3_int64)t->nrows);
		sqlite3_bind_int64(stt, 8, (sqlite3_int64)t->nchunks);
		sqlite3_bind_int64(stt, 9, (sqlite3_int64)t->csv_size);
		/* JSONL and SQL views: their sizes were recorded from manifest version 2 on (views.h) */
		sqlite3_bind_int64(stt, 10, views_rev(m));
		sqlite3_bind_int64(stt, 11, (sqlite3_int64)jsize);
		sqlite3_bind_int64(stt, 12, (sqlite3_int64)ssize);
		struct buf cols = BUF_INIT; /* the column names, each ending in NUL */
		for (unsigned k = 0; k < t->ncols; k++)
			buf_add(&cols, t->cols[k], strlen(t->cols[k]) + 1);
		sqlite3_bind_blob(stt, 13, cols.len ? (const void *)cols.data : "", (int)cols.len,
				  SQLITE_TRANSIENT);
		buf_release(&cols);
		sqlite3_bind_int64(stt, 14, (sqlite3_int64)t->flags);
		char *pg = pg_wanted(t) ? pg_text(m, t) : xstrdup("");
		sqlite3_bind_text(stt, 15, pg, -1, SQLITE_TRANSIENT);
		free(pg);
		sqlite3_bind_int64(stt, 16, (sqlite3_int64)render_id(t, &hdr, views_rev(m)));
		rc = run(c, stt);
		if (!rc && (t->nchunks > 0x100000 ||
			    __builtin_add_overflow(nrows, t->nrows, &nrows) ||
			    __builtin_add_overflow(logical, hdr.len, &logical) ||
			    __builtin_add_overflow(logical, t->csv_size, &logical) ||
			    nrows > INT64_MAX || logical > INT64_MAX))
			rc = -EUCLEAN;
		if (rc)
			break;
		fnames = xcalloc(t->nchunks ? t->nchunks : 1, sizeof(char *));
		for (size_t k = 0; k < t->nchunks && !rc; k++) {
			const struct manifest_chunk *ch = &t->chunks[k];
			/* the manifest must agree with the pack that holds the chunk */
			sqlite3_bind_blob(chk, 1, ch->id.b, 16, SQLITE_STATIC);
			int s = sqlite3_step(chk);
			if (s != SQLITE_ROW) {
				rc = s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
			} else if ((uint64_t)sqlite3_column_int64(chk, 0) != ch->ulen ||
				   (uint64_t)sqlite3_column_int64(chk, 1) != ch->nrows ||
				   (uint64_t)sqlite3_column_int64(chk, 2) != ch->csv_len) {
				rc = -EUCLEAN;
			}
			sqlite3_reset(chk);
			if (rc)
				break;
			/* a key-ordered rowid table is named by its declared key, without the rowid */
			uint64_t nv = (t->flags & TABLE_KEY_ORDER) && !(t->flags & TABLE_WITHOUT_ROWID)
				      ? key_values(ch->first_key, ch->first_len) - 1 : UINT64_MAX;
			char *fname = name_range_n(ch->first_key, ch->first_len, ch->last_key,
						   ch->last_len, nv ? nv : UINT64_MAX, ".csv");
			fnames[k] = fname;
		}
		if (!rc)
			rc = add_nodes(c, &sn, m->seq, i, t,
				       (t->flags & TABLE_KEY_ORDER) && !(t->flags & TABLE_WITHOUT_ROWID),
				       fnames);
		if (!rc && !fnames_unique(fnames, t->nchunks))
			rc = -EUCLEAN;
		if (!rc && t->nchunks > ROWS_FLAT_MAX)
			rc = add_groups(c, sgr, m->seq, i, t, fnames);
		for (size_t k = 0; k < t->nchunks; k++)
			free(fnames[k]);
		free(fnames);
		fnames = NULL;
	}
	if (!rc)
		rc = add_row_files(c, m);
	/* dump.sql: from manifest version 3 (views.h: the SQL rendering a script can carry) */
	if (!rc && m->version >= 3)
		rc = add_dump_parts(c, m);
	if (!rc)
		rc = add_pg_schema(c, m);
	if (rc)
		goto out;
	gen_json(&json, m);
	hex_encode(idhex, m->id, 16);
	rc = prep(c, "INSERT INTO generations VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &sg);
	if (rc)
		goto out;
	sqlite3_bind_int64(sg, 1, (sqlite3_int64)m->seq);
	sqlite3_bind_text(sg, 2, m->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(sg, 3, idhex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(sg, 4, m->time);
	sqlite3_bind_text(sg, 5, m->label, -1, SQLITE_STATIC);
	sqlite3_bind_text(sg, 6, m->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(sg, 7, (sqlite3_int64)m->ntables);
	sqlite3_bind_int64(sg, 8, (sqlite3_int64)nrows);
	sqlite3_bind_int64(sg, 9, (sqlite3_int64)logical);
	/* what the backup added to the repository: its packs and its manifest */
	sqlite3_bind_int64(sg, 10, (sqlite3_int64)(m->new_bytes + manifest_bytes));
	sqlite3_bind_text(sg, 11, (const char *)json.data, (int)json.len, SQLITE_STATIC);
	sqlite3_bind_text(sg, 12, m->schema, -1, SQLITE_STATIC);
	char dbname[DB_NAME_MAX + 1];
	manifest_db_name(m, dbname);
	sqlite3_bind_text(sg, 13, dbname, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(sg, 14, m->dbname != NULL); /* its manifest names it (version 4) */
	sqlite3_bind_text(sg, 15, m->kind ? m->kind : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(sg, 16, m->parent ? m->parent : "", -1, SQLITE_STATIC);
	rc = run(c, sg);
	if (!rc) {
		/* a page map left by another generation of this name describes other chunks */
		sqlite3_stmt *dp;
		rc = prep(c, "DELETE FROM pagemaps WHERE gen = ?1 AND gen_id != ?2", &dp);
		if (!rc) {
			sqlite3_bind_text(dp, 1, m->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(dp, 2, idhex, -1, SQLITE_STATIC);
			rc = run(c, dp);
			done(c, dp);
		}
	}
out:
	done(c, sg);
	done(c, stt);
	node_stmts_free(c, &sn);
	done(c, chk);
	done(c, sgr);
	buf_release(&json);
	buf_release(&hdr);
	return rc;
}

/* ---- sync ---- */

static int column_names(struct catalog *c, const char *sql, struct namelist *out)
{
	sqlite3_stmt *st;
	int rc = prep(c, sql, &st), s;
	if (rc)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		namelist_add(out, col_str(st, 0));
	done(c, st);
	namelist_sort(out);
	return s == SQLITE_DONE ? 0 : sqerr(c, s);
}

static int index_pack(struct catalog *c, const struct repo *r, const char *name)
{
	struct pack_entry *e = NULL;
	struct store_file *f;
	size_t n = 0;
	uint64_t size = 0;
	int rc = repo_open_pack(r, name, &f);

	if (!rc) {
		rc = pack_read_index(f, &e, &n, &size);
		store_file_close(f);
	}
	if (!rc)
		rc = catalog_add_pack(c, name, size, e, n);
	else if (rc != -EIO && rc != -ENOMEM)
		fprintf(stderr, "strata: skipping pack 'packs/%.2s/%s.pack': %s; restore that file from a copy of the repository\n",
			name, name, rc == -EBADMSG ? "index checksum mismatch" : "bad pack structure");
	free(e);
	return rc;
}

static int index_gen(struct catalog *c, const struct repo *r, const char *name)
{
	struct idxnode_reader rd = { .r = r, .cat = c };
	size_t n = 0;
	struct manifest m;
	/* (version 5: its index nodes, from packs indexed before it) */
	int rc = manifest_load(r, name, &rd, &m, &n);

	idxnode_reader_done(&rd);
	if (!rc && strcmp(m.name, name)) {
		manifest_release(&m);
		rc = -EUCLEAN; /* a manifest renamed by hand */
	}
	if (!rc && strlen(m.name) >= sizeof(((struct cat_gen *)0)->name)) {
		manifest_release(&m);
		rc = -ENAMETOOLONG; /* struct cat_gen (the mount) holds 63 bytes */
	}
	if (!rc) {
		rc = catalog_add_generation(c, &m, n);
		manifest_release(&m);
	}
	if (rc) {
		const char *why = rc == -EBADMSG ? "checksum mismatch (of the manifest or of an index node it lists)" :
				  rc == -ENOENT ? "it refers to chunks or index nodes no pack holds" :
				  rc == -EPROTONOSUPPORT ? "written by a newer strata" :
				  rc == -EUCLEAN ? "bad manifest structure" :
				  rc == -EEXIST ? "duplicate generation number" :
				  rc == -EFBIG ? "the manifest is too large to load" :
				  rc == -ENAMETOOLONG ? "generation name longer than 63 bytes" :
				  strerror(-rc);
		struct buf shown = BUF_INIT; /* a file name: anything but '/' and NUL */
		buf_add_printable(&shown, name, strlen(name));
		fprintf(stderr, "strata: skipping generation 'generations/%s.gen': %s; restore that file from a copy of the repository\n",
			(char *)shown.data, why);
		buf_release(&shown);
	}
	return rc;
}

static int delete_by(struct catalog *c, const char *sql, const char *key)
{
	sqlite3_stmt *st;
	int rc = prep(c, sql, &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = run(c, st);
	done(c, st);
	return rc;
}

static int sync_once(struct catalog *c, const struct repo *r, bool rebuild,
		     struct catalog_sync_stats *st)
{
	struct namelist disk_packs = { 0 }, cat_packs = { 0 }, disk_gens = { 0 }, cat_gens = { 0 };
	int rc;

	memset(st, 0, sizeof(*st));
	rc = catalog_begin(c);
	if (rc)
		return rc;
	if (rebuild)
		rc = exec(c, "DELETE FROM gen_parts; DELETE FROM row_groups; DELETE FROM row_files;"
			     " DELETE FROM table_nodes; DELETE FROM nodes;"
			     " DELETE FROM tables; DELETE FROM generations; DELETE FROM chunks;"
			     " DELETE FROM chunk_copies; DELETE FROM packs;");
	if (!rc)
		rc = repo_list_packs(r, &disk_packs, NULL);
	if (!rc)
		rc = repo_list_gens(r, &disk_gens, NULL);
	if (!rc)
		rc = column_names(c, "SELECT name FROM packs", &cat_packs);
	if (!rc)
		rc = column_names(c, "SELECT name FROM generations", &cat_gens);
	if (rc)
		goto out;
	/* generations first: removing one never needs a pack */
	for (size_t i = 0; i < cat_gens.n && !rc; i++) {
		if (namelist_has(&disk_gens, cat_gens.v[i]))
			continue;
		/* every table keyed by seq; the generation's row last (the others find it by name) */
		rc = drop_row_files(c, cat_gens.v[i]);
		if (!rc)
			rc = delete_by(c, "DELETE FROM gen_parts WHERE seq=(SELECT seq FROM generations WHERE name=?)", cat_gens.v[i]);
		if (!rc)
			rc = delete_by(c, "DELETE FROM row_groups WHERE seq=(SELECT seq FROM generations WHERE name=?)", cat_gens.v[i]);
		if (!rc)
			rc = delete_by(c, "DELETE FROM table_nodes WHERE seq=(SELECT seq FROM generations WHERE name=?)", cat_gens.v[i]);
		if (!rc)
			rc = delete_by(c, "DELETE FROM tables WHERE seq=(SELECT seq FROM generations WHERE name=?)", cat_gens.v[i]);
		if (!rc)
			rc = delete_by(c, "DELETE FROM generations WHERE name=?", cat_gens.v[i]);
		if (!rc) /* a later generation may get the name again */
			rc = delete_by(c, "DELETE FROM pagemaps WHERE gen=?", cat_gens.v[i]);
		st->gens_removed++;
	}
	/* nodes no remaining generation lists */
	if (!rc && st->gens_removed)
		rc = exec(c, "DELETE FROM nodes WHERE node_id NOT IN (SELECT node_id FROM table_nodes)");
	for (size_t i = 0; i < cat_packs.n && !rc; i++) {
		if (namelist_has(&disk_packs, cat_packs.v[i]))
			continue;
		rc = delete_by(c, "DELETE FROM chunks WHERE pack_id=(SELECT pack_id FROM packs WHERE name=?)", cat_packs.v[i]);
		if (!rc)
			rc = delete_by(c, "DELETE FROM chunk_copies WHERE pack_id=(SELECT pack_id FROM packs WHERE name=?)", cat_packs.v[i]);
		if (!rc)
			rc = delete_by(c, "DELETE FROM packs WHERE name=?", cat_packs.v[i]);
		st->packs_removed++;
	}
	if (!rc && st->packs_removed)
		rc = promote_copies(c);
	for (size_t i = 0; i < disk_packs.n && !rc; i++) {
		if (namelist_has(&cat_packs, disk_packs.v[i]))
			continue;
		int prc = index_pack(c, r, disk_packs.v[i]);
		if (prc == -EIO || prc == -ENOMEM || prc == -ENOSPC || prc == -EBUSY)
			rc = prc;
		else if (prc)
			st->bad_packs++;
		else
			st->packs_added++;
	}
	/*
	 * segment lists of chunks the repository no longer holds (after the new
	 * packs: a chunk whose pack went may have come back in another)
	 */
	if (!rc && (st->packs_removed || rebuild))
		rc = exec(c, "DELETE FROM segmaps WHERE chunk_id NOT IN (SELECT id FROM chunks)");
	/* before the generations: indexing one reads its index nodes from the copies served */
	if (!rc)
		rc = avoid_damaged(c, r);
	for (size_t i = 0; i < disk_gens.n && !rc; i++) {
		if (namelist_has(&cat_gens, disk_gens.v[i]))
			continue;
		/* each generation in a savepoint: a bad one must not leave half its rows */
		rc = exec(c, "SAVEPOINT gen");
		if (rc)
			break;
		int grc = index_gen(c, r, disk_gens.v[i]);
		if (grc == -EIO || grc == -ENOMEM || grc == -ENOSPC || grc == -EBUSY) {
			rc = grc;
			break;
		}
		if (grc) {
			rc = exec(c, "ROLLBACK TO gen; RELEASE gen");
			st->bad_gens++;
		} else {
			rc = exec(c, "RELEASE gen");
			st->gens_added++;
		}
		fault_point("catalog-gen");
	}
out:
	if (!rc)
		fault_point("catalog-commit");
	if (!rc)
		rc = catalog_commit(c);
	if (!rc)
		fault_point("catalog-committed");
	if (rc)
		catalog_rollback(c);
	namelist_release(&disk_packs);
	namelist_release(&cat_packs);
	namelist_release(&disk_gens);
	namelist_release(&cat_gens);
	return rc;
}

int catalog_sync(struct catalog *c, const struct repo *r, bool rebuild,
		 struct catalog_sync_stats *st)
{
	return sync_once(c, r, rebuild, st);
}

int catalog_open_sync(struct catalog *c, const struct repo *r, bool rebuild,
		      struct catalog_sync_stats *st)
{
	int rc = catalog_open(c, r->catalog, false);
	if (!rc)
		rc = sync_once(c, r, rebuild, st);
	if (rc == -EUCLEAN) {
		/*
		 * The catalog is derived: a damaged one is replaced, never trusted
		 * or repaired in place (emptying it can fail on its damaged pages).
		 * A running mount keeps reading the old file until it sees the new.
		 */
		fprintf(stderr, "strata: catalog '%s' is damaged; rebuilding it from the repository\n",
			r->catalog);
		catalog_close(c);
		rc = catalog_remove(r->catalog);
		if (!rc)
			rc = catalog_open(c, r->catalog, false);
		if (!rc)
			rc = sync_once(c, r, false, st);
	}
	if (rc)
		catalog_close(c);
	return rc;
}

int catalog_each_chunk(struct catalog *c, int (*fn)(void *arg, const struct chunk_id *id),
		       void *arg)
{
	sqlite3_stmt *st;
	int rc = prep(c, "SELECT id FROM chunks", &st), s;
	if (rc)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct chunk_id id;
		if (sqlite3_column_bytes(st, 0) != 16)
			continue;
		memcpy(id.b, sqlite3_column_blob(st, 0), 16);
		rc = fn(arg, &id);
		if (rc)
			break;
	}
	done(c, st);
	if (rc)
		return rc;
	return s == SQLITE_DONE ? 0 : sqerr(c, s);
}

static int one_int(struct catalog *c, const char *sql, uint64_t *v)
{
	sqlite3_stmt *st;
	int rc = prep(c, sql, &st), s;
	if (rc)
		return rc;
	s = sqlite3_step(st);
	*v = s == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
	done(c, st);
	return s == SQLITE_ROW || s == SQLITE_DONE ? 0 : sqerr(c, s);
}

int catalog_max_seq(struct catalog *c, uint64_t *seq)
{
	return one_int(c, "SELECT coalesce(max(seq), 0) FROM generations", seq);
}

int catalog_gen_stamp(struct catalog *c, uint64_t *stamp)
{
	uint64_t a = 0, b = 0;
	int rc = one_int(c, "SELECT coalesce(max(seq), 0) FROM generations", &a);
	if (!rc)
		rc = one_int(c, "SELECT count(*) FROM generations", &b);
	*stamp = a << 32 ^ b;
	return rc;
}

int catalog_pack_stats(struct catalog *c, uint64_t *npacks, uint64_t *bytes)
{
	int rc = one_int(c, "SELECT count(*) FROM packs", npacks);
	if (!rc)
		rc = one_int(c, "SELECT coalesce(sum(size), 0) FROM packs", bytes);
	return rc;
}

int catalog_name_taken(struct catalog *c, const char *name)
{
	sqlite3_stmt *st;
	int rc = prep(c, "SELECT 1 FROM generations WHERE name=?", &st), s;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	done(c, st);
	if (s == SQLITE_ROW)
		return 1;
	return s == SQLITE_DONE ? 0 : sqerr(c, s);
}

#define GEN_COLS "seq, name, time, ntables, nrows, logical_bytes, new_bytes, length(CAST(json AS BLOB)), length(CAST(schema_sql AS BLOB)), label, id, source, dbname, named, kind, parent"

static void gen_row(sqlite3_stmt *st, struct cat_gen *g, bool label)
{
	memset(g, 0, sizeof(*g));
	g->seq = (uint64_t)sqlite3_column_int64(st, 0);
	snprintf(g->name, sizeof(g->name), "%s", col_str(st, 1));
	g->time = sqlite3_column_int64(st, 2);
	g->ntables = (uint64_t)sqlite3_column_int64(st, 3);
	g->nrows = (uint64_t)sqlite3_column_int64(st, 4);
	g->logical_bytes = (uint64_t)sqlite3_column_int64(st, 5);
	g->new_bytes = (uint64_t)sqlite3_column_int64(st, 6);
	g->json_len = (uint64_t)sqlite3_column_int64(st, 7);
	g->schema_len = (uint64_t)sqlite3_column_int64(st, 8);
	if (label) {
		g->label = xstrdup(col_str(st, 9));
		g->source = xstrdup(col_str(st, 11));
	}
	snprintf(g->id, sizeof(g->id), "%s", col_str(st, 10));
	snprintf(g->dbname, sizeof(g->dbname), "%s", col_str(st, 12));
	g->named = sqlite3_column_int64(st, 13) != 0;
	snprintf(g->kind, sizeof(g->kind), "%s", col_str(st, 14));
	snprintf(g->parent, sizeof(g->parent), "%s", col_str(st, 15));
}

/* The text values of a one-column query, in its order (caller frees each and the array). */
static int column_names_list(struct catalog *c, const char *sql, char ***names, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = prep(c, sql, &st), s;
	*names = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*names = xrealloc(*names, cap * sizeof(**names));
		}
		(*names)[(*n)++] = xstrdup(col_str(st, 0));
	}
	done(c, st);
	if (s != SQLITE_DONE) {
		for (size_t i = 0; i < *n; i++)
			free((*names)[i]);
		free(*names);
		*names = NULL;
		*n = 0;
		return sqerr(c, s);
	}
	return 0;
}

static int gens_of(struct catalog *c, const char *dbname, struct cat_gen **gens, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = prep(c, dbname ? "SELECT " GEN_COLS " FROM generations WHERE dbname=? ORDER BY time, seq"
				: "SELECT " GEN_COLS " FROM generations ORDER BY time, seq", &st), s;
	*gens = NULL;
	*n = 0;
	if (rc)
		return rc;
	if (dbname)
		sqlite3_bind_text(st, 1, dbname, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*gens = xrealloc(*gens, cap * sizeof(**gens));
		}
		gen_row(st, &(*gens)[(*n)++], true);
	}
	done(c, st);
	if (s != SQLITE_DONE) {
		catalog_free_gens(*gens, *n);
		*gens = NULL;
		*n = 0;
		return sqerr(c, s);
	}
	return 0;
}

int catalog_list_gens(struct catalog *c, struct cat_gen **gens, size_t *n)
{
	return gens_of(c, NULL, gens, n);
}

int catalog_db_gens(struct catalog *c, const char *dbname, struct cat_gen **gens, size_t *n)
{
	return gens_of(c, dbname, gens, n);
}

int catalog_db_names(struct catalog *c, char ***names, size_t *n)
{
	return column_names_list(c, "SELECT DISTINCT dbname FROM generations ORDER BY dbname", names, n);
}

int catalog_db_other_source(struct catalog *c, const char *dbname, const char *source, char **other)
{
	sqlite3_stmt *st;
	int rc = prep(c, "SELECT source FROM generations WHERE dbname=? AND named AND source != ? LIMIT 1",
		      &st), s;
	*other = NULL;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, dbname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		*other = xstrdup(col_str(st, 0));
	done(c, st);
	return s == SQLITE_ROW || s == SQLITE_DONE ? 0 : sqerr(c, s);
}

void catalog_free_gens(struct cat_gen *gens, size_t n)
{
	for (size_t i = 0; gens && i < n; i++) {
		free(gens[i].label);
		free(gens[i].source);
	}
	free(gens);
}

static int gen_query(struct catalog *c, const char *where, const char *name, uint64_t seq,
		     struct cat_gen *g)
{
	char *sql = xasprintf("SELECT " GEN_COLS " FROM generations %s", where);
	sqlite3_stmt *st;
	int rc = prep(c, sql, &st), s;
	free(sql);
	if (rc)
		return rc;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	else if (strchr(where, '?'))
		sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		gen_row(st, g, false);
	done(c, st);
	if (s == SQLITE_ROW)
		return 0;
	return s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
}

int catalog_gen_by_name(struct catalog *c, const char *name, struct cat_gen *g)
{
	return gen_query(c, "WHERE name=?", name, 0, g);
}

int catalog_gen_by_seq(struct catalog *c, uint64_t seq, struct cat_gen *g)
{
	return gen_query(c, "WHERE seq=?", NULL, seq, g);
}

int catalog_db_newest(struct catalog *c, const char *dbname, struct cat_gen *g)
{
	return gen_query(c, "WHERE dbname=? ORDER BY time DESC, seq DESC LIMIT 1", dbname, 0, g);
}

int catalog_gen_at(struct catalog *c, int64_t time, struct cat_gen *g)
{
	return gen_query(c, "WHERE time <= ? ORDER BY time DESC, seq DESC LIMIT 1", NULL,
			 (uint64_t)time, g);
}

int catalog_table_dirs(struct catalog *c, char ***names, size_t *n)
{
	return column_names_list(c, "SELECT DISTINCT dirname FROM tables ORDER BY dirname", names, n);
}

int catalog_table_versions(struct catalog *c, const char *dirname, struct cat_version **v,
			   size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = prep(c, "SELECT g.seq, t.tidx, g.name, g.time FROM tables t JOIN generations g"
			 " ON g.seq = t.seq WHERE t.dirname = ? ORDER BY g.time, g.seq", &st), s;
	*v = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, dirname, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*v = xrealloc(*v, cap * sizeof(**v));
		}
		struct cat_version *e = &(*v)[(*n)++];
		e->seq = (uint64_t)sqlite3_column_int64(st, 0);
		e->tidx = (uint32_t)sqlite3_column_int64(st, 1);
		snprintf(e->name, sizeof(e->name), "%s", col_str(st, 2));
		e->time = sqlite3_column_int64(st, 3);
	}
	done(c, st);
	if (s != SQLITE_DONE) {
		free(*v);
		*v = NULL;
		*n = 0;
		return sqerr(c, s);
	}
	return 0;
}

int catalog_table_before(struct catalog *c, const char *dirname, uint64_t seq, uint64_t *pseq,
			 uint32_t *ptidx)
{
	sqlite3_stmt *st;
	int rc = prep(c, "SELECT g.seq, t.tidx FROM generations cur, tables t JOIN generations g"
			 " ON g.seq = t.seq WHERE cur.seq = ?2 AND t.dirname = ?1 AND"
			 " (g.time < cur.time OR (g.time = cur.time AND g.seq < cur.seq))"
			 " ORDER BY g.time DESC, g.seq DESC LIMIT 1", &st), s;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, dirname, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		*pseq = (uint64_t)sqlite3_column_int64(st, 0);
		*ptidx = (uint32_t)sqlite3_column_int64(st, 1);
	}
	done(c, st);
	if (s == SQLITE_ROW)
		return 0;
	return s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
}

int catalog_chunk_keys(struct catalog *c, uint64_t seq, uint32_t tidx, uint32_t seqno,
		       struct buf *first, struct buf *last)
{
	sqlite3_stmt *st;
	int rc = prep(c, SQL_CHUNK_KEYS, &st), s;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, tidx);
	sqlite3_bind_int64(st, 3, seqno);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		buf_reset(first);
		buf_reset(last);
		buf_add(first, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
		buf_add(last, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
	}
	done(c, st);
	if (s == SQLITE_ROW)
		return 0;
	return s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
}

int catalog_latest(struct catalog *c, struct cat_gen *g)
{
	/* seq breaks ties: it grows with every backup, names need not sort */
	return gen_query(c, "ORDER BY time DESC, seq DESC LIMIT 1", NULL, 0, g);
}

static int text_query(struct catalog *c, const char *sql, uint64_t a, int64_t b, char **text,
		      size_t *len)
{
	sqlite3_stmt *st;
	int rc = prep(c, sql, &st), s;
	*text = NULL;
	*len = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)a);
	if (b >= 0)
		sqlite3_bind_int64(st, 2, b);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		*len = (size_t)sqlite3_column_bytes(st, 0);
		*text = xstrndup(p ? p : "", *len);
	}
	done(c, st);
	if (s == SQLITE_ROW)
		return 0;
	return s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
}

int catalog_gen_text(struct catalog *c, uint64_t seq, bool json, char **text, size_t *len)
{
	return text_query(c, json ? "SELECT json FROM generations WHERE seq=?"
				  : "SELECT schema_sql FROM generations WHERE seq=?",
			  seq, -1, text, len);
}

#define TABLE_COLS "tidx, dirname, nrows, nchunks, csv_size, length(CAST(header AS BLOB)), length(CAST(schema_sql AS BLOB)), views, jsonl_size, sql_size, length(CAST(pg_schema AS BLOB)), flags, render_id"

static void table_row(sqlite3_stmt *st, struct cat_table *t)
{
	t->tidx = (uint32_t)sqlite3_column_int64(st, 0);
	t->dirname = xstrdup(col_str(st, 1));
	t->nrows = (uint64_t)sqlite3_column_int64(st, 2);
	t->nchunks = (uint64_t)sqlite3_column_int64(st, 3);
	t->csv_size = (uint64_t)sqlite3_column_int64(st, 4);
	t->views = (unsigned)sqlite3_column_int64(st, 7);
	t->jsonl_size = (uint64_t)sqlite3_column_int64(st, 8);
	t->sql_size = (uint64_t)sqlite3_column_int64(st, 9);
	t->header_len = (uint64_t)sqlite3_column_int64(st, 5);
	t->schema_len = (uint64_t)sqlite3_column_int64(st, 6);
	t->pg_len = (uint64_t)sqlite3_column_int64(st, 10);
	t->flags = (unsigned)sqlite3_column_int64(st, 11);
	t->render_id = (uint64_t)sqlite3_column_int64(st, 12);
}

int catalog_list_tables(struct catalog *c, uint64_t seq, struct cat_table **t, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = prep(c, "SELECT " TABLE_COLS " FROM tables WHERE seq=? ORDER BY tidx", &st), s;
	*t = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*t = xrealloc(*t, cap * sizeof(**t));
		}
		table_row(st, &(*t)[(*n)++]);
	}
	done(c, st);
	if (s != SQLITE_DONE) {
		catalog_free_tables(*t, *n);
		*t = NULL;
		*n = 0;
		return sqerr(c, s);
	}
	return 0;
}

void catalog_free_tables(struct cat_table *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		free(t[i].dirname);
	free(t);
}

static int table_one(struct catalog *c, const char *sql, uint64_t seq, const char *dir,
		     uint32_t tidx, struct cat_table *t)
{
	sqlite3_stmt *st;
	int rc = prep(c, sql, &st), s;
	memset(t, 0, sizeof(*t));
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	if (dir)
		sqlite3_bind_text(st, 2, dir, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, tidx);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		table_row(st, t);
	done(c, st);
	if (s == SQLITE_ROW)
		return 0;
	return s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
}

int catalog_table_by_dir(struct catalog *c, uint64_t seq, const char *dirname,
			 struct cat_table *t)
{
	return table_one(c, "SELECT " TABLE_COLS " FROM tables WHERE seq=? AND dirname=?", seq,
			 dirname, 0, t);
}

int catalog_table_by_idx(struct catalog *c, uint64_t seq, uint32_t tidx, struct cat_table *t)
{
	return table_one(c, "SELECT " TABLE_COLS " FROM tables WHERE seq=? AND tidx=?", seq, NULL,
			 tidx, t);
}

int catalog_table_text(struct catalog *c, uint64_t seq, uint32_t tidx, enum cat_text which,
		       char **text, size_t *len)
{
	return text_query(c, which == CAT_TEXT_HEADER ? "SELECT header FROM tables WHERE seq=? AND tidx=?"
			  : which == CAT_TEXT_PG ? "SELECT pg_schema FROM tables WHERE seq=? AND tidx=?"
			  : "SELECT schema_sql FROM tables WHERE seq=? AND tidx=?",
			  seq, tidx, text, len);
}

int catalog_gen_parts(struct catalog *c, uint64_t seq, enum cat_file file, struct cat_part **out,
		      size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = prep(c, "SELECT text, tidx FROM gen_parts WHERE seq=? AND file=? ORDER BY part", &st), s;
	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, file);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		struct cat_part *p = &(*out)[(*n)++];
		const void *txt = sqlite3_column_blob(st, 0);
		p->len = (size_t)sqlite3_column_bytes(st, 0);
		p->text = xstrndup(txt ? txt : "", p->len);
		p->tidx = sqlite3_column_int64(st, 1);
	}
	done(c, st);
	if (s != SQLITE_DONE) {
		catalog_free_parts(*out, *n);
		*out = NULL;
		*n = 0;
		return sqerr(c, s);
	}
	return *n ? 0 : -ENOENT;
}

void catalog_free_parts(struct cat_part *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].text);
	free(p);
}

int catalog_gen_file_size(struct catalog *c, uint64_t seq, enum cat_file file, uint64_t *size)
{
	sqlite3_stmt *st;
	int rc = prep(c, "SELECT count(*), sum(length(CAST(p.text AS BLOB)) + ifnull(t.sql_size, 0))"
			 " FROM gen_parts p LEFT JOIN tables t ON t.seq=p.seq AND t.tidx=p.tidx"
			 " WHERE p.seq=? AND p.file=?", &st), s;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, file);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		rc = sqlite3_column_int64(st, 0) ? 0 : -ENOENT;
		*size = (uint64_t)sqlite3_column_int64(st, 1);
	} else {
		rc = sqerr(c, s);
	}
	done(c, st);
	return rc;
}

int catalog_table_names(struct catalog *c, uint64_t seq, uint32_t tidx, char **name,
			char ***cols, unsigned *ncols, unsigned *flags, unsigned *views)
{
	sqlite3_stmt *st;
	int rc = prep(c, "SELECT name, cols, flags, views FROM tables WHERE seq=? AND tidx=?", &st), s;
	*name = NULL;
	*cols = NULL;
	*ncols = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)tidx);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		const char *p = sqlite3_column_blob(st, 1);
		size_t n = (size_t)sqlite3_column_bytes(st, 1), k = 0;
		*name = xstrdup(col_str(st, 0));
		*flags = (unsigned)sqlite3_column_int64(st, 2);
		*views = (unsigned)sqlite3_column_int64(st, 3);
		for (size_t i = 0; i < n; i++)
			k += p[i] == 0;
		*cols = xcalloc(k ? k : 1, sizeof(char *));
		for (size_t i = 0; i < n && *ncols < k; i += strnlen(p + i, n - i) + 1)
			(*cols)[(*ncols)++] = xstrndup(p + i, strnlen(p + i, n - i));
		rc = 0;
	} else {
		rc = s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
	}
	done(c, st);
	return rc;
}

static void chunk_row(sqlite3_stmt *st, struct cat_chunk *ch, bool names)
{
	memset(ch, 0, sizeof(*ch));
	ch->seqno = (uint32_t)sqlite3_column_int64(st, 0);
	if (names)
		ch->fname = xstrdup(col_str(st, 1));
	if (sqlite3_column_bytes(st, 2) == 16)
		memcpy(ch->e.id.b, sqlite3_column_blob(st, 2), 16);
	ch->e.offset = (uint64_t)sqlite3_column_int64(st, 3);
	ch->e.clen = (uint32_t)sqlite3_column_int64(st, 4);
	ch->e.ulen = (uint32_t)sqlite3_column_int64(st, 5);
	ch->e.nrows = (uint64_t)sqlite3_column_int64(st, 6);
	ch->e.csv_len = (uint64_t)sqlite3_column_int64(st, 7);
	snprintf(ch->pack, sizeof(ch->pack), "%s", col_str(st, 8));
	ch->csv_off = (uint64_t)sqlite3_column_int64(st, 9);
	ch->jsonl_off = (uint64_t)sqlite3_column_int64(st, 10);
	ch->jsonl_len = (uint64_t)sqlite3_column_int64(st, 11);
	ch->sql_off = (uint64_t)sqlite3_column_int64(st, 12);
	ch->sql_len = (uint64_t)sqlite3_column_int64(st, 13);
}

int catalog_table_chunks(struct catalog *c, uint64_t seq, uint32_t tidx, bool with_names,
			 struct cat_chunk **out, size_t *n)
{
	return catalog_table_chunk_range(c, seq, tidx, 0, UINT32_MAX, with_names, out, n);
}

void catalog_free_chunks(struct cat_chunk *ch, size_t n)
{
	for (size_t i = 0; ch && i < n; i++)
		free(ch[i].fname);
	free(ch);
}

int catalog_count_gens_using(struct catalog *c, const struct chunk_id *ids, size_t n,
			     uint64_t *count)
{
	sqlite3_stmt *st = NULL;
	int rc = exec(c, "CREATE TEMP TABLE IF NOT EXISTS using_ids(id BLOB PRIMARY KEY) WITHOUT ROWID;"
			 "DELETE FROM temp.using_ids;");
	if (!rc)
		rc = prep(c, "INSERT OR IGNORE INTO temp.using_ids VALUES(?)", &st);
	for (size_t i = 0; i < n && !rc; i++) {
		sqlite3_bind_blob(st, 1, ids[i].b, 16, SQLITE_STATIC);
		rc = run(c, st);
	}
	done(c, st);
	if (!rc)
		rc = one_int(c, "SELECT count(DISTINCT tn.seq) FROM nodes n CROSS JOIN table_nodes tn"
			     " ON tn.node_id = n.node_id WHERE n.chunk_id IN temp.using_ids", count);
	if (!rc)
		rc = exec(c, "DELETE FROM temp.using_ids;");
	return rc;
}

static void file_bind(sqlite3_stmt *st, const struct cat_row_file *f)
{
	sqlite3_bind_blob(st, 1, f->id.b, 16, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)f->render);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)f->jsonl_len);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)f->sql_len);
}

int catalog_file_holders(struct catalog *c, const struct cat_row_file *f, bool where, bool count,
			 struct cat_holders *h)
{
	sqlite3_stmt *st;
	int rc = 0, s;
	memset(h, 0, sizeof(*h));
	if (where) {
		/* the newest holder: where to read it */
		rc = prep(c, SQL_FILE_NEWEST, &st);
		if (rc)
			return rc;
		file_bind(st, f);
		s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			h->seq = (uint64_t)sqlite3_column_int64(st, 0);
			h->tidx = (uint32_t)sqlite3_column_int64(st, 1);
			h->seqno = (uint32_t)sqlite3_column_int64(st, 2);
		} else if (s != SQLITE_DONE) {
			rc = sqerr(c, s);
		}
		done(c, st);
		if (rc || s == SQLITE_DONE || !count) {
			h->count = !rc && s == SQLITE_ROW;
			return rc;
		}
	}
	rc = prep(c, "SELECT holders, first_time FROM row_files WHERE chunk_id=? AND render_id=?"
		     " AND jsonl_len=? AND sql_len=?", &st);
	if (rc)
		return rc;
	file_bind(st, f);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		h->count = (uint64_t)sqlite3_column_int64(st, 0);
		h->first_time = sqlite3_column_int64(st, 1);
	} else {
		rc = s == SQLITE_DONE ? -EUCLEAN : sqerr(c, s); /* a holder but no row_files row */
	}
	done(c, st);
	return rc;
}

/* One pack entry of a chunk by the query sql (?1 the id, ?2 bound to nth when it is >= 0). */
static int entry_query(struct catalog *c, const char *sql, const struct chunk_id *id, int64_t nth,
		       struct pack_entry *e, char pack[33])
{
	sqlite3_stmt *st;
	int rc = prep(c, sql, &st), s;
	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, id->b, 16, SQLITE_STATIC);
	if (nth >= 0)
		sqlite3_bind_int64(st, 2, nth);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		e->id = *id;
		e->offset = (uint64_t)sqlite3_column_int64(st, 0);
		e->clen = (uint32_t)sqlite3_column_int64(st, 1);
		e->ulen = (uint32_t)sqlite3_column_int64(st, 2);
		e->nrows = (uint64_t)sqlite3_column_int64(st, 3);
		e->csv_len = (uint64_t)sqlite3_column_int64(st, 4);
		snprintf(pack, 33, "%s", col_str(st, 5));
	}
	done(c, st);
	if (s == SQLITE_ROW)
		return 0;
	return s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
}

int catalog_chunk_where(struct catalog *c, const struct chunk_id *id, struct pack_entry *e,
			char pack[33])
{
	return entry_query(c, "SELECT c.offset, c.clen, c.ulen, c.nrows, c.csv_len, p.name FROM chunks c"
			      " JOIN packs p ON p.pack_id = c.pack_id WHERE c.id=?1", id, -1, e, pack);
}

int catalog_chunk_copy(struct catalog *c, const struct chunk_id *id, unsigned nth,
		       struct pack_entry *e, char pack[33])
{
	return entry_query(c, "SELECT cc.offset, cc.clen, cc.ulen, cc.nrows, cc.csv_len, p.name"
			      " FROM chunk_copies cc JOIN packs p ON p.pack_id = cc.pack_id WHERE cc.id=?1"
			      " ORDER BY p.name LIMIT 1 OFFSET ?2", id, nth, e, pack);
}

static int chunk_one(struct catalog *c, const char *sql, uint64_t seq, uint32_t tidx,
		     const char *fname, uint32_t seqno, struct cat_chunk *ch)
{
	sqlite3_stmt *st;
	int rc = prep(c, sql, &st), s;
	memset(ch, 0, sizeof(*ch));
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, tidx);
	if (fname) {
		sqlite3_bind_text(st, 3, fname, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, name_hash(fname));
	} else
		sqlite3_bind_int64(st, 3, seqno);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		chunk_row(st, ch, false);
	done(c, st);
	if (s == SQLITE_ROW)
		return 0;
	return s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
}

int catalog_chunk_by_name(struct catalog *c, uint64_t seq, uint32_t tidx, const char *fname,
			  struct cat_chunk *ch)
{
	return chunk_one(c, SQL_CHUNK_BY_NAME, seq, tidx, fname, 0, ch);
}

int catalog_chunk_by_seqno(struct catalog *c, uint64_t seq, uint32_t tidx, uint32_t seqno,
			   struct cat_chunk *ch)
{
	return chunk_one(c, SQL_CHUNK_BY_SEQNO, seq, tidx, NULL, seqno, ch);
}

int catalog_meta_get(struct catalog *c, const char *key, char **value)
{
	sqlite3_stmt *st;
	int rc = prep(c, "SELECT value FROM meta WHERE key=?", &st), s;
	*value = NULL;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW && sqlite3_column_text(st, 0))
		*value = xstrdup((const char *)sqlite3_column_text(st, 0));
	else if (s == SQLITE_ROW || s == SQLITE_DONE)
		rc = -ENOENT;
	else
		rc = sqerr(c, s);
	done(c, st);
	return rc;
}

int catalog_meta_put(struct catalog *c, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int rc = prep(c, "INSERT OR REPLACE INTO meta VALUES(?, ?)", &st), s;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	done(c, st);
	return s == SQLITE_DONE ? 0 : sqerr(c, s);
}

/* ---- page maps (strata/pagemap.h): kept for each database's newest and newest full generation ---- */

int catalog_pagemap_put(struct catalog *c, const char *gen, const char *gen_id,
			const char *dbname, bool full, const uint8_t *data, size_t len)
{
	sqlite3_stmt *st;
	int rc = prep(c, "INSERT OR REPLACE INTO pagemaps VALUES(?, ?, ?, ?, ?)", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, gen, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, gen_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, dbname, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, full);
	sqlite3_bind_blob64(st, 5, data, len, SQLITE_STATIC);
	rc = run(c, st);
	done(c, st);
	if (rc)
		return rc;
	/* the others of this database, except its newest full one; and those of pruned generations */
	rc = prep(c, "DELETE FROM pagemaps WHERE gen NOT IN (SELECT name FROM generations) OR"
		  " (dbname = ?1 AND gen != ?2 AND gen != coalesce((SELECT p.gen FROM pagemaps p"
		  " JOIN generations g ON g.name = p.gen WHERE p.dbname = ?1 AND p.full"
		  " ORDER BY g.seq DESC LIMIT 1), ''))", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, dbname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, gen, -1, SQLITE_STATIC);
	rc = run(c, st);
	done(c, st);
	return rc;
}

int catalog_pagemap_get(struct catalog *c, const char *dbname, const char *gen, bool full_only,
			char out_gen[64], char out_id[33], uint8_t **data, size_t *len)
{
	sqlite3_stmt *st;
	/* only a map written for the generation of that name the catalog has now */
	int rc = prep(c, "SELECT p.gen, p.data, p.gen_id FROM pagemaps p JOIN generations g"
		      " ON g.name = p.gen AND g.id = p.gen_id"
		      " WHERE p.dbname = ?1 AND (?2 IS NULL OR p.gen = ?2) AND (NOT ?3 OR p.full)"
		      " ORDER BY g.seq DESC LIMIT 1", &st), s;
	*data = NULL;
	*len = 0;
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, dbname, -1, SQLITE_STATIC);
	if (gen)
		sqlite3_bind_text(st, 2, gen, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, full_only);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		snprintf(out_gen, 64, "%s", col_str(st, 0));
		snprintf(out_id, 33, "%s", col_str(st, 2));
		*len = (size_t)sqlite3_column_bytes(st, 1);
		*data = xmalloc(*len ? *len : 1);
		if (*len)
			memcpy(*data, sqlite3_column_blob(st, 1), *len);
	}
	done(c, st);
	return s == SQLITE_ROW ? 0 : s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
}

/* ---- segment lists (strata/pagemap.h, struct pagemap_segs) ---- */

int catalog_segmap_put(struct catalog *c, const uint8_t ident[16], const struct chunk_id *id,
		       const uint8_t *data, size_t len)
{
	sqlite3_stmt *st;
	int rc = prep(c, "INSERT OR REPLACE INTO segmaps VALUES(?, ?, ?)", &st);
	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, ident, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, id->b, 16, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 3, data, len, SQLITE_STATIC);
	rc = run(c, st);
	done(c, st);
	return rc;
}

int catalog_segmap_get(struct catalog *c, const uint8_t ident[16], const struct chunk_id *id,
		       uint8_t **data, size_t *len)
{
	sqlite3_stmt *st;
	int rc = prep(c, "SELECT data FROM segmaps WHERE ident = ? AND chunk_id = ?", &st), s;
	*data = NULL;
	*len = 0;
	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, ident, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, id->b, 16, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		*data = (uint8_t *)xmemdup(sqlite3_column_blob(st, 0), *len);
	}
	done(c, st);
	return s == SQLITE_ROW ? 0 : s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
}

/* ---- rows/ groups ---- */

#define GROUP_COLS "grp, first_seqno, nchunks, name"

static void group_row(sqlite3_stmt *st, struct cat_group *g)
{
	g->grp = (uint32_t)sqlite3_column_int64(st, 0);
	g->first = (uint32_t)sqlite3_column_int64(st, 1);
	g->n = (uint32_t)sqlite3_column_int64(st, 2);
	g->name = xstrdup(col_str(st, 3));
}

int catalog_table_groups(struct catalog *c, uint64_t seq, uint32_t tidx, struct cat_group **out,
			 size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = prep(c, "SELECT " GROUP_COLS " FROM row_groups WHERE seq=? AND tidx=? ORDER BY grp",
		      &st), s;
	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, tidx);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		group_row(st, &(*out)[(*n)++]);
	}
	done(c, st);
	if (s != SQLITE_DONE) {
		catalog_free_groups(*out, *n);
		*out = NULL;
		*n = 0;
		return sqerr(c, s);
	}
	return 0;
}

void catalog_free_groups(struct cat_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].name);
	free(g);
}

static int group_one(struct catalog *c, const char *where, uint64_t seq, uint32_t tidx,
		     const char *name, uint32_t grp, struct cat_group *g)
{
	char *sql = xasprintf("SELECT " GROUP_COLS " FROM row_groups %s", where);
	sqlite3_stmt *st;
	int rc = prep(c, sql, &st), s;
	free(sql);
	memset(g, 0, sizeof(*g));
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, tidx);
	if (name)
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 3, grp);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW)
		group_row(st, g);
	done(c, st);
	if (s == SQLITE_ROW)
		return 0;
	return s == SQLITE_DONE ? -ENOENT : sqerr(c, s);
}

int catalog_group_by_name(struct catalog *c, uint64_t seq, uint32_t tidx, const char *name,
			  struct cat_group *g)
{
	return group_one(c, "WHERE seq=? AND tidx=? AND name=?", seq, tidx, name, 0, g);
}

int catalog_group_by_idx(struct catalog *c, uint64_t seq, uint32_t tidx, uint32_t grp,
			 struct cat_group *g)
{
	return group_one(c, "WHERE seq=? AND tidx=? AND grp=?", seq, tidx, NULL, grp, g);
}

int catalog_table_chunk_range(struct catalog *c, uint64_t seq, uint32_t tidx, uint32_t first,
			      uint32_t count, bool with_names, struct cat_chunk **out, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = prep(c, SQL_CHUNK_RANGE, &st), s;
	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 2, tidx);
	sqlite3_bind_int64(st, 3, first);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)first + count);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		chunk_row(st, &(*out)[(*n)++], with_names);
	}
	done(c, st);
	if (s != SQLITE_DONE) {
		catalog_free_chunks(*out, *n);
		*out = NULL;
		*n = 0;
		return sqerr(c, s);
	}
	return 0;
}
