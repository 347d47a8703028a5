"""The ``cchc`` command line: thin wrappers over the library.

Every command with ``--json`` prints exactly one JSON document on stdout; logs go to stderr.
Exit status: 0 success, 1 user error (clear message on stderr), 2 usage error.
"""

from __future__ import annotations

import logging
import sys

import click

from cchc import commands
from cchc.app import AppContext
from core.errors import CchcError

logger = logging.getLogger(__name__)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", default=None, help="config.yaml path (default: CCHC_CONFIG or ./config.yaml)")
@click.option("-v", "--verbose", is_flag=True, help="debug logging on stderr")
@click.version_option(package_name="tro-ly-cchc")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: bool) -> None:
    """Trợ lý CCHC: hỏi đáp tài liệu cải cách hành chính, nhắc hạn, tóm tắt chỉ số."""
    ctx.obj = AppContext(config, verbose)


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
    except Exception:
        logger.exception("unexpected error")
        click.echo("Lỗi không mong đợi; xem nhật ký (.cchc/logs/cchc.log).", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
