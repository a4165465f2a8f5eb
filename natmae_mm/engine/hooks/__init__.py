
from .knn_hook import KNNEvalHook  # noqa: F401
from .plain_runtime_info_hook import PlainRuntimeInfoHook  # noqa: F401
