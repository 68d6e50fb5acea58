"""Finding and running the `rbm` executable: the Swift trainer does the work, Python drives it."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile


class RBMError(RuntimeError):
    """The `rbm` executable failed; the message is its own (`error: …`)."""


def find_binary(explicit=None):
    """The `rbm` executable: `explicit`, else $RBM_BINARY, else `rbm` on PATH, else this
    repository's release build (`make build`), else its test build."""
    candidates = []
    if explicit:
        candidates.append(explicit)
    elif os.environ.get("RBM_BINARY"):
        candidates.append(os.environ["RBM_BINARY"])
    else:
        on_path = shutil.which("rbm")
        if on_path:
            candidates.append(on_path)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        candidates += [os.path.join(root, ".build", "release", "rbm"), os.path.join(root, ".build-test", "release", "rbm")]
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    where = candidates[0] if (explicit or os.environ.get("RBM_BINARY")) else "PATH or the repository's .build/release"
    raise RBMError(f"the rbm executable was not found ({where}): build it with `make build`, "
                   "or set RBM_BINARY to its path")


def run(binary, arguments, verbose=False):
    """Runs `binary arguments`, returning its standard output. With `verbose`, the output
    (progress lines) is streamed to this process's standard output as it comes. A non-zero
    exit raises RBMError with the executable's error lines. Ctrl-C is passed on as SIGINT, so
    that a training run writes its checkpoint and stops, and is then raised here."""
    with tempfile.TemporaryFile(mode="w+b") as errors:
        process = subprocess.Popen([binary] + list(arguments), stdout=subprocess.PIPE, stderr=errors,
                                   stdin=subprocess.DEVNULL)
        lines = []
        try:
            for raw in iter(process.stdout.readline, b""):
                line = raw.decode("utf-8", "replace")
                lines.append(line)
                if verbose:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            status = process.wait()
        except KeyboardInterrupt:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            raise
        finally:
            process.stdout.close()
        errors.seek(0)
        error_text = errors.read().decode("utf-8", "replace")
    if status != 0:
        reported = [line for line in error_text.splitlines() if line.strip()]
        message = "\n".join(reported[-20:]) or f"exit status {status}"
        raise RBMError(f"rbm {arguments[0]} failed (status {status}): {message}")
    return "".join(lines)
