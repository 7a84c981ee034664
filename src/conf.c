/*
 * conf.c: scepd.conf(5), the configuration of scepd and scepadm.
 *
 * An INI-style file: global settings before the first section, then one
 * [tenant NAME] section per tenant.  Every key is described once in the
 * keys[] table (name, section, type, where it is stored, bounds); the
 * parser is table-driven and refuses anything it does not know, naming
 * the file, the line and the problem.  Checks that involve several keys
 * (a static challenge needs a password, an RA needs both files, an open
 * CA needs open_enrolment, ...) run when a section ends.  The derived
 * values a tenant needs at run time, its algorithm policy and GetCACaps
 * set (INTEROP.md 6.1), are computed here once.
 *
 * Secrets (challenge_password, webhook_secret) never appear in an error
 * message and are cleansed with OPENSSL_cleanse() by conf_free().
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "scep/scep.h"
#include "src/extern.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Time and size units. */
#define MINUTE		60LL
#define HOUR		(60 * MINUTE)
#define DAY		(24 * HOUR)
#define KIB		1024LL
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)
#define TIB		(1024 * GIB)

/* Biggest file conf_write_tenant() rewrites. */
#define CONF_FILE_MAX	(16 * MIB)
/* Bounds of secrets and of the subject pattern, in bytes. */
#define SECRET_MIN	8
#define SECRET_MAX	255
#define PATTERN_MAX	1024
/* Smallest and biggest RSA key sizes key_sizes may name. */
#define KEYBITS_MIN	2048
#define KEYBITS_MAX	16384

/* Section a key belongs to. */
enum ksect {
	KS_GLOBAL,
	KS_TENANT,
};

/* How a value is read and stored. */
enum ktype {
	KT_STR,		/* char *, any text */
	KT_PATH,	/* char *, absolute path */
	KT_SECRET,	/* char * + size_t length right after it */
	KT_BOOL,	/* int */
	KT_DUR,		/* time_t seconds, "30s" "10m" "2h" "7d" */
	KT_TIME,	/* time_t, UTC "2026-01-31T12:00:00Z" */
	KT_SIZE,	/* size_t bytes, "64K" "1M" "1G" */
	KT_COUNT,	/* size_t */
	KT_ENUM,	/* int index into names[] */
	KT_FUNC,	/* parsed by fn */
};

struct parse;
struct key;
typedef int (*keyfn)(struct parse *, const struct key *, const char *);

/* One setting of scepd.conf(5). */
struct key {
	const char		*name;
	enum ksect		 sect;
	size_t			 off;	/* in struct conf or conf_tenant */
	enum ktype		 type;
	long long		 min;	/* bounds for DUR, SIZE, COUNT */
	long long		 max;
	const char *const	*names;	/* KT_ENUM, NULL-terminated */
	keyfn			 fn;	/* KT_FUNC */
	int			 empty_ok;	/* "key =" means unset */
};

/* Parser state: where we are, for messages, and what we have seen. */
struct parse {
	const char		*path;		/* for messages */
	size_t			 line;
	char			*err;
	size_t			 errsz;
	struct conf		*conf;
	struct conf_tenant	*t;		/* current section or NULL */
	size_t			 seen[64];	/* line of each tenant key */
	size_t			 gseen[64];	/* line of each global key */
};

static const char *const logdest_names[] = { "syslog", "stderr", NULL };
static const char *const challenge_names[] = { "none", "static", "otp",
	NULL };
static const char *const approval_names[] = { "auto", "manual",
	"webhook", NULL };
static const char *const renewal_names[] = { "auto", "same", NULL };
static const char *const profile_names[] = { "client", "server", "both",
	NULL };
static const char *const rsubject_names[] = { "same", "any", NULL };
static const char *const webhook_fail_names[] = { "pending", "reject",
	NULL };
static_assert(NELEM(logdest_names) == CONF_LOG__MAX + 1, "log names");
static_assert(NELEM(challenge_names) == CONF_CHALLENGE__MAX + 1, "chal");
static_assert(NELEM(approval_names) == CONF_APPROVAL__MAX + 1, "appr");
static_assert(NELEM(renewal_names) == CONF_RENEWAL__MAX + 1, "renewal");
static_assert(NELEM(profile_names) == CONF_PROFILE__MAX + 1, "profile");
static_assert(NELEM(rsubject_names) == CONF_RSUBJECT__MAX + 1, "rsubj");
static_assert(NELEM(webhook_fail_names) == CONF_WEBHOOK__MAX + 1, "wh");

/* syslog(3) facilities "syslog_facility" accepts. */
static const struct {
	const char	*name;
	int		 value;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

/* INTEROP.md 6.6: names that are routes of their own. */
static const char *const reserved[] = { "scep", "cgi-bin", "crl", "auth" };

static int	 set_facility(struct parse *, const struct key *, const char *);
static int	 set_key_sizes(struct parse *, const struct key *,
		    const char *);
static int	 set_caps(struct parse *, const struct key *, const char *);
static int	 set_pattern(struct parse *, const struct key *, const char *);
static int	 set_url(struct parse *, const struct key *, const char *);

#define G(m)	KS_GLOBAL, offsetof(struct conf, m)
#define T(m)	KS_TENANT, offsetof(struct conf_tenant, m)

/*
 * Every key, in the order of scepd.conf(5).  At most 64 per section
 * (the seen[] arrays).
 */
static const struct key keys[] = {
	/* Global settings. */
	{ "database", G(database), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "default_tenant", G(default_tenant), KT_STR, 0, 0, NULL, NULL, 0 },
	{ "log", G(log), KT_ENUM, 0, 0, logdest_names, NULL, 0 },
	{ "map_size", G(map_size), KT_SIZE, MIB, TIB, NULL, NULL, 0 },
	{ "max_attrs", G(limits.max_attrs), KT_COUNT, 8, 64, NULL, NULL, 0 },
	{ "max_certs", G(limits.max_certs), KT_COUNT, 1, 64, NULL, NULL, 0 },
	{ "max_get_query", G(max_get_query), KT_SIZE, SCEP_MSG_MIN,
	    SCEP_MSG_MAX, NULL, NULL, 0 },
	{ "max_post_body", G(max_post_body), KT_SIZE, SCEP_MSG_MIN,
	    SCEP_MSG_MAX, NULL, NULL, 0 },
	{ "max_recipients", G(limits.max_recipients), KT_COUNT, 1, 16, NULL,
	    NULL, 0 },
	{ "reader_check_interval", G(reader_check_interval), KT_COUNT, 1,
	    1000000, NULL, NULL, 0 },
	{ "syslog_facility", G(syslog_facility), KT_FUNC, 0, 0, NULL,
	    set_facility, 0 },

	/* Tenant settings. */
	{ "allow_3des", T(allow_3des), KT_BOOL, 0, 0, NULL, NULL, 0 },
	{ "allow_des", T(allow_des), KT_BOOL, 0, 0, NULL, NULL, 0 },
	{ "allow_ec_keys", T(allow_ec_keys), KT_BOOL, 0, 0, NULL, NULL, 0 },
	{ "allow_md5", T(allow_md5), KT_BOOL, 0, 0, NULL, NULL, 0 },
	{ "allow_san", T(allow_san), KT_BOOL, 0, 0, NULL, NULL, 0 },
	{ "allow_sha1", T(allow_sha1), KT_BOOL, 0, 0, NULL, NULL, 0 },
	{ "approval", T(approval), KT_ENUM, 0, 0, approval_names, NULL, 0 },
	{ "ca_cert", T(ca_cert), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "ca_key", T(ca_key), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "capabilities", T(caps_override), KT_FUNC, 0, 0, NULL, set_caps,
	    0 },
	{ "chain", T(chain), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "challenge", T(challenge), KT_ENUM, 0, 0, challenge_names, NULL,
	    0 },
	{ "challenge_key", T(challenge_key), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "challenge_password", T(challenge_password), KT_SECRET, 0, 0, NULL,
	    NULL, 0 },
	{ "crl_base_url", T(crl_base_url), KT_FUNC, 0, 0, NULL, set_url, 0 },
	{ "crl_days", T(crl_days), KT_DUR, HOUR, 365 * DAY, NULL, NULL, 0 },
	{ "crl_margin", T(crl_margin), KT_DUR, MINUTE, 365 * DAY, NULL, NULL,
	    0 },
	{ "key_sizes", T(key_sizes), KT_FUNC, 0, 0, NULL, set_key_sizes, 0 },
	{ "max_pending", T(max_pending), KT_COUNT, 1, 1000000, NULL, NULL,
	    0 },
	{ "next_ca_cert", T(next_ca_cert), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "next_ca_key", T(next_ca_key), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "next_ra_cert", T(next_ra_cert), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "next_ra_key", T(next_ra_key), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "open_enrolment", T(open_enrolment), KT_BOOL, 0, 0, NULL, NULL, 0 },
	{ "pending_ttl", T(pending_ttl), KT_DUR, MINUTE, 365 * DAY, NULL,
	    NULL, 0 },
	{ "previous_ca_cert", T(previous_ca_cert), KT_PATH, 0, 0, NULL, NULL,
	    0 },
	{ "previous_ca_key", T(previous_ca_key), KT_PATH, 0, 0, NULL, NULL,
	    0 },
	{ "previous_ra_cert", T(previous_ra_cert), KT_PATH, 0, 0, NULL, NULL,
	    0 },
	{ "previous_ra_key", T(previous_ra_key), KT_PATH, 0, 0, NULL, NULL,
	    0 },
	{ "profile", T(profile), KT_ENUM, 0, 0, profile_names, NULL, 0 },
	{ "ra_cert", T(ra_cert), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "ra_key", T(ra_key), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "reissue_window", T(reissue_window), KT_DUR, 0, DAY, NULL, NULL,
	    0 },
	{ "renew_before", T(renew_before), KT_DUR, 0, 3650 * DAY, NULL, NULL,
	    1 },
	{ "renewal_approval", T(renewal_approval), KT_ENUM, 0, 0,
	    renewal_names, NULL, 0 },
	{ "renewal_grace", T(renewal_grace), KT_DUR, 0, 365 * DAY, NULL, NULL,
	    0 },
	{ "renewal_subject", T(renewal_subject), KT_ENUM, 0, 0,
	    rsubject_names, NULL, 0 },
	{ "replay_window", T(replay_window), KT_DUR, HOUR, 365 * DAY, NULL,
	    NULL, 0 },
	{ "rollover_at", T(rollover_at), KT_TIME, 0, 0, NULL, NULL, 0 },
	{ "subject_pattern", T(subject_pattern), KT_FUNC, 0, 0, NULL,
	    set_pattern, 0 },
	{ "validity", T(validity), KT_DUR, HOUR, 3650 * DAY, NULL, NULL, 0 },
	{ "webhook_allow_http_loopback", T(webhook_allow_http_loopback),
	    KT_BOOL, 0, 0, NULL, NULL, 0 },
	{ "webhook_ca", T(webhook_ca), KT_PATH, 0, 0, NULL, NULL, 0 },
	{ "webhook_fail", T(webhook_fail), KT_ENUM, 0, 0, webhook_fail_names,
	    NULL, 0 },
	{ "webhook_secret", T(webhook_secret), KT_SECRET, 0, 0, NULL, NULL,
	    0 },
	{ "webhook_timeout", T(webhook_timeout), KT_DUR, 1, 60, NULL, NULL,
	    0 },
	{ "webhook_url", T(webhook_url), KT_FUNC, 0, 0, NULL, set_url, 0 },
	{ "webhook_wait", T(webhook_wait), KT_DUR, 0, 2, NULL, NULL, 0 },
};

#undef G
#undef T

/* seen[] and gseen[] are indexed by the position in keys[]. */
static_assert(NELEM(keys) <= 64, "too many keys for seen[]");
/* KT_ENUM stores an int; KT_SECRET a length right after the string. */
static_assert(sizeof(enum conf_challenge) == sizeof(int), "enum size");
static_assert(offsetof(struct conf_tenant, challenge_password_len) ==
    offsetof(struct conf_tenant, challenge_password) + sizeof(char *),
    "challenge_password_len follows challenge_password");
static_assert(offsetof(struct conf_tenant, webhook_secret_len) ==
    offsetof(struct conf_tenant, webhook_secret) + sizeof(char *),
    "webhook_secret_len follows webhook_secret");

/* The index of key name in keys[], or -1. */
static int
key_index(const char *name)
{
	size_t	 i;

	for (i = 0; i < NELEM(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Format an error "path:line: message" into p->err.  Always returns 0
 * so callers can "return perr(...)".
 */
static int __attribute__((format(printf, 3, 4)))
perr_at(struct parse *p, size_t line, const char *fmt, ...)
{
	char		 msg[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errsz > 0)
		snprintf(p->err, p->errsz, "%s:%zu: %s", p->path, line, msg);
	return 0;
}

#define perr(p, ...)	perr_at((p), (p)->line, __VA_ARGS__)

/* A bounded, escaped copy of a value for an error message. */
static const char *
show(const char *val, char *buf, size_t bufsz)
{
	(void)log_escape(val, strlen(val), buf, bufsz);
	return buf;
}

/* "the global section" or "[tenant NAME]", for messages. */
static const char *
where(const struct parse *p, char *buf, size_t bufsz)
{
	if (p->t == NULL)
		snprintf(buf, bufsz, "the global section");
	else
		snprintf(buf, bufsz, "[tenant %s]", p->t->name);
	return buf;
}

/*
 * Parse a non-negative decimal number with an optional one-letter unit
 * from units (each with its multiplier in mult); a bare number uses
 * mult[0] when units starts with an implicit unit, else 1.  Returns 1
 * with *out set, or 0 on bad syntax or overflow.
 */
static int
parse_unit(const char *s, const char *units, const long long *mult,
    long long *out)
{
	long long	 v = 0, m = 1;
	const char	*u;

	if (*s < '0' || *s > '9')
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (LLONG_MAX - (*s - '0')) / 10)
			return 0;
		v = v * 10 + (*s - '0');
	}
	if (*s != '\0') {
		if ((u = strchr(units, *s)) == NULL || s[1] != '\0')
			return 0;
		m = mult[u - units];
	}
	if (v > LLONG_MAX / m)
		return 0;
	*out = v * m;
	return 1;
}

/* Durations: "30s", "10m", "2h", "7d", or seconds. */
static int
parse_duration(const char *s, long long *out)
{
	static const long long	 mult[] = { 1, MINUTE, HOUR, DAY };

	return parse_unit(s, "smhd", mult, out);
}

/*
 * A time as ISO 8601 UTC, exactly "YYYY-MM-DDTHH:MM:SSZ" (what scepadm
 * writes), years 2000 to 9999; see extern.h.  Returns 1 or 0.
 */
int
conf_parse_time(const char *s, time_t *out)
{
	static const char	 pat[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm		 tm, chk;
	time_t			 t;
	int			 v[6], i, n = 0, f = 0;

	if (strlen(s) != sizeof(pat) - 1)
		return 0;
	memset(v, 0, sizeof(v));
	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] != 'd') {
			if (s[i] != pat[i])
				return 0;
			if (n > 0)
				f++;
			n = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v[f] = v[f] * 10 + (s[i] - '0');
		n++;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	if (v[0] < 2000 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 59 || (t = timegm(&tm)) == (time_t)-1)
		return 0;
	/* No normalising: 2026-02-30 is an error, not March 2. */
	if (gmtime_r(&t, &chk) == NULL || chk.tm_mday != v[2] ||
	    chk.tm_mon != v[1] - 1)
		return 0;
	*out = t;
	return 1;
}

/* Sizes: "64K", "1M", "1G", "1T" (powers of 1024), or bytes. */
static int
parse_size(const char *s, long long *out)
{
	static const long long	 mult[] = { KIB, KIB, MIB, MIB, GIB, GIB,
	    TIB, TIB };

	return parse_unit(s, "KkMmGgTt", mult, out);
}

/* Write v seconds in the largest unit that divides it. */
static const char *
fmt_duration(long long v, char *buf, size_t bufsz)
{
	if (v != 0 && v % DAY == 0)
		snprintf(buf, bufsz, "%lldd", v / DAY);
	else if (v != 0 && v % HOUR == 0)
		snprintf(buf, bufsz, "%lldh", v / HOUR);
	else if (v != 0 && v % MINUTE == 0)
		snprintf(buf, bufsz, "%lldm", v / MINUTE);
	else
		snprintf(buf, bufsz, "%llds", v);
	return buf;
}

/* Write v bytes in the largest unit that divides it. */
static const char *
fmt_size(long long v, char *buf, size_t bufsz)
{
	if (v != 0 && v % TIB == 0)
		snprintf(buf, bufsz, "%lldT", v / TIB);
	else if (v != 0 && v % GIB == 0)
		snprintf(buf, bufsz, "%lldG", v / GIB);
	else if (v != 0 && v % MIB == 0)
		snprintf(buf, bufsz, "%lldM", v / MIB);
	else if (v != 0 && v % KIB == 0)
		snprintf(buf, bufsz, "%lldK", v / KIB);
	else
		snprintf(buf, bufsz, "%lld", v);
	return buf;
}

/* yes/no/true/false/on/off/1/0; returns 1 with *out set, or 0. */
static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	 i;

	for (i = 0; i < NELEM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 1;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 1;
		}
	}
	return 0;
}

/* "syslog_facility": daemon or local0..local7. */
static int
set_facility(struct parse *p, const struct key *k, const char *val)
{
	char	 b[80];
	size_t	 i;

	for (i = 0; i < NELEM(facilities); i++)
		if (strcmp(val, facilities[i].name) == 0) {
			*(int *)((char *)p->conf + k->off) =
			    facilities[i].value;
			return 1;
		}
	return perr(p, "bad syslog_facility '%s' (daemon, local0..local7)",
	    show(val, b, sizeof(b)));
}

/*
 * "key_sizes": a comma-separated list of RSA sizes in bits and ranges
 * "LO-HI", each within KEYBITS_MIN..KEYBITS_MAX (INTEROP.md 6.1).
 */
static int
set_key_sizes(struct parse *p, const struct key *k, const char *val)
{
	struct conf_tenant	*t = p->t;
	char			 buf[256], b[80], *s, *item, *dash;
	long long		 lo, hi;
	size_t			 n = 0;

	(void)k;
	if (strlen(val) >= sizeof(buf))
		return perr(p, "key_sizes too long");
	memcpy(buf, val, strlen(val) + 1);
	s = buf;
	while ((item = strsep(&s, ",")) != NULL) {
		/* Allow spaces around the items: "2048, 3072". */
		while (*item == ' ' || *item == '\t')
			item++;
		dash = item + strlen(item);
		while (dash > item && (dash[-1] == ' ' || dash[-1] == '\t'))
			*--dash = '\0';
		if ((dash = strchr(item, '-')) != NULL)
			*dash++ = '\0';
		if (!parse_unit(item, "", NULL, &lo) ||
		    (dash != NULL && !parse_unit(dash, "", NULL, &hi)))
			return perr(p, "bad key_sizes '%s' (e.g. "
			    "\"2048-4096\" or \"2048,3072\")",
			    show(val, b, sizeof(b)));
		if (dash == NULL)
			hi = lo;
		if (lo > hi || lo < KEYBITS_MIN || hi > KEYBITS_MAX)
			return perr(p, "key_sizes '%s' out of bounds "
			    "(%d..%d bits, low before high)",
			    show(val, b, sizeof(b)), KEYBITS_MIN, KEYBITS_MAX);
		if (n == CONF_KEYSIZES_MAX)
			return perr(p, "key_sizes has more than %d entries",
			    CONF_KEYSIZES_MAX);
		t->key_sizes[n].lo = (unsigned int)lo;
		t->key_sizes[n].hi = (unsigned int)hi;
		n++;
	}
	t->nkey_sizes = n;
	return 1;
}

/*
 * "capabilities": the GetCACaps keywords to keep, space separated.
 * INTEROP.md 6.1: the override may only remove optional keywords, so
 * AES, SHA-256 and POSTPKIOperation must stay (they keep sscep and
 * certmonger away from DES and MD5).  Unknown keywords are errors.
 */
static int
set_caps(struct parse *p, const struct key *k, const char *val)
{
	static const enum scep_cap	 must[] = { SCEP_CAP_AES,
	    SCEP_CAP_SHA256, SCEP_CAP_POSTPKIOPERATION };
	char				 buf[512], b[80], *s, *w;
	enum scep_cap			 c;
	unsigned int			 set = 0;
	size_t				 i;

	(void)k;
	if (strlen(val) >= sizeof(buf))
		return perr(p, "capabilities too long");
	memcpy(buf, val, strlen(val) + 1);
	s = buf;
	while ((w = strsep(&s, " \t")) != NULL) {
		if (*w == '\0')
			continue;
		if (!scep_cap_from_name(w, &c))
			return perr(p, "unknown capability '%s'",
			    show(w, b, sizeof(b)));
		set |= 1u << c;
	}
	for (i = 0; i < NELEM(must); i++)
		if ((set & (1u << must[i])) == 0)
			return perr(p, "capabilities may not remove %s "
			    "(INTEROP.md 6.1)", scep_cap_name(must[i]));
	p->t->caps_override = set;
	p->t->has_caps_override = 1;
	return 1;
}

/*
 * "subject_pattern": a POSIX extended regular expression the whole
 * subject CN must match; it is anchored here ("^(...)$").
 */
static int
set_pattern(struct parse *p, const struct key *k, const char *val)
{
	struct conf_tenant	*t = p->t;
	char			*anch = NULL, b[80], msg[128];
	int			 rc = 0, r;
	size_t			 len;

	(void)k;
	len = strlen(val);
	if (len > PATTERN_MAX) {
		rc = perr(p, "subject_pattern longer than %d bytes",
		    PATTERN_MAX);
		goto out;
	}
	if ((anch = malloc(len + 5)) == NULL) {
		rc = perr(p, "out of memory");
		goto out;
	}
	snprintf(anch, len + 5, "^(%s)$", val);
	if ((r = regcomp(&t->subject_re, anch,
	    REG_EXTENDED | REG_NOSUB)) != 0) {
		regerror(r, &t->subject_re, msg, sizeof(msg));
		rc = perr(p, "bad subject_pattern '%s': %s",
		    show(val, b, sizeof(b)), msg);
		goto out;
	}
	t->has_subject_re = 1;
	if ((t->subject_pattern = strdup(val)) == NULL) {
		rc = perr(p, "out of memory");
		goto out;
	}
	rc = 1;
out:
	free(anch);
	return rc;
}

/*
 * "webhook_url" and "crl_base_url": an http:// or https:// URL with a
 * host, no white space or control bytes, at most CONF_URL_MAX bytes;
 * crl_base_url without a query or fragment.  Whether plain http is allowed
 * for the webhook is checked with webhook_allow_http_loopback when the
 * section ends.
 */
static int
set_url(struct parse *p, const struct key *k, const char *val)
{
	char		 b[80], **dst;
	const char	*host, *c;

	if (strncmp(val, "https://", 8) == 0)
		host = val + 8;
	else if (strncmp(val, "http://", 7) == 0)
		host = val + 7;
	else
		return perr(p, "%s '%s' is not an http:// or https:// URL",
		    k->name, show(val, b, sizeof(b)));
	if (*host == '\0' || *host == '/' || *host == ':')
		return perr(p, "%s '%s' has no host", k->name,
		    show(val, b, sizeof(b)));
	for (c = val; *c != '\0'; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return perr(p, "%s has a space or non-ASCII byte",
			    k->name);
	if (strlen(val) > CONF_URL_MAX)
		return perr(p, "%s is longer than %d bytes", k->name,
		    CONF_URL_MAX);
	/* The tenant's path and ?ca= are appended to it (ca_issue()). */
	if (strcmp(k->name, "crl_base_url") == 0 &&
	    strpbrk(val, "?#") != NULL)
		return perr(p, "crl_base_url '%s' has a query or fragment",
		    show(val, b, sizeof(b)));
	dst = (char **)((char *)p->t + k->off);
	if ((*dst = strdup(val)) == NULL)
		return perr(p, "out of memory");
	return 1;
}

/*
 * Store val for key k into the current section, by the key's type.
 * Returns 1, or 0 with p->err set.
 */
static int
set_value(struct parse *p, const struct key *k, const char *val)
{
	char		*base, b[80], lo[32], hi[32];
	long long	 v;
	size_t		 i, len;
	int		 bv;

	base = k->sect == KS_GLOBAL ? (char *)p->conf : (char *)p->t;
	len = strlen(val);
	if (len == 0 && !k->empty_ok)
		return perr(p, "empty value for '%s'", k->name);

	switch (k->type) {
	case KT_PATH:
		if (val[0] != '/')
			return perr(p, "%s '%s' is not an absolute path",
			    k->name, show(val, b, sizeof(b)));
		/* FALLTHROUGH */
	case KT_STR:
		if ((*(char **)(base + k->off) = strdup(val)) == NULL)
			return perr(p, "out of memory");
		return 1;
	case KT_SECRET:
		/* Never echo the value. */
		if (len < SECRET_MIN || len > SECRET_MAX)
			return perr(p, "%s must be %d to %d characters long",
			    k->name, SECRET_MIN, SECRET_MAX);
		if ((*(char **)(base + k->off) = strdup(val)) == NULL)
			return perr(p, "out of memory");
		*(size_t *)(base + k->off + sizeof(char *)) = len;
		return 1;
	case KT_BOOL:
		if (!parse_bool(val, &bv))
			return perr(p, "bad boolean '%s' for %s (yes or no)",
			    show(val, b, sizeof(b)), k->name);
		*(int *)(base + k->off) = bv;
		return 1;
	case KT_DUR:
		if (len == 0)
			v = 0;
		else if (!parse_duration(val, &v))
			return perr(p, "bad duration '%s' for %s (e.g. 30s, "
			    "10m, 2h, 7d)", show(val, b, sizeof(b)), k->name);
		if (v < k->min || v > k->max)
			return perr(p, "%s %s out of bounds (%s..%s)", k->name,
			    show(val, b, sizeof(b)),
			    fmt_duration(k->min, lo, sizeof(lo)),
			    fmt_duration(k->max, hi, sizeof(hi)));
		*(time_t *)(base + k->off) = (time_t)v;
		return 1;
	case KT_TIME:
		if (!conf_parse_time(val, (time_t *)(base + k->off)))
			return perr(p, "bad time '%s' for %s (UTC, "
			    "YYYY-MM-DDTHH:MM:SSZ)", show(val, b, sizeof(b)),
			    k->name);
		return 1;
	case KT_SIZE:
		if (!parse_size(val, &v))
			return perr(p, "bad size '%s' for %s (e.g. 64K, 1M, "
			    "1G)", show(val, b, sizeof(b)), k->name);
		if (v < k->min || v > k->max)
			return perr(p, "%s %s out of bounds (%s..%s)", k->name,
			    show(val, b, sizeof(b)),
			    fmt_size(k->min, lo, sizeof(lo)),
			    fmt_size(k->max, hi, sizeof(hi)));
		*(size_t *)(base + k->off) = (size_t)v;
		return 1;
	case KT_COUNT:
		if (!parse_unit(val, "", NULL, &v))
			return perr(p, "bad number '%s' for %s",
			    show(val, b, sizeof(b)), k->name);
		if (v < k->min || v > k->max)
			return perr(p, "%s %s out of bounds (%lld..%lld)",
			    k->name, show(val, b, sizeof(b)), k->min, k->max);
		*(size_t *)(base + k->off) = (size_t)v;
		return 1;
	case KT_ENUM:
		for (i = 0; k->names[i] != NULL; i++)
			if (strcmp(val, k->names[i]) == 0) {
				*(int *)(base + k->off) = (int)i;
				return 1;
			}
		return perr(p, "bad value '%s' for %s", show(val, b,
		    sizeof(b)), k->name);
	case KT_FUNC:
		return k->fn(p, k, val);
	}
	abort();	/* every type is handled above */
}

/*
 * Whether name is a tenant name of INTEROP.md 6.6,
 * [a-z0-9][a-z0-9_-]{0,62}, and not reserved.
 */
int
conf_tenant_name_ok(const char *name)
{
	size_t	 i, len;

	len = strlen(name);
	if (len == 0 || len > CONF_TENANT_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if ((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9'))
			continue;
		if (i > 0 && (name[i] == '_' || name[i] == '-'))
			continue;
		return 0;
	}
	for (i = 0; i < NELEM(reserved); i++)
		if (strcmp(name, reserved[i]) == 0)
			return 0;
	return 1;
}

/* A tenant with every default of scepd.conf(5), or NULL. */
static struct conf_tenant *
tenant_new(const char *name, size_t line)
{
	struct conf_tenant	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->name = strdup(name)) == NULL) {
		free(t);
		return NULL;
	}
	t->line = line;
	t->challenge = CONF_CHALLENGE_OTP;
	t->approval = CONF_APPROVAL_AUTO;
	t->renewal_approval = CONF_RENEWAL__MAX;	/* decided later */
	t->webhook_timeout = 5;
	t->webhook_wait = 0;
	t->webhook_fail = CONF_WEBHOOK_PENDING;
	t->validity = 365 * DAY;
	t->profile = CONF_PROFILE_CLIENT;
	t->allow_san = 1;
	t->renewal_subject = CONF_RSUBJECT_SAME;
	t->allow_3des = 1;
	t->allow_sha1 = 1;
	t->key_sizes[0].lo = 2048;
	t->key_sizes[0].hi = 4096;
	t->nkey_sizes = 1;
	t->reissue_window = 10 * MINUTE;
	t->replay_window = 7 * DAY;
	t->pending_ttl = 7 * DAY;
	t->max_pending = 1000;
	t->crl_days = 7 * DAY;
	return t;
}

/* Free a tenant, cleansing its secrets (NULL-safe). */
static void
tenant_free(struct conf_tenant *t)
{
	if (t == NULL)
		return;
	if (t->challenge_password != NULL)
		OPENSSL_cleanse(t->challenge_password,
		    t->challenge_password_len);
	if (t->webhook_secret != NULL)
		OPENSSL_cleanse(t->webhook_secret, t->webhook_secret_len);
	free(t->challenge_password);
	free(t->challenge_key);
	free(t->webhook_secret);
	if (t->has_subject_re)
		regfree(&t->subject_re);
	free(t->name);
	free(t->ca_cert);
	free(t->ca_key);
	free(t->ra_cert);
	free(t->ra_key);
	free(t->chain);
	free(t->next_ca_cert);
	free(t->next_ca_key);
	free(t->next_ra_cert);
	free(t->next_ra_key);
	free(t->previous_ca_cert);
	free(t->previous_ca_key);
	free(t->previous_ra_cert);
	free(t->previous_ra_key);
	free(t->webhook_url);
	free(t->webhook_ca);
	free(t->subject_pattern);
	free(t->crl_base_url);
	free(t);
}

/*
 * The algorithm policy and the GetCACaps set of INTEROP.md 6.1.
 * Ciphers: AES always, 3DES and DES by switch.  Digests: SHA-224/256/
 * 384/512 always, SHA-1 and MD5 by switch.  Caps: AES, DES3 if
 * allow_3des, SHA-1 if allow_sha1, SHA-256, SHA-512, POSTPKIOperation,
 * Renewal, SCEPStandard, GetNextCACert only with a rollover certificate;
 * then intersected with the override.
 */
static void
tenant_derive(struct conf_tenant *t)
{
	unsigned int	 caps;

	t->policy.ciphers = 1u << SCEP_CIPHER_AES128 |
	    1u << SCEP_CIPHER_AES192 | 1u << SCEP_CIPHER_AES256;
	if (t->allow_3des)
		t->policy.ciphers |= 1u << SCEP_CIPHER_DES3;
	if (t->allow_des)
		t->policy.ciphers |= 1u << SCEP_CIPHER_DES;
	t->policy.digests = 1u << SCEP_DIGEST_SHA224 |
	    1u << SCEP_DIGEST_SHA256 | 1u << SCEP_DIGEST_SHA384 |
	    1u << SCEP_DIGEST_SHA512;
	if (t->allow_sha1)
		t->policy.digests |= 1u << SCEP_DIGEST_SHA1;
	if (t->allow_md5)
		t->policy.digests |= 1u << SCEP_DIGEST_MD5;

	caps = 1u << SCEP_CAP_AES | 1u << SCEP_CAP_SHA256 |
	    1u << SCEP_CAP_SHA512 | 1u << SCEP_CAP_POSTPKIOPERATION |
	    1u << SCEP_CAP_RENEWAL | 1u << SCEP_CAP_SCEPSTANDARD;
	if (t->allow_3des)
		caps |= 1u << SCEP_CAP_DES3;
	if (t->allow_sha1)
		caps |= 1u << SCEP_CAP_SHA1;
	if (t->next_ca_cert != NULL)
		caps |= 1u << SCEP_CAP_GETNEXTCACERT;
	if (t->has_caps_override)
		caps &= t->caps_override;
	t->caps = caps;
}

/* Line of tenant key name in the current section, or the header's. */
static size_t
seen_line(const struct parse *p, const char *name)
{
	int	 i;

	if ((i = key_index(name)) >= 0 && p->seen[i] != 0)
		return p->seen[i];
	return p->t->line;
}

/* Whether tenant key name was set in the current section. */
static int
seen(const struct parse *p, const char *name)
{
	int	 i;

	return (i = key_index(name)) >= 0 && p->seen[i] != 0;
}

/*
 * Whether the http:// URL url names the loopback host: 127.0.0.1,
 * [::1] or localhost, followed by the end, a port or a path, and no
 * user information (so that "http://127.0.0.1:80@example.com/" or
 * "http://localhost.example/" fail).
 */
static int
http_loopback(const char *url)
{
	static const char *const hosts[] = { "127.0.0.1", "[::1]",
	    "localhost" };
	const char	*h = url + 7;
	size_t		 i, len;

	/* No user information: "http://127.0.0.1:80@example.com/". */
	if (memchr(h, '@', strcspn(h, "/?#")) != NULL)
		return 0;
	if (*h == '[')
		len = strcspn(h, "]") + 1;
	else
		len = strcspn(h, ":/?#@");
	if (h[len] != '\0' && h[len] != ':' && h[len] != '/')
		return 0;
	for (i = 0; i < NELEM(hosts); i++)
		if (strlen(hosts[i]) == len && strncmp(h, hosts[i], len) == 0)
			return 1;
	return 0;
}

/*
 * Key k1 of the section needs k2 (k2 set: 1), or an error naming the
 * line of k1 and what.  Returns 1, or 0 with p->err set.
 */
static int
needs(struct parse *p, const char *k1, const char *k2, const char *what)
{
	if (!seen(p, k1) || seen(p, k2))
		return 1;
	return perr_at(p, seen_line(p, k1), "%s without %s in [tenant %s]%s",
	    k1, k2, p->t->name, what);
}

/*
 * A CA rollover (scepadm ca rollover, INTEROP.md 6.4): next_ca_key and
 * rollover_at make the next CA (and RA) the current ones at rollover_at;
 * both or neither, with next_ca_cert; the RA switches with the CA, so a
 * tenant with an RA needs next_ra_cert and next_ra_key and one without
 * has neither.  previous_ca_cert and previous_ca_key name the CA a
 * finished rollover switched from, and wait for no rollover;
 * previous_ra_cert and previous_ra_key its RA, which still opens
 * messages from clients that kept it, and only with that CA: removing
 * previous_ca_* must retire the RA too.  Returns 1, or 0 with p->err
 * set.
 */
static int
rollover_end(struct parse *p)
{
	static const char *const pairs[][3] = {
		{ "next_ca_key", "next_ca_cert", "" },
		{ "next_ca_key", "rollover_at", "" },
		{ "rollover_at", "next_ca_key", "" },
		{ "next_ra_key", "next_ra_cert", "" },
		{ "next_ra_key", "next_ca_key", "" },
		{ "next_ra_cert", "next_ra_key",
		    ": the next RA needs its key when next_ca_key is set" },
		{ "ra_cert", "next_ra_cert",
		    ": the RA switches with the CA" },
		{ "previous_ca_cert", "previous_ca_key", "" },
		{ "previous_ca_key", "previous_ca_cert", "" },
		{ "previous_ra_cert", "previous_ra_key", "" },
		{ "previous_ra_key", "previous_ra_cert", "" },
		{ "previous_ra_cert", "previous_ca_cert",
		    ": the previous RA retires with the previous CA" },
	};
	struct conf_tenant	*t = p->t;
	size_t			 i;

	for (i = 0; i < NELEM(pairs); i++) {
		/* Only a managed rollover binds the RA files. */
		if (i >= 5 && i <= 6 && t->next_ca_key == NULL)
			continue;
		if (!needs(p, pairs[i][0], pairs[i][1], pairs[i][2]))
			return 0;
	}
	if (t->next_ca_key != NULL && t->ra_cert == NULL &&
	    t->next_ra_cert != NULL)
		return perr_at(p, seen_line(p, "next_ra_cert"),
		    "next_ra_cert in [tenant %s], which has no RA", t->name);
	if (t->ra_cert == NULL && t->previous_ra_cert != NULL)
		return perr_at(p, seen_line(p, "previous_ra_cert"),
		    "previous_ra_cert in [tenant %s], which has no RA",
		    t->name);
	if (t->previous_ca_cert != NULL && t->rollover_at != 0)
		return perr_at(p, seen_line(p, "rollover_at"), "rollover_at "
		    "with previous_ca_cert in [tenant %s]: a tenant keeps one "
		    "previous CA; remove previous_ca_cert and previous_ca_key "
		    "once its certificates have expired", t->name);
	return 1;
}

/*
 * The checks of a [tenant] section that involve several keys, then the
 * derived values.  Returns 1, or 0 with p->err set.
 */
static int
tenant_end(struct parse *p)
{
	static const char *const wh[] = { "webhook_url", "webhook_secret",
	    "webhook_timeout", "webhook_wait", "webhook_fail",
	    "webhook_allow_http_loopback", "webhook_ca" };
	struct conf_tenant	*t = p->t;
	size_t			 i;

	if (t->ca_cert == NULL || t->ca_key == NULL)
		return perr_at(p, t->line, "[tenant %s] needs ca_cert and "
		    "ca_key", t->name);
	/* An RA is a certificate and its key, or nothing (--no-ra). */
	if (t->ra_cert != NULL && t->ra_key == NULL)
		return perr_at(p, seen_line(p, "ra_cert"), "ra_cert without "
		    "ra_key in [tenant %s]", t->name);
	if (t->ra_key != NULL && t->ra_cert == NULL)
		return perr_at(p, seen_line(p, "ra_key"), "ra_key without "
		    "ra_cert in [tenant %s]", t->name);
	if (t->next_ra_cert != NULL && t->next_ca_cert == NULL)
		return perr_at(p, seen_line(p, "next_ra_cert"),
		    "next_ra_cert without next_ca_cert in [tenant %s]",
		    t->name);
	if (!rollover_end(p))
		return 0;

	/* A static challenge needs its password, and only it has one. */
	if (t->challenge == CONF_CHALLENGE_STATIC &&
	    t->challenge_password == NULL)
		return perr_at(p, seen_line(p, "challenge"), "challenge "
		    "static needs challenge_password in [tenant %s]", t->name);
	if (t->challenge != CONF_CHALLENGE_STATIC &&
	    t->challenge_password != NULL)
		return perr_at(p, seen_line(p, "challenge_password"),
		    "challenge_password needs challenge = static in "
		    "[tenant %s]", t->name);
	/* The HMAC key of one-time challenges (src/otp.c). */
	if (t->challenge != CONF_CHALLENGE_OTP && t->challenge_key != NULL)
		return perr_at(p, seen_line(p, "challenge_key"),
		    "challenge_key needs challenge = otp in [tenant %s]",
		    t->name);

	/* Webhook settings belong to webhook approval. */
	if (t->approval == CONF_APPROVAL_WEBHOOK) {
		if (t->webhook_url == NULL || t->webhook_secret == NULL)
			return perr_at(p, seen_line(p, "approval"),
			    "approval webhook needs webhook_url and "
			    "webhook_secret in [tenant %s]", t->name);
		/* Plain http only to this host, and only if allowed. */
		if (strncmp(t->webhook_url, "http://", 7) == 0 &&
		    (!t->webhook_allow_http_loopback ||
		    !http_loopback(t->webhook_url)))
			return perr_at(p, seen_line(p, "webhook_url"),
			    "webhook_url must be https (http only to the "
			    "loopback address with "
			    "webhook_allow_http_loopback = yes) in "
			    "[tenant %s]", t->name);
		if (t->webhook_ca != NULL &&
		    strncmp(t->webhook_url, "https://", 8) != 0)
			return perr_at(p, seen_line(p, "webhook_ca"),
			    "webhook_ca needs an https webhook_url in "
			    "[tenant %s]", t->name);
	} else {
		for (i = 0; i < NELEM(wh); i++)
			if (seen(p, wh[i]))
				return perr_at(p, seen_line(p, wh[i]),
				    "%s needs approval = webhook in "
				    "[tenant %s]", wh[i], t->name);
	}
	/* INTEROP.md 6.3: webhook tenants approve renewals the same way. */
	if (t->renewal_approval == CONF_RENEWAL__MAX)
		t->renewal_approval = t->approval == CONF_APPROVAL_WEBHOOK ?
		    CONF_RENEWAL_SAME : CONF_RENEWAL_AUTO;

	/* A CRL is regenerated crl_margin before nextUpdate (crl.c). */
	if (!seen(p, "crl_margin"))
		t->crl_margin = t->crl_days / 2;
	else if (t->crl_margin >= t->crl_days)
		return perr_at(p, seen_line(p, "crl_margin"), "crl_margin "
		    "must be shorter than crl_days in [tenant %s]", t->name);

	/* INTEROP.md 6.4: an open CA only when the operator says so. */
	if (t->challenge == CONF_CHALLENGE_NONE &&
	    t->approval == CONF_APPROVAL_AUTO && !t->open_enrolment)
		return perr_at(p, t->line, "[tenant %s] is an open CA "
		    "(challenge none, approval auto): set open_enrolment = "
		    "yes to allow it", t->name);

	tenant_derive(t);
	p->t = NULL;
	return 1;
}

/*
 * A section header "[tenant NAME]" (s points after the '[').  Ends the
 * previous tenant and starts a new one.
 */
static int
section(struct parse *p, char *s)
{
	struct conf_tenant	**nt, *t;
	char			*end, *name, b[80];
	size_t			 i;

	if ((end = strchr(s, ']')) == NULL)
		return perr(p, "missing ']' in section header");
	*end++ = '\0';
	end += strspn(end, " \t");
	if (*end != '\0' && *end != '#' && *end != ';')
		return perr(p, "text after section header");
	s += strspn(s, " \t");
	if (strncmp(s, "tenant", 6) != 0 || (s[6] != ' ' && s[6] != '\t'))
		return perr(p, "unknown section '[%s]' (expected "
		    "[tenant NAME])", show(s, b, sizeof(b)));
	/* The name, then nothing but white space up to the ']'. */
	name = s + 6 + strspn(s + 6, " \t");
	end = name + strcspn(name, " \t");
	if (end[strspn(end, " \t")] != '\0')
		return perr(p, "bad tenant name '%s'", show(name, b,
		    sizeof(b)));
	*end = '\0';
	for (i = 0; i < NELEM(reserved); i++)
		if (strcmp(name, reserved[i]) == 0)
			return perr(p, "tenant name '%s' is reserved", name);
	if (!conf_tenant_name_ok(name))
		return perr(p, "bad tenant name '%s' (expected "
		    "[a-z0-9][a-z0-9_-]{0,62})", show(name, b, sizeof(b)));
	if (conf_tenant_find(p->conf, name) != NULL)
		return perr(p, "duplicate tenant '%s'", name);

	if (p->t != NULL && !tenant_end(p))
		return 0;
	if ((t = tenant_new(name, p->line)) == NULL)
		return perr(p, "out of memory");
	nt = reallocarray(p->conf->tenants, p->conf->ntenants + 1,
	    sizeof(*nt));
	if (nt == NULL) {
		tenant_free(t);
		return perr(p, "out of memory");
	}
	p->conf->tenants = nt;
	nt[p->conf->ntenants++] = t;
	p->t = t;
	memset(p->seen, 0, sizeof(p->seen));
	return 1;
}

/*
 * Read the value starting at s (after '=' and white space) into a
 * NUL-terminated string in place; *valp points to it.  A value is
 * either double-quoted, with \" and \\ as the only escapes (another
 * backslash is kept, so that "a\.b" is a regular expression) and only
 * a comment after it, or bare, ending at a '#' comment, with trailing
 * white space removed.
 */
static int
value(struct parse *p, char *s, char **valp)
{
	char	*o, *e;

	if (*s == '"') {
		o = *valp = ++s;
		for (;;) {
			if (*s == '\0')
				return perr(p, "unterminated quoted value");
			if (*s == '"')
				break;
			/* \" and \\ are escapes; other '\' are kept. */
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			*o++ = *s++;
		}
		*o = '\0';
		s++;
		s += strspn(s, " \t");
		if (*s != '\0' && *s != '#' && *s != ';')
			return perr(p, "text after quoted value");
		return 1;
	}
	*valp = s;
	if ((e = strchr(s, '#')) == NULL)
		e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	return 1;
}

/* One "key = value" line. */
static int
assignment(struct parse *p, char *s)
{
	const struct key	*k;
	char			*name, *end, *val, b[80], w[64], c;
	size_t			*seenp;
	int			 i;

	/* The key: lower-case letters, digits and '_'. */
	name = s;
	s += strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (s == name)
		return perr(p, "expected 'key = value' or '[tenant NAME]'");
	if (*s != '\0' && *s != '=' && *s != ' ' && *s != '\t')
		return perr(p, "bad character in key name");
	end = s;
	s += strspn(s, " \t");
	c = *s;
	*end = '\0';
	if (c != '=')
		return perr(p, "expected '=' after '%s'", name);
	s++;
	s += strspn(s, " \t");
	if (!value(p, s, &val))
		return 0;

	if ((i = key_index(name)) < 0)
		return perr(p, "unknown key '%s' in %s", show(name, b,
		    sizeof(b)), where(p, w, sizeof(w)));
	k = &keys[i];
	if (k->sect == KS_GLOBAL && p->t != NULL)
		return perr(p, "global key '%s' in [tenant %s]: global "
		    "settings go before the first section", name, p->t->name);
	if (k->sect == KS_TENANT && p->t == NULL)
		return perr(p, "tenant key '%s' in the global section: it "
		    "belongs in a [tenant NAME] section", name);
	seenp = p->t != NULL ? &p->seen[i] : &p->gseen[i];
	if (*seenp != 0)
		return perr(p, "duplicate key '%s' (first on line %zu)", name,
		    *seenp);
	*seenp = p->line;
	return set_value(p, k, val);
}

/*
 * Read one line of at most CONF_LINE_MAX bytes into buf (size at least
 * CONF_LINE_MAX + 1), without its newline or a CR before it.  Returns 1
 * with a line, 0 at the end of the file, -1 on error (p->err set).
 */
static int
read_line(struct parse *p, FILE *f, char *buf)
{
	size_t	 n = 0;
	int	 c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0')
			return perr(p, "NUL byte in line") - 1;
		if (n == CONF_LINE_MAX)
			return perr(p, "line longer than %d bytes",
			    CONF_LINE_MAX) - 1;
		buf[n++] = (char)c;
	}
	if (ferror(f))
		return perr(p, "read error") - 1;
	if (c == EOF && n == 0)
		return 0;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 1;
}

/* Apply the global defaults of scepd.conf(5) to a fresh conf. */
static void
conf_defaults(struct conf *c)
{
	c->map_size = 16 * GIB;
	c->log = CONF_LOG_SYSLOG;
	c->syslog_facility = LOG_DAEMON;
	scep_limits_default(&c->limits);
	c->max_post_body = 64 * KIB;
	c->max_get_query = 64 * KIB;
	c->reader_check_interval = 1000;
}

/*
 * Parse the stream f as scepd.conf, naming it path in messages.
 * Returns 1 with *out set (free with conf_free()), or 0 with err set.
 */
static int
conf_parse(FILE *f, const char *path, struct conf **out, char *err,
    size_t errsz)
{
	struct parse	 p;
	struct conf	*c = NULL;
	char		 buf[CONF_LINE_MAX + 1], *s;
	int		 rc = 0, r, i;

	memset(&p, 0, sizeof(p));
	p.path = path;
	p.err = err;
	p.errsz = errsz;
	if (errsz > 0)
		err[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		perr(&p, "out of memory");
		goto out;
	}
	conf_defaults(c);
	p.conf = c;

	for (;;) {
		p.line++;	/* the line read_line() reads */
		if ((r = read_line(&p, f, buf)) != 1)
			break;
		s = buf + strspn(buf, " \t");
		/* Other control bytes are always a mistake. */
		for (i = 0; s[i] != '\0'; i++)
			if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
			    s[i] == 0x7f) {
				perr(&p, "control character in line");
				goto out;
			}
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[' ? !section(&p, s + 1) : !assignment(&p, s))
			goto out;
	}
	if (r < 0)
		goto out;
	if (p.t != NULL && !tenant_end(&p))
		goto out;

	/* Global checks. */
	if (c->database == NULL &&
	    (c->database = strdup(CONF_DATABASE_DEFAULT)) == NULL) {
		perr(&p, "out of memory");
		goto out;
	}
	if (c->default_tenant != NULL &&
	    conf_tenant_find(c, c->default_tenant) == NULL) {
		perr_at(&p, p.gseen[key_index("default_tenant")],
		    "default_tenant '%s' names no [tenant] section",
		    show(c->default_tenant, buf, 80));
		goto out;
	}
	c->limits.max_msg = c->max_post_body;
	*out = c;
	c = NULL;
	rc = 1;
out:
	conf_free(c);
	return rc;
}

/*
 * Read scepd.conf from path; see extern.h.  Returns 1 with *out set
 * (free with conf_free()), or 0 with err holding "path:line: problem".
 */
int
conf_load(const char *path, struct conf **out, char *err, size_t errsz)
{
	FILE	*f;
	int	 rc;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		if (errsz > 0)
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return 0;
	}
	rc = conf_parse(f, path, out, err, errsz);
	fclose(f);
	return rc;
}

/* Free a configuration and everything it owns (NULL-safe). */
void
conf_free(struct conf *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ntenants; i++)
		tenant_free(c->tenants[i]);
	free(c->tenants);
	free(c->path);
	free(c->database);
	free(c->default_tenant);
	free(c);
}

/* The tenant called name, borrowed from c (valid until conf_free). */
const struct conf_tenant *
conf_tenant_find(const struct conf *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < c->ntenants; i++)
		if (strcmp(c->tenants[i]->name, name) == 0)
			return c->tenants[i];
	return NULL;
}

/* 1 when an RSA key of bits bits is in one of the key_sizes ranges. */
int
conf_key_size_ok(const struct conf_tenant *t, unsigned int bits)
{
	size_t	 i;

	for (i = 0; i < t->nkey_sizes; i++)
		if (bits >= t->key_sizes[i].lo && bits <= t->key_sizes[i].hi)
			return 1;
	return 0;
}

/* 1 when the tenant has no subject_pattern or the whole cn matches. */
int
conf_subject_ok(const struct conf_tenant *t, const char *cn)
{
	if (!t->has_subject_re)
		return 1;
	return regexec(&t->subject_re, cn, 0, NULL, 0) == 0;
}

/* 1 when some tenant accepts single DES (INTEROP.md 6.1). */
int
conf_needs_des(const struct conf *c)
{
	size_t	 i;

	for (i = 0; i < c->ntenants; i++)
		if (c->tenants[i]->allow_des)
			return 1;
	return 0;
}

/*
 * Write "key = value" to f, quoting the value when it is empty, has
 * white space at an end, or holds '#', ';', '"' or '\\'.
 */
static void
write_kv(FILE *f, const char *key, const char *v)
{
	size_t	 len = strlen(v);

	if (len > 0 && strcspn(v, "#;\"\\") == len && v[0] != ' ' &&
	    v[0] != '\t' && v[len - 1] != ' ' && v[len - 1] != '\t') {
		fprintf(f, "%s = %s\n", key, v);
		return;
	}
	fprintf(f, "%s = \"", key);
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputs("\"\n", f);
}

/*
 * Read the whole file at fd (at most CONF_FILE_MAX bytes) into *buf
 * (free with free()) and *len.  Returns 1 or 0 with errno set.
 */
static int
read_all(int fd, char **buf, size_t *len)
{
	char	*b = NULL, *nb;
	size_t	 n = 0, cap = 0;
	ssize_t	 r;

	for (;;) {
		if (n == cap) {
			if (cap >= CONF_FILE_MAX) {
				free(b);
				errno = EFBIG;
				return 0;
			}
			cap = cap == 0 ? 8192 : cap * 2;
			if ((nb = realloc(b, cap)) == NULL) {
				free(b);
				return 0;
			}
			b = nb;
		}
		if ((r = read(fd, b + n, cap - n)) < 0) {
			if (errno == EINTR)
				continue;
			free(b);
			return 0;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 1;
}

/* Write all of buf to fd; 1 or 0 with errno set. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 w;

	while (len > 0) {
		if ((w = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 1;
}

/*
 * Check the n settings kv for a tenant section: tenant keys, values of
 * one line of printable text (NULL, when del_ok: remove the key).
 * Returns 1, or 0 with err set.
 */
static int
kv_check(const struct conf_kv *kv, size_t n, int del_ok, char *err,
    size_t errsz)
{
	size_t	 i;
	int	 k;

	for (i = 0; i < n; i++) {
		if ((k = key_index(kv[i].key)) < 0 ||
		    keys[k].sect != KS_TENANT) {
			snprintf(err, errsz, "unknown tenant key '%.64s'",
			    kv[i].key);
			return 0;
		}
		if (kv[i].value == NULL ? !del_ok :
		    strlen(kv[i].value) > CONF_LINE_MAX / 2 ||
		    strpbrk(kv[i].value, "\r\n") != NULL) {
			snprintf(err, errsz, "bad value for %s", kv[i].key);
			return 0;
		}
	}
	return 1;
}

/*
 * Read the configuration at path for a rewrite: its bytes (*old,
 * *oldlen; free with free()), its mode and owner (*st), and, when it is
 * not empty, the parsed configuration (*c, free with conf_free(); NULL
 * for an empty file).  Returns 1, or 0 with err set.
 */
static int
conf_read(const char *path, struct stat *st, char **old, size_t *oldlen,
    struct conf **c, char *err, size_t errsz)
{
	FILE	*f = NULL;
	char	 msg[512];
	int	 fd, rc = 0;

	*old = NULL;
	*oldlen = 0;
	*c = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, st) == -1 || !read_all(fd, old, oldlen)) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* An empty file is a valid configuration with no tenant. */
	if (*oldlen > 0) {
		if ((f = fmemopen(*old, *oldlen, "r")) == NULL) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (!conf_parse(f, path, c, msg, sizeof(msg))) {
			snprintf(err, errsz, "%s (fix it first)", msg);
			goto out;
		}
	}
	rc = 1;
out:
	if (f != NULL)
		fclose(f);
	if (fd != -1)
		close(fd);
	if (!rc) {
		free(*old);
		*old = NULL;
	}
	return rc;
}

/*
 * Replace the configuration at path by the newlen bytes of new, parsed
 * in full first: written to "path.tmp" (created exclusively, so it also
 * keeps two writers apart; a stale one after a crash is named in the
 * error) with the mode (and owner, as root) of st, fsynced and renamed
 * over path, then the directory fsynced.  Returns 1, or 0 with err set.
 */
static int
conf_replace(const char *path, const struct stat *st, const char *new,
    size_t newlen, char *err, size_t errsz)
{
	struct conf	*c = NULL;
	FILE		*f = NULL;
	char		*tmp = NULL, *dir = NULL, *slash;
	int		 tfd = -1, dfd = -1, rc = 0, created = 0;

	if ((f = fmemopen((void *)new, newlen, "r")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!conf_parse(f, path, &c, err, errsz))
		goto out;
	if (asprintf(&tmp, "%s.tmp", path) == -1) {
		tmp = NULL;
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if ((tfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errsz, "%s: %s%s", tmp, strerror(errno),
		    errno == EEXIST ? " (another update running, or left "
		    "over: remove it)" : "");
		goto out;
	}
	created = 1;
	if (fchmod(tfd, st->st_mode & 07777) == -1 ||
	    (geteuid() == 0 && fchown(tfd, st->st_uid, st->st_gid) == -1) ||
	    !write_all(tfd, new, newlen) || fsync(tfd) == -1) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(tfd) == -1) {
		tfd = -1;
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	tfd = -1;
	if (rename(tmp, path) == -1) {
		snprintf(err, errsz, "rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	created = 0;

	/* Make the rename durable. */
	if ((dir = strdup(path)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, strlen(dir) + 1, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		goto out;
	}
	rc = 1;
out:
	if (created)
		(void)unlink(tmp);
	if (dfd != -1)
		close(dfd);
	if (tfd != -1)
		close(tfd);
	if (f != NULL)
		fclose(f);
	conf_free(c);
	free(tmp);
	free(dir);
	return rc;
}

/* Close the memory stream mf (with *buf); 1, or 0 with err set. */
static int
mem_close(FILE *mf, char *err, size_t errsz)
{
	int	 werr = ferror(mf);

	if (fclose(mf) != 0 || werr) {
		snprintf(err, errsz, "out of memory");
		return 0;
	}
	return 1;
}

/* Write the new contents of a configuration for conf_rewrite(). */
typedef int (*conf_edit)(FILE *mf, const char *old, size_t oldlen,
    const struct conf *c, const char *name, const struct conf_kv *kv,
    size_t n, char *err, size_t errsz);

/*
 * Rewrite the configuration at path for tenant name: check kv (NULL
 * values only with del_ok), read and parse the file, let edit write the
 * new contents, and put them in place with conf_replace().  Returns 1,
 * or 0 with err set.
 */
static int
conf_rewrite(const char *path, const char *name, const struct conf_kv *kv,
    size_t n, int del_ok, conf_edit edit, char *err, size_t errsz)
{
	struct conf	*c = NULL;
	struct stat	 st;
	FILE		*mf;
	char		*old = NULL, *new = NULL;
	size_t		 oldlen = 0, newlen = 0;
	int		 rc = 0;

	if (errsz > 0)
		err[0] = '\0';
	if (!kv_check(kv, n, del_ok, err, errsz) ||
	    !conf_read(path, &st, &old, &oldlen, &c, err, errsz))
		goto out;
	/* The new contents, checked in full before anything is written. */
	if ((mf = open_memstream(&new, &newlen)) == NULL) {
		snprintf(err, errsz, "out of memory");
		goto out;
	}
	if (!edit(mf, old, oldlen, c, name, kv, n, err, errsz)) {
		fclose(mf);
		goto out;
	}
	if (!mem_close(mf, err, errsz))
		goto out;
	rc = conf_replace(path, &st, new, newlen, err, errsz);
out:
	conf_free(c);
	free(old);
	free(new);
	return rc;
}

/* conf_edit for conf_write_tenant(): the old text, then the section. */
static int
append_section(FILE *mf, const char *old, size_t oldlen,
    const struct conf *c, const char *name, const struct conf_kv *kv,
    size_t n, char *err, size_t errsz)
{
	size_t	 i;

	if (c != NULL && conf_tenant_find(c, name) != NULL) {
		snprintf(err, errsz, "%s: tenant '%s' already exists", c->path,
		    name);
		return 0;
	}
	fwrite(old, 1, oldlen, mf);
	if (oldlen > 0 && old[oldlen - 1] != '\n')
		fputc('\n', mf);
	fprintf(mf, "%s[tenant %s]\n", oldlen > 0 ? "\n" : "", name);
	for (i = 0; i < n; i++)
		write_kv(mf, kv[i].key, kv[i].value);
	return 1;
}

/*
 * Append a [tenant name] section to the configuration at path by
 * atomic rename; see extern.h.  Returns 1, or 0 with err set.
 */
int
conf_write_tenant(const char *path, const char *name,
    const struct conf_kv *kv, size_t n, char *err, size_t errsz)
{
	if (!conf_tenant_name_ok(name)) {
		snprintf(err, errsz, "bad or reserved tenant name");
		return 0;
	}
	return conf_rewrite(path, name, kv, n, 0, append_section, err, errsz);
}

/*
 * What one line of scepd.conf is, for conf_update_tenant(): the tenant
 * a section header names into sect (bufsz bytes; "" for another
 * section), or the key a "key = value" line sets into key.  Returns 1
 * for a header, 2 for a key line, 0 for anything else.
 */
static int
line_kind(const char *line, size_t len, char *sect, char *key, size_t bufsz)
{
	size_t	 i = 0, j, n;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && line[i] == '[') {
		sect[0] = '\0';
		for (i++; i < len && line[i] == ' '; i++)
			;
		if (len - i < 7 || memcmp(line + i, "tenant ", 7) != 0)
			return 1;
		for (i += 7; i < len && line[i] == ' '; i++)
			;
		for (j = i; j < len && line[j] != ' ' && line[j] != ']'; j++)
			;
		if ((n = j - i) < bufsz) {
			memcpy(sect, line + i, n);
			sect[n] = '\0';
		}
		return 1;
	}
	n = strspn(line + i, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (n == 0 || i + n > len || n >= bufsz)
		return 0;
	memcpy(key, line + i, n);
	key[n] = '\0';
	return 2;
}

/*
 * One pass over the configuration text old for edit_section(): returns
 * the offset just after the last header or setting of [tenant name].
 * With mf, also writes the lines kept (all but those setting a key of
 * kv in the section) and, after the line ending at offset at, the
 * settings of kv that have a value.
 */
static size_t
edit_pass(FILE *mf, const char *old, size_t oldlen, const char *name,
    const struct conf_kv *kv, size_t n, size_t at)
{
	char		 sect[CONF_TENANT_MAX + 2], key[64];
	const char	*line, *nl;
	size_t		 len, i, last = 0, pos;
	int		 in = 0, kind, drop;

	for (pos = 0; pos < oldlen; pos += len) {
		line = old + pos;
		nl = memchr(line, '\n', oldlen - pos);
		len = nl != NULL ? (size_t)(nl - line) + 1 : oldlen - pos;
		kind = line_kind(line, len, sect, key, sizeof(key));
		if (kind == 1)
			in = strcmp(sect, name) == 0;
		if (in && kind != 0)
			last = pos + len;
		if (mf == NULL)
			continue;
		drop = 0;
		for (i = 0; in && kind == 2 && i < n; i++)
			if (strcmp(key, kv[i].key) == 0)
				drop = 1;
		if (!drop) {
			fwrite(line, 1, len, mf);
			if (nl == NULL)
				fputc('\n', mf);
		}
		if (pos + len == at)
			for (i = 0; i < n; i++)
				if (kv[i].value != NULL)
					write_kv(mf, kv[i].key, kv[i].value);
	}
	return last;
}

/*
 * conf_edit for conf_update_tenant(): the old lines but those setting a
 * key of kv in [tenant name], and the settings of kv with a value after
 * the section's last header or setting.
 */
static int
edit_section(FILE *mf, const char *old, size_t oldlen,
    const struct conf *c, const char *name, const struct conf_kv *kv,
    size_t n, char *err, size_t errsz)
{
	size_t	 at;

	if (c == NULL || conf_tenant_find(c, name) == NULL) {
		snprintf(err, errsz, "no tenant '%s'", name);
		return 0;
	}
	at = edit_pass(NULL, old, oldlen, name, kv, n, 0);
	(void)edit_pass(mf, old, oldlen, name, kv, n, at);
	return 1;
}

/*
 * Set (value) or remove (value NULL) the n settings kv in the section
 * [tenant name] of the configuration at path; see extern.h.  A set key
 * replaces its line; a new one goes after the section's last setting.
 * Returns 1, or 0 with err set.
 */
int
conf_update_tenant(const char *path, const char *name,
    const struct conf_kv *kv, size_t n, char *err, size_t errsz)
{
	return conf_rewrite(path, name, kv, n, 1, edit_section, err, errsz);
}

/*
 * Check one file for conf_check_files(): readable, not writable by the
 * effective user, and for a key not accessible to others at all.
 */
static int
check_file(const char *path, int is_key, char *err, size_t errsz)
{
	struct stat	 st;

	if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) == -1 ||
	    stat(path, &st) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return 0;
	}
	if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0) {
		snprintf(err, errsz, "%s: writable by the worker user "
		    "(uid %ld); make it owned by root and read-only for the "
		    "worker", path, (long)geteuid());
		return 0;
	}
	if (is_key && (st.st_mode & S_IRWXO) != 0) {
		snprintf(err, errsz, "%s: private key accessible to others "
		    "(mode %04o; use 0640)", path,
		    (unsigned int)(st.st_mode & 07777));
		return 0;
	}
	return 1;
}

/*
 * INTEROP.md 6.4: the configuration and the key files are readable,
 * never writable, by the worker's (current effective) user, and keys
 * are not accessible to others.  Returns 1, or 0 with err naming the
 * first offending file.
 */
int
conf_check_files(const struct conf *c, char *err, size_t errsz)
{
	const struct conf_tenant	*t;
	size_t				 i;

	if (errsz > 0)
		err[0] = '\0';
	if (!check_file(c->path, 0, err, errsz))
		return 0;
	for (i = 0; i < c->ntenants; i++) {
		t = c->tenants[i];
		if (!check_file(t->ca_key, 1, err, errsz))
			return 0;
		if (t->ra_key != NULL && !check_file(t->ra_key, 1, err, errsz))
			return 0;
		if (t->next_ca_key != NULL &&
		    !check_file(t->next_ca_key, 1, err, errsz))
			return 0;
		if (t->next_ra_key != NULL &&
		    !check_file(t->next_ra_key, 1, err, errsz))
			return 0;
		if (t->previous_ca_key != NULL &&
		    !check_file(t->previous_ca_key, 1, err, errsz))
			return 0;
		if (t->previous_ra_key != NULL &&
		    !check_file(t->previous_ra_key, 1, err, errsz))
			return 0;
		if (t->challenge_key != NULL &&
		    !check_file(t->challenge_key, 1, err, errsz))
			return 0;
	}
	return 1;
}
