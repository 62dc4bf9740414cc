## tests/: TAP tests of the library.  Chapter and exercise tests live in
## their own fragments and append to TESTS the same way.
LIB_TESTS = \
	tests/lib/test-rng
check_PROGRAMS += $(LIB_TESTS)
TESTS += $(LIB_TESTS)
