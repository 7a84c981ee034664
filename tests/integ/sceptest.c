/*
 * sceptest: a command-line SCEP client over client.c for shell-driven
 * integration tests.
 *
 *	sceptest [-Lv] [-T ms] [--retry N] -u URL command [options]
 *
 * -L accepts a CertRep whose senderNonce echoes ours (micromdm).
 * --retry N sends the identical request again, up to N times, after a
 * transport failure or an HTTP 5xx (as real clients retry).
 * Commands: getcaps, getca, getnextca, enroll, poll, getcert, getcrl,
 * raw.  One result line goes to stdout, details to stderr with -v.
 * enroll --save FILE writes the exact pkiMessage sent (DER), and with
 * --build-only nothing is sent ("BUILT txid=..."); raw -f FILE sends
 * such a file again, and with -k/-O/-K checks the CertRep as enroll
 * does and prints enroll's SUCCESS/PENDING/FAILURE line.  enroll, poll
 * and raw --cacerts FILE take the CA and RA certificates from a PEM file
 * instead of GetCACert (a client that kept them from before a CA
 * rollover).
 * Exit status: 0 SUCCESS (or the command worked), 2 PENDING, 3 FAILURE,
 * 4 HTTP error (status other than 200), 1 any other error.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "scep/scep.h"
#include "tests/integ/client.h"

/* Exit statuses (shell tests compare them). */
#define EX_SUCCESS	0
#define EX_ERROR	1
#define EX_PENDING	2
#define EX_FAILURE	3
#define EX_HTTP		4

/* At most this many --san options. */
#define MAX_SANS	16

/* Everything the command options can say. */
struct opts {
	const char	*keyfile;	/* -k */
	int		 bits;		/* -b */
	const char	*subject;	/* -s (serial for getcert) */
	const char	*challenge;	/* -c */
	enum scep_cipher cipher;	/* -E */
	enum scep_digest digest;	/* -S */
	int		 use_get;	/* -g */
	const char	*txid;		/* -t */
	const char	*oldcert;	/* -O */
	const char	*oldkey;	/* -K */
	int		 renewal;	/* -r */
	int		 polls;		/* -p, 0 with -n; -1 default */
	long		 interval;	/* -i, ms */
	const char	*sans[MAX_SANS];	/* --san */
	size_t		 nsans;
	const char	*out;		/* -w */
	const char	*signer_out;	/* -W */
	const char	*dir;		/* -o */
	const char	*file;		/* -f */
	const char	*save;		/* --save: the request DER */
	int		 build_only;	/* --build-only */
	const char	*crl_ca;	/* --crl-ca: may sign the CRL too */
	const char	*cacerts;	/* --cacerts: instead of GetCACert */
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: sceptest [-Lv] [-T timeout_ms] [--retry N] -u URL "
	    "command [options]\n"
	    "  getcaps\n"
	    "  getca [-o DIR]\n"
	    "  getnextca [-o DIR]\n"
	    "  enroll -k KEY [-b BITS] -s SUBJECT [-c CHALLENGE] [-E CIPHER]\n"
	    "         [-S DIGEST] [-g] [-t TXID] [-O OLDCERT -K OLDKEY [-r]]\n"
	    "         [-n | -p POLLS -i MS] [--san DNS]... [-w CERT] "
	    "[-W SIGNER]\n"
	    "         [--save FILE] [--build-only] [--cacerts PEM]\n"
	    "  poll -k KEY -s SUBJECT [-t TXID] [-O CERT -K KEY] [-p POLLS]\n"
	    "         [--cacerts PEM]\n"
	    "  getcert -O CERT -K KEY -s SERIAL(hex) [-w OUT]\n"
	    "  getcrl -O CERT -K KEY [-s SERIAL(hex)] [-w OUT] "
	    "[--crl-ca CACERT]\n"
	    "  raw -f FILE [-g] [-k KEY] [-O CERT -K KEY] [--cacerts PEM]\n"
	    "  CIPHER: aes128 aes192 aes256 3des des; "
	    "DIGEST: md5 sha1 sha224 sha256 sha384 sha512\n");
	exit(EX_ERROR);
}

/*
 * The CA certificates: GetCACert, or with --cacerts FILE the PEM
 * certificates of FILE, as a client that kept them from an earlier
 * GetCACert (the RA picked as from GetCACert).  Returns 1 or 0.
 */
static int
get_ca(struct sc_client *cl, const struct opts *o)
{
	if (o->cacerts != NULL)
		return sc_setca_file(cl, o->cacerts);
	return sc_getca(cl, NULL);
}

/* One line on stdout for a failure that is not the server's answer. */
static int
fail(const struct sc_client *cl)
{
	if (cl->http_status != 0 && cl->http_status != 200) {
		printf("HTTP %ld\n", cl->http_status);
		return EX_HTTP;
	}
	printf("ERROR %s\n", cl->err);
	return EX_ERROR;
}

/* A number in [lo, hi] or exit. */
static long
number(const char *s, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "sceptest: bad number \"%s\"\n", s);
		exit(EX_ERROR);
	}
	return v;
}

/* Text from the server, made safe for one line of stdout. */
static void
print_safe(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		putchar(isprint((unsigned char)*s) ? *s : '?');
}

/* The result line and exit status of a checked CertRep. */
static int
report(const struct sc_reply *r, const char *txid, const char *certout)
{
	char	 serial[128], subj[512];

	switch (r->status) {
	case SCEP_STATUS_SUCCESS:
		if (r->crl != NULL) {
			if (certout != NULL && !sc_crl_write(certout, r->crl)) {
				printf("ERROR cannot write %s\n", certout);
				return EX_ERROR;
			}
			printf("SUCCESS crl revoked=%d issuer=%s\n",
			    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(r->crl)),
			    sc_name_str(X509_CRL_get_issuer(r->crl), subj,
			    sizeof(subj)));
			return EX_SUCCESS;
		}
		if (certout != NULL && !sc_cert_write(certout, r->cert)) {
			printf("ERROR cannot write %s\n", certout);
			return EX_ERROR;
		}
		printf("SUCCESS serial=%s txid=%s subject=%s\n",
		    sc_serial_str(X509_get0_serialNumber(r->cert), serial,
		    sizeof(serial)), txid,
		    sc_name_str(X509_get_subject_name(r->cert), subj,
		    sizeof(subj)));
		return EX_SUCCESS;
	case SCEP_STATUS_PENDING:
		printf("PENDING txid=%s\n", txid);
		return EX_PENDING;
	case SCEP_STATUS_FAILURE:
	default:
		printf("FAILURE failInfo=%s text=", r->has_failinfo ?
		    scep_failinfo_name(r->failinfo) : "none");
		print_safe(r->failinfo_text);
		putchar('\n');
		return EX_FAILURE;
	}
}

/* getcaps: "CAPS kw kw ..." with every keyword the server sent. */
static int
cmd_getcaps(struct sc_client *cl)
{
	struct sc_http	 h;
	unsigned int	 caps;
	size_t		 i;
	int		 sp = 1, ex;

	memset(&h, 0, sizeof(h));
	if (!sc_getcaps(cl, &caps, &h)) {
		ex = fail(cl);
		goto out;
	}
	fputs("CAPS", stdout);
	for (i = 0; i < h.body.len; i++) {
		if (h.body.data[i] == '\r' || h.body.data[i] == '\n' ||
		    h.body.data[i] == ' ' || h.body.data[i] == '\t') {
			sp = 1;
			continue;
		}
		if (sp)
			putchar(' ');
		sp = 0;
		putchar(isprint(h.body.data[i]) ? h.body.data[i] : '?');
	}
	putchar('\n');
	ex = EX_SUCCESS;
out:
	sc_http_free(&h);
	return ex;
}

/* Write certs as DIR/<prefix>-<n>.pem. */
static int
write_certs(STACK_OF(X509) *certs, const char *dir, const char *prefix)
{
	char	 path[PATH_MAX];
	int	 i;

	for (i = 0; dir != NULL && i < sk_X509_num(certs); i++) {
		if (snprintf(path, sizeof(path), "%s/%s-%d.pem", dir, prefix,
		    i) >= (int)sizeof(path) ||
		    !sc_cert_write(path, sk_X509_value(certs, i))) {
			printf("ERROR cannot write %s\n", path);
			return 0;
		}
	}
	return 1;
}

/* getca: "CACERT count=N ra=I ca=J type=T", certificates to -o DIR. */
static int
cmd_getca(struct sc_client *cl, const struct opts *o)
{
	const char	*ct = NULL;
	char		 ra[512], ca[512];

	if (!sc_getca(cl, &ct))
		return fail(cl);
	if (!write_certs(cl->cacerts, o->dir, "ca"))
		return EX_ERROR;
	if (cl->verbose)
		fprintf(stderr, "sceptest: RA %s\nsceptest: CA %s\n",
		    sc_name_str(X509_get_subject_name(cl->ra), ra, sizeof(ra)),
		    sc_name_str(X509_get_subject_name(cl->ca), ca, sizeof(ca)));
	printf("CACERT count=%d ra=%d ca=%d type=%s\n",
	    sk_X509_num(cl->cacerts), sk_X509_find(cl->cacerts, cl->ra),
	    sk_X509_find(cl->cacerts, cl->ca), ct);
	return EX_SUCCESS;
}

/* getnextca: "NEXTCACERT count=N", certificates to -o DIR. */
static int
cmd_getnextca(struct sc_client *cl, const struct opts *o)
{
	STACK_OF(X509)	*certs = NULL;
	int		 ex;

	if (!sc_getnextca(cl, &certs))
		return fail(cl);
	ex = EX_ERROR;
	if (write_certs(certs, o->dir, "nextca")) {
		printf("NEXTCACERT count=%d\n", sk_X509_num(certs));
		ex = EX_SUCCESS;
	}
	sk_X509_pop_free(certs, X509_free);
	return ex;
}

/* The signer certificate and key of -O/-K, both or neither. */
static int
load_old(const struct opts *o, X509 **cert, EVP_PKEY **key)
{
	*cert = NULL;
	*key = NULL;
	if (o->oldcert == NULL && o->oldkey == NULL)
		return 1;
	if (o->oldcert == NULL || o->oldkey == NULL) {
		printf("ERROR -O and -K go together\n");
		return 0;
	}
	if ((*cert = sc_cert_load(o->oldcert)) == NULL) {
		printf("ERROR cannot load %s\n", o->oldcert);
		return 0;
	}
	if ((*key = sc_key_load(o->oldkey, 0, 0)) == NULL) {
		printf("ERROR cannot load %s\n", o->oldkey);
		return 0;
	}
	return 1;
}

/* Write len bytes of p to path (created 0644 or truncated); 1 or 0. */
static int
write_file(const char *path, const uint8_t *p, size_t len)
{
	FILE	*f;
	int	 rc;

	if ((f = fopen(path, "wb")) == NULL)
		return 0;
	rc = fwrite(p, 1, len, f) == len;
	if (fclose(f) != 0)
		rc = 0;
	return rc;
}

/* enroll and poll (poll: CertPoll only). */
static int
cmd_enroll(struct sc_client *cl, const struct opts *o, int poll_only)
{
	struct sc_enroll	 e;
	struct sc_txn		 t;
	struct sc_reply		 r;
	X509			*oldcert = NULL;
	EVP_PKEY		*key = NULL, *oldkey = NULL;
	X509_NAME		*subject = NULL;
	char			 txid[SCEP_TXID_MAX + 1];
	int			 ex = EX_ERROR, polls;

	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	memset(&e, 0, sizeof(e));
	if (o->keyfile == NULL) {
		printf("ERROR -k KEYFILE is required\n");
		goto out;
	}
	if (!load_old(o, &oldcert, &oldkey))
		goto out;
	if ((key = sc_key_load(o->keyfile, !poll_only, o->bits)) == NULL) {
		printf("ERROR cannot load or create %s\n", o->keyfile);
		goto out;
	}
	/* A renewal keeps the old subject unless told otherwise. */
	if (o->subject != NULL)
		subject = sc_name_parse(o->subject);
	else if (oldcert != NULL)
		subject = X509_NAME_dup(X509_get_subject_name(oldcert));
	if (subject == NULL) {
		printf("ERROR missing or malformed subject (-s)\n");
		goto out;
	}
	if (!get_ca(cl, o)) {
		ex = fail(cl);
		goto out;
	}
	e.key = key;
	e.subject = subject;
	e.challenge = o->challenge;
	e.sans = o->sans;
	e.nsans = o->nsans;
	e.old_cert = oldcert;
	e.old_key = oldkey;
	e.renewal = o->renewal;
	e.txid = o->txid;
	e.cipher = o->cipher;
	e.digest = o->digest;
	e.now = time(NULL);

	if (poll_only ? !sc_txn_poll(cl, &e, &t) : !sc_txn_enroll(cl, &e, &t)) {
		ex = fail(cl);
		goto out;
	}
	snprintf(txid, sizeof(txid), "%s", t.txid);
	if (o->signer_out != NULL && !sc_cert_write(o->signer_out, t.signer)) {
		printf("ERROR cannot write %s\n", o->signer_out);
		goto out;
	}
	/* The exact bytes sent, for replays (INTEROP.md 6.3 step 2). */
	if (o->save != NULL && !write_file(o->save, t.der.data, t.der.len)) {
		printf("ERROR cannot write %s\n", o->save);
		goto out;
	}
	if (o->build_only) {
		printf("BUILT txid=%s\n", txid);
		ex = EX_SUCCESS;
		goto out;
	}
	if (!sc_transact(cl, &t, o->use_get, &r)) {
		ex = fail(cl);
		goto out;
	}
	/* RFC 8894 section 3.3.3: CertPoll while PENDING. */
	for (polls = o->polls; r.status == SCEP_STATUS_PENDING && polls > 0;
	    polls--) {
		if (cl->verbose)
			fprintf(stderr, "sceptest: PENDING, poll in %ld ms\n",
			    o->interval);
		nanosleep(&(struct timespec){ o->interval / 1000,
		    (o->interval % 1000) * 1000000L }, NULL);
		sc_txn_free(&t);
		sc_reply_free(&r);
		if (!sc_txn_poll(cl, &e, &t) ||
		    !sc_transact(cl, &t, o->use_get, &r)) {
			ex = fail(cl);
			goto out;
		}
	}
	ex = report(&r, txid, o->out);
out:
	sc_reply_free(&r);
	sc_txn_free(&t);
	X509_NAME_free(subject);
	EVP_PKEY_free(key);
	EVP_PKEY_free(oldkey);
	X509_free(oldcert);
	return ex;
}

/*
 * getcert (IssuerAndSerialNumber: CA subject, -s serial) and getcrl
 * (the issuer and serial of -O unless -s names another serial).
 */
static int
cmd_query(struct sc_client *cl, const struct opts *o, enum scep_msgtype type)
{
	struct sc_txn		 t;
	struct sc_reply		 r;
	X509			*cert = NULL, *ca = NULL;
	EVP_PKEY		*key = NULL;
	BIGNUM			*bn = NULL;
	ASN1_INTEGER		*serial = NULL;
	const X509_NAME		*issuer;
	int			 ex = EX_ERROR;

	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	if (!load_old(o, &cert, &key))
		goto out;
	if (cert == NULL) {
		printf("ERROR -O CERT -K KEY are required\n");
		goto out;
	}
	if (o->subject == NULL && type == SCEP_MSG_GETCERT) {
		printf("ERROR -s SERIAL is required\n");
		goto out;
	}
	if (o->subject != NULL && (!BN_hex2bn(&bn, o->subject) ||
	    (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL)) {
		printf("ERROR bad serial \"%s\"\n", o->subject);
		goto out;
	}
	if (!sc_getca(cl, NULL)) {
		ex = fail(cl);
		goto out;
	}
	/* --crl-ca: a CA GetCACert no longer serves (after a rollover). */
	if (o->crl_ca != NULL) {
		if ((ca = sc_cert_load(o->crl_ca)) == NULL ||
		    !sk_X509_push(cl->cacerts, ca)) {
			printf("ERROR cannot load %s\n", o->crl_ca);
			goto out;
		}
		ca = NULL;
	}
	/* RFC 8894 section 3.3.4: GetCRL names the certificate checked. */
	issuer = type == SCEP_MSG_GETCRL ? X509_get_issuer_name(cert) :
	    X509_get_subject_name(cl->ca);
	if (!sc_txn_query(cl, type, cert, key, issuer, serial != NULL ?
	    serial : X509_get0_serialNumber(cert), o->digest, o->cipher, &t) ||
	    !sc_transact(cl, &t, o->use_get, &r)) {
		ex = fail(cl);
		goto out;
	}
	ex = report(&r, t.txid, o->out);
out:
	sc_reply_free(&r);
	sc_txn_free(&t);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_free(ca);
	return ex;
}

/* Read a whole file (at most SC_BODY_MAX bytes); free with free(). */
static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE		*f;
	uint8_t		*buf = NULL;
	size_t		 n = 0;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if ((buf = malloc(SC_BODY_MAX + 1)) != NULL) {
		n = fread(buf, 1, SC_BODY_MAX + 1, f);
		if (ferror(f) || n > SC_BODY_MAX) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

/*
 * The transaction a saved request (enroll --save) stands for, so that
 * the answer to a replay can be checked as enroll checks its own: the
 * request is parsed (its signature verified) for its type,
 * transactionID, senderNonce and signer certificate.  The reply is
 * opened with oldcert/oldkey when given (a renewal), else with the
 * request's own signer certificate and key; the issued certificate
 * must be for key (else oldkey).  Returns 1 with *t filled, or 0.
 */
static int
raw_txn(struct sc_client *cl, const uint8_t *body, size_t len,
    X509 *oldcert, EVP_PKEY *oldkey, EVP_PKEY *key, struct sc_txn *t)
{
	struct scep_msg		*req = NULL;
	struct scep_error	 err;
	X509			*signer;
	EVP_PKEY		*skey, *ckey;
	int			 rc = 0;

	memset(t, 0, sizeof(*t));
	memset(&err, 0, sizeof(err));
	if (!scep_msg_parse(cl->ctx, body, len, &cl->lim, &cl->pol, &req,
	    &err)) {
		printf("ERROR -f FILE does not parse: %s\n",
		    err.reason == NULL ? "?" : err.reason);
		goto out;
	}
	if (!req->has_type || (req->type != SCEP_MSG_PKCSREQ &&
	    req->type != SCEP_MSG_RENEWALREQ &&
	    req->type != SCEP_MSG_CERTPOLL)) {
		printf("ERROR -f FILE is not a PKCSReq, RenewalReq or "
		    "CertPoll\n");
		goto out;
	}
	if (req->txid_len == 0 || req->txid_len > SCEP_TXID_MAX) {
		printf("ERROR -f FILE: bad transactionID\n");
		goto out;
	}
	signer = oldcert != NULL ? oldcert : req->signer;
	skey = oldkey != NULL ? oldkey : key;
	ckey = key != NULL ? key : oldkey;
	if (signer == NULL || skey == NULL || ckey == NULL) {
		printf("ERROR -k KEY or -O CERT -K KEY are required\n");
		goto out;
	}
	t->type = req->type;
	memcpy(t->txid, req->txid, req->txid_len);
	t->txid[req->txid_len] = '\0';
	memcpy(t->nonce, req->sender_nonce, SCEP_NONCE_LEN);
	if (!X509_up_ref(signer))
		goto out;
	t->signer = signer;
	if (!EVP_PKEY_up_ref(skey))
		goto out;
	t->signer_key = skey;
	if (!EVP_PKEY_up_ref(ckey))
		goto out;
	t->certkey = ckey;
	rc = 1;
out:
	if (!rc)
		sc_txn_free(t);
	scep_msg_free(req);
	return rc;
}

/*
 * raw: send a file as the PKIOperation (POST, or GET with -g) and print
 * "HTTP <status>".  Without keys, when the answer is a pkiMessage whose
 * signature verifies, its pkiStatus and failInfo follow on that line.
 * With -k KEY and/or -O CERT -K KEY (the keys of a request saved by
 * enroll --save), a CertRep is checked as enroll checks its own and
 * enroll's SUCCESS/PENDING/FAILURE line follows on a line of its own
 * (-w writes the certificate).  Exit 0 whenever the server answered
 * (and, with keys, its CertRep passed the checks).
 */
static int
cmd_raw(struct sc_client *cl, const struct opts *o)
{
	struct sc_http		 h;
	struct sc_txn		 t;
	struct sc_reply		 r;
	struct scep_buf		 b64 = { NULL, 0 };
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	X509			*oldcert = NULL;
	EVP_PKEY		*key = NULL, *oldkey = NULL;
	uint8_t			*body = NULL;
	size_t			 len;
	int			 ok, check, ex = EX_ERROR;

	memset(&h, 0, sizeof(h));
	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	check = o->keyfile != NULL || o->oldcert != NULL || o->oldkey != NULL;
	if (o->file == NULL || (body = read_file(o->file, &len)) == NULL) {
		printf("ERROR cannot read -f FILE\n");
		goto out;
	}
	if (check) {
		if (!load_old(o, &oldcert, &oldkey))
			goto out;
		if (o->keyfile != NULL &&
		    (key = sc_key_load(o->keyfile, 0, 0)) == NULL) {
			printf("ERROR cannot load %s\n", o->keyfile);
			goto out;
		}
		if (!raw_txn(cl, body, len, oldcert, oldkey, key, &t))
			goto out;
		/* The reply must be signed by the GetCACert RA. */
		if (!get_ca(cl, o)) {
			ex = fail(cl);
			goto out;
		}
	}
	if (o->use_get) {
		ok = scep_base64_encode(body, len, &b64) &&
		    sc_http_get(cl, "PKIOperation", (const char *)b64.data,
		    &h);
	} else
		ok = sc_http_post(cl, "PKIOperation", body, len, &h);
	if (!ok) {
		printf("ERROR %s\n", cl->err);
		goto out;
	}
	printf("HTTP %ld", h.status);
	if (check) {
		putchar('\n');
		ex = EX_SUCCESS;
		if (h.status != 200 || !sc_ctype_is(h.ctype, SC_CT_PKI))
			goto out;
		if (!sc_reply_check(cl, &t, h.body.data, h.body.len, &r)) {
			printf("ERROR %s\n", cl->err);
			ex = EX_ERROR;
			goto out;
		}
		if (report(&r, t.txid, o->out) == EX_ERROR)
			ex = EX_ERROR;
		goto out;
	}
	if (h.status == 200 && sc_ctype_is(h.ctype, SC_CT_PKI)) {
		memset(&err, 0, sizeof(err));
		if (!scep_msg_parse(cl->ctx, h.body.data, h.body.len, &cl->lim,
		    &cl->pol, &msg, &err))
			printf(" unparseable");
		else if (msg->has_status) {
			printf(" pkiStatus=%s", scep_status_name(msg->status));
			if (msg->has_failinfo)
				printf(" failInfo=%s",
				    scep_failinfo_name(msg->failinfo));
		}
	}
	putchar('\n');
	ex = EX_SUCCESS;
out:
	scep_msg_free(msg);
	scep_buf_free(&b64);
	sc_http_free(&h);
	sc_reply_free(&r);
	sc_txn_free(&t);
	EVP_PKEY_free(key);
	EVP_PKEY_free(oldkey);
	X509_free(oldcert);
	free(body);
	return ex;
}

int
main(int argc, char *argv[])
{
	static const struct option globalopts[] = {
		{ "retry", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option longopts[] = {
		{ "san", required_argument, NULL, 'A' },
		{ "save", required_argument, NULL, 'F' },
		{ "build-only", no_argument, NULL, 'B' },
		{ "crl-ca", required_argument, NULL, 'C' },
		{ "cacerts", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct sc_client	*cl = NULL;
	struct opts		 o;
	const char		*url = NULL, *cmd;
	long			 timeout = 30000;
	int			 ch, verbose = 0, lenient = 0, retries = 0;
	int			 ex = EX_ERROR;

	memset(&o, 0, sizeof(o));
	o.bits = 2048;
	o.cipher = SCEP_CIPHER_AES128;
	o.digest = SCEP_DIGEST_SHA256;
	o.polls = -1;
	o.interval = 1000;

	/* Global options, up to the command. */
	while ((ch = getopt_long(argc, argv, "+LT:u:v", globalopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'R':
			retries = (int)number(optarg, 0, 1000);
			break;
		case 'L':
			lenient = 1;
			break;
		case 'T':
			timeout = number(optarg, 1, 3600000);
			break;
		case 'u':
			url = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || url == NULL)
		usage();
	cmd = argv[0];

	/* Command options. */
	optind = 1;
	while ((ch = getopt_long(argc, argv, "A:b:c:E:f:gi:K:k:no:O:p:rS:s:t:"
	    "vW:w:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'A':
			if (o.nsans == MAX_SANS)
				usage();
			o.sans[o.nsans++] = optarg;
			break;
		case 'a':
			o.cacerts = optarg;
			break;
		case 'C':
			o.crl_ca = optarg;
			break;
		case 'B':
			o.build_only = 1;
			break;
		case 'F':
			o.save = optarg;
			break;
		case 'b':
			o.bits = (int)number(optarg, 1024, 16384);
			break;
		case 'c':
			o.challenge = optarg;
			break;
		case 'E':
			if (!sc_cipher_arg(optarg, &o.cipher))
				usage();
			break;
		case 'f':
			o.file = optarg;
			break;
		case 'g':
			o.use_get = 1;
			break;
		case 'i':
			o.interval = number(optarg, 0, 3600000);
			break;
		case 'K':
			o.oldkey = optarg;
			break;
		case 'k':
			o.keyfile = optarg;
			break;
		case 'n':
			o.polls = 0;
			break;
		case 'o':
			o.dir = optarg;
			break;
		case 'O':
			o.oldcert = optarg;
			break;
		case 'p':
			o.polls = (int)number(optarg, 0, 100000);
			break;
		case 'r':
			o.renewal = 1;
			break;
		case 'S':
			if (!scep_digest_from_name(optarg, &o.digest))
				usage();
			break;
		case 's':
			o.subject = optarg;
			break;
		case 't':
			o.txid = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'W':
			o.signer_out = optarg;
			break;
		case 'w':
			o.out = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    !scep_init() ||
	    (cl = sc_client_new(url, timeout, verbose)) == NULL) {
		printf("ERROR cannot initialise\n");
		goto out;
	}
	cl->echoed_nonce_ok = lenient;
	cl->retries = retries;
	if (strcmp(cmd, "getcaps") == 0)
		ex = cmd_getcaps(cl);
	else if (strcmp(cmd, "getca") == 0)
		ex = cmd_getca(cl, &o);
	else if (strcmp(cmd, "getnextca") == 0)
		ex = cmd_getnextca(cl, &o);
	else if (strcmp(cmd, "enroll") == 0) {
		o.polls = o.polls == -1 ? 5 : o.polls;
		ex = cmd_enroll(cl, &o, 0);
	}
	else if (strcmp(cmd, "poll") == 0) {
		/* One CertPoll unless -p asks for more. */
		o.polls = o.polls == -1 ? 0 : o.polls;
		ex = cmd_enroll(cl, &o, 1);
	} else if (strcmp(cmd, "getcert") == 0)
		ex = cmd_query(cl, &o, SCEP_MSG_GETCERT);
	else if (strcmp(cmd, "getcrl") == 0)
		ex = cmd_query(cl, &o, SCEP_MSG_GETCRL);
	else if (strcmp(cmd, "raw") == 0)
		ex = cmd_raw(cl, &o);
	else
		usage();
	if (verbose)
		ERR_print_errors_fp(stderr);
out:
	sc_client_free(cl);
	curl_global_cleanup();
	fflush(stdout);
	return ex;
}
