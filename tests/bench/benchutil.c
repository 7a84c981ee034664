/*
 * benchutil.c: what the benchmark programs share; see benchutil.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "tests/bench/benchutil.h"

long
bench_number(const char *prog, const char *s, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || (*end != '\0' && *end != ',' &&
	    *end != '\n' && *end != ' ') || v < lo || v > hi) {
		fprintf(stderr, "%s: bad number \"%s\"\n", prog, s);
		exit(1);
	}
	return v;
}

double
bench_cpu_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
bench_rsa_speed(EVP_PKEY *key, int ops, double *priv_ms, double *pub_ms)
{
	EVP_PKEY_CTX	*sctx = NULL, *vctx = NULL;
	unsigned char	 md[32], sig[512];
	size_t		 siglen = 0;
	double		 t0;
	int		 i, rc = 0;

	memset(md, 0x5a, sizeof(md));
	if (ops <= 0 ||
	    (sctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    EVP_PKEY_sign_init(sctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(sctx, EVP_sha256()) <= 0 ||
	    (vctx = EVP_PKEY_CTX_new(key, NULL)) == NULL ||
	    EVP_PKEY_verify_init(vctx) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(vctx, EVP_sha256()) <= 0)
		goto out;
	t0 = bench_cpu_now();
	for (i = 0; i < ops; i++) {
		siglen = sizeof(sig);
		if (EVP_PKEY_sign(sctx, sig, &siglen, md, sizeof(md)) <= 0)
			goto out;
	}
	*priv_ms = (bench_cpu_now() - t0) * 1000.0 / ops;
	t0 = bench_cpu_now();
	for (i = 0; i < ops; i++)
		if (EVP_PKEY_verify(vctx, sig, siglen, md, sizeof(md)) != 1)
			goto out;
	*pub_ms = (bench_cpu_now() - t0) * 1000.0 / ops;
	rc = 1;
out:
	EVP_PKEY_CTX_free(sctx);
	EVP_PKEY_CTX_free(vctx);
	return rc;
}
