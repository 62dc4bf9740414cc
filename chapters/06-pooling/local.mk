## chapters/06-pooling: rules (filled in by its chapter)
