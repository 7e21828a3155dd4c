/*
 * repo.h - a repository: config, layout, writer locks, over a store.
 *
 * Objects (strata/store.h keys):
 *   config             text, "strata-repository" then key = value lines
 *   packs/xx/<n>.pack  pack files
 *   generations/<g>.gen manifests
 *   verify-status      what the last verify found (strata/verifyrec.h)
 * Locks: "lock" is taken by writers (backup, index, prune) and names its
 * holder; "gc-lock" exclusively by prune while it deletes, shared by verify
 * (which must not see objects vanish under it).
 * A local repository also has tmp/ (temporaries; garbage once no writer
 * holds the lock) and catalog.db (the SQLite catalog, derived).
 */
#ifndef STRATA_REPO_H
#define STRATA_REPO_H

#include "strata/chunker.h"
#include "strata/store.h"
#include "strata/util.h"

#define REPO_FORMAT_VERSION 4 /* written by this strata (4: SFC3 bodies, chunk ids from segment ids; 3: index nodes in packs, manifest version 5) */
#define REPO_FORMAT_OLDEST 1  /* oldest it reads (and upgrades on write) */
#define REPO_CONFIG_MAX 65536

struct repo {
	char *path;          /* the location as given, for messages */
	struct store *store; /* every object is read and written through it */
	char *catalog;       /* the catalog's local path */
	char id[33];
	unsigned version;
	struct chunker_params chunk;
	uint64_t pack_size;
	int zstd_level;
	uint32_t frame_size; /* format 4: a segment's average bytes of rows (chunker_segments);
			      * formats 2 and 3: CSV bytes per frame, which their bodies say */
	struct store_lock *lock, *gclock;
	struct store *cache;           /* remote repositories: this host's cache directory */
	struct store_lock *cache_lock; /* its lock: one writer of the cached catalog at a time */
	bool busy_here;                /* repo_lock found the cache's lock held (not the store's) */
};

/* What a writer does, which decides the lock it takes (repo_lock). */
enum repo_lock_kind {
	REPO_LOCK_CATALOG, /* writes the catalog only (strata index) */
	REPO_LOCK_ADD,     /* adds packs and generations (backup) */
	REPO_LOCK_DELETE,  /* deletes them (prune) */
};

struct repo_init_opts {
	uint64_t chunk_avg; /* 0: default 512 KiB */
	uint64_t pack_size; /* 0: default 32 MiB */
	uint64_t frame_size; /* 0: default repo_default_segment(chunk_avg) */
	int zstd_level;      /* 0: default 3 (strata's tuned settings); else zstd's level 1..19 */
};

/* The smallest frame_size (segment average) a config may hold. */
#define REPO_MIN_SEGMENT 256u
/* A new or upgraded repository's segment size: a sixteenth of its chunks' (32 KiB for 512 KiB), at least 32 KiB. */
uint32_t repo_default_segment(uint64_t chunk_avg);

/* Create a repository at path (missing or empty directory); -ENOTEMPTY if it has files. */
int repo_init(const char *path, const struct repo_init_opts *o);
/*
 * Open an existing repository.  -ENOTDIR/-ENOENT: no such directory;
 * -EUCLEAN: not a repository or a bad config; -EPROTONOSUPPORT: a format
 * version this build does not read.
 */
int repo_open(struct repo *r, const char *path);
/*
 * The one-line message (what is wrong, what to do) for a repo_open()
 * failure; -EBADMSG: a damaged config, -ELOOP: a linked subdirectory.
 * Caller frees.
 */
char *repo_open_message(const char *path, const struct repo *r, int rc);
/* Parse a config file's text (exposed for tests and fuzzing). */
int repo_parse_config(struct repo *r, const char *text, size_t n);
/*
 * Take the writers' lock and record who holds it ("what (pid N on HOST,
 * since TIME)"), for those who wait.  A local repository has one writer at
 * a time, whatever it does (its catalog lives in it).  A remote one keeps
 * the catalog in this host's cache, locked for one writer on this host;
 * across hosts, backups share the repository's "lock" (they only add
 * objects, each manifest written "if absent") and prune takes it alone, so
 * it never deletes a pack a running backup is about to reference; index
 * takes only the cache's.
 * wait_ms: 0 gives up at once, < 0 waits as long as it takes, > 0 waits up
 * to that long; -EWOULDBLOCK while another writer holds it.  waiting (may
 * be NULL) is called once, before the first wait, with the holder's line
 * (printable; "" when unknown).  Released by repo_close.
 */
int repo_lock(struct repo *r, enum repo_lock_kind kind, const char *what, int64_t wait_ms,
	      void (*waiting)(const char *holder, void *arg), void *arg);
/*
 * The deletion lock ("gc-lock"): exclusive for prune, which
 * deletes manifests and packs; shared for verify, which reads a listing it
 * must be able to trust.  Backups and mounts do not take it.  Waiting as
 * repo_lock; released by repo_close.
 */
int repo_lock_gc(struct repo *r, bool exclusive, const char *what, int64_t wait_ms,
		 void (*waiting)(const char *holder, void *arg), void *arg);
/* Remove leftovers of interrupted writers (call under the lock). */
void repo_clean_tmp(struct repo *r);
/* Who holds (or last held) the writer lock, printable; "" if unknown.  Caller frees. */
char *repo_lock_holder(const struct repo *r);
/*
 * Before a writer adds chunks: a format 1 repository gets a format 2
 * config (atomic rename; nothing else changes: format 1 packs stay as they
 * are and are read as before).  0 when nothing had to be done.
 */
int repo_upgrade(struct repo *r);
/*
 * 0 while every lock taken still holds; -ENOLCK once one may have been
 * lost (an S3 lease that could not be renewed in time, store_lock_check):
 * call before each change other processes see (a manifest, a deletion).
 */
int repo_lock_check(const struct repo *r);
/* Release the locks taken (repo_close does too). */
void repo_unlock(struct repo *r);
void repo_close(struct repo *r);

/*
 * The packs (names, 32 hex) and generations (names without .gen) the
 * repository holds, sorted, as every reader recognises them:
 * packs/<xx>/<xx...>.pack and generations/<name>.gen.  strays (may be
 * NULL) receives the keys of anything else below packs/ or generations/.
 */
int repo_list_packs(const struct repo *r, struct namelist *packs, struct namelist *strays);
int repo_list_gens(const struct repo *r, struct namelist *gens, struct namelist *strays);
/* The key of generation name: "generations/<name>.gen" (caller frees). */
char *repo_gen_key(const char *name);
/*
 * Make *seq (a generation number no generation of this catalog has) one no
 * other writer takes either.  A local repository has one writer at a time:
 * nothing to do.  A remote one is written by many hosts at once, each
 * knowing the numbers its own catalog holds: the number is claimed by
 * creating "seqs/<n>" if absent (holding claim: text of this writer's own,
 * "<generation name> <generation id>\n"), and the next is tried
 * while another host holds it.  Claims stay when their generation goes
 * (a few bytes each), so that a number is never given twice.
 */
int repo_claim_seq(const struct repo *r, uint64_t *seq, const char *claim);
/* The key of generation number seq's claim (caller frees). */
char *repo_seq_key(uint64_t seq);
/* Open pack name (32 hex) for reads. */
int repo_open_pack(const struct repo *r, const char *name, struct store_file **f);

#endif
