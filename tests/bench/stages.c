/*
 * stages: the CPU time of each step of an enrolment, in one process,
 * without web server or sockets (tests/bench/README).
 *
 *	stages -p PKIDIR -d DBDIR [-n N] [-k KEYS]
 *
 * PKIDIR holds ra.crt, ra.key, ca.crt and ca.key (RSA-2048; the corpus
 * PKI of tests/data/corpus/pki); DBDIR must not exist: a store is
 * created there (durable commits, as scepd's) and left for the caller
 * to remove.  N PKCSReqs (AES-128, SHA-256) are built first from a pool
 * of KEYS RSA-2048 client keys, each with its own subject and
 * transactionID; then each goes through the steps scepd takes, timed
 * with CLOCK_PROCESS_CPUTIME_ID (user + system time, so the kernel's
 * share of a commit counts):
 *
 *	parse	scep_msg_parse(): outer SignedData, signer certificate,
 *		signature (1 RSA public)
 *	open	signer_open(): the envelope (1 RSA private), the CSR and its
 *		signature (1 RSA public)
 *	issue	ca_issue() and i2d (1 RSA private)
 *	store	store_issue(): request and certificate in one durable
 *		write transaction
 *	reply	signer_certrep_success(): envelope to the client's key
 *		(1 RSA public), SignedData (1 RSA private), DER
 *
 * It prints milliseconds per request for each, the total, the RSA
 * budget (3 private + 3 public, timed here as scepbench does) and the
 * ratio.  What scepbench measures on top of this total is the web
 * server, FastCGI and the contention of a loaded machine.  Exit status
 * 0 when every request went through every step.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "scep/scep.h"
#include "src/ca.h"
#include "src/store.h"
#include "tests/bench/benchutil.h"

#define RSA_OPS		500
#define DAY		86400

enum stage { S_PARSE, S_OPEN, S_ISSUE, S_STORE, S_REPLY, S__MAX };

static const char *const stage_names[S__MAX] = {
	"parse", "open", "issue", "store", "reply",
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: stages -p PKIDIR -d DBDIR [-n N] [-k KEYS]\n");
	exit(1);
}

/*
 * Request i of the run: a PKCSReq from key for CN=stages-<i> with a
 * challenge, encrypted to ra.  Returns 1 with *out filled, or 0.
 */
static int
build(const struct scep_ctx *ctx, EVP_PKEY *key, size_t i,
    STACK_OF(X509) *ra, struct scep_buf *out)
{
	struct scep_request	 r;
	struct scep_error	 err;
	X509_NAME		*name = NULL;
	X509_REQ		*csr = NULL;
	X509			*self = NULL;
	char			 cn[64], txid[64];
	int			 rc = 0;

	snprintf(cn, sizeof(cn), "stages-%zu", i);
	snprintf(txid, sizeof(txid), "stages-%zu", i);
	if ((name = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    (self = scep_selfsigned_new(ctx, key, name, time(NULL), 1)) ==
	    NULL ||
	    (csr = X509_REQ_new()) == NULL ||
	    !X509_REQ_set_version(csr, 0) ||
	    !X509_REQ_set_subject_name(csr, name) ||
	    !X509_REQ_set_pubkey(csr, key) ||
	    !X509_REQ_add1_attr_by_NID(csr, NID_pkcs9_challengePassword,
	    MBSTRING_ASC, (const unsigned char *)"stages-secret", -1) ||
	    X509_REQ_sign(csr, key, EVP_sha256()) <= 0)
		goto out;
	memset(&r, 0, sizeof(r));
	r.type = SCEP_MSG_PKCSREQ;
	r.txid = txid;
	r.signer = self;
	r.signer_key = key;
	r.digest = SCEP_DIGEST_SHA256;
	r.cipher = SCEP_CIPHER_AES128;
	r.recipients = ra;
	r.csr = csr;
	if (!scep_request_build(ctx, &r, NULL, out, &err)) {
		fprintf(stderr, "stages: build: %s\n", err.reason);
		goto out;
	}
	rc = 1;
out:
	X509_NAME_free(name);
	X509_REQ_free(csr);
	X509_free(self);
	return rc;
}

/*
 * Take message m through every step, adding each one's CPU time to
 * t[].  Returns 1 or 0 (with a message on stderr).
 */
static int
enrol(const struct scep_ctx *ctx, const struct signer *ra,
    const struct signer *ca, struct store *st, const struct scep_buf *m,
    double t[S__MAX])
{
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	struct scep_msg		*msg = NULL;
	struct store_req	 req;
	struct ca_issue		 ci;
	struct scep_buf		 out = { NULL, 0 };
	const struct signer	*rs[1] = { ra };
	ASN1_INTEGER		*serial = NULL;
	X509			*x = NULL;
	unsigned char		*der = NULL, *subj = NULL;
	uint8_t			 keyhash[STORE_HASH_LEN];
	size_t			 which;
	double			 t0;
	int			 len, n, rc = 0;

	scep_limits_default(&lim);
	pol.ciphers = 1U << SCEP_CIPHER_AES128;
	pol.digests = 1U << SCEP_DIGEST_SHA256;

	t0 = bench_cpu_now();
	if (scep_msg_parse(ctx, m->data, m->len, &lim, &pol, &msg, &err) !=
	    1) {
		fprintf(stderr, "stages: parse: %s\n", err.reason);
		goto out;
	}
	t[S_PARSE] += bench_cpu_now() - t0;

	t0 = bench_cpu_now();
	if (!signer_open(rs, 1, ctx, msg, &lim, &pol, &which, &err) ||
	    msg->csr == NULL) {
		fprintf(stderr, "stages: open: %s\n", err.reason);
		goto out;
	}
	t[S_OPEN] += bench_cpu_now() - t0;

	t0 = bench_cpu_now();
	memset(&ci, 0, sizeof(ci));
	ci.subject = msg->csr->subject;
	ci.spki = msg->csr->spki;
	ci.spki_len = msg->csr->spki_len;
	ci.profile = CONF_PROFILE_CLIENT;
	ci.now = time(NULL);
	ci.validity = 365 * DAY;
	if ((serial = ASN1_INTEGER_new()) == NULL || !ca_serial_new(serial) ||
	    (x = ca_issue(ca, &ci, serial)) == NULL ||
	    (len = i2d_X509(x, &der)) <= 0) {
		fprintf(stderr, "stages: issue failed\n");
		goto out;
	}
	t[S_ISSUE] += bench_cpu_now() - t0;

	t0 = bench_cpu_now();
	memset(&req, 0, sizeof(req));
	if (!ca_pubkey_hash(X509_get_X509_PUBKEY(msg->signer), keyhash) ||
	    !store_reqkey_set(&req.key, "bench", (const uint8_t *)msg->txid,
	    msg->txid_len, keyhash) ||
	    (n = i2d_X509_NAME(msg->csr->subject, &subj)) <= 0 ||
	    EVP_Digest(msg->csr->der, msg->csr->der_len, req.csr_hash, NULL,
	    EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "stages: request record failed\n");
		goto out;
	}
	req.state = STORE_REQ_ISSUED;
	req.msgtype = scep_msgtype_value(msg->type);
	req.created = req.updated = req.delivered = ci.now;
	req.subject = subj;
	req.subject_len = (size_t)n;
	req.pubkey = msg->csr->spki;
	req.pubkey_len = msg->csr->spki_len;
	req.challenge_ok = 1;
	memcpy(req.nonce, msg->sender_nonce, SCEP_NONCE_LEN);
	req.nonce_len = SCEP_NONCE_LEN;
	if (store_issue(st, &req, der, (size_t)len, ci.now, NULL) !=
	    STORE_OK) {
		fprintf(stderr, "stages: store_issue failed\n");
		goto out;
	}
	t[S_STORE] += bench_cpu_now() - t0;

	t0 = bench_cpu_now();
	if (!signer_certrep_success(ra, ctx, msg, x, &out, &err)) {
		fprintf(stderr, "stages: reply: %s\n", err.reason);
		goto out;
	}
	t[S_REPLY] += bench_cpu_now() - t0;
	rc = 1;
out:
	scep_buf_free(&out);
	OPENSSL_free(der);
	OPENSSL_free(subj);
	X509_free(x);
	ASN1_INTEGER_free(serial);
	scep_msg_free(msg);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct scep_ctx		*ctx = NULL;
	struct signer		*ra = NULL, *ca = NULL;
	struct store		*st = NULL;
	struct scep_buf		*msgs = NULL;
	STACK_OF(X509)		*rcpt = NULL;
	EVP_PKEY		**keys = NULL;
	const char		*pki = NULL, *db = NULL;
	char			 crt[1024], key[1024], err[256];
	double			 t[S__MAX], total = 0, priv_ms, pub_ms, budget;
	size_t			 n = 1000, nkeys = 16, i;
	int			 ch, ex = 1;

	while ((ch = getopt(argc, argv, "d:k:n:p:")) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'k':
			nkeys = (size_t)bench_number("stages", optarg, 1, 1000);
			break;
		case 'n':
			n = (size_t)bench_number("stages", optarg, 1, 1000000);
			break;
		case 'p':
			pki = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || pki == NULL || db == NULL)
		usage();
	if (nkeys > n)
		nkeys = n;

	if (!scep_init() || (ctx = scep_ctx_new(NULL, NULL, 0)) == NULL)
		goto out;
	snprintf(crt, sizeof(crt), "%s/ra.crt", pki);
	snprintf(key, sizeof(key), "%s/ra.key", pki);
	if ((ra = signer_load(crt, key, err, sizeof(err))) == NULL) {
		fprintf(stderr, "stages: %s\n", err);
		goto out;
	}
	snprintf(crt, sizeof(crt), "%s/ca.crt", pki);
	snprintf(key, sizeof(key), "%s/ca.key", pki);
	if ((ca = signer_load(crt, key, err, sizeof(err))) == NULL) {
		fprintf(stderr, "stages: %s\n", err);
		goto out;
	}
	if ((st = store_open(db, STORE_CREATE, 0, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "stages: %s: %s\n", db, err);
		goto out;
	}

	/* Everything the client does, before any clock. */
	if ((keys = calloc(nkeys, sizeof(*keys))) == NULL ||
	    (msgs = calloc(n, sizeof(*msgs))) == NULL ||
	    (rcpt = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(rcpt, signer_get0_cert(ra)))
		goto out;
	for (i = 0; i < nkeys; i++)
		if ((keys[i] = EVP_RSA_gen(2048)) == NULL)
			goto out;
	for (i = 0; i < n; i++)
		if (!build(ctx, keys[i % nkeys], i, rcpt, &msgs[i]))
			goto out;
	if (!bench_rsa_speed(keys[0], RSA_OPS, &priv_ms, &pub_ms))
		goto out;
	budget = 3 * priv_ms + 3 * pub_ms;

	memset(t, 0, sizeof(t));
	for (i = 0; i < n; i++)
		if (!enrol(ctx, ra, ca, st, &msgs[i], t))
			goto out;

	printf("stages: %zu PKCSReq, RSA-2048 CA and RA, AES-128, SHA-256; "
	    "CPU ms per request\n", n);
	for (i = 0; i < S__MAX; i++) {
		printf("%-8s %7.3f\n", stage_names[i], t[i] * 1000.0 /
		    (double)n);
		total += t[i];
	}
	total = total * 1000.0 / (double)n;
	printf("%-8s %7.3f\n", "total", total);
	printf("rsa2048 private %.3f ms public %.3f ms; budget 3 priv + "
	    "3 pub = %.3f ms\n", priv_ms, pub_ms, budget);
	printf("ratio to RSA budget %.2f (without store: %.2f)\n",
	    total / budget, (total - t[S_STORE] * 1000.0 / (double)n) /
	    budget);
	ex = 0;
out:
	if (ex != 0)
		ERR_print_errors_fp(stderr);
	for (i = 0; msgs != NULL && i < n; i++)
		scep_buf_free(&msgs[i]);
	for (i = 0; keys != NULL && i < nkeys; i++)
		EVP_PKEY_free(keys[i]);
	free(msgs);
	free(keys);
	sk_X509_free(rcpt);
	store_close(st);
	signer_free(ra);
	signer_free(ca);
	scep_ctx_free(ctx);
	return ex;
}
