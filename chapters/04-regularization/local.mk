## chapters/04-regularization: rules (filled in by its chapter)
