## data: rules (filled in by its part of the kit)
