// SigLIPModels: filled in by its issue.
