/* msg.c - server handshake message parsers. */
#include "tls/msg.h"

#include <string.h>
#include "core/rd.h"
#include "tls/hello.h"

/* SHA-256("HelloRetryRequest"), RFC 8446 4.1.3 */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};
/* "DOWNGRD" + 01 (TLS 1.2) or 00 (TLS 1.1 and below) */
static const uint8_t downgrade[7] = {0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44};

static int server_ext(struct server_hello *sh, uint16_t type, struct rd *body)
{
	struct rd v;
	uint8_t b;
	switch (type) {
	case EXT_SUPPORTED_VERSIONS:
		rd_u16(body, &sh->selected_version);
		break;
	case EXT_KEY_SHARE:
		/* SH: KeyShareEntry; HRR: selected_group only */
		rd_u16(body, &sh->key_share_group);
		if (!sh->hrr)
			rd_vec(body, 2, 1, 0xffff, &v);
		break;
	case EXT_RENEGOTIATION_INFO:
		rd_vec(body, 1, 0, 255, &v);
		sh->reneg_info = rd_left(&v) == 0 ? 1 : 2;
		rd_skip(&v, rd_left(&v));
		break;
	case EXT_EC_POINT_FORMATS:
		rd_vec(body, 1, 1, 255, &v);
		rd_skip(&v, rd_left(&v));
		break;
	case EXT_ALPN:
	case EXT_SCT:
	default:
		/* Opaque here: the type is recorded, the body skipped. */
		while (rd_left(body) > 0)
			rd_u8(body, &b);
		break;
	}
	return rd_done(body) ? 0 : -1;
}

int msg_server_hello(const uint8_t *p, size_t n, struct server_hello *sh)
{
	struct rd r, sid, exts;
	memset(sh, 0, sizeof(*sh));
	rd_init(&r, p, n);
	rd_u16(&r, &sh->legacy_version);
	rd_bytes(&r, sh->random, sizeof sh->random);
	rd_vec(&r, 1, 0, 32, &sid);
	sh->session_id_len = (uint8_t)rd_left(&sid);
	rd_skip(&sid, rd_left(&sid));
	rd_u16(&r, &sh->cipher);
	rd_u8(&r, &sh->compression);
	if (rd_failed(&r))
		return -1;
	sh->hrr = memcmp(sh->random, hrr_random, sizeof hrr_random) == 0;
	/* RFC 5246 7.4.1.3: the extension block may be absent altogether. */
	if (rd_left(&r) > 0) {
		uint8_t seen[65536 / 8];
		memset(seen, 0, sizeof seen);
		sh->has_extensions = 1;
		rd_vec(&r, 2, 0, 0xffff, &exts);
		while (!rd_failed(&exts) && rd_left(&exts) > 0) {
			uint16_t type;
			struct rd body;
			rd_u16(&exts, &type);
			rd_vec(&exts, 2, 0, 0xffff, &body);
			if (rd_failed(&exts))
				return -1;
			if (seen[type >> 3] & (1u << (type & 7)))
				return -1; /* RFC 8446 4.2: no duplicates */
			seen[type >> 3] |= (uint8_t)(1u << (type & 7));
			if (sh->nexts < MSG_MAX_EXTS)
				sh->exts[sh->nexts++] = type;
			if (server_ext(sh, type, &body) < 0)
				return -1;
		}
		if (!rd_done(&exts))
			return -1;
	}
	if (!rd_done(&r))
		return -1;
	sh->version = sh->selected_version ? sh->selected_version : sh->legacy_version;
	if (memcmp(sh->random + 24, downgrade, sizeof downgrade) == 0 &&
	    (sh->random[31] == 0 || sh->random[31] == 1))
		sh->downgrade = sh->random[31] == 1 ? 12 : 11;
	return 0;
}

int msg_certificate(const uint8_t *p, size_t n, struct certificate_list *c)
{
	struct rd r, list;
	memset(c, 0, sizeof(*c));
	rd_init(&r, p, n);
	rd_vec(&r, 3, 0, 0xffffff, &list);
	while (!rd_failed(&list) && rd_left(&list) > 0) {
		struct rd cert;
		rd_vec(&list, 3, 1, 0xffffff, &cert);
		if (rd_failed(&list))
			return -1;
		if (c->ncerts < MSG_MAX_CERTS) {
			c->len[c->ncerts] = rd_left(&cert);
			c->der[c->ncerts] = rd_ptr(&cert, rd_left(&cert));
		}
		c->ncerts++;
	}
	return rd_done(&list) && rd_done(&r) ? 0 : -1;
}

static void vec_view(struct rd *r, int lenbytes, size_t min, const uint8_t **p, size_t *n)
{
	struct rd v;
	rd_vec(r, lenbytes, min, 0xffff, &v);
	*n = rd_left(&v);
	*p = rd_ptr(&v, *n);
}

int msg_server_key_exchange(const uint8_t *p, size_t n, enum ske_kind kind, int anonymous,
			    int tls12, struct server_key_exchange *ske)
{
	struct rd r;
	const uint8_t *skip;
	size_t len;
	memset(ske, 0, sizeof(*ske));
	ske->kind = kind;
	rd_init(&r, p, n);
	switch (kind) {
	case SKE_ECDHE:
		/* ECParameters + ECPoint (RFC 4492 5.4) */
		rd_u8(&r, &ske->curve_type);
		if (ske->curve_type != 3)
			return -1; /* explicit curves: not supported, not sane */
		rd_u16(&r, &ske->curve);
		vec_view(&r, 1, 1, &skip, &ske->point_len);
		break;
	case SKE_DHE:
		vec_view(&r, 2, 1, &ske->dh_p, &ske->dh_p_len);
		vec_view(&r, 2, 1, &ske->dh_g, &ske->dh_g_len);
		vec_view(&r, 2, 1, &skip, &ske->dh_ys_len);
		break;
	case SKE_RSA:
		vec_view(&r, 2, 1, &skip, &ske->rsa_mod_len);
		vec_view(&r, 2, 1, &skip, &len);
		break;
	}
	if (!anonymous) {
		ske->signed_ = 1;
		if (tls12)
			rd_u16(&r, &ske->sigalg);
		vec_view(&r, 2, 0, &skip, &ske->sig_len);
	}
	return rd_done(&r) ? 0 : -1;
}

int msg_certificate_status(const uint8_t *p, size_t n, uint8_t *type, size_t *len)
{
	struct rd r, resp;
	rd_init(&r, p, n);
	rd_u8(&r, type);
	rd_vec(&r, 3, 1, 0xffffff, &resp);
	*len = rd_left(&resp);
	rd_skip(&resp, *len);
	return rd_done(&r) ? 0 : -1;
}

int msg_sslv2_server_hello(const uint8_t *p, size_t n, struct sslv2_server_hello *sh)
{
	struct rd r;
	uint8_t type;
	uint16_t cert_len, specs_len, conn_id_len;
	memset(sh, 0, sizeof(*sh));
	rd_init(&r, p, n);
	rd_u8(&r, &type);
	rd_u8(&r, &sh->session_id_hit);
	rd_u8(&r, &sh->certificate_type);
	rd_u16(&r, &sh->version);
	rd_u16(&r, &cert_len);
	rd_u16(&r, &specs_len);
	rd_u16(&r, &conn_id_len);
	if (rd_failed(&r) || type != 4 || specs_len % 3 != 0)
		return -1;
	sh->cert_len = cert_len;
	rd_skip(&r, cert_len);
	for (size_t i = 0; i < specs_len / 3u; i++) {
		uint32_t s;
		rd_u24(&r, &s);
		if (sh->nspecs < sizeof sh->specs / sizeof sh->specs[0])
			sh->specs[sh->nspecs++] = s;
	}
	/* SSL 2.0 allows a connection id of 16..32 bytes. */
	if (conn_id_len < 16 || conn_id_len > 32)
		return -1;
	rd_skip(&r, conn_id_len);
	return rd_done(&r) ? 0 : -1;
}
