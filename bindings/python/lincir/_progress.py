"""Training progress display: tqdm when importable, else a one-line bar on a terminal, else
plain text lines (logs, notebooks without a TTY)."""

import math
import sys
import time

try:
    from tqdm.auto import tqdm as _tqdm
except ImportError:
    _tqdm = None


def _fmt_time(seconds):
    if not math.isfinite(seconds) or seconds < 0:
        return "--:--"
    seconds = int(seconds + 0.5)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return "%d:%02d:%02d" % (h, m, s) if h else "%02d:%02d" % (m, s)


def _stats(p):
    text = "loss %.4f lr %.2e %.0f cap/s" % (p.loss, p.lr, p.captions_per_second)
    if not math.isnan(p.validation):
        text += " val %.4f" % p.validation
    return text


class _Tqdm:
    def __init__(self, stream):
        self._bar = None
        self._stream = stream

    def update(self, p):
        if self._bar is None:
            self._bar = _tqdm(total=p.total_steps, initial=p.step - 1, unit="step", file=self._stream,
                              dynamic_ncols=True)
        self._bar.update(p.step - self._bar.n)
        self._bar.set_postfix_str(_stats(p), refresh=False)

    def close(self):
        if self._bar is not None:
            self._bar.close()


class _TtyBar:
    """One line redrawn with a carriage return, at most 10 times a second."""

    WIDTH = 24

    def __init__(self, stream):
        self._stream = stream
        self._start = None
        self._first_step = 0
        self._last_draw = 0.0
        self._drawn = False
        self._last = None

    def update(self, p):
        now = time.monotonic()
        if self._start is None:
            self._start, self._first_step = now, p.step - 1
        self._last = p
        if now - self._last_draw >= 0.1 or p.step >= p.total_steps:
            self._draw(p, now)

    def _draw(self, p, now):
        self._last_draw = now
        total = max(p.total_steps, 1)
        frac = min(max(p.step / total, 0.0), 1.0)
        filled = int(frac * self.WIDTH)
        done = p.step - self._first_step
        elapsed = now - self._start
        eta = elapsed / done * (p.total_steps - p.step) if done > 0 else float("nan")
        line = "\r[%s%s] %d/%d %3d%% %s ETA %s" % (
            "#" * filled, "." * (self.WIDTH - filled), p.step, p.total_steps, int(frac * 100),
            _stats(p), _fmt_time(eta))
        self._stream.write(line + "\x1b[K")
        self._stream.flush()
        self._drawn = True

    def close(self):
        if self._last is not None:
            self._draw(self._last, time.monotonic())
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()


class _Lines:
    """Plain lines for non-terminals: about 20 per run, or every 30 s, plus the last step."""

    def __init__(self, stream):
        self._stream = stream
        self._last_time = None
        self._last = None
        self._printed = None

    def update(self, p):
        now = time.monotonic()
        self._last = p
        every = max(1, p.total_steps // 20)
        if self._last_time is None or p.step % every == 0 or now - self._last_time >= 30:
            self._print(p, now)

    def _print(self, p, now):
        self._last_time = now
        self._printed = p.step
        self._stream.write("step %d/%d %s\n" % (p.step, p.total_steps, _stats(p)))
        self._stream.flush()

    def close(self):
        if self._last is not None and self._printed != self._last.step:
            self._print(self._last, time.monotonic())


def make_progress(progress):
    """progress: False/None (nothing), True (stderr), or a text stream to write to."""
    if not progress:
        return None
    stream = sys.stderr if progress is True else progress
    if _tqdm is not None:
        return _Tqdm(stream)
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return _TtyBar(stream)
    return _Lines(stream)
