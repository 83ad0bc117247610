#!/usr/bin/python3
"""Runs one module of Python's regression tests (Debian's libpython3.11-testsuite) with
unittest, the way `python3 -m test MODULE` does by default (no optional resources: network,
cpu, largefile, ... tests skip), in a fresh temporary working directory, and prints one line
per outcome for tests/system/compat.sh to compare:

    @@COMPAT STATUS ID SECONDS | WHY

STATUS is pass, fail, error, skip, xfail or upass; ID the test's id (a class or module
fixture that fails or skips counts as a test of its own: MODULE.CLASS.setUpClass); SECONDS
how long it took; WHY the exception's last line and where it was raised, or the skip's
reason. Each line starts on a
line of its own, whatever the tests write around it. "@@COMPAT start ID" comes before each
test, so that a test that hangs (faulthandler ends the process after the per-test timeout,
with every thread's traceback) is known; "@@COMPAT end MODULE" after the last.
Usage: compat-py.py [--timeout S] [--skip ID]... MODULE
  --timeout S  the per-test timeout (default 120 s)
  --skip ID    leaves out the tests whose id is ID or starts with "ID." (repeatable)
"""
import argparse
import faulthandler
import os
import sys
import tempfile
import time
import traceback
import unittest

from test import support


def emit(*words):
    # sys.__stdout__: tests replace sys.stdout; the leading newline ends whatever partial
    # line a test or its child left.
    sys.__stdout__.write("\n@@COMPAT " + " ".join(words) + "\n")
    sys.__stdout__.flush()


def why_of(err):
    """The exception's last line and the innermost frame that raised it, on one line."""
    etype, value, tb = err
    last = traceback.format_exception_only(etype, value)[-1].strip()
    frames = traceback.extract_tb(tb)
    where = f" at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    return " ".join((last + where).split())[:300]


def fixture_id(holder):
    """unittest's _ErrorHolder description 'setUpClass (mod.Class)' as mod.Class.setUpClass."""
    desc = holder.description
    if " (" in desc and desc.endswith(")"):
        name, owner = desc[:-1].split(" (", 1)
        return f"{owner}.{name}"
    return desc.replace(" ", "_")


class Result(unittest.TestResult):
    """Records each test's outcome, subtests folded into their test, and prints it."""

    def __init__(self, timeout):
        super().__init__()
        self.timeout = timeout
        self.current = None

    def startTest(self, test):
        super().startTest(test)
        self.current = {"id": test.id(), "status": None, "why": "", "t0": time.monotonic()}
        emit("start", test.id())
        faulthandler.dump_traceback_later(self.timeout, exit=True)

    def stopTest(self, test):
        faulthandler.cancel_dump_traceback_later()
        cur = self.current
        if cur is not None:
            seconds = f"{time.monotonic() - cur['t0']:.2f}"
            emit(cur["status"] or "pass", cur["id"], seconds, "|", cur["why"])
        self.current = None
        super().stopTest(test)

    def record(self, test, status, why):
        if self.current is None or not isinstance(test, unittest.TestCase):
            emit(status, fixture_id(test) if hasattr(test, "description") else test.id(), "0", "|", why)
            return
        # the worst outcome of a test and its subtests wins
        order = ["pass", "skip", "xfail", "upass", "fail", "error"]
        if self.current["status"] is None or order.index(status) > order.index(self.current["status"]):
            self.current["status"], self.current["why"] = status, why

    def addSuccess(self, test):
        super().addSuccess(test)
        self.record(test, "pass", "")

    def addError(self, test, err):
        super().addError(test, err)
        self.record(test, "error", why_of(err))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.record(test, "fail", why_of(err))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.record(test, "skip", " ".join(str(reason).split())[:300])

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.record(test, "xfail", "")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.record(test, "upass", "")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self.record(test, "fail" if failed else "error", f"{subtest._subDescription()}: {why_of(err)}")


def tests_of(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from tests_of(t)
        else:
            yield t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("module")
    args = ap.parse_args()
    module = args.module
    # regrtest's default: no optional resource is enabled (support.requires() skips)
    support.use_resources = []
    support.verbose = 0
    os.chdir(tempfile.mkdtemp(prefix="compat-"))
    result = Result(args.timeout)
    try:
        suite = unittest.defaultTestLoader.loadTestsFromName(module)
    except Exception:  # an import that fails is the module's failure
        emit("error", module + ".import", "0", "|", why_of(sys.exc_info()))
    else:
        # a flat suite: the class and module fixtures still run once each, around their tests
        left_out = tuple(args.skip)
        kept = [t for t in tests_of(suite) if not any(t.id() == s or t.id().startswith(s + ".") for s in left_out)]
        unittest.TestSuite(kept).run(result)
        # the whole tracebacks, for whoever reads the log
        for holder, text in result.errors + result.failures:
            sys.__stdout__.write(f"\n==== {holder}\n{text}")
    emit("end", module)


if __name__ == "__main__":
    main()
