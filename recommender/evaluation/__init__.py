"""Offline evaluation of recommenders: dataset loaders, pure metrics and the BALSE paper's
cross-validation protocol (``python -m recommender.evaluate`` is the command line)."""
