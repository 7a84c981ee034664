/*
 * b64.c: the GET "message=" decoder and a plain base64 encoder.
 *
 * RFC 8894 section 4.1 says a GET pkiMessage is base64 (RFC 4648
 * section 4) and then URI-escaped (RFC 3986).  Real clients differ
 * (INTEROP.md 2.5 row 1): Apple leaves '+' and '/' raw, so a form
 * decoder would turn '+' into a space; sscep breaks lines every 64
 * characters with "%0A"; micromdm scepclient 2.1.0 sends base64url;
 * certmonger percent-encodes everything.  The decoder below accepts all
 * of them and nothing else (STYLE.md B7).
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "scep/extern.h"

/* What one input character means to the decoder. */
enum b64_class {
	B64_DATA,	/* one of the 64 alphabet characters, mapped */
	B64_PAD,	/* '=' */
	B64_SKIP,	/* CR, LF, TAB: line breaks and folding */
	B64_BAD		/* anything else: refuse the whole value */
};

/* The value of a hexadecimal digit (either case), or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Read the next character of the percent-encoded value s[*i..len) and
 * advance *i past it.  "%XX" is one byte; a '%' not followed by two hex
 * digits is refused (return 0).  '+' stays '+': a query string is not a
 * form body, and Apple's raw '+' is base64's, not a space.
 */
static int
next_char(const char *s, size_t len, size_t *i, unsigned char *c)
{
	int	 hi, lo;

	if (s[*i] != '%') {
		*c = (unsigned char)s[*i];
		(*i)++;
		return 1;
	}
	if (len - *i < 3)
		return 0;
	if ((hi = hexval(s[*i + 1])) < 0 || (lo = hexval(s[*i + 2])) < 0)
		return 0;
	*c = (unsigned char)(hi << 4 | lo);
	*i += 3;
	return 1;
}

/*
 * Classify a percent-decoded character, mapping the variants onto the
 * standard alphabet in *c: a space (a form-decoded '+') and '-'
 * (base64url) become '+', '_' (base64url) becomes '/'.
 */
static enum b64_class
classify(unsigned char *c)
{
	if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
	    (*c >= '0' && *c <= '9') || *c == '+' || *c == '/')
		return B64_DATA;
	switch (*c) {
	case ' ':
	case '-':
		*c = '+';
		return B64_DATA;
	case '_':
		*c = '/';
		return B64_DATA;
	case '=':
		return B64_PAD;
	case '\r':
	case '\n':
	case '\t':
		return B64_SKIP;
	default:
		return B64_BAD;
	}
}

/*
 * One pass over the value.  With clean NULL only validate and count the
 * alphabet characters into *ndata and the '=' into *npad; with clean
 * set, also write the mapped alphabet characters there, at most cap.  '=' may only
 * come at the end (followed by nothing but more '=' and skipped white
 * space), at most two of them.  Returns 1 or 0 (refused).
 */
static int
scan(const char *value, size_t len, char *clean, size_t cap,
    size_t *ndata, size_t *npad)
{
	size_t		 i = 0;
	unsigned char	 c;

	*ndata = *npad = 0;
	while (i < len) {
		if (!next_char(value, len, &i, &c))
			return 0;
		switch (classify(&c)) {
		case B64_DATA:
			/* Data after padding: '=' in the middle. */
			if (*npad > 0)
				return 0;
			if (clean != NULL) {
				if (*ndata >= cap)
					return 0;
				clean[*ndata] = (char)c;
			}
			(*ndata)++;
			break;
		case B64_PAD:
			if (++(*npad) > 2)
				return 0;
			break;
		case B64_SKIP:
			break;
		case B64_BAD:
			return 0;
		}
	}
	return 1;
}

/*
 * Decode a GET "message=" value; see scep.h.  The value is scanned once
 * without allocating anything to validate it and count its characters,
 * the exact decoded size is checked against max_out, and only then is
 * the cleaned text (standard alphabet, padding restored) decoded with
 * EVP_DecodeBlock().  Returns 1 with *out filled, or 0.
 */
int
scep_message_decode(const char *value, size_t len, size_t max_out,
    struct scep_buf *out)
{
	char		*clean = NULL;
	uint8_t		*bin = NULL;
	size_t		 ndata, npad, check, rem, nout, ntext;
	int		 n, rc = 0;

	if (value == NULL || out == NULL || len == 0)
		goto out;

	/* Pass 1: validate and count; nothing allocated yet. */
	if (!scan(value, len, NULL, 0, &ndata, &npad))
		goto out;
	if (ndata == 0)
		goto out;

	/*
	 * RFC 4648 section 4: the last quantum has 2 or 3 characters (1 or
	 * 2 bytes) or is complete.  A lone character cannot encode a byte.
	 * Padding, when present, must complete the quantum exactly.
	 */
	rem = ndata % 4;
	if (rem == 1)
		goto out;
	if (npad > 0 && (rem == 0 || rem + npad != 4))
		goto out;
	nout = ndata / 4 * 3 + (rem == 0 ? 0 : rem - 1);
	if (nout > max_out)
		goto out;

	/* The padded text length must fit EVP_DecodeBlock()'s int. */
	ntext = ndata + (rem == 0 ? 0 : 4 - rem);
	if (ntext > INT_MAX)
		goto out;

	/* Pass 2: the cleaned, padded text. */
	if ((clean = OPENSSL_malloc(ntext + 1)) == NULL)
		goto out;
	if (!scan(value, len, clean, ndata, &check, &npad) ||
	    check != ndata)
		goto out;
	memset(clean + ndata, '=', ntext - ndata);
	clean[ntext] = '\0';

	/*
	 * EVP_DecodeBlock() writes 3 bytes per quantum, the padding
	 * included as zero bytes, and refuses any non-alphabet byte.
	 */
	if ((bin = OPENSSL_malloc(ntext / 4 * 3)) == NULL)
		goto out;
	n = EVP_DecodeBlock(bin, (const unsigned char *)clean, (int)ntext);
	if (n < 0 || (size_t)n != ntext / 4 * 3)
		goto out;

	scep_buf_free(out);
	out->data = bin;
	out->len = nout;
	bin = NULL;
	rc = 1;
out:
	OPENSSL_free(clean);
	OPENSSL_free(bin);
	return rc;
}

/*
 * Standard base64 (RFC 4648 section 4) of buf[0..len) without line
 * breaks, NUL-terminated; out->len excludes the NUL.  Returns 1 with
 * *out filled (free with scep_buf_free()), or 0.
 */
int
scep_base64_encode(const uint8_t *buf, size_t len, struct scep_buf *out)
{
	uint8_t		*text = NULL;
	size_t		 ntext;
	int		 n, rc = 0;

	if (out == NULL || (buf == NULL && len > 0))
		goto out;
	/* 4 characters per started group of 3, within an int. */
	if (len > (size_t)INT_MAX / 4 * 3 - 3)
		goto out;
	ntext = (len + 2) / 3 * 4;
	if ((text = OPENSSL_malloc(ntext + 1)) == NULL)
		goto out;
	n = EVP_EncodeBlock(text, buf, (int)len);
	if (n < 0 || (size_t)n != ntext)
		goto out;
	text[ntext] = '\0';

	scep_buf_free(out);
	out->data = text;
	out->len = ntext;
	text = NULL;
	rc = 1;
out:
	OPENSSL_free(text);
	return rc;
}
