/* test_mem.c - aborting allocators and the growable array helper. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/compiler.h"
#include "core/mem.h"

struct item {
	int a;
	char name[13]; /* odd size: elements are not a power of two */
};

static void test_xvec_push_grows_and_zeroes(void **state UNUSED)
{
	struct item *arr = NULL;
	size_t n = 0, cap = 0, i;
	struct item *it;

	it = xvec_push(&arr, &n, &cap, sizeof(*arr));
	assert_ptr_equal(it, &arr[0]);
	assert_int_equal(n, 1);
	assert_int_equal(cap, 4);
	assert_int_equal(it->a, 0);
	assert_int_equal(it->name[0], 0);
	it->a = 100;
	for (i = 1; i < 4; i++)
		((struct item *)xvec_push(&arr, &n, &cap, sizeof(*arr)))->a = (int)(100 + i);
	assert_int_equal(cap, 4);
	it = xvec_push(&arr, &n, &cap, sizeof(*arr));
	assert_int_equal(n, 5);
	assert_int_equal(cap, 8);
	assert_ptr_equal(it, &arr[4]);
	assert_int_equal(it->a, 0);
	for (i = 5; i < 17; i++)
		((struct item *)xvec_push(&arr, &n, &cap, sizeof(*arr)))->a = (int)(100 + i);
	assert_int_equal(n, 17);
	assert_int_equal(cap, 32);
	for (i = 0; i < 17; i++)
		assert_int_equal(arr[i].a, i == 4 ? 0 : (int)(100 + i));
	free(arr);
}

static void test_xvec_push_existing_cap(void **state UNUSED)
{
	int *arr = xcalloc(3, sizeof(int));
	size_t n = 3, cap = 3;
	int *p;

	arr[0] = 7;
	p = xvec_push(&arr, &n, &cap, sizeof(*arr));
	assert_int_equal(cap, 6);
	assert_int_equal(n, 4);
	assert_int_equal(*p, 0);
	assert_int_equal(arr[0], 7);
	free(arr);
}

static void test_xstrndup(void **state UNUSED)
{
	char *s = xstrndup("hello", 3);

	assert_string_equal(s, "hel");
	free(s);
	/* n past the end stops at the NUL. */
	s = xstrndup("hi", 100);
	assert_string_equal(s, "hi");
	free(s);
	s = xstrdup("");
	assert_string_equal(s, "");
	free(s);
}

static void test_zero_sizes(void **state UNUSED)
{
	void *p = xmalloc(0);
	void *q = xcalloc(0, 8);

	assert_non_null(p);
	assert_non_null(q);
	p = xrealloc(p, 0);
	assert_non_null(p);
	free(p);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_xvec_push_grows_and_zeroes),
	    cmocka_unit_test(test_xvec_push_existing_cap),
	    cmocka_unit_test(test_xstrndup),
	    cmocka_unit_test(test_zero_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
