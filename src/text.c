/*
 * text.c: text forms that scepd, scepadm and scepd-webhook share, so
 * that each program prints the same thing: lowercase hex, and the
 * request ID that scepadm(8) shows and a webhook receives as "_id".
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

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
