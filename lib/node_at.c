/*
 * node_at.c - a moment in time:
 *
 *   /at/                 lookup-only: listing it shows nothing
 *   /at/<TIME>           -> ../<generation>: the newest generation at or
 *                        before TIME (util.h time_parse_point: RFC 3339,
 *                        ISO 8601 basic, a generation name's form, or a
 *                        date, meaning the end of that day, UTC)
 *
 * Both change when generations are added or removed (TREE_LIVE), so the
 * kernel asks again after a second.  A time before the first generation
 * is ENOENT; so is one that does not parse (with a log line, once per
 * name asked).
 */
#include "tree_i.h"
#include "strata/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- /at ---- */

static int at_find(struct tree *t, const struct node *parent, const char *name,
		   struct node *child)
{
	return tree_child_find(t, "at", N_AT, parent, name, child);
}

static int at_each(struct tree *t, const struct node *parent, struct tree_dir *d)
{
	return tree_child_each(t, d, "at", N_AT, parent);
}

const struct node_kind node_at = {
	.what = "at directory", .fields = 0, .parents = PARENT(N_ROOT), .mode = S_IFDIR,
	.find = at_find, .each = at_each, .stat = tree_live_dir_stat,
};

/* ---- /at/<TIME> ---- */

/*
 * The node's identity includes the generation it names (seq), so when a
 * new generation changes the answer the lookup hands out a new number: the
 * kernel, which keeps symbolic links' targets (FUSE_CAP_CACHE_SYMLINKS),
 * never serves an old target for longer than the one-second entry timeout.
 */
static int at_link_find(struct tree *t, const struct node *parent, const char *name,
			struct node *child)
{
	struct cat_gen g;
	int64_t when;
	int rc;
	if (time_parse_point(name, &when)) {
		tree_note(t, "at/%s: not a time; name one as 2026-11-20T14:00:00Z, 20261120T140000Z or 2026-11-20",
			  name);
		return -ENOENT;
	}
	rc = catalog_gen_at(&t->cat, when, &g);
	if (!rc && (g.seq < 1 || g.seq > NODE_SEQ_MAX || tree_gen_reserved(g.name)))
		rc = -ENOENT;
	if (!rc && node_make_named(child, N_AT_LINK, g.seq, 0, 0, name, NULL))
		rc = -ENOENT;
	return rc;
}

static int at_link_stat(struct tree *t, const struct node *n, struct stat *st, unsigned *flags)
{
	struct cat_gen g;
	int rc = tree_gen(t, n->seq, &g);
	if (rc)
		return rc;
	tree_fill(t, st, n, S_IFLNK, 3 + strlen(g.name), g.time);
	*flags = TREE_LIVE;
	return 0;
}

static int at_link_readlink(struct tree *t, const struct node *n, char **target)
{
	struct cat_gen g;
	int rc = tree_gen(t, n->seq, &g);
	if (!rc && !tree_name_ok(t, g.name))
		rc = TREE_LOGGED;
	if (!rc)
		*target = xasprintf("../%s", g.name); /* a plain name: stays in the tree */
	return rc;
}

const struct node_kind node_at_link = {
	.what = "point in time", .fields = F_SEQ, .parents = PARENT(N_AT), .mode = S_IFLNK,
	.find = at_link_find, .stat = at_link_stat, .readlink = at_link_readlink,
};
