/*
 * ca.h: private keys behind one small signer interface, certificate
 * issuance, CRLs and CA creation.
 *
 * Every private-key operation of scepd goes through struct signer: sign
 * a certificate, sign a CRL, sign a CMS message (the CertRep and
 * GetNextCACert builders of scep/), open an envelope.  Callers never see
 * the EVP_PKEY, so the key can later live in a separate process or a
 * PKCS#11 token (an OpenSSL provider) without touching them.
 */
#ifndef SRC_CA_H
#define SRC_CA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scep/scep.h"
#include "src/extern.h"

struct signer;

/*
 * A signer over cert and key (both up-referenced: the caller keeps its
 * own references).  The key must match the certificate.  Free with
 * signer_free().
 */
struct signer	*signer_new(X509 *cert, EVP_PKEY *key);
/*
 * Load a signer from a PEM certificate file and a PEM private key file.
 * On failure returns NULL and writes a message naming the file to err.
 */
struct signer	*signer_load(const char *certfile, const char *keyfile,
		    char *err, size_t errsz);
/* Another reference to the same certificate and key; NULL on failure. */
struct signer	*signer_dup(const struct signer *);
void		 signer_free(struct signer *);
/* The signer's certificate; borrowed. */
X509		*signer_get0_cert(const struct signer *);
/* Whether the key is RSA (can decrypt SCEP envelopes). */
int		 signer_is_rsa(const struct signer *);

/*
 * The id of a CA, as the CRL distribution point of the certificates it
 * issues names it (<crl_url>?ca=<id>, see ca_issue()): the first
 * CA_ID_BYTES bytes of the SHA-256 of the CA certificate's
 * SubjectPublicKeyInfo DER, in lowercase hex.  The key, not the subject
 * key identifier: every certificate has one (an imported CA may lack
 * the extension), it is what tells the two same-subject CAs of a
 * rollover apart, and the store keys each CA's CRL by the same hash.
 * 16 bytes are ample to tell a tenant's CAs apart; the id is public.
 */
#define CA_ID_BYTES	16
#define CA_ID_LEN	(2 * CA_ID_BYTES)
/*
 * The signer's id (CA_ID_LEN characters, NUL-terminated), computed once
 * by signer_new(); borrowed.
 */
const char	*signer_get0_id(const struct signer *);
/*
 * The SHA-256 of the signer certificate's SubjectPublicKeyInfo (32
 * bytes, as ca_pubkey_hash()), computed once by signer_new(); borrowed.
 * The store names a CA's CRL by it.
 */
const uint8_t	*signer_get0_keyhash(const struct signer *);
/* Whether s[0..len) has the form of an id: CA_ID_LEN lowercase hex. */
int		 ca_id_valid(const char *s, size_t len);

/* Sign a certificate or CRL in place (SHA-256; SHA-384 for P-384). */
int		 signer_sign_cert(const struct signer *, X509 *x);
int		 signer_sign_crl(const struct signer *, X509_CRL *crl);

/* At most this many signers for signer_open(). */
#define SIGNER_OPEN_MAX	4
/*
 * scep_msg_open_select() with the certificates and keys of s[0..n)
 * (n <= SIGNER_OPEN_MAX, in order of preference: the current message
 * signer, then the previous RA of a rollover): the envelope's
 * RecipientInfos choose the signer, and only its key is used.  *which
 * gets the index of the signer chosen, or n when none was.  Returns 1,
 * or 0 with err filled.
 */
int		 signer_open(const struct signer *const *s, size_t n,
		    const struct scep_ctx *ctx, struct scep_msg *msg,
		    const struct scep_limits *lim,
		    const struct scep_policy *pol, size_t *which,
		    struct scep_error *err);

/* The CertRep builders of scep.h, signed with this signer. */
int		 signer_certrep_success(const struct signer *,
		    const struct scep_ctx *, const struct scep_msg *req,
		    X509 *issued, struct scep_buf *out, struct scep_error *err);
int		 signer_certrep_crl(const struct signer *,
		    const struct scep_ctx *, const struct scep_msg *req,
		    X509_CRL *crl, struct scep_buf *out,
		    struct scep_error *err);
int		 signer_certrep_failure(const struct signer *,
		    const struct scep_ctx *, const struct scep_msg *req,
		    enum scep_failinfo fi, const char *text,
		    struct scep_buf *out, struct scep_error *err);
int		 signer_certrep_pending(const struct signer *,
		    const struct scep_ctx *, const struct scep_msg *req,
		    struct scep_buf *out, struct scep_error *err);
/* GetNextCACert body signed by this (current CA) signer. */
int		 signer_nextcacert(const struct signer *,
		    const struct scep_ctx *, X509 *next_ra, X509 *next_ca,
		    struct scep_buf *out, const char **ctype);

/* What an issued certificate is made of. */
struct ca_issue {
	const X509_NAME		*subject;
	EVP_PKEY		*pubkey;	/* the certified key, or: */
	const uint8_t		*spki;		/* its SubjectPublicKeyInfo */
	size_t			 spki_len;	/* DER (wins; pubkey unused) */
	const GENERAL_NAMES	*sans;		/* or NULL */
	enum conf_profile	 profile;	/* extendedKeyUsage */
	time_t			 now;
	time_t			 validity;	/* seconds */
	const char		*crl_url;	/* CRL route URL (without ?ca=)
						 * or NULL */
};

/*
 * Fill serial with a fresh random positive serial number of 127 bits
 * (RFC 5280 section 4.1.2.2: at most 20 octets; CA/B: 64+ bits of
 * entropy).  Returns 1 or 0.
 */
int		 ca_serial_new(ASN1_INTEGER *serial);

/*
 * Build and sign a certificate under the CA signer ca for the key
 * p->spki (SubjectPublicKeyInfo DER of an RSA or named-curve EC key,
 * copied verbatim, not decoded: about 0.2 ms less than p->pubkey on
 * OpenSSL 3.0) or, when p->spki is NULL, p->pubkey: version 3, serial,
 * subject, validity [now - 5 min, now + validity] cut at the CA's own
 * notAfter, basicConstraints CA:FALSE (critical), keyUsage
 * digitalSignature and keyEncipherment (critical; digitalSignature only
 * for an EC key), the profile's extendedKeyUsage, subject and authority
 * key identifiers, the SANs if given (critical when the subject is
 * empty, RFC 5280 section 4.2.1.6) and, if p->crl_url is given, the CRL
 * distribution point <crl_url>?ca=<id of ca> (signer_get0_id()), so the
 * URL keeps naming this CA's CRL after a rollover.  Nothing is copied
 * from a CSR but what is passed here.
 * Returns the certificate (free with X509_free()) or NULL.  With
 * p->spki its public key is left undecoded in memory: X509_get0_pubkey()
 * of the result is NULL (i2d and the extensions work); parse its DER
 * again to verify it or to use its key.
 */
X509		*ca_issue(const struct signer *ca, const struct ca_issue *p,
		    const ASN1_INTEGER *serial);

/* One revoked certificate for ca_crl_build(). */
struct ca_revoked {
	const uint8_t	*serial;	/* big-endian magnitude */
	size_t		 serial_len;
	time_t		 when;
	int		 reason;	/* CRL reason code, -1: none */
};

/*
 * Build and sign a CRL v2 under ca: lastUpdate now, nextUpdate
 * now + next, the CRL number, the authority key identifier, and the
 * revoked entries.  Returns the CRL (free with X509_CRL_free()) or NULL.
 */
X509_CRL	*ca_crl_build(const struct signer *ca,
		    const struct ca_revoked *rev, size_t nrev, uint64_t number,
		    time_t now, time_t next);

/* Key types for ca_key_new(). */
enum ca_keytype {
	CA_KEY_RSA,
	CA_KEY_P256,
	CA_KEY_P384,
	CA_KEY__MAX
};

/* A new private key: RSA of bits bits, or an EC key on a named curve. */
EVP_PKEY	*ca_key_new(enum ca_keytype t, int bits);

/*
 * A self-signed root CA certificate for key: subject, validity
 * [now - 5 min, now + days], basicConstraints CA:TRUE with pathlen
 * (critical; pathlen < 0: no limit), keyUsage keyCertSign and cRLSign
 * (critical), plus digitalSignature and keyEncipherment when
 * single_ca (a --no-ra RSA CA that also signs and decrypts SCEP
 * messages, RFC 8894 section 2.1.2), subject key identifier.
 * Returns the certificate or NULL.
 */
X509		*ca_root_new(EVP_PKEY *key, const X509_NAME *subject,
		    time_t now, int days, int pathlen, int single_ca);

/*
 * An RA certificate for the RSA key rakey under the CA signer ca:
 * basicConstraints CA:FALSE, keyUsage digitalSignature and
 * keyEncipherment (critical), subject and authority key identifiers.
 * Returns the certificate or NULL.
 */
X509		*ca_ra_new(const struct signer *ca, EVP_PKEY *rakey,
		    const X509_NAME *subject, time_t now, int days);

/* SHA-256 of a certificate's DER (fingerprint) and of its public key
 * (SubjectPublicKeyInfo DER).  Return 1 or 0. */
int		 ca_cert_fingerprint(X509 *x, uint8_t md[32]);
int		 ca_pubkey_hash(X509_PUBKEY *pk, uint8_t md[32]);

/*
 * Whether the CA certificate ca issued x: the names chain and the
 * authority key identifier of x matches the CA's subject key identifier
 * (X509_check_issued()); when either is missing (two CAs of one tenant
 * share their subject after a rollover), the signature of x under the
 * CA's public key decides.  Returns 1 or 0.
 */
int		 ca_cert_issued_by(X509 *ca, X509 *x);
/*
 * The same for the certificate DER der[0..len), exactly one, decided
 * without decoding its public key when it can be: the issuer name
 * equals the CA's subject and its authority key identifier holds only
 * a keyIdentifier, which must equal the CA's subject key identifier.
 * Otherwise (no identifier on either side, or an authorityCertIssuer)
 * as ca_cert_issued_by().  Returns 1 or 0 (0 for DER that does not
 * parse).
 */
int		 ca_der_issued_by(X509 *ca, const uint8_t *der, size_t len);

#endif /* SRC_CA_H */
