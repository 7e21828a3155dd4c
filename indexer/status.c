/*
 * status.c - see status.h.
 *
 * A database is a source path as recorded in its generations' manifests
 * (the realpath of SOURCE.db at backup time); its newest generation is the
 * one with the greatest time, then seq (catalog order).  The verify results
 * come from REPO/verify-status (strata/verifyrec.h).  Metrics follow the
 * Prometheus text exposition format 0.0.4: gauges, label values escaped
 * (backslash, double quote, newline), one HELP and TYPE per family.
 */
#include "status.h"
#include "backup.h"
#include "strata/verifyrec.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db {
	const char *source;      /* borrowed from the generation list */
	const struct cat_gen *latest;
	uint64_t ngens;
	bool stale;
};

struct status {
	const struct status_opts *o;
	char *repo;              /* the repository's real path: the metrics' label */
	struct cat_gen *g;
	size_t ng;
	struct db *dbs;
	size_t ndbs;
	uint64_t npacks, stored;
	struct verify_record vr;
	bool vr_ok;
};

int status_update_catalog(const char *path, char **err)
{
	struct lock_opts lk = { .what = "strata status/ls/cat (catalog update)", .quiet = true };
	int rc = index_run(path, false, &lk, err);
	/* busy, or not ours to write: read the catalog as it is */
	if (rc && rc != -EWOULDBLOCK && rc != -EACCES && rc != -EROFS && rc != -EPERM)
		return rc;
	free(*err);
	*err = NULL;
	return 0;
}

int status_open_catalog(const char *path, struct repo *r, struct catalog *c, char **err)
{
	int rc = status_update_catalog(path, err);
	if (rc)
		return rc;
	rc = repo_open(r, path);
	if (rc) {
		*err = repo_open_message(path, r, rc);
		return rc;
	}
	rc = catalog_open(c, r->catalog, true);
	if (rc) {
		*err = xasprintf("cannot read the catalog of '%s': %s; run 'strata index --rebuild %s'",
				 path, rc == -EPROTONOSUPPORT ? "it has another schema version" : strerror(-rc),
				 path);
		repo_close(r);
	}
	return rc;
}

/* "35s", "12m05s", "21h04m", "4d20h": two units, enough to read at a glance. */
static void age_str(char out[32], int64_t secs)
{
	if (secs < 0) {
		snprintf(out, 32, "0s (clock behind)");
	} else if (secs < 60) {
		snprintf(out, 32, "%llds", (long long)secs);
	} else if (secs < 3600) {
		snprintf(out, 32, "%lldm%02llds", (long long)(secs / 60), (long long)(secs % 60));
	} else if (secs < 86400) {
		snprintf(out, 32, "%lldh%02lldm", (long long)(secs / 3600), (long long)(secs % 3600 / 60));
	} else {
		snprintf(out, 32, "%lldd%02lldh", (long long)(secs / 86400),
			 (long long)(secs % 86400 / 3600));
	}
}

/* Databases in order of their first generation; each with its newest one. */
static void group(struct status *s)
{
	s->dbs = xcalloc(s->ng ? s->ng : 1, sizeof(*s->dbs));
	for (size_t i = 0; i < s->ng; i++) {
		size_t k;
		for (k = 0; k < s->ndbs && strcmp(s->dbs[k].source, s->g[i].source); k++)
			;
		if (k == s->ndbs)
			s->dbs[s->ndbs++].source = s->g[i].source;
		s->dbs[k].latest = &s->g[i]; /* the list is oldest first */
		s->dbs[k].ngens++;
	}
	for (size_t k = 0; k < s->ndbs; k++)
		s->dbs[k].stale = s->o->max_age &&
				  s->o->now - s->dbs[k].latest->time > s->o->max_age;
}

static void text_run(struct buf *b, const char *mode, const struct verify_run_rec *r,
		     int64_t now, size_t ndamaged)
{
	char ts[32], age[32], pb[HUMAN_MAX];
	if (!r->time) {
		buf_addf(b, "last %s verify: never\n", mode);
		return;
	}
	time_rfc3339(ts, r->time);
	age_str(age, now - r->time);
	human_bytes(pb, r->pack_bytes);
	buf_addf(b, "last %s verify: %s (%s ago, %llu s): ", mode, ts, age,
		 (unsigned long long)r->seconds);
	if (r->problems)
		buf_addf(b, "DAMAGED, %llu problems in %llu of %llu generations",
			 (unsigned long long)r->problems, (unsigned long long)r->bad_generations,
			 (unsigned long long)r->generations);
	else
		buf_addf(b, "no damage in %llu generations", (unsigned long long)r->generations);
	buf_addf(b, ", %llu packs (%s), %llu chunks", (unsigned long long)r->packs, pb,
		 (unsigned long long)r->chunks);
	if (ndamaged && !strcmp(mode, "full"))
		buf_addf(b, "; %zu chunks damaged", ndamaged);
	buf_addc(b, '\n');
}

static void text(struct status *s, struct buf *b)
{
	char st[HUMAN_MAX];
	struct buf esc = BUF_INIT;
	human_bytes(st, s->stored);
	buf_add_printable(&esc, s->repo, strlen(s->repo));
	buf_addf(b, "repository %s: %zu generations of %zu database%s, %llu packs, %s stored\n",
		 (char *)esc.data, s->ng, s->ndbs, s->ndbs == 1 ? "" : "s",
		 (unsigned long long)s->npacks, st);
	if (s->ndbs)
		buf_addf(b, "%-22s %-9s %7s %12s %11s %6s %-5s %s\n", "LATEST", "AGE", "TABLES",
			 "ROWS", "LOGICAL", "GENS", "KIND", "DATABASE");
	for (size_t k = 0; k < s->ndbs; k++) {
		const struct cat_gen *g = s->dbs[k].latest;
		char age[32], lg[HUMAN_MAX];
		age_str(age, s->o->now - g->time);
		human_bytes(lg, g->logical_bytes);
		buf_reset(&esc);
		buf_add_printable(&esc, g->name, strlen(g->name));
		buf_addf(b, "%-22s ", (char *)esc.data);
		buf_reset(&esc);
		buf_add_printable(&esc, s->dbs[k].source, strlen(s->dbs[k].source));
		buf_addf(b, "%-9s %7llu %12llu %11s %6llu %-5s %s%s\n", age,
			 (unsigned long long)g->ntables, (unsigned long long)g->nrows, lg,
			 (unsigned long long)s->dbs[k].ngens, "full", esc.len ? (char *)esc.data : "",
			 s->dbs[k].stale ? "  (TOO OLD)" : "");
	}
	text_run(b, "full", &s->vr.full, s->o->now, s->vr.ndamaged);
	text_run(b, "quick", &s->vr.quick, s->o->now, 0);
	buf_release(&esc);
}

static void json_run(struct buf *b, const struct verify_run_rec *r)
{
	char ts[32];
	if (!r->time) {
		buf_adds(b, "null");
		return;
	}
	time_rfc3339(ts, r->time);
	buf_addf(b, "{\"time\": \"%s\", \"unix_time\": %lld, \"seconds\": %llu, \"problems\": %llu, "
		 "\"generations\": %llu, \"bad_generations\": %llu, \"packs\": %llu, "
		 "\"pack_bytes\": %llu, \"chunks\": %llu}",
		 ts, (long long)r->time, (unsigned long long)r->seconds,
		 (unsigned long long)r->problems, (unsigned long long)r->generations,
		 (unsigned long long)r->bad_generations, (unsigned long long)r->packs,
		 (unsigned long long)r->pack_bytes, (unsigned long long)r->chunks);
}

static void json(struct status *s, const struct status_result *res, struct buf *b)
{
	buf_adds(b, "{\n  \"repository\": ");
	buf_add_json_str(b, s->repo, strlen(s->repo));
	buf_addf(b, ",\n  \"now\": %lld,\n  \"healthy\": %s,\n  \"generations\": %zu,\n"
		 "  \"packs\": %llu,\n  \"stored_bytes\": %llu,\n  \"databases\": [",
		 (long long)s->o->now, res->damaged || res->stale ? "false" : "true", s->ng,
		 (unsigned long long)s->npacks, (unsigned long long)s->stored);
	for (size_t k = 0; k < s->ndbs; k++) {
		const struct cat_gen *g = s->dbs[k].latest;
		char ts[32];
		time_rfc3339(ts, g->time);
		buf_adds(b, k ? ",\n    {\"source\": " : "\n    {\"source\": ");
		buf_add_json_str(b, s->dbs[k].source, strlen(s->dbs[k].source));
		buf_addf(b, ", \"generations\": %llu, \"stale\": %s, \"latest\": {\"name\": ",
			 (unsigned long long)s->dbs[k].ngens, s->dbs[k].stale ? "true" : "false");
		buf_add_json_str(b, g->name, strlen(g->name));
		buf_addf(b, ", \"time\": \"%s\", \"unix_time\": %lld, \"age_seconds\": %lld, "
			 "\"kind\": \"full\", \"tables\": %llu, \"rows\": %llu, \"logical_bytes\": %llu, "
			 "\"new_bytes\": %llu}}",
			 ts, (long long)g->time, (long long)(s->o->now - g->time),
			 (unsigned long long)g->ntables, (unsigned long long)g->nrows,
			 (unsigned long long)g->logical_bytes, (unsigned long long)g->new_bytes);
	}
	buf_adds(b, s->ndbs ? "\n  ],\n  \"verify\": {\"full\": " : "],\n  \"verify\": {\"full\": ");
	json_run(b, &s->vr.full);
	buf_adds(b, ", \"quick\": ");
	json_run(b, &s->vr.quick);
	buf_addf(b, ", \"damaged_chunks\": %zu}\n}\n", s->vr.ndamaged);
}

/*
 * A label value in the text exposition format: \\, \" and \n escaped, and
 * UTF-8 (the format allows nothing else: node_exporter drops a whole file
 * with one bad byte), so a byte of a path that is not UTF-8 becomes U+FFFD.
 */
static void prom_label(struct buf *b, const char *name, const char *v)
{
	size_t n = strlen(v);
	buf_addf(b, "%s=\"", name);
	for (size_t i = 0; i < n; i++) {
		size_t l = utf8_seq((const unsigned char *)v + i, n - i);
		if (v[i] == '\\' || v[i] == '"') {
			buf_addc(b, '\\');
			buf_addc(b, (uint8_t)v[i]);
		} else if (v[i] == '\n') {
			buf_adds(b, "\\n");
		} else if (!l) {
			buf_adds(b, "\xef\xbf\xbd");
		} else {
			buf_add(b, v + i, l);
			i += l - 1;
		}
	}
	buf_addc(b, '"');
}

static void prom_family(struct buf *b, const char *name, const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void prom_sample(struct buf *b, const struct status *s, const char *name,
			const char *lname, const char *lval, long long v)
{
	buf_addf(b, "%s{", name);
	prom_label(b, "repository", s->repo);
	if (lname) {
		buf_addc(b, ',');
		prom_label(b, lname, lval);
	}
	buf_addf(b, "} %lld\n", v);
}

static void prometheus(struct status *s, struct buf *b)
{
	static const struct {
		const char *name, *help;
		int what;
	} per_db[] = {
		{ "strata_last_backup_timestamp_seconds",
		  "Time of the database's newest generation, in seconds since 1970.", 0 },
		{ "strata_last_backup_age_seconds",
		  "Age of the database's newest generation when these metrics were written.", 1 },
		{ "strata_last_backup_rows", "Rows in the database's newest generation.", 2 },
		{ "strata_last_backup_tables", "Tables in the database's newest generation.", 3 },
		{ "strata_last_backup_logical_bytes",
		  "Bytes of all CSV files of the database's newest generation.", 4 },
		{ "strata_last_backup_new_bytes",
		  "Bytes the newest generation's backup added to the repository.", 5 },
		{ "strata_generations", "Generations of the database in the repository.", 6 },
	};
	for (size_t f = 0; f < sizeof(per_db) / sizeof(per_db[0]); f++) {
		if (!s->ndbs)
			break;
		prom_family(b, per_db[f].name, per_db[f].help);
		for (size_t k = 0; k < s->ndbs; k++) {
			const struct cat_gen *g = s->dbs[k].latest;
			long long v = per_db[f].what == 0 ? (long long)g->time :
				      per_db[f].what == 1 ? (long long)(s->o->now - g->time) :
				      per_db[f].what == 2 ? (long long)g->nrows :
				      per_db[f].what == 3 ? (long long)g->ntables :
				      per_db[f].what == 4 ? (long long)g->logical_bytes :
				      per_db[f].what == 5 ? (long long)g->new_bytes :
							    (long long)s->dbs[k].ngens;
			prom_sample(b, s, per_db[f].name, "database", s->dbs[k].source, v);
		}
	}
	prom_family(b, "strata_repository_generations", "Generations in the repository.");
	prom_sample(b, s, "strata_repository_generations", NULL, NULL, (long long)s->ng);
	prom_family(b, "strata_repository_packs", "Pack files in the repository.");
	prom_sample(b, s, "strata_repository_packs", NULL, NULL, (long long)s->npacks);
	prom_family(b, "strata_repository_stored_bytes", "Bytes of all pack files.");
	prom_sample(b, s, "strata_repository_stored_bytes", NULL, NULL, (long long)s->stored);
	/* per mode of verify; absent until the first check of that mode */
	const struct verify_run_rec *run[2] = { &s->vr.full, &s->vr.quick };
	static const char *mode[2] = { "full", "quick" };
	static const struct {
		const char *name, *help;
		bool problems;
	} per_run[] = {
		{ "strata_verify_last_timestamp_seconds",
		  "When the last verify of this mode started, in seconds since 1970.", false },
		{ "strata_verify_last_problems",
		  "Problems the last verify of this mode found (0: no damage).", true },
	};
	for (size_t f = 0; f < 2 && (run[0]->time || run[1]->time); f++) {
		prom_family(b, per_run[f].name, per_run[f].help);
		for (int i = 0; i < 2; i++)
			if (run[i]->time)
				prom_sample(b, s, per_run[f].name, "mode", mode[i],
					    per_run[f].problems ? (long long)run[i]->problems
								: (long long)run[i]->time);
	}
	prom_family(b, "strata_verify_damaged_chunks",
		    "Chunks whose data the last full verify found damaged.");
	prom_sample(b, s, "strata_verify_damaged_chunks", NULL, NULL, (long long)s->vr.ndamaged);
	prom_family(b, "strata_status_timestamp_seconds", "When these metrics were written.");
	prom_sample(b, s, "strata_status_timestamp_seconds", NULL, NULL, (long long)s->o->now);
}

/* Write out to path atomically: a temporary file beside it, then a rename. */
static int write_output(const char *path, const struct buf *b)
{
	char *d = xstrdup(path), *f = xstrdup(path);
	const char *dir = dirname(d), *name = basename(f);
	int rc = write_file_atomic(dir, dir, name, b->data, b->len);
	free(d);
	free(f);
	return rc;
}

int status_run(const char *path, const struct status_opts *o, struct status_result *res,
	       char **err)
{
	struct status s = { .o = o };
	struct repo r;
	struct catalog c;
	struct buf out = BUF_INIT;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = status_open_catalog(path, &r, &c, err);
	if (rc)
		return rc;
	rc = catalog_list_gens(&c, &s.g, &s.ng);
	if (!rc)
		rc = catalog_pack_stats(&c, &s.npacks, &s.stored);
	catalog_close(&c);
	if (rc) {
		*err = xasprintf("cannot read the catalog of '%s': %s; run 'strata index --rebuild %s'",
				 path, strerror(-rc), path);
		goto out;
	}
	if (verifyrec_read(&r, &s.vr)) {
		fprintf(stderr, "strata: note: '%s/" VERIFYREC_NAME "' cannot be read; the next 'strata verify' rewrites it\n",
			path);
		memset(&s.vr, 0, sizeof(s.vr));
	}
	s.repo = realpath(path, NULL);
	if (!s.repo)
		s.repo = xstrdup(path);
	group(&s);
	/*
	 * The newest word on damage: the last full check, or a quick one made
	 * after it (a full check sees everything a quick one does, so a later
	 * full check supersedes an earlier quick one).
	 */
	const struct verify_run_rec *said = s.vr.quick.time > s.vr.full.time ? &s.vr.quick : &s.vr.full;
	res->damaged = s.vr.full.problems > 0 || said->problems > 0;
	res->stale = o->max_age && s.ndbs == 0;
	for (size_t k = 0; k < s.ndbs; k++)
		res->stale |= s.dbs[k].stale;

	if (o->prometheus)
		prometheus(&s, &out);
	else if (o->json)
		json(&s, res, &out);
	else
		text(&s, &out);
	if (o->output) {
		rc = write_output(o->output, &out);
		if (rc) {
			*err = xasprintf("cannot write '%s': %s", o->output, strerror(-rc));
			goto out;
		}
	} else {
		fwrite(out.data, 1, out.len, stdout);
		fflush(stdout);
	}

	/* what makes it unhealthy, one line each, also when the output is for a machine */
	if (res->damaged) {
		const struct verify_run_rec *bad = said->problems ? said : &s.vr.full;
		fprintf(stderr, "strata: the last %s verify of '%s' found %llu problems; run 'strata verify %s' "
			"to list them and restore the damaged files from a copy of the repository\n",
			bad == &s.vr.full ? "full" : "quick", path, (unsigned long long)bad->problems, path);
	}
	if (o->max_age && s.ndbs == 0)
		fprintf(stderr, "strata: repository '%s' holds no generation yet\n", path);
	for (size_t k = 0; k < s.ndbs; k++) {
		if (!s.dbs[k].stale)
			continue;
		char age[32], lim[32];
		struct buf esc = BUF_INIT;
		age_str(age, o->now - s.dbs[k].latest->time);
		age_str(lim, o->max_age);
		buf_add_printable(&esc, s.dbs[k].source, strlen(s.dbs[k].source));
		fprintf(stderr, "strata: the newest backup of '%s' is %s old, more than --max-age %s; "
			"check that its backups run\n", (char *)esc.data, age, lim);
		buf_release(&esc);
	}
out:
	buf_release(&out);
	catalog_free_gens(s.g, s.ng);
	free(s.dbs);
	free(s.repo);
	verifyrec_release(&s.vr);
	repo_close(&r);
	return rc;
}
