/*
 * check_msg.c: scep/msg.c - scep_msg_parse(), scep_signed_build() and
 * scep_nonce_new().
 *
 * valid: every corpus message parses as expected.tsv says; what
 * scep_signed_build() makes parses back, with and without content, and
 * its empty content is an empty OCTET STRING eContent (INTEROP.md 2.3).
 * malformed: the MALFORMED / REJECT split of INTEROP.md 6.5 on hand-made
 * and mutated messages.  policy: the algorithm table of INTEROP.md 6.1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "scep/extern.h"
#include "tests/unit/testutil.h"

#define CORPUS	"corpus/"

static const uint8_t	 nonce_a[SCEP_NONCE_LEN] = "0123456789abcdef";
static const uint8_t	 nonce_b[SCEP_NONCE_LEN] = "fedcba9876543210";

/* A client identity: an RSA key and its self-signed certificate. */
struct ident {
	EVP_PKEY	*key;
	X509		*cert;
};

static void
ident_new(struct ident *id)
{
	id->key = tu_rsa_key(2048);
	id->cert = tu_issue(id->key, "CN=check-msg", NULL, NULL, 7,
	    TEST_NOW, 30);
}

static void
ident_free(struct ident *id)
{
	X509_free(id->cert);
	EVP_PKEY_free(id->key);
}

/* Parse buf with the default limits and policy p (NULL: accept all). */
static int
parse(const uint8_t *buf, size_t len, const struct scep_policy *p,
    struct scep_msg **msg, struct scep_error *err)
{
	struct scep_limits	 lim;
	struct scep_policy	 all;

	scep_limits_default(&lim);
	tu_policy_all(&all);
	return scep_msg_parse(tu_ctx(), buf, len, &lim, p ? p : &all, msg,
	    err);
}

/* Expect a MALFORMED outcome with no message. */
static void
expect_malformed(const uint8_t *buf, size_t len, const char *what)
{
	struct scep_msg		*msg = (struct scep_msg *)1;
	struct scep_error	 err;

	ck_assert_msg(parse(buf, len, NULL, &msg, &err) == 0,
	    "%s: accepted", what);
	ck_assert_msg(err.outcome == SCEP_MALFORMED, "%s: outcome %s (%s)",
	    what, scep_outcome_name(err.outcome), err.reason);
	ck_assert_ptr_null(msg);
	ck_assert_ptr_nonnull(err.reason);
}

/* Expect a REJECT with failInfo fi and a message to answer. */
static void
expect_reject(const uint8_t *buf, size_t len, const struct scep_policy *p,
    enum scep_failinfo fi, const char *what)
{
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;

	ck_assert_msg(parse(buf, len, p, &msg, &err) == 0, "%s: accepted",
	    what);
	ck_assert_msg(err.outcome == SCEP_REJECT, "%s: outcome %s (%s)",
	    what, scep_outcome_name(err.outcome), err.reason);
	ck_assert_msg(err.failinfo == fi, "%s: failInfo %s (%s)", what,
	    scep_failinfo_name(err.failinfo), err.reason);
	ck_assert_ptr_nonnull(msg);
	ck_assert_uint_gt(msg->txid_len, 0);
	ck_assert_ptr_nonnull(msg->signer);
	scep_msg_free(msg);
}

/*
 * A hand-made SignedData: the attributes are given one by one (so they
 * can be duplicated, mistyped, multi-valued), over content, signed by
 * id with md.  DER into *out (free()).
 */
struct tattr {
	enum scep_oid	 o;
	int		 type;
	const void	*p;
	int		 len;
	int		 twovals;	/* add the value twice */
};

static uint8_t *
custom_build(const struct tattr *ta, size_t n, struct ident *id,
    const EVP_MD *md, const void *content, size_t clen, size_t *outlen)
{
	CMS_ContentInfo	*cms;
	CMS_SignerInfo	*si;
	X509_ATTRIBUTE	*attr;
	BIO		*bio;
	uint8_t		*der = NULL;
	int		 len;
	size_t		 i;

	(void)tu_ctx();		/* scep_init(): the OID table */
	cms = CMS_sign(NULL, NULL, NULL, NULL,
	    CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP);
	ck_assert_ptr_nonnull(cms);
	ck_assert_int_eq(CMS_set_detached(cms, 0), 1);
	si = CMS_add1_signer(cms, id->cert, id->key, md,
	    CMS_BINARY | CMS_NOSMIMECAP);
	ck_assert_ptr_nonnull(si);
	for (i = 0; i < n; i++) {
		attr = X509_ATTRIBUTE_create_by_OBJ(NULL, scep_oid(ta[i].o),
		    ta[i].type, ta[i].p, ta[i].len);
		ck_assert_ptr_nonnull(attr);
		if (ta[i].twovals)
			ck_assert_int_eq(X509_ATTRIBUTE_set1_data(attr,
			    ta[i].type, ta[i].p, ta[i].len), 1);
		ck_assert_int_eq(CMS_signed_add1_attr(si, attr), 1);
		X509_ATTRIBUTE_free(attr);
	}
	bio = BIO_new_mem_buf(clen ? content : "", (int)clen);
	ck_assert_ptr_nonnull(bio);
	ck_assert_int_eq(CMS_final(cms, bio, NULL, CMS_BINARY), 1);
	len = i2d_CMS_ContentInfo(cms, &der);
	ck_assert_int_gt(len, 0);
	*outlen = (size_t)len;
	BIO_free(bio);
	CMS_ContentInfo_free(cms);
	return der;
}

/* The attributes of a valid PKCSReq; returns how many. */
static size_t
std_attrs(struct tattr *ta)
{
	memset(ta, 0, 8 * sizeof(*ta));
	ta[0] = (struct tattr){ SCEP_OID_TXID, V_ASN1_PRINTABLESTRING,
	    "TX-1", 4, 0 };
	ta[1] = (struct tattr){ SCEP_OID_MSGTYPE, V_ASN1_PRINTABLESTRING,
	    "19", 2, 0 };
	ta[2] = (struct tattr){ SCEP_OID_SENDERNONCE, V_ASN1_OCTET_STRING,
	    nonce_a, SCEP_NONCE_LEN, 0 };
	return 3;
}

/* Build a custom message with the std attributes and one tweak. */
static uint8_t *
tweak_build(struct ident *id, size_t (*tweak)(struct tattr *, size_t),
    size_t *len)
{
	struct tattr	 ta[8];
	size_t		 n;

	n = std_attrs(ta);
	n = tweak(ta, n);
	return custom_build(ta, n, id, EVP_sha256(), "payload", 7, len);
}

/* Attributes of a CertRep request to scep_signed_build(). */
static void
certrep_attrs(struct scep_attrs *a, enum scep_status st)
{
	memset(a, 0, sizeof(*a));
	a->type = SCEP_MSG_CERTREP;
	a->txid = "TX-REP";
	a->txid_len = 6;
	a->sender_nonce = nonce_a;
	a->recipient_nonce = nonce_b;
	a->has_status = 1;
	a->status = st;
}

/*
 * Every corpus message parses with a permissive policy and gives the
 * messageType, transactionID and digest of expected.tsv; the signer
 * certificate is among the certificates and the envelope is present.
 */
START_TEST(test_corpus_parse)
{
	char			 path[512], *line, *save = NULL, *f[8];
	uint8_t			*tsv, *buf;
	size_t			 tsvlen, len, n, count = 0;
	struct scep_msg		*msg;
	struct scep_error	 err;
	enum scep_digest	 d;

	tsv = tu_read(CORPUS "expected.tsv", &tsvlen);
	for (line = strtok_r((char *)tsv, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		n = tu_tsv_split(line, f, 8);
		ck_assert_uint_eq(n, 7);
		if (strcmp(f[0], "file") == 0)
			continue;
		snprintf(path, sizeof(path), CORPUS "%s", f[0]);
		buf = tu_read(path, &len);
		msg = NULL;
		ck_assert_msg(parse(buf, len, NULL, &msg, &err) == 1,
		    "%s: %s", f[0], err.reason);
		ck_assert_int_eq(scep_msgtype_value(msg->type), atoi(f[1]));
		ck_assert_int_eq(msg->has_type, 1);
		ck_assert_str_eq(msg->txid, f[2]);
		ck_assert_uint_eq(msg->txid_len, strlen(f[2]));
		ck_assert_int_eq(scep_digest_from_name(f[3], &d), 1);
		ck_assert_int_eq(msg->digest, d);
		ck_assert_ptr_nonnull(msg->signer);
		ck_assert_int_ge(sk_X509_num(msg->certs), 1);
		ck_assert_ptr_nonnull(msg->envelope);
		ck_assert_uint_gt(msg->envelope_len, 0);
		ck_assert_uint_lt(msg->envelope_len, len);
		ck_assert_int_eq(msg->opened, 0);
		/* Captured 2026-11-23 around 18:10 UTC (README). */
		ck_assert_int_eq(msg->signed_at_set, 1);
		ck_assert_msg(msg->signed_at >= TEST_NOW - 900 &&
		    msg->signed_at <= TEST_NOW + 900, "%s: signingTime %lld",
		    f[0], (long long)msg->signed_at);
		scep_msg_free(msg);
		free(buf);
		count++;
	}
	ck_assert_uint_eq(count, 53);
	free(tsv);
}
END_TEST

/* A request built by scep_signed_build() parses back field by field. */
START_TEST(test_build_roundtrip)
{
	struct ident		 id;
	struct scep_attrs	 a;
	struct scep_buf		 out = { NULL, 0 };
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	static const uint8_t	 content[] = "\x30\x03\x02\x01\x05 not DER";
	enum scep_digest	 mds[] = { SCEP_DIGEST_SHA1, SCEP_DIGEST_SHA256,
	    SCEP_DIGEST_SHA512 };
	size_t			 i;

	ident_new(&id);
	for (i = 0; i < sizeof(mds) / sizeof(mds[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.type = SCEP_MSG_PKCSREQ;
		a.txid = "ABC+/=xyz 1";
		a.txid_len = strlen(a.txid);
		a.sender_nonce = nonce_a;
		ck_assert_int_eq(scep_signed_build(tu_ctx(), &a, id.cert,
		    id.key, mds[i], content, sizeof(content), &out), 1);
		ck_assert_int_eq(parse(out.data, out.len, NULL, &msg, &err),
		    1);
		ck_assert_int_eq(msg->type, SCEP_MSG_PKCSREQ);
		ck_assert_str_eq(msg->txid, "ABC+/=xyz 1");
		ck_assert_mem_eq(msg->sender_nonce, nonce_a, SCEP_NONCE_LEN);
		ck_assert_int_eq(msg->has_recipient_nonce, 0);
		ck_assert_int_eq(msg->has_status, 0);
		ck_assert_int_eq(msg->digest, mds[i]);
		ck_assert_uint_eq(msg->envelope_len, sizeof(content));
		ck_assert_mem_eq(msg->envelope, content, sizeof(content));
		/* Only the signer certificate is carried (INTEROP.md 6.2). */
		ck_assert_int_eq(sk_X509_num(msg->certs), 1);
		ck_assert_int_eq(X509_cmp(msg->signer, id.cert), 0);
		ck_assert_int_eq(msg->signed_at_set, 1);
		scep_msg_free(msg);
		msg = NULL;
	}
	scep_buf_free(&out);
	ident_free(&id);
}
END_TEST

/*
 * CertRep PENDING and FAILURE: the empty content is an eContent of type
 * data holding an empty OCTET STRING (certmonger needs it; INTEROP.md
 * 2.3 and 6.2), and pkiStatus, failInfo, failInfoText and
 * recipientNonce come back.  The reply also verifies the way sscep
 * checks it (d2i_PKCS7 + PKCS7_verify).
 */
START_TEST(test_build_certrep_empty)
{
	static const uint8_t	 econtent[] = {
	    0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	    0x01, 0x07, 0x01, 0xa0, 0x02, 0x04, 0x00 };
	struct ident		 id;
	struct scep_attrs	 a;
	struct scep_buf		 out = { NULL, 0 };
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	CMS_ContentInfo		*cms;
	ASN1_OCTET_STRING	**pos;
	PKCS7			*p7;
	BIO			*bout;
	const unsigned char	*p;
	int			 i;

	ident_new(&id);
	for (i = 0; i < 2; i++) {
		certrep_attrs(&a, i == 0 ? SCEP_STATUS_PENDING :
		    SCEP_STATUS_FAILURE);
		if (i == 1) {
			a.has_failinfo = 1;
			a.failinfo = SCEP_FAIL_BADCERTID;
			a.failinfo_text = "no such certificate \xc3\xa9";
		}
		ck_assert_int_eq(scep_signed_build(tu_ctx(), &a, id.cert,
		    id.key, SCEP_DIGEST_SHA256, NULL, 0, &out), 1);

		/* The encapContentInfo, byte for byte. */
		ck_assert_ptr_nonnull(memmem(out.data, out.len, econtent,
		    sizeof(econtent)));
		p = out.data;
		cms = d2i_CMS_ContentInfo(NULL, &p, (long)out.len);
		ck_assert_ptr_nonnull(cms);
		pos = CMS_get0_content(cms);
		ck_assert_ptr_nonnull(pos);
		ck_assert_ptr_nonnull(*pos);
		ck_assert_int_eq(ASN1_STRING_length(*pos), 0);
		ck_assert_int_eq(CMS_verify(cms, NULL, NULL, NULL, NULL,
		    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY), 1);
		CMS_ContentInfo_free(cms);

		/* sscep: d2i_PKCS7 and PKCS7_verify without chain check. */
		p = out.data;
		p7 = d2i_PKCS7(NULL, &p, (long)out.len);
		ck_assert_ptr_nonnull(p7);
		bout = BIO_new(BIO_s_mem());
		ck_assert_int_eq(PKCS7_verify(p7, NULL, NULL, NULL, bout,
		    PKCS7_NOVERIFY | PKCS7_BINARY), 1);
		BIO_free(bout);
		PKCS7_free(p7);

		ck_assert_int_eq(parse(out.data, out.len, NULL, &msg, &err),
		    1);
		ck_assert_int_eq(msg->type, SCEP_MSG_CERTREP);
		ck_assert_str_eq(msg->txid, "TX-REP");
		ck_assert_int_eq(msg->has_status, 1);
		ck_assert_int_eq(msg->has_recipient_nonce, 1);
		ck_assert_mem_eq(msg->recipient_nonce, nonce_b,
		    SCEP_NONCE_LEN);
		ck_assert_ptr_null(msg->envelope);
		if (i == 0) {
			ck_assert_int_eq(msg->status, SCEP_STATUS_PENDING);
			ck_assert_int_eq(msg->has_failinfo, 0);
			ck_assert_ptr_null(msg->failinfo_text);
		} else {
			ck_assert_int_eq(msg->status, SCEP_STATUS_FAILURE);
			ck_assert_int_eq(msg->has_failinfo, 1);
			ck_assert_int_eq(msg->failinfo, SCEP_FAIL_BADCERTID);
			ck_assert_str_eq(msg->failinfo_text,
			    "no such certificate \xc3\xa9");
		}
		scep_msg_free(msg);
		msg = NULL;
	}
	scep_buf_free(&out);
	ident_free(&id);
}
END_TEST

/* A CertRep SUCCESS with content keeps it as its envelope. */
START_TEST(test_build_certrep_success)
{
	struct ident		 id;
	struct scep_attrs	 a;
	struct scep_buf		 out = { NULL, 0 };
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;

	ident_new(&id);
	certrep_attrs(&a, SCEP_STATUS_SUCCESS);
	ck_assert_int_eq(scep_signed_build(tu_ctx(), &a, id.cert, id.key,
	    SCEP_DIGEST_SHA512, (const uint8_t *)"env", 3, &out), 1);
	ck_assert_int_eq(parse(out.data, out.len, NULL, &msg, &err), 1);
	ck_assert_int_eq(msg->status, SCEP_STATUS_SUCCESS);
	ck_assert_int_eq(msg->digest, SCEP_DIGEST_SHA512);
	ck_assert_uint_eq(msg->envelope_len, 3);
	ck_assert_mem_eq(msg->envelope, "env", 3);
	scep_msg_free(msg);
	scep_buf_free(&out);
	ident_free(&id);
}
END_TEST

/* Nonces are 16 random bytes, different each time. */
START_TEST(test_nonce_new)
{
	uint8_t	 a[SCEP_NONCE_LEN], b[SCEP_NONCE_LEN];

	ck_assert_int_eq(scep_nonce_new(a), 1);
	ck_assert_int_eq(scep_nonce_new(b), 1);
	ck_assert_int_ne(memcmp(a, b, SCEP_NONCE_LEN), 0);
}
END_TEST

/* Size limit, trailing byte, truncation, garbage: MALFORMED. */
START_TEST(test_outer_malformed)
{
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_msg		*msg = (struct scep_msg *)1;
	struct scep_error	 err;
	uint8_t			*buf, *big;
	size_t			 len, cut;

	buf = tu_read(CORPUS "messages/sscep-pkcsreq-aes128-sha256.der",
	    &len);

	/* One byte over the limit is refused before decoding. */
	scep_limits_default(&lim);
	tu_policy_all(&pol);
	lim.max_msg = len - 1;
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len, &lim, &pol,
	    &msg, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_MALFORMED);
	ck_assert_str_eq(err.reason, "message too large");
	ck_assert_ptr_null(msg);
	lim.max_msg = len;
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len, &lim, &pol,
	    &msg, &err), 1);
	scep_msg_free(msg);

	/* A trailing byte. */
	big = malloc(len + 1);
	ck_assert_ptr_nonnull(big);
	memcpy(big, buf, len);
	big[len] = 0;
	expect_malformed(big, len + 1, "trailing byte");
	free(big);

	/* Every truncation. */
	for (cut = 0; cut < len; cut++)
		expect_malformed(buf, cut, "truncated");
	expect_malformed((const uint8_t *)"\x30\x80\x00\x00", 4, "garbage");
	free(buf);
}
END_TEST

/* An EnvelopedData (not SignedData) at the outer layer: MALFORMED. */
START_TEST(test_not_signed)
{
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	uint8_t			*buf;
	size_t			 len;

	buf = tu_read(CORPUS "messages/sscep-pkcsreq-aes128-sha256.der",
	    &len);
	ck_assert_int_eq(parse(buf, len, NULL, &msg, &err), 1);
	expect_malformed(msg->envelope, msg->envelope_len, "enveloped");
	scep_msg_free(msg);
	free(buf);
}
END_TEST

/* transactionID / senderNonce faults: nothing to answer, MALFORMED. */
static size_t
tw_dup_txid(struct tattr *ta, size_t n)
{
	ta[n] = ta[0];
	return n + 1;
}

static size_t
tw_two_txid_values(struct tattr *ta, size_t n)
{
	ta[0].twovals = 1;
	return n;
}

static size_t
tw_txid_utf8(struct tattr *ta, size_t n)
{
	ta[0].type = V_ASN1_UTF8STRING;
	return n;
}

static size_t
tw_txid_alphabet(struct tattr *ta, size_t n)
{
	ta[0].p = "TX@1";
	return n;
}

static size_t
tw_txid_long(struct tattr *ta, size_t n)
{
	static char	 longid[SCEP_TXID_MAX + 1];

	memset(longid, 'A', sizeof(longid));
	ta[0].p = longid;
	ta[0].len = SCEP_TXID_MAX + 1;
	return n;
}

static size_t
tw_no_txid(struct tattr *ta, size_t n)
{
	ta[0] = ta[n - 1];
	return n - 1;
}

static size_t
tw_nonce15(struct tattr *ta, size_t n)
{
	ta[2].len = SCEP_NONCE_LEN - 1;
	return n;
}

static size_t
tw_nonce_printable(struct tattr *ta, size_t n)
{
	ta[2].type = V_ASN1_PRINTABLESTRING;
	return n;
}

static size_t
tw_dup_nonce(struct tattr *ta, size_t n)
{
	ta[n] = ta[2];
	ta[n].p = nonce_b;
	return n + 1;
}

static size_t
tw_no_nonce(struct tattr *ta, size_t n)
{
	(void)ta;
	return n - 1;
}

START_TEST(test_ids_malformed)
{
	static const struct {
		size_t		 (*tw)(struct tattr *, size_t);
		const char	*what;
	} t[] = {
		{ tw_dup_txid, "duplicate transactionID" },
		{ tw_two_txid_values, "two transactionID values" },
		{ tw_txid_utf8, "UTF8String transactionID" },
		{ tw_txid_alphabet, "transactionID with @" },
		{ tw_txid_long, "129-character transactionID" },
		{ tw_no_txid, "no transactionID" },
		{ tw_nonce15, "15-byte senderNonce" },
		{ tw_nonce_printable, "PrintableString senderNonce" },
		{ tw_dup_nonce, "duplicate senderNonce" },
		{ tw_no_nonce, "no senderNonce" },
	};
	struct ident	 id;
	uint8_t		*buf;
	size_t		 len, i;

	ident_new(&id);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf = tweak_build(&id, t[i].tw, &len);
		expect_malformed(buf, len, t[i].what);
		OPENSSL_free(buf);
	}
	ident_free(&id);
}
END_TEST

/* Other attribute faults, once the message can be answered: REJECT. */
static size_t
tw_dup_msgtype(struct tattr *ta, size_t n)
{
	ta[n] = ta[1];
	return n + 1;
}

static size_t
tw_msgtype_unknown(struct tattr *ta, size_t n)
{
	ta[1].p = "99";
	return n;
}

static size_t
tw_msgtype_padded(struct tattr *ta, size_t n)
{
	ta[1].p = "019";
	ta[1].len = 3;
	return n;
}

static size_t
tw_msgtype_ia5(struct tattr *ta, size_t n)
{
	ta[1].type = V_ASN1_IA5STRING;
	return n;
}

static size_t
tw_no_msgtype(struct tattr *ta, size_t n)
{
	ta[1] = ta[n - 1];
	return n - 1;
}

static size_t
tw_rnonce_short(struct tattr *ta, size_t n)
{
	ta[n] = (struct tattr){ SCEP_OID_RECIPIENTNONCE, V_ASN1_OCTET_STRING,
	    nonce_b, 8, 0 };
	return n + 1;
}

static size_t
tw_status_bad(struct tattr *ta, size_t n)
{
	ta[n] = (struct tattr){ SCEP_OID_PKISTATUS, V_ASN1_PRINTABLESTRING,
	    "1", 1, 0 };
	return n + 1;
}

static size_t
tw_failinfo_dup(struct tattr *ta, size_t n)
{
	ta[n] = (struct tattr){ SCEP_OID_FAILINFO, V_ASN1_PRINTABLESTRING,
	    "2", 1, 0 };
	ta[n + 1] = ta[n];
	return n + 2;
}

static size_t
tw_text_nul(struct tattr *ta, size_t n)
{
	ta[n] = (struct tattr){ SCEP_OID_FAILINFOTEXT, V_ASN1_UTF8STRING,
	    "a\0b", 3, 0 };
	return n + 1;
}

static size_t
tw_text_printable(struct tattr *ta, size_t n)
{
	ta[n] = (struct tattr){ SCEP_OID_FAILINFOTEXT,
	    V_ASN1_PRINTABLESTRING, "ab", 2, 0 };
	return n + 1;
}

/* A CertRep without recipientNonce. */
static size_t
tw_certrep_no_rnonce(struct tattr *ta, size_t n)
{
	ta[1].p = "3";
	ta[1].len = 1;
	ta[n] = (struct tattr){ SCEP_OID_PKISTATUS, V_ASN1_PRINTABLESTRING,
	    "3", 1, 0 };
	return n + 1;
}

/* A CertRep FAILURE without failInfo. */
static size_t
tw_certrep_no_failinfo(struct tattr *ta, size_t n)
{
	ta[1].p = "3";
	ta[1].len = 1;
	ta[n] = (struct tattr){ SCEP_OID_PKISTATUS, V_ASN1_PRINTABLESTRING,
	    "2", 1, 0 };
	ta[n + 1] = (struct tattr){ SCEP_OID_RECIPIENTNONCE,
	    V_ASN1_OCTET_STRING, nonce_b, SCEP_NONCE_LEN, 0 };
	return n + 2;
}

START_TEST(test_attrs_reject)
{
	static const struct {
		size_t		 (*tw)(struct tattr *, size_t);
		const char	*what;
	} t[] = {
		{ tw_dup_msgtype, "duplicate messageType" },
		{ tw_msgtype_unknown, "messageType 99" },
		{ tw_msgtype_padded, "messageType 019" },
		{ tw_msgtype_ia5, "IA5String messageType" },
		{ tw_no_msgtype, "no messageType" },
		{ tw_rnonce_short, "8-byte recipientNonce" },
		{ tw_status_bad, "pkiStatus 1" },
		{ tw_failinfo_dup, "duplicate failInfo" },
		{ tw_text_nul, "failInfoText with NUL" },
		{ tw_text_printable, "PrintableString failInfoText" },
		{ tw_certrep_no_rnonce, "CertRep without recipientNonce" },
		{ tw_certrep_no_failinfo, "FAILURE without failInfo" },
	};
	struct ident	 id;
	uint8_t		*buf;
	size_t		 len, i;

	ident_new(&id);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf = tweak_build(&id, t[i].tw, &len);
		expect_reject(buf, len, NULL, SCEP_FAIL_BADREQUEST,
		    t[i].what);
		OPENSSL_free(buf);
	}
	ident_free(&id);
}
END_TEST

/* After a REJECT the message holds what a FAILURE needs. */
START_TEST(test_reject_fills_ids)
{
	struct ident		 id;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	uint8_t			*buf;
	size_t			 len;

	ident_new(&id);
	buf = tweak_build(&id, tw_dup_msgtype, &len);
	ck_assert_int_eq(parse(buf, len, NULL, &msg, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_REJECT);
	ck_assert_ptr_nonnull(msg);
	ck_assert_str_eq(msg->txid, "TX-1");
	ck_assert_mem_eq(msg->sender_nonce, nonce_a, SCEP_NONCE_LEN);
	ck_assert_int_eq(X509_cmp(msg->signer, id.cert), 0);
	scep_msg_free(msg);
	OPENSSL_free(buf);
	ident_free(&id);
}
END_TEST

/* A request with an empty content: REJECT badRequest. */
START_TEST(test_request_no_content)
{
	struct ident		 id;
	struct scep_attrs	 a;
	struct scep_buf		 out = { NULL, 0 };

	ident_new(&id);
	memset(&a, 0, sizeof(a));
	a.type = SCEP_MSG_GETCRL;
	a.txid = "T";
	a.txid_len = 1;
	a.sender_nonce = nonce_a;
	ck_assert_int_eq(scep_signed_build(tu_ctx(), &a, id.cert, id.key,
	    SCEP_DIGEST_SHA256, NULL, 0, &out), 1);
	expect_reject(out.data, out.len, NULL, SCEP_FAIL_BADREQUEST,
	    "GetCRL without content");
	scep_buf_free(&out);
	ident_free(&id);
}
END_TEST

/* Too many signed attributes: MALFORMED (INTEROP.md 6.7). */
START_TEST(test_too_many_attrs)
{
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	struct ident		 id;
	uint8_t			*buf;
	size_t			 len;

	ident_new(&id);
	buf = tweak_build(&id, tw_dup_msgtype, &len);
	/* 4 SCEP attributes + contentType, signingTime, messageDigest. */
	scep_limits_default(&lim);
	tu_policy_all(&pol);
	lim.max_attrs = 6;
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len, &lim, &pol,
	    &msg, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_MALFORMED);
	ck_assert_ptr_null(msg);
	lim.max_attrs = 7;
	ck_assert_int_eq(scep_msg_parse(tu_ctx(), buf, len, &lim, &pol,
	    &msg, &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_REJECT);
	scep_msg_free(msg);
	OPENSSL_free(buf);
	ident_free(&id);
}
END_TEST

/* Signer certificate missing, two SignerInfos: MALFORMED. */
START_TEST(test_signers_malformed)
{
	struct ident		 id, other;
	CMS_ContentInfo		*cms;
	CMS_SignerInfo		*si;
	struct tattr		 ta[8];
	BIO			*bio;
	uint8_t			*der = NULL;
	size_t			 n, i;
	int			 len, round;

	ident_new(&id);
	other.key = tu_rsa_key(2048);
	other.cert = tu_issue(other.key, "CN=other", NULL, NULL, 8, TEST_NOW,
	    30);
	n = std_attrs(ta);
	(void)tu_ctx();
	for (round = 0; round < 2; round++) {
		cms = CMS_sign(NULL, NULL, NULL, NULL,
		    CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP);
		ck_assert_ptr_nonnull(cms);
		/* Round 0: signer certificate left out, another one in. */
		si = CMS_add1_signer(cms, id.cert, id.key, EVP_sha256(),
		    CMS_BINARY | CMS_NOSMIMECAP |
		    (round == 0 ? CMS_NOCERTS : 0));
		ck_assert_ptr_nonnull(si);
		for (i = 0; i < n; i++)
			ck_assert_int_eq(CMS_signed_add1_attr_by_OBJ(si,
			    scep_oid(ta[i].o), ta[i].type, ta[i].p,
			    ta[i].len), 1);
		if (round == 0)
			ck_assert_int_eq(CMS_add1_cert(cms, other.cert), 1);
		else
			ck_assert_ptr_nonnull(CMS_add1_signer(cms,
			    other.cert, other.key, EVP_sha256(),
			    CMS_BINARY | CMS_NOSMIMECAP));
		bio = BIO_new_mem_buf("x", 1);
		ck_assert_int_eq(CMS_final(cms, bio, NULL, CMS_BINARY), 1);
		len = i2d_CMS_ContentInfo(cms, &der);
		ck_assert_int_gt(len, 0);
		expect_malformed(der, (size_t)len, round == 0 ?
		    "no signer certificate" : "two SignerInfos");
		OPENSSL_free(der);
		der = NULL;
		BIO_free(bio);
		CMS_ContentInfo_free(cms);
	}
	ident_free(&other);
	ident_free(&id);
}
END_TEST

/*
 * A flipped bit in the signature or in the signed content of a corpus
 * message: REJECT badMessageCheck.
 */
START_TEST(test_tampered)
{
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	CMS_ContentInfo		*cms;
	CMS_SignerInfo		*si;
	ASN1_OCTET_STRING	*sig;
	const unsigned char	*p;
	uint8_t			*buf, *at;
	size_t			 len;

	buf = tu_read(CORPUS "messages/apple-pkcsreq-post.der", &len);
	p = buf;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(cms);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	sig = CMS_SignerInfo_get0_signature(si);
	at = memmem(buf, len, ASN1_STRING_get0_data(sig),
	    (size_t)ASN1_STRING_length(sig));
	ck_assert_ptr_nonnull(at);
	at[ASN1_STRING_length(sig) / 2] ^= 0x01;
	expect_reject(buf, len, NULL, SCEP_FAIL_BADMESSAGECHECK,
	    "tampered signature");
	at[ASN1_STRING_length(sig) / 2] ^= 0x01;
	CMS_ContentInfo_free(cms);

	/* Now a bit of the envelope: the messageDigest no longer fits. */
	ck_assert_int_eq(parse(buf, len, NULL, &msg, &err), 1);
	at = memmem(buf, len, msg->envelope, msg->envelope_len);
	ck_assert_ptr_nonnull(at);
	at[msg->envelope_len - 1] ^= 0x80;
	expect_reject(buf, len, NULL, SCEP_FAIL_BADMESSAGECHECK,
	    "tampered content");
	scep_msg_free(msg);
	free(buf);
}
END_TEST

/* The default policy refuses MD5 (badAlg) and accepts SHA-1. */
START_TEST(test_policy_md5)
{
	struct scep_policy	 def;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	uint8_t			*buf;
	size_t			 len;

	scep_policy_default(&def);
	buf = tu_read(CORPUS "messages/sscep-pkcsreq-aes128-md5.der", &len);
	expect_reject(buf, len, &def, SCEP_FAIL_BADALG, "md5 by default");
	ck_assert_int_eq(parse(buf, len, NULL, &msg, &err), 1);
	ck_assert_int_eq(msg->digest, SCEP_DIGEST_MD5);
	scep_msg_free(msg);
	msg = NULL;
	free(buf);

	buf = tu_read(CORPUS "messages/sscep-pkcsreq-aes128-sha1.der", &len);
	ck_assert_int_eq(parse(buf, len, &def, &msg, &err), 1);
	scep_msg_free(msg);
	free(buf);
}
END_TEST

/*
 * SHA-1 refused by the policy: a PKCSReq is refused, an Apple CertPoll
 * is accepted anyway (INTEROP.md 6.1).
 */
START_TEST(test_policy_certpoll_sha1)
{
	struct scep_policy	 pol;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	uint8_t			*buf;
	size_t			 len;

	pol.ciphers = 1u << SCEP_CIPHER_AES256;
	pol.digests = 1u << SCEP_DIGEST_SHA256;
	buf = tu_read(CORPUS "messages/apple-getcertinitial.der", &len);
	ck_assert_msg(parse(buf, len, &pol, &msg, &err) == 1, "%s",
	    err.reason);
	ck_assert_int_eq(msg->type, SCEP_MSG_CERTPOLL);
	ck_assert_int_eq(msg->digest, SCEP_DIGEST_SHA1);
	scep_msg_free(msg);
	free(buf);

	buf = tu_read(CORPUS "messages/scepclient-pkcsreq-ra-only.der", &len);
	expect_reject(buf, len, &pol, SCEP_FAIL_BADALG, "sha1 PKCSReq");
	free(buf);
}
END_TEST

/* A digest the policy allows but the context lacks: badAlg. */
START_TEST(test_policy_digest_unavailable)
{
	OSSL_LIB_CTX		*lc;
	struct scep_ctx		*ctx;
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	uint8_t			*buf;
	size_t			 len;

	lc = OSSL_LIB_CTX_new();
	ck_assert_ptr_nonnull(lc);
	ctx = scep_ctx_new(lc, NULL, 0);
	ck_assert_ptr_nonnull(ctx);
	/* Pretend the provider had no SHA-512 (CVE-2023-0401). */
	EVP_MD_free(ctx->md[SCEP_DIGEST_SHA512]);
	ctx->md[SCEP_DIGEST_SHA512] = NULL;
	scep_limits_default(&lim);
	tu_policy_all(&pol);
	buf = tu_read(CORPUS "messages/sscep-pkcsreq-aes128-sha512.der",
	    &len);
	ck_assert_int_eq(scep_msg_parse(ctx, buf, len, &lim, &pol, &msg,
	    &err), 0);
	ck_assert_int_eq(err.outcome, SCEP_REJECT);
	ck_assert_int_eq(err.failinfo, SCEP_FAIL_BADALG);
	scep_msg_free(msg);
	msg = NULL;
	free(buf);

	/* The same context parses a SHA-256 message in its libctx. */
	buf = tu_read(CORPUS "messages/sscep-pkcsreq-aes128-sha256.der",
	    &len);
	ck_assert_int_eq(scep_msg_parse(ctx, buf, len, &lim, &pol, &msg,
	    &err), 1);
	scep_msg_free(msg);
	free(buf);
	scep_ctx_free(ctx);
	OSSL_LIB_CTX_free(lc);
}
END_TEST

/*
 * Signature algorithms: a digest outside the table (SHA3-256), a
 * signatureAlgorithm for another digest, and an EC signer: badAlg.
 */
START_TEST(test_policy_sigalg)
{
	struct ident		 id, ec;
	struct tattr		 ta[8];
	struct scep_attrs	 a;
	struct scep_buf		 out = { NULL, 0 };
	CMS_ContentInfo		*cms;
	CMS_SignerInfo		*si;
	X509_ALGOR		*salg;
	const unsigned char	*p;
	uint8_t			*buf, *der = NULL;
	size_t			 len, n;
	int			 dlen;

	ident_new(&id);
	n = std_attrs(ta);
	buf = custom_build(ta, n, &id, EVP_sha3_256(), "x", 1, &len);
	expect_reject(buf, len, NULL, SCEP_FAIL_BADALG, "sha3-256");

	/* Re-label the signature as sha512WithRSAEncryption. */
	OPENSSL_free(buf);
	buf = custom_build(ta, n, &id, EVP_sha256(), "x", 1, &len);
	p = buf;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(cms);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &salg);
	ck_assert_int_eq(X509_ALGOR_set0(salg,
	    OBJ_nid2obj(NID_sha512WithRSAEncryption), V_ASN1_NULL, NULL), 1);
	dlen = i2d_CMS_ContentInfo(cms, &der);
	ck_assert_int_gt(dlen, 0);
	expect_reject(der, (size_t)dlen, NULL, SCEP_FAIL_BADALG,
	    "signatureAlgorithm of another digest");
	OPENSSL_free(der);
	der = NULL;
	/* The matching combined OID is fine (scepclient uses it). */
	ck_assert_int_eq(X509_ALGOR_set0(salg,
	    OBJ_nid2obj(NID_sha256WithRSAEncryption), V_ASN1_NULL, NULL), 1);
	dlen = i2d_CMS_ContentInfo(cms, &der);
	ck_assert_int_gt(dlen, 0);
	{
		struct scep_msg		*msg = NULL;
		struct scep_error	 err;

		ck_assert_msg(parse(der, (size_t)dlen, NULL, &msg, &err) == 1,
		    "%s", err.reason);
		scep_msg_free(msg);
	}
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	OPENSSL_free(buf);

	/* An EC signer. */
	ec.key = tu_ec_key();
	ec.cert = tu_issue(ec.key, "CN=ec", NULL, NULL, 9, TEST_NOW, 30);
	memset(&a, 0, sizeof(a));
	a.type = SCEP_MSG_PKCSREQ;
	a.txid = "EC";
	a.txid_len = 2;
	a.sender_nonce = nonce_a;
	ck_assert_int_eq(scep_signed_build(tu_ctx(), &a, ec.cert, ec.key,
	    SCEP_DIGEST_SHA256, (const uint8_t *)"x", 1, &out), 1);
	expect_reject(out.data, out.len, NULL, SCEP_FAIL_BADALG, "EC signer");
	scep_buf_free(&out);
	ident_free(&ec);
	ident_free(&id);
}
END_TEST

static Suite *
msg_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("msg");

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_corpus_parse);
	tcase_add_test(tc, test_build_roundtrip);
	tcase_add_test(tc, test_build_certrep_empty);
	tcase_add_test(tc, test_build_certrep_success);
	tcase_add_test(tc, test_nonce_new);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_outer_malformed);
	tcase_add_test(tc, test_not_signed);
	tcase_add_test(tc, test_ids_malformed);
	tcase_add_test(tc, test_attrs_reject);
	tcase_add_test(tc, test_reject_fills_ids);
	tcase_add_test(tc, test_request_no_content);
	tcase_add_test(tc, test_too_many_attrs);
	tcase_add_test(tc, test_signers_malformed);
	tcase_add_test(tc, test_tampered);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_policy_md5);
	tcase_add_test(tc, test_policy_certpoll_sha1);
	tcase_add_test(tc, test_policy_digest_unavailable);
	tcase_add_test(tc, test_policy_sigalg);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(msg_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
