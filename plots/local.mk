## Figures: `make figures` runs every chapter program into the build tree
## (plots/NN-topic/*.dat and *.gp) and renders every script.
##   FORMAT=png|pdf|svg|tex|texinc   the output format (plots/nnlab.gp says
##                                   what each writes; texinc is for \input
##                                   into beamer slides)
##   PRESET=screen|slide             slide: text that reads at 10 pt on a slide
##   CHAPTERS='ch03-optimizers ...'  only these chapters (default: all)
## e.g.  make figures CHAPTERS=ch03-optimizers FORMAT=texinc PRESET=slide
FORMAT = png
PRESET = screen
CHAPTERS = $(FIGURE_CHAPTERS)
EXTRA_DIST += plots/nnlab.gp

figures: $(FIGURE_CHAPTERS)
	@set -e; \
	for p in $(CHAPTERS); do \
	  case " $(FIGURE_CHAPTERS) " in \
	    *" $$p "*) ;; \
	    *) echo "figures: no chapter '$$p'; the chapters are: $(FIGURE_CHAPTERS)" >&2; exit 2 ;; \
	  esac; \
	done; \
	for p in $(CHAPTERS); do \
	  echo "  RUN      $$p --out ."; \
	  ./$$p --out . --quiet > /dev/null; \
	done; \
	if test -z "$(GNUPLOT)"; then \
	  echo "figures: data and scripts are in plots/, but gnuplot is not installed:"; \
	  echo "  apt-get install gnuplot-nox, then ./configure and make figures again"; \
	  exit 0; \
	fi; \
	n=0; \
	for p in $(CHAPTERS); do \
	  for s in plots/$${p#ch}/*.gp; do \
	    test -f "$$s" || continue; \
	    echo "  GNUPLOT  $$s ($(FORMAT), $(PRESET))"; \
	    $(GNUPLOT) -e "nn_format='$(FORMAT)'; nn_preset='$(PRESET)'" "$$s"; \
	    n=$$((n + 1)); \
	  done; \
	done; \
	echo "figures: rendered $$n figures ($(FORMAT), $(PRESET)) under plots/"

clean-local: clean-figures
clean-figures:
	-rm -rf plots/[0-9][0-9]-*
	-test "$(abs_builddir)" = "$(abs_srcdir)" || rm -f plots/nnlab.gp

.PHONY: figures clean-figures
