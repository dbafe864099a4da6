"""A minimal Django project for the django-import-export anchor (bench/anchors/django_import.py).
Its models map the tables our schema created (managed = False): the same table, the same data."""
