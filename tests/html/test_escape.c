/*
 * test_escape.c - html__escape, the one escape of the HTML report: markup
 * characters become entities, valid UTF-8 passes, every other byte is shown
 * as the text \xNN; and html__write refuses a document of another schema.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report/html.h"

static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	html__escape(f, s);
	fclose(f);
	return buf;
}

static void expect(const char *in, const char *want)
{
	char *got = escaped(in);

	if (strcmp(got, want))
		fprintf(stderr, "escape(\"%s\") = \"%s\", want \"%s\"\n", in, got, want);
	CHECK(!strcmp(got, want));
	free(got);
}

int main(void)
{
	expect("plain /usr/lib/libc.so.6", "plain /usr/lib/libc.so.6");
	expect("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
	expect("a&amp;b", "a&amp;amp;b");
	expect("\"q\" 'q'", "&quot;q&quot; &#39;q&#39;");
	expect("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\x8d", "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\x8d");
	expect("bad\xff\xfe end", "bad\\xFF\\xFE end");
	expect("cut \xc3", "cut \\xC3");                         /* truncated sequence */
	expect("over\xc0\xaf", "over\\xC0\\xAF");                 /* overlong '/' */
	expect("surr\xed\xa0\x80", "surr\\xED\\xA0\\x80");        /* UTF-16 surrogate */
	expect("big\xf4\x90\x80\x80", "big\\xF4\\x90\\x80\\x80"); /* above U+10FFFF */
	expect("tab\tnl\n", "tab\\x09nl\\x0A");
	expect(NULL, "-");

	{
		cJSON *doc = cJSON_Parse("{\"schema\":\"other.report/2\"}");
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		CHECK(html__write(f, doc) == -EINVAL);
		fclose(f);
		CHECK(len == 0);        /* nothing written */
		free(buf);
		cJSON_Delete(doc);
	}
	return check_done();
}
