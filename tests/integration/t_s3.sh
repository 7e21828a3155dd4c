#!/bin/bash
# A repository in a real S3 store (Ceph RGW on loopback, tests/integration/rgw.sh):
# init, backups over three days, ls, the mount compared file by file with the
# oracle, strata cat and restore against the source, the catalog cache deleted
# and rebuilt from the bucket giving the same view, verify, prune, a manifest
# never overwritten, multipart uploads of large packs, and one-line errors for
# bad credentials, a wrong secret and a bad URL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rgw.sh"
require_bins
rgw_start
rgw_mkbucket strata-t1

export XDG_CACHE_HOME=$T/cache
R=s3://strata-t1/shop/repo M=$T/mnt DB=$T/shop.db

"$STRATA" init "$R" --chunk-size 16384 >"$T/init.out" || fail "init of $R"
grep -q "initialized empty strata repository in $R" "$T/init.out" || fail "init said: $(cat "$T/init.out")"
expect_err 1 "already a strata repository" "$STRATA" init "$R"

oracle make-shop "$DB" --day 1 --orders 20000
cp "$DB" "$T/day1.db"
"$STRATA" backup "$R" "$DB" --at 2026-11-20T02:00:00Z --label day1 >/dev/null || fail "backup 1"
oracle make-shop "$DB" --day 2
cp "$DB" "$T/day2.db"
"$STRATA" backup "$R" "$DB" --at 2026-11-21T02:00:00Z >/dev/null || fail "backup 2"
oracle make-shop "$DB" --day 3
cp "$DB" "$T/day3.db"
"$STRATA" backup "$R" "$DB" --at 2026-11-22T02:00:00Z >/dev/null || fail "backup 3"
G1=2026-11-20T020000Z G2=2026-11-21T020000Z G3=2026-11-22T020000Z

# bucket_keys: "key size etag" of every object in the bucket (one listing page is plenty here)
bucket_keys() {
    rgw_curl "$RGW_ENDPOINT/strata-t1?list-type=2" >"$T/list.xml" || fail "listing the bucket"
    "$PY" - "$T/list.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
assert root.findtext(ns + "IsTruncated") != "true", "test bug: more than one page"
for c in root.iter(ns + "Contents"):
    print(c.findtext(ns + "Key"), c.findtext(ns + "Size"), c.findtext(ns + "ETag").strip('"'))
PYEOF
}

# the objects are in the bucket, below the prefix, and nowhere else
bucket_keys | cut -d' ' -f1 >"$T/keys"
grep -q '^shop/repo/config$' "$T/keys" || fail "no config object: $(head "$T/keys")"
grep -q "^shop/repo/generations/$G3.gen\$" "$T/keys" || fail "no manifest of $G3"
grep -Eq '^shop/repo/packs/([0-9a-f]{2})/\1[0-9a-f]{30}\.pack$' "$T/keys" || fail "no pack objects"
if grep -v '^shop/repo/' "$T/keys" | grep -q .; then fail "objects outside the prefix: $(grep -v '^shop/repo/' "$T/keys" | head -3)"; fi
if grep -q '^shop/repo/locks/' "$T/keys"; then fail "a lock object left behind: $(grep locks/ "$T/keys")"; fi

"$STRATA" ls "$R" >"$T/ls.1" || fail "ls"
[ "$(grep -c '^2026-11-2' "$T/ls.1")" = 3 ] || fail "ls lists $(cat "$T/ls.1")"

# the mount: every file of every generation equals the oracle of its day
mount_fs "$R" "$M"
[ "$(readlink "$M/latest")" = "$G3" ] || fail "latest -> $(readlink "$M/latest")"
oracle compare-mount "$T/day1.db" "$M/$G1" || fail "generation 1 differs from its source"
oracle compare-mount "$T/day2.db" "$M/$G2" || fail "generation 2 differs from its source"
oracle compare-mount "$T/day3.db" "$M/$G3" || fail "generation 3 differs from its source"
(cd "$M" && find . -path ./tables -prune -o -path ./at -prune -o -path ./db -prune -o -type f -print0 |
    sort -z | xargs -0 md5sum) >"$T/view.1" || fail "reading the mount"
umount_fs "$M"

# strata cat serves the same bytes without a mount
"$STRATA" cat "$R" "$G2/orders/orders.csv" >"$T/cat.csv" || fail "cat"
want=$(grep " ./$G2/orders/orders.csv\$" "$T/view.1" | cut -d' ' -f1)
[ "$(md5sum <"$T/cat.csv" | cut -d' ' -f1)" = "$want" ] || fail "strata cat differs from the mount"

# restore: the database back, exactly
"$STRATA" restore "$R" "$G1" --to "$T/restored.db" >/dev/null || fail "restore"
same_db "$T/day1.db" "$T/restored.db" "restore of $G1 from S3"

# the catalog is a cache: deleted, it is rebuilt from the bucket, same view
cache=$(ls -d "$XDG_CACHE_HOME"/strata/*/catalog.db 2>/dev/null | head -1)
[ -n "$cache" ] || fail "no catalog cache under $XDG_CACHE_HOME/strata: $(find "$XDG_CACHE_HOME" | head)"
rm -rf "$XDG_CACHE_HOME"
"$STRATA" index "$R" >/dev/null || fail "index after the cache was deleted"
"$STRATA" ls "$R" >"$T/ls.2" || fail "ls after rebuild"
cmp -s "$T/ls.1" "$T/ls.2" || fail "ls differs after the rebuild: $(diff "$T/ls.1" "$T/ls.2")"
mount_fs "$R" "$M"
(cd "$M" && find . -path ./tables -prune -o -path ./at -prune -o -path ./db -prune -o -type f -print0 |
    sort -z | xargs -0 md5sum) >"$T/view.2" || fail "reading the mount after the rebuild"
umount_fs "$M"
cmp -s "$T/view.1" "$T/view.2" || fail "the mount differs after the catalog was rebuilt: $(diff "$T/view.1" "$T/view.2" | head -5)"

# the disk cache: bounded, and a damaged block in it is fetched again, never served
blocks=$(ls -d "$XDG_CACHE_HOME"/strata/*/blocks)
[ "$(du -sb "$blocks" | cut -f1)" -le $(( (1 << 30) )) ] || fail "test bug: a big disk cache"
rm -rf "$blocks"
mount_fs "$R" "$M" -o disk_cache=1M -o cache_size=1M
(cd "$M" && find . -path ./tables -prune -o -path ./at -prune -o -path ./db -prune -o -type f -print0 |
    sort -z | xargs -0 md5sum) >"$T/view.3" || fail "reading the mount with a 1M disk cache"
umount_fs "$M"
cmp -s "$T/view.1" "$T/view.3" || fail "the mount with a small disk cache differs"
used=$(find "$blocks" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
[ "$used" -gt 0 ] && [ "$used" -le $((1 << 20)) ] || fail "the 1M disk cache holds $used bytes"
for f in "$blocks"/*.[0-9]*; do
    printf '\xff\xff\xff\xff' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
done
mount_fs "$R" "$M" -o disk_cache=1M
(cd "$M" && find . -path ./tables -prune -o -path ./at -prune -o -path ./db -prune -o -type f -print0 |
    sort -z | xargs -0 md5sum) >"$T/view.4" || fail "reading the mount over a damaged disk cache"
umount_fs "$M"
cmp -s "$T/view.1" "$T/view.4" || fail "a damaged disk cache changed what the mount serves"

"$STRATA" verify "$R" >"$T/verify.out" 2>&1 || fail "verify: $(tail -3 "$T/verify.out")"
grep -q "no damage" "$T/verify.out" || fail "verify said: $(tail -2 "$T/verify.out")"

# a manifest is never overwritten: a second backup in the same second gets the next name
oracle make-shop "$DB" --day 4
"$STRATA" backup "$R" "$DB" --at 2026-11-22T02:00:00Z >"$T/b4.out" || fail "backup 4"
grep -q "$G3-002" "$T/b4.out" || fail "backup at the same time named: $(cat "$T/b4.out")"

# prune: generations and packs go, what stays is intact
"$STRATA" prune "$R" --keep-last 2 >"$T/prune.out" || fail "prune: $(cat "$T/prune.out")"
"$STRATA" ls "$R" | grep -c '^2026-11-2' | grep -qx 2 || fail "prune kept $("$STRATA" ls "$R")"
"$STRATA" verify "$R" --read-data >"$T/verify2.out" 2>&1 || fail "verify after prune: $(tail -3 "$T/verify2.out")"
bucket_keys | grep -q "generations/$G1.gen" && fail "the pruned manifest is still in the bucket"

# a large pack goes up in parts (5 MiB parts: the smallest S3 allows)
R2=s3://strata-t1/big
"$PY" - "$T/big.db" <<'PYEOF'
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)")
r = __import__("random").Random(7)
c.executemany("INSERT INTO blobs VALUES (?, ?)", ((i, r.randbytes(64 << 10)) for i in range(200)))
c.commit()
PYEOF
"$STRATA" init "$R2" --pack-size 64M --chunk-size 4M >/dev/null || fail "init $R2"
STRATA_S3_PART_SIZE=$((5 << 20)) "$STRATA" backup "$R2" "$T/big.db" >"$T/big.out" || fail "backup of 12.5 MiB of random blobs: $(cat "$T/big.out")"
bucket_keys | grep '^big/packs/' | sort -k2n | tail -1 >"$T/big.key"
read -r _ big etag <"$T/big.key"
[ "${big:-0}" -gt $((10 << 20)) ] || fail "test bug: no pack larger than two parts ($(cat "$T/big.key"))"
# S3 and RGW give a multipart object the ETag "<md5 of the parts' md5s>-<parts>"
parts=$(( (big + (5 << 20) - 1) / (5 << 20) ))
case $etag in *-"$parts") ;; *) fail "the $big-byte pack was not uploaded in $parts parts (ETag $etag)" ;; esac
"$STRATA" verify "$R2" --read-data >/dev/null || fail "verify of the multipart packs"
"$STRATA" cat "$R2" latest/blobs/blobs.csv | md5sum >"$T/big.md5"
oracle table-csv "$T/big.db" blobs | md5sum | cmp -s - "$T/big.md5" || fail "the blobs read back differ"

# credentials and endpoint from AWS's shared files, by profile, as the CLI reads them
mkdir -p "$T/home/.aws"
printf '[default]\naws_access_key_id = NOTTHEKEY\naws_secret_access_key = nope\n\n[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$T/home/.aws/credentials"
printf '[profile ci]\nregion = %s\nendpoint_url = %s\n' "$AWS_REGION" "$AWS_ENDPOINT_URL" >"$T/home/.aws/config"
noenv=(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION -u AWS_DEFAULT_REGION
       -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 HOME="$T/home")
"${noenv[@]}" AWS_PROFILE=ci "$STRATA" ls "$R" >"$T/ls.profile" || fail "ls with the ci profile"
cmp -s "$T/ls.profile" <("$STRATA" ls "$R") || fail "ls with the profile differs"
"${noenv[@]}" AWS_PROFILE=ci AWS_ENDPOINT_URL=http://127.0.0.1:1 STRATA_S3_RETRIES=1 "$STRATA" ls "$R" >/dev/null 2>&1 &&
    fail "AWS_ENDPOINT_URL did not win over the profile's endpoint_url"

# errors: one line, non-zero, no secret in them
expect_err 1 "no credentials" env -u AWS_ACCESS_KEY_ID -u AWS_PROFILE -u AWS_SHARED_CREDENTIALS_FILE \
    HOME="$T/nohome" "$STRATA" ls "$R"
AWS_SECRET_ACCESS_KEY=wrong-secret-0123456789 "$STRATA" ls "$R" >"$T/bad.out" 2>&1 && fail "ls with a wrong secret succeeded"
grep -q "403\|refused" "$T/bad.out" || fail "wrong secret said: $(cat "$T/bad.out")"
grep -q "wrong-secret" "$T/bad.out" && fail "the secret is in the message"
expect_err 1 "not a strata repository" "$STRATA" ls s3://strata-t1/nothing-here
expect_err 1 "not a usable S3 location" "$STRATA" ls "s3:///x"
expect_err 1 "the bucket does not exist" "$STRATA" init s3://no-such-bucket/r
expect_err 1 "the bucket does not exist" "$STRATA" ls s3://no-such-bucket/r
note "RGW start $RGW_START_SECONDS s"
