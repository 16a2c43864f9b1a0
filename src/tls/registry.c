/* registry.c - lookups in the generated cipher-suite, group and prime
 * tables. */
#include "tls/registry.h"

#include <string.h>

static const char *const group_kind_names[REG_GROUP_KIND_COUNT] = {"ec", "ffdhe", "pq",
                                                                   "hybrid-pq"};

/* Order of the cipher table: the TLS code space, then SSLv2's. */
static int cipher_cmp(const struct reg_cipher *c, uint32_t code, int sslv2)
{
	if (c->sslv2 != sslv2)
		return c->sslv2 < sslv2 ? -1 : 1;
	if (c->code != code)
		return c->code < code ? -1 : 1;
	return 0;
}

const struct reg_cipher *reg_cipher_find(uint32_t code, int sslv2)
{
	size_t lo = 0, hi = reg_cipher_table_len;

	sslv2 = sslv2 != 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cipher_cmp(&reg_cipher_table[mid], code, sslv2);
		if (c == 0)
			return &reg_cipher_table[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t reg_cipher_count(void)
{
	return reg_cipher_table_len;
}

const struct reg_cipher *reg_cipher_at(size_t i)
{
	return i < reg_cipher_table_len ? &reg_cipher_table[i] : NULL;
}

const char *reg_cipher_name(const struct reg_cipher *c)
{
	/* The generator refuses a row without either name. */
	return c->iana ? c->iana : c->openssl;
}

int reg_cipher_usable(const struct reg_cipher *c, enum tls_proto p)
{
	if (c->sslv2 || p == P_SSLV2)
		return c->sslv2 && p == P_SSLV2;
	/* RFC 8446 B.4: TLS 1.3 suites name only the AEAD and hash, and TLS 1.3
	 * accepts nothing else. */
	if ((c->flags & REG_TLS13) || p == P_TLS13)
		return (c->flags & REG_TLS13) && p == P_TLS13;
	return (unsigned)p < P_COUNT && p >= (enum tls_proto)c->min_proto;
}

const char *reg_group_kind_name(enum reg_group_kind k)
{
	return (unsigned)k < REG_GROUP_KIND_COUNT ? group_kind_names[k] : "?";
}

const struct reg_group *reg_group_find(uint16_t code)
{
	size_t lo = 0, hi = reg_group_table_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint16_t c = reg_group_table[mid].code;
		if (c == code)
			return &reg_group_table[mid];
		if (c < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t reg_group_count(void)
{
	return reg_group_table_len;
}

const struct reg_group *reg_group_at(size_t i)
{
	return i < reg_group_table_len ? &reg_group_table[i] : NULL;
}

/* Order of the prime table: by value, so shorter first, then bytewise. */
static int prime_cmp(const struct reg_prime *r, const uint8_t *p, size_t len)
{
	if (r->len != len)
		return r->len < len ? -1 : 1;
	return memcmp(r->p, p, len);
}

const struct reg_prime *reg_prime_find(const uint8_t *p, size_t len)
{
	size_t lo = 0, hi = reg_prime_table_len;

	if (p == NULL)
		return NULL;
	/* The table holds no leading zero byte; a caller's copy may (a DER
	 * INTEGER's sign byte, a value padded to the modulus length). */
	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	if (len == 0)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = prime_cmp(&reg_prime_table[mid], p, len);
		if (c == 0)
			return &reg_prime_table[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t reg_prime_count(void)
{
	return reg_prime_table_len;
}

const struct reg_prime *reg_prime_at(size_t i)
{
	return i < reg_prime_table_len ? &reg_prime_table[i] : NULL;
}
