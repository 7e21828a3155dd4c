/*
 * catalog.h - the SQLite catalog REPO/catalog.db: an index of the
 * repository, never the truth.  catalog_sync() derives it from manifests
 * and pack indexes; deleting it loses nothing.
 *
 * It holds everything readdir/getattr/lookup need (names, exact sizes,
 * times) so the mount never reads table data to answer `ls -l`.
 *
 * Locking: a struct catalog is one SQLite connection and is not
 * thread-safe; the mount serialises access with its own mutex.  The file
 * is in WAL mode so a backup can update it under a running mount.
 */
#ifndef STRATA_CATALOG_H
#define STRATA_CATALOG_H

#include <stdbool.h>
#include <sqlite3.h>
#include "strata/pack.h"
#include "strata/repo.h"

#define CATALOG_SCHEMA_VERSION 11

/* How many prepared statements a catalog keeps for reuse (catalog.c: prep, done). */
#define CATALOG_STMTS 64

struct catalog {
	sqlite3 *db;
	/*
	 * Statements kept prepared between calls: the mount asks the same few
	 * queries for every lookup and listing, and preparing them each time
	 * was 60% of its CPU during a find.  Same threading rule as db.
	 */
	struct catalog_stmt {
		char *sql;
		sqlite3_stmt *st;
		bool busy;
	} stmt[CATALOG_STMTS];
	unsigned nstmt;
};

struct catalog_sync_stats {
	unsigned packs_added, packs_removed, gens_added, gens_removed;
	unsigned bad_packs, bad_gens; /* skipped with a message on stderr */
};

/*
 * Open (creating the schema when writable and missing).  Never through a
 * symbolic link.  A writer that finds no catalog (or an empty file, or
 * something else than a regular file) first removes what is at the path and
 * its -wal/-shm, so a new file never shares them with a deleted one that a
 * mount still reads.
 */
int catalog_open(struct catalog *c, const char *path, bool readonly);
void catalog_close(struct catalog *c);
/* Delete a catalog file and its WAL/SHM companions (it is derived data). */
int catalog_remove(const char *path);

/*
 * Bring the catalog up to date with the repository (call under the repo
 * lock).  rebuild: drop everything first.  One transaction: readers see the
 * old state or the new one.  Problems with single packs or manifests are
 * reported on stderr and counted, not fatal.  -EUCLEAN: the catalog file
 * itself is damaged.
 */
int catalog_sync(struct catalog *c, const struct repo *r, bool rebuild,
		 struct catalog_sync_stats *st);
/*
 * What writers do (under the repo lock): open the catalog writable and
 * sync it; a catalog found damaged, at open or during the sync, is
 * replaced by a new file built from the repository (one line on stderr).
 * On failure c is closed.
 */
int catalog_open_sync(struct catalog *c, const struct repo *r, bool rebuild,
		      struct catalog_sync_stats *st);
/*
 * Before packs are deleted (garbage collection): every chunk served from
 * one of them that another pack also holds is served from that other pack
 * from now on, so that a reader resolving a chunk never meets a deleted
 * pack.  Call inside a transaction; the packs' own rows stay until the
 * sync after their files are gone.
 */
int catalog_serve_elsewhere(struct catalog *c, char *const *packs, size_t n);

/* Add one pack / one generation inside the caller's transaction. */
int catalog_begin(struct catalog *c);
int catalog_commit(struct catalog *c);
void catalog_rollback(struct catalog *c);
int catalog_add_pack(struct catalog *c, const char *name, uint64_t size,
		     const struct pack_entry *e, size_t n);
struct manifest;
/* manifest_bytes: the size of its .gen file, counted in the generation's new bytes */
int catalog_add_generation(struct catalog *c, const struct manifest *m, uint64_t manifest_bytes);

/* Every chunk id known, for dedup: calls fn for each (stops on non-zero). */
int catalog_each_chunk(struct catalog *c, int (*fn)(void *arg, const struct chunk_id *id),
		       void *arg);
int catalog_max_seq(struct catalog *c, uint64_t *seq);
/* Packs indexed and the bytes they take on disk. */
int catalog_pack_stats(struct catalog *c, uint64_t *npacks, uint64_t *bytes);
/* 1 if a generation with that name exists, 0 if not, <0 on error. */
int catalog_name_taken(struct catalog *c, const char *name);

/*
 * Small key/value notes kept with the catalog (table meta).  They survive
 * `index --rebuild` but, like everything in the catalog, may be lost:
 * only use them for what can be recomputed (e.g. the state of a source at
 * its last backup).  -ENOENT when missing; *value is malloc'ed.
 */
int catalog_meta_get(struct catalog *c, const char *key, char **value);
int catalog_meta_put(struct catalog *c, const char *key, const char *value);

/* ---- queries for the mount and `strata ls` ---- */

struct cat_gen {
	uint64_t seq;
	char name[64];
	char id[33];
	int64_t time;
	uint64_t ntables, nrows, logical_bytes, new_bytes, json_len, schema_len;
	char dbname[65]; /* the database it is a generation of (naming.h db_name_ok) */
	bool named;      /* its manifest names it (version 4); else dbname is its source's default */
	char kind[16];   /* "full", "incremental", "differential"; "" before kinds were recorded */
	char parent[64]; /* the generation whose unchanged pages it took chunks for; "" when none */
	char *label;  /* label and source: only filled by catalog_list_gens */
	char *source;
};

/*
 * All generations, oldest first: by time, then by seq (backup order: two
 * generations of the same second keep the order they were taken in).
 * Caller frees with catalog_free_gens.
 */
int catalog_list_gens(struct catalog *c, struct cat_gen **gens, size_t *n);
void catalog_free_gens(struct cat_gen *gens, size_t n);
/* -ENOENT when missing. */
int catalog_gen_by_name(struct catalog *c, const char *name, struct cat_gen *g);
/* One database's generations, oldest first (as catalog_list_gens); its newest; every database name, sorted. */
int catalog_db_gens(struct catalog *c, const char *dbname, struct cat_gen **gens, size_t *n);
int catalog_db_newest(struct catalog *c, const char *dbname, struct cat_gen *g);
int catalog_db_names(struct catalog *c, char ***names, size_t *n);
/*
 * A generation's page map (strata/pagemap.h), stored by the backup that
 * made it, with the generation's id (32 hex: a map is never taken for
 * another generation that got the same name); storing one drops the
 * database's others but its newest full one, and those of pruned
 * generations.  Derived from no manifest: kept across index --rebuild, lost
 * with a deleted catalog (the next backup of each database reads it all).
 */
int catalog_pagemap_put(struct catalog *c, const char *gen, const char *gen_id,
			const char *dbname, bool full, const uint8_t *data, size_t len);
/*
 * The newest page map of database dbname (only that of generation gen when
 * not NULL; only a full backup's when full_only), its generation's name and
 * id in out_gen and out_id.  -ENOENT when none.  Caller frees *data.
 */
int catalog_pagemap_get(struct catalog *c, const char *dbname, const char *gen, bool full_only,
			char out_gen[64], char out_id[33], uint8_t **data, size_t *len);
/*
 * A chunk's segment records (strata/pagemap.h, struct pagemap_segs) for
 * tables of that ident, stored by the backup that built the chunk (one
 * per ident and chunk, the newest kept) and dropped with the chunk.  Not
 * derived from the repository: kept across index --rebuild, as page maps.
 * get: -ENOENT when none; caller frees *data.
 */
int catalog_segmap_put(struct catalog *c, const uint8_t ident[16], const struct chunk_id *id,
		       const uint8_t *data, size_t len);
int catalog_segmap_get(struct catalog *c, const uint8_t ident[16], const struct chunk_id *id,
		       uint8_t **data, size_t *len);
/*
 * A source path other than `source` that generations naming database
 * `dbname` in their manifest (version 4) were read from (*other NULL: none).
 */
int catalog_db_other_source(struct catalog *c, const char *dbname, const char *source, char **other);
int catalog_gen_by_seq(struct catalog *c, uint64_t seq, struct cat_gen *g);
/* The newest generation: greatest time, then greatest seq; -ENOENT for an empty repository. */
int catalog_latest(struct catalog *c, struct cat_gen *g);
/* The newest generation at or before time (unix seconds); -ENOENT: none. */
int catalog_gen_at(struct catalog *c, int64_t time, struct cat_gen *g);
/* Every table directory name of any generation, sorted bytewise; free each and the array. */
int catalog_table_dirs(struct catalog *c, char ***names, size_t *n);
/* The generations holding a table directory, oldest first (caller frees *v). */
struct cat_version {
	uint64_t seq;
	uint32_t tidx;
	char name[64];
	int64_t time;
};
int catalog_table_versions(struct catalog *c, const char *dirname, struct cat_version **v,
			   size_t *n);
/*
 * The version of a table directory before generation seq: the newest older
 * generation (time, then seq) holding it; -ENOENT when none.
 */
int catalog_table_before(struct catalog *c, const char *dirname, uint64_t seq, uint64_t *pseq,
			 uint32_t *ptidx);
/* A change counter: changes whenever generations are added or removed. */
int catalog_gen_stamp(struct catalog *c, uint64_t *stamp);
/* generation.json or schema.sql text (caller frees). */
int catalog_gen_text(struct catalog *c, uint64_t seq, bool json, char **text, size_t *len);

/*
 * A generation's files assembled from text parts, each followed by the SQL
 * view of a table (tidx; -1: none): dump.sql (dumpplan.h), and
 * schema.pg.sql (one part).  -ENOENT when the generation has none (an
 * older manifest).  Caller frees with catalog_free_parts.
 */
enum cat_file { CAT_FILE_DUMP = 0, CAT_FILE_PG = 1 };
struct cat_part {
	char *text;
	size_t len;
	int64_t tidx;
};
int catalog_gen_parts(struct catalog *c, uint64_t seq, enum cat_file file, struct cat_part **p,
		      size_t *n);
void catalog_free_parts(struct cat_part *p, size_t n);
/* The file's size: its texts and its tables' SQL views. */
int catalog_gen_file_size(struct catalog *c, uint64_t seq, enum cat_file file, uint64_t *size);

struct cat_table {
	uint32_t tidx;
	char *dirname;
	uint64_t nrows, nchunks, csv_size, header_len, schema_len;
	unsigned views;  /* JSONL and SQL sizes known: their rendering's revision (views.h); 0: none */
	uint64_t jsonl_size, sql_size;
	uint64_t pg_len;  /* its schema.pg.sql; 0: none (an older manifest) */
	unsigned flags;   /* manifest.h table_flags */
	uint64_t render_id; /* what its row-range files' bytes depend on besides the chunk (catalog.c) */
};
int catalog_list_tables(struct catalog *c, uint64_t seq, struct cat_table **t, size_t *n);
void catalog_free_tables(struct cat_table *t, size_t n);
int catalog_table_by_dir(struct catalog *c, uint64_t seq, const char *dirname,
			 struct cat_table *t);
int catalog_table_by_idx(struct catalog *c, uint64_t seq, uint32_t tidx, struct cat_table *t);
/* The table's schema.sql, CSV header or schema.pg.sql text (caller frees). */
enum cat_text { CAT_TEXT_SCHEMA = 0, CAT_TEXT_HEADER = 1, CAT_TEXT_PG = 2 };
int catalog_table_text(struct catalog *c, uint64_t seq, uint32_t tidx, enum cat_text which,
		       char **text, size_t *len);

/*
 * The table's name, its stored column names, its flags (manifest.h
 * table_flags) and its views' revision, for the JSONL and SQL views.  Caller frees name, each
 * column and cols.
 */
int catalog_table_names(struct catalog *c, uint64_t seq, uint32_t tidx, char **name,
			char ***cols, unsigned *ncols, unsigned *flags, unsigned *views);

/* One row-range file / one chunk of a table, with where to read it. */
struct cat_chunk {
	uint32_t seqno;     /* position in the table */
	char *fname;        /* row-range file name (only for listings) */
	struct pack_entry e; /* id, offset, clen, ulen, nrows, csv_len */
	char pack[33];      /* pack name */
	uint64_t csv_off;   /* offset of this chunk's rows in the table body */
	uint64_t jsonl_off, jsonl_len; /* the same in the table's JSONL and SQL views */
	uint64_t sql_off, sql_len;
};
/* Chunks of a table in key order; with_names fills fname. */
int catalog_table_chunks(struct catalog *c, uint64_t seq, uint32_t tidx, bool with_names,
			 struct cat_chunk **out, size_t *n);
void catalog_free_chunks(struct cat_chunk *ch, size_t n);
/*
 * One row-range file, as the same bytes in every generation holding it:
 * its chunk, its table's render id, and the lengths of its JSONL and SQL
 * renderings as the manifests recorded them (a manifest that records other
 * lengths for the same chunk gets a file of its own).
 */
struct cat_row_file {
	struct chunk_id id;
	uint64_t render, jsonl_len, sql_len;
};
/*
 * The generations holding file f.  where: where the newest holds it (seq,
 * tidx, seqno; count 0 when none does); count: how many generations hold it
 * and the oldest one's time (-EUCLEAN when the catalog has holders but no
 * count).
 */
struct cat_holders {
	uint64_t count;
	int64_t first_time;
	uint64_t seq;
	uint32_t tidx, seqno;
};
int catalog_file_holders(struct catalog *c, const struct cat_row_file *f, bool where, bool count,
			 struct cat_holders *h);
/* How many generations use any of these chunk ids. */
int catalog_count_gens_using(struct catalog *c, const struct chunk_id *ids, size_t n,
			     uint64_t *count);
/* The nth (0, 1, ...) other copy of a chunk another pack holds (chunk_copies), by pack name; -ENOENT past the last. */
int catalog_chunk_copy(struct catalog *c, const struct chunk_id *id, unsigned nth,
		       struct pack_entry *e, char pack[33]);
/* Where the catalog serves a chunk from now: its pack entry and pack name.  -ENOENT if no pack holds it. */
int catalog_chunk_where(struct catalog *c, const struct chunk_id *id, struct pack_entry *e,
			char pack[33]);
int catalog_chunk_by_name(struct catalog *c, uint64_t seq, uint32_t tidx, const char *fname,
			  struct cat_chunk *ch);
int catalog_chunk_by_seqno(struct catalog *c, uint64_t seq, uint32_t tidx, uint32_t seqno,
			   struct cat_chunk *ch);
/* The encoded first and last key (rowcodec.h) of chunk seqno of a table; -ENOENT: no such chunk. */
int catalog_chunk_keys(struct catalog *c, uint64_t seq, uint32_t tidx, uint32_t seqno,
		       struct buf *first, struct buf *last);
/* Chunks first .. first+count-1 of a table, in key order. */
int catalog_table_chunk_range(struct catalog *c, uint64_t seq, uint32_t tidx, uint32_t first,
			      uint32_t count, bool with_names, struct cat_chunk **out, size_t *n);

/* A rows/ key-range directory of a table with more than ROWS_FLAT_MAX chunks (naming.h). */
struct cat_group {
	uint32_t grp;   /* position in rows/ */
	uint32_t first; /* seqno of its first chunk */
	uint32_t n;     /* chunks in it */
	char *name;
};
/* A table's groups in key order; none for a table of at most ROWS_FLAT_MAX chunks. */
int catalog_table_groups(struct catalog *c, uint64_t seq, uint32_t tidx, struct cat_group **out,
			 size_t *n);
void catalog_free_groups(struct cat_group *g, size_t n);
int catalog_group_by_name(struct catalog *c, uint64_t seq, uint32_t tidx, const char *name,
			  struct cat_group *g);
int catalog_group_by_idx(struct catalog *c, uint64_t seq, uint32_t tidx, uint32_t grp,
			 struct cat_group *g);

#endif
