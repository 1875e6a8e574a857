"""`python -m dpchallenge …`: the `dpc` command (see dpchallenge/cli.py)."""

from dpchallenge.cli import main

main()
