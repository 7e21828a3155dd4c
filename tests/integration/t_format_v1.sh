#!/bin/bash
# A format 1 repository (tests/fixtures/v1-repo, written by strata at commit
# 196beab; see tests/fixtures/make_v1_source.py) is read by this strata:
# indexed, listed, verified and mounted byte for byte against its source
# database.  A backup into it upgrades its config to format 2; old chunks
# are reused (same ids), new ones are framed, and every generation still
# reads back exactly.
. "$(dirname "$0")/lib.sh"
require_bins

FX=$(cd "$(dirname "$0")/../fixtures" && pwd)
R=$T/repo M=$T/mnt
cp -r "$FX/v1-repo" "$R"
mkdir -p "$R/tmp"   # git does not keep empty directories
cp "$FX/v1-source.db" "$T/v1.db"
grep -qx 'version = 1' "$R/config" || fail "fixture is not format 1"

"$STRATA" ls "$R" >"$T/ls.out" 2>&1 || fail "ls of a format 1 repository: $(cat "$T/ls.out")"
grep -q 2026-01-01T000000Z "$T/ls.out" || fail "generation missing: $(cat "$T/ls.out")"
"$STRATA" verify "$R" >"$T/verify.out" 2>&1 || fail "verify of a format 1 repository: $(cat "$T/verify.out")"
grep -qx 'version = 1' "$R/config" || fail "reading upgraded the config"
mount_fs "$R" "$M"
oracle compare-mount "$T/v1.db" "$M/2026-01-01T000000Z" || fail "format 1 generation differs from its source"
umount_fs "$M"

# an unchanged database (forced: the skip would not read it): format 4
# names chunks by their segments (FORMAT.md, Chunk bodies), so every chunk
# is stored once more, as SFC3, beside its format 1 copy
"$STRATA" backup "$R" "$T/v1.db" --at 2026-01-02T00:00:00Z --force >"$T/b1.out" 2>&1 ||
    fail "backup into a format 1 repository: $(cat "$T/b1.out")"
grep -q '(0 new)' "$T/b1.out" && fail "format 1 chunk ids taken for format 4 ones: $(cat "$T/b1.out")"
grep -qx 'version = 4' "$R/config" || fail "config not upgraded: $(cat "$R/config")"
grep -qx 'frame_size = 32768' "$R/config" || fail "config has no segment size: $(cat "$R/config")"

# changed rows: new chunks are framed, next to the format 1 ones
"$PY" - "$T/v1.db" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE orders SET note = 'changed, \"quoted\"' WHERE id % 97 = 0")
db.execute("INSERT INTO orders(id, customer, product, price, note, payload) VALUES (5000, 1, 'new', 1.5, NULL, x'00ff')")
db.execute("DELETE FROM kv WHERE k < 'key0100'")
db.commit()
PYEOF
"$STRATA" backup "$R" "$T/v1.db" --at 2026-01-03T00:00:00Z >"$T/b2.out" 2>&1 ||
    fail "second backup: $(cat "$T/b2.out")"
"$PY" - "$R" <<'PYEOF' || fail "expected both chunk formats in the repository"
import glob, struct, sys
kinds = {}
for p in glob.glob(sys.argv[1] + "/packs/*/*.pack"):
    data = open(p, "rb").read()
    ioff, count = struct.unpack_from("<QI", data, len(data) - 32)
    for i in range(count):
        off = struct.unpack_from("<Q", data, ioff + 48 * i + 16)[0]
        k = "framed" if data[off:off + 4] == b"SFC3" else "zstd" if data[off:off + 4] == b"\x28\xb5\x2f\xfd" else "?"
        kinds[k] = kinds.get(k, 0) + 1
print("# chunk bodies:", kinds)
sys.exit(0 if kinds.get("framed") and kinds.get("zstd") and "?" not in kinds else 1)
PYEOF
"$STRATA" verify "$R" >"$T/verify2.out" 2>&1 || fail "verify after upgrade: $(cat "$T/verify2.out")"
mount_fs "$R" "$M"
oracle compare-mount "$FX/v1-source.db" "$M/2026-01-01T000000Z" || fail "generation 1 differs after upgrade"
oracle compare-mount "$FX/v1-source.db" "$M/2026-01-02T000000Z" || fail "generation 2 differs"
oracle compare-mount "$T/v1.db" "$M/2026-01-03T000000Z" || fail "generation 3 (mixed chunk formats) differs"
umount_fs "$M"

# a config from a future format is refused in one line
sed -i 's/^version = 4$/version = 5/' "$R/config"
"$STRATA" ls "$R" >"$T/ls3.out" 2>&1 && fail "format 5 accepted"
grep -q 'format version 5' "$T/ls3.out" && [ "$(wc -l <"$T/ls3.out")" = 1 ] ||
    fail "future format message: $(cat "$T/ls3.out")"
echo ok
