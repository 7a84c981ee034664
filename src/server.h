/*
 * server.h: what a scepd worker (and scepadm) holds once per process -
 * the configuration, the loaded tenants with their keys, the library
 * context and the store - and the SCEP operations on top of them.
 * Nothing here knows HTTP: outcomes are mapped to status codes in
 * cgi-bin/.
 */
#ifndef SRC_SERVER_H
#define SRC_SERVER_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>
#include <openssl/x509.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/store.h"

struct signer;

/* A tenant as a worker serves it: keys loaded, bodies pre-built. */
struct tenant {
	const struct conf_tenant *conf;	/* borrowed from server->conf */
	struct signer	*ca;		/* signs certificates and CRLs */
	struct signer	*msg;		/* signs and opens SCEP messages:
					 * the RA, or the CA (--no-ra) */
	struct signer	*prev_ca;	/* the CA rolled over from, or NULL:
					 * renewal anchor, GetCert issuer
					 * and CRL signer (INTEROP.md 6.4) */
	struct signer	*prev_msg;	/* its message signer (the previous
					 * RA, or prev_ca for --no-ra), or
					 * NULL: still opens envelopes of
					 * clients that kept it, and signs
					 * the replies to them */
	int		 has_ra;
	STACK_OF(X509)	*chain;		/* extra GetCACert certificates */
	X509		*next_ca;	/* rollover, or NULL */
	X509		*next_ra;
	time_t		 switch_at;	/* when next_ca becomes the CA, or 0 */
	struct scep_buf	 cacert;	/* GetCACert body */
	const char	*cacert_ctype;
	struct scep_buf	 nextcacert;	/* GetNextCACert body, if next_ca */
	const char	*nextcacert_ctype;
	char		 caps[256];	/* GetCACaps body */
	size_t		 capslen;
	uint8_t		*otp_key;	/* challenge_key (otp), cleansed */
	size_t		 otp_key_len;
};

/* Everything loaded once per process. */
struct server {
	struct conf	*conf;
	struct scep_ctx	*sctx;
	struct store	*store;		/* NULL if not opened */
	struct tenant	**tenants;
	size_t		 ntenants;
	const struct tenant *deflt;	/* default tenant or NULL */
	time_t		 next_switch;	/* earliest switch_at, or 0: load
					 * again from then on */
};

/* server_new() flags. */
#define SERVER_STORE		0x01	/* open the store */
#define SERVER_STORE_CREATE	0x02	/* ... creating it if missing */

/*
 * Load the configuration at path, every tenant's certificates and keys,
 * the OpenSSL providers (legacy only when a tenant allows DES) and,
 * with SERVER_STORE, the store.  Returns the server (free with
 * server_free()) or NULL with a message naming the file and problem
 * in err.
 */
struct server	*server_new(const char *path, unsigned int flags, char *err,
		    size_t errsz);
void		 server_free(struct server *);
/* The tenant called name ("" or NULL: the default tenant), or NULL. */
const struct tenant *server_tenant(const struct server *, const char *name);
/*
 * The CA of t that issued certificate x (NULL: none known): t->prev_ca
 * when it did, else t->ca.  Borrowed from t.
 */
const struct signer *tenant_issuer(const struct tenant *t, X509 *x);
/*
 * The CA of t named by id[0..len), the ca= value of the CRL distribution
 * point of the certificates it issued (ca.h, signer_get0_id()): t->ca
 * or t->prev_ca, whose CRLs t still signs (INTEROP.md 6.4), into *ca
 * (borrowed), or NULL when the id names neither (a CA retired for good,
 * another tenant's).  Returns 0, with *ca NULL, when id does not have
 * the form of an id at all.
 */
int		 tenant_crl_ca(const struct tenant *t, const char *id,
		    size_t len, const struct signer **ca);

/* What a PKIOperation came to, for the reply and the log line. */
struct enroll_out {
	enum scep_outcome	 outcome;	/* OK: reply holds a CertRep;
						 * MALFORMED: HTTP 400;
						 * INTERNAL: HTTP 503 */
	struct scep_buf		 reply;		/* free with scep_buf_free() */
	char			 txid[SCEP_TXID_MAX + 1];
	int			 has_type;
	enum scep_msgtype	 type;
	int			 has_digest;
	enum scep_digest	 digest;
	int			 has_cipher;
	enum scep_cipher	 cipher;
	int			 has_status;	/* the CertRep sent */
	enum scep_status	 status;
	int			 has_failinfo;
	enum scep_failinfo	 failinfo;
	const char		*reason;	/* static, or "-" */
	int			 prev_ra;	/* opened by t->prev_msg */
	int			 renewal;	/* an enrolment signed by a
						 * certificate we issued */
};

/*
 * Answer one PKIOperation message (DER or BER) for tenant t from client
 * address addr at time now: INTEROP.md 6.3 (transactions), 6.4 (who may
 * do what), 6.5 (outcomes).  The caller frees out->reply.
 */
void		 enroll_pkiop(struct server *, const struct tenant *t,
		    const uint8_t *buf, size_t len, const char *addr,
		    time_t now, struct enroll_out *out);

/*
 * Issue the certificate a stored request asks for (automatic approval,
 * or an operator's approval of a PENDING request): build and sign it
 * outside any transaction, then store it with the request ISSUED
 * (re-signing on a serial collision).  Returns STORE_OK with *cert
 * (X509_free()) if cert is not NULL, or the store's failure.
 */
enum store_rc	 enroll_issue(struct server *, const struct tenant *t,
		    const struct store_req *req, time_t now, X509 **cert);

/*
 * The current CRL of the tenant's CA ca (t->ca, or t->prev_ca after a
 * rollover; DER in *out, free with scep_buf_free()): the stored one, or
 * a new one when none is stored or the stored one is within crl_margin
 * of nextUpdate.  A CRL lists only the revoked certificates its CA
 * issued.  Returns STORE_OK or the store's failure (STORE_ERROR when
 * signing failed).
 */
enum store_rc	 crl_current(struct server *, const struct tenant *t,
		    const struct signer *ca, time_t now, struct scep_buf *out);
/* Generate, sign and store a new CRL of ca now (scepadm crl, revoke). */
enum store_rc	 crl_generate(struct server *, const struct tenant *t,
		    const struct signer *ca, time_t now, struct scep_buf *out);

/*
 * One-time challenges (otp.c).  Passwords are OTP_PW_LEN characters,
 * ids OTP_ID_LEN lowercase hex digits; challenge keys are files of
 * OTP_KEY_MIN to OTP_KEY_MAX bytes (OTP_KEY_GEN when generated).
 * otp_create: make one challenge of tenant t valid for ttl seconds from
 * now, bound to subject (openssl -subj form, or NULL), store its HMAC
 * and return the password in pw (pwsz >= OTP_PW_LEN + 1; show it once,
 * then cleanse it) and its id in id (idsz >= OTP_ID_LEN + 1).  Returns
 * 1, or 0 with a message in err.  otp_hmac: the stored form of a
 * password, HMAC-SHA256 under t's key; 1 or 0.  otp_key_load: read a
 * key file (free with otp_key_free()); otp_key_generate: write a new
 * one (O_EXCL, mode 0640, group gid or (gid_t)-1); 1, or 0 with err.
 */
#define OTP_PW_LEN	20
#define OTP_ID_LEN	16
#define OTP_KEY_MIN	32
#define OTP_KEY_MAX	1024
#define OTP_KEY_GEN	32

int		 otp_create(struct server *, const struct tenant *t, time_t now,
		    time_t ttl, const char *subject, char *pw, size_t pwsz,
		    char *id, size_t idsz, char *err, size_t errsz);
int		 otp_hmac(const struct tenant *t, const uint8_t *pw,
		    size_t len, uint8_t out[STORE_HASH_LEN]);
int		 otp_key_load(const char *path, uint8_t **key, size_t *len,
		    char *err, size_t errsz);
void		 otp_key_free(uint8_t *key, size_t len);
int		 otp_key_generate(const char *path, gid_t gid, char *err,
		    size_t errsz);

#endif /* SRC_SERVER_H */
