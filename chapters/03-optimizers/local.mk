## chapters/03-optimizers: rules (filled in by its chapter)
