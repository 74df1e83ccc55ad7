/*
 * selftest.c — can this machine's crypto library verify each DNSSEC
 * algorithm? One known-good signature per algorithm, verified at start.
 *
 * The vectors were made once with ldns-keygen and ldns-signzone (a zone
 * "selftest." with one A record, signed 2026-01-01 to 2036-01-01); the RSA
 * keys are 1024-bit to keep them short. Only the signature arithmetic is
 * checked (ldns's _notime call), so the dates never matter.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "analyse/analyse.h"

static const struct {
	unsigned alg;
	const char *dnskey, *rrsig;
} vectors[] = {
    {5,
     "selftest. 300 IN DNSKEY 256 3 5 "
     "AwEAAbSTJOKIhj74BIbiBQSkAtfus1QyARPSYZJtoODw7pcWAVsidjc2ND5Pj8aN672I8DiQFkdzG8EVpoOm563sRRqm8"
     "gwUAiECOG0Q5yNAXqhwonT2Hws0jQk5DWUJcJZjH85+mSmvkkqypaPfExw8g6jZVfPiOc2HAgnPiCu0tPYf",
     "selftest. 300 IN RRSIG A 5 1 300 20360101000000 20260101000000 11680 selftest. "
     "K8+iyuiYQRWPglGudX37u4qi9D215vGurhaO3m/"
     "uwxmjBpyTyjeNIm0efLHxtoGfT7WELSu6ZXsHz5rD5wM2nX6Pf3GGPhMuRcqF4nqc5oMrIZwJnDF9I2iT4JhyDwKgTTNR"
     "SMvQwqaV1pOAizAA5lIuUpsVHmvL9V8+uROqvaQ="},
    {7,
     "selftest. 300 IN DNSKEY 256 3 7 "
     "AwEAAcOatx7W1ET5JWWfZcEQAwYn2XR6fEKzDgNCardufcusd41O6vp+KH8WmvOPDiBzMl7EWNU7Av8/83s2+0gZPE/"
     "yglUKL9w5pM5Fw1whOakiBkEEsbUHQ0rYwHotsZdZAli7/87nGC+TG+0J1c+cI0Ldc8Nzn/8ejT4YK9/FBfgx",
     "selftest. 300 IN RRSIG A 7 1 300 20360101000000 20260101000000 11324 selftest. "
     "kGn51I+gZcrb7I6zlq26CR4jze52Pw2k/oJn3ABKT5BQtEP+SLSNaASZcDxyx87TDp43gHq/"
     "8nX6ixaOfNhrYBh6zNeeNNjwnNJK2FMw10rwuijmlbrU9Ht1MlkfNGQyYd5e21Gebxf8lDuXTmcIEn1SvumfehB20DnZM"
     "mnK+Dc="},
    {8,
     "selftest. 300 IN DNSKEY 256 3 8 "
     "AwEAAaqeedMpnWEFvvZuk4iCRvMBrAKsACWnn/tHuWcMB3//EtNmCYHB07Ag7cyJ/dAF/"
     "jh2bvCodW5tm8J1F9EbmhnlsCVZoA76ug4lR2CM98FI3A2EXTT091tsa25mCYReLy/"
     "zQrK4vt1X09NtnLPwq3a6AQ0hslwj7AIfNwZYhPbP",
     "selftest. 300 IN RRSIG A 8 1 300 20360101000000 20260101000000 33330 selftest. "
     "M9Iwx8EVUpRu4mezJoxybX8BBlPDZuAL37tRavtgcloGdx6QBPCf1+nC8SaSJiyqMZIA79t44BwP0I9iVWRIJVicQMv+"
     "VmdMhJS5/GMfkHEUolXsUsRWKHZK0klNCPKafozwGMKE1hTbh6lNq0QSjBnlUibTZvY/ZDHosy6JRNo="},
    {10,
     "selftest. 300 IN DNSKEY 256 3 10 "
     "AwEAAZbTxtiGelhzuX/"
     "sppbiIpKTvL6JyDn5y4DYX5y9CblXD6awamg2E7hEG6I8rYvAtjtcA6VPGbrgpmeXqsookk3YVhIhLQJOdV+"
     "Cpb0eGiGRigykXqafI9oGTVHfS4EEKCBLd7QoH+s1draCT5TJtGvacEA0Q15gfjOtecV8gtqJ",
     "selftest. 300 IN RRSIG A 10 1 300 20360101000000 20260101000000 32423 selftest. "
     "HhfRSW0p2ENIc94odmsxaTE3v4ZFJnYhjECjaV4kK8uh0FoH+Z5FzH6Nn1ABgLUySPP0Y9egXP/"
     "aJdtTybRO1rGpVwZCQ3+"
     "NSWpgwOpfxxSCKWsjQJuPGYpQVR4nNk4shiyd01rqEfMASZIkbTS7ioRIGAtsH2p3cOe6Wc8biqA="},
    {13,
     "selftest. 300 IN DNSKEY 256 3 13 "
     "RcapnUJBA3p81599d4EKFwK+mE+G84y9Ja11XM8XmbAUrqZOwmUaW+6wNWH++QmcmkWvbEjv+H8y73bVFxij8Q==",
     "selftest. 300 IN RRSIG A 13 1 300 20360101000000 20260101000000 15872 selftest. "
     "zLkIKowS+Goruyi7e7LZYltIWQxrKdth5tgS18EkbmShfw7OupDtW/OT3gn22UrMZn9E9UaJldRwGaiFNMLARw=="},
    {14,
     "selftest. 300 IN DNSKEY 256 3 14 "
     "tImd9MbhKXwqHmT1XeYh/B3a+l5IzuWF1xkH2vn45vDER2FNl9kMwINp7Fme56XsNilbKTmaJxyzPpNU/"
     "BoRQ45vS9pTs4QXYmC4Mnoets6Z9x1zet6R1W/hb+4QLsB3",
     "selftest. 300 IN RRSIG A 14 1 300 20360101000000 20260101000000 37685 selftest. "
     "UYR1U4CZTM6xZa1XK9XGMV/"
     "6AwFSHCWOoXDYw6NZj5rVT9sYefF5y7uPKBUZ7qWfvi8cnYAoKVTSiQKry0K1w7oUHFr63SdTCP9/"
     "+ILiNv017QSZsPe2iWbMUtTdViyB"},
    {15, "selftest. 300 IN DNSKEY 256 3 15 VIFUj1Cr7f6LnGm+RxBP10A9ydjVXsybtdabCJJuJos=",
     "selftest. 300 IN RRSIG A 15 1 300 20360101000000 20260101000000 11766 selftest. "
     "gismE/TK4R996JjMeeRk8+ljUp4oPbBcyHfYvOVo22UxDl1fkS0v/1Oz0cAfK8TSot4KIrxd7VwvMjFeMz81Ag=="},
    {16,
     "selftest. 300 IN DNSKEY 256 3 16 "
     "GQNN9Ha8Sv2x8T4x7uCkdnFz+N5SC9py8QhXQ7lelh2uiLFZJdjM+1f1IlVnFQj7Khxpb2H9AJQA",
     "selftest. 300 IN RRSIG A 16 1 300 20360101000000 20260101000000 4611 selftest. "
     "Vxy9jZCiAdmXPM1l8mG0+BQFvUe7tb9ymLcEn/cD6L+6a3NVVI/"
     "r6a+b4RIDU8s9f5Ugv0PO2JaAWgkfqxtNqADOKLlANU56zg/"
     "Rwyd+Td3Q0V10Sgtf78NS517BftMgl4brK3XVvF7GoLkhL/k12yYA"},
};

static const char selftest_a[] = "selftest. 300 IN A 192.0.2.1";

static bool verify_one(const char *key_text, const char *sig_text)
{
	ldns_rr *key = NULL, *sig = NULL, *a = NULL;
	bool ok = false;
	ldns_rr_list *rrset = ldns_rr_list_new(), *keys = ldns_rr_list_new();
	if (rrset && keys && ldns_rr_new_frm_str(&key, key_text, 0, NULL, NULL) == LDNS_STATUS_OK &&
	    ldns_rr_new_frm_str(&sig, sig_text, 0, NULL, NULL) == LDNS_STATUS_OK &&
	    ldns_rr_new_frm_str(&a, selftest_a, 0, NULL, NULL) == LDNS_STATUS_OK) {
		ldns_rr_list_push_rr(rrset, a);
		ldns_rr_list_push_rr(keys, key);
		ok = an_verify(NULL, rrset, sig, keys) ==
		     LDNS_STATUS_OK; /* the path every check takes */
		a = key = NULL;	     /* owned by the lists now */
	}
	ldns_rr_free(a);
	ldns_rr_free(key);
	ldns_rr_free(sig);
	ldns_rr_list_deep_free(rrset);
	ldns_rr_list_deep_free(keys);
	return ok;
}

void an_crypto_selftest(bool verifies[256])
{
	memset(verifies, 0, 256 * sizeof(bool));
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		verifies[vectors[i].alg] = verify_one(vectors[i].dnskey, vectors[i].rrsig);
}

bool an_crypto_selftest_corrupt_one(void)
{
	/* The self-test must be able to fail: a flipped signature is refused. */
	char sig[1024];
	snprintf(sig, sizeof(sig), "%s", vectors[4].rrsig);
	char *p = strrchr(sig, ' ');
	if (!p || !p[1] || !p[2])
		return false;
	p[2] = p[2] == 'A' ? 'B' : 'A';
	return !verify_one(vectors[4].dnskey, sig);
}
