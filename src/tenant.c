/*
 * tenant.c: load everything a worker needs once: the configuration,
 * every tenant's certificates and keys, the pre-built GetCACert,
 * GetNextCACert and GetCACaps bodies, the library context and the store.
 * A CA rollover (scepadm ca rollover) is decided here, by the time of
 * loading: the worker reloads when the earliest switch comes
 * (server->next_switch), so both CAs swap without any signal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	signer_free(t->prev_ca);
	signer_free(t->prev_msg);
	sk_X509_pop_free(t->chain, X509_free);
	X509_free(t->next_ca);
	X509_free(t->next_ra);
	scep_buf_free(&t->cacert);
	scep_buf_free(&t->nextcacert);
	otp_key_free(t->otp_key, t->otp_key_len);
	free(t);
}

/*
 * Whether msg may sign and decrypt SCEP messages (INTEROP.md 6.1 and 5):
 * an RSA key, and a keyUsage, if any, that allows digitalSignature and
 * keyEncipherment.  Returns 1, or 0 with err naming file.
 */
static int
msg_signer_ok(const struct conf_tenant *ct, const struct signer *msg,
    const char *file, char *err, size_t errsz)
{
	uint32_t	 ku;

	if (!signer_is_rsa(msg)) {
		snprintf(err, errsz, "[tenant %s]: %s: the certificate that "
		    "signs and decrypts SCEP messages must be RSA (an EC CA "
		    "needs an RSA RA)", ct->name, file);
		return 0;
	}
	ku = X509_get_key_usage(signer_get0_cert(msg));
	if (ku != UINT32_MAX && (!(ku & KU_DIGITAL_SIGNATURE) ||
	    !(ku & KU_KEY_ENCIPHERMENT))) {
		snprintf(err, errsz, "[tenant %s]: %s: keyUsage lacks "
		    "digitalSignature or keyEncipherment (RFC 8894 2.1.2)",
		    ct->name, file);
		return 0;
	}
	return 1;
}

/*
 * Load a CA and the signer of SCEP messages: the RA of racert and rakey,
 * or the CA itself when racert is NULL (--no-ra); the message signer
 * must pass msg_signer_ok().  Returns 1 with *ca and *msg, or 0 with err
 * filled.
 */
static int
load_pair(const struct conf_tenant *ct, const char *cacert, const char *cakey,
    const char *racert, const char *rakey, struct signer **ca,
    struct signer **msg, char *err, size_t errsz)
{
	*msg = NULL;
	if ((*ca = signer_load(cacert, cakey, err, errsz)) == NULL)
		return 0;
	if (racert != NULL)
		*msg = signer_load(racert, rakey, err, errsz);
	else if ((*msg = signer_dup(*ca)) == NULL)
		snprintf(err, errsz, "out of memory");
	if (*msg == NULL)
		goto fail;
	if (!msg_signer_ok(ct, *msg, racert != NULL ? racert : cacert, err,
	    errsz))
		goto fail;
	return 1;
fail:
	signer_free(*ca);
	signer_free(*msg);
	*ca = *msg = NULL;
	return 0;
}

/*
 * The previous CA of a finished rollover (previous_ca_*) and its message
 * signer: previous_ra_* for a tenant with an RA (none when unset, as in
 * a configuration from before previous_ra_*), the previous CA itself
 * for a --no-ra tenant when it can sign and decrypt messages.  Returns
 * 1, or 0 with err filled.
 */
static int
load_previous(struct tenant *t, char *err, size_t errsz)
{
	const struct conf_tenant	*ct = t->conf;
	char				 ignore[8];

	if (ct->previous_ca_cert == NULL)
		return 1;
	if (ct->previous_ra_cert != NULL)
		return load_pair(ct, ct->previous_ca_cert,
		    ct->previous_ca_key, ct->previous_ra_cert,
		    ct->previous_ra_key, &t->prev_ca, &t->prev_msg, err,
		    errsz);
	if ((t->prev_ca = signer_load(ct->previous_ca_cert,
	    ct->previous_ca_key, err, errsz)) == NULL)
		return 0;
	/* A CA that never signed messages is no message signer now. */
	if (!t->has_ra && msg_signer_ok(ct, t->prev_ca, ct->previous_ca_cert,
	    ignore, sizeof(ignore)) &&
	    (t->prev_msg = signer_dup(t->prev_ca)) == NULL) {
		snprintf(err, errsz, "out of memory");
		return 0;
	}
	return 1;
}

/*
 * The CAs of a tenant at time now (INTEROP.md 6.4).  Without a managed
 * rollover: the current CA and RA, and load_previous() when
 * previous_ca_* is set.  With one (next_ca_key and rollover_at), both
 * pairs are loaded, so that a broken next pair fails at start and not at
 * the switch; before rollover_at the next certificates are only offered
 * by GetNextCACert (t->switch_at says when to reload), from rollover_at
 * on they are the current ones and the CA rolled over from is kept as
 * t->prev_ca, its RA (or itself, --no-ra) as t->prev_msg.  Returns 1, or
 * 0 with err filled.
 */
static int
load_cas(struct tenant *t, time_t now, char *err, size_t errsz)
{
	const struct conf_tenant	*ct = t->conf;
	struct signer			*nca = NULL, *nmsg = NULL;
	int				 rc = 0;

	if (!load_pair(ct, ct->ca_cert, ct->ca_key, ct->ra_cert, ct->ra_key,
	    &t->ca, &t->msg, err, errsz))
		goto out;
	t->has_ra = ct->ra_cert != NULL;
	if (ct->next_ca_key == NULL) {
		rc = load_previous(t, err, errsz);
		goto out;
	}
	if (!load_pair(ct, ct->next_ca_cert, ct->next_ca_key,
	    ct->next_ra_cert, ct->next_ra_key, &nca, &nmsg, err, errsz))
		goto out;
	if (now < ct->rollover_at) {
		t->switch_at = ct->rollover_at;
		t->next_ca = signer_get0_cert(nca);
		X509_up_ref(t->next_ca);
		if (t->has_ra) {
			t->next_ra = signer_get0_cert(nmsg);
			X509_up_ref(t->next_ra);
		}
	} else {
		/*
		 * The switch: CA and RA together.  The old RA stays a
		 * message signer for clients that still encrypt to it.
		 */
		t->prev_ca = t->ca;
		t->prev_msg = t->msg;
		t->ca = nca;
		nca = NULL;
		t->msg = nmsg;
		nmsg = NULL;
	}
	rc = 1;
out:
	signer_free(nca);
	signer_free(nmsg);
	return rc;
}

/*
 * Load one tenant at time now: keys, certificates and the bodies served
 * for it.  Returns the tenant or NULL with err filled.
 */
static struct tenant *
tenant_load(const struct server *s, const struct conf_tenant *ct, time_t now,
    char *err, size_t errsz)
{
	struct tenant	*t = NULL, *rc = NULL;
	const char	*ctype;
	unsigned int	 caps;

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
	if (!load_cas(t, now, err, errsz))
		goto out;
	if (ct->chain != NULL &&
	    (t->chain = read_certs(ct->chain, err, errsz)) == NULL)
		goto out;
	if (!scep_cacert_body(t->has_ra ? signer_get0_cert(t->msg) : NULL,
	    signer_get0_cert(t->ca), t->chain, &t->cacert, &t->cacert_ctype)) {
		snprintf(err, errsz, "[tenant %s]: cannot build the "
		    "GetCACert body", ct->name);
		goto out;
	}
	/* A rollover managed elsewhere: the certificates only. */
	if (ct->next_ca_cert != NULL && ct->next_ca_key == NULL) {
		if ((t->next_ca = read_cert(ct->next_ca_cert, err, errsz)) ==
		    NULL)
			goto out;
		if (ct->next_ra_cert != NULL && (t->next_ra =
		    read_cert(ct->next_ra_cert, err, errsz)) == NULL)
			goto out;
	}
	if (t->next_ca != NULL) {
		if (!signer_nextcacert(t->ca, s->sctx, t->next_ra, t->next_ca,
		    &t->nextcacert, &ctype)) {
			snprintf(err, errsz, "[tenant %s]: cannot build the "
			    "GetNextCACert body", ct->name);
			goto out;
		}
		t->nextcacert_ctype = ctype;
	}
	/* GetNextCACert only while a rollover certificate waits (6.1). */
	caps = ct->caps;
	if (t->next_ca == NULL)
		caps &= ~(1u << SCEP_CAP_GETNEXTCACERT);
	if (scep_caps_text(caps, t->caps, sizeof(t->caps)) < 0) {
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

/*
 * The CA of t that issued x: the previous CA when x is one of its
 * certificates, else the current one (borrowed from t).
 */
const struct signer *
tenant_issuer(const struct tenant *t, X509 *x)
{
	if (t->prev_ca != NULL && x != NULL &&
	    !ca_cert_issued_by(signer_get0_cert(t->ca), x) &&
	    ca_cert_issued_by(signer_get0_cert(t->prev_ca), x))
		return t->prev_ca;
	return t->ca;
}

/* The CA of t that id names, for its CRL; see server.h. */
int
tenant_crl_ca(const struct tenant *t, const char *id, size_t len,
    const struct signer **ca)
{
	*ca = NULL;
	if (!ca_id_valid(id, len))
		return 0;
	/* Ids are computed once, at load (signer_new()). */
	if (memcmp(id, signer_get0_id(t->ca), CA_ID_LEN) == 0)
		*ca = t->ca;
	else if (t->prev_ca != NULL &&
	    memcmp(id, signer_get0_id(t->prev_ca), CA_ID_LEN) == 0)
		*ca = t->prev_ca;
	return 1;
}

/* Load a server; see server.h. */
struct server *
server_new(const char *path, unsigned int flags, char *err, size_t errsz)
{
	struct server	*s = NULL, *rc = NULL;
	time_t		 now, sw;
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
	now = time(NULL);
	for (i = 0; i < s->conf->ntenants; i++) {
		if ((s->tenants[i] = tenant_load(s, s->conf->tenants[i], now,
		    err, errsz)) == NULL)
			goto out;
		sw = s->tenants[i]->switch_at;
		if (sw != 0 && (s->next_switch == 0 || sw < s->next_switch))
			s->next_switch = sw;
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
