"""State the app keeps per instance in `app.extensions["admin"]`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, select

from app.storage import Storage
from generator.spec import Spec


@dataclass
class Admin:
    spec: Spec
    models: dict[str, type]  # qualified entity name -> mapped class
    metadata: MetaData  # the generated tables (FAB's own tables live in its Model.metadata)
    storage: Storage
    session: Any

    def related_query(self, model: type) -> Any:
        """Rows a person may pick in a reference field."""
        return select(model)

    def load_related(self, model: type, pk: int) -> Any:
        """One row for a reference field, or None when it does not exist for this person."""
        query = self.related_query(model).where(model.id == pk)
        return self.session.execute(query).scalar_one_or_none()
