## chapters/06-pooling: chapter 6, pooling, and the tests of lib/pool.c.

## The library's pooling against the Duke deck's example, central differences
## and PyTorch (regenerate with
## /usr/bin/python3 tests/ch06/pool_reference.py > tests/ch06/pool_reference.txt).
CH06_LIB_TESTS = tests/lib/test-pool
check_PROGRAMS += tests/lib/test-pool
tests_lib_test_pool_SOURCES = tests/lib/test-pool.c tests/ch05/reference.h
EXTRA_DIST += tests/ch06/pool_reference.py tests/ch06/pool_reference.txt
TESTS += $(CH06_LIB_TESTS)
