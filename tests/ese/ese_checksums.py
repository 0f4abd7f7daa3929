"""ESE's 64-bit ECC checksum of a 4 KiB page or log segment (reference ese-log-format.md
section 1.3), for tests that build damaged or edited copies of Windows files and must
re-stamp them.  One implementation for every test in tests/ese."""
import struct


def _parity(x):
    return bin(x).count("1") & 1


def segment_checksum(block, pgno):
    """The 64-bit ECC checksum of a 4 KiB segment checksummed as page `pgno`."""
    words = list(struct.unpack("<1024I", block))
    words[0] = words[1] = 0
    p = c0 = c1 = c2 = c3 = 0
    idx = 0xFF800000
    for r in range(256):
        w0, w1, w2, w3 = words[4 * r: 4 * r + 4]
        c0 ^= w0
        c1 ^= w1
        c2 ^= w2
        c3 ^= w3
        if _parity(w0 ^ w1 ^ w2 ^ w3):
            p ^= idx
        idx = (idx + 0xFF800080) & 0xFFFFFFFF
    if _parity(c0 ^ c1):
        p |= 0x00400000
    if _parity(c2 ^ c3):
        p |= 0x40
    if _parity(c0 ^ c2):
        p |= 0x00200000
    if _parity(c1 ^ c3):
        p |= 0x20
    x = c0 ^ c1 ^ c2 ^ c3
    r = 0
    for i in range(32):
        if x >> i & 1:
            r ^= (0xFFFF0000 + i * 0xFFFF0001) & 0xFFFFFFFF
    ecc = (p & 0xFFE0FFE0 & ((4096 << 19) - 1)) | (r & 0x001F001F)
    return (ecc << 32) | (x ^ pgno)
