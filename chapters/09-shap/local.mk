## Chapter 9: SHAP values, and interpreting a model through its predictions.
bin_PROGRAMS += ch09-shap
ch09_shap_SOURCES = chapters/09-shap/ch09-shap.c
FIGURE_CHAPTERS += ch09-shap
