#!/bin/bash
# strata cat and strata ls REPO PATH serve the mount's tree without FUSE
# (DESIGN.md invariant 8): over three generations of the awkward database
# (two of them in the same second), every directory lists the same entries
# with the same type, size, time, inode number and link target, and every
# file has the same bytes; paths through "latest", "..", a trailing "/"
# resolve as the kernel resolves them; errors are one line with the right
# exit status.
. "$(dirname "$0")/lib.sh"
require_bins

R=$T/repo M=$T/mnt DB=$T/awkward.db
oracle make-awkward "$DB"
"$STRATA" init "$R" --chunk-size 16K >/dev/null
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z --label first >/dev/null || fail "backup 1"
# changes: rows deleted, updated and added, a table dropped, one added
"$PY" - "$DB" <<'PYEOF'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("DELETE FROM big WHERE id % 7 = 3")
con.execute("UPDATE big SET name = name || ' (changed)' WHERE id % 11 = 0")
con.execute("INSERT INTO kv VALUES ('added key', x'00ff')")
con.execute("DROP TABLE mixed")
con.execute("CREATE TABLE added(id INTEGER PRIMARY KEY, v TEXT)")
con.executemany("INSERT INTO added VALUES (?, ?)", ((i, "v%d" % i) for i in range(300)))
con.commit()
PYEOF
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z >/dev/null || fail "backup 2"
"$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM added WHERE id > 100"); c.commit()' "$DB"
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z >/dev/null || fail "backup 3"

mount_fs "$R" "$M"
timeout 600 "$PY" - "$STRATA" "$R" "$M" <<'PYEOF' || fail "strata cat / ls differ from the mount"
import json, os, stat, subprocess, sys, datetime
strata, repo, mnt = sys.argv[1:4]
errs = []

def strata_ls(rel):
    p = subprocess.run([strata, "ls", repo, rel, "--json"], capture_output=True)
    if p.returncode:
        errs.append("strata ls %r: exit %d: %s" % (rel, p.returncode, p.stderr.decode(errors="replace")))
        return None
    return json.loads(p.stdout)

def kind(mode):
    return "dir" if stat.S_ISDIR(mode) else "link" if stat.S_ISLNK(mode) else "file"

files, ndirs = [], 0
def walk(rel):
    global ndirs
    ndirs += 1
    path = os.path.join(mnt, rel) if rel != "." else mnt
    names = os.listdir(path)  # the mount's order, without . and ..
    got = strata_ls(rel)
    if got is None:
        return
    if [e["name"] for e in got] != names:
        errs.append("%s: strata ls lists %r, the mount %r" % (rel, [e["name"] for e in got][:8], names[:8]))
        return
    for e in got:
        p = os.path.join(path, e["name"])
        st = os.lstat(p)
        want = {"type": kind(st.st_mode), "size": st.st_size, "ino": st.st_ino,
                "mtime": datetime.datetime.fromtimestamp(st.st_mtime, datetime.timezone.utc)
                         .strftime("%Y-%m-%dT%H:%M:%SZ")}
        if stat.S_ISLNK(st.st_mode):
            want["target"] = os.readlink(p)
        have = {k: e.get(k) for k in want}
        if have != want:
            errs.append("%s/%s: strata ls says %r, the mount %r" % (rel, e["name"], have, want))
        sub = e["name"] if rel == "." else rel + "/" + e["name"]
        if stat.S_ISDIR(st.st_mode):
            walk(sub)
        elif stat.S_ISREG(st.st_mode):
            files.append(sub)

walk(".")
gens = [n for n in os.listdir(mnt) if n not in ("latest", "tables", "at", "db")]
if len(gens) != 3 or "2026-11-21T020000Z-002" not in gens:
    errs.append("generations %r" % gens)
# every file, in one strata cat: the concatenation equals the mount's, and
# the sizes (compared above) split it into the same files
want = b"".join(open(os.path.join(mnt, f), "rb").read() for f in files)
p = subprocess.run([strata, "cat", repo] + files, capture_output=True)
if p.returncode or p.stdout != want:
    errs.append("strata cat of %d files: exit %d, %d bytes, want %d: %s" %
                (len(files), p.returncode, len(p.stdout), len(want), p.stderr.decode(errors="replace")[:300]))
    for f in files:  # name the first file that differs
        one = subprocess.run([strata, "cat", repo, f], capture_output=True).stdout
        if one != open(os.path.join(mnt, f), "rb").read():
            errs.append("first file that differs: %s" % f)
            break
# paths the kernel would resolve: through latest, .., a trailing / and repeated /
newest = os.readlink(os.path.join(mnt, "latest"))
for rel, real in [("latest/big/big.csv", newest + "/big/big.csv"),
                  ("/latest//added/../added/added.csv", newest + "/added/added.csv"),
                  ("../latest/./generation.json", newest + "/generation.json"),
                  ("2026-11-20T020000Z/kv/../../latest/kv/schema.sql", newest + "/kv/schema.sql")]:
    one = subprocess.run([strata, "cat", repo, rel], capture_output=True)
    if one.returncode or one.stdout != open(os.path.join(mnt, real), "rb").read():
        errs.append("strata cat %r: exit %d, not the bytes of %s" % (rel, one.returncode, real))
for rel in ["latest", "latest/", "latest/big/.."]:
    got = strata_ls(rel)
    if got is not None and [e["name"] for e in got] != os.listdir(os.path.join(mnt, newest)):
        errs.append("strata ls %r is not the listing of %s" % (rel, newest))
print("# %d directories and %d files compared, %d bytes" % (ndirs, len(files), len(want)))
for e in errs[:20]:
    print("ERR:", e)
sys.exit(1 if errs else 0)
PYEOF

# text listing: one line per entry, a link with its target
"$STRATA" ls "$R" . >"$T/ls.txt" || fail "strata ls REPO ."
grep -q '^link  *22  2026-11-21T02:00:00Z  latest -> 2026-11-21T020000Z-002$' "$T/ls.txt" ||
    fail "strata ls REPO . does not show latest: $(cat "$T/ls.txt")"
[ "$(grep -c '^dir .*Z[-0-9]*/$' "$T/ls.txt")" -eq 3 ] || fail "strata ls REPO . does not list 3 generations: $(cat "$T/ls.txt")"
grep -q ' tables/$' "$T/ls.txt" && grep -q ' at/$' "$T/ls.txt" || fail "strata ls REPO . does not list tables/ and at/: $(cat "$T/ls.txt")"
"$STRATA" ls "$R" latest/big/big.csv >"$T/one.txt" || fail "strata ls of a file"
[ "$(wc -l <"$T/one.txt")" -eq 1 ] && grep -q " big.csv$" "$T/one.txt" || fail "strata ls of a file: $(cat "$T/one.txt")"

# errors: one line, status 1 (2 for usage), saying what is wrong (expect_err, lib.sh)
G=2026-11-20T020000Z
expect_err 1 "is not in the tree of" "$STRATA" cat "$R" $G/no-such-table/x.csv
expect_err 1 "is a directory; list it with 'strata ls" "$STRATA" cat "$R" $G/big
expect_err 1 "a file, not a directory" "$STRATA" cat "$R" $G/mixed/mixed.csv/x
expect_err 1 "a file, not a directory" "$STRATA" ls "$R" $G/generation.json/x
expect_err 1 "is not in the tree of" "$STRATA" ls "$R" 2026-11-21T020000Z/mixed
expect_err 2 "a path in the repository's tree is needed" "$STRATA" cat "$R"
expect_err 2 "too many arguments" "$STRATA" ls "$R" a b
expect_err 1 "is not a strata repository\|does not exist\|no such" "$STRATA" cat "$T/nope" x
# nothing above the top: .. at the top stays there
expect_err 1 "is not in the tree of" "$STRATA" cat "$R" ../../etc/passwd
echo ok
