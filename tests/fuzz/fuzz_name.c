/* Fuzz name_key / name_range / name_table_dir: results are safe components. */
#include "fuzz.h"
#include "strata/naming.h"

#include <string.h>

static void safe(const char *s, size_t len)
{
	FUZZ_ASSERT(strlen(s) == len);
	FUZZ_ASSERT(len > 0 && len <= 255);
	FUZZ_ASSERT(strcmp(s, ".") && strcmp(s, ".."));
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		FUZZ_ASSERT(c != '/' && c >= 0x20 && c != 0x7f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	size_t split = size ? data[0] % (size + 1) : 0;

	/* the whole input as a key */
	name_key(&b, data, size);
	FUZZ_ASSERT(b.len <= NAME_KEY_MAX + 18);
	for (size_t i = 0; i < b.len; i++)
		FUZZ_ASSERT(b.data[i] >= 0x20 && b.data[i] != '/' && b.data[i] < 0x7f);
	/* deterministic */
	struct buf b2 = BUF_INIT;
	name_key(&b2, data, size);
	FUZZ_ASSERT(b.len == b2.len && (b.len == 0 || !memcmp(b.data, b2.data, b.len)));
	buf_release(&b2);
	buf_release(&b);

	/* two keys as a range file name */
	if (size) {
		char *r = name_range(data + 1, split ? split - 1 : 0, data + split, size - split, ".csv");
		safe(r, strlen(r));
		free(r);
	}

	/* the input as a table name (up to its first NUL) */
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	char *d = name_table_dir(s);
	safe(d, strlen(d));
	free(d);
	free(s);
	return 0;
}
