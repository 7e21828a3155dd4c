#!/bin/bash
# The bugs a new user hit on the first day (the operator issue), each checked
# the way the user met it: same-second generations, impossible --at times,
# labels that split lines, byte counts that disagreed, a FIFO that hung
# verify, 0x7F in a name from the catalog, mounting over files, hints that
# led nowhere; and --include/--exclude.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/s.db
"$PY" - "$DB" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL)")
con.executemany("INSERT INTO items VALUES (?,?,?)", ((i, "item %d" % i, i * 0.25) for i in range(3000)))
con.execute("CREATE INDEX items_by_name ON items(name)")
con.execute("CREATE TABLE log_2025(id INTEGER PRIMARY KEY, msg TEXT)")
con.execute("CREATE TABLE log_2026(id INTEGER PRIMARY KEY, msg TEXT)")
for t in ("log_2025", "log_2026"):
    con.executemany("INSERT INTO %s VALUES (?,?)" % t, ((i, "%s %d" % (t, i)) for i in range(500)))
con.execute("CREATE TRIGGER log_2026_trim AFTER INSERT ON log_2026 BEGIN DELETE FROM log_2026 WHERE id < 0; END")
con.execute("CREATE VIEW cheap AS SELECT * FROM items WHERE price < 10")
# a trigger that spells its table in another case than the table does
con.execute("CREATE TABLE Audit(id INTEGER PRIMARY KEY, what TEXT)")
con.execute("CREATE TRIGGER audit_items AFTER INSERT ON audit BEGIN DELETE FROM audit WHERE id < 0; END")
con.commit()
PYEOF
"$STRATA" init "$R" --chunk-size 4096 >/dev/null

# ---- 1. twelve backups in one second: -002 .. -012, latest is the last ----
AT=2026-11-20T02:00:00Z
for i in $(seq 1 12); do
    "$STRATA" backup "$R" "$DB" --at "$AT" --force --label "run $i" >/dev/null || fail "backup $i in the same second"
done
want=$( { echo 2026-11-20T020000Z; for i in $(seq 2 12); do printf '2026-11-20T020000Z-%03d\n' "$i"; done; } )
got=$("$STRATA" ls "$R" | awk 'NR > 1 { print $1 }')
[ "$got" = "$want" ] || fail "strata ls order after 12 backups in one second: $(echo $got)"
"$STRATA" ls "$R" --json | "$PY" -c '
import json, sys
a = json.load(sys.stdin)
labels = [g["label"] for g in a]
assert labels == ["run %d" % i for i in range(1, 13)], labels' || fail "strata ls --json is not in backup order"
mount_fs "$R" "$M"
[ "$(readlink "$M/latest")" = 2026-11-20T020000Z-012 ] || fail "latest -> $(readlink "$M/latest"), want the 12th backup"
[ "$(ls "$M" | grep -vx -e latest -e tables -e at -e db)" = "$want" ] || fail "ls of the mount (byte order) is not backup order: $(ls "$M" | tr '\n' ' ')"
grep -q '"label": "run 12"' "$M/latest/generation.json" || fail "latest is not the 12th backup"
umount_fs "$M"

# ---- 2. --at: a day that does not exist, a leap second, before 1970 ----
n0=$(ls "$R/generations" | wc -l)
for bad in 2026-02-30T00:00:00Z 2026-04-31T12:00:00Z 2025-02-29T00:00:00Z 2016-12-31T23:59:60Z \
           1960-01-01T00:00:00Z 1969-12-31T23:59:59Z; do
    rc=0
    "$STRATA" backup "$R" "$DB" --at "$bad" >"$T/at.out" 2>"$T/at.err" || rc=$?
    [ $rc -eq 2 ] || fail "--at $bad: exit $rc, want 2 (usage): $(cat "$T/at.out" "$T/at.err")"
    grep -q -- "--at" "$T/at.err" || fail "--at $bad: the message does not name --at: $(cat "$T/at.err")"
done
[ "$(ls "$R/generations" | wc -l)" -eq "$n0" ] || fail "a refused --at still stored a generation"
"$STRATA" backup "$R" "$DB" --at 2024-02-29T12:00:00Z --force >/dev/null || fail "--at on a leap day refused"
[ -e "$R/generations/2024-02-29T120000Z.gen" ] || fail "the leap day backup is not named 2024-02-29T120000Z"

# ---- 3. a label with a newline, a tab and an escape sequence ----
"$STRATA" backup "$R" "$DB" --at 2026-11-21T00:00:00Z --force --label "$(printf 'two\nlines\tand \033[31mred')" >/dev/null ||
    fail "backup with a multi-line label"
"$STRATA" ls "$R" >"$T/ls.txt"
[ "$(wc -l <"$T/ls.txt")" -eq $(( $(ls "$R/generations" | wc -l) + 1 )) ] || fail "a label split a row of strata ls: $(cat -A "$T/ls.txt" | tail -3)"
grep -qF 'two\nlines\tand \x1b[31mred' "$T/ls.txt" || fail "the label is not shown escaped: $(grep 2026-11-21 "$T/ls.txt" | cat -A)"
if LC_ALL=C grep -q "$(printf '\033')" "$T/ls.txt"; then fail "strata ls sent an escape byte to the terminal"; fi
"$STRATA" ls "$R" --json | "$PY" -c '
import json, sys
a = json.load(sys.stdin)
assert a[-1]["label"] == "two\nlines\tand \x1b[31mred", a[-1]["label"]' || fail "ls --json does not keep the label exactly"

# ---- 4. byte counts: the backup's summary and strata ls agree, exactly ----
# what a backup adds = its new packs + its manifest (new_bytes in ls --json)
snapshot_files() { (cd "$R" && find packs generations -type f -printf '%p %s\n' | sort); }
check_counts() { # check_counts WHAT: the last backup's summary vs ls vs the files it added
    local what=$1 summary new gen
    summary=$(sed -n 's/.*, \([0-9.]* [KMGT]*i*B\) new stored.*/\1/p' "$T/b.out")
    [ -n "$summary" ] || fail "$what: no 'new stored' in the summary: $(cat "$T/b.out")"
    gen=$(sed -n 's/^generation \([^:]*\):.*/\1/p' "$T/b.out")
    "$STRATA" ls "$R" --json >"$T/ls.json"
    new=$("$PY" -c 'import json,sys; print([g for g in json.load(open(sys.argv[1])) if g["name"] == sys.argv[2]][0]["new_bytes"])' "$T/ls.json" "$gen")
    snapshot_files >"$T/files.after"
    added=$(comm -13 "$T/files.before" "$T/files.after" | awk '{ s += $2 } END { print s + 0 }')
    [ "$new" -eq "$added" ] || fail "$what: ls says $new new bytes, the backup added $added bytes of files"
    "$STRATA" ls "$R" | grep "^$gen " | grep -qF " $summary " || fail "$what: the summary says '$summary', strata ls: $(grep "^$gen " <("$STRATA" ls "$R"))"
    note "$what: $summary new ($new bytes): summary, ls and the files agree"
}
"$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executemany("INSERT INTO items VALUES (?,?,?)", ((i, "new %d" % i, 1.5) for i in range(5000, 9000))); c.commit()' "$DB"
snapshot_files >"$T/files.before"
"$STRATA" backup "$R" "$DB" --at 2026-11-22T00:00:00Z >"$T/b.out" || fail "backup 4a"
check_counts "a backup that stores new chunks"
snapshot_files >"$T/files.before"
"$STRATA" backup "$R" "$DB" --at 2026-11-23T00:00:00Z >"$T/b.out" || fail "backup 4b"
grep -q "source unchanged" "$T/b.out" || fail "the second backup was not skipped: $(cat "$T/b.out")"
check_counts "a skipped backup"

# ---- 5. a FIFO in packs/ or generations/ does not hang verify ----
pdir=$(ls -d "$R"/packs/* | head -1)
fifo=${pdir##*/}000000000000000000000000000000 # a pack name: 32 hex digits, its first two its directory
mkfifo "$pdir/$fifo.pack" "$R/generations/2030-01-01T000000Z.gen"
rc=0
timeout 60 "$STRATA" verify "$R" --quick >"$T/v.out" 2>&1 || rc=$?
[ $rc -ne 124 ] || fail "verify hung on a FIFO"
[ $rc -eq 3 ] || fail "verify with FIFOs in the repository: exit $rc, want 3: $(cat "$T/v.out")"
grep -q "^damaged: pack .*$fifo.*not a regular file" "$T/v.out" || fail "verify does not name the FIFO pack: $(cat "$T/v.out")"
grep -q "^damaged: generation 2030-01-01T000000Z" "$T/v.out" || fail "verify does not name the FIFO manifest: $(cat "$T/v.out")"
rm "$pdir/$fifo.pack" "$R/generations/2030-01-01T000000Z.gen"
"$STRATA" verify "$R" >/dev/null || fail "verify after removing the FIFOs"

# ---- 6. a name from the catalog with byte 0x7F is not served ----
cp -a "$R" "$T/r7f"
"$STRATA" index "$T/r7f" >/dev/null
"$PY" - "$T/r7f/catalog.db" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE generations SET name = 'bad' || char(127) || 'name' WHERE name = '2024-02-29T120000Z'")
c.execute("UPDATE tables SET dirname = 'it' || char(127) || 'ems' WHERE dirname = 'items' AND seq = (SELECT max(seq) FROM generations)")
c.commit()
PYEOF
STRATA_MOUNT_FG=1 mount_fs "$T/r7f" "$M"
if ls "$M" | LC_ALL=C grep -q $'\x7f'; then fail "the mount lists a generation name with byte 0x7F"; fi
if ls "$M/latest/" | LC_ALL=C grep -q $'\x7f'; then fail "the mount lists a table directory with byte 0x7F"; fi
[ ! -e "$M/bad"$'\x7f'"name" ] || fail "the mount looks up a generation name with byte 0x7F"
grep -q "not a plain file name" "$T/stratafs.mnt.log" || fail "no log line for a catalog name with 0x7F: $(cat "$T/stratafs.mnt.log")"
umount_fs "$M"

# ---- 7. mounting over a directory that is not empty ----
mkdir -p "$T/full"
echo precious >"$T/full/file.txt"
rc=0
"$STRATAFS" "$R" "$T/full" >"$T/m.out" 2>&1 || rc=$?
if is_mounted "$T/full"; then fusermount3 -u "$T/full"; fail "stratafs mounted over a non-empty directory"; fi
[ $rc -eq 1 ] || fail "stratafs over a non-empty directory: exit $rc, want 1"
grep -q "is not empty.*-o nonempty" "$T/m.out" || fail "no clear message for a non-empty mount point: $(cat "$T/m.out")"
mount_fs "$R" "$T/full" -o nonempty
[ -d "$T/full/latest" ] || fail "-o nonempty did not mount"
umount_fs "$T/full"
[ "$(cat "$T/full/file.txt")" = precious ] || fail "the hidden file changed"

# ---- 8. hints that lead somewhere ----
rc=0
"$STRATAFS" "$R" "$DB" >"$T/h.out" 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "stratafs REPO FILE: exit $rc, want 1"
grep -q "is a file, not a directory" "$T/h.out" || fail "stratafs REPO FILE: $(cat "$T/h.out")"
if grep -q "mkdir" "$T/h.out"; then fail "stratafs REPO FILE suggests mkdir of an existing file: $(cat "$T/h.out")"; fi
mkdir -p "$T/notrepo" && echo x >"$T/notrepo/x"
expect_fail "backup into a non-empty directory that is not a repository" "$STRATA" backup "$T/notrepo" "$DB"
if grep -q "strata init $T/notrepo" "$T/ef.err"; then fail "the hint suggests 'strata init' of a non-empty directory: $(cat "$T/ef.err")"; fi
# where the hint does say 'strata init DIR', that command works
for d in "$T/newrepo" "$T/emptyrepo"; do
    [ "$d" = "$T/emptyrepo" ] && mkdir -p "$d"
    expect_fail "backup into $(basename "$d")" "$STRATA" backup "$d" "$DB"
    grep -q "strata init $d'" "$T/ef.err" || fail "no 'strata init' hint for $d: $(cat "$T/ef.err")"
    "$STRATA" init "$d" >/dev/null || fail "the hinted 'strata init $d' failed"
done

# ---- 9. --include / --exclude ----
R2=$T/sel
"$STRATA" init "$R2" >/dev/null
"$STRATA" backup "$R2" "$DB" --at 2026-12-01T00:00:00Z --exclude 'log_*' >"$T/sel.out" 2>&1 || fail "backup --exclude: $(cat "$T/sel.out")"
"$STRATA" backup "$R2" "$DB" --at 2026-12-02T00:00:00Z --include log_2026 >"$T/sel2.out" 2>&1 || fail "backup --include: $(cat "$T/sel2.out")"
grep -q "source unchanged" "$T/sel2.out" && fail "another table selection reused the generation of the first"
"$STRATA" backup "$R2" "$DB" --at 2026-12-03T00:00:00Z --include 'log_*' --exclude log_2025 >"$T/sel3.out" 2>&1 || fail "backup --include --exclude"
expect_fail "--include matching no table" "$STRATA" backup "$R2" "$DB" --include nosuchtable
grep -q "items" "$T/ef.err" || fail "the --include error does not list the tables: $(cat "$T/ef.err")"
"$STRATA" backup "$R2" "$DB" --at 2026-12-04T00:00:00Z --exclude nosuchtable >"$T/sel4.out" 2>"$T/sel4.err" || fail "--exclude matching nothing failed the backup"
grep -q "note: --exclude 'nosuchtable' matches no table" "$T/sel4.err" || fail "no note for an --exclude that matches nothing: $(cat "$T/sel4.err")"
# oracles: copies of the database without the tables left out
mkdb() { # mkdb OUT TABLE... : a copy of DB without those tables
    local out=$1; shift
    cp "$DB" "$out"
    for t in "$@"; do sqlite3 "$out" "DROP TABLE $t"; done
}
"$STRATA" backup "$R2" "$DB" --at 2026-12-05T00:00:00Z --exclude Audit >/dev/null || fail "backup --exclude Audit"
mkdb "$T/no_audit.db" Audit
mkdb "$T/no_logs.db" log_2025 log_2026
mkdb "$T/only_2026.db" items log_2025 Audit
mount_fs "$R2" "$M"
oracle compare-mount "$T/no_logs.db" "$M/2026-12-01T000000Z" || fail "--exclude 'log_*' generation differs from the database without them"
oracle compare-mount "$T/only_2026.db" "$M/2026-12-02T000000Z" || fail "--include log_2026 generation differs"
oracle compare-mount "$T/only_2026.db" "$M/2026-12-03T000000Z" || fail "--include 'log_*' --exclude log_2025 generation differs"
oracle compare-mount "$DB" "$M/2026-12-04T000000Z" || fail "--exclude of nothing left something out"
oracle compare-mount "$T/no_audit.db" "$M/2026-12-05T000000Z" || fail "--exclude Audit kept its trigger (written ON audit) or more"
sqlite3 "$T/replay.db" <"$M/2026-12-05T000000Z/schema.sql" || fail "the schema of a generation made with --exclude does not replay"
grep -q "items_by_name" "$M/2026-12-01T000000Z/schema.sql" || fail "the kept table's index is not in schema.sql"
if grep -q "log_2026_trim\|log_2025" "$M/2026-12-01T000000Z/schema.sql"; then fail "schema.sql keeps an excluded table or its trigger"; fi
grep -q "log_2026_trim" "$M/2026-12-02T000000Z/schema.sql" || fail "the included table's trigger is not in schema.sql"
umount_fs "$M"
echo ok
