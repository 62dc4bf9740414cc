## chapters/02-backprop: rules (filled in by its part of the kit)
