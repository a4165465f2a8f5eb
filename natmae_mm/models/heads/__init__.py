from .contrast_head import SkeletonContrastHead  # noqa: F401
from .finetune_head import MAMPFinetuneHead  # noqa: F401
from .linear_probe_head import LinearProbeHead  # noqa: F401
from .reconstruction_head import SkeletonReconstructionHead  # noqa: F401
