/*
 * catalog_i.h - the catalog's chunk queries, shared with its unit test
 * (which checks their plans: every probe an index probe, every listing an
 * index walk without a sort).  Internal to lib/.
 *
 * A chunk of a table is an entry of one of the table's index nodes:
 * table_nodes (tn) places each node at first_seqno with its offsets in the
 * table's views, nodes (n) holds the entries with offsets in the node
 * (catalog.c, "Index nodes").
 */
#ifndef STRATA_CATALOG_I_H
#define STRATA_CATALOG_I_H

#define CHUNK_COLS "tn.first_seqno + n.k, n.fname, n.chunk_id, c.offset, c.clen, c.ulen, c.nrows," \
	" c.csv_len, p.name, tn.csv_off + n.csv_off, tn.jsonl_off + n.jsonl_off, n.jsonl_len," \
	" tn.sql_off + n.sql_off, n.sql_len"
#define CHUNK_JOIN " JOIN chunks c ON c.id = n.chunk_id JOIN packs p ON p.pack_id = c.pack_id "

/* the node of table (?1, ?2) holding seqno ?3 */
#define NODE_OF_SEQNO "tn.seq = ?1 AND tn.tidx = ?2 AND tn.first_seqno = (SELECT max(first_seqno)" \
	" FROM table_nodes WHERE seq = ?1 AND tidx = ?2 AND first_seqno <= ?3)"

/* chunk ?3 of table (?1, ?2) */
#define SQL_CHUNK_BY_SEQNO "SELECT " CHUNK_COLS " FROM table_nodes tn JOIN nodes n" \
	" ON n.node_id = tn.node_id AND n.k = ?3 - tn.first_seqno" CHUNK_JOIN "WHERE " NODE_OF_SEQNO
/* the chunk named ?3 (hash ?4) in table (?1, ?2): few nodes hold a name, so from the name */
#define SQL_CHUNK_BY_NAME "SELECT " CHUNK_COLS " FROM nodes n CROSS JOIN table_nodes tn" \
	" INDEXED BY table_nodes_by_node" \
	" ON tn.node_id = n.node_id AND tn.seq = ?1 AND tn.tidx = ?2" CHUNK_JOIN "WHERE n.fhash = ?4 AND n.fname = ?3"
/* chunks ?3 .. ?4 - 1 of table (?1, ?2) in key order */
#define SQL_CHUNK_RANGE "SELECT " CHUNK_COLS " FROM table_nodes tn JOIN nodes n" \
	" ON n.node_id = tn.node_id AND n.k >= ?3 - tn.first_seqno AND n.k < ?4 - tn.first_seqno" \
	CHUNK_JOIN "WHERE tn.seq = ?1 AND tn.tidx = ?2 AND tn.first_seqno < ?4 AND tn.first_seqno >=" \
	" (SELECT coalesce(max(first_seqno), 0) FROM table_nodes WHERE seq = ?1 AND tidx = ?2" \
	" AND first_seqno <= ?3) ORDER BY tn.first_seqno, n.k"
/* the keys of chunk ?3 of table (?1, ?2) */
#define SQL_CHUNK_KEYS "SELECT n.first_key, n.last_key FROM table_nodes tn JOIN nodes n" \
	" ON n.node_id = tn.node_id AND n.k = ?3 - tn.first_seqno WHERE " NODE_OF_SEQNO
/* the newest place of row-range file (chunk ?1, render ?2, JSONL length ?3, SQL length ?4) */
#define SQL_FILE_NEWEST "SELECT tn.seq, tn.tidx, tn.first_seqno + n.k FROM nodes n" \
	" CROSS JOIN table_nodes tn ON tn.node_id = n.node_id JOIN tables t ON t.seq = tn.seq" \
	" AND t.tidx = tn.tidx WHERE n.chunk_id = ?1 AND t.render_id = ?2 AND n.jsonl_len = ?3" \
	" AND n.sql_len = ?4 ORDER BY tn.seq DESC LIMIT 1"

#endif
