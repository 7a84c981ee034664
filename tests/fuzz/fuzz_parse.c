/*
 * fuzz_parse.c: a libFuzzer harness on the parse entry points of scep/
 * (kcgi afl/ style), built by tests/fuzz/run.sh with
 * clang -fsanitize=fuzzer,address,undefined.
 *
 * Each input goes, unchanged, to:
 *  - scep_msg_parse() with a permissive policy (every cipher and digest
 *    allowed, so the fuzzer reaches the signature check and beyond),
 *    then, if it parsed, scep_msg_open() with the corpus RA
 *    (tests/data/corpus/pki/ra.crt, ra.key);
 *  - scep_content_parse() as the decrypted content of each message type
 *    (PKCS#10, IssuerAndSubject, IssuerAndSerialNumber, certs-only
 *    SignedData): the inner layers, which a fuzzer cannot reach through
 *    a signature and an RSA envelope; the PKCS#10 twice, without a
 *    signer certificate and with one for the key of the corpus's
 *    apple-pkcsreq-post request (its CSR's key is then the signer's,
 *    not decoded again: csr.c);
 *  - scep_message_decode(), as the text of a GET "message=" value;
 *  - scep_caps_parse(), as a GetCACaps body;
 *  - the front end's request-URI parsing (cgi-bin/http.c): the route
 *    and tenant of INTEROP.md 6.6, and the message= query value with
 *    its percent-decoding, checked against their invariants.
 *
 * Everything long-lived (OpenSSL's own tables, the OID table, the
 * library context, the RA's certificate and key) is set up once in
 * LLVMFuzzerInitialize(), so lazy initialisation is not reported as a
 * leak.  The RA files are read from $SCEP_TESTDATA/corpus/pki (run.sh
 * sets it), else from tests/data/corpus/pki below the current folder.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "scep/extern.h"
#include "cgi-bin/http.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct scep_ctx		*ctx;
static X509			*ra;
static EVP_PKEY			*ra_key;
static X509			*csr_signer;
static struct scep_limits	 lim;
static struct scep_policy	 pol;

/* Open a PEM file of the corpus (corpus/rel); exits on failure (set-up). */
static BIO *
corpus_open(const char *rel)
{
	const char	*dir;
	char		 path[4096];
	BIO		*b;
	int		 n;

	if ((dir = getenv("SCEP_TESTDATA")) == NULL || *dir == '\0')
		dir = "tests/data";
	n = snprintf(path, sizeof(path), "%s/corpus/%s", dir, rel);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    (b = BIO_new_file(path, "r")) == NULL) {
		fprintf(stderr, "fuzz_parse: cannot open %s "
		    "(set SCEP_TESTDATA)\n", path);
		exit(1);
	}
	return b;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	BIO		*b;
	EVP_PKEY	*key;
	X509_NAME	*name;

	(void)argc;
	(void)argv;
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS |
	    OPENSSL_INIT_ADD_ALL_CIPHERS | OPENSSL_INIT_ADD_ALL_DIGESTS,
	    NULL) != 1 || scep_init() != 1) {
		fprintf(stderr, "fuzz_parse: OpenSSL/scep_init failed\n");
		exit(1);
	}
	/* DES too: the corpus holds DES envelopes (legacy provider). */
	if ((ctx = scep_ctx_new(NULL, NULL, 1)) == NULL) {
		fprintf(stderr, "fuzz_parse: scep_ctx_new failed\n");
		exit(1);
	}
	b = corpus_open("pki/ra.crt");
	ra = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	b = corpus_open("pki/ra.key");
	ra_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (ra == NULL || ra_key == NULL) {
		fprintf(stderr, "fuzz_parse: cannot read the RA\n");
		exit(1);
	}
	/* A signer for the key of a corpus CSR (a fixed time: 2026-01-01). */
	b = corpus_open("client-keys/apple-pkcsreq-post.key");
	key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (key == NULL || (name = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"fuzz", -1, -1, 0) ||
	    (csr_signer = scep_selfsigned_new(ctx, key, name, 1767225600,
	    1)) == NULL) {
		fprintf(stderr, "fuzz_parse: cannot make the CSR signer\n");
		exit(1);
	}
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	scep_limits_default(&lim);
	pol.ciphers = (1u << SCEP_CIPHER__MAX) - 1;
	pol.digests = (1u << SCEP_DIGEST__MAX) - 1;
	ERR_clear_error();
	return 0;
}

/*
 * The input as the decrypted content of a message of type t, signed by
 * signer (or none).
 */
static void
fuzz_content(enum scep_msgtype t, int status, X509 *signer,
    const uint8_t *data, size_t size)
{
	struct scep_msg	*msg;

	if ((msg = OPENSSL_zalloc(sizeof(*msg))) == NULL)
		return;
	if (signer != NULL && X509_up_ref(signer))
		msg->signer = signer;
	msg->type = t;
	msg->has_type = 1;
	if (status) {
		msg->status = SCEP_STATUS_SUCCESS;
		msg->has_status = 1;
	}
	(void)scep_content_parse(ctx, msg, data, size, &lim);
	scep_msg_free(msg);
}

/* Whether tenant is a valid name (INTEROP.md 6.6), not a reserved one. */
static int
tenant_valid(const char *t)
{
	size_t	 i, n = strlen(t);

	if (n == 0 || n > 63 || !((t[0] >= 'a' && t[0] <= 'z') ||
	    (t[0] >= '0' && t[0] <= '9')))
		return 0;
	for (i = 1; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') ||
		    (t[i] >= '0' && t[i] <= '9') || t[i] == '_' ||
		    t[i] == '-'))
			return 0;
	return strcmp(t, "scep") != 0 && strcmp(t, "crl") != 0 &&
	    strcmp(t, "auth") != 0 && strcmp(t, "cgi-bin") != 0;
}

/* The input as a REQUEST_URI: route, tenant, message= value. */
static void
fuzz_http(const uint8_t *data, size_t size)
{
	char		 uri[4096], tenant[64], buf[1024];
	const char	*v;
	size_t		 len;
	enum http_route	 rt;

	if (size >= sizeof(uri) || memchr(data, '\0', size) != NULL)
		return;
	memcpy(uri, data, size);
	uri[size] = '\0';
	memset(tenant, 'x', sizeof(tenant));
	rt = http_route(uri, tenant, sizeof(tenant));
	if (memchr(tenant, '\0', sizeof(tenant)) == NULL)
		abort();
	if (rt == ROUTE_NONE && tenant[0] != '\0')
		abort();
	if (rt == ROUTE_CRL && !tenant_valid(tenant))
		abort();
	if (rt == ROUTE_SCEP && tenant[0] != '\0' && !tenant_valid(tenant))
		abort();
	if ((v = http_query_param(uri, "message", &len)) != NULL) {
		if (v < uri || v + len > uri + size)
			abort();
		if (http_query_decode(v, len, buf, sizeof(buf)) == 1 &&
		    strlen(buf) >= sizeof(buf))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scep_msg		*msg = NULL;
	struct scep_error	 err;
	struct scep_buf		 out = { NULL, 0 };

	/* The outer message, and its envelope if it verified. */
	if (scep_msg_parse(ctx, data, size, &lim, &pol, &msg, &err) == 1)
		(void)scep_msg_open(ctx, msg, ra, ra_key, &lim, &pol, &err);
	scep_msg_free(msg);

	/* The inner layers, directly. */
	fuzz_content(SCEP_MSG_PKCSREQ, 0, NULL, data, size);
	fuzz_content(SCEP_MSG_PKCSREQ, 0, csr_signer, data, size);
	fuzz_content(SCEP_MSG_CERTPOLL, 0, NULL, data, size);
	fuzz_content(SCEP_MSG_GETCERT, 0, NULL, data, size);
	fuzz_content(SCEP_MSG_CERTREP, 1, NULL, data, size);

	/* GET message= text and a GetCACaps body. */
	if (scep_message_decode((const char *)data, size, lim.max_msg,
	    &out) == 1 && out.len > lim.max_msg)
		abort();
	scep_buf_free(&out);
	(void)scep_caps_parse(data, size);
	fuzz_http(data, size);

	ERR_clear_error();
	return 0;
}
