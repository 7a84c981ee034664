/*
 * asn1.c: templates that read certificates and keys without decoding
 * the public key; see scep.h.  OpenSSL 3.0's X509 and X509_PUBKEY
 * templates decode every SubjectPublicKeyInfo they parse through a
 * provider decoder built for the call, about 0.1 ms each.
 */
#include "config.h"

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/x509.h>

#include "scep/scep.h"

ASN1_SEQUENCE(SCEP_SPKI) = {
	ASN1_SIMPLE(SCEP_SPKI, alg, X509_ALGOR),
	ASN1_SIMPLE(SCEP_SPKI, key, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(SCEP_SPKI)

ASN1_SEQUENCE(SCEP_TBS) = {
	ASN1_EXP_OPT(SCEP_TBS, version, ASN1_INTEGER, 0),
	ASN1_SIMPLE(SCEP_TBS, serial, ASN1_INTEGER),
	ASN1_SIMPLE(SCEP_TBS, sigalg, ASN1_ANY),
	ASN1_SIMPLE(SCEP_TBS, issuer, X509_NAME),
	ASN1_SIMPLE(SCEP_TBS, validity, X509_VAL),
	ASN1_SIMPLE(SCEP_TBS, subject, ASN1_ANY),
	ASN1_SIMPLE(SCEP_TBS, spki, ASN1_ANY),
	ASN1_IMP_OPT(SCEP_TBS, issuer_uid, ASN1_BIT_STRING, 1),
	ASN1_IMP_OPT(SCEP_TBS, subject_uid, ASN1_BIT_STRING, 2),
	ASN1_EXP_SEQUENCE_OF_OPT(SCEP_TBS, exts, X509_EXTENSION, 3),
} ASN1_SEQUENCE_END(SCEP_TBS)

ASN1_SEQUENCE(SCEP_CERT) = {
	ASN1_SIMPLE(SCEP_CERT, tbs, SCEP_TBS),
	ASN1_SIMPLE(SCEP_CERT, sigalg, ASN1_ANY),
	ASN1_SIMPLE(SCEP_CERT, sig, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(SCEP_CERT)
