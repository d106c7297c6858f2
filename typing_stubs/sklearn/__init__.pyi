# Narrow stubs: only what script/, tests/ and bench/ use (scikit-learn ships no type hints).
__version__: str
