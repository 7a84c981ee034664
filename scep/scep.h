/*
 * scep.h: the RFC 8894 (SCEP) message library.
 *
 * Pure protocol code: bytes in, bytes out.  Keys, certificates, limits,
 * algorithm policy and the current time are passed in by the caller; the
 * library opens no file or socket, reads no environment, never logs and
 * never exits.  Both roles are here: the server (parse a request, open its
 * envelope, build a CertRep, build GetCACert/GetNextCACert/GetCACaps
 * bodies) and the client (build requests, parse a CertRep), so that tests
 * and the benchmark drive the server with the same code.
 *
 * Conventions (STYLE.md B4, B5):
 *  - fallible functions return int, 1 on success and 0 on failure;
 *    constructors return a pointer or NULL;
 *  - "get0" results are borrowed, valid while their parent lives;
 *    "get1"/"dup" results and everything returned through an out
 *    parameter are owned by the caller, who frees them with the free
 *    function named in the comment;
 *  - binary data crosses the API as (const uint8_t *, size_t); owned
 *    results come back in a struct scep_buf, freed with scep_buf_free();
 *  - failures are described in a struct scep_error: an outcome (see
 *    INTEROP.md 6.5), a failInfo for REJECT and a static reason string.
 */
#ifndef SCEP_SCEP_H
#define SCEP_SCEP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>
#include <openssl/x509.h>

/* RFC 8894 section 3.2.1.5: senderNonce and recipientNonce are 16 bytes. */
#define SCEP_NONCE_LEN		16
/* INTEROP.md 6.7: transactionID is at most 128 PrintableString chars. */
#define SCEP_TXID_MAX		128

/*
 * Message types, RFC 8894 section 3.2.1.2.  The enum is an index; the
 * wire value (a decimal PrintableString) is scep_msgtype_value().
 */
enum scep_msgtype {
	SCEP_MSG_CERTREP,	/* 3 */
	SCEP_MSG_RENEWALREQ,	/* 17 */
	SCEP_MSG_PKCSREQ,	/* 19 */
	SCEP_MSG_CERTPOLL,	/* 20, GetCertInitial */
	SCEP_MSG_GETCERT,	/* 21 */
	SCEP_MSG_GETCRL,	/* 22 */
	SCEP_MSG__MAX
};

/* pkiStatus, RFC 8894 section 3.2.1.3. */
enum scep_status {
	SCEP_STATUS_SUCCESS,	/* 0 */
	SCEP_STATUS_FAILURE,	/* 2 */
	SCEP_STATUS_PENDING,	/* 3 */
	SCEP_STATUS__MAX
};

/* failInfo, RFC 8894 section 3.2.1.4; the enum value is the wire value. */
enum scep_failinfo {
	SCEP_FAIL_BADALG = 0,
	SCEP_FAIL_BADMESSAGECHECK = 1,
	SCEP_FAIL_BADREQUEST = 2,
	SCEP_FAIL_BADTIME = 3,
	SCEP_FAIL_BADCERTID = 4,
	SCEP_FAIL__MAX
};

/* Content-encryption ciphers of the pkcsPKIEnvelope (INTEROP.md 6.1). */
enum scep_cipher {
	SCEP_CIPHER_AES128,
	SCEP_CIPHER_AES192,
	SCEP_CIPHER_AES256,
	SCEP_CIPHER_DES3,
	SCEP_CIPHER_DES,
	SCEP_CIPHER__MAX
};

/* SignerInfo digest algorithms (INTEROP.md 6.1). */
enum scep_digest {
	SCEP_DIGEST_MD5,
	SCEP_DIGEST_SHA1,
	SCEP_DIGEST_SHA224,
	SCEP_DIGEST_SHA256,
	SCEP_DIGEST_SHA384,
	SCEP_DIGEST_SHA512,
	SCEP_DIGEST__MAX
};

/* GetCACaps keywords, RFC 8894 section 3.5.2, Table 7. */
enum scep_cap {
	SCEP_CAP_AES,
	SCEP_CAP_DES3,
	SCEP_CAP_GETNEXTCACERT,
	SCEP_CAP_POSTPKIOPERATION,
	SCEP_CAP_RENEWAL,
	SCEP_CAP_SHA1,
	SCEP_CAP_SHA256,
	SCEP_CAP_SHA512,
	SCEP_CAP_SCEPSTANDARD,
	SCEP_CAP__MAX
};

/* The four outcomes of STYLE.md B4 / INTEROP.md 6.5. */
enum scep_outcome {
	SCEP_OK,		/* no failure */
	SCEP_MALFORMED,		/* nothing usable to answer: HTTP 400 */
	SCEP_REJECT,		/* signed CertRep FAILURE with failinfo */
	SCEP_INTERNAL,		/* out of memory or library trouble: 503 */
	SCEP_OUTCOME__MAX
};

/*
 * Why a function failed.  reason is a static string (never freed, never
 * holding message data) suitable as failInfoText and for the log.
 */
struct scep_error {
	enum scep_outcome	 outcome;
	enum scep_failinfo	 failinfo;	/* meaningful for SCEP_REJECT */
	const char		*reason;
};

/* An owned byte buffer; free its contents with scep_buf_free(). */
struct scep_buf {
	uint8_t		*data;
	size_t		 len;
};

/*
 * Size limits on untrusted input, INTEROP.md 6.7.  scep_limits_default()
 * fills the defaults; callers may tighten or widen within the bounds.
 */
struct scep_limits {
	size_t		 max_msg;	/* DER bytes of a pkiMessage (64 KiB) */
	size_t		 max_certs;	/* certificates in a SignedData (8) */
	size_t		 max_recipients; /* RecipientInfos (4) */
	size_t		 max_attrs;	/* signed attributes (16) */
};

/* Lower and upper bounds for max_msg (INTEROP.md 6.7). */
#define SCEP_MSG_MIN	(8 * 1024)
#define SCEP_MSG_MAX	(1024 * 1024)

/*
 * Algorithm policy of one tenant (INTEROP.md 6.1): bit sets over
 * enum scep_cipher and enum scep_digest, bit n = 1 << n.  The library
 * checks a message's SignerInfo digest (in scep_msg_parse()) and its
 * envelope cipher (in scep_msg_open()) against it before any signature
 * verification or private-key operation, and answers REJECT badAlg.
 * As INTEROP.md 6.1 says, a CertPoll is always accepted with SHA-1 and
 * 3DES whatever the policy says (Apple polls so).
 */
struct scep_policy {
	unsigned int	 ciphers;
	unsigned int	 digests;
};

/*
 * The library context: an OpenSSL library context and property query
 * plus the digests and ciphers fetched once.  Create one per process.
 */
struct scep_ctx;

/*
 * Templates that read without decoding a public key (asn1.c): OpenSSL
 * 3.0 decodes every X509_PUBKEY it parses, alone or in an X509, through
 * a provider decoder built for the call (~0.1 ms).  Use them with
 * ASN1_item_d2i()/i2d()/free() and ASN1_ITEM_rptr(name).
 *
 * SCEP_SPKI: a SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7) as its
 * two fields, as OpenSSL's internal X509_PUBKEY_INTERNAL has them.
 */
typedef struct {
	X509_ALGOR		*alg;
	ASN1_BIT_STRING		*key;
} SCEP_SPKI;
DECLARE_ASN1_ITEM(SCEP_SPKI)

/*
 * SCEP_CERT: a Certificate (RFC 5280 section 4.1) with its issuer Name,
 * validity and extensions parsed, and its signature algorithm, subject
 * and SubjectPublicKeyInfo left as they were encoded (a SEQUENCE in an
 * ASN1_TYPE: tag, length and contents).
 */
typedef struct {
	ASN1_INTEGER		*version;	/* NULL: v1 */
	ASN1_INTEGER		*serial;
	ASN1_TYPE		*sigalg;
	X509_NAME		*issuer;
	X509_VAL		*validity;
	ASN1_TYPE		*subject;
	ASN1_TYPE		*spki;
	ASN1_BIT_STRING		*issuer_uid;
	ASN1_BIT_STRING		*subject_uid;
	STACK_OF(X509_EXTENSION) *exts;		/* NULL: none */
} SCEP_TBS;
typedef struct {
	SCEP_TBS		*tbs;
	ASN1_TYPE		*sigalg;
	ASN1_BIT_STRING		*sig;
} SCEP_CERT;
DECLARE_ASN1_ITEM(SCEP_TBS)
DECLARE_ASN1_ITEM(SCEP_CERT)

/*
 * The PKCS#10 request (RFC 2986) of a PKCSReq or RenewalReq, its own
 * signature verified with the key it certifies.  Parsed with templates
 * of our own that leave the SubjectPublicKeyInfo encoded: OpenSSL 3.0's
 * X509_REQ decodes it through a provider decoder built anew for every
 * request, and the key is nearly always the signer certificate's, which
 * is decoded already (then key is that same EVP_PKEY).  Owned by the
 * scep_msg that holds it.
 */
struct scep_csr {
	uint8_t			*der;		/* as received */
	size_t			 der_len;
	X509_NAME		*subject;
	STACK_OF(X509_ATTRIBUTE) *attrs;	/* NULL when there are none */
	uint8_t			*spki;		/* SubjectPublicKeyInfo, DER */
	size_t			 spki_len;
	EVP_PKEY		*key;		/* the key it certifies */
};

/*
 * A parsed pkiMessage, request or CertRep.  Every pointer member is owned
 * by the message; free the whole with scep_msg_free().  Fields are filled
 * in the order the parse gets to them: after a REJECT from
 * scep_msg_parse() at least txid, sender_nonce and signer are set.
 */
struct scep_msg {
	enum scep_msgtype	 type;
	int			 has_type;
	/* transactionID as received: PrintableString chars, NUL added. */
	char			 txid[SCEP_TXID_MAX + 1];
	size_t			 txid_len;
	uint8_t			 sender_nonce[SCEP_NONCE_LEN];
	uint8_t			 recipient_nonce[SCEP_NONCE_LEN];
	int			 has_recipient_nonce;
	/* CertRep only. */
	enum scep_status	 status;
	int			 has_status;
	enum scep_failinfo	 failinfo;
	int			 has_failinfo;
	char			*failinfo_text;	/* NUL-terminated or NULL */

	enum scep_digest	 digest;	/* SignerInfo digestAlgorithm */
	X509			*signer;	/* signer certificate */
	STACK_OF(X509)		*certs;		/* all certificates */
	int			 signed_at_set;
	time_t			 signed_at;	/* signingTime if present */

	/* The signed content: DER/BER of the pkcsPKIEnvelope, or NULL. */
	uint8_t			*envelope;
	size_t			 envelope_len;

	/* Filled by scep_msg_open(). */
	int			 opened;
	enum scep_cipher	 cipher;	/* envelope content cipher */
	struct scep_csr		*csr;		/* PKCSReq, RenewalReq */
	uint8_t			*challenge;	/* challengePassword bytes */
	size_t			 challenge_len;
	int			 has_challenge;
	X509_NAME		*issuer;	/* CertPoll, GetCert, GetCRL */
	X509_NAME		*subject;	/* CertPoll */
	ASN1_INTEGER		*serial;	/* GetCert, GetCRL */
	STACK_OF(X509)		*rep_certs;	/* CertRep SUCCESS */
	STACK_OF(X509_CRL)	*rep_crls;	/* CertRep SUCCESS to GetCRL */
};

/*
 * Build the library's object identifier table.  Call once per process
 * before any other function; safe to call again.  Returns 1 or 0.
 */
int		 scep_init(void);

/*
 * A new library context over libctx (NULL: OpenSSL's default) with the
 * property query propq (NULL: none).  When legacy_des is non-zero the
 * "legacy" and "default" providers are loaded into libctx so that single
 * DES envelopes can be opened and built; the per-tenant scep_policy, not
 * provider loading, decides whether DES is accepted.  Free with
 * scep_ctx_free().
 */
struct scep_ctx	*scep_ctx_new(OSSL_LIB_CTX *libctx, const char *propq,
		    int legacy_des);
void		 scep_ctx_free(struct scep_ctx *);
/* Whether single DES is available in this context (legacy provider). */
int		 scep_ctx_has_des(const struct scep_ctx *);

/* Fill *lim with the defaults of INTEROP.md 6.7. */
void		 scep_limits_default(struct scep_limits *lim);
/* The default policy of INTEROP.md 6.1 (no DES, no MD5). */
void		 scep_policy_default(struct scep_policy *pol);

/* Free the contents of b (NULL-safe) and zero it. */
void		 scep_buf_free(struct scep_buf *b);
/* Replace b's contents with a copy of p[0..len); 1 or 0. */
int		 scep_buf_set(struct scep_buf *b, const uint8_t *p, size_t len);

/* Names, for logs and configuration; all static strings. */
const char	*scep_msgtype_name(enum scep_msgtype);
int		 scep_msgtype_value(enum scep_msgtype);
const char	*scep_status_name(enum scep_status);
const char	*scep_failinfo_name(enum scep_failinfo);
const char	*scep_cipher_name(enum scep_cipher);	/* "aes-128-cbc" */
const char	*scep_digest_name(enum scep_digest);	/* "sha256" */
const char	*scep_cap_name(enum scep_cap);		/* "SHA-256" */
const char	*scep_outcome_name(enum scep_outcome);
/* Look a name up (exact, as above); returns 1 and sets *out, or 0. */
int		 scep_cipher_from_name(const char *, enum scep_cipher *out);
int		 scep_digest_from_name(const char *, enum scep_digest *out);
int		 scep_cap_from_name(const char *, enum scep_cap *out);

/*
 * Server role: requests.
 */

/*
 * Parse a pkiMessage (DER or BER ContentInfo holding a SignedData) and
 * verify its signature with the signer certificate it carries (RFC 8894
 * section 2.3; the signer certificate itself is not validated here: that
 * is policy).  Checks, in order: size, one complete ContentInfo with no
 * trailing bytes, SignedData with eContentType data, exactly one
 * SignerInfo, at most lim->max_certs certificates, the signer
 * certificate present, the signed attributes (each SCEP attribute at
 * most once, one value, exact type; transactionID a PrintableString of
 * 1..128 chars, nonces 16 bytes, messageType/pkiStatus/failInfo from
 * closed tables), the digest against pol, then the signature.
 *
 * Returns 1 and sets *msgp on success.  On failure returns 0 and fills
 * *err: SCEP_MALFORMED (*msgp NULL: no transactionID, senderNonce or
 * signer to answer to), SCEP_REJECT (*msgp set: answer with a FAILURE),
 * or SCEP_INTERNAL (*msgp NULL).  The caller frees *msgp with
 * scep_msg_free() in every case.
 */
int		 scep_msg_parse(const struct scep_ctx *ctx,
		    const uint8_t *buf, size_t len,
		    const struct scep_limits *lim,
		    const struct scep_policy *pol,
		    struct scep_msg **msgp, struct scep_error *err);

/*
 * Open the pkcsPKIEnvelope of msg with the recipient certificate rcert
 * and its private key rkey, selecting the KeyTransRecipientInfo that
 * names rcert (several RecipientInfos happen; PasswordRecipientInfo and
 * key agreement are refused with badAlg).  The content cipher and key
 * transport are checked against pol first (badAlg).  Then the content is
 * parsed by message type: PKCS#10 with its own signature verified and
 * the challengePassword extracted (PKCSReq, RenewalReq), IssuerAndSubject
 * (CertPoll), IssuerAndSerialNumber (GetCert, GetCRL), or a degenerate
 * certs-only SignedData (CertRep SUCCESS).  Every failure of decryption
 * or of the decrypted content is one REJECT badMessageCheck with one
 * reason (padding-oracle defence; the decryption output is discarded).
 * Returns 1 or 0 with *err filled.  On success msg->opened is 1.
 */
int		 scep_msg_open(const struct scep_ctx *ctx, struct scep_msg *msg,
		    X509 *rcert, EVP_PKEY *rkey,
		    const struct scep_limits *lim,
		    const struct scep_policy *pol, struct scep_error *err);
/*
 * scep_msg_open() for a server that holds several recipient
 * certificates (after a CA rollover, the current RA and the previous
 * one, which clients with saved GetCACert answers still encrypt to):
 * rcerts[0..n) with their keys rkeys[0..n), in order of preference.
 * The RecipientInfos are matched against the certificates by their
 * identifiers (issuerAndSerialNumber or subjectKeyIdentifier) before
 * any private-key operation; the lowest index named is chosen and only
 * its key is used, never one key after another.  *which gets the index
 * chosen, or n when none is named (REJECT badMessageCheck, the one
 * reason) or the envelope failed before the choice; it is set on
 * failure too, so the caller can answer with the chosen certificate's
 * signer.  rcerts and rkeys stay the caller's (borrowed for the
 * call).  Returns 1 or 0 with *err filled, as scep_msg_open().
 */
int		 scep_msg_open_select(const struct scep_ctx *ctx,
		    struct scep_msg *msg, X509 *const *rcerts,
		    EVP_PKEY *const *rkeys, size_t n, size_t *which,
		    const struct scep_limits *lim,
		    const struct scep_policy *pol, struct scep_error *err);

/* Free a message and everything it owns (NULL-safe). */
void		 scep_msg_free(struct scep_msg *);

/*
 * The extensions of csr's extensionRequest (or Microsoft's), as
 * X509_REQ_get_extensions() gives them: a new stack (free with
 * sk_X509_EXTENSION_pop_free(..., X509_EXTENSION_free)), empty when
 * there is no such attribute, NULL when it is malformed.
 */
STACK_OF(X509_EXTENSION) *scep_csr_extensions(const struct scep_csr *csr);

/* Free a parsed CSR (NULL-safe); scep_msg_free() frees msg->csr. */
void		 scep_csr_free(struct scep_csr *);

/*
 * Server role: replies (INTEROP.md 6.2).  Each builds a CertRep answering
 * req: fresh senderNonce, recipientNonce = req's senderNonce, the
 * transactionID copied byte for byte, signed with signer/key (the
 * certificate GetCACert offers for signing: the RA when there is one),
 * which is the only certificate in the outer SignedData.  The digest is
 * SHA-512 when req used SHA-512, else SHA-256.  The DER is returned in
 * *out; free it with scep_buf_free().  Return 1 or 0 (*err filled,
 * outcome SCEP_INTERNAL).
 */

/*
 * SUCCESS carrying the issued certificate: a certs-only SignedData
 * holding only issued, enveloped to req's signer certificate with req's
 * own content cipher (PKCS#1 v1.5 key transport).  req must be opened.
 */
int		 scep_certrep_success(const struct scep_ctx *ctx,
		    const struct scep_msg *req, X509 *signer, EVP_PKEY *key,
		    X509 *issued, struct scep_buf *out,
		    struct scep_error *err);

/* SUCCESS answering GetCRL: the envelope holds a SignedData with crl. */
int		 scep_certrep_crl(const struct scep_ctx *ctx,
		    const struct scep_msg *req, X509 *signer, EVP_PKEY *key,
		    X509_CRL *crl, struct scep_buf *out,
		    struct scep_error *err);

/*
 * FAILURE with failInfo fi and, if text is not NULL, failInfoText.
 * No envelope; eContent is an empty OCTET STRING of type data.  Works on
 * a message that scep_msg_parse() REJECTed (needs only txid and nonce).
 */
int		 scep_certrep_failure(const struct scep_ctx *ctx,
		    const struct scep_msg *req, X509 *signer, EVP_PKEY *key,
		    enum scep_failinfo fi, const char *text,
		    struct scep_buf *out, struct scep_error *err);

/* PENDING: no envelope; eContent is an empty OCTET STRING of type data. */
int		 scep_certrep_pending(const struct scep_ctx *ctx,
		    const struct scep_msg *req, X509 *signer, EVP_PKEY *key,
		    struct scep_buf *out, struct scep_error *err);

/*
 * GetCACert body (RFC 8894 section 4.2.1).  With ra NULL and no chain:
 * the DER of ca, content type "application/x-x509-ca-cert".  With an RA:
 * a degenerate certs-only SignedData holding [ra, ca, chain...] in that
 * order (built as a SEQUENCE, never re-ordered), content type
 * "application/x-x509-ca-ra-cert".  *ctype is a static string.
 */
int		 scep_cacert_body(X509 *ra, X509 *ca, STACK_OF(X509) *chain,
		    struct scep_buf *out, const char **ctype);

/*
 * GetNextCACert body (RFC 8894 section 4.7.1): a SignedData signed by the
 * current CA (ca_cert/ca_key) whose content is the degenerate certs-only
 * SignedData [next_ra, next_ca] (next_ra may be NULL).  *ctype is
 * "application/x-x509-next-ca-cert".
 */
int		 scep_nextcacert_body(const struct scep_ctx *ctx,
		    X509 *ca_cert, EVP_PKEY *ca_key, X509 *next_ra,
		    X509 *next_ca, struct scep_buf *out, const char **ctype);

/*
 * GetCACaps body: every keyword of the bit set caps (bit n = 1 << enum
 * scep_cap) on its own line, LF-terminated, in enum order.  Content
 * type "text/plain".  Returns the number of bytes written (excluding the
 * NUL) or -1 when buf is too small.
 */
int		 scep_caps_text(unsigned int caps, char *buf, size_t bufsz);

/*
 * Parse a GetCACaps body (client role): keywords separated by CR and/or
 * LF, exact case; unknown keywords are ignored.  Returns the bit set.
 */
unsigned int	 scep_caps_parse(const uint8_t *buf, size_t len);

/*
 * Decode the value of a GET "message=" parameter as it arrives in the
 * query string into the DER it carries (INTEROP.md 2.5 row 1):
 * percent-decoding (never '+' to space), a space or '-' read as '+',
 * '_' read as '/', CR, LF and other white space skipped, missing '='
 * padding added; anything else is refused.  At most max_out bytes are
 * produced (checked before decoding).  Returns 1 with *out filled (free
 * with scep_buf_free()) or 0.
 */
int		 scep_message_decode(const char *value, size_t len,
		    size_t max_out, struct scep_buf *out);

/* Standard base64 encoding (no line breaks), NUL-terminated; for the
 * client role's GET requests.  Free with scep_buf_free(). */
int		 scep_base64_encode(const uint8_t *buf, size_t len,
		    struct scep_buf *out);

/*
 * Client role.
 */

/* What a client request carries; see scep_request_build(). */
struct scep_request {
	enum scep_msgtype	 type;	/* PKCSReq..GetCRL, not CertRep */
	const char		*txid;	/* PrintableString, 1..128 chars */
	/* senderNonce; NULL: a fresh random one is drawn. */
	const uint8_t		*nonce;
	X509			*signer;	/* signer certificate */
	EVP_PKEY		*signer_key;	/* its key */
	enum scep_digest	 digest;
	enum scep_cipher	 cipher;
	STACK_OF(X509)		*recipients;	/* one KTRI each */
	/* Content by type. */
	X509_REQ		*csr;		/* PKCSReq, RenewalReq */
	const X509_NAME		*issuer;	/* CertPoll, GetCert, GetCRL */
	const X509_NAME		*subject;	/* CertPoll */
	const ASN1_INTEGER	*serial;	/* GetCert, GetCRL */
};

/*
 * Build a request pkiMessage (DER) from *r.  If nonce_out is not NULL
 * the senderNonce used is copied there (16 bytes).  Returns 1 with *out
 * filled (free with scep_buf_free()) or 0 with *err filled.
 */
int		 scep_request_build(const struct scep_ctx *ctx,
		    const struct scep_request *r, uint8_t *nonce_out,
		    struct scep_buf *out, struct scep_error *err);

/*
 * A temporary self-signed signer certificate for key with subject
 * (RFC 8894 section 2.3), valid from now - 1 hour for days days, signed
 * with SHA-256, keyUsage digitalSignature and keyEncipherment, a random
 * 64-bit serial.  Free with X509_free().
 */
X509		*scep_selfsigned_new(const struct scep_ctx *ctx, EVP_PKEY *key,
		    const X509_NAME *subject, time_t now, int days);

#endif /* SCEP_SCEP_H */
