/*
 * node_db.c - each database's own timeline (docs/FORMAT.md, "Database names"):
 *
 *   /db/                        every database backed up into the repository
 *   /db/<name>/                 one link per generation of it, oldest first:
 *   /db/<name>/<gen>            -> ../../<gen>
 *   /db/<name>/latest           -> ../../<its newest generation>
 *
 * The root keeps every generation of every database (names are unique in
 * the repository) and its `latest` is the newest of all; db/ shows them
 * apart.  /db and /db/<name> gain entries with new generations and lose
 * them to prune (TREE_LIVE, links included: their target never changes).
 * `latest`'s number includes the generation it names, as at/<TIME>'s does,
 * so the kernel, which keeps link targets, asks again when it moves.  A
 * generation named "latest" (no writer makes one) is not linked.
 */
#include "tree_i.h"
#include "strata/naming.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- /db ---- */

static int db_find(struct tree *t, const struct node *parent, const char *name,
		   struct node *child)
{
	return tree_child_find(t, "db", N_DB, parent, name, child);
}

static int db_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	return tree_child_each(t, d, "db", N_DB, parent);
}

const struct node_kind node_db = {
	.what = "databases directory", .fields = 0, .parents = PARENT(N_ROOT), .mode = S_IFDIR,
	.find = db_find, .each = db_each, .stat = tree_live_dir_stat,
};

/* ---- /db/<name> ---- */

static int db_name_find(struct tree *t, const struct node *parent, const char *name,
			struct node *child)
{
	struct cat_gen g;
	int rc = db_name_ok(name) ? node_make_named(child, N_DB_NAME, 0, 0, 0, name, NULL) : -ENOENT;
	return rc ? rc : catalog_db_newest(&t->cat, name, &g);
}

static int db_name_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	char **names;
	size_t n;
	int rc = catalog_db_names(&t->cat, &names, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct node c;
		if (db_name_ok(names[i]) && !node_make_named(&c, N_DB_NAME, 0, 0, 0, names[i], NULL))
			tree_dir_add(d, names[i], &c, S_IFDIR);
		free(names[i]);
	}
	free(names);
	return 0;
}

static int db_name_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	int rc = catalog_db_newest(&t->cat, n->key, &g);
	if (rc)
		return rc;
	tree_fill(t, st, n, S_IFDIR, 0, g.time);
	*flags = TREE_LIVE;
	return 0;
}

const struct node_kind node_db_name = {
	.what = "database", .fields = 0, .parents = PARENT(N_DB), .mode = S_IFDIR,
	.find = db_name_find, .each = db_name_each, .stat = db_name_stat,
};

/* ---- /db/<name>/<gen> ---- */

static bool linkable(const struct cat_gen *g)
{
	return g->seq >= 1 && g->seq <= NODE_SEQ_MAX && strcmp(g->name, "latest") &&
	       !tree_gen_reserved(g->name);
}

static int db_link_find(struct tree *t, const struct node *parent, const char *name,
			struct node *child)
{
	struct cat_gen g;
	int rc = catalog_gen_by_name(&t->cat, name, &g);
	if (!rc && (!linkable(&g) || strcmp(g.dbname, parent->key)))
		rc = -ENOENT;
	if (!rc)
		*child = node_make(N_DB_LINK, g.seq, 0, 0);
	return rc;
}

static int db_link_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	struct cat_gen *g;
	size_t n;
	int rc = catalog_db_gens(&t->cat, parent->key, &g, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct node c = node_make(N_DB_LINK, g[i].seq, 0, 0);
		if (linkable(&g[i]) && tree_name_ok(t, g[i].name))
			tree_dir_add(d, g[i].name, &c, S_IFLNK);
	}
	catalog_free_gens(g, n);
	return 0;
}

/* "../../<gen>" */
static int gen_link_target(struct tree *t, uint64_t seq, char **target, struct cat_gen *g)
{
	int rc = tree_gen(t, seq, g);
	if (!rc && !tree_name_ok(t, g->name))
		rc = TREE_LOGGED;
	if (!rc && target)
		*target = xasprintf("../../%s", g->name); /* a plain name: stays in the tree */
	return rc;
}

static int db_link_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	int rc = gen_link_target(t, n->seq, NULL, &g);
	if (!rc)
		tree_fill(t, st, n, S_IFLNK, 6 + strlen(g.name), g.time);
	*flags = TREE_LIVE; /* a prune removes it: its entry lives a second */
	return rc;
}

static int db_link_readlink(struct tree *t, const struct node *n, char **target)
{
	struct cat_gen g;
	return gen_link_target(t, n->seq, target, &g);
}

const struct node_kind node_db_link = {
	.what = "database generation", .fields = F_SEQ, .parents = PARENT(N_DB_NAME),
	.mode = S_IFLNK, .find = db_link_find, .each = db_link_each, .stat = db_link_stat,
	.readlink = db_link_readlink,
};

/* ---- /db/<name>/latest ---- */

static int db_latest_node(struct tree *t, const struct node *parent, struct node *child)
{
	struct cat_gen g;
	int rc = catalog_db_newest(&t->cat, parent->key, &g);
	if (!rc && (g.seq < 1 || g.seq > NODE_SEQ_MAX))
		rc = -ENOENT;
	if (!rc && node_make_named(child, N_DB_LATEST, g.seq, 0, 0, parent->key, NULL))
		rc = -ENOENT;
	return rc;
}

static int db_latest_find(struct tree *t, const struct node *parent, const char *name,
			  struct node *child)
{
	return strcmp(name, "latest") ? -ENOENT : db_latest_node(t, parent, child);
}

static int db_latest_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	struct node c;
	int rc = db_latest_node(t, parent, &c);
	if (!rc)
		tree_dir_add(d, "latest", &c, S_IFLNK);
	return rc == -ENOENT ? 0 : rc;
}

static int db_latest_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	int rc = db_link_stat(t, n, st, flags);
	*flags = TREE_LIVE;
	return rc;
}

const struct node_kind node_db_latest = {
	.what = "database latest", .fields = F_SEQ, .parents = PARENT(N_DB_NAME), .mode = S_IFLNK,
	.find = db_latest_find, .each = db_latest_each, .stat = db_latest_stat,
	.readlink = db_link_readlink,
};
