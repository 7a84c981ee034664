/*
 * check_webhook.c: the webhook call's body and signature (src/webhook.c)
 * and the sealing of queued CSRs (src/jobseal.c).  The HTTP side is
 * tested against a real server in tests/integ/webhook.t.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "src/jobseal.h"
#include "src/store.h"
#include "src/webhook.h"
#include "tests/unit/testutil.h"

/* A CSR DER for subject (and a challenge); free with OPENSSL_free(). */
static uint8_t *
csr_der(const char *subject, const char *challenge, size_t *len)
{
	EVP_PKEY	*k;
	X509_REQ	*r;
	unsigned char	*der = NULL;
	int		 n;

	k = tu_ec_key();
	r = tu_csr(k, subject, challenge);
	n = i2d_X509_REQ(r, &der);
	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	X509_REQ_free(r);
	EVP_PKEY_free(k);
	return der;
}

static void
call_in(struct wh_call_in *in, const uint8_t *csr, size_t len)
{
	memset(in, 0, sizeof(*in));
	in->url = "https://approver.example/scep";
	in->secret = "0123456789abcdef";
	in->secret_len = 16;
	in->timeout = 5;
	in->id = "acme:7478:00112233aabbccdd";
	in->tenant = "acme";
	in->type = "PKCSReq";
	in->csr = csr;
	in->csr_len = len;
}

static void
reqkey(struct store_reqkey *k, const char *txid)
{
	uint8_t	 kh[STORE_HASH_LEN];

	memset(kh, 0x5a, sizeof(kh));
	ck_assert_int_eq(store_reqkey_set(k, "acme", (const uint8_t *)txid,
	    strlen(txid), kh), 1);
}

START_TEST(test_body_fields)
{
	struct wh_call_in	 in;
	uint8_t			*der;
	size_t			 len, i;
	char			*body;
	json_t			*root, *info, *ou;
	json_error_t		 jerr;

	der = csr_der("CN=dev-1,O=Example,OU=a,OU=b", "s3cret", &len);
	call_in(&in, der, len);
	ck_assert_ptr_nonnull(body = wh_body(&in));
	root = json_loads(body, JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(json_object_size(root), 5);
	ck_assert_str_eq(json_string_value(json_object_get(root, "_id")),
	    "acme:7478:00112233aabbccdd");
	ck_assert_str_eq(json_string_value(json_object_get(root, "tenant")),
	    "acme");
	ck_assert_str_eq(json_string_value(json_object_get(root, "type")),
	    "PKCSReq");
	/* data: the CSR DER in lowercase hex. */
	ck_assert_uint_eq(json_string_length(json_object_get(root, "data")),
	    2 * len);
	for (i = 0; i < len; i++) {
		char	 b[3];

		snprintf(b, sizeof(b), "%02x", der[i]);
		ck_assert_mem_eq(json_string_value(json_object_get(root,
		    "data")) + 2 * i, b, 2);
	}
	/* info: short names; a repeated attribute is an array. */
	info = json_object_get(root, "info");
	ck_assert(json_is_object(info));
	ck_assert_str_eq(json_string_value(json_object_get(info, "CN")),
	    "dev-1");
	ck_assert_str_eq(json_string_value(json_object_get(info, "O")),
	    "Example");
	ou = json_object_get(info, "OU");
	ck_assert(json_is_array(ou));
	ck_assert_uint_eq(json_array_size(ou), 2);
	ck_assert_str_eq(json_string_value(json_array_get(ou, 0)), "a");
	ck_assert_str_eq(json_string_value(json_array_get(ou, 1)), "b");
	json_decref(root);
	free(body);
	OPENSSL_free(der);
}
END_TEST

/* RFC 4231 test case 2 (HMAC-SHA-256). */
START_TEST(test_sign_vector)
{
	char	 sig[80];

	ck_assert_int_eq(wh_sign("Jefe", 4, "what do ya want for nothing?",
	    28, sig, sizeof(sig)), 1);
	ck_assert_str_eq(sig, "sha256=5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	/* Too small an output buffer. */
	ck_assert_int_eq(wh_sign("Jefe", 4, "x", 1, sig, 71), 0);
}
END_TEST

START_TEST(test_seal_roundtrip)
{
	struct store_reqkey	 k;
	uint8_t			*der, *sealed = NULL, *open = NULL;
	size_t			 len, slen, olen, i;

	der = csr_der("CN=dev-2", "pa55word-XYZ", &len);
	reqkey(&k, "tx-1");
	ck_assert_int_eq(jobseal_seal("secret-1", 8, &k, der, len, &sealed,
	    &slen), 1);
	ck_assert_uint_eq(slen, len + JOBSEAL_OVERHEAD);
	/* Nothing readable: the challenge is not in the sealed bytes. */
	for (i = 0; i + 12 <= slen; i++)
		ck_assert(memcmp(sealed + i, "pa55word-XYZ", 12) != 0);
	ck_assert_int_eq(jobseal_open("secret-1", 8, &k, sealed, slen, &open,
	    &olen), 1);
	ck_assert_uint_eq(olen, len);
	ck_assert_mem_eq(open, der, len);
	free(open);
	free(sealed);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_seal_refused)
{
	struct store_reqkey	 k, other;
	uint8_t			*der, *sealed = NULL, *open = NULL;
	size_t			 len, slen, olen;

	der = csr_der("CN=dev-3", NULL, &len);
	reqkey(&k, "tx-1");
	reqkey(&other, "tx-2");
	ck_assert_int_eq(jobseal_seal("secret-1", 8, &k, der, len, &sealed,
	    &slen), 1);
	/* Another secret (webhook_secret changed), another request. */
	ck_assert_int_eq(jobseal_open("secret-2", 8, &k, sealed, slen, &open,
	    &olen), 0);
	ck_assert_ptr_null(open);
	ck_assert_int_eq(jobseal_open("secret-1", 8, &other, sealed, slen,
	    &open, &olen), 0);
	/* One flipped bit anywhere: nonce, ciphertext, tag. */
	sealed[0] ^= 1;
	ck_assert_int_eq(jobseal_open("secret-1", 8, &k, sealed, slen, &open,
	    &olen), 0);
	sealed[0] ^= 1;
	sealed[20] ^= 0x80;
	ck_assert_int_eq(jobseal_open("secret-1", 8, &k, sealed, slen, &open,
	    &olen), 0);
	sealed[20] ^= 0x80;
	sealed[slen - 1] ^= 1;
	ck_assert_int_eq(jobseal_open("secret-1", 8, &k, sealed, slen, &open,
	    &olen), 0);
	sealed[slen - 1] ^= 1;
	/* Truncated to the overhead or less. */
	ck_assert_int_eq(jobseal_open("secret-1", 8, &k, sealed,
	    JOBSEAL_OVERHEAD, &open, &olen), 0);
	ck_assert_int_eq(jobseal_open("secret-1", 8, &k, sealed, slen, &open,
	    &olen), 1);
	free(open);
	free(sealed);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_body_malformed)
{
	static const uint8_t	 junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	struct wh_call_in	 in;
	uint8_t			*der, *longer;
	size_t			 len;

	call_in(&in, junk, sizeof(junk));
	ck_assert_ptr_null(wh_body(&in));
	call_in(&in, junk, 0);
	ck_assert_ptr_null(wh_body(&in));
	/* A valid CSR with a trailing byte. */
	der = csr_der("CN=dev-4", NULL, &len);
	longer = malloc(len + 1);
	ck_assert_ptr_nonnull(longer);
	memcpy(longer, der, len);
	longer[len] = 0;
	call_in(&in, longer, len + 1);
	ck_assert_ptr_null(wh_body(&in));
	free(longer);
	OPENSSL_free(der);
}
END_TEST

START_TEST(test_result_names)
{
	int	 i;

	for (i = 0; i < WH__MAX; i++)
		ck_assert_str_ne(wh_result_str((enum wh_result)i), "?");
	ck_assert_str_eq(wh_result_str(WH__MAX), "?");
}
END_TEST

static Suite *
webhook_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("webhook");

	tc = tcase_create("valid");
	tcase_add_test(tc, test_body_fields);
	tcase_add_test(tc, test_sign_vector);
	tcase_add_test(tc, test_seal_roundtrip);
	tcase_add_test(tc, test_result_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_test(tc, test_body_malformed);
	tcase_add_test(tc, test_seal_refused);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(webhook_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
