/*
 * check_certrep.c: the server's replies (scep/certrep.c, RFC 8894
 * section 3.3.2, INTEROP.md 6.2).
 *
 * Each reply is built for a real client request from the corpus (parsed
 * and opened with our own code and the RA's, or CA's, key) and checked
 * twice: with our own parser, as micromdm and Apple-shaped clients
 * would, and with OpenSSL's PKCS7 API the way sscep does it (d2i_PKCS7,
 * PKCS7_verify, PKCS7_decrypt, first certificate of the degenerate).
 */
#include "config.h"

#include <stdio.h>
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

/* A request of the corpus, opened, with what is needed to answer it. */
struct fixture {
	struct scep_msg	*req;
	X509		*ra, *ca;	/* the reply's signer, the trust anchor */
	EVP_PKEY	*ra_key;
	EVP_PKEY	*ca_key;	/* issues certificates and CRLs */
	EVP_PKEY	*client_key;	/* opens the SUCCESS envelope */
	X509		*issued;
};

/* What a reply must say. */
struct expect {
	enum scep_status	 status;
	enum scep_failinfo	 failinfo;
	const char		*text;		/* failInfoText or NULL */
	enum scep_digest	 digest;
	X509			*issued;	/* SUCCESS to a PKCSReq */
	X509_CRL		*crl;		/* SUCCESS to a GetCRL */
};

/*
 * Parse corpus/messages/name and open it with the recipient's key
 * ("ra", "ca" or "ec-ra" below corpus/pki); the reply is signed by that
 * same certificate.  client is the key file that opens the reply
 * (below corpus/), or NULL.  A certificate for the request's key is
 * issued by pki/ca.key.
 */
static void
fixture_load(struct fixture *f, const char *name, const char *recip,
    const char *client)
{
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	char			 path[256];
	uint8_t			*buf;
	size_t			 len;
	EVP_PKEY		*pub;

	memset(f, 0, sizeof(*f));
	scep_limits_default(&lim);
	tu_policy_all(&pol);

	snprintf(path, sizeof(path), "corpus/messages/%s", name);
	buf = tu_read(path, &len);
	ck_assert_msg(scep_msg_parse(tu_ctx(), buf, len, &lim, &pol, &f->req,
	    &err) == 1, "%s: %s", name, err.reason);
	free(buf);

	snprintf(path, sizeof(path), "corpus/pki/%s.crt", recip);
	f->ra = tu_cert(path);
	snprintf(path, sizeof(path), "corpus/pki/%s.key", recip);
	f->ra_key = tu_key(path);
	ck_assert_msg(scep_msg_open(tu_ctx(), f->req, f->ra, f->ra_key, &lim,
	    &pol, &err) == 1, "%s: %s", name, err.reason);
	ck_assert_int_eq(f->req->opened, 1);

	f->ca = tu_cert("corpus/pki/ca.crt");
	f->ca_key = tu_key("corpus/pki/ca.key");
	if (client != NULL)
		f->client_key = tu_key(client);

	/* The issued certificate: for the CSR key, else the signer's. */
	if (f->req->csr != NULL)
		pub = f->req->csr->key;
	else
		pub = X509_get0_pubkey(f->req->signer);
	ck_assert_ptr_nonnull(pub);
	f->issued = tu_issue(pub, "CN=issued by check_certrep", f->ca,
	    f->ca_key, 4242, TEST_NOW, 365);
}

static void
fixture_free(struct fixture *f)
{
	scep_msg_free(f->req);
	X509_free(f->ra);
	X509_free(f->ca);
	EVP_PKEY_free(f->ra_key);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->client_key);
	X509_free(f->issued);
}

/* A CRL issued by the corpus CA, revoking serial 1558773763. */
static X509_CRL *
make_crl(X509 *ca, EVP_PKEY *ca_key)
{
	X509_CRL	*crl;
	X509_REVOKED	*rev;
	ASN1_TIME	*t;
	ASN1_INTEGER	*sn;
	time_t		 now = TEST_NOW;

	crl = X509_CRL_new();
	ck_assert_ptr_nonnull(crl);
	ck_assert_int_eq(X509_CRL_set_version(crl, 1), 1);
	ck_assert_int_eq(X509_CRL_set_issuer_name(crl,
	    X509_get_subject_name(ca)), 1);
	t = X509_time_adj_ex(NULL, 0, 0, &now);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(X509_CRL_set1_lastUpdate(crl, t), 1);
	ck_assert_ptr_nonnull(X509_time_adj_ex(t, 7, 0, &now));
	ck_assert_int_eq(X509_CRL_set1_nextUpdate(crl, t), 1);
	rev = X509_REVOKED_new();
	ck_assert_ptr_nonnull(rev);
	sn = ASN1_INTEGER_new();
	ck_assert_ptr_nonnull(sn);
	ck_assert_int_eq(ASN1_INTEGER_set_int64(sn, 1558773763), 1);
	ck_assert_int_eq(X509_REVOKED_set_serialNumber(rev, sn), 1);
	ck_assert_int_eq(X509_REVOKED_set_revocationDate(rev, t), 1);
	ck_assert_int_eq(X509_CRL_add0_revoked(crl, rev), 1);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	ck_assert_int_gt(X509_CRL_sign(crl, ca_key, EVP_sha256()), 0);
	return crl;
}

/*
 * Check a reply with our own parser (the client role): a CertRep with
 * the expected status, failInfo, text and digest; the transactionID
 * byte for byte; recipientNonce = the request's senderNonce; a new
 * senderNonce; signed by signer, the only certificate.  A SUCCESS is
 * opened with the requester's signer certificate and key and must hold
 * exactly the issued certificate (or the CRL), in the request's cipher.
 */
static void
check_ours(const struct scep_buf *rep, const struct fixture *f, X509 *signer,
    const struct expect *e)
{
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	struct scep_msg		*m = NULL;
	const struct scep_msg	*req = f->req;

	scep_limits_default(&lim);
	tu_policy_all(&pol);
	ck_assert_msg(scep_msg_parse(tu_ctx(), rep->data, rep->len, &lim,
	    &pol, &m, &err) == 1, "reply: %s", err.reason);
	ck_assert_int_eq(m->type, SCEP_MSG_CERTREP);
	ck_assert_int_eq(m->has_status, 1);
	ck_assert_int_eq(m->status, e->status);
	ck_assert_uint_eq(m->txid_len, req->txid_len);
	ck_assert_mem_eq(m->txid, req->txid, req->txid_len);
	ck_assert_int_eq(m->has_recipient_nonce, 1);
	ck_assert_mem_eq(m->recipient_nonce, req->sender_nonce,
	    SCEP_NONCE_LEN);
	ck_assert_msg(memcmp(m->sender_nonce, req->sender_nonce,
	    SCEP_NONCE_LEN) != 0, "senderNonce not fresh");
	ck_assert_int_eq(m->digest, e->digest);
	ck_assert_int_eq(X509_cmp(m->signer, signer), 0);
	ck_assert_int_eq(sk_X509_num(m->certs), 1);

	if (e->status == SCEP_STATUS_FAILURE) {
		ck_assert_int_eq(m->has_failinfo, 1);
		ck_assert_int_eq(m->failinfo, e->failinfo);
	} else
		ck_assert_int_eq(m->has_failinfo, 0);
	if (e->text != NULL) {
		ck_assert_ptr_nonnull(m->failinfo_text);
		ck_assert_str_eq(m->failinfo_text, e->text);
	} else
		ck_assert_ptr_null(m->failinfo_text);

	if (e->status != SCEP_STATUS_SUCCESS) {
		/* RFC 8894 section 3.3.2.2: no pkcsPKIEnvelope. */
		ck_assert_ptr_null(m->envelope);
		scep_msg_free(m);
		return;
	}
	ck_assert_ptr_nonnull(m->envelope);
	ck_assert_msg(scep_msg_open(tu_ctx(), m, req->signer, f->client_key,
	    &lim, &pol, &err) == 1, "reply envelope: %s", err.reason);
	ck_assert_int_eq(m->cipher, req->cipher);
	if (e->issued != NULL) {
		ck_assert_int_eq(sk_X509_num(m->rep_certs), 1);
		ck_assert_int_eq(X509_cmp(sk_X509_value(m->rep_certs, 0),
		    e->issued), 0);
		ck_assert_ptr_null(m->rep_crls);
	}
	if (e->crl != NULL) {
		ck_assert_ptr_null(m->rep_certs);
		ck_assert_int_eq(sk_X509_CRL_num(m->rep_crls), 1);
		ck_assert_int_eq(X509_CRL_cmp(sk_X509_CRL_value(m->rep_crls,
		    0), e->crl), 0);
	}
	scep_msg_free(m);
}

/* The NID of a SCEP attribute, registered as sscep does (OBJ_create). */
static int
scep_nid(const char *oid, const char *name)
{
	int	 nid;

	if ((nid = OBJ_txt2nid(oid)) != NID_undef)
		return nid;
	nid = OBJ_create(oid, name, name);
	ck_assert_int_ne(nid, NID_undef);
	return nid;
}

/* A signed attribute as sscep reads it: exact type, its bytes. */
static const ASN1_STRING *
sscep_attr(PKCS7_SIGNER_INFO *si, const char *oid, const char *name,
    int type)
{
	ASN1_TYPE	*t;

	t = PKCS7_get_signed_attribute(si, scep_nid(oid, name));
	ck_assert_msg(t != NULL, "no %s", name);
	ck_assert_msg(t->type == type, "%s has type %d", name, t->type);
	return t->value.asn1_string;
}

/* Whether s holds exactly the n bytes p. */
static int
str_is(const ASN1_STRING *s, const void *p, size_t n)
{
	return (size_t)ASN1_STRING_length(s) == n &&
	    memcmp(ASN1_STRING_get0_data(s), p, n) == 0;
}

/*
 * Check a reply the way sscep 0.10.0 does (pkcs7.c:550-830): d2i_PKCS7,
 * PKCS7_verify with the certificate it chose (signer) and the CA, the
 * attributes by type, and for SUCCESS PKCS7_decrypt with the request's
 * signer certificate and key, then the first certificate of the
 * degenerate.  With chain, the signer is path-validated to f->ca; a
 * lone CA without digitalSignature fails OpenSSL's S/MIME purpose check,
 * so then only the signature is verified (PKCS7_NOVERIFY).
 */
static void
check_sscep(const struct scep_buf *rep, const struct fixture *f,
    X509 *signer, const struct expect *e, int chain)
{
	const unsigned char	*p = rep->data;
	PKCS7			*p7, *env, *deg;
	PKCS7_SIGNER_INFO	*si;
	STACK_OF(X509)		*certs;
	X509_STORE		*store;
	BIO			*out, *dec;
	const ASN1_STRING	*s;
	ASN1_OCTET_STRING	*ec;
	char			*data;
	long			 n;
	int			 mdnid;

	p7 = d2i_PKCS7(NULL, &p, (long)rep->len);
	ck_assert_ptr_nonnull(p7);
	ck_assert_ptr_eq(p, rep->data + rep->len);
	ck_assert_int_eq(PKCS7_type_is_signed(p7), 1);

	/* The certificates field holds exactly the signer (6.2). */
	ck_assert_int_eq(sk_X509_num(p7->d.sign->cert), 1);
	ck_assert_int_eq(X509_cmp(sk_X509_value(p7->d.sign->cert, 0),
	    signer), 0);

	/* The outer signature, as sscep checks it (pkcs7.c:620). */
	certs = sk_X509_new_null();
	ck_assert_ptr_nonnull(certs);
	ck_assert_int_gt(sk_X509_push(certs, signer), 0);
	store = X509_STORE_new();
	ck_assert_ptr_nonnull(store);
	ck_assert_int_eq(X509_STORE_add_cert(store, f->ca), 1);
	X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), TEST_NOW);
	out = BIO_new(BIO_s_mem());
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(PKCS7_verify(p7, certs, store, NULL, out,
	    PKCS7_BINARY | (chain ? 0 : PKCS7_NOVERIFY)) == 1,
	    "PKCS7_verify failed");

	/* One SignerInfo, the digest of INTEROP.md 6.1. */
	ck_assert_int_eq(sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7)),
	    1);
	si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
	mdnid = OBJ_obj2nid(si->digest_alg->algorithm);
	ck_assert_int_eq(mdnid, scep_digest_nid(e->digest));

	/* The attributes sscep reads, with the types it insists on. */
	s = sscep_attr(si, "2.16.840.1.113733.1.9.7", "transactionID",
	    V_ASN1_PRINTABLESTRING);
	ck_assert(str_is(s, f->req->txid, f->req->txid_len));
	s = sscep_attr(si, "2.16.840.1.113733.1.9.2", "messageType",
	    V_ASN1_PRINTABLESTRING);
	ck_assert(str_is(s, "3", 1));
	s = sscep_attr(si, "2.16.840.1.113733.1.9.3", "pkiStatus",
	    V_ASN1_PRINTABLESTRING);
	ck_assert(str_is(s, scep_status_str(e->status),
	    strlen(scep_status_str(e->status))));
	s = sscep_attr(si, "2.16.840.1.113733.1.9.5", "senderNonce",
	    V_ASN1_OCTET_STRING);
	ck_assert_int_eq(ASN1_STRING_length(s), SCEP_NONCE_LEN);
	s = sscep_attr(si, "2.16.840.1.113733.1.9.6", "recipientNonce",
	    V_ASN1_OCTET_STRING);
	ck_assert(str_is(s, f->req->sender_nonce, SCEP_NONCE_LEN));
	if (e->status == SCEP_STATUS_FAILURE) {
		s = sscep_attr(si, "2.16.840.1.113733.1.9.4", "failInfo",
		    V_ASN1_PRINTABLESTRING);
		ck_assert(str_is(s, scep_failinfo_str(e->failinfo), 1));
	}

	/* The eContent: type data, always present (certmonger, 2.3). */
	ck_assert_int_eq(OBJ_obj2nid(p7->d.sign->contents->type),
	    NID_pkcs7_data);
	ec = p7->d.sign->contents->d.data;
	ck_assert_ptr_nonnull(ec);
	n = BIO_get_mem_data(out, &data);

	if (e->status != SCEP_STATUS_SUCCESS) {
		/* An EMPTY OCTET STRING: present, length 0, no envelope. */
		ck_assert_int_eq(ASN1_STRING_length(ec), 0);
		ck_assert_int_eq(n, 0);
		goto done;
	}

	/* SUCCESS: decrypt with the request's signer (pkcs7.c:811). */
	ck_assert_int_gt(n, 0);
	p = (const unsigned char *)data;
	env = d2i_PKCS7(NULL, &p, n);
	ck_assert_ptr_nonnull(env);
	ck_assert_ptr_eq(p, (const unsigned char *)data + n);
	ck_assert_int_eq(PKCS7_type_is_enveloped(env), 1);
	ck_assert_int_eq(OBJ_obj2nid(env->d.enveloped->enc_data->algorithm->
	    algorithm), scep_cipher_nid(f->req->cipher));
	dec = BIO_new(BIO_s_mem());
	ck_assert_ptr_nonnull(dec);
	ck_assert_msg(PKCS7_decrypt(env, f->client_key, f->req->signer, dec,
	    0) == 1, "PKCS7_decrypt failed");
	n = BIO_get_mem_data(dec, &data);
	ck_assert_int_gt(n, 0);
	p = (const unsigned char *)data;
	deg = d2i_PKCS7(NULL, &p, n);
	ck_assert_ptr_nonnull(deg);
	ck_assert_ptr_eq(p, (const unsigned char *)data + n);
	ck_assert_int_eq(PKCS7_type_is_signed(deg), 1);
	ck_assert_int_le(sk_PKCS7_SIGNER_INFO_num(deg->d.sign->signer_info),
	    0);
	if (e->issued != NULL) {
		/* sscep, micromdm and Apple take the first certificate. */
		ck_assert_int_eq(sk_X509_num(deg->d.sign->cert), 1);
		ck_assert_int_eq(X509_cmp(sk_X509_value(deg->d.sign->cert, 0),
		    e->issued), 0);
		ck_assert_int_le(sk_X509_CRL_num(deg->d.sign->crl), 0);
	}
	if (e->crl != NULL) {
		ck_assert_int_le(sk_X509_num(deg->d.sign->cert), 0);
		ck_assert_int_eq(sk_X509_CRL_num(deg->d.sign->crl), 1);
		ck_assert_int_eq(X509_CRL_cmp(sk_X509_CRL_value(
		    deg->d.sign->crl, 0), e->crl), 0);
	}
	PKCS7_free(deg);
	BIO_free(dec);
	PKCS7_free(env);
done:
	BIO_free(out);
	X509_STORE_free(store);
	sk_X509_free(certs);
	PKCS7_free(p7);
}

/* The reply digest for a request digest (INTEROP.md 6.1). */
static enum scep_digest
want_digest(enum scep_digest d)
{
	return d == SCEP_DIGEST_SHA512 ? SCEP_DIGEST_SHA512 :
	    SCEP_DIGEST_SHA256;
}

/*
 * Build a SUCCESS for corpus message name (recipient recip, client key
 * file client) and check it both ways; chain as for check_sscep().
 */
static void
success_for(const char *name, const char *recip, const char *client,
    int chain)
{
	struct fixture		 f;
	struct expect		 e;
	struct scep_buf		 rep = { NULL, 0 };
	struct scep_error	 err;

	fixture_load(&f, name, recip, client);
	ck_assert_msg(scep_certrep_success(tu_ctx(), f.req, f.ra, f.ra_key,
	    f.issued, &rep, &err) == 1, "%s: %s", name, err.reason);
	memset(&e, 0, sizeof(e));
	e.status = SCEP_STATUS_SUCCESS;
	e.digest = want_digest(f.req->digest);
	e.issued = f.issued;
	check_sscep(&rep, &f, f.ra, &e, chain);
	check_ours(&rep, &f, f.ra, &e);
	scep_buf_free(&rep);
	fixture_free(&f);
}

/* SUCCESS to sscep's AES-128/SHA-256 PKCSReq, signed by the RA. */
START_TEST(test_success_ra)
{
	success_for("sscep-pkcsreq-aes128-sha256.der", "ra",
	    "corpus/client-keys/sscep-pkcsreq-aes128-sha256.key", 1);
}
END_TEST

/* The reply envelope uses the request's cipher, for every cipher. */
START_TEST(test_success_ciphers)
{
	static const char *const ciphers[] = {
		"3des", "aes128", "aes192", "aes256",
	};
	static const char *const digests[] = { "sha1", "sha256", "sha512" };
	char		 name[128], key[128];
	size_t		 i, j;

	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++)
		for (j = 0; j < sizeof(digests) / sizeof(digests[0]); j++) {
			snprintf(name, sizeof(name), "sscep-pkcsreq-%s-%s.der",
			    ciphers[i], digests[j]);
			snprintf(key, sizeof(key),
			    "corpus/client-keys/sscep-pkcsreq-%s-%s.key",
			    ciphers[i], digests[j]);
			success_for(name, "ra", key, 1);
		}
}
END_TEST

/* SHA-512 requests get SHA-512 replies; SHA-1 and MD5 get SHA-256. */
START_TEST(test_success_digest)
{
	struct fixture		 f;
	struct scep_buf		 rep = { NULL, 0 };
	struct scep_error	 err;
	struct scep_msg		*m = NULL;
	struct scep_limits	 lim;
	struct scep_policy	 pol;

	scep_limits_default(&lim);
	tu_policy_all(&pol);

	fixture_load(&f, "sscep-pkcsreq-aes128-sha512.der", "ra", NULL);
	ck_assert_int_eq(f.req->digest, SCEP_DIGEST_SHA512);
	ck_assert_int_eq(scep_certrep_pending(tu_ctx(), f.req, f.ra, f.ra_key,
	    &rep, &err), 1);
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), rep.data, rep.len, &lim,
	    &pol, &m, &err), 1);
	ck_assert_int_eq(m->digest, SCEP_DIGEST_SHA512);
	scep_msg_free(m);
	scep_buf_free(&rep);
	fixture_free(&f);

	success_for("sscep-pkcsreq-aes256-md5.der", "ra",
	    "corpus/client-keys/sscep-pkcsreq-aes256-md5.key", 1);
	success_for("sscep-pkcsreq-aes128-sha512.der", "ra",
	    "corpus/client-keys/sscep-pkcsreq-aes128-sha512.key", 1);
}
END_TEST

/* A single-CA tenant: the CA decrypts and signs the reply. */
START_TEST(test_success_ca_only)
{
	success_for("sscep-pkcsreq-ca-only.der", "ca",
	    "corpus/client-keys/sscep-pkcsreq-ca-only.key", 0);
	success_for("apple-pkcsreq-ca-only.der", "ca",
	    "corpus/client-keys/apple-pkcsreq-ca-only.key", 0);
}
END_TEST

/*
 * scepclient 2.1.0 encrypts with single DES: the reply uses DES too and
 * PKCS7_decrypt opens it (tu_ctx() has the legacy provider).
 */
START_TEST(test_success_des)
{
	success_for("scepclient-pkcsreq-ra-only.der", "ra",
	    "corpus/client-keys/scepclient-pkcsreq-ra-only.key", 1);
	success_for("sscep-pkcsreq-des-sha256.der", "ra",
	    "corpus/client-keys/sscep-pkcsreq-des-sha256.key", 1);
}
END_TEST

/* The other clients, BER and the EC tenant's RA. */
START_TEST(test_success_clients)
{
	success_for("apple-pkcsreq-ber.ber", "ra",
	    "corpus/client-keys/apple-pkcsreq-ber.key", 1);
	success_for("certmonger-pkcsreq.der", "ra",
	    "corpus/client-keys/certmonger-pkcsreq.key", 1);
	success_for("scepclient-pkcsreq-ra-ca.der", "ra",
	    "corpus/client-keys/scepclient-pkcsreq-ra-ca.key", 1);
	/* A renewal: encrypted to the OLD certificate (RFC 8894 2.3). */
	success_for("sscep-renewal-newkey.der", "ra",
	    "corpus/pki/old-client.key", 1);
	/* A poll gets the certificate too. */
	success_for("apple-getcertinitial.der", "ra",
	    "corpus/client-keys/apple-pkcsreq-post.key", 1);
}
END_TEST

/* The EC tenant: the RSA RA of the EC CA signs and decrypts. */
START_TEST(test_success_ec_ra)
{
	struct fixture		 f;
	struct expect		 e;
	struct scep_buf		 rep = { NULL, 0 };
	struct scep_error	 err;

	fixture_load(&f, "sscep-pkcsreq-ec-ra.der", "ec-ra",
	    "corpus/client-keys/sscep-pkcsreq-ec-ra.key");
	ck_assert_int_eq(scep_certrep_success(tu_ctx(), f.req, f.ra, f.ra_key,
	    f.issued, &rep, &err), 1);
	memset(&e, 0, sizeof(e));
	e.status = SCEP_STATUS_SUCCESS;
	e.digest = SCEP_DIGEST_SHA256;
	e.issued = f.issued;
	check_ours(&rep, &f, f.ra, &e);
	/* ec-ra chains to ec-ca, not to f.ca: signature only. */
	check_sscep(&rep, &f, f.ra, &e, 0);
	scep_buf_free(&rep);
	fixture_free(&f);
}
END_TEST

/* GetCRL: the envelope holds a degenerate with the CRL, no certs. */
START_TEST(test_crl)
{
	static const char *const names[] = {
		"sscep-getcrl.der", "sscep-getcrl-cert.der",
	};
	struct fixture		 f;
	struct expect		 e;
	struct scep_buf		 rep = { NULL, 0 };
	struct scep_error	 err;
	X509_CRL		*crl;
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fixture_load(&f, names[i], "ra", "corpus/pki/old-client.key");
		ck_assert_int_eq(f.req->type, SCEP_MSG_GETCRL);
		crl = make_crl(f.ca, f.ca_key);
		ck_assert_msg(scep_certrep_crl(tu_ctx(), f.req, f.ra,
		    f.ra_key, crl, &rep, &err) == 1, "%s", err.reason);
		memset(&e, 0, sizeof(e));
		e.status = SCEP_STATUS_SUCCESS;
		e.digest = SCEP_DIGEST_SHA256;
		e.crl = crl;
		check_ours(&rep, &f, f.ra, &e);
		check_sscep(&rep, &f, f.ra, &e, 1);
		scep_buf_free(&rep);
		X509_CRL_free(crl);
		fixture_free(&f);
	}
}
END_TEST

/* GetCert: SUCCESS with the certificate asked for. */
START_TEST(test_getcert)
{
	struct fixture		 f;
	struct expect		 e;
	struct scep_buf		 rep = { NULL, 0 };
	struct scep_error	 err;
	X509			*cert;

	fixture_load(&f, "sscep-getcert.der", "ra",
	    "corpus/pki/old-client.key");
	ck_assert_int_eq(f.req->type, SCEP_MSG_GETCERT);
	cert = tu_cert("corpus/pki/old-client.crt");
	ck_assert_int_eq(scep_certrep_success(tu_ctx(), f.req, f.ra, f.ra_key,
	    cert, &rep, &err), 1);
	memset(&e, 0, sizeof(e));
	e.status = SCEP_STATUS_SUCCESS;
	e.digest = SCEP_DIGEST_SHA256;
	e.issued = cert;
	check_ours(&rep, &f, f.ra, &e);
	check_sscep(&rep, &f, f.ra, &e, 1);
	scep_buf_free(&rep);
	X509_free(cert);
	fixture_free(&f);
}
END_TEST

/* FAILURE with every failInfo, with and without failInfoText. */
START_TEST(test_failure)
{
	struct fixture		 f;
	struct expect		 e;
	struct scep_buf		 rep = { NULL, 0 };
	struct scep_error	 err;
	int			 fi;

	fixture_load(&f, "certmonger-pkcsreq-wrong-challenge.der", "ra",
	    NULL);
	for (fi = 0; fi < SCEP_FAIL__MAX; fi++) {
		memset(&e, 0, sizeof(e));
		e.status = SCEP_STATUS_FAILURE;
		e.failinfo = (enum scep_failinfo)fi;
		e.text = fi % 2 ? NULL : "wrong challenge password";
		e.digest = SCEP_DIGEST_SHA256;
		ck_assert_int_eq(scep_certrep_failure(tu_ctx(), f.req, f.ra,
		    f.ra_key, e.failinfo, e.text, &rep, &err), 1);
		check_ours(&rep, &f, f.ra, &e);
		check_sscep(&rep, &f, f.ra, &e, 1);
		scep_buf_free(&rep);
	}
	fixture_free(&f);
}
END_TEST

/* PENDING, for an RA and for a single-CA tenant. */
START_TEST(test_pending)
{
	struct fixture		 f;
	struct expect		 e;
	struct scep_buf		 rep = { NULL, 0 };
	struct scep_error	 err;

	memset(&e, 0, sizeof(e));
	e.status = SCEP_STATUS_PENDING;
	e.digest = SCEP_DIGEST_SHA256;

	fixture_load(&f, "certmonger-pkcsreq-pending.der", "ra", NULL);
	ck_assert_int_eq(scep_certrep_pending(tu_ctx(), f.req, f.ra, f.ra_key,
	    &rep, &err), 1);
	check_ours(&rep, &f, f.ra, &e);
	check_sscep(&rep, &f, f.ra, &e, 1);
	scep_buf_free(&rep);
	fixture_free(&f);

	fixture_load(&f, "sscep-pkcsreq-ca-only.der", "ca", NULL);
	ck_assert_int_eq(scep_certrep_pending(tu_ctx(), f.req, f.ra, f.ra_key,
	    &rep, &err), 1);
	check_ours(&rep, &f, f.ra, &e);
	check_sscep(&rep, &f, f.ra, &e, 0);
	scep_buf_free(&rep);
	fixture_free(&f);
}
END_TEST

/*
 * FAILURE and PENDING as CMS sees them: eContentType data, eContent
 * present and empty, and no EnvelopedData anywhere.
 */
START_TEST(test_empty_econtent)
{
	struct fixture		 f;
	struct scep_buf		 rep = { NULL, 0 };
	struct scep_error	 err;
	const unsigned char	*p;
	CMS_ContentInfo		*cms;
	ASN1_OCTET_STRING	**pos;
	int			 i;

	fixture_load(&f, "sscep-pkcsreq-aes128-sha256.der", "ra", NULL);
	for (i = 0; i < 2; i++) {
		if (i == 0)
			ck_assert_int_eq(scep_certrep_failure(tu_ctx(), f.req,
			    f.ra, f.ra_key, SCEP_FAIL_BADREQUEST, NULL, &rep,
			    &err), 1);
		else
			ck_assert_int_eq(scep_certrep_pending(tu_ctx(), f.req,
			    f.ra, f.ra_key, &rep, &err), 1);
		p = rep.data;
		cms = d2i_CMS_ContentInfo(NULL, &p, (long)rep.len);
		ck_assert_ptr_nonnull(cms);
		ck_assert_ptr_eq(p, rep.data + rep.len);
		ck_assert_int_eq(OBJ_obj2nid(CMS_get0_eContentType(cms)),
		    NID_pkcs7_data);
		pos = CMS_get0_content(cms);
		ck_assert_ptr_nonnull(pos);
		ck_assert_ptr_nonnull(*pos);
		ck_assert_int_eq(ASN1_STRING_length(*pos), 0);
		CMS_ContentInfo_free(cms);
		scep_buf_free(&rep);
	}
	fixture_free(&f);
}
END_TEST

/* Two replies to one request have different senderNonces. */
START_TEST(test_fresh_nonce)
{
	struct fixture		 f;
	struct scep_buf		 r1 = { NULL, 0 }, r2 = { NULL, 0 };
	struct scep_error	 err;
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_msg		*m1 = NULL, *m2 = NULL;

	scep_limits_default(&lim);
	tu_policy_all(&pol);
	fixture_load(&f, "sscep-pkcsreq-aes128-sha256.der", "ra", NULL);
	ck_assert_int_eq(scep_certrep_pending(tu_ctx(), f.req, f.ra, f.ra_key,
	    &r1, &err), 1);
	ck_assert_int_eq(scep_certrep_pending(tu_ctx(), f.req, f.ra, f.ra_key,
	    &r2, &err), 1);
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), r1.data, r1.len, &lim, &pol,
	    &m1, &err), 1);
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), r2.data, r2.len, &lim, &pol,
	    &m2, &err), 1);
	ck_assert(memcmp(m1->sender_nonce, m2->sender_nonce,
	    SCEP_NONCE_LEN) != 0);
	ck_assert_mem_eq(m1->recipient_nonce, m2->recipient_nonce,
	    SCEP_NONCE_LEN);
	scep_msg_free(m1);
	scep_msg_free(m2);
	scep_buf_free(&r1);
	scep_buf_free(&r2);
	fixture_free(&f);
}
END_TEST

/*
 * A FAILURE answers a message scep_msg_parse() REJECTed: an MD5-signed
 * request under the default policy (badAlg) has its transactionID,
 * nonce and signer but no digest; the reply is SHA-256.
 */
START_TEST(test_failure_after_reject)
{
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	struct fixture		 f;
	struct expect		 e;
	struct scep_buf		 rep = { NULL, 0 };
	uint8_t			*buf;
	size_t			 len;

	memset(&f, 0, sizeof(f));
	scep_limits_default(&lim);
	scep_policy_default(&pol);
	buf = tu_read("corpus/messages/sscep-pkcsreq-aes128-md5.der", &len);
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len, &lim, &pol,
	    &f.req, &err), 0);
	free(buf);
	ck_assert_int_eq(err.outcome, SCEP_REJECT);
	ck_assert_int_eq(err.failinfo, SCEP_FAIL_BADALG);
	ck_assert_ptr_nonnull(f.req);
	ck_assert_int_eq(f.req->opened, 0);
	f.ra = tu_cert("corpus/pki/ra.crt");
	f.ra_key = tu_key("corpus/pki/ra.key");
	f.ca = tu_cert("corpus/pki/ca.crt");

	memset(&e, 0, sizeof(e));
	e.status = SCEP_STATUS_FAILURE;
	e.failinfo = SCEP_FAIL_BADALG;
	e.text = err.reason;
	e.digest = SCEP_DIGEST_SHA256;
	ck_assert_int_eq(scep_certrep_failure(tu_ctx(), f.req, f.ra, f.ra_key,
	    SCEP_FAIL_BADALG, err.reason, &rep, &err), 1);
	check_ours(&rep, &f, f.ra, &e);
	check_sscep(&rep, &f, f.ra, &e, 1);
	scep_buf_free(&rep);

	/* Garbage in req->digest is SHA-256 as well. */
	f.req->digest = (enum scep_digest)77;
	ck_assert_int_eq(scep_certrep_failure(tu_ctx(), f.req, f.ra, f.ra_key,
	    SCEP_FAIL_BADALG, NULL, &rep, &err), 1);
	e.text = NULL;
	check_ours(&rep, &f, f.ra, &e);
	scep_buf_free(&rep);
	fixture_free(&f);
}
END_TEST

/* Replies that cannot be built: SCEP_INTERNAL, nothing returned. */
START_TEST(test_refused)
{
	struct fixture		 f;
	struct scep_buf		 rep = { NULL, 0 };
	struct scep_error	 err;
	struct scep_msg		*req;
	X509			*saved;
	X509_CRL		*crl;

	fixture_load(&f, "sscep-pkcsreq-aes128-sha256.der", "ra", NULL);
	req = f.req;

	/* No issued certificate, no CRL, no signer key. */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(scep_certrep_success(tu_ctx(), req, f.ra, f.ra_key,
	    NULL, &rep, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_INTERNAL);
	ck_assert_ptr_nonnull(err.reason);
	ck_assert_int_eq(scep_certrep_crl(tu_ctx(), req, f.ra, f.ra_key,
	    NULL, &rep, &err), 0);
	ck_assert_int_eq(scep_certrep_pending(tu_ctx(), req, f.ra, NULL,
	    &rep, &err), 0);
	ck_assert_int_eq(scep_certrep_failure(tu_ctx(), req, NULL, f.ra_key,
	    SCEP_FAIL_BADREQUEST, NULL, &rep, &err), 0);
	/* A failInfo outside RFC 8894 section 3.2.1.4. */
	ck_assert_int_eq(scep_certrep_failure(tu_ctx(), req, f.ra, f.ra_key,
	    SCEP_FAIL__MAX, NULL, &rep, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_INTERNAL);

	/* SUCCESS needs an opened request with a signer. */
	req->opened = 0;
	ck_assert_int_eq(scep_certrep_success(tu_ctx(), req, f.ra, f.ra_key,
	    f.issued, &rep, &err), 0);
	crl = make_crl(f.ca, f.ca_key);
	ck_assert_int_eq(scep_certrep_crl(tu_ctx(), req, f.ra, f.ra_key, crl,
	    &rep, &err), 0);
	X509_CRL_free(crl);
	req->opened = 1;
	saved = req->signer;
	req->signer = NULL;
	ck_assert_int_eq(scep_certrep_success(tu_ctx(), req, f.ra, f.ra_key,
	    f.issued, &rep, &err), 0);
	req->signer = saved;

	/* A cipher the context does not have. */
	req->cipher = SCEP_CIPHER__MAX;
	ck_assert_int_eq(scep_certrep_success(tu_ctx(), req, f.ra, f.ra_key,
	    f.issued, &rep, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_INTERNAL);
	req->cipher = SCEP_CIPHER_AES128;

	/* No transactionID to echo. */
	req->txid_len = 0;
	ck_assert_int_eq(scep_certrep_pending(tu_ctx(), req, f.ra, f.ra_key,
	    &rep, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_INTERNAL);
	ck_assert_ptr_null(rep.data);
	fixture_free(&f);
}
END_TEST

static Suite *
certrep_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("certrep");

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_success_ra);
	tcase_add_test(tc, test_success_ciphers);
	tcase_add_test(tc, test_success_digest);
	tcase_add_test(tc, test_success_ca_only);
	tcase_add_test(tc, test_success_des);
	tcase_add_test(tc, test_success_clients);
	tcase_add_test(tc, test_success_ec_ra);
	tcase_add_test(tc, test_crl);
	tcase_add_test(tc, test_getcert);
	tcase_add_test(tc, test_failure);
	tcase_add_test(tc, test_pending);
	tcase_add_test(tc, test_empty_econtent);
	tcase_add_test(tc, test_fresh_nonce);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_failure_after_reject);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(certrep_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
