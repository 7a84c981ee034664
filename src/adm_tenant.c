/*
 * adm_tenant.c: scepadm tenant create, import, list, show and check, and
 * ca rollover; with the key and certificate generation (pki_*) that
 * tenant create and ca rollover share, and the tenant's files written
 * with the modes of INTEROP.md 6.4.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <jansson.h>

#include "src/extern.h"
#include "src/store.h"
#include "src/ca.h"
#include "src/adm.h"

/* tenant create defaults (issue 3: CA:TRUE pathlen 0, 20 years). */
#define CA_PATHLEN_MAX		16
#define RSA_BITS_DEFAULT	2048
#define RSA_BITS_MIN		2048
#define RSA_BITS_MAX		4096
#define RA_BITS			2048
/* A generated challenge: 20 of 62 characters, about 119 bits. */
#define CHALLENGE_LEN		20
/* Bounds of a static challenge password (conf.c SECRET_MIN/MAX). */
#define CHALLENGE_MIN		8
#define CHALLENGE_MAX		255
/* tenant check: "soon" (30 days). */
#define SOON_DEFAULT		(30 * 86400)
/* KU bits Apple and certmonger need of an RA (INTEROP.md 2.3, 2.4). */
#define KU_RA	(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)

/*
 * tenant create
 */

/* The options of tenant create. */
struct create_opts {
	const char	*name;
	const char	*dir;
	const char	*database;
	const char	*subject;
	const char	*password;
	const char	*user;
	const char	*group;
	enum ca_keytype	 keytype;
	int		 bits;
	int		 days;
	int		 pathlen;
	int		 no_ra;
	int		 challenge;	/* CONF_CHALLENGE_STATIC|NONE|OTP */
	int		 approval;	/* CONF_APPROVAL_AUTO or _MANUAL */
	int		 allow_des;
	int		 open_enrolment;
	int		 ec;		/* --key ec */
	int		 bits_set;	/* --bits given */
	int		 curve_set;	/* --curve given */
};

/* The files of a tenant, in the order they are written. */
enum tfile {
	TF_CA_KEY,
	TF_CA_CRT,
	TF_RA_KEY,
	TF_RA_CRT,
	TF__MAX
};
static const char *const tfile_names[TF__MAX] = {
	"ca.key", "ca.crt", "ra.key", "ra.crt"
};

/*
 * The RA's subject: the CA's, with its last commonName "X CA" turned
 * into "X RA" (or "X" into "X RA"), or "NAME SCEP RA" added when the CA
 * has no commonName.  Returns a new name or NULL after a message.
 */
static X509_NAME *
ra_subject(const X509_NAME *ca, const char *tenant)
{
	X509_NAME	*n = NULL, *rc = NULL;
	X509_NAME_ENTRY	*e;
	unsigned char	*utf = NULL;
	char		 cn[CN_MAX * 4 + 8];
	int		 loc = -1, i, len;
	size_t		 l;

	if ((n = X509_NAME_dup(ca)) == NULL)
		goto oom;
	while ((i = X509_NAME_get_index_by_NID(n, NID_commonName, loc)) >= 0)
		loc = i;
	if (loc < 0) {
		snprintf(cn, sizeof(cn), "%s SCEP RA", tenant);
		if (strlen(cn) > CN_MAX)
			snprintf(cn, sizeof(cn), "%s", tenant);
	} else {
		e = X509_NAME_get_entry(n, loc);
		if ((len = ASN1_STRING_to_UTF8(&utf,
		    X509_NAME_ENTRY_get_data(e))) < 0)
			goto oom;
		l = (size_t)len;
		if (l >= 3 && memcmp(utf + l - 3, " CA", 3) == 0)
			l -= 3;
		/* Room for " RA" within ub-common-name, on a UTF-8 boundary. */
		while (l > CN_MAX - 3 ||
		    (l > 0 && l < (size_t)len && (utf[l] & 0xc0) == 0x80))
			l--;
		snprintf(cn, sizeof(cn), "%.*s RA", (int)l, (char *)utf);
		X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, loc));
	}
	if (!X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	    (unsigned char *)cn, -1, loc, 0)) {
		warnx("cannot build the RA subject");
		goto out;
	}
	rc = n;
	n = NULL;
	goto out;
oom:
	warnx("out of memory");
out:
	X509_NAME_free(n);
	OPENSSL_free(utf);
	ERR_clear_error();
	return rc;
}

/*
 * A random challenge password of CHALLENGE_LEN letters and digits
 * (rejection sampling, so every character is equally likely), into
 * out.  Returns 1, or 0 if the random generator failed.
 */
static int
random_password(char out[CHALLENGE_LEN + 1])
{
	static const char	 set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 b[64];
	size_t			 n = 0, i;

	while (n < CHALLENGE_LEN) {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return 0;
		for (i = 0; i < sizeof(b) && n < CHALLENGE_LEN; i++)
			/* 248 = 4 * 62: drop the biased tail. */
			if (b[i] < 248)
				out[n++] = set[b[i] % 62];
	}
	out[n] = '\0';
	OPENSSL_cleanse(b, sizeof(b));
	return 1;
}

/*
 * The PEM of a private key in a buffer that is cleansed on free
 * (BIO_s_secmem).  Returns the BIO with *p and *len set, or NULL.
 */
static BIO *
key_pem(EVP_PKEY *key, char **p, size_t *len)
{
	BIO	*b;
	long	 l;

	if ((b = BIO_new(BIO_s_secmem())) == NULL)
		return NULL;
	if (!PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) ||
	    (l = BIO_get_mem_data(b, p)) <= 0) {
		BIO_free(b);
		return NULL;
	}
	*len = (size_t)l;
	return b;
}

/* Write key (PEM, mode 0640, group gid) to the new file path; 1 or 0. */
static int
write_key(const char *path, EVP_PKEY *key, gid_t gid)
{
	BIO	*b;
	char	*p;
	size_t	 len;
	int	 rc;

	if ((b = key_pem(key, &p, &len)) == NULL) {
		warnx("%s: cannot encode the key", path);
		return 0;
	}
	rc = write_new_file(path, p, len, 0640, gid);
	BIO_free(b);
	return rc;
}

/* Write cert (PEM, mode 0644, group gid) to the new file path; 1 or 0. */
static int
write_cert(const char *path, X509 *cert, gid_t gid)
{
	BIO	*b;
	char	*p;
	long	 len;
	int	 rc = 0;

	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(b, cert) ||
	    (len = BIO_get_mem_data(b, &p)) <= 0)
		warnx("%s: cannot encode the certificate", path);
	else
		rc = write_new_file(path, p, (size_t)len, 0644, gid);
	BIO_free(b);
	return rc;
}

/* "AB:CD:..." of a 32-byte digest into out (96 bytes). */
static void
fp_colons(const uint8_t md[32], char out[96])
{
	static const char	 digits[] = "0123456789ABCDEF";
	size_t			 i;

	for (i = 0; i < 32; i++) {
		out[3 * i] = digits[md[i] >> 4];
		out[3 * i + 1] = digits[md[i] & 0x0f];
		out[3 * i + 2] = i == 31 ? '\0' : ':';
	}
}

/*
 * Make an absolute path of p: as is when it starts with '/', else
 * relative to the working directory.  Returns a new string or NULL.
 */
static char *
abs_path(const char *p)
{
	char	 cwd[PATH_MAX], *r;

	if (*p == '/')
		return strdup(p);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (asprintf(&r, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, p) == -1)
		return NULL;
	return r;
}

/*
 * The directory part of path ("/etc" for "/etc/scepd.conf"), as a new
 * string, or NULL.
 */
static char *
dir_of(const char *path)
{
	char	*d, *slash;

	if ((d = strdup(path)) == NULL)
		return NULL;
	if ((slash = strrchr(d, '/')) == NULL) {
		free(d);
		return strdup(".");
	}
	if (slash == d)
		slash[1] = '\0';
	else
		*slash = '\0';
	return d;
}

/*
 * mkdir -p for the parents of dir (mode 0755), then dir itself with
 * mode and group gid.  *created says whether dir was made here.
 * Returns 1, or 0 after a message.
 */
static int
make_dir(const char *dir, mode_t mode, gid_t gid, int *created)
{
	char	*p = NULL, *s;
	int	 rc = 0;

	*created = 0;
	if ((p = strdup(dir)) == NULL) {
		warnx("out of memory");
		goto out;
	}
	for (s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST) {
			warn("mkdir %s", p);
			goto out;
		}
		*s = '/';
	}
	if (mkdir(dir, mode) == -1) {
		if (errno != EEXIST) {
			warn("mkdir %s", dir);
			goto out;
		}
	} else {
		*created = 1;
		if (chmod(dir, mode) == -1 ||
		    (gid != (gid_t)-1 && chown(dir, (uid_t)-1, gid) == -1)) {
			warn("%s", dir);
			goto out;
		}
	}
	rc = 1;
out:
	free(p);
	return rc;
}

/*
 * Create the database at dbdir if needed and record the RA certificate
 * in it (so that no issued certificate ever takes its serial), as the
 * database's owner: the existing directory's owner, else user (when
 * given, as root), else ourselves.  Returns 1, or 0 after a message.
 */
static int
prepare_store(const char *dbdir, size_t mapsize, const char *tenant,
    X509 *ra, const struct ident *user)
{
	struct ident		 who;
	struct store		*st = NULL;
	struct store_cert_in	 in;
	unsigned char		*der = NULL;
	enum store_rc		 src;
	int			 len, rc = 0;

	if (!db_owner(dbdir, &who))
		goto out;
	if (who.set && user->set && who.uid != user->uid) {
		warnx("%s is owned by uid %ld, not by the --user given",
		    dbdir, (long)who.uid);
		goto out;
	}
	if (!who.set && user->set && !exists(dbdir)) {
		/* Made here as root, then handed to the workers' user. */
		if (mkdir(dbdir, 0700) == -1 ||
		    chown(dbdir, user->uid, user->gid) == -1) {
			warn("%s", dbdir);
			goto out;
		}
		who = *user;
	}
	if ((st = store_open_as(&who, dbdir, STORE_CREATE, mapsize)) == NULL)
		goto out;
	if (ra != NULL) {
		if ((len = i2d_X509(ra, &der)) <= 0) {
			warnx("cannot encode the RA certificate");
			goto out;
		}
		memset(&in, 0, sizeof(in));
		in.tenant = tenant;
		in.der = der;
		in.der_len = (size_t)len;
		in.origin = STORE_ORIGIN_RA;
		in.issued_at = time(NULL);
		if ((src = store_cert_add(st, &in)) != STORE_OK) {
			store_warn(st, src, "recording the RA certificate");
			goto out;
		}
	}
	rc = 1;
out:
	store_close(st);
	OPENSSL_free(der);
	return rc;
}

/* A tenant's CA and RA keys and certificates (tenant create, rollover). */
struct pki {
	EVP_PKEY	*cakey;
	X509		*cacert;
	EVP_PKEY	*rakey;		/* NULL without an RA */
	X509		*racert;
	char		 desc[80];	/* the CA key: "RSA 2048" */
	uint8_t		 cafp[32];	/* SHA-256 fingerprints */
	uint8_t		 rafp[32];
};

static void
pki_free(struct pki *p)
{
	EVP_PKEY_free(p->cakey);
	X509_free(p->cacert);
	EVP_PKEY_free(p->rakey);
	X509_free(p->racert);
	memset(p, 0, sizeof(*p));
}

/*
 * A new CA key (kt, bits) with a self-signed certificate for subj
 * (validity days, pathlen) and, when rasubj is not NULL, an RSA
 * RA_BITS RA under it for SCEP messages; without one the CA is a
 * single CA (it signs and decrypts SCEP messages itself).  Returns 1,
 * or 0 after a message (p then holds nothing).
 */
static int
pki_new(struct pki *p, enum ca_keytype kt, int bits, const X509_NAME *subj,
    const X509_NAME *rasubj, time_t now, int days, int pathlen)
{
	struct signer	*ca = NULL;
	int		 rc = 0;

	memset(p, 0, sizeof(*p));
	if ((p->cakey = ca_key_new(kt, bits)) == NULL ||
	    (p->cacert = ca_root_new(p->cakey, subj, now, days, pathlen,
	    rasubj == NULL)) == NULL) {
		warnx("cannot create the CA key and certificate");
		goto out;
	}
	if (rasubj != NULL && ((ca = signer_new(p->cacert, p->cakey)) ==
	    NULL || (p->rakey = ca_key_new(CA_KEY_RSA, RA_BITS)) == NULL ||
	    (p->racert = ca_ra_new(ca, p->rakey, rasubj, now, days)) ==
	    NULL)) {
		warnx("cannot create the RA key and certificate");
		goto out;
	}
	/* Fingerprints now: nothing may fail once the config is written. */
	key_desc(p->cakey, p->desc, sizeof(p->desc));
	if (!ca_cert_fingerprint(p->cacert, p->cafp) ||
	    (p->racert != NULL && !ca_cert_fingerprint(p->racert, p->rafp))) {
		warnx("cannot compute the certificate fingerprints");
		goto out;
	}
	rc = 1;
out:
	if (!rc)
		pki_free(p);
	signer_free(ca);
	ERR_clear_error();
	return rc;
}

/*
 * Write the files of p to paths (INTEROP.md 6.4: keys 0640,
 * certificates 0644, group gid); done[] says which were written, for
 * the caller to remove on failure.  Returns 1, or 0 after a message.
 */
static int
pki_write(const struct pki *p, char *const paths[TF__MAX], gid_t gid,
    int done[TF__MAX])
{
	EVP_PKEY *const	 key[2] = { p->cakey, p->rakey };
	X509 *const	 cert[2] = { p->cacert, p->racert };
	size_t		 i;

	/* TF_CA_KEY, TF_CA_CRT, then TF_RA_KEY, TF_RA_CRT. */
	for (i = 0; i < 2 && cert[i] != NULL; i++)
		if (!(done[2 * i] = write_key(paths[2 * i], key[i], gid)) ||
		    !(done[2 * i + 1] = write_cert(paths[2 * i + 1], cert[i],
		    gid)))
			return 0;
	return 1;
}

/*
 * The paths of a tenant's files, dir/names[i], into paths (free each
 * with free()), none of which may exist (the RA's only when ra).
 * Returns 1, or 0 after a message.
 */
static int
pki_paths(const char *dir, const char *const names[TF__MAX], int ra,
    char *paths[TF__MAX])
{
	size_t	 i;

	for (i = 0; i < TF__MAX; i++) {
		if (asprintf(&paths[i], "%s/%s", dir, names[i]) == -1) {
			paths[i] = NULL;
			warnx("out of memory");
			return 0;
		}
		if ((i == TF_CA_KEY || i == TF_CA_CRT || ra) &&
		    exists(paths[i])) {
			warnx("%s exists: refusing to overwrite a tenant's "
			    "files", paths[i]);
			return 0;
		}
	}
	return 1;
}

/*
 * Print the paths, key and SHA-256 fingerprints of the CA and RA of p,
 * each line starting with pfx.
 */
static void
pki_print(const char *pfx, char *const paths[TF__MAX], const struct pki *p)
{
	char	 fp[96];

	fp_colons(p->cafp, fp);
	printf("%sCA certificate: %s (%s)\n", pfx, paths[TF_CA_CRT], p->desc);
	printf("%sCA SHA-256 fingerprint: %s\n", pfx, fp);
	if (p->racert == NULL)
		return;
	fp_colons(p->rafp, fp);
	printf("%sRA certificate: %s (RSA %d)\n", pfx, paths[TF_RA_CRT],
	    RA_BITS);
	printf("%sRA SHA-256 fingerprint: %s\n", pfx, fp);
}

/* --approval auto|manual of tenant create (parse_opts() check). */
static int
create_approval(const struct cmd *c, const char *v, void *arg)
{
	struct create_opts	*o = arg;

	if (strcmp(v, "auto") == 0)
		o->approval = CONF_APPROVAL_AUTO;
	else if (strcmp(v, "manual") == 0)
		o->approval = CONF_APPROVAL_MANUAL;
	else
		return usage_err(c, "--approval: auto or manual");
	return EXIT_OK;
}

/* --bits N of tenant create (parse_opts() check). */
static int
create_bits(const struct cmd *c, const char *v, void *arg)
{
	struct create_opts	*o = arg;
	long long		 n;

	if (!parse_num(v, RSA_BITS_MIN, RSA_BITS_MAX, &n) || n % 8 != 0)
		return usage_err(c, "--bits: a multiple of 8 from %d to %d",
		    RSA_BITS_MIN, RSA_BITS_MAX);
	o->bits = (int)n;
	o->bits_set = 1;
	return EXIT_OK;
}

/* --challenge static|otp|none of tenant create (parse_opts() check). */
static int
create_challenge(const struct cmd *c, const char *v, void *arg)
{
	struct create_opts	*o = arg;

	if (strcmp(v, "static") == 0)
		o->challenge = CONF_CHALLENGE_STATIC;
	else if (strcmp(v, "none") == 0)
		o->challenge = CONF_CHALLENGE_NONE;
	else if (strcmp(v, "otp") == 0)
		o->challenge = CONF_CHALLENGE_OTP;
	else
		return usage_err(c, "--challenge: static, otp or none");
	return EXIT_OK;
}

/* --curve P-256|P-384 of tenant create (parse_opts() check). */
static int
create_curve(const struct cmd *c, const char *v, void *arg)
{
	struct create_opts	*o = arg;

	if (strcmp(v, "P-256") == 0)
		o->keytype = CA_KEY_P256;
	else if (strcmp(v, "P-384") == 0)
		o->keytype = CA_KEY_P384;
	else
		return usage_err(c, "--curve: P-256 or P-384");
	o->curve_set = 1;
	return EXIT_OK;
}

/* --days N of tenant create (parse_opts() check). */
static int
create_days(const struct cmd *c, const char *v, void *arg)
{
	struct create_opts	*o = arg;
	long long		 n;

	if (!parse_num(v, 1, CA_DAYS_MAX, &n))
		return usage_err(c, "--days: 1 to %d", CA_DAYS_MAX);
	o->days = (int)n;
	return EXIT_OK;
}

/* --key rsa|ec of tenant create (parse_opts() check). */
static int
create_key(const struct cmd *c, const char *v, void *arg)
{
	struct create_opts	*o = arg;

	if (strcmp(v, "rsa") == 0)
		o->ec = 0;
	else if (strcmp(v, "ec") == 0)
		o->ec = 1;
	else
		return usage_err(c, "--key: rsa or ec");
	return EXIT_OK;
}

/* --pathlen N of tenant create (parse_opts() check). */
static int
create_pathlen(const struct cmd *c, const char *v, void *arg)
{
	struct create_opts	*o = arg;
	long long		 n;

	if (!parse_num(v, 0, CA_PATHLEN_MAX, &n))
		return usage_err(c, "--pathlen: 0 to %d", CA_PATHLEN_MAX);
	o->pathlen = (int)n;
	return EXIT_OK;
}

/*
 * The options of tenant create, parsed into o; an exit status, or -1
 * for --help.
 */
static int
create_parse(const struct cmd *c, int argc, char *argv[],
    struct create_opts *o)
{
	const struct opt opts[] = {
		{ .name = "allow-des", .flag = &o->allow_des },
		{ .name = "approval", .check = create_approval, .arg = o },
		{ .name = "bits", .check = create_bits, .arg = o },
		{ .name = "challenge", .check = create_challenge, .arg = o },
		{ .name = "curve", .check = create_curve, .arg = o },
		{ .name = "database", .val = &o->database },
		{ .name = "days", .check = create_days, .arg = o },
		{ .name = "dir", .val = &o->dir },
		{ .name = "group", .val = &o->group },
		{ .name = "key", .check = create_key, .arg = o },
		{ .name = "no-ra", .flag = &o->no_ra },
		{ .name = "open-enrolment", .flag = &o->open_enrolment },
		{ .name = "password", .val = &o->password },
		{ .name = "pathlen", .check = create_pathlen, .arg = o },
		{ .name = "subject", .val = &o->subject },
		{ .name = "user", .val = &o->user },
	};
	size_t		 i, len;
	int		 rc;

	memset(o, 0, sizeof(*o));
	o->keytype = CA_KEY_RSA;
	o->bits = RSA_BITS_DEFAULT;
	o->days = CA_DAYS_DEFAULT;
	o->challenge = CONF_CHALLENGE_STATIC;
	o->approval = CONF_APPROVAL_AUTO;
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts),
	    "the tenant NAME is missing", &o->name)) != EXIT_OK)
		return rc;

	/* Combinations. */
	if (o->ec) {
		if (o->bits_set)
			return usage_err(c, "--bits is for RSA keys; use "
			    "--curve with --key ec");
		if (!o->curve_set)
			o->keytype = CA_KEY_P256;
		if (o->no_ra)
			return usage_err(c, "--no-ra needs an RSA CA: an EC "
			    "key cannot decrypt SCEP messages");
	} else if (o->curve_set)
		return usage_err(c, "--curve needs --key ec");
	if (o->challenge != CONF_CHALLENGE_STATIC && o->password != NULL)
		return usage_err(c, "--password needs --challenge static");
	if (o->challenge == CONF_CHALLENGE_NONE &&
	    o->approval == CONF_APPROVAL_AUTO && !o->open_enrolment)
		return usage_err(c, "--challenge none with --approval auto "
		    "lets anyone enrol (an open CA, INTEROP.md 6.4): use "
		    "--approval manual, or say --open-enrolment");
	if (o->password != NULL) {
		len = strlen(o->password);
		if (len < CHALLENGE_MIN || len > CHALLENGE_MAX)
			return usage_err(c, "--password: %d to %d characters",
			    CHALLENGE_MIN, CHALLENGE_MAX);
		for (i = 0; i < len; i++)
			if ((unsigned char)o->password[i] < 0x20 ||
			    o->password[i] == 0x7f)
				return usage_err(c, "--password: no control "
				    "characters");
	}
	return EXIT_OK;
}

/*
 * The settings of the new tenant's section, for conf_write_tenant().
 * kv has room for 12 entries; returns how many were filled.
 */
static size_t
create_kv(const struct create_opts *o, char *const paths[TF__MAX],
    const char *password, const char *chkey, struct conf_kv *kv)
{
	size_t	 n = 0;

	kv[n++] = (struct conf_kv){ "ca_cert", paths[TF_CA_CRT] };
	kv[n++] = (struct conf_kv){ "ca_key", paths[TF_CA_KEY] };
	if (!o->no_ra) {
		kv[n++] = (struct conf_kv){ "ra_cert", paths[TF_RA_CRT] };
		kv[n++] = (struct conf_kv){ "ra_key", paths[TF_RA_KEY] };
	}
	if (o->challenge == CONF_CHALLENGE_STATIC) {
		kv[n++] = (struct conf_kv){ "challenge", "static" };
		kv[n++] = (struct conf_kv){ "challenge_password", password };
	} else if (o->challenge == CONF_CHALLENGE_OTP) {
		kv[n++] = (struct conf_kv){ "challenge", "otp" };
		kv[n++] = (struct conf_kv){ "challenge_key", chkey };
	} else
		kv[n++] = (struct conf_kv){ "challenge", "none" };
	kv[n++] = (struct conf_kv){ "approval",
	    o->approval == CONF_APPROVAL_MANUAL ? "manual" : "auto" };
	if (o->open_enrolment)
		kv[n++] = (struct conf_kv){ "open_enrolment", "yes" };
	if (o->allow_des)
		kv[n++] = (struct conf_kv){ "allow_des", "yes" };
	return n;
}

/*
 * Write a new configuration file with only the global part (database,
 * log), mode 0640, group gid.  Returns 1, or 0 after a message.
 */
static int
write_new_conf(const char *path, const char *database, gid_t gid)
{
	char	*text = NULL;
	int	 len, rc;

	if ((len = asprintf(&text, "# scepd.conf(5): made by scepadm tenant "
	    "create\ndatabase = %s\nlog = syslog\n", database)) == -1) {
		warnx("out of memory");
		return 0;
	}
	rc = write_new_file(path, text, (size_t)len, 0640, gid);
	free(text);
	return rc;
}

/*
 * scepadm tenant create NAME: a root CA (RSA or EC), an RSA-2048 RA
 * under it (unless --no-ra), the tenant's files with the modes of
 * INTEROP.md 6.4, the database (owned by the worker's user), and the
 * [tenant NAME] section of scepd.conf, added by atomic rename.  Nothing
 * is left behind on failure but a database record of the RA.
 */
int
cmd_tenant_create(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct create_opts	 o;
	struct conf		*conf = NULL;
	struct passwd		*pw;
	struct group		*gr;
	struct ident		 user;
	struct pki		 pki;
	struct conf_kv		 kv[12];
	X509_NAME		*subj = NULL, *rasubj = NULL;
	char			*confpath = NULL, *confdir = NULL, *dir = NULL;
	char			*database = NULL, *chkey = NULL;
	char			*paths[TF__MAX] = { NULL };
	char			 pwbuf[CHALLENGE_LEN + 1], err[1024];
	char			 cn[128], hex[65];
	const char		*password = NULL;
	gid_t			 gid = (gid_t)-1;
	time_t			 now;
	size_t			 i, n;
	int			 rc, done[TF__MAX] = { 0 }, dir_made = 0;
	int			 conf_made = 0, conf_exists, chkey_made = 0;

	if ((rc = create_parse(c, argc, argv, &o)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	memset(&user, 0, sizeof(user));
	memset(&pki, 0, sizeof(pki));
	memset(pwbuf, 0, sizeof(pwbuf));

	if (!conf_tenant_name_ok(o.name)) {
		warnx("bad tenant name '%s': expected [a-z0-9][a-z0-9_-]{0,62}"
		    ", not scep, cgi-bin, crl or auth", o.name);
		goto out;
	}
	/* Who will own what (INTEROP.md 6.4). */
	if (o.user != NULL) {
		if ((pw = getpwnam(o.user)) == NULL) {
			warnx("--user: no user '%s'", o.user);
			goto out;
		}
		if (geteuid() != 0 && pw->pw_uid != geteuid()) {
			warnx("--user %s: only root can create files for "
			    "another user", o.user);
			goto out;
		}
		user.set = geteuid() == 0 && pw->pw_uid != 0;
		user.uid = pw->pw_uid;
		user.gid = pw->pw_gid;
	}
	if (o.group != NULL) {
		if ((gr = getgrnam(o.group)) == NULL) {
			warnx("--group: no group '%s'", o.group);
			goto out;
		}
		gid = gr->gr_gid;
	}

	/* The configuration: the tenant must be new. */
	if ((confpath = abs_path(a->conf_path)) == NULL ||
	    (confdir = dir_of(confpath)) == NULL) {
		warnx("out of memory");
		goto out;
	}
	conf_exists = exists(confpath);
	if (conf_exists) {
		if (o.database != NULL) {
			rc = usage_err(c, "--database is only for a new "
			    "configuration; %s sets its own", confpath);
			goto out;
		}
		if (!conf_load(confpath, &conf, err, sizeof(err))) {
			warnx("%s", err);
			goto out;
		}
		if (conf_tenant_find(conf, o.name) != NULL) {
			warnx("%s: tenant '%s' already exists", confpath,
			    o.name);
			goto out;
		}
		if ((database = strdup(conf->database)) == NULL) {
			warnx("out of memory");
			goto out;
		}
	} else {
		/* Next to a non-default configuration, else the default. */
		if (o.database != NULL)
			database = abs_path(o.database);
		else if (strcmp(confpath, CONF_PATH_DEFAULT) == 0)
			database = strdup(CONF_DATABASE_DEFAULT);
		else if (asprintf(&database, "%s/db", confdir) == -1)
			database = NULL;
		if (database == NULL) {
			warnx("out of memory");
			goto out;
		}
	}

	/* The tenant's directory and files: all new. */
	if (o.dir != NULL)
		dir = abs_path(o.dir);
	else if (strcmp(confpath, CONF_PATH_DEFAULT) == 0) {
		if (asprintf(&dir, "/etc/scepd/%s", o.name) == -1)
			dir = NULL;
	} else if (asprintf(&dir, "%s/%s", confdir, o.name) == -1)
		dir = NULL;
	if (dir == NULL) {
		warnx("out of memory");
		goto out;
	}
	if (!pki_paths(dir, tfile_names, !o.no_ra, paths))
		goto out;
	/* One-time challenges: their HMAC key (src/otp.c). */
	if (o.challenge == CONF_CHALLENGE_OTP) {
		if (asprintf(&chkey, "%s/challenge.key", dir) == -1) {
			chkey = NULL;
			warnx("out of memory");
			goto out;
		}
		if (exists(chkey)) {
			warnx("%s exists: refusing to overwrite a tenant's "
			    "files", chkey);
			goto out;
		}
	}

	/* The CA. */
	now = time(NULL);
	if (o.subject != NULL) {
		if ((subj = parse_dn(o.subject)) == NULL)
			goto out;
	} else {
		snprintf(cn, sizeof(cn), "%s SCEP CA", o.name);
		if (strlen(cn) > CN_MAX)
			snprintf(cn, sizeof(cn), "%s", o.name);
		if ((subj = X509_NAME_new()) == NULL ||
		    !X509_NAME_add_entry_by_NID(subj, NID_commonName,
		    MBSTRING_UTF8, (unsigned char *)cn, -1, -1, 0)) {
			warnx("out of memory");
			goto out;
		}
	}
	/* The RA: RSA-2048 under the CA, for SCEP messages. */
	if (!o.no_ra && (rasubj = ra_subject(subj, o.name)) == NULL)
		goto out;
	if (!pki_new(&pki, o.keytype, o.bits, subj, rasubj, now, o.days,
	    o.pathlen))
		goto out;

	/* Files: keys 0640, certificates 0644, group --group. */
	if (!make_dir(dir, gid != (gid_t)-1 ? 0750 : 0755, gid, &dir_made))
		goto out;
	if (!pki_write(&pki, paths, gid, done))
		goto out;
	if (chkey != NULL) {
		if (!otp_key_generate(chkey, gid, err, sizeof(err))) {
			warnx("%s", err);
			goto out;
		}
		chkey_made = 1;
	}

	/* The database, as its owner. */
	if (!prepare_store(database, conf != NULL ? conf->map_size : 0,
	    o.name, pki.racert, &user))
		goto out;

	/* The configuration: new global part if needed, then the tenant. */
	if (o.challenge == CONF_CHALLENGE_STATIC) {
		if (o.password != NULL)
			password = o.password;
		else if (!random_password(pwbuf)) {
			warnx("random generator failed");
			goto out;
		} else
			password = pwbuf;
	}
	if (!conf_exists) {
		if (!write_new_conf(confpath, database, gid))
			goto out;
		conf_made = 1;
	}
	n = create_kv(&o, paths, password, chkey, kv);
	if (!conf_write_tenant(confpath, o.name, kv, n, err, sizeof(err))) {
		warnx("%s", err);
		goto out;
	}
	conf_made = 0;

	/* What the operator needs now. */
	printf("Tenant: %s\n", o.name);
	printf("Configuration: %s\n", confpath);
	printf("Directory: %s\n", dir);
	printf("Database: %s\n", database);
	pki_print("", paths, &pki);
	if (password != NULL)
		printf("Challenge: %s\n", password);
	else if (chkey != NULL)
		printf("Challenge mode: otp (key %s; make passwords with "
		    "scepadm challenge create %s)\n", chkey, o.name);
	else
		printf("Challenge mode: none\n");
	printf("Approval: %s\n",
	    o.approval == CONF_APPROVAL_MANUAL ? "manual" : "auto");
	if (password != NULL && o.password == NULL)
		printf("Note: the challenge password is shown only this once; "
		    "it is kept in %s.\n", confpath);
	if (o.keytype != CA_KEY_RSA && pki.racert != NULL) {
		hex_lower(pki.rafp, sizeof(pki.rafp), hex);
		printf("Note: micromdm scepclient 2.1.0 fails on an EC CA "
		    "certificate in GetCACert; run it with\n"
		    "      -ca-fingerprint %s\n", hex);
	}
	if (o.no_ra)
		printf("Note: a tenant without an RA cannot serve certmonger, "
		    "which cannot verify replies signed by a lone CA.\n");
	if (password != NULL && exists(confpath)) {
		struct stat	 st;

		if (stat(confpath, &st) == 0 && (st.st_mode & S_IROTH))
			warnx("warning: %s is readable by everyone and holds "
			    "the challenge password: chmod o-r it", confpath);
	}
	rc = EXIT_OK;
out:
	if (rc != EXIT_OK) {
		/* Remove what this run made. */
		if (conf_made)
			(void)unlink(confpath);
		for (i = 0; i < TF__MAX; i++)
			if (done[i])
				(void)unlink(paths[i]);
		if (chkey_made)
			(void)unlink(chkey);
		if (dir_made)
			(void)rmdir(dir);
	}
	OPENSSL_cleanse(pwbuf, sizeof(pwbuf));
	conf_free(conf);
	pki_free(&pki);
	X509_NAME_free(subj);
	X509_NAME_free(rasubj);
	free(confpath);
	free(confdir);
	free(dir);
	free(chkey);
	free(database);
	for (i = 0; i < TF__MAX; i++)
		free(paths[i]);
	ERR_clear_error();
	return rc;
}

/* The names of the settings scepadm prints. */
static const char *const challenge_names[CONF_CHALLENGE__MAX] = {
	"none", "static", "otp"
};
static const char *const approval_names[CONF_APPROVAL__MAX] = {
	"auto", "manual", "webhook"
};

/*
 * tenant list, show, check
 */

/* A tenant's certificates as read from its files. */
struct tcerts {
	X509		*ca;
	X509		*ra;		/* NULL: single-CA tenant */
	STACK_OF(X509)	*chain;		/* NULL: none */
};

static void
tcerts_free(struct tcerts *tc)
{
	X509_free(tc->ca);
	X509_free(tc->ra);
	sk_X509_pop_free(tc->chain, X509_free);
	memset(tc, 0, sizeof(*tc));
}

/*
 * Whether t's rollover has switched at now: the workers serve its next
 * CA and RA (src/tenant.c) until ca rollover --finish renames them.
 */
static int
rollover_switched_at(const struct conf_tenant *t, time_t now)
{
	return t->next_ca_key != NULL && t->rollover_at <= now;
}

static int
rollover_switched(const struct conf_tenant *t)
{
	return rollover_switched_at(t, time(NULL));
}

/* Read the certificate files of tenant t; 1, or 0 after a message. */
static int
tcerts_read(const struct conf_tenant *t, struct tcerts *tc)
{
	const char	*ca = t->ca_cert, *ra = t->ra_cert;

	/* After a rollover's switch the next pair serves (tenant.c). */
	if (rollover_switched(t)) {
		ca = t->next_ca_cert;
		ra = t->next_ra_cert;
	}
	memset(tc, 0, sizeof(*tc));
	if ((tc->ca = read_cert(ca)) == NULL ||
	    (ra != NULL && (tc->ra = read_cert(ra)) == NULL) ||
	    (t->chain != NULL && (tc->chain = read_certs(t->chain)) == NULL)) {
		tcerts_free(tc);
		return 0;
	}
	return 1;
}

/* Load the configuration and find tenant name; NULL after a message. */
static const struct conf_tenant *
conf_and_tenant(const struct adm *a, const char *name, struct conf **conf)
{
	const struct conf_tenant	*t;

	if ((*conf = load_conf(a)) == NULL)
		return NULL;
	if ((t = conf_tenant_find(*conf, name)) == NULL)
		warnx("no tenant '%s' in %s", name, (*conf)->path);
	return t;
}

/* The settings of t without secrets, and facts of tc, into o; 1 or 0. */
static int
tenant_facts(const struct conf_tenant *t, const struct tcerts *tc, json_t *o)
{
	if (!jset_str(o, "tenant", t->name) ||
	    !jset_str(o, "challenge", challenge_names[t->challenge]) ||
	    !jset_str(o, "approval", approval_names[t->approval]) ||
	    json_object_set_new(o, "open_enrolment",
	    json_boolean(t->open_enrolment)) != 0 ||
	    json_object_set_new(o, "validity_days",
	    json_integer(t->validity / 86400)) != 0 ||
	    json_object_set_new(o, "crl_days",
	    json_integer(t->crl_days / 86400)) != 0 ||
	    json_object_set_new(o, "crl_margin_hours",
	    json_integer(t->crl_margin / 3600)) != 0 ||
	    !jset_str(o, "crl_base_url", t->crl_base_url) ||
	    !jset_str(o, "webhook_url", t->webhook_url) ||
	    !jset_str(o, "ca_cert_file", t->ca_cert) ||
	    !jset_str(o, "ra_cert_file", t->ra_cert) ||
	    !jset_str(o, "chain_file", t->chain) ||
	    !jset_str(o, "previous_ca_cert_file", t->previous_ca_cert))
		return 0;
	/*
	 * A rollover: when it switches, and whether the ca_ and ra_ facts
	 * below are already those of the next pair.
	 */
	if (t->next_ca_cert != NULL && t->next_ca_key != NULL &&
	    (!jset_str(o, "next_ca_cert_file", t->next_ca_cert) ||
	    !jset_time(o, "rollover_at", t->rollover_at) ||
	    !jset_str(o, "rollover", rollover_switched(t) ?
	    "switched (run scepadm ca rollover --finish)" : "pending")))
		return 0;
	if (tc == NULL)
		return 1;
	if (!cert_facts(tc->ca, "ca_", o) ||
	    (tc->ra != NULL && !cert_facts(tc->ra, "ra_", o)))
		return 0;
	return 1;
}

/* scepadm tenant list [--json]. */
int
cmd_tenant_list(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const char *const keys[] = { "tenant", "challenge",
	    "approval", "ca_not_after", "ca_subject" };
	static const char *const head[] = { "TENANT", "CHALLENGE",
	    "APPROVAL", "CA_NOT_AFTER", "CA_SUBJECT" };
	struct conf	*conf = NULL;
	struct tcerts	 tc;
	json_t		*arr = NULL, *o;
	size_t		 i;
	int		 json = 0, rc;
	const struct opt opts[] = {
		{ .name = "json", .shortc = 'j', .flag = &json },
	};

	memset(&tc, 0, sizeof(tc));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    NULL)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if ((conf = load_conf(a)) == NULL || (arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < conf->ntenants; i++) {
		/* A tenant whose files do not read is listed without them. */
		if (!tcerts_read(conf->tenants[i], &tc))
			memset(&tc, 0, sizeof(tc));
		if ((o = row_new(arr)) == NULL ||
		    !tenant_facts(conf->tenants[i], tc.ca != NULL ? &tc : NULL,
		    o))
			goto oom;
		tcerts_free(&tc);
	}
	if (!print_table(arr, keys, head, NELEM(keys), json) ||
	    fflush(stdout) != 0) {
		warn("stdout");
		goto out;
	}
	rc = EXIT_OK;
	goto out;
oom:
	warnx("out of memory");
out:
	tcerts_free(&tc);
	json_decref(arr);
	conf_free(conf);
	return rc;
}

/* scepadm tenant show NAME [--json]. */
int
cmd_tenant_show(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	const struct conf_tenant	*t;
	struct conf			*conf = NULL;
	struct tcerts			 tc;
	json_t				*o = NULL;
	const char			*name;
	int				 json = 0, rc;
	const struct opt opts[] = {
		{ .name = "json", .shortc = 'j', .flag = &json },
	};

	memset(&tc, 0, sizeof(tc));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    &name)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if ((t = conf_and_tenant(a, name, &conf)) == NULL ||
	    !tcerts_read(t, &tc))
		goto out;
	if ((o = json_object()) == NULL || !tenant_facts(t, &tc, o)) {
		warnx("out of memory");
		goto out;
	}
	if (tc.chain != NULL && json_object_set_new(o, "chain_certs",
	    json_integer(sk_X509_num(tc.chain))) != 0)
		goto out;
	if (!print_obj(o, json))
		goto out;
	rc = EXIT_OK;
out:
	json_decref(o);
	tcerts_free(&tc);
	conf_free(conf);
	return rc;
}

/* One problem found by tenant check: a line on stdout, counted. */
static void
problem(size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(size_t *n, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	(*n)++;
}

/* Lint the validity of certificate x called what; adds problems. */
static void
check_validity(X509 *x, const char *what, time_t now, size_t *n)
{
	time_t	 na;

	if (!asn1_time(X509_get0_notAfter(x), &na))
		problem(n, "%s: unreadable notAfter", what);
	else if (na <= now)
		problem(n, "%s: expired", what);
	else if (na - now < SOON_DEFAULT)
		problem(n, "%s: expires within 30 days (%lld days left)",
		    what, (long long)((na - now) / 86400));
}

/*
 * Lint a key file: a regular file, not accessible to others, not
 * writable by its group (INTEROP.md 6.4); adds problems.
 */
static void
check_keyfile(const char *path, size_t *n)
{
	struct stat	 st;

	if (path == NULL)
		return;
	if (stat(path, &st) == -1)
		problem(n, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		problem(n, "%s: not a regular file", path);
	else if (st.st_mode & (S_IRWXO | S_IWGRP | S_IXGRP))
		problem(n, "%s: mode %04o: a key must be 0640 or stricter",
		    path, (unsigned int)(st.st_mode & 07777));
}

/*
 * Lint the RA or single CA that signs and decrypts SCEP messages
 * (INTEROP.md 2.3, 2.4): RSA, with a keyUsage holding digitalSignature
 * and keyEncipherment.  Adds problems.
 */
static void
check_msg_cert(X509 *x, const char *what, size_t *n)
{
	uint32_t	 ku = X509_get_key_usage(x);

	if (!EVP_PKEY_is_a(X509_get0_pubkey(x), "RSA"))
		problem(n, "%s: not RSA; Apple and certmonger need an RSA "
		    "recipient", what);
	if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) == 0)
		problem(n, "%s: no keyUsage extension; Apple rejects it", what);
	else if ((ku & KU_RA) != KU_RA)
		problem(n, "%s: keyUsage lacks digitalSignature or "
		    "keyEncipherment; Apple rejects it", what);
}

/*
 * The lint of tenant t's certificates tc and keys (cakey, rakey may be
 * NULL when unreadable); adds problems.  Shared by tenant check and
 * tenant import.
 */
static void
check_pki(const struct tcerts *tc, EVP_PKEY *cakey, EVP_PKEY *rakey,
    time_t now, size_t *n)
{
	int	 i;

	if (X509_check_ca(tc->ca) == 0)
		problem(n, "CA certificate: not a CA (basicConstraints)");
	/* RFC 5280 section 4.2.1.3: a CA's keyUsage holds keyCertSign. */
	if ((X509_get_extension_flags(tc->ca) & EXFLAG_KUSAGE) == 0 ||
	    (X509_get_key_usage(tc->ca) & KU_KEY_CERT_SIGN) == 0)
		problem(n, "CA certificate: no keyUsage with keyCertSign");
	if (cakey != NULL && X509_check_private_key(tc->ca, cakey) != 1)
		problem(n, "CA key does not match the CA certificate");
	check_validity(tc->ca, "CA certificate", now, n);
	if (tc->ra == NULL) {
		check_msg_cert(tc->ca, "CA certificate (no RA)", n);
		problem(n, "no RA: certmonger cannot use this tenant (it "
		    "cannot verify replies signed by a lone CA)");
		if (tc->chain != NULL)
			problem(n, "a chain needs an RA (GetCACert is then "
			    "a ca-ra-cert bundle)");
	} else {
		check_msg_cert(tc->ra, "RA certificate", n);
		if (X509_check_issued(tc->ca, tc->ra) != X509_V_OK)
			problem(n, "RA certificate: not issued by the CA");
		if (rakey != NULL && X509_check_private_key(tc->ra, rakey) != 1)
			problem(n, "RA key does not match the RA certificate");
		check_validity(tc->ra, "RA certificate", now, n);
	}
	/* The chain must lead from the CA upwards. */
	for (i = 0; tc->chain != NULL && i < sk_X509_num(tc->chain); i++)
		if (X509_check_issued(sk_X509_value(tc->chain, i),
		    i == 0 ? tc->ca : sk_X509_value(tc->chain, i - 1)) !=
		    X509_V_OK)
			problem(n, "chain certificate %d does not issue the "
			    "one before it", i + 1);
	ERR_clear_error();
}

/*
 * scepadm tenant check NAME: one line per problem real clients would
 * trip on; exit 0 when clean, 1 otherwise.
 */
int
cmd_tenant_check(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	const struct conf_tenant	*t;
	struct conf			*conf = NULL;
	struct tcerts			 tc;
	EVP_PKEY			*cakey = NULL, *rakey = NULL;
	const char			*name;
	struct stat			 st;
	size_t				 n = 0;
	int				 rc;

	memset(&tc, 0, sizeof(tc));
	if ((rc = parse_opts(c, argc, argv, NULL, 0, NULL, &name)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if ((t = conf_and_tenant(a, name, &conf)) == NULL ||
	    !tcerts_read(t, &tc))
		goto out;
	if ((cakey = read_key(t->ca_key)) == NULL)
		problem(&n, "%s: unreadable CA key", t->ca_key);
	if (t->ra_key != NULL && (rakey = read_key(t->ra_key)) == NULL)
		problem(&n, "%s: unreadable RA key", t->ra_key);
	check_pki(&tc, cakey, rakey, time(NULL), &n);
	check_keyfile(t->ca_key, &n);
	check_keyfile(t->ra_key, &n);
	if ((t->challenge_password != NULL || t->webhook_secret != NULL) &&
	    stat(conf->path, &st) == 0 && (st.st_mode & S_IROTH))
		problem(&n, "%s: readable by everyone, and it holds a secret",
		    conf->path);
	if (t->challenge == CONF_CHALLENGE_NONE &&
	    t->approval == CONF_APPROVAL_AUTO)
		problem(&n, "open CA: challenge none with approval auto lets "
		    "anyone enrol%s", t->open_enrolment ? " (open_enrolment "
		    "says this is meant)" : "");
	if (n == 0)
		rc = EXIT_OK;
out:
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(rakey);
	tcerts_free(&tc);
	conf_free(conf);
	ERR_clear_error();
	return rc;
}

/*
 * scepadm tenant import NAME --ca-cert F --ca-key F --ra-cert F
 * --ra-key F [--chain F]: an existing CA (an intermediate, say), its
 * files copied into the tenant's directory with the modes of tenant
 * create, its section appended to scepd.conf.
 */
int
cmd_tenant_import(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct conf	*conf = NULL;
	struct tcerts	 tc;
	struct pki	 pk;
	struct ident	 none;
	struct group	*gr;
	struct conf_kv	 kv[12];
	EVP_PKEY	*cakey = NULL, *rakey = NULL;
	BIO		*b = NULL;
	const char	*name, *f[5] = { NULL }, *dir = NULL, *group = NULL;
	const char	*approval = "auto", *password = NULL, *data;
	char		*tdir = NULL, *paths[TF__MAX + 1] = { NULL };
	char		 pwbuf[CHALLENGE_LEN + 1], err[1024];
	gid_t		 gid = (gid_t)-1;
	size_t		 i, n = 0, nkv = 0;
	long		 len;
	int		 rc, made[TF__MAX + 1] = { 0 }, dir_made = 0;
	const struct opt opts[] = {
		{ .name = "approval", .val = &approval },
		{ .name = "ca-cert", .val = &f[TF_CA_CRT] },
		{ .name = "ca-key", .val = &f[TF_CA_KEY] },
		{ .name = "chain", .val = &f[TF__MAX] },
		{ .name = "dir", .val = &dir },
		{ .name = "group", .val = &group },
		{ .name = "password", .val = &password },
		{ .name = "ra-cert", .val = &f[TF_RA_CRT] },
		{ .name = "ra-key", .val = &f[TF_RA_KEY] },
	};

	memset(&tc, 0, sizeof(tc));
	memset(&none, 0, sizeof(none));
	memset(pwbuf, 0, sizeof(pwbuf));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    &name)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	for (i = 0; i < TF__MAX; i++)
		if (f[i] == NULL)
			return usage_err(c, "--ca-cert, --ca-key, --ra-cert "
			    "and --ra-key are required");
	if (strcmp(approval, "auto") != 0 && strcmp(approval, "manual") != 0)
		return usage_err(c, "--approval: auto or manual");
	if (password != NULL && (strlen(password) < CHALLENGE_MIN ||
	    strlen(password) > CHALLENGE_MAX))
		return usage_err(c, "--password: %d to %d characters",
		    CHALLENGE_MIN, CHALLENGE_MAX);
	rc = EXIT_FAIL;

	if (!conf_tenant_name_ok(name)) {
		warnx("bad tenant name '%s'", name);
		goto out;
	}
	if ((conf = load_conf(a)) == NULL)
		goto out;
	if (conf_tenant_find(conf, name) != NULL) {
		warnx("%s: tenant '%s' already exists", conf->path, name);
		goto out;
	}
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			warnx("--group: no group '%s'", group);
			goto out;
		}
		gid = gr->gr_gid;
	}

	/* Validate everything before writing anything. */
	if ((tc.ca = read_cert(f[TF_CA_CRT])) == NULL ||
	    (tc.ra = read_cert(f[TF_RA_CRT])) == NULL ||
	    (f[TF__MAX] != NULL && (tc.chain = read_certs(f[TF__MAX])) ==
	    NULL) || (cakey = read_key(f[TF_CA_KEY])) == NULL ||
	    (rakey = read_key(f[TF_RA_KEY])) == NULL)
		goto out;
	check_pki(&tc, cakey, rakey, time(NULL), &n);
	if (n > 0) {
		warnx("refusing to import: %zu problem%s above", n,
		    n == 1 ? "" : "s");
		goto out;
	}

	/* The files, as tenant create writes them. */
	if (dir != NULL)
		tdir = abs_path(dir);
	else {
		char	*cd = dir_of(conf->path);

		if (cd == NULL || asprintf(&tdir, "%s/%s", strcmp(conf->path,
		    CONF_PATH_DEFAULT) == 0 ? "/etc/scepd" : cd, name) == -1)
			tdir = NULL;
		free(cd);
	}
	if (tdir == NULL)
		goto oom;
	for (i = 0; i <= TF__MAX; i++) {
		if (asprintf(&paths[i], "%s/%s", tdir, i == TF__MAX ?
		    "chain.crt" : tfile_names[i]) == -1) {
			paths[i] = NULL;
			goto oom;
		}
		if (exists(paths[i])) {
			warnx("%s exists: refusing to overwrite a tenant's "
			    "files", paths[i]);
			goto out;
		}
	}
	if (!make_dir(tdir, gid != (gid_t)-1 ? 0750 : 0755, gid, &dir_made))
		goto out;
	/* Borrowed into a struct pki for the writer tenant create uses. */
	memset(&pk, 0, sizeof(pk));
	pk.cakey = cakey;
	pk.cacert = tc.ca;
	pk.rakey = rakey;
	pk.racert = tc.ra;
	if (!pki_write(&pk, paths, gid, made))
		goto out;
	if (tc.chain != NULL) {
		if ((b = BIO_new(BIO_s_mem())) == NULL)
			goto oom;
		for (i = 0; i < (size_t)sk_X509_num(tc.chain); i++)
			if (!PEM_write_bio_X509(b, sk_X509_value(tc.chain,
			    (int)i)))
				goto oom;
		if ((len = BIO_get_mem_data(b, &data)) <= 0 ||
		    !(made[TF__MAX] = write_new_file(paths[TF__MAX], data,
		    (size_t)len, 0644, gid)))
			goto out;
	}
	if (!prepare_store(conf->database, conf->map_size, name, tc.ra, &none))
		goto out;

	/* The section: a random static challenge unless one was given. */
	if (password == NULL) {
		if (!random_password(pwbuf)) {
			warnx("random generator failed");
			goto out;
		}
		password = pwbuf;
	}
	kv[nkv++] = (struct conf_kv){ "ca_cert", paths[TF_CA_CRT] };
	kv[nkv++] = (struct conf_kv){ "ca_key", paths[TF_CA_KEY] };
	kv[nkv++] = (struct conf_kv){ "ra_cert", paths[TF_RA_CRT] };
	kv[nkv++] = (struct conf_kv){ "ra_key", paths[TF_RA_KEY] };
	if (tc.chain != NULL)
		kv[nkv++] = (struct conf_kv){ "chain", paths[TF__MAX] };
	kv[nkv++] = (struct conf_kv){ "challenge", "static" };
	kv[nkv++] = (struct conf_kv){ "challenge_password", password };
	kv[nkv++] = (struct conf_kv){ "approval", approval };
	if (!conf_write_tenant(conf->path, name, kv, nkv, err, sizeof(err))) {
		warnx("%s", err);
		goto out;
	}
	printf("Tenant: %s\nDirectory: %s\n", name, tdir);
	if (password == pwbuf)
		printf("Challenge: %s\n", password);
	rc = EXIT_OK;
	goto out;
oom:
	warnx("out of memory");
out:
	if (rc != EXIT_OK) {
		for (i = 0; i <= TF__MAX; i++)
			if (made[i])
				(void)unlink(paths[i]);
		if (dir_made)
			(void)rmdir(tdir);
	}
	OPENSSL_cleanse(pwbuf, sizeof(pwbuf));
	BIO_free(b);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(rakey);
	tcerts_free(&tc);
	for (i = 0; i <= TF__MAX; i++)
		free(paths[i]);
	free(tdir);
	conf_free(conf);
	ERR_clear_error();
	return rc;
}

/*
 * CA rollover (scepd.conf(5), ROLLOVER; INTEROP.md 6.4).  The next CA and
 * RA are files next to the current ones; the tenant's section names them
 * with rollover_at, the moment workers make them current (tenant.c).
 */
#define ROLLOVER_IN_DEFAULT	(30 * 86400)
static const char *const next_names[TF__MAX] = {
	"ca-next.key", "ca-next.crt", "ra-next.key", "ra-next.crt"
};

/*
 * The key type and size of the CA key in ca, for a successor of the
 * same kind.  Returns 1, or 0 after a message.
 */
static int
ca_keykind(X509 *ca, enum ca_keytype *kt, int *bits)
{
	EVP_PKEY	*pk;
	char		 grp[64];
	size_t		 len;

	if ((pk = X509_get0_pubkey(ca)) != NULL && EVP_PKEY_is_a(pk, "RSA")) {
		*kt = CA_KEY_RSA;
		*bits = EVP_PKEY_get_bits(pk);
		return 1;
	}
	if (pk != NULL && EVP_PKEY_is_a(pk, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pk, "group", grp, sizeof(grp),
	    &len)) {
		*bits = 0;
		if (strcmp(grp, "prime256v1") == 0) {
			*kt = CA_KEY_P256;
			return 1;
		}
		if (strcmp(grp, "secp384r1") == 0) {
			*kt = CA_KEY_P384;
			return 1;
		}
	}
	ERR_clear_error();
	warnx("the CA key is neither RSA nor EC P-256/P-384");
	return 0;
}

/* conf_update_tenant() of the configuration; 1, or 0 after a message. */
static int
update_section(const struct adm *a, const char *name,
    const struct conf_kv *kv, size_t n)
{
	char	 err[1024];

	if (conf_update_tenant(a->conf_path, name, kv, n, err, sizeof(err)))
		return 1;
	warnx("%s", err);
	return 0;
}

/*
 * Whether tenant t may start a rollover now: none pending or switched
 * and not finished, no previous CA kept, a self-signed CA (ca).
 * Returns 1, or 0 after a message.
 */
static int
rollover_allowed(const struct conf_tenant *t, X509 *ca, time_t now)
{
	char	 when[32], issuer[512];

	if (rollover_switched_at(t, now)) {
		iso_time(t->rollover_at, when, sizeof(when));
		warnx("tenant %s switched to its next CA at %s: run scepadm "
		    "ca rollover %s --finish first", t->name, when, t->name);
		return 0;
	}
	if (t->next_ca_key != NULL) {
		iso_time(t->rollover_at, when, sizeof(when));
		warnx("tenant %s: a rollover is already pending (switch at "
		    "%s, %s)", t->name, when, t->next_ca_cert);
		return 0;
	}
	if (t->next_ca_cert != NULL) {
		warnx("tenant %s: a rollover is already pending (next_ca_cert "
		    "%s)", t->name, t->next_ca_cert);
		return 0;
	}
	if (t->previous_ca_cert != NULL) {
		warnx("tenant %s still keeps its previous CA (%s): remove "
		    "previous_ca_cert and previous_ca_key (and "
		    "previous_ra_cert and previous_ra_key) from its section "
		    "once that CA's certificates have expired", t->name,
		    t->previous_ca_cert);
		return 0;
	}
	if (X509_self_signed(ca, 1) != 1) {
		ERR_clear_error();
		name_text(X509_get_issuer_name(ca), issuer, sizeof(issuer));
		warnx("the CA of tenant %s is not self-signed (issued by %s): "
		    "scepadm cannot make its successor; have its issuer "
		    "certify a new CA (and RA), then import them by setting "
		    "next_ca_cert, next_ca_key, next_ra_cert, next_ra_key and "
		    "rollover_at in its section (scepd.conf(5))", t->name,
		    issuer);
		return 0;
	}
	return 1;
}

/*
 * scepadm ca rollover NAME --finish: after the switch, name the new CA
 * and RA as the current ones and keep the old CA as previous_ca_* and
 * the old RA as previous_ra_*.  The workers, already switched, reload
 * into the same state.
 */
static int
rollover_finish(const struct adm *a, const struct conf_tenant *t, time_t now)
{
	struct conf_kv	 kv[13];
	char		 when[32];
	size_t		 n = 0;

	if (t->next_ca_key == NULL) {
		warnx("tenant %s has no rollover to finish", t->name);
		return EXIT_FAIL;
	}
	iso_time(t->rollover_at, when, sizeof(when));
	if (now < t->rollover_at) {
		warnx("tenant %s switches at %s: finish after that", t->name,
		    when);
		return EXIT_FAIL;
	}
	kv[n++] = (struct conf_kv){ "ca_cert", t->next_ca_cert };
	kv[n++] = (struct conf_kv){ "ca_key", t->next_ca_key };
	if (t->ra_cert != NULL) {
		kv[n++] = (struct conf_kv){ "ra_cert", t->next_ra_cert };
		kv[n++] = (struct conf_kv){ "ra_key", t->next_ra_key };
	}
	kv[n++] = (struct conf_kv){ "previous_ca_cert", t->ca_cert };
	kv[n++] = (struct conf_kv){ "previous_ca_key", t->ca_key };
	/* The old RA still opens what clients that kept it send. */
	if (t->ra_cert != NULL) {
		kv[n++] = (struct conf_kv){ "previous_ra_cert", t->ra_cert };
		kv[n++] = (struct conf_kv){ "previous_ra_key", t->ra_key };
	}
	kv[n++] = (struct conf_kv){ "next_ca_cert", NULL };
	kv[n++] = (struct conf_kv){ "next_ca_key", NULL };
	kv[n++] = (struct conf_kv){ "next_ra_cert", NULL };
	kv[n++] = (struct conf_kv){ "next_ra_key", NULL };
	kv[n++] = (struct conf_kv){ "rollover_at", NULL };
	if (!update_section(a, t->name, kv, n))
		return EXIT_FAIL;
	printf("Tenant: %s\n", t->name);
	printf("Rollover of %s finished\n", when);
	printf("CA certificate: %s\n", t->next_ca_cert);
	printf("Previous CA certificate: %s (renewals, GetCert and its CRL "
	    "until its certificates expire)\n", t->ca_cert);
	if (t->ra_cert != NULL)
		printf("Previous RA certificate: %s (messages of clients that "
		    "still use it)\n", t->ra_cert);
	return EXIT_OK;
}

/*
 * scepadm ca rollover NAME [--at TIME | --in DUR] [--days N] [--finish]:
 * a new CA key of the current kind with a self-signed certificate of the
 * same subject, a new RSA RA of the RA's subject under it, their files
 * next to the current ones (same group, keys 0640), the RA recorded in
 * the database, and next_* and rollover_at in the tenant's section by
 * atomic rename.  Nothing is left behind on failure but that record.
 */
int
cmd_ca_rollover(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	const char			*name = NULL, *at = NULL, *in = NULL;
	const char			*days_s = NULL;
	int				 finish = 0;
	const struct opt		 o[] = {
		{ .name = "at", .val = &at },
		{ .name = "days", .val = &days_s },
		{ .name = "finish", .flag = &finish },
		{ .name = "in", .val = &in },
	};
	const struct conf_tenant	*t;
	struct conf			*conf = NULL;
	struct ident			 nobody;
	struct stat			 st;
	struct pki			 pki;
	struct conf_kv			 kv[5];
	X509				*ca = NULL, *ra = NULL;
	char				*dir = NULL, *paths[TF__MAX] = { NULL };
	char				 when[32];
	enum ca_keytype			 kt;
	long long			 days = CA_DAYS_DEFAULT;
	time_t				 now = time(NULL), sw, d;
	size_t				 i, n = 0;
	int				 rc, bits, done[TF__MAX] = { 0 };

	memset(&pki, 0, sizeof(pki));
	memset(&nobody, 0, sizeof(nobody));
	if ((rc = parse_opts(c, argc, argv, o, NELEM(o), NULL, &name)) !=
	    EXIT_OK)
		return rc == -1 ? help(c) : rc;
	if (finish && (at != NULL || in != NULL || days_s != NULL))
		return usage_err(c, "--finish takes no other option");
	if (at != NULL && in != NULL)
		return usage_err(c, "--at or --in, not both");
	sw = now + ROLLOVER_IN_DEFAULT;
	if (at != NULL && !conf_parse_time(at, &sw))
		return usage_err(c, "--at: a UTC time, YYYY-MM-DDTHH:MM:SSZ");
	if (in != NULL) {
		if (!parse_dur(in, &d) || d < 1)
			return usage_err(c, "--in: a duration such as 30d, "
			    "12h or 90s");
		sw = now + d;
	}
	if (days_s != NULL && !parse_num(days_s, 1, CA_DAYS_MAX, &days))
		return usage_err(c, "--days: 1 to %d", CA_DAYS_MAX);
	if (!finish && sw <= now)
		return usage_err(c, "--at: the switch must be in the future");

	rc = EXIT_FAIL;
	if ((t = conf_and_tenant(a, name, &conf)) == NULL)
		goto out;
	if (finish) {
		rc = rollover_finish(a, t, now);
		goto out;
	}
	if ((ca = read_cert(t->ca_cert)) == NULL ||
	    !rollover_allowed(t, ca, now) || !ca_keykind(ca, &kt, &bits))
		goto out;
	if (t->ra_cert != NULL && (ra = read_cert(t->ra_cert)) == NULL)
		goto out;
	/* Next to the current CA, with its key's group (INTEROP.md 6.4). */
	if (stat(t->ca_key, &st) == -1) {
		warn("%s", t->ca_key);
		goto out;
	}
	if ((dir = dir_of(t->ca_cert)) == NULL) {
		warnx("out of memory");
		goto out;
	}
	if (!pki_paths(dir, next_names, t->ra_cert != NULL, paths))
		goto out;
	if (!pki_new(&pki, kt, bits, X509_get_subject_name(ca),
	    ra != NULL ? X509_get_subject_name(ra) : NULL, now, (int)days,
	    (int)X509_get_pathlen(ca)))
		goto out;
	if (!pki_write(&pki, paths, st.st_gid, done))
		goto out;
	/* No issued certificate may take the new RA's serial. */
	if (!prepare_store(conf->database, conf->map_size, t->name,
	    pki.racert, &nobody))
		goto out;
	iso_time(sw, when, sizeof(when));
	kv[n++] = (struct conf_kv){ "next_ca_cert", paths[TF_CA_CRT] };
	kv[n++] = (struct conf_kv){ "next_ca_key", paths[TF_CA_KEY] };
	if (pki.racert != NULL) {
		kv[n++] = (struct conf_kv){ "next_ra_cert", paths[TF_RA_CRT] };
		kv[n++] = (struct conf_kv){ "next_ra_key", paths[TF_RA_KEY] };
	}
	kv[n++] = (struct conf_kv){ "rollover_at", when };
	if (!update_section(a, t->name, kv, n))
		goto out;

	printf("Tenant: %s\n", t->name);
	pki_print("Next ", paths, &pki);
	printf("Switch: %s\n", when);
	printf("Note: GetNextCACert offers the next CA until then; after it, "
	    "run scepadm ca rollover %s --finish.\n", t->name);
	rc = EXIT_OK;
out:
	if (rc != EXIT_OK)
		for (i = 0; i < TF__MAX; i++)
			if (done[i])
				(void)unlink(paths[i]);
	pki_free(&pki);
	X509_free(ca);
	X509_free(ra);
	conf_free(conf);
	free(dir);
	for (i = 0; i < TF__MAX; i++)
		free(paths[i]);
	return rc;
}
