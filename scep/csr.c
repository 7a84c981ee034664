/*
 * csr.c: the decrypted content of a pkcsPKIEnvelope by message type
 * (RFC 8894 section 3.3): a PKCS#10 request (RFC 2986) with its
 * proof-of-possession signature and challengePassword, an
 * IssuerAndSubject, an IssuerAndSerialNumber, or a CertRep's degenerate
 * certs-only SignedData.  Every layer refuses trailing bytes
 * (STYLE.md B7).  Failures are not described here: the caller answers
 * each with the one badMessageCheck of INTEROP.md 6.5.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "scep/extern.h"

/* RFC 2985 section 5.4.1: challengePassword is at most 255 characters. */
#define CHALLENGE_MAX	255

/*
 * RFC 8894 section 3.3.3, the content of a CertPoll (GetCertInitial):
 *
 *	IssuerAndSubject ::= SEQUENCE {
 *		issuer	Name,
 *		subject	Name }
 */
typedef struct {
	X509_NAME	*issuer;
	X509_NAME	*subject;
} ISSUER_AND_SUBJECT;

ASN1_SEQUENCE(ISSUER_AND_SUBJECT) = {
	ASN1_SIMPLE(ISSUER_AND_SUBJECT, issuer, X509_NAME),
	ASN1_SIMPLE(ISSUER_AND_SUBJECT, subject, X509_NAME),
} static_ASN1_SEQUENCE_END(ISSUER_AND_SUBJECT)

/*
 * PKCS#10 (RFC 2986 section 4) as OpenSSL's X509_REQ templates have it
 * (x_req.c: the attributes optional, the CertificationRequestInfo's
 * encoding kept for the signature check), except that the
 * SubjectPublicKeyInfo is a SCEP_SPKI, left undecoded.
 */
typedef struct {
	ASN1_ENCODING		 enc;
	ASN1_INTEGER		*version;
	X509_NAME		*subject;
	SCEP_SPKI		*spki;
	STACK_OF(X509_ATTRIBUTE) *attrs;
} P10_INFO;

ASN1_SEQUENCE_enc(P10_INFO, enc, NULL) = {
	ASN1_SIMPLE(P10_INFO, version, ASN1_INTEGER),
	ASN1_SIMPLE(P10_INFO, subject, X509_NAME),
	ASN1_SIMPLE(P10_INFO, spki, SCEP_SPKI),
	ASN1_IMP_SET_OF_OPT(P10_INFO, attrs, X509_ATTRIBUTE, 0),
} static_ASN1_SEQUENCE_END_ref(P10_INFO, P10_INFO)

typedef struct {
	P10_INFO		*info;
	X509_ALGOR		*sigalg;
	ASN1_BIT_STRING		*sig;
} P10_REQ;

ASN1_SEQUENCE(P10_REQ) = {
	ASN1_SIMPLE(P10_REQ, info, P10_INFO),
	ASN1_SIMPLE(P10_REQ, sigalg, X509_ALGOR),
	ASN1_SIMPLE(P10_REQ, sig, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(P10_REQ)

/*
 * The challengePassword among a CSR's attrs (RFC 2985 section 5.4.1),
 * if any.  At most one such attribute with exactly one value of a
 * string type, taken as the bytes it holds whatever the type
 * (INTEROP.md 6.4: certmonger puts characters outside the
 * PrintableString alphabet into a PrintableString); no NUL, at most 255
 * bytes.  Returns 1 with *pw (OPENSSL_malloc'd, free with
 * OPENSSL_clear_free()) and *len set, or *pw NULL when there is none;
 * 0 on a malformed one.
 */
static int
challenge_get(const STACK_OF(X509_ATTRIBUTE) *attrs, uint8_t **pw,
    size_t *len)
{
	X509_ATTRIBUTE		*attr, *found = NULL;
	ASN1_TYPE		*t;
	const unsigned char	*d;
	size_t			 n;
	int			 i, count;

	*pw = NULL;
	*len = 0;
	count = X509at_get_attr_count(attrs);
	for (i = 0; i < count; i++) {
		attr = X509at_get_attr(attrs, i);
		if (attr == NULL)
			return 0;
		if (OBJ_obj2nid(X509_ATTRIBUTE_get0_object(attr)) !=
		    NID_pkcs9_challengePassword)
			continue;
		if (found != NULL)
			return 0;
		found = attr;
	}
	if (found == NULL)
		return 1;
	if (X509_ATTRIBUTE_count(found) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(found, 0)) == NULL)
		return 0;
	switch (ASN1_TYPE_get(t)) {
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_UTF8STRING:
	case V_ASN1_IA5STRING:
	case V_ASN1_T61STRING:
	case V_ASN1_BMPSTRING:
	case V_ASN1_UNIVERSALSTRING:
		break;
	default:
		return 0;
	}
	d = ASN1_STRING_get0_data(t->value.asn1_string);
	n = (size_t)ASN1_STRING_length(t->value.asn1_string);
	if (n > CHALLENGE_MAX || (n > 0 && memchr(d, '\0', n) != NULL))
		return 0;
	/* One byte more so that an empty password is not a NULL. */
	if ((*pw = OPENSSL_malloc(n + 1)) == NULL)
		return 0;
	if (n > 0)
		memcpy(*pw, d, n);
	*len = n;
	return 1;
}

/*
 * The key of a CSR's SubjectPublicKeyInfo (DER in spki): the signer
 * certificate's own EVP_PKEY, up-referenced, when that certificate
 * holds the same SubjectPublicKeyInfo (every PKCSReq, and a renewal
 * that keeps its key), else a fresh decode.  Returns it or NULL.
 */
static EVP_PKEY *
csr_key(const struct scep_ctx *ctx, const struct scep_msg *msg,
    const uint8_t *spki, size_t len)
{
	EVP_PKEY		*pk;
	unsigned char		*der = NULL;
	const unsigned char	*p = spki;
	int			 n, same;

	if (msg->signer != NULL &&
	    (pk = X509_get0_pubkey(msg->signer)) != NULL) {
		n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(msg->signer), &der);
		same = n > 0 && (size_t)n == len && memcmp(der, spki, len) == 0;
		OPENSSL_free(der);
		if (same)
			return EVP_PKEY_up_ref(pk) ? pk : NULL;
	}
	pk = d2i_PUBKEY_ex(NULL, &p, (long)len, ctx->libctx, ctx->propq);
	if (pk != NULL && p != spki + len) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

/*
 * PKCSReq and RenewalReq (RFC 8894 section 3.3.1): a PKCS#10 request
 * without trailing bytes whose own signature verifies with the key it
 * certifies (proof of possession; micromdm and smallstep skip this).
 * Fills msg->csr and the challenge.  Returns 1 or 0.
 */
static int
csr_parse(const struct scep_ctx *ctx, struct scep_msg *msg,
    const uint8_t *buf, size_t len)
{
	P10_REQ			*req = NULL;
	struct scep_csr		*csr = NULL;
	unsigned char		*spki = NULL;
	const unsigned char	*p = buf;
	uint8_t			*pw = NULL;
	size_t			 pwlen = 0;
	int			 n, rc = 0;

	req = (P10_REQ *)ASN1_item_d2i(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(P10_REQ));
	if (req == NULL || p != buf + len)
		goto out;
	if ((csr = OPENSSL_zalloc(sizeof(*csr))) == NULL)
		goto out;
	if ((n = ASN1_item_i2d((ASN1_VALUE *)req->info->spki, &spki,
	    ASN1_ITEM_rptr(SCEP_SPKI))) <= 0)
		goto out;
	csr->spki = spki;
	csr->spki_len = (size_t)n;
	spki = NULL;
	if ((csr->key = csr_key(ctx, msg, csr->spki, csr->spki_len)) == NULL)
		goto out;
	/* What X509_REQ_verify_ex() does: the info as it was encoded. */
	if (ASN1_item_verify_ex(ASN1_ITEM_rptr(P10_INFO), req->sigalg,
	    req->sig, req->info, NULL, csr->key, ctx->libctx,
	    ctx->propq) != 1)
		goto out;
	if (!challenge_get(req->info->attrs, &pw, &pwlen))
		goto out;
	if ((csr->der = OPENSSL_memdup(buf, len)) == NULL)
		goto out;
	csr->der_len = len;
	csr->subject = req->info->subject;
	csr->attrs = req->info->attrs;
	req->info->subject = NULL;
	req->info->attrs = NULL;
	msg->csr = csr;
	csr = NULL;
	if (pw != NULL) {
		msg->challenge = pw;
		msg->challenge_len = pwlen;
		msg->has_challenge = 1;
		pw = NULL;
	}
	rc = 1;
out:
	OPENSSL_clear_free(pw, pwlen);
	scep_csr_free(csr);
	ASN1_item_free((ASN1_VALUE *)req, ASN1_ITEM_rptr(P10_REQ));
	return rc;
}

/* See scep.h. */
STACK_OF(X509_EXTENSION) *
scep_csr_extensions(const struct scep_csr *csr)
{
	static const int	 nids[] = { NID_ext_req, NID_ms_ext_req };
	ASN1_TYPE		*t = NULL;
	size_t			 i;
	int			 idx;

	for (i = 0; i < sizeof(nids) / sizeof(nids[0]); i++)
		if ((idx = X509at_get_attr_by_NID(csr->attrs, nids[i],
		    -1)) >= 0) {
			t = X509_ATTRIBUTE_get0_type(X509at_get_attr(
			    csr->attrs, idx), 0);
			break;
		}
	if (t == NULL)
		return sk_X509_EXTENSION_new_null();
	if (ASN1_TYPE_get(t) != V_ASN1_SEQUENCE)
		return NULL;
	return (STACK_OF(X509_EXTENSION) *)ASN1_TYPE_unpack_sequence(
	    ASN1_ITEM_rptr(X509_EXTENSIONS), t);
}

/* See scep.h. */
void
scep_csr_free(struct scep_csr *csr)
{
	if (csr == NULL)
		return;
	/* It holds the challenge password. */
	OPENSSL_clear_free(csr->der, csr->der_len);
	X509_NAME_free(csr->subject);
	sk_X509_ATTRIBUTE_pop_free(csr->attrs, X509_ATTRIBUTE_free);
	OPENSSL_free(csr->spki);
	EVP_PKEY_free(csr->key);
	OPENSSL_free(csr);
}

/*
 * CertPoll (RFC 8894 section 3.3.3): an IssuerAndSubject without
 * trailing bytes.  Fills msg->issuer and msg->subject.  Returns 1 or 0.
 */
static int
poll_parse(struct scep_msg *msg, const uint8_t *buf, size_t len)
{
	ISSUER_AND_SUBJECT	*ias = NULL;
	const unsigned char	*p = buf;
	int			 rc = 0;

	ias = (ISSUER_AND_SUBJECT *)ASN1_item_d2i(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(ISSUER_AND_SUBJECT));
	if (ias == NULL || p != buf + len)
		goto out;
	/* Move the names out of the structure before freeing it. */
	msg->issuer = ias->issuer;
	msg->subject = ias->subject;
	ias->issuer = NULL;
	ias->subject = NULL;
	rc = 1;
out:
	ASN1_item_free((ASN1_VALUE *)ias, ASN1_ITEM_rptr(ISSUER_AND_SUBJECT));
	return rc;
}

/*
 * GetCert and GetCRL (RFC 8894 section 3.3.4): an IssuerAndSerialNumber
 * (RFC 5652 section 10.2.4) without trailing bytes.  Fills msg->issuer
 * and msg->serial.  Returns 1 or 0.
 */
static int
ias_parse(struct scep_msg *msg, const uint8_t *buf, size_t len)
{
	PKCS7_ISSUER_AND_SERIAL	*ias = NULL;
	const unsigned char	*p = buf;
	int			 rc = 0;

	ias = d2i_PKCS7_ISSUER_AND_SERIAL(NULL, &p, (long)len);
	if (ias == NULL || p != buf + len)
		goto out;
	msg->issuer = ias->issuer;
	msg->serial = ias->serial;
	ias->issuer = NULL;
	ias->serial = NULL;
	rc = 1;
out:
	PKCS7_ISSUER_AND_SERIAL_free(ias);
	return rc;
}

/*
 * CertRep SUCCESS (RFC 8894 section 3.3.2): a degenerate certs-only
 * SignedData without trailing bytes and without SignerInfos, holding
 * at most lim->max_certs certificates and some CRLs, at least one of
 * either.  Certificates keep their encoded order (the issued one first,
 * as micromdm and Apple expect).  Fills msg->rep_certs and
 * msg->rep_crls.  Returns 1 or 0.
 */
static int
certrep_parse(const struct scep_ctx *ctx, struct scep_msg *msg,
    const uint8_t *buf, size_t len, const struct scep_limits *lim)
{
	CMS_ContentInfo			*cms = NULL;
	STACK_OF(CMS_SignerInfo)	*sis;
	STACK_OF(X509)			*certs = NULL;
	STACK_OF(X509_CRL)		*crls = NULL;
	const unsigned char		*p = buf;
	int				 rc = 0;

	if ((cms = CMS_ContentInfo_new_ex(ctx->libctx, ctx->propq)) == NULL)
		goto out;
	if (d2i_CMS_ContentInfo(&cms, &p, (long)len) == NULL ||
	    p != buf + len)
		goto out;
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed)
		goto out;
	sis = CMS_get0_SignerInfos(cms);
	if (sis != NULL && sk_CMS_SignerInfo_num(sis) != 0)
		goto out;
	/* Both are NULL when the structure holds none. */
	certs = CMS_get1_certs(cms);
	crls = CMS_get1_crls(cms);
	if (certs == NULL && crls == NULL)
		goto out;
	if (certs != NULL && (size_t)sk_X509_num(certs) > lim->max_certs)
		goto out;
	msg->rep_certs = certs;
	msg->rep_crls = crls;
	certs = NULL;
	crls = NULL;
	rc = 1;
out:
	sk_X509_pop_free(certs, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	CMS_ContentInfo_free(cms);
	return rc;
}

/*
 * Parse the decrypted content of msg's envelope by msg->type; see
 * extern.h.  msg is left unchanged on failure.  Returns 1 or 0.
 */
int
scep_content_parse(const struct scep_ctx *ctx, struct scep_msg *msg,
    const uint8_t *buf, size_t len, const struct scep_limits *lim)
{
	if (buf == NULL || len == 0 || len > lim->max_msg || len > LONG_MAX)
		return 0;
	/* Never parsed twice: the fields would leak. */
	if (msg->csr != NULL || msg->challenge != NULL ||
	    msg->issuer != NULL || msg->subject != NULL ||
	    msg->serial != NULL || msg->rep_certs != NULL ||
	    msg->rep_crls != NULL)
		return 0;
	switch (msg->type) {
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
		return csr_parse(ctx, msg, buf, len);
	case SCEP_MSG_CERTPOLL:
		return poll_parse(msg, buf, len);
	case SCEP_MSG_GETCERT:
	case SCEP_MSG_GETCRL:
		return ias_parse(msg, buf, len);
	case SCEP_MSG_CERTREP:
		return certrep_parse(ctx, msg, buf, len, lim);
	default:
		return 0;
	}
}
