"""The rules of the product: plain functions that flush but never commit.

Views and jobs call one service, then commit (or roll back) at the edge.
"""
