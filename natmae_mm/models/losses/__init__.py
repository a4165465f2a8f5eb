
from .info_nce_loss import InfoNCELoss  # noqa: F401
from .masked_mse_loss import MaskedMSELoss  # noqa: F401
