/*
 * node_genfile.c - a generation's files assembled from texts the catalog
 * holds and the SQL views of its tables (catalog_gen_parts):
 *
 *   /<generation>/dump.sql        the script that recreates the database
 *                                 (dumpplan.h); served with the SQL format
 *   /<generation>/schema.pg.sql   PostgreSQL DDL of its tables (pgschema.h)
 *
 * Position = enum cat_file.  Generations from manifests before version 3
 * have neither: they are not listed and their lookups fail.
 */
#include "tree_i.h"
#include "strata/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const FILES[] = { [CAT_FILE_DUMP] = "dump.sql", [CAT_FILE_PG] = "schema.pg.sql" };
#define NFILES (sizeof(FILES) / sizeof(FILES[0]))

/*
 * Whether generation seq has file f (and its size, when size is not NULL).
 * A table directory of the same name (from a strata that did not reserve
 * these names) hides the file.
 */
static int has_file(struct tree *t, uint64_t seq, unsigned f, uint64_t *size)
{
	struct cat_table tb;
	uint64_t sz;
	if (f >= NFILES || (f == CAT_FILE_DUMP && !(t->formats & 1u << VIEW_SQL)))
		return -ENOENT;
	int rc = catalog_gen_file_size(&t->cat, seq, (enum cat_file)f, size ? size : &sz);
	if (rc)
		return rc;
	rc = catalog_table_by_dir(&t->cat, seq, FILES[f], &tb);
	if (rc == 0) {
		free(tb.dirname);
		return -ENOENT;
	}
	return rc == -ENOENT ? 0 : rc;
}

static int genfile_find(struct tree *t, const struct node *parent, const char *name,
			struct node *child)
{
	for (unsigned f = 0; f < NFILES; f++)
		if (!strcmp(name, FILES[f])) {
			int rc = has_file(t, parent->seq, f, NULL);
			if (!rc)
				*child = node_make(N_GEN_FILE, parent->seq, 0, f);
			return rc;
		}
	return -ENOENT;
}

static int genfile_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	for (unsigned f = 0; f < NFILES; f++) {
		struct node c = node_make(N_GEN_FILE, parent->seq, 0, f);
		int rc = has_file(t, parent->seq, f, NULL);
		if (!rc)
			tree_dir_add(d, FILES[f], &c, S_IFREG);
		else if (rc != -ENOENT)
			return rc;
	}
	return 0;
}

static int genfile_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	uint64_t size;
	int rc = tree_gen(t, n->seq, &g);
	if (!rc)
		rc = has_file(t, n->seq, n->pos, &size);
	if (!rc)
		tree_fill(t, st, n, S_IFREG, size, g.time);
	return rc;
}

static int genfile_open(struct tree *t, const struct node *n, struct rd_file *f)
{
	struct cat_part *p;
	size_t np;
	uint64_t size;
	int rc = has_file(t, n->seq, n->pos, &size);
	if (!rc)
		rc = catalog_gen_parts(&t->cat, n->seq, (enum cat_file)n->pos, &p, &np);
	if (rc)
		return rc;
	f->seq = n->seq;
	for (size_t i = 0; i < np && !rc; i++) {
		struct rd_file *text = xcalloc(1, sizeof(*text));
		text->seq = n->seq;
		text->text = p[i].text;
		text->size = text->text_len = p[i].len;
		p[i].text = NULL;
		rd_file_add_part(f, text);
		if (p[i].tidx < 0)
			continue;
		struct rd_file *rows = xcalloc(1, sizeof(*rows));
		rc = p[i].tidx > NODE_TIDX_MAX ? -EUCLEAN
		     : tree_table_file(t, n->seq, (uint32_t)p[i].tidx, VIEW_SQL, rows);
		rd_file_add_part(f, rows);
	}
	catalog_free_parts(p, np);
	if (!rc) {
		rd_file_set_size(f);
		if (f->size != size) {
			log_msg("catalog '%s' gives %s of generation %llu %llu bytes, but its parts %llu; run 'strata index --rebuild %s'",
				t->repo.catalog, FILES[n->pos], (unsigned long long)n->seq,
				(unsigned long long)size, (unsigned long long)f->size, t->repo.path);
			rc = TREE_LOGGED;
		}
	}
	return rc;
}

const struct node_kind node_gen_file = {
	.what = "generation file", .fields = F_SEQ | F_POS, .parents = PARENT(N_GEN), .mode = S_IFREG,
	.find = genfile_find, .each = genfile_each, .stat = genfile_stat, .open = genfile_open,
};
