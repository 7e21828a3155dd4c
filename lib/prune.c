/*
 * prune.c - see prune.h.
 *
 * WHICH COPY STAYS.  A chunk id may be held by several packs (an interrupted
 * repack or backup leaves second copies).  Exactly one copy of every
 * referenced id is kept: packs are visited fullest first (the share of
 * their bytes that referenced ids take, whoever holds them), and an id's
 * copy is kept in the first pack visited that holds it.  Every other copy,
 * and every id no remaining manifest references, is garbage.  A pack with
 * nothing kept is deleted; one whose garbage is at least repack_percent of
 * its chunk bytes is rewritten (its kept chunks copied into new packs);
 * so are small packs once there are many of them (plan); the rest stay as
 * they are.  A pack whose index cannot be read is never
 * touched and never counts as holding anything.  A copy the last full verify
 * found damaged (REPO/verify-status) is kept only when no other pack holds
 * its chunk: a chunk stored again by a backup replaces it.
 */
#include "strata/prune.h"
#include "strata/catalog.h"
#include "strata/fault.h"
#include "strata/frames.h"
#include "strata/idset.h"
#include "strata/idxnode.h"
#include "strata/manifest.h"
#include "strata/pack.h"
#include "strata/repo.h"
#include "strata/verifyrec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { ID_LIVE = 1, ID_TAKEN = 2 };
enum pack_action { PACK_KEEP, PACK_DELETE, PACK_REPACK };

struct gpack {
	char name[33];
	struct pack_entry *e;
	size_t n;
	uint64_t size;
	bool bad;           /* index unreadable: never touched */
	bool damaged;       /* a chunk to move (or its only other copy) did not check: kept */
	bool rewritten;     /* replaced by a new pack of the same name (same index) */
	uint8_t *keep;      /* per entry: this copy stays */
	uint64_t live_raw;  /* bytes of entries whose id is referenced */
	uint64_t live, dead; /* bytes of kept copies, of garbage */
	enum pack_action act;
};

struct gen_row {
	char name[64];
	int64_t time;
	uint64_t seq;
	char dbname[65]; /* the timeline it belongs to (naming.h) */
	char *source;
	char *group;     /* what retention groups by: see timeline_of() */
	struct keep_gen k;
};

/* An index node's place, as the pack indexes say (not the catalog: prune trusts the packs). */
struct pnode {
	struct chunk_id id;
	struct pack_entry e;
	char pack[33];
};

struct prune {
	const struct prune_opts *o;
	struct prune_result *res;
	struct repo r;
	struct catalog cat;
	bool cat_open;
	struct gen_row *g;
	size_t ng;
	struct gpack *p;
	size_t np;
	struct idset ids;
	struct pnode *nodes; /* every index node in the packs, by id (node_where) */
	size_t nnodes;
	bool nodes_read;
	struct idxnode_reader rd;
	char *err;
};

static int fail(struct prune *pr, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct prune *pr, int rc, const char *fmt, ...)
{
	va_list ap;
	if (!pr->err) {
		va_start(ap, fmt);
		if (vasprintf(&pr->err, fmt, ap) < 0)
			pr->err = NULL;
		va_end(ap);
	}
	return rc ? rc : -EIO;
}

/* 0 while prune's locks hold; else the error (deleting without them could lose another's data) */
static int lock_held(struct prune *pr)
{
	int rc = repo_lock_check(&pr->r);
	if (rc)
		rc = fail(pr, rc, "lost the lock of '%s' (its lease could not be renewed in time, so another "
			  "host may have taken it as stale); stopped before deleting more; run prune again",
			  pr->r.path);
	return rc;
}

static void say(const struct prune *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct prune *pr, const char *fmt, ...)
{
	va_list ap;
	(void)pr;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* by id, then pack name: the copies of a node side by side */
static int cmp_pnode(const void *a, const void *b)
{
	const struct pnode *x = a, *y = b;
	int c = memcmp(&x->id, &y->id, sizeof(x->id));
	return c ? c : strcmp(x->pack, y->pack);
}

static int cmp_pnode_id(const void *key, const void *b)
{
	return memcmp(key, &((const struct pnode *)b)->id, sizeof(struct chunk_id));
}

/*
 * idxnode_where over the packs' own indexes (read once; an unreadable pack
 * holds no node): the nth copy of a node (idxnode_get tries them in turn,
 * so a damaged copy left beside a healed one does not stop prune).
 */
static int node_where(void *arg, const struct chunk_id *id, unsigned nth, struct pack_entry *e,
		      char pack[33])
{
	struct prune *pr = arg;
	if (!pr->nodes_read) {
		struct namelist names = { 0 };
		size_t cap = 0;
		int rc = repo_list_packs(&pr->r, &names, NULL);
		if (rc) {
			namelist_release(&names);
			return rc;
		}
		pr->nodes_read = true;
		for (size_t i = 0; i < names.n; i++) {
			struct pack_entry *pe = NULL;
			struct store_file *f;
			size_t n = 0;
			uint64_t size;
			if (!repo_open_pack(&pr->r, names.v[i], &f)) {
				if (pack_read_index(f, &pe, &n, &size))
					n = 0;
				store_file_close(f);
			}
			for (size_t k = 0; k < n; k++) {
				if (!pack_entry_is_node(&pe[k]))
					continue;
				if (pr->nnodes == cap) {
					cap = cap ? 2 * cap : 64;
					pr->nodes = xrealloc(pr->nodes, cap * sizeof(*pr->nodes));
				}
				struct pnode *p = &pr->nodes[pr->nnodes++];
				p->id = pe[k].id;
				p->e = pe[k];
				snprintf(p->pack, sizeof(p->pack), "%s", names.v[i]);
			}
			free(pe);
		}
		namelist_release(&names);
		if (pr->nnodes)
			qsort(pr->nodes, pr->nnodes, sizeof(*pr->nodes), cmp_pnode);
	}
	struct pnode *p = pr->nnodes ? bsearch(id, pr->nodes, pr->nnodes, sizeof(*pr->nodes), cmp_pnode_id) : NULL;
	if (!p)
		return -ENOENT;
	while (p > pr->nodes && !memcmp(&p[-1].id, id, sizeof(*id)))
		p--; /* the first copy */
	if ((size_t)(p - pr->nodes) + nth >= pr->nnodes || memcmp(&p[nth].id, id, sizeof(*id)))
		return -ENOENT;
	*e = p[nth].e;
	memcpy(pack, p[nth].pack, 33);
	return 0;
}

/* Mark every chunk (and index node) the named manifest references as live. */
static int add_live(struct prune *pr, const char *name, size_t *bytes)
{
	struct manifest m;
	pr->rd.r = &pr->r;
	pr->rd.where = node_where;
	pr->rd.where_arg = pr;
	int rc = manifest_load(&pr->r, name, &pr->rd, &m, bytes);
	if (rc)
		return fail(pr, rc, "generation '%s' cannot be read (%s): prune would not know which chunks it needs; restore 'generations/%s.gen' (or the pack holding its index nodes) from a copy of the repository, or remove the generation, then run prune again",
			    name, rc == -EBADMSG ? "checksum mismatch" : strerror(-rc), name);
	for (size_t t = 0; t < m.ntables; t++) {
		for (size_t k = 0; k < m.tables[t].nchunks; k++)
			idset_put(&pr->ids, &m.tables[t].chunks[k].id, ID_LIVE);
		for (size_t k = 0; k < m.tables[t].nnodes; k++)
			idset_put(&pr->ids, &m.tables[t].nodes[k].id, ID_LIVE);
	}
	manifest_release(&m);
	return 0;
}

static int cmp_fullness(const void *a, const void *b)
{
	const struct gpack *x = a, *y = b;
	/* x.live_raw / x.size > y.live_raw / y.size (both < 2^64; doubles order them closely enough) */
	double l = (double)x->live_raw / (double)(x->size ? x->size : 1);
	double r = (double)y->live_raw / (double)(y->size ? y->size : 1);
	if (l != r)
		return l > r ? -1 : 1;
	return strcmp(x->name, y->name);
}

#define SMALL_PACKS 32 /* small packs that make prune merge them */

/* A pack kept as it is, under an eighth of the pack size. */
static bool small_pack(const struct prune *pr, const struct gpack *p)
{
	return !p->bad && p->act == PACK_KEEP && p->size < pr->r.pack_size / 8;
}

/* Read every pack's index and decide what happens to it (see the top). */
static int plan(struct prune *pr)
{
	struct namelist names = { 0 };
	int rc = repo_list_packs(&pr->r, &names, NULL);
	pr->np = names.n;
	if (rc) {
		namelist_release(&names);
		return fail(pr, rc, "cannot list the packs of '%s': %s", pr->r.path, strerror(-rc));
	}
	pr->p = xcalloc(pr->np ? pr->np : 1, sizeof(*pr->p));
	for (size_t i = 0; i < pr->np; i++) {
		struct gpack *p = &pr->p[i];
		struct store_file *f;
		snprintf(p->name, sizeof(p->name), "%s", names.v[i]);
		rc = repo_open_pack(&pr->r, names.v[i], &f);
		if (!rc) {
			rc = pack_read_index(f, &p->e, &p->n, &p->size);
			store_file_close(f);
		}
		if (rc == -EIO || rc == -ENOMEM) {
			namelist_release(&names);
			return fail(pr, rc, "cannot read pack 'packs/%.2s/%s.pack': %s", p->name, p->name,
				    strerror(-rc));
		}
		p->bad = rc != 0;
		if (p->bad) {
			fprintf(stderr, "strata: pack 'packs/%.2s/%s.pack' cannot be read; prune leaves it as it is (run 'strata verify')\n",
				p->name, p->name);
			continue;
		}
		pr->res->packs_before++;
		pr->res->bytes_before += p->size;
		for (size_t k = 0; k < p->n; k++)
			if (idset_get(&pr->ids, &p->e[k].id))
				p->live_raw += p->e[k].clen;
	}
	namelist_release(&names);
	qsort(pr->p, pr->np, sizeof(*pr->p), cmp_fullness);
	/*
	 * A copy the last full verify found damaged is kept only when no other
	 * pack holds the chunk (pass 1 takes the others, pass 2 what is left).
	 */
	struct verify_record rec;
	if (verifyrec_read(&pr->r, &rec))
		memset(&rec, 0, sizeof(rec));
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < pr->np; i++) {
			struct gpack *p = &pr->p[i];
			if (p->bad)
				continue;
			if (!p->keep)
				p->keep = xcalloc(p->n ? p->n : 1, 1);
			for (size_t k = 0; k < p->n; k++) {
				if (idset_get(&pr->ids, &p->e[k].id) != ID_LIVE)
					continue;
				if (!pass && verifyrec_damaged_copy(&rec, &p->e[k].id, p->name))
					continue;
				idset_put(&pr->ids, &p->e[k].id, ID_TAKEN);
				p->keep[k] = 1;
			}
		}
	}
	for (size_t i = 0; i < pr->np; i++) {
		struct gpack *p = &pr->p[i];
		bool damaged_garbage = false;
		if (p->bad) {
			p->act = PACK_KEEP;
			continue;
		}
		for (size_t k = 0; k < p->n; k++) {
			if (p->keep[k]) {
				p->live += p->e[k].clen;
			} else {
				p->dead += p->e[k].clen;
				damaged_garbage |= verifyrec_damaged_copy(&rec, &p->e[k].id, p->name);
			}
		}
		/* a damaged copy another pack replaces goes, whatever the threshold */
		if (damaged_garbage && p->live) {
			p->act = PACK_REPACK;
			continue;
		}
		if (!p->live)
			p->act = PACK_DELETE;
		else if (p->dead && p->dead * 100 >= (uint64_t)pr->o->repack_percent * (p->live + p->dead))
			p->act = PACK_REPACK;
		else
			p->act = PACK_KEEP;
	}
	/*
	 * Small packs pile up over years of backups (one that changed a few
	 * rows writes a small pack of chunks and one of index nodes): once
	 * SMALL_PACKS of the packs that would stay as they are are each under
	 * an eighth of the pack size, they are merged - their chunks copied into
	 * full-size packs, as a repack copies them.
	 */
	size_t nsmall = 0;
	for (size_t i = 0; i < pr->np; i++)
		nsmall += small_pack(pr, &pr->p[i]);
	if (nsmall >= SMALL_PACKS)
		for (size_t i = 0; i < pr->np; i++)
			if (small_pack(pr, &pr->p[i]))
				pr->p[i].act = PACK_REPACK;
	verifyrec_release(&rec);
	return 0;
}

/*
 * A copy of id failed its check: no other copy of it may go, whatever the
 * plan said (every pack holding one stays as it is).
 */
static void keep_all_copies(struct prune *pr, const struct chunk_id *id)
{
	for (size_t i = 0; i < pr->np; i++) {
		struct gpack *q = &pr->p[i];
		for (size_t k = 0; !q->bad && q->act != PACK_KEEP && k < q->n; k++)
			if (!memcmp(q->e[k].id.b, id->b, 16)) {
				q->act = PACK_KEEP;
				q->damaged = true;
			}
	}
}

/*
 * Finish a new pack.  Its name is the hash of its index, so a rewrite of
 * exactly the chunks of a pack that exists (an interrupted prune's) gets that
 * pack's name and has just replaced its file with checked copies: that pack
 * now stays, whatever the plan said.
 */
static int finish_pack(struct prune *pr, struct pack_writer *w)
{
	char name[33];
	int rc = pack_writer_finish(w, name);
	if (rc)
		return fail(pr, rc, "cannot write a pack into '%s': %s", pr->r.path, strerror(-rc));
	pr->res->packs_written++;
	for (size_t i = 0; i < pr->np; i++)
		if (!strcmp(pr->p[i].name, name)) {
			pr->p[i].act = PACK_KEEP;
			pr->p[i].bad = false;
			pr->p[i].rewritten = true;
		}
	fault_point("prune-packed");
	return 0;
}

struct kept_loc {
	struct chunk_id id;
	uint32_t pack, entry;
};

static int cmp_loc(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct chunk_id));
}

/*
 * Before any copy of a chunk goes, the copy that stays must be intact: a
 * kept copy in a pack that is rewritten is checked as it is copied; one in
 * a pack that stays as it is is checked here, for every chunk some other
 * copy of which is about to go (interrupted prunes, healed chunks: rare).
 * If it fails, every pack holding a copy stays.
 */
static int check_survivors(struct prune *pr)
{
	struct kept_loc *loc = NULL;
	size_t nloc = 0, cap = 0;
	struct idset done = IDSET_INIT;
	ZSTD_DCtx *dctx = NULL;
	int rc = 0;

	for (size_t i = 0; i < pr->np; i++)
		for (size_t k = 0; !pr->p[i].bad && k < pr->p[i].n; k++)
			if (pr->p[i].keep[k]) {
				if (nloc == cap) {
					cap = cap ? cap * 2 : 1024;
					loc = xrealloc(loc, cap * sizeof(*loc));
				}
				loc[nloc++] = (struct kept_loc){ pr->p[i].e[k].id, (uint32_t)i, (uint32_t)k };
			}
	if (nloc)
		qsort(loc, nloc, sizeof(*loc), cmp_loc);
	for (size_t i = 0; i < pr->np && !rc; i++) {
		struct gpack *p = &pr->p[i];
		for (size_t k = 0; !p->bad && p->act != PACK_KEEP && k < p->n && !rc; k++) {
			const struct chunk_id *id = &p->e[k].id;
			if (p->keep[k] || idset_get(&pr->ids, id) != ID_TAKEN || idset_get(&done, id))
				continue;
			idset_add(&done, id);
			const struct kept_loc *l = bsearch(id, loc, nloc, sizeof(*loc), cmp_loc);
			if (!l || pr->p[l->pack].act != PACK_KEEP)
				continue; /* checked as it is copied */
			const struct gpack *q = &pr->p[l->pack];
			struct store_file *f;
			int crc = repo_open_pack(&pr->r, q->name, &f);
			if (!crc) {
				if (!dctx)
					dctx = ZSTD_createDCtx();
				crc = chunk_check(f, &q->e[l->entry], dctx);
				store_file_close(f);
			}
			if (crc == -ENOMEM)
				rc = fail(pr, crc, "out of memory checking pack 'packs/%.2s/%s.pack'", q->name, q->name);
			else if (crc) {
				char hex[33];
				chunk_id_hex(hex, id);
				say(pr, "damaged: chunk %s in pack packs/%.2s/%s.pack: every pack holding a copy of it stays",
				    hex, q->name, q->name);
				keep_all_copies(pr, id);
			}
		}
	}
	ZSTD_freeDCtx(dctx);
	idset_release(&done);
	free(loc);
	return rc;
}

/* Copy the kept chunks of the packs to rewrite into new packs. */
static int repack(struct prune *pr)
{
	struct pack_writer *w = NULL;
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	uint8_t *body = NULL;
	size_t cap = 0;
	int rc = 0;

	for (size_t i = 0; i < pr->np && !rc; i++) {
		struct gpack *p = &pr->p[i];
		if (p->act != PACK_REPACK)
			continue;
		struct store_file *f;
		rc = repo_open_pack(&pr->r, p->name, &f);
		/* a remote pack: one request for all of it, not one per chunk copied */
		if (!rc && !pr->r.store->local)
			rc = store_file_load(&f, 256u << 20);
		if (rc) {
			rc = fail(pr, rc, "cannot open pack 'packs/%.2s/%s.pack': %s", p->name, p->name,
				  strerror(-rc));
			break;
		}
		for (size_t k = 0; k < p->n && !rc; k++) {
			if (!p->keep[k])
				continue;
			/* never copy what does not match its id: the old pack then stays */
			int crc = chunk_check(f, &p->e[k], dctx);
			if (crc == -EIO || crc == -ENOMEM) {
				rc = fail(pr, crc, "cannot read pack 'packs/%.2s/%s.pack': %s", p->name, p->name,
					  strerror(-crc));
				break;
			}
			if (crc) {
				char hex[33];
				chunk_id_hex(hex, &p->e[k].id);
				say(pr, "damaged: chunk %s in pack packs/%.2s/%s.pack: not copied; every pack holding a copy of it stays",
				    hex, p->name, p->name);
				p->damaged = true;
				keep_all_copies(pr, &p->e[k].id);
				continue;
			}
			if (p->e[k].clen > cap) {
				cap = p->e[k].clen;
				free(body);
				body = xmalloc(cap);
			}
			rc = store_pread(f, body, p->e[k].clen, p->e[k].offset);
			if (rc) {
				rc = fail(pr, rc, "cannot read pack 'packs/%.2s/%s.pack': %s", p->name, p->name,
					  strerror(-rc));
				break;
			}
			if (!w && (rc = pack_writer_open(&w, pr->r.store)))
				rc = fail(pr, rc, "cannot write a pack for '%s': %s", pr->r.path, strerror(-rc));
			struct pack_entry ne = p->e[k];
			if (!rc)
				rc = pack_writer_add(w, &ne, body);
			if (rc) {
				rc = fail(pr, rc, "cannot write a pack for '%s': %s", pr->r.path, strerror(-rc));
				break;
			}
			pr->res->chunks_moved++;
			pr->res->bytes_moved += ne.clen;
			if (pack_writer_size(w) >= pr->r.pack_size) {
				rc = finish_pack(pr, w);
				w = NULL;
			}
		}
		store_file_close(f);
		if (p->damaged)
			p->act = PACK_KEEP;
	}
	if (!rc && w) {
		rc = finish_pack(pr, w);
		w = NULL;
	}
	pack_writer_abort(w);
	free(body);
	ZSTD_freeDCtx(dctx);
	return rc;
}

static int sync_catalog(struct prune *pr)
{
	struct catalog_sync_stats st;
	int rc = catalog_sync(&pr->cat, &pr->r, false, &st);
	if (rc)
		return fail(pr, rc, "cannot update the catalog '%s': %s; run 'strata index --rebuild %s'",
			    pr->r.catalog, strerror(-rc), pr->r.path);
	return 0;
}

/* Make the catalog serve moved chunks from their new packs, then delete the old packs. */
static int delete_packs(struct prune *pr)
{
	char **doomed = xcalloc(pr->np ? pr->np : 1, sizeof(char *));
	size_t nd = 0;
	int rc;

	for (size_t i = 0; i < pr->np; i++)
		if (pr->p[i].act != PACK_KEEP)
			doomed[nd++] = pr->p[i].name;
	rc = sync_catalog(pr); /* indexes the new packs: their chunks become copies */
	if (!rc && nd) {
		rc = catalog_begin(&pr->cat);
		if (!rc)
			rc = catalog_serve_elsewhere(&pr->cat, doomed, nd);
		if (!rc)
			rc = catalog_commit(&pr->cat);
		else
			catalog_rollback(&pr->cat);
		if (rc)
			rc = fail(pr, rc, "cannot update the catalog '%s': %s; run 'strata index --rebuild %s'",
				  pr->r.catalog, strerror(-rc), pr->r.path);
		fault_point("prune-served");
	}
	for (size_t i = 0; i < pr->np && !rc; i++) {
		struct gpack *p = &pr->p[i];
		if (p->act == PACK_KEEP)
			continue;
		char key[64];
		store_pack_key(key, p->name);
		if ((rc = lock_held(pr)))
			break;
		int drc = store_delete(pr->r.store, key);
		if (drc && drc != -ENOENT)
			rc = fail(pr, drc, "cannot delete '%s' from '%s': %s", key, pr->r.path,
				  strerror(-drc));
		if (rc)
			break;
		if (p->act == PACK_DELETE)
			pr->res->packs_deleted++;
		else
			pr->res->packs_repacked++;
		fault_point("prune-deleted");
	}
	/* the deletions durable */
	if (!rc) {
		int frc = store_barrier(pr->r.store);
		if (frc)
			rc = fail(pr, frc, "cannot make the deletions in '%s' durable: %s", pr->r.path,
				  strerror(-frc));
	}
	free(doomed);
	if (!rc)
		rc = sync_catalog(pr);
	return rc;
}

static int cmp_gen(const void *a, const void *b)
{
	const struct gen_row *x = a, *y = b;
	int c = strcmp(x->group, y->group);
	if (c)
		return c;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void reasons_text(char *out, size_t n, uint32_t reasons)
{
	size_t len = 0;
	out[0] = 0;
	for (int r = 0; r < KEEP_NRULES; r++)
		if (reasons & (1u << r)) /* "daily", not "keep-daily" */
			len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", len ? ", " : "",
						keep_rule_name((enum keep_rule)r) + 5);
}

/*
 * The timeline of each generation, which retention applies to on its own:
 * its database's name when its manifest names it (version 4).  An older
 * generation has only its source's default name, which two databases of one
 * file name in two directories share: it joins the named timeline of that
 * name read from the same path, or else stays with the others of its path
 * (as before names, when prune grouped by path), so that two databases are
 * never one retention.
 */
static void timeline_of(struct prune *pr, const struct cat_gen *gens)
{
	char **named = xcalloc(pr->ng ? pr->ng : 1, sizeof(char *));
	size_t nn = 0;
	for (size_t i = 0; i < pr->ng; i++)
		if (gens[i].named)
			named[nn++] = xasprintf("%s\n%s", pr->g[i].dbname, pr->g[i].source);
	qsort(named, nn, sizeof(char *), cmp_str);
	for (size_t i = 0; i < pr->ng; i++) {
		char *key = xasprintf("%s\n%s", pr->g[i].dbname, pr->g[i].source);
		if (gens[i].named || bsearch(&key, named, nn, sizeof(char *), cmp_str)) {
			pr->g[i].group = xstrdup(pr->g[i].dbname);
			free(key);
		} else {
			pr->g[i].group = key;
		}
	}
	for (size_t i = 0; i < nn; i++)
		free(named[i]);
	free(named);
}

/* Decide and print which generations go (per database: its own timeline). */
static int choose(struct prune *pr)
{
	struct cat_gen *gens = NULL;
	size_t n = 0;
	int rc = catalog_list_gens(&pr->cat, &gens, &n);
	if (rc)
		return fail(pr, rc, "cannot read the catalog '%s': %s; run 'strata index --rebuild %s'",
			    pr->r.catalog, strerror(-rc), pr->r.path);
	pr->g = xcalloc(n ? n : 1, sizeof(*pr->g));
	pr->ng = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(pr->g[i].name, sizeof(pr->g[i].name), "%s", gens[i].name);
		pr->g[i].time = gens[i].time;
		pr->g[i].seq = gens[i].seq;
		pr->g[i].source = xstrdup(gens[i].source ? gens[i].source : "");
		snprintf(pr->g[i].dbname, sizeof(pr->g[i].dbname), "%s", gens[i].dbname);
		pr->g[i].k.time = gens[i].time;
		pr->g[i].k.seq = gens[i].seq;
	}
	timeline_of(pr, gens);
	catalog_free_gens(gens, n);
	qsort(pr->g, pr->ng, sizeof(*pr->g), cmp_gen);
	bool named = false;
	for (size_t i = 0; i < pr->ng;) {
		size_t j = i;
		while (j < pr->ng && !strcmp(pr->g[j].group, pr->g[i].group))
			j++;
		if (pr->o->dbname && strcmp(pr->o->dbname, pr->g[i].dbname)) {
			/* another database: --name leaves its timeline alone */
			for (size_t x = i; x < j; x++)
				pr->g[x].k.keep = true;
			i = j;
			continue;
		}
		named = true;
		struct keep_gen *k = xcalloc(j - i, sizeof(*k));
		for (size_t x = i; x < j; x++)
			k[x - i] = pr->g[x].k;
		rc = retention_apply(&pr->o->policy, k, j - i);
		for (size_t x = i; x < j; x++)
			pr->g[x].k = k[x - i];
		free(k);
		if (rc)
			return fail(pr, rc, "a generation's time is out of range; run 'strata verify'");
		size_t nkeep = 0;
		for (size_t x = i; x < j; x++)
			nkeep += pr->g[x].k.keep;
		struct buf shown = BUF_INIT, db = BUF_INIT;
		buf_add_printable(&shown, pr->g[j - 1].source, strlen(pr->g[j - 1].source));
		buf_add_printable(&db, pr->g[i].dbname, strlen(pr->g[i].dbname));
		if (!pr->o->quiet || !pr->o->dry_run)
			say(pr, "database %s (%s): %zu generation%s, keep %zu, %s %zu", (char *)db.data,
			    (char *)shown.data, j - i, j - i == 1 ? "" : "s", nkeep,
			    pr->o->dry_run ? "would remove" : "remove", j - i - nkeep);
		buf_release(&shown);
		buf_release(&db);
		for (size_t x = i; x < j && !pr->o->quiet; x++) {
			char why[128];
			reasons_text(why, sizeof(why), pr->g[x].k.reasons);
			if (pr->g[x].k.keep)
				say(pr, "  keep    %-24s %s", pr->g[x].name,
				    keep_policy_any(&pr->o->policy) ? why : "(no rule given)");
			else
				say(pr, "  remove  %s", pr->g[x].name);
		}
		for (size_t x = i; x < j; x++) {
			if (pr->g[x].k.keep)
				pr->res->gens_kept++;
			else
				pr->res->gens_removed++;
		}
		i = j;
	}
	if (pr->o->dbname && !named)
		return fail(pr, -ENOENT, "no database named '%s' in '%s'; 'strata ls %s' shows each generation's database",
			    pr->o->dbname, pr->r.path, pr->r.path);
	return 0;
}

/* Unlink the manifests of the generations that go; each unlink is atomic. */
static int remove_gens(struct prune *pr)
{
	int rc = 0;
	for (size_t i = 0; i < pr->ng && !rc; i++) {
		if (pr->g[i].k.keep)
			continue;
		if ((rc = lock_held(pr)))
			break;
		char *key = repo_gen_key(pr->g[i].name);
		int drc = store_delete(pr->r.store, key);
		if (drc && drc != -ENOENT)
			rc = fail(pr, drc, "cannot remove '%s' from '%s': %s", key, pr->r.path,
				  strerror(-drc));
		free(key);
		fault_point("prune-removed");
	}
	if (!rc) {
		int frc = store_barrier(pr->r.store);
		if (frc)
			rc = fail(pr, frc, "cannot make the removals in '%s' durable: %s", pr->r.path,
				  strerror(-frc));
	}
	return rc ? rc : sync_catalog(pr);
}

static void wait_note(const char *holder, void *arg)
{
	(void)arg;
	fprintf(stderr, "strata: waiting for %s\n", *holder ? holder : "another strata process");
}

/*
 * The damaged copies verify recorded in packs that are gone now, or that a
 * new pack of the same name replaced, are no longer there: drop them from
 * REPO/verify-status (advice; a failure to rewrite it is only said).
 */
static void forget_copies(struct prune *pr)
{
	struct verify_record rec;
	size_t n = 0;
	if (verifyrec_read(&pr->r, &rec) || !rec.ncopies) {
		verifyrec_release(&rec);
		return;
	}
	for (size_t i = 0; i < rec.ncopies; i++) {
		bool gone = false;
		for (size_t k = 0; k < pr->np && !gone; k++)
			gone = !strcmp(pr->p[k].name, rec.copies[i].pack) &&
			       (pr->p[k].rewritten || (!pr->p[k].bad && pr->p[k].act != PACK_KEEP));
		if (!gone)
			rec.copies[n++] = rec.copies[i];
	}
	if (n != rec.ncopies) {
		rec.ncopies = n;
		int rc = verifyrec_write(&pr->r, &rec);
		if (rc)
			fprintf(stderr, "strata: cannot update '%s/" VERIFYREC_NAME "': %s; the next full 'strata verify' rewrites it\n",
				pr->r.path, strerror(-rc));
	}
	verifyrec_release(&rec);
}

static void verify_note(const char *holder, void *arg)
{
	(void)holder;
	(void)arg;
	fprintf(stderr, "strata: waiting for 'strata verify' to finish\n");
}

static int run(struct prune *pr, const char *path)
{
	struct catalog_sync_stats st;
	int rc = repo_open(&pr->r, path);
	if (rc) {
		pr->err = repo_open_message(path, &pr->r, rc);
		return rc;
	}
	rc = repo_lock(&pr->r, REPO_LOCK_DELETE, "prune", pr->o->wait_ms, wait_note, NULL);
	if (rc == -EWOULDBLOCK) {
		char *h = repo_lock_holder(&pr->r);
		fail(pr, rc, "repository '%s' is busy: %s; try again later, or give --wait", path,
		     *h ? h : "another strata process holds it");
		free(h);
		return rc;
	}
	if (!rc) {
		rc = repo_lock_gc(&pr->r, true, "prune", pr->o->wait_ms, verify_note, NULL);
		if (rc == -EWOULDBLOCK)
			return fail(pr, rc, "repository '%s' is busy: a 'strata verify' is reading it; try again later, or give --wait",
				    path);
	}
	if (rc)
		return fail(pr, rc, "cannot lock repository '%s': %s", path, strerror(-rc));
	fault_point("prune-locked");
	repo_clean_tmp(&pr->r);
	rc = catalog_open_sync(&pr->cat, &pr->r, false, &st);
	if (rc)
		return fail(pr, rc, "cannot open the catalog '%s': %s; run 'strata index --rebuild %s'",
			    pr->r.catalog, strerror(-rc), path);
	pr->cat_open = true;
	if (st.bad_gens)
		return fail(pr, -EUCLEAN, "%u generation%s cannot be read (see above): prune would not know which chunks %s; restore %s from a copy of the repository (or remove %s), then run prune again",
			    st.bad_gens, st.bad_gens == 1 ? "" : "s", st.bad_gens == 1 ? "it needs" : "they need",
			    st.bad_gens == 1 ? "it" : "them", st.bad_gens == 1 ? "it" : "them");
	rc = choose(pr);
	if (rc)
		return rc;
	if (!pr->o->dry_run && pr->res->gens_removed)
		rc = remove_gens(pr);
	if (rc)
		return rc;
	/* what stays referenced: every manifest on disk (or, dry, every kept one) */
	struct namelist names = { 0 };
	rc = repo_list_gens(&pr->r, &names, NULL);
	if (rc) {
		namelist_release(&names);
		return fail(pr, rc, "cannot list the generations of '%s': %s", pr->r.path,
			    strerror(-rc));
	}
	for (size_t i = 0; i < names.n && !rc; i++) {
		bool removed = false;
		for (size_t g = 0; pr->o->dry_run && g < pr->ng && !removed; g++)
			removed = !pr->g[g].k.keep && !strcmp(pr->g[g].name, names.v[i]);
		if (!removed)
			rc = add_live(pr, names.v[i], NULL);
	}
	size_t nn = names.n;
	namelist_release(&names);
	if (!rc)
		say(pr, "collecting garbage: %zu generation%s reference %zu chunk%s; reading the pack indexes",
		    nn, nn == 1 ? "" : "s", pr->ids.n, pr->ids.n == 1 ? "" : "s");
	if (!rc)
		rc = plan(pr);
	if (rc || pr->o->dry_run)
		return rc;
	uint64_t nrep = 0, ndel = 0, live = 0;
	for (size_t i = 0; i < pr->np; i++) {
		nrep += pr->p[i].act == PACK_REPACK;
		ndel += pr->p[i].act == PACK_DELETE;
		live += pr->p[i].act == PACK_REPACK ? pr->p[i].live : 0;
	}
	if (nrep) {
		char h[HUMAN_MAX];
		human_bytes(h, live);
		say(pr, "rewriting %llu pack%s (%s to copy, each chunk checked first)",
		    (unsigned long long)nrep, nrep == 1 ? "" : "s", h);
	}
	rc = check_survivors(pr);
	if (!rc)
		rc = repack(pr);
	ndel = 0;
	for (size_t i = 0; i < pr->np; i++)
		ndel += !pr->p[i].bad && pr->p[i].act != PACK_KEEP;
	if (!rc && ndel)
		say(pr, "deleting %llu pack%s", (unsigned long long)ndel, ndel == 1 ? "" : "s");
	if (!rc)
		rc = delete_packs(pr);
	if (!rc)
		forget_copies(pr);
	return rc;
}

/* Free what pr holds; *err: its message, or one saying what failed.  Returns rc. */
static int prune_release(struct prune *pr, int rc, const char *what, const char *repo_path,
			 char **err)
{
	if (pr->cat_open)
		catalog_close(&pr->cat);
	for (size_t i = 0; i < pr->np; i++) {
		free(pr->p[i].e);
		free(pr->p[i].keep);
	}
	free(pr->p);
	for (size_t i = 0; i < pr->ng; i++) {
		free(pr->g[i].source);
		free(pr->g[i].group);
	}
	free(pr->g);
	idset_release(&pr->ids);
	free(pr->nodes);
	idxnode_reader_done(&pr->rd);
	repo_close(&pr->r);
	*err = pr->err;
	if (rc && !*err)
		*err = xasprintf("%s '%s' failed: %s", what, repo_path, strerror(-rc));
	return rc;
}

int prune_run(const char *repo_path, const struct prune_opts *o, struct prune_result *res,
	      char **err)
{
	struct prune pr = { .o = o, .res = res, .ids = IDSET_INIT };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(res, 0, sizeof(*res));
	int rc = run(&pr, repo_path);
	/* the plan's outcome (dry: what it would be) */
	for (size_t i = 0; i < pr.np; i++) {
		const struct gpack *p = &pr.p[i];
		if (p->bad)
			continue;
		res->damaged_kept += p->damaged;
		if (p->act == PACK_KEEP) {
			res->garbage_left += p->dead;
			continue;
		}
		for (size_t k = 0; k < p->n; k++)
			res->chunks_removed += !p->keep[k];
		if (o->dry_run) {
			res->packs_deleted += p->act == PACK_DELETE;
			res->packs_repacked += p->act == PACK_REPACK;
			res->bytes_moved += p->act == PACK_REPACK ? p->live : 0;
		}
	}
	uint64_t packs = 0, bytes = 0;
	if (!rc && !o->dry_run && pr.cat_open && !catalog_pack_stats(&pr.cat, &packs, &bytes)) {
		res->packs_after = packs;
		res->bytes_after = bytes;
	} else if (!rc && o->dry_run) {
		for (size_t i = 0; i < pr.np; i++)
			if (!pr.p[i].bad && pr.p[i].act == PACK_KEEP) {
				res->packs_after++;
				res->bytes_after += pr.p[i].size;
			}
		res->bytes_after += res->bytes_moved; /* about: the new packs' frames */
		res->packs_after += res->bytes_moved ? (res->bytes_moved + pr.r.pack_size - 1) / pr.r.pack_size : 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return prune_release(&pr, rc, "prune of", repo_path, err);
}

int gc_survey_run(const char *repo_path, struct gc_survey *s, char **err)
{
	static const struct prune_opts dflt = { .repack_percent = 20, .dry_run = true };
	struct prune_result res;
	struct prune pr = { .o = &dflt, .res = &res, .ids = IDSET_INIT };
	struct namelist names = { 0 };
	int rc;

	memset(s, 0, sizeof(*s));
	memset(&res, 0, sizeof(res));
	rc = repo_open(&pr.r, repo_path);
	if (rc) {
		*err = repo_open_message(repo_path, &pr.r, rc);
		return rc;
	}
	rc = repo_lock_gc(&pr.r, false, "stats", -1, wait_note, NULL);
	if (rc == -ENOENT)
		rc = 0; /* no lock file and none may be made here: nobody who could prune has run */
	if (rc)
		fail(&pr, rc, "cannot lock repository '%s' against prune: %s", repo_path, strerror(-rc));
	if (!rc) {
		rc = repo_list_gens(&pr.r, &names, NULL);
		if (rc)
			fail(&pr, rc, "cannot list the generations of '%s': %s", repo_path,
			     strerror(-rc));
	}
	for (size_t i = 0; i < names.n && !rc; i++) {
		size_t bytes = 0;
		rc = add_live(&pr, names.v[i], &bytes);
		s->manifest_bytes += bytes;
		s->manifests++;
	}
	namelist_release(&names);
	if (!rc)
		rc = plan(&pr);
	for (size_t i = 0; i < pr.np && !rc; i++) {
		const struct gpack *p = &pr.p[i];
		if (p->bad) {
			s->bad_packs++;
			continue;
		}
		s->packs++;
		s->pack_bytes += p->size;
		for (size_t k = 0; k < p->n; k++) {
			if (p->keep[k] && pack_entry_is_node(&p->e[k])) {
				s->nodes++;
				s->node_bytes += p->e[k].clen;
			} else if (p->keep[k]) {
				s->chunks++;
				s->chunk_bytes += p->e[k].clen;
				s->csv_bytes += p->e[k].csv_len;
			} else {
				s->garbage_chunks++;
				s->garbage_bytes += p->e[k].clen;
				if (p->act != PACK_KEEP)
					s->collectable_bytes += p->e[k].clen;
			}
		}
	}
	return prune_release(&pr, rc, "survey of", repo_path, err);
}
