/* test_log.c - diagnostics: prefixes and the verbosity threshold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/compiler.h"
#include "core/log.h"

/* stderr is pointed at a temporary file while logging, and restored before
 * any assertion so cmocka's own messages stay visible. */
static FILE *cap_tmp;
static int cap_saved = -1;

static void capture_start(void)
{
	fflush(stderr);
	cap_tmp = tmpfile();
	assert_non_null(cap_tmp);
	cap_saved = dup(STDERR_FILENO);
	assert_true(cap_saved >= 0);
	assert_true(dup2(fileno(cap_tmp), STDERR_FILENO) >= 0);
}

/* Restore stderr and return what was logged. */
static const char *capture_stop(void)
{
	static char out[1024];
	size_t n;

	fflush(stderr);
	dup2(cap_saved, STDERR_FILENO);
	close(cap_saved);
	rewind(cap_tmp);
	n = fread(out, 1, sizeof(out) - 1, cap_tmp);
	out[n] = '\0';
	fclose(cap_tmp);
	return out;
}

static void test_default_levels(void **state UNUSED)
{
	log_verbosity = 0;
	capture_start();
	log_error("connect to %s failed", "mx1");
	log_warn("slow reply (%d ms)", 900);
	log_info("not shown");
	log_debug("not shown");
	assert_string_equal(capture_stop(), "mailtls: error: connect to mx1 failed\n"
	                                    "mailtls: warning: slow reply (900 ms)\n");
}

static void test_verbose(void **state UNUSED)
{
	capture_start();
	log_verbosity = 1;
	log_info("resolving %s", "example.org");
	log_debug("not shown");
	log_verbosity = 2;
	log_debug("state %s", "EHLO");
	log_verbosity = 0;
	assert_string_equal(capture_stop(), "mailtls: resolving example.org\n"
	                                    "mailtls: state EHLO\n");
}

static void test_quiet(void **state UNUSED)
{
	capture_start();
	log_verbosity = -1;
	log_warn("not shown");
	log_error("still shown");
	log_verbosity = 0;
	assert_string_equal(capture_stop(), "mailtls: error: still shown\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_levels),
	    cmocka_unit_test(test_verbose),
	    cmocka_unit_test(test_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
