"""Organisations, users, roles, the permission matrix and jurisdiction scope.

Several small modules, one concern each: models (organisation, user), matrix (what the YAML
grants), sync (writing the matrix to FAB's tables in bulk), scope (which rows a user sees),
manager (FAB's security manager with our user model).
"""
