"""Background work: the in-process job runner and the scheduled fixity audit."""
