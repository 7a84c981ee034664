/*
 * msg.c: the outer SignedData of a pkiMessage (RFC 8894 section 3.2),
 * both directions: scep_msg_parse() takes a request or CertRep apart,
 * scep_signed_build() builds one.
 *
 * The parse follows rpki-client cms_parse_validate_internal(): one
 * decode with a trailing-byte check, exactly one signer, the signed
 * attributes counted and checked by hand, the algorithms checked against
 * the tenant's table before the signature is verified (CVE-2023-0401),
 * and the signed content handed on as bytes to envelope.c.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "scep/extern.h"

/*
 * The signed attributes of one SignerInfo, sorted by kind.  Pointers
 * are borrowed from the SignerInfo; n[] counts occurrences so that a
 * duplicate is seen even though only the last one is kept.
 */
struct sattrs {
	X509_ATTRIBUTE	*a[SCEP_OID__MAX];
	int		 n[SCEP_OID__MAX];
	X509_ATTRIBUTE	*signing_time;
	int		 n_signing_time;
};

/*
 * The single value of attr if it has exactly one value and that value
 * is of ASN.1 type type (a string type); borrowed.  NULL otherwise,
 * also when attr is NULL.  STYLE.md B7: one value, exact type.
 */
static const ASN1_STRING *
attr_value(X509_ATTRIBUTE *attr, int type)
{
	ASN1_TYPE	*t;

	if (attr == NULL || X509_ATTRIBUTE_count(attr) != 1)
		return NULL;
	if ((t = X509_ATTRIBUTE_get0_type(attr, 0)) == NULL)
		return NULL;
	if (ASN1_TYPE_get(t) != type)
		return NULL;
	return t->value.asn1_string;
}

/*
 * The single string value of a SCEP attribute o, which must occur at
 * most once and have the exact type.  Returns 1 with *out set to the
 * value (borrowed) or NULL when absent; 0 when duplicated or ill-typed.
 */
static int
sattr_get(const struct sattrs *sa, enum scep_oid o, int type,
    const ASN1_STRING **out)
{
	*out = NULL;
	if (sa->n[o] == 0)
		return 1;
	if (sa->n[o] > 1)
		return 0;
	if ((*out = attr_value(sa->a[o], type)) == NULL)
		return 0;
	return 1;
}

/*
 * Sort the signed attributes of si into *sa, counting each SCEP
 * attribute and signingTime.  Other attributes (contentType,
 * messageDigest, smimeCapabilities, anything else) only count against
 * the cap of INTEROP.md 6.7.  Returns 1, or 0 if there are none or too
 * many.
 */
static int
sattrs_collect(CMS_SignerInfo *si, size_t max, struct sattrs *sa)
{
	X509_ATTRIBUTE		*attr;
	const ASN1_OBJECT	*obj;
	int			 i, n;
	size_t			 o;

	memset(sa, 0, sizeof(*sa));
	n = CMS_signed_get_attr_count(si);
	if (n <= 0 || (size_t)n > max)
		return 0;
	for (i = 0; i < n; i++) {
		if ((attr = CMS_signed_get_attr(si, i)) == NULL)
			return 0;
		obj = X509_ATTRIBUTE_get0_object(attr);
		if (OBJ_obj2nid(obj) == NID_pkcs9_signingTime) {
			sa->signing_time = attr;
			sa->n_signing_time++;
			continue;
		}
		for (o = 0; o < SCEP_OID__MAX; o++)
			if (OBJ_cmp(obj, scep_oid(o)) == 0) {
				sa->a[o] = attr;
				sa->n[o]++;
				break;
			}
	}
	return 1;
}

/*
 * Seconds since the epoch of an ASN1_TIME (UTCTime or GeneralizedTime),
 * without timegm(): the difference to 1970-01-01.  Returns 1 or 0.
 */
static int
asn1_time_to_epoch(const ASN1_TIME *t, time_t *out)
{
	ASN1_TIME	*epoch = NULL;
	int		 day, sec, rc = 0;

	if ((epoch = ASN1_TIME_set(NULL, 0)) == NULL)
		goto out;
	if (!ASN1_TIME_diff(&day, &sec, epoch, t))
		goto out;
	*out = (time_t)day * 86400 + sec;
	rc = 1;
out:
	ASN1_TIME_free(epoch);
	return rc;
}

/*
 * The outer layers of a pkiMessage (RFC 8894 section 3.2, RFC 5652
 * section 5): one ContentInfo without trailing bytes holding a
 * SignedData over id-data with exactly one SignerInfo and
 * 1..lim->max_certs certificates, among which the signer's.  On success
 * returns 1 with *cmsp, *sip (borrowed from *cmsp), *certsp and *signerp
 * (borrowed from *certsp) set; on failure 0 with *err filled (nothing to
 * answer to: SCEP_MALFORMED, or SCEP_INTERNAL).
 */
static int
outer_parse(const struct scep_ctx *ctx, const uint8_t *buf, size_t len,
    const struct scep_limits *lim, CMS_ContentInfo **cmsp,
    CMS_SignerInfo **sip, STACK_OF(X509) **certsp, X509 **signerp,
    struct scep_error *err)
{
	CMS_ContentInfo			*cms = NULL;
	STACK_OF(CMS_SignerInfo)	*sis;
	STACK_OF(X509)			*certs = NULL;
	CMS_SignerInfo			*si;
	X509				*x, *signer = NULL;
	const unsigned char		*p;
	int				 i, rc = 0;

	if (len == 0 || len > LONG_MAX) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "empty message");
		goto out;
	}
	if ((cms = CMS_ContentInfo_new_ex(ctx->libctx, ctx->propq)) == NULL) {
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    "out of memory");
		goto out;
	}
	/* BER (Apple's indefinite lengths) is decoded as well as DER. */
	p = buf;
	if (d2i_CMS_ContentInfo(&cms, &p, (long)len) == NULL) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "not a CMS ContentInfo");
		goto out;
	}
	if (p != buf + len) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "trailing bytes after the ContentInfo");
		goto out;
	}
	/* RFC 8894 section 3.2: SignedData over id-data. */
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "not a SignedData");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_eContentType(cms)) != NID_pkcs7_data) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "eContentType is not id-data");
		goto out;
	}
	/* INTEROP.md 6.7: exactly one SignerInfo. */
	sis = CMS_get0_SignerInfos(cms);
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "not exactly one SignerInfo");
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	/* RFC 8894 section 2.3: the signer certificate is in the message. */
	certs = CMS_get1_certs(cms);
	if (certs == NULL || sk_X509_num(certs) < 1 ||
	    (size_t)sk_X509_num(certs) > lim->max_certs) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "no certificates or too many");
		goto out;
	}
	for (i = 0; i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (CMS_SignerInfo_cert_cmp(si, x) == 0) {
			signer = x;
			break;
		}
	}
	if (signer == NULL) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "no signer certificate");
		goto out;
	}
	*cmsp = cms;
	*sip = si;
	*certsp = certs;
	*signerp = signer;
	cms = NULL;
	certs = NULL;
	rc = 1;
out:
	CMS_ContentInfo_free(cms);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/*
 * transactionID and senderNonce (RFC 8894 sections 3.2.1.1, 3.2.1.5)
 * into msg: without them nothing can be answered, so any fault here is
 * SCEP_MALFORMED.  Returns 1 or 0 with *err filled.
 */
static int
ids_parse(const struct sattrs *sa, struct scep_msg *msg,
    struct scep_error *err)
{
	const ASN1_STRING	*s;
	size_t			 n;

	if (!sattr_get(sa, SCEP_OID_TXID, V_ASN1_PRINTABLESTRING, &s) ||
	    s == NULL) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "transactionID missing, duplicated or not a "
		    "PrintableString");
		return 0;
	}
	n = (size_t)ASN1_STRING_length(s);
	if (n < 1 || n > SCEP_TXID_MAX ||
	    !scep_printable(ASN1_STRING_get0_data(s), n)) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "transactionID is not 1..128 PrintableString characters");
		return 0;
	}
	memcpy(msg->txid, ASN1_STRING_get0_data(s), n);
	msg->txid[n] = '\0';
	msg->txid_len = n;

	if (!sattr_get(sa, SCEP_OID_SENDERNONCE, V_ASN1_OCTET_STRING, &s) ||
	    s == NULL || ASN1_STRING_length(s) != SCEP_NONCE_LEN) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "senderNonce missing, duplicated or not 16 octets");
		return 0;
	}
	memcpy(msg->sender_nonce, ASN1_STRING_get0_data(s), SCEP_NONCE_LEN);
	return 1;
}

/*
 * The other signed attributes, once the message can be answered: each
 * fault is a REJECT badRequest (INTEROP.md 6.5).  messageType is
 * required and from the closed table of RFC 8894 section 3.2.1.2;
 * recipientNonce optional for requests; a CertRep needs pkiStatus,
 * failInfo when FAILURE, and recipientNonce (section 3.3.2).  A
 * signingTime, if present, must be a single well-formed time.
 * Returns 1 or 0 with *err filled.
 */
static int
attrs_parse(const struct sattrs *sa, struct scep_msg *msg,
    struct scep_error *err)
{
	const ASN1_STRING	*s;
	const ASN1_TYPE		*t;
	const unsigned char	*d;
	const char		*why;
	size_t			 n;

	why = "messageType missing, duplicated or unknown";
	if (!sattr_get(sa, SCEP_OID_MSGTYPE, V_ASN1_PRINTABLESTRING, &s) ||
	    s == NULL || !scep_msgtype_from_str(ASN1_STRING_get0_data(s),
	    (size_t)ASN1_STRING_length(s), &msg->type))
		goto bad;
	msg->has_type = 1;

	why = "recipientNonce duplicated or not 16 octets";
	if (!sattr_get(sa, SCEP_OID_RECIPIENTNONCE, V_ASN1_OCTET_STRING, &s))
		goto bad;
	if (s != NULL) {
		if (ASN1_STRING_length(s) != SCEP_NONCE_LEN)
			goto bad;
		memcpy(msg->recipient_nonce, ASN1_STRING_get0_data(s),
		    SCEP_NONCE_LEN);
		msg->has_recipient_nonce = 1;
	}

	why = "pkiStatus duplicated or unknown";
	if (!sattr_get(sa, SCEP_OID_PKISTATUS, V_ASN1_PRINTABLESTRING, &s))
		goto bad;
	if (s != NULL) {
		if (!scep_status_from_str(ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), &msg->status))
			goto bad;
		msg->has_status = 1;
	}

	why = "failInfo duplicated or unknown";
	if (!sattr_get(sa, SCEP_OID_FAILINFO, V_ASN1_PRINTABLESTRING, &s))
		goto bad;
	if (s != NULL) {
		if (!scep_failinfo_from_str(ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), &msg->failinfo))
			goto bad;
		msg->has_failinfo = 1;
	}

	/* RFC 8894 section 3.2.1.4.1: failInfoText, a UTF8String. */
	why = "failInfoText duplicated, not a UTF8String or holding NUL";
	if (!sattr_get(sa, SCEP_OID_FAILINFOTEXT, V_ASN1_UTF8STRING, &s))
		goto bad;
	if (s != NULL) {
		d = ASN1_STRING_get0_data(s);
		n = (size_t)ASN1_STRING_length(s);
		if (memchr(d, '\0', n) != NULL)
			goto bad;
		if ((msg->failinfo_text = OPENSSL_malloc(n + 1)) == NULL) {
			scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
			    "out of memory");
			return 0;
		}
		memcpy(msg->failinfo_text, d, n);
		msg->failinfo_text[n] = '\0';
	}

	/* RFC 5652 section 11.3: one value, UTCTime or GeneralizedTime. */
	why = "signingTime duplicated or malformed";
	if (sa->n_signing_time > 1)
		goto bad;
	if (sa->n_signing_time == 1) {
		if (X509_ATTRIBUTE_count(sa->signing_time) != 1 ||
		    (t = X509_ATTRIBUTE_get0_type(sa->signing_time, 0)) ==
		    NULL)
			goto bad;
		if (ASN1_TYPE_get(t) != V_ASN1_UTCTIME &&
		    ASN1_TYPE_get(t) != V_ASN1_GENERALIZEDTIME)
			goto bad;
		if (!asn1_time_to_epoch(t->value.asn1_string,
		    &msg->signed_at))
			goto bad;
		msg->signed_at_set = 1;
	}

	/* RFC 8894 section 3.3.2: what a CertRep must carry. */
	if (msg->type == SCEP_MSG_CERTREP) {
		why = "CertRep without pkiStatus or recipientNonce";
		if (!msg->has_status || !msg->has_recipient_nonce)
			goto bad;
		why = "CertRep FAILURE without failInfo";
		if (msg->status == SCEP_STATUS_FAILURE && !msg->has_failinfo)
			goto bad;
	}
	return 1;
bad:
	scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADREQUEST, why);
	return 0;
}

/*
 * The SignerInfo's algorithms against INTEROP.md 6.1 and the tenant's
 * policy, before any signature is verified: digestAlgorithm from our
 * table, accepted by pol and available in ctx (CVE-2023-0401); the
 * signatureAlgorithm rsaEncryption or the shaNWithRSAEncryption that
 * matches the digest; the signer key RSA.  Sets msg->digest.  Returns 1
 * or 0 with *err filled (REJECT badAlg).
 */
static int
algs_check(const struct scep_ctx *ctx, CMS_SignerInfo *si,
    const struct scep_policy *pol, struct scep_msg *msg,
    struct scep_error *err)
{
	X509_ALGOR		*dalg = NULL, *salg = NULL;
	const ASN1_OBJECT	*obj;
	EVP_PKEY		*pk;
	enum scep_digest	 d;
	int			 snid, mdnid, pknid;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dalg, &salg);
	if (dalg == NULL || salg == NULL) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADALG,
		    "SignerInfo without algorithms");
		return 0;
	}
	X509_ALGOR_get0(&obj, NULL, NULL, dalg);
	if (!scep_digest_from_obj(obj, &d)) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADALG,
		    "signer digest algorithm not supported");
		return 0;
	}
	if (!scep_policy_digest_ok(pol, msg->type, d) || ctx->md[d] == NULL) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADALG,
		    "signer digest algorithm not allowed");
		return 0;
	}
	msg->digest = d;

	/* rsaEncryption, or the combined OID of this very digest. */
	X509_ALGOR_get0(&obj, NULL, NULL, salg);
	snid = OBJ_obj2nid(obj);
	if (snid != NID_rsaEncryption) {
		if (!OBJ_find_sigid_algs(snid, &mdnid, &pknid) ||
		    pknid != NID_rsaEncryption ||
		    mdnid != scep_digest_nid(d)) {
			scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADALG,
			    "signature algorithm not supported");
			return 0;
		}
	}
	/* Every reply is KeyTransRecipientInfo: RSA signers only (6.1). */
	if ((pk = X509_get0_pubkey(msg->signer)) == NULL ||
	    EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADALG,
		    "signer key is not RSA");
		return 0;
	}
	return 1;
}

/*
 * Parse and verify a pkiMessage; see scep.h.  The order of the checks
 * decides the outcome (INTEROP.md 6.5): everything up to the
 * transactionID, senderNonce and signer certificate is SCEP_MALFORMED;
 * after that *msgp is set and every fault is a SCEP_REJECT.
 */
int
scep_msg_parse(const struct scep_ctx *ctx, const uint8_t *buf, size_t len,
    const struct scep_limits *lim, const struct scep_policy *pol,
    struct scep_msg **msgp, struct scep_error *err)
{
	CMS_ContentInfo		*cms = NULL;
	CMS_SignerInfo		*si = NULL;
	STACK_OF(X509)		*certs = NULL;
	X509			*signer = NULL;
	struct scep_msg		*msg = NULL;
	struct sattrs		 sa;
	ASN1_OCTET_STRING	**pos;
	int			 rc = 0;

	*msgp = NULL;
	scep_seterr(err, SCEP_OK, SCEP_FAIL_BADREQUEST, NULL);

	/* INTEROP.md 6.7: the size limit before anything is decoded. */
	if (len > lim->max_msg) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "message too large");
		goto out;
	}
	if (!outer_parse(ctx, buf, len, lim, &cms, &si, &certs, &signer,
	    err))
		goto out;
	if (!sattrs_collect(si, lim->max_attrs, &sa)) {
		scep_seterr(err, SCEP_MALFORMED, SCEP_FAIL_BADREQUEST,
		    "no signed attributes or too many");
		goto out;
	}
	if ((msg = OPENSSL_zalloc(sizeof(*msg))) == NULL) {
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    "out of memory");
		goto out;
	}
	if (!ids_parse(&sa, msg, err))
		goto out;
	/* The signer stays borrowed from certs, which msg now owns. */
	if (!X509_up_ref(signer)) {
		scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
		    "out of memory");
		goto out;
	}
	msg->signer = signer;
	msg->certs = certs;
	certs = NULL;

	/* From here on the message can be answered: REJECT, *msgp set. */
	*msgp = msg;
	if (!attrs_parse(&sa, msg, err))
		goto out;
	if (!algs_check(ctx, si, pol, msg, err))
		goto out;

	/* RFC 8894 section 2.3: verify with the certificate it carries;
	 * whether that certificate is trusted is policy, not ours. */
	if (CMS_verify(cms, NULL, NULL, NULL, NULL,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADMESSAGECHECK,
		    "signature verification failed");
		goto out;
	}

	/* The signed content: the pkcsPKIEnvelope bytes (BER collected). */
	pos = CMS_get0_content(cms);
	if (pos != NULL && *pos != NULL && ASN1_STRING_length(*pos) > 0) {
		msg->envelope_len = (size_t)ASN1_STRING_length(*pos);
		if ((msg->envelope = OPENSSL_memdup(
		    ASN1_STRING_get0_data(*pos), msg->envelope_len)) == NULL) {
			msg->envelope_len = 0;
			scep_seterr(err, SCEP_INTERNAL, SCEP_FAIL_BADREQUEST,
			    "out of memory");
			goto out;
		}
	}
	/* Requests and a CertRep SUCCESS carry an envelope (3.3); a
	 * FAILURE or PENDING CertRep has an empty eContent. */
	if (msg->envelope == NULL && (msg->type != SCEP_MSG_CERTREP ||
	    msg->status == SCEP_STATUS_SUCCESS)) {
		scep_seterr(err, SCEP_REJECT, SCEP_FAIL_BADREQUEST,
		    "no pkcsPKIEnvelope");
		goto out;
	}
	scep_seterr(err, SCEP_OK, SCEP_FAIL_BADREQUEST, NULL);
	msg = NULL;
	rc = 1;
out:
	/* On REJECT the caller holds msg through *msgp. */
	if (*msgp == NULL)
		scep_msg_free(msg);
	CMS_ContentInfo_free(cms);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* Free a message and everything it owns (NULL-safe); see scep.h. */
void
scep_msg_free(struct scep_msg *msg)
{
	if (msg == NULL)
		return;
	OPENSSL_free(msg->failinfo_text);
	X509_free(msg->signer);
	sk_X509_pop_free(msg->certs, X509_free);
	OPENSSL_free(msg->envelope);
	scep_csr_free(msg->csr);
	/* STYLE.md B5: the password never lingers in freed memory. */
	OPENSSL_clear_free(msg->challenge, msg->challenge_len);
	X509_NAME_free(msg->issuer);
	X509_NAME_free(msg->subject);
	ASN1_INTEGER_free(msg->serial);
	sk_X509_pop_free(msg->rep_certs, X509_free);
	sk_X509_CRL_pop_free(msg->rep_crls, X509_CRL_free);
	OPENSSL_free(msg);
}

/*
 * Add one signed attribute obj with a single value of ASN.1 type type
 * holding p[0..len).  Returns 1 or 0.
 */
static int
sattr_add(CMS_SignerInfo *si, enum scep_oid o, int type, const void *p,
    size_t len)
{
	if (len > INT_MAX)
		return 0;
	return CMS_signed_add1_attr_by_OBJ(si, scep_oid(o), type, p,
	    (int)len) == 1;
}

/*
 * Build a signed pkiMessage; see extern.h.  CMS_sign_ex with
 * CMS_PARTIAL, then the signer, the SCEP attributes (RFC 8894 section
 * 3.2.1) and CMS_final over content.  With CMS_BINARY the content is
 * signed as is, and an empty content still gives an eContent of type
 * data holding an empty OCTET STRING (INTEROP.md 2.3, 6.2).  Only the
 * signer certificate goes into certificates.  On success *out holds the
 * DER (free with scep_buf_free()).  Returns 1 or 0.
 */
int
scep_signed_build(const struct scep_ctx *ctx, const struct scep_attrs *a,
    X509 *signer, EVP_PKEY *key, enum scep_digest md,
    const uint8_t *content, size_t len, struct scep_buf *out)
{
	static const uint8_t	 empty[1];
	CMS_ContentInfo		*cms = NULL;
	CMS_SignerInfo		*si;
	BIO			*bio = NULL;
	char			 num[16];
	int			 n, rc = 0;
	const unsigned int	 flags = CMS_BINARY | CMS_NOSMIMECAP;

	if ((size_t)md >= SCEP_DIGEST__MAX || ctx->md[md] == NULL ||
	    len > INT_MAX)
		goto out;
	if ((cms = CMS_sign_ex(NULL, NULL, NULL, NULL, flags | CMS_PARTIAL,
	    ctx->libctx, ctx->propq)) == NULL)
		goto out;
	/* Not detached: the content is encapsulated (RFC 8894 3.2). */
	if (!CMS_set_detached(cms, 0))
		goto out;
	if ((si = CMS_add1_signer(cms, signer, key, ctx->md[md], flags)) ==
	    NULL)
		goto out;

	/* RFC 8894 section 3.2.1: the SCEP authenticated attributes. */
	if (!sattr_add(si, SCEP_OID_TXID, V_ASN1_PRINTABLESTRING, a->txid,
	    a->txid_len))
		goto out;
	n = snprintf(num, sizeof(num), "%d", scep_msgtype_value(a->type));
	if (n < 0 || (size_t)n >= sizeof(num) ||
	    !sattr_add(si, SCEP_OID_MSGTYPE, V_ASN1_PRINTABLESTRING, num,
	    (size_t)n))
		goto out;
	if (!sattr_add(si, SCEP_OID_SENDERNONCE, V_ASN1_OCTET_STRING,
	    a->sender_nonce, SCEP_NONCE_LEN))
		goto out;
	if (a->recipient_nonce != NULL &&
	    !sattr_add(si, SCEP_OID_RECIPIENTNONCE, V_ASN1_OCTET_STRING,
	    a->recipient_nonce, SCEP_NONCE_LEN))
		goto out;
	if (a->has_status && !sattr_add(si, SCEP_OID_PKISTATUS,
	    V_ASN1_PRINTABLESTRING, scep_status_str(a->status),
	    strlen(scep_status_str(a->status))))
		goto out;
	if (a->has_failinfo && !sattr_add(si, SCEP_OID_FAILINFO,
	    V_ASN1_PRINTABLESTRING, scep_failinfo_str(a->failinfo),
	    strlen(scep_failinfo_str(a->failinfo))))
		goto out;
	if (a->failinfo_text != NULL && !sattr_add(si, SCEP_OID_FAILINFOTEXT,
	    V_ASN1_UTF8STRING, a->failinfo_text, strlen(a->failinfo_text)))
		goto out;

	/* A memory BIO needs a non-NULL pointer even when empty. */
	if ((bio = BIO_new_mem_buf(len > 0 ? content : empty, (int)len)) ==
	    NULL)
		goto out;
	if (!CMS_final(cms, bio, NULL, flags))
		goto out;

	if (!scep_buf_i2d(out, cms, ASN1_ITEM_rptr(CMS_ContentInfo)))
		goto out;
	rc = 1;
out:
	BIO_free(bio);
	CMS_ContentInfo_free(cms);
	return rc;
}

/*
 * A fresh random nonce (RFC 8894 section 3.2.1.5) from the CSPRNG.
 * Returns 1, or 0 if RAND_bytes() failed.
 */
int
scep_nonce_new(uint8_t nonce[SCEP_NONCE_LEN])
{
	return RAND_bytes(nonce, SCEP_NONCE_LEN) == 1;
}
