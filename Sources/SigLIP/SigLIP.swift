// `import SigLIP` brings the encoders and their inputs: compute core, layers, models, images, text, data sets; the input error they all throw.
@_exported import SigLIPBase
@_exported import SigLIPCore
@_exported import SigLIPLayers
@_exported import SigLIPModels
@_exported import SigLIPImage
@_exported import SigLIPText
@_exported import SigLIPData
