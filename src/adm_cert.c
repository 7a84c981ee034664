/*
 * adm_cert.c: scepadm cert list, show, export and revoke, issue (a CSR
 * signed outside SCEP) and crl.
 */
#include "config.h"

#include <sys/types.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <jansson.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/store.h"
#include "src/ca.h"
#include "src/server.h"
#include "src/adm.h"

/*
 * Certificates and CRLs.
 */

/* CRLReason names (RFC 5280 section 5.3.1) that scepadm accepts. */
static const struct {
	const char	*name;
	int		 code;
} reasons[] = {
	{ "unspecified", 0 },
	{ "keyCompromise", 1 },
	{ "cACompromise", 2 },
	{ "affiliationChanged", 3 },
	{ "superseded", 4 },
	{ "cessationOfOperation", 5 },
	{ "privilegeWithdrawn", 9 },
	{ "aACompromise", 10 },
};

/* The CRL number of a DER CRL, or 0 when it has none or cannot parse. */
static uint64_t
crl_number(const uint8_t *der, size_t len)
{
	const unsigned char	*p = der;
	X509_CRL		*crl;
	ASN1_INTEGER		*num = NULL;
	uint64_t		 v = 0;

	if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) != NULL &&
	    (num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL,
	    NULL)) != NULL && !ASN1_INTEGER_get_uint64(&v, num))
		v = 0;
	ASN1_INTEGER_free(num);
	X509_CRL_free(crl);
	ERR_clear_error();
	return v;
}

/*
 * Generate, sign and store a new CRL of t's CA ca (crl_generate());
 * when a newer one was stored meanwhile (another scepadm or a worker),
 * take that one.  The DER goes to out.  Returns 1, or 0 after a
 * message.
 */
static int
new_crl(struct server *s, const struct tenant *t, const struct signer *ca,
    struct scep_buf *out)
{
	enum store_rc	 src;
	time_t		 now = time(NULL);

	src = crl_generate(s, t, ca, now, out);
	if (src == STORE_STALE)
		src = crl_current(s, t, ca, now, out);
	if (src != STORE_OK) {
		store_warn(s->store, src, "generating the CRL");
		return 0;
	}
	return 1;
}

/*
 * The CA of t that issued its certificate serial (the previous one
 * after a rollover, INTEROP.md 6.4), else t's CA; borrowed from t.
 */
static const struct signer *
serial_issuer(struct server *s, const struct tenant *t,
    const uint8_t *serial, size_t slen)
{
	struct store_cert	*sc = NULL;
	const struct signer	*ca = t->ca;
	const unsigned char	*p;
	X509			*x = NULL;

	if (t->prev_ca != NULL && store_cert_get(s->store, t->conf->name,
	    serial, slen, &sc) == STORE_OK) {
		p = sc->der;
		if ((x = d2i_X509(NULL, &p, (long)sc->der_len)) != NULL)
			ca = tenant_issuer(t, x);
	}
	X509_free(x);
	store_cert_free(sc);
	ERR_clear_error();
	return ca;
}

/* --reason of cert revoke: a CRLReason name into *(int *)arg. */
static int
revoke_reason(const struct cmd *c, const char *v, void *arg)
{
	size_t	 i;

	for (i = 0; i < NELEM(reasons); i++)
		if (strcmp(v, reasons[i].name) == 0) {
			*(int *)arg = reasons[i].code;
			return EXIT_OK;
		}
	return usage_err(c, "--reason: unspecified, keyCompromise, "
	    "cACompromise, affiliationChanged, superseded, "
	    "cessationOfOperation, privilegeWithdrawn or aACompromise");
}

/*
 * scepadm cert revoke SERIAL [--tenant T] [--reason R]: revoke, then
 * regenerate the tenant's CRL.
 */
int
cmd_cert_revoke(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct server		*s = NULL;
	struct store_cert	*sc = NULL;
	const struct tenant	*t = NULL;
	struct scep_buf		 crl;
	const char		*tenant = NULL, *text;
	uint8_t			 serial[STORE_SERIAL_MAX];
	size_t			 slen, i, found = 0;
	enum store_rc		 src;
	char			 hex[2 * STORE_SERIAL_MAX + 1];
	int			 reason = 0, rc;
	const struct opt opts[] = {
		{ .name = "reason", .shortc = 'r', .check = revoke_reason,
		    .arg = &reason },
		{ .name = "tenant", .shortc = 't', .val = &tenant },
	};

	memset(&crl, 0, sizeof(crl));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), "the SERIAL "
	    "is missing", &text)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	if (!parse_serial(text, serial, &slen))
		return usage_err(c, "bad serial '%.64s': expected hex, as "
		    "scepadm request approve prints it", text);
	rc = EXIT_FAIL;
	serial_hex(serial, slen, hex);

	if ((s = load_server(a)) == NULL)
		goto out;
	if (tenant != NULL) {
		if ((t = server_tenant(s, tenant)) == NULL || *tenant == '\0') {
			warnx("no tenant '%s' in %s", tenant, s->conf->path);
			goto out;
		}
	} else {
		/* The one tenant that holds this serial. */
		for (i = 0; i < s->ntenants; i++) {
			src = store_cert_get(s->store,
			    s->tenants[i]->conf->name, serial, slen, &sc);
			store_cert_free(sc);
			sc = NULL;
			if (src == STORE_NOTFOUND)
				continue;
			if (src != STORE_OK) {
				store_warn(s->store, src, "looking up the "
				    "certificate");
				goto out;
			}
			if (found++ == 0)
				t = s->tenants[i];
		}
		if (found == 0) {
			warnx("no certificate with serial %s in any tenant",
			    hex);
			goto out;
		}
		if (found > 1) {
			warnx("serial %s exists in %zu tenants: say which "
			    "with --tenant", hex, found);
			goto out;
		}
	}
	src = store_cert_revoke(s->store, t->conf->name, serial, slen, reason,
	    time(NULL));
	if (src == STORE_NOTFOUND) {
		warnx("no certificate with serial %s in tenant %s", hex,
		    t->conf->name);
		goto out;
	}
	if (src == STORE_STATE) {
		warnx("certificate %s of tenant %s is already revoked", hex,
		    t->conf->name);
		goto out;
	}
	if (src != STORE_OK) {
		store_warn(s->store, src, "revoking");
		goto out;
	}
	printf("revoked %s of tenant %s\n", hex, t->conf->name);
	/* The CRL of the CA that issued it (6.4). */
	if (!new_crl(s, t, serial_issuer(s, t, serial, slen), &crl)) {
		warnx("the certificate is revoked but the CRL was not "
		    "regenerated: run scepadm crl %s", t->conf->name);
		goto out;
	}
	printf("CRL number %llu\n",
	    (unsigned long long)crl_number(crl.data, crl.len));
	rc = EXIT_OK;
out:
	scep_buf_free(&crl);
	server_free(s);
	return rc;
}

/* The rows collected by certlist_cb(), and the filters of cert list. */
struct certrows {
	struct listing	 l;
	int		 valid_only;	/* --expiring: not revoked */
	const char	*subject;	/* --subject: substring, or NULL */
	time_t		 from, to;	/* --expiring: the notAfter range */
};

/* Whether big contains small, ignoring ASCII case. */
static int
contains_nocase(const char *big, const char *small)
{
	size_t	 n = strlen(small);

	for (; *big != '\0'; big++)
		if (strncasecmp(big, small, n) == 0)
			return 1;
	return n == 0;
}

/* The name of a certificate's origin (STORE_ORIGIN_*). */
static const char *
origin_name(int origin)
{
	static const char *const names[] = { "?", "scep", "admin", "ra" };

	return names[origin >= 0 && origin <= STORE_ORIGIN_RA ? origin : 0];
}

/*
 * store_certs_expiring() callback: one certificate as a row of cert
 * list, unless the filters drop it.  The subject comes from the stored
 * DER; nothing else is parsed.
 */
static int
certlist_cb(const struct store_cert *sc, void *arg)
{
	struct certrows		*l = arg;
	json_t			*o;
	X509			*x;
	const unsigned char	*p;
	const char		*state;
	char			 serial[2 * STORE_SERIAL_MAX + 1];
	char			 subject[1024];

	serial_hex(sc->serial, sc->serial_len, serial);
	p = sc->der;
	subject[0] = '\0';
	if ((x = d2i_X509(NULL, &p, (long)sc->der_len)) == NULL)
		snprintf(subject, sizeof(subject), "?");
	else
		(void)name_text(X509_get_subject_name(x), subject,
		    sizeof(subject));
	X509_free(x);
	ERR_clear_error();
	if (subject[0] == '\0')
		snprintf(subject, sizeof(subject), "(empty)");
	/* The filters of cert list. */
	if ((l->valid_only && sc->state == STORE_CERT_REVOKED) ||
	    (l->subject != NULL && !contains_nocase(subject, l->subject)))
		return 1;
	if (sc->state == STORE_CERT_REVOKED)
		state = "revoked";
	else if (sc->not_after < l->l.now)
		state = "expired";
	else
		state = "valid";
	if ((o = row_new(l->l.rows)) == NULL ||
	    !jset_str(o, "tenant", sc->tenant) ||
	    !jset_str(o, "serial", serial) ||
	    !jset_str(o, "subject", subject) ||
	    !jset_time(o, "not_before", sc->not_before) ||
	    !jset_time(o, "not_after", sc->not_after) ||
	    !jset_str(o, "state", state) ||
	    !jset_str(o, "origin", origin_name(sc->origin)) ||
	    !jset_time(o, "issued", sc->issued_at) ||
	    (sc->state == STORE_CERT_REVOKED &&
	    !jset_time(o, "revoked", sc->revoked_at))) {
		l->l.oom = 1;
		return 0;
	}
	return 1;
}

/* --expiring DUR of cert list: valid now and expiring before now + DUR. */
static int
list_expiring(const struct cmd *c, const char *v, void *arg)
{
	struct certrows	*l = arg;
	time_t		 d;

	if (!parse_dur(v, &d))
		return usage_err(c, "--expiring: a duration such as 30d, 12h "
		    "or 2w");
	l->from = l->l.now;
	l->to = l->l.now + d;
	l->valid_only = 1;
	return EXIT_OK;
}

/*
 * scepadm cert list [--tenant T] [--json]: every stored certificate of
 * tenant T (default: of every tenant, in file order), by notAfter,
 * including the RA certificate (origin "ra") and scepadm-issued ones.
 */
int
cmd_cert_list(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const char *const keys[] = { "tenant", "serial", "state",
	    "not_after", "origin", "subject" };
	static const char *const head[] = { "TENANT", "SERIAL", "STATE",
	    "NOT_AFTER", "ORIGIN", "SUBJECT" };
	const struct conf_tenant	*ct;
	struct certrows			 rows;
	const char			*tenant = NULL;
	enum store_rc			 src;
	size_t				 i;
	int				 json = 0, rc;
	const struct opt opts[] = {
		{ .name = "expiring", .check = list_expiring, .arg = &rows },
		{ .name = "json", .shortc = 'j', .flag = &json },
		{ .name = "subject", .val = &rows.subject },
		{ .name = "tenant", .shortc = 't', .val = &tenant },
	};

	memset(&rows, 0, sizeof(rows));
	rows.l.now = time(NULL);
	/* By default every notAfter: the expiry index covers them all. */
	rows.from = (time_t)INT64_MIN;
	rows.to = (time_t)INT64_MAX;
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    NULL)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if (!list_open(a, tenant, &rows.l))
		goto out;
	for (i = 0; i < rows.l.conf->ntenants && !rows.l.oom; i++) {
		ct = rows.l.conf->tenants[i];
		if (tenant != NULL && strcmp(ct->name, tenant) != 0)
			continue;
		if ((src = store_certs_expiring(rows.l.st, ct->name,
		    rows.from, rows.to, certlist_cb, &rows)) != STORE_OK) {
			store_warn(rows.l.st, src, "listing certificates");
			goto out;
		}
	}
	rc = list_print(&rows.l, keys, head, NELEM(keys), json);
out:
	list_close(&rows.l);
	return rc;
}

/*
 * scepadm crl TENANT [-o FILE] [--pem]: generate, sign and store a new
 * CRL and write it (DER, or PEM) to FILE or to stdout when that is not
 * a terminal.
 */
int
cmd_crl(const struct adm *a, const struct cmd *c, int argc, char *argv[])
{
	struct server		*s = NULL;
	const struct tenant	*t;
	const struct signer	*ca;
	struct scep_buf		 crl;
	const unsigned char	*p;
	X509_CRL		*x = NULL;
	BIO			*b = NULL;
	const char		*outfile = NULL, *name;
	char			*data;
	long			 len;
	int			 pem = 0, prev = 0, rc;
	const struct opt opts[] = {
		{ .name = "output", .shortc = 'o', .val = &outfile },
		{ .name = "pem", .shortc = 'p', .flag = &pem },
		{ .name = "previous", .flag = &prev },
	};

	memset(&crl, 0, sizeof(crl));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), "the TENANT "
	    "is missing", &name)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;

	if ((s = load_server(a)) == NULL)
		goto out;
	if (*name == '\0' || (t = server_tenant(s, name)) == NULL) {
		warnx("no tenant '%s' in %s", name, s->conf->path);
		goto out;
	}
	if ((ca = prev ? t->prev_ca : t->ca) == NULL) {
		warnx("tenant %s has no previous CA (scepadm ca rollover)",
		    t->conf->name);
		goto out;
	}
	if (!new_crl(s, t, ca, &crl))
		goto out;
	/* The bytes to write: DER as stored, or PEM. */
	if (pem) {
		p = crl.data;
		if ((x = d2i_X509_CRL(NULL, &p, (long)crl.len)) == NULL ||
		    (b = BIO_new(BIO_s_mem())) == NULL ||
		    !PEM_write_bio_X509_CRL(b, x) ||
		    (len = BIO_get_mem_data(b, &data)) <= 0) {
			warnx("cannot encode the CRL as PEM");
			goto out;
		}
	} else {
		data = (char *)crl.data;
		len = (long)crl.len;
	}
	if (outfile != NULL) {
		if (!write_replace(outfile, data, (size_t)len))
			goto out;
	} else if (!pem && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "scepadm: CRL number %llu of tenant %s "
		    "stored; not writing DER to a terminal (use -o FILE or "
		    "--pem)\n", (unsigned long long)crl_number(crl.data,
		    crl.len), t->conf->name);
	} else if (!write_out(NULL, data, (size_t)len, 0))
		goto out;
	rc = EXIT_OK;
out:
	BIO_free(b);
	X509_CRL_free(x);
	scep_buf_free(&crl);
	server_free(s);
	ERR_clear_error();
	return rc;
}

/*
 * Certificates: issue, show, export.
 */

/* A CSR from a PEM or DER file; NULL after a message. */
static X509_REQ *
read_csr(const char *path)
{
	BIO		*b;
	X509_REQ	*r = NULL;

	if ((b = BIO_new_file(path, "rb")) == NULL) {
		warnx("%s: cannot open", path);
		goto out;
	}
	if ((r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL)) == NULL) {
		(void)BIO_reset(b);
		r = d2i_X509_REQ_bio(b, NULL);
	}
	if (r == NULL)
		warnx("%s: not a PKCS#10 request", path);
out:
	BIO_free(b);
	ERR_clear_error();
	return r;
}

/*
 * Write the PEM of x to path (a new file, 0644) or stdout (path NULL).
 * Returns 1, or 0 after a message.
 */
static int
put_pem(X509 *x, const char *path)
{
	BIO	*b;
	char	*p;
	long	 len;
	int	 rc = 0;

	if ((b = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(b, x) ||
	    (len = BIO_get_mem_data(b, &p)) <= 0)
		warnx("cannot encode the certificate");
	else
		rc = write_out(path, p, (size_t)len, 0644);
	BIO_free(b);
	return rc;
}

/*
 * The key policy of tenant t for a certificate key (INTEROP.md 6.1): RSA
 * within key_sizes, or P-256/P-384 when EC keys are allowed.  Returns
 * NULL when it passes, else the reason.
 */
static const char *
key_policy(const struct conf_tenant *t, EVP_PKEY *pk)
{
	char	 grp[32];
	size_t	 len;

	if (EVP_PKEY_is_a(pk, "RSA"))
		return conf_key_size_ok(t, (unsigned int)EVP_PKEY_get_bits(pk))
		    ? NULL : "RSA key size not in the tenant's key_sizes";
	if (!EVP_PKEY_is_a(pk, "EC") || !t->allow_ec_keys)
		return "key type not allowed by the tenant";
	if (!EVP_PKEY_get_utf8_string_param(pk, "group", grp, sizeof(grp),
	    &len) || (strcmp(grp, "prime256v1") != 0 &&
	    strcmp(grp, "secp384r1") != 0))
		return "EC curve is not P-256 or P-384";
	return NULL;
}

/*
 * scepadm issue NAME --csr F [--days N] [-o F]: sign a CSR outside
 * SCEP under the tenant's policy (signature, key, subject pattern;
 * SANs only when allow_san), record it (origin admin), print its PEM.
 */
int
cmd_issue(const struct adm *a, const struct cmd *c, int argc, char *argv[])
{
	struct server		*s = NULL;
	const struct tenant	*t;
	X509_REQ		*req = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES		*sans = NULL;
	ASN1_INTEGER		*serial = NULL;
	EVP_PKEY		*pk;
	X509			*x = NULL;
	unsigned char		*der = NULL, *u = NULL;
	struct ca_issue		 ci;
	struct store_cert_in	 in;
	const char		*name, *csr = NULL, *days = NULL, *out = NULL;
	const char		*why;
	char			 url[1024], cn[CN_MAX * 4 + 1], hex[2 *
				    STORE_SERIAL_MAX + 1];
	enum store_rc		 src = STORE_ERROR;
	long long		 v;
	int			 i, len, rc, tries;
	const struct opt opts[] = {
		{ .name = "csr", .val = &csr },
		{ .name = "days", .val = &days },
		{ .name = "output", .shortc = 'o', .val = &out },
	};

	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    &name)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	if (csr == NULL)
		return usage_err(c, "--csr is required");
	memset(&ci, 0, sizeof(ci));
	if (days != NULL) {
		if (!parse_num(days, 1, CA_DAYS_MAX, &v))
			return usage_err(c, "--days: 1 to %d", CA_DAYS_MAX);
		ci.validity = (time_t)v * 86400;
	}
	rc = EXIT_FAIL;
	if ((req = read_csr(csr)) == NULL || (s = load_server(a)) == NULL)
		goto out;
	if ((t = server_tenant(s, name)) == NULL || *name == '\0') {
		warnx("no tenant '%s' in %s", name, s->conf->path);
		goto out;
	}
	/* The request's own proof of possession, then the policy. */
	if ((pk = X509_REQ_get0_pubkey(req)) == NULL ||
	    X509_REQ_verify(req, pk) != 1) {
		warnx("%s: the CSR's signature does not verify", csr);
		goto out;
	}
	if ((why = key_policy(t->conf, pk)) != NULL) {
		warnx("%s: %s", csr, why);
		goto out;
	}
	cn[0] = '\0';
	if ((i = X509_NAME_get_index_by_NID(X509_REQ_get_subject_name(req),
	    NID_commonName, -1)) >= 0) {
		len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(
		    X509_NAME_get_entry(X509_REQ_get_subject_name(req), i)));
		if (len < 0 || (size_t)len >= sizeof(cn) ||
		    memchr(u, '\0', (size_t)len) != NULL) {
			warnx("%s: unusable commonName", csr);
			goto out;
		}
		memcpy(cn, u, (size_t)len);
		cn[len] = '\0';
	}
	if (X509_NAME_entry_count(X509_REQ_get_subject_name(req)) == 0 ||
	    !conf_subject_ok(t->conf, cn)) {
		warnx("%s: subject not allowed by the tenant's "
		    "subject_pattern", csr);
		goto out;
	}
	if (t->conf->allow_san &&
	    (exts = X509_REQ_get_extensions(req)) != NULL)
		sans = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);

	ci.subject = X509_REQ_get_subject_name(req);
	ci.pubkey = pk;
	ci.sans = sans;
	ci.profile = t->conf->profile;
	ci.now = time(NULL);
	if (ci.validity == 0)
		ci.validity = t->conf->validity;
	if (t->conf->crl_base_url != NULL) {
		/* As enroll_issue() does: <crl_base_url>/<tenant>/crl. */
		snprintf(url, sizeof(url), "%s/%s/crl",
		    t->conf->crl_base_url, t->conf->name);
		ci.crl_url = url;
	}
	if ((serial = ASN1_INTEGER_new()) == NULL)
		goto oom;
	/* Re-sign on the practically impossible serial collision. */
	for (tries = 0; tries < 4; tries++) {
		X509_free(x);
		OPENSSL_free(der);
		der = NULL;
		if (!ca_serial_new(serial) ||
		    (x = ca_issue(t->ca, &ci, serial)) == NULL ||
		    (len = i2d_X509(x, &der)) <= 0) {
			warnx("cannot sign the certificate");
			goto out;
		}
		memset(&in, 0, sizeof(in));
		in.tenant = t->conf->name;
		in.der = der;
		in.der_len = (size_t)len;
		in.origin = STORE_ORIGIN_ADMIN;
		in.issued_at = ci.now;
		if ((src = store_cert_add(s->store, &in)) != STORE_SERIAL_TAKEN)
			break;
	}
	if (src != STORE_OK) {
		store_warn(s->store, src, "recording the certificate");
		goto out;
	}
	if (cert_serial_hex(x, hex))
		fprintf(stderr, "scepadm: issued serial %s of tenant %s\n",
		    hex, t->conf->name);
	if (!put_pem(x, out))
		goto out;
	rc = EXIT_OK;
	goto out;
oom:
	warnx("out of memory");
out:
	OPENSSL_free(u);
	OPENSSL_free(der);
	X509_free(x);
	ASN1_INTEGER_free(serial);
	GENERAL_NAMES_free(sans);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	server_free(s);
	ERR_clear_error();
	return rc;
}

/*
 * The stored certificate with the serial text s, in tenant (or in the
 * one tenant of conf that holds it) into *out (store_cert_free()).
 * Returns 1, or 0 after a message.
 */
static int
cert_lookup(struct store *st, const struct conf *conf, const char *tenant,
    const char *s, struct store_cert **out)
{
	struct store_cert	*sc;
	uint8_t			 serial[STORE_SERIAL_MAX];
	size_t			 slen, i, found = 0;
	enum store_rc		 src;
	char			 hex[2 * STORE_SERIAL_MAX + 1];

	*out = NULL;
	if (!parse_serial(s, serial, &slen)) {
		warnx("bad serial '%.64s': expected hex", s);
		return 0;
	}
	serial_hex(serial, slen, hex);
	for (i = 0; i < conf->ntenants; i++) {
		if (tenant != NULL &&
		    strcmp(conf->tenants[i]->name, tenant) != 0)
			continue;
		sc = NULL;
		src = store_cert_get(st, conf->tenants[i]->name, serial, slen,
		    &sc);
		if (src == STORE_NOTFOUND)
			continue;
		if (src != STORE_OK) {
			store_warn(st, src, "looking up the certificate");
			store_cert_free(*out);
			*out = NULL;
			return 0;
		}
		if (found++ == 0)
			*out = sc;
		else
			store_cert_free(sc);
	}
	if (found == 1)
		return 1;
	if (found == 0)
		warnx("no certificate with serial %s%s%s", hex,
		    tenant != NULL ? " in tenant " : "",
		    tenant != NULL ? tenant : "");
	else
		warnx("serial %s exists in %zu tenants: say which with "
		    "--tenant", hex, found);
	store_cert_free(*out);
	*out = NULL;
	return 0;
}

/* The CRL reason name of code (RFC 5280 section 5.3.1). */
static const char *
reason_name(int code)
{
	size_t	 i;

	for (i = 0; i < NELEM(reasons); i++)
		if (reasons[i].code == code)
			return reasons[i].name;
	return "?";
}

/* A stored certificate, found by cert_open(), freed by cert_close(). */
struct certref {
	struct conf		*conf;
	struct store		*st;
	struct store_cert	*sc;
	X509			*x;	/* parsed from sc */
};

/*
 * Open the configuration and store, and find the certificate named by
 * the operand (cert show and export) into r (zeroed by the caller).
 * Returns 1, or 0 after a message; cert_close() either way.
 */
static int
cert_open(const struct adm *a, const char *tenant, const char *serial,
    struct certref *r)
{
	const unsigned char	*p;

	if (!conf_store_open(a, tenant, &r->conf, &r->st) ||
	    !cert_lookup(r->st, r->conf, tenant, serial, &r->sc))
		return 0;
	p = r->sc->der;
	if ((r->x = d2i_X509(NULL, &p, (long)r->sc->der_len)) == NULL) {
		warnx("stored certificate does not parse");
		return 0;
	}
	return 1;
}

/* Free what cert_open() found or made. */
static void
cert_close(struct certref *r)
{
	X509_free(r->x);
	store_cert_free(r->sc);
	store_close(r->st);
	conf_free(r->conf);
	memset(r, 0, sizeof(*r));
	ERR_clear_error();
}

/* scepadm cert show SERIAL [--tenant T] [--json]. */
int
cmd_cert_show(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct certref		 r;
	struct store_cert	*sc;
	GENERAL_NAMES		*gn = NULL;
	json_t			*o = NULL, *arr;
	const char		*serial, *tenant = NULL;
	int			 json = 0, rc;
	const struct opt opts[] = {
		{ .name = "json", .shortc = 'j', .flag = &json },
		{ .name = "tenant", .shortc = 't', .val = &tenant },
	};

	memset(&r, 0, sizeof(r));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    &serial)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if (!cert_open(a, tenant, serial, &r))
		goto out;
	sc = r.sc;
	if ((o = json_object()) == NULL || !jset_str(o, "tenant", sc->tenant) ||
	    !jset_str(o, "state", sc->state == STORE_CERT_REVOKED ?
	    "revoked" : sc->not_after < time(NULL) ? "expired" : "valid") ||
	    !jset_str(o, "origin", origin_name(sc->origin)) ||
	    !jset_time(o, "issued", sc->issued_at) ||
	    (sc->state == STORE_CERT_REVOKED &&
	    (!jset_time(o, "revoked", sc->revoked_at) ||
	    !jset_str(o, "revocation_reason", reason_name(sc->reason)))) ||
	    !cert_facts(r.x, "", o))
		goto oom;
	if ((gn = X509_get_ext_d2i(r.x, NID_subject_alt_name, NULL, NULL)) !=
	    NULL) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(o, "sans", arr) != 0 ||
		    !sans_json(gn, arr))
			goto oom;
	}
	if (!print_obj(o, json))
		goto out;
	rc = EXIT_OK;
	goto out;
oom:
	warnx("out of memory");
out:
	json_decref(o);
	GENERAL_NAMES_free(gn);
	cert_close(&r);
	return rc;
}

/* scepadm cert export SERIAL [--tenant T] [-o F]: the PEM. */
int
cmd_cert_export(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct certref	 r;
	const char	*serial, *tenant = NULL, *out = NULL;
	int		 rc;
	const struct opt opts[] = {
		{ .name = "output", .shortc = 'o', .val = &out },
		{ .name = "tenant", .shortc = 't', .val = &tenant },
	};

	memset(&r, 0, sizeof(r));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    &serial)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if (cert_open(a, tenant, serial, &r) && put_pem(r.x, out))
		rc = EXIT_OK;
	cert_close(&r);
	return rc;
}
