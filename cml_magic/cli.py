"""`cml-magic`: the command line (its one command today, `cml-magic demo`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cml_magic import demo


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `cml-magic` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return demo.run(
                notebook=args.notebook, output=args.output, lab=args.lab, keep=args.keep
            )
    except demo.DemoError as exc:
        print(f"cml-magic: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cml-magic: interrupted", file=sys.stderr)
        return 130
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cml-magic", description="cml_magic: Cloudera Machine Learning from Jupyter."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo_command = sub.add_parser(
        "demo",
        help="run the quickstart notebook against a local CML server",
        description=(
            "Start a local CML server with demo data, run the quickstart notebook against it "
            "headless and print its results, then stop the server."
        ),
    )
    demo_command.add_argument(
        "--lab",
        action="store_true",
        help="open JupyterLab on the notebooks against the local server instead (Ctrl-C stops)",
    )
    demo_command.add_argument(
        "--keep", action="store_true", help="keep the local server's data folder afterwards"
    )
    demo_command.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="where to write the executed notebook (default: a new temporary folder)",
    )
    demo_command.add_argument(
        "--notebook",
        type=Path,
        metavar="PATH",
        help=f"the notebook to run (default: notebooks/{demo.QUICKSTART})",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
