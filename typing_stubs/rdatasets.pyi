# Only what bench/quality/rdata.py uses: one table of an R package's data sets.
import pandas as pd

def data(package: str, item: str) -> pd.DataFrame: ...
