/*
 * certrep.c: the server's replies, RFC 8894 section 3.3.2 (CertRep) as
 * INTEROP.md 6.2 decides them.  Every reply is a pkiMessage signed by
 * the certificate GetCACert offers for signing (the RA when there is
 * one) with a fresh senderNonce, the request's senderNonce as
 * recipientNonce and the transactionID copied byte for byte.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "scep/extern.h"

/* The one reason every internal failure here reports. */
#define REASON_BUILD	"cannot build the CertRep"

/*
 * The reply digest (INTEROP.md 6.1): SHA-512 when the request used it,
 * else SHA-256.  Any other value, garbage included (a message
 * scep_msg_parse() REJECTed may not have got to its digest), is SHA-256.
 */
static enum scep_digest
reply_digest(const struct scep_msg *req)
{
	return req->digest == SCEP_DIGEST_SHA512 ? SCEP_DIGEST_SHA512 :
	    SCEP_DIGEST_SHA256;
}

/*
 * Sign a CertRep answering req with status st (failInfo fi and text for
 * FAILURE) over content[0..len), which is the sealed pkcsPKIEnvelope
 * for SUCCESS and empty otherwise (RFC 8894 section 3.3.2.2: FAILURE
 * and PENDING have no envelope; the empty eContent keeps certmonger
 * happy, INTEROP.md 2.3).  Only txid and sender_nonce of req are used.
 * Returns 1 with *out filled, or 0 with *err set.
 */
static int
certrep_sign(const struct scep_ctx *ctx, const struct scep_msg *req,
    X509 *signer, EVP_PKEY *key, enum scep_status st,
    enum scep_failinfo fi, const char *text, const uint8_t *content,
    size_t len, struct scep_buf *out, struct scep_error *err)
{
	struct scep_attrs	 a;
	uint8_t			 nonce[SCEP_NONCE_LEN];
	int			 rc = 0;

	if (ctx == NULL || req == NULL || signer == NULL || key == NULL ||
	    out == NULL)
		goto out;
	/* The transactionID must have been read (RFC 8894 3.2.1.1). */
	if (req->txid_len == 0 || req->txid_len > SCEP_TXID_MAX)
		goto out;
	/* RFC 8894 section 3.2.1.5: a fresh nonce in every message. */
	if (!scep_nonce_new(nonce))
		goto out;

	memset(&a, 0, sizeof(a));
	a.type = SCEP_MSG_CERTREP;
	a.txid = req->txid;
	a.txid_len = req->txid_len;
	a.sender_nonce = nonce;
	a.recipient_nonce = req->sender_nonce;
	a.has_status = 1;
	a.status = st;
	if (st == SCEP_STATUS_FAILURE) {
		a.has_failinfo = 1;
		a.failinfo = fi;
		a.failinfo_text = text;
	}
	if (!scep_signed_build(ctx, &a, signer, key, reply_digest(req),
	    content, len, out))
		goto out;
	rc = 1;
out:
	if (!rc)
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    REASON_BUILD);
	return rc;
}

/*
 * A SUCCESS whose envelope holds the degenerate SignedData with certs
 * (or crls): sealed to req's signer certificate alone with req's own
 * content cipher (INTEROP.md 6.1), then signed.  req must be opened.
 */
static int
certrep_sealed(const struct scep_ctx *ctx, const struct scep_msg *req,
    X509 *signer, EVP_PKEY *key, STACK_OF(X509) *certs,
    STACK_OF(X509_CRL) *crls, struct scep_buf *out, struct scep_error *err)
{
	STACK_OF(X509)		*recips = NULL;
	struct scep_buf		 deg = { NULL, 0 }, env = { NULL, 0 };
	int			 rc = 0;

	if (ctx == NULL || req == NULL || !req->opened || req->signer == NULL)
		goto out;
	if (!scep_degenerate_build(certs, crls, &deg))
		goto out;
	/*
	 * RFC 8894 section 2.3 and INTEROP.md 2.5 row 11: encrypt to the
	 * certificate that signed the request (the old one on renewal);
	 * its issuerAndSerialNumber is copied from it as it is.
	 */
	if ((recips = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(recips, req->signer))
		goto out;
	if (!scep_envelope_seal(ctx, deg.data, deg.len, recips, req->cipher,
	    &env))
		goto out;
	rc = certrep_sign(ctx, req, signer, key, SCEP_STATUS_SUCCESS,
	    SCEP_FAIL_BADREQUEST, NULL, env.data, env.len, out, err);
out:
	if (!rc)
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    REASON_BUILD);
	sk_X509_free(recips);
	scep_buf_free(&env);
	scep_buf_free(&deg);
	return rc;
}

/*
 * CertRep SUCCESS with the issued certificate, RFC 8894 section
 * 3.3.2.1; see scep.h.  The degenerate SignedData holds only issued
 * (INTEROP.md 6.2: clients take the first certificate, and more than
 * one could be re-ordered).  Returns 1 with *out filled (free with
 * scep_buf_free()), or 0 with *err set (SCEP_INTERNAL).
 */
int
scep_certrep_success(const struct scep_ctx *ctx, const struct scep_msg *req,
    X509 *signer, EVP_PKEY *key, X509 *issued, struct scep_buf *out,
    struct scep_error *err)
{
	STACK_OF(X509)	*certs = NULL;
	int		 rc = 0;

	if (issued == NULL || (certs = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(certs, issued))
		goto out;
	rc = certrep_sealed(ctx, req, signer, key, certs, NULL, out, err);
out:
	if (!rc)
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    REASON_BUILD);
	sk_X509_free(certs);
	return rc;
}

/*
 * CertRep SUCCESS answering GetCRL, RFC 8894 section 3.3.4: the
 * degenerate SignedData holds crl in "crls" and no certificate.
 * Returns 1 with *out filled (free with scep_buf_free()), or 0 with
 * *err set (SCEP_INTERNAL).
 */
int
scep_certrep_crl(const struct scep_ctx *ctx, const struct scep_msg *req,
    X509 *signer, EVP_PKEY *key, X509_CRL *crl, struct scep_buf *out,
    struct scep_error *err)
{
	STACK_OF(X509_CRL)	*crls = NULL;
	int			 rc = 0;

	if (crl == NULL || (crls = sk_X509_CRL_new_null()) == NULL ||
	    !sk_X509_CRL_push(crls, crl))
		goto out;
	rc = certrep_sealed(ctx, req, signer, key, NULL, crls, out, err);
out:
	if (!rc)
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    REASON_BUILD);
	sk_X509_CRL_free(crls);
	return rc;
}

/*
 * CertRep FAILURE, RFC 8894 section 3.3.2.2: failInfo fi, failInfoText
 * text if not NULL (a static reason: it must not leak internals), no
 * envelope.  Works on a message scep_msg_parse() REJECTed: only its
 * transactionID and senderNonce are used.  Returns 1 with *out filled
 * (free with scep_buf_free()), or 0 with *err set (SCEP_INTERNAL).
 */
int
scep_certrep_failure(const struct scep_ctx *ctx, const struct scep_msg *req,
    X509 *signer, EVP_PKEY *key, enum scep_failinfo fi, const char *text,
    struct scep_buf *out, struct scep_error *err)
{
	/* RFC 8894 section 3.2.1.4: failInfo from the closed table. */
	if ((size_t)fi >= SCEP_FAIL__MAX) {
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    REASON_BUILD);
		return 0;
	}
	return certrep_sign(ctx, req, signer, key, SCEP_STATUS_FAILURE, fi,
	    text, NULL, 0, out, err);
}

/*
 * CertRep PENDING, RFC 8894 section 3.3.2.3: no envelope.  Returns 1
 * with *out filled (free with scep_buf_free()), or 0 with *err set
 * (SCEP_INTERNAL).
 */
int
scep_certrep_pending(const struct scep_ctx *ctx, const struct scep_msg *req,
    X509 *signer, EVP_PKEY *key, struct scep_buf *out,
    struct scep_error *err)
{
	return certrep_sign(ctx, req, signer, key, SCEP_STATUS_PENDING,
	    SCEP_FAIL_BADREQUEST, NULL, NULL, 0, out, err);
}
