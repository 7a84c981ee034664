/*
 * jobseal.h: the CSR of a queued webhook job, sealed for the store.
 *
 * A queued CSR holds the client's challenge password (INTEROP.md 6.4),
 * and LMDB does not wipe freed pages: a deleted record's bytes may stay
 * in the map file until the page is reused.  So the CSR is stored only
 * sealed (AES-256-GCM under a key derived from the tenant's
 * webhook_secret, bound to the request's key), and nothing readable is
 * left behind once the job is deleted.  Workers seal, scepd-webhook(8)
 * opens.
 */
#ifndef SRC_JOBSEAL_H
#define SRC_JOBSEAL_H

#include <stddef.h>
#include <stdint.h>

#include "src/store.h"

/* Bytes a sealed CSR adds: a 12-byte nonce and a 16-byte tag. */
#define JOBSEAL_OVERHEAD	28

/*
 * Seal the CSR DER (csr, len) for the job of key under secret.
 * Returns 1 with *out (len + JOBSEAL_OVERHEAD bytes in *outlen, free
 * with free()), or 0.
 */
int	 jobseal_seal(const char *secret, size_t secretlen,
	    const struct store_reqkey *key, const uint8_t *csr, size_t len,
	    uint8_t **out, size_t *outlen);
/*
 * Open a sealed CSR; 1 with *out (cleanse and free with free()), or 0
 * when it does not authenticate (another secret, another request, a
 * damaged record).
 */
int	 jobseal_open(const char *secret, size_t secretlen,
	    const struct store_reqkey *key, const uint8_t *in, size_t len,
	    uint8_t **out, size_t *outlen);

#endif /* SRC_JOBSEAL_H */
