/*
 * node_hist.c - a table across generations:
 *
 *   /tables/                    every table directory name of any generation
 *   /tables/<table>/            one link per generation holding it, oldest first:
 *   /tables/<table>/<gen>       -> ../../<gen>/<table>
 *   /tables/<table>/key/        lookup-only: every version of one row
 *                               (node_key.c, N_HIST_KEY)
 *
 * /tables and /tables/<table> gain entries with new generations and lose
 * them to prune (TREE_LIVE, links included: a link's target never changes).
 * A generation named "key" (no writer makes one) is not linked: key/ wins.
 */
#include "tree_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- /tables ---- */

static int tables_find(struct tree *t, const struct node *parent, const char *name,
		       struct node *child)
{
	return tree_child_find(t, "tables", N_TABLES, parent, name, child);
}

static int tables_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	return tree_child_each(t, d, "tables", N_TABLES, parent);
}

const struct node_kind node_tables = {
	.what = "tables directory", .fields = 0, .parents = PARENT(N_ROOT), .mode = S_IFDIR,
	.find = tables_find, .each = tables_each, .stat = tree_live_dir_stat,
};

/* ---- /tables/<table> ---- */

/* The generations holding the table named by n's key; -ENOENT when none. */
static int versions(struct tree *t, const struct node *n, struct cat_version **v, size_t *nv)
{
	int rc = catalog_table_versions(&t->cat, n->key, v, nv);
	if (!rc && !*nv) {
		free(*v);
		*v = NULL;
		rc = -ENOENT;
	}
	return rc;
}

static int hist_table_find(struct tree *t, const struct node *parent, const char *name,
			   struct node *child)
{
	struct cat_version *v;
	size_t nv;
	int rc = node_make_named(child, N_HIST_TABLE, 0, 0, 0, name, NULL);
	if (!rc)
		rc = versions(t, child, &v, &nv);
	if (!rc)
		free(v);
	return rc;
}

static int hist_table_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	char **names;
	size_t n;
	int rc = catalog_table_dirs(&t->cat, &names, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct node c;
		if (tree_name_ok(t, names[i]) &&
		    !node_make_named(&c, N_HIST_TABLE, 0, 0, 0, names[i], NULL))
			tree_dir_add(d, names[i], &c, S_IFDIR);
		free(names[i]);
	}
	free(names);
	return 0;
}

static int hist_table_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_version *v;
	size_t nv;
	int rc = versions(t, n, &v, &nv);
	if (rc)
		return rc;
	tree_fill(t, st, n, S_IFDIR, 0, v[nv - 1].time);
	free(v);
	*flags = TREE_LIVE;
	return 0;
}

const struct node_kind node_hist_table = {
	.what = "table history", .fields = 0, .parents = PARENT(N_TABLES), .mode = S_IFDIR,
	.find = hist_table_find, .each = hist_table_each, .stat = hist_table_stat,
};

/* ---- /tables/<table>/<gen> ---- */

static int hist_link_find(struct tree *t, const struct node *parent, const char *name,
			  struct node *child)
{
	struct cat_gen g;
	int rc;
	if (!strcmp(name, "key") || tree_gen_reserved(name))
		return -ENOENT;
	rc = catalog_gen_by_name(&t->cat, name, &g);
	if (!rc && (g.seq < 1 || g.seq > NODE_SEQ_MAX))
		rc = -ENOENT;
	return rc ? rc : tree_table_named(t, g.seq, parent->key, N_HIST_LINK, child);
}

static int hist_link_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	struct cat_version *v;
	size_t nv;
	int rc = versions(t, parent, &v, &nv);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	for (size_t i = 0; i < nv; i++) {
		struct node c = node_make(N_HIST_LINK, v[i].seq, v[i].tidx, 0);
		if (v[i].seq >= 1 && v[i].seq <= NODE_SEQ_MAX && v[i].tidx <= NODE_TIDX_MAX &&
		    strcmp(v[i].name, "key") && !tree_gen_reserved(v[i].name) &&
		    tree_name_ok(t, v[i].name))
			tree_dir_add(d, v[i].name, &c, S_IFLNK);
	}
	free(v);
	return 0;
}

/* "../../<gen>/<table dir>" */
static int hist_link_target(struct tree *t, const struct node *n, char **target, int64_t *time)
{
	struct cat_gen g;
	struct cat_table tb;
	int rc = tree_gen(t, n->seq, &g);
	if (!rc)
		rc = catalog_table_by_idx(&t->cat, n->seq, n->tidx, &tb);
	if (rc)
		return rc;
	if (tree_name_ok(t, g.name) && tree_name_ok(t, tb.dirname))
		*target = xasprintf("../../%s/%s", g.name, tb.dirname);
	else
		rc = TREE_LOGGED;
	free(tb.dirname);
	*time = g.time;
	return rc;
}

static int hist_link_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	char *target = NULL;
	int64_t time;
	int rc = hist_link_target(t, n, &target, &time);
	if (!rc)
		tree_fill(t, st, n, S_IFLNK, strlen(target), time);
	free(target);
	*flags = TREE_LIVE; /* a prune removes it: its entry lives a second */
	return rc;
}

static int hist_link_readlink(struct tree *t, const struct node *n, char **target)
{
	int64_t time;
	return hist_link_target(t, n, target, &time);
}

const struct node_kind node_hist_link = {
	.what = "table version", .fields = F_SEQ | F_TIDX, .parents = PARENT(N_HIST_TABLE),
	.mode = S_IFLNK, .find = hist_link_find, .each = hist_link_each, .stat = hist_link_stat,
	.readlink = hist_link_readlink,
};

/* ---- /tables/<table>/key ---- */

static int hist_key_dir_find(struct tree *t, const struct node *parent, const char *name,
			     struct node *child)
{
	return tree_child_find(t, "key", N_HIST_KEY_DIR, parent, name, child);
}

static int hist_key_dir_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	return tree_child_each(t, d, "key", N_HIST_KEY_DIR, parent);
}

static int hist_key_dir_stat(struct tree *t, const struct node *n, struct stat *st,
			     unsigned *flags)
{
	struct node p = *n;
	p.type = N_HIST_TABLE;
	int rc = hist_table_stat(t, &p, st, flags);
	if (!rc)
		st->st_ino = node_ino(n);
	return rc;
}

const struct node_kind node_hist_key_dir = {
	.what = "row history directory", .fields = 0, .parents = PARENT(N_HIST_TABLE),
	.mode = S_IFDIR, .find = hist_key_dir_find, .each = hist_key_dir_each,
	.stat = hist_key_dir_stat,
};
