/*
 * err.c: name tables, errors, limits and policy defaults, buffers and
 * the library context.
 */
#include "config.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/provider.h>

#include "scep/extern.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const msgtype_names[] = {
	"CertRep", "RenewalReq", "PKCSReq", "CertPoll", "GetCert", "GetCRL",
};
static_assert(NELEM(msgtype_names) == SCEP_MSG__MAX, "msgtype names");

/* RFC 8894 section 3.2.1.2: the decimal wire values. */
static const int msgtype_values[] = { 3, 17, 19, 20, 21, 22 };
static_assert(NELEM(msgtype_values) == SCEP_MSG__MAX, "msgtype values");

static const char *const status_names[] = {
	"SUCCESS", "FAILURE", "PENDING",
};
static_assert(NELEM(status_names) == SCEP_STATUS__MAX, "status names");

/* RFC 8894 section 3.2.1.3. */
static const char *const status_strs[] = { "0", "2", "3" };
static_assert(NELEM(status_strs) == SCEP_STATUS__MAX, "status strings");

static const char *const failinfo_names[] = {
	"badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId",
};
static_assert(NELEM(failinfo_names) == SCEP_FAIL__MAX, "failinfo names");

/* RFC 8894 section 3.2.1.4. */
static const char *const failinfo_strs[] = { "0", "1", "2", "3", "4" };
static_assert(NELEM(failinfo_strs) == SCEP_FAIL__MAX, "failinfo strings");

static const char *const cipher_names[] = {
	"aes-128-cbc", "aes-192-cbc", "aes-256-cbc", "des-ede3-cbc",
	"des-cbc",
};
static_assert(NELEM(cipher_names) == SCEP_CIPHER__MAX, "cipher names");

/* Names as OpenSSL 3 fetches them. */
static const char *const cipher_fetch[] = {
	"AES-128-CBC", "AES-192-CBC", "AES-256-CBC", "DES-EDE3-CBC",
	"DES-CBC",
};
static_assert(NELEM(cipher_fetch) == SCEP_CIPHER__MAX, "cipher fetch");

static const char *const digest_names[] = {
	"md5", "sha1", "sha224", "sha256", "sha384", "sha512",
};
static_assert(NELEM(digest_names) == SCEP_DIGEST__MAX, "digest names");

static const char *const digest_fetch[] = {
	"MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512",
};
static_assert(NELEM(digest_fetch) == SCEP_DIGEST__MAX, "digest fetch");

/* RFC 8894 Table 7, exact case. */
static const char *const cap_names[] = {
	"AES", "DES3", "GetNextCACert", "POSTPKIOperation", "Renewal",
	"SHA-1", "SHA-256", "SHA-512", "SCEPStandard",
};
static_assert(NELEM(cap_names) == SCEP_CAP__MAX, "cap names");

static const char *const outcome_names[] = {
	"OK", "MALFORMED", "REJECT", "INTERNAL",
};
static_assert(NELEM(outcome_names) == SCEP_OUTCOME__MAX, "outcome names");

#define NAME(tab, i, max)	((size_t)(i) < (max) ? (tab)[(i)] : "unknown")

/* Static name of a message type ("PKCSReq"), "unknown" if out of range. */
const char *
scep_msgtype_name(enum scep_msgtype t)
{
	return NAME(msgtype_names, t, SCEP_MSG__MAX);
}

/* Wire value of a message type (19 for PKCSReq), -1 if out of range. */
int
scep_msgtype_value(enum scep_msgtype t)
{
	return (size_t)t < SCEP_MSG__MAX ? msgtype_values[t] : -1;
}

/* Static name of a pkiStatus ("PENDING"). */
const char *
scep_status_name(enum scep_status s)
{
	return NAME(status_names, s, SCEP_STATUS__MAX);
}

/* Static name of a failInfo ("badRequest"). */
const char *
scep_failinfo_name(enum scep_failinfo f)
{
	return NAME(failinfo_names, f, SCEP_FAIL__MAX);
}

/* Static name of a cipher ("aes-128-cbc"). */
const char *
scep_cipher_name(enum scep_cipher c)
{
	return NAME(cipher_names, c, SCEP_CIPHER__MAX);
}

/* Static name of a digest ("sha256"). */
const char *
scep_digest_name(enum scep_digest d)
{
	return NAME(digest_names, d, SCEP_DIGEST__MAX);
}

/* Static GetCACaps keyword of a capability ("SHA-256"). */
const char *
scep_cap_name(enum scep_cap c)
{
	return NAME(cap_names, c, SCEP_CAP__MAX);
}

/* Static name of an outcome ("REJECT"). */
const char *
scep_outcome_name(enum scep_outcome o)
{
	return NAME(outcome_names, o, SCEP_OUTCOME__MAX);
}

/* Index of s in tab[0..n), or -1. */
static int
lookup(const char *const *tab, size_t n, const char *s)
{
	size_t	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(tab[i], s) == 0)
			return (int)i;
	return -1;
}

/* Cipher by its name; returns 1 and sets *out, or 0. */
int
scep_cipher_from_name(const char *s, enum scep_cipher *out)
{
	int	 i;

	if ((i = lookup(cipher_names, SCEP_CIPHER__MAX, s)) < 0)
		return 0;
	*out = (enum scep_cipher)i;
	return 1;
}

/* Digest by its name; returns 1 and sets *out, or 0. */
int
scep_digest_from_name(const char *s, enum scep_digest *out)
{
	int	 i;

	if ((i = lookup(digest_names, SCEP_DIGEST__MAX, s)) < 0)
		return 0;
	*out = (enum scep_digest)i;
	return 1;
}

/* Capability by its exact keyword; returns 1 and sets *out, or 0. */
int
scep_cap_from_name(const char *s, enum scep_cap *out)
{
	int	 i;

	if ((i = lookup(cap_names, SCEP_CAP__MAX, s)) < 0)
		return 0;
	*out = (enum scep_cap)i;
	return 1;
}

/* Index of the n-byte string s in tab[0..max), exact match, or -1. */
static int
lookup_n(const char *const *tab, size_t max, const uint8_t *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < max; i++)
		if (strlen(tab[i]) == n && memcmp(tab[i], s, n) == 0)
			return (int)i;
	return -1;
}

/*
 * messageType from its wire string: one of the closed table of RFC 8894
 * section 3.2.1.2 ("3", "17", "19".."22"), exactly, no atoi.
 */
int
scep_msgtype_from_str(const uint8_t *s, size_t len, enum scep_msgtype *out)
{
	static const char *const strs[] = { "3", "17", "19", "20", "21",
	    "22" };
	int	 i;

	if ((i = lookup_n(strs, SCEP_MSG__MAX, s, len)) < 0)
		return 0;
	*out = (enum scep_msgtype)i;
	return 1;
}

/* pkiStatus from its wire string ("0", "2", "3"). */
int
scep_status_from_str(const uint8_t *s, size_t len, enum scep_status *out)
{
	int	 i;

	if ((i = lookup_n(status_strs, SCEP_STATUS__MAX, s, len)) < 0)
		return 0;
	*out = (enum scep_status)i;
	return 1;
}

/* failInfo from its wire string ("0".."4"). */
int
scep_failinfo_from_str(const uint8_t *s, size_t len, enum scep_failinfo *out)
{
	int	 i;

	if ((i = lookup_n(failinfo_strs, SCEP_FAIL__MAX, s, len)) < 0)
		return 0;
	*out = (enum scep_failinfo)i;
	return 1;
}

/* Wire string of a pkiStatus. */
const char *
scep_status_str(enum scep_status s)
{
	return NAME(status_strs, s, SCEP_STATUS__MAX);
}

/* Wire string of a failInfo. */
const char *
scep_failinfo_str(enum scep_failinfo f)
{
	return NAME(failinfo_strs, f, SCEP_FAIL__MAX);
}

/*
 * Whether s[0..len) is a non-empty string of the PrintableString
 * alphabet (X.680 41.4: A-Z a-z 0-9 space ' ( ) + , - . / : = ?).
 */
int
scep_printable(const uint8_t *s, size_t len)
{
	size_t	 i;
	uint8_t	 c;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (strchr(" '()+,-./:=?", c) == NULL || c == '\0')
			return 0;
	}
	return 1;
}

/* Fill *err, if not NULL, with an outcome, failInfo and static reason. */
void
scep_seterr(struct scep_error *err, enum scep_outcome o,
    enum scep_failinfo fi, const char *reason)
{
	if (err == NULL)
		return;
	err->outcome = o;
	err->failinfo = fi;
	err->reason = reason;
}

/* The defaults of INTEROP.md 6.7. */
void
scep_limits_default(struct scep_limits *lim)
{
	lim->max_msg = 64 * 1024;
	lim->max_certs = 8;
	lim->max_recipients = 4;
	lim->max_attrs = 16;
}

/*
 * The defaults of INTEROP.md 6.1: AES-128/192/256 and 3DES; SHA-1,
 * SHA-224, SHA-256, SHA-384, SHA-512.  No single DES, no MD5.
 */
void
scep_policy_default(struct scep_policy *pol)
{
	pol->ciphers = 1u << SCEP_CIPHER_AES128 | 1u << SCEP_CIPHER_AES192 |
	    1u << SCEP_CIPHER_AES256 | 1u << SCEP_CIPHER_DES3;
	pol->digests = 1u << SCEP_DIGEST_SHA1 | 1u << SCEP_DIGEST_SHA224 |
	    1u << SCEP_DIGEST_SHA256 | 1u << SCEP_DIGEST_SHA384 |
	    1u << SCEP_DIGEST_SHA512;
}

/*
 * Whether pol accepts content cipher c for a message of type t.  A
 * CertPoll is accepted with 3DES whatever the policy (INTEROP.md 6.1).
 */
int
scep_policy_cipher_ok(const struct scep_policy *pol, enum scep_msgtype t,
    enum scep_cipher c)
{
	if ((size_t)c >= SCEP_CIPHER__MAX)
		return 0;
	if (t == SCEP_MSG_CERTPOLL && c == SCEP_CIPHER_DES3)
		return 1;
	return (pol->ciphers & (1u << c)) != 0;
}

/*
 * Whether pol accepts signer digest d for a message of type t.  A
 * CertPoll is accepted with SHA-1 whatever the policy (INTEROP.md 6.1).
 */
int
scep_policy_digest_ok(const struct scep_policy *pol, enum scep_msgtype t,
    enum scep_digest d)
{
	if ((size_t)d >= SCEP_DIGEST__MAX)
		return 0;
	if (t == SCEP_MSG_CERTPOLL && d == SCEP_DIGEST_SHA1)
		return 1;
	return (pol->digests & (1u << d)) != 0;
}

/* Free the contents of b (NULL-safe) and zero it. */
void
scep_buf_free(struct scep_buf *b)
{
	if (b == NULL)
		return;
	OPENSSL_free(b->data);
	b->data = NULL;
	b->len = 0;
}

/* Replace b's contents with a copy of p[0..len); 1 or 0. */
int
scep_buf_set(struct scep_buf *b, const uint8_t *p, size_t len)
{
	uint8_t	*d;

	if ((d = OPENSSL_malloc(len == 0 ? 1 : len)) == NULL)
		return 0;
	if (len > 0)
		memcpy(d, p, len);
	scep_buf_free(b);
	b->data = d;
	b->len = len;
	return 1;
}

/*
 * Replace b's contents with the DER encoding of obj (of ASN.1 item it),
 * allocated by OpenSSL to the right size.  Returns 1 or 0.
 */
int
scep_buf_i2d(struct scep_buf *b, const void *obj, const ASN1_ITEM *it)
{
	unsigned char	*der = NULL;
	int		 n;

	if ((n = ASN1_item_i2d((const ASN1_VALUE *)obj, &der, it)) <= 0)
		return 0;
	scep_buf_free(b);
	b->data = der;
	b->len = (size_t)n;
	return 1;
}

/* Copy what a memory BIO holds into b; 1 or 0. */
int
scep_buf_from_bio(struct scep_buf *b, BIO *bio)
{
	char	*p;
	long	 n;

	if ((n = BIO_get_mem_data(bio, &p)) < 0)
		return 0;
	return scep_buf_set(b, (const uint8_t *)p, (size_t)n);
}

/*
 * A new library context; see scep.h.  The digests and ciphers of
 * INTEROP.md 6.1 are fetched once here; one the providers lack stays
 * NULL and is refused with badAlg (CVE-2023-0401: never reach a verify
 * with a digest the provider lacks).
 */
struct scep_ctx *
scep_ctx_new(OSSL_LIB_CTX *libctx, const char *propq, int legacy_des)
{
	struct scep_ctx	*ctx = NULL, *rc = NULL;
	size_t		 i;

	if (!scep_init())
		goto out;
	if ((ctx = OPENSSL_zalloc(sizeof(*ctx))) == NULL)
		goto out;
	ctx->libctx = libctx;
	if (propq != NULL && (ctx->propq = OPENSSL_strdup(propq)) == NULL)
		goto out;
	if (legacy_des) {
		/* Loading any provider stops the implicit default one. */
		if ((ctx->prov_default =
		    OSSL_PROVIDER_load(libctx, "default")) == NULL)
			goto out;
		if ((ctx->prov_legacy =
		    OSSL_PROVIDER_load(libctx, "legacy")) == NULL)
			goto out;
	}
	for (i = 0; i < SCEP_DIGEST__MAX; i++)
		ctx->md[i] = EVP_MD_fetch(libctx, digest_fetch[i], ctx->propq);
	for (i = 0; i < SCEP_CIPHER__MAX; i++)
		ctx->cipher[i] = EVP_CIPHER_fetch(libctx, cipher_fetch[i],
		    ctx->propq);
	/* The MTI algorithms must be there (RFC 8894 section 2.9). */
	if (ctx->md[SCEP_DIGEST_SHA256] == NULL ||
	    ctx->cipher[SCEP_CIPHER_AES128] == NULL)
		goto out;
	ERR_clear_error();
	rc = ctx;
	ctx = NULL;
out:
	scep_ctx_free(ctx);
	return rc;
}

/* Free a library context (NULL-safe), unloading what it loaded. */
void
scep_ctx_free(struct scep_ctx *ctx)
{
	size_t	 i;

	if (ctx == NULL)
		return;
	for (i = 0; i < SCEP_DIGEST__MAX; i++)
		EVP_MD_free(ctx->md[i]);
	for (i = 0; i < SCEP_CIPHER__MAX; i++)
		EVP_CIPHER_free(ctx->cipher[i]);
	OSSL_PROVIDER_unload(ctx->prov_legacy);
	OSSL_PROVIDER_unload(ctx->prov_default);
	OPENSSL_free(ctx->propq);
	OPENSSL_free(ctx);
}

/* Whether single DES can be used in this context. */
int
scep_ctx_has_des(const struct scep_ctx *ctx)
{
	return ctx->cipher[SCEP_CIPHER_DES] != NULL;
}
