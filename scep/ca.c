/*
 * ca.c: the bodies of the CA operations, RFC 8894 section 4: GetCACert
 * (4.2), GetNextCACert (4.7) and GetCACaps (3.5), plus the degenerate
 * certs-only SignedData that GetCACert and the SUCCESS CertRep carry.
 */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "scep/extern.h"

/* RFC 8894 sections 6.1-6.3: the IANA media types. */
#define CT_CA_CERT	"application/x-x509-ca-cert"
#define CT_CA_RA_CERT	"application/x-x509-ca-ra-cert"
#define CT_NEXT_CA_CERT	"application/x-x509-next-ca-cert"

/*
 * A degenerate certs-only SignedData (RFC 8894 section 3.4), DER; see
 * extern.h.  The PKCS7 API is used on purpose (STYLE.md B6, INTEROP.md
 * 6.2): OpenSSL's PKCS7 template encodes "certificates" as a SEQUENCE
 * OF, which keeps the order we push, where the CMS template is a SET OF
 * that DER sorts, so [RA, CA] could come out as [CA, RA].  certs and
 * crls may each be NULL; their elements are up-referenced, not taken.
 * Returns 1 with *out filled (free with scep_buf_free()), or 0.
 */
int
scep_degenerate_build(STACK_OF(X509) *certs, STACK_OF(X509_CRL) *crls,
    struct scep_buf *out)
{
	PKCS7		*p7 = NULL;
	int		 i, rc = 0;

	if (out == NULL)
		goto out;
	if ((p7 = PKCS7_new()) == NULL)
		goto out;
	/* SignedData version 1, no digestAlgorithms, no signerInfos. */
	if (!PKCS7_set_type(p7, NID_pkcs7_signed))
		goto out;
	if (!PKCS7_content_new(p7, NID_pkcs7_data))
		goto out;
	/*
	 * PKCS7_content_new() gives the encapsulated content an empty
	 * OCTET STRING, which would be encoded as "[0] 04 00".  RFC 8894
	 * section 3.4: in a certs-only SignedData the content field MUST
	 * be omitted, so keep the eContentType (data) and drop the
	 * content, as "openssl crl2pkcs7" does.
	 */
	ASN1_OCTET_STRING_free(p7->d.sign->contents->d.data);
	p7->d.sign->contents->d.data = NULL;

	/* Certificates in the caller's order (SEQUENCE OF, see above). */
	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
		if (!PKCS7_add_certificate(p7, sk_X509_value(certs, i)))
			goto out;
	for (i = 0; crls != NULL && i < sk_X509_CRL_num(crls); i++)
		if (!PKCS7_add_crl(p7, sk_X509_CRL_value(crls, i)))
			goto out;

	if (!scep_buf_i2d(out, p7, ASN1_ITEM_rptr(PKCS7)))
		goto out;
	rc = 1;
out:
	PKCS7_free(p7);
	return rc;
}

/*
 * The GetCACert body, RFC 8894 section 4.2.1; see scep.h.  A single CA
 * with neither RA nor chain is its bare DER (4.2.1.1); anything more is
 * the ordered degenerate bundle [ra, ca, chain...] (4.2.1.2).  With ra
 * NULL and a non-empty chain the bundle is [ca, chain...]; sscep and
 * Apple then take the certificate that issues no other one as the CA.
 * Returns 1 with *out filled (free with scep_buf_free()) and *ctype a
 * static string, or 0.
 */
int
scep_cacert_body(X509 *ra, X509 *ca, STACK_OF(X509) *chain,
    struct scep_buf *out, const char **ctype)
{
	STACK_OF(X509)	*bundle = NULL;
	int		 i, rc = 0;

	if (ca == NULL || out == NULL || ctype == NULL)
		goto out;

	if (ra == NULL && (chain == NULL || sk_X509_num(chain) == 0)) {
		/* RFC 8894 section 4.2.1.1: one certificate, DER. */
		if (!scep_buf_i2d(out, ca, ASN1_ITEM_rptr(X509)))
			goto out;
		*ctype = CT_CA_CERT;
		rc = 1;
		goto out;
	}

	/* A borrowing stack: the bundle holds no references of its own. */
	if ((bundle = sk_X509_new_null()) == NULL)
		goto out;
	if (ra != NULL && !sk_X509_push(bundle, ra))
		goto out;
	if (!sk_X509_push(bundle, ca))
		goto out;
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if (!sk_X509_push(bundle, sk_X509_value(chain, i)))
			goto out;
	if (!scep_degenerate_build(bundle, NULL, out))
		goto out;
	*ctype = CT_CA_RA_CERT;
	rc = 1;
out:
	sk_X509_free(bundle);
	return rc;
}

/*
 * The GetNextCACert body, RFC 8894 section 4.7.1; see scep.h.  The
 * rollover certificates travel as a degenerate [next_ra, next_ca] (in
 * that order, next_ra optional) which is the id-data content of a
 * SignedData signed with SHA-256 by the current CA key: clients verify
 * that signature against the CA certificate they already hold.  This is
 * not a pkiMessage, so it carries no SCEP attributes; the CA key may be
 * RSA or EC.  Returns 1 with *out filled (free with scep_buf_free()) and
 * *ctype a static string, or 0.
 */
int
scep_nextcacert_body(const struct scep_ctx *ctx, X509 *ca_cert,
    EVP_PKEY *ca_key, X509 *next_ra, X509 *next_ca, struct scep_buf *out,
    const char **ctype)
{
	const unsigned int	 flags = CMS_BINARY | CMS_NOSMIMECAP |
				    CMS_PARTIAL;
	STACK_OF(X509)		*certs = NULL;
	struct scep_buf		 inner = { NULL, 0 };
	CMS_ContentInfo		*cms = NULL;
	BIO			*content = NULL;
	int			 rc = 0;

	if (ctx == NULL || ca_cert == NULL || ca_key == NULL ||
	    next_ca == NULL || out == NULL || ctype == NULL)
		goto out;
	if (ctx->md[SCEP_DIGEST_SHA256] == NULL)
		goto out;

	/* The degenerate content, in order. */
	if ((certs = sk_X509_new_null()) == NULL)
		goto out;
	if (next_ra != NULL && !sk_X509_push(certs, next_ra))
		goto out;
	if (!sk_X509_push(certs, next_ca))
		goto out;
	if (!scep_degenerate_build(certs, NULL, &inner))
		goto out;
	if (inner.len > INT_MAX)
		goto out;
	if ((content = BIO_new_mem_buf(inner.data, (int)inner.len)) == NULL)
		goto out;

	/*
	 * CMS_PARTIAL so that the signer is added with the digest we
	 * fetched (SHA-256) rather than the key's default; CMS_BINARY so
	 * the DER is not MIME-canonicalised; the signer certificate goes
	 * into "certificates".
	 */
	if ((cms = CMS_sign_ex(NULL, NULL, NULL, NULL, flags, ctx->libctx,
	    ctx->propq)) == NULL)
		goto out;
	if (CMS_add1_signer(cms, ca_cert, ca_key, ctx->md[SCEP_DIGEST_SHA256],
	    flags) == NULL)
		goto out;
	if (!CMS_final(cms, content, NULL, flags))
		goto out;

	if (!scep_buf_i2d(out, cms, ASN1_ITEM_rptr(CMS_ContentInfo)))
		goto out;
	*ctype = CT_NEXT_CA_CERT;
	rc = 1;
out:
	CMS_ContentInfo_free(cms);
	BIO_free(content);
	scep_buf_free(&inner);
	sk_X509_free(certs);
	return rc;
}

/*
 * The GetCACaps body, RFC 8894 section 3.5.2: the keyword of every bit
 * set in caps, in enum order, each on its own LF-terminated line,
 * NUL-terminated in buf.  Returns the length written (without the NUL),
 * or -1 if buf is NULL or too small.
 */
int
scep_caps_text(unsigned int caps, char *buf, size_t bufsz)
{
	const char	*kw;
	size_t		 used = 0, n;
	int		 i;

	if (buf == NULL || bufsz == 0)
		return -1;
	for (i = 0; i < SCEP_CAP__MAX; i++) {
		if ((caps & (1u << i)) == 0)
			continue;
		kw = scep_cap_name((enum scep_cap)i);
		n = strlen(kw);
		/* The keyword, its LF and the final NUL must fit. */
		if (bufsz - used < n + 2)
			return -1;
		memcpy(buf + used, kw, n);
		used += n;
		buf[used++] = '\n';
	}
	buf[used] = '\0';
	if (used > INT_MAX)
		return -1;
	return (int)used;
}

/*
 * Parse a GetCACaps body (client role), RFC 8894 section 3.5.2: lines
 * separated by CR, LF or both; each line compared as a whole, in exact
 * case, against Table 7.  Unknown keywords (private "Example.com-Foo"
 * capabilities, SHA-224, ...) are ignored, as section 3.5.1 requires.
 * Returns the bit set (bit n = 1 << enum scep_cap).
 */
unsigned int
scep_caps_parse(const uint8_t *buf, size_t len)
{
	unsigned int	 caps = 0;
	size_t		 i = 0, start, n, k;
	const char	*kw;

	if (buf == NULL)
		return 0;
	while (i < len) {
		/* One line: [start, start + n). */
		start = i;
		while (i < len && buf[i] != '\r' && buf[i] != '\n')
			i++;
		n = i - start;
		while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
			i++;
		for (k = 0; n > 0 && k < SCEP_CAP__MAX; k++) {
			kw = scep_cap_name((enum scep_cap)k);
			if (strlen(kw) == n && memcmp(kw, buf + start, n) == 0)
				caps |= 1u << k;
		}
	}
	return caps;
}
