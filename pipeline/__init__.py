"""scorecard: department workbooks in, a board pack out (see README.md)."""

import os

# openpyxl switches to lxml when it is installed (pikepdf brings it): keep its own
# serializer and defusedxml-guarded parser, so files and their bytes stay as they were.
os.environ.setdefault("OPENPYXL_LXML", "False")
