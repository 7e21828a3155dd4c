/*
 * stats.c - `strata stats`: how much the repository holds and what it costs.
 *
 * Per database (a source path, as `strata status` groups them): its
 * generations, their span and the logical bytes of its newest one.  For the
 * repository: the logical bytes of every generation (what restoring all of
 * them would write), the bytes stored for the chunks they reference (one
 * copy each), the dedup ratio between the two, packs and their size, the
 * garbage prune would find (unreferenced chunks and second copies), the
 * manifests and the catalog.  Sizes come from the manifests and pack
 * indexes (lib/prune.c gc_survey_run), generations from the catalog.
 */
#include "stats.h"
#include "status.h"
#include "strata/prune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct db {
	const char *source;
	uint64_t ngens, logical;
	const struct cat_gen *first, *last;
};

static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void hb(char out[HUMAN_MAX], uint64_t v)
{
	human_bytes(out, v);
}

int stats_run(const char *path, bool as_json, char **err)
{
	struct repo r;
	struct catalog c;
	struct cat_gen *g = NULL;
	struct gc_survey sv;
	size_t ng = 0, ndb = 0;
	struct db *dbs = NULL;
	uint64_t logical = 0;
	int rc = status_open_catalog(path, &r, &c, err);
	if (rc)
		return rc;
	rc = catalog_list_gens(&c, &g, &ng);
	if (rc)
		*err = xasprintf("cannot read the catalog of '%s': %s; run 'strata index --rebuild %s'",
				 path, strerror(-rc), path);
	uint64_t catalog_bytes = file_size(r.catalog);
	char *wal = xasprintf("%s-wal", r.catalog);
	catalog_bytes += file_size(wal);
	free(wal);
	catalog_close(&c);
	repo_close(&r);
	if (rc)
		return rc;
	rc = gc_survey_run(path, &sv, err);
	if (rc) {
		catalog_free_gens(g, ng);
		return rc;
	}
	/* databases, in the order of their first generation (the list is oldest first) */
	dbs = xcalloc(ng ? ng : 1, sizeof(*dbs));
	for (size_t i = 0; i < ng; i++) {
		size_t k;
		for (k = 0; k < ndb && strcmp(dbs[k].source, g[i].source); k++)
			;
		if (k == ndb) {
			dbs[ndb].source = g[i].source;
			dbs[ndb++].first = &g[i];
		}
		dbs[k].ngens++;
		dbs[k].last = &g[i];
		dbs[k].logical += g[i].logical_bytes;
		logical += g[i].logical_bytes;
	}
	/* dedup: every generation's CSV over the CSV of the chunks stored once; compression: that over the stored bytes */
	double dedup = sv.csv_bytes ? (double)logical / (double)sv.csv_bytes : 0.0;
	double comp = sv.chunk_bytes ? (double)sv.csv_bytes / (double)sv.chunk_bytes : 0.0;
	struct buf b = BUF_INIT;
	if (as_json) {
		buf_adds(&b, "{\n  \"repository\": ");
		buf_add_json_str(&b, path, strlen(path));
		buf_addf(&b, ",\n  \"generations\": %zu,\n  \"logical_bytes\": %llu,\n"
			 "  \"stored_bytes\": %llu,\n  \"unique_csv_bytes\": %llu,\n"
			 "  \"dedup_ratio\": %.3f,\n  \"compression_ratio\": %.3f,\n"
			 "  \"chunks\": %llu,\n  \"index_nodes\": %llu,\n  \"index_node_bytes\": %llu,\n"
			 "  \"packs\": %llu,\n"
			 "  \"pack_bytes\": %llu,\n  \"unreadable_packs\": %llu,\n"
			 "  \"garbage_chunks\": %llu,\n  \"garbage_bytes\": %llu,\n"
			 "  \"collectable_bytes\": %llu,\n  \"manifests\": %llu,\n"
			 "  \"manifest_bytes\": %llu,\n  \"catalog_bytes\": %llu,\n  \"databases\": [",
			 ng, (unsigned long long)logical, (unsigned long long)sv.chunk_bytes,
			 (unsigned long long)sv.csv_bytes, dedup, comp, (unsigned long long)sv.chunks,
			 (unsigned long long)sv.nodes, (unsigned long long)sv.node_bytes,
			 (unsigned long long)sv.packs, (unsigned long long)sv.pack_bytes,
			 (unsigned long long)sv.bad_packs, (unsigned long long)sv.garbage_chunks,
			 (unsigned long long)sv.garbage_bytes,
			 (unsigned long long)sv.collectable_bytes, (unsigned long long)sv.manifests,
			 (unsigned long long)sv.manifest_bytes, (unsigned long long)catalog_bytes);
		for (size_t k = 0; k < ndb; k++) {
			buf_adds(&b, k ? ",\n    {\"source\": " : "\n    {\"source\": ");
			buf_add_json_str(&b, dbs[k].source, strlen(dbs[k].source));
			buf_addf(&b, ", \"generations\": %llu, \"logical_bytes\": %llu, \"first\": ",
				 (unsigned long long)dbs[k].ngens, (unsigned long long)dbs[k].logical);
			buf_add_json_str(&b, dbs[k].first->name, strlen(dbs[k].first->name));
			buf_adds(&b, ", \"last\": ");
			buf_add_json_str(&b, dbs[k].last->name, strlen(dbs[k].last->name));
			buf_addf(&b, ", \"last_logical_bytes\": %llu}",
				 (unsigned long long)dbs[k].last->logical_bytes);
		}
		buf_adds(&b, ndb ? "\n  ]\n}\n" : "]\n}\n");
	} else {
		char l[HUMAN_MAX], st[HUMAN_MAX], u[HUMAN_MAX], pb[HUMAN_MAX], gb[HUMAN_MAX],
			cb[HUMAN_MAX], mb[HUMAN_MAX], cat[HUMAN_MAX];
		hb(l, logical);
		hb(st, sv.chunk_bytes);
		hb(u, sv.csv_bytes);
		hb(pb, sv.pack_bytes);
		hb(gb, sv.garbage_bytes);
		hb(cb, sv.collectable_bytes);
		hb(mb, sv.manifest_bytes);
		hb(cat, catalog_bytes);
		for (size_t k = 0; k < ndb; k++) {
			char dl[HUMAN_MAX], ll[HUMAN_MAX];
			hb(dl, dbs[k].logical);
			hb(ll, dbs[k].last->logical_bytes);
			struct buf src = BUF_INIT;
			buf_add_printable(&src, dbs[k].source, strlen(dbs[k].source));
			buf_addf(&b, "database %s: %llu generation%s, %s .. %s; newest %s, all %s logical\n",
				 (char *)src.data, (unsigned long long)dbs[k].ngens,
				 dbs[k].ngens == 1 ? "" : "s", dbs[k].first->name, dbs[k].last->name, ll,
				 dl);
			buf_release(&src);
		}
		buf_addf(&b, "generations:  %zu\n", ng);
		buf_addf(&b, "logical:      %s (every generation's CSV files)\n", l);
		buf_addf(&b, "stored:       %s in %llu chunk%s, %s as CSV\n", st,
			 (unsigned long long)sv.chunks, sv.chunks == 1 ? "" : "s", u);
		if (sv.nodes) {
			char nb[HUMAN_MAX];
			hb(nb, sv.node_bytes);
			buf_addf(&b, "index nodes:  %llu, %s (the generations' chunk lists)\n",
				 (unsigned long long)sv.nodes, nb);
		}
		buf_addf(&b, "dedup ratio:  %.2f (logical / the CSV of the chunks stored once)\n", dedup);
		buf_addf(&b, "compression:  %.2f (that CSV / stored)\n", comp);
		buf_addf(&b, "packs:        %llu, %s", (unsigned long long)sv.packs, pb);
		if (sv.bad_packs)
			buf_addf(&b, " (and %llu that cannot be read: run 'strata verify')",
				 (unsigned long long)sv.bad_packs);
		buf_addc(&b, '\n');
		buf_addf(&b, "garbage:      %s in %llu chunk%s (unreferenced, or second copies); 'strata prune' frees %s of it\n",
			 gb, (unsigned long long)sv.garbage_chunks, sv.garbage_chunks == 1 ? "" : "s", cb);
		buf_addf(&b, "manifests:    %llu, %s\n", (unsigned long long)sv.manifests, mb);
		buf_addf(&b, "catalog:      %s\n", cat);
	}
	fwrite(b.data, 1, b.len, stdout);
	buf_release(&b);
	free(dbs);
	catalog_free_gens(g, ng);
	return fflush(stdout) ? -EIO : 0;
}
