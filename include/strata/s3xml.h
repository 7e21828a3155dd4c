/*
 * s3xml.h - reading the XML an S3 store answers with: ListObjectsV2 pages
 * and single elements (UploadId, error codes).  Pure functions over text
 * from the network, so that they can be fuzzed (tests/fuzz/fuzz_s3xml.c).
 */
#ifndef STRATA_S3XML_H
#define STRATA_S3XML_H

#include "strata/store.h"

/*
 * The text of the first <tag>...</tag> at or after *from in xml (a NUL-
 * terminated document), with XML's entities decoded (&amp; &lt; &gt; &quot;
 * &apos; &#N; &#xN;, digits only; a reference without digits, to NUL, to a
 * surrogate or past U+10FFFF becomes byte 0x01, so the text never holds a
 * NUL; any other '&...;' stays as it is); *from moves past it.  NULL if
 * there is none.  Caller frees.
 */
char *s3_xml_text(const char *xml, const char **from, const char *tag);

/*
 * One ListObjectsV2 page: for each <Key> that starts with prefix (and holds
 * no control byte), the rest of it cut after depth + 1 components, once
 * (*last, the name given before, carries over pages; caller frees it), is
 * given to fn, whose non-zero return stops the page and is returned.
 * *next_token: the continuation token when the page says it is truncated,
 * else NULL (caller frees).  -EBADMSG: not a ListBucketResult, or
 * truncated without a token.
 */
int s3_list_page(const char *xml, const char *prefix, unsigned depth, char **last,
		 store_list_fn fn, void *arg, char **next_token);

#endif
