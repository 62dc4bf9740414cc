## chapters/05-convolution: rules (filled in by its chapter)
