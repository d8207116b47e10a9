"""Shadows pyzmq when this folder is on PYTHONPATH: the worker must say that zmq is missing."""

raise ImportError("zmq is hidden on purpose")
