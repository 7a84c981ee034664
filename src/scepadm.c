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
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
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
	int		 challenge;	/* CONF_CHALLENGE_STATIC or _NONE */
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
			else
				return usage_err(c, "--challenge: static or "
				    "none");
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
	if (o->challenge == CONF_CHALLENGE_NONE && o->password != NULL)
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
    const char *password, struct conf_kv *kv)
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
	struct signer		*casigner = NULL;
	struct conf_kv		 kv[12];
	EVP_PKEY		*cakey = NULL, *rakey = NULL;
	X509			*cacert = NULL, *racert = NULL;
	X509_NAME		*subj = NULL, *rasubj = NULL;
	char			*confpath = NULL, *confdir = NULL, *dir = NULL;
	char			*database = NULL;
	char			*paths[TF__MAX] = { NULL };
	char			 pwbuf[CHALLENGE_LEN + 1], err[1024];
	char			 fp[96], desc[80], cn[128], hex[65];
	const char		*password = NULL;
	uint8_t			 md[32], ramd[32];
	gid_t			 gid = (gid_t)-1;
	time_t			 now;
	size_t			 i, n;
	int			 rc, done[TF__MAX] = { 0 }, dir_made = 0;
	int			 conf_made = 0, conf_exists;

	if ((rc = create_parse(c, argc, argv, &o)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	memset(&user, 0, sizeof(user));
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
	for (i = 0; i < TF__MAX; i++) {
		if (asprintf(&paths[i], "%s/%s", dir, tfile_names[i]) == -1) {
			paths[i] = NULL;
			warnx("out of memory");
			goto out;
		}
		if ((i == TF_CA_KEY || i == TF_CA_CRT || !o.no_ra) &&
		    exists(paths[i])) {
			warnx("%s exists: refusing to overwrite a tenant's "
			    "files", paths[i]);
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
	if ((cakey = ca_key_new(o.keytype, o.bits)) == NULL ||
	    (cacert = ca_root_new(cakey, subj, now, o.days, o.pathlen,
	    o.no_ra)) == NULL) {
		warnx("cannot create the CA key and certificate");
		goto out;
	}
	/* The RA: RSA-2048 under the CA, for SCEP messages. */
	if (!o.no_ra) {
		if ((rasubj = ra_subject(subj, o.name)) == NULL)
			goto out;
		if ((casigner = signer_new(cacert, cakey)) == NULL ||
		    (rakey = ca_key_new(CA_KEY_RSA, RA_BITS)) == NULL ||
		    (racert = ca_ra_new(casigner, rakey, rasubj, now,
		    o.days)) == NULL) {
			warnx("cannot create the RA key and certificate");
			goto out;
		}
	}

	/* Fingerprints now: nothing may fail once the config is written. */
	key_desc(cakey, desc, sizeof(desc));
	if (!ca_cert_fingerprint(cacert, md) ||
	    (racert != NULL && !ca_cert_fingerprint(racert, ramd))) {
		warnx("cannot compute the certificate fingerprints");
		goto out;
	}

	/* Files: keys 0640, certificates 0644, group --group. */
	if (!make_dir(dir, gid != (gid_t)-1 ? 0750 : 0755, gid, &dir_made))
		goto out;
	if (!write_key(paths[TF_CA_KEY], cakey, gid))
		goto out;
	done[TF_CA_KEY] = 1;
	if (!write_cert(paths[TF_CA_CRT], cacert, gid))
		goto out;
	done[TF_CA_CRT] = 1;
	if (!o.no_ra) {
		if (!write_key(paths[TF_RA_KEY], rakey, gid))
			goto out;
		done[TF_RA_KEY] = 1;
		if (!write_cert(paths[TF_RA_CRT], racert, gid))
			goto out;
		done[TF_RA_CRT] = 1;
	}

	/* The database, as its owner. */
	if (!prepare_store(database, conf != NULL ? conf->map_size : 0,
	    o.name, racert, &user))
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
	n = create_kv(&o, paths, password, kv);
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
	fp_colons(md, fp);
	printf("CA certificate: %s (%s)\n", paths[TF_CA_CRT], desc);
	printf("CA SHA-256 fingerprint: %s\n", fp);
	if (racert != NULL) {
		fp_colons(ramd, fp);
		printf("RA certificate: %s (RSA %d)\n", paths[TF_RA_CRT],
		    RA_BITS);
		printf("RA SHA-256 fingerprint: %s\n", fp);
	}
	if (password != NULL)
		printf("Challenge: %s\n", password);
	else
		printf("Challenge mode: none\n");
	printf("Approval: %s\n",
	    o.approval == CONF_APPROVAL_MANUAL ? "manual" : "auto");
	if (password != NULL && o.password == NULL)
		printf("Note: the challenge password is shown only this once; "
		    "it is kept in %s.\n", confpath);
	if (o.keytype != CA_KEY_RSA && racert != NULL) {
		hex_lower(ramd, sizeof(ramd), hex);
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
		if (dir_made)
			(void)rmdir(dir);
	}
	OPENSSL_cleanse(pwbuf, sizeof(pwbuf));
	conf_free(conf);
	signer_free(casigner);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(rakey);
	X509_free(cacert);
	X509_free(racert);
	X509_NAME_free(subj);
	X509_NAME_free(rasubj);
	free(confpath);
	free(confdir);
	free(dir);
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
 * Generate, sign and store a new CRL of t (crl_generate()); when a
 * newer one was stored meanwhile (another scepadm or a worker), take
 * that one.  The DER goes to out.  Returns 1, or 0 after a message.
 */
static int
new_crl(struct server *s, const struct tenant *t, struct scep_buf *out)
{
	struct store_crl	*sc = NULL;
	enum store_rc		 src;
	int			 rc = 0;

	src = crl_generate(s, t, time(NULL), out);
	if (src == STORE_STALE) {
		if ((src = store_crl_get(s->store, t->conf->name, &sc)) ==
		    STORE_OK && !scep_buf_set(out, sc->der, sc->der_len))
			src = STORE_ERROR;
	}
	if (src != STORE_OK) {
		store_warn(s->store, src, "generating the CRL");
		goto out;
	}
	rc = 1;
out:
	store_crl_free(sc);
	return rc;
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
	if (!new_crl(s, t, &crl)) {
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
};

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
static int
cmd_cert_list(const struct adm *a, const struct cmd *c, int argc,
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
	struct certrows	 rows;
	const char	*tenant = NULL;
	enum store_rc	 src;
	size_t		 i;
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
	/* Every notAfter there is: the expiry index covers them all. */
	for (i = 0; i < conf->ntenants; i++) {
		if (tenant != NULL &&
		    strcmp(conf->tenants[i]->name, tenant) != 0)
			continue;
		if ((src = store_certs_expiring(st, conf->tenants[i]->name,
		    (time_t)INT64_MIN, (time_t)INT64_MAX, certlist_cb,
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
		{ NULL, 0, NULL, 0 }
	};
	struct server		*s = NULL;
	const struct tenant	*t;
	struct scep_buf		 crl;
	const unsigned char	*p;
	X509_CRL		*x = NULL;
	BIO			*b = NULL;
	const char		*outfile = NULL;
	char			*data;
	long			 len;
	int			 ch, pem = 0, rc = EXIT_FAIL;

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
	if (!new_crl(s, t, &crl))
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
 * The command table.  Later commands (tenant import|list|show|check,
 * request show, cert show|export, challenge, mobileconfig, issue,
 * ca rollover) slot in here.
 */
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
	    "  --challenge static|none  challenge mode (default static)\n"
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
	{ "cert", "list", cmd_cert_list, "[--json] [--tenant T]",
	    "List the stored certificates (with the RA's) by notAfter",
	    "  --json                 print a JSON array\n"
	    "  --tenant T             only the certificates of tenant T\n" },
	{ "crl", NULL, cmd_crl, "TENANT [-o FILE] [--pem]",
	    "Generate, sign and store a new CRL and write it out",
	    "  -o, --output FILE      write it to FILE (atomically); default "
	    "stdout,\n"
	    "                         unless that is a terminal\n"
	    "  --pem                  PEM instead of DER\n" },
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
