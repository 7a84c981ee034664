/*
 * store.h: the scepd database (requests, certificates, revocations,
 * CRLs, seen nonces).
 *
 * The backend (LMDB today, in store.c) is invisible here: no backend
 * type crosses this header, so another backend can sit behind the same
 * functions without touching callers.  Rules (STYLE.md B8, INTEROP.md
 * 6.3):
 *  - one struct store per process, opened by that process with
 *    store_open(); never used after fork() (every call in another
 *    process fails with STORE_ERROR) and never opened twice at once in
 *    one process;
 *  - every function is one short transaction; write functions take
 *    only byte strings that the caller prepared beforehand (parse,
 *    verify, decrypt and sign first), so no private-key operation ever
 *    runs inside a write transaction;
 *  - the store never logs: a failure returns an enum store_rc, with
 *    store_rc_str() for its meaning and store_errstr() for the detail
 *    of the last failure (to be logged by the caller).
 *
 * Return values.  Functions returning enum store_rc give STORE_OK on
 * success (note: STORE_OK is 0; compare with STORE_OK, never test the
 * value for truth) and otherwise one of:
 *   STORE_NOTFOUND	no such record
 *   STORE_EXISTS	the record exists already (a request, a nonce)
 *   STORE_QUOTA	the tenant has max_pending PENDING requests
 *   STORE_SERIAL_TAKEN	the certificate's serial (or its exact DER) is
 *			already stored: re-sign with a new serial
 *   STORE_STATE	the record is not in the state the call needs
 *			(rejecting an ISSUED request, revoking twice)
 *   STORE_STALE	a newer CRL is already stored
 *   STORE_INVAL	bad argument (tenant name, txid length, serial,
 *			unparseable certificate, oversized field)
 *   STORE_FULL		the database map is full: answer 503
 *   STORE_BUSY		the reader table is full: answer 503
 *   STORE_CORRUPT	a stored record does not decode
 *   STORE_ERROR	anything else (I/O, out of memory, used after fork)
 * Nothing is written by a call that does not return STORE_OK.
 *
 * Ownership.  Results returned through a pointer to a pointer
 * (struct store_req **, struct store_cert **, struct store_crl **) are
 * single allocations owned by the caller and freed with
 * store_req_free(), store_cert_free() or store_crl_free(); their byte
 * pointers point inside that allocation.  Structures handed to iterator
 * callbacks are borrowed for the duration of the call only: copy what
 * you keep, and do not call any store function from a callback.  A
 * callback returns 1 to go on and 0 to stop early (not an error).
 *
 * Times are seconds since the epoch, always passed in by the caller.
 */
#ifndef SRC_STORE_H
#define SRC_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Tenant names: [a-z0-9][a-z0-9_-]{0,62} (INTEROP.md 6.6). */
#define STORE_TENANT_MAX	63
/* transactionID: 1..128 bytes (INTEROP.md 6.7). */
#define STORE_TXID_MAX		128
/* SHA-256 lengths of key hashes, fingerprints and CSR hashes. */
#define STORE_HASH_LEN		32
/* Serial numbers: big-endian magnitude, 1..20 bytes (RFC 5280 4.1.2.2). */
#define STORE_SERIAL_MAX	20
/* senderNonce as stored: 1..32 bytes (SCEP uses 16). */
#define STORE_NONCE_MAX		32
/* A client address as text (an IPv6 address with zone fits). */
#define STORE_ADDR_MAX		63
/* A reject reason (failInfoText or operator text). */
#define STORE_REASON_MAX	255
/* A one-time challenge identifier. */
#define STORE_CHALLENGE_ID_MAX	32
/* Each of subject, public key and extensions DER of a request. */
#define STORE_BLOB_MAX		65536

/* store_open() defaults. */
#define STORE_MAPSIZE_DEFAULT	((size_t)4 << 30)	/* 4 GiB */
#define STORE_MAXREADERS	126
/* store_open() flags. */
#define STORE_CREATE		0x01	/* mkdir 0700 and initialise */

enum store_rc {
	STORE_OK,
	STORE_NOTFOUND,
	STORE_EXISTS,
	STORE_QUOTA,
	STORE_SERIAL_TAKEN,
	STORE_STATE,
	STORE_STALE,
	STORE_INVAL,
	STORE_FULL,
	STORE_BUSY,
	STORE_CORRUPT,
	STORE_ERROR,
	STORE__MAX
};

/* Request states (INTEROP.md 6.3). */
enum store_req_state {
	STORE_REQ_PENDING = 1,
	STORE_REQ_ISSUED,
	STORE_REQ_REJECTED
};

/* Certificate states. */
enum store_cert_state {
	STORE_CERT_VALID = 1,
	STORE_CERT_REVOKED
};

/* Who had a certificate issued. */
enum store_origin {
	STORE_ORIGIN_SCEP = 1,		/* a SCEP request (renewable) */
	STORE_ORIGIN_ADMIN,		/* scepadm issue */
	STORE_ORIGIN_RA			/* the tenant's RA certificate */
};

/*
 * A transaction key (INTEROP.md 6.3): tenant, transactionID and the
 * SHA-256 of the DER SubjectPublicKeyInfo of the message's signer.
 * Fill it with store_reqkey_set().
 */
struct store_reqkey {
	char		 tenant[STORE_TENANT_MAX + 1];
	uint8_t		 txid[STORE_TXID_MAX];
	size_t		 txid_len;
	uint8_t		 keyhash[STORE_HASH_LEN];
};

/*
 * A request.  Callers fill one (with borrowed pointers) for
 * store_req_insert() and store_issue(); the store returns them as single
 * allocations.  The CSR itself is never stored: it holds the challenge
 * password (INTEROP.md 6.4).
 */
struct store_req {
	struct store_reqkey	 key;
	enum store_req_state	 state;
	int			 msgtype;	/* RFC 8894 value: 19, 17 */
	time_t			 created;
	time_t			 updated;
	time_t			 delivered;	/* first delivery, 0: never */
	uint8_t			 csr_hash[STORE_HASH_LEN]; /* SHA-256 */
	const uint8_t		*subject;	/* Name DER */
	size_t			 subject_len;
	const uint8_t		*pubkey;	/* SubjectPublicKeyInfo DER */
	size_t			 pubkey_len;
	const uint8_t		*exts;		/* Extensions DER, may be 0 */
	size_t			 exts_len;
	char			 client_addr[STORE_ADDR_MAX + 1];
	int			 challenge_ok;	/* the challenge passed */
	int			 renewal;	/* renews renew_serial */
	uint8_t			 renew_serial[STORE_SERIAL_MAX];
	size_t			 renew_serial_len;
	uint8_t			 serial[STORE_SERIAL_MAX]; /* when ISSUED */
	size_t			 serial_len;
	char			 reason[STORE_REASON_MAX + 1]; /* REJECTED */
	uint8_t			 challenge_id[STORE_CHALLENGE_ID_MAX];
	size_t			 challenge_id_len; /* 0: none bound */
	/*
	 * Input only: the senderNonce of the message that brings a new
	 * request.  store_req_insert(), store_req_insert_job() and the
	 * automatic case of store_issue() record it as seen (at created,
	 * and at now) in their own transaction (STORE_EXISTS and no
	 * *existing if it was seen already), so that a nonce is seen
	 * exactly when an outcome is stored.
	 * Never read back; 0: none.
	 */
	uint8_t			 nonce[STORE_NONCE_MAX];
	size_t			 nonce_len;
};

/*
 * A certificate as stored.  serial, fingerprint (SHA-256 of the DER),
 * key hash (SHA-256 of the SubjectPublicKeyInfo DER), subject hash
 * (SHA-256 of the subject Name DER) and validity are derived from the
 * DER by the store.
 */
struct store_cert {
	char			 tenant[STORE_TENANT_MAX + 1];
	uint8_t			 serial[STORE_SERIAL_MAX];
	size_t			 serial_len;
	const uint8_t		*der;
	size_t			 der_len;
	enum store_cert_state	 state;
	enum store_origin	 origin;
	time_t			 issued_at;	/* when it was stored */
	time_t			 not_before;
	time_t			 not_after;
	time_t			 revoked_at;	/* when REVOKED */
	int			 reason;	/* CRLReason, RFC 5280 5.3.1 */
	uint8_t			 fp[STORE_HASH_LEN];
	uint8_t			 keyhash[STORE_HASH_LEN];
	uint8_t			 subjhash[STORE_HASH_LEN];
	int			 has_req;	/* req is the request answered */
	struct store_reqkey	 req;
};

/* A certificate to store (store_cert_add(), store_bulk_load()). */
struct store_cert_in {
	const char		*tenant;
	const uint8_t		*der;
	size_t			 der_len;
	enum store_origin	 origin;
	time_t			 issued_at;
};

/* The one-lookup answer by fingerprint (store_fp_status()). */
struct store_fp {
	char			 tenant[STORE_TENANT_MAX + 1];
	uint8_t			 serial[STORE_SERIAL_MAX];
	size_t			 serial_len;
	enum store_cert_state	 state;
	time_t			 not_before;
	time_t			 not_after;
};

/*
 * A revocation, for CRL generation (store_revoked_list()), with the
 * revoked certificate's DER (to tell which CA issued it).
 */
struct store_revoked {
	uint8_t			 serial[STORE_SERIAL_MAX];
	size_t			 serial_len;
	time_t			 revoked_at;
	int			 reason;	/* CRLReason */
	time_t			 not_after;
	const uint8_t		*der;		/* the certificate */
	size_t			 der_len;
};

/* A seen senderNonce (store_nonce_seen()). */
struct store_nonce {
	struct store_reqkey	 req;		/* the request it came with */
	time_t			 seen_at;
};

/* The stored CRL of a tenant. */
struct store_crl {
	uint64_t		 number;
	time_t			 this_update;
	const uint8_t		*der;
	size_t			 der_len;
};

/* Counts (store_stat()). */
struct store_stat {
	size_t			 certs;
	size_t			 revoked;
	size_t			 requests;
	size_t			 pending;
	size_t			 nonces;
	size_t			 map_size;	/* bytes */
	size_t			 map_used;	/* bytes in use */
};

struct store;

typedef int	(*store_req_cb)(const struct store_req *, void *);
typedef int	(*store_cert_cb)(const struct store_cert *, void *);
typedef int	(*store_revoked_cb)(const struct store_revoked *, void *);

/* The schema version this program reads and writes. */
#define STORE_SCHEMA_VERSION	3

/*
 * Open the environment in directory path.  With STORE_CREATE the
 * directory is created (mode 0700) when missing and the database
 * initialised when empty; without it the database must exist.  An
 * older schema is migrated in place, a newer one refused.  mapsize is
 * the map size in bytes (0: STORE_MAPSIZE_DEFAULT) and must be the same
 * in every process; a larger size already recorded in the environment
 * wins.  Returns a new store, to be closed with store_close(), or NULL
 * with a message in err (errlen bytes, may be 0).
 */
struct store	*store_open(const char *path, unsigned int flags,
		    size_t mapsize, char *err, size_t errlen);
/* Close the store; NULL is allowed.  Never call it in a forked child. */
void		 store_close(struct store *st);

/* A short static description of rc; never NULL. */
const char	*store_rc_str(enum store_rc rc);
/* The detail of the last failure of st (a static buffer of st). */
const char	*store_errstr(const struct store *st);

/*
 * Clear reader slots left by dead processes; call at worker start and
 * every N requests.  *dead (may be NULL) gets the number cleared.
 */
enum store_rc	 store_reader_check(struct store *st, int *dead);
/* Counts of records and map usage. */
enum store_rc	 store_stat(struct store *st, struct store_stat *sst);

/*
 * Fill key from its parts, after checking the tenant name and the
 * txid length (1..STORE_TXID_MAX).  Returns 1, or 0 on bad input.
 */
int		 store_reqkey_set(struct store_reqkey *key, const char *tenant,
		    const uint8_t *txid, size_t txid_len,
		    const uint8_t keyhash[STORE_HASH_LEN]);
/* 1 if name is a valid tenant name, else 0. */
int		 store_tenant_valid(const char *name);

/*
 * Requests.
 *
 * store_req_get: STORE_OK and *out (free with store_req_free()), or
 * STORE_NOTFOUND.
 *
 * store_req_insert: store a new request in req->state (PENDING or
 * REJECTED; ISSUED only through store_issue()).  If the key is already
 * stored: STORE_EXISTS, nothing written, and *existing (if not NULL)
 * gets the stored request (a stored request is never replaced).  A
 * PENDING request when the tenant already has max_pending PENDING ones
 * (0: no limit): STORE_QUOTA.
 *
 * store_req_reject: PENDING -> REJECTED with reason (NULL: none);
 * STORE_STATE if not PENDING.
 *
 * store_req_set_delivered: record the first delivery of an ISSUED
 * request (for reissue_window); later calls keep the first time.
 * STORE_STATE if not ISSUED.
 *
 * store_req_retire: forget a finished (ISSUED or REJECTED) request so
 * that a new transaction can use its key (INTEROP.md 6.3: an ISSUED
 * transaction past its reissue_window is finished, and certmonger
 * resubmits with the same transactionID and key).  csr_hash (may be
 * NULL) must match the stored one, so only the record the caller looked
 * at is removed.  STORE_NOTFOUND if none; STORE_STATE if it is PENDING
 * or has another CSR.  Its certificates stay; their req member then
 * names a key that a later transaction may reuse.
 *
 * store_req_list: call cb for each PENDING request of tenant (NULL: all
 * tenants), in key order.
 *
 * store_pending_expire: every PENDING request created at or before
 * now - ttl becomes REJECTED ("pending_ttl expired"); *expired (may be
 * NULL) gets how many.
 */
enum store_rc	 store_req_get(struct store *st, const struct store_reqkey *key,
		    struct store_req **out);
enum store_rc	 store_req_insert(struct store *st, const struct store_req *req,
		    unsigned int max_pending, struct store_req **existing);
enum store_rc	 store_req_reject(struct store *st,
		    const struct store_reqkey *key, const char *reason,
		    time_t now);
enum store_rc	 store_req_set_delivered(struct store *st,
		    const struct store_reqkey *key, time_t now);
enum store_rc	 store_req_retire(struct store *st,
		    const struct store_reqkey *key,
		    const uint8_t csr_hash[STORE_HASH_LEN]);
enum store_rc	 store_req_list(struct store *st, const char *tenant,
		    store_req_cb cb, void *arg);
enum store_rc	 store_pending_expire(struct store *st, time_t now,
		    time_t ttl, size_t *expired);
/* Free a request returned by the store; NULL is allowed. */
void		 store_req_free(struct store_req *req);

/*
 * The webhook queue (approval = webhook): one job per PENDING request
 * still to be decided by the dispatcher (scepd-webhook(8)).  The job
 * holds the CSR DER, the only place a CSR is ever kept (INTEROP.md
 * 6.4), and is deleted in the same transaction as the request's
 * decision (any PENDING -> ISSUED/REJECTED change deletes it).  A
 * claimed job carries a lease: a dispatcher that dies mid-call loses
 * nothing, the job is claimable again once the lease ends.
 */
#define STORE_CSR_MAX		STORE_BLOB_MAX

struct store_job {
	struct store_reqkey	 key;		/* the request */
	time_t			 enqueued;
	time_t			 next_at;	/* due at or after */
	time_t			 claimed_until;	/* lease end or 0 */
	unsigned int		 attempts;	/* failed calls so far */
	const uint8_t		*csr;		/* CSR DER */
	size_t			 csr_len;
};

/*
 * store_req_insert_job: store_req_insert() of a PENDING request and,
 * in the same transaction, its job with csr (1..STORE_CSR_MAX bytes),
 * due at now.  Same results as store_req_insert().
 *
 * store_job_claim: the first job (in key order) that is due (next_at
 * <= now) and not leased (claimed_until <= now) gets the lease
 * claimed_until = now + lease and is returned in *out (free with
 * store_job_free()); STORE_NOTFOUND when none is due.  A job whose
 * request is no longer PENDING (decided by an operator) is deleted
 * on the way and not returned.  A corrupt job record is deleted too
 * (its request stays PENDING for an operator): STORE_CORRUPT once.
 *
 * store_job_retry: the job of key gets attempts + 1, next_at and no
 * lease.  store_job_delete: the job of key is deleted (STORE_NOTFOUND
 * if none).  store_job_count: the number of queued jobs.
 */
enum store_rc	 store_req_insert_job(struct store *st,
		    const struct store_req *req, unsigned int max_pending,
		    const uint8_t *csr, size_t csr_len, time_t now,
		    struct store_req **existing);
enum store_rc	 store_job_claim(struct store *st, time_t now,
		    time_t lease, struct store_job **out);
enum store_rc	 store_job_retry(struct store *st,
		    const struct store_reqkey *key, time_t next_at);
enum store_rc	 store_job_delete(struct store *st,
		    const struct store_reqkey *key);
enum store_rc	 store_job_count(struct store *st, size_t *count);
/* Free a job returned by the store; NULL is allowed. */
void		 store_job_free(struct store_job *job);

/*
 * Issue: in one transaction, store the certificate der (origin SCEP,
 * answering req) with all its indexes and mark the request ISSUED with
 * the certificate's serial.  The request may be stored PENDING with the
 * same csr_hash (an approval) or not stored yet (automatic approval: it
 * is inserted ISSUED from req, with req->delivered as its first
 * delivery: now when the caller answers with the certificate at once,
 * else 0; an approved PENDING request gets 0).  Returns STORE_OK;
 * STORE_EXISTS (with *existing if not NULL) when the request is stored
 * ISSUED or REJECTED or with another CSR; STORE_SERIAL_TAKEN when the
 * serial (or the DER) is already stored: re-sign with a new serial and
 * call again; STORE_INVAL when der does not parse.  Nothing is written
 * unless STORE_OK.
 */
enum store_rc	 store_issue(struct store *st, const struct store_req *req,
		    const uint8_t *der, size_t der_len, time_t now,
		    struct store_req **existing);

/*
 * Certificates.
 *
 * store_cert_add: store one certificate without a request (scepadm
 * issue, RA); STORE_SERIAL_TAKEN as for store_issue().
 *
 * store_bulk_load: store n certificates in write transactions of
 * per_txn certificates each (0: 10000), through the same record and
 * index code.  *loaded (may be NULL) gets the number committed; on a
 * failure the failing transaction is rolled back and earlier ones stay.
 *
 * store_cert_get: by tenant and serial (leading zero bytes ignored).
 * store_cert_by_fp: by SHA-256 fingerprint of the DER, any tenant.
 * store_fp_status: the same in one lookup, returning only tenant,
 * serial, state and validity (for an mTLS gateway).
 * store_certs_by_key / store_certs_by_subject: certificates of tenant
 * whose SubjectPublicKeyInfo / subject Name DER has this SHA-256.
 * store_certs_expiring: certificates of tenant with from <= notAfter <
 * to, by notAfter.
 *
 * store_cert_revoke: VALID -> REVOKED at time when with CRLReason
 * reason (0..10, not 7); STORE_STATE if already revoked.
 * store_revoked_list: every revocation of tenant, by serial, each with
 * the certificate's DER.
 */
enum store_rc	 store_cert_add(struct store *st,
		    const struct store_cert_in *in);
enum store_rc	 store_bulk_load(struct store *st,
		    const struct store_cert_in *in, size_t n, size_t per_txn,
		    size_t *loaded);
enum store_rc	 store_cert_get(struct store *st, const char *tenant,
		    const uint8_t *serial, size_t serial_len,
		    struct store_cert **out);
enum store_rc	 store_cert_by_fp(struct store *st,
		    const uint8_t fp[STORE_HASH_LEN], struct store_cert **out);
enum store_rc	 store_fp_status(struct store *st,
		    const uint8_t fp[STORE_HASH_LEN], struct store_fp *out);
enum store_rc	 store_certs_by_key(struct store *st, const char *tenant,
		    const uint8_t keyhash[STORE_HASH_LEN], store_cert_cb cb,
		    void *arg);
enum store_rc	 store_certs_by_subject(struct store *st, const char *tenant,
		    const uint8_t subjhash[STORE_HASH_LEN], store_cert_cb cb,
		    void *arg);
enum store_rc	 store_certs_expiring(struct store *st, const char *tenant,
		    time_t from, time_t to, store_cert_cb cb, void *arg);
enum store_rc	 store_cert_revoke(struct store *st, const char *tenant,
		    const uint8_t *serial, size_t serial_len, int reason,
		    time_t when);
enum store_rc	 store_revoked_list(struct store *st, const char *tenant,
		    store_revoked_cb cb, void *arg);
/* Free a certificate returned by the store; NULL is allowed. */
void		 store_cert_free(struct store_cert *cert);

/*
 * Seen senderNonces (INTEROP.md 6.3 step 3), per (tenant, txid).
 *
 * store_nonce_seen: if nonce was already seen for key's tenant and
 * txid, STORE_EXISTS and *seen (if not NULL) says with which request
 * key and when; else STORE_NOTFOUND.  Nonces are recorded only by the
 * write that stores a request (struct store_req nonce).
 * store_nonce_expire: forget nonces seen at or before now - window.
 */
enum store_rc	 store_nonce_seen(struct store *st,
		    const struct store_reqkey *key, const uint8_t *nonce,
		    size_t nonce_len, struct store_nonce *seen);
enum store_rc	 store_nonce_expire(struct store *st, time_t now,
		    time_t window, size_t *removed);

/*
 * CRLs.  A tenant has one CRL per CA (two after a CA rollover,
 * INTEROP.md 6.4), named by caid, the SHA-256 of the CA's
 * SubjectPublicKeyInfo DER.  The number is reserved in one short write
 * transaction (store_crl_reserve_number: 1, 2, 3, ... per tenant,
 * shared by its CAs), the CRL signed outside it and stored with
 * store_crl_put() only if no CRL of that CA with this or a higher number
 * is stored (else STORE_STALE); a number never reserved is STORE_INVAL.
 * So each CA's numbers only grow, whoever generates the CRL.
 * store_crl_get: STORE_OK and *out (free with store_crl_free()) or
 * STORE_NOTFOUND.
 */
enum store_rc	 store_crl_reserve_number(struct store *st,
		    const char *tenant, uint64_t *number);
enum store_rc	 store_crl_put(struct store *st, const char *tenant,
		    const uint8_t caid[STORE_HASH_LEN], uint64_t number,
		    time_t this_update, const uint8_t *der, size_t der_len);
enum store_rc	 store_crl_get(struct store *st, const char *tenant,
		    const uint8_t caid[STORE_HASH_LEN],
		    struct store_crl **out);
/* Free a CRL returned by the store; NULL is allowed. */
void		 store_crl_free(struct store_crl *crl);

/*
 * One-time challenge passwords (challenge = otp, INTEROP.md 6.3/6.4).
 * The password itself is never stored: only its HMAC-SHA256 under the
 * tenant's challenge_key (src/otp.c), so the database alone reveals
 * nothing usable.  A challenge is UNUSED until its first valid use,
 * which makes it USED and binds it to that request (key and CSR hash);
 * an operator may REVOKE an UNUSED one.  Expiry is not a state: an
 * UNUSED challenge with expires <= now is expired.
 */
enum store_challenge_state {
	STORE_CHALLENGE_UNUSED = 1,
	STORE_CHALLENGE_USED,
	STORE_CHALLENGE_REVOKED
};

/* Identifiers are lowercase hex, shown by scepadm challenge list. */
#define STORE_CHALLENGE_IDTEXT_MAX	STORE_CHALLENGE_ID_MAX

struct store_challenge {
	char			 tenant[STORE_TENANT_MAX + 1];
	char			 id[STORE_CHALLENGE_IDTEXT_MAX + 1];
	uint8_t			 hmac[STORE_HASH_LEN];
	enum store_challenge_state state;
	time_t			 created;
	time_t			 expires;
	const uint8_t		*subject;	/* bound Name DER, or NULL */
	size_t			 subject_len;	/* 0: not bound */
	int			 bound;		/* USED: req and csr_hash */
	int			 settled;	/* ... and req is stored */
	time_t			 used_at;
	struct store_reqkey	 req;
	uint8_t			 csr_hash[STORE_HASH_LEN];
};

typedef int	(*store_challenge_cb)(const struct store_challenge *,
		    void *);

/*
 * store_challenge_add: store a new UNUSED challenge (tenant, id: 1..32
 * characters [0-9a-f], hmac, created, expires, subject); bound and
 * used_at are ignored.  STORE_EXISTS if the id or the HMAC is taken.
 *
 * store_challenge_list: call cb for every challenge of tenant (NULL:
 * all), by tenant and id.
 *
 * store_challenge_revoke: UNUSED -> REVOKED for the challenge id of
 * tenant (NULL: whichever tenant has it).  STORE_NOTFOUND if none,
 * STORE_STATE if it is USED or already REVOKED.
 *
 * store_challenge_purge: delete the challenges of tenant (NULL: all)
 * that expired at or before before and, if USED, were used at or
 * before it too (their retry window is long over); the count in
 * *removed (if not NULL).  Short write transactions.
 *
 * store_challenge_use: the whole check-and-consume of a first
 * enrolment's challenge in one write transaction.  hmac is the keyed
 * hash of the password the CSR holds, key and csr_hash the request it
 * comes with, subject (subject_len bytes of Name DER) the CSR's subject.
 * Returns STORE_OK and the challenge's id in id (at least
 * STORE_CHALLENGE_IDTEXT_MAX + 1 bytes) when the challenge is UNUSED,
 * not expired and its subject binding (if any) matches: it is then USED
 * and bound to (key, csr_hash).  A USED challenge bound to exactly this
 * (key, csr_hash) passes again only until a request that names it
 * (challenge_id) is stored (the first attempt stored no outcome: a lost
 * reply or a killed worker's retry; storing it "settles" the
 * challenge); any new transaction, even with the same key,
 * transactionID and CSR, is refused.  A refusal is STORE_NOTFOUND
 * (unknown, or another tenant's) or STORE_STATE, with a static reason
 * for failInfoText in *why; nothing is written unless STORE_OK.
 */
enum store_rc	 store_challenge_add(struct store *st,
		    const struct store_challenge *c);
enum store_rc	 store_challenge_list(struct store *st, const char *tenant,
		    store_challenge_cb cb, void *arg);
enum store_rc	 store_challenge_revoke(struct store *st,
		    const char *tenant, const char *id);
enum store_rc	 store_challenge_purge(struct store *st, const char *tenant,
		    time_t before, size_t *removed);
enum store_rc	 store_challenge_use(struct store *st, const char *tenant,
		    const uint8_t hmac[STORE_HASH_LEN],
		    const struct store_reqkey *key,
		    const uint8_t csr_hash[STORE_HASH_LEN],
		    const uint8_t *subject, size_t subject_len, time_t now,
		    char *id, const char **why);

/*
 * TESTING ONLY: write val raw under key in the sub-database named
 * table ("meta", "req", "cert", ...; see store.c), bypassing every
 * encoder; with val NULL, delete the record under key (STORE_NOTFOUND
 * if there is none).  Used by tests to write a future schema version or
 * a corrupt record.  Never call it from the server or scepadm.
 */
enum store_rc	 store_test_poke(struct store *st, const char *table,
		    const uint8_t *key, size_t key_len, const uint8_t *val,
		    size_t val_len);

#endif /* SRC_STORE_H */
