/*
 * Fuzz every name the mount looks up: fs/stratafs.c resolve() turns a name
 * in a directory into catalog_gen_by_name / catalog_table_by_dir /
 * catalog_table_by_idx / catalog_chunk_by_name queries, and stat_ino() turns
 * an inode number into catalog_gen_by_seq / catalog_table_by_idx /
 * catalog_chunk_by_seqno.  The repository (lookup_fixture.h) is built once;
 * each input is then checked against what the fixture wrote: a name or an
 * inode hits if and only if it exists, and a hit is exactly that object.
 *
 * Input: byte 0 selects the mode and the directory; bit 7 clear: the rest
 * (up to a NUL, as a kernel name) is a name looked up in directory
 * byte0 % nparents; bit 7 set: bytes 1..8 are an inode number (LE).
 */
#include "fuzz.h"
#include "lookup_fixture.h"

#include <stdbool.h>

#define NONE ((size_t)-1)

static struct fx fx;
static struct catalog cat;

static void cleanup(void)
{
	catalog_close(&cat);
	fx_free(&fx);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fx_describe(&fx);
	if (fx_build(&fx)) {
		fprintf(stderr, "fuzz_lookup: cannot build the fixture repository\n");
		abort();
	}
	/* as the mount opens it */
	char *path = xasprintf("%s/catalog.db", fx.repo);
	if (catalog_open(&cat, path, true)) {
		fprintf(stderr, "fuzz_lookup: cannot open %s\n", path);
		abort();
	}
	free(path);
	atexit(cleanup);
	return 0;
}

static size_t find_gen_by_name(const char *name)
{
	for (size_t g = 0; g < fx.ngens; g++)
		if (!strcmp(fx.gens[g].name, name))
			return g;
	return NONE;
}

static size_t find_gen_by_seq(uint64_t seq)
{
	for (size_t g = 0; g < fx.ngens; g++)
		if (fx.gens[g].seq == seq)
			return g;
	return NONE;
}

static void check_table(const struct cat_table *t, size_t g, size_t tidx)
{
	const struct manifest_table *mt = &fx.gens[g].tables[tidx];
	size_t hdr = 0;
	for (unsigned i = 0; i < mt->ncols; i++)
		hdr += strlen(mt->cols[i]) + 1; /* no quoting needed except "col,1" */
	FUZZ_ASSERT(t->tidx == tidx && t->tidx <= 0xffff);
	FUZZ_ASSERT(!strcmp(t->dirname, mt->dirname));
	FUZZ_ASSERT(t->nrows == mt->nrows && t->nchunks == mt->nchunks &&
		    t->csv_size == mt->csv_size);
	FUZZ_ASSERT(t->header_len >= hdr && t->header_len <= hdr + 2 + (mt->ncols == 0));
}

static void check_chunk(const struct cat_chunk *ch, size_t g, size_t tidx, size_t k)
{
	const struct manifest_table *mt = &fx.gens[g].tables[tidx];
	const struct manifest_chunk *mc = &mt->chunks[k];
	uint64_t off = 0;
	for (size_t i = 0; i < k; i++)
		off += mt->chunks[i].csv_len;
	FUZZ_ASSERT(ch->seqno == k && ch->seqno <= 0xfffff);
	FUZZ_ASSERT(!memcmp(ch->e.id.b, mc->id.b, 16));
	FUZZ_ASSERT(ch->e.ulen == mc->ulen && ch->e.nrows == mc->nrows &&
		    ch->e.csv_len == mc->csv_len && ch->csv_off == off);
	FUZZ_ASSERT(strlen(ch->pack) == 32 && ch->e.offset >= PACK_HEADER_SIZE && ch->e.clen > 0);
}

/* resolve(), directory by directory, against the fixture */
static void lookup(const struct fx_parent *p, const char *name)
{
	const struct manifest *m = &fx.gens[p->gen];
	struct cat_gen g;
	struct cat_table t;
	struct cat_chunk ch;
	size_t want = NONE;
	int rc;

	switch (p->kind) {
	case FX_ROOT:
		if (!strcmp(name, "latest"))
			return;
		rc = catalog_gen_by_name(&cat, name, &g);
		want = find_gen_by_name(name);
		FUZZ_ASSERT(rc == 0 || rc == -ENOENT);
		FUZZ_ASSERT((rc == 0) == (want != NONE));
		if (rc == 0) {
			FUZZ_ASSERT(!strcmp(g.name, name) && g.seq == fx.gens[want].seq);
			FUZZ_ASSERT(g.ntables == fx.gens[want].ntables && g.time == fx.gens[want].time);
		}
		return;
	case FX_GEN:
		if (!strcmp(name, "generation.json") || !strcmp(name, "schema.sql"))
			return;
		rc = catalog_table_by_dir(&cat, m->seq, name, &t);
		for (size_t i = 0; i < m->ntables; i++)
			if (!strcmp(m->tables[i].dirname, name))
				want = i;
		FUZZ_ASSERT(rc == 0 || rc == -ENOENT);
		FUZZ_ASSERT((rc == 0) == (want != NONE));
		if (rc == 0) {
			check_table(&t, p->gen, want);
			free(t.dirname);
			/* and the inode it gives resolves back to the same table */
			FUZZ_ASSERT(catalog_table_by_idx(&cat, m->seq, (uint32_t)want, &t) == 0);
			FUZZ_ASSERT(!strcmp(t.dirname, name));
			free(t.dirname);
		}
		return;
	case FX_TABLE: {
		if (!strcmp(name, "schema.sql") || !strcmp(name, "rows"))
			return;
		rc = catalog_table_by_idx(&cat, m->seq, (uint32_t)p->tidx, &t);
		FUZZ_ASSERT(rc == 0);
		check_table(&t, p->gen, p->tidx);
		size_t dl = strlen(t.dirname);
		bool match = strlen(name) == dl + 4 && !strncmp(name, t.dirname, dl) &&
			     !strcmp(name + dl, ".csv");
		char *csv = xasprintf("%s.csv", m->tables[p->tidx].dirname);
		FUZZ_ASSERT(match == !strcmp(name, csv));
		free(csv);
		free(t.dirname);
		return;
	}
	case FX_ROWS: {
		const struct manifest_table *mt = &m->tables[p->tidx];
		rc = catalog_chunk_by_name(&cat, m->seq, (uint32_t)p->tidx, name, &ch);
		for (size_t k = 0; k < mt->nchunks; k++)
			if (!strcmp(fx.fnames[p->gen][p->tidx][k], name))
				want = k;
		FUZZ_ASSERT(rc == 0 || rc == -ENOENT);
		FUZZ_ASSERT((rc == 0) == (want != NONE));
		if (rc == 0) {
			check_chunk(&ch, p->gen, p->tidx, want);
			FUZZ_ASSERT(catalog_chunk_by_seqno(&cat, m->seq, (uint32_t)p->tidx,
							   ch.seqno, &ch) == 0);
			check_chunk(&ch, p->gen, p->tidx, want);
		}
		return;
	}
	}
}

/* stat_ino(): decode an inode number as the mount does and query it */
static void by_inode(uint64_t ino)
{
	unsigned type = (unsigned)(ino >> 60);
	uint64_t seq = (ino >> 36) & 0xffffff;
	uint32_t tidx = (uint32_t)((ino >> 20) & 0xffff), k = (uint32_t)(ino & 0xfffff);
	struct cat_gen g;
	struct cat_table t;
	struct cat_chunk ch;
	size_t want = find_gen_by_seq(seq);
	int rc = catalog_gen_by_seq(&cat, seq, &g);

	FUZZ_ASSERT(rc == 0 || rc == -ENOENT);
	FUZZ_ASSERT((rc == 0) == (want != NONE));
	if (rc)
		return;
	FUZZ_ASSERT(g.seq == seq && !strcmp(g.name, fx.gens[want].name));
	if (type < 4)
		return;
	const struct manifest *m = &fx.gens[want];
	rc = catalog_table_by_idx(&cat, seq, tidx, &t);
	FUZZ_ASSERT(rc == 0 || rc == -ENOENT);
	FUZZ_ASSERT((rc == 0) == (tidx < m->ntables));
	if (rc)
		return;
	check_table(&t, want, tidx);
	free(t.dirname);
	if (type != 8)
		return;
	rc = catalog_chunk_by_seqno(&cat, seq, tidx, k, &ch);
	FUZZ_ASSERT(rc == 0 || rc == -ENOENT);
	FUZZ_ASSERT((rc == 0) == (k < m->tables[tidx].nchunks));
	if (rc == 0)
		check_chunk(&ch, want, tidx, k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 0x80) {
		uint8_t b[8] = { 0 };
		memcpy(b, data + 1, size - 1 < 8 ? size - 1 : 8);
		by_inode(get_u64le(b));
		return 0;
	}
	/* a kernel name stops at its NUL */
	const uint8_t *nul = memchr(data + 1, 0, size - 1);
	size_t n = nul ? (size_t)(nul - (data + 1)) : size - 1;
	char *name = xstrndup((const char *)data + 1, n);
	lookup(&fx.parents[data[0] % fx.nparents], name);
	free(name);
	return 0;
}
