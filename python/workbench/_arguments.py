"""How the package's keyword arguments become the command line's strings (one place)."""

import numbers
import os
import sys
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


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def _caller_stacklevel():
    """The stacklevel of the first frame outside this package: a warning points at the user's
    line, however deep inside the package it was raised (as pandas' find_stack_level)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE:
        frame, level = frame.f_back, level + 1
    return level


def warn_all(lines, category):
    for line in lines:
        warnings.warn(line, category, stacklevel=_caller_stacklevel())


def non_negative_int(value, name, what="a non-negative integer"):
    """`value` as an int, or WorkbenchError naming the argument `name`."""
    from ._core import WorkbenchError
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise WorkbenchError(f"{name}: give {what}, not {value!r}")
    return int(value)


# The command line's options as the package's arguments, for messages that name an option.
_OPTION_WORDS = [("--set ", "set "), ("--compile-opt ", "compile_opt "), ("--input ", "inputs "),
                 ("--shape ", "shapes "), ("--calib-count", "calib_count"), ("--calib-method", "calib_method"),
                 ("--calib ", "calib "), ("--no-cache", "cache=False"), ("--no-data", "data=False"),
                 ("--seed", "seed"), ("--threads", "threads"), ("--scheme", "scheme")]


class python_words:
    """Re-raises the library's WorkbenchError in the package's words: the argument a message
    names instead of the command line's option ("set cores=x", not "--set cores=x")."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        from ._core import WorkbenchError
        if kind is None or not issubclass(kind, WorkbenchError):
            return False
        text = str(error)
        for option, argument in _OPTION_WORDS:
            text = text.replace(option, argument)
        if text == str(error):
            return False
        raise WorkbenchError(text) from None
