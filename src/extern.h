/*
 * extern.h: src/ internals shared by the server (cgi-bin/) and scepadm:
 * the configuration (conf.c, scepd.conf(5)), the log (log.c) and the
 * text forms every program prints alike (text.c).
 * The store has its own header, src/store.h.
 *
 * Conventions (STYLE.md B4, B5): fallible functions return 1 on success
 * and 0 on failure; error text goes to a caller's buffer; every pointer
 * inside a struct conf is owned by it and freed by conf_free().
 */
#ifndef SRC_EXTERN_H
#define SRC_EXTERN_H

#include <sys/types.h>

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "scep/scep.h"

/*
 * Where scepd and scepadm look for the configuration: the -f option, else
 * the environment variable CONF_PATH_ENV, else CONF_PATH_DEFAULT.
 */
#ifndef CONF_PATH_DEFAULT
#define CONF_PATH_DEFAULT	"/etc/scepd.conf"
#endif
#define CONF_PATH_ENV		"SCEPD_CONF"
/* Default LMDB directory (the "database" setting). */
#ifndef CONF_DATABASE_DEFAULT
#define CONF_DATABASE_DEFAULT	"/var/lib/scepd"
#endif

/* Longest line of scepd.conf, in bytes, without its newline. */
#define CONF_LINE_MAX		4096
/* Longest tenant name: [a-z0-9][a-z0-9_-]{0,62} (INTEROP.md 6.6). */
#define CONF_TENANT_MAX		63
/* Most entries in a key_sizes list. */
/* Longest webhook_url or crl_base_url (the CRL URL is built from it). */
#define CONF_URL_MAX		512
#define CONF_KEYSIZES_MAX	8

/* Where log lines go ("log" setting). */
enum conf_logdest {
	CONF_LOG_SYSLOG,
	CONF_LOG_STDERR,
	CONF_LOG__MAX
};

/* How a first enrolment proves itself ("challenge"). */
enum conf_challenge {
	CONF_CHALLENGE_NONE,
	CONF_CHALLENGE_STATIC,
	CONF_CHALLENGE_OTP,
	CONF_CHALLENGE__MAX
};

/* Who approves a request ("approval"). */
enum conf_approval {
	CONF_APPROVAL_AUTO,
	CONF_APPROVAL_MANUAL,
	CONF_APPROVAL_WEBHOOK,
	CONF_APPROVAL__MAX
};

/* How renewals are approved ("renewal_approval", INTEROP.md 6.3). */
enum conf_renewal_approval {
	CONF_RENEWAL_AUTO,	/* approved when the signer qualifies */
	CONF_RENEWAL_SAME,	/* the tenant's approval mode */
	CONF_RENEWAL__MAX
};

/* Extended key usages of issued certificates ("profile"). */
enum conf_profile {
	CONF_PROFILE_CLIENT,	/* id-kp-clientAuth */
	CONF_PROFILE_SERVER,	/* id-kp-serverAuth */
	CONF_PROFILE_BOTH,	/* both */
	CONF_PROFILE__MAX
};

/* Subject of a renewed certificate ("renewal_subject", INTEROP 6.4). */
enum conf_renewal_subject {
	CONF_RSUBJECT_SAME,
	CONF_RSUBJECT_ANY,
	CONF_RSUBJECT__MAX
};

/* What a failing webhook means ("webhook_fail"). */
enum conf_webhook_fail {
	CONF_WEBHOOK_PENDING,
	CONF_WEBHOOK_REJECT,
	CONF_WEBHOOK__MAX
};

/* An inclusive range of RSA key sizes in bits. */
struct conf_range {
	unsigned int	 lo;
	unsigned int	 hi;
};

/*
 * One [tenant NAME] section.  Paths are absolute strings; loading the
 * keys and certificates they name is another module's job.  Optional
 * strings are NULL when unset.  Durations are in seconds.
 */
struct conf_tenant {
	char		*name;
	size_t		 line;		/* line of the section header */

	/* Key material (paths). */
	char		*ca_cert;
	char		*ca_key;
	char		*ra_cert;	/* NULL: single-CA (--no-ra) tenant */
	char		*ra_key;
	char		*chain;		/* extra certificates for GetCACert */
	char		*next_ca_cert;	/* rollover (GetNextCACert) */
	char		*next_ca_key;	/* ... switched to at rollover_at */
	char		*next_ra_cert;
	char		*next_ra_key;
	time_t		 rollover_at;	/* 0: unset */
	char		*previous_ca_cert;	/* the CA rolled over from */
	char		*previous_ca_key;
	char		*previous_ra_cert;	/* its RA (none: --no-ra) */
	char		*previous_ra_key;

	/* Authorisation of first enrolments (INTEROP.md 6.4). */
	enum conf_challenge	 challenge;
	char		*challenge_password;	/* static; cleansed on free */
	size_t		 challenge_password_len;
	char		*challenge_key;	/* otp: the HMAC key file */
	enum conf_approval	 approval;
	enum conf_renewal_approval renewal_approval;
	int		 open_enrolment;

	/* Webhook approval. */
	char		*webhook_url;
	char		*webhook_ca;	/* PEM CAs for its https, or NULL */
	char		*webhook_secret;	/* cleansed on free */
	size_t		 webhook_secret_len;
	time_t		 webhook_timeout;
	time_t		 webhook_wait;
	enum conf_webhook_fail	 webhook_fail;
	int		 webhook_allow_http_loopback;

	/* Issued certificates. */
	time_t		 validity;
	enum conf_profile	 profile;
	int		 allow_san;
	char		*subject_pattern;	/* as written; NULL: any */
	regex_t		 subject_re;		/* compiled, anchored */
	int		 has_subject_re;

	/* Renewal (INTEROP.md 6.4). */
	time_t		 renew_before;	/* 0: any time while valid */
	time_t		 renewal_grace;
	enum conf_renewal_subject renewal_subject;

	/* Algorithms (INTEROP.md 6.1). */
	int		 allow_des;
	int		 allow_3des;
	int		 allow_sha1;
	int		 allow_md5;
	struct conf_range key_sizes[CONF_KEYSIZES_MAX];
	size_t		 nkey_sizes;
	int		 allow_ec_keys;

	/* Transactions (INTEROP.md 6.3). */
	time_t		 reissue_window;
	time_t		 replay_window;
	time_t		 pending_ttl;
	size_t		 max_pending;

	/* GetCACaps: override as written, and the effective bit set. */
	unsigned int	 caps_override;	/* bit n = 1 << enum scep_cap */
	int		 has_caps_override;

	/* CRL. */
	char		*crl_base_url;
	time_t		 crl_days;
	time_t		 crl_margin;	/* regenerate this long before
					 * nextUpdate; default crl_days / 2 */

	/* Derived at load time from the settings above. */
	struct scep_policy	 policy;	/* ciphers and digests */
	unsigned int	 caps;		/* effective GetCACaps bit set */
};

/* The whole of scepd.conf. */
struct conf {
	char		*path;		/* the file it was read from */
	char		*database;	/* LMDB directory */
	size_t		 map_size;	/* LMDB map size in bytes */
	char		*default_tenant; /* NULL: /scep is 404 */
	enum conf_logdest	 log;
	int		 syslog_facility;	/* LOG_DAEMON, LOG_LOCAL0.. */
	size_t		 max_post_body;	/* INTEROP.md 6.7 */
	size_t		 max_get_query;
	struct scep_limits	 limits;	/* max_msg = max_post_body */
	size_t		 reader_check_interval;	/* requests */
	struct conf_tenant **tenants;	/* in file order */
	size_t		 ntenants;
};

/* A key and its value for conf_write_tenant(), conf_update_tenant(). */
struct conf_kv {
	const char	*key;
	const char	*value;		/* NULL: remove (update only) */
};

/* conf.c */
/*
 * Read the configuration at path.  Returns 1 and sets *out (free with
 * conf_free()) or 0 with a message naming the file, line and problem
 * in err ("scepd.conf:12: unknown key 'foo' in [tenant demo]"); the
 * message never holds a password or secret.
 */
int		 conf_load(const char *path, struct conf **out, char *err,
		    size_t errsz);
/* Free c and everything it owns, cleansing the secrets (NULL-safe). */
void		 conf_free(struct conf *c);
/* The tenant called name, borrowed from c, or NULL. */
const struct conf_tenant *conf_tenant_find(const struct conf *c,
		    const char *name);
/* Whether name is a valid, unreserved tenant name (INTEROP.md 6.6). */
int		 conf_tenant_name_ok(const char *name);
/* Whether an RSA key of bits bits is allowed by the tenant's key_sizes. */
int		 conf_key_size_ok(const struct conf_tenant *t,
		    unsigned int bits);
/* Whether cn matches the tenant's subject_pattern (1 when it has none). */
int		 conf_subject_ok(const struct conf_tenant *t, const char *cn);
/*
 * Parse a UTC time written "YYYY-MM-DDTHH:MM:SSZ" (rollover_at) into
 * *out.  Returns 1, or 0 when malformed or not a real date.
 */
int		 conf_parse_time(const char *s, time_t *out);
/* Whether any tenant allows single DES (load the legacy provider). */
int		 conf_needs_des(const struct conf *c);
/*
 * Append a [tenant name] section holding the n settings kv to the file
 * at path (scepadm tenant create).  The new file is written next to the
 * old one with the same mode (and owner, when run as root), fsynced and
 * renamed over it; it is parsed in full before anything is written.
 * Refuses an existing tenant, an invalid name, an unknown key or a
 * value that would not parse.  Returns 1, or 0 with err filled.
 */
int		 conf_write_tenant(const char *path, const char *name,
		    const struct conf_kv *kv, size_t n, char *err,
		    size_t errsz);
/*
 * Set the n settings kv (value NULL: remove the key) in the existing
 * [tenant name] section of the file at path (scepadm ca rollover), by
 * the same checked atomic rename as conf_write_tenant(): a key already
 * set has its line replaced, a new one goes after the section's last
 * setting.  Returns 1, or 0 with err filled.
 */
int		 conf_update_tenant(const char *path, const char *name,
		    const struct conf_kv *kv, size_t n, char *err,
		    size_t errsz);
/*
 * INTEROP.md 6.4: check that the configuration and every key file are
 * readable but not writable by the current (worker) user and that key
 * files are not accessible to others.  Returns 1, or 0 with err naming
 * the first offending file.
 */
int		 conf_check_files(const struct conf *c, char *err,
		    size_t errsz);

/* log.c */

/* One request, for log_request(); every string may be NULL ("-"). */
struct log_req {
	const char	*tenant;	/* escaped */
	const char	*operation;	/* escaped (from the query) */
	const char	*txid;		/* escaped, at most 128 chars */
	size_t		 txid_len;
	int		 has_type;
	enum scep_msgtype	 type;
	int		 has_digest;
	enum scep_digest	 digest;
	int		 has_cipher;
	enum scep_cipher	 cipher;
	enum scep_outcome	 outcome;
	int		 has_status;
	enum scep_status	 status;	/* CertRep pkiStatus sent */
	int		 has_failinfo;
	enum scep_failinfo	 failinfo;
	const char	*reason;	/* escaped */
	const char	*addr;		/* client address, escaped */
	long		 ms;		/* time spent */
	int		 prev_ra;	/* opened with the previous RA */
	int		 renewal;	/* a renewal (INTEROP.md 6.3 step 4) */
};

/*
 * Send the log to the place c names (syslog with its facility, or
 * stderr); with c NULL, to stderr.  ident names the program.
 */
void		 log_open(const struct conf *c, const char *ident);
/* Close syslog if it was opened. */
void		 log_close(void);
/* One line for one request, at LOG_INFO (OK), LOG_NOTICE or LOG_ERR. */
void		 log_request(const struct log_req *r);
/* Any other message (start-up, errors); control bytes are escaped. */
void		 log_msg(int prio, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/*
 * Escape inlen bytes of untrusted text into out (outsz bytes, always
 * NUL-terminated when outsz > 0): printable ASCII is kept, anything
 * else and '"' and '\\' become \xHH.  Escapes are never cut; when the
 * input does not fit, the output ends with "...".  Returns 1 when all
 * the input was written, 0 when it was truncated.
 */
int		 log_escape(const char *in, size_t inlen, char *out,
		    size_t outsz);

/*
 * text.c.  hex_lower, hex_upper: hex of len bytes into out (2 * len + 1
 * bytes, NUL-terminated).  reqid_text: the request ID of key k, as
 * scepadm(8) prints it and a webhook receives it as "_id":
 * TENANT:TXIDHEX:KEYHEX, KEYHEX being the first REQID_KEYHEX_MIN hex
 * digits of the requester key's SHA-256 (truncated to bufsz).
 * dn_parse: a subject in the form of openssl req -subj ("/CN=a/O=b",
 * '\' escapes the next character, the leading '/' optional, values
 * UTF-8): a new name (X509_NAME_free()), or NULL with a message in err.
 */
struct store_reqkey;
#define REQID_KEYHEX_MIN	16
void		 hex_lower(const uint8_t *p, size_t len, char *out);
void		 hex_upper(const uint8_t *p, size_t len, char *out);
void		 reqid_text(const struct store_reqkey *k, char *buf,
		    size_t bufsz);
X509_NAME	*dn_parse(const char *s, char *err, size_t errsz);

#endif /* SRC_EXTERN_H */
