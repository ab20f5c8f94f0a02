"""Signals accounts sends to the apps above it, which it may not import."""

from django.dispatch import Signal

# After areas are imported, inside the same transaction: `cursor` holds a temporary table
# areas_changed (geom) of the area parts removed or added. Each receiver moves what it
# keeps in areas and returns how many rows moved.
areas_changed = Signal()
