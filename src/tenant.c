/*
 * tenant.c: load everything a worker needs once: the configuration,
 * every tenant's certificates and keys, the pre-built GetCACert,
 * GetNextCACert and GetCACaps bodies, the library context and the store.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/store.h"
#include "src/ca.h"
#include "src/server.h"

/* Read one PEM certificate from path; NULL with err filled. */
static X509 *
read_cert(const char *path, char *err, size_t errsz)
{
	BIO	*b;
	X509	*x = NULL;

	if ((b = BIO_new_file(path, "r")) != NULL)
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (x == NULL)
		snprintf(err, errsz, "%s: cannot read a PEM certificate", path);
	ERR_clear_error();
	return x;
}

/* Read every PEM certificate of path into a new stack; NULL on error. */
static STACK_OF(X509) *
read_certs(const char *path, char *err, size_t errsz)
{
	BIO		*b;
	STACK_OF(X509)	*sk = NULL;
	X509		*x;

	if ((b = BIO_new_file(path, "r")) == NULL ||
	    (sk = sk_X509_new_null()) == NULL)
		goto fail;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto fail;
		}
	if (sk_X509_num(sk) == 0)
		goto fail;
	BIO_free(b);
	ERR_clear_error();
	return sk;
fail:
	snprintf(err, errsz, "%s: cannot read PEM certificates", path);
	BIO_free(b);
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	return NULL;
}

static void
tenant_free(struct tenant *t)
{
	if (t == NULL)
		return;
	signer_free(t->ca);
	signer_free(t->msg);
	sk_X509_pop_free(t->chain, X509_free);
	X509_free(t->next_ca);
	X509_free(t->next_ra);
	scep_buf_free(&t->cacert);
	scep_buf_free(&t->nextcacert);
	otp_key_free(t->otp_key, t->otp_key_len);
	free(t);
}

/*
 * Load one tenant: keys, certificates and the bodies served for it.
 * The rules of INTEROP.md 6.1, 6.4 and 5: the message signer (RA, or a
 * --no-ra CA) must be RSA, an EC CA needs an RA, the RA must carry
 * digitalSignature and keyEncipherment.  Returns the tenant or NULL with
 * err filled.
 */
static struct tenant *
tenant_load(const struct server *s, const struct conf_tenant *ct, char *err,
    size_t errsz)
{
	struct tenant	*t = NULL, *rc = NULL;
	X509		*ra;
	uint32_t	 ku;
	const char	*ctype;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	t->conf = ct;
	/* One-time challenges: the HMAC key, loaded once (src/otp.c). */
	if (ct->challenge == CONF_CHALLENGE_OTP) {
		if (ct->challenge_key == NULL) {
			snprintf(err, errsz, "%s: [tenant %s]: challenge = otp "
			    "(the default) needs challenge_key", s->conf->path,
			    ct->name);
			goto out;
		}
		if (!otp_key_load(ct->challenge_key, &t->otp_key,
		    &t->otp_key_len, err, errsz))
			goto out;
	}
	if ((t->ca = signer_load(ct->ca_cert, ct->ca_key, err, errsz)) == NULL)
		goto out;
	if (ct->ra_cert != NULL) {
		if ((t->msg = signer_load(ct->ra_cert, ct->ra_key, err,
		    errsz)) == NULL)
			goto out;
		t->has_ra = 1;
	} else if ((t->msg = signer_dup(t->ca)) == NULL) {
		/* A --no-ra CA signs and decrypts SCEP messages itself. */
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (!signer_is_rsa(t->msg)) {
		snprintf(err, errsz, "[tenant %s]: %s: the certificate that "
		    "signs and decrypts SCEP messages must be RSA (an EC CA "
		    "needs an RSA RA)", ct->name,
		    t->has_ra ? ct->ra_cert : ct->ca_cert);
		goto out;
	}
	ra = signer_get0_cert(t->msg);
	ku = X509_get_key_usage(ra);
	if (ku != UINT32_MAX && (!(ku & KU_DIGITAL_SIGNATURE) ||
	    !(ku & KU_KEY_ENCIPHERMENT))) {
		snprintf(err, errsz, "[tenant %s]: %s: keyUsage lacks "
		    "digitalSignature or keyEncipherment (RFC 8894 2.1.2)",
		    ct->name, t->has_ra ? ct->ra_cert : ct->ca_cert);
		goto out;
	}
	if (ct->chain != NULL &&
	    (t->chain = read_certs(ct->chain, err, errsz)) == NULL)
		goto out;
	if (!scep_cacert_body(t->has_ra ? ra : NULL, signer_get0_cert(t->ca),
	    t->chain, &t->cacert, &t->cacert_ctype)) {
		snprintf(err, errsz, "[tenant %s]: cannot build the "
		    "GetCACert body", ct->name);
		goto out;
	}
	if (ct->next_ca_cert != NULL) {
		if ((t->next_ca = read_cert(ct->next_ca_cert, err, errsz)) ==
		    NULL)
			goto out;
		if (ct->next_ra_cert != NULL && (t->next_ra =
		    read_cert(ct->next_ra_cert, err, errsz)) == NULL)
			goto out;
		if (!signer_nextcacert(t->ca, s->sctx, t->next_ra, t->next_ca,
		    &t->nextcacert, &ctype)) {
			snprintf(err, errsz, "[tenant %s]: cannot build the "
			    "GetNextCACert body", ct->name);
			goto out;
		}
		t->nextcacert_ctype = ctype;
	}
	if (scep_caps_text(ct->caps, t->caps, sizeof(t->caps)) < 0) {
		snprintf(err, errsz, "[tenant %s]: capabilities", ct->name);
		goto out;
	}
	t->capslen = strlen(t->caps);
	rc = t;
	t = NULL;
out:
	tenant_free(t);
	ERR_clear_error();
	return rc;
}

/* Load a server; see server.h. */
struct server *
server_new(const char *path, unsigned int flags, char *err, size_t errsz)
{
	struct server	*s = NULL, *rc = NULL;
	size_t		 i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (!scep_init()) {
		snprintf(err, errsz, "cannot initialise the SCEP library");
		goto out;
	}
	if (!conf_load(path, &s->conf, err, errsz))
		goto out;
	/* Single DES needs the legacy provider (INTEROP.md 6.1). */
	if ((s->sctx = scep_ctx_new(NULL, NULL, conf_needs_des(s->conf))) ==
	    NULL) {
		snprintf(err, errsz, "cannot set up OpenSSL%s",
		    conf_needs_des(s->conf) ?
		    " with the legacy provider (allow_des)" : "");
		goto out;
	}
	if (s->conf->ntenants > 0 && (s->tenants = calloc(s->conf->ntenants,
	    sizeof(*s->tenants))) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	for (i = 0; i < s->conf->ntenants; i++) {
		if ((s->tenants[i] = tenant_load(s, s->conf->tenants[i], err,
		    errsz)) == NULL)
			goto out;
		s->ntenants++;
	}
	if (s->conf->default_tenant != NULL)
		s->deflt = server_tenant(s, s->conf->default_tenant);
	if (flags & (SERVER_STORE | SERVER_STORE_CREATE)) {
		if ((s->store = store_open(s->conf->database,
		    (flags & SERVER_STORE_CREATE) ? STORE_CREATE : 0,
		    s->conf->map_size, err, errsz)) == NULL)
			goto out;
	}
	rc = s;
	s = NULL;
out:
	server_free(s);
	return rc;
}

/* Free a server and everything it loaded (NULL-safe). */
void
server_free(struct server *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ntenants; i++)
		tenant_free(s->tenants[i]);
	free(s->tenants);
	store_close(s->store);
	scep_ctx_free(s->sctx);
	conf_free(s->conf);
	free(s);
}

/* The tenant called name, or the default tenant for "" or NULL. */
const struct tenant *
server_tenant(const struct server *s, const char *name)
{
	size_t	 i;

	if (name == NULL || *name == '\0')
		return s->deflt;
	for (i = 0; i < s->ntenants; i++)
		if (strcmp(s->tenants[i]->conf->name, name) == 0)
			return s->tenants[i];
	return NULL;
}
