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
GRADING_TESTS = tests/grading/sync.sh tests/grading/machinery.gsh tests/grading/hostile.gsh \
	tests/grading/gradescope.gsh
TESTS += $(EX_TESTS) $(GRADING_TESTS)

## How exercise code is compiled: the same compiler and flags as the kit.
EX_ENV = top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' CC='$(CC)' \
	CPPFLAGS='$(DEFS) -I$(top_builddir) $(AM_CPPFLAGS) $(CPPFLAGS)' \
	CFLAGS='$(AM_CFLAGS) $(CFLAGS)' LDFLAGS='$(AM_LDFLAGS) $(LDFLAGS)' \
	LIBS='$(LDADD) $(LIBS)' NNLAB_LIB='lib/libnnlab.a' \
	EXERCISE_CHAPTERS='$(EXERCISE_DIRS)' SHELL='$(SHELL)'
$(EX_TESTS): lib/libnnlab.a ex-always kit-location
	@$(EX_ENV) $(SHELL) $(top_srcdir)/tools/ex-build $@
ex-always:

## A kit copied (cp -a) or moved keeps Makefiles and programs that point at
## the place it was configured in, and would silently grade that tree:
## refuse, and say what to run.
kit-location:
	@here=`pwd -P`; built=`cd '$(abs_top_builddir)' 2>/dev/null && pwd -P`; \
	if test "$$here" != "$$built"; then \
	  echo "nnlab: this kit was configured in $(abs_top_builddir), but this is $$here:" >&2; \
	  echo "nnlab: it was copied or moved, and its Makefiles still grade the old place.  Run here:" >&2; \
	  echo "    ./configure && make clean && make     (or ./bootstrap && make clean && make)" >&2; \
	  exit 1; \
	fi

## make totals: every chapter's exercises, cases and points, from the rubrics.
totals:
	@chapters=; for c in $(EXERCISE_DIRS); do chapters="$$chapters $${c##*/}"; done; \
	  $(SHELL) $(top_srcdir)/tools/rubric-totals '$(top_srcdir)' $$chapters

## make new-exercise CH=NN-topic ID=N.k FUNC=ex_name TITLE='...': scaffold one exercise.
new-exercise:
	$(SHELL) $(top_srcdir)/tools/new-exercise '$(top_srcdir)' '$(CH)' '$(ID)' '$(FUNC)' '$(TITLE)'

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
check-chapter: lib/libnnlab.a kit-location
	@tests=; for c in $(EXERCISE_DIRS); do case $$c in exercises/$(CH)-*) \
	  tests="$$tests $$c.student.ex $$c.solution.ex $$c.teeth.ex";; \
	esac; done; \
	if test -z "$$tests"; then echo "chapter $(CH) has no exercises yet"; exit 0; fi; \
	$(MAKE) $(AM_MAKEFLAGS) check-TESTS TESTS="$$tests"; status=$$?; \
	for t in $$tests; do \
	  case $$t in *.student.ex) ;; *) continue;; esac; \
	  $(AWK) '/^not ok/ && !/# TODO/ { bad = 1 } bad && /^(not ok|#)/ && !/# TODO/' "$${t%.ex}.log"; \
	done; \
	for t in $$tests; do \
	  case $$t in *.student.ex) kind=student;; *) kind=kit;; esac; \
	  sed -n "s/^:test-result: /$$kind /p" "$${t%.ex}.trs" 2>/dev/null; \
	done | $(AWK) '{ n[$$1, $$2]++; t[$$1]++ } END { \
	  printf "\n== your exercises (chapter $(CH)): %d of %d cases pass, %d not attempted, %d failing\n", \
	    n["student", "PASS"], t["student"], n["student", "XFAIL"], n["student", "FAIL"] + n["student", "ERROR"]; \
	  if (n["kit", "SKIP"] == t["kit"]) print "== the kit'"'"'s self-tests of chapter $(CH): skipped (no solutions/ in a student copy)"; \
	  else printf "== the kit'"'"'s self-tests of chapter $(CH) (solutions pass, stubs fail): %d of %d pass%s\n", \
	    n["kit", "PASS"], t["kit"], n["kit", "PASS"] + n["kit", "SKIP"] == t["kit"] ? "" : " (a bug in the kit, not your code)" }'; \
	exit $$status

## make grade, make progress, make hint EX=N.k [LEVEL=2], make grade-class SUBMISSIONS=dir
GRADE_DIR = grade
GRADES_OUT = grades
LEVEL = 1
## The exercise files graded: the kit's own, or another copy (make grade EXDIR=dir).
EXDIR = $(top_srcdir)/exercises
grade: lib/libnnlab.a kit-location
	@$(EX_ENV) $(SHELL) $(top_srcdir)/tools/grade --out $(GRADE_DIR) \
	  --exercises $(EXDIR) --student "$${STUDENT:-$${USER:-student}}"
progress: lib/libnnlab.a kit-location
	@ch='$(CH)'; $(EX_ENV) $(SHELL) $(top_srcdir)/tools/grade --progress $${ch:+--chapter "$$ch"} \
	  --out $(GRADE_DIR) --exercises $(EXDIR)
hint: lib/libnnlab.a kit-location
	@$(EX_ENV) $(SHELL) $(top_srcdir)/tools/grade --hint '$(EX)' --level '$(LEVEL)' --out $(GRADE_DIR) \
	  --exercises $(EXDIR)
grade-class: lib/libnnlab.a kit-location
	@test -f $(top_srcdir)/tools/grade-class || { echo "make grade-class is an instructor's tool: this student copy does not have it" >&2; exit 2; }
	@test -n '$(SUBMISSIONS)' || { echo "usage: make grade-class SUBMISSIONS=dir (dir/<student>/exercises/NN-topic/*.c)" >&2; exit 2; }
	@roster='$(ROSTER)'; $(EX_ENV) $(SHELL) $(top_srcdir)/tools/grade-class --out '$(GRADES_OUT)' \
	  $${roster:+--roster "$$roster"} '$(SUBMISSIONS)'

## make gradescope: the autograder zip Gradescope's documentation describes:
## setup.sh and run_autograder at the top, the kit (with solutions/) in nnlab/.
gradescope: distdir
	rm -rf gradescope.tmp && mkdir gradescope.tmp
	cp $(srcdir)/tools/gradescope/setup.sh $(srcdir)/tools/gradescope/run_autograder gradescope.tmp/
	chmod +x gradescope.tmp/setup.sh gradescope.tmp/run_autograder
	mv $(distdir) gradescope.tmp/nnlab
	rm -f $(PACKAGE)-autograder.zip
	cd gradescope.tmp && if command -v zip > /dev/null 2>&1; then \
	  zip -qr ../$(PACKAGE)-autograder.zip setup.sh run_autograder nnlab; \
	else python3 -m zipfile -c ../$(PACKAGE)-autograder.zip setup.sh run_autograder nnlab; fi
	rm -rf gradescope.tmp
	@echo "wrote $(PACKAGE)-autograder.zip: upload it as a Gradescope autograder (Ubuntu image)"

## make dist-student: the kit without solutions/, as nnlab-VERSION-student.tar.gz.
dist-student: distdir
	rm -rf $(distdir)/solutions $(distdir)/tools/gradescope $(distdir)/doc/EXERCISES.md
	rm -f $(distdir)/tools/grade-class
	printf '%s\n' "The instructor's tools are not in the student copy: solutions/, tools/grade-class," \
	  "tools/gradescope/ and doc/EXERCISES.md.  make grade, make progress, make hint and" \
	  "make check-chNN are the student's; the machinery tests skip without solutions/." \
	  > $(distdir)/INSTRUCTOR-TOOLS-REMOVED
	tardir=$(distdir) && $(am__tar) | eval GZIP= gzip $(GZIP_ENV) -c > $(distdir)-student.tar.gz
	$(am__post_remove_distdir)
	@echo "wrote $(distdir)-student.tar.gz: unpack, then ./bootstrap && make && make check"

## The solutions travel in `make dist` when present (never in dist-student).
dist-hook: dist-solutions
dist-solutions:
	if test -d $(srcdir)/solutions; then \
	  cp -pR $(srcdir)/solutions $(distdir)/ && chmod -R u+w $(distdir)/solutions; fi

EXTRA_DIST += $(EXERCISE_DIRS) tests/exercises $(GRADING_TESTS) \
	tools/gradescope/setup.sh tools/gradescope/run_autograder \
	tools/new-exercise tools/rubric-totals lib/exercise-runner.c tools/make-exercises tools/ex-build tools/ex-run tools/grade tools/grade-class \
	doc/EXERCISES.md doc/GRADING.md
CLEANFILES += $(EX_TESTS) exercises/*.buildlog exercises/*.runner exercises/*.forbidden
clean-local: clean-grading
clean-grading:
	rm -rf exercises/stubs exercises/*.d $(GRADE_DIR) grades $(PACKAGE)-$(VERSION)-student.tar.gz
.PHONY: totals new-exercise gradescope kit-location ex-always exercises check-chapter check-ch01 check-ch02 check-ch03 check-ch04 \
	check-ch05 check-ch06 grade progress hint grade-class dist-student dist-solutions \
	clean-grading
