/*
 * check_conf.c: scepd.conf(5) parsing (src/conf.c) and the log
 * (src/log.c).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <check.h>

#include "scep/scep.h"
#include "src/extern.h"

#define BIT(n)	(1u << (n))

/* The caps a tenant advertises with every default (INTEROP.md 6.1). */
#define CAPS_DEFAULT	(BIT(SCEP_CAP_AES) | BIT(SCEP_CAP_DES3) | \
	BIT(SCEP_CAP_POSTPKIOPERATION) | BIT(SCEP_CAP_RENEWAL) | \
	BIT(SCEP_CAP_SHA1) | BIT(SCEP_CAP_SHA256) | BIT(SCEP_CAP_SHA512) | \
	BIT(SCEP_CAP_SCEPSTANDARD))

/* The smallest valid tenant body. */
#define KEYS	"ca_cert = /k/ca.crt\nca_key = /k/ca.key\n"

static char	 dir[64];
static char	 cpath[128];
static char	 err[1024];

/* A fresh directory for each test (they run in forked children). */
static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cpath, sizeof(cpath), "%s/scepd.conf", dir);
	err[0] = '\0';
}

/* Remove the test directory and what is in it (one level). */
static void
teardown(void)
{
	char		 p[512];
	DIR		*d;
	struct dirent	*e;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Write text to path with mode. */
static void
put(const char *path, const char *text, mode_t mode)
{
	FILE	*f;

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* Read a whole small file into a static buffer. */
static const char *
get(const char *path)
{
	static char	 buf[16384];
	FILE		*f;
	size_t		 n;

	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Load text as scepd.conf; the test fails if it does not parse. */
static struct conf *
load(const char *text)
{
	struct conf	*c = NULL;

	put(cpath, text, 0644);
	ck_assert_msg(conf_load(cpath, &c, err, sizeof(err)) == 1,
	    "conf_load: %s", err);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* text must fail with exactly "scepd.conf:line: msg". */
static void
refuse(const char *text, int line, const char *msg)
{
	struct conf	*c = (struct conf *)1;
	char		 want[1024];

	put(cpath, text, 0644);
	ck_assert_int_eq(conf_load(cpath, &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:%d: %s", cpath, line, msg);
	ck_assert_str_eq(err, want);
}

/* text must fail with a message starting "scepd.conf:line: msg". */
static void
refuse_start(const char *text, int line, const char *msg)
{
	struct conf	*c = (struct conf *)1;
	char		 want[1024];

	put(cpath, text, 0644);
	ck_assert_int_eq(conf_load(cpath, &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:%d: %s", cpath, line, msg);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
}

/* A complete configuration using every setting. */
static const char full[] =
    "# scepd.conf with every setting\n"
    "database = /var/lib/scepd-test\n"
    "map_size = 2G\n"
    "default_tenant = demo\n"
    "log = stderr\n"
    "syslog_facility = local3\n"
    "max_post_body = 128K\n"
    "max_get_query = 1M\n"
    "max_certs = 10\n"
    "max_recipients = 6\n"
    "max_attrs = 20\n"
    "reader_check_interval = 500\n"
    "\n"
    "[tenant demo]\n"
    "ca_cert = /etc/scepd/demo/ca.crt\n"
    "ca_key = /etc/scepd/demo/ca.key\n"
    "ra_cert = /etc/scepd/demo/ra.crt\n"
    "ra_key = /etc/scepd/demo/ra.key\n"
    "chain = /etc/scepd/demo/chain.pem\n"
    "next_ca_cert = /etc/scepd/demo/next-ca.crt\n"
    "next_ra_cert = /etc/scepd/demo/next-ra.crt\n"
    "challenge = static\n"
    "challenge_password = \"s3cret#with \\\"quotes\\\"\"   # comment\n"
    "approval = manual\n"
    "renewal_approval = same\n"
    "validity = 90d\n"
    "profile = both\n"
    "allow_san = no\n"
    "subject_pattern = [a-z0-9-]+\\.example\\.com\n"
    "renew_before = 30d\n"
    "renewal_grace = 2h\n"
    "renewal_subject = any\n"
    "allow_des = yes\n"
    "allow_3des = off\n"
    "allow_sha1 = false\n"
    "allow_md5 = 1\n"
    "key_sizes = 2048, 3072,4096-8192\n"
    "allow_ec_keys = on\n"
    "reissue_window = 5m\n"
    "replay_window = 14d\n"
    "pending_ttl = 3d\n"
    "max_pending = 50\n"
    "open_enrolment = no\n"
    "capabilities = AES SHA-256 POSTPKIOperation GetNextCACert DES3 "
    "SCEPStandard\n"
    "crl_base_url = http://pki.example.com/crl\n"
    "crl_days = 2d\n"
    "\n"
    "; a webhook tenant\n"
    "[tenant hook_1]\n"
    "ca_cert = /etc/scepd/hook/ca.crt\n"
    "ca_key = /etc/scepd/hook/ca.key\n"
    "challenge = none\n"
    "approval = webhook\n"
    "webhook_url = http://127.0.0.1:8080/approve\n"
    "webhook_secret = 0123456789abcdef\n"
    "webhook_timeout = 5\n"
    "webhook_wait = 2s\n"
    "webhook_fail = reject\n"
    "webhook_allow_http_loopback = yes\n";

START_TEST(test_full)
{
	struct conf			*c;
	const struct conf_tenant	*t, *h;

	c = load(full);
	ck_assert_str_eq(c->path, cpath);
	ck_assert_str_eq(c->database, "/var/lib/scepd-test");
	ck_assert_uint_eq(c->map_size, 2ULL << 30);
	ck_assert_str_eq(c->default_tenant, "demo");
	ck_assert_int_eq(c->log, CONF_LOG_STDERR);
	ck_assert_int_eq(c->syslog_facility, LOG_LOCAL3);
	ck_assert_uint_eq(c->max_post_body, 128 * 1024);
	ck_assert_uint_eq(c->max_get_query, 1024 * 1024);
	ck_assert_uint_eq(c->limits.max_msg, 128 * 1024);
	ck_assert_uint_eq(c->limits.max_certs, 10);
	ck_assert_uint_eq(c->limits.max_recipients, 6);
	ck_assert_uint_eq(c->limits.max_attrs, 20);
	ck_assert_uint_eq(c->reader_check_interval, 500);
	ck_assert_uint_eq(c->ntenants, 2);

	t = conf_tenant_find(c, "demo");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_eq(t, c->tenants[0]);
	ck_assert_uint_eq(t->line, 14);
	ck_assert_str_eq(t->ca_cert, "/etc/scepd/demo/ca.crt");
	ck_assert_str_eq(t->ca_key, "/etc/scepd/demo/ca.key");
	ck_assert_str_eq(t->ra_cert, "/etc/scepd/demo/ra.crt");
	ck_assert_str_eq(t->ra_key, "/etc/scepd/demo/ra.key");
	ck_assert_str_eq(t->chain, "/etc/scepd/demo/chain.pem");
	ck_assert_str_eq(t->next_ca_cert, "/etc/scepd/demo/next-ca.crt");
	ck_assert_str_eq(t->next_ra_cert, "/etc/scepd/demo/next-ra.crt");
	ck_assert_int_eq(t->challenge, CONF_CHALLENGE_STATIC);
	ck_assert_str_eq(t->challenge_password, "s3cret#with \"quotes\"");
	ck_assert_uint_eq(t->challenge_password_len, 20);
	ck_assert_int_eq(t->approval, CONF_APPROVAL_MANUAL);
	ck_assert_int_eq(t->renewal_approval, CONF_RENEWAL_SAME);
	ck_assert_int_eq(t->validity, 90 * 86400);
	ck_assert_int_eq(t->profile, CONF_PROFILE_BOTH);
	ck_assert_int_eq(t->allow_san, 0);
	ck_assert_str_eq(t->subject_pattern, "[a-z0-9-]+\\.example\\.com");
	ck_assert_int_eq(t->renew_before, 30 * 86400);
	ck_assert_int_eq(t->renewal_grace, 7200);
	ck_assert_int_eq(t->renewal_subject, CONF_RSUBJECT_ANY);
	ck_assert_int_eq(t->allow_des, 1);
	ck_assert_int_eq(t->allow_3des, 0);
	ck_assert_int_eq(t->allow_sha1, 0);
	ck_assert_int_eq(t->allow_md5, 1);
	ck_assert_uint_eq(t->nkey_sizes, 3);
	ck_assert_uint_eq(t->key_sizes[0].lo, 2048);
	ck_assert_uint_eq(t->key_sizes[0].hi, 2048);
	ck_assert_uint_eq(t->key_sizes[1].lo, 3072);
	ck_assert_uint_eq(t->key_sizes[2].lo, 4096);
	ck_assert_uint_eq(t->key_sizes[2].hi, 8192);
	ck_assert_int_eq(t->allow_ec_keys, 1);
	ck_assert_int_eq(t->reissue_window, 300);
	ck_assert_int_eq(t->replay_window, 14 * 86400);
	ck_assert_int_eq(t->pending_ttl, 3 * 86400);
	ck_assert_uint_eq(t->max_pending, 50);
	ck_assert_int_eq(t->open_enrolment, 0);
	ck_assert_str_eq(t->crl_base_url, "http://pki.example.com/crl");
	ck_assert_int_eq(t->crl_days, 2 * 86400);
	/* crl_margin defaults to half of crl_days. */
	ck_assert_int_eq(t->crl_margin, 86400);
	ck_assert_int_eq(t->has_caps_override, 1);
	/* DES3 is in the override but allow_3des is off: not advertised. */
	ck_assert_uint_eq(t->caps, BIT(SCEP_CAP_AES) | BIT(SCEP_CAP_SHA256) |
	    BIT(SCEP_CAP_POSTPKIOPERATION) | BIT(SCEP_CAP_GETNEXTCACERT) |
	    BIT(SCEP_CAP_SCEPSTANDARD));

	h = conf_tenant_find(c, "hook_1");
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(h->challenge, CONF_CHALLENGE_NONE);
	ck_assert_int_eq(h->approval, CONF_APPROVAL_WEBHOOK);
	ck_assert_str_eq(h->webhook_url, "http://127.0.0.1:8080/approve");
	ck_assert_str_eq(h->webhook_secret, "0123456789abcdef");
	ck_assert_uint_eq(h->webhook_secret_len, 16);
	ck_assert_int_eq(h->webhook_timeout, 5);
	ck_assert_int_eq(h->webhook_wait, 2);
	ck_assert_int_eq(h->webhook_fail, CONF_WEBHOOK_REJECT);
	ck_assert_int_eq(h->webhook_allow_http_loopback, 1);
	/* INTEROP.md 6.3: renewals on webhook tenants default to "same". */
	ck_assert_int_eq(h->renewal_approval, CONF_RENEWAL_SAME);
	ck_assert_ptr_null(conf_tenant_find(c, "nosuch"));
	conf_free(c);
}
END_TEST

START_TEST(test_defaults)
{
	struct conf			*c;
	const struct conf_tenant	*t;
	struct scep_limits		 lim;
	struct scep_policy		 pol;

	c = load("[tenant a]\n" KEYS);
	ck_assert_str_eq(c->database, CONF_DATABASE_DEFAULT);
	ck_assert_uint_eq(c->map_size, 16ULL << 30);
	ck_assert_ptr_null(c->default_tenant);
	ck_assert_int_eq(c->log, CONF_LOG_SYSLOG);
	ck_assert_int_eq(c->syslog_facility, LOG_DAEMON);
	ck_assert_uint_eq(c->max_post_body, 65536);
	ck_assert_uint_eq(c->max_get_query, 65536);
	scep_limits_default(&lim);
	ck_assert_mem_eq(&c->limits, &lim, sizeof(lim));
	ck_assert_uint_eq(c->reader_check_interval, 1000);
	ck_assert_int_eq(conf_needs_des(c), 0);

	t = c->tenants[0];
	ck_assert_str_eq(t->name, "a");
	ck_assert_ptr_null(t->ra_cert);
	ck_assert_ptr_null(t->ra_key);
	ck_assert_ptr_null(t->chain);
	ck_assert_ptr_null(t->next_ca_cert);
	ck_assert_int_eq(t->challenge, CONF_CHALLENGE_OTP);
	ck_assert_ptr_null(t->challenge_password);
	ck_assert_int_eq(t->approval, CONF_APPROVAL_AUTO);
	ck_assert_int_eq(t->renewal_approval, CONF_RENEWAL_AUTO);
	ck_assert_int_eq(t->webhook_timeout, 5);
	ck_assert_int_eq(t->webhook_wait, 0);
	ck_assert_int_eq(t->webhook_fail, CONF_WEBHOOK_PENDING);
	ck_assert_int_eq(t->validity, 365 * 86400);
	ck_assert_int_eq(t->profile, CONF_PROFILE_CLIENT);
	ck_assert_int_eq(t->allow_san, 1);
	ck_assert_ptr_null(t->subject_pattern);
	ck_assert_int_eq(conf_subject_ok(t, "anything at all"), 1);
	ck_assert_int_eq(t->renew_before, 0);
	ck_assert_int_eq(t->renewal_grace, 0);
	ck_assert_int_eq(t->renewal_subject, CONF_RSUBJECT_SAME);
	ck_assert_int_eq(t->allow_des, 0);
	ck_assert_int_eq(t->allow_3des, 1);
	ck_assert_int_eq(t->allow_sha1, 1);
	ck_assert_int_eq(t->allow_md5, 0);
	ck_assert_uint_eq(t->nkey_sizes, 1);
	ck_assert_int_eq(conf_key_size_ok(t, 2047), 0);
	ck_assert_int_eq(conf_key_size_ok(t, 2048), 1);
	ck_assert_int_eq(conf_key_size_ok(t, 3072), 1);
	ck_assert_int_eq(conf_key_size_ok(t, 4096), 1);
	ck_assert_int_eq(conf_key_size_ok(t, 4097), 0);
	ck_assert_int_eq(t->allow_ec_keys, 0);
	ck_assert_int_eq(t->reissue_window, 600);
	ck_assert_int_eq(t->replay_window, 7 * 86400);
	ck_assert_int_eq(t->pending_ttl, 7 * 86400);
	ck_assert_uint_eq(t->max_pending, 1000);
	ck_assert_int_eq(t->open_enrolment, 0);
	ck_assert_ptr_null(t->crl_base_url);
	ck_assert_int_eq(t->crl_days, 7 * 86400);
	ck_assert_int_eq(t->crl_margin, 7 * 86400 / 2);
	ck_assert_int_eq(t->has_caps_override, 0);
	ck_assert_uint_eq(t->caps, CAPS_DEFAULT);
	/* The default policy is the library's (INTEROP.md 6.1). */
	scep_policy_default(&pol);
	ck_assert_uint_eq(t->policy.ciphers, pol.ciphers);
	ck_assert_uint_eq(t->policy.digests, pol.digests);
	conf_free(c);

	/* An empty file is a configuration with no tenant. */
	c = load("");
	ck_assert_uint_eq(c->ntenants, 0);
	conf_free(c);
}
END_TEST

/* Syntax: comments, quoting, CRLF, units, boolean spellings. */
START_TEST(test_syntax)
{
	struct conf			*c;
	const struct conf_tenant	*t;

	c = load("  # indented comment\r\n"
	    "; semicolon comment\r\n"
	    "map_size=1048576   # bytes, inline comment\r\n"
	    "\tmax_post_body   =   8K\r\n"
	    "[ tenant x-1 ]  # comment\r\n"
	    "ca_cert = \"/path with spaces/ca.crt\"\r\n"
	    "ca_key=/k/ca.key\r\n");
	ck_assert_uint_eq(c->map_size, 1048576);
	ck_assert_uint_eq(c->max_post_body, 8192);
	t = conf_tenant_find(c, "x-1");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->ca_cert, "/path with spaces/ca.crt");
	ck_assert_str_eq(t->ca_key, "/k/ca.key");
	conf_free(c);

	c = load("[tenant y]\n" KEYS
	    "challenge = static\n"
	    "challenge_password = \" #;\\\\\\\" x \"\n"
	    "validity = 86400\n"
	    "pending_ttl = 90m\n"
	    "allow_san = TRUE\n"
	    "allow_des = Off\n"
	    "renew_before =\n"
	    "subject_pattern = \"dev[0-9]+\\.lan\"\n");
	t = c->tenants[0];
	ck_assert_str_eq(t->challenge_password, " #;\\\" x ");
	ck_assert_int_eq(t->validity, 86400);
	ck_assert_int_eq(t->pending_ttl, 5400);
	ck_assert_int_eq(t->allow_san, 1);
	ck_assert_int_eq(t->allow_des, 0);
	ck_assert_int_eq(t->renew_before, 0);
	/* The pattern is anchored: the whole CN must match. */
	ck_assert_str_eq(t->subject_pattern, "dev[0-9]+\\.lan");
	ck_assert_int_eq(conf_subject_ok(t, "dev42.lan"), 1);
	ck_assert_int_eq(conf_subject_ok(t, "dev42xlan"), 0);
	ck_assert_int_eq(conf_subject_ok(t, "dev.lan"), 0);
	ck_assert_int_eq(conf_subject_ok(t, "xdev42.lan"), 0);
	ck_assert_int_eq(conf_subject_ok(t, "dev42.lanx"), 0);
	conf_free(c);
}
END_TEST

/* GetCACaps computation, INTEROP.md 6.1. */
START_TEST(test_caps)
{
	struct conf	*c;
	unsigned int	 base;

	base = BIT(SCEP_CAP_AES) | BIT(SCEP_CAP_POSTPKIOPERATION) |
	    BIT(SCEP_CAP_RENEWAL) | BIT(SCEP_CAP_SHA256) |
	    BIT(SCEP_CAP_SHA512) | BIT(SCEP_CAP_SCEPSTANDARD);
	c = load("[tenant a]\n" KEYS
	    "[tenant b]\n" KEYS "allow_3des = no\n"
	    "[tenant c]\n" KEYS "allow_sha1 = no\n"
	    "[tenant d]\n" KEYS "allow_3des = no\nallow_sha1 = no\n"
	    "next_ca_cert = /k/next.crt\n"
	    "[tenant e]\n" KEYS "next_ca_cert = /k/next.crt\n"
	    "capabilities = AES SHA-256 POSTPKIOperation SHA-1\n"
	    "[tenant f]\n" KEYS
	    "capabilities = SHA-256  AES\tPOSTPKIOperation GetNextCACert "
	    "DES3 SHA-1 SHA-512 Renewal SCEPStandard\n");
	ck_assert_uint_eq(c->tenants[0]->caps, CAPS_DEFAULT);
	ck_assert_uint_eq(c->tenants[1]->caps, base | BIT(SCEP_CAP_SHA1));
	ck_assert_uint_eq(c->tenants[2]->caps, base | BIT(SCEP_CAP_DES3));
	ck_assert_uint_eq(c->tenants[3]->caps,
	    base | BIT(SCEP_CAP_GETNEXTCACERT));
	ck_assert_uint_eq(c->tenants[4]->caps, BIT(SCEP_CAP_AES) |
	    BIT(SCEP_CAP_SHA256) | BIT(SCEP_CAP_POSTPKIOPERATION) |
	    BIT(SCEP_CAP_SHA1));
	/* Listing everything keeps the default; GetNextCACert needs a
	 * rollover certificate whatever the override says. */
	ck_assert_uint_eq(c->tenants[5]->caps, CAPS_DEFAULT);
	conf_free(c);
}
END_TEST

/* Algorithm policy bits, INTEROP.md 6.1. */
START_TEST(test_policy_bits)
{
	struct conf	*c;
	unsigned int	 aes, sha2;

	aes = BIT(SCEP_CIPHER_AES128) | BIT(SCEP_CIPHER_AES192) |
	    BIT(SCEP_CIPHER_AES256);
	sha2 = BIT(SCEP_DIGEST_SHA224) | BIT(SCEP_DIGEST_SHA256) |
	    BIT(SCEP_DIGEST_SHA384) | BIT(SCEP_DIGEST_SHA512);
	c = load("[tenant a]\n" KEYS
	    "allow_3des = no\nallow_sha1 = no\n"
	    "[tenant b]\n" KEYS
	    "allow_des = yes\nallow_md5 = yes\n");
	ck_assert_uint_eq(c->tenants[0]->policy.ciphers, aes);
	ck_assert_uint_eq(c->tenants[0]->policy.digests, sha2);
	ck_assert_uint_eq(c->tenants[1]->policy.ciphers,
	    aes | BIT(SCEP_CIPHER_DES3) | BIT(SCEP_CIPHER_DES));
	ck_assert_uint_eq(c->tenants[1]->policy.digests,
	    sha2 | BIT(SCEP_DIGEST_SHA1) | BIT(SCEP_DIGEST_MD5));
	ck_assert_int_eq(conf_needs_des(c), 1);
	conf_free(c);
}
END_TEST

/* Tenant names of INTEROP.md 6.6. */
START_TEST(test_names)
{
	char	 n[80];

	ck_assert_int_eq(conf_tenant_name_ok("a"), 1);
	ck_assert_int_eq(conf_tenant_name_ok("0"), 1);
	ck_assert_int_eq(conf_tenant_name_ok("a_b-c9"), 1);
	ck_assert_int_eq(conf_tenant_name_ok(""), 0);
	ck_assert_int_eq(conf_tenant_name_ok("-a"), 0);
	ck_assert_int_eq(conf_tenant_name_ok("_a"), 0);
	ck_assert_int_eq(conf_tenant_name_ok("A"), 0);
	ck_assert_int_eq(conf_tenant_name_ok("a.b"), 0);
	ck_assert_int_eq(conf_tenant_name_ok("a/b"), 0);
	ck_assert_int_eq(conf_tenant_name_ok("scep"), 0);
	ck_assert_int_eq(conf_tenant_name_ok("cgi-bin"), 0);
	ck_assert_int_eq(conf_tenant_name_ok("crl"), 0);
	ck_assert_int_eq(conf_tenant_name_ok("auth"), 0);
	ck_assert_int_eq(conf_tenant_name_ok("scep1"), 1);
	memset(n, 'a', 63);
	n[63] = '\0';
	ck_assert_int_eq(conf_tenant_name_ok(n), 1);
	n[63] = 'a';
	n[64] = '\0';
	ck_assert_int_eq(conf_tenant_name_ok(n), 0);
}
END_TEST

/* conf_write_tenant appends by atomic rename and keeps the mode. */
START_TEST(test_write_tenant)
{
	static const struct conf_kv	 kv[] = {
		{ "ca_cert", "/k/new/ca.crt" },
		{ "ca_key", "/k/new/ca.key" },
		{ "challenge", "static" },
		{ "challenge_password", "pass#word \"x\"" },
		{ "validity", "30d" },
	};
	static const struct conf_kv	 bad[] = {
		{ "ca_cert", "/k/new/ca.crt" },
		{ "ca_key", "/k/new/ca.key" },
		{ "challenge", "static" },
	};
	static const struct conf_kv	 glob[] = {
		{ "database", "/x" },
	};
	const char			*orig = "log = stderr\n"
	    "[tenant old]\n" KEYS "# no newline at the end";
	char				 tmp[160], before[4096];
	struct conf			*c = NULL;
	const struct conf_tenant	*t;
	struct stat			 st;

	put(cpath, orig, 0640);
	ck_assert_msg(conf_write_tenant(cpath, "new", kv, 5, err,
	    sizeof(err)) == 1, "%s", err);
	ck_assert_int_eq(stat(cpath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	snprintf(tmp, sizeof(tmp), "%s.tmp", cpath);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	/* The old text is kept byte for byte, the section appended. */
	ck_assert_str_eq(get(cpath), "log = stderr\n"
	    "[tenant old]\n" KEYS "# no newline at the end\n"
	    "\n[tenant new]\n"
	    "ca_cert = /k/new/ca.crt\n"
	    "ca_key = /k/new/ca.key\n"
	    "challenge = static\n"
	    "challenge_password = \"pass#word \\\"x\\\"\"\n"
	    "validity = 30d\n");
	ck_assert_int_eq(conf_load(cpath, &c, err, sizeof(err)), 1);
	t = conf_tenant_find(c, "new");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->challenge_password, "pass#word \"x\"");
	ck_assert_int_eq(t->validity, 30 * 86400);
	conf_free(c);
	snprintf(before, sizeof(before), "%s", get(cpath));

	/* An existing tenant, a section that would not load, a global
	 * key, a bad name: refused, file unchanged, nothing left over. */
	ck_assert_int_eq(conf_write_tenant(cpath, "old", kv, 5, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "tenant 'old' already exists"));
	ck_assert_int_eq(conf_write_tenant(cpath, "b", bad, 3, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "challenge static needs "
	    "challenge_password in [tenant b]"));
	ck_assert_int_eq(conf_write_tenant(cpath, "b", glob, 1, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(err, "unknown tenant key 'database'");
	ck_assert_int_eq(conf_write_tenant(cpath, "crl", kv, 5, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_write_tenant(cpath, "Bad", kv, 5, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(get(cpath), before);
	ck_assert_int_eq(access(tmp, F_OK), -1);

	/* A left-over temporary file stops the writer. */
	put(tmp, "", 0600);
	ck_assert_int_eq(conf_write_tenant(cpath, "third", kv, 5, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "remove it"));
	ck_assert_str_eq(get(cpath), before);
	unlink(tmp);

	/* An empty file gets its first tenant; mode 0600 is kept. */
	put(cpath, "", 0600);
	ck_assert_int_eq(conf_write_tenant(cpath, "first", kv, 2, err,
	    sizeof(err)), 1);
	ck_assert_str_eq(get(cpath), "[tenant first]\n"
	    "ca_cert = /k/new/ca.crt\nca_key = /k/new/ca.key\n");
	ck_assert_int_eq(stat(cpath, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

/* An RA (lines 4-5), and a managed rollover of CA and RA (lines 6-10). */
#define RA	"ra_cert = /k/ra.crt\nra_key = /k/ra.key\n"
#define NEXT	"next_ca_cert = /k/ca-next.crt\n" \
	"next_ca_key = /k/ca-next.key\n" \
	"next_ra_cert = /k/ra-next.crt\nnext_ra_key = /k/ra-next.key\n" \
	"rollover_at = 2030-01-31T12:34:56Z\n"

/* scepadm ca rollover's keys: next_*, rollover_at, previous_ca_*. */
START_TEST(test_rollover_keys)
{
	struct conf			*c;
	const struct conf_tenant	*t;
	time_t				 v;

	c = load("[tenant r]\n" KEYS RA NEXT);
	t = conf_tenant_find(c, "r");
	ck_assert_str_eq(t->next_ca_key, "/k/ca-next.key");
	ck_assert_str_eq(t->next_ra_key, "/k/ra-next.key");
	ck_assert_int_eq(t->rollover_at, 1896093296);
	ck_assert_uint_eq(t->caps & BIT(SCEP_CAP_GETNEXTCACERT),
	    BIT(SCEP_CAP_GETNEXTCACERT));
	conf_free(c);
	/* A single-CA tenant rolls over without RA files. */
	c = load("[tenant r]\n" KEYS "next_ca_cert = /k/n.crt\n"
	    "next_ca_key = /k/n.key\nrollover_at = 2030-01-01T00:00:00Z\n");
	conf_free(c);
	/* Finished: the old CA kept as previous. */
	c = load("[tenant r]\n" KEYS RA "previous_ca_cert = /k/old.crt\n"
	    "previous_ca_key = /k/old.key\n");
	t = conf_tenant_find(c, "r");
	ck_assert_str_eq(t->previous_ca_key, "/k/old.key");
	ck_assert_int_eq(t->rollover_at, 0);
	conf_free(c);
	/* ... and its RA, which still opens messages sent to it. */
	c = load("[tenant r]\n" KEYS RA "previous_ca_cert = /k/old.crt\n"
	    "previous_ca_key = /k/old.key\nprevious_ra_cert = /k/old-ra.crt\n"
	    "previous_ra_key = /k/old-ra.key\n");
	t = conf_tenant_find(c, "r");
	ck_assert_str_eq(t->previous_ra_cert, "/k/old-ra.crt");
	ck_assert_str_eq(t->previous_ra_key, "/k/old-ra.key");
	conf_free(c);

	ck_assert_int_eq(conf_parse_time("2000-02-29T00:00:00Z", &v), 1);
	ck_assert_int_eq(v, 951782400);
	ck_assert_int_eq(conf_parse_time("2026-02-29T00:00:00Z", &v), 0);
	ck_assert_int_eq(conf_parse_time("2026-13-01T00:00:00Z", &v), 0);
	ck_assert_int_eq(conf_parse_time("2026-01-01T24:00:00Z", &v), 0);
	ck_assert_int_eq(conf_parse_time("2026-01-01 00:00:00Z", &v), 0);
	ck_assert_int_eq(conf_parse_time("2026-01-01T00:00:00", &v), 0);
	ck_assert_int_eq(conf_parse_time("1999-12-31T23:59:59Z", &v), 0);
	ck_assert_int_eq(conf_parse_time("2026-1-01T00:00:00Z", &v), 0);
	ck_assert_int_eq(conf_parse_time("+026-01-01T00:00:00Z", &v), 0);
}
END_TEST

START_TEST(test_rollover_errors)
{
	refuse("[tenant r]\n" KEYS "rollover_at = tomorrow\n", 4,
	    "bad time 'tomorrow' for rollover_at (UTC, "
	    "YYYY-MM-DDTHH:MM:SSZ)");
	refuse("[tenant r]\n" KEYS "rollover_at = 2026-02-30T00:00:00Z\n", 4,
	    "bad time '2026-02-30T00:00:00Z' for rollover_at (UTC, "
	    "YYYY-MM-DDTHH:MM:SSZ)");
	refuse("[tenant r]\n" KEYS "next_ca_key = /k/n.key\n"
	    "rollover_at = 2030-01-01T00:00:00Z\n", 4,
	    "next_ca_key without next_ca_cert in [tenant r]");
	refuse("[tenant r]\n" KEYS "next_ca_cert = /k/n.crt\n"
	    "next_ca_key = /k/n.key\n", 5,
	    "next_ca_key without rollover_at in [tenant r]");
	refuse("[tenant r]\n" KEYS "next_ca_cert = /k/n.crt\n"
	    "rollover_at = 2030-01-01T00:00:00Z\n", 5,
	    "rollover_at without next_ca_key in [tenant r]");
	refuse("[tenant r]\n" KEYS RA "next_ca_cert = /k/n.crt\n"
	    "next_ca_key = /k/n.key\nrollover_at = 2030-01-01T00:00:00Z\n", 4,
	    "ra_cert without next_ra_cert in [tenant r]: the RA switches "
	    "with the CA");
	refuse("[tenant r]\n" KEYS RA "next_ca_cert = /k/n.crt\n"
	    "next_ca_key = /k/n.key\nnext_ra_cert = /k/nr.crt\n"
	    "rollover_at = 2030-01-01T00:00:00Z\n", 8,
	    "next_ra_cert without next_ra_key in [tenant r]: the next RA "
	    "needs its key when next_ca_key is set");
	refuse("[tenant r]\n" KEYS "next_ca_cert = /k/n.crt\n"
	    "next_ra_cert = /k/nr.crt\nnext_ra_key = /k/nr.key\n", 6,
	    "next_ra_key without next_ca_key in [tenant r]");
	refuse("[tenant r]\n" KEYS "next_ca_cert = /k/n.crt\n"
	    "next_ca_key = /k/n.key\nnext_ra_cert = /k/nr.crt\n"
	    "next_ra_key = /k/nr.key\nrollover_at = 2030-01-01T00:00:00Z\n",
	    6, "next_ra_cert in [tenant r], which has no RA");
	refuse("[tenant r]\n" KEYS "previous_ca_cert = /k/o.crt\n", 4,
	    "previous_ca_cert without previous_ca_key in [tenant r]");
	refuse("[tenant r]\n" KEYS "previous_ca_key = /k/o.key\n", 4,
	    "previous_ca_key without previous_ca_cert in [tenant r]");
	refuse("[tenant r]\n" KEYS RA NEXT "previous_ca_cert = /k/o.crt\n"
	    "previous_ca_key = /k/o.key\n", 10,
	    "rollover_at with previous_ca_cert in [tenant r]: a tenant keeps "
	    "one previous CA; remove previous_ca_cert and previous_ca_key "
	    "once its certificates have expired");
	refuse("[tenant r]\n" KEYS RA "previous_ca_cert = /k/o.crt\n"
	    "previous_ca_key = /k/o.key\nprevious_ra_cert = /k/or.crt\n", 8,
	    "previous_ra_cert without previous_ra_key in [tenant r]");
	refuse("[tenant r]\n" KEYS RA "previous_ca_cert = /k/o.crt\n"
	    "previous_ca_key = /k/o.key\nprevious_ra_key = /k/or.key\n", 8,
	    "previous_ra_key without previous_ra_cert in [tenant r]");
	/* Removing previous_ca_* retires the previous RA too. */
	refuse("[tenant r]\n" KEYS RA "previous_ra_cert = /k/or.crt\n"
	    "previous_ra_key = /k/or.key\n", 6,
	    "previous_ra_cert without previous_ca_cert in [tenant r]: the "
	    "previous RA retires with the previous CA");
	refuse("[tenant r]\n" KEYS "previous_ca_cert = /k/o.crt\n"
	    "previous_ca_key = /k/o.key\nprevious_ra_cert = /k/or.crt\n"
	    "previous_ra_key = /k/or.key\n", 6,
	    "previous_ra_cert in [tenant r], which has no RA");
	refuse("[tenant r]\n" KEYS "next_ca_key = relative.key\n", 4,
	    "next_ca_key 'relative.key' is not an absolute path");
}
END_TEST

/* conf_update_tenant(): set, replace and remove keys of one section. */
START_TEST(test_update_tenant)
{
	static const struct conf_kv	 roll[] = {
		{ "next_ca_cert", "/k/n.crt" },
		{ "next_ca_key", "/k/n.key" },
		{ "rollover_at", "2030-01-01T00:00:00Z" },
		{ "validity", "30d" },
	};
	static const struct conf_kv	 fin[] = {
		{ "ca_cert", "/k/n.crt" },
		{ "next_ca_cert", NULL },
		{ "next_ca_key", NULL },
		{ "rollover_at", NULL },
	};
	static const struct conf_kv	 half[] = {
		{ "next_ca_key", "/k/n.key" },
	};
	const char			*orig = "log = stderr\n"
	    "[tenant a]\n" KEYS "validity = 7d\n# comment\n\n"
	    "[ tenant b ]\n" KEYS "validity = 7d\n";
	char				 before[4096];

	put(cpath, orig, 0640);
	ck_assert_msg(conf_update_tenant(cpath, "a", roll, 4, err,
	    sizeof(err)) == 1, "%s", err);
	/* validity replaced in a only; new keys after a's last setting. */
	ck_assert_str_eq(get(cpath), "log = stderr\n"
	    "[tenant a]\n" KEYS
	    "next_ca_cert = /k/n.crt\nnext_ca_key = /k/n.key\n"
	    "rollover_at = 2030-01-01T00:00:00Z\nvalidity = 30d\n"
	    "# comment\n\n"
	    "[ tenant b ]\n" KEYS "validity = 7d\n");
	ck_assert_msg(conf_update_tenant(cpath, "a", fin, 4, err,
	    sizeof(err)) == 1, "%s", err);
	ck_assert_str_eq(get(cpath), "log = stderr\n"
	    "[tenant a]\nca_key = /k/ca.key\n"
	    "validity = 30d\nca_cert = /k/n.crt\n# comment\n\n"
	    "[ tenant b ]\n" KEYS "validity = 7d\n");
	snprintf(before, sizeof(before), "%s", get(cpath));
	/* A result that would not load, an unknown tenant: unchanged. */
	ck_assert_int_eq(conf_update_tenant(cpath, "b", half, 1, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "next_ca_key without "
	    "next_ca_cert in [tenant b]"));
	ck_assert_int_eq(conf_update_tenant(cpath, "c", half, 1, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "no tenant 'c'"));
	ck_assert_str_eq(get(cpath), before);
}
END_TEST

/* INTEROP.md 6.4: keys readable, not writable, by the worker user. */
START_TEST(test_check_files)
{
	char		 ca[128], ra[128], ck[128], text[640];
	struct conf	*c = NULL;

	/*
	 * The checks are about the effective user, and root may write
	 * anything: as root, drop to nobody (this is a forked child) and
	 * work in a directory nobody owns.
	 */
	if (geteuid() == 0) {
		ck_assert_int_eq(rmdir(dir), 0);
		ck_assert_int_eq(setgid(65534), 0);
		ck_assert_int_eq(setuid(65534), 0);
	}
	snprintf(dir, sizeof(dir), "/tmp/check_conf_files.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(cpath, sizeof(cpath), "%s/scepd.conf", dir);
	snprintf(ca, sizeof(ca), "%s/ca.key", dir);
	snprintf(ra, sizeof(ra), "%s/ra.key", dir);
	snprintf(ck, sizeof(ck), "%s/challenge.key", dir);
	snprintf(text, sizeof(text), "[tenant a]\nca_cert = /x\n"
	    "ca_key = %s\nra_cert = /y\nra_key = %s\nchallenge = otp\n"
	    "challenge_key = %s\n", ca, ra, ck);
	put(ca, "key", 0440);
	put(ra, "key", 0440);
	put(ck, "key", 0440);
	put(cpath, text, 0444);
	ck_assert_int_eq(conf_load(cpath, &c, err, sizeof(err)), 1);
	ck_assert_msg(conf_check_files(c, err, sizeof(err)) == 1, "%s", err);

	/* A writable RA key is named. */
	ck_assert_int_eq(chmod(ra, 0640), 0);
	ck_assert_int_eq(conf_check_files(c, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, ra));
	ck_assert_ptr_nonnull(strstr(err, "writable by the worker user"));
	ck_assert_int_eq(chmod(ra, 0440), 0);

	/* A world-readable challenge key (challenge = otp). */
	ck_assert_int_eq(chmod(ck, 0444), 0);
	ck_assert_int_eq(conf_check_files(c, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, ck));
	ck_assert_ptr_nonnull(strstr(err, "accessible to others"));
	ck_assert_int_eq(chmod(ck, 0440), 0);

	/* A world-readable CA key. */
	ck_assert_int_eq(chmod(ca, 0444), 0);
	ck_assert_int_eq(conf_check_files(c, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, ca));
	ck_assert_ptr_nonnull(strstr(err, "accessible to others"));
	ck_assert_int_eq(chmod(ca, 0440), 0);

	/* An unreadable key, and a writable configuration. */
	ck_assert_int_eq(chmod(ca, 0000), 0);
	ck_assert_int_eq(conf_check_files(c, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, ca));
	ck_assert_int_eq(chmod(ca, 0440), 0);
	ck_assert_int_eq(chmod(cpath, 0644), 0);
	ck_assert_int_eq(conf_check_files(c, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, cpath));
	conf_free(c);
}
END_TEST

START_TEST(test_escape)
{
	char	 out[64];

	ck_assert_int_eq(log_escape("abc XYZ~", 8, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "abc XYZ~");
	ck_assert_int_eq(log_escape("a\"b\\c", 5, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "a\\x22b\\x5cc");
	ck_assert_int_eq(log_escape("\n\r\t\x7f\xff", 5, out, sizeof(out)),
	    1);
	ck_assert_str_eq(out, "\\x0a\\x0d\\x09\\x7f\\xff");
	/* A NUL in the middle is data, not the end. */
	ck_assert_int_eq(log_escape("a\0b", 3, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "a\\x00b");
	ck_assert_int_eq(log_escape("", 0, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "");
	/* Exactly fits: 5 chars + NUL. */
	ck_assert_int_eq(log_escape("abcde", 5, out, 6), 1);
	ck_assert_str_eq(out, "abcde");
	/* One too many: truncated with a marker. */
	ck_assert_int_eq(log_escape("abcdef", 6, out, 6), 0);
	ck_assert_str_eq(out, "ab...");
	/* An escape is never cut. */
	ck_assert_int_eq(log_escape("a\nbcdef", 7, out, 8), 0);
	ck_assert_str_eq(out, "a...");
	ck_assert_int_eq(log_escape("a\nbcdef", 7, out, 10), 0);
	ck_assert_str_eq(out, "a\\x0ab...");
	/* Tiny buffers. */
	ck_assert_int_eq(log_escape("abc", 3, out, 3), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(log_escape("abc", 3, out, 0), 0);
}
END_TEST

/* log_request and log_msg on stderr: one line each. */
START_TEST(test_log_stderr)
{
	struct log_req	 r;
	char		 path[160];
	const char	*text;
	regex_t		 re;
	int		 fd, saved;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ne(saved, -1);
	ck_assert_int_ne(dup2(fd, STDERR_FILENO), -1);
	close(fd);

	log_open(NULL, "scepd-test");
	memset(&r, 0, sizeof(r));
	r.tenant = "demo";
	r.operation = "PKIOperation";
	r.txid = "tx\"1\nX";
	r.txid_len = 6;
	r.has_type = 1;
	r.type = SCEP_MSG_PKCSREQ;
	r.has_digest = 1;
	r.digest = SCEP_DIGEST_SHA256;
	r.has_cipher = 1;
	r.cipher = SCEP_CIPHER_AES128;
	r.outcome = SCEP_REJECT;
	r.has_status = 1;
	r.status = SCEP_STATUS_FAILURE;
	r.has_failinfo = 1;
	r.failinfo = SCEP_FAIL_BADREQUEST;
	r.reason = "wrong challenge";
	r.addr = "192.0.2.7";
	r.ms = 12;
	log_request(&r);
	/* Nothing set but the outcome: dashes. */
	memset(&r, 0, sizeof(r));
	r.outcome = SCEP_OK;
	log_request(&r);
	log_msg(LOG_ERR, "start-up: %s", "bad\nthing");

	ck_assert_int_ne(dup2(saved, STDERR_FILENO), -1);
	close(saved);

	text = get(path);
	ck_assert_int_eq(regcomp(&re,
	    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z "
	    "scepd-test\\[[0-9]+\\]: "
	    "tenant=demo op=PKIOperation txid=\"tx\\\\x221\\\\x0aX\" "
	    "type=PKCSReq digest=sha256 cipher=aes-128-cbc outcome=REJECT "
	    "status=FAILURE failinfo=badRequest reason=\"wrong challenge\" "
	    "addr=192\\.0\\.2\\.7 ms=12\n"
	    "[0-9TZ:-]+ scepd-test\\[[0-9]+\\]: tenant=- op=- txid=\"-\" "
	    "type=- digest=- cipher=- outcome=OK status=- failinfo=- "
	    "reason=\"-\" addr=- ms=0\n"
	    "[0-9TZ:-]+ scepd-test\\[[0-9]+\\]: start-up: bad\\\\x0athing\n$",
	    REG_EXTENDED), 0);
	ck_assert_msg(regexec(&re, text, 0, NULL, 0) == 0, "log: %s", text);
	regfree(&re);
}
END_TEST

/* A transactionID longer than 128 characters is cut at 128. */
START_TEST(test_log_txid_bound)
{
	struct log_req	 r;
	char		 path[160], txid[300], want[200];
	int		 fd, saved;

	memset(txid, 'A', sizeof(txid));
	memset(want, 'A', 128);
	want[128] = '\0';
	snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ne(fd, -1);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ne(dup2(fd, STDERR_FILENO), -1);
	close(fd);
	log_open(NULL, NULL);
	memset(&r, 0, sizeof(r));
	r.txid = txid;
	r.txid_len = sizeof(txid);
	r.outcome = SCEP_MALFORMED;
	log_request(&r);
	ck_assert_int_ne(dup2(saved, STDERR_FILENO), -1);
	close(saved);
	ck_assert_ptr_nonnull(strstr(get(path), want));
	want[128] = 'A';
	want[129] = '\0';
	ck_assert_ptr_null(strstr(get(path), want));
}
END_TEST

/* Errors of syntax and of single values: file:line and the problem. */
START_TEST(test_errors)
{
	char	 line[5000];

	refuse("[tenant demo]\n" KEYS "foo = 1\n", 4,
	    "unknown key 'foo' in [tenant demo]");
	refuse("bar = 1\n", 1, "unknown key 'bar' in the global section");
	refuse("[tenant Demo]\n", 1,
	    "bad tenant name 'Demo' (expected [a-z0-9][a-z0-9_-]{0,62})");
	refuse("[tenant -x]\n", 1,
	    "bad tenant name '-x' (expected [a-z0-9][a-z0-9_-]{0,62})");
	refuse("[tenant a b]\n", 1, "bad tenant name 'a b'");
	refuse("[tenant scep]\n", 1, "tenant name 'scep' is reserved");
	refuse("[tenant cgi-bin]\n", 1, "tenant name 'cgi-bin' is reserved");
	refuse("[tenant crl]\n", 1, "tenant name 'crl' is reserved");
	refuse("[tenant auth]\n", 1, "tenant name 'auth' is reserved");
	refuse("[tenant a]\n" KEYS "[tenant b]\n" KEYS "[tenant a]\n" KEYS,
	    7, "duplicate tenant 'a'");
	refuse("[global]\n", 1,
	    "unknown section '[global]' (expected [tenant NAME])");
	refuse("[tenant a\n", 1, "missing ']' in section header");
	refuse("[tenant a]\n" KEYS "validity = 10x\n", 4,
	    "bad duration '10x' for validity (e.g. 30s, 10m, 2h, 7d)");
	refuse("[tenant a]\n" KEYS "validity = 30m\n", 4,
	    "validity 30m out of bounds (1h..3650d)");
	refuse("[tenant a]\n" KEYS "webhook_wait = 3s\n", 4,
	    "webhook_wait 3s out of bounds (0s..2s)");
	refuse("max_post_body = 2M\n", 1,
	    "max_post_body 2M out of bounds (8K..1M)");
	refuse("max_get_query = 4K\n", 1,
	    "max_get_query 4K out of bounds (8K..1M)");
	refuse("map_size = 1Q\n", 1,
	    "bad size '1Q' for map_size (e.g. 64K, 1M, 1G)");
	refuse("map_size = 99999999999999999999\n", 1,
	    "bad size '99999999999999999999' for map_size (e.g. 64K, 1M, "
	    "1G)");
	refuse("max_certs = 0\n", 1, "max_certs 0 out of bounds (1..64)");
	refuse("max_attrs = -1\n", 1, "bad number '-1' for max_attrs");
	refuse("default_tenant = nosuch\n[tenant a]\n" KEYS, 1,
	    "default_tenant 'nosuch' names no [tenant] section");
	refuse("log = file\n", 1, "bad value 'file' for log");
	refuse("syslog_facility = kern\n", 1,
	    "bad syslog_facility 'kern' (daemon, local0..local7)");
	refuse("[tenant a]\n" KEYS "allow_des = maybe\n", 4,
	    "bad boolean 'maybe' for allow_des (yes or no)");
	refuse("[tenant a]\n" KEYS "chain = rel/path.pem\n", 4,
	    "chain 'rel/path.pem' is not an absolute path");
	refuse("[tenant a]\n" KEYS "validity =\n", 4,
	    "empty value for 'validity'");
	refuse("[tenant a]\n" KEYS "validity = 1d\nvalidity = 2d\n", 5,
	    "duplicate key 'validity' (first on line 4)");
	refuse("database = /a\n[tenant a]\n" KEYS "database = /b\n", 5,
	    "global key 'database' in [tenant a]: global settings go before "
	    "the first section");
	refuse("ca_cert = /x\n", 1, "tenant key 'ca_cert' in the global "
	    "section: it belongs in a [tenant NAME] section");
	refuse("[tenant a]\n" KEYS "profile = \"client\n", 4,
	    "unterminated quoted value");
	refuse("[tenant a]\n" KEYS "profile = \"client\" x\n", 4,
	    "text after quoted value");
	/* A backslash before another character is kept. */
	refuse("[tenant a]\n" KEYS "profile = \"cl\\ient\"\n", 4,
	    "bad value 'cl\\x5cient' for profile");
	refuse("[tenant a]\nca_cert\n", 2, "expected '=' after 'ca_cert'");
	refuse("[tenant a]\n= x\n", 2,
	    "expected 'key = value' or '[tenant NAME]'");
	refuse("[tenant a]\n" KEYS "profile = a\001b\n", 4,
	    "control character in line");
	refuse("[tenant a]\n" KEYS "key_sizes = 1024\n", 4,
	    "key_sizes '1024' out of bounds (2048..16384 bits, low before "
	    "high)");
	refuse("[tenant a]\n" KEYS "key_sizes = 4096-2048\n", 4,
	    "key_sizes '4096-2048' out of bounds (2048..16384 bits, low "
	    "before high)");
	refuse("[tenant a]\n" KEYS "key_sizes = 2048,,4096\n", 4,
	    "bad key_sizes '2048,,4096' (e.g. \"2048-4096\" or "
	    "\"2048,3072\")");
	/* The rest of this message is the C library's regerror(). */
	refuse_start("[tenant a]\n" KEYS "subject_pattern = \"(\"\n", 4,
	    "bad subject_pattern '(': ");
	refuse("[tenant a]\n" KEYS "crl_base_url = ftp://x/\n", 4,
	    "crl_base_url 'ftp://x/' is not an http:// or https:// URL");
	/* Error text is escaped. */
	refuse("[tenant a]\n" KEYS "profile = \"a\\\"b\"\n", 4,
	    "bad value 'a\\x22b' for profile");

	/* 4096 bytes are fine, 4097 are not; the line number is right. */
	memset(line, 0, sizeof(line));
	memcpy(line, "# comment\n#", 11);
	memset(line + 11, 'x', 4095);
	line[11 + 4095] = '\n';
	put(cpath, line, 0644);
	{
		struct conf	*c = NULL;

		ck_assert_msg(conf_load(cpath, &c, err, sizeof(err)) == 1,
		    "%s", err);
		conf_free(c);
	}
	line[11 + 4095] = 'x';
	line[11 + 4096] = '\n';
	refuse(line, 2, "line longer than 4096 bytes");
}
END_TEST

/* A missing file is reported with its path. */
START_TEST(test_missing_file)
{
	struct conf	*c = NULL;
	char		 want[300];

	ck_assert_int_eq(conf_load(cpath, &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s: No such file or directory", cpath);
	ck_assert_str_eq(err, want);
}
END_TEST

/* Checks across keys of a section: INTEROP.md 6.1, 6.3, 6.4. */
START_TEST(test_policy_errors)
{
	struct conf	*c;

	refuse("[tenant a]\n" KEYS "challenge = static\n", 4,
	    "challenge static needs challenge_password in [tenant a]");
	refuse("[tenant a]\n" KEYS "challenge_password = 12345678\n", 4,
	    "challenge_password needs challenge = static in [tenant a]");
	refuse("[tenant a]\n" KEYS "challenge = static\n"
	    "challenge_password = short\n", 5,
	    "challenge_password must be 8 to 255 characters long");
	refuse("[tenant a]\n" KEYS "challenge = none\napproval = manual\n"
	    "challenge_key = /k/challenge.key\n", 6,
	    "challenge_key needs challenge = otp in [tenant a]");
	refuse("[tenant a]\n" KEYS "challenge_key = k/challenge.key\n", 4,
	    "challenge_key 'k/challenge.key' is not an absolute path");
	refuse("[tenant a]\n" KEYS "ra_cert = /k/ra.crt\n", 4,
	    "ra_cert without ra_key in [tenant a]");
	refuse("[tenant a]\n" KEYS "ra_key = /k/ra.key\n", 4,
	    "ra_key without ra_cert in [tenant a]");
	refuse("[tenant a]\nca_cert = /k/ca.crt\n[tenant b]\n", 1,
	    "[tenant a] needs ca_cert and ca_key");
	refuse("[tenant a]\n" KEYS "next_ra_cert = /k/n.crt\n", 4,
	    "next_ra_cert without next_ca_cert in [tenant a]");
	refuse("[tenant open]\n" KEYS "challenge = none\n", 1,
	    "[tenant open] is an open CA (challenge none, approval auto): "
	    "set open_enrolment = yes to allow it");
	c = load("[tenant open]\n" KEYS "challenge = none\n"
	    "open_enrolment = yes\n");
	ck_assert_int_eq(c->tenants[0]->open_enrolment, 1);
	conf_free(c);
	/* challenge none with manual approval is not an open CA. */
	c = load("[tenant m]\n" KEYS "challenge = none\napproval = manual\n");
	conf_free(c);

	/* crl_margin: shorter than crl_days, 1m at least. */
	refuse("[tenant a]\n" KEYS "crl_days = 1d\ncrl_margin = 1d\n", 5,
	    "crl_margin must be shorter than crl_days in [tenant a]");
	refuse_start("[tenant a]\n" KEYS "crl_margin = 30s\n", 4, "crl_margin");
	c = load("[tenant a]\n" KEYS "crl_days = 1d\ncrl_margin = 2h\n");
	ck_assert_int_eq(c->tenants[0]->crl_margin, 2 * 3600);
	conf_free(c);

	refuse("[tenant a]\n" KEYS "capabilities = SHA-256 "
	    "POSTPKIOperation DES3\n", 4,
	    "capabilities may not remove AES (INTEROP.md 6.1)");
	refuse("[tenant a]\n" KEYS "capabilities = AES POSTPKIOperation\n", 4,
	    "capabilities may not remove SHA-256 (INTEROP.md 6.1)");
	refuse("[tenant a]\n" KEYS "capabilities = AES SHA-256\n", 4,
	    "capabilities may not remove POSTPKIOperation (INTEROP.md 6.1)");
	refuse("[tenant a]\n" KEYS "capabilities = AES SHA-256 "
	    "POSTPKIOperation DES\n", 4, "unknown capability 'DES'");
	refuse("[tenant a]\n" KEYS "capabilities = AES sha-256 "
	    "POSTPKIOperation\n", 4, "unknown capability 'sha-256'");

	/* Webhook settings. */
	refuse("[tenant w]\n" KEYS "approval = webhook\n", 4,
	    "approval webhook needs webhook_url and webhook_secret in "
	    "[tenant w]");
	refuse("[tenant w]\n" KEYS "webhook_url = https://h/\n", 4,
	    "webhook_url needs approval = webhook in [tenant w]");
	refuse("[tenant w]\n" KEYS "approval = webhook\n"
	    "webhook_url = http://127.0.0.1/x\n"
	    "webhook_secret = 0123456789abcdef\n", 5,
	    "webhook_url must be https (http only to the loopback address "
	    "with webhook_allow_http_loopback = yes) in [tenant w]");
	refuse("[tenant w]\n" KEYS "approval = webhook\n"
	    "webhook_url = http://127.0.0.1.example.com/x\n"
	    "webhook_allow_http_loopback = yes\n"
	    "webhook_secret = 0123456789abcdef\n", 5,
	    "webhook_url must be https (http only to the loopback address "
	    "with webhook_allow_http_loopback = yes) in [tenant w]");
	refuse("[tenant w]\n" KEYS "approval = webhook\n"
	    "webhook_url = http://localhost@evil.example/\n"
	    "webhook_allow_http_loopback = yes\n"
	    "webhook_secret = 0123456789abcdef\n", 5,
	    "webhook_url must be https (http only to the loopback address "
	    "with webhook_allow_http_loopback = yes) in [tenant w]");
	refuse("[tenant w]\n" KEYS "approval = webhook\n"
	    "webhook_url = http://127.0.0.1:80@evil.example/\n"
	    "webhook_allow_http_loopback = yes\n"
	    "webhook_secret = 0123456789abcdef\n", 5,
	    "webhook_url must be https (http only to the loopback address "
	    "with webhook_allow_http_loopback = yes) in [tenant w]");
	refuse("[tenant c]\n" KEYS "crl_base_url = http://crl.example/x?y\n",
	    4, "crl_base_url 'http://crl.example/x?y' has a query or "
	    "fragment");
	{
		char	 big[700];

		snprintf(big, sizeof(big), "[tenant c]\n" KEYS
		    "crl_base_url = http://crl.example/%0513d\n", 0);
		refuse(big, 4, "crl_base_url is longer than 512 bytes");
	}
	refuse("[tenant w]\n" KEYS "approval = webhook\n"
	    "webhook_url = http://127.0.0.1/x\n"
	    "webhook_allow_http_loopback = yes\n"
	    "webhook_ca = /k/hooks-ca.pem\n"
	    "webhook_secret = 0123456789abcdef\n", 7,
	    "webhook_ca needs an https webhook_url in [tenant w]");
	refuse("[tenant w]\n" KEYS "webhook_ca = /k/hooks-ca.pem\n", 4,
	    "webhook_ca needs approval = webhook in [tenant w]");
	refuse("[tenant w]\n" KEYS "approval = webhook\n"
	    "webhook_url = https:///x\n", 5,
	    "webhook_url 'https:///x' has no host");
	c = load("[tenant w]\n" KEYS "approval = webhook\n"
	    "webhook_url = http://[::1]:9000/x\n"
	    "webhook_allow_http_loopback = yes\n"
	    "renewal_approval = auto\n"
	    "webhook_secret = 0123456789abcdef\n"
	    "[tenant v]\n" KEYS "approval = webhook\n"
	    "webhook_url = https://hooks.example.com/scep\n"
	    "webhook_ca = /k/hooks-ca.pem\n"
	    "webhook_secret = 0123456789abcdef\n");
	ck_assert_ptr_null(c->tenants[0]->webhook_ca);
	ck_assert_str_eq(c->tenants[1]->webhook_ca, "/k/hooks-ca.pem");
	/* An explicit renewal_approval wins over the webhook default. */
	ck_assert_int_eq(c->tenants[0]->renewal_approval, CONF_RENEWAL_AUTO);
	ck_assert_int_eq(c->tenants[1]->renewal_approval, CONF_RENEWAL_SAME);
	conf_free(c);
}
END_TEST

/* Secrets never appear in messages. */
START_TEST(test_secret_not_echoed)
{
	refuse("[tenant a]\n" KEYS "challenge = static\n"
	    "challenge_password = tiny\n", 5,
	    "challenge_password must be 8 to 255 characters long");
	ck_assert_ptr_null(strstr(err, "tiny"));
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("conf");

	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_syntax);
	tcase_add_test(tc, test_caps);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_write_tenant);
	tcase_add_test(tc, test_rollover_keys);
	tcase_add_test(tc, test_update_tenant);
	tcase_add_test(tc, test_escape);
	tcase_add_test(tc, test_log_stderr);
	tcase_add_test(tc, test_log_txid_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_rollover_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_policy_bits);
	tcase_add_test(tc, test_policy_errors);
	tcase_add_test(tc, test_secret_not_echoed);
	tcase_add_test(tc, test_check_files);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(conf_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
