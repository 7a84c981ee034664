/*
 * oid.c: the object identifiers SCEP uses, built once (rpki-client
 * x509_init_oid() style), and the algorithm tables of INTEROP.md 6.1.
 */
#include "config.h"

#include <stddef.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include "scep/extern.h"

/* RFC 8894 section 3.2 and the IANA SMI "id-scep" arc. */
static const char *const oid_text[SCEP_OID__MAX] = {
	"2.16.840.1.113733.1.9.7",	/* transactionID */
	"2.16.840.1.113733.1.9.2",	/* messageType */
	"2.16.840.1.113733.1.9.3",	/* pkiStatus */
	"2.16.840.1.113733.1.9.4",	/* failInfo */
	"2.16.840.1.113733.1.9.5",	/* senderNonce */
	"2.16.840.1.113733.1.9.6",	/* recipientNonce */
	"1.3.6.1.5.5.7.24.1",		/* id-scep-failInfoText */
};

/* The library's only global: filled by scep_init(), never freed. */
static ASN1_OBJECT *oid_obj[SCEP_OID__MAX];

/* Content-encryption algorithms, by enum scep_cipher. */
static const int cipher_nid[SCEP_CIPHER__MAX] = {
	NID_aes_128_cbc,
	NID_aes_192_cbc,
	NID_aes_256_cbc,
	NID_des_ede3_cbc,
	NID_des_cbc,
};

/* Digest algorithms, by enum scep_digest. */
static const int digest_nid[SCEP_DIGEST__MAX] = {
	NID_md5,
	NID_sha1,
	NID_sha224,
	NID_sha256,
	NID_sha384,
	NID_sha512,
};

/*
 * Build the OID table.  Objects are created without registering new
 * NIDs (OBJ_txt2obj with no_name), so nothing global in OpenSSL changes.
 * Returns 1 on success, 0 on failure (out of memory).
 */
int
scep_init(void)
{
	size_t	 i;

	for (i = 0; i < SCEP_OID__MAX; i++) {
		if (oid_obj[i] != NULL)
			continue;
		if ((oid_obj[i] = OBJ_txt2obj(oid_text[i], 1)) == NULL)
			return 0;
	}
	return 1;
}

/*
 * The object for o; borrowed from the table.  NULL only if scep_init()
 * was not called or failed.
 */
const ASN1_OBJECT *
scep_oid(enum scep_oid o)
{
	if ((size_t)o >= SCEP_OID__MAX)
		return NULL;
	return oid_obj[o];
}

/*
 * Map a content-encryption AlgorithmIdentifier OID to enum scep_cipher.
 * Returns 1 if the cipher is one of INTEROP.md 6.1, else 0.
 */
int
scep_cipher_from_obj(const ASN1_OBJECT *obj, enum scep_cipher *out)
{
	int	 nid;
	size_t	 i;

	if (obj == NULL || (nid = OBJ_obj2nid(obj)) == NID_undef)
		return 0;
	for (i = 0; i < SCEP_CIPHER__MAX; i++)
		if (cipher_nid[i] == nid) {
			*out = (enum scep_cipher)i;
			return 1;
		}
	return 0;
}

/*
 * Map a digest AlgorithmIdentifier OID to enum scep_digest.
 * Returns 1 if the digest is one of INTEROP.md 6.1, else 0.
 */
int
scep_digest_from_obj(const ASN1_OBJECT *obj, enum scep_digest *out)
{
	int	 nid;
	size_t	 i;

	if (obj == NULL || (nid = OBJ_obj2nid(obj)) == NID_undef)
		return 0;
	for (i = 0; i < SCEP_DIGEST__MAX; i++)
		if (digest_nid[i] == nid) {
			*out = (enum scep_digest)i;
			return 1;
		}
	return 0;
}

/* The OpenSSL NID of cipher c, NID_undef if out of range. */
int
scep_cipher_nid(enum scep_cipher c)
{
	if ((size_t)c >= SCEP_CIPHER__MAX)
		return NID_undef;
	return cipher_nid[c];
}

/* The OpenSSL NID of digest d, NID_undef if out of range. */
int
scep_digest_nid(enum scep_digest d)
{
	if ((size_t)d >= SCEP_DIGEST__MAX)
		return NID_undef;
	return digest_nid[d];
}
