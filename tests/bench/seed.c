/*
 * seed: store N certificates of a tenant through store_bulk_load(), to
 * measure scepd on a full database (tests/bench/README, run.sh).
 *
 *	seed -d DBDIR -t TENANT -n N [-m MAPSIZE] [-j JOBS] [-b BATCH]
 *
 * Every certificate is what ca_issue() makes for an enrolment: a fresh
 * random 127-bit serial (ca_serial_new()), its own subject
 * (CN=seed-<i>,O=scepd-seed), the clientAuth profile's extensions, and
 * its own fresh EC P-256 key, so that each index of the store (serial,
 * fingerprint, key, subject, expiry) gets N distinct entries.  Validity
 * runs from 30 to 394 days, spread over the certificates, so that the
 * expiry index is not one hot spot.
 *
 * To build 1,000,000 of them in about a minute they are not signed by
 * the tenant's RSA-2048 CA key (about 1.5 ms a signature) but by a
 * throwaway self-signed EC P-256 issuer made here (ECDSA: tens of
 * microseconds).  The store parses only serial, validity, subject and
 * key and never checks a signature, so this changes nothing it does.
 * The certificates are built by JOBS child processes (default: the
 * number of CPUs), each sending its share through a pipe as a 4-byte
 * length and the DER; the parent, which alone opens the store (store.h:
 * never used across fork()), stores them BATCH at a time (one write
 * transaction each; default 10000).
 *
 * The database may be in use by running workers: LMDB serialises the
 * writers.  MAPSIZE must be the map_size of scepd.conf (default: the
 * store's default).  Exit status 0 when all N are stored.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep/scep.h"
#include "src/ca.h"
#include "src/store.h"

#define MAX_JOBS	64
/* A seeded certificate is about 600 bytes; refuse anything absurd. */
#define MAX_DER		8192
#define ISSUER_DAYS	3650
#define DAY		86400

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: seed -d DBDIR -t TENANT -n N [-m MAPSIZE] "
	    "[-j JOBS] [-b BATCH]\n");
	exit(1);
}

/* Seconds since t0. */
static double
since(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * A size: digits with an optional K, M, G or T suffix (powers of 1024).
 * Returns 1 with *out, or 0.
 */
static int
size_arg(const char *s, size_t *out)
{
	char			*end;
	unsigned long long	 v;
	int			 shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	default: break;
	}
	if (*end != '\0' || v > (SIZE_MAX >> shift))
		return 0;
	*out = (size_t)(v << shift);
	return 1;
}

/* A count in [lo, hi] or exit. */
static size_t
count_arg(const char *s, size_t lo, size_t hi)
{
	size_t	 v;

	if (!size_arg(s, &v) || v < lo || v > hi) {
		fprintf(stderr, "seed: bad number \"%s\"\n", s);
		exit(1);
	}
	return v;
}

/*
 * The throwaway issuer: a self-signed EC P-256 root named after the
 * tenant.  Returns a signer (free with signer_free()) or NULL.
 */
static struct signer *
issuer_new(const char *tenant, time_t now)
{
	EVP_PKEY	*key = NULL;
	X509_NAME	*name = NULL;
	X509		*cert = NULL;
	struct signer	*s = NULL;
	char		 cn[STORE_TENANT_MAX + 32];

	snprintf(cn, sizeof(cn), "%s seed issuer", tenant);
	if ((key = ca_key_new(CA_KEY_P256, 0)) == NULL ||
	    (name = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    (cert = ca_root_new(key, name, now, ISSUER_DAYS, 0, 0)) == NULL)
		goto out;
	s = signer_new(cert, key);
out:
	X509_free(cert);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	return s;
}

/*
 * Certificate i: a fresh P-256 key, subject CN=seed-<i>, a fresh serial,
 * signed by issuer.  Returns its DER length with *der (free with
 * OPENSSL_free()) or 0.
 */
static size_t
cert_make(const struct signer *issuer, size_t i, time_t now, uint8_t **der)
{
	struct ca_issue	 p;
	EVP_PKEY	*key = NULL;
	X509_NAME	*name = NULL;
	ASN1_INTEGER	*serial = NULL;
	X509		*x = NULL;
	char		 cn[64];
	int		 len;
	size_t		 rc = 0;

	*der = NULL;
	snprintf(cn, sizeof(cn), "seed-%zu", i);
	if ((key = ca_key_new(CA_KEY_P256, 0)) == NULL ||
	    (name = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"scepd-seed", -1, -1, 0) ||
	    (serial = ASN1_INTEGER_new()) == NULL || !ca_serial_new(serial))
		goto out;
	memset(&p, 0, sizeof(p));
	p.subject = name;
	p.pubkey = key;
	p.profile = CONF_PROFILE_CLIENT;
	p.now = now;
	p.validity = (time_t)(30 + i % 365) * DAY;
	if ((x = ca_issue(issuer, &p, serial)) == NULL ||
	    (len = i2d_X509(x, der)) <= 0)
		goto out;
	rc = (size_t)len;
out:
	X509_free(x);
	ASN1_INTEGER_free(serial);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	return rc;
}

/*
 * Child job of jobs: build certificates job, job + jobs, ... < n and
 * write each to fd as a 4-byte length and the DER.  Returns 1 or 0.
 */
static int
child(const struct signer *issuer, size_t job, size_t jobs, size_t n,
    time_t now, int fd)
{
	FILE		*f = NULL;
	uint8_t		*der = NULL;
	uint32_t	 len;
	size_t		 i;
	int		 rc = 0;

	if ((f = fdopen(fd, "w")) == NULL)
		goto out;
	for (i = job; i < n; i += jobs) {
		if ((len = (uint32_t)cert_make(issuer, i, now, &der)) == 0) {
			fprintf(stderr, "seed: certificate %zu failed\n", i);
			ERR_print_errors_fp(stderr);
			goto out;
		}
		if (fwrite(&len, sizeof(len), 1, f) != 1 ||
		    fwrite(der, len, 1, f) != 1)
			goto out;
		OPENSSL_free(der);
		der = NULL;
	}
	if (fflush(f) != 0)
		goto out;
	rc = 1;
out:
	OPENSSL_free(der);
	if (f != NULL)
		fclose(f);
	return rc;
}

/* Read one length-prefixed certificate from f into a new buffer. */
static uint8_t *
read_cert(FILE *f, size_t *len)
{
	uint8_t		*der = NULL;
	uint32_t	 l;

	if (fread(&l, sizeof(l), 1, f) != 1 || l == 0 || l > MAX_DER ||
	    (der = malloc(l)) == NULL)
		return NULL;
	if (fread(der, l, 1, f) != 1) {
		free(der);
		return NULL;
	}
	*len = l;
	return der;
}

int
main(int argc, char *argv[])
{
	struct store		*st = NULL;
	struct signer		*issuer = NULL;
	struct store_cert_in	*in = NULL;
	struct store_stat	 sst;
	struct timespec		 t0;
	FILE			*rd[MAX_JOBS];
	pid_t			 pid[MAX_JOBS];
	const char		*dir = NULL, *tenant = NULL;
	size_t			 n = 0, mapsize = 0, batch = 10000, jobs;
	size_t			 k, m, done = 0, loaded;
	time_t			 now;
	enum store_rc		 src;
	long			 ncpu;
	char			 err[256];
	int			 fds[2], ch, status, ex = 1;

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	jobs = ncpu < 1 ? 1 : ncpu > MAX_JOBS ? MAX_JOBS : (size_t)ncpu;
	while ((ch = getopt(argc, argv, "b:d:j:m:n:t:")) != -1) {
		switch (ch) {
		case 'b':
			batch = count_arg(optarg, 1, 1000000);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'j':
			jobs = count_arg(optarg, 1, MAX_JOBS);
			break;
		case 'm':
			if (!size_arg(optarg, &mapsize))
				usage();
			break;
		case 'n':
			n = count_arg(optarg, 1, 100000000);
			break;
		case 't':
			tenant = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || dir == NULL || tenant == NULL || n == 0)
		usage();
	if (!store_tenant_valid(tenant)) {
		fprintf(stderr, "seed: bad tenant name \"%s\"\n", tenant);
		return 1;
	}
	for (k = 0; k < MAX_JOBS; k++) {
		rd[k] = NULL;
		pid[k] = -1;
	}
	if (!scep_init()) {
		fprintf(stderr, "seed: scep_init failed\n");
		return 1;
	}
	now = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((issuer = issuer_new(tenant, now)) == NULL) {
		fprintf(stderr, "seed: cannot make the issuer\n");
		goto out;
	}

	/* The builders, before the store is opened (no store in a child). */
	for (k = 0; k < jobs; k++) {
		if (pipe(fds) == -1) {
			perror("seed: pipe");
			goto out;
		}
		if ((pid[k] = fork()) == -1) {
			perror("seed: fork");
			close(fds[0]);
			close(fds[1]);
			goto out;
		}
		if (pid[k] == 0) {
			close(fds[0]);
			for (m = 0; m < k; m++)
				fclose(rd[m]);
			_exit(child(issuer, k, jobs, n, now, fds[1]) ? 0 : 1);
		}
		close(fds[1]);
		if ((rd[k] = fdopen(fds[0], "r")) == NULL) {
			close(fds[0]);
			goto out;
		}
	}

	if ((st = store_open(dir, 0, mapsize, err, sizeof(err))) == NULL) {
		fprintf(stderr, "seed: %s: %s\n", dir, err);
		goto out;
	}
	if ((in = calloc(batch, sizeof(*in))) == NULL)
		goto out;
	while (done < n) {
		m = n - done < batch ? n - done : batch;
		/* Certificate i comes from job i % jobs, in order. */
		for (k = 0; k < m; k++) {
			in[k].tenant = tenant;
			in[k].origin = STORE_ORIGIN_SCEP;
			in[k].issued_at = now;
			if ((in[k].der = read_cert(rd[(done + k) % jobs],
			    &in[k].der_len)) == NULL) {
				fprintf(stderr, "seed: a builder failed\n");
				goto out;
			}
		}
		src = store_bulk_load(st, in, m, m, &loaded);
		for (k = 0; k < m; k++) {
			free((void *)in[k].der);
			in[k].der = NULL;
		}
		if (src != STORE_OK) {
			fprintf(stderr, "seed: store_bulk_load: %s: %s\n",
			    store_rc_str(src), store_errstr(st));
			goto out;
		}
		done += m;
		if (done % 100000 == 0 || done == n)
			fprintf(stderr, "seed: %zu stored, %.1f s\n", done,
			    since(&t0));
	}
	if (store_stat(st, &sst) != STORE_OK)
		goto out;
	printf("%zu certificates stored for %s in %.1f s (%.0f/s); "
	    "store holds %zu certificates, %zu MiB of %zu MiB map\n", n,
	    tenant, since(&t0), (double)n / since(&t0), sst.certs,
	    sst.map_used >> 20, sst.map_size >> 20);
	ex = 0;
out:
	for (k = 0; k < jobs; k++)
		if (rd[k] != NULL)
			fclose(rd[k]);
	for (k = 0; k < jobs; k++) {
		if (pid[k] <= 0)
			continue;
		if (ex != 0)
			kill(pid[k], SIGTERM);
		if (waitpid(pid[k], &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			ex = 1;
	}
	for (k = 0; in != NULL && k < batch; k++)
		free((void *)in[k].der);
	free(in);
	store_close(st);
	signer_free(issuer);
	return ex;
}
