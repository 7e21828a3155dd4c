/*
 * Unit tests for include/strata/chunker.h: content-defined boundaries are
 * stable under inserts and deletes, sizes stay within bounds.
 */
#include "check.h"
#include "strata/chunker.h"
#include "strata/rowcodec.h"

#include <stdint.h>
#include <stdlib.h>

struct row {
	int64_t id;
	uint32_t len;
};

struct chunk {
	int64_t first, last;
	uint64_t bytes;
	size_t nrows;
};

static uint32_t row_len_of(int64_t id)
{
	uint64_t h = XXH3_64bits(&id, sizeof(id));
	return 80 + (uint32_t)(h % 41); /* 80..120 bytes */
}

/* Cut rows into chunks exactly as indexer/backup.c does. */
static size_t cut(const struct chunker_params *p, const struct row *rows, size_t n,
		  struct chunk **out)
{
	struct chunk_shape s = { .nhidden = 1, .ncols = 0, .nkey = 1 };
	struct buf key = BUF_INIT;
	size_t cap = 1024, nc = 0;
	uint64_t cur = 0;
	struct chunk *c = xmalloc(cap * sizeof(*c));

	for (size_t i = 0; i < n; i++) {
		if (chunker_cut_before(p, cur, rows[i].len)) {
			nc++;
			cur = 0;
		}
		if (nc + 1 >= cap) {
			cap *= 2;
			c = xrealloc(c, cap * sizeof(*c));
		}
		if (cur == 0) {
			c[nc].first = rows[i].id;
			c[nc].bytes = 0;
			c[nc].nrows = 0;
		}
		struct value v = { .type = VAL_INT, .i = rows[i].id };
		buf_reset(&key);
		key_encode(&key, &s, &v);
		cur += rows[i].len;
		c[nc].last = rows[i].id;
		c[nc].bytes = cur;
		c[nc].nrows++;
		if (chunker_cut_after(p, cur, rows[i].len, key.data, key.len)) {
			nc++;
			cur = 0;
		}
	}
	if (cur)
		nc++;
	buf_release(&key);
	*out = c;
	return nc;
}

static int same_chunk(const struct chunk *a, const struct chunk *b)
{
	return a->first == b->first && a->last == b->last && a->bytes == b->bytes;
}

/* Chunks of b that are not in a (both sorted by key). */
static size_t count_new(const struct chunk *a, size_t na, const struct chunk *b, size_t nb)
{
	size_t i = 0, diff = 0;
	for (size_t j = 0; j < nb; j++) {
		while (i < na && a[i].first < b[j].first)
			i++;
		if (i >= na || !same_chunk(&a[i], &b[j]))
			diff++;
	}
	return diff;
}

static void check_sizes(const struct chunker_params *p, const struct chunk *c, size_t n,
			const char *what)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		total += c[i].bytes;
		CHECKF(c[i].bytes <= p->max || c[i].nrows == 1, "%s: chunk %zu has %llu bytes", what,
		       i, (unsigned long long)c[i].bytes);
		if (i + 1 < n)
			CHECKF(c[i].bytes >= p->min, "%s: chunk %zu has %llu bytes < min", what, i,
			       (unsigned long long)c[i].bytes);
		if (i)
			CHECK(c[i].first > c[i - 1].last);
	}
	double mean = (double)total / (double)n;
	fprintf(stderr, "%s: %zu chunks, mean %.0f bytes (avg %llu)\n", what, n, mean,
		(unsigned long long)p->avg);
	CHECKF(mean >= (double)p->avg / 2 && mean <= (double)p->avg * 2, "%s: mean %.0f", what,
	       mean);
}

int main(void)
{
	enum { N = 200000 };
	struct chunker_params p = { .avg = 16384 };
	p.min = p.avg / 4;
	p.max = p.avg * 4;
	struct row *rows = xmalloc((N + 1) * sizeof(*rows));
	struct chunk *base, *ed;
	size_t nb, ne;

	for (size_t i = 0; i < N; i++) {
		rows[i].id = (int64_t)i * 10;
		rows[i].len = row_len_of(rows[i].id);
	}
	nb = cut(&p, rows, N, &base);
	check_sizes(&p, base, nb, "base");
	CHECK(nb > 500);

	/* deterministic: the same rows cut the same way */
	ne = cut(&p, rows, N, &ed);
	CHECK(ne == nb && count_new(base, nb, ed, ne) == 0);
	free(ed);

	/* several single edits at different places, then both together */
	size_t positions[] = { 1, 777, N / 3, N / 2, N - 2 };
	for (size_t k = 0; k < sizeof(positions) / sizeof(positions[0]); k++) {
		size_t at = positions[k];
		/* insert id*10+5 after row at */
		struct row *r2 = xmalloc((N + 1) * sizeof(*r2));
		memcpy(r2, rows, (at + 1) * sizeof(*r2));
		r2[at + 1].id = rows[at].id + 5;
		r2[at + 1].len = 100;
		memcpy(r2 + at + 2, rows + at + 1, (N - at - 1) * sizeof(*r2));
		ne = cut(&p, r2, N + 1, &ed);
		size_t d = count_new(base, nb, ed, ne);
		CHECKF(d >= 1 && d <= 3, "insert at %zu changed %zu chunks", at, d);
		check_sizes(&p, ed, ne, "insert");
		free(ed);

		/* delete row at */
		memcpy(r2, rows, at * sizeof(*r2));
		memcpy(r2 + at, rows + at + 1, (N - at - 1) * sizeof(*r2));
		ne = cut(&p, r2, N - 1, &ed);
		d = count_new(base, nb, ed, ne);
		CHECKF(d >= 1 && d <= 3, "delete at %zu changed %zu chunks", at, d);
		free(ed);
		free(r2);
	}
	/* an insert in the middle and a delete elsewhere */
	{
		size_t ins = N / 4, del = (3 * N) / 4;
		struct row *r2 = xmalloc((N + 1) * sizeof(*r2));
		size_t m = 0;
		for (size_t i = 0; i < N; i++) {
			if (i == del)
				continue;
			r2[m++] = rows[i];
			if (i == ins) {
				r2[m].id = rows[i].id + 5;
				r2[m++].len = 150;
			}
		}
		ne = cut(&p, r2, m, &ed);
		size_t d = count_new(base, nb, ed, ne);
		CHECKF(d >= 1 && d <= 6, "insert+delete changed %zu chunks", d);
		/* chunks whose keys are far from both edits are all present */
		size_t far_missing = 0;
		for (size_t j = 0; j < ne; j++) {
			int64_t lo = rows[ins].id - 50000, hi = rows[ins].id + 50000;
			int64_t lo2 = rows[del].id - 50000, hi2 = rows[del].id + 50000;
			int near = (ed[j].last >= lo && ed[j].first <= hi) ||
				   (ed[j].last >= lo2 && ed[j].first <= hi2);
			if (!near && count_new(base, nb, &ed[j], 1))
				far_missing++;
		}
		CHECKF(far_missing == 0, "%zu chunks far from the edits changed", far_missing);
		free(ed);
		free(r2);
	}

	/* rows larger than max: one chunk each; never an empty chunk */
	{
		struct row big[50];
		for (int i = 0; i < 50; i++) {
			big[i].id = i;
			big[i].len = (i % 5 == 0) ? (uint32_t)p.max * 2 : 3000;
		}
		ne = cut(&p, big, 50, &ed);
		for (size_t j = 0; j < ne; j++) {
			CHECK(ed[j].nrows >= 1);
			if (ed[j].bytes > p.max)
				CHECK(ed[j].nrows == 1);
		}
		free(ed);
	}
	/* a uniform-width table with tiny rows: mean still near avg */
	{
		for (size_t i = 0; i < N; i++)
			rows[i].len = 12;
		ne = cut(&p, rows, N, &ed);
		check_sizes(&p, ed, ne, "tiny rows");
		free(ed);
	}
	free(base);
	free(rows);
	return check_done("unit-chunker");
}
