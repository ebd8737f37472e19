"""How the package's keyword arguments become the command line's strings (one place)."""

import os
import warnings


def value_text(value):
    """A --set or --compile-opt value: booleans as true/false, everything else as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assignments(values, what):
    """{"cores": 4} or ["cores=4"] -> ["cores=4"]; None -> []."""
    if values is None:
        return []
    if isinstance(values, dict):
        return [f"{key}={value_text(value)}" for key, value in values.items()]
    if isinstance(values, str):
        values = [values]
    items = list(values)
    for item in items:
        if not isinstance(item, str) or "=" not in item:
            raise TypeError(f"{what}: give a dict {{key: value}} or strings 'key=value', not {item!r}")
    return items


def path_text(path):
    return "" if path is None else os.fspath(path)


def warn_all(lines, category):
    for line in lines:
        warnings.warn(line, category, stacklevel=3)
