/* Fuzz repo_parse_config: never crash; accepted configs are sane. */
#include "fuzz.h"
#include "strata/frames.h"
#include "strata/repo.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct repo r;
	memset(&r, 0, sizeof(r));
	if (size > REPO_CONFIG_MAX)
		return 0;
	int rc = repo_parse_config(&r, (const char *)data, size);
	FUZZ_ASSERT(rc == 0 || rc == -EUCLEAN || rc == -EPROTONOSUPPORT);
	if (rc == 0) {
		FUZZ_ASSERT(r.version >= REPO_FORMAT_OLDEST && r.version <= REPO_FORMAT_VERSION &&
			    strlen(r.id) == 32);
		FUZZ_ASSERT(r.frame_size >= REPO_MIN_SEGMENT && r.frame_size <= FRAMED_MAX_FRAME);
		FUZZ_ASSERT(r.chunk.min <= r.chunk.avg && r.chunk.avg <= r.chunk.max &&
			    r.chunk.avg >= 64);
		FUZZ_ASSERT(r.pack_size >= 4096 && r.zstd_level >= 1 && r.zstd_level <= 19);
	}
	return 0;
}
