/* verify.c - OpenSSL's verify codes sorted into the project's problems. */
#include "tls/verify.h"

#include <openssl/x509_vfy.h>
#include "core/compiler.h"

static const struct {
	long code;
	enum tls_verify kind;
} kinds[] = {
	{X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, TLS_VFY_SELF_SIGNED},
	{X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, TLS_VFY_UNTRUSTED_ROOT},
	{X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, TLS_VFY_ISSUER_UNKNOWN},
	{X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, TLS_VFY_LEAF_ISSUER_MISSING},
	{X509_V_ERR_CERT_HAS_EXPIRED, TLS_VFY_EXPIRED},
	{X509_V_ERR_CERT_NOT_YET_VALID, TLS_VFY_NOT_YET_VALID},
	{X509_V_ERR_HOSTNAME_MISMATCH, TLS_VFY_HOSTNAME_MISMATCH},
	{X509_V_ERR_IP_ADDRESS_MISMATCH, TLS_VFY_IP_MISMATCH},
};

enum tls_verify tls_verify_of_code(long code)
{
	for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
		if (kinds[i].code == code)
			return kinds[i].kind;
	return TLS_VFY_OTHER;
}
