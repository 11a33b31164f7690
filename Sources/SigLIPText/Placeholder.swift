// SigLIPText: filled in by its issue.
