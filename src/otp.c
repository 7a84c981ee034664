/*
 * otp.c: one-time challenge passwords (challenge = otp).
 *
 * A password is 20 characters of a 32-letter alphabet without look-
 * alikes (no 0/O, 1/I): 100 bits from RAND_bytes.  It is shown once
 * and never stored or logged: the store keeps only HMAC-SHA256 of it
 * under the tenant's challenge_key (a file of 32 or more random bytes
 * beside the tenant's keys), so that the database alone reveals nothing
 * usable.  Checking and consuming one is store_challenge_use(), called
 * by enroll.c; this file makes them and computes the keyed hash.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "scep/scep.h"
#include "src/extern.h"
#include "src/store.h"
#include "src/server.h"

/* The alphabet: 32 symbols, so a random byte & 31 is unbiased. */
static const char otp_alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/* Random bytes in an id (printed as twice as many hex digits). */
#define OTP_ID_BYTES	8
/* Attempts when an id or HMAC happens to be taken already. */
#define OTP_TRIES	4

/*
 * Read the challenge key file at path: OTP_KEY_MIN to OTP_KEY_MAX
 * bytes, used as they are as the HMAC key.  Returns 1 with *key (free
 * with otp_key_free()) and *len, or 0 with a message in err.
 */
int
otp_key_load(const char *path, uint8_t **key, size_t *len, char *err,
    size_t errsz)
{
	struct stat	 sb;
	uint8_t		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd = -1, rc = 0;

	*key = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size < OTP_KEY_MIN ||
	    sb.st_size > OTP_KEY_MAX) {
		snprintf(err, errsz, "%s: a challenge key is a file of %d to "
		    "%d random bytes", path, OTP_KEY_MIN, OTP_KEY_MAX);
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errsz, "%s: %s", path, n == 0 ?
			    "short read" : strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	*key = buf;
	*len = got;
	buf = NULL;
	rc = 1;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, (size_t)sb.st_size);
		free(buf);
	}
	if (fd != -1)
		close(fd);
	return rc;
}

/* Cleanse and free a key from otp_key_load(); NULL is allowed. */
void
otp_key_free(uint8_t *key, size_t len)
{
	if (key == NULL)
		return;
	OPENSSL_cleanse(key, len);
	free(key);
}

/*
 * Write a new challenge key of OTP_KEY_GEN random bytes to path, which
 * must not exist (O_EXCL), mode 0640 and group gid ((gid_t)-1: keep).
 * Returns 1, or 0 with a message in err.
 */
int
otp_key_generate(const char *path, gid_t gid, char *err, size_t errsz)
{
	uint8_t	 b[OTP_KEY_GEN];
	ssize_t	 n;
	int	 fd = -1, rc = 0;

	if (RAND_bytes(b, sizeof(b)) != 1) {
		snprintf(err, errsz, "random generator failed");
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0640)) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0640) == -1 ||
	    (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) == -1) ||
	    (n = write(fd, b, sizeof(b))) != (ssize_t)sizeof(b) ||
	    fsync(fd) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		(void)unlink(path);
		goto out;
	}
	rc = 1;
out:
	OPENSSL_cleanse(b, sizeof(b));
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * The keyed hash of a password: HMAC-SHA256(challenge_key, pw).
 * Returns 1, or 0 if t has no key or the MAC failed.
 */
int
otp_hmac(const struct tenant *t, const uint8_t *pw, size_t len,
    uint8_t out[STORE_HASH_LEN])
{
	size_t	 outlen = 0;

	if (t->otp_key == NULL || t->otp_key_len == 0)
		return 0;
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, t->otp_key,
	    t->otp_key_len, pw, len, out, STORE_HASH_LEN, &outlen) == NULL ||
	    outlen != STORE_HASH_LEN)
		return 0;
	return 1;
}

/*
 * A subject in the form of openssl req -subj (dn_parse(), text.c) as
 * Name DER.  Returns 1 with *der (OPENSSL_free()) and *len, or 0 with a
 * message in err.
 */
static int
subject_der(const char *s, unsigned char **der, size_t *len, char *err,
    size_t errsz)
{
	X509_NAME	*n;
	int		 l;

	*der = NULL;
	if ((n = dn_parse(s, err, errsz)) == NULL)
		return 0;
	l = i2d_X509_NAME(n, der);
	X509_NAME_free(n);
	if (l <= 0) {
		snprintf(err, errsz, "subject: cannot encode");
		return 0;
	}
	*len = (size_t)l;
	return 1;
}

/*
 * A fresh password of OTP_PW_LEN characters into pw (OTP_PW_LEN + 1
 * bytes).  Returns 1, or 0 if the random generator failed.
 */
static int
random_pw(char *pw)
{
	uint8_t	 b[OTP_PW_LEN];
	size_t	 i;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return 0;
	for (i = 0; i < OTP_PW_LEN; i++)
		pw[i] = otp_alphabet[b[i] & 31];
	pw[OTP_PW_LEN] = '\0';
	OPENSSL_cleanse(b, sizeof(b));
	return 1;
}

/*
 * Create one challenge for tenant t (challenge = otp), valid from now
 * for ttl seconds, bound to subject (openssl -subj form, NULL: any),
 * and store its HMAC.  The password goes to pw (pwsz >= OTP_PW_LEN + 1)
 * and its id to id (idsz >= OTP_ID_LEN + 1); the caller shows the
 * password once and cleanses it.  Returns 1, or 0 with a message in err
 * (never containing the password).
 */
int
otp_create(struct server *s, const struct tenant *t, time_t now, time_t ttl,
    const char *subject, char *pw, size_t pwsz, char *id, size_t idsz,
    char *err, size_t errsz)
{
	struct store_challenge	 c;
	unsigned char		*der = NULL;
	uint8_t			 rb[OTP_ID_BYTES];
	size_t			 derlen = 0;
	int			 try, rc = 0;
	enum store_rc		 src = STORE_ERROR;

	if (pwsz < OTP_PW_LEN + 1 || idsz < OTP_ID_LEN + 1 || ttl <= 0) {
		snprintf(err, errsz, "otp_create: bad arguments");
		goto out;
	}
	if (s->store == NULL || t->conf->challenge != CONF_CHALLENGE_OTP ||
	    t->otp_key == NULL) {
		snprintf(err, errsz, "[tenant %s] does not use one-time "
		    "challenges (challenge = otp with challenge_key)",
		    t->conf->name);
		goto out;
	}
	if (subject != NULL && !subject_der(subject, &der, &derlen, err,
	    errsz))
		goto out;
	for (try = 0; try < OTP_TRIES; try++) {
		memset(&c, 0, sizeof(c));
		snprintf(c.tenant, sizeof(c.tenant), "%s", t->conf->name);
		if (!random_pw(pw) || RAND_bytes(rb, sizeof(rb)) != 1) {
			snprintf(err, errsz, "random generator failed");
			goto out;
		}
		hex_lower(rb, sizeof(rb), c.id);
		if (!otp_hmac(t, (const uint8_t *)pw, OTP_PW_LEN, c.hmac)) {
			snprintf(err, errsz, "HMAC failed");
			goto out;
		}
		c.state = STORE_CHALLENGE_UNUSED;
		c.created = now;
		c.expires = now + ttl;
		c.subject = der;
		c.subject_len = derlen;
		/* A taken id or HMAC (never in practice): new ones. */
		if ((src = store_challenge_add(s->store, &c)) !=
		    STORE_EXISTS)
			break;
	}
	if (src != STORE_OK) {
		snprintf(err, errsz, "store: %s: %s", store_rc_str(src),
		    store_errstr(s->store));
		goto out;
	}
	memcpy(id, c.id, OTP_ID_LEN + 1);
	rc = 1;
out:
	if (!rc && pwsz > 0)
		OPENSSL_cleanse(pw, pwsz);
	OPENSSL_free(der);
	return rc;
}
