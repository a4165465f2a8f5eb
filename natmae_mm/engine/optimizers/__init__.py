
from .layer_decay_optim_wrapper_constructor import LayerDecayOptimWrapperConstructor  # noqa: F401
