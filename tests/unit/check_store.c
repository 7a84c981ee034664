/*
 * check_store.c: the store (src/store.c) on real LMDB environments.
 *
 * Every test runs in Check's forked child with its own mkdtemp
 * directory, opened and removed by a checked fixture (so no env is ever
 * carried across fork()).  Time is injected (TEST_NOW).  Certificates
 * are self-signed with one EC P-256 key per test: signing is cheap, and
 * the store only parses and hashes them.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "src/store.h"
#include "tests/unit/testutil.h"

#define NOW	TEST_NOW
#define DAY	86400

static char		 g_dir[256];
static struct store	*g_st;
static EVP_PKEY		*g_key;

/*
 * Fixture (checked: runs in the test's child).
 */

static void
rm_env(const char *dir)
{
	char	 p[512];

	snprintf(p, sizeof(p), "%s/data.mdb", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/lock.mdb", dir);
	unlink(p);
	rmdir(dir);
}

static struct store *
open_env(const char *dir, size_t mapsize)
{
	struct store	*st;
	char		 err[256];

	st = store_open(dir, STORE_CREATE, mapsize, err, sizeof(err));
	ck_assert_msg(st != NULL, "store_open %s: %s", dir, err);
	return st;
}

static void
setup(void)
{
	const char	*tmp;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(g_dir, sizeof(g_dir), "%s/check_store.XXXXXX", tmp);
	ck_assert_ptr_nonnull(mkdtemp(g_dir));
	g_st = open_env(g_dir, 0);
	g_key = tu_ec_key();
}

static void
teardown(void)
{
	store_close(g_st);
	g_st = NULL;
	EVP_PKEY_free(g_key);
	g_key = NULL;
	rm_env(g_dir);
}

/*
 * Helpers.
 */

static void
sha256(const void *p, size_t n, uint8_t out[STORE_HASH_LEN])
{
	ck_assert_int_eq(EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL), 1);
}

/* A request of tenant/txid whose signer key hash is 32 x kb. */
static void
mkreq(struct store_req *r, const char *tenant, const char *txid, int kb,
    enum store_req_state state)
{
	static const uint8_t	 subj[] = { 0x30, 0x00 };
	static const uint8_t	 pub[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
	uint8_t			 kh[STORE_HASH_LEN];

	memset(r, 0, sizeof(*r));
	memset(kh, kb, sizeof(kh));
	ck_assert_int_eq(store_reqkey_set(&r->key, tenant,
	    (const uint8_t *)txid, strlen(txid), kh), 1);
	r->state = state;
	r->msgtype = 19;
	r->created = r->updated = NOW;
	memset(r->csr_hash, 0xc5, sizeof(r->csr_hash));
	r->subject = subj;
	r->subject_len = sizeof(subj);
	r->pubkey = pub;
	r->pubkey_len = sizeof(pub);
	snprintf(r->client_addr, sizeof(r->client_addr), "192.0.2.7");
	r->challenge_ok = 1;
}

/* DER of a certificate for g_key; free with OPENSSL_free(). */
static uint8_t *
mkcert(const char *subject, long serial, int days, size_t *len)
{
	X509		*x;
	unsigned char	*der = NULL;
	int		 n;

	x = tu_issue(g_key, subject, NULL, NULL, serial, NOW, days);
	n = i2d_X509(x, &der);
	ck_assert_int_gt(n, 0);
	X509_free(x);
	*len = (size_t)n;
	return der;
}

/* SHA-256 of the DER SubjectPublicKeyInfo of key. */
static void
keyhash(EVP_PKEY *key, uint8_t out[STORE_HASH_LEN])
{
	unsigned char	*der = NULL;
	int		 n;

	n = i2d_PUBKEY(key, &der);
	ck_assert_int_gt(n, 0);
	sha256(der, (size_t)n, out);
	OPENSSL_free(der);
}

/* Collect serials (first byte) of listed certificates. */
struct seen {
	int	 n;
	int	 first[64];
	time_t	 not_after[64];
};

static int
cert_cb(const struct store_cert *c, void *arg)
{
	struct seen	*s = arg;

	ck_assert_int_lt(s->n, 64);
	s->first[s->n] = c->serial[c->serial_len - 1];
	s->not_after[s->n] = c->not_after;
	s->n++;
	return 1;
}

static int
count_req_cb(const struct store_req *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 1;
}

static int
pending_of(const char *tenant)
{
	int	 n = 0;

	ck_assert_int_eq(store_req_list(g_st, tenant, count_req_cb, &n),
	    STORE_OK);
	return n;
}

/* Wait for child pid; returns its exit status (or 100 + signal). */
static int
wait_child(pid_t pid)
{
	int	 status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 100 + WTERMSIG(status);
}

/*
 * valid
 */

START_TEST(test_req_insert_get)
{
	struct store_req	 r, *got = NULL, *ex = NULL;

	mkreq(&r, "acme", "tx-1", 0x11, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 10, NULL), STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	ck_assert_int_eq(got->state, STORE_REQ_PENDING);
	ck_assert_int_eq(got->msgtype, 19);
	ck_assert_int_eq(got->created, NOW);
	ck_assert_mem_eq(got->csr_hash, r.csr_hash, STORE_HASH_LEN);
	ck_assert_uint_eq(got->subject_len, r.subject_len);
	ck_assert_mem_eq(got->subject, r.subject, r.subject_len);
	ck_assert_uint_eq(got->pubkey_len, r.pubkey_len);
	ck_assert_mem_eq(got->pubkey, r.pubkey, r.pubkey_len);
	ck_assert_uint_eq(got->exts_len, 0);
	ck_assert_str_eq(got->client_addr, "192.0.2.7");
	ck_assert_int_eq(got->challenge_ok, 1);
	ck_assert_int_eq(got->renewal, 0);
	ck_assert_str_eq(got->key.tenant, "acme");
	ck_assert_uint_eq(got->key.txid_len, 4);
	ck_assert_mem_eq(got->key.keyhash, r.key.keyhash, STORE_HASH_LEN);

	/* The same key again: the stored one comes back, unchanged. */
	memset(r.csr_hash, 0x99, sizeof(r.csr_hash));
	ck_assert_int_eq(store_req_insert(g_st, &r, 10, &ex), STORE_EXISTS);
	ck_assert_ptr_nonnull(ex);
	ck_assert_mem_eq(ex->csr_hash, got->csr_hash, STORE_HASH_LEN);
	store_req_free(ex);
	store_req_free(got);
	ck_assert_int_eq(pending_of("acme"), 1);
}
END_TEST

START_TEST(test_req_same_txid_other_key)
{
	struct store_req	 a, b, *got = NULL;
	struct store_stat	 sst;

	/* INTEROP.md 6.3: another key is another transaction. */
	mkreq(&a, "acme", "same", 0x01, STORE_REQ_PENDING);
	mkreq(&b, "acme", "same", 0x02, STORE_REQ_PENDING);
	b.msgtype = 17;
	ck_assert_int_eq(store_req_insert(g_st, &a, 0, NULL), STORE_OK);
	ck_assert_int_eq(store_req_insert(g_st, &b, 0, NULL), STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &b.key, &got), STORE_OK);
	ck_assert_int_eq(got->msgtype, 17);
	store_req_free(got);
	ck_assert_int_eq(store_req_get(g_st, &a.key, &got), STORE_OK);
	ck_assert_int_eq(got->msgtype, 19);
	store_req_free(got);
	/* Same txid and key in another tenant: separate as well. */
	mkreq(&a, "other", "same", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &a, 0, NULL), STORE_OK);
	ck_assert_int_eq(store_stat(g_st, &sst), STORE_OK);
	ck_assert_uint_eq(sst.requests, 3);
	ck_assert_uint_eq(sst.pending, 3);
	ck_assert_int_eq(pending_of("acme"), 2);
	ck_assert_int_eq(pending_of(NULL), 3);
}
END_TEST

START_TEST(test_issue_indexes)
{
	struct store_req	 r, *got = NULL;
	struct store_cert	*c = NULL;
	struct store_fp		 f;
	struct seen		 s;
	uint8_t			*der, fp[STORE_HASH_LEN], kh[STORE_HASH_LEN];
	uint8_t			 sh[STORE_HASH_LEN];
	unsigned char		*nd = NULL;
	X509_NAME		*n;
	size_t			 len;
	int			 nlen;

	mkreq(&r, "acme", "tx-issue", 0x21, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 10, NULL), STORE_OK);
	der = mkcert("CN=dev1,O=Acme", 0x4242, 30, &len);
	ck_assert_int_eq(store_issue(g_st, &r, der, len, NOW + 5, NULL),
	    STORE_OK);

	/* The request: ISSUED with the serial, no longer pending. */
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	ck_assert_int_eq(got->state, STORE_REQ_ISSUED);
	ck_assert_int_eq(got->updated, NOW + 5);
	ck_assert_int_eq(got->created, NOW);
	ck_assert_uint_eq(got->serial_len, 2);
	ck_assert_int_eq(got->serial[0], 0x42);
	ck_assert_int_eq(got->serial[1], 0x42);
	store_req_free(got);
	ck_assert_int_eq(pending_of("acme"), 0);

	/* By fingerprint: the whole record, and the one-lookup status. */
	sha256(der, len, fp);
	ck_assert_int_eq(store_cert_by_fp(g_st, fp, &c), STORE_OK);
	ck_assert_str_eq(c->tenant, "acme");
	ck_assert_uint_eq(c->der_len, len);
	ck_assert_mem_eq(c->der, der, len);
	ck_assert_int_eq(c->state, STORE_CERT_VALID);
	ck_assert_int_eq(c->origin, STORE_ORIGIN_SCEP);
	ck_assert_int_eq(c->issued_at, NOW + 5);
	ck_assert_int_eq(c->not_before, NOW - 3600);
	ck_assert_int_eq(c->not_after, NOW + 30 * DAY);
	ck_assert_int_eq(c->has_req, 1);
	ck_assert_uint_eq(c->req.txid_len, r.key.txid_len);
	ck_assert_mem_eq(c->req.txid, r.key.txid, r.key.txid_len);
	ck_assert_mem_eq(c->req.keyhash, r.key.keyhash, STORE_HASH_LEN);
	store_cert_free(c);
	ck_assert_int_eq(store_fp_status(g_st, fp, &f), STORE_OK);
	ck_assert_str_eq(f.tenant, "acme");
	ck_assert_uint_eq(f.serial_len, 2);
	ck_assert_int_eq(f.state, STORE_CERT_VALID);
	ck_assert_int_eq(f.not_after, NOW + 30 * DAY);

	/* By serial, with a leading zero byte tolerated. */
	ck_assert_int_eq(store_cert_get(g_st, "acme",
	    (const uint8_t *)"\0\x42\x42", 3, &c), STORE_OK);
	ck_assert_mem_eq(c->fp, fp, STORE_HASH_LEN);
	store_cert_free(c);
	ck_assert_int_eq(store_cert_get(g_st, "other",
	    (const uint8_t *)"\x42\x42", 2, &c), STORE_NOTFOUND);
	ck_assert_ptr_null(c);

	/* By key hash and by subject hash. */
	keyhash(g_key, kh);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_certs_by_key(g_st, "acme", kh, cert_cb, &s),
	    STORE_OK);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.first[0], 0x42);
	n = tu_name("CN=dev1,O=Acme");
	nlen = i2d_X509_NAME(n, &nd);
	ck_assert_int_gt(nlen, 0);
	sha256(nd, (size_t)nlen, sh);
	OPENSSL_free(nd);
	X509_NAME_free(n);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_certs_by_subject(g_st, "acme", sh, cert_cb,
	    &s), STORE_OK);
	ck_assert_int_eq(s.n, 1);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_certs_by_key(g_st, "other", kh, cert_cb, &s),
	    STORE_OK);
	ck_assert_int_eq(s.n, 0);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_issue_auto_and_expiry_range)
{
	struct store_req	 r, *got = NULL;
	struct seen		 s;
	uint8_t			*der;
	size_t			 len;
	char			 txid[16];
	int			 i;
	static const int	 days[] = { 90, 10, 40, 20, 5 };

	/* Automatic approval: the request was never stored PENDING. */
	for (i = 0; i < 5; i++) {
		snprintf(txid, sizeof(txid), "auto-%d", i);
		mkreq(&r, "acme", txid, 0x30 + i, STORE_REQ_PENDING);
		der = mkcert("CN=auto", 0x10 + i, days[i], &len);
		ck_assert_int_eq(store_issue(g_st, &r, der, len, NOW, NULL),
		    STORE_OK);
		OPENSSL_free(der);
	}
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	ck_assert_int_eq(got->state, STORE_REQ_ISSUED);
	ck_assert_int_eq(got->serial[0], 0x14);
	store_req_free(got);
	ck_assert_int_eq(pending_of(NULL), 0);

	/* "Expiring in 30 days", ordered by notAfter. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_certs_expiring(g_st, "acme", NOW,
	    NOW + 30 * DAY, cert_cb, &s), STORE_OK);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.first[0], 0x14);	/* 5 days */
	ck_assert_int_eq(s.first[1], 0x11);	/* 10 days */
	ck_assert_int_eq(s.first[2], 0x13);	/* 20 days */
	ck_assert_int_lt(s.not_after[0], s.not_after[1]);
	/* The bound is exclusive: [10 days, 20 days) is one. */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_certs_expiring(g_st, "acme", NOW + 10 * DAY,
	    NOW + 20 * DAY, cert_cb, &s), STORE_OK);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.first[0], 0x11);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_certs_expiring(g_st, "acmf", 0,
	    NOW + 1000 * DAY, cert_cb, &s), STORE_OK);
	ck_assert_int_eq(s.n, 0);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_certs_expiring(g_st, "acme", 0,
	    NOW + 1000 * DAY, cert_cb, &s), STORE_OK);
	ck_assert_int_eq(s.n, 5);
}
END_TEST

struct rlist {
	int			 n;
	struct store_revoked	 r[8];
};

static int
revoked_cb(const struct store_revoked *rv, void *arg)
{
	struct rlist	*l = arg;

	ck_assert_int_lt(l->n, 8);
	/* The certificate comes with it: a DER SEQUENCE. */
	ck_assert_uint_gt(rv->der_len, 2);
	ck_assert_ptr_nonnull(rv->der);
	ck_assert_int_eq(rv->der[0], 0x30);
	l->r[l->n] = *rv;
	l->r[l->n].der = NULL;
	l->n++;
	return 1;
}

START_TEST(test_revoke_list)
{
	struct store_cert_in	 in;
	struct store_cert	*c = NULL;
	struct store_fp		 f;
	struct rlist		 l;
	uint8_t			*der[3], fp[STORE_HASH_LEN];
	size_t			 len[3];
	int			 i;

	for (i = 0; i < 3; i++) {
		der[i] = mkcert("CN=r", 0x70 + i, 30, &len[i]);
		memset(&in, 0, sizeof(in));
		in.tenant = i == 2 ? "other" : "acme";
		in.der = der[i];
		in.der_len = len[i];
		in.origin = STORE_ORIGIN_ADMIN;
		in.issued_at = NOW;
		ck_assert_int_eq(store_cert_add(g_st, &in), STORE_OK);
	}
	ck_assert_int_eq(store_cert_revoke(g_st, "acme",
	    (const uint8_t *)"\x71", 1, 1, NOW + 10), STORE_OK);
	ck_assert_int_eq(store_cert_revoke(g_st, "acme",
	    (const uint8_t *)"\x70", 1, 4, NOW + 20), STORE_OK);
	ck_assert_int_eq(store_cert_revoke(g_st, "other",
	    (const uint8_t *)"\x72", 1, 0, NOW + 30), STORE_OK);

	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(store_revoked_list(g_st, "acme", revoked_cb, &l),
	    STORE_OK);
	ck_assert_int_eq(l.n, 2);
	ck_assert_int_eq(l.r[0].serial[0], 0x70);
	ck_assert_int_eq(l.r[0].reason, 4);
	ck_assert_int_eq(l.r[0].revoked_at, NOW + 20);
	ck_assert_int_eq(l.r[0].not_after, NOW + 30 * DAY);
	ck_assert_int_eq(l.r[1].serial[0], 0x71);
	ck_assert_int_eq(l.r[1].reason, 1);
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(store_revoked_list(g_st, "other", revoked_cb, &l),
	    STORE_OK);
	ck_assert_int_eq(l.n, 1);

	/* The record and the gateway's fingerprint answer follow. */
	ck_assert_int_eq(store_cert_get(g_st, "acme",
	    (const uint8_t *)"\x71", 1, &c), STORE_OK);
	ck_assert_int_eq(c->state, STORE_CERT_REVOKED);
	ck_assert_int_eq(c->revoked_at, NOW + 10);
	ck_assert_int_eq(c->origin, STORE_ORIGIN_ADMIN);
	ck_assert_int_eq(c->has_req, 0);
	store_cert_free(c);
	sha256(der[1], len[1], fp);
	ck_assert_int_eq(store_fp_status(g_st, fp, &f), STORE_OK);
	ck_assert_int_eq(f.state, STORE_CERT_REVOKED);
	for (i = 0; i < 3; i++)
		OPENSSL_free(der[i]);
}
END_TEST

/* Two CA ids of one tenant (after a rollover). */
static const uint8_t	 CA1[STORE_HASH_LEN] = { 0xca, 1 };
static const uint8_t	 CA2[STORE_HASH_LEN] = { 0xca, 2 };

START_TEST(test_crl_numbers)
{
	struct store_crl	*c = NULL;
	uint64_t		 n, i;

	ck_assert_int_eq(store_crl_get(g_st, "acme", CA1, &c),
	    STORE_NOTFOUND);
	for (i = 1; i <= 3; i++) {
		ck_assert_int_eq(store_crl_reserve_number(g_st, "acme", &n),
		    STORE_OK);
		ck_assert_uint_eq(n, i);
	}
	ck_assert_int_eq(store_crl_reserve_number(g_st, "other", &n),
	    STORE_OK);
	ck_assert_uint_eq(n, 1);
	/* 3 signed faster than 2: 2 arrives late and is refused. */
	ck_assert_int_eq(store_crl_put(g_st, "acme", CA1, 3, NOW + 3,
	    (const uint8_t *)"crl-3", 5), STORE_OK);
	ck_assert_int_eq(store_crl_put(g_st, "acme", CA1, 2, NOW + 2,
	    (const uint8_t *)"crl-2", 5), STORE_STALE);
	ck_assert_int_eq(store_crl_put(g_st, "acme", CA1, 3, NOW + 4,
	    (const uint8_t *)"crl-3b", 6), STORE_STALE);
	ck_assert_int_eq(store_crl_get(g_st, "acme", CA1, &c), STORE_OK);
	ck_assert_uint_eq(c->number, 3);
	ck_assert_int_eq(c->this_update, NOW + 3);
	ck_assert_uint_eq(c->der_len, 5);
	ck_assert_mem_eq(c->der, "crl-3", 5);
	store_crl_free(c);
	/* Never reserved. */
	ck_assert_int_eq(store_crl_put(g_st, "acme", CA1, 4, NOW,
	    (const uint8_t *)"crl-4", 5), STORE_INVAL);
	ck_assert_int_eq(store_crl_reserve_number(g_st, "acme", &n),
	    STORE_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(store_crl_put(g_st, "acme", CA1, 4, NOW,
	    (const uint8_t *)"crl-4", 5), STORE_OK);
	/* The other CA of the tenant: its own record, the same counter. */
	ck_assert_int_eq(store_crl_get(g_st, "acme", CA2, &c),
	    STORE_NOTFOUND);
	ck_assert_int_eq(store_crl_reserve_number(g_st, "acme", &n),
	    STORE_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(store_crl_put(g_st, "acme", CA2, 5, NOW,
	    (const uint8_t *)"ca2-5", 5), STORE_OK);
	/* Stale for CA2 (it has 5), whatever CA1 has. */
	ck_assert_int_eq(store_crl_put(g_st, "acme", CA2, 4, NOW,
	    (const uint8_t *)"ca2-4", 5), STORE_STALE);
	ck_assert_int_eq(store_crl_get(g_st, "acme", CA1, &c), STORE_OK);
	ck_assert_uint_eq(c->number, 4);
	ck_assert_mem_eq(c->der, "crl-4", 5);
	store_crl_free(c);
	ck_assert_int_eq(store_crl_get(g_st, "acme", CA2, &c), STORE_OK);
	ck_assert_uint_eq(c->number, 5);
	ck_assert_mem_eq(c->der, "ca2-5", 5);
	store_crl_free(c);
}
END_TEST

START_TEST(test_nonce)
{
	struct store_req	 a, b, *ex = NULL;
	struct store_nonce	 seen;
	const uint8_t		*n1 = (const uint8_t *)"0123456789abcdef";
	const uint8_t		*n2 = (const uint8_t *)"fedcba9876543210";
	uint8_t			*der;
	size_t			 len, removed;

	/* A request records its message's nonce, seen when it came. */
	mkreq(&a, "acme", "tx-n", 0x01, STORE_REQ_PENDING);
	a.created = NOW - 100;
	memcpy(a.nonce, n1, 16);
	a.nonce_len = 16;
	ck_assert_int_eq(store_nonce_seen(g_st, &a.key, n1, 16, NULL),
	    STORE_NOTFOUND);
	ck_assert_int_eq(store_req_insert(g_st, &a, 0, NULL), STORE_OK);
	/* A replay, even signed by another key, names the first request. */
	mkreq(&b, "acme", "tx-n", 0x02, STORE_REQ_PENDING);
	ck_assert_int_eq(store_nonce_seen(g_st, &b.key, n1, 16, &seen),
	    STORE_EXISTS);
	ck_assert_mem_eq(seen.req.keyhash, a.key.keyhash, STORE_HASH_LEN);
	ck_assert_int_eq(seen.seen_at, NOW - 100);
	ck_assert_str_eq(seen.req.tenant, "acme");
	ck_assert_int_eq(store_nonce_seen(g_st, &a.key, n2, 16, NULL),
	    STORE_NOTFOUND);
	/* Another request with that nonce: refused, nothing written. */
	memcpy(b.nonce, n1, 16);
	b.nonce_len = 16;
	ck_assert_int_eq(store_req_insert(g_st, &b, 0, &ex), STORE_EXISTS);
	ck_assert_ptr_null(ex);
	ck_assert_int_eq(store_req_get(g_st, &b.key, &ex), STORE_NOTFOUND);
	b.state = STORE_REQ_ISSUED;
	der = mkcert("CN=nonce", 4242, 30, &len);
	ck_assert_int_eq(store_issue(g_st, &b, der, len, NOW, &ex),
	    STORE_EXISTS);
	ck_assert_ptr_null(ex);
	/* An automatic issue records its nonce too. */
	memcpy(b.nonce, n2, 16);
	ck_assert_int_eq(store_issue(g_st, &b, der, len, NOW, NULL),
	    STORE_OK);
	OPENSSL_free(der);
	ck_assert_int_eq(store_nonce_seen(g_st, &b.key, n2, 16, &seen),
	    STORE_EXISTS);
	ck_assert_int_eq(seen.seen_at, NOW);
	/* Same nonce, other transaction or tenant: new. */
	mkreq(&b, "acme", "tx-m", 0x01, STORE_REQ_PENDING);
	memcpy(b.nonce, n1, 16);
	b.nonce_len = 16;
	ck_assert_int_eq(store_req_insert(g_st, &b, 0, NULL), STORE_OK);
	mkreq(&b, "other", "tx-n", 0x01, STORE_REQ_REJECTED);
	memcpy(b.nonce, n1, 16);
	b.nonce_len = 16;
	ck_assert_int_eq(store_req_insert(g_st, &b, 0, NULL), STORE_OK);
	/* replay_window 50 s: only the nonce seen 100 s ago goes. */
	ck_assert_int_eq(store_nonce_expire(g_st, NOW, 50, &removed),
	    STORE_OK);
	ck_assert_uint_eq(removed, 1);
	ck_assert_int_eq(store_nonce_seen(g_st, &a.key, n1, 16, NULL),
	    STORE_NOTFOUND);
	ck_assert_int_eq(store_nonce_seen(g_st, &b.key, n1, 16, NULL),
	    STORE_EXISTS);
}
END_TEST

/*
 * Expiry across write transactions (EXPIRE_PER_TXN, 10,000 a
 * transaction in store.c): 10,001 old nonces go in two, the newer ones
 * stay, and a second run finds nothing.
 */
START_TEST(test_nonce_expire_batches)
{
	struct store_req	 r;
	char			 txid[32];
	uint8_t			 nonce[16];
	size_t			 i, removed;
	const size_t		 nold = 10001, nnew = 5;

	memset(nonce, 0, sizeof(nonce));
	for (i = 0; i < nold + nnew; i++) {
		snprintf(txid, sizeof(txid), "tx-%zu", i);
		mkreq(&r, "acme", txid, 0x01, STORE_REQ_REJECTED);
		/* Old ones spread over 1000 s, each second many times. */
		r.created = i < nold ? NOW - 2000 + (time_t)(i % 1000) : NOW;
		memcpy(nonce, &i, sizeof(i));
		memcpy(r.nonce, nonce, sizeof(nonce));
		r.nonce_len = sizeof(nonce);
		ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL),
		    STORE_OK);
	}
	ck_assert_int_eq(store_nonce_expire(g_st, NOW, 50, &removed),
	    STORE_OK);
	ck_assert_uint_eq(removed, nold);
	for (i = 0; i < nold + nnew; i += (i < nold ? 997 : 1)) {
		snprintf(txid, sizeof(txid), "tx-%zu", i);
		mkreq(&r, "acme", txid, 0x01, STORE_REQ_REJECTED);
		memset(nonce, 0, sizeof(nonce));
		memcpy(nonce, &i, sizeof(i));
		ck_assert_int_eq(store_nonce_seen(g_st, &r.key, nonce,
		    sizeof(nonce), NULL), i < nold ? STORE_NOTFOUND :
		    STORE_EXISTS);
	}
	ck_assert_int_eq(store_nonce_expire(g_st, NOW, 50, &removed),
	    STORE_OK);
	ck_assert_uint_eq(removed, 0);
}
END_TEST

START_TEST(test_pending_expire)
{
	struct store_req	 r, *got = NULL;
	struct store_reqkey	 old;
	size_t			 n;

	mkreq(&r, "acme", "old", 0x01, STORE_REQ_PENDING);
	r.created = NOW - 1000;
	old = r.key;
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	mkreq(&r, "acme", "new", 0x01, STORE_REQ_PENDING);
	r.created = NOW - 10;
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	mkreq(&r, "beta", "old2", 0x01, STORE_REQ_PENDING);
	r.created = NOW - 100;
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	mkreq(&r, "beta", "new2", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);

	/* ttl 100: created <= NOW - 100 expires. */
	ck_assert_int_eq(store_pending_expire(g_st, NOW, 100, &n), STORE_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(store_req_get(g_st, &old, &got), STORE_OK);
	ck_assert_int_eq(got->state, STORE_REQ_REJECTED);
	ck_assert_int_eq(got->updated, NOW);
	ck_assert_str_eq(got->reason, "pending_ttl expired");
	store_req_free(got);
	ck_assert_int_eq(pending_of("acme"), 1);
	ck_assert_int_eq(pending_of("beta"), 1);
	ck_assert_int_eq(store_pending_expire(g_st, NOW, 100, &n), STORE_OK);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(test_req_reject_deliver)
{
	struct store_req	 r, *got = NULL;
	uint8_t			*der;
	size_t			 len;

	mkreq(&r, "acme", "rej", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 1, NULL), STORE_OK);
	ck_assert_int_eq(store_req_set_delivered(g_st, &r.key, NOW),
	    STORE_STATE);
	ck_assert_int_eq(store_req_reject(g_st, &r.key, "operator said no",
	    NOW + 1), STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	ck_assert_int_eq(got->state, STORE_REQ_REJECTED);
	ck_assert_str_eq(got->reason, "operator said no");
	store_req_free(got);
	ck_assert_int_eq(pending_of("acme"), 0);

	/* Delivery: the first time is kept (reissue_window). */
	mkreq(&r, "acme", "dlv", 0x01, STORE_REQ_PENDING);
	der = mkcert("CN=d", 0x55, 30, &len);
	ck_assert_int_eq(store_issue(g_st, &r, der, len, NOW, NULL), STORE_OK);
	OPENSSL_free(der);
	ck_assert_int_eq(store_req_set_delivered(g_st, &r.key, NOW + 7),
	    STORE_OK);
	ck_assert_int_eq(store_req_set_delivered(g_st, &r.key, NOW + 9),
	    STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	ck_assert_int_eq(got->delivered, NOW + 7);
	store_req_free(got);
}
END_TEST

START_TEST(test_req_retire)
{
	struct store_req	 r, *got = NULL;
	uint8_t			 other[STORE_HASH_LEN], *der;
	size_t			 len;

	mkreq(&r, "acme", "resubmit", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_retire(g_st, &r.key, r.csr_hash),
	    STORE_NOTFOUND);
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	/* PENDING is never retired. */
	ck_assert_int_eq(store_req_retire(g_st, &r.key, r.csr_hash),
	    STORE_STATE);
	der = mkcert("CN=old", 0x31, 30, &len);
	ck_assert_int_eq(store_issue(g_st, &r, der, len, NOW, NULL), STORE_OK);
	OPENSSL_free(der);
	/* Another CSR than the one stored: refused. */
	memset(other, 0x77, sizeof(other));
	ck_assert_int_eq(store_req_retire(g_st, &r.key, other), STORE_STATE);
	ck_assert_int_eq(store_req_retire(g_st, &r.key, r.csr_hash),
	    STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_NOTFOUND);
	/* The key starts a new transaction; the old certificate stays. */
	memcpy(r.csr_hash, other, sizeof(other));
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	ck_assert_int_eq(pending_of("acme"), 1);
	ck_assert_int_eq(store_req_reject(g_st, &r.key, "no", NOW), STORE_OK);
	ck_assert_int_eq(store_req_retire(g_st, &r.key, NULL), STORE_OK);
	ck_assert_int_eq(pending_of("acme"), 0);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_NOTFOUND);
}
END_TEST

/* The child of test_reader_check: dies inside a read transaction. */
static int
die_cb(const struct store_req *r, void *arg)
{
	(void)r;
	(void)arg;
	_exit(0);
}

START_TEST(test_reader_check)
{
	struct store		*st;
	struct store_req	 r;
	pid_t			 pid;
	int			 dead = -1;

	mkreq(&r, "acme", "rc", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	ck_assert_int_eq(store_reader_check(g_st, &dead), STORE_OK);
	ck_assert_int_eq(dead, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Own env; exit with a read transaction open. */
		st = store_open(g_dir, 0, 0, NULL, 0);
		if (st == NULL)
			_exit(1);
		store_req_list(st, NULL, die_cb, NULL);
		_exit(2);
	}
	ck_assert_int_eq(wait_child(pid), 0);
	ck_assert_int_eq(store_reader_check(g_st, &dead), STORE_OK);
	ck_assert_int_eq(dead, 1);
	ck_assert_int_eq(store_reader_check(g_st, &dead), STORE_OK);
	ck_assert_int_eq(dead, 0);
}
END_TEST

/* Insert n PENDING requests named prefix-i in a fresh env; exit code. */
static int
child_insert(const char *prefix, int n)
{
	struct store		*st;
	struct store_req	 r;
	char			 txid[64];
	int			 i;

	if ((st = store_open(g_dir, 0, 0, NULL, 0)) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(txid, sizeof(txid), "%s-%d", prefix, i);
		mkreq(&r, "acme", txid, 0x01, STORE_REQ_PENDING);
		if (store_req_insert(st, &r, 0, NULL) != STORE_OK) {
			store_close(st);
			return 2;
		}
	}
	store_close(st);
	return 0;
}

START_TEST(test_two_writers)
{
	struct store_stat	 sst;
	pid_t			 pid[2];
	int			 i;

	/* The fixture's env stays open here; each child opens its own. */
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0)
			_exit(child_insert(i == 0 ? "a" : "b", 500));
	}
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(wait_child(pid[i]), 0);
	ck_assert_int_eq(store_stat(g_st, &sst), STORE_OK);
	ck_assert_uint_eq(sst.requests, 1000);
	ck_assert_uint_eq(sst.pending, 1000);
	ck_assert_int_eq(pending_of("acme"), 1000);
}
END_TEST

struct snap {
	int	 n;
	int	 child;
};

/*
 * Inside the parent's read transaction: a child process writes a
 * request; the parent's snapshot must not change under it.
 */
static int
snap_cb(const struct store_req *r, void *arg)
{
	struct snap	*s = arg;
	pid_t		 pid;
	int		 status;

	(void)r;
	if (s->n++ == 0) {
		if ((pid = fork()) == 0)
			_exit(child_insert("snap", 1));
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status))
			s->child = -1;
		else
			s->child = WEXITSTATUS(status);
	}
	return 1;
}

START_TEST(test_snapshot_across_processes)
{
	struct store_req	 r, *got = NULL;
	struct snap		 s;

	mkreq(&r, "acme", "first", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_req_list(g_st, "acme", snap_cb, &s), STORE_OK);
	ck_assert_int_eq(s.child, 0);
	ck_assert_int_eq(s.n, 1);
	/* A new transaction sees the child's write. */
	ck_assert_int_eq(pending_of("acme"), 2);
	mkreq(&r, "acme", "snap-0", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	store_req_free(got);
}
END_TEST

/*
 * Another process grows the map past ours: our next transaction gets
 * MDB_MAP_RESIZED, adopts the new size and succeeds (STYLE.md B8).
 */
START_TEST(test_map_resized)
{
	struct store		*st, *big;
	struct store_cert_in	*in;
	struct store_stat	 sst;
	char			 dir[300];
	size_t			 i, n = 3000, loaded = 0;
	pid_t			 pid;

	snprintf(dir, sizeof(dir), "%s/grow", g_dir);
	st = open_env(dir, 1 << 20);
	ck_assert_int_eq(store_stat(st, &sst), STORE_OK);
	ck_assert_uint_eq(sst.map_size, 1 << 20);
	in = calloc(n, sizeof(*in));
	ck_assert_ptr_nonnull(in);
	for (i = 0; i < n; i++) {
		in[i].tenant = "acme";
		in[i].der = mkcert("CN=grow", 1 + (long)i, 30,
		    &in[i].der_len);
		in[i].origin = STORE_ORIGIN_ADMIN;
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if ((big = store_open(dir, 0, 8 << 20, NULL, 0)) == NULL)
			_exit(1);
		if (store_bulk_load(big, in, n, 0, &loaded) != STORE_OK)
			_exit(2);
		store_close(big);
		_exit(0);
	}
	ck_assert_int_eq(wait_child(pid), 0);
	ck_assert_int_eq(store_stat(st, &sst), STORE_OK);
	ck_assert_uint_eq(sst.certs, n);
	ck_assert_uint_eq(sst.map_size, 8 << 20);
	ck_assert_uint_gt(sst.map_used, 1 << 20);
	store_close(st);
	for (i = 0; i < n; i++)
		OPENSSL_free((void *)in[i].der);
	free(in);
	rm_env(dir);
}
END_TEST

START_TEST(test_bulk_load)
{
	struct store_cert_in	*in;
	struct store_cert	*c = NULL;
	struct store_stat	 sst;
	uint8_t			 fp[STORE_HASH_LEN];
	size_t			 i, n = 20000, loaded;
	X509			*x;
	ASN1_INTEGER		*sn;
	unsigned char		*der;
	int			 dl;

	/* One template; only the serial changes (and so the DER). */
	x = tu_issue(g_key, "CN=bulk,O=Acme", NULL, NULL, 1, NOW, 365);
	sn = ASN1_INTEGER_new();
	ck_assert_ptr_nonnull(sn);
	in = calloc(n, sizeof(*in));
	ck_assert_ptr_nonnull(in);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(ASN1_INTEGER_set_int64(sn,
		    (int64_t)0x1000000 + (int64_t)i), 1);
		ck_assert_int_eq(X509_set_serialNumber(x, sn), 1);
		ck_assert_int_gt(X509_sign(x, g_key, EVP_sha256()), 0);
		der = NULL;
		dl = i2d_X509(x, &der);
		ck_assert_int_gt(dl, 0);
		in[i].tenant = i % 2 ? "acme" : "beta";
		in[i].der = der;
		in[i].der_len = (size_t)dl;
		in[i].origin = STORE_ORIGIN_ADMIN;
		in[i].issued_at = NOW;
	}
	ASN1_INTEGER_free(sn);
	X509_free(x);
	ck_assert_int_eq(store_bulk_load(g_st, in, n, 0, &loaded), STORE_OK);
	ck_assert_uint_eq(loaded, n);
	ck_assert_int_eq(store_stat(g_st, &sst), STORE_OK);
	ck_assert_uint_eq(sst.certs, n);
	for (i = 0; i < n; i += 7) {
		sha256(in[i].der, in[i].der_len, fp);
		ck_assert_int_eq(store_cert_by_fp(g_st, fp, &c), STORE_OK);
		ck_assert_str_eq(c->tenant, in[i].tenant);
		ck_assert_uint_eq(c->der_len, in[i].der_len);
		ck_assert_mem_eq(c->der, in[i].der, c->der_len);
		store_cert_free(c);
	}
	/* Loading one again: its batch is refused whole. */
	ck_assert_int_eq(store_bulk_load(g_st, in + 5, 2, 0, &loaded),
	    STORE_SERIAL_TAKEN);
	ck_assert_uint_eq(loaded, 0);
	ck_assert_int_eq(store_stat(g_st, &sst), STORE_OK);
	ck_assert_uint_eq(sst.certs, n);
	for (i = 0; i < n; i++)
		OPENSSL_free((void *)in[i].der);
	free(in);
}
END_TEST

/*
 * policy
 */

START_TEST(test_quota)
{
	struct store_req	 r;
	char			 txid[16];
	int			 i;

	for (i = 0; i < 3; i++) {
		snprintf(txid, sizeof(txid), "q%d", i);
		mkreq(&r, "acme", txid, 0x01, STORE_REQ_PENDING);
		ck_assert_int_eq(store_req_insert(g_st, &r, 3, NULL),
		    STORE_OK);
	}
	mkreq(&r, "acme", "q3", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 3, NULL), STORE_QUOTA);
	/* Nothing written: with room again the same key inserts. */
	ck_assert_int_eq(pending_of("acme"), 3);
	/* A REJECTED record does not count; another tenant has room. */
	mkreq(&r, "acme", "q4", 0x01, STORE_REQ_REJECTED);
	ck_assert_int_eq(store_req_insert(g_st, &r, 3, NULL), STORE_OK);
	mkreq(&r, "beta", "q0", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 3, NULL), STORE_OK);
	/* A decision frees a slot. */
	mkreq(&r, "acme", "q0", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_reject(g_st, &r.key, NULL, NOW), STORE_OK);
	mkreq(&r, "acme", "q3", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 3, NULL), STORE_OK);
	ck_assert_int_eq(store_req_reject(g_st, &r.key, NULL, NOW), STORE_OK);
	ck_assert_int_eq(store_req_reject(g_st, &r.key, NULL, NOW),
	    STORE_STATE);
}
END_TEST

START_TEST(test_serial_taken)
{
	struct store_cert_in	 in;
	struct store_req	 r, *got = NULL, *ex = NULL;
	struct store_stat	 sst;
	uint8_t			*d1, *d2, *d3, fp[STORE_HASH_LEN];
	struct store_fp		 f;
	size_t			 l1, l2, l3;

	d1 = mkcert("CN=admin", 42, 30, &l1);
	d2 = mkcert("CN=scep", 42, 30, &l2);
	memset(&in, 0, sizeof(in));
	in.tenant = "acme";
	in.der = d1;
	in.der_len = l1;
	in.origin = STORE_ORIGIN_ADMIN;
	in.issued_at = NOW;
	ck_assert_int_eq(store_cert_add(g_st, &in), STORE_OK);

	/* Auto-approval with a taken serial: nothing written at all. */
	mkreq(&r, "acme", "collide", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_issue(g_st, &r, d2, l2, NOW, NULL),
	    STORE_SERIAL_TAKEN);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_NOTFOUND);
	sha256(d2, l2, fp);
	ck_assert_int_eq(store_fp_status(g_st, fp, &f), STORE_NOTFOUND);
	ck_assert_int_eq(store_stat(g_st, &sst), STORE_OK);
	ck_assert_uint_eq(sst.certs, 1);
	ck_assert_uint_eq(sst.requests, 0);

	/* Approval with a taken serial: stays PENDING. */
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	ck_assert_int_eq(store_issue(g_st, &r, d2, l2, NOW, NULL),
	    STORE_SERIAL_TAKEN);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	ck_assert_int_eq(got->state, STORE_REQ_PENDING);
	store_req_free(got);
	/* The same serial in another tenant is fine. */
	in.tenant = "beta";
	in.der = d2;
	in.der_len = l2;
	ck_assert_int_eq(store_cert_add(g_st, &in), STORE_OK);
	/* The same DER twice is refused even in another tenant. */
	in.tenant = "gamma";
	ck_assert_int_eq(store_cert_add(g_st, &in), STORE_SERIAL_TAKEN);

	/* Re-signed with a new serial: issued. */
	d3 = mkcert("CN=scep", 43, 30, &l3);
	ck_assert_int_eq(store_issue(g_st, &r, d3, l3, NOW, NULL), STORE_OK);
	/* Issuing again: the stored ISSUED request comes back. */
	ck_assert_int_eq(store_issue(g_st, &r, d1, l1, NOW, &ex),
	    STORE_EXISTS);
	ck_assert_ptr_nonnull(ex);
	ck_assert_int_eq(ex->state, STORE_REQ_ISSUED);
	ck_assert_int_eq(ex->serial[0], 43);
	store_req_free(ex);
	ck_assert_int_eq(store_stat(g_st, &sst), STORE_OK);
	ck_assert_uint_eq(sst.certs, 3);
	OPENSSL_free(d1);
	OPENSSL_free(d2);
	OPENSSL_free(d3);
}
END_TEST

START_TEST(test_issue_other_csr)
{
	struct store_req	 r, *ex = NULL;
	uint8_t			*der;
	size_t			 len;

	/* INTEROP.md 6.3: a PENDING request is never replaced. */
	mkreq(&r, "acme", "other-csr", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	memset(r.csr_hash, 0x01, sizeof(r.csr_hash));
	der = mkcert("CN=o", 7, 30, &len);
	ck_assert_int_eq(store_issue(g_st, &r, der, len, NOW, &ex),
	    STORE_EXISTS);
	ck_assert_int_eq(ex->state, STORE_REQ_PENDING);
	ck_assert_int_eq(ex->csr_hash[0], 0xc5);
	store_req_free(ex);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_map_full)
{
	struct store		*st;
	struct store_cert_in	*in;
	struct store_stat	 sst;
	struct store_cert	*c = NULL;
	uint8_t			 fp[STORE_HASH_LEN];
	char			 dir[300];
	size_t			 i, n = 4000, loaded = 0;
	enum store_rc		 rc;

	snprintf(dir, sizeof(dir), "%s/small", g_dir);
	st = open_env(dir, 1 << 20);
	in = calloc(n, sizeof(*in));
	ck_assert_ptr_nonnull(in);
	for (i = 0; i < n; i++) {
		in[i].tenant = "acme";
		in[i].der = mkcert("CN=fill", 1000 + (long)i, 30,
		    &in[i].der_len);
		in[i].origin = STORE_ORIGIN_ADMIN;
	}
	rc = store_bulk_load(st, in, n, 100, &loaded);
	ck_assert_msg(rc == STORE_FULL, "%s: %s", store_rc_str(rc),
	    store_errstr(st));
	ck_assert_ptr_nonnull(strstr(store_errstr(st), "MDB_MAP_FULL"));
	ck_assert_uint_gt(loaded, 0);
	ck_assert_uint_lt(loaded, n);
	/* What was committed is whole and readable; writes stay refused. */
	ck_assert_int_eq(store_stat(st, &sst), STORE_OK);
	ck_assert_uint_eq(sst.certs, loaded);
	sha256(in[0].der, in[0].der_len, fp);
	ck_assert_int_eq(store_cert_by_fp(st, fp, &c), STORE_OK);
	store_cert_free(c);
	ck_assert_int_eq(store_bulk_load(st, in + loaded, n - loaded, 0, NULL),
	    STORE_FULL);
	store_close(st);
	for (i = 0; i < n; i++)
		OPENSSL_free((void *)in[i].der);
	free(in);
	rm_env(dir);
}
END_TEST

START_TEST(test_after_fork)
{
	struct store_req	 r;
	struct store_req	*got = NULL;
	pid_t			 pid;

	mkreq(&r, "acme", "f", 0x01, STORE_REQ_PENDING);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* The parent's store: refused, and closing it is harmless. */
		if (store_req_get(g_st, &r.key, &got) != STORE_ERROR ||
		    store_reader_check(g_st, NULL) != STORE_ERROR)
			_exit(1);
		store_close(g_st);
		_exit(0);
	}
	ck_assert_int_eq(wait_child(pid), 0);
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	store_req_free(got);
}
END_TEST

/*
 * malformed
 */

START_TEST(test_schema_newer)
{
	static const uint8_t	 v999[4] = { 0, 0, 0x03, 0xe7 };
	char			 err[256];
	struct store		*st;

	ck_assert_int_eq(store_test_poke(g_st, "meta",
	    (const uint8_t *)"version", 7, v999, 4), STORE_OK);
	store_close(g_st);
	g_st = NULL;
	st = store_open(g_dir, STORE_CREATE, 0, err, sizeof(err));
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err, "schema version 999 is newer") != NULL,
	    "message: %s", err);
	st = store_open(g_dir, 0, 0, err, sizeof(err));
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err, "999"));
}
END_TEST

/*
 * Schema 2 -> 3: the CA-less CRL record of schema 2 is dropped, the
 * CRL number counter and per-CA records stay (a CA id whose last byte
 * is 'd' too).
 */
START_TEST(test_schema_migrate_v3)
{
	static const uint8_t	 v2[4] = { 0, 0, 0, 2 };
	static const uint8_t	 oldkey[] = { 4, 'a', 'c', 'm', 'e', 'd' };
	uint8_t			 caid[STORE_HASH_LEN];
	struct store_crl	*c = NULL;
	char			 err[256];
	uint64_t		 n;

	memset(caid, 'd', sizeof(caid));
	ck_assert_int_eq(store_crl_reserve_number(g_st, "acme", &n),
	    STORE_OK);
	ck_assert_int_eq(store_crl_reserve_number(g_st, "acme", &n),
	    STORE_OK);
	ck_assert_int_eq(store_crl_put(g_st, "acme", caid, 2, NOW,
	    (const uint8_t *)"crl-2", 5), STORE_OK);
	ck_assert_int_eq(store_test_poke(g_st, "crl", oldkey, sizeof(oldkey),
	    (const uint8_t *)"old", 3), STORE_OK);
	ck_assert_int_eq(store_test_poke(g_st, "meta",
	    (const uint8_t *)"version", 7, v2, 4), STORE_OK);
	store_close(g_st);
	g_st = store_open(g_dir, 0, 0, err, sizeof(err));
	ck_assert_msg(g_st != NULL, "reopen: %s", err);
	ck_assert_int_eq(store_crl_get(g_st, "acme", caid, &c), STORE_OK);
	ck_assert_uint_eq(c->number, 2);
	store_crl_free(c);
	ck_assert_int_eq(store_crl_reserve_number(g_st, "acme", &n),
	    STORE_OK);
	ck_assert_uint_eq(n, 3);
	/* The CA-less record of schema 2 is gone. */
	ck_assert_int_eq(store_test_poke(g_st, "crl", oldkey, sizeof(oldkey),
	    NULL, 0), STORE_NOTFOUND);
}
END_TEST

/*
 * A schema 1 database (version record 1) is migrated to the current
 * schema at open, keeping its records: the migration steps run in the
 * open's write transaction.
 */
START_TEST(test_schema_migrate)
{
	static const uint8_t	 v1[4] = { 0, 0, 0, 1 };
	char			 err[256];
	struct store_req	 r, *got = NULL;
	struct store_stat	 sst;

	mkreq(&r, "mig", "tx-migrate", 0x21, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	ck_assert_int_eq(store_test_poke(g_st, "meta",
	    (const uint8_t *)"version", 7, v1, 4), STORE_OK);
	store_close(g_st);
	g_st = store_open(g_dir, 0, 0, err, sizeof(err));
	ck_assert_msg(g_st != NULL, "reopen: %s", err);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	store_req_free(got);
	ck_assert_int_eq(store_stat(g_st, &sst), STORE_OK);
	ck_assert_uint_eq(sst.pending, 1);
	/* The version record now says the current schema. */
	store_close(g_st);
	g_st = store_open(g_dir, 0, 0, err, sizeof(err));
	ck_assert_ptr_nonnull(g_st);
}
END_TEST

START_TEST(test_schema_bad)
{
	static const uint8_t	 v0[4] = { 0, 0, 0, 0 };
	char			 err[256], dir[300];
	struct store		*st;

	/* A version record of the wrong size or 0 is corrupt. */
	ck_assert_int_eq(store_test_poke(g_st, "meta",
	    (const uint8_t *)"version", 7, v0, 3), STORE_OK);
	store_close(g_st);
	g_st = NULL;
	ck_assert_ptr_null(store_open(g_dir, 0, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "corrupt schema version"));
	/* No database there and no STORE_CREATE. */
	snprintf(dir, sizeof(dir), "%s/none", g_dir);
	ck_assert_ptr_null(store_open(dir, 0, 0, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "mdb_env_open"));
	/* An empty directory without STORE_CREATE is not initialised. */
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_ptr_null(store_open(dir, 0, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "no meta") != NULL, "message: %s", err);
	/* With it, the same directory opens; then also without it. */
	st = store_open(dir, STORE_CREATE, 0, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	store_close(st);
	st = store_open(dir, 0, 0, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	store_close(st);
	rm_env(dir);
}
END_TEST

/* Big-endian writer for hand-built records. */
static size_t
put_be(uint8_t *p, uint64_t v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return n;
}

/*
 * A request record built by hand from the layout documented at the top
 * of store.c, so the documentation is checked too.  Returns its length.
 */
static size_t
handmade_req(uint8_t *p)
{
	size_t	 o = 0;

	p[o++] = 1;			/* version */
	p[o++] = STORE_REQ_PENDING;
	p[o++] = 17;			/* RenewalReq */
	p[o++] = 3;			/* challenge_ok | renewal */
	o += put_be(p + o, (uint64_t)NOW, 8);
	o += put_be(p + o, (uint64_t)NOW + 1, 8);
	o += put_be(p + o, 0, 8);
	memset(p + o, 0xab, 32);
	o += 32;
	o += put_be(p + o, 2, 4);	/* subject */
	p[o++] = 0x30;
	p[o++] = 0x00;
	o += put_be(p + o, 0, 4);	/* pubkey */
	o += put_be(p + o, 0, 4);	/* exts */
	p[o++] = 3;			/* client_addr */
	memcpy(p + o, "::1", 3);
	o += 3;
	p[o++] = 1;			/* renew_serial */
	p[o++] = 0x77;
	p[o++] = 0;			/* serial */
	o += put_be(p + o, 2, 2);	/* reason */
	memcpy(p + o, "no", 2);
	o += 2;
	p[o++] = 0;			/* challenge_id */
	return o;
}

START_TEST(test_corrupt_req)
{
	struct store_req	 r, *got = NULL;
	uint8_t			 key[256], rec[256], bad[256];
	size_t			 klen = 0, rlen, i;

	mkreq(&r, "acme", "tx", 0x5a, STORE_REQ_PENDING);
	key[klen++] = 4;
	memcpy(key + klen, "acme", 4);
	klen += 4;
	key[klen++] = 2;
	memcpy(key + klen, "tx", 2);
	klen += 2;
	memset(key + klen, 0x5a, 32);
	klen += 32;
	rlen = handmade_req(rec);

	/* The documented layout decodes. */
	ck_assert_int_eq(store_test_poke(g_st, "req", key, klen, rec, rlen),
	    STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	ck_assert_int_eq(got->msgtype, 17);
	ck_assert_int_eq(got->renewal, 1);
	ck_assert_int_eq(got->challenge_ok, 1);
	ck_assert_int_eq(got->updated, NOW + 1);
	ck_assert_str_eq(got->client_addr, "::1");
	ck_assert_uint_eq(got->renew_serial_len, 1);
	ck_assert_str_eq(got->reason, "no");
	ck_assert_uint_eq(got->subject_len, 2);
	store_req_free(got);

	/* Every truncation, and a trailing byte, is corrupt. */
	for (i = 0; i <= rlen; i++) {
		if (i == rlen) {
			memcpy(bad, rec, rlen);
			bad[rlen] = 0;
			ck_assert_int_eq(store_test_poke(g_st, "req", key,
			    klen, bad, rlen + 1), STORE_OK);
		} else
			ck_assert_int_eq(store_test_poke(g_st, "req", key,
			    klen, rec, i), STORE_OK);
		ck_assert_msg(store_req_get(g_st, &r.key, &got) ==
		    STORE_CORRUPT, "length %zu decoded", i);
		ck_assert_ptr_null(got);
	}
	/* Bad version, state, flags; huge length; NUL in a string. */
	memcpy(bad, rec, rlen);
	bad[0] = 2;
	ck_assert_int_eq(store_test_poke(g_st, "req", key, klen, bad, rlen),
	    STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_CORRUPT);
	memcpy(bad, rec, rlen);
	bad[1] = 9;
	ck_assert_int_eq(store_test_poke(g_st, "req", key, klen, bad, rlen),
	    STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_CORRUPT);
	memcpy(bad, rec, rlen);
	bad[3] = 4;
	ck_assert_int_eq(store_test_poke(g_st, "req", key, klen, bad, rlen),
	    STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_CORRUPT);
	memcpy(bad, rec, rlen);
	put_be(bad + 60, 0xffffffff, 4);	/* subject length */
	ck_assert_int_eq(store_test_poke(g_st, "req", key, klen, bad, rlen),
	    STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_CORRUPT);
	memcpy(bad, rec, rlen);
	bad[76] = '\0';				/* inside "::1" */
	ck_assert_int_eq(store_test_poke(g_st, "req", key, klen, bad, rlen),
	    STORE_OK);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_CORRUPT);
	/* A corrupt record is reported, never silently replaced. */
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_CORRUPT);
}
END_TEST

START_TEST(test_corrupt_cert)
{
	struct store_cert_in	 in;
	struct store_cert	*c = NULL;
	struct store_fp		 f;
	struct seen		 s;
	uint8_t			*der, fp[STORE_HASH_LEN], kh[STORE_HASH_LEN];
	static const uint8_t	 key[] = { 4, 'a', 'c', 'm', 'e', 1, 9 };
	static const uint8_t	 junk[] = { 1, 1, 1, 0 };
	size_t			 len;

	der = mkcert("CN=c", 9, 30, &len);
	memset(&in, 0, sizeof(in));
	in.tenant = "acme";
	in.der = der;
	in.der_len = len;
	in.origin = STORE_ORIGIN_ADMIN;
	ck_assert_int_eq(store_cert_add(g_st, &in), STORE_OK);
	/* Overwrite the record of serial 9 with junk. */
	ck_assert_int_eq(store_test_poke(g_st, "cert", key, sizeof(key),
	    junk, sizeof(junk)), STORE_OK);
	ck_assert_int_eq(store_cert_get(g_st, "acme",
	    (const uint8_t *)"\x09", 1, &c), STORE_CORRUPT);
	ck_assert_ptr_null(c);
	sha256(der, len, fp);
	ck_assert_int_eq(store_cert_by_fp(g_st, fp, &c), STORE_CORRUPT);
	keyhash(g_key, kh);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_certs_by_key(g_st, "acme", kh, cert_cb, &s),
	    STORE_CORRUPT);
	ck_assert_int_eq(store_cert_revoke(g_st, "acme",
	    (const uint8_t *)"\x09", 1, 0, NOW), STORE_CORRUPT);
	/* A corrupt fingerprint record. */
	ck_assert_int_eq(store_test_poke(g_st, "cert_fp", fp, sizeof(fp),
	    junk, sizeof(junk)), STORE_OK);
	ck_assert_int_eq(store_fp_status(g_st, fp, &f), STORE_CORRUPT);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_invalid_args)
{
	struct store_reqkey	 k;
	struct store_req	 r, *got = NULL;
	struct store_cert_in	 in;
	struct store_cert	*c = NULL;
	uint8_t			 kh[STORE_HASH_LEN] = { 0 }, txid[129];
	uint8_t			*der, *bad;
	size_t			 len;
	char			 t64[65];
	uint64_t		 n;

	memset(txid, 'x', sizeof(txid));
	memset(t64, 'a', 64);
	t64[64] = '\0';
	ck_assert_int_eq(store_reqkey_set(&k, "", txid, 1, kh), 0);
	ck_assert_int_eq(store_reqkey_set(&k, "Acme", txid, 1, kh), 0);
	ck_assert_int_eq(store_reqkey_set(&k, "-acme", txid, 1, kh), 0);
	ck_assert_int_eq(store_reqkey_set(&k, "a/b", txid, 1, kh), 0);
	ck_assert_int_eq(store_reqkey_set(&k, t64, txid, 1, kh), 0);
	ck_assert_int_eq(store_reqkey_set(&k, t64 + 1, txid, 128, kh), 1);
	ck_assert_int_eq(store_reqkey_set(&k, "a_b-9", txid, 0, kh), 0);
	ck_assert_int_eq(store_reqkey_set(&k, "a_b-9", txid, 129, kh), 0);
	ck_assert_int_eq(store_tenant_valid(NULL), 0);

	/* A request with bad fields or ISSUED is refused by insert. */
	mkreq(&r, "acme", "tx", 1, STORE_REQ_ISSUED);
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_INVAL);
	mkreq(&r, "acme", "tx", 1, STORE_REQ_PENDING);
	r.serial_len = 21;
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_INVAL);
	mkreq(&r, "acme", "tx", 1, STORE_REQ_PENDING);
	r.subject_len = STORE_BLOB_MAX + 1;
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_INVAL);
	mkreq(&r, "acme", "tx", 1, STORE_REQ_PENDING);
	r.key.txid_len = 0;
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_INVAL);
	ck_assert_int_eq(store_req_reject(g_st, &r.key, NULL, NOW),
	    STORE_INVAL);

	/* Certificates: garbage, trailing byte, negative serial. */
	der = mkcert("CN=t", 5, 30, &len);
	bad = malloc(len + 1);
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, der, len);
	bad[len] = 0;
	memset(&in, 0, sizeof(in));
	in.tenant = "acme";
	in.der = bad;
	in.der_len = len + 1;
	in.origin = STORE_ORIGIN_ADMIN;
	ck_assert_int_eq(store_cert_add(g_st, &in), STORE_INVAL);
	in.der_len = len - 1;
	ck_assert_int_eq(store_cert_add(g_st, &in), STORE_INVAL);
	in.der = der;
	in.der_len = len;
	in.tenant = "Bad";
	ck_assert_int_eq(store_cert_add(g_st, &in), STORE_INVAL);
	in.tenant = "acme";
	in.origin = 0;
	ck_assert_int_eq(store_cert_add(g_st, &in), STORE_INVAL);
	OPENSSL_free(der);
	free(bad);
	der = mkcert("CN=neg", -5, 30, &len);
	in.der = der;
	in.der_len = len;
	in.origin = STORE_ORIGIN_RA;
	ck_assert_int_eq(store_cert_add(g_st, &in), STORE_INVAL);
	OPENSSL_free(der);
	mkreq(&r, "acme", "tx", 1, STORE_REQ_PENDING);
	ck_assert_int_eq(store_issue(g_st, &r, (const uint8_t *)"\x30", 1,
	    NOW, NULL), STORE_INVAL);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_NOTFOUND);

	/* Serials: 21 significant bytes, empty; bad CRL reasons. */
	memset(txid, 1, 21);
	ck_assert_int_eq(store_cert_get(g_st, "acme", txid, 21, &c),
	    STORE_INVAL);
	ck_assert_int_eq(store_cert_get(g_st, "acme", txid, 0, &c),
	    STORE_INVAL);
	ck_assert_int_eq(store_cert_revoke(g_st, "acme", txid, 1, 7, NOW),
	    STORE_INVAL);
	ck_assert_int_eq(store_cert_revoke(g_st, "acme", txid, 1, 11, NOW),
	    STORE_INVAL);
	ck_assert_int_eq(store_cert_revoke(g_st, "acme", txid, 1, 0, NOW),
	    STORE_NOTFOUND);
	ck_assert_int_eq(store_crl_reserve_number(g_st, "", &n), STORE_INVAL);
	ck_assert_int_eq(store_crl_put(g_st, "acme", CA1, 0, NOW,
	    (const uint8_t *)"x", 1), STORE_INVAL);
	ck_assert_int_eq(store_nonce_seen(g_st, &k, txid, 33, NULL),
	    STORE_INVAL);
	ck_assert_int_eq(store_nonce_seen(g_st, &k, txid, 0, NULL),
	    STORE_INVAL);
	ck_assert_int_eq(store_test_poke(g_st, "nosuch",
	    (const uint8_t *)"k", 1, NULL, 0), STORE_INVAL);
}
END_TEST

START_TEST(test_rc_strings)
{
	const char	*a;
	int		 i, j;

	/* Sentinel: every result has its own text. */
	for (i = 0; i < STORE__MAX; i++) {
		a = store_rc_str((enum store_rc)i);
		ck_assert_ptr_nonnull(a);
		ck_assert_int_ne(*a, '\0');
		for (j = 0; j < i; j++)
			ck_assert_str_ne(a, store_rc_str((enum store_rc)j));
	}
	ck_assert_str_eq(store_rc_str(STORE__MAX), "unknown store result");
	ck_assert_str_eq(store_errstr(NULL), "no store");
}
END_TEST

/*
 * One-time challenges.
 */

/* A challenge of tenant with id, HMAC 32 x hb, valid for ttl from NOW. */
static void
mkchal(struct store_challenge *c, const char *tenant, const char *id, int hb,
    time_t ttl)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	snprintf(c->id, sizeof(c->id), "%s", id);
	memset(c->hmac, hb, sizeof(c->hmac));
	c->state = STORE_CHALLENGE_UNUSED;
	c->created = NOW;
	c->expires = NOW + ttl;
}

/* Name DER of CN=cn with string type type; free with OPENSSL_free(). */
static uint8_t *
mkname(const char *cn, int type, size_t *len)
{
	X509_NAME	*n;
	unsigned char	*der = NULL;
	int		 l;

	n = X509_NAME_new();
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", type,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	l = i2d_X509_NAME(n, &der);
	ck_assert_int_gt(l, 0);
	X509_NAME_free(n);
	*len = (size_t)l;
	return der;
}

/* A challenge id with its NUL. */
#define CHID_SZ	(STORE_CHALLENGE_IDTEXT_MAX + 1)

/* What store_challenge_list() saw. */
struct chseen {
	int				 n;
	char				 id[8][CHID_SZ];
	char				 tenant[8][STORE_TENANT_MAX + 1];
	enum store_challenge_state	 state[8];
	int				 bound[8];
	int				 settled[8];
	size_t				 subject_len[8];
};

static int
chal_cb(const struct store_challenge *c, void *arg)
{
	struct chseen	*s = arg;

	ck_assert_int_lt(s->n, 8);
	snprintf(s->id[s->n], sizeof(s->id[0]), "%s", c->id);
	snprintf(s->tenant[s->n], sizeof(s->tenant[0]), "%s", c->tenant);
	s->state[s->n] = c->state;
	s->bound[s->n] = c->bound;
	s->settled[s->n] = c->settled;
	s->subject_len[s->n] = c->subject_len;
	s->n++;
	return 1;
}

START_TEST(test_challenge_use)
{
	struct store_challenge	 c;
	struct store_req	 r, r2;
	struct chseen		 s;
	uint8_t			 mac[STORE_HASH_LEN], other[STORE_HASH_LEN];
	char			 id[STORE_CHALLENGE_IDTEXT_MAX + 1];
	const char		*why;

	mkchal(&c, "acme", "00aa", 0x41, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	mkchal(&c, "acme", "00bb", 0x42, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	mkchal(&c, "beta", "0001", 0x43, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_challenge_list(g_st, "acme", chal_cb, &s),
	    STORE_OK);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.id[0], "00aa");
	ck_assert_str_eq(s.id[1], "00bb");
	ck_assert_int_eq(s.state[0], STORE_CHALLENGE_UNUSED);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_challenge_list(g_st, NULL, chal_cb, &s),
	    STORE_OK);
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.tenant[2], "beta");

	/* First use: consumed and bound to request r. */
	mkreq(&r, "acme", "tx-1", 0x11, STORE_REQ_PENDING);
	memset(mac, 0x41, sizeof(mac));
	why = "x";
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW + 10, id, &why), STORE_OK);
	ck_assert_ptr_null(why);
	ck_assert_str_eq(id, "00aa");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_challenge_list(g_st, "acme", chal_cb, &s),
	    STORE_OK);
	ck_assert_int_eq(s.state[0], STORE_CHALLENGE_USED);
	ck_assert_int_eq(s.bound[0], 1);
	ck_assert_int_eq(s.settled[0], 0);
	ck_assert_int_eq(s.state[1], STORE_CHALLENGE_UNUSED);

	/* The same attempt again (nothing stored yet): passes. */
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW + 20, id, &why), STORE_OK);
	/* Another key, or another CSR with the same key: refused. */
	mkreq(&r2, "acme", "tx-1", 0x12, STORE_REQ_PENDING);
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r2.key,
	    r2.csr_hash, NULL, 0, NOW + 20, id, &why), STORE_STATE);
	ck_assert_str_eq(why, "challenge password already used");
	memset(other, 0x77, sizeof(other));
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    other, NULL, 0, NOW + 20, id, &why), STORE_STATE);
	ck_assert_str_eq(why, "challenge password already used");

	/* Once the request naming it is stored, the attempt is over. */
	r.challenge_id_len = 4;
	memcpy(r.challenge_id, "00aa", 4);
	ck_assert_int_eq(store_req_insert(g_st, &r, 10, NULL), STORE_OK);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_challenge_list(g_st, "acme", chal_cb, &s),
	    STORE_OK);
	ck_assert_int_eq(s.settled[0], 1);
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW + 30, id, &why), STORE_STATE);
	ck_assert_str_eq(why, "challenge password already used");
	/* ... even after the request is retired (a new transaction). */
	ck_assert_int_eq(store_req_reject(g_st, &r.key, NULL, NOW + 31),
	    STORE_OK);
	ck_assert_int_eq(store_req_retire(g_st, &r.key, r.csr_hash),
	    STORE_OK);
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW + 32, id, &why), STORE_STATE);
	/* Used challenges cannot be revoked. */
	ck_assert_int_eq(store_challenge_revoke(g_st, "acme", "00aa"),
	    STORE_STATE);
}
END_TEST

/*
 * Purge: expired (and, if used, used) at or before the cut-off goes,
 * with its id index entry; the rest and other tenants stay.
 */
START_TEST(test_challenge_purge)
{
	struct store_challenge	 c;
	struct store_req	 r;
	struct chseen		 s;
	uint8_t			 mac[STORE_HASH_LEN];
	char			 id[STORE_CHALLENGE_IDTEXT_MAX + 1];
	const char		*why;
	size_t			 n;

	mkchal(&c, "acme", "01", 0x51, -100);	/* expired at NOW - 100 */
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	mkchal(&c, "acme", "02", 0x52, 3600);	/* live */
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	mkchal(&c, "acme", "03", 0x53, 10);	/* used at NOW + 5 */
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	mkchal(&c, "beta", "04", 0x54, -100);	/* expired, other tenant */
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	mkreq(&r, "acme", "tx-p", 0x21, STORE_REQ_PENDING);
	memset(mac, 0x53, sizeof(mac));
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW + 5, id, &why), STORE_OK);

	/* Cut-off NOW: only 01 (03 expires at NOW + 10). */
	ck_assert_int_eq(store_challenge_purge(g_st, "acme", NOW, &n),
	    STORE_OK);
	ck_assert_uint_eq(n, 1);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_challenge_list(g_st, NULL, chal_cb, &s),
	    STORE_OK);
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.id[0], "02");
	ck_assert_str_eq(s.id[1], "03");
	ck_assert_str_eq(s.id[2], "04");
	/* The deleted password is gone, not just unlisted. */
	memset(mac, 0x51, sizeof(mac));
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW - 200, id, &why), STORE_NOTFOUND);

	/* Cut-off NOW + 10, every tenant: 03 (used, expired) and 04. */
	ck_assert_int_eq(store_challenge_purge(g_st, NULL, NOW + 10, &n),
	    STORE_OK);
	ck_assert_uint_eq(n, 2);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_challenge_list(g_st, NULL, chal_cb, &s),
	    STORE_OK);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.id[0], "02");
	ck_assert_int_eq(store_challenge_purge(g_st, "no/such", NOW, &n),
	    STORE_INVAL);
}
END_TEST

START_TEST(test_challenge_refused)
{
	struct store_challenge	 c;
	struct store_req	 r, rb;
	uint8_t			 mac[STORE_HASH_LEN], *a, *a2, *b;
	size_t			 alen, a2len, blen;
	char			 id[STORE_CHALLENGE_IDTEXT_MAX + 1];
	const char		*why;

	mkreq(&r, "acme", "tx-2", 0x21, STORE_REQ_PENDING);
	mkreq(&rb, "beta", "tx-2", 0x21, STORE_REQ_PENDING);

	/* Unknown, and another tenant's. */
	memset(mac, 0x50, sizeof(mac));
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW, id, &why), STORE_NOTFOUND);
	ck_assert_str_eq(why, "unknown or foreign challenge password");
	mkchal(&c, "beta", "0b", 0x50, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW, id, &why), STORE_NOTFOUND);
	ck_assert_str_eq(why, "unknown or foreign challenge password");

	/* Expired: at expires exactly. */
	mkchal(&c, "acme", "0e", 0x51, 60);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	memset(mac, 0x51, sizeof(mac));
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW + 60, id, &why), STORE_STATE);
	ck_assert_str_eq(why, "challenge password expired");
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW + 59, id, &why), STORE_OK);

	/* Revoked: by id, with or without the tenant. */
	mkchal(&c, "acme", "0f", 0x52, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	ck_assert_int_eq(store_challenge_revoke(g_st, "beta", "0f"),
	    STORE_NOTFOUND);
	ck_assert_int_eq(store_challenge_revoke(g_st, NULL, "0f"), STORE_OK);
	ck_assert_int_eq(store_challenge_revoke(g_st, "acme", "0f"),
	    STORE_STATE);
	ck_assert_int_eq(store_challenge_revoke(g_st, NULL, "99"),
	    STORE_NOTFOUND);
	memset(mac, 0x52, sizeof(mac));
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW, id, &why), STORE_STATE);
	ck_assert_str_eq(why, "challenge password revoked");

	/* Bound to CN=a: CN=b refused, CN=a (any string type) passes. */
	a = mkname("a", MBSTRING_UTF8, &alen);
	a2 = mkname("A", V_ASN1_PRINTABLESTRING, &a2len);
	b = mkname("b", MBSTRING_UTF8, &blen);
	mkchal(&c, "acme", "0c", 0x53, 3600);
	c.subject = a;
	c.subject_len = alen;
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	memset(mac, 0x53, sizeof(mac));
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, b, blen, NOW, id, &why), STORE_STATE);
	ck_assert_str_eq(why, "challenge password is bound to another "
	    "subject");
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, NULL, 0, NOW, id, &why), STORE_STATE);
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &r.key,
	    r.csr_hash, a2, a2len, NOW, id, &why), STORE_OK);
	ck_assert_str_eq(id, "0c");
	OPENSSL_free(a);
	OPENSSL_free(a2);
	OPENSSL_free(b);

	/* A key of another tenant than the one named: invalid. */
	ck_assert_int_eq(store_challenge_use(g_st, "acme", mac, &rb.key,
	    rb.csr_hash, NULL, 0, NOW, id, &why), STORE_INVAL);
}
END_TEST

START_TEST(test_challenge_malformed)
{
	static const uint8_t	 badkey[] = { 4, 'a', 'c', 'm', 'e', 'i', 2,
	    '0', '1' };
	static const uint8_t	 badval[] = { 1, 2, 3 };
	struct store_challenge	 c;
	struct chseen		 s;

	/* Taken id, taken HMAC, bad ids and tenants. */
	mkchal(&c, "acme", "01", 0x60, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_OK);
	mkchal(&c, "acme", "01", 0x61, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_EXISTS);
	mkchal(&c, "acme", "02", 0x60, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_EXISTS);
	mkchal(&c, "acme", "0G", 0x62, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_INVAL);
	mkchal(&c, "acme", "", 0x62, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_INVAL);
	mkchal(&c, "Acme", "03", 0x62, 3600);
	ck_assert_int_eq(store_challenge_add(g_st, &c), STORE_INVAL);
	ck_assert_int_eq(store_challenge_revoke(g_st, NULL, "../x"),
	    STORE_INVAL);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_challenge_list(g_st, NULL, chal_cb, &s),
	    STORE_OK);
	ck_assert_int_eq(s.n, 1);

	/* An id index entry that is not an HMAC: corrupt, not a crash. */
	ck_assert_int_eq(store_test_poke(g_st, "challenge", badkey,
	    sizeof(badkey), badval, sizeof(badval)), STORE_OK);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_challenge_list(g_st, "acme", chal_cb, &s),
	    STORE_CORRUPT);
}
END_TEST

/*
 * The webhook queue (store_req_insert_job, store_job_*).
 */

/* The number of queued jobs. */
static size_t
njobs(void)
{
	size_t	 n = 99;

	ck_assert_int_eq(store_job_count(g_st, &n), STORE_OK);
	return n;
}

START_TEST(test_job_queue)
{
	static const uint8_t	 csr[] = "a CSR with challenge s3cret";
	struct store_req	 r, *got = NULL;
	struct store_job	*j = NULL;
	uint8_t			*der;
	size_t			 len;

	mkreq(&r, "acme", "wh-1", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 0, csr, sizeof(csr),
	    NOW, NULL), STORE_OK);
	ck_assert_uint_eq(njobs(), 1);
	ck_assert_int_eq(pending_of("acme"), 1);

	/* Claimed with a lease; nobody else gets it meanwhile. */
	ck_assert_int_eq(store_job_claim(g_st, NOW, 10, &j), STORE_OK);
	ck_assert_mem_eq(j->key.txid, "wh-1", 4);
	ck_assert_uint_eq(j->csr_len, sizeof(csr));
	ck_assert_mem_eq(j->csr, csr, sizeof(csr));
	ck_assert_int_eq(j->claimed_until, NOW + 10);
	ck_assert_int_eq(j->enqueued, NOW);
	ck_assert_uint_eq(j->attempts, 0);
	store_job_free(j);
	j = NULL;
	ck_assert_int_eq(store_job_claim(g_st, NOW + 9, 10, &j),
	    STORE_NOTFOUND);
	ck_assert_ptr_null(j);
	/* The dispatcher died: the lease ends, the job comes back. */
	ck_assert_int_eq(store_job_claim(g_st, NOW + 10, 10, &j), STORE_OK);
	store_job_free(j);
	j = NULL;

	/* A failed call: due again later, one attempt more. */
	ck_assert_int_eq(store_job_retry(g_st, &r.key, NOW + 100), STORE_OK);
	ck_assert_int_eq(store_job_claim(g_st, NOW + 50, 10, &j),
	    STORE_NOTFOUND);
	ck_assert_int_eq(store_job_claim(g_st, NOW + 100, 10, &j), STORE_OK);
	ck_assert_uint_eq(j->attempts, 1);
	store_job_free(j);
	j = NULL;

	/* The decision deletes the job in its transaction. */
	ck_assert_int_eq(store_req_reject(g_st, &r.key, "webhook refused",
	    NOW + 101), STORE_OK);
	ck_assert_uint_eq(njobs(), 0);
	ck_assert_int_eq(store_job_retry(g_st, &r.key, NOW), STORE_NOTFOUND);

	/* So does an approval (store_issue). */
	mkreq(&r, "acme", "wh-2", 0x02, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 0, csr, sizeof(csr),
	    NOW, NULL), STORE_OK);
	ck_assert_uint_eq(njobs(), 1);
	der = mkcert("CN=wh", 0x42, 30, &len);
	ck_assert_int_eq(store_issue(g_st, &r, der, len, NOW, NULL), STORE_OK);
	OPENSSL_free(der);
	ck_assert_uint_eq(njobs(), 0);

	/* Left PENDING for an operator: the job goes, the request stays. */
	mkreq(&r, "acme", "wh-3", 0x03, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 0, csr, sizeof(csr),
	    NOW, NULL), STORE_OK);
	ck_assert_int_eq(store_job_delete(g_st, &r.key), STORE_OK);
	ck_assert_int_eq(store_job_delete(g_st, &r.key), STORE_NOTFOUND);
	ck_assert_uint_eq(njobs(), 0);
	ck_assert_int_eq(store_req_get(g_st, &r.key, &got), STORE_OK);
	ck_assert_int_eq(got->state, STORE_REQ_PENDING);
	store_req_free(got);
	ck_assert_int_eq(store_job_claim(g_st, NOW + 1000, 10, &j),
	    STORE_NOTFOUND);

	/* pending_ttl expiry is a decision too. */
	mkreq(&r, "acme", "wh-4", 0x04, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 0, csr, sizeof(csr),
	    NOW, NULL), STORE_OK);
	ck_assert_int_eq(store_pending_expire(g_st, NOW + 10, 1, &len),
	    STORE_OK);
	ck_assert_uint_eq(njobs(), 0);
}
END_TEST

START_TEST(test_job_quota)
{
	static const uint8_t	 csr[] = { 0x30, 0x00 };
	struct store_req	 r, *ex = NULL;

	mkreq(&r, "acme", "q-1", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 1, csr, sizeof(csr),
	    NOW, NULL), STORE_OK);
	/* The same key again: the stored request, no second job. */
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 0, csr, sizeof(csr),
	    NOW, &ex), STORE_EXISTS);
	ck_assert_ptr_nonnull(ex);
	store_req_free(ex);
	/* Past max_pending: neither request nor job. */
	mkreq(&r, "acme", "q-2", 0x02, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 1, csr, sizeof(csr),
	    NOW, NULL), STORE_QUOTA);
	ck_assert_uint_eq(njobs(), 1);
	ck_assert_int_eq(pending_of("acme"), 1);
}
END_TEST

START_TEST(test_job_malformed)
{
	static const uint8_t	 csr[] = { 0x30, 0x00 };
	static const uint8_t	 junk[] = { 0x01, 0x02, 0x03 };
	struct store_req	 r;
	struct store_job	*j = NULL;
	uint8_t			 key[1 + 4 + 1 + 3 + STORE_HASH_LEN], *big;

	mkreq(&r, "acme", "m-1", 0x01, STORE_REQ_PENDING);
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 0, NULL, 1, NOW,
	    NULL), STORE_INVAL);
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 0, csr, 0, NOW,
	    NULL), STORE_INVAL);
	big = calloc(1, STORE_CSR_MAX + 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 0, big,
	    STORE_CSR_MAX + 1, NOW, NULL), STORE_INVAL);
	free(big);
	r.state = STORE_REQ_REJECTED;
	ck_assert_int_eq(store_req_insert_job(g_st, &r, 0, csr, sizeof(csr),
	    NOW, NULL), STORE_INVAL);
	ck_assert_uint_eq(njobs(), 0);

	/* A corrupt job record of a PENDING request: STORE_CORRUPT. */
	r.state = STORE_REQ_PENDING;
	ck_assert_int_eq(store_req_insert(g_st, &r, 0, NULL), STORE_OK);
	key[0] = 4;
	memcpy(key + 1, "acme", 4);
	key[5] = 3;
	memcpy(key + 6, "m-1", 3);
	memset(key + 9, 0x01, STORE_HASH_LEN);
	ck_assert_int_eq(store_test_poke(g_st, "job", key, sizeof(key), junk,
	    sizeof(junk)), STORE_OK);
	ck_assert_int_eq(store_job_retry(g_st, &r.key, NOW), STORE_CORRUPT);
	/* Claiming drops it once; the queue goes on. */
	ck_assert_int_eq(store_job_claim(g_st, NOW, 10, &j), STORE_CORRUPT);
	ck_assert_ptr_null(j);
	ck_assert_uint_eq(njobs(), 0);
	ck_assert_int_eq(store_job_claim(g_st, NOW, 10, &j), STORE_NOTFOUND);
	ck_assert_int_eq(pending_of("acme"), 1);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("store");

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_req_insert_get);
	tcase_add_test(tc, test_req_same_txid_other_key);
	tcase_add_test(tc, test_issue_indexes);
	tcase_add_test(tc, test_issue_auto_and_expiry_range);
	tcase_add_test(tc, test_revoke_list);
	tcase_add_test(tc, test_crl_numbers);
	tcase_add_test(tc, test_nonce);
	tcase_add_test(tc, test_nonce_expire_batches);
	tcase_add_test(tc, test_pending_expire);
	tcase_add_test(tc, test_req_reject_deliver);
	tcase_add_test(tc, test_req_retire);
	tcase_add_test(tc, test_reader_check);
	tcase_add_test(tc, test_two_writers);
	tcase_add_test(tc, test_snapshot_across_processes);
	tcase_add_test(tc, test_map_resized);
	tcase_add_test(tc, test_bulk_load);
	tcase_add_test(tc, test_rc_strings);
	tcase_add_test(tc, test_job_queue);
	tcase_add_test(tc, test_challenge_use);
	tcase_add_test(tc, test_challenge_purge);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_quota);
	tcase_add_test(tc, test_serial_taken);
	tcase_add_test(tc, test_job_quota);
	tcase_add_test(tc, test_issue_other_csr);
	tcase_add_test(tc, test_map_full);
	tcase_add_test(tc, test_after_fork);
	tcase_add_test(tc, test_challenge_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_schema_newer);
	tcase_add_test(tc, test_schema_migrate);
	tcase_add_test(tc, test_schema_migrate_v3);
	tcase_add_test(tc, test_schema_bad);
	tcase_add_test(tc, test_corrupt_req);
	tcase_add_test(tc, test_corrupt_cert);
	tcase_add_test(tc, test_invalid_args);
	tcase_add_test(tc, test_job_malformed);
	tcase_add_test(tc, test_challenge_malformed);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
