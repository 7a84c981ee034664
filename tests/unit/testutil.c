/*
 * testutil.c: helpers shared by the Check suites.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tests/unit/testutil.h"

const char *
tu_datadir(void)
{
	const char	*d;

	if ((d = getenv("SCEP_TESTDATA")) == NULL || *d == '\0')
		d = "tests/data";
	return d;
}

static void
tu_path(const char *rel, char *buf, size_t sz)
{
	int	 n;

	if (rel[0] == '/')
		n = snprintf(buf, sz, "%s", rel);
	else
		n = snprintf(buf, sz, "%s/%s", tu_datadir(), rel);
	ck_assert_msg(n > 0 && (size_t)n < sz, "path too long: %s", rel);
}

uint8_t *
tu_read(const char *rel, size_t *len)
{
	char		 path[4096];
	FILE		*f;
	uint8_t		*buf = NULL;
	size_t		 cap = 0, n = 0, r;

	tu_path(rel, path, sizeof(path));
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			ck_assert_ptr_nonnull(buf);
		}
		r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	ck_assert_msg(!ferror(f), "read error %s", path);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

X509 *
tu_cert(const char *rel)
{
	char	 path[4096];
	BIO	*b;
	X509	*x;

	tu_path(rel, path, sizeof(path));
	b = BIO_new_file(path, "r");
	ck_assert_msg(b != NULL, "cannot open %s", path);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_msg(x != NULL, "no certificate in %s", path);
	return x;
}

EVP_PKEY *
tu_key(const char *rel)
{
	char		 path[4096];
	BIO		*b;
	EVP_PKEY	*k;

	tu_path(rel, path, sizeof(path));
	b = BIO_new_file(path, "r");
	ck_assert_msg(b != NULL, "cannot open %s", path);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	ck_assert_msg(k != NULL, "no key in %s", path);
	return k;
}

EVP_PKEY *
tu_rsa_key(int bits)
{
	static EVP_PKEY	*cached;
	EVP_PKEY	*k;

	if (bits == 2048 && cached != NULL) {
		EVP_PKEY_up_ref(cached);
		return cached;
	}
	k = EVP_RSA_gen((unsigned int)bits);
	ck_assert_ptr_nonnull(k);
	if (bits == 2048) {
		cached = k;
		EVP_PKEY_up_ref(cached);
	}
	return k;
}

EVP_PKEY *
tu_ec_key(void)
{
	EVP_PKEY	*k;

	k = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(k);
	return k;
}

X509_NAME *
tu_name(const char *s)
{
	X509_NAME	*n;
	char		*dup, *tok, *save = NULL, *eq;

	n = X509_NAME_new();
	ck_assert_ptr_nonnull(n);
	dup = strdup(s);
	ck_assert_ptr_nonnull(dup);
	for (tok = strtok_r(dup, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		eq = strchr(tok, '=');
		ck_assert_ptr_nonnull(eq);
		*eq = '\0';
		ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, tok,
		    MBSTRING_UTF8, (const unsigned char *)eq + 1, -1, -1, 0),
		    1);
	}
	free(dup);
	return n;
}

X509_REQ *
tu_csr(EVP_PKEY *key, const char *subject, const char *challenge)
{
	X509_REQ	*req;
	X509_NAME	*n;

	req = X509_REQ_new();
	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(X509_REQ_set_version(req, 0), 1);
	n = tu_name(subject);
	ck_assert_int_eq(X509_REQ_set_subject_name(req, n), 1);
	X509_NAME_free(n);
	ck_assert_int_eq(X509_REQ_set_pubkey(req, key), 1);
	if (challenge != NULL)
		ck_assert_int_eq(X509_REQ_add1_attr_by_NID(req,
		    NID_pkcs9_challengePassword, MBSTRING_UTF8,
		    (const unsigned char *)challenge, -1), 1);
	ck_assert_int_gt(X509_REQ_sign(req, key, EVP_sha256()), 0);
	return req;
}

X509 *
tu_issue(EVP_PKEY *key, const char *subject, X509 *issuer, EVP_PKEY *ikey,
    long serial, time_t now, int days)
{
	X509		*x;
	X509_NAME	*n;

	x = X509_new();
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), serial),
	    1);
	n = tu_name(subject);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	if (issuer == NULL)
		ck_assert_int_eq(X509_set_issuer_name(x, n), 1);
	else
		ck_assert_int_eq(X509_set_issuer_name(x,
		    X509_get_subject_name(issuer)), 1);
	X509_NAME_free(n);
	ck_assert_ptr_nonnull(X509_time_adj_ex(X509_getm_notBefore(x), 0,
	    -3600, &now));
	ck_assert_ptr_nonnull(X509_time_adj_ex(X509_getm_notAfter(x), days,
	    0, &now));
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	ck_assert_int_gt(X509_sign(x, issuer == NULL ? key : ikey,
	    EVP_sha256()), 0);
	return x;
}

struct scep_ctx *
tu_ctx(void)
{
	static struct scep_ctx	*ctx;

	if (ctx == NULL) {
		ck_assert_int_eq(scep_init(), 1);
		ctx = scep_ctx_new(NULL, NULL, 1);
		ck_assert_ptr_nonnull(ctx);
	}
	return ctx;
}

void
tu_policy_all(struct scep_policy *pol)
{
	pol->ciphers = (1u << SCEP_CIPHER__MAX) - 1;
	pol->digests = (1u << SCEP_DIGEST__MAX) - 1;
}

size_t
tu_tsv_split(char *line, char **fields, size_t max)
{
	size_t	 n = 0;
	char	*p = line, *t;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		fields[n++] = p;
		if ((t = strchr(p, '\t')) == NULL)
			break;
		*t = '\0';
		p = t + 1;
	}
	return n;
}
