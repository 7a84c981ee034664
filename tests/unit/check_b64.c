/*
 * check_b64.c: the GET "message=" decoder and the base64 encoder
 * (scep/b64.c, INTEROP.md 2.5 row 1, STYLE.md B7).
 *
 * Every captured GET query of the corpus decodes to its message file;
 * every variant a real client produces (raw '+' and '/', a space for
 * '+', %0A line breaks, base64url, missing padding, lower-case escapes)
 * decodes to the same bytes; anything else is refused.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/rand.h>

#include "scep/extern.h"
#include "tests/unit/testutil.h"

#define MAX_OUT		(1024 * 1024)

/* A small dynamic string for building query variants. */
struct str {
	char	*p;
	size_t	 len, cap;
};

static void
str_addn(struct str *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->p = realloc(s->p, s->cap);
		ck_assert_ptr_nonnull(s->p);
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void
str_add(struct str *s, const char *p)
{
	str_addn(s, p, strlen(p));
}

/* Decode the NUL-terminated v; returns the result of the decoder. */
static int
decode(const char *v, size_t max_out, struct scep_buf *out)
{
	return scep_message_decode(v, strlen(v), max_out, out);
}

/* Assert that v decodes to exactly want[0..wlen). */
static void
assert_decodes(const char *v, const uint8_t *want, size_t wlen)
{
	struct scep_buf	 out = { NULL, 0 };

	ck_assert_msg(decode(v, MAX_OUT, &out) == 1, "refused: %.80s", v);
	ck_assert_uint_eq(out.len, wlen);
	ck_assert_msg(memcmp(out.data, want, wlen) == 0, "wrong bytes: %.80s",
	    v);
	scep_buf_free(&out);
}

/* Assert that v is refused and *out left untouched. */
static void
assert_refused(const char *v)
{
	struct scep_buf	 out = { NULL, 0 };

	ck_assert_msg(decode(v, MAX_OUT, &out) == 0, "accepted: %s", v);
	ck_assert_ptr_null(out.data);
	ck_assert_uint_eq(out.len, 0);
}

/*
 * Every tests/data/corpus/messages/NAME.query: the value of its
 * "message" parameter (first in scepclient's query, second in the
 * others) decodes to messages/NAME.der (or .ber).
 */
START_TEST(test_corpus_queries)
{
	char		 dir[4096], rel[4096];
	DIR		*d;
	struct dirent	*de;
	struct scep_buf	 out = { NULL, 0 };
	uint8_t		*q, *want;
	const char	*v, *end;
	size_t		 qlen, wlen, n, count = 0;
	FILE		*f;

	snprintf(dir, sizeof(dir), "%s/corpus/messages", tu_datadir());
	d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 7 || strcmp(de->d_name + n - 6, ".query") != 0)
			continue;
		snprintf(rel, sizeof(rel), "corpus/messages/%s", de->d_name);
		q = tu_read(rel, &qlen);

		/* The message parameter, wherever it is. */
		if (strncmp((char *)q, "message=", 8) == 0)
			v = (char *)q + 8;
		else {
			v = strstr((char *)q, "&message=");
			ck_assert_msg(v != NULL, "%s: no message", rel);
			v += 9;
		}
		if ((end = strchr(v, '&')) == NULL)
			end = (char *)q + qlen;

		/* The message file of the same name, .der or .ber. */
		snprintf(rel, sizeof(rel), "%s/corpus/messages/%.*s.der",
		    tu_datadir(), (int)(n - 6), de->d_name);
		if ((f = fopen(rel, "rb")) == NULL)
			snprintf(rel, sizeof(rel),
			    "%s/corpus/messages/%.*s.ber", tu_datadir(),
			    (int)(n - 6), de->d_name);
		else
			fclose(f);
		want = tu_read(rel, &wlen);

		ck_assert_msg(scep_message_decode(v, (size_t)(end - v),
		    MAX_OUT, &out) == 1, "%s refused", de->d_name);
		ck_assert_msg(out.len == wlen &&
		    memcmp(out.data, want, wlen) == 0, "%s: wrong bytes",
		    de->d_name);
		/* The exact size is enough; one byte less is refused. */
		scep_buf_free(&out);
		ck_assert_int_eq(scep_message_decode(v, (size_t)(end - v),
		    wlen, &out), 1);
		scep_buf_free(&out);
		ck_assert_int_eq(scep_message_decode(v, (size_t)(end - v),
		    wlen - 1, &out), 0);
		free(want);
		free(q);
		count++;
	}
	closedir(d);
	/* README.md: ten messages went over GET. */
	ck_assert_uint_eq(count, 10);
}
END_TEST

/* RFC 4648 section 10 test vectors, both directions. */
START_TEST(test_rfc4648_vectors)
{
	static const struct {
		const char	*plain, *b64;
	} v[] = {
		{ "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	struct scep_buf	 out = { NULL, 0 };
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(scep_base64_encode(
		    (const uint8_t *)v[i].plain, strlen(v[i].plain), &out), 1);
		ck_assert_uint_eq(out.len, strlen(v[i].b64));
		ck_assert_str_eq((char *)out.data, v[i].b64);
		scep_buf_free(&out);
		assert_decodes(v[i].b64, (const uint8_t *)v[i].plain,
		    strlen(v[i].plain));
	}
	/* Empty input encodes to the empty string. */
	ck_assert_int_eq(scep_base64_encode((const uint8_t *)"", 0, &out), 1);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_str_eq((char *)out.data, "");
	scep_buf_free(&out);
}
END_TEST

/* Percent-encode every byte of s that is not alphanumeric. */
static void
pct_all(struct str *dst, const char *s, int lower)
{
	char	 esc[4];

	for (; *s != '\0'; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9')) {
			str_addn(dst, s, 1);
			continue;
		}
		snprintf(esc, sizeof(esc), lower ? "%%%02x" : "%%%02X",
		    (unsigned char)*s);
		str_add(dst, esc);
	}
}

/* Replace every character from with to (to may be a string). */
static void
subst(struct str *dst, const char *s, char from, const char *to)
{
	for (; *s != '\0'; s++) {
		if (*s == from)
			str_add(dst, to);
		else
			str_addn(dst, s, 1);
	}
}

/*
 * The variants of INTEROP.md 2.5 row 1, built from one encoding that
 * contains '+', '/' and padding, all decode to the same bytes.
 */
START_TEST(test_variants)
{
	uint8_t		 bin[301];
	struct scep_buf	 b64 = { NULL, 0 };
	struct str	 s = { NULL, 0, 0 }, t = { NULL, 0, 0 };
	const char	*e;
	size_t		 i, tries = 0;

	/* Random bytes whose encoding has '+', '/' and one '='. */
	do {
		scep_buf_free(&b64);
		ck_assert_int_eq(RAND_bytes(bin, sizeof(bin)), 1);
		ck_assert_int_eq(scep_base64_encode(bin, sizeof(bin), &b64),
		    1);
		e = (const char *)b64.data;
		ck_assert_uint_lt(++tries, 1000);
	} while (strchr(e, '+') == NULL || strchr(e, '/') == NULL);
	ck_assert_ptr_nonnull(strstr(e, "="));

	/* As is (Apple: raw '+' and '/'). */
	assert_decodes(e, bin, sizeof(bin));

	/* Fully percent-encoded (certmonger), upper and lower case. */
	s.len = 0;
	pct_all(&s, e, 0);
	ck_assert_ptr_nonnull(strstr(s.p, "%2B"));
	assert_decodes(s.p, bin, sizeof(bin));
	s.len = 0;
	pct_all(&s, e, 1);
	ck_assert_ptr_nonnull(strstr(s.p, "%2b"));
	assert_decodes(s.p, bin, sizeof(bin));

	/* A space for '+', raw or as %20 (a form decoder's damage). */
	s.len = 0;
	subst(&s, e, '+', " ");
	assert_decodes(s.p, bin, sizeof(bin));
	s.len = 0;
	subst(&s, e, '+', "%20");
	assert_decodes(s.p, bin, sizeof(bin));

	/* base64url (scepclient 2.1.0), with and without padding. */
	s.len = 0;
	subst(&s, e, '+', "-");
	t.len = 0;
	subst(&t, s.p, '/', "_");
	assert_decodes(t.p, bin, sizeof(bin));
	t.p[strcspn(t.p, "=")] = '\0';
	assert_decodes(t.p, bin, sizeof(bin));

	/* sscep: %0A after every 64 characters and at the end. */
	s.len = 0;
	for (i = 0; i < b64.len; i += 64) {
		str_addn(&s, e + i, b64.len - i < 64 ? b64.len - i : 64);
		str_add(&s, "%0A");
	}
	assert_decodes(s.p, bin, sizeof(bin));
	/* The same with raw CR LF and TAB. */
	s.len = 0;
	for (i = 0; i < b64.len; i += 64) {
		str_addn(&s, e + i, b64.len - i < 64 ? b64.len - i : 64);
		str_add(&s, i % 128 == 0 ? "\r\n" : "\t");
	}
	assert_decodes(s.p, bin, sizeof(bin));
	/* %0D%0A (lower-case escapes) between the padding characters. */
	s.len = 0;
	subst(&s, e, '=', "=%0d%0a");
	assert_decodes(s.p, bin, sizeof(bin));

	scep_buf_free(&b64);
	free(s.p);
	free(t.p);
}
END_TEST

/* Missing padding is restored for every length of the last quantum. */
START_TEST(test_missing_padding)
{
	uint8_t		 bin[16];
	struct scep_buf	 b64 = { NULL, 0 };
	char		*nopad;
	size_t		 n;

	for (n = 1; n <= sizeof(bin); n++) {
		ck_assert_int_eq(RAND_bytes(bin, (int)n), 1);
		ck_assert_int_eq(scep_base64_encode(bin, n, &b64), 1);
		nopad = strdup((char *)b64.data);
		ck_assert_ptr_nonnull(nopad);
		nopad[strcspn(nopad, "=")] = '\0';
		if (n % 3 != 0)
			ck_assert_uint_lt(strlen(nopad), b64.len);
		assert_decodes((char *)b64.data, bin, n);
		assert_decodes(nopad, bin, n);
		free(nopad);
		scep_buf_free(&b64);
	}
}
END_TEST

/* Encode then decode random data of every length up to 300 bytes. */
START_TEST(test_roundtrip)
{
	uint8_t		 bin[300];
	struct scep_buf	 b64 = { NULL, 0 }, dec = { NULL, 0 };
	size_t		 n;

	for (n = 1; n <= sizeof(bin); n++) {
		ck_assert_int_eq(RAND_bytes(bin, (int)n), 1);
		ck_assert_int_eq(scep_base64_encode(bin, n, &b64), 1);
		/* No line breaks, NUL-terminated, len without the NUL. */
		ck_assert_uint_eq(b64.len, (n + 2) / 3 * 4);
		ck_assert_uint_eq(strlen((char *)b64.data), b64.len);
		ck_assert_ptr_null(memchr(b64.data, '\n', b64.len));
		ck_assert_int_eq(scep_message_decode((char *)b64.data,
		    b64.len, n, &dec), 1);
		ck_assert_uint_eq(dec.len, n);
		ck_assert_mem_eq(dec.data, bin, n);
		scep_buf_free(&b64);
		scep_buf_free(&dec);
	}
}
END_TEST

/* Characters outside the alphabet and its variants are refused. */
START_TEST(test_bad_chars)
{
	assert_refused("Zm9v*mFy");
	assert_refused("Zm9v.mFy");
	assert_refused("Zm9v!mFy");
	assert_refused("Zm9v\"mFy");
	assert_refused("Zm9v\vmFy");
	assert_refused("Zm9v\x80mFy");
	/* A percent-encoded NUL, '%' and '&' are not base64 either. */
	assert_refused("Zm9v%00mFy");
	assert_refused("Zm9v%25mFy");
	assert_refused("Zm9v%26mFy");
	/* A NUL inside the given length. */
	{
		struct scep_buf	 out = { NULL, 0 };

		ck_assert_int_eq(scep_message_decode("Zm9v\0mFy", 8, MAX_OUT,
		    &out), 0);
	}
}
END_TEST

/* A '%' must be followed by two hex digits. */
START_TEST(test_bad_escape)
{
	assert_refused("Zm9v%");
	assert_refused("Zm9v%2");
	assert_refused("Zm9vYmFy%2");
	assert_refused("Zm9v%G0mFy");
	assert_refused("Zm9v%2GmFy");
	assert_refused("Zm9v% 2mFy");
	assert_refused("Zm9v%%2BmFy");
	/* Double encoding is not decoded twice. */
	assert_refused("Zm9v%252BmFy");
}
END_TEST

/* '=' only at the end, at most two, completing the quantum. */
START_TEST(test_bad_padding)
{
	assert_refused("Zg==Zm8=");
	assert_refused("Zm=9v");
	assert_refused("Zm9v=");
	assert_refused("Zg===");
	assert_refused("Zg=");
	assert_refused("Zm8==");
	assert_refused("Zm9v%3DYmFy");
	assert_refused("=");
	assert_refused("====");
	/* A lone character cannot carry a byte. */
	assert_refused("Zm9vY");
	assert_refused("Z");
}
END_TEST

/* Empty values, and values that hold nothing but white space. */
START_TEST(test_empty)
{
	struct scep_buf	 out = { NULL, 0 };

	ck_assert_int_eq(scep_message_decode("", 0, MAX_OUT, &out), 0);
	ck_assert_int_eq(scep_message_decode(NULL, 0, MAX_OUT, &out), 0);
	assert_refused("%0A%0D");
	assert_refused("\r\n");
}
END_TEST

/* max_out is checked on the exact decoded size, before decoding. */
START_TEST(test_max_out)
{
	uint8_t		 bin[100];
	struct scep_buf	 b64 = { NULL, 0 }, out = { NULL, 0 };
	struct str	 s = { NULL, 0, 0 };
	size_t		 i;

	ck_assert_int_eq(RAND_bytes(bin, sizeof(bin)), 1);
	ck_assert_int_eq(scep_base64_encode(bin, sizeof(bin), &b64), 1);
	ck_assert_int_eq(scep_message_decode((char *)b64.data, b64.len, 99,
	    &out), 0);
	ck_assert_ptr_null(out.data);
	ck_assert_int_eq(scep_message_decode((char *)b64.data, b64.len, 0,
	    &out), 0);
	ck_assert_int_eq(scep_message_decode((char *)b64.data, b64.len, 100,
	    &out), 1);
	ck_assert_uint_eq(out.len, 100);
	scep_buf_free(&out);

	/* Line breaks do not count against the limit. */
	for (i = 0; i < b64.len; i++) {
		str_addn(&s, (char *)b64.data + i, 1);
		str_add(&s, "%0A%0A%0A");
	}
	ck_assert_int_eq(scep_message_decode(s.p, s.len, 100, &out), 1);
	ck_assert_mem_eq(out.data, bin, sizeof(bin));
	scep_buf_free(&out);
	ck_assert_int_eq(scep_message_decode(s.p, s.len, 99, &out), 0);

	free(s.p);
	scep_buf_free(&b64);
}
END_TEST

static Suite *
b64_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("b64");

	tc = tcase_create("valid");
	tcase_add_test(tc, test_corpus_queries);
	tcase_add_test(tc, test_rfc4648_vectors);
	tcase_add_test(tc, test_variants);
	tcase_add_test(tc, test_missing_padding);
	tcase_add_test(tc, test_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_test(tc, test_bad_chars);
	tcase_add_test(tc, test_bad_escape);
	tcase_add_test(tc, test_bad_padding);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_max_out);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(b64_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
