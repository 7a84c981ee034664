/*
 * webhook.c: the webhook client (approval = webhook, the SeaCat PKI
 * convention).  A call POSTs the request's metadata as JSON, signed
 * with HMAC-SHA256 in a header, and approves only when the answer is
 * HTTP 200 with a JSON object whose "result" member is the string "OK":
 * anything else fails closed.  libcurl does the HTTP (several calls on
 * one multi handle), jansson the JSON; nothing here is hand-rolled.
 *
 * Transport rules: http and https only, no redirects, TLS peer and
 * host verification on, plain http only when the tenant allows it (the
 * configuration accepts it only for a loopback host), a whole-call
 * timeout, and at most WH_BODY_MAX bytes of answer.
 */
#include "config.h"

#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <curl/curl.h>
#include <jansson.h>

#include "src/extern.h"
#include "src/webhook.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const result_names[] = {
	"ok", "refused", "invalid", "transient"
};
static_assert(NELEM(result_names) == WH__MAX, "wh_result names");

/* One call in flight. */
struct call {
	CURL			*easy;
	struct curl_slist	*hdrs;
	char			*body;		/* the request body */
	char			*resp;		/* the answer read */
	size_t			 resp_len;
	int			 too_long;
	void			*arg;
	struct call		*next;
};

struct wh {
	CURLM		*multi;
	struct call	*calls;
	size_t		 running;
};

const char *
wh_result_str(enum wh_result res)
{
	return (unsigned int)res < WH__MAX ? result_names[res] : "?";
}

/* Lowercase hex of len bytes into a new string, or NULL. */
static char *
hex_new(const uint8_t *p, size_t len)
{
	char			*s;

	if (len > (SIZE_MAX - 1) / 2 || (s = malloc(2 * len + 1)) == NULL)
		return NULL;
	hex_lower(p, len, s);
	return s;
}

/*
 * The subject of csr as a JSON object: each attribute under its short
 * name (or dotted OID), as UTF-8; a repeated attribute becomes an
 * array of its values in order.  Returns a new reference or NULL.
 */
static json_t *
subject_info(const X509_REQ *csr)
{
	const X509_NAME	*name;
	X509_NAME_ENTRY	*ne;
	json_t		*info = NULL, *val = NULL, *cur, *arr;
	unsigned char	*u8 = NULL;
	char		 key[80];
	int		 i, n, len, nid;

	if ((info = json_object()) == NULL)
		goto fail;
	name = X509_REQ_get_subject_name(csr);
	n = X509_NAME_entry_count(name);
	for (i = 0; i < n; i++) {
		ne = X509_NAME_get_entry(name, i);
		/* "CN", "O", ...; an unknown attribute by its dotted OID. */
		nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(ne));
		if (nid != NID_undef && OBJ_nid2sn(nid) != NULL)
			snprintf(key, sizeof(key), "%s", OBJ_nid2sn(nid));
		else if (OBJ_obj2txt(key, sizeof(key),
		    X509_NAME_ENTRY_get_object(ne), 1) <= 0)
			goto fail;
		len = ASN1_STRING_to_UTF8(&u8, X509_NAME_ENTRY_get_data(ne));
		if (len < 0)
			goto fail;
		/* jansson refuses invalid UTF-8 and embedded NUL: fail. */
		if ((val = json_stringn((const char *)u8, (size_t)len)) ==
		    NULL)
			goto fail;
		OPENSSL_free(u8);
		u8 = NULL;
		if ((cur = json_object_get(info, key)) == NULL) {
			if (json_object_set_new(info, key, val) != 0) {
				val = NULL;
				goto fail;
			}
		} else if (json_is_array(cur)) {
			if (json_array_append_new(cur, val) != 0) {
				val = NULL;
				goto fail;
			}
		} else {
			if ((arr = json_array()) == NULL ||
			    json_array_append(arr, cur) != 0 ||
			    json_array_append_new(arr, val) != 0 ||
			    json_object_set_new(info, key, arr) != 0) {
				/* val is owned by arr or freed by jansson */
				val = NULL;
				goto fail;
			}
		}
		val = NULL;
	}
	return info;
fail:
	OPENSSL_free(u8);
	json_decref(val);
	json_decref(info);
	return NULL;
}

/*
 * The body of a call; see webhook.h.
 */
char *
wh_body(const struct wh_call_in *in)
{
	const unsigned char	*p = in->csr;
	X509_REQ		*csr = NULL;
	json_t			*root = NULL, *info = NULL;
	char			*hex = NULL, *body = NULL;

	if (in->csr_len == 0 || in->csr_len > LONG_MAX ||
	    (csr = d2i_X509_REQ(NULL, &p, (long)in->csr_len)) == NULL ||
	    p != in->csr + in->csr_len)
		goto out;
	if ((hex = hex_new(in->csr, in->csr_len)) == NULL ||
	    (info = subject_info(csr)) == NULL)
		goto out;
	/* "o" steals info whether json_pack succeeds or not. */
	root = json_pack("{s:s, s:s, s:s, s:s, s:o}", "_id", in->id,
	    "tenant", in->tenant, "type", in->type, "data", hex, "info",
	    info);
	info = NULL;
	if (root == NULL)
		goto out;
	body = json_dumps(root, JSON_COMPACT);
out:
	json_decref(root);
	json_decref(info);
	if (hex != NULL)
		OPENSSL_cleanse(hex, strlen(hex));	/* has the password */
	free(hex);
	X509_REQ_free(csr);
	return body;
}

/*
 * The signature header value: "sha256=" and the hex HMAC-SHA256 of the
 * body under the tenant's secret; see webhook.h.
 */
int
wh_sign(const char *key, size_t keylen, const char *body, size_t bodylen,
    char *out, size_t outsz)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	size_t		 maclen = 0;

	if (outsz < 7 + 64 + 1)
		return 0;
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen,
	    (const unsigned char *)body, bodylen, mac, sizeof(mac),
	    &maclen) == NULL || maclen != 32)
		return 0;
	memcpy(out, "sha256=", 7);
	hex_lower(mac, maclen, out + 7);
	return 1;
}

/* The libcurl write callback: keep at most WH_BODY_MAX bytes. */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct call	*c = arg;
	size_t		 n = size * nmemb;
	char		*np;

	if (n > WH_BODY_MAX - c->resp_len) {
		/* Past the limit: abort the transfer (CURLE_WRITE_ERROR). */
		c->too_long = 1;
		return 0;
	}
	if ((np = realloc(c->resp, c->resp_len + n + 1)) == NULL)
		return 0;
	c->resp = np;
	memcpy(c->resp + c->resp_len, data, n);
	c->resp_len += n;
	c->resp[c->resp_len] = '\0';
	return n;
}

static void
call_free(struct call *c)
{
	if (c == NULL)
		return;
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->hdrs);
	if (c->body != NULL)
		OPENSSL_cleanse(c->body, strlen(c->body));
	free(c->body);
	free(c->resp);
	free(c);
}

struct wh *
wh_new(void)
{
	struct wh	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	if ((w->multi = curl_multi_init()) == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

void
wh_free(struct wh *w, void (*argfree)(void *))
{
	struct call	*c;

	if (w == NULL)
		return;
	while ((c = w->calls) != NULL) {
		w->calls = c->next;
		curl_multi_remove_handle(w->multi, c->easy);
		if (argfree != NULL)
			argfree(c->arg);
		call_free(c);
	}
	curl_multi_cleanup(w->multi);
	free(w);
}

size_t
wh_running(const struct wh *w)
{
	return w->running;
}

/*
 * Start one call; see webhook.h.
 */
int
wh_add(struct wh *w, const struct wh_call_in *in, void *arg,
    const char **why)
{
	struct call		*c = NULL;
	struct curl_slist	*l;
	char			 sig[80], hdr[128];
	int			 https, rc = 0;

	*why = "out of memory";
	https = strncmp(in->url, "https://", 8) == 0;
	/* The configuration checks this too; never trust one check. */
	if (!https && !(in->allow_http && strncmp(in->url, "http://", 7) ==
	    0)) {
		*why = "webhook_url must be https";
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto out;
	c->arg = arg;
	if ((c->body = wh_body(in)) == NULL) {
		*why = "cannot build the JSON body";
		goto out;
	}
	if (!wh_sign(in->secret, in->secret_len, c->body, strlen(c->body),
	    sig, sizeof(sig))) {
		*why = "cannot compute the signature";
		goto out;
	}
	snprintf(hdr, sizeof(hdr), "%s: %s", WH_SIG_HEADER, sig);
	if ((l = curl_slist_append(NULL, "Content-Type: application/json"))
	    == NULL)
		goto out;
	c->hdrs = l;
	/* No "Expect: 100-continue" round trip. */
	if ((l = curl_slist_append(c->hdrs, "Expect:")) == NULL)
		goto out;
	c->hdrs = l;
	if ((l = curl_slist_append(c->hdrs, hdr)) == NULL)
		goto out;
	c->hdrs = l;
	if ((c->easy = curl_easy_init()) == NULL)
		goto out;
	*why = "libcurl refused an option";
	if (curl_easy_setopt(c->easy, CURLOPT_URL, in->url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR,
	    https ? "https" : "http") != CURLE_OK ||
#else
	    curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS,
	    https ? CURLPROTO_HTTPS : CURLPROTO_HTTP) != CURLE_OK ||
#endif
	    curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYPEER, 1L) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYHOST, 2L) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, in->timeout) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_MAXFILESIZE,
	    (long)WH_BODY_MAX) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->hdrs) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE,
	    (long)strlen(c->body)) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "scepd-webhook") !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, write_cb) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c) != CURLE_OK ||
	    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c) != CURLE_OK)
		goto out;
	/* The tenant's own CAs replace the system's (webhook_ca). */
	if (in->cafile != NULL && (curl_easy_setopt(c->easy, CURLOPT_CAINFO,
	    in->cafile) != CURLE_OK || curl_easy_setopt(c->easy,
	    CURLOPT_CAPATH, NULL) != CURLE_OK))
		goto out;
	/* A loopback call never goes through a proxy. */
	if (!https && curl_easy_setopt(c->easy, CURLOPT_NOPROXY, "*") !=
	    CURLE_OK)
		goto out;
	if (curl_multi_add_handle(w->multi, c->easy) != CURLM_OK) {
		*why = "curl_multi_add_handle failed";
		goto out;
	}
	c->next = w->calls;
	w->calls = c;
	w->running++;
	c = NULL;
	*why = NULL;
	rc = 1;
out:
	call_free(c);
	return rc;
}

/*
 * What a finished call came to: the decision of the whole feature.
 * Only HTTP 200 with a JSON object whose "result" is exactly the
 * string "OK" approves; everything else fails closed.
 */
static enum wh_result
call_result(struct call *c, CURLcode cc, const char **detail)
{
	json_t		*root, *res;
	json_error_t	 jerr;
	long		 code = 0;
	enum wh_result	 r;

	if (c->too_long || cc == CURLE_FILESIZE_EXCEEDED) {
		*detail = "answer over 64 KiB";
		return WH_INVALID;
	}
	if (cc != CURLE_OK) {
		/* A static string from libcurl (never the secret). */
		*detail = curl_easy_strerror(cc);
		return cc == CURLE_UNSUPPORTED_PROTOCOL ||
		    cc == CURLE_PEER_FAILED_VERIFICATION ||
		    cc == CURLE_URL_MALFORMAT ? WH_INVALID : WH_TRANSIENT;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 500 || code == 429) {
		*detail = "HTTP server error";
		return WH_TRANSIENT;
	}
	if (code != 200) {
		*detail = code >= 300 && code < 400 ?
		    "HTTP redirect (not followed)" : "HTTP status not 200";
		return WH_INVALID;
	}
	root = json_loadb(c->resp == NULL ? "" : c->resp, c->resp_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL || !json_is_object(root)) {
		*detail = root == NULL ? "answer is not JSON" :
		    "answer is not a JSON object";
		r = WH_INVALID;
	} else if ((res = json_object_get(root, "result")) != NULL &&
	    json_is_string(res) && json_string_length(res) == 2 &&
	    memcmp(json_string_value(res), "OK", 2) == 0) {
		*detail = "result OK";
		r = WH_OK;
	} else {
		*detail = "result not OK";
		r = WH_REFUSED;
	}
	json_decref(root);
	return r;
}

/*
 * Run the calls; see webhook.h.
 */
int
wh_poll(struct wh *w, int timeout_ms, wh_done_cb cb, void *cbarg)
{
	struct call	*c, **pp;
	CURLMsg		*m;
	const char	*detail;
	enum wh_result	 r;
	int		 still, left;

	if (curl_multi_perform(w->multi, &still) != CURLM_OK)
		return 0;
	if (w->running > 0 && curl_multi_poll(w->multi, NULL, 0, timeout_ms,
	    NULL) != CURLM_OK)
		return 0;
	if (curl_multi_perform(w->multi, &still) != CURLM_OK)
		return 0;
	while ((m = curl_multi_info_read(w->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		c = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    (char **)&c);
		if (c == NULL)
			continue;
		r = call_result(c, m->data.result, &detail);
		curl_multi_remove_handle(w->multi, c->easy);
		for (pp = &w->calls; *pp != NULL; pp = &(*pp)->next)
			if (*pp == c) {
				*pp = c->next;
				break;
			}
		w->running--;
		cb(c->arg, r, detail, cbarg);
		call_free(c);
	}
	return 1;
}
