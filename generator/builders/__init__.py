"""Builders: pure functions of the Spec, one per concern, returning plain option objects.

app/ hands their output to Flask-AppBuilder (and to WTForms, the importer and the security
tables); nothing here imports Flask. tests/generator/test_builders.py pins their output.
"""
