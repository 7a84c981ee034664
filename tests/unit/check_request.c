/*
 * check_request.c: the client role of scep/request.c: requests built
 * with scep_request_build() (RFC 8894 sections 3.3.1, 3.3.3, 3.3.4) for
 * every type, cipher and digest, with one and two recipients, parsed
 * and opened again by our own server code and compared field by field;
 * the temporary self-signed signer certificate (section 2.3); and the
 * requests that must be refused.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scep/extern.h"
#include "tests/unit/testutil.h"

#define TXID	"REQUEST-TEST/0123:4567=89+AB?"

/* Everything a request needs, and the recipients' keys. */
struct fixture {
	EVP_PKEY	*key;		/* the client's key */
	X509		*signer;	/* its self-signed certificate */
	X509_REQ	*csr;
	X509		*ra, *ca;
	EVP_PKEY	*ra_key, *ca_key;
	STACK_OF(X509)	*one, *two;	/* [ra] and [ra, ca] */
	X509_NAME	*issuer, *subject;
	ASN1_INTEGER	*serial;
};

static void
fixture_load(struct fixture *f)
{
	X509_NAME	*n;

	memset(f, 0, sizeof(*f));
	f->key = tu_rsa_key(2048);
	n = tu_name("CN=request test,O=scepd");
	f->signer = scep_selfsigned_new(tu_ctx(), f->key, n, TEST_NOW, 1);
	ck_assert_ptr_nonnull(f->signer);
	X509_NAME_free(n);
	f->csr = tu_csr(f->key, "CN=request test,O=scepd", "s3cret-challenge");
	f->ra = tu_cert("corpus/pki/ra.crt");
	f->ra_key = tu_key("corpus/pki/ra.key");
	f->ca = tu_cert("corpus/pki/ca.crt");
	f->ca_key = tu_key("corpus/pki/ca.key");
	f->one = sk_X509_new_null();
	f->two = sk_X509_new_null();
	ck_assert_ptr_nonnull(f->one);
	ck_assert_ptr_nonnull(f->two);
	ck_assert_int_gt(sk_X509_push(f->one, f->ra), 0);
	ck_assert_int_gt(sk_X509_push(f->two, f->ra), 0);
	ck_assert_int_gt(sk_X509_push(f->two, f->ca), 0);
	f->issuer = X509_NAME_dup(X509_get_subject_name(f->ca));
	ck_assert_ptr_nonnull(f->issuer);
	f->subject = tu_name("CN=request test,O=scepd");
	f->serial = ASN1_INTEGER_new();
	ck_assert_ptr_nonnull(f->serial);
	/* A serial with its top bit set: a leading zero byte in DER. */
	ck_assert_int_eq(ASN1_INTEGER_set_uint64(f->serial,
	    0x8123456789abcdefULL), 1);
}

static void
fixture_free(struct fixture *f)
{
	EVP_PKEY_free(f->key);
	X509_free(f->signer);
	X509_REQ_free(f->csr);
	sk_X509_free(f->one);
	sk_X509_free(f->two);
	X509_free(f->ra);
	X509_free(f->ca);
	EVP_PKEY_free(f->ra_key);
	EVP_PKEY_free(f->ca_key);
	X509_NAME_free(f->issuer);
	X509_NAME_free(f->subject);
	ASN1_INTEGER_free(f->serial);
}

/* A request of type t with everything of f filled in. */
static void
request_init(struct scep_request *r, const struct fixture *f,
    enum scep_msgtype t, enum scep_cipher c, enum scep_digest d)
{
	memset(r, 0, sizeof(*r));
	r->type = t;
	r->txid = TXID;
	r->signer = f->signer;
	r->signer_key = f->key;
	r->digest = d;
	r->cipher = c;
	r->recipients = f->one;
	switch (t) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
		r->csr = f->csr;
		break;
	case SCEP_MSG_CERTPOLL:
		r->issuer = f->issuer;
		r->subject = f->subject;
		break;
	default:
		r->issuer = f->issuer;
		r->serial = f->serial;
		break;
	}
}

/* Whether a parsed CSR has the DER of the one that was sent. */
static int
csr_same(const struct scep_csr *a, X509_REQ *b)
{
	unsigned char	*db = NULL;
	int		 nb, same;

	nb = i2d_X509_REQ(b, &db);
	ck_assert_int_gt(nb, 0);
	same = a->der_len == (size_t)nb && memcmp(a->der, db, a->der_len) == 0;
	OPENSSL_free(db);
	return same;
}

/*
 * Parse the request buf as the server does, open it with rcert/rkey and
 * compare every field with what r asked for.
 */
static void
check_roundtrip(const struct scep_buf *buf, const struct scep_request *r,
    const uint8_t *nonce, X509 *rcert, EVP_PKEY *rkey)
{
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	struct scep_msg		*m = NULL;

	scep_limits_default(&lim);
	tu_policy_all(&pol);
	ck_assert_msg(scep_msg_parse(tu_ctx(), buf->data, buf->len, &lim,
	    &pol, &m, &err) == 1, "%s/%s/%s: %s", scep_msgtype_name(r->type),
	    scep_cipher_name(r->cipher), scep_digest_name(r->digest),
	    err.reason);
	ck_assert_int_eq(m->has_type, 1);
	ck_assert_int_eq(m->type, r->type);
	ck_assert_uint_eq(m->txid_len, strlen(r->txid));
	ck_assert_str_eq(m->txid, r->txid);
	ck_assert_mem_eq(m->sender_nonce, nonce, SCEP_NONCE_LEN);
	ck_assert_int_eq(m->has_recipient_nonce, 0);
	ck_assert_int_eq(m->has_status, 0);
	ck_assert_int_eq(m->digest, r->digest);
	ck_assert_int_eq(X509_cmp(m->signer, r->signer), 0);
	ck_assert_int_eq(sk_X509_num(m->certs), 1);

	ck_assert_msg(scep_msg_open(tu_ctx(), m, rcert, rkey, &lim, &pol,
	    &err) == 1, "open %s/%s: %s", scep_msgtype_name(r->type),
	    scep_cipher_name(r->cipher), err.reason);
	ck_assert_int_eq(m->cipher, r->cipher);
	switch (r->type) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
		ck_assert_ptr_nonnull(m->csr);
		ck_assert(csr_same(m->csr, r->csr));
		/* The signer's key, not decoded a second time. */
		ck_assert_ptr_eq(m->csr->key, X509_get0_pubkey(m->signer));
		ck_assert_int_eq(m->has_challenge, 1);
		ck_assert_uint_eq(m->challenge_len, 16);
		ck_assert_mem_eq(m->challenge, "s3cret-challenge", 16);
		ck_assert_ptr_null(m->issuer);
		break;
	case SCEP_MSG_CERTPOLL:
		ck_assert_ptr_null(m->csr);
		ck_assert_ptr_nonnull(m->issuer);
		ck_assert_ptr_nonnull(m->subject);
		ck_assert_int_eq(X509_NAME_cmp(m->issuer, r->issuer), 0);
		ck_assert_int_eq(X509_NAME_cmp(m->subject, r->subject), 0);
		ck_assert_ptr_null(m->serial);
		break;
	default:
		ck_assert_ptr_null(m->csr);
		ck_assert_ptr_nonnull(m->issuer);
		ck_assert_ptr_nonnull(m->serial);
		ck_assert_int_eq(X509_NAME_cmp(m->issuer, r->issuer), 0);
		ck_assert_int_eq(ASN1_INTEGER_cmp(m->serial, r->serial), 0);
		ck_assert_ptr_null(m->subject);
		break;
	}
	scep_msg_free(m);
}

/*
 * A CSR for another key than the signer's (a renewal with a new key, RSA
 * and EC): its own key is decoded, and its signature is checked with it.
 */
START_TEST(test_csr_other_key)
{
	struct fixture		 f;
	struct scep_request	 r;
	struct scep_buf		 out = { NULL, 0 };
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	struct scep_msg		*m = NULL;
	EVP_PKEY		*key;
	X509_REQ		*csr;
	uint8_t			 nonce[SCEP_NONCE_LEN];
	int			 i;

	fixture_load(&f);
	scep_limits_default(&lim);
	tu_policy_all(&pol);
	for (i = 0; i < 2; i++) {
		key = i == 0 ? tu_key(
		    "corpus/client-keys/sscep-pkcsreq-aes128-sha256.key") :
		    tu_ec_key();
		csr = tu_csr(key, "CN=request test,O=scepd", "s3cret");
		request_init(&r, &f, SCEP_MSG_RENEWALREQ, SCEP_CIPHER_AES128,
		    SCEP_DIGEST_SHA256);
		r.csr = csr;
		ck_assert_int_eq(scep_request_build(tu_ctx(), &r, nonce, &out,
		    &err), 1);
		ck_assert_int_eq(scep_msg_parse(tu_ctx(), out.data, out.len,
		    &lim, &pol, &m, &err), 1);
		ck_assert_msg(scep_msg_open(tu_ctx(), m, f.ra, f.ra_key, &lim,
		    &pol, &err) == 1, "open: %s", err.reason);
		ck_assert(csr_same(m->csr, csr));
		ck_assert_ptr_ne(m->csr->key, X509_get0_pubkey(m->signer));
		ck_assert_int_eq(EVP_PKEY_eq(m->csr->key, key), 1);
		ck_assert_int_ne(EVP_PKEY_eq(m->csr->key,
		    X509_get0_pubkey(m->signer)), 1);
		scep_msg_free(m);
		m = NULL;
		scep_buf_free(&out);
		X509_REQ_free(csr);
		EVP_PKEY_free(key);
	}
	fixture_free(&f);
}
END_TEST

/* Every request type, every cipher, every digest, one recipient. */
START_TEST(test_roundtrip_all)
{
	struct fixture		 f;
	struct scep_request	 r;
	struct scep_buf		 out = { NULL, 0 };
	struct scep_error	 err;
	uint8_t			 nonce[SCEP_NONCE_LEN];
	int			 t, c, d;

	fixture_load(&f);
	for (t = SCEP_MSG_RENEWALREQ; t < SCEP_MSG__MAX; t++)
		for (c = 0; c < SCEP_CIPHER__MAX; c++)
			for (d = 0; d < SCEP_DIGEST__MAX; d++) {
				request_init(&r, &f, (enum scep_msgtype)t,
				    (enum scep_cipher)c, (enum scep_digest)d);
				ck_assert_msg(scep_request_build(tu_ctx(), &r,
				    nonce, &out, &err) == 1, "build: %s",
				    err.reason);
				check_roundtrip(&out, &r, nonce, f.ra,
				    f.ra_key);
				scep_buf_free(&out);
			}
	fixture_free(&f);
}
END_TEST

/* Two recipients (RA, CA as scepclient does): each key opens. */
START_TEST(test_roundtrip_two_recipients)
{
	struct fixture		 f;
	struct scep_request	 r;
	struct scep_buf		 out = { NULL, 0 };
	struct scep_error	 err;
	uint8_t			 nonce[SCEP_NONCE_LEN];
	int			 t, c;

	fixture_load(&f);
	for (t = SCEP_MSG_RENEWALREQ; t < SCEP_MSG__MAX; t++)
		for (c = 0; c < SCEP_CIPHER__MAX; c++) {
			request_init(&r, &f, (enum scep_msgtype)t,
			    (enum scep_cipher)c, SCEP_DIGEST_SHA256);
			r.recipients = f.two;
			ck_assert_int_eq(scep_request_build(tu_ctx(), &r,
			    nonce, &out, &err), 1);
			check_roundtrip(&out, &r, nonce, f.ra, f.ra_key);
			check_roundtrip(&out, &r, nonce, f.ca, f.ca_key);
			scep_buf_free(&out);
		}
	fixture_free(&f);
}
END_TEST

/* A given senderNonce is used as is; without one each is fresh. */
START_TEST(test_nonce)
{
	static const uint8_t	 given[SCEP_NONCE_LEN] = "0123456789abcdef";
	struct fixture		 f;
	struct scep_request	 r;
	struct scep_buf		 out = { NULL, 0 };
	struct scep_error	 err;
	uint8_t			 n1[SCEP_NONCE_LEN], n2[SCEP_NONCE_LEN];

	fixture_load(&f);
	request_init(&r, &f, SCEP_MSG_PKCSREQ, SCEP_CIPHER_AES128,
	    SCEP_DIGEST_SHA256);
	r.nonce = given;
	ck_assert_int_eq(scep_request_build(tu_ctx(), &r, n1, &out, &err), 1);
	ck_assert_mem_eq(n1, given, SCEP_NONCE_LEN);
	check_roundtrip(&out, &r, given, f.ra, f.ra_key);
	scep_buf_free(&out);

	/* nonce_out may be NULL. */
	ck_assert_int_eq(scep_request_build(tu_ctx(), &r, NULL, &out, &err),
	    1);
	check_roundtrip(&out, &r, given, f.ra, f.ra_key);
	scep_buf_free(&out);

	r.nonce = NULL;
	ck_assert_int_eq(scep_request_build(tu_ctx(), &r, n1, &out, &err), 1);
	check_roundtrip(&out, &r, n1, f.ra, f.ra_key);
	scep_buf_free(&out);
	ck_assert_int_eq(scep_request_build(tu_ctx(), &r, n2, &out, &err), 1);
	check_roundtrip(&out, &r, n2, f.ra, f.ra_key);
	scep_buf_free(&out);
	ck_assert(memcmp(n1, n2, SCEP_NONCE_LEN) != 0);
	fixture_free(&f);
}
END_TEST

/* transactionIDs of 1 and 128 PrintableString characters. */
START_TEST(test_txid_bounds)
{
	struct fixture		 f;
	struct scep_request	 r;
	struct scep_buf		 out = { NULL, 0 };
	struct scep_error	 err;
	uint8_t			 nonce[SCEP_NONCE_LEN];
	char			 txid[SCEP_TXID_MAX + 1];

	fixture_load(&f);
	request_init(&r, &f, SCEP_MSG_CERTPOLL, SCEP_CIPHER_DES3,
	    SCEP_DIGEST_SHA1);
	r.txid = "x";
	ck_assert_int_eq(scep_request_build(tu_ctx(), &r, nonce, &out, &err),
	    1);
	check_roundtrip(&out, &r, nonce, f.ra, f.ra_key);
	scep_buf_free(&out);

	memset(txid, 'Z', SCEP_TXID_MAX);
	txid[SCEP_TXID_MAX] = '\0';
	r.txid = txid;
	ck_assert_int_eq(scep_request_build(tu_ctx(), &r, nonce, &out, &err),
	    1);
	check_roundtrip(&out, &r, nonce, f.ra, f.ra_key);
	scep_buf_free(&out);
	fixture_free(&f);
}
END_TEST

/* The self-signed signer certificate of RFC 8894 section 2.3. */
START_TEST(test_selfsigned)
{
	EVP_PKEY		*keys[2];
	X509			*x, *y;
	X509_NAME		*n;
	ASN1_TIME		*t;
	const ASN1_INTEGER	*sn;
	X509_EXTENSION		*ext;
	BIGNUM			*bn;
	int			 i, day, sec, idx;
	time_t			 now = TEST_NOW;

	keys[0] = tu_rsa_key(2048);
	keys[1] = tu_ec_key();
	n = tu_name("CN=self signed,O=scepd");
	t = ASN1_TIME_set(NULL, now);
	ck_assert_ptr_nonnull(t);
	for (i = 0; i < 2; i++) {
		x = scep_selfsigned_new(tu_ctx(), keys[i], n, now, 7);
		ck_assert_ptr_nonnull(x);

		/* Self-signed with this key, SHA-256, version 3. */
		ck_assert_int_eq(X509_verify(x, keys[i]), 1);
		ck_assert_int_eq(X509_check_private_key(x, keys[i]), 1);
		ck_assert_int_eq(X509_get_signature_nid(x), i == 0 ?
		    NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256);
		ck_assert_int_eq(X509_get_version(x), X509_VERSION_3);
		ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(x), n), 0);
		ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(x), n), 0);

		/* notBefore = now - 1 h, notAfter = now + 7 days. */
		ck_assert_int_eq(ASN1_TIME_diff(&day, &sec, t,
		    X509_get0_notBefore(x)), 1);
		ck_assert_int_eq(day, 0);
		ck_assert_int_eq(sec, -3600);
		ck_assert_int_eq(ASN1_TIME_diff(&day, &sec, t,
		    X509_get0_notAfter(x)), 1);
		ck_assert_int_eq(day, 7);
		ck_assert_int_eq(sec, 0);

		/* keyUsage digitalSignature + keyEncipherment, critical. */
		ck_assert_uint_eq(X509_get_key_usage(x),
		    KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
		idx = X509_get_ext_by_NID(x, NID_key_usage, -1);
		ck_assert_int_ge(idx, 0);
		ext = X509_get_ext(x, idx);
		ck_assert_int_eq(X509_EXTENSION_get_critical(ext), 1);
		ck_assert_int_eq(X509_get_ext_count(x), 1);

		/* A positive serial of at most 64 bits. */
		sn = X509_get0_serialNumber(x);
		ck_assert_int_eq(ASN1_STRING_type(sn), V_ASN1_INTEGER);
		bn = ASN1_INTEGER_to_BN(sn, NULL);
		ck_assert_ptr_nonnull(bn);
		ck_assert(!BN_is_zero(bn));
		ck_assert(!BN_is_negative(bn));
		ck_assert_int_le(BN_num_bits(bn), 64);
		BN_free(bn);

		/* A second one has another serial. */
		y = scep_selfsigned_new(tu_ctx(), keys[i], n, now, 7);
		ck_assert_ptr_nonnull(y);
		ck_assert_int_ne(ASN1_INTEGER_cmp(sn,
		    X509_get0_serialNumber(y)), 0);
		X509_free(y);
		X509_free(x);
	}

	/* The injected time, not the clock: a date far in the past. */
	x = scep_selfsigned_new(tu_ctx(), keys[0], n, (time_t)946684800, 1);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x),
	    (time_t)946684800 + 86400), 0);
	X509_free(x);

	ASN1_TIME_free(t);
	X509_NAME_free(n);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
}
END_TEST

/* scep_selfsigned_new() refuses what it cannot build. */
START_TEST(test_selfsigned_refused)
{
	EVP_PKEY	*key;
	X509_NAME	*n;

	key = tu_rsa_key(2048);
	n = tu_name("CN=x");
	ck_assert_ptr_null(scep_selfsigned_new(tu_ctx(), NULL, n, TEST_NOW,
	    1));
	ck_assert_ptr_null(scep_selfsigned_new(tu_ctx(), key, NULL, TEST_NOW,
	    1));
	ck_assert_ptr_null(scep_selfsigned_new(tu_ctx(), key, n, TEST_NOW,
	    0));
	ck_assert_ptr_null(scep_selfsigned_new(tu_ctx(), key, n, TEST_NOW,
	    -5));
	ck_assert_ptr_null(scep_selfsigned_new(NULL, key, n, TEST_NOW, 1));
	X509_NAME_free(n);
	EVP_PKEY_free(key);
}
END_TEST

/* Build r and expect a refusal that leaves out untouched. */
static void
assert_refused(const struct scep_request *r, const char *what)
{
	struct scep_buf		 out = { NULL, 0 };
	struct scep_error	 err;
	uint8_t			 nonce[SCEP_NONCE_LEN];

	memset(&err, 0, sizeof(err));
	memset(nonce, 0xa5, sizeof(nonce));
	ck_assert_msg(scep_request_build(tu_ctx(), r, nonce, &out, &err) == 0,
	    "%s accepted", what);
	ck_assert_int_eq(err.outcome, SCEP_MALFORMED);
	ck_assert_ptr_nonnull(err.reason);
	ck_assert_ptr_null(out.data);
	ck_assert_uint_eq(out.len, 0);
	/* nonce_out is only written on success. */
	ck_assert_int_eq(nonce[0], 0xa5);
}

/* Requests that must not be built. */
START_TEST(test_refused)
{
	static const char *const bad_txids[] = {
		"", "with@at", "with\"quote", "with*star", "tab\there",
		"semi;colon", "under_score", "nl\n",
	};
	struct fixture		 f;
	struct scep_request	 r;
	STACK_OF(X509)		*empty;
	char			 txid[SCEP_TXID_MAX + 2];
	size_t			 i;

	fixture_load(&f);
	for (i = 0; i < sizeof(bad_txids) / sizeof(bad_txids[0]); i++) {
		request_init(&r, &f, SCEP_MSG_PKCSREQ, SCEP_CIPHER_AES128,
		    SCEP_DIGEST_SHA256);
		r.txid = bad_txids[i];
		assert_refused(&r, bad_txids[i]);
	}
	/* 129 characters: one more than INTEROP.md 6.7 allows. */
	memset(txid, 'A', SCEP_TXID_MAX + 1);
	txid[SCEP_TXID_MAX + 1] = '\0';
	r.txid = txid;
	assert_refused(&r, "129-character txid");
	r.txid = NULL;
	assert_refused(&r, "NULL txid");

	/* A client never sends a CertRep; no type past the table. */
	request_init(&r, &f, SCEP_MSG_CERTREP, SCEP_CIPHER_AES128,
	    SCEP_DIGEST_SHA256);
	r.csr = f.csr;
	assert_refused(&r, "CertRep");
	r.type = SCEP_MSG__MAX;
	assert_refused(&r, "type out of range");

	/* Recipients, signer and key are required. */
	request_init(&r, &f, SCEP_MSG_PKCSREQ, SCEP_CIPHER_AES128,
	    SCEP_DIGEST_SHA256);
	r.recipients = NULL;
	assert_refused(&r, "no recipients");
	empty = sk_X509_new_null();
	ck_assert_ptr_nonnull(empty);
	r.recipients = empty;
	assert_refused(&r, "empty recipients");
	sk_X509_free(empty);
	r.recipients = f.one;
	r.signer = NULL;
	assert_refused(&r, "no signer");
	r.signer = f.signer;
	r.signer_key = NULL;
	assert_refused(&r, "no signer key");

	/* Algorithms outside the tables. */
	request_init(&r, &f, SCEP_MSG_PKCSREQ, SCEP_CIPHER__MAX,
	    SCEP_DIGEST_SHA256);
	assert_refused(&r, "cipher out of range");
	request_init(&r, &f, SCEP_MSG_PKCSREQ, SCEP_CIPHER_AES128,
	    SCEP_DIGEST__MAX);
	assert_refused(&r, "digest out of range");

	/* The content each type needs. */
	request_init(&r, &f, SCEP_MSG_PKCSREQ, SCEP_CIPHER_AES128,
	    SCEP_DIGEST_SHA256);
	r.csr = NULL;
	assert_refused(&r, "PKCSReq without CSR");
	request_init(&r, &f, SCEP_MSG_RENEWALREQ, SCEP_CIPHER_AES128,
	    SCEP_DIGEST_SHA256);
	r.csr = NULL;
	assert_refused(&r, "RenewalReq without CSR");
	request_init(&r, &f, SCEP_MSG_CERTPOLL, SCEP_CIPHER_AES128,
	    SCEP_DIGEST_SHA256);
	r.subject = NULL;
	assert_refused(&r, "CertPoll without subject");
	r.subject = f.subject;
	r.issuer = NULL;
	assert_refused(&r, "CertPoll without issuer");
	request_init(&r, &f, SCEP_MSG_GETCERT, SCEP_CIPHER_AES128,
	    SCEP_DIGEST_SHA256);
	r.serial = NULL;
	assert_refused(&r, "GetCert without serial");
	request_init(&r, &f, SCEP_MSG_GETCRL, SCEP_CIPHER_AES128,
	    SCEP_DIGEST_SHA256);
	r.issuer = NULL;
	assert_refused(&r, "GetCRL without issuer");

	fixture_free(&f);
}
END_TEST

static Suite *
request_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("request");

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_roundtrip_all);
	tcase_add_test(tc, test_roundtrip_two_recipients);
	tcase_add_test(tc, test_csr_other_key);
	tcase_add_test(tc, test_nonce);
	tcase_add_test(tc, test_txid_bounds);
	tcase_add_test(tc, test_selfsigned);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_selfsigned_refused);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(request_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
