/*
 * adm_challenge.c: scepadm challenge create, list and revoke: one-time
 * challenge passwords (challenge = otp, src/otp.c).
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <jansson.h>

#include "src/extern.h"
#include "src/store.h"
#include "src/server.h"
#include "src/adm.h"

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
/* challenge purge --older-than: default and most. */
#define CHALLENGE_PURGE_DEFAULT	(30 * 86400)
#define CHALLENGE_PURGE_MAX	(3650LL * 86400)

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

/* --count N of challenge create into *(long long *)arg. */
static int
create_count(const struct cmd *c, const char *v, void *arg)
{
	if (!parse_num(v, 1, CHALLENGE_COUNT_MAX, arg))
		return usage_err(c, "--count: 1 to %d", CHALLENGE_COUNT_MAX);
	return EXIT_OK;
}

/* --ttl D of challenge create into *(time_t *)arg. */
static int
create_ttl(const struct cmd *c, const char *v, void *arg)
{
	if (!parse_ttl(v, CHALLENGE_TTL_MAX, arg))
		return usage_err(c, "--ttl: 1s to 365d (a number with s, m, "
		    "h or d)");
	return EXIT_OK;
}

/*
 * scepadm challenge create TENANT [--ttl D] [--subject DN] [--count N]
 * [--json]: make N one-time passwords and print them with their ids.
 */
int
cmd_challenge_create(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct server		*s = NULL;
	const struct tenant	*t;
	json_t			*arr = NULL, *o;
	const char		*subject = NULL, *name;
	char			 pw[OTP_PW_LEN + 1], id[OTP_ID_LEN + 1];
	char			 exp[32], err[1024];
	time_t			 ttl = CHALLENGE_TTL_DEFAULT, now;
	long long		 count = 1, i;
	int			 json = 0, rc;
	const struct opt opts[] = {
		{ .name = "count", .shortc = 'n', .check = create_count,
		    .arg = &count },
		{ .name = "json", .shortc = 'j', .flag = &json },
		{ .name = "subject", .shortc = 's', .val = &subject },
		{ .name = "ttl", .shortc = 't', .check = create_ttl,
		    .arg = &ttl },
	};

	memset(pw, 0, sizeof(pw));
	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), "the TENANT "
	    "is missing", &name)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;
	if ((s = load_server(a)) == NULL)
		goto out;
	if ((t = server_tenant(s, name)) == NULL || *name == '\0') {
		warnx("no tenant '%s' in %s", name, s->conf->path);
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
		else if ((o = row_new(arr)) == NULL ||
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

/*
 * store_challenge_list() callback: one challenge as a row of challenge
 * list; an unbound subject or transaction is null ("-" in text).
 */
static int
chlist_cb(const struct store_challenge *ch, void *arg)
{
	struct listing		*l = arg;
	json_t			*o;
	X509_NAME		*name;
	const unsigned char	*p;
	char			 subject[1024], txn[REQID_MAX];

	snprintf(subject, sizeof(subject), "-");
	if (ch->subject_len > 0) {
		p = ch->subject;
		if ((name = d2i_X509_NAME(NULL, &p,
		    (long)ch->subject_len)) == NULL)
			snprintf(subject, sizeof(subject), "?");
		else
			(void)name_text(name, subject, sizeof(subject));
		X509_NAME_free(name);
	}
	if (ch->bound)
		reqid_text(&ch->req, txn, sizeof(txn));
	else
		snprintf(txn, sizeof(txn), "-");
	ERR_clear_error();
	if ((o = row_new(l->rows)) == NULL || !jset_str(o, "id", ch->id) ||
	    !jset_str(o, "tenant", ch->tenant) ||
	    !jset_str(o, "state", ch->state == STORE_CHALLENGE_USED ? "used" :
	    ch->state == STORE_CHALLENGE_REVOKED ? "revoked" :
	    l->now >= ch->expires ? "expired" : "unused") ||
	    !jset_time(o, "created", ch->created) ||
	    !jset_time(o, "expires", ch->expires) ||
	    json_object_set_new(o, "subject", strcmp(subject, "-") == 0 ?
	    json_null() : json_string(subject)) != 0 ||
	    json_object_set_new(o, "transaction", strcmp(txn, "-") == 0 ?
	    json_null() : json_string(txn)) != 0) {
		l->oom = 1;
		return 0;
	}
	return 1;
}

/* challenge list: the challenges of tenant (NULL: all) into l. */
static int
list_challenges(struct listing *l, const char *tenant)
{
	enum store_rc	 src;

	/* The time that decides expiry. */
	l->now = time(NULL);
	if ((src = store_challenge_list(l->st, tenant, chlist_cb, l)) ==
	    STORE_OK)
		return 1;
	store_warn(l->st, src, "listing challenges");
	return 0;
}

/* scepadm challenge list [--tenant T] [--json]. */
int
cmd_challenge_list(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	static const char *const keys[] = { "id", "tenant", "state",
	    "created", "expires", "subject", "transaction" };
	static const char *const head[] = { "ID", "TENANT", "STATE",
	    "CREATED", "EXPIRES", "SUBJECT", "TRANSACTION" };

	return list_cmd(a, c, argc, argv, list_challenges, keys, head,
	    NELEM(keys));
}

/* scepadm challenge revoke ID [--tenant T]: an unused challenge. */
int
cmd_challenge_revoke(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct conf	*conf = NULL;
	struct store	*st = NULL;
	const char	*tenant = NULL, *id;
	enum store_rc	 src;
	int		 rc;
	const struct opt opts[] = {
		{ .name = "tenant", .shortc = 't', .val = &tenant },
	};

	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), "the challenge "
	    "ID is missing", &id)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;

	if (!conf_store_open(a, tenant, &conf, &st))
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

/* --older-than D of challenge purge into *(time_t *)arg. */
static int
purge_age(const struct cmd *c, const char *v, void *arg)
{
	if (!parse_ttl(v, CHALLENGE_PURGE_MAX, arg))
		return usage_err(c, "--older-than: 1s to 3650d (a number with "
		    "s, m, h or d)");
	return EXIT_OK;
}

/*
 * scepadm challenge purge [--tenant T] [--older-than D]: delete the
 * challenges that expired (and, if used, were used) more than D ago.
 */
int
cmd_challenge_purge(const struct adm *a, const struct cmd *c, int argc,
    char *argv[])
{
	struct conf	*conf = NULL;
	struct store	*st = NULL;
	const char	*tenant = NULL;
	time_t		 age = CHALLENGE_PURGE_DEFAULT;
	size_t		 n = 0;
	enum store_rc	 src;
	int		 rc;
	const struct opt opts[] = {
		{ .name = "older-than", .check = purge_age, .arg = &age },
		{ .name = "tenant", .shortc = 't', .val = &tenant },
	};

	if ((rc = parse_opts(c, argc, argv, opts, NELEM(opts), NULL,
	    NULL)) != EXIT_OK)
		return rc == -1 ? help(c) : rc;
	rc = EXIT_FAIL;

	if (!conf_store_open(a, tenant, &conf, &st))
		goto out;
	if ((src = store_challenge_purge(st, tenant, time(NULL) - age,
	    &n)) != STORE_OK)
		store_warn(st, src, "purging challenges");
	else {
		printf("%zu challenges purged\n", n);
		rc = EXIT_OK;
	}
out:
	store_close(st);
	conf_free(conf);
	return rc;
}
