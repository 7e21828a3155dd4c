/*
 * verify.c - `strata verify`: check a repository against itself.
 *
 * What is checked (docs/FORMAT.md is the contract):
 *   - every manifest under generations/ reads, decodes and checks its
 *     xxh3-64, and its name matches its file name;
 *   - every pack under packs/ has a valid header, trailer and index, the
 *     index checksum matches, and the pack's file name is the xxh3-128 of
 *     its index (so a pack cannot be swapped for another one);
 *   - unless quick: every chunk of every pack is decompressed and its
 *     xxh3-128 compared with its id;
 *   - every chunk a generation refers to is held by a pack, with the same
 *     sizes and row count the manifest states, and (unless quick) is intact.
 * The catalog is derived; it is only compared (generation names) and a
 * stale or damaged one is reported as a note, never as damage.
 *
 * Order matters for a verify running next to a backup, which writes packs
 * before the manifest that needs them: manifests are listed first, packs
 * second, so every chunk a listed manifest needs is already in a pack.
 *
 * Packs are checked by one thread per core (up to 8), and reported in pack
 * order as one thread would (check_packs).
 *
 * Only REPO/gc-lock is taken, shared: verify only reads, nothing in a
 * repository is ever rewritten in place, and the one command that deletes
 * (prune) takes that lock exclusively.
 */
#include "verify.h"
#include "strata/catalog.h"
#include "strata/frames.h"
#include "strata/idxnode.h"
#include "strata/manifest.h"
#include "strata/pack.h"
#include "strata/verifyrec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

enum { CH_UNCHECKED, CH_OK, CH_BAD };

struct vchunk {
	struct pack_entry e;
	uint32_t pack; /* index into packs[] */
	uint8_t state;
	int rc;        /* CH_BAD: what chunk_check said */
};

struct verify {
	const struct verify_opts *o;
	struct repo r;
	char **packs, **gens;
	size_t npacks, ngens;
	struct vchunk *ch;
	size_t nch, capch;
	struct verify_result *res;
	uint64_t sample_key; /* --read-data=P%: which copies this run checks */
	unsigned nthreads;   /* packs checked at once */
};

/*
 * One line of output, appended to b after prefix.  Names in it come from
 * the repository's directories and from the database (table names):
 * escaped, so that no name can split the line or reach the terminal as a
 * control sequence.
 */
static void vline(struct buf *b, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void vline(struct buf *b, const char *prefix, const char *fmt, va_list ap)
{
	char *raw = NULL;
	if (vasprintf(&raw, fmt, ap) < 0)
		return;
	buf_adds(b, prefix);
	buf_add_printable(b, raw, strlen(raw));
	buf_addc(b, '\n');
	free(raw);
}

static void vsay(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void vsay(const char *prefix, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;
	vline(&b, prefix, fmt, ap);
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

static void problem(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct verify *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay("damaged: ", fmt, ap);
	va_end(ap);
	v->res->problems++;
}

/*
 * What checking one pack found, kept until every pack before it is
 * merged: packs are checked by several threads, and reported (lines,
 * counts, chunks) in pack order as a single thread would.
 */
struct packres {
	struct vchunk *ch;
	size_t nch;
	struct buf out; /* its "damaged: " lines */
	struct verify_result r;
};

static void pack_problem(struct packres *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pack_problem(struct packres *pr, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vline(&pr->out, "damaged: ", fmt, ap);
	va_end(ap);
	pr->r.problems++;
}

static int cmpstrp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The generations and packs as every reader recognises them (strata/repo.h);
 * anything else below generations/ or packs/ is noted.
 */
static int list_repo(struct verify *v)
{
	struct namelist gens = { 0 }, packs = { 0 }, strays = { 0 };
	int rc = repo_list_gens(&v->r, &gens, &strays);
	for (size_t i = 0; i < strays.n; i++) {
		say("note: generations/%s is not a manifest; ignored", strays.v[i]);
		v->res->notes++;
	}
	namelist_release(&strays);
	if (!rc)
		rc = repo_list_packs(&v->r, &packs, &strays);
	for (size_t i = 0; i < strays.n; i++) {
		say("note: packs/%s is not a pack name; ignored", strays.v[i]);
		v->res->notes++;
	}
	namelist_release(&strays);
	v->gens = gens.v;
	v->ngens = gens.n;
	v->packs = packs.v;
	v->npacks = packs.n;
	return rc;
}

static int cmp_vchunk(const void *a, const void *b)
{
	const struct vchunk *x = a, *y = b;
	int c = memcmp(x->e.id.b, y->e.id.b, 16);
	/* a chunk held twice: prefer an intact copy, then the first pack */
	if (!c)
		c = (x->state == CH_BAD) - (y->state == CH_BAD);
	if (!c)
		c = (x->pack > y->pack) - (x->pack < y->pack);
	return c;
}

static const struct vchunk *find_chunk(const struct verify *v, const struct chunk_id *id)
{
	size_t lo = 0, hi = v->nch;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(v->ch[mid].e.id.b, id->b, 16);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->nch && !memcmp(v->ch[lo].e.id.b, id->b, 16) ? &v->ch[lo] : NULL;
}

/*
 * Whether this copy's data is checked: all of them, or (--read-data=P%) a
 * random P% drawn per copy from a key chosen at random for this run.
 */
static bool sampled(const struct verify *v, const struct chunk_id *id, const char *pack)
{
	if (!v->o->percent || v->o->percent >= 100)
		return true;
	uint8_t in[16 + 32 + 8];
	memcpy(in, id->b, 16);
	memcpy(in + 16, pack, 32);
	memcpy(in + 48, &v->sample_key, 8);
	return XXH3_64bits(in, sizeof(in)) % 10000 < (uint64_t)v->o->percent * 100;
}

/*
 * Damaged copies, once every pack is read: a copy whose id another pack
 * holds intact is healed (a backup stored the chunk again, and the catalog
 * serves that copy): a note; otherwise damage.
 */
static void report_bad(struct verify *v)
{
	for (size_t i = 0; i < v->nch; i++) {
		const struct vchunk *c = &v->ch[i];
		if (c->state != CH_BAD)
			continue;
		const struct vchunk *best = find_chunk(v, &c->e.id); /* an intact copy sorts first */
		const char *name = v->packs[c->pack];
		char id[33];
		chunk_id_hex(id, &c->e.id);
		const char *why = c->rc == -EBADMSG ? "content does not match its checksum" :
				  c->rc == -EIO ? "read error" : "does not decode";
		if (best && best->state == CH_OK) {
			const char *good = v->packs[best->pack];
			say("note: pack packs/%.2s/%s.pack: chunk %s at offset %llu: %s; healed: an intact copy in packs/%.2s/%s.pack holds it (the catalog serves that one from the next 'strata index', backup or ls; 'strata prune' removes the damaged copy)",
			    name, name, id, (unsigned long long)c->e.offset, why, good, good);
			v->res->notes++;
			v->res->healed++;
		} else {
			problem(v, "pack packs/%.2s/%s.pack: chunk %s at offset %llu: %s", name, name, id,
				(unsigned long long)c->e.offset, why);
		}
	}
}

static void check_pack(const struct verify *v, uint32_t pi, ZSTD_DCtx *dctx, struct packres *pr)
{
	const char *name = v->packs[pi];
	struct pack_entry *e = NULL;
	struct store_file *f = NULL;
	size_t n = 0;
	uint64_t size = 0;
	int rc = repo_open_pack(&v->r, name, &f);

	if (rc) {
		pack_problem(pr, "pack packs/%.2s/%s.pack: cannot open: %s", name, name,
			rc == -ELOOP ? "it is a symbolic link" :
			rc == -EUCLEAN ? "not a regular file" : strerror(-rc));
		goto out;
	}
	/* a remote pack read whole: one request for all of it, not one per chunk
	 * (up to 256 MiB held at once by all checkers, 64 MiB at least by each) */
	if (!v->r.store->local && !v->o->quick && (!v->o->percent || v->o->percent >= 100))
		rc = store_file_load(&f, v->nthreads > 4 ? 64u << 20 : (256u << 20) / v->nthreads);
	if (!rc)
		rc = pack_read_index(f, &e, &n, &size);
	if (rc) {
		pack_problem(pr, "pack packs/%.2s/%s.pack: %s", name, name,
			rc == -EBADMSG ? "index checksum mismatch" :
			rc == -EUCLEAN ? "bad pack structure (header, trailer or index)" : strerror(-rc));
		goto out;
	}
	/* the name is the xxh3-128 of the index bytes, which end 32 bytes before EOF */
	uint64_t idxlen = (uint64_t)n * PACK_ENTRY_SIZE;
	uint8_t *idx = xmalloc(idxlen ? idxlen : 1);
	int got = store_pread(f, idx, idxlen, size - PACK_TRAILER_SIZE - idxlen);
	struct chunk_id pid;
	char hex[33];
	chunk_id_of(&pid, idx, got ? 0 : idxlen);
	chunk_id_hex(hex, &pid);
	free(idx);
	if (got || strcmp(hex, name)) {
		pack_problem(pr, "pack packs/%.2s/%s.pack: its index does not match its name (a renamed or replaced pack)",
			name, name);
		goto out;
	}
	pr->r.packs++;
	pr->r.pack_bytes += size;
	pr->ch = xmalloc((n ? n : 1) * sizeof(*pr->ch));
	for (size_t i = 0; i < n; i++) {
		uint8_t state = CH_UNCHECKED;
		rc = 0;
		if (!v->o->quick && sampled(v, &e[i].id, name)) {
			/* format 1: decode, hash, render; format 2: every frame's
			 * checksum, the content checksum, the row count, and the
			 * typed rows rebuilt from CSV + side stream against the id
			 * (reported once every pack is read: see report_bad) */
			rc = chunk_check(f, &e[i], dctx);
			state = rc ? CH_BAD : CH_OK;
			pr->r.chunks_read++;
			if (!rc)
				pr->r.chunk_bytes += e[i].ulen;
		}
		struct vchunk *c = &pr->ch[pr->nch++];
		c->e = e[i];
		c->pack = pi;
		c->state = state;
		c->rc = rc;
		if (pack_entry_is_node(&e[i]))
			pr->r.nodes++;
		else
			pr->r.chunks++;
	}
out:
	store_file_close(f);
	free(e);
}

/*
 * Check every pack: by one thread per core (up to 8), each taking the next
 * unchecked pack; the results are merged in pack order, so the output and
 * v->ch are what one thread checking them in turn would give.
 */
struct checkers {
	const struct verify *v;
	struct packres *pr;
	uint32_t next; /* the next pack to take (atomic) */
};

static void *checker(void *arg)
{
	struct checkers *c = arg;
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	for (;;) {
		uint32_t i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED);
		if (i >= c->v->npacks)
			break;
		check_pack(c->v, i, dctx, &c->pr[i]);
	}
	ZSTD_freeDCtx(dctx);
	return NULL;
}

static void check_packs(struct verify *v)
{
	struct checkers c = { .v = v, .pr = xcalloc(v->npacks ? v->npacks : 1, sizeof(*c.pr)) };
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (size_t)ncpu;
	if (nt > v->npacks)
		nt = v->npacks ? v->npacks : 1;
	v->nthreads = (unsigned)nt;
	pthread_t tid[8];
	size_t started = 0;
	for (size_t t = 1; t < nt; t++)
		if (!pthread_create(&tid[started], NULL, checker, &c))
			started++;
	checker(&c); /* this thread is one of them */
	for (size_t t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	for (uint32_t i = 0; i < v->npacks; i++) {
		struct packres *pr = &c.pr[i];
		if (pr->out.len)
			fwrite(pr->out.data, 1, pr->out.len, stdout);
		buf_release(&pr->out);
		v->res->problems += pr->r.problems;
		v->res->packs += pr->r.packs;
		v->res->pack_bytes += pr->r.pack_bytes;
		v->res->chunks_read += pr->r.chunks_read;
		v->res->chunk_bytes += pr->r.chunk_bytes;
		v->res->nodes += pr->r.nodes;
		v->res->chunks += pr->r.chunks;
		if (v->nch + pr->nch > v->capch) {
			while (v->nch + pr->nch > v->capch)
				v->capch = v->capch ? v->capch * 2 : 1024;
			v->ch = xrealloc(v->ch, v->capch * sizeof(*v->ch));
		}
		if (pr->nch)
			memcpy(v->ch + v->nch, pr->ch, pr->nch * sizeof(*pr->ch));
		v->nch += pr->nch;
		free(pr->ch);
	}
	free(c.pr);
}

/* An index node's nth copy, as the packs read by this run say (intact ones first). */
static int node_where(void *arg, const struct chunk_id *id, unsigned nth, struct pack_entry *e,
		      char pack[33])
{
	const struct verify *v = arg;
	const struct vchunk *c = find_chunk(v, id);
	if (!c || (size_t)(c - v->ch) + nth >= v->nch || memcmp(c[nth].e.id.b, id->b, 16))
		return -ENOENT;
	*e = c[nth].e;
	snprintf(pack, 33, "%s", v->packs[c[nth].pack]);
	return 0;
}

static void check_gen(struct verify *v, const char *name, struct idxnode_reader *rd)
{
	struct manifest m;
	unsigned long long bad = 0;
	int rc = manifest_load(&v->r, name, NULL, &m, NULL);

	v->res->gens++;
	if (rc) {
		problem(v, "generation %s: manifest %s", name,
			rc == -EBADMSG ? "checksum mismatch" :
			rc == -EUCLEAN ? "has a bad structure" :
			rc == -EPROTONOSUPPORT ? "was written by a newer strata" : strerror(-rc));
		v->res->bad_gens++;
		return;
	}
	/* version 5: its chunk lists, from index nodes in the packs */
	rc = manifest_resolve(&m, idxnode_get, rd);
	if (rc) {
		problem(v, "generation %s: its index nodes %s", name,
			rc == -ENOENT ? "are not all in a pack" :
			rc == -EBADMSG ? "are damaged" :
			rc == -EUCLEAN ? "do not fit its manifest" : strerror(-rc));
		v->res->bad_gens++;
		manifest_release(&m);
		return;
	}
	if (strcmp(m.name, name)) {
		problem(v, "generation %s: the manifest names itself '%s' (renamed by hand?)", name, m.name);
		v->res->bad_gens++;
		manifest_release(&m);
		return;
	}
	for (size_t t = 0; t < m.ntables; t++) {
		const struct manifest_table *tb = &m.tables[t];
		for (size_t i = 0; i < tb->nchunks; i++) {
			const struct manifest_chunk *mc = &tb->chunks[i];
			const struct vchunk *c = find_chunk(v, &mc->id);
			const char *why = NULL;
			if (!c)
				why = "is in no pack";
			else if (c->state == CH_BAD)
				why = "is damaged";
			else if (c->e.ulen != mc->ulen || c->e.nrows != mc->nrows || c->e.csv_len != mc->csv_len)
				why = "has other sizes in its pack than the manifest states";
			if (why) {
				char id[33];
				chunk_id_hex(id, &mc->id);
				if (bad < 5)
					problem(v, "generation %s, table '%s': chunk %s %s", name, tb->name, id, why);
				else
					v->res->problems++;
				bad++;
			}
		}
	}
	if (bad > 5)
		say("damaged: generation %s: %llu more chunks like the above", name, bad - 5);
	if (bad)
		v->res->bad_gens++;
	manifest_release(&m);
}

/* The catalog is derived: compare generation names and report drift as a note. */
static void check_catalog(struct verify *v)
{
	struct catalog c;
	struct cat_gen *g = NULL;
	size_t n = 0;
	struct stat st;

	if (stat(v->r.catalog, &st) < 0) {
		say("note: there is no catalog; 'strata index %s' creates it", v->r.path);
		v->res->notes++;
		return;
	}
	if (catalog_open(&c, v->r.catalog, true) || catalog_list_gens(&c, &g, &n)) {
		say("note: the catalog cannot be read; 'strata index --rebuild %s' rebuilds it", v->r.path);
		v->res->notes++;
		if (c.db)
			catalog_close(&c);
		return;
	}
	size_t missing = 0, extra = 0;
	for (size_t i = 0; i < v->ngens; i++) {
		bool found = false;
		for (size_t j = 0; j < n && !found; j++)
			found = !strcmp(g[j].name, v->gens[i]);
		missing += !found;
	}
	for (size_t j = 0; j < n; j++) {
		char *key = g[j].name;
		extra += !bsearch(&key, v->gens, v->ngens, sizeof(char *), cmpstrp);
	}
	if (missing || extra) {
		say("note: the catalog is out of date (%zu generations not in it, %zu no longer on disk); "
		       "'strata index %s' updates it", missing, extra, v->r.path);
		v->res->notes++;
	}
	catalog_free_gens(g, n);
	catalog_close(&c);
}

/*
 * Keep what this check found in REPO/verify-status (strata/verifyrec.h), for
 * `strata status` and for backups, which must not reuse a damaged chunk
 * silently.  A quick check keeps the damaged list of the last full one.
 */
static void record(struct verify *v, int64_t t0)
{
	struct verify_record rec;
	struct verify_run_rec *run;
	int rc = verifyrec_read(&v->r, &rec);
	if (rc)
		memset(&rec, 0, sizeof(rec)); /* unreadable: replaced by this check's */
	bool sample = !v->o->quick && v->o->percent && v->o->percent < 100;
	/* a sampled data check is not a full one: it is kept as the quick check */
	run = v->o->quick || sample ? &rec.quick : &rec.full;
	run->time = t0 > 0 ? t0 : 1;
	int64_t t1 = (int64_t)time(NULL);
	run->seconds = t1 > t0 ? (uint64_t)(t1 - t0) : 0; /* the clock may step back */
	run->problems = v->res->problems;
	run->generations = v->res->gens;
	run->bad_generations = v->res->bad_gens;
	run->packs = v->res->packs;
	run->pack_bytes = v->res->pack_bytes;
	run->chunks = v->res->chunks;
	if (!v->o->quick && (!v->o->percent || v->o->percent >= 100)) {
		free(rec.damaged);
		free(rec.copies);
		rec.damaged = NULL;
		rec.copies = NULL;
		rec.ndamaged = rec.ncopies = rec.capcopies = 0;
		for (size_t i = 0; i < v->nch; i++) {
			const struct vchunk *c = &v->ch[i];
			if (c->state != CH_BAD)
				continue;
			/* no intact copy sorts before it: there is none */
			verifyrec_add(&rec, &c->e.id, v->packs[c->pack], find_chunk(v, &c->e.id) == c);
		}
	} else if (sample) {
		/* what the sample found damaged is added; what it did not read stays as it was */
		struct verify_record add = { 0 };
		for (size_t i = 0; i < v->nch; i++) {
			const struct vchunk *c = &v->ch[i];
			if (c->state != CH_BAD || verifyrec_damaged_copy(&rec, &c->e.id, v->packs[c->pack]))
				continue;
			verifyrec_add(&add, &c->e.id, v->packs[c->pack],
				      find_chunk(v, &c->e.id) == c && !verifyrec_damaged(&rec, &c->e.id));
		}
		/* appended only now: the lookups above need rec sorted */
		for (size_t i = 0, d = 0; i < add.ncopies; i++) {
			bool id_too = d < add.ndamaged && !memcmp(add.damaged[d].b, add.copies[i].id.b, 16);
			verifyrec_add(&rec, &add.copies[i].id, add.copies[i].pack, id_too);
			d += id_too;
		}
		verifyrec_release(&add);
	}
	rc = verifyrec_write(&v->r, &rec);
	if (rc) {
		say("note: cannot record the result in '%s/" VERIFYREC_NAME "': %s; 'strata status' will not show this check",
		       v->r.path, strerror(-rc));
		v->res->notes++;
	}
	verifyrec_release(&rec);
}

static void wait_note(const char *holder, void *arg)
{
	(void)arg;
	fprintf(stderr, "strata: waiting for %s to finish\n", *holder ? holder : "a prune");
}

int verify_run(const char *path, const struct verify_opts *o, struct verify_result *res, char **err)
{
	struct verify v = { .o = o, .res = res };
	int rc;

	int64_t t0 = (int64_t)time(NULL);

	memset(res, 0, sizeof(*res));
	rc = repo_open(&v.r, path);
	if (rc) {
		*err = repo_open_message(path, &v.r, rc);
		return rc;
	}
	/*
	 * Shared with other verifies, exclusive with prune: the files listed
	 * below must not be deleted before they are read.  (Where the lock
	 * file cannot be written, no prune can run either.)
	 */
	rc = repo_lock_gc(&v.r, false, "verify", -1, wait_note, NULL);
	/* no lock file and none may be made here: nobody who could prune has run */
	if (rc == -ENOENT)
		rc = 0;
	if (rc) {
		*err = xasprintf("cannot lock repository '%s' against prune: %s", path, strerror(-rc));
		goto out;
	}
	rc = list_repo(&v);
	if (rc) {
		*err = xasprintf("cannot list the repository '%s': %s", path, strerror(-rc));
		goto out;
	}
	if (getrandom(&v.sample_key, sizeof(v.sample_key), 0) != sizeof(v.sample_key))
		v.sample_key = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	check_packs(&v);
	clock_gettime(CLOCK_MONOTONIC, &b);
	res->seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	if (v.nch)
		qsort(v.ch, v.nch, sizeof(*v.ch), cmp_vchunk);
	report_bad(&v);
	struct idxnode_reader rd = { .r = &v.r, .where = node_where, .where_arg = &v };
	for (size_t i = 0; i < v.ngens; i++)
		check_gen(&v, v.gens[i], &rd);
	idxnode_reader_done(&rd);
	check_catalog(&v);
	record(&v, t0);
out:
	for (size_t i = 0; i < v.npacks; i++)
		free(v.packs[i]);
	for (size_t i = 0; i < v.ngens; i++)
		free(v.gens[i]);
	free(v.packs);
	free(v.gens);
	free(v.ch);
	repo_close(&v.r);
	return rc;
}

