"""Mangaki's recommender: a pure algorithm library (``recommender.algorithms``) and,
later, the Django side that trains from the database and serves the active model."""
