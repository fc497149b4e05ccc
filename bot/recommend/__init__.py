"""Recommendations: content similarity blended with item-item collaborative filtering."""
