"""Numba kernels for one ALS half-step (all users, or all items, at once).

Each row ``u`` of ``own`` holds ``[x_u, bias_u]`` (rank + 1 numbers). The other side's row
``j`` is read as features ``[y_j, 1]`` and its last entry (the other bias) is subtracted from
the target, so the same kernel solves users against items and items against users:

    min_x  sum_j (r_uj - mu - bias_j - [y_j, 1] . x)^2
           + (n_u + prior) (reg ||x[:k]||^2 + reg_bias x[k]^2)

which is ALS-WR's lambda * n_u weighting with an explicit bias; ``prior`` (a pseudo-count,
0 for plain ALS-WR) keeps rows with one or two ratings from fitting them exactly.
"""

from __future__ import annotations

import logging
import os

import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.core.compiler_lock import global_compiler_lock
from numba.core.registry import cpu_target
from numba.extending import intrinsic

logger = logging.getLogger(__name__)

#: Ratings ahead of the one being copied whose rows ``_gather`` asks the cache for.
PREFETCH_AHEAD = 16
#: LLVM's prefetch intrinsic is named after its pointer type, which changed with opaque
#: pointers (LLVM 15): newest spelling first.
PREFETCH_NAMES = ("llvm.prefetch.p0", "llvm.prefetch.p0i8", "llvm.prefetch")
#: Set to "0" to build the kernels without prefetch (same results, slower item half-step);
#: numba's on-disk cache keeps whichever was compiled first, so clear it (or point
#: NUMBA_CACHE_DIR elsewhere) after changing it.
PREFETCH_ENV = "RECOMMENDER_ALS_PREFETCH"


def prefetch_compiles(name: str) -> bool:
    """Whether this llvmlite's LLVM compiles a call to the prefetch intrinsic ``name`` into
    a prefetch instruction (an unknown name would compile into a call to a missing
    symbol, or fail to verify).

    Example::

        >>> prefetch_compiles("llvm.no.such.intrinsic")
        False
    """
    codegen = cpu_target.target_context.codegen()
    module = codegen._create_empty_module("mangaki_prefetch_probe")
    byte_pointer, int32 = ir.IntType(8).as_pointer(), ir.IntType(32)
    probe = ir.Function(
        module, ir.FunctionType(ir.VoidType(), [byte_pointer]), name="mangaki_prefetch_probe"
    )
    target = ir.Function(
        module, ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32]), name=name
    )
    builder = ir.IRBuilder(probe.append_basic_block())
    builder.call(target, [probe.args[0], int32(0), int32(3), int32(1)])
    builder.ret_void()
    try:
        # Machine code only, outside numba's JIT engine: a module calling a missing symbol
        # must never be linked into the process.
        with global_compiler_lock:
            parsed = llvm.parse_assembly(str(module))
            parsed.verify()
            assembly = codegen._tm.emit_assembly(parsed)
    except Exception as error:  # any LLVM refusal means "not this name"
        logger.debug("Prefetch intrinsic %s does not compile: %s", name, error)
        return False
    # Lowered to an instruction, the intrinsic's name is gone from the machine code.
    return name not in assembly


def _prefetch_intrinsic() -> str | None:
    if os.environ.get(PREFETCH_ENV, "1").strip() == "0":
        return None
    for name in PREFETCH_NAMES:
        if prefetch_compiles(name):
            return name
    logger.warning("No LLVM prefetch intrinsic compiles here: ALS kernels run without prefetch")
    return None


#: The intrinsic ``_gather`` emits, or None (no prefetch): probed once, when kernels load.
PREFETCH_INTRINSIC = _prefetch_intrinsic()


@intrinsic
def _prefetch(typingctx, array, row, col):
    """Hint the CPU to load ``array[row, col]``'s cache line (LLVM's prefetch intrinsic:
    read, keep in all levels). Numba has no prefetch of its own. Without a prefetch
    intrinsic that compiles here (``PREFETCH_INTRINSIC`` None) it emits nothing."""

    def codegen(context, builder, signature, args):
        if PREFETCH_INTRINSIC is None:
            return context.get_dummy_value()
        array_type, row_type, col_type = signature.args
        data, row, col = args
        index = [
            context.cast(builder, row, row_type, types.intp),
            context.cast(builder, col, col_type, types.intp),
        ]
        view = context.make_array(array_type)(context, builder, data)
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, index)
        byte_pointer = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [byte_pointer, int32, int32, int32]),
            PREFETCH_INTRINSIC,
        )
        builder.call(
            function, [builder.bitcast(pointer, byte_pointer), int32(0), int32(3), int32(1)]
        )
        return context.get_dummy_value()

    return types.void(array, row, col), codegen


@njit(cache=True, fastmath=True, inline="always")
def _gather(other, indices, data, start, n, mu, feats_t, target):
    # Copy the rated rows, transposed, into a contiguous buffer: the CG passes then run
    # long unit-stride loops over the ratings, which vectorise, instead of rank-long ones.
    # Four ratings at a time turn the transposed stores into short contiguous runs
    # (measured 10-20% faster than one at a time). The rows are scattered over ``other``
    # (6 MB of user factors on the Kaggle-sized set), so the rows PREFETCH_AHEAD ratings on
    # are requested early: the item half-step ran ~30% faster, the user one ~5%.
    k = other.shape[1] - 1
    n4 = n - n % 4
    for a in range(0, n4, 4):
        j0 = indices[start + a]
        j1 = indices[start + a + 1]
        j2 = indices[start + a + 2]
        j3 = indices[start + a + 3]
        for q in range(a + PREFETCH_AHEAD, min(a + PREFETCH_AHEAD + 4, n)):
            ahead = indices[start + q]
            for d in range(0, k, 16):  # every cache line of the row: 64 bytes = 16 floats
                _prefetch(other, ahead, d)  # type: ignore[call-arg]  # numba fills typingctx
            _prefetch(other, ahead, k)  # type: ignore[call-arg]  # numba fills typingctx
        for d in range(k):
            feats_t[d, a] = other[j0, d]
            feats_t[d, a + 1] = other[j1, d]
            feats_t[d, a + 2] = other[j2, d]
            feats_t[d, a + 3] = other[j3, d]
    for a in range(n4, n):
        j = indices[start + a]
        for d in range(k):
            feats_t[d, a] = other[j, d]
    for a in range(n):
        feats_t[k, a] = 1.0
        target[a] = data[start + a] - mu - other[indices[start + a], k]


@njit(cache=True, fastmath=True, inline="always")
def _residual(feats_t, n, vec, base, with_base, diag, out, s):
    # out = F^T (base - F vec) + diag * vec as unit-stride sweeps over the ratings, four
    # factor rows per sweep so that s is loaded and stored a quarter as often (measured
    # 1.5-1.8x faster than one row per sweep; blocking the ratings for L1 was slower).
    dim = feats_t.shape[0]
    d4 = dim - dim % 4
    if with_base:
        for a in range(n):
            s[a] = base[a]
    else:
        for a in range(n):
            s[a] = 0.0
    for d in range(0, d4, 4):
        v0, v1, v2, v3 = vec[d], vec[d + 1], vec[d + 2], vec[d + 3]
        for a in range(n):
            s[a] -= (
                feats_t[d, a] * v0
                + feats_t[d + 1, a] * v1
                + feats_t[d + 2, a] * v2
                + feats_t[d + 3, a] * v3
            )
    for d in range(d4, dim):
        v = vec[d]
        for a in range(n):
            s[a] -= feats_t[d, a] * v
    for d in range(0, d4, 4):
        acc0 = np.float32(0.0)
        acc1 = np.float32(0.0)
        acc2 = np.float32(0.0)
        acc3 = np.float32(0.0)
        for a in range(n):
            sa = s[a]
            acc0 += feats_t[d, a] * sa
            acc1 += feats_t[d + 1, a] * sa
            acc2 += feats_t[d + 2, a] * sa
            acc3 += feats_t[d + 3, a] * sa
        out[d] = acc0 + diag[d] * vec[d]
        out[d + 1] = acc1 + diag[d + 1] * vec[d + 1]
        out[d + 2] = acc2 + diag[d + 2] * vec[d + 2]
        out[d + 3] = acc3 + diag[d + 3] * vec[d + 3]
    for d in range(d4, dim):
        acc = np.float32(0.0)
        for a in range(n):
            acc += feats_t[d, a] * s[a]
        out[d] = acc + diag[d] * vec[d]


@njit(cache=True, inline="always")
def _cholesky_solve(a, b):
    # In-place Cholesky of a small SPD matrix (float64), then two triangular solves.
    dim = a.shape[0]
    for j in range(dim):
        s = a[j, j]
        for q in range(j):
            s -= a[j, q] * a[j, q]
        s = np.sqrt(s)
        a[j, j] = s
        for i in range(j + 1, dim):
            t = a[i, j]
            for q in range(j):
                t -= a[i, q] * a[j, q]
            a[i, j] = t / s
    for i in range(dim):
        t = b[i]
        for q in range(i):
            t -= a[i, q] * b[q]
        b[i] = t / a[i, i]
    for i in range(dim - 1, -1, -1):
        t = b[i]
        for q in range(i + 1, dim):
            t -= a[q, i] * b[q]
        b[i] = t / a[i, i]


GRAM_BLOCK = 256


@njit(cache=True, fastmath=True, inline="always")
def _exact_row(
    other, indices, data, start, n, mu, reg, reg_bias, prior, block_t, target, gram, rhs
):
    """Exact solution for one row, returned in ``rhs``: the Gram matrix summed over blocks
    of ratings gathered into a small transposed buffer, then a float64 Cholesky solve."""
    dim = block_t.shape[0]
    k = dim - 1
    gram[:] = 0.0
    rhs[:] = 0.0
    for b0 in range(0, n, GRAM_BLOCK):
        m = min(GRAM_BLOCK, n - b0)
        _gather(other, indices, data, start + b0, m, mu, block_t, target)
        for d in range(dim):
            acc = np.float32(0.0)
            for a in range(m):
                acc += block_t[d, a] * target[a]
            rhs[d] += acc
            for e in range(d + 1):
                acc = np.float32(0.0)
                for a in range(m):
                    acc += block_t[d, a] * block_t[e, a]
                gram[d, e] += acc
    for d in range(k):
        gram[d, d] += reg * (n + prior)
    gram[k, k] += reg_bias * (n + prior)
    _cholesky_solve(gram, rhs)


@njit(cache=True, parallel=True, fastmath=True)
def cg_half_step(indptr, indices, data, other, own, mu, reg, reg_bias, prior, cg_steps, bounds):
    """Update every row of ``own`` in place with ``cg_steps`` conjugate-gradient steps
    warm-started from its current value (implicit's trick, applied to explicit ALS)."""
    dim = own.shape[1]
    for c in prange(len(bounds) - 1):
        longest = 1
        for u in range(bounds[c], bounds[c + 1]):
            longest = max(longest, indptr[u + 1] - indptr[u])
        feats_buf = np.empty(dim * longest, dtype=own.dtype)
        target = np.empty(longest, dtype=own.dtype)
        s = np.empty(longest, dtype=own.dtype)
        diag = np.empty(dim, dtype=own.dtype)
        x = np.empty(dim, dtype=own.dtype)
        r = np.empty(dim, dtype=own.dtype)
        p = np.empty(dim, dtype=own.dtype)
        ap = np.empty(dim, dtype=own.dtype)
        for u in range(bounds[c], bounds[c + 1]):
            start = indptr[u]
            n = indptr[u + 1] - start
            if n == 0:
                own[u, :] = 0.0
                continue
            feats_t = feats_buf[: dim * n].reshape((dim, n))
            _gather(other, indices, data, start, n, mu, feats_t, target)
            diag[:] = -reg * (n + prior)
            diag[dim - 1] = -reg_bias * (n + prior)
            x[:] = own[u, :]
            # r = F^T (t - F x) - reg x: the residual of the normal equations.
            _residual(feats_t, n, x, target, True, diag, r, s)
            p[:] = r
            rs_old = np.float32(0.0)
            for d in range(dim):
                rs_old += r[d] * r[d]
            for _ in range(cg_steps):
                if rs_old < 1e-20:
                    break
                # ap = (F^T F + reg) p, computed as -(F^T (0 - F p) - reg p).
                _residual(feats_t, n, p, target, False, diag, ap, s)
                pap = np.float32(0.0)
                for d in range(dim):
                    ap[d] = -ap[d]
                    pap += p[d] * ap[d]
                alpha = rs_old / pap
                rs_new = np.float32(0.0)
                for d in range(dim):
                    x[d] += alpha * p[d]
                    r[d] -= alpha * ap[d]
                    rs_new += r[d] * r[d]
                beta = rs_new / rs_old
                for d in range(dim):
                    p[d] = r[d] + beta * p[d]
                rs_old = rs_new
            own[u, :] = x


@njit(cache=True, parallel=True, fastmath=True)
def exact_half_step(indptr, indices, data, other, own, mu, reg, reg_bias, prior, bounds):
    """Update every row of ``own`` with its exact least-squares solution."""
    dim = own.shape[1]
    for c in prange(len(bounds) - 1):
        block_t = np.empty((dim, GRAM_BLOCK), dtype=own.dtype)
        target = np.empty(GRAM_BLOCK, dtype=own.dtype)
        gram = np.empty((dim, dim), dtype=np.float64)
        rhs = np.empty(dim, dtype=np.float64)
        for u in range(bounds[c], bounds[c + 1]):
            start = indptr[u]
            n = indptr[u + 1] - start
            if n == 0:
                own[u, :] = 0.0
                continue
            _exact_row(other, indices, data, start, n, mu, reg, reg_bias, prior, block_t, target,
                       gram, rhs)  # fmt: skip
            for d in range(dim):
                own[u, d] = rhs[d]
