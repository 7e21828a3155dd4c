/* Unit tests for lib/repo.c: config parsing, init, open, lock. */
#include "check.h"
#include "testutil.h"
#include "strata/frames.h"
#include "strata/repo.h"

#include <fcntl.h>
#include <sys/stat.h>

static const char GOOD[] =
	"strata-repository\n"
	"version = 2\n"
	"id = 0123456789abcdef0123456789abcdef\n"
	"chunk_min = 131072\n"
	"chunk_avg = 524288\n"
	"chunk_max = 2097152\n"
	"pack_size = 33554432\n"
	"zstd_level = 3\n"
	"frame_size = 131072\n";

/* A format 1 config: no frame_size. */
static const char GOOD_V1[] =
	"strata-repository\n"
	"version = 1\n"
	"id = 0123456789abcdef0123456789abcdef\n"
	"chunk_min = 131072\n"
	"chunk_avg = 524288\n"
	"chunk_max = 2097152\n"
	"pack_size = 33554432\n"
	"zstd_level = 3\n";

static int parse(const char *text)
{
	struct repo r;
	memset(&r, 0, sizeof(r));
	return repo_parse_config(&r, text, strlen(text));
}

/* GOOD with the line starting with key replaced by repl ("" deletes it). */
static int parse_with(const char *key, const char *repl)
{
	struct buf b = BUF_INIT;
	const char *p = GOOD;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = (size_t)(nl - p) + 1;
		if (!strncmp(p, key, strlen(key))) {
			if (*repl) {
				buf_adds(&b, repl);
				buf_addc(&b, '\n');
			}
		} else {
			buf_add(&b, p, len);
		}
		p += len;
	}
	int rc = parse((const char *)b.data);
	buf_release(&b);
	return rc;
}

static void config(void)
{
	struct repo r;
	memset(&r, 0, sizeof(r));
	CHECK(repo_parse_config(&r, GOOD, strlen(GOOD)) == 0);
	CHECK(r.version == 2 && r.frame_size == 131072 && !strcmp(r.id, "0123456789abcdef0123456789abcdef"));
	CHECK(r.chunk.min == 131072 && r.chunk.avg == 524288 && r.chunk.max == 2097152);
	CHECK(r.pack_size == 33554432 && r.zstd_level == 3);

	/* accepted variations */
	CHECK(parse_with("zstd_level", "") == 0);
	CHECK(parse_with("zstd_level", "zstd_level = 19") == 0);
	CHECK(parse_with("pack_size", "pack_size = 4096\n# a comment\n\nfuture_key = whatever") == 0);
	CHECK(parse_with("id", "id = 0123456789ABCDEF0123456789ABCDEF") == 0);
	{ /* no final newline */
		size_t n = strlen(GOOD) - 1;
		memset(&r, 0, sizeof(r));
		CHECK(repo_parse_config(&r, GOOD, n) == 0);
	}

	/* rejected */
	CHECK(parse("") == -EUCLEAN);
	CHECK(parse("strata-repositoryX\nversion = 1\n") == -EUCLEAN);
	CHECK(parse("\nstrata-repository\n") == -EUCLEAN);
	CHECK(parse_with("strata-repository", "STRATA-repository") == -EUCLEAN);
	CHECK(parse_with("id", "") == -EUCLEAN);
	CHECK(parse_with("id", "id = 0123456789abcdef") == -EUCLEAN);
	CHECK(parse_with("id", "id = 0123456789abcdef0123456789abcdeg") == -EUCLEAN);
	CHECK(parse_with("id", "id = 0123456789abcdef0123456789abcdef0") == -EUCLEAN);
	memset(&r, 0, sizeof(r));
	CHECK(parse_with("version", "version = 5") == -EPROTONOSUPPORT);
	{
		const char *v5 = "strata-repository\nversion = 5\nid = 0123456789abcdef0123456789abcdef\n";
		memset(&r, 0, sizeof(r));
		CHECK(repo_parse_config(&r, v5, strlen(v5)) == -EPROTONOSUPPORT && r.version == 5);
	}
	/* format 1 (no frame_size) is read, with the default frame size */
	memset(&r, 0, sizeof(r));
	CHECK(repo_parse_config(&r, GOOD_V1, strlen(GOOD_V1)) == 0 && r.version == 1 &&
	      r.frame_size == FRAMED_DEFAULT_FRAME);
	CHECK(parse_with("frame_size", "frame_size = 65536") == 0);
	CHECK(parse_with("frame_size", "frame_size = x") == -EUCLEAN);
	CHECK(parse_with("frame_size", "frame_size = 256") == 0); /* format 4: a segment's average */
	CHECK(parse_with("frame_size", "frame_size = 255") == -EUCLEAN);
	CHECK(parse_with("frame_size", "frame_size = 2097152") == -EUCLEAN);
	CHECK(parse_with("version", "version = 0") == -EPROTONOSUPPORT);
	CHECK(parse_with("version", "version = -1") == -EUCLEAN);
	CHECK(parse_with("version", "version = 1x") == -EUCLEAN);
	CHECK(parse_with("version", "version = 99999999999999999999999") == -EUCLEAN);
	CHECK(parse_with("version", "version=1") == -EUCLEAN);
	CHECK(parse_with("version", "version =1") == -EUCLEAN);
	CHECK(parse_with("version", "version") == -EUCLEAN);
	CHECK(parse_with("version", "= 1") == -EUCLEAN);
	CHECK(parse_with("chunk_avg", "chunk_avg = ") == -EUCLEAN);
	CHECK(parse_with("chunk_avg", "chunk_avg = 1e6") == -EUCLEAN);
	CHECK(parse_with("chunk_avg", "chunk_avg = 63") == -EUCLEAN);
	CHECK(parse_with("chunk_avg", "chunk_avg =  524288") == -EUCLEAN);
	CHECK(parse_with("chunk_avg", "chunk_avg = 524288 ") == -EUCLEAN);
	CHECK(parse_with("chunk_min", "chunk_min = 524289") == -EUCLEAN);
	CHECK(parse_with("chunk_max", "chunk_max = 524287") == -EUCLEAN);
	CHECK(parse_with("chunk_max", "chunk_max = 2147483648") == -EUCLEAN);
	CHECK(parse_with("pack_size", "pack_size = 4095") == -EUCLEAN);
	CHECK(parse_with("pack_size", "pack_size = 4294967297") == -EUCLEAN);
	CHECK(parse_with("zstd_level", "zstd_level = 0") == -EUCLEAN);
	CHECK(parse_with("zstd_level", "zstd_level = 20") == -EUCLEAN);
	CHECK(parse_with("zstd_level", "zstd_level = -3") == -EUCLEAN);
	{
		char crlf[sizeof(GOOD) + 16];
		snprintf(crlf, sizeof(crlf), "strata-repository\r\nversion = 1\n");
		CHECK(parse(crlf) == -EUCLEAN);
	}
	{ /* an embedded NUL */
		char nul[sizeof(GOOD)];
		memcpy(nul, GOOD, sizeof(GOOD));
		nul[30] = 0;
		memset(&r, 0, sizeof(r));
		CHECK(repo_parse_config(&r, nul, sizeof(GOOD) - 1) != 0);
	}
}

static void note_holder(const char *holder, void *arg)
{
	char **out = arg;
	CHECK(*out == NULL); /* said once */
	free(*out);
	*out = xstrdup(holder);
}

static void init_open(void)
{
	char *dir = make_tmpdir("repo");
	char *path = xasprintf("%s/r", dir);
	struct repo r;
	int rc;

	CHECK(repo_init(path, NULL) == 0);
	/* the config written by init parses */
	char *cfgp = xasprintf("%s/config", path);
	uint8_t *cfg;
	size_t n;
	CHECK(read_file(cfgp, REPO_CONFIG_MAX, &cfg, &n) == 0);
	memset(&r, 0, sizeof(r));
	CHECK(repo_parse_config(&r, (const char *)cfg, n) == 0);
	CHECK(r.chunk.avg == 512 * 1024 && r.chunk.min == r.chunk.avg / 4 &&
	      r.chunk.max == r.chunk.avg * 4 && r.pack_size == 32u << 20 && r.zstd_level == 3);
	free(cfg);

	CHECK(repo_open(&r, path) == 0);
	CHECK(strlen(r.id) == 32 && r.version == REPO_FORMAT_VERSION &&
	      r.frame_size == 32768 && r.frame_size == repo_default_segment(r.chunk.avg));
	CHECK(r.store && r.catalog);
	struct stat st;
	static const char *const layout[] = { "packs", "generations", "tmp" };
	for (int i = 0; i < 3; i++) {
		char *d = xasprintf("%s/%s", path, layout[i]);
		CHECK(stat(d, &st) == 0 && S_ISDIR(st.st_mode));
		free(d);
	}
	/* writer lock: a second holder is refused */
	struct repo r2;
	CHECK(repo_open(&r2, path) == 0);
	CHECK(repo_lock(&r, REPO_LOCK_ADD, "backup", 0, NULL, NULL) == 0);
	rc = repo_lock(&r2, REPO_LOCK_ADD, "index", 0, NULL, NULL);
	CHECK(rc == -EWOULDBLOCK);
	/* a bounded wait gives up, having said once whom it waits for */
	char *holder = NULL;
	rc = repo_lock(&r2, REPO_LOCK_ADD, "index", 300, note_holder, &holder);
	CHECK(rc == -EWOULDBLOCK);
	CHECKF(holder && !strncmp(holder, "backup (pid ", 12) && strstr(holder, ", since "),
	       "holder '%s'", holder ? holder : "(none)");
	free(holder);
	repo_close(&r);
	CHECK(repo_lock(&r2, REPO_LOCK_ADD, "index", 0, NULL, NULL) == 0);
	/* clean tmp */
	char *junk = xasprintf("%s/pack.junk", r2.store->tmp);
	int fd = open(junk, O_CREAT | O_WRONLY, 0644);
	close(fd);
	repo_clean_tmp(&r2);
	CHECK(stat(junk, &st) < 0 && errno == ENOENT);
	free(junk);
	repo_close(&r2);

	/* init refuses a non-empty directory and an existing repository */
	CHECK(repo_init(path, NULL) == -ENOTEMPTY);
	char *other = xasprintf("%s/other", dir);
	CHECK(mkdir(other, 0755) == 0);
	char *f = xasprintf("%s/.x", other);
	fd = open(f, O_CREAT | O_WRONLY, 0644);
	close(fd);
	CHECK(repo_init(other, NULL) == -ENOTEMPTY);
	free(f);
	/* an empty existing directory is fine; custom sizes */
	char *empty = xasprintf("%s/empty", dir);
	CHECK(mkdir(empty, 0755) == 0);
	struct repo_init_opts o = { .chunk_avg = 16384, .pack_size = 1 << 20 };
	CHECK(repo_init(empty, &o) == 0);
	CHECK(repo_open(&r, empty) == 0 && r.chunk.avg == 16384 && r.chunk.min == 4096 &&
	      r.chunk.max == 65536 && r.pack_size == 1 << 20);
	repo_close(&r);
	/* bad options */
	char *bad = xasprintf("%s/bad", dir);
	struct repo_init_opts o2 = { .chunk_avg = 32 };
	CHECK(repo_init(bad, &o2) == -EINVAL);
	struct repo_init_opts o3 = { .pack_size = 100 };
	CHECK(repo_init(bad, &o3) == -EINVAL);

	/* open: missing, not a dir, not a repository, newer version */
	CHECK(repo_open(&r, bad) == -ENOENT);
	CHECK(repo_open(&r, cfgp) == -ENOTDIR);
	CHECK(repo_open(&r, other) == -EUCLEAN);
	char *v2 = xasprintf("%s/config", empty);
	const char *txt = "strata-repository\nversion = 5\nid = 0123456789abcdef0123456789abcdef\n";
	unlink(v2);
	fd = open(v2, O_CREAT | O_WRONLY, 0644);
	CHECK(write_all(fd, txt, strlen(txt)) == 0);
	close(fd);
	CHECK(repo_open(&r, empty) == -EPROTONOSUPPORT && r.version == 5);
	/* a config symlink is not followed */
	unlink(v2);
	CHECK(symlink(cfgp, v2) == 0);
	CHECK(repo_open(&r, empty) == -EUCLEAN);
	/* missing generations/ */
	char *gens = xasprintf("%s/generations", path);
	CHECK(rmdir(gens) == 0);
	CHECK(repo_open(&r, path) == -EUCLEAN);

	free(gens);
	free(v2);
	free(bad);
	free(empty);
	free(other);
	free(cfgp);
	rm_rf(dir);
	free(path);
	free(dir);
}


int main(void)
{
	config();
	init_open();
	return check_done("unit-repo");
}
