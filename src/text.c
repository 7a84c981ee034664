/*
 * text.c: text forms that scepd, scepadm and scepd-webhook share, so
 * that each program prints and reads the same thing: lowercase hex, the
 * request ID that scepadm(8) shows and a webhook receives as "_id", and
 * subjects in the slash form of openssl req -subj.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "src/extern.h"
#include "src/store.h"

static void
hex_digits(const uint8_t *p, size_t len, const char digits[16], char *out)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

void
hex_lower(const uint8_t *p, size_t len, char *out)
{
	hex_digits(p, len, "0123456789abcdef", out);
}

void
hex_upper(const uint8_t *p, size_t len, char *out)
{
	hex_digits(p, len, "0123456789ABCDEF", out);
}

void
reqid_text(const struct store_reqkey *k, char *buf, size_t bufsz)
{
	char	 tx[2 * STORE_TXID_MAX + 1], kh[2 * STORE_HASH_LEN + 1];

	hex_lower(k->txid, k->txid_len, tx);
	hex_lower(k->keyhash, STORE_HASH_LEN, kh);
	snprintf(buf, bufsz, "%.*s:%s:%.*s", STORE_TENANT_MAX, k->tenant, tx,
	    REQID_KEYHEX_MIN, kh);
}

X509_NAME *
dn_parse(const char *s, char *err, size_t errsz)
{
	X509_NAME	*n = NULL, *rc = NULL;
	char		*buf = NULL, *val, *w;
	const char	*p;

	if ((n = X509_NAME_new()) == NULL ||
	    (buf = malloc(strlen(s) + 1)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	p = (*s == '/') ? s + 1 : s;
	while (*p != '\0') {
		/* One "field=value" up to the next unescaped '/'. */
		w = buf;
		while (*p != '\0' && *p != '/') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				snprintf(err, errsz, "subject: control "
				    "character");
				goto out;
			}
			*w++ = *p++;
		}
		*w = '\0';
		if (*p == '/')
			p++;
		if ((val = strchr(buf, '=')) == NULL || val == buf ||
		    val[1] == '\0') {
			snprintf(err, errsz, "subject: expected /FIELD=value, "
			    "got '%s'", buf);
			goto out;
		}
		*val++ = '\0';
		if (!X509_NAME_add_entry_by_txt(n, buf, MBSTRING_UTF8,
		    (const unsigned char *)val, -1, -1, 0)) {
			snprintf(err, errsz, "subject: bad field '%s' or "
			    "value too long", buf);
			goto out;
		}
	}
	if (X509_NAME_entry_count(n) == 0) {
		snprintf(err, errsz, "subject: empty");
		goto out;
	}
	rc = n;
	n = NULL;
out:
	X509_NAME_free(n);
	free(buf);
	ERR_clear_error();
	return rc;
}
