/*
 * client.h: a small SCEP client (RFC 8894) over libcurl and the client
 * role of scep/, shared by the integration test tool (sceptest) and the
 * load generator (scepbench).  It is test code: it checks every reply
 * strictly and says why it refused one.  It retries only when asked
 * (cl->retries), re-sending the identical bytes.
 *
 * Conventions as in scep/scep.h: 1 = success, 0 = failure; on failure
 * cl->err holds a static-or-formatted reason and cl->http_status the
 * last HTTP status (0: no HTTP answer at all).
 */
#ifndef TESTS_INTEG_CLIENT_H
#define TESTS_INTEG_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/types.h>
#include <openssl/x509.h>

#include "scep/scep.h"

/* RFC 8894 section 4.3: the pkiMessage media type, both directions. */
#define SC_CT_PKI	"application/x-pki-message"
/* The largest HTTP body we accept from a server. */
#define SC_BODY_MAX	(4 * 1024 * 1024)

/* One HTTP exchange: status, media type (parameters kept) and body. */
struct sc_http {
	long		 status;	/* 0: no answer */
	char		 ctype[128];	/* "" when the server sent none */
	struct scep_buf	 body;
	size_t		 cap;		/* allocated size of body.data */
	int		 overflow;	/* body exceeded SC_BODY_MAX */
};

/* The client: one curl easy handle, the CA certificates, a context. */
struct sc_client {
	CURL			*curl;
	struct curl_slist	*post_hdrs;	/* POST Content-Type */
	char			*url;		/* base URL, no query */
	long			 timeout_ms;
	int			 verbose;	/* details on stderr */
	/* Accept a CertRep whose senderNonce is our own senderNonce
	 * echoed (micromdm scepserver 2.1.0 does so); else refused. */
	int			 echoed_nonce_ok;
	struct scep_ctx		*ctx;		/* DES available */
	struct scep_limits	 lim;
	struct scep_policy	 pol;		/* replies: any algorithm */
	STACK_OF(X509)		*cacerts;	/* GetCACert, in order */
	X509			*ra;	/* borrowed: recipient, reply signer */
	X509			*ca;	/* borrowed: the issuing CA */
	/* Transport failure or HTTP 5xx: send the identical request
	 * again up to retries times, retry_ms apart (as real clients). */
	int			 retries;
	long			 retry_ms;
	long			 http_status;	/* of the last exchange */
	char			 err[256];	/* why the last call failed */
};

/* One request and what its reply is checked against. */
struct sc_txn {
	enum scep_msgtype	 type;
	char			 txid[SCEP_TXID_MAX + 1];
	uint8_t			 nonce[SCEP_NONCE_LEN];	/* our senderNonce */
	X509			*signer;	/* owned */
	EVP_PKEY		*signer_key;	/* owned */
	EVP_PKEY		*certkey;	/* owned: key to be certified */
	ASN1_INTEGER		*serial;	/* owned: GetCert serial */
	X509_NAME		*subject;	/* owned: CSR subject */
	struct scep_buf		 der;		/* the pkiMessage */
};

/* What a checked CertRep said. */
struct sc_reply {
	enum scep_status	 status;
	int			 has_failinfo;
	enum scep_failinfo	 failinfo;
	char			*failinfo_text;	/* owned or NULL */
	enum scep_digest	 digest;	/* of the reply's SignerInfo */
	int			 opened;
	enum scep_cipher	 cipher;	/* of the reply's envelope */
	X509			*cert;		/* owned: issued certificate */
	X509_CRL		*crl;		/* owned: GetCRL answer */
};

/* What an enrolment (PKCSReq, RenewalReq) or a CertPoll is made of. */
struct sc_enroll {
	EVP_PKEY		*key;		/* the key to certify */
	const X509_NAME		*subject;
	const char		*challenge;	/* NULL: none */
	const char *const	*sans;		/* DNS names */
	size_t			 nsans;
	X509			*old_cert;	/* signer instead of a */
	EVP_PKEY		*old_key;	/* self-signed one, or NULL */
	int			 renewal;	/* RenewalReq, not PKCSReq */
	const char		*txid;		/* NULL: from key */
	enum scep_cipher	 cipher;
	enum scep_digest	 digest;
	time_t			 now;
};

/*
 * The client for base URL url (everything before "?").  timeout_ms
 * bounds each HTTP exchange.  Returns NULL on failure; free with
 * sc_client_free().  curl_global_init() and scep_init() are the
 * caller's.
 */
struct sc_client *sc_client_new(const char *url, long timeout_ms,
		    int verbose);
void		 sc_client_free(struct sc_client *);

/* Free the body of an exchange and zero it (NULL-safe). */
void		 sc_http_free(struct sc_http *);
/* Whether ctype's media type (before any ';') is mt, ignoring case. */
int		 sc_ctype_is(const char *ctype, const char *mt);

/*
 * GET url?operation=op[&message=msg] (msg percent-encoded here; NULL:
 * none) into *res.  Returns 1 when the server answered (any status),
 * 0 on a transport failure.  Free res with sc_http_free().
 */
int		 sc_http_get(struct sc_client *, const char *op,
		    const char *msg, struct sc_http *res);
/* POST body as Content-Type SC_CT_PKI to url?operation=op; as above. */
int		 sc_http_post(struct sc_client *, const char *op,
		    const uint8_t *body, size_t len, struct sc_http *res);

/*
 * GetCACaps (RFC 8894 section 3.5.1): *caps gets the keyword bit set
 * and, if res is not NULL, the raw exchange (free with sc_http_free()).
 * Returns 1 on HTTP 200, else 0.
 */
int		 sc_getcaps(struct sc_client *, unsigned int *caps,
		    struct sc_http *res);

/*
 * GetCACert (RFC 8894 section 4.2): fills cl->cacerts in the order sent
 * and picks cl->ra (the first non-CA certificate with keyEncipherment,
 * else the CA, as sscep's guess_ca_certs) and cl->ca.  If ctype is not
 * NULL it gets the media type (static string).  Returns 1 or 0.
 */
int		 sc_getca(struct sc_client *, const char **ctype);

/*
 * What sc_getca() fills, from the PEM certificates of the file at path
 * instead (a client that kept an earlier GetCACert answer, as sscep
 * keeps its files).  Returns 1 or 0.
 */
int		 sc_setca_file(struct sc_client *, const char *path);

/*
 * GetNextCACert (RFC 8894 section 4.7): the SignedData must be signed
 * by cl->ca (sc_getca() first); *out gets its certificates in order
 * (free with sk_X509_pop_free(..., X509_free)).  Returns 1 or 0.
 */
int		 sc_getnextca(struct sc_client *, STACK_OF(X509) **out);

/*
 * Build the PKCSReq (or RenewalReq when e->renewal) of *e into *t:
 * a CSR for e->key, a self-signed signer (or e->old_cert/old_key),
 * enveloped to cl->ra.  Returns 1 or 0; free *t with sc_txn_free().
 */
int		 sc_txn_enroll(struct sc_client *, const struct sc_enroll *e,
		    struct sc_txn *t);
/* The CertPoll (GetCertInitial) of the same enrolment; as above. */
int		 sc_txn_poll(struct sc_client *, const struct sc_enroll *e,
		    struct sc_txn *t);
/*
 * GetCert or GetCRL (type) signed by cert/key naming issuer and serial
 * (RFC 8894 sections 3.3.3-3.3.4); as above.  cert and key are
 * up-referenced, not taken.
 */
int		 sc_txn_query(struct sc_client *, enum scep_msgtype type,
		    X509 *cert, EVP_PKEY *key, const X509_NAME *issuer,
		    const ASN1_INTEGER *serial, enum scep_digest digest,
		    enum scep_cipher cipher, struct sc_txn *t);
void		 sc_txn_free(struct sc_txn *);

/*
 * Check a CertRep answering t (RFC 8894 section 3.3.2): parsed and its
 * signature verified, signed by exactly cl->ra, messageType CertRep,
 * same transactionID, recipientNonce = our senderNonce, a senderNonce
 * of its own; SUCCESS opened with t's signer and checked for its type
 * (issued key = our key, GetCert serial, CRL signed by the CA); FAILURE
 * with a failInfo.  Returns 1 with *r filled (free with
 * sc_reply_free()), or 0.
 */
int		 sc_reply_check(struct sc_client *, const struct sc_txn *t,
		    const uint8_t *buf, size_t len, struct sc_reply *r);
void		 sc_reply_free(struct sc_reply *);

/*
 * Send t by POST (or by GET when use_get) and check the answer: HTTP
 * 200, Content-Type SC_CT_PKI, then sc_reply_check().  Returns 1 or 0.
 */
int		 sc_transact(struct sc_client *, const struct sc_txn *t,
		    int use_get, struct sc_reply *r);

/*
 * Enrol: send the PKCSReq/RenewalReq of *e, and while the answer is
 * PENDING and polls > 0, sleep interval_ms and send a CertPoll, at
 * most polls times.  Returns 1 with the last answer in *r, or 0.
 */
int		 sc_enroll(struct sc_client *, const struct sc_enroll *e,
		    int use_get, int polls, long interval_ms,
		    struct sc_reply *r);

/*
 * Prepare another easy handle (for curl's multi interface) to send the
 * pkiMessage der to cl's URL by POST or GET, the answer going to *sink.
 * der must live until the transfer ends.  Returns 1 or 0.
 */
int		 sc_easy_pkiop(struct sc_client *, CURL *easy,
		    const struct scep_buf *der, int use_get,
		    struct sc_http *sink);
/* The same for a GET of url?operation=op without a message. */
int		 sc_easy_get(struct sc_client *, CURL *easy, const char *op,
		    struct sc_http *sink);
/* After a transfer of easy ended: fill sink's status and ctype. */
void		 sc_easy_done(CURL *easy, struct sc_http *sink);

/* Key, certificate and name helpers. */
/* An RSA key of bits bits; NULL on failure.  Free with EVP_PKEY_free(). */
EVP_PKEY	*sc_rsa_new(int bits);
/* Load a PEM private key, or create one (RSA, bits) written 0600 when
 * path does not exist. */
EVP_PKEY	*sc_key_load(const char *path, int create, int bits);
X509		*sc_cert_load(const char *path);
int		 sc_cert_write(const char *path, X509 *);
int		 sc_crl_write(const char *path, X509_CRL *);
/* "CN=x,O=y" (',' inside a value escaped as "\,"), or "/CN=x/O=y". */
X509_NAME	*sc_name_parse(const char *s);
/* The name as "CN=x,O=y" into buf (truncated); returns buf. */
char		*sc_name_str(const X509_NAME *, char *buf, size_t sz);
/* Lower-case hex SHA-256 of the SubjectPublicKeyInfo DER of key. */
int		 sc_txid_from_key(EVP_PKEY *key, char out[65]);
/* A CSR for key and subject with an optional challengePassword and
 * DNS subjectAltNames, signed with SHA-256.  Free with X509_REQ_free(). */
X509_REQ	*sc_csr_new(EVP_PKEY *key, const X509_NAME *subject,
		    const char *challenge, const char *const *sans,
		    size_t nsans);
/* A cipher from aes128 aes192 aes256 3des des or the library's names
 * ("aes-128-cbc"); 1 with *c set, or 0. */
int		 sc_cipher_arg(const char *s, enum scep_cipher *c);
/* Upper-case hex of an ASN1_INTEGER (serial) into buf; returns buf. */
char		*sc_serial_str(const ASN1_INTEGER *, char *buf, size_t sz);

#endif /* TESTS_INTEG_CLIENT_H */
