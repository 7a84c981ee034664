/*
 * testutil.h: helpers shared by the Check suites.  Test data lives
 * under $SCEP_TESTDATA (set by make check to tests/data).
 */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>
#include <openssl/x509.h>

#include "scep/scep.h"

/* 2026-11-23T18:10:00Z: the corpus capture time, injected as "now". */
#define TEST_NOW	((time_t)1795457400)

/* The data folder ($SCEP_TESTDATA, or "tests/data"). */
const char	*tu_datadir(void);
/* Read a file below the data folder (or an absolute path) whole;
 * aborts the test on failure.  Free with free(). */
uint8_t		*tu_read(const char *rel, size_t *len);
/* Load a PEM certificate / private key / CRL below the data folder. */
X509		*tu_cert(const char *rel);
EVP_PKEY	*tu_key(const char *rel);
/* A fresh RSA key of bits bits (cached per process for 2048). */
EVP_PKEY	*tu_rsa_key(int bits);
/* A fresh EC P-256 key. */
EVP_PKEY	*tu_ec_key(void);
/* A name from "CN=x,O=y" (comma separated, no escaping). */
X509_NAME	*tu_name(const char *s);
/* A CSR for key with subject and optional challenge password (NULL),
 * signed with SHA-256. */
X509_REQ	*tu_csr(EVP_PKEY *key, const char *subject, const char *challenge);
/* A certificate for key with subject, signed by issuer/ikey (self-signed
 * when issuer is NULL), serial, valid [now - 1 h, now + days]. */
X509		*tu_issue(EVP_PKEY *key, const char *subject, X509 *issuer,
		    EVP_PKEY *ikey, long serial, time_t now, int days);
/* The library context every test uses (DES enabled); created once. */
struct scep_ctx	*tu_ctx(void);
/* A policy that accepts everything (all ciphers and digests). */
void		 tu_policy_all(struct scep_policy *pol);
/* Split a line of a TSV file in place; returns the number of fields. */
size_t		 tu_tsv_split(char *line, char **fields, size_t max);

#endif /* TESTS_TESTUTIL_H */
