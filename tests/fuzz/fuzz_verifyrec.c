/*
 * Fuzz verifyrec_parse (REPO/verify-status, strata/verifyrec.h): never crash
 * or leak, and
 *  - a refused input leaves the record empty (zeroed, damaged NULL, 0 ids),
 *    whatever the record held before;
 *  - an accepted record has no negative time, its damaged list is sorted
 *    (memcmp order, duplicates allowed), verifyrec_damaged() finds every id
 *    listed and no id that is not, and the list holds exactly one id per
 *    "damaged = " line of the input;
 *  - format -> parse gives an equal record (both runs, the damaged ids), and
 *    formatting that record again gives byte-identical text (a fixed point).
 * The input's bytes read as a binary record (two runs of 8 u64, then ids)
 * also check the other direction: whatever verify can write (a time from
 * 1970 to 9999), format -> parse accepts and gives back.
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

/* Records equal as the parser gives them (the damaged lists both sorted). */
static bool rec_eq(const struct verify_record *a, const struct verify_record *b)
{
	return run_eq(&a->full, &b->full) && run_eq(&a->quick, &b->quick) &&
	       a->ndamaged == b->ndamaged &&
	       (!a->ndamaged || !memcmp(a->damaged, b->damaged, a->ndamaged * sizeof(*a->damaged)));
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

static void check_parse(const uint8_t *data, size_t size)
{
	struct verify_record v, w;
	struct buf t1 = BUF_INIT, t2 = BUF_INIT;

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

	/* format -> parse: the same record */
	verifyrec_format(&t1, &v);
	FUZZ_ASSERT(t1.len >= sizeof(MAGIC) - 1 && !memcmp(t1.data, MAGIC, sizeof(MAGIC) - 1) &&
		    t1.data[t1.len - 1] == '\n');
	memset(&w, 0x5a, sizeof(w));
	rc = verifyrec_parse((const char *)t1.data, t1.len, &w);
	FUZZ_ASSERT(rc == 0);
	check_ids(&w);
	FUZZ_ASSERT(rec_eq(&v, &w));

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
	size_t nids = size > 128 ? (size - 128) / sizeof(struct chunk_id) : 0;

	memset(&v, 0, sizeof(v));
	get_run(&v.full, data, size, 0);
	get_run(&v.quick, data, size, 64);
	if (v.full.time < 0 || v.quick.time < 0 || v.full.time > VERIFYREC_MAX_TIME ||
	    v.quick.time > VERIFYREC_MAX_TIME)
		return; /* verify never writes a negative time; format -> parse refuses it */
	if (nids > 64)
		nids = 64;
	struct chunk_id ids[64];
	if (nids)
		memcpy(ids, data + 128, nids * sizeof(*ids));
	v.damaged = nids ? ids : NULL; /* as verify builds it: not necessarily sorted */
	v.ndamaged = nids;

	verifyrec_format(&t, &v);
	int rc = verifyrec_parse((const char *)t.data, t.len, &w);
	FUZZ_ASSERT(rc == 0);
	check_ids(&w);
	struct verify_run_rec full = written(&v.full), quick = written(&v.quick);
	FUZZ_ASSERT(run_eq(&w.full, &full) && run_eq(&w.quick, &quick));
	if (nids)
		qsort(ids, nids, sizeof(*ids), cmp_id);
	FUZZ_ASSERT(w.ndamaged == nids && (!nids || !memcmp(w.damaged, ids, nids * sizeof(*ids))));
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
