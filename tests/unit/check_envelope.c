/*
 * check_envelope.c: scep/envelope.c and scep/csr.c - scep_msg_open(),
 * scep_envelope_seal() and scep_content_parse().
 *
 * valid: every corpus message opens with the recipient key named in
 * expected.tsv and gives the content of inner/ byte for byte; sealed
 * envelopes open for every cipher and every recipient; CertRep
 * certificates keep their encoded order.  malformed: every failure of
 * decryption or of the decrypted content is the one badMessageCheck of
 * INTEROP.md 6.5.  policy: the cipher and key-transport table of
 * INTEROP.md 6.1 (DES off by default, 3DES polls always, PWRI refused).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "scep/extern.h"
#include "tests/unit/testutil.h"

#define CORPUS	"corpus/"

static const uint8_t	 nonce_a[SCEP_NONCE_LEN] = "0123456789abcdef";

/* A certificate and its key. */
struct ident {
	X509		*cert;
	EVP_PKEY	*key;
};

/* A test PKI identity from the corpus: "ra", "ca", "ec-ra". */
static void
pki_load(struct ident *id, const char *name)
{
	char	 path[256];

	snprintf(path, sizeof(path), CORPUS "pki/%s.crt", name);
	id->cert = tu_cert(path);
	snprintf(path, sizeof(path), CORPUS "pki/%s.key", name);
	id->key = tu_key(path);
}

/* A fresh self-signed RSA identity with subject cn and serial. */
static void
ident_new(struct ident *id, const char *cn, long serial)
{
	id->key = tu_rsa_key(2048);
	id->cert = tu_issue(id->key, cn, NULL, NULL, serial, TEST_NOW, 30);
}

static void
ident_free(struct ident *id)
{
	X509_free(id->cert);
	EVP_PKEY_free(id->key);
}

/* A stack of the certificates of ids[0..n) (borrowed). */
static STACK_OF(X509) *
recips_of(struct ident *ids, size_t n)
{
	STACK_OF(X509)	*sk;
	size_t		 i;

	sk = sk_X509_new_null();
	ck_assert_ptr_nonnull(sk);
	for (i = 0; i < n; i++)
		ck_assert_int_gt(sk_X509_push(sk, ids[i].cert), 0);
	return sk;
}

/*
 * A parsed message of type t signed by a fresh identity whose signed
 * content is env[0..len) as is (an envelope or not).  For a CertRep
 * the status is SUCCESS.
 */
static struct scep_msg *
sign_env(enum scep_msgtype t, const uint8_t *env, size_t len)
{
	struct ident		 id;
	struct scep_attrs	 a;
	struct scep_buf		 out = { NULL, 0 };
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;

	ident_new(&id, "CN=envelope-signer", 99);
	memset(&a, 0, sizeof(a));
	a.type = t;
	a.txid = "TX-ENV";
	a.txid_len = 6;
	a.sender_nonce = nonce_a;
	if (t == SCEP_MSG_CERTREP) {
		a.recipient_nonce = nonce_a;
		a.has_status = 1;
		a.status = SCEP_STATUS_SUCCESS;
	}
	ck_assert_int_eq(scep_signed_build(tu_ctx(), &a, id.cert, id.key,
	    SCEP_DIGEST_SHA256, env, len, &out), 1);
	scep_limits_default(&lim);
	tu_policy_all(&pol);
	ck_assert_msg(scep_msg_parse(tu_ctx(), out.data, out.len, &lim, &pol,
	    &msg, &err) == 1, "parse: %s", err.reason);
	scep_buf_free(&out);
	ident_free(&id);
	return msg;
}

/* Seal content to recips with cipher c and sign it as type t. */
static struct scep_msg *
make_msg(enum scep_msgtype t, const uint8_t *content, size_t len,
    STACK_OF(X509) *recips, enum scep_cipher c)
{
	struct scep_buf	 env = { NULL, 0 };
	struct scep_msg	*msg;

	ck_assert_int_eq(scep_envelope_seal(tu_ctx(), content, len, recips,
	    c, &env), 1);
	msg = sign_env(t, env.data, env.len);
	scep_buf_free(&env);
	return msg;
}

/* Open msg with id under policy p (NULL: accept all). */
static int
open_with(struct scep_msg *msg, struct ident *id,
    const struct scep_policy *p, struct scep_error *err)
{
	struct scep_limits	 lim;
	struct scep_policy	 all;

	scep_limits_default(&lim);
	tu_policy_all(&all);
	return scep_msg_open(tu_ctx(), msg, id->cert, id->key, &lim,
	    p ? p : &all, err);
}

/* Expect REJECT with failInfo fi (and reason, unless NULL). */
static void
expect_open_fail(struct scep_msg *msg, struct ident *id,
    const struct scep_policy *p, enum scep_failinfo fi, const char *reason,
    const char *what)
{
	struct scep_error	 err;

	ck_assert_msg(open_with(msg, id, p, &err) == 0, "%s: opened", what);
	ck_assert_msg(err.outcome == SCEP_REJECT, "%s: outcome %s (%s)",
	    what, scep_outcome_name(err.outcome), err.reason);
	ck_assert_msg(err.failinfo == fi, "%s: failInfo %s (%s)", what,
	    scep_failinfo_name(err.failinfo), err.reason);
	if (reason != NULL)
		ck_assert_msg(strcmp(err.reason, reason) == 0,
		    "%s: reason %s", what, err.reason);
	ck_assert_int_eq(msg->opened, 0);
	ck_assert_ptr_null(msg->csr);
	ck_assert_ptr_null(msg->issuer);
	ck_assert_ptr_null(msg->rep_certs);
}

/* Expect the one badMessageCheck of INTEROP.md 6.5. */
static void
expect_badenvelope(struct scep_msg *msg, struct ident *id,
    const char *what)
{
	expect_open_fail(msg, id, NULL, SCEP_FAIL_BADMESSAGECHECK,
	    SCEP_REASON_BADENVELOPE, what);
}

/* i2d of a name or integer appended to a buffer. */
static size_t
append_name(uint8_t *buf, size_t off, const X509_NAME *n)
{
	unsigned char	*p = buf + off;
	int		 len;

	len = i2d_X509_NAME(n, &p);
	ck_assert_int_gt(len, 0);
	return off + (size_t)len;
}

/* The body of the DER SEQUENCE der[0..len) (header skipped). */
static const uint8_t *
seq_body(const uint8_t *der, size_t len, size_t *blen)
{
	const unsigned char	*p = der;
	long			 l;
	int			 tag, xclass;

	ck_assert_int_eq(ASN1_get_object(&p, &l, &tag, &xclass, (long)len),
	    V_ASN1_CONSTRUCTED);
	ck_assert_int_eq(tag, V_ASN1_SEQUENCE);
	ck_assert_uint_eq((size_t)(p - der) + (size_t)l, len);
	*blen = (size_t)l;
	return p;
}

/* Compare the opened content of msg with the corpus inner file. */
static void
check_inner(const char *file, struct scep_msg *msg, const uint8_t *inner,
    size_t ilen, const char *challenge, const char *serial)
{
	uint8_t			 buf[4096];
	unsigned char		*p;
	const uint8_t		*body;
	size_t			 blen, off;
	int			 len;
	char			*dec;
	BIGNUM			*bn;

	switch (msg->type) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
		ck_assert_ptr_nonnull(msg->csr);
		ck_assert_msg(msg->csr->der_len == ilen &&
		    memcmp(msg->csr->der, inner, ilen) == 0,
		    "%s: CSR differs", file);
		if (strcmp(challenge, "-") == 0) {
			ck_assert_msg(!msg->has_challenge, "%s: challenge",
			    file);
		} else {
			ck_assert_int_eq(msg->has_challenge, 1);
			ck_assert_uint_eq(msg->challenge_len,
			    strlen(challenge));
			ck_assert_mem_eq(msg->challenge, challenge,
			    msg->challenge_len);
		}
		break;
	case SCEP_MSG_CERTPOLL:
		body = seq_body(inner, ilen, &blen);
		off = append_name(buf, 0, msg->issuer);
		off = append_name(buf, off, msg->subject);
		ck_assert_msg(off == blen && memcmp(buf, body, blen) == 0,
		    "%s: IssuerAndSubject differs", file);
		break;
	case SCEP_MSG_GETCERT:
	case SCEP_MSG_GETCRL:
		body = seq_body(inner, ilen, &blen);
		off = append_name(buf, 0, msg->issuer);
		p = buf + off;
		len = i2d_ASN1_INTEGER(msg->serial, &p);
		ck_assert_int_gt(len, 0);
		off += (size_t)len;
		ck_assert_msg(off == blen && memcmp(buf, body, blen) == 0,
		    "%s: IssuerAndSerialNumber differs", file);
		bn = ASN1_INTEGER_to_BN(msg->serial, NULL);
		ck_assert_ptr_nonnull(bn);
		dec = BN_bn2dec(bn);
		ck_assert_str_eq(dec, serial);
		OPENSSL_free(dec);
		BN_free(bn);
		break;
	default:
		ck_abort_msg("%s: unexpected type", file);
	}
}

/* Find the inner.tsv line of file; returns inner file and serial. */
static void
inner_lookup(char *tsv, const char *file, char *inner, size_t isz,
    char *serial, size_t ssz)
{
	char	*line, *save = NULL, *f[8], *copy;

	copy = strdup(tsv);
	ck_assert_ptr_nonnull(copy);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (tu_tsv_split(line, f, 8) != 6)
			continue;
		if (strcmp(f[0], file) != 0)
			continue;
		snprintf(inner, isz, "%s", f[1]);
		snprintf(serial, ssz, "%s", f[5]);
		free(copy);
		return;
	}
	free(copy);
	ck_abort_msg("%s not in inner.tsv", file);
}

/*
 * Every corpus message opens with the key(s) expected.tsv names (both
 * for CA+RA), with the cipher it names, and its content is that of
 * inner/ byte for byte (DES through the legacy provider of tu_ctx()).
 */
START_TEST(test_corpus_open)
{
	char			 path[512], inner[256], serial[64];
	char			*line, *save = NULL, *f[8], *itsv;
	uint8_t			*tsv, *buf, *ibuf;
	size_t			 tsvlen, len, ilen, itsvlen, k, nk, count = 0;
	struct ident		 ra, ca, ecra, *keys[2];
	struct scep_msg		*msg;
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	enum scep_cipher	 c;

	pki_load(&ra, "ra");
	pki_load(&ca, "ca");
	pki_load(&ecra, "ec-ra");
	scep_limits_default(&lim);
	tu_policy_all(&pol);
	itsv = (char *)tu_read(CORPUS "inner.tsv", &itsvlen);
	tsv = tu_read(CORPUS "expected.tsv", &tsvlen);
	for (line = strtok_r((char *)tsv, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		ck_assert_uint_eq(tu_tsv_split(line, f, 8), 7);
		if (strcmp(f[0], "file") == 0)
			continue;
		if (strcmp(f[5], "RA") == 0) {
			keys[0] = &ra;
			nk = 1;
		} else if (strcmp(f[5], "CA") == 0) {
			keys[0] = &ca;
			nk = 1;
		} else if (strcmp(f[5], "EC-RA") == 0) {
			keys[0] = &ecra;
			nk = 1;
		} else {
			ck_assert_str_eq(f[5], "CA+RA");
			keys[0] = &ca;
			keys[1] = &ra;
			nk = 2;
		}
		ck_assert_int_eq(scep_cipher_from_name(f[4], &c), 1);
		snprintf(path, sizeof(path), CORPUS "%s", f[0]);
		buf = tu_read(path, &len);
		inner_lookup(itsv, f[0], inner, sizeof(inner), serial,
		    sizeof(serial));
		snprintf(path, sizeof(path), CORPUS "%s", inner);
		ibuf = tu_read(path, &ilen);
		for (k = 0; k < nk; k++) {
			msg = NULL;
			ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len,
			    &lim, &pol, &msg, &err), 1);
			ck_assert_msg(scep_msg_open(tu_ctx(), msg,
			    keys[k]->cert, keys[k]->key, &lim, &pol,
			    &err) == 1, "%s key %zu: %s", f[0], k,
			    err.reason);
			ck_assert_int_eq(msg->opened, 1);
			ck_assert_int_eq(msg->cipher, c);
			check_inner(f[0], msg, ibuf, ilen, f[6], serial);
			scep_msg_free(msg);
		}
		free(ibuf);
		free(buf);
		count++;
	}
	ck_assert_uint_eq(count, 53);
	free(tsv);
	free(itsv);
	ident_free(&ra);
	ident_free(&ca);
	ident_free(&ecra);
}
END_TEST

/*
 * scep_envelope_seal() + scep_msg_open() for every cipher with three
 * recipients: each opens; the RecipientInfos are one KTRI per
 * certificate with issuerAndSerialNumber and PKCS#1 v1.5 (rsaEncryption).
 */
START_TEST(test_seal_roundtrip)
{
	struct ident		 ids[3];
	STACK_OF(X509)		*recips;
	X509_REQ		*req;
	EVP_PKEY		*ckey;
	struct scep_buf		 env = { NULL, 0 };
	struct scep_msg		*msg;
	struct scep_error	 err;
	CMS_ContentInfo		*cms;
	CMS_RecipientInfo	*ri;
	X509_ALGOR		*alg;
	X509_NAME		*iss;
	ASN1_INTEGER		*sno;
	ASN1_OCTET_STRING	*keyid;
	const ASN1_OBJECT	*obj;
	const unsigned char	*p;
	uint8_t			*der = NULL;
	int			 dlen, i;
	size_t			 c, k;

	pki_load(&ids[0], "ra");
	pki_load(&ids[1], "ca");
	ident_new(&ids[2], "CN=third", 3);
	recips = recips_of(ids, 3);
	ckey = tu_rsa_key(2048);
	req = tu_csr(ckey, "CN=roundtrip", "s3cret-pw");
	dlen = i2d_X509_REQ(req, &der);
	ck_assert_int_gt(dlen, 0);
	ck_assert_int_eq(scep_ctx_has_des(tu_ctx()), 1);

	for (c = 0; c < SCEP_CIPHER__MAX; c++) {
		ck_assert_int_eq(scep_envelope_seal(tu_ctx(), der,
		    (size_t)dlen, recips, (enum scep_cipher)c, &env), 1);
		/* The structure: three KTRIs in order, PKCS#1 v1.5. */
		p = env.data;
		cms = d2i_CMS_ContentInfo(NULL, &p, (long)env.len);
		ck_assert_ptr_nonnull(cms);
		ck_assert_int_eq(OBJ_obj2nid(CMS_get0_type(cms)),
		    NID_pkcs7_enveloped);
		ck_assert_int_eq(sk_CMS_RecipientInfo_num(
		    CMS_get0_RecipientInfos(cms)), 3);
		/* DER sorts the SET OF: each certificate has one KTRI. */
		for (i = 0; i < 3; i++) {
			ri = sk_CMS_RecipientInfo_value(
			    CMS_get0_RecipientInfos(cms), i);
			ck_assert_int_eq(CMS_RecipientInfo_type(ri),
			    CMS_RECIPINFO_TRANS);
			ck_assert_int_eq(
			    (CMS_RecipientInfo_ktri_cert_cmp(ri,
			    ids[0].cert) == 0) +
			    (CMS_RecipientInfo_ktri_cert_cmp(ri,
			    ids[1].cert) == 0) +
			    (CMS_RecipientInfo_ktri_cert_cmp(ri,
			    ids[2].cert) == 0), 1);
			/* Only the fields of the identifier's type are set. */
			keyid = NULL;
			iss = NULL;
			sno = NULL;
			ck_assert_int_eq(CMS_RecipientInfo_ktri_get0_signer_id(
			    ri, &keyid, &iss, &sno), 1);
			ck_assert_ptr_null(keyid);
			ck_assert_ptr_nonnull(iss);
			ck_assert_ptr_nonnull(sno);
			ck_assert_int_eq(CMS_RecipientInfo_ktri_get0_algs(ri,
			    NULL, NULL, &alg), 1);
			X509_ALGOR_get0(&obj, NULL, NULL, alg);
			ck_assert_int_eq(OBJ_obj2nid(obj), NID_rsaEncryption);
		}
		CMS_ContentInfo_free(cms);

		for (k = 0; k < 3; k++) {
			msg = sign_env(SCEP_MSG_PKCSREQ, env.data, env.len);
			ck_assert_msg(open_with(msg, &ids[k], NULL, &err) == 1,
			    "%s recipient %zu: %s",
			    scep_cipher_name((enum scep_cipher)c), k,
			    err.reason);
			ck_assert_int_eq(msg->cipher, c);
			ck_assert_uint_eq(msg->csr->der_len, (size_t)dlen);
			ck_assert_mem_eq(msg->csr->der, der, (size_t)dlen);
			ck_assert_int_eq(msg->has_challenge, 1);
			ck_assert_uint_eq(msg->challenge_len, 9);
			ck_assert_mem_eq(msg->challenge, "s3cret-pw", 9);
			scep_msg_free(msg);
		}
		scep_buf_free(&env);
	}
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(ckey);
	sk_X509_free(recips);
	for (k = 0; k < 3; k++)
		ident_free(&ids[k]);
}
END_TEST

/* CertPoll, GetCert and GetCRL contents round trip. */
START_TEST(test_names_roundtrip)
{
	struct ident		 ra;
	STACK_OF(X509)		*recips;
	X509_NAME		*iss, *sub;
	PKCS7_ISSUER_AND_SERIAL	*ias;
	struct scep_msg		*msg;
	struct scep_error	 err;
	uint8_t			 buf[2048], *der = NULL;
	size_t			 off;
	int			 len;

	pki_load(&ra, "ra");
	recips = recips_of(&ra, 1);
	iss = tu_name("O=Issuer Org,CN=Issuer");
	sub = tu_name("CN=poller,OU=unit");

	/* IssuerAndSubject: a SEQUENCE with a one-byte length. */
	off = append_name(buf, 2, iss);
	off = append_name(buf, off, sub);
	ck_assert_uint_lt(off - 2, 128);
	buf[0] = 0x30;
	buf[1] = (uint8_t)(off - 2);
	msg = make_msg(SCEP_MSG_CERTPOLL, buf, off, recips,
	    SCEP_CIPHER_DES3);
	ck_assert_msg(open_with(msg, &ra, NULL, &err) == 1, "%s", err.reason);
	ck_assert_int_eq(X509_NAME_cmp(msg->issuer, iss), 0);
	ck_assert_int_eq(X509_NAME_cmp(msg->subject, sub), 0);
	ck_assert_ptr_null(msg->csr);
	ck_assert_ptr_null(msg->serial);
	scep_msg_free(msg);

	/* IssuerAndSerialNumber, for GetCert and GetCRL. */
	ias = PKCS7_ISSUER_AND_SERIAL_new();
	ck_assert_ptr_nonnull(ias);
	ck_assert_int_eq(X509_NAME_set(&ias->issuer, iss), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(ias->serial, -1234567), 1);
	len = i2d_PKCS7_ISSUER_AND_SERIAL(ias, &der);
	ck_assert_int_gt(len, 0);
	msg = make_msg(SCEP_MSG_GETCERT, der, (size_t)len, recips,
	    SCEP_CIPHER_AES256);
	ck_assert_msg(open_with(msg, &ra, NULL, &err) == 1, "%s", err.reason);
	ck_assert_int_eq(X509_NAME_cmp(msg->issuer, iss), 0);
	ck_assert_int_eq(ASN1_INTEGER_cmp(msg->serial, ias->serial), 0);
	ck_assert_ptr_null(msg->subject);
	scep_msg_free(msg);
	msg = make_msg(SCEP_MSG_GETCRL, der, (size_t)len, recips,
	    SCEP_CIPHER_AES128);
	ck_assert_msg(open_with(msg, &ra, NULL, &err) == 1, "%s", err.reason);
	ck_assert_int_eq(ASN1_INTEGER_get(msg->serial), -1234567);
	scep_msg_free(msg);

	OPENSSL_free(der);
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	X509_NAME_free(iss);
	X509_NAME_free(sub);
	sk_X509_free(recips);
	ident_free(&ra);
}
END_TEST

/* A degenerate certs-only SignedData in SEQUENCE order (PKCS7 API). */
static uint8_t *
degenerate(X509 **certs, size_t n, X509_CRL *crl, size_t *len)
{
	PKCS7		*p7;
	uint8_t		*der = NULL;
	size_t		 i;
	int		 l;

	p7 = PKCS7_new();
	ck_assert_ptr_nonnull(p7);
	ck_assert_int_eq(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	p7->d.sign->contents->type = OBJ_nid2obj(NID_pkcs7_data);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(PKCS7_add_certificate(p7, certs[i]), 1);
	if (crl != NULL)
		ck_assert_int_eq(PKCS7_add_crl(p7, crl), 1);
	l = i2d_PKCS7(p7, &der);
	ck_assert_int_gt(l, 0);
	PKCS7_free(p7);
	*len = (size_t)l;
	return der;
}

/* An empty CRL of ca, signed with SHA-256. */
static X509_CRL *
crl_new(struct ident *ca)
{
	X509_CRL	*crl;
	ASN1_TIME	*t;

	crl = X509_CRL_new();
	ck_assert_ptr_nonnull(crl);
	ck_assert_int_eq(X509_CRL_set_version(crl, 1), 1);
	ck_assert_int_eq(X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(ca->cert)), 1);
	t = ASN1_TIME_set(NULL, TEST_NOW);
	ck_assert_int_eq(X509_CRL_set1_lastUpdate(crl, t), 1);
	ck_assert_ptr_nonnull(ASN1_TIME_set(t, TEST_NOW + 86400));
	ck_assert_int_eq(X509_CRL_set1_nextUpdate(crl, t), 1);
	ASN1_TIME_free(t);
	ck_assert_int_gt(X509_CRL_sign(crl, ca->key, EVP_sha256()), 0);
	return crl;
}

/*
 * A CertRep SUCCESS opens with the client's key; its certificates come
 * out in their encoded order whichever it is (CMS_get1_certs keeps the
 * decoded order), and a GetCRL reply gives its CRL.
 */
START_TEST(test_certrep_order)
{
	struct ident		 client, ra, ca;
	STACK_OF(X509)		*recips;
	X509			*order[2][2];
	X509_CRL		*crl;
	struct scep_msg		*msg;
	struct scep_error	 err;
	uint8_t			*der;
	size_t			 len, i;

	ident_new(&client, "CN=client", 42);
	pki_load(&ra, "ra");
	pki_load(&ca, "ca");
	recips = recips_of(&client, 1);
	order[0][0] = ra.cert;
	order[0][1] = ca.cert;
	order[1][0] = ca.cert;
	order[1][1] = ra.cert;
	for (i = 0; i < 2; i++) {
		der = degenerate(order[i], 2, NULL, &len);
		msg = make_msg(SCEP_MSG_CERTREP, der, len, recips,
		    SCEP_CIPHER_AES256);
		ck_assert_msg(open_with(msg, &client, NULL, &err) == 1,
		    "%s", err.reason);
		ck_assert_int_eq(sk_X509_num(msg->rep_certs), 2);
		ck_assert_int_eq(X509_cmp(sk_X509_value(msg->rep_certs, 0),
		    order[i][0]), 0);
		ck_assert_int_eq(X509_cmp(sk_X509_value(msg->rep_certs, 1),
		    order[i][1]), 0);
		ck_assert_ptr_null(msg->rep_crls);
		scep_msg_free(msg);
		OPENSSL_free(der);
	}

	crl = crl_new(&ca);
	der = degenerate(NULL, 0, crl, &len);
	msg = make_msg(SCEP_MSG_CERTREP, der, len, recips, SCEP_CIPHER_AES128);
	ck_assert_msg(open_with(msg, &client, NULL, &err) == 1, "%s",
	    err.reason);
	ck_assert_ptr_null(msg->rep_certs);
	ck_assert_int_eq(sk_X509_CRL_num(msg->rep_crls), 1);
	ck_assert_int_eq(X509_CRL_cmp(sk_X509_CRL_value(msg->rep_crls, 0),
	    crl), 0);
	scep_msg_free(msg);
	OPENSSL_free(der);
	X509_CRL_free(crl);

	sk_X509_free(recips);
	ident_free(&ca);
	ident_free(&ra);
	ident_free(&client);
}
END_TEST

/*
 * A CSR with the given challengePassword attribute(s): type, bytes,
 * how many attributes and how many values.
 */
static uint8_t *
csr_with_challenge(EVP_PKEY *key, int type, const void *pw, int pwlen,
    int nattr, int nval, size_t *len)
{
	X509_REQ	*req;
	X509_NAME	*n;
	static const uint8_t unstructured[] = { 0x06, 0x09, 0x2a, 0x86, 0x48,
	    0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02 };
	X509_ATTRIBUTE	*attr;
	const unsigned char *p;
	uint8_t		*der = NULL, *at;
	int		 i, l;

	req = X509_REQ_new();
	ck_assert_ptr_nonnull(req);
	n = tu_name("CN=challenge");
	ck_assert_int_eq(X509_REQ_set_subject_name(req, n), 1);
	X509_NAME_free(n);
	ck_assert_int_eq(X509_REQ_set_pubkey(req, key), 1);
	for (i = 0; i < nattr; i++) {
		/* X509_REQ_add1_attr() refuses a duplicate: see below. */
		attr = X509_ATTRIBUTE_create_by_NID(NULL, i == 0 ?
		    NID_pkcs9_challengePassword : NID_pkcs9_unstructuredName,
		    type, pw, pwlen);
		ck_assert_ptr_nonnull(attr);
		if (nval > 1)
			ck_assert_int_eq(X509_ATTRIBUTE_set1_data(attr, type,
			    pw, pwlen), 1);
		ck_assert_int_eq(X509_REQ_add1_attr(req, attr), 1);
		X509_ATTRIBUTE_free(attr);
	}
	ck_assert_int_gt(X509_REQ_sign(req, key, EVP_sha256()), 0);
	l = i2d_X509_REQ(req, &der);
	ck_assert_int_gt(l, 0);
	if (nattr > 1) {
		/* unstructuredName (1.2.840.113549.1.9.2) becomes a second
		 * challengePassword (...9.7); decode and sign again. */
		at = memmem(der, (size_t)l, unstructured,
		    sizeof(unstructured));
		ck_assert_ptr_nonnull(at);
		at[sizeof(unstructured) - 1] = 0x07;
		X509_REQ_free(req);
		p = der;
		req = d2i_X509_REQ(NULL, &p, l);
		ck_assert_ptr_nonnull(req);
		ck_assert_int_gt(X509_REQ_sign(req, key, EVP_sha256()), 0);
		OPENSSL_free(der);
		der = NULL;
		l = i2d_X509_REQ(req, &der);
		ck_assert_int_gt(l, 0);
	}
	X509_REQ_free(req);
	*len = (size_t)l;
	return der;
}

/*
 * challengePassword taken as its bytes whatever its string type
 * (INTEROP.md 6.4): certmonger's PrintableString with '@' and '$',
 * IA5String, T61String, 255 bytes; none at all.
 */
START_TEST(test_challenge_types)
{
	static const struct {
		int		 type;
		const char	*pw;
	} t[] = {
		{ V_ASN1_PRINTABLESTRING, "a@b$c#d\"e\\f" },
		{ V_ASN1_UTF8STRING, "caf\xc3\xa9" },
		{ V_ASN1_IA5STRING, "ia5 pw" },
		{ V_ASN1_T61STRING, "t61" },
	};
	struct ident		 ra;
	STACK_OF(X509)		*recips;
	EVP_PKEY		*key;
	struct scep_msg		*msg;
	struct scep_error	 err;
	uint8_t			*der;
	char			 longpw[255];
	size_t			 len, i;

	pki_load(&ra, "ra");
	recips = recips_of(&ra, 1);
	key = tu_rsa_key(2048);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		der = csr_with_challenge(key, t[i].type, t[i].pw,
		    (int)strlen(t[i].pw), 1, 1, &len);
		msg = make_msg(SCEP_MSG_PKCSREQ, der, len, recips,
		    SCEP_CIPHER_AES128);
		ck_assert_msg(open_with(msg, &ra, NULL, &err) == 1, "%s",
		    err.reason);
		ck_assert_int_eq(msg->has_challenge, 1);
		ck_assert_uint_eq(msg->challenge_len, strlen(t[i].pw));
		ck_assert_mem_eq(msg->challenge, t[i].pw, msg->challenge_len);
		scep_msg_free(msg);
		OPENSSL_free(der);
	}

	memset(longpw, 'x', sizeof(longpw));
	der = csr_with_challenge(key, V_ASN1_UTF8STRING, longpw,
	    (int)sizeof(longpw), 1, 1, &len);
	msg = make_msg(SCEP_MSG_PKCSREQ, der, len, recips, SCEP_CIPHER_AES128);
	ck_assert_msg(open_with(msg, &ra, NULL, &err) == 1, "%s", err.reason);
	ck_assert_uint_eq(msg->challenge_len, sizeof(longpw));
	scep_msg_free(msg);
	OPENSSL_free(der);

	der = csr_with_challenge(key, V_ASN1_UTF8STRING, "", 0, 0, 0, &len);
	msg = make_msg(SCEP_MSG_RENEWALREQ, der, len, recips,
	    SCEP_CIPHER_AES128);
	ck_assert_msg(open_with(msg, &ra, NULL, &err) == 1, "%s", err.reason);
	ck_assert_int_eq(msg->has_challenge, 0);
	ck_assert_ptr_null(msg->challenge);
	ck_assert_ptr_nonnull(msg->csr);
	scep_msg_free(msg);
	OPENSSL_free(der);

	EVP_PKEY_free(key);
	sk_X509_free(recips);
	ident_free(&ra);
}
END_TEST

/* RSAES-OAEP key transport is decrypted (INTEROP.md 6.1). */
START_TEST(test_oaep)
{
	struct ident		 ra;
	CMS_ContentInfo		*cms;
	CMS_RecipientInfo	*ri;
	EVP_PKEY_CTX		*pctx;
	BIO			*bio;
	X509_REQ		*req;
	EVP_PKEY		*key;
	struct scep_msg		*msg;
	struct scep_error	 err;
	uint8_t			*csr = NULL, *env = NULL;
	int			 clen, elen;

	pki_load(&ra, "ra");
	key = tu_rsa_key(2048);
	req = tu_csr(key, "CN=oaep", NULL);
	clen = i2d_X509_REQ(req, &csr);
	ck_assert_int_gt(clen, 0);
	cms = CMS_EnvelopedData_create(EVP_aes_128_cbc());
	ck_assert_ptr_nonnull(cms);
	ck_assert_int_eq(CMS_set_detached(cms, 0), 1);
	ri = CMS_add1_recipient_cert(cms, ra.cert, CMS_BINARY | CMS_KEY_PARAM);
	ck_assert_ptr_nonnull(ri);
	pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
	ck_assert_ptr_nonnull(pctx);
	ck_assert_int_gt(EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_OAEP_PADDING), 0);
	bio = BIO_new_mem_buf(csr, clen);
	ck_assert_int_eq(CMS_final(cms, bio, NULL, CMS_BINARY), 1);
	elen = i2d_CMS_ContentInfo(cms, &env);
	ck_assert_int_gt(elen, 0);
	msg = sign_env(SCEP_MSG_PKCSREQ, env, (size_t)elen);
	ck_assert_msg(open_with(msg, &ra, NULL, &err) == 1, "%s", err.reason);
	ck_assert_ptr_nonnull(msg->csr);
	scep_msg_free(msg);
	OPENSSL_free(env);
	OPENSSL_free(csr);
	BIO_free(bio);
	CMS_ContentInfo_free(cms);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	ident_free(&ra);
}
END_TEST

/*
 * Not our envelope: another recipient's certificate, our certificate
 * with a wrong key (decryption fails late on OpenSSL 3.0), the EC RA.
 */
START_TEST(test_wrong_recipient)
{
	struct ident		 ra, ca, ecra, mixed;
	struct scep_msg		*msg = NULL;
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	uint8_t			*buf;
	size_t			 len;
	int			 i;

	pki_load(&ra, "ra");
	pki_load(&ca, "ca");
	pki_load(&ecra, "ec-ra");
	mixed.cert = ra.cert;
	mixed.key = ca.key;
	scep_limits_default(&lim);
	tu_policy_all(&pol);
	buf = tu_read(CORPUS "messages/sscep-pkcsreq-aes256-sha256.der",
	    &len);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len, &lim,
		    &pol, &msg, &err), 1);
		expect_badenvelope(msg, i == 0 ? &ca : i == 1 ? &mixed : &ecra,
		    "wrong recipient");
		/* The failure changes nothing: the right key still works. */
		ck_assert_int_eq(open_with(msg, &ra, NULL, &err), 1);
		scep_msg_free(msg);
		msg = NULL;
	}
	free(buf);
	ident_free(&ra);
	ident_free(&ca);
	ident_free(&ecra);
}
END_TEST

/*
 * An envelope of content to the certificates of ids[0..n), named by
 * subjectKeyIdentifier when keyid and the certificate has one, else by
 * issuerAndSerialNumber, parsed as a PKCSReq.
 */
static struct scep_msg *
make_env_to(const uint8_t *content, size_t len, struct ident **ids,
    size_t n, int keyid)
{
	CMS_ContentInfo	*cms;
	BIO		*bio;
	struct scep_msg	*msg;
	uint8_t		*env = NULL;
	size_t		 i;
	int		 elen;

	cms = CMS_EnvelopedData_create(EVP_aes_128_cbc());
	ck_assert_ptr_nonnull(cms);
	ck_assert_int_eq(CMS_set_detached(cms, 0), 1);
	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(CMS_add1_recipient_cert(cms,
		    ids[i]->cert, CMS_BINARY | (keyid &&
		    X509_get0_subject_key_id(ids[i]->cert) != NULL ?
		    CMS_USE_KEYID : 0)));
	bio = BIO_new_mem_buf(content, (int)len);
	ck_assert_ptr_nonnull(bio);
	ck_assert_int_eq(CMS_final(cms, bio, NULL, CMS_BINARY), 1);
	elen = i2d_CMS_ContentInfo(cms, &env);
	ck_assert_int_gt(elen, 0);
	msg = sign_env(SCEP_MSG_PKCSREQ, env, (size_t)elen);
	OPENSSL_free(env);
	BIO_free(bio);
	CMS_ContentInfo_free(cms);
	return msg;
}

/*
 * scep_msg_open_select(): the RecipientInfos choose among our
 * certificates A and B (a current and a previous RA) by their
 * identifiers, by issuerAndSerialNumber and by subjectKeyIdentifier,
 * among RecipientInfos for C (issuerAndSerialNumber: no SKI) too; both
 * named: A, the first.  Only the chosen key is used (the other one is
 * NULL here).  Neither named: the one badMessageCheck, no key used,
 * *which = n.
 */
START_TEST(test_recipient_choice)
{
	static const struct {
		int	 to[3];		/* 0: A, 1: B, 2: C; -1 ends */
		int	 keyid;
		size_t	 which;		/* 2: none */
	} cases[] = {
		{ { 0, -1 }, 0, 0 },
		{ { 1, -1 }, 0, 1 },
		{ { 2, 0, -1 }, 0, 0 },
		{ { 1, 2, -1 }, 0, 1 },
		{ { 1, 0, 2 }, 0, 0 },
		{ { 2, -1 }, 0, 2 },
		{ { 0, -1 }, 1, 0 },
		{ { 2, 1, -1 }, 1, 1 },
		{ { 2, -1 }, 1, 2 },
	};
	struct ident		 a, b, c, *ids[3];
	struct scep_msg		*msg;
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	X509_REQ		*req;
	EVP_PKEY		*key, *keys[2];
	X509			*certs[2];
	uint8_t			*csr = NULL;
	size_t			 i, j, n, which;
	int			 clen, rc;

	/* The corpus RA and CA have subjectKeyIdentifiers. */
	pki_load(&a, "ra");
	pki_load(&b, "ca");
	ident_new(&c, "CN=someone-else", 7);
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(a.cert));
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(b.cert));
	key = tu_rsa_key(2048);
	req = tu_csr(key, "CN=choice", NULL);
	clen = i2d_X509_REQ(req, &csr);
	ck_assert_int_gt(clen, 0);
	scep_limits_default(&lim);
	tu_policy_all(&pol);
	certs[0] = a.cert;
	certs[1] = b.cert;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (n = 0; n < 3 && cases[i].to[n] >= 0; n++)
			ids[n] = cases[i].to[n] == 0 ? &a :
			    cases[i].to[n] == 1 ? &b : &c;
		msg = make_env_to(csr, (size_t)clen, ids, n, cases[i].keyid);
		/* Only the expected key is there to be used. */
		for (j = 0; j < 2; j++)
			keys[j] = j == cases[i].which ?
			    (j == 0 ? a.key : b.key) : NULL;
		rc = scep_msg_open_select(tu_ctx(), msg, certs, keys, 2,
		    &which, &lim, &pol, &err);
		ck_assert_msg(which == cases[i].which, "case %zu: which %zu",
		    i, which);
		if (cases[i].which < 2) {
			ck_assert_msg(rc == 1, "case %zu: %s", i, err.reason);
			ck_assert_ptr_nonnull(msg->csr);
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(err.outcome, SCEP_REJECT);
			ck_assert_int_eq(err.failinfo,
			    SCEP_FAIL_BADMESSAGECHECK);
			ck_assert_str_eq(err.reason, SCEP_REASON_BADENVELOPE);
			ck_assert_int_eq(msg->opened, 0);
		}
		scep_msg_free(msg);
	}
	OPENSSL_free(csr);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	ident_free(&a);
	ident_free(&b);
	ident_free(&c);
}
END_TEST

/*
 * Decrypted content that does not parse: broken CSR signature (proof
 * of possession), trailing byte, garbage, empty, wrong structure for the
 * type, malformed challengePassword.  All: the one badMessageCheck.
 */
START_TEST(test_content_malformed)
{
	struct ident		 ra;
	STACK_OF(X509)		*recips;
	EVP_PKEY		*key;
	X509_REQ		*req;
	const ASN1_BIT_STRING	*sig;
	struct scep_msg		*msg;
	uint8_t			*der = NULL, *bad, nulpw[4] = "a\0b";
	char			 longpw[256];
	size_t			 len;
	int			 l;

	pki_load(&ra, "ra");
	recips = recips_of(&ra, 1);
	key = tu_rsa_key(2048);

	/* The CSR's own signature broken. */
	req = tu_csr(key, "CN=pop", "pw");
	X509_REQ_get0_signature(req, &sig, NULL);
	sig->data[10] ^= 0x40;
	l = i2d_X509_REQ(req, &der);
	ck_assert_int_gt(l, 0);
	msg = make_msg(SCEP_MSG_PKCSREQ, der, (size_t)l, recips,
	    SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ra, "CSR signature");
	scep_msg_free(msg);
	sig->data[10] ^= 0x40;
	OPENSSL_free(der);
	der = NULL;

	/* A good CSR with one byte more. */
	l = i2d_X509_REQ(req, &der);
	bad = malloc((size_t)l + 1);
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, der, (size_t)l);
	bad[l] = 0;
	msg = make_msg(SCEP_MSG_PKCSREQ, bad, (size_t)l, recips,
	    SCEP_CIPHER_AES128);
	ck_assert_int_eq(open_with(msg, &ra, NULL, NULL), 1);
	scep_msg_free(msg);
	msg = make_msg(SCEP_MSG_PKCSREQ, bad, (size_t)l + 1, recips,
	    SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ra, "CSR trailing byte");
	scep_msg_free(msg);
	/* The CSR where an IssuerAndSubject belongs, and vice versa. */
	msg = make_msg(SCEP_MSG_CERTPOLL, der, (size_t)l, recips,
	    SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ra, "CSR as IssuerAndSubject");
	scep_msg_free(msg);
	msg = make_msg(SCEP_MSG_GETCERT, der, (size_t)l, recips,
	    SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ra, "CSR as IssuerAndSerialNumber");
	scep_msg_free(msg);
	msg = make_msg(SCEP_MSG_CERTREP, der, (size_t)l, recips,
	    SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ra, "CSR as certs-only SignedData");
	scep_msg_free(msg);
	free(bad);
	OPENSSL_free(der);
	der = NULL;
	X509_REQ_free(req);

	/* Garbage and nothing. */
	msg = make_msg(SCEP_MSG_PKCSREQ, (const uint8_t *)"garbage", 7,
	    recips, SCEP_CIPHER_DES3);
	expect_badenvelope(msg, &ra, "garbage");
	scep_msg_free(msg);
	msg = make_msg(SCEP_MSG_PKCSREQ, NULL, 0, recips, SCEP_CIPHER_DES3);
	expect_badenvelope(msg, &ra, "empty content");
	scep_msg_free(msg);

	/* challengePassword: two attributes, two values, NUL, 256. */
	der = csr_with_challenge(key, V_ASN1_UTF8STRING, "pw", 2, 2, 1, &len);
	msg = make_msg(SCEP_MSG_PKCSREQ, der, len, recips, SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ra, "two challengePassword attributes");
	scep_msg_free(msg);
	OPENSSL_free(der);
	der = csr_with_challenge(key, V_ASN1_UTF8STRING, "pw", 2, 1, 2, &len);
	msg = make_msg(SCEP_MSG_PKCSREQ, der, len, recips, SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ra, "two challengePassword values");
	scep_msg_free(msg);
	OPENSSL_free(der);
	der = csr_with_challenge(key, V_ASN1_UTF8STRING, nulpw, 3, 1, 1,
	    &len);
	msg = make_msg(SCEP_MSG_PKCSREQ, der, len, recips, SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ra, "challengePassword with NUL");
	scep_msg_free(msg);
	OPENSSL_free(der);
	memset(longpw, 'x', sizeof(longpw));
	der = csr_with_challenge(key, V_ASN1_UTF8STRING, longpw,
	    (int)sizeof(longpw), 1, 1, &len);
	msg = make_msg(SCEP_MSG_PKCSREQ, der, len, recips, SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ra, "256-byte challengePassword");
	scep_msg_free(msg);
	OPENSSL_free(der);
	der = csr_with_challenge(key, V_ASN1_OCTET_STRING, "pw", 2, 1, 1,
	    &len);
	msg = make_msg(SCEP_MSG_PKCSREQ, der, len, recips, SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ra, "OCTET STRING challengePassword");
	scep_msg_free(msg);
	OPENSSL_free(der);

	EVP_PKEY_free(key);
	sk_X509_free(recips);
	ident_free(&ra);
}
END_TEST

/*
 * The envelope itself malformed: not an EnvelopedData, a trailing
 * byte, more RecipientInfos than the limit.  And a CertRep whose
 * SignedData has a signer.
 */
START_TEST(test_envelope_malformed)
{
	struct ident		 ids[5];
	STACK_OF(X509)		*recips;
	struct scep_buf		 env = { NULL, 0 };
	struct scep_msg		*msg;
	CMS_ContentInfo		*cms;
	BIO			*bio;
	uint8_t			*bad, *der = NULL;
	int			 l;
	size_t			 i;

	pki_load(&ids[0], "ra");
	for (i = 1; i < 5; i++)
		ident_new(&ids[i], "CN=extra", (long)(100 + i));
	recips = recips_of(ids, 1);
	ck_assert_int_eq(scep_envelope_seal(tu_ctx(),
	    (const uint8_t *)"content", 7, recips, SCEP_CIPHER_AES128, &env),
	    1);

	/* A trailing byte after the EnvelopedData. */
	bad = malloc(env.len + 1);
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, env.data, env.len);
	bad[env.len] = 0;
	msg = sign_env(SCEP_MSG_PKCSREQ, bad, env.len + 1);
	expect_badenvelope(msg, &ids[0], "envelope trailing byte");
	scep_msg_free(msg);
	free(bad);

	/* Not an EnvelopedData: some bytes, a SignedData. */
	msg = sign_env(SCEP_MSG_PKCSREQ, (const uint8_t *)"\x30\x00", 2);
	expect_badenvelope(msg, &ids[0], "empty SEQUENCE");
	scep_msg_free(msg);
	bio = BIO_new_mem_buf("x", 1);
	cms = CMS_sign(ids[1].cert, ids[1].key, NULL, bio, CMS_BINARY);
	ck_assert_ptr_nonnull(cms);
	l = i2d_CMS_ContentInfo(cms, &der);
	ck_assert_int_gt(l, 0);
	msg = sign_env(SCEP_MSG_PKCSREQ, der, (size_t)l);
	expect_badenvelope(msg, &ids[0], "SignedData envelope");
	scep_msg_free(msg);

	/* A signed (not degenerate) SignedData in a CertRep. */
	msg = make_msg(SCEP_MSG_CERTREP, der, (size_t)l, recips,
	    SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ids[0], "CertRep with a signer");
	scep_msg_free(msg);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(bio);
	scep_buf_free(&env);
	sk_X509_free(recips);

	/* Five RecipientInfos, the limit is four (INTEROP.md 6.7). */
	recips = recips_of(ids, 5);
	msg = make_msg(SCEP_MSG_PKCSREQ, (const uint8_t *)"c", 1, recips,
	    SCEP_CIPHER_AES128);
	expect_badenvelope(msg, &ids[0], "five RecipientInfos");
	scep_msg_free(msg);
	sk_X509_free(recips);
	for (i = 0; i < 5; i++)
		ident_free(&ids[i]);
}
END_TEST

/* No envelope to open, or opened twice. */
START_TEST(test_no_envelope)
{
	struct ident		 ra;
	struct scep_attrs	 a;
	struct scep_buf		 out = { NULL, 0 };
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	uint8_t			*buf;
	size_t			 len;

	pki_load(&ra, "ra");
	scep_limits_default(&lim);
	tu_policy_all(&pol);
	ck_assert_int_eq(scep_msg_open(tu_ctx(), NULL, ra.cert, ra.key, &lim,
	    &pol, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_REJECT);
	ck_assert_int_eq(err.failinfo, SCEP_FAIL_BADREQUEST);

	/* A PENDING CertRep has no envelope. */
	memset(&a, 0, sizeof(a));
	a.type = SCEP_MSG_CERTREP;
	a.txid = "T";
	a.txid_len = 1;
	a.sender_nonce = nonce_a;
	a.recipient_nonce = nonce_a;
	a.has_status = 1;
	a.status = SCEP_STATUS_PENDING;
	ck_assert_int_eq(scep_signed_build(tu_ctx(), &a, ra.cert, ra.key,
	    SCEP_DIGEST_SHA256, NULL, 0, &out), 1);
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), out.data, out.len, &lim,
	    &pol, &msg, &err), 1);
	expect_open_fail(msg, &ra, NULL, SCEP_FAIL_BADREQUEST, NULL,
	    "PENDING");
	scep_msg_free(msg);
	msg = NULL;
	scep_buf_free(&out);

	/* Opened once, not twice. */
	buf = tu_read(CORPUS "messages/sscep-getcert.der", &len);
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len, &lim, &pol, &msg,
	    &err), 1);
	ck_assert_int_eq(open_with(msg, &ra, NULL, &err), 1);
	ck_assert_int_eq(open_with(msg, &ra, NULL, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_INTERNAL);
	ck_assert_ptr_nonnull(msg->issuer);
	scep_msg_free(msg);
	free(buf);
	ident_free(&ra);
}
END_TEST

/* The default policy refuses single DES at open; all accept it. */
START_TEST(test_policy_des)
{
	struct ident		 ra;
	struct scep_policy	 def;
	struct scep_limits	 lim;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	uint8_t			*buf;
	size_t			 len;

	pki_load(&ra, "ra");
	scep_policy_default(&def);
	scep_limits_default(&lim);
	buf = tu_read(CORPUS "messages/sscep-pkcsreq-des-sha256.der", &len);
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len, &lim, &def, &msg,
	    &err), 1);
	expect_open_fail(msg, &ra, &def, SCEP_FAIL_BADALG, NULL,
	    "des by default");
	ck_assert_int_eq(open_with(msg, &ra, NULL, &err), 1);
	ck_assert_int_eq(msg->cipher, SCEP_CIPHER_DES);
	scep_msg_free(msg);
	free(buf);
	ident_free(&ra);
}
END_TEST

/*
 * 3DES refused by the policy: Apple's CertPoll opens anyway
 * (INTEROP.md 6.1), a PKCSReq does not.
 */
START_TEST(test_policy_certpoll_3des)
{
	struct ident		 ra;
	struct scep_policy	 pol;
	struct scep_limits	 lim;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	uint8_t			*buf;
	size_t			 len;

	pki_load(&ra, "ra");
	pol.ciphers = 1u << SCEP_CIPHER_AES128;
	pol.digests = 1u << SCEP_DIGEST_SHA256;
	scep_limits_default(&lim);
	buf = tu_read(CORPUS "messages/apple-getcertinitial-ber.ber", &len);
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len, &lim, &pol, &msg,
	    &err), 1);
	ck_assert_msg(scep_msg_open(tu_ctx(), msg, ra.cert, ra.key, &lim,
	    &pol, &err) == 1, "%s", err.reason);
	ck_assert_int_eq(msg->cipher, SCEP_CIPHER_DES3);
	scep_msg_free(msg);
	msg = NULL;
	free(buf);

	pol.digests |= 1u << SCEP_DIGEST_SHA1;
	buf = tu_read(CORPUS "messages/sscep-pkcsreq-3des-sha1.der", &len);
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len, &lim, &pol, &msg,
	    &err), 1);
	expect_open_fail(msg, &ra, &pol, SCEP_FAIL_BADALG, NULL,
	    "3des PKCSReq");
	scep_msg_free(msg);
	free(buf);
	ident_free(&ra);
}
END_TEST

/*
 * A context without the legacy provider has no DES: a DES envelope is
 * refused with badAlg even by an all-accepting policy, and none can be
 * sealed.  The context's own libctx is used throughout.
 */
START_TEST(test_policy_no_legacy)
{
	OSSL_LIB_CTX		*lc;
	struct scep_ctx		*ctx;
	struct ident		 ra;
	STACK_OF(X509)		*recips;
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	struct scep_buf		 env = { NULL, 0 };
	uint8_t			*buf;
	size_t			 len;

	lc = OSSL_LIB_CTX_new();
	ck_assert_ptr_nonnull(lc);
	ctx = scep_ctx_new(lc, NULL, 0);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(scep_ctx_has_des(ctx), 0);
	pki_load(&ra, "ra");
	scep_limits_default(&lim);
	tu_policy_all(&pol);

	buf = tu_read(CORPUS "messages/scepclient-pkcsreq-ra-only.der", &len);
	ck_assert_int_eq(scep_msg_parse(ctx, buf, len, &lim, &pol, &msg,
	    &err), 1);
	ck_assert_int_eq(scep_msg_open(ctx, msg, ra.cert, ra.key, &lim, &pol,
	    &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_REJECT);
	ck_assert_int_eq(err.failinfo, SCEP_FAIL_BADALG);
	scep_msg_free(msg);
	msg = NULL;
	free(buf);

	/* AES in the same context works. */
	buf = tu_read(CORPUS "messages/apple-pkcsreq-ber.ber", &len);
	ck_assert_int_eq(scep_msg_parse(ctx, buf, len, &lim, &pol, &msg,
	    &err), 1);
	ck_assert_msg(scep_msg_open(ctx, msg, ra.cert, ra.key, &lim, &pol,
	    &err) == 1, "%s", err.reason);
	scep_msg_free(msg);
	free(buf);

	recips = recips_of(&ra, 1);
	ck_assert_int_eq(scep_envelope_seal(ctx, (const uint8_t *)"x", 1,
	    recips, SCEP_CIPHER_DES, &env), 0);
	ck_assert_int_eq(scep_envelope_seal(ctx, (const uint8_t *)"x", 1,
	    recips, SCEP_CIPHER_AES256, &env), 1);
	scep_buf_free(&env);
	sk_X509_free(recips);
	ident_free(&ra);
	scep_ctx_free(ctx);
	OSSL_LIB_CTX_free(lc);
}
END_TEST

/*
 * PasswordRecipientInfo next to our KTRI, and a content cipher outside
 * the table (Camellia): badAlg.
 */
START_TEST(test_policy_pwri_cipher)
{
	struct ident		 ra;
	CMS_ContentInfo		*cms;
	BIO			*bio;
	struct scep_msg		*msg;
	uint8_t			*env = NULL;
	int			 elen, round;

	pki_load(&ra, "ra");
	for (round = 0; round < 2; round++) {
		cms = CMS_EnvelopedData_create(round == 0 ?
		    EVP_aes_128_cbc() : EVP_camellia_128_cbc());
		ck_assert_ptr_nonnull(cms);
		ck_assert_int_eq(CMS_set_detached(cms, 0), 1);
		ck_assert_ptr_nonnull(CMS_add1_recipient_cert(cms, ra.cert,
		    CMS_BINARY));
		if (round == 0)
			ck_assert_ptr_nonnull(CMS_add0_recipient_password(cms,
			    -1, NID_undef, NID_undef,
			    (unsigned char *)OPENSSL_strdup("pw"), 2, NULL));
		bio = BIO_new_mem_buf("content", 7);
		ck_assert_int_eq(CMS_final(cms, bio, NULL, CMS_BINARY), 1);
		elen = i2d_CMS_ContentInfo(cms, &env);
		ck_assert_int_gt(elen, 0);
		msg = sign_env(SCEP_MSG_PKCSREQ, env, (size_t)elen);
		expect_open_fail(msg, &ra, NULL, SCEP_FAIL_BADALG, NULL,
		    round == 0 ? "PWRI" : "camellia");
		scep_msg_free(msg);
		OPENSSL_free(env);
		env = NULL;
		BIO_free(bio);
		CMS_ContentInfo_free(cms);
	}
	ident_free(&ra);
}
END_TEST

static Suite *
envelope_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("envelope");

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corpus_open);
	tcase_add_test(tc, test_seal_roundtrip);
	tcase_add_test(tc, test_names_roundtrip);
	tcase_add_test(tc, test_certrep_order);
	tcase_add_test(tc, test_challenge_types);
	tcase_add_test(tc, test_oaep);
	tcase_add_test(tc, test_recipient_choice);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_wrong_recipient);
	tcase_add_test(tc, test_content_malformed);
	tcase_add_test(tc, test_envelope_malformed);
	tcase_add_test(tc, test_no_envelope);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_policy_des);
	tcase_add_test(tc, test_policy_certpoll_3des);
	tcase_add_test(tc, test_policy_no_legacy);
	tcase_add_test(tc, test_policy_pwri_cipher);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(envelope_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
