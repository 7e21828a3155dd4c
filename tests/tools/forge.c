/*
 * forge.c - turn a valid repository into a lying one, for
 * tests/integration/t_hostile_repo.sh.
 *
 *   forge --list                 every variant: NAME<TAB>KIND<TAB>what lies
 *   forge REPO GEN VARIANT       rewrite REPO in place (work on a copy; a
 *                                copy of hard links is fine: files are
 *                                replaced, never written in place)
 *
 * GEN names the generation to lie about: its manifest, and the pack that
 * holds the first chunk of its first table (which must have at least two
 * chunks, in that pack).  Every lie carries a valid checksum (the
 * manifest's trailing xxh3-64, the pack index's xxh3-64) so that it gets
 * past the checksums to the structural checks.  KIND says what a correct
 * reader does with it:
 *   refuse-repo  the whole repository is refused (config)
 *   skip         GEN (or the lying extra file) is skipped with a message;
 *                every other generation stays as it was
 *   eio          GEN is listed, but reads of the lying chunk fail with EIO
 *   accept       nothing is wrong for a reader (a control)
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "strata/catalog.h"
#include "strata/idxnode.h"
#include "strata/manifest.h"
#include "strata/naming.h"
#include "strata/pack.h"
#include "strata/repo.h"
#include "strata/rowcodec.h"

struct ctx {
	const char *repo, *gen;
	char *genpath;
	uint8_t *gdata;
	size_t glen;
	struct manifest m;
	/* the pack holding table 0's first chunk */
	char *packpath;
	uint8_t *p;
	size_t plen;
	uint64_t ioff;
	uint32_t count;
	uint8_t *e0, *e1; /* raw index entries of chunks 0 and 1 of table 0 */
};

static void die(const char *what)
{
	fprintf(stderr, "forge: %s\n", what);
	exit(2);
}

/*
 * Replace path by a new file (a new inode: the repository may be a copy
 * made of hard links, `cp -al`, whose originals must stay intact).
 */
static void write_whole(const char *path, const void *d, size_t n)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, d, n) || close(fd))
		die(path);
}

/* ---- manifests: an encoder that writes what it is told ---- */

struct mlie {
	bool ntables_set, nchunks_set, ncols_set, dirname_set;
	uint64_t ntables, nchunks, ncols; /* count fields written (table 0) */
	const char *dirname;              /* table 0's dirname bytes */
	size_t dirname_len;
	uint32_t version;
	size_t trailing; /* junk bytes before the checksum */
};

static void enc_manifest(struct buf *b, const struct manifest *m, const struct mlie *l)
{
	/*
	 * version 4 unless told: the last one with the chunk lists inline,
	 * which is what the lies below are about (version 5 lists index
	 * nodes; their checks are unit-tested and fuzzed, tests/unit/test_manifest.c)
	 */
	unsigned version = l && l->version ? l->version : 4;
	buf_add(b, "STRGEN\0\0", 8);
	buf_add_u32le(b, version);
	buf_add_varint(b, m->seq);
	buf_add_bytes(b, m->name, strlen(m->name));
	buf_add(b, m->id, 16);
	buf_add_svarint(b, m->time);
	buf_add_bytes(b, m->label, strlen(m->label));
	buf_add_bytes(b, m->source, strlen(m->source));
	buf_add_bytes(b, m->schema, strlen(m->schema));
	buf_add_varint(b, m->source_bytes);
	buf_add_varint(b, m->new_bytes);
	buf_add_varint(b, l && l->ntables_set ? l->ntables : m->ntables);
	for (size_t i = 0; i < m->ntables; i++) {
		const struct manifest_table *t = &m->tables[i];
		bool t0 = l && i == 0;
		buf_add_bytes(b, t->name, strlen(t->name));
		if (t0 && l->dirname_set)
			buf_add_bytes(b, l->dirname, l->dirname_len);
		else
			buf_add_bytes(b, t->dirname, strlen(t->dirname));
		buf_add_bytes(b, t->schema, strlen(t->schema));
		buf_add_varint(b, t->flags);
		buf_add_varint(b, t0 && l->ncols_set ? l->ncols : t->ncols);
		for (unsigned c = 0; c < t->ncols; c++)
			buf_add_bytes(b, t->cols[c], strlen(t->cols[c]));
		if (version >= 3 && t->classes)
			buf_add_bytes(b, t->classes, t->ncols);
		else if (version >= 3)
			buf_add_varint(b, 0);
		buf_add_varint(b, t->nrows);
		buf_add_varint(b, t->csv_size);
		buf_add_varint(b, t0 && l->nchunks_set ? l->nchunks : t->nchunks);
		for (size_t k = 0; k < t->nchunks; k++) {
			const struct manifest_chunk *c = &t->chunks[k];
			buf_add(b, c->id.b, 16);
			buf_add_varint(b, c->nrows);
			buf_add_varint(b, c->ulen);
			buf_add_varint(b, c->csv_len);
			if (version >= 2) {
				buf_add_varint(b, c->jsonl_len);
				buf_add_varint(b, c->sql_len);
			}
			buf_add_bytes(b, c->first_key, c->first_len);
			buf_add_bytes(b, c->last_key, c->last_len);
		}
	}
	if (version >= 2) {
		/* the database section (lib/manifest.c), as decoded */
		buf_add_varint(b, m->npragmas);
		for (size_t i = 0; i < m->npragmas; i++) {
			buf_add_bytes(b, m->pragmas[i].name, strlen(m->pragmas[i].name));
			buf_add_svarint(b, m->pragmas[i].value);
		}
		buf_add_varint(b, m->nobjects);
		for (size_t i = 0; i < m->nobjects; i++) {
			const struct manifest_object *o = &m->objects[i];
			buf_add_bytes(b, o->type, strlen(o->type));
			buf_add_bytes(b, o->name, strlen(o->name));
			buf_add_bytes(b, o->tbl_name, strlen(o->tbl_name));
			buf_add_bytes(b, o->sql, strlen(o->sql));
		}
	}
	if (version >= 4) {
		/* the properties (lib/manifest.c): the database's name */
		char db[DB_NAME_MAX + 1];
		manifest_db_name(m, db);
		buf_add_varint(b, 1);
		buf_add_bytes(b, "db", 2);
		buf_add_bytes(b, db, strlen(db));
	}
	for (size_t i = 0; l && i < l->trailing; i++)
		buf_addc(b, (uint8_t)i);
	buf_add_u64le(b, XXH3_64bits(b->data, b->len));
}

static void put_gen_as(struct ctx *c, const char *fname, const struct mlie *l)
{
	struct buf b = BUF_INIT;
	char *path = xasprintf("%s/generations/%s", c->repo, fname);
	enc_manifest(&b, &c->m, l);
	write_whole(path, b.data, b.len);
	buf_release(&b);
	free(path);
}

static void put_gen(struct ctx *c, const struct mlie *l)
{
	char *fn = xasprintf("%s.gen", c->gen);
	put_gen_as(c, fn, l);
	free(fn);
}

static struct manifest_table *t0(struct ctx *c)
{
	return &c->m.tables[0];
}

static struct manifest_chunk *ch(struct ctx *c, size_t k)
{
	return &t0(c)->chunks[k];
}

/* ---- packs: raw index entries, checksum recomputed ---- */

static void put_pack(struct ctx *c)
{
	/* the checksum of the index bytes that are there, whatever count says */
	if (c->ioff <= c->plen - PACK_TRAILER_SIZE) {
		uint8_t *tr = c->p + c->plen - PACK_TRAILER_SIZE;
		put_u64le(tr + 16, XXH3_64bits(c->p + c->ioff, c->plen - PACK_TRAILER_SIZE - c->ioff));
	}
	write_whole(c->packpath, c->p, c->plen);
}

static uint8_t *trailer(struct ctx *c)
{
	return c->p + c->plen - PACK_TRAILER_SIZE;
}

static void swap_gen_file(struct ctx *c, const char *kind)
{
	/* replace the manifest file itself by something that is not one */
	if (unlink(c->genpath))
		die(c->genpath);
	if (!strcmp(kind, "fifo") && mkfifo(c->genpath, 0644))
		die("mkfifo");
	if (!strcmp(kind, "dir") && mkdir(c->genpath, 0755))
		die("mkdir");
	if (!strcmp(kind, "symlink")) {
		/* to a copy of itself elsewhere: the content is fine, the link is not */
		char *dst = xasprintf("%s/tmp/.%s.gen", c->repo, c->gen);
		write_whole(dst, c->gdata, c->glen);
		if (symlink(dst, c->genpath))
			die("symlink");
		free(dst);
	}
}

static void swap_pack_file(struct ctx *c, const char *kind)
{
	if (unlink(c->packpath))
		die(c->packpath);
	if (!strcmp(kind, "fifo") && mkfifo(c->packpath, 0644))
		die("mkfifo");
	if (!strcmp(kind, "dir") && mkdir(c->packpath, 0755))
		die("mkdir");
	if (!strcmp(kind, "symlink")) {
		char *dst = xasprintf("%s/tmp/.pack", c->repo);
		write_whole(dst, c->p, c->plen);
		if (symlink(dst, c->packpath))
			die("symlink");
		free(dst);
	}
}

static void put_config(struct ctx *c, const char *text, size_t n)
{
	char *path = xasprintf("%s/config", c->repo);
	write_whole(path, text, n);
	free(path);
}

static const char *CFG_HEAD = "strata-repository\nversion = 1\nid = 00112233445566778899aabbccddeeff\n";

static void put_config_with(struct ctx *c, const char *lines)
{
	char *t = xasprintf("%s%s", CFG_HEAD, lines);
	put_config(c, t, strlen(t));
	free(t);
}

/* ---- the variants ---- */

static void v(struct ctx *c, const char *name)
{
	struct mlie l = { 0 };
	struct manifest_table *t = t0(c);
	uint64_t big = UINT64_C(1) << 60;

	/* -- manifest counts that claim more than is there -- */
	if (!strcmp(name, "m-ntables-2^60")) {
		l.ntables_set = true, l.ntables = big;
	} else if (!strcmp(name, "m-ntables-max")) {
		l.ntables_set = true, l.ntables = MANIFEST_MAX_TABLES;
	} else if (!strcmp(name, "m-nchunks-2^60")) {
		l.nchunks_set = true, l.nchunks = big;
	} else if (!strcmp(name, "m-nchunks-max")) {
		l.nchunks_set = true, l.nchunks = MANIFEST_MAX_CHUNKS;
	} else if (!strcmp(name, "m-ncols-2^40")) {
		l.ncols_set = true, l.ncols = UINT64_C(1) << 40;
	} else if (!strcmp(name, "m-ncols-max")) {
		l.ncols_set = true, l.ncols = 32767;
	/* -- sums that overflow or do not add up -- */
	} else if (!strcmp(name, "m-nrows-wrap")) {
		ch(c, 0)->nrows += UINT64_C(1) << 63;
		ch(c, 1)->nrows += UINT64_C(1) << 63;
	} else if (!strcmp(name, "m-csv-wrap")) {
		ch(c, 0)->csv_len += UINT64_C(1) << 63;
		ch(c, 1)->csv_len += UINT64_C(1) << 63;
	} else if (!strcmp(name, "m-csv-2^62")) {
		ch(c, 0)->csv_len += UINT64_C(1) << 62;
		t->csv_size += UINT64_C(1) << 62;
	} else if (!strcmp(name, "m-table-nrows-2^62")) {
		t->nrows = UINT64_C(1) << 62;
	} else if (!strcmp(name, "m-chunk-nrows-0")) {
		t->nrows -= ch(c, 0)->nrows;
		ch(c, 0)->nrows = 0;
	} else if (!strcmp(name, "m-chunk-ulen-2^60")) {
		ch(c, 0)->ulen = big;
	} else if (!strcmp(name, "m-chunk-ulen-lie")) {
		ch(c, 0)->ulen += 1;
	/* -- names -- */
	} else if (!strncmp(name, "m-dirname-", 10)) {
		static const struct { const char *n, *d; size_t len; } dn[] = {
			{ "dotdot", "..", 2 }, { "dot", ".", 1 }, { "slash", "a/b", 3 },
			{ "empty", "", 0 }, { "nul", "a\0b", 3 }, { "newline", "a\nb", 3 },
			{ "del", "a\x7f", 2 }, { "schema", "schema.sql", 10 },
			{ "json", "generation.json", 15 }, { "trailing-nul", "abc\0", 4 },
		};
		const char *which = name + 10;
		l.dirname_set = true;
		if (!strcmp(which, "long")) {
			static char longd[253];
			memset(longd, 'd', 252);
			l.dirname = longd, l.dirname_len = 252;
		} else if (!strcmp(which, "dup")) {
			if (c->m.ntables < 2)
				die("m-dirname-dup needs two tables");
			l.dirname = c->m.tables[1].dirname;
			l.dirname_len = strlen(l.dirname);
		} else {
			size_t i;
			for (i = 0; i < sizeof(dn) / sizeof(dn[0]); i++)
				if (!strcmp(which, dn[i].n))
					break;
			if (i == sizeof(dn) / sizeof(dn[0]))
				die("no such dirname variant");
			l.dirname = dn[i].d, l.dirname_len = dn[i].len;
		}
	} else if (!strcmp(name, "m-name-mismatch")) {
		char *n = xasprintf("%sx", c->m.name);
		free(c->m.name);
		c->m.name = n;
	} else if (!strcmp(name, "m-name-latest") || !strcmp(name, "m-name-long")) {
		/* an extra manifest, named as its file */
		char *n = !strcmp(name, "m-name-latest") ? xstrdup("latest") : NULL;
		if (!n) {
			n = xmalloc(81);
			memset(n, 'g', 80);
			n[80] = 0;
		}
		free(c->m.name);
		c->m.name = n;
		c->m.seq += 100;
		char *fn = xasprintf("%s.gen", n);
		put_gen_as(c, fn, NULL);
		free(fn);
		return;
	/* -- chunks -- */
	} else if (!strcmp(name, "m-chunk-missing")) {
		memset(ch(c, 0)->id.b, 0xa5, 16);
	} else if (!strcmp(name, "m-key-malformed")) {
		ch(c, 0)->first_key[0] = 0; /* nkey = 0 */
		ch(c, 0)->first_len = 1;
	} else if (!strcmp(name, "m-key-trailing")) {
		uint8_t *k = xmalloc(ch(c, 0)->first_len + 1);
		memcpy(k, ch(c, 0)->first_key, ch(c, 0)->first_len);
		k[ch(c, 0)->first_len] = 0;
		free(ch(c, 0)->first_key);
		ch(c, 0)->first_key = k;
		ch(c, 0)->first_len++;
	} else if (!strcmp(name, "m-keys-unordered")) {
		struct manifest_chunk x = *ch(c, 0);
		*ch(c, 0) = *ch(c, 1);
		*ch(c, 1) = x;
	} else if (!strcmp(name, "m-key-reversed")) {
		uint8_t *k = ch(c, 0)->first_key;
		size_t n = ch(c, 0)->first_len;
		ch(c, 0)->first_key = ch(c, 0)->last_key, ch(c, 0)->first_len = ch(c, 0)->last_len;
		ch(c, 0)->last_key = k, ch(c, 0)->last_len = n;
		if (!key_compare(k, n, ch(c, 0)->first_key, ch(c, 0)->first_len))
			die("m-key-reversed needs a chunk of two rows or more");
	/* -- generation fields -- */
	} else if (!strcmp(name, "m-seq-0")) {
		c->m.seq = 0;
	} else if (!strcmp(name, "m-seq-2^24")) {
		c->m.seq = 1u << 24;
	} else if (!strcmp(name, "m-seq-dup")) {
		/* a second manifest with GEN's seq, named after GEN */
		char *n = xasprintf("%s-2", c->m.name);
		free(c->m.name);
		c->m.name = n;
		char *fn = xasprintf("%s.gen", n);
		put_gen_as(c, fn, NULL);
		free(fn);
		return;
	} else if (!strcmp(name, "m-time-max")) {
		c->m.time = INT64_MAX;
	} else if (!strcmp(name, "m-time-min")) {
		c->m.time = INT64_MIN;
	} else if (!strcmp(name, "m-version-999")) {
		l.version = 999;
	} else if (!strcmp(name, "m-trailing-bytes")) {
		l.trailing = 7;
	/* -- the file itself -- */
	} else if (!strcmp(name, "m-truncated")) {
		char *p = xasprintf("%s", c->genpath);
		write_whole(p, c->gdata, c->glen / 2);
		free(p);
		return;
	} else if (!strcmp(name, "m-flipped-byte")) {
		c->gdata[c->glen / 2] ^= 0x40;
		write_whole(c->genpath, c->gdata, c->glen);
		return;
	} else if (!strcmp(name, "m-empty")) {
		write_whole(c->genpath, "", 0);
		return;
	} else if (!strcmp(name, "m-sparse-3GiB")) {
		/* a valid start, then a hole: 3 GiB that would have to be read */
		unlink(c->genpath);
		int fd = open(c->genpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || write_all(fd, c->gdata, 64) || ftruncate(fd, (off_t)3 << 30) || close(fd))
			die("sparse manifest");
		return;
	} else if (!strcmp(name, "m-fifo") || !strcmp(name, "m-dir") || !strcmp(name, "m-symlink")) {
		swap_gen_file(c, name + 2);
		return;
	/* -- packs: index entries (checksum recomputed) -- */
	} else if (!strncmp(name, "p-", 2) || !strncmp(name, "pm-", 3)) {
		uint8_t *e = c->e0, *tr = trailer(c);
		if (!strcmp(name, "p-offset-eof"))
			put_u64le(e + 16, c->plen + 100);
		else if (!strcmp(name, "p-offset-2^63"))
			put_u64le(e + 16, UINT64_C(1) << 63);
		else if (!strcmp(name, "p-offset-0"))
			put_u64le(e + 16, 0);
		else if (!strcmp(name, "p-clen-2^31"))
			put_u32le(e + 24, 1u << 31);
		else if (!strcmp(name, "p-clen-0"))
			put_u32le(e + 24, 0);
		else if (!strcmp(name, "p-ulen-max"))
			put_u32le(e + 28, UINT32_MAX);
		else if (!strcmp(name, "p-nrows-2^60"))
			put_u64le(e + 32, big);
		else if (!strcmp(name, "p-csvlen-2^63"))
			put_u64le(e + 40, UINT64_C(1) << 63);
		else if (!strcmp(name, "p-overlap-index")) {
			put_u64le(e + 16, c->ioff - 1);
			put_u32le(e + 24, 10);
		} else if (!strcmp(name, "p-overlap-trailer")) {
			put_u64le(e + 16, c->plen - 16);
			put_u32le(e + 24, 8);
		} else if (!strcmp(name, "p-overlap-frames")) {
			put_u64le(c->e1 + 16, get_u64le(e + 16) + 1);
		} else if (!strcmp(name, "p-dup-id")) {
			memcpy(c->e1, e, 16);
		} else if (!strcmp(name, "p-count-max"))
			put_u32le(tr + 8, UINT32_MAX);
		else if (!strcmp(name, "p-count-wrap"))
			put_u32le(tr + 8, 0x05555556); /* x 48 = 2^32 + 32 */
		else if (!strcmp(name, "p-count-more"))
			put_u32le(tr + 8, c->count + 1);
		else if (!strcmp(name, "p-ioff-2^63")) {
			put_u64le(tr, UINT64_C(1) << 63);
		} else if (!strcmp(name, "p-ioff-0")) {
			put_u64le(tr, 0);
		} else if (!strcmp(name, "p-bad-version")) {
			put_u32le(tr + 12, 999);
		} else if (!strcmp(name, "p-frame-swap")) {
			/* two entries trade places: each id now names the other's frame */
			uint8_t tmp[12];
			memcpy(tmp, e + 16, 12);
			memcpy(e + 16, c->e1 + 16, 12);
			memcpy(c->e1 + 16, tmp, 12);
		} else if (!strcmp(name, "p-truncated")) {
			c->plen -= 1;
			write_whole(c->packpath, c->p, c->plen);
			return;
		} else if (!strcmp(name, "p-empty")) {
			write_whole(c->packpath, "", 0);
			return;
		} else if (!strcmp(name, "p-fifo") || !strcmp(name, "p-dir") ||
			   !strcmp(name, "p-symlink")) {
			swap_pack_file(c, name + 2);
			return;
		/* consistent liars: the pack and the manifest agree on the lie */
		} else if (!strcmp(name, "pm-ulen-2^31")) {
			put_u32le(e + 28, 1u << 31);
			ch(c, 0)->ulen = UINT64_C(1) << 31;
			put_gen(c, NULL);
		} else if (!strcmp(name, "pm-csvlen-lie")) {
			put_u64le(e + 40, get_u64le(e + 40) + 1000);
			ch(c, 0)->csv_len += 1000;
			t->csv_size += 1000;
			put_gen(c, NULL);
		} else if (!strcmp(name, "pm-nrows-lie")) {
			put_u64le(e + 32, get_u64le(e + 32) + 1);
			ch(c, 0)->nrows += 1;
			t->nrows += 1;
			put_gen(c, NULL);
		} else {
			die("no such pack variant");
		}
		put_pack(c);
		return;
	/* -- config -- */
	} else if (!strncmp(name, "c-", 2)) {
		const char *w = name + 2;
		if (!strcmp(w, "chunk-0"))
			put_config_with(c, "chunk_min = 0\nchunk_avg = 0\nchunk_max = 0\npack_size = 33554432\n");
		else if (!strcmp(w, "chunk-2^62"))
			put_config_with(c, "chunk_min = 4611686018427387904\nchunk_avg = 4611686018427387904\n"
					   "chunk_max = 4611686018427387904\npack_size = 33554432\n");
		else if (!strcmp(w, "pack-0"))
			put_config_with(c, "chunk_min = 16\nchunk_avg = 64\nchunk_max = 256\npack_size = 0\n");
		else if (!strcmp(w, "pack-2^62"))
			put_config_with(c, "chunk_min = 16\nchunk_avg = 64\nchunk_max = 256\n"
					   "pack_size = 4611686018427387904\n");
		else if (!strcmp(w, "version-999"))
			put_config(c, "strata-repository\nversion = 999\n", 31);
		else if (!strcmp(w, "version-missing"))
			put_config(c, "strata-repository\nid = 00112233445566778899aabbccddeeff\n", 56);
		else if (!strcmp(w, "version-2^64")) {
			const char *txt = "strata-repository\nversion = 18446744073709551616\n";
			put_config(c, txt, strlen(txt));
		} else if (!strcmp(w, "huge-value") || !strcmp(w, "huge-comment") ||
			   !strcmp(w, "too-big")) {
			size_t n = !strcmp(w, "too-big") ? 70000 : 60000;
			struct buf b = BUF_INIT;
			buf_adds(&b, CFG_HEAD);
			buf_adds(&b, "chunk_min = 16\nchunk_avg = 64\nchunk_max = 256\npack_size = 4096\n");
			buf_adds(&b, !strcmp(w, "huge-value") ? "chunk_max = " : "# ");
			while (b.len < n)
				buf_addc(&b, '7');
			buf_addc(&b, '\n');
			put_config(c, (const char *)b.data, b.len);
			buf_release(&b);
		} else if (!strcmp(w, "no-magic"))
			put_config(c, "version = 1\n", 12);
		else if (!strcmp(w, "bad-id"))
			put_config(c, "strata-repository\nversion = 1\nid = xyz\n", 39);
		else if (!strcmp(w, "crlf")) {
			const char *txt = "strata-repository\r\nversion = 1\r\n"
					  "id = 00112233445566778899aabbccddeeff\r\n";
			put_config(c, txt, strlen(txt));
		} else if (!strcmp(w, "zstd-99"))
			put_config_with(c, "chunk_min = 16\nchunk_avg = 64\nchunk_max = 256\npack_size = 4096\nzstd_level = 99\n");
		else if (!strcmp(w, "missing") || !strcmp(w, "dir") || !strcmp(w, "fifo") ||
			 !strcmp(w, "symlink")) {
			char *path = xasprintf("%s/config", c->repo);
			uint8_t *old;
			size_t n;
			if (read_file(path, REPO_CONFIG_MAX, &old, &n) || unlink(path))
				die(path);
			if (!strcmp(w, "dir") && mkdir(path, 0755))
				die("mkdir");
			if (!strcmp(w, "fifo") && mkfifo(path, 0644))
				die("mkfifo");
			if (!strcmp(w, "symlink")) {
				char *dst = xasprintf("%s/tmp/.config", c->repo);
				write_whole(dst, old, n);
				if (symlink(dst, path))
					die("symlink");
				free(dst);
			}
			free(old);
			free(path);
		} else {
			die("no such config variant");
		}
		return;
	} else {
		die("no such variant (see forge --list)");
	}
	put_gen(c, &l);
}

static const char *const VARIANTS[] = {
	"m-ntables-2^60\tskip\tmanifest: table count 2^60 with one table present",
	"m-ntables-max\tskip\tmanifest: table count 65536 (the limit), few present",
	"m-nchunks-2^60\tskip\tmanifest: chunk count 2^60 in table 0",
	"m-nchunks-max\tskip\tmanifest: chunk count 2^20 (the limit), two present",
	"m-ncols-2^40\tskip\tmanifest: column count 2^40",
	"m-ncols-max\tskip\tmanifest: column count 32767 (the limit), 3 present",
	"m-nrows-wrap\tskip\tmanifest: chunk row counts + 2^63 each, the sum wraps to the truth",
	"m-csv-wrap\tskip\tmanifest: chunk csv_len + 2^63 each, the sum wraps to the truth",
	"m-csv-2^62\tskip\tmanifest: csv_len and csv_size + 2^62, consistent",
	"m-table-nrows-2^62\tskip\tmanifest: table row count 2^62, chunks disagree",
	"m-chunk-nrows-0\tskip\tmanifest: a chunk of 0 rows",
	"m-chunk-ulen-2^60\tskip\tmanifest: chunk ulen 2^60",
	"m-chunk-ulen-lie\tskip\tmanifest: chunk ulen differs from the pack's",
	"m-dirname-dotdot\tskip\tmanifest: table dirname '..'",
	"m-dirname-dot\tskip\tmanifest: table dirname '.'",
	"m-dirname-slash\tskip\tmanifest: table dirname 'a/b'",
	"m-dirname-empty\tskip\tmanifest: table dirname ''",
	"m-dirname-nul\tskip\tmanifest: table dirname 'a<NUL>b'",
	"m-dirname-trailing-nul\tskip\tmanifest: table dirname 'abc<NUL>'",
	"m-dirname-newline\tskip\tmanifest: table dirname 'a<LF>b'",
	"m-dirname-del\tskip\tmanifest: table dirname 'a<DEL>'",
	"m-dirname-schema\tskip\tmanifest: table dirname 'schema.sql' (shadows the generation's)",
	"m-dirname-json\tskip\tmanifest: table dirname 'generation.json'",
	"m-dirname-long\tskip\tmanifest: table dirname of 252 bytes (its .csv exceeds 255)",
	"m-dirname-dup\tskip\tmanifest: two tables with one dirname",
	"m-name-mismatch\tskip\tmanifest: name differs from its file name",
	"m-name-latest\tskip\textra manifest generations/latest.gen named 'latest'",
	"m-name-long\tskip\textra manifest with an 80-byte name",
	"m-chunk-missing\tskip\tmanifest: a chunk id no pack has",
	"m-key-malformed\tskip\tmanifest: a first key with nkey = 0",
	"m-key-trailing\tskip\tmanifest: a first key with a byte after its values",
	"m-keys-unordered\tskip\tmanifest: chunks 0 and 1 swapped (ranges descending)",
	"m-key-reversed\tskip\tmanifest: chunk 0's first key after its last",
	"m-seq-0\tskip\tmanifest: seq 0",
	"m-seq-2^24\tskip\tmanifest: seq 2^24 (beyond the inode field)",
	"m-seq-dup\tskip\textra manifest GEN-2 with GEN's seq",
	"m-time-max\tskip\tmanifest: time INT64_MAX",
	"m-time-min\tskip\tmanifest: time INT64_MIN",
	"m-version-999\tskip\tmanifest: version 999",
	"m-trailing-bytes\tskip\tmanifest: 7 bytes after the last table",
	"m-truncated\tskip\tmanifest: cut in half",
	"m-flipped-byte\tskip\tmanifest: one byte flipped (checksum mismatch)",
	"m-empty\tskip\tmanifest: empty file",
	"m-sparse-3GiB\tskip\tmanifest: a valid start, then a 3 GiB hole",
	"m-fifo\tskip\tmanifest file replaced by a FIFO",
	"m-dir\tskip\tmanifest file replaced by a directory",
	"m-symlink\tskip\tmanifest file replaced by a symlink",
	"p-offset-eof\tskip\tpack: entry offset past the end of the file",
	"p-offset-2^63\tskip\tpack: entry offset 2^63",
	"p-offset-0\tskip\tpack: entry offset 0 (the header)",
	"p-clen-2^31\tskip\tpack: entry clen 2^31",
	"p-clen-0\tskip\tpack: entry clen 0",
	"p-ulen-max\tskip\tpack: entry ulen 2^32-1 (ulen is a u32; 2^60 cannot be written)",
	"p-nrows-2^60\tskip\tpack: entry nrows 2^60",
	"p-csvlen-2^63\tskip\tpack: entry csv_len 2^63",
	"p-overlap-index\tskip\tpack: a frame overlapping the index",
	"p-overlap-trailer\tskip\tpack: a frame inside the trailer",
	"p-overlap-frames\tskip\tpack: two frames overlapping",
	"p-dup-id\tskip\tpack: two entries with one id (a chunk of GEN is in no pack)",
	"p-count-max\tskip\tpack: count 2^32-1",
	"p-count-wrap\tskip\tpack: count whose x 48 wraps a u32",
	"p-count-more\tskip\tpack: count one more than the entries",
	"p-ioff-2^63\tskip\tpack: index offset 2^63",
	"p-ioff-0\tskip\tpack: index offset 0",
	"p-bad-version\tskip\tpack: trailer version 999",
	"p-truncated\tskip\tpack: last byte cut",
	"p-empty\tskip\tpack: empty file",
	"p-fifo\tskip\tpack file replaced by a FIFO",
	"p-dir\tskip\tpack file replaced by a directory",
	"p-symlink\tskip\tpack file replaced by a symlink",
	"p-frame-swap\teio\tpack: two entries trade frames (ids no longer match bytes)",
	"pm-ulen-2^31\tverify\tpack and manifest agree on ulen 2^31: a framed chunk is read without it (the typed size), so B reads back exactly; verify rebuilds the typed rows and finds the lie",
	"pm-csvlen-lie\teio\tpack and manifest agree on csv_len + 1000",
	"pm-nrows-lie\tverify\tpack and manifest agree on nrows + 1 (data reads do not use it; verify counts the side stream)",
	"c-chunk-0\trefuse-repo\tconfig: chunk sizes 0",
	"c-chunk-2^62\trefuse-repo\tconfig: chunk sizes 2^62",
	"c-pack-0\trefuse-repo\tconfig: pack_size 0",
	"c-pack-2^62\trefuse-repo\tconfig: pack_size 2^62",
	"c-version-999\trefuse-repo\tconfig: version 999",
	"c-version-missing\trefuse-repo\tconfig: no version line",
	"c-version-2^64\trefuse-repo\tconfig: version 2^64 (overflows)",
	"c-huge-value\trefuse-repo\tconfig: a 60 KB number",
	"c-huge-comment\taccept\tconfig: a 60 KB comment line (valid)",
	"c-too-big\trefuse-repo\tconfig: 70 KB (beyond REPO_CONFIG_MAX)",
	"c-no-magic\trefuse-repo\tconfig: no strata-repository line",
	"c-bad-id\trefuse-repo\tconfig: id not 32 hex digits",
	"c-crlf\trefuse-repo\tconfig: CRLF line ends",
	"c-zstd-99\trefuse-repo\tconfig: zstd_level 99",
	"c-missing\trefuse-repo\tconfig removed",
	"c-dir\trefuse-repo\tconfig replaced by a directory",
	"c-fifo\trefuse-repo\tconfig replaced by a FIFO",
	"c-symlink\trefuse-repo\tconfig replaced by a symlink",
};

/* Find table 0's first two chunks in the packs. */
static void load_pack(struct ctx *c)
{
	char *packs = xasprintf("%s/packs", c->repo);
	char *cmd = xasprintf("find '%s' -name '*.pack' -type f | sort", packs);
	FILE *f = popen(cmd, "r");
	char line[4096];
	if (!f)
		die("popen");
	while (!c->packpath && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		uint8_t *d;
		size_t n;
		if (read_file(line, (size_t)1 << 30, &d, &n) || n < 48) {
			free(d);
			continue;
		}
		uint64_t ioff = get_u64le(d + n - 32);
		uint32_t count = get_u32le(d + n - 24);
		uint8_t *e0 = NULL, *e1 = NULL;
		for (uint32_t i = 0; ioff + (uint64_t)(i + 1) * 48 <= n - 32 && i < count; i++) {
			uint8_t *e = d + ioff + (size_t)i * 48;
			if (!memcmp(e, ch(c, 0)->id.b, 16))
				e0 = e;
			if (!memcmp(e, ch(c, 1)->id.b, 16))
				e1 = e;
		}
		if (e0 && e1) {
			c->packpath = xstrdup(line);
			c->p = d, c->plen = n, c->ioff = ioff, c->count = count;
			c->e0 = e0, c->e1 = e1;
		} else {
			free(d);
		}
	}
	pclose(f);
	free(cmd);
	free(packs);
	if (!c->packpath)
		die("no pack holds the first two chunks of GEN's first table");
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < sizeof(VARIANTS) / sizeof(VARIANTS[0]); i++)
			puts(VARIANTS[i]);
		return 0;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: forge --list | forge REPO GEN VARIANT\n");
		return 2;
	}
	c.repo = argv[1];
	c.gen = argv[2];
	const char *name = argv[3];
	bool known = false;
	for (size_t i = 0; i < sizeof(VARIANTS) / sizeof(VARIANTS[0]); i++)
		if (!strncmp(VARIANTS[i], name, strlen(name)) && VARIANTS[i][strlen(name)] == '\t')
			known = true;
	if (!known)
		die("no such variant (see forge --list)");
	c.genpath = xasprintf("%s/generations/%s.gen", c.repo, c.gen);
	if (read_file(c.genpath, (size_t)1 << 30, &c.gdata, &c.glen))
		die("cannot read GEN's manifest");
	if (manifest_decode(c.gdata, c.glen, &c.m))
		die("GEN's manifest does not decode: forge needs a valid repository");
	if (!manifest_resolved(&c.m)) {
		/* version 5: its chunk lists from its index nodes, through a catalog of our own */
		struct repo r;
		struct catalog cat;
		struct catalog_sync_stats st;
		char tmpl[] = "/tmp/forge-catalog.XXXXXX";
		if (!mkdtemp(tmpl))
			die("mkdtemp");
		char *cpath = xasprintf("%s/catalog.db", tmpl);
		if (repo_open(&r, c.repo) || catalog_open(&cat, cpath, false) ||
		    catalog_sync(&cat, &r, false, &st))
			die("cannot index GEN's repository to read its index nodes");
		struct idxnode_reader rd = { .r = &r, .cat = &cat };
		if (manifest_resolve(&c.m, idxnode_get, &rd))
			die("GEN's index nodes cannot be read: forge needs a valid repository");
		idxnode_reader_done(&rd);
		catalog_close(&cat);
		catalog_remove(cpath);
		rmdir(tmpl);
		free(cpath);
		repo_close(&r);
	}
	if (c.m.ntables < 1 || c.m.tables[0].nchunks < 2)
		die("GEN's first table needs two chunks or more");
	if (!strncmp(name, "p-", 2) || !strncmp(name, "pm-", 3))
		load_pack(&c);
	v(&c, name);
	manifest_release(&c.m);
	free(c.gdata);
	free(c.genpath);
	free(c.packpath);
	free(c.p);
	return 0;
}
