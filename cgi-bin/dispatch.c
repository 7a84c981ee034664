/*
 * dispatch.c: one HTTP request: route (INTEROP.md 6.6), operation
 * (RFC 8894 section 4), the answer and its status code and MIME type
 * (INTEROP.md 6.5), and one log line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <fcgiapp.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/store.h"
#include "src/server.h"
#include "cgi-bin/http.h"
#include "cgi-bin/extern.h"

#define CT_PKI		"application/x-pki-message"
#define CT_CRL		"application/pkix-crl"
#define CT_CAPS		"text/plain"

/* Milliseconds since start. */
static long
elapsed_ms(const struct timespec *start)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	    (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Send an error status with a short text body. */
static void
reply_status(struct http_req *r, int status)
{
	http_reply(r, status, NULL, NULL, 0);
}

/* The HTTP status of an enroll outcome (INTEROP.md 6.5). */
static int
outcome_status(enum scep_outcome o)
{
	switch (o) {
	case SCEP_OK:
		return 200;
	case SCEP_MALFORMED:
	case SCEP_REJECT:
		return 400;
	case SCEP_INTERNAL:
		return 503;
	default:
		return 500;
	}
}

/* A PKIOperation: from the POST body or the GET message= value. */
static int
pkioperation(struct server *s, const struct tenant *t, struct http_req *r,
    struct log_req *lr, struct enroll_out *eo)
{
	uint8_t		*body = NULL;
	size_t		 len, vlen;
	const char	*v;
	struct scep_buf	 der = { NULL, 0 };
	int		 status;

	if (strcmp(r->method, "POST") == 0) {
		/* Any Content-Type, any operation= (INTEROP.md 2.5 row 2). */
		if (!http_read_body(r, s->conf->max_post_body, &body, &len,
		    &status)) {
			lr->reason = status == 413 ? "body too large" :
			    "bad body";
			return status;
		}
	} else {
		if ((v = http_query_param(r->query, "message", &vlen)) ==
		    NULL) {
			lr->reason = "no message";
			return 400;
		}
		if (!scep_message_decode(v, vlen, s->conf->limits.max_msg,
		    &der)) {
			lr->reason = "bad message encoding";
			return 400;
		}
		body = der.data;
		len = der.len;
		der.data = NULL;
	}
	enroll_pkiop(s, t, body, len, r->remote, time(NULL), eo);
	if (strcmp(r->method, "POST") == 0)
		free(body);
	else
		OPENSSL_free(body);
	lr->outcome = eo->outcome;
	lr->txid = eo->txid;
	lr->txid_len = strlen(eo->txid);
	lr->has_type = eo->has_type;
	lr->type = eo->type;
	lr->has_digest = eo->has_digest;
	lr->digest = eo->digest;
	lr->has_cipher = eo->has_cipher;
	lr->cipher = eo->cipher;
	lr->has_status = eo->has_status;
	lr->status = eo->status;
	lr->has_failinfo = eo->has_failinfo;
	lr->failinfo = eo->failinfo;
	lr->reason = eo->reason;
	lr->prev_ra = eo->prev_ra;
	lr->renewal = eo->renewal;
	if (eo->outcome != SCEP_OK)
		return outcome_status(eo->outcome);
	http_reply(r, 200, CT_PKI, eo->reply.data, eo->reply.len);
	return 200;
}

/* The SCEP operations of RFC 8894 section 4 for tenant t. */
static int
scep_op(struct server *s, const struct tenant *t, struct http_req *r,
    struct log_req *lr, struct enroll_out *eo, char *op, size_t opsz)
{
	const char	*v;
	size_t		 vlen;

	if ((v = http_query_param(r->query, "operation", &vlen)) == NULL ||
	    !http_query_decode(v, vlen, op, opsz)) {
		/* Many clients POST without operation= (INTEROP.md 2.5). */
		if (strcmp(r->method, "POST") == 0)
			snprintf(op, opsz, "PKIOperation");
		else {
			lr->reason = "no operation";
			return 400;
		}
	}
	lr->operation = op;
	if (strcmp(op, "PKIOperation") == 0)
		return pkioperation(s, t, r, lr, eo);
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		lr->reason = "method";
		return 405;
	}
	/* message= on these is junk or an alias: ignored (2.5 row 18). */
	if (strcmp(op, "GetCACaps") == 0) {
		http_reply(r, 200, CT_CAPS, (const uint8_t *)t->caps,
		    t->capslen);
		return 200;
	}
	if (strcmp(op, "GetCACert") == 0) {
		http_reply(r, 200, t->cacert_ctype, t->cacert.data,
		    t->cacert.len);
		return 200;
	}
	if (strcmp(op, "GetNextCACert") == 0) {
		if (t->next_ca == NULL) {
			lr->reason = "no rollover certificate";
			return 404;
		}
		http_reply(r, 200, t->nextcacert_ctype, t->nextcacert.data,
		    t->nextcacert.len);
		return 200;
	}
	lr->reason = "unknown operation";
	return 400;
}

/*
 * GET /<tenant>/crl: the current CRL of the current CA as DER; with the
 * query "ca=<id>", exactly as issued certificates name it in their CRL
 * distribution point, the CRL of that CA if the tenant still signs it
 * (the current or the previous CA).  Any other query is 400 (nothing
 * is decoded: an id is plain hex); a well-formed id of no such CA is
 * 404.  The query's size was checked before routing.
 */
static int
crl_op(struct server *s, const struct tenant *t, struct http_req *r,
    struct log_req *lr)
{
	struct scep_buf		 der = { NULL, 0 };
	const struct signer	*ca = t->ca;
	enum store_rc		 rc;

	lr->operation = "CRL";
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		lr->reason = "method";
		return 405;
	}
	if (r->query[0] != '\0') {
		if (strncmp(r->query, "ca=", 3) != 0 ||
		    !tenant_crl_ca(t, r->query + 3, strlen(r->query + 3),
		    &ca)) {
			lr->reason = "bad CRL query";
			return 400;
		}
		if (ca == NULL) {
			lr->reason = "no such CA";
			return 404;
		}
	}
	if ((rc = crl_current(s, t, ca, time(NULL), &der)) != STORE_OK) {
		log_msg(LOG_ERR, "crl %s: %s: %s", t->conf->name,
		    store_rc_str(rc), store_errstr(s->store));
		lr->reason = store_rc_str(rc);
		return 503;
	}
	http_reply(r, 200, CT_CRL, der.data, der.len);
	scep_buf_free(&der);
	return 200;
}

/*
 * Serve one request and log it.  Size limits come first: a query over
 * max_get_query is 414 before anything is parsed (INTEROP.md 6.7).
 */
void
dispatch(struct server *s, struct http_req *r)
{
	struct timespec		 start;
	struct log_req		 lr;
	struct enroll_out	 eo;
	const struct tenant	*t = NULL;
	char			 tenant[64], op[32];
	enum http_route		 route;
	int			 status;

	clock_gettime(CLOCK_MONOTONIC, &start);
	memset(&lr, 0, sizeof(lr));
	memset(&eo, 0, sizeof(eo));
	lr.addr = r->remote;
	lr.outcome = SCEP_OK;

	if (strlen(r->query) > s->conf->max_get_query) {
		lr.reason = "query too long";
		status = 414;
		goto out;
	}
	route = http_route(r->uri, tenant, sizeof(tenant));
	if (route == ROUTE_NONE || (t = server_tenant(s, tenant)) == NULL) {
		lr.reason = route == ROUTE_NONE ? "no route" : "no tenant";
		lr.tenant = tenant[0] != '\0' ? tenant : NULL;
		status = 404;
		goto out;
	}
	lr.tenant = t->conf->name;
	if (route == ROUTE_CRL)
		status = crl_op(s, t, r, &lr);
	else
		status = scep_op(s, t, r, &lr, &eo, op, sizeof(op));
out:
	if (!r->replied)
		reply_status(r, status);
	if (status >= 400 && lr.outcome == SCEP_OK)
		lr.outcome = status >= 500 ? SCEP_INTERNAL : SCEP_MALFORMED;
	lr.ms = elapsed_ms(&start);
	log_request(&lr);
	scep_buf_free(&eo.reply);
}
