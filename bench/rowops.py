"""Microbenchmark: a row dot product and a logistic step written as explicit vector code (Numba intrinsics that
emit <16 x float> and <4 x float> LLVM loops) against the plain Numba loops the SGD kernels use.

    python bench/rowops.py

Prints ns per call for rows of 64, 100, 128 and 300 floats: "chain" (each dot's row depends on the last dot:
its latency) and "step" (a dot, then two row updates, as in a negative-sampling step). The intrinsics are
defined here and are not part of embedkit: in the CBOW kernel they changed little (bench/RESULTS.md, fifteenth
session).
"""
import numba, numpy as np, time
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

F32 = ir.FloatType()
FAST = ("fast",)

def _row_ptr(context, builder, aty, aval, row):
    ary = context.make_array(aty)(context, builder, aval)
    zero = ir.Constant(ir.IntType(64), 0)
    ptr = cgutils.get_item_pointer(context, builder, aty, ary, [row, zero], wraparound=False)
    n = builder.extract_value(ary.shape, 1)
    return ptr, n

def _vec_loop(builder, start, stop, width, body):
    """for k in range(start, stop, width): body(k); stop - start a multiple of width"""
    with cgutils.for_range_slice(builder, start, stop, ir.Constant(start.type, width)) as (k, _):
        body(k)

def _load(builder, ptr, k, width):
    q = builder.gep(ptr, [k])
    if width == 1:
        return builder.load(q)
    return builder.load(builder.bitcast(q, ir.VectorType(F32, width).as_pointer()), align=4)

def _store(builder, val, ptr, k, width):
    q = builder.gep(ptr, [k])
    if width == 1:
        builder.store(val, q)
    else:
        builder.store(val, builder.bitcast(q, ir.VectorType(F32, width).as_pointer()), align=4)

def _reduce(builder, vec, width):
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(F32, [F32, ir.VectorType(F32, width)]),
                                        f"llvm.vector.reduce.fadd.v{width}f32")
    return builder.call(fn, [ir.Constant(F32, 0.0), vec], fastmath=FAST)

def _splits(builder, n):
    i64 = n.type
    n16 = builder.and_(n, ir.Constant(i64, ~15))
    n4 = builder.and_(n, ir.Constant(i64, ~3))
    return ir.Constant(i64, 0), n16, n4, n

@intrinsic
def row_dot(typingctx, a, i, b, j):
    def codegen(context, builder, sig, args):
        pa, n = _row_ptr(context, builder, sig.args[0], args[0], context.cast(builder, args[1], sig.args[1], types.intp))
        pb, _ = _row_ptr(context, builder, sig.args[2], args[2], context.cast(builder, args[3], sig.args[3], types.intp))
        z, n16, n4, n1 = _splits(builder, n)
        total = F32(0.0)
        for width, lo, hi in ((16, z, n16), (4, n16, n4), (1, n4, n1)):
            ty = ir.VectorType(F32, width) if width > 1 else F32
            acc = cgutils.alloca_once_value(builder, ir.Constant(ty, [0.0] * width if width > 1 else 0.0))
            def body(k, acc=acc, width=width):
                p = builder.fmul(_load(builder, pa, k, width), _load(builder, pb, k, width), flags=FAST)
                builder.store(builder.fadd(builder.load(acc), p, flags=FAST), acc)
            _vec_loop(builder, lo, hi, width, body)
            part = builder.load(acc)
            if width > 1:
                part = _reduce(builder, part, width)
            total = builder.fadd(total, part, flags=FAST) if not isinstance(total, ir.Constant) else part
        return total
    return types.float32(a, i, b, j), codegen

@intrinsic
def row_axpy(typingctx, y, i, g, x, j):
    """y[i] += g * x[j]"""
    def codegen(context, builder, sig, args):
        py, n = _row_ptr(context, builder, sig.args[0], args[0], context.cast(builder, args[1], sig.args[1], types.intp))
        px, _ = _row_ptr(context, builder, sig.args[3], args[3], context.cast(builder, args[4], sig.args[4], types.intp))
        gv = context.cast(builder, args[2], sig.args[2], types.float32)
        z, n16, n4, n1 = _splits(builder, n)
        for width, lo, hi in ((16, z, n16), (4, n16, n4), (1, n4, n1)):
            gw = gv
            if width > 1:
                gw = builder.insert_element(ir.Constant(ir.VectorType(F32, width), ir.Undefined), gv, ir.Constant(ir.IntType(32), 0))
                gw = builder.shuffle_vector(gw, gw, ir.Constant(ir.VectorType(ir.IntType(32), width), [0] * width))
            def body(k, width=width, gw=gw):
                v = builder.fadd(_load(builder, py, k, width), builder.fmul(gw, _load(builder, px, k, width), flags=FAST), flags=FAST)
                _store(builder, v, py, k, width)
            _vec_loop(builder, lo, hi, width, body)
        return context.get_dummy_value()
    return types.void(y, i, g, x, j), codegen

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
def chain(mode, a, b, n):
    # latency-bound: next row depends on the dot
    i = 0; s = np.float32(0)
    for k in range(n):
        j = (k * 7) & 511
        if mode == 0:
            f = dot_plain(a, i, b, j)
        else:
            f = row_dot(a, i, b, j)
        s += f
        i = (i + 1 + (f > np.float32(1e9))) & 511
    return s

@numba.njit(fastmath=True)
def step(mode, a, b, e, n):
    # a logistic-step-like sequence: dot, then y update and e accumulate
    s = np.float32(0)
    for k in range(n):
        i = k & 511; j = (k * 7) & 511
        if mode == 0:
            f = dot_plain(a, i, b, j)
            g = np.float32(1e-7) * f
            axpy_plain(e, 0, g, b, j)
            axpy_plain(b, j, g, a, i)
        else:
            f = row_dot(a, i, b, j)
            g = np.float32(1e-7) * f
            row_axpy(e, 0, g, b, j)
            row_axpy(b, j, g, a, i)
        s += f
    return s

def main():
    for dim in (100, 64, 128, 300):
        rng = np.random.default_rng(0)
        a = rng.random((512, dim), dtype=np.float32); b = rng.random((512, dim), dtype=np.float32)
        e = np.zeros((1, dim), np.float32)
        assert abs(chain(0, a, b, 100) - chain(1, a, b, 100)) < 1e-2 * abs(chain(0, a, b, 100))
        b1 = b.copy(); e1 = e.copy(); step(0, a, b1, e1, 1000); b2 = b.copy(); e2 = e.copy(); step(1, a, b2, e2, 1000)
        assert np.allclose(b1, b2, rtol=1e-4) and np.allclose(e1, e2, rtol=1e-3), (dim, np.abs(b1-b2).max())
        out = []
        for name, fn, args in (("chain", chain, (a, b, 3_000_000)), ("step", step, (a, b, e, 3_000_000))):
            for mode in (0, 1):
                best = 1e9
                for _ in range(3):
                    t = time.perf_counter(); fn(mode, *args); best = min(best, time.perf_counter() - t)
                out.append(f"{name}/{'plain' if mode == 0 else 'intr'} {best / 3e6 * 1e9:.1f} ns")
        print(dim, "  ".join(out))


if __name__ == "__main__":
    main()
