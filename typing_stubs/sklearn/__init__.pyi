# Narrow stubs: only what script/ and tests/script/ use (scikit-learn ships no type hints).
__version__: str
