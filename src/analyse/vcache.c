/*
 * vcache.c — signature verification, each distinct (RRset, RRSIG, keys)
 * verified once.
 *
 * The key is a SHA-256 over exactly the bytes the verification depends on:
 * every record of the RRset in canonical wire form, the whole RRSIG, and
 * every candidate key. The same signature served by several name servers
 * (or seen again by a later check of a scan) is verified once. Only the
 * arithmetic result is kept: dates are judged by the caller every time.
 * Thread-safe; when the table is full it starts afresh.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "analyse/analyse.h"
#include "common/wire.h"

typedef struct ventry {
	uint8_t key[32];
	ldns_status st;
	bool used;
} ventry_t;

struct an_vcache {
	pthread_mutex_t m;
	ventry_t *tab;
	size_t cap, n;
	unsigned long hits, misses;
};

an_vcache_t *an_vcache_new(size_t max_entries)
{
	an_vcache_t *v = calloc(1, sizeof(*v));
	size_t cap = 1024;
	while (cap < 2 * max_entries && cap < (1u << 24))
		cap <<= 1;
	if (v)
		v->tab = calloc(cap, sizeof(ventry_t));
	if (!v || !v->tab) {
		free(v);
		return NULL;
	}
	v->cap = cap;
	pthread_mutex_init(&v->m, NULL);
	return v;
}

void an_vcache_free(an_vcache_t *v)
{
	if (!v)
		return;
	pthread_mutex_destroy(&v->m);
	free(v->tab);
	free(v);
}

void an_vcache_stats(an_vcache_t *v, unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&v->m);
	*hits = v->hits;
	*misses = v->misses;
	pthread_mutex_unlock(&v->m);
}

/* SHA-256 with the digest fetched once (OpenSSL 3 looks it up on every EVP_sha256() use otherwise).
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static bool sha256(const void *data, size_t len, uint8_t out[32])
{
	pthread_once(&sha256_once, sha256_fetch);
	unsigned n = 0;
	return sha256_md && EVP_Digest(data, len, out, &n, sha256_md, NULL) == 1 && n == 32;
}

/*
 * The bytes an RRSIG signs (RFC 4034 §3.1.8.1): its RDATA without the
 * signature, then the RRset in canonical form (§6.2: lower-cased names, the
 * original TTL, the wildcard owner "*.<closest encloser>" when the RRSIG's
 * labels field is below the owner's label count, §5.3.2), sorted (§6.3).
 * The same preparation ldns makes before it verifies, built from ldns's own
 * pieces.
 */
static ldns_buffer *signed_data(const ldns_rr_list *rrset, const ldns_rr *sig)
{
	if (!rrset || !ldns_rr_list_rr_count(rrset) || ldns_rr_rd_count(sig) < 9)
		return NULL;
	ldns_buffer *b = ldns_buffer_new(1024);
	ldns_rr_list *c = ldns_rr_list_clone(rrset);
	bool ok = b && c && ldns_rrsig2buffer_wire(b, sig) == LDNS_STATUS_OK;
	uint32_t ottl = ldns_rdf2native_int32(ldns_rr_rrsig_origttl(sig));
	uint8_t labels = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig));
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(c); i++) {
		ldns_rr *rr = ldns_rr_list_rr(c, i);
		ldns_rr_set_ttl(rr, ottl);
		uint8_t have = ldns_dname_label_count(ldns_rr_owner(rr));
		if (labels < have) {
			ldns_rdf *star = NULL;
			ldns_rdf *encl =
			    ldns_dname_clone_from(ldns_rr_owner(rr), (uint16_t)(have - labels));
			ok = encl && ldns_str2rdf_dname(&star, "*") == LDNS_STATUS_OK &&
			     ldns_dname_cat(star, encl) == LDNS_STATUS_OK;
			ldns_rdf_deep_free(encl);
			if (ok) {
				ldns_rdf_deep_free(ldns_rr_owner(rr));
				ldns_rr_set_owner(rr, star);
			} else {
				ldns_rdf_deep_free(star);
			}
		}
		ldns_rr2canonical(rr);
	}
	if (ok) {
		ldns_rr_list_sort(c);
		ok = ldns_rr_list2buffer_wire(b, c) == LDNS_STATUS_OK && ldns_buffer_status_ok(b);
	}
	ldns_rr_list_deep_free(c);
	if (!ok) {
		ldns_buffer_free(b);
		return NULL;
	}
	return b;
}

/* One record into the digest: its owner (lower-cased: verification
 * canonicalises it), type, class, TTL, and every RDATA field with its ldns
 * field type and length, so that no two different records feed the same
 * bytes. Fixed-size parts go through a bounded writer; field data is fed
 * straight from the record, whatever its size. */
static bool hash_rr(EVP_MD_CTX *ctx, uint8_t tag, const ldns_rr *rr)
{
	uint8_t head[1 + 255 + 12];
	dd_writer_t w;
	dd_writer_init(&w, head, sizeof(head));
	const ldns_rdf *owner = ldns_rr_owner(rr);
	dd_writer_u8(&w, tag); /* separators: no two inputs hash alike by shifting bytes */
	if (owner)
		dd_writer_name_lower(&w, ldns_rdf_data(owner), ldns_rdf_size(owner));
	else
		dd_writer_u8(&w, 0);
	dd_writer_u16(&w, (uint16_t)ldns_rr_get_type(rr));
	dd_writer_u16(&w, (uint16_t)ldns_rr_get_class(rr));
	dd_writer_u32(&w, ldns_rr_ttl(rr));
	dd_writer_u16(&w, (uint16_t)ldns_rr_rd_count(rr));
	if (w.err || EVP_DigestUpdate(ctx, head, w.pos) != 1)
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		size_t n = f ? ldns_rdf_size(f) : 0;
		uint8_t fh[1 + 4];
		dd_writer_init(&w, fh, sizeof(fh));
		dd_writer_u8(&w, f ? (uint8_t)ldns_rdf_get_type(f) : 0xff);
		dd_writer_u32(&w, (uint32_t)n);
		if (w.err || EVP_DigestUpdate(ctx, fh, w.pos) != 1 ||
		    (n && EVP_DigestUpdate(ctx, ldns_rdf_data(f), n) != 1))
			return false;
	}
	return true;
}

/* The cache key: SHA-256 over every record of the RRset (in the order
 * given), the whole RRSIG and every candidate key, hashed record by record
 * (no buffer that a large RRset could overflow). Equal keys mean equal
 * signed data, signature and keys, so an equal result; the signed data
 * itself is only built when the cache misses. */
static bool hash_input(const ldns_rr_list *rrset, const ldns_rr *sig, const ldns_rr_list *keys,
		       uint8_t out[32])
{
	pthread_once(&sha256_once, sha256_fetch);
	EVP_MD_CTX *ctx = sha256_md ? EVP_MD_CTX_new() : NULL;
	bool ok = ctx && EVP_DigestInit_ex(ctx, sha256_md, NULL) == 1;
	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(rrset); i++)
		ok = hash_rr(ctx, 0xfd, ldns_rr_list_rr(rrset, i));
	ok = ok && hash_rr(ctx, 0xff, sig);
	for (size_t i = 0; ok && keys && i < ldns_rr_list_rr_count(keys); i++)
		ok = hash_rr(ctx, 0xfe, ldns_rr_list_rr(keys, i));
	unsigned n = 0;
	ok = ok && EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == 32;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* ---- ECDSA keys, built once -------------------------------------------------
 * Building an OpenSSL key for P-256/P-384 sets up the curve each time and
 * costs more than the verification itself; the keys are kept, keyed by a
 * SHA-256 of algorithm and public key, and shared by all threads (OpenSSL 3
 * keys are safe to use from several threads at once). */

#define KEYCACHE_MAX 4096

typedef struct kentry {
	uint8_t id[32];
	EVP_PKEY *pk;
} kentry_t;

static struct {
	pthread_mutex_t m;
	kentry_t *tab; /* open addressing, 2 * KEYCACHE_MAX slots */
	size_t n;
} kc = {.m = PTHREAD_MUTEX_INITIALIZER};

static EVP_MD *sha384_md;
static void sha384_fetch(void)
{
	sha384_md = EVP_MD_fetch(NULL, "SHA384", NULL);
}
static pthread_once_t sha384_once = PTHREAD_ONCE_INIT;

/* A new reference to the key (EVP_PKEY_free it), or NULL. */
static EVP_PKEY *ecdsa_key(uint8_t alg, const ldns_rdf *pub)
{
	uint8_t in[1 + 96], id[32];
	size_t len = ldns_rdf_size(pub);
	if (len != (alg == LDNS_ECDSAP256SHA256 ? 64u : 96u))
		return NULL;
	in[0] = alg;
	memcpy(in + 1, ldns_rdf_data(pub), len);
	if (!sha256(in, 1 + len, id))
		return NULL;
	const size_t slots = 2 * KEYCACHE_MAX;
	size_t h;
	memcpy(&h, id, sizeof(h));
	pthread_mutex_lock(&kc.m);
	if (!kc.tab)
		kc.tab = calloc(slots, sizeof(kentry_t));
	for (size_t i = h % slots; kc.tab; i = (i + 1) % slots) {
		kentry_t *e = &kc.tab[i];
		if (!e->pk)
			break;
		if (memcmp(e->id, id, 32) == 0) {
			EVP_PKEY *pk = EVP_PKEY_up_ref(e->pk) == 1 ? e->pk : NULL;
			pthread_mutex_unlock(&kc.m);
			return pk;
		}
	}
	pthread_mutex_unlock(&kc.m);
	EVP_PKEY *pk = ldns_ecdsa2pkey_raw(ldns_rdf_data(pub), len, alg);
	if (!pk)
		return NULL;
	pthread_mutex_lock(&kc.m);
	if (kc.tab && kc.n >= KEYCACHE_MAX) {
		/* Full: start afresh (keys in use elsewhere keep their own reference). */
		for (size_t i = 0; i < slots; i++)
			EVP_PKEY_free(kc.tab[i].pk);
		memset(kc.tab, 0, slots * sizeof(kentry_t));
		kc.n = 0;
	}
	for (size_t i = h % slots; kc.tab; i = (i + 1) % slots) {
		kentry_t *e = &kc.tab[i];
		if (e->pk && memcmp(e->id, id, 32) == 0)
			break; /* another thread got there first */
		if (!e->pk && EVP_PKEY_up_ref(pk) == 1) {
			memcpy(e->id, id, 32);
			e->pk = pk;
			kc.n++;
			break;
		}
	}
	pthread_mutex_unlock(&kc.m);
	return pk;
}

/* One ECDSA signature over `data` by one key: LDNS_STATUS_OK or CRYPTO_BOGUS. */
static ldns_status ecdsa_verify(uint8_t alg, const ldns_buffer *data, const ldns_rr *sig,
				const ldns_rr *key)
{
	EVP_PKEY *pk = ecdsa_key(alg, ldns_rr_rdf(key, 3));
	if (!pk)
		return LDNS_STATUS_CRYPTO_BOGUS; /* a malformed public key verifies nothing */
	pthread_once(&sha256_once, sha256_fetch);
	pthread_once(&sha384_once, sha384_fetch);
	const EVP_MD *md = alg == LDNS_ECDSAP256SHA256 ? sha256_md : sha384_md;
	ldns_buffer *der = ldns_buffer_new(128);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ldns_status st = LDNS_STATUS_CRYPTO_BOGUS;
	/* DNSSEC carries r|s (RFC 6605 §4); OpenSSL wants DER, which ldns makes. */
	if (der && ctx && md &&
	    ldns_convert_ecdsa_rrsig_rdf2asn1(der, ldns_rr_rrsig_sig(sig)) == LDNS_STATUS_OK &&
	    EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk) == 1 &&
	    EVP_DigestVerify(ctx, ldns_buffer_begin(der), ldns_buffer_position(der),
			     ldns_buffer_begin(data), ldns_buffer_position(data)) == 1)
		st = LDNS_STATUS_OK;
	EVP_MD_CTX_free(ctx);
	ldns_buffer_free(der);
	EVP_PKEY_free(pk);
	return st;
}

/*
 * Verify as ldns_verify_rrsig_keylist_notime() does (OK when one of `keys`
 * with the RRSIG's key tag and algorithm verifies it), with ECDSA (13, 14)
 * done here on the prepared data and a kept key; other algorithms by ldns.
 */
static ldns_status verify(ldns_rr_list *rrset, ldns_rr *sig, const ldns_rr_list *keys,
			  const ldns_buffer *data)
{
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig));
	if (!data || (alg != LDNS_ECDSAP256SHA256 && alg != LDNS_ECDSAP384SHA384)) {
		/* ldns lower-cases the RRSIG's owner in place: give it a copy, so
		 * that messages shared between checks stay as they came. */
		ldns_rr *copy = ldns_rr_clone(sig);
		ldns_status st = copy ? ldns_verify_rrsig_keylist_notime(rrset, copy, keys, NULL)
				      : LDNS_STATUS_MEM_ERR;
		ldns_rr_free(copy);
		return st;
	}
	if (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) !=
	    ldns_rr_get_type(ldns_rr_list_rr(rrset, 0)))
		return LDNS_STATUS_CRYPTO_TYPE_COVERED_ERR;
	uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
	ldns_status st = LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
	for (size_t i = 0; keys && i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(keys, i);
		if (ldns_rr_get_type(k) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(k) < 4 ||
		    ldns_rdf2native_int8(ldns_rr_rdf(k, 2)) != alg || ldns_calc_keytag(k) != tag)
			continue;
		st = ecdsa_verify(alg, data, sig, k);
		if (st == LDNS_STATUS_OK)
			break;
	}
	return st;
}

/* Verify, building the signed data. */
static ldns_status verify_now(ldns_rr_list *rrset, ldns_rr *sig, const ldns_rr_list *keys)
{
	ldns_buffer *data = signed_data(rrset, sig);
	ldns_status st = verify(rrset, sig, keys, data);
	ldns_buffer_free(data);
	return st;
}

ldns_status an_verify(an_vcache_t *v, ldns_rr_list *rrset, ldns_rr *sig, const ldns_rr_list *keys)
{
	uint8_t key[32];
	if (!v || !hash_input(rrset, sig, keys, key))
		return verify_now(rrset, sig, keys);
	size_t h;
	memcpy(&h, key, sizeof(h));
	pthread_mutex_lock(&v->m);
	for (size_t i = h & (v->cap - 1);; i = (i + 1) & (v->cap - 1)) {
		ventry_t *e = &v->tab[i];
		if (!e->used)
			break;
		if (memcmp(e->key, key, 32) == 0) {
			ldns_status st = e->st;
			v->hits++;
			pthread_mutex_unlock(&v->m);
			return st;
		}
	}
	v->misses++;
	pthread_mutex_unlock(&v->m);
	/* Verify outside the lock: other threads go on meanwhile. */
	ldns_status st = verify_now(rrset, sig, keys);
	pthread_mutex_lock(&v->m);
	if (v->n >= v->cap / 2) {
		memset(v->tab, 0, v->cap * sizeof(ventry_t));
		v->n = 0;
	}
	for (size_t i = h & (v->cap - 1);; i = (i + 1) & (v->cap - 1)) {
		ventry_t *e = &v->tab[i];
		if (e->used && memcmp(e->key, key, 32) == 0)
			break; /* another thread got there first */
		if (!e->used) {
			memcpy(e->key, key, 32);
			e->st = st;
			e->used = true;
			v->n++;
			break;
		}
	}
	pthread_mutex_unlock(&v->m);
	return st;
}
