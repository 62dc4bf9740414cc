## data/: the small real data sets shipped with the kit (sources and licences
## in data/README.md).  They are read from the source tree (NNLAB_SRCDIR/data,
## or $NNLAB_DATA_DIR), never written, so a read-only tree (distcheck) is fine.
EXTRA_DIST += \
	data/README.md \
	data/iris.csv \
	data/breast_cancer.csv \
	data/digits.csv.gz \
	data/diabetes_data_raw.csv.gz \
	data/diabetes_target.csv.gz
