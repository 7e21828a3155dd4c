/* Unit tests for lib/pack.c: write, read back, detect corruption. */
#include "check.h"
#include "testutil.h"

#include "strata/fault.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/statfs.h>

enum { NCHUNKS = 6 };

static uint8_t *slurp(const char *path, size_t *n)
{
	uint8_t *d;
	if (read_file(path, 1 << 30, &d, n))
		abort();
	return d;
}

static void spit(const char *path, const uint8_t *d, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write_all(fd, d, n))
		abort();
	close(fd);
}

static int index_of(const char *path, struct pack_entry **e, size_t *n)
{
	uint64_t size;
	struct store_file *f = test_file(path);
	*e = NULL;
	if (!f)
		return -ENOENT;
	int rc = pack_read_index(f, e, n, &size);
	store_file_close(f);
	return rc;
}

/*
 * A pack of entries whose sizes cross the writer's 4 MiB stage at odd
 * places (direct I/O where the filesystem has it, lib/pack.c), then an
 * entry of 1 byte: the file holds exactly header, entries, index and
 * trailer, and reads back entry for entry.  In dir (the test's own, and
 * /dev/shm: tmpfs, with direct I/O from Linux 6.6 and without it before;
 * the fallback midway is big_pack_refused's).
 */
static void big_pack(const char *dir)
{
	enum { NBIG = 11 };
	struct store *stor;
	struct pack_writer *w;
	struct pack_entry ents[NBIG + 1];
	uint8_t *data[NBIG + 1];
	char name[33];
	unsigned long long seed = 42;

	if (store_open(dir, true, &stor)) {
		CHECKF(0, "%s: cannot make a store", dir);
		return;
	}
	CHECK(pack_writer_open(&w, stor) == 0);
	for (int i = 0; i <= NBIG; i++) {
		size_t n = i == NBIG ? 1 : (1u << 20) + 4096 * (size_t)i + 17 * (size_t)i + 1;
		data[i] = xmalloc(n);
		for (size_t k = 0; k < n; k++)
			data[i][k] = (uint8_t)(test_rand(&seed) >> 24);
		memset(&ents[i], 0, sizeof(ents[i]));
		chunk_id_of(&ents[i].id, data[i], n);
		ents[i].clen = (uint32_t)n;
		ents[i].ulen = (uint32_t)n;
		ents[i].nrows = 1;
		CHECK(pack_writer_add(w, &ents[i], data[i]) == 0);
	}
	uint64_t want = pack_writer_size(w);
	CHECK(pack_writer_finish(w, name) == 0);
	char *path = xasprintf("%s/packs/%.2s/%s.pack", dir, name, name);
	size_t plen;
	uint8_t *p = slurp(path, &plen);
	CHECKF(plen == want, "%s: pack of %zu bytes, want %llu", dir, plen, (unsigned long long)want);
	CHECK(plen > 8 && !memcmp(p, "STRPACK", 7));
	struct pack_entry *e = NULL;
	size_t n = 0;
	CHECK(pack_parse(p, plen, &e, &n) == 0 && n == NBIG + 1);
	for (size_t i = 0; i < n && e; i++)
		CHECKF(e[i].offset == ents[i].offset && e[i].clen == ents[i].clen &&
		       e[i].offset + e[i].clen <= plen && !memcmp(p + e[i].offset, data[i], e[i].clen),
		       "%s: entry %zu read back other bytes", dir, i);
	free(e);
	free(p);
	free(path);
	for (int i = 0; i <= NBIG; i++)
		free(data[i]);
	store_free(stor);
}

/*
 * big_pack in a child whose direct writes fail from the Nth on, as a
 * filesystem refusing O_DIRECT midway would (STRATA_FAULT=pack-direct@fail:N;
 * fault.h reads it once per process, so before the parent's first fault
 * point): the pack goes on through the page cache, byte for byte the same.
 */
static void big_pack_refused(const char *dir, const char *fault)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setenv("STRATA_FAULT", fault, 1);
		big_pack(dir);
		CHECKF(fault_fails("pack-direct"), "%s: the fault was not armed", fault);
		_exit(check_failures ? 1 : 0);
	}
	int status = 0;
	CHECKF(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0, "%s: an 11 MiB pack with %s", dir, fault);
}

int main(void)
{
	char *dir = make_tmpdir("pack");
	char *packs = xasprintf("%s/packs", dir), *tmp = xasprintf("%s/tmp", dir);
	{
		char *rdir = make_tmpdir("pack-refused");
		char *d1 = xasprintf("%s/1", rdir), *d3 = xasprintf("%s/3", rdir);
		big_pack_refused(d1, "pack-direct@fail");   /* from the first stage written */
		big_pack_refused(d3, "pack-direct@fail:3"); /* after two 4 MiB stages went directly */
		rm_rf(rdir);
		free(rdir);
		free(d1);
		free(d3);
	}
	struct store *stor;
	uint8_t *chunks[NCHUNKS];
	size_t ulens[NCHUNKS];
	struct pack_entry ents[NCHUNKS];
	struct pack_writer *w;
	char name[33];
	int rc;

	CHECK(store_open(dir, true, &stor) == 0);
	CHECK(pack_writer_open(&w, stor) == 0);
	for (int i = 0; i < NCHUNKS; i++) {
		size_t clen;
		chunks[i] = make_chunk(i * 1000, 50 + (unsigned)i * 20, "pk", &ents[i], &ulens[i],
				       NULL, NULL);
		uint8_t *c = compress_chunk(chunks[i], ulens[i], &clen);
		ents[i].clen = (uint32_t)clen;
		CHECK(pack_writer_add(w, &ents[i], c) == 0);
		free(c);
	}
	CHECK(pack_writer_count(w) == NCHUNKS);
	uint64_t expect_size = pack_writer_size(w);
	CHECK(pack_writer_finish(w, name) == 0);
	CHECK(strlen(name) == 32);

	char *path = xasprintf("%s/%.2s/%s.pack", packs, name, name);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == expect_size);
	/* nothing left behind in tmp/ */
	{
		char *probe = xasprintf("rmdir %s 2>/dev/null && mkdir %s", tmp, tmp);
		CHECKF(system(probe) == 0, "tmp/ not empty after finish");
		free(probe);
	}

	/* read back the index and every chunk */
	struct pack_entry *e = NULL;
	size_t n = 0;
	uint64_t fsize = 0;
	struct store_file *fd = test_file(path);
	CHECK(fd != NULL);
	CHECK(pack_read_index(fd, &e, &n, &fsize) == 0 && n == NCHUNKS && fsize == expect_size);
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	for (size_t i = 0; i < n && e; i++) {
		CHECK(!memcmp(&e[i].id, &ents[i].id, 16)); /* sorted by offset = write order */
		CHECK(e[i].offset == ents[i].offset && e[i].clen == ents[i].clen &&
		      e[i].ulen == ents[i].ulen && e[i].nrows == ents[i].nrows &&
		      e[i].csv_len == ents[i].csv_len);
		uint8_t *out = NULL;
		CHECK(chunk_read(fd, &e[i], dctx, &out) == 0 && out &&
		      !memcmp(out, chunks[i], ulens[i]));
		free(out);
	}
	store_file_close(fd);

	/* the same through pack_parse (memory) */
	size_t plen;
	uint8_t *pdata = slurp(path, &plen);
	struct pack_entry *e2 = NULL;
	size_t n2 = 0;
	CHECK(pack_parse(pdata, plen, &e2, &n2) == 0 && n2 == NCHUNKS && e2 &&
	      !memcmp(e2, e, n * sizeof(*e)));
	free(e2);

	/* flip every byte of every frame (one at a time): never served silently wrong */
	char *bad = xasprintf("%s/bad.pack", dir);
	uint8_t *copy = xmalloc(plen);
	size_t flips = 0, caught = 0;
	for (size_t i = 0; i < n && e; i++) {
		for (uint64_t off = e[i].offset; off < e[i].offset + e[i].clen; off++) {
			uint8_t *frame = pdata + e[i].offset;
			uint8_t saved = pdata[off];
			for (int bit = 0; bit < 8; bit += 7) { /* low and high bit */
				pdata[off] = saved ^ (uint8_t)(1u << bit);
				uint8_t *out = NULL;
				rc = chunk_decode(frame, e[i].clen, &e[i], dctx, &out);
				flips++;
				if (rc == 0) {
					CHECKF(!memcmp(out, chunks[i], ulens[i]),
					       "chunk %zu byte %llu flipped: different bytes served", i,
					       (unsigned long long)off);
				} else {
					caught++;
					CHECKF(rc == -EBADMSG || rc == -EUCLEAN, "rc %d", rc);
					CHECK(out == NULL);
				}
				free(out);
			}
			pdata[off] = saved;
		}
	}
	fprintf(stderr, "frame flips: %zu, %zu rejected\n", flips, caught);
	CHECK(caught > flips / 2);

	/* chunk_read from a corrupted file */
	memcpy(copy, pdata, plen);
	copy[e[2].offset + e[2].clen / 2] ^= 0x55;
	spit(bad, copy, plen);
	fd = test_file(bad);
	{
		uint8_t *out = NULL;
		rc = chunk_read(fd, &e[2], dctx, &out);
		CHECK(rc == -EBADMSG || rc == -EUCLEAN);
		CHECK(out == NULL);
		/* neighbours unaffected */
		CHECK(chunk_read(fd, &e[1], dctx, &out) == 0);
		free(out);
		/* an entry that claims a wrong id */
		struct pack_entry x = e[1];
		x.id.b[0] ^= 1;
		CHECK(chunk_read(fd, &x, dctx, &out) == -EBADMSG && !out);
		/* wrong ulen */
		x = e[1];
		x.ulen -= 1;
		CHECK(chunk_read(fd, &x, dctx, &out) != 0 && !out);
		x = e[1];
		x.ulen += 1;
		CHECK(chunk_read(fd, &x, dctx, &out) == -EUCLEAN && !out);
		/* past the end of file */
		x = e[1];
		x.offset = plen - 4;
		CHECK(chunk_read(fd, &x, dctx, &out) != 0 && !out);
	}
	store_file_close(fd);

	/* structural damage: every truncation is rejected */
	struct pack_entry *e3;
	size_t n3;
	for (size_t cut = 0; cut < plen; cut++) {
		rc = pack_parse(pdata, cut, &e3, &n3);
		CHECKF(rc == -EUCLEAN || rc == -EBADMSG, "truncated to %zu: rc %d", cut, rc);
		CHECK(e3 == NULL);
		free(e3);
	}
	memcpy(copy, pdata, plen);
	spit(bad, copy, plen - 1);
	CHECK(index_of(bad, &e3, &n3) == -EUCLEAN);
	spit(bad, copy, 10);
	CHECK(index_of(bad, &e3, &n3) == -EUCLEAN);
	spit(bad, copy, 0);
	CHECK(index_of(bad, &e3, &n3) == -EUCLEAN);

	/* every single byte flip outside the frames is rejected by pack_parse,
	 * except in the 4 reserved header bytes */
	uint64_t ioff = get_u64le(pdata + plen - PACK_TRAILER_SIZE);
	size_t flipped_ok = 0;
	for (size_t off = 0; off < plen; off++) {
		if (off >= PACK_HEADER_SIZE && off < ioff)
			continue;
		memcpy(copy, pdata, plen);
		copy[off] ^= 0x01;
		rc = pack_parse(copy, plen, &e3, &n3);
		if (rc == 0) {
			free(e3);
			if (off >= 12 && off < 16)
				continue;
			flipped_ok++;
			CHECKF(rc != 0, "flip at %zu (index at %llu) accepted", off,
			       (unsigned long long)ioff);
		} else {
			int want_bad = off >= ioff && off < plen - PACK_TRAILER_SIZE;
			if (want_bad)
				CHECKF(rc == -EBADMSG, "index flip at %zu: rc %d", off, rc);
			else
				CHECK(rc == -EUCLEAN || rc == -EBADMSG);
		}
	}
	/* bad trailer magic, version, count, index offset; through the fd path too */
	struct { size_t at; uint8_t x; int want; } dmg[] = {
		{ plen - 8, 'X', -EUCLEAN },          /* "STRPEND" */
		{ plen - 20, 2, -EUCLEAN },           /* version */
		{ plen - 24, 1, -EUCLEAN },           /* count */
		{ plen - 32, 1, -EUCLEAN },           /* index offset */
		{ plen - 16, 1, -EBADMSG },           /* index checksum */
		{ (size_t)ioff + 20, 1, -EBADMSG },   /* index bytes */
		{ 0, 'x', -EUCLEAN },                 /* header magic */
		{ 8, 2, -EUCLEAN },                   /* header version */
	};
	for (size_t i = 0; i < sizeof(dmg) / sizeof(dmg[0]); i++) {
		memcpy(copy, pdata, plen);
		copy[dmg[i].at] ^= dmg[i].x;
		spit(bad, copy, plen);
		rc = index_of(bad, &e3, &n3);
		CHECKF(rc == dmg[i].want, "damage %zu: rc %d want %d", i, rc, dmg[i].want);
		CHECK(e3 == NULL);
		rc = pack_parse(copy, plen, &e3, &n3);
		CHECKF(rc == dmg[i].want, "damage %zu (parse): rc %d want %d", i, rc, dmg[i].want);
	}

	/* an empty pack is valid */
	CHECK(pack_writer_open(&w, stor) == 0);
	CHECK(pack_writer_finish(w, name) == 0);
	char *epath = xasprintf("%s/%.2s/%s.pack", packs, name, name);
	CHECK(index_of(epath, &e3, &n3) == 0 && n3 == 0);
	free(e3);
	free(epath);
	/* abort removes the temporary file */
	CHECK(pack_writer_open(&w, stor) == 0);
	pack_writer_abort(w);
	pack_writer_abort(NULL);
	{
		char *probe = xasprintf("rmdir %s 2>/dev/null", tmp);
		CHECKF(system(probe) == 0, "tmp/ not empty after abort");
		free(probe);
	}

	ZSTD_freeDCtx(dctx);
	for (int i = 0; i < NCHUNKS; i++)
		free(chunks[i]);
	free(e);
	free(copy);
	free(pdata);
	free(bad);
	free(path);
	store_free(stor);
	char *bigdir = xasprintf("%s/big", dir);
	big_pack(bigdir);
	free(bigdir);
	struct statfs sf;
	if (statfs("/dev/shm", &sf) == 0 && sf.f_type == TMPFS_MAGIC) {
		char *shm = xasprintf("/dev/shm/strata-unit-pack-%d", (int)getpid());
		big_pack(shm);
		rm_rf(shm);
		free(shm);
	}
	rm_rf(dir);
	free(dir);
	free(packs);
	free(tmp);
	return check_done("unit-pack");
}
