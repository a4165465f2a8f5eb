#!/usr/bin/env bash
# Distributed testing with torchrun:  tools/dist_test.sh CONFIG CHECKPOINT GPUS [ARGS...]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT (the same on every node).
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
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
    "$DIR/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
