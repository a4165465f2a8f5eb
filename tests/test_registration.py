"""`import natmae_mm` registers every component into MMAction2's registries,
under names MMAction2 itself does not use."""
import json
import subprocess
import sys

EXPECTED = {
    'MODELS': ['SkeletonTransformer', 'MaskedSkeletonTransformer', 'SkeletonMAEDecoder',
               'MomentumKeyQueue', 'MomentumContrastNeck', 'SkeletonReconstructionHead',
               'SkeletonContrastHead', 'LinearProbeHead',
               'MAMPFinetuneHead', 'MaskedMSELoss', 'InfoNCELoss', 'NATTarget',
               'SegmentNormTarget', 'MotionTarget', 'NATMAE'],
    'TRANSFORMS': ['ValidCropResize', 'RandomRot3D'],
    'DATASETS': ['SkeletonDataset'],
    'HOOKS': ['PlainRuntimeInfoHook', 'KNNEvalHook', 'DivergenceGuardHook', 'ResumeGuardHook'],
    'OPTIM_WRAPPER_CONSTRUCTORS': ['LayerDecayOptimWrapperConstructor'],
}

PROBE = r'''
import json
import mmaction.datasets, mmaction.engine, mmaction.evaluation, mmaction.models  # noqa
from mmaction import registry as R
names = {n: sorted(getattr(R, n).module_dict) for n in %(regs)r}
before = {n: list(v) for n, v in names.items()}
from mmengine.config import Config
from mmengine.utils import import_modules_from_strings
cfg = Config(dict(custom_imports=dict(imports=['natmae_mm'], allow_failed_imports=False)))
import_modules_from_strings(**cfg.custom_imports)
after = {n: sorted(getattr(R, n).module_dict) for n in %(regs)r}
from mmengine.registry import MODEL_WRAPPERS
print(json.dumps(dict(before=before, after=after,
                      wrapper='CPUDistributedDataParallel' in MODEL_WRAPPERS.module_dict)))
'''


def test_every_component_registered_without_collision():
    code = PROBE % dict(regs=list(EXPECTED))
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for registry, names in EXPECTED.items():
        for name in names:
            assert name not in out['before'][registry], f'{name} collides in {registry}'
            assert name in out['after'][registry], f'{name} missing from {registry}'
    assert out['wrapper']
