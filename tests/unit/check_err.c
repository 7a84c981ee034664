/*
 * check_err.c: the sentinel suite for scep/err.c and scep/oid.c.
 *
 * Every value of every public enum has a name (never "unknown"), every
 * name lookup round-trips, the wire values of the message types are
 * those of RFC 8894 section 3.2.1.2, and the defaults of the limits and
 * of the algorithm policy are those of INTEROP.md 6.7 and 6.1.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/objects.h>

#include "scep/extern.h"
#include "tests/unit/testutil.h"

/* Names must exist, be non-empty, not "unknown" and be distinct. */
static void
check_names(const char *what, const char *(*name)(int), int max)
{
	const char	*a, *b;
	int		 i, j;

	for (i = 0; i < max; i++) {
		a = name(i);
		ck_assert_msg(a != NULL, "%s %d: NULL name", what, i);
		ck_assert_msg(*a != '\0', "%s %d: empty name", what, i);
		ck_assert_msg(strcmp(a, "unknown") != 0,
		    "%s %d: no name", what, i);
		for (j = 0; j < i; j++) {
			b = name(j);
			ck_assert_msg(strcmp(a, b) != 0,
			    "%s %d and %d share the name %s", what, i, j, a);
		}
	}
	/* One past the end is "unknown", not a read past the table. */
	ck_assert_str_eq(name(max), "unknown");
}

/* Adapters from the typed name functions to check_names(). */
static const char *
msgtype_name(int i)
{
	return scep_msgtype_name((enum scep_msgtype)i);
}

static const char *
status_name(int i)
{
	return scep_status_name((enum scep_status)i);
}

static const char *
failinfo_name(int i)
{
	return scep_failinfo_name((enum scep_failinfo)i);
}

static const char *
cipher_name(int i)
{
	return scep_cipher_name((enum scep_cipher)i);
}

static const char *
digest_name(int i)
{
	return scep_digest_name((enum scep_digest)i);
}

static const char *
cap_name(int i)
{
	return scep_cap_name((enum scep_cap)i);
}

static const char *
outcome_name(int i)
{
	return scep_outcome_name((enum scep_outcome)i);
}

START_TEST(test_names)
{
	check_names("msgtype", msgtype_name, SCEP_MSG__MAX);
	check_names("status", status_name, SCEP_STATUS__MAX);
	check_names("failinfo", failinfo_name, SCEP_FAIL__MAX);
	check_names("cipher", cipher_name, SCEP_CIPHER__MAX);
	check_names("digest", digest_name, SCEP_DIGEST__MAX);
	check_names("cap", cap_name, SCEP_CAP__MAX);
	check_names("outcome", outcome_name, SCEP_OUTCOME__MAX);
}
END_TEST

/* The names the configuration and the logs rely on, spelled out. */
START_TEST(test_names_exact)
{
	ck_assert_str_eq(scep_msgtype_name(SCEP_MSG_PKCSREQ), "PKCSReq");
	ck_assert_str_eq(scep_msgtype_name(SCEP_MSG_RENEWALREQ),
	    "RenewalReq");
	ck_assert_str_eq(scep_msgtype_name(SCEP_MSG_CERTREP), "CertRep");
	ck_assert_str_eq(scep_status_name(SCEP_STATUS_PENDING), "PENDING");
	ck_assert_str_eq(scep_failinfo_name(SCEP_FAIL_BADALG), "badAlg");
	ck_assert_str_eq(scep_failinfo_name(SCEP_FAIL_BADMESSAGECHECK),
	    "badMessageCheck");
	ck_assert_str_eq(scep_failinfo_name(SCEP_FAIL_BADREQUEST),
	    "badRequest");
	ck_assert_str_eq(scep_failinfo_name(SCEP_FAIL_BADTIME), "badTime");
	ck_assert_str_eq(scep_failinfo_name(SCEP_FAIL_BADCERTID),
	    "badCertId");
	ck_assert_str_eq(scep_cipher_name(SCEP_CIPHER_AES128), "aes-128-cbc");
	ck_assert_str_eq(scep_cipher_name(SCEP_CIPHER_DES3), "des-ede3-cbc");
	ck_assert_str_eq(scep_cipher_name(SCEP_CIPHER_DES), "des-cbc");
	ck_assert_str_eq(scep_digest_name(SCEP_DIGEST_SHA256), "sha256");
	ck_assert_str_eq(scep_digest_name(SCEP_DIGEST_MD5), "md5");
	ck_assert_str_eq(scep_cap_name(SCEP_CAP_SHA256), "SHA-256");
	ck_assert_str_eq(scep_cap_name(SCEP_CAP_POSTPKIOPERATION),
	    "POSTPKIOperation");
	ck_assert_str_eq(scep_cap_name(SCEP_CAP_SCEPSTANDARD),
	    "SCEPStandard");
	ck_assert_str_eq(scep_outcome_name(SCEP_MALFORMED), "MALFORMED");
}
END_TEST

/* name -> enum -> name gives back the same value for every entry. */
START_TEST(test_roundtrip)
{
	enum scep_cipher	 c;
	enum scep_digest	 d;
	enum scep_cap		 k;
	int			 i;

	for (i = 0; i < SCEP_CIPHER__MAX; i++) {
		ck_assert_int_eq(scep_cipher_from_name(
		    scep_cipher_name((enum scep_cipher)i), &c), 1);
		ck_assert_int_eq(c, i);
	}
	for (i = 0; i < SCEP_DIGEST__MAX; i++) {
		ck_assert_int_eq(scep_digest_from_name(
		    scep_digest_name((enum scep_digest)i), &d), 1);
		ck_assert_int_eq(d, i);
	}
	for (i = 0; i < SCEP_CAP__MAX; i++) {
		ck_assert_int_eq(scep_cap_from_name(
		    scep_cap_name((enum scep_cap)i), &k), 1);
		ck_assert_int_eq(k, i);
	}
}
END_TEST

/* Lookups are exact: other case, prefixes, NULL and junk fail. */
START_TEST(test_lookup_exact)
{
	enum scep_cipher	 c = SCEP_CIPHER_AES256;
	enum scep_digest	 d = SCEP_DIGEST_SHA512;
	enum scep_cap		 k = SCEP_CAP_RENEWAL;

	ck_assert_int_eq(scep_cipher_from_name("AES-128-CBC", &c), 0);
	ck_assert_int_eq(scep_cipher_from_name("aes-128", &c), 0);
	ck_assert_int_eq(scep_cipher_from_name("", &c), 0);
	ck_assert_int_eq(scep_cipher_from_name(NULL, &c), 0);
	ck_assert_int_eq(scep_cipher_from_name("bf-cbc", &c), 0);
	ck_assert_int_eq(c, SCEP_CIPHER_AES256);
	ck_assert_int_eq(scep_digest_from_name("SHA256", &d), 0);
	ck_assert_int_eq(scep_digest_from_name("sha-256", &d), 0);
	ck_assert_int_eq(scep_digest_from_name("sha256 ", &d), 0);
	ck_assert_int_eq(scep_digest_from_name(NULL, &d), 0);
	ck_assert_int_eq(d, SCEP_DIGEST_SHA512);
	ck_assert_int_eq(scep_cap_from_name("sha-256", &k), 0);
	ck_assert_int_eq(scep_cap_from_name("AES ", &k), 0);
	ck_assert_int_eq(scep_cap_from_name("SHA-384", &k), 0);
	ck_assert_int_eq(scep_cap_from_name(NULL, &k), 0);
	ck_assert_int_eq(k, SCEP_CAP_RENEWAL);
}
END_TEST

/* RFC 8894 section 3.2.1.2: 3, 17, 19, 20, 21, 22, in enum order. */
START_TEST(test_msgtype_values)
{
	static const int	 want[SCEP_MSG__MAX] = {
		3, 17, 19, 20, 21, 22
	};
	enum scep_msgtype	 t;
	char			 s[8];
	int			 i;

	ck_assert_int_eq(scep_msgtype_value(SCEP_MSG_CERTREP), 3);
	ck_assert_int_eq(scep_msgtype_value(SCEP_MSG_RENEWALREQ), 17);
	ck_assert_int_eq(scep_msgtype_value(SCEP_MSG_PKCSREQ), 19);
	ck_assert_int_eq(scep_msgtype_value(SCEP_MSG_CERTPOLL), 20);
	ck_assert_int_eq(scep_msgtype_value(SCEP_MSG_GETCERT), 21);
	ck_assert_int_eq(scep_msgtype_value(SCEP_MSG_GETCRL), 22);
	ck_assert_int_eq(scep_msgtype_value(SCEP_MSG__MAX), -1);
	for (i = 0; i < SCEP_MSG__MAX; i++) {
		ck_assert_int_eq(scep_msgtype_value((enum scep_msgtype)i),
		    want[i]);
		/* The wire string parses back to the same type. */
		snprintf(s, sizeof(s), "%d", want[i]);
		ck_assert_int_eq(scep_msgtype_from_str((const uint8_t *)s,
		    strlen(s), &t), 1);
		ck_assert_int_eq(t, i);
	}
}
END_TEST

/* The closed tables of extern.h refuse everything else (no atoi). */
START_TEST(test_wire_closed)
{
	static const char *const bad[] = {
		"", "0", "1", "18", "99", "019", " 19", "19 ", "+19", "1 9",
		"190", "-3", "0x13", "CertRep",
	};
	enum scep_msgtype	 t;
	enum scep_status	 s;
	enum scep_failinfo	 f;
	size_t			 i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = strlen(bad[i]);
		ck_assert_msg(scep_msgtype_from_str((const uint8_t *)bad[i],
		    len, &t) == 0, "messageType \"%s\" accepted", bad[i]);
	}
	/* An embedded NUL counts: "3\0" is not "3". */
	ck_assert_int_eq(scep_msgtype_from_str((const uint8_t *)"3\0", 2,
	    &t), 0);
	ck_assert_int_eq(scep_status_from_str((const uint8_t *)"0", 1, &s), 1);
	ck_assert_int_eq(s, SCEP_STATUS_SUCCESS);
	ck_assert_int_eq(scep_status_from_str((const uint8_t *)"2", 1, &s), 1);
	ck_assert_int_eq(s, SCEP_STATUS_FAILURE);
	ck_assert_int_eq(scep_status_from_str((const uint8_t *)"3", 1, &s), 1);
	ck_assert_int_eq(s, SCEP_STATUS_PENDING);
	ck_assert_int_eq(scep_status_from_str((const uint8_t *)"1", 1, &s), 0);
	ck_assert_int_eq(scep_status_from_str((const uint8_t *)"00", 2, &s),
	    0);
	for (i = 0; i < SCEP_FAIL__MAX; i++) {
		ck_assert_int_eq(scep_failinfo_from_str((const uint8_t *)
		    scep_failinfo_str((enum scep_failinfo)i), 1, &f), 1);
		ck_assert_int_eq(f, i);
	}
	ck_assert_int_eq(scep_failinfo_from_str((const uint8_t *)"5", 1, &f),
	    0);
	for (i = 0; i < SCEP_STATUS__MAX; i++) {
		ck_assert_int_eq(scep_status_from_str((const uint8_t *)
		    scep_status_str((enum scep_status)i), 1, &s), 1);
		ck_assert_int_eq(s, i);
	}
}
END_TEST

/* INTEROP.md 6.7. */
START_TEST(test_limits_default)
{
	struct scep_limits	 lim;

	memset(&lim, 0xa5, sizeof(lim));
	scep_limits_default(&lim);
	ck_assert_uint_eq(lim.max_msg, 64 * 1024);
	ck_assert_uint_eq(lim.max_certs, 8);
	ck_assert_uint_eq(lim.max_recipients, 4);
	ck_assert_uint_eq(lim.max_attrs, 16);
	ck_assert_uint_ge(lim.max_msg, SCEP_MSG_MIN);
	ck_assert_uint_le(lim.max_msg, SCEP_MSG_MAX);
	ck_assert_int_eq(SCEP_MSG_MIN, 8 * 1024);
	ck_assert_int_eq(SCEP_MSG_MAX, 1024 * 1024);
	ck_assert_int_eq(SCEP_NONCE_LEN, 16);
	ck_assert_int_eq(SCEP_TXID_MAX, 128);
}
END_TEST

/* INTEROP.md 6.1: everything but single DES and MD5. */
START_TEST(test_policy_default)
{
	struct scep_policy	 pol;
	int			 i;

	memset(&pol, 0xa5, sizeof(pol));
	scep_policy_default(&pol);
	for (i = 0; i < SCEP_CIPHER__MAX; i++)
		ck_assert_msg(((pol.ciphers >> i) & 1) ==
		    (i == SCEP_CIPHER_DES ? 0u : 1u), "cipher %s",
		    scep_cipher_name((enum scep_cipher)i));
	for (i = 0; i < SCEP_DIGEST__MAX; i++)
		ck_assert_msg(((pol.digests >> i) & 1) ==
		    (i == SCEP_DIGEST_MD5 ? 0u : 1u), "digest %s",
		    scep_digest_name((enum scep_digest)i));
	/* No bits beyond the enums. */
	ck_assert_uint_eq(pol.ciphers >> SCEP_CIPHER__MAX, 0);
	ck_assert_uint_eq(pol.digests >> SCEP_DIGEST__MAX, 0);
}
END_TEST

/* The policy checks of extern.h, with the CertPoll exception. */
START_TEST(test_policy_checks)
{
	struct scep_policy	 pol, none;
	int			 t;

	scep_policy_default(&pol);
	for (t = 0; t < SCEP_MSG__MAX; t++) {
		ck_assert_int_eq(scep_policy_digest_ok(&pol,
		    (enum scep_msgtype)t, SCEP_DIGEST_MD5), 0);
		ck_assert_int_eq(scep_policy_cipher_ok(&pol,
		    (enum scep_msgtype)t, SCEP_CIPHER_DES), 0);
		ck_assert_int_eq(scep_policy_digest_ok(&pol,
		    (enum scep_msgtype)t, SCEP_DIGEST_SHA256), 1);
		ck_assert_int_eq(scep_policy_cipher_ok(&pol,
		    (enum scep_msgtype)t, SCEP_CIPHER_AES256), 1);
		ck_assert_int_eq(scep_policy_digest_ok(&pol,
		    (enum scep_msgtype)t, SCEP_DIGEST__MAX), 0);
		ck_assert_int_eq(scep_policy_cipher_ok(&pol,
		    (enum scep_msgtype)t, SCEP_CIPHER__MAX), 0);
	}

	/* A tenant that allows nothing: only the CertPoll exception. */
	none.ciphers = 0;
	none.digests = 0;
	ck_assert_int_eq(scep_policy_digest_ok(&none, SCEP_MSG_CERTPOLL,
	    SCEP_DIGEST_SHA1), 1);
	ck_assert_int_eq(scep_policy_cipher_ok(&none, SCEP_MSG_CERTPOLL,
	    SCEP_CIPHER_DES3), 1);
	ck_assert_int_eq(scep_policy_digest_ok(&none, SCEP_MSG_PKCSREQ,
	    SCEP_DIGEST_SHA1), 0);
	ck_assert_int_eq(scep_policy_cipher_ok(&none, SCEP_MSG_PKCSREQ,
	    SCEP_CIPHER_DES3), 0);
	ck_assert_int_eq(scep_policy_digest_ok(&none, SCEP_MSG_RENEWALREQ,
	    SCEP_DIGEST_SHA1), 0);
	ck_assert_int_eq(scep_policy_cipher_ok(&none, SCEP_MSG_RENEWALREQ,
	    SCEP_CIPHER_DES3), 0);
	/* The exception is SHA-1 and 3DES only, not MD5 or DES. */
	ck_assert_int_eq(scep_policy_digest_ok(&none, SCEP_MSG_CERTPOLL,
	    SCEP_DIGEST_MD5), 0);
	ck_assert_int_eq(scep_policy_cipher_ok(&none, SCEP_MSG_CERTPOLL,
	    SCEP_CIPHER_DES), 0);
	ck_assert_int_eq(scep_policy_digest_ok(&none, SCEP_MSG_CERTPOLL,
	    SCEP_DIGEST_SHA256), 0);
}
END_TEST

/* The algorithm tables of oid.c agree with the names. */
START_TEST(test_oid_tables)
{
	enum scep_cipher	 c;
	enum scep_digest	 d;
	ASN1_OBJECT		*o;
	int			 i;

	ck_assert_int_eq(scep_init(), 1);
	ck_assert_int_eq(scep_init(), 1);
	for (i = 0; i < SCEP_OID__MAX; i++)
		ck_assert_ptr_nonnull(scep_oid((enum scep_oid)i));
	ck_assert_ptr_null(scep_oid(SCEP_OID__MAX));
	for (i = 0; i < SCEP_CIPHER__MAX; i++) {
		ck_assert_int_ne(scep_cipher_nid((enum scep_cipher)i),
		    NID_undef);
		o = OBJ_nid2obj(scep_cipher_nid((enum scep_cipher)i));
		ck_assert_int_eq(scep_cipher_from_obj(o, &c), 1);
		ck_assert_int_eq(c, i);
		/* OpenSSL's long names are our names ("aes-128-cbc"). */
		ck_assert_str_eq(OBJ_nid2ln(scep_cipher_nid(
		    (enum scep_cipher)i)), scep_cipher_name(
		    (enum scep_cipher)i));
	}
	for (i = 0; i < SCEP_DIGEST__MAX; i++) {
		o = OBJ_nid2obj(scep_digest_nid((enum scep_digest)i));
		ck_assert_int_eq(scep_digest_from_obj(o, &d), 1);
		ck_assert_int_eq(d, i);
	}
	ck_assert_int_eq(scep_cipher_nid(SCEP_CIPHER__MAX), NID_undef);
	ck_assert_int_eq(scep_digest_nid(SCEP_DIGEST__MAX), NID_undef);
	/* Neither table takes the other's OIDs, nor a signature OID. */
	ck_assert_int_eq(scep_cipher_from_obj(OBJ_nid2obj(NID_sha256), &c),
	    0);
	ck_assert_int_eq(scep_digest_from_obj(OBJ_nid2obj(NID_aes_128_cbc),
	    &d), 0);
	ck_assert_int_eq(scep_digest_from_obj(OBJ_nid2obj(
	    NID_sha256WithRSAEncryption), &d), 0);
	ck_assert_int_eq(scep_digest_from_obj(NULL, &d), 0);
	ck_assert_int_eq(scep_cipher_from_obj(NULL, &c), 0);
}
END_TEST

/* The context fetched every algorithm (legacy provider for DES). */
START_TEST(test_ctx)
{
	struct scep_ctx	*ctx;
	int		 i;

	ctx = tu_ctx();
	ck_assert_int_eq(scep_ctx_has_des(ctx), 1);
	for (i = 0; i < SCEP_DIGEST__MAX; i++)
		ck_assert_msg(ctx->md[i] != NULL, "digest %s not fetched",
		    scep_digest_name((enum scep_digest)i));
	for (i = 0; i < SCEP_CIPHER__MAX; i++)
		ck_assert_msg(ctx->cipher[i] != NULL, "cipher %s not fetched",
		    scep_cipher_name((enum scep_cipher)i));
}
END_TEST

/* PrintableString alphabet (X.680 41.4) of scep_printable(). */
START_TEST(test_printable)
{
	static const char	 ok[] = "AZaz09 '()+,-./:=?";
	static const char	 bad[] = "*&@!\"#$%;<>[]\\^_`{|}~\t\n";
	uint8_t			 c;
	size_t			 i;

	ck_assert_int_eq(scep_printable((const uint8_t *)ok,
	    sizeof(ok) - 1), 1);
	ck_assert_int_eq(scep_printable((const uint8_t *)"", 0), 0);
	for (i = 0; i < sizeof(bad) - 1; i++) {
		c = (uint8_t)bad[i];
		ck_assert_msg(scep_printable(&c, 1) == 0, "0x%02x accepted",
		    c);
	}
	c = 0;
	ck_assert_int_eq(scep_printable(&c, 1), 0);
	c = 0x80;
	ck_assert_int_eq(scep_printable(&c, 1), 0);
	ck_assert_int_eq(scep_printable((const uint8_t *)"ab\0c", 4), 0);
}
END_TEST

/* scep_seterr() is NULL-safe and fills every field. */
START_TEST(test_seterr)
{
	struct scep_error	 e;
	static const char	 why[] = "why";

	memset(&e, 0, sizeof(e));
	scep_seterr(&e, SCEP_REJECT, SCEP_FAIL_BADTIME, why);
	ck_assert_int_eq(e.outcome, SCEP_REJECT);
	ck_assert_int_eq(e.failinfo, SCEP_FAIL_BADTIME);
	ck_assert_ptr_eq(e.reason, why);
	scep_seterr(NULL, SCEP_REJECT, SCEP_FAIL_BADTIME, why);
}
END_TEST

static Suite *
err_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("err");

	tc = tcase_create("valid");
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_names_exact);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_msgtype_values);
	tcase_add_test(tc, test_limits_default);
	tcase_add_test(tc, test_oid_tables);
	tcase_add_test(tc, test_ctx);
	tcase_add_test(tc, test_seterr);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_test(tc, test_lookup_exact);
	tcase_add_test(tc, test_wire_closed);
	tcase_add_test(tc, test_printable);
	suite_add_tcase(s, tc);

	tc = tcase_create("policy");
	tcase_add_test(tc, test_policy_default);
	tcase_add_test(tc, test_policy_checks);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(err_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
