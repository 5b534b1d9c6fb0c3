"""What the local scoring service does with a ``/score`` body: the model, loaded once, scores it.

Standard library only, like the service (its start-up must be quick). The body is the
client's: a body that is not JSON, JSON nested past the stack, a number of thousands of
digits, or rows the model refuses is the client's fault and a 400 saying why; only the
model failing on its own (or not loading) is a 500.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

MODEL_WAIT = 60.0  # seconds /score waits for the model to load


def log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f"{stamp} {message}", file=sys.stderr, flush=True)


def json_default(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist):
        return tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Scorer:
    """Loads the model (or entry script) once, in the background, and scores requests."""

    def __init__(self, service_dir: Path) -> None:
        self.dir = service_dir
        self.ready = threading.Event()
        self.error: str | None = None
        self.model: Any = None
        self.run: Any = None
        threading.Thread(target=self._load, name="model-loader", daemon=True).start()

    def _load(self) -> None:
        try:
            model_path = self.dir / "model.pkl"
            # Azure ML entry scripts find their model through this variable.
            os.environ.setdefault("AZUREML_MODEL_DIR", str(self.dir))
            entry = self.dir / "entry.py"
            if entry.exists():
                spec = importlib.util.spec_from_file_location("mlssl_entry_script", entry)
                assert spec and spec.loader
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                if hasattr(module, "init"):
                    module.init()
                self.run = module.run
            else:
                with open(model_path, "rb") as fh:
                    self.model = pickle.load(fh)  # the user's own model (see the service doc)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            log("model failed to load:\n" + traceback.format_exc())
        finally:
            self.ready.set()

    def score(self, body: bytes) -> tuple[int, Any]:
        if not self.ready.wait(MODEL_WAIT):
            return 503, {"error": "the model is still loading; try again"}
        if self.error:
            return 500, {"error": f"the model failed to load: {self.error}"}
        if self.run is not None:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return 400, {"error": "the request body is not UTF-8 text"}
            try:
                return 200, self.run(text)
            except Exception as exc:
                return 500, {"error": f"{type(exc).__name__}: {exc}"}
        try:
            payload = json.loads(body or b"null")
        except json.JSONDecodeError as exc:
            return 400, {"error": f"the request body is not JSON: {exc.msg}"}
        except (ValueError, RecursionError) as exc:
            # not UTF-8, an integer past int()'s 4,300 digits, nesting past the stack
            return 400, {"error": f"the request body is not JSON we can read: {exc}"}
        data = payload.get("data") if isinstance(payload, dict) else payload
        if data is None:
            return 400, {"error": 'send JSON like {"data": [[...], ...]}'}
        try:
            return 200, self.model.predict(data)
        except (ValueError, TypeError) as exc:
            # how scikit-learn refuses input: rows of the wrong width, text for numbers,
            # infinity; the client's data, not the service, is at fault
            return 400, {"error": f"the model refused the data: {type(exc).__name__}: {exc}"}
        except Exception as exc:
            return 500, {"error": f"{type(exc).__name__}: {exc}"}
