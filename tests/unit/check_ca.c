/*
 * check_ca.c: the CA operation bodies of scep/ca.c: GetCACert (RFC 8894
 * section 4.2), GetNextCACert (4.7), GetCACaps (3.5) and the degenerate
 * certs-only SignedData (3.4) whose certificate order must survive
 * encoding (INTEROP.md 6.2).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "scep/extern.h"
#include "tests/unit/testutil.h"

#define CT_CA		"application/x-x509-ca-cert"
#define CT_CA_RA	"application/x-x509-ca-ra-cert"
#define CT_NEXT		"application/x-x509-next-ca-cert"

/*
 * Check that der is a certs-only SignedData holding exactly want[0..n)
 * in that order, no CRL, no SignerInfo, no eContent, and no trailing
 * bytes: once with the PKCS7 API (what sscep and certmonger use) and
 * once with the CMS API.
 */
static void
assert_degenerate(const uint8_t *der, size_t len, X509 **want, int n)
{
	const unsigned char	*p;
	PKCS7			*p7;
	CMS_ContentInfo		*cms;
	STACK_OF(X509)		*certs;
	ASN1_OCTET_STRING	**pos;
	int			 i;

	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(p7);
	ck_assert_ptr_eq(p, der + len);
	ck_assert_int_eq(OBJ_obj2nid(p7->type), NID_pkcs7_signed);
	ck_assert_int_eq(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info),
	    0);
	/* Content type data, content absent (RFC 8894 section 3.4). */
	ck_assert_int_eq(OBJ_obj2nid(p7->d.sign->contents->type),
	    NID_pkcs7_data);
	ck_assert_ptr_null(p7->d.sign->contents->d.data);
	/* An empty SET OF is absent: the stack is NULL (num -1). */
	ck_assert_int_eq(sk_X509_num(p7->d.sign->cert) < 0 ? 0 :
	    sk_X509_num(p7->d.sign->cert), n);
	for (i = 0; i < n; i++)
		ck_assert_msg(X509_cmp(sk_X509_value(p7->d.sign->cert, i),
		    want[i]) == 0, "PKCS7: certificate %d out of order", i);
	ck_assert_int_le(sk_X509_CRL_num(p7->d.sign->crl), 0);
	PKCS7_free(p7);

	p = der;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(cms);
	ck_assert_ptr_eq(p, der + len);
	ck_assert_int_eq(OBJ_obj2nid(CMS_get0_type(cms)), NID_pkcs7_signed);
	ck_assert_int_eq(sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms)),
	    0);
	ck_assert_int_eq(OBJ_obj2nid(CMS_get0_eContentType(cms)),
	    NID_pkcs7_data);
	pos = CMS_get0_content(cms);
	ck_assert_ptr_nonnull(pos);
	ck_assert_ptr_null(*pos);
	/* CMS_get1_certs() gives NULL when there is none. */
	certs = CMS_get1_certs(cms);
	ck_assert_int_eq(certs == NULL ? 0 : sk_X509_num(certs), n);
	for (i = 0; i < n; i++)
		ck_assert_msg(X509_cmp(sk_X509_value(certs, i), want[i]) == 0,
		    "CMS: certificate %d out of order", i);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
}

/* RFC 8894 section 4.2.1.1: a lone CA is its own DER. */
START_TEST(test_cacert_single)
{
	X509		*ca;
	struct scep_buf	 out = { NULL, 0 };
	const char	*ct = NULL;
	unsigned char	*der = NULL;
	int		 n;
	STACK_OF(X509)	*empty;

	ca = tu_cert("corpus/pki/ca.crt");
	n = i2d_X509(ca, &der);
	ck_assert_int_gt(n, 0);

	ck_assert_int_eq(scep_cacert_body(NULL, ca, NULL, &out, &ct), 1);
	ck_assert_str_eq(ct, CT_CA);
	ck_assert_uint_eq(out.len, (size_t)n);
	ck_assert_mem_eq(out.data, der, (size_t)n);
	scep_buf_free(&out);

	/* An empty chain is no chain. */
	empty = sk_X509_new_null();
	ck_assert_ptr_nonnull(empty);
	ct = NULL;
	ck_assert_int_eq(scep_cacert_body(NULL, ca, empty, &out, &ct), 1);
	ck_assert_str_eq(ct, CT_CA);
	ck_assert_uint_eq(out.len, (size_t)n);
	ck_assert_mem_eq(out.data, der, (size_t)n);
	scep_buf_free(&out);

	sk_X509_free(empty);
	OPENSSL_free(der);
	X509_free(ca);
}
END_TEST

/* With an RA: [RA, CA] in that order, x-x509-ca-ra-cert. */
START_TEST(test_cacert_ra)
{
	X509		*ca, *ra, *want[2];
	struct scep_buf	 out = { NULL, 0 };
	const char	*ct = NULL;

	ca = tu_cert("corpus/pki/ca.crt");
	ra = tu_cert("corpus/pki/ra.crt");
	ck_assert_int_eq(scep_cacert_body(ra, ca, NULL, &out, &ct), 1);
	ck_assert_str_eq(ct, CT_CA_RA);
	want[0] = ra;
	want[1] = ca;
	assert_degenerate(out.data, out.len, want, 2);
	scep_buf_free(&out);
	X509_free(ra);
	X509_free(ca);
}
END_TEST

/*
 * [RA, CA, chain] and, with no RA, [CA, chain]: both orders of the same
 * pair appear across the cases, so a sorting encoder (DER SET OF) would
 * get one of them wrong.
 */
START_TEST(test_cacert_chain)
{
	X509		*ca, *ra, *root, *want[3];
	EVP_PKEY	*cakey, *rk;
	STACK_OF(X509)	*chain;
	struct scep_buf	 out = { NULL, 0 };
	const char	*ct = NULL;

	ca = tu_cert("corpus/pki/ca.crt");
	cakey = tu_key("corpus/pki/ca.key");
	ra = tu_cert("corpus/pki/ra.crt");
	rk = tu_rsa_key(2048);
	root = tu_issue(rk, "CN=chain cert", ca, cakey, 77, TEST_NOW, 30);
	chain = sk_X509_new_null();
	ck_assert_ptr_nonnull(chain);
	ck_assert_int_gt(sk_X509_push(chain, root), 0);

	ck_assert_int_eq(scep_cacert_body(ra, ca, chain, &out, &ct), 1);
	ck_assert_str_eq(ct, CT_CA_RA);
	want[0] = ra;
	want[1] = ca;
	want[2] = root;
	assert_degenerate(out.data, out.len, want, 3);
	scep_buf_free(&out);

	/* RFC 8894 section 4.2.1.2: intermediates without an RA. */
	ct = NULL;
	ck_assert_int_eq(scep_cacert_body(NULL, ca, chain, &out, &ct), 1);
	ck_assert_str_eq(ct, CT_CA_RA);
	want[0] = ca;
	want[1] = root;
	assert_degenerate(out.data, out.len, want, 2);
	scep_buf_free(&out);

	/* The reverse pair order: [ca] with chain [ra]. */
	sk_X509_zero(chain);
	ck_assert_int_gt(sk_X509_push(chain, ra), 0);
	ck_assert_int_eq(scep_cacert_body(root, ca, chain, &out, &ct), 1);
	want[0] = root;
	want[1] = ca;
	want[2] = ra;
	assert_degenerate(out.data, out.len, want, 3);
	scep_buf_free(&out);

	sk_X509_free(chain);
	X509_free(root);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(cakey);
	X509_free(ra);
	X509_free(ca);
}
END_TEST

/* The degenerate builder: certificates and CRLs, and nothing at all. */
START_TEST(test_degenerate)
{
	X509		*ca, *ra, *want[2];
	EVP_PKEY	*cakey;
	X509_CRL	*crl;
	STACK_OF(X509)	*certs;
	STACK_OF(X509_CRL) *crls;
	struct scep_buf	 out = { NULL, 0 };
	const unsigned char *p;
	PKCS7		*p7;
	ASN1_TIME	*t;
	time_t		 now = TEST_NOW;

	ca = tu_cert("corpus/pki/ca.crt");
	cakey = tu_key("corpus/pki/ca.key");
	ra = tu_cert("corpus/pki/ra.crt");

	/* No certificate, no CRL: still a valid empty bundle. */
	ck_assert_int_eq(scep_degenerate_build(NULL, NULL, &out), 1);
	assert_degenerate(out.data, out.len, want, 0);
	scep_buf_free(&out);

	certs = sk_X509_new_null();
	ck_assert_ptr_nonnull(certs);
	ck_assert_int_gt(sk_X509_push(certs, ca), 0);
	ck_assert_int_gt(sk_X509_push(certs, ra), 0);
	ck_assert_int_eq(scep_degenerate_build(certs, NULL, &out), 1);
	want[0] = ca;
	want[1] = ra;
	assert_degenerate(out.data, out.len, want, 2);
	scep_buf_free(&out);

	/* One CRL, no certificate (the GetCRL reply's content). */
	crl = X509_CRL_new();
	ck_assert_ptr_nonnull(crl);
	ck_assert_int_eq(X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(ca)), 1);
	t = X509_time_adj_ex(NULL, 0, 0, &now);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(X509_CRL_set1_lastUpdate(crl, t), 1);
	ASN1_TIME_free(t);
	ck_assert_int_gt(X509_CRL_sign(crl, cakey, EVP_sha256()), 0);
	crls = sk_X509_CRL_new_null();
	ck_assert_ptr_nonnull(crls);
	ck_assert_int_gt(sk_X509_CRL_push(crls, crl), 0);
	ck_assert_int_eq(scep_degenerate_build(NULL, crls, &out), 1);
	p = out.data;
	p7 = d2i_PKCS7(NULL, &p, (long)out.len);
	ck_assert_ptr_nonnull(p7);
	ck_assert_ptr_eq(p, out.data + out.len);
	ck_assert_int_le(sk_X509_num(p7->d.sign->cert), 0);
	ck_assert_int_eq(sk_X509_CRL_num(p7->d.sign->crl), 1);
	ck_assert_int_eq(X509_CRL_cmp(sk_X509_CRL_value(p7->d.sign->crl, 0),
	    crl), 0);
	ck_assert_int_eq(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info),
	    0);
	ck_assert_ptr_null(p7->d.sign->contents->d.data);
	PKCS7_free(p7);
	scep_buf_free(&out);

	sk_X509_CRL_free(crls);
	X509_CRL_free(crl);
	sk_X509_free(certs);
	X509_free(ra);
	EVP_PKEY_free(cakey);
	X509_free(ca);
}
END_TEST

/*
 * Verify a GetNextCACert body against ca alone (the CA a client holds)
 * and check its content is the degenerate [next_ra, next_ca].  With
 * full set, the signer certificate is also path-validated against a
 * store holding only ca; else (a CA without digitalSignature, which
 * the S/MIME purpose check refuses) only the signature is checked and
 * the signer must be ca.
 */
static void
assert_nextca(const struct scep_buf *body, X509 *ca, X509 *next_ra,
    X509 *next_ca, int full)
{
	const unsigned char	*p = body->data;
	CMS_ContentInfo		*cms;
	X509_STORE		*store;
	STACK_OF(X509)		*signers;
	STACK_OF(CMS_SignerInfo) *sis;
	X509_ALGOR		*dig = NULL;
	BIO			*bout;
	char			*data;
	long			 n;
	X509			*want[2];

	cms = d2i_CMS_ContentInfo(NULL, &p, (long)body->len);
	ck_assert_ptr_nonnull(cms);
	ck_assert_ptr_eq(p, body->data + body->len);
	ck_assert_int_eq(OBJ_obj2nid(CMS_get0_eContentType(cms)),
	    NID_pkcs7_data);

	/* One signer, SHA-256 (RFC 8894 section 4.7.1). */
	sis = CMS_get0_SignerInfos(cms);
	ck_assert_int_eq(sk_CMS_SignerInfo_num(sis), 1);
	CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL,
	    &dig, NULL);
	ck_assert_ptr_nonnull(dig);
	ck_assert_int_eq(OBJ_obj2nid(dig->algorithm), NID_sha256);

	store = X509_STORE_new();
	ck_assert_ptr_nonnull(store);
	ck_assert_int_eq(X509_STORE_add_cert(store, ca), 1);
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), TEST_NOW);
	bout = BIO_new(BIO_s_mem());
	ck_assert_ptr_nonnull(bout);
	ck_assert_msg(CMS_verify(cms, NULL, store, NULL, bout,
	    CMS_BINARY | (full ? 0 : CMS_NO_SIGNER_CERT_VERIFY)) == 1,
	    "GetNextCACert signature does not verify");
	signers = CMS_get0_signers(cms);
	ck_assert_ptr_nonnull(signers);
	ck_assert_int_eq(sk_X509_num(signers), 1);
	ck_assert_int_eq(X509_cmp(sk_X509_value(signers, 0), ca), 0);
	sk_X509_free(signers);

	n = BIO_get_mem_data(bout, &data);
	ck_assert_int_gt(n, 0);
	if (next_ra != NULL) {
		want[0] = next_ra;
		want[1] = next_ca;
		assert_degenerate((uint8_t *)data, (size_t)n, want, 2);
	} else {
		want[0] = next_ca;
		assert_degenerate((uint8_t *)data, (size_t)n, want, 1);
	}
	BIO_free(bout);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);
}

/* GetNextCACert from an RSA CA, with and without a next RA. */
START_TEST(test_nextcacert_rsa)
{
	struct scep_ctx	*ctx = tu_ctx();
	X509		*ca, *next_ca, *next_ra, *corpus_ca;
	EVP_PKEY	*cakey, *nk, *corpus_key;
	struct scep_buf	 out = { NULL, 0 };
	const char	*ct = NULL;

	/* A CA without keyUsage passes the S/MIME purpose check. */
	cakey = tu_rsa_key(2048);
	ca = tu_issue(cakey, "CN=Current CA", NULL, NULL, 1, TEST_NOW, 30);
	/* Another RSA key than the cached one of tu_rsa_key(). */
	nk = tu_key("corpus/pki/ec-ra.key");
	next_ca = tu_issue(nk, "CN=Next CA", NULL, NULL, 2, TEST_NOW, 60);
	next_ra = tu_issue(nk, "CN=Next RA", next_ca, nk, 3, TEST_NOW, 60);

	ck_assert_int_eq(scep_nextcacert_body(ctx, ca, cakey, next_ra,
	    next_ca, &out, &ct), 1);
	ck_assert_str_eq(ct, CT_NEXT);
	assert_nextca(&out, ca, next_ra, next_ca, 1);
	scep_buf_free(&out);

	ck_assert_int_eq(scep_nextcacert_body(ctx, ca, cakey, NULL, next_ca,
	    &out, &ct), 1);
	assert_nextca(&out, ca, NULL, next_ca, 1);
	scep_buf_free(&out);

	/* The corpus CA (keyCertSign and cRLSign only). */
	corpus_ca = tu_cert("corpus/pki/ca.crt");
	corpus_key = tu_key("corpus/pki/ca.key");
	ck_assert_int_eq(scep_nextcacert_body(ctx, corpus_ca, corpus_key,
	    next_ra, next_ca, &out, &ct), 1);
	assert_nextca(&out, corpus_ca, next_ra, next_ca, 0);
	scep_buf_free(&out);

	EVP_PKEY_free(corpus_key);
	X509_free(corpus_ca);
	X509_free(next_ra);
	X509_free(next_ca);
	EVP_PKEY_free(nk);
	X509_free(ca);
	EVP_PKEY_free(cakey);
}
END_TEST

/* GetNextCACert from an EC P-256 CA: an ECDSA signature. */
START_TEST(test_nextcacert_ec)
{
	struct scep_ctx	*ctx = tu_ctx();
	X509		*ca, *next_ca, *next_ra;
	EVP_PKEY	*cakey, *nk, *rk;
	struct scep_buf	 out = { NULL, 0 };
	const char	*ct = NULL;

	cakey = tu_ec_key();
	ca = tu_issue(cakey, "CN=Current EC CA", NULL, NULL, 1, TEST_NOW,
	    30);
	nk = tu_ec_key();
	next_ca = tu_issue(nk, "CN=Next EC CA", NULL, NULL, 2, TEST_NOW, 60);
	rk = tu_rsa_key(2048);
	next_ra = tu_issue(rk, "CN=Next RA", next_ca, nk, 3, TEST_NOW, 60);

	ck_assert_int_eq(scep_nextcacert_body(ctx, ca, cakey, next_ra,
	    next_ca, &out, &ct), 1);
	ck_assert_str_eq(ct, CT_NEXT);
	assert_nextca(&out, ca, next_ra, next_ca, 1);
	scep_buf_free(&out);

	X509_free(next_ra);
	EVP_PKEY_free(rk);
	X509_free(next_ca);
	EVP_PKEY_free(nk);
	X509_free(ca);
	EVP_PKEY_free(cakey);
}
END_TEST

/* A body signed by another key does not verify against the CA. */
START_TEST(test_nextcacert_wrong_ca)
{
	struct scep_ctx	*ctx = tu_ctx();
	X509		*ca, *other, *next_ca;
	EVP_PKEY	*cakey, *okey;
	struct scep_buf	 out = { NULL, 0 };
	const char	*ct = NULL;
	const unsigned char *p;
	CMS_ContentInfo	*cms;
	X509_STORE	*store;

	cakey = tu_ec_key();
	ca = tu_issue(cakey, "CN=Current CA", NULL, NULL, 1, TEST_NOW, 30);
	okey = tu_ec_key();
	other = tu_issue(okey, "CN=Current CA", NULL, NULL, 1, TEST_NOW, 30);
	next_ca = tu_issue(okey, "CN=Next CA", NULL, NULL, 2, TEST_NOW, 60);
	ck_assert_int_eq(scep_nextcacert_body(ctx, other, okey, NULL, next_ca,
	    &out, &ct), 1);

	p = out.data;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)out.len);
	ck_assert_ptr_nonnull(cms);
	store = X509_STORE_new();
	ck_assert_ptr_nonnull(store);
	ck_assert_int_eq(X509_STORE_add_cert(store, ca), 1);
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), TEST_NOW);
	ck_assert_int_eq(CMS_verify(cms, NULL, store, NULL, NULL,
	    CMS_BINARY), 0);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);
	scep_buf_free(&out);

	/* Missing arguments are refused. */
	ck_assert_int_eq(scep_nextcacert_body(ctx, ca, cakey, NULL, NULL,
	    &out, &ct), 0);
	ck_assert_int_eq(scep_nextcacert_body(ctx, ca, NULL, NULL, next_ca,
	    &out, &ct), 0);
	ck_assert_int_eq(scep_cacert_body(NULL, NULL, NULL, &out, &ct), 0);
	ck_assert_ptr_null(out.data);

	X509_free(next_ca);
	X509_free(other);
	EVP_PKEY_free(okey);
	X509_free(ca);
	EVP_PKEY_free(cakey);
}
END_TEST

/* GetCACaps text: keywords in enum order, one per LF-ended line. */
START_TEST(test_caps_text)
{
	char		 buf[256];
	unsigned int	 all = (1u << SCEP_CAP__MAX) - 1, caps;
	int		 n;

	n = scep_caps_text(all, buf, sizeof(buf));
	ck_assert_str_eq(buf, "AES\nDES3\nGetNextCACert\nPOSTPKIOperation\n"
	    "Renewal\nSHA-1\nSHA-256\nSHA-512\nSCEPStandard\n");
	ck_assert_int_eq(n, (int)strlen(buf));

	caps = 1u << SCEP_CAP_AES | 1u << SCEP_CAP_SHA256 |
	    1u << SCEP_CAP_POSTPKIOPERATION | 1u << SCEP_CAP_SCEPSTANDARD;
	n = scep_caps_text(caps, buf, sizeof(buf));
	ck_assert_str_eq(buf, "AES\nPOSTPKIOperation\nSHA-256\nSCEPStandard\n");
	ck_assert_int_eq(n, (int)strlen(buf));

	n = scep_caps_text(1u << SCEP_CAP_RENEWAL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "Renewal\n");
	ck_assert_int_eq(n, 8);

	/* No capability: an empty body ("no caps", RFC 8894 3.5.1). */
	n = scep_caps_text(0, buf, sizeof(buf));
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(buf, "");

	/* Bits past the table are ignored. */
	n = scep_caps_text(1u << SCEP_CAP__MAX | 1u << SCEP_CAP_DES3, buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "DES3\n");
}
END_TEST

/* Round trip of every subset through text and parse. */
START_TEST(test_caps_roundtrip)
{
	char		 buf[256];
	unsigned int	 caps;
	int		 n;

	for (caps = 0; caps < (1u << SCEP_CAP__MAX); caps++) {
		n = scep_caps_text(caps, buf, sizeof(buf));
		ck_assert_int_ge(n, 0);
		ck_assert_uint_eq(scep_caps_parse((uint8_t *)buf, (size_t)n),
		    caps);
	}
}
END_TEST

/* CRLF, CR, no final line end, blank lines; unknown keywords ignored. */
START_TEST(test_caps_parse)
{
	static const char crlf[] = "AES\r\nSHA-256\r\nPOSTPKIOperation\r\n";
	static const char mixed[] = "\r\nRenewal\rSHA-512\n\nDES3";
	static const char unknown[] = "AES256\nSHA-224\nExample.com-Foo\n"
	    "aes\nsha-256\n AES\nAES \nAESX\nGetNextCACert\n";

	ck_assert_uint_eq(scep_caps_parse((const uint8_t *)crlf,
	    strlen(crlf)), 1u << SCEP_CAP_AES | 1u << SCEP_CAP_SHA256 |
	    1u << SCEP_CAP_POSTPKIOPERATION);
	ck_assert_uint_eq(scep_caps_parse((const uint8_t *)mixed,
	    strlen(mixed)), 1u << SCEP_CAP_RENEWAL | 1u << SCEP_CAP_SHA512 |
	    1u << SCEP_CAP_DES3);
	/* Exact case, whole lines only. */
	ck_assert_uint_eq(scep_caps_parse((const uint8_t *)unknown,
	    strlen(unknown)), 1u << SCEP_CAP_GETNEXTCACERT);
	/* Length bounds the parse: "AES" of "AESX". */
	ck_assert_uint_eq(scep_caps_parse((const uint8_t *)"AESX", 3),
	    1u << SCEP_CAP_AES);
	ck_assert_uint_eq(scep_caps_parse((const uint8_t *)"", 0), 0);
	ck_assert_uint_eq(scep_caps_parse(NULL, 10), 0);
	/* A NUL inside a line makes it unknown. */
	ck_assert_uint_eq(scep_caps_parse((const uint8_t *)"AES\0\nDES3", 9),
	    1u << SCEP_CAP_DES3);
}
END_TEST

/* Too small a buffer is -1; exactly enough (with the NUL) works. */
START_TEST(test_caps_small)
{
	char		 buf[64];
	unsigned int	 caps = 1u << SCEP_CAP_AES | 1u << SCEP_CAP_SHA256;

	/* "AES\nSHA-256\n" is 12 bytes, 13 with the NUL. */
	ck_assert_int_eq(scep_caps_text(caps, buf, 13), 12);
	ck_assert_str_eq(buf, "AES\nSHA-256\n");
	ck_assert_int_eq(scep_caps_text(caps, buf, 12), -1);
	ck_assert_int_eq(scep_caps_text(caps, buf, 4), -1);
	ck_assert_int_eq(scep_caps_text(caps, buf, 0), -1);
	ck_assert_int_eq(scep_caps_text(caps, NULL, 64), -1);
	ck_assert_int_eq(scep_caps_text(0, buf, 1), 0);
	ck_assert_int_eq(scep_caps_text(0, buf, 0), -1);
}
END_TEST

static Suite *
ca_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("ca");

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cacert_single);
	tcase_add_test(tc, test_cacert_ra);
	tcase_add_test(tc, test_cacert_chain);
	tcase_add_test(tc, test_degenerate);
	tcase_add_test(tc, test_nextcacert_rsa);
	tcase_add_test(tc, test_nextcacert_ec);
	tcase_add_test(tc, test_caps_text);
	tcase_add_test(tc, test_caps_roundtrip);
	tcase_add_test(tc, test_caps_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_nextcacert_wrong_ca);
	tcase_add_test(tc, test_caps_small);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(ca_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
