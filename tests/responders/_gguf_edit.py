"""Copy a GGUF model file with one more string in its metadata (for the chat-template tests).

GGUF (v2/v3): ``GGUF``, version (u32), tensor count (u64), metadata count (u64), the metadata
pairs, the tensor descriptions, zero padding to ``general.alignment`` (default 32), the tensor
data. Tensor offsets count from the start of the data, so a copy with one more pair only
re-pads before the data. Little-endian files only (every published x86/ARM model).
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import BinaryIO

_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY, _UINT32 = 8, 9, 4


def _u32(f: BinaryIO) -> int:
    return int(struct.unpack("<I", f.read(4))[0])


def _u64(f: BinaryIO) -> int:
    return int(struct.unpack("<Q", f.read(8))[0])


def _string(f: BinaryIO) -> str:
    return f.read(_u64(f)).decode("utf-8")


def _skip_value(f: BinaryIO, kind: int) -> int | None:
    """Skip one metadata value of type ``kind``; returns it if it is a u32 (for alignment)."""
    if kind == _UINT32:
        return _u32(f)
    if kind in _FIXED:
        f.seek(_FIXED[kind], 1)
    elif kind == _STRING:
        f.seek(_u64(f), 1)
    elif kind == _ARRAY:
        item, count = _u32(f), _u64(f)
        if item in _FIXED:
            f.seek(_FIXED[item] * count, 1)
        else:
            for _ in range(count):
                _skip_value(f, item)
    else:
        raise ValueError(f"unknown GGUF value type {kind}")
    return None


def with_string_metadata(src: Path, dst: Path, key: str, value: str) -> Path:
    """Write ``dst``: ``src`` with the string ``key = value`` added to its metadata."""
    with src.open("rb") as f:
        if f.read(4) != b"GGUF" or _u32(f) not in (2, 3):
            raise ValueError(f"{src} is not a GGUF v2/v3 file")
        n_tensors, n_kv = _u64(f), _u64(f)
        alignment = 32
        for _ in range(n_kv):
            name = _string(f)
            found = _skip_value(f, _u32(f))
            if name == key:
                raise ValueError(f"{src} already has {key}")
            if name == "general.alignment" and found:
                alignment = found
        kv_end = f.tell()
        for _ in range(n_tensors):
            _string(f)
            f.seek(8 * _u32(f) + 4 + 8, 1)  # dims, type, offset
        infos_end = f.tell()
        data_start = -(-infos_end // alignment) * alignment
        f.seek(24)
        head = f.read(kv_end - 24)
        infos = f.read(infos_end - kv_end)
        key_b, value_b = key.encode(), value.encode()
        pair = struct.pack("<Q", len(key_b)) + key_b + struct.pack("<IQ", _STRING, len(value_b))
        with dst.open("wb") as out:
            out.write(b"GGUF" + struct.pack("<IQQ", 3, n_tensors, n_kv + 1))
            out.write(head + pair + value_b + infos)
            out.write(b"\0" * (-out.tell() % alignment))
            f.seek(data_start)
            shutil.copyfileobj(f, out, 1 << 20)
    return dst
