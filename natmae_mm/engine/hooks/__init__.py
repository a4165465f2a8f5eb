from .divergence_guard_hook import DivergenceError, DivergenceGuardHook  # noqa: F401
from .knn_hook import KNNEvalHook  # noqa: F401
from .plain_runtime_info_hook import PlainRuntimeInfoHook  # noqa: F401
from .resume_guard_hook import ResumeGuardHook  # noqa: F401
