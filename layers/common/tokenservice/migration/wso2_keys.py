"""The consumer keys of WSO2 applications, read from an export: a CSV of IDN_OAUTH_CONSUMER_APPS
(joined with AM_APPLICATION_KEY_MAPPING and AM_APPLICATION for the key type and the application:
docs/migrating-from-wso2.md has the SQL) or `apictl export app --with-keys` archives (zip files
holding `<owner>-<name>/application.yaml` or `.json`).

Each key becomes a `Key`: what a client of this service needs, nothing checked yet (`wso2_apps`
judges them). Zip archives are read in memory, member by member, within bounds: never extracted.
"""

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tokenservice.migration.report import UnreadableExport, read_csv

REQUIRED = ("CONSUMER_KEY", "CONSUMER_SECRET", "APP_NAME", "USERNAME", "GRANT_TYPES")
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 4 * 1024 * 1024
DEFINITIONS = ("application.yaml", "application.yml", "application.json")
RESIDENT_KEY_MANAGERS = {"", "default", "resident key manager"}


@dataclass(frozen=True)
class Key:
    row: int  # the CSV line (0 for an archive)
    source: str  # where it was read, for the report
    application: str  # keys of one application share it
    name: str  # the application's name
    owner: str  # as WSO2 wrote it
    consumer_key: str
    consumer_secret: str
    environment: str  # "production" | "sandbox"
    grant_types: tuple[str, ...]
    callback_url: str
    user_ttl: str  # seconds, as exported
    app_ttl: str
    refresh_ttl: str
    tenant: str
    hashed: bool = False  # the export says its secrets are hashed


def _environment(value: str) -> str:
    return "sandbox" if value.strip().upper() == "SANDBOX" else "production"


def from_csv(path: str) -> list[Key]:
    """The keys of a CSV export; a row without APPLICATION_ID is an application of its own."""
    keys = []
    for row_number, row in read_csv(path, REQUIRED):
        keys.append(
            Key(
                row=row_number,
                source=Path(path).name,
                application=row.get("APPLICATION_ID") or f"row {row_number}",
                name=row.get("APPLICATION_NAME") or row["APP_NAME"],
                owner=row["USERNAME"],
                consumer_key=row["CONSUMER_KEY"],
                consumer_secret=row["CONSUMER_SECRET"],
                environment=_environment(row.get("KEY_TYPE", "")),
                grant_types=tuple(row["GRANT_TYPES"].split()),
                callback_url=row.get("CALLBACK_URL", ""),
                user_ttl=row.get("USER_ACCESS_TOKEN_EXPIRE_TIME", ""),
                app_ttl=row.get("APP_ACCESS_TOKEN_EXPIRE_TIME", ""),
                refresh_ttl=row.get("REFRESH_TOKEN_EXPIRE_TIME", ""),
                tenant=row.get("TENANT_ID") or "-1234",
            )
        )
    return keys


def _definitions(path: str) -> list[tuple[str, bytes]]:
    """(member name, content) of each application definition in an apictl archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise UnreadableExport(f"{path} has more than {MAX_MEMBERS} files")
            found = []
            for member in members:
                if Path(member.filename).name.lower() not in DEFINITIONS:
                    continue
                if member.file_size > MAX_MEMBER_BYTES:
                    raise UnreadableExport(f"{path}: {member.filename[:80]} is larger than 4 MiB")
                with archive.open(member) as file:
                    found.append((member.filename, file.read(MAX_MEMBER_BYTES + 1)[:MAX_MEMBER_BYTES]))
            return found
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError) as error:
        raise UnreadableExport(f"cannot read {path} as a zip archive: {error}") from error


def from_archive(path: str) -> list[Key]:
    """The keys of an `apictl export app --with-keys` archive."""
    import yaml  # only archives need it

    keys = []
    definitions = _definitions(path)
    if not definitions:
        raise UnreadableExport(f"{path} holds no application.yaml or application.json (apictl's export)")
    for member, content in definitions:
        try:
            document = yaml.safe_load(io.BytesIO(content))
        except yaml.YAMLError as error:
            raise UnreadableExport(f"{path}: {member[:80]} is not YAML or JSON") from error
        data = document.get("data") if isinstance(document, dict) else None
        info = data.get("applicationInfo") if isinstance(data, dict) else None
        if not isinstance(info, dict):
            raise UnreadableExport(f"{path}: {member[:80]} is not an apictl application definition")
        keys += _archive_keys(f"{Path(path).name}:{member}", info)
    return keys


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _archive_keys(source: str, info: dict) -> list[Key]:
    keys = []
    for entry in info.get("keys") or []:
        if not isinstance(entry, dict):
            continue
        if _text(entry.get("keyManager")).lower() not in RESIDENT_KEY_MANAGERS:
            continue  # another key manager's keys are that key manager's
        extra = entry.get("additionalProperties")
        extra = extra if isinstance(extra, dict) else {}
        grants = entry.get("supportedGrantTypes") or []
        keys.append(
            Key(
                row=0,
                source=source,
                application=_text(info.get("applicationId")) or source,
                name=_text(info.get("name")),
                owner=_text(info.get("owner")),
                consumer_key=_text(entry.get("consumerKey")),
                consumer_secret=_text(entry.get("consumerSecret")),
                environment=_environment(_text(entry.get("keyType"))),
                grant_types=tuple(str(grant) for grant in grants) if isinstance(grants, list) else (),
                callback_url=_text(entry.get("callbackUrl")),
                user_ttl=_text(extra.get("user_access_token_expiry_time")),
                app_ttl=_text(extra.get("application_access_token_expiry_time")),
                refresh_ttl=_text(extra.get("refresh_token_expiry_time")),
                tenant="-1234",
                hashed=bool(info.get("hashEnabled")),
            )
        )
    return keys


def read(path: str) -> list[Key]:
    """The keys in one export file: a zip archive (apictl) or a CSV."""
    return from_archive(path) if zipfile.is_zipfile(path) else from_csv(path)
