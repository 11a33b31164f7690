// SigLIPCore: filled in by its issue.
