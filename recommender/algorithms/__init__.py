"""Pure recommender algorithms (numpy/scipy/numba only, no Django).

Import estimators from their modules, e.g. ``from recommender.algorithms.als import ALS``.
"""
