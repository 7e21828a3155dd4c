/*
 * verifyrec.c - see strata/verifyrec.h.
 */
#include "strata/verifyrec.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char MAGIC[] = "strata-verify-status 1";

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct chunk_id));
}

void verifyrec_release(struct verify_record *v)
{
	free(v->damaged);
	memset(v, 0, sizeof(*v));
}

static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t x = 0;
	if (!*s)
		return -EUCLEAN;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
			return -EUCLEAN;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*out = x;
	return 0;
}

/* The field of a run record named key ("time", "problems", ...), or NULL. */
static uint64_t *run_field(struct verify_run_rec *r, const char *key)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
		{ "time", offsetof(struct verify_run_rec, time) },
		{ "seconds", offsetof(struct verify_run_rec, seconds) },
		{ "problems", offsetof(struct verify_run_rec, problems) },
		{ "generations", offsetof(struct verify_run_rec, generations) },
		{ "bad_generations", offsetof(struct verify_run_rec, bad_generations) },
		{ "packs", offsetof(struct verify_run_rec, packs) },
		{ "pack_bytes", offsetof(struct verify_run_rec, pack_bytes) },
		{ "chunks", offsetof(struct verify_run_rec, chunks) },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(f[i].name, key))
			return (uint64_t *)(void *)((char *)r + f[i].off);
	return NULL;
}

int verifyrec_parse(const char *text, size_t n, struct verify_record *v)
{
	size_t cap = 0;
	int rc = 0;
	const char *p = text, *end = text + n;

	memset(v, 0, sizeof(*v));
	if (n < sizeof(MAGIC) - 1 || memcmp(text, MAGIC, sizeof(MAGIC) - 1) ||
	    (n > sizeof(MAGIC) - 1 && text[sizeof(MAGIC) - 1] != '\n'))
		return -EUCLEAN;
	p += sizeof(MAGIC) - 1;
	while (p < end && !rc) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t len = e ? (size_t)(e - p) : (size_t)(end - p);
		char line[128];
		if (len == 0 || len >= sizeof(line)) {
			rc = len ? -EUCLEAN : 0; /* lines are short; empty ones are skipped */
			p += len + 1;
			continue;
		}
		memcpy(line, p, len);
		line[len] = 0;
		p += len + 1;
		char *eq = strstr(line, " = ");
		if (!eq) {
			rc = -EUCLEAN;
			break;
		}
		*eq = 0;
		const char *key = line, *val = eq + 3;
		if (!strcmp(key, "damaged")) {
			struct chunk_id id;
			if (strlen(val) != 32 || hex_decode(id.b, val, 16)) {
				rc = -EUCLEAN;
				break;
			}
			if (v->ndamaged == cap) {
				cap = cap ? cap * 2 : 16;
				v->damaged = xrealloc(v->damaged, cap * sizeof(*v->damaged));
			}
			v->damaged[v->ndamaged++] = id;
			continue;
		}
		struct verify_run_rec *r = !strncmp(key, "full.", 5)	 ? &v->full :
					   !strncmp(key, "quick.", 6) ? &v->quick : NULL;
		uint64_t *fld = r ? run_field(r, key + (r == &v->full ? 5 : 6)) : NULL;
		if (fld)
			rc = parse_u64(val, fld);
		/* anything else: a later strata's key, ignored */
	}
	if (!rc && (v->full.time < 0 || v->quick.time < 0))
		rc = -EUCLEAN;
	if (rc) {
		verifyrec_release(v);
		return rc;
	}
	if (v->ndamaged)
		qsort(v->damaged, v->ndamaged, sizeof(*v->damaged), cmp_id);
	return 0;
}

int verifyrec_read(const struct repo *r, struct verify_record *v)
{
	char *path = xasprintf("%s/" VERIFYREC_NAME, r->path);
	uint8_t *data = NULL;
	size_t n = 0;
	int rc = read_file(path, VERIFYREC_MAX, &data, &n);
	free(path);
	memset(v, 0, sizeof(*v));
	if (rc == -ENOENT)
		return 0;
	if (!rc)
		rc = verifyrec_parse((const char *)data, n, v);
	free(data);
	return rc == -ELOOP || rc == -EFBIG ? -EUCLEAN : rc;
}

static void format_run(struct buf *b, const char *mode, const struct verify_run_rec *r)
{
	if (!r->time)
		return;
	buf_addf(b, "%s.time = %lld\n%s.seconds = %llu\n%s.problems = %llu\n", mode,
		 (long long)r->time, mode, (unsigned long long)r->seconds, mode,
		 (unsigned long long)r->problems);
	buf_addf(b, "%s.generations = %llu\n%s.bad_generations = %llu\n%s.packs = %llu\n", mode,
		 (unsigned long long)r->generations, mode, (unsigned long long)r->bad_generations,
		 mode, (unsigned long long)r->packs);
	buf_addf(b, "%s.pack_bytes = %llu\n%s.chunks = %llu\n", mode,
		 (unsigned long long)r->pack_bytes, mode, (unsigned long long)r->chunks);
}

void verifyrec_format(struct buf *b, const struct verify_record *v)
{
	buf_adds(b, MAGIC);
	buf_addc(b, '\n');
	format_run(b, "full", &v->full);
	format_run(b, "quick", &v->quick);
	for (size_t i = 0; i < v->ndamaged; i++) {
		char hex[33];
		chunk_id_hex(hex, &v->damaged[i]);
		buf_addf(b, "damaged = %s\n", hex);
	}
}

int verifyrec_write(const struct repo *r, const struct verify_record *v)
{
	struct buf b = BUF_INIT;
	int rc;
	verifyrec_format(&b, v);
	/*
	 * verify holds no lock, and a writer taking the lock empties tmp/: if
	 * that removed our temporary file before the rename, write it again.
	 */
	for (int tries = 0;; tries++) {
		rc = write_file_atomic(r->tmp, r->path, VERIFYREC_NAME, b.data, b.len);
		if (rc != -ENOENT || tries == 4)
			break;
	}
	buf_release(&b);
	return rc;
}

bool verifyrec_damaged(const struct verify_record *v, const struct chunk_id *id)
{
	return v->ndamaged && bsearch(id, v->damaged, v->ndamaged, sizeof(*v->damaged), cmp_id);
}
