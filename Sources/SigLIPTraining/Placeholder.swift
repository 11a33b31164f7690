// SigLIPTraining: filled in by its issue.
