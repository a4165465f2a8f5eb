"""Reading a config file: the one loader of the tools and the analysis code."""
import os.path as osp
from typing import Any, Dict, Optional

from mmengine.config import Config


def load_config(path: str, cfg_options: Optional[Dict[str, Any]] = None) -> Config:
    """``Config.fromfile`` with a clear error for a missing file, then the overrides.

    Args:
        path (str): the config file.
        cfg_options (dict, optional): ``--cfg-options`` overrides, merged with
            ``Config.merge_from_dict``. Defaults to None.

    Returns:
        Config: the config.

    Raises:
        SystemExit: ``error: config file not found: PATH`` (the tools' message).
    """
    if not osp.isfile(path):
        raise SystemExit(f'error: config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg
