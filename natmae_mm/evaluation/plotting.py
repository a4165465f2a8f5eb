"""Figures of the analysis tools: t-SNE and confusion-matrix plots, atomic PNG output (Agg)."""
from typing import List, Optional, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

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


def tsne_embed(feats: np.ndarray, seed: int = 0, perplexity: float = 30.) -> np.ndarray:
    """2-D t-SNE of features (scikit-learn, PCA init).

    Args:
        feats (np.ndarray): (N, C) features, N >= 5.
        seed (int): t-SNE random state. Defaults to 0.
        perplexity (float): clipped below (N - 1) / 3. Defaults to 30.

    Returns:
        np.ndarray: (N, 2) embedding.
    """
    from sklearn.manifold import TSNE
    if len(feats) < 5:
        raise ValueError(f't-SNE needs at least 5 samples, got {len(feats)}')
    perplexity = min(perplexity, (len(feats) - 1) / 3)
    return TSNE(n_components=2, perplexity=perplexity, init='pca', random_state=seed,
                learning_rate='auto').fit_transform(feats.astype(np.float64))


def plot_tsne(emb: np.ndarray, labels: np.ndarray, out: str,
              names: Optional[Sequence[str]] = None, title: str = '') -> None:
    """Scatter (N, 2) points coloured by their (N,) labels, with a legend; PNG to ``out``."""
    fig, ax = plt.subplots(figsize=(7, 6))
    cmap = plt.get_cmap('tab10' if len(np.unique(labels)) <= 10 else 'tab20')
    for i, c in enumerate(np.unique(labels)):
        sel = labels == c
        name = names[c] if names is not None and c < len(names) else f'class {c}'
        ax.scatter(emb[sel, 0], emb[sel, 1], s=10, color=cmap(i % cmap.N), label=name)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    ax.legend(fontsize=7, markerscale=1.5, loc='center left', bbox_to_anchor=(1, 0.5))
    save_figure(fig, out)


def plot_confusion(cm: np.ndarray, out: str, names: Optional[Sequence[str]] = None,
                   normalize: bool = False, title: str = '') -> None:
    """Draw a (K, K) confusion matrix (rows true, columns predicted); PNG to ``out``.

    Args:
        cm (np.ndarray): counts, e.g. ``mmaction.evaluation.functional.confusion_matrix``.
        out (str): PNG path (written atomically).
        names (Sequence[str], optional): class names of the K rows. Defaults to None
            (class indices).
        normalize (bool): show row fractions instead of counts. Defaults to False.
        title (str): figure title. Defaults to ''.
    """
    data = cm / np.maximum(cm.sum(1, keepdims=True), 1) if normalize else cm
    K = len(cm)
    size = max(5, min(0.35 * K + 2, 30))
    fig, ax = plt.subplots(figsize=(size, size))
    im = ax.imshow(data, cmap='Blues', vmin=0)
    fig.colorbar(im, ax=ax, fraction=0.046)
    ticks = list(range(K))
    labels: List[str] = list(names[:K]) if names is not None else [str(i) for i in ticks]
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    fs = 7 if K <= 30 else 4
    ax.set_xticklabels(labels, rotation=90, fontsize=fs)
    ax.set_yticklabels(labels, fontsize=fs)
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    if K <= 20:
        for t in range(K):
            for p in range(K):
                if cm[t, p]:
                    txt = f'{data[t, p]:.2f}' if normalize else str(cm[t, p])
                    ax.text(p, t, txt, ha='center', va='center', fontsize=6,
                            color='white' if data[t, p] > data.max() / 2 else 'black')
    ax.set_title(title)
    save_figure(fig, out)
