"""The tables of bench/schemas/demand.yaml as Django sees them, with the same rules as model
validators (what `full_clean` checks during a django-import-export import)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_card(value):
    """GB 11643: 17 digits and a check character (the rule our schema's id_card applies)."""
    code = (value or "").strip().upper()
    if len(code) != 18 or not code[:17].isdigit():
        raise ValidationError("Not a valid resident ID card number.")
    total = sum(int(d) * w for d, w in zip(code[:17], _ID_WEIGHTS, strict=True))
    if "10X98765432"[total % 11] != code[17]:
        raise ValidationError("Not a valid resident ID card number.")


class Org(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    path = models.CharField(max_length=255)

    class Meta:
        managed = False
        db_table = "org_organisation"


class Drug(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        managed = False
        db_table = "procurement_drug"


class Demand(models.Model):
    code = models.CharField(max_length=30, unique=True)
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT)
    kind = models.CharField(max_length=32, choices=[("new", "新增"), ("renew", "续签")],
                            default="new")
    baseline = models.BigIntegerField(null=True, blank=True, validators=[MinValueValidator(0)])
    planned = models.BigIntegerField(null=True, blank=True, validators=[
        MinValueValidator(0), MaxValueValidator(1_000_000_000)])
    contact_id = models.CharField(max_length=255, null=True, blank=True, validators=[id_card])
    signed_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=50, null=True, blank=True)
    org = models.ForeignKey(Org, on_delete=models.PROTECT, null=True)
    org_path = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        managed = False
        db_table = "procurement_demand"
