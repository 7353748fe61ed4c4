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
"""
from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "demo": ("ramen_edu.demo", "the embedded synthetic world: encoders and metrics table"),
    "fetch-wiki": ("ramen_edu.data.fetch_wiki", "download the full Wikipedia data (~207 MB) and convert it"),
    "build-wiki": ("ramen_edu.data.wiki_benchmark", "build the Wikipedia see-also benchmark"),
    "train": ("ramen_edu.training", "train RAMEN (or the no-graph baseline)"),
    "evaluate": ("ramen_edu.training", "evaluate a saved model"),
    "predict": ("ramen_edu.training", "predict labels for new texts with a saved model"),
    "ablate": ("ramen_edu.training", "the ablation (Table 5) over N seeds, compared with no-graph"),
}


def _usage() -> str:
    rows = "\n".join(f"  {name:<12} {help_}" for name, (_, help_) in COMMANDS.items())
    return f"usage: ramen-edu [--version] COMMAND [options]\n\ncommands:\n{rows}\n\n'ramen-edu COMMAND -h' for options."


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
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
    module = importlib.import_module(COMMANDS[command][0])
    # modules with several commands (training) take the command name first
    handler = getattr(module, f"cli_{command.replace('-', '_')}", None)
    if handler is None:
        handler = module.cli_main
    return int(handler(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
