## bench: rules (filled in by its part of the kit)
