/*
 * strata.c - the command line: one table of commands (strata/helpdoc.h)
 * that is at once the argument parser's specification, `--help` and the
 * man page strata(1), which meson builds from `strata help --man`.
 *
 * Every failure is one line on stderr ("strata: what failed; what to do")
 * and an exit status from the EXIT STATUS section below.
 */
#include "backup.h"
#include "strata/manifest.h"
#include "browse.h"
#include "stats.h"
#include "status.h"
#include "verify.h"
#include "strata/catalog.h"
#include "strata/helpdoc.h"
#include "strata/log.h"
#include "strata/naming.h"
#include "strata/prune.h"
#include "strata/restore.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef STRATA_VERSION
#define STRATA_VERSION "unknown"
#endif

/* exit statuses (the EXIT STATUS section says the same to users) */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_DAMAGE = 3,
	EXIT_STALE = 4,
	EXIT_BUSY = 5,
};

static const struct help_opt init_opts[] = {
	{ "--chunk-size", HELP_ARG_REQUIRED, "BYTES",
	  "target average uncompressed chunk size (default 512K); a chunk is at least a quarter "
	  "and at most four times that. Smaller chunks find more of what stayed the same between "
	  "generations and cost more catalog rows", false },
	{ "--pack-size", HELP_ARG_REQUIRED, "BYTES", "target size of a pack file (default 32M)", false },
	{ "--frame-size", HELP_ARG_REQUIRED, "BYTES",
	  "bytes of rows in a segment of a chunk (default a sixteenth of --chunk-size, at least "
	  "32K; 256 to 1M): a segment is compressed on its own, so it is what a random read "
	  "decompresses and what a backup after a change reads again around a changed row", false },
	{ "--compression", HELP_ARG_REQUIRED, "LEVEL",
	  "zstd level, 1 to 19 (default 3: settings tuned for CSV at about the speed of zstd -3). "
	  "Higher levels store less and make backups slower; reads stay as fast", false },
	{ 0 },
};

#define WAIT_OPT                                                                             \
	{ "--wait", HELP_ARG_OPTIONAL, "DURATION",                                            \
	  "if another backup or index holds the repository's lock, wait for it (as long as it " \
	  "takes, also for an empty DURATION, or at most DURATION) instead of failing at once " \
	  "with status 5; says whom it waits for",                                              \
	  false }

static const struct help_opt backup_opts[] = {
	{ "--at", HELP_ARG_REQUIRED, "TIME",
	  "the generation's time (default: now), for imports and tests; from "
	  "1970-01-01T00:00:00Z on, and a date that does not exist is refused", false },
	{ "--label", HELP_ARG_REQUIRED, "TEXT",
	  "a note kept with the generation (`strata ls`, generation.json)", false },
	{ "--name", HELP_ARG_REQUIRED, "DB",
	  "the database's name in the repository: its own timeline, `latest` and retention "
	  "(`MNT/db/DB/`, `strata prune --name`). Default: the source's file name without its "
	  "extension (`/srv/shop.db` is `shop`); a name already used by another source path must "
	  "be given. Letters, digits, `.`, `_` and `-`, at most 64 bytes", false },
	{ "--include", HELP_ARG_REQUIRED, "TABLE",
	  "back up only the tables whose name matches this shell glob (`orders`, `log_*`); may "
	  "be given more than once. A pattern that matches no table is an error", true },
	{ "--exclude", HELP_ARG_REQUIRED, "TABLE",
	  "leave out the tables matching this glob, with their indexes and triggers; may be "
	  "given more than once, and applies after --include", true },
	{ "--force", HELP_ARG_NONE, NULL,
	  "read the source even if it has not changed since its last backup", false },
	{ "--kind", HELP_ARG_REQUIRED, "full|incremental|differential",
	  "`incremental` (default) takes the chunks of unchanged database pages from the "
	  "newest generation of the same database, `differential` from the newest full one, "
	  "`full` reads every row. The result is the same generation either way; the kind "
	  "and the parent are recorded (`strata ls`)", false },
	{ "--reader", HELP_ARG_REQUIRED, "auto|sqlite",
	  "`auto` (default) reads rowid tables straight from the database pages when the "
	  "snapshot is the main file alone; `sqlite` reads every table through SQLite's API", false },
	WAIT_OPT,
	{ "--verbose,-v", HELP_ARG_NONE, NULL,
	  "one line per table on stderr: its rows, and which reader read it", false },
	{ 0 },
};

static const struct help_opt index_opts[] = {
	{ "--rebuild", HELP_ARG_NONE, NULL, "recreate the catalog from nothing", false },
	WAIT_OPT,
	{ 0 },
};

static const struct help_opt ls_opts[] = {
	{ "--json", HELP_ARG_NONE, NULL,
	  "a JSON array instead, one object per generation (or per entry of PATH), with exact "
	  "byte counts", false },
	{ "--name", HELP_ARG_REQUIRED, "DB",
	  "only the generations of this database (`strata backup --name`)", false },
	{ 0 },
};

static const struct help_opt restore_opts[] = {
	{ "--to", HELP_ARG_REQUIRED, "NEW.db",
	  "the database to create; it must not exist (nothing is ever overwritten)", false },
	{ "--table", HELP_ARG_REQUIRED, "NAME",
	  "only this table, with its indexes and triggers (a virtual table with its shadow "
	  "tables); repeat for more", true },
	{ 0 },
};

static const struct help_opt diff_opts[] = {
	{ "--table", HELP_ARG_REQUIRED, "TABLE",
	  "only this table (its directory name, as `strata ls REPO GENERATION` lists it): "
	  "exactly the bytes of its changes file", false },
	{ "--format", HELP_ARG_REQUIRED, "csv|jsonl", "the format (default csv)", false },
	{ 0 },
};

static const struct help_opt verify_opts[] = {
	{ "--quick", HELP_ARG_NONE, NULL,
	  "check the structure only (manifests, pack indexes, sizes), not every chunk's data", false },
	{ "--read-data", HELP_ARG_OPTIONAL, "PERCENT",
	  "check the data of every chunk (the default), or of a random PERCENT of them (`10`, "
	  "`10%`), drawn anew at each run: a weekly 10% reads everything about every ten weeks "
	  "at a tenth of the cost. A sampled check is recorded as a quick one; the damage it "
	  "finds is added to what the last full check found", false },
	{ 0 },
};

static const struct help_opt prune_opts[] = {
	{ "--keep-last", HELP_ARG_REQUIRED, "N", "keep the N newest generations", false },
	{ "--keep-hourly", HELP_ARG_REQUIRED, "N",
	  "for the N newest hours that have generations, keep the newest generation of each", false },
	{ "--keep-daily", HELP_ARG_REQUIRED, "N", "the same for days", false },
	{ "--keep-weekly", HELP_ARG_REQUIRED, "N", "the same for ISO 8601 weeks (Monday to Sunday)", false },
	{ "--keep-monthly", HELP_ARG_REQUIRED, "N", "the same for months", false },
	{ "--keep-yearly", HELP_ARG_REQUIRED, "N", "the same for years; -1 for any rule: no limit", false },
	{ "--keep-within", HELP_ARG_REQUIRED, "DURATION",
	  "keep every generation taken less than DURATION before the newest one: years, months, "
	  "days and hours, largest first (`1y6m`, `14d`, `36h`)", false },
	{ "--name", HELP_ARG_REQUIRED, "DB",
	  "apply the rules to this database's generations only (`strata backup --name`); "
	  "without it, each database's timeline is kept by the rules on its own", false },
	{ "--dry-run,-n", HELP_ARG_NONE, NULL,
	  "print what would be removed, collected and repacked; change nothing", false },
	{ "--repack", HELP_ARG_REQUIRED, "PERCENT",
	  "rewrite a pack once at least PERCENT of its chunk bytes are garbage (default 20; 100: "
	  "only delete packs that are all garbage)", false },
	WAIT_OPT,
	{ 0 },
};

static const struct help_opt stats_opts[] = {
	{ "--json", HELP_ARG_NONE, NULL, "a JSON object instead of text, with exact byte counts", false },
	{ 0 },
};

static const struct help_opt status_opts[] = {
	{ "--json", HELP_ARG_NONE, NULL, "a JSON object instead of text", false },
	{ "--prometheus", HELP_ARG_NONE, NULL,
	  "metrics in the Prometheus text format, for node_exporter's textfile collector "
	  "(METRICS below)", false },
	{ "--output", HELP_ARG_REQUIRED, "FILE",
	  "write to FILE instead of stdout, atomically (a temporary file in the same directory, "
	  "then a rename), as the textfile collector needs; written whatever the exit status", false },
	{ "--max-age", HELP_ARG_REQUIRED, "DURATION",
	  "exit with status 4 when a database's newest generation is older than DURATION "
	  "(`26h` for a daily backup)", false },
	{ 0 },
};

static int cmd_init(const struct help_args *a);
static int cmd_backup(const struct help_args *a);
static int cmd_index(const struct help_args *a);
static int cmd_ls(const struct help_args *a);
static int cmd_cat(const struct help_args *a);
static int cmd_restore(const struct help_args *a);
static int cmd_diff(const struct help_args *a);
static int cmd_verify(const struct help_args *a);
static int cmd_status(const struct help_args *a);
static int cmd_prune(const struct help_args *a);
static int cmd_stats(const struct help_args *a);
static int cmd_help(const struct help_args *a);

static const struct help_cmd commands[] = {
	{ "init", "REPO", "create an empty repository",
	  "Creates an empty repository in REPO, a new or empty directory; a directory that is "
	  "neither empty nor a repository is refused. The settings are the repository's for good: "
	  "chunks cut or compressed otherwise would not deduplicate against the ones it has. "
	  "docs/RECIPES.md gives what each setting costs and saves, measured.",
	  init_opts, cmd_init },
	{ "backup", "REPO SOURCE.db",
	  "store a consistent snapshot of a SQLite database as a new generation",
	  "Reads the whole database in one read transaction, so a database that another process "
	  "keeps writing is captured at exactly one committed state, and stores it as a new "
	  "generation named after its time (`2026-11-20T020000Z`; later ones of the same second "
	  "get `-002`, `-003` ...). Every table is kept in key order, in an encoding that keeps "
	  "each value's storage class, with the schema (tables, indexes, views, triggers). Chunks "
	  "the repository already holds are not written again.\n"
	  "\n"
	  "A generation becomes visible only when it is complete: packs first, the manifest last "
	  "and atomically, then the catalog. An interrupted backup leaves the repository as it "
	  "was. A database in the same state as at an earlier backup (the same file, size, times, "
	  "header and write-ahead log) is not read again: the new generation reuses that one's "
	  "tables (`--force` reads it anyway).\n"
	  "\n"
	  "One backup or index at a time holds a repository's lock: without --wait a second one "
	  "fails at once with status 5. Prints one summary line, and progress on a terminal. If "
	  "the new generation needs a chunk whose stored copy the last full `strata verify` "
	  "found damaged, it stores the chunk again and says so: every older generation using "
	  "it reads the new copy from then on. (With a verify record from an older strata, "
	  "which names no pack, it reuses the chunk, says so and exits with status 3.)",
	  backup_opts, cmd_backup },
	{ "index", "REPO", "bring the catalog up to date with the repository",
	  "The catalog, REPO/catalog.db, is derived from the manifests and packs: a missing or "
	  "damaged one is recreated, and deleting it loses nothing. backup, ls and status bring "
	  "it up to date themselves; run index after copying a repository or restoring files "
	  "into it.",
	  index_opts, cmd_index },
	{ "ls", "REPO [PATH]", "list the generations, or a directory of the mounted tree",
	  "Without PATH: one line per generation, oldest first: its name, time, tables, rows, "
	  "logical size (the bytes of all its CSV files), what its backup added to the "
	  "repository (new packs and the manifest) and its label, with control characters shown "
	  "as escapes (`\\n`). While a backup holds the lock, lists what the catalog already "
	  "has.\n"
	  "\n"
	  "With PATH, a path as below a stratafs(8) mount point (`latest/orders`, `.` for the "
	  "top): the entries of that directory as the mount lists them, one per line with its "
	  "type (`dir`, `file`, `link`), exact size in bytes, time and name (a directory's name "
	  "ends in `/`, a link shows its target); a file is listed alone. Links inside the "
	  "tree, such as `latest`, are followed. It needs no FUSE: the listing comes from the "
	  "same code as the mount's.",
	  ls_opts, cmd_ls },
	{ "cat", "REPO PATH...", "print files of the mounted tree without mounting it",
	  "Writes the files at PATH (paths as below a stratafs(8) mount point, such as "
	  "`latest/orders/orders.csv`) to the standard output, one after the other: exactly the "
	  "bytes the mount serves, from the same code, so it works where FUSE does not (a "
	  "container without /dev/fuse) and `strata cat REPO latest/orders/orders.csv > "
	  "orders.csv` is a restore. Only the chunks the files need are read, each checked "
	  "before it is written out; damaged data stops the output with status 3 and a line "
	  "naming the pack and chunk.",
	  NULL, cmd_cat },
	{ "restore", "REPO GENERATION --to NEW.db", "recreate the database of a generation",
	  "Builds the SQLite database as it was when GENERATION (a name from `strata ls`, or "
	  "`latest`) was taken, without mounting anything: every table with each value's "
	  "storage class and every rowid, the schema objects in their order, virtual tables "
	  "(FTS5 ...) with their shadow tables, sqlite_sequence, sqlite_stat1, user_version and "
	  "application_id, so that `sqlite3 NEW.db .dump` equals the source's. Every chunk is "
	  "checked against its id first. The database is written to a temporary file next to "
	  "NEW.db and appears under that name only when complete. A generation made by an "
	  "older strata lacks some of this; what it lacks is said, and the rest restored.",
	  restore_opts, cmd_restore },
	{ "diff", "REPO GEN_A GEN_B", "print the rows that changed between two generations",
	  "Compares, table by table and by primary key (the rowid for a table without one), "
	  "the rows of generation GEN_A with those of GEN_B (names from `strata ls`, or "
	  "`latest`) and prints each row that differs, in key order: first the op (`insert`, "
	  "`update` with the new values, `delete` with the old ones), then the row, as CSV with "
	  "a header (`op` and the table's columns) or as JSON Lines with an `op` key. Only "
	  "chunks that differ between the two are read, so the work follows the size of the "
	  "change, not of the table. With --table, the output is exactly what "
	  "`<GEN_B>/<table>/changes.csv` (or .jsonl) holds when GEN_A is the generation before; "
	  "without it, each changed table's rows follow a line `==> <table> <==` (a table in "
	  "only one of them is all inserts or all deletes). A table whose primary key or row "
	  "order differs between the two is shown as all its old rows deleted, then all its new "
	  "rows inserted.",
	  diff_opts, cmd_diff },
	{ "verify", "REPO", "check the repository against itself",
	  "Checks every manifest (it decodes and matches its checksum and its name), every pack "
	  "(index, trailer, and that its name is the hash of its index) and, unless --quick, "
	  "every chunk: decompressed and compared with its id. Every chunk a generation needs "
	  "must be in a pack, with the sizes the manifest states. Each problem is one "
	  "`damaged: ...` line on stdout naming the pack, chunk, generations and tables; then "
	  "verify exits with status 3. A damaged copy of a chunk another pack holds intact (a "
	  "backup stored it again) is a note, not damage; so is a stale catalog. The summary "
	  "gives the chunks and bytes checked and the rate. verify takes REPO/gc-lock shared "
	  "(it waits for a running prune) and can run next to a backup. The result goes into "
	  "REPO/verify-status, for `strata status`, for later backups (which store damaged "
	  "chunks again), for the catalog (which serves intact copies) and for prune.",
	  verify_opts, cmd_verify },
	{ "prune", "REPO", "remove generations by a retention policy and collect the garbage",
	  "Decides, for each source database on its own (generations are grouped by the "
	  "source path recorded at backup), which generations the --keep rules keep, as "
	  "restic's `forget` does: generations ordered newest first; --keep-last N keeps the N "
	  "newest; --keep-hourly/daily/weekly/monthly/yearly N keep the newest generation of "
	  "each of the N newest hours (days, ISO weeks, months, years) that have one, buckets "
	  "counted in UTC, and (as restic 0.17) the oldest generation too when a rule still has "
	  "count left at the end; --keep-within keeps every generation strictly newer than the "
	  "newest one minus that span. "
	  "A generation is kept when any rule keeps it; every line printed names the rules that "
	  "kept it. Without any --keep rule no generation is removed and only garbage is "
	  "collected. Every generation is complete on its own: removing one never breaks "
	  "another, whichever was backed up first.\n"
	  "\n"
	  "Then the garbage is collected: chunks that no remaining generation needs (and second "
	  "copies) are removed: a pack holding nothing needed is deleted, one with at least "
	  "--repack percent of garbage is rewritten (its needed chunks, each checked against its "
	  "id, copied to new packs). Manifests are removed first, new packs are durable before "
	  "any old one is deleted, and the catalog serves moved chunks from their new packs "
	  "before that: prune can be killed at any moment and every remaining generation stays "
	  "readable; the next prune finishes the job. It holds the repository's lock (no backup "
	  "runs meanwhile) and REPO/gc-lock (no verify runs meanwhile); a running mount keeps "
	  "serving what remains, and removed generations disappear from it.",
	  prune_opts, cmd_prune },
	{ "status", "REPO",
	  "show whether backups are healthy: newest generations and the last verify",
	  "For each source database (by its path, as recorded at backup): its newest "
	  "generation, that generation's age, tables, rows, logical size and kind, and how many "
	  "generations it has; for the repository, its packs and the bytes they take; and the "
	  "last full and quick verify with what they found. Exits with status 3 when the last "
	  "verify found damage (the last full one, or a quick one made after it), and with status 4 when --max-age is given and a database's "
	  "newest generation is older (or the repository has no generation).",
	  status_opts, cmd_status },
	{ "stats", "REPO", "show what the repository holds: generations, logical and stored bytes, garbage",
	  "Per source database: its generations, the first and last, and their logical size (the "
	  "bytes of their CSV files). For the repository: every generation's logical bytes, the "
	  "bytes stored for the chunks they reference (each chunk once, compressed), the dedup "
	  "ratio between the two, the packs and their size, the garbage (chunks no generation "
	  "references, and second copies) with what `strata prune` would free of it, the "
	  "manifests and the catalog. Reads every manifest and pack index; takes REPO/gc-lock "
	  "shared (waits for a running prune); a backup running meanwhile has its new packs "
	  "counted as garbage until its manifest is written.",
	  stats_opts, cmd_stats },
	{ "help", "[COMMAND]", "show the help of strata or of one command", NULL, NULL, cmd_help },
	{ 0 },
};

static const struct help_section sections[] = {
	{ "EXIT STATUS",
	  "  0  success\n"
	  "  1  failure; one line on stderr says what went wrong and what to do\n"
	  "  2  usage: an unknown command or option, or a value it does not take\n"
	  "  3  damage: verify found damage; backup reused a chunk verify found damaged;\n"
	  "     prune kept packs because a chunk to keep is damaged; status: the last\n"
	  "     verify found damage\n"
	  "  4  status --max-age: a newest generation is older than that, or there is none\n"
	  "  5  busy: another backup, index or prune holds the repository's lock (after\n"
	  "     --wait=DURATION)" },
	{ "METRICS",
	  "`strata status REPO --prometheus` prints gauges labelled with the repository path "
	  "and, per database, its source path: `strata_last_backup_timestamp_seconds`, "
	  "`strata_last_backup_age_seconds`, `strata_last_backup_rows`, "
	  "`strata_last_backup_tables`, `strata_last_backup_logical_bytes`, "
	  "`strata_last_backup_new_bytes`, `strata_generations`; for the repository "
	  "`strata_repository_generations`, `strata_repository_packs`, "
	  "`strata_repository_stored_bytes`, "
	  "`strata_verify_last_timestamp_seconds` and `strata_verify_last_problems` (label "
	  "mode=\"full\" or \"quick\"; absent before the first verify of that mode), "
	  "`strata_verify_damaged_chunks` and `strata_status_timestamp_seconds`. Label values "
	  "are UTF-8 as the format requires: a path byte that is not becomes U+FFFD. Run one "
	  "status per repository (two would report the same series twice). An alert "
	  "for \"no backup for 26 hours\" is one rule:\n"
	  "\n"
	  "  time() - strata_last_backup_timestamp_seconds > 26 * 3600" },
	{ "FILES",
	  "  REPO/config          format version, id, chunking and compression settings\n"
	  "  REPO/packs/          pack files: compressed chunks with their index\n"
	  "  REPO/generations/    one manifest per generation\n"
	  "  REPO/catalog.db      the catalog (SQLite; derived, rebuildable)\n"
	  "  REPO/lock            held by backup, index and prune; names its holder\n"
	  "  REPO/gc-lock         held by prune (alone) or verify (shared)\n"
	  "  REPO/verify-status   what the last full and quick verify found\n"
	  "  REPO/tmp/            files being written" },
	{ "EXAMPLES",
	  "  strata init /srv/backups/shop\n"
	  "  strata backup /srv/backups/shop /var/lib/shop/shop.db --wait=1h\n"
	  "  strata ls /srv/backups/shop\n"
	  "  stratafs /srv/backups/shop /mnt/shop\n"
	  "  cp /mnt/shop/latest/orders/orders.csv /tmp/\n"
	  "  strata cat /srv/backups/shop latest/orders/orders.csv > /tmp/orders.csv\n"
	  "  strata restore /srv/backups/shop latest --to /tmp/shop.db\n"
	  "  strata verify /srv/backups/shop\n"
	  "  strata prune /srv/backups/shop --keep-daily 7 --keep-weekly 5 --keep-monthly 12\n"
	  "  strata status /srv/backups/shop --max-age 26h\n"
	  "  strata stats /srv/backups/shop\n"
	  "  strata status /srv/backups/shop --prometheus \\\n"
	  "      --output /var/lib/prometheus/node-exporter/strata.prom\n"
	  "\n"
	  "Units for a daily backup and timer, a mount and the metrics are in the source's "
	  "contrib/systemd/; docs/RECIPES.md gives schedules and settings." },
	{ "SEE ALSO", "stratafs(8), sqlite3(1)" },
	{ 0 },
};

static const struct help_page page = {
	"strata", 1, "backups of SQLite databases that you can browse as plain files",
	"strata stores every backup of a SQLite database as a generation: its tables as typed "
	"rows in key order, cut into content-defined chunks, compressed with zstd and checked "
	"with xxHash, each chunk stored once across all generations. stratafs(8) mounts the "
	"repository read-only, every generation a directory of CSV files: restoring is `cp`, "
	"comparing two days is `diff`, shipping off-site is `rsync`.\n"
	"\n"
	"A repository (REPO) is a directory. Sizes are bytes, or a number with K, M or G "
	"(powers of 1024: `512K`, `32M`); sizes printed are IEC units as `ls -lh` counts them "
	"(KiB, MiB, GiB). Times are RFC 3339 (`2026-11-20T02:00:00Z`, or with an offset such as "
	"`+01:00`). Durations are seconds, or numbers with the units s, m, h, d and w, largest "
	"first: `90`, `15m`, `26h`, `1h30m`, `2w`.",
	commands, sections,
};

/* ---- helpers ---- */

/* Usage errors are one line, like every other error. */
static int usage(const char *cmd, const char *why)
{
	if (cmd)
		fprintf(stderr, "strata: %s; see 'strata %s --help'\n", why, cmd);
	else
		fprintf(stderr, "strata: %s; see 'strata --help'\n", why);
	return EXIT_USAGE;
}

/* Print an error as one line whatever it holds (names come from databases). */
/*
 * The storage's own account of a request that failed for good ("s3: PUT
 * key: HTTP 503 (SlowDown) after 5 attempts"): kept, not printed, and
 * added to the command's one error line, which otherwise could only say
 * "Input/output error".  Other library lines are printed as they come.
 */
static pthread_mutex_t store_note_mu = PTHREAD_MUTEX_INITIALIZER;
static char store_note[512];

static void cli_log_sink(const char *line)
{
	if (!strncmp(line, "s3: ", 4)) {
		pthread_mutex_lock(&store_note_mu);
		snprintf(store_note, sizeof(store_note), "%s", line);
		pthread_mutex_unlock(&store_note_mu);
		return;
	}
	fprintf(stderr, "strata: %s\n", line);
}

static int fail_status(char *err, int status)
{
	struct buf b = BUF_INIT;
	const char *msg = err ? err : "failed";
	buf_add_printable(&b, msg, strlen(msg));
	pthread_mutex_lock(&store_note_mu);
	if (store_note[0]) {
		buf_adds(&b, " (");
		buf_add_printable(&b, store_note, strlen(store_note));
		buf_addc(&b, ')');
		store_note[0] = 0;
	}
	pthread_mutex_unlock(&store_note_mu);
	buf_addc(&b, 0);
	fprintf(stderr, "strata: %s\n", (char *)b.data);
	buf_release(&b);
	free(err);
	return status;
}

static int fail(char *err)
{
	return fail_status(err, EXIT_ERROR);
}

/* The status for a failure of a command that takes the lock. */
static int fail_rc(char *err, int rc)
{
	return fail_status(err, rc == -EWOULDBLOCK ? EXIT_BUSY : EXIT_ERROR);
}

/* The one positional argument REPO, or a usage error. */
static int one_repo(const char *cmd, const struct help_args *a, const char **repo)
{
	if (a->npos == 0)
		return usage(cmd, "a repository path is needed");
	if (a->npos > 1)
		return usage(cmd, "too many arguments");
	*repo = a->pos[0];
	return 0;
}

/* --wait[=DURATION] into lk; 0 or a usage() status. */
static int wait_opt(const char *cmd, const struct help_args *a, struct lock_opts *lk)
{
	bool given;
	const char *v = helpdoc_value(a, "--wait", &given);
	int64_t secs;
	lk->wait_ms = 0;
	if (!given)
		return 0;
	if (!v || !*v) { /* --wait, or --wait= from an unset variable in a unit */
		lk->wait_ms = -1;
		return 0;
	}
	if (parse_duration(v, &secs) || secs > INT64_MAX / 1000)
		return usage(cmd, "--wait takes a duration such as 90, 15m or 2h");
	lk->wait_ms = secs ? secs * 1000 : 0;
	return 0;
}

static int size_opt(const char *cmd, const struct help_args *a, const char *name,
		    uint64_t *v)
{
	const char *s = helpdoc_value(a, name, NULL);
	char why[96];
	if (s && parse_size(s, v)) {
		snprintf(why, sizeof(why), "%s takes a size such as 512K, 32M or 4096", name);
		return usage(cmd, why);
	}
	return 0;
}

/* ---- commands ---- */

static int cmd_init(const struct help_args *a)
{
	struct repo_init_opts o = { 0 };
	const char *path;
	int rc = one_repo("init", a, &path);
	if (rc)
		return rc;
	if ((rc = size_opt("init", a, "--chunk-size", &o.chunk_avg)) ||
	    (rc = size_opt("init", a, "--pack-size", &o.pack_size)) ||
	    (rc = size_opt("init", a, "--frame-size", &o.frame_size)))
		return rc;
	const char *lvl = helpdoc_value(a, "--compression", NULL);
	if (lvl) {
		char *end;
		long l = strtol(lvl, &end, 10);
		if (*end || end == lvl || l < 1 || l > 19)
			return usage("init", "--compression takes a zstd level from 1 to 19");
		o.zstd_level = (int)l;
	}
	rc = repo_init(path, &o);
	if (rc == -ENOTEMPTY) {
		struct repo r;
		if (repo_open(&r, path) == 0) {
			repo_close(&r);
			fprintf(stderr, "strata: '%s' is already a strata repository; use it as it is\n", path);
		} else {
			fprintf(stderr, "strata: cannot create a repository in '%s': the directory is not empty; choose an empty or new directory\n", path);
		}
		return EXIT_ERROR;
	}
	if (rc == -EINVAL)
		return usage("init", "chunk size must be 64 B..256 MiB, pack size 4 KiB..4 GiB and frame size 4 KiB..1 MiB");
	if (rc && rc != -ENOTEMPTY && !store_is_local(path)) {
		struct repo none = { 0 };
		return fail(repo_open_message(path, &none, rc));
	}
	if (rc) {
		fprintf(stderr, "strata: cannot create a repository in '%s': %s\n", path, strerror(-rc));
		return EXIT_ERROR;
	}
	/* an empty catalog too, so that the new repository mounts at once */
	struct lock_opts lk = { .what = "init", .quiet = true };
	char *err = NULL;
	if (index_run(path, false, &lk, &err))
		return fail(err);
	printf("initialized empty strata repository in %s\n", path);
	return EXIT_OK;
}

static int cmd_backup(const struct help_args *a)
{
	struct backup_opts o = { 0 };
	struct backup_result res;
	char *err = NULL;
	int rc;

	if (a->npos != 2)
		return usage("backup", a->npos < 2 ? "backup needs a repository and a source database"
						   : "too many arguments");
	o.repo = a->pos[0];
	o.source = a->pos[1];
	o.at = (int64_t)time(NULL);
	const char *at = helpdoc_value(a, "--at", NULL);
	if (at && time_parse_rfc3339(at, &o.at))
		return usage("backup", "--at takes an RFC 3339 time of a day that exists, such as 2026-11-20T02:00:00Z");
	if (at && o.at < 0)
		return usage("backup", "--at must be 1970-01-01T00:00:00Z or later");
	o.label = helpdoc_value(a, "--label", NULL);
	o.name = helpdoc_value(a, "--name", NULL);
	if (o.name && !db_name_ok(o.name))
		return usage("backup", "--name takes 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'");
	o.force = helpdoc_flag(a, "--force");
	o.verbose = helpdoc_flag(a, "--verbose");
	o.kind = helpdoc_value(a, "--kind", NULL);
	if (o.kind && !manifest_kind_ok(o.kind, strlen(o.kind)))
		return usage("backup", "--kind takes 'full', 'incremental' or 'differential'");
	const char *reader = helpdoc_value(a, "--reader", NULL);
	if (reader && !strcmp(reader, "sqlite"))
		o.api_reader = true;
	else if (reader && strcmp(reader, "auto"))
		return usage("backup", "--reader takes 'auto' (pages when possible) or 'sqlite' (SQLite's API only)");
	if ((rc = wait_opt("backup", a, &o.lock)))
		return rc;
	o.include = xcalloc(a->nv + 1, sizeof(char *));
	o.exclude = xcalloc(a->nv + 1, sizeof(char *));
	for (size_t i = 0; i < a->nv; i++) {
		if (!strcmp(a->v[i].opt->name, "--include"))
			o.include[o.ninclude++] = a->v[i].value;
		else if (!strcmp(a->v[i].opt->name, "--exclude"))
			o.exclude[o.nexclude++] = a->v[i].value;
	}
	char *what = xasprintf("backup of %s", o.source);
	o.lock.what = what;
	o.progress = isatty(2);
	rc = backup_run(&o, &res, &err);
	free(what);
	free(o.include);
	free(o.exclude);
	if (rc)
		return fail_rc(err, rc);
	char in[HUMAN_MAX], nw[HUMAN_MAX], src[HUMAN_MAX];
	human_bytes(in, res.bytes_in);
	human_bytes(nw, res.new_bytes);
	human_bytes(src, res.source_bytes);
	if (res.unchanged_since[0]) {
		struct buf since = BUF_INIT; /* a name from the catalog */
		buf_add_printable(&since, res.unchanged_since, strlen(res.unchanged_since));
		printf("generation %s: source unchanged since generation %s (same file, size, times "
		       "and WAL state), not read again; %llu tables, %llu rows, %s new stored, %.2f s\n",
		       res.name, (char *)since.data, (unsigned long long)res.tables,
		       (unsigned long long)res.rows, nw, res.seconds);
		buf_release(&since);
	} else {
		printf("generation %s: %llu tables, %llu rows, %s source file, %s rows read, "
		       "%llu chunks (%llu new), %s new stored, %.2f s\n",
		       res.name, (unsigned long long)res.tables, (unsigned long long)res.rows, src, in,
		       (unsigned long long)res.chunks, (unsigned long long)res.new_chunks, nw,
		       res.seconds);
		if (res.parent[0])
			printf("%s from generation %s: %llu of %llu chunks and %llu segments of the others "
			       "(%llu rows) taken from unchanged pages without reading them\n", res.kind,
			       res.parent, (unsigned long long)res.reused_chunks,
			       (unsigned long long)res.chunks, (unsigned long long)res.reused_segs,
			       (unsigned long long)res.reused_rows);
		if (o.verbose)
			fprintf(stderr, "  %llu segment lists written to the catalog, for chunks built "
				"from the pages\n", (unsigned long long)res.seg_lists);
	}
	if (res.healed) {
		fflush(stdout);
		printf("healed: stored again %llu chunk%s that 'strata verify' found damaged; the %llu "
		       "generation%s using %s read%s the new copy from now on\n",
		       (unsigned long long)res.healed, res.healed == 1 ? "" : "s",
		       (unsigned long long)res.healed_gens, res.healed_gens == 1 ? "" : "s",
		       res.healed == 1 ? "it" : "them", res.healed_gens == 1 ? "s" : "");
	}
	if (res.healed_nodes) {
		fflush(stdout);
		printf("healed: stored again %llu index node%s that 'strata verify' found damaged; every "
		       "generation listing %s reads the new copy from now on\n",
		       (unsigned long long)res.healed_nodes, res.healed_nodes == 1 ? "" : "s",
		       res.healed_nodes == 1 ? "it" : "them");
	}
	if (res.damaged_reused) {
		char ts[32];
		time_rfc3339(ts, res.damaged_verified);
		fflush(stdout);
		fprintf(stderr, "strata: generation %s reuses %llu chunks that 'strata verify' found damaged on %s, "
			"so it cannot read them either; restore the damaged packs from a copy of the "
			"repository ('strata verify %s' lists them)\n",
			res.name, (unsigned long long)res.damaged_reused, ts, o.repo);
		return EXIT_DAMAGE;
	}
	return EXIT_OK;
}

static int cmd_index(const struct help_args *a)
{
	const char *path;
	struct lock_opts lk = { .what = "index" };
	char *err = NULL;
	int rc = one_repo("index", a, &path);
	if (rc || (rc = wait_opt("index", a, &lk)))
		return rc;
	rc = index_run(path, helpdoc_flag(a, "--rebuild"), &lk, &err);
	return rc ? fail_rc(err, rc) : EXIT_OK;
}

/* A browse_* result as an exit status. */
static int browse_status(int rc, char *err)
{
	if (!rc)
		return EXIT_OK;
	return fail_status(err, rc == -EBADMSG ? EXIT_DAMAGE : EXIT_ERROR);
}

static int cmd_cat(const struct help_args *a)
{
	char *err = NULL;
	if (a->npos < 2)
		return usage("cat", a->npos ? "a path in the repository's tree is needed"
					    : "a repository and a path are needed");
	int rc = browse_cat(a->pos[0], a->pos + 1, a->npos - 1, &err);
	return browse_status(rc, err);
}

static int cmd_diff(const struct help_args *a)
{
	const char *fmt = helpdoc_value(a, "--format", NULL);
	char *err = NULL;
	if (!fmt)
		fmt = "csv";
	if (a->npos < 3)
		return usage("diff", "a repository and two generations are needed");
	if (a->npos > 3)
		return usage("diff", "too many arguments");
	if (strcmp(fmt, "csv") && strcmp(fmt, "jsonl"))
		return usage("diff", "--format takes csv or jsonl");
	int rc = browse_diff(a->pos[0], a->pos[1], a->pos[2], helpdoc_value(a, "--table", NULL),
			     fmt, &err);
	return browse_status(rc, err);
}

static int cmd_restore(const struct help_args *a)
{
	struct restore_opts o = { 0 };
	struct restore_result res;
	const char *to = helpdoc_value(a, "--to", NULL);
	const char **tables = NULL;
	char *err = NULL;
	int rc;

	if (a->npos < 2)
		return usage("restore", "a repository and a generation (a name, or latest) are needed");
	if (a->npos > 2)
		return usage("restore", "too many arguments");
	if (!to || !*to)
		return usage("restore", "--to NEW.db is needed: the database to create");
	for (size_t i = 0; i < a->nv; i++)
		if (!strcmp(a->v[i].opt->name, "--table")) {
			tables = xrealloc(tables, (o.ntables + 1) * sizeof(*tables));
			tables[o.ntables++] = a->v[i].value;
		}
	o.tables = tables;
	o.progress = isatty(STDERR_FILENO);
	rc = status_update_catalog(a->pos[0], &err);
	if (!rc)
		rc = restore_run(a->pos[0], a->pos[1], to, &o, &res, &err);
	free(tables);
	if (rc)
		return fail_status(err, rc == -EBADMSG ? EXIT_DAMAGE : EXIT_ERROR);
	struct buf name = BUF_INIT;
	buf_add_printable(&name, to, strlen(to));
	printf("restored generation %s: %llu tables, %llu rows into %s, %.2f s\n", res.name,
	       (unsigned long long)res.tables, (unsigned long long)res.rows, (char *)name.data,
	       res.seconds);
	buf_release(&name);
	if (res.lacks[0])
		fprintf(stderr, "strata: note: generation %s was made by an older strata and does not have %s; the restored database is without them\n",
			res.name, res.lacks);
	return EXIT_OK;
}

static int cmd_ls(const struct help_args *a)
{
	const char *path;
	bool json = helpdoc_flag(a, "--json");
	struct repo r;
	struct catalog c;
	struct cat_gen *g = NULL;
	size_t n = 0;
	char *err = NULL;
	int rc;

	if (a->npos == 2) {
		rc = browse_ls(a->pos[0], a->pos[1], json, &err);
		return browse_status(rc, err);
	}
	rc = one_repo("ls", a, &path);
	if (rc)
		return rc;
	const char *dbname = helpdoc_value(a, "--name", NULL);
	if (dbname && !db_name_ok(dbname))
		return usage("ls", "--name takes a database name as 'strata ls' shows it");
	rc = status_open_catalog(path, &r, &c, &err);
	if (rc)
		return fail(err);
	rc = dbname ? catalog_db_gens(&c, dbname, &g, &n) : catalog_list_gens(&c, &g, &n);
	if (!rc && dbname && !n) {
		fprintf(stderr, "strata: no database named '%s' in '%s'; 'strata ls %s' shows each generation's database\n",
			dbname, path, path);
		rc = -ENOENT;
	} else if (rc) {
		fprintf(stderr, "strata: cannot read the catalog of '%s': %s; run 'strata index --rebuild %s'\n",
			path, strerror(-rc), path);
	} else if (json) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "[");
		for (size_t i = 0; i < n; i++) {
			char ts[32];
			time_rfc3339(ts, g[i].time);
			buf_adds(&b, i ? ",\n {\"name\": " : "\n {\"name\": ");
			buf_add_json_str(&b, g[i].name, strlen(g[i].name));
			buf_adds(&b, ", \"id\": ");
			buf_add_json_str(&b, g[i].id, strlen(g[i].id)); /* from the catalog: as untrusted as the rest */
			buf_addf(&b, ", \"seq\": %llu, \"time\": \"%s\", \"label\": ",
				 (unsigned long long)g[i].seq, ts);
			buf_add_json_str(&b, g[i].label, strlen(g[i].label));
			buf_adds(&b, ", \"database\": ");
			buf_add_json_str(&b, g[i].dbname, strlen(g[i].dbname));
			buf_adds(&b, ", \"source\": ");
			buf_add_json_str(&b, g[i].source, strlen(g[i].source));
			/* how the backup read the source; null: before kinds were recorded */
			buf_adds(&b, ", \"kind\": ");
			if (g[i].kind[0])
				buf_add_json_str(&b, g[i].kind, strlen(g[i].kind));
			else
				buf_adds(&b, "null");
			buf_adds(&b, ", \"parent\": ");
			if (g[i].parent[0])
				buf_add_json_str(&b, g[i].parent, strlen(g[i].parent));
			else
				buf_adds(&b, "null");
			buf_addf(&b, ", \"tables\": %llu, \"rows\": %llu, \"logical_bytes\": %llu, \"new_bytes\": %llu}",
				 (unsigned long long)g[i].ntables, (unsigned long long)g[i].nrows,
				 (unsigned long long)g[i].logical_bytes,
				 (unsigned long long)g[i].new_bytes);
		}
		buf_adds(&b, n ? "\n]\n" : "]\n");
		fwrite(b.data, 1, b.len, stdout);
		buf_release(&b);
	} else {
		struct buf label = BUF_INIT, name = BUF_INIT, db = BUF_INIT;
		printf("%-22s %-20s %7s %12s %11s %11s  %-16s %-12s %s\n", "NAME", "TIME", "TABLES",
		       "ROWS", "LOGICAL", "NEW", "DATABASE", "KIND", "LABEL");
		for (size_t i = 0; i < n; i++) {
			char ts[32], lg[HUMAN_MAX], nw[HUMAN_MAX];
			time_rfc3339(ts, g[i].time);
			human_bytes(lg, g[i].logical_bytes);
			human_bytes(nw, g[i].new_bytes);
			buf_reset(&label);
			buf_add_printable(&label, g[i].label, strlen(g[i].label));
			buf_reset(&name); /* a safe file name may still hold a C1 control */
			buf_add_printable(&name, g[i].name, strlen(g[i].name));
			buf_reset(&db); /* from the catalog: as untrusted as the rest */
			buf_add_printable(&db, g[i].dbname, strlen(g[i].dbname));
			/* a kind from the catalog is one of three words (manifest_kind_ok) */
			const char *kind = manifest_kind_ok(g[i].kind, strlen(g[i].kind)) ? g[i].kind : "-";
			printf("%-22s %-20s %7llu %12llu %11s %11s  %-16s %-12s %s\n", (char *)name.data, ts,
			       (unsigned long long)g[i].ntables, (unsigned long long)g[i].nrows, lg, nw,
			       (char *)db.data, kind, label.len ? (char *)label.data : "");
		}
		buf_release(&label);
		buf_release(&name);
		buf_release(&db);
	}
	catalog_free_gens(g, n);
	catalog_close(&c);
	repo_close(&r);
	return rc ? EXIT_ERROR : EXIT_OK;
}

static int cmd_verify(const struct help_args *a)
{
	const char *path;
	bool quick = helpdoc_flag(a, "--quick"), given;
	struct verify_opts o = { .quick = quick };
	struct verify_result res;
	char *err = NULL;
	int rc = one_repo("verify", a, &path);
	const char *pct = helpdoc_value(a, "--read-data", &given);

	if (rc)
		return rc;
	if (given && quick)
		return usage("verify", "--quick and --read-data contradict each other");
	if (pct && *pct) {
		char *end;
		unsigned long p = strtoul(pct, &end, 10);
		if (end == pct || pct[0] == '-' || (*end && strcmp(end, "%")) || p < 1 || p > 100)
			return usage("verify", "--read-data takes a percentage from 1 to 100, such as 10 or 10%");
		o.percent = (unsigned)p;
	}
	if (verify_run(path, &o, &res, &err))
		return fail(err);
	char pb[HUMAN_MAX], cb[HUMAN_MAX];
	human_bytes(pb, res.pack_bytes);
	human_bytes(cb, res.chunk_bytes);
	printf("checked %llu generations, %llu packs (%s), %llu chunks",
	       (unsigned long long)res.gens, (unsigned long long)res.packs, pb,
	       (unsigned long long)res.chunks);
	if (res.nodes)
		printf(" and %llu index node%s", (unsigned long long)res.nodes, res.nodes == 1 ? "" : "s");
	if (quick)
		printf(" (structure only)");
	else
		printf(" (data of %llu%s: %s decompressed and checked in %.1f s, %.0f MiB/s)",
		       (unsigned long long)res.chunks_read,
		       o.percent && o.percent < 100 ? ", a random sample" : "", cb, res.seconds,
		       res.seconds > 0 ? (double)res.chunk_bytes / 1048576.0 / res.seconds : 0.0);
	if (res.healed)
		printf(", %llu damaged cop%s healed", (unsigned long long)res.healed,
		       res.healed == 1 ? "y" : "ies");
	printf(": %s\n", res.problems ? "DAMAGED" : "no damage");
	fflush(stdout);
	if (res.problems) {
		fprintf(stderr, "strata: repository '%s' is damaged: %llu problems, %llu of %llu generations affected "
			"(listed above); restore the damaged files from a copy of the repository\n",
			path, (unsigned long long)res.problems, (unsigned long long)res.bad_gens,
			(unsigned long long)res.gens);
		return EXIT_DAMAGE;
	}
	return EXIT_OK;
}

static int cmd_prune(const struct help_args *a)
{
	static const char *const counts[] = { "--keep-last", "--keep-hourly", "--keep-daily",
					      "--keep-weekly", "--keep-monthly", "--keep-yearly" };
	struct prune_opts o = { .repack_percent = 20 };
	struct prune_result res;
	struct lock_opts lk;
	const char *path, *v;
	char *err = NULL, why[128];
	int rc = one_repo("prune", a, &path);

	if (!rc)
		rc = wait_opt("prune", a, &lk);
	if (rc)
		return rc;
	for (int i = 0; i < KEEP_WITHIN; i++) {
		v = helpdoc_value(a, counts[i], NULL);
		if (v && keep_count_parse(v, &o.policy.n[i])) {
			snprintf(why, sizeof(why), "%s takes a count: a whole number, or -1 for no limit",
				 counts[i]);
			return usage("prune", why);
		}
	}
	v = helpdoc_value(a, "--keep-within", NULL);
	if (v) {
		if (keep_duration_parse(v, &o.policy.within))
			return usage("prune", "--keep-within takes a duration of years, months, days and hours such as 1y6m, 14d or 36h");
		o.policy.within_set = true;
	}
	v = helpdoc_value(a, "--repack", NULL);
	if (v) {
		char *end;
		unsigned long p = strtoul(v, &end, 10);
		if (!*v || *end || v[0] == '-' || p > 100)
			return usage("prune", "--repack takes a percentage from 0 to 100");
		o.repack_percent = (unsigned)p;
	}
	o.dry_run = helpdoc_flag(a, "--dry-run");
	o.dbname = helpdoc_value(a, "--name", NULL);
	if (o.dbname && !db_name_ok(o.dbname))
		return usage("prune", "--name takes a database name as 'strata ls' shows it");
	o.wait_ms = lk.wait_ms;
	rc = prune_run(path, &o, &res, &err);
	if (rc)
		return fail_status(err, rc == -EWOULDBLOCK ? EXIT_BUSY : EXIT_ERROR);
	char before[HUMAN_MAX], after[HUMAN_MAX], moved[HUMAN_MAX], left[HUMAN_MAX];
	human_bytes(before, res.bytes_before);
	human_bytes(after, res.bytes_after);
	human_bytes(moved, res.bytes_moved);
	human_bytes(left, res.garbage_left);
	if (o.dry_run)
		printf("would remove %llu generation%s, keep %llu; would collect %llu chunks: delete %llu "
		       "pack%s, repack %llu (copying %s); packs %llu -> about %llu, %s -> about %s; %s of "
		       "garbage would stay in packs kept as they are\n",
		       (unsigned long long)res.gens_removed, res.gens_removed == 1 ? "" : "s",
		       (unsigned long long)res.gens_kept, (unsigned long long)res.chunks_removed,
		       (unsigned long long)res.packs_deleted, res.packs_deleted == 1 ? "" : "s",
		       (unsigned long long)res.packs_repacked, moved,
		       (unsigned long long)res.packs_before, (unsigned long long)res.packs_after, before,
		       after, left);
	else
		printf("removed %llu generation%s, kept %llu; collected %llu chunks: %llu pack%s deleted, "
		       "%llu repacked (%s copied into %llu new); packs %llu -> %llu, %s -> %s; %s of "
		       "garbage left in packs kept as they are; %.1f s\n",
		       (unsigned long long)res.gens_removed, res.gens_removed == 1 ? "" : "s",
		       (unsigned long long)res.gens_kept, (unsigned long long)res.chunks_removed,
		       (unsigned long long)res.packs_deleted, res.packs_deleted == 1 ? "" : "s",
		       (unsigned long long)res.packs_repacked, moved, (unsigned long long)res.packs_written,
		       (unsigned long long)res.packs_before, (unsigned long long)res.packs_after, before,
		       after, left, res.seconds);
	if (res.damaged_kept) {
		fflush(stdout);
		fprintf(stderr, "strata: %llu pack%s kept as they were: a chunk to keep is damaged (named above) and no copy of it was deleted; run 'strata verify %s'\n",
			(unsigned long long)res.damaged_kept, res.damaged_kept == 1 ? "" : "s", path);
		return EXIT_DAMAGE;
	}
	return EXIT_OK;
}

static int cmd_stats(const struct help_args *a)
{
	const char *path;
	char *err = NULL;
	int rc = one_repo("stats", a, &path);
	if (rc)
		return rc;
	if (stats_run(path, helpdoc_flag(a, "--json"), &err))
		return fail(err);
	return EXIT_OK;
}

static int cmd_status(const struct help_args *a)
{
	const char *path;
	struct status_opts o = { 0 };
	char *err = NULL;
	int rc = one_repo("status", a, &path);

	if (rc)
		return rc;
	o.json = helpdoc_flag(a, "--json");
	o.prometheus = helpdoc_flag(a, "--prometheus");
	if (o.json && o.prometheus)
		return usage("status", "--json and --prometheus exclude each other");
	o.output = helpdoc_value(a, "--output", NULL);
	const char *age = helpdoc_value(a, "--max-age", NULL);
	if (age && (parse_duration(age, &o.max_age) || o.max_age == 0))
		return usage("status", "--max-age takes a duration such as 26h or 8d");
	o.now = (int64_t)time(NULL);
	struct status_result res;
	rc = status_run(path, &o, &res, &err);
	if (rc)
		return fail(err);
	if (res.damaged)
		return EXIT_DAMAGE;
	return res.stale ? EXIT_STALE : EXIT_OK;
}

static int cmd_help(const struct help_args *a)
{
	if (a->npos == 0) {
		helpdoc_overview(stdout, &page);
		return EXIT_OK;
	}
	const struct help_cmd *c = a->npos == 1 ? helpdoc_find(&page, a->pos[0]) : NULL;
	if (!c)
		return usage(NULL, a->npos == 1 ? "no such command" : "help takes one command name");
	helpdoc_command(stdout, &page, c);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct help_args a;
	char why[160];
	int rc;

	if (argc < 2) {
		helpdoc_overview(stderr, &page);
		return EXIT_USAGE;
	}
	log_set_sink(cli_log_sink);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		helpdoc_overview(stdout, &page);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("strata %s (repository format %d, reads %d to %d; catalog schema %d)\n",
		       STRATA_VERSION, REPO_FORMAT_VERSION, REPO_FORMAT_OLDEST, REPO_FORMAT_VERSION,
		       CATALOG_SCHEMA_VERSION);
		return EXIT_OK;
	}
	/* `strata help --man` prints the man page (meson builds strata.1 with it) */
	if (!strcmp(argv[1], "help") && argc == 3 && !strcmp(argv[2], "--man")) {
		helpdoc_roff(stdout, &page, STRATA_VERSION);
		return EXIT_OK;
	}
	const struct help_cmd *c = helpdoc_find(&page, argv[1]);
	if (!c) {
		snprintf(why, sizeof(why), "unknown command '%.40s'", argv[1]);
		return usage(NULL, why);
	}
	if (helpdoc_parse(c, argc - 2, argv + 2, &a, why, sizeof(why))) {
		helpdoc_args_release(&a);
		return usage(c->name, why);
	}
	if (a.help) {
		helpdoc_command(stdout, &page, c);
		rc = EXIT_OK;
	} else {
		rc = c->run(&a);
	}
	helpdoc_args_release(&a);
	return rc;
}
