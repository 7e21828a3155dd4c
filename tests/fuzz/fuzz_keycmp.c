/* Fuzz key_compare: reflexive and antisymmetric on arbitrary bytes. */
#include "fuzz.h"
#include "strata/rowcodec.h"

static int sgn(int x) { return (x > 0) - (x < 0); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t split = 1 + data[0] % size;
	const uint8_t *a = data + 1, *b = data + split;
	size_t an = split - 1, bn = size - split;

	FUZZ_ASSERT(key_compare(a, an, a, an) == 0);
	FUZZ_ASSERT(key_compare(b, bn, b, bn) == 0);
	int x = sgn(key_compare(a, an, b, bn)), y = sgn(key_compare(b, bn, a, an));
	FUZZ_ASSERT(x == -y);
	/* a key against its own proper prefixes (the shape of range checks) */
	for (size_t k = 0; k < an && k < 64; k++)
		FUZZ_ASSERT(sgn(key_compare(a, k, a, an)) == -sgn(key_compare(a, an, a, k)));
	return 0;
}
