"""Runnable example stacks; ``app.py`` instantiates them and the tests synthesize them."""
