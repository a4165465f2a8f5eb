import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.optim import OptimWrapper

import natmae_mm  # noqa: F401

T, V, M = 8, 5, 2
ENC = dict(num_frames=T, num_joints=V, segment_len=2, embed_dim=16, depth=2, num_heads=2)


def natmae_cfg(contrast=True, queue_len=8, target='NATTarget', temperature=0.07,
               loss_weight=1e-4, **contrast_kw):
    head = dict(type='SkeletonContrastHead',
                loss=dict(type='InfoNCELoss', temperature=temperature, loss_weight=loss_weight))
    return dict(
        type='NATMAE',
        backbone=dict(type='MaskedSkeletonTransformer', mask_ratio=0.75, **ENC),
        neck=dict(type='SkeletonMAEDecoder', num_frames=T, num_joints=V, segment_len=2,
                  embed_dim=16, decoder_dim=8, depth=1, num_heads=2),
        head=dict(type='SkeletonReconstructionHead', loss=dict(type='MaskedMSELoss')),
        target_generator=dict(type=target, segment_len=2),
        contrast=dict(type='MomentumKeyQueue', queue_len=queue_len, head=head, **contrast_kw)
        if contrast else None)


def batch(n=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(inputs=[torch.randn(1, M, T, V, 3, generator=g) for _ in range(n)],
                data_samples=None)


def test_loss_keys_and_every_trainable_parameter_gets_a_gradient():
    torch.manual_seed(0)
    model = MODELS.build(natmae_cfg(contrast=True, loss_weight=1.0))
    data = model.data_preprocessor(batch(), True)
    assert data['inputs'].shape == (2, 1, M, T, V, 3)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_rec', 'loss_con', 'acc_con'}
    (losses['loss_rec'] + losses['loss_con']).backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith(('backbone.', 'neck.')) for n, _ in trainable)
    missing = [n for n, p in trainable if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, missing
    assert not any(p.requires_grad for p in model.contrast.momentum_encoder.parameters())


def test_without_contrast_only_reconstruction_and_train_step_updates():
    torch.manual_seed(0)
    model = MODELS.build(natmae_cfg(contrast=False, target='MotionTarget'))
    optim = OptimWrapper(torch.optim.AdamW(model.parameters(), lr=1e-3))
    before = model.neck.mask_token.clone()
    log = model.train_step(batch(), optim)
    assert set(log) == {'loss', 'loss_rec'} and torch.isfinite(log['loss'])
    assert not torch.equal(before, model.neck.mask_token)


def test_features_for_tensor_and_predict_modes():
    torch.manual_seed(0)
    model = MODELS.build(natmae_cfg(contrast=False)).eval()
    x = torch.randn(3, 2, M, T, V, 3)  # two clips per sample
    feats = model(x, mode='tensor')
    assert feats.shape == (3, 16)
    tokens = model.backbone.forward_tokens(x[1, 0].reshape(M, T, V, 3))  # clip 0 of sample 1
    tokens2 = model.backbone.forward_tokens(x[1, 1].reshape(M, T, V, 3))
    expected = (tokens.mean(dim=(0, 1)) + tokens2.mean(dim=(0, 1))) / 2
    torch.testing.assert_close(feats[1], expected)
    samples = model(x, mode='predict')
    assert len(samples) == 3
    torch.testing.assert_close(samples[2].feature, feats[2])
    with pytest.raises(ValueError, match='invalid mode'):
        model(x, mode='features')
    with pytest.raises(ValueError, match='got'):
        model(torch.randn(2, T, V, 3), mode='tensor')


def test_ema_copies_at_step_zero_then_follows_closed_form():
    torch.manual_seed(0)
    model = MODELS.build(natmae_cfg(contrast=True, momentum=0.9, queue_len=8))
    ema = model.contrast.momentum_encoder.module
    online = model.backbone
    model(torch.randn(2, 1, M, T, V, 3), mode='loss')  # step 0: copy
    for (n, p), (_, q) in zip(online.named_parameters(), ema.named_parameters()):
        assert torch.equal(p, q), n
    k0 = ema.joint_embed.weight.clone()
    with torch.no_grad():
        online.joint_embed.weight.add_(1.0)
    new = online.joint_embed.weight.clone()
    model(torch.randn(2, 1, M, T, V, 3), mode='loss')  # step 1: k = mu*k + (1-mu)*q
    torch.testing.assert_close(ema.joint_embed.weight, 0.9 * k0 + 0.1 * new)


def test_queue_fills_in_order_wraps_and_reports_honest_accuracy():
    torch.manual_seed(0)
    model = MODELS.build(natmae_cfg(contrast=True, queue_len=4, temperature=0.07))
    neck = model.contrast
    x = torch.randn(2, 1, M, T, V, 3)
    out = model(x, mode='loss')
    assert out['acc_con'].item() == 100.  # empty queue: nothing to outrank
    keys = F.normalize(neck.keys(x.reshape(2 * M, T, V, 3), M), dim=1)  # 'sample': GAP, persons
    torch.testing.assert_close(neck.queue[:2], keys)
    assert (neck.queue[2:] == 0).all() and neck.queue_ptr.item() == 2
    model(torch.randn(2, 1, M, T, V, 3), mode='loss')
    assert neck.queue_ptr.item() == 0  # wrapped
    x3 = torch.randn(2, 1, M, T, V, 3)
    old = neck.queue.clone()
    model(x3, mode='loss')
    torch.testing.assert_close(neck.queue[2:], old[2:])  # oldest batch replaced first
    assert neck.queue_ptr.item() == 2


def test_contrastive_loss_matches_closed_form_against_queue():
    torch.manual_seed(0)
    model = MODELS.build(natmae_cfg(contrast=True, queue_len=4, loss_weight=1e-4,
                                    instance='person'))
    queue = F.normalize(torch.randn(4, 16), dim=1)
    model.contrast.queue.copy_(queue)
    model.contrast.update_momentum_encoder()  # step 0: the momentum encoder copies the online
    torch.manual_seed(3)
    x = torch.randn(1, 1, M, T, V, 3)
    skeletons = x.reshape(M, T, V, 3)
    state = torch.get_rng_state()
    latent, _, _ = model.backbone.forward_masked(skeletons)  # the masking NATMAE.loss will draw
    torch.set_rng_state(state)
    out = model(x, mode='loss')
    q = F.normalize(latent.mean(1), dim=1)  # (M, C): one instance per person
    k = F.normalize(model.backbone.forward_tokens(skeletons).mean(1), dim=1)
    pos = (q * k).sum(1)
    logits = torch.cat([pos[:, None], q @ queue.t()], 1) / 0.07
    expected = -torch.log_softmax(logits, 1)[:, 0].mean() * 1e-4
    torch.testing.assert_close(out['loss_con'], expected)
    acc = (logits[:, 0:1] > logits[:, 1:]).all(1).float().mean() * 100
    assert out['acc_con'].item() == pytest.approx(acc.item())
    # ring buffer: 2 person keys at ptr 0 replace the two oldest rows
    torch.testing.assert_close(model.contrast.queue[:2], k)
    torch.testing.assert_close(model.contrast.queue[2:], queue[2:])
    assert model.contrast.queue_ptr.item() == 2


def test_queue_is_a_ring_buffer_for_any_batch_size():
    """Repro of the benchmark crash: a batch of 1, then full batches of 16 on N_Q = 256 ran
    past the queue's end (``queue[241:257]`` has 15 rows); a ring buffer wraps instead."""
    torch.manual_seed(0)
    model = MODELS.build(natmae_cfg(contrast=True, queue_len=256))
    written = []
    for n in [1] + [16] * 16:  # no optimiser step: the momentum encoder = its deep copy
        x = torch.randn(n, 1, M, T, V, 3)
        written.append(F.normalize(model.contrast.keys(x.reshape(n * M, T, V, 3), M), dim=1))
        model(x, mode='loss')  # EMA step, loss, enqueue: no error
    keys = torch.cat(written)  # (257, C): every key in write order
    assert model.contrast.queue_ptr.item() == 257 % 256 == 1
    torch.testing.assert_close(model.contrast.queue[1:], keys[1:256])
    torch.testing.assert_close(model.contrast.queue[0], keys[256])  # the 257th key wrapped


def test_bad_configs():
    with pytest.raises(ValueError, match='instance'):
        MODELS.build(natmae_cfg(contrast=True, instance='sequence'))
    with pytest.raises(ValueError, match='momentum'):
        MODELS.build(natmae_cfg(contrast=True, momentum=1.0))
    cfg = natmae_cfg(contrast=False)
    cfg['backbone'] = dict(type='SkeletonTransformer', **ENC)
    with pytest.raises(TypeError, match='forward_masked'):
        MODELS.build(cfg)
