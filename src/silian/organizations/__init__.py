"""Organisations: universities, institutes, enterprises, offices and platforms."""
