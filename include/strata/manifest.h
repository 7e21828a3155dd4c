/*
 * manifest.h - a generation's manifest: generations/<name>.gen.
 *
 * A generation exists if and only if its manifest exists.  It is written
 * last, atomically (tmp/, fsync, rename), after every pack it refers to.
 * Layout in docs/FORMAT.md ("Manifests"); ends with an xxh3-64 of all
 * preceding bytes.
 */
#ifndef STRATA_MANIFEST_H
#define STRATA_MANIFEST_H

#include <stdbool.h>
#include "strata/pack.h"

#define MANIFEST_VERSION 5 /* written; 4, 3, 2 and 1 are still read (manifest.c) */
#define MANIFEST_OLDEST 1
#define MANIFEST_MAX_SIZE (UINT64_C(1) << 32)
#define MANIFEST_MAX_TABLES (1u << 16)
#define MANIFEST_MAX_CHUNKS (1u << 20) /* per table */

struct manifest_chunk {
	struct chunk_id id;
	uint64_t nrows;
	uint64_t ulen;
	uint64_t csv_len;
	uint64_t jsonl_len; /* version 2: its rows as JSONL and as SQL (strata/views.h), */
	uint64_t sql_len;   /* with the table's names; 0 in version 1 */
	uint8_t *first_key; /* encoded keys (rowcodec), owned */
	size_t first_len;
	uint8_t *last_key;
	size_t last_len;
};

enum table_flags {
	TABLE_WITHOUT_ROWID = 1 << 0,
	TABLE_INTERNAL = 1 << 1, /* sqlite_sequence, sqlite_stat1/4: kept for an exact restore */
	TABLE_SHADOW = 1 << 2,   /* a virtual table's shadow table (FTS5's docs_data ...) */
	/*
	 * A rowid table with a declared PRIMARY KEY that is not the rowid:
	 * its rows are in that key's order, their keys the key's values then
	 * the rowid (which keeps keys unique where the key holds NULLs).
	 * Readers before it ignore the bit and name ranges by the whole key.
	 */
	TABLE_KEY_ORDER = 1 << 3,
};

#define MANIFEST_MAX_PRAGMAS 64
#define MANIFEST_MAX_PROPS 64
#define MANIFEST_MAX_OBJECTS (1u << 20)

/* A database setting (PRAGMA name = value) a restore applies. */
struct manifest_pragma {
	char *name;    /* "user_version", "application_id", "page_size", "auto_vacuum", "encoding" */
	int64_t value;
};

/* One row of the source's sqlite_schema with its SQL, in the source's (rowid) order. */
struct manifest_object {
	char *type;     /* "table", "index", "view" or "trigger" */
	char *name;
	char *tbl_name;
	char *sql;
};

/*
 * Version 5 lists a table's chunks as index nodes: runs of chunk entries
 * stored once in packs (a node is a pack entry with nrows 0 whose body is
 * one zstd frame of manifest_node_encode()'s bytes; its id is their
 * XXH3-128), shared by every generation holding the same run.  A run ends
 * after a chunk whose id's first 8 bytes (LE) are 0 modulo NODE_AVG, or
 * after NODE_MAX chunks, or once its chunks' keys take NODE_KEY_BYTES
 * (huge keys): content-defined, so a change replaces only the nodes around
 * it (docs/FORMAT.md, "Index nodes").
 */
#define NODE_AVG 64
#define NODE_MAX 256
#define NODE_KEY_BYTES (UINT64_C(1) << 20)
#define NODE_MAX_SIZE CHUNK_MAX_ULEN /* a node's encoded bytes, at most (a pack entry's ulen) */

/* The number of chunks of the node starting at chunk start of ch[0 .. nchunks) (start < nchunks). */
static inline size_t manifest_node_len(const struct manifest_chunk *ch, size_t nchunks, size_t start)
{
	size_t k = start;
	uint64_t keys = ch[k].first_len + ch[k].last_len;
	while (k + 1 < nchunks && k - start + 1 < NODE_MAX && keys < NODE_KEY_BYTES &&
	       get_u64le(ch[k].id.b) % NODE_AVG != 0) {
		k++;
		keys += ch[k].first_len + ch[k].last_len;
	}
	return k - start + 1;
}

struct manifest_node {
	struct chunk_id id;
	uint32_t nchunks;
};

struct manifest_table {
	char *name;      /* the table's name in the database */
	char *dirname;   /* escaped directory name (naming.h) */
	char *schema;    /* CREATE TABLE + its indexes and triggers */
	unsigned flags;
	unsigned ncols;
	char **cols;     /* declared column names */
	uint8_t *classes; /* version 3: per column, what its values are (pgschema.h enum pg_class bits); NULL: not known */
	uint64_t nrows;
	uint64_t csv_size; /* rendered body bytes, header excluded */
	size_t nchunks;
	/* NULL for a version 5 table until manifest_resolve() (nchunks is known) */
	struct manifest_chunk *chunks;
	/* version 5: the chunk list's nodes (from decode, or manifest_make_nodes()) */
	size_t nnodes;
	struct manifest_node *nodes;
};

struct manifest {
	unsigned version; /* as decoded (MANIFEST_OLDEST .. MANIFEST_VERSION); written: MANIFEST_VERSION */
	uint64_t seq;   /* 1, 2, 3... in backup order: the mount's inode space */
	char *name;     /* directory name in the mount, unique in the repository */
	uint8_t id[16]; /* random generation id */
	int64_t time;   /* unix seconds, UTC */
	char *label;
	char *source;
	char *schema;   /* whole database schema */
	uint64_t source_bytes;
	uint64_t new_bytes; /* bytes of packs written by this backup */
	size_t ntables;
	struct manifest_table *tables;
	/* the database section (version 2; empty when decoded from version 1) */
	size_t npragmas;
	struct manifest_pragma *pragmas;
	size_t nobjects;
	struct manifest_object *objects;
	/* version 4: the database's name (naming.h db_name_ok); NULL before (manifest_db_name) */
	char *dbname;
	bool other_props; /* decoded: it has properties this strata skips (a later writer's) */
	/*
	 * Properties "kind" (full, incremental, differential: how the backup
	 * read the source) and "parent" (the generation whose chunks it took
	 * for unchanged pages); NULL when not recorded.  Informational: every
	 * generation lists all of its chunks.
	 */
	char *kind, *parent;
};

/* One of "full", "incremental", "differential" (n bytes at k). */
bool manifest_kind_ok(const char *k, size_t n);

/* The name of the database m is a generation of: its own, or (before version 4) the default for its source. */
void manifest_db_name(const struct manifest *m, char out[65]);

/* The value of a pragma the manifest records; false when it has none. */
bool manifest_pragma(const struct manifest *m, const char *name, int64_t *value);

/*
 * Cut every table's chunks into index nodes (t->nodes) and hand each
 * node's bytes to store(arg, id, bytes, len) (which writes it unless the
 * repository has it).  A non-zero return stops and is returned.
 */
int manifest_make_nodes(struct manifest *m,
			int (*store)(void *arg, const struct chunk_id *id, const uint8_t *data,
				     size_t len),
			void *arg);
/* One node's bytes: "STIN", version 1, varint count, then the entries as version 5 manifests had them inline. */
void manifest_node_encode(const struct manifest_chunk *ch, size_t n, struct buf *out);
/* Parse a node of exactly n entries into out[0..n) (owned keys).  -EUCLEAN. */
int manifest_node_decode(const uint8_t *data, size_t len, size_t n, struct manifest_chunk *out);
/*
 * Version 5: fill every table's chunks from its nodes, got by
 * get(arg, id, &bytes, &len) (malloc'ed; checked against the id by the
 * getter), and check them as a version 4 manifest's are.  -EUCLEAN: a node
 * does not fit its manifest; the getter's error otherwise.  Nothing to do
 * for older versions.
 */
typedef int (*manifest_node_get)(void *arg, const struct chunk_id *id, uint8_t **data, size_t *len);
int manifest_resolve(struct manifest *m, manifest_node_get get, void *arg);
/* Every table's chunks are there (version 4 and older, or resolved). */
bool manifest_resolved(const struct manifest *m);

/* Version 5; the tables' nodes are t->nodes when set, else computed (manifest_make_nodes stores them). */
void manifest_encode(const struct manifest *m, struct buf *out);
/* Parse and check; on failure *m is left empty.  -EUCLEAN / -EBADMSG. */
int manifest_decode(const uint8_t *data, size_t n, struct manifest *m);
void manifest_release(struct manifest *m);
void manifest_table_release(struct manifest_table *t);

#endif
