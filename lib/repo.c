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

static void repo_paths(struct repo *r, const char *path)
{
	r->path = xstrdup(path);
	r->packs = xasprintf("%s/packs", path);
	r->gens = xasprintf("%s/generations", path);
	r->tmp = xasprintf("%s/tmp", path);
	r->catalog = xasprintf("%s/catalog.db", path);
	r->lockfd = r->gclockfd = -1;
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

	int level = o && o->zstd_level ? o->zstd_level : 3;

	if (avg < 64 || avg > (256u << 20) || psize < 4096 || psize > (UINT64_C(1) << 32) ||
	    fsize < FRAMED_MIN_FRAME || fsize > FRAMED_MAX_FRAME || level < 1 || level > 19)
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
	r.zstd_level = level;
	r.frame_size = (uint32_t)fsize;
	/*
	 * The deletion lock's file exists from the start, so that a verify run
	 * by a user who may not create files here can still take it shared.
	 */
	char *gl = xasprintf("%s/gc-lock", path);
	int gfd = open(gl, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
	free(gl);
	if (gfd >= 0)
		close(gfd);
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
	int rc = read_file(path, REPO_CONFIG_MAX, data, n);
	return rc == -ENOENT || rc == -ELOOP || rc == -EFBIG ? -EUCLEAN : rc;
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
	r->lockfd = r->gclockfd = -1;
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

/* What the lock file fd says about its holder, one printable line, or "" (caller frees). */
static char *holder_line(int fd)
{
	char text[256];
	ssize_t n = fd >= 0 ? pread(fd, text, sizeof(text) - 1, 0) : -1;
	struct buf b = BUF_INIT;
	if (n < 0)
		n = 0;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == 0))
		n--;
	buf_add_printable(&b, text, (size_t)n);
	return b.data ? (char *)buf_detach(&b, NULL) : xstrdup("");
}

char *repo_lock_holder(const struct repo *r)
{
	char *lp = xasprintf("%s/lock", r->path);
	int fd;
	open_regular(lp, &fd, NULL); /* -1 on failure: an unknown holder */
	char *h = holder_line(fd);
	if (fd >= 0)
		close(fd);
	free(lp);
	return h;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * flock() REPO/<name> with op (LOCK_EX or LOCK_SH), waiting as repo_lock
 * says; an exclusive holder writes who it is into the file.  0 with *fdp
 * set, or -errno (-EWOULDBLOCK: held by another).
 */
static int lock_file(struct repo *r, const char *name, int op, const char *what, int64_t wait_ms,
		     void (*waiting)(const char *holder, void *arg), void *arg, int *fdp)
{
	char *lp = xasprintf("%s/%s", r->path, name);
	/* never through a link, never blocking on a FIFO (flock then fails on it) */
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
	/* a shared lock needs no write access: one who may not write here still takes it */
	if (fd < 0 && op == LOCK_SH && (errno == EACCES || errno == EROFS || errno == EPERM))
		fd = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	/* a wait of more than a century is no limit (and mono_ms() + wait_ms cannot overflow) */
	if (wait_ms > INT64_C(100) * 366 * 86400 * 1000)
		wait_ms = -1;
	int64_t deadline = wait_ms > 0 ? mono_ms() + wait_ms : 0;
	unsigned nap_ms = 50;
	free(lp);
	if (fd < 0)
		return -errno;
	while (flock(fd, op | LOCK_NB) < 0) {
		int rc = -errno;
		if (rc == -EINTR)
			continue;
		if (rc != -EWOULDBLOCK || !wait_ms || (wait_ms > 0 && mono_ms() >= deadline)) {
			close(fd);
			return rc;
		}
		if (waiting) {
			char *h = holder_line(fd);
			waiting(h, arg);
			free(h);
			waiting = NULL;
		}
		/* poll, not a blocking flock: the wait can end at the deadline */
		if (wait_ms > 0 && mono_ms() + nap_ms > deadline)
			nap_ms = (unsigned)(deadline - mono_ms() > 0 ? deadline - mono_ms() : 1);
		struct timespec ts = { nap_ms / 1000, (long)(nap_ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		nap_ms = nap_ms * 2 > 1000 ? 1000 : nap_ms * 2;
	}
	if (op == LOCK_EX) {
		/* who holds it, for the next one that has to wait */
		char host[64] = "", ts[32];
		gethostname(host, sizeof(host) - 1);
		time_rfc3339(ts, (int64_t)time(NULL));
		char *who = xasprintf("%s (pid %ld on %s, since %s)\n", what ? what : "strata",
				      (long)getpid(), host, ts);
		if (ftruncate(fd, 0) == 0 && pwrite(fd, who, strlen(who), 0) < 0) {
			/* only a courtesy to waiters: the lock itself is held */
		}
		free(who);
	}
	*fdp = fd;
	return 0;
}

int repo_lock(struct repo *r, const char *what, int64_t wait_ms,
	      void (*waiting)(const char *holder, void *arg), void *arg)
{
	return lock_file(r, "lock", LOCK_EX, what, wait_ms, waiting, arg, &r->lockfd);
}

int repo_lock_gc(struct repo *r, bool exclusive, const char *what, int64_t wait_ms,
		 void (*waiting)(const char *holder, void *arg), void *arg)
{
	return lock_file(r, "gc-lock", exclusive ? LOCK_EX : LOCK_SH, what, wait_ms, waiting, arg,
			 &r->gclockfd);
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

void repo_close(struct repo *r)
{
	if (r->lockfd >= 0)
		close(r->lockfd);
	if (r->gclockfd >= 0)
		close(r->gclockfd);
	free(r->path);
	free(r->packs);
	free(r->gens);
	free(r->tmp);
	free(r->catalog);
	memset(r, 0, sizeof(*r));
	r->lockfd = r->gclockfd = -1;
}
