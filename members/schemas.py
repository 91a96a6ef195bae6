"""Input and output shapes for members: validation with messages a person understands, and the JSON
the API answers with. Forms and JSON share these, so the rules are the same on both doors."""

from __future__ import annotations

from typing import Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from members.choices import ORGANISATION_TYPES, country_codes, timezone_names

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_BIO = 5000
RoleName = Literal["member", "facilitator", "moderator", "admin"]
StatusName = Literal["active", "pending", "suspended", "deleted"]
ModeName = Literal["open", "approval", "invitation"]


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """The one password rule (length, not your own email or name); None when the password is fine."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"That password is too long ({MAX_PASSWORD} characters at most)."
    lowered = password.lower()
    if (email and lowered == email.strip().lower()) or (name and lowered == " ".join(name.split()).lower()):
        return "Your password must not be your email or your name."
    return None


def clean_email(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("Please enter your email address.")
    try:
        # Format only: a deliverability check would leak timing and fail offline.
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError("Enter a valid email address, like name@example.org.") from None


def clean_name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("Please enter your name.")
    if len(value) > 120:
        raise ValueError("Keep your name under 120 characters.")
    return value


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _one_of(allowed: tuple[str, ...], what: str, *, optional: bool = False) -> classmethod:
    """A before-validator with a message a person reads, instead of pydantic's "Input should be ...".
    For an optional choice (a list filter), an empty value means "any"."""

    def check(cls: type, value: object) -> object:
        if optional:
            value = _blank_to_none(value)
        if value is not None and value not in allowed:
            raise ValueError(f"Choose {what}: {', '.join(allowed[:-1])} or {allowed[-1]}.")
        return value

    return classmethod(check)  # type: ignore[arg-type]


ROLES: tuple[str, ...] = ("member", "facilitator", "moderator", "admin")
STATUSES: tuple[str, ...] = ("active", "pending", "suspended", "deleted")
MODES: tuple[str, ...] = ("open", "approval", "invitation")


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegisterIn(_In):
    name: str
    email: str
    password: str
    username: str | None = None
    organisation: str = ""
    # An unticked checkbox sends nothing at all, so the default must be validated too.
    consent: bool = Field(default=False, validate_default=True)
    invite: str | None = None

    _name = field_validator("name")(classmethod(lambda cls, v: clean_name(v)))
    _email = field_validator("email")(classmethod(lambda cls, v: clean_email(v)))
    _blank = field_validator("username", "invite", mode="before")(
        classmethod(lambda cls, v: _blank_to_none(v))
    )

    @field_validator("password")
    @classmethod
    def _password(cls, value: str, info: ValidationInfo) -> str:
        problem = password_problem(value, email=info.data.get("email", ""), name=info.data.get("name", ""))
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("organisation")
    @classmethod
    def _organisation(cls, value: str) -> str:
        value = " ".join(value.split())
        if len(value) > 200:
            raise ValueError("Keep the organisation under 200 characters.")
        return value

    @field_validator("consent", mode="before")
    @classmethod
    def _consent_blank(cls, value: object) -> object:
        return False if value is None or value == "" else value

    @field_validator("consent")
    @classmethod
    def _consent(cls, value: bool) -> bool:
        if not value:
            raise ValueError("Please accept the terms and privacy notice to create an account.")
        return value


class RegisterForm(RegisterIn):
    """The HTML form also asks for the password twice (the API client has its own means)."""

    password_confirm: str = ""

    @field_validator("password_confirm")
    @classmethod
    def _same(cls, value: str, info: ValidationInfo) -> str:
        if "password" in info.data and value != info.data["password"]:
            raise ValueError("The two passwords do not match.")
        return value


class LoginIn(_In):
    email: str
    password: str

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        # No format check: a malformed address is simply one that matches no account.
        value = value.strip().lower()
        if not value:
            raise ValueError("Please enter your email address.")
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        if not value:
            raise ValueError("Please enter your password.")
        return value


class ForgotIn(_In):
    email: str

    _email = field_validator("email")(classmethod(lambda cls, v: clean_email(v)))


class NewPasswordForm(_In):
    password: str
    password_confirm: str = ""

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        problem = password_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("password_confirm")
    @classmethod
    def _same(cls, value: str, info: ValidationInfo) -> str:
        if "password" in info.data and value != info.data["password"]:
            raise ValueError("The two passwords do not match.")
        return value


class ResetIn(_In):
    token: str
    password: str

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        problem = password_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class PasswordChangeIn(_In):
    current_password: str
    new_password: str
    new_password_confirm: str | None = None

    @field_validator("current_password")
    @classmethod
    def _current(cls, value: str) -> str:
        if not value:
            raise ValueError("Please enter your current password.")
        return value

    @field_validator("new_password")
    @classmethod
    def _new(cls, value: str) -> str:
        problem = password_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("new_password_confirm")
    @classmethod
    def _same(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and "new_password" in info.data and value != info.data["new_password"]:
            raise ValueError("The two passwords do not match.")
        return value


class ProfileIn(_In):
    """A profile change: the form sends every field, PATCH /api/v1/me only those it changes."""

    name: str | None = None
    organisation: str | None = None
    organisation_type: str | None = None
    country: str | None = None
    bio: str | None = None
    locale: str | None = None
    timezone: str | None = None
    hide_presence: bool | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str:
        return clean_name(value or "")

    @field_validator("organisation")
    @classmethod
    def _organisation(cls, value: str | None) -> str:
        value = " ".join((value or "").split())
        if len(value) > 200:
            raise ValueError("Keep the organisation under 200 characters.")
        return value

    @field_validator("organisation_type")
    @classmethod
    def _organisation_type(cls, value: str | None) -> str:
        value = (value or "").strip()
        if value and value not in ORGANISATION_TYPES:
            raise ValueError("Choose one of the listed kinds of organisation.")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str:
        value = (value or "").strip().upper()
        if value and value not in country_codes():
            raise ValueError("Choose a country from the list (a two-letter ISO 3166 code).")
        return value

    @field_validator("bio")
    @classmethod
    def _bio(cls, value: str | None) -> str:
        value = (value or "").strip()
        if len(value) > MAX_BIO:
            raise ValueError(f"Keep your introduction under {MAX_BIO:,} characters.")
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str | None) -> str:
        from convene.i18n import available_locales

        value = (value or "").strip()
        if value and value not in available_locales():
            raise ValueError("Choose one of the languages this site is available in.")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str:
        value = (value or "").strip()
        if value not in timezone_names():
            raise ValueError("Choose a time zone from the list, like Europe/Berlin.")
        return value


class TokenIn(_In):
    name: str

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("Give the token a name, so you recognise it later.")
        if len(value) > 100:
            raise ValueError("Keep the name under 100 characters.")
        return value


class RoleIn(_In):
    role: RoleName

    _role = field_validator("role", mode="before")(_one_of(ROLES, "a role"))


class InvitationIn(_In):
    email: str
    role: RoleName = "member"

    _role = field_validator("role", mode="before")(_one_of(ROLES, "a role"))
    _email = field_validator("email")(classmethod(lambda cls, v: clean_email(v)))


class SiteSettingsIn(_In):
    registration_mode: ModeName | None = None
    terms: str | None = None

    _mode = field_validator("registration_mode", mode="before")(_one_of(MODES, "a registration mode"))

    @field_validator("terms")
    @classmethod
    def _terms(cls, value: str | None) -> str | None:
        if value is not None and len(value) > 50_000:
            raise ValueError("Keep the terms under 50,000 characters.")
        return value


class MemberQuery(_In):
    status: StatusName | None = None
    role: RoleName | None = None
    q: str = ""
    page: int = 1

    _status = field_validator("status", mode="before")(_one_of(STATUSES, "a status", optional=True))
    _role = field_validator("role", mode="before")(_one_of(ROLES, "a role", optional=True))

    @field_validator("page", mode="before")
    @classmethod
    def _page(cls, value: object) -> object:
        return 1 if value in ("", None) else value

    @field_validator("page")
    @classmethod
    def _page_min(cls, value: int) -> int:
        return max(1, value)

    @field_validator("q")
    @classmethod
    def _q(cls, value: str) -> str:
        return " ".join(value.split())[:200]
