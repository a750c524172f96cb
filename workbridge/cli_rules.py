"""``workbridge rules``: the rule register (issue 17) — each policy clause with the rules that
implement it, the parameters they read and the tests that walk it. ``--write`` keeps it in
``workbridge/rule_register.json`` for the page; ``--check`` exits 1 when the code and that file
differ or the register is incomplete (a rule citing no clause, a clause with no test)."""

from __future__ import annotations

import argparse
import sys

from kernel.policy import load_profile
from workbridge.cli_common import command_settings
from workbridge.rule_register import SHIPPED, build, problems, written


def rules(args: argparse.Namespace) -> int:
    register = build(load_profile(command_settings().policy_profile))
    found = problems(register)
    for problem in found:
        print(f"workbridge rules: {problem}", file=sys.stderr)
    text = written(register)
    if args.write:
        SHIPPED.write_text(text, encoding="utf-8")
    elif args.check and SHIPPED.read_text(encoding="utf-8") != text:
        print("workbridge rules: the register differs from the code; run --write", file=sys.stderr)
        return 1
    elif not args.check:
        sys.stdout.write(text)
    return 1 if found else 0


def add_rules(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("rules", help="the rule register: clauses, rules, parameters, tests")
    parser.add_argument("--write", action="store_true", help="keep it for the page")
    parser.add_argument("--check", action="store_true", help="exit 1 when it is out of date")
    parser.set_defaults(func=rules)
