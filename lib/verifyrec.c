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
	free(v->copies);
	memset(v, 0, sizeof(*v));
}

/* Decimal digits only, the whole of [s, s+n), without overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	if (!n)
		return -EUCLEAN;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (s[i] < '0' || s[i] > '9' || x > (UINT64_MAX - d) / 10)
			return -EUCLEAN;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

/* The field of a run record named [key, key+n) ("time", "problems", ...), or NULL. */
static uint64_t *run_field(struct verify_run_rec *r, const char *key, size_t n)
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
		if (strlen(f[i].name) == n && !memcmp(f[i].name, key, n))
			return (uint64_t *)(void *)((char *)r + f[i].off);
	return NULL;
}

static int cmp_copy(const void *a, const void *b)
{
	const struct damaged_copy *x = a, *y = b;
	int c = memcmp(x->id.b, y->id.b, 16);
	return c ? c : strcmp(x->pack, y->pack);
}

static bool has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && !memcmp(s, prefix, k);
}

/* One "key = value" line of n bytes (no newline). */
static int parse_line(struct verify_record *v, size_t *cap, const char *line, size_t n)
{
	if (memchr(line, 0, n))
		return -EUCLEAN;
	const char *eq = NULL;
	for (size_t i = 0; i + 3 <= n && !eq; i++)
		if (!memcmp(line + i, " = ", 3))
			eq = line + i;
	if (!eq)
		return -EUCLEAN;
	size_t kn = (size_t)(eq - line), vn = n - kn - 3;
	const char *val = eq + 3;
	if (kn == 7 && !memcmp(line, "damaged", 7)) {
		struct chunk_id id;
		char hex[33];
		if (vn != 32)
			return -EUCLEAN;
		memcpy(hex, val, 32);
		hex[32] = 0;
		if (hex_decode(id.b, hex, 16))
			return -EUCLEAN;
		if (v->ndamaged == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			v->damaged = xrealloc(v->damaged, *cap * sizeof(*v->damaged));
		}
		v->damaged[v->ndamaged++] = id;
		return 0;
	}
	if (kn == 12 && !memcmp(line, "damaged_copy", 12)) {
		struct damaged_copy dc;
		char hex[33];
		/* "<32 hex id> <32 hex pack name>" */
		if (vn != 65 || val[32] != ' ')
			return -EUCLEAN;
		memcpy(hex, val, 32);
		hex[32] = 0;
		if (hex_decode(dc.id.b, hex, 16))
			return -EUCLEAN;
		memcpy(dc.pack, val + 33, 32);
		dc.pack[32] = 0;
		/* a pack name as readers recognise it: 32 lowercase hex digits */
		if (strspn(dc.pack, "0123456789abcdef") != 32)
			return -EUCLEAN;
		if (v->ncopies == v->capcopies) {
			v->capcopies = v->capcopies ? v->capcopies * 2 : 16;
			v->copies = xrealloc(v->copies, v->capcopies * sizeof(*v->copies));
		}
		v->copies[v->ncopies++] = dc;
		return 0;
	}
	struct verify_run_rec *r = has_prefix(line, kn, "full.")  ? &v->full :
				   has_prefix(line, kn, "quick.") ? &v->quick : NULL;
	size_t pl = r == &v->full ? 5 : 6;
	uint64_t *fld = r ? run_field(r, line + pl, kn - pl) : NULL;
	/* anything else is a later strata's key: ignored, whatever its length */
	return fld ? parse_u64(val, vn, fld) : 0;
}

int verifyrec_parse(const char *text, size_t n, struct verify_record *v)
{
	size_t cap = 0, ml = sizeof(MAGIC) - 1;
	int rc = 0;

	memset(v, 0, sizeof(*v));
	if (n < ml || memcmp(text, MAGIC, ml) || (n > ml && text[ml] != '\n'))
		return -EUCLEAN;
	for (size_t pos = ml; pos < n && !rc;) {
		const char *line = text + pos;
		const char *e = memchr(line, '\n', n - pos);
		size_t len = e ? (size_t)(e - line) : n - pos;
		if (len)
			rc = parse_line(v, &cap, line, len);
		pos += len + (e ? 1 : 0);
	}
	/* times a check can have started at: after 1970, before the year 10000 */
	if (!rc && (v->full.time < 0 || v->quick.time < 0 || v->full.time > VERIFYREC_MAX_TIME ||
		    v->quick.time > VERIFYREC_MAX_TIME))
		rc = -EUCLEAN;
	if (rc) {
		verifyrec_release(v);
		return rc;
	}
	/* a run without a time never happened (and is not written back) */
	if (!v->full.time)
		memset(&v->full, 0, sizeof(v->full));
	if (!v->quick.time)
		memset(&v->quick, 0, sizeof(v->quick));
	if (v->ndamaged)
		qsort(v->damaged, v->ndamaged, sizeof(*v->damaged), cmp_id);
	if (v->ncopies)
		qsort(v->copies, v->ncopies, sizeof(*v->copies), cmp_copy);
	return 0;
}

int verifyrec_read(const struct repo *r, struct verify_record *v)
{
	uint8_t *data = NULL;
	size_t n = 0;
	int rc = store_get(r->store, VERIFYREC_NAME, VERIFYREC_MAX, &data, &n);
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
	for (size_t i = 0; i < v->ncopies; i++) {
		char hex[33];
		chunk_id_hex(hex, &v->copies[i].id);
		buf_addf(b, "damaged_copy = %s %s\n", hex, v->copies[i].pack);
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
		rc = store_put(r->store, VERIFYREC_NAME, b.data, b.len, 0);
		if (rc != -ENOENT || tries == 4)
			break;
	}
	buf_release(&b);
	return rc;
}

void verifyrec_add(struct verify_record *v, const struct chunk_id *id, const char *pack,
		   bool no_intact)
{
	if (no_intact) {
		v->damaged = xrealloc(v->damaged, (v->ndamaged + 1) * sizeof(*v->damaged));
		v->damaged[v->ndamaged++] = *id;
	}
	if (v->ncopies == v->capcopies) {
		v->capcopies = v->capcopies ? v->capcopies * 2 : 16;
		v->copies = xrealloc(v->copies, v->capcopies * sizeof(*v->copies));
	}
	v->copies[v->ncopies].id = *id;
	snprintf(v->copies[v->ncopies].pack, sizeof(v->copies[v->ncopies].pack), "%s", pack);
	v->ncopies++;
}

bool verifyrec_damaged_copy(const struct verify_record *v, const struct chunk_id *id,
			    const char *pack)
{
	struct damaged_copy key = { .id = *id };
	if (strlen(pack) != 32)
		return false; /* no pack name the record holds (never cut one to fit) */
	memcpy(key.pack, pack, 33);
	return v->ncopies && bsearch(&key, v->copies, v->ncopies, sizeof(*v->copies), cmp_copy);
}

bool verifyrec_damaged(const struct verify_record *v, const struct chunk_id *id)
{
	return v->ndamaged && bsearch(id, v->damaged, v->ndamaged, sizeof(*v->damaged), cmp_id);
}
