/*
 * regress.c - replay driver for the fuzz targets when not built with
 * libFuzzer: runs every file of a corpus directory (argv[1]; more
 * directories or files may follow), mutations of them (bit flips,
 * truncations, splices) and a few hundred deterministic pseudo-random
 * inputs through LLVMFuzzerTestOneInput.  A target reports a violated
 * invariant by aborting, which fails the test.
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "strata/util.h"

struct input {
	uint8_t *data;
	size_t len;
};

/* Optional, as in libFuzzer: one-time setup before the first input. */
#pragma weak LLVMFuzzerInitialize

static struct input *inputs;
static size_t ninputs, cap;

static void add_file(const char *path)
{
	uint8_t *d;
	size_t n;
	int rc = read_file(path, 1 << 24, &d, &n);
	if (rc) {
		fprintf(stderr, "regress: cannot read %s: %s\n", path, strerror(-rc));
		exit(2);
	}
	if (ninputs == cap) {
		cap = cap ? cap * 2 : 64;
		inputs = xrealloc(inputs, cap * sizeof(*inputs));
	}
	inputs[ninputs].data = d;
	inputs[ninputs].len = n;
	ninputs++;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		fprintf(stderr, "regress: no such corpus: %s\n", path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, c = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == c) {
			c = c ? c * 2 : 64;
			names = xrealloc(names, c * sizeof(char *));
		}
		names[n++] = xasprintf("%s/%s", path, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), cmpstr); /* a stable order: reproducible runs */
	for (size_t i = 0; i < n; i++) {
		add_file(names[i]);
		free(names[i]);
	}
	free(names);
}

static uint64_t rng = 0x5eed;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t runs;

static void run(const uint8_t *d, size_t n)
{
	/* a fresh exact-size copy so ASan sees overreads */
	uint8_t *copy = malloc(n ? n : 1);
	if (n)
		memcpy(copy, d, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	runs++;
}

int main(int argc, char **argv)
{
	size_t corpus_runs, mutations = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [MORE...]\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		add_path(argv[i]);
	for (size_t i = 0; i < ninputs; i++)
		run(inputs[i].data, inputs[i].len);
	corpus_runs = runs;

	/*
	 * mutations of each corpus input: 200 each, fewer for a large corpus
	 * (at most about 60,000 in all, at least 40 each), so that a target
	 * with a thousand inputs does not take minutes under the sanitizers
	 */
	int per = ninputs > 300 ? (int)(60000 / ninputs) : 200;
	if (per < 40)
		per = 40;
	for (size_t i = 0; i < ninputs; i++) {
		const struct input *in = &inputs[i];
		uint8_t *m = malloc(in->len + 64);
		for (int k = 0; k < per; k++) {
			size_t n = in->len;
			memcpy(m, in->data, n);
			switch (next() % 5) {
			case 0: /* flip 1-4 bits */
				for (int f = 0, nf = 1 + (int)(next() % 4); f < nf && n; f++)
					m[next() % n] ^= (uint8_t)(1u << (next() % 8));
				break;
			case 1: /* truncate */
				n = n ? (size_t)(next() % n) : 0;
				break;
			case 2: /* set a byte to an interesting value */
				if (n) {
					static const uint8_t v[] = { 0, 1, 0x7f, 0x80, 0xff, '/', '.', ',' };
					m[next() % n] = v[next() % sizeof(v)];
				}
				break;
			case 3: /* append junk */
				for (int f = 0, nf = (int)(next() % 64); f < nf; f++)
					m[n++] = (uint8_t)next();
				break;
			default: /* splice with another corpus input */
			{
				const struct input *o = &inputs[next() % ninputs];
				size_t at = n ? (size_t)(next() % n) : 0;
				size_t take = o->len ? (size_t)(next() % o->len) : 0;
				if (take > 64)
					take = 64;
				memcpy(m + at, o->data, take < n - at ? take : n - at);
				break;
			}
			}
			run(m, n);
			mutations++;
		}
		free(m);
	}

	/* pure noise, and noise behind each corpus input's first bytes */
	uint8_t buf[4096];
	for (int k = 0; k < 400; k++) {
		size_t n = (size_t)(next() % sizeof(buf));
		if (k < 64)
			n = (size_t)k;
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)next();
		if (ninputs && (k & 1)) {
			const struct input *o = &inputs[next() % ninputs];
			size_t keep = o->len < 24 ? o->len : 24;
			if (keep > n)
				keep = n;
			memcpy(buf, o->data, keep);
		}
		run(buf, n);
	}
	fprintf(stderr, "%s: %zu corpus inputs, %zu mutations, %zu random; %zu runs, no failure\n",
		argv[0], corpus_runs, mutations, runs - corpus_runs - mutations, runs);
	for (size_t i = 0; i < ninputs; i++)
		free(inputs[i].data);
	free(inputs);
	return 0;
}
