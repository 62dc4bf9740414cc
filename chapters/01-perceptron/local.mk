## chapters/01-perceptron: rules (filled in by its part of the kit)
