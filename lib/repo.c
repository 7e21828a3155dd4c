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
#include <unistd.h>

#define DEFAULT_CHUNK_AVG (512u * 1024)
#define DEFAULT_PACK_SIZE (32u * 1024 * 1024)

static void repo_paths(struct repo *r, const char *path)
{
	r->path = xstrdup(path);
	r->packs = xasprintf("%s/packs", path);
	r->gens = xasprintf("%s/generations", path);
	r->tmp = xasprintf("%s/tmp", path);
	r->catalog = xasprintf("%s/catalog.db", path);
	r->lockfd = -1;
}

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
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

int repo_upgrade(struct repo *r)
{
	struct buf cfg = BUF_INIT;
	int rc;

	if (r->version >= REPO_FORMAT_VERSION)
		return 0;
	config_text(&cfg, r);
	rc = write_file_atomic(r->tmp, r->path, "config", cfg.data, cfg.len);
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
	uint64_t fsize = o && o->frame_size ? o->frame_size : FRAMED_DEFAULT_FRAME;
	char hex[33];
	int rc;

	if (avg < 64 || avg > (256u << 20) || psize < 4096 || psize > (UINT64_C(1) << 32) ||
	    fsize < FRAMED_MIN_FRAME || fsize > FRAMED_MAX_FRAME)
		return -EINVAL;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	rc = dir_is_empty(path);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -ENOTEMPTY;
	repo_paths(&r, path);
	if (getrandom(id, sizeof(id), 0) != sizeof(id)) {
		rc = -errno;
		goto out;
	}
	hex_encode(hex, id, 16);
	if (mkdir(r.packs, 0755) < 0 || mkdir(r.gens, 0755) < 0 || mkdir(r.tmp, 0755) < 0) {
		rc = -errno;
		goto out;
	}
	memcpy(r.id, hex, 33);
	r.chunk.min = avg / 4;
	r.chunk.avg = avg;
	r.chunk.max = avg * 4;
	r.pack_size = psize;
	r.zstd_level = 3;
	r.frame_size = (uint32_t)fsize;
	config_text(&cfg, &r);
	/* config last: a directory without it is not (yet) a repository */
	rc = write_file_atomic(r.tmp, r.path, "config", cfg.data, cfg.len);
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
	    fsize < FRAMED_MIN_FRAME || fsize > FRAMED_MAX_FRAME)
		return -EUCLEAN;
	r->zstd_level = (int)lvl;
	r->frame_size = (uint32_t)fsize;
	return 0;
}

/*
 * The config file: a regular file (not a symlink; a FIFO must not block the
 * open) of at most REPO_CONFIG_MAX bytes.  -EUCLEAN for anything else.
 */
static int read_config(const char *path, uint8_t **data, size_t *n)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), rc = 0;

	*data = NULL;
	*n = 0;
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? -EUCLEAN : -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_size > REPO_CONFIG_MAX)
		rc = -EUCLEAN;
	else {
		*data = xmalloc((size_t)st.st_size + 1);
		rc = pread_all(fd, *data, (size_t)st.st_size, 0);
	}
	close(fd);
	if (rc) {
		free(*data);
		*data = NULL;
		return rc;
	}
	(*data)[st.st_size] = 0;
	*n = (size_t)st.st_size;
	return 0;
}

/* 0 for a directory; -ELOOP for a link or anything else there; -EUCLEAN if missing. */
static int real_dir(const char *p)
{
	struct stat st;
	if (lstat(p, &st) < 0)
		return -EUCLEAN;
	return S_ISDIR(st.st_mode) ? 0 : -ELOOP;
}

int repo_open(struct repo *r, const char *path)
{
	uint8_t *cfg;
	size_t n;
	struct stat st;
	int rc;

	memset(r, 0, sizeof(*r));
	r->lockfd = -1;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	repo_paths(r, path);
	char *cp = xasprintf("%s/config", path);
	rc = read_config(cp, &cfg, &n);
	free(cp);
	if (!rc) {
		rc = repo_parse_config(r, (const char *)cfg, n);
		/* a config that says it is one but does not parse: damaged, not foreign */
		if (rc == -EUCLEAN && n >= 18 && !memcmp(cfg, "strata-repository\n", 18))
			rc = -EBADMSG;
		free(cfg);
	}
	/*
	 * lstat: packs/, generations/ and tmp/ must be real directories.  A
	 * symbolic link there would make writers write (and tmp/ cleaning
	 * delete) outside the repository.
	 */
	if (!rc)
		rc = real_dir(r->packs);
	if (!rc)
		rc = real_dir(r->gens);
	if (!rc && lstat(r->tmp, &st) < 0)
		mkdir(r->tmp, 0755);
	if (!rc)
		rc = real_dir(r->tmp);
	if (rc) {
		unsigned ver = r->version;
		repo_close(r);
		r->version = ver;
	}
	return rc;
}

int repo_lock(struct repo *r, int wait)
{
	char *lp = xasprintf("%s/lock", r->path);
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(lp);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	r->lockfd = fd;
	return 0;
}

void repo_clean_tmp(struct repo *r)
{
	/* never through a link: only what is really inside REPO/tmp is removed */
	int fd = open(r->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

char *repo_open_message(const char *path, const struct repo *r, int rc)
{
	if (rc == -ELOOP)
		return xasprintf("repository '%s' is unsafe: packs/, generations/ or tmp/ is a symbolic link or not a directory; "
				 "make them plain directories inside the repository", path);
	if (rc == -EBADMSG)
		return xasprintf("repository '%s' has a damaged config file; restore '%s/config' from a copy of the repository",
				 path, path);
	if (rc == -ENOENT || rc == -ENOTDIR || rc == -EUCLEAN)
		return xasprintf("'%s' is not a strata repository; create one with 'strata init %s' or check the path",
				 path, path);
	if (rc == -EPROTONOSUPPORT)
		return xasprintf("repository '%s' has format version %u, this strata reads versions %d to %d; use a newer strata",
				 path, r->version, REPO_FORMAT_OLDEST, REPO_FORMAT_VERSION);
	return xasprintf("cannot open repository '%s': %s", path, strerror(-rc));
}

void repo_close(struct repo *r)
{
	if (r->lockfd >= 0)
		close(r->lockfd);
	free(r->path);
	free(r->packs);
	free(r->gens);
	free(r->tmp);
	free(r->catalog);
	memset(r, 0, sizeof(*r));
	r->lockfd = -1;
}
