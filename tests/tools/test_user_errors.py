"""Every tool answers bad input with one ``error:`` line and a non-zero exit; bugs keep tracebacks.

Most tools run in-process (their ``main`` under :func:`natmae_mm.utils.cli.run_tool`,
exactly what ``cli_main`` does), a few as a user would run them (subprocess): the
code-running annotation file through ``tools/train.py``, a code-running prediction
dump through ``confusion_matrix.py --pred`` and a code-running annotation through
``recognize.py --ann``. None of them may create the marker file.
"""
import os
import os.path as osp
import pickle
import runpy
import subprocess
import sys

import pytest
import torch

from natmae_mm.utils.cli import error_line, run_tool
from natmae_mm.utils.errors import InvalidInputError

from .foundation_utils import PYTHON, REPO, env_with_repo, write_tiny_annotation, write_tiny_config

DEMO_LINEAR = osp.join(REPO, 'configs', 'natmae', 'demo', 'vit-4x64_demo-linear_synthetic.py')
PRETRAIN = osp.join(REPO, 'configs', 'natmae', 'pretrain_ntu60.py')


class Marker:
    """Unpickling this runs ``touch PATH``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f'touch {self.path}',))


def _evil_annotation(path, marker):
    ok = pickle.loads(open(write_tiny_annotation(str(path)), 'rb').read())
    ok['annotations'][3] = Marker(marker)
    with open(path, 'wb') as f:
        pickle.dump(ok, f)
    return str(path)


def _one_error_line(err: str, *names: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith('error:')]
    assert len(lines) == 1, err[-3000:]
    assert 'Traceback' not in err, err[-3000:]
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


def _in_process(tool: str, argv, capsys):
    main = runpy.run_path(osp.join(REPO, 'tools', tool), run_name='tool')['main']
    capsys.readouterr()
    try:
        rc = run_tool(main, argv)
    except SystemExit as exc:  # a tool's own "raise SystemExit('error: ...')"
        rc = exc.code if isinstance(exc.code, int) else 1
        if not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    return rc, capsys.readouterr().err


M = 'missing.pth'
#: (tool, argv given the folder of bad inputs, what its error line must name)
CASES = [
    ('analysis/benchmark_pipeline.py', lambda t: [PRETRAIN, '--num-samples', '1',
                                                  '--num-files', '0'],
     ['annotation file not found', 'ntu60_3d.pkl']),
    ('analysis/benchmark_pretrain.py', lambda t: [f'{t}/nope.py'],
     ['config file not found', 'nope.py']),
    ('analysis/benchmark_pretrain.py', lambda t: [f'{t}/tiny_stgcn.py'],
     ['tiny_stgcn.py', 'expected a NATMAE model config']),
    ('analysis/compare_targets.py', lambda t: [f'{t}/nope.py', '--work-dir', f'{t}/w'],
     ['nope.py']),
    ('analysis/confusion_matrix.py', lambda t: ['--pred', f'{t}/preds.pkl', '--out',
                                                f'{t}/cm.png'], ['preds.pkl']),
    ('analysis/confusion_matrix.py', lambda t: ['--pred', f'{t}/junk.pkl', '--out',
                                                f'{t}/cm.png'],
     ['cannot read prediction dump', 'junk.pkl']),
    ('analysis/knn_eval.py', lambda t: [DEMO_LINEAR, f'{t}/{M}'], [M]),
    ('analysis/knn_eval.py', lambda t: [DEMO_LINEAR, 'none', '--ann-file', f'{t}/ann.pkl'],
     ['num_classes=', 'ann.pkl', '4 classes']),          # config does not fit the data
    ('analysis/recognize.py', lambda t: ['--ann', f'{t}/ann.pkl', '--index', '0', DEMO_LINEAR,
                                         f'{t}/{M}'], [M]),
    ('analysis/semi_supervised.py', lambda t: [DEMO_LINEAR, '--checkpoint', f'{t}/{M}',
                                               '--work-dir', f'{t}/w'], [M]),
    ('analysis/tsne.py', lambda t: [DEMO_LINEAR, f'{t}/{M}', '--out', f'{t}/t.png'], [M]),
    ('analysis/tsne.py', lambda t: [DEMO_LINEAR, 'none', '--out', f'{t}/t.png', '--ann-file',
                                    f'{t}/evil_ann.pkl'],
     ['refusing to load annotation file', 'evil_ann.pkl', 'system']),
    ('convert/extract_backbone.py', lambda t: [f'{t}/{M}', f'{t}/o.pth'], [M]),
    ('convert/extract_backbone.py', lambda t: [f'{t}/evil.pth', f'{t}/o.pth'],
     ['refusing to load checkpoint', 'evil.pth']),
    ('convert/mamp_to_natmae.py', lambda t: [f'{t}/{M}', f'{t}/o.pth'], [M]),
    ('data/make_synthetic.py', lambda t: [f'{t}/o.pkl', '--num-classes', '999'],
     ['num_classes']),
    ('data/npz_to_pkl.py', lambda t: [f'{t}/x.npz', f'{t}/o.pkl', '--benchmark', 'xsub'],
     ['x.npz']),
    ('data/ntu_raw_to_pkl.py', lambda t: [f'{t}/raw', f'{t}/o.pkl', '--dataset', 'ntu60'],
     ['raw']),
    ('data/nucla_to_pkl.py', lambda t: [f'{t}/json', f'{t}/o.pkl'], ['json']),
    ('data/pku_raw_to_pkl.py', lambda t: [f'{t}/o.pkl', '--skeleton-dir', f'{t}/sk',
                                          '--label-dir', f'{t}/lab', '--phase', '1'], ['sk']),
    ('publish_model.py', lambda t: [f'{t}/{M}', f'{t}/pub'], [M]),
    ('publish_model.py', lambda t: [f'{t}/evil.pth', f'{t}/pub'],
     ['refusing to load checkpoint', 'evil.pth']),
    ('test.py', lambda t: [f'{t}/nope.py', f'{t}/{M}'], ['config file not found', 'nope.py']),
    ('test.py', lambda t: [f'{t}/tiny_stgcn.py', f'{t}/evil.pth', '--work-dir', f'{t}/w'],
     ['refusing to load checkpoint', 'evil.pth']),
    ('run_demo.py', lambda t: ['--work-dir', f'{t}/demo_other'], ['demo_other', 'other settings']),
    ('train.py', lambda t: [f'{t}/nope.py'], ['config file not found', 'nope.py']),
]


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    t = tmp_path_factory.mktemp('bad')
    write_tiny_config(t, write_tiny_annotation(str(t / 'ann.pkl')))  # t/tiny_stgcn.py
    _evil_annotation(t / 'evil_ann.pkl', t / 'PWNED')
    (t / 'junk.pkl').write_bytes(b'\x80\x04not a pickle')
    (t / 'demo_other').mkdir()
    (t / 'demo_other' / 'settings.json').write_text('{"seed": 99}\n')  # another demo run's
    torch.save({'state_dict': {'w': torch.ones(1)}, 'x': Marker(t / 'PWNED')}, t / 'evil.pth')
    return t


@pytest.mark.parametrize('tool,argv,names', CASES,
                         ids=[f'{c[0]}-{i}' for i, c in enumerate(CASES)])
def test_every_tool_reports_bad_input_in_one_line(inputs, tool, argv, names, capsys):
    rc, err = _in_process(tool, argv(inputs), capsys)
    assert rc != 0
    _one_error_line(err, *names)
    assert not (inputs / 'PWNED').exists()


def test_bugs_keep_their_traceback():
    def buggy(argv):
        return 1 // 0

    with pytest.raises(ZeroDivisionError):
        run_tool(buggy, [])

    def bad_input(argv):
        raise InvalidInputError('x.pkl: bad\n  on two lines')

    assert run_tool(bad_input, []) == 1
    assert error_line(InvalidInputError('a\n b')) == 'error: a b'
    assert run_tool(lambda argv: 3, []) == 3 and run_tool(lambda argv: {'a': 1}, []) == 0


def _user_run(args, cwd):
    return subprocess.run([PYTHON] + args, cwd=str(cwd), env=env_with_repo(), timeout=300,
                          capture_output=True, text=True)


def test_code_running_annotation_through_train_py(tmp_path):
    marker = tmp_path / 'PWNED'
    ann = _evil_annotation(tmp_path / 'ann.pkl', marker)
    cfg = write_tiny_config(tmp_path, ann)
    text = open(cfg).read().replace("type='PoseDataset'", "type='SkeletonDataset'")
    assert 'SkeletonDataset' in text
    with open(cfg, 'w') as f:
        f.write(text)
    res = _user_run([osp.join(REPO, 'tools', 'train.py'), cfg, '--work-dir',
                     str(tmp_path / 'work')], tmp_path)
    assert res.returncode != 0
    _one_error_line(res.stderr, 'refusing to load annotation file', ann, 'system')
    assert not marker.exists()


def test_code_running_dump_through_confusion_matrix(tmp_path):
    marker = tmp_path / 'PWNED'
    dump = tmp_path / 'preds.pkl'
    with open(dump, 'wb') as f:
        pickle.dump([{'pred_score': torch.ones(3), 'gt_label': Marker(marker)}], f)
    res = _user_run([osp.join(REPO, 'tools', 'analysis', 'confusion_matrix.py'), '--pred',
                     str(dump), '--out', str(tmp_path / 'cm.png')], tmp_path)
    assert res.returncode != 0
    _one_error_line(res.stderr, 'refusing to load prediction dump', str(dump), 'system')
    assert not marker.exists() and not (tmp_path / 'cm.png').exists()


def test_code_running_annotation_through_recognize(tmp_path):
    marker = tmp_path / 'PWNED'
    ann = _evil_annotation(tmp_path / 'ann.pkl', marker)
    res = _user_run([osp.join(REPO, 'tools', 'analysis', 'recognize.py'), '--ann', ann,
                     '--index', '0', DEMO_LINEAR, str(tmp_path / 'none.pth')], tmp_path)
    assert res.returncode != 0
    _one_error_line(res.stderr, 'refusing to load annotation file', ann, 'system')
    assert not marker.exists()
