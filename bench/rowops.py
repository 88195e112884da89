"""Microbenchmark: a row dot product and a logistic step written as explicit vector code (Numba intrinsics that
emit <16 x float> and <4 x float> LLVM loops) against the plain Numba loops the SGD kernels use.

    python bench/rowops.py

Prints ns per call for rows of 100, 64, 128 and 300 floats: "chain" (each dot's row depends on the last dot:
its latency) and "step" (a dot, then two row updates, as in a negative-sampling step). The intrinsics are
defined here and are not part of embedkit: in the CBOW kernel they gained 3-8% (bench/RESULTS.md, fifteenth
session), so the kernels keep their plain loops.
"""

import time

import numba
import numpy as np

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_F32 = ir.FloatType()
_FAST = ("fast",)
_WIDTHS = (16, 4, 1)


def _check(*arrays):
    for a in arrays:
        if not (isinstance(a, types.Array) and a.dtype == types.float32 and a.ndim in (1, 2) and a.layout == "C"):
            raise TypeError(f"row operations take C-contiguous float32 arrays of 1 or 2 dimensions, not {a}")


def _row(context, builder, aty, aval, ity, ival):
    """(pointer to the row's first float, row length) of row ``ival`` of a 2-D array, or of a 1-D one."""
    ary = context.make_array(aty)(context, builder, aval)
    if aty.ndim == 1:
        return ary.data, builder.extract_value(ary.shape, 0)
    row = context.cast(builder, ival, ity, types.intp)
    zero = ir.Constant(row.type, 0)
    ptr = cgutils.get_item_pointer(context, builder, aty, ary, [row, zero], wraparound=False)
    return ptr, builder.extract_value(ary.shape, 1)


def _stages(builder, n):
    """(width, start, stop) of the three stages over a row of ``n`` floats."""
    i64 = n.type
    n16 = builder.and_(n, ir.Constant(i64, ~15))
    n4 = builder.and_(n, ir.Constant(i64, ~3))
    return (16, ir.Constant(i64, 0), n16), (4, n16, n4), (1, n4, n)


def _ptr(builder, base, k, width):
    q = builder.gep(base, [k])
    return q if width == 1 else builder.bitcast(q, ir.VectorType(_F32, width).as_pointer())


def _load(builder, base, k, width):
    return builder.load(_ptr(builder, base, k, width), align=4)


def _store(builder, value, base, k, width):
    builder.store(value, _ptr(builder, base, k, width), align=4)


def _splat(builder, x, width):
    if width == 1:
        return x
    vty = ir.VectorType(_F32, width)
    v = builder.insert_element(ir.Constant(vty, ir.Undefined), x, ir.Constant(ir.IntType(32), 0))
    return builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(ir.IntType(32), width), [0] * width))


def _scalar(context, builder, val, ty):
    return context.cast(builder, val, ty, types.float32)


def _each_block(builder, n, body):
    """Call ``body(k, width)`` inside a loop over each stage's blocks."""
    for width, lo, hi in _stages(builder, n):
        with cgutils.for_range_slice(builder, lo, hi, ir.Constant(n.type, width)) as (k, _):
            body(k, width)


@intrinsic
def row_dot(typingctx, a, i, b, j):
    """The dot product of rows ``a[i]`` and ``b[j]`` (float32)."""
    _check(a, b)

    def codegen(context, builder, sig, args):
        pa, n = _row(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        pb, _ = _row(context, builder, sig.args[2], args[2], sig.args[3], args[3])
        total = None
        for width, lo, hi in _stages(builder, n):
            zero = ir.Constant(ir.VectorType(_F32, width), [0.0] * width) if width > 1 else ir.Constant(_F32, 0.0)
            acc = cgutils.alloca_once_value(builder, zero)
            with cgutils.for_range_slice(builder, lo, hi, ir.Constant(n.type, width)) as (k, _):
                prod = builder.fmul(_load(builder, pa, k, width), _load(builder, pb, k, width), flags=_FAST)
                builder.store(builder.fadd(builder.load(acc), prod, flags=_FAST), acc)
            part = builder.load(acc)
            if width > 1:
                fn = cgutils.get_or_insert_function(
                    builder.module, ir.FunctionType(_F32, [_F32, ir.VectorType(_F32, width)]),
                    f"llvm.vector.reduce.fadd.v{width}f32")
                part = builder.call(fn, [ir.Constant(_F32, 0.0), part], fastmath=_FAST)
            total = part if total is None else builder.fadd(total, part, flags=_FAST)
        return total

    return types.float32(a, i, b, j), codegen


@intrinsic
def row_axpy(typingctx, y, i, g, x, j):
    """``y[i] += g * x[j]``."""
    _check(y, x)

    def codegen(context, builder, sig, args):
        py, n = _row(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        px, _ = _row(context, builder, sig.args[3], args[3], sig.args[4], args[4])
        g1 = _scalar(context, builder, args[2], sig.args[2])

        def body(k, width):
            gx = builder.fmul(_splat(builder, g1, width), _load(builder, px, k, width), flags=_FAST)
            _store(builder, builder.fadd(_load(builder, py, k, width), gx, flags=_FAST), py, k, width)

        _each_block(builder, n, body)
        return context.get_dummy_value()

    return types.void(y, i, g, x, j), codegen


@intrinsic
def row_scale(typingctx, y, i, g):
    """``y[i] *= g``."""
    _check(y)

    def codegen(context, builder, sig, args):
        py, n = _row(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        g1 = _scalar(context, builder, args[2], sig.args[2])

        def body(k, width):
            _store(builder, builder.fmul(_load(builder, py, k, width), _splat(builder, g1, width), flags=_FAST),
                   py, k, width)

        _each_block(builder, n, body)
        return context.get_dummy_value()

    return types.void(y, i, g), codegen


@intrinsic
def row_logistic(typingctx, out, t, src, r, e, k, g, ge):
    """The two updates of a logistic step, one pass over the rows: ``e[k] += ge * out[t]`` with
    the old ``out[t]``, then ``out[t] += g * src[r]`` (``e`` and ``out``, ``src`` and ``out``: other rows)."""
    _check(out, src, e)

    def codegen(context, builder, sig, args):
        po, n = _row(context, builder, sig.args[0], args[0], sig.args[1], args[1])
        ps, _ = _row(context, builder, sig.args[2], args[2], sig.args[3], args[3])
        pe, _ = _row(context, builder, sig.args[4], args[4], sig.args[5], args[5])
        g1 = _scalar(context, builder, args[6], sig.args[6])
        ge1 = _scalar(context, builder, args[7], sig.args[7])

        def body(q, width):
            y = _load(builder, po, q, width)
            ey = builder.fmul(_splat(builder, ge1, width), y, flags=_FAST)
            _store(builder, builder.fadd(_load(builder, pe, q, width), ey, flags=_FAST), pe, q, width)
            gs = builder.fmul(_splat(builder, g1, width), _load(builder, ps, q, width), flags=_FAST)
            _store(builder, builder.fadd(y, gs, flags=_FAST), po, q, width)

        _each_block(builder, n, body)
        return context.get_dummy_value()

    return types.void(out, t, src, r, e, k, g, ge), codegen


# ---------------------------------------------------------------- the benchmark
@numba.njit(fastmath=True)
def dot_plain(a, i, b, j):
    f = np.float32(0.0)
    for c in range(a.shape[1]):
        f += a[i, c] * b[j, c]
    return f


@numba.njit(fastmath=True)
def axpy_plain(y, i, g, x, j):
    for c in range(y.shape[1]):
        y[i, c] += g * x[j, c]


@numba.njit(fastmath=True)
def chain(explicit, a, b, n):
    """``n`` dots, each on a row chosen by the last one's result (latency-bound)."""
    i = 0
    s = np.float32(0)
    for k in range(n):
        j = (k * 7) & 511
        f = row_dot(a, i, b, j) if explicit else dot_plain(a, i, b, j)
        s += f
        i = (i + 1 + (f > np.float32(1e9))) & 511
    return s


@numba.njit(fastmath=True)
def step(explicit, a, b, e, n):
    """``n`` negative-sampling-like steps: a dot, then ``e[0] += g * b[j]`` and ``b[j] += g * a[i]``."""
    s = np.float32(0)
    for k in range(n):
        i = k & 511
        j = (k * 7) & 511
        if explicit:
            f = row_dot(a, i, b, j)
            g = np.float32(1e-7) * f
            row_axpy(e, 0, g, b, j)
            row_axpy(b, j, g, a, i)
        else:
            f = dot_plain(a, i, b, j)
            g = np.float32(1e-7) * f
            axpy_plain(e, 0, g, b, j)
            axpy_plain(b, j, g, a, i)
        s += f
    return s


def best_ns(fn, args, n, rounds=3):
    best = 1e9
    for _ in range(rounds):
        t = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t)
    return best / n * 1e9


def main(n=3_000_000):
    for dim in (100, 64, 128, 300):
        rng = np.random.default_rng(0)
        a = rng.random((512, dim), dtype=np.float32)
        b = rng.random((512, dim), dtype=np.float32)
        e = np.zeros((1, dim), np.float32)
        # the same results, to float32 rounding
        assert abs(chain(False, a, b, 100) - chain(True, a, b, 100)) < 1e-2 * abs(chain(False, a, b, 100))
        b1, e1, b2, e2 = b.copy(), e.copy(), b.copy(), e.copy()
        step(False, a, b1, e1, 1000)
        step(True, a, b2, e2, 1000)
        assert np.allclose(b1, b2, rtol=1e-4) and np.allclose(e1, e2, rtol=1e-3)
        out = []
        for name, fn, args in (("chain", chain, (a, b, n)), ("step", step, (a, b, e, n))):
            for explicit in (False, True):
                out.append(f"{name}/{'explicit' if explicit else 'plain'} {best_ns(fn, (explicit, *args), n):.1f} ns")
        print(dim, "  ".join(out), flush=True)


if __name__ == "__main__":
    main()
