"""系统管理 screens whose data live in the database and change at runtime: 数据字典
(dictionary.py, dictionary_view.py) and 参数设置 (settings.py, settings_view.py). Every host reads
them through one version counter per kind (versions.py), checked once per request."""
