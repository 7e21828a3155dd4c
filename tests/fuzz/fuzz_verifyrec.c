/*
 * Fuzz verifyrec_parse (REPO/verify-status, strata/verifyrec.h): never crash
 * or leak, and
 *  - a refused input leaves the record empty (zeroed, damaged NULL, 0 ids,
 *    copies NULL, 0 copies), whatever the record held before;
 *  - an accepted record has no negative time, its damaged list is sorted
 *    (memcmp order, duplicates allowed), verifyrec_damaged() finds every id
 *    listed and no id that is not, and the list holds exactly one id per
 *    "damaged = " line of the input;
 *  - likewise its damaged copies: sorted by id (memcmp), then pack (strcmp),
 *    duplicates allowed; each pack 32 lowercase hex digits; exactly the
 *    (id, pack) pairs of the input's "damaged_copy = " lines, each of which
 *    is "<32 hex> <32 lowercase hex>"; verifyrec_damaged_copy() finds every
 *    pair listed and no near miss that is not (a bit of the id flipped, a
 *    digit of the pack changed, a listed id with a neighbour's pack);
 *  - format -> parse gives an equal record (both runs, the damaged ids, the
 *    damaged copies), and formatting that record again gives byte-identical
 *    text (a fixed point).
 * The input's bytes read as a binary record (two runs of 8 u64, then
 * 16-byte records) also check the other direction: whatever verify can
 * write (a time from 1970 to 9999; ids and copies in any order), format ->
 * parse accepts and gives back.  The records are the damaged ids and, each
 * in lowercase hex, the packs of the damaged copies; a copy's id is its own
 * or an earlier record's, picked by its first byte, so that one id often
 * has several packs.  Bit 0 of the first record's second byte leaves the
 * ids out, bit 1 the copies.
 *
 * (It found two bugs in its first minutes: a run without a time that did
 * not survive a round trip, and the six largest u64 values refused.)
 */
#include "fuzz.h"
#include "strata/verifyrec.h"

#include <stdbool.h>
#include <string.h>

static const char MAGIC[] = "strata-verify-status 1\n";

static void assert_empty(const struct verify_record *v)
{
	static const struct verify_record zero;
	FUZZ_ASSERT(v->damaged == NULL && v->ndamaged == 0);
	FUZZ_ASSERT(v->copies == NULL && v->ncopies == 0 && v->capcopies == 0);
	FUZZ_ASSERT(!memcmp(&v->full, &zero.full, sizeof(zero.full)));
	FUZZ_ASSERT(!memcmp(&v->quick, &zero.quick, sizeof(zero.quick)));
}

static bool run_eq(const struct verify_run_rec *a, const struct verify_run_rec *b)
{
	return a->time == b->time && a->seconds == b->seconds && a->problems == b->problems &&
	       a->generations == b->generations && a->bad_generations == b->bad_generations &&
	       a->packs == b->packs && a->pack_bytes == b->pack_bytes && a->chunks == b->chunks;
}

/* What a run is after format -> parse: a run with time 0 is "never". */
static struct verify_run_rec written(const struct verify_run_rec *r)
{
	struct verify_run_rec z;
	memset(&z, 0, sizeof(z));
	return r->time ? *r : z;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct chunk_id));
}

static bool linear_find(const struct verify_record *v, const struct chunk_id *id)
{
	for (size_t i = 0; i < v->ndamaged; i++)
		if (!memcmp(&v->damaged[i], id, sizeof(*id)))
			return true;
	return false;
}

static void check_ids(const struct verify_record *v)
{
	FUZZ_ASSERT(v->ndamaged == 0 || v->damaged != NULL);
	for (size_t i = 1; i < v->ndamaged; i++)
		FUZZ_ASSERT(memcmp(&v->damaged[i - 1], &v->damaged[i], sizeof(struct chunk_id)) <= 0);
	for (size_t i = 0; i < v->ndamaged; i++)
		FUZZ_ASSERT(verifyrec_damaged(v, &v->damaged[i]));
	/* ids next to listed ones: found exactly when listed (bounded: O(n) each) */
	for (size_t i = 0; i < v->ndamaged && i < 32; i++) {
		struct chunk_id x = v->damaged[i];
		x.b[15] ^= 1;
		FUZZ_ASSERT(verifyrec_damaged(v, &x) == linear_find(v, &x));
		x = v->damaged[i];
		x.b[0] += 1;
		FUZZ_ASSERT(verifyrec_damaged(v, &x) == linear_find(v, &x));
	}
	struct chunk_id zero;
	memset(&zero, 0, sizeof(zero));
	FUZZ_ASSERT(verifyrec_damaged(v, &zero) == linear_find(v, &zero));
}

/* The order the parser sorts the damaged copies in: id (memcmp), then pack (strcmp). */
static int cmp_copy(const void *a, const void *b)
{
	const struct damaged_copy *x = a, *y = b;
	int c = memcmp(&x->id, &y->id, sizeof(x->id));
	return c ? c : strcmp(x->pack, y->pack);
}

static bool copy_eq(const struct damaged_copy *a, const struct damaged_copy *b)
{
	return !memcmp(&a->id, &b->id, sizeof(a->id)) && !memcmp(a->pack, b->pack, sizeof(a->pack));
}

static bool copies_eq(const struct damaged_copy *a, const struct damaged_copy *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!copy_eq(&a[i], &b[i]))
			return false;
	return true;
}

static bool linear_find_copy(const struct verify_record *v, const struct chunk_id *id,
			     const char *pack)
{
	for (size_t i = 0; i < v->ncopies; i++)
		if (!memcmp(&v->copies[i].id, id, sizeof(*id)) && !strcmp(v->copies[i].pack, pack))
			return true;
	return false;
}

static bool is_pack_name(const char *p)
{
	return strlen(p) == 32 && strspn(p, "0123456789abcdef") == 32;
}

static void check_copy_lookup(const struct verify_record *v, const struct chunk_id *id,
			      const char *pack)
{
	FUZZ_ASSERT(verifyrec_damaged_copy(v, id, pack) == linear_find_copy(v, id, pack));
}

static void check_copies(const struct verify_record *v)
{
	static const char digits[] = "0123456789abcdef";
	FUZZ_ASSERT(v->ncopies == 0 || v->copies != NULL);
	FUZZ_ASSERT(v->ncopies <= v->capcopies);
	for (size_t i = 0; i < v->ncopies; i++) {
		FUZZ_ASSERT(is_pack_name(v->copies[i].pack));
		FUZZ_ASSERT(verifyrec_damaged_copy(v, &v->copies[i].id, v->copies[i].pack));
	}
	for (size_t i = 1; i < v->ncopies; i++)
		FUZZ_ASSERT(cmp_copy(&v->copies[i - 1], &v->copies[i]) <= 0);
	/* pairs next to listed ones: found exactly when listed (bounded: O(n) each) */
	for (size_t i = 0; i < v->ncopies && i < 32; i++) {
		struct damaged_copy x = v->copies[i];
		x.id.b[i % 16] ^= (uint8_t)(1u << (i % 8));
		check_copy_lookup(v, &x.id, x.pack);
		x = v->copies[i];
		size_t at = (i * 7) % 32;
		const char *d = strchr(digits, x.pack[at]);
		x.pack[at] = digits[(d - digits + 1 + (long)(i % 15)) % 16]; /* another digit */
		check_copy_lookup(v, &x.id, x.pack);
		/* the same id with the next copy's pack (often the same id: listed) */
		x = v->copies[i];
		check_copy_lookup(v, &x.id, v->copies[(i + 1) % v->ncopies].pack);
		/* a pack name never listed */
		x.pack[at] = 'A';
		check_copy_lookup(v, &x.id, x.pack);
		FUZZ_ASSERT(!verifyrec_damaged_copy(v, &x.id, ""));
	}
	struct chunk_id zero;
	memset(&zero, 0, sizeof(zero));
	check_copy_lookup(v, &zero, "00000000000000000000000000000000");
}

/* Records equal as the parser gives them (the lists all sorted). */
static bool rec_eq(const struct verify_record *a, const struct verify_record *b)
{
	return run_eq(&a->full, &b->full) && run_eq(&a->quick, &b->quick) &&
	       a->ndamaged == b->ndamaged &&
	       (!a->ndamaged || !memcmp(a->damaged, b->damaged, a->ndamaged * sizeof(*a->damaged))) &&
	       a->ncopies == b->ncopies && copies_eq(a->copies, b->copies, a->ncopies);
}

/*
 * The lines of an accepted input that name a damaged id: every line after
 * the first that begins "damaged = " (its key can only be "damaged").
 */
static size_t count_damaged_lines(const uint8_t *d, size_t n)
{
	static const char key[] = "damaged = ";
	size_t count = 0, k = sizeof(MAGIC) - 1;
	while (k < n) {
		const uint8_t *e = memchr(d + k, '\n', n - k);
		size_t len = e ? (size_t)(e - (d + k)) : n - k;
		if (len >= sizeof(key) - 1 && !memcmp(d + k, key, sizeof(key) - 1))
			count++;
		k += len + 1;
	}
	return count;
}

static int hexdigit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The damaged copies an accepted text lists, sorted: one per line after the
 * first that begins "damaged_copy = " (its key can only be "damaged_copy"),
 * which must be "<32 hex digits> <32 lowercase hex digits>" (the id's
 * digits as for "damaged": either case).  *out is malloc'ed.
 */
static size_t text_copies(const uint8_t *d, size_t n, struct damaged_copy **out)
{
	static const char key[] = "damaged_copy = ";
	const size_t kl = sizeof(key) - 1;
	size_t count = 0, cap = 0, k = sizeof(MAGIC) - 1;
	struct damaged_copy *c = NULL;
	while (k < n) {
		const uint8_t *e = memchr(d + k, '\n', n - k);
		size_t len = e ? (size_t)(e - (d + k)) : n - k;
		if (len >= kl && !memcmp(d + k, key, kl)) {
			const uint8_t *val = d + k + kl;
			struct damaged_copy x;
			FUZZ_ASSERT(len == kl + 65 && val[32] == ' ');
			for (size_t i = 0; i < 16; i++) {
				int hi = hexdigit(val[2 * i]), lo = hexdigit(val[2 * i + 1]);
				FUZZ_ASSERT(hi >= 0 && lo >= 0);
				x.id.b[i] = (uint8_t)(hi << 4 | lo);
			}
			memcpy(x.pack, val + 33, 32);
			x.pack[32] = 0;
			FUZZ_ASSERT(is_pack_name(x.pack));
			if (count == cap) {
				cap = cap ? cap * 2 : 16;
				c = realloc(c, cap * sizeof(*c));
				FUZZ_ASSERT(c != NULL);
			}
			c[count++] = x;
		}
		k += len + 1;
	}
	if (count)
		qsort(c, count, sizeof(*c), cmp_copy);
	*out = c;
	return count;
}

static void check_parse(const uint8_t *data, size_t size)
{
	struct verify_record v, w;
	struct buf t1 = BUF_INIT, t2 = BUF_INIT;
	struct damaged_copy *listed;
	size_t nlisted;

	memset(&v, 0xa5, sizeof(v)); /* parse must not depend on what v held */
	int rc = verifyrec_parse((const char *)data, size, &v);
	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN);
	if (rc) {
		assert_empty(&v);
		verifyrec_release(&v);
		return;
	}
	FUZZ_ASSERT(size >= sizeof(MAGIC) - 2 && !memcmp(data, MAGIC, sizeof(MAGIC) - 2));
	FUZZ_ASSERT(v.full.time >= 0 && v.quick.time >= 0 && v.full.time <= VERIFYREC_MAX_TIME &&
		    v.quick.time <= VERIFYREC_MAX_TIME);
	check_ids(&v);
	FUZZ_ASSERT(v.ndamaged == count_damaged_lines(data, size));
	check_copies(&v);
	nlisted = text_copies(data, size, &listed);
	FUZZ_ASSERT(v.ncopies == nlisted && copies_eq(v.copies, listed, nlisted));
	free(listed);

	/* format -> parse: the same record */
	verifyrec_format(&t1, &v);
	FUZZ_ASSERT(t1.len >= sizeof(MAGIC) - 1 && !memcmp(t1.data, MAGIC, sizeof(MAGIC) - 1) &&
		    t1.data[t1.len - 1] == '\n');
	memset(&w, 0x5a, sizeof(w));
	rc = verifyrec_parse((const char *)t1.data, t1.len, &w);
	FUZZ_ASSERT(rc == 0);
	check_ids(&w);
	check_copies(&w);
	FUZZ_ASSERT(rec_eq(&v, &w));
	nlisted = text_copies(t1.data, t1.len, &listed); /* written as "damaged_copy = " lines */
	FUZZ_ASSERT(v.ncopies == nlisted && copies_eq(v.copies, listed, nlisted));
	free(listed);

	/* and format is a fixed point from there */
	verifyrec_format(&t2, &w);
	FUZZ_ASSERT(t1.len == t2.len && !memcmp(t1.data, t2.data, t1.len));

	buf_release(&t1);
	buf_release(&t2);
	verifyrec_release(&v);
	verifyrec_release(&w);
	assert_empty(&v);
}

static uint64_t get_u64(const uint8_t *data, size_t size, size_t at)
{
	uint64_t x = 0;
	for (size_t i = 0; i < 8; i++)
		x = x << 8 | (at + i < size ? data[at + i] : 0);
	return x;
}

static void get_run(struct verify_run_rec *r, const uint8_t *data, size_t size, size_t at)
{
	r->time = (int64_t)get_u64(data, size, at);
	r->seconds = get_u64(data, size, at + 8);
	r->problems = get_u64(data, size, at + 16);
	r->generations = get_u64(data, size, at + 24);
	r->bad_generations = get_u64(data, size, at + 32);
	r->packs = get_u64(data, size, at + 40);
	r->pack_bytes = get_u64(data, size, at + 48);
	r->chunks = get_u64(data, size, at + 56);
}

static void check_format(const uint8_t *data, size_t size)
{
	struct verify_record v, w;
	struct buf t = BUF_INIT;
	size_t nrec = size > 128 ? (size - 128) / sizeof(struct chunk_id) : 0;

	memset(&v, 0, sizeof(v));
	get_run(&v.full, data, size, 0);
	get_run(&v.quick, data, size, 64);
	if (v.full.time < 0 || v.quick.time < 0 || v.full.time > VERIFYREC_MAX_TIME ||
	    v.quick.time > VERIFYREC_MAX_TIME)
		return; /* verify never writes a negative time; format -> parse refuses it */
	if (nrec > 64)
		nrec = 64;
	const uint8_t *rec = nrec ? data + 128 : data; /* record j: rec + 16 * j */
	unsigned leave_out = nrec ? rec[1] : 0;
	size_t nids = leave_out & 1 ? 0 : nrec, ncopies = leave_out & 2 ? 0 : nrec;
	struct chunk_id ids[64];
	struct damaged_copy copies[64];
	if (nids)
		memcpy(ids, rec, nids * sizeof(*ids));
	for (size_t j = 0; j < ncopies; j++) {
		struct chunk_id p;
		memcpy(&p, rec + 16 * j, sizeof(p));
		chunk_id_hex(copies[j].pack, &p); /* 32 lowercase hex digits */
		memcpy(&copies[j].id, rec + 16 * (rec[16 * j] % (j + 1)), sizeof(copies[j].id));
	}
	/* as verify builds them: not necessarily sorted */
	v.damaged = nids ? ids : NULL;
	v.ndamaged = nids;
	v.copies = ncopies ? copies : NULL;
	v.ncopies = v.capcopies = ncopies;

	verifyrec_format(&t, &v);
	int rc = verifyrec_parse((const char *)t.data, t.len, &w);
	FUZZ_ASSERT(rc == 0);
	check_ids(&w);
	check_copies(&w);
	struct verify_run_rec full = written(&v.full), quick = written(&v.quick);
	FUZZ_ASSERT(run_eq(&w.full, &full) && run_eq(&w.quick, &quick));
	if (nids)
		qsort(ids, nids, sizeof(*ids), cmp_id);
	FUZZ_ASSERT(w.ndamaged == nids && (!nids || !memcmp(w.damaged, ids, nids * sizeof(*ids))));
	if (ncopies)
		qsort(copies, ncopies, sizeof(*copies), cmp_copy);
	FUZZ_ASSERT(w.ncopies == ncopies && copies_eq(w.copies, copies, ncopies));
	verifyrec_release(&w);
	buf_release(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > VERIFYREC_MAX)
		return 0;
	check_parse(data, size);
	check_format(data, size);
	return 0;
}
