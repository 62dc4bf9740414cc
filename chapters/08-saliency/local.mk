## chapters/08-saliency: chapter 8, saliency.
