#!/bin/bash
# Growth in proportion to change (history issue, item 1): 40 generations of a
# changing database (updates of a run of consecutive rows, inserts, deletes, a
# dropped and an added table).  The catalog stores each table's chunk list as
# index nodes shared between generations, so what a generation adds to
# catalog.db is bounded by a constant per table plus what changed, not by the
# number of chunks: checked per generation against a bound that a catalog
# listing every chunk of every generation exceeds several times (about 40
# bytes per chunk and generation).  A sample of generations is compared with
# the source as it was, through the mount, and a catalog rebuilt from the
# repository gives the same chunk lists.
#
# Deterministic: the source's contents come from a fixed seed, so chunk ids
# and node boundaries are the same on every run.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo DB=$T/src.db M=$T/mnt
"$STRATA" init "$R" --chunk-size 4096 >/dev/null

edit() { # GEN: the source as generation GEN finds it; prints the bytes of the rows it changed
    "$PY" - "$DB" "$1" <<'PYEOF'
import random, sqlite3, sys
db, g = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1000 + g)
con = sqlite3.connect(db)
size = "SELECT coalesce(sum(length(CAST(id AS TEXT)) + length(v) + 20), 0) FROM big WHERE "
changed = 0
WORDS = ["alpha", "beta", "gamma", "delta", "x", "\"quoted\"", "it's", "new\nline", "comma,", "zeta"]
WORDS += ["w%d" % i for i in range(200)]
def text(n):
    return " ".join(rnd.choices(WORDS, k=n // 5))
if g == 1:
    con.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT, n REAL)")
    con.execute("CREATE TABLE small(k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
    con.execute("CREATE TABLE gone(x, y)")
    con.executemany("INSERT INTO big VALUES(?,?,?)",
                    ((i, text(150), rnd.random()) for i in range(1, 60001)))
    con.executemany("INSERT INTO small VALUES(?,?)", (("k%05d" % i, i) for i in range(2000)))
    con.executemany("INSERT INTO gone VALUES(?,?)", ((i, text(20)) for i in range(500)))
else:
    start = (g * 7919) % 58000 + 1
    gone = "id IN (SELECT id FROM big WHERE id > %d ORDER BY id LIMIT 20)" % ((g * 4391) % 58000)
    changed += con.execute(size + gone).fetchone()[0]
    con.execute("UPDATE big SET v = ?, n = n + 1 WHERE id BETWEEN ? AND ?",
                (text(150), start, start + 99))
    con.execute("DELETE FROM big WHERE " + gone)
    top = con.execute("SELECT max(id) FROM big").fetchone()[0]
    con.executemany("INSERT INTO big VALUES(?,?,?)",
                    ((top + i, text(150), rnd.random()) for i in range(1, 21)))
    changed += con.execute(size + "id BETWEEN ? AND ? OR id > ?", (start, start + 99, top)).fetchone()[0]
    con.execute("UPDATE small SET n = n + 1 WHERE k = ?", ("k%05d" % (g * 37 % 2000),))
    if g == 15:
        con.execute("DROP TABLE gone")
    if g == 25:
        con.execute("CREATE TABLE added(a INTEGER PRIMARY KEY, b TEXT)")
        con.executemany("INSERT INTO added VALUES(?,?)", ((i, text(30)) for i in range(300)))
        changed += con.execute("SELECT sum(length(b) + 10) FROM added").fetchone()[0]
    if g > 25:
        con.execute("UPDATE added SET b = ? WHERE a = ?", (text(30), g))
con.commit()
con.close()
print(changed)
PYEOF
}

# what catalog.db holds: its pages in use, after a checkpoint, less its page
# maps (what the next backup compares the source's pages with: at most two
# per database, each replaced by the next backup, checked below), whose size
# is the source's, not the history's
cat_bytes() {
    sqlite3 "$R/catalog.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
    sqlite3 "$R/catalog.db" "SELECT ((SELECT page_count FROM pragma_page_count())
        - (SELECT freelist_count FROM pragma_freelist_count()))
        * (SELECT page_size FROM pragma_page_size())
        - (SELECT coalesce(sum(length(data)), 0) FROM pagemaps);"
}

# what the repository holds: its packs and manifests
repo_bytes() { cat "$R"/packs/*/*.pack "$R"/generations/*.gen | wc -c; }

SAMPLES=" 1 15 25 40 "
declare -a CAT CHG REPO
for g in $(seq 1 40); do
    CHG[$g]=$(edit "$g") || fail "editing the source for generation $g"
    at=$(date -u -d "2026-01-01 00:00:00 UTC + $g hours" +%Y-%m-%dT%H:%M:%SZ)
    "$STRATA" backup "$R" "$DB" --at "$at" >/dev/null || fail "backup $g"
    [[ $SAMPLES == *" $g "* ]] && cp "$DB" "$T/src-$g.db"
    CAT[$g]=$(cat_bytes) REPO[$g]=$(repo_bytes)
done

maps=$(sqlite3 "$R/catalog.db" "SELECT count(*) FROM pagemaps")
[ "$maps" -ge 1 ] && [ "$maps" -le 2 ] || fail "$maps page maps kept for one database (want the newest and the newest full)"
chunks=$(sqlite3 "$R/catalog.db" "SELECT sum(nchunks) FROM tables t JOIN generations g USING(seq)
    WHERE g.time = (SELECT max(time) FROM generations)")
[ "$chunks" -gt 300 ] || fail "the newest generation has $chunks chunks: too few for this test to mean anything"
# Per generation about 22 KiB of rows change at four places (a run of 100
# rows, 20 deleted, 20 appended, one row of another table): each costs the
# catalog one or two new index nodes (up to 256 chunk entries, about 200 bytes
# an entry with its indexes) besides a constant per table (its generations,
# tables, table_nodes and dump.sql rows) and page slack.  Listing every chunk
# of every generation would cost about 230 bytes a chunk: 400+ KiB here.
# The repository: each place's new chunk (a chunk is ~4 KiB of rows,
# compressed), each changed index node (about 60 bytes an entry compressed)
# and a manifest that lists nodes, not chunks.  Listing every chunk in the
# manifest costs about 60 bytes a chunk: 110+ KiB here.
worst=0 total=0 changed=0 rworst=0 rtotal=0
for g in $(seq 2 40); do
    add=$(( CAT[g] - CAT[g - 1] )) radd=$(( REPO[g] - REPO[g - 1] ))
    total=$((total + add)) changed=$((changed + CHG[g])) rtotal=$((rtotal + radd))
    [ $add -gt $worst ] && worst=$add
    [ $radd -gt $rworst ] && rworst=$radd
    [ -z "${GROWTH_DEBUG:-}" ] || echo "gen $g: catalog +$add, repository +$radd for ${CHG[g]}"
    [ $add -le $((8 * CHG[g] + (64 << 10))) ] || [ -n "${GROWTH_DEBUG:-}" ] ||
        fail "generation $g added $add bytes to catalog.db for ${CHG[g]} bytes of changed rows ($chunks chunks)"
    [ $radd -le $((2 * CHG[g] + (32 << 10))) ] || [ -n "${GROWTH_DEBUG:-}" ] ||
        fail "generation $g added $radd bytes to the repository for ${CHG[g]} bytes of changed rows ($chunks chunks)"
done
note "catalog.db: $((CAT[1] >> 10)) KiB after generation 1, then $((total / 39)) bytes a generation on average (worst $worst) for $((changed / 39)) bytes of changed rows; $chunks chunks"
note "repository: $((REPO[1] >> 10)) KiB after generation 1, then $((rtotal / 39)) bytes a generation on average (worst $rworst)"
[ $total -le $((5 * changed)) ] ||
    fail "catalog.db grows by $((total / 39)) bytes a generation, more than 5 times the $((changed / 39)) bytes of rows changed ($chunks chunks)"
[ $rtotal -le $((2 * changed)) ] ||
    fail "the repository grows by $((rtotal / 39)) bytes a generation, more than twice the $((changed / 39)) bytes of rows changed ($chunks chunks)"

# the chunk lists as the catalog serves them, before and after a rebuild from the repository
lists() { sqlite3 "$R/catalog.db" "SELECT g.name, t.name, c.seqno, hex(c.chunk_id), c.csv_off, c.fname,
    c.jsonl_off, c.jsonl_len, c.sql_off, c.sql_len, hex(c.first_key), hex(c.last_key)
    FROM table_chunks c JOIN generations g USING(seq) JOIN tables t USING(seq, tidx)
    ORDER BY g.name, t.name, c.seqno"; }
lists > "$T/before"
"$STRATA" index "$R" --rebuild >/dev/null || fail "index --rebuild"
lists > "$T/after"
cmp -s "$T/before" "$T/after" || fail "a rebuilt catalog lists other chunks: $(diff "$T/before" "$T/after" | head -5)"
[ "$(wc -l < "$T/before")" -gt $((chunks * 30)) ] || fail "the listing misses chunks: $(wc -l < "$T/before") lines"

mount_fs "$R" "$M"
for g in $SAMPLES; do
    gen=$(date -u -d "2026-01-01 00:00:00 UTC + $g hours" +%Y-%m-%dT%H%M%SZ)
    oracle compare-mount "$T/src-$g.db" "$M/$gen" || fail "generation $g differs from its source"
done
umount_fs "$M"
