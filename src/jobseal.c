/*
 * jobseal.c: AES-256-GCM sealing of a queued webhook job's CSR; see
 * jobseal.h for why.  The key is HMAC-SHA256(webhook_secret, "scepd
 * webhook job v1") (a one-step KDF: the secret is a configured random
 * string of at least 8 characters); the additional data is the request
 * key (tenant, transactionID, requester key hash), so a sealed CSR
 * cannot be moved to another request.  Record: nonce[12] ct tag[16].
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "src/jobseal.h"

#define NONCE_LEN	12
#define TAG_LEN		16
#define KEY_LEN		32
#define KDF_LABEL	"scepd webhook job v1"

/* The sealing key of secret into key[KEY_LEN]; 1 or 0. */
static int
derive(const char *secret, size_t secretlen, uint8_t key[KEY_LEN])
{
	size_t	 n = 0;

	return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret,
	    secretlen, (const unsigned char *)KDF_LABEL, strlen(KDF_LABEL),
	    key, KEY_LEN, &n) != NULL && n == KEY_LEN;
}

/* The request key as additional data: each part after its length. */
static int
aad(EVP_CIPHER_CTX *c, const struct store_reqkey *k)
{
	unsigned char	 l[2];
	int		 n;

	l[0] = (unsigned char)strlen(k->tenant);
	l[1] = (unsigned char)k->txid_len;
	return EVP_CipherUpdate(c, NULL, &n, l, 1) == 1 &&
	    EVP_CipherUpdate(c, NULL, &n, (const unsigned char *)k->tenant,
	    l[0]) == 1 &&
	    EVP_CipherUpdate(c, NULL, &n, l + 1, 1) == 1 &&
	    EVP_CipherUpdate(c, NULL, &n, k->txid, (int)k->txid_len) == 1 &&
	    EVP_CipherUpdate(c, NULL, &n, k->keyhash, STORE_HASH_LEN) == 1;
}

/*
 * Seal or open (enc 1 or 0) in one pass: the same GCM calls serve both
 * (EVP_CipherUpdate), only the tag handling differs.
 */
static int
gcm_crypt(int enc, const char *secret, size_t secretlen,
    const struct store_reqkey *k, const uint8_t *nonce, const uint8_t *in,
    size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX	*c = NULL;
	EVP_CIPHER	*ciph = NULL;
	uint8_t		 key[KEY_LEN];
	int		 n, ok = 0;

	if (len > INT_MAX || !derive(secret, secretlen, key))
		goto out;
	if ((ciph = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL ||
	    (c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(c, ciph, NULL, key, nonce, enc) != 1 ||
	    !aad(c, k) ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1 ||
	    (size_t)n != len)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &n) != 1 || n != 0)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    tag) != 1)
		goto out;
	ok = 1;
out:
	OPENSSL_cleanse(key, sizeof(key));
	EVP_CIPHER_CTX_free(c);
	EVP_CIPHER_free(ciph);
	return ok;
}

/* Seal; see jobseal.h. */
int
jobseal_seal(const char *secret, size_t secretlen,
    const struct store_reqkey *key, const uint8_t *csr, size_t len,
    uint8_t **out, size_t *outlen)
{
	uint8_t	*b = NULL;
	int	 ok = 0;

	*out = NULL;
	*outlen = 0;
	if (len == 0 || len > SIZE_MAX - JOBSEAL_OVERHEAD ||
	    (b = malloc(len + JOBSEAL_OVERHEAD)) == NULL)
		goto out;
	/* A random nonce: one key seals many CSRs. */
	if (RAND_bytes(b, NONCE_LEN) != 1 ||
	    !gcm_crypt(1, secret, secretlen, key, b, csr, len, b + NONCE_LEN,
	    b + NONCE_LEN + len))
		goto out;
	*out = b;
	*outlen = len + JOBSEAL_OVERHEAD;
	b = NULL;
	ok = 1;
out:
	free(b);
	return ok;
}

/* Open; see jobseal.h. */
int
jobseal_open(const char *secret, size_t secretlen,
    const struct store_reqkey *key, const uint8_t *in, size_t len,
    uint8_t **out, size_t *outlen)
{
	uint8_t	*b = NULL, tag[TAG_LEN];
	size_t	 n = 0;
	int	 ok = 0;

	*out = NULL;
	*outlen = 0;
	if (len <= JOBSEAL_OVERHEAD)
		goto out;
	n = len - JOBSEAL_OVERHEAD;
	if ((b = malloc(n)) == NULL)
		goto out;
	memcpy(tag, in + NONCE_LEN + n, TAG_LEN);
	if (!gcm_crypt(0, secret, secretlen, key, in, in + NONCE_LEN, n, b,
	    tag))
		goto out;
	*out = b;
	*outlen = n;
	b = NULL;
	ok = 1;
out:
	/* A failed open may have written unauthenticated bytes. */
	if (b != NULL)
		OPENSSL_cleanse(b, n);
	free(b);
	return ok;
}
