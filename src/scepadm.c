/*
 * scepadm.c: the operator's command line (scepadm(8)).
 *
 * Commands come in groups ("tenant create", "request approve", "crl"),
 * dispatched from one table; every command parses its own options with
 * getopt_long(3) and has --help.  Exit status: 0 success, 1 failure
 * (with a "scepadm: ..." message), 2 usage error.
 *
 * scepadm works on the same configuration and LMDB environment as the
 * running workers.  Every store call is one short transaction and none
 * is held while anything else happens (STYLE.md B8).  Files follow
 * INTEROP.md 6.4: configuration and keys owned by root (or the admin),
 * readable by the worker's group, keys 0640 and never world-readable;
 * the LMDB environment owned by the worker's user.  Run as root,
 * scepadm opens the database with the effective user and group of the
 * database directory's owner, so that every file LMDB creates stays
 * the worker's, and is root for everything else.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <jansson.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/store.h"
#include "src/ca.h"
#include "src/server.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit statuses (scepadm(8), EXIT STATUS). */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* tenant create defaults (issue 3: CA:TRUE pathlen 0, 20 years). */
#define CA_DAYS_DEFAULT		7300
#define CA_DAYS_MAX		36500
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
/* ub-common-name (RFC 5280 appendix A). */
#define CN_MAX			64
/* messageType RenewalReq as stored (RFC 8894 section 3.2.1.2). */
#define MSGTYPE_RENEWALREQ	17
/* Hex digits of the key hash in a request ID, at least. */
#define REQID_KEYHEX_MIN	16

/* What every command gets: the configuration path. */
struct adm {
	const char	*conf_path;
};

/* One command of the table. */
struct cmd {
	const char	*group;		/* "tenant", "request", "cert", "crl" */
	const char	*name;		/* "create", ..., or NULL (crl) */
	int		(*fn)(const struct adm *, const struct cmd *, int,
			    char *[]);
	const char	*synopsis;	/* arguments after the command words */
	const char	*summary;	/* one line for the command list */
	const char	*help;		/* the options, for --help */
};

/* A user and group to become (the database owner). */
struct ident {
	int		 set;		/* 0: stay who we are */
	uid_t		 uid;
	gid_t		 gid;
};

/*
 * Helpers: messages, numbers, hex.
 */

/* The command's words for messages: "tenant create" or "crl". */
static void
cmd_words(const struct cmd *c, char *buf, size_t bufsz)
{
	if (c->name != NULL)
		snprintf(buf, bufsz, "%s %s", c->group, c->name);
	else
		snprintf(buf, bufsz, "%s", c->group);
}

/* A usage error: the synopsis on stderr; returns EXIT_USAGE. */
static int
usage_err(const struct cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
usage_err(const struct cmd *c, const char *fmt, ...)
{
	va_list	 ap;
	char	 w[64];

	cmd_words(c, w, sizeof(w));
	if (fmt != NULL) {
		fprintf(stderr, "scepadm: %s: ", w);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: scepadm %s %s\n"
	    "Run 'scepadm %s --help' for the options.\n", w, c->synopsis, w);
	return EXIT_USAGE;
}

/* --help: synopsis, summary and options on stdout; returns EXIT_OK. */
static int
help(const struct cmd *c)
{
	char	 w[64];

	cmd_words(c, w, sizeof(w));
	printf("usage: scepadm [-f file] %s %s\n\n%s.\n", w, c->synopsis,
	    c->summary);
	if (c->help != NULL && *c->help != '\0')
		printf("\n%s", c->help);
	return EXIT_OK;
}

/*
 * Read a decimal integer in [min, max] from s (the whole string).
 * Returns 1 with *out set, or 0.
 */
static int
parse_num(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (*s == '\0' || *s == ' ' || *s == '+')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return 0;
	*out = v;
	return 1;
}

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). */
static void
hex_lower(const uint8_t *p, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

/*
 * A serial number as printed everywhere by scepadm: upper-case hex of
 * its big-endian magnitude, two digits a byte, as openssl x509 -serial
 * prints it.  out holds 2 * STORE_SERIAL_MAX + 1 bytes.
 */
static void
serial_hex(const uint8_t *p, size_t len, char *out)
{
	static const char	 digits[] = "0123456789ABCDEF";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

/* The value of one hex digit, or -1. */
static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode exactly n hex digits at s into out (n even, n / 2 bytes).
 * Returns 1, or 0 on a non-hex character.
 */
static int
hex_decode(const char *s, size_t n, uint8_t *out)
{
	size_t	 i;
	int	 hi, lo;

	for (i = 0; i + 1 < n; i += 2) {
		if ((hi = hexval((unsigned char)s[i])) < 0 ||
		    (lo = hexval((unsigned char)s[i + 1])) < 0)
			return 0;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return n % 2 == 0;
}

/*
 * Parse a serial number typed by the operator: hex, optionally with a
 * leading "0x" and ':' between bytes (openssl x509 -serial and
 * -fingerprint styles).  Returns 1 with the big-endian magnitude in out
 * (STORE_SERIAL_MAX bytes) and its length in *len, or 0.
 */
static int
parse_serial(const char *s, uint8_t *out, size_t *len)
{
	char	 digits[2 * STORE_SERIAL_MAX + 2];
	size_t	 n = 0, off;

	if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0)
		s += 2;
	for (; *s != '\0'; s++) {
		if (*s == ':')
			continue;
		if (hexval((unsigned char)*s) < 0 || n == 2 * STORE_SERIAL_MAX)
			return 0;
		digits[1 + n++] = *s;
	}
	if (n == 0)
		return 0;
	/* An odd number of digits gets a leading zero. */
	digits[0] = '0';
	off = n % 2;
	if (!hex_decode(digits + 1 - off, n + off, out))
		return 0;
	*len = (n + off) / 2;
	return 1;
}

/* A time as ISO 8601 UTC ("2024-05-01T12:00:00Z"); buf >= 21 bytes. */
static void
iso_time(time_t t, char *buf, size_t bufsz)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, bufsz, "%lld", (long long)t);
}

/*
 * A Name as RFC 2253 text into buf: UTF-8, with RFC 2253 specials and
 * control characters escaped by OpenSSL (ASN1_STRFLGS_ESC_CTRL), so the
 * text is safe on a terminal and valid in JSON.  Returns 1, or 0 (buf
 * then holds "?").
 */
static int
name_text(const X509_NAME *n, char *buf, size_t bufsz)
{
	BIO	*b;
	char	*p;
	long	 len;
	int	 rc = 0;

	snprintf(buf, bufsz, "?");
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	if (X509_NAME_print_ex(b, n, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
		goto out;
	len = BIO_get_mem_data(b, &p);
	if (len < 0 || (size_t)len >= bufsz || memchr(p, '\0', (size_t)len) != NULL)
		goto out;
	memcpy(buf, p, (size_t)len);
	buf[len] = '\0';
	rc = 1;
out:
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

/* Whether path exists (or cannot be checked: errno other than ENOENT). */
static int
exists(const char *path)
{
	struct stat	 st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

/* Write all of len bytes to fd; 1 or 0 with errno set. */
static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		p += w;
		len -= (size_t)w;
	}
	return 1;
}

/*
 * Create the new file path with exactly mode (never more: it is created
 * with O_EXCL and that mode, so a key is never readable by others, not
 * even for a moment) and group gid ((gid_t)-1: unchanged), write len
 * bytes, fsync.  Refuses an existing file.  Returns 1, or 0 after a
 * message (the file is then removed).
 */
static int
write_new_file(const char *path, const void *buf, size_t len, mode_t mode,
    gid_t gid)
{
	int	 fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1) {
		warn("%s", path);
		return 0;
	}
	/* The umask may only have narrowed the mode; set it exactly. */
	if (fchmod(fd, mode) == -1 ||
	    (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) == -1) ||
	    !write_all(fd, buf, len) || fsync(fd) == -1) {
		warn("%s", path);
		goto out;
	}
	rc = 1;
out:
	if (close(fd) == -1 && rc) {
		warn("%s", path);
		rc = 0;
	}
	if (!rc)
		(void)unlink(path);
	return rc;
}

/*
 * Write the file at path through a temporary file in the same directory
 * and rename(2), so that a reader (a web server publishing the CRL)
 * never sees half of it.  Mode 0644.  Returns 1, or 0 after a message.
 */
static int
write_replace(const char *path, const void *buf, size_t len)
{
	char	*tmp = NULL;
	int	 fd = -1, rc = 0;

	if (asprintf(&tmp, "%s.XXXXXX", path) == -1) {
		tmp = NULL;
		warnx("out of memory");
		goto out;
	}
	if ((fd = mkstemp(tmp)) == -1) {
		warn("%s", tmp);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0644) == -1 || !write_all(fd, buf, len) ||
	    fsync(fd) == -1) {
		warn("%s", tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		warn("%s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		warn("rename %s", path);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = 1;
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		(void)unlink(tmp);
		free(tmp);
	}
	return rc;
}

/*
 * Privileges (INTEROP.md 6.4).
 */

/*
 * Who owns the database directory dbdir, when we are root and it is
 * not: the user to become before opening the store, so that LMDB's
 * files stay the worker's.  who->set is 0 when nothing is to be done.
 * Returns 1, or 0 after a message.
 */
static int
db_owner(const char *dbdir, struct ident *who)
{
	struct stat	 st;
	struct passwd	*pw;

	memset(who, 0, sizeof(*who));
	if (geteuid() != 0)
		return 1;
	if (stat(dbdir, &st) == -1) {
		if (errno == ENOENT)
			return 1;
		warn("%s", dbdir);
		return 0;
	}
	if (st.st_uid == 0)
		return 1;
	who->set = 1;
	who->uid = st.st_uid;
	who->gid = st.st_gid;
	if ((pw = getpwuid(st.st_uid)) != NULL)
		who->gid = pw->pw_gid;
	return 1;
}

/*
 * Switch the effective user and group to who, or back to root (who
 * NULL).  Only the files a store_open() creates need the owner's ids,
 * so scepadm stays root otherwise (to write a CRL file anywhere root
 * may).  Returns 1, or 0 after a message.
 */
static int
set_effective(const struct ident *who)
{
	if (who == NULL) {
		if (seteuid(0) == -1 || setegid(0) == -1) {
			warn("cannot return to root");
			return 0;
		}
		return 1;
	}
	if (setegid(who->gid) == -1 || seteuid(who->uid) == -1) {
		warn("cannot become uid %ld gid %ld", (long)who->uid,
		    (long)who->gid);
		(void)setegid(0);
		return 0;
	}
	return 1;
}

/*
 * store_open() as who (when who->set), so that LMDB's data and lock
 * files belong to the workers' user (INTEROP.md 6.4).  Returns the
 * store or NULL after a message.
 */
static struct store *
store_open_as(const struct ident *who, const char *dbdir, unsigned int flags,
    size_t mapsize)
{
	struct store	*st;
	char		 err[1024];

	if (who->set && !set_effective(who))
		return NULL;
	st = store_open(dbdir, flags, mapsize, err, sizeof(err));
	if (who->set && !set_effective(NULL)) {
		store_close(st);
		return NULL;
	}
	if (st == NULL)
		warnx("database %s: %s%s", dbdir, err, exists(dbdir) ? "" :
		    " (no database yet: scepadm tenant create makes it)");
	return st;
}

/*
 * Loading: configuration, server, store.
 */

/* Load the configuration; NULL after a message. */
static struct conf *
load_conf(const struct adm *a)
{
	struct conf	*c = NULL;
	char		 err[1024];

	if (!conf_load(a->conf_path, &c, err, sizeof(err))) {
		warnx("%s", err);
		return NULL;
	}
	return c;
}

/*
 * Open the store of configuration c (it must exist: tenant create
 * makes it), as its owner when run as root.  Returns the store or NULL
 * after a message.
 */
static struct store *
open_store(const struct conf *c)
{
	struct ident	 who;

	if (!db_owner(c->database, &who))
		return NULL;
	return store_open_as(&who, c->database, 0, c->map_size);
}

/*
 * Load the server (configuration, every tenant's keys) as we are, then
 * open the store as its owner.  Returns the server (server_free()) or
 * NULL after a message.
 */
static struct server *
load_server(const struct adm *a)
{
	struct server	*s;
	char		 err[1024];

	if ((s = server_new(a->conf_path, 0, err, sizeof(err))) == NULL) {
		warnx("%s", err);
		return NULL;
	}
	if ((s->store = open_store(s->conf)) == NULL) {
		server_free(s);
		return NULL;
	}
	return s;
}

/* A store failure as a message: "what: meaning (detail)". */
static void
store_warn(const struct store *st, enum store_rc rc, const char *what)
{
	const char	*d = store_errstr(st);

	if (d != NULL && *d != '\0')
		warnx("%s: %s (%s)", what, store_rc_str(rc), d);
	else
		warnx("%s: %s", what, store_rc_str(rc));
}

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
 * Parse a subject in the form of openssl req -subj: "/CN=x/O=y", with
 * '\' escaping the next character; the leading '/' may be left out.
 * Returns a new name (X509_NAME_free()) or NULL after a message.
 */
static X509_NAME *
parse_dn(const char *s)
{
	X509_NAME	*n = NULL, *rc = NULL;
	char		*buf = NULL, *field, *val, *w;
	const char	*p;

	if ((n = X509_NAME_new()) == NULL ||
	    (buf = malloc(strlen(s) + 1)) == NULL) {
		warnx("out of memory");
		goto out;
	}
	p = (*s == '/') ? s + 1 : s;
	while (*p != '\0') {
		/* One "field=value" up to the next unescaped '/'. */
		w = buf;
		while (*p != '\0' && *p != '/') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				warnx("subject: control character");
				goto out;
			}
			*w++ = *p++;
		}
		*w = '\0';
		if (*p == '/')
			p++;
		field = buf;
		if ((val = strchr(buf, '=')) == NULL || val == field ||
		    val[1] == '\0') {
			warnx("subject: expected /FIELD=value, got '%s'", buf);
			goto out;
		}
		*val++ = '\0';
		if (!X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8,
		    (const unsigned char *)val, -1, -1, 0)) {
			warnx("subject: bad field '%s' or value too long",
			    field);
			goto out;
		}
	}
	if (X509_NAME_entry_count(n) == 0) {
		warnx("subject: empty");
		goto out;
	}
	rc = n;
	n = NULL;
out:
	X509_NAME_free(n);
	free(buf);
	ERR_clear_error();
	return rc;
}

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

/* "RSA 2048", "EC P-256" for a key. */
static void
key_desc(EVP_PKEY *k, char *buf, size_t bufsz)
{
	char	 grp[64];
	size_t	 len;

	if (EVP_PKEY_is_a(k, "RSA"))
		snprintf(buf, bufsz, "RSA %d", EVP_PKEY_get_bits(k));
	else if (EVP_PKEY_get_utf8_string_param(k, "group", grp, sizeof(grp),
	    &len))
		snprintf(buf, bufsz, "EC %s", strcmp(grp, "prime256v1") == 0 ?
		    "P-256" : strcmp(grp, "secp384r1") == 0 ? "P-384" : grp);
	else
		snprintf(buf, bufsz, "EC");
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

/* The options of tenant create, parsed into o; an exit status. */
static int
create_parse(const struct cmd *c, int argc, char *argv[],
    struct create_opts *o)
{
	enum { O_BITS = 256, O_CHALLENGE, O_CURVE, O_DATABASE, O_DAYS, O_DIR,
	    O_GROUP, O_KEY, O_NORA, O_OPEN, O_PASSWORD, O_PATHLEN,
	    O_SUBJECT, O_USER, O_APPROVAL, O_DES };
	static const struct option lo[] = {
		{ "allow-des", no_argument, NULL, O_DES },
		{ "approval", required_argument, NULL, O_APPROVAL },
		{ "bits", required_argument, NULL, O_BITS },
		{ "challenge", required_argument, NULL, O_CHALLENGE },
		{ "curve", required_argument, NULL, O_CURVE },
		{ "database", required_argument, NULL, O_DATABASE },
		{ "days", required_argument, NULL, O_DAYS },
		{ "dir", required_argument, NULL, O_DIR },
		{ "group", required_argument, NULL, O_GROUP },
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, O_KEY },
		{ "no-ra", no_argument, NULL, O_NORA },
		{ "open-enrolment", no_argument, NULL, O_OPEN },
		{ "password", required_argument, NULL, O_PASSWORD },
		{ "pathlen", required_argument, NULL, O_PATHLEN },
		{ "subject", required_argument, NULL, O_SUBJECT },
		{ "user", required_argument, NULL, O_USER },
		{ NULL, 0, NULL, 0 }
	};
	long long	 v;
	int		 ch, ec = 0, bits_set = 0, curve_set = 0;
	size_t		 i, len;

	memset(o, 0, sizeof(*o));
	o->keytype = CA_KEY_RSA;
	o->bits = RSA_BITS_DEFAULT;
	o->days = CA_DAYS_DEFAULT;
	o->challenge = CONF_CHALLENGE_STATIC;
	o->approval = CONF_APPROVAL_AUTO;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return -1;
		case O_APPROVAL:
			if (strcmp(optarg, "auto") == 0)
				o->approval = CONF_APPROVAL_AUTO;
			else if (strcmp(optarg, "manual") == 0)
				o->approval = CONF_APPROVAL_MANUAL;
			else
				return usage_err(c, "--approval: auto or "
				    "manual");
			break;
		case O_BITS:
			if (!parse_num(optarg, RSA_BITS_MIN, RSA_BITS_MAX,
			    &v) || v % 8 != 0)
				return usage_err(c, "--bits: a multiple of 8 "
				    "from %d to %d", RSA_BITS_MIN,
				    RSA_BITS_MAX);
			o->bits = (int)v;
			bits_set = 1;
			break;
		case O_CHALLENGE:
			if (strcmp(optarg, "static") == 0)
				o->challenge = CONF_CHALLENGE_STATIC;
			else if (strcmp(optarg, "none") == 0)
				o->challenge = CONF_CHALLENGE_NONE;
			else if (strcmp(optarg, "otp") == 0)
				o->challenge = CONF_CHALLENGE_OTP;
			else
				return usage_err(c, "--challenge: static, otp "
				    "or none");
			break;
		case O_CURVE:
			if (strcmp(optarg, "P-256") == 0)
				o->keytype = CA_KEY_P256;
			else if (strcmp(optarg, "P-384") == 0)
				o->keytype = CA_KEY_P384;
			else
				return usage_err(c, "--curve: P-256 or P-384");
			curve_set = 1;
			break;
		case O_DATABASE:
			o->database = optarg;
			break;
		case O_DAYS:
			if (!parse_num(optarg, 1, CA_DAYS_MAX, &v))
				return usage_err(c, "--days: 1 to %d",
				    CA_DAYS_MAX);
			o->days = (int)v;
			break;
		case O_DES:
			o->allow_des = 1;
			break;
		case O_DIR:
			o->dir = optarg;
			break;
		case O_GROUP:
			o->group = optarg;
			break;
		case O_KEY:
			if (strcmp(optarg, "rsa") == 0)
				ec = 0;
			else if (strcmp(optarg, "ec") == 0)
				ec = 1;
			else
				return usage_err(c, "--key: rsa or ec");
			break;
		case O_NORA:
			o->no_ra = 1;
			break;
		case O_OPEN:
			o->open_enrolment = 1;
			break;
		case O_PASSWORD:
			o->password = optarg;
			break;
		case O_PATHLEN:
			if (!parse_num(optarg, 0, CA_PATHLEN_MAX, &v))
				return usage_err(c, "--pathlen: 0 to %d",
				    CA_PATHLEN_MAX);
			o->pathlen = (int)v;
			break;
		case O_SUBJECT:
			o->subject = optarg;
			break;
		case O_USER:
			o->user = optarg;
			break;
		case ':':
			return usage_err(c, "%s needs a value",
			    argv[optind - 1]);
		default:
			return usage_err(c, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_err(c, argc == optind ? "the tenant NAME is "
		    "missing" : "too many arguments");
	o->name = argv[optind];

	/* Combinations. */
	if (ec) {
		if (bits_set)
			return usage_err(c, "--bits is for RSA keys; use "
			    "--curve with --key ec");
		if (!curve_set)
			o->keytype = CA_KEY_P256;
		if (o->no_ra)
			return usage_err(c, "--no-ra needs an RSA CA: an EC "
			    "key cannot decrypt SCEP messages");
	} else if (curve_set)
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
static int
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

/*
 * Requests.  A request is named on the command line by
 * "TENANT:TXIDHEX:KEYHASHHEX": the tenant, the transactionID in hex
 * (it is any bytes), and at least the first 16 hex digits of the
 * SHA-256 of the requester's key (INTEROP.md 6.3 keys a transaction by
 * all three).  request list prints the first 16.
 */

/* A parsed request ID. */
struct reqid {
	char		 tenant[STORE_TENANT_MAX + 1];
	uint8_t		 txid[STORE_TXID_MAX];
	size_t		 txid_len;
	uint8_t		 keyhash[STORE_HASH_LEN];
	size_t		 keyhash_len;	/* the bytes given: a prefix */
};

/* The ID of request r into buf (at least REQID_MAX bytes). */
#define REQID_MAX	(STORE_TENANT_MAX + 2 * STORE_TXID_MAX + \
			    REQID_KEYHEX_MIN + 3)
static void
reqid_text(const struct store_reqkey *k, char *buf, size_t bufsz)
{
	char	 tx[2 * STORE_TXID_MAX + 1], kh[2 * STORE_HASH_LEN + 1];

	hex_lower(k->txid, k->txid_len, tx);
	hex_lower(k->keyhash, STORE_HASH_LEN, kh);
	snprintf(buf, bufsz, "%.*s:%s:%.*s", STORE_TENANT_MAX, k->tenant, tx,
	    REQID_KEYHEX_MIN, kh);
}

/* Parse a request ID; 1, or 0 when it is malformed. */
static int
reqid_parse(const char *s, struct reqid *id)
{
	const char	*c1, *c2;
	size_t		 tl, xl, kl;

	memset(id, 0, sizeof(*id));
	if ((c1 = strchr(s, ':')) == NULL || (c2 = strchr(c1 + 1, ':')) ==
	    NULL)
		return 0;
	tl = (size_t)(c1 - s);
	xl = (size_t)(c2 - c1 - 1);
	kl = strlen(c2 + 1);
	if (tl == 0 || tl > STORE_TENANT_MAX || xl == 0 || xl % 2 != 0 ||
	    xl > 2 * STORE_TXID_MAX || kl < REQID_KEYHEX_MIN ||
	    kl > 2 * STORE_HASH_LEN || kl % 2 != 0)
		return 0;
	memcpy(id->tenant, s, tl);
	id->tenant[tl] = '\0';
	if (!store_tenant_valid(id->tenant) ||
	    !hex_decode(c1 + 1, xl, id->txid) ||
	    !hex_decode(c2 + 1, kl, id->keyhash))
		return 0;
	id->txid_len = xl / 2;
	id->keyhash_len = kl / 2;
	return 1;
}

/* What find_cb() looks for and what it found. */
struct reqfind {
	const struct reqid	*id;
	struct store_reqkey	 key;	/* the full key of the match */
	size_t			 matches;
};

/* store_req_list() callback: PENDING requests matching an ID. */
static int
find_cb(const struct store_req *r, void *arg)
{
	struct reqfind	*f = arg;

	if (r->key.txid_len != f->id->txid_len ||
	    memcmp(r->key.txid, f->id->txid, r->key.txid_len) != 0 ||
	    memcmp(r->key.keyhash, f->id->keyhash, f->id->keyhash_len) != 0)
		return 1;
	if (f->matches++ == 0)
		f->key = r->key;
	return 1;
}

/*
 * Find the PENDING request named by the text id in st and return it in
 * *out (store_req_free()).  Returns 1, or 0 after a message.
 */
static int
find_pending(struct store *st, const char *text, struct store_req **out)
{
	struct reqid	 id;
	struct reqfind	 f;
	enum store_rc	 src;

	*out = NULL;
	if (!reqid_parse(text, &id)) {
		warnx("bad request ID '%.*s': expected TENANT:TXID:KEYHASH as "
		    "scepadm request list prints it", 200, text);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	f.id = &id;
	if ((src = store_req_list(st, id.tenant, find_cb, &f)) != STORE_OK) {
		store_warn(st, src, "listing requests");
		return 0;
	}
	if (f.matches == 0) {
		warnx("no PENDING request %s (already approved, rejected or "
		    "expired? see scepadm request list)", text);
		return 0;
	}
	if (f.matches > 1) {
		warnx("request ID %s is ambiguous: give more digits of the "
		    "key hash", text);
		return 0;
	}
	if ((src = store_req_get(st, &f.key, out)) != STORE_OK) {
		store_warn(st, src, "reading the request");
		return 0;
	}
	if ((*out)->state != STORE_REQ_PENDING) {
		warnx("request %s was decided meanwhile", text);
		store_req_free(*out);
		*out = NULL;
		return 0;
	}
	return 1;
}

/* One row of request list, copied out of the store's callback. */
struct reqrow {
	char	 id[REQID_MAX];
	char	 tenant[STORE_TENANT_MAX + 1];
	char	 txid[4 * STORE_TXID_MAX + 4];	/* escaped text */
	char	 keyhash[2 * STORE_HASH_LEN + 1];
	char	 subject[1024];
	char	 created[32];
	char	 addr[4 * STORE_ADDR_MAX + 4];
	int	 renewal;
	int	 challenge_ok;
	int	 msgtype;
};

/* The rows collected by list_cb(). */
struct reqrows {
	struct reqrow	*v;
	size_t		 n, cap;
	int		 oom;
};

/* store_req_list() callback: copy one PENDING request into a row. */
static int
list_cb(const struct store_req *r, void *arg)
{
	struct reqrows		*l = arg;
	struct reqrow		*row;
	X509_NAME		*name;
	const unsigned char	*p;
	void			*nv;
	size_t			 ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 16;
		if ((nv = reallocarray(l->v, ncap, sizeof(*l->v))) == NULL) {
			l->oom = 1;
			return 0;
		}
		l->v = nv;
		l->cap = ncap;
	}
	row = &l->v[l->n++];
	memset(row, 0, sizeof(*row));
	reqid_text(&r->key, row->id, sizeof(row->id));
	snprintf(row->tenant, sizeof(row->tenant), "%s", r->key.tenant);
	(void)log_escape((const char *)r->key.txid, r->key.txid_len,
	    row->txid, sizeof(row->txid));
	hex_lower(r->key.keyhash, STORE_HASH_LEN, row->keyhash);
	p = r->subject;
	if ((name = d2i_X509_NAME(NULL, &p, (long)r->subject_len)) == NULL)
		snprintf(row->subject, sizeof(row->subject), "?");
	else
		(void)name_text(name, row->subject, sizeof(row->subject));
	X509_NAME_free(name);
	if (row->subject[0] == '\0')
		snprintf(row->subject, sizeof(row->subject), "(empty)");
	iso_time(r->created, row->created, sizeof(row->created));
	(void)log_escape(r->client_addr, strnlen(r->client_addr,
	    sizeof(r->client_addr)), row->addr, sizeof(row->addr));
	if (row->addr[0] == '\0')
		snprintf(row->addr, sizeof(row->addr), "-");
	row->renewal = r->renewal;
	row->challenge_ok = r->challenge_ok;
	row->msgtype = r->msgtype;
	ERR_clear_error();
	return 1;
}

/* Print rows as a JSON array on stdout (jansson); 1 or 0. */
static int
print_rows_json(const struct reqrows *l)
{
	json_t	*arr, *o;
	size_t	 i;
	int	 rc = 0;

	if ((arr = json_array()) == NULL)
		return 0;
	for (i = 0; i < l->n; i++) {
		const struct reqrow	*r = &l->v[i];

		if ((o = json_object()) == NULL ||
		    json_array_append_new(arr, o) != 0)
			goto out;
		if (json_object_set_new(o, "id", json_string(r->id)) != 0 ||
		    json_object_set_new(o, "tenant",
		    json_string(r->tenant)) != 0 ||
		    json_object_set_new(o, "transaction_id",
		    json_string(r->txid)) != 0 ||
		    json_object_set_new(o, "key_hash",
		    json_string(r->keyhash)) != 0 ||
		    json_object_set_new(o, "subject",
		    json_string(r->subject)) != 0 ||
		    json_object_set_new(o, "created",
		    json_string(r->created)) != 0 ||
		    json_object_set_new(o, "client",
		    json_string(r->addr)) != 0 ||
		    json_object_set_new(o, "type", json_string(
		    r->msgtype == MSGTYPE_RENEWALREQ ? "RenewalReq" :
		    "PKCSReq")) != 0 ||
		    json_object_set_new(o, "renewal",
		    json_boolean(r->renewal)) != 0 ||
		    json_object_set_new(o, "challenge_ok",
		    json_boolean(r->challenge_ok)) != 0)
			goto out;
	}
	if (json_dumpf(arr, stdout, JSON_INDENT(2)) != 0)
		goto out;
	putchar('\n');
	rc = 1;
out:
	json_decref(arr);
	return rc;
}

/* The width of UTF-8 text in characters (continuation bytes skipped). */
static size_t
text_width(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Print s, then spaces up to width characters and a two-space gap. */
static void
print_col(const char *s, size_t width)
{
	size_t	 w;

	fputs(s, stdout);
	for (w = text_width(s); w < width + 2; w++)
		putchar(' ');
}

/* Print rows as aligned columns on stdout (nothing when empty). */
static void
print_rows_text(const struct reqrows *l)
{
	static const char *const head[] = { "ID", "TENANT", "SUBJECT",
	    "CREATED", "CLIENT", "RENEWAL" };
	size_t	 w[5], i, k;

	if (l->n == 0)
		return;
	for (k = 0; k < 5; k++)
		w[k] = strlen(head[k]);
	for (i = 0; i < l->n; i++) {
		const char	*col[5] = { l->v[i].id, l->v[i].tenant,
		    l->v[i].subject, l->v[i].created, l->v[i].addr };

		for (k = 0; k < 5; k++)
			if (text_width(col[k]) > w[k])
				w[k] = text_width(col[k]);
	}
	for (k = 0; k < 5; k++)
		print_col(head[k], w[k]);
	printf("%s\n", head[5]);
	for (i = 0; i < l->n; i++) {
		const char	*col[5] = { l->v[i].id, l->v[i].tenant,
		    l->v[i].subject, l->v[i].created, l->v[i].addr };

		for (k = 0; k < 5; k++)
			print_col(col[k], w[k]);
		printf("%s\n", l->v[i].renewal ? "yes" : "no");
	}
}

/* scepadm request list [--tenant T] [--json]: the PENDING requests. */
static int
cmd_request_list(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "tenant", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf	*conf = NULL;
	struct store	*st = NULL;
	struct reqrows	 rows;
	const char	*tenant = NULL;
	enum store_rc	 src;
	int		 ch, json = 0, rc = EXIT_FAIL;

	memset(&rows, 0, sizeof(rows));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hjt:", lo, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help(c);
		case 'j':
			json = 1;
			break;
		case 't':
			tenant = optarg;
			break;
		case ':':
			return usage_err(c, "%s needs a value",
			    argv[optind - 1]);
		default:
			return usage_err(c, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_err(c, "too many arguments");

	if ((conf = load_conf(a)) == NULL)
		goto out;
	if (tenant != NULL && conf_tenant_find(conf, tenant) == NULL) {
		warnx("no tenant '%s' in %s", tenant, conf->path);
		goto out;
	}
	if ((st = open_store(conf)) == NULL)
		goto out;
	if ((src = store_req_list(st, tenant, list_cb, &rows)) != STORE_OK) {
		store_warn(st, src, "listing requests");
		goto out;
	}
	if (rows.oom) {
		warnx("out of memory");
		goto out;
	}
	if (json) {
		if (!print_rows_json(&rows)) {
			warnx("cannot write JSON");
			goto out;
		}
	} else
		print_rows_text(&rows);
	if (fflush(stdout) != 0) {
		warn("stdout");
		goto out;
	}
	rc = EXIT_OK;
out:
	free(rows.v);
	store_close(st);
	conf_free(conf);
	return rc;
}

/*
 * The serial of x as scepadm prints it (serial_hex()) into out.
 * Returns 1 or 0.
 */
static int
cert_serial_hex(X509 *x, char out[2 * STORE_SERIAL_MAX + 1])
{
	BIGNUM		*bn;
	uint8_t		 b[STORE_SERIAL_MAX];
	int		 n = -1;

	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) !=
	    NULL && BN_num_bytes(bn) <= STORE_SERIAL_MAX)
		n = BN_bn2bin(bn, b);
	BN_free(bn);
	if (n <= 0)
		return 0;
	serial_hex(b, (size_t)n, out);
	return 1;
}

/*
 * scepadm request approve ID: issue the certificate a PENDING request
 * asks for (enroll_issue(): signed outside the write transaction, then
 * stored with the request ISSUED).  Prints the serial.
 */
static int
cmd_request_approve(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct server		*s = NULL;
	struct store_req	*req = NULL;
	const struct tenant	*t;
	X509			*cert = NULL;
	enum store_rc		 src;
	char			 hex[2 * STORE_SERIAL_MAX + 1];
	int			 ch, rc = EXIT_FAIL;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (ch == 'h')
			return help(c);
		return usage_err(c, "unknown option %s", argv[optind - 1]);
	}
	if (argc - optind != 1)
		return usage_err(c, argc == optind ? "the request ID is "
		    "missing" : "too many arguments");

	if ((s = load_server(a)) == NULL)
		goto out;
	if (!find_pending(s->store, argv[optind], &req))
		goto out;
	if ((t = server_tenant(s, req->key.tenant)) == NULL) {
		warnx("request %s: tenant '%s' is not in %s", argv[optind],
		    req->key.tenant, s->conf->path);
		goto out;
	}
	if ((src = enroll_issue(s, t, req, time(NULL), &cert)) != STORE_OK) {
		if (src == STORE_EXISTS)
			warnx("request %s was decided meanwhile",
			    argv[optind]);
		else
			store_warn(s->store, src, "issuing the certificate");
		goto out;
	}
	if (!cert_serial_hex(cert, hex)) {
		warnx("issued, but cannot print the serial");
		goto out;
	}
	printf("%s\n", hex);
	rc = EXIT_OK;
out:
	X509_free(cert);
	store_req_free(req);
	server_free(s);
	ERR_clear_error();
	return rc;
}

/* scepadm request reject ID [--reason TEXT]. */
static int
cmd_request_reject(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf		*conf = NULL;
	struct store		*st = NULL;
	struct store_req	*req = NULL;
	const char		*reason = "rejected by the operator";
	enum store_rc		 src;
	size_t			 i;
	int			 ch, rc = EXIT_FAIL;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hr:", lo, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help(c);
		case 'r':
			reason = optarg;
			break;
		case ':':
			return usage_err(c, "%s needs a value",
			    argv[optind - 1]);
		default:
			return usage_err(c, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_err(c, argc == optind ? "the request ID is "
		    "missing" : "too many arguments");
	if (*reason == '\0' || strlen(reason) > STORE_REASON_MAX)
		return usage_err(c, "--reason: 1 to %d characters",
		    STORE_REASON_MAX);
	for (i = 0; reason[i] != '\0'; i++)
		if ((unsigned char)reason[i] < 0x20 || reason[i] == 0x7f)
			return usage_err(c, "--reason: no control "
			    "characters");

	if ((conf = load_conf(a)) == NULL || (st = open_store(conf)) == NULL)
		goto out;
	if (!find_pending(st, argv[optind], &req))
		goto out;
	if ((src = store_req_reject(st, &req->key, reason, time(NULL))) !=
	    STORE_OK) {
		if (src == STORE_STATE)
			warnx("request %s was decided meanwhile",
			    argv[optind]);
		else
			store_warn(st, src, "rejecting the request");
		goto out;
	}
	printf("rejected %s\n", argv[optind]);
	rc = EXIT_OK;
out:
	store_req_free(req);
	store_close(st);
	conf_free(conf);
	return rc;
}

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

/*
 * scepadm cert revoke SERIAL [--tenant T] [--reason R]: revoke, then
 * regenerate the tenant's CRL.
 */
static int
cmd_cert_revoke(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "reason", required_argument, NULL, 'r' },
		{ "tenant", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct server		*s = NULL;
	struct store_cert	*sc = NULL;
	const struct tenant	*t = NULL;
	struct scep_buf		 crl;
	const char		*tenant = NULL;
	uint8_t			 serial[STORE_SERIAL_MAX];
	size_t			 slen, i, found = 0;
	enum store_rc		 src;
	char			 hex[2 * STORE_SERIAL_MAX + 1];
	int			 ch, reason = 0, rc = EXIT_FAIL;

	memset(&crl, 0, sizeof(crl));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hr:t:", lo, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help(c);
		case 'r':
			for (i = 0; i < NELEM(reasons); i++)
				if (strcmp(optarg, reasons[i].name) == 0)
					break;
			if (i == NELEM(reasons))
				return usage_err(c, "--reason: unspecified, "
				    "keyCompromise, cACompromise, "
				    "affiliationChanged, superseded, "
				    "cessationOfOperation, privilegeWithdrawn "
				    "or aACompromise");
			reason = reasons[i].code;
			break;
		case 't':
			tenant = optarg;
			break;
		case ':':
			return usage_err(c, "%s needs a value",
			    argv[optind - 1]);
		default:
			return usage_err(c, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_err(c, argc == optind ? "the SERIAL is missing" :
		    "too many arguments");
	if (!parse_serial(argv[optind], serial, &slen))
		return usage_err(c, "bad serial '%.64s': expected hex, as "
		    "scepadm request approve prints it", argv[optind]);
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

/* One row of cert list, copied out of the store's callback. */
struct certrow {
	char	 tenant[STORE_TENANT_MAX + 1];
	char	 serial[2 * STORE_SERIAL_MAX + 1];
	char	 subject[1024];
	char	 not_before[32];
	char	 not_after[32];
	char	 issued[32];
	char	 revoked[32];		/* "" unless revoked */
	const char *state;		/* valid, expired, revoked */
	const char *origin;		/* scep, admin, ra */
};

/* The rows collected by certlist_cb(). */
struct certrows {
	struct certrow	*v;
	size_t		 n, cap;
	time_t		 now;
	int		 oom;
	int		 valid_only;	/* --expiring: not revoked */
	const char	*subject;	/* --subject: substring, or NULL */
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

/*
 * store_certs_expiring() callback: copy one certificate into a row.
 * The subject comes from the stored DER; nothing else is parsed.
 */
static int
certlist_cb(const struct store_cert *sc, void *arg)
{
	struct certrows		*l = arg;
	struct certrow		*row;
	X509			*x;
	const unsigned char	*p;
	void			*nv;
	size_t			 ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 64;
		if ((nv = reallocarray(l->v, ncap, sizeof(*l->v))) == NULL) {
			l->oom = 1;
			return 0;
		}
		l->v = nv;
		l->cap = ncap;
	}
	row = &l->v[l->n++];
	memset(row, 0, sizeof(*row));
	snprintf(row->tenant, sizeof(row->tenant), "%s", sc->tenant);
	serial_hex(sc->serial, sc->serial_len, row->serial);
	p = sc->der;
	if ((x = d2i_X509(NULL, &p, (long)sc->der_len)) == NULL)
		snprintf(row->subject, sizeof(row->subject), "?");
	else
		(void)name_text(X509_get_subject_name(x), row->subject,
		    sizeof(row->subject));
	X509_free(x);
	if (row->subject[0] == '\0')
		snprintf(row->subject, sizeof(row->subject), "(empty)");
	iso_time(sc->not_before, row->not_before, sizeof(row->not_before));
	iso_time(sc->not_after, row->not_after, sizeof(row->not_after));
	iso_time(sc->issued_at, row->issued, sizeof(row->issued));
	if (sc->state == STORE_CERT_REVOKED) {
		row->state = "revoked";
		iso_time(sc->revoked_at, row->revoked, sizeof(row->revoked));
	} else if (sc->not_after < l->now)
		row->state = "expired";
	else
		row->state = "valid";
	switch (sc->origin) {
	case STORE_ORIGIN_SCEP:
		row->origin = "scep";
		break;
	case STORE_ORIGIN_ADMIN:
		row->origin = "admin";
		break;
	case STORE_ORIGIN_RA:
		row->origin = "ra";
		break;
	default:
		row->origin = "?";
		break;
	}
	/* The filters of cert list: the row goes again if it fails one. */
	if ((l->valid_only && sc->state == STORE_CERT_REVOKED) ||
	    (l->subject != NULL && !contains_nocase(row->subject, l->subject)))
		l->n--;
	ERR_clear_error();
	return 1;
}

/* Print certificate rows as a JSON array on stdout (jansson); 1 or 0. */
static int
print_certs_json(const struct certrows *l)
{
	json_t	*arr, *o;
	size_t	 i;
	int	 rc = 0;

	if ((arr = json_array()) == NULL)
		return 0;
	for (i = 0; i < l->n; i++) {
		const struct certrow	*r = &l->v[i];

		if ((o = json_object()) == NULL ||
		    json_array_append_new(arr, o) != 0)
			goto out;
		if (json_object_set_new(o, "tenant",
		    json_string(r->tenant)) != 0 ||
		    json_object_set_new(o, "serial",
		    json_string(r->serial)) != 0 ||
		    json_object_set_new(o, "subject",
		    json_string(r->subject)) != 0 ||
		    json_object_set_new(o, "not_before",
		    json_string(r->not_before)) != 0 ||
		    json_object_set_new(o, "not_after",
		    json_string(r->not_after)) != 0 ||
		    json_object_set_new(o, "state",
		    json_string(r->state)) != 0 ||
		    json_object_set_new(o, "origin",
		    json_string(r->origin)) != 0 ||
		    json_object_set_new(o, "issued",
		    json_string(r->issued)) != 0 ||
		    (r->revoked[0] != '\0' && json_object_set_new(o,
		    "revoked", json_string(r->revoked)) != 0))
			goto out;
	}
	if (json_dumpf(arr, stdout, JSON_INDENT(2)) != 0)
		goto out;
	putchar('\n');
	rc = 1;
out:
	json_decref(arr);
	return rc;
}

/* Print certificate rows as aligned columns (nothing when empty). */
static void
print_certs_text(const struct certrows *l)
{
	static const char *const head[] = { "TENANT", "SERIAL", "STATE",
	    "NOT_AFTER", "ORIGIN", "SUBJECT" };
	size_t	 w[5], i, k;

	if (l->n == 0)
		return;
	for (k = 0; k < 5; k++)
		w[k] = strlen(head[k]);
	for (i = 0; i < l->n; i++) {
		const char	*col[5] = { l->v[i].tenant, l->v[i].serial,
		    l->v[i].state, l->v[i].not_after, l->v[i].origin };

		for (k = 0; k < 5; k++)
			if (text_width(col[k]) > w[k])
				w[k] = text_width(col[k]);
	}
	for (k = 0; k < 5; k++)
		print_col(head[k], w[k]);
	printf("%s\n", head[5]);
	for (i = 0; i < l->n; i++) {
		const char	*col[5] = { l->v[i].tenant, l->v[i].serial,
		    l->v[i].state, l->v[i].not_after, l->v[i].origin };

		for (k = 0; k < 5; k++)
			print_col(col[k], w[k]);
		printf("%s\n", l->v[i].subject);
	}
}

/*
 * scepadm cert list [--tenant T] [--json]: every stored certificate of
 * tenant T (default: of every tenant, in file order), by notAfter,
 * including the RA certificate (origin "ra") and scepadm-issued ones.
 */
static int	parse_dur(const char *, time_t *);

static int
cmd_cert_list(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "expiring", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "subject", required_argument, NULL, 's' },
		{ "tenant", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf	*conf = NULL;
	struct store	*st = NULL;
	struct certrows	 rows;
	const char	*tenant = NULL;
	enum store_rc	 src;
	time_t		 from = (time_t)INT64_MIN, to = (time_t)INT64_MAX, d;
	size_t		 i;
	int		 ch, json = 0, expiring = 0, rc = EXIT_FAIL;

	memset(&rows, 0, sizeof(rows));
	rows.now = time(NULL);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hjt:", lo, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help(c);
		case 'e':
			if (!parse_dur(optarg, &d))
				return usage_err(c, "--expiring: a duration "
				    "such as 30d, 12h or 2w");
			/* Valid now and expiring before now + d. */
			from = rows.now;
			to = rows.now + d;
			expiring = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			rows.subject = optarg;
			break;
		case 't':
			tenant = optarg;
			break;
		case ':':
			return usage_err(c, "%s needs a value",
			    argv[optind - 1]);
		default:
			return usage_err(c, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_err(c, "too many arguments");

	if ((conf = load_conf(a)) == NULL)
		goto out;
	if (tenant != NULL && conf_tenant_find(conf, tenant) == NULL) {
		warnx("no tenant '%s' in %s", tenant, conf->path);
		goto out;
	}
	if ((st = open_store(conf)) == NULL)
		goto out;
	rows.valid_only = expiring;
	/* By default every notAfter: the expiry index covers them all. */
	for (i = 0; i < conf->ntenants; i++) {
		if (tenant != NULL &&
		    strcmp(conf->tenants[i]->name, tenant) != 0)
			continue;
		if ((src = store_certs_expiring(st, conf->tenants[i]->name,
		    from, to, certlist_cb,
		    &rows)) != STORE_OK) {
			store_warn(st, src, "listing certificates");
			goto out;
		}
		if (rows.oom) {
			warnx("out of memory");
			goto out;
		}
	}
	if (json) {
		if (!print_certs_json(&rows)) {
			warnx("cannot write JSON");
			goto out;
		}
	} else
		print_certs_text(&rows);
	if (fflush(stdout) != 0) {
		warn("stdout");
		goto out;
	}
	rc = EXIT_OK;
out:
	free(rows.v);
	store_close(st);
	conf_free(conf);
	return rc;
}

/*
 * scepadm crl TENANT [-o FILE] [--pem]: generate, sign and store a new
 * CRL and write it (DER, or PEM) to FILE or to stdout when that is not
 * a terminal.
 */
static int
cmd_crl(const struct adm *a, const struct cmd *c, int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ "pem", no_argument, NULL, 'p' },
		{ "previous", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	struct server		*s = NULL;
	const struct tenant	*t;
	const struct signer	*ca;
	struct scep_buf		 crl;
	const unsigned char	*p;
	X509_CRL		*x = NULL;
	BIO			*b = NULL;
	const char		*outfile = NULL;
	char			*data;
	long			 len;
	int			 ch, pem = 0, prev = 0, rc = EXIT_FAIL;

	memset(&crl, 0, sizeof(crl));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ho:p", lo, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help(c);
		case 'o':
			outfile = optarg;
			break;
		case 'p':
			pem = 1;
			break;
		case 'P':
			prev = 1;
			break;
		case ':':
			return usage_err(c, "%s needs a value",
			    argv[optind - 1]);
		default:
			return usage_err(c, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_err(c, argc == optind ? "the TENANT is missing" :
		    "too many arguments");

	if ((s = load_server(a)) == NULL)
		goto out;
	if (*argv[optind] == '\0' ||
	    (t = server_tenant(s, argv[optind])) == NULL) {
		warnx("no tenant '%s' in %s", argv[optind], s->conf->path);
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
	} else if (fwrite(data, 1, (size_t)len, stdout) != (size_t)len ||
	    fflush(stdout) != 0) {
		warn("stdout");
		goto out;
	}
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
 * Shared plumbing of the later commands: option tables, loading
 * certificates and keys, text or JSON output.
 */

/* Most options of one command, and most repeated values of one. */
#define OPTS_MAX		16
#define MULTI_MAX		16
/* tenant check and cert list --expiring: "soon" (30 days). */
#define SOON_DEFAULT		(30 * 86400)
/* KU bits Apple and certmonger need of an RA (INTEROP.md 2.3, 2.4). */
#define KU_RA	(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)

/* One option of a command, for parse_opts(). */
struct opt {
	const char	 *name;		/* long name */
	int		  shortc;	/* short letter, or 0 */
	const char	**val;		/* with a value: it goes here */
	int		 *flag;		/* without: set to 1 */
	const char	**multi;	/* repeatable: values go here */
	size_t		 *nmulti;	/* ... their count (MULTI_MAX) */
};

/*
 * getopt_long(3) over the table o (n entries), then between minpos and
 * maxpos operands, which start at argv[*first].  Returns EXIT_OK, -1
 * for --help, or EXIT_USAGE after a message.
 */
static int
parse_opts(const struct cmd *c, int argc, char *argv[], const struct opt *o,
    size_t n, int minpos, int maxpos, int *first)
{
	struct option	 lo[OPTS_MAX + 2];
	char		 so[3 * OPTS_MAX + 4];
	size_t		 i, sl = 0;
	int		 ch, idx;

	if (n > OPTS_MAX)
		abort();
	so[sl++] = ':';
	so[sl++] = 'h';
	for (i = 0; i < n; i++) {
		lo[i].name = o[i].name;
		lo[i].has_arg = o[i].flag != NULL ? no_argument :
		    required_argument;
		lo[i].flag = NULL;
		lo[i].val = 256 + (int)i;
		if (o[i].shortc != 0) {
			so[sl++] = (char)o[i].shortc;
			if (o[i].flag == NULL)
				so[sl++] = ':';
		}
	}
	so[sl] = '\0';
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (ch == 'h')
			return -1;
		if (ch == ':')
			return usage_err(c, "%s needs a value",
			    argv[optind - 1]);
		idx = -1;
		for (i = 0; i < n; i++)
			if (ch == 256 + (int)i || (o[i].shortc != 0 &&
			    ch == o[i].shortc))
				idx = (int)i;
		if (idx < 0)
			return usage_err(c, "unknown option %s",
			    argv[optind - 1]);
		if (o[idx].flag != NULL)
			*o[idx].flag = 1;
		else if (o[idx].multi != NULL) {
			if (*o[idx].nmulti == MULTI_MAX)
				return usage_err(c, "--%s: at most %d",
				    o[idx].name, MULTI_MAX);
			o[idx].multi[(*o[idx].nmulti)++] = optarg;
		} else
			*o[idx].val = optarg;
	}
	if (argc - optind < minpos)
		return usage_err(c, "an argument is missing");
	if (argc - optind > maxpos)
		return usage_err(c, "too many arguments");
	*first = optind;
	return EXIT_OK;
}

/* parse_opts() for a command with one operand (NAME, ID, SERIAL). */
static int
parse_opts1(const struct cmd *c, int argc, char *argv[], const struct opt *o,
    size_t n, const char **arg)
{
	int	 rc, first;

	if ((rc = parse_opts(c, argc, argv, o, n, 1, 1, &first)) == EXIT_OK)
		*arg = argv[first];
	return rc;
}

/*
 * Read a duration "30d", "12h", "90m", "2w" or plain seconds into
 * *out.  Returns 1, or 0 when malformed or over ten years.
 */
static int
parse_dur(const char *s, time_t *out)
{
	char		 num[32];
	size_t		 len = strlen(s);
	long long	 v, mul = 1;

	if (len == 0 || len >= sizeof(num))
		return 0;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's':
		mul = 1;
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	case 'w':
		mul = 7 * 86400;
		break;
	default:
		len++;
		break;
	}
	num[len - 1] = '\0';
	if (!parse_num(num, 0, 3650LL * 86400 / mul, &v))
		return 0;
	*out = (time_t)(v * mul);
	return 1;
}

/* The first certificate of a PEM (or DER) file; NULL after a message. */
static X509 *
read_cert(const char *path)
{
	BIO	*b;
	X509	*x = NULL;

	if ((b = BIO_new_file(path, "rb")) == NULL) {
		warnx("%s: cannot open", path);
		goto out;
	}
	if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		(void)BIO_reset(b);
		x = d2i_X509_bio(b, NULL);
	}
	if (x == NULL)
		warnx("%s: not a certificate", path);
out:
	BIO_free(b);
	ERR_clear_error();
	return x;
}

/* Every certificate of a PEM file (sk_X509_pop_free); NULL, message. */
static STACK_OF(X509) *
read_certs(const char *path)
{
	BIO		*b;
	STACK_OF(X509)	*sk = NULL, *rc = NULL;
	X509		*x;

	if ((b = BIO_new_file(path, "rb")) == NULL) {
		warnx("%s: cannot open", path);
		goto out;
	}
	if ((sk = sk_X509_new_null()) == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto out;
		}
	if (sk_X509_num(sk) == 0) {
		warnx("%s: no certificate", path);
		goto out;
	}
	rc = sk;
	sk = NULL;
out:
	sk_X509_pop_free(sk, X509_free);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

/* A private key from a PEM file; NULL after a message. */
static EVP_PKEY *
read_key(const char *path)
{
	BIO		*b;
	EVP_PKEY	*k = NULL;

	if ((b = BIO_new_file(path, "rb")) == NULL)
		warnx("%s: cannot open", path);
	else if ((k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
		warnx("%s: not an unencrypted PEM private key", path);
	BIO_free(b);
	ERR_clear_error();
	return k;
}

/* Set o[key] to the string s (NULL: nothing); 1 or 0. */
static int
jset_str(json_t *o, const char *key, const char *s)
{
	if (s == NULL)
		return 1;
	return json_object_set_new(o, key, json_string(s)) == 0;
}

/* Set o[key] to the time t as ISO 8601; 1 or 0. */
static int
jset_time(json_t *o, const char *key, time_t t)
{
	char	 buf[32];

	iso_time(t, buf, sizeof(buf));
	return jset_str(o, key, buf);
}

/* An ASN1_TIME as time_t; 1 or 0. */
static int
asn1_time(const ASN1_TIME *a, time_t *out)
{
	struct tm	 tm;

	if (!ASN1_TIME_to_tm(a, &tm))
		return 0;
	*out = timegm(&tm);
	return 1;
}

/*
 * The facts about certificate x into o, each key prefixed by pfx
 * ("ca_", "ra_" or ""): subject, issuer, serial, validity, SHA-256 and
 * SHA-1 fingerprints (Apple's CAFingerprint is the SHA-1), key type.
 * Returns 1 or 0.
 */
static int
cert_facts(X509 *x, const char *pfx, json_t *o)
{
	uint8_t		 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	char		 k[64], buf[1024], hex[2 * STORE_SERIAL_MAX + 1];
	char		 fp[3 * EVP_MAX_MD_SIZE + 1];
	time_t		 t;
	EVP_PKEY	*pk;
	unsigned int	 i;
	size_t		 j;
	static const char *const mds[2] = { "sha256", "sha1" };

#define K(s)	(snprintf(k, sizeof(k), "%s%s", pfx, (s)), k)
	if (!name_text(X509_get_subject_name(x), buf, sizeof(buf)) ||
	    !jset_str(o, K("subject"), buf) ||
	    !name_text(X509_get_issuer_name(x), buf, sizeof(buf)) ||
	    !jset_str(o, K("issuer"), buf))
		return 0;
	if (cert_serial_hex(x, hex) && !jset_str(o, K("serial"), hex))
		return 0;
	if (!asn1_time(X509_get0_notBefore(x), &t) ||
	    !jset_time(o, K("not_before"), t) ||
	    !asn1_time(X509_get0_notAfter(x), &t) ||
	    !jset_time(o, K("not_after"), t))
		return 0;
	for (j = 0; j < 2; j++) {
		if (!X509_digest(x, EVP_get_digestbyname(mds[j]), md, &mdlen))
			return 0;
		for (i = 0; i < mdlen; i++)
			snprintf(fp + 3 * i, 4, "%02X%s", md[i],
			    i + 1 < mdlen ? ":" : "");
		if (!jset_str(o, K(j == 0 ? "sha256_fingerprint" :
		    "sha1_fingerprint"), fp))
			return 0;
	}
	if ((pk = X509_get0_pubkey(x)) == NULL)
		return 0;
	key_desc(pk, buf, sizeof(buf));
	return jset_str(o, K("key"), buf);
#undef K
}

/*
 * Print the object o: JSON, or one "key: value" line per member (in
 * insertion order; arrays joined by ", ").  Returns 1 or 0.
 */
static int
print_obj(json_t *o, int json)
{
	const char	*key;
	json_t		*v, *e;
	size_t		 i;

	if (json) {
		if (json_dumpf(o, stdout, JSON_INDENT(2)) != 0)
			return 0;
		putchar('\n');
		return fflush(stdout) == 0;
	}
	json_object_foreach(o, key, v) {
		printf("%s: ", key);
		if (json_is_array(v)) {
			json_array_foreach(v, i, e)
				printf("%s%s", i ? ", " : "",
				    json_is_string(e) ? json_string_value(e) :
				    "?");
		} else if (json_is_string(v))
			fputs(json_string_value(v), stdout);
		else if (json_is_integer(v))
			printf("%lld", (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			fputs(json_is_true(v) ? "yes" : "no", stdout);
		putchar('\n');
	}
	return fflush(stdout) == 0;
}

/*
 * Print the array of objects a: JSON, or aligned columns of the string
 * members keys[] under the headings head[] (n columns, the last one not
 * padded).  Returns 1 or 0.
 */
static int
print_table(json_t *a, const char *const keys[], const char *const head[],
    size_t n, int json)
{
	size_t		 w[8], i, k;
	json_t		*row;
	const char	*s;

	if (n == 0 || n > NELEM(w))
		abort();
	if (json) {
		if (json_dumpf(a, stdout, JSON_INDENT(2)) != 0)
			return 0;
		putchar('\n');
		return fflush(stdout) == 0;
	}
	if (json_array_size(a) == 0)
		return 1;
#define CELL(r, k) ((s = json_string_value(json_object_get((r), \
	keys[(k)]))) != NULL ? s : "-")
	for (k = 0; k < n; k++)
		w[k] = strlen(head[k]);
	json_array_foreach(a, i, row)
		for (k = 0; k < n; k++)
			if (text_width(CELL(row, k)) > w[k])
				w[k] = text_width(CELL(row, k));
	for (k = 0; k + 1 < n; k++)
		print_col(head[k], w[k]);
	printf("%s\n", head[n - 1]);
	json_array_foreach(a, i, row) {
		for (k = 0; k + 1 < n; k++)
			print_col(CELL(row, k), w[k]);
		printf("%s\n", CELL(row, n - 1));
	}
#undef CELL
	return fflush(stdout) == 0;
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

/* Read the certificate files of tenant t; 1, or 0 after a message. */
static int
tcerts_read(const struct conf_tenant *t, struct tcerts *tc)
{
	memset(tc, 0, sizeof(*tc));
	if ((tc->ca = read_cert(t->ca_cert)) == NULL ||
	    (t->ra_cert != NULL && (tc->ra = read_cert(t->ra_cert)) == NULL) ||
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
	    !jset_str(o, "chain_file", t->chain))
		return 0;
	if (tc == NULL)
		return 1;
	if (!cert_facts(tc->ca, "ca_", o) ||
	    (tc->ra != NULL && !cert_facts(tc->ra, "ra_", o)))
		return 0;
	return 1;
}

/* scepadm tenant list [--json]. */
static int
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
	int		 json = 0, first, rc;
	const struct opt opts[] = { { "json", 'j', NULL, &json, NULL, NULL } };

	memset(&tc, 0, sizeof(tc));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), 0, 0, &first)) !=
	    EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if ((conf = load_conf(a)) == NULL || (arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < conf->ntenants; i++) {
		/* A tenant whose files do not read is listed without them. */
		if (!tcerts_read(conf->tenants[i], &tc))
			memset(&tc, 0, sizeof(tc));
		if ((o = json_object()) == NULL ||
		    json_array_append_new(arr, o) != 0 ||
		    !tenant_facts(conf->tenants[i], tc.ca != NULL ? &tc : NULL,
		    o))
			goto oom;
		tcerts_free(&tc);
	}
	if (!print_table(arr, keys, head, NELEM(keys), json)) {
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
static int
cmd_tenant_show(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	const struct conf_tenant	*t;
	struct conf			*conf = NULL;
	struct tcerts			 tc;
	json_t				*o = NULL;
	const char			*name;
	int				 json = 0, rc;
	const struct opt opts[] = { { "json", 'j', NULL, &json, NULL, NULL } };

	memset(&tc, 0, sizeof(tc));
	if ((rc = parse_opts1(c, argc, argv, opts, NELEM(opts), &name)) !=
	    EXIT_OK)
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
	if (!print_obj(o, json)) {
		warn("stdout");
		goto out;
	}
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
static int
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
	if ((rc = parse_opts1(c, argc, argv, NULL, 0, &name)) != EXIT_OK)
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
static int
cmd_tenant_import(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct conf	*conf = NULL;
	struct tcerts	 tc;
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
		{ "approval", 0, &approval, NULL, NULL, NULL },
		{ "ca-cert", 0, &f[TF_CA_CRT], NULL, NULL, NULL },
		{ "ca-key", 0, &f[TF_CA_KEY], NULL, NULL, NULL },
		{ "chain", 0, &f[TF__MAX], NULL, NULL, NULL },
		{ "dir", 0, &dir, NULL, NULL, NULL },
		{ "group", 0, &group, NULL, NULL, NULL },
		{ "password", 0, &password, NULL, NULL, NULL },
		{ "ra-cert", 0, &f[TF_RA_CRT], NULL, NULL, NULL },
		{ "ra-key", 0, &f[TF_RA_KEY], NULL, NULL, NULL },
	};

	memset(&tc, 0, sizeof(tc));
	memset(&none, 0, sizeof(none));
	memset(pwbuf, 0, sizeof(pwbuf));
	if ((rc = parse_opts1(c, argc, argv, opts, NELEM(opts), &name)) !=
	    EXIT_OK)
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
	if (!(made[TF_CA_KEY] = write_key(paths[TF_CA_KEY], cakey, gid)) ||
	    !(made[TF_CA_CRT] = write_cert(paths[TF_CA_CRT], tc.ca, gid)) ||
	    !(made[TF_RA_KEY] = write_key(paths[TF_RA_KEY], rakey, gid)) ||
	    !(made[TF_RA_CRT] = write_cert(paths[TF_RA_CRT], tc.ra, gid)))
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
	else if (path != NULL)
		rc = write_new_file(path, p, (size_t)len, 0644, (gid_t)-1);
	else if (fwrite(p, 1, (size_t)len, stdout) != (size_t)len ||
	    fflush(stdout) != 0)
		warn("stdout");
	else
		rc = 1;
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
static int
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
		{ "csr", 0, &csr, NULL, NULL, NULL },
		{ "days", 0, &days, NULL, NULL, NULL },
		{ "output", 'o', &out, NULL, NULL, NULL },
	};

	if ((rc = parse_opts1(c, argc, argv, opts, NELEM(opts), &name)) !=
	    EXIT_OK)
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

/* The SANs of GENERAL_NAMES gn as "DNS:x" strings into array a; 1/0. */
static int
sans_json(const GENERAL_NAMES *gn, json_t *a)
{
	const GENERAL_NAME	*g;
	const char		*pfx;
	const ASN1_STRING	*v;
	char			 buf[1040], esc[1024];
	int			 i, type;

	for (i = 0; i < sk_GENERAL_NAME_num(gn); i++) {
		g = sk_GENERAL_NAME_value(gn, i);
		v = GENERAL_NAME_get0_value(g, &type);
		switch (type) {
		case GEN_DNS:
			pfx = "DNS";
			break;
		case GEN_EMAIL:
			pfx = "email";
			break;
		case GEN_URI:
			pfx = "URI";
			break;
		default:
			pfx = NULL;
			break;
		}
		if (pfx != NULL) {
			(void)log_escape((const char *)ASN1_STRING_get0_data(v),
			    (size_t)ASN1_STRING_length(v), esc, sizeof(esc));
			snprintf(buf, sizeof(buf), "%s:%s", pfx, esc);
		} else
			snprintf(buf, sizeof(buf), "type %d", type);
		if (json_array_append_new(a, json_string(buf)) != 0)
			return 0;
	}
	return 1;
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

/*
 * Open the configuration and store, and find the certificate named by
 * the operand (cert show and export).  Returns 1, or 0 after a message.
 */
static int
cert_open(const struct adm *a, const char *tenant, const char *serial,
    struct conf **conf, struct store **st, struct store_cert **sc, X509 **x)
{
	const unsigned char	*p;

	if ((*conf = load_conf(a)) == NULL)
		return 0;
	if (tenant != NULL && conf_tenant_find(*conf, tenant) == NULL) {
		warnx("no tenant '%s' in %s", tenant, (*conf)->path);
		return 0;
	}
	if ((*st = open_store(*conf)) == NULL ||
	    !cert_lookup(*st, *conf, tenant, serial, sc))
		return 0;
	p = (*sc)->der;
	if ((*x = d2i_X509(NULL, &p, (long)(*sc)->der_len)) == NULL) {
		warnx("stored certificate does not parse");
		return 0;
	}
	return 1;
}

/* scepadm cert show SERIAL [--tenant T] [--json]. */
static int
cmd_cert_show(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct conf		*conf = NULL;
	struct store		*st = NULL;
	struct store_cert	*sc = NULL;
	GENERAL_NAMES		*gn = NULL;
	X509			*x = NULL;
	json_t			*o = NULL, *arr;
	const char		*serial, *tenant = NULL;
	static const char *const origins[] = { "?", "scep", "admin", "ra" };
	int			 json = 0, rc;
	const struct opt opts[] = {
		{ "json", 'j', NULL, &json, NULL, NULL },
		{ "tenant", 't', &tenant, NULL, NULL, NULL },
	};

	if ((rc = parse_opts1(c, argc, argv, opts, NELEM(opts), &serial)) !=
	    EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if (!cert_open(a, tenant, serial, &conf, &st, &sc, &x))
		goto out;
	if ((o = json_object()) == NULL || !jset_str(o, "tenant", sc->tenant) ||
	    !jset_str(o, "state", sc->state == STORE_CERT_REVOKED ?
	    "revoked" : sc->not_after < time(NULL) ? "expired" : "valid") ||
	    !jset_str(o, "origin", origins[sc->origin <= STORE_ORIGIN_RA ?
	    sc->origin : 0]) || !jset_time(o, "issued", sc->issued_at) ||
	    (sc->state == STORE_CERT_REVOKED &&
	    (!jset_time(o, "revoked", sc->revoked_at) ||
	    !jset_str(o, "revocation_reason", reason_name(sc->reason)))) ||
	    !cert_facts(x, "", o))
		goto oom;
	if ((gn = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL)) !=
	    NULL) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(o, "sans", arr) != 0 ||
		    !sans_json(gn, arr))
			goto oom;
	}
	if (!print_obj(o, json)) {
		warn("stdout");
		goto out;
	}
	rc = EXIT_OK;
	goto out;
oom:
	warnx("out of memory");
out:
	json_decref(o);
	GENERAL_NAMES_free(gn);
	X509_free(x);
	store_cert_free(sc);
	store_close(st);
	conf_free(conf);
	ERR_clear_error();
	return rc;
}

/* scepadm cert export SERIAL [--tenant T] [-o F]: the PEM. */
static int
cmd_cert_export(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct conf		*conf = NULL;
	struct store		*st = NULL;
	struct store_cert	*sc = NULL;
	X509			*x = NULL;
	const char		*serial, *tenant = NULL, *out = NULL;
	int			 rc;
	const struct opt opts[] = {
		{ "output", 'o', &out, NULL, NULL, NULL },
		{ "tenant", 't', &tenant, NULL, NULL, NULL },
	};

	if ((rc = parse_opts1(c, argc, argv, opts, NELEM(opts), &serial)) !=
	    EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if (cert_open(a, tenant, serial, &conf, &st, &sc, &x) &&
	    put_pem(x, out))
		rc = EXIT_OK;
	X509_free(x);
	store_cert_free(sc);
	store_close(st);
	conf_free(conf);
	ERR_clear_error();
	return rc;
}

/*
 * scepadm request show ID [--json]: a request in any state.  A PENDING
 * one is found by the short ID request list prints; any other needs the
 * full 64-digit key hash.
 */
static int
cmd_request_show(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const char *const states[] = { "?", "PENDING", "ISSUED",
	    "REJECTED" };
	struct conf		*conf = NULL;
	struct store		*st = NULL;
	struct store_req	*r = NULL;
	struct reqid		 id;
	struct store_reqkey	 key;
	X509_NAME		*name = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	GENERAL_NAMES		*gn = NULL;
	EVP_PKEY		*pk = NULL;
	json_t			*o = NULL, *arr;
	const unsigned char	*p;
	const char		*text;
	char			 buf[1024], hex[2 * STORE_HASH_LEN + 1];
	char			 sh[2 * STORE_SERIAL_MAX + 1];
	enum store_rc		 src;
	int			 json = 0, rc;
	const struct opt opts[] = { { "json", 'j', NULL, &json, NULL, NULL } };

	if ((rc = parse_opts1(c, argc, argv, opts, NELEM(opts), &text)) !=
	    EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if ((conf = load_conf(a)) == NULL || (st = open_store(conf)) == NULL)
		goto out;
	if (reqid_parse(text, &id) && id.keyhash_len == STORE_HASH_LEN) {
		memset(&key, 0, sizeof(key));
		memcpy(key.tenant, id.tenant, sizeof(key.tenant));
		memcpy(key.txid, id.txid, id.txid_len);
		key.txid_len = id.txid_len;
		memcpy(key.keyhash, id.keyhash, STORE_HASH_LEN);
		if ((src = store_req_get(st, &key, &r)) != STORE_OK) {
			if (src == STORE_NOTFOUND)
				warnx("no request %s", text);
			else
				store_warn(st, src, "reading the request");
			goto out;
		}
	} else if (!find_pending(st, text, &r)) {
		warnx("a request no longer PENDING needs its full ID, with "
		    "all 64 digits of the key hash");
		goto out;
	}

	if ((o = json_object()) == NULL)
		goto oom;
	reqid_text(&r->key, buf, sizeof(buf));
	hex_lower(r->key.keyhash, STORE_HASH_LEN, hex);
	if (!jset_str(o, "id", buf) || !jset_str(o, "tenant", r->key.tenant) ||
	    !jset_str(o, "key_hash", hex) ||
	    !jset_str(o, "state", states[r->state <= STORE_REQ_REJECTED ?
	    r->state : 0]) ||
	    !jset_str(o, "type", r->msgtype == MSGTYPE_RENEWALREQ ?
	    "RenewalReq" : "PKCSReq"))
		goto oom;
	p = r->subject;
	if ((name = d2i_X509_NAME(NULL, &p, (long)r->subject_len)) != NULL)
		(void)name_text(name, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "?");
	if (!jset_str(o, "subject", buf))
		goto oom;
	p = r->exts;
	if (r->exts_len > 0 && (exts = d2i_X509_EXTENSIONS(NULL, &p,
	    (long)r->exts_len)) != NULL && (gn = X509V3_get_d2i(exts,
	    NID_subject_alt_name, NULL, NULL)) != NULL) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(o, "sans", arr) != 0 ||
		    !sans_json(gn, arr))
			goto oom;
	}
	p = r->pubkey;
	if ((pk = d2i_PUBKEY(NULL, &p, (long)r->pubkey_len)) != NULL)
		key_desc(pk, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "?");
	(void)log_escape(r->client_addr, strnlen(r->client_addr,
	    sizeof(r->client_addr)), sh, sizeof(sh));
	if (!jset_str(o, "key", buf) ||
	    !jset_str(o, "challenge", r->challenge_ok ? "passed" :
	    "not passed") ||
	    !jset_str(o, "client", sh[0] != '\0' ? sh : "-") ||
	    !jset_time(o, "created", r->created) ||
	    !jset_time(o, "updated", r->updated) ||
	    (r->delivered != 0 && !jset_time(o, "delivered", r->delivered)))
		goto oom;
	if (r->renewal) {
		serial_hex(r->renew_serial, r->renew_serial_len, sh);
		if (!jset_str(o, "renews", sh))
			goto oom;
	}
	if (r->state == STORE_REQ_ISSUED) {
		serial_hex(r->serial, r->serial_len, sh);
		if (!jset_str(o, "serial", sh))
			goto oom;
	}
	if (r->state == STORE_REQ_REJECTED) {
		(void)log_escape(r->reason, strnlen(r->reason,
		    sizeof(r->reason)), buf, sizeof(buf));
		if (!jset_str(o, "reason", buf))
			goto oom;
	}
	if (!print_obj(o, json)) {
		warn("stdout");
		goto out;
	}
	rc = EXIT_OK;
	goto out;
oom:
	warnx("out of memory");
out:
	json_decref(o);
	EVP_PKEY_free(pk);
	GENERAL_NAMES_free(gn);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(name);
	store_req_free(r);
	store_close(st);
	conf_free(conf);
	ERR_clear_error();
	return rc;
}

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
static int
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
		{ "challenge", 0, &chal, NULL, NULL, NULL },
		{ "keysize", 0, &ks, NULL, NULL, NULL },
		{ "name", 0, &name, NULL, NULL, NULL },
		{ "otp", 0, NULL, &use_otp, NULL, NULL },
		{ "output", 'o', &out, NULL, NULL, NULL },
		{ "san", 0, NULL, NULL, san, &nsan },
		{ "sign-cert", 0, &scert, NULL, NULL, NULL },
		{ "sign-key", 0, &skey, NULL, NULL, NULL },
		{ "subject", 0, &subj, NULL, NULL, NULL },
		{ "ttl", 0, &ttls, NULL, NULL, NULL },
		{ "url", 0, &url, NULL, NULL, NULL },
	};

	memset(&m, 0, sizeof(m));
	if ((rc = parse_opts1(c, argc, argv, opts, NELEM(opts), &tenant)) !=
	    EXIT_OK)
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
	if (out != NULL) {
		if (!write_new_file(out, data, (size_t)len, 0600, (gid_t)-1))
			goto out;
	} else if (fwrite(data, 1, (size_t)len, stdout) != (size_t)len ||
	    fflush(stdout) != 0) {
		warn("stdout");
		goto out;
	}
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

/*
 * challenge create|list|revoke: one-time challenge passwords
 * (challenge = otp, src/otp.c).  A password is printed once by create
 * and never stored: list shows ids, states and bindings only.
 */

/* Most passwords one challenge create makes. */
#define CHALLENGE_COUNT_MAX	1000
/* Default and largest lifetime of a one-time challenge. */
#define CHALLENGE_TTL_DEFAULT	3600
#define CHALLENGE_TTL_MAX	(365LL * 86400)

/*
 * A duration: a number with an optional unit s, m, h or d (seconds by
 * default), from 1 second to max.  Returns 1 with *out, or 0.
 */
static int
parse_ttl(const char *s, long long max, time_t *out)
{
	char		 num[32];
	size_t		 len;
	long long	 v, mul = 1;

	len = strlen(s);
	if (len == 0 || len >= sizeof(num))
		return 0;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'd':
		mul *= 24;
		/* FALLTHROUGH */
	case 'h':
		mul *= 60;
		/* FALLTHROUGH */
	case 'm':
		mul *= 60;
		/* FALLTHROUGH */
	case 's':
		num[len - 1] = '\0';
		break;
	default:
		break;
	}
	if (!parse_num(num, 1, max, &v) || v > max / mul)
		return 0;
	*out = (time_t)(v * mul);
	return 1;
}

/*
 * scepadm challenge create TENANT [--ttl D] [--subject DN] [--count N]
 * [--json]: make N one-time passwords and print them with their ids.
 */
static int
cmd_challenge_create(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const struct option lo[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "subject", required_argument, NULL, 's' },
		{ "ttl", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct server		*s = NULL;
	const struct tenant	*t;
	json_t			*arr = NULL, *o;
	const char		*subject = NULL;
	char			 pw[OTP_PW_LEN + 1], id[OTP_ID_LEN + 1];
	char			 exp[32], err[1024];
	time_t			 ttl = CHALLENGE_TTL_DEFAULT, now;
	long long		 v, count = 1, i;
	int			 ch, json = 0, rc = EXIT_FAIL;

	memset(pw, 0, sizeof(pw));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hjn:s:t:", lo, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help(c);
		case 'j':
			json = 1;
			break;
		case 'n':
			if (!parse_num(optarg, 1, CHALLENGE_COUNT_MAX, &v))
				return usage_err(c, "--count: 1 to %d",
				    CHALLENGE_COUNT_MAX);
			count = v;
			break;
		case 's':
			subject = optarg;
			break;
		case 't':
			if (!parse_ttl(optarg, CHALLENGE_TTL_MAX, &ttl))
				return usage_err(c, "--ttl: 1s to 365d (a "
				    "number with s, m, h or d)");
			break;
		case ':':
			return usage_err(c, "%s needs a value",
			    argv[optind - 1]);
		default:
			return usage_err(c, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_err(c, argc == optind ? "the TENANT is missing" :
		    "too many arguments");

	if ((s = load_server(a)) == NULL)
		goto out;
	if ((t = server_tenant(s, argv[optind])) == NULL ||
	    *argv[optind] == '\0') {
		warnx("no tenant '%s' in %s", argv[optind], s->conf->path);
		goto out;
	}
	if (t->conf->challenge != CONF_CHALLENGE_OTP) {
		warnx("tenant %s does not use one-time challenges (set "
		    "challenge = otp and challenge_key)", t->conf->name);
		goto out;
	}
	if (json && (arr = json_array()) == NULL) {
		warnx("out of memory");
		goto out;
	}
	if (!json)
		printf("%-*s  %-*s  %s\n", OTP_ID_LEN, "ID", OTP_PW_LEN,
		    "PASSWORD", "EXPIRES");
	now = time(NULL);
	iso_time(now + ttl, exp, sizeof(exp));
	for (i = 0; i < count; i++) {
		if (!otp_create(s, t, now, ttl, subject, pw, sizeof(pw), id,
		    sizeof(id), err, sizeof(err))) {
			warnx("%s", err);
			goto out;
		}
		if (!json)
			printf("%s  %s  %s\n", id, pw, exp);
		else if ((o = json_object()) == NULL ||
		    json_array_append_new(arr, o) != 0 ||
		    json_object_set_new(o, "id", json_string(id)) != 0 ||
		    json_object_set_new(o, "tenant",
		    json_string(t->conf->name)) != 0 ||
		    json_object_set_new(o, "password", json_string(pw)) != 0 ||
		    json_object_set_new(o, "expires", json_string(exp)) != 0 ||
		    (subject != NULL && json_object_set_new(o, "subject",
		    json_string(subject)) != 0)) {
			warnx("out of memory");
			goto out;
		}
		OPENSSL_cleanse(pw, sizeof(pw));
	}
	if (json) {
		if (json_dumpf(arr, stdout, JSON_INDENT(2)) != 0) {
			warnx("cannot write JSON");
			goto out;
		}
		putchar('\n');
	}
	if (fflush(stdout) != 0) {
		warn("stdout");
		goto out;
	}
	rc = EXIT_OK;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	json_decref(arr);
	server_free(s);
	ERR_clear_error();
	return rc;
}

/* One challenge as challenge list prints it. */
struct chrow {
	char	 id[STORE_CHALLENGE_IDTEXT_MAX + 1];
	char	 tenant[STORE_TENANT_MAX + 1];
	char	 state[16];
	char	 created[32];
	char	 expires[32];
	char	 subject[1024];
	char	 txn[REQID_MAX];
};

/* The rows collected by chlist_cb(), and the time that decides expiry. */
struct chrows {
	struct chrow	*v;
	size_t		 n, cap;
	int		 oom;
	time_t		 now;
};

/* store_challenge_list() callback: one challenge into a row. */
static int
chlist_cb(const struct store_challenge *ch, void *arg)
{
	struct chrows		*l = arg;
	struct chrow		*row;
	X509_NAME		*name;
	const unsigned char	*p;
	void			*nv;
	size_t			 ncap;

	if (l->n == l->cap) {
		ncap = l->cap ? l->cap * 2 : 16;
		if ((nv = reallocarray(l->v, ncap, sizeof(*l->v))) == NULL) {
			l->oom = 1;
			return 0;
		}
		l->v = nv;
		l->cap = ncap;
	}
	row = &l->v[l->n++];
	memset(row, 0, sizeof(*row));
	snprintf(row->id, sizeof(row->id), "%s", ch->id);
	snprintf(row->tenant, sizeof(row->tenant), "%s", ch->tenant);
	snprintf(row->state, sizeof(row->state), "%s",
	    ch->state == STORE_CHALLENGE_USED ? "used" :
	    ch->state == STORE_CHALLENGE_REVOKED ? "revoked" :
	    l->now >= ch->expires ? "expired" : "unused");
	iso_time(ch->created, row->created, sizeof(row->created));
	iso_time(ch->expires, row->expires, sizeof(row->expires));
	snprintf(row->subject, sizeof(row->subject), "-");
	if (ch->subject_len > 0) {
		p = ch->subject;
		if ((name = d2i_X509_NAME(NULL, &p,
		    (long)ch->subject_len)) == NULL)
			snprintf(row->subject, sizeof(row->subject), "?");
		else
			(void)name_text(name, row->subject,
			    sizeof(row->subject));
		X509_NAME_free(name);
	}
	if (ch->bound)
		reqid_text(&ch->req, row->txn, sizeof(row->txn));
	else
		snprintf(row->txn, sizeof(row->txn), "-");
	ERR_clear_error();
	return 1;
}

/* Print challenge rows as aligned text, or JSON; 1 or 0. */
static int
print_chrows(const struct chrows *l, int json)
{
	static const char *const head[] = { "ID", "TENANT", "STATE",
	    "CREATED", "EXPIRES", "SUBJECT", "TRANSACTION" };
	json_t	*arr = NULL, *o;
	size_t	 w[6], i, k;
	int	 rc = 0;

	if (json) {
		if ((arr = json_array()) == NULL)
			goto out;
		for (i = 0; i < l->n; i++) {
			const struct chrow	*r = &l->v[i];

			if ((o = json_object()) == NULL ||
			    json_array_append_new(arr, o) != 0 ||
			    json_object_set_new(o, "id",
			    json_string(r->id)) != 0 ||
			    json_object_set_new(o, "tenant",
			    json_string(r->tenant)) != 0 ||
			    json_object_set_new(o, "state",
			    json_string(r->state)) != 0 ||
			    json_object_set_new(o, "created",
			    json_string(r->created)) != 0 ||
			    json_object_set_new(o, "expires",
			    json_string(r->expires)) != 0 ||
			    json_object_set_new(o, "subject",
			    strcmp(r->subject, "-") == 0 ? json_null() :
			    json_string(r->subject)) != 0 ||
			    json_object_set_new(o, "transaction",
			    strcmp(r->txn, "-") == 0 ? json_null() :
			    json_string(r->txn)) != 0)
				goto out;
		}
		if (json_dumpf(arr, stdout, JSON_INDENT(2)) != 0)
			goto out;
		putchar('\n');
		rc = 1;
		goto out;
	}
	rc = 1;
	if (l->n == 0)
		goto out;
	for (k = 0; k < 6; k++)
		w[k] = strlen(head[k]);
	for (i = 0; i < l->n; i++) {
		const char	*col[6] = { l->v[i].id, l->v[i].tenant,
		    l->v[i].state, l->v[i].created, l->v[i].expires,
		    l->v[i].subject };

		for (k = 0; k < 6; k++)
			if (text_width(col[k]) > w[k])
				w[k] = text_width(col[k]);
	}
	for (k = 0; k < 6; k++)
		print_col(head[k], w[k]);
	printf("%s\n", head[6]);
	for (i = 0; i < l->n; i++) {
		const char	*col[6] = { l->v[i].id, l->v[i].tenant,
		    l->v[i].state, l->v[i].created, l->v[i].expires,
		    l->v[i].subject };

		for (k = 0; k < 6; k++)
			print_col(col[k], w[k]);
		printf("%s\n", l->v[i].txn);
	}
out:
	json_decref(arr);
	return rc;
}

/* scepadm challenge list [--tenant T] [--json]. */
static int
cmd_challenge_list(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "tenant", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf	*conf = NULL;
	struct store	*st = NULL;
	struct chrows	 rows;
	const char	*tenant = NULL;
	enum store_rc	 src;
	int		 ch, json = 0, rc = EXIT_FAIL;

	memset(&rows, 0, sizeof(rows));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hjt:", lo, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help(c);
		case 'j':
			json = 1;
			break;
		case 't':
			tenant = optarg;
			break;
		case ':':
			return usage_err(c, "%s needs a value",
			    argv[optind - 1]);
		default:
			return usage_err(c, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_err(c, "too many arguments");

	if ((conf = load_conf(a)) == NULL)
		goto out;
	if (tenant != NULL && conf_tenant_find(conf, tenant) == NULL) {
		warnx("no tenant '%s' in %s", tenant, conf->path);
		goto out;
	}
	if ((st = open_store(conf)) == NULL)
		goto out;
	rows.now = time(NULL);
	if ((src = store_challenge_list(st, tenant, chlist_cb, &rows)) !=
	    STORE_OK) {
		store_warn(st, src, "listing challenges");
		goto out;
	}
	if (rows.oom) {
		warnx("out of memory");
		goto out;
	}
	if (!print_chrows(&rows, json)) {
		warnx("cannot write JSON");
		goto out;
	}
	if (fflush(stdout) != 0) {
		warn("stdout");
		goto out;
	}
	rc = EXIT_OK;
out:
	free(rows.v);
	store_close(st);
	conf_free(conf);
	return rc;
}

/* scepadm challenge revoke ID [--tenant T]: an unused challenge. */
static int
cmd_challenge_revoke(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "tenant", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf	*conf = NULL;
	struct store	*st = NULL;
	const char	*tenant = NULL, *id;
	enum store_rc	 src;
	int		 ch, rc = EXIT_FAIL;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":ht:", lo, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help(c);
		case 't':
			tenant = optarg;
			break;
		case ':':
			return usage_err(c, "%s needs a value",
			    argv[optind - 1]);
		default:
			return usage_err(c, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_err(c, argc == optind ? "the challenge ID is "
		    "missing" : "too many arguments");
	id = argv[optind];

	if ((conf = load_conf(a)) == NULL)
		goto out;
	if (tenant != NULL && conf_tenant_find(conf, tenant) == NULL) {
		warnx("no tenant '%s' in %s", tenant, conf->path);
		goto out;
	}
	if ((st = open_store(conf)) == NULL)
		goto out;
	src = store_challenge_revoke(st, tenant, id);
	if (src == STORE_NOTFOUND || src == STORE_INVAL)
		warnx("no challenge '%s'%s%s", id, tenant != NULL ?
		    " in tenant " : "", tenant != NULL ? tenant : "");
	else if (src == STORE_STATE)
		warnx("challenge %s: %s", id, store_errstr(st));
	else if (src != STORE_OK)
		store_warn(st, src, "revoking the challenge");
	else {
		printf("Challenge %s revoked\n", id);
		rc = EXIT_OK;
	}
out:
	store_close(st);
	conf_free(conf);
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

	if (t->next_ca_key != NULL && t->rollover_at <= now) {
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
		    "previous_ca_cert and previous_ca_key from its section "
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
 * and RA as the current ones and keep the old CA as previous_ca_*.  The
 * workers, already switched, reload into the same state.
 */
static int
rollover_finish(const struct adm *a, const struct conf_tenant *t, time_t now)
{
	struct conf_kv	 kv[11];
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
static int
cmd_ca_rollover(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	const char			*name = NULL, *at = NULL, *in = NULL;
	const char			*days_s = NULL;
	int				 finish = 0;
	const struct opt		 o[] = {
		{ "at", 0, &at, NULL, NULL, NULL },
		{ "days", 0, &days_s, NULL, NULL, NULL },
		{ "finish", 0, NULL, &finish, NULL, NULL },
		{ "in", 0, &in, NULL, NULL, NULL },
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
	if ((rc = parse_opts1(c, argc, argv, o, NELEM(o), &name)) != EXIT_OK)
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

/* The command table, in the order scepadm --help lists it. */
static const struct cmd cmds[] = {
	{ "tenant", "create", cmd_tenant_create, "NAME [options]",
	    "Create a tenant: a root CA, its RA, their files and a section "
	    "of scepd.conf",
	    "  --allow-des            accept single DES (micromdm scepclient "
	    "2.1.0)\n"
	    "  --approval auto|manual who approves first enrolments "
	    "(default auto)\n"
	    "  --bits N               RSA CA key size, 2048 to 4096 "
	    "(default 2048)\n"
	    "  --challenge static|otp|none  challenge mode (default "
	    "static)\n"
	    "  --curve P-256|P-384    EC CA curve with --key ec (default "
	    "P-256)\n"
	    "  --database DIR         database directory, for a new "
	    "configuration file\n"
	    "  --days N               CA and RA validity in days (default "
	    "7300)\n"
	    "  --dir DIR              where the keys and certificates go\n"
	    "                         (default /etc/scepd/NAME, or NAME next "
	    "to the configuration)\n"
	    "  --group GROUP          group of the files (the worker's "
	    "group)\n"
	    "  --key rsa|ec           CA key type (default rsa)\n"
	    "  --no-ra                no RA: the RSA CA signs and decrypts "
	    "SCEP messages itself\n"
	    "  --open-enrolment       allow --challenge none with --approval "
	    "auto\n"
	    "  --password PW          the static challenge (default: a "
	    "random one, printed once)\n"
	    "  --pathlen N            basicConstraints pathLenConstraint "
	    "(default 0)\n"
	    "  --subject DN           CA subject, /CN=name/O=org (default "
	    "/CN=NAME SCEP CA)\n"
	    "  --user USER            owner of a new database (the worker's "
	    "user)\n" },
	{ "tenant", "import", cmd_tenant_import,
	    "NAME --ca-cert F --ca-key F --ra-cert F --ra-key F [options]",
	    "Import an existing CA (an intermediate, say) and its RA as a "
	    "tenant",
	    "  --approval auto|manual who approves first enrolments "
	    "(default auto)\n"
	    "  --ca-cert FILE         the CA certificate (PEM)\n"
	    "  --ca-key FILE          its private key (PEM, unencrypted)\n"
	    "  --chain FILE           certificates above the CA (PEM), served "
	    "in GetCACert\n"
	    "  --dir DIR              where the copies go (default as for "
	    "tenant create)\n"
	    "  --group GROUP          group of the files (the worker's "
	    "group)\n"
	    "  --password PW          the static challenge (default: a "
	    "random one, printed once)\n"
	    "  --ra-cert FILE         the RA certificate, issued by the CA "
	    "(RSA,\n"
	    "                         digitalSignature and keyEncipherment)\n"
	    "  --ra-key FILE          its private key\n" },
	{ "tenant", "list", cmd_tenant_list, "[--json]",
	    "List the tenants with their modes and CA",
	    "  --json                 print a JSON array\n" },
	{ "tenant", "show", cmd_tenant_show, "NAME [--json]",
	    "Show a tenant's settings (no secrets) and its CA and RA",
	    "  --json                 print a JSON object\n" },
	{ "tenant", "check", cmd_tenant_check, "NAME",
	    "Report what real clients would reject; exit 1 if anything",
	    "" },
	{ "ca", "rollover", cmd_ca_rollover,
	    "NAME [--at TIME | --in DUR] [--days N] | NAME --finish",
	    "Make the next CA and RA, served by GetNextCACert until they "
	    "switch",
	    "  --at TIME              switch at this UTC time, "
	    "YYYY-MM-DDTHH:MM:SSZ\n"
	    "  --days N               next CA and RA validity in days "
	    "(default 7300)\n"
	    "  --finish               after the switch: the new CA and RA "
	    "become ca_* and ra_*,\n"
	    "                         the old CA previous_ca_*\n"
	    "  --in DUR               switch after DUR: 30d (default), 12h, "
	    "90s, 2w\n" },
	{ "issue", NULL, cmd_issue, "TENANT --csr FILE [--days N] [-o FILE]",
	    "Sign a CSR outside SCEP under the tenant's policy and record it",
	    "  --csr FILE             the PKCS#10 request (PEM or DER)\n"
	    "  --days N               validity in days (default: the "
	    "tenant's validity)\n"
	    "  -o, --output FILE      write the PEM to the new FILE, not "
	    "stdout\n" },
	{ "request", "list", cmd_request_list, "[--json] [--tenant T]",
	    "List the PENDING requests",
	    "  --json                 print a JSON array\n"
	    "  --tenant T             only the requests of tenant T\n" },
	{ "request", "approve", cmd_request_approve, "ID",
	    "Issue the certificate a PENDING request asks for and print its "
	    "serial",
	    "" },
	{ "request", "reject", cmd_request_reject, "ID [--reason TEXT]",
	    "Reject a PENDING request",
	    "  --reason TEXT          the reason kept with the request\n" },
	{ "request", "show", cmd_request_show, "ID [--json]",
	    "Show a request: a PENDING one by its listed ID, any other by "
	    "its full ID",
	    "  --json                 print a JSON object\n" },
	{ "cert", "revoke", cmd_cert_revoke,
	    "SERIAL [--tenant T] [--reason REASON]",
	    "Revoke a certificate and regenerate its tenant's CRL",
	    "  --reason REASON        unspecified (default), keyCompromise, "
	    "cACompromise,\n"
	    "                         affiliationChanged, superseded, "
	    "cessationOfOperation,\n"
	    "                         privilegeWithdrawn or aACompromise\n"
	    "  --tenant T             the tenant (needed only when several "
	    "hold the serial)\n" },
	{ "cert", "list", cmd_cert_list,
	    "[--json] [--tenant T] [--expiring DUR] [--subject TEXT]",
	    "List the stored certificates (with the RA's) by notAfter",
	    "  --expiring DUR         only valid ones expiring within DUR "
	    "(30d, 12h, 2w)\n"
	    "  --json                 print a JSON array\n"
	    "  --subject TEXT         only subjects containing TEXT (any "
	    "case)\n"
	    "  --tenant T             only the certificates of tenant T\n" },
	{ "cert", "show", cmd_cert_show, "SERIAL [--tenant T] [--json]",
	    "Show a stored certificate",
	    "  --json                 print a JSON object\n"
	    "  --tenant T             the tenant (needed only when several "
	    "hold the serial)\n" },
	{ "cert", "export", cmd_cert_export, "SERIAL [--tenant T] [-o FILE]",
	    "Write a stored certificate as PEM",
	    "  -o, --output FILE      write it to the new FILE, not stdout\n"
	    "  --tenant T             the tenant (needed only when several "
	    "hold the serial)\n" },
	{ "mobileconfig", NULL, cmd_mobileconfig,
	    "TENANT --url URL [options]",
	    "Write an Apple configuration profile (SCEP and root payloads)",
	    "  --challenge PW         the challenge (default: the tenant's "
	    "static one)\n"
	    "  --keysize N            RSA key size, 1024, 2048 or 4096 "
	    "(default 2048)\n"
	    "  --name NAME            the Name key, sent as message= "
	    "(default TENANT)\n"
	    "  -o, --output FILE      write it to the new FILE (0600), not "
	    "stdout\n"
	    "  --otp                  a fresh one-time challenge in the "
	    "profile\n"
	    "  --san TYPE:VALUE       a subjectAltName: dns:, email:, uri: "
	    "or upn: (repeatable)\n"
	    "  --sign-cert FILE       sign the profile (CMS) with this "
	    "certificate ...\n"
	    "  --sign-key FILE        ... and this key\n"
	    "  --subject DN           CN=x,O=y or /CN=x/O=y\n"
	    "  --ttl DUR              lifetime of the --otp challenge "
	    "(default 7d)\n"
	    "  --url URL              the SCEP URL devices enrol at\n" },
	{ "challenge", "create", cmd_challenge_create,
	    "TENANT [--ttl D] [--subject DN] [--count N] [--json]",
	    "Make one-time challenge passwords (challenge = otp) and print "
	    "them once",
	    "  --count N              how many, 1 to 1000 (default 1)\n"
	    "  --json                 print a JSON array\n"
	    "  --subject DN           only for a CSR with this subject, "
	    "/CN=name/O=org\n"
	    "  --ttl D                lifetime: N, Ns, Nm, Nh or Nd "
	    "(default 1h)\n" },
	{ "challenge", "list", cmd_challenge_list, "[--json] [--tenant T]",
	    "List one-time challenges: id, state, expiry, binding (never "
	    "the password)",
	    "  --json                 print a JSON array\n"
	    "  --tenant T             only the challenges of tenant T\n" },
	{ "challenge", "revoke", cmd_challenge_revoke, "ID [--tenant T]",
	    "Revoke an unused one-time challenge",
	    "  --tenant T             the tenant (default: whichever has "
	    "ID)\n" },
	{ "crl", NULL, cmd_crl, "TENANT [-o FILE] [--pem] [--previous]",
	    "Generate, sign and store a new CRL and write it out",
	    "  -o, --output FILE      write it to FILE (atomically); default "
	    "stdout,\n"
	    "                         unless that is a terminal\n"
	    "  --pem                  PEM instead of DER\n"
	    "  --previous             the CRL of the CA the tenant rolled "
	    "over from\n" },
};

/* The list of commands, on f. */
static void
usage_all(FILE *f)
{
	char	 w[64];
	size_t	 i;

	fprintf(f, "usage: scepadm [-f file] command [arguments]\n\n"
	    "Commands:\n");
	for (i = 0; i < NELEM(cmds); i++) {
		cmd_words(&cmds[i], w, sizeof(w));
		fprintf(f, "  %s %s\n", w, cmds[i].synopsis);
	}
	fprintf(f, "\nEvery command takes --help.  The configuration is -f "
	    "file, else $%s,\nelse %s.\n", CONF_PATH_ENV, CONF_PATH_DEFAULT);
}

/*
 * scepadm [-f file] command [arguments]: find the command in cmds[] and
 * run it.  Returns the command's exit status (EXIT_OK, EXIT_FAIL or
 * EXIT_USAGE).
 */
int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct adm	 a;
	const char	*group, *name = NULL;
	size_t		 i;
	int		 ch, known = 0, rc;

	/* Modes come out as asked for (keys are created 0640 anyway). */
	umask(022);
	memset(&a, 0, sizeof(a));
	if ((a.conf_path = getenv(CONF_PATH_ENV)) == NULL ||
	    *a.conf_path == '\0')
		a.conf_path = CONF_PATH_DEFAULT;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:f:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'f':
			a.conf_path = optarg;
			break;
		case 'h':
			usage_all(stdout);
			return EXIT_OK;
		case ':':
			warnx("%s needs a value", argv[optind - 1]);
			usage_all(stderr);
			return EXIT_USAGE;
		default:
			warnx("unknown option %s", argv[optind - 1]);
			usage_all(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage_all(stderr);
		return EXIT_USAGE;
	}
	group = argv[0];
	if (strcmp(group, "help") == 0) {
		usage_all(stdout);
		return EXIT_OK;
	}
	if (!scep_init()) {
		warnx("cannot initialise the SCEP library");
		return EXIT_FAIL;
	}
	log_open(NULL, "scepadm");

	/* "group name args" or "group args" (crl). */
	for (i = 0; i < NELEM(cmds); i++) {
		if (strcmp(cmds[i].group, group) != 0)
			continue;
		known = 1;
		if (cmds[i].name == NULL)
			break;
		if (argc > 1 && strcmp(cmds[i].name, argv[1]) == 0) {
			name = argv[1];
			break;
		}
	}
	if (i == NELEM(cmds)) {
		if (!known)
			warnx("unknown command '%s'", group);
		else if (argc > 1 && strcmp(argv[1], "--help") != 0 &&
		    strcmp(argv[1], "-h") != 0)
			warnx("unknown command '%s %s'", group, argv[1]);
		else if (argc > 1) {
			usage_all(stdout);
			return EXIT_OK;
		} else
			warnx("'%s' needs a subcommand", group);
		usage_all(stderr);
		log_close();
		return EXIT_USAGE;
	}
	/* The command sees its own word as argv[0]. */
	if (name != NULL) {
		argc--;
		argv++;
	}
	rc = cmds[i].fn(&a, &cmds[i], argc, argv);
	log_close();
	return rc;
}
