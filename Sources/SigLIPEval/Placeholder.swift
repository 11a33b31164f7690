// SigLIPEval: the zero-shot evaluator (issue 6) lands here.
