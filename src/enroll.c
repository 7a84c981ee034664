/*
 * enroll.c: one PKIOperation, from the message to the CertRep.
 *
 * The pipeline keeps the order of STYLE.md B7: parse (no key) -> open
 * the envelope (RA key) -> policy -> issue (CA key) -> reply (RA key),
 * so that the keyless parse can later move into a sandboxed child.  The
 * transaction rules are INTEROP.md 6.3, the authorisation rules 6.4 and
 * the outcomes 6.5.  Every store write is one short transaction holding
 * no cryptography: the certificate is signed before store_issue().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/store.h"
#include "src/ca.h"
#include "src/server.h"
#include "src/jobseal.h"

/* Most SANs copied from a CSR, and largest subject accepted. */
#define ENROLL_SANS_MAX		32
#define ENROLL_SUBJECT_MAX	2048
/* A one-time challenge's id as store_challenge_use() returns it. */
#define CHALLENGE_ID_SZ		(STORE_CHALLENGE_IDTEXT_MAX + 1)
/* How often a worker looks for a webhook decision (webhook_wait). */
#define WEBHOOK_POLL_NS		50000000L

/* Reasons (failInfoText) of policy refusals: clear, never secret. */
#define R_CHALLENGE_MISSING	"challenge password required"
#define R_CHALLENGE_WRONG	"wrong challenge password"
#define R_KEY			"key type or size not allowed by policy"
#define R_SUBJECT		"subject not allowed by policy"
#define R_SUBJECT_EMPTY		"empty subject and no subjectAltName"
#define R_QUOTA			"queue full: too many pending requests"
#define R_OTHER_PENDING		"another request is pending for this transaction"
#define R_REJECTED		"request rejected"
#define R_EXPIRED_PENDING	"pending request expired (pending_ttl)"
#define R_REVOKED		"certificate revoked"
#define R_CERT_EXPIRED		"certificate expired"
#define R_DONE			"transaction completed"
#define R_NOTX			"no such transaction"
#define R_REPLAY		"replayed message"
#define R_RENEW_SUBJECT		"renewal must keep the subject"
#define R_RENEW_SAN		"renewal may not add subject alternative names"
#define R_NOCERT		"no such certificate for this key"
#define R_NOTCA			"issuer is not this tenant's CA"
#define R_TYPE			"message type not accepted by a server"
#define R_INTERNAL		"internal error"

/* The state of one PKIOperation between the steps below. */
struct op {
	struct server		*s;
	const struct tenant	*t;
	const struct signer	*rs;	/* opened msg, signs the reply:
					 * t->msg or t->prev_msg */
	struct scep_msg		*msg;
	struct store_reqkey	 key;
	time_t			 now;
	const char		*addr;
	struct enroll_out	*out;
};

/* The outcome for a store failure: temporary trouble is a 503. */
static void
out_internal(struct op *op, const char *reason)
{
	op->out->outcome = SCEP_INTERNAL;
	op->out->reason = reason;
}

/* Map a store failure to the outcome; see INTEROP.md 6.5. */
static void
out_store(struct op *op, enum store_rc rc)
{
	log_msg(LOG_ERR, "store: %s: %s", store_rc_str(rc),
	    store_errstr(op->s->store));
	out_internal(op, store_rc_str(rc));
}

/* Record what was sent for the log. */
static void
out_status(struct op *op, enum scep_status st)
{
	op->out->has_status = 1;
	op->out->status = st;
	op->out->outcome = SCEP_OK;
}

/* Answer FAILURE with failInfo fi and the static text reason. */
static void
reply_failure(struct op *op, enum scep_failinfo fi, const char *reason)
{
	struct scep_error	 err;

	if (!signer_certrep_failure(op->rs, op->s->sctx, op->msg, fi,
	    reason, &op->out->reply, &err)) {
		out_internal(op, R_INTERNAL);
		return;
	}
	out_status(op, SCEP_STATUS_FAILURE);
	op->out->has_failinfo = 1;
	op->out->failinfo = fi;
	op->out->reason = reason;
}

/* Answer PENDING. */
static void
reply_pending(struct op *op)
{
	struct scep_error	 err;

	if (!signer_certrep_pending(op->rs, op->s->sctx, op->msg,
	    &op->out->reply, &err)) {
		out_internal(op, R_INTERNAL);
		return;
	}
	out_status(op, SCEP_STATUS_PENDING);
}

/* Answer SUCCESS with cert, enveloped to the message's signer. */
static void
reply_success(struct op *op, X509 *cert)
{
	struct scep_error	 err;

	if (!signer_certrep_success(op->rs, op->s->sctx, op->msg, cert,
	    &op->out->reply, &err)) {
		out_internal(op, R_INTERNAL);
		return;
	}
	out_status(op, SCEP_STATUS_SUCCESS);
}

/* SHA-256 of buf; 1 or 0. */
static int
sha256(const uint8_t *buf, size_t len, uint8_t md[STORE_HASH_LEN])
{
	return EVP_Digest(buf, len, md, NULL, EVP_sha256(), NULL) == 1;
}

/* The big-endian magnitude of a serial into buf; 1 or 0. */
static int
serial_bytes(const ASN1_INTEGER *ai, uint8_t *buf, size_t *len)
{
	BIGNUM	*bn;
	int	 n;

	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL)
		return 0;
	n = BN_num_bytes(bn);
	if (BN_is_negative(bn) || n < 1 || n > STORE_SERIAL_MAX) {
		BN_free(bn);
		return 0;
	}
	*len = (size_t)BN_bn2bin(bn, buf);
	BN_free(bn);
	return 1;
}

/* Load a stored certificate by serial; NULL if absent or bad. */
static X509 *
cert_load(struct op *op, const uint8_t *serial, size_t len,
    struct store_cert **sc, enum store_rc *rc)
{
	const unsigned char	*p;
	X509			*x;

	*sc = NULL;
	if ((*rc = store_cert_get(op->s->store, op->t->conf->name, serial, len,
	    sc)) != STORE_OK)
		return NULL;
	p = (*sc)->der;
	if ((x = d2i_X509(NULL, &p, (long)(*sc)->der_len)) == NULL) {
		*rc = STORE_CORRUPT;
		store_cert_free(*sc);
		*sc = NULL;
	}
	return x;
}

/*
 * Answer a stored request's current state (a poll, or a repeat of the
 * identical request): INTEROP.md 6.3.  PENDING past pending_ttl becomes
 * REJECTED; ISSUED is delivered until reissue_window after the first
 * delivery, never when revoked or expired.
 */
static void
answer_state(struct op *op, const struct store_req *req, int poll)
{
	const struct conf_tenant	*ct = op->t->conf;
	struct store_cert		*sc = NULL;
	X509				*x = NULL;
	enum store_rc			 rc;

	switch (req->state) {
	case STORE_REQ_PENDING:
		if (op->now >= req->created + ct->pending_ttl) {
			rc = store_req_reject(op->s->store, &req->key,
			    R_EXPIRED_PENDING, op->now);
			if (rc != STORE_OK && rc != STORE_STATE) {
				out_store(op, rc);
				return;
			}
			reply_failure(op, SCEP_FAIL_BADREQUEST,
			    R_EXPIRED_PENDING);
			return;
		}
		reply_pending(op);
		return;
	case STORE_REQ_REJECTED:
		/* The stored reason is the operator's; send a fixed text. */
		reply_failure(op, SCEP_FAIL_BADREQUEST,
		    strcmp(req->reason, R_EXPIRED_PENDING) == 0 ?
		    R_EXPIRED_PENDING : R_REJECTED);
		return;
	case STORE_REQ_ISSUED:
		break;
	default:
		out_store(op, STORE_CORRUPT);
		return;
	}
	if (req->delivered != 0 &&
	    op->now >= req->delivered + ct->reissue_window) {
		reply_failure(op, poll ? SCEP_FAIL_BADCERTID :
		    SCEP_FAIL_BADREQUEST, R_DONE);
		return;
	}
	if ((x = cert_load(op, req->serial, req->serial_len, &sc, &rc)) ==
	    NULL) {
		out_store(op, rc);
		goto out;
	}
	if (sc->state == STORE_CERT_REVOKED)
		reply_failure(op, SCEP_FAIL_BADREQUEST, R_REVOKED);
	else if (op->now > sc->not_after)
		reply_failure(op, SCEP_FAIL_BADREQUEST, R_CERT_EXPIRED);
	else {
		if (req->delivered == 0 && (rc = store_req_set_delivered(
		    op->s->store, &req->key, op->now)) != STORE_OK) {
			out_store(op, rc);
			goto out;
		}
		reply_success(op, x);
	}
out:
	X509_free(x);
	store_cert_free(sc);
}

/* CertPoll (GetCertInitial): RFC 8894 3.3.3, INTEROP.md 6.3 step 1. */
static void
do_poll(struct op *op)
{
	struct store_req	*req = NULL;
	enum store_rc		 rc;

	rc = store_req_get(op->s->store, &op->key, &req);
	if (rc == STORE_NOTFOUND)
		reply_failure(op, SCEP_FAIL_BADCERTID, R_NOTX);
	else if (rc != STORE_OK)
		out_store(op, rc);
	else
		answer_state(op, req, 1);
	store_req_free(req);
}

/*
 * Whether name is the subject of this tenant's CA or RA certificate, or
 * of the CA (or RA) it rolled over from (INTEROP.md 6.4).
 */
static int
names_us(const struct op *op, const X509_NAME *name)
{
	return X509_NAME_cmp(name,
	    X509_get_subject_name(signer_get0_cert(op->t->ca))) == 0 ||
	    X509_NAME_cmp(name,
	    X509_get_subject_name(signer_get0_cert(op->t->msg))) == 0 ||
	    (op->t->prev_ca != NULL && X509_NAME_cmp(name,
	    X509_get_subject_name(signer_get0_cert(op->t->prev_ca))) == 0) ||
	    (op->t->prev_msg != NULL && X509_NAME_cmp(name,
	    X509_get_subject_name(signer_get0_cert(op->t->prev_msg))) == 0);
}

/*
 * GetCert: RFC 8894 3.3.4; INTEROP.md 6.4: only a certificate whose
 * public key is the signer's key, looked up by serial within the tenant.
 */
static void
do_getcert(struct op *op)
{
	uint8_t			 serial[STORE_SERIAL_MAX];
	size_t			 len;
	struct store_cert	*sc = NULL;
	X509			*x = NULL;
	enum store_rc		 rc;

	if (!names_us(op, op->msg->issuer)) {
		reply_failure(op, SCEP_FAIL_BADCERTID, R_NOTCA);
		goto out;
	}
	if (!serial_bytes(op->msg->serial, serial, &len)) {
		reply_failure(op, SCEP_FAIL_BADCERTID, R_NOCERT);
		goto out;
	}
	x = cert_load(op, serial, len, &sc, &rc);
	if (rc == STORE_NOTFOUND ||
	    (rc == STORE_OK && (memcmp(sc->keyhash, op->key.keyhash,
	    STORE_HASH_LEN) != 0 || sc->state != STORE_CERT_VALID)))
		reply_failure(op, SCEP_FAIL_BADCERTID, R_NOCERT);
	else if (rc != STORE_OK)
		out_store(op, rc);
	else
		reply_success(op, x);
out:
	X509_free(x);
	store_cert_free(sc);
}

/*
 * GetCRL: RFC 8894 3.3.4; anyone may ask (INTEROP.md 6.4).  The
 * IssuerAndSerialNumber names the certificate to be checked: the CRL
 * is that of the CA which issued it (the previous CA's for its own
 * certificates after a rollover), else the current CA's.
 */
static void
do_getcrl(struct op *op)
{
	struct scep_buf		 der = { NULL, 0 };
	struct scep_error	 err;
	struct store_cert	*sc = NULL;
	const struct signer	*ca = op->t->ca;
	uint8_t			 serial[STORE_SERIAL_MAX];
	size_t			 len;
	X509_CRL		*crl = NULL;
	X509			*x = NULL;
	const unsigned char	*p;
	enum store_rc		 rc;

	if (!names_us(op, op->msg->issuer)) {
		reply_failure(op, SCEP_FAIL_BADCERTID, R_NOTCA);
		return;
	}
	if (op->t->prev_ca != NULL &&
	    serial_bytes(op->msg->serial, serial, &len)) {
		x = cert_load(op, serial, len, &sc, &rc);
		store_cert_free(sc);
		if (rc != STORE_OK && rc != STORE_NOTFOUND) {
			out_store(op, rc);
			return;
		}
		ca = tenant_issuer(op->t, x);
		X509_free(x);
	}
	if ((rc = crl_current(op->s, op->t, ca, op->now, &der)) != STORE_OK) {
		out_store(op, rc);
		return;
	}
	p = der.data;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)der.len)) == NULL)
		out_internal(op, R_INTERNAL);
	else if (!signer_certrep_crl(op->rs, op->s->sctx, op->msg, crl,
	    &op->out->reply, &err))
		out_internal(op, R_INTERNAL);
	else
		out_status(op, SCEP_STATUS_SUCCESS);
	X509_CRL_free(crl);
	scep_buf_free(&der);
}

/* The SANs of a CSR's extensionRequest, or NULL. */
static GENERAL_NAMES *
csr_sans(const struct scep_csr *csr)
{
	STACK_OF(X509_EXTENSION)	*exts;
	GENERAL_NAMES			*gn;

	if ((exts = scep_csr_extensions(csr)) == NULL)
		return NULL;
	gn = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return gn;
}

/* Whether every name of sub is in super (renewal SAN rule). */
static int
sans_subset(const GENERAL_NAMES *sub, const GENERAL_NAMES *super)
{
	int	 i, j, found;

	for (i = 0; i < sk_GENERAL_NAME_num(sub); i++) {
		found = 0;
		for (j = 0; j < sk_GENERAL_NAME_num(super); j++)
			if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(sub, i),
			    sk_GENERAL_NAME_value(super, j)) == 0) {
				found = 1;
				break;
			}
		if (!found)
			return 0;
	}
	return 1;
}

/*
 * Key policy (INTEROP.md 6.1): RSA within key_sizes, or EC P-256/P-384
 * when the tenant allows EC keys.
 */
static int
key_ok(const struct conf_tenant *ct, EVP_PKEY *pk)
{
	char	 curve[32];
	size_t	 len;

	if (EVP_PKEY_is_a(pk, "RSA"))
		return conf_key_size_ok(ct, (unsigned int)EVP_PKEY_get_bits(pk));
	if (!ct->allow_ec_keys || !EVP_PKEY_is_a(pk, "EC"))
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(pk, "group", curve, sizeof(curve),
	    &len))
		return 0;
	return strcmp(curve, "prime256v1") == 0 ||
	    strcmp(curve, "secp384r1") == 0;
}

/* The CN of a name as UTF-8 into buf ("" if none); 1, or 0 if odd. */
static int
name_cn(const X509_NAME *n, char *buf, size_t bufsz)
{
	int			 i;
	const ASN1_STRING	*s;
	unsigned char		*u = NULL;
	int			 len;

	buf[0] = '\0';
	if ((i = X509_NAME_get_index_by_NID(n, NID_commonName, -1)) < 0)
		return 1;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i));
	if ((len = ASN1_STRING_to_UTF8(&u, s)) < 0)
		return 0;
	if ((size_t)len >= bufsz || memchr(u, '\0', (size_t)len) != NULL) {
		OPENSSL_free(u);
		return 0;
	}
	memcpy(buf, u, (size_t)len);
	buf[len] = '\0';
	OPENSSL_free(u);
	return 1;
}

/*
 * The challenge of a first enrolment (INTEROP.md 6.4): compared as the
 * bytes the CSR holds, whatever their string type, in constant time
 * (SHA-256 of both, then CRYPTO_memcmp, so the length leaks nothing).
 * Returns NULL when it passes, else the reason.
 */
static const char *
challenge_check(const struct conf_tenant *ct, const struct scep_msg *msg)
{
	uint8_t	 a[32], b[32];
	int	 ok;

	if (ct->challenge == CONF_CHALLENGE_NONE)
		return NULL;
	if (!msg->has_challenge)
		return R_CHALLENGE_MISSING;
	if (EVP_Digest(msg->challenge, msg->challenge_len, a, NULL,
	    EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(ct->challenge_password, ct->challenge_password_len, b,
	    NULL, EVP_sha256(), NULL) != 1)
		return R_CHALLENGE_WRONG;
	ok = CRYPTO_memcmp(a, b, sizeof(a)) == 0;
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return ok ? NULL : R_CHALLENGE_WRONG;
}

/*
 * A one-time challenge (challenge = otp): the keyed hash of the CSR's
 * password is checked and consumed in one store transaction, bound to
 * this request's key and CSR hash (csrhash), so that only a retry of
 * this very attempt passes again (INTEROP.md 6.3).  The password is
 * never logged.  Returns 1 with the challenge's id in id (at least
 * STORE_CHALLENGE_IDTEXT_MAX + 1 bytes), 0 when refused (*why: the
 * failInfoText), -1 on a store failure (*rc set).
 */
static int
otp_check(struct op *op, const uint8_t csrhash[STORE_HASH_LEN], char *id,
    const char **why, enum store_rc *rc)
{
	uint8_t		 mac[STORE_HASH_LEN];
	unsigned char	*subj = NULL;
	int		 n, ret = 0;

	*rc = STORE_OK;
	if (!op->msg->has_challenge) {
		*why = R_CHALLENGE_MISSING;
		goto out;
	}
	if (!otp_hmac(op->t, op->msg->challenge, op->msg->challenge_len,
	    mac) || (n = i2d_X509_NAME(op->msg->csr->subject, &subj)) <= 0) {
		*rc = STORE_ERROR;
		ret = -1;
		goto out;
	}
	*rc = store_challenge_use(op->s->store, op->t->conf->name, mac,
	    &op->key, csrhash, subj, (size_t)n, op->now, id, why);
	if (*rc == STORE_OK)
		ret = 1;
	else if (*rc == STORE_NOTFOUND || *rc == STORE_STATE) {
		*rc = STORE_OK;
		ret = 0;
	} else
		ret = -1;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_free(subj);
	return ret;
}

/*
 * Whether the message's signer is a certificate this tenant issued
 * through SCEP that still qualifies for renewal (INTEROP.md 6.4): in our
 * database (looked up by fingerprint), issued by the tenant's CA or the
 * CA it rolled over from, not revoked, valid or inside
 * renewal_grace, and inside the renewal window.  Returns 1 with *old set
 * (free with store_cert_free()), 0 when it is a first enrolment, -1 on a
 * store failure (*rc set).
 */
static int
renewal_signer(struct op *op, struct store_cert **old, enum store_rc *rc)
{
	const struct conf_tenant	*ct = op->t->conf;
	uint8_t				 fp[STORE_HASH_LEN];
	struct store_cert		*sc = NULL;

	*old = NULL;
	/* A self-signed signer is a first enrolment (RFC 8894 2.3). */
	if (X509_check_issued(op->msg->signer, op->msg->signer) == X509_V_OK)
		return 0;
	if (!ca_cert_fingerprint(op->msg->signer, fp))
		return 0;
	*rc = store_cert_by_fp(op->s->store, fp, &sc);
	if (*rc == STORE_NOTFOUND)
		return 0;
	if (*rc != STORE_OK)
		return -1;
	/* Issued by the CA, or by the one it rolled over from (6.4). */
	if (!ca_cert_issued_by(signer_get0_cert(op->t->ca), op->msg->signer) &&
	    (op->t->prev_ca == NULL || !ca_cert_issued_by(
	    signer_get0_cert(op->t->prev_ca), op->msg->signer))) {
		store_cert_free(sc);
		return 0;
	}
	if (strcmp(sc->tenant, ct->name) != 0 ||
	    sc->origin != STORE_ORIGIN_SCEP ||
	    sc->state != STORE_CERT_VALID ||
	    op->now < sc->not_before ||
	    op->now > sc->not_after + ct->renewal_grace ||
	    (ct->renew_before > 0 &&
	    op->now < sc->not_after - ct->renew_before)) {
		store_cert_free(sc);
		return 0;
	}
	*old = sc;
	return 1;
}

/* Renewal subject rules (renewal_subject = same): 1 or 0 with *why. */
static int
renewal_subject_ok(struct op *op, const struct store_cert *old,
    const char **why)
{
	const unsigned char	*p = old->der;
	X509			*x;
	GENERAL_NAMES		*nsan = NULL, *osan = NULL;
	int			 ok = 0;

	if (op->t->conf->renewal_subject == CONF_RSUBJECT_ANY)
		return 1;
	if ((x = d2i_X509(NULL, &p, (long)old->der_len)) == NULL) {
		*why = R_INTERNAL;
		return 0;
	}
	if (X509_NAME_cmp(X509_get_subject_name(x), op->msg->csr->subject) !=
	    0) {
		*why = R_RENEW_SUBJECT;
		goto out;
	}
	nsan = csr_sans(op->msg->csr);
	osan = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (nsan != NULL && (osan == NULL || !sans_subset(nsan, osan))) {
		*why = R_RENEW_SAN;
		goto out;
	}
	ok = 1;
out:
	GENERAL_NAMES_free(nsan);
	GENERAL_NAMES_free(osan);
	X509_free(x);
	ERR_clear_error();
	return ok;
}

/*
 * Fill *req from the CSR, borrowing its SubjectPublicKeyInfo and the DER
 * buffers *subj and *exts, which the caller frees.
 */
static int
req_from_csr(struct op *op, struct store_req *req, unsigned char **subj,
    unsigned char **exts)
{
	const struct scep_csr		*csr = op->msg->csr;
	STACK_OF(X509_EXTENSION)	*sk;
	int				 n;

	memset(req, 0, sizeof(*req));
	req->key = op->key;
	req->msgtype = scep_msgtype_value(op->msg->type);
	req->created = req->updated = op->now;
	/* Recorded as seen by the write that stores the outcome. */
	memcpy(req->nonce, op->msg->sender_nonce, SCEP_NONCE_LEN);
	req->nonce_len = SCEP_NONCE_LEN;
	snprintf(req->client_addr, sizeof(req->client_addr), "%s", op->addr);
	if (!sha256(csr->der, csr->der_len, req->csr_hash))
		return 0;
	if ((n = i2d_X509_NAME(csr->subject, subj)) <= 0 ||
	    n > ENROLL_SUBJECT_MAX)
		return 0;
	req->subject = *subj;
	req->subject_len = (size_t)n;
	req->pubkey = csr->spki;
	req->pubkey_len = csr->spki_len;
	if ((sk = scep_csr_extensions(csr)) != NULL &&
	    sk_X509_EXTENSION_num(sk) > 0) {
		n = i2d_X509_EXTENSIONS(sk, exts);
		sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
		if (n <= 0 || n > STORE_BLOB_MAX)
			return 0;
		req->exts = *exts;
		req->exts_len = (size_t)n;
	} else
		sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
	return 1;
}

/*
 * Store req PENDING with its webhook job (the CSR DER) in one
 * transaction.  Returns what store_req_insert_job() returns.
 */
static enum store_rc
enqueue_webhook(struct op *op, const struct store_req *req,
    struct store_req **ex)
{
	const struct conf_tenant	*ct = op->t->conf;
	uint8_t				*sealed = NULL;
	size_t				 slen = 0;
	enum store_rc			 rc = STORE_ERROR;

	*ex = NULL;
	/*
	 * Stored sealed: LMDB leaves freed pages as they were (jobseal.h),
	 * and the CSR holds the challenge password.
	 */
	if (jobseal_seal(ct->webhook_secret, ct->webhook_secret_len,
	    &req->key, op->msg->csr->der, op->msg->csr->der_len, &sealed,
	    &slen))
		rc = store_req_insert_job(op->s->store, req,
		    (unsigned int)ct->max_pending, sealed, slen, op->now, ex);
	free(sealed);
	return rc;
}

/*
 * A queued webhook request: answer PENDING at once, or, when the tenant
 * sets webhook_wait and the request's challenge already passed
 * (may_wait: a renewal, or a first enrolment with a challenge), poll
 * the store for the dispatcher's decision for up to webhook_wait
 * seconds, holding no transaction while sleeping, and answer it.
 */
static void
webhook_wait(struct op *op, int may_wait)
{
	struct timespec		 ts = { 0, WEBHOOK_POLL_NS };
	struct store_req	*req = NULL;
	long			 i, n;
	enum store_rc		 rc;

	n = may_wait ? (long)op->t->conf->webhook_wait *
	    (1000000000L / WEBHOOK_POLL_NS) : 0;
	for (i = 0; i < n; i++) {
		nanosleep(&ts, NULL);
		if ((rc = store_req_get(op->s->store, &op->key, &req)) !=
		    STORE_OK) {
			out_store(op, rc);
			return;
		}
		if (req->state != STORE_REQ_PENDING) {
			answer_state(op, req, 0);
			store_req_free(req);
			return;
		}
		store_req_free(req);
		req = NULL;
	}
	reply_pending(op);
}

/*
 * The write of a new request found its key stored (ex: that request,
 * stored meanwhile by an identical message: its state is the answer)
 * or, with ex NULL, its senderNonce seen: a replay that raced step 3.
 */
static void
answer_exists(struct op *op, const struct store_req *ex)
{
	if (ex != NULL)
		answer_state(op, ex, 0);
	else
		reply_failure(op, SCEP_FAIL_BADREQUEST, R_REPLAY);
}

/*
 * PKCSReq and RenewalReq: INTEROP.md 6.3 steps 2 to 5, then policy and
 * either issuance or PENDING.
 */
static void
do_enrol(struct op *op)
{
	const struct conf_tenant	*ct = op->t->conf;
	struct store_req		*cur = NULL, *ex = NULL, nreq;
	struct store_cert		*old = NULL;
	uint8_t				 csrhash[STORE_HASH_LEN];
	unsigned char			*subj = NULL, *exts = NULL;
	GENERAL_NAMES			*sans = NULL;
	X509				*x = NULL;
	char				 cn[256];
	char				 chid[CHALLENGE_ID_SZ];
	const char			*why = NULL;
	enum store_rc			 rc;
	int				 renew, pending;

	if (!sha256(op->msg->csr->der, op->msg->csr->der_len, csrhash)) {
		out_internal(op, R_INTERNAL);
		goto out;
	}

	/* Step 2: a repeat of the identical request, or a conflict. */
	rc = store_req_get(op->s->store, &op->key, &cur);
	if (rc != STORE_OK && rc != STORE_NOTFOUND) {
		out_store(op, rc);
		goto out;
	}
	if (cur != NULL) {
		int same = memcmp(cur->csr_hash, csrhash, sizeof(csrhash)) == 0;
		int live = cur->state == STORE_REQ_PENDING ||
		    (cur->state == STORE_REQ_ISSUED && (cur->delivered == 0 ||
		    op->now < cur->delivered + ct->reissue_window));

		if (same && (live || cur->state == STORE_REQ_REJECTED)) {
			answer_state(op, cur, 0);
			goto out;
		}
		if (!same && cur->state == STORE_REQ_PENDING) {
			reply_failure(op, SCEP_FAIL_BADREQUEST, R_OTHER_PENDING);
			goto out;
		}
	}

	/*
	 * Step 3: a replayed message gets the stored outcome again.  Its
	 * nonce is recorded only with an outcome (struct store_req), so a
	 * retry of an attempt that stored nothing (the worker died, a 503)
	 * is not one; one that races this check is caught by that write.
	 */
	rc = store_nonce_seen(op->s->store, &op->key, op->msg->sender_nonce,
	    SCEP_NONCE_LEN, NULL);
	if (rc == STORE_EXISTS) {
		reply_failure(op, SCEP_FAIL_BADREQUEST, R_REPLAY);
		goto out;
	}
	if (rc != STORE_NOTFOUND) {
		out_store(op, rc);
		goto out;
	}

	/* Step 4: a renewal, decided by the signer, not the type. */
	if ((renew = renewal_signer(op, &old, &rc)) < 0) {
		out_store(op, rc);
		goto out;
	}
	/* Logged: a PKCSReq may be a renewal and a RenewalReq may not. */
	op->out->renewal = renew;

	/* Policy that binds every enrolment: the key and the subject. */
	if (!key_ok(ct, op->msg->csr->key)) {
		reply_failure(op, SCEP_FAIL_BADREQUEST, R_KEY);
		goto out;
	}
	if (!name_cn(op->msg->csr->subject, cn,
	    sizeof(cn)) || !conf_subject_ok(ct, cn)) {
		reply_failure(op, SCEP_FAIL_BADREQUEST, R_SUBJECT);
		goto out;
	}
	sans = csr_sans(op->msg->csr);
	if (X509_NAME_entry_count(op->msg->csr->subject) == 0 &&
	    (sans == NULL || sk_GENERAL_NAME_num(sans) == 0)) {
		reply_failure(op, SCEP_FAIL_BADREQUEST, R_SUBJECT_EMPTY);
		goto out;
	}
	if (sans != NULL && sk_GENERAL_NAME_num(sans) > ENROLL_SANS_MAX) {
		reply_failure(op, SCEP_FAIL_BADREQUEST, R_SUBJECT);
		goto out;
	}

	if (renew) {
		/* Renewals ignore the CSR's challenge (INTEROP.md 6.3). */
		if (!renewal_subject_ok(op, old, &why)) {
			reply_failure(op, SCEP_FAIL_BADREQUEST, why);
			goto out;
		}
		pending = ct->renewal_approval == CONF_RENEWAL_SAME &&
		    ct->approval != CONF_APPROVAL_AUTO;
	} else {
		/* Step 5: a first enrolment. */
		if (ct->challenge == CONF_CHALLENGE_OTP) {
			/* Consumed here, before issue or insert. */
			switch (otp_check(op, csrhash, chid, &why, &rc)) {
			case -1:
				out_store(op, rc);
				goto out;
			case 0:
				reply_failure(op, SCEP_FAIL_BADREQUEST, why);
				goto out;
			default:
				break;
			}
		} else if ((why = challenge_check(ct, op->msg)) != NULL) {
			reply_failure(op, SCEP_FAIL_BADREQUEST, why);
			goto out;
		}
		pending = ct->approval != CONF_APPROVAL_AUTO;
	}

	if (!req_from_csr(op, &nreq, &subj, &exts)) {
		reply_failure(op, SCEP_FAIL_BADREQUEST, R_SUBJECT);
		goto out;
	}
	nreq.challenge_ok = !renew && ct->challenge != CONF_CHALLENGE_NONE;
	if (!renew && ct->challenge == CONF_CHALLENGE_OTP) {
		/* The request names the challenge it used (and settles it). */
		nreq.challenge_id_len = strlen(chid);
		memcpy(nreq.challenge_id, chid, nreq.challenge_id_len);
	}
	if (renew) {
		nreq.renewal = 1;
		memcpy(nreq.renew_serial, old->serial, old->serial_len);
		nreq.renew_serial_len = old->serial_len;
	}

	/* A finished transaction with this key makes room for the new one. */
	if (cur != NULL && (rc = store_req_retire(op->s->store, &op->key,
	    cur->csr_hash)) != STORE_OK && rc != STORE_NOTFOUND) {
		if (rc == STORE_STATE)
			reply_failure(op, SCEP_FAIL_BADREQUEST,
			    R_OTHER_PENDING);
		else
			out_store(op, rc);
		goto out;
	}

	if (pending && ct->approval == CONF_APPROVAL_WEBHOOK) {
		/* Queued for scepd-webhook(8), with the CSR (6.4). */
		nreq.state = STORE_REQ_PENDING;
		rc = enqueue_webhook(op, &nreq, &ex);
		if (rc == STORE_OK)
			webhook_wait(op, renew || nreq.challenge_ok);
		else if (rc == STORE_QUOTA)
			reply_failure(op, SCEP_FAIL_BADREQUEST, R_QUOTA);
		else if (rc == STORE_EXISTS)
			answer_exists(op, ex);
		else
			out_store(op, rc);
		goto out;
	}
	if (pending) {
		nreq.state = STORE_REQ_PENDING;
		rc = store_req_insert(op->s->store, &nreq,
		    (unsigned int)ct->max_pending, &ex);
		if (rc == STORE_OK)
			reply_pending(op);
		else if (rc == STORE_QUOTA)
			reply_failure(op, SCEP_FAIL_BADREQUEST, R_QUOTA);
		else if (rc == STORE_EXISTS)
			answer_exists(op, ex);
		else
			out_store(op, rc);
		goto out;
	}

	nreq.state = STORE_REQ_ISSUED;
	/* Answered now: the first delivery goes in store_issue()'s txn. */
	nreq.delivered = op->now;
	rc = enroll_issue(op->s, op->t, &nreq, op->now, &x);
	if (rc == STORE_OK)
		reply_success(op, x);
	else if (rc == STORE_EXISTS) {
		/* Stored meanwhile (an identical message), or a replay. */
		rc = store_req_get(op->s->store, &op->key, &ex);
		if (rc == STORE_OK || rc == STORE_NOTFOUND)
			answer_exists(op, ex);
		else
			out_store(op, rc);
	} else
		out_store(op, rc);
out:
	X509_free(x);
	GENERAL_NAMES_free(sans);
	OPENSSL_free(subj);
	OPENSSL_free(exts);
	store_cert_free(old);
	store_req_free(cur);
	store_req_free(ex);
}

/*
 * Issue what a request asks for; see server.h.  The certificate is made
 * only from the stored parts: subject, key, and (when the tenant allows)
 * the requested SANs; never basicConstraints, keyUsage or EKU from a
 * CSR (INTEROP.md 6.4).
 */
enum store_rc
enroll_issue(struct server *s, const struct tenant *t,
    const struct store_req *req, time_t now, X509 **cert)
{
	const struct conf_tenant	*ct = t->conf;
	const unsigned char		*p;
	X509_NAME			*subject = NULL;
	STACK_OF(X509_EXTENSION)	*exts = NULL;
	GENERAL_NAMES			*sans = NULL;
	ASN1_INTEGER			*serial = NULL;
	X509				*x = NULL;
	unsigned char			*der = NULL;
	struct ca_issue			 ci;
	struct store_req		 issued;
	char				 url[1024];
	enum store_rc			 rc = STORE_ERROR;
	int				 len, tries;

	if (cert != NULL)
		*cert = NULL;
	p = req->subject;
	if ((subject = d2i_X509_NAME(NULL, &p, (long)req->subject_len)) ==
	    NULL) {
		rc = STORE_CORRUPT;
		goto out;
	}
	if (req->exts_len > 0 && ct->allow_san) {
		p = req->exts;
		if ((exts = d2i_X509_EXTENSIONS(NULL, &p,
		    (long)req->exts_len)) == NULL) {
			rc = STORE_CORRUPT;
			goto out;
		}
		sans = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	}
	memset(&ci, 0, sizeof(ci));
	ci.subject = subject;
	/*
	 * The key as stored (the verified CSR's), copied into the
	 * certificate without a decode/encode round trip (ca.h).
	 */
	ci.spki = req->pubkey;
	ci.spki_len = req->pubkey_len;
	ci.sans = sans;
	ci.profile = ct->profile;
	ci.now = now;
	ci.validity = ct->validity;
	if (ct->crl_base_url != NULL) {
		snprintf(url, sizeof(url), "%s/%s/crl", ct->crl_base_url,
		    ct->name);
		ci.crl_url = url;
	}
	if ((serial = ASN1_INTEGER_new()) == NULL)
		goto out;
	issued = *req;
	issued.state = STORE_REQ_ISSUED;
	issued.updated = now;
	/* Sign outside the transaction; re-sign on a serial collision. */
	for (tries = 0; tries < 4; tries++) {
		X509_free(x);
		OPENSSL_free(der);
		der = NULL;
		if (!ca_serial_new(serial) ||
		    (x = ca_issue(t->ca, &ci, serial)) == NULL ||
		    (len = i2d_X509(x, &der)) <= 0) {
			rc = STORE_ERROR;
			goto out;
		}
		rc = store_issue(s->store, &issued, der, (size_t)len, now,
		    NULL);
		if (rc != STORE_SERIAL_TAKEN)
			break;
	}
	if (rc == STORE_OK && cert != NULL) {
		*cert = x;
		x = NULL;
	}
out:
	X509_NAME_free(subject);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	GENERAL_NAMES_free(sans);
	ASN1_INTEGER_free(serial);
	X509_free(x);
	OPENSSL_free(der);
	ERR_clear_error();
	return rc;
}

/*
 * Answer one PKIOperation; see server.h.
 */
void
enroll_pkiop(struct server *s, const struct tenant *t, const uint8_t *buf,
    size_t len, const char *addr, time_t now, struct enroll_out *out)
{
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	uint8_t			 keyhash[STORE_HASH_LEN];
	const struct signer	*msgs[2];
	size_t			 nmsgs = 0, which;
	struct op		 op;
	int			 ok;

	memset(out, 0, sizeof(*out));
	out->reason = "-";
	memset(&op, 0, sizeof(op));
	op.s = s;
	op.t = t;
	op.rs = t->msg;
	op.now = now;
	op.addr = addr;
	op.out = out;
	ERR_clear_error();

	/* Parse and verify: no key is used (INTEROP.md 6.1 first). */
	if (!scep_msg_parse(s->sctx, buf, len, &s->conf->limits,
	    &t->conf->policy, &msg, &err)) {
		op.msg = msg;
		if (msg != NULL) {
			memcpy(out->txid, msg->txid, msg->txid_len + 1);
			out->has_type = msg->has_type;
			out->type = msg->type;
		}
		if (err.outcome == SCEP_REJECT && msg != NULL)
			reply_failure(&op, err.failinfo, err.reason);
		else {
			out->outcome = err.outcome == SCEP_INTERNAL ?
			    SCEP_INTERNAL : SCEP_MALFORMED;
			out->reason = err.reason;
		}
		goto out;
	}
	op.msg = msg;
	memcpy(out->txid, msg->txid, msg->txid_len + 1);
	out->has_type = 1;
	out->type = msg->type;
	out->has_digest = 1;
	out->digest = msg->digest;

	if (msg->type == SCEP_MSG_CERTREP) {
		reply_failure(&op, SCEP_FAIL_BADREQUEST, R_TYPE);
		goto out;
	}
	/*
	 * Open the envelope with the RA (or --no-ra CA) key, or with the
	 * previous one's for a client that still holds the certificates
	 * of before a rollover: its RecipientInfo decides, and the reply
	 * is signed by the certificate the client encrypted to.
	 */
	msgs[nmsgs++] = t->msg;
	if (t->prev_msg != NULL)
		msgs[nmsgs++] = t->prev_msg;
	ok = signer_open(msgs, nmsgs, s->sctx, msg, &s->conf->limits,
	    &t->conf->policy, &which, &err);
	/* Chosen by the RecipientInfo: even a FAILURE goes back so. */
	if (which < nmsgs)
		op.rs = msgs[which];
	out->prev_ra = which == 1;
	if (!ok) {
		if (err.outcome == SCEP_INTERNAL)
			out_internal(&op, err.reason);
		else
			reply_failure(&op, err.failinfo, err.reason);
		goto out;
	}
	out->has_cipher = 1;
	out->cipher = msg->cipher;

	/* The requester key: the signer's public key (INTEROP.md 6.3). */
	if (!ca_pubkey_hash(X509_get_X509_PUBKEY(msg->signer), keyhash) ||
	    !store_reqkey_set(&op.key, t->conf->name,
	    (const uint8_t *)msg->txid, msg->txid_len, keyhash)) {
		out_internal(&op, R_INTERNAL);
		goto out;
	}

	switch (msg->type) {
	case SCEP_MSG_CERTPOLL:
		do_poll(&op);
		break;
	case SCEP_MSG_GETCERT:
		do_getcert(&op);
		break;
	case SCEP_MSG_GETCRL:
		do_getcrl(&op);
		break;
	case SCEP_MSG_PKCSREQ:
	case SCEP_MSG_RENEWALREQ:
		do_enrol(&op);
		break;
	default:
		reply_failure(&op, SCEP_FAIL_BADREQUEST, R_TYPE);
		break;
	}
out:
	scep_msg_free(msg);
	ERR_clear_error();
}
