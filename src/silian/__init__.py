"""Silian (四链融合平台): fuses a city's talent, education, innovation and industry chains."""

__version__ = "0.1.0"
