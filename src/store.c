/*
 * store.c: the scepd database on LMDB (STYLE.md B8, INTEROP.md 6.3).
 *
 * One MDB_env per process, opened by that process; every public
 * function is one short transaction.  Write transactions only look up,
 * check and put: certificates arrive signed and are merely parsed and
 * hashed (before the transaction, except in store_bulk_load()).
 *
 * Sub-databases and key layouts.  All integers are big-endian.  lp8(x)
 * is one length byte then the bytes of x, so variable parts never run
 * into each other and a tenant's keys never prefix another tenant's.
 * Times are 64-bit seconds; in keys they are stored with the sign bit
 * flipped (t ^ 2^63) so that byte order is time order.  Keys stay well
 * under LMDB's 511-byte limit (the longest is nonce: 1+63+1+128+1+32).
 *
 *   meta       "version" -> u32 schema version (STORE_SCHEMA_VERSION)
 *   req        lp8(tenant) lp8(txid) keyhash[32] -> request record
 *   pending    tenant (DUPSORT) -> lp8(txid) keyhash[32]
 *              one dup per PENDING request; mdb_cursor_count() is the
 *              tenant's quota count
 *   nonce      lp8(tenant) lp8(txid) lp8(nonce) -> nonce record
 *   nonce_time time(8) nonce-key -> empty (expiry order)
 *   cert       lp8(tenant) lp8(serial) -> certificate record
 *   cert_fp    sha256(DER)[32] -> fingerprint record (global)
 *   cert_key   lp8(tenant) sha256(SPKI DER)[32] (DUPSORT) -> lp8(serial)
 *   cert_subj  lp8(tenant) sha256(subject DER)[32] (DUPSORT) -> lp8(serial)
 *   cert_exp   lp8(tenant) time(notAfter) lp8(serial) -> empty
 *   revoked    lp8(tenant) lp8(serial) -> revocation record
 *   crl        lp8(tenant) 'n' -> u8 1, u64 last reserved CRL number
 *              (one counter per tenant, shared by its CAs, so the
 *              numbers of each CA only grow)
 *              lp8(tenant) 'c' caid[32] -> CRL record of the CA whose
 *              SubjectPublicKeyInfo DER has SHA-256 caid (schema 3; a
 *              tenant has two CAs after a rollover, INTEROP.md 6.4)
 *   job        lp8(tenant) lp8(txid) keyhash[32] (the request's key)
 *              -> job record; one per PENDING request of a webhook
 *              tenant still to be decided, deleted with the decision
 *   challenge  lp8(tenant) 'h' hmac[32] -> challenge record
 *              lp8(tenant) 'i' lp8(id) -> hmac[32] (the id index)
 *              one-time challenges: the HMAC-SHA256 of the password
 *              under the tenant's challenge_key, never the password;
 *              'h' for the check at enrolment, 'i' for scepadm
 *
 * Serials are the big-endian magnitude without leading zero bytes.
 *
 * Records start with a version byte (1), then fixed fields in order;
 * lp16/lp32 are 2/4-byte lengths.  Every decoder checks every length
 * against the record and the field's bound and that nothing is left
 * over: a corrupt record is STORE_CORRUPT, never a crash.
 *
 *   request    u8 1, u8 state, u8 msgtype, u8 flags (1 challenge_ok,
 *              2 renewal), i64 created, i64 updated, i64 delivered,
 *              csr_hash[32], lp32 subject, lp32 pubkey, lp32 exts,
 *              lp8 client_addr, lp8 renew_serial, lp8 serial,
 *              lp16 reason, lp8 challenge_id
 *   cert       u8 1, u8 state, u8 origin, u8 reason, i64 issued_at,
 *              i64 not_before, i64 not_after, i64 revoked_at, fp[32],
 *              keyhash[32], subjhash[32], u8 has_req,
 *              [lp8 txid, keyhash[32] if has_req], lp32 der
 *   fp         u8 1, u8 state, i64 not_before, i64 not_after,
 *              lp8 tenant, lp8 serial
 *   revocation u8 1, i64 revoked_at, u8 reason, i64 not_after
 *   nonce      u8 1, keyhash[32], i64 seen_at
 *   CRL        u8 1, u64 number, i64 this_update, lp32 der
 *   job        u8 1, i64 enqueued, i64 next_at, i64 claimed_until,
 *              u32 attempts, lp32 csr
 *   challenge  u8 1, u8 state, i64 created, i64 expires, lp8 id,
 *              lp16 subject (bound Name DER, may be empty), u8 bound
 *              (0 unused, 1 used, 2 used and its request stored),
 *              [i64 used_at, lp8 txid, keyhash[32], csr_hash[32] if
 *              bound: the request that used it]
 *
 * Schema changes: bump STORE_SCHEMA_VERSION and append a step to
 * migrations[]; store_open() runs every missing step in one write
 * transaction and refuses a database newer than this program.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <lmdb.h>

#include "scep/scep.h"
#include "src/store.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* LMDB's default maximum key size. */
#define KEY_MAX		511
/* Record format version written by this program. */
#define REC_V1		1
/* Certificates per write transaction in store_bulk_load(). */
#define BULK_PER_TXN	10000
/* Nonces deleted per write transaction in store_nonce_expire(). */
#define EXPIRE_PER_TXN	10000

/* Sub-databases; the order of tables[] below. */
enum tbl {
	TBL_META,
	TBL_REQ,
	TBL_PENDING,
	TBL_NONCE,
	TBL_NONCE_TIME,
	TBL_CERT,
	TBL_CERT_FP,
	TBL_CERT_KEY,
	TBL_CERT_SUBJ,
	TBL_CERT_EXP,
	TBL_REVOKED,
	TBL_CRL,
	TBL_CHALLENGE,		/* schema 2: one-time challenges */
	TBL_JOB,		/* schema 2: the webhook queue */
	TBL__MAX
};

static const struct {
	const char	*name;
	unsigned int	 flags;
} tables[] = {
	{ "meta", 0 },
	{ "req", 0 },
	{ "pending", MDB_DUPSORT },
	{ "nonce", 0 },
	{ "nonce_time", 0 },
	{ "cert", 0 },
	{ "cert_fp", 0 },
	{ "cert_key", MDB_DUPSORT },
	{ "cert_subj", MDB_DUPSORT },
	{ "cert_exp", 0 },
	{ "revoked", 0 },
	{ "crl", 0 },
	{ "challenge", 0 },
	{ "job", 0 },
};
static_assert(NELEM(tables) == TBL__MAX, "table names");

static const char *const rc_strs[] = {
	"success",
	"not found",
	"already stored",
	"too many pending requests",
	"serial number already taken",
	"record is not in the required state",
	"a newer CRL is stored",
	"invalid argument",
	"database map full",
	"database reader table full",
	"corrupt database record",
	"database error",
};
static_assert(NELEM(rc_strs) == STORE__MAX, "store_rc strings");

struct store {
	MDB_env		*env;
	MDB_dbi		 dbi[TBL__MAX];
	pid_t		 pid;		/* the process that opened env */
	EVP_MD		*sha256;
	char		 err[256];	/* detail of the last failure */
};

/* What the store derives from a certificate's DER (cert_prepare()). */
struct certprep {
	uint8_t		 serial[STORE_SERIAL_MAX];
	size_t		 serial_len;
	uint8_t		 fp[STORE_HASH_LEN];
	uint8_t		 keyhash[STORE_HASH_LEN];
	uint8_t		 subjhash[STORE_HASH_LEN];
	int64_t		 not_before;
	int64_t		 not_after;
};

/*
 * Errors.
 */

static void
seterr(struct store *st, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

/* Translate an LMDB (or errno) code, recording what failed. */
static enum store_rc
mdberr(struct store *st, int rc, const char *what)
{
	seterr(st, "%s: %s", what, mdb_strerror(rc));
	switch (rc) {
	case 0:
		return STORE_OK;
	case MDB_NOTFOUND:
		return STORE_NOTFOUND;
	case MDB_KEYEXIST:
		return STORE_EXISTS;
	case MDB_MAP_FULL:
		return STORE_FULL;
	case MDB_READERS_FULL:
		return STORE_BUSY;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_BAD_VALSIZE:
		return STORE_CORRUPT;
	default:
		return STORE_ERROR;
	}
}

/*
 * Record writer: a fixed buffer for keys (overflow is an error) or a
 * growing heap buffer for records.  Errors are sticky; check w.bad once
 * at the end.
 */
struct wbuf {
	uint8_t		*p;
	size_t		 len;
	size_t		 cap;
	int		 grow;
	int		 bad;
};

static void
wb_fixed(struct wbuf *w, uint8_t *buf, size_t cap)
{
	w->p = buf;
	w->len = 0;
	w->cap = cap;
	w->grow = 0;
	w->bad = 0;
}

static void
wb_heap(struct wbuf *w)
{
	w->p = NULL;
	w->len = w->cap = 0;
	w->grow = 1;
	w->bad = 0;
}

static void
wb_free(struct wbuf *w)
{
	if (w->grow)
		free(w->p);
	w->p = NULL;
}

static void
wb_put(struct wbuf *w, const void *d, size_t n)
{
	uint8_t	*np;
	size_t	 ncap;

	if (w->bad || n == 0)
		return;
	if (n > w->cap - w->len) {
		if (!w->grow || n > SIZE_MAX / 2 - w->len) {
			w->bad = 1;
			return;
		}
		ncap = w->cap * 2 > w->len + n ? w->cap * 2 : w->len + n;
		if (ncap < 256)
			ncap = 256;
		if ((np = realloc(w->p, ncap)) == NULL) {
			w->bad = 1;
			return;
		}
		w->p = np;
		w->cap = ncap;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void
wb_u8(struct wbuf *w, unsigned int v)
{
	uint8_t	 b = (uint8_t)v;

	wb_put(w, &b, 1);
}

static void
wb_be(struct wbuf *w, uint64_t v, size_t n)
{
	uint8_t	 b[8];
	size_t	 i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	wb_put(w, b, n);
}

static void
wb_i64(struct wbuf *w, int64_t t)
{
	wb_be(w, (uint64_t)t, 8);
}

/* A time in a key: sign bit flipped so byte order is time order. */
static void
wb_timekey(struct wbuf *w, int64_t t)
{
	wb_be(w, (uint64_t)t ^ ((uint64_t)1 << 63), 8);
}

/* Length-prefixed bytes; lsz is the prefix size (1, 2 or 4). */
static void
wb_lp(struct wbuf *w, const void *d, size_t n, size_t lsz)
{
	if (lsz < 8 && n >> (8 * lsz) != 0) {
		w->bad = 1;
		return;
	}
	wb_be(w, n, lsz);
	wb_put(w, d, n);
}

/*
 * Record reader over borrowed bytes.  Errors are sticky: after the
 * first short read every getter returns zero/NULL and rb_done() fails.
 */
struct rbuf {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 bad;
};

static void
rb_init(struct rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->bad = 0;
}

static const uint8_t *
rb_get(struct rbuf *r, size_t n)
{
	const uint8_t	*p;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static uint64_t
rb_be(struct rbuf *r, size_t n)
{
	const uint8_t	*p;
	uint64_t	 v = 0;
	size_t		 i;

	if ((p = rb_get(r, n)) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static unsigned int
rb_u8(struct rbuf *r)
{
	return (unsigned int)rb_be(r, 1);
}

static int64_t
rb_i64(struct rbuf *r)
{
	return (int64_t)rb_be(r, 8);
}

/* Length-prefixed bytes of at most max; NULL (and bad) otherwise. */
static const uint8_t *
rb_lp(struct rbuf *r, size_t lsz, size_t max, size_t *n)
{
	size_t	 len;

	len = (size_t)rb_be(r, lsz);
	*n = 0;
	if (r->bad || len > max) {
		r->bad = 1;
		return NULL;
	}
	*n = len;
	return rb_get(r, len);
}

/* Copy fixed-size bytes; marks bad on a short record. */
static void
rb_copy(struct rbuf *r, void *dst, size_t n)
{
	const uint8_t	*p;

	if ((p = rb_get(r, n)) != NULL)
		memcpy(dst, p, n);
}

/* A length-prefixed string without NUL into dst (dstsz includes NUL). */
static void
rb_str(struct rbuf *r, size_t lsz, char *dst, size_t dstsz)
{
	const uint8_t	*p;
	size_t		 n;

	dst[0] = '\0';
	if ((p = rb_lp(r, lsz, dstsz - 1, &n)) == NULL)
		return;
	if (n > 0 && memchr(p, '\0', n) != NULL) {
		r->bad = 1;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static int
rb_done(const struct rbuf *r)
{
	return !r->bad && r->off == r->len;
}

/*
 * Arguments.
 */

/*
 * Returns 1 if name matches [a-z0-9][a-z0-9_-]{0,62} (INTEROP.md 6.6),
 * else 0.
 */
int
store_tenant_valid(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return 0;
	for (i = 0; name[i] != '\0'; i++) {
		if (i >= STORE_TENANT_MAX)
			return 0;
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9'))
			continue;
		if (i > 0 && (name[i] == '_' || name[i] == '-'))
			continue;
		return 0;
	}
	return i > 0;
}

/*
 * Fill key from tenant, txid and keyhash after checking them.
 * Returns 1, or 0 (key untouched) on a bad tenant or txid length.
 */
int
store_reqkey_set(struct store_reqkey *key, const char *tenant,
    const uint8_t *txid, size_t txid_len,
    const uint8_t keyhash[STORE_HASH_LEN])
{
	if (!store_tenant_valid(tenant) || txid == NULL || txid_len == 0 ||
	    txid_len > STORE_TXID_MAX || keyhash == NULL)
		return 0;
	memset(key, 0, sizeof(*key));
	memcpy(key->tenant, tenant, strlen(tenant) + 1);
	memcpy(key->txid, txid, txid_len);
	key->txid_len = txid_len;
	memcpy(key->keyhash, keyhash, STORE_HASH_LEN);
	return 1;
}

static int
reqkey_valid(const struct store_reqkey *key)
{
	return key != NULL &&
	    memchr(key->tenant, '\0', sizeof(key->tenant)) != NULL &&
	    store_tenant_valid(key->tenant) &&
	    key->txid_len > 0 && key->txid_len <= STORE_TXID_MAX;
}

/*
 * Normalise a serial: strip leading zero bytes (keeping one) and check
 * the length.  Returns 1 with *out pointing into s, else 0.
 */
static int
serial_norm(const uint8_t *s, size_t len, const uint8_t **out,
    size_t *outlen)
{
	if (s == NULL || len == 0)
		return 0;
	while (len > 1 && s[0] == 0) {
		s++;
		len--;
	}
	if (len > STORE_SERIAL_MAX)
		return 0;
	*out = s;
	*outlen = len;
	return 1;
}

/*
 * Keys (see the layouts at the top).  Each writes into a KEY_MAX buffer;
 * arguments are checked by the callers, so overflow cannot happen, but
 * w.bad is still checked by key_done().
 */

static void
key_tenant(struct wbuf *w, const char *tenant)
{
	wb_lp(w, tenant, strlen(tenant), 1);
}

static void
key_req(struct wbuf *w, const struct store_reqkey *key)
{
	key_tenant(w, key->tenant);
	wb_lp(w, key->txid, key->txid_len, 1);
	wb_put(w, key->keyhash, STORE_HASH_LEN);
}

/* The pending dup: the request key without its tenant. */
static void
key_pending_dup(struct wbuf *w, const struct store_reqkey *key)
{
	wb_lp(w, key->txid, key->txid_len, 1);
	wb_put(w, key->keyhash, STORE_HASH_LEN);
}

static void
key_cert(struct wbuf *w, const char *tenant, const uint8_t *serial,
    size_t serial_len)
{
	key_tenant(w, tenant);
	wb_lp(w, serial, serial_len, 1);
}

static void
key_nonce(struct wbuf *w, const struct store_reqkey *key,
    const uint8_t *nonce, size_t nonce_len)
{
	key_tenant(w, key->tenant);
	wb_lp(w, key->txid, key->txid_len, 1);
	wb_lp(w, nonce, nonce_len, 1);
}

static void
key_crl(struct wbuf *w, const char *tenant, char which)
{
	key_tenant(w, tenant);
	wb_u8(w, (unsigned int)which);
}

/* The key of the CRL record of one CA of tenant. */
static void
key_crl_ca(struct wbuf *w, const char *tenant,
    const uint8_t caid[STORE_HASH_LEN])
{
	key_crl(w, tenant, 'c');
	wb_put(w, caid, STORE_HASH_LEN);
}

/* An MDB_val over a finished key; 0 if the key overflowed. */
static int
key_done(struct store *st, const struct wbuf *w, MDB_val *v)
{
	if (w->bad) {
		seterr(st, "key too long");
		return 0;
	}
	v->mv_data = w->p;
	v->mv_size = w->len;
	return 1;
}

/* Parse a request key (req table) into key.  Returns 1 or 0. */
static int
reqkey_decode(const void *p, size_t len, struct store_reqkey *key)
{
	struct rbuf	 r;
	const uint8_t	*t;

	memset(key, 0, sizeof(*key));
	rb_init(&r, p, len);
	rb_str(&r, 1, key->tenant, sizeof(key->tenant));
	if ((t = rb_lp(&r, 1, STORE_TXID_MAX, &key->txid_len)) != NULL)
		memcpy(key->txid, t, key->txid_len);
	rb_copy(&r, key->keyhash, STORE_HASH_LEN);
	return rb_done(&r) && reqkey_valid(key);
}

/* Parse lp8(tenant) lp8(serial) (cert and revoked tables). */
static int
certkey_decode(const void *p, size_t len, char *tenant, uint8_t *serial,
    size_t *serial_len)
{
	struct rbuf	 r;
	const uint8_t	*s;

	rb_init(&r, p, len);
	rb_str(&r, 1, tenant, STORE_TENANT_MAX + 1);
	if ((s = rb_lp(&r, 1, STORE_SERIAL_MAX, serial_len)) != NULL)
		memcpy(serial, s, *serial_len);
	return rb_done(&r) && *serial_len > 0 && store_tenant_valid(tenant);
}

/*
 * Request records.
 */

/* Check a caller's request before encoding it.  Returns 1 or 0. */
static int
req_valid(const struct store_req *r)
{
	if (!reqkey_valid(&r->key))
		return 0;
	if (r->state < STORE_REQ_PENDING || r->state > STORE_REQ_REJECTED)
		return 0;
	if (r->msgtype < 0 || r->msgtype > 255)
		return 0;
	if (r->subject_len > STORE_BLOB_MAX || r->pubkey_len > STORE_BLOB_MAX ||
	    r->exts_len > STORE_BLOB_MAX)
		return 0;
	if ((r->subject_len > 0 && r->subject == NULL) ||
	    (r->pubkey_len > 0 && r->pubkey == NULL) ||
	    (r->exts_len > 0 && r->exts == NULL))
		return 0;
	if (memchr(r->client_addr, '\0', sizeof(r->client_addr)) == NULL ||
	    memchr(r->reason, '\0', sizeof(r->reason)) == NULL)
		return 0;
	if (r->renew_serial_len > STORE_SERIAL_MAX ||
	    r->serial_len > STORE_SERIAL_MAX ||
	    r->challenge_id_len > STORE_CHALLENGE_ID_MAX ||
	    r->nonce_len > STORE_NONCE_MAX)
		return 0;
	return 1;
}

/* Encode r (already checked by req_valid()) into w. */
static void
req_encode(struct wbuf *w, const struct store_req *r)
{
	wb_u8(w, REC_V1);
	wb_u8(w, (unsigned int)r->state);
	wb_u8(w, (unsigned int)r->msgtype);
	wb_u8(w, (r->challenge_ok ? 1U : 0U) | (r->renewal ? 2U : 0U));
	wb_i64(w, r->created);
	wb_i64(w, r->updated);
	wb_i64(w, r->delivered);
	wb_put(w, r->csr_hash, STORE_HASH_LEN);
	wb_lp(w, r->subject, r->subject_len, 4);
	wb_lp(w, r->pubkey, r->pubkey_len, 4);
	wb_lp(w, r->exts, r->exts_len, 4);
	wb_lp(w, r->client_addr, strlen(r->client_addr), 1);
	wb_lp(w, r->renew_serial, r->renew_serial_len, 1);
	wb_lp(w, r->serial, r->serial_len, 1);
	wb_lp(w, r->reason, strlen(r->reason), 2);
	wb_lp(w, r->challenge_id, r->challenge_id_len, 1);
}

/*
 * Decode a request record; byte fields of r point into p.  r->key is
 * left to the caller.  Returns 1, or 0 on a corrupt record.
 */
static int
req_decode(const void *p, size_t len, struct store_req *r)
{
	struct rbuf	 r0;
	const uint8_t	*b;
	unsigned int	 flags;

	rb_init(&r0, p, len);
	if (rb_u8(&r0) != REC_V1)
		return 0;
	r->state = (enum store_req_state)rb_u8(&r0);
	if (r->state < STORE_REQ_PENDING || r->state > STORE_REQ_REJECTED)
		return 0;
	r->msgtype = (int)rb_u8(&r0);
	flags = rb_u8(&r0);
	if (flags & ~3U)
		return 0;
	r->challenge_ok = (flags & 1) != 0;
	r->renewal = (flags & 2) != 0;
	r->created = (time_t)rb_i64(&r0);
	r->updated = (time_t)rb_i64(&r0);
	r->delivered = (time_t)rb_i64(&r0);
	rb_copy(&r0, r->csr_hash, STORE_HASH_LEN);
	r->subject = rb_lp(&r0, 4, STORE_BLOB_MAX, &r->subject_len);
	r->pubkey = rb_lp(&r0, 4, STORE_BLOB_MAX, &r->pubkey_len);
	r->exts = rb_lp(&r0, 4, STORE_BLOB_MAX, &r->exts_len);
	rb_str(&r0, 1, r->client_addr, sizeof(r->client_addr));
	if ((b = rb_lp(&r0, 1, STORE_SERIAL_MAX, &r->renew_serial_len)) != NULL)
		memcpy(r->renew_serial, b, r->renew_serial_len);
	if ((b = rb_lp(&r0, 1, STORE_SERIAL_MAX, &r->serial_len)) != NULL)
		memcpy(r->serial, b, r->serial_len);
	rb_str(&r0, 2, r->reason, sizeof(r->reason));
	if ((b = rb_lp(&r0, 1, STORE_CHALLENGE_ID_MAX,
	    &r->challenge_id_len)) != NULL)
		memcpy(r->challenge_id, b, r->challenge_id_len);
	return rb_done(&r0);
}

/*
 * Copy a borrowed request record out of the map into one allocation.
 * Returns STORE_OK with *out, STORE_CORRUPT or STORE_ERROR.
 */
static enum store_rc
req_copy(struct store *st, const struct store_reqkey *key, const MDB_val *v,
    struct store_req **out)
{
	struct store_req	*r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r) + v->mv_size)) == NULL) {
		seterr(st, "out of memory");
		return STORE_ERROR;
	}
	memcpy(r + 1, v->mv_data, v->mv_size);
	if (!req_decode(r + 1, v->mv_size, r)) {
		free(r);
		seterr(st, "corrupt request record");
		return STORE_CORRUPT;
	}
	r->key = *key;
	*out = r;
	return STORE_OK;
}

/*
 * Certificate, fingerprint and revocation records.
 */

static void
cert_encode(struct wbuf *w, const struct store_cert *c)
{
	wb_u8(w, REC_V1);
	wb_u8(w, (unsigned int)c->state);
	wb_u8(w, (unsigned int)c->origin);
	wb_u8(w, (unsigned int)c->reason);
	wb_i64(w, c->issued_at);
	wb_i64(w, c->not_before);
	wb_i64(w, c->not_after);
	wb_i64(w, c->revoked_at);
	wb_put(w, c->fp, STORE_HASH_LEN);
	wb_put(w, c->keyhash, STORE_HASH_LEN);
	wb_put(w, c->subjhash, STORE_HASH_LEN);
	wb_u8(w, c->has_req ? 1 : 0);
	if (c->has_req) {
		wb_lp(w, c->req.txid, c->req.txid_len, 1);
		wb_put(w, c->req.keyhash, STORE_HASH_LEN);
	}
	wb_lp(w, c->der, c->der_len, 4);
}

/*
 * Decode a certificate record and its key; c->der points into p.
 * Returns 1, or 0 on a corrupt record or key.
 */
static int
cert_decode(const MDB_val *k, const void *p, size_t len,
    struct store_cert *c)
{
	struct rbuf	 r;
	const uint8_t	*b;
	unsigned int	 has_req;

	memset(c, 0, sizeof(*c));
	if (!certkey_decode(k->mv_data, k->mv_size, c->tenant, c->serial,
	    &c->serial_len))
		return 0;
	rb_init(&r, p, len);
	if (rb_u8(&r) != REC_V1)
		return 0;
	c->state = (enum store_cert_state)rb_u8(&r);
	c->origin = (enum store_origin)rb_u8(&r);
	c->reason = (int)rb_u8(&r);
	if (c->state < STORE_CERT_VALID || c->state > STORE_CERT_REVOKED ||
	    c->origin < STORE_ORIGIN_SCEP || c->origin > STORE_ORIGIN_RA)
		return 0;
	c->issued_at = (time_t)rb_i64(&r);
	c->not_before = (time_t)rb_i64(&r);
	c->not_after = (time_t)rb_i64(&r);
	c->revoked_at = (time_t)rb_i64(&r);
	rb_copy(&r, c->fp, STORE_HASH_LEN);
	rb_copy(&r, c->keyhash, STORE_HASH_LEN);
	rb_copy(&r, c->subjhash, STORE_HASH_LEN);
	has_req = rb_u8(&r);
	if (has_req > 1)
		return 0;
	if (has_req) {
		c->has_req = 1;
		memcpy(c->req.tenant, c->tenant, sizeof(c->tenant));
		if ((b = rb_lp(&r, 1, STORE_TXID_MAX, &c->req.txid_len)) !=
		    NULL)
			memcpy(c->req.txid, b, c->req.txid_len);
		rb_copy(&r, c->req.keyhash, STORE_HASH_LEN);
		if (c->req.txid_len == 0)
			return 0;
	}
	c->der = rb_lp(&r, 4, UINT32_MAX, &c->der_len);
	return rb_done(&r) && c->der_len > 0;
}

/* Copy a borrowed certificate record into one allocation. */
static enum store_rc
cert_copy(struct store *st, const MDB_val *k, const MDB_val *v,
    struct store_cert **out)
{
	struct store_cert	*c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c) + v->mv_size)) == NULL) {
		seterr(st, "out of memory");
		return STORE_ERROR;
	}
	memcpy(c + 1, v->mv_data, v->mv_size);
	if (!cert_decode(k, c + 1, v->mv_size, c)) {
		free(c);
		seterr(st, "corrupt certificate record");
		return STORE_CORRUPT;
	}
	*out = c;
	return STORE_OK;
}

static void
fp_encode(struct wbuf *w, const struct store_cert *c)
{
	wb_u8(w, REC_V1);
	wb_u8(w, (unsigned int)c->state);
	wb_i64(w, c->not_before);
	wb_i64(w, c->not_after);
	wb_lp(w, c->tenant, strlen(c->tenant), 1);
	wb_lp(w, c->serial, c->serial_len, 1);
}

static int
fp_decode(const void *p, size_t len, struct store_fp *f)
{
	struct rbuf	 r;
	const uint8_t	*s;

	memset(f, 0, sizeof(*f));
	rb_init(&r, p, len);
	if (rb_u8(&r) != REC_V1)
		return 0;
	f->state = (enum store_cert_state)rb_u8(&r);
	f->not_before = (time_t)rb_i64(&r);
	f->not_after = (time_t)rb_i64(&r);
	rb_str(&r, 1, f->tenant, sizeof(f->tenant));
	if ((s = rb_lp(&r, 1, STORE_SERIAL_MAX, &f->serial_len)) != NULL)
		memcpy(f->serial, s, f->serial_len);
	return rb_done(&r) && f->serial_len > 0 &&
	    (f->state == STORE_CERT_VALID || f->state == STORE_CERT_REVOKED) &&
	    store_tenant_valid(f->tenant);
}

static void
revoked_encode(struct wbuf *w, const struct store_cert *c)
{
	wb_u8(w, REC_V1);
	wb_i64(w, c->revoked_at);
	wb_u8(w, (unsigned int)c->reason);
	wb_i64(w, c->not_after);
}

static int
revoked_decode(const MDB_val *k, const MDB_val *v, struct store_revoked *rv)
{
	struct rbuf	 r;
	char		 tenant[STORE_TENANT_MAX + 1];

	memset(rv, 0, sizeof(*rv));
	if (!certkey_decode(k->mv_data, k->mv_size, tenant, rv->serial,
	    &rv->serial_len))
		return 0;
	rb_init(&r, v->mv_data, v->mv_size);
	if (rb_u8(&r) != REC_V1)
		return 0;
	rv->revoked_at = (time_t)rb_i64(&r);
	rv->reason = (int)rb_u8(&r);
	rv->not_after = (time_t)rb_i64(&r);
	return rb_done(&r);
}

/*
 * Certificate preparation: everything derived from the DER, computed
 * outside the write transaction.
 */

/* ASN1_TIME to seconds since the epoch (civil-from-days inverse). */
static int
asn1time_epoch(const ASN1_TIME *t, int64_t *out)
{
	struct tm	 tm;
	int64_t		 y, m, era, yoe, doy, doe;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	y = (int64_t)tm.tm_year + 1900;
	m = tm.tm_mon + 1;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + tm.tm_mday - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*out = (era * 146097 + doe - 719468) * 86400 +
	    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return 1;
}

/*
 * The whole encoding of an ANY that must be a SEQUENCE (for
 * V_ASN1_SEQUENCE an ASN1_TYPE holds tag, length and contents).
 */
static int
any_seq(const ASN1_TYPE *t, const uint8_t **p, size_t *len)
{
	if (t == NULL || t->type != V_ASN1_SEQUENCE ||
	    t->value.sequence == NULL ||
	    t->value.sequence->length <= 0)
		return 0;
	*p = t->value.sequence->data;
	*len = (size_t)t->value.sequence->length;
	return 1;
}

/*
 * Parse der (exactly one certificate, no trailing bytes) and derive its
 * serial, fingerprint, key and subject hashes and validity.  Read with
 * SCEP_CERT (scep.h), a few microseconds: d2i_X509() would decode the
 * public key and cache the extensions, about 150 us per certificate on
 * OpenSSL 3.0, most of the cost of a bulk load.  The signature is not
 * checked: certificates come from our own CA.  Returns
 * STORE_OK, STORE_INVAL (not a usable certificate) or STORE_ERROR.
 */
static enum store_rc
cert_prepare(struct store *st, const uint8_t *der, size_t der_len,
    struct certprep *cp)
{
	SCEP_CERT		*c = NULL;
	const SCEP_TBS		*tbs;
	const unsigned char	*p = der;
	const uint8_t		*s, *subj, *spki;
	size_t			 slen, subj_len, spki_len;
	long			 version = 0;
	enum store_rc		 rc = STORE_INVAL;

	memset(cp, 0, sizeof(*cp));
	if (der == NULL || der_len == 0 || der_len > INT32_MAX) {
		seterr(st, "no certificate");
		goto out;
	}
	c = (SCEP_CERT *)ASN1_item_d2i(NULL, &p, (long)der_len,
	    ASN1_ITEM_rptr(SCEP_CERT));
	if (c == NULL || p != der + der_len) {
		seterr(st, "certificate DER does not parse");
		goto out;
	}
	tbs = c->tbs;
	if (tbs->version != NULL)
		version = ASN1_INTEGER_get(tbs->version);
	if (version < 0 || version > 2 ||
	    !any_seq(tbs->subject, &subj, &subj_len) ||
	    !any_seq(tbs->spki, &spki, &spki_len) ||
	    !any_seq(tbs->sigalg, &s, &slen) ||
	    !any_seq(c->sigalg, &s, &slen)) {
		seterr(st, "certificate fields malformed");
		goto out;
	}
	/* RFC 5280 4.1.2.2: positive, at most 20 octets. */
	if (ASN1_STRING_type(tbs->serial) != V_ASN1_INTEGER ||
	    !serial_norm(ASN1_STRING_get0_data(tbs->serial),
	    (size_t)ASN1_STRING_length(tbs->serial), &s, &slen)) {
		seterr(st, "certificate serial negative or too long");
		goto out;
	}
	memcpy(cp->serial, s, slen);
	cp->serial_len = slen;
	if (!asn1time_epoch(tbs->validity->notBefore, &cp->not_before) ||
	    !asn1time_epoch(tbs->validity->notAfter, &cp->not_after)) {
		seterr(st, "certificate validity does not parse");
		goto out;
	}
	rc = STORE_ERROR;
	if (!EVP_Digest(der, der_len, cp->fp, NULL, st->sha256, NULL) ||
	    !EVP_Digest(spki, spki_len, cp->keyhash, NULL, st->sha256,
	    NULL) ||
	    !EVP_Digest(subj, subj_len, cp->subjhash, NULL, st->sha256,
	    NULL)) {
		seterr(st, "SHA-256 failed");
		goto out;
	}
	rc = STORE_OK;
out:
	ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(SCEP_CERT));
	return rc;
}

/*
 * Transactions.
 */

/*
 * Begin a transaction (flags 0 or MDB_RDONLY).  A map grown by another
 * process (MDB_MAP_RESIZED) is adopted and the begin retried once.
 */
static enum store_rc
txn_begin(struct store *st, unsigned int flags, MDB_txn **txn)
{
	int	 rc;

	*txn = NULL;
	if (getpid() != st->pid) {
		seterr(st, "store used in a process that did not open it");
		return STORE_ERROR;
	}
	rc = mdb_txn_begin(st->env, NULL, flags, txn);
	if (rc == MDB_MAP_RESIZED) {
		if ((rc = mdb_env_set_mapsize(st->env, 0)) == 0)
			rc = mdb_txn_begin(st->env, NULL, flags, txn);
	}
	if (rc != 0) {
		*txn = NULL;
		return mdberr(st, rc, "mdb_txn_begin");
	}
	return STORE_OK;
}

/* Commit *txn, which is gone afterwards whatever the result. */
static enum store_rc
txn_commit(struct store *st, MDB_txn **txn)
{
	int	 rc;

	rc = mdb_txn_commit(*txn);
	*txn = NULL;
	return rc == 0 ? STORE_OK : mdberr(st, rc, "mdb_txn_commit");
}

/* Abort *txn if there is one. */
static void
txn_end(MDB_txn **txn)
{
	if (*txn != NULL)
		mdb_txn_abort(*txn);
	*txn = NULL;
}

static enum store_rc
db_get(struct store *st, MDB_txn *txn, enum tbl t, MDB_val *k, MDB_val *v)
{
	int	 rc;

	if ((rc = mdb_get(txn, st->dbi[t], k, v)) == 0)
		return STORE_OK;
	if (rc == MDB_NOTFOUND) {
		seterr(st, "%s: not found", tables[t].name);
		return STORE_NOTFOUND;
	}
	return mdberr(st, rc, tables[t].name);
}

static enum store_rc
db_put(struct store *st, MDB_txn *txn, enum tbl t, MDB_val *k,
    const struct wbuf *w, unsigned int flags)
{
	MDB_val	 v;
	int	 rc;

	if (w->bad) {
		seterr(st, "%s: out of memory or field too long",
		    tables[t].name);
		return STORE_ERROR;
	}
	v.mv_data = w->p;
	v.mv_size = w->len;
	if ((rc = mdb_put(txn, st->dbi[t], k, &v, flags)) != 0)
		return mdberr(st, rc, tables[t].name);
	return STORE_OK;
}

static enum store_rc
db_del(struct store *st, MDB_txn *txn, enum tbl t, MDB_val *k, MDB_val *v)
{
	int	 rc;

	if ((rc = mdb_del(txn, st->dbi[t], k, v)) != 0)
		return mdberr(st, rc, tables[t].name);
	return STORE_OK;
}

/*
 * Schema and open.
 */

/* Step 0 -> 1: create every sub-database. */
static enum store_rc
migrate_create_v1(struct store *st, MDB_txn *txn)
{
	MDB_dbi	 dbi;
	size_t	 i;
	int	 rc;

	for (i = 0; i < TBL__MAX; i++) {
		rc = mdb_dbi_open(txn, tables[i].name,
		    MDB_CREATE | tables[i].flags, &dbi);
		if (rc != 0)
			return mdberr(st, rc, tables[i].name);
	}
	return STORE_OK;
}

/* Step 1 -> 2: the one-time challenge and webhook queue tables. */
static enum store_rc
migrate_v2(struct store *st, MDB_txn *txn)
{
	static const enum tbl	 added[] = { TBL_CHALLENGE, TBL_JOB };
	MDB_dbi			 dbi;
	size_t			 i;
	int			 rc;

	for (i = 0; i < NELEM(added); i++) {
		rc = mdb_dbi_open(txn, tables[added[i]].name,
		    MDB_CREATE | tables[added[i]].flags, &dbi);
		if (rc != 0)
			return mdberr(st, rc, tables[added[i]].name);
	}
	return STORE_OK;
}

/*
 * Step 2 -> 3: CRLs are kept per CA (lp8(tenant) 'c' caid).  The one
 * CRL record of schema 2, lp8(tenant) 'd', names no CA: it is dropped
 * (it is a cache; the next GetCRL signs a new one) and the number
 * counters stay, so CRL numbers keep growing.
 */
static enum store_rc
migrate_v3(struct store *st, MDB_txn *txn)
{
	MDB_dbi		 dbi;
	MDB_cursor	*cur = NULL;
	MDB_val		 k, v;
	const uint8_t	*b;
	int		 rc;
	enum store_rc	 ret = STORE_OK;

	rc = mdb_dbi_open(txn, tables[TBL_CRL].name,
	    MDB_CREATE | tables[TBL_CRL].flags, &dbi);
	if (rc != 0)
		return mdberr(st, rc, tables[TBL_CRL].name);
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return mdberr(st, rc, tables[TBL_CRL].name);
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		b = k.mv_data;
		if (k.mv_size < 2 || k.mv_size != (size_t)b[0] + 2 ||
		    b[k.mv_size - 1] != 'd')
			continue;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		ret = mdberr(st, rc, tables[TBL_CRL].name);
	mdb_cursor_close(cur);
	return ret;
}

/*
 * migrations[v] turns schema v into v + 1, inside the open's write
 * transaction.  A schema change appends a step and bumps
 * STORE_SCHEMA_VERSION.  Step 0 -> 1 creates every table of the current
 * list, so later steps must be idempotent (MDB_CREATE is).
 */
static enum store_rc (*const migrations[])(struct store *, MDB_txn *) = {
	migrate_create_v1,
	migrate_v2,
	migrate_v3,
};
static_assert(NELEM(migrations) == STORE_SCHEMA_VERSION,
    "one migration step per schema version");

/*
 * Check the schema version in meta, run the missing migration steps
 * (creating the database when empty and create is set) and open every
 * sub-database handle.  One write transaction, so processes opening at
 * once see either no database or a whole one.
 */
static enum store_rc
schema_open(struct store *st, int create)
{
	MDB_txn		*txn = NULL;
	MDB_val		 k, v;
	struct wbuf	 w;
	uint8_t		 vbuf[4];
	const uint8_t	*b;
	uint32_t	 version = 0;
	size_t		 i;
	int		 rc;
	enum store_rc	 ret;

	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	ret = STORE_ERROR;
	rc = mdb_dbi_open(txn, tables[TBL_META].name, create ? MDB_CREATE : 0,
	    &st->dbi[TBL_META]);
	if (rc == MDB_NOTFOUND) {
		seterr(st, "not a scepd database (no meta table)");
		goto out;
	} else if (rc != 0) {
		ret = mdberr(st, rc, "meta");
		goto out;
	}
	k.mv_data = (void *)"version";
	k.mv_size = strlen("version");
	rc = mdb_get(txn, st->dbi[TBL_META], &k, &v);
	if (rc == 0) {
		if (v.mv_size != 4) {
			seterr(st, "corrupt schema version record");
			ret = STORE_CORRUPT;
			goto out;
		}
		b = v.mv_data;
		version = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
		if (version == 0) {
			seterr(st, "corrupt schema version 0");
			ret = STORE_CORRUPT;
			goto out;
		}
	} else if (rc != MDB_NOTFOUND) {
		ret = mdberr(st, rc, "meta");
		goto out;
	} else if (!create) {
		seterr(st, "database not initialised (no schema version)");
		goto out;
	}
	if (version > STORE_SCHEMA_VERSION) {
		seterr(st, "database schema version %u is newer than the %u "
		    "this program supports: upgrade scepd", version,
		    STORE_SCHEMA_VERSION);
		goto out;
	}
	if (version < STORE_SCHEMA_VERSION) {
		for (; version < STORE_SCHEMA_VERSION; version++)
			if ((ret = migrations[version](st, txn)) != STORE_OK)
				goto out;
		wb_fixed(&w, vbuf, sizeof(vbuf));
		wb_be(&w, version, 4);
		if ((ret = db_put(st, txn, TBL_META, &k, &w, 0)) != STORE_OK)
			goto out;
	}
	for (i = 1; i < TBL__MAX; i++) {
		rc = mdb_dbi_open(txn, tables[i].name, tables[i].flags,
		    &st->dbi[i]);
		if (rc != 0) {
			ret = mdberr(st, rc, tables[i].name);
			goto out;
		}
	}
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	return ret;
}

static void
store_free(struct store *st)
{
	if (st == NULL)
		return;
	/*
	 * In a forked child the env belongs to the parent: closing it
	 * here would clear the parent's reader slots.  Leave it.
	 */
	if (st->env != NULL && getpid() == st->pid)
		mdb_env_close(st->env);
	EVP_MD_free(st->sha256);
	free(st);
}

/*
 * Open the environment in path (see store.h).  Returns a store to
 * close with store_close(), or NULL with the reason in err.
 */
struct store *
store_open(const char *path, unsigned int flags, size_t mapsize, char *err,
    size_t errlen)
{
	struct store	*st = NULL, *ret = NULL;
	int		 rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		goto out;
	}
	st->pid = getpid();
	if (path == NULL || path[0] == '\0') {
		seterr(st, "no database directory");
		goto out;
	}
	if ((flags & STORE_CREATE) && mkdir(path, 0700) == -1 &&
	    errno != EEXIST) {
		seterr(st, "mkdir %s: %s", path, strerror(errno));
		goto out;
	}
	if ((st->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		seterr(st, "SHA-256 unavailable");
		goto out;
	}
	if ((rc = mdb_env_create(&st->env)) != 0) {
		st->env = NULL;
		mdberr(st, rc, "mdb_env_create");
		goto out;
	}
	/* The same in every process, set before mdb_env_open (B8). */
	if ((rc = mdb_env_set_mapsize(st->env, mapsize != 0 ? mapsize :
	    STORE_MAPSIZE_DEFAULT)) != 0 ||
	    (rc = mdb_env_set_maxreaders(st->env, STORE_MAXREADERS)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, TBL__MAX)) != 0) {
		mdberr(st, rc, "mdb_env_set");
		goto out;
	}
	/* No MDB_NOTLS: workers are single-threaded; default durability. */
	if ((rc = mdb_env_open(st->env, path, 0, 0600)) != 0) {
		seterr(st, "mdb_env_open %s: %s", path, mdb_strerror(rc));
		goto out;
	}
	if (schema_open(st, (flags & STORE_CREATE) != 0) != STORE_OK)
		goto out;
	ret = st;
	st = NULL;
out:
	if (st != NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", st->err);
		store_free(st);
	}
	return ret;
}

/*
 * Close st (NULL allowed).  Must be called by the process that opened
 * it; in another process only the memory is released.
 */
void
store_close(struct store *st)
{
	store_free(st);
}

/* A static description of rc. */
const char *
store_rc_str(enum store_rc rc)
{
	if ((size_t)rc >= STORE__MAX)
		return "unknown store result";
	return rc_strs[rc];
}

/* The detail of st's last failure; empty if none yet. */
const char *
store_errstr(const struct store *st)
{
	return st == NULL ? "no store" : st->err;
}

/*
 * Clear the reader slots of dead processes (mdb_reader_check).
 * Returns STORE_OK with *dead (may be NULL) the number cleared.
 */
enum store_rc
store_reader_check(struct store *st, int *dead)
{
	int	 n = 0, rc;

	if (dead != NULL)
		*dead = 0;
	if (getpid() != st->pid) {
		seterr(st, "store used in a process that did not open it");
		return STORE_ERROR;
	}
	if ((rc = mdb_reader_check(st->env, &n)) != 0)
		return mdberr(st, rc, "mdb_reader_check");
	if (dead != NULL)
		*dead = n;
	return STORE_OK;
}

/* Counts of the main tables and map usage, from one read txn. */
enum store_rc
store_stat(struct store *st, struct store_stat *sst)
{
	MDB_txn		*txn = NULL;
	MDB_stat	 ms;
	MDB_envinfo	 info;
	static const enum tbl which[] = {
		TBL_CERT, TBL_REVOKED, TBL_REQ, TBL_PENDING, TBL_NONCE,
	};
	size_t		*dst[NELEM(which)];
	size_t		 i;
	int		 rc;
	enum store_rc	 ret;

	memset(sst, 0, sizeof(*sst));
	dst[0] = &sst->certs;
	dst[1] = &sst->revoked;
	dst[2] = &sst->requests;
	dst[3] = &sst->pending;
	dst[4] = &sst->nonces;
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	for (i = 0; i < NELEM(which); i++) {
		if ((rc = mdb_stat(txn, st->dbi[which[i]], &ms)) != 0) {
			ret = mdberr(st, rc, "mdb_stat");
			goto out;
		}
		*dst[i] = ms.ms_entries;
	}
	if ((rc = mdb_env_info(st->env, &info)) != 0 ||
	    (rc = mdb_env_stat(st->env, &ms)) != 0) {
		ret = mdberr(st, rc, "mdb_env_info");
		goto out;
	}
	sst->map_size = info.me_mapsize;
	sst->map_used = (info.me_last_pgno + 1) * (size_t)ms.ms_psize;
	ret = STORE_OK;
out:
	txn_end(&txn);
	return ret;
}

/*
 * Requests.
 */

static enum store_rc	 req_insert(struct store *,
			    const struct store_req *, unsigned int,
			    const uint8_t *, size_t, time_t, struct store_req **);
static enum store_rc	 nonce_record(struct store *, MDB_txn *,
			    const struct store_reqkey *, const uint8_t *,
			    size_t, time_t, struct store_nonce *);

/*
 * Webhook jobs (key: the request's key).
 */

/* Write job under its request's key, replacing any. */
static enum store_rc
job_write(struct store *st, MDB_txn *txn, const struct store_job *job)
{
	struct wbuf	 kw, w;
	uint8_t		 kb[KEY_MAX];
	MDB_val		 k;
	enum store_rc	 ret;

	wb_heap(&w);
	wb_fixed(&kw, kb, sizeof(kb));
	key_req(&kw, &job->key);
	if (!key_done(st, &kw, &k)) {
		ret = STORE_INVAL;
		goto out;
	}
	wb_u8(&w, REC_V1);
	wb_i64(&w, job->enqueued);
	wb_i64(&w, job->next_at);
	wb_i64(&w, job->claimed_until);
	wb_be(&w, job->attempts, 4);
	wb_lp(&w, job->csr, job->csr_len, 4);
	ret = db_put(st, txn, TBL_JOB, &k, &w, 0);
out:
	wb_free(&w);
	return ret;
}

/*
 * Copy the borrowed job record (k, v) into one allocation *out.
 * Returns STORE_OK, STORE_CORRUPT or STORE_ERROR.
 */
static enum store_rc
job_copy(struct store *st, const MDB_val *k, const MDB_val *v,
    struct store_job **out)
{
	struct store_job	*j;
	struct rbuf		 r;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j) + v->mv_size)) == NULL) {
		seterr(st, "out of memory");
		return STORE_ERROR;
	}
	memcpy(j + 1, v->mv_data, v->mv_size);
	rb_init(&r, j + 1, v->mv_size);
	if (rb_u8(&r) != REC_V1 ||
	    !reqkey_decode(k->mv_data, k->mv_size, &j->key)) {
		free(j);
		seterr(st, "corrupt job record");
		return STORE_CORRUPT;
	}
	j->enqueued = (time_t)rb_i64(&r);
	j->next_at = (time_t)rb_i64(&r);
	j->claimed_until = (time_t)rb_i64(&r);
	j->attempts = (unsigned int)rb_be(&r, 4);
	j->csr = rb_lp(&r, 4, STORE_CSR_MAX, &j->csr_len);
	if (!rb_done(&r) || j->csr_len == 0) {
		free(j);
		seterr(st, "corrupt job record");
		return STORE_CORRUPT;
	}
	*out = j;
	return STORE_OK;
}

/*
 * Look up the record of table t under request key key in txn: *k (in
 * kb, KEY_MAX bytes) its key, *v its borrowed value.
 */
static enum store_rc
reqkey_get(struct store *st, MDB_txn *txn, enum tbl t,
    const struct store_reqkey *key, uint8_t *kb, MDB_val *k, MDB_val *v)
{
	struct wbuf	 kw;

	wb_fixed(&kw, kb, KEY_MAX);
	key_req(&kw, key);
	if (!key_done(st, &kw, k))
		return STORE_INVAL;
	return db_get(st, txn, t, k, v);
}

/* Read and copy the request under key in txn. */
static enum store_rc
req_read(struct store *st, MDB_txn *txn, const struct store_reqkey *key,
    struct store_req **out)
{
	uint8_t		 kb[KEY_MAX];
	MDB_val		 k, v;
	enum store_rc	 ret;

	*out = NULL;
	if ((ret = reqkey_get(st, txn, TBL_REQ, key, kb, &k, &v)) != STORE_OK)
		return ret;
	return req_copy(st, key, &v, out);
}

static enum store_rc	 challenge_settle(struct store *, MDB_txn *,
			    const struct store_req *);

/*
 * Write r under its key (replacing any record) and keep the pending
 * index in step: was_pending says whether the stored record (if any)
 * was PENDING.
 */
static enum store_rc
req_write(struct store *st, MDB_txn *txn, const struct store_req *r,
    int was_pending)
{
	struct wbuf	 kw, dw, w;
	uint8_t		 kb[KEY_MAX], db[KEY_MAX];
	MDB_val		 k, pk, pd;
	enum store_rc	 ret;

	wb_heap(&w);
	wb_fixed(&kw, kb, sizeof(kb));
	wb_fixed(&dw, db, sizeof(db));
	key_req(&kw, &r->key);
	key_pending_dup(&dw, &r->key);
	if (!key_done(st, &kw, &k) || !key_done(st, &dw, &pd)) {
		ret = STORE_INVAL;
		goto out;
	}
	pk.mv_data = (void *)r->key.tenant;
	pk.mv_size = strlen(r->key.tenant);
	req_encode(&w, r);
	if ((ret = db_put(st, txn, TBL_REQ, &k, &w, 0)) != STORE_OK)
		goto out;
	if (was_pending && r->state != STORE_REQ_PENDING)
		ret = db_del(st, txn, TBL_PENDING, &pk, &pd);
	else if (!was_pending && r->state == STORE_REQ_PENDING)
		ret = db_put(st, txn, TBL_PENDING, &pk, &dw, 0);
	/* A decision deletes the webhook job and its CSR (6.4). */
	if (ret == STORE_OK && was_pending && r->state != STORE_REQ_PENDING &&
	    (ret = db_del(st, txn, TBL_JOB, &k, NULL)) == STORE_NOTFOUND)
		ret = STORE_OK;
	/* The one-time challenge it used has now stored its outcome. */
	if (ret == STORE_OK && r->challenge_id_len > 0)
		ret = challenge_settle(st, txn, r);
out:
	wb_free(&w);
	return ret;
}

/* Number of PENDING requests of tenant (mdb_cursor_count on its dups). */
static enum store_rc
pending_count(struct store *st, MDB_txn *txn, const char *tenant,
    size_t *count)
{
	MDB_cursor	*cur = NULL;
	MDB_val		 k, v;
	size_t		 n = 0;
	int		 rc;
	enum store_rc	 ret = STORE_ERROR;

	*count = 0;
	if ((rc = mdb_cursor_open(txn, st->dbi[TBL_PENDING], &cur)) != 0) {
		ret = mdberr(st, rc, "pending");
		goto out;
	}
	k.mv_data = (void *)tenant;
	k.mv_size = strlen(tenant);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
	if (rc == MDB_NOTFOUND) {
		ret = STORE_OK;
		goto out;
	}
	if (rc != 0 || (rc = mdb_cursor_count(cur, &n)) != 0) {
		ret = mdberr(st, rc, "pending");
		goto out;
	}
	*count = (size_t)n;
	ret = STORE_OK;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	return ret;
}

/*
 * The request stored under key: STORE_OK with *out (free with
 * store_req_free()), STORE_NOTFOUND, or a failure.
 */
enum store_rc
store_req_get(struct store *st, const struct store_reqkey *key,
    struct store_req **out)
{
	MDB_txn		*txn = NULL;
	enum store_rc	 ret;

	*out = NULL;
	if (!reqkey_valid(key)) {
		seterr(st, "invalid request key");
		return STORE_INVAL;
	}
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	ret = req_read(st, txn, key, out);
out:
	txn_end(&txn);
	return ret;
}

/*
 * Insert a new PENDING or REJECTED request unless its key is stored
 * (STORE_EXISTS, *existing) or the tenant's PENDING quota is reached
 * (STORE_QUOTA).  See store.h.
 */
enum store_rc
store_req_insert(struct store *st, const struct store_req *req,
    unsigned int max_pending, struct store_req **existing)
{
	return req_insert(st, req, max_pending, NULL, 0, 0, existing);
}

/*
 * A PENDING request and its webhook job (with the CSR) in one write
 * transaction; see store.h.
 */
enum store_rc
store_req_insert_job(struct store *st, const struct store_req *req,
    unsigned int max_pending, const uint8_t *csr, size_t csr_len,
    time_t now, struct store_req **existing)
{
	if (existing != NULL)
		*existing = NULL;
	if (csr == NULL || csr_len == 0 || csr_len > STORE_CSR_MAX ||
	    req->state != STORE_REQ_PENDING) {
		seterr(st, "invalid job");
		return STORE_INVAL;
	}
	return req_insert(st, req, max_pending, csr, csr_len, now, existing);
}

/*
 * Insert req (store_req_insert()) and, when csr is not NULL, its job
 * due at now, in one write transaction.
 */
static enum store_rc
req_insert(struct store *st, const struct store_req *req,
    unsigned int max_pending, const uint8_t *csr, size_t csr_len,
    time_t now, struct store_req **existing)
{
	MDB_txn		*txn = NULL;
	size_t		 n;
	enum store_rc	 ret;

	if (existing != NULL)
		*existing = NULL;
	if (!req_valid(req) || req->state == STORE_REQ_ISSUED) {
		seterr(st, "invalid request");
		return STORE_INVAL;
	}
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	/* INTEROP.md 6.3: a stored request is never replaced. */
	if (existing != NULL)
		ret = req_read(st, txn, &req->key, existing);
	else {
		struct store_req	*tmp = NULL;

		ret = req_read(st, txn, &req->key, &tmp);
		store_req_free(tmp);
	}
	if (ret == STORE_OK) {
		seterr(st, "request already stored");
		ret = STORE_EXISTS;
		goto out;
	} else if (ret != STORE_NOTFOUND)
		goto out;
	if (req->state == STORE_REQ_PENDING && max_pending > 0) {
		if ((ret = pending_count(st, txn, req->key.tenant, &n)) !=
		    STORE_OK)
			goto out;
		if (n >= max_pending) {
			seterr(st, "tenant %s has %zu pending requests",
			    req->key.tenant, n);
			ret = STORE_QUOTA;
			goto out;
		}
	}
	/* Seen when the request came (now is 0 without a job). */
	if (req->nonce_len > 0 && (ret = nonce_record(st, txn, &req->key,
	    req->nonce, req->nonce_len, req->created, NULL)) != STORE_OK)
		goto out;
	if ((ret = req_write(st, txn, req, 0)) != STORE_OK)
		goto out;
	if (csr != NULL) {
		struct store_job	 job;

		memset(&job, 0, sizeof(job));
		job.key = req->key;
		job.enqueued = job.next_at = now;
		job.csr = csr;
		job.csr_len = csr_len;
		if ((ret = job_write(st, txn, &job)) != STORE_OK)
			goto out;
	}
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	return ret;
}

/* PENDING -> REJECTED with reason (NULL: none) at now. */
enum store_rc
store_req_reject(struct store *st, const struct store_reqkey *key,
    const char *reason, time_t now)
{
	MDB_txn			*txn = NULL;
	struct store_req	*r = NULL;
	size_t			 len;
	enum store_rc		 ret;

	len = reason == NULL ? 0 : strlen(reason);
	if (!reqkey_valid(key) || len > STORE_REASON_MAX) {
		seterr(st, "invalid request key or reason");
		return STORE_INVAL;
	}
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((ret = req_read(st, txn, key, &r)) != STORE_OK)
		goto out;
	if (r->state != STORE_REQ_PENDING) {
		seterr(st, "request is not pending");
		ret = STORE_STATE;
		goto out;
	}
	r->state = STORE_REQ_REJECTED;
	r->updated = now;
	memcpy(r->reason, reason == NULL ? "" : reason, len);
	r->reason[len] = '\0';
	if ((ret = req_write(st, txn, r, 1)) != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	store_req_free(r);
	return ret;
}

/* Record the first delivery of an ISSUED request (reissue_window). */
enum store_rc
store_req_set_delivered(struct store *st, const struct store_reqkey *key,
    time_t now)
{
	MDB_txn			*txn = NULL;
	struct store_req	*r = NULL;
	enum store_rc		 ret;

	if (!reqkey_valid(key)) {
		seterr(st, "invalid request key");
		return STORE_INVAL;
	}
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((ret = req_read(st, txn, key, &r)) != STORE_OK)
		goto out;
	if (r->state != STORE_REQ_ISSUED) {
		seterr(st, "request is not issued");
		ret = STORE_STATE;
		goto out;
	}
	if (r->delivered != 0) {
		/* Keep the first delivery: nothing to write. */
		ret = STORE_OK;
		goto out;
	}
	r->delivered = now;
	r->updated = now;
	if ((ret = req_write(st, txn, r, 0)) != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	store_req_free(r);
	return ret;
}

/*
 * Delete the finished request under key if its CSR hash is csr_hash
 * (NULL: any), so the key can start a new transaction.  See store.h.
 */
enum store_rc
store_req_retire(struct store *st, const struct store_reqkey *key,
    const uint8_t csr_hash[STORE_HASH_LEN])
{
	MDB_txn			*txn = NULL;
	struct store_req	*r = NULL;
	struct wbuf		 kw;
	uint8_t			 kb[KEY_MAX];
	MDB_val			 k;
	enum store_rc		 ret;

	if (!reqkey_valid(key)) {
		seterr(st, "invalid request key");
		return STORE_INVAL;
	}
	wb_fixed(&kw, kb, sizeof(kb));
	key_req(&kw, key);
	if (!key_done(st, &kw, &k))
		return STORE_INVAL;
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((ret = req_read(st, txn, key, &r)) != STORE_OK)
		goto out;
	/* A PENDING request is never replaced (INTEROP.md 6.3). */
	if (r->state == STORE_REQ_PENDING || (csr_hash != NULL &&
	    memcmp(r->csr_hash, csr_hash, STORE_HASH_LEN) != 0)) {
		seterr(st, "request is pending or has another CSR");
		ret = STORE_STATE;
		goto out;
	}
	if ((ret = db_del(st, txn, TBL_REQ, &k, NULL)) != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	store_req_free(r);
	return ret;
}

/*
 * Call cb for each PENDING request of tenant (NULL: every tenant), from
 * one read transaction.  The request passed to cb is borrowed.
 */
enum store_rc
store_req_list(struct store *st, const char *tenant, store_req_cb cb,
    void *arg)
{
	MDB_txn			*txn = NULL;
	MDB_cursor		*cur = NULL;
	MDB_val			 pk, pd, k, v;
	struct store_req	 r;
	struct wbuf		 kw;
	uint8_t			 kb[KEY_MAX];
	int			 rc, op;
	enum store_rc		 ret;

	if (tenant != NULL && !store_tenant_valid(tenant)) {
		seterr(st, "invalid tenant name");
		return STORE_INVAL;
	}
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	if ((rc = mdb_cursor_open(txn, st->dbi[TBL_PENDING], &cur)) != 0) {
		ret = mdberr(st, rc, "pending");
		goto out;
	}
	if (tenant != NULL) {
		pk.mv_data = (void *)tenant;
		pk.mv_size = strlen(tenant);
		op = MDB_SET;
	} else
		op = MDB_FIRST;
	ret = STORE_OK;
	while ((rc = mdb_cursor_get(cur, &pk, &pd, op)) == 0) {
		op = tenant != NULL ? MDB_NEXT_DUP : MDB_NEXT;
		/* The request key is lp8(tenant) followed by the dup. */
		wb_fixed(&kw, kb, sizeof(kb));
		wb_lp(&kw, pk.mv_data, pk.mv_size, 1);
		wb_put(&kw, pd.mv_data, pd.mv_size);
		memset(&r, 0, sizeof(r));
		if (!key_done(st, &kw, &k) ||
		    !reqkey_decode(k.mv_data, k.mv_size, &r.key)) {
			seterr(st, "corrupt pending index");
			ret = STORE_CORRUPT;
			goto out;
		}
		if ((ret = db_get(st, txn, TBL_REQ, &k, &v)) != STORE_OK) {
			if (ret == STORE_NOTFOUND) {
				seterr(st, "pending index names a missing "
				    "request");
				ret = STORE_CORRUPT;
			}
			goto out;
		}
		if (!req_decode(v.mv_data, v.mv_size, &r)) {
			seterr(st, "corrupt request record");
			ret = STORE_CORRUPT;
			goto out;
		}
		if (!cb(&r, arg))
			break;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		ret = mdberr(st, rc, "pending");
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	txn_end(&txn);
	return ret;
}

/*
 * Reject every PENDING request created at or before now - ttl, in one
 * write transaction: the keys are collected first, then updated.
 */
enum store_rc
store_pending_expire(struct store *st, time_t now, time_t ttl,
    size_t *expired)
{
	MDB_txn			*txn = NULL;
	MDB_cursor		*cur = NULL;
	MDB_val			 pk, pd;
	struct store_reqkey	*keys = NULL, *nk;
	struct store_req	*r = NULL;
	struct wbuf		 kw;
	uint8_t			 kb[KEY_MAX];
	size_t			 n = 0, cap = 0, i, done = 0;
	int			 rc;
	enum store_rc		 ret;

	if (expired != NULL)
		*expired = 0;
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((rc = mdb_cursor_open(txn, st->dbi[TBL_PENDING], &cur)) != 0) {
		ret = mdberr(st, rc, "pending");
		goto out;
	}
	/* Pass 1: copy every pending key (bounded by the quotas). */
	while ((rc = mdb_cursor_get(cur, &pk, &pd,
	    n == 0 && cap == 0 ? MDB_FIRST : MDB_NEXT)) == 0) {
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nk = reallocarray(keys, cap, sizeof(*keys))) ==
			    NULL) {
				seterr(st, "out of memory");
				ret = STORE_ERROR;
				goto out;
			}
			keys = nk;
		}
		wb_fixed(&kw, kb, sizeof(kb));
		wb_lp(&kw, pk.mv_data, pk.mv_size, 1);
		wb_put(&kw, pd.mv_data, pd.mv_size);
		if (kw.bad || !reqkey_decode(kb, kw.len, &keys[n])) {
			seterr(st, "corrupt pending index");
			ret = STORE_CORRUPT;
			goto out;
		}
		n++;
	}
	if (rc != MDB_NOTFOUND) {
		ret = mdberr(st, rc, "pending");
		goto out;
	}
	mdb_cursor_close(cur);
	cur = NULL;
	/* Pass 2: reject the old ones. */
	for (i = 0; i < n; i++) {
		if ((ret = req_read(st, txn, &keys[i], &r)) != STORE_OK)
			goto out;
		if (r->state == STORE_REQ_PENDING && r->created <= now - ttl) {
			r->state = STORE_REQ_REJECTED;
			r->updated = now;
			snprintf(r->reason, sizeof(r->reason),
			    "pending_ttl expired");
			if ((ret = req_write(st, txn, r, 1)) != STORE_OK)
				goto out;
			done++;
		}
		store_req_free(r);
		r = NULL;
	}
	if ((ret = txn_commit(st, &txn)) != STORE_OK)
		goto out;
	if (expired != NULL)
		*expired = done;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	txn_end(&txn);
	store_req_free(r);
	free(keys);
	return ret;
}

/* Free a request returned by the store (one allocation). */
void
store_req_free(struct store_req *req)
{
	free(req);
}

/*
 * Claim the first due, unleased job; see store.h.  Jobs of requests
 * decided meanwhile (by an operator, pending_ttl) are dropped.
 */
enum store_rc
store_job_claim(struct store *st, time_t now, time_t lease,
    struct store_job **out)
{
	MDB_txn			*txn = NULL;
	MDB_cursor		*cur = NULL;
	MDB_val			 k, v;
	struct store_job	*j = NULL;
	struct store_req	*r = NULL;
	enum store_rc		 ret;
	int			 rc, corrupt = 0;

	*out = NULL;
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((rc = mdb_cursor_open(txn, st->dbi[TBL_JOB], &cur)) != 0) {
		ret = mdberr(st, rc, "job");
		goto out;
	}
	ret = STORE_NOTFOUND;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		store_job_free(j);
		j = NULL;
		ret = job_copy(st, &k, &v, &j);
		if (ret == STORE_CORRUPT) {
			/* Dropped: its request waits for an operator. */
			if ((rc = mdb_cursor_del(cur, 0)) != 0) {
				ret = mdberr(st, rc, "job");
				goto out;
			}
			corrupt = 1;
			ret = STORE_NOTFOUND;
			continue;
		}
		if (ret != STORE_OK)
			goto out;
		store_req_free(r);
		r = NULL;
		ret = req_read(st, txn, &j->key, &r);
		if (ret == STORE_NOTFOUND ||
		    (ret == STORE_OK && r->state != STORE_REQ_PENDING)) {
			/* Decided without the dispatcher: drop the CSR. */
			if ((rc = mdb_cursor_del(cur, 0)) != 0) {
				ret = mdberr(st, rc, "job");
				goto out;
			}
			ret = STORE_NOTFOUND;
			continue;
		}
		if (ret != STORE_OK)
			goto out;
		ret = STORE_NOTFOUND;
		if (j->next_at > now || j->claimed_until > now)
			continue;
		j->claimed_until = now + lease;
		ret = STORE_OK;
		break;
	}
	if (rc != 0 && rc != MDB_NOTFOUND) {
		ret = mdberr(st, rc, "job");
		goto out;
	}
	mdb_cursor_close(cur);
	cur = NULL;
	if (ret == STORE_OK && (ret = job_write(st, txn, j)) != STORE_OK)
		goto out;
	/* Commit the lease, or the deletions of decided jobs. */
	if (ret == STORE_OK) {
		if ((ret = txn_commit(st, &txn)) != STORE_OK)
			goto out;
	} else if (txn_commit(st, &txn) != STORE_OK) {
		ret = STORE_ERROR;
		goto out;
	}
	if (ret == STORE_OK) {
		*out = j;
		j = NULL;
	} else if (corrupt) {
		seterr(st, "corrupt job record deleted");
		ret = STORE_CORRUPT;
	} else
		seterr(st, "no job due");
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	txn_end(&txn);
	store_job_free(j);
	store_req_free(r);
	return ret;
}

/* Read the job of key in txn into *out. */
static enum store_rc
job_read(struct store *st, MDB_txn *txn, const struct store_reqkey *key,
    struct store_job **out)
{
	uint8_t		 kb[KEY_MAX];
	MDB_val		 k, v;
	enum store_rc	 ret;

	*out = NULL;
	if ((ret = reqkey_get(st, txn, TBL_JOB, key, kb, &k, &v)) != STORE_OK)
		return ret;
	return job_copy(st, &k, &v, out);
}

/* A failed call: attempts + 1, due again at next_at, lease released. */
enum store_rc
store_job_retry(struct store *st, const struct store_reqkey *key,
    time_t next_at)
{
	MDB_txn			*txn = NULL;
	struct store_job	*j = NULL;
	enum store_rc		 ret;

	if (!reqkey_valid(key)) {
		seterr(st, "invalid request key");
		return STORE_INVAL;
	}
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((ret = job_read(st, txn, key, &j)) != STORE_OK)
		goto out;
	j->attempts++;
	j->next_at = next_at;
	j->claimed_until = 0;
	if ((ret = job_write(st, txn, j)) != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	store_job_free(j);
	return ret;
}

/* Delete the job of key (its request stays as it is). */
enum store_rc
store_job_delete(struct store *st, const struct store_reqkey *key)
{
	MDB_txn		*txn = NULL;
	struct wbuf	 kw;
	uint8_t		 kb[KEY_MAX];
	MDB_val		 k;
	enum store_rc	 ret;

	if (!reqkey_valid(key)) {
		seterr(st, "invalid request key");
		return STORE_INVAL;
	}
	wb_fixed(&kw, kb, sizeof(kb));
	key_req(&kw, key);
	if (!key_done(st, &kw, &k))
		return STORE_INVAL;
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((ret = db_del(st, txn, TBL_JOB, &k, NULL)) != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	return ret;
}

/* The number of queued jobs. */
enum store_rc
store_job_count(struct store *st, size_t *count)
{
	MDB_txn		*txn = NULL;
	MDB_stat	 ms;
	enum store_rc	 ret;
	int		 rc;

	*count = 0;
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	if ((rc = mdb_stat(txn, st->dbi[TBL_JOB], &ms)) != 0) {
		ret = mdberr(st, rc, "job");
		goto out;
	}
	*count = ms.ms_entries;
out:
	txn_end(&txn);
	return ret;
}

/* Free a job; NULL is allowed. */
void
store_job_free(struct store_job *job)
{
	/* The CSR holds the challenge password. */
	if (job != NULL && job->csr != NULL)
		OPENSSL_cleanse((void *)job->csr, job->csr_len);
	free(job);
}

/*
 * Certificates.
 */

/*
 * Store a prepared certificate and its indexes in txn.  The serial (or
 * the exact DER) already stored is STORE_SERIAL_TAKEN; the caller then
 * aborts txn, so nothing is written.
 */
static enum store_rc
cert_put(struct store *st, MDB_txn *txn, const char *tenant,
    const struct certprep *cp, const uint8_t *der, size_t der_len,
    enum store_origin origin, time_t issued_at,
    const struct store_reqkey *req)
{
	struct store_cert	 c;
	struct wbuf		 kw, w, dw;
	uint8_t			 kb[KEY_MAX], db[KEY_MAX];
	MDB_val			 k;
	enum store_rc		 ret;

	memset(&c, 0, sizeof(c));
	memcpy(c.tenant, tenant, strlen(tenant) + 1);
	memcpy(c.serial, cp->serial, cp->serial_len);
	c.serial_len = cp->serial_len;
	c.der = der;
	c.der_len = der_len;
	c.state = STORE_CERT_VALID;
	c.origin = origin;
	c.issued_at = issued_at;
	c.not_before = (time_t)cp->not_before;
	c.not_after = (time_t)cp->not_after;
	memcpy(c.fp, cp->fp, STORE_HASH_LEN);
	memcpy(c.keyhash, cp->keyhash, STORE_HASH_LEN);
	memcpy(c.subjhash, cp->subjhash, STORE_HASH_LEN);
	if (req != NULL) {
		c.has_req = 1;
		c.req = *req;
	}

	wb_heap(&w);
	/* cert: the serial must be new. */
	wb_fixed(&kw, kb, sizeof(kb));
	key_cert(&kw, tenant, c.serial, c.serial_len);
	cert_encode(&w, &c);
	if (!key_done(st, &kw, &k)) {
		ret = STORE_INVAL;
		goto out;
	}
	ret = db_put(st, txn, TBL_CERT, &k, &w, MDB_NOOVERWRITE);
	if (ret == STORE_EXISTS) {
		seterr(st, "serial already taken in tenant %s", tenant);
		ret = STORE_SERIAL_TAKEN;
	}
	if (ret != STORE_OK)
		goto out;
	/* cert_fp: global, one lookup for the gateway. */
	k.mv_data = c.fp;
	k.mv_size = STORE_HASH_LEN;
	w.len = 0;
	fp_encode(&w, &c);
	ret = db_put(st, txn, TBL_CERT_FP, &k, &w, MDB_NOOVERWRITE);
	if (ret == STORE_EXISTS) {
		seterr(st, "certificate already stored");
		ret = STORE_SERIAL_TAKEN;
	}
	if (ret != STORE_OK)
		goto out;
	/* cert_key and cert_subj: dups lp8(serial). */
	wb_fixed(&dw, db, sizeof(db));
	wb_lp(&dw, c.serial, c.serial_len, 1);
	wb_fixed(&kw, kb, sizeof(kb));
	key_tenant(&kw, tenant);
	wb_put(&kw, c.keyhash, STORE_HASH_LEN);
	if (!key_done(st, &kw, &k)) {
		ret = STORE_INVAL;
		goto out;
	}
	if ((ret = db_put(st, txn, TBL_CERT_KEY, &k, &dw, 0)) != STORE_OK)
		goto out;
	wb_fixed(&kw, kb, sizeof(kb));
	key_tenant(&kw, tenant);
	wb_put(&kw, c.subjhash, STORE_HASH_LEN);
	if (!key_done(st, &kw, &k)) {
		ret = STORE_INVAL;
		goto out;
	}
	if ((ret = db_put(st, txn, TBL_CERT_SUBJ, &k, &dw, 0)) != STORE_OK)
		goto out;
	/* cert_exp: lp8(tenant) time(notAfter) lp8(serial), empty value. */
	wb_fixed(&kw, kb, sizeof(kb));
	key_tenant(&kw, tenant);
	wb_timekey(&kw, cp->not_after);
	wb_lp(&kw, c.serial, c.serial_len, 1);
	if (!key_done(st, &kw, &k)) {
		ret = STORE_INVAL;
		goto out;
	}
	w.len = 0;
	ret = db_put(st, txn, TBL_CERT_EXP, &k, &w, 0);
out:
	wb_free(&w);
	return ret;
}

/*
 * Issue (INTEROP.md 6.3): certificate, indexes and request state in one
 * write transaction.  See store.h.
 */
enum store_rc
store_issue(struct store *st, const struct store_req *req,
    const uint8_t *der, size_t der_len, time_t now,
    struct store_req **existing)
{
	MDB_txn			*txn = NULL;
	struct store_req	*cur = NULL, upd;
	struct certprep		 cp;
	int			 was_pending = 0;
	enum store_rc		 ret;

	if (existing != NULL)
		*existing = NULL;
	if (!req_valid(req)) {
		seterr(st, "invalid request");
		return STORE_INVAL;
	}
	/* Parse and hash before the write transaction. */
	if ((ret = cert_prepare(st, der, der_len, &cp)) != STORE_OK)
		return ret;
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	ret = req_read(st, txn, &req->key, &cur);
	if (ret == STORE_OK) {
		/* An approval: only of this very CSR, still PENDING. */
		if (cur->state != STORE_REQ_PENDING ||
		    memcmp(cur->csr_hash, req->csr_hash, STORE_HASH_LEN) != 0) {
			seterr(st, "request already stored");
			ret = STORE_EXISTS;
			if (existing != NULL) {
				*existing = cur;
				cur = NULL;
			}
			goto out;
		}
		upd = *cur;
		was_pending = 1;
	} else if (ret == STORE_NOTFOUND) {
		/* Automatic approval: the request is stored ISSUED. */
		upd = *req;
		if (upd.created == 0)
			upd.created = now;
		if (req->nonce_len > 0 && (ret = nonce_record(st, txn,
		    &req->key, req->nonce, req->nonce_len, now, NULL)) !=
		    STORE_OK)
			goto out;
	} else
		goto out;
	upd.state = STORE_REQ_ISSUED;
	upd.updated = now;
	/*
	 * An approval is delivered later (CertPoll); an automatic one may
	 * be answered at once: the caller's delivered saves the write
	 * transaction of store_req_set_delivered().
	 */
	upd.delivered = was_pending ? 0 : req->delivered;
	upd.reason[0] = '\0';
	memcpy(upd.serial, cp.serial, cp.serial_len);
	upd.serial_len = cp.serial_len;
	if ((ret = cert_put(st, txn, req->key.tenant, &cp, der, der_len,
	    STORE_ORIGIN_SCEP, now, &req->key)) != STORE_OK)
		goto out;
	if ((ret = req_write(st, txn, &upd, was_pending)) != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	store_req_free(cur);
	return ret;
}

/* Store one certificate without a request (scepadm issue, the RA). */
enum store_rc
store_cert_add(struct store *st, const struct store_cert_in *in)
{
	return store_bulk_load(st, in, 1, 1, NULL);
}

/*
 * Store n certificates, per_txn (0: BULK_PER_TXN) per write
 * transaction.  Parsing happens inside the transaction here: this is
 * the seeding path, not the worker's.
 */
enum store_rc
store_bulk_load(struct store *st, const struct store_cert_in *in, size_t n,
    size_t per_txn, size_t *loaded)
{
	MDB_txn		*txn = NULL;
	struct certprep	 cp;
	size_t		 done = 0, i, m;
	enum store_rc	 ret = STORE_OK;

	if (loaded != NULL)
		*loaded = 0;
	if (per_txn == 0)
		per_txn = BULK_PER_TXN;
	while (done < n) {
		m = n - done < per_txn ? n - done : per_txn;
		if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
			goto out;
		for (i = done; i < done + m; i++) {
			if (!store_tenant_valid(in[i].tenant) ||
			    in[i].origin < STORE_ORIGIN_SCEP ||
			    in[i].origin > STORE_ORIGIN_RA) {
				seterr(st, "invalid tenant or origin");
				ret = STORE_INVAL;
				goto out;
			}
			if ((ret = cert_prepare(st, in[i].der, in[i].der_len,
			    &cp)) != STORE_OK)
				goto out;
			if ((ret = cert_put(st, txn, in[i].tenant, &cp,
			    in[i].der, in[i].der_len, in[i].origin,
			    in[i].issued_at, NULL)) != STORE_OK)
				goto out;
		}
		if ((ret = txn_commit(st, &txn)) != STORE_OK)
			goto out;
		done += m;
		if (loaded != NULL)
			*loaded = done;
	}
out:
	txn_end(&txn);
	return ret;
}

/* Read and copy the certificate (tenant, serial) in txn. */
static enum store_rc
cert_read(struct store *st, MDB_txn *txn, const char *tenant,
    const uint8_t *serial, size_t serial_len, struct store_cert **out)
{
	struct wbuf	 kw;
	uint8_t		 kb[KEY_MAX];
	MDB_val		 k, v;
	enum store_rc	 ret;

	*out = NULL;
	wb_fixed(&kw, kb, sizeof(kb));
	key_cert(&kw, tenant, serial, serial_len);
	if (!key_done(st, &kw, &k))
		return STORE_INVAL;
	if ((ret = db_get(st, txn, TBL_CERT, &k, &v)) != STORE_OK)
		return ret;
	return cert_copy(st, &k, &v, out);
}

/*
 * The certificate (tenant, serial): STORE_OK with *out (free with
 * store_cert_free()), STORE_NOTFOUND or a failure.
 */
enum store_rc
store_cert_get(struct store *st, const char *tenant, const uint8_t *serial,
    size_t serial_len, struct store_cert **out)
{
	MDB_txn		*txn = NULL;
	const uint8_t	*s;
	size_t		 slen;
	enum store_rc	 ret;

	*out = NULL;
	if (!store_tenant_valid(tenant) ||
	    !serial_norm(serial, serial_len, &s, &slen)) {
		seterr(st, "invalid tenant or serial");
		return STORE_INVAL;
	}
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	ret = cert_read(st, txn, tenant, s, slen, out);
out:
	txn_end(&txn);
	return ret;
}

/* The fingerprint record of fp in txn, decoded into *f. */
static enum store_rc
fp_read(struct store *st, MDB_txn *txn, const uint8_t *fp,
    struct store_fp *f)
{
	MDB_val		 k, v;
	enum store_rc	 ret;

	k.mv_data = (void *)fp;
	k.mv_size = STORE_HASH_LEN;
	if ((ret = db_get(st, txn, TBL_CERT_FP, &k, &v)) != STORE_OK)
		return ret;
	if (!fp_decode(v.mv_data, v.mv_size, f)) {
		seterr(st, "corrupt fingerprint record");
		return STORE_CORRUPT;
	}
	return STORE_OK;
}

/* Tenant, serial, state and validity of the certificate fp: one get. */
enum store_rc
store_fp_status(struct store *st, const uint8_t fp[STORE_HASH_LEN],
    struct store_fp *out)
{
	MDB_txn		*txn = NULL;
	enum store_rc	 ret;

	memset(out, 0, sizeof(*out));
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	ret = fp_read(st, txn, fp, out);
out:
	txn_end(&txn);
	return ret;
}

/* The whole certificate with fingerprint fp, in any tenant. */
enum store_rc
store_cert_by_fp(struct store *st, const uint8_t fp[STORE_HASH_LEN],
    struct store_cert **out)
{
	MDB_txn		*txn = NULL;
	struct store_fp	 f;
	enum store_rc	 ret;

	*out = NULL;
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	if ((ret = fp_read(st, txn, fp, &f)) != STORE_OK)
		goto out;
	if ((ret = cert_read(st, txn, f.tenant, f.serial, f.serial_len,
	    out)) == STORE_NOTFOUND) {
		seterr(st, "fingerprint index names a missing certificate");
		ret = STORE_CORRUPT;
	}
out:
	txn_end(&txn);
	return ret;
}

/*
 * Look up the certificate lp8(tenant) + serial-key (the lp8(serial) of
 * an index) in txn and hand it, borrowed, to cb.  *more is cb's answer.
 */
static enum store_rc
cert_visit(struct store *st, MDB_txn *txn, const char *tenant,
    const MDB_val *lpserial, store_cert_cb cb, void *arg, int *more)
{
	struct store_cert	 c;
	struct wbuf		 kw;
	uint8_t			 kb[KEY_MAX];
	MDB_val			 k, v;
	enum store_rc		 ret;

	wb_fixed(&kw, kb, sizeof(kb));
	key_tenant(&kw, tenant);
	wb_put(&kw, lpserial->mv_data, lpserial->mv_size);
	if (!key_done(st, &kw, &k))
		return STORE_CORRUPT;
	if ((ret = db_get(st, txn, TBL_CERT, &k, &v)) != STORE_OK) {
		if (ret == STORE_NOTFOUND) {
			seterr(st, "index names a missing certificate");
			ret = STORE_CORRUPT;
		}
		return ret;
	}
	if (!cert_decode(&k, v.mv_data, v.mv_size, &c)) {
		seterr(st, "corrupt certificate record");
		return STORE_CORRUPT;
	}
	*more = cb(&c, arg);
	return STORE_OK;
}

/* Walk the dups of a hash index (cert_key, cert_subj) for tenant. */
static enum store_rc
certs_by_hash(struct store *st, enum tbl t, const char *tenant,
    const uint8_t *hash, store_cert_cb cb, void *arg)
{
	MDB_txn		*txn = NULL;
	MDB_cursor	*cur = NULL;
	MDB_val		 k, d;
	struct wbuf	 kw;
	uint8_t		 kb[KEY_MAX];
	int		 rc, op = MDB_SET, more = 1;
	enum store_rc	 ret;

	if (!store_tenant_valid(tenant) || hash == NULL) {
		seterr(st, "invalid tenant or hash");
		return STORE_INVAL;
	}
	wb_fixed(&kw, kb, sizeof(kb));
	key_tenant(&kw, tenant);
	wb_put(&kw, hash, STORE_HASH_LEN);
	if (!key_done(st, &kw, &k))
		return STORE_INVAL;
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	if ((rc = mdb_cursor_open(txn, st->dbi[t], &cur)) != 0) {
		ret = mdberr(st, rc, tables[t].name);
		goto out;
	}
	while (more && (rc = mdb_cursor_get(cur, &k, &d, op)) == 0) {
		op = MDB_NEXT_DUP;
		if ((ret = cert_visit(st, txn, tenant, &d, cb, arg, &more)) !=
		    STORE_OK)
			goto out;
	}
	ret = more && rc != MDB_NOTFOUND ? mdberr(st, rc, tables[t].name) :
	    STORE_OK;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	txn_end(&txn);
	return ret;
}

/* Certificates of tenant for the key with SPKI SHA-256 keyhash. */
enum store_rc
store_certs_by_key(struct store *st, const char *tenant,
    const uint8_t keyhash[STORE_HASH_LEN], store_cert_cb cb, void *arg)
{
	return certs_by_hash(st, TBL_CERT_KEY, tenant, keyhash, cb, arg);
}

/* Certificates of tenant whose subject DER has SHA-256 subjhash. */
enum store_rc
store_certs_by_subject(struct store *st, const char *tenant,
    const uint8_t subjhash[STORE_HASH_LEN], store_cert_cb cb, void *arg)
{
	return certs_by_hash(st, TBL_CERT_SUBJ, tenant, subjhash, cb, arg);
}

/* Certificates of tenant with from <= notAfter < to, by notAfter. */
enum store_rc
store_certs_expiring(struct store *st, const char *tenant, time_t from,
    time_t to, store_cert_cb cb, void *arg)
{
	MDB_txn		*txn = NULL;
	MDB_cursor	*cur = NULL;
	MDB_val		 k, d, ser;
	struct wbuf	 kw, tw;
	const uint8_t	*s;
	uint8_t		 kb[KEY_MAX], tb[8];
	size_t		 plen;
	int		 rc, op = MDB_SET_RANGE, more = 1;
	enum store_rc	 ret;

	if (!store_tenant_valid(tenant)) {
		seterr(st, "invalid tenant name");
		return STORE_INVAL;
	}
	wb_fixed(&kw, kb, sizeof(kb));
	key_tenant(&kw, tenant);
	plen = kw.len;
	wb_timekey(&kw, from);
	wb_fixed(&tw, tb, sizeof(tb));
	wb_timekey(&tw, to);
	if (!key_done(st, &kw, &k))
		return STORE_INVAL;
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	if ((rc = mdb_cursor_open(txn, st->dbi[TBL_CERT_EXP], &cur)) != 0) {
		ret = mdberr(st, rc, "cert_exp");
		goto out;
	}
	while (more && (rc = mdb_cursor_get(cur, &k, &d, op)) == 0) {
		op = MDB_NEXT;
		/* Past this tenant's keys, or at/after to: done. */
		if (k.mv_size < plen + 8 || memcmp(k.mv_data, kb, plen) != 0 ||
		    memcmp((uint8_t *)k.mv_data + plen, tb, 8) >= 0)
			break;
		/* The rest is lp8(serial). */
		ser.mv_data = (uint8_t *)k.mv_data + plen + 8;
		ser.mv_size = k.mv_size - plen - 8;
		s = ser.mv_data;
		if (ser.mv_size < 2 || s[0] != ser.mv_size - 1 ||
		    s[0] > STORE_SERIAL_MAX) {
			seterr(st, "corrupt expiry index");
			ret = STORE_CORRUPT;
			goto out;
		}
		if ((ret = cert_visit(st, txn, tenant, &ser, cb, arg, &more)) !=
		    STORE_OK)
			goto out;
	}
	ret = more && rc != 0 && rc != MDB_NOTFOUND ?
	    mdberr(st, rc, "cert_exp") : STORE_OK;
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	txn_end(&txn);
	return ret;
}

/*
 * Revoke (tenant, serial) at when with CRLReason reason: the record,
 * the fingerprint record and the revocation index in one transaction.
 */
enum store_rc
store_cert_revoke(struct store *st, const char *tenant,
    const uint8_t *serial, size_t serial_len, int reason, time_t when)
{
	MDB_txn			*txn = NULL;
	struct store_cert	*c = NULL;
	struct wbuf		 kw, w;
	uint8_t			 kb[KEY_MAX];
	MDB_val			 k;
	const uint8_t		*s;
	size_t			 slen;
	enum store_rc		 ret;

	wb_heap(&w);
	/* RFC 5280 5.3.1: 0..10, 7 unused. */
	if (!store_tenant_valid(tenant) ||
	    !serial_norm(serial, serial_len, &s, &slen) ||
	    reason < 0 || reason > 10 || reason == 7) {
		seterr(st, "invalid tenant, serial or reason");
		ret = STORE_INVAL;
		goto out;
	}
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((ret = cert_read(st, txn, tenant, s, slen, &c)) != STORE_OK)
		goto out;
	if (c->state != STORE_CERT_VALID) {
		seterr(st, "certificate already revoked");
		ret = STORE_STATE;
		goto out;
	}
	c->state = STORE_CERT_REVOKED;
	c->revoked_at = when;
	c->reason = reason;
	wb_fixed(&kw, kb, sizeof(kb));
	key_cert(&kw, tenant, s, slen);
	if (!key_done(st, &kw, &k)) {
		ret = STORE_INVAL;
		goto out;
	}
	cert_encode(&w, c);
	if ((ret = db_put(st, txn, TBL_CERT, &k, &w, 0)) != STORE_OK)
		goto out;
	w.len = 0;
	revoked_encode(&w, c);
	if ((ret = db_put(st, txn, TBL_REVOKED, &k, &w, 0)) != STORE_OK)
		goto out;
	k.mv_data = c->fp;
	k.mv_size = STORE_HASH_LEN;
	w.len = 0;
	fp_encode(&w, c);
	if ((ret = db_put(st, txn, TBL_CERT_FP, &k, &w, 0)) != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	store_cert_free(c);
	wb_free(&w);
	return ret;
}

/* Every revocation of tenant, by serial key, to cb (borrowed). */
enum store_rc
store_revoked_list(struct store *st, const char *tenant, store_revoked_cb cb,
    void *arg)
{
	MDB_txn			*txn = NULL;
	MDB_cursor		*cur = NULL;
	MDB_val			 k, v, cv;
	struct store_revoked	 rv;
	struct store_cert	 c;
	struct wbuf		 kw;
	uint8_t			 kb[KEY_MAX];
	size_t			 plen;
	int			 rc, op = MDB_SET_RANGE;
	enum store_rc		 ret;

	if (!store_tenant_valid(tenant)) {
		seterr(st, "invalid tenant name");
		return STORE_INVAL;
	}
	wb_fixed(&kw, kb, sizeof(kb));
	key_tenant(&kw, tenant);
	plen = kw.len;
	if (!key_done(st, &kw, &k))
		return STORE_INVAL;
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	if ((rc = mdb_cursor_open(txn, st->dbi[TBL_REVOKED], &cur)) != 0) {
		ret = mdberr(st, rc, "revoked");
		goto out;
	}
	ret = STORE_OK;
	while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		if (k.mv_size < plen || memcmp(k.mv_data, kb, plen) != 0)
			break;
		if (!revoked_decode(&k, &v, &rv)) {
			seterr(st, "corrupt revocation record");
			ret = STORE_CORRUPT;
			goto out;
		}
		/* The certificate has the same key in the cert table. */
		if ((ret = db_get(st, txn, TBL_CERT, &k, &cv)) != STORE_OK ||
		    !cert_decode(&k, cv.mv_data, cv.mv_size, &c)) {
			if (ret == STORE_OK || ret == STORE_NOTFOUND) {
				seterr(st, "revocation without a certificate");
				ret = STORE_CORRUPT;
			}
			goto out;
		}
		rv.der = c.der;
		rv.der_len = c.der_len;
		if (!cb(&rv, arg))
			break;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		ret = mdberr(st, rc, "revoked");
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	txn_end(&txn);
	return ret;
}

/* Free a certificate returned by the store (one allocation). */
void
store_cert_free(struct store_cert *cert)
{
	free(cert);
}

/*
 * Nonces.
 */

/*
 * The nonce table's keys for nonce of key's (tenant, txid): *k the
 * nonce record's, *tk the time index's (seen at now), in kb and tb
 * (KEY_MAX bytes each).  Returns 0 (STORE_INVAL) when they are invalid.
 */
static int
nonce_keys(struct store *st, const struct store_reqkey *key,
    const uint8_t *nonce, size_t nonce_len, time_t now, uint8_t *kb,
    uint8_t *tb, MDB_val *k, MDB_val *tk)
{
	struct wbuf	 kw, tw;

	if (!reqkey_valid(key) || nonce == NULL || nonce_len == 0 ||
	    nonce_len > STORE_NONCE_MAX) {
		seterr(st, "invalid request key or nonce");
		return 0;
	}
	wb_fixed(&kw, kb, KEY_MAX);
	key_nonce(&kw, key, nonce, nonce_len);
	wb_fixed(&tw, tb, KEY_MAX);
	wb_timekey(&tw, now);
	wb_put(&tw, kb, kw.len);
	return key_done(st, &kw, k) && key_done(st, &tw, tk);
}

/*
 * Look nonce record k up in txn: STORE_EXISTS with *seen (if not NULL)
 * filled from key and the record, STORE_NOTFOUND, or an error.
 */
static enum store_rc
nonce_lookup(struct store *st, MDB_txn *txn, const struct store_reqkey *key,
    MDB_val *k, struct store_nonce *seen)
{
	MDB_val		 v;
	struct rbuf	 r;
	struct store_nonce tmp;
	enum store_rc	 ret;

	if (seen == NULL)
		seen = &tmp;
	if ((ret = db_get(st, txn, TBL_NONCE, k, &v)) != STORE_OK)
		return ret;
	rb_init(&r, v.mv_data, v.mv_size);
	if (rb_u8(&r) != REC_V1)
		r.bad = 1;
	seen->req = *key;
	rb_copy(&r, seen->req.keyhash, STORE_HASH_LEN);
	seen->seen_at = (time_t)rb_i64(&r);
	if (!rb_done(&r)) {
		seterr(st, "corrupt nonce record");
		return STORE_CORRUPT;
	}
	seterr(st, "senderNonce already seen");
	return STORE_EXISTS;
}

/*
 * Record nonce as seen with key at now in txn, unless it was seen
 * already: then STORE_EXISTS and *seen (if not NULL) says by whom.
 */
static enum store_rc
nonce_record(struct store *st, MDB_txn *txn, const struct store_reqkey *key,
    const uint8_t *nonce, size_t nonce_len, time_t now,
    struct store_nonce *seen)
{
	MDB_val		 k, tk;
	struct wbuf	 w;
	uint8_t		 kb[KEY_MAX], tb[KEY_MAX], vb[64];
	enum store_rc	 ret;

	if (!nonce_keys(st, key, nonce, nonce_len, now, kb, tb, &k, &tk))
		return STORE_INVAL;
	if ((ret = nonce_lookup(st, txn, key, &k, seen)) != STORE_NOTFOUND)
		return ret;
	wb_fixed(&w, vb, sizeof(vb));
	wb_u8(&w, REC_V1);
	wb_put(&w, key->keyhash, STORE_HASH_LEN);
	wb_i64(&w, now);
	if ((ret = db_put(st, txn, TBL_NONCE, &k, &w, 0)) != STORE_OK)
		return ret;
	w.len = 0;
	return db_put(st, txn, TBL_NONCE_TIME, &tk, &w, 0);
}

/*
 * Whether the senderNonce of (tenant, txid) was seen (INTEROP.md 6.3
 * step 3): STORE_EXISTS with *seen, or STORE_NOTFOUND.  Recorded only
 * by the write that stores a request (nonce_record()).
 */
enum store_rc
store_nonce_seen(struct store *st, const struct store_reqkey *key,
    const uint8_t *nonce, size_t nonce_len, struct store_nonce *seen)
{
	MDB_txn		*txn = NULL;
	MDB_val		 k, tk;
	uint8_t		 kb[KEY_MAX], tb[KEY_MAX];
	enum store_rc	 ret;

	if (seen != NULL)
		memset(seen, 0, sizeof(*seen));
	if (!nonce_keys(st, key, nonce, nonce_len, 0, kb, tb, &k, &tk))
		return STORE_INVAL;
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		return ret;
	ret = nonce_lookup(st, txn, key, &k, seen);
	txn_end(&txn);
	return ret;
}

/*
 * End one batch of a cursor walk that deletes in a write transaction:
 * rc is the walk's last mdb_cursor_get() result (MDB_NOTFOUND: it ran
 * to the end), what names the table in a message.  Closes *cur and
 * commits *txn.
 */
static enum store_rc
batch_commit(struct store *st, MDB_txn **txn, MDB_cursor **cur, int rc,
    const char *what)
{
	if (rc != 0 && rc != MDB_NOTFOUND)
		return mdberr(st, rc, what);
	mdb_cursor_close(*cur);
	*cur = NULL;
	return txn_commit(st, txn);
}

/*
 * Forget nonces seen at or before now - window, oldest first, at most
 * EXPIRE_PER_TXN per write transaction so no transaction is long.
 */
enum store_rc
store_nonce_expire(struct store *st, time_t now, time_t window,
    size_t *removed)
{
	MDB_txn		*txn = NULL;
	MDB_cursor	*cur = NULL;
	MDB_val		 k, v, nk;
	struct wbuf	 tw;
	uint8_t		 tb[8];
	size_t		 n, total = 0;
	int		 rc;
	enum store_rc	 ret = STORE_OK;

	if (removed != NULL)
		*removed = 0;
	/* Keys with a time <= now - window sort before time + 1. */
	wb_fixed(&tw, tb, sizeof(tb));
	wb_timekey(&tw, (int64_t)now - window + 1);
	for (;;) {
		if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
			goto out;
		if ((rc = mdb_cursor_open(txn, st->dbi[TBL_NONCE_TIME],
		    &cur)) != 0) {
			ret = mdberr(st, rc, "nonce_time");
			goto out;
		}
		n = 0;
		while (n < EXPIRE_PER_TXN &&
		    (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
			if (k.mv_size < 8 || memcmp(k.mv_data, tb, 8) >= 0)
				break;
			/* The nonce key follows the time. */
			nk.mv_data = (uint8_t *)k.mv_data + 8;
			nk.mv_size = k.mv_size - 8;
			rc = mdb_del(txn, st->dbi[TBL_NONCE], &nk, NULL);
			if (rc != 0 && rc != MDB_NOTFOUND) {
				ret = mdberr(st, rc, "nonce");
				goto out;
			}
			if ((rc = mdb_cursor_del(cur, 0)) != 0) {
				ret = mdberr(st, rc, "nonce_time");
				goto out;
			}
			n++;
		}
		if ((ret = batch_commit(st, &txn, &cur, rc, "nonce_time")) !=
		    STORE_OK)
			goto out;
		total += n;
		if (removed != NULL)
			*removed = total;
		if (n < EXPIRE_PER_TXN)
			break;
	}
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	txn_end(&txn);
	return ret;
}

/*
 * CRLs.
 */

/* The last reserved CRL number of tenant in txn (0: none yet). */
static enum store_rc
crl_last_number(struct store *st, MDB_txn *txn, const char *tenant,
    uint64_t *last)
{
	struct wbuf	 kw;
	struct rbuf	 r;
	uint8_t		 kb[KEY_MAX];
	MDB_val		 k, v;
	enum store_rc	 ret;

	*last = 0;
	wb_fixed(&kw, kb, sizeof(kb));
	key_crl(&kw, tenant, 'n');
	if (!key_done(st, &kw, &k))
		return STORE_INVAL;
	ret = db_get(st, txn, TBL_CRL, &k, &v);
	if (ret == STORE_NOTFOUND)
		return STORE_OK;
	if (ret != STORE_OK)
		return ret;
	rb_init(&r, v.mv_data, v.mv_size);
	if (rb_u8(&r) != REC_V1)
		r.bad = 1;
	*last = rb_be(&r, 8);
	if (!rb_done(&r)) {
		seterr(st, "corrupt CRL number record");
		return STORE_CORRUPT;
	}
	return STORE_OK;
}

/* Reserve the next CRL number of tenant (1, 2, ...) into *number. */
enum store_rc
store_crl_reserve_number(struct store *st, const char *tenant,
    uint64_t *number)
{
	MDB_txn		*txn = NULL;
	struct wbuf	 kw, w;
	uint8_t		 kb[KEY_MAX], vb[16];
	MDB_val		 k;
	uint64_t	 last;
	enum store_rc	 ret;

	*number = 0;
	if (!store_tenant_valid(tenant)) {
		seterr(st, "invalid tenant name");
		return STORE_INVAL;
	}
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((ret = crl_last_number(st, txn, tenant, &last)) != STORE_OK)
		goto out;
	if (last == UINT64_MAX) {
		seterr(st, "CRL numbers exhausted");
		ret = STORE_ERROR;
		goto out;
	}
	wb_fixed(&kw, kb, sizeof(kb));
	key_crl(&kw, tenant, 'n');
	wb_fixed(&w, vb, sizeof(vb));
	wb_u8(&w, REC_V1);
	wb_be(&w, last + 1, 8);
	if (!key_done(st, &kw, &k)) {
		ret = STORE_INVAL;
		goto out;
	}
	if ((ret = db_put(st, txn, TBL_CRL, &k, &w, 0)) != STORE_OK)
		goto out;
	if ((ret = txn_commit(st, &txn)) != STORE_OK)
		goto out;
	*number = last + 1;
out:
	txn_end(&txn);
	return ret;
}

/* Decode a stored CRL record into *c (der points into p). */
static int
crl_decode(const void *p, size_t len, struct store_crl *c)
{
	struct rbuf	 r;

	memset(c, 0, sizeof(*c));
	rb_init(&r, p, len);
	if (rb_u8(&r) != REC_V1)
		return 0;
	c->number = rb_be(&r, 8);
	c->this_update = (time_t)rb_i64(&r);
	c->der = rb_lp(&r, 4, UINT32_MAX, &c->der_len);
	return rb_done(&r);
}

/*
 * Store the CRL number of tenant's CA caid if it is newer than the
 * stored one (else STORE_STALE) and was reserved (else STORE_INVAL).
 */
enum store_rc
store_crl_put(struct store *st, const char *tenant,
    const uint8_t caid[STORE_HASH_LEN], uint64_t number, time_t this_update,
    const uint8_t *der, size_t der_len)
{
	MDB_txn		*txn = NULL;
	struct store_crl cur;
	struct wbuf	 kw, w;
	uint8_t		 kb[KEY_MAX];
	MDB_val		 k, v;
	uint64_t	 last;
	enum store_rc	 ret;

	wb_heap(&w);
	if (!store_tenant_valid(tenant) || der == NULL || der_len == 0 ||
	    der_len > UINT32_MAX || number == 0) {
		seterr(st, "invalid tenant, number or CRL");
		ret = STORE_INVAL;
		goto out;
	}
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((ret = crl_last_number(st, txn, tenant, &last)) != STORE_OK)
		goto out;
	if (number > last) {
		seterr(st, "CRL number %llu was never reserved",
		    (unsigned long long)number);
		ret = STORE_INVAL;
		goto out;
	}
	wb_fixed(&kw, kb, sizeof(kb));
	key_crl_ca(&kw, tenant, caid);
	if (!key_done(st, &kw, &k)) {
		ret = STORE_INVAL;
		goto out;
	}
	ret = db_get(st, txn, TBL_CRL, &k, &v);
	if (ret == STORE_OK) {
		if (!crl_decode(v.mv_data, v.mv_size, &cur)) {
			seterr(st, "corrupt CRL record");
			ret = STORE_CORRUPT;
			goto out;
		}
		if (cur.number >= number) {
			seterr(st, "CRL %llu is stored, newer than %llu",
			    (unsigned long long)cur.number,
			    (unsigned long long)number);
			ret = STORE_STALE;
			goto out;
		}
	} else if (ret != STORE_NOTFOUND)
		goto out;
	wb_u8(&w, REC_V1);
	wb_be(&w, number, 8);
	wb_i64(&w, this_update);
	wb_lp(&w, der, der_len, 4);
	if ((ret = db_put(st, txn, TBL_CRL, &k, &w, 0)) != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	wb_free(&w);
	return ret;
}

/* The stored CRL of tenant's CA caid: STORE_OK with *out or NOTFOUND. */
enum store_rc
store_crl_get(struct store *st, const char *tenant,
    const uint8_t caid[STORE_HASH_LEN], struct store_crl **out)
{
	MDB_txn		*txn = NULL;
	struct store_crl *c = NULL;
	struct wbuf	 kw;
	uint8_t		 kb[KEY_MAX];
	MDB_val		 k, v;
	enum store_rc	 ret;

	*out = NULL;
	if (!store_tenant_valid(tenant)) {
		seterr(st, "invalid tenant name");
		return STORE_INVAL;
	}
	wb_fixed(&kw, kb, sizeof(kb));
	key_crl_ca(&kw, tenant, caid);
	if (!key_done(st, &kw, &k))
		return STORE_INVAL;
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	if ((ret = db_get(st, txn, TBL_CRL, &k, &v)) != STORE_OK)
		goto out;
	if ((c = calloc(1, sizeof(*c) + v.mv_size)) == NULL) {
		seterr(st, "out of memory");
		ret = STORE_ERROR;
		goto out;
	}
	memcpy(c + 1, v.mv_data, v.mv_size);
	if (!crl_decode(c + 1, v.mv_size, c)) {
		seterr(st, "corrupt CRL record");
		ret = STORE_CORRUPT;
		goto out;
	}
	*out = c;
	c = NULL;
	ret = STORE_OK;
out:
	txn_end(&txn);
	free(c);
	return ret;
}

/* Free a CRL returned by the store. */
void
store_crl_free(struct store_crl *crl)
{
	free(crl);
}

/*
 * One-time challenges (layouts at the top: the 'h' record by HMAC, the
 * 'i' index by id).
 */

/* Refusals of store_challenge_use(), sent as failInfoText. */
#define R_CH_UNKNOWN	"unknown or foreign challenge password"
#define R_CH_REVOKED	"challenge password revoked"
#define R_CH_EXPIRED	"challenge password expired"
#define R_CH_SUBJECT	"challenge password is bound to another subject"
#define R_CH_USED	"challenge password already used"

/* Largest bound subject (Name DER) of a challenge. */
#define CHALLENGE_SUBJECT_MAX	4096

/* lp8(tenant) 'h' hmac[32]: the challenge record. */
static void
key_challenge(struct wbuf *w, const char *tenant,
    const uint8_t hmac[STORE_HASH_LEN])
{
	key_tenant(w, tenant);
	wb_u8(w, 'h');
	wb_put(w, hmac, STORE_HASH_LEN);
}

/* lp8(tenant) 'i' lp8(id): the id index, whose value is the HMAC. */
static void
key_challenge_id(struct wbuf *w, const char *tenant, const char *id)
{
	key_tenant(w, tenant);
	wb_u8(w, 'i');
	wb_lp(w, id, strlen(id), 1);
}

/* 1 if id is 1..STORE_CHALLENGE_IDTEXT_MAX characters [0-9a-f]. */
static int
challenge_id_valid(const char *id)
{
	size_t	 i;

	if (id == NULL)
		return 0;
	for (i = 0; id[i] != '\0'; i++)
		if (i >= STORE_CHALLENGE_IDTEXT_MAX ||
		    !((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return i > 0;
}

static void
challenge_encode(struct wbuf *w, const struct store_challenge *c)
{
	wb_u8(w, REC_V1);
	wb_u8(w, c->state);
	wb_i64(w, c->created);
	wb_i64(w, c->expires);
	wb_lp(w, c->id, strlen(c->id), 1);
	wb_lp(w, c->subject, c->subject_len, 2);
	wb_u8(w, c->bound ? (c->settled ? 2 : 1) : 0);
	if (c->bound) {
		wb_i64(w, c->used_at);
		wb_lp(w, c->req.txid, c->req.txid_len, 1);
		wb_put(w, c->req.keyhash, STORE_HASH_LEN);
		wb_put(w, c->csr_hash, STORE_HASH_LEN);
	}
}

/*
 * Decode the borrowed record (k, v) into c, whose subject then points
 * into v.  Returns 1, or 0 if key or record is corrupt.
 */
static int
challenge_decode(const MDB_val *k, const MDB_val *v,
    struct store_challenge *c)
{
	struct rbuf	 r;
	const uint8_t	*t;

	memset(c, 0, sizeof(*c));
	/* The key: lp8(tenant) 'h' hmac[32]. */
	rb_init(&r, k->mv_data, k->mv_size);
	rb_str(&r, 1, c->tenant, sizeof(c->tenant));
	if (rb_u8(&r) != 'h')
		return 0;
	rb_copy(&r, c->hmac, STORE_HASH_LEN);
	if (!rb_done(&r) || !store_tenant_valid(c->tenant))
		return 0;
	/* The record. */
	rb_init(&r, v->mv_data, v->mv_size);
	if (rb_u8(&r) != REC_V1)
		return 0;
	c->state = (enum store_challenge_state)rb_u8(&r);
	c->created = (time_t)rb_i64(&r);
	c->expires = (time_t)rb_i64(&r);
	rb_str(&r, 1, c->id, sizeof(c->id));
	c->subject = rb_lp(&r, 2, CHALLENGE_SUBJECT_MAX, &c->subject_len);
	if (c->subject_len == 0)
		c->subject = NULL;
	c->bound = (int)rb_u8(&r);
	if (c->bound == 2) {
		c->bound = 1;
		c->settled = 1;
	}
	if (c->bound == 1) {
		c->used_at = (time_t)rb_i64(&r);
		memcpy(c->req.tenant, c->tenant, sizeof(c->tenant));
		if ((t = rb_lp(&r, 1, STORE_TXID_MAX,
		    &c->req.txid_len)) != NULL)
			memcpy(c->req.txid, t, c->req.txid_len);
		rb_copy(&r, c->req.keyhash, STORE_HASH_LEN);
		rb_copy(&r, c->csr_hash, STORE_HASH_LEN);
		if (c->req.txid_len == 0)
			return 0;
	} else if (c->bound != 0)
		return 0;
	if (c->state < STORE_CHALLENGE_UNUSED ||
	    c->state > STORE_CHALLENGE_REVOKED ||
	    (c->state == STORE_CHALLENGE_USED) != c->bound)
		return 0;
	return rb_done(&r) && challenge_id_valid(c->id);
}

/* Whether two request keys are the same transaction and signer key. */
static int
reqkey_eq(const struct store_reqkey *a, const struct store_reqkey *b)
{
	return strcmp(a->tenant, b->tenant) == 0 &&
	    a->txid_len == b->txid_len &&
	    memcmp(a->txid, b->txid, a->txid_len) == 0 &&
	    memcmp(a->keyhash, b->keyhash, STORE_HASH_LEN) == 0;
}

/*
 * Whether the two Name DERs are the same name under RFC 5280 section
 * 7.1 comparison (X509_NAME_cmp: case and white space folded, string
 * types ignored), so that a PrintableString CN=a matches a UTF8String
 * one.  An unparseable name matches nothing.
 */
static int
names_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	X509_NAME	*na = NULL, *nb = NULL;
	const uint8_t	*p;
	int		 eq = 0;

	if (alen > STORE_BLOB_MAX || blen > STORE_BLOB_MAX)
		return 0;
	p = a;
	if ((na = d2i_X509_NAME(NULL, &p, (long)alen)) == NULL ||
	    p != a + alen)
		goto out;
	p = b;
	if ((nb = d2i_X509_NAME(NULL, &p, (long)blen)) == NULL ||
	    p != b + blen)
		goto out;
	eq = X509_NAME_cmp(na, nb) == 0;
out:
	X509_NAME_free(na);
	X509_NAME_free(nb);
	return eq;
}

/* Write the record c under its HMAC key in txn, replacing any. */
static enum store_rc
challenge_put(struct store *st, MDB_txn *txn, const struct store_challenge *c,
    unsigned int flags)
{
	struct wbuf	 kw, w;
	uint8_t		 kb[KEY_MAX];
	MDB_val		 k;
	enum store_rc	 ret;

	wb_heap(&w);
	wb_fixed(&kw, kb, sizeof(kb));
	key_challenge(&kw, c->tenant, c->hmac);
	if (!key_done(st, &kw, &k)) {
		ret = STORE_INVAL;
		goto out;
	}
	challenge_encode(&w, c);
	ret = db_put(st, txn, TBL_CHALLENGE, &k, &w, flags);
out:
	wb_free(&w);
	return ret;
}

/*
 * Store a new UNUSED challenge and its id index in one transaction.
 * Returns STORE_OK, STORE_EXISTS (id or HMAC taken), STORE_INVAL or a
 * failure.
 */
enum store_rc
store_challenge_add(struct store *st, const struct store_challenge *c)
{
	struct store_challenge	 n;
	MDB_txn			*txn = NULL;
	struct wbuf		 kw, w;
	uint8_t			 kb[KEY_MAX], hb[STORE_HASH_LEN];
	MDB_val			 k;
	enum store_rc		 ret;

	if (c == NULL || memchr(c->tenant, '\0', sizeof(c->tenant)) == NULL ||
	    memchr(c->id, '\0', sizeof(c->id)) == NULL ||
	    !store_tenant_valid(c->tenant) || !challenge_id_valid(c->id) ||
	    c->subject_len > CHALLENGE_SUBJECT_MAX ||
	    (c->subject_len > 0 && c->subject == NULL)) {
		seterr(st, "invalid challenge");
		return STORE_INVAL;
	}
	n = *c;
	n.state = STORE_CHALLENGE_UNUSED;
	n.bound = n.settled = 0;
	n.used_at = 0;
	/* The id index's value: the HMAC. */
	wb_fixed(&w, hb, sizeof(hb));
	wb_put(&w, n.hmac, sizeof(n.hmac));
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	wb_fixed(&kw, kb, sizeof(kb));
	key_challenge_id(&kw, n.tenant, n.id);
	if (!key_done(st, &kw, &k)) {
		ret = STORE_INVAL;
		goto out;
	}
	if ((ret = db_put(st, txn, TBL_CHALLENGE, &k, &w,
	    MDB_NOOVERWRITE)) != STORE_OK)
		goto out;
	if ((ret = challenge_put(st, txn, &n, MDB_NOOVERWRITE)) != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	return ret;
}

/*
 * Read the challenge of tenant with hmac in txn into *c (borrowed from
 * txn); its key goes to *k (in kb, KEY_MAX bytes) for a later put.
 * STORE_NOTFOUND when there is none.
 */
static enum store_rc
challenge_get(struct store *st, MDB_txn *txn, const char *tenant,
    const uint8_t hmac[STORE_HASH_LEN], uint8_t *kb, MDB_val *k,
    struct store_challenge *c)
{
	struct wbuf	 kw;
	MDB_val		 v;
	enum store_rc	 ret;

	wb_fixed(&kw, kb, KEY_MAX);
	key_challenge(&kw, tenant, hmac);
	if (!key_done(st, &kw, k))
		return STORE_INVAL;
	if ((ret = db_get(st, txn, TBL_CHALLENGE, k, &v)) != STORE_OK)
		return ret;
	if (!challenge_decode(k, &v, c)) {
		seterr(st, "corrupt challenge record");
		return STORE_CORRUPT;
	}
	return STORE_OK;
}

/*
 * Read the challenge whose id index entry is the borrowed value iv
 * (the HMAC) for tenant into *c (borrowed from txn).
 */
static enum store_rc
challenge_by_index(struct store *st, MDB_txn *txn, const char *tenant,
    const MDB_val *iv, struct store_challenge *c)
{
	uint8_t		 kb[KEY_MAX];
	MDB_val		 k;
	enum store_rc	 ret;

	if (iv->mv_size != STORE_HASH_LEN) {
		seterr(st, "corrupt challenge index");
		return STORE_CORRUPT;
	}
	ret = challenge_get(st, txn, tenant, iv->mv_data, kb, &k, c);
	if (ret == STORE_NOTFOUND) {
		seterr(st, "challenge index names a missing record");
		ret = STORE_CORRUPT;
	}
	return ret;
}

/* What a key met in a walk over the challenge table is. */
enum ckey {
	CK_INDEX,	/* an id index entry of the tenant walked */
	CK_SKIP,	/* a challenge record */
	CK_END,		/* past the tenant walked */
	CK_BAD		/* corrupt (the store's error is set) */
};

/* Classify k in a walk over tenant's (NULL: every) keys; tn its tenant. */
static enum ckey
challenge_key_kind(struct store *st, const MDB_val *k, const char *tenant,
    char tn[STORE_TENANT_MAX + 1])
{
	struct rbuf	 r;

	rb_init(&r, k->mv_data, k->mv_size);
	rb_str(&r, 1, tn, STORE_TENANT_MAX + 1);
	if (r.bad) {
		seterr(st, "corrupt challenge key");
		return CK_BAD;
	}
	if (tenant != NULL && strcmp(tn, tenant) != 0)
		return CK_END;
	return rb_u8(&r) == 'i' ? CK_INDEX : CK_SKIP;
}

/*
 * Call cb for every challenge of tenant (NULL: all), walking the id
 * index so that the order is tenant then id.
 */
enum store_rc
store_challenge_list(struct store *st, const char *tenant,
    store_challenge_cb cb, void *arg)
{
	MDB_txn			*txn = NULL;
	MDB_cursor		*cur = NULL;
	struct store_challenge	 c;
	struct wbuf		 kw;
	enum ckey		 kind;
	uint8_t			 kb[KEY_MAX];
	char			 tn[STORE_TENANT_MAX + 1];
	MDB_val			 k, v;
	int			 rc, op;
	enum store_rc		 ret;

	if (tenant != NULL && !store_tenant_valid(tenant)) {
		seterr(st, "invalid tenant name");
		return STORE_INVAL;
	}
	if ((ret = txn_begin(st, MDB_RDONLY, &txn)) != STORE_OK)
		goto out;
	if ((rc = mdb_cursor_open(txn, st->dbi[TBL_CHALLENGE], &cur)) != 0) {
		ret = mdberr(st, rc, "challenge");
		goto out;
	}
	op = MDB_FIRST;
	if (tenant != NULL) {
		wb_fixed(&kw, kb, sizeof(kb));
		key_tenant(&kw, tenant);
		if (!key_done(st, &kw, &k)) {
			ret = STORE_INVAL;
			goto out;
		}
		op = MDB_SET_RANGE;
	}
	ret = STORE_OK;
	while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		op = MDB_NEXT;
		/* Only the id index: its entries come in id order. */
		if ((kind = challenge_key_kind(st, &k, tenant, tn)) == CK_BAD) {
			ret = STORE_CORRUPT;
			goto out;
		}
		if (kind == CK_END)
			break;
		if (kind == CK_SKIP)
			continue;
		if ((ret = challenge_by_index(st, txn, tn, &v, &c)) != STORE_OK)
			goto out;
		if (!cb(&c, arg))
			break;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		ret = mdberr(st, rc, "challenge");
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	txn_end(&txn);
	return ret;
}

/*
 * Find the id index entry of id: under tenant, or (tenant NULL) under
 * whichever tenant has it.  Returns STORE_OK with the HMAC in hmac and
 * the tenant in tn, STORE_NOTFOUND, or a failure.
 */
static enum store_rc
challenge_find_id(struct store *st, MDB_txn *txn, const char *tenant,
    const char *id, char tn[STORE_TENANT_MAX + 1],
    uint8_t hmac[STORE_HASH_LEN])
{
	MDB_cursor	*cur = NULL;
	struct wbuf	 kw;
	struct rbuf	 r;
	uint8_t		 kb[KEY_MAX];
	char		 kid[STORE_CHALLENGE_IDTEXT_MAX + 1];
	MDB_val		 k, v;
	int		 rc, op = MDB_FIRST, found = 0;
	enum store_rc	 ret;

	if (tenant != NULL) {
		wb_fixed(&kw, kb, sizeof(kb));
		key_challenge_id(&kw, tenant, id);
		if (!key_done(st, &kw, &k))
			return STORE_INVAL;
		if ((ret = db_get(st, txn, TBL_CHALLENGE, &k, &v)) !=
		    STORE_OK)
			return ret;
		snprintf(tn, STORE_TENANT_MAX + 1, "%s", tenant);
		found = 1;
	} else {
		if ((rc = mdb_cursor_open(txn, st->dbi[TBL_CHALLENGE],
		    &cur)) != 0)
			return mdberr(st, rc, "challenge");
		while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
			op = MDB_NEXT;
			rb_init(&r, k.mv_data, k.mv_size);
			rb_str(&r, 1, tn, STORE_TENANT_MAX + 1);
			if (rb_u8(&r) != 'i')
				continue;
			rb_str(&r, 1, kid, sizeof(kid));
			if (rb_done(&r) && strcmp(kid, id) == 0) {
				found = 1;
				break;
			}
		}
		mdb_cursor_close(cur);
		if (rc != 0 && rc != MDB_NOTFOUND)
			return mdberr(st, rc, "challenge");
	}
	if (!found) {
		seterr(st, "challenge: not found");
		return STORE_NOTFOUND;
	}
	if (v.mv_size != STORE_HASH_LEN) {
		seterr(st, "corrupt challenge index");
		return STORE_CORRUPT;
	}
	memcpy(hmac, v.mv_data, STORE_HASH_LEN);
	return STORE_OK;
}

/*
 * Whether challenge c may go at before (see store_challenge_purge()):
 * expired by then, and, if used, used by then too.
 */
static int
challenge_stale(const struct store_challenge *c, time_t before)
{
	return c->expires <= before &&
	    (c->state != STORE_CHALLENGE_USED || c->used_at <= before);
}

/*
 * Delete the stale challenges of tenant (NULL: all) and their id index
 * entries, walking the id index, at most EXPIRE_PER_TXN a write
 * transaction; each transaction resumes at the key where the last one
 * stopped.
 */
enum store_rc
store_challenge_purge(struct store *st, const char *tenant, time_t before,
    size_t *removed)
{
	MDB_txn			*txn = NULL;
	MDB_cursor		*cur = NULL;
	struct store_challenge	 c;
	struct wbuf		 kw, hw;
	enum ckey		 kind;
	uint8_t			 hb[KEY_MAX], resume[KEY_MAX];
	char			 tn[STORE_TENANT_MAX + 1];
	MDB_val			 k, v, hk;
	size_t			 n, rlen = 0;
	int			 rc, op, done = 0;
	enum store_rc		 ret = STORE_OK;

	if (removed != NULL)
		*removed = 0;
	if (tenant != NULL && !store_tenant_valid(tenant)) {
		seterr(st, "invalid tenant name");
		return STORE_INVAL;
	}
	if (tenant != NULL) {
		wb_fixed(&kw, resume, sizeof(resume));
		key_tenant(&kw, tenant);
		rlen = kw.len;
	}
	while (!done) {
		if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
			goto out;
		if ((rc = mdb_cursor_open(txn, st->dbi[TBL_CHALLENGE],
		    &cur)) != 0) {
			ret = mdberr(st, rc, "challenge");
			goto out;
		}
		k.mv_data = resume;
		k.mv_size = rlen;
		op = rlen > 0 ? MDB_SET_RANGE : MDB_FIRST;
		n = 0;
		done = 1;
		while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
			op = MDB_NEXT;
			if ((kind = challenge_key_kind(st, &k, tenant, tn)) ==
			    CK_BAD) {
				ret = STORE_CORRUPT;
				goto out;
			}
			if (kind == CK_END)
				break;
			if (kind == CK_SKIP)
				continue;
			if (n == EXPIRE_PER_TXN) {
				/* Resume here in the next transaction. */
				if (k.mv_size > sizeof(resume)) {
					seterr(st, "corrupt challenge key");
					ret = STORE_CORRUPT;
					goto out;
				}
				memcpy(resume, k.mv_data, k.mv_size);
				rlen = k.mv_size;
				done = 0;
				break;
			}
			if ((ret = challenge_by_index(st, txn, tn, &v, &c)) !=
			    STORE_OK)
				goto out;
			if (!challenge_stale(&c, before))
				continue;
			wb_fixed(&hw, hb, sizeof(hb));
			key_challenge(&hw, tn, c.hmac);
			if (!key_done(st, &hw, &hk)) {
				ret = STORE_INVAL;
				goto out;
			}
			if ((ret = db_del(st, txn, TBL_CHALLENGE, &hk, NULL)) !=
			    STORE_OK)
				goto out;
			if ((rc = mdb_cursor_del(cur, 0)) != 0) {
				ret = mdberr(st, rc, "challenge");
				goto out;
			}
			n++;
		}
		if ((ret = batch_commit(st, &txn, &cur, rc, "challenge")) !=
		    STORE_OK)
			goto out;
		if (removed != NULL)
			*removed += n;
	}
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	txn_end(&txn);
	return ret;
}

/* UNUSED -> REVOKED, found by id (see store.h). */
enum store_rc
store_challenge_revoke(struct store *st, const char *tenant, const char *id)
{
	MDB_txn			*txn = NULL;
	struct store_challenge	 c;
	struct wbuf		 w;
	uint8_t			 kb[KEY_MAX], hmac[STORE_HASH_LEN];
	char			 tn[STORE_TENANT_MAX + 1];
	MDB_val			 k;
	enum store_rc		 ret;

	wb_heap(&w);
	if ((tenant != NULL && !store_tenant_valid(tenant)) ||
	    !challenge_id_valid(id)) {
		seterr(st, "invalid tenant name or challenge id");
		ret = STORE_INVAL;
		goto out;
	}
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if ((ret = challenge_find_id(st, txn, tenant, id, tn, hmac)) !=
	    STORE_OK)
		goto out;
	if ((ret = challenge_get(st, txn, tn, hmac, kb, &k, &c)) != STORE_OK)
		goto out;
	if (c.state != STORE_CHALLENGE_UNUSED) {
		seterr(st, "challenge is %s", c.state ==
		    STORE_CHALLENGE_USED ? "used" : "already revoked");
		ret = STORE_STATE;
		goto out;
	}
	c.state = STORE_CHALLENGE_REVOKED;
	/* Encode (copying the borrowed subject) before the put. */
	challenge_encode(&w, &c);
	if ((ret = db_put(st, txn, TBL_CHALLENGE, &k, &w, 0)) != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	wb_free(&w);
	return ret;
}

/* The check-and-consume of a challenge (see store.h). */
enum store_rc
store_challenge_use(struct store *st, const char *tenant,
    const uint8_t hmac[STORE_HASH_LEN], const struct store_reqkey *key,
    const uint8_t csr_hash[STORE_HASH_LEN], const uint8_t *subject,
    size_t subject_len, time_t now, char *id, const char **why)
{
	MDB_txn			*txn = NULL;
	struct store_challenge	 c;
	struct wbuf		 w;
	uint8_t			 kb[KEY_MAX];
	MDB_val			 k;
	enum store_rc		 ret;

	*why = R_CH_UNKNOWN;
	wb_heap(&w);
	if (!store_tenant_valid(tenant) || hmac == NULL ||
	    !reqkey_valid(key) || strcmp(key->tenant, tenant) != 0 ||
	    csr_hash == NULL || (subject == NULL && subject_len > 0)) {
		seterr(st, "invalid challenge use");
		ret = STORE_INVAL;
		goto out;
	}
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	/* Unknown here: never issued, or another tenant's. */
	if ((ret = challenge_get(st, txn, tenant, hmac, kb, &k, &c)) !=
	    STORE_OK)
		goto out;
	ret = STORE_STATE;
	switch (c.state) {
	case STORE_CHALLENGE_REVOKED:
		*why = R_CH_REVOKED;
		goto out;
	case STORE_CHALLENGE_USED:
		/*
		 * The attempt that consumed it passes again only while it
		 * has stored no request (a lost reply or a killed worker:
		 * the retry is the same attempt).  Once stored, repeats are
		 * answered from the request and never get here; whatever
		 * does is a new transaction (INTEROP.md 6.3).
		 */
		*why = R_CH_USED;
		if (c.settled || !reqkey_eq(&c.req, key) ||
		    memcmp(c.csr_hash, csr_hash, STORE_HASH_LEN) != 0)
			goto out;
		break;
	case STORE_CHALLENGE_UNUSED:
		if (now >= c.expires) {
			*why = R_CH_EXPIRED;
			goto out;
		}
		if (c.subject_len > 0 && !names_equal(c.subject,
		    c.subject_len, subject, subject_len)) {
			*why = R_CH_SUBJECT;
			goto out;
		}
		c.state = STORE_CHALLENGE_USED;
		c.bound = 1;
		c.used_at = now;
		c.req = *key;
		memcpy(c.csr_hash, csr_hash, STORE_HASH_LEN);
		challenge_encode(&w, &c);
		if ((ret = db_put(st, txn, TBL_CHALLENGE, &k, &w, 0)) !=
		    STORE_OK)
			goto out;
		break;
	}
	if ((ret = txn_commit(st, &txn)) != STORE_OK)
		goto out;
	memcpy(id, c.id, strlen(c.id) + 1);
	*why = NULL;
out:
	if (ret != STORE_OK && ret != STORE_NOTFOUND && ret != STORE_STATE)
		*why = NULL;
	txn_end(&txn);
	wb_free(&w);
	return ret;
}

/*
 * In req_write(): the request r, which used the challenge
 * r->challenge_id, is being stored, so its challenge no longer passes
 * for a retry (store_challenge_use()).  A challenge that is gone or not
 * bound to r is left alone.
 */
static enum store_rc
challenge_settle(struct store *st, MDB_txn *txn, const struct store_req *r)
{
	struct store_challenge	 c;
	struct wbuf		 w;
	uint8_t			 kb[KEY_MAX], hmac[STORE_HASH_LEN];
	char			 id[STORE_CHALLENGE_IDTEXT_MAX + 1];
	char			 tn[STORE_TENANT_MAX + 1];
	MDB_val			 k;
	enum store_rc		 ret;

	wb_heap(&w);
	if (r->challenge_id_len > STORE_CHALLENGE_IDTEXT_MAX) {
		ret = STORE_OK;
		goto out;
	}
	memcpy(id, r->challenge_id, r->challenge_id_len);
	id[r->challenge_id_len] = '\0';
	if (!challenge_id_valid(id)) {
		ret = STORE_OK;
		goto out;
	}
	ret = challenge_find_id(st, txn, r->key.tenant, id, tn, hmac);
	if (ret != STORE_OK) {
		if (ret == STORE_NOTFOUND)
			ret = STORE_OK;
		goto out;
	}
	if ((ret = challenge_get(st, txn, tn, hmac, kb, &k, &c)) != STORE_OK)
		goto out;
	if (!c.bound || c.settled || !reqkey_eq(&c.req, &r->key) ||
	    memcmp(c.csr_hash, r->csr_hash, STORE_HASH_LEN) != 0)
		goto out;
	c.settled = 1;
	challenge_encode(&w, &c);
	ret = db_put(st, txn, TBL_CHALLENGE, &k, &w, 0);
out:
	wb_free(&w);
	return ret;
}

/*
 * TESTING ONLY (see store.h): write raw bytes into a sub-database.
 */
enum store_rc
store_test_poke(struct store *st, const char *table, const uint8_t *key,
    size_t key_len, const uint8_t *val, size_t val_len)
{
	MDB_txn		*txn = NULL;
	MDB_val		 k;
	struct wbuf	 w;
	size_t		 i;
	enum store_rc	 ret;

	for (i = 0; i < TBL__MAX; i++)
		if (strcmp(tables[i].name, table) == 0)
			break;
	if (i == TBL__MAX || key == NULL || key_len == 0 ||
	    key_len > KEY_MAX) {
		seterr(st, "no such table or bad key");
		return STORE_INVAL;
	}
	k.mv_data = (void *)key;
	k.mv_size = key_len;
	wb_fixed(&w, (uint8_t *)val, val_len);
	w.len = val_len;
	if ((ret = txn_begin(st, 0, &txn)) != STORE_OK)
		goto out;
	if (val == NULL)
		ret = db_del(st, txn, (enum tbl)i, &k, NULL);
	else
		ret = db_put(st, txn, (enum tbl)i, &k, &w, 0);
	if (ret != STORE_OK)
		goto out;
	ret = txn_commit(st, &txn);
out:
	txn_end(&txn);
	return ret;
}
