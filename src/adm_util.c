/*
 * adm_util.c: the helpers every scepadm command shares (src/adm.h):
 * messages and option parsing (parse_opts()), numbers, durations,
 * serials, DNs and hex, times, files (new with exact modes, or replaced
 * atomically), the configuration and the store opened as the database
 * owner (INTEROP.md 6.4), reading certificates and keys, and JSON or
 * text output (print_obj(), print_table()).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <jansson.h>

#include "src/extern.h"
#include "src/store.h"
#include "src/server.h"
#include "src/adm.h"

/*
 * Messages and options.
 */

/* The command's words for messages: "tenant create" or "crl". */
void
cmd_words(const struct cmd *c, char *buf, size_t bufsz)
{
	if (c->name != NULL)
		snprintf(buf, bufsz, "%s %s", c->group, c->name);
	else
		snprintf(buf, bufsz, "%s", c->group);
}

/* A usage error: the synopsis on stderr; returns EXIT_USAGE. */
int
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
int
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
 * getopt_long(3) over the table o (n entries) and --help, then, when
 * arg is not NULL, exactly one operand into *arg; missing is the
 * message when it is absent (NULL: "an argument is missing").  Values
 * with a check are checked as they are met.  Returns EXIT_OK, -1 for
 * --help, or EXIT_USAGE after a message.
 */
int
parse_opts(const struct cmd *c, int argc, char *argv[], const struct opt *o,
    size_t n, const char *missing, const char **arg)
{
	struct option	 lo[OPTS_MAX + 2];
	char		 so[3 * OPTS_MAX + 4];
	size_t		 i, sl = 0;
	int		 ch, idx, rc, npos = arg != NULL ? 1 : 0;

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
		if (o[idx].flag != NULL) {
			*o[idx].flag = 1;
			continue;
		}
		if (o[idx].check != NULL &&
		    (rc = o[idx].check(c, optarg, o[idx].arg)) != EXIT_OK)
			return rc;
		if (o[idx].multi != NULL) {
			if (*o[idx].nmulti == MULTI_MAX)
				return usage_err(c, "--%s: at most %d",
				    o[idx].name, MULTI_MAX);
			o[idx].multi[(*o[idx].nmulti)++] = optarg;
		} else if (o[idx].val != NULL)
			*o[idx].val = optarg;
	}
	if (argc - optind < npos)
		return usage_err(c, "%s", missing != NULL ? missing :
		    "an argument is missing");
	if (argc - optind > npos)
		return usage_err(c, "too many arguments");
	if (arg != NULL)
		*arg = argv[optind];
	return EXIT_OK;
}

/*
 * Values: numbers, durations, hex, serials, times, names, keys.
 */

/*
 * Read a decimal integer in [min, max] from s (the whole string).
 * Returns 1 with *out set, or 0.
 */
int
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

/*
 * Read a duration "30d", "12h", "90m", "2w" or plain seconds into
 * *out.  Returns 1, or 0 when malformed or over ten years.
 */
int
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

/*
 * A serial number as printed everywhere by scepadm: upper-case hex of
 * its big-endian magnitude, two digits a byte, as openssl x509 -serial
 * prints it.  out holds 2 * STORE_SERIAL_MAX + 1 bytes.
 */
void
serial_hex(const uint8_t *p, size_t len, char *out)
{
	hex_upper(p, len, out);
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
int
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
int
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

/*
 * The serial of x as scepadm prints it (serial_hex()) into out.
 * Returns 1 or 0.
 */
int
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

/* A time as ISO 8601 UTC ("2024-05-01T12:00:00Z"); buf >= 21 bytes. */
void
iso_time(time_t t, char *buf, size_t bufsz)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, bufsz, "%lld", (long long)t);
}

/* An ASN1_TIME as time_t; 1 or 0. */
int
asn1_time(const ASN1_TIME *a, time_t *out)
{
	struct tm	 tm;

	if (!ASN1_TIME_to_tm(a, &tm))
		return 0;
	*out = timegm(&tm);
	return 1;
}

/*
 * A Name as RFC 2253 text into buf: UTF-8, with RFC 2253 specials and
 * control characters escaped by OpenSSL (ASN1_STRFLGS_ESC_CTRL), so the
 * text is safe on a terminal and valid in JSON.  Returns 1, or 0 (buf
 * then holds "?").
 */
int
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
	if (len < 0 || (size_t)len >= bufsz ||
	    memchr(p, '\0', (size_t)len) != NULL)
		goto out;
	memcpy(buf, p, (size_t)len);
	buf[len] = '\0';
	rc = 1;
out:
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

/*
 * A subject in the form of openssl req -subj, read by dn_parse()
 * (text.c).  Returns a new name (X509_NAME_free()) or NULL after a
 * message on stderr.
 */
X509_NAME *
parse_dn(const char *s)
{
	X509_NAME	*n;
	char		 err[256];

	if ((n = dn_parse(s, err, sizeof(err))) == NULL)
		warnx("%s", err);
	return n;
}

/* "RSA 2048", "EC P-256" for a key. */
void
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
 * Files.
 */

/* Whether path exists (or cannot be checked: errno other than ENOENT). */
int
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
int
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
 * Write len bytes of buf to the new file path with mode (write_new_file())
 * or, when path is NULL, to stdout, flushed.  Returns 1, or 0 after a
 * message.
 */
int
write_out(const char *path, const void *buf, size_t len, mode_t mode)
{
	if (path != NULL)
		return write_new_file(path, buf, len, mode, (gid_t)-1);
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
		warn("stdout");
		return 0;
	}
	return 1;
}

/*
 * Write the file at path through a temporary file in the same directory
 * and rename(2), so that a reader (a web server publishing the CRL)
 * never sees half of it.  Mode 0644.  Returns 1, or 0 after a message.
 */
int
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

/* The first certificate of a PEM (or DER) file; NULL after a message. */
X509 *
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
STACK_OF(X509) *
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
EVP_PKEY *
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

/*
 * Privileges (INTEROP.md 6.4).
 */

/*
 * Who owns the database directory dbdir, when we are root and it is
 * not: the user to become before opening the store, so that LMDB's
 * files stay the worker's.  who->set is 0 when nothing is to be done.
 * Returns 1, or 0 after a message.
 */
int
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
struct store *
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
struct conf *
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
struct store *
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
struct server *
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

/*
 * Load the configuration into *conf, check that tenant (unless NULL) is
 * in it, and open its store into *st; the caller frees both (conf_free(),
 * store_close()), also on failure.  Returns 1, or 0 after a message.
 */
int
conf_store_open(const struct adm *a, const char *tenant, struct conf **conf,
    struct store **st)
{
	if ((*conf = load_conf(a)) == NULL)
		return 0;
	if (tenant != NULL && conf_tenant_find(*conf, tenant) == NULL) {
		warnx("no tenant '%s' in %s", tenant, (*conf)->path);
		return 0;
	}
	return (*st = open_store(*conf)) != NULL;
}

/* A store failure as a message: "what: meaning (detail)". */
void
store_warn(const struct store *st, enum store_rc rc, const char *what)
{
	const char	*d = store_errstr(st);

	if (d != NULL && *d != '\0')
		warnx("%s: %s (%s)", what, store_rc_str(rc), d);
	else
		warnx("%s: %s", what, store_rc_str(rc));
}

/*
 * Output: JSON objects, or text; tables and the list commands.
 */

/* Set o[key] to the string s (NULL: nothing); 1 or 0. */
int
jset_str(json_t *o, const char *key, const char *s)
{
	if (s == NULL)
		return 1;
	return json_object_set_new(o, key, json_string(s)) == 0;
}

/* Set o[key] to the time t as ISO 8601; 1 or 0. */
int
jset_time(json_t *o, const char *key, time_t t)
{
	char	 buf[32];

	iso_time(t, buf, sizeof(buf));
	return jset_str(o, key, buf);
}

/*
 * The facts about certificate x into o, each key prefixed by pfx
 * ("ca_", "ra_" or ""): subject, issuer, serial, validity, SHA-256 and
 * SHA-1 fingerprints (Apple's CAFingerprint is the SHA-1), key type.
 * Returns 1 or 0.
 */
int
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

/* The SANs of GENERAL_NAMES gn as "DNS:x" strings into array a; 1/0. */
int
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

/*
 * Print the object o: JSON, or one "key: value" line per member (in
 * insertion order; arrays joined by ", ").  Returns 1, or 0 after a
 * message.
 */
int
print_obj(json_t *o, int json)
{
	const char	*key;
	json_t		*v, *e;
	size_t		 i;

	if (json) {
		if (json_dumpf(o, stdout, JSON_INDENT(2)) != 0)
			goto fail;
		putchar('\n');
		goto flush;
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
flush:
	if (fflush(stdout) == 0)
		return 1;
fail:
	warn("stdout");
	return 0;
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

/*
 * The text of a table cell, member key of row: a string as it is, a
 * boolean as "yes" or "no", anything else (absent, null) as "-".
 */
static const char *
cell(json_t *row, const char *key)
{
	json_t	*v = json_object_get(row, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	return "-";
}

/*
 * Print the array of objects a: JSON, or aligned columns of the members
 * keys[] (cell()) under the headings head[] (n columns, the last one
 * not padded; nothing at all for no rows).  stdout is not flushed: the
 * caller does, and says what failed.  Returns 1, or 0 when the JSON
 * could not be written.
 */
int
print_table(json_t *a, const char *const keys[], const char *const head[],
    size_t n, int json)
{
	size_t		 w[8], i, k;
	json_t		*row;

	if (n == 0 || n > NELEM(w))
		abort();
	if (json) {
		if (json_dumpf(a, stdout, JSON_INDENT(2)) != 0)
			return 0;
		putchar('\n');
		return 1;
	}
	if (json_array_size(a) == 0)
		return 1;
	for (k = 0; k < n; k++)
		w[k] = strlen(head[k]);
	json_array_foreach(a, i, row)
		for (k = 0; k < n; k++)
			if (text_width(cell(row, keys[k])) > w[k])
				w[k] = text_width(cell(row, keys[k]));
	for (k = 0; k + 1 < n; k++)
		print_col(head[k], w[k]);
	printf("%s\n", head[n - 1]);
	json_array_foreach(a, i, row) {
		for (k = 0; k + 1 < n; k++)
			print_col(cell(row, keys[k]), w[k]);
		printf("%s\n", cell(row, keys[n - 1]));
	}
	return 1;
}

/*
 * A new row of a table: an empty object appended to the array rows,
 * which owns it.  Returns the object (borrowed), or NULL when out of
 * memory.
 */
json_t *
row_new(json_t *rows)
{
	json_t	*o;

	if ((o = json_object()) == NULL || json_array_append_new(rows, o) != 0)
		return NULL;
	return o;
}

/*
 * Open what a list command works on, l (zeroed by the caller): the
 * configuration, in which tenant (unless NULL) must be; the store; an
 * empty array of rows.  Returns 1, or 0 after a message (list_close()
 * frees what was made either way).
 */
int
list_open(const struct adm *a, const char *tenant, struct listing *l)
{
	if (!conf_store_open(a, tenant, &l->conf, &l->st))
		return 0;
	if ((l->rows = json_array()) == NULL) {
		warnx("out of memory");
		return 0;
	}
	return 1;
}

/*
 * Print the rows of l (print_table() with keys, head, n and json) and
 * flush stdout.  Returns EXIT_OK, or EXIT_FAIL after a message (also
 * when the callback ran out of memory).
 */
int
list_print(struct listing *l, const char *const keys[],
    const char *const head[], size_t n, int json)
{
	if (l->oom) {
		warnx("out of memory");
		return EXIT_FAIL;
	}
	if (!print_table(l->rows, keys, head, n, json)) {
		warnx("cannot write JSON");
		return EXIT_FAIL;
	}
	if (fflush(stdout) != 0) {
		warn("stdout");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/*
 * A list command whose options are --json and --tenant T (request list,
 * challenge list): list_open(), collect(l, T or NULL) to add the rows
 * (1, or 0 after a message), then list_print() of keys under head (n
 * columns).  Returns an exit status.
 */
int
list_cmd(const struct adm *a, const struct cmd *c, int argc, char *argv[],
    int (*collect)(struct listing *, const char *),
    const char *const keys[], const char *const head[], size_t n)
{
	struct listing	 l;
	const char	*tenant = NULL;
	int		 json = 0, rc;
	const struct opt opts[] = {
		{ .name = "json", .shortc = 'j', .flag = &json },
		{ .name = "tenant", .shortc = 't', .val = &tenant },
	};

	memset(&l, 0, sizeof(l));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    NULL)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if (list_open(a, tenant, &l) && collect(&l, tenant))
		rc = list_print(&l, keys, head, n, json);
	list_close(&l);
	return rc;
}

/* Free what list_open() made in l. */
void
list_close(struct listing *l)
{
	json_decref(l->rows);
	store_close(l->st);
	conf_free(l->conf);
	memset(l, 0, sizeof(*l));
}
