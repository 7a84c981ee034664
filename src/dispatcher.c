/*
 * dispatcher.c: scepd-webhook(8), the webhook dispatcher.
 *
 * Workers never call a webhook: they store a PENDING request with a job
 * (its CSR) in the store's queue and answer PENDING.  This process,
 * started beside the workers, claims due jobs (each with a lease, so a
 * dispatcher killed mid-call loses nothing: the job is claimed again
 * once its lease ends), makes up to -j calls at once through libcurl
 * (webhook.c), and decides:
 *   - result "OK": the certificate is issued (enroll_issue(): signed
 *     outside any transaction, then stored ISSUED, which deletes the
 *     job and its CSR in the same transaction);
 *   - a refusal, or a failure (invalid answer, over 64 KiB, HTTP error,
 *     no answer after the retries): per the tenant's webhook_fail,
 *     REJECTED (the job goes with the decision) or left PENDING for an
 *     operator (the job is deleted: the CSR never waits longer).
 * Fail closed: nothing but an explicit "OK" ever approves.
 *
 * SIGTERM/SIGINT: no new calls; calls in flight are finished, then
 * exit.  SIGHUP: the same, then the configuration and keys are loaded
 * again.  A second SIGTERM abandons the calls in flight: their leases
 * run out and another dispatcher run makes them again.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include <curl/curl.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/store.h"
#include "src/server.h"
#include "src/jobseal.h"
#include "src/webhook.h"

/* Defaults of -j, -r and the idle poll interval. */
#define JOBS_DEFAULT	8
#define JOBS_MAX	64
#define RETRIES_DEFAULT	2
#define RETRIES_MAX	10
#define IDLE_MS		250
/* Backoff after the n-th transient failure: BACKOFF << n seconds. */
#define BACKOFF		5
/* Lease of a claimed job beyond the call's own timeout. */
#define LEASE_MARGIN	5
/* Reasons stored with a rejection (never the detail of a secret). */
#define R_REFUSED	"webhook refused"
#define R_ERROR		"webhook error"

static volatile sig_atomic_t	 sig_term, sig_hup;

/* A call in flight. */
struct job_call {
	struct store_job	*job;
	char			 id[STORE_TENANT_MAX + 2 * STORE_TXID_MAX +
				    16 + 3];
};

/* The dispatcher's state. */
struct disp {
	struct server	*s;
	struct wh	*wh;
	unsigned int	 retries;
};

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_term++;
}

static void
usage(void)
{
	fprintf(stderr, "usage: scepd-webhook [-n] [-f file] [-j jobs] "
	    "[-r retries]\n");
	exit(2);
}

static void
job_call_free(struct job_call *jc)
{
	if (jc == NULL)
		return;
	store_job_free(jc->job);
	free(jc);
}

/* Log a store failure. */
static void
log_store(struct disp *d, const char *id, enum store_rc rc)
{
	log_msg(LOG_ERR, "%s: store: %s: %s", id, store_rc_str(rc),
	    store_errstr(d->s->store));
}

/*
 * The webhook did not approve (res, detail): reject the request or
 * leave it PENDING for an operator, as the tenant says; the job goes
 * either way.
 */
static void
fail_closed(struct disp *d, const struct tenant *t, struct job_call *jc,
    enum wh_result res, const char *detail)
{
	char		 reason[STORE_REASON_MAX + 1];
	enum store_rc	 rc;

	if (res == WH_REFUSED)
		snprintf(reason, sizeof(reason), "%s", R_REFUSED);
	else
		snprintf(reason, sizeof(reason), "%s: %s", R_ERROR, detail);
	if (t != NULL && t->conf->webhook_fail == CONF_WEBHOOK_REJECT) {
		/* The rejection deletes the job in its transaction. */
		rc = store_req_reject(d->s->store, &jc->job->key, reason,
		    time(NULL));
		if (rc == STORE_OK)
			log_msg(LOG_NOTICE, "%s: rejected: %s", jc->id, reason);
		else if (rc == STORE_STATE || rc == STORE_NOTFOUND) {
			log_msg(LOG_INFO, "%s: decided meanwhile", jc->id);
			(void)store_job_delete(d->s->store, &jc->job->key);
		} else
			log_store(d, jc->id, rc);
		return;
	}
	rc = store_job_delete(d->s->store, &jc->job->key);
	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		log_store(d, jc->id, rc);
	else
		log_msg(LOG_NOTICE, "%s: left pending for an operator: %s",
		    jc->id, reason);
}

/* The webhook said "OK": issue. */
static void
approve(struct disp *d, const struct tenant *t, struct job_call *jc)
{
	struct store_req	*req = NULL;
	enum store_rc		 rc;
	time_t			 now = time(NULL);

	rc = store_req_get(d->s->store, &jc->job->key, &req);
	if (rc == STORE_OK && req->state == STORE_REQ_PENDING &&
	    now >= req->created + t->conf->pending_ttl) {
		/* Too late: the worker's rule (INTEROP.md 6.3). */
		rc = store_req_reject(d->s->store, &req->key,
		    "pending request expired (pending_ttl)", now);
		log_msg(LOG_NOTICE, "%s: pending_ttl expired", jc->id);
		goto out;
	}
	if (rc != STORE_OK || req->state != STORE_REQ_PENDING) {
		if (rc == STORE_OK || rc == STORE_NOTFOUND) {
			log_msg(LOG_INFO, "%s: decided meanwhile", jc->id);
			(void)store_job_delete(d->s->store, &jc->job->key);
		} else
			log_store(d, jc->id, rc);
		goto out;
	}
	/* Signs outside the transaction; ISSUED deletes the job. */
	rc = enroll_issue(d->s, t, req, now, NULL);
	if (rc == STORE_OK)
		log_msg(LOG_NOTICE, "%s: approved by the webhook, issued",
		    jc->id);
	else if (rc == STORE_EXISTS) {
		log_msg(LOG_INFO, "%s: decided meanwhile", jc->id);
		(void)store_job_delete(d->s->store, &jc->job->key);
	} else
		log_store(d, jc->id, rc);
out:
	store_req_free(req);
}

/* The longest webhook_timeout of any tenant, plus a margin. */
static time_t
lease_of(const struct server *s)
{
	time_t	 max = 1;
	size_t	 i;

	for (i = 0; i < s->ntenants; i++)
		if (s->tenants[i]->conf->webhook_timeout > max)
			max = s->tenants[i]->conf->webhook_timeout;
	return max + LEASE_MARGIN;
}

/* Free a job_call given back by wh_free() (an abandoned call). */
static void
abandon(void *arg)
{
	job_call_free(arg);
}

/* The done callback of a call. */
static void
call_done(void *arg, enum wh_result res, const char *detail, void *cbarg)
{
	struct disp		*d = cbarg;
	struct job_call		*jc = arg;
	const struct tenant	*t;
	enum store_rc		 rc;
	time_t			 next;

	t = server_tenant(d->s, jc->job->key.tenant);
	if (t != NULL && t->conf->approval != CONF_APPROVAL_WEBHOOK)
		t = NULL;
	if (t == NULL) {
		/* The tenant changed meanwhile: an operator decides. */
		log_msg(LOG_WARNING, "%s: tenant no longer uses a webhook",
		    jc->id);
		(void)store_job_delete(d->s->store, &jc->job->key);
	} else if (res == WH_OK)
		approve(d, t, jc);
	else if (res == WH_TRANSIENT && jc->job->attempts < d->retries) {
		next = time(NULL) + ((time_t)BACKOFF << jc->job->attempts);
		rc = store_job_retry(d->s->store, &jc->job->key, next);
		if (rc != STORE_OK && rc != STORE_NOTFOUND)
			log_store(d, jc->id, rc);
		else
			log_msg(LOG_WARNING, "%s: webhook: %s, attempt %u, "
			    "retry in %llds", jc->id, detail,
			    jc->job->attempts + 1,
			    (long long)(next - time(NULL)));
	} else
		fail_closed(d, t, jc, res, detail);
	job_call_free(jc);
}

/*
 * Claim due jobs and start calls until jobs are in flight.  Returns the
 * number started.
 */
static size_t
claim_and_start(struct disp *d, size_t jobs)
{
	struct job_call		*jc = NULL;
	struct store_req	*req = NULL;
	const struct tenant	*t;
	struct wh_call_in	 in;
	const char		*why;
	uint8_t			*csr = NULL;
	size_t			 csr_len = 0;
	size_t			 n = 0, queued;
	int			 n_ok;
	time_t			 now;
	enum store_rc		 rc;

	/* A read transaction first: no write lock taken when idle. */
	if (store_job_count(d->s->store, &queued) != STORE_OK || queued == 0)
		return 0;
	while (wh_running(d->wh) < jobs) {
		now = time(NULL);
		if ((jc = calloc(1, sizeof(*jc))) == NULL)
			break;
		/* The lease outlasts the longest possible call. */
		rc = store_job_claim(d->s->store, now, lease_of(d->s),
		    &jc->job);
		if (rc != STORE_OK) {
			if (rc != STORE_NOTFOUND)
				log_store(d, "queue", rc);
			break;
		}
		reqid_text(&jc->job->key, jc->id, sizeof(jc->id));
		t = server_tenant(d->s, jc->job->key.tenant);
		if (t == NULL || t->conf->approval != CONF_APPROVAL_WEBHOOK) {
			log_msg(LOG_WARNING, "%s: tenant no longer uses a "
			    "webhook; left for an operator", jc->id);
			(void)store_job_delete(d->s->store, &jc->job->key);
			job_call_free(jc);
			jc = NULL;
			continue;
		}
		if ((rc = store_req_get(d->s->store, &jc->job->key, &req)) !=
		    STORE_OK) {
			log_store(d, jc->id, rc);
			break;
		}
		/* Another webhook_secret, or a damaged record: fail closed. */
		if (!jobseal_open(t->conf->webhook_secret,
		    t->conf->webhook_secret_len, &jc->job->key, jc->job->csr,
		    jc->job->csr_len, &csr, &csr_len)) {
			store_req_free(req);
			req = NULL;
			fail_closed(d, t, jc, WH_INVALID, "queued CSR does not "
			    "open (webhook_secret changed?)");
			job_call_free(jc);
			jc = NULL;
			continue;
		}
		memset(&in, 0, sizeof(in));
		in.url = t->conf->webhook_url;
		in.secret = t->conf->webhook_secret;
		in.secret_len = t->conf->webhook_secret_len;
		in.timeout = (long)t->conf->webhook_timeout;
		in.allow_http = t->conf->webhook_allow_http_loopback;
		in.cafile = t->conf->webhook_ca;
		in.id = jc->id;
		in.tenant = t->conf->name;
		/*
		 * What scepd made of it (INTEROP.md 6.3 step 4): a renewal
		 * whatever its messageType, or a first enrolment.
		 */
		in.type = req->renewal ? "RenewalReq" : "PKCSReq";
		in.csr = csr;
		in.csr_len = csr_len;
		store_req_free(req);
		req = NULL;
		n_ok = wh_add(d->wh, &in, jc, &why);
		/* wh_add() keeps only the JSON body, which it cleanses. */
		OPENSSL_cleanse(csr, csr_len);
		free(csr);
		csr = NULL;
		if (!n_ok) {
			/* Cannot even call: fail closed now. */
			fail_closed(d, t, jc, WH_INVALID, why);
			job_call_free(jc);
			jc = NULL;
			continue;
		}
		log_msg(LOG_INFO, "%s: calling the webhook", jc->id);
		jc = NULL;
		n++;
	}
	/* A claimed job not started keeps its lease; it comes back. */
	job_call_free(jc);
	store_req_free(req);
	return n;
}

/* Load the configuration, keys and store; NULL logged. */
static struct server *
load(const char *path)
{
	struct server	*s;
	char		 err[1024];

	if ((s = server_new(path, SERVER_STORE, err, sizeof(err))) == NULL)
		log_msg(LOG_ERR, "%s", err);
	return s;
}

/* Parse a small number option; exits on a bad one. */
static unsigned int
num_arg(const char *s, unsigned int lo, unsigned int hi)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi)
		usage();
	return (unsigned int)v;
}

int
main(int argc, char *argv[])
{
	struct sigaction	 sa;
	struct disp		 d;
	struct server		*ns;
	const char		*path;
	unsigned int		 jobs = JOBS_DEFAULT;
	int			 ch, ret = 1, check = 0;

	memset(&d, 0, sizeof(d));
	d.retries = RETRIES_DEFAULT;
	if ((path = getenv(CONF_PATH_ENV)) == NULL || *path == '\0')
		path = CONF_PATH_DEFAULT;
	while ((ch = getopt(argc, argv, "f:j:nr:")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'j':
			jobs = num_arg(optarg, 1, JOBS_MAX);
			break;
		case 'n':
			check = 1;
			break;
		case 'r':
			d.retries = num_arg(optarg, 0, RETRIES_MAX);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_open(NULL, "scepd-webhook");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_msg(LOG_ERR, "curl_global_init failed");
		goto out;
	}
	if ((d.s = load(path)) == NULL)
		goto out;
	if (check) {
		printf("%s: configuration OK\n", path);
		ret = 0;
		goto out;
	}
	log_close();
	log_open(d.s->conf, "scepd-webhook");
	if ((d.wh = wh_new()) == NULL) {
		log_msg(LOG_ERR, "out of memory");
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	(void)store_reader_check(d.s->store, NULL);
	log_msg(LOG_INFO, "dispatcher %ld ready, %u calls at once, %u "
	    "retries", (long)getpid(), jobs, d.retries);
	for (;;) {
		/* A second SIGTERM abandons the calls in flight. */
		if (sig_term > 1 || (sig_term && wh_running(d.wh) == 0))
			break;
		if (sig_hup && wh_running(d.wh) == 0) {
			sig_hup = 0;
			if ((ns = load(path)) != NULL) {
				server_free(d.s);
				d.s = ns;
				log_close();
				log_open(d.s->conf, "scepd-webhook");
				log_msg(LOG_INFO, "configuration reloaded");
			}
		}
		if (!sig_term && !sig_hup)
			(void)claim_and_start(&d, jobs);
		if (wh_running(d.wh) == 0) {
			struct timespec ts = { 0, IDLE_MS * 1000000L };

			nanosleep(&ts, NULL);
			continue;
		}
		if (!wh_poll(d.wh, IDLE_MS, call_done, &d)) {
			log_msg(LOG_ERR, "libcurl multi interface failed");
			goto out;
		}
	}
	if (wh_running(d.wh) > 0)
		log_msg(LOG_NOTICE, "abandoning %zu calls; their jobs come "
		    "back when the leases end", wh_running(d.wh));
	log_msg(LOG_INFO, "dispatcher %ld exits", (long)getpid());
	ret = 0;
out:
	wh_free(d.wh, abandon);
	server_free(d.s);
	curl_global_cleanup();
	log_close();
	return ret;
}
