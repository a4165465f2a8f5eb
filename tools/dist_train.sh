#!/usr/bin/env bash
# Distributed training with torchrun:  tools/dist_train.sh CONFIG GPUS [ARGS...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT (the same on every node).
# On a CPU-only machine GPUS is the number of processes (gloo backend).
set -euo pipefail
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
DIR="$(cd "$(dirname "$0")" && pwd)"
if [ -z "${PORT:-}" ]; then
    if [ "$NNODES" -gt 1 ]; then PORT=29500; else PORT=$(python "$DIR/free_port.py"); fi
fi
PYTHONPATH="$DIR/..:${PYTHONPATH:-}" \
exec python -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$DIR/train.py" "$CONFIG" --launcher pytorch "${@:3}"
