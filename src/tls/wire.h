/* wire.h - small closed sets of the TLS wire that every layer above names:
 * protocol versions and alert descriptions. They sit below the result model
 * (model/result.h includes this header), so the tls/ tables and parsers
 * never need model/. */
#ifndef MAILTLS_WIRE_H
#define MAILTLS_WIRE_H

/* Protocol versions, in order; the index is stable. */
enum tls_proto { P_SSLV2, P_SSLV3, P_TLS10, P_TLS11, P_TLS12, P_TLS13, P_COUNT };
const char *tls_proto_name(enum tls_proto p); /* "SSLv2" ... "TLSv1.3" */

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
