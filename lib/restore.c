/*
 * restore.c - see restore.h.
 *
 * ORDER.  The steps and their order are dumpplan.c's, shared with
 * dump.sql; here each one is run against the new database.
 *
 * ROWS.  Each chunk's typed rows are rebuilt and checked against the chunk
 * id, then inserted with their rowid (a rowid table) and every stored
 * column (the declared ones: generated columns are not stored and compute
 * themselves), each value bound with its storage class.
 *
 * SPEED.  The new file is private until it is linked into place, so it is
 * written without a journal, without syncs and with an exclusive lock,
 * then fsynced once.
 */
#include "strata/restore.h"
#include "strata/catalog.h"
#include "strata/dumpplan.h"
#include "strata/idxnode.h"
#include "strata/manifest.h"
#include "strata/reader.h"
#include "strata/repo.h"
#include "strata/rowcodec.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct restore {
	const struct restore_opts *o;
	struct repo repo;
	struct catalog cat;
	struct reader *rd;
	struct manifest m;
	struct cat_gen g;
	sqlite3 *db;
	char **err;
	uint64_t rows, total_rows;
	struct timespec last_progress;
};

static void set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(char **err, const char *fmt, ...)
{
	va_list ap;
	if (*err)
		return;
	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
}

/* Whether --table selected this table (all when none given). */
static bool selected(const struct restore *r, const char *name)
{
	if (!r->o->ntables)
		return true;
	for (size_t i = 0; i < r->o->ntables; i++)
		if (!strcmp(r->o->tables[i], name))
			return true;
	return false;
}

/* A shadow table of a selected virtual table ("docs_data" of "docs") is selected with it. */
static bool table_wanted(const struct restore *r, const struct manifest_table *t)
{
	if (selected(r, t->name) || (t->flags & TABLE_INTERNAL))
		return true;
	if (!(t->flags & TABLE_SHADOW))
		return false;
	for (size_t i = 0; i < r->o->ntables; i++) {
		size_t n = strlen(r->o->tables[i]);
		if (!strncmp(t->name, r->o->tables[i], n) && t->name[n] == '_')
			return true;
	}
	return false;
}

static bool object_wanted(const struct restore *r, const struct manifest_object *ob)
{
	if (!r->o->ntables)
		return true;
	if (!strcmp(ob->type, "view"))
		return false; /* a view may read any table */
	if (!strcmp(ob->type, "table")) {
		for (size_t i = 0; i < r->m.ntables; i++)
			if (!strcmp(r->m.tables[i].name, ob->name))
				return table_wanted(r, &r->m.tables[i]);
		return selected(r, ob->name); /* a virtual table: no rows of its own */
	}
	return selected(r, ob->tbl_name);
}

static int exec(struct restore *r, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(r->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		set_err(r->err, "cannot restore %s: %s", what, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static void progress(struct restore *r, const char *table, bool force)
{
	struct timespec now;
	if (!r->o->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && now.tv_sec == r->last_progress.tv_sec)
		return;
	r->last_progress = now;
	fprintf(stderr, "\r\033[Krestoring %s: %llu of %llu rows (%s)",
		r->g.name, (unsigned long long)r->rows, (unsigned long long)r->total_rows, table);
}

/* ---- schema ---- */

static bool have_table(struct restore *r, const char *name)
{
	sqlite3_stmt *st;
	bool have = false;
	if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM sqlite_schema WHERE type='table' AND name=?1",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		have = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return have;
}

/* ---- rows ---- */

/*
 * The chunks of a table are decoded (read, checked, typed rows rebuilt) by
 * a thread of their own, PIPE_DEPTH chunks ahead of the inserts, so both
 * run at once on two cores: they take about the same time.
 */
#define PIPE_DEPTH 4

struct pipe_slot {
	struct buf typed;
	int rc;
	bool ready;
};

struct pipe {
	struct restore *r;
	uint32_t tidx;
	const struct cat_chunk *ch;
	size_t nch;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pipe_slot slot[PIPE_DEPTH];
	size_t consumed; /* chunks the inserter is done with */
	bool stop;
};

static void *pipe_main(void *arg)
{
	struct pipe *p = arg;
	for (size_t k = 0; k < p->nch; k++) {
		struct pipe_slot *s = &p->slot[k % PIPE_DEPTH];
		pthread_mutex_lock(&p->mu);
		while (!p->stop && k >= p->consumed + PIPE_DEPTH)
			pthread_cond_wait(&p->cv, &p->mu);
		bool stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		buf_reset(&s->typed);
		int rc = reader_chunk_typed(p->r->rd, p->r->g.seq, p->tidx, &p->ch[k], &s->typed);
		pthread_mutex_lock(&p->mu);
		s->rc = rc;
		s->ready = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (rc)
			break;
	}
	return NULL;
}

/* The typed rows of chunk k, once decoded; 0 or the decoder's error. */
static int pipe_take(struct pipe *p, size_t k, struct buf **typed)
{
	struct pipe_slot *s = &p->slot[k % PIPE_DEPTH];
	pthread_mutex_lock(&p->mu);
	while (!s->ready)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	*typed = &s->typed;
	return s->rc;
}

/* The inserter is done with chunk k: its slot may take chunk k + PIPE_DEPTH. */
static void pipe_done(struct pipe *p, size_t k)
{
	pthread_mutex_lock(&p->mu);
	p->slot[k % PIPE_DEPTH].ready = false;
	p->consumed = k + 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static int bind_value(sqlite3_stmt *st, int i, const struct value *v)
{
	switch (v->type) {
	case VAL_NULL: return sqlite3_bind_null(st, i);
	case VAL_INT: return sqlite3_bind_int64(st, i, v->i);
	case VAL_REAL: return sqlite3_bind_double(st, i, v->r);
	case VAL_TEXT: return sqlite3_bind_text(st, i, v->n ? (const char *)v->p : "", (int)v->n,
						SQLITE_STATIC);
	default: return sqlite3_bind_blob(st, i, v->n ? (const void *)v->p : "", (int)v->n,
					  SQLITE_STATIC);
	}
}

/* The name that reaches a table's rowid: the first of rowid, _rowid_, oid no column shadows. */
static const char *rowid_name(const struct manifest_table *t)
{
	static const char *const names[] = { "rowid", "_rowid_", "oid" };
	for (size_t k = 0; k < 3; k++) {
		bool shadowed = false;
		for (unsigned c = 0; c < t->ncols && !shadowed; c++)
			shadowed = !sqlite3_stricmp(t->cols[c], names[k]);
		if (!shadowed)
			return names[k];
	}
	return NULL;
}

/* Rows of an internal table that belong to a table not restored (with --table) are left out. */
static bool row_wanted(const struct restore *r, const struct manifest_table *t,
		       const struct value *cols)
{
	if (!r->o->ntables || !(t->flags & TABLE_INTERNAL) || t->ncols == 0 ||
	    cols[0].type != VAL_TEXT)
		return true;
	char *name = xstrndup((const char *)cols[0].p, cols[0].n);
	bool in = false;
	for (size_t i = 0; i < r->m.ntables && !in; i++)
		in = !strcmp(r->m.tables[i].name, name) && table_wanted(r, &r->m.tables[i]) &&
		     !(r->m.tables[i].flags & TABLE_INTERNAL);
	free(name);
	return in;
}

/* Insert the rows of one chunk's typed rows with st (prepared by load_table). */
static int insert_chunk(struct restore *r, const struct manifest_table *t, sqlite3_stmt *st,
			const struct buf *typed, struct value *vals)
{
	bool rowid = !(t->flags & TABLE_WITHOUT_ROWID);
	struct chunk_shape shape;
	struct rd in;

	rd_init(&in, typed->data, typed->len);
	if (chunk_shape_decode(&in, &shape) || shape.ncols != t->ncols ||
	    shape.nhidden != (rowid ? 1u : 0u)) {
		set_err(r->err, "table '%s': a chunk does not have the table's columns; run 'strata verify %s'",
			t->name, r->repo.path);
		return -EUCLEAN;
	}
	while (rd_left(&in)) {
		unsigned nv = shape.nhidden + shape.ncols;
		for (unsigned v = 0; v < nv; v++)
			if (value_decode(&in, &vals[v])) {
				set_err(r->err, "table '%s': a chunk is malformed; run 'strata verify %s'",
					t->name, r->repo.path);
				return -EUCLEAN;
			}
		if (!row_wanted(r, t, vals + shape.nhidden))
			continue;
		for (unsigned v = 0; v < nv; v++)
			bind_value(st, (int)v + 1, &vals[v]);
		int s = sqlite3_step(st);
		sqlite3_reset(st);
		if (s != SQLITE_DONE) {
			set_err(r->err, "cannot restore a row of table '%s': %s", t->name,
				sqlite3_errmsg(r->db));
			return -EIO;
		}
		r->rows++;
		if ((r->rows & 4095) == 0)
			progress(r, t->name, false);
	}
	return 0;
}

static int load_table(struct restore *r, uint32_t tidx)
{
	const struct manifest_table *t = &r->m.tables[tidx];
	bool rowid = !(t->flags & TABLE_WITHOUT_ROWID);
	const char *rid = rowid ? rowid_name(t) : NULL;
	struct buf sql = BUF_INIT;
	struct cat_chunk *ch = NULL;
	struct value *vals = xcalloc(t->ncols + 1, sizeof(*vals));
	sqlite3_stmt *st = NULL;
	size_t nch = 0;
	char *qt = sql_ident(t->name);
	int rc;

	if (rowid && !rid) {
		set_err(r->err, "cannot restore table '%s': its columns shadow rowid, _rowid_ and oid", t->name);
		rc = -EINVAL;
		goto out;
	}
	buf_addf(&sql, "INSERT INTO main.%s(", qt);
	if (rid)
		buf_adds(&sql, rid);
	for (unsigned c = 0; c < t->ncols; c++) {
		char *qc = sql_ident(t->cols[c]);
		buf_addf(&sql, "%s%s", c || rid ? "," : "", qc);
		free(qc);
	}
	buf_adds(&sql, ") VALUES(");
	for (unsigned c = 0; c < t->ncols + (rid ? 1 : 0); c++)
		buf_adds(&sql, c ? ",?" : "?");
	buf_adds(&sql, ")");
	if (sqlite3_prepare_v2(r->db, (const char *)sql.data, -1, &st, NULL) != SQLITE_OK) {
		set_err(r->err, "cannot restore table '%s': %s", t->name, sqlite3_errmsg(r->db));
		rc = -EIO;
		goto out;
	}
	rc = catalog_table_chunks(&r->cat, r->g.seq, tidx, false, &ch, &nch);
	if (!rc && nch != t->nchunks)
		rc = -EUCLEAN;
	if (rc) {
		set_err(r->err, "the catalog does not hold every chunk of table '%s': restore missing packs from a copy of the repository, then run 'strata index --rebuild %s'",
			t->name, r->repo.path);
		goto out;
	}
	struct pipe pp = { .r = r, .tidx = tidx, .ch = ch, .nch = nch };
	pthread_t th;
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.cv, NULL);
	if (pthread_create(&th, NULL, pipe_main, &pp) != 0) {
		set_err(r->err, "cannot start a thread: %s", strerror(EAGAIN));
		rc = -EAGAIN;
		goto out;
	}
	for (size_t k = 0; !rc && k < nch; k++) {
		struct buf *typed;
		if (pipe_take(&pp, k, &typed)) {
			set_err(r->err, "table '%s' cannot be read: its data is damaged (said above); run 'strata verify %s'",
				t->name, r->repo.path);
			rc = -EBADMSG;
			break;
		}
		rc = insert_chunk(r, t, st, typed, vals);
		pipe_done(&pp, k);
	}
	pthread_mutex_lock(&pp.mu);
	pp.stop = true;
	pthread_cond_broadcast(&pp.cv);
	pthread_mutex_unlock(&pp.mu);
	pthread_join(th, NULL);
	for (size_t i = 0; i < PIPE_DEPTH; i++)
		buf_release(&pp.slot[i].typed);
	pthread_mutex_destroy(&pp.mu);
	pthread_cond_destroy(&pp.cv);
out:
	sqlite3_finalize(st);
	catalog_free_chunks(ch, nch);
	buf_release(&sql);
	free(vals);
	free(qt);
	return rc;
}

/* ---- the generation ---- */

static int open_generation(struct restore *r, const char *gen)
{
	int rc = !strcmp(gen, "latest") ? catalog_latest(&r->cat, &r->g)
					 : catalog_gen_by_name(&r->cat, gen, &r->g);
	if (rc == -ENOENT) {
		set_err(r->err, !strcmp(gen, "latest")
			? "repository '%s' has no generation yet%s"
			: "repository '%s' has no generation '%s'; 'strata ls %s' lists them",
			r->repo.path, !strcmp(gen, "latest") ? "" : gen, r->repo.path);
		return rc;
	}
	if (rc) {
		set_err(r->err, "cannot read the catalog of '%s': %s; run 'strata index --rebuild %s'",
			r->repo.path, strerror(-rc), r->repo.path);
		return rc;
	}
	/* its header and database section: the rows come through the catalog, so no index node is read */
	rc = manifest_load(&r->repo, r->g.name, NULL, &r->m, NULL);
	if (rc)
		set_err(r->err, "cannot read the manifest 'generations/%s.gen' of '%s': %s; run 'strata verify %s'",
			r->g.name, r->repo.path, rc == -EBADMSG ? "checksum mismatch" : strerror(-rc),
			r->repo.path);
	return rc;
}

static struct manifest_object *add_object(struct restore *r, size_t *cap, const char *sql,
					  size_t len, const char *name, const char *tbl)
{
	if (r->m.nobjects == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		r->m.objects = xrealloc(r->m.objects, *cap * sizeof(*r->m.objects));
	}
	struct manifest_object *ob = &r->m.objects[r->m.nobjects++];
	ob->sql = xstrndup(sql, len);
	ob->type = xstrdup(!sqlite3_strnicmp(sql, "CREATE TABLE", 12) ||
			   !sqlite3_strnicmp(sql, "CREATE VIRTUAL", 14) ? "table"
			   : !sqlite3_strnicmp(sql, "CREATE VIEW", 11) ? "view"
			   : !sqlite3_strnicmp(sql, "CREATE TRIGGER", 14) ||
			     !sqlite3_strnicmp(sql, "CREATE TEMP", 11) ? "trigger" : "index");
	ob->name = xstrdup(name);
	ob->tbl_name = xstrdup(tbl);
	return ob;
}

/*
 * Call fn for each statement of a schema text ("...;\n" after each), as
 * SQLite's parser splits them (sqlite3_complete), without the ';'.
 */
static void each_statement(const char *text, void (*fn)(void *arg, const char *sql, size_t len),
			   void *arg)
{
	const char *start = text;
	for (const char *p = text; p && *p; p++) {
		if (*p != ';')
			continue;
		char *prefix = xstrndup(start, (size_t)(p - start + 1));
		bool done = sqlite3_complete(prefix);
		free(prefix);
		if (!done)
			continue;
		while (*start == '\n' || *start == ' ')
			start++;
		if (p > start)
			fn(arg, start, (size_t)(p - start));
		start = p + 1;
	}
}

struct v1_split {
	struct restore *r;
	size_t *cap;
	const char *table; /* NULL: the generation's schema */
	bool first;
};

static void v1_statement(void *arg, const char *sql, size_t len)
{
	struct v1_split *v = arg;
	if (v->table) {
		/* a table's schema: its CREATE TABLE, then its indexes and triggers */
		add_object(v->r, v->cap, sql, len, v->first ? v->table : "", v->table);
		v->first = false;
	} else if (!sqlite3_strnicmp(sql, "CREATE VIRTUAL", 14) ||
		   !sqlite3_strnicmp(sql, "CREATE VIEW", 11)) {
		add_object(v->r, v->cap, sql, len, "", "");
	}
}

/*
 * A generation made by an older strata (manifest version 1) did not record
 * SQLite's own tables, the settings or the order of objects: its objects
 * are rebuilt from every table's schema text (CREATE TABLE, indexes,
 * triggers) and the virtual tables and views of the generation's, and the
 * result says what is missing.
 */
static void objects_from_v1(struct restore *r, struct restore_result *res)
{
	size_t cap = 0;
	struct v1_split v = { r, &cap, NULL, false };
	snprintf(res->lacks, sizeof(res->lacks),
		 "sqlite_sequence, sqlite_stat1, user_version, application_id and the order of schema objects");
	for (size_t i = 0; i < r->m.ntables; i++) {
		v.table = r->m.tables[i].name;
		v.first = true;
		each_statement(r->m.tables[i].schema, v1_statement, &v);
	}
	v.table = NULL;
	each_statement(r->m.schema, v1_statement, &v);
}


/* ---- the steps (dumpplan.h) ---- */

static int step_sql(void *arg, enum plan_step step, const char *sql, const char *name,
		    const struct manifest_object *ob)
{
	struct restore *r = arg;
	char what[300];
	int rc;
	if (step == PLAN_SEQ_CLEAR && !have_table(r, name))
		return 0; /* no AUTOINCREMENT table restored (--table) */
	snprintf(what, sizeof(what), step == PLAN_TABLE || step == PLAN_VTAB || step == PLAN_STAT
		 ? "table '%.200s'" : *name ? "'%.200s'" : "the database", name);
	rc = exec(r, ob ? ob->sql : sql, what); /* an object's own text, stored as it was */
	if (!rc && step == PLAN_STAT && !have_table(r, name)) {
		set_err(r->err, "cannot restore table '%s': this SQLite (%s) is built without it (SQLITE_ENABLE_STAT4); restore with --table for the other tables",
			name, sqlite3_libversion());
		rc = -ENOTSUP;
	}
	return rc;
}

static int step_rows(void *arg, uint32_t tidx)
{
	struct restore *r = arg;
	const struct manifest_table *t = &r->m.tables[tidx];
	if ((t->flags & TABLE_INTERNAL) && !have_table(r, t->name))
		return 0; /* sqlite_sequence without an AUTOINCREMENT table (--table) */
	return load_table(r, tidx);
}

static bool step_object_wanted(void *arg, const struct manifest_object *ob)
{
	return object_wanted(arg, ob);
}

static bool step_table_wanted(void *arg, const struct manifest_table *t)
{
	return table_wanted(arg, t);
}

static int build(struct restore *r)
{
	static const struct plan_ops ops = {
		.sql = step_sql, .rows = step_rows,
		.object_wanted = step_object_wanted, .table_wanted = step_table_wanted,
	};
	/* the new file is private until linked into place: no journal, no syncs */
	int rc = exec(r, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
		      " PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-32768", "the database");
	return rc ? rc : dump_plan(&r->m, &ops, r);
}

/* Restore into tmp (an empty file); the caller links it into place. */
static int restore_into(struct restore *r, const char *tmp, struct restore_result *res)
{
	/* one thread uses the connection: no SQLite mutexes */
	int rc = sqlite3_open_v2(tmp, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		set_err(r->err, "cannot create the database '%s': %s", tmp, sqlite3_errstr(rc));
		return -EIO;
	}
	if (r->m.version < 2)
		objects_from_v1(r, res);
	for (size_t i = 0; i < r->m.ntables; i++)
		if (table_wanted(r, &r->m.tables[i])) {
			r->total_rows += r->m.tables[i].nrows;
			res->tables += !(r->m.tables[i].flags & TABLE_INTERNAL);
		}
	rc = build(r);
	progress(r, "done", true);
	if (r->o->progress)
		fprintf(stderr, "\r\033[K");
	if (sqlite3_close(r->db) != SQLITE_OK && !rc) {
		set_err(r->err, "cannot close the new database '%s'", tmp);
		rc = -EIO;
	}
	r->db = NULL;
	res->rows = r->rows;
	return rc;
}

int restore_run(const char *repo, const char *gen, const char *to, const struct restore_opts *o,
		struct restore_result *res, char **err)
{
	struct restore r = { .o = o, .err = err };
	struct timespec t0, t1;
	struct stat st;
	char *tmp = NULL, *dir = NULL;
	int rc, fd = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(res, 0, sizeof(*res));
	*err = NULL;
	if (lstat(to, &st) == 0) {
		set_err(err, "'%s' already exists; restore into a new file (strata restore never overwrites)", to);
		return -EEXIST;
	}
	rc = repo_open(&r.repo, repo);
	if (rc) {
		*err = repo_open_message(repo, &r.repo, rc);
		return rc;
	}
	rc = catalog_open(&r.cat, r.repo.catalog, true);
	if (rc) {
		set_err(err, "cannot read the catalog of '%s': %s; run 'strata index --rebuild %s'",
			repo, rc == -EPROTONOSUPPORT ? "it has another schema version" : strerror(-rc),
			repo);
		goto out;
	}
	rc = open_generation(&r, gen);
	if (rc)
		goto out;
	snprintf(res->name, sizeof(res->name), "%s", r.g.name);
	for (size_t i = 0; i < o->ntables; i++) {
		bool found = false;
		for (size_t k = 0; k < r.m.ntables && !found; k++)
			found = !strcmp(r.m.tables[k].name, o->tables[i]);
		for (size_t k = 0; k < r.m.nobjects && !found; k++)
			found = !strcmp(r.m.objects[k].type, "table") &&
				!strcmp(r.m.objects[k].name, o->tables[i]);
		if (!found) {
			set_err(err, "generation '%s' has no table '%s'; 'strata ls %s %s' lists its tables",
				r.g.name, o->tables[i], repo, r.g.name);
			rc = -ENOENT;
			goto out;
		}
	}
	r.rd = reader_new(&r.repo, 16u << 20);
	/* a temporary file next to the target, linked into place when complete */
	char *copy = xstrdup(to);
	dir = xstrdup(dirname(copy));
	free(copy);
	tmp = xasprintf("%s/.strata-restore.XXXXXX", dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		set_err(err, "cannot create a file in '%s': %s", dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	rc = restore_into(&r, tmp, res);
	if (!rc && fsync(fd) < 0) {
		rc = -errno;
		set_err(err, "cannot write '%s': %s", tmp, strerror(errno));
	}
	if (!rc && link(tmp, to) < 0) {
		rc = -errno;
		set_err(err, errno == EEXIST ? "'%s' appeared while restoring; it was left as it is"
					     : "cannot create '%s': %s", to, strerror(errno));
	}
	if (!rc)
		fsync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	reader_free(r.rd);
	catalog_close(&r.cat);
	manifest_release(&r.m);
	repo_close(&r.repo);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return rc;
}
