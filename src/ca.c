/*
 * ca.c: the signer interface, certificate issuance, CRLs and CA creation.
 * See ca.h.  RFC 5280 for certificate and CRL profiles.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "src/extern.h"
#include "src/ca.h"

/* Clock skew allowed for in notBefore (seconds). */
#define CA_BACKDATE	300

struct signer {
	X509		*cert;
	EVP_PKEY	*key;
	uint8_t		 keyhash[32];		/* signer_get0_keyhash() */
	char		 id[CA_ID_LEN + 1];	/* see signer_get0_id() */
};

/*
 * A signer over cert and key; both are up-referenced.  Its key hash and
 * id are computed here, once per load, so that no request hashes the
 * key.
 * Returns NULL if the key does not match the certificate or out of
 * memory.
 */
struct signer *
signer_new(X509 *cert, EVP_PKEY *key)
{
	struct signer	*s;

	if (cert == NULL || key == NULL || X509_check_private_key(cert, key) != 1)
		return NULL;
	if ((s = OPENSSL_zalloc(sizeof(*s))) == NULL)
		return NULL;
	if (!ca_pubkey_hash(X509_get_X509_PUBKEY(cert), s->keyhash)) {
		OPENSSL_free(s);
		return NULL;
	}
	/* The id: the first CA_ID_BYTES of that hash (ca.h). */
	hex_lower(s->keyhash, CA_ID_BYTES, s->id);
	X509_up_ref(cert);
	EVP_PKEY_up_ref(key);
	s->cert = cert;
	s->key = key;
	return s;
}

/*
 * Load a signer from PEM files.  Returns the signer (free with
 * signer_free()) or NULL with a message naming the file in err.
 */
struct signer *
signer_load(const char *certfile, const char *keyfile, char *err,
    size_t errsz)
{
	BIO		*b = NULL;
	X509		*cert = NULL;
	EVP_PKEY	*key = NULL;
	struct signer	*s = NULL;

	if ((b = BIO_new_file(certfile, "r")) == NULL ||
	    (cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errsz, "%s: cannot read a PEM certificate",
		    certfile);
		goto out;
	}
	BIO_free(b);
	if ((b = BIO_new_file(keyfile, "r")) == NULL ||
	    (key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errsz, "%s: cannot read a PEM private key",
		    keyfile);
		goto out;
	}
	if ((s = signer_new(cert, key)) == NULL)
		snprintf(err, errsz, "%s: key does not match certificate %s",
		    keyfile, certfile);
out:
	BIO_free(b);
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return s;
}

/* A new signer over the same certificate and key; see ca.h. */
struct signer *
signer_dup(const struct signer *s)
{
	return signer_new(s->cert, s->key);
}

/* Free a signer (NULL-safe). */
void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	OPENSSL_free(s);
}

/* The signer's certificate, borrowed. */
X509 *
signer_get0_cert(const struct signer *s)
{
	return s->cert;
}

/* Whether the signer's key is RSA. */
int
signer_is_rsa(const struct signer *s)
{
	return EVP_PKEY_is_a(s->key, "RSA");
}

/* The signer's id, borrowed; see ca.h. */
const char *
signer_get0_id(const struct signer *s)
{
	return s->id;
}

/* The SHA-256 of the signer's SubjectPublicKeyInfo, borrowed; ca.h. */
const uint8_t *
signer_get0_keyhash(const struct signer *s)
{
	return s->keyhash;
}

/* Whether s[0..len) is CA_ID_LEN lowercase hex digits; see ca.h. */
int
ca_id_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len != CA_ID_LEN)
		return 0;
	/* Lowercase only: one spelling per CA, as ca_id() writes it. */
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The digest to sign with: SHA-384 for a P-384 key, else SHA-256. */
static const EVP_MD *
signer_md(const struct signer *s)
{
	if (EVP_PKEY_is_a(s->key, "EC") && EVP_PKEY_get_bits(s->key) > 256)
		return EVP_sha384();
	return EVP_sha256();
}

/* Sign a certificate in place; 1 or 0. */
int
signer_sign_cert(const struct signer *s, X509 *x)
{
	return X509_sign(x, s->key, signer_md(s)) > 0;
}

/* Sign a CRL in place; 1 or 0. */
int
signer_sign_crl(const struct signer *s, X509_CRL *crl)
{
	return X509_CRL_sign(crl, s->key, signer_md(s)) > 0;
}

/*
 * Open an envelope with one of the signers s[0..n); the keys leave
 * this file only for the call.
 */
int
signer_open(const struct signer *const *s, size_t n,
    const struct scep_ctx *ctx, struct scep_msg *msg,
    const struct scep_limits *lim, const struct scep_policy *pol,
    size_t *which, struct scep_error *err)
{
	X509		*certs[SIGNER_OPEN_MAX];
	EVP_PKEY	*keys[SIGNER_OPEN_MAX];
	size_t		 i;

	*which = n;
	if (n > SIGNER_OPEN_MAX) {
		err->outcome = SCEP_INTERNAL;
		err->failinfo = SCEP_FAIL_BADREQUEST;
		err->reason = "too many message signers";
		return 0;
	}
	for (i = 0; i < n; i++) {
		certs[i] = s[i]->cert;
		keys[i] = s[i]->key;
	}
	return scep_msg_open_select(ctx, msg, certs, keys, n, which, lim, pol,
	    err);
}

/* CertRep SUCCESS signed by this signer. */
int
signer_certrep_success(const struct signer *s, const struct scep_ctx *ctx,
    const struct scep_msg *req, X509 *issued, struct scep_buf *out,
    struct scep_error *err)
{
	return scep_certrep_success(ctx, req, s->cert, s->key, issued, out,
	    err);
}

/* CertRep SUCCESS with a CRL signed by this signer. */
int
signer_certrep_crl(const struct signer *s, const struct scep_ctx *ctx,
    const struct scep_msg *req, X509_CRL *crl, struct scep_buf *out,
    struct scep_error *err)
{
	return scep_certrep_crl(ctx, req, s->cert, s->key, crl, out, err);
}

/* CertRep FAILURE signed by this signer. */
int
signer_certrep_failure(const struct signer *s, const struct scep_ctx *ctx,
    const struct scep_msg *req, enum scep_failinfo fi, const char *text,
    struct scep_buf *out, struct scep_error *err)
{
	return scep_certrep_failure(ctx, req, s->cert, s->key, fi, text, out,
	    err);
}

/* CertRep PENDING signed by this signer. */
int
signer_certrep_pending(const struct signer *s, const struct scep_ctx *ctx,
    const struct scep_msg *req, struct scep_buf *out, struct scep_error *err)
{
	return scep_certrep_pending(ctx, req, s->cert, s->key, out, err);
}

/* GetNextCACert body signed by this (current CA) signer. */
int
signer_nextcacert(const struct signer *s, const struct scep_ctx *ctx,
    X509 *next_ra, X509 *next_ca, struct scep_buf *out, const char **ctype)
{
	return scep_nextcacert_body(ctx, s->cert, s->key, next_ra, next_ca,
	    out, ctype);
}

/* A fresh random positive 127-bit serial into serial; 1 or 0. */
int
ca_serial_new(ASN1_INTEGER *serial)
{
	uint8_t	 buf[16];
	BIGNUM	*bn = NULL;
	int	 rc = 0;

	if (RAND_bytes(buf, sizeof(buf)) != 1)
		goto out;
	buf[0] &= 0x7f;		/* positive */
	buf[0] |= 0x40;		/* always 16 octets: no leading zero */
	if ((bn = BN_bin2bn(buf, sizeof(buf), NULL)) == NULL)
		goto out;
	if (BN_to_ASN1_INTEGER(bn, serial) == NULL)
		goto out;
	rc = 1;
out:
	BN_free(bn);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* Add extension nid with config value val to x (issuer for keyids). */
static int
add_ext(X509 *x, X509 *issuer, int nid, const char *val)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;
	int		 rc;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, val)) == NULL)
		return 0;
	rc = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return rc;
}

/*
 * Set the public key of x from the SubjectPublicKeyInfo DER der, copying
 * its two fields: X509_set_pubkey() of OpenSSL 3.0 builds a provider
 * encoder and decoder on every call (~0.1 ms each, a tenth of an
 * enrolment's CPU) for the same DER.  Exactly one SPKI, an RSA
 * (rsaEncryption, NULL parameters) or EC (id-ecPublicKey, named curve)
 * key, no unused bits.  *is_rsa says which.  The key itself is not
 * decoded: callers pass a key that was decoded and checked when its CSR
 * was verified (the stored request).  Returns 1 or 0.
 */
static int
set_spki(X509 *x, const uint8_t *der, size_t der_len, int *is_rsa)
{
	SCEP_SPKI		*spki = NULL;
	const unsigned char	*p = der;
	const ASN1_OBJECT	*obj;
	const void		*pval;
	ASN1_OBJECT		*alg = NULL, *curve = NULL;
	unsigned char		*bits = NULL;
	int			 ptype, nid, len, rc = 0;

	if (der == NULL || der_len == 0 || der_len > INT32_MAX)
		goto out;
	spki = (SCEP_SPKI *)ASN1_item_d2i(NULL, &p, (long)der_len,
	    ASN1_ITEM_rptr(SCEP_SPKI));
	if (spki == NULL || p != der + der_len)
		goto out;
	X509_ALGOR_get0(&obj, &ptype, &pval, spki->alg);
	nid = OBJ_obj2nid(obj);
	/* RFC 3279 section 2.3.1: rsaEncryption has NULL parameters. */
	if (nid == NID_rsaEncryption && ptype == V_ASN1_NULL)
		*is_rsa = 1;
	/* RFC 5480 section 2.1.1: id-ecPublicKey with a named curve. */
	else if (nid == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT &&
	    OBJ_obj2nid(pval) != NID_undef) {
		*is_rsa = 0;
		if ((curve = OBJ_dup(pval)) == NULL)
			goto out;
	} else
		goto out;
	/* A key is a whole number of octets (RFC 3279, RFC 5480). */
	if ((spki->key->flags & ASN1_STRING_FLAG_BITS_LEFT) != 0 &&
	    (spki->key->flags & 0x07) != 0)
		goto out;
	if ((len = ASN1_STRING_length(spki->key)) <= 0 ||
	    (bits = OPENSSL_memdup(ASN1_STRING_get0_data(spki->key),
	    (size_t)len)) == NULL ||
	    (alg = OBJ_dup(obj)) == NULL)
		goto out;
	/* set0: takes alg, curve and bits on success. */
	if (!X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), alg, ptype,
	    curve, bits, len))
		goto out;
	alg = curve = NULL;
	bits = NULL;
	rc = 1;
out:
	ASN1_OBJECT_free(alg);
	ASN1_OBJECT_free(curve);
	OPENSSL_free(bits);
	ASN1_item_free((ASN1_VALUE *)spki, ASN1_ITEM_rptr(SCEP_SPKI));
	return rc;
}

/* Set validity [now - CA_BACKDATE, now + secs], not past limit if set. */
static int
set_validity(X509 *x, time_t now, time_t secs, const ASN1_TIME *limit)
{
	time_t	 nb = now - CA_BACKDATE;

	if (X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &nb) == NULL)
		return 0;
	if (X509_time_adj_ex(X509_getm_notAfter(x), 0, (long)secs, &now) ==
	    NULL)
		return 0;
	if (limit != NULL &&
	    ASN1_TIME_compare(X509_get0_notAfter(x), limit) > 0 &&
	    !X509_set1_notAfter(x, limit))
		return 0;
	return 1;
}

/*
 * Issue a certificate under ca from the parts in *p with serial; see
 * ca.h.  Returns the signed certificate or NULL.
 */
X509 *
ca_issue(const struct signer *ca, const struct ca_issue *p,
    const ASN1_INTEGER *serial)
{
	static const char *const eku[CONF_PROFILE__MAX] = {
		"clientAuth", "serverAuth", "clientAuth,serverAuth",
	};
	X509		*x = NULL, *rc = NULL;
	int		 crit, is_rsa;
	/* "URI:", a URL as callers build it (< 1024), "?ca=", the id. */
	char		 dp[4 + 1024 + 4 + CA_ID_LEN];

	if ((size_t)p->profile >= CONF_PROFILE__MAX)
		goto out;
	if ((x = X509_new()) == NULL)
		goto out;
	if (!X509_set_version(x, 2) ||
	    !X509_set_serialNumber(x, (ASN1_INTEGER *)serial) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) ||
	    !X509_set_subject_name(x, (X509_NAME *)p->subject) ||
	    !set_validity(x, p->now, p->validity,
	    X509_get0_notAfter(ca->cert)))
		goto out;
	/* The key: its SPKI DER verbatim when given (see set_spki()). */
	if (p->spki != NULL) {
		if (!set_spki(x, p->spki, p->spki_len, &is_rsa))
			goto out;
	} else {
		if (p->pubkey == NULL || !X509_set_pubkey(x, p->pubkey))
			goto out;
		is_rsa = EVP_PKEY_is_a(p->pubkey, "RSA");
	}
	if (!add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE"))
		goto out;
	if (!add_ext(x, ca->cert, NID_key_usage,
	    is_rsa ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature"))
		goto out;
	if (!add_ext(x, ca->cert, NID_ext_key_usage, eku[p->profile]) ||
	    !add_ext(x, ca->cert, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, ca->cert, NID_authority_key_identifier,
	    "keyid:always"))
		goto out;
	if (p->sans != NULL && sk_GENERAL_NAME_num(p->sans) > 0) {
		/* RFC 5280 4.2.1.6: critical when the subject is empty. */
		crit = X509_NAME_entry_count(p->subject) == 0;
		if (X509_add1_ext_i2d(x, NID_subject_alt_name,
		    (void *)p->sans, crit, X509V3_ADD_DEFAULT) != 1)
			goto out;
	}
	if (p->crl_url != NULL) {
		/*
		 * Name the issuing CA: after a rollover the route alone
		 * serves the new CA's CRL, which does not list what the
		 * old CA issued (INTEROP.md 6.4).
		 */
		if (snprintf(dp, sizeof(dp), "URI:%s?ca=%s", p->crl_url,
		    ca->id) >= (int)sizeof(dp))
			goto out;
		if (!add_ext(x, ca->cert, NID_crl_distribution_points, dp))
			goto out;
	}
	if (!signer_sign_cert(ca, x))
		goto out;
	rc = x;
	x = NULL;
out:
	X509_free(x);
	return rc;
}

/*
 * Build and sign a CRL; see ca.h.  Returns the CRL or NULL.
 */
X509_CRL *
ca_crl_build(const struct signer *ca, const struct ca_revoked *rev,
    size_t nrev, uint64_t number, time_t now, time_t next)
{
	X509_CRL	*crl = NULL, *rc = NULL;
	X509_REVOKED	*r = NULL;
	ASN1_TIME	*t = NULL;
	ASN1_INTEGER	*num = NULL, *ser = NULL;
	ASN1_ENUMERATED	*reason = NULL;
	BIGNUM		*bn = NULL;
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext = NULL;
	size_t		 i;

	if ((crl = X509_CRL_new()) == NULL || (t = ASN1_TIME_new()) == NULL)
		goto out;
	if (!X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)))
		goto out;
	if (ASN1_TIME_set(t, now) == NULL || !X509_CRL_set1_lastUpdate(crl, t))
		goto out;
	if (ASN1_TIME_set(t, now + next) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, t))
		goto out;
	for (i = 0; i < nrev; i++) {
		if ((r = X509_REVOKED_new()) == NULL)
			goto out;
		if ((bn = BN_bin2bn(rev[i].serial, (int)rev[i].serial_len,
		    NULL)) == NULL ||
		    (ser = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
		    !X509_REVOKED_set_serialNumber(r, ser))
			goto out;
		BN_free(bn);
		bn = NULL;
		ASN1_INTEGER_free(ser);
		ser = NULL;
		if (ASN1_TIME_set(t, rev[i].when) == NULL ||
		    !X509_REVOKED_set_revocationDate(r, t))
			goto out;
		if (rev[i].reason >= 0) {
			if ((reason = ASN1_ENUMERATED_new()) == NULL ||
			    !ASN1_ENUMERATED_set(reason, rev[i].reason) ||
			    X509_REVOKED_add1_ext_i2d(r, NID_crl_reason,
			    reason, 0, 0) != 1)
				goto out;
			ASN1_ENUMERATED_free(reason);
			reason = NULL;
		}
		if (!X509_CRL_add0_revoked(crl, r))
			goto out;
		r = NULL;
	}
	if ((num = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set_uint64(num, number) ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, ca->cert, NULL, NULL, crl, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3,
	    NID_authority_key_identifier, "keyid:always")) == NULL ||
	    !X509_CRL_add_ext(crl, ext, -1))
		goto out;
	if (!X509_CRL_sort(crl) || !signer_sign_crl(ca, crl))
		goto out;
	rc = crl;
	crl = NULL;
out:
	X509_CRL_free(crl);
	X509_REVOKED_free(r);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(ser);
	ASN1_ENUMERATED_free(reason);
	BN_free(bn);
	X509_EXTENSION_free(ext);
	return rc;
}

/* A new key; see ca.h.  Returns the key (EVP_PKEY_free()) or NULL. */
EVP_PKEY *
ca_key_new(enum ca_keytype t, int bits)
{
	switch (t) {
	case CA_KEY_RSA:
		if (bits < 2048 || bits > 8192)
			return NULL;
		return EVP_RSA_gen((unsigned int)bits);
	case CA_KEY_P256:
		return EVP_EC_gen("P-256");
	case CA_KEY_P384:
		return EVP_EC_gen("P-384");
	default:
		return NULL;
	}
}

/*
 * A self-signed root CA certificate; see ca.h.  Returns the certificate
 * or NULL.
 */
X509 *
ca_root_new(EVP_PKEY *key, const X509_NAME *subject, time_t now, int days,
    int pathlen, int single_ca)
{
	X509		*x = NULL, *rc = NULL;
	struct signer	 self;
	ASN1_INTEGER	*serial = NULL;
	char		 bc[64];

	if ((x = X509_new()) == NULL || (serial = ASN1_INTEGER_new()) == NULL)
		goto out;
	if (!ca_serial_new(serial) || !X509_set_version(x, 2) ||
	    !X509_set_serialNumber(x, serial) ||
	    !X509_set_issuer_name(x, (X509_NAME *)subject) ||
	    !X509_set_subject_name(x, (X509_NAME *)subject) ||
	    !X509_set_pubkey(x, key) ||
	    !set_validity(x, now, (time_t)days * 86400, NULL))
		goto out;
	if (pathlen >= 0)
		snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d",
		    pathlen);
	else
		snprintf(bc, sizeof(bc), "critical,CA:TRUE");
	if (!add_ext(x, x, NID_basic_constraints, bc) ||
	    !add_ext(x, x, NID_key_usage, single_ca ?
	    "critical,keyCertSign,cRLSign,digitalSignature,keyEncipherment" :
	    "critical,keyCertSign,cRLSign") ||
	    !add_ext(x, x, NID_subject_key_identifier, "hash"))
		goto out;
	self.cert = x;
	self.key = key;
	if (!signer_sign_cert(&self, x))
		goto out;
	rc = x;
	x = NULL;
out:
	X509_free(x);
	ASN1_INTEGER_free(serial);
	return rc;
}

/*
 * An RA certificate under ca for rakey; see ca.h.  Returns the
 * certificate or NULL.
 */
X509 *
ca_ra_new(const struct signer *ca, EVP_PKEY *rakey, const X509_NAME *subject,
    time_t now, int days)
{
	X509		*x = NULL, *rc = NULL;
	ASN1_INTEGER	*serial = NULL;

	if (!EVP_PKEY_is_a(rakey, "RSA"))
		goto out;
	if ((x = X509_new()) == NULL || (serial = ASN1_INTEGER_new()) == NULL)
		goto out;
	if (!ca_serial_new(serial) || !X509_set_version(x, 2) ||
	    !X509_set_serialNumber(x, serial) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) ||
	    !X509_set_subject_name(x, (X509_NAME *)subject) ||
	    !X509_set_pubkey(x, rakey) ||
	    !set_validity(x, now, (time_t)days * 86400,
	    X509_get0_notAfter(ca->cert)))
		goto out;
	if (!add_ext(x, ca->cert, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, ca->cert, NID_key_usage,
	    "critical,digitalSignature,keyEncipherment") ||
	    !add_ext(x, ca->cert, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, ca->cert, NID_authority_key_identifier,
	    "keyid:always"))
		goto out;
	if (!signer_sign_cert(ca, x))
		goto out;
	rc = x;
	x = NULL;
out:
	X509_free(x);
	ASN1_INTEGER_free(serial);
	return rc;
}

/* SHA-256 of the certificate's DER; 1 or 0. */
int
ca_cert_fingerprint(X509 *x, uint8_t md[32])
{
	unsigned int	 n = 32;

	return X509_digest(x, EVP_sha256(), md, &n) == 1 && n == 32;
}

/* SHA-256 of a SubjectPublicKeyInfo's DER; 1 or 0. */
int
ca_pubkey_hash(X509_PUBKEY *pk, uint8_t md[32])
{
	unsigned char	*der = NULL;
	int		 len, rc;

	if ((len = i2d_X509_PUBKEY(pk, &der)) <= 0)
		return 0;
	rc = EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL) == 1;
	OPENSSL_free(der);
	return rc;
}

/* Whether ca issued the certificate der; see ca.h. */
int
ca_der_issued_by(X509 *ca, const uint8_t *der, size_t len)
{
	SCEP_CERT		*c = NULL;
	AUTHORITY_KEYID		*akid = NULL;
	const ASN1_OCTET_STRING	*skid;
	const unsigned char	*p = der;
	X509			*x = NULL;
	int			 crit, rc = 0;

	if (der == NULL || len == 0 || len > INT32_MAX)
		goto out;
	/* SCEP_CERT: without the decode d2i_X509() makes of the key. */
	c = (SCEP_CERT *)ASN1_item_d2i(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(SCEP_CERT));
	if (c == NULL || p != der + len ||
	    X509_NAME_cmp(c->tbs->issuer, X509_get_subject_name(ca)) != 0)
		goto out;
	/* The usual case, decided by the key identifiers alone. */
	skid = X509_get0_subject_key_id(ca);
	akid = X509V3_get_d2i(c->tbs->exts, NID_authority_key_identifier,
	    &crit, NULL);
	if (skid != NULL && akid != NULL && akid->keyid != NULL &&
	    akid->issuer == NULL && akid->serial == NULL) {
		rc = ASN1_OCTET_STRING_cmp(akid->keyid, skid) == 0;
		goto out;
	}
	/* Anything else as ca_cert_issued_by() decides it. */
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL)
		rc = ca_cert_issued_by(ca, x);
out:
	X509_free(x);
	AUTHORITY_KEYID_free(akid);
	ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(SCEP_CERT));
	ERR_clear_error();
	return rc;
}

/* Whether ca issued x; see ca.h. */
int
ca_cert_issued_by(X509 *ca, X509 *x)
{
	const ASN1_OCTET_STRING	*akid, *skid;
	EVP_PKEY		*pk;
	int			 rc;

	if (X509_check_issued(ca, x) != X509_V_OK) {
		ERR_clear_error();
		return 0;
	}
	/* X509_check_issued() compared the key identifiers: enough. */
	akid = X509_get0_authority_key_id(x);
	skid = X509_get0_subject_key_id(ca);
	if (akid != NULL && skid != NULL)
		return 1;
	rc = (pk = X509_get0_pubkey(ca)) != NULL && X509_verify(x, pk) == 1;
	ERR_clear_error();
	return rc;
}
