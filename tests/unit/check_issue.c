/*
 * check_issue.c: src/ca.c - the signer interface, issuance, CRLs and CA
 * creation.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "src/ca.h"
#include "src/server.h"
#include "tests/unit/testutil.h"

/* A CA signer made by ca_root_new() with a key of type t. */
static struct signer *
new_ca(enum ca_keytype t, int single)
{
	EVP_PKEY	*key;
	X509_NAME	*n;
	X509		*x;
	struct signer	*s;

	key = t == CA_KEY_RSA ? tu_rsa_key(2048) : ca_key_new(t, 0);
	ck_assert_ptr_nonnull(key);
	n = tu_name("O=scepd test,CN=Test CA");
	x = ca_root_new(key, n, TEST_NOW, 7300, 0, single);
	ck_assert_ptr_nonnull(x);
	s = signer_new(x, key);
	ck_assert_ptr_nonnull(s);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(key);
	return s;
}

/*
 * The id of CA signer ca computed here, apart from ca.c: lowercase hex
 * of the first 16 bytes of the SHA-256 of the SubjectPublicKeyInfo.
 */
static void
expected_id(const struct signer *ca, char id[CA_ID_LEN + 1])
{
	unsigned char	*der = NULL;
	unsigned char	 md[32];
	int		 len, i;

	len = i2d_PUBKEY(X509_get0_pubkey(signer_get0_cert(ca)), &der);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(),
	    NULL), 1);
	OPENSSL_free(der);
	for (i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
}

/* The one URI of the CRL distribution points of x, or NULL. */
static char *
crl_dp_uri(X509 *x)
{
	CRL_DIST_POINTS		*dps;
	DIST_POINT		*dp;
	GENERAL_NAME		*gn;
	char			*uri;

	dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	if (dps == NULL)
		return NULL;
	ck_assert_int_eq(sk_DIST_POINT_num(dps), 1);
	dp = sk_DIST_POINT_value(dps, 0);
	ck_assert_ptr_nonnull(dp->distpoint);
	ck_assert_int_eq(dp->distpoint->type, 0);	/* fullName */
	ck_assert_int_eq(sk_GENERAL_NAME_num(dp->distpoint->name.fullname),
	    1);
	gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0);
	ck_assert_int_eq(gn->type, GEN_URI);
	uri = strndup((const char *)ASN1_STRING_get0_data(gn->d.ia5),
	    (size_t)ASN1_STRING_length(gn->d.ia5));
	ck_assert_ptr_nonnull(uri);
	CRL_DIST_POINTS_free(dps);
	return uri;
}

/* Verify x against the CA certificate at time TEST_NOW + at. */
static int
verify_at(X509 *ca, X509 *x, time_t at, int purpose)
{
	X509_STORE	*st;
	X509_STORE_CTX	*ctx;
	int		 rc;

	st = X509_STORE_new();
	ck_assert_int_eq(X509_STORE_add_cert(st, ca), 1);
	ctx = X509_STORE_CTX_new();
	ck_assert_int_eq(X509_STORE_CTX_init(ctx, st, x, NULL), 1);
	X509_STORE_CTX_set_time(ctx, 0, TEST_NOW + at);
	if (purpose > 0)
		X509_STORE_CTX_set_purpose(ctx, purpose);
	rc = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return rc;
}

START_TEST(root_rsa_and_ec)
{
	enum ca_keytype	 t[] = { CA_KEY_RSA, CA_KEY_P256, CA_KEY_P384 };
	struct signer	*ca;
	X509		*x;
	BASIC_CONSTRAINTS *bc;
	uint32_t	 ku;

	ca = new_ca(t[_i], 0);
	x = signer_get0_cert(ca);
	ck_assert_int_eq(verify_at(x, x, 0, 0), 1);
	ck_assert_int_eq(X509_check_ca(x), 1);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	ck_assert_ptr_nonnull(bc);
	ck_assert_int_eq(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	ku = X509_get_key_usage(x);
	ck_assert(ku & KU_KEY_CERT_SIGN);
	ck_assert(ku & KU_CRL_SIGN);
	ck_assert(!(ku & KU_KEY_ENCIPHERMENT));
	ck_assert_int_eq(signer_is_rsa(ca), t[_i] == CA_KEY_RSA);
	signer_free(ca);
}
END_TEST

START_TEST(single_ca_usages)
{
	struct signer	*ca;
	uint32_t	 ku;

	ca = new_ca(CA_KEY_RSA, 1);
	ku = X509_get_key_usage(signer_get0_cert(ca));
	ck_assert(ku & KU_DIGITAL_SIGNATURE);
	ck_assert(ku & KU_KEY_ENCIPHERMENT);
	ck_assert(ku & KU_KEY_CERT_SIGN);
	signer_free(ca);
}
END_TEST

START_TEST(ra_under_ec_ca)
{
	struct signer	*ca;
	EVP_PKEY	*rakey;
	X509_NAME	*n;
	X509		*ra;

	ca = new_ca(CA_KEY_P256, 0);
	rakey = tu_rsa_key(2048);
	n = tu_name("CN=Test RA");
	ra = ca_ra_new(ca, rakey, n, TEST_NOW, 365);
	ck_assert_ptr_nonnull(ra);
	ck_assert_int_eq(verify_at(signer_get0_cert(ca), ra, 0, 0), 1);
	ck_assert_uint_eq(X509_get_key_usage(ra),
	    KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	ck_assert_int_eq(X509_check_ca(ra), 0);
	X509_free(ra);
	/* An RA key must be RSA. */
	EVP_PKEY_free(rakey);
	rakey = ca_key_new(CA_KEY_P256, 0);
	ck_assert_ptr_null(ca_ra_new(ca, rakey, n, TEST_NOW, 365));
	EVP_PKEY_free(rakey);
	X509_NAME_free(n);
	signer_free(ca);
}
END_TEST

START_TEST(issue_profile)
{
	struct signer	*ca;
	EVP_PKEY	*key;
	X509_NAME	*n;
	X509		*x;
	ASN1_INTEGER	*serial;
	GENERAL_NAMES	*sans, *got;
	GENERAL_NAME	*gn;
	ASN1_IA5STRING	*ia5;
	struct ca_issue	 p;
	char		 id[CA_ID_LEN + 1], want[128], *uri;

	ca = new_ca(CA_KEY_RSA, 0);
	key = tu_rsa_key(2048);
	n = tu_name("O=Devices,CN=device-1");
	sans = sk_GENERAL_NAME_new_null();
	ia5 = ASN1_IA5STRING_new();
	ASN1_STRING_set(ia5, "device-1.example.com", -1);
	gn = GENERAL_NAME_new();
	GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
	sk_GENERAL_NAME_push(sans, gn);
	memset(&p, 0, sizeof(p));
	p.subject = n;
	p.pubkey = key;
	p.sans = sans;
	p.profile = CONF_PROFILE_CLIENT;
	p.now = TEST_NOW;
	p.validity = 30 * 86400;
	p.crl_url = "http://127.0.0.1:8080/demo/crl";
	serial = ASN1_INTEGER_new();
	ck_assert_int_eq(ca_serial_new(serial), 1);
	ck_assert_int_ge(ASN1_STRING_length(serial), 8);
	x = ca_issue(ca, &p, serial);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(verify_at(signer_get0_cert(ca), x, 0,
	    X509_PURPOSE_SSL_CLIENT), 1);
	/* Not yet valid before, expired after the validity. */
	ck_assert_int_ne(verify_at(signer_get0_cert(ca), x, -3600, 0), 1);
	ck_assert_int_ne(verify_at(signer_get0_cert(ca), x, 31 * 86400, 0),
	    1);
	ck_assert_int_eq(ASN1_INTEGER_cmp(X509_get0_serialNumber(x), serial),
	    0);
	ck_assert_int_eq(X509_check_ca(x), 0);
	ck_assert_uint_eq(X509_get_key_usage(x),
	    KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
	ck_assert(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
	ck_assert(!(X509_get_extended_key_usage(x) & XKU_SSL_SERVER));
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(x));
	ck_assert_ptr_nonnull(X509_get0_authority_key_id(x));
	got = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(sk_GENERAL_NAME_num(got), 1);
	GENERAL_NAMES_free(got);
	/* The distribution point names the issuing CA (ca.h). */
	expected_id(ca, id);
	ck_assert_str_eq(signer_get0_id(ca), id);
	snprintf(want, sizeof(want), "http://127.0.0.1:8080/demo/crl?ca=%s",
	    id);
	uri = crl_dp_uri(x);
	ck_assert_str_eq(uri, want);
	free(uri);
	X509_free(x);
	ASN1_INTEGER_free(serial);
	GENERAL_NAMES_free(sans);
	X509_NAME_free(n);
	EVP_PKEY_free(key);
	signer_free(ca);
}
END_TEST

START_TEST(issue_capped_at_ca_expiry)
{
	struct signer	*ca;
	EVP_PKEY	*key;
	X509_NAME	*n;
	X509		*x;
	ASN1_INTEGER	*serial;
	struct ca_issue	 p;

	ca = new_ca(CA_KEY_P384, 0);
	key = tu_rsa_key(2048);
	n = tu_name("CN=long");
	memset(&p, 0, sizeof(p));
	p.subject = n;
	p.pubkey = key;
	p.profile = CONF_PROFILE_BOTH;
	p.now = TEST_NOW;
	p.validity = (time_t)40 * 365 * 86400;
	serial = ASN1_INTEGER_new();
	ck_assert_int_eq(ca_serial_new(serial), 1);
	x = ca_issue(ca, &p, serial);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(ASN1_TIME_compare(X509_get0_notAfter(x),
	    X509_get0_notAfter(signer_get0_cert(ca))), 0);
	ck_assert(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
	ck_assert(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
	X509_free(x);
	ASN1_INTEGER_free(serial);
	X509_NAME_free(n);
	EVP_PKEY_free(key);
	signer_free(ca);
}
END_TEST

/*
 * ca_issue() with the key as SPKI DER (the enrolment path) makes the same
 * certificate as with the EVP_PKEY: same SubjectPublicKeyInfo DER, key
 * usage by key type, a key that decodes and a certificate that verifies
 * once parsed back from its DER (as a client gets it).
 * Loop: 0 RSA, 1 EC P-256.
 */
START_TEST(issue_from_spki)
{
	struct signer	*ca;
	EVP_PKEY	*key, *got;
	X509_NAME	*n;
	X509		*a, *b, *c;
	ASN1_INTEGER	*serial;
	struct ca_issue	 p;
	unsigned char	*spki = NULL, *da = NULL, *db = NULL, *dc = NULL;
	const unsigned char *q;
	int		 spki_len, la, lb, lc;

	ca = new_ca(CA_KEY_RSA, 0);
	key = _i == 0 ? tu_rsa_key(2048) : ca_key_new(CA_KEY_P256, 0);
	ck_assert_ptr_nonnull(key);
	spki_len = i2d_PUBKEY(key, &spki);
	ck_assert_int_gt(spki_len, 0);
	n = tu_name("CN=spki");
	serial = ASN1_INTEGER_new();
	ck_assert_int_eq(ca_serial_new(serial), 1);
	memset(&p, 0, sizeof(p));
	p.subject = n;
	p.pubkey = key;
	p.profile = CONF_PROFILE_CLIENT;
	p.now = TEST_NOW;
	p.validity = 86400;
	a = ca_issue(ca, &p, serial);
	p.pubkey = NULL;
	p.spki = spki;
	p.spki_len = (size_t)spki_len;
	b = ca_issue(ca, &p, serial);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	/* Its key is not decoded in memory (ca.h): nothing to verify. */
	ck_assert_ptr_null(X509_get0_pubkey(b));
	ERR_clear_error();
	ck_assert_uint_eq(X509_get_key_usage(b), X509_get_key_usage(a));
	ck_assert_uint_eq(X509_get_key_usage(b), _i == 0 ?
	    KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT : KU_DIGITAL_SIGNATURE);
	/* Same SPKI DER; the parsed-back certificate carries the key. */
	la = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(a), &da);
	lb = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(b), &db);
	ck_assert_int_eq(la, spki_len);
	ck_assert_int_eq(lb, spki_len);
	ck_assert_mem_eq(db, spki, (size_t)spki_len);
	lc = i2d_X509(b, &dc);
	ck_assert_int_gt(lc, 0);
	q = dc;
	c = d2i_X509(NULL, &q, lc);
	ck_assert_ptr_nonnull(c);
	got = X509_get0_pubkey(c);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(EVP_PKEY_eq(got, key), 1);
	ck_assert_int_eq(verify_at(signer_get0_cert(ca), c, 0,
	    X509_PURPOSE_SSL_CLIENT), 1);

	/* Malformed or unexpected SPKIs are refused. */
	p.spki_len = (size_t)spki_len - 1;		/* truncated */
	ck_assert_ptr_null(ca_issue(ca, &p, serial));
	p.spki_len = 0;
	ck_assert_ptr_null(ca_issue(ca, &p, serial));
	ERR_clear_error();

	X509_free(a);
	X509_free(b);
	X509_free(c);
	OPENSSL_free(spki);
	OPENSSL_free(da);
	OPENSSL_free(db);
	OPENSSL_free(dc);
	ASN1_INTEGER_free(serial);
	X509_NAME_free(n);
	EVP_PKEY_free(key);
	signer_free(ca);
}
END_TEST

/* x's DER (OPENSSL_free), its length in *len. */
static unsigned char *
der_of(X509 *x, size_t *len)
{
	unsigned char	*der = NULL;
	int		 n;

	n = i2d_X509(x, &der);
	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	return der;
}

/*
 * ca_der_issued_by() against ca_cert_issued_by(): two CAs with one
 * subject (a rollover), a certificate with key identifiers from each
 * (decided by them), one without (decided by the signature), one of
 * another issuer name, and DER that is not one certificate.
 */
START_TEST(der_issued_by)
{
	struct signer	*ca[2];
	X509		*cert[2], *bare, *other, *ocert, *x;
	EVP_PKEY	*key, *okey, *cakey;
	X509_NAME	*n;
	ASN1_INTEGER	*serial;
	struct ca_issue	 p;
	unsigned char	*der, *junk;
	size_t		 len;
	int		 i, j;

	ca[0] = new_ca(CA_KEY_RSA, 0);
	ca[1] = new_ca(CA_KEY_P256, 0);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(
	    signer_get0_cert(ca[0])), X509_get_subject_name(
	    signer_get0_cert(ca[1]))), 0);
	key = ca_key_new(CA_KEY_P256, 0);
	okey = ca_key_new(CA_KEY_P256, 0);
	n = tu_name("CN=issued");
	serial = ASN1_INTEGER_new();
	ck_assert_int_eq(ca_serial_new(serial), 1);
	memset(&p, 0, sizeof(p));
	p.subject = n;
	p.pubkey = key;
	p.profile = CONF_PROFILE_CLIENT;
	p.now = TEST_NOW;
	p.validity = 86400;
	for (i = 0; i < 2; i++) {
		cert[i] = ca_issue(ca[i], &p, serial);
		ck_assert_ptr_nonnull(cert[i]);
		ck_assert_ptr_nonnull(X509_get0_authority_key_id(cert[i]));
	}
	/* No extensions at all: the signature decides (new_ca()'s key). */
	cakey = tu_rsa_key(2048);
	bare = tu_issue(key, "CN=bare", signer_get0_cert(ca[0]), cakey, 7,
	    TEST_NOW, 1);
	ck_assert_ptr_null(X509_get0_authority_key_id(bare));
	/* Another issuer name altogether. */
	other = tu_issue(okey, "CN=Other CA", NULL, okey, 1, TEST_NOW, 1);
	ocert = tu_issue(key, "CN=o", other, okey, 8, TEST_NOW, 1);

	for (i = 0; i < 2; i++) {
		for (j = 0; j < 2; j++) {
			der = der_of(cert[j], &len);
			ck_assert_int_eq(ca_der_issued_by(signer_get0_cert(
			    ca[i]), der, len), i == j);
			ck_assert_int_eq(ca_cert_issued_by(signer_get0_cert(
			    ca[i]), cert[j]), i == j);
			OPENSSL_free(der);
		}
		der = der_of(bare, &len);
		ck_assert_int_eq(ca_der_issued_by(signer_get0_cert(ca[i]), der,
		    len), i == 0);
		OPENSSL_free(der);
		der = der_of(ocert, &len);
		ck_assert_int_eq(ca_der_issued_by(signer_get0_cert(ca[i]), der,
		    len), 0);
		ck_assert_int_eq(ca_der_issued_by(other, der, len), 1);
		OPENSSL_free(der);
	}

	/* Truncated, a trailing byte, garbage, nothing. */
	der = der_of(cert[0], &len);
	x = signer_get0_cert(ca[0]);
	ck_assert_int_eq(ca_der_issued_by(x, der, len - 1), 0);
	junk = OPENSSL_malloc(len + 1);
	ck_assert_ptr_nonnull(junk);
	memcpy(junk, der, len);
	junk[len] = 0;
	ck_assert_int_eq(ca_der_issued_by(x, junk, len + 1), 0);
	memset(junk, 0x30, len);
	ck_assert_int_eq(ca_der_issued_by(x, junk, len), 0);
	ck_assert_int_eq(ca_der_issued_by(x, der, 0), 0);
	ck_assert_int_eq(ca_der_issued_by(x, NULL, 0), 0);
	ck_assert_int_eq(ERR_peek_error(), 0);
	OPENSSL_free(junk);
	OPENSSL_free(der);

	for (i = 0; i < 2; i++) {
		X509_free(cert[i]);
		signer_free(ca[i]);
	}
	X509_free(bare);
	X509_free(other);
	X509_free(ocert);
	X509_NAME_free(n);
	ASN1_INTEGER_free(serial);
	EVP_PKEY_free(key);
	EVP_PKEY_free(okey);
	EVP_PKEY_free(cakey);
}
END_TEST

START_TEST(serials_distinct)
{
	ASN1_INTEGER	*a, *b;
	int		 i;

	a = ASN1_INTEGER_new();
	b = ASN1_INTEGER_new();
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(ca_serial_new(a), 1);
		ck_assert_int_eq(ca_serial_new(b), 1);
		ck_assert_int_ne(ASN1_INTEGER_cmp(a, b), 0);
		ck_assert_int_eq(ASN1_STRING_length(a), 16);
		ck_assert_int_eq(a->type, V_ASN1_INTEGER);	/* positive */
	}
	ASN1_INTEGER_free(a);
	ASN1_INTEGER_free(b);
}
END_TEST

START_TEST(crl_signed_and_numbered)
{
	struct signer		*ca;
	X509_CRL		*crl;
	EVP_PKEY		*pub;
	ASN1_INTEGER		*num;
	const uint8_t		 s1[] = { 0x01, 0x02 }, s2[] = { 0x7f };
	struct ca_revoked	 rev[2] = {
		{ s1, sizeof(s1), TEST_NOW - 60, 1 },
		{ s2, sizeof(s2), TEST_NOW - 30, -1 },
	};

	ca = new_ca(CA_KEY_RSA, 0);
	crl = ca_crl_build(ca, rev, 2, 42, TEST_NOW, 7 * 86400);
	ck_assert_ptr_nonnull(crl);
	pub = X509_get_pubkey(signer_get0_cert(ca));
	ck_assert_int_eq(X509_CRL_verify(crl, pub), 1);
	EVP_PKEY_free(pub);
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 2);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
	ck_assert_ptr_nonnull(num);
	ck_assert_int_eq(ASN1_INTEGER_get(num), 42);
	ASN1_INTEGER_free(num);
	ck_assert_int_eq(X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_get_subject_name(signer_get0_cert(ca))), 0);
	X509_CRL_free(crl);
	/* An empty CRL is fine too. */
	crl = ca_crl_build(ca, NULL, 0, 1, TEST_NOW, 86400);
	ck_assert_ptr_nonnull(crl);
	X509_CRL_free(crl);
	signer_free(ca);
}
END_TEST

/*
 * After a rollover both CAs share their subject; the ids of their
 * distribution points still differ, and tenant_crl_ca() finds each.
 */
START_TEST(crl_ca_by_id)
{
	struct tenant		 t;
	const struct signer	*got;
	char			 id[CA_ID_LEN + 1];

	memset(&t, 0, sizeof(t));
	t.ca = new_ca(CA_KEY_RSA, 0);
	t.prev_ca = new_ca(CA_KEY_P256, 0);
	ck_assert_str_ne(signer_get0_id(t.ca), signer_get0_id(t.prev_ca));
	expected_id(t.prev_ca, id);
	ck_assert_int_eq(tenant_crl_ca(&t, id, CA_ID_LEN, &got), 1);
	ck_assert_ptr_eq(got, t.prev_ca);
	expected_id(t.ca, id);
	ck_assert_int_eq(tenant_crl_ca(&t, id, CA_ID_LEN, &got), 1);
	ck_assert_ptr_eq(got, t.ca);
	/* Well-formed, but no CA of this tenant: found nothing. */
	memset(id, 'f', CA_ID_LEN);
	ck_assert_int_eq(tenant_crl_ca(&t, id, CA_ID_LEN, &got), 1);
	ck_assert_ptr_null(got);
	signer_free(t.prev_ca);
	t.prev_ca = NULL;
	expected_id(t.ca, id);
	ck_assert_int_eq(tenant_crl_ca(&t, id, CA_ID_LEN, &got), 1);
	ck_assert_ptr_eq(got, t.ca);
	signer_free(t.ca);
}
END_TEST

/* Ids are exactly CA_ID_LEN lowercase hex digits, nothing else. */
START_TEST(crl_ca_id_syntax)
{
	struct tenant		 t;
	const struct signer	*got;
	char			 id[CA_ID_LEN + 2];

	memset(&t, 0, sizeof(t));
	t.ca = new_ca(CA_KEY_P256, 0);
	expected_id(t.ca, id);
	ck_assert_int_eq(ca_id_valid(id, CA_ID_LEN), 1);
	ck_assert_int_eq(ca_id_valid(id, CA_ID_LEN - 1), 0);
	ck_assert_int_eq(tenant_crl_ca(&t, id, CA_ID_LEN - 1, &got), 0);
	ck_assert_ptr_null(got);
	id[CA_ID_LEN] = '0';
	ck_assert_int_eq(tenant_crl_ca(&t, id, CA_ID_LEN + 1, &got), 0);
	id[CA_ID_LEN] = '\0';
	ck_assert_int_eq(ca_id_valid(id, 0), 0);
	ck_assert_int_eq(ca_id_valid("0123456789ABCDEF0123456789abcdef",
	    CA_ID_LEN), 0);
	ck_assert_int_eq(ca_id_valid("0123456789abcdeg0123456789abcdef",
	    CA_ID_LEN), 0);
	ck_assert_int_eq(ca_id_valid("%30123456789abcdef0123456789abcd",
	    CA_ID_LEN), 0);
	ck_assert_int_eq(ca_id_valid("0123456789abcdef0123456789abcd\0f",
	    CA_ID_LEN), 0);
	ck_assert_int_eq(ca_id_valid("0123456789abcdef0123456789abcdef",
	    CA_ID_LEN), 1);
	signer_free(t.ca);
}
END_TEST

START_TEST(signer_mismatch)
{
	X509		*x;
	EVP_PKEY	*k1, *k2;
	char		 err[256];

	k1 = tu_key("corpus/pki/ca.key");
	k2 = tu_key("corpus/pki/ra.key");
	x = tu_cert("corpus/pki/ca.crt");
	ck_assert_ptr_null(signer_new(x, k2));
	X509_free(x);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	ck_assert_ptr_null(signer_load("/nonexistent/ca.crt",
	    "/nonexistent/ca.key", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/ca.crt"));
}
END_TEST

static Suite *
issue_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("issue");
	tc = tcase_create("valid");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, root_rsa_and_ec, 0, 3);
	tcase_add_test(tc, single_ca_usages);
	tcase_add_test(tc, ra_under_ec_ca);
	tcase_add_test(tc, issue_profile);
	tcase_add_test(tc, issue_capped_at_ca_expiry);
	tcase_add_loop_test(tc, issue_from_spki, 0, 2);
	tcase_add_test(tc, serials_distinct);
	tcase_add_test(tc, der_issued_by);
	tcase_add_test(tc, crl_signed_and_numbered);
	tcase_add_test(tc, crl_ca_by_id);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_test(tc, signer_mismatch);
	tcase_add_test(tc, crl_ca_id_syntax);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(issue_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
