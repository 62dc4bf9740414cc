## chapters/09-shap: chapter 9, SHAP values.
