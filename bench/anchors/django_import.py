"""django-import-export anchor: import a .xlsx or .csv into procurement_demand with full model
validation (clean_model_instances: max lengths, choices, ranges, the ID card check, unique
code), the way its admin does (format -> tablib Dataset -> Resource.import_data).

Runs in the bench-only environment (instance/bench-anchor-venv), never in the project's.
Usage: django_import.py tuned|default FILE RUNS; prints one BENCH-RESULT line.
"""

import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_app.settings")

import django  # noqa: E402

django.setup()

from django.core.exceptions import ValidationError  # noqa: E402
from django.db import connection  # noqa: E402
from django_app.models import Demand, Drug, Org  # noqa: E402
from import_export import fields, resources, widgets  # noqa: E402
from import_export.formats.base_formats import CSV, XLSX  # noqa: E402

KINDS = {"新增": "new", "续签": "renew", "new": "new", "renew": "renew"}


class KindWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return "new"
        try:
            return KINDS[str(value).strip()]
        except KeyError:
            raise ValueError(f"not one of 新增, 续签: {value}") from None


class CachedForeignKeyWidget(widgets.ForeignKeyWidget):
    """Tuning: one query per referenced table instead of one per row and column."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        cache = getattr(self, "_cache", None)
        if cache is None:
            cache = self._cache = {str(getattr(o, self.field)): o
                                   for o in self.model.objects.all()}
        try:
            return cache[str(value).strip()]
        except KeyError:
            raise ValueError(f"{value} does not exist") from None


def resource_class(tuned):
    fk = CachedForeignKeyWidget if tuned else widgets.ForeignKeyWidget

    class DemandResource(resources.ModelResource):
        code = fields.Field(attribute="code", column_name="需求编号",
                            widget=widgets.CharWidget())
        drug = fields.Field(attribute="drug", column_name="品规", widget=fk(Drug, "name"))
        kind = fields.Field(attribute="kind", column_name="类型", widget=KindWidget())
        baseline = fields.Field(attribute="baseline", column_name="2020年采购量",
                                widget=widgets.IntegerWidget())
        planned = fields.Field(attribute="planned", column_name="预采购量",
                               widget=widgets.IntegerWidget())
        contact_id = fields.Field(attribute="contact_id", column_name="联系人身份证号",
                                  widget=widgets.CharWidget())
        signed_on = fields.Field(attribute="signed_on", column_name="签订日期",
                                 widget=widgets.DateWidget("%Y-%m-%d"))
        note = fields.Field(attribute="note", column_name="备注", widget=widgets.CharWidget())
        org = fields.Field(attribute="org", column_name="所属机构", widget=fk(Org, "code"))

        class Meta:
            model = Demand
            fields = ("code", "drug", "kind", "baseline", "planned", "contact_id",
                      "signed_on", "note", "org")
            import_id_fields = ("code",)
            clean_model_instances = True
            if tuned:  # the documented speed-ups
                use_bulk = True
                batch_size = 1000
                skip_diff = True
                force_init_instance = True

        def validate_instance(self, instance, import_validation_errors=None,
                              validate_unique=True):
            """The library's method (clean_model_instances), except that, tuned, the
            foreign keys the cached widgets already found are not looked up again per row."""
            errors = dict(import_validation_errors or {})
            exclude = set(errors) | ({"drug", "org"} if tuned else set())
            try:
                instance.full_clean(exclude=exclude, validate_unique=validate_unique)
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
            if errors:
                raise ValidationError(errors)

        def before_save_instance(self, instance, row, **kwargs):
            instance.org_path = instance.org.path if instance.org_id else None

    return DemandResource


def main():
    mode, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fmt = XLSX() if path.endswith(".xlsx") else CSV(encoding="utf-8-sig")
    times = []
    rows = 0
    for _ in range(runs):
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE procurement_demand RESTART IDENTITY")
        started = time.perf_counter()
        with open(path, "rb") as fh:
            data = fh.read()
        if isinstance(fmt, CSV):
            data = data.decode("utf-8-sig")
        dataset = fmt.create_dataset(data)
        result = resource_class(mode == "tuned")().import_data(
            dataset, dry_run=False, raise_errors=False, use_transactions=True)
        times.append(time.perf_counter() - started)
        if result.has_errors() or result.has_validation_errors():
            bad = result.invalid_rows[:3] if result.invalid_rows else result.base_errors[:3]
            raise SystemExit(f"import failed: {bad}")
        rows = Demand.objects.count()
        if rows != len(dataset):
            raise SystemExit(f"{rows} rows in the table, {len(dataset)} in the file")
    print("BENCH-RESULT " + json.dumps({
        "seconds": times, "rows": rows,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
