"""The ``cchc`` command line: thin wrappers over the library.

Every command with ``--json`` prints exactly one JSON document on stdout; logs go to stderr.
Exit status: 0 success, 1 user error (clear message on stderr), 2 usage error.
"""

from __future__ import annotations

import contextvars
import errno
import logging
import os
import sys
from pathlib import Path

import click

from cchc import commands
from cchc.app import AppContext
from core.errors import CchcError

logger = logging.getLogger(__name__)
_CONFIG: contextvars.ContextVar[str | None] = contextvars.ContextVar("_CONFIG", default=None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", default=None, help="config.yaml path (default: CCHC_CONFIG or ./config.yaml)")
@click.option("-v", "--verbose", is_flag=True, help="debug logging on stderr")
@click.version_option(package_name="tro-ly-cchc")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """Trợ lý CCHC: hỏi đáp tài liệu cải cách hành chính, nhắc hạn, tóm tắt chỉ số."""
    ctx.obj = AppContext(config, verbose)
    _CONFIG.set(config)


for _command in commands.all_commands():
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="cchc", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Đã hủy.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else 1)
    except CchcError as exc:
        click.echo(f"Lỗi: {exc.user_message}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        logger.exception("unexpected error")
        click.echo(unexpected_message(exc), err=True)
        sys.exit(1)


def unexpected_message(exc: BaseException) -> str:
    """What the user reads for an error no layer turned into a CchcError: a port already taken gets
    its own message; anything else points to the log file of the CCHC_HOME in use."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.errno == errno.EADDRINUSE:
            return (
                "Lỗi: cổng mạng đã có chương trình khác dùng (có thể là một 'cchc serve' khác đang chạy). "
                "Hãy dừng chương trình đó hoặc đổi cổng (telegram.port, zalo.port trong config.yaml) rồi chạy lại."
            )
        cur = cur.__cause__ or cur.__context__
    return f"Lỗi không mong đợi; xem nhật ký ({log_file_hint()})."


def log_file_hint() -> Path:
    """The log file of this invocation's settings (CCHC_HOME, --config), or where it would be."""
    try:
        from core.settings import load_settings

        return load_settings(_CONFIG.get()).log_file
    except Exception:  # the settings themselves may be what failed
        return Path(os.environ.get("CCHC_HOME") or ".cchc") / "logs" / "cchc.log"


if __name__ == "__main__":
    main()
