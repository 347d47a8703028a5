"""The one error hierarchy of the project.

Every error that a user can cause carries a Vietnamese message (``user_message``)
that entry points (the CLI, the bot router) show as is; anything else is a bug
and is logged with ``exc_info`` by the entry point.
"""

from __future__ import annotations


class CchcError(Exception):
    """Base class. ``user_message`` is safe to show to an end user (Vietnamese)."""

    user_message: str = "Đã có lỗi xảy ra."

    def __init__(self, message: str | None = None, *, user_message: str | None = None) -> None:
        super().__init__(message or user_message or self.user_message)
        if user_message is not None:
            self.user_message = user_message
        elif message is not None:
            self.user_message = message


class ConfigError(CchcError):
    """The configuration (config.yaml or CCHC_* variables) is invalid."""

    user_message = "Cấu hình không hợp lệ."


class StorageError(CchcError):
    """The database cannot be opened or migrated."""

    user_message = "Không mở được cơ sở dữ liệu."


class IngestError(CchcError):
    """A file cannot be ingested. ``path`` names it."""

    user_message = "Không đọc được tệp."

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class UnsupportedFileError(IngestError):
    """The file's content is not a format we read."""


class FileTooLargeError(IngestError):
    """The file is over the configured size limit."""


class EmptyFileError(IngestError):
    """The file is empty or has no usable text."""


class ScannedPdfError(IngestError):
    """A PDF without a text layer (a scan)."""


class EncryptedFileError(IngestError):
    """A password-protected document."""


class CorruptFileError(IngestError):
    """A damaged file, or one whose content does not match its type (zip bombs included)."""


class QuestionError(CchcError):
    """A question that cannot be asked as it is (empty, too long, binary junk)."""

    user_message = "Câu hỏi không hợp lệ."


class IndexNotReadyError(CchcError):
    """Nothing has been ingested yet, or the index is missing."""

    user_message = "Chưa có tài liệu nào được nạp. Hãy chạy: cchc ingest data/corpus"


class ImportRowsError(CchcError):
    """A table import with row-numbered problems; nothing was imported."""

    user_message = "Tệp có dòng không hợp lệ; chưa nhập gì."

    def __init__(self, problems: list[str], *, path: str | None = None) -> None:
        self.problems = problems
        self.path = path
        head = "\n".join(problems[:20])
        more = f"\n... và {len(problems) - 20} lỗi khác" if len(problems) > 20 else ""
        super().__init__(f"Tệp có {len(problems)} lỗi; chưa nhập dòng nào:\n{head}{more}")


class NotFoundError(CchcError):
    """A named thing (user, task, document, agency) does not exist."""

    user_message = "Không tìm thấy."


class AccessDeniedError(CchcError):
    """The user may not do this."""

    user_message = "Bạn không có quyền dùng chức năng này."


class ChannelError(CchcError):
    """A channel (Telegram, Zalo) refused or failed a request. The message (API details, for the
    log) is never shown to users: they get the class's Vietnamese ``user_message``."""

    user_message = "Không gửi được tin nhắn."

    def __init__(self, message: str | None = None, *, user_message: str | None = None) -> None:
        super().__init__(message, user_message=user_message or type(self).user_message)


class DeliveryError(ChannelError):
    """A message cannot be delivered to this chat (blocked bot, deleted chat, revoked user)."""

    user_message = "Không gửi được tin nhắn tới người nhận."


class InviteError(AccessDeniedError):
    """An invite code that is unknown, expired or already used."""

    user_message = "Mã mời không hợp lệ."


class RegistrationLockedError(InviteError):
    """Too many wrong invite codes: registration is refused for a while (one user, or everyone)."""

    user_message = "Bạn đã nhập sai mã mời quá nhiều lần. Vui lòng thử lại sau."
