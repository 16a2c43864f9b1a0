/* wire.h - small closed sets of the TLS wire that every layer above names:
 * protocol versions and alert descriptions. They sit below the result model
 * (model/result.h includes this header), so the tls/ tables and parsers
 * never need model/. */
#ifndef MAILTLS_WIRE_H
#define MAILTLS_WIRE_H

/* Protocol versions, in order; the index is stable. */
enum tls_proto { P_SSLV2, P_SSLV3, P_TLS10, P_TLS11, P_TLS12, P_TLS13, P_COUNT };
const char *tls_proto_name(enum tls_proto p); /* "SSLv2" ... "TLSv1.3" */
/* The name of a version as the wire writes it (0x0002, 0x0300 .. 0x0304),
 * "?" for any other value. */
const char *tls_wire_name(unsigned wire);

/* A suite's key exchange kind (scripts/gen-registry's KX_KIND: the registry
 * rows carry it, and the result model keeps it for each accepted suite). */
enum tls_kx {
	KX_UNSET, /* a suite the registry does not know */
	KX_NONE,
	KX_RSA,
	KX_DHE,         /* also anonymous (au AU_NONE) */
	KX_ECDHE,       /* also anonymous */
	KX_DH_STATIC,   /* "DH/RSA", "DH/DSS" */
	KX_ECDH_STATIC, /* "ECDH/RSA", "ECDH/ECDSA" */
	KX_PSK,
	KX_DHE_PSK,
	KX_ECDHE_PSK,
	KX_RSA_PSK,
	KX_SRP,
	KX_KRB5,
	KX_GOST,
	KX_TLS13, /* "any": the key share decides */
	KX_OTHER,
};

/* A suite's authentication kind (scripts/gen-registry's AU_KIND). */
enum tls_au {
	AU_UNSET, /* a suite the registry does not know */
	AU_NONE,
	AU_RSA,
	AU_DSS,
	AU_ECDSA,
	AU_DH,   /* static DH certificate */
	AU_ECDH, /* static ECDH certificate */
	AU_PSK,
	AU_SRP,
	AU_KRB5,
	AU_GOST,
	AU_ANY,   /* TLS 1.3: the certificate decides */
	AU_OTHER, /* a word no registry row has (a document from a newer build) */
};

/* NULL unset; "none", "rsa", "dhe", "ecdhe", "dh-static", "ecdh-static",
 * "psk", "dhe-psk", "ecdhe-psk", "rsa-psk", "srp", "krb5", "gost", "tls13",
 * "other" */
const char *tls_kx_name(enum tls_kx k);
/* NULL unset; "none", "rsa", "dss", "ecdsa", "dh", "ecdh", "psk", "srp",
 * "krb5", "gost", "any", "other" */
const char *tls_au_name(enum tls_au a);
/* The kind of OpenSSL's Kx / Au word as the registry rows give it ("ECDH",
 * "DH/RSA", "any"; "RSA", "None"): what the JSON document holds. Unset for
 * NULL, other for a word outside the table. tests/unit/tls/test_registry.c
 * holds these to the generated rows. */
enum tls_kx tls_kx_of_openssl(const char *word);
enum tls_au tls_au_of_openssl(const char *word);

/* AlertDescription (RFC 8446 6; RFC 5246 7.2 for the older ones; RFC 7507
 * for inappropriate_fallback). The values are the wire's. */
enum tls_alert {
	TLS_ALERT_CLOSE_NOTIFY = 0,
	TLS_ALERT_UNEXPECTED_MESSAGE = 10,
	TLS_ALERT_BAD_RECORD_MAC = 20,
	TLS_ALERT_DECRYPTION_FAILED = 21, /* RFC 5246, reserved since */
	TLS_ALERT_RECORD_OVERFLOW = 22,
	TLS_ALERT_DECOMPRESSION_FAILURE = 30,
	TLS_ALERT_HANDSHAKE_FAILURE = 40,
	TLS_ALERT_NO_CERTIFICATE = 41, /* SSLv3 only */
	TLS_ALERT_BAD_CERTIFICATE = 42,
	TLS_ALERT_UNSUPPORTED_CERTIFICATE = 43,
	TLS_ALERT_CERTIFICATE_REVOKED = 44,
	TLS_ALERT_CERTIFICATE_EXPIRED = 45,
	TLS_ALERT_CERTIFICATE_UNKNOWN = 46,
	TLS_ALERT_ILLEGAL_PARAMETER = 47,
	TLS_ALERT_UNKNOWN_CA = 48,
	TLS_ALERT_ACCESS_DENIED = 49,
	TLS_ALERT_DECODE_ERROR = 50,
	TLS_ALERT_DECRYPT_ERROR = 51,
	TLS_ALERT_EXPORT_RESTRICTION = 60, /* RFC 4346, reserved since */
	TLS_ALERT_PROTOCOL_VERSION = 70,
	TLS_ALERT_INSUFFICIENT_SECURITY = 71,
	TLS_ALERT_INTERNAL_ERROR = 80,
	TLS_ALERT_INAPPROPRIATE_FALLBACK = 86,
	TLS_ALERT_USER_CANCELED = 90,
	TLS_ALERT_NO_RENEGOTIATION = 100,
	TLS_ALERT_MISSING_EXTENSION = 109,
	TLS_ALERT_UNSUPPORTED_EXTENSION = 110,
	TLS_ALERT_CERTIFICATE_UNOBTAINABLE = 111,
	TLS_ALERT_UNRECOGNIZED_NAME = 112,
	TLS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
	TLS_ALERT_BAD_CERTIFICATE_HASH_VALUE = 114,
	TLS_ALERT_UNKNOWN_PSK_IDENTITY = 115,
	TLS_ALERT_CERTIFICATE_REQUIRED = 116,
	TLS_ALERT_NO_APPLICATION_PROTOCOL = 120,
};
/* The registry's name, "handshake_failure"; NULL for a value not above. */
const char *tls_alert_name(int desc);

/* AlertLevel (RFC 5246 7.2). */
enum tls_alert_level { TLS_ALERT_WARNING = 1, TLS_ALERT_FATAL = 2 };

#endif
