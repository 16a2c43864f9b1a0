/* test_dialog.c - each protocol's ports and greeting signature
 * (struct dlg_proto): which protocol a port or a clear-text greeting means. */
#include "testutil.h"

#include "proto/dialog.h"

static void by_port(uint16_t port, const char *name, int implicit)
{
	int imp = -1;
	const struct dlg_proto *p = dlg_proto_by_port(port, &imp);
	if (!name) {
		assert_null(p);
		return;
	}
	assert_non_null(p);
	assert_string_equal(p->name, name);
	assert_int_equal(imp, implicit);
}

static void test_ports(void **state UNUSED)
{
	by_port(25, "smtp", 0);
	by_port(587, "smtp", 0);
	by_port(2525, "smtp", 0);
	by_port(465, "smtp", 1);
	by_port(24, "lmtp", 0);
	by_port(143, "imap", 0);
	by_port(993, "imap", 1);
	by_port(110, "pop3", 0);
	by_port(995, "pop3", 1);
	by_port(4190, "sieve", 0);
	by_port(21, "ftp", 0);
	by_port(990, "ftp", 1);
	by_port(119, "nntp", 0);
	by_port(563, "nntp", 1);
	by_port(5222, "xmpp", 0);
	by_port(5223, "xmpp", 1);
	by_port(5269, "xmpp-server", 0);
	by_port(389, "ldap", 0);
	by_port(636, "ldap", 1);
	by_port(5432, "postgres", 0);
	by_port(3306, "mysql", 0);
	by_port(0, NULL, 0);
	by_port(12345, NULL, 0);
}

static void greets(const char *g, uint16_t port, const char *name)
{
	const struct dlg_proto *p = dlg_proto_by_greeting(g, port);
	if (!name) {
		assert_null(p);
		return;
	}
	assert_non_null(p);
	assert_string_equal(p->name, name);
}

static void test_greetings(void **state UNUSED)
{
	/* The port's protocol when the greeting fits it. */
	greets("220 mx ESMTP Postfix", 25, "smtp");
	greets("220 ftp.example.com FTP server ready", 25, "smtp");
	greets("220 mx ESMTP", 21, "ftp");
	greets("220 mx LMTP ready", 24, "lmtp");
	/* Else the text's signature. */
	greets("220 (vsFTPd 3.0.3) FTP", 465, "ftp");
	greets("220 mx LMTP Dovecot ready", 465, "lmtp");
	greets("220 mx ESMTP Exim", 465, "smtp");
	greets("220 mx ESMTP", 12345, "smtp");
	greets("* OK [CAPABILITY IMAP4rev1] Dovecot ready.", 993, "imap");
	greets("* PREAUTH ready", 110, "imap");
	greets("+OK Dovecot ready.", 995, "pop3");
	greets("\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"", 12345, "sieve");
	greets("200 news.example.com InterNetNews ready", 563, "nntp");
	greets("201 no posting", 12345, "nntp");
	/* No signature: the port's STARTTLS protocol, never an implicit one. */
	greets("hello", 5222, "xmpp");
	greets("hello", 143, "imap");
	greets("hello", 993, NULL);
	greets("hello", 12345, NULL);
	greets("", 12345, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ports),
	    cmocka_unit_test(test_greetings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
