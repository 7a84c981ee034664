/*
 * check_mutation.c: mutation tests (libscep style).
 *
 * Each test takes a valid PKCSReq and changes ONE thing, rebuilding it
 * with the library's own builders (scep_request_build(), or
 * scep_signed_build() and scep_envelope_seal() for what the request
 * builder refuses to do) or, for structural damage the library would
 * never produce, with the CMS API directly (raw_build() below).  Then it
 * asserts the exact outcome class and failInfo of INTEROP.md 6.5 and of
 * scep.h: MALFORMED when nothing usable to answer remains (no signer,
 * transactionID or senderNonce), REJECT with a failInfo otherwise.
 * Positive controls build the unchanged message the same way and check
 * that it parses and opens, so every mutation test can fail.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "scep/extern.h"
#include "tests/unit/testutil.h"

/* The keys: taken from the corpus, so no test waits for RSA keygen. */
#define KEY_CLIENT	"corpus/client-keys/sscep-post-pkcsreq.key"
#define KEY_OTHER	"corpus/client-keys/certmonger-rekey.key"
#define TXID		"MUTATION-0123456789ABCDEF"
#define CHALLENGE	"mutation-challenge"

/* What every test starts from: a client, its CSR, the RA. */
struct fx {
	EVP_PKEY	*key;		/* client key */
	X509		*signer;	/* self-signed signer certificate */
	X509_REQ	*csr;
	uint8_t		*csr_der;
	size_t		 csr_len;
	X509		*ra;
	EVP_PKEY	*ra_key;
	STACK_OF(X509)	*recips;	/* [ra], borrowed certificates */
	uint8_t		 nonce[SCEP_NONCE_LEN];
	struct scep_buf	 env;		/* CSR sealed to the RA */
};

static void
fx_init(struct fx *fx)
{
	unsigned char	*der = NULL;
	int		 len;
	size_t		 i;

	memset(fx, 0, sizeof(*fx));
	fx->key = tu_key(KEY_CLIENT);
	fx->signer = tu_issue(fx->key, "CN=mutation-client", NULL, NULL, 1,
	    TEST_NOW, 1);
	fx->csr = tu_csr(fx->key, "CN=mutation-client", CHALLENGE);
	len = i2d_X509_REQ(fx->csr, &der);
	ck_assert_int_gt(len, 0);
	fx->csr_der = der;
	fx->csr_len = (size_t)len;
	fx->ra = tu_cert("corpus/pki/ra.crt");
	fx->ra_key = tu_key("corpus/pki/ra.key");
	fx->recips = sk_X509_new_null();
	ck_assert_ptr_nonnull(fx->recips);
	ck_assert_int_gt(sk_X509_push(fx->recips, fx->ra), 0);
	for (i = 0; i < SCEP_NONCE_LEN; i++)
		fx->nonce[i] = (uint8_t)(0xa0 + i);
	ck_assert_int_eq(scep_envelope_seal(tu_ctx(), fx->csr_der,
	    fx->csr_len, fx->recips, SCEP_CIPHER_AES128, &fx->env), 1);
}

static void
fx_free(struct fx *fx)
{
	scep_buf_free(&fx->env);
	sk_X509_free(fx->recips);
	EVP_PKEY_free(fx->ra_key);
	X509_free(fx->ra);
	OPENSSL_free(fx->csr_der);
	X509_REQ_free(fx->csr);
	X509_free(fx->signer);
	EVP_PKEY_free(fx->key);
}

/* A request built by scep_request_build() with digest d, cipher c. */
static void
req_build(const struct fx *fx, enum scep_digest d, enum scep_cipher c,
    struct scep_buf *out)
{
	struct scep_request	 r;
	struct scep_error	 err;

	memset(&r, 0, sizeof(r));
	r.type = SCEP_MSG_PKCSREQ;
	r.txid = TXID;
	r.nonce = fx->nonce;
	r.signer = fx->signer;
	r.signer_key = fx->key;
	r.digest = d;
	r.cipher = c;
	r.recipients = fx->recips;
	r.csr = fx->csr;
	memset(&err, 0, sizeof(err));
	ck_assert_msg(scep_request_build(tu_ctx(), &r, NULL, out, &err) == 1,
	    "scep_request_build: %s", err.reason != NULL ? err.reason : "");
}

/* content signed by scep_signed_build() with the usual attributes. */
static void
signed_build(const struct fx *fx, const uint8_t *content, size_t len,
    struct scep_buf *out)
{
	struct scep_attrs	 a;

	memset(&a, 0, sizeof(a));
	a.type = SCEP_MSG_PKCSREQ;
	a.txid = TXID;
	a.txid_len = strlen(TXID);
	a.sender_nonce = fx->nonce;
	ck_assert_int_eq(scep_signed_build(tu_ctx(), &a, fx->signer, fx->key,
	    SCEP_DIGEST_SHA256, content, len, out), 1);
}

/* content sealed to recips with AES-128, then signed. */
static void
sealed_build(const struct fx *fx, const uint8_t *content, size_t len,
    STACK_OF(X509) *recips, struct scep_buf *out)
{
	struct scep_buf	 env = { NULL, 0 };

	ck_assert_int_eq(scep_envelope_seal(tu_ctx(), content, len, recips,
	    SCEP_CIPHER_AES128, &env), 1);
	signed_build(fx, env.data, env.len, out);
	scep_buf_free(&env);
}

/*
 * A SignedData made with the CMS API directly, for the damage no
 * library builder produces: any set of signed attributes (duplicates,
 * wrong types, wrong sizes, missing ones), extra certificates, no
 * certificates, a second SignerInfo, another eContentType.
 */
struct rawattr {
	enum scep_oid	 oid;
	int		 type;		/* V_ASN1_PRINTABLESTRING... */
	const void	*data;
	int		 len;
	const void	*data2;		/* a second value, or NULL */
	int		 len2;
};

struct raw {
	struct rawattr	 attrs[12];
	size_t		 nattrs;
	int		 nocerts;	/* CMS_NOCERTS for the signer */
	size_t		 extra_certs;	/* more certificates */
	int		 second_signer;	/* a second SignerInfo */
	size_t		 extra_attrs;	/* unknown attributes */
	int		 econtent_nid;	/* NID_undef: id-data */
};

/* The valid attribute set: transactionID, messageType, senderNonce. */
static void
raw_default(struct raw *r, const struct fx *fx)
{
	memset(r, 0, sizeof(*r));
	r->econtent_nid = NID_undef;
	r->attrs[0] = (struct rawattr){ SCEP_OID_TXID,
	    V_ASN1_PRINTABLESTRING, TXID, (int)strlen(TXID), NULL, 0 };
	r->attrs[1] = (struct rawattr){ SCEP_OID_MSGTYPE,
	    V_ASN1_PRINTABLESTRING, "19", 2, NULL, 0 };
	r->attrs[2] = (struct rawattr){ SCEP_OID_SENDERNONCE,
	    V_ASN1_OCTET_STRING, fx->nonce, SCEP_NONCE_LEN, NULL, 0 };
	r->nattrs = 3;
}

/* Index of the attribute with oid in r, which must be there. */
static struct rawattr *
raw_attr(struct raw *r, enum scep_oid oid)
{
	size_t	 i;

	for (i = 0; i < r->nattrs; i++)
		if (r->attrs[i].oid == oid)
			return &r->attrs[i];
	ck_abort_msg("no attribute %d", (int)oid);
	return NULL;
}

/* Remove the attribute with oid from r. */
static void
raw_drop(struct raw *r, enum scep_oid oid)
{
	struct rawattr	*a;

	a = raw_attr(r, oid);
	memmove(a, a + 1, (size_t)((r->attrs + r->nattrs) - (a + 1)) *
	    sizeof(*a));
	r->nattrs--;
}

/* Append an attribute to r. */
static void
raw_add(struct raw *r, enum scep_oid oid, int type, const void *data,
    int len)
{
	ck_assert_uint_lt(r->nattrs, sizeof(r->attrs) / sizeof(r->attrs[0]));
	r->attrs[r->nattrs++] = (struct rawattr){ oid, type, data, len,
	    NULL, 0 };
}

/* One signed attribute, with one or two values. */
static void
raw_put_attr(CMS_SignerInfo *si, const struct rawattr *a)
{
	X509_ATTRIBUTE	*xa;

	if (a->data2 == NULL) {
		ck_assert_int_eq(CMS_signed_add1_attr_by_OBJ(si,
		    scep_oid(a->oid), a->type, a->data, a->len), 1);
		return;
	}
	xa = X509_ATTRIBUTE_create_by_OBJ(NULL, scep_oid(a->oid), a->type,
	    a->data, a->len);
	ck_assert_ptr_nonnull(xa);
	ck_assert_int_eq(X509_ATTRIBUTE_set1_data(xa, a->type, a->data2,
	    a->len2), 1);
	ck_assert_int_eq(CMS_signed_add1_attr(si, xa), 1);
	X509_ATTRIBUTE_free(xa);
}

static void
raw_build(const struct fx *fx, const struct raw *r, struct scep_buf *out)
{
	CMS_ContentInfo	*cms;
	CMS_SignerInfo	*si;
	BIO		*data;
	X509		*x, *signer2 = NULL;
	EVP_PKEY	*key2 = NULL;
	unsigned char	*der = NULL;
	unsigned int	 flags = CMS_BINARY | CMS_NOSMIMECAP;
	size_t		 i;
	int		 len;

	cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_BINARY | CMS_PARTIAL);
	ck_assert_ptr_nonnull(cms);
	if (r->econtent_nid != NID_undef)
		ck_assert_int_eq(CMS_set1_eContentType(cms,
		    OBJ_nid2obj(r->econtent_nid)), 1);
	si = CMS_add1_signer(cms, fx->signer, fx->key, EVP_sha256(),
	    flags | (r->nocerts ? CMS_NOCERTS : 0));
	ck_assert_ptr_nonnull(si);
	for (i = 0; i < r->nattrs; i++)
		raw_put_attr(si, &r->attrs[i]);
	/* Attributes nobody knows, under a private arc. */
	for (i = 0; i < r->extra_attrs; i++) {
		ASN1_OBJECT	*o;
		char		 oid[64];

		snprintf(oid, sizeof(oid), "1.3.6.1.4.1.32473.%zu", i + 1);
		o = OBJ_txt2obj(oid, 1);
		ck_assert_ptr_nonnull(o);
		ck_assert_int_eq(CMS_signed_add1_attr_by_OBJ(si, o,
		    V_ASN1_PRINTABLESTRING, "x", 1), 1);
		ASN1_OBJECT_free(o);
	}

	if (r->second_signer) {
		key2 = tu_key(KEY_OTHER);
		signer2 = tu_issue(key2, "CN=second signer", NULL, NULL, 2,
		    TEST_NOW, 1);
		si = CMS_add1_signer(cms, signer2, key2, EVP_sha256(), flags);
		ck_assert_ptr_nonnull(si);
		for (i = 0; i < r->nattrs; i++)
			raw_put_attr(si, &r->attrs[i]);
	}
	/* Distinct certificates (CMS refuses to add one twice). */
	for (i = 0; i < r->extra_certs; i++) {
		x = tu_issue(fx->key, "CN=extra certificate", NULL, NULL,
		    (long)(1000 + i), TEST_NOW, 1);
		ck_assert_int_eq(CMS_add1_cert(cms, x), 1);
		X509_free(x);
	}

	data = BIO_new_mem_buf(fx->env.data, (int)fx->env.len);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(CMS_final(cms, data, NULL, CMS_BINARY), 1);
	len = i2d_CMS_ContentInfo(cms, &der);
	ck_assert_int_gt(len, 0);
	out->data = der;
	out->len = (size_t)len;

	BIO_free(data);
	X509_free(signer2);
	EVP_PKEY_free(key2);
	CMS_ContentInfo_free(cms);
}

/*
 * Outcome checks.  expect_parse() parses buf with lim (NULL: defaults)
 * and pol (NULL: everything allowed) and asserts the outcome; for
 * SCEP_OK it returns the message (caller frees), else NULL.
 */
static struct scep_msg *
expect_parse(const uint8_t *buf, size_t len, const struct scep_limits *limp,
    const struct scep_policy *polp, enum scep_outcome want,
    enum scep_failinfo fi, const char *what)
{
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	int			 rc;

	if (limp == NULL)
		scep_limits_default(&lim);
	else
		lim = *limp;
	if (polp == NULL)
		tu_policy_all(&pol);
	else
		pol = *polp;
	memset(&err, 0, sizeof(err));
	err.outcome = SCEP_OUTCOME__MAX;
	rc = scep_msg_parse(tu_ctx(), buf, len, &lim, &pol, &msg, &err);
	if (want == SCEP_OK) {
		ck_assert_msg(rc == 1, "%s: %s (%s)", what,
		    scep_outcome_name(err.outcome),
		    err.reason != NULL ? err.reason : "no reason");
		ck_assert_ptr_nonnull(msg);
		return msg;
	}
	ck_assert_msg(rc == 0, "%s: accepted", what);
	ck_assert_msg(err.outcome == want, "%s: %s, want %s (%s)", what,
	    scep_outcome_name(err.outcome), scep_outcome_name(want),
	    err.reason != NULL ? err.reason : "no reason");
	ck_assert_msg(err.reason != NULL && *err.reason != '\0',
	    "%s: no reason", what);
	if (want == SCEP_REJECT) {
		ck_assert_msg(err.failinfo == fi, "%s: %s, want %s (%s)",
		    what, scep_failinfo_name(err.failinfo),
		    scep_failinfo_name(fi), err.reason);
		/* scep.h: a REJECT can be answered. */
		ck_assert_ptr_nonnull(msg);
		ck_assert_uint_gt(msg->txid_len, 0);
		ck_assert_ptr_nonnull(msg->signer);
	} else
		ck_assert_msg(msg == NULL, "%s: message kept on %s", what,
		    scep_outcome_name(want));
	scep_msg_free(msg);
	return NULL;
}

/*
 * Open msg as the RA with pol (NULL: everything allowed); for a REJECT
 * return the reason, for SCEP_OK NULL.
 */
static const char *
expect_open(const struct fx *fx, struct scep_msg *msg,
    const struct scep_policy *polp, enum scep_outcome want,
    enum scep_failinfo fi, const char *what)
{
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	int			 rc;

	scep_limits_default(&lim);
	if (polp == NULL)
		tu_policy_all(&pol);
	else
		pol = *polp;
	memset(&err, 0, sizeof(err));
	err.outcome = SCEP_OUTCOME__MAX;
	rc = scep_msg_open(tu_ctx(), msg, fx->ra, fx->ra_key, &lim, &pol,
	    &err);
	if (want == SCEP_OK) {
		ck_assert_msg(rc == 1, "%s: open: %s (%s)", what,
		    scep_outcome_name(err.outcome),
		    err.reason != NULL ? err.reason : "no reason");
		ck_assert_int_eq(msg->opened, 1);
		return NULL;
	}
	ck_assert_msg(rc == 0, "%s: opened", what);
	ck_assert_msg(err.outcome == want && err.failinfo == fi,
	    "%s: %s %s, want %s %s (%s)", what,
	    scep_outcome_name(err.outcome), scep_failinfo_name(err.failinfo),
	    scep_outcome_name(want), scep_failinfo_name(fi),
	    err.reason != NULL ? err.reason : "no reason");
	ck_assert_ptr_nonnull(err.reason);
	/* Nothing of a refused content is exposed. */
	ck_assert_int_eq(msg->opened, 0);
	ck_assert_ptr_null(msg->csr);
	ck_assert_int_eq(msg->has_challenge, 0);
	return err.reason;
}

/* Parse and open a valid message; check what the fixture put in. */
static void
expect_valid(const struct fx *fx, const struct scep_buf *b,
    const char *what)
{
	struct scep_msg	*msg;

	msg = expect_parse(b->data, b->len, NULL, NULL, SCEP_OK, 0, what);
	ck_assert_int_eq(msg->type, SCEP_MSG_PKCSREQ);
	ck_assert_uint_eq(msg->txid_len, strlen(TXID));
	ck_assert_str_eq(msg->txid, TXID);
	ck_assert_mem_eq(msg->sender_nonce, fx->nonce, SCEP_NONCE_LEN);
	ck_assert_int_eq(X509_cmp(msg->signer, fx->signer), 0);
	(void)expect_open(fx, msg, NULL, SCEP_OK, 0, what);
	ck_assert_ptr_nonnull(msg->csr);
	ck_assert_int_eq(msg->has_challenge, 1);
	ck_assert_uint_eq(msg->challenge_len, strlen(CHALLENGE));
	ck_assert_mem_eq(msg->challenge, CHALLENGE, strlen(CHALLENGE));
	scep_msg_free(msg);
}

/* The position of needle in hay, which must be there exactly once. */
static size_t
find_once(const uint8_t *hay, size_t hlen, const uint8_t *needle,
    size_t nlen)
{
	size_t	 i, pos = SIZE_MAX, n = 0;

	for (i = 0; nlen > 0 && i + nlen <= hlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0) {
			pos = i;
			n++;
		}
	ck_assert_msg(n == 1, "found %zu times", n);
	return pos;
}

/* Copy b with one more byte appended. */
static uint8_t *
dup_extra(const struct scep_buf *b, size_t extra, uint8_t fill)
{
	uint8_t	*p;

	p = malloc(b->len + extra);
	ck_assert_ptr_nonnull(p);
	memcpy(p, b->data, b->len);
	memset(p + b->len, fill, extra);
	return p;
}

/*
 * The controls: the unchanged message from each builder parses and
 * opens, so the mutations below fail for the one change they make.
 */
START_TEST(test_control_request_build)
{
	struct fx	 fx;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	req_build(&fx, SCEP_DIGEST_SHA256, SCEP_CIPHER_AES128, &b);
	expect_valid(&fx, &b, "scep_request_build");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

START_TEST(test_control_signed_build)
{
	struct fx	 fx;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	sealed_build(&fx, fx.csr_der, fx.csr_len, fx.recips, &b);
	expect_valid(&fx, &b, "scep_signed_build");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

START_TEST(test_control_raw)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	raw_build(&fx, &r, &b);
	expect_valid(&fx, &b, "raw CMS");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* Limits at their bounds are still accepted. */
START_TEST(test_control_bounds)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };
	struct scep_msg	*msg;
	char		 txid[SCEP_TXID_MAX + 1];

	fx_init(&fx);

	/* 8 certificates (max_certs) in all. */
	raw_default(&r, &fx);
	r.extra_certs = 7;
	raw_build(&fx, &r, &b);
	expect_valid(&fx, &b, "8 certificates");
	scep_buf_free(&b);

	/* A transactionID of exactly 128 characters. */
	memset(txid, 'A', SCEP_TXID_MAX);
	txid[SCEP_TXID_MAX] = '\0';
	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_TXID)->data = txid;
	raw_attr(&r, SCEP_OID_TXID)->len = SCEP_TXID_MAX;
	raw_build(&fx, &r, &b);
	msg = expect_parse(b.data, b.len, NULL, NULL, SCEP_OK, 0,
	    "128-char transactionID");
	ck_assert_uint_eq(msg->txid_len, SCEP_TXID_MAX);
	ck_assert_str_eq(msg->txid, txid);
	scep_msg_free(msg);
	scep_buf_free(&b);

	/* Exactly max_msg bytes. */
	{
		struct scep_limits	 lim;

		req_build(&fx, SCEP_DIGEST_SHA256, SCEP_CIPHER_AES128, &b);
		scep_limits_default(&lim);
		lim.max_msg = b.len;
		msg = expect_parse(b.data, b.len, &lim, NULL, SCEP_OK, 0,
		    "len == max_msg");
		scep_msg_free(msg);
		scep_buf_free(&b);
	}
	fx_free(&fx);
}
END_TEST

/*
 * malformed: what leaves nothing to answer to (HTTP 400, no CertRep).
 */

START_TEST(test_dup_txid)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	raw_add(&r, SCEP_OID_TXID, V_ASN1_PRINTABLESTRING, TXID,
	    (int)strlen(TXID));
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "duplicate transactionID");
	scep_buf_free(&b);

	/* A different second one is no better. */
	raw_default(&r, &fx);
	raw_add(&r, SCEP_OID_TXID, V_ASN1_PRINTABLESTRING, "OTHER", 5);
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "second transactionID");
	scep_buf_free(&b);

	/* One attribute with two values. */
	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_TXID)->data2 = "OTHER";
	raw_attr(&r, SCEP_OID_TXID)->len2 = 5;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "transactionID with two values");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

START_TEST(test_dup_nonce)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	raw_add(&r, SCEP_OID_SENDERNONCE, V_ASN1_OCTET_STRING, fx.nonce,
	    SCEP_NONCE_LEN);
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "duplicate senderNonce");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* RFC 8894 section 3.2.1.5: nonces are exactly 16 bytes. */
START_TEST(test_nonce_size)
{
	static const int	 sizes[] = { 0, 1, 15, 17, 32 };
	struct fx		 fx;
	struct raw		 r;
	struct scep_buf		 b = { NULL, 0 };
	uint8_t			 big[32];
	char			 what[64];
	size_t			 i;

	fx_init(&fx);
	memset(big, 0x5a, sizeof(big));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		raw_default(&r, &fx);
		raw_attr(&r, SCEP_OID_SENDERNONCE)->data = big;
		raw_attr(&r, SCEP_OID_SENDERNONCE)->len = sizes[i];
		raw_build(&fx, &r, &b);
		snprintf(what, sizeof(what), "%d-byte senderNonce", sizes[i]);
		expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
		    what);
		scep_buf_free(&b);
	}
	fx_free(&fx);
}
END_TEST

/* The senderNonce is an OCTET STRING, nothing else. */
START_TEST(test_nonce_type)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_SENDERNONCE)->type = V_ASN1_PRINTABLESTRING;
	raw_attr(&r, SCEP_OID_SENDERNONCE)->data = "ABCDEFGHIJKLMNOP";
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "senderNonce as PrintableString");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

START_TEST(test_trailing_byte)
{
	struct fx	 fx;
	struct scep_buf	 b = { NULL, 0 };
	uint8_t		*p;

	fx_init(&fx);
	req_build(&fx, SCEP_DIGEST_SHA256, SCEP_CIPHER_AES128, &b);
	p = dup_extra(&b, 1, 0x00);
	expect_parse(p, b.len + 1, NULL, NULL, SCEP_MALFORMED, 0,
	    "trailing 0x00");
	free(p);
	p = dup_extra(&b, 2, 0x00);
	expect_parse(p, b.len + 2, NULL, NULL, SCEP_MALFORMED, 0,
	    "trailing 00 00 (end-of-contents)");
	free(p);
	p = dup_extra(&b, 1, 0x30);
	expect_parse(p, b.len + 1, NULL, NULL, SCEP_MALFORMED, 0,
	    "trailing 0x30");
	free(p);
	/* Two messages back to back. */
	p = malloc(2 * b.len);
	ck_assert_ptr_nonnull(p);
	memcpy(p, b.data, b.len);
	memcpy(p + b.len, b.data, b.len);
	expect_parse(p, 2 * b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "two messages");
	free(p);
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

START_TEST(test_truncated)
{
	struct fx	 fx;
	struct scep_buf	 b = { NULL, 0 };
	size_t		 cuts[6], i;
	char		 what[64];

	fx_init(&fx);
	req_build(&fx, SCEP_DIGEST_SHA256, SCEP_CIPHER_AES128, &b);
	cuts[0] = b.len - 1;
	cuts[1] = b.len - 200;
	cuts[2] = b.len / 2;
	cuts[3] = 20;
	cuts[4] = 1;
	cuts[5] = 0;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		snprintf(what, sizeof(what), "truncated to %zu of %zu",
		    cuts[i], b.len);
		expect_parse(b.data, cuts[i], NULL, NULL, SCEP_MALFORMED, 0,
		    what);
	}
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* All SCEP attributes are PrintableString (INTEROP.md 2.5 row 9). */
START_TEST(test_txid_utf8)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_TXID)->type = V_ASN1_UTF8STRING;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "transactionID as UTF8String");
	scep_buf_free(&b);

	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_TXID)->type = V_ASN1_IA5STRING;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "transactionID as IA5String");
	scep_buf_free(&b);

	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_TXID)->type = V_ASN1_OCTET_STRING;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "transactionID as OCTET STRING");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* INTEROP.md 6.7: at most 128 PrintableString characters, at least 1. */
START_TEST(test_txid_size)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };
	char		 txid[SCEP_TXID_MAX + 2];

	fx_init(&fx);
	memset(txid, 'A', sizeof(txid));
	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_TXID)->data = txid;
	raw_attr(&r, SCEP_OID_TXID)->len = SCEP_TXID_MAX + 1;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "129-char transactionID");
	scep_buf_free(&b);

	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_TXID)->len = 0;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "empty transactionID");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* Characters outside the PrintableString alphabet, NUL among them. */
START_TEST(test_txid_charset)
{
	static const char *const bad[] = {
		"ABC*DEF", "ABC\001DEF", "ABC\nDEF", "ABC_DEF", "ABC\xc3\xa9",
	};
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };
	char		 what[64];
	size_t		 i;

	fx_init(&fx);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_default(&r, &fx);
		raw_attr(&r, SCEP_OID_TXID)->data = bad[i];
		raw_attr(&r, SCEP_OID_TXID)->len = (int)strlen(bad[i]);
		raw_build(&fx, &r, &b);
		snprintf(what, sizeof(what), "transactionID bad char %zu", i);
		expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
		    what);
		scep_buf_free(&b);
	}
	/* An embedded NUL. */
	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_TXID)->data = "ABC\0DEF";
	raw_attr(&r, SCEP_OID_TXID)->len = 7;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "transactionID with NUL");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

START_TEST(test_missing_txid_nonce)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	raw_drop(&r, SCEP_OID_SENDERNONCE);
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "no senderNonce");
	scep_buf_free(&b);

	raw_default(&r, &fx);
	raw_drop(&r, SCEP_OID_TXID);
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "no transactionID");
	scep_buf_free(&b);

	/* No signed attributes of SCEP at all. */
	raw_default(&r, &fx);
	r.nattrs = 0;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "no SCEP attributes");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* scep.h: exactly one SignerInfo, checked before the attributes. */
START_TEST(test_second_signer)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	r.second_signer = 1;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "second SignerInfo");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* scep.h: the signer certificate must be in certificates. */
START_TEST(test_no_signer_cert)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	r.nocerts = 1;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "no certificates");
	scep_buf_free(&b);

	/* Certificates there, but not the signer's. */
	raw_default(&r, &fx);
	r.nocerts = 1;
	r.extra_certs = 2;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "signer certificate missing");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* INTEROP.md 6.7: at most 8 certificates. */
START_TEST(test_too_many_certs)
{
	struct fx		 fx;
	struct raw		 r;
	struct scep_buf		 b = { NULL, 0 };
	struct scep_limits	 lim;
	struct scep_msg		*msg;

	fx_init(&fx);
	raw_default(&r, &fx);
	r.extra_certs = 8;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "9 certificates");
	/* The limit is the caller's: the same message within a wider one. */
	scep_limits_default(&lim);
	lim.max_certs = 9;
	msg = expect_parse(b.data, b.len, &lim, NULL, SCEP_OK, 0,
	    "9 certificates, max_certs 9");
	scep_msg_free(msg);
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/*
 * INTEROP.md 6.7: at most 16 signed attributes, the standard ones
 * (contentType, signingTime, messageDigest) and the 3 of SCEP included;
 * unknown ones are ignored within the cap.
 */
START_TEST(test_too_many_attrs)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	r.extra_attrs = 10;
	raw_build(&fx, &r, &b);
	expect_valid(&fx, &b, "16 signed attributes");
	scep_buf_free(&b);

	raw_default(&r, &fx);
	r.extra_attrs = 11;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "17 signed attributes");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* scep.h: the size is checked first. */
START_TEST(test_oversize)
{
	struct fx		 fx;
	struct scep_buf		 b = { NULL, 0 };
	struct scep_limits	 lim;
	struct scep_msg		*msg;
	uint8_t			*junk, *p;
	size_t			 n = 12000;

	fx_init(&fx);
	/* A valid message over 8 KiB: a big sealed content. */
	junk = malloc(n);
	ck_assert_ptr_nonnull(junk);
	memset(junk, 0x41, n);
	sealed_build(&fx, junk, n, fx.recips, &b);
	free(junk);
	ck_assert_uint_gt(b.len, SCEP_MSG_MIN);
	msg = expect_parse(b.data, b.len, NULL, NULL, SCEP_OK, 0,
	    "12 KB message, default limits");
	scep_msg_free(msg);
	scep_limits_default(&lim);
	lim.max_msg = SCEP_MSG_MIN;
	expect_parse(b.data, b.len, &lim, NULL, SCEP_MALFORMED, 0,
	    "12 KB message, max_msg 8 KiB");
	lim.max_msg = b.len - 1;
	expect_parse(b.data, b.len, &lim, NULL, SCEP_MALFORMED, 0,
	    "len == max_msg + 1");
	scep_buf_free(&b);

	/* A default-size limit and a body one byte over it. */
	req_build(&fx, SCEP_DIGEST_SHA256, SCEP_CIPHER_AES128, &b);
	scep_limits_default(&lim);
	p = dup_extra(&b, lim.max_msg + 1 - b.len, 0x00);
	expect_parse(p, lim.max_msg + 1, NULL, NULL, SCEP_MALFORMED, 0,
	    "64 KiB + 1");
	free(p);
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* scep.h: SignedData with eContentType id-data only. */
START_TEST(test_econtent_type)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	r.econtent_nid = NID_pkcs7_enveloped;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "eContentType envelopedData");
	scep_buf_free(&b);

	/* Not a SignedData at all: the bare EnvelopedData. */
	expect_parse(fx.env.data, fx.env.len, NULL, NULL, SCEP_MALFORMED, 0,
	    "EnvelopedData ContentInfo");
	/* Not even a ContentInfo: the CSR. */
	expect_parse(fx.csr_der, fx.csr_len, NULL, NULL, SCEP_MALFORMED, 0,
	    "a PKCS#10 CSR");
	fx_free(&fx);
}
END_TEST

/*
 * reject: the message can be answered (transactionID, senderNonce and
 * signer are there), with a FAILURE and the failInfo of INTEROP.md 6.5.
 */

START_TEST(test_dup_msgtype)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	raw_add(&r, SCEP_OID_MSGTYPE, V_ASN1_PRINTABLESTRING, "19", 2);
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADREQUEST, "duplicate messageType");
	scep_buf_free(&b);

	raw_default(&r, &fx);
	raw_add(&r, SCEP_OID_MSGTYPE, V_ASN1_PRINTABLESTRING, "20", 2);
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADREQUEST, "messageType 19 and 20");
	scep_buf_free(&b);

	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_MSGTYPE)->data2 = "19";
	raw_attr(&r, SCEP_OID_MSGTYPE)->len2 = 2;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADREQUEST, "messageType with two values");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

START_TEST(test_msgtype_utf8)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_MSGTYPE)->type = V_ASN1_UTF8STRING;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADREQUEST, "messageType as UTF8String");
	scep_buf_free(&b);

	raw_default(&r, &fx);
	raw_attr(&r, SCEP_OID_MSGTYPE)->type = V_ASN1_OCTET_STRING;
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADREQUEST, "messageType as OCTET STRING");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* RFC 8894 section 3.2.1.2: a closed table; 18 and 99 are not in it. */
START_TEST(test_msgtype_unknown)
{
	static const char *const bad[] = {
		"18", "99", "0", "019", " 19", "19 ", "", "PKCSReq",
	};
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };
	char		 what[64];
	size_t		 i;

	fx_init(&fx);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_default(&r, &fx);
		raw_attr(&r, SCEP_OID_MSGTYPE)->data = bad[i];
		raw_attr(&r, SCEP_OID_MSGTYPE)->len = (int)strlen(bad[i]);
		raw_build(&fx, &r, &b);
		snprintf(what, sizeof(what), "messageType \"%s\"", bad[i]);
		expect_parse(b.data, b.len, NULL, NULL, SCEP_REJECT,
		    SCEP_FAIL_BADREQUEST, what);
		scep_buf_free(&b);
	}
	fx_free(&fx);
}
END_TEST

START_TEST(test_missing_msgtype)
{
	struct fx	 fx;
	struct raw	 r;
	struct scep_buf	 b = { NULL, 0 };

	fx_init(&fx);
	raw_default(&r, &fx);
	raw_drop(&r, SCEP_OID_MSGTYPE);
	raw_build(&fx, &r, &b);
	expect_parse(b.data, b.len, NULL, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADREQUEST, "no messageType");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* Flip one bit of the RSA signature value: badMessageCheck. */
START_TEST(test_bad_signature)
{
	struct fx			 fx;
	struct scep_buf			 b = { NULL, 0 };
	CMS_ContentInfo			*cms;
	CMS_SignerInfo			*si;
	const ASN1_OCTET_STRING		*sig;
	const unsigned char		*p;
	size_t				 pos;

	fx_init(&fx);
	req_build(&fx, SCEP_DIGEST_SHA256, SCEP_CIPHER_AES128, &b);
	p = b.data;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)b.len);
	ck_assert_ptr_nonnull(cms);
	si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	ck_assert_ptr_nonnull(si);
	sig = CMS_SignerInfo_get0_signature(si);
	ck_assert_int_eq(ASN1_STRING_length(sig), 256);
	pos = find_once(b.data, b.len, ASN1_STRING_get0_data(sig),
	    (size_t)ASN1_STRING_length(sig));
	CMS_ContentInfo_free(cms);

	b.data[pos + 100] ^= 0x01;
	expect_parse(b.data, b.len, NULL, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADMESSAGECHECK, "signature bit flipped");
	b.data[pos + 100] ^= 0x01;
	b.data[pos + 255] ^= 0x80;
	expect_parse(b.data, b.len, NULL, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADMESSAGECHECK, "last signature byte flipped");
	b.data[pos + 255] ^= 0x80;
	/* Undone, it verifies again: the flip was the only change. */
	expect_valid(&fx, &b, "signature restored");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* The signed content changed after signing: the digest differs. */
START_TEST(test_bad_content_digest)
{
	struct fx	 fx;
	struct scep_buf	 b = { NULL, 0 };
	size_t		 pos;

	fx_init(&fx);
	req_build(&fx, SCEP_DIGEST_SHA256, SCEP_CIPHER_AES128, &b);
	/* The envelope's last byte lies inside the signed eContent. */
	{
		struct scep_msg	*msg;

		msg = expect_parse(b.data, b.len, NULL, NULL, SCEP_OK, 0,
		    "control");
		pos = find_once(b.data, b.len, msg->envelope +
		    msg->envelope_len - 64, 64);
		scep_msg_free(msg);
	}
	b.data[pos + 10] ^= 0x01;
	expect_parse(b.data, b.len, NULL, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADMESSAGECHECK, "signed content changed");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/*
 * INTEROP.md 6.5: every failure to open the envelope or to parse what
 * it holds is one REJECT badMessageCheck with one reason, whatever the
 * cause: no RecipientInfo for us, a damaged ciphertext (bad padding or
 * garbage plaintext), content that is not what the type says, a CSR
 * whose own signature does not verify.  The reasons are the same
 * pointer (one path), the text SCEP_REASON_BADENVELOPE.
 */

/* Open b as the RA; return the reason of the badMessageCheck. */
static const char *
open_fails(const struct fx *fx, const struct scep_buf *b, const char *what)
{
	struct scep_msg	*msg;
	const char	*reason;

	msg = expect_parse(b->data, b->len, NULL, NULL, SCEP_OK, 0, what);
	reason = expect_open(fx, msg, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADMESSAGECHECK, what);
	ck_assert_msg(strcmp(reason, SCEP_REASON_BADENVELOPE) == 0,
	    "%s: reason \"%s\"", what, reason);
	scep_msg_free(msg);
	return reason;
}

START_TEST(test_one_envelope_failure)
{
	static const char		 notcsr[] = "not a PKCS#10 request";
	struct fx			 fx;
	struct scep_buf			 b = { NULL, 0 };
	struct scep_buf			 env = { NULL, 0 };
	STACK_OF(X509)			*other;
	X509				*ocert;
	EVP_PKEY			*okey;
	CMS_ContentInfo			*cms;
	ASN1_OCTET_STRING		**ec;
	const unsigned char		*p;
	const char			*r_wrong, *r_pad, *r_garbled;
	const char			*r_junk, *r_trail, *r_csr;
	uint8_t				*junk;
	size_t				 pos, eclen;
	X509_NAME			*name;

	fx_init(&fx);

	/* 1. Sealed to another certificate only. */
	okey = tu_key(KEY_OTHER);
	ocert = tu_issue(okey, "CN=another recipient", NULL, NULL, 7,
	    TEST_NOW, 1);
	other = sk_X509_new_null();
	ck_assert_ptr_nonnull(other);
	ck_assert_int_gt(sk_X509_push(other, ocert), 0);
	sealed_build(&fx, fx.csr_der, fx.csr_len, other, &b);
	r_wrong = open_fails(&fx, &b, "wrong recipient");
	scep_buf_free(&b);

	/* 2 and 3. The ciphertext damaged: in the last block (padding),
	 * in the first block (garbage plaintext). */
	ck_assert_int_eq(scep_buf_set(&env, fx.env.data, fx.env.len), 1);
	p = env.data;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)env.len);
	ck_assert_ptr_nonnull(cms);
	ec = CMS_get0_content(cms);
	ck_assert_ptr_nonnull(ec);
	ck_assert_ptr_nonnull(*ec);
	eclen = (size_t)ASN1_STRING_length(*ec);
	ck_assert_uint_ge(eclen, 64);
	pos = find_once(env.data, env.len, ASN1_STRING_get0_data(*ec), eclen);
	CMS_ContentInfo_free(cms);
	env.data[pos + eclen - 1] ^= 0x01;
	signed_build(&fx, env.data, env.len, &b);
	r_pad = open_fails(&fx, &b, "last ciphertext byte flipped");
	scep_buf_free(&b);
	env.data[pos + eclen - 1] ^= 0x01;
	env.data[pos + 3] ^= 0x01;
	signed_build(&fx, env.data, env.len, &b);
	r_garbled = open_fails(&fx, &b, "first ciphertext block flipped");
	scep_buf_free(&b);
	scep_buf_free(&env);

	/* 4. Decrypts fine, but holds no CSR. */
	sealed_build(&fx, (const uint8_t *)notcsr, sizeof(notcsr) - 1,
	    fx.recips, &b);
	r_junk = open_fails(&fx, &b, "garbage inner content");
	scep_buf_free(&b);

	/* 5. The CSR and a trailing byte. */
	junk = malloc(fx.csr_len + 1);
	ck_assert_ptr_nonnull(junk);
	memcpy(junk, fx.csr_der, fx.csr_len);
	junk[fx.csr_len] = 0;
	sealed_build(&fx, junk, fx.csr_len + 1, fx.recips, &b);
	free(junk);
	r_trail = open_fails(&fx, &b, "CSR with a trailing byte");
	scep_buf_free(&b);

	/* 6. A CSR whose own signature does not verify: its subject
	 * changed after signing (the encoding is redone, the signature
	 * kept). */
	name = tu_name("CN=someone else");
	ck_assert_int_eq(X509_REQ_set_subject_name(fx.csr, name), 1);
	X509_NAME_free(name);
	ck_assert_int_le(X509_REQ_verify(fx.csr, fx.key), 0);
	{
		unsigned char	*der = NULL;
		int		 len;

		len = i2d_X509_REQ(fx.csr, &der);
		ck_assert_int_gt(len, 0);
		ck_assert_int_ne(memcmp(der, fx.csr_der,
		    (size_t)len < fx.csr_len ? (size_t)len : fx.csr_len), 0);
		sealed_build(&fx, der, (size_t)len, fx.recips, &b);
		OPENSSL_free(der);
	}
	r_csr = open_fails(&fx, &b, "CSR signature invalid");
	scep_buf_free(&b);

	/* One path, one text. */
	ck_assert_ptr_eq(r_wrong, r_pad);
	ck_assert_ptr_eq(r_wrong, r_garbled);
	ck_assert_ptr_eq(r_wrong, r_junk);
	ck_assert_ptr_eq(r_wrong, r_trail);
	ck_assert_ptr_eq(r_wrong, r_csr);

	sk_X509_free(other);
	X509_free(ocert);
	EVP_PKEY_free(okey);
	fx_free(&fx);
}
END_TEST

/*
 * INTEROP.md 6.7: at most 4 RecipientInfos.  The outer message is fine
 * (the parse does not look into the envelope); scep_msg_open() refuses
 * before any private-key operation.
 */
START_TEST(test_too_many_recipients)
{
	struct fx		 fx;
	struct scep_buf		 b = { NULL, 0 };
	struct scep_msg		*msg;
	struct scep_limits	 lim;
	struct scep_policy	 pol;
	struct scep_error	 err;
	STACK_OF(X509)		*rs;
	X509			*x[4];
	const char		*reason;
	size_t			 i;

	fx_init(&fx);
	rs = sk_X509_new_null();
	ck_assert_ptr_nonnull(rs);
	for (i = 0; i < 4; i++) {
		x[i] = tu_issue(fx.key, "CN=extra recipient", NULL, NULL,
		    (long)(50 + i), TEST_NOW, 1);
		ck_assert_int_gt(sk_X509_push(rs, x[i]), 0);
	}

	/* 3 others and the RA last: 4, accepted. */
	(void)sk_X509_pop(rs);
	ck_assert_int_gt(sk_X509_push(rs, fx.ra), 0);
	sealed_build(&fx, fx.csr_der, fx.csr_len, rs, &b);
	msg = expect_parse(b.data, b.len, NULL, NULL, SCEP_OK, 0,
	    "4 recipients");
	(void)expect_open(&fx, msg, NULL, SCEP_OK, 0, "4 recipients");
	scep_msg_free(msg);
	scep_buf_free(&b);

	/* 5: refused, whichever position the RA is in. */
	(void)sk_X509_pop(rs);
	ck_assert_int_gt(sk_X509_push(rs, x[3]), 0);
	ck_assert_int_gt(sk_X509_push(rs, fx.ra), 0);
	sealed_build(&fx, fx.csr_der, fx.csr_len, rs, &b);
	msg = expect_parse(b.data, b.len, NULL, NULL, SCEP_OK, 0,
	    "5 recipients");
	/*
	 * envelope.c answers an envelope over the limit as one it cannot
	 * open: badMessageCheck with the one reason of INTEROP.md 6.5.
	 */
	reason = expect_open(&fx, msg, NULL, SCEP_REJECT,
	    SCEP_FAIL_BADMESSAGECHECK, "5 recipients");
	ck_assert_str_eq(reason, SCEP_REASON_BADENVELOPE);
	scep_msg_free(msg);

	/* The limit is the caller's: 5 within max_recipients 5. */
	msg = expect_parse(b.data, b.len, NULL, NULL, SCEP_OK, 0,
	    "5 recipients");
	scep_limits_default(&lim);
	lim.max_recipients = 5;
	tu_policy_all(&pol);
	ck_assert_int_eq(scep_msg_open(tu_ctx(), msg, fx.ra, fx.ra_key, &lim,
	    &pol, &err), 1);
	ck_assert_ptr_nonnull(msg->csr);
	scep_msg_free(msg);
	scep_buf_free(&b);

	sk_X509_free(rs);
	for (i = 0; i < 4; i++)
		X509_free(x[i]);
	fx_free(&fx);
}
END_TEST

/*
 * policy: INTEROP.md 6.1 under the default policy.
 */

/* MD5: refused at parse, before the signature is verified. */
START_TEST(test_md5_default)
{
	struct fx		 fx;
	struct scep_buf		 b = { NULL, 0 };
	struct scep_policy	 pol;
	struct scep_msg		*msg;

	fx_init(&fx);
	scep_policy_default(&pol);
	req_build(&fx, SCEP_DIGEST_MD5, SCEP_CIPHER_AES128, &b);
	expect_parse(b.data, b.len, NULL, &pol, SCEP_REJECT, SCEP_FAIL_BADALG,
	    "MD5, default policy");
	/* The same message with MD5 allowed. */
	msg = expect_parse(b.data, b.len, NULL, NULL, SCEP_OK, 0,
	    "MD5, all allowed");
	ck_assert_int_eq(msg->digest, SCEP_DIGEST_MD5);
	scep_msg_free(msg);
	scep_buf_free(&b);

	/* SHA-1 is no exception for a PKCSReq (only for CertPoll). */
	req_build(&fx, SCEP_DIGEST_SHA1, SCEP_CIPHER_AES128, &b);
	pol.digests = 0;
	expect_parse(b.data, b.len, NULL, &pol, SCEP_REJECT, SCEP_FAIL_BADALG,
	    "SHA-1 PKCSReq, no digest allowed");
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

/* Single DES: refused at open, before the private key is used. */
START_TEST(test_des_default)
{
	struct fx		 fx;
	struct scep_buf		 b = { NULL, 0 };
	struct scep_policy	 pol;
	struct scep_msg		*msg;

	fx_init(&fx);
	scep_policy_default(&pol);
	req_build(&fx, SCEP_DIGEST_SHA256, SCEP_CIPHER_DES, &b);
	msg = expect_parse(b.data, b.len, NULL, &pol, SCEP_OK, 0,
	    "DES, default policy");
	(void)expect_open(&fx, msg, &pol, SCEP_REJECT, SCEP_FAIL_BADALG,
	    "DES, default policy");
	scep_msg_free(msg);
	/* Allowed, it opens. */
	msg = expect_parse(b.data, b.len, NULL, NULL, SCEP_OK, 0,
	    "DES, all allowed");
	(void)expect_open(&fx, msg, NULL, SCEP_OK, 0, "DES, all allowed");
	ck_assert_int_eq(msg->cipher, SCEP_CIPHER_DES);
	scep_msg_free(msg);
	scep_buf_free(&b);
	fx_free(&fx);
}
END_TEST

static Suite *
mutation_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("mutation");

	tc = tcase_create("valid");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_control_request_build);
	tcase_add_test(tc, test_control_signed_build);
	tcase_add_test(tc, test_control_raw);
	tcase_add_test(tc, test_control_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dup_txid);
	tcase_add_test(tc, test_dup_nonce);
	tcase_add_test(tc, test_nonce_size);
	tcase_add_test(tc, test_nonce_type);
	tcase_add_test(tc, test_trailing_byte);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_txid_utf8);
	tcase_add_test(tc, test_txid_size);
	tcase_add_test(tc, test_txid_charset);
	tcase_add_test(tc, test_missing_txid_nonce);
	tcase_add_test(tc, test_second_signer);
	tcase_add_test(tc, test_no_signer_cert);
	tcase_add_test(tc, test_too_many_certs);
	tcase_add_test(tc, test_too_many_attrs);
	tcase_add_test(tc, test_oversize);
	tcase_add_test(tc, test_econtent_type);
	tcase_add_test(tc, test_dup_msgtype);
	tcase_add_test(tc, test_msgtype_utf8);
	tcase_add_test(tc, test_msgtype_unknown);
	tcase_add_test(tc, test_missing_msgtype);
	tcase_add_test(tc, test_bad_signature);
	tcase_add_test(tc, test_bad_content_digest);
	tcase_add_test(tc, test_one_envelope_failure);
	tcase_add_test(tc, test_too_many_recipients);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_md5_default);
	tcase_add_test(tc, test_des_default);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(mutation_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
