"""The ``ramen-edu`` command line. Each subcommand lives in the module that owns the work and
exposes ``cli_main(argv: list[str]) -> int`` with its own argparse, so options are documented
next to the code they drive.

    ramen-edu demo                       synthetic world -> metrics table (README)
    ramen-edu fetch-wiki [...]           download the full Wikipedia data and convert it (book/02)
    ramen-edu build-wiki [...]           the Wikipedia see-also benchmark (book/02)
    ramen-edu train --dataset NAME ...   RAMEN training (book/04)
    ramen-edu evaluate RUN_DIR ...       metrics of a trained model
    ramen-edu predict "Clade" ...        top-k labels for new texts
    ramen-edu ablate --config F --seeds N   the ablation (Table 5), N seeds per row (book/04)
    ramen-edu baselines --config F --seeds N   RAMEN vs AugGT and a two-stage GCN (book/05)
    ramen-edu student-copy OUT_DIR       the chapters without solutions, for a classroom

Errors: a mistake the user can fix (a missing file, a bad config value, faiss not installed)
prints one line ``ramen-edu COMMAND: message`` on stderr and exits 1; Ctrl-C exits 130;
argparse's usage errors exit 2. ``--debug`` anywhere on the command line (or
``RAMEN_EDU_DEBUG=1``) shows the full traceback instead. Anything else is a bug and keeps
its traceback. A subcommand parses its options before importing torch, so ``-h`` is fast.
"""
from __future__ import annotations

import importlib
import os
import sys

COMMANDS = {
    "demo": ("ramen_edu.book.demo", "the embedded synthetic world: encoders and metrics table"),
    "fetch-wiki": ("ramen_edu.data.fetch_wiki", "download the full Wikipedia data (~207 MB) and convert it"),
    "build-wiki": ("ramen_edu.data.wiki_benchmark", "build the Wikipedia see-also benchmark"),
    "train": ("ramen_edu.training", "train RAMEN (or the no-graph baseline)"),
    "evaluate": ("ramen_edu.training", "evaluate a saved model"),
    "predict": ("ramen_edu.training", "predict labels for new texts with a saved model"),
    "ablate": ("ramen_edu.experiments.ablate", "the ablation (Table 5) over N seeds, compared with no-graph"),
    "baselines": ("ramen_edu.experiments.baselines", "RAMEN vs no-graph, AugGT and a two-stage GCN (learned/oracle linker)"),
    "student-copy": ("ramen_edu.book.student_copy", "write the chapters without solutions or outputs, for students"),
}


#: errors that are the user's to fix: they get one line, not a traceback. TypeError comes
#: from config validation (a string where a number belongs); OSError covers missing or
#: unreadable files, and Hugging Face's "not a valid model identifier"; ImportError the
#: optional faiss.
EXPECTED_ERRORS = (ValueError, TypeError, OSError, ImportError)
INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for Ctrl-C


def _usage() -> str:
    rows = "\n".join(f"  {name:<12} {help_}" for name, (_, help_) in COMMANDS.items())
    return (f"usage: ramen-edu [--version] [--debug] COMMAND [options]\n\ncommands:\n{rows}\n\n"
            "'ramen-edu COMMAND -h' for options; --debug (or RAMEN_EDU_DEBUG=1) shows tracebacks.")


def _pop_debug(argv: list[str]) -> tuple[list[str], bool]:
    """argv without ``--debug``, and whether it was there (or RAMEN_EDU_DEBUG is set).

    Tokens after ``--`` are arguments (``ramen-edu predict -- --debug`` predicts for "--debug").
    """
    end = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:end]
    kept = [a for a in argv[:end] if a != "--debug"] + argv[end:]
    env = os.environ.get("RAMEN_EDU_DEBUG", "").strip().lower()
    return kept, debug or env not in ("", "0", "false", "no")


def _one_line(err: BaseException) -> str:
    # a few library messages (Hugging Face's) span lines; the contract is one line
    return " ".join(str(err).split()) or type(err).__name__


def main(argv: list[str] | None = None) -> int:
    argv, debug = _pop_debug(list(sys.argv[1:] if argv is None else argv))
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from ramen_edu import __version__

        print(f"ramen-edu {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"ramen-edu: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(COMMANDS[command][0])
        # modules with several commands (training) take the command name first
        handler = getattr(module, f"cli_{command.replace('-', '_')}", None)
        if handler is None:
            handler = module.cli_main
        return int(handler(rest) or 0)
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"ramen-edu {command}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except EXPECTED_ERRORS as err:
        if debug:
            raise
        print(f"ramen-edu {command}: {_one_line(err)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
