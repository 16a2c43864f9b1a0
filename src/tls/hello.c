/* hello.c - ClientHello writer (RFC 5246 7.4.1.2, RFC 8446 4.1.2). */
#include "tls/hello.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "core/wr.h"

/* A key share needs a real public key or servers reject the hello; only
 * key generation uses OpenSSL, never the parsing of server bytes. */
static int share_key(uint16_t group, uint8_t *out, size_t *len)
{
	EVP_PKEY *k = NULL;
	int ok = 0;
	if (group == 0x001d)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	else if (group == 0x001e)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "X448");
	else if (group == 0x0017)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!k)
		return 0;
	if (group == 0x0017) {
		unsigned char *pub = NULL;
		size_t n = EVP_PKEY_get1_encoded_public_key(k, &pub);
		if (n > 0 && n <= 133) {
			memcpy(out, pub, n);
			*len = n;
			ok = 1;
		}
		OPENSSL_free(pub);
	} else {
		ok = EVP_PKEY_get_raw_public_key(k, out, len) == 1;
	}
	EVP_PKEY_free(k);
	return ok;
}

static const uint16_t default_groups[] = {
	0x001d, 0x0017, 0x0018, 0x0019, 0x001e, /* X25519, P-256, P-384, P-521, X448 */
	0x0100, 0x0101, 0x0102, 0x0103, 0x0104, /* ffdhe2048..8192 */
	0x001a, 0x001b, 0x001c,                 /* brainpool r1 */
	0x0016, 0x0015, 0x0014, 0x0013, 0x0012, /* secp256k1 .. secp192k1 */
	0x0011, 0x0010, 0x000f,                 /* secp160* */
	0x000e, 0x000d, 0x000c, 0x000b, 0x000a, 0x0009, 0x0008, /* sect571r1 .. */
	0x0007, 0x0006, 0x0005, 0x0004, 0x0003, 0x0002, 0x0001,
};

static const uint16_t default_sigalgs[] = {
	0x0403, 0x0503, 0x0603, /* ecdsa_secp256r1_sha256 .. */
	0x0807, 0x0808,         /* ed25519, ed448 */
	0x0804, 0x0805, 0x0806, /* rsa_pss_rsae_sha256 .. */
	0x0809, 0x080a, 0x080b, /* rsa_pss_pss_* */
	0x0401, 0x0501, 0x0601, /* rsa_pkcs1_sha256 .. */
	0x0303, 0x0301, 0x0302, /* sha224 ecdsa/rsa/dsa */
	0x0203, 0x0201, 0x0202, /* sha1 ecdsa/rsa/dsa */
	0x0402, 0x0502, 0x0602, /* dsa sha256.. */
	0x0101, 0x0102, 0x0103, /* md5 */
};

size_t hello_default_groups(const uint16_t **v)
{
	*v = default_groups;
	return ARRAY_LEN(default_groups);
}

size_t hello_default_sigalgs(const uint16_t **v)
{
	*v = default_sigalgs;
	return ARRAY_LEN(default_sigalgs);
}

/* RFC 8701: 0x0A0A, 0x1A1A, ... 0xFAFA. */
static uint16_t grease(unsigned i)
{
	unsigned n = i & 0x0f;
	return (uint16_t)((n << 12) | 0x0a00 | (n << 4) | 0x0a);
}

static void ext_open(struct wr *w, uint16_t type, size_t *mark)
{
	wr_u16(w, type);
	*mark = wr_open_vec(w, 2);
}

static void write_extensions(struct wr *w, const struct hello_opts *o, unsigned g)
{
	size_t all = wr_open_vec(w, 2), m, v;
	const uint16_t *groups = o->groups, *sigalgs = o->sigalgs;
	size_t ngroups = o->ngroups, nsigalgs = o->nsigalgs;

	if (!groups)
		ngroups = hello_default_groups(&groups);
	if (!sigalgs)
		nsigalgs = hello_default_sigalgs(&sigalgs);
	if (o->flags & HF_GREASE) {
		ext_open(w, grease(g), &m);
		wr_close_vec(w, m, 2);
	}
	if ((o->flags & HF_SNI) && o->sni) {
		/* RFC 6066 3: server_name_list<1..2^16-1> of host_name */
		ext_open(w, EXT_SERVER_NAME, &m);
		v = wr_open_vec(w, 2);
		wr_u8(w, 0);
		size_t n = wr_open_vec(w, 2);
		wr_bytes(w, o->sni, strlen(o->sni));
		wr_close_vec(w, n, 2);
		wr_close_vec(w, v, 2);
		wr_close_vec(w, m, 2);
	}
	if (o->flags & HF_STATUS_REQUEST) {
		/* RFC 6066 8: ocsp, empty responder list and extensions */
		ext_open(w, EXT_STATUS_REQUEST, &m);
		wr_u8(w, 1);
		wr_u16(w, 0);
		wr_u16(w, 0);
		wr_close_vec(w, m, 2);
	}
	ext_open(w, EXT_SUPPORTED_GROUPS, &m);
	v = wr_open_vec(w, 2);
	if (o->flags & HF_GREASE)
		wr_u16(w, grease(g + 1));
	for (size_t i = 0; i < ngroups; i++)
		wr_u16(w, groups[i]);
	wr_close_vec(w, v, 2);
	wr_close_vec(w, m, 2);
	if (o->flags & HF_EC_POINT_FORMATS) {
		ext_open(w, EXT_EC_POINT_FORMATS, &m);
		v = wr_open_vec(w, 1);
		wr_u8(w, 0); /* uncompressed */
		wr_u8(w, 1); /* ansiX962_compressed_prime */
		wr_u8(w, 2); /* ansiX962_compressed_char2 */
		wr_close_vec(w, v, 1);
		wr_close_vec(w, m, 2);
	}
	if (o->version >= V_TLS12) {
		ext_open(w, EXT_SIGNATURE_ALGORITHMS, &m);
		v = wr_open_vec(w, 2);
		for (size_t i = 0; i < nsigalgs; i++)
			wr_u16(w, sigalgs[i]);
		wr_close_vec(w, v, 2);
		wr_close_vec(w, m, 2);
	}
	if (o->flags & HF_EMS) {
		ext_open(w, EXT_EXTENDED_MASTER_SECRET, &m);
		wr_close_vec(w, m, 2);
	}
	if (o->flags & HF_SESSION_TICKET) {
		/* RFC 5077 3.2: the ticket is the whole extension_data */
		ext_open(w, EXT_SESSION_TICKET, &m);
		if (o->ticket)
			wr_bytes(w, o->ticket, o->ticket_len);
		wr_close_vec(w, m, 2);
	}
	if (o->version >= V_TLS13) {
		ext_open(w, EXT_SUPPORTED_VERSIONS, &m);
		v = wr_open_vec(w, 1);
		if (o->flags & HF_GREASE)
			wr_u16(w, grease(g + 2));
		wr_u16(w, V_TLS13);
		wr_u16(w, V_TLS12);
		wr_u16(w, V_TLS11);
		wr_u16(w, V_TLS10);
		wr_close_vec(w, v, 1);
		wr_close_vec(w, m, 2);

		ext_open(w, EXT_PSK_KEY_EXCHANGE_MODES, &m);
		v = wr_open_vec(w, 1);
		wr_u8(w, 1); /* psk_dhe_ke */
		wr_close_vec(w, v, 1);
		wr_close_vec(w, m, 2);

		/* RFC 8446 4.2.8: client_shares<0..2^16-1> */
		ext_open(w, EXT_KEY_SHARE, &m);
		v = wr_open_vec(w, 2);
		for (size_t i = 0; i < o->nkey_shares; i++) {
			uint8_t key[160];
			size_t klen = sizeof key;
			if (!share_key(o->key_shares[i], key, &klen))
				continue; /* no key for it: the server can ask (HRR) */
			wr_u16(w, o->key_shares[i]);
			size_t k = wr_open_vec(w, 2);
			wr_bytes(w, key, klen);
			wr_close_vec(w, k, 2);
		}
		wr_close_vec(w, v, 2);
		wr_close_vec(w, m, 2);
	}
	if (o->flags & HF_RENEG_INFO) {
		ext_open(w, EXT_RENEGOTIATION_INFO, &m);
		wr_u8(w, 0); /* renegotiated_connection<0..255>: empty */
		wr_close_vec(w, m, 2);
	}
	if (o->flags & HF_GREASE) {
		ext_open(w, grease(g + 3), &m);
		wr_u8(w, 0);
		wr_close_vec(w, m, 2);
	}
	/* RFC 7685 padding up to pad_to bytes of handshake message: hellos
	 * of TLS 1.3 clients are long, and some servers choke on them. */
	if (o->pad_to && w->b->len + 4 <= o->pad_to) {
		size_t n = o->pad_to - (w->b->len + 4);
		ext_open(w, EXT_PADDING, &m);
		for (size_t i = 0; i < n; i++)
			wr_u8(w, 0);
		wr_close_vec(w, m, 2);
	}
	wr_close_vec(w, all, 2);
}

int hello_build(struct buf *out, const struct hello_opts *o)
{
	struct buf body;
	struct wr w;
	uint8_t random[32];
	uint8_t sid[32];
	unsigned g = 0;

	/* RFC 5246 7.4.1.2: SessionID session_id<0..32> */
	if ((o->session_id && o->session_id_len > 32) || (o->ticket && o->ticket_len > 0xffff))
		return -1;
	if (RAND_bytes(random, sizeof random) != 1 || RAND_bytes(sid, sizeof sid) != 1 ||
	    RAND_bytes((uint8_t *)&g, sizeof g) != 1)
		return -1;
	buf_init(&body, 1 << 17);
	wr_init(&w, &body);

	wr_u8(&w, 1); /* client_hello */
	size_t hs = wr_open_vec(&w, 3);
	/* TLS 1.3 goes in supported_versions; legacy_version stays 1.2. */
	wr_u16(&w, o->version >= V_TLS13 ? V_TLS12 : o->version);
	wr_bytes(&w, random, sizeof random);
	/* A 32-byte legacy_session_id makes middleboxes treat a TLS 1.3 hello
	 * like a resumption (RFC 8446 D.4); older versions send none. A
	 * caller's ID (a resumption, Ticketbleed's short one) replaces both. */
	size_t s = wr_open_vec(&w, 1);
	if (o->session_id)
		wr_bytes(&w, o->session_id, o->session_id_len);
	else if (o->version >= V_TLS13)
		wr_bytes(&w, sid, sizeof sid);
	wr_close_vec(&w, s, 1);
	size_t cs = wr_open_vec(&w, 2);
	if (o->flags & HF_GREASE)
		wr_u16(&w, grease(g));
	for (size_t i = 0; i < o->nciphers; i++)
		wr_u16(&w, o->ciphers[i]);
	if (o->flags & HF_RENEG_SCSV)
		wr_u16(&w, CS_EMPTY_RENEGOTIATION_INFO_SCSV);
	if (o->flags & HF_FALLBACK_SCSV)
		wr_u16(&w, CS_FALLBACK_SCSV);
	wr_close_vec(&w, cs, 2);
	size_t cm = wr_open_vec(&w, 1);
	if (o->compression && o->ncompression)
		wr_bytes(&w, o->compression, o->ncompression);
	else
		wr_u8(&w, 0);
	wr_close_vec(&w, cm, 1);
	if (!(o->flags & HF_NO_EXTENSIONS) && o->version > V_SSL3)
		write_extensions(&w, o, g);
	wr_close_vec(&w, hs, 3);

	int rc = -1;
	if (!wr_failed(&w)) {
		/* Records carry at most 2^14 bytes (RFC 5246 6.2.1). */
		uint16_t rv = o->record_version ? o->record_version
						: (o->version > V_TLS10 ? V_TLS10 : o->version);
		struct wr r;
		wr_init(&r, out);
		for (size_t off = 0; off < body.len;) {
			size_t n = body.len - off > 16384 ? 16384 : body.len - off;
			wr_u8(&r, 22);
			wr_u16(&r, rv);
			wr_u16(&r, (uint16_t)n);
			wr_bytes(&r, body.data + off, n);
			off += n;
		}
		rc = wr_failed(&r) ? -1 : 0;
	}
	buf_free(&body);
	return rc;
}

int hello_build_sslv2(struct buf *out, const uint32_t *specs, size_t nspecs)
{
	uint8_t challenge[16];
	struct wr w;
	if (RAND_bytes(challenge, sizeof challenge) != 1 || nspecs > 10000)
		return -1;
	size_t body = 9 + nspecs * 3 + sizeof challenge;
	if (body > 0x7fff)
		return -1;
	wr_init(&w, out);
	/* 2-byte header: high bit set, 15-bit length */
	wr_u16(&w, (uint16_t)(0x8000 | body));
	wr_u8(&w, 1); /* SSL2_MT_CLIENT_HELLO */
	wr_u16(&w, V_SSL2);
	wr_u16(&w, (uint16_t)(nspecs * 3));
	wr_u16(&w, 0); /* session id length */
	wr_u16(&w, sizeof challenge);
	for (size_t i = 0; i < nspecs; i++)
		wr_u24(&w, specs[i]);
	wr_bytes(&w, challenge, sizeof challenge);
	return wr_failed(&w) ? -1 : 0;
}
