/* wire.c - names of the TLS wire's small closed sets (wire.h). */
#include "tls/wire.h"

#include <stddef.h>
#include <string.h>
#include "core/compiler.h"

static const char *const proto_names[P_COUNT] = {"SSLv2",   "SSLv3",   "TLSv1.0",
						 "TLSv1.1", "TLSv1.2", "TLSv1.3"};

const char *tls_proto_name(enum tls_proto p)
{
	return (unsigned)p < P_COUNT ? proto_names[p] : "?";
}

const char *tls_wire_name(unsigned wire)
{
	if (wire == 0x0002)
		return proto_names[P_SSLV2];
	if (wire >= 0x0300 && wire <= 0x0304)
		return proto_names[P_SSLV3 + (wire - 0x0300)];
	return "?";
}

static const char *const kx_names[] = {
    [KX_UNSET] = NULL,
    [KX_NONE] = "none",
    [KX_RSA] = "rsa",
    [KX_DHE] = "dhe",
    [KX_ECDHE] = "ecdhe",
    [KX_DH_STATIC] = "dh-static",
    [KX_ECDH_STATIC] = "ecdh-static",
    [KX_PSK] = "psk",
    [KX_DHE_PSK] = "dhe-psk",
    [KX_ECDHE_PSK] = "ecdhe-psk",
    [KX_RSA_PSK] = "rsa-psk",
    [KX_SRP] = "srp",
    [KX_KRB5] = "krb5",
    [KX_GOST] = "gost",
    [KX_TLS13] = "tls13",
    [KX_OTHER] = "other",
};

const char *tls_kx_name(enum tls_kx k)
{
	return (unsigned)k < ARRAY_LEN(kx_names) ? kx_names[k] : NULL;
}

static const char *const au_names[] = {
    [AU_UNSET] = NULL,    [AU_NONE] = "none", [AU_RSA] = "rsa",   [AU_DSS] = "dss",
    [AU_ECDSA] = "ecdsa", [AU_DH] = "dh",     [AU_ECDH] = "ecdh", [AU_PSK] = "psk",
    [AU_SRP] = "srp",     [AU_KRB5] = "krb5", [AU_GOST] = "gost", [AU_ANY] = "any",
    [AU_OTHER] = "other",
};

const char *tls_au_name(enum tls_au a)
{
	return (unsigned)a < ARRAY_LEN(au_names) ? au_names[a] : NULL;
}

/* OpenSSL's words, as scripts/gen-registry's KX_KIND and AU_KIND map them. */
struct kind_word {
	const char *word;
	int kind;
};

static const struct kind_word kx_words[] = {
    {"None", KX_NONE},
    {"RSA", KX_RSA},
    {"DH", KX_DHE},
    {"ECDH", KX_ECDHE},
    {"DH/DSS", KX_DH_STATIC},
    {"DH/RSA", KX_DH_STATIC},
    {"ECDH/ECDSA", KX_ECDH_STATIC},
    {"ECDH/RSA", KX_ECDH_STATIC},
    {"PSK", KX_PSK},
    {"DHEPSK", KX_DHE_PSK},
    {"ECDHEPSK", KX_ECDHE_PSK},
    {"RSAPSK", KX_RSA_PSK},
    {"SRP", KX_SRP},
    {"KRB5", KX_KRB5},
    {"GOST", KX_GOST},
    {"any", KX_TLS13},
};

static const struct kind_word au_words[] = {
    {"None", AU_NONE}, {"RSA", AU_RSA},     {"DSS", AU_DSS},     {"ECDSA", AU_ECDSA},
    {"DH", AU_DH},     {"ECDH", AU_ECDH},   {"PSK", AU_PSK},     {"SRP", AU_SRP},
    {"KRB5", AU_KRB5}, {"GOST94", AU_GOST}, {"GOST01", AU_GOST}, {"any", AU_ANY},
};

static int kind_of(const struct kind_word *t, size_t n, const char *word, int unset, int other)
{
	if (!word)
		return unset;
	for (size_t i = 0; i < n; i++)
		if (strcmp(word, t[i].word) == 0)
			return t[i].kind;
	return other;
}

enum tls_kx tls_kx_of_openssl(const char *word)
{
	return (enum tls_kx)kind_of(kx_words, ARRAY_LEN(kx_words), word, KX_UNSET, KX_OTHER);
}

enum tls_au tls_au_of_openssl(const char *word)
{
	return (enum tls_au)kind_of(au_words, ARRAY_LEN(au_words), word, AU_UNSET, AU_OTHER);
}

static const struct {
	int desc;
	const char *name;
} alert_names[] = {
	{TLS_ALERT_CLOSE_NOTIFY, "close_notify"},
	{TLS_ALERT_UNEXPECTED_MESSAGE, "unexpected_message"},
	{TLS_ALERT_BAD_RECORD_MAC, "bad_record_mac"},
	{TLS_ALERT_DECRYPTION_FAILED, "decryption_failed"},
	{TLS_ALERT_RECORD_OVERFLOW, "record_overflow"},
	{TLS_ALERT_DECOMPRESSION_FAILURE, "decompression_failure"},
	{TLS_ALERT_HANDSHAKE_FAILURE, "handshake_failure"},
	{TLS_ALERT_NO_CERTIFICATE, "no_certificate"},
	{TLS_ALERT_BAD_CERTIFICATE, "bad_certificate"},
	{TLS_ALERT_UNSUPPORTED_CERTIFICATE, "unsupported_certificate"},
	{TLS_ALERT_CERTIFICATE_REVOKED, "certificate_revoked"},
	{TLS_ALERT_CERTIFICATE_EXPIRED, "certificate_expired"},
	{TLS_ALERT_CERTIFICATE_UNKNOWN, "certificate_unknown"},
	{TLS_ALERT_ILLEGAL_PARAMETER, "illegal_parameter"},
	{TLS_ALERT_UNKNOWN_CA, "unknown_ca"},
	{TLS_ALERT_ACCESS_DENIED, "access_denied"},
	{TLS_ALERT_DECODE_ERROR, "decode_error"},
	{TLS_ALERT_DECRYPT_ERROR, "decrypt_error"},
	{TLS_ALERT_EXPORT_RESTRICTION, "export_restriction"},
	{TLS_ALERT_PROTOCOL_VERSION, "protocol_version"},
	{TLS_ALERT_INSUFFICIENT_SECURITY, "insufficient_security"},
	{TLS_ALERT_INTERNAL_ERROR, "internal_error"},
	{TLS_ALERT_INAPPROPRIATE_FALLBACK, "inappropriate_fallback"},
	{TLS_ALERT_USER_CANCELED, "user_canceled"},
	{TLS_ALERT_NO_RENEGOTIATION, "no_renegotiation"},
	{TLS_ALERT_MISSING_EXTENSION, "missing_extension"},
	{TLS_ALERT_UNSUPPORTED_EXTENSION, "unsupported_extension"},
	{TLS_ALERT_CERTIFICATE_UNOBTAINABLE, "certificate_unobtainable"},
	{TLS_ALERT_UNRECOGNIZED_NAME, "unrecognized_name"},
	{TLS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE, "bad_certificate_status_response"},
	{TLS_ALERT_BAD_CERTIFICATE_HASH_VALUE, "bad_certificate_hash_value"},
	{TLS_ALERT_UNKNOWN_PSK_IDENTITY, "unknown_psk_identity"},
	{TLS_ALERT_CERTIFICATE_REQUIRED, "certificate_required"},
	{TLS_ALERT_NO_APPLICATION_PROTOCOL, "no_application_protocol"},
};

const char *tls_alert_name(int desc)
{
	for (size_t i = 0; i < ARRAY_LEN(alert_names); i++)
		if (alert_names[i].desc == desc)
			return alert_names[i].name;
	return NULL;
}
