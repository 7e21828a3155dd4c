/*
 * nodemap.c - the nodes whose inode numbers are hashes (tree.c, "inode
 * numbers"): a key file's number cannot hold its key, so the tree
 * remembers, by number, every such node it handed out while someone may
 * still use the number.
 *
 * An entry counts references: one per lookup the kernel (or a command)
 * was told about, dropped by FORGET.  An entry nobody references stays on
 * an idle list, the most recently used NODEMAP_IDLE_MAX of them, so a
 * listing's entries (handed out without a reference) and a lookup that
 * is answered again soon need no new work; older idle entries are freed.
 * A number asked about after its entry was freed is ENOENT, which is what
 * the kernel never does (it forgets a number before dropping it).
 *
 * A hash collision (two identities, one number; 2^-60 per pair) is
 * refused: the second node is not served, and a line is logged.
 */
#include "tree_i.h"
#include "strata/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NODEMAP_IDLE_MAX 4096

/* An entry is about 80 bytes and its name: memory follows what the kernel holds. */
struct nm_entry {
	struct nm_entry *chain;          /* same bucket */
	struct nm_entry *prev, *next;    /* idle list (refs == 0) */
	uint64_t ino;
	uint64_t refs;
	bool idle;                       /* on the idle list */
	uint64_t seq;
	uint32_t tidx, pos;
	enum node_type type;
	size_t keylen;
	char key[];
};

struct nodemap {
	pthread_mutex_t mu;
	struct nm_entry **buckets;
	size_t nbuckets, count;
	struct nm_entry *idle_new, *idle_old; /* idle list: most and least recently idle */
	size_t nidle;
};

struct nodemap *nodemap_new(void)
{
	struct nodemap *m = xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->mu, NULL);
	m->nbuckets = 256;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
	return m;
}

void nodemap_free(struct nodemap *m)
{
	if (!m)
		return;
	for (size_t b = 0; b < m->nbuckets; b++) {
		struct nm_entry *e = m->buckets[b], *nx;
		for (; e; e = nx) {
			nx = e->chain;
			free(e);
		}
	}
	free(m->buckets);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static size_t bucket_of(const struct nodemap *m, uint64_t ino)
{
	return (size_t)(ino ^ ino >> 29) & (m->nbuckets - 1);
}

static struct nm_entry *find(struct nodemap *m, uint64_t ino)
{
	struct nm_entry *e = m->buckets[bucket_of(m, ino)];
	while (e && e->ino != ino)
		e = e->chain;
	return e;
}

/* idle: prev is the more recently idle neighbour, next the less */
static void idle_unlink(struct nodemap *m, struct nm_entry *e)
{
	if (!e->idle)
		return;
	if (e->prev)
		e->prev->next = e->next;
	else
		m->idle_new = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		m->idle_old = e->prev;
	e->prev = e->next = NULL;
	e->idle = false;
	m->nidle--;
}

static void idle_push(struct nodemap *m, struct nm_entry *e)
{
	e->prev = NULL;
	e->next = m->idle_new;
	if (m->idle_new)
		m->idle_new->prev = e;
	else
		m->idle_old = e;
	m->idle_new = e;
	e->idle = true;
	m->nidle++;
}

static void remove_entry(struct nodemap *m, struct nm_entry *e)
{
	struct nm_entry **pp = &m->buckets[bucket_of(m, e->ino)];
	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	idle_unlink(m, e);
	m->count--;
	free(e);
}

static void grow(struct nodemap *m)
{
	size_t old = m->nbuckets;
	struct nm_entry **ob = m->buckets;
	m->nbuckets *= 2;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
	for (size_t b = 0; b < old; b++) {
		struct nm_entry *e = ob[b], *nx;
		for (; e; e = nx) {
			nx = e->chain;
			size_t h = bucket_of(m, e->ino);
			e->chain = m->buckets[h];
			m->buckets[h] = e;
		}
	}
	free(ob);
}

/* One identity: a located node's seq, tidx and pos are not part of it (tree_i.h). */
static bool same_node(const struct nm_entry *a, const struct node *b)
{
	return a->type == b->type &&
	       (node_located(b->type) || (a->seq == b->seq && a->tidx == b->tidx && a->pos == b->pos)) &&
	       a->keylen == b->keylen && !memcmp(a->key, b->key, a->keylen);
}

int nodemap_put(struct nodemap *m, uint64_t ino, const struct node *n, unsigned refs)
{
	int rc = 0;
	pthread_mutex_lock(&m->mu);
	struct nm_entry *e = find(m, ino);
	if (e && !same_node(e, n)) {
		rc = -EIO;
	} else if (e) {
		idle_unlink(m, e);
		/* a located node: the newest name handed out says where it is now */
		e->seq = n->seq;
		e->tidx = n->tidx;
		e->pos = n->pos;
	} else {
		e = xcalloc(1, sizeof(*e) + n->keylen + 1);
		e->ino = ino;
		e->type = n->type;
		e->seq = n->seq;
		e->tidx = n->tidx;
		e->pos = n->pos;
		e->keylen = n->keylen;
		memcpy(e->key, n->key, n->keylen);
		size_t h = bucket_of(m, ino);
		e->chain = m->buckets[h];
		m->buckets[h] = e;
		if (++m->count > m->nbuckets)
			grow(m);
	}
	if (!rc) {
		e->refs += refs;
		if (!e->refs)
			idle_push(m, e);
		while (m->nidle > NODEMAP_IDLE_MAX)
			remove_entry(m, m->idle_old);
	}
	pthread_mutex_unlock(&m->mu);
	if (rc)
		log_msg("two names hash to inode number %llx; the second is not served",
			(unsigned long long)ino);
	return rc ? TREE_LOGGED : 0;
}

int nodemap_get(struct nodemap *m, uint64_t ino, struct node *n)
{
	pthread_mutex_lock(&m->mu);
	struct nm_entry *e = find(m, ino);
	if (e) {
		*n = node_make(e->type, e->seq, e->tidx, e->pos);
		memcpy(n->key, e->key, e->keylen + 1);
		n->keylen = e->keylen;
	}
	pthread_mutex_unlock(&m->mu);
	return e ? 0 : -ENOENT;
}

void nodemap_drop(struct nodemap *m, uint64_t ino, uint64_t refs)
{
	pthread_mutex_lock(&m->mu);
	struct nm_entry *e = find(m, ino);
	if (e && e->refs) {
		e->refs = refs >= e->refs ? 0 : e->refs - refs;
		if (!e->refs) {
			idle_push(m, e);
			while (m->nidle > NODEMAP_IDLE_MAX)
				remove_entry(m, m->idle_old);
		}
	}
	pthread_mutex_unlock(&m->mu);
}
