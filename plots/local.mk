## Figures: `make figures [FORMAT=png|pdf|svg|tex]` runs every chapter program
## into the build tree (plots/NN-topic/*.dat and *.gp) and renders every script.
FORMAT = png
EXTRA_DIST += plots/nnlab.gp

figures: $(FIGURE_CHAPTERS)
	@set -e; \
	for p in $(FIGURE_CHAPTERS); do \
	  echo "  RUN      $$p --out ."; \
	  ./$$p --out . --quiet; \
	done; \
	if test -z "$(GNUPLOT)"; then \
	  echo "figures: data and scripts are in plots/, but gnuplot is not installed:"; \
	  echo "  apt-get install gnuplot-nox, then ./configure and make figures again"; \
	  exit 0; \
	fi; \
	n=0; \
	for s in plots/*/*.gp; do \
	  test -f "$$s" || continue; \
	  echo "  GNUPLOT  $$s ($(FORMAT))"; \
	  $(GNUPLOT) -e "nn_format='$(FORMAT)'" "$$s"; \
	  n=$$((n + 1)); \
	done; \
	echo "figures: rendered $$n figures ($(FORMAT)) under plots/"

clean-local: clean-figures
clean-figures:
	-rm -rf plots/[0-9][0-9]-*
	-test "$(abs_builddir)" = "$(abs_srcdir)" || rm -f plots/nnlab.gp

.PHONY: figures clean-figures
