#!/bin/bash
# The S3 store the S3 repository tests run against (tests/integration/rgw.sh:
# a single-node Ceph RGW on loopback) does what they rely on: a bucket is
# created; an object PUT with a SigV4 signature and a checked payload hash
# reads back byte for byte; a range GET (bytes=2-5) returns exactly those
# bytes (206); a PUT with If-None-Match: * of an existing key is refused
# with 412 and leaves the object as it was; a request signed with a wrong
# secret is refused with 403, one whose body does not match its
# x-amz-content-sha256 with 400; ListObjectsV2 lists the key.  Needs no
# strata binary.  Every way out stops the cluster (lib.sh's at_exit).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/rgw.sh"

rgw_start
B=smoke-bucket K=dir/obj-1.bin
rgw_mkbucket "$B"

sha() { sha256sum -- "$1" | cut -d' ' -f1; }
# code OUT CURL-ARGS...: HTTP status of a signed request, body to OUT
code() {
    local out=$1; shift
    rgw_curl -o "$out" -w '%{http_code}' "$@" || echo "curl exit $?"
}

# a body with every byte value, NUL included
"$PY" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 40 + b"tail\n")' >"$T/obj"
c=$(code "$T/put.out" -T "$T/obj" -H "x-amz-content-sha256: $(sha "$T/obj")" "$RGW_ENDPOINT/$B/$K")
[ "$c" = 200 ] || fail "PUT $K: HTTP $c: $(head -c 400 "$T/put.out")"

c=$(code "$T/get" "$RGW_ENDPOINT/$B/$K")
[ "$c" = 200 ] || fail "GET $K: HTTP $c: $(head -c 400 "$T/get")"
cmp -s "$T/obj" "$T/get" || fail "GET $K: $(stat -c %s "$T/get") bytes differ from the $(stat -c %s "$T/obj") PUT"

c=$(code "$T/range" -H 'Range: bytes=2-5' "$RGW_ENDPOINT/$B/$K")
[ "$c" = 206 ] || fail "GET $K Range: bytes=2-5: HTTP $c, want 206"
cmp -s <(head -c 6 "$T/obj" | tail -c 4) "$T/range" ||
    fail "GET $K Range: bytes=2-5: got $(od -An -tx1 "$T/range" | head -c 100), want bytes 2..5"

# If-None-Match: * on an existing key: 412, and the object is unchanged
printf 'other bytes\n' >"$T/obj2"
c=$(code "$T/inm.out" -T "$T/obj2" -H "x-amz-content-sha256: $(sha "$T/obj2")" -H 'If-None-Match: *' \
    "$RGW_ENDPOINT/$B/$K")
[ "$c" = 412 ] || fail "PUT If-None-Match: * over an existing key: HTTP $c, want 412: $(head -c 400 "$T/inm.out")"
code "$T/get2" "$RGW_ENDPOINT/$B/$K" >/dev/null
cmp -s "$T/obj" "$T/get2" || fail "the refused conditional PUT changed $K"
# ... and on a new key it writes
c=$(code "$T/inm2.out" -T "$T/obj2" -H "x-amz-content-sha256: $(sha "$T/obj2")" -H 'If-None-Match: *' \
    "$RGW_ENDPOINT/$B/new-key")
[ "$c" = 200 ] || fail "PUT If-None-Match: * of a new key: HTTP $c: $(head -c 400 "$T/inm2.out")"

# a wrong secret: 403; a body that is not the one hashed: 400
c=$(curl -sS -o "$T/bad.out" -w '%{http_code}' --aws-sigv4 "aws:amz:$AWS_DEFAULT_REGION:s3" \
    --user "$AWS_ACCESS_KEY_ID:not-the-secret" -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    "$RGW_ENDPOINT/$B/$K") || true
[ "$c" = 403 ] || fail "GET signed with a wrong secret: HTTP $c, want 403"
grep -q SignatureDoesNotMatch "$T/bad.out" || fail "wrong secret: no SignatureDoesNotMatch: $(head -c 400 "$T/bad.out")"
c=$(code "$T/badsha.out" -T "$T/obj2" -H "x-amz-content-sha256: $(sha "$T/obj")" "$RGW_ENDPOINT/$B/other")
[ "$c" = 400 ] || fail "PUT whose body does not match x-amz-content-sha256: HTTP $c, want 400"

# ListObjectsV2 (query parameters sorted, as curl 7.88's SigV4 needs)
c=$(code "$T/list.xml" "$RGW_ENDPOINT/$B?list-type=2&prefix=dir%2F")
[ "$c" = 200 ] || fail "ListObjectsV2: HTTP $c: $(head -c 400 "$T/list.xml")"
"$PY" - "$T/list.xml" "$K" "$(stat -c %s "$T/obj")" <<'PYEOF' || fail "ListObjectsV2 of $B: $(head -c 600 "$T/list.xml")"
import sys, xml.etree.ElementTree as ET
ns = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
root = ET.parse(sys.argv[1]).getroot()
got = [(c.find("s3:Key", ns).text, int(c.find("s3:Size", ns).text)) for c in root.findall("s3:Contents", ns)]
want = [(sys.argv[2], int(sys.argv[3]))]
assert root.find("s3:KeyCount", ns).text == "1", "KeyCount"
assert got == want, f"keys {got}, want {want}"
PYEOF

note "RGW start-up ${RGW_START_SECONDS} s, $(($(rgw_rss_kb) / 1024)) MiB resident"
rgw_stop
[ ! -e "$T/rgw" ] || fail "rgw_stop left $T/rgw"
echo ok
