/*
 * adm_mobileconfig.c: scepadm mobileconfig, an Apple configuration
 * profile for a tenant (INTEROP.md 2.4).
 */
#include "config.h"

#include <sys/types.h>

#include <err.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "src/extern.h"
#include "src/server.h"
#include "src/adm.h"

/*
 * mobileconfig: an Apple configuration profile (XML property list)
 * with a com.apple.security.scep payload and a com.apple.security.root
 * payload (INTEROP.md 2.4).
 */

/* Apple's poll defaults, and ours for a tenant an operator approves. */
#define APPLE_RETRIES_AUTO	3
#define APPLE_DELAY_AUTO	10
#define APPLE_RETRIES_SLOW	1440	/* 24 hours of polls ... */
#define APPLE_DELAY_SLOW	60	/* ... a minute apart */
/* Apple's "Key Usage" bits: 1 signing, 4 encryption. */
#define APPLE_KU_BOTH		5

/* A property list being written: a memory BIO and the nesting depth. */
struct plist {
	BIO	*b;
	int	 depth;
	int	 err;
};

/* Indentation, then the printf-style text. */
static void
px_line(struct plist *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
px_line(struct plist *p, const char *fmt, ...)
{
	va_list	 ap;
	int	 i;

	for (i = 0; i < p->depth; i++)
		if (BIO_write(p->b, "\t", 1) != 1)
			p->err = 1;
	va_start(ap, fmt);
	if (BIO_vprintf(p->b, fmt, ap) < 0)
		p->err = 1;
	va_end(ap);
}

/*
 * An XML element holding text s, escaped (XML 1.0 section 2.4: '&' and
 * '<' must be, '>' and quotes may be).  Control characters other than
 * tab and newline are not allowed in XML 1.0 at all: refused.
 */
static void
px_text(struct plist *p, const char *elem, const char *s)
{
	const char	*e;

	px_line(p, "<%s>", elem);
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			e = "&amp;";
			break;
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&apos;";
			break;
		default:
			if (((unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n') || *s == 0x7f)
				p->err = 1;
			e = NULL;
			break;
		}
		if (e != NULL ? BIO_puts(p->b, e) <= 0 :
		    BIO_write(p->b, s, 1) != 1)
			p->err = 1;
	}
	if (BIO_printf(p->b, "</%s>\n", elem) <= 0)
		p->err = 1;
}

/* <key>k</key> */
static void
px_key(struct plist *p, const char *k)
{
	px_text(p, "key", k);
}

/* <key>k</key><string>v</string> */
static void
px_kstr(struct plist *p, const char *k, const char *v)
{
	px_key(p, k);
	px_text(p, "string", v);
}

/* <key>k</key><integer>v</integer> */
static void
px_kint(struct plist *p, const char *k, long v)
{
	px_key(p, k);
	px_line(p, "<integer>%ld</integer>\n", v);
}

/* <key>k</key><data>base64</data> */
static void
px_kdata(struct plist *p, const char *k, const uint8_t *d, size_t len)
{
	unsigned char	*b64;

	px_key(p, k);
	if (len > INT_MAX / 2 || (b64 = malloc(4 * ((len + 2) / 3) + 1)) ==
	    NULL) {
		p->err = 1;
		return;
	}
	(void)EVP_EncodeBlock(b64, d, (int)len);
	px_line(p, "<data>%s</data>\n", b64);
	free(b64);
}

/* Open (<dict>, <array>) or close an element, with the depth. */
static void
px_open(struct plist *p, const char *elem)
{
	px_line(p, "<%s>\n", elem);
	p->depth++;
}

static void
px_close(struct plist *p, const char *elem)
{
	p->depth--;
	px_line(p, "</%s>\n", elem);
}

/*
 * A stable UUID for a payload: SHA-1 of "scepd", the tenant name, the
 * CA fingerprint and the payload's role, shaped like an RFC 4122
 * version 5 UUID and printed 8-4-4-4-12 in upper case (Apple's style)
 * into out (37 bytes).  The same tenant and CA always give the same
 * UUID, so a re-exported profile replaces the installed one.
 */
static int
stable_uuid(const char *tenant, const uint8_t fp[SHA_DIGEST_LENGTH],
    const char *role, char out[37])
{
	EVP_MD_CTX	*m;
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 len;
	int		 i, rc = 0;
	size_t		 o = 0;

	if ((m = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(m, EVP_sha1(), NULL) ||
	    !EVP_DigestUpdate(m, "scepd", 6) ||
	    !EVP_DigestUpdate(m, tenant, strlen(tenant) + 1) ||
	    !EVP_DigestUpdate(m, fp, SHA_DIGEST_LENGTH) ||
	    !EVP_DigestUpdate(m, role, strlen(role) + 1) ||
	    !EVP_DigestFinal_ex(m, md, &len))
		goto out;
	md[6] = (md[6] & 0x0f) | 0x50;		/* version 5 */
	md[8] = (md[8] & 0x3f) | 0x80;		/* RFC 4122 variant */
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		snprintf(out + o, 3, "%02X", md[i]);
		o += 2;
	}
	out[o] = '\0';
	rc = 1;
out:
	EVP_MD_CTX_free(m);
	return rc;
}

/*
 * The certificate at the top of the chain the tenant's GetCACert body
 * serves, as Apple compares CAFingerprint with it (INTEROP.md 2.4:
 * "CA at top of GetCACert chain").  A single-CA tenant serves its CA;
 * an RA bundle [RA, CA, chain...] (scep_cacert_body()) is topped by its
 * last certificate: the CA, or the chain's last (the root).  The body
 * is parsed here rather than the files read, so that the profile names
 * what is served.  Returns a new reference or NULL.
 */
static X509 *
served_top(const struct tenant *t)
{
	const unsigned char	*p = t->cacert.data;
	PKCS7			*p7 = NULL;
	STACK_OF(X509)		*certs;
	X509			*x = NULL;

	if (strcmp(t->cacert_ctype, "application/x-x509-ca-cert") == 0)
		return d2i_X509(NULL, &p, (long)t->cacert.len);
	if ((p7 = d2i_PKCS7(NULL, &p, (long)t->cacert.len)) != NULL &&
	    PKCS7_type_is_signed(p7) && p7->d.sign != NULL &&
	    (certs = p7->d.sign->cert) != NULL && sk_X509_num(certs) > 0) {
		x = sk_X509_value(certs, sk_X509_num(certs) - 1);
		if (!X509_up_ref(x))
			x = NULL;
	}
	PKCS7_free(p7);
	return x;
}

/*
 * A subject as "CN=x,O=y" (',' escaped by '\') or "/CN=x/O=y" into a
 * Name; NULL after a message.
 */
static X509_NAME *
parse_subject(const char *s)
{
	X509_NAME	*n;
	char		*buf;
	size_t		 i, o = 0;

	if (*s == '/')
		return parse_dn(s);
	/* Comma form: rewrite to the slash form parse_dn() reads. */
	if ((buf = malloc(2 * strlen(s) + 2)) == NULL) {
		warnx("out of memory");
		return NULL;
	}
	buf[o++] = '/';
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\\' && s[i + 1] != '\0') {
			buf[o++] = '\\';
			buf[o++] = s[++i];
		} else if (s[i] == ',')
			buf[o++] = '/';
		else if (s[i] == '/') {
			buf[o++] = '\\';
			buf[o++] = '/';
		} else
			buf[o++] = s[i];
	}
	buf[o] = '\0';
	n = parse_dn(buf);
	free(buf);
	return n;
}

/*
 * The Subject key: an array of RDNs, each an array of [type, value]
 * pairs, the type as Apple knows it (C, L, ST, O, OU, CN) or a dotted
 * OID.  Returns 1 or 0.
 */
static void
px_subject(struct plist *p, const X509_NAME *n)
{
	static const char *const apple[] = { "C", "L", "ST", "O", "OU",
	    "CN" };
	const X509_NAME_ENTRY	*e;
	unsigned char		*u = NULL;
	const char		*sn;
	char			 oid[128];
	size_t			 k;
	int			 i, len;

	px_key(p, "Subject");
	px_open(p, "array");
	for (i = 0; i < X509_NAME_entry_count(n); i++) {
		e = X509_NAME_get_entry(n, i);
		sn = OBJ_nid2sn(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)));
		for (k = 0; sn != NULL && k < NELEM(apple); k++)
			if (strcmp(sn, apple[k]) == 0)
				break;
		if (sn == NULL || k == NELEM(apple)) {
			if (OBJ_obj2txt(oid, sizeof(oid),
			    X509_NAME_ENTRY_get_object(e), 1) <= 0)
				p->err = 1;
			sn = oid;
		}
		if ((len = ASN1_STRING_to_UTF8(&u,
		    X509_NAME_ENTRY_get_data(e))) < 0 ||
		    memchr(u, '\0', (size_t)len) != NULL) {
			p->err = 1;
			break;
		}
		px_open(p, "array");
		px_open(p, "array");
		px_text(p, "string", sn);
		px_text(p, "string", (char *)u);
		px_close(p, "array");
		px_close(p, "array");
		OPENSSL_free(u);
		u = NULL;
	}
	OPENSSL_free(u);
	px_close(p, "array");
}

/* The --san prefixes and the SubjectAltName keys Apple knows. */
static const struct {
	const char	*pfx;
	const char	*key;
} mc_san[] = {
	{ "dns:", "dNSName" },
	{ "email:", "rfc822Name" },
	{ "upn:", "ntPrincipalName" },
	{ "uri:", "uniformResourceIdentifier" },
};

/* The index in mc_san[] of a --san TYPE:VALUE, or -1. */
static int
san_type(const char *san)
{
	size_t	 k, l;

	for (k = 0; k < NELEM(mc_san); k++) {
		l = strlen(mc_san[k].pfx);
		if (strncasecmp(san, mc_san[k].pfx, l) == 0 && san[l] != '\0')
			return (int)k;
	}
	return -1;
}

/*
 * The SubjectAltName dictionary from --san TYPE:VALUE options (checked
 * by san_type() already), each key an array of strings.
 */
static void
px_sans(struct plist *p, const char *const *san, size_t n)
{
	size_t	 i, k, cnt;

	if (n == 0)
		return;
	px_key(p, "SubjectAltName");
	px_open(p, "dict");
	for (k = 0; k < NELEM(mc_san); k++) {
		for (cnt = 0, i = 0; i < n; i++)
			cnt += san_type(san[i]) == (int)k;
		if (cnt == 0)
			continue;
		px_key(p, mc_san[k].key);
		px_open(p, "array");
		for (i = 0; i < n; i++)
			if (san_type(san[i]) == (int)k)
				px_text(p, "string", san[i] +
				    strlen(mc_san[k].pfx));
		px_close(p, "array");
	}
	px_close(p, "dict");
}

/* What goes into a profile. */
struct mc {
	const struct tenant	*t;
	const char		*url;
	const char		*name;		/* the Name key */
	const char		*challenge;	/* or NULL */
	X509_NAME		*subject;	/* or NULL */
	long			 keysize;
	const char *const	*san;
	size_t			 nsan;
	X509			*top;	/* CAFingerprint, root */
};

/* The common Payload* keys of a payload dictionary. */
static void
px_payload_keys(struct plist *p, const char *type, const char *id,
    const char *uuid, const char *display)
{
	px_kstr(p, "PayloadDisplayName", display);
	px_kstr(p, "PayloadIdentifier", id);
	px_kstr(p, "PayloadType", type);
	px_kstr(p, "PayloadUUID", uuid);
	px_kint(p, "PayloadVersion", 1);
}

/*
 * Write the profile of m into the memory BIO b.  Returns 1, or 0 after
 * a message.
 */
static int
mc_write(const struct mc *m, BIO *b)
{
	const struct conf_tenant	*ct = m->t->conf;
	struct plist			 p;
	unsigned char			*der = NULL;
	uint8_t				 fp[SHA_DIGEST_LENGTH];
	char				 u_top[37], u_scep[37], u_root[37];
	char				 id[CONF_TENANT_MAX + 32];
	char				 disp[CONF_TENANT_MAX + 32];
	unsigned int			 fplen;
	int				 len, slow, rc = 0;

	memset(&p, 0, sizeof(p));
	p.b = b;
	/* Apple compares CAFingerprint as SHA-1 (or MD5) only. */
	if (!X509_digest(m->top, EVP_sha1(), fp, &fplen) ||
	    fplen != sizeof(fp) || (len = i2d_X509(m->top, &der)) <= 0 ||
	    !stable_uuid(ct->name, fp, "profile", u_top) ||
	    !stable_uuid(ct->name, fp, "scep", u_scep) ||
	    !stable_uuid(ct->name, fp, "root", u_root)) {
		warnx("cannot hash the CA certificate");
		goto out;
	}
	/* Poll long enough for an operator or a webhook (INTEROP.md 2.4). */
	slow = ct->approval != CONF_APPROVAL_AUTO;

	px_line(&p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	    "<plist version=\"1.0\">\n");
	px_open(&p, "dict");
	px_key(&p, "PayloadContent");
	px_open(&p, "array");

	/* The SCEP payload. */
	px_open(&p, "dict");
	px_key(&p, "PayloadContent");
	px_open(&p, "dict");
	px_kstr(&p, "URL", m->url);
	px_kstr(&p, "Name", m->name);
	if (m->subject != NULL)
		px_subject(&p, m->subject);
	if (m->challenge != NULL)
		px_kstr(&p, "Challenge", m->challenge);
	px_kint(&p, "Keysize", m->keysize);
	px_kstr(&p, "Key Type", "RSA");
	px_kint(&p, "Key Usage", APPLE_KU_BOTH);
	px_kint(&p, "Retries", slow ? APPLE_RETRIES_SLOW : APPLE_RETRIES_AUTO);
	px_kint(&p, "RetryDelay", slow ? APPLE_DELAY_SLOW : APPLE_DELAY_AUTO);
	px_kdata(&p, "CAFingerprint", fp, sizeof(fp));
	px_sans(&p, m->san, m->nsan);
	px_close(&p, "dict");
	snprintf(id, sizeof(id), "scepd.%s.scep", ct->name);
	snprintf(disp, sizeof(disp), "SCEP enrolment (%s)", ct->name);
	px_payload_keys(&p, "com.apple.security.scep", id, u_scep, disp);
	px_close(&p, "dict");

	/* The root payload: what devices must trust. */
	px_open(&p, "dict");
	px_kdata(&p, "PayloadContent", der, (size_t)len);
	snprintf(id, sizeof(id), "%s-ca.cer", ct->name);
	px_kstr(&p, "PayloadCertificateFileName", id);
	snprintf(id, sizeof(id), "scepd.%s.root", ct->name);
	snprintf(disp, sizeof(disp), "CA certificate (%s)", ct->name);
	px_payload_keys(&p, "com.apple.security.root", id, u_root, disp);
	px_close(&p, "dict");

	px_close(&p, "array");
	snprintf(id, sizeof(id), "scepd.%s", ct->name);
	snprintf(disp, sizeof(disp), "SCEP %s", ct->name);
	px_payload_keys(&p, "Configuration", id, u_top, disp);
	px_close(&p, "dict");
	px_line(&p, "</plist>\n");
	if (p.err) {
		warnx("cannot write the profile (a value holds a control "
		    "character, or out of memory)");
		goto out;
	}
	rc = 1;
out:
	OPENSSL_free(der);
	return rc;
}

/*
 * CMS-sign the profile in b with certfile and keyfile (DER SignedData
 * with the content attached, as devices expect of a signed profile)
 * into *out (BIO_free()).  Returns 1, or 0 after a message.
 */
static int
mc_sign(BIO *b, const char *certfile, const char *keyfile, BIO **out)
{
	X509		*x = NULL;
	EVP_PKEY	*k = NULL;
	CMS_ContentInfo	*cms = NULL;
	BIO		*o = NULL;
	int		 rc = 0;

	*out = NULL;
	if ((x = read_cert(certfile)) == NULL || (k = read_key(keyfile)) ==
	    NULL)
		goto out;
	if (X509_check_private_key(x, k) != 1) {
		warnx("%s does not match %s", keyfile, certfile);
		goto out;
	}
	if ((cms = CMS_sign(x, k, NULL, b, CMS_BINARY | CMS_NOSMIMECAP)) ==
	    NULL || (o = BIO_new(BIO_s_mem())) == NULL ||
	    !i2d_CMS_bio(o, cms)) {
		warnx("cannot sign the profile");
		goto out;
	}
	*out = o;
	o = NULL;
	rc = 1;
out:
	BIO_free(o);
	CMS_ContentInfo_free(cms);
	EVP_PKEY_free(k);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

/* Default lifetime of a profile's one-time challenge (--ttl). */
#define MC_OTP_TTL		(7 * 86400)

/*
 * A fresh one-time challenge for a profile (otp_create()), bound to the
 * subject unless it holds an Apple variable such as %HardwareUUID%
 * (expanded on the device, so it cannot be bound here).  Returns the
 * password (cleanse, then free()) or NULL after a message.
 */
static char *
mc_otp(struct server *s, const struct tenant *t, const X509_NAME *subject,
    time_t ttl)
{
	char	 pw[OTP_PW_LEN + 1], id[OTP_ID_LEN + 1], err[512];
	char	*dn = NULL, *r = NULL;

	if (subject != NULL && (dn = X509_NAME_oneline(subject, NULL, 0)) ==
	    NULL) {
		warnx("out of memory");
		return NULL;
	}
	if (dn != NULL && strchr(dn, '%') != NULL) {
		OPENSSL_free(dn);
		dn = NULL;
	}
	if (!otp_create(s, t, time(NULL), ttl, dn, pw, sizeof(pw), id,
	    sizeof(id), err, sizeof(err)))
		warnx("%s", err);
	else if ((r = strdup(pw)) == NULL)
		warnx("out of memory");
	else
		fprintf(stderr, "scepadm: one-time challenge %s\n", id);
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_free(dn);
	return r;
}

/*
 * scepadm mobileconfig TENANT --url URL [--challenge PW | --otp]
 * [--subject DN] [--keysize N] [--san T:V ...] [--name NAME] [-o F]
 * [--sign-cert F --sign-key F].
 */
int
cmd_mobileconfig(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct server		*s = NULL;
	struct mc		 m;
	BIO			*b = NULL, *signedb = NULL, *w;
	const char		*tenant, *url = NULL, *chal = NULL;
	const char		*subj = NULL, *ks = "2048", *name = NULL;
	const char		*out = NULL, *scert = NULL, *skey = NULL;
	const char		*san[MULTI_MAX], *ttls = NULL;
	time_t			 ttl = MC_OTP_TTL;
	char			*data, *otp = NULL;
	size_t			 nsan = 0, i;
	long			 len;
	long long		 v;
	int			 use_otp = 0, rc;
	const struct opt opts[] = {
		{ .name = "challenge", .val = &chal },
		{ .name = "keysize", .val = &ks },
		{ .name = "name", .val = &name },
		{ .name = "otp", .flag = &use_otp },
		{ .name = "output", .shortc = 'o', .val = &out },
		{ .name = "san", .multi = san, .nmulti = &nsan },
		{ .name = "sign-cert", .val = &scert },
		{ .name = "sign-key", .val = &skey },
		{ .name = "subject", .val = &subj },
		{ .name = "ttl", .val = &ttls },
		{ .name = "url", .val = &url },
	};

	memset(&m, 0, sizeof(m));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    &tenant)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0))
		return usage_err(c, "--url: the http:// or https:// URL "
		    "devices enrol at");
	if (chal != NULL && use_otp)
		return usage_err(c, "--challenge and --otp exclude each other");
	if ((scert == NULL) != (skey == NULL))
		return usage_err(c, "--sign-cert and --sign-key go together");
	if (!parse_num(ks, 1024, 4096, &v) || (v != 1024 && v != 2048 &&
	    v != 4096))
		return usage_err(c, "--keysize: 1024, 2048 or 4096 (Apple's "
		    "sizes)");
	for (i = 0; i < nsan; i++)
		if (san_type(san[i]) < 0)
			return usage_err(c, "--san %s: expected dns:, email:, "
			    "uri: or upn: and a value", san[i]);
	if (ttls != NULL && (!use_otp || !parse_dur(ttls, &ttl) || ttl == 0))
		return usage_err(c, "--ttl: a duration such as 7d, with --otp");
	rc = EXIT_FAIL;
	m.url = url;
	m.keysize = (long)v;
	m.san = san;
	m.nsan = nsan;
	if (subj != NULL && (m.subject = parse_subject(subj)) == NULL)
		goto out;
	if ((s = load_server(a)) == NULL)
		goto out;
	if ((m.t = server_tenant(s, tenant)) == NULL || *tenant == '\0') {
		warnx("no tenant '%s' in %s", tenant, s->conf->path);
		goto out;
	}
	m.name = name != NULL ? name : m.t->conf->name;
	if (!conf_key_size_ok(m.t->conf, (unsigned int)m.keysize)) {
		warnx("--keysize %ld is not allowed by tenant %s's key_sizes",
		    m.keysize, tenant);
		goto out;
	}
	/* The challenge: given, one-time, or the tenant's static one. */
	if (use_otp) {
		if (m.t->conf->challenge != CONF_CHALLENGE_OTP) {
			warnx("--otp: tenant %s does not use one-time "
			    "challenges", tenant);
			goto out;
		}
		if ((otp = mc_otp(s, m.t, m.subject, ttl)) == NULL)
			goto out;
		m.challenge = otp;
	} else if (chal != NULL)
		m.challenge = chal;
	else if (m.t->conf->challenge == CONF_CHALLENGE_STATIC)
		m.challenge = m.t->conf->challenge_password;
	else if (m.t->conf->challenge == CONF_CHALLENGE_OTP) {
		warnx("tenant %s uses one-time challenges: say --otp", tenant);
		goto out;
	}
	if ((m.top = served_top(m.t)) == NULL) {
		warnx("cannot read the tenant's GetCACert certificates");
		goto out;
	}
	if ((b = BIO_new(BIO_s_mem())) == NULL || !mc_write(&m, b))
		goto out;
	w = b;
	if (scert != NULL) {
		if (!mc_sign(b, scert, skey, &signedb))
			goto out;
		w = signedb;
	}
	if ((len = BIO_get_mem_data(w, &data)) <= 0)
		goto out;
	/* 0600: the profile may hold a challenge password. */
	if (!write_out(out, data, (size_t)len, 0600))
		goto out;
	rc = EXIT_OK;
out:
	if (otp != NULL) {
		OPENSSL_cleanse(otp, strlen(otp));
		free(otp);
	}
	BIO_free(signedb);
	BIO_free(b);
	X509_free(m.top);
	X509_NAME_free(m.subject);
	server_free(s);
	ERR_clear_error();
	return rc;
}
