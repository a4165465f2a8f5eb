"""Atomic PNG output for the analysis tools (matplotlib's Agg backend)."""

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from ..utils.atomic import atomic_path  # noqa: E402


def save_figure(fig, out: str, dpi: int = 120) -> None:
    """``fig.savefig`` to a temporary PNG next to ``out``, rename it, close ``fig``.

    Args:
        fig (matplotlib.figure.Figure): the figure (closed afterwards, also on
            error).
        out (str): the PNG path.
        dpi (int): resolution. Defaults to 120.
    """
    try:
        with atomic_path(out, suffix='.png') as tmp:
            fig.savefig(tmp, format='png', dpi=dpi, bbox_inches='tight')
    finally:
        plt.close(fig)
