"""Mangaki's poster tagger.

``tagger.vision`` is the pure part (image in, embedding and tag probabilities out; no Django).
The site side that stores tags on works imports it, never the other way round.
"""
