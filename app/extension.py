"""State the app keeps per instance in `app.extensions["admin"]`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, false, select

from app.security.models import Organisation
from app.security.scope import current, is_admin, scope_condition, within
from app.storage import Storage
from generator.spec import Spec


@dataclass
class Admin:
    spec: Spec
    models: dict[str, type]  # qualified entity name -> mapped class
    metadata: MetaData  # the generated tables (FAB's own tables live in its Model.metadata)
    storage: Storage
    session: Any

    def related_query(self, model: type, user: Any = None) -> Any:
        """Rows a person may pick in a reference field: only rows in their scope."""
        query = select(model)
        user = user if user is not None else current()
        if model is Organisation:  # the organisation a row belongs to: my jurisdiction
            if user is None or is_admin(user):
                return query if user is not None else query.where(false())
            org = getattr(user, "org", None)
            return query.where(within(Organisation.path, org.path) if org else false())
        entity = getattr(model, "__entity__", None)
        condition = scope_condition(entity, model, user) if entity is not None else None
        return query if condition is None else query.where(condition)

    def load_related(self, model: type, pk: int) -> Any:
        """One row for a reference field, or None when it does not exist for this person."""
        query = self.related_query(model).where(model.id == pk)
        return self.session.execute(query).scalar_one_or_none()
