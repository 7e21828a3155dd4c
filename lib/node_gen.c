/*
 * node_gen.c - the root and what a generation is at the top of the tree:
 *
 *   /                        the root: lists every generation (oldest first)
 *   /<generation>/           a generation directory
 *   /latest                  -> the newest generation
 *   (/tables and /at: node_hist.c, node_at.c)
 *   /<generation>/generation.json, /<generation>/schema.sql
 *
 * The root and "latest" change when generations are added or removed
 * (TREE_LIVE); everything below a generation never changes.
 */
#include "tree_i.h"
#include "strata/log.h"
#include "strata/naming.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- the root ---- */

int tree_live_dir_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	tree_fill(t, st, n, S_IFDIR, 0, t->start_time);
	if (catalog_latest(&t->cat, &g) == 0)
		st->st_mtime = st->st_ctime = (time_t)g.time;
	*flags = TREE_LIVE;
	return 0;
}

const struct node_kind node_root = {
	.what = "root", .fields = 0, .mode = S_IFDIR, .stat = tree_live_dir_stat,
};

/* ---- generation directories ---- */

bool tree_gen_reserved(const char *name)
{
	return !strcmp(name, "tables") || !strcmp(name, "at") || !strcmp(name, "db");
}

static int gen_find(struct tree *t, const struct node *parent, const char *name,
		    struct node *child)
{
	struct cat_gen g;
	int rc = tree_gen_reserved(name) ? -ENOENT : catalog_gen_by_name(&t->cat, name, &g);
	if (rc)
		return rc;
	if (g.seq < 1 || g.seq > NODE_SEQ_MAX)
		return -ENOENT; /* not from a valid manifest: not shown */
	*child = node_make(N_GEN, g.seq, 0, 0);
	return 0;
}

static int gen_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	struct cat_gen *g;
	size_t n;
	int rc = catalog_list_gens(&t->cat, &g, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct node c = node_make(N_GEN, g[i].seq, 0, 0);
		if (g[i].seq >= 1 && g[i].seq <= NODE_SEQ_MAX && !tree_gen_reserved(g[i].name) &&
		    tree_name_ok(t, g[i].name))
			tree_dir_add(d, g[i].name, &c, S_IFDIR);
	}
	catalog_free_gens(g, n);
	return 0;
}

static int gen_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	int rc = tree_gen(t, n->seq, &g);
	if (!rc && tree_gen_reserved(g.name))
		rc = -ENOENT;
	if (!rc)
		tree_fill(t, st, n, S_IFDIR, 0, g.time);
	return rc;
}

const struct node_kind node_gen = {
	.what = "generation", .fields = F_SEQ, .parents = PARENT(N_ROOT), .mode = S_IFDIR,
	.find = gen_find, .each = gen_each, .stat = gen_stat,
};

/* ---- latest ---- */

static int latest_find(struct tree *t, const struct node *parent, const char *name,
		       struct node *child)
{
	if (strcmp(name, "latest"))
		return -ENOENT;
	*child = node_make(N_LATEST, 0, 0, 0);
	return 0;
}

static int latest_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	struct cat_gen g;
	struct node c = node_make(N_LATEST, 0, 0, 0);
	int rc = catalog_latest(&t->cat, &g);
	if (rc == -ENOENT)
		return 0; /* an empty repository */
	if (!rc)
		tree_dir_add(d, "latest", &c, S_IFLNK);
	return rc;
}

static int latest_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	int rc = catalog_latest(&t->cat, &g);
	if (rc)
		return rc;
	tree_fill(t, st, n, S_IFLNK, strlen(g.name), g.time);
	*flags = TREE_LIVE;
	return 0;
}

static int latest_readlink(struct tree *t, const struct node *n, char **target)
{
	struct cat_gen g;
	int rc = catalog_latest(&t->cat, &g);
	if (rc)
		return rc;
	if (!name_is_safe(g.name, strlen(g.name), 255)) {
		log_msg("catalog '%s' gives the latest generation a name that is not a plain file name; run 'strata index --rebuild %s'",
			t->repo.catalog, t->repo.path);
		return TREE_LOGGED;
	}
	*target = xstrdup(g.name); /* one plain name: never leaves the tree */
	return 0;
}

const struct node_kind node_latest = {
	.what = "latest", .fields = 0, .parents = PARENT(N_ROOT), .mode = S_IFLNK,
	.find = latest_find, .each = latest_each, .stat = latest_stat,
	.readlink = latest_readlink,
};

/* ---- generation.json and schema.sql ---- */

static int gen_file_find(const char *file, enum node_type type, const struct node *parent,
			 const char *name, struct node *child)
{
	if (strcmp(name, file))
		return -ENOENT;
	*child = node_make(type, parent->seq, 0, 0);
	return 0;
}

static int gen_file_each(const char *file, enum node_type type, const struct node *parent,
			 struct tree_dir *d)
{
	struct node c = node_make(type, parent->seq, 0, 0);
	tree_dir_add(d, file, &c, S_IFREG);
	return 0;
}

static int gen_file_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	int rc = tree_gen(t, n->seq, &g);
	if (!rc)
		tree_fill(t, st, n, S_IFREG, n->type == N_GEN_JSON ? g.json_len : g.schema_len,
			  g.time);
	return rc;
}

static int gen_file_open(struct tree *t, const struct node *n, struct rd_file *f)
{
	int rc = catalog_gen_text(&t->cat, n->seq, n->type == N_GEN_JSON, &f->text, &f->text_len);
	f->size = f->text_len;
	return rc;
}

static int gen_json_find(struct tree *t, const struct node *p, const char *name, struct node *c)
{
	return gen_file_find("generation.json", N_GEN_JSON, p, name, c);
}
static int gen_json_each(struct tree *t, const struct node *p, struct tree_dir *d)
{
	return gen_file_each("generation.json", N_GEN_JSON, p, d);
}

const struct node_kind node_gen_json = {
	.what = "generation.json", .fields = F_SEQ, .parents = PARENT(N_GEN), .mode = S_IFREG,
	.find = gen_json_find, .each = gen_json_each, .stat = gen_file_stat,
	.open = gen_file_open,
};

static int gen_schema_find(struct tree *t, const struct node *p, const char *name, struct node *c)
{
	return gen_file_find("schema.sql", N_GEN_SCHEMA, p, name, c);
}
static int gen_schema_each(struct tree *t, const struct node *p, struct tree_dir *d)
{
	return gen_file_each("schema.sql", N_GEN_SCHEMA, p, d);
}

const struct node_kind node_gen_schema = {
	.what = "generation schema.sql", .fields = F_SEQ, .parents = PARENT(N_GEN), .mode = S_IFREG,
	.find = gen_schema_find, .each = gen_schema_each, .stat = gen_file_stat,
	.open = gen_file_open,
};
