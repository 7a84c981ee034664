/*
 * check_corpus.c: the corpus runner (rpki-client regress style).
 *
 * Every row of tests/data/corpus/expected.tsv and inner.tsv, and of
 * tests/data/captures/captures.tsv, is one loop test: the message is
 * parsed with scep_msg_parse(), opened with scep_msg_open() by the
 * recipient the row names, and every field the row gives is compared.
 * Further loops check the default algorithm policy of INTEROP.md 6.1 on
 * the same messages, decode every GET query with scep_message_decode(),
 * and answer every PKCSReq/RenewalReq with scep_certrep_success(), which
 * the client's own key must open again.
 *
 * The TSV files are read in main() before srunner_run_all(), so every
 * forked test sees the same static table; nothing else happens in the
 * parent.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "scep/scep.h"
#include "tests/unit/testutil.h"

/* The corpus README: 53 messages, 10 of them sent by GET. */
#define CORPUS_MESSAGES	53
#define CORPUS_QUERIES	10

#define MAXROWS		128
#define NCOLS_EXP	7
#define NCOLS_INNER	6

/*
 * One message: its expected.tsv (or captures.tsv) columns and its
 * inner.tsv columns (corpus/inner.tsv, captures/inner.tsv).
 * Pointers point into the file buffers read by main().
 */
struct row {
	const char	*dir;		/* "corpus" or "captures" */
	const char	*file;		/* relative to dir */
	const char	*type;		/* decimal messageType */
	const char	*txid;
	const char	*digest;
	const char	*cipher;
	const char	*recip;		/* RA, CA, EC-RA, CA+RA */
	const char	*challenge;	/* or "-" */
	const char	*inner_file;	/* relative to dir, or NULL */
	const char	*inner_type;	/* PKCS10, IssuerAndSubject... */
	const char	*subject;
	const char	*issuer;
	const char	*serial;	/* decimal or "-" */
};

static struct row	 rows[MAXROWS];
static size_t		 nrows;		/* rows of expected.tsv */
static size_t		 ninner;	/* rows of corpus/inner.tsv */
static size_t		 ninner_captures; /* rows of captures/inner.tsv */
static size_t		 ncaptures;	/* captures.tsv, after nrows */
/* Indexes into rows[]: messages with a .query, PKCSReq/RenewalReq. */
static size_t		 queries[MAXROWS], nqueries;
static size_t		 ncorpus_queries;	/* those of the corpus */
static size_t		 enrols[MAXROWS], nenrols;

/* Both files of a recipient: certificate and key, below the data dir. */
struct recipient {
	const char	*crt;
	const char	*key;
};

static const struct recipient	 rcp_ra = {
	"corpus/pki/ra.crt", "corpus/pki/ra.key"
};
static const struct recipient	 rcp_ca = {
	"corpus/pki/ca.crt", "corpus/pki/ca.key"
};
static const struct recipient	 rcp_ecra = {
	"corpus/pki/ec-ra.crt", "corpus/pki/ec-ra.key"
};

/*
 * The recipients a row names, in RecipientInfo order (at most two), and
 * one that is not among them.  Returns the number of recipients.
 */
static size_t
row_recipients(const struct row *r, const struct recipient **out,
    const struct recipient **other)
{
	if (strcmp(r->recip, "RA") == 0) {
		out[0] = &rcp_ra;
		*other = &rcp_ecra;
		return 1;
	}
	if (strcmp(r->recip, "CA") == 0) {
		out[0] = &rcp_ca;
		*other = &rcp_ra;
		return 1;
	}
	if (strcmp(r->recip, "EC-RA") == 0) {
		out[0] = &rcp_ecra;
		*other = &rcp_ra;
		return 1;
	}
	ck_assert_msg(strcmp(r->recip, "CA+RA") == 0, "%s: recipient %s",
	    r->file, r->recip);
	out[0] = &rcp_ca;
	out[1] = &rcp_ra;
	*other = &rcp_ecra;
	return 2;
}

/* Path of a row's file (or of name in its folder) below the data dir. */
static void
row_path(const struct row *r, const char *name, char *buf, size_t sz)
{
	int	 n;

	n = snprintf(buf, sz, "%s/%s", r->dir, name);
	ck_assert(n > 0 && (size_t)n < sz);
}

/* The message bytes of a row; free with free(). */
static uint8_t *
row_read(const struct row *r, size_t *len)
{
	char	 path[1024];

	row_path(r, r->file, path, sizeof(path));
	return tu_read(path, len);
}

/*
 * A name as inner.tsv writes it: RDNs in DER order, "SN=value" joined by
 * ", ", with OpenSSL's short names (C, O, OU, CN, L, ST, emailAddress).
 * The values in the corpus are ASCII, so the string bytes are copied.
 */
static void
name_text(const X509_NAME *name, char *buf, size_t sz)
{
	const X509_NAME_ENTRY	*e;
	const ASN1_STRING	*v;
	const char		*sn;
	size_t			 off = 0;
	int			 i, n;

	ck_assert_ptr_nonnull(name);
	buf[0] = '\0';
	for (i = 0; i < X509_NAME_entry_count(name); i++) {
		e = X509_NAME_get_entry(name, i);
		sn = OBJ_nid2sn(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)));
		ck_assert_ptr_nonnull(sn);
		v = X509_NAME_ENTRY_get_data(e);
		n = snprintf(buf + off, sz - off, "%s%s=%.*s",
		    i == 0 ? "" : ", ", sn, ASN1_STRING_length(v),
		    (const char *)ASN1_STRING_get0_data(v));
		ck_assert(n > 0 && (size_t)n < sz - off);
		off += (size_t)n;
	}
}

/*
 * msg->csr against OpenSSL's own X509_REQ of the same DER: subject,
 * SubjectPublicKeyInfo, key and extensionRequest agree; a key equal to
 * the signer certificate's is that very EVP_PKEY, not a second decode.
 */
static void
csr_as_openssl(const char *file, const struct scep_msg *msg,
    const uint8_t *der, size_t len)
{
	const struct scep_csr		*csr = msg->csr;
	X509_REQ			*req;
	STACK_OF(X509_EXTENSION)	*a, *b;
	const unsigned char		*p = der;
	unsigned char			*spki = NULL, *ea = NULL, *eb = NULL;
	int				 n, na, nb;

	req = d2i_X509_REQ(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(req);
	ck_assert_msg(X509_NAME_cmp(csr->subject,
	    X509_REQ_get_subject_name(req)) == 0, "%s: subject", file);
	n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &spki);
	ck_assert_msg(n > 0 && (size_t)n == csr->spki_len &&
	    memcmp(spki, csr->spki, csr->spki_len) == 0, "%s: SPKI", file);
	ck_assert_msg(EVP_PKEY_eq(csr->key, X509_REQ_get0_pubkey(req)) == 1,
	    "%s: key", file);
	if (X509_PUBKEY_eq(X509_REQ_get_X509_PUBKEY(req),
	    X509_get_X509_PUBKEY(msg->signer)) == 1)
		ck_assert_msg(csr->key == X509_get0_pubkey(msg->signer),
		    "%s: the signer's key decoded twice", file);
	a = scep_csr_extensions(csr);
	b = X509_REQ_get_extensions(req);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	na = sk_X509_EXTENSION_num(a) > 0 ? i2d_X509_EXTENSIONS(a, &ea) : 0;
	nb = sk_X509_EXTENSION_num(b) > 0 ? i2d_X509_EXTENSIONS(b, &eb) : 0;
	ck_assert_msg(na == nb && (na == 0 || memcmp(ea, eb, (size_t)na) == 0),
	    "%s: extensions", file);
	OPENSSL_free(ea);
	OPENSSL_free(eb);
	OPENSSL_free(spki);
	sk_X509_EXTENSION_pop_free(a, X509_EXTENSION_free);
	sk_X509_EXTENSION_pop_free(b, X509_EXTENSION_free);
	X509_REQ_free(req);
}

/* An INTEGER in decimal. */
static void
serial_text(const ASN1_INTEGER *ai, char *buf, size_t sz)
{
	BIGNUM	*bn;
	char	*dec;

	ck_assert_ptr_nonnull(ai);
	bn = ASN1_INTEGER_to_BN(ai, NULL);
	ck_assert_ptr_nonnull(bn);
	dec = BN_bn2dec(bn);
	ck_assert_ptr_nonnull(dec);
	ck_assert_uint_lt(strlen(dec), sz);
	strcpy(buf, dec);
	OPENSSL_free(dec);
	BN_free(bn);
}

/* The row's messageType as a number (closed: 17, 19..22). */
static int
row_type(const struct row *r)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(r->type, &end, 10);
	ck_assert_msg(errno == 0 && *end == '\0' && v > 0 && v < 100,
	    "%s: messageType %s", r->file, r->type);
	return (int)v;
}

/* Parse a row's message with pol; returns the parse result. */
static int
row_parse(const struct row *r, const struct scep_policy *pol,
    struct scep_msg **msg, struct scep_error *err)
{
	struct scep_limits	 lim;
	uint8_t			*buf;
	size_t			 len;
	int			 rc;

	scep_limits_default(&lim);
	buf = row_read(r, &len);
	*msg = NULL;
	memset(err, 0, sizeof(*err));
	rc = scep_msg_parse(tu_ctx(), buf, len, &lim, pol, msg, err);
	free(buf);
	return rc;
}

/* Open msg as recipient rc; returns the open result. */
static int
row_open(struct scep_msg *msg, const struct recipient *rc,
    const struct scep_policy *pol, struct scep_error *err)
{
	struct scep_limits	 lim;
	X509			*crt;
	EVP_PKEY		*key;
	int			 rv;

	scep_limits_default(&lim);
	crt = tu_cert(rc->crt);
	key = tu_key(rc->key);
	memset(err, 0, sizeof(*err));
	rv = scep_msg_open(tu_ctx(), msg, crt, key, &lim, pol, err);
	X509_free(crt);
	EVP_PKEY_free(key);
	return rv;
}

/* The outer fields of a parsed message against the row. */
static void
check_outer(const struct row *r, const struct scep_msg *msg)
{
	ck_assert_msg(msg->has_type, "%s: no type", r->file);
	ck_assert_msg(scep_msgtype_value(msg->type) == row_type(r),
	    "%s: type %d, want %s", r->file, scep_msgtype_value(msg->type),
	    r->type);
	ck_assert_msg(msg->txid_len == strlen(r->txid) &&
	    memcmp(msg->txid, r->txid, msg->txid_len) == 0,
	    "%s: transactionID \"%.*s\", want \"%s\"", r->file,
	    (int)msg->txid_len, msg->txid, r->txid);
	ck_assert_int_eq(msg->txid[msg->txid_len], '\0');
	ck_assert_msg(strcmp(scep_digest_name(msg->digest), r->digest) == 0,
	    "%s: digest %s, want %s", r->file,
	    scep_digest_name(msg->digest), r->digest);
	ck_assert_ptr_nonnull(msg->signer);
	ck_assert_ptr_nonnull(msg->certs);
	ck_assert_int_ge(sk_X509_num(msg->certs), 1);
	ck_assert_ptr_nonnull(msg->envelope);
	ck_assert_uint_gt(msg->envelope_len, 0);
	/* A request carries no CertRep attributes. */
	ck_assert_int_eq(msg->has_status, 0);
	ck_assert_int_eq(msg->has_failinfo, 0);
	ck_assert_int_eq(msg->has_recipient_nonce, 0);
	ck_assert_int_eq(msg->opened, 0);
}

/* The decrypted content of an opened message against the row. */
static void
check_inner(const struct row *r, const struct scep_msg *msg)
{
	char		 text[1024], path[1024];
	uint8_t		*want;
	size_t		 wantlen;
	int		 t;

	ck_assert_int_eq(msg->opened, 1);
	ck_assert_msg(strcmp(scep_cipher_name(msg->cipher), r->cipher) == 0,
	    "%s: cipher %s, want %s", r->file, scep_cipher_name(msg->cipher),
	    r->cipher);

	/* The challenge: its exact bytes, or none. */
	if (strcmp(r->challenge, "-") == 0)
		ck_assert_msg(msg->has_challenge == 0,
		    "%s: unexpected challenge", r->file);
	else {
		ck_assert_msg(msg->has_challenge == 1, "%s: no challenge",
		    r->file);
		ck_assert_msg(msg->challenge_len == strlen(r->challenge) &&
		    memcmp(msg->challenge, r->challenge,
		    msg->challenge_len) == 0, "%s: challenge \"%.*s\"",
		    r->file, (int)msg->challenge_len,
		    (const char *)msg->challenge);
	}

	/* What the message type says the content is. */
	t = row_type(r);
	if (t == 17 || t == 19) {
		ck_assert_ptr_nonnull(msg->csr);
		ck_assert_ptr_null(msg->issuer);
		ck_assert_ptr_null(msg->serial);
	} else if (t == 20) {
		ck_assert_ptr_null(msg->csr);
		ck_assert_ptr_nonnull(msg->issuer);
		ck_assert_ptr_nonnull(msg->subject);
		ck_assert_ptr_null(msg->serial);
	} else {
		ck_assert_msg(t == 21 || t == 22, "%s: type %d", r->file, t);
		ck_assert_ptr_null(msg->csr);
		ck_assert_ptr_nonnull(msg->issuer);
		ck_assert_ptr_nonnull(msg->serial);
		ck_assert_ptr_null(msg->subject);
	}
	ck_assert_ptr_null(msg->rep_certs);
	ck_assert_ptr_null(msg->rep_crls);

	if (r->inner_type == NULL)
		return;

	/* inner.tsv: the decoded content, field by field. */
	if (strcmp(r->inner_type, "PKCS10") == 0) {
		ck_assert_msg(msg->csr != NULL, "%s: no CSR", r->file);
		row_path(r, r->inner_file, path, sizeof(path));
		want = tu_read(path, &wantlen);
		ck_assert_msg(msg->csr->der_len == wantlen &&
		    memcmp(msg->csr->der, want, wantlen) == 0,
		    "%s: CSR differs from %s", r->file, r->inner_file);
		csr_as_openssl(r->file, msg, want, wantlen);
		free(want);
		name_text(msg->csr->subject, text, sizeof(text));
		ck_assert_str_eq(text, r->subject);
		ck_assert_str_eq(r->issuer, "-");
		ck_assert_str_eq(r->serial, "-");
	} else if (strcmp(r->inner_type, "IssuerAndSubject") == 0) {
		ck_assert_msg(t == 20, "%s: IssuerAndSubject in type %d",
		    r->file, t);
		name_text(msg->subject, text, sizeof(text));
		ck_assert_str_eq(text, r->subject);
		name_text(msg->issuer, text, sizeof(text));
		ck_assert_str_eq(text, r->issuer);
		ck_assert_str_eq(r->serial, "-");
	} else {
		ck_assert_msg(strcmp(r->inner_type,
		    "IssuerAndSerialNumber") == 0, "%s: inner type %s",
		    r->file, r->inner_type);
		ck_assert_msg(t == 21 || t == 22,
		    "%s: IssuerAndSerialNumber in type %d", r->file, t);
		name_text(msg->issuer, text, sizeof(text));
		ck_assert_str_eq(text, r->issuer);
		serial_text(msg->serial, text, sizeof(text));
		ck_assert_str_eq(text, r->serial);
		ck_assert_str_eq(r->subject, "-");
	}
}

/*
 * Each row with a permissive policy: parse, open with every recipient it
 * names (each of the two for CA+RA), compare everything.
 */
static void
run_row(const struct row *r)
{
	const struct recipient	*rc[2], *other;
	struct scep_policy	 pol;
	struct scep_msg		*msg;
	struct scep_error	 err;
	size_t			 i, n;

	tu_policy_all(&pol);
	n = row_recipients(r, rc, &other);
	for (i = 0; i < n; i++) {
		ck_assert_msg(row_parse(r, &pol, &msg, &err) == 1,
		    "%s: parse: %s %s", r->file,
		    scep_outcome_name(err.outcome),
		    err.reason != NULL ? err.reason : "");
		ck_assert_ptr_nonnull(msg);
		check_outer(r, msg);
		ck_assert_msg(row_open(msg, rc[i], &pol, &err) == 1,
		    "%s: open as %s: %s %s", r->file, rc[i]->crt,
		    scep_outcome_name(err.outcome),
		    err.reason != NULL ? err.reason : "");
		check_inner(r, msg);
		scep_msg_free(msg);
	}

	/*
	 * A key that is not a recipient: the one badMessageCheck of
	 * INTEROP.md 6.5, and nothing of the content is exposed.
	 */
	ck_assert_int_eq(row_parse(r, &pol, &msg, &err), 1);
	ck_assert_int_eq(row_open(msg, other, &pol, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_REJECT);
	ck_assert_int_eq(err.failinfo, SCEP_FAIL_BADMESSAGECHECK);
	ck_assert_ptr_nonnull(err.reason);
	ck_assert_str_eq(err.reason, "cannot open the pkcsPKIEnvelope");
	ck_assert_int_eq(msg->opened, 0);
	ck_assert_ptr_null(msg->csr);
	ck_assert_int_eq(msg->has_challenge, 0);
	scep_msg_free(msg);
}

START_TEST(test_corpus_row)
{
	ck_assert_uint_lt((size_t)_i, nrows);
	run_row(&rows[_i]);
}
END_TEST

START_TEST(test_capture_row)
{
	ck_assert_uint_lt((size_t)_i, ncaptures);
	run_row(&rows[nrows + (size_t)_i]);
}
END_TEST

/*
 * The default policy of INTEROP.md 6.1: REJECT badAlg exactly for MD5
 * (at parse, before the signature is verified) and for single DES (at
 * open, before the private key is used); every other message parses and
 * opens.  The CertPoll exception (SHA-1, 3DES) is inside the default.
 */
static void
run_default(const struct row *r)
{
	const struct recipient	*rc[2], *other;
	struct scep_policy	 pol;
	struct scep_msg		*msg;
	struct scep_error	 err;
	int			 rv;

	scep_policy_default(&pol);
	(void)row_recipients(r, rc, &other);
	rv = row_parse(r, &pol, &msg, &err);
	if (strcmp(r->digest, "md5") == 0) {
		ck_assert_msg(rv == 0, "%s: MD5 accepted", r->file);
		ck_assert_int_eq(err.outcome, SCEP_REJECT);
		ck_assert_int_eq(err.failinfo, SCEP_FAIL_BADALG);
		/* A REJECT can be answered: transactionID and nonce. */
		ck_assert_ptr_nonnull(msg);
		ck_assert_uint_eq(msg->txid_len, strlen(r->txid));
		ck_assert_ptr_nonnull(msg->signer);
		scep_msg_free(msg);
		return;
	}
	ck_assert_msg(rv == 1, "%s: parse: %s", r->file,
	    err.reason != NULL ? err.reason : "");
	rv = row_open(msg, rc[0], &pol, &err);
	if (strcmp(r->cipher, "des-cbc") == 0) {
		ck_assert_msg(rv == 0, "%s: DES accepted", r->file);
		ck_assert_int_eq(err.outcome, SCEP_REJECT);
		ck_assert_int_eq(err.failinfo, SCEP_FAIL_BADALG);
		ck_assert_int_eq(msg->opened, 0);
		ck_assert_ptr_null(msg->csr);
	} else {
		ck_assert_msg(rv == 1, "%s: open: %s", r->file,
		    err.reason != NULL ? err.reason : "");
		check_inner(r, msg);
	}
	scep_msg_free(msg);
}

START_TEST(test_corpus_default_policy)
{
	run_default(&rows[_i]);
}
END_TEST

START_TEST(test_capture_default_policy)
{
	run_default(&rows[nrows + (size_t)_i]);
}
END_TEST

/*
 * A tenant that allows no algorithm at all: only the CertPoll exception
 * of INTEROP.md 6.1 gets through (SHA-1 signed, 3DES encrypted: Apple's
 * polls); everything else is REJECT badAlg.
 */
START_TEST(test_corpus_policy_none)
{
	const struct row	*r = &rows[_i];
	const struct recipient	*rc[2], *other;
	struct scep_policy	 pol;
	struct scep_msg		*msg;
	struct scep_error	 err;
	int			 rv, poll;

	pol.ciphers = 0;
	pol.digests = 0;
	poll = row_type(r) == 20;
	(void)row_recipients(r, rc, &other);
	rv = row_parse(r, &pol, &msg, &err);
	if (!(poll && strcmp(r->digest, "sha1") == 0)) {
		ck_assert_msg(rv == 0, "%s: digest %s accepted", r->file,
		    r->digest);
		ck_assert_int_eq(err.outcome, SCEP_REJECT);
		ck_assert_int_eq(err.failinfo, SCEP_FAIL_BADALG);
		scep_msg_free(msg);
		return;
	}
	ck_assert_msg(rv == 1, "%s: SHA-1 poll refused", r->file);
	rv = row_open(msg, rc[0], &pol, &err);
	if (strcmp(r->cipher, "des-ede3-cbc") == 0)
		ck_assert_msg(rv == 1, "%s: 3DES poll refused", r->file);
	else {
		ck_assert_int_eq(rv, 0);
		ck_assert_int_eq(err.failinfo, SCEP_FAIL_BADALG);
	}
	scep_msg_free(msg);
}
END_TEST

/* The value of the message= parameter of a query string. */
static const char *
query_message(const char *q, size_t len, size_t *vlen)
{
	const char	*p = q, *end = q + len, *amp;

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if ((size_t)(amp - p) >= 8 && memcmp(p, "message=", 8) == 0) {
			*vlen = (size_t)(amp - p) - 8;
			return p + 8;
		}
		p = amp + 1;
	}
	return NULL;
}

/* Every .query decodes to the exact bytes of its message. */
static void
run_query(const struct row *r)
{
	struct scep_limits	 lim;
	struct scep_buf		 out = { NULL, 0 };
	char			 path[1024], name[512];
	const char		*v, *dot;
	uint8_t			*q, *der;
	size_t			 qlen, derlen, vlen;

	dot = strrchr(r->file, '.');
	ck_assert_ptr_nonnull(dot);
	snprintf(name, sizeof(name), "%.*s.query", (int)(dot - r->file),
	    r->file);
	row_path(r, name, path, sizeof(path));
	q = tu_read(path, &qlen);
	der = row_read(r, &derlen);
	v = query_message((const char *)q, qlen, &vlen);
	ck_assert_msg(v != NULL, "%s: no message=", name);
	scep_limits_default(&lim);
	ck_assert_msg(scep_message_decode(v, vlen, lim.max_msg, &out) == 1,
	    "%s: not decoded", name);
	ck_assert_msg(out.len == derlen && memcmp(out.data, der, derlen) == 0,
	    "%s: decodes to %zu bytes, not to %s (%zu)", name, out.len,
	    r->file, derlen);
	/* Too small a limit is refused, not truncated. */
	scep_buf_free(&out);
	ck_assert_int_eq(scep_message_decode(v, vlen, derlen - 1, &out), 0);
	scep_buf_free(&out);
	free(der);
	free(q);
}

START_TEST(test_query)
{
	run_query(&rows[queries[_i]]);
}
END_TEST

/*
 * The key that signed a message, hence the one that opens the reply:
 * pki/old-client.key for messages signed with pki/old-client.crt, the
 * corpus README's "Client keys" table for the certmonger messages signed
 * with an earlier key, else client-keys/<basename>.key (captures: the
 * .key next to the message).  Checked against the signer certificate.
 */
static EVP_PKEY *
signer_key(const struct row *r, X509 *signer)
{
	static const struct {
		const char	*file;
		const char	*key;
	} table[] = {
		{ "messages/certmonger-resubmit.der",
		    "corpus/client-keys/certmonger-pkcsreq.key" },
		{ "messages/certmonger-rekey.der",
		    "corpus/client-keys/certmonger-pkcsreq.key" },
		{ "messages/certmonger-poll-pkcsreq.der",
		    "corpus/client-keys/certmonger-pkcsreq-pending.key" },
	};
	X509		*old;
	EVP_PKEY	*key = NULL;
	char		 path[1024], base[512];
	const char	*slash, *dot;
	size_t		 i;

	old = tu_cert("corpus/pki/old-client.crt");
	if (X509_cmp(signer, old) == 0)
		key = tu_key("corpus/pki/old-client.key");
	X509_free(old);
	for (i = 0; key == NULL && i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(r->dir, "corpus") == 0 &&
		    strcmp(r->file, table[i].file) == 0)
			key = tu_key(table[i].key);
	if (key == NULL) {
		slash = strrchr(r->file, '/');
		slash = slash == NULL ? r->file : slash + 1;
		dot = strrchr(slash, '.');
		ck_assert_ptr_nonnull(dot);
		snprintf(base, sizeof(base), "%.*s", (int)(dot - slash),
		    slash);
		if (strcmp(r->dir, "corpus") == 0)
			snprintf(path, sizeof(path),
			    "corpus/client-keys/%s.key", base);
		else
			snprintf(path, sizeof(path), "%s/%s.key", r->dir,
			    base);
		key = tu_key(path);
	}
	ck_assert_msg(X509_check_private_key(signer, key) == 1,
	    "%s: the client key does not match the signer", r->file);
	return key;
}

/*
 * Answer a PKCSReq/RenewalReq with SUCCESS (INTEROP.md 6.2): a
 * certificate for the CSR's key issued by ca.key (ec-ca.key behind the
 * EC RA), the reply signed by the recipient, then parsed again as a
 * client would and opened with the client's own key.
 */
static void
run_reply(const struct row *r, long serial)
{
	const struct recipient	*rc[2], *other;
	struct scep_policy	 pol;
	struct scep_limits	 lim;
	struct scep_msg		*req, *rep;
	struct scep_error	 err;
	struct scep_buf		 out = { NULL, 0 };
	X509			*rcert, *ca, *issued;
	EVP_PKEY		*rkey, *cakey, *ckey;
	int			 ec;

	tu_policy_all(&pol);
	scep_limits_default(&lim);
	(void)row_recipients(r, rc, &other);
	/* CA+RA: the RA answers, as it is the one GetCACert offers. */
	if (strcmp(r->recip, "CA+RA") == 0)
		rc[0] = &rcp_ra;
	ck_assert_int_eq(row_parse(r, &pol, &req, &err), 1);
	ck_assert_int_eq(row_open(req, rc[0], &pol, &err), 1);
	ck_assert_ptr_nonnull(req->csr);

	ec = strcmp(r->recip, "EC-RA") == 0;
	ca = tu_cert(ec ? "corpus/pki/ec-ca.crt" : "corpus/pki/ca.crt");
	cakey = tu_key(ec ? "corpus/pki/ec-ca.key" : "corpus/pki/ca.key");
	issued = tu_issue(req->csr->key, "CN=corpus-issued",
	    ca, cakey, serial, TEST_NOW, 365);
	rcert = tu_cert(rc[0]->crt);
	rkey = tu_key(rc[0]->key);

	ck_assert_msg(scep_certrep_success(tu_ctx(), req, rcert, rkey, issued,
	    &out, &err) == 1, "%s: no reply: %s", r->file,
	    err.reason != NULL ? err.reason : "");

	/* The reply as the client sees it. */
	rep = NULL;
	ck_assert_msg(scep_msg_parse(tu_ctx(), out.data, out.len, &lim, &pol,
	    &rep, &err) == 1, "%s: reply does not parse: %s", r->file,
	    err.reason != NULL ? err.reason : "");
	ck_assert_int_eq(rep->has_type, 1);
	ck_assert_int_eq(rep->type, SCEP_MSG_CERTREP);
	ck_assert_int_eq(rep->has_status, 1);
	ck_assert_int_eq(rep->status, SCEP_STATUS_SUCCESS);
	ck_assert_int_eq(rep->has_failinfo, 0);
	ck_assert_uint_eq(rep->txid_len, req->txid_len);
	ck_assert_mem_eq(rep->txid, req->txid, req->txid_len);
	ck_assert_int_eq(rep->has_recipient_nonce, 1);
	ck_assert_mem_eq(rep->recipient_nonce, req->sender_nonce,
	    SCEP_NONCE_LEN);
	ck_assert_int_ne(memcmp(rep->sender_nonce, req->sender_nonce,
	    SCEP_NONCE_LEN), 0);
	ck_assert_int_eq(rep->digest, req->digest == SCEP_DIGEST_SHA512 ?
	    SCEP_DIGEST_SHA512 : SCEP_DIGEST_SHA256);
	ck_assert_int_eq(X509_cmp(rep->signer, rcert), 0);
	ck_assert_int_eq(sk_X509_num(rep->certs), 1);

	/* Opened by the key that signed the request. */
	ckey = signer_key(r, req->signer);
	ck_assert_msg(scep_msg_open(tu_ctx(), rep, req->signer, ckey, &lim,
	    &pol, &err) == 1, "%s: reply does not open: %s", r->file,
	    err.reason != NULL ? err.reason : "");
	ck_assert_int_eq(rep->cipher, req->cipher);
	ck_assert_ptr_nonnull(rep->rep_certs);
	ck_assert_int_eq(sk_X509_num(rep->rep_certs), 1);
	ck_assert_int_eq(X509_cmp(sk_X509_value(rep->rep_certs, 0), issued),
	    0);
	ck_assert_ptr_null(rep->csr);

	scep_msg_free(rep);
	scep_msg_free(req);
	scep_buf_free(&out);
	EVP_PKEY_free(ckey);
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(cakey);
	X509_free(rcert);
	X509_free(issued);
	X509_free(ca);
}

START_TEST(test_reply)
{
	run_reply(&rows[enrols[_i]], 0x5ce9f000L + _i);
}
END_TEST

/* The corpus is complete: 53 messages, 53 inner rows, 10 queries. */
START_TEST(test_corpus_count)
{
	char		 path[1024];
	DIR		*d;
	struct dirent	*de;
	size_t		 n = 0, len, i, found;

	ck_assert_uint_eq(nrows, CORPUS_MESSAGES);
	ck_assert_uint_eq(ninner, CORPUS_MESSAGES);
	ck_assert_uint_eq(ncorpus_queries, CORPUS_QUERIES);
	/* tests/data/README: the captures are there too, all in both
	 * captures.tsv and captures/inner.tsv. */
	ck_assert_uint_ge(ncaptures, 3);
	ck_assert_uint_eq(ninner_captures, ncaptures);
	for (i = 0; i < nrows; i++)
		ck_assert_msg(rows[i].inner_type != NULL,
		    "%s not in inner.tsv", rows[i].file);

	/* Every message file in the folder has its row. */
	snprintf(path, sizeof(path), "%s/corpus/messages", tu_datadir());
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 4 || (strcmp(de->d_name + len - 4, ".der") != 0 &&
		    strcmp(de->d_name + len - 4, ".ber") != 0))
			continue;
		n++;
		for (i = found = 0; i < nrows; i++)
			if (strncmp(rows[i].file, "messages/", 9) == 0 &&
			    strcmp(rows[i].file + 9, de->d_name) == 0)
				found++;
		ck_assert_msg(found == 1, "%s: %zu rows", de->d_name, found);
	}
	closedir(d);
	ck_assert_uint_eq(n, CORPUS_MESSAGES);
}
END_TEST

/*
 * Reading the TSV files, in the parent before any test runs; failures
 * here are reported on stderr and end the program.
 */

static char *
slurp(const char *rel)
{
	char	 path[1024];
	FILE	*f;
	char	*buf;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", tu_datadir(), rel);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) ==
	    NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Split buf into lines and each line into fields; skip the header. */
static int
load_tsv(char *buf, const char *dir, int inner)
{
	char		*line, *next, *f[8];
	size_t		 n, i, first = 1;
	struct row	*r;

	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (first) {
			first = 0;
			continue;
		}
		n = tu_tsv_split(line, f, 8);
		if (!inner) {
			if (n != NCOLS_EXP || nrows + ncaptures >= MAXROWS)
				return 0;
			r = &rows[nrows + ncaptures];
			r->dir = dir;
			r->file = f[0];
			r->type = f[1];
			r->txid = f[2];
			r->digest = f[3];
			r->cipher = f[4];
			r->recip = f[5];
			r->challenge = f[6];
			if (strcmp(dir, "corpus") == 0)
				nrows++;
			else
				ncaptures++;
			continue;
		}
		if (n != NCOLS_INNER)
			return 0;
		/* inner.tsv: the row of the same message, same folder. */
		for (i = 0; i < nrows + ncaptures; i++)
			if (strcmp(rows[i].dir, dir) == 0 &&
			    strcmp(rows[i].file, f[0]) == 0)
				break;
		if (i == nrows + ncaptures || rows[i].inner_type != NULL)
			return 0;
		rows[i].inner_file = f[1];
		rows[i].inner_type = f[2];
		rows[i].subject = f[3];
		rows[i].issuer = f[4];
		rows[i].serial = f[5];
		if (strcmp(dir, "corpus") == 0)
			ninner++;
		else
			ninner_captures++;
	}
	return 1;
}

/* The indexes of the rows with a .query and of the enrolments. */
static void
index_rows(void)
{
	char		 path[1024];
	struct stat	 st;
	const char	*dot;
	size_t		 i;

	for (i = 0; i < nrows + ncaptures; i++) {
		dot = strrchr(rows[i].file, '.');
		if (dot != NULL) {
			snprintf(path, sizeof(path), "%s/%s/%.*s.query",
			    tu_datadir(), rows[i].dir,
			    (int)(dot - rows[i].file), rows[i].file);
			if (stat(path, &st) == 0) {
				queries[nqueries++] = i;
				if (i < nrows)
					ncorpus_queries++;
			}
		}
		if (strcmp(rows[i].type, "19") == 0 ||
		    strcmp(rows[i].type, "17") == 0)
			enrols[nenrols++] = i;
	}
}

static Suite *
corpus_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("corpus");

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_corpus_count);
	tcase_add_loop_test(tc, test_corpus_row, 0, (int)nrows);
	tcase_add_loop_test(tc, test_capture_row, 0, (int)ncaptures);
	tcase_add_loop_test(tc, test_query, 0, (int)nqueries);
	tcase_add_loop_test(tc, test_reply, 0, (int)nenrols);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_corpus_default_policy, 0, (int)nrows);
	tcase_add_loop_test(tc, test_capture_default_policy, 0,
	    (int)ncaptures);
	tcase_add_loop_test(tc, test_corpus_policy_none, 0, (int)nrows);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	char	*exp, *inner, *caps, *capinner = NULL;
	int	 failed;

	exp = slurp("corpus/expected.tsv");
	inner = slurp("corpus/inner.tsv");
	if (exp == NULL || inner == NULL) {
		fprintf(stderr, "cannot read %s/corpus/*.tsv\n",
		    tu_datadir());
		return EXIT_FAILURE;
	}
	if (!load_tsv(exp, "corpus", 0) || !load_tsv(inner, "corpus", 1)) {
		fprintf(stderr, "bad line in corpus/*.tsv\n");
		return EXIT_FAILURE;
	}
	/* The captures of tests/data/README, with their inner.tsv. */
	if ((caps = slurp("captures/captures.tsv")) != NULL &&
	    (!load_tsv(caps, "captures", 0) ||
	    (capinner = slurp("captures/inner.tsv")) == NULL ||
	    !load_tsv(capinner, "captures", 1))) {
		fprintf(stderr, "bad captures/captures.tsv or inner.tsv\n");
		return EXIT_FAILURE;
	}
	index_rows();

	sr = srunner_create(corpus_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(capinner);
	free(caps);
	free(inner);
	free(exp);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
