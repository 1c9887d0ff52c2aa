"""The schedulers table: each scheduler configuration reviews were recorded under, stored once.

A configuration's row is found or made by one upsert on its hash (so two requests making the
same new configuration both get its one row, without an error to recover from). Ids are kept
per database engine once the transaction that read or made them has committed, so the usual
review adds no statement.
"""

from collections.abc import Iterable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import SchedulerConfig as SchedulerRow
from app.study.scheduling import LEGACY, SchedulerConfig

_known: "WeakKeyDictionary[Engine, dict[str, int]]" = WeakKeyDictionary()
_PENDING = "prepdeck_pending_schedulers"


def _cache(session: Session) -> dict[str, int]:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return _known.setdefault(engine, {})


def scheduler_id(session: Session, config: SchedulerConfig) -> int | None:
    """Return the id of the configuration's row, making it if needed (None for LEGACY).

    LEGACY has no row: a review log row without one was recorded under it.
    """
    if config == LEGACY:
        return None
    key = config.config_hash
    known = _cache(session).get(key)
    if known is not None:
        return known
    values = {"config_hash": key, "config": config.to_json()}
    dialect = session.get_bind().dialect.name
    insert: Any = (postgresql if dialect == "postgresql" else sqlite).insert(SchedulerRow)
    # A no-op update on conflict, so the statement returns the id in both cases.
    statement = (
        insert.values(values)
        .on_conflict_do_update(
            index_elements=[SchedulerRow.config_hash],
            set_={"config_hash": insert.excluded.config_hash},
        )
        .returning(SchedulerRow.id)
    )
    found = int(session.execute(statement).scalar_one())
    session.info.setdefault(_PENDING, {})[key] = found
    return found


@event.listens_for(Session, "after_commit")
def _remember(session: Session) -> None:
    if session.in_nested_transaction():
        # A SAVEPOINT released (SQLAlchemy calls this hook for those too): the transaction
        # around it may still be rolled back, taking the new rows with it.
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        _cache(session).update(pending)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def configs_by_id(session: Session, ids: Iterable[int | None]) -> dict[int | None, SchedulerConfig]:
    """Return the configuration of each id (None: LEGACY), in one query."""
    wanted = {i for i in ids if i is not None}
    configs: dict[int | None, SchedulerConfig] = {None: LEGACY}
    if wanted:
        for row in session.execute(
            select(SchedulerRow.id, SchedulerRow.config).where(SchedulerRow.id.in_(wanted))
        ):
            configs[row.id] = SchedulerConfig.from_json(row.config)
    return configs
