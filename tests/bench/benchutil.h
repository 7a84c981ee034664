/*
 * benchutil.h: what the benchmark programs share (tests/bench/README).
 */
#ifndef BENCH_BENCHUTIL_H
#define BENCH_BENCHUTIL_H

#include <openssl/types.h>

/*
 * The number at the start of s, in [lo, hi], followed by nothing, a
 * comma, a space or a newline (so that lists parse too); otherwise a
 * message naming prog on stderr and exit(1).
 */
long	 bench_number(const char *prog, const char *s, long lo, long hi);

/*
 * The CPU cost (user + system time of this process) in ms of one
 * private-key and one public-key operation with the RSA key: ops PKCS#1
 * v1.5 signatures over a SHA-256 digest, then as many verifications,
 * with EVP (what "openssl speed rsa2048" measures).  Returns 1 or 0.
 */
int	 bench_rsa_speed(EVP_PKEY *key, int ops, double *priv_ms,
	    double *pub_ms);

/* CPU time of this process in seconds (user + system). */
double	 bench_cpu_now(void);

#endif /* BENCH_BENCHUTIL_H */
