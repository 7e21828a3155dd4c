/*
 * srcstate.c - source database state for unchanged-source detection
 * (see srcstate.h).
 *
 * Encoding (216 bytes, all little-endian):
 *   0   "STRSRC1\0"
 *   8   database file: dev, ino, size, mtime_ns, ctime_ns (5 x u64)
 *   48  -wal file: present (u64 0/1), dev, ino, size, mtime_ns, ctime_ns
 *   96  the database header's first 100 bytes (zero padded if shorter)
 *   196 -journal file present (u64 0/1), its size (u64)
 *   212 the -wal file's 32-byte header (magic, checkpoint sequence, salts)
 *   244 the cumulative checksum of the last frame carrying the header's salts
 *   252 reserved, zero
 * An empty -wal file holds no transaction and counts as no -wal: SQLite
 * readers (ours included) create or reset one when they open the database.
 * The -wal's ctime is not recorded: SQLite running as root fchown()s the
 * -wal on every open, which moves its ctime although nothing changed.  Its
 * content identity comes from SQLite's own design instead: within one WAL
 * generation (fixed salts) frames are only appended, each frame's checksum
 * covers every frame before it, and a reset changes the salts.
 */
#include "srcstate.h"
#include "strata/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

static void put_stat(uint8_t *p, const struct stat *st)
{
	put_u64le(p, (uint64_t)st->st_dev);
	put_u64le(p + 8, (uint64_t)st->st_ino);
	put_u64le(p + 16, (uint64_t)st->st_size);
	put_u64le(p + 24, ns(&st->st_mtim));
	put_u64le(p + 32, ns(&st->st_ctim));
}

/* The WAL header and the checksum of the last frame of the current WAL generation. */
static int wal_identity(int fd, uint64_t size, uint8_t hdr[32], uint8_t sum[8])
{
	uint8_t fh[24];
	if (pread(fd, hdr, 32, 0) != 32)
		return size < 32 ? 0 : -EIO;
	uint32_t pgsz = (uint32_t)hdr[8] << 24 | (uint32_t)hdr[9] << 16 | (uint32_t)hdr[10] << 8 | hdr[11];
	if (pgsz == 1)
		pgsz = 65536;
	if (pgsz < 512 || pgsz > 65536 || (pgsz & (pgsz - 1)))
		return 0; /* not a WAL SQLite would use; the header and size still identify it */
	uint64_t fsz = 24 + (uint64_t)pgsz;
	for (uint64_t off = 32; off + fsz <= size; off += fsz) {
		if (pread(fd, fh, sizeof(fh), (off_t)off) != (ssize_t)sizeof(fh))
			return -EIO;
		if (!memcmp(fh + 8, hdr + 16, 8))
			memcpy(sum, fh + 16, 8);
	}
	return 0;
}

int srcstate_read(const char *path, struct srcstate *s)
{
	struct stat st;
	char *side;
	int fd, rc = 0;

	memset(s, 0, sizeof(*s));
	memcpy(s->b, "STRSRC1", 8);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	put_stat(s->b + 8, &st);
	ssize_t n = pread(fd, s->b + 96, 100, 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	side = xasprintf("%s-wal", path);
	int wfd = open(side, O_RDONLY | O_CLOEXEC);
	if (wfd >= 0) {
		if (fstat(wfd, &st) < 0) {
			rc = -errno;
		} else if (st.st_size > 0) {
			put_u64le(s->b + 48, 1);
			put_stat(s->b + 56, &st);
			put_u64le(s->b + 88, 0); /* ctime: see above */
			rc = wal_identity(wfd, (uint64_t)st.st_size, s->b + 212, s->b + 244);
		}
		close(wfd);
	} else if (errno != ENOENT) {
		rc = -errno;
	}
	free(side);
	side = xasprintf("%s-journal", path);
	if (!rc && stat(side, &st) == 0) {
		put_u64le(s->b + 196, 1);
		put_u64le(s->b + 204, (uint64_t)st.st_size);
	} else if (!rc && errno != ENOENT) {
		rc = -errno;
	}
	free(side);
out:
	close(fd);
	return rc;
}
