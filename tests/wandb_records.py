"""Read the records of a local W&B run file (``run-*.wandb``) for tests.

The file is a LevelDB-style log (7-byte header ``:W&B`` + magic + version, then 32 KiB blocks of
chunks ``crc32(4) length(2) type(1) data``, types FULL=1, FIRST=2, MIDDLE=3, LAST=4) whose
records are ``wandb_internal_pb2.Record`` protobufs. wandb 0.31 no longer ships a Python reader.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

BLOCK = 32 * 1024
HEADER = 7
CHUNK_HEADER = 7


def records(path: Path):
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B run file"
    pos, pending = HEADER, b""
    while pos + CHUNK_HEADER <= len(data):
        left = BLOCK - pos % BLOCK
        if left < CHUNK_HEADER:  # block trailer padding
            pos += left
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + CHUNK_HEADER])
        chunk = data[pos + CHUNK_HEADER:pos + CHUNK_HEADER + length]
        pos += CHUNK_HEADER + length
        if kind == 0 and length == 0:
            continue
        pending = chunk if kind in (1, 2) else pending + chunk
        if kind in (1, 4):
            rec = wandb_internal_pb2.Record()
            rec.ParseFromString(pending)
            yield rec
            pending = b""


def history(path: Path) -> list[dict]:
    """Every logged history row as {key: value}."""
    rows = []
    for rec in records(path):
        if rec.WhichOneof("record_type") == "history":
            rows.append({item.key or "/".join(item.nested_key): json.loads(item.value_json)
                         for item in rec.history.item})
    return rows


def run_group(path: Path) -> str | None:
    for rec in records(path):
        if rec.WhichOneof("record_type") == "run":
            return rec.run.run_group
    return None
