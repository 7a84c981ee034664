/*
 * envelope.c: the pkcsPKIEnvelope (RFC 8894 section 3.2.2), an
 * EnvelopedData (RFC 5652 section 6) with RSA key transport, both
 * directions: scep_msg_open() decrypts a received one, and
 * scep_envelope_seal() builds one.
 *
 * Opening follows INTEROP.md 6.1 and 6.5: the content cipher and the
 * key transport are checked against the tenant's table before the
 * private key is used; our KeyTransRecipientInfo is selected explicitly,
 * by its identifiers alone, among our certificates (the current RA, and
 * the previous one after a CA rollover); every failure of decryption or
 * of the decrypted content gives one REJECT badMessageCheck with one
 * text, and the output of a failed decryption is discarded (OpenSSL 3.0
 * has no implicit rejection for PKCS#1 v1.5).
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "scep/extern.h"

/*
 * OpenSSL 3.0's CMS API has no getter for the content-encryption
 * algorithm of an EnvelopedData (INTEROP.md 6.1), so this read-only
 * template decodes just enough of it (RFC 5652 section 6.1):
 *
 *	ContentInfo ::= SEQUENCE {
 *		contentType	OBJECT IDENTIFIER,
 *		content		[0] EXPLICIT EnvelopedData }
 *	EnvelopedData ::= SEQUENCE {
 *		version		CMSVersion,
 *		originatorInfo	[0] IMPLICIT OriginatorInfo OPTIONAL,
 *		recipientInfos	SET OF RecipientInfo,
 *		encryptedContentInfo EncryptedContentInfo,
 *		unprotectedAttrs [1] IMPLICIT UnprotectedAttributes OPTIONAL }
 *	EncryptedContentInfo ::= SEQUENCE {
 *		contentType	ContentType,
 *		contentEncryptionAlgorithm AlgorithmIdentifier,
 *		encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }
 *
 * Everything not needed is ANY; OpenSSL's decoder takes BER with
 * indefinite lengths and constructed OCTET STRINGs (Apple) as well.
 */
typedef struct {
	ASN1_OBJECT		*type;
	X509_ALGOR		*alg;
	ASN1_OCTET_STRING	*content;
} ENV_ECI;

typedef struct {
	ASN1_INTEGER		*version;
	STACK_OF(ASN1_TYPE)	*originator;
	STACK_OF(ASN1_TYPE)	*recipients;
	ENV_ECI			*eci;
	STACK_OF(ASN1_TYPE)	*uattrs;
} ENV_ED;

typedef struct {
	ASN1_OBJECT		*type;
	ENV_ED			*ed;
} ENV_CI;

ASN1_SEQUENCE(ENV_ECI) = {
	ASN1_SIMPLE(ENV_ECI, type, ASN1_OBJECT),
	ASN1_SIMPLE(ENV_ECI, alg, X509_ALGOR),
	ASN1_IMP_OPT(ENV_ECI, content, ASN1_OCTET_STRING, 0),
} static_ASN1_SEQUENCE_END(ENV_ECI)

ASN1_SEQUENCE(ENV_ED) = {
	ASN1_SIMPLE(ENV_ED, version, ASN1_INTEGER),
	ASN1_IMP_SEQUENCE_OF_OPT(ENV_ED, originator, ASN1_ANY, 0),
	ASN1_SET_OF(ENV_ED, recipients, ASN1_ANY),
	ASN1_SIMPLE(ENV_ED, eci, ENV_ECI),
	ASN1_IMP_SET_OF_OPT(ENV_ED, uattrs, ASN1_ANY, 1),
} static_ASN1_SEQUENCE_END(ENV_ED)

ASN1_SEQUENCE(ENV_CI) = {
	ASN1_SIMPLE(ENV_CI, type, ASN1_OBJECT),
	ASN1_EXP(ENV_CI, ed, ENV_ED, 0),
} static_ASN1_SEQUENCE_END(ENV_CI)

/*
 * The content cipher of the EnvelopedData ContentInfo buf[0..len), read
 * with the template above.  Returns 1 with *c set if the whole input is
 * one EnvelopedData whose cipher is in INTEROP.md 6.1's table; 0 if it
 * does not decode (*known = 0) or the cipher is unknown (*known = 1).
 */
static int
envelope_cipher(const uint8_t *buf, size_t len, enum scep_cipher *c,
    int *known)
{
	ENV_CI			*ci = NULL;
	const unsigned char	*p = buf;
	const ASN1_OBJECT	*obj;
	int			 rc = 0;

	*known = 0;
	if (len > LONG_MAX)
		goto out;
	ci = (ENV_CI *)ASN1_item_d2i(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(ENV_CI));
	if (ci == NULL || p != buf + len)
		goto out;
	if (OBJ_obj2nid(ci->type) != NID_pkcs7_enveloped)
		goto out;
	*known = 1;
	X509_ALGOR_get0(&obj, NULL, NULL, ci->ed->eci->alg);
	if (!scep_cipher_from_obj(obj, c))
		goto out;
	rc = 1;
out:
	ASN1_item_free((ASN1_VALUE *)ci, ASN1_ITEM_rptr(ENV_CI));
	return rc;
}

/*
 * Select our KeyTransRecipientInfo among ris: every RecipientInfo must
 * be a KTRI (INTEROP.md 6.1: PWRI and key agreement refused, badAlg),
 * and ours is the one naming a certificate of rcerts[0..n), by its
 * issuerAndSerialNumber or subjectKeyIdentifier: no key is used here,
 * so the choice cannot be an oracle.  When several of ours are named
 * the lowest index wins (rcerts is in order of preference).  Its key
 * transport must be RSA PKCS#1 v1.5 or RSAES-OAEP (badAlg).  Returns
 * our RecipientInfo (borrowed) with *which set to the index of its
 * certificate, or NULL with *err filled (*which stays n when none is
 * ours).
 */
static CMS_RecipientInfo *
recipient_select(STACK_OF(CMS_RecipientInfo) *ris, X509 *const *rcerts,
    size_t n, size_t *which, struct scep_error *err)
{
	CMS_RecipientInfo	*ri, *ours = NULL;
	X509_ALGOR		*alg = NULL;
	const ASN1_OBJECT	*obj;
	size_t			 j, best = n;
	int			 i, nid;

	*which = n;
	for (i = 0; i < sk_CMS_RecipientInfo_num(ris); i++) {
		ri = sk_CMS_RecipientInfo_value(ris, i);
		if (CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_TRANS) {
			scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADALG,
			    "PasswordRecipientInfo and key agreement are not "
			    "supported");
			return NULL;
		}
		for (j = 0; j < best; j++)
			if (CMS_RecipientInfo_ktri_cert_cmp(ri,
			    rcerts[j]) == 0) {
				ours = ri;
				best = j;
				break;
			}
	}
	if (ours == NULL) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADMESSAGECHECK,
		    SCEP_REASON_BADENVELOPE);
		return NULL;
	}
	*which = best;
	if (!CMS_RecipientInfo_ktri_get0_algs(ours, NULL, NULL, &alg) ||
	    alg == NULL) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADMESSAGECHECK,
		    SCEP_REASON_BADENVELOPE);
		return NULL;
	}
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	nid = OBJ_obj2nid(obj);
	if (nid != NID_rsaEncryption && nid != NID_rsaesOaep) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADALG,
		    "key transport algorithm not supported");
		return NULL;
	}
	return ours;
}

/*
 * Decrypt the content of cms for our RecipientInfo ri with rkey into
 * the memory BIO out.  The key is lent to ri only for this call.
 * Returns 1 or 0; on 0 out holds garbage the caller must discard.
 */
static int
recipient_decrypt(CMS_ContentInfo *cms, CMS_RecipientInfo *ri,
    EVP_PKEY *rkey, BIO *out)
{
	int	 rc = 0;

	if (!EVP_PKEY_up_ref(rkey))
		return 0;
	/* ri owns the reference from here; set0(NULL) below frees it. */
	CMS_RecipientInfo_set0_pkey(ri, rkey);
	if (CMS_RecipientInfo_decrypt(cms, ri) != 1)
		goto out;
	/* The content key is set: no key or certificate to CMS_decrypt. */
	if (CMS_decrypt(cms, NULL, NULL, NULL, out, CMS_BINARY) != 1)
		goto out;
	rc = 1;
out:
	CMS_RecipientInfo_set0_pkey(ri, NULL);
	return rc;
}

/* Open with one certificate and key; see scep.h. */
int
scep_msg_open(const struct scep_ctx *ctx, struct scep_msg *msg,
    X509 *rcert, EVP_PKEY *rkey, const struct scep_limits *lim,
    const struct scep_policy *pol, struct scep_error *err)
{
	size_t	 which;

	return scep_msg_open_select(ctx, msg, &rcert, &rkey, 1, &which, lim,
	    pol, err);
}

/*
 * Open msg's pkcsPKIEnvelope and parse its content; see scep.h.  The
 * checks before the private key is touched have their own outcomes
 * (badRequest, badAlg); from the decryption on every failure is the one
 * badMessageCheck of INTEROP.md 6.5.
 */
int
scep_msg_open_select(const struct scep_ctx *ctx, struct scep_msg *msg,
    X509 *const *rcerts, EVP_PKEY *const *rkeys, size_t nr, size_t *which,
    const struct scep_limits *lim, const struct scep_policy *pol,
    struct scep_error *err)
{
	CMS_ContentInfo			*cms = NULL;
	STACK_OF(CMS_RecipientInfo)	*ris;
	CMS_RecipientInfo		*ri;
	BIO				*out = NULL;
	const unsigned char		*p;
	char				*data;
	long				 n;
	enum scep_cipher		 c;
	int				 known, ok, rc = 0;

	*which = nr;
	if (nr == 0) {
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    "no recipient certificate");
		goto out;
	}
	if (msg == NULL || !msg->has_type || msg->signer == NULL ||
	    msg->envelope == NULL) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADREQUEST,
		    "no pkcsPKIEnvelope");
		goto out;
	}
	if (msg->opened) {
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    "pkcsPKIEnvelope already opened");
		goto out;
	}
	/* The envelope came out of a message within the limit; still. */
	if (msg->envelope_len > lim->max_msg ||
	    msg->envelope_len > LONG_MAX) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADMESSAGECHECK,
		    SCEP_REASON_BADENVELOPE);
		goto out;
	}

	/* RFC 5652 section 6.1: one EnvelopedData, no trailing bytes. */
	if ((cms = CMS_ContentInfo_new_ex(ctx->libctx, ctx->propq)) == NULL) {
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    "out of memory");
		goto out;
	}
	p = msg->envelope;
	if (d2i_CMS_ContentInfo(&cms, &p, (long)msg->envelope_len) == NULL ||
	    p != msg->envelope + msg->envelope_len ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADMESSAGECHECK,
		    SCEP_REASON_BADENVELOPE);
		goto out;
	}
	ris = CMS_get0_RecipientInfos(cms);
	if (ris == NULL || sk_CMS_RecipientInfo_num(ris) < 1 ||
	    (size_t)sk_CMS_RecipientInfo_num(ris) > lim->max_recipients) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADMESSAGECHECK,
		    SCEP_REASON_BADENVELOPE);
		goto out;
	}

	/* INTEROP.md 6.1: the content cipher against the table first. */
	if (!envelope_cipher(msg->envelope, msg->envelope_len, &c, &known)) {
		if (known)
			scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADALG,
			    "content cipher not supported");
		else
			scep_seterr(err, SCEP_REJECT,
			    SCEP_FAIL_BADMESSAGECHECK,
			    SCEP_REASON_BADENVELOPE);
		goto out;
	}
	if (!scep_policy_cipher_ok(pol, msg->type, c) ||
	    ctx->cipher[c] == NULL) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADALG,
		    "content cipher not allowed");
		goto out;
	}
	if ((ri = recipient_select(ris, rcerts, nr, which, err)) == NULL)
		goto out;

	/* From here on: one path, one text (INTEROP.md 6.5). */
	if ((out = BIO_new(BIO_s_mem())) == NULL) {
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    "out of memory");
		goto out;
	}
	ok = recipient_decrypt(cms, ri, rkeys[*which], out);
	n = BIO_get_mem_data(out, &data);
	if (!ok || n <= 0 || (size_t)n > lim->max_msg ||
	    !scep_content_parse(ctx, msg, (const uint8_t *)data, (size_t)n,
	    lim)) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADMESSAGECHECK,
		    SCEP_REASON_BADENVELOPE);
		goto out;
	}
	msg->cipher = c;
	msg->opened = 1;
	scep_seterr(err, SCEP_OK, SCEP_FAIL_BADREQUEST, NULL);
	rc = 1;
out:
	/* Whatever the decryption wrote is wiped, never handed out. */
	if (out != NULL) {
		n = BIO_get_mem_data(out, &data);
		if (n > 0)
			OPENSSL_cleanse(data, (size_t)n);
	}
	BIO_free(out);
	CMS_ContentInfo_free(cms);
	return rc;
}

/*
 * Seal content in an EnvelopedData; see extern.h.  One
 * KeyTransRecipientInfo per certificate of recips (DER sorts the SET
 * OF, so not necessarily in their order), each with
 * issuerAndSerialNumber and RSA PKCS#1 v1.5 key transport (OpenSSL's
 * default for RSA without CMS_KEY_PARAM): what every SCEP client
 * decrypts (INTEROP.md 6.1).  On success *out holds the DER ContentInfo
 * (free with scep_buf_free()).  Returns 1 or 0.
 */
int
scep_envelope_seal(const struct scep_ctx *ctx, const uint8_t *content,
    size_t len, STACK_OF(X509) *recips, enum scep_cipher c,
    struct scep_buf *out)
{
	static const uint8_t	 empty[1];
	CMS_ContentInfo		*cms = NULL;
	BIO			*bio = NULL;
	int			 i, rc = 0;

	if ((size_t)c >= SCEP_CIPHER__MAX || ctx->cipher[c] == NULL ||
	    recips == NULL || sk_X509_num(recips) < 1 || len > INT_MAX)
		goto out;
	if ((cms = CMS_EnvelopedData_create_ex(ctx->cipher[c], ctx->libctx,
	    ctx->propq)) == NULL)
		goto out;
	/* Not detached: the encryptedContent is carried (RFC 8894 3.2.2). */
	if (!CMS_set_detached(cms, 0))
		goto out;
	for (i = 0; i < sk_X509_num(recips); i++)
		if (CMS_add1_recipient_cert(cms, sk_X509_value(recips, i),
		    CMS_BINARY) == NULL)
			goto out;
	if ((bio = BIO_new_mem_buf(len > 0 ? content : empty, (int)len)) ==
	    NULL)
		goto out;
	if (!CMS_final(cms, bio, NULL, CMS_BINARY))
		goto out;
	if (!scep_buf_i2d(out, cms, ASN1_ITEM_rptr(CMS_ContentInfo)))
		goto out;
	rc = 1;
out:
	BIO_free(bio);
	CMS_ContentInfo_free(cms);
	return rc;
}
