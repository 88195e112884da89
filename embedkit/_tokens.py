"""Reading tokens from UTF-8 bytes, shared by the vocabulary scan (``vocab``) and ``phrases``.

A token is what ASCII whitespace separates. :func:`_token_key` finds its end and its key: the key of
a token of at most 8 bytes is its bytes (so, with its length, the token itself: a table can
recognise it without comparing bytes); a longer token's key is its first 8 bytes mixed with a
hash of the rest. Tables place a key at ``(key * _GOLDEN) >> shift`` (Fibonacci hashing).
"""

import sys

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_FNV_PRIME = np.uint64(0x100000001B3)


@intrinsic
def _load_u64(typingctx, arr, idx):
    """The 8 bytes ``arr[idx:idx + 8]`` of a 1-D uint8 array as one uint64, in the machine's byte order."""

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), ir.IntType(64).as_pointer())
        return builder.load(ptr, align=1)

    return types.uint64(arr, types.intp), codegen


@intrinsic
def _store_u64(typingctx, arr, idx, value):
    """Write the uint64 ``value`` to the 8 bytes ``arr[idx:idx + 8]`` of a 1-D uint8 array, in the machine's
    byte order (the counterpart of :func:`_load_u64`)."""

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), ir.IntType(64).as_pointer())
        builder.store(args[2], ptr, align=1)
        return context.get_dummy_value()

    return types.void(arr, types.intp, types.uint64), codegen


#: words of 8 bytes are read whole only where their first byte is the lowest (x86, ARM)
_LITTLE_ENDIAN = sys.byteorder == "little"
_ONES = np.uint64(0x0101010101010101)
_HIGHS = np.uint64(0x8080808080808080)
#: ``(1 << 8k) * _BYTE_INDEX >> 56 == k`` for k in 0..7
_BYTE_INDEX = np.uint64(0x0001020304050607)


@numba.njit(cache=True, nogil=True, inline="always")
def _is_space(ch):
    """ASCII whitespace: space, tab, newline, vertical tab, form feed, carriage return."""
    return ch == 32 or (ch >= 9 and ch <= 13)


@numba.njit(cache=True, nogil=True, inline="always")
def _token_key(buf, i, n):
    """(key, end) of the token starting at ``buf[i]``: it ends at the first ASCII whitespace byte.

    The key of a token of at most 8 bytes is its bytes, little-endian (with the length, the token
    itself); a longer token's key is its first 8 bytes mixed with a hash of the rest. The first 8
    bytes are read as one word where 8 bytes are left: the lowest byte below 33 ends the token
    if it is whitespace (other control bytes take the byte loop).
    """
    if _LITTLE_ENDIAN and i + 8 <= n:
        w = _load_u64(buf, i)
        low = (w - np.uint64(33) * _ONES) & ~w & _HIGHS  # bytes < 33 flagged; the lowest flag is exact
        if low != 0:
            k = np.int64((((low & (~low + np.uint64(1))) >> np.uint64(7)) * _BYTE_INDEX) >> np.uint64(56))
            if _is_space(buf[i + k]):
                return w & ((np.uint64(1) << np.uint64(8 * k)) - np.uint64(1)), i + k
        elif i + 8 == n or _is_space(buf[i + 8]):
            return w, i + 8
    key = np.uint64(0)
    j = i
    stop = min(n, i + 8)
    while j < stop:
        ch = buf[j]
        if ch <= 32 and _is_space(ch):
            return key, j
        key |= np.uint64(ch) << np.uint64(8 * (j - i))
        j += 1
    if j == n:
        return key, j
    ch = buf[j]
    if ch <= 32 and _is_space(ch):
        return key, j
    h = key * _GOLDEN
    while j < n:
        ch = buf[j]
        if ch <= 32 and _is_space(ch):
            break
        h = (h ^ np.uint64(ch)) * _FNV_PRIME
        j += 1
    return h, j


@numba.njit(cache=True, nogil=True, inline="always")
def _same_bytes(arena, a, buf, i, length):
    """Whether ``arena[a:a + length]`` holds the bytes ``buf[i:i + length]`` (a table's word against a token)."""
    for t in range(length):
        if arena[a + t] != buf[i + t]:
            return False
    return True
