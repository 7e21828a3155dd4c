/*
 * Fuzz render_csv_chunk: never crash; rendering is deterministic; and
 * render_csv_chunk_len (what backup records as a chunk's CSV size) agrees
 * with it on success and failure alike.
 */
#include "fuzz.h"
#include "strata/render.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	uint64_t na = 0, nb = 0;
	int rc = render_csv_chunk(data, size, &a, &na);

	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN);
	uint64_t len = 0, nl = 0;
	FUZZ_ASSERT(render_csv_chunk_len(data, size, &len, &nl) == rc);
	FUZZ_ASSERT(rc != 0 || (len == a.len && nl == na));
	if (rc == 0) {
		/* a copy at another address renders the same bytes */
		uint8_t *copy = malloc(size ? size : 1);
		memcpy(copy, data, size);
		FUZZ_ASSERT(render_csv_chunk(copy, size, &b, &nb) == 0);
		FUZZ_ASSERT(na == nb && a.len == b.len && (a.len == 0 || !memcmp(a.data, b.data, a.len)));
		/* one line per row */
		FUZZ_ASSERT(na <= a.len);
		free(copy);
	} else {
		FUZZ_ASSERT(na == 0);
	}
	buf_release(&a);
	buf_release(&b);
	return 0;
}
