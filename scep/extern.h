/*
 * extern.h: scep/ internals shared between the library's files.
 * Not installed, not included outside scep/ (tests excepted).
 */
#ifndef SCEP_EXTERN_H
#define SCEP_EXTERN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>
#include <openssl/x509.h>

#include "scep/scep.h"

/* The library context; see scep_ctx_new(). */
struct scep_ctx {
	OSSL_LIB_CTX	*libctx;	/* borrowed; NULL = default */
	char		*propq;		/* owned copy or NULL */
	OSSL_PROVIDER	*prov_legacy;	/* loaded when legacy_des */
	OSSL_PROVIDER	*prov_default;	/* loaded when legacy_des */
	EVP_MD		*md[SCEP_DIGEST__MAX];		/* NULL: unavailable */
	EVP_CIPHER	*cipher[SCEP_CIPHER__MAX];	/* NULL: unavailable */
};

/* The SCEP attribute OIDs (RFC 8894 section 3.2, INTEROP.md 1.3). */
enum scep_oid {
	SCEP_OID_TXID,			/* 2.16.840.1.113733.1.9.7 */
	SCEP_OID_MSGTYPE,		/* 2.16.840.1.113733.1.9.2 */
	SCEP_OID_PKISTATUS,		/* 2.16.840.1.113733.1.9.3 */
	SCEP_OID_FAILINFO,		/* 2.16.840.1.113733.1.9.4 */
	SCEP_OID_SENDERNONCE,		/* 2.16.840.1.113733.1.9.5 */
	SCEP_OID_RECIPIENTNONCE,	/* 2.16.840.1.113733.1.9.6 */
	SCEP_OID_FAILINFOTEXT,		/* 1.3.6.1.5.5.7.24.1 */
	SCEP_OID__MAX
};

/* oid.c */
/* The OID object for o, built by scep_init(); borrowed, never NULL
 * after a successful scep_init(). */
const ASN1_OBJECT	*scep_oid(enum scep_oid o);
/* Map an AlgorithmIdentifier OID to our enums; 1 if known, else 0. */
int		 scep_cipher_from_obj(const ASN1_OBJECT *, enum scep_cipher *);
int		 scep_digest_from_obj(const ASN1_OBJECT *, enum scep_digest *);
/* OpenSSL NID of a cipher or digest. */
int		 scep_cipher_nid(enum scep_cipher);
int		 scep_digest_nid(enum scep_digest);

/* err.c */
/* Fill *err (NULL-safe); reason must be a static string. */
void		 scep_seterr(struct scep_error *err, enum scep_outcome o,
		    enum scep_failinfo fi, const char *reason);
/* Whether the policy accepts a cipher / digest for message type t
 * (the CertPoll exception of INTEROP.md 6.1 applied). */
int		 scep_policy_cipher_ok(const struct scep_policy *,
		    enum scep_msgtype t, enum scep_cipher c);
int		 scep_policy_digest_ok(const struct scep_policy *,
		    enum scep_msgtype t, enum scep_digest d);
/* Replace b's contents with the DER of obj, an it; 1 or 0. */
int		 scep_buf_i2d(struct scep_buf *b, const void *obj,
		    const ASN1_ITEM *it);
/* Move the contents of a memory BIO into b; 1 or 0. */
int		 scep_buf_from_bio(struct scep_buf *b, BIO *bio);
/* Wire value <-> enum for messageType/pkiStatus (decimal strings). */
int		 scep_msgtype_from_str(const uint8_t *s, size_t len,
		    enum scep_msgtype *out);
int		 scep_status_from_str(const uint8_t *s, size_t len,
		    enum scep_status *out);
int		 scep_failinfo_from_str(const uint8_t *s, size_t len,
		    enum scep_failinfo *out);
/* Wire string of a status ("0", "2", "3") and a failInfo ("0".."4"). */
const char	*scep_status_str(enum scep_status);
const char	*scep_failinfo_str(enum scep_failinfo);
/* Whether s[0..len) is a non-empty PrintableString without NUL. */
int		 scep_printable(const uint8_t *s, size_t len);

/* The one reason given for every envelope or inner-content failure
 * (INTEROP.md 6.5: one path, one text). */
#define SCEP_REASON_BADENVELOPE	"cannot open the pkcsPKIEnvelope"

/*
 * msg.c: the outer SignedData, both directions.
 */

/* The SCEP signed attributes of a message to build. */
struct scep_attrs {
	enum scep_msgtype	 type;
	const char		*txid;
	size_t			 txid_len;
	const uint8_t		*sender_nonce;		/* 16 bytes */
	const uint8_t		*recipient_nonce;	/* 16 bytes or NULL */
	int			 has_status;
	enum scep_status	 status;
	int			 has_failinfo;
	enum scep_failinfo	 failinfo;
	const char		*failinfo_text;		/* or NULL */
};

/*
 * Build a ContentInfo/SignedData over content (content may be empty:
 * an empty OCTET STRING eContent of type data, as FAILURE and PENDING
 * need) signed by signer/key with digest md, carrying the attributes *a
 * and only the signer certificate.  DER into *out.  1 or 0.
 */
int		 scep_signed_build(const struct scep_ctx *ctx,
		    const struct scep_attrs *a, X509 *signer, EVP_PKEY *key,
		    enum scep_digest md, const uint8_t *content, size_t len,
		    struct scep_buf *out);

/* Draw a fresh random 16-byte nonce; 1 or 0. */
int		 scep_nonce_new(uint8_t nonce[SCEP_NONCE_LEN]);

/*
 * envelope.c: the pkcsPKIEnvelope, both directions.
 */

/*
 * Seal content in an EnvelopedData (ContentInfo, DER) with cipher c,
 * one KeyTransRecipientInfo (PKCS#1 v1.5, issuerAndSerialNumber) per
 * certificate of recips (DER sorts the SET OF).  1 or 0.
 */
int		 scep_envelope_seal(const struct scep_ctx *ctx,
		    const uint8_t *content, size_t len, STACK_OF(X509) *recips,
		    enum scep_cipher c, struct scep_buf *out);

/*
 * ca.c / certrep.c: degenerate certs-only SignedData (ContentInfo, DER)
 * holding certs in the given order and crls, no signers, no eContent.
 * Built with the PKCS7 API so the order is kept.  1 or 0.
 */
int		 scep_degenerate_build(STACK_OF(X509) *certs,
		    STACK_OF(X509_CRL) *crls, struct scep_buf *out);

/*
 * csr.c: the decrypted content by message type, with trailing bytes
 * refused: fills msg->csr/challenge, issuer/subject, issuer/serial or
 * rep_certs/rep_crls.  On failure returns 0 (the caller reports the one
 * badMessageCheck of INTEROP.md 6.5).
 */
int		 scep_content_parse(const struct scep_ctx *ctx,
		    struct scep_msg *msg, const uint8_t *buf, size_t len,
		    const struct scep_limits *lim);

#endif /* SCEP_EXTERN_H */
