/*
 * crl.c: the tenant's CRLs (RFC 5280 section 5), one per CA: after a
 * rollover the previous CA keeps signing the CRL of the certificates it
 * issued (INTEROP.md 6.4).  A revoked certificate goes into the CRL of
 * the CA that issued it, told by ca_cert_issued_by() on its stored DER
 * (the two CAs share their subject; their key identifiers differ).  The
 * number is reserved in one short write transaction, the CRL signed
 * outside it and stored only if still the newest for that CA, so each
 * CA's numbers only grow whoever generates it (a worker answering
 * GetCRL, or scepadm).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/store.h"
#include "src/ca.h"
#include "src/server.h"

/* The revocations collected by collect(): those ca issued. */
struct revlist {
	X509			*ca;
	struct ca_revoked	*v;
	uint8_t			(*serials)[STORE_SERIAL_MAX];
	size_t			 n, cap;
	int			 oom;
};

/* store_revoked_list() callback: copy one revocation of l->ca. */
static int
collect(const struct store_revoked *r, void *arg)
{
	struct revlist	*l = arg;
	void		*nv, *ns;
	size_t		 ncap;

	if (!ca_der_issued_by(l->ca, r->der, r->der_len))
		return 1;
	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 64;
		nv = reallocarray(l->v, ncap, sizeof(*l->v));
		if (nv == NULL) {
			l->oom = 1;
			return 0;
		}
		l->v = nv;
		ns = reallocarray(l->serials, ncap, sizeof(*l->serials));
		if (ns == NULL) {
			l->oom = 1;
			return 0;
		}
		l->serials = ns;
		l->cap = ncap;
	}
	memcpy(l->serials[l->n], r->serial, r->serial_len);
	l->v[l->n].serial_len = r->serial_len;
	l->v[l->n].when = r->revoked_at;
	l->v[l->n].reason = r->reason > 0 ? r->reason : -1;
	l->n++;
	return 1;
}

/* Generate, sign and store a new CRL; see server.h. */
enum store_rc
crl_generate(struct server *s, const struct tenant *t,
    const struct signer *ca, time_t now, struct scep_buf *out)
{
	struct revlist	 l;
	X509_CRL	*crl = NULL;
	unsigned char	*der = NULL;
	uint64_t	 number;
	size_t		 i;
	int		 len;
	enum store_rc	 rc = STORE_ERROR;

	memset(&l, 0, sizeof(l));
	l.ca = signer_get0_cert(ca);
	if ((rc = store_crl_reserve_number(s->store, t->conf->name,
	    &number)) != STORE_OK)
		goto out;
	if ((rc = store_revoked_list(s->store, t->conf->name, collect, &l)) !=
	    STORE_OK)
		goto out;
	rc = STORE_ERROR;
	if (l.oom)
		goto out;
	for (i = 0; i < l.n; i++)
		l.v[i].serial = l.serials[i];
	/* Signed outside any transaction. */
	if ((crl = ca_crl_build(ca, l.v, l.n, number, now,
	    t->conf->crl_days)) == NULL ||
	    (len = i2d_X509_CRL(crl, &der)) <= 0)
		goto out;
	rc = store_crl_put(s->store, t->conf->name, signer_get0_keyhash(ca),
	    number, now, der, (size_t)len);
	if (rc == STORE_OK && out != NULL &&
	    !scep_buf_set(out, der, (size_t)len))
		rc = STORE_ERROR;
out:
	X509_CRL_free(crl);
	OPENSSL_free(der);
	free(l.v);
	free(l.serials);
	ERR_clear_error();
	return rc;
}

/*
 * The current CRL of ca, regenerated when missing or within the
 * tenant's crl_margin of its nextUpdate (by default half-way there).
 */
enum store_rc
crl_current(struct server *s, const struct tenant *t,
    const struct signer *ca, time_t now, struct scep_buf *out)
{
	struct store_crl	*c = NULL;
	enum store_rc		 rc = STORE_ERROR;
	int			 tries;

	for (tries = 0; tries < 3; tries++) {
		rc = store_crl_get(s->store, t->conf->name,
		    signer_get0_keyhash(ca), &c);
		if (rc == STORE_OK && now < c->this_update +
		    t->conf->crl_days - t->conf->crl_margin) {
			if (!scep_buf_set(out, c->der, c->der_len))
				rc = STORE_ERROR;
			store_crl_free(c);
			return rc;
		}
		store_crl_free(c);
		c = NULL;
		if (rc != STORE_OK && rc != STORE_NOTFOUND)
			return rc;
		rc = crl_generate(s, t, ca, now, out);
		/* Someone else stored a newer one meanwhile: take it. */
		if (rc != STORE_STALE)
			return rc;
	}
	return rc;
}
