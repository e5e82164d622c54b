"""Achievements (科技成果): research results offered for transfer."""
