"""Numba kernel: one LASSO per user, all users at once, by covariance coordinate descent.

For user u with n ratings r over items with tag rows T_u, the objective

    1/(2n) ||r - T_u w - b||^2 + alpha ||w||_1      (b unpenalised)

only depends on the centred Gram matrix G = cov(T_u) and c = cov(T_u, r) (the intercept is
b = mean(r) - mean(T_u) w). Tags are sparse (a work has a handful), so G is summed from the
non-zeros of each rated row, and coordinate descent then never touches the ratings again.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def lasso_rows(
    lo, hi, indptr, indices, data, t_indptr, t_indices, t_data, n_tags, alpha, max_iter, tol,
    coef, intercept, fallback,
):  # fmt: skip
    """Solve rows ``lo..hi-1`` serially (fold-in calls this directly: no thread wake-up);
    returns the largest number of sweeps used."""
    gram = np.empty((n_tags, n_tags), dtype=np.float64)
    mean_t = np.empty(n_tags, dtype=np.float64)
    cov = np.empty(n_tags, dtype=np.float64)
    grad = np.empty(n_tags, dtype=np.float64)
    w = np.empty(n_tags, dtype=np.float64)
    most = 0
    for u in range(lo, hi):
        start = indptr[u]
        n = indptr[u + 1] - start
        if n == 0:
            coef[u, :] = 0.0
            intercept[u] = fallback
            continue
        gram[:] = 0.0
        mean_t[:] = 0.0
        cov[:] = 0.0
        mean_r = 0.0
        for a in range(start, start + n):
            mean_r += data[a]
        mean_r /= n
        for a in range(start, start + n):
            item = indices[a]
            r = data[a] - mean_r
            for p in range(t_indptr[item], t_indptr[item + 1]):
                tp = t_indices[p]
                vp = t_data[p]
                mean_t[tp] += vp
                cov[tp] += vp * r
                for q in range(t_indptr[item], t_indptr[item + 1]):
                    gram[tp, t_indices[q]] += vp * t_data[q]
        for i in range(n_tags):
            mean_t[i] /= n
            cov[i] /= n
        for i in range(n_tags):
            for j in range(n_tags):
                gram[i, j] = gram[i, j] / n - mean_t[i] * mean_t[j]
        # Start from zero; grad holds c - G w for the current w.
        w[:] = 0.0
        grad[:] = cov
        sweeps = 0
        for sweep in range(max_iter):
            sweeps = sweep + 1
            max_step = 0.0
            max_w = 0.0
            for j in range(n_tags):
                gjj = gram[j, j]
                if gjj <= 1e-12:
                    continue
                rho = grad[j] + gjj * w[j]
                new = 0.0
                if rho > alpha:
                    new = (rho - alpha) / gjj
                elif rho < -alpha:
                    new = (rho + alpha) / gjj
                step = new - w[j]
                if step != 0.0:
                    for i in range(n_tags):
                        grad[i] -= gram[i, j] * step
                    w[j] = new
                    max_step = max(max_step, abs(step))
                max_w = max(max_w, abs(new))
            if max_step <= tol * max(max_w, 1.0):
                break
        most = max(most, sweeps)
        b = mean_r
        for j in range(n_tags):
            coef[u, j] = w[j]
            b -= mean_t[j] * w[j]
        intercept[u] = b
    return most


@njit(cache=True, parallel=True)
def lasso_all_users(
    indptr, indices, data, t_indptr, t_indices, t_data, n_tags, alpha, max_iter, tol, bounds,
    coef, intercept, fallback,
):  # fmt: skip
    """Fill ``coef`` (n_users x n_tags) and ``intercept`` in place, one row range per task;
    returns the largest number of sweeps used."""
    sweeps = np.zeros(len(bounds) - 1, dtype=np.int64)
    for c in prange(len(bounds) - 1):
        sweeps[c] = lasso_rows(
            bounds[c], bounds[c + 1], indptr, indices, data, t_indptr, t_indices, t_data,
            n_tags, alpha, max_iter, tol, coef, intercept, fallback,
        )  # fmt: skip
    return sweeps.max() if len(sweeps) else 0
