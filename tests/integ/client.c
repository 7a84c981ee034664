/*
 * client.c: a small SCEP client (RFC 8894) for the integration tests and
 * the load generator.  HTTP goes through libcurl (never hand-rolled);
 * messages are built and checked with the client role of scep/.  Every
 * reply is checked the way a careful client would (RFC 8894 section
 * 3.3.2, INTEROP.md 6.2): signed by exactly the certificate GetCACert
 * offered, our transactionID, our nonce echoed, and a SUCCESS envelope
 * that opens with our key and certifies our key.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scep/scep.h"
#include "tests/integ/client.h"

/* RFC 8894 sections 4.2.1 and 4.7.1: GetCACert/GetNextCACert types. */
#define CT_CA_CERT	"application/x-x509-ca-cert"
#define CT_CA_RA_CERT	"application/x-x509-ca-ra-cert"
#define CT_NEXT_CA_CERT	"application/x-x509-next-ca-cert"

/* The longest subject string we build for names. */
#define NAME_MAX_LEN	1024

/* Record why the last call failed (and say so on stderr with -v). */
static void
seterr(struct sc_client *cl, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(cl->err, sizeof(cl->err), fmt, ap);
	va_end(ap);
	if (cl->verbose)
		fprintf(stderr, "sceptest: %s\n", cl->err);
}

/* A detail for stderr, only with -v. */
static void
logv(const struct sc_client *cl, const char *fmt, ...)
{
	va_list	 ap;

	if (!cl->verbose)
		return;
	va_start(ap, fmt);
	fputs("sceptest: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * curl write callback: append to the exchange's body, refusing to grow
 * past SC_BODY_MAX (returning less than given aborts the transfer).
 */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sc_http	*h = arg;
	uint8_t		*p;
	size_t		 n, ncap;

	/* curl documents size as always 1. */
	if (size != 1)
		return 0;
	n = nmemb;
	if (n > SC_BODY_MAX || h->body.len > SC_BODY_MAX - n) {
		h->overflow = 1;
		return 0;
	}
	if (h->body.len + n > h->cap) {
		ncap = h->cap == 0 ? 4096 : h->cap;
		while (ncap < h->body.len + n)
			ncap *= 2;
		if ((p = OPENSSL_realloc(h->body.data, ncap)) == NULL)
			return 0;
		h->body.data = p;
		h->cap = ncap;
	}
	memcpy(h->body.data + h->body.len, ptr, n);
	h->body.len += n;
	return n;
}

/* Free the body of an exchange and zero it; see client.h. */
void
sc_http_free(struct sc_http *h)
{
	if (h == NULL)
		return;
	scep_buf_free(&h->body);
	memset(h, 0, sizeof(*h));
}

/*
 * Whether ctype's media type (the part before any ';', surrounding
 * white space ignored) is mt, ignoring case (RFC 9110 section 8.3.1).
 */
int
sc_ctype_is(const char *ctype, const char *mt)
{
	size_t	 n;

	if (ctype == NULL)
		return 0;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	n = strcspn(ctype, ";");
	while (n > 0 && (ctype[n - 1] == ' ' || ctype[n - 1] == '\t'))
		n--;
	return n == strlen(mt) && strncasecmp(ctype, mt, n) == 0;
}

/* HTTP and HTTPS only (CURLOPT_PROTOCOLS is deprecated from 7.85). */
static CURLcode
set_protocols(CURL *easy)
{
#if LIBCURL_VERSION_NUM >= 0x075500
	return curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	return curl_easy_setopt(easy, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

/*
 * The options every exchange shares: answer into sink, a timeout, no
 * redirects, HTTP(S) only, no signals (the benchmark is one thread).
 */
static int
easy_common(const struct sc_client *cl, CURL *easy, struct sc_http *sink)
{
	sc_http_free(sink);
	if (curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb) !=
	    CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_WRITEDATA, sink) != CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, cl->timeout_ms) !=
	    CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    set_protocols(easy) != CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_USERAGENT, "sceptest/1") !=
	    CURLE_OK)
		return 0;
	return 1;
}

/* The URL of operation op with an optional, already encoded, message. */
static char *
make_url(const struct sc_client *cl, const char *op, const char *emsg)
{
	char	*u = NULL;
	int	 n;

	n = asprintf(&u, "%s%soperation=%s%s%s", cl->url,
	    strchr(cl->url, '?') == NULL ? "?" : "&", op,
	    emsg == NULL ? "" : "&message=", emsg == NULL ? "" : emsg);
	return n < 0 ? NULL : u;
}

/*
 * Point easy at url?operation=op, by GET with the message msg (base64
 * text, percent-encoded here: '+', '/' and '=' become %2B, %2F, %3D) or
 * by POST of body.  Returns 1 or 0.
 */
static int
easy_request(struct sc_client *cl, CURL *easy, const char *op,
    const char *msg, const uint8_t *body, size_t len, int post,
    struct sc_http *sink)
{
	char	*emsg = NULL, *url = NULL;
	int	 rc = 0;

	if (!easy_common(cl, easy, sink)) {
		seterr(cl, "curl options refused");
		goto out;
	}
	if (msg != NULL &&
	    (emsg = curl_easy_escape(easy, msg, (int)strlen(msg))) == NULL) {
		seterr(cl, "out of memory");
		goto out;
	}
	if ((url = make_url(cl, op, emsg)) == NULL) {
		seterr(cl, "out of memory");
		goto out;
	}
	if (curl_easy_setopt(easy, CURLOPT_URL, url) != CURLE_OK) {
		seterr(cl, "curl refused the URL");
		goto out;
	}
	if (post) {
		if (curl_easy_setopt(easy, CURLOPT_POST, 1L) != CURLE_OK ||
		    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body) !=
		    CURLE_OK ||
		    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len) != CURLE_OK ||
		    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, cl->post_hdrs) !=
		    CURLE_OK) {
			seterr(cl, "curl refused the POST options");
			goto out;
		}
	} else {
		if (curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
		    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL) !=
		    CURLE_OK) {
			seterr(cl, "curl refused the GET options");
			goto out;
		}
	}
	rc = 1;
out:
	curl_free(emsg);
	free(url);
	return rc;
}

/* After a transfer of easy ended: status and Content-Type into sink. */
void
sc_easy_done(CURL *easy, struct sc_http *sink)
{
	long	 status = 0;
	char	*ct = NULL;

	if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK)
		status = 0;
	sink->status = status;
	sink->ctype[0] = '\0';
	if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		snprintf(sink->ctype, sizeof(sink->ctype), "%s", ct);
}

/* Sleep ms milliseconds. */
static void
sleep_ms(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * Run the prepared exchange on the client's own handle.  A transport
 * failure or an HTTP 5xx (RFC 9110 section 15.6: the server's trouble,
 * e.g. a 502 from nginx while no FastCGI worker listens, or scepd's 503)
 * is tried again up to cl->retries times with the handle unchanged, so
 * the server gets the identical request bytes each time.
 */
static int
perform(struct sc_client *cl, const char *op, struct sc_http *res)
{
	CURLcode	 c;
	int		 attempt;

	for (attempt = 0;; attempt++) {
		cl->http_status = 0;
		/* Each attempt starts with an empty body. */
		scep_buf_free(&res->body);
		res->cap = 0;
		res->overflow = 0;
		if ((c = curl_easy_perform(cl->curl)) != CURLE_OK) {
			seterr(cl, "%s: %s%s", op, curl_easy_strerror(c),
			    res->overflow ? " (body too large)" : "");
			if (res->overflow || attempt >= cl->retries)
				return 0;
		} else {
			sc_easy_done(cl->curl, res);
			cl->http_status = res->status;
			logv(cl, "%s: HTTP %ld, %s, %zu bytes", op,
			    res->status, res->ctype[0] == '\0' ?
			    "no Content-Type" : res->ctype, res->body.len);
			if (res->status < 500 || res->status > 599 ||
			    attempt >= cl->retries)
				return 1;
		}
		logv(cl, "%s: retry %d of %d in %ld ms", op, attempt + 1,
		    cl->retries, cl->retry_ms);
		sleep_ms(cl->retry_ms);
	}
}

/* GET url?operation=op[&message=msg]; see client.h. */
int
sc_http_get(struct sc_client *cl, const char *op, const char *msg,
    struct sc_http *res)
{
	if (!easy_request(cl, cl->curl, op, msg, NULL, 0, 0, res))
		return 0;
	return perform(cl, op, res);
}

/* POST body to url?operation=op; see client.h. */
int
sc_http_post(struct sc_client *cl, const char *op, const uint8_t *body,
    size_t len, struct sc_http *res)
{
	if (!easy_request(cl, cl->curl, op, NULL, body, len, 1, res))
		return 0;
	return perform(cl, op, res);
}

/* Prepare another easy handle for a GET of op; see client.h. */
int
sc_easy_get(struct sc_client *cl, CURL *easy, const char *op,
    struct sc_http *sink)
{
	return easy_request(cl, easy, op, NULL, NULL, 0, 0, sink);
}

/*
 * Prepare another easy handle to send der as a PKIOperation; see
 * client.h.  The GET form carries standard base64, percent-encoded.
 */
int
sc_easy_pkiop(struct sc_client *cl, CURL *easy, const struct scep_buf *der,
    int use_get, struct sc_http *sink)
{
	struct scep_buf	 b64 = { NULL, 0 };
	int		 rc = 0;

	if (!use_get) {
		rc = easy_request(cl, easy, "PKIOperation", NULL, der->data,
		    der->len, 1, sink);
		goto out;
	}
	if (!scep_base64_encode(der->data, der->len, &b64)) {
		seterr(cl, "base64 encoding failed");
		goto out;
	}
	rc = easy_request(cl, easy, "PKIOperation", (const char *)b64.data,
	    NULL, 0, 0, sink);
out:
	scep_buf_free(&b64);
	return rc;
}

/*
 * A client for base URL url; see client.h.  Replies are parsed under a
 * policy accepting every algorithm (the server chooses its reply
 * algorithms; what we send is the caller's choice) with default limits,
 * and the context has single DES so that -E des can be tested.
 */
struct sc_client *
sc_client_new(const char *url, long timeout_ms, int verbose)
{
	struct sc_client	*cl = NULL, *rc = NULL;
	struct curl_slist	*h;

	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		goto out;
	cl->timeout_ms = timeout_ms;
	cl->verbose = verbose;
	cl->retry_ms = 300;
	if ((cl->url = strdup(url)) == NULL)
		goto out;
	if ((cl->curl = curl_easy_init()) == NULL)
		goto out;
	/* RFC 8894 section 4.3; "Expect:" keeps curl from waiting for a
	 * 100-continue on larger bodies. */
	if ((h = curl_slist_append(NULL, "Content-Type: " SC_CT_PKI)) == NULL)
		goto out;
	cl->post_hdrs = h;
	if ((h = curl_slist_append(cl->post_hdrs, "Expect:")) == NULL)
		goto out;
	cl->post_hdrs = h;
	if ((cl->ctx = scep_ctx_new(NULL, NULL, 1)) == NULL)
		goto out;
	scep_limits_default(&cl->lim);
	cl->pol.ciphers = (1U << SCEP_CIPHER__MAX) - 1;
	cl->pol.digests = (1U << SCEP_DIGEST__MAX) - 1;
	rc = cl;
	cl = NULL;
out:
	sc_client_free(cl);
	return rc;
}

/* Free a client and everything it holds (NULL-safe). */
void
sc_client_free(struct sc_client *cl)
{
	if (cl == NULL)
		return;
	curl_easy_cleanup(cl->curl);
	curl_slist_free_all(cl->post_hdrs);
	scep_ctx_free(cl->ctx);
	sk_X509_pop_free(cl->cacerts, X509_free);
	free(cl->url);
	free(cl);
}

/* GetCACaps; see client.h. */
int
sc_getcaps(struct sc_client *cl, unsigned int *caps, struct sc_http *res)
{
	struct sc_http	 h;
	int		 rc = 0;

	memset(&h, 0, sizeof(h));
	if (!sc_http_get(cl, "GetCACaps", NULL, &h))
		goto out;
	if (h.status != 200) {
		seterr(cl, "GetCACaps: HTTP %ld", h.status);
		goto out;
	}
	*caps = scep_caps_parse(h.body.data, h.body.len);
	rc = 1;
out:
	if (res != NULL) {
		sc_http_free(res);
		*res = h;
	} else
		sc_http_free(&h);
	return rc;
}

/*
 * The certificates of a degenerate certs-only SignedData (RFC 8894
 * section 3.4) in the order they are encoded: a read-only d2i_PKCS7
 * with the trailing bytes refused, no SignerInfos.  Returns a new stack
 * owning its elements, or NULL.
 */
static STACK_OF(X509) *
degenerate_certs(struct sc_client *cl, const uint8_t *buf, size_t len)
{
	PKCS7			*p7 = NULL;
	const unsigned char	*p = buf;
	STACK_OF(X509)		*rc = NULL;

	if (len == 0 || len > (size_t)cl->lim.max_msg ||
	    (p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL ||
	    p != buf + len) {
		seterr(cl, "not a PKCS#7 ContentInfo (or trailing bytes)");
		goto out;
	}
	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL) {
		seterr(cl, "PKCS#7 is not a SignedData");
		goto out;
	}
	if (sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info) > 0) {
		seterr(cl, "certs-only SignedData has SignerInfos");
		goto out;
	}
	if (sk_X509_num(p7->d.sign->cert) <= 0 ||
	    (size_t)sk_X509_num(p7->d.sign->cert) > cl->lim.max_certs) {
		seterr(cl, "certs-only SignedData: %d certificates",
		    sk_X509_num(p7->d.sign->cert));
		goto out;
	}
	if ((rc = X509_chain_up_ref(p7->d.sign->cert)) == NULL)
		seterr(cl, "out of memory");
out:
	PKCS7_free(p7);
	return rc;
}

/* The certificate of certs whose subject is name, or NULL (borrowed). */
static X509 *
find_subject(STACK_OF(X509) *certs, const X509_NAME *name)
{
	X509	*x;
	int	 i;

	for (i = 0; i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (X509_NAME_cmp(X509_get_subject_name(x), name) == 0)
			return x;
	}
	return NULL;
}

/*
 * Pick the RA and the CA among the GetCACert certificates, the way
 * sscep's guess_ca_certs() does: the RA is the first certificate that
 * is not a CA and may encipher keys; without one the CA itself is the
 * RA.  The CA is the certificate that issued the RA, else the first CA
 * certificate, else the first certificate.
 */
static void
pick_ra_ca(STACK_OF(X509) *certs, X509 **ra, X509 **ca)
{
	X509	*x;
	int	 i;

	*ra = *ca = NULL;
	for (i = 0; i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (X509_check_ca(x) == 0 &&
		    (X509_get_key_usage(x) & KU_KEY_ENCIPHERMENT) != 0) {
			*ra = x;
			break;
		}
	}
	if (*ra != NULL)
		*ca = find_subject(certs, X509_get_issuer_name(*ra));
	for (i = 0; *ca == NULL && i < sk_X509_num(certs); i++)
		if (X509_check_ca(sk_X509_value(certs, i)) != 0)
			*ca = sk_X509_value(certs, i);
	if (*ca == NULL)
		*ca = sk_X509_value(certs, 0);
	if (*ra == NULL)
		*ra = *ca;
}

/* GetCACert; see client.h. */
int
sc_getca(struct sc_client *cl, const char **ctypep)
{
	struct sc_http		 h;
	STACK_OF(X509)		*certs = NULL;
	X509			*x = NULL;
	const unsigned char	*p;
	const char		*ct;
	int			 rc = 0;

	memset(&h, 0, sizeof(h));
	if (!sc_http_get(cl, "GetCACert", NULL, &h))
		goto out;
	if (h.status != 200) {
		seterr(cl, "GetCACert: HTTP %ld", h.status);
		goto out;
	}
	if (sc_ctype_is(h.ctype, CT_CA_CERT)) {
		/* RFC 8894 section 4.2.1.1: one DER certificate. */
		ct = CT_CA_CERT;
		p = h.body.data;
		if (h.body.len == 0 || h.body.len > cl->lim.max_msg ||
		    (x = d2i_X509(NULL, &p, (long)h.body.len)) == NULL ||
		    p != h.body.data + h.body.len) {
			seterr(cl, "GetCACert: not one DER certificate");
			goto out;
		}
		if ((certs = sk_X509_new_null()) == NULL ||
		    !sk_X509_push(certs, x)) {
			seterr(cl, "out of memory");
			goto out;
		}
		x = NULL;
	} else if (sc_ctype_is(h.ctype, CT_CA_RA_CERT)) {
		/* RFC 8894 section 4.2.1.2: a certs-only SignedData. */
		ct = CT_CA_RA_CERT;
		if ((certs = degenerate_certs(cl, h.body.data,
		    h.body.len)) == NULL)
			goto out;
	} else {
		seterr(cl, "GetCACert: unexpected Content-Type \"%s\"",
		    h.ctype);
		goto out;
	}
	sk_X509_pop_free(cl->cacerts, X509_free);
	cl->cacerts = certs;
	certs = NULL;
	pick_ra_ca(cl->cacerts, &cl->ra, &cl->ca);
	if (ctypep != NULL)
		*ctypep = ct;
	rc = 1;
out:
	X509_free(x);
	sk_X509_pop_free(certs, X509_free);
	sc_http_free(&h);
	return rc;
}

/* The CA certificates from a PEM file instead of GetCACert; client.h. */
int
sc_setca_file(struct sc_client *cl, const char *path)
{
	FILE		*f;
	STACK_OF(X509)	*certs = NULL;
	X509		*x;
	int		 rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		seterr(cl, "cannot open %s", path);
		return 0;
	}
	if ((certs = sk_X509_new_null()) == NULL)
		goto out;
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			goto out;
		}
	/* The end of the file leaves a "no start line" error behind. */
	ERR_clear_error();
	if (sk_X509_num(certs) == 0)
		goto out;
	sk_X509_pop_free(cl->cacerts, X509_free);
	cl->cacerts = certs;
	certs = NULL;
	pick_ra_ca(cl->cacerts, &cl->ra, &cl->ca);
	rc = 1;
out:
	if (!rc)
		seterr(cl, "%s: no PEM certificates", path);
	sk_X509_pop_free(certs, X509_free);
	fclose(f);
	return rc;
}

/* GetNextCACert; see client.h. */
int
sc_getnextca(struct sc_client *cl, STACK_OF(X509) **out)
{
	struct sc_http		 h;
	CMS_ContentInfo		*cms = NULL;
	STACK_OF(X509)		*signers = NULL, *certs = NULL;
	BIO			*content = NULL;
	const unsigned char	*p;
	char			*data;
	long			 n;
	int			 rc = 0;

	memset(&h, 0, sizeof(h));
	if (cl->ca == NULL && !sc_getca(cl, NULL))
		goto out;
	if (!sc_http_get(cl, "GetNextCACert", NULL, &h))
		goto out;
	if (h.status != 200) {
		seterr(cl, "GetNextCACert: HTTP %ld", h.status);
		goto out;
	}
	if (!sc_ctype_is(h.ctype, CT_NEXT_CA_CERT)) {
		seterr(cl, "GetNextCACert: unexpected Content-Type \"%s\"",
		    h.ctype);
		goto out;
	}
	p = h.body.data;
	if (h.body.len == 0 || h.body.len > cl->lim.max_msg ||
	    (cms = d2i_CMS_ContentInfo(NULL, &p, (long)h.body.len)) == NULL ||
	    p != h.body.data + h.body.len) {
		seterr(cl, "GetNextCACert: not a CMS ContentInfo");
		goto out;
	}
	/* RFC 8894 section 4.7.1: signed by the current CA. */
	if ((content = BIO_new(BIO_s_mem())) == NULL ||
	    CMS_verify(cms, cl->cacerts, NULL, NULL, content,
	    CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
		seterr(cl, "GetNextCACert: signature does not verify");
		goto out;
	}
	if ((signers = CMS_get0_signers(cms)) == NULL ||
	    sk_X509_num(signers) != 1 ||
	    X509_cmp(sk_X509_value(signers, 0), cl->ca) != 0) {
		seterr(cl, "GetNextCACert: not signed by the current CA");
		goto out;
	}
	if ((n = BIO_get_mem_data(content, &data)) <= 0) {
		seterr(cl, "GetNextCACert: empty content");
		goto out;
	}
	if ((certs = degenerate_certs(cl, (const uint8_t *)data,
	    (size_t)n)) == NULL)
		goto out;
	*out = certs;
	certs = NULL;
	rc = 1;
out:
	sk_X509_free(signers);
	sk_X509_pop_free(certs, X509_free);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	sc_http_free(&h);
	return rc;
}

/* Free a transaction's contents and zero it (NULL-safe). */
void
sc_txn_free(struct sc_txn *t)
{
	if (t == NULL)
		return;
	X509_free(t->signer);
	EVP_PKEY_free(t->signer_key);
	EVP_PKEY_free(t->certkey);
	ASN1_INTEGER_free(t->serial);
	X509_NAME_free(t->subject);
	scep_buf_free(&t->der);
	memset(t, 0, sizeof(*t));
}

/* The transactionID of an enrolment: given, or derived from the key. */
static int
txn_txid(struct sc_client *cl, const struct sc_enroll *e, struct sc_txn *t)
{
	size_t	 n;

	if (e->txid == NULL)
		return sc_txid_from_key(e->key, t->txid);
	n = strlen(e->txid);
	/* INTEROP.md 6.7; scep_request_build() checks the charset. */
	if (n == 0 || n > SCEP_TXID_MAX) {
		seterr(cl, "transactionID of %zu characters", n);
		return 0;
	}
	memcpy(t->txid, e->txid, n + 1);
	return 1;
}

/*
 * The signer of an enrolment or poll: the old certificate and key when
 * given (renewal), else a fresh self-signed certificate for the key to
 * be certified with the CSR subject (RFC 8894 section 2.3).
 */
static int
txn_signer(struct sc_client *cl, const struct sc_enroll *e,
    struct sc_txn *t)
{
	if (e->old_cert != NULL && e->old_key != NULL) {
		if (!X509_up_ref(e->old_cert))
			return 0;
		t->signer = e->old_cert;
		if (!EVP_PKEY_up_ref(e->old_key))
			return 0;
		t->signer_key = e->old_key;
		return 1;
	}
	if ((t->signer = scep_selfsigned_new(cl->ctx, e->key, e->subject,
	    e->now, 1)) == NULL) {
		seterr(cl, "cannot make the self-signed signer");
		return 0;
	}
	if (!EVP_PKEY_up_ref(e->key))
		return 0;
	t->signer_key = e->key;
	return 1;
}

/*
 * Finish a request: the envelope goes to cl->ra alone (the certificate
 * GetCACert offers for encryption); the senderNonce is fresh and kept
 * in t->nonce.
 */
static int
txn_build(struct sc_client *cl, struct scep_request *r, struct sc_txn *t)
{
	STACK_OF(X509)		*rcpt = NULL;
	struct scep_error	 err;
	int			 rc = 0;

	if ((rcpt = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(rcpt, cl->ra)) {
		seterr(cl, "out of memory");
		goto out;
	}
	r->txid = t->txid;
	r->nonce = NULL;
	r->signer = t->signer;
	r->signer_key = t->signer_key;
	r->recipients = rcpt;
	memset(&err, 0, sizeof(err));
	if (!scep_request_build(cl->ctx, r, t->nonce, &t->der, &err)) {
		seterr(cl, "cannot build the %s: %s",
		    scep_msgtype_name(r->type),
		    err.reason == NULL ? "?" : err.reason);
		goto out;
	}
	t->type = r->type;
	rc = 1;
out:
	sk_X509_free(rcpt);	/* the certificate is borrowed */
	return rc;
}

/* Common start of an enrolment or a poll. */
static int
txn_start(struct sc_client *cl, const struct sc_enroll *e, struct sc_txn *t)
{
	memset(t, 0, sizeof(*t));
	if (cl->ra == NULL || cl->ca == NULL) {
		seterr(cl, "no CA certificate: GetCACert first");
		return 0;
	}
	if (e->key == NULL || e->subject == NULL) {
		seterr(cl, "no key or no subject");
		return 0;
	}
	if (!txn_txid(cl, e, t) || !txn_signer(cl, e, t))
		return 0;
	if (!EVP_PKEY_up_ref(e->key))
		return 0;
	t->certkey = e->key;
	if ((t->subject = X509_NAME_dup(e->subject)) == NULL) {
		seterr(cl, "out of memory");
		return 0;
	}
	return 1;
}

/* PKCSReq or RenewalReq (RFC 8894 section 3.3.1); see client.h. */
int
sc_txn_enroll(struct sc_client *cl, const struct sc_enroll *e,
    struct sc_txn *t)
{
	struct scep_request	 r;
	X509_REQ		*csr = NULL;
	int			 rc = 0;

	if (!txn_start(cl, e, t))
		goto out;
	if ((csr = sc_csr_new(e->key, e->subject, e->challenge, e->sans,
	    e->nsans)) == NULL) {
		seterr(cl, "cannot build the CSR");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.type = e->renewal ? SCEP_MSG_RENEWALREQ : SCEP_MSG_PKCSREQ;
	r.digest = e->digest;
	r.cipher = e->cipher;
	r.csr = csr;
	rc = txn_build(cl, &r, t);
out:
	X509_REQ_free(csr);
	if (!rc)
		sc_txn_free(t);
	return rc;
}

/*
 * CertPoll (RFC 8894 section 3.3.3): IssuerAndSubject with the CA's
 * subject as issuer and the CSR subject; see client.h.
 */
int
sc_txn_poll(struct sc_client *cl, const struct sc_enroll *e,
    struct sc_txn *t)
{
	struct scep_request	 r;
	int			 rc = 0;

	if (!txn_start(cl, e, t))
		goto out;
	memset(&r, 0, sizeof(r));
	r.type = SCEP_MSG_CERTPOLL;
	r.digest = e->digest;
	r.cipher = e->cipher;
	r.issuer = X509_get_subject_name(cl->ca);
	r.subject = e->subject;
	rc = txn_build(cl, &r, t);
out:
	if (!rc)
		sc_txn_free(t);
	return rc;
}

/*
 * GetCert or GetCRL (RFC 8894 sections 3.3.3, 3.3.4): an
 * IssuerAndSerialNumber signed by an existing certificate; the
 * transactionID is derived from the signer's key.  See client.h.
 */
int
sc_txn_query(struct sc_client *cl, enum scep_msgtype type, X509 *cert,
    EVP_PKEY *key, const X509_NAME *issuer, const ASN1_INTEGER *serial,
    enum scep_digest digest, enum scep_cipher cipher, struct sc_txn *t)
{
	struct scep_request	 r;
	int			 rc = 0;

	memset(t, 0, sizeof(*t));
	if (cl->ra == NULL || cert == NULL || key == NULL ||
	    (type != SCEP_MSG_GETCERT && type != SCEP_MSG_GETCRL)) {
		seterr(cl, "GetCert/GetCRL: no CA, no signer or wrong type");
		goto out;
	}
	if (!sc_txid_from_key(key, t->txid))
		goto out;
	if (!X509_up_ref(cert))
		goto out;
	t->signer = cert;
	if (!EVP_PKEY_up_ref(key))
		goto out;
	t->signer_key = key;
	if ((t->serial = ASN1_INTEGER_dup(serial)) == NULL) {
		seterr(cl, "out of memory");
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.type = type;
	r.digest = digest;
	r.cipher = cipher;
	r.issuer = issuer;
	r.serial = serial;
	rc = txn_build(cl, &r, t);
out:
	if (!rc)
		sc_txn_free(t);
	return rc;
}

/* Free a reply's contents and zero it (NULL-safe). */
void
sc_reply_free(struct sc_reply *r)
{
	if (r == NULL)
		return;
	free(r->failinfo_text);
	X509_free(r->cert);
	X509_CRL_free(r->crl);
	memset(r, 0, sizeof(*r));
}

/*
 * Whether one of certs whose subject is the issuer of x (or of crl, when
 * x is NULL) signed it: a CA and the CA it rolled over from share their
 * subject, so the name alone does not tell.
 */
static int
signed_by_one(STACK_OF(X509) *certs, X509 *x, X509_CRL *crl)
{
	const X509_NAME	*issuer;
	X509		*ca;
	int		 i;

	issuer = x != NULL ? X509_get_issuer_name(x) :
	    X509_CRL_get_issuer(crl);
	for (i = 0; i < sk_X509_num(certs); i++) {
		ca = sk_X509_value(certs, i);
		if (X509_NAME_cmp(X509_get_subject_name(ca), issuer) != 0)
			continue;
		if (x != NULL ? X509_verify(x, X509_get0_pubkey(ca)) == 1 :
		    X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1)
			return 1;
	}
	ERR_clear_error();
	return 0;
}

/*
 * The content of a SUCCESS, by the type of the request it answers:
 * an issued certificate for our key, signed by a GetCACert certificate
 * (PKCSReq, RenewalReq, CertPoll); the certificate with the serial we
 * asked for (GetCert); a CRL signed by a GetCACert certificate (GetCRL).
 */
static int
success_check(struct sc_client *cl, const struct sc_txn *t,
    const struct scep_msg *msg, struct sc_reply *r)
{
	X509		*x;
	X509_CRL	*crl;

	if (t->type == SCEP_MSG_GETCRL) {
		if (msg->rep_crls == NULL ||
		    sk_X509_CRL_num(msg->rep_crls) < 1) {
			seterr(cl, "SUCCESS to GetCRL holds no CRL");
			return 0;
		}
		crl = sk_X509_CRL_value(msg->rep_crls, 0);
		if (!signed_by_one(cl->cacerts, NULL, crl)) {
			seterr(cl, "CRL not signed by a GetCACert certificate");
			return 0;
		}
		if (!X509_CRL_up_ref(crl))
			return 0;
		r->crl = crl;
		return 1;
	}
	if (msg->rep_certs == NULL || sk_X509_num(msg->rep_certs) < 1) {
		seterr(cl, "SUCCESS holds no certificate");
		return 0;
	}
	if (sk_X509_num(msg->rep_certs) != 1)
		logv(cl, "SUCCESS holds %d certificates (INTEROP.md 6.2: one)",
		    sk_X509_num(msg->rep_certs));
	/* micromdm and Apple take the first one (INTEROP.md 6.2). */
	x = sk_X509_value(msg->rep_certs, 0);
	if (t->type == SCEP_MSG_GETCERT) {
		if (ASN1_INTEGER_cmp(X509_get0_serialNumber(x),
		    t->serial) != 0) {
			seterr(cl, "GetCert answered with another serial");
			return 0;
		}
	} else {
		if (EVP_PKEY_eq(X509_get0_pubkey(x), t->certkey) != 1) {
			seterr(cl, "issued certificate is not for our key");
			return 0;
		}
		if (!signed_by_one(cl->cacerts, x, NULL)) {
			seterr(cl, "issued certificate not signed by a "
			    "GetCACert certificate");
			return 0;
		}
	}
	if (!X509_up_ref(x))
		return 0;
	r->cert = x;
	return 1;
}

/* Check a CertRep answering t; see client.h. */
int
sc_reply_check(struct sc_client *cl, const struct sc_txn *t,
    const uint8_t *buf, size_t len, struct sc_reply *r)
{
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	size_t			 n;
	int			 rc = 0;

	memset(r, 0, sizeof(*r));
	memset(&err, 0, sizeof(err));
	/* RFC 8894 section 3.3.2: a pkiMessage whose signature verifies. */
	if (!scep_msg_parse(cl->ctx, buf, len, &cl->lim, &cl->pol, &msg,
	    &err)) {
		seterr(cl, "CertRep does not parse: %s (%s)",
		    err.reason == NULL ? "?" : err.reason,
		    scep_outcome_name(err.outcome));
		goto out;
	}
	/* Signed by exactly the certificate GetCACert offered. */
	if (msg->signer == NULL || X509_cmp(msg->signer, cl->ra) != 0) {
		seterr(cl, "CertRep not signed by the GetCACert RA/CA "
		    "certificate");
		goto out;
	}
	if (!msg->has_type || msg->type != SCEP_MSG_CERTREP) {
		seterr(cl, "reply messageType is not CertRep");
		goto out;
	}
	n = strlen(t->txid);
	if (msg->txid_len != n || memcmp(msg->txid, t->txid, n) != 0) {
		seterr(cl, "CertRep transactionID differs");
		goto out;
	}
	/* RFC 8894 section 3.2.1.5: recipientNonce = our senderNonce. */
	if (!msg->has_recipient_nonce ||
	    CRYPTO_memcmp(msg->recipient_nonce, t->nonce,
	    SCEP_NONCE_LEN) != 0) {
		seterr(cl, "CertRep recipientNonce missing or not ours");
		goto out;
	}
	/*
	 * scep_msg_parse() insists on a 16-byte senderNonce; a server
	 * echoing ours back as its own did not draw a fresh one (RFC 8894
	 * section 3.2.1.5, INTEROP.md 6.2).  micromdm scepserver does.
	 */
	if (CRYPTO_memcmp(msg->sender_nonce, t->nonce, SCEP_NONCE_LEN) == 0) {
		if (!cl->echoed_nonce_ok) {
			seterr(cl, "CertRep senderNonce is our own nonce");
			goto out;
		}
		logv(cl, "CertRep senderNonce is our own nonce (accepted)");
	}
	if (!msg->has_status) {
		seterr(cl, "CertRep without pkiStatus");
		goto out;
	}
	r->status = msg->status;
	r->digest = msg->digest;
	switch (msg->status) {
	case SCEP_STATUS_SUCCESS:
		/* The envelope is for the certificate that signed t. */
		if (!scep_msg_open(cl->ctx, msg, t->signer, t->signer_key,
		    &cl->lim, &cl->pol, &err)) {
			seterr(cl, "cannot open the SUCCESS envelope: %s",
			    err.reason == NULL ? "?" : err.reason);
			goto out;
		}
		r->opened = 1;
		r->cipher = msg->cipher;
		logv(cl, "CertRep SUCCESS, digest %s, envelope %s",
		    scep_digest_name(msg->digest),
		    scep_cipher_name(msg->cipher));
		if (!success_check(cl, t, msg, r))
			goto out;
		break;
	case SCEP_STATUS_FAILURE:
		/* RFC 8894 section 3.2.1.4: failInfo is required. */
		if (!msg->has_failinfo) {
			seterr(cl, "CertRep FAILURE without failInfo");
			goto out;
		}
		r->has_failinfo = 1;
		r->failinfo = msg->failinfo;
		if (msg->failinfo_text != NULL &&
		    (r->failinfo_text = strdup(msg->failinfo_text)) == NULL) {
			seterr(cl, "out of memory");
			goto out;
		}
		break;
	case SCEP_STATUS_PENDING:
		break;
	default:
		seterr(cl, "CertRep with an unknown pkiStatus");
		goto out;
	}
	rc = 1;
out:
	scep_msg_free(msg);
	if (!rc)
		sc_reply_free(r);
	return rc;
}

/* Send t and check the answer; see client.h. */
int
sc_transact(struct sc_client *cl, const struct sc_txn *t, int use_get,
    struct sc_reply *r)
{
	struct sc_http	 h;
	struct scep_buf	 b64 = { NULL, 0 };
	int		 rc = 0;

	memset(&h, 0, sizeof(h));
	memset(r, 0, sizeof(*r));
	logv(cl, "sending %s (%zu bytes, transactionID %s) by %s",
	    scep_msgtype_name(t->type), t->der.len, t->txid,
	    use_get ? "GET" : "POST");
	if (use_get) {
		if (!scep_base64_encode(t->der.data, t->der.len, &b64)) {
			seterr(cl, "base64 encoding failed");
			goto out;
		}
		if (!sc_http_get(cl, "PKIOperation", (const char *)b64.data,
		    &h))
			goto out;
	} else if (!sc_http_post(cl, "PKIOperation", t->der.data, t->der.len,
	    &h))
		goto out;
	if (h.status != 200) {
		seterr(cl, "PKIOperation: HTTP %ld", h.status);
		goto out;
	}
	/* RFC 8894 section 4.3. */
	if (!sc_ctype_is(h.ctype, SC_CT_PKI)) {
		seterr(cl, "PKIOperation: Content-Type \"%s\"", h.ctype);
		goto out;
	}
	rc = sc_reply_check(cl, t, h.body.data, h.body.len, r);
out:
	scep_buf_free(&b64);
	sc_http_free(&h);
	return rc;
}

/* Enrol, polling while PENDING; see client.h. */
int
sc_enroll(struct sc_client *cl, const struct sc_enroll *e, int use_get,
    int polls, long interval_ms, struct sc_reply *r)
{
	struct sc_txn	 t;
	int		 rc = 0;

	memset(r, 0, sizeof(*r));
	if (!sc_txn_enroll(cl, e, &t))
		goto out;
	if (!sc_transact(cl, &t, use_get, r))
		goto out;
	/* RFC 8894 section 3.3.3: poll with CertPoll while PENDING. */
	while (r->status == SCEP_STATUS_PENDING && polls-- > 0) {
		logv(cl, "PENDING; polling in %ld ms", interval_ms);
		sleep_ms(interval_ms);
		sc_txn_free(&t);
		sc_reply_free(r);
		if (!sc_txn_poll(cl, e, &t))
			goto out;
		if (!sc_transact(cl, &t, use_get, r))
			goto out;
	}
	rc = 1;
out:
	sc_txn_free(&t);
	return rc;
}

/* An RSA key; see client.h. */
EVP_PKEY *
sc_rsa_new(int bits)
{
	if (bits < 512 || bits > 16384)
		return NULL;
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

/* Load (or create) a PEM private key; see client.h. */
EVP_PKEY *
sc_key_load(const char *path, int create, int bits)
{
	FILE		*f = NULL;
	EVP_PKEY	*key = NULL, *rc = NULL;
	int		 fd;

	if ((f = fopen(path, "r")) != NULL) {
		rc = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		goto out;
	}
	if (errno != ENOENT || !create)
		goto out;
	if ((key = sc_rsa_new(bits)) == NULL)
		goto out;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		goto out;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto out;
	}
	if (!PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL))
		goto out;
	if (fflush(f) != 0)
		goto out;
	rc = key;
	key = NULL;
out:
	if (f != NULL)
		fclose(f);
	EVP_PKEY_free(key);
	return rc;
}

/* Load a PEM certificate; NULL on failure.  Free with X509_free(). */
X509 *
sc_cert_load(const char *path)
{
	FILE	*f;
	X509	*x;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

/* Write a certificate as PEM; 1 or 0. */
int
sc_cert_write(const char *path, X509 *x)
{
	FILE	*f;
	int	 rc;

	if ((f = fopen(path, "w")) == NULL)
		return 0;
	rc = PEM_write_X509(f, x);
	if (fclose(f) != 0)
		rc = 0;
	return rc;
}

/* Write a CRL as PEM; 1 or 0. */
int
sc_crl_write(const char *path, X509_CRL *crl)
{
	FILE	*f;
	int	 rc;

	if ((f = fopen(path, "w")) == NULL)
		return 0;
	rc = PEM_write_X509_CRL(f, crl);
	if (fclose(f) != 0)
		rc = 0;
	return rc;
}

/*
 * A name from "CN=x,O=y" (a backslash escapes the next character) or
 * from OpenSSL's "/CN=x/O=y"; attributes in the order written.  NULL
 * on a malformed string or an unknown attribute.
 */
X509_NAME *
sc_name_parse(const char *s)
{
	X509_NAME	*name = NULL, *rc = NULL;
	char		*buf = NULL, *field, *value, *w;
	char		 sep = ',';

	if (s == NULL || strlen(s) > NAME_MAX_LEN)
		goto out;
	if (*s == '/') {
		sep = '/';
		s++;
	}
	/* Unescaped copy, one attribute at a time. */
	if ((buf = malloc(strlen(s) + 1)) == NULL ||
	    (name = X509_NAME_new()) == NULL)
		goto out;
	while (*s != '\0') {
		w = field = buf;
		value = NULL;
		while (*s != '\0' && *s != sep) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '=' && value == NULL) {
				*w++ = '\0';
				value = w;
				s++;
				continue;
			}
			*w++ = *s++;
		}
		*w = '\0';
		if (*s == sep)
			s++;
		while (*field == ' ')
			field++;
		if (value == NULL || *field == '\0' || *value == '\0')
			goto out;
		if (!X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
		    (const unsigned char *)value, -1, -1, 0))
			goto out;
	}
	if (X509_NAME_entry_count(name) == 0)
		goto out;
	rc = name;
	name = NULL;
out:
	X509_NAME_free(name);
	free(buf);
	return rc;
}

/* The name as "CN=x,O=y" in its encoded order; see client.h. */
char *
sc_name_str(const X509_NAME *name, char *buf, size_t sz)
{
	BIO	*bio;
	char	*p;
	long	 n;

	if (sz == 0)
		return buf;
	buf[0] = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return buf;
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_SEP_COMMA_PLUS |
	    XN_FLAG_FN_SN | ASN1_STRFLGS_RFC2253) >= 0 &&
	    (n = BIO_get_mem_data(bio, &p)) > 0)
		snprintf(buf, sz, "%.*s", (int)n, p);
	BIO_free(bio);
	return buf;
}

/* A cipher name of the command line; see client.h. */
int
sc_cipher_arg(const char *s, enum scep_cipher *c)
{
	static const struct {
		const char		*name;
		enum scep_cipher	 c;
	} tab[] = {
		{ "aes128", SCEP_CIPHER_AES128 },
		{ "aes", SCEP_CIPHER_AES128 },
		{ "aes192", SCEP_CIPHER_AES192 },
		{ "aes256", SCEP_CIPHER_AES256 },
		{ "3des", SCEP_CIPHER_DES3 },
		{ "des3", SCEP_CIPHER_DES3 },
		{ "des", SCEP_CIPHER_DES },
	};
	size_t	 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(s, tab[i].name) == 0) {
			*c = tab[i].c;
			return 1;
		}
	return scep_cipher_from_name(s, c);
}

/* Upper-case hex of a serial; see client.h. */
char *
sc_serial_str(const ASN1_INTEGER *ai, char *buf, size_t sz)
{
	BIGNUM	*bn;
	char	*hex = NULL;

	if (sz == 0)
		return buf;
	buf[0] = '\0';
	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) != NULL &&
	    (hex = BN_bn2hex(bn)) != NULL)
		snprintf(buf, sz, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
	return buf;
}

/*
 * The default transactionID: hex SHA-256 of the SubjectPublicKeyInfo,
 * as real clients derive theirs from the key (INTEROP.md 2, row 16).
 */
int
sc_txid_from_key(EVP_PKEY *key, char out[65])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		*der = NULL;
	unsigned char		 md[32];
	unsigned int		 mdlen = 0;
	int			 n, i, rc = 0;

	if ((n = i2d_PUBKEY(key, &der)) <= 0)
		goto out;
	if (!EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != sizeof(md))
		goto out;
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
	rc = 1;
out:
	OPENSSL_free(der);
	return rc;
}

/* The subjectAltName extension for DNS names sans[0..n). */
static X509_EXTENSION *
san_ext(const char *const *sans, size_t n)
{
	GENERAL_NAMES	*gens = NULL;
	GENERAL_NAME	*gen = NULL;
	ASN1_IA5STRING	*ia5 = NULL;
	X509_EXTENSION	*rc = NULL;
	size_t		 i;

	if ((gens = GENERAL_NAMES_new()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((gen = GENERAL_NAME_new()) == NULL ||
		    (ia5 = ASN1_IA5STRING_new()) == NULL ||
		    !ASN1_STRING_set(ia5, sans[i], -1))
			goto out;
		GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);
		ia5 = NULL;
		if (!sk_GENERAL_NAME_push(gens, gen))
			goto out;
		gen = NULL;
	}
	rc = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
out:
	ASN1_IA5STRING_free(ia5);
	GENERAL_NAME_free(gen);
	GENERAL_NAMES_free(gens);
	return rc;
}

/* A CSR (RFC 2986); see client.h. */
X509_REQ *
sc_csr_new(EVP_PKEY *key, const X509_NAME *subject, const char *challenge,
    const char *const *sans, size_t nsans)
{
	X509_REQ			*req = NULL, *rc = NULL;
	X509_EXTENSION			*ext = NULL;
	STACK_OF(X509_EXTENSION)	*exts = NULL;

	if ((req = X509_REQ_new()) == NULL ||
	    !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_REQ_set_subject_name(req, subject) ||
	    !X509_REQ_set_pubkey(req, key))
		goto out;
	/* RFC 2985 section 5.4.1; the string type is OpenSSL's choice
	 * (PrintableString when it fits, as sscep and certmonger). */
	if (challenge != NULL &&
	    !X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword,
	    MBSTRING_UTF8, (const unsigned char *)challenge, -1))
		goto out;
	if (nsans > 0) {
		if ((ext = san_ext(sans, nsans)) == NULL ||
		    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
		    !sk_X509_EXTENSION_push(exts, ext))
			goto out;
		ext = NULL;
		if (!X509_REQ_add_extensions(req, exts))
			goto out;
	}
	if (X509_REQ_sign(req, key, EVP_sha256()) <= 0)
		goto out;
	rc = req;
	req = NULL;
out:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return rc;
}
