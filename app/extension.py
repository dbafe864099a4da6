"""State the app keeps per instance in `app.extensions["admin"]`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, false, select

from app.security.models import Organisation
from app.security.scope import current, is_admin, scope_condition, within
from app.storage import Storage
from generator.spec import Field, Spec


@dataclass
class Admin:
    spec: Spec
    models: dict[str, Any]  # qualified entity name -> mapped class (generator/models.py)
    metadata: MetaData  # the generated tables (FAB's own tables live in its Model.metadata)
    storage: Storage
    session: Any

    def related_query(self, model: Any, user: Any = None) -> Any:
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

    def choice_query(self, field: Field, user: Any = None) -> Any:
        """Rows a reference field may point to: in the chooser's scope and, when the field
        has `choices`, matching them (see app/choices.py). The one place every door asks."""
        from app.choices import choice_conditions

        user = user if user is not None else current()
        query = self.related_query(self.models[field.to], user)  # type: ignore[index]
        conditions = choice_conditions(self.spec, self.models, field, user)
        return query.where(*conditions) if conditions else query

    def load_choice(self, field: Field, pk: int, user: Any = None) -> Any:
        """One target of a reference field, or None when it is not among its choices."""
        model: Any = self.models[field.to]  # type: ignore[index]
        query = self.choice_query(field, user).where(model.id == pk)
        return self.session.execute(query).scalar_one_or_none()

    def load_related(self, model: Any, pk: int) -> Any:
        """One row for a reference field, or None when it does not exist for this person."""
        query = self.related_query(model).where(model.id == pk)
        return self.session.execute(query).scalar_one_or_none()
