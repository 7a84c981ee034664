/*
 * webhook.h: the webhook client of scepd-webhook(8): the JSON body of a
 * call, its HMAC-SHA256 signature, and the calls themselves, several in
 * flight on one libcurl multi handle.  The only HTTP client in src/
 * (STYLE.md B2).
 */
#ifndef SRC_WEBHOOK_H
#define SRC_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

/* Largest answer read; a longer one is a failure (issue 4). */
#define WH_BODY_MAX		(64 * 1024)
/* The signature header: "X-Scepd-Signature: sha256=<hex>". */
#define WH_SIG_HEADER		"X-Scepd-Signature"

/* What a call came to. */
enum wh_result {
	WH_OK,			/* 200, a JSON object, result "OK" */
	WH_REFUSED,		/* 200 and a JSON object, result not "OK" */
	WH_INVALID,		/* not JSON, too long, HTTP 4xx, other */
	WH_TRANSIENT,		/* no answer: connection, timeout, 5xx */
	WH__MAX
};

/* One call to make. */
struct wh_call_in {
	const char	*url;
	const char	*secret;	/* HMAC key */
	size_t		 secret_len;
	long		 timeout;	/* seconds, whole call */
	int		 allow_http;	/* http:// allowed (loopback) */
	const char	*cafile;	/* PEM CAs trusted for https, or
					 * NULL: the system's */
	const char	*id;		/* "_id" */
	const char	*tenant;
	const char	*type;		/* "PKCSReq" or "RenewalReq" */
	const uint8_t	*csr;		/* CSR DER: "data", "info" */
	size_t		 csr_len;
};

struct wh;

/* Called once per finished call with the caller's arg; detail static
 * or valid during the call only. */
typedef void	(*wh_done_cb)(void *arg, enum wh_result res,
		    const char *detail, void *cbarg);

/*
 * The JSON body of a call: {"_id", "tenant", "type", "data": the CSR
 * DER in lowercase hex, "info": {subject attribute short name: value,
 * an array when repeated}}.  Returns a NUL-terminated string (free with
 * free()), or NULL when the CSR does not parse or memory runs out.
 */
char		*wh_body(const struct wh_call_in *in);
/*
 * HMAC-SHA256 of body with key, as "sha256=" and 64 lowercase hex
 * digits into out (outsz >= 72).  Returns 1 or 0.
 */
int		 wh_sign(const char *key, size_t keylen, const char *body,
		    size_t bodylen, char *out, size_t outsz);
/* A name for res; never NULL. */
const char	*wh_result_str(enum wh_result res);

/*
 * A multi handle (curl_global_init is the caller's); free with
 * wh_free(), which abandons calls in flight, handing each call's arg to
 * argfree (may be NULL).
 */
struct wh	*wh_new(void);
void		 wh_free(struct wh *, void (*argfree)(void *));
/*
 * Start one call; arg comes back to the done callback.  Returns 1, or
 * 0 (nothing started: the caller decides, as for WH_INVALID) with a
 * static reason in *why.
 */
int		 wh_add(struct wh *, const struct wh_call_in *in, void *arg,
		    const char **why);
/* Calls in flight. */
size_t		 wh_running(const struct wh *);
/*
 * Wait up to timeout_ms for activity, advance every call, and call cb
 * for each finished one.  Returns 1, or 0 on a libcurl failure.
 */
int		 wh_poll(struct wh *, int timeout_ms, wh_done_cb cb,
		    void *cbarg);

#endif /* SRC_WEBHOOK_H */
