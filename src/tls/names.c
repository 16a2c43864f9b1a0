/* names.c - names of signature schemes and extensions. */
#include "tls/names.h"

#include <stdio.h>

struct name {
	uint16_t code;
	const char *name;
};

/* RFC 8446 4.2.3 and RFC 5246 7.4.1.4.1 (hash << 8 | signature). */
static const struct name sigalgs[] = {
	{0x0101, "rsa_md5"},
	{0x0102, "dsa_md5"},
	{0x0103, "ecdsa_md5"},
	{0x0201, "rsa_pkcs1_sha1"},
	{0x0202, "dsa_sha1"},
	{0x0203, "ecdsa_sha1"},
	{0x0301, "rsa_sha224"},
	{0x0302, "dsa_sha224"},
	{0x0303, "ecdsa_sha224"},
	{0x0401, "rsa_pkcs1_sha256"},
	{0x0402, "dsa_sha256"},
	{0x0403, "ecdsa_secp256r1_sha256"},
	{0x0501, "rsa_pkcs1_sha384"},
	{0x0502, "dsa_sha384"},
	{0x0503, "ecdsa_secp384r1_sha384"},
	{0x0601, "rsa_pkcs1_sha512"},
	{0x0602, "dsa_sha512"},
	{0x0603, "ecdsa_secp521r1_sha512"},
	{0x0804, "rsa_pss_rsae_sha256"},
	{0x0805, "rsa_pss_rsae_sha384"},
	{0x0806, "rsa_pss_rsae_sha512"},
	{0x0807, "ed25519"},
	{0x0808, "ed448"},
	{0x0809, "rsa_pss_pss_sha256"},
	{0x080a, "rsa_pss_pss_sha384"},
	{0x080b, "rsa_pss_pss_sha512"},
};

/* IANA TLS ExtensionType Values (the ones a server may send back). */
static const struct name exts[] = {
	{0, "server_name"},
	{1, "max_fragment_length"},
	{5, "status_request"},
	{10, "supported_groups"},
	{11, "ec_point_formats"},
	{13, "signature_algorithms"},
	{15, "heartbeat"},
	{16, "application_layer_protocol_negotiation"},
	{18, "signed_certificate_timestamp"},
	{21, "padding"},
	{22, "encrypt_then_mac"},
	{23, "extended_master_secret"},
	{35, "session_ticket"},
	{41, "pre_shared_key"},
	{42, "early_data"},
	{43, "supported_versions"},
	{44, "cookie"},
	{45, "psk_key_exchange_modes"},
	{51, "key_share"},
	{0xff01, "renegotiation_info"},
};

static const char *find(const struct name *v, size_t n, uint16_t code, char *buf, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].code == code)
			return v[i].name;
	snprintf(buf, len, "0x%04X", code);
	return buf;
}

const char *sigalg_name(uint16_t code, char *buf, size_t n)
{
	return find(sigalgs, sizeof sigalgs / sizeof *sigalgs, code, buf, n);
}

const char *ext_name(uint16_t code, char *buf, size_t n)
{
	return find(exts, sizeof exts / sizeof *exts, code, buf, n);
}
