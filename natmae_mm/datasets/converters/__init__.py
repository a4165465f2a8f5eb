"""Raw dataset -> MMAction2 skeleton annotation converters (used by ``tools/data``)."""
