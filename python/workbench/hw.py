"""HwConfig: a hardware config with its overrides, and the table of its keys."""

import json

import pandas as pd

from . import _core
from ._arguments import assignments, path_text, python_words


class HwConfig:
    """A config file and --set overrides, resolved and checked as every command does.

        cfg = wb.HwConfig.load("configs/gap8.yaml").set(cores=4, l1_bytes="128KiB")
        cfg["cores"], cfg.keys          # a value; every key with unit, range, meaning, source
        wb.run(model, cfg)              # runs take a HwConfig wherever they take a path
    """

    def __init__(self, path, overrides=()):
        self.path = path_text(path)
        self.overrides = list(overrides)
        with python_words():
            called = _core.hw_config(self.path, self.overrides)
        self._resolved = json.loads(called["json"])
        self._keys = called["keys"]

    @classmethod
    def load(cls, path):
        return cls(path)

    def set(self, values=None, **keys):
        """A new HwConfig with more overrides: set(cores=4) or set({"array.rows": 28})."""
        more = assignments(values, "set") + assignments(keys, "set")
        return HwConfig(self.path, self.overrides + more)

    @property
    def name(self):
        return self._resolved["name"]

    @property
    def target(self):
        return self._resolved["target"]

    @property
    def derived(self):
        """The figures derived from the keys (peak MAC/cycle, peak GOP/s, ...)."""
        return dict(self._resolved["derived"])

    @property
    def keys(self):
        """One row per key: key, value, text, unit, range, meaning, provenance, source, default."""
        return pd.DataFrame(self._keys)

    def to_dict(self):
        """The resolved config as `hw show --json` writes it."""
        return json.loads(json.dumps(self._resolved))

    def __getitem__(self, key):
        for k in self._keys:
            if k["key"] == key:
                return k["value"]
        raise KeyError(f"{key}: no such key of a {self.target} config (see .keys)")

    def __repr__(self):
        extra = f" with {', '.join(self.overrides)}" if self.overrides else ""
        return f"<HwConfig {self.name} ({self.target}) from {self.path}{extra}>"
