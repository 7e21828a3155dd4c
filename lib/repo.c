/*
 * repo.c - see strata/repo.h.
 */
#include "strata/repo.h"
#include "strata/frames.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CHUNK_AVG (512u * 1024)
#define DEFAULT_PACK_SIZE (32u * 1024 * 1024)

/* Open the store at path; the catalog of a local repository lives beside its objects. */
static int repo_attach(struct repo *r, const char *path, bool create)
{
	int rc = store_open(path, create, &r->store);
	if (rc)
		return rc;
	r->path = xstrdup(path);
	if (r->store->local)
		r->catalog = xasprintf("%s/catalog.db", r->store->local);
	return 0;
}

static void config_text(struct buf *cfg, const struct repo *r)
{
	buf_addf(cfg, "strata-repository\nversion = %d\nid = %s\n"
		 "chunk_min = %llu\nchunk_avg = %llu\nchunk_max = %llu\n"
		 "pack_size = %llu\nzstd_level = %d\nframe_size = %u\n",
		 REPO_FORMAT_VERSION, r->id, (unsigned long long)r->chunk.min,
		 (unsigned long long)r->chunk.avg, (unsigned long long)r->chunk.max,
		 (unsigned long long)r->pack_size, r->zstd_level, r->frame_size);
}

uint32_t repo_default_segment(uint64_t chunk_avg)
{
	/*
	 * A sixteenth of a chunk, at least 32 KiB: a backup after scattered
	 * changes decodes, renders and compresses the segment around each
	 * changed row, and each segment compresses a little worse than a whole
	 * chunk.  Measured on the bench table (docs/DESIGN-NOTES.md,
	 * "Segments"): 32 KiB segments store 3.6% more than 64 KiB ones and make
	 * the backup after 1,000 random updates 18% faster; 16 KiB ones store
	 * 7% more than 32 KiB for no faster a backup.
	 */
	uint64_t s = chunk_avg / 16;
	return (uint32_t)(s < (32u << 10) ? (32u << 10) : s > FRAMED_MAX_FRAME ? FRAMED_MAX_FRAME : s);
}

int repo_upgrade(struct repo *r)
{
	struct buf cfg = BUF_INIT;
	int rc;

	if (r->version >= REPO_FORMAT_VERSION)
		return 0;
	/* format 4's frame_size is the segments' average, no longer SFC2's frame */
	r->frame_size = repo_default_segment(r->chunk.avg);
	config_text(&cfg, r);
	rc = store_put(r->store, "config", cfg.data, cfg.len, 0);
	buf_release(&cfg);
	if (!rc)
		r->version = REPO_FORMAT_VERSION;
	return rc;
}

int repo_init(const char *path, const struct repo_init_opts *o)
{
	struct repo r = { 0 };
	uint8_t id[16];
	struct buf cfg = BUF_INIT;
	uint64_t avg = o && o->chunk_avg ? o->chunk_avg : DEFAULT_CHUNK_AVG;
	uint64_t psize = o && o->pack_size ? o->pack_size : DEFAULT_PACK_SIZE;
	uint64_t fsize = o && o->frame_size ? o->frame_size : repo_default_segment(avg);
	char hex[33];
	int rc;

	int level = o && o->zstd_level ? o->zstd_level : 3;

	if (avg < 64 || avg > (256u << 20) || psize < 4096 || psize > (UINT64_C(1) << 32) ||
	    fsize < REPO_MIN_SEGMENT || fsize > FRAMED_MAX_FRAME || level < 1 || level > 19)
		return -EINVAL;
	rc = repo_attach(&r, path, true);
	if (rc)
		return rc;
	if (getrandom(id, sizeof(id), 0) != sizeof(id)) {
		rc = -errno;
		goto out;
	}
	hex_encode(hex, id, 16);
	memcpy(r.id, hex, 33);
	r.chunk.min = avg / 4;
	r.chunk.avg = avg;
	r.chunk.max = avg * 4;
	r.pack_size = psize;
	r.zstd_level = level;
	r.frame_size = (uint32_t)fsize;
	config_text(&cfg, &r);
	/* config last: a directory without it is not (yet) a repository */
	rc = store_put(r.store, "config", cfg.data, cfg.len, STORE_IF_ABSENT);
out:
	buf_release(&cfg);
	repo_close(&r);
	return rc;
}

static int parse_u64(const char *v, uint64_t *out)
{
	char *end;
	if (*v < '0' || *v > '9')
		return -EUCLEAN;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end)
		return -EUCLEAN;
	*out = x;
	return 0;
}

int repo_parse_config(struct repo *r, const char *text, size_t n)
{
	const char *p = text, *end = text + n;
	uint64_t ver = 0, lvl = 3, fsize = FRAMED_DEFAULT_FRAME;
	int seen_magic = 0, rc = 0;

	r->id[0] = 0;
	r->chunk.min = r->chunk.avg = r->chunk.max = 0;
	r->pack_size = 0;
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = xstrndup(p, len);
		char *eq = strchr(line, '=');
		p += len + (nl ? 1 : 0);
		if (!seen_magic) {
			seen_magic = 1;
			if (strcmp(line, "strata-repository"))
				rc = -EUCLEAN;
		} else if (line[0] == 0 || line[0] == '#') {
			/* blank or comment */
		} else if (!eq || eq == line || eq[-1] != ' ' || eq[1] != ' ') {
			rc = -EUCLEAN;
		} else {
			eq[-1] = 0;
			const char *key = line, *val = eq + 2;
			if (!strcmp(key, "version"))
				rc = parse_u64(val, &ver);
			else if (!strcmp(key, "id")) {
				if (strlen(val) != 32 || hex_decode((uint8_t[16]){ 0 }, val, 16))
					rc = -EUCLEAN;
				else
					memcpy(r->id, val, 33);
			} else if (!strcmp(key, "chunk_min"))
				rc = parse_u64(val, &r->chunk.min);
			else if (!strcmp(key, "chunk_avg"))
				rc = parse_u64(val, &r->chunk.avg);
			else if (!strcmp(key, "chunk_max"))
				rc = parse_u64(val, &r->chunk.max);
			else if (!strcmp(key, "pack_size"))
				rc = parse_u64(val, &r->pack_size);
			else if (!strcmp(key, "zstd_level"))
				rc = parse_u64(val, &lvl);
			else if (!strcmp(key, "frame_size"))
				rc = parse_u64(val, &fsize);
			/* unknown keys are ignored: newer minor additions */
		}
		free(line);
	}
	if (rc)
		return rc;
	if (!seen_magic)
		return -EUCLEAN;
	if (ver < REPO_FORMAT_OLDEST || ver > REPO_FORMAT_VERSION) {
		r->version = (unsigned)(ver > 1000 ? 1000 : ver);
		return -EPROTONOSUPPORT;
	}
	r->version = (unsigned)ver;
	if (!r->id[0] || r->chunk.avg < 64 || r->chunk.min > r->chunk.avg ||
	    r->chunk.max < r->chunk.avg || r->chunk.max > (UINT64_C(1) << 30) ||
	    r->pack_size < 4096 || r->pack_size > (UINT64_C(1) << 32) || lvl < 1 || lvl > 19 ||
	    fsize < REPO_MIN_SEGMENT || fsize > FRAMED_MAX_FRAME)
		return -EUCLEAN;
	r->zstd_level = (int)lvl;
	r->frame_size = (uint32_t)fsize;
	return 0;
}

/*
 * The config object: regular (not a link; a FIFO must not block the open),
 * of at most REPO_CONFIG_MAX bytes.  -EUCLEAN for anything else.
 */
static int read_config(struct store *s, uint8_t **data, size_t *n)
{
	int rc = store_get(s, "config", REPO_CONFIG_MAX, data, n);
	return rc == -ENOENT || rc == -ELOOP || rc == -EFBIG ? -EUCLEAN : rc;
}

int repo_open(struct repo *r, const char *path)
{
	uint8_t *cfg;
	size_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = repo_attach(r, path, false);
	if (!rc)
		rc = read_config(r->store, &cfg, &n);
	if (!rc) {
		rc = repo_parse_config(r, (const char *)cfg, n);
		/* a config that says it is one but does not parse: damaged, not foreign */
		if (rc == -EUCLEAN && n >= 18 && !memcmp(cfg, "strata-repository\n", 18))
			rc = -EBADMSG;
		free(cfg);
	}
	/* a remote repository's catalog is this host's cache, one per repository id */
	if (!rc && !r->catalog) {
		char *dir = xasprintf("%s/%s", r->store->cache, r->id);
		rc = mkdir_p(dir, 0700);
		r->catalog = xasprintf("%s/catalog.db", dir);
		free(dir);
	}
	if (rc) {
		unsigned ver = r->version;
		repo_close(r);
		r->version = ver;
	}
	return rc;
}

char *repo_lock_holder(const struct repo *r)
{
	/* a remote repository: this host's writer, or the holders in the bucket */
	if (r->cache && r->busy_here)
		return store_lock_holder(r->cache, "lock");
	return store_lock_holder(r->store, "lock");
}

int repo_lock(struct repo *r, enum repo_lock_kind kind, const char *what, int64_t wait_ms,
	      void (*waiting)(const char *holder, void *arg), void *arg)
{
	int rc;
	if (r->store->local)
		return store_lock(r->store, "lock", true, what, wait_ms, waiting, arg, &r->lock);
	/* the cache's lock first: waiting for the bucket's while holding it would block this host only */
	char *dir = xasprintf("%s/%s", r->store->cache, r->id);
	rc = r->cache ? 0 : store_open(dir, false, &r->cache);
	free(dir);
	if (!rc)
		rc = store_lock(r->cache, "lock", true, what, wait_ms, waiting, arg, &r->cache_lock);
	r->busy_here = rc == -EWOULDBLOCK;
	if (!rc && kind != REPO_LOCK_CATALOG) {
		rc = store_lock(r->store, "lock", kind == REPO_LOCK_DELETE, what, wait_ms, waiting, arg,
				&r->lock);
		if (rc) {
			store_unlock(r->cache_lock);
			r->cache_lock = NULL;
		}
	}
	return rc;
}

int repo_lock_gc(struct repo *r, bool exclusive, const char *what, int64_t wait_ms,
		 void (*waiting)(const char *holder, void *arg), void *arg)
{
	return store_lock(r->store, "gc-lock", exclusive, what, wait_ms, waiting, arg,
			  &r->gclock);
}

void repo_clean_tmp(struct repo *r)
{
	store_clean_tmp(r->store);
}

/* repo_open_message for a repository in a remote store (s3://...). */
static char *remote_message(const char *path, const struct repo *r, int rc)
{
	switch (rc) {
	case -ENOKEY:
		return xasprintf("cannot open '%s': no credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE for a profile in ~/.aws/credentials (and AWS_ENDPOINT_URL for a store other than AWS)",
				 path);
	case -ENXIO:
		return xasprintf("'%s' is not a usable S3 location; write s3://BUCKET[/PREFIX], and AWS_ENDPOINT_URL as http(s)://HOST[:PORT]",
				 path);
	case -EPERM:
		return xasprintf("cannot open '%s': this host's cache directory for it ($XDG_CACHE_HOME/strata, else ~/.cache/strata) belongs to another user or others may write to it; set XDG_CACHE_HOME to a directory of your own",
				 path);
	case -ENOMEDIUM:
		return xasprintf("cannot open '%s': the bucket does not exist; create it first (strata uses a bucket, it does not make one), or check the name and AWS_ENDPOINT_URL",
				 path);
	case -ENOENT:
	case -EUCLEAN:
		return xasprintf("'%s' is not a strata repository: it has no config; create one there with 'strata init %s' or check the bucket and prefix",
				 path, path);
	case -EBADMSG:
		return xasprintf("repository '%s' has a damaged config object; restore '%s/config' from a copy of the repository",
				 path, path);
	case -EACCES:
		return xasprintf("access to '%s' was refused (HTTP 403); check the credentials, the region (AWS_REGION) and the bucket's permissions",
				 path);
	case -EPROTONOSUPPORT:
		return xasprintf("repository '%s' has format version %u, this strata reads versions %d to %d; use a newer strata",
				 path, r->version, REPO_FORMAT_OLDEST, REPO_FORMAT_VERSION);
	default:
		return xasprintf("cannot open repository '%s': %s; check AWS_ENDPOINT_URL and the network",
				 path, strerror(-rc));
	}
}

char *repo_open_message(const char *path, const struct repo *r, int rc)
{
	if (!store_is_local(path))
		return remote_message(path, r, rc);
	if (rc == -ELOOP)
		return xasprintf("repository '%s' is unsafe: packs/, generations/ or tmp/ is a symbolic link or not a directory; "
				 "make them plain directories inside the repository", path);
	if (rc == -EBADMSG)
		return xasprintf("repository '%s' has a damaged config file; restore '%s/config' from a copy of the repository",
				 path, path);
	if (rc == -ENOENT || rc == -ENOTDIR || rc == -EUCLEAN) {
		/* the hint must be one that works: init refuses a non-empty directory */
		struct stat st;
		if (stat(path, &st) < 0)
			return xasprintf("'%s' is not a strata repository: it does not exist; create one with 'strata init %s' or check the path",
					 path, path);
		if (!S_ISDIR(st.st_mode))
			return xasprintf("'%s' is not a strata repository: it is a file, not a directory; give the repository's directory",
					 path);
		if (dir_is_empty(path) == 1)
			return xasprintf("'%s' is not a strata repository: it is an empty directory; create one there with 'strata init %s'",
					 path, path);
		return xasprintf("'%s' is not a strata repository: it is a directory without a strata config; give the path of a repository, or create one in a new directory with 'strata init DIR'",
				 path);
	}
	if (rc == -EPROTONOSUPPORT)
		return xasprintf("repository '%s' has format version %u, this strata reads versions %d to %d; use a newer strata",
				 path, r->version, REPO_FORMAT_OLDEST, REPO_FORMAT_VERSION);
	return xasprintf("cannot open repository '%s': %s", path, strerror(-rc));
}

int repo_lock_check(const struct repo *r)
{
	int rc = store_lock_check(r->lock);
	return rc ? rc : store_lock_check(r->gclock);
}

void repo_unlock(struct repo *r)
{
	store_unlock(r->lock);
	store_unlock(r->gclock);
	store_unlock(r->cache_lock);
	r->lock = r->gclock = r->cache_lock = NULL;
}

void repo_close(struct repo *r)
{
	repo_unlock(r);
	store_free(r->cache);
	store_free(r->store);
	free(r->path);
	free(r->catalog);
	memset(r, 0, sizeof(*r));
}

static bool hex_name(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

struct listing {
	struct namelist *names, *strays;
	const char *dir;
};

/* <xx>/<xx...32 hex>.pack */
static int pack_seen(const char *name, void *arg)
{
	struct listing *l = arg;
	if (strlen(name) == 40 && name[2] == '/' && !strcmp(name + 35, ".pack") &&
	    hex_name(name + 3, 32) && !memcmp(name, name + 3, 2))
		namelist_add_n(l->names, name + 3, 32);
	else if (l->strays)
		namelist_add(l->strays, name);
	return 0;
}

/* <name>.gen, a plain name (no directory) */
static int gen_seen(const char *name, void *arg)
{
	struct listing *l = arg;
	size_t n = strlen(name);
	if (n > 4 && !strcmp(name + n - 4, ".gen") && !strchr(name, '/'))
		namelist_add_n(l->names, name, n - 4);
	else if (l->strays)
		namelist_add(l->strays, name);
	return 0;
}

static int list_sorted(const struct repo *r, const char *dir, unsigned depth, store_list_fn fn,
		       struct namelist *names, struct namelist *strays)
{
	struct listing l = { names, strays, dir };
	int rc = store_list(r->store, dir, depth, fn, &l);
	namelist_sort(names);
	if (strays)
		namelist_sort(strays);
	return rc;
}

int repo_list_packs(const struct repo *r, struct namelist *packs, struct namelist *strays)
{
	return list_sorted(r, "packs", 1, pack_seen, packs, strays);
}

int repo_list_gens(const struct repo *r, struct namelist *gens, struct namelist *strays)
{
	return list_sorted(r, "generations", 0, gen_seen, gens, strays);
}

char *repo_gen_key(const char *name)
{
	return xasprintf("generations/%s.gen", name);
}

char *repo_seq_key(uint64_t seq)
{
	return xasprintf("seqs/%llu", (unsigned long long)seq);
}

int repo_claim_seq(const struct repo *r, uint64_t *seq, const char *claim)
{
	if (r->store->local)
		return 0;
	for (unsigned tries = 0; tries < 1000; tries++, (*seq)++) {
		if (*seq >= (1u << 24))
			return -ERANGE;
		char *key = repo_seq_key(*seq);
		int rc = store_put(r->store, key, claim, strlen(claim), STORE_IF_ABSENT);
		free(key);
		if (rc != -EEXIST)
			return rc;
	}
	return -EBUSY;
}

int repo_open_pack(const struct repo *r, const char *name, struct store_file **f)
{
	char key[64];
	store_pack_key(key, name);
	return store_file_open(r->store, key, f);
}
