"""`python -m pipeline` runs the scorecard command line."""

from pipeline.cli import main

main()
