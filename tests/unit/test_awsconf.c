/* Unit tests for lib/awsconf.c: AWS's shared credentials and config files. */
#include "check.h"
#include "testutil.h"

#include "strata/awsconf.h"

static bool is(const char *text, const char *sec, const char *key, int want_rc, const char *want)
{
	char *v = (char *)"untouched";
	int rc = aws_ini_get(text, strlen(text), sec, key, &v);
	bool ok = rc == want_rc && (want ? v && !strcmp(v, want) : v == NULL);
	if (!ok)
		fprintf(stderr, "[%s] %s: rc %d value '%s'\n", sec, key, rc, v ? v : "(null)");
	free(rc == 0 ? v : NULL);
	return ok;
}

int main(void)
{
	const char *creds =
		"# comment\n"
		"[default]\n"
		"aws_access_key_id = AKIDDEFAULT\n"
		"aws_secret_access_key=secret/with+chars=\n"
		"\n"
		"[ work ]\r\n"
		"  aws_access_key_id   =   AKIDWORK  \r\n"
		"; another comment\n"
		"aws_session_token = tok\n"
		"aws_access_key_id = AKIDWORK2\n"
		"[profile prod]\n"
		"region = eu-west-1\n"
		"s3 =\n"
		"  max_concurrent_requests = 20\n";
	CHECK(is(creds, "default", "aws_access_key_id", 0, "AKIDDEFAULT"));
	CHECK(is(creds, "default", "aws_secret_access_key", 0, "secret/with+chars="));
	CHECK(is(creds, "default", "aws_session_token", -ENOENT, NULL));
	CHECK(is(creds, "work", "aws_access_key_id", 0, "AKIDWORK2")); /* the last one counts */
	CHECK(is(creds, "work", "aws_session_token", 0, "tok"));
	CHECK(is(creds, "profile prod", "region", 0, "eu-west-1"));
	CHECK(is(creds, "prod", "region", -ENOENT, NULL));
	CHECK(is(creds, "missing", "region", -ENOENT, NULL));
	/* a nested value's lines are not keys of the section */
	CHECK(is(creds, "profile prod", "s3", 0, ""));
	CHECK(is(creds, "profile prod", "max_concurrent_requests", -ENOENT, NULL));
	CHECK(is("[profile dev]\nendpoint_url = http://s3.dev\ndynamodb =\n  endpoint_url = http://localhost:8000\nregion = r\n",
		 "profile dev", "endpoint_url", 0, "http://s3.dev"));
	CHECK(is("[profile dev]\ndynamodb =\n  endpoint_url = http://localhost:8000\nregion = r\n",
		 "profile dev", "region", 0, "r"));
	/* a key before any section belongs to none */
	CHECK(is("region = x\n[default]\n", "default", "region", -ENOENT, NULL));
	CHECK(is("[default\nregion = x\n", "default", "region", -EINVAL, NULL));
	CHECK(is("", "default", "region", -ENOENT, NULL));
	/* a NUL inside a value is refused, not cut short */
	{
		const char t[] = "[default]\nregion = a\0b\n";
		char *v = NULL;
		CHECK(aws_ini_get(t, sizeof(t) - 1, "default", "region", &v) == -EINVAL && !v);
	}
	/* no newline at the end */
	CHECK(is("[default]\nregion=us-east-2", "default", "region", 0, "us-east-2"));
	return check_done("unit-awsconf");
}
