
from .plain_runtime_info_hook import PlainRuntimeInfoHook  # noqa: F401
