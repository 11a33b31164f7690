// SigLIPLayers: filled in by its issue.
