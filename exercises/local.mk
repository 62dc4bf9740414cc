## Exercises and grading (doc/EXERCISES.md for chapter authors, doc/GRADING.md
## for students and instructors).  Included last: it sees every chapter's
## EXERCISE_DIRS line.  A chapter with exercises adds one line to its
## local.mk:  EXERCISE_DIRS += exercises/NN-topic  (chapter 1's is just below).
EXERCISE_DIRS += exercises/01-perceptron

## Three test programs per chapter, all built from tests/exercises/NN-topic.c
## by tools/ex-build into the build tree's exercises/: against the student's
## exercises/ (NN-topic.student.ex), against solutions/ (NN-topic.solution.ex:
## every case must pass) and against stubs generated afresh from solutions/
## (NN-topic.teeth.ex: every case must fail).  Only suffix substitutions here:
## automake mangles %-patterns in TESTS.
EX_STUDENT_TESTS = $(EXERCISE_DIRS:=.student.ex)
EX_INSTRUCTOR_TESTS = $(EXERCISE_DIRS:=.solution.ex) $(EXERCISE_DIRS:=.teeth.ex)
EX_TESTS = $(EX_STUDENT_TESTS) $(EX_INSTRUCTOR_TESTS)
TEST_EXTENSIONS += .ex
EX_LOG_DRIVER = $(LOG_DRIVER)
EX_LOG_COMPILER = $(SHELL) $(top_srcdir)/tools/ex-run
## The machinery's own test needs the compiler too.
TEST_EXTENSIONS += .gsh
GSH_LOG_DRIVER = $(LOG_DRIVER)
GSH_LOG_COMPILER = env $(EX_ENV) $(SHELL)
GRADING_TESTS = tests/grading/sync.sh tests/grading/machinery.gsh
TESTS += $(EX_TESTS) $(GRADING_TESTS)

## How exercise code is compiled: the same compiler and flags as the kit.
EX_ENV = top_srcdir='$(abs_top_srcdir)' CC='$(CC)' \
	CPPFLAGS='$(DEFS) -I$(top_builddir) $(AM_CPPFLAGS) $(CPPFLAGS)' \
	CFLAGS='$(AM_CFLAGS) $(CFLAGS)' LDFLAGS='$(AM_LDFLAGS) $(LDFLAGS)' \
	LIBS='$(LDADD) $(LIBS)' NNLAB_LIB='lib/libnnlab.a' \
	EXERCISE_CHAPTERS='$(EXERCISE_DIRS)' SHELL='$(SHELL)'
$(EX_TESTS): lib/libnnlab.a ex-always
	@$(EX_ENV) $(SHELL) $(top_srcdir)/tools/ex-build $@
ex-always:

## make exercises: regenerate exercises/ (committed) from solutions/.
exercises:
	$(SHELL) $(top_srcdir)/tools/make-exercises $(top_srcdir)/solutions $(top_srcdir)/exercises

## make check-ch01 ... check-ch06: one chapter's exercise tests.
check-ch01:
	@$(MAKE) $(AM_MAKEFLAGS) check-chapter CH=01
check-ch02:
	@$(MAKE) $(AM_MAKEFLAGS) check-chapter CH=02
check-ch03:
	@$(MAKE) $(AM_MAKEFLAGS) check-chapter CH=03
check-ch04:
	@$(MAKE) $(AM_MAKEFLAGS) check-chapter CH=04
check-ch05:
	@$(MAKE) $(AM_MAKEFLAGS) check-chapter CH=05
check-ch06:
	@$(MAKE) $(AM_MAKEFLAGS) check-chapter CH=06
check-ch08:
	@$(MAKE) $(AM_MAKEFLAGS) check-chapter CH=08
check-chapter: lib/libnnlab.a
	@tests=; for c in $(EXERCISE_DIRS); do case $$c in exercises/$(CH)-*) \
	  tests="$$tests $$c.student.ex $$c.solution.ex $$c.teeth.ex";; \
	esac; done; \
	if test -z "$$tests"; then echo "chapter $(CH) has no exercises yet"; exit 0; fi; \
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS="$$tests" && exit 0; \
	for t in $$tests; do \
	  $(AWK) '/^not ok/ && !/# TODO/ { bad = 1 } bad && /^(not ok|#)/ && !/# TODO/' "$${t%.ex}.log"; \
	done; exit 1

## make grade, make progress, make hint EX=N.k, make grade-class SUBMISSIONS=dir
GRADE_DIR = grade
## The exercise files graded: the kit's own, or another copy (make grade EXDIR=dir).
EXDIR = $(top_srcdir)/exercises
grade: lib/libnnlab.a
	@$(EX_ENV) $(SHELL) $(top_srcdir)/tools/grade --out $(GRADE_DIR) \
	  --exercises $(EXDIR) --student "$${STUDENT:-$${USER:-student}}"
progress: lib/libnnlab.a
	@$(EX_ENV) $(SHELL) $(top_srcdir)/tools/grade --progress --out $(GRADE_DIR) \
	  --exercises $(EXDIR)
hint: lib/libnnlab.a
	@$(EX_ENV) $(SHELL) $(top_srcdir)/tools/grade --hint '$(EX)' --out $(GRADE_DIR) \
	  --exercises $(EXDIR)
grade-class: lib/libnnlab.a
	@test -n '$(SUBMISSIONS)' || { echo "usage: make grade-class SUBMISSIONS=dir (dir/<student>/exercises/NN-topic/*.c)" >&2; exit 2; }
	@$(EX_ENV) $(SHELL) $(top_srcdir)/tools/grade-class --out grades '$(SUBMISSIONS)'

## make dist-student: the kit without solutions/, as nnlab-VERSION-student.tar.gz.
dist-student: distdir
	rm -rf $(distdir)/solutions
	tardir=$(distdir) && $(am__tar) | eval GZIP= gzip $(GZIP_ENV) -c > $(distdir)-student.tar.gz
	$(am__post_remove_distdir)
	@echo "wrote $(distdir)-student.tar.gz: unpack, then ./bootstrap && make && make check"

## The solutions travel in `make dist` when present (never in dist-student).
dist-hook: dist-solutions
dist-solutions:
	if test -d $(srcdir)/solutions; then \
	  cp -pR $(srcdir)/solutions $(distdir)/ && chmod -R u+w $(distdir)/solutions; fi

EXTRA_DIST += $(EXERCISE_DIRS) tests/exercises $(GRADING_TESTS) \
	tools/make-exercises tools/ex-build tools/ex-run tools/grade tools/grade-class \
	doc/EXERCISES.md doc/GRADING.md
CLEANFILES += $(EX_TESTS) exercises/*.buildlog
clean-local: clean-grading
clean-grading:
	rm -rf exercises/stubs $(GRADE_DIR) grades $(PACKAGE)-$(VERSION)-student.tar.gz
.PHONY: ex-always exercises check-chapter check-ch01 check-ch02 check-ch03 check-ch04 \
	check-ch05 check-ch06 check-ch08 grade progress hint grade-class dist-student dist-solutions \
	clean-grading
