"""diorama: turn one photo into a 3D photo.

The same package runs in CPython (CLI, unit tests) and in Pyodide inside the
browser's worker, so both hosts compute the same numbers.
"""

__version__ = "0.1.0"
