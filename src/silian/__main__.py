"""Allows `python -m silian`."""

from silian.cli import main

main()
