// siglip-eval: zero-shot classification, embeddings and retrieval for SigLIP checkpoints.
// A thin shell over the SigLIPEval library; see `siglip-eval --help`.
import SigLIPApp

SigLIPEvalCommand.mainWithOneLineErrors()
