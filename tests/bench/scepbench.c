/*
 * scepbench: a SCEP enrolment load generator (see tests/bench/README).
 *
 *	scepbench -u URL [-n N] [-c C] [-g] [-k KEYS] [-E cipher]
 *	    [-S digest] [--challenge X] [--pids PID,...] [--pidfile F]...
 *	    [--rss PID,...] [-L|--lenient] [-T timeout_ms] [-v]
 *	scepbench --caps -u URL [-n N] [-c C] [--pids PID,...] ...
 *
 * Before the clock starts it measures the cost of RSA-2048 private and
 * public operations in this process (what "openssl speed rsa2048"
 * reports), fetches the CA certificates and pre-builds N PKCSReq
 * messages from a pool of KEYS client keys (RSA key generation is far
 * dearer than an enrolment), each with its own subject and
 * transactionID.  It then sends them over C concurrent connections
 * (libcurl multi interface) by POST, or GET with -g, and stops the
 * clock when the last reply is in.  Every reply is then checked fully
 * (client.c: signed by the GetCACert RA, nonces, transactionID,
 * envelope opened, issued key = our key); checking after the clock
 * keeps the client's own RSA work out of the server's measurement.
 * The CPU time of the --pids processes (utime + stime, children not
 * included) is read before and after.  Exit status 0 only when every
 * enrolment succeeded.  With --caps it sends N GetCACaps instead, no
 * cryptography at all: the server CPU of the transport alone (web
 * server, FastCGI, routing), the floor under every enrolment.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "scep/scep.h"
#include "tests/bench/benchutil.h"
#include "tests/integ/client.h"

#define MAX_PIDS	64
/* RSA operations timed for the budget (as "openssl speed" counts). */
#define RSA_OPS		1000
/* Failure reasons printed in full. */
#define MAX_SHOWN	5

/* The processes whose CPU time (or memory) is measured. */
struct pids {
	pid_t	 pid[MAX_PIDS];
	size_t	 n;
};

/* One in-flight request: its index and when it was handed to curl. */
struct slot {
	CURL		*easy;
	size_t		 idx;
	struct timespec	 t0;
};

/* One enrolment: its message, the raw answer, the latency. */
struct job {
	struct sc_txn	 txn;
	struct sc_http	 resp;
	CURLcode	 cc;
	double		 ms;
	int		 done;
	char		*serial;	/* issued serial (hex), once checked */
};

/* What the run sends. */
enum mode {
	M_POST,		/* PKCSReq by POST */
	M_GET,		/* PKCSReq by GET */
	M_CAPS,		/* GetCACaps */
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: scepbench -u URL [-n N] [-c C] [-g] "
	    "[-k KEYS] [-E cipher] [-S digest] [-L|--lenient]\n"
	    "\t[--challenge X] [--pids PID,...] [--pidfile FILE]... "
	    "[--rss PID,...]\n\t[-T timeout_ms] [-v]\n");
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

/* Add the PIDs of a list separated by commas or white space. */
static void
pids_add(struct pids *p, const char *s)
{
	while (*s != '\0') {
		if (*s == ',' || *s == ' ' || *s == '\n' || *s == '\t') {
			s++;
			continue;
		}
		if (p->n == MAX_PIDS) {
			fprintf(stderr, "scepbench: more than %d PIDs\n",
			    MAX_PIDS);
			exit(1);
		}
		p->pid[p->n++] = (pid_t)bench_number("scepbench", s, 1,
		    INT_MAX);
		s += strspn(s, "0123456789");
	}
}

/* Add the PIDs a pidfile holds. */
static void
pids_file(struct pids *p, const char *path)
{
	FILE	*f;
	char	 buf[4096];
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "scepbench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	pids_add(p, buf);
}

/*
 * CPU time in clock ticks (utime + stime, fields 14 and 15 of
 * /proc/PID/stat, proc(5); children not included) summed over p, or -1
 * when a process cannot be read.
 */
static long long
pids_cpu(const struct pids *p)
{
	char		 path[64], buf[2048], *s;
	FILE		*f;
	size_t		 i, n;
	long long	 sum = 0, ut, st;

	for (i = 0; i < p->n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)p->pid[i]);
		if ((f = fopen(path, "r")) == NULL)
			return -1;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* The command name may hold anything: skip to its ')'. */
		if ((s = strrchr(buf, ')')) == NULL ||
		    sscanf(s + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
		    "%*u %lld %lld", &ut, &st) != 2)
			return -1;
		sum += ut + st;
	}
	return sum;
}

/* Print VmRSS and RssAnon of each process (proc(5)). */
static void
pids_rss(const struct pids *p, const char *when)
{
	char	 path[64], line[256];
	FILE	*f;
	size_t	 i;
	long	 rss, anon;

	for (i = 0; i < p->n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid[i]);
		rss = anon = -1;
		if ((f = fopen(path, "r")) != NULL) {
			while (fgets(line, sizeof(line), f) != NULL) {
				if (strncmp(line, "VmRSS:", 6) == 0)
					rss = strtol(line + 6, NULL, 10);
				else if (strncmp(line, "RssAnon:", 8) == 0)
					anon = strtol(line + 8, NULL, 10);
			}
			fclose(f);
		}
		printf("rss %-6s pid %-7d VmRSS %ld kB RssAnon %ld kB\n",
		    when, (int)p->pid[i], rss, anon);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double
percentile(const double *v, size_t n, double p)
{
	size_t	 k;

	if (n == 0)
		return 0;
	k = (size_t)(p * (double)n + 0.999999);
	return v[k == 0 ? 0 : k - 1];
}

/* Point easy at job j's request. */
static int
job_start(struct sc_client *cl, CURL *easy, struct job *j, enum mode mode)
{
	if (mode == M_CAPS)
		return sc_easy_get(cl, easy, "GetCACaps", &j->resp);
	return sc_easy_pkiop(cl, easy, &j->txn.der, mode == M_GET, &j->resp);
}

/*
 * Send jobs[0..n) with c transfers in flight on one multi handle; each
 * easy handle takes the next job when its transfer ends.  Returns 1,
 * or 0 when curl itself failed.
 */
static int
run(struct sc_client *cl, struct job *jobs, size_t n, int c, enum mode mode)
{
	CURLM		*multi = NULL;
	CURLMsg		*m;
	struct slot	*slots = NULL, *s;
	size_t		 next = 0, ndone = 0;
	int		 i, left, running, rc = 0;

	if ((multi = curl_multi_init()) == NULL ||
	    (slots = calloc((size_t)c, sizeof(*slots))) == NULL)
		goto out;
	/* At most c connections, kept alive between requests. */
	if (curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)c) != CURLM_OK ||
	    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)c) !=
	    CURLM_OK)
		goto out;
	for (i = 0; i < c; i++) {
		if ((slots[i].easy = curl_easy_init()) == NULL ||
		    curl_easy_setopt(slots[i].easy, CURLOPT_PRIVATE,
		    &slots[i]) != CURLE_OK)
			goto out;
	}
	for (i = 0; i < c && next < n; i++, next++) {
		slots[i].idx = next;
		if (!job_start(cl, slots[i].easy, &jobs[next], mode))
			goto out;
		clock_gettime(CLOCK_MONOTONIC, &slots[i].t0);
		if (curl_multi_add_handle(multi, slots[i].easy) != CURLM_OK)
			goto out;
	}
	while (ndone < n) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			goto out;
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s) != CURLE_OK)
				goto out;
			jobs[s->idx].ms = since(&s->t0) * 1000.0;
			jobs[s->idx].cc = m->data.result;
			jobs[s->idx].done = 1;
			sc_easy_done(s->easy, &jobs[s->idx].resp);
			ndone++;
			if (curl_multi_remove_handle(multi, s->easy) !=
			    CURLM_OK)
				goto out;
			if (next == n)
				continue;
			/* The next job on the same handle (and connection). */
			s->idx = next++;
			if (!job_start(cl, s->easy, &jobs[s->idx], mode))
				goto out;
			clock_gettime(CLOCK_MONOTONIC, &s->t0);
			if (curl_multi_add_handle(multi, s->easy) != CURLM_OK)
				goto out;
		}
		if (ndone < n &&
		    curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
			goto out;
	}
	rc = 1;
out:
	for (i = 0; slots != NULL && i < c; i++) {
		if (slots[i].easy != NULL)
			curl_multi_remove_handle(multi, slots[i].easy);
		curl_easy_cleanup(slots[i].easy);
	}
	free(slots);
	curl_multi_cleanup(multi);
	return rc;
}

/*
 * Check the answer of one job: the transfer worked, HTTP 200,
 * Content-Type application/x-pki-message, then the full CertRep check
 * of client.c, and the status must be SUCCESS.  Returns 1 with
 * j->serial set, or 0 with the reason in why.
 */
static int
verify(struct sc_client *cl, struct job *j, char *why, size_t sz)
{
	struct sc_reply	 r;
	char		 serial[128];
	int		 rc = 0;

	memset(&r, 0, sizeof(r));
	if (!j->done || j->cc != CURLE_OK) {
		snprintf(why, sz, "transfer: %s", j->done ?
		    curl_easy_strerror(j->cc) : "not done");
		goto out;
	}
	if (j->resp.status != 200) {
		snprintf(why, sz, "HTTP %ld", j->resp.status);
		goto out;
	}
	if (!sc_ctype_is(j->resp.ctype, SC_CT_PKI)) {
		snprintf(why, sz, "Content-Type \"%s\"", j->resp.ctype);
		goto out;
	}
	if (!sc_reply_check(cl, &j->txn, j->resp.body.data, j->resp.body.len,
	    &r)) {
		snprintf(why, sz, "%s", cl->err);
		goto out;
	}
	if (r.status != SCEP_STATUS_SUCCESS) {
		snprintf(why, sz, "%s%s%s%s%s", scep_status_name(r.status),
		    r.has_failinfo ? " " : "", r.has_failinfo ?
		    scep_failinfo_name(r.failinfo) : "",
		    r.failinfo_text != NULL ? " " : "",
		    r.failinfo_text != NULL ? r.failinfo_text : "");
		goto out;
	}
	sc_serial_str(X509_get0_serialNumber(r.cert), serial, sizeof(serial));
	if (serial[0] == '\0' || (j->serial = strdup(serial)) == NULL) {
		snprintf(why, sz, "cannot read the serial");
		goto out;
	}
	rc = 1;
out:
	sc_reply_free(&r);
	return rc;
}

/*
 * Generate nkeys client keys into keys[] and pre-build n PKCSReqs in
 * jobs[], each with its own subject and transactionID, printing how
 * long both took.  Returns 1 or 0.
 */
static int
prebuild(struct sc_client *cl, struct job *jobs, size_t n, EVP_PKEY **keys,
    size_t nkeys, const char *challenge, enum scep_cipher cipher,
    enum scep_digest digest)
{
	struct sc_enroll	 e;
	struct timespec		 t0;
	X509_NAME		*subj;
	char			 txid[SCEP_TXID_MAX + 1], keyid[65];
	char			 name[128];
	size_t			 i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nkeys; i++)
		if ((keys[i] = sc_rsa_new(2048)) == NULL) {
			fprintf(stderr, "scepbench: RSA key generation\n");
			return 0;
		}
	printf("keygen %zu RSA-2048 keys %.3f s\n", nkeys, since(&t0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		/* Distinct subject and transactionID per request. */
		snprintf(name, sizeof(name), "CN=scepbench-%d-%zu,O=scepbench",
		    (int)getpid(), i);
		if ((subj = sc_name_parse(name)) == NULL)
			return 0;
		if (!sc_txid_from_key(keys[i % nkeys], keyid)) {
			X509_NAME_free(subj);
			return 0;
		}
		snprintf(txid, sizeof(txid), "%s-%d-%zu", keyid,
		    (int)getpid(), i);
		memset(&e, 0, sizeof(e));
		e.key = keys[i % nkeys];
		e.subject = subj;
		e.challenge = challenge;
		e.txid = txid;
		e.cipher = cipher;
		e.digest = digest;
		e.now = time(NULL);
		if (!sc_txn_enroll(cl, &e, &jobs[i].txn)) {
			fprintf(stderr, "scepbench: %s\n", cl->err);
			X509_NAME_free(subj);
			return 0;
		}
		X509_NAME_free(subj);
	}
	printf("prebuilt %zu PKCSReq %.3f s (%zu bytes each)\n", n,
	    since(&t0), jobs[0].txn.der.len);
	return 1;
}

/*
 * Check a GetCACaps answer: HTTP 200, text/plain, the same capabilities
 * as the answer in ref.  Returns 1, or 0 with the reason in why.
 */
static int
verify_caps(const struct job *j, const struct sc_http *ref, char *why,
    size_t sz)
{
	if (!j->done || j->cc != CURLE_OK) {
		snprintf(why, sz, "transfer: %s", j->done ?
		    curl_easy_strerror(j->cc) : "not done");
		return 0;
	}
	if (j->resp.status != 200) {
		snprintf(why, sz, "HTTP %ld", j->resp.status);
		return 0;
	}
	if (!sc_ctype_is(j->resp.ctype, "text/plain")) {
		snprintf(why, sz, "Content-Type \"%s\"", j->resp.ctype);
		return 0;
	}
	if (j->resp.body.len != ref->body.len || memcmp(j->resp.body.data,
	    ref->body.data, ref->body.len) != 0) {
		snprintf(why, sz, "other capabilities than the first answer");
		return 0;
	}
	return 1;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "challenge", required_argument, NULL, 'C' },
		{ "pids", required_argument, NULL, 'P' },
		{ "pidfile", required_argument, NULL, 'F' },
		{ "rss", required_argument, NULL, 'R' },
		{ "lenient", no_argument, NULL, 'L' },
		{ "caps", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct sc_client	*cl = NULL;
	struct job		*jobs = NULL;
	EVP_PKEY		**keys = NULL, *rsakey = NULL;
	struct pids		 cpu, rss;
	struct timespec		 t0;
	const char		*url = NULL, *challenge = NULL;
	enum scep_cipher	 cipher = SCEP_CIPHER_AES128;
	enum scep_digest	 digest = SCEP_DIGEST_SHA256;
	double			*lat = NULL, priv_ms = 0, pub_ms = 0, budget;
	double			 secs, cpu_ms = 0;
	long long		 cpu0 = -1, cpu1 = -1;
	long			 timeout = 60000, tck;
	unsigned int		 caps = 0;
	size_t			 n = 100, nkeys = 16, i, k, nok = 0, nfail = 0;
	size_t			 ndup = 0;
	char			**serials = NULL;
	char			 why[300];
	struct sc_http		 ref;
	enum mode		 mode = M_POST;
	int			 c = 8, use_get = 0, verbose = 0, lenient = 0;
	int			 ch, ex = 1;

	memset(&cpu, 0, sizeof(cpu));
	memset(&rss, 0, sizeof(rss));
	memset(&ref, 0, sizeof(ref));
	while ((ch = getopt_long(argc, argv, "c:E:gk:Ln:S:T:u:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'A':
			mode = M_CAPS;
			break;
		case 'C':
			challenge = optarg;
			break;
		case 'c':
			c = (int)bench_number("scepbench", optarg, 1, 1024);
			break;
		case 'E':
			if (!sc_cipher_arg(optarg, &cipher))
				usage();
			break;
		case 'F':
			pids_file(&cpu, optarg);
			break;
		case 'g':
			use_get = 1;
			break;
		case 'L':
			lenient = 1;
			break;
		case 'k':
			nkeys = (size_t)bench_number("scepbench", optarg, 1,
			    100000);
			break;
		case 'n':
			n = (size_t)bench_number("scepbench", optarg, 1,
			    10000000);
			break;
		case 'P':
			pids_add(&cpu, optarg);
			break;
		case 'R':
			pids_add(&rss, optarg);
			break;
		case 'S':
			if (!scep_digest_from_name(optarg, &digest))
				usage();
			break;
		case 'T':
			timeout = bench_number("scepbench", optarg, 1, 3600000);
			break;
		case 'u':
			url = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || url == NULL || (use_get && mode == M_CAPS))
		usage();
	if (use_get)
		mode = M_GET;
	if (nkeys > n)
		nkeys = n;
	tck = sysconf(_SC_CLK_TCK);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    !scep_init() || (cl = sc_client_new(url, timeout, 0)) == NULL) {
		fprintf(stderr, "scepbench: cannot initialise\n");
		goto out;
	}
	cl->echoed_nonce_ok = lenient;
	if (mode == M_CAPS)
		printf("url %s\nn %zu c %d GetCACaps\n", url, n, c);
	else
		printf("url %s\nn %zu c %d method %s cipher %s digest %s "
		    "keys %zu\n", url, n, c, use_get ? "GET" : "POST",
		    scep_cipher_name(cipher), scep_digest_name(digest), nkeys);

	/* The RSA budget, measured here and now. */
	if ((rsakey = sc_rsa_new(2048)) == NULL ||
	    !bench_rsa_speed(rsakey, RSA_OPS, &priv_ms, &pub_ms)) {
		fprintf(stderr, "scepbench: RSA speed test failed\n");
		goto out;
	}
	budget = 3 * priv_ms + 3 * pub_ms;
	printf("rsa2048 private %.3f ms/op public %.3f ms/op "
	    "(in-process, %d ops each)\n", priv_ms, pub_ms, RSA_OPS);
	printf("RSA budget per enrolment = 3 priv + 3 pub = %.3f ms\n",
	    budget);

	if (!sc_getcaps(cl, &caps, &ref) || !sc_getca(cl, NULL)) {
		fprintf(stderr, "scepbench: %s\n", cl->err);
		goto out;
	}
	if (mode == M_POST &&
	    (caps & (1U << SCEP_CAP_POSTPKIOPERATION)) == 0)
		fprintf(stderr, "scepbench: warning: the server does not "
		    "announce POSTPKIOperation\n");

	/* The key pool, then N PKCSReqs, all before the clock. */
	if ((keys = calloc(nkeys, sizeof(*keys))) == NULL ||
	    (jobs = calloc(n, sizeof(*jobs))) == NULL ||
	    (lat = calloc(n, sizeof(*lat))) == NULL ||
	    (serials = calloc(n, sizeof(*serials))) == NULL)
		goto out;
	if (mode != M_CAPS && !prebuild(cl, jobs, n, keys, nkeys, challenge,
	    cipher, digest))
		goto out;

	/* The measured run. */
	if (rss.n > 0)
		pids_rss(&rss, "before");
	if (cpu.n > 0 && (cpu0 = pids_cpu(&cpu)) < 0)
		fprintf(stderr, "scepbench: cannot read /proc/PID/stat\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!run(cl, jobs, n, c, mode)) {
		fprintf(stderr, "scepbench: curl multi failed\n");
		goto out;
	}
	secs = since(&t0);
	if (cpu.n > 0 && cpu0 >= 0 && (cpu1 = pids_cpu(&cpu)) < 0)
		fprintf(stderr, "scepbench: a process went away\n");
	if (rss.n > 0)
		pids_rss(&rss, "after");

	/* Every reply, checked in full. */
	for (i = 0; i < n; i++) {
		lat[i] = jobs[i].ms;
		if (mode == M_CAPS ? verify_caps(&jobs[i], &ref, why,
		    sizeof(why)) : verify(cl, &jobs[i], why, sizeof(why))) {
			nok++;
			continue;
		}
		if (nfail++ < MAX_SHOWN || verbose)
			fprintf(stderr, "scepbench: request %zu: %s\n", i, why);
	}
	qsort(lat, n, sizeof(*lat), cmp_double);

	/* No serial issued twice (RFC 5280 section 4.1.2.2). */
	for (i = 0, k = 0; i < n; i++)
		if (jobs[i].serial != NULL)
			serials[k++] = jobs[i].serial;
	qsort(serials, k, sizeof(*serials), cmp_str);
	for (i = 1; i < k; i++)
		if (strcmp(serials[i - 1], serials[i]) == 0) {
			if (ndup++ < MAX_SHOWN || verbose)
				fprintf(stderr, "scepbench: serial %s issued "
				    "twice\n", serials[i]);
		}

	printf("--- summary\n");
	if (mode == M_CAPS) {
		printf("GetCACaps answers         %zu\n", nok);
		printf("failures                  %zu\n", nfail);
		printf("seconds                   %.3f\n", secs);
		printf("requests/s                %.1f\n", (double)nok / secs);
		printf("p50 ms                    %.2f\n",
		    percentile(lat, n, 0.50));
		printf("p99 ms                    %.2f\n",
		    percentile(lat, n, 0.99));
		if (cpu0 >= 0 && cpu1 >= 0)
			printf("server CPU ms/request     %.3f (%zu processes)"
			    "\n", (double)(cpu1 - cpu0) * 1000.0 /
			    (double)tck / (double)n, cpu.n);
		ex = nfail == 0 ? 0 : 1;
		goto out;
	}
	printf("enrolments                %zu\n", nok);
	printf("failures                  %zu\n", nfail);
	printf("duplicate serials         %zu\n", ndup);
	printf("seconds                   %.3f\n", secs);
	printf("enrolments/s              %.1f\n", (double)nok / secs);
	printf("requests/s                %.1f (all answers)\n",
	    (double)n / secs);
	printf("p50 ms                    %.2f\n", percentile(lat, n, 0.50));
	printf("p99 ms                    %.2f\n", percentile(lat, n, 0.99));
	if (cpu0 >= 0 && cpu1 >= 0 && nok > 0) {
		cpu_ms = (double)(cpu1 - cpu0) * 1000.0 / (double)tck /
		    (double)nok;
		printf("server CPU ms/enrolment   %.3f (%zu processes)\n",
		    cpu_ms, cpu.n);
		printf("ratio to RSA budget       %.2f (budget %.3f ms)\n",
		    cpu_ms / budget, budget);
		printf("server CPU ms/request     %.3f (all answers)\n",
		    (double)(cpu1 - cpu0) * 1000.0 / (double)tck /
		    (double)n);
	} else {
		printf("server CPU ms/enrolment   n/a (no --pids)\n");
		printf("ratio to RSA budget       n/a (budget %.3f ms)\n",
		    budget);
	}
	ex = nfail == 0 && ndup == 0 ? 0 : 1;
out:
	if (ex != 0)
		ERR_print_errors_fp(stderr);
	for (i = 0; jobs != NULL && i < n; i++) {
		sc_txn_free(&jobs[i].txn);
		sc_http_free(&jobs[i].resp);
		free(jobs[i].serial);
	}
	for (i = 0; keys != NULL && i < nkeys; i++)
		EVP_PKEY_free(keys[i]);
	sc_http_free(&ref);
	EVP_PKEY_free(rsakey);
	free(keys);
	free(jobs);
	free(lat);
	free(serials);
	sc_client_free(cl);
	curl_global_cleanup();
	return ex;
}
