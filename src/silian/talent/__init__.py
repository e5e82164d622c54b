"""Talent chain: experts and talents, talent needs, industry–talent projects, salary grading."""
