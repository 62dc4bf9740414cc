## exercises and grading: rules (filled in by the grading machinery)
