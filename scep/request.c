/*
 * request.c: the client role, RFC 8894 sections 3.3.1, 3.3.3 and
 * 3.3.4: build PKCSReq, RenewalReq, CertPoll (GetCertInitial), GetCert
 * and GetCRL pkiMessages, and the temporary self-signed signer
 * certificate of section 2.3.  Tests and the benchmark drive the server
 * with these.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scep/extern.h"

/*
 * IssuerAndSubject, RFC 8894 section 3.3.3:
 *
 *	IssuerAndSubject ::= SEQUENCE {
 *		issuer	Name,
 *		subject	Name
 *	}
 *
 * The template is only used to encode; csr.c parses the same shape.
 */
typedef struct {
	X509_NAME	*issuer;
	X509_NAME	*subject;
} SCEP_ISSUER_AND_SUBJECT;

ASN1_SEQUENCE(SCEP_ISSUER_AND_SUBJECT) = {
	ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, issuer, X509_NAME),
	ASN1_SIMPLE(SCEP_ISSUER_AND_SUBJECT, subject, X509_NAME),
} static_ASN1_SEQUENCE_END(SCEP_ISSUER_AND_SUBJECT)

/* Reasons for refused requests (static strings, scep.h). */
#define REASON_INVALID	"invalid request fields"
#define REASON_BUILD	"cannot build the request"

/*
 * Whether the fields of r make a request we can build: a request type
 * (never CertRep), a PrintableString transactionID of 1..128 characters
 * (RFC 8894 section 3.2.1.1, INTEROP.md 6.7), signer, key, at least one
 * recipient, algorithms the context has, and the content its type
 * needs.
 */
static int
request_valid(const struct scep_ctx *ctx, const struct scep_request *r)
{
	size_t	 n;

	if ((size_t)r->type >= SCEP_MSG__MAX || r->type == SCEP_MSG_CERTREP)
		return 0;
	if (r->txid == NULL)
		return 0;
	n = strnlen(r->txid, SCEP_TXID_MAX + 1);
	if (n == 0 || n > SCEP_TXID_MAX ||
	    !scep_printable((const uint8_t *)r->txid, n))
		return 0;
	if (r->signer == NULL || r->signer_key == NULL)
		return 0;
	if (r->recipients == NULL || sk_X509_num(r->recipients) <= 0)
		return 0;
	if ((size_t)r->digest >= SCEP_DIGEST__MAX ||
	    ctx->md[r->digest] == NULL)
		return 0;
	if ((size_t)r->cipher >= SCEP_CIPHER__MAX ||
	    ctx->cipher[r->cipher] == NULL)
		return 0;
	switch (r->type) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
		return r->csr != NULL;
	case SCEP_MSG_CERTPOLL:
		return r->issuer != NULL && r->subject != NULL;
	case SCEP_MSG_GETCERT:
	case SCEP_MSG_GETCRL:
		return r->issuer != NULL && r->serial != NULL;
	default:
		return 0;
	}
}

/* DER of IssuerAndSubject { issuer, subject } into *out; 1 or 0. */
static int
issuer_and_subject(const X509_NAME *issuer, const X509_NAME *subject,
    struct scep_buf *out)
{
	SCEP_ISSUER_AND_SUBJECT	 ias = { NULL, NULL };
	unsigned char		*der = NULL;
	int			 n, rc = 0;

	/* Copies, so the template never writes to the caller's names. */
	if ((ias.issuer = X509_NAME_dup(issuer)) == NULL ||
	    (ias.subject = X509_NAME_dup(subject)) == NULL)
		goto out;
	if ((n = ASN1_item_i2d((ASN1_VALUE *)&ias, &der,
	    ASN1_ITEM_rptr(SCEP_ISSUER_AND_SUBJECT))) <= 0)
		goto out;
	scep_buf_free(out);
	out->data = der;
	out->len = (size_t)n;
	der = NULL;
	rc = 1;
out:
	OPENSSL_free(der);
	X509_NAME_free(ias.issuer);
	X509_NAME_free(ias.subject);
	return rc;
}

/*
 * DER of IssuerAndSerialNumber { issuer, serial } (RFC 5652 section
 * 10.2.4, RFC 8894 section 3.3.4) into *out; 1 or 0.
 */
static int
issuer_and_serial(const X509_NAME *issuer, const ASN1_INTEGER *serial,
    struct scep_buf *out)
{
	PKCS7_ISSUER_AND_SERIAL	*ias = NULL;
	ASN1_INTEGER		*sn = NULL;
	int			 rc = 0;

	if ((ias = PKCS7_ISSUER_AND_SERIAL_new()) == NULL)
		goto out;
	if (!X509_NAME_set(&ias->issuer, issuer))
		goto out;
	if ((sn = ASN1_INTEGER_dup(serial)) == NULL)
		goto out;
	ASN1_INTEGER_free(ias->serial);
	ias->serial = sn;
	sn = NULL;
	if (!scep_buf_i2d(out, ias, ASN1_ITEM_rptr(PKCS7_ISSUER_AND_SERIAL)))
		goto out;
	rc = 1;
out:
	ASN1_INTEGER_free(sn);
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	return rc;
}

/* The messageData of r by type (RFC 8894 section 3.3), DER; 1 or 0. */
static int
request_content(const struct scep_request *r, struct scep_buf *out)
{

	switch (r->type) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
		/* Section 3.3.1: the PKCS#10 request as it is. */
		return scep_buf_i2d(out, r->csr, ASN1_ITEM_rptr(X509_REQ));
	case SCEP_MSG_CERTPOLL:
		return issuer_and_subject(r->issuer, r->subject, out);
	case SCEP_MSG_GETCERT:
	case SCEP_MSG_GETCRL:
		return issuer_and_serial(r->issuer, r->serial, out);
	default:
		return 0;
	}
}

/*
 * Build a request pkiMessage; see scep.h.  The messageData is sealed
 * for every certificate of r->recipients (one KeyTransRecipientInfo
 * each, in order) with r->cipher and the envelope signed by r->signer
 * with r->digest, carrying transactionID, messageType and senderNonce
 * (RFC 8894 section 3.2).  Invalid fields give SCEP_MALFORMED, library
 * trouble SCEP_INTERNAL.  Returns 1 with *out filled (free with
 * scep_buf_free()) and the nonce in nonce_out if not NULL, or 0 with
 * *err set.
 */
int
scep_request_build(const struct scep_ctx *ctx, const struct scep_request *r,
    uint8_t *nonce_out, struct scep_buf *out, struct scep_error *err)
{
	struct scep_attrs	 a;
	struct scep_buf		 content = { NULL, 0 }, env = { NULL, 0 };
	uint8_t			 nonce[SCEP_NONCE_LEN];
	enum scep_outcome	 oc = SCEP_INTERNAL;
	const char		*reason = REASON_BUILD;
	int			 rc = 0;

	if (ctx == NULL || r == NULL || out == NULL ||
	    !request_valid(ctx, r)) {
		oc = SCEP_MALFORMED;
		reason = REASON_INVALID;
		goto out;
	}

	/* RFC 8894 section 3.2.1.5: the given nonce, or a fresh one. */
	if (r->nonce != NULL)
		memcpy(nonce, r->nonce, sizeof(nonce));
	else if (!scep_nonce_new(nonce))
		goto out;

	if (!request_content(r, &content))
		goto out;
	if (!scep_envelope_seal(ctx, content.data, content.len,
	    r->recipients, r->cipher, &env))
		goto out;

	memset(&a, 0, sizeof(a));
	a.type = r->type;
	a.txid = r->txid;
	a.txid_len = strlen(r->txid);
	a.sender_nonce = nonce;
	if (!scep_signed_build(ctx, &a, r->signer, r->signer_key, r->digest,
	    env.data, env.len, out))
		goto out;
	if (nonce_out != NULL)
		memcpy(nonce_out, nonce, sizeof(nonce));
	rc = 1;
out:
	if (!rc)
		scep_seterr(err, oc, SCEP_FAIL_BADREQUEST, reason);
	/* The content may hold a challengePassword (STYLE.md B5). */
	if (content.data != NULL)
		OPENSSL_cleanse(content.data, content.len);
	scep_buf_free(&content);
	scep_buf_free(&env);
	return rc;
}

/*
 * keyUsage digitalSignature and keyEncipherment, critical: the signer
 * certificate's key signs the request and receives the reply's
 * envelope (RFC 8894 section 2.3).  1 or 0.
 */
static int
add_key_usage(X509 *x)
{
	ASN1_BIT_STRING	*ku = NULL;
	int		 rc = 0;

	if ((ku = ASN1_BIT_STRING_new()) == NULL)
		goto out;
	/* RFC 5280 section 4.2.1.3: bit 0 and bit 2. */
	if (!ASN1_BIT_STRING_set_bit(ku, 0, 1) ||
	    !ASN1_BIT_STRING_set_bit(ku, 2, 1))
		goto out;
	if (X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) != 1)
		goto out;
	rc = 1;
out:
	ASN1_BIT_STRING_free(ku);
	return rc;
}

/*
 * A temporary self-signed signer certificate, RFC 8894 section 2.3; see
 * scep.h.  Version 3, a random positive 63-bit serial, issuer = subject,
 * valid from now - 1 hour to now + days, keyUsage digitalSignature and
 * keyEncipherment, signed by key with SHA-256.  The time is the one
 * passed in, never the clock.  Returns the certificate (free with
 * X509_free()) or NULL.
 */
X509 *
scep_selfsigned_new(const struct scep_ctx *ctx, EVP_PKEY *key,
    const X509_NAME *subject, time_t now, int days)
{
	X509		*x = NULL, *rc = NULL;
	EVP_MD_CTX	*mctx = NULL;
	unsigned char	 rnd[8];
	uint64_t	 serial = 0;
	size_t		 i;

	if (ctx == NULL || key == NULL || subject == NULL || days <= 0)
		goto out;
	if (ctx->md[SCEP_DIGEST_SHA256] == NULL)
		goto out;
	if ((x = X509_new_ex(ctx->libctx, ctx->propq)) == NULL)
		goto out;
	if (!X509_set_version(x, X509_VERSION_3))
		goto out;

	/* 64 random bits, top bit cleared so the INTEGER is positive. */
	if (RAND_bytes_ex(ctx->libctx, rnd, sizeof(rnd), 0) != 1)
		goto out;
	for (i = 0; i < sizeof(rnd); i++)
		serial = serial << 8 | rnd[i];
	serial &= INT64_MAX;
	if (serial == 0)
		serial = 1;
	if (!ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial))
		goto out;

	if (!X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, subject))
		goto out;
	/* Validity from the caller's now (STYLE.md B2: no clock here). */
	if (X509_time_adj_ex(X509_getm_notBefore(x), 0, -3600, &now) == NULL)
		goto out;
	if (X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &now) == NULL)
		goto out;
	if (!X509_set_pubkey(x, key))
		goto out;
	if (!add_key_usage(x))
		goto out;

	/* Sign with SHA-256 from our library context. */
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (!EVP_DigestSignInit_ex(mctx, NULL,
	    EVP_MD_get0_name(ctx->md[SCEP_DIGEST_SHA256]), ctx->libctx,
	    ctx->propq, key, NULL))
		goto out;
	if (X509_sign_ctx(x, mctx) <= 0)
		goto out;
	rc = x;
	x = NULL;
out:
	EVP_MD_CTX_free(mctx);
	X509_free(x);
	return rc;
}
