"""The photos example's handlers live in :mod:`photos.handlers`."""
