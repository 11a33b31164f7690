// SigLIPImage: filled in by its issue.
