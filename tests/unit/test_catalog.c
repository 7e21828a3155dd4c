/*
 * Unit tests for lib/catalog.c: sync from a hand-built repository, the
 * mount's queries, rebuild equivalence, query plans.
 */
#include "check.h"
#include "testutil.h"
#include "strata/catalog.h"
#include "../../lib/catalog_i.h"
#include "strata/frames.h"
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/repo.h"

#include <fcntl.h>
#include <sys/stat.h>


static struct built chunks[8];

static void build_chunk(int i, int64_t first, unsigned nrows, const char *tag)
{
	struct built *b = &chunks[i];
	b->data = make_chunk(first, nrows, tag, &b->e, &b->len, &b->fk, &b->lk);
}

static void write_pack(const struct repo *r, const int *which, int n, char name[33])
{
	struct pack_writer *w;
	CHECK(pack_writer_open(&w, r->store) == 0);
	for (int i = 0; i < n; i++) {
		struct built *b = &chunks[which[i]];
		size_t clen;
		uint8_t *c = compress_chunk(b->data, b->len, &clen);
		b->e.clen = (uint32_t)clen;
		CHECK(pack_writer_add(w, &b->e, c) == 0);
		free(c);
	}
	CHECK(pack_writer_finish(w, name) == 0);
}

static void add_table(struct manifest_table *t, const char *name, const int *which, int n)
{
	built_table(t, name, chunks, which, n);
}

static void gen_init(struct manifest *m, uint64_t seq, const char *name, int64_t t)
{
	test_gen_init(m, seq, name, t, "CREATE TABLE a(n INTEGER, text, r);");
	free(m->label);
	m->label = xasprintf("label %llu", (unsigned long long)seq);
	m->source_bytes = 1000;
	m->new_bytes = 500;
}

/* Everything the mount can ask, as text: equal text means equal answers. */
static void dump(struct catalog *c, struct buf *o)
{
	struct cat_gen *g;
	size_t ng;
	buf_reset(o);
	CHECK(catalog_list_gens(c, &g, &ng) == 0);
	for (size_t i = 0; i < ng; i++) {
		buf_addf(o, "gen %llu %s %lld t=%llu r=%llu lb=%llu nb=%llu j=%llu s=%llu '%s'\n",
			 (unsigned long long)g[i].seq, g[i].name, (long long)g[i].time,
			 (unsigned long long)g[i].ntables, (unsigned long long)g[i].nrows,
			 (unsigned long long)g[i].logical_bytes, (unsigned long long)g[i].new_bytes,
			 (unsigned long long)g[i].json_len, (unsigned long long)g[i].schema_len,
			 g[i].label);
		char *txt;
		size_t len;
		CHECK(catalog_gen_text(c, g[i].seq, true, &txt, &len) == 0);
		buf_add(o, txt, len);
		free(txt);
		struct cat_table *t;
		size_t nt;
		CHECK(catalog_list_tables(c, g[i].seq, &t, &nt) == 0);
		for (size_t k = 0; k < nt; k++) {
			buf_addf(o, " table %u %s r=%llu c=%llu csv=%llu h=%llu s=%llu\n", t[k].tidx,
				 t[k].dirname, (unsigned long long)t[k].nrows,
				 (unsigned long long)t[k].nchunks, (unsigned long long)t[k].csv_size,
				 (unsigned long long)t[k].header_len,
				 (unsigned long long)t[k].schema_len);
			struct cat_chunk *ch;
			size_t nc;
			CHECK(catalog_table_chunks(c, g[i].seq, t[k].tidx, true, &ch, &nc) == 0);
			for (size_t j = 0; j < nc; j++) {
				char hex[33];
				chunk_id_hex(hex, &ch[j].e.id);
				buf_addf(o, "  %u %s %s off=%llu cl=%u ul=%u n=%llu csv=%llu at=%llu %s\n",
					 ch[j].seqno, ch[j].fname, hex,
					 (unsigned long long)ch[j].e.offset, ch[j].e.clen, ch[j].e.ulen,
					 (unsigned long long)ch[j].e.nrows,
					 (unsigned long long)ch[j].e.csv_len,
					 (unsigned long long)ch[j].csv_off, ch[j].pack);
			}
			catalog_free_chunks(ch, nc);
		}
		catalog_free_tables(t, nt);
	}
	catalog_free_gens(g, ng);
}

/* ---- query plans ---- */

#define GEN_COLS "seq, name, time, ntables, nrows, logical_bytes, new_bytes, length(CAST(json AS BLOB)), length(CAST(schema_sql AS BLOB)), label, id, source"
#define TABLE_COLS "tidx, dirname, nrows, nchunks, csv_size, length(CAST(header AS BLOB)), length(CAST(schema_sql AS BLOB))"
#define GROUP_COLS "grp, first_seqno, nchunks, name"

/* ordered: 0 probes, 1 an ordered index walk, 2 probes whose results are sorted */
static void plan(struct catalog *c, const char *sql, int ordered)
{
	sqlite3_stmt *st;
	char *q = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	int rc = sqlite3_prepare_v2(c->db, q, -1, &st, NULL);
	CHECKF(rc == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(c->db));
	free(q);
	if (rc != SQLITE_OK)
		return;
	int steps = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);
		steps++;
		if (ordered == 1) {
			/* an index walk is the point of an ordered listing; a full scan
			 * or a sort is not */
			CHECKF(!strstr(d, "SCAN") || strstr(d, "USING INDEX") ||
				       strstr(d, "USING COVERING INDEX") ||
				       strstr(d, "USING PRIMARY KEY"),
			       "plan of [%s]: %s", sql, d);
			CHECKF(!strstr(d, "TEMP B-TREE"), "plan of [%s]: %s", sql, d);
		} else {
			/* 2: probes whose few results are sorted */
			CHECKF(!strstr(d, "SCAN") && (ordered == 2 || !strstr(d, "TEMP B-TREE")),
			       "plan of [%s]: %s", sql, d);
		}
	}
	CHECK(steps > 0);
	sqlite3_finalize(st);
}

static void plans(struct catalog *c)
{
	/* point lookups: must be index probes */
	plan(c, "SELECT " GEN_COLS " FROM generations WHERE name=?", 0);
	plan(c, "SELECT " GEN_COLS " FROM generations WHERE seq=?", 0);
	plan(c, "SELECT json FROM generations WHERE seq=?", 0);
	plan(c, "SELECT 1 FROM generations WHERE name=?", 0);
	plan(c, "SELECT " TABLE_COLS " FROM tables WHERE seq=? AND dirname=?", 0);
	plan(c, "SELECT " TABLE_COLS " FROM tables WHERE seq=? AND tidx=?", 0);
	plan(c, "SELECT header FROM tables WHERE seq=? AND tidx=?", 0);
	plan(c, SQL_CHUNK_BY_NAME, 0);
	plan(c, SQL_CHUNK_BY_SEQNO, 0);
	plan(c, SQL_CHUNK_KEYS, 0);
	plan(c, SQL_FILE_NEWEST, 2);
	plan(c, "SELECT ulen, nrows, csv_len FROM chunks WHERE id=?", 0);
	plan(c, "SELECT " GROUP_COLS " FROM row_groups WHERE seq=? AND tidx=? AND name=?", 0);
	plan(c, "SELECT " GROUP_COLS " FROM row_groups WHERE seq=? AND tidx=? AND grp=?", 0);
	plan(c, "DELETE FROM table_nodes WHERE seq=(SELECT seq FROM generations WHERE name=?)", 0);
	plan(c, "SELECT 1 FROM nodes WHERE node_id=? AND k=0", 0);
	plan(c, "DELETE FROM chunks WHERE pack_id=(SELECT pack_id FROM packs WHERE name=?)", 0);
	/* ordered listings: index walks without a sort */
	plan(c, "SELECT " TABLE_COLS " FROM tables WHERE seq=? ORDER BY tidx", 1);
	plan(c, "SELECT " GEN_COLS " FROM generations ORDER BY time, seq", 1);
	plan(c, "SELECT " GROUP_COLS " FROM row_groups WHERE seq=? AND tidx=? ORDER BY grp", 1);
	plan(c, SQL_CHUNK_RANGE, 1);
	plan(c, "SELECT " GEN_COLS " FROM generations ORDER BY time DESC, seq DESC LIMIT 1", 1);
}

/* One segment list: get gives back exactly what put stored, or -ENOENT. */
static void segmap_is(struct catalog *c, const uint8_t ident[16], const struct chunk_id *id,
		      const char *want)
{
	uint8_t *d = (uint8_t *)"x";
	size_t n = 99;
	int rc = catalog_segmap_get(c, ident, id, &d, &n);
	if (!want) {
		CHECKF(rc == -ENOENT && d == NULL && n == 0, "segment list: rc %d, want none", rc);
		return;
	}
	CHECKF(rc == 0 && n == strlen(want) && !memcmp(d, want, n), "segment list: rc %d, want %s", rc, want);
	free(d);
}

static int pagemap_rows(const struct repo *r)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;
	if (sqlite3_open(r->catalog, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM pagemaps", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

/*
 * Segment lists (schema 11): stored per (ident, chunk id), the newest kept;
 * kept by a rebuild (not derived from the repository); dropped with their
 * chunk's last pack; and a schema 10 catalog gets the table in place,
 * keeping its page maps, where an older one is rebuilt from nothing.
 */
static void segmaps(struct catalog *c, const struct repo *r, const char *pack2)
{
	uint8_t ia[16], ib[16];
	struct catalog_sync_stats st;
	const struct chunk_id *c0 = &chunks[0].e.id, *c3 = &chunks[3].e.id, *c4 = &chunks[4].e.id;

	memset(ia, 0xa1, 16);
	memset(ib, 0xb2, 16);
	CHECK(catalog_segmap_put(c, ia, c0, (const uint8_t *)"a0", 2) == 0);
	CHECK(catalog_segmap_put(c, ib, c0, (const uint8_t *)"b0", 2) == 0);
	CHECK(catalog_segmap_put(c, ia, c3, (const uint8_t *)"a3", 2) == 0);
	segmap_is(c, ia, c0, "a0");
	segmap_is(c, ib, c0, "b0");
	segmap_is(c, ia, c3, "a3");
	segmap_is(c, ib, c3, NULL);
	segmap_is(c, ia, c4, NULL);
	CHECK(catalog_segmap_put(c, ia, c0, (const uint8_t *)"a0 again", 8) == 0);
	segmap_is(c, ia, c0, "a0 again");
	CHECK(catalog_sync(c, r, true, &st) == 0);
	segmap_is(c, ia, c0, "a0 again");
	segmap_is(c, ia, c3, "a3");

	/* the pack holding chunk 3 goes: its list goes, the others stay; the pack comes back */
	char *pp = xasprintf("%s/packs/%.2s/%s.pack", r->path, pack2, pack2);
	struct stat pst;
	CHECK(stat(pp, &pst) == 0);
	uint8_t *bytes = xmalloc((size_t)pst.st_size);
	int fd = open(pp, O_RDONLY);
	CHECK(fd >= 0 && read(fd, bytes, (size_t)pst.st_size) == pst.st_size);
	close(fd);
	CHECK(unlink(pp) == 0);
	CHECK(catalog_sync(c, r, false, &st) == 0 && st.packs_removed == 1);
	segmap_is(c, ia, c3, NULL);
	segmap_is(c, ia, c0, "a0 again");
	segmap_is(c, ib, c0, "b0");
	fd = open(pp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0 && write(fd, bytes, (size_t)pst.st_size) == pst.st_size);
	close(fd);
	CHECK(catalog_sync(c, r, false, &st) == 0 && st.packs_added == 1);

	/* one sync sees chunk 3's pack go and another pack holding it come: its list stays */
	CHECK(catalog_segmap_put(c, ia, c3, (const uint8_t *)"a3 again", 8) == 0);
	char pack3[33];
	int which[] = { 3, 4 }; /* not pack2's content: another pack */
	write_pack(r, which, 2, pack3);
	CHECK(unlink(pp) == 0);
	CHECK(catalog_sync(c, r, false, &st) == 0 && st.packs_removed == 1 && st.packs_added == 1);
	segmap_is(c, ia, c3, "a3 again");
	/* and back: pack2 again, the new pack gone */
	fd = open(pp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0 && write(fd, bytes, (size_t)pst.st_size) == pst.st_size);
	close(fd);
	char *pp3 = xasprintf("%s/packs/%.2s/%s.pack", r->path, pack3, pack3);
	CHECK(unlink(pp3) == 0);
	free(pp3);
	CHECK(catalog_sync(c, r, false, &st) == 0 && st.packs_removed == 1 && st.packs_added == 1);
	segmap_is(c, ia, c3, "a3 again");
	free(bytes);
	free(pp);

	/* a schema 10 catalog (no segmaps) with a page map: upgraded in place */
	CHECK(catalog_pagemap_put(c, "2026-11-21T020000Z", "00", "db", true, (const uint8_t *)"map", 3) == 0);
	catalog_close(c);
	sqlite3 *db;
	CHECK(sqlite3_open(r->catalog, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "DROP TABLE segmaps; UPDATE meta SET value = '10' WHERE key = 'schema_version'",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	struct catalog ro;
	struct cat_gen lg;
	/* a reader takes it as it is (it lacks only what backups use) */
	CHECK(catalog_open(&ro, r->catalog, true) == 0 && catalog_latest(&ro, &lg) == 0 && lg.seq == 2);
	catalog_close(&ro);
	CHECK(catalog_open(c, r->catalog, false) == 0);
	CHECK(pagemap_rows(r) == 1);
	segmap_is(c, ia, c0, NULL);
	CHECK(catalog_segmap_put(c, ia, c0, (const uint8_t *)"new", 3) == 0);
	segmap_is(c, ia, c0, "new");
	CHECK(catalog_open(&ro, r->catalog, true) == 0);
	catalog_close(&ro);

	/* an older schema is rebuilt from nothing: its page maps go; a reader refuses it */
	catalog_close(c);
	CHECK(sqlite3_open(r->catalog, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE meta SET value = '9' WHERE key = 'schema_version'", NULL, NULL,
			   NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(catalog_open(&ro, r->catalog, true) == -EPROTONOSUPPORT);
	CHECK(catalog_open(c, r->catalog, false) == 0);
	CHECK(pagemap_rows(r) == 0);
	segmap_is(c, ia, c0, NULL);
	CHECK(catalog_sync(c, r, false, &st) == 0 && st.gens_added == 2);
}

int main(void)
{
	char *dir = make_tmpdir("catalog");
	char *path = xasprintf("%s/repo", dir);
	struct repo_init_opts o = { .chunk_avg = 4096 };
	struct repo r;
	struct catalog c;
	struct catalog_sync_stats st;
	char pack1[33], pack2[33];

	CHECK(repo_init(path, &o) == 0);
	CHECK(repo_open(&r, path) == 0);

	/* table a: chunks 0,1,2 (gen 1), 0,1,3 (gen 2); table b: 4,5; empty table */
	build_chunk(0, 1, 40, "a");
	build_chunk(1, 41, 55, "a");
	build_chunk(2, 96, 30, "a");
	build_chunk(3, 96, 31, "a2");
	build_chunk(4, -1000, 10, "b");
	build_chunk(5, 5000000000LL, 12, "b");
	int p1[] = { 0, 1, 2, 4, 5 }, p2[] = { 3 };
	write_pack(&r, p1, 5, pack1);
	write_pack(&r, p2, 1, pack2);

	struct manifest g1, g2;
	gen_init(&g1, 1, "2026-11-20T020000Z", 1795140000);
	g1.ntables = 3;
	g1.tables = xcalloc(3, sizeof(*g1.tables));
	int ta1[] = { 0, 1, 2 }, tb[] = { 4, 5 }, ta2[] = { 0, 1, 3 };
	add_table(&g1.tables[0], "a", ta1, 3);
	add_table(&g1.tables[1], "order items/2024", tb, 2);
	add_table(&g1.tables[2], "empty", NULL, 0);
	test_write_gen(&r, &g1);
	gen_init(&g2, 2, "2026-11-21T020000Z", 1795140000 + 86400);
	g2.ntables = 2;
	g2.tables = xcalloc(2, sizeof(*g2.tables));
	add_table(&g2.tables[0], "a", ta2, 3);
	add_table(&g2.tables[1], ".hidden", tb, 2);
	test_write_gen(&r, &g2);

	CHECK(catalog_open(&c, r.catalog, false) == 0);
	CHECK(catalog_sync(&c, &r, false, &st) == 0);
	CHECK(test_node_packs == 2);
	CHECK(st.packs_added == 2 + test_node_packs && st.gens_added == 2 && st.bad_packs == 0 &&
	      st.bad_gens == 0 && st.packs_removed == 0 && st.gens_removed == 0);

	/* generations */
	struct cat_gen *gens, g;
	size_t ng;
	CHECK(catalog_list_gens(&c, &gens, &ng) == 0 && ng == 2);
	if (ng == 2) {
		CHECK(gens[0].seq == 1 && !strcmp(gens[0].name, g1.name) && gens[0].ntables == 3);
		CHECK(gens[1].seq == 2 && !strcmp(gens[1].name, g2.name) && gens[1].ntables == 2);
		CHECK(!strcmp(gens[0].label, "label 1"));
		CHECK(gens[0].nrows == 40 + 55 + 30 + 10 + 12);
		/* new bytes: the packs the backup wrote, and its manifest */
		struct stat mst;
		char *mp = xasprintf("%s/generations/%s.gen", r.path, g1.name);
		CHECK(stat(mp, &mst) == 0);
		free(mp);
		CHECK(gens[0].time == 1795140000 &&
		      gens[0].new_bytes == 500 + (uint64_t)mst.st_size);
		CHECK(!strcmp(gens[0].source, "/src/app.db"));
	}
	catalog_free_gens(gens, ng);
	CHECK(catalog_gen_by_name(&c, "2026-11-21T020000Z", &g) == 0 && g.seq == 2);
	CHECK(catalog_gen_by_name(&c, "nope", &g) == -ENOENT);
	CHECK(catalog_gen_by_seq(&c, 1, &g) == 0 && !strcmp(g.name, g1.name));
	CHECK(catalog_gen_by_seq(&c, 3, &g) == -ENOENT);
	CHECK(catalog_latest(&c, &g) == 0 && g.seq == 2);
	uint64_t seq;
	CHECK(catalog_max_seq(&c, &seq) == 0 && seq == 2);
	CHECK(catalog_name_taken(&c, g1.name) == 1 && catalog_name_taken(&c, "x") == 0);
	{
		char *txt;
		size_t len;
		CHECK(catalog_gen_by_seq(&c, 1, &g) == 0);
		CHECK(catalog_gen_text(&c, 1, true, &txt, &len) == 0 && len == g.json_len &&
		      strstr(txt, "\"name\": \"2026-11-20T020000Z\"") &&
		      strstr(txt, "\"path\": \"order items%2F2024\""));
		free(txt);
		CHECK(catalog_gen_text(&c, 1, false, &txt, &len) == 0 && len == g.schema_len &&
		      !strcmp(txt, g1.schema));
		free(txt);
		CHECK(catalog_gen_text(&c, 9, false, &txt, &len) == -ENOENT);
	}

	/* tables */
	struct cat_table *t, tt;
	size_t nt;
	CHECK(catalog_list_tables(&c, 1, &t, &nt) == 0 && nt == 3);
	if (nt == 3) {
		CHECK(t[0].tidx == 0 && !strcmp(t[0].dirname, "a") && t[0].nchunks == 3 &&
		      t[0].nrows == 125);
		CHECK(t[1].tidx == 1 && !strcmp(t[1].dirname, "order items%2F2024"));
		CHECK(t[2].tidx == 2 && !strcmp(t[2].dirname, "empty") && t[2].nchunks == 0 &&
		      t[2].csv_size == 0);
		CHECK(t[0].csv_size == g1.tables[0].csv_size);
		CHECK(t[0].header_len == strlen("n,text,r\n"));
	}
	catalog_free_tables(t, nt);
	CHECK(catalog_table_by_dir(&c, 1, "order items%2F2024", &tt) == 0 && tt.tidx == 1 &&
	      tt.nrows == 22);
	free(tt.dirname);
	CHECK(catalog_table_by_dir(&c, 2, "%2Ehidden", &tt) == 0 && tt.tidx == 1);
	free(tt.dirname);
	CHECK(catalog_table_by_dir(&c, 1, "order items/2024", &tt) == -ENOENT);
	CHECK(catalog_table_by_dir(&c, 2, "empty", &tt) == -ENOENT);
	CHECK(catalog_table_by_idx(&c, 1, 2, &tt) == 0 && !strcmp(tt.dirname, "empty"));
	free(tt.dirname);
	{
		char *txt;
		size_t len;
		CHECK(catalog_table_text(&c, 1, 0, CAT_TEXT_HEADER, &txt, &len) == 0 &&
		      !strcmp(txt, "n,text,r\n"));
		free(txt);
		CHECK(catalog_table_text(&c, 1, 1, CAT_TEXT_SCHEMA, &txt, &len) == 0 &&
		      !strcmp(txt, g1.tables[1].schema));
		free(txt);
	}

	/* chunks: key order, cumulative offsets, names, where to read them */
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	for (uint64_t s = 1; s <= 2; s++) {
		const struct manifest *m = s == 1 ? &g1 : &g2;
		for (uint32_t ti = 0; ti < m->ntables; ti++) {
			struct cat_chunk *ch;
			size_t nc;
			CHECK(catalog_table_chunks(&c, s, ti, true, &ch, &nc) == 0);
			CHECK(nc == m->tables[ti].nchunks);
			uint64_t off = 0;
			for (size_t k = 0; k < nc; k++) {
				const struct manifest_chunk *mc = &m->tables[ti].chunks[k];
				CHECK(ch[k].seqno == k && ch[k].csv_off == off);
				CHECK(!memcmp(&ch[k].e.id, &mc->id, 16) && ch[k].e.nrows == mc->nrows &&
				      ch[k].e.csv_len == mc->csv_len && ch[k].e.ulen == mc->ulen);
				off += ch[k].e.csv_len;
				char *want = name_range(mc->first_key, mc->first_len, mc->last_key,
							mc->last_len, ".csv");
				CHECK(ch[k].fname && !strcmp(ch[k].fname, want));
				free(want);
				if (k)
					CHECK(strcmp(ch[k - 1].fname, ch[k].fname) < 0);
				struct cat_chunk one;
				CHECK(catalog_chunk_by_name(&c, s, ti, ch[k].fname, &one) == 0 &&
				      one.seqno == k && one.csv_off == ch[k].csv_off &&
				      !memcmp(&one.e, &ch[k].e, sizeof(one.e)) &&
				      !strcmp(one.pack, ch[k].pack) && one.fname == NULL);
				CHECK(catalog_chunk_by_seqno(&c, s, ti, (uint32_t)k, &one) == 0 &&
				      !memcmp(&one.e, &ch[k].e, sizeof(one.e)));
				/* read it where the catalog says */
				struct store_file *fd = NULL;
				CHECK(repo_open_pack(&r, ch[k].pack, &fd) == 0);
				struct buf csv = BUF_INIT;
				CHECK(fd && chunk_read_csv(fd, &ch[k].e, dctx, &csv) == 0 &&
				      csv.len == ch[k].e.csv_len);
				buf_release(&csv);
				store_file_close(fd);
			}
			CHECK(off == m->tables[ti].csv_size);
			struct cat_chunk one;
			CHECK(catalog_chunk_by_name(&c, s, ti, "nope.csv", &one) == -ENOENT);
			CHECK(catalog_chunk_by_seqno(&c, s, ti, (uint32_t)nc, &one) == -ENOENT);
			catalog_free_chunks(ch, nc);
		}
	}
	ZSTD_freeDCtx(dctx);
	/* the chunk shared by both generations lives in pack1; the new one in pack2 */
	{
		struct cat_chunk one;
		CHECK(catalog_chunk_by_seqno(&c, 2, 0, 0, &one) == 0 && !strcmp(one.pack, pack1));
		CHECK(catalog_chunk_by_seqno(&c, 2, 0, 2, &one) == 0 && !strcmp(one.pack, pack2));
	}

	plans(&c);

	/* a second sync finds nothing new; rebuild gives identical answers */
	struct buf before = BUF_INIT, after = BUF_INIT;
	dump(&c, &before);
	CHECK(catalog_sync(&c, &r, false, &st) == 0);
	CHECK(st.packs_added == 0 && st.gens_added == 0 && st.gens_removed == 0 &&
	      st.packs_removed == 0);
	CHECK(catalog_sync(&c, &r, true, &st) == 0);
	CHECK(st.packs_added == 2 + test_node_packs && st.gens_added == 2);
	dump(&c, &after);
	CHECKF(before.len == after.len && !memcmp(before.data, after.data, before.len),
	       "rebuild changed answers:\n%s\n----\n%s", (char *)before.data, (char *)after.data);
	/* deleting the catalog file and syncing again: same answers */
	catalog_close(&c);
	unlink(r.catalog);
	char *wal = xasprintf("%s-wal", r.catalog), *shm = xasprintf("%s-shm", r.catalog);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
	CHECK(catalog_open(&c, r.catalog, false) == 0);
	CHECK(catalog_sync(&c, &r, false, &st) == 0);
	dump(&c, &after);
	CHECK(before.len == after.len && !memcmp(before.data, after.data, before.len));
	/* a read-only connection sees the same */
	struct catalog ro;
	CHECK(catalog_open(&ro, r.catalog, true) == 0);
	dump(&ro, &after);
	CHECK(before.len == after.len && !memcmp(before.data, after.data, before.len));
	catalog_close(&ro);

	segmaps(&c, &r, pack2);

	/* bad manifests are skipped and counted, good ones stay */
	struct manifest g3;
	gen_init(&g3, 3, "2026-11-22T020000Z", 1795140000 + 2 * 86400);
	g3.ntables = 1;
	g3.tables = xcalloc(1, sizeof(*g3.tables));
	add_table(&g3.tables[0], "a", ta2, 3);
	g3.tables[0].chunks[2].id.b[5] ^= 1; /* refers to a chunk no pack holds */
	test_write_gen(&r, &g3);
	/* a corrupt file */
	{
		const char junk[] = "STRGEN\0\0garbage garbage";
		CHECK(store_put(r.store, "generations/2026-11-23T020000Z.gen", junk, sizeof(junk),
				0) == 0);
	}
	/* a duplicate seq */
	struct manifest g4;
	gen_init(&g4, 2, "2026-11-24T020000Z", 1795140000 + 4 * 86400);
	test_write_gen(&r, &g4);
	CHECK(catalog_sync(&c, &r, false, &st) == 0);
	CHECK(st.gens_added == 0 && st.bad_gens == 3);
	CHECK(catalog_gen_by_seq(&c, 3, &g) == -ENOENT);
	CHECK(catalog_latest(&c, &g) == 0 && g.seq == 2);
	{ /* nothing of the bad generation left behind */
		struct cat_table *tx;
		size_t nx;
		CHECK(catalog_list_tables(&c, 3, &tx, &nx) == 0 && nx == 0);
		catalog_free_tables(tx, nx);
	}
	/* removing a generation's manifest removes it from the catalog */
	char *g1p = xasprintf("%s/generations/%s.gen", r.path, g1.name);
	CHECK(unlink(g1p) == 0);
	free(g1p);
	uint64_t stamp1, stamp2;
	CHECK(catalog_gen_stamp(&c, &stamp1) == 0);
	CHECK(catalog_sync(&c, &r, false, &st) == 0);
	CHECK(st.gens_removed == 1);
	CHECK(catalog_gen_stamp(&c, &stamp2) == 0 && stamp1 != stamp2);
	CHECK(catalog_gen_by_seq(&c, 1, &g) == -ENOENT);
	{
		struct cat_table *tx;
		size_t nx;
		CHECK(catalog_list_tables(&c, 1, &tx, &nx) == 0 && nx == 0);
		catalog_free_tables(tx, nx);
		struct cat_chunk *cx;
		CHECK(catalog_table_chunks(&c, 1, 0, false, &cx, &nx) == 0 && nx == 0);
		catalog_free_chunks(cx, nx);
	}
	/* a damaged pack is skipped */
	{
		char *pp = xasprintf("%s/packs/%.2s/%s.pack", r.path, pack2, pack2);
		int fd = open(pp, O_WRONLY);
		CHECK(fd >= 0 && pwrite(fd, "X", 1, 0) == 1);
		close(fd);
		free(pp);
		CHECK(catalog_sync(&c, &r, true, &st) == 0);
		CHECK(st.bad_packs == 1 && st.packs_added == 1 + test_node_packs);
		/* gen 2 needs a chunk of pack2: skipped now (and the generation
		 * that duplicated its seq takes the free number) */
		CHECK(catalog_gen_by_name(&c, g2.name, &g) == -ENOENT);
		CHECK(catalog_gen_by_seq(&c, 2, &g) == 0 && !strcmp(g.name, g4.name));
	}
	catalog_close(&c);

	manifest_release(&g1);
	manifest_release(&g2);
	manifest_release(&g3);
	manifest_release(&g4);
	for (int i = 0; i < 6; i++) {
		free(chunks[i].data);
		buf_release(&chunks[i].fk);
		buf_release(&chunks[i].lk);
	}
	buf_release(&before);
	buf_release(&after);
	repo_close(&r);
	rm_rf(dir);
	free(dir);
	free(path);
	return check_done("unit-catalog");
}
