/*
 * Unit tests for lib/sigv4.c against AWS's published examples:
 *
 *  - the Signature Version 4 test suite ("aws-sig-v4-test-suite": service
 *    "service", region us-east-1, AKIDEXAMPLE, 20150830T123600Z).  Each case
 *    checks the canonical request (.creq), the string to sign (.sts) and the
 *    Authorization value (.authz) byte for byte.  Inputs are the suite's
 *    .req files, less the X-Amz-Date header, which the signer adds.
 *  - the "-unnormalized" cases of the newer suite (aws-c-auth's copy): S3
 *    signs the path as given, so these are the path cases that apply to us.
 *    The normalize-path cases of the old suite (get-relative,
 *    get-relative-relative, get-slash, get-slash-dot-slash,
 *    get-slash-pointless-dot, get-slashes) and the newer suite's
 *    "-normalized" ones are skipped: they remove dot segments and double
 *    slashes, which S3 must not do ("a//b" and "a/../b" are object keys).
 *    get-space and get-special-character of that folder involve no
 *    normalising and are kept.
 *  - post-sts-header-after is skipped: it adds X-Amz-Security-Token after
 *    signing, and this signer always signs the token (S3 wants it signed).
 *    Its .creq/.sts/.authz are those of post-vanilla, which is covered.
 *  - the four worked examples of the S3 documentation ("Authenticating
 *    Requests: Using the Authorization Header", examplebucket, 20130524).
 */
#include "check.h"
#include "strata/sigv4.h"

#include <stdlib.h>
#include <string.h>

#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define EMPTY SIGV4_EMPTY_SHA256
/* The suite's constant parts, to keep each case to what differs. */
#define HOST_H "host:example.amazonaws.com\n"
#define DATE_H "x-amz-date:20150830T123600Z\n"
#define STS(h) "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" h
#define AUTHZ(sh, sig)                                                                   \
	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, " \
	"SignedHeaders=" sh ", Signature=" sig
#define CREQ_GET(path, query, hdrs, sh) \
	"GET\n" path "\n" query "\n" hdrs "\n" sh "\n" EMPTY

/* Tokens of the suites, as published. */
#define STS_TOKEN                                                                            \
	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRX" \
	"mxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsbur" \
	"EDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPk" \
	"UL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
#define C_AUTH_TOKEN "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

#define UNRESERVED "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define UTF8_KEY "\xE1\x88\xB4" /* U+1234 */

#define HOST { "Host", "example.amazonaws.com" }

struct vec {
	const char *name;
	const char *method;
	const char *path;
	struct sigv4_param query[4];	/* ends at a NULL name */
	struct sigv4_header headers[6]; /* ends at a NULL name */
	const char *body;		/* hashed for the payload hash; NULL: empty */
	const char *token;
	const char *creq, *sts, *authz;
};

static const struct vec suite[] = {
	{ "get-vanilla", "GET", "/", { { 0 } }, { HOST }, NULL, NULL,
	  CREQ_GET("/", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"),
	  AUTHZ("host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") },
	{ "get-vanilla-query-order-key-case", "GET", "/",
	  { { "Param2", "value2" }, { "Param1", "value1" } }, { HOST }, NULL, NULL,
	  CREQ_GET("/", "Param1=value1&Param2=value2", HOST_H DATE_H, "host;x-amz-date"),
	  STS("816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"),
	  AUTHZ("host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500") },
	{ "get-vanilla-query-order-key", "GET", "/",
	  { { "Param1", "value2" }, { "Param1", "Value1" } }, { HOST }, NULL, NULL,
	  CREQ_GET("/", "Param1=Value1&Param1=value2", HOST_H DATE_H, "host;x-amz-date"),
	  STS("704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89"),
	  AUTHZ("host;x-amz-date", "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1") },
	{ "get-vanilla-query-order-value", "GET", "/",
	  { { "Param1", "value2" }, { "Param1", "value1" } }, { HOST }, NULL, NULL,
	  CREQ_GET("/", "Param1=value1&Param1=value2", HOST_H DATE_H, "host;x-amz-date"),
	  STS("c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606"),
	  AUTHZ("host;x-amz-date", "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694") },
	/* The .req sends the key already encoded; here it is the raw UTF-8 it stands for. */
	{ "get-vanilla-query-order-encoded", "GET", "/",
	  { { "Param-3", "Value3" }, { "Param", "Value2" }, { UTF8_KEY, "Value1" } }, { HOST },
	  NULL, NULL,
	  CREQ_GET("/", "%E1%88%B4=Value1&Param=Value2&Param-3=Value3", HOST_H DATE_H,
		   "host;x-amz-date"),
	  STS("868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71"),
	  AUTHZ("host;x-amz-date", "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac") },
	{ "get-vanilla-query-unreserved", "GET", "/", { { UNRESERVED, UNRESERVED } }, { HOST },
	  NULL, NULL,
	  CREQ_GET("/", UNRESERVED "=" UNRESERVED, HOST_H DATE_H, "host;x-amz-date"),
	  STS("c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177"),
	  AUTHZ("host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197") },
	{ "get-vanilla-utf8-query", "GET", "/", { { UTF8_KEY, "bar" } }, { HOST }, NULL, NULL,
	  CREQ_GET("/", "%E1%88%B4=bar", HOST_H DATE_H, "host;x-amz-date"),
	  STS("eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073"),
	  AUTHZ("host;x-amz-date", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04") },
	/* Despite its name the case has no empty key: its .req is "?Param1=value1". */
	{ "get-vanilla-empty-query-key", "GET", "/", { { "Param1", "value1" } }, { HOST }, NULL,
	  NULL, CREQ_GET("/", "Param1=value1", HOST_H DATE_H, "host;x-amz-date"),
	  STS("1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab"),
	  AUTHZ("host;x-amz-date", "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb") },
	{ "get-utf8", "GET", "/" UTF8_KEY, { { 0 } }, { HOST }, NULL, NULL,
	  CREQ_GET("/%E1%88%B4", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102"),
	  AUTHZ("host;x-amz-date", "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85") },
	{ "get-unreserved", "GET", "/" UNRESERVED, { { 0 } }, { HOST }, NULL, NULL,
	  CREQ_GET("/" UNRESERVED, "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9"),
	  AUTHZ("host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f") },
	/* normalize-path/get-space: nothing to normalise, only a space to encode. */
	{ "get-space", "GET", "/example space/", { { 0 } }, { HOST }, NULL, NULL,
	  CREQ_GET("/example%20space/", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86"),
	  AUTHZ("host;x-amz-date", "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741") },
	{ "get-special-character", "GET", "/example/$delete", { { 0 } }, { HOST }, NULL, NULL,
	  CREQ_GET("/example/%24delete", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("4053e45b5cef7cec5e17f736b1c12b3faf0388fd4c0bd24326386f132039ce5c"),
	  AUTHZ("host;x-amz-date", "a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27") },
	/* The newer suite's unnormalised paths: signed exactly as given, as S3 does. */
	{ "get-slash-unnormalized", "GET", "//", { { 0 } }, { HOST }, NULL, NULL,
	  CREQ_GET("//", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("80cb39203d058af815de2b79250ff56e1b73eb9b4718c86556cdc6f150c5d209"),
	  AUTHZ("host;x-amz-date", "c88bcd3d312d75078c0cd961d6deae3f4c754924b01669efcfcb439fd5e5b76e") },
	{ "get-slashes-unnormalized", "GET", "//example//", { { 0 } }, { HOST }, NULL, NULL,
	  CREQ_GET("//example//", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("528ec3105ee1f34ab014bb0a1a45da0ed2742a4fea3555149e5b4d5d201eb240"),
	  AUTHZ("host;x-amz-date", "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5") },
	{ "get-relative-unnormalized", "GET", "/example/..", { { 0 } }, { HOST }, NULL, NULL,
	  CREQ_GET("/example/..", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("0511f456aa502b456d135fcb9d749374a55228f9dbeedda1eacf659e05b0615b"),
	  AUTHZ("host;x-amz-date", "eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282") },
	{ "get-relative-relative-unnormalized", "GET", "/example1/example2/../..", { { 0 } },
	  { HOST }, NULL, NULL,
	  CREQ_GET("/example1/example2/../..", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("76115030c0f3ff06c20fdff5ceb6d5e0b835a1743e00b94fea7c7f381269437b"),
	  AUTHZ("host;x-amz-date", "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b") },
	{ "get-slash-dot-slash-unnormalized", "GET", "/./", { { 0 } }, { HOST }, NULL, NULL,
	  CREQ_GET("/./", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("d67825e2268bd77a97c7688b8d72c31a3c1855b309808505ba0a9747d2465aa7"),
	  AUTHZ("host;x-amz-date", "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145") },
	{ "get-slash-pointless-dot-unnormalized", "GET", "/./example", { { 0 } }, { HOST }, NULL,
	  NULL, CREQ_GET("/./example", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("73895e0e829507e28e39fd24669aedc2434a8e179e547e3c075b42921f952cdb"),
	  AUTHZ("host;x-amz-date", "beb03f223f7deae4146464f06e29eebbee9c8afbe15c290cf07aa8b119e14cff") },
	{ "get-space-unnormalized", "GET", "/example space/", { { 0 } }, { HOST }, NULL, NULL,
	  CREQ_GET("/example%20space/", "", HOST_H DATE_H, "host;x-amz-date"),
	  STS("63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86"),
	  AUTHZ("host;x-amz-date", "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741") },
	{ "get-header-key-duplicate", "GET", "/", { { 0 } },
	  { HOST, { "My-Header1", "value2" }, { "My-Header1", "value2" }, { "My-Header1", "value1" } },
	  NULL, NULL,
	  CREQ_GET("/", "", HOST_H "my-header1:value2,value2,value1\n" DATE_H,
		   "host;my-header1;x-amz-date"),
	  STS("dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c"),
	  AUTHZ("host;my-header1;x-amz-date",
		"c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea") },
	{ "get-header-value-order", "GET", "/", { { 0 } },
	  { HOST, { "My-Header1", "value4" }, { "My-Header1", "value1" }, { "My-Header1", "value3" },
	    { "My-Header1", "value2" } },
	  NULL, NULL,
	  CREQ_GET("/", "", HOST_H "my-header1:value4,value1,value3,value2\n" DATE_H,
		   "host;my-header1;x-amz-date"),
	  STS("31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86"),
	  AUTHZ("host;my-header1;x-amz-date",
		"08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01") },
	/* The value as the .req folds it over three lines. */
	{ "get-header-value-multiline", "GET", "/", { { 0 } },
	  { HOST, { "My-Header1", "value1\n  value2\n     value3" } }, NULL, NULL,
	  CREQ_GET("/", "", HOST_H "my-header1:value1 value2 value3\n" DATE_H,
		   "host;my-header1;x-amz-date"),
	  STS("e99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8"),
	  AUTHZ("host;my-header1;x-amz-date",
		"cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd") },
	{ "get-header-value-trim", "GET", "/", { { 0 } },
	  { HOST, { "My-Header1", " value1" }, { "My-Header2", " \"a   b   c\"" } }, NULL, NULL,
	  CREQ_GET("/", "", HOST_H "my-header1:value1\nmy-header2:\"a b c\"\n" DATE_H,
		   "host;my-header1;my-header2;x-amz-date"),
	  STS("a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7"),
	  AUTHZ("host;my-header1;my-header2;x-amz-date",
		"acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736") },
	{ "post-vanilla", "POST", "/", { { 0 } }, { HOST }, NULL, NULL,
	  "POST\n/\n\n" HOST_H DATE_H "\nhost;x-amz-date\n" EMPTY,
	  STS("553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87"),
	  AUTHZ("host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b") },
	{ "post-header-key-sort", "POST", "/", { { 0 } }, { HOST, { "My-Header1", "value1" } },
	  NULL, NULL,
	  "POST\n/\n\n" HOST_H "my-header1:value1\n" DATE_H "\nhost;my-header1;x-amz-date\n" EMPTY,
	  STS("9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65"),
	  AUTHZ("host;my-header1;x-amz-date",
		"c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c") },
	{ "post-header-value-case", "POST", "/", { { 0 } }, { HOST, { "My-Header1", "VALUE1" } },
	  NULL, NULL,
	  "POST\n/\n\n" HOST_H "my-header1:VALUE1\n" DATE_H "\nhost;my-header1;x-amz-date\n" EMPTY,
	  STS("d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93"),
	  AUTHZ("host;my-header1;x-amz-date",
		"cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d") },
	{ "post-vanilla-query", "POST", "/", { { "Param1", "value1" } }, { HOST }, NULL, NULL,
	  "POST\n/\nParam1=value1\n" HOST_H DATE_H "\nhost;x-amz-date\n" EMPTY,
	  STS("9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd"),
	  AUTHZ("host;x-amz-date", "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11") },
	{ "post-x-www-form-urlencoded", "POST", "/", { { 0 } },
	  { { "Content-Type", "application/x-www-form-urlencoded" }, HOST }, "Param1=value1", NULL,
	  "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n" HOST_H DATE_H
	  "\ncontent-type;host;x-amz-date\n"
	  "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
	  STS("42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281"),
	  AUTHZ("content-type;host;x-amz-date",
		"ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a") },
	{ "post-x-www-form-urlencoded-parameters", "POST", "/", { { 0 } },
	  { { "Content-Type", "application/x-www-form-urlencoded; charset=utf8" }, HOST },
	  "Param1=value1", NULL,
	  "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\n" HOST_H DATE_H
	  "\ncontent-type;host;x-amz-date\n"
	  "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
	  STS("2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c"),
	  AUTHZ("content-type;host;x-amz-date",
		"1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe") },
	{ "post-sts-header-before", "POST", "/", { { 0 } }, { HOST }, NULL, STS_TOKEN,
	  "POST\n/\n\n" HOST_H DATE_H "x-amz-security-token:" STS_TOKEN "\n"
	  "\nhost;x-amz-date;x-amz-security-token\n" EMPTY,
	  STS("c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"),
	  AUTHZ("host;x-amz-date;x-amz-security-token",
		"85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead") },
	{ "get-vanilla-with-session-token", "GET", "/", { { 0 } }, { HOST }, NULL, C_AUTH_TOKEN,
	  CREQ_GET("/", "", HOST_H DATE_H "x-amz-security-token:" C_AUTH_TOKEN "\n",
		   "host;x-amz-date;x-amz-security-token"),
	  STS("067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b"),
	  AUTHZ("host;x-amz-date;x-amz-security-token",
		"07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8") },
};

static size_t count_params(const struct sigv4_param *p, size_t max)
{
	size_t n = 0;
	while (n < max && p[n].name)
		n++;
	return n;
}

static size_t count_headers(const struct sigv4_header *h, size_t max)
{
	size_t n = 0;
	while (n < max && h[n].name)
		n++;
	return n;
}

static void same(const char *what, const char *name, const char *got, const char *want)
{
	CHECKF(got && !strcmp(got, want), "%s %s:\n--- got\n%s\n--- want\n%s", name, what,
	       got ? got : "(null)", want);
}

/* The secret must not reach anything the signer hands back. */
static void no_secret(const struct sigv4_signed *s, const char *secret)
{
	CHECK(!strstr(s->authorization, secret));
	CHECK(!strstr(s->canonical_request, secret));
	CHECK(!strstr(s->string_to_sign, secret));
	for (size_t i = 0; i < s->nadd; i++)
		CHECK(!strstr(s->add[i].value, secret));
}

static const char *added(const struct sigv4_signed *s, const char *name)
{
	for (size_t i = 0; i < s->nadd; i++)
		if (!strcmp(s->add[i].name, name))
			return s->add[i].value;
	return NULL;
}

static void run_suite(void)
{
	for (size_t i = 0; i < sizeof(suite) / sizeof(suite[0]); i++) {
		const struct vec *v = &suite[i];
		struct sigv4_creds c = { "AKIDEXAMPLE", SUITE_SECRET, v->token, "us-east-1",
					 "service" };
		char hash[65];
		const char *body = v->body ? v->body : "";
		CHECK(sigv4_sha256_hex(body, strlen(body), hash) == 0);
		struct sigv4_request r = {
			.method = v->method,
			.path = v->path,
			.query = v->query,
			.nquery = count_params(v->query, 4),
			.headers = v->headers,
			.nheaders = count_headers(v->headers, 6),
			.payload_hash = hash,
			.amz_date = "20150830T123600Z",
		};
		struct sigv4_signed s;
		int rc = sigv4_sign(&c, &r, &s);
		CHECKF(rc == 0, "%s: sigv4_sign %d", v->name, rc);
		if (rc)
			continue;
		same("canonical request", v->name, s.canonical_request, v->creq);
		same("string to sign", v->name, s.string_to_sign, v->sts);
		same("authorization", v->name, s.authorization, v->authz);
		/* Not S3: no x-amz-content-sha256; the token only with one. */
		CHECKF(s.nadd == (v->token ? 2u : 1u), "%s: %zu added headers", v->name, s.nadd);
		same("x-amz-date", v->name, added(&s, "x-amz-date"), "20150830T123600Z");
		CHECK(!added(&s, "x-amz-content-sha256"));
		if (v->token)
			same("token", v->name, added(&s, "x-amz-security-token"), v->token);
		no_secret(&s, SUITE_SECRET);
		sigv4_signed_release(&s);
	}
}

/* ---- the S3 documentation's examples ---- */

#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_STS(h) "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" h
/*
 * The documentation prints the Authorization value without a space after
 * each ',' (the suite has one); S3 accepts both.  The signer writes the
 * suite's form, so the check is the same value with the suite's separators.
 */
#define S3_AUTHZ(sh, sig)                                                                    \
	"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " \
	"SignedHeaders=" sh ", Signature=" sig
#define S3_HOST_H "host:examplebucket.s3.amazonaws.com\n"
#define S3_DATE_H "x-amz-date:20130524T000000Z\n"

static const struct sigv4_creds s3creds = { "AKIAIOSFODNN7EXAMPLE", S3_SECRET, NULL,
					    "us-east-1", "s3" };

static void s3_case(const char *name, const struct sigv4_request *r, const char *creq,
		    const char *sts, const char *authz)
{
	struct sigv4_signed s;
	int rc = sigv4_sign(&s3creds, r, &s);
	CHECKF(rc == 0, "%s: sigv4_sign %d", name, rc);
	if (rc)
		return;
	same("canonical request", name, s.canonical_request, creq);
	same("string to sign", name, s.string_to_sign, sts);
	same("authorization", name, s.authorization, authz);
	CHECK(s.nadd == 2);
	same("x-amz-date", name, added(&s, "x-amz-date"), "20130524T000000Z");
	same("x-amz-content-sha256", name, added(&s, "x-amz-content-sha256"), r->payload_hash);
	CHECK(!added(&s, "x-amz-security-token"));
	no_secret(&s, S3_SECRET);
	sigv4_signed_release(&s);
}

static void s3_examples(void)
{
	const struct sigv4_header host = { "Host", "examplebucket.s3.amazonaws.com" };

	/* GET Object, first 10 bytes of test.txt. */
	struct sigv4_header get_h[] = { host, { "Range", "bytes=0-9" } };
	struct sigv4_request get = { .method = "GET", .path = "/test.txt", .headers = get_h,
				     .nheaders = 2, .payload_hash = EMPTY,
				     .amz_date = "20130524T000000Z" };
	s3_case("s3 GET Object", &get,
		"GET\n/test.txt\n\n" S3_HOST_H "range:bytes=0-9\nx-amz-content-sha256:" EMPTY
		"\n" S3_DATE_H "\nhost;range;x-amz-content-sha256;x-amz-date\n" EMPTY,
		S3_STS("7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"),
		S3_AUTHZ("host;range;x-amz-content-sha256;x-amz-date",
			 "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));

	/* PUT Object test$file.text, body "Welcome to Amazon S3.", RRS. */
	static const char body[] = "Welcome to Amazon S3.";
	char hash[65];
	CHECK(sigv4_sha256_hex(body, strlen(body), hash) == 0);
	CHECK(!strcmp(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"));
	struct sigv4_header put_h[] = { { "Date", "Fri, 24 May 2013 00:00:00 GMT" }, host,
					{ "x-amz-storage-class", "REDUCED_REDUNDANCY" } };
	struct sigv4_request put = { .method = "PUT", .path = "/test$file.text", .headers = put_h,
				     .nheaders = 3, .payload_hash = hash,
				     .amz_date = "20130524T000000Z" };
	s3_case("s3 PUT Object", &put,
		"PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n" S3_HOST_H
		"x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
		S3_DATE_H "x-amz-storage-class:REDUCED_REDUNDANCY\n"
		"\ndate;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
		"44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
		S3_STS("9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"),
		S3_AUTHZ("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
			 "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));

	/* GET Bucket Lifecycle: a parameter without a value signs as "lifecycle=". */
	struct sigv4_param lc_q[] = { { "lifecycle", NULL } };
	struct sigv4_request lc = { .method = "GET", .path = "/", .query = lc_q, .nquery = 1,
				    .headers = &host, .nheaders = 1, .payload_hash = EMPTY,
				    .amz_date = "20130524T000000Z" };
	s3_case("s3 GET Bucket Lifecycle", &lc,
		"GET\n/\nlifecycle=\n" S3_HOST_H "x-amz-content-sha256:" EMPTY "\n" S3_DATE_H
		"\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY,
		S3_STS("9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"),
		S3_AUTHZ("host;x-amz-content-sha256;x-amz-date",
			 "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));

	/* Get Bucket (List Objects) ?max-keys=2&prefix=J, given unsorted. */
	struct sigv4_param ls_q[] = { { "prefix", "J" }, { "max-keys", "2" } };
	struct sigv4_request ls = { .method = "GET", .path = "/", .query = ls_q, .nquery = 2,
				    .headers = &host, .nheaders = 1, .payload_hash = EMPTY,
				    .amz_date = "20130524T000000Z" };
	s3_case("s3 GET Bucket (List Objects)", &ls,
		"GET\n/\nmax-keys=2&prefix=J\n" S3_HOST_H "x-amz-content-sha256:" EMPTY "\n" S3_DATE_H
		"\nhost;x-amz-content-sha256;x-amz-date\n" EMPTY,
		S3_STS("df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"),
		S3_AUTHZ("host;x-amz-content-sha256;x-amz-date",
			 "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));

	/* A session token with S3: signed, and handed back to be sent. */
	struct sigv4_creds tc = s3creds;
	tc.session_token = "TOKEN/with+chars=";
	struct sigv4_signed s;
	CHECK(sigv4_sign(&tc, &ls, &s) == 0);
	CHECK(s.nadd == 3);
	same("token", "s3 token", added(&s, "x-amz-security-token"), "TOKEN/with+chars=");
	same("signed headers", "s3 token", s.signed_headers,
	     "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
	CHECK(strstr(s.canonical_request, "\nx-amz-security-token:TOKEN/with+chars=\n") != NULL);
	sigv4_signed_release(&s);
}

/* ---- encoding ---- */

static void enc_is(const char *in, size_t n, int keep_slash, const char *want)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "");
	sigv4_uri_encode(&b, in, n, keep_slash);
	CHECKF(!strcmp((char *)b.data, want), "encode '%s' (%d): got '%s', want '%s'", in,
	       keep_slash, (char *)b.data, want);
	buf_release(&b);
}

static void query_is(const struct sigv4_param *q, size_t n, const char *want)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "");
	sigv4_add_query(&b, q, n);
	CHECKF(!strcmp((char *)b.data, want), "query: got '%s', want '%s'", (char *)b.data, want);
	buf_release(&b);
}

static const char *creq_path(const char *path)
{
	static char line[256];
	struct sigv4_header h = { "host", "b.example" };
	struct sigv4_request r = { .method = "GET", .path = path, .headers = &h, .nheaders = 1,
				   .payload_hash = EMPTY, .amz_date = "20260101T000000Z" };
	struct sigv4_signed s;
	line[0] = 0;
	if (sigv4_sign(&s3creds, &r, &s))
		return "(error)";
	const char *p = strchr(s.canonical_request, '\n') + 1;
	size_t n = (size_t)(strchr(p, '\n') - p);
	if (n < sizeof(line)) {
		memcpy(line, p, n);
		line[n] = 0;
	}
	sigv4_signed_release(&s);
	return line;
}

static void encoding(void)
{
	enc_is("a b", 3, 1, "a%20b");
	enc_is("dir/sub dir/file", 16, 1, "dir/sub%20dir/file");
	enc_is("a/b", 3, 0, "a%2Fb");
	enc_is("~user", 5, 1, "~user");
	enc_is("-._~", 4, 0, "-._~");
	enc_is("caf\xC3\xA9", 5, 1, "caf%C3%A9"); /* uppercase hex */
	enc_is("\xff\x80", 2, 1, "%FF%80");	  /* bytes, not characters: no UTF-8 check */
	enc_is("a+b", 3, 1, "a%2Bb");
	enc_is("k=v", 3, 0, "k%3Dv");
	enc_is("100%", 4, 1, "100%25"); /* raw input: a '%' is data, encoded once */
	enc_is("a*b", 3, 1, "a%2Ab");
	enc_is("a\0b", 3, 1, "a%00b");
	enc_is("", 0, 1, "");

	/* The path as the canonical request has it: once encoded, not normalised. */
	CHECK(!strcmp(creq_path("/backups/gen 1/\xC3\xBC" "ber+x=y~.dat"),
		      "/backups/gen%201/%C3%BCber%2Bx%3Dy~.dat"));
	CHECK(!strcmp(creq_path("/a%20b"), "/a%2520b"));
	CHECK(!strcmp(creq_path("/a//b/../c/./"), "/a//b/../c/./"));
	CHECK(!strcmp(creq_path(""), "/"));
	CHECK(!strcmp(creq_path(NULL), "/"));

	struct sigv4_param q[] = {
		{ "prefix", "a b+c=d/e~" },
		{ "list-type", "2" },
		{ "delimiter", "/" },
		{ "uploads", NULL },
		{ "empty", "" },
		{ "\xC3\xA9t\xC3\xA9", "\xE2\x82\xAC" }, /* "été" = "€" */
	};
	query_is(q, 6,
		 "%C3%A9t%C3%A9=%E2%82%AC&delimiter=%2F&empty=&list-type=2&prefix=a%20b%2Bc%3Dd%2Fe~"
		 "&uploads=");
	query_is(q, 0, "");
	/* Sorted by encoded bytes: "%" (0x25) sorts before digits and letters. */
	struct sigv4_param q2[] = { { "b", "1" }, { "a", "2" }, { "a", "%" }, { "a", "1" } };
	query_is(q2, 4, "a=%25&a=1&a=2&b=1");
	/* Name then value: "a" before "a-b" although "a=" > "a-" byte-wise. */
	struct sigv4_param q3[] = { { "a-b", "1" }, { "a", "1" } };
	query_is(q3, 2, "a=1&a-b=1");
}

/* ---- hashing ---- */

static void hashing(void)
{
	char h[65], h2[65];
	CHECK(sigv4_sha256_hex("", 0, h) == 0 && !strcmp(h, EMPTY));
	CHECK(sigv4_sha256_hex("abc", 3, h) == 0 &&
	      !strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));

	/* Incremental in uneven pieces equals one shot. */
	static uint8_t data[100000];
	unsigned long long seed = 42;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)test_rand(&seed);
	CHECK(sigv4_sha256_hex(data, sizeof(data), h) == 0);
	struct sigv4_sha256 st;
	CHECK(sigv4_sha256_init(&st) == 0);
	size_t off = 0, step = 1;
	while (off < sizeof(data)) {
		size_t n = step < sizeof(data) - off ? step : sizeof(data) - off;
		CHECK(sigv4_sha256_update(&st, data + off, n) == 0);
		off += n;
		step = step * 3 + 1;
	}
	CHECK(sigv4_sha256_update(&st, "", 0) == 0);
	CHECK(sigv4_sha256_final(&st, h2) == 0);
	CHECK(!strcmp(h, h2));
	CHECK(st.ctx == NULL);
	/* After final the context is gone: using it fails rather than crashes. */
	CHECK(sigv4_sha256_update(&st, "x", 1) == -EIO);
	CHECK(sigv4_sha256_final(&st, h2) == -EIO);

	CHECK(sigv4_sha256_init(&st) == 0);
	CHECK(sigv4_sha256_update(&st, "abc", 3) == 0);
	sigv4_sha256_abort(&st);
	CHECK(st.ctx == NULL);
	sigv4_sha256_abort(&st); /* twice is harmless */
}

/* ---- refusals ---- */

static int sign_with(const struct sigv4_creds *c, const char *method, const char *path,
		     const struct sigv4_header *h, size_t nh, const char *hash, const char *date)
{
	struct sigv4_request r = { .method = method, .path = path, .headers = h, .nheaders = nh,
				   .payload_hash = hash, .amz_date = date };
	struct sigv4_signed s;
	int rc = sigv4_sign(c, &r, &s);
	if (!rc)
		sigv4_signed_release(&s);
	else
		CHECK(!s.authorization && !s.canonical_request && !s.nadd && !s.owned[0]);
	return rc;
}

static void refusals(void)
{
	const char *D = "20130524T000000Z";
	struct sigv4_header host = { "Host", "b" };
	struct sigv4_creds c = s3creds;

	CHECK(sign_with(&c, "GET", "/", &host, 1, EMPTY, D) == 0);
	CHECK(sign_with(&c, "GET", "/", &host, 1, SIGV4_UNSIGNED_PAYLOAD, D) == 0);
	CHECK(sign_with(&c, "GET", "/", &host, 1, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", D) == 0);

	/* No Host header. */
	struct sigv4_header range = { "Range", "bytes=0-1" };
	CHECK(sign_with(&c, "GET", "/", &range, 1, EMPTY, D) == -EINVAL);
	CHECK(sign_with(&c, "GET", "/", NULL, 0, EMPTY, D) == -EINVAL);
	/* Headers the signer adds itself, in any case. */
	const char *own[] = { "X-Amz-Date", "x-amz-content-sha256", "Authorization" };
	for (size_t i = 0; i < 3; i++) {
		struct sigv4_header h[] = { host, { own[i], "x" } };
		CHECKF(sign_with(&c, "GET", "/", h, 2, EMPTY, D) == -EINVAL, "%s", own[i]);
	}
	{
		struct sigv4_header h[] = { host, { "x-amz-security-token", "t" } };
		/* Without a session token it is just a header; with one it is ours. */
		CHECK(sign_with(&c, "GET", "/", h, 2, EMPTY, D) == 0);
		struct sigv4_creds t = c;
		t.session_token = "tok";
		CHECK(sign_with(&t, "GET", "/", h, 2, EMPTY, D) == -EINVAL);
		/* Not S3: x-amz-content-sha256 is the caller's to sign if it wants. */
		struct sigv4_creds o = c;
		o.service = "service";
		struct sigv4_header h2[] = { host, { "x-amz-content-sha256", EMPTY } };
		CHECK(sign_with(&o, "GET", "/", h2, 2, EMPTY, D) == 0);
	}
	/* Header names must be tokens; values must not smuggle a line. */
	const char *bad_names[] = { "My Header", "a:b", "", "x\n" };
	for (size_t i = 0; i < 4; i++) {
		struct sigv4_header h[] = { host, { bad_names[i], "v" } };
		CHECKF(sign_with(&c, "GET", "/", h, 2, EMPTY, D) == -EINVAL, "name %zu", i);
	}
	const char *bad_values[] = { "a\r\nX-Evil: 1", "a\nb", "a\rb", "a\r\n", "a\x01z",
				     "a\x7f", "end\n" };
	for (size_t i = 0; i < 7; i++) {
		struct sigv4_header h[] = { host, { "x-meta", bad_values[i] } };
		CHECKF(sign_with(&c, "GET", "/", h, 2, EMPTY, D) == -EINVAL, "value %zu", i);
	}
	{
		/* A fold (CRLF or LF, then blank) is one space; tabs are blanks. */
		struct sigv4_header h[] = { host, { "x-meta", "\t a\r\n\tb \t c  " } };
		struct sigv4_request r = { .method = "GET", .path = "/", .headers = h, .nheaders = 2,
					   .payload_hash = EMPTY, .amz_date = D };
		struct sigv4_signed s;
		CHECK(sigv4_sign(&c, &r, &s) == 0);
		CHECK(strstr(s.canonical_request, "\nx-meta:a b c\n") != NULL);
		sigv4_signed_release(&s);
		struct sigv4_header e[] = { host, { "x-empty", "   " } };
		r.headers = e;
		CHECK(sigv4_sign(&c, &r, &s) == 0);
		CHECK(strstr(s.canonical_request, "\nx-empty:\n") != NULL);
		sigv4_signed_release(&s);
	}
	/* Dates. */
	const char *bad_dates[] = { "20130524T000000", "20130524 000000Z", "2013-05-24T00:00:00Z",
				    "2013052AT000000Z", "", NULL };
	for (size_t i = 0; i < 6; i++)
		CHECKF(sign_with(&c, "GET", "/", &host, 1, EMPTY, bad_dates[i]) == -EINVAL, "date %zu",
		       i);
	/* Path, method, payload hash. */
	CHECK(sign_with(&c, "GET", "test.txt", &host, 1, EMPTY, D) == -EINVAL);
	CHECK(sign_with(&c, "", "/", &host, 1, EMPTY, D) == -EINVAL);
	CHECK(sign_with(&c, NULL, "/", &host, 1, EMPTY, D) == -EINVAL);
	CHECK(sign_with(&c, "GET /x", "/", &host, 1, EMPTY, D) == -EINVAL);
	CHECK(sign_with(&c, "GET", "/", &host, 1, "", D) == -EINVAL);
	CHECK(sign_with(&c, "GET", "/", &host, 1, NULL, D) == -EINVAL);
	CHECK(sign_with(&c, "GET", "/", &host, 1, "unsigned-payload", D) == -EINVAL);
	CHECK(sign_with(&c, "GET", "/", &host, 1, EMPTY "0", D) == -EINVAL); /* 65 digits */
	CHECK(sign_with(&c, "GET", "/", &host, 1,
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g", D) == -EINVAL);
	CHECK(sign_with(&c, "GET", "/", &host, 1, "abc def", D) == -EINVAL);
	/* Credential fields that would break the Credential= parameter. */
	const char *bad_fields[] = { "", "a/b", "a,b", "a b", "a=b", "a\nb" };
	for (size_t i = 0; i < 6; i++) {
		struct sigv4_creds x = c;
		x.access_key = bad_fields[i];
		CHECKF(sign_with(&x, "GET", "/", &host, 1, EMPTY, D) == -EINVAL, "key %zu", i);
		x = c;
		x.region = bad_fields[i];
		CHECKF(sign_with(&x, "GET", "/", &host, 1, EMPTY, D) == -EINVAL, "region %zu", i);
		x = c;
		x.service = bad_fields[i];
		CHECKF(sign_with(&x, "GET", "/", &host, 1, EMPTY, D) == -EINVAL, "service %zu", i);
	}
	struct sigv4_creds x = c;
	x.secret_key = "";
	CHECK(sign_with(&x, "GET", "/", &host, 1, EMPTY, D) == -EINVAL);
	x.secret_key = NULL;
	CHECK(sign_with(&x, "GET", "/", &host, 1, EMPTY, D) == -EINVAL);
	x = c;
	x.access_key = NULL;
	CHECK(sign_with(&x, "GET", "/", &host, 1, EMPTY, D) == -EINVAL);
	/* A query parameter without a name; counts without arrays. */
	struct sigv4_param nq = { NULL, "v" };
	struct sigv4_request r = { .method = "GET", .path = "/", .query = &nq, .nquery = 1,
				   .headers = &host, .nheaders = 1, .payload_hash = EMPTY,
				   .amz_date = D };
	struct sigv4_signed s;
	CHECK(sigv4_sign(&c, &r, &s) == -EINVAL);
	r.query = NULL;
	CHECK(sigv4_sign(&c, &r, &s) == -EINVAL);
	r.nquery = 0;
	r.headers = NULL;
	CHECK(sigv4_sign(&c, &r, &s) == -EINVAL);
	CHECK(sigv4_sign(NULL, &r, &s) == -EINVAL);
	CHECK(sigv4_sign(&c, NULL, &s) == -EINVAL);
}

int main(void)
{
	run_suite();
	s3_examples();
	encoding();
	hashing();
	refusals();
	return check_done("sigv4");
}
