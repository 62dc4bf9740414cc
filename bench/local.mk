## bench/: speed comparisons, never part of make check (a timing proves
## nothing about correctness, and the machine may be busy).  `make bench`
## builds the programs in BENCHMARKS and runs each; see bench/README.md.
BENCHMARKS += bench/bench-gemm
EXTRA_PROGRAMS = $(BENCHMARKS)
bench_bench_gemm_SOURCES = bench/bench-gemm.c
EXTRA_DIST += bench/README.md
CLEANFILES += $(BENCHMARKS)

bench: $(BENCHMARKS)
	@for b in $(BENCHMARKS); do \
	  echo "== $$b"; ./$$b || exit 1; \
	done
.PHONY: bench
## bench-conv (conv2d and pooling against PyTorch): its sources and the
## `make bench-conv` target that prints the ratios are in
## chapters/05-convolution/local.mk; results in bench/README-conv.md.
BENCHMARKS += bench/bench-conv
EXTRA_DIST += bench/bench-conv.sh bench/bench_conv_torch.py bench/README-conv.md
## bench-train: one epoch of training, the kit's layers against PyTorch
## (bench/bench-train.sh alternates the two; bench/README.md has the figures).
BENCHMARKS += bench/bench-train
bench_bench_train_SOURCES = bench/bench-train.c
EXTRA_DIST += bench/bench-train.sh bench/bench_train_torch.py bench/reference_blas.py
bench-train: bench/bench-train
	$(SHELL) $(srcdir)/bench/bench-train.sh ./bench/bench-train \
	  $(srcdir)/bench/bench_train_torch.py '$(PYTHON3)'
.PHONY: bench-train
