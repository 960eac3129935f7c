#!/usr/bin/env python3
"""fuzz/make_corpus.py — writes seed corpora for the fuzz targets into fuzz-corpus/<target>/
(git-ignored). Seeds are small hand-made files (valid and almost-valid inputs of every
format variant) plus, when the real data is present, the first lines of its .inter files and
the first rows of its .npy files (read in place: real data is never committed).

usage: python3 fuzz/make_corpus.py [OUT_DIR] [DATA_DIR]
       (defaults: fuzz-corpus next to fuzz/, and $LETHE_DATA or the tests' data folder, tests/data_dir.h)
"""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "fuzz-corpus")
data = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("LETHE_DATA", os.path.join(here, "..", "..", "shared", "data"))


def put(target, name, content):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(content if isinstance(content, bytes) else content.encode())


# ---- .inter ------------------------------------------------------------------------------
H = "userID\titemID\tx_label\n"
put("inter", "basic", H + "0\t1\t0\n0\t2\t1\n1\t0\t0\n2\t3\t2\n")
put("inter", "crlf", (H + "0\t1\t0\n1\t0\t0\n\n").replace("\n", "\r\n"))
put("inter", "extra_cols", "rating\tx_label\ttimestamp\titemID\tuserID\n5\t0\t99\t7\t3\n4.5\t2\t100\t1\t0\n")
put("inter", "dups", H + "0\t1\t0\n1\t1\t0\n0\t1\t2\n1\t1\t0\n")
put("inter", "unsorted", H + "5\t4\t0\n0\t9\t0\n3\t3\t1\n0\t1\t0\n")
put("inter", "bom_noeol", "\ufeff" + H + "0\t0\t0")
put("inter", "bad_label", H + "0\t1\t3\n")
put("inter", "negative", H + "-1\t1\t0\n")
put("inter", "big_id", H + "99999999\t1\t0\n")
put("inter", "header_only", H)
for p in sorted(os.listdir(data)) if os.path.isdir(data) else []:
    d = os.path.join(data, p)
    if not os.path.isdir(d):
        continue
    for f in sorted(os.listdir(d)):
        full = os.path.join(d, f)
        if f.endswith(".inter"):
            with open(full, "rb") as fh:
                lines = fh.read(1 << 16).split(b"\n")[:200]
            put("inter", "real_" + f, b"\n".join(lines) + b"\n")
        if f.endswith("_feat.npy"):
            with open(full, "rb") as fh:
                head = fh.read(128)
            hlen = struct.unpack("<H", head[8:10])[0]
            header = head[10:10 + hlen].decode("latin1")
            # Keep 3 rows: rewrite the shape, take the first 3 rows of float16 data.
            cols = int(header.split("(")[1].split(",")[1].strip().rstrip(")"))
            with open(full, "rb") as fh:
                fh.seek(10 + hlen)
                body = fh.read(3 * cols * 2)
            newh = header.split("'shape'")[0] + "'shape': (3, %d), }" % cols
            newh = newh.ljust(((10 + len(newh) + 1 + 63) // 64) * 64 - 10 - 1) + "\n"
            put("npy", "real_" + f, b"\x93NUMPY\x01\x00" + struct.pack("<H", len(newh)) + newh.encode() + body)


# ---- .npy --------------------------------------------------------------------------------
def npy(major, descr, shape, body, fortran=False):
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, "True" if fortran else "False", shape)
    pre = 10 if major == 1 else 12
    d = d.ljust(((pre + len(d) + 1 + 63) // 64) * 64 - pre - 1) + "\n"
    n = struct.pack("<H", len(d)) if major == 1 else struct.pack("<I", len(d))
    return b"\x93NUMPY" + bytes([major, 0]) + n + d.encode() + body


put("npy", "f4_v1", npy(1, "<f4", "(2, 3)", struct.pack("<6f", 1, -2, 0, 3.5, 1e-30, 7)))
put("npy", "f8_v2", npy(2, "<f8", "(1, 2)", struct.pack("<2d", 0.1, -1e10)))
put("npy", "f2_v3", npy(3, "<f2", "(2, 2)", struct.pack("<4H", 0x3C00, 0x0001, 0x8001, 0x7BFF)))
put("npy", "f2_inf", npy(1, "<f2", "(1, 2)", struct.pack("<2H", 0x3C00, 0x7C00)))
put("npy", "fortran", npy(1, "<f4", "(1, 1)", b"\0\0\0\0", True))
put("npy", "one_d", npy(1, "<f4", "(3,)", b"\0" * 12))
put("npy", "i4", npy(1, "<i4", "(1, 1)", b"\0" * 4))
put("npy", "empty", npy(1, "<f4", "(0, 4)", b""))

# ---- checkpoint / json -------------------------------------------------------------------
M64 = (1 << 64) - 1


def hash64(b, seed=0):
    """io/hash.h, reimplemented from its documented definition."""
    h = seed ^ 0x9E3779B97F4A7C15
    n = len(b)
    b = b + b"\0" * ((8 - n % 8) % 8)
    for k in range(0, len(b), 8):
        w = int.from_bytes(b[k:k + 8], "little")
        h ^= (w * 0x87C37B91114253D5) & M64
        h = ((h << 31) | (h >> 33)) & M64
        h = (h * 0x4CF5AD432745937F + 0x52DCE729DA3ED7A5) & M64
    h ^= n
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & M64
    return h ^ (h >> 33)


def checkpoint(meta, tensors):
    """io/checkpoint.h format version 1. tensors: (name, dtype code, rows, cols, bytes)."""
    s = lambda x: struct.pack("<Q", len(x)) + x
    m = b"".join(s(k.encode()) + s(v.encode()) for k, v in sorted(meta.items()))
    table, data = b"", b""
    for name, dt, r, c, body in tensors:
        table += s(name.encode()) + struct.pack("<IIqqQQ", dt, 0, r, c, len(data), len(body))
        data += body + b"\0" * ((8 - len(body) % 8) % 8)
    data_off = (56 + len(m) + len(table) + 7) // 8 * 8
    size = data_off + len(data) + 8
    head = b"LETHECKP" + struct.pack("<IIQQQQQ", 1, 0, size, len(meta), len(tensors), data_off, len(data))
    body = (head + m + table).ljust(data_off, b"\0") + data
    return body + struct.pack("<Q", hash64(body, 0x4C455448))


put("checkpoint", "magic_only", b"LETHECKP" + b"\1\0\0\0" + b"\0" * 52)
put("checkpoint", "small", checkpoint({"model": "mgcn", "epoch": "3"},
                                      [("E_u", 0, 2, 3, struct.pack("<6f", *range(6))),
                                       ("mask", 4, 1, 5, bytes([1, 0, 1, 1, 0])),
                                       ("t", 1, 1, 1, struct.pack("<d", 0.5))]))
put("json", "results", '{"method": "tru", "metrics": {"recall@20": 0.0964, "n": 12}, "list": [1, 2.5e-7, null, true, "a\\u00e9\\n"]}')
put("json", "nested", "[[[[{}]]]]")
print("seed corpora written to", os.path.abspath(out))
