/*
 * strata.c - the command line: init, backup, index, ls.
 * Every failure is one line on stderr ("strata: what failed; what to do")
 * and a non-zero exit status.
 */
#include "backup.h"
#include "verify.h"
#include "strata/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char USAGE[] =
	"usage: strata init REPO [--chunk-size BYTES] [--pack-size BYTES] [--frame-size BYTES]\n"
	"       strata backup REPO SOURCE.db [--at TIME] [--label TEXT] [--force]\n"
	"                     [--reader auto|sqlite] [--verbose]\n"
	"       strata index REPO [--rebuild]\n"
	"       strata ls REPO [--json]\n"
	"       strata verify REPO [--quick]\n";

/* Usage errors are one line, like every other error; --help shows the rest. */
static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "strata: %s; see 'strata --help'\n", why);
	else
		fputs(USAGE, stderr);
	return 2;
}

static int fail(char *err)
{
	fprintf(stderr, "strata: %s\n", err ? err : "failed");
	free(err);
	return 1;
}

static int cmd_init(int argc, char **argv)
{
	struct repo_init_opts o = { 0 };
	const char *path = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--chunk-size") && i + 1 < argc) {
			if (parse_size(argv[++i], &o.chunk_avg))
				return usage("--chunk-size takes a size such as 512K");
		} else if (!strcmp(argv[i], "--pack-size") && i + 1 < argc) {
			if (parse_size(argv[++i], &o.pack_size))
				return usage("--pack-size takes a size such as 32M");
		} else if (!strcmp(argv[i], "--frame-size") && i + 1 < argc) {
			if (parse_size(argv[++i], &o.frame_size))
				return usage("--frame-size takes a size such as 128K");
		} else if (argv[i][0] == '-' || path) {
			return usage("unexpected argument to init");
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return usage("init needs a repository path");
	int rc = repo_init(path, &o);
	if (rc == -ENOTEMPTY) {
		struct repo r;
		if (repo_open(&r, path) == 0) {
			repo_close(&r);
			fprintf(stderr, "strata: '%s' is already a strata repository; use it as it is\n", path);
		} else {
			fprintf(stderr, "strata: cannot create a repository in '%s': the directory is not empty; choose an empty or new directory\n", path);
		}
		return 1;
	}
	if (rc == -EINVAL)
		return usage("chunk size must be 64 B..256 MiB, pack size 4 KiB..4 GiB and frame size 4 KiB..1 MiB");
	if (rc) {
		fprintf(stderr, "strata: cannot create a repository in '%s': %s\n", path, strerror(-rc));
		return 1;
	}
	printf("initialized empty strata repository in %s\n", path);
	return 0;
}

static void human(char *out, size_t n, uint64_t v)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)v;
	int i = 0;
	while (d >= 1024 && i < 4)
		d /= 1024, i++;
	snprintf(out, n, i ? "%.1f %s" : "%.0f %s", d, u[i]);
}

static int cmd_backup(int argc, char **argv)
{
	struct backup_opts o = { 0 };
	struct backup_result res;
	char *err = NULL;
	const char *pos[2] = { NULL, NULL };
	int npos = 0;

	o.at = (int64_t)time(NULL);
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--at") && i + 1 < argc) {
			if (time_parse_rfc3339(argv[++i], &o.at))
				return usage("--at takes an RFC 3339 time such as 2026-11-20T02:00:00Z");
		} else if (!strcmp(argv[i], "--label") && i + 1 < argc) {
			o.label = argv[++i];
		} else if (!strcmp(argv[i], "--force")) {
			o.force = true;
		} else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			o.verbose = true;
		} else if (!strcmp(argv[i], "--reader") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "sqlite"))
				o.api_reader = true;
			else if (strcmp(argv[i], "auto"))
				return usage("--reader takes 'auto' (pages when possible) or 'sqlite' (SQLite's API only)");
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			return usage("unknown option to backup");
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		} else {
			return usage("too many arguments to backup");
		}
	}
	if (npos != 2)
		return usage("backup needs a repository and a source database");
	o.repo = pos[0];
	o.source = pos[1];
	o.progress = isatty(2);
	if (backup_run(&o, &res, &err))
		return fail(err);
	char in[32], nw[32], src[32];
	human(in, sizeof(in), res.bytes_in);
	human(nw, sizeof(nw), res.new_bytes);
	human(src, sizeof(src), res.source_bytes);
	if (res.unchanged_since[0]) {
		printf("generation %s: source unchanged since generation %s (same file, size, times "
		       "and WAL state), not read again; %llu tables, %llu rows, %s new stored, %.2f s\n",
		       res.name, res.unchanged_since, (unsigned long long)res.tables,
		       (unsigned long long)res.rows, nw, res.seconds);
		return 0;
	}
	printf("generation %s: %llu tables, %llu rows, %s source file, %s rows read, "
	       "%llu chunks (%llu new), %s new stored, %.2f s\n",
	       res.name, (unsigned long long)res.tables, (unsigned long long)res.rows, src, in,
	       (unsigned long long)res.chunks, (unsigned long long)res.new_chunks, nw, res.seconds);
	return 0;
}

/* Arguments of the form "REPO [FLAG]"; returns 0 or a usage() exit code. */
static int parse_repo_flag(int argc, char **argv, const char *cmd, const char *flag,
			   const char **path, bool *set)
{
	char why[64];
	*path = NULL;
	*set = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], flag)) {
			*set = true;
		} else if (argv[i][0] == '-' || *path) {
			snprintf(why, sizeof(why), "unexpected argument to %s", cmd);
			return usage(why);
		} else {
			*path = argv[i];
		}
	}
	if (!*path) {
		snprintf(why, sizeof(why), "%s needs a repository path", cmd);
		return usage(why);
	}
	return 0;
}

static int cmd_index(int argc, char **argv)
{
	const char *path;
	bool rebuild;
	char *err = NULL;
	int rc = parse_repo_flag(argc, argv, "index", "--rebuild", &path, &rebuild);
	if (rc)
		return rc;
	if (index_run(path, rebuild, &err))
		return fail(err);
	return 0;
}

static int cmd_ls(int argc, char **argv)
{
	const char *path;
	bool json;
	struct repo r;
	struct catalog c;
	struct cat_gen *g = NULL;
	size_t n = 0;
	char *err = NULL;
	int rc = parse_repo_flag(argc, argv, "ls", "--json", &path, &json);

	if (rc)
		return rc;
	/*
	 * Bring the catalog up to date first (it may be missing).  While a backup
	 * holds the lock, list what the catalog already has instead of failing.
	 */
	rc = index_run(path, false, &err);
	if (rc == -EWOULDBLOCK) {
		free(err);
		err = NULL;
	} else if (rc) {
		return fail(err);
	}
	rc = repo_open(&r, path);
	if (!rc)
		rc = catalog_open(&c, r.catalog, true);
	if (rc) {
		fprintf(stderr, "strata: cannot read the catalog of '%s': %s; run 'strata index --rebuild %s'\n",
			path, strerror(-rc), path);
		repo_close(&r);
		return 1;
	}
	rc = catalog_list_gens(&c, &g, &n);
	if (rc) {
		fprintf(stderr, "strata: cannot read the catalog of '%s': %s\n", path, strerror(-rc));
	} else if (json) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "[");
		for (size_t i = 0; i < n; i++) {
			char ts[32];
			time_rfc3339(ts, g[i].time);
			buf_adds(&b, i ? ",\n {\"name\": " : "\n {\"name\": ");
			buf_add_json_str(&b, g[i].name, strlen(g[i].name));
			buf_addf(&b, ", \"id\": \"%s\", \"seq\": %llu, \"time\": \"%s\", \"label\": ",
				 g[i].id, (unsigned long long)g[i].seq, ts);
			buf_add_json_str(&b, g[i].label, strlen(g[i].label));
			buf_addf(&b, ", \"tables\": %llu, \"rows\": %llu, \"logical_bytes\": %llu, \"new_bytes\": %llu}",
				 (unsigned long long)g[i].ntables, (unsigned long long)g[i].nrows,
				 (unsigned long long)g[i].logical_bytes,
				 (unsigned long long)g[i].new_bytes);
		}
		buf_adds(&b, n ? "\n]\n" : "]\n");
		fwrite(b.data, 1, b.len, stdout);
		buf_release(&b);
	} else {
		printf("%-22s %-20s %7s %12s %11s %11s  %s\n", "NAME", "TIME", "TABLES", "ROWS",
		       "LOGICAL", "NEW", "LABEL");
		for (size_t i = 0; i < n; i++) {
			char ts[32], lg[32], nw[32];
			time_rfc3339(ts, g[i].time);
			human(lg, sizeof(lg), g[i].logical_bytes);
			human(nw, sizeof(nw), g[i].new_bytes);
			printf("%-22s %-20s %7llu %12llu %11s %11s  %s\n", g[i].name, ts,
			       (unsigned long long)g[i].ntables, (unsigned long long)g[i].nrows, lg, nw,
			       g[i].label);
		}
	}
	catalog_free_gens(g, n);
	catalog_close(&c);
	repo_close(&r);
	return rc ? 1 : 0;
}

static int cmd_verify(int argc, char **argv)
{
	const char *path;
	bool quick;
	struct verify_opts o = { 0 };
	struct verify_result res;
	char *err = NULL;
	int rc = parse_repo_flag(argc, argv, "verify", "--quick", &path, &quick);

	if (rc)
		return rc;
	o.quick = quick;
	if (verify_run(path, &o, &res, &err))
		return fail(err);
	char pb[32], cb[32];
	human(pb, sizeof(pb), res.pack_bytes);
	human(cb, sizeof(cb), res.chunk_bytes);
	printf("checked %llu generations, %llu packs (%s), %llu chunks",
	       (unsigned long long)res.gens, (unsigned long long)res.packs, pb,
	       (unsigned long long)res.chunks);
	if (quick)
		printf(" (structure only)");
	else
		printf(" (%s decompressed and checked)", cb);
	printf(": %s\n", res.problems ? "DAMAGED" : "no damage");
	fflush(stdout);
	if (res.problems) {
		fprintf(stderr, "strata: repository '%s' is damaged: %llu problems, %llu of %llu generations affected "
			"(listed above); restore the damaged files from a copy of the repository\n",
			path, (unsigned long long)res.problems, (unsigned long long)res.bad_gens,
			(unsigned long long)res.gens);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(NULL);
	if (!strcmp(argv[1], "init"))
		return cmd_init(argc - 2, argv + 2);
	if (!strcmp(argv[1], "backup"))
		return cmd_backup(argc - 2, argv + 2);
	if (!strcmp(argv[1], "index"))
		return cmd_index(argc - 2, argv + 2);
	if (!strcmp(argv[1], "ls"))
		return cmd_ls(argc - 2, argv + 2);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 2, argv + 2);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(USAGE, stdout);
		return 0;
	}
	return usage("unknown command");
}
