"""Two CPU processes (gloo): the queue holds both ranks' keys in rank order on every rank."""
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

T, V, M, N = 8, 5, 2, 2


def _worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    try:
        from mmaction.registry import MODELS
        from mmengine.dist import all_reduce_params

        import natmae_mm  # noqa: F401
        torch.manual_seed(0)  # identical weights on both ranks
        model = MODELS.build(dict(
            type='NATMAE',
            backbone=dict(type='MaskedSkeletonTransformer', mask_ratio=0.5, num_frames=T,
                          num_joints=V, segment_len=2, embed_dim=8, depth=1, num_heads=2),
            neck=dict(type='SkeletonMAEDecoder', num_frames=T, num_joints=V, segment_len=2,
                      embed_dim=8, decoder_dim=8, depth=1, num_heads=2),
            head=dict(type='SkeletonReconstructionHead'),
            target_generator=dict(type='NATTarget', segment_len=2),
            contrast=dict(type='MomentumContrastNeck', queue_len=8)))
        x = torch.randn(N, 1, M, T, V, 3, generator=torch.Generator().manual_seed(100 + rank))
        model(x, mode='loss')
        local = model.contrast.keys(x.reshape(N * M, T, V, 3), M)  # this rank's keys
        local = torch.nn.functional.normalize(local, dim=1)  # as enqueued
        queue, ptr = model.contrast.queue.clone(), model.contrast.queue_ptr.clone()
        all_reduce_params(model.buffers(), op='mean')  # what SyncBuffersHook does
        torch.save(dict(local=local, queue=queue, ptr=ptr,
                        synced_queue=model.contrast.queue.clone(),
                        synced_ptr=model.contrast.queue_ptr.clone()),
                   os.path.join(out_dir, f'rank{rank}.pt'))
        # both ranks are done before either tears gloo down: a rank that destroys the group
        # while its peer is still in a collective can abort the peer (seen once in CI: SIGABRT)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def test_two_rank_queue_in_rank_order(tmp_path):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.spawn(_worker, args=(port, str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f'rank{r}.pt') for r in (0, 1))
    assert not torch.allclose(r0['local'], r1['local'])  # ranks saw different data
    expected = torch.cat([r0['local'], r1['local']])  # (2N, C): rank 0 first
    for r in (r0, r1):
        torch.testing.assert_close(r['queue'][:2 * N], expected)
        assert (r['queue'][2 * N:] == 0).all() and r['ptr'].item() == 2 * N
        torch.testing.assert_close(r['synced_queue'], r['queue'])  # buffer averaging no-op
        assert r['synced_ptr'].item() == 2 * N
    assert torch.equal(r0['queue'], r1['queue'])
