"""Install ``natmae_mm``: NAT-MAE self-supervised skeleton pretraining for MMAction2."""
import os.path as osp

from setuptools import find_packages, setup


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'natmae_mm', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def read_requirements(name: str) -> list:
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f
                if line.split('#')[0].strip() and not line.startswith('-')]


setup(
    name='natmae_mm',
    version=read_version(),
    description='NAT-MAE: masked joint reconstruction with Normalization '
                'Among Timestamps plus contrastive learning, for MMAction2',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(include=['natmae_mm', 'natmae_mm.*']),
    python_requires='>=3.8',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'analysis': ['matplotlib>=3.5', 'scikit-learn>=1.0'],
    },
    license='Apache-2.0',
    zip_safe=False,
)
