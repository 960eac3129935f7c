"""bench/reference/lethe_format.py — reading Lethe's files from Python: dataset folders
(<name>.inter, <modality>_feat.npy) and the checkpoint container (io/checkpoint.h, format 1).

The checkpoint layout (all little-endian): magic "LETHECKP", u32 version, u32 reserved, u64 file
size, u64 metadata count, u64 tensor count, u64 data offset, u64 data size; metadata entries
(u64 key length, key, u64 value length, value); the tensor table (u64 name length, name,
u32 dtype, u32 reserved, i64 rows, i64 cols, u64 offset from the data section, u64 byte size);
the data section; a trailing u64 checksum (not verified here: Lethe verifies its own files).
"""
import os
import struct

import numpy as np

_DTYPES = {0: np.float32, 1: np.float64, 2: np.int32, 3: np.int64, 4: np.uint8}


def read_checkpoint(path):
    """Returns (meta: dict str->str, tensors: dict name->2-D numpy array)."""
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:8] != b"LETHECKP":
        raise ValueError(f"{path}: not a Lethe checkpoint (bad magic)")
    version, _, size, nmeta, ntens, data_off, data_size = struct.unpack_from("<IIQQQQQ", buf, 8)
    if version != 1:
        raise ValueError(f"{path}: checkpoint format {version}, this reader knows 1")
    if size != len(buf):
        raise ValueError(f"{path}: truncated ({len(buf)} bytes, header says {size})")
    pos = 56
    meta = {}
    for _ in range(nmeta):
        (n,) = struct.unpack_from("<Q", buf, pos); pos += 8
        key = buf[pos:pos + n].decode(); pos += n
        (n,) = struct.unpack_from("<Q", buf, pos); pos += 8
        meta[key] = buf[pos:pos + n].decode(); pos += n
    tensors = {}
    for _ in range(ntens):
        (n,) = struct.unpack_from("<Q", buf, pos); pos += 8
        name = buf[pos:pos + n].decode(); pos += n
        dt, _, rows, cols, off, nbytes = struct.unpack_from("<IIqqQQ", buf, pos); pos += 40
        a = np.frombuffer(buf, dtype=_DTYPES[dt], count=rows * cols, offset=data_off + off)
        tensors[name] = a.reshape(rows, cols).copy()
    return meta, tensors


def parse_layout(layout):
    """The 'layout' metadata of a model checkpoint -> [(name, rows, cols, branch, layer, offset)].
    Tensors start on 16-element boundaries of the flat slab (engine/params.h)."""
    out, off = [], 0
    for item in layout.split(";"):
        if not item:
            continue
        name, shape, branch, layer = item.split(":")
        rows, cols = (int(x) for x in shape.split("x"))
        out.append((name, rows, cols, branch, int(layer), off))
        off += (rows * cols + 15) // 16 * 16
    return out


def slab_tensors(slab, layout):
    """Splits a flat slab (n×1) into named 2-D arrays by the layout."""
    flat = slab.reshape(-1)
    return {name: flat[off:off + rows * cols].reshape(rows, cols) for name, rows, cols, _, _, off in parse_layout(layout)}


def parse_config(text):
    """The 'config' metadata (key = value lines) -> dict."""
    cfg = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            k, v = line.split("=", 1)
            cfg[k.strip()] = v.strip()
    return cfg


class Dataset:
    """A dataset folder as Lethe reads it: one <name>.inter (userID, itemID, x_label; or the one
    named by `inter`) and the <modality>_feat.npy tables, modalities in file-name order."""

    def __init__(self, folder, inter=None, load_features=True):
        names = sorted(os.listdir(folder))
        if inter is None:
            inters = [n for n in names if n.endswith(".inter") and "." not in n[:-6]]
            if len(inters) != 1:
                raise ValueError(f"{folder}: expected exactly one <name>.inter, found {inters}")
            inter = inters[0]
        path = os.path.join(folder, inter)
        with open(path) as f:
            header = f.readline().rstrip("\n").split("\t")
            cols = {h: i for i, h in enumerate(header)}
            data = np.loadtxt(f, dtype=np.int64, delimiter="\t", ndmin=2)
        u, i, x = (data[:, cols[c]] for c in ("userID", "itemID", "x_label"))
        self.n_users, self.n_items = int(u.max()) + 1, int(i.max()) + 1
        self.train = (u[x == 0].astype(np.int64), i[x == 0].astype(np.int64))
        self.features = {}
        if load_features:
            for n in names:
                if n.endswith("_feat.npy"):
                    self.features[n[:-9]] = np.load(os.path.join(folder, n)).astype(np.float32)
