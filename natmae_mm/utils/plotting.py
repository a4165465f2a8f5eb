"""Atomic PNG output for the analysis tools (matplotlib's Agg backend)."""
import os
import os.path as osp
import tempfile

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402


def save_figure(fig, out: str, dpi: int = 120) -> None:
    """``fig.savefig`` to a temporary PNG next to ``out``, rename it, close ``fig``."""
    folder = osp.dirname(osp.abspath(out))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.tmp_', suffix='.png', dir=folder)
    os.close(fd)
    try:
        fig.savefig(tmp, format='png', dpi=dpi, bbox_inches='tight')
        os.replace(tmp, out)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
        plt.close(fig)
