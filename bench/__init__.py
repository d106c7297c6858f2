"""Speed and memory measurements (run as scripts; see each module's docstring)."""
